/* ferry-upload-job-finish.c: FerryUploadJob's end: the SHA-256 compared, the commit, the
 * offer published
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-upload"

#include "config.h"

#include "ferry-upload-job-private.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ferry-error.h"
#include "ferry-session.h"

static void
commit_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(FerryUploadJob) self = user_data;
  g_autoptr(GTask) task = g_steal_pointer (&self->pending);
  g_autoptr(FerryCatalogueRow) row = NULL;
  GError *error = NULL;

  row = ferry_store_commit_finish (self->store, result, &error);

  /* The blob is now counted as committed (or not at all): drop the reservation. */
  ferry_upload_job_release_space (self);
  self->phase = JOB_DONE;

  if (!row)
    {
      /* The unfinished blob may still be there. */
      ferry_upload_job_end_blob (self, FALSE);
      g_task_return_error (task, error);
      return;
    }

  ferry_partials_committed (ferry_store_get_partials (self->store), self->blob);
  g_clear_object (&self->blob);
  {
    g_autofree char *user = ferry_session_log_name (self->uploader);
    g_autofree char *name = ferry_session_log_name (row->name);

    g_message ("%s (%s) shared “%s”, %" G_GUINT64_FORMAT " bytes, as %s",
               user, self->peer, name, row->size, row->id);
  }
  ferry_hub_publish_offer (self->hub, row);
  g_task_return_pointer (task, g_steal_pointer (&row),
                         (GDestroyNotify) ferry_catalogue_row_unref);
}

static void
flushed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(FerryUploadJob) self = user_data;
  g_autoptr(FerryCatalogueRow) row = NULL;
  g_autoptr(GError) error = NULL;
  guint8 digest[FERRY_SHA256_SIZE];
  gboolean ok;

  ok = ferry_chunk_writer_flush_finish (FERRY_CHUNK_WRITER (object), result, &error);
  if (!ferry_upload_job_writer_done (self, ok, error))
    return;

  ferry_chunk_writer_get_digest (self->writer, digest);
  if (self->check_sha256 && memcmp (digest, self->end_sha256, FERRY_SHA256_SIZE) != 0)
    {
      ferry_upload_job_refuse (self, FERRY_ERROR_CHECKSUM,
                               _("The file arrived damaged: checksum mismatch."));
      return;
    }

  row = ferry_catalogue_row_new ();
  row->name = g_strdup (self->name);
  row->size = self->size;
  memcpy (row->sha256, digest, FERRY_SHA256_SIZE);
  row->uploader = g_strdup (self->uploader);
  memcpy (row->owner_hash, self->owner_hash, FERRY_SHA256_SIZE);
  row->created = g_get_real_time () / G_USEC_PER_SEC;
  row->expires = self->expire_seconds > 0 ? row->created + (gint64) self->expire_seconds : 0;
  row->is_folder = self->folder_files > 0 || self->folder_content > 0;
  row->folder_files = self->folder_files;
  row->folder_content = self->folder_content;

  self->phase = JOB_COMMITTING;
  /* No cancellable: once the bytes are verified, the commit runs to its end even if the
   * peer goes away, and the offer is then published as usual. */
  ferry_store_commit_async (self->store, self->blob, row, NULL, commit_cb, g_object_ref (self));
}

void
ferry_upload_job_finish_async (FerryUploadJob      *self,
                               const guint8        *sha256,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GError *error = NULL;

  g_return_if_fail (FERRY_IS_UPLOAD_JOB (self));
  g_return_if_fail (!self->pending);

  self->pending = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (self->pending, ferry_upload_job_finish_async);
  if (self->phase != JOB_RECEIVING)
    {
      ferry_upload_job_return_cancelled (self);
      return;
    }

  if (self->size_unknown)
    {
      self->size = self->received;
      self->size_unknown = FALSE;
    }
  if (self->received != self->size)
    {
      ferry_upload_job_refuse (self, FERRY_ERROR_SIZE_MISMATCH,
                               _("The upload ended after %" G_GUINT64_FORMAT " of %"
                                 G_GUINT64_FORMAT " bytes."),
                               self->received, self->size);
      return;
    }
  if (self->folder_parser && !ferry_folder_parser_check_done (self->folder_parser, &error))
    {
      ferry_upload_job_fail (self, error);
      return;
    }

  self->check_sha256 = sha256 != NULL;
  if (sha256)
    memcpy (self->end_sha256, sha256, FERRY_SHA256_SIZE);
  /* The chunks still queued are written and hashed first. */
  ferry_chunk_writer_flush_async (self->writer, self->cancellable, flushed_cb,
                                  g_object_ref (self));
}

FerryCatalogueRow *
ferry_upload_job_finish_finish (FerryUploadJob  *self,
                                GAsyncResult    *result,
                                GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
