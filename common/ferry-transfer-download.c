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

typedef struct
{
  GFile              *part;
  GFile              *final;
  char               *name;
  FerryDownloadFlags  flags;
} CommitData;

static void
commit_data_free (CommitData *data)
{
  g_clear_object (&data->part);
  g_clear_object (&data->final);
  g_clear_pointer (&data->name, g_free);
  g_free (data);
}

/* In a worker thread: NAME.part becomes NAME. Never over an existing file, unless the person
 * chose to replace it: if NAME appeared meanwhile, the next free "name (N).ext" is taken. */
static void
commit_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  CommitData *data = task_data;
  GError *error = NULL;
  GFile *saved;

  if (data->flags & FERRY_DOWNLOAD_OVERWRITE)
    {
      if (!g_file_move (data->part, data->final,
                        G_FILE_COPY_OVERWRITE | G_FILE_COPY_NO_FALLBACK_FOR_MOVE,
                        cancellable, NULL, NULL, &error))
        {
          g_task_return_error (task, error);
          return;
        }
      saved = g_object_ref (data->final);
    }
  else
    {
      saved = ferry_filename_rename_unique (data->part, data->final, data->name, cancellable,
                                            &error);
      if (!saved)
        {
          g_task_return_error (task, error);
          return;
        }
    }
  g_task_return_pointer (task, saved, g_object_unref);
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
  CommitData *data;

  if (!g_output_stream_close_finish (G_OUTPUT_STREAM (object), result, &error))
    {
      ferry_transfer_fail (self, error);
      return;
    }
  g_clear_object (&self->output);

  data = g_new0 (CommitData, 1);
  data->part = g_object_ref (self->part);
  data->final = g_object_ref (self->file);
  data->flags = self->flags;
  download_wanted_name (self, NULL, &data->name);

  task = g_task_new (self, self->cancellable, download_committed_cb, NULL);
  g_task_set_source_tag (task, download_closed_cb);
  g_task_set_task_data (task, data, (GDestroyNotify) commit_data_free);
  /* A rename that happened is reported as done, even if a cancel came meanwhile. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_run_in_thread (task, commit_thread);
}

static void
download_flushed_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = user_data;
  guint8 digest[FERRY_SHA256_SIZE];
  GError *error = NULL;

  if (!ferry_chunk_writer_flush_finish (FERRY_CHUNK_WRITER (object), result, &error))
    {
      ferry_transfer_fail (self, error);
      return;
    }
  if (!self->task)
    return;

  ferry_chunk_writer_get_digest (self->writer, digest);
  if (memcmp (digest, ferry_offer_get_sha256 (self->offer), FERRY_SHA256_SIZE) != 0 ||
      memcmp (digest, self->end_sha256, FERRY_SHA256_SIZE) != 0)
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

static void
download_end (FerryTransfer *self,
              GVariant      *end)
{
  if (self->bytes_done != self->total)
    {
      ferry_transfer_fail (self, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_SIZE_MISMATCH,
                                                      _("The server ended the download early.")));
      return;
    }

  ferry_transfer_set_state (self, FERRY_TRANSFER_VERIFYING);
  /* The chunks still queued are hashed and written first. */
  memcpy (self->end_sha256, ferry_msg_end_get_sha256 (end), FERRY_SHA256_SIZE);
  ferry_chunk_writer_flush_async (self->writer, self->cancellable,
                                  download_flushed_cb, g_object_ref (self));
}

static void
download_written_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = user_data;
  GError *error = NULL;
  gsize written = g_bytes_get_size (self->chunk);

  self->n_running--;
  self->writing = FALSE;
  g_clear_pointer (&self->chunk, g_bytes_unref);
  /* Back once the chunk is queued and there is room for the next one. */
  if (!ferry_chunk_writer_push_finish (FERRY_CHUNK_WRITER (object), result, &error))
    {
      download_fail (self, error);
      return;
    }
  if (self->bulk_error)
    {
      download_finish_if_idle (self);
      return;
    }
  ferry_transfer_add_progress (self, written);

  /* The next frame is being read, or it came during the write and waits. */
  if (self->has_waiting)
    {
      g_auto(FerryFrame) frame = self->waiting;

      self->waiting = (FerryFrame) { 0 };
      self->has_waiting = FALSE;
      download_handle_frame (self, &frame);
    }
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
  /* The writer hashes and writes the payload, without a copy, behind the socket. */
  self->chunk = g_bytes_new_from_bytes (frame->payload, FERRY_DATA_HEADER_SIZE, len);
  self->writing = TRUE;
  self->n_running++;
  ferry_chunk_writer_push_async (self->writer, self->chunk, self->cancellable,
                                 download_written_cb, g_object_ref (self));
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

typedef struct
{
  GFile              *dir;
  GFile              *destination;
  char               *name;
  FerryDownloadFlags  flags;
  GFile              *final;
  GFile              *part;
  GFileOutputStream  *output;
} PrepareData;

static void
prepare_data_free (PrepareData *data)
{
  g_clear_object (&data->dir);
  g_clear_object (&data->destination);
  g_clear_pointer (&data->name, g_free);
  g_clear_object (&data->final);
  g_clear_object (&data->part);
  g_clear_object (&data->output);
  g_free (data);
}

/* In a worker thread: claim the final name and create NAME.part exclusively, so that two
 * downloads never pick the same name and nothing existing is touched; or, for a file the
 * person chose to replace, open its NAME.part. */
static void
prepare_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  PrepareData *data = task_data;
  GError *error = NULL;

  if (!data->dir)
    {
      g_task_return_new_error (task, FERRY_ERROR, FERRY_ERROR_FAILED,
                               _("Cannot save a download as the root folder."));
      return;
    }

  /* Saving into a folder (the Downloads folder, say) makes the folder first when it is
   * missing, here in the worker thread rather than in the caller's main loop. */
  if ((data->flags & FERRY_DOWNLOAD_INTO_DIRECTORY) &&
      !g_file_make_directory_with_parents (data->dir, cancellable, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
        {
          g_task_return_error (task, error);
          return;
        }
      g_clear_error (&error);
    }

  if (data->flags & FERRY_DOWNLOAD_OVERWRITE)
    {
      data->final = g_object_ref (data->destination);
      data->part = ferry_filename_part_for (data->final);
      data->output = g_file_replace (data->part, NULL, FALSE, G_FILE_CREATE_PRIVATE,
                                     cancellable, &error);
    }
  else
    {
      data->final = ferry_filename_unique_in_dir (data->dir, data->name, &data->part,
                                                  &data->output, cancellable, &error);
    }

  if (error)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
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
      ferry_transfer_fail (self, error);
      return;
    }

  self->part = g_steal_pointer (&data->part);
  self->output = G_OUTPUT_STREAM (g_steal_pointer (&data->output));
  ferry_transfer_set_file (self, data->final);

  if (g_cancellable_is_cancelled (self->cancellable))
    {
      ferry_transfer_fail (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, ""));
      return;
    }

  self->writer = ferry_chunk_writer_new (self->output, FERRY_CHUNK_DEPTH * FERRY_CHUNK_SIZE,
                                         NULL, TRUE);
  self->last_notify_usec = g_get_monotonic_time ();
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
  PrepareData *data;
  GError *error = NULL;

  v = ferry_read_expected_finish (FERRY_CONNECTION (object), result, FERRY_MSG_OFFER, &error);
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

  data = g_new0 (PrepareData, 1);
  data->destination = g_object_ref (self->destination);
  download_wanted_name (self, &data->dir, &data->name);
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

  self->connection = ferry_dialer_open_finish (FERRY_DIALER (object), result, &error);
  if (!self->connection)
    {
      ferry_transfer_fail (self, error);
      return;
    }

  ferry_connection_send_message (self->connection, ferry_msg_download_new (self->offer_id, 0));
  ferry_connection_read_async (self->connection, self->cancellable,
                               download_offer_cb, g_object_ref (self));
}

void
ferry_transfer_start_download (FerryTransfer *self,
                               FerryDialer   *dialer)
{
  ferry_dialer_open_full_async (dialer, ferry_transfer_set_server_busy, self, self->cancellable,
                                download_opened_cb, g_object_ref (self));
}
