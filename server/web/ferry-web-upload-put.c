/* ferry-web-upload-put.c: PUT /api/uploads/TOKEN and PUT /api/upload/NAME, their bodies
 * streamed to the upload engine (docs/HTTP.md §5)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The body is never held whole: libsoup hands it over in small chunks ("got-chunk", with the
 * body's accumulation off), which are gathered into pieces of FERRY_WEB_UPLOAD_PIECE bytes and
 * handed to the job one at a time; while a piece is being written and the next one is full,
 * the request is paused. A PUT that is cut keeps what arrived: the same owner asks
 * GET /api/uploads/TOKEN and sends the rest.
 */
#define G_LOG_DOMAIN "ferry-server"

#include "config.h"

#include "ferry-web-upload-private.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ferry-checksum.h"
#include "ferry-error.h"
#include "ferry-identity.h"
#include "ferry-message.h"

#define PUT_KEY                 "ferry-web-upload-put"
#define FERRY_WEB_UPLOAD_PIECE  (256 * 1024)

typedef struct
{
  /* owned references */
  FerryWeb          *web;
  SoupServerMessage *msg;
  FerryUploadJob    *job;
  GByteArray        *piece;       /* arrived, not yet handed to the job */
  GError            *error;       /* the first failure; the rest of the body is dropped */
  char              *owner;       /* PUT /api/upload/NAME: the fresh owner secret, or NULL */

  /* borrowed: the table holds it, busy while this request lives */
  FerryWebUpload    *upload;

  guint64            next;        /* the offset of the piece's first byte */
  guint64            end;         /* the byte after the last this request may carry */
  guint8             sha256[FERRY_SHA256_SIZE];
  gboolean           has_sha256;
  gboolean           one_shot;    /* PUT /api/upload/NAME: finishes after its body */
  gboolean           writing;     /* a piece is with the job */
  gboolean           paused;      /* by this file: unpaused by it */
  gboolean           body_done;   /* the whole body arrived: answer once it is written */
  gboolean           answered;
  gboolean           finished;    /* the message ended, answered or cut */
} Put;

static void put_got_chunk_cb (SoupServerMessage *msg, GBytes *chunk, gpointer user_data);
static void put_finished_cb  (SoupServerMessage *msg, gpointer user_data);

static void
put_free (Put *put)
{
  g_signal_handlers_disconnect_by_data (put->msg, put);
  g_object_set_data (G_OBJECT (put->msg), PUT_KEY, NULL);
  g_object_unref (put->web);
  g_object_unref (put->msg);
  g_object_unref (put->job);
  g_byte_array_unref (put->piece);
  g_clear_error (&put->error);
  g_free (put->owner);
  g_free (put);
}

/* Once the message ended and the job holds no piece of it, the upload is free for the next
 * request; a cut PUT /api/upload/NAME is thrown away (nobody knows its token). */
static void
put_maybe_free (Put *put)
{
  if (!put->finished || put->writing)
    return;
  if (put->upload)
    {
      put->upload->busy = FALSE;
      put->upload->active = g_get_monotonic_time ();
      if (put->one_shot || ferry_upload_job_is_over (put->job))
        {
          ferry_upload_job_abort (put->job);
          ferry_web_upload_forget (put->web, ferry_upload_job_get_token (put->job));
        }
    }
  put_free (put);
}

static void
put_pause (Put *put)
{
  if (put->paused || put->finished)
    return;
  put->paused = TRUE;
  soup_server_message_pause (put->msg);
}

static void
put_unpause (Put *put)
{
  if (!put->paused || put->finished)
    return;
  put->paused = FALSE;
  soup_server_message_unpause (put->msg);
}

/* The whole body is written (or failed): answers. */
static void
put_answer (Put *put)
{
  FerryWebUpload *upload = put->upload;

  put->answered = TRUE;
  if (put->error)
    ferry_web_reply_gerror (put->msg, put->error);
  else if (put->one_shot)
    {
      /* The finish takes over the upload, and answers. */
      put->upload = NULL;
      put->paused = FALSE;
      ferry_web_upload_finish (put->web, put->msg, upload,
                               put->has_sha256 ? put->sha256 : NULL, put->owner);
      return;
    }
  else
    ferry_web_upload_reply_offset (put->msg, put->job);
  put_unpause (put);
}

static void write_piece (Put *put);

static void
write_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Put *put = user_data;
  GError *error = NULL;

  put->writing = FALSE;
  if (!ferry_upload_job_write_finish (put->job, result, &error))
    {
      /* The job threw the upload away (a failed check), or it was stopped. */
      if (!put->error)
        put->error = error;
      else
        g_clear_error (&error);
      g_byte_array_set_size (put->piece, 0);
    }
  if (put->upload)
    put->upload->active = g_get_monotonic_time ();

  if (!put->error && put->piece->len > 0 &&
      (put->piece->len >= FERRY_WEB_UPLOAD_PIECE || put->body_done ||
       (put->finished && !put->one_shot)))
    write_piece (put);
  else if (put->body_done && !put->answered && !put->finished)
    put_answer (put);
  else
    put_unpause (put);
  put_maybe_free (put);
}

static void
write_piece (Put *put)
{
  g_autoptr(GBytes) bytes = NULL;
  guint64 offset = put->next;

  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&put->piece));
  put->piece = g_byte_array_sized_new (FERRY_WEB_UPLOAD_PIECE);
  put->next += g_bytes_get_size (bytes);
  put->writing = TRUE;
  ferry_upload_job_write_async (put->job, offset, bytes, write_cb, put);
}

static void
put_got_chunk_cb (SoupServerMessage *msg,
                  GBytes            *chunk,
                  gpointer           user_data)
{
  Put *put = user_data;
  gsize len;
  const guint8 *data = g_bytes_get_data (chunk, &len);

  if (put->error)
    return;
  if (len > put->end - put->next - put->piece->len)
    {
      put->error = g_error_new_literal (FERRY_ERROR, FERRY_ERROR_SIZE_MISMATCH,
                                        _("More data arrived than the upload announced."));
      g_byte_array_set_size (put->piece, 0);
      ferry_upload_job_abort (put->job);
      return;
    }
  g_byte_array_append (put->piece, data, (guint) len);
  if (put->piece->len < FERRY_WEB_UPLOAD_PIECE)
    return;
  if (put->writing)
    put_pause (put);
  else
    write_piece (put);
}

static void
put_finished_cb (SoupServerMessage *msg,
                 gpointer           user_data)
{
  Put *put = user_data;

  put->finished = TRUE;
  put->paused = FALSE;
  /* Cut: what arrived is still written, so that a resume goes on from there. */
  if (!put->writing && !put->error && put->piece->len > 0 && !put->one_shot)
    write_piece (put);
  put_maybe_free (put);
}

/* Begins streaming @msg's body into @upload, from @start to @end. */
static Put *
put_start (FerryWeb          *web,
           SoupServerMessage *msg,
           FerryWebUpload    *upload,
           guint64            start,
           guint64            end)
{
  Put *put = g_new0 (Put, 1);

  put->web = g_object_ref (web);
  put->msg = g_object_ref (msg);
  put->job = g_object_ref (upload->job);
  put->upload = upload;
  put->piece = g_byte_array_sized_new (FERRY_WEB_UPLOAD_PIECE);
  put->next = start;
  put->end = end;
  upload->busy = TRUE;
  g_object_set_data (G_OBJECT (msg), PUT_KEY, put);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (put_got_chunk_cb), put);
  g_signal_connect (msg, "finished", G_CALLBACK (put_finished_cb), put);
  return put;
}

/* The body is never kept: libsoup hands each chunk over and forgets it. */
static void
stream_body (SoupServerMessage *msg)
{
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
}

/* PUT /api/uploads/TOKEN */

static void
range_found (FerryWeb          *web,
             SoupServerMessage *msg,
             FerryWebUpload    *upload)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  guint64 size = ferry_upload_job_get_size (upload->job);
  guint64 offset = ferry_upload_job_get_offset (upload->job);
  goffset start;
  goffset end;
  goffset total;

  if (!soup_message_headers_get_content_range (headers, &start, &end, &total) ||
      total != (goffset) size || start < 0 || end < start || (guint64) end >= size ||
      (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
       soup_message_headers_get_content_length (headers) != end - start + 1))
    {
      ferry_web_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "BAD_REQUEST",
                             _("A part of an upload needs a Content-Range of its bytes, and "
                               "the upload's size."));
      return;
    }
  if ((guint64) start != offset)
    {
      ferry_web_upload_reply_conflict (msg, _("The server holds a different number of bytes; "
                                              "continue from its offset."),
                                       (gint64) offset);
      return;
    }
  put_start (web, msg, upload, (guint64) start, (guint64) end + 1);
}

void
ferry_web_upload_put_early (FerryWeb          *web,
                            SoupServerMessage *msg,
                            const char        *rest,
                            gpointer           user_data)
{
  stream_body (msg);
  ferry_web_upload_find (web, msg, rest, range_found);
}

/* PUT /api/upload/NAME */

typedef struct
{
  FerryWeb          *web;
  SoupServerMessage *msg;
  FerryUploadJob    *job;
  char              *owner;
  guint8             owner_hash[FERRY_CATALOGUE_HASH_SIZE];
  guint8             sha256[FERRY_SHA256_SIZE];
  gboolean           has_sha256;
  guint64            end;       /* the body's size; unknown (chunked): the job checks */
} OneShot;

static void
one_shot_begun_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  OneShot *one_shot = user_data;
  g_autoptr(GError) error = NULL;

  if (!ferry_upload_job_begin_finish (one_shot->job, result, &error))
    ferry_web_reply_gerror (one_shot->msg, error);
  else if (ferry_web_upload_ended (one_shot->msg))
    ferry_upload_job_abort (one_shot->job);
  else
    {
      FerryWebUpload *upload = ferry_web_upload_hold (one_shot->web, one_shot->msg,
                                                      one_shot->job, one_shot->owner_hash);
      Put *put = put_start (one_shot->web, one_shot->msg, upload, 0, one_shot->end);

      put->one_shot = TRUE;
      put->owner = g_steal_pointer (&one_shot->owner);
      put->has_sha256 = one_shot->has_sha256;
      memcpy (put->sha256, one_shot->sha256, FERRY_SHA256_SIZE);
    }
  ferry_web_upload_resume (one_shot->msg);
  g_object_unref (one_shot->web);
  g_object_unref (one_shot->msg);
  g_object_unref (one_shot->job);
  g_free (one_shot->owner);
  g_free (one_shot);
}

/* The request's owner, or a fresh one whose secret goes back in the answer. FALSE when it was
 * answered. */
static gboolean
one_shot_owner (SoupServerMessage *msg,
                OneShot           *one_shot)
{
  guint8 secret[FERRY_SHA256_SIZE];
  g_autoptr(GError) error = NULL;
  g_autoptr(GChecksum) checksum = NULL;
  gsize size = FERRY_CATALOGUE_HASH_SIZE;
  gboolean malformed;

  if (ferry_web_get_owner_hash (msg, one_shot->owner_hash, &malformed))
    return TRUE;
  if (malformed)
    return FALSE;
  if (!ferry_random_bytes (secret, sizeof secret, &error))
    {
      ferry_web_reply_gerror (msg, error);
      return FALSE;
    }
  one_shot->owner = ferry_sha256_to_hex (secret);
  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, secret, sizeof secret);
  g_checksum_get_digest (checksum, one_shot->owner_hash, &size);
  return TRUE;
}

void
ferry_web_upload_one_shot_early (FerryWeb          *web,
                                 SoupServerMessage *msg,
                                 const char        *rest,
                                 gpointer           user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *sha256 = soup_message_headers_get_one (headers, "X-Ferry-SHA256");
  g_autofree char *name = NULL;
  g_autofree char *uploader = NULL;
  OneShot *one_shot;
  guint64 size;

  stream_body (msg);
  if (strchr (rest, '/') || !(name = ferry_web_decode_segment (rest)))
    {
      ferry_web_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "INVALID_NAME",
                             _("The file's name is the address's last part, and it is "
                               "empty or not valid."));
      return;
    }
  switch (soup_message_headers_get_encoding (headers))
    {
    case SOUP_ENCODING_CONTENT_LENGTH:
      size = (guint64) soup_message_headers_get_content_length (headers);
      break;
    case SOUP_ENCODING_CHUNKED:
      /* Checked against the limits as it arrives. */
      size = FERRY_UPLOAD_JOB_SIZE_UNKNOWN;
      break;
    case SOUP_ENCODING_NONE:
      size = 0;
      break;
    default:
      ferry_web_reply_error (msg, SOUP_STATUS_LENGTH_REQUIRED, "BAD_REQUEST",
                             _("An upload needs a Content-Length or a chunked body."));
      return;
    }
  if (!(uploader = ferry_web_dup_uploader (msg, "curl")) ||
      !ferry_web_upload_check_room (web, msg))
    return;

  one_shot = g_new0 (OneShot, 1);
  if (sha256 && !ferry_sha256_from_hex (sha256, one_shot->sha256))
    {
      g_free (one_shot);
      ferry_web_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "BAD_REQUEST",
                             _("X-Ferry-SHA256 must be 64 hexadecimal digits."));
      return;
    }
  one_shot->has_sha256 = sha256 != NULL;
  if (!one_shot_owner (msg, one_shot))
    {
      g_free (one_shot->owner);
      g_free (one_shot);
      return;
    }
  one_shot->end = size;
  one_shot->web = g_object_ref (web);
  one_shot->msg = g_object_ref (msg);
  one_shot->job = ferry_web_upload_new_job (web, msg, uploader, one_shot->owner_hash);
  ferry_web_upload_pause (msg);
  ferry_upload_job_begin_async (one_shot->job, name, size, 0, 0, NULL, FALSE,
                                one_shot_begun_cb, one_shot);
}

/* Both PUTs, once the whole body arrived. */
void
ferry_web_upload_put_body (FerryWeb          *web,
                           SoupServerMessage *msg,
                           const char        *rest,
                           gpointer           user_data)
{
  Put *put = g_object_get_data (G_OBJECT (msg), PUT_KEY);

  if (!put)
    return;
  put->body_done = TRUE;
  if (put->error || (!put->writing && put->piece->len == 0))
    {
      put_answer (put);
      return;
    }
  put_pause (put);
  if (!put->writing)
    write_piece (put);
}
