/* ferry-transfer-download.c: receiving into NAME.part, verifying, then renaming
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-transfer"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ferry-transfer-private.h"
#include "ferry-error.h"
#include "ferry-filename.h"
#include "ferry-message.h"

/* ---- download -------------------------------------------------------------------------- */

/* The next frame is read from the connection while the previous chunk is written to the
 * .part file: at most one write and one frame read (or one frame waiting for the write) are in
 * flight. Chunks are checked and hashed in the order they arrive. */

static void download_read_next (FerryTransfer *self);
static void download_handle_frame (FerryTransfer *self, FerryFrame *frame);
static void download_take_waiting (FerryTransfer *self);
static void download_checkpoint (FerryTransfer *self);

/* Ends the transfer with the first failure once nothing is in flight any more. */
static void
download_finish_if_idle (FerryTransfer *self)
{
  if (!self->task || !self->bulk_error || self->n_running > 0)
    return;
  ferry_frame_clear (&self->waiting);
  self->has_waiting = FALSE;
  ferry_transfer_fail (self, g_steal_pointer (&self->bulk_error));
}

/* Takes @error. Keeps the first failure and stops the read; the write still in flight, if
 * any, comes back on its own. */
static void
download_fail (FerryTransfer *self,
               GError        *error)
{
  if (self->bulk_error)
    g_error_free (error);
  else
    {
      self->bulk_error = error;
      if (self->connection)
        ferry_connection_abort (self->connection);
    }
  download_finish_if_idle (self);
}

/* What the download is saved as, and where (@out_dir may be NULL): the offer's name made safe
 * in the folder the caller gave, or the name the caller gave. Numbered variants come from
 * this name. */
static void
download_wanted_name (FerryTransfer  *self,
                      GFile         **out_dir,
                      char          **out_name)
{
  if (self->flags & FERRY_DOWNLOAD_INTO_DIRECTORY)
    {
      if (out_dir)
        *out_dir = g_object_ref (self->destination);
      *out_name = ferry_filename_make_safe (self->name);
    }
  else
    {
      if (out_dir)
        *out_dir = g_file_get_parent (self->destination);
      *out_name = g_file_get_basename (self->destination);
    }
}

static void
download_committed_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = FERRY_TRANSFER (g_object_ref (object));
  g_autoptr(GFile) saved = NULL;
  GError *error = NULL;

  saved = g_task_propagate_pointer (G_TASK (result), &error);
  if (!saved)
    {
      ferry_transfer_fail (self, error);
      return;
    }
  g_clear_object (&self->part);
  if (!g_file_equal (saved, self->file))
    ferry_transfer_set_file (self, saved);
  ferry_transfer_finish (self, NULL);
}

static void
download_closed_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = user_data;
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;
  FerryDownloadCommit *data;

  if (!g_output_stream_close_finish (G_OUTPUT_STREAM (object), result, &error))
    {
      ferry_transfer_fail (self, error);
      return;
    }
  g_clear_object (&self->output);

  data = g_new0 (FerryDownloadCommit, 1);
  data->part = g_object_ref (self->part);
  data->final = g_object_ref (self->file);
  data->flags = self->is_folder ? self->flags & ~FERRY_DOWNLOAD_OVERWRITE : self->flags;
  download_wanted_name (self, NULL, &data->name);

  task = g_task_new (self, self->cancellable, download_committed_cb, NULL);
  g_task_set_source_tag (task, download_closed_cb);
  g_task_set_task_data (task, data, (GDestroyNotify) ferry_download_commit_free);
  /* A rename that happened is reported as done, even if a cancel came meanwhile. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_run_in_thread (task, ferry_download_commit_thread);
}

static void
download_end (FerryTransfer *self,
              GVariant      *end)
{
  guint8 digest[FERRY_SHA256_SIZE];
  const guint8 *announced = ferry_msg_end_get_sha256 (end);

  if (self->bytes_done != self->total)
    {
      ferry_transfer_fail (self, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_SIZE_MISMATCH,
                                                      _("The server ended the download early.")));
      return;
    }

  ferry_transfer_set_state (self, FERRY_TRANSFER_VERIFYING);
  ferry_checksum_finish (self->checksum, digest);

  if (memcmp (digest, ferry_offer_get_sha256 (self->offer), FERRY_SHA256_SIZE) != 0 ||
      memcmp (digest, announced, FERRY_SHA256_SIZE) != 0)
    {
      ferry_transfer_fail (self,
                           g_error_new (FERRY_ERROR, FERRY_ERROR_CHECKSUM,
                                        _("“%s” arrived damaged (checksum mismatch); nothing "
                                          "was saved."), self->name));
      return;
    }

  g_output_stream_close_async (self->output, G_PRIORITY_DEFAULT, self->cancellable,
                               download_closed_cb, g_object_ref (self));
}

/* The next frame is being read, or it came during the write (or checkpoint) and waits. */
static void
download_take_waiting (FerryTransfer *self)
{
  if (self->has_waiting)
    {
      g_auto(FerryFrame) frame = self->waiting;

      self->waiting = (FerryFrame) { 0 };
      self->has_waiting = FALSE;
      download_handle_frame (self, &frame);
    }
}

static void
download_checkpointed_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = g_object_ref (FERRY_TRANSFER (object));
  GError *error = NULL;

  self->n_running--;
  self->writing = FALSE;
  if (!ferry_transfer_checkpoint_finish (self, result, &error))
    {
      download_fail (self, error);
      return;
    }
  if (self->bulk_error)
    {
      download_finish_if_idle (self);
      return;
    }
  download_take_waiting (self);
}

/* At most once a second, after the bytes it covers are written: the sidecar is rewritten,
 * holding the next frame back as a write does. */
static void
download_checkpoint (FerryTransfer *self)
{
  self->writing = TRUE;
  self->n_running++;
  ferry_transfer_checkpoint_async (self, download_checkpointed_cb, NULL);
}

/* A chunk is written, then hashed, in a worker thread: the main loop goes on reading and
 * decrypting the next frame meanwhile. One chunk at a time, so the checksum sees the bytes
 * in order, and it counts exactly the bytes that reached NAME.part, even when a write fails
 * half-way (the sidecar left behind then still matches the file). */
typedef struct
{
  GOutputStream *output;
  FerryChecksum *checksum;   /* the transfer's, untouched by the main loop while writing */
  const guint8  *data;       /* in the transfer's buffer, kept until the write is back */
  gsize          len;
  gsize          written;
} WriteChunk;

static void
write_chunk_free (WriteChunk *chunk)
{
  g_object_unref (chunk->output);
  g_free (chunk);
}

static void
write_chunk_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  WriteChunk *chunk = task_data;
  GError *error = NULL;
  gboolean ok;

  ok = g_output_stream_write_all (chunk->output, chunk->data, chunk->len, &chunk->written,
                                  cancellable, &error);
  ferry_checksum_update (chunk->checksum, chunk->data, chunk->written);
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
download_written_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = FERRY_TRANSFER (g_object_ref (object));
  WriteChunk *chunk = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;

  self->n_running--;
  self->writing = FALSE;
  self->chunk_writing = FALSE;
  /* Counted even when the transfer is stopping: the sidecar it leaves covers these bytes. */
  ferry_transfer_add_progress (self, chunk->written);
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      download_fail (self, error);
      return;
    }
  if (self->bulk_error)
    {
      download_finish_if_idle (self);
      return;
    }
  if (g_get_monotonic_time () - self->sidecar_saved_usec >= G_USEC_PER_SEC)
    {
      download_checkpoint (self);
      return;
    }
  download_take_waiting (self);
}

static void
download_write_chunk (FerryTransfer *self,
                      const guint8  *data,
                      gsize          len)
{
  g_autoptr(GTask) task = NULL;
  WriteChunk *chunk = g_new0 (WriteChunk, 1);

  chunk->output = g_object_ref (self->output);
  chunk->checksum = self->checksum;
  chunk->data = data;
  chunk->len = len;
  self->writing = TRUE;
  self->chunk_writing = TRUE;
  self->n_running++;
  task = g_task_new (self, self->cancellable, download_written_cb, NULL);
  g_task_set_source_tag (task, download_write_chunk);
  g_task_set_task_data (task, chunk, (GDestroyNotify) write_chunk_free);
  /* The bytes written count even if a cancel came meanwhile. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_run_in_thread (task, write_chunk_thread);
}

/* Called with no write in flight and no read in flight. */
static void
download_handle_frame (FerryTransfer *self,
                       FerryFrame    *frame)
{
  g_autoptr(GVariant) v = NULL;
  GError *error = NULL;
  const guint8 *data;
  guint64 offset;
  gsize len;

  if (frame->type == FERRY_MSG_END)
    {
      if (!(v = ferry_expect_message (frame, FERRY_MSG_END, &error)))
        ferry_transfer_fail (self, error);
      else
        download_end (self, v);
      return;
    }

  if (frame->type != FERRY_MSG_DATA)
    {
      ferry_expect_message (frame, FERRY_MSG_DATA, &error);
      ferry_transfer_fail (self, error);
      return;
    }

  if (!ferry_data_parse (frame, &offset, &data, &len, &error))
    {
      ferry_transfer_fail (self, error);
      return;
    }
  if (offset != self->next_offset || len > self->total - self->next_offset)
    {
      ferry_transfer_fail (self,
                           g_error_new_literal (FERRY_ERROR, FERRY_ERROR_SIZE_MISMATCH,
                                                _("The server sent data out of order or past the "
                                                  "end of the file.")));
      return;
    }

  self->next_offset += len;
  /* The frame's payload stays alive in the buffer we hand to the write; the previous write
   * is back, so its buffer can go. */
  g_clear_pointer (&self->buffer, g_free);
  self->buffer = g_bytes_unref_to_data (g_steal_pointer (&frame->payload), &len);
  download_write_chunk (self, self->buffer + FERRY_DATA_HEADER_SIZE,
                        len - FERRY_DATA_HEADER_SIZE);
  download_read_next (self);
}

static void
download_frame_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = user_data;
  g_auto(FerryFrame) frame = { 0 };
  GError *error = NULL;

  self->n_running--;
  if (!ferry_connection_read_finish (FERRY_CONNECTION (object), result, &frame, &error))
    {
      download_fail (self, error);
      return;
    }
  if (self->bulk_error)
    {
      download_finish_if_idle (self);
      return;
    }

  /* One write at a time, in order: the frame waits for the write in flight, and nothing more
   * is read until then. */
  if (self->writing)
    {
      self->waiting = frame;
      frame = (FerryFrame) { 0 };
      self->has_waiting = TRUE;
      return;
    }
  download_handle_frame (self, &frame);
}

static void
download_read_next (FerryTransfer *self)
{
  self->n_running++;
  ferry_connection_read_async (self->connection, self->cancellable,
                               download_frame_cb, g_object_ref (self));
}

static void
download_prepared_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = g_object_ref (FERRY_TRANSFER (object));
  FerryDownloadPlace *data = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;

  /* A folder's NAME.part/, made before its writer failed, goes with the failed transfer. */
  if (data->is_folder && data->final)
    g_set_object (&self->part, data->part);
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      ferry_transfer_fail (self, error);
      return;
    }

  g_set_object (&self->part, data->part);
  self->output = g_steal_pointer (&data->output);
  g_clear_pointer (&self->sidecar, ferry_sidecar_free);
  self->sidecar = g_steal_pointer (&data->sidecar);
  ferry_transfer_set_file (self, data->final);

  if (g_cancellable_is_cancelled (self->cancellable))
    {
      ferry_transfer_fail (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, ""));
      return;
    }

  /* Resumed: the server starts after the bytes kept, hashed before the request. */
  if (data->fresh || !self->checksum)
    {
      g_clear_pointer (&self->checksum, ferry_checksum_free);
      self->checksum = ferry_checksum_new ();
    }
  self->next_offset = self->sidecar->count;
  self->bytes_done = self->sidecar->count;
  self->last_notify_bytes = self->bytes_done;
  self->last_notify_usec = g_get_monotonic_time ();
  self->sidecar_saved_usec = self->last_notify_usec;
  ferry_transfer_set_state (self, FERRY_TRANSFER_RUNNING);
  download_read_next (self);
}

static void
download_offer_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = user_data;
  g_autoptr(GVariant) v = NULL;
  g_autoptr(FerryOffer) offer = NULL;
  g_autoptr(GTask) task = NULL;
  FerryDownloadPlace *data;
  GError *error = NULL;

  v = ferry_dialer_request_finish (FERRY_DIALER (object), result, FERRY_MSG_OFFER,
                                   &self->connection, &error);
  if (!v)
    {
      ferry_transfer_fail (self, error);
      return;
    }

  offer = ferry_offer_new_from_variant (v);
  if (g_strcmp0 (ferry_offer_get_id (offer), self->offer_id) != 0)
    {
      ferry_transfer_fail (self,
                           g_error_new_literal (FERRY_ERROR, FERRY_ERROR_UNEXPECTED,
                                                _("The server answered with a different file.")));
      return;
    }
  ferry_transfer_set_offer (self, offer);
  ferry_transfer_set_name (self, ferry_offer_get_name (offer));
  ferry_transfer_set_total (self, ferry_offer_get_size (offer));

  self->is_folder = ferry_offer_is_folder (offer);
  self->folder_files = ferry_offer_get_folder_files (offer);
  self->folder_content = ferry_offer_get_folder_bytes (offer);

  data = g_new0 (FerryDownloadPlace, 1);
  data->is_folder = self->is_folder;
  data->size = ferry_offer_get_size (offer);
  data->folder_files = self->folder_files;
  data->folder_content = self->folder_content;
  data->destination = g_object_ref (self->destination);
  download_wanted_name (self, &data->dir, &data->name);
  data->flags = self->flags;
  data->offer = g_object_ref (offer);
  data->sidecar = ferry_sidecar_copy (self->sidecar);
  g_set_object (&data->part, self->part);
  data->output = g_steal_pointer (&self->output);

  task = g_task_new (self, self->cancellable, download_prepared_cb, NULL);
  g_task_set_source_tag (task, download_offer_cb);
  g_task_set_task_data (task, data, (GDestroyNotify) ferry_download_place_free);
  g_task_run_in_thread (task, ferry_download_place_thread);
}

static void
download_located_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = g_object_ref (FERRY_TRANSFER (object));
  g_autoptr(FerryDialer) dialer = g_steal_pointer (&self->dialer);
  GError *error = NULL;
  guint64 offset = 0;
  const guint8 *if_sha256 = NULL;

  if (!ferry_transfer_locate_finish (self, result, &error))
    {
      ferry_transfer_fail (self, error);
      return;
    }

  /* Resuming: from the bytes kept, if the offer still has the content they belong to. */
  if (self->part && self->checksum && self->sidecar->count > 0)
    {
      offset = self->sidecar->count;
      if_sha256 = self->sidecar->offer_sha256;
    }
  ferry_dialer_request_async (dialer, ferry_msg_download_new (self->offer_id, offset, if_sha256),
                              ferry_transfer_set_server_busy, self, self->cancellable,
                              download_offer_cb, g_object_ref (self));
}

void
ferry_transfer_start_download (FerryTransfer *self,
                               FerryDialer   *dialer)
{
  /* First what an earlier run left, then the request: hashing a long prefix would
   * otherwise keep a connection idle. */
  g_set_object (&self->dialer, dialer);
  ferry_transfer_locate_async (self, ferry_dialer_get_address (dialer), download_located_cb,
                               NULL);
}
