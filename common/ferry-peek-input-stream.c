/* ferry-peek-input-stream.c
 *
 * The client wraps its TLS connection around this stream so that, when a handshake fails, it
 * knows whether the server said anything at all, and whether that was TLS. Only then is a
 * "--no-tls" hint honest.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-peek"

#include "config.h"

#include <string.h>

#include "ferry-peek-input-stream.h"

struct _FerryPeekInputStream
{
  GFilterInputStream parent_instance;

  /* owned references */
  GSocketConnection *connection;

  guint8             first[FERRY_PEEK_SIZE];
  gsize              n_first;
};

static void ferry_peek_input_stream_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FerryPeekInputStream, ferry_peek_input_stream,
                               G_TYPE_FILTER_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      ferry_peek_input_stream_pollable_init))

static void
remember (FerryPeekInputStream *self,
          const void           *buffer,
          gssize                n)
{
  gsize take;

  if (n <= 0 || self->n_first >= FERRY_PEEK_SIZE)
    return;
  take = MIN ((gsize) n, FERRY_PEEK_SIZE - self->n_first);
  memcpy (self->first + self->n_first, buffer, take);
  self->n_first += take;
}

static GInputStream *
base (FerryPeekInputStream *self)
{
  return g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (self));
}

static gssize
ferry_peek_input_stream_read (GInputStream  *stream,
                              void          *buffer,
                              gsize          count,
                              GCancellable  *cancellable,
                              GError       **error)
{
  FerryPeekInputStream *self = FERRY_PEEK_INPUT_STREAM (stream);
  gssize n = g_input_stream_read (base (self), buffer, count, cancellable, error);

  remember (self, buffer, n);
  return n;
}

static gboolean
ferry_peek_input_stream_close (GInputStream  *stream,
                               GCancellable  *cancellable,
                               GError       **error)
{
  FerryPeekInputStream *self = FERRY_PEEK_INPUT_STREAM (stream);

  /* As a TLS connection closes a GSocketConnection base stream: all of it, socket included. */
  return g_io_stream_close (G_IO_STREAM (self->connection), cancellable, error);
}

static gboolean
ferry_peek_input_stream_can_poll (GPollableInputStream *stream)
{
  return g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (
                                             base (FERRY_PEEK_INPUT_STREAM (stream))));
}

static gboolean
ferry_peek_input_stream_is_readable (GPollableInputStream *stream)
{
  return g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (
                                                base (FERRY_PEEK_INPUT_STREAM (stream))));
}

static GSource *
ferry_peek_input_stream_create_source (GPollableInputStream *stream,
                                       GCancellable         *cancellable)
{
  FerryPeekInputStream *self = FERRY_PEEK_INPUT_STREAM (stream);
  g_autoptr(GSource) base_source = NULL;

  base_source = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (base (self)),
                                                       NULL);
  return g_pollable_source_new_full (self, base_source, cancellable);
}

static gssize
ferry_peek_input_stream_read_nonblocking (GPollableInputStream  *stream,
                                          void                  *buffer,
                                          gsize                  count,
                                          GError               **error)
{
  FerryPeekInputStream *self = FERRY_PEEK_INPUT_STREAM (stream);
  gssize n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (base (self)),
                                                       buffer, count, NULL, error);

  remember (self, buffer, n);
  return n;
}

static void
ferry_peek_input_stream_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = ferry_peek_input_stream_can_poll;
  iface->is_readable = ferry_peek_input_stream_is_readable;
  iface->create_source = ferry_peek_input_stream_create_source;
  iface->read_nonblocking = ferry_peek_input_stream_read_nonblocking;
}

static void
ferry_peek_input_stream_finalize (GObject *object)
{
  FerryPeekInputStream *self = FERRY_PEEK_INPUT_STREAM (object);

  g_clear_object (&self->connection);

  G_OBJECT_CLASS (ferry_peek_input_stream_parent_class)->finalize (object);
}

static void
ferry_peek_input_stream_class_init (FerryPeekInputStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GInputStreamClass *input_class = G_INPUT_STREAM_CLASS (klass);

  object_class->finalize = ferry_peek_input_stream_finalize;
  input_class->read_fn = ferry_peek_input_stream_read;
  input_class->close_fn = ferry_peek_input_stream_close;
}

static void
ferry_peek_input_stream_init (FerryPeekInputStream *self)
{
}

GInputStream *
ferry_peek_input_stream_new (GSocketConnection *connection)
{
  FerryPeekInputStream *self;

  g_return_val_if_fail (G_IS_SOCKET_CONNECTION (connection), NULL);

  self = g_object_new (FERRY_TYPE_PEEK_INPUT_STREAM,
                       "base-stream", g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                       "close-base-stream", FALSE,
                       NULL);
  self->connection = g_object_ref (connection);
  return G_INPUT_STREAM (self);
}

gsize
ferry_peek_input_stream_get_first (FerryPeekInputStream  *self,
                                   const guint8         **bytes)
{
  g_return_val_if_fail (FERRY_IS_PEEK_INPUT_STREAM (self), 0);

  if (bytes)
    *bytes = self->first;
  return self->n_first;
}

GIOStream *
ferry_peek_io_stream_new (GSocketConnection     *connection,
                          FerryPeekInputStream **peek)
{
  g_autoptr(GInputStream) input = ferry_peek_input_stream_new (connection);

  if (peek)
    *peek = FERRY_PEEK_INPUT_STREAM (input);
  return g_simple_io_stream_new (input,
                                 g_io_stream_get_output_stream (G_IO_STREAM (connection)));
}
