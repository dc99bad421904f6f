/* ferry-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-store"

#include "config.h"

#include "ferry-store.h"

#include "ferry-commit-queue.h"
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
  FerryCommitQueue *commit_queue;  /* the catalogue's inserts, grouped */
  FerryPartials  *partials;
  GPtrArray      *space_waiters;     /* space checks (GTask) waiting for n_freeing to be 0 */

  guint           n_freeing;         /* unfinished uploads being thrown away */
  guint           free_generation;   /* unfinished uploads thrown away so far */
  int             n_busy;            /* commits and removals running (atomic) */
};

G_DEFINE_FINAL_TYPE (FerryStore, ferry_store, G_TYPE_OBJECT)

static void
ferry_store_finalize (GObject *object)
{
  FerryStore *self = FERRY_STORE (object);

  g_clear_object (&self->blob_store);
  g_clear_object (&self->catalogue);
  g_clear_object (&self->commit_queue);
  g_clear_object (&self->partials);
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
  self->commit_queue = ferry_commit_queue_new (catalogue);
  self->partials = ferry_partials_new (blob_store, catalogue);
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
  if (rows)
    {
      /* Kept partial uploads count as committed bytes do until they finish or expire. */
      g_autoptr(GError) local_error = NULL;
      guint64 kept = ferry_partials_reconcile (self->partials, &local_error);

      if (local_error)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          g_clear_pointer (&rows, g_ptr_array_unref);
        }
      else
        ferry_catalogue_count (self->catalogue, kept, 0);
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

FerryPartials *
ferry_store_get_partials (FerryStore *self)
{
  g_return_val_if_fail (FERRY_IS_STORE (self), NULL);
  return self->partials;
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

/* The blob store's own task: the callback's source object is the blob store. */
void
ferry_store_begin_upload_async (FerryStore          *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autofree char *token = ferry_catalogue_random_id ();

  g_return_if_fail (FERRY_IS_STORE (self));

  ferry_blob_store_begin_upload_async (self->blob_store, token, cancellable, callback, user_data);
}

FerryBlobUpload *
ferry_store_begin_upload_finish (FerryStore    *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (FERRY_IS_STORE (self), NULL);
  return ferry_blob_store_begin_upload_finish (self->blob_store, result, error);
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

/* Commit, in one worker thread: an id, the blob, then the row. */

typedef struct
{
  FerryBlobUpload   *upload;
  FerryCatalogueRow *row;
} CommitData;

static void
commit_data_free (CommitData *data)
{
  g_clear_object (&data->upload);
  g_clear_pointer (&data->row, ferry_catalogue_row_unref);
  g_free (data);
}

static gboolean
commit_in_thread (FerryStore  *self,
                  CommitData  *data,
                  GError     **error)
{
  g_autofree char *id = ferry_catalogue_new_id (self->catalogue, error);

  if (!id)
    return FALSE;

  /* The blob is durable before its row exists: a crash in between leaves a blob without a
   * row, which the next start keeps for the operator (ferry_blob_store_reconcile). */
  if (!ferry_blob_upload_commit (data->upload, id, error))
    {
      ferry_catalogue_release_id (self->catalogue, id);
      return FALSE;
    }

  /* Blobs are synced in parallel, each in its own thread; rows that are ready together share
   * one transaction and one sync of the catalogue. */
  data->row->id = g_strdup (id);
  if (!ferry_commit_queue_insert (self->commit_queue, data->row, error))
    {
      g_autoptr(GError) local_error = NULL;

      if (!ferry_blob_store_remove (self->blob_store, id, &local_error))
        g_debug ("%s", local_error->message);
      return FALSE;
    }
  return TRUE;
}

static void
commit_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  CommitData *data = task_data;
  GError *error = NULL;

  if (commit_in_thread (source_object, data, &error))
    g_task_return_pointer (task, ferry_catalogue_row_ref (data->row),
                           (GDestroyNotify) ferry_catalogue_row_unref);
  else
    g_task_return_error (task, error);
  g_atomic_int_dec_and_test (&FERRY_STORE (source_object)->n_busy);
}

/* Runs @func in a worker thread, counted in n_busy until it has returned. Once started, it
 * runs to its end: a half-done commit or removal is worse than a late one. */
static void
run_busy (FerryStore          *self,
          gpointer             source_tag,
          gpointer             data,
          GDestroyNotify       data_free,
          GTaskThreadFunc      func,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, data, data_free);
  g_atomic_int_inc (&self->n_busy);
  g_task_run_in_thread (task, func);
}

void
ferry_store_commit_async (FerryStore          *self,
                          FerryBlobUpload     *upload,
                          FerryCatalogueRow   *row,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  CommitData *data;

  g_return_if_fail (FERRY_IS_STORE (self));
  g_return_if_fail (FERRY_IS_BLOB_UPLOAD (upload));
  g_return_if_fail (row != NULL && row->id == NULL);

  data = g_new0 (CommitData, 1);
  data->upload = g_object_ref (upload);
  data->row = ferry_catalogue_row_ref (row);
  run_busy (self, ferry_store_commit_async, data, (GDestroyNotify) commit_data_free,
            commit_thread, callback, user_data);
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

/* Removal, in one worker thread: the row, then the blob. */

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
remove_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  FerryStore *self = source_object;
  RemoveData *data = task_data;
  g_autoptr(GError) blob_error = NULL;
  GError *error = NULL;

  if (!ferry_catalogue_remove (self->catalogue, data->id, &error))
    g_task_return_error (task, error);
  else
    {
      /* The offer is gone once its row is: a blob left behind only costs space (logged). */
      if (!ferry_blob_store_remove (self->blob_store, data->id, &blob_error))
        g_debug ("%s", blob_error->message);
      g_task_return_boolean (task, TRUE);
    }
  g_atomic_int_dec_and_test (&self->n_busy);
}

void
ferry_store_remove_async (FerryStore          *self,
                          const char          *id,
                          guint64              size,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  RemoveData *data;

  g_return_if_fail (FERRY_IS_STORE (self));
  g_return_if_fail (ferry_id_is_valid (id));

  data = g_new0 (RemoveData, 1);
  data->id = g_strdup (id);
  data->size = size;
  run_busy (self, ferry_store_remove_async, data, (GDestroyNotify) remove_data_free,
            remove_thread, callback, user_data);
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

/* Downloads: the blob store's own task, as for uploads. */

void
ferry_store_open_blob_async (FerryStore          *self,
                             const char          *id,
                             guint64              offset,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (FERRY_IS_STORE (self));
  ferry_blob_store_open_async (self->blob_store, id, offset, cancellable, callback, user_data);
}

GInputStream *
ferry_store_open_blob_finish (FerryStore    *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (FERRY_IS_STORE (self), NULL);
  return ferry_blob_store_open_finish (self->blob_store, result, error);
}

gboolean
ferry_store_is_busy (FerryStore *self)
{
  g_return_val_if_fail (FERRY_IS_STORE (self), FALSE);
  return g_atomic_int_get (&self->n_busy) > 0;
}
