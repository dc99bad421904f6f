/* ferry-session-upload.c: FerrySessionUpload, receiving a file into partial/TOKEN, then
 * committing it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-session"

#include "config.h"

#include "ferry-session-private.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ferry-error.h"
#include "ferry-folder-header.h"
#include "ferry-units.h"
#include "ferry-chunk-reader.h"
#include "ferry-chunk-writer.h"

typedef enum
{
  UPLOAD_PREPARING,    /* checking room and creating the partial file: no ACCEPT yet */
  UPLOAD_RECEIVING,
  UPLOAD_COMMITTING,   /* verified: runs to its end, whatever happens to the connection */
  UPLOAD_DONE,         /* committed, failed or discarded */
} UploadPhase;

struct _FerrySessionUpload
{
  GObject parent_instance;

  /* owned references */
  FerrySession   *session;
  GCancellable   *cancellable;     /* file I/O; cancelled when the session closes */
  char           *upload_token;
  char           *upload_name;
  char           *resume_token;    /* the UPLOAD's: a partial upload to continue */
  FerryBlobUpload *upload_blob;
  GOutputStream  *upload_stream;
  FerryChunkWriter *upload_writer; /* hashes and writes behind the socket */
  GBytes         *upload_chunk;    /* the DATA bytes waiting for room or being written */
  FerryFolderParser *folder_parser; /* a folder stream: checks its header as it arrives */

  /* borrowed from the session, which this handler holds */
  FerryStore     *store;
  const char     *peer_address;

  UploadPhase     phase;
  guint64         upload_size;
  guint64         upload_received;
  guint64         upload_ahead;    /* reserved in the store ahead of upload_received */
  guint64         upload_written;  /* charged to the store as written, until released */
  guint8          end_sha256[FERRY_SHA256_SIZE];  /* what the uploader's END says */
  gboolean        discard;         /* a failed check: the partial file goes, not kept */
  gboolean        is_folder;
  guint32         folder_files;
  guint64         folder_content;
};

static void handler_iface_init (FerrySessionHandlerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FerrySessionUpload, ferry_session_upload, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (FERRY_TYPE_SESSION_HANDLER,
                                                      handler_iface_init))

static void
ferry_session_upload_finalize (GObject *object)
{
  FerrySessionUpload *self = FERRY_SESSION_UPLOAD (object);

  if (self->upload_ahead > 0 || self->upload_written > 0)
    ferry_store_release (self->store, self->peer_address, self->upload_ahead,
                         self->upload_written);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->upload_token, g_free);
  g_clear_pointer (&self->upload_name, g_free);
  g_clear_pointer (&self->resume_token, g_free);
  g_clear_object (&self->upload_blob);
  g_clear_object (&self->upload_stream);
  g_clear_object (&self->upload_writer);
  g_clear_pointer (&self->upload_chunk, g_bytes_unref);
  g_clear_pointer (&self->folder_parser, ferry_folder_parser_free);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (ferry_session_upload_parent_class)->finalize (object);
}

static void
ferry_session_upload_class_init (FerrySessionUploadClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ferry_session_upload_finalize;
}

static void
ferry_session_upload_init (FerrySessionUpload *self)
{
  self->cancellable = g_cancellable_new ();
}

FerrySessionHandler *
ferry_session_upload_new (FerrySession *session)
{
  FerrySessionUpload *self = g_object_new (FERRY_TYPE_SESSION_UPLOAD, NULL);

  self->session = g_object_ref (session);
  self->store = session->store;
  self->peer_address = session->peer_address;
  return FERRY_SESSION_HANDLER (self);
}

static void
abort_upload_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  /* Holds the handler until the blob is gone. */
  g_autoptr(FerrySessionUpload) self G_GNUC_UNUSED = user_data;

  ferry_store_abort_upload_finish (FERRY_STORE (object), result);
}

/* Gives back what the upload holds in the store: its room ahead and the bytes written. */
static void
release_space (FerrySessionUpload *self)
{
  if (self->upload_ahead == 0 && self->upload_written == 0)
    return;
  ferry_store_release (self->store, self->peer_address, self->upload_ahead,
                       self->upload_written);
  self->upload_ahead = 0;
  self->upload_written = 0;
}

/* Lets go of the upload that was not committed: keeps it for resuming (PROTOCOL.md §5,
 * Upload, Resume) when @keep and the server keeps partial uploads, or throws it away. */
static void
end_upload (FerrySessionUpload *self,
            gboolean            keep)
{
  FerryPartials *partials = ferry_store_get_partials (self->store);
  g_autoptr(FerryBlobUpload) upload = g_steal_pointer (&self->upload_blob);

  keep = keep && ferry_partials_get_keep (partials) > 0;
  ferry_partials_end (partials, upload, keep);
  if (keep)
    {
      g_debug ("%s: keeping the unfinished upload %s", self->session->peer,
               ferry_blob_upload_get_token (upload));
      return;
    }
  g_debug ("%s: discarding the unfinished upload %s", self->session->peer,
           ferry_blob_upload_get_token (upload));
  ferry_store_abort_upload_async (self->store, upload, abort_upload_cb, g_object_ref (self));
}

/* Fails the upload after a failed check: its partial file goes (PROTOCOL.md §5, Upload). */
static void
fail_discarding (FerrySessionUpload *self,
                 GError             *error)
{
  self->discard = TRUE;
  ferry_session_fail (self->session, error);
}

/* FerrySessionHandler.close: throws away an upload that was not committed, its blob and what
 * it holds in the store, and stops its I/O. */
static void
ferry_session_upload_close (FerrySessionHandler *handler)
{
  FerrySessionUpload *self = FERRY_SESSION_UPLOAD (handler);

  /* A commit in flight finishes on its own and settles the reservation in commit_cb. */
  if (self->phase == UPLOAD_COMMITTING)
    return;
  self->phase = UPLOAD_DONE;
  /* Stops file writes and reservations waiting for room. */
  g_cancellable_cancel (self->cancellable);
  if (self->upload_writer)
    ferry_chunk_writer_cancel (self->upload_writer);
  release_space (self);
  if (!self->upload_blob)
    return;

  end_upload (self, !self->discard);
}

/* FerrySessionHandler.can_abort: a verified upload being committed finishes, and its OFFER
 * goes out, before the server stops. */
static gboolean
ferry_session_upload_can_abort (FerrySessionHandler *handler)
{
  return FERRY_SESSION_UPLOAD (handler)->phase != UPLOAD_COMMITTING;
}

/* Uploads. */

static void commit_cb (GObject *object, GAsyncResult *result, gpointer user_data);
static void check_cb (GObject *object, GAsyncResult *result, gpointer user_data);
static void flushed_cb (GObject *object, GAsyncResult *result, gpointer user_data);

/* The bytes all uploads hold queued behind the disk. Past this, each upload queues only one
 * chunk at a time, as before: many uploads at once must not make the server hold more. */
static FerryChunkBudget write_behind_budget = { 8 * FERRY_CHUNK_MAX, 0 };

static void
begin_upload_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(FerrySessionUpload) self = user_data;
  g_autoptr(FerryBlobUpload) upload = NULL;
  g_autoptr(FerryChecksum) checksum = NULL;
  GError *error = NULL;

  upload = ferry_partials_begin_finish (FERRY_PARTIALS (object), result, &checksum,
                                        &self->folder_parser, &error);

  if (self->phase == UPLOAD_DONE)
    {
      /* The upload exists if it won the race with the close: a kept one stays kept, a fresh
       * one (its token never sent) goes. */
      if (upload)
        {
          self->upload_blob = g_steal_pointer (&upload);
          self->upload_received = ferry_blob_upload_get_offset (self->upload_blob);
          end_upload (self, self->upload_received > 0);
        }
      g_clear_error (&error);
      return;
    }
  if (!upload)
    {
      /* The store's sentence names no server path. */
      ferry_session_fail (self->session, error);
      return;
    }

  self->upload_blob = g_steal_pointer (&upload);
  self->upload_token = g_strdup (ferry_blob_upload_get_token (self->upload_blob));
  self->upload_stream = g_object_ref (ferry_blob_upload_get_stream (self->upload_blob));
  self->upload_writer = ferry_chunk_writer_new (self->upload_stream,
                                                FERRY_CHUNK_DEPTH * FERRY_CHUNK_SIZE,
                                                &write_behind_budget, TRUE);
  /* The commit fsyncs the file: have the disk write it as it comes, not all at the end. */
  ferry_chunk_writer_set_writeback (self->upload_writer, 8 * 1024 * 1024);
  /* A continued upload: the SHA-256 goes on from the bytes the server holds. */
  ferry_chunk_writer_take_checksum (self->upload_writer, g_steal_pointer (&checksum));
  self->upload_received = ferry_blob_upload_get_offset (self->upload_blob);
  /* Refused for room, a continued upload stays kept; a fresh one goes. */
  self->discard = self->upload_received == 0;

  /* What is still to come must fit; nothing is reserved yet: room is reserved as the data
   * arrives (write_or_reserve). */
  ferry_store_check_upload_async (self->store, self->upload_size - self->upload_received,
                                  self->cancellable, check_cb, g_object_ref (self));
}

static void
check_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(FerrySessionUpload) self = user_data;
  GError *error = NULL;
  guint64 offset = self->upload_received;

  if (!ferry_store_check_upload_finish (FERRY_STORE (object), result, &error))
    {
      ferry_session_fail (self->session, error);
      return;
    }
  if (self->phase == UPLOAD_DONE)
    return;

  self->discard = FALSE;
  self->phase = UPLOAD_RECEIVING;
  self->session->answered = TRUE;
  ferry_session_set_timeout (self->session, FERRY_TRANSFER_TIMEOUT_S);
  if (offset > 0)
    g_debug ("%s: continuing the upload %s from byte %" G_GUINT64_FORMAT, self->session->peer,
             self->upload_token, offset);

  ferry_session_send_message (self->session,
                              ferry_msg_accept_new (self->upload_token, offset));
  ferry_session_read_next (self->session);
}

static void
ferry_session_upload_start (FerrySessionHandler *handler,
                            FerryFrame          *frame)
{
  FerrySessionUpload *self = FERRY_SESSION_UPLOAD (handler);
  guint64 max_file_size = self->session->config.max_file_size;
  g_autoptr(GVariant) value = NULL;
  FerryPartialRow want = { 0 };
  GError *error = NULL;
  const char *name;
  const char *token;
  guint64 size;

  if (!(value = ferry_message_parse (frame, &error)))
    {
      ferry_session_fail (self->session, error);
      return;
    }
  ferry_msg_upload_get (value, &name, &size, &token, &self->folder_files,
                        &self->folder_content);

  if (size > max_file_size || size > G_MAXINT64)
    {
      g_autofree char *have = ferry_format_size (size);
      g_autofree char *limit = ferry_format_size (max_file_size);

      ferry_session_fail (self->session, g_error_new (FERRY_ERROR, FERRY_ERROR_TOO_LARGE,
                                                      /* Translators: "report.iso is 5.0 GB,
                                                       * over this server's limit of 4.0 GB." */
                                                      _("%s is %s, over this server's limit "
                                                        "of %s."),
                                                      name, have, limit));
      return;
    }

  self->upload_size = size;
  self->upload_name = g_strdup (name);
  self->resume_token = *token ? g_strdup (token) : NULL;
  self->is_folder = self->folder_files > 0 || self->folder_content > 0;
  if (self->is_folder &&
      !ferry_folder_option_check (size, self->folder_files, self->folder_content, &error))
    {
      ferry_session_fail (self->session, error);
      return;
    }
  self->phase = UPLOAD_PREPARING;
  ferry_session_set_timeout (self->session, 0);

  want.name = self->upload_name;
  want.size = self->upload_size;
  want.is_folder = self->is_folder;
  want.folder_files = self->folder_files;
  want.folder_content = self->folder_content;
  memcpy (want.owner_hash, self->session->owner_hash, FERRY_SHA256_SIZE);
  ferry_partials_begin_async (ferry_store_get_partials (self->store), self->resume_token, &want,
                              self->cancellable, begin_upload_cb, g_object_ref (self));
}

static void
fail_write (FerrySessionUpload *self,
            const GError       *error)
{
  self->discard = TRUE;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
    ferry_session_fail (self->session,
                        g_error_new_literal (FERRY_ERROR, FERRY_ERROR_NO_SPACE,
                                             _("The server's disk is full.")));
  else
    /* Translators: %s is the system's reason */
    ferry_session_fail_internal (self->session, _("The server could not write the file: %s"),
                                 error->message);
}

static void
write_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(FerrySessionUpload) self = user_data;
  g_autoptr(GError) error = NULL;
  gsize written = g_bytes_get_size (self->upload_chunk);

  g_clear_pointer (&self->upload_chunk, g_bytes_unref);

  /* Done once the chunk is queued and there is room for the next; a write that failed
   * meanwhile is reported here, or at END. */
  if (!ferry_chunk_writer_push_finish (FERRY_CHUNK_WRITER (object), result, &error))
    {
      if (self->phase == UPLOAD_DONE)
        return;
      fail_write (self, error);
      return;
    }
  /* Discarded meanwhile: what was written went with the partial file. */
  if (self->phase == UPLOAD_DONE)
    return;

  self->upload_received += written;
  self->upload_ahead -= written;
  self->upload_written += written;
  ferry_store_charge (self->store, self->peer_address, written);
  ferry_session_touch (self->session);
  ferry_session_read_next (self->session);
}

static void
write_chunk (FerrySessionUpload *self)
{
  ferry_chunk_writer_push_async (self->upload_writer, self->upload_chunk, self->cancellable,
                                 write_cb, g_object_ref (self));
}

static void
reserve_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(FerrySessionUpload) self = user_data;
  GError *error = NULL;
  guint64 grant;

  grant = ferry_store_reserve_finish (FERRY_STORE (object), result, &error);

  if (self->phase == UPLOAD_DONE)
    {
      /* The upload was discarded while the room was being reserved. */
      if (grant > 0)
        ferry_store_release (self->store, self->peer_address, grant, 0);
      g_clear_error (&error);
      g_clear_pointer (&self->upload_chunk, g_bytes_unref);
      return;
    }
  if (grant == 0)
    {
      g_clear_pointer (&self->upload_chunk, g_bytes_unref);
      fail_discarding (self, error);
      return;
    }

  self->upload_ahead += grant;
  write_chunk (self);
}

/* Writes self->upload_chunk, reserving room for it first when the room ahead is used up: at
 * least the chunk, and up to FERRY_STORE_RESERVE_AHEAD (or the rest of the file) ahead. */
static void
write_or_reserve (FerrySessionUpload *self)
{
  guint64 len = g_bytes_get_size (self->upload_chunk);
  guint64 target;

  if (len <= self->upload_ahead)
    {
      write_chunk (self);
      return;
    }

  target = MIN (self->upload_size - self->upload_received,
                MAX (len, FERRY_STORE_RESERVE_AHEAD));
  ferry_store_reserve_async (self->store, self->peer_address,
                             len - self->upload_ahead, target - self->upload_ahead,
                             self->upload_size - self->upload_received,
                             self->cancellable, reserve_cb, g_object_ref (self));
}

static void
handle_data (FerrySessionUpload *self,
             FerryFrame         *frame)
{
  GError *error = NULL;
  const guint8 *payload;
  const guint8 *data;
  guint64 offset;
  gsize len;

  if (!ferry_data_parse (frame, &offset, &data, &len, &error))
    {
      fail_discarding (self, error);
      return;
    }

  if (offset != self->upload_received)
    {
      fail_discarding (self,
                       g_error_new (FERRY_ERROR, FERRY_ERROR_SIZE_MISMATCH,
                                    _("The data arrived at offset %" G_GUINT64_FORMAT
                                      " where the server expected offset %"
                                      G_GUINT64_FORMAT "."),
                                    offset, self->upload_received));
      return;
    }
  if (len > self->upload_size - self->upload_received)
    {
      fail_discarding (self,
                       g_error_new_literal (FERRY_ERROR, FERRY_ERROR_SIZE_MISMATCH,
                                            _("More data arrived than the upload "
                                              "announced.")));
      return;
    }

  /* A folder stream's header is checked as it arrives: a broken one ends the upload, and
   * closing throws the partial file away. */
  if (self->folder_parser && !ferry_folder_parser_is_done (self->folder_parser) &&
      !ferry_folder_parser_feed (self->folder_parser, data, len, NULL, &error))
    {
      fail_discarding (self, error);
      return;
    }

  payload = g_bytes_get_data (frame->payload, NULL);
  self->upload_chunk = g_bytes_new_from_bytes (frame->payload, data - payload, len);
  write_or_reserve (self);
}

static void
handle_end (FerrySessionUpload *self,
            FerryFrame         *frame)
{
  g_autoptr(GVariant) value = NULL;
  GError *error = NULL;

  if (!(value = ferry_message_parse (frame, &error)))
    {
      fail_discarding (self, error);
      return;
    }

  if (self->upload_received != self->upload_size)
    {
      fail_discarding (self, g_error_new (FERRY_ERROR, FERRY_ERROR_SIZE_MISMATCH,
                                             _("The upload ended after %" G_GUINT64_FORMAT
                                               " of %" G_GUINT64_FORMAT " bytes."),
                                             self->upload_received, self->upload_size));
      return;
    }

  if (self->folder_parser && !ferry_folder_parser_check_done (self->folder_parser, &error))
    {
      fail_discarding (self, error);
      return;
    }

  /* The chunks still queued are written and hashed first. */
  memcpy (self->end_sha256, ferry_msg_end_get_sha256 (value), FERRY_SHA256_SIZE);
  ferry_chunk_writer_flush_async (self->upload_writer, self->cancellable,
                                  flushed_cb, g_object_ref (self));
}

static void
flushed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(FerrySessionUpload) self = user_data;
  FerrySession *session = self->session;
  g_autoptr(FerryCatalogueRow) row = NULL;
  g_autoptr(GError) error = NULL;
  guint8 digest[FERRY_SHA256_SIZE];

  if (!ferry_chunk_writer_flush_finish (FERRY_CHUNK_WRITER (object), result, &error))
    {
      if (self->phase != UPLOAD_DONE)
        fail_write (self, error);
      return;
    }
  if (self->phase == UPLOAD_DONE)
    return;

  ferry_chunk_writer_get_digest (self->upload_writer, digest);
  if (memcmp (digest, self->end_sha256, FERRY_SHA256_SIZE) != 0)
    {
      fail_discarding (self, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_CHECKSUM,
                                                     _("The file arrived damaged: checksum "
                                                       "mismatch.")));
      return;
    }

  row = ferry_catalogue_row_new ();
  row->name = g_strdup (self->upload_name);
  row->size = self->upload_size;
  memcpy (row->sha256, digest, FERRY_SHA256_SIZE);
  row->uploader = g_strdup (session->user);
  memcpy (row->owner_hash, session->owner_hash, FERRY_SHA256_SIZE);
  row->created = g_get_real_time () / G_USEC_PER_SEC;
  row->expires = session->config.expire_seconds > 0
                 ? row->created + (gint64) session->config.expire_seconds : 0;
  row->is_folder = self->is_folder;
  row->folder_files = self->folder_files;
  row->folder_content = self->folder_content;

  self->phase = UPLOAD_COMMITTING;
  /* fsync of a big file may take a while; the client waits for OFFER. */
  ferry_session_set_timeout (session, 0);

  /* No cancellable: once the bytes are verified, the commit runs to its end even if the
   * client goes away, and the offer is then broadcast as usual. */
  ferry_store_commit_async (self->store, self->upload_blob, row,
                            NULL, commit_cb, g_object_ref (self));
}

static void
commit_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(FerrySessionUpload) self = user_data;
  FerrySession *session = self->session;
  g_autoptr(FerryCatalogueRow) row = NULL;
  g_autoptr(GError) error = NULL;

  row = ferry_store_commit_finish (self->store, result, &error);

  /* The blob is now counted as committed (or not at all): drop the reservation. */
  release_space (self);
  self->phase = UPLOAD_DONE;
  g_clear_object (&self->upload_stream);

  if (!row)
    {
      /* The unfinished blob may still be there. */
      if (self->upload_blob)
        end_upload (self, FALSE);
      if (ferry_session_is_closing (session))
        g_warning ("%s: %s", session->peer, error->message);
      else
        ferry_session_fail (session, g_steal_pointer (&error));
      return;
    }

  ferry_partials_committed (ferry_store_get_partials (self->store), self->upload_blob);
  g_clear_object (&self->upload_blob);
  {
    g_autofree char *user = ferry_session_log_name (session->user);
    g_autofree char *name = ferry_session_log_name (row->name);

    g_message ("%s (%s) shared “%s”, %" G_GUINT64_FORMAT " bytes, as %s",
               user, session->peer, name, row->size, row->id);
  }

  ferry_session_send_offer (session, row, 0);
  ferry_hub_publish_offer (session->hub, row);
  ferry_session_request_done (session);
}

static void
ferry_session_upload_handle_frame (FerrySessionHandler *handler,
                                   FerryFrame          *frame)
{
  FerrySessionUpload *self = FERRY_SESSION_UPLOAD (handler);

  if (self->phase == UPLOAD_RECEIVING && frame->type == FERRY_MSG_DATA)
    handle_data (self, frame);
  else if (self->phase == UPLOAD_RECEIVING && frame->type == FERRY_MSG_END)
    handle_end (self, frame);
  else
    ferry_session_fail_unexpected (self->session, frame->type);
}

static void
handler_iface_init (FerrySessionHandlerInterface *iface)
{
  /* As for each chunk, so that a slow uploader still gets its answer. */
  iface->linger_seconds = FERRY_TRANSFER_TIMEOUT_S;
  iface->start = ferry_session_upload_start;
  iface->handle_frame = ferry_session_upload_handle_frame;
  iface->close = ferry_session_upload_close;
  iface->can_abort = ferry_session_upload_can_abort;
}
