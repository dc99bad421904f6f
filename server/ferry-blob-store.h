/* ferry-blob-store.h: where the bytes of committed offers and of uploads in progress live
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An interface: FerryLocalBlobStore (storage/local/, files in blobs/ and partial/) is the
 * default, FerryMemoryBlobStore (storage/memory/) serves tests. A blob store knows nothing of
 * offers: the catalogue (ferry-catalogue.h) names the blobs and counts their space.
 */
#pragma once

#include <gio/gio.h>

#include "ferry-blob-upload.h"
#include "ferry-catalogue.h"

G_BEGIN_DECLS

#define FERRY_TYPE_BLOB_STORE (ferry_blob_store_get_type ())

G_DECLARE_INTERFACE (FerryBlobStore, ferry_blob_store, FERRY, BLOB_STORE, GObject)

struct _FerryBlobStoreInterface
{
  GTypeInterface parent_iface;

  /* Asynchronous; they must not block the main thread. The _finish methods default to
   * propagating a GTask (source object: the store): a pointer, or the free bytes as an int. */
  void             (*begin_upload_async)  (FerryBlobStore       *self,
                                           const char           *token,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
  FerryBlobUpload *(*begin_upload_finish) (FerryBlobStore       *self,
                                           GAsyncResult         *result,
                                           GError              **error);
  void             (*open_async)          (FerryBlobStore       *self,
                                           const char           *id,
                                           guint64               offset,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
  GInputStream    *(*open_finish)         (FerryBlobStore       *self,
                                           GAsyncResult         *result,
                                           GError              **error);
  void             (*query_space_async)   (FerryBlobStore       *self,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
  gboolean         (*query_space_finish)  (FerryBlobStore       *self,
                                           GAsyncResult         *result,
                                           guint64              *free_bytes,
                                           GError              **error);

  /* Thread-safe and blocking: for worker threads (FerryStore's commits and removals, and
   * ferry_blob_upload_abort_async). */
  gboolean         (*commit_upload)       (FerryBlobStore       *self,
                                           FerryBlobUpload      *upload,
                                           const char           *id,
                                           GError              **error);
  void             (*abort_upload)        (FerryBlobStore       *self,
                                           FerryBlobUpload      *upload);
  gboolean         (*remove)              (FerryBlobStore       *self,
                                           const char           *id,
                                           GError              **error);
  /* Partial uploads kept for resuming (PROTOCOL.md §5, Upload, Resume), by token. Blocking,
   * for worker threads. */
  FerryBlobUpload *(*reopen_upload)       (FerryBlobStore       *self,
                                           const char           *token,
                                           GError              **error);
  GInputStream    *(*read_partial)        (FerryBlobStore       *self,
                                           const char           *token,
                                           GError              **error);
  guint64          (*keep_upload)         (FerryBlobStore       *self,
                                           FerryBlobUpload      *upload);
  void             (*remove_partial)      (FerryBlobStore       *self,
                                           const char           *token);
  GHashTable      *(*list_partials)       (FerryBlobStore       *self,
                                           GError              **error);

  /* At startup, before anything else: makes the blobs and @catalogue agree and returns the
   * rows that have their blob, oldest first. Partial uploads are left alone. */
  GPtrArray       *(*reconcile)           (FerryBlobStore       *self,
                                           FerryCatalogue       *catalogue,
                                           GError              **error);
};

/* Starts a new upload named @token (an id: 16 lowercase hex digits). */
void             ferry_blob_store_begin_upload_async  (FerryBlobStore       *self,
                                                       const char           *token,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
FerryBlobUpload *ferry_blob_store_begin_upload_finish (FerryBlobStore       *self,
                                                       GAsyncResult         *result,
                                                       GError              **error);
/* A stream of blob @id from byte @offset on. FERRY_ERROR_NOT_FOUND when there is no such
 * blob; other errors are FERRY_ERROR_INTERNAL sentences that name no server path. */
void             ferry_blob_store_open_async          (FerryBlobStore       *self,
                                                       const char           *id,
                                                       guint64               offset,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
GInputStream    *ferry_blob_store_open_finish         (FerryBlobStore       *self,
                                                       GAsyncResult         *result,
                                                       GError              **error);
/* How many bytes uploads may still write, the store's own margin taken off. */
void             ferry_blob_store_query_space_async   (FerryBlobStore       *self,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
gboolean         ferry_blob_store_query_space_finish  (FerryBlobStore       *self,
                                                       GAsyncResult         *result,
                                                       guint64              *free_bytes,
                                                       GError              **error);
/* Removes blob @id; a blob that is already gone is no error. Blocking: for a worker thread. */
gboolean         ferry_blob_store_remove              (FerryBlobStore       *self,
                                                       const char           *id,
                                                       GError              **error);
/* Partial uploads, by token; blocking, for worker threads. reopen_upload continues partial
 * @token where it ends (ferry_blob_upload_get_offset: its length), FERRY_ERROR_NOT_FOUND when
 * there is none; read_partial reads it from its start; keep_upload lets go of @upload, keeps
 * what it wrote and returns its length; remove_partial throws partial @token away (no error if it is gone already);
 * list_partials returns every partial's token → its length (a guint64 *). */
FerryBlobUpload *ferry_blob_store_reopen_upload       (FerryBlobStore       *self,
                                                       const char           *token,
                                                       GError              **error);
GInputStream    *ferry_blob_store_read_partial        (FerryBlobStore       *self,
                                                       const char           *token,
                                                       GError              **error);
guint64          ferry_blob_store_keep_upload         (FerryBlobStore       *self,
                                                       FerryBlobUpload      *upload);
void             ferry_blob_store_remove_partial      (FerryBlobStore       *self,
                                                       const char           *token);
GHashTable      *ferry_blob_store_list_partials       (FerryBlobStore       *self,
                                                       GError              **error);
/* Blocking; at startup only. */
GPtrArray       *ferry_blob_store_reconcile           (FerryBlobStore       *self,
                                                       FerryCatalogue       *catalogue,
                                                       GError              **error);

G_END_DECLS
