/* ferry-partials.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-partials"

#include "config.h"

#include "ferry-partials.h"
#include "ferry-partials-private.h"

#include <string.h>

#include "ferry-error.h"
#include "ferry-limits.h"
#include "ferry-message.h"

#define HASH_BUFFER_SIZE (256 * 1024)


G_DEFINE_FINAL_TYPE (FerryPartials, ferry_partials, G_TYPE_OBJECT)

static void
ferry_partials_finalize (GObject *object)
{
  FerryPartials *self = FERRY_PARTIALS (object);

  g_clear_handle_id (&self->sweep_id, g_source_remove);
  g_clear_object (&self->blob_store);
  g_clear_object (&self->catalogue);
  g_clear_pointer (&self->in_use, g_hash_table_unref);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->released);

  G_OBJECT_CLASS (ferry_partials_parent_class)->finalize (object);
}

static void
ferry_partials_class_init (FerryPartialsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ferry_partials_finalize;
}

static void
ferry_partials_init (FerryPartials *self)
{
  self->in_use = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                        (GDestroyNotify) ferry_partial_row_free);
  g_mutex_init (&self->lock);
  g_cond_init (&self->released);
  self->keep = FERRY_DEFAULT_KEEP_PARTIAL_S;
}

FerryPartials *
ferry_partials_new (FerryBlobStore *blob_store,
                    FerryCatalogue *catalogue)
{
  FerryPartials *self;

  g_return_val_if_fail (FERRY_IS_BLOB_STORE (blob_store), NULL);
  g_return_val_if_fail (FERRY_IS_CATALOGUE (catalogue), NULL);

  self = g_object_new (FERRY_TYPE_PARTIALS, NULL);
  self->blob_store = g_object_ref (blob_store);
  self->catalogue = g_object_ref (catalogue);
  return self;
}

/* Beginning an upload. */

typedef struct
{
  char              *token;     /* asked to continue; NULL for a fresh one */
  FerryPartialRow   *want;
  FerryBlobUpload   *upload;    /* a fresh one, being recorded */
  FerryChecksum     *checksum;
  FerryFolderParser *parser;    /* a folder's */
  guint64            dropped;   /* bytes of a kept upload that could not be continued */
} BeginData;

static void
begin_data_free (BeginData *data)
{
  g_free (data->token);
  ferry_partial_row_free (data->want);
  g_clear_object (&data->upload);
  g_clear_pointer (&data->checksum, ferry_checksum_free);
  g_clear_pointer (&data->parser, ferry_folder_parser_free);
  g_free (data);
}

/* A new checksum and parser for @data's upload from its first byte. */
static void
begin_data_reset (BeginData *data)
{
  g_clear_pointer (&data->checksum, ferry_checksum_free);
  g_clear_pointer (&data->parser, ferry_folder_parser_free);
  data->checksum = ferry_checksum_new ();
  if (data->want->is_folder)
    data->parser = ferry_folder_parser_new (data->want->size, data->want->folder_files,
                                            data->want->folder_content, FALSE);
}

/* Under self->lock: @row's upload is on a connection. */
static void
take_in_use (FerryPartials   *self,
             FerryPartialRow *row)
{
  g_hash_table_insert (self->in_use, row->token, row);
}

void
ferry_partials_forget (FerryPartials *self,
                       const char    *token)
{
  g_autoptr(GError) error = NULL;

  g_mutex_lock (&self->lock);
  /* A record left behind (the catalogue closed as the server stops, a failed write) only
   * names a file that is gone: the next start removes it. */
  if (!ferry_catalogue_remove_partial (self->catalogue, token, &error))
    g_message ("Unfinished upload %s: %s", token, error->message);
  g_hash_table_remove (self->in_use, token);
  g_cond_broadcast (&self->released);
  g_mutex_unlock (&self->lock);
}

static gboolean
same_upload (const FerryPartialRow *a,
             const FerryPartialRow *b)
{
  return memcmp (a->owner_hash, b->owner_hash, FERRY_CATALOGUE_HASH_SIZE) == 0 &&
         a->size == b->size && a->is_folder == b->is_folder &&
         a->folder_files == b->folder_files && a->folder_content == b->folder_content;
}

/* Reads the first @length bytes of partial @token into @data's checksum and parser. */
static gboolean
read_prefix (FerryPartials  *self,
             const char     *token,
             guint64         length,
             BeginData      *data,
             GCancellable   *cancellable,
             GError        **error)
{
  g_autoptr(GInputStream) input = NULL;
  g_autofree guint8 *buffer = NULL;
  guint64 left = length;

  if (!(input = ferry_blob_store_read_partial (self->blob_store, token, error)))
    return FALSE;
  buffer = g_malloc (HASH_BUFFER_SIZE);
  while (left > 0)
    {
      gssize got = g_input_stream_read (input, buffer, (gsize) MIN (left, HASH_BUFFER_SIZE),
                                        cancellable, error);

      if (got < 0)
        return FALSE;
      if (got == 0)
        {
          g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_INTERNAL,
                               "the partial file was cut short");
          return FALSE;
        }
      if (data->parser && !ferry_folder_parser_is_done (data->parser) &&
          !ferry_folder_parser_feed (data->parser, buffer, (gsize) got, NULL, error))
        return FALSE;
      ferry_checksum_update (data->checksum, buffer, (gsize) got);
      left -= (guint64) got;
    }
  return TRUE;
}

/* Under self->lock, in a worker thread: when an earlier connection of the same owner still
 * holds @data->token (its client left it a moment ago and the server has not noticed yet, or
 * is still writing what it received), waits a little for it to let go. */
static void
wait_for_release (FerryPartials *self,
                  BeginData     *data)
{
  gint64 deadline = g_get_monotonic_time () + FERRY_PARTIALS_RELEASE_WAIT_S * G_USEC_PER_SEC;
  FerryPartialRow *held;

  while ((held = g_hash_table_lookup (self->in_use, data->token)) &&
         memcmp (held->owner_hash, data->want->owner_hash, sizeof held->owner_hash) == 0)
    if (!g_cond_wait_until (&self->released, &self->lock, deadline))
      return;
}

/* In a worker thread: the kept upload @data->token, taken for this connection, or NULL. */
static FerryBlobUpload *
resume_in_thread (FerryPartials *self,
                  BeginData     *data,
                  GCancellable  *cancellable)
{
  g_autoptr(FerryPartialRow) row = NULL;
  g_autoptr(FerryBlobUpload) upload = NULL;
  g_autoptr(GError) error = NULL;

  g_mutex_lock (&self->lock);
  wait_for_release (self, data);
  if (!g_hash_table_contains (self->in_use, data->token))
    row = ferry_catalogue_lookup_partial (self->catalogue, data->token, &error);
  if (row && same_upload (row, data->want))
    upload = ferry_blob_store_reopen_upload (self->blob_store, data->token, &error);
  if (upload && ferry_blob_upload_get_offset (upload) > row->size)
    g_clear_object (&upload);
  if (upload)
    {
      g_free (row->name);
      row->name = g_strdup (data->want->name);
      take_in_use (self, g_steal_pointer (&row));
    }
  g_mutex_unlock (&self->lock);

  if (!upload)
    {
      if (error)
        g_debug ("Upload %s starts over: %s", data->token, error->message);
      return NULL;
    }

  if (!read_prefix (self, data->token, ferry_blob_upload_get_offset (upload), data,
                    cancellable, &error))
    {
      /* Unusable: this one goes (its bytes leave the kept count in begin_cb), and the upload
       * begins afresh. */
      g_warning ("Could not continue the unfinished upload %s: %s", data->token,
                 error->message);
      ferry_partials_forget (self, data->token);
      ferry_blob_store_remove_partial (self->blob_store, data->token);
      data->dropped = ferry_blob_upload_get_offset (upload);
      begin_data_reset (data);
      return NULL;
    }
  return g_steal_pointer (&upload);
}

static void
resume_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  g_task_return_pointer (task, resume_in_thread (source_object, task_data, cancellable),
                         g_object_unref);
}

/* In a worker thread: records the fresh upload before its ACCEPT. */
static void
record_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  FerryPartials *self = source_object;
  BeginData *data = task_data;
  g_autoptr(FerryPartialRow) row = ferry_partial_row_copy (data->want);
  GError *error = NULL;
  gboolean ok;

  g_free (row->token);
  row->token = g_strdup (ferry_blob_upload_get_token (data->upload));
  row->created = row->active = g_get_real_time () / G_USEC_PER_SEC;

  g_mutex_lock (&self->lock);
  ok = ferry_catalogue_put_partial (self->catalogue, row, &error);
  if (ok)
    take_in_use (self, g_steal_pointer (&row));
  g_mutex_unlock (&self->lock);

  if (!ok)
    {
      g_autoptr(FerryBlobUpload) upload = g_steal_pointer (&data->upload);

      ferry_blob_store_remove_partial (self->blob_store, ferry_blob_upload_get_token (upload));
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&data->upload), g_object_unref);
}

static void
fresh_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FerryPartials *self = g_task_get_source_object (task);
  BeginData *data = g_task_get_task_data (task);
  GError *error = NULL;

  data->upload = ferry_blob_store_begin_upload_finish (FERRY_BLOB_STORE (object), result,
                                                       &error);
  if (!data->upload)
    g_task_return_error (task, error);
  else if (self->keep == 0)
    g_task_return_pointer (task, g_steal_pointer (&data->upload), g_object_unref);
  else
    g_task_run_in_thread (task, record_thread);
}

static void
begin_fresh (FerryPartials *self,
             GTask         *task)
{
  g_autofree char *token = ferry_catalogue_random_token ();

  ferry_blob_store_begin_upload_async (self->blob_store, token, g_task_get_cancellable (task),
                                       fresh_cb, task);
}

static void
resume_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FerryPartials *self = FERRY_PARTIALS (object);
  BeginData *data = g_task_get_task_data (task);
  g_autoptr(FerryBlobUpload) upload = NULL;

  upload = g_task_propagate_pointer (G_TASK (result), NULL);
  if (upload)
    {
      g_task_return_pointer (task, g_steal_pointer (&upload), g_object_unref);
      return;
    }
  ferry_catalogue_count (self->catalogue, 0, data->dropped);
  g_clear_pointer (&data->token, g_free);
  begin_fresh (self, g_steal_pointer (&task));
}

void
ferry_partials_begin_async (FerryPartials         *self,
                            const char            *token,
                            const FerryPartialRow *want,
                            GCancellable          *cancellable,
                            GAsyncReadyCallback    callback,
                            gpointer               user_data)
{
  GTask *task;
  BeginData *data;

  g_return_if_fail (FERRY_IS_PARTIALS (self));
  g_return_if_fail (want != NULL && want->name != NULL);

  data = g_new0 (BeginData, 1);
  data->want = ferry_partial_row_copy (want);
  begin_data_reset (data);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_partials_begin_async);
  /* An upload begun just as @cancellable fires is still returned, to be ended. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, data, (GDestroyNotify) begin_data_free);

  if (self->keep > 0 && token && ferry_id_is_valid (token))
    {
      g_autoptr(GTask) resume = g_task_new (self, cancellable, resume_cb, task);

      data->token = g_strdup (token);
      g_task_set_source_tag (resume, resume_thread);
      g_task_set_task_data (resume, data, NULL);
      g_task_run_in_thread (resume, resume_thread);
    }
  else
    begin_fresh (self, task);
}

FerryBlobUpload *
ferry_partials_begin_finish (FerryPartials      *self,
                             GAsyncResult       *result,
                             FerryChecksum     **checksum,
                             FerryFolderParser **parser,
                             GError            **error)
{
  FerryBlobUpload *upload;
  BeginData *data;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  upload = g_task_propagate_pointer (G_TASK (result), error);
  if (!upload)
    return NULL;
  data = g_task_get_task_data (G_TASK (result));
  *checksum = g_steal_pointer (&data->checksum);
  *parser = g_steal_pointer (&data->parser);
  return upload;
}

/* Looking one up. */

static void
lookup_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  FerryPartials *self = source_object;
  FerryPartialRow *row;
  GError *error = NULL;

  g_mutex_lock (&self->lock);
  row = ferry_catalogue_lookup_partial (self->catalogue, task_data, &error);
  g_mutex_unlock (&self->lock);
  if (row)
    g_task_return_pointer (task, row, (GDestroyNotify) ferry_partial_row_free);
  else if (error)
    g_task_return_error (task, error);
  else
    g_task_return_new_error (task, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                             "No unfinished upload has that token.");
}

void
ferry_partials_lookup_async (FerryPartials       *self,
                             const char          *token,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FERRY_IS_PARTIALS (self));
  g_return_if_fail (token != NULL);

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, ferry_partials_lookup_async);
  g_task_set_task_data (task, g_strdup (token), g_free);
  if (self->keep == 0 || !ferry_id_is_valid (token))
    g_task_return_new_error (task, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                             "No unfinished upload has that token.");
  else
    g_task_run_in_thread (task, lookup_thread);
}

FerryPartialRow *
ferry_partials_lookup_finish (FerryPartials  *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Ending an upload. */

typedef struct
{
  FerryBlobUpload *upload;
  guint64          length;    /* what was kept */
  gboolean         keep;
} EndData;

static void
end_data_free (EndData *data)
{
  g_clear_object (&data->upload);
  g_free (data);
}

static void
end_thread (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  FerryPartials *self = source_object;
  EndData *data = task_data;
  const char *token = ferry_blob_upload_get_token (data->upload);
  g_autoptr(GError) error = NULL;
  FerryPartialRow *row;

  if (!data->keep)
    {
      ferry_partials_forget (self, token);
      g_task_return_boolean (task, TRUE);
      return;
    }

  data->length = ferry_blob_store_keep_upload (self->blob_store, data->upload);
  g_mutex_lock (&self->lock);
  row = g_hash_table_lookup (self->in_use, token);
  if (row)
    {
      row->active = g_get_real_time () / G_USEC_PER_SEC;
      /* The record from before ACCEPT stays, with its older activity. */
      if (!ferry_catalogue_put_partial (self->catalogue, row, &error))
        g_message ("Unfinished upload %s: %s", token, error->message);
    }
  g_hash_table_remove (self->in_use, token);
  g_cond_broadcast (&self->released);
  g_mutex_unlock (&self->lock);
  g_task_return_boolean (task, TRUE);
}

static void
end_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  FerryPartials *self = FERRY_PARTIALS (object);
  EndData *data = g_task_get_task_data (G_TASK (result));
  guint64 offset = ferry_blob_upload_get_offset (data->upload);

  g_task_propagate_boolean (G_TASK (result), NULL);
  /* The bytes kept before this connection were counted as kept already. */
  if (data->keep)
    ferry_catalogue_count (self->catalogue, data->length - MIN (data->length, offset), 0);
}

void
ferry_partials_end (FerryPartials   *self,
                    FerryBlobUpload *upload,
                    gboolean         keep)
{
  g_autoptr(GTask) task = NULL;
  guint64 offset;
  EndData *data;

  g_return_if_fail (FERRY_IS_PARTIALS (self));
  g_return_if_fail (FERRY_IS_BLOB_UPLOAD (upload));

  /* The bytes kept before this connection were counted as kept: they go with the upload, or
   * the kept count grows by what arrived (end_cb). */
  offset = ferry_blob_upload_get_offset (upload);
  keep = keep && self->keep > 0;
  if (!keep)
    ferry_catalogue_count (self->catalogue, 0, offset);

  data = g_new0 (EndData, 1);
  data->upload = g_object_ref (upload);
  data->keep = keep;
  task = g_task_new (self, NULL, end_cb, NULL);
  g_task_set_source_tag (task, ferry_partials_end);
  g_task_set_task_data (task, data, (GDestroyNotify) end_data_free);
  g_task_run_in_thread (task, end_thread);
}

void
ferry_partials_committed (FerryPartials   *self,
                          FerryBlobUpload *upload)
{
  g_return_if_fail (FERRY_IS_PARTIALS (self));
  ferry_partials_end (self, upload, FALSE);
}
