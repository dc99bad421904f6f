/* ferry-connection.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-connection"

#include "config.h"

#include <glib/gi18n.h>

#include "ferry-connection-private.h"
#include "ferry-error.h"
#include "ferry-message.h"

typedef struct
{
  FerryConnection *self;
  GTask           *task;          /* nullable: fire and forget */
  GBytes          *frame;         /* nullable */
  guint8           data_header[FERRY_FRAME_HEADER_SIZE + FERRY_DATA_HEADER_SIZE];
  GOutputVector    vectors[2];
  guint            n_vectors;
  gsize            size;
  gboolean         counted;       /* a frame the queue holds, counted in frame_bytes */
} WriteOp;

enum {
  PROP_0,
  PROP_OUTPUT_LIMIT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_OUTPUT_OVERFLOW,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (FerryConnection, ferry_connection, G_TYPE_OBJECT)

static void write_next (FerryConnection *self);

GError *
ferry_connection_lost (GError *error)
{
  GError *lost;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || error->domain == FERRY_ERROR)
    return error;
  /* The system's own sentence, whole, after ours. */
  lost = g_error_new (FERRY_ERROR, FERRY_ERROR_CLOSED, _("The connection was lost: %s"),
                      error->message);
  g_error_free (error);
  return lost;
}

static void
write_op_free (WriteOp *op)
{
  g_clear_pointer (&op->frame, g_bytes_unref);
  g_clear_object (&op->task);
  g_clear_object (&op->self);
  g_free (op);
}

static void
ferry_connection_dispose (GObject *object)
{
  FerryConnection *self = FERRY_CONNECTION (object);
  WriteOp *op;

  g_cancellable_cancel (self->cancellable);
  while ((op = g_queue_pop_head (&self->write_queue)))
    write_op_free (op);

  G_OBJECT_CLASS (ferry_connection_parent_class)->dispose (object);
}

static void
ferry_connection_finalize (GObject *object)
{
  FerryConnection *self = FERRY_CONNECTION (object);

  g_clear_object (&self->stream);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->decoder, ferry_frame_decoder_free);
  g_clear_pointer (&self->read_buffer, g_free);
  g_clear_error (&self->write_error);

  G_OBJECT_CLASS (ferry_connection_parent_class)->finalize (object);
}

static void
ferry_connection_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  FerryConnection *self = FERRY_CONNECTION (object);

  switch (prop_id)
    {
    case PROP_OUTPUT_LIMIT:
      g_value_set_uint64 (value, self->output_limit);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_connection_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  FerryConnection *self = FERRY_CONNECTION (object);

  switch (prop_id)
    {
    case PROP_OUTPUT_LIMIT:
      ferry_connection_set_output_limit (self, (gsize) g_value_get_uint64 (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_connection_class_init (FerryConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_connection_dispose;
  object_class->finalize = ferry_connection_finalize;
  object_class->get_property = ferry_connection_get_property;
  object_class->set_property = ferry_connection_set_property;

  /**
   * FerryConnection:output-limit:
   *
   * The most bytes of frames that may wait to be sent (0, the default: no limit). DATA
   * payloads sent from the caller's buffer do not count; the frames the queue holds do.
   */
  properties[PROP_OUTPUT_LIMIT] =
    g_param_spec_uint64 ("output-limit", NULL, NULL, 0, G_MAXSIZE, 0,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * FerryConnection::output-overflow:
   *
   * A send would have taken the queued frames over #FerryConnection:output-limit: the peer is
   * not reading. The frame was not queued and the connection is already aborted.
   */
  signals[SIGNAL_OUTPUT_OVERFLOW] =
    g_signal_new ("output-overflow", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
ferry_connection_init (FerryConnection *self)
{
  g_queue_init (&self->write_queue);
  self->decoder = ferry_frame_decoder_new ();
  self->cancellable = g_cancellable_new ();
  self->read_buffer = g_malloc (FERRY_CONNECTION_READ_BUFFER_SIZE);
}

FerryConnection *
ferry_connection_new (GIOStream *stream)
{
  FerryConnection *self;

  g_return_val_if_fail (G_IS_IO_STREAM (stream), NULL);

  self = g_object_new (FERRY_TYPE_CONNECTION, NULL);
  self->stream = g_object_ref (stream);
  self->input = g_io_stream_get_input_stream (stream);
  self->output = g_io_stream_get_output_stream (stream);
  return self;
}

GIOStream *
ferry_connection_get_stream (FerryConnection *self)
{
  g_return_val_if_fail (FERRY_IS_CONNECTION (self), NULL);
  return self->stream;
}

gsize
ferry_connection_get_queued_bytes (FerryConnection *self)
{
  g_return_val_if_fail (FERRY_IS_CONNECTION (self), 0);
  return self->queued_bytes;
}

gsize
ferry_connection_get_output_limit (FerryConnection *self)
{
  g_return_val_if_fail (FERRY_IS_CONNECTION (self), 0);
  return self->output_limit;
}

void
ferry_connection_set_output_limit (FerryConnection *self,
                                   gsize            limit)
{
  g_return_if_fail (FERRY_IS_CONNECTION (self));

  if (self->output_limit == limit)
    return;
  self->output_limit = limit;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OUTPUT_LIMIT]);
}

gsize
ferry_connection_get_frame_bytes (FerryConnection *self)
{
  g_return_val_if_fail (FERRY_IS_CONNECTION (self), 0);
  return self->frame_bytes;
}

gboolean
ferry_connection_is_closed (FerryConnection *self)
{
  g_return_val_if_fail (FERRY_IS_CONNECTION (self), TRUE);
  return self->closed || self->closing;
}


void
ferry_connection_unread (FerryConnection *self,
                         GBytes          *bytes)
{
  gsize size;
  const guint8 *data;

  g_return_if_fail (FERRY_IS_CONNECTION (self));
  g_return_if_fail (self->read_task == NULL);

  data = g_bytes_get_data (bytes, &size);
  if (size > 0)
    ferry_frame_decoder_feed (self->decoder, data, size);
}

/* Takes @op off the counts. */
static void
uncount (FerryConnection *self,
         WriteOp         *op)
{
  self->queued_bytes -= op->size;
  if (op->counted)
    self->frame_bytes -= op->size;
}

/* Completes a drain wait that is satisfied, or that never can be. */
static void
drain_check (FerryConnection *self)
{
  g_autoptr(GTask) task = NULL;

  if (!self->drain_task)
    return;
  if (self->write_error)
    {
      task = g_steal_pointer (&self->drain_task);
      g_task_return_error (task, g_error_copy (self->write_error));
    }
  else if (self->frame_bytes <= self->drain_level)
    {
      task = g_steal_pointer (&self->drain_task);
      g_task_return_boolean (task, TRUE);
    }
}

static void
fail_queue (FerryConnection *self)
{
  WriteOp *op;

  while ((op = g_queue_pop_head (&self->write_queue)))
    {
      uncount (self, op);
      if (op->task)
        g_task_return_error (op->task, g_error_copy (self->write_error));
      write_op_free (op);
    }
  drain_check (self);
}

static void
write_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(FerryConnection) self = user_data;
  g_autoptr(GError) error = NULL;
  WriteOp *op;

  self->n_io--;
  self->writing = FALSE;
  op = g_queue_pop_head (&self->write_queue);
  uncount (self, op);

  if (!g_output_stream_writev_all_finish (G_OUTPUT_STREAM (object), result, NULL, &error))
    {
      error = ferry_connection_lost (error);
      if (!self->write_error)
        self->write_error = g_error_copy (error);
      if (op->task)
        g_task_return_error (op->task, g_steal_pointer (&error));
      write_op_free (op);
      fail_queue (self);
      ferry_connection_maybe_close_stream (self);
      return;
    }

  if (op->task)
    g_task_return_boolean (op->task, TRUE);
  write_op_free (op);
  write_next (self);
  drain_check (self);
}

static void
write_next (FerryConnection *self)
{
  WriteOp *op;

  if (self->writing)
    return;

  if (self->write_error)
    {
      fail_queue (self);
      return;
    }

  op = g_queue_peek_head (&self->write_queue);
  if (!op)
    {
      ferry_connection_maybe_close_stream (self);
      return;
    }

  self->writing = TRUE;
  self->n_io++;
  g_output_stream_writev_all_async (self->output, op->vectors, op->n_vectors,
                                    G_PRIORITY_DEFAULT, self->cancellable,
                                    write_cb, g_object_ref (self));
}

/* The peer does not read: drop everything, close, and tell the owner once. */
static void
overflow (FerryConnection *self)
{
  g_autoptr(FerryConnection) hold G_GNUC_UNUSED = g_object_ref (self);

  if (!self->write_error)
    self->write_error = g_error_new_literal (FERRY_ERROR, FERRY_ERROR_CLOSED,
                                             _("The other side does not read what is sent "
                                               "to it."));
  ferry_connection_abort (self);
  if (!self->overflowed)
    {
      self->overflowed = TRUE;
      g_signal_emit (self, signals[SIGNAL_OUTPUT_OVERFLOW], 0);
    }
}

static void
enqueue (FerryConnection *self,
         WriteOp         *op)
{
  if (self->closed || self->closing)
    {
      if (op->task)
        g_task_return_new_error (op->task, FERRY_ERROR, FERRY_ERROR_CLOSED,
                                 _("The connection is closed."));
      write_op_free (op);
      return;
    }

  for (guint i = 0; i < op->n_vectors; i++)
    op->size += op->vectors[i].size;
  op->counted = op->frame != NULL;

  if (op->counted && self->output_limit > 0 &&
      self->frame_bytes + op->size > self->output_limit)
    {
      if (op->task)
        g_task_return_new_error (op->task, FERRY_ERROR, FERRY_ERROR_CLOSED,
                                 _("The other side does not read what is sent to it."));
      write_op_free (op);
      overflow (self);
      return;
    }

  self->queued_bytes += op->size;
  if (op->counted)
    self->frame_bytes += op->size;
  g_queue_push_tail (&self->write_queue, op);
  write_next (self);
}

static WriteOp *
write_op_new (FerryConnection     *self,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data,
              gpointer             source_tag)
{
  WriteOp *op = g_new0 (WriteOp, 1);

  op->self = g_object_ref (self);
  if (callback)
    {
      op->task = g_task_new (self, cancellable, callback, user_data);
      g_task_set_source_tag (op->task, source_tag);
    }
  return op;
}

void
ferry_connection_send_async (FerryConnection     *self,
                             GBytes              *frame,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  WriteOp *op;

  g_return_if_fail (FERRY_IS_CONNECTION (self));
  g_return_if_fail (frame != NULL);

  op = write_op_new (self, cancellable, callback, user_data, ferry_connection_send_async);
  op->frame = g_bytes_ref (frame);
  op->vectors[0].buffer = g_bytes_get_data (frame, &op->vectors[0].size);
  op->n_vectors = 1;
  enqueue (self, op);
}

gboolean
ferry_connection_send_finish (FerryConnection  *self,
                              GAsyncResult     *result,
                              GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
ferry_connection_send (FerryConnection *self,
                       GBytes          *frame)
{
  ferry_connection_send_async (self, frame, NULL, NULL, NULL);
}

void
ferry_connection_send_message (FerryConnection *self,
                               GBytes          *message)
{
  g_autoptr(GBytes) owned = message;

  ferry_connection_send (self, owned);
}

void
ferry_connection_send_data_async (FerryConnection     *self,
                                  guint64              offset,
                                  const guint8        *data,
                                  gsize                len,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  WriteOp *op;

  g_return_if_fail (FERRY_IS_CONNECTION (self));
  g_return_if_fail (len > 0 && len <= FERRY_CHUNK_MAX);

  op = write_op_new (self, cancellable, callback, user_data, ferry_connection_send_async);
  ferry_data_header_encode (op->data_header, offset, len);
  op->vectors[0].buffer = op->data_header;
  op->vectors[0].size = sizeof op->data_header;
  op->vectors[1].buffer = data;
  op->vectors[1].size = len;
  op->n_vectors = 2;
  enqueue (self, op);
}

void
ferry_connection_drain_async (FerryConnection     *self,
                              gsize                level,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (FERRY_IS_CONNECTION (self));
  g_return_if_fail (self->drain_task == NULL);

  self->drain_task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->drain_task, ferry_connection_drain_async);
  self->drain_level = level;

  if (!self->write_error && (self->closed || self->closing))
    {
      g_autoptr(GTask) task = g_steal_pointer (&self->drain_task);

      g_task_return_new_error (task, FERRY_ERROR, FERRY_ERROR_CLOSED,
                               _("The connection is closed."));
      return;
    }
  drain_check (self);
}

gboolean
ferry_connection_drain_finish (FerryConnection  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
close_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(FerryConnection) self = user_data;
  g_autoptr(GTask) task = g_steal_pointer (&self->close_task);

  /* A close that fails (a peer that already went away) is still a close. */
  g_io_stream_close_finish (G_IO_STREAM (object), result, NULL);
  if (task)
    g_task_return_boolean (task, TRUE);
}

void
ferry_connection_maybe_close_stream (FerryConnection *self)
{
  if (self->closed || !self->closing)
    return;
  if (self->n_io > 0)
    {
      /* After an abort, wait for the cancelled I/O to unwind. Otherwise drain writes first. */
      if (!g_cancellable_is_cancelled (self->cancellable) && self->writing)
        return;
      g_cancellable_cancel (self->cancellable);
      return;
    }

  self->closed = TRUE;
  /* Closing TLS sends close_notify, from a thread of GIO's pool that waits until the peer takes
   * it: a peer that stopped reading would hold that thread, and its socket, for ever. After an
   * abort, the socket under the TLS connection is closed first, so that nothing waits. */
  if (self->aborted && G_IS_TLS_CONNECTION (self->stream))
    {
      g_autoptr(GIOStream) base = NULL;

      g_object_get (self->stream, "base-io-stream", &base, NULL);
      if (base)
        g_io_stream_close (base, NULL, NULL);
    }
  g_io_stream_close_async (self->stream, G_PRIORITY_DEFAULT, NULL, close_cb, g_object_ref (self));
}

void
ferry_connection_close_async (FerryConnection     *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FERRY_IS_CONNECTION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_connection_close_async);

  if (self->closing || self->closed)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  self->closing = TRUE;
  self->close_task = g_steal_pointer (&task);
  if (!self->writing)
    ferry_connection_maybe_close_stream (self);
}

gboolean
ferry_connection_close_finish (FerryConnection  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
ferry_connection_abort (FerryConnection *self)
{
  g_return_if_fail (FERRY_IS_CONNECTION (self));

  if (self->closed)
    return;
  self->closing = TRUE;
  self->aborted = TRUE;
  if (!self->write_error)
    self->write_error = g_error_new_literal (FERRY_ERROR, FERRY_ERROR_CLOSED,
                                             _("The connection was closed."));
  g_cancellable_cancel (self->cancellable);
  if (!self->writing)
    fail_queue (self);
  ferry_connection_maybe_close_stream (self);
}
