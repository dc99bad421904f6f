/* ferry-sniff.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-server"

#include "config.h"

#include "ferry-sniff.h"

#include <string.h>

/* The first four bytes of every method the web front answers (HTTP.md §1). */
static const char *const http_starts[] = {
  "GET ", "HEAD", "POST", "PUT ", "DELE", "OPTI", "PATC",
};

FerrySniffKind
ferry_sniff_classify (const guint8 *bytes,
                      gsize         size)
{
  if (size < FERRY_SNIFF_SIZE)
    return FERRY_SNIFF_NATIVE;
  if (memcmp (bytes, "FERY", FERRY_SNIFF_SIZE) == 0)
    return FERRY_SNIFF_NATIVE;
  for (guint i = 0; i < G_N_ELEMENTS (http_starts); i++)
    if (memcmp (bytes, http_starts[i], FERRY_SNIFF_SIZE) == 0)
      return FERRY_SNIFF_HTTP;
  return FERRY_SNIFF_UNKNOWN;
}

typedef struct
{
  guint8        bytes[FERRY_SNIFF_SIZE];
  gsize         size;
  GCancellable *cancellable;   /* ours: cancelled by the caller's or at the deadline */
  gulong        cancel_id;
  GCancellable *caller_cancellable;
  guint         deadline_id;
} Sniff;

static void
sniff_free (gpointer data)
{
  Sniff *sniff = data;

  g_clear_handle_id (&sniff->deadline_id, g_source_remove);
  if (sniff->caller_cancellable)
    g_cancellable_disconnect (sniff->caller_cancellable, sniff->cancel_id);
  g_clear_object (&sniff->caller_cancellable);
  g_clear_object (&sniff->cancellable);
  g_free (sniff);
}

static gboolean
deadline_cb (gpointer user_data)
{
  Sniff *sniff = user_data;

  sniff->deadline_id = 0;
  g_cancellable_cancel (sniff->cancellable);
  return G_SOURCE_REMOVE;
}

static void
caller_cancelled_cb (GCancellable *caller,
                     gpointer      user_data)
{
  GCancellable *ours = user_data;

  g_cancellable_cancel (ours);
}

static void read_more (GTask *task);

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Sniff *sniff = g_task_get_task_data (task);
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, NULL);
  if (n <= 0)
    {
      g_task_return_pointer (task, g_bytes_new (sniff->bytes, sniff->size),
                             (GDestroyNotify) g_bytes_unref);
      return;
    }
  sniff->size += (gsize) n;
  read_more (g_steal_pointer (&task));
}

static void
read_more (GTask *task)
{
  Sniff *sniff = g_task_get_task_data (task);
  GIOStream *stream = g_task_get_source_object (task);

  if (sniff->size == FERRY_SNIFF_SIZE)
    {
      g_task_return_pointer (task, g_bytes_new (sniff->bytes, sniff->size),
                             (GDestroyNotify) g_bytes_unref);
      g_object_unref (task);
      return;
    }
  g_input_stream_read_async (g_io_stream_get_input_stream (stream), sniff->bytes + sniff->size,
                             FERRY_SNIFF_SIZE - sniff->size, G_PRIORITY_DEFAULT,
                             sniff->cancellable, read_cb, task);
}

void
ferry_sniff_async (GIOStream           *stream,
                   gint64               deadline,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  GTask *task;
  Sniff *sniff;
  gint64 left_ms;

  g_return_if_fail (G_IS_IO_STREAM (stream));

  task = g_task_new (stream, NULL, callback, user_data);
  g_task_set_source_tag (task, ferry_sniff_async);
  sniff = g_new0 (Sniff, 1);
  sniff->cancellable = g_cancellable_new ();
  if (cancellable)
    {
      sniff->caller_cancellable = g_object_ref (cancellable);
      sniff->cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (caller_cancelled_cb),
                                                sniff->cancellable, NULL);
    }
  left_ms = MAX (deadline - g_get_monotonic_time (), 0) / 1000;
  sniff->deadline_id = g_timeout_add ((guint) MIN (left_ms, G_MAXUINT), deadline_cb, sniff);
  g_task_set_task_data (task, sniff, sniff_free);
  read_more (task);
}

GBytes *
ferry_sniff_finish (GIOStream    *stream,
                    GAsyncResult *result)
{
  g_return_val_if_fail (g_task_is_valid (result, stream), NULL);
  return g_task_propagate_pointer (G_TASK (result), NULL);
}
