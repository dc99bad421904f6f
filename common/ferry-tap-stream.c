/* ferry-tap-stream.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What sits between a socket and GIO's TLS connection to see what the peer really sent: the
 * client remembers a server's first bytes (was it TLS at all?), the server follows a client's
 * TLS records (is it asking for a renegotiation?). glib-networking reads its base stream both
 * blocking, from its handshake thread, and non-blocking, from the main loop, so the tap is
 * pollable whenever the socket is.
 */
#define G_LOG_DOMAIN "ferry-tap"

#include "config.h"

#include "ferry-tap-stream.h"

struct _FerryTapInputStream
{
  GFilterInputStream parent_instance;

  /* owned references */
  GSocketConnection *connection;
  GError            *error;         /* once the tap failed a read */

  FerryTapFunc       func;
  gpointer           user_data;
  GDestroyNotify     destroy;
};

static void ferry_tap_input_stream_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FerryTapInputStream, ferry_tap_input_stream,
                               G_TYPE_FILTER_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      ferry_tap_input_stream_pollable_init))

static GInputStream *
base_stream (gpointer stream)
{
  return g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (stream));
}

/* Shows what a read brought to the tap; -1 when the tap fails it. */
static gssize
tap (FerryTapInputStream  *self,
     const void           *buffer,
     gssize                n,
     GError              **error)
{
  if (n > 0 && !self->func (buffer, (gsize) n, self->user_data, &self->error))
    {
      g_assert (self->error);
      g_propagate_error (error, g_error_copy (self->error));
      return -1;
    }
  return n;
}

static gboolean
failed_before (FerryTapInputStream  *self,
               GError              **error)
{
  if (!self->error)
    return FALSE;
  g_propagate_error (error, g_error_copy (self->error));
  return TRUE;
}

static gssize
ferry_tap_input_stream_read (GInputStream  *stream,
                             void          *buffer,
                             gsize          count,
                             GCancellable  *cancellable,
                             GError       **error)
{
  FerryTapInputStream *self = FERRY_TAP_INPUT_STREAM (stream);

  if (failed_before (self, error))
    return -1;
  return tap (self, buffer, g_input_stream_read (base_stream (self), buffer, count, cancellable,
                                                 error), error);
}

static gboolean
ferry_tap_input_stream_close (GInputStream  *stream,
                              GCancellable  *cancellable,
                              GError       **error)
{
  FerryTapInputStream *self = FERRY_TAP_INPUT_STREAM (stream);

  /* As a TLS connection closes a GSocketConnection base stream: all of it, socket included. */
  return g_io_stream_close (G_IO_STREAM (self->connection), cancellable, error);
}

static gboolean
ferry_tap_input_stream_can_poll (GPollableInputStream *stream)
{
  return g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (base_stream (stream)));
}

static gboolean
ferry_tap_input_stream_is_readable (GPollableInputStream *stream)
{
  return g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (base_stream (stream)));
}

static GSource *
ferry_tap_input_stream_create_source (GPollableInputStream *stream,
                                      GCancellable         *cancellable)
{
  g_autoptr(GSource) base_source = NULL;

  base_source = g_pollable_input_stream_create_source (
    G_POLLABLE_INPUT_STREAM (base_stream (stream)), NULL);
  return g_pollable_source_new_full (stream, base_source, cancellable);
}

static gssize
ferry_tap_input_stream_read_nonblocking (GPollableInputStream  *stream,
                                         void                  *buffer,
                                         gsize                  count,
                                         GError               **error)
{
  FerryTapInputStream *self = FERRY_TAP_INPUT_STREAM (stream);

  if (failed_before (self, error))
    return -1;
  return tap (self, buffer,
              g_pollable_input_stream_read_nonblocking (
                G_POLLABLE_INPUT_STREAM (base_stream (self)), buffer, count, NULL, error),
              error);
}

static void
ferry_tap_input_stream_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = ferry_tap_input_stream_can_poll;
  iface->is_readable = ferry_tap_input_stream_is_readable;
  iface->create_source = ferry_tap_input_stream_create_source;
  iface->read_nonblocking = ferry_tap_input_stream_read_nonblocking;
}

static void
ferry_tap_input_stream_finalize (GObject *object)
{
  FerryTapInputStream *self = FERRY_TAP_INPUT_STREAM (object);

  if (self->destroy)
    self->destroy (self->user_data);
  g_clear_error (&self->error);
  g_clear_object (&self->connection);

  G_OBJECT_CLASS (ferry_tap_input_stream_parent_class)->finalize (object);
}

static void
ferry_tap_input_stream_class_init (FerryTapInputStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GInputStreamClass *input_class = G_INPUT_STREAM_CLASS (klass);

  object_class->finalize = ferry_tap_input_stream_finalize;
  input_class->read_fn = ferry_tap_input_stream_read;
  input_class->close_fn = ferry_tap_input_stream_close;
}

static void
ferry_tap_input_stream_init (FerryTapInputStream *self)
{
}

GIOStream *
ferry_tap_stream_new (GSocketConnection *connection,
                      FerryTapFunc       func,
                      gpointer           user_data,
                      GDestroyNotify     destroy)
{
  g_autoptr(FerryTapInputStream) input = NULL;

  g_return_val_if_fail (G_IS_SOCKET_CONNECTION (connection), NULL);
  g_return_val_if_fail (func != NULL, NULL);

  input = g_object_new (FERRY_TYPE_TAP_INPUT_STREAM,
                        "base-stream", g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                        "close-base-stream", FALSE,
                        NULL);
  input->connection = g_object_ref (connection);
  input->func = func;
  input->user_data = user_data;
  input->destroy = destroy;

  return g_simple_io_stream_new (G_INPUT_STREAM (input),
                                 g_io_stream_get_output_stream (G_IO_STREAM (connection)));
}

GSocketConnection *
ferry_tap_stream_get_connection (GIOStream *stream)
{
  GInputStream *input;

  g_return_val_if_fail (G_IS_IO_STREAM (stream), NULL);

  if (!G_IS_SIMPLE_IO_STREAM (stream))
    return NULL;
  input = g_io_stream_get_input_stream (stream);
  if (!FERRY_IS_TAP_INPUT_STREAM (input))
    return NULL;
  return FERRY_TAP_INPUT_STREAM (input)->connection;
}
