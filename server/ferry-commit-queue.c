/* ferry-commit-queue.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-commit-queue"

#include "config.h"

#include "ferry-commit-queue.h"

/* One waiting insert; it lives on the stack of the thread that waits for it. */
typedef struct
{
  FerryCatalogueRow *row;
  GError            *error;
  gboolean           done;
} Entry;

struct _FerryCommitQueue
{
  GObject parent_instance;

  /* owned */
  FerryCatalogue *catalogue;
  GPtrArray      *waiting;       /* Entry, borrowed from their threads */

  GMutex          lock;          /* waiting, writing and the counts */
  GCond           written;       /* a batch ended */
  gboolean        writing;       /* a thread writes a batch now */
  guint64         n_batches;
  guint64         n_rows;
};

G_DEFINE_FINAL_TYPE (FerryCommitQueue, ferry_commit_queue, G_TYPE_OBJECT)

static void
ferry_commit_queue_finalize (GObject *object)
{
  FerryCommitQueue *self = FERRY_COMMIT_QUEUE (object);

  g_clear_object (&self->catalogue);
  g_clear_pointer (&self->waiting, g_ptr_array_unref);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->written);

  G_OBJECT_CLASS (ferry_commit_queue_parent_class)->finalize (object);
}

static void
ferry_commit_queue_class_init (FerryCommitQueueClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ferry_commit_queue_finalize;
}

static void
ferry_commit_queue_init (FerryCommitQueue *self)
{
  self->waiting = g_ptr_array_new ();
  g_mutex_init (&self->lock);
  g_cond_init (&self->written);
}

FerryCommitQueue *
ferry_commit_queue_new (FerryCatalogue *catalogue)
{
  FerryCommitQueue *self;

  g_return_val_if_fail (FERRY_IS_CATALOGUE (catalogue), NULL);

  self = g_object_new (FERRY_TYPE_COMMIT_QUEUE, NULL);
  self->catalogue = g_object_ref (catalogue);
  return self;
}

/* With the lock held; returns with it held. Writes every entry waiting, unlocked meanwhile. */
static void
write_batch (FerryCommitQueue *self)
{
  g_autoptr(GPtrArray) batch = g_steal_pointer (&self->waiting);
  g_autofree FerryCatalogueRow **rows = g_new (FerryCatalogueRow *, batch->len);
  g_autofree GError **errors = g_new0 (GError *, batch->len);

  self->waiting = g_ptr_array_new ();
  self->writing = TRUE;
  g_mutex_unlock (&self->lock);

  for (guint i = 0; i < batch->len; i++)
    rows[i] = ((Entry *) g_ptr_array_index (batch, i))->row;
  ferry_catalogue_insert_batch (self->catalogue, rows, batch->len, errors);

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < batch->len; i++)
    {
      Entry *entry = g_ptr_array_index (batch, i);

      entry->error = errors[i];
      entry->done = TRUE;
    }
  self->n_batches++;
  self->n_rows += batch->len;
  self->writing = FALSE;
  g_cond_broadcast (&self->written);
}

gboolean
ferry_commit_queue_insert (FerryCommitQueue   *self,
                           FerryCatalogueRow  *row,
                           GError            **error)
{
  Entry entry = { row, NULL, FALSE };

  g_return_val_if_fail (FERRY_IS_COMMIT_QUEUE (self), FALSE);
  g_return_val_if_fail (row != NULL && row->id != NULL, FALSE);

  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->waiting, &entry);
  /* Whoever finds no batch running writes the next one, its own entry included or not; the
   * entries that arrive meanwhile wait for the batch after. */
  while (!entry.done)
    {
      if (!self->writing)
        write_batch (self);
      else
        g_cond_wait (&self->written, &self->lock);
    }
  g_mutex_unlock (&self->lock);

  if (entry.error)
    {
      g_propagate_error (error, entry.error);
      return FALSE;
    }
  return TRUE;
}

void
ferry_commit_queue_get_counts (FerryCommitQueue *self,
                               guint64          *n_batches,
                               guint64          *n_rows)
{
  g_return_if_fail (FERRY_IS_COMMIT_QUEUE (self));

  g_mutex_lock (&self->lock);
  if (n_batches)
    *n_batches = self->n_batches;
  if (n_rows)
    *n_rows = self->n_rows;
  g_mutex_unlock (&self->lock);
}
