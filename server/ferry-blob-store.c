/* ferry-blob-store.c: the FerryBlobStore interface
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-blob-store"

#include "config.h"

#include "ferry-blob-store.h"

#include "ferry-message.h"

G_DEFINE_INTERFACE (FerryBlobStore, ferry_blob_store, G_TYPE_OBJECT)

/* Implementations whose _async methods return through a GTask (source object: the store) get
 * the _finish methods for free: a pointer for begin_upload and open, an int for the free
 * space. */

static gpointer
default_finish_pointer (FerryBlobStore  *self,
                        GAsyncResult    *result,
                        GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
default_query_space_finish (FerryBlobStore  *self,
                            GAsyncResult    *result,
                            guint64         *free_bytes,
                            GError         **error)
{
  gssize value;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  value = g_task_propagate_int (G_TASK (result), error);
  if (value < 0)
    return FALSE;
  *free_bytes = (guint64) value;
  return TRUE;
}

static void
ferry_blob_store_default_init (FerryBlobStoreInterface *iface)
{
  iface->begin_upload_finish = (gpointer) default_finish_pointer;
  iface->open_finish = (gpointer) default_finish_pointer;
  iface->query_space_finish = default_query_space_finish;
}

void
ferry_blob_store_begin_upload_async (FerryBlobStore      *self,
                                     const char          *token,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_return_if_fail (FERRY_IS_BLOB_STORE (self));
  g_return_if_fail (ferry_id_is_valid (token));

  FERRY_BLOB_STORE_GET_IFACE (self)->begin_upload_async (self, token, cancellable,
                                                         callback, user_data);
}

FerryBlobUpload *
ferry_blob_store_begin_upload_finish (FerryBlobStore  *self,
                                      GAsyncResult    *result,
                                      GError         **error)
{
  g_return_val_if_fail (FERRY_IS_BLOB_STORE (self), NULL);
  return FERRY_BLOB_STORE_GET_IFACE (self)->begin_upload_finish (self, result, error);
}

void
ferry_blob_store_open_async (FerryBlobStore      *self,
                             const char          *id,
                             guint64              offset,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (FERRY_IS_BLOB_STORE (self));
  g_return_if_fail (ferry_id_is_valid (id));

  FERRY_BLOB_STORE_GET_IFACE (self)->open_async (self, id, offset, cancellable,
                                                 callback, user_data);
}

GInputStream *
ferry_blob_store_open_finish (FerryBlobStore  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (FERRY_IS_BLOB_STORE (self), NULL);
  return FERRY_BLOB_STORE_GET_IFACE (self)->open_finish (self, result, error);
}

void
ferry_blob_store_query_space_async (FerryBlobStore      *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (FERRY_IS_BLOB_STORE (self));

  FERRY_BLOB_STORE_GET_IFACE (self)->query_space_async (self, cancellable, callback, user_data);
}

gboolean
ferry_blob_store_query_space_finish (FerryBlobStore  *self,
                                     GAsyncResult    *result,
                                     guint64         *free_bytes,
                                     GError         **error)
{
  guint64 space = 0;
  gboolean ok;

  g_return_val_if_fail (FERRY_IS_BLOB_STORE (self), FALSE);

  ok = FERRY_BLOB_STORE_GET_IFACE (self)->query_space_finish (self, result, &space, error);
  if (free_bytes)
    *free_bytes = ok ? space : 0;
  return ok;
}

gboolean
ferry_blob_store_remove (FerryBlobStore  *self,
                         const char      *id,
                         GError         **error)
{
  g_return_val_if_fail (FERRY_IS_BLOB_STORE (self), FALSE);
  g_return_val_if_fail (ferry_id_is_valid (id), FALSE);

  return FERRY_BLOB_STORE_GET_IFACE (self)->remove (self, id, error);
}

GPtrArray *
ferry_blob_store_reconcile (FerryBlobStore  *self,
                            FerryCatalogue  *catalogue,
                            GError         **error)
{
  g_return_val_if_fail (FERRY_IS_BLOB_STORE (self), NULL);
  g_return_val_if_fail (FERRY_IS_CATALOGUE (catalogue), NULL);

  return FERRY_BLOB_STORE_GET_IFACE (self)->reconcile (self, catalogue, error);
}

FerryBlobUpload *
ferry_blob_store_reopen_upload (FerryBlobStore  *self,
                                const char      *token,
                                GError         **error)
{
  g_return_val_if_fail (FERRY_IS_BLOB_STORE (self), NULL);
  g_return_val_if_fail (ferry_id_is_valid (token), NULL);
  return FERRY_BLOB_STORE_GET_IFACE (self)->reopen_upload (self, token, error);
}

GInputStream *
ferry_blob_store_read_partial (FerryBlobStore  *self,
                               const char      *token,
                               GError         **error)
{
  g_return_val_if_fail (FERRY_IS_BLOB_STORE (self), NULL);
  g_return_val_if_fail (ferry_id_is_valid (token), NULL);
  return FERRY_BLOB_STORE_GET_IFACE (self)->read_partial (self, token, error);
}

guint64
ferry_blob_store_keep_upload (FerryBlobStore  *self,
                              FerryBlobUpload *upload)
{
  g_return_val_if_fail (FERRY_IS_BLOB_STORE (self), 0);
  g_return_val_if_fail (FERRY_IS_BLOB_UPLOAD (upload), 0);
  return FERRY_BLOB_STORE_GET_IFACE (self)->keep_upload (self, upload);
}

void
ferry_blob_store_remove_partial (FerryBlobStore *self,
                                 const char     *token)
{
  g_return_if_fail (FERRY_IS_BLOB_STORE (self));
  g_return_if_fail (ferry_id_is_valid (token));
  FERRY_BLOB_STORE_GET_IFACE (self)->remove_partial (self, token);
}

GHashTable *
ferry_blob_store_list_partials (FerryBlobStore  *self,
                                GError         **error)
{
  g_return_val_if_fail (FERRY_IS_BLOB_STORE (self), NULL);
  return FERRY_BLOB_STORE_GET_IFACE (self)->list_partials (self, error);
}
