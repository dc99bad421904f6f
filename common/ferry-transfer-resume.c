/* ferry-transfer-resume.c: what a download keeps to resume (NAME.part and its sidecar), found
 * before the request, rewritten while it runs and left when it stops
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
#include "ferry-folder-fs.h"
#include "ferry-folder-output-stream.h"

/* A folder's bytes are worth keeping only with its header, which rebuilds the writer
 * (PROTOCOL.md §5, Folders, Resume): @now gets it from the writer once it is whole, with at
 * least the header's bytes as its count (they are the stream's first bytes, whatever came
 * after). Called with no write in flight (after a write, or once the transfer is idle).
 * FALSE while the header is incomplete. */
static gboolean
folder_header_now (FerryTransfer *self,
                   FerrySidecar  *now)
{
  GBytes *header = NULL;
  gsize len = 0;
  const guint8 *bytes;

  if (now->folder_header)
    return TRUE;
  if (FERRY_IS_FOLDER_OUTPUT_STREAM (self->output))
    header = ferry_folder_output_stream_get_header (FERRY_FOLDER_OUTPUT_STREAM (self->output));
  if (!header)
    return FALSE;
  now->folder_header = g_bytes_ref (header);
  now->folder_files = self->folder_files;
  now->folder_content = self->folder_content;
  bytes = g_bytes_get_data (header, &len);
  if (now->count < len)
    {
      g_autoptr(FerryChecksum) checksum = ferry_checksum_new ();

      ferry_checksum_update (checksum, bytes, len);
      ferry_checksum_finish (checksum, now->count_sha256);
      now->count = len;
    }
  return TRUE;
}

/* The sidecar as of now: when every byte hashed is written, NAME.part holds that many good
 * bytes; otherwise the last one saved still holds. */
FerrySidecar *
ferry_transfer_sidecar_now (FerryTransfer *self)
{
  FerrySidecar *now = ferry_sidecar_copy (self->sidecar);

  /* Only with no chunk being written (then the checksum covers exactly the bytes in
   * NAME.part, even if a frame received meanwhile waits for its turn), and before END
   * finished the checksum: otherwise the last checkpoint stands, which NAME.part covers too.
   * The state may be FAILED already: a stop saves what was written. */
  if (self->is_folder && !folder_header_now (self, now))
    return now;
  if (self->checksum && !self->chunk_writing && self->bytes_done < self->total)
    {
      now->count = self->bytes_done;
      ferry_checksum_peek (self->checksum, now->count_sha256);
    }
  return now;
}

typedef struct
{
  FerrySidecar *sidecar;
  GFile        *part;
} CheckpointData;

static void
checkpoint_data_free (CheckpointData *data)
{
  g_clear_pointer (&data->sidecar, ferry_sidecar_free);
  g_clear_object (&data->part);
  g_free (data);
}

static void
checkpoint_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  CheckpointData *data = task_data;
  GError *error = NULL;

  if (!ferry_sidecar_save (data->sidecar, data->part, NULL, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
ferry_transfer_checkpoint_async (FerryTransfer       *self,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  CheckpointData *data = g_new0 (CheckpointData, 1);

  data->sidecar = ferry_transfer_sidecar_now (self);
  data->part = g_object_ref (self->part);
  self->sidecar_saved_usec = g_get_monotonic_time ();
  g_task_set_source_tag (task, ferry_transfer_checkpoint_async);
  g_task_set_task_data (task, data, (GDestroyNotify) checkpoint_data_free);
  g_task_run_in_thread (task, checkpoint_thread);
}

gboolean
ferry_transfer_checkpoint_finish (FerryTransfer  *self,
                                  GAsyncResult   *result,
                                  GError        **error)
{
  CheckpointData *data;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  data = g_task_get_task_data (G_TASK (result));
  g_clear_pointer (&self->sidecar, ferry_sidecar_free);
  self->sidecar = ferry_sidecar_copy (data->sidecar);
  return TRUE;
}

typedef struct
{
  GFile              *dir;
  GFile              *candidate;    /* the NAME.part a chosen file name would use */
  char               *server;
  char               *offer_id;
  gboolean            no_resume;
  GFile              *part;         /* out: the NAME.part of an earlier run */
  FerrySidecar       *sidecar;      /* out: its sidecar */
  FerryChecksum      *checksum;     /* out: the state after its good bytes, if they are */
  GOutputStream      *output;       /* out: @part, open and locked */
} LocateData;

static void
locate_data_free (LocateData *data)
{
  g_clear_object (&data->dir);
  g_clear_object (&data->candidate);
  g_clear_pointer (&data->server, g_free);
  g_clear_pointer (&data->offer_id, g_free);
  g_clear_object (&data->part);
  g_clear_pointer (&data->sidecar, ferry_sidecar_free);
  g_clear_pointer (&data->checksum, ferry_checksum_free);
  g_clear_object (&data->output);
  g_free (data);
}

/* A folder's NAME.part/ (PROTOCOL.md §5, Folders, Resume): the writer is rebuilt at the
 * sidecar's count from the header it keeps, re-feeding the files written to a checksum that
 * must give the sidecar's SHA-256. Otherwise the count goes to 0: the download starts over,
 * removing the tree first (ferry_download_place_thread()). */
static void
locate_folder (LocateData   *data,
               GCancellable *cancellable)
{
  FerrySidecar *sidecar = data->sidecar;
  g_autoptr(FerryChecksum) checksum = ferry_checksum_new ();
  g_autoptr(GError) error = NULL;
  guint8 digest[FERRY_SHA256_SIZE];

  data->output = ferry_folder_output_stream_new_at (data->part, sidecar->folder_header,
                                                    sidecar->size, sidecar->folder_files,
                                                    sidecar->folder_content, sidecar->count,
                                                    checksum, cancellable, &error);
  if (data->output)
    ferry_checksum_peek (checksum, digest);
  if (data->output && memcmp (digest, sidecar->count_sha256, FERRY_SHA256_SIZE) == 0)
    {
      data->checksum = g_steal_pointer (&checksum);
      return;
    }
  g_debug ("Not resuming %s: %s", g_file_peek_path (data->part),
           error ? error->message : "its files changed since its sidecar was written");
  g_clear_object (&data->output);
  sidecar->count = 0;
}

/* In a worker thread, before the request: the NAME.part an earlier run of this download left
 * in the same place, and whether its bytes are still the ones the sidecar names (PROTOCOL.md
 * §5, Download, Resume). Without resuming, an earlier run's NAME.part and sidecar go. */
static void
locate_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  LocateData *data = task_data;
  g_autoptr(GError) error = NULL;

  if (data->dir)
    data->part = ferry_sidecar_find (data->dir, data->candidate, data->server, data->offer_id,
                                     &data->sidecar, cancellable);
  if (data->part && data->no_resume)
    {
      if (data->sidecar->folder_header)
        ferry_folder_remove_tree (data->part, NULL);
      else
        g_file_delete (data->part, cancellable, NULL);
      ferry_sidecar_remove (data->part, cancellable);
      g_clear_object (&data->part);
      g_clear_pointer (&data->sidecar, ferry_sidecar_free);
    }
  /* Locked before anything is decided, so that two downloads of the offer into the same
   * place never write the same NAME.part: the one locked out takes a name of its own. */
  if (data->part && data->sidecar->folder_header)
    {
      locate_folder (data, cancellable);
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (data->part)
    data->output = ferry_sidecar_open_part (data->part, cancellable, &error);
  if (data->part && !data->output)
    {
      g_debug ("Not resuming %s: %s", g_file_peek_path (data->part), error->message);
      g_clear_object (&data->part);
      g_clear_pointer (&data->sidecar, ferry_sidecar_free);
    }
  if (data->part)
    data->checksum = ferry_sidecar_check_part (data->sidecar, data->part, cancellable);
  if (data->part && !data->checksum)
    {
      g_debug ("%s changed since its sidecar was written: starting over",
               g_file_peek_path (data->part));
      data->sidecar->count = 0;
    }
  g_task_return_boolean (task, TRUE);
}

void
ferry_transfer_locate_async (FerryTransfer       *self,
                             const char          *server,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  LocateData *data = g_new0 (LocateData, 1);

  data->server = g_strdup (server);
  data->offer_id = g_strdup (self->offer_id);
  data->no_resume = (self->flags & FERRY_DOWNLOAD_NO_RESUME) != 0;
  if (self->flags & FERRY_DOWNLOAD_INTO_DIRECTORY)
    data->dir = g_object_ref (self->destination);
  else
    {
      data->dir = g_file_get_parent (self->destination);
      if (data->dir)
        data->candidate = ferry_filename_part_for (self->destination);
    }

  task = g_task_new (self, self->cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_transfer_locate_async);
  g_task_set_task_data (task, data, (GDestroyNotify) locate_data_free);
  g_task_run_in_thread (task, locate_thread);
}

gboolean
ferry_transfer_locate_finish (FerryTransfer  *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  LocateData *data;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  data = g_task_get_task_data (G_TASK (result));
  g_clear_pointer (&self->sidecar, ferry_sidecar_free);
  if (data->part)
    {
      self->part = g_steal_pointer (&data->part);
      self->sidecar = g_steal_pointer (&data->sidecar);
      self->checksum = g_steal_pointer (&data->checksum);
      self->output = g_steal_pointer (&data->output);
    }
  else
    {
      self->sidecar = g_new0 (FerrySidecar, 1);
      self->sidecar->server = g_strdup (data->server);
      self->sidecar->offer_id = g_strdup (self->offer_id);
    }
  return TRUE;
}

typedef struct
{
  GOutputStream *output;
  GFile         *part;
  FerrySidecar  *sidecar;   /* NULL: remove NAME.part and its sidecar */
  gboolean       is_folder; /* NAME.part/ is a folder's tree */
} StopData;

static void
stop_data_free (StopData *data)
{
  g_clear_object (&data->output);
  g_clear_object (&data->part);
  g_clear_pointer (&data->sidecar, ferry_sidecar_free);
  g_free (data);
}

static void
stop_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  StopData *data = task_data;
  g_autoptr(GError) error = NULL;

  if (data->output && !g_output_stream_is_closed (data->output))
    g_output_stream_close (data->output, NULL, NULL);

  if (data->sidecar)
    {
      /* Written after the bytes it covers, which the close above put in the file. If it
       * cannot be (a full disk), the one saved before still names a good prefix. */
      if (!ferry_sidecar_save (data->sidecar, data->part, NULL, &error))
        g_debug ("Could not save %s's resume state: %s", g_file_peek_path (data->part),
                   error->message);
    }
  else
    {
      gboolean removed = data->is_folder ?
                         ferry_folder_remove_tree (data->part, &error) :
                         g_file_delete (data->part, NULL, &error);

      if (!removed && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_warning ("Could not remove %s: %s", g_file_peek_path (data->part), error->message);
      ferry_sidecar_remove (data->part, NULL);
    }
  g_task_return_boolean (task, TRUE);
}

void
ferry_transfer_download_stop_async (FerryTransfer       *self,
                                    const GError        *error,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  StopData *data = g_new0 (StopData, 1);
  gboolean keep = self->sidecar && !g_error_matches (error, FERRY_ERROR, FERRY_ERROR_CHECKSUM);

  g_task_set_source_tag (task, ferry_transfer_download_stop_async);
  data->part = g_object_ref (self->part);
  g_set_object (&data->output, self->output);
  data->is_folder = self->is_folder;
  if (keep && self->output)
    data->sidecar = ferry_transfer_sidecar_now (self);
  /* A folder's tree is kept only with the header that rebuilds its writer. */
  if (keep && self->is_folder &&
      !(data->sidecar ? data->sidecar->folder_header : self->sidecar->folder_header))
    {
      g_clear_pointer (&data->sidecar, ferry_sidecar_free);
      keep = FALSE;
    }
  /* A NAME.part found but not yet opened again is left as it was, sidecar and all. */
  if (keep && !self->output)
    g_clear_object (&data->part);
  self->part_kept = keep;
  g_task_set_task_data (task, data, (GDestroyNotify) stop_data_free);
  if (!data->part)
    g_task_return_boolean (task, TRUE);
  else
    g_task_run_in_thread (task, stop_thread);
}

void
ferry_transfer_download_stop_finish (FerryTransfer *self,
                                     GAsyncResult  *result)
{
  g_return_if_fail (g_task_is_valid (result, self));
  g_task_propagate_boolean (G_TASK (result), NULL);
}
