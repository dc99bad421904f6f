/* ferry-connection-read.c: FerryConnection reading whole frames: payloads straight into the
 * frame's buffer, and every TLS record already there taken in the same main-loop wakeup
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-connection"

#include "config.h"

#include <glib/gi18n.h>

#include "ferry-connection-private.h"
#include "ferry-error.h"

static void
frame_free (FerryFrame *frame)
{
  ferry_frame_clear (frame);
  g_free (frame);
}

static void
user_cancelled_cb (GCancellable *cancellable,
                   gpointer      user_data)
{
  FerryConnection *self = user_data;

  /* Cancelling a read in the middle of a frame leaves the stream unusable. */
  g_cancellable_cancel (self->cancellable);
}

static void
read_task_complete (FerryConnection *self,
                    FerryFrame      *frame,
                    GError          *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->read_task);

  if (self->read_cancel_id)
    {
      g_cancellable_disconnect (self->read_user_cancellable, self->read_cancel_id);
      self->read_cancel_id = 0;
    }
  g_clear_object (&self->read_user_cancellable);

  if (error)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, frame, (GDestroyNotify) frame_free);
}

static void read_more (FerryConnection *self);

static void
take_bytes (FerryConnection *self,
            gsize            n)
{
  if (self->read_direct)
    ferry_frame_decoder_commit (self->decoder, n);
  else
    ferry_frame_decoder_feed (self->decoder, self->read_buffer, n);
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(FerryConnection) self = user_data;
  g_autoptr(GError) error = NULL;
  gssize n;

  self->n_io--;
  n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);

  if (n < 0)
    {
      if (self->closed && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_clear_error (&error);
      if (!error)
        error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Operation was cancelled"));
      read_task_complete (self, NULL, ferry_connection_lost (g_steal_pointer (&error)));
      ferry_connection_maybe_close_stream (self);
      return;
    }

  if (n == 0)
    {
      if (ferry_frame_decoder_pending (self->decoder) > 0)
        error = g_error_new_literal (FERRY_ERROR, FERRY_ERROR_CLOSED,
                                     _("The connection was closed in the middle of a message."));
      else
        error = g_error_new_literal (FERRY_ERROR, FERRY_ERROR_CLOSED,
                                     _("The connection was closed by the other side."));
      read_task_complete (self, NULL, g_steal_pointer (&error));
      ferry_connection_maybe_close_stream (self);
      return;
    }

  take_bytes (self, (gsize) n);
  read_more (self);
}

/* Where the next read goes: the rest of the payload being received, or the read buffer. */
static gsize
read_target (FerryConnection  *self,
             guint8          **target)
{
  gsize space = ferry_frame_decoder_get_space (self->decoder, target);

  self->read_direct = space > 0;
  if (self->read_direct)
    return space;
  *target = self->read_buffer;
  return FERRY_CONNECTION_READ_BUFFER_SIZE;
}

/* Reads what is already there without waiting, until a frame is whole: a TLS stream hands
 * out one record (16 KiB) per read. Stops at the first error, which the read that follows
 * reports; nothing read is lost. */
static void
read_available (FerryConnection *self)
{
  GPollableInputStream *pollable;
  guint8 *target;
  gsize size;
  gssize n;

  if (!G_IS_POLLABLE_INPUT_STREAM (self->input) ||
      !g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (self->input)))
    return;
  pollable = G_POLLABLE_INPUT_STREAM (self->input);

  /* Bounded: a frame is at most FERRY_MAX_DATA_PAYLOAD, and each pass takes at least a byte
   * of it; the cap keeps one busy peer from holding the main loop. */
  for (guint i = 0; i < 256 && !ferry_frame_decoder_has_frame (self->decoder); i++)
    {
      size = read_target (self, &target);
      n = g_pollable_input_stream_read_nonblocking (pollable, target, size, self->cancellable,
                                                    NULL);
      if (n <= 0)
        return;
      take_bytes (self, (gsize) n);
    }
}

static void
read_more (FerryConnection *self)
{
  FerryFrame frame = { 0 };
  GError *error = NULL;
  guint8 *target;
  gsize size;

  if (!self->closed && !g_cancellable_is_cancelled (self->cancellable))
    read_available (self);

  if (ferry_frame_decoder_next (self->decoder, &frame, &error))
    {
      read_task_complete (self, g_memdup2 (&frame, sizeof frame), NULL);
      return;
    }
  if (error)
    {
      read_task_complete (self, NULL, error);
      return;
    }
  if (self->closed || g_cancellable_is_cancelled (self->cancellable))
    {
      read_task_complete (self, NULL,
                          g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                               _("Operation was cancelled")));
      return;
    }

  size = read_target (self, &target);
  self->n_io++;
  g_input_stream_read_async (self->input, target, size, G_PRIORITY_DEFAULT, self->cancellable,
                             read_cb, g_object_ref (self));
}

void
ferry_connection_read_async (FerryConnection     *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (FERRY_IS_CONNECTION (self));
  g_return_if_fail (self->read_task == NULL);

  self->read_task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (self->read_task, ferry_connection_read_async);

  if (cancellable)
    {
      self->read_user_cancellable = g_object_ref (cancellable);
      self->read_cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (user_cancelled_cb),
                                                    self, NULL);
    }

  read_more (self);
}

gboolean
ferry_connection_read_finish (FerryConnection  *self,
                              GAsyncResult     *result,
                              FerryFrame       *frame,
                              GError          **error)
{
  FerryFrame *got;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (frame != NULL, FALSE);

  got = g_task_propagate_pointer (G_TASK (result), error);
  if (!got)
    return FALSE;
  *frame = *got;
  g_free (got);
  return TRUE;
}
