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

struct _FerryFrameDecoder
{
  GByteArray *buffer;
  gsize       pos;
  GError     *error;
};

FerryFrameDecoder *
ferry_frame_decoder_new (void)
{
  FerryFrameDecoder *self = g_new0 (FerryFrameDecoder, 1);

  self->buffer = g_byte_array_new ();
  return self;
}

void
ferry_frame_decoder_free (FerryFrameDecoder *self)
{
  if (!self)
    return;
  g_byte_array_unref (self->buffer);
  g_clear_error (&self->error);
  g_free (self);
}

gsize
ferry_frame_decoder_pending (FerryFrameDecoder *self)
{
  return self->buffer->len - self->pos;
}

void
ferry_frame_decoder_feed (FerryFrameDecoder *self,
                          const guint8      *data,
                          gsize              len)
{
  g_return_if_fail (self != NULL);

  if (self->pos > 0 && self->pos == self->buffer->len)
    {
      g_byte_array_set_size (self->buffer, 0);
      self->pos = 0;
    }
  else if (self->pos > 65536 && self->pos * 2 > self->buffer->len)
    {
      g_byte_array_remove_range (self->buffer, 0, self->pos);
      self->pos = 0;
    }

  if (len > 0)
    g_byte_array_append (self->buffer, data, len);
}

gboolean
ferry_frame_decoder_next (FerryFrameDecoder  *self,
                          FerryFrame         *frame,
                          GError            **error)
{
  FerryMessageType type;
  guint16 flags;
  guint32 length;
  const guint8 *p;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (frame != NULL, FALSE);

  if (self->error)
    {
      g_propagate_error (error, g_error_copy (self->error));
      return FALSE;
    }

  if (ferry_frame_decoder_pending (self) < FERRY_FRAME_HEADER_SIZE)
    return FALSE;

  p = self->buffer->data + self->pos;
  if (!ferry_frame_header_decode (p, &type, &flags, &length, &self->error))
    {
      g_propagate_error (error, g_error_copy (self->error));
      return FALSE;
    }

  if (ferry_frame_decoder_pending (self) < FERRY_FRAME_HEADER_SIZE + (gsize) length)
    return FALSE;

  frame->type = type;
  frame->flags = flags;
  frame->payload = g_bytes_new (p + FERRY_FRAME_HEADER_SIZE, length);
  self->pos += FERRY_FRAME_HEADER_SIZE + length;
  return TRUE;
}
