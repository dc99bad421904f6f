/* ferry-transfer-upload-resume.c: an upload's way back (PROTOCOL.md §5, Upload, Resume)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Before UPLOAD, the token saved for the same file and server is looked up; after ACCEPT the
 * token is saved (while the server keeps partial uploads) until the upload succeeds, and when
 * ACCEPT names an offset, the bytes before it are read and hashed so that END still carries
 * the SHA-256 of the whole file. All file I/O runs in worker threads.
 */
#define G_LOG_DOMAIN "ferry-transfer"

#include "config.h"

#include "ferry-transfer-private.h"

#include <glib/gi18n.h>

#include "ferry-dialer.h"
#include "ferry-error.h"
#include "ferry-transfer-queue.h"
#include "ferry-upload-tokens.h"

#define SKIP_BUFFER_SIZE (256 * 1024)

/* What identifies the upload in the token store. */
typedef struct
{
  char    *server;
  GFile   *file;
  guint64  size;
  gint64   mtime;
  char    *token;
} TokenData;

static void
token_data_free (TokenData *data)
{
  g_free (data->server);
  g_clear_object (&data->file);
  g_free (data->token);
  g_free (data);
}

/* NULL when the upload has no server or no file to be known by. */
static TokenData *
token_data_new (FerryTransfer *self)
{
  g_autoptr(FerryTransferQueue) queue = g_weak_ref_get (&self->queue);
  TokenData *data;

  if (!queue || !self->file)
    return NULL;
  data = g_new0 (TokenData, 1);
  data->server = g_strdup (ferry_dialer_get_address (ferry_transfer_queue_get_dialer (queue)));
  data->file = g_object_ref (self->file);
  data->size = self->total;
  data->mtime = self->upload_mtime;
  return data;
}

static void
locate_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  TokenData *data = task_data;

  g_task_return_pointer (task, ferry_upload_tokens_lookup (data->server, data->file,
                                                           data->size, data->mtime),
                         g_free);
}

void
ferry_transfer_upload_locate_async (FerryTransfer       *self,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, callback, user_data);
  TokenData *data = self->no_resume ? NULL : token_data_new (self);

  g_task_set_source_tag (task, ferry_transfer_upload_locate_async);
  if (!data)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  g_task_set_task_data (task, data, (GDestroyNotify) token_data_free);
  g_task_run_in_thread (task, locate_thread);
}

void
ferry_transfer_upload_locate_finish (FerryTransfer *self,
                                     GAsyncResult  *result)
{
  g_return_if_fail (g_task_is_valid (result, self));

  g_clear_pointer (&self->upload_token, g_free);
  self->upload_token = g_task_propagate_pointer (G_TASK (result), NULL);
}

static void
save_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  TokenData *data = task_data;
  g_autoptr(GError) error = NULL;

  if (!ferry_upload_tokens_store (data->server, data->file, data->size, data->mtime,
                                  data->token, &error))
    g_debug ("Could not save the upload's token: %s", error->message);
  g_task_return_boolean (task, TRUE);
}

void
ferry_transfer_upload_save_token (FerryTransfer *self,
                                  const char    *token)
{
  g_autoptr(GTask) task = NULL;
  TokenData *data = token_data_new (self);

  if (!data)
    return;
  data->token = g_strdup (token);
  task = g_task_new (self, NULL, NULL, NULL);
  g_task_set_source_tag (task, ferry_transfer_upload_save_token);
  g_task_set_task_data (task, data, (GDestroyNotify) token_data_free);
  g_task_run_in_thread (task, save_thread);
}

static void
skip_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  FerryTransfer *self = source_object;
  guint64 left = *(guint64 *) task_data;
  g_autoptr(FerryChecksum) checksum = ferry_checksum_new ();
  g_autofree guint8 *buffer = g_malloc (SKIP_BUFFER_SIZE);
  GError *error = NULL;

  while (left > 0)
    {
      gssize got = g_input_stream_read (self->input, buffer, (gsize) MIN (left, SKIP_BUFFER_SIZE),
                                        cancellable, &error);

      if (got < 0)
        {
          g_task_return_error (task, error);
          return;
        }
      if (got == 0)
        {
          g_task_return_new_error (task, FERRY_ERROR, FERRY_ERROR_SIZE_MISMATCH,
                                   _("“%s” became shorter while it was being uploaded."),
                                   self->name);
          return;
        }
      ferry_checksum_update (checksum, buffer, (gsize) got);
      left -= (guint64) got;
    }
  g_task_return_pointer (task, g_steal_pointer (&checksum),
                         (GDestroyNotify) ferry_checksum_free);
}

void
ferry_transfer_upload_skip_async (FerryTransfer       *self,
                                  guint64              offset,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, callback, user_data);

  g_task_set_source_tag (task, ferry_transfer_upload_skip_async);
  g_task_set_task_data (task, g_memdup2 (&offset, sizeof offset), g_free);
  g_task_run_in_thread (task, skip_thread);
}

FerryChecksum *
ferry_transfer_upload_skip_finish (FerryTransfer  *self,
                                   GAsyncResult   *result,
                                   GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
ferry_transfer_upload_verdict (FerryTransfer *self,
                               const GError  *error)
{
  gboolean thrown_away = error->domain == FERRY_ERROR &&
                         (error->code == FERRY_ERROR_CHECKSUM ||
                          error->code == FERRY_ERROR_SIZE_MISMATCH ||
                          error->code == FERRY_ERROR_MALFORMED ||
                          error->code == FERRY_ERROR_NO_SPACE);

  if (!thrown_away || !self->part_kept)
    return FALSE;
  /* The server threw the partial upload away: its token is worth nothing. */
  ferry_transfer_upload_save_token (self, NULL);
  self->part_kept = FALSE;
  g_clear_pointer (&self->upload_token, g_free);

  /* A continued upload whose bytes do not add up: the file changed since the cut (its size
   * and time did not). Once more, from its first byte. */
  if (self->resumed_from == 0 || error->code != FERRY_ERROR_CHECKSUM ||
      !G_IS_SEEKABLE (self->input) || !g_seekable_can_seek (G_SEEKABLE (self->input)) ||
      !g_seekable_seek (G_SEEKABLE (self->input), 0, G_SEEK_SET, NULL, NULL))
    return FALSE;
  g_debug ("“%s” changed since its upload was cut; starting over", self->name);
  self->resumed_from = 0;
  self->no_resume = TRUE;
  return TRUE;
}
