/* ferry-memory-blob-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-memory-blob-store"

#include "config.h"

#include "ferry-memory-blob-store.h"

#include <glib/gi18n.h>

#include "ferry-error.h"

struct _FerryMemoryBlobStore
{
  GObject parent_instance;

  /* owned */
  GHashTable *blobs;      /* id -> GBytes */
  GHashTable *uploads;    /* token -> GMemoryOutputStream */

  guint64     capacity;
  GMutex      lock;       /* blobs and uploads: commits and removals run in threads */
};

static void blob_store_iface_init (FerryBlobStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FerryMemoryBlobStore, ferry_memory_blob_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (FERRY_TYPE_BLOB_STORE,
                                                      blob_store_iface_init))

static void
ferry_memory_blob_store_finalize (GObject *object)
{
  FerryMemoryBlobStore *self = FERRY_MEMORY_BLOB_STORE (object);

  g_clear_pointer (&self->blobs, g_hash_table_unref);
  g_clear_pointer (&self->uploads, g_hash_table_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (ferry_memory_blob_store_parent_class)->finalize (object);
}

static void
ferry_memory_blob_store_class_init (FerryMemoryBlobStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ferry_memory_blob_store_finalize;
}

static void
ferry_memory_blob_store_init (FerryMemoryBlobStore *self)
{
  self->blobs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) g_bytes_unref);
  self->uploads = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  g_mutex_init (&self->lock);
}

FerryMemoryBlobStore *
ferry_memory_blob_store_new (guint64 capacity)
{
  FerryMemoryBlobStore *self = g_object_new (FERRY_TYPE_MEMORY_BLOB_STORE, NULL);

  self->capacity = capacity;
  return self;
}

guint64
ferry_memory_blob_store_get_stored (FerryMemoryBlobStore *self)
{
  GHashTableIter iter;
  gpointer value;
  guint64 stored = 0;

  g_return_val_if_fail (FERRY_IS_MEMORY_BLOB_STORE (self), 0);

  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->blobs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    stored += g_bytes_get_size (value);
  g_hash_table_iter_init (&iter, self->uploads);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    stored += g_memory_output_stream_get_data_size (value);
  g_mutex_unlock (&self->lock);

  return stored;
}

guint
ferry_memory_blob_store_get_n_blobs (FerryMemoryBlobStore *self)
{
  guint n;

  g_return_val_if_fail (FERRY_IS_MEMORY_BLOB_STORE (self), 0);

  g_mutex_lock (&self->lock);
  n = g_hash_table_size (self->blobs);
  g_mutex_unlock (&self->lock);
  return n;
}

guint
ferry_memory_blob_store_get_n_uploads (FerryMemoryBlobStore *self)
{
  guint n;

  g_return_val_if_fail (FERRY_IS_MEMORY_BLOB_STORE (self), 0);

  g_mutex_lock (&self->lock);
  n = g_hash_table_size (self->uploads);
  g_mutex_unlock (&self->lock);
  return n;
}

static void
memory_begin_upload_async (FerryBlobStore      *store,
                           const char          *token,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  FerryMemoryBlobStore *self = FERRY_MEMORY_BLOB_STORE (store);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GOutputStream) stream = NULL;
  gboolean taken;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, memory_begin_upload_async);
  g_task_set_check_cancellable (task, FALSE);

  stream = g_memory_output_stream_new_resizable ();
  g_mutex_lock (&self->lock);
  taken = g_hash_table_contains (self->uploads, token);
  if (!taken)
    g_hash_table_insert (self->uploads, g_strdup (token), g_object_ref (stream));
  g_mutex_unlock (&self->lock);

  if (taken)
    g_task_return_new_error (task, FERRY_ERROR, FERRY_ERROR_INTERNAL, "%s",
                             _("The server could not start the upload."));
  else
    g_task_return_pointer (task, ferry_blob_upload_new (store, token, stream, 0),
                           g_object_unref);
}

static gboolean
memory_commit_upload (FerryBlobStore   *store,
                      FerryBlobUpload  *upload,
                      const char       *id,
                      GError          **error)
{
  FerryMemoryBlobStore *self = FERRY_MEMORY_BLOB_STORE (store);
  GOutputStream *stream = ferry_blob_upload_get_stream (upload);
  const char *token = ferry_blob_upload_get_token (upload);
  gboolean ok = FALSE;

  if (!g_output_stream_close (stream, NULL, NULL))
    {
      g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_INTERNAL,
                           _("The server could not store the file."));
      return FALSE;
    }

  g_mutex_lock (&self->lock);
  if (g_hash_table_lookup (self->uploads, token) == stream &&
      !g_hash_table_contains (self->blobs, id))
    {
      GBytes *bytes = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (stream));

      g_hash_table_insert (self->blobs, g_strdup (id), bytes);
      g_hash_table_remove (self->uploads, token);
      ok = TRUE;
    }
  g_mutex_unlock (&self->lock);

  if (!ok)
    g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_INTERNAL,
                         _("The server could not store the file."));
  return ok;
}

static void
memory_abort_upload (FerryBlobStore  *store,
                     FerryBlobUpload *upload)
{
  FerryMemoryBlobStore *self = FERRY_MEMORY_BLOB_STORE (store);
  const char *token = ferry_blob_upload_get_token (upload);

  g_mutex_lock (&self->lock);
  if (g_hash_table_lookup (self->uploads, token) == ferry_blob_upload_get_stream (upload))
    g_hash_table_remove (self->uploads, token);
  g_mutex_unlock (&self->lock);
}

static gboolean
memory_remove (FerryBlobStore  *store,
               const char      *id,
               GError         **error)
{
  FerryMemoryBlobStore *self = FERRY_MEMORY_BLOB_STORE (store);

  g_mutex_lock (&self->lock);
  g_hash_table_remove (self->blobs, id);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static void
memory_open_async (FerryBlobStore      *store,
                   const char          *id,
                   guint64              offset,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  FerryMemoryBlobStore *self = FERRY_MEMORY_BLOB_STORE (store);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  GBytes *bytes;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, memory_open_async);

  g_mutex_lock (&self->lock);
  bytes = g_hash_table_lookup (self->blobs, id);
  if (bytes)
    stream = g_memory_input_stream_new_from_bytes (bytes);
  g_mutex_unlock (&self->lock);

  if (!stream)
    {
      g_task_return_new_error (task, FERRY_ERROR, FERRY_ERROR_NOT_FOUND, "%s",
                               _("No file with that id is shared."));
      return;
    }
  if (offset > 0 &&
      !g_seekable_seek (G_SEEKABLE (stream), (goffset) offset, G_SEEK_SET, NULL, &error))
    {
      g_task_return_new_error (task, FERRY_ERROR, FERRY_ERROR_INTERNAL, "%s",
                               _("The server could not open the file."));
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&stream), g_object_unref);
}

static void
memory_query_space_async (FerryBlobStore      *store,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  FerryMemoryBlobStore *self = FERRY_MEMORY_BLOB_STORE (store);
  g_autoptr(GTask) task = NULL;
  guint64 stored = ferry_memory_blob_store_get_stored (self);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, memory_query_space_async);
  g_task_return_int (task, (gssize) MIN (stored < self->capacity ? self->capacity - stored : 0,
                                         (guint64) G_MAXSSIZE));
}

/* Rows whose blob is missing are dropped; blobs without a row are forgotten. */
static GPtrArray *
memory_reconcile (FerryBlobStore  *store,
                  FerryCatalogue  *catalogue,
                  GError         **error)
{
  FerryMemoryBlobStore *self = FERRY_MEMORY_BLOB_STORE (store);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) kept = NULL;
  g_autoptr(GHashTable) known = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer id;
  gpointer bytes;

  rows = ferry_catalogue_list (catalogue, error);
  if (!rows)
    return NULL;
  kept = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_catalogue_row_unref);

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < rows->len; i++)
    {
      FerryCatalogueRow *row = g_ptr_array_index (rows, i);

      bytes = g_hash_table_lookup (self->blobs, row->id);
      if (!bytes || g_bytes_get_size (bytes) != row->size)
        {
          ferry_catalogue_remove (catalogue, row->id, NULL);
          continue;
        }
      g_hash_table_add (known, row->id);
      g_ptr_array_add (kept, ferry_catalogue_row_ref (row));
    }
  g_hash_table_iter_init (&iter, self->blobs);
  while (g_hash_table_iter_next (&iter, &id, NULL))
    if (!g_hash_table_contains (known, id))
      g_hash_table_iter_remove (&iter);
  g_mutex_unlock (&self->lock);

  return g_steal_pointer (&kept);
}

/* Partial uploads: a kept upload's stream stays open in self->uploads. */

static FerryBlobUpload *
memory_reopen_upload (FerryBlobStore  *store,
                      const char      *token,
                      GError         **error)
{
  FerryMemoryBlobStore *self = FERRY_MEMORY_BLOB_STORE (store);
  FerryBlobUpload *upload = NULL;
  GMemoryOutputStream *stream;

  g_mutex_lock (&self->lock);
  stream = g_hash_table_lookup (self->uploads, token);
  if (stream && !g_output_stream_is_closed (G_OUTPUT_STREAM (stream)))
    upload = ferry_blob_upload_new (store, token, G_OUTPUT_STREAM (stream),
                                    g_memory_output_stream_get_data_size (stream));
  g_mutex_unlock (&self->lock);

  if (!upload)
    g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                         _("The unfinished upload is gone."));
  return upload;
}

static GInputStream *
memory_read_partial (FerryBlobStore  *store,
                     const char      *token,
                     GError         **error)
{
  FerryMemoryBlobStore *self = FERRY_MEMORY_BLOB_STORE (store);
  GInputStream *input = NULL;
  GMemoryOutputStream *stream;

  g_mutex_lock (&self->lock);
  stream = g_hash_table_lookup (self->uploads, token);
  if (stream)
    input = g_memory_input_stream_new_from_bytes (
      g_bytes_new (g_memory_output_stream_get_data (stream),
                   g_memory_output_stream_get_data_size (stream)));
  g_mutex_unlock (&self->lock);

  if (!input)
    g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                         _("The unfinished upload is gone."));
  return input;
}

static guint64
memory_keep_upload (FerryBlobStore  *store,
                    FerryBlobUpload *upload)
{
  FerryMemoryBlobStore *self = FERRY_MEMORY_BLOB_STORE (store);
  guint64 length;

  g_mutex_lock (&self->lock);
  length = g_memory_output_stream_get_data_size (
    G_MEMORY_OUTPUT_STREAM (ferry_blob_upload_get_stream (upload)));
  g_mutex_unlock (&self->lock);
  return length;
}

static void
memory_remove_partial (FerryBlobStore *store,
                       const char     *token)
{
  FerryMemoryBlobStore *self = FERRY_MEMORY_BLOB_STORE (store);

  g_mutex_lock (&self->lock);
  g_hash_table_remove (self->uploads, token);
  g_mutex_unlock (&self->lock);
}

static GHashTable *
memory_list_partials (FerryBlobStore  *store,
                      GError         **error)
{
  FerryMemoryBlobStore *self = FERRY_MEMORY_BLOB_STORE (store);
  GHashTable *partials = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTableIter iter;
  gpointer token;
  gpointer stream;

  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->uploads);
  while (g_hash_table_iter_next (&iter, &token, &stream))
    {
      guint64 length = g_memory_output_stream_get_data_size (stream);

      g_hash_table_insert (partials, g_strdup (token), g_memdup2 (&length, sizeof length));
    }
  g_mutex_unlock (&self->lock);
  return partials;
}

static void
blob_store_iface_init (FerryBlobStoreInterface *iface)
{
  iface->begin_upload_async = memory_begin_upload_async;
  iface->open_async = memory_open_async;
  iface->query_space_async = memory_query_space_async;
  iface->commit_upload = memory_commit_upload;
  iface->abort_upload = memory_abort_upload;
  iface->remove = memory_remove;
  iface->reconcile = memory_reconcile;
  iface->reopen_upload = memory_reopen_upload;
  iface->read_partial = memory_read_partial;
  iface->keep_upload = memory_keep_upload;
  iface->remove_partial = memory_remove_partial;
  iface->list_partials = memory_list_partials;
}
