/* ferry-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-store"

#include "config.h"

#include "ferry-store.h"

#include "ferry-error.h"
#include "ferry-message.h"
#include "storage/local/ferry-local-blob-store.h"
#include "storage/local/ferry-sqlite-catalogue.h"

struct _FerryStore
{
  GObject parent_instance;

  /* owned */
  FerryBlobStore *blob_store;
  FerryCatalogue *catalogue;
  GPtrArray      *space_waiters;     /* space checks (GTask) waiting for n_freeing to be 0 */

  guint           n_freeing;         /* unfinished uploads being thrown away */
  guint           free_generation;   /* unfinished uploads thrown away so far */
  guint           n_busy;            /* commits and removals running */
};

G_DEFINE_FINAL_TYPE (FerryStore, ferry_store, G_TYPE_OBJECT)

static void
ferry_store_finalize (GObject *object)
{
  FerryStore *self = FERRY_STORE (object);

  g_clear_object (&self->blob_store);
  g_clear_object (&self->catalogue);
  g_clear_pointer (&self->space_waiters, g_ptr_array_unref);

  G_OBJECT_CLASS (ferry_store_parent_class)->finalize (object);
}

static void
ferry_store_class_init (FerryStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ferry_store_finalize;
}

static void
ferry_store_init (FerryStore *self)
{
  self->space_waiters = g_ptr_array_new ();
}

FerryStore *
ferry_store_new_for (FerryBlobStore *blob_store,
                     FerryCatalogue *catalogue)
{
  FerryStore *self;

  g_return_val_if_fail (FERRY_IS_BLOB_STORE (blob_store), NULL);
  g_return_val_if_fail (FERRY_IS_CATALOGUE (catalogue), NULL);

  self = g_object_new (FERRY_TYPE_STORE, NULL);
  self->blob_store = g_object_ref (blob_store);
  self->catalogue = g_object_ref (catalogue);
  return self;
}

FerryStore *
ferry_store_new (const char  *data_dir,
                 GError     **error)
{
  g_autoptr(FerryLocalBlobStore) blob_store = NULL;
  g_autoptr(FerrySqliteCatalogue) catalogue = NULL;
  g_autofree char *db_path = NULL;

  g_return_val_if_fail (data_dir != NULL, NULL);

  blob_store = ferry_local_blob_store_new (data_dir, error);
  if (!blob_store)
    return NULL;
  db_path = g_build_filename (data_dir, "catalogue.sqlite", NULL);
  catalogue = ferry_sqlite_catalogue_open (db_path, error);
  if (!catalogue)
    return NULL;

  return ferry_store_new_for (FERRY_BLOB_STORE (blob_store), FERRY_CATALOGUE (catalogue));
}

GPtrArray *
ferry_store_reconcile (FerryStore  *self,
                       GError     **error)
{
  GPtrArray *rows;

  g_return_val_if_fail (FERRY_IS_STORE (self), NULL);

  rows = ferry_blob_store_reconcile (self->blob_store, self->catalogue, error);
  for (guint i = 0; rows && i < rows->len; i++)
    {
      FerryCatalogueRow *row = g_ptr_array_index (rows, i);

      ferry_catalogue_count (self->catalogue, row->size, 0);
    }
  return rows;
}

void
ferry_store_close (FerryStore *self)
{
  g_return_if_fail (FERRY_IS_STORE (self));
  ferry_catalogue_close (self->catalogue);
}

FerryCatalogue *
ferry_store_get_catalogue (FerryStore *self)
{
  g_return_val_if_fail (FERRY_IS_STORE (self), NULL);
  return self->catalogue;
}

FerryBlobStore *
ferry_store_get_blob_store (FerryStore *self)
{
  g_return_val_if_fail (FERRY_IS_STORE (self), NULL);
  return self->blob_store;
}

void
ferry_store_set_quota (FerryStore *self,
                       guint64     quota)
{
  g_return_if_fail (FERRY_IS_STORE (self));
  ferry_catalogue_set_quota (self->catalogue, quota);
}

guint64
ferry_store_get_used (FerryStore *self)
{
  g_return_val_if_fail (FERRY_IS_STORE (self), 0);
  return ferry_catalogue_get_used (self->catalogue);
}

/* Space requests: a free-space reading from the blob store, then the catalogue's books. */

typedef struct
{
  char    *address;         /* NULL: a check before ACCEPT, which reserves nothing */
  guint64  need;            /* for a check: the file's size */
  guint64  want;
  guint64  rest;            /* what is still to come of the file, for messages */
  guint64  mark;            /* the catalogue's mark when the free space was read */
  guint    generation;
} SpaceRequest;

static void
space_request_free (SpaceRequest *req)
{
  g_free (req->address);
  g_free (req);
}

static void space_query (FerryStore *self, GTask *task);

static void
space_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FerryStore *self = g_task_get_source_object (task);
  SpaceRequest *req = g_task_get_task_data (task);
  FerrySpaceRequest request = { req->address, req->need, req->want, req->rest };
  FerryFreeSpace space = { FALSE, 0, req->mark };
  g_autoptr(GError) error = NULL;
  gboolean short_of_disk = FALSE;
  guint64 grant;

  space.known = ferry_blob_store_query_space_finish (FERRY_BLOB_STORE (object), result,
                                                     &space.free_bytes, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!space.known)
    g_warning ("Could not check the free space: %s", error->message);
  g_clear_error (&error);

  grant = ferry_catalogue_reserve (self->catalogue, &request, &space, &short_of_disk, &error);
  if (grant == 0 && short_of_disk)
    {
      /* An unfinished upload is being thrown away: wait for that room, then look again. */
      if (self->n_freeing > 0)
        {
          g_ptr_array_add (self->space_waiters, g_steal_pointer (&task));
          return;
        }
      if (self->free_generation != req->generation)
        {
          space_query (self, g_steal_pointer (&task));
          return;
        }
    }
  if (grant == 0)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_int (task, (gssize) grant);
}

/* Takes @task. */
static void
space_query (FerryStore *self,
             GTask      *task)
{
  SpaceRequest *req = g_task_get_task_data (task);

  req->mark = ferry_catalogue_get_mark (self->catalogue);
  req->generation = self->free_generation;
  ferry_blob_store_query_space_async (self->blob_store, g_task_get_cancellable (task),
                                      space_cb, task);
}

static void
space_request (FerryStore          *self,
               gpointer             source_tag,
               const char          *address,
               guint64              need,
               guint64              want,
               guint64              rest,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  GTask *task;
  SpaceRequest *req;

  req = g_new0 (SpaceRequest, 1);
  req->address = g_strdup (address);
  req->need = need;
  req->want = MAX (want, need);
  req->rest = rest;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, req, (GDestroyNotify) space_request_free);
  space_query (self, task);
}

void
ferry_store_check_upload_async (FerryStore          *self,
                                guint64              size,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (FERRY_IS_STORE (self));

  space_request (self, ferry_store_check_upload_async, NULL, size, size, size,
                 cancellable, callback, user_data);
}

gboolean
ferry_store_check_upload_finish (FerryStore    *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_int (G_TASK (result), error) > 0;
}

void
ferry_store_reserve_async (FerryStore          *self,
                           const char          *address,
                           guint64              need,
                           guint64              want,
                           guint64              rest,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (FERRY_IS_STORE (self));
  g_return_if_fail (address != NULL);
  g_return_if_fail (need > 0 && need <= G_MAXSSIZE && want <= G_MAXSSIZE);

  space_request (self, ferry_store_reserve_async, address, need, want, rest,
                 cancellable, callback, user_data);
}

guint64
ferry_store_reserve_finish (FerryStore    *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  gssize grant;

  g_return_val_if_fail (g_task_is_valid (result, self), 0);

  grant = g_task_propagate_int (G_TASK (result), error);
  return grant > 0 ? (guint64) grant : 0;
}

void
ferry_store_charge (FerryStore *self,
                    const char *address,
                    guint64     size)
{
  g_return_if_fail (FERRY_IS_STORE (self));
  ferry_catalogue_charge (self->catalogue, address, size);
}

void
ferry_store_release (FerryStore *self,
                     const char *address,
                     guint64     ahead,
                     guint64     written)
{
  g_return_if_fail (FERRY_IS_STORE (self));
  ferry_catalogue_release (self->catalogue, address, ahead, written);
}

/* Uploads. */

static void
begin_upload_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  FerryBlobUpload *upload;

  upload = ferry_blob_store_begin_upload_finish (FERRY_BLOB_STORE (object), result, &error);
  if (upload)
    g_task_return_pointer (task, upload, g_object_unref);
  else
    g_task_return_error (task, error);
}

void
ferry_store_begin_upload_async (FerryStore          *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autofree char *token = ferry_catalogue_random_id ();
  GTask *task;

  g_return_if_fail (FERRY_IS_STORE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_store_begin_upload_async);
  /* An upload begun just as @cancellable fires still reaches the caller, to be aborted. */
  g_task_set_check_cancellable (task, FALSE);
  ferry_blob_store_begin_upload_async (self->blob_store, token, cancellable,
                                       begin_upload_cb, task);
}

FerryBlobUpload *
ferry_store_begin_upload_finish (FerryStore    *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
abort_upload_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FerryStore *self = g_task_get_source_object (task);

  ferry_blob_upload_abort_finish (FERRY_BLOB_UPLOAD (object), result);

  self->n_freeing--;
  self->free_generation++;
  if (self->n_freeing == 0 && self->space_waiters->len > 0)
    {
      g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->space_waiters);

      self->space_waiters = g_ptr_array_new ();
      for (guint i = 0; i < waiters->len; i++)
        space_query (self, g_ptr_array_index (waiters, i));
    }

  g_task_return_boolean (task, TRUE);
}

void
ferry_store_abort_upload_async (FerryStore          *self,
                                FerryBlobUpload     *upload,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (FERRY_IS_STORE (self));
  g_return_if_fail (FERRY_IS_BLOB_UPLOAD (upload));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, ferry_store_abort_upload_async);

  self->n_freeing++;
  ferry_blob_upload_abort_async (upload, abort_upload_cb, task);
}

void
ferry_store_abort_upload_finish (FerryStore   *self,
                                 GAsyncResult *result)
{
  g_return_if_fail (g_task_is_valid (result, self));
  g_task_propagate_boolean (G_TASK (result), NULL);
}

/* Commit: an id, the blob, then the row. */

typedef struct
{
  FerryBlobUpload   *upload;
  FerryCatalogueRow *row;
  char              *id;
  GError            *error;    /* an insert's failure, while its blob is removed */
} CommitData;

static void
commit_data_free (CommitData *data)
{
  g_clear_object (&data->upload);
  g_clear_pointer (&data->row, ferry_catalogue_row_unref);
  g_clear_pointer (&data->id, g_free);
  g_clear_error (&data->error);
  g_free (data);
}

static void
commit_return (GTask  *task,
               GError *error)
{
  FerryStore *self = g_task_get_source_object (task);
  CommitData *data = g_task_get_task_data (task);

  self->n_busy--;
  if (error)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, ferry_catalogue_row_ref (data->row),
                           (GDestroyNotify) ferry_catalogue_row_unref);
}

static void
commit_unblobbed_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CommitData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!ferry_blob_store_remove_finish (FERRY_BLOB_STORE (object), result, &error))
    g_debug ("%s", error->message);
  commit_return (task, g_steal_pointer (&data->error));
}

static void
commit_inserted_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FerryStore *self = g_task_get_source_object (task);
  CommitData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!ferry_catalogue_insert_finish (FERRY_CATALOGUE (object), result, &error))
    {
      /* A blob without a row would only end in lost+found/ at the next start. */
      data->error = error;
      ferry_blob_store_remove_async (self->blob_store, data->id, NULL,
                                     commit_unblobbed_cb, g_steal_pointer (&task));
      return;
    }
  commit_return (task, NULL);
}

static void
commit_blob_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FerryStore *self = g_task_get_source_object (task);
  CommitData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!ferry_blob_upload_commit_finish (FERRY_BLOB_UPLOAD (object), result, &error))
    {
      ferry_catalogue_release_id (self->catalogue, data->id);
      commit_return (task, error);
      return;
    }

  data->row->id = g_strdup (data->id);
  ferry_catalogue_insert_async (self->catalogue, data->row, NULL,
                                commit_inserted_cb, g_steal_pointer (&task));
}

static void
commit_id_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CommitData *data = g_task_get_task_data (task);
  GError *error = NULL;

  data->id = ferry_catalogue_new_id_finish (FERRY_CATALOGUE (object), result, &error);
  if (!data->id)
    {
      commit_return (task, error);
      return;
    }
  ferry_blob_upload_commit_async (data->upload, data->id, commit_blob_cb,
                                  g_steal_pointer (&task));
}

void
ferry_store_commit_async (FerryStore          *self,
                          FerryBlobUpload     *upload,
                          FerryCatalogueRow   *row,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GTask *task;
  CommitData *data;

  g_return_if_fail (FERRY_IS_STORE (self));
  g_return_if_fail (FERRY_IS_BLOB_UPLOAD (upload));
  g_return_if_fail (row != NULL && row->id == NULL);

  data = g_new0 (CommitData, 1);
  data->upload = g_object_ref (upload);
  data->row = ferry_catalogue_row_ref (row);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_store_commit_async);
  g_task_set_task_data (task, data, (GDestroyNotify) commit_data_free);
  /* Once started, a commit runs to its end: a half-done commit is worse than a late one. */
  g_task_set_check_cancellable (task, FALSE);

  self->n_busy++;
  ferry_catalogue_new_id_async (self->catalogue, NULL, commit_id_cb, task);
}

FerryCatalogueRow *
ferry_store_commit_finish (FerryStore    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  FerryCatalogueRow *row;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  row = g_task_propagate_pointer (G_TASK (result), error);
  if (row)
    ferry_catalogue_count (self->catalogue, row->size, 0);
  return row;
}

/* Removal: the row, then the blob. */

typedef struct
{
  char    *id;
  guint64  size;
} RemoveData;

static void
remove_data_free (RemoveData *data)
{
  g_free (data->id);
  g_free (data);
}

static void
remove_blob_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FerryStore *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  /* The offer is gone once its row is: a blob left behind only costs space (logged). */
  if (!ferry_blob_store_remove_finish (FERRY_BLOB_STORE (object), result, &error))
    g_debug ("%s", error->message);
  self->n_busy--;
  g_task_return_boolean (task, TRUE);
}

static void
remove_row_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FerryStore *self = g_task_get_source_object (task);
  RemoveData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!ferry_catalogue_remove_finish (FERRY_CATALOGUE (object), result, &error))
    {
      self->n_busy--;
      g_task_return_error (task, error);
      return;
    }
  ferry_blob_store_remove_async (self->blob_store, data->id, NULL,
                                 remove_blob_cb, g_steal_pointer (&task));
}

void
ferry_store_remove_async (FerryStore          *self,
                          const char          *id,
                          guint64              size,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GTask *task;
  RemoveData *data;

  g_return_if_fail (FERRY_IS_STORE (self));
  g_return_if_fail (ferry_id_is_valid (id));

  data = g_new0 (RemoveData, 1);
  data->id = g_strdup (id);
  data->size = size;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_store_remove_async);
  g_task_set_task_data (task, data, (GDestroyNotify) remove_data_free);
  g_task_set_check_cancellable (task, FALSE);

  self->n_busy++;
  ferry_catalogue_remove_async (self->catalogue, id, NULL, remove_row_cb, task);
}

gboolean
ferry_store_remove_finish (FerryStore    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  RemoveData *data;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  data = g_task_get_task_data (G_TASK (result));
  ferry_catalogue_count (self->catalogue, 0, data->size);
  return TRUE;
}

/* Downloads. */

static void
open_blob_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GInputStream *stream;

  stream = ferry_blob_store_open_finish (FERRY_BLOB_STORE (object), result, &error);
  if (stream)
    g_task_return_pointer (task, stream, g_object_unref);
  else
    g_task_return_error (task, error);
}

void
ferry_store_open_blob_async (FerryStore          *self,
                             const char          *id,
                             guint64              offset,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (FERRY_IS_STORE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_store_open_blob_async);
  ferry_blob_store_open_async (self->blob_store, id, offset, cancellable, open_blob_cb, task);
}

GInputStream *
ferry_store_open_blob_finish (FerryStore    *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
ferry_store_is_busy (FerryStore *self)
{
  g_return_val_if_fail (FERRY_IS_STORE (self), FALSE);
  return self->n_busy > 0;
}
