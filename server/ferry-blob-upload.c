/* ferry-blob-upload.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-blob-upload"

#include "config.h"

#include "ferry-blob-upload.h"

#include "ferry-blob-store.h"

struct _FerryBlobUpload
{
  GObject parent_instance;

  /* owned references */
  FerryBlobStore *store;
  char           *token;
  GOutputStream  *stream;

  guint64         offset;
};

G_DEFINE_FINAL_TYPE (FerryBlobUpload, ferry_blob_upload, G_TYPE_OBJECT)

static void
ferry_blob_upload_finalize (GObject *object)
{
  FerryBlobUpload *self = FERRY_BLOB_UPLOAD (object);

  g_clear_object (&self->store);
  g_clear_pointer (&self->token, g_free);
  g_clear_object (&self->stream);

  G_OBJECT_CLASS (ferry_blob_upload_parent_class)->finalize (object);
}

static void
ferry_blob_upload_class_init (FerryBlobUploadClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ferry_blob_upload_finalize;
}

static void
ferry_blob_upload_init (FerryBlobUpload *self)
{
}

FerryBlobUpload *
ferry_blob_upload_new (FerryBlobStore *store,
                       const char     *token,
                       GOutputStream  *stream,
                       guint64         offset)
{
  FerryBlobUpload *self;

  g_return_val_if_fail (FERRY_IS_BLOB_STORE (store), NULL);
  g_return_val_if_fail (token != NULL, NULL);
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (stream), NULL);

  self = g_object_new (FERRY_TYPE_BLOB_UPLOAD, NULL);
  self->store = g_object_ref (store);
  self->token = g_strdup (token);
  self->stream = g_object_ref (stream);
  self->offset = offset;
  return self;
}

FerryBlobStore *
ferry_blob_upload_get_store (FerryBlobUpload *self)
{
  g_return_val_if_fail (FERRY_IS_BLOB_UPLOAD (self), NULL);
  return self->store;
}

const char *
ferry_blob_upload_get_token (FerryBlobUpload *self)
{
  g_return_val_if_fail (FERRY_IS_BLOB_UPLOAD (self), NULL);
  return self->token;
}

GOutputStream *
ferry_blob_upload_get_stream (FerryBlobUpload *self)
{
  g_return_val_if_fail (FERRY_IS_BLOB_UPLOAD (self), NULL);
  return self->stream;
}

guint64
ferry_blob_upload_get_offset (FerryBlobUpload *self)
{
  g_return_val_if_fail (FERRY_IS_BLOB_UPLOAD (self), 0);
  return self->offset;
}

gboolean
ferry_blob_upload_commit (FerryBlobUpload  *self,
                          const char       *id,
                          GError          **error)
{
  g_return_val_if_fail (FERRY_IS_BLOB_UPLOAD (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  return FERRY_BLOB_STORE_GET_IFACE (self->store)->commit_upload (self->store, self, id, error);
}

static void
abort_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  FerryBlobUpload *self = source_object;

  FERRY_BLOB_STORE_GET_IFACE (self->store)->abort_upload (self->store, self);
  g_task_return_boolean (task, TRUE);
}

void
ferry_blob_upload_abort_async (FerryBlobUpload     *self,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FERRY_IS_BLOB_UPLOAD (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, ferry_blob_upload_abort_async);
  g_task_run_in_thread (task, abort_thread);
}

void
ferry_blob_upload_abort_finish (FerryBlobUpload *self,
                                GAsyncResult    *result)
{
  g_return_if_fail (g_task_is_valid (result, self));
  g_task_propagate_boolean (G_TASK (result), NULL);
}
