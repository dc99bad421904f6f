/* ferry-transfer-landing.c: where a download lands — NAME.part chosen, created or reopened
 * before the data comes, and renamed to its final name after it is verified. The file-system
 * half of a download (ferry-transfer-download.c holds the data path); all of it runs in
 * worker threads.
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

void
ferry_download_place_free (FerryDownloadPlace *data)
{
  g_clear_object (&data->dir);
  g_clear_object (&data->destination);
  g_clear_pointer (&data->name, g_free);
  g_clear_object (&data->offer);
  g_clear_pointer (&data->sidecar, ferry_sidecar_free);
  g_clear_object (&data->final);
  g_clear_object (&data->part);
  g_clear_object (&data->output);
  g_free (data);
}

/* In a worker thread: go on writing the NAME.part found (and locked) before the request, after the bytes
 * the server agreed to skip (all of them if the offer still has the content the sidecar
 * names, none otherwise). Its final name is NAME, or what the caller chose. */
/* Whether the offer still has the content the sidecar names. */
static gboolean
place_same_offer (FerryDownloadPlace *data)
{
  return memcmp (data->sidecar->offer_sha256, ferry_offer_get_sha256 (data->offer),
                 FERRY_SHA256_SIZE) == 0 &&
         data->sidecar->size == ferry_offer_get_size (data->offer);
}

/* The final name of a NAME.part found before the request: NAME, or what the caller chose. */
static void
place_resumed_final (FerryDownloadPlace *data)
{
  if (data->flags & FERRY_DOWNLOAD_INTO_DIRECTORY)
    {
      g_autofree char *part_name = g_file_get_basename (data->part);

      /* ferry_sidecar_find() only finds names that end in ".part". */
      part_name[strlen (part_name) - strlen (".part")] = '\0';
      data->final = g_file_get_child (data->dir, part_name);
    }
  else
    data->final = g_object_ref (data->destination);
}

static gboolean
place_resumed (FerryDownloadPlace   *data,
                 GCancellable  *cancellable,
                 GError       **error)
{
  guint64 keep = place_same_offer (data) ? data->sidecar->count : 0;

  /* Opened and locked before the request (locate_thread()). */
  if (!g_seekable_truncate (G_SEEKABLE (data->output), (goffset) keep, cancellable, error))
    return FALSE;
  data->fresh = keep == 0;
  place_resumed_final (data);
  return TRUE;
}

/* A folder goes on in the NAME.part/ found before the request, its writer rebuilt there
 * (locate_folder()), when the offer is the same and the server continues; otherwise the old
 * tree goes and the folder gets a free name, as new. */
static void
place_folder (FerryDownloadPlace   *data,
              GCancellable         *cancellable,
              GError              **error)
{
  if (data->part && data->output && data->sidecar->count > 0 && place_same_offer (data))
    {
      place_resumed_final (data);
      return;
    }
  if (data->part)
    {
      if (data->output)
        g_output_stream_close (data->output, NULL, NULL);
      g_clear_object (&data->output);
      if (!ferry_folder_remove_tree (data->part, error))
        return;
      ferry_sidecar_remove (data->part, cancellable);
      g_clear_object (&data->part);
    }
  g_clear_pointer (&data->sidecar->folder_header, g_bytes_unref);
  data->fresh = TRUE;
  /* A folder never replaces anything: it gets a free name. */
  data->final = ferry_filename_unique_folder_in_dir (data->dir, data->name, &data->part,
                                                     cancellable, error);
  if (data->final)
    data->output = ferry_folder_output_stream_new (data->part, data->size, data->folder_files,
                                                   data->folder_content, error);
}

/* In a worker thread: claim the final name and create NAME.part exclusively, so that two
 * downloads never pick the same name and nothing existing is touched; or, for a file the
 * person chose to replace, open its NAME.part; or go on with the NAME.part of an earlier run.
 * Then write the sidecar, so that NAME.part is known as ours from its first byte. */
void
ferry_download_place_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  FerryDownloadPlace *data = task_data;
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

  if (data->is_folder)
    place_folder (data, cancellable, &error);
  else if (data->part)
    place_resumed (data, cancellable, &error);
  else if (data->flags & FERRY_DOWNLOAD_OVERWRITE)
    {
      data->final = g_object_ref (data->destination);
      data->part = ferry_filename_part_for (data->final);
      /* Written in place (not through g_file_replace()'s temporary file), so that what a
       * stopped download wrote is in NAME.part for resuming. */
      data->output = ferry_sidecar_open_part (data->part, cancellable, &error);
      if (data->output)
        g_seekable_truncate (G_SEEKABLE (data->output), 0, cancellable, &error);
      data->fresh = TRUE;
    }
  else
    {
      GFileOutputStream *output = NULL;

      data->final = ferry_filename_unique_in_dir (data->dir, data->name, &data->part,
                                                  &output, cancellable, &error);
      data->output = G_OUTPUT_STREAM (output);
      data->fresh = TRUE;
    }
  if (!error && data->fresh && !data->is_folder && !(data->flags & FERRY_DOWNLOAD_OVERWRITE))
    ferry_sidecar_lock_part (data->output, data->part, &error);

  if (!error && data->fresh)
    {
      g_autoptr(FerryChecksum) empty = ferry_checksum_new ();

      memcpy (data->sidecar->offer_sha256, ferry_offer_get_sha256 (data->offer),
              FERRY_SHA256_SIZE);
      data->sidecar->size = ferry_offer_get_size (data->offer);
      data->sidecar->count = 0;
      ferry_checksum_peek (empty, data->sidecar->count_sha256);
    }
  if (!error && !data->is_folder)
    ferry_sidecar_save (data->sidecar, data->part, cancellable, &error);

  if (error)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}


void
ferry_download_commit_free (FerryDownloadCommit *data)
{
  g_clear_object (&data->part);
  g_clear_object (&data->final);
  g_clear_pointer (&data->name, g_free);
  g_free (data);
}

/* In a worker thread: NAME.part becomes NAME. Never over an existing file, unless the person
 * chose to replace it: if NAME appeared meanwhile, the next free "name (N).ext" is taken. */
void
ferry_download_commit_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  FerryDownloadCommit *data = task_data;
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
  ferry_sidecar_remove (data->part, NULL);
  g_task_return_pointer (task, saved, g_object_unref);
}
