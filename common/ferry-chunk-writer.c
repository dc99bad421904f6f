/* ferry-chunk-writer.c: writing chunks behind the caller, in order, on a worker thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-chunk-writer"
#define _GNU_SOURCE   /* sync_file_range() */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <glib/gi18n.h>
#include <gio/gfiledescriptorbased.h>

#include "ferry-chunk-writer.h"
#include "ferry-message.h"

struct _FerryChunkWriter
{
  GObject parent_instance;

  /* owned references */
  GOutputStream *stream;
  GCancellable  *cancellable;   /* the writes; cancel and dispose cancel it */
  FerryChecksum *checksum;      /* nullable; only the write in flight touches it */
  GQueue         queue;         /* GBytes; the head is being written when writing */
  GError        *error;         /* the first failure */
  GTask         *waiter;        /* a pending push or flush */

  /* borrowed */
  FerryChunkBudget *budget;     /* nullable */

  gsize          max_queued;
  gsize          writeback;     /* start writeback every this many bytes; 0: never */
  guint64        kicked;        /* written bytes whose writeback was started (the thread's) */
  guint64        written_by_thread;
  gsize          queued;
  guint64        written;
  gboolean       writing;
  gboolean       flushing;      /* the waiter is a flush */
  gboolean       finished;
  guint8         digest[FERRY_SHA256_SIZE];
};

G_DEFINE_FINAL_TYPE (FerryChunkWriter, ferry_chunk_writer, G_TYPE_OBJECT)

static void
drop_queue (FerryChunkWriter *self)
{
  GBytes *chunk;

  /* The chunk a write still uses stays until that write returns. */
  while (g_queue_get_length (&self->queue) > (self->writing ? 1u : 0u))
    {
      chunk = g_queue_pop_tail (&self->queue);
      self->queued -= g_bytes_get_size (chunk);
      if (self->budget)
        self->budget->used -= g_bytes_get_size (chunk);
      g_bytes_unref (chunk);
    }
}

static void
ferry_chunk_writer_dispose (GObject *object)
{
  FerryChunkWriter *self = FERRY_CHUNK_WRITER (object);

  g_cancellable_cancel (self->cancellable);
  drop_queue (self);

  G_OBJECT_CLASS (ferry_chunk_writer_parent_class)->dispose (object);
}

static void
ferry_chunk_writer_finalize (GObject *object)
{
  FerryChunkWriter *self = FERRY_CHUNK_WRITER (object);

  g_clear_object (&self->stream);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->checksum, ferry_checksum_free);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (ferry_chunk_writer_parent_class)->finalize (object);
}

static void
ferry_chunk_writer_class_init (FerryChunkWriterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_chunk_writer_dispose;
  object_class->finalize = ferry_chunk_writer_finalize;
}

static void
ferry_chunk_writer_init (FerryChunkWriter *self)
{
  g_queue_init (&self->queue);
  self->cancellable = g_cancellable_new ();
}

FerryChunkWriter *
ferry_chunk_writer_new (GOutputStream    *stream,
                        gsize             max_queued,
                        FerryChunkBudget *budget,
                        gboolean          hash)
{
  FerryChunkWriter *self;

  g_return_val_if_fail (G_IS_OUTPUT_STREAM (stream), NULL);

  self = g_object_new (FERRY_TYPE_CHUNK_WRITER, NULL);
  self->stream = g_object_ref (stream);
  self->max_queued = max_queued;
  self->budget = budget;
  if (hash)
    self->checksum = ferry_checksum_new ();
  return self;
}

void
ferry_chunk_writer_take_checksum (FerryChunkWriter *self,
                                  FerryChecksum    *checksum)
{
  g_return_if_fail (FERRY_IS_CHUNK_WRITER (self));
  g_return_if_fail (checksum != NULL);
  g_return_if_fail (self->queued == 0 && !self->finished);

  g_clear_pointer (&self->checksum, ferry_checksum_free);
  self->checksum = checksum;
}

/* On the writing thread: asks the kernel to start writing out what this writer wrote, every
 * @writeback bytes, so that a final fsync finds little left to do. Without it the whole file
 * waits in the page cache, and the fsync writes it all at once at the end. */
static void
start_writeback (FerryChunkWriter *self,
                 gsize             len)
{
#ifdef SYNC_FILE_RANGE_WRITE
  guint64 done = self->written_by_thread += len;
  int fd;

  if (self->writeback == 0 || done - self->kicked < self->writeback ||
      !G_IS_FILE_DESCRIPTOR_BASED (self->stream))
    return;
  fd = g_file_descriptor_based_get_fd (G_FILE_DESCRIPTOR_BASED (self->stream));
  /* Only a hint: a failure leaves the work to the fsync. */
  (void) sync_file_range (fd, (off64_t) self->kicked, (off64_t) (done - self->kicked),
                          SYNC_FILE_RANGE_WRITE);
  self->kicked = done;
#endif
}

/* Runs on a worker thread: hashes then writes the head chunk. */
static void
write_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  FerryChunkWriter *self = source_object;
  GBytes *chunk = task_data;
  GError *error = NULL;
  const guint8 *data;
  gsize len;

  data = g_bytes_get_data (chunk, &len);
  if (self->checksum)
    ferry_checksum_update (self->checksum, data, len);
  if (!g_output_stream_write_all (self->stream, data, len, NULL, cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  start_writeback (self, len);
  g_task_return_boolean (task, TRUE);
}

static gboolean
has_room (FerryChunkWriter *self)
{
  if (self->queued == 0)
    return TRUE;
  if (self->queued >= self->max_queued)
    return FALSE;
  return !self->budget || self->budget->used < self->budget->limit;
}

/* Completes the waiter when what it waits for happened, or never can. */
static void
serve (FerryChunkWriter *self)
{
  g_autoptr(GTask) task = NULL;

  if (!self->waiter)
    return;
  if (self->error)
    {
      task = g_steal_pointer (&self->waiter);
      g_task_return_error (task, g_error_copy (self->error));
    }
  else if (self->flushing && self->queued == 0)
    {
      task = g_steal_pointer (&self->waiter);
      if (self->checksum && !self->finished)
        ferry_checksum_finish (self->checksum, self->digest);
      self->finished = TRUE;
      g_task_return_boolean (task, TRUE);
    }
  else if (!self->flushing && has_room (self))
    {
      task = g_steal_pointer (&self->waiter);
      g_task_return_boolean (task, TRUE);
    }
}

static void write_next (FerryChunkWriter *self);

static void
write_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  FerryChunkWriter *self = FERRY_CHUNK_WRITER (object);
  g_autoptr(GBytes) chunk = NULL;
  GError *error = NULL;
  gsize len;

  self->writing = FALSE;
  chunk = g_queue_pop_head (&self->queue);
  len = g_bytes_get_size (chunk);
  self->queued -= len;
  if (self->budget)
    self->budget->used -= len;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!self->error)
        self->error = error;
      else
        g_clear_error (&error);
      drop_queue (self);
    }
  else
    self->written += len;

  write_next (self);
  serve (self);
}

static void
write_next (FerryChunkWriter *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->writing || self->error || g_queue_is_empty (&self->queue))
    return;

  self->writing = TRUE;
  task = g_task_new (self, self->cancellable, write_cb, NULL);
  g_task_set_source_tag (task, write_next);
  g_task_set_task_data (task, g_bytes_ref (g_queue_peek_head (&self->queue)),
                        (GDestroyNotify) g_bytes_unref);
  g_task_run_in_thread (task, write_thread);
}

static void
wait_for (FerryChunkWriter    *self,
      gboolean             flushing,
      GCancellable        *cancellable,
      GAsyncReadyCallback  callback,
      gpointer             user_data,
      gpointer             source_tag)
{
  self->waiter = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->waiter, source_tag);
  g_task_set_check_cancellable (self->waiter, FALSE);
  self->flushing = flushing;
  write_next (self);
  serve (self);
}

void
ferry_chunk_writer_push_async (FerryChunkWriter    *self,
                               GBytes              *chunk,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  gsize len;

  g_return_if_fail (FERRY_IS_CHUNK_WRITER (self));
  g_return_if_fail (chunk != NULL);
  g_return_if_fail (self->waiter == NULL);
  g_return_if_fail (!self->finished);

  if (!self->error)
    {
      len = g_bytes_get_size (chunk);
      g_queue_push_tail (&self->queue, g_bytes_ref (chunk));
      self->queued += len;
      if (self->budget)
        self->budget->used += len;
    }
  wait_for (self, FALSE, cancellable, callback, user_data, ferry_chunk_writer_push_async);
}

gboolean
ferry_chunk_writer_push_finish (FerryChunkWriter  *self,
                                GAsyncResult      *result,
                                GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
ferry_chunk_writer_flush_async (FerryChunkWriter    *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (FERRY_IS_CHUNK_WRITER (self));
  g_return_if_fail (self->waiter == NULL);

  wait_for (self, TRUE, cancellable, callback, user_data, ferry_chunk_writer_flush_async);
}

gboolean
ferry_chunk_writer_flush_finish (FerryChunkWriter  *self,
                                 GAsyncResult      *result,
                                 GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
ferry_chunk_writer_get_digest (FerryChunkWriter *self,
                               guint8           *digest)
{
  g_return_if_fail (FERRY_IS_CHUNK_WRITER (self));
  g_return_if_fail (self->finished && self->checksum);

  memcpy (digest, self->digest, FERRY_SHA256_SIZE);
}

void
ferry_chunk_writer_set_writeback (FerryChunkWriter *self,
                                  gsize             every)
{
  g_return_if_fail (FERRY_IS_CHUNK_WRITER (self));
  g_return_if_fail (!self->writing);

  self->writeback = every;
}

guint64
ferry_chunk_writer_get_written (FerryChunkWriter *self)
{
  g_return_val_if_fail (FERRY_IS_CHUNK_WRITER (self), 0);
  return self->written;
}

gsize
ferry_chunk_writer_get_queued (FerryChunkWriter *self)
{
  g_return_val_if_fail (FERRY_IS_CHUNK_WRITER (self), 0);
  return self->queued;
}

void
ferry_chunk_writer_cancel (FerryChunkWriter *self)
{
  g_return_if_fail (FERRY_IS_CHUNK_WRITER (self));

  g_cancellable_cancel (self->cancellable);
  if (!self->error)
    self->error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                       _("Operation was cancelled"));
  drop_queue (self);
  serve (self);
}
