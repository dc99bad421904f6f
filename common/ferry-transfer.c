/* ferry-transfer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-transfer"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ferry-transfer-private.h"
#include "ferry-error.h"

#define PROGRESS_INTERVAL_USEC (200 * G_TIME_SPAN_MILLISECOND)

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
  PROP_SERVER_BUSY,
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
  g_clear_object (&self->reader);
  g_clear_object (&self->writer);
  g_clear_object (&self->input);
  g_clear_object (&self->output);
  g_clear_object (&self->dialer);

  G_OBJECT_CLASS (ferry_transfer_parent_class)->dispose (object);
}

static void
ferry_transfer_finalize (GObject *object)
{
  FerryTransfer *self = FERRY_TRANSFER (object);

  g_clear_pointer (&self->upload_token, g_free);
  g_weak_ref_clear (&self->queue);
  g_clear_object (&self->file);
  g_clear_object (&self->destination);
  g_clear_object (&self->part);
  g_clear_object (&self->offer);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->folder_first_skipped, g_free);
  g_clear_pointer (&self->offer_id, g_free);
  g_clear_pointer (&self->checksum, ferry_checksum_free);
  g_clear_pointer (&self->sidecar, ferry_sidecar_free);
  g_clear_pointer (&self->buffer, g_free);
  g_clear_pointer (&self->chunk, g_bytes_unref);
  g_clear_error (&self->error);
  g_clear_error (&self->reply_error);
  g_clear_error (&self->send_error);

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
    case PROP_SERVER_BUSY:
      g_value_set_boolean (value, self->server_busy);
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
  properties[PROP_SERVER_BUSY] = g_param_spec_boolean ("server-busy", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ferry_transfer_init (FerryTransfer *self)
{
  g_weak_ref_init (&self->queue, NULL);
  self->cancellable = g_cancellable_new ();
}

FerryTransfer *
ferry_transfer_new_upload (FerryTransferQueue *queue,
                           GFile              *file,
                           const char         *name)
{
  FerryTransfer *self = g_object_new (FERRY_TYPE_TRANSFER, NULL);

  g_weak_ref_set (&self->queue, queue);
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
ferry_transfer_new_download (FerryTransferQueue *queue,
                             const char         *offer_id,
                             FerryOffer         *known,
                             GFile              *destination,
                             FerryDownloadFlags  flags)
{
  FerryTransfer *self = g_object_new (FERRY_TYPE_TRANSFER, NULL);

  g_weak_ref_set (&self->queue, queue);
  self->direction = FERRY_TRANSFER_DOWNLOAD;
  self->offer_id = g_strdup (offer_id);
  self->destination = g_object_ref (destination);
  self->flags = flags;
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

gboolean
ferry_transfer_get_server_busy (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), FALSE);
  return self->server_busy;
}

void
ferry_transfer_set_server_busy (gpointer data,
                                gboolean busy)
{
  FerryTransfer *self = data;

  busy = !!busy;
  if (self->server_busy == busy)
    return;
  self->server_busy = busy;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVER_BUSY]);
}

const GError *
ferry_transfer_get_error (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), NULL);
  return self->error;
}

gboolean
ferry_transfer_get_resumable (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), FALSE);
  return self->part_kept;
}

void
ferry_transfer_set_resume (FerryTransfer *self,
                           gboolean       resume)
{
  g_return_if_fail (FERRY_IS_TRANSFER (self));
  self->no_resume = !resume;
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

  /* A queued transfer has nothing in flight to notice the cancel: end it here. */
  if (self->task && self->state == FERRY_TRANSFER_PENDING)
    ferry_transfer_finish (self,
                           g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                _("The transfer was cancelled.")));
}

void
ferry_transfer_set_state (FerryTransfer      *self,
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

void
ferry_transfer_add_progress (FerryTransfer *self,
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
download_stopped_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Cleanup *cleanup = user_data;

  ferry_transfer_download_stop_finish (cleanup->self, result);
  complete (cleanup->self, cleanup->task, cleanup->error);
  cleanup_free (cleanup);
}

static void
complete (FerryTransfer *self,
          GTask         *task,
          GError        *error)
{
  g_autoptr(FerryTransferQueue) queue = g_weak_ref_get (&self->queue);

  g_clear_object (&self->output);
  g_clear_object (&self->part);

  if (error)
    {
      g_clear_error (&self->error);
      self->error = g_error_copy (error);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
    }
  notify_progress (self, TRUE);
  if (!error)
    ferry_transfer_set_state (self, FERRY_TRANSFER_DONE);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    ferry_transfer_set_state (self, FERRY_TRANSFER_CANCELLED);
  else
    ferry_transfer_set_state (self, FERRY_TRANSFER_FAILED);

  /* Only now is the slot free for the next queued transfer. */
  if (queue)
    ferry_transfer_queue_done (queue, self);

  if (error)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* The single exit: every path ends here exactly once. The caller hears of a failure only
 * after the .part file is gone or kept with its sidecar for resuming, so nothing half-done
 * and unaccounted for is left on disk when it looks. */
void
ferry_transfer_finish (FerryTransfer *self,
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
      g_autoptr(FerryTransferQueue) queue = g_weak_ref_get (&self->queue);

      /* Answered in full: the connection carries the next request (keep-alive). */
      if (error)
        ferry_connection_abort (self->connection);
      else if (queue)
        ferry_dialer_release (ferry_transfer_queue_get_dialer (queue), self->connection);
      else
        ferry_connection_close_async (self->connection, NULL, NULL, NULL);
      g_clear_object (&self->connection);
    }
  if (self->writer)
    {
      ferry_chunk_writer_cancel (self->writer);
      g_clear_object (&self->writer);
    }
  if (self->reader)
    {
      ferry_chunk_reader_cancel (self->reader);
      g_clear_object (&self->reader);
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
      /* NAME.part (a file, or a folder's tree) is kept with its sidecar for the next run,
       * or removed (ferry-transfer-resume.c). */
      ferry_transfer_download_stop_async (self, error, download_stopped_cb, cleanup);
      return;
    }

  complete (self, task, error);
}

/* Turns whatever went wrong into the error to report: our own cancel wins over the
 * connection errors it causes. */
gboolean
ferry_transfer_fail (FerryTransfer *self,
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
  ferry_transfer_finish (self, error);
  return TRUE;
}

void
ferry_transfer_set_offer (FerryTransfer *self,
           FerryOffer    *offer)
{
  g_set_object (&self->offer, offer);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OFFER]);
}

void
ferry_transfer_set_total (FerryTransfer *self,
                          guint64        total)
{
  self->total = total;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL]);
}

void
ferry_transfer_set_name (FerryTransfer *self,
                         const char    *name)
{
  g_free (self->name);
  self->name = g_strdup (name);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
}

void
ferry_transfer_set_file (FerryTransfer *self,
                         GFile         *file)
{
  g_set_object (&self->file, file);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILE]);
}

/* ---- running ----------------------------------------------------------------------------- */

static gboolean
cancel_idle_cb (gpointer user_data)
{
  ferry_transfer_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
caller_cancelled_cb (GCancellable *cancellable,
                     gpointer      user_data)
{
  FerryTransfer *self = user_data;

  /* finish() disconnects this handler, which must not happen inside it: go through idle. */
  g_cancellable_cancel (self->cancellable);
  g_idle_add_full (G_PRIORITY_DEFAULT, cancel_idle_cb, g_object_ref (self), g_object_unref);
}

void
ferry_transfer_run_async (FerryTransfer       *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(FerryTransferQueue) queue = NULL;

  g_return_if_fail (FERRY_IS_TRANSFER (self));
  g_return_if_fail (self->state == FERRY_TRANSFER_PENDING);
  g_return_if_fail (self->task == NULL);

  self->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->task, ferry_transfer_run_async);
  if (cancellable)
    self->cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (caller_cancelled_cb),
                                             self, NULL);

  queue = g_weak_ref_get (&self->queue);
  if (!queue)
    {
      ferry_transfer_finish (self,
                             g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                  _("The transfer was cancelled.")));
      return;
    }
  ferry_transfer_queue_track (queue, self);
  /* It stays PENDING until the queue has a free transfer slot; then ferry_transfer_begin(). */
  ferry_transfer_queue_schedule (queue, self);
}

void
ferry_transfer_begin (FerryTransfer *self)
{
  g_autoptr(FerryTransferQueue) queue = g_weak_ref_get (&self->queue);

  g_return_if_fail (self->task != NULL);

  if (!queue || g_cancellable_is_cancelled (self->cancellable))
    {
      ferry_transfer_finish (self,
                             g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                  _("The transfer was cancelled.")));
      return;
    }

  ferry_transfer_set_state (self, FERRY_TRANSFER_CONNECTING);
  if (self->direction == FERRY_TRANSFER_UPLOAD)
    ferry_transfer_start_upload (self, ferry_transfer_queue_get_dialer (queue));
  else
    ferry_transfer_start_download (self, ferry_transfer_queue_get_dialer (queue));
}

gboolean
ferry_transfer_run_finish (FerryTransfer  *self,
                           GAsyncResult   *result,
                           GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
