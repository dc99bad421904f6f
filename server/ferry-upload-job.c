/* ferry-upload-job.c: FerryUploadJob, receiving a file into partial/TOKEN
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-upload"

#include "config.h"

#include "ferry-upload-job-private.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ferry-chunk-reader.h"
#include "ferry-error.h"
#include "ferry-units.h"

G_DEFINE_FINAL_TYPE (FerryUploadJob, ferry_upload_job, G_TYPE_OBJECT)

/* The bytes all uploads hold queued behind the disk. Past this, each upload queues only one
 * chunk at a time: many uploads at once must not make the server hold more. */
static FerryChunkBudget write_behind_budget = { 8 * FERRY_CHUNK_MAX, 0 };

void
ferry_upload_job_release_space (FerryUploadJob *self)
{
  if (self->ahead == 0 && self->written == 0)
    return;
  ferry_store_release (self->store, self->address, self->ahead, self->written);
  self->ahead = 0;
  self->written = 0;
}

static void
ferry_upload_job_finalize (GObject *object)
{
  FerryUploadJob *self = FERRY_UPLOAD_JOB (object);

  ferry_upload_job_release_space (self);
  g_clear_object (&self->store);
  g_clear_object (&self->hub);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->pending);
  g_clear_pointer (&self->peer, g_free);
  g_clear_pointer (&self->address, g_free);
  g_clear_pointer (&self->uploader, g_free);
  g_clear_pointer (&self->token, g_free);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->resume_token, g_free);
  g_clear_object (&self->blob);
  g_clear_object (&self->writer);
  g_clear_pointer (&self->chunk, g_bytes_unref);
  g_clear_pointer (&self->folder_parser, ferry_folder_parser_free);

  G_OBJECT_CLASS (ferry_upload_job_parent_class)->finalize (object);
}

static void
ferry_upload_job_class_init (FerryUploadJobClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ferry_upload_job_finalize;
}

static void
ferry_upload_job_init (FerryUploadJob *self)
{
  self->cancellable = g_cancellable_new ();
}

FerryUploadJob *
ferry_upload_job_new (FerryStore                 *store,
                      FerryHub                   *hub,
                      const FerryUploadJobSource *source)
{
  FerryUploadJob *self;

  g_return_val_if_fail (FERRY_IS_STORE (store), NULL);
  g_return_val_if_fail (FERRY_IS_HUB (hub), NULL);
  g_return_val_if_fail (source != NULL && source->owner_hash != NULL, NULL);

  self = g_object_new (FERRY_TYPE_UPLOAD_JOB, NULL);
  self->store = g_object_ref (store);
  self->hub = g_object_ref (hub);
  self->peer = g_strdup (source->peer);
  self->address = g_strdup (source->address);
  self->uploader = g_strdup (source->uploader);
  memcpy (self->owner_hash, source->owner_hash, FERRY_SHA256_SIZE);
  self->max_file_size = source->max_file_size;
  self->expire_seconds = source->expire_seconds;
  return self;
}

/* Ending. */

static void
abort_blob_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  /* Holds the job until the blob is gone. */
  g_autoptr(FerryUploadJob) self G_GNUC_UNUSED = user_data;

  ferry_store_abort_upload_finish (FERRY_STORE (object), result);
}

void
ferry_upload_job_end_blob (FerryUploadJob *self,
                           gboolean        keep)
{
  FerryPartials *partials = ferry_store_get_partials (self->store);
  g_autoptr(FerryBlobUpload) blob = g_steal_pointer (&self->blob);

  if (!blob)
    return;
  keep = keep && ferry_partials_get_keep (partials) > 0;
  ferry_partials_end (partials, blob, keep);
  if (keep)
    {
      g_debug ("%s: keeping the unfinished upload %s", self->peer,
               ferry_blob_upload_get_token (blob));
      return;
    }
  g_debug ("%s: discarding the unfinished upload %s", self->peer,
           ferry_blob_upload_get_token (blob));
  ferry_store_abort_upload_async (self->store, blob, abort_blob_cb, g_object_ref (self));
}

/* Stops everything in flight and lets go of the upload, keeping it when @keep. */
static void
stop (FerryUploadJob *self,
      gboolean        keep)
{
  self->phase = JOB_DONE;
  /* Stops file writes and reservations waiting for room. */
  g_cancellable_cancel (self->cancellable);
  if (self->writer)
    ferry_chunk_writer_cancel (self->writer);
  ferry_upload_job_release_space (self);
  ferry_upload_job_end_blob (self, keep);
}

void
ferry_upload_job_fail (FerryUploadJob *self,
                       GError         *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->pending);

  g_clear_pointer (&self->chunk, g_bytes_unref);
  if (self->phase != JOB_DONE)
    stop (self, FALSE);
  g_task_return_error (task, error);
}

void
ferry_upload_job_refuse (FerryUploadJob *self,
                         FerryError      code,
                         const char     *format,
                         ...)
{
  va_list args;
  char *sentence;

  va_start (args, format);
  sentence = g_strdup_vprintf (format, args);
  va_end (args);
  ferry_upload_job_fail (self, g_error_new_literal (FERRY_ERROR, code, sentence));
  g_free (sentence);
}

void
ferry_upload_job_return_cancelled (FerryUploadJob *self)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->pending);

  g_clear_pointer (&self->chunk, g_bytes_unref);
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                           "The upload was stopped.");
}

void
ferry_upload_job_abort (FerryUploadJob *self)
{
  g_return_if_fail (FERRY_IS_UPLOAD_JOB (self));

  /* A commit in flight finishes on its own and settles the reservation. */
  if (self->phase == JOB_COMMITTING || self->phase == JOB_DONE)
    return;
  stop (self, FALSE);
}

void
ferry_upload_job_detach (FerryUploadJob *self)
{
  g_return_if_fail (FERRY_IS_UPLOAD_JOB (self));

  if (self->phase == JOB_COMMITTING || self->phase == JOB_DONE)
    return;
  /* While the upload is being prepared, begin_cb decides once it knows the upload. */
  stop (self, self->received > 0 || self->phase == JOB_RECEIVING);
}

/* Beginning. */

static void check_cb (GObject *object, GAsyncResult *result, gpointer user_data);

static void
begin_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(FerryUploadJob) self = user_data;
  g_autoptr(FerryBlobUpload) blob = NULL;
  g_autoptr(FerryChecksum) checksum = NULL;
  GError *error = NULL;

  blob = ferry_partials_begin_finish (FERRY_PARTIALS (object), result, &checksum,
                                      &self->folder_parser, &error);

  if (self->phase == JOB_DONE)
    {
      /* The upload exists if it won the race with the end: a kept one stays kept, a fresh
       * one (its token never told) goes. */
      if (blob)
        {
          self->blob = g_steal_pointer (&blob);
          self->received = ferry_blob_upload_get_offset (self->blob);
          ferry_upload_job_end_blob (self, self->received > 0);
        }
      g_clear_error (&error);
      ferry_upload_job_return_cancelled (self);
      return;
    }
  if (!blob)
    {
      /* The store's sentence names no server path. */
      ferry_upload_job_fail (self, error);
      return;
    }

  self->blob = g_steal_pointer (&blob);
  self->token = g_strdup (ferry_blob_upload_get_token (self->blob));
  self->received = ferry_blob_upload_get_offset (self->blob);
  if (self->resume_only && g_strcmp0 (self->token, self->resume_token) != 0)
    {
      ferry_upload_job_refuse (self, FERRY_ERROR_NOT_FOUND,
                               _("This upload is not kept any more; start it "
                                 "again."));
      return;
    }

  self->writer = ferry_chunk_writer_new (ferry_blob_upload_get_stream (self->blob),
                                         FERRY_CHUNK_DEPTH * FERRY_CHUNK_SIZE,
                                         &write_behind_budget, TRUE);
  /* The commit fsyncs the file: have the disk write it as it comes, not all at the end. */
  ferry_chunk_writer_set_writeback (self->writer, 8 * 1024 * 1024);
  /* A continued upload: the SHA-256 goes on from the bytes the server holds. */
  ferry_chunk_writer_take_checksum (self->writer, g_steal_pointer (&checksum));

  /* What is still to come must fit; nothing is reserved yet: room is reserved as the data
   * arrives (write_or_reserve). */
  ferry_store_check_upload_async (self->store,
                                  self->size_unknown ? 0 : self->size - self->received,
                                  self->cancellable, check_cb, g_object_ref (self));
}

static void
check_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(FerryUploadJob) self = user_data;
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;

  if (!ferry_store_check_upload_finish (FERRY_STORE (object), result, &error))
    {
      if (self->phase == JOB_DONE)
        {
          g_clear_error (&error);
          ferry_upload_job_return_cancelled (self);
          return;
        }
      /* Refused for room, a continued upload stays kept; a fresh one goes. */
      stop (self, self->received > 0);
      ferry_upload_job_fail (self, error);
      return;
    }
  if (self->phase == JOB_DONE)
    {
      ferry_upload_job_return_cancelled (self);
      return;
    }

  self->phase = JOB_RECEIVING;
  if (self->received > 0)
    g_debug ("%s: continuing the upload %s from byte %" G_GUINT64_FORMAT, self->peer,
             self->token, self->received);
  task = g_steal_pointer (&self->pending);
  g_task_return_boolean (task, TRUE);
}

void
ferry_upload_job_begin_async (FerryUploadJob      *self,
                              const char          *name,
                              guint64              size,
                              guint32              folder_files,
                              guint64              folder_content,
                              const char          *resume_token,
                              gboolean             resume_only,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  FerryPartialRow want = { 0 };
  GError *error = NULL;

  g_return_if_fail (FERRY_IS_UPLOAD_JOB (self));
  g_return_if_fail (self->phase == JOB_NEW && !self->pending);
  g_return_if_fail (name != NULL);

  self->pending = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (self->pending, ferry_upload_job_begin_async);

  self->name = g_strdup (name);
  self->size = size;
  self->folder_files = folder_files;
  self->folder_content = folder_content;
  self->resume_token = resume_token && *resume_token ? g_strdup (resume_token) : NULL;
  self->resume_only = resume_only;

  if (!ferry_name_check (name, FERRY_MAX_NAME_LEN, &error))
    {
      ferry_upload_job_fail (self, error);
      return;
    }
  if (size == FERRY_UPLOAD_JOB_SIZE_UNKNOWN && folder_files == 0 && folder_content == 0)
    {
      self->size_unknown = TRUE;
      self->size = size = self->max_file_size;
    }
  if (size > self->max_file_size || size > G_MAXINT64)
    {
      g_autofree char *have = ferry_format_size (size);
      g_autofree char *limit = ferry_format_size (self->max_file_size);

      /* Translators: "report.iso is 5.0 GB, over this server's limit of 4.0 GB." */
      ferry_upload_job_refuse (self, FERRY_ERROR_TOO_LARGE,
                               _("%s is %s, over this server's limit of %s."),
                               name, have, limit);
      return;
    }
  if ((folder_files > 0 || folder_content > 0) &&
      !ferry_folder_option_check (size, folder_files, folder_content, &error))
    {
      ferry_upload_job_fail (self, error);
      return;
    }
  if (resume_only && !self->resume_token)
    {
      ferry_upload_job_refuse (self, FERRY_ERROR_NOT_FOUND,
                               _("This upload is not kept any more; start it "
                                 "again."));
      return;
    }

  self->phase = JOB_PREPARING;
  want.name = self->name;
  want.size = size;
  want.is_folder = folder_files > 0 || folder_content > 0;
  want.folder_files = folder_files;
  want.folder_content = folder_content;
  memcpy (want.owner_hash, self->owner_hash, FERRY_SHA256_SIZE);
  ferry_partials_begin_async (ferry_store_get_partials (self->store), self->resume_token,
                              &want, self->cancellable, begin_cb, g_object_ref (self));
}

gboolean
ferry_upload_job_begin_finish (FerryUploadJob  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Receiving. */

static void
fail_write (FerryUploadJob *self,
            const GError   *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
    ferry_upload_job_refuse (self, FERRY_ERROR_NO_SPACE,
                             _("The server's disk is full."));
  else
    /* Translators: %s is the system's reason */
    ferry_upload_job_refuse (self, FERRY_ERROR_INTERNAL,
                             _("The server could not write the file: %s"),
                             error->message);
}

gboolean
ferry_upload_job_writer_done (FerryUploadJob *self,
                              gboolean        ok,
                              const GError   *error)
{
  /* Stopped meanwhile: what was written went with the partial file, or is kept. */
  if (self->phase == JOB_DONE)
    ferry_upload_job_return_cancelled (self);
  else if (!ok)
    fail_write (self, error);
  return ok && self->phase != JOB_DONE;
}

static void
write_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(FerryUploadJob) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;
  gsize written = g_bytes_get_size (self->chunk);
  gboolean ok;

  /* Done once the chunk is queued and there is room for the next; a write that failed
   * meanwhile is reported here, or at the end. */
  ok = ferry_chunk_writer_push_finish (FERRY_CHUNK_WRITER (object), result, &error);
  if (!ferry_upload_job_writer_done (self, ok, error))
    return;

  g_clear_pointer (&self->chunk, g_bytes_unref);
  self->received += written;
  self->ahead -= written;
  self->written += written;
  ferry_store_charge (self->store, self->address, written);
  task = g_steal_pointer (&self->pending);
  g_task_return_boolean (task, TRUE);
}

static void
write_chunk (FerryUploadJob *self)
{
  ferry_chunk_writer_push_async (self->writer, self->chunk, self->cancellable,
                                 write_cb, g_object_ref (self));
}

static void
reserve_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(FerryUploadJob) self = user_data;
  GError *error = NULL;
  guint64 grant;

  grant = ferry_store_reserve_finish (FERRY_STORE (object), result, &error);

  if (self->phase == JOB_DONE)
    {
      /* The upload ended while the room was being reserved. */
      if (grant > 0)
        ferry_store_release (self->store, self->address, grant, 0);
      g_clear_error (&error);
      ferry_upload_job_return_cancelled (self);
      return;
    }
  if (grant == 0)
    {
      ferry_upload_job_fail (self, error);
      return;
    }

  self->ahead += grant;
  write_chunk (self);
}

/* Writes self->chunk, reserving room for it first when the room ahead is used up: at least
 * the chunk, and up to FERRY_STORE_RESERVE_AHEAD (or the rest of the file) ahead. */
static void
write_or_reserve (FerryUploadJob *self)
{
  guint64 len = g_bytes_get_size (self->chunk);
  guint64 target;

  if (len <= self->ahead)
    {
      write_chunk (self);
      return;
    }

  target = MIN (self->size - self->received, MAX (len, FERRY_STORE_RESERVE_AHEAD));
  ferry_store_reserve_async (self->store, self->address, len - self->ahead,
                             target - self->ahead, self->size - self->received,
                             self->cancellable, reserve_cb, g_object_ref (self));
}

void
ferry_upload_job_write_async (FerryUploadJob      *self,
                              guint64              offset,
                              GBytes              *chunk,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GError *error = NULL;
  gsize len;
  const guint8 *data;

  g_return_if_fail (FERRY_IS_UPLOAD_JOB (self));
  g_return_if_fail (chunk != NULL);
  g_return_if_fail (!self->pending);

  self->pending = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (self->pending, ferry_upload_job_write_async);
  if (self->phase != JOB_RECEIVING)
    {
      ferry_upload_job_return_cancelled (self);
      return;
    }

  data = g_bytes_get_data (chunk, &len);
  if (offset != self->received)
    {
      ferry_upload_job_refuse (self, FERRY_ERROR_SIZE_MISMATCH,
                               _("The data arrived at offset %" G_GUINT64_FORMAT
                                 " where the server expected offset %" G_GUINT64_FORMAT "."),
                               offset, self->received);
      return;
    }
  if (len > self->size - self->received && self->size_unknown)
    {
      g_autofree char *limit = ferry_format_size (self->max_file_size);

      /* Translators: "report.iso is over this server's limit of 4.0 GB." */
      ferry_upload_job_refuse (self, FERRY_ERROR_TOO_LARGE,
                               _("%s is over this server's limit of %s."),
                               self->name, limit);
      return;
    }
  if (len > self->size - self->received)
    {
      ferry_upload_job_refuse (self, FERRY_ERROR_SIZE_MISMATCH,
                               _("More data arrived than the upload announced."));
      return;
    }
  /* A folder stream's header is checked as it arrives: a broken one ends the upload. */
  if (self->folder_parser && !ferry_folder_parser_is_done (self->folder_parser) &&
      !ferry_folder_parser_feed (self->folder_parser, data, len, NULL, &error))
    {
      ferry_upload_job_fail (self, error);
      return;
    }

  self->chunk = g_bytes_ref (chunk);
  write_or_reserve (self);
}

gboolean
ferry_upload_job_write_finish (FerryUploadJob  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Properties. */

const char *
ferry_upload_job_get_token (FerryUploadJob *self)
{
  g_return_val_if_fail (FERRY_IS_UPLOAD_JOB (self), NULL);
  return self->token;
}

const char *
ferry_upload_job_get_name (FerryUploadJob *self)
{
  g_return_val_if_fail (FERRY_IS_UPLOAD_JOB (self), NULL);
  return self->name;
}

guint64
ferry_upload_job_get_size (FerryUploadJob *self)
{
  g_return_val_if_fail (FERRY_IS_UPLOAD_JOB (self), 0);
  return self->size;
}

guint64
ferry_upload_job_get_offset (FerryUploadJob *self)
{
  g_return_val_if_fail (FERRY_IS_UPLOAD_JOB (self), 0);
  return self->received;
}

gboolean
ferry_upload_job_is_committing (FerryUploadJob *self)
{
  g_return_val_if_fail (FERRY_IS_UPLOAD_JOB (self), FALSE);
  return self->phase == JOB_COMMITTING;
}

gboolean
ferry_upload_job_is_over (FerryUploadJob *self)
{
  g_return_val_if_fail (FERRY_IS_UPLOAD_JOB (self), TRUE);
  return self->phase == JOB_DONE;
}
