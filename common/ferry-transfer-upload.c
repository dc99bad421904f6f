/* ferry-transfer-upload.c: sending a file, chunk by chunk, then waiting for the commit
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-transfer"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ferry-transfer-private.h"
#include "ferry-error.h"
#include "ferry-message.h"

/* ---- upload ---------------------------------------------------------------------------- */

#define SEND_ERROR_GRACE_SECONDS 3

static void upload_read_next (FerryTransfer *self);
static void upload_skipped_cb (GObject *object, GAsyncResult *result, gpointer user_data);
static void upload_send_from (FerryTransfer *self, FerryChecksum *checksum);
static GError *too_large_error (const char *name, guint64 size, guint64 limit);

/* An ERROR frame from the server (any wire code), as opposed to a local or socket failure. */
static gboolean
is_server_verdict (const GError *error)
{
  return error->domain == FERRY_ERROR &&
         error->code >= FERRY_ERROR_MALFORMED && error->code < FERRY_ERROR_CLOSED;
}

/* Ends the upload once nothing it started is still running: the server's ERROR wins over the
 * broken connection it causes. */
static void
upload_settle (FerryTransfer *self)
{
  if (!self->task)
    return;
  if (self->reply_error && !self->chain_pending)
    {
      if (ferry_transfer_upload_verdict (self, self->reply_error))
        {
          /* Starting over: the file changed since the upload was cut. */
          g_clear_error (&self->reply_error);
          g_clear_error (&self->send_error);
          g_clear_object (&self->reader);
          g_clear_pointer (&self->chunk, g_bytes_unref);
          if (self->connection)
            ferry_connection_abort (self->connection);
          g_clear_object (&self->connection);
          self->end_sent = FALSE;
          self->bytes_done = 0;
          ferry_transfer_upload_connect (self);
          return;
        }
      ferry_transfer_fail (self, g_steal_pointer (&self->reply_error));
    }
  else if (self->send_error && !self->reply_pending && !self->chain_pending)
    ferry_transfer_fail (self, g_steal_pointer (&self->send_error));
}

static void
upload_reply_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = user_data;
  g_autoptr(GVariant) v = NULL;
  g_autoptr(FerryOffer) offer = NULL;
  GError *error = NULL;

  self->reply_pending = FALSE;
  v = ferry_read_expected_finish (FERRY_CONNECTION (object), result, FERRY_MSG_OFFER, &error);
  if (!self->task)
    {
      g_clear_error (&error);
      return;
    }

  if (!v)
    {
      /* A send that failed first explains a connection that then ends without a verdict. */
      if (self->send_error && !is_server_verdict (error))
        g_clear_error (&error);
      else
        {
          g_clear_error (&self->send_error);
          self->reply_error = error;
          /* Stop sending: the send in flight fails at once and settles. */
          if (self->chain_pending && self->connection)
            ferry_connection_abort (self->connection);
        }
      upload_settle (self);
      return;
    }

  if (!self->end_sent)
    {
      self->reply_error = g_error_new_literal (FERRY_ERROR, FERRY_ERROR_UNEXPECTED,
                                               _("The server answered before the upload was "
                                                 "complete."));
      if (self->chain_pending && self->connection)
        ferry_connection_abort (self->connection);
      upload_settle (self);
      return;
    }

  offer = ferry_offer_new_from_variant (v);
  ferry_transfer_set_offer (self, offer);
  if (self->part_kept)
    ferry_transfer_upload_save_token (self, NULL);
  self->part_kept = FALSE;
  ferry_transfer_finish (self, NULL);
}

static gboolean
send_error_grace_cb (gpointer user_data)
{
  FerryTransfer *self = user_data;

  /* No verdict came after the send failed: stop waiting for one. */
  if (self->task && self->reply_pending && self->connection)
    ferry_connection_abort (self->connection);
  return G_SOURCE_REMOVE;
}

static void
upload_data_sent_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = user_data;
  GError *error = NULL;

  self->chain_pending = FALSE;
  if (!ferry_connection_send_finish (FERRY_CONNECTION (object), result, &error))
    {
      if (!self->task || self->reply_error)
        g_clear_error (&error);
      else if (!self->send_error)
        {
          /* The server may have said why before it closed: wait briefly for the read. */
          self->send_error = error;
          if (self->reply_pending)
            g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, SEND_ERROR_GRACE_SECONDS,
                                        send_error_grace_cb, g_object_ref (self),
                                        g_object_unref);
        }
      else
        g_clear_error (&error);
      upload_settle (self);
      return;
    }
  if (!self->task || self->reply_error)
    {
      upload_settle (self);
      return;
    }
  upload_read_next (self);
}

static void
upload_chunk_read_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = user_data;
  g_autoptr(GBytes) chunk = NULL;
  guint8 digest[FERRY_SHA256_SIZE];
  GError *error = NULL;
  guint64 offset = self->bytes_done;
  gsize n;

  self->chain_pending = FALSE;
  chunk = ferry_chunk_reader_next_finish (FERRY_CHUNK_READER (object), result, &error);
  if (!self->task || self->reply_error)
    {
      g_clear_error (&error);
      upload_settle (self);
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT))
    {
      g_clear_error (&error);
      ferry_transfer_fail (self, g_error_new (FERRY_ERROR, FERRY_ERROR_SIZE_MISMATCH,
                                              _("“%s” became shorter while it was being uploaded."),
                                              self->name));
      return;
    }
  if (error)
    {
      ferry_transfer_fail (self, error);
      return;
    }

  if (!chunk)
    {
      ferry_chunk_reader_get_digest (self->reader, digest);
      ferry_connection_send_message (self->connection, ferry_msg_end_new (digest));
      self->end_sent = TRUE;
      /* The read started at ACCEPT brings the verdict: OFFER, or ERROR. */
      ferry_transfer_set_state (self, FERRY_TRANSFER_VERIFYING);
      return;
    }

  n = g_bytes_get_size (chunk);
  ferry_transfer_add_progress (self, n);
  g_clear_pointer (&self->chunk, g_bytes_unref);
  self->chunk = g_steal_pointer (&chunk);
  self->chain_pending = TRUE;
  ferry_connection_send_data_async (self->connection, offset,
                                    g_bytes_get_data (self->chunk, NULL), n,
                                    NULL, upload_data_sent_cb, g_object_ref (self));
}

static void
upload_read_next (FerryTransfer *self)
{
  if (g_cancellable_is_cancelled (self->cancellable))
    {
      ferry_transfer_fail (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, ""));
      return;
    }

  /* The reader reads and hashes ahead on a worker thread while this chunk is sent. */
  self->chain_pending = TRUE;
  ferry_chunk_reader_next_async (self->reader, self->cancellable, upload_chunk_read_cb,
                                 g_object_ref (self));
}

static void
upload_accepted_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = user_data;
  g_autoptr(GVariant) v = NULL;
  GError *error = NULL;
  const char *token;
  guint64 offset;
  guint64 limit;

  v = ferry_dialer_request_finish (FERRY_DIALER (object), result, FERRY_MSG_ACCEPT,
                                   &self->connection, &error);
  limit = ferry_dialer_get_max_file_size (FERRY_DIALER (object));
  if (g_error_matches (error, FERRY_ERROR, FERRY_ERROR_TOO_LARGE) && limit > 0)
    {
      /* The limit came with this connection's WELCOME: the same sentence as the pre-check. */
      g_clear_error (&error);
      error = too_large_error (self->name, self->total, limit);
    }
  if (!v)
    {
      ferry_transfer_fail (self, error);
      return;
    }

  ferry_msg_accept_get (v, &token, &offset);
  if (offset > self->total)
    {
      ferry_transfer_fail (self,
                           g_error_new_literal (FERRY_ERROR, FERRY_ERROR_UNEXPECTED,
                                                _("The server asked to continue the upload "
                                                  "from a point the file does not have.")));
      return;
    }
  /* The server keeps what arrives if the upload is cut: the token continues it. */
  if (ferry_dialer_get_keep_partial (FERRY_DIALER (object)) > 0)
    {
      ferry_transfer_upload_save_token (self, token);
      self->part_kept = TRUE;
    }
  self->resumed_from = offset;
  if (offset == 0)
    {
      upload_send_from (self, NULL);
      return;
    }
  ferry_transfer_upload_skip_async (self, offset, upload_skipped_cb, g_object_ref (self));
}

static void
upload_skipped_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = user_data;
  FerryChecksum *checksum;
  GError *error = NULL;

  checksum = ferry_transfer_upload_skip_finish (self, result, &error);
  if (!checksum)
    {
      ferry_transfer_fail (self, error);
      return;
    }
  upload_send_from (self, checksum);
}

/* Sends the file from self->resumed_from on; @checksum (taken) holds the bytes before. */
static void
upload_send_from (FerryTransfer *self,
                  FerryChecksum *checksum)
{
  self->reader = ferry_chunk_reader_new (self->input, self->total - self->resumed_from,
                                         FERRY_CHUNK_SIZE, FERRY_CHUNK_DEPTH, TRUE);
  if (checksum)
    ferry_chunk_reader_take_checksum (self->reader, checksum);
  self->bytes_done = self->resumed_from;
  self->last_notify_usec = g_get_monotonic_time ();
  ferry_transfer_set_state (self, FERRY_TRANSFER_RUNNING);

  /* Listen while sending: the server's ERROR must not be lost in a reset. */
  self->reply_pending = TRUE;
  ferry_connection_read_async (self->connection, self->cancellable,
                               upload_reply_cb, g_object_ref (self));
  upload_read_next (self);
}

/* ---- pre-checks: the only copy; the app and the CLI show these sentences as they are ----- */

static GError *
too_large_error (const char *name,
                 guint64     size,
                 guint64     limit)
{
  g_autofree char *size_text = g_format_size (size);
  g_autofree char *limit_text = g_format_size (limit);

  /* Translators: "“a.iso” is 2.1 GB, and this server accepts files up to 1.0 GB." */
  return g_error_new (FERRY_ERROR, FERRY_ERROR_TOO_LARGE,
                      _("“%s” is %s, and this server accepts files up to %s."),
                      name, size_text, limit_text);
}

typedef struct
{
  char    *name;
  guint64  limit;
} CheckData;

/* What the check's task returns. */
enum
{
  CHECKED_FILE = 1,
  CHECKED_FOLDER = 2,
};

static void
check_data_free (CheckData *data)
{
  g_free (data->name);
  g_free (data);
}

static void
upload_check_info_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CheckData *data = g_task_get_task_data (task);
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  guint64 size;

  info = g_file_query_info_finish (G_FILE (object), result, &error);
  if (!info)
    {
      g_autofree char *reason = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        {
          g_task_return_new_error (task, FERRY_ERROR, FERRY_ERROR_FAILED,
                                   _("“%s” can’t be read: there is no such file."),
                                   data->name);
          return;
        }
      reason = ferry_error_reason (error->message);
      /* Translators: %s is a file name, then why it can't be read */
      g_task_return_new_error (task, FERRY_ERROR, FERRY_ERROR_FAILED,
                               _("“%s” can’t be read: %s."), data->name, reason);
      return;
    }

  switch (g_file_info_get_file_type (info))
    {
    case G_FILE_TYPE_REGULAR:
      break;
    case G_FILE_TYPE_DIRECTORY:
      /* Shared as one offer; its size is known only once it has been walked. */
      g_task_return_int (task, CHECKED_FOLDER);
      return;
    case G_FILE_TYPE_UNKNOWN:
    case G_FILE_TYPE_SYMBOLIC_LINK:
    case G_FILE_TYPE_SPECIAL:
    case G_FILE_TYPE_SHORTCUT:
    case G_FILE_TYPE_MOUNTABLE:
    default:
      g_task_return_new_error (task, FERRY_ERROR, FERRY_ERROR_FAILED,
                               _("“%s” is not a regular file or a folder; Ferry does not "
                                 "share devices."), data->name);
      return;
    }

  if (g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_ACCESS_CAN_READ) &&
      !g_file_info_get_attribute_boolean (info, G_FILE_ATTRIBUTE_ACCESS_CAN_READ))
    {
      g_task_return_new_error (task, FERRY_ERROR, FERRY_ERROR_FAILED,
                               _("“%s” can’t be read: you don’t have permission to read it."),
                               data->name);
      return;
    }

  size = (guint64) g_file_info_get_size (info);
  if (data->limit > 0 && size > data->limit)
    {
      g_task_return_error (task, too_large_error (data->name, size, data->limit));
      return;
    }
  g_task_return_int (task, CHECKED_FILE);
}

void
ferry_upload_check_async (gpointer             source_object,
                          GFile               *file,
                          const char          *name,
                          guint64              limit,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GTask *task = g_task_new (source_object, cancellable, callback, user_data);
  CheckData *data = g_new0 (CheckData, 1);

  g_task_set_source_tag (task, ferry_upload_check_async);
  data->name = name ? g_strdup (name) : ferry_file_display_basename (file);
  data->limit = limit;
  g_task_set_task_data (task, data, (GDestroyNotify) check_data_free);
  g_file_query_info_async (file,
                           G_FILE_ATTRIBUTE_STANDARD_TYPE ","
                           G_FILE_ATTRIBUTE_STANDARD_SIZE ","
                           G_FILE_ATTRIBUTE_ACCESS_CAN_READ,
                           G_FILE_QUERY_INFO_NONE, G_PRIORITY_DEFAULT, cancellable,
                           upload_check_info_cb, task);
}

gboolean
ferry_upload_check_finish (GAsyncResult  *result,
                           gboolean      *out_is_folder,
                           GError       **error)
{
  gssize checked = g_task_propagate_int (G_TASK (result), error);

  if (out_is_folder)
    *out_is_folder = checked == CHECKED_FOLDER;
  return checked > 0;
}

char *
ferry_file_display_basename (GFile *file)
{
  g_autofree char *basename = g_file_get_basename (file);

  return basename ? g_filename_display_name (basename) : g_file_get_parse_name (file);
}

static void
upload_located_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = user_data;

  ferry_transfer_upload_locate_finish (self, result);
  ferry_transfer_upload_connect (self);
}

static void
upload_file_info_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = user_data;
  g_autoptr(GFileInfo) info = NULL;
  GError *error = NULL;

  info = g_file_input_stream_query_info_finish (G_FILE_INPUT_STREAM (object), result, &error);
  if (!info)
    {
      ferry_transfer_fail (self, error);
      return;
    }
  ferry_transfer_set_total (self, (guint64) g_file_info_get_size (info));
  self->upload_mtime = (gint64) g_file_info_get_attribute_uint64 (info,
                                                                  G_FILE_ATTRIBUTE_TIME_MODIFIED);
  ferry_transfer_upload_prepare (self);
}

void
ferry_transfer_upload_prepare (FerryTransfer *self)
{
  ferry_transfer_upload_locate_async (self, upload_located_cb, g_object_ref (self));
}

void
ferry_transfer_upload_connect (FerryTransfer *self)
{
  g_autoptr(FerryTransferQueue) queue = g_weak_ref_get (&self->queue);
  FerryDialer *dialer;
  guint64 limit;

  if (!queue)
    {
      ferry_transfer_fail (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, ""));
      return;
    }

  /* Refuse before connecting when the limit is already known (the file may have grown since
   * the pre-check). */
  dialer = ferry_transfer_queue_get_dialer (queue);
  limit = ferry_dialer_get_max_file_size (dialer);
  if (limit > 0 && self->total > limit)
    {
      ferry_transfer_fail (self, too_large_error (self->name, self->total, limit));
      return;
    }

  /* The server refuses a file over its limit (TOO_LARGE) before ACCEPT, if the limit was not
   * known yet. */
  ferry_dialer_request_async (dialer, ferry_msg_upload_new (self->name, self->total,
                                                    self->upload_token ? self->upload_token : "",
                                                    self->folder_files, self->folder_content),
                              ferry_transfer_set_server_busy, self, self->cancellable,
                              upload_accepted_cb, g_object_ref (self));
}

static void
upload_file_opened_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = user_data;
  GError *error = NULL;

  self->input = G_INPUT_STREAM (g_file_read_finish (G_FILE (object), result, &error));
  if (!self->input)
    {
      ferry_transfer_fail (self, error);
      return;
    }

  /* The size of what was opened, which is what will be sent. */
  g_file_input_stream_query_info_async (G_FILE_INPUT_STREAM (self->input),
                                        G_FILE_ATTRIBUTE_STANDARD_SIZE ","
                                        G_FILE_ATTRIBUTE_TIME_MODIFIED, G_PRIORITY_DEFAULT,
                                        self->cancellable, upload_file_info_cb,
                                        g_object_ref (self));
}

static void
upload_checked_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = user_data;
  GError *error = NULL;
  gboolean is_folder = FALSE;

  if (!ferry_upload_check_finish (result, &is_folder, &error))
    {
      ferry_transfer_fail (self, error);
      return;
    }
  if (is_folder)
    {
      ferry_transfer_start_folder_upload (self);
      return;
    }

  g_file_read_async (self->file, G_PRIORITY_DEFAULT, self->cancellable,
                     upload_file_opened_cb, g_object_ref (self));
}

void
ferry_transfer_start_upload (FerryTransfer *self,
                             FerryDialer   *dialer)
{
  ferry_upload_check_async (NULL, self->file, self->name,
                            ferry_dialer_get_max_file_size (dialer), self->cancellable,
                            upload_checked_cb, g_object_ref (self));
}
