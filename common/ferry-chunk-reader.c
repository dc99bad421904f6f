/* ferry-chunk-reader.c: reading a stream ahead, chunk by chunk, on a worker thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-chunk-reader"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ferry-chunk-reader.h"
#include "ferry-message.h"

struct _FerryChunkReader
{
  GObject parent_instance;

  /* owned references */
  GInputStream  *stream;
  GCancellable  *cancellable;   /* the reads; cancel and dispose cancel it */
  FerryChecksum *checksum;      /* nullable; only the read in flight touches it */
  GQueue         ready;         /* GBytes, in order */
  GError        *error;         /* the first failure, handed out after the chunks before it */
  GTask         *waiter;        /* a pending next */

  guint64        length;
  guint64        scheduled;     /* bytes asked of the reads so far */
  gsize          chunk_size;
  guint          depth;
  gboolean       reading;
  gboolean       finished;      /* the digest was taken out */
  guint8         digest[FERRY_SHA256_SIZE];
};

G_DEFINE_FINAL_TYPE (FerryChunkReader, ferry_chunk_reader, G_TYPE_OBJECT)

static void
ferry_chunk_reader_dispose (GObject *object)
{
  FerryChunkReader *self = FERRY_CHUNK_READER (object);

  g_cancellable_cancel (self->cancellable);
  g_queue_clear_full (&self->ready, (GDestroyNotify) g_bytes_unref);

  G_OBJECT_CLASS (ferry_chunk_reader_parent_class)->dispose (object);
}

static void
ferry_chunk_reader_finalize (GObject *object)
{
  FerryChunkReader *self = FERRY_CHUNK_READER (object);

  g_clear_object (&self->stream);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->checksum, ferry_checksum_free);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (ferry_chunk_reader_parent_class)->finalize (object);
}

static void
ferry_chunk_reader_class_init (FerryChunkReaderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_chunk_reader_dispose;
  object_class->finalize = ferry_chunk_reader_finalize;
}

static void
ferry_chunk_reader_init (FerryChunkReader *self)
{
  g_queue_init (&self->ready);
  self->cancellable = g_cancellable_new ();
}

FerryChunkReader *
ferry_chunk_reader_new (GInputStream *stream,
                        guint64       length,
                        gsize         chunk_size,
                        guint         depth,
                        gboolean      hash)
{
  FerryChunkReader *self;

  g_return_val_if_fail (G_IS_INPUT_STREAM (stream), NULL);
  g_return_val_if_fail (chunk_size > 0, NULL);
  g_return_val_if_fail (depth > 0, NULL);

  self = g_object_new (FERRY_TYPE_CHUNK_READER, NULL);
  self->stream = g_object_ref (stream);
  self->length = length;
  self->chunk_size = chunk_size;
  self->depth = depth;
  if (hash)
    self->checksum = ferry_checksum_new ();
  return self;
}

void
ferry_chunk_reader_take_checksum (FerryChunkReader *self,
                                  FerryChecksum    *checksum)
{
  g_return_if_fail (FERRY_IS_CHUNK_READER (self));
  g_return_if_fail (checksum != NULL);
  g_return_if_fail (!self->reading && self->scheduled == 0);

  g_clear_pointer (&self->checksum, ferry_checksum_free);
  self->checksum = checksum;
}

/* Runs on a worker thread: one chunk, read whole and hashed. */
static void
read_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  FerryChunkReader *self = source_object;
  gsize want = GPOINTER_TO_SIZE (task_data);
  g_autofree guint8 *buffer = g_malloc (want);
  GError *error = NULL;
  gsize got = 0;

  if (!g_input_stream_read_all (self->stream, buffer, want, &got, cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (got < want)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
                               _("The file ended %" G_GSIZE_FORMAT " bytes early."),
                               want - got);
      return;
    }
  if (self->checksum)
    ferry_checksum_update (self->checksum, buffer, got);
  g_task_return_pointer (task, g_bytes_new_take (g_steal_pointer (&buffer), got),
                         (GDestroyNotify) g_bytes_unref);
}

static void fill (FerryChunkReader *self);

/* Hands the next chunk, the end or the error to a pending next. */
static void
serve (FerryChunkReader *self)
{
  g_autoptr(GTask) task = NULL;

  if (!self->waiter)
    return;
  if (!g_queue_is_empty (&self->ready))
    {
      task = g_steal_pointer (&self->waiter);
      g_task_return_pointer (task, g_queue_pop_head (&self->ready),
                             (GDestroyNotify) g_bytes_unref);
      fill (self);
    }
  else if (self->error)
    {
      task = g_steal_pointer (&self->waiter);
      g_task_return_error (task, g_error_copy (self->error));
    }
  else if (!self->reading && self->scheduled >= self->length)
    {
      task = g_steal_pointer (&self->waiter);
      if (self->checksum && !self->finished)
        {
          ferry_checksum_finish (self->checksum, self->digest);
          self->finished = TRUE;
        }
      g_task_return_pointer (task, NULL, NULL);
    }
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  FerryChunkReader *self = FERRY_CHUNK_READER (object);
  GError *error = NULL;
  GBytes *chunk;

  self->reading = FALSE;
  chunk = g_task_propagate_pointer (G_TASK (result), &error);
  if (!chunk)
    {
      if (!self->error)
        self->error = error;
      else
        g_clear_error (&error);
    }
  else
    g_queue_push_tail (&self->ready, chunk);

  serve (self);
  fill (self);
}

static void
fill (FerryChunkReader *self)
{
  g_autoptr(GTask) task = NULL;
  gsize want;

  if (self->reading || self->error || self->scheduled >= self->length ||
      g_queue_get_length (&self->ready) >= self->depth)
    return;

  want = (gsize) MIN ((guint64) self->chunk_size, self->length - self->scheduled);
  self->scheduled += want;
  self->reading = TRUE;
  task = g_task_new (self, self->cancellable, read_cb, NULL);
  g_task_set_source_tag (task, fill);
  g_task_set_task_data (task, GSIZE_TO_POINTER (want), NULL);
  g_task_run_in_thread (task, read_thread);
}

void
ferry_chunk_reader_next_async (FerryChunkReader    *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (FERRY_IS_CHUNK_READER (self));
  g_return_if_fail (self->waiter == NULL);

  self->waiter = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->waiter, ferry_chunk_reader_next_async);
  g_task_set_check_cancellable (self->waiter, FALSE);
  fill (self);
  serve (self);
}

GBytes *
ferry_chunk_reader_next_finish (FerryChunkReader  *self,
                                GAsyncResult      *result,
                                GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
ferry_chunk_reader_get_digest (FerryChunkReader *self,
                               guint8           *digest)
{
  g_return_if_fail (FERRY_IS_CHUNK_READER (self));
  g_return_if_fail (self->finished);

  memcpy (digest, self->digest, FERRY_SHA256_SIZE);
}

void
ferry_chunk_reader_cancel (FerryChunkReader *self)
{
  g_return_if_fail (FERRY_IS_CHUNK_READER (self));

  g_cancellable_cancel (self->cancellable);
  if (!self->error)
    self->error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                       _("Operation was cancelled"));
  g_queue_clear_full (&self->ready, (GDestroyNotify) g_bytes_unref);
  serve (self);
}
