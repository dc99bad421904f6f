/* ferry-frame.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-frame"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ferry-frame.h"
#include "ferry-error.h"

static const char *type_names[] = {
  [FERRY_MSG_HELLO] = "HELLO",
  [FERRY_MSG_WELCOME] = "WELCOME",
  [FERRY_MSG_SUBSCRIBE] = "SUBSCRIBE",
  [FERRY_MSG_OFFER] = "OFFER",
  [FERRY_MSG_SYNCED] = "SYNCED",
  [FERRY_MSG_DELETED] = "DELETED",
  [FERRY_MSG_UPLOAD] = "UPLOAD",
  [FERRY_MSG_ACCEPT] = "ACCEPT",
  [FERRY_MSG_DATA] = "DATA",
  [FERRY_MSG_END] = "END",
  [FERRY_MSG_DOWNLOAD] = "DOWNLOAD",
  [FERRY_MSG_DELETE] = "DELETE",
  [FERRY_MSG_ERROR] = "ERROR",
  [FERRY_MSG_PING] = "PING",
  [FERRY_MSG_PONG] = "PONG",
  [FERRY_MSG_LINK] = "LINK",
};

void
ferry_frame_clear (FerryFrame *frame)
{
  g_clear_pointer (&frame->payload, g_bytes_unref);
  frame->type = 0;
  frame->flags = 0;
}

const char *
ferry_message_type_to_string (FerryMessageType type)
{
  if (type >= FERRY_MSG_FIRST && type <= FERRY_MSG_LAST)
    return type_names[type];
  return "UNKNOWN";
}

gsize
ferry_frame_max_payload (FerryMessageType type)
{
  if (type == FERRY_MSG_DATA)
    return FERRY_MAX_DATA_PAYLOAD;
  if (type >= FERRY_MSG_FIRST && type <= FERRY_MSG_LAST)
    return FERRY_MAX_CONTROL_PAYLOAD;
  return 0;
}

void
ferry_frame_header_encode (guint8           *out,
                           FerryMessageType  type,
                           guint16           flags,
                           guint32           length)
{
  memcpy (out, FERRY_FRAME_MAGIC, 4);
  out[4] = FERRY_FRAME_VERSION;
  out[5] = (guint8) type;
  out[6] = (guint8) (flags >> 8);
  out[7] = (guint8) flags;
  out[8] = (guint8) (length >> 24);
  out[9] = (guint8) (length >> 16);
  out[10] = (guint8) (length >> 8);
  out[11] = (guint8) length;
}

gboolean
ferry_frame_header_decode (const guint8      *header,
                           FerryMessageType  *type,
                           guint16           *flags,
                           guint32           *length,
                           GError           **error)
{
  guint32 len;
  guint8 t;

  if (memcmp (header, FERRY_FRAME_MAGIC, 4) != 0)
    {
      g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_MALFORMED,
                           _("The peer does not speak the Ferry protocol."));
      return FALSE;
    }

  if (header[4] != FERRY_FRAME_VERSION)
    {
      g_set_error (error, FERRY_ERROR, FERRY_ERROR_VERSION,
                   _("The peer uses Ferry framing version %u, but this program speaks version %u."),
                   header[4], FERRY_FRAME_VERSION);
      return FALSE;
    }

  t = header[5];
  if (t < FERRY_MSG_FIRST || t > FERRY_MSG_LAST)
    {
      g_set_error (error, FERRY_ERROR, FERRY_ERROR_MALFORMED,
                   _("The peer sent an unknown message type %u."), t);
      return FALSE;
    }

  len = ((guint32) header[8] << 24) | ((guint32) header[9] << 16) |
        ((guint32) header[10] << 8) | (guint32) header[11];
  if (len > ferry_frame_max_payload (t))
    {
      g_set_error (error, FERRY_ERROR, FERRY_ERROR_MALFORMED,
                   _("The peer sent a %s message of %u bytes, over the limit of %zu bytes."),
                   type_names[t], len, ferry_frame_max_payload (t));
      return FALSE;
    }

  *type = t;
  *flags = (guint16) ((header[6] << 8) | header[7]);
  *length = len;
  return TRUE;
}

GBytes *
ferry_frame_encode (FerryMessageType  type,
                    guint16           flags,
                    GBytes           *payload)
{
  gsize len = payload ? g_bytes_get_size (payload) : 0;
  guint8 *buf;

  g_return_val_if_fail (len <= ferry_frame_max_payload (type), NULL);

  buf = g_malloc (FERRY_FRAME_HEADER_SIZE + len);
  ferry_frame_header_encode (buf, type, flags, (guint32) len);
  if (len > 0)
    memcpy (buf + FERRY_FRAME_HEADER_SIZE, g_bytes_get_data (payload, NULL), len);
  return g_bytes_new_take (buf, FERRY_FRAME_HEADER_SIZE + len);
}

/* One copy per byte: a header is gathered in @header, then the payload goes straight into a
 * buffer of exactly its size, which becomes the frame's GBytes. The caller may also read a
 * payload straight into that buffer (ferry_frame_decoder_get_space), with no copy at all. */
struct _FerryFrameDecoder
{
  guint8      header[FERRY_FRAME_HEADER_SIZE];
  gsize       header_fill;
  guint8     *payload;        /* the frame being filled, once its header is in */
  gsize       payload_fill;
  gsize       capacity;       /* of payload: grows past a standard chunk only as data comes */
  FerryFrame  current;        /* type, flags of the frame being filled */
  guint32     length;
  GQueue      frames;         /* FerryFrame *, whole, in order */
  gsize       pending;        /* bytes fed and not yet taken out as frames */
  GError     *error;
};

static void
queued_frame_free (FerryFrame *frame)
{
  ferry_frame_clear (frame);
  g_free (frame);
}

FerryFrameDecoder *
ferry_frame_decoder_new (void)
{
  FerryFrameDecoder *self = g_new0 (FerryFrameDecoder, 1);

  g_queue_init (&self->frames);
  return self;
}

void
ferry_frame_decoder_free (FerryFrameDecoder *self)
{
  if (!self)
    return;
  g_queue_clear_full (&self->frames, (GDestroyNotify) queued_frame_free);
  g_free (self->payload);
  g_clear_error (&self->error);
  g_free (self);
}

gsize
ferry_frame_decoder_pending (FerryFrameDecoder *self)
{
  return self->pending;
}

gboolean
ferry_frame_decoder_has_frame (FerryFrameDecoder *self)
{
  return !g_queue_is_empty (&self->frames) || self->error != NULL;
}

/* The payload being filled is whole: it becomes a frame. */
static void
complete_frame (FerryFrameDecoder *self)
{
  FerryFrame *frame = g_new0 (FerryFrame, 1);

  frame->type = self->current.type;
  frame->flags = self->current.flags;
  frame->payload = self->length > 0
                   ? g_bytes_new_take (g_steal_pointer (&self->payload), self->length)
                   : g_bytes_new (NULL, 0);
  g_clear_pointer (&self->payload, g_free);
  g_queue_push_tail (&self->frames, frame);
  self->header_fill = 0;
  self->payload_fill = 0;
}

/* The header is in: check it before anything is allocated. */
static void
start_payload (FerryFrameDecoder *self)
{
  if (!ferry_frame_header_decode (self->header, &self->current.type, &self->current.flags,
                                  &self->length, &self->error))
    return;
  if (self->length == 0)
    complete_frame (self);
  else
    {
      /* A peer has to send the bytes of an unusually large frame before they are held. */
      self->capacity = MIN (self->length, FERRY_DATA_HEADER_SIZE + FERRY_CHUNK_SIZE);
      self->payload = g_malloc (self->capacity);
    }
}

/* Room for at least one more byte of the payload being filled. */
static void
grow (FerryFrameDecoder *self)
{
  if (self->payload_fill < self->capacity)
    return;
  self->capacity = MIN ((gsize) self->length, self->capacity * 2);
  self->payload = g_realloc (self->payload, self->capacity);
}

void
ferry_frame_decoder_feed (FerryFrameDecoder *self,
                          const guint8      *data,
                          gsize              len)
{
  gsize n;

  g_return_if_fail (self != NULL);

  /* After an error nothing more is decoded; what was fed still counts as pending. */
  while (len > 0 && !self->error)
    {
      if (self->header_fill < FERRY_FRAME_HEADER_SIZE)
        {
          n = MIN (len, FERRY_FRAME_HEADER_SIZE - self->header_fill);
          memcpy (self->header + self->header_fill, data, n);
          self->header_fill += n;
          if (self->header_fill == FERRY_FRAME_HEADER_SIZE)
            start_payload (self);
        }
      else
        {
          grow (self);
          n = MIN (len, self->capacity - self->payload_fill);
          memcpy (self->payload + self->payload_fill, data, n);
          self->payload_fill += n;
          if (self->payload_fill == self->length)
            complete_frame (self);
        }
      self->pending += n;
      data += n;
      len -= n;
    }
  self->pending += len;
}

gsize
ferry_frame_decoder_get_space (FerryFrameDecoder  *self,
                               guint8            **space)
{
  g_return_val_if_fail (self != NULL, 0);

  if (self->error || !self->payload)
    return 0;
  grow (self);
  *space = self->payload + self->payload_fill;
  return self->capacity - self->payload_fill;
}

void
ferry_frame_decoder_commit (FerryFrameDecoder *self,
                            gsize              len)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->payload != NULL && len <= self->capacity - self->payload_fill);

  self->payload_fill += len;
  self->pending += len;
  if (self->payload_fill == self->length)
    complete_frame (self);
}

gboolean
ferry_frame_decoder_next (FerryFrameDecoder  *self,
                          FerryFrame         *frame,
                          GError            **error)
{
  FerryFrame *got;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (frame != NULL, FALSE);

  got = g_queue_pop_head (&self->frames);
  if (got)
    {
      *frame = *got;
      g_free (got);
      self->pending -= FERRY_FRAME_HEADER_SIZE + g_bytes_get_size (frame->payload);
      return TRUE;
    }

  if (self->error)
    g_propagate_error (error, g_error_copy (self->error));
  return FALSE;
}
