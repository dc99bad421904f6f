/* ferry-session-download.c: FerrySessionDownload, sending a stored file, chunk by chunk
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-session"

#include "config.h"

#include "ferry-session-private.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ferry-error.h"
#include "ferry-chunk-reader.h"

struct _FerrySessionDownload
{
  GObject parent_instance;

  /* owned references */
  FerrySession      *session;
  GCancellable      *cancellable;     /* file I/O; cancelled when the session closes */
  FerryCatalogueRow *download_row;
  GInputStream      *download_stream;
  FerryChunkReader  *download_reader;  /* the blob, read ahead of the socket */
  GBytes            *download_chunk;   /* the DATA payload being sent */

  /* borrowed from the session, which this handler holds */
  FerryStore        *store;

  guint64            download_offset;
};

static void handler_iface_init (FerrySessionHandlerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FerrySessionDownload, ferry_session_download, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (FERRY_TYPE_SESSION_HANDLER,
                                                      handler_iface_init))

static void
ferry_session_download_finalize (GObject *object)
{
  FerrySessionDownload *self = FERRY_SESSION_DOWNLOAD (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->download_row, ferry_catalogue_row_unref);
  g_clear_object (&self->download_stream);
  g_clear_object (&self->download_reader);
  g_clear_pointer (&self->download_chunk, g_bytes_unref);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (ferry_session_download_parent_class)->finalize (object);
}

static void
ferry_session_download_class_init (FerrySessionDownloadClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ferry_session_download_finalize;
}

static void
ferry_session_download_init (FerrySessionDownload *self)
{
  self->cancellable = g_cancellable_new ();
}

FerrySessionHandler *
ferry_session_download_new (FerrySession *session)
{
  FerrySessionDownload *self = g_object_new (FERRY_TYPE_SESSION_DOWNLOAD, NULL);

  self->session = g_object_ref (session);
  self->store = session->store;
  return FERRY_SESSION_HANDLER (self);
}

/* Downloads. Each step checks that the session is still open before the next: a chunk read
 * from the disk while it closed is not sent. */

static void download_next (FerrySessionDownload *self);

static void
send_chunk_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(FerrySessionDownload) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!ferry_connection_send_finish (FERRY_CONNECTION (object), result, &error))
    {
      ferry_session_lost (self->session, error);
      return;
    }
  if (ferry_session_is_closing (self->session))
    return;
  ferry_session_touch (self->session);
  download_next (self);
}

static void
read_chunk_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(FerrySessionDownload) self = user_data;
  g_autoptr(GError) error = NULL;
  GBytes *chunk;
  gsize got;

  chunk = ferry_chunk_reader_next_finish (FERRY_CHUNK_READER (object), result, &error);
  if (ferry_session_is_closing (self->session))
    {
      g_clear_pointer (&chunk, g_bytes_unref);
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT))
    {
      ferry_session_fail (self->session,
                          g_error_new_literal (FERRY_ERROR, FERRY_ERROR_INTERNAL,
                                               _("The stored file is shorter than the "
                                                 "server's catalogue says.")));
      return;
    }
  if (error)
    {
      /* Translators: %s is the system's reason */
      ferry_session_fail_internal (self->session, _("The server could not read the file: %s"),
                                   error->message);
      return;
    }
  if (!chunk)
    {
      ferry_session_send_message (self->session, ferry_msg_end_new (self->download_row->sha256));
      g_debug ("%s: sent %s (“%s”)", self->session->peer, self->download_row->id,
               self->download_row->name);
      ferry_session_request_done (self->session);
      return;
    }

  got = g_bytes_get_size (chunk);
  g_clear_pointer (&self->download_chunk, g_bytes_unref);
  self->download_chunk = chunk;
  ferry_connection_send_data_async (self->session->connection, self->download_offset,
                                    g_bytes_get_data (chunk, NULL), got, NULL,
                                    send_chunk_cb, g_object_ref (self));
  self->download_offset += got;
}

static void
download_next (FerrySessionDownload *self)
{
  ferry_chunk_reader_next_async (self->download_reader, self->cancellable,
                                 read_chunk_cb, g_object_ref (self));
}

static void
open_blob_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(FerrySessionDownload) self = user_data;
  g_autoptr(GInputStream) stream = NULL;
  GError *error = NULL;

  stream = ferry_store_open_blob_finish (self->store, result, &error);
  if (ferry_session_is_closing (self->session))
    {
      g_clear_error (&error);
      return;
    }
  if (!stream)
    {
      /* NOT_FOUND, or a sentence that names no server path. */
      ferry_session_fail (self->session, error);
      return;
    }

  self->download_stream = g_steal_pointer (&stream);
  self->download_reader = ferry_chunk_reader_new (self->download_stream,
                                                  self->download_row->size - self->download_offset,
                                                  FERRY_CHUNK_SIZE, FERRY_CHUNK_DEPTH, FALSE);
  download_next (self);
}

static void
ferry_session_download_start (FerrySessionHandler *handler,
                              FerryFrame          *frame)
{
  FerrySessionDownload *self = FERRY_SESSION_DOWNLOAD (handler);
  FerrySession *session = self->session;
  g_autoptr(GVariant) value = NULL;
  FerryCatalogueRow *row;
  GError *error = NULL;
  const guint8 *if_sha256;
  const char *id;
  guint64 offset;

  if (!(value = ferry_message_parse (frame, &error)))
    {
      ferry_session_fail (session, error);
      return;
    }
  ferry_msg_download_get (value, &id, &offset, &if_sha256);

  row = ferry_hub_lookup (session->hub, id);
  if (!row)
    {
      ferry_session_fail (session, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                                                        _("No file with that id is shared.")));
      return;
    }
  if (offset > row->size)
    {
      ferry_session_fail (session, g_error_new (FERRY_ERROR, FERRY_ERROR_SIZE_MISMATCH,
                                                _("The download cannot start at byte %"
                                                  G_GUINT64_FORMAT " of a file of %"
                                                  G_GUINT64_FORMAT " bytes."),
                                                offset, row->size));
      return;
    }
  /* Like HTTP's If-Range: the bytes the client holds belong to other content, so it gets
   * all of this one; the first DATA frame's offset tells it so. */
  if (if_sha256 && memcmp (if_sha256, row->sha256, FERRY_SHA256_SIZE) != 0)
    offset = 0;

  self->download_row = ferry_catalogue_row_ref (row);
  self->download_offset = offset;
  g_debug ("%s: download of %s from byte %" G_GUINT64_FORMAT, session->peer, row->id, offset);
  session->answered = TRUE;
  ferry_session_set_timeout (session, FERRY_TRANSFER_TIMEOUT_S);

  ferry_session_send_offer (session, row, 0);

  ferry_store_open_blob_async (self->store, row->id, offset, self->cancellable,
                               open_blob_cb, g_object_ref (self));
}

static void
ferry_session_download_close (FerrySessionHandler *handler)
{
  FerrySessionDownload *self = FERRY_SESSION_DOWNLOAD (handler);

  /* Stops the file reads in progress, if any. */
  g_cancellable_cancel (self->cancellable);
  if (self->download_reader)
    ferry_chunk_reader_cancel (self->download_reader);
}

static void
handler_iface_init (FerrySessionHandlerInterface *iface)
{
  /* As for each chunk, so that a slow downloader still gets END. */
  iface->linger_seconds = FERRY_TRANSFER_TIMEOUT_S;
  iface->start = ferry_session_download_start;
  iface->close = ferry_session_download_close;
}
