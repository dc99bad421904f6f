/* ferry-partials-expiry.c: FerryPartials at startup and as time passes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-partials"

#include "config.h"

#include "ferry-partials-private.h"

#include "ferry-message.h"

#define SWEEP_INTERVAL_MAX_S 300

guint64
ferry_partials_reconcile (FerryPartials  *self,
                          GError        **error)
{
  g_autoptr(GHashTable) files = NULL;
  g_autoptr(GPtrArray) records = NULL;
  GHashTableIter iter;
  gpointer token;
  guint64 kept = 0;
  guint n_removed = 0;

  g_return_val_if_fail (FERRY_IS_PARTIALS (self), 0);

  if (!(files = ferry_blob_store_list_partials (self->blob_store, error)) ||
      !(records = ferry_catalogue_list_partials (self->catalogue, error)))
    return 0;

  for (guint i = 0; i < records->len; i++)
    {
      FerryPartialRow *row = g_ptr_array_index (records, i);
      guint64 *length = g_hash_table_lookup (files, row->token);

      if (length && *length <= row->size && ferry_id_is_valid (row->token))
        {
          kept += *length;
          /* Matched: what is left in files has no record. */
          g_hash_table_remove (files, row->token);
          continue;
        }
      if (!ferry_catalogue_remove_partial (self->catalogue, row->token, error))
        return 0;
      n_removed++;
    }

  g_hash_table_iter_init (&iter, files);
  while (g_hash_table_iter_next (&iter, &token, NULL))
    {
      ferry_blob_store_remove_partial (self->blob_store, token);
      n_removed++;
    }

  if (n_removed > 0)
    g_message ("Removed %u unfinished upload(s) without their record or file", n_removed);
  return kept;
}

/* Expiry. */

/* In a worker thread: removes every partial upload inactive for self->keep seconds and not
 * on a connection; returns the bytes freed. */
static void
sweep_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  FerryPartials *self = source_object;
  guint64 keep = *(guint64 *) task_data;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GHashTable) files = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;
  guint64 freed = 0;
  guint n_expired = 0;

  g_mutex_lock (&self->lock);
  files = ferry_blob_store_list_partials (self->blob_store, &error);
  if (files)
    records = ferry_catalogue_list_partials (self->catalogue, &error);
  for (guint i = 0; records && i < records->len; i++)
    {
      FerryPartialRow *row = g_ptr_array_index (records, i);
      guint64 *length;

      if (g_hash_table_contains (self->in_use, row->token) ||
          (keep > 0 && row->active > now - (gint64) MIN (keep, (guint64) G_MAXINT32)))
        continue;
      if (!ferry_catalogue_remove_partial (self->catalogue, row->token, &error))
        break;
      length = g_hash_table_lookup (files, row->token);
      if (length)
        freed += *length;
      if (ferry_id_is_valid (row->token))
        ferry_blob_store_remove_partial (self->blob_store, row->token);
      n_expired++;
    }
  g_mutex_unlock (&self->lock);

  if (error)
    g_message ("Could not remove expired unfinished uploads: %s", error->message);
  if (n_expired > 0)
    g_message ("Removed %u expired unfinished upload(s)", n_expired);
  g_task_return_int (task, (gssize) MIN (freed, (guint64) G_MAXSSIZE));
}

static void
sweep_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  FerryPartials *self = FERRY_PARTIALS (object);
  gssize freed = g_task_propagate_int (G_TASK (result), NULL);

  if (freed > 0)
    ferry_catalogue_count (self->catalogue, 0, (guint64) freed);
}

void
ferry_partials_sweep (FerryPartials *self)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FERRY_IS_PARTIALS (self));

  task = g_task_new (self, NULL, sweep_cb, NULL);
  g_task_set_source_tag (task, ferry_partials_sweep);
  g_task_set_task_data (task, g_memdup2 (&self->keep, sizeof self->keep), g_free);
  g_task_run_in_thread (task, sweep_thread);
}

static gboolean
sweep_timeout_cb (gpointer user_data)
{
  ferry_partials_sweep (user_data);
  return G_SOURCE_CONTINUE;
}

void
ferry_partials_set_keep (FerryPartials *self,
                         guint64        seconds)
{
  g_return_if_fail (FERRY_IS_PARTIALS (self));

  self->keep = seconds;
  g_clear_handle_id (&self->sweep_id, g_source_remove);
  ferry_partials_sweep (self);
  if (seconds > 0)
    self->sweep_id = g_timeout_add_seconds ((guint) CLAMP (seconds / 4, 1, SWEEP_INTERVAL_MAX_S),
                                            sweep_timeout_cb, self);
}

guint64
ferry_partials_get_keep (FerryPartials *self)
{
  g_return_val_if_fail (FERRY_IS_PARTIALS (self), 0);
  return self->keep;
}
