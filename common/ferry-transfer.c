/* ferry-transfer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-transfer"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ferry-transfer.h"
#include "ferry-checksum.h"
#include "ferry-client-private.h"
#include "ferry-error.h"
#include "ferry-filename.h"
#include "ferry-message.h"

#define PROGRESS_INTERVAL_USEC (200 * G_TIME_SPAN_MILLISECOND)

struct _FerryTransfer
{
  GObject parent_instance;

  /* owned references */
  GWeakRef            client;
  GFile              *file;          /* upload source, or download final file */
  GFile              *destination;   /* download: what the caller asked for */
  GFile              *part;          /* download: NAME.part while running */
  FerryOffer         *offer;
  char               *name;
  char               *offer_id;
  GError             *error;
  GCancellable       *cancellable;
  GTask              *task;
  FerryConnection    *connection;
  FerryChecksum      *checksum;
  GInputStream       *input;
  GOutputStream      *output;
  guint8             *buffer;

  FerryTransferDirection direction;
  FerryTransferState  state;
  FerryDownloadFlags  flags;
  guint64             bytes_done;
  guint64             total;
  double              rate;
  gint64              last_notify_usec;
  guint64             last_notify_bytes;
  gulong              cancel_id;
};

enum {
  PROP_0,
  PROP_DIRECTION,
  PROP_STATE,
  PROP_NAME,
  PROP_FILE,
  PROP_OFFER,
  PROP_BYTES_DONE,
  PROP_TOTAL,
  PROP_BYTES_PER_SECOND,
  PROP_FRACTION,
  PROP_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_ENUM_TYPE (FerryTransferDirection, ferry_transfer_direction,
                    G_DEFINE_ENUM_VALUE (FERRY_TRANSFER_UPLOAD, "upload"),
                    G_DEFINE_ENUM_VALUE (FERRY_TRANSFER_DOWNLOAD, "download"))

G_DEFINE_ENUM_TYPE (FerryTransferState, ferry_transfer_state,
                    G_DEFINE_ENUM_VALUE (FERRY_TRANSFER_PENDING, "pending"),
                    G_DEFINE_ENUM_VALUE (FERRY_TRANSFER_CONNECTING, "connecting"),
                    G_DEFINE_ENUM_VALUE (FERRY_TRANSFER_RUNNING, "running"),
                    G_DEFINE_ENUM_VALUE (FERRY_TRANSFER_VERIFYING, "verifying"),
                    G_DEFINE_ENUM_VALUE (FERRY_TRANSFER_DONE, "done"),
                    G_DEFINE_ENUM_VALUE (FERRY_TRANSFER_FAILED, "failed"),
                    G_DEFINE_ENUM_VALUE (FERRY_TRANSFER_CANCELLED, "cancelled"))

G_DEFINE_FINAL_TYPE (FerryTransfer, ferry_transfer, G_TYPE_OBJECT)

static void
ferry_transfer_dispose (GObject *object)
{
  FerryTransfer *self = FERRY_TRANSFER (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->connection);
  g_clear_object (&self->input);
  g_clear_object (&self->output);

  G_OBJECT_CLASS (ferry_transfer_parent_class)->dispose (object);
}

static void
ferry_transfer_finalize (GObject *object)
{
  FerryTransfer *self = FERRY_TRANSFER (object);

  g_weak_ref_clear (&self->client);
  g_clear_object (&self->file);
  g_clear_object (&self->destination);
  g_clear_object (&self->part);
  g_clear_object (&self->offer);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->offer_id, g_free);
  g_clear_pointer (&self->checksum, ferry_checksum_free);
  g_clear_pointer (&self->buffer, g_free);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (ferry_transfer_parent_class)->finalize (object);
}

static void
ferry_transfer_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  FerryTransfer *self = FERRY_TRANSFER (object);

  switch (prop_id)
    {
    case PROP_DIRECTION:
      g_value_set_enum (value, self->direction);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_FILE:
      g_value_set_object (value, self->file);
      break;
    case PROP_OFFER:
      g_value_set_object (value, self->offer);
      break;
    case PROP_BYTES_DONE:
      g_value_set_uint64 (value, self->bytes_done);
      break;
    case PROP_TOTAL:
      g_value_set_uint64 (value, self->total);
      break;
    case PROP_BYTES_PER_SECOND:
      g_value_set_double (value, self->rate);
      break;
    case PROP_FRACTION:
      g_value_set_double (value, ferry_transfer_get_fraction (self));
      break;
    case PROP_ERROR:
      g_value_set_boxed (value, self->error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_transfer_class_init (FerryTransferClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = ferry_transfer_dispose;
  object_class->finalize = ferry_transfer_finalize;
  object_class->get_property = ferry_transfer_get_property;

  properties[PROP_DIRECTION] =
    g_param_spec_enum ("direction", NULL, NULL, FERRY_TYPE_TRANSFER_DIRECTION,
                       FERRY_TRANSFER_UPLOAD, flags);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, FERRY_TYPE_TRANSFER_STATE,
                       FERRY_TRANSFER_PENDING, flags);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_FILE] = g_param_spec_object ("file", NULL, NULL, G_TYPE_FILE, flags);
  properties[PROP_OFFER] = g_param_spec_object ("offer", NULL, NULL, FERRY_TYPE_OFFER, flags);
  properties[PROP_BYTES_DONE] =
    g_param_spec_uint64 ("bytes-done", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[PROP_TOTAL] = g_param_spec_uint64 ("total", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[PROP_BYTES_PER_SECOND] =
    g_param_spec_double ("bytes-per-second", NULL, NULL, 0, G_MAXDOUBLE, 0, flags);
  properties[PROP_FRACTION] = g_param_spec_double ("fraction", NULL, NULL, 0, 1, 0, flags);
  properties[PROP_ERROR] = g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ferry_transfer_init (FerryTransfer *self)
{
  g_weak_ref_init (&self->client, NULL);
  self->cancellable = g_cancellable_new ();
}

FerryTransfer *
ferry_transfer_new_upload (FerryClient *client,
                           GFile       *file,
                           const char  *name)
{
  FerryTransfer *self = g_object_new (FERRY_TYPE_TRANSFER, NULL);

  g_weak_ref_set (&self->client, client);
  self->direction = FERRY_TRANSFER_UPLOAD;
  self->file = g_object_ref (file);
  if (name)
    self->name = g_strdup (name);
  else
    {
      g_autofree char *basename = g_file_get_basename (file);

      /* A name that is not UTF-8 on disk is shown and sent with replacement characters. */
      self->name = g_filename_display_name (basename ? basename : "file");
    }
  return self;
}

FerryTransfer *
ferry_transfer_new_download (FerryClient        *client,
                             const char         *offer_id,
                             GFile              *destination,
                             FerryDownloadFlags  flags)
{
  FerryTransfer *self = g_object_new (FERRY_TYPE_TRANSFER, NULL);
  FerryOffer *known;

  g_weak_ref_set (&self->client, client);
  self->direction = FERRY_TRANSFER_DOWNLOAD;
  self->offer_id = g_strdup (offer_id);
  self->destination = g_object_ref (destination);
  self->flags = flags;
  known = ferry_client_lookup_offer (client, offer_id);
  if (known)
    {
      self->name = g_strdup (ferry_offer_get_name (known));
      self->total = ferry_offer_get_size (known);
    }
  return self;
}

FerryTransferDirection
ferry_transfer_get_direction (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), 0);
  return self->direction;
}

FerryTransferState
ferry_transfer_get_state (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), 0);
  return self->state;
}

const char *
ferry_transfer_get_name (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), NULL);
  return self->name;
}

GFile *
ferry_transfer_get_file (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), NULL);
  return self->file;
}

FerryOffer *
ferry_transfer_get_offer (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), NULL);
  return self->offer;
}

guint64
ferry_transfer_get_bytes_done (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), 0);
  return self->bytes_done;
}

guint64
ferry_transfer_get_total (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), 0);
  return self->total;
}

double
ferry_transfer_get_fraction (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), 0);

  if (self->state == FERRY_TRANSFER_DONE)
    return 1.0;
  if (self->total == 0)
    return 0.0;
  return CLAMP ((double) self->bytes_done / (double) self->total, 0.0, 1.0);
}

double
ferry_transfer_get_bytes_per_second (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), 0);
  return self->rate;
}

gint64
ferry_transfer_get_seconds_left (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), -1);

  if (self->state != FERRY_TRANSFER_RUNNING || self->rate < 1.0 || self->total < self->bytes_done)
    return -1;
  return (gint64) ((double) (self->total - self->bytes_done) / self->rate + 0.5);
}

const GError *
ferry_transfer_get_error (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), NULL);
  return self->error;
}

gboolean
ferry_transfer_is_finished (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), TRUE);
  return self->state >= FERRY_TRANSFER_DONE;
}

void
ferry_transfer_cancel (FerryTransfer *self)
{
  g_return_if_fail (FERRY_IS_TRANSFER (self));
  g_cancellable_cancel (self->cancellable);
}

static void
set_state (FerryTransfer      *self,
           FerryTransferState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
}

static void
notify_progress (FerryTransfer *self,
                 gboolean       force)
{
  gint64 now = g_get_monotonic_time ();
  gint64 elapsed = now - self->last_notify_usec;

  if (!force && elapsed < PROGRESS_INTERVAL_USEC)
    return;

  if (elapsed > 0 && self->last_notify_usec > 0)
    {
      double sample = (double) (self->bytes_done - self->last_notify_bytes) * G_USEC_PER_SEC /
                      (double) elapsed;

      self->rate = self->rate > 0 ? 0.6 * self->rate + 0.4 * sample : sample;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_PER_SECOND]);
    }
  self->last_notify_usec = now;
  self->last_notify_bytes = self->bytes_done;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_DONE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
}

static void
add_progress (FerryTransfer *self,
              gsize          n)
{
  self->bytes_done += n;
  notify_progress (self, FALSE);
}

static void complete (FerryTransfer *self,
                      GTask         *task,
                      GError        *error);

typedef struct
{
  FerryTransfer *self;
  GTask         *task;
  GError        *error;
} Cleanup;

static void
cleanup_free (Cleanup *cleanup)
{
  g_object_unref (cleanup->self);
  g_object_unref (cleanup->task);
  g_free (cleanup);
}

static void
delete_part_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Cleanup *cleanup = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_file_delete_finish (G_FILE (object), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    g_warning ("Could not remove %s: %s", g_file_peek_path (G_FILE (object)), error->message);

  complete (cleanup->self, cleanup->task, cleanup->error);
  cleanup_free (cleanup);
}

static void
output_closed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Cleanup *cleanup = user_data;

  g_output_stream_close_finish (G_OUTPUT_STREAM (object), result, NULL);
  g_file_delete_async (cleanup->self->part, G_PRIORITY_DEFAULT, NULL, delete_part_cb, cleanup);
}

static void
complete (FerryTransfer *self,
          GTask         *task,
          GError        *error)
{
  g_clear_object (&self->output);
  g_clear_object (&self->part);

  if (error)
    {
      g_clear_error (&self->error);
      self->error = g_error_copy (error);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
      set_state (self, g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                         ? FERRY_TRANSFER_CANCELLED : FERRY_TRANSFER_FAILED);
      notify_progress (self, TRUE);
      g_task_return_error (task, error);
      return;
    }

  notify_progress (self, TRUE);
  set_state (self, FERRY_TRANSFER_DONE);
  g_task_return_boolean (task, TRUE);
}

/* The single exit: every path ends here exactly once. The caller hears of a failure only
 * after the .part file is gone, so nothing half-done is left on disk when it looks. */
static void
finish (FerryTransfer *self,
        GError        *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);

  g_return_if_fail (task != NULL);

  if (self->cancel_id)
    {
      g_cancellable_disconnect (g_task_get_cancellable (task), self->cancel_id);
      self->cancel_id = 0;
    }

  if (self->connection)
    {
      if (error)
        ferry_connection_abort (self->connection);
      else
        ferry_connection_close_async (self->connection, NULL, NULL, NULL);
      g_clear_object (&self->connection);
    }
  if (self->input)
    {
      g_input_stream_close_async (self->input, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      g_clear_object (&self->input);
    }
  g_clear_pointer (&self->buffer, g_free);

  if (error && self->part)
    {
      Cleanup *cleanup = g_new0 (Cleanup, 1);

      cleanup->self = g_object_ref (self);
      cleanup->task = g_steal_pointer (&task);
      cleanup->error = error;
      if (self->output && !g_output_stream_is_closed (self->output))
        g_output_stream_close_async (self->output, G_PRIORITY_DEFAULT, NULL,
                                     output_closed_cb, cleanup);
      else
        g_file_delete_async (self->part, G_PRIORITY_DEFAULT, NULL, delete_part_cb, cleanup);
      return;
    }

  complete (self, task, error);
}

/* Turns whatever went wrong into the error to report: our own cancel wins over the
 * connection errors it causes. */
static gboolean
failed (FerryTransfer *self,
        GError        *error)
{
  if (!error)
    return FALSE;
  if (g_cancellable_is_cancelled (self->cancellable))
    {
      g_error_free (error);
      error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                   _("The transfer was cancelled."));
    }
  finish (self, error);
  return TRUE;
}

static void
set_offer (FerryTransfer *self,
           FerryOffer    *offer)
{
  g_set_object (&self->offer, offer);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OFFER]);
}

/* ---- upload ---------------------------------------------------------------------------- */

static void upload_read_next (FerryTransfer *self);

static void
upload_committed_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = user_data;
  g_auto(FerryFrame) frame = { 0 };
  g_autoptr(GVariant) v = NULL;
  g_autoptr(FerryOffer) offer = NULL;
  GError *error = NULL;

  if (!ferry_connection_read_finish (FERRY_CONNECTION (object), result, &frame, &error))
    {
      failed (self, error);
      return;
    }
  if (!(v = ferry_expect_message (&frame, FERRY_MSG_OFFER, &error)))
    {
      failed (self, error);
      return;
    }
  offer = ferry_offer_new_from_variant (v);
  set_offer (self, offer);
  finish (self, NULL);
}

static void
upload_data_sent_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = user_data;
  GError *error = NULL;

  if (!ferry_connection_send_finish (FERRY_CONNECTION (object), result, &error))
    {
      failed (self, error);
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
  GError *error = NULL;
  gsize n = 0;
  guint64 offset = self->bytes_done;

  if (!g_input_stream_read_all_finish (G_INPUT_STREAM (object), result, &n, &error))
    {
      failed (self, error);
      return;
    }

  if (n == 0)
    {
      failed (self, g_error_new (FERRY_ERROR, FERRY_ERROR_SIZE_MISMATCH,
                                 _("“%s” became shorter while it was being uploaded."),
                                 self->name));
      return;
    }

  ferry_checksum_update (self->checksum, self->buffer, n);
  add_progress (self, n);
  ferry_connection_send_data_async (self->connection, offset, self->buffer, n,
                                    NULL, upload_data_sent_cb, g_object_ref (self));
}

static void
upload_read_next (FerryTransfer *self)
{
  guint8 digest[FERRY_SHA256_SIZE];
  gsize want;

  if (g_cancellable_is_cancelled (self->cancellable))
    {
      failed (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, ""));
      return;
    }

  if (self->bytes_done < self->total)
    {
      want = (gsize) MIN ((guint64) FERRY_CHUNK_SIZE, self->total - self->bytes_done);
      g_input_stream_read_all_async (self->input, self->buffer, want, G_PRIORITY_DEFAULT,
                                     self->cancellable, upload_chunk_read_cb,
                                     g_object_ref (self));
      return;
    }

  ferry_checksum_finish (self->checksum, digest);
  ferry_connection_send (self->connection,
                         ferry_message_encode (FERRY_MSG_END, 0,
                                               g_variant_new ("(@ay)",
                                                              ferry_variant_new_sha256 (digest))));
  set_state (self, FERRY_TRANSFER_VERIFYING);
  ferry_connection_read_async (self->connection, self->cancellable,
                               upload_committed_cb, g_object_ref (self));
}

static void
upload_accepted_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = user_data;
  g_auto(FerryFrame) frame = { 0 };
  g_autoptr(GVariant) v = NULL;
  GError *error = NULL;
  guint64 offset;

  if (!ferry_connection_read_finish (FERRY_CONNECTION (object), result, &frame, &error))
    {
      failed (self, error);
      return;
    }
  if (!(v = ferry_expect_message (&frame, FERRY_MSG_ACCEPT, &error)))
    {
      failed (self, error);
      return;
    }

  g_variant_get (v, "(&st)", NULL, &offset);
  if (offset != 0)
    {
      /* Resume arrives in a later version; version 1 servers always start at 0. */
      failed (self, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_UNEXPECTED,
                                         _("The server asked to resume an upload, which this "
                                           "version of Ferry cannot do yet.")));
      return;
    }

  self->checksum = ferry_checksum_new ();
  self->buffer = g_malloc (FERRY_CHUNK_SIZE);
  self->last_notify_usec = g_get_monotonic_time ();
  set_state (self, FERRY_TRANSFER_RUNNING);
  upload_read_next (self);
}

static GError *
too_large_error (FerryTransfer *self,
                 guint64        limit)
{
  g_autofree char *size = g_format_size (self->total);
  g_autofree char *max = g_format_size (limit);

  return g_error_new (FERRY_ERROR, FERRY_ERROR_TOO_LARGE,
                      _("“%s” is %s, over the server’s limit of %s."), self->name, size, max);
}

static void
upload_opened_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = user_data;
  FerryClient *client = FERRY_CLIENT (object);
  GError *error = NULL;
  guint64 limit;

  self->connection = ferry_client_open_finish (client, result, &error);
  if (!self->connection)
    {
      failed (self, error);
      return;
    }

  limit = ferry_client_get_max_file_size (client);
  if (limit > 0 && self->total > limit)
    {
      failed (self, too_large_error (self, limit));
      return;
    }

  ferry_connection_send (self->connection,
                         ferry_message_encode (FERRY_MSG_UPLOAD, 0,
                                               g_variant_new ("(sts@a{sv})", self->name,
                                                              self->total, "",
                                                              g_variant_new ("a{sv}", NULL))));
  ferry_connection_read_async (self->connection, self->cancellable,
                               upload_accepted_cb, g_object_ref (self));
}

static void
upload_file_opened_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = user_data;
  g_autoptr(FerryClient) client = g_weak_ref_get (&self->client);
  g_autoptr(GFileInfo) info = NULL;
  GError *error = NULL;
  guint64 limit;

  self->input = G_INPUT_STREAM (g_file_read_finish (G_FILE (object), result, &error));
  if (!self->input)
    {
      failed (self, error);
      return;
    }

  info = g_file_input_stream_query_info (G_FILE_INPUT_STREAM (self->input),
                                         G_FILE_ATTRIBUTE_STANDARD_SIZE, NULL, &error);
  if (!info)
    {
      failed (self, error);
      return;
    }
  self->total = (guint64) g_file_info_get_size (info);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL]);

  if (!client)
    {
      failed (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, ""));
      return;
    }

  /* Refuse before connecting when the limit is already known. */
  limit = ferry_client_get_max_file_size (client);
  if (limit > 0 && self->total > limit)
    {
      failed (self, too_large_error (self, limit));
      return;
    }

  ferry_client_open_async (client, self->cancellable, upload_opened_cb, g_object_ref (self));
}

static void
upload_file_info_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = user_data;
  g_autoptr(GFileInfo) info = NULL;
  GError *error = NULL;

  info = g_file_query_info_finish (G_FILE (object), result, &error);
  if (!info)
    {
      failed (self, error);
      return;
    }
  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    {
      failed (self, g_error_new (FERRY_ERROR, FERRY_ERROR_FAILED,
                                 _("“%s” is not a regular file; Ferry shares files, not folders "
                                   "or devices."), self->name));
      return;
    }

  g_file_read_async (self->file, G_PRIORITY_DEFAULT, self->cancellable,
                     upload_file_opened_cb, g_object_ref (self));
}

/* ---- download -------------------------------------------------------------------------- */

static void download_read_next (FerryTransfer *self);

static void
download_moved_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = user_data;
  GError *error = NULL;

  if (!g_file_move_finish (G_FILE (object), result, &error))
    {
      failed (self, error);
      return;
    }
  g_clear_object (&self->part);
  finish (self, NULL);
}

static void
download_closed_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = user_data;
  GError *error = NULL;
  GFileCopyFlags flags = G_FILE_COPY_NO_FALLBACK_FOR_MOVE;

  if (!g_output_stream_close_finish (G_OUTPUT_STREAM (object), result, &error))
    {
      failed (self, error);
      return;
    }
  g_clear_object (&self->output);

  if (self->flags & FERRY_DOWNLOAD_OVERWRITE)
    flags |= G_FILE_COPY_OVERWRITE;
  g_file_move_async (self->part, self->file, flags, G_PRIORITY_DEFAULT, self->cancellable,
                     NULL, NULL, download_moved_cb, g_object_ref (self));
}

static void
download_end (FerryTransfer *self,
              GVariant      *end)
{
  g_autoptr(GVariant) sha = NULL;
  guint8 digest[FERRY_SHA256_SIZE];
  gsize n;
  const guint8 *announced;

  if (self->bytes_done != self->total)
    {
      failed (self, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_SIZE_MISMATCH,
                                         _("The server ended the download early.")));
      return;
    }

  set_state (self, FERRY_TRANSFER_VERIFYING);
  ferry_checksum_finish (self->checksum, digest);
  g_variant_get (end, "(@ay)", &sha);
  announced = g_variant_get_fixed_array (sha, &n, 1);

  if (memcmp (digest, ferry_offer_get_sha256 (self->offer), FERRY_SHA256_SIZE) != 0 ||
      n != FERRY_SHA256_SIZE || memcmp (digest, announced, FERRY_SHA256_SIZE) != 0)
    {
      failed (self, g_error_new (FERRY_ERROR, FERRY_ERROR_CHECKSUM,
                                 _("“%s” arrived damaged (checksum mismatch); nothing was "
                                   "saved."), self->name));
      return;
    }

  g_output_stream_close_async (self->output, G_PRIORITY_DEFAULT, self->cancellable,
                               download_closed_cb, g_object_ref (self));
}

static void
download_written_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = user_data;
  GError *error = NULL;
  gsize written = 0;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, &written, &error))
    {
      failed (self, error);
      return;
    }
  add_progress (self, written);
  download_read_next (self);
}

static void
download_frame_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = user_data;
  g_auto(FerryFrame) frame = { 0 };
  g_autoptr(GVariant) v = NULL;
  GError *error = NULL;
  const guint8 *data;
  guint64 offset;
  gsize len;

  if (!ferry_connection_read_finish (FERRY_CONNECTION (object), result, &frame, &error))
    {
      failed (self, error);
      return;
    }

  if (frame.type == FERRY_MSG_END)
    {
      if (!(v = ferry_expect_message (&frame, FERRY_MSG_END, &error)))
        failed (self, error);
      else
        download_end (self, v);
      return;
    }

  if (frame.type != FERRY_MSG_DATA)
    {
      ferry_expect_message (&frame, FERRY_MSG_DATA, &error);
      failed (self, error);
      return;
    }

  if (!ferry_data_parse (&frame, &offset, &data, &len, &error))
    {
      failed (self, error);
      return;
    }
  if (offset != self->bytes_done || len > self->total - self->bytes_done)
    {
      failed (self, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_SIZE_MISMATCH,
                                         _("The server sent data out of order or past the end "
                                           "of the file.")));
      return;
    }

  ferry_checksum_update (self->checksum, data, len);
  /* The frame's payload stays alive in the buffer we hand to the write. */
  g_clear_pointer (&self->buffer, g_free);
  self->buffer = g_bytes_unref_to_data (g_steal_pointer (&frame.payload), &len);
  g_output_stream_write_all_async (self->output, self->buffer + FERRY_DATA_HEADER_SIZE,
                                   len - FERRY_DATA_HEADER_SIZE, G_PRIORITY_DEFAULT,
                                   self->cancellable, download_written_cb, g_object_ref (self));
}

static void
download_read_next (FerryTransfer *self)
{
  ferry_connection_read_async (self->connection, self->cancellable,
                               download_frame_cb, g_object_ref (self));
}

typedef struct
{
  GFile              *destination;
  char               *safe_name;
  FerryDownloadFlags  flags;
  GFile              *final;
  GFile              *part;
  GFileOutputStream  *output;
} PrepareData;

static void
prepare_data_free (PrepareData *data)
{
  g_clear_object (&data->destination);
  g_clear_pointer (&data->safe_name, g_free);
  g_clear_object (&data->final);
  g_clear_object (&data->part);
  g_clear_object (&data->output);
  g_free (data);
}

static GFile *
part_file_for (GFile *final)
{
  g_autofree char *path = g_file_get_path (final);
  g_autofree char *part_path = g_strconcat (path, ".part", NULL);

  return g_file_new_for_path (part_path);
}

/* In a worker thread: pick the final name and create NAME.part exclusively, so that two
 * downloads never pick the same name and nothing existing is touched. */
static void
prepare_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  PrepareData *data = task_data;
  g_autoptr(GFile) dir = NULL;
  g_autofree char *base = NULL;
  GError *error = NULL;

  if (data->flags & FERRY_DOWNLOAD_INTO_DIRECTORY)
    {
      dir = g_object_ref (data->destination);
      base = g_strdup (data->safe_name);
    }
  else
    {
      dir = g_file_get_parent (data->destination);
      base = g_file_get_basename (data->destination);
      if (!dir)
        {
          g_task_return_new_error (task, FERRY_ERROR, FERRY_ERROR_FAILED,
                                   _("Cannot save a download as the root folder."));
          return;
        }
    }

  for (guint n = 0; n < 10000; n++)
    {
      g_autofree char *candidate = ferry_filename_numbered (base, n);
      g_autoptr(GFile) final = g_file_get_child (dir, candidate);
      g_autoptr(GFile) part = part_file_for (final);
      GFileOutputStream *output;

      if (n == 0 && (data->flags & FERRY_DOWNLOAD_OVERWRITE))
        {
          output = g_file_replace (part, NULL, FALSE, G_FILE_CREATE_PRIVATE, cancellable, &error);
        }
      else
        {
          if (g_file_query_exists (final, cancellable))
            continue;
          output = g_file_create (part, G_FILE_CREATE_PRIVATE, cancellable, &error);
          if (!output && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
            {
              g_clear_error (&error);
              continue;
            }
        }

      if (!output)
        {
          g_task_return_error (task, error);
          return;
        }

      data->final = g_steal_pointer (&final);
      data->part = g_steal_pointer (&part);
      data->output = output;
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_task_return_new_error (task, FERRY_ERROR, FERRY_ERROR_FAILED,
                           _("Could not find a free file name for “%s”."), base);
}

static void
download_prepared_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = g_object_ref (FERRY_TRANSFER (object));
  PrepareData *data = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      failed (self, error);
      return;
    }

  self->part = g_steal_pointer (&data->part);
  self->output = G_OUTPUT_STREAM (g_steal_pointer (&data->output));
  g_set_object (&self->file, data->final);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILE]);

  if (g_cancellable_is_cancelled (self->cancellable))
    {
      failed (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, ""));
      return;
    }

  self->checksum = ferry_checksum_new ();
  self->last_notify_usec = g_get_monotonic_time ();
  set_state (self, FERRY_TRANSFER_RUNNING);
  download_read_next (self);
}

static void
download_offer_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = user_data;
  g_auto(FerryFrame) frame = { 0 };
  g_autoptr(GVariant) v = NULL;
  g_autoptr(FerryOffer) offer = NULL;
  g_autoptr(GTask) task = NULL;
  PrepareData *data;
  GError *error = NULL;

  if (!ferry_connection_read_finish (FERRY_CONNECTION (object), result, &frame, &error))
    {
      failed (self, error);
      return;
    }
  if (!(v = ferry_expect_message (&frame, FERRY_MSG_OFFER, &error)))
    {
      failed (self, error);
      return;
    }

  offer = ferry_offer_new_from_variant (v);
  if (g_strcmp0 (ferry_offer_get_id (offer), self->offer_id) != 0)
    {
      failed (self, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_UNEXPECTED,
                                         _("The server answered with a different file.")));
      return;
    }
  set_offer (self, offer);
  g_free (self->name);
  self->name = g_strdup (ferry_offer_get_name (offer));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
  self->total = ferry_offer_get_size (offer);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL]);

  data = g_new0 (PrepareData, 1);
  data->destination = g_object_ref (self->destination);
  data->safe_name = ferry_filename_make_safe (self->name);
  data->flags = self->flags;

  task = g_task_new (self, self->cancellable, download_prepared_cb, NULL);
  g_task_set_source_tag (task, download_offer_cb);
  g_task_set_task_data (task, data, (GDestroyNotify) prepare_data_free);
  g_task_run_in_thread (task, prepare_thread);
}

static void
download_opened_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = user_data;
  GError *error = NULL;

  self->connection = ferry_client_open_finish (FERRY_CLIENT (object), result, &error);
  if (!self->connection)
    {
      failed (self, error);
      return;
    }

  ferry_connection_send (self->connection,
                         ferry_message_encode (FERRY_MSG_DOWNLOAD, 0,
                                               g_variant_new ("(st)", self->offer_id,
                                                              (guint64) 0)));
  ferry_connection_read_async (self->connection, self->cancellable,
                               download_offer_cb, g_object_ref (self));
}

/* ---- running ----------------------------------------------------------------------------- */

static void
caller_cancelled_cb (GCancellable *cancellable,
                     gpointer      user_data)
{
  FerryTransfer *self = user_data;

  g_cancellable_cancel (self->cancellable);
}

void
ferry_transfer_run_async (FerryTransfer       *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(FerryClient) client = NULL;

  g_return_if_fail (FERRY_IS_TRANSFER (self));
  g_return_if_fail (self->state == FERRY_TRANSFER_PENDING);
  g_return_if_fail (self->task == NULL);

  self->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->task, ferry_transfer_run_async);
  if (cancellable)
    self->cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (caller_cancelled_cb),
                                             self, NULL);

  set_state (self, FERRY_TRANSFER_CONNECTING);

  client = g_weak_ref_get (&self->client);
  if (!client)
    {
      finish (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                         _("The transfer was cancelled.")));
      return;
    }
  ferry_client_track_transfer (client, self);

  if (self->direction == FERRY_TRANSFER_UPLOAD)
    g_file_query_info_async (self->file, G_FILE_ATTRIBUTE_STANDARD_TYPE,
                             G_FILE_QUERY_INFO_NONE, G_PRIORITY_DEFAULT, self->cancellable,
                             upload_file_info_cb, g_object_ref (self));
  else
    ferry_client_open_async (client, self->cancellable, download_opened_cb, g_object_ref (self));
}

gboolean
ferry_transfer_run_finish (FerryTransfer  *self,
                           GAsyncResult   *result,
                           GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
