/* ferry-web-stream.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-server"

#include "config.h"

#include "ferry-web-stream.h"

#include <string.h>

#include "ferry-limits.h"
#include "ferry-socket.h"

#define IDLE_CHECK_S 5

/* The input: the sniffed bytes, then the base stream. Pollable, as libsoup requires. */

#define FERRY_TYPE_WEB_INPUT_STREAM (ferry_web_input_stream_get_type ())
G_DECLARE_FINAL_TYPE (FerryWebInputStream, ferry_web_input_stream, FERRY, WEB_INPUT_STREAM,
                      GInputStream)

struct _FerryWebInputStream
{
  GInputStream    parent_instance;

  GInputStream   *base;      /* pollable */
  GBytes         *first;     /* NULL once given back */
  gsize           first_offset;
  gint64         *last_activity;
};

static void ferry_web_input_stream_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FerryWebInputStream, ferry_web_input_stream, G_TYPE_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      ferry_web_input_stream_pollable_init))

static void
ferry_web_input_stream_finalize (GObject *object)
{
  FerryWebInputStream *self = FERRY_WEB_INPUT_STREAM (object);

  g_clear_object (&self->base);
  g_clear_pointer (&self->first, g_bytes_unref);
  G_OBJECT_CLASS (ferry_web_input_stream_parent_class)->finalize (object);
}

/* Copies what is left of the sniffed bytes into @buffer; 0 when none is left. */
static gssize
take_first (FerryWebInputStream *self,
            void                *buffer,
            gsize                count)
{
  gsize size;
  const guint8 *data;
  gsize n;

  if (!self->first)
    return 0;
  data = g_bytes_get_data (self->first, &size);
  n = MIN (count, size - self->first_offset);
  memcpy (buffer, data + self->first_offset, n);
  self->first_offset += n;
  if (self->first_offset == size)
    g_clear_pointer (&self->first, g_bytes_unref);
  return (gssize) n;
}

static gssize
counted (FerryWebInputStream *self,
         gssize               n)
{
  if (n > 0)
    *self->last_activity = g_get_monotonic_time ();
  return n;
}

static gssize
ferry_web_input_stream_read (GInputStream  *stream,
                             void          *buffer,
                             gsize          count,
                             GCancellable  *cancellable,
                             GError       **error)
{
  FerryWebInputStream *self = FERRY_WEB_INPUT_STREAM (stream);
  gssize n = take_first (self, buffer, count);

  if (n > 0 || count == 0)
    return n;
  return counted (self, g_input_stream_read (self->base, buffer, count, cancellable, error));
}

static gboolean
ferry_web_input_stream_close (GInputStream  *stream,
                              GCancellable  *cancellable,
                              GError       **error)
{
  /* The GIOStream closes the base connection. */
  return TRUE;
}

static void
ferry_web_input_stream_class_init (FerryWebInputStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GInputStreamClass *input_class = G_INPUT_STREAM_CLASS (klass);

  object_class->finalize = ferry_web_input_stream_finalize;
  input_class->read_fn = ferry_web_input_stream_read;
  input_class->close_fn = ferry_web_input_stream_close;
}

static void
ferry_web_input_stream_init (FerryWebInputStream *self)
{
}

static gboolean
ferry_web_input_stream_can_poll (GPollableInputStream *stream)
{
  return TRUE;
}

static gboolean
ferry_web_input_stream_is_readable (GPollableInputStream *stream)
{
  FerryWebInputStream *self = FERRY_WEB_INPUT_STREAM (stream);

  return self->first != NULL ||
         g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (self->base));
}

static GSource *
ferry_web_input_stream_create_source (GPollableInputStream *stream,
                                      GCancellable         *cancellable)
{
  FerryWebInputStream *self = FERRY_WEB_INPUT_STREAM (stream);
  g_autoptr(GSource) child = NULL;

  if (self->first)
    child = g_timeout_source_new (0);
  else
    child = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (self->base), NULL);
  return g_pollable_source_new_full (stream, child, cancellable);
}

static gssize
ferry_web_input_stream_read_nonblocking (GPollableInputStream  *stream,
                                         void                  *buffer,
                                         gsize                  count,
                                         GError               **error)
{
  FerryWebInputStream *self = FERRY_WEB_INPUT_STREAM (stream);
  gssize n = take_first (self, buffer, count);

  if (n > 0 || count == 0)
    return n;
  return counted (self,
                  g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (self->base),
                                                            buffer, count, NULL, error));
}

static void
ferry_web_input_stream_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = ferry_web_input_stream_can_poll;
  iface->is_readable = ferry_web_input_stream_is_readable;
  iface->create_source = ferry_web_input_stream_create_source;
  iface->read_nonblocking = ferry_web_input_stream_read_nonblocking;
}

/* The output: the base stream's, counting what is written. Pollable, as libsoup requires. */

#define FERRY_TYPE_WEB_OUTPUT_STREAM (ferry_web_output_stream_get_type ())
G_DECLARE_FINAL_TYPE (FerryWebOutputStream, ferry_web_output_stream, FERRY, WEB_OUTPUT_STREAM,
                      GOutputStream)

struct _FerryWebOutputStream
{
  GOutputStream   parent_instance;

  GOutputStream  *base;      /* pollable */
  FerryWebStream *owner;     /* not owned: it owns this */
};

static void ferry_web_output_stream_pollable_init (GPollableOutputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FerryWebOutputStream, ferry_web_output_stream,
                               G_TYPE_OUTPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_OUTPUT_STREAM,
                                                      ferry_web_output_stream_pollable_init))

static void written (FerryWebStream *self,
                     gssize          n);

static void
ferry_web_output_stream_finalize (GObject *object)
{
  FerryWebOutputStream *self = FERRY_WEB_OUTPUT_STREAM (object);

  g_clear_object (&self->base);
  G_OBJECT_CLASS (ferry_web_output_stream_parent_class)->finalize (object);
}

static gssize
ferry_web_output_stream_write (GOutputStream  *stream,
                               const void     *buffer,
                               gsize           count,
                               GCancellable   *cancellable,
                               GError        **error)
{
  FerryWebOutputStream *self = FERRY_WEB_OUTPUT_STREAM (stream);
  gssize n = g_output_stream_write (self->base, buffer, count, cancellable, error);

  written (self->owner, n);
  return n;
}

static gboolean
ferry_web_output_stream_flush (GOutputStream  *stream,
                               GCancellable   *cancellable,
                               GError        **error)
{
  return g_output_stream_flush (FERRY_WEB_OUTPUT_STREAM (stream)->base, cancellable, error);
}

static gboolean
ferry_web_output_stream_close (GOutputStream  *stream,
                               GCancellable   *cancellable,
                               GError        **error)
{
  /* The GIOStream closes the base connection. */
  return TRUE;
}

static void
ferry_web_output_stream_class_init (FerryWebOutputStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GOutputStreamClass *output_class = G_OUTPUT_STREAM_CLASS (klass);

  object_class->finalize = ferry_web_output_stream_finalize;
  output_class->write_fn = ferry_web_output_stream_write;
  output_class->flush = ferry_web_output_stream_flush;
  output_class->close_fn = ferry_web_output_stream_close;
}

static void
ferry_web_output_stream_init (FerryWebOutputStream *self)
{
}

static gboolean
ferry_web_output_stream_can_poll (GPollableOutputStream *stream)
{
  return TRUE;
}

static gboolean
ferry_web_output_stream_is_writable (GPollableOutputStream *stream)
{
  FerryWebOutputStream *self = FERRY_WEB_OUTPUT_STREAM (stream);

  return g_pollable_output_stream_is_writable (G_POLLABLE_OUTPUT_STREAM (self->base));
}

static GSource *
ferry_web_output_stream_create_source (GPollableOutputStream *stream,
                                       GCancellable          *cancellable)
{
  FerryWebOutputStream *self = FERRY_WEB_OUTPUT_STREAM (stream);
  g_autoptr(GSource) child =
    g_pollable_output_stream_create_source (G_POLLABLE_OUTPUT_STREAM (self->base), NULL);

  return g_pollable_source_new_full (stream, child, cancellable);
}

static gssize
ferry_web_output_stream_write_nonblocking (GPollableOutputStream  *stream,
                                           const void             *buffer,
                                           gsize                   count,
                                           GError                **error)
{
  FerryWebOutputStream *self = FERRY_WEB_OUTPUT_STREAM (stream);
  gssize n = g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM (self->base),
                                                         buffer, count, NULL, error);

  written (self->owner, n);
  return n;
}

static void
ferry_web_output_stream_pollable_init (GPollableOutputStreamInterface *iface)
{
  iface->can_poll = ferry_web_output_stream_can_poll;
  iface->is_writable = ferry_web_output_stream_is_writable;
  iface->create_source = ferry_web_output_stream_create_source;
  iface->write_nonblocking = ferry_web_output_stream_write_nonblocking;
}

/* The connection */

struct _FerryWebStream
{
  GIOStream                 parent_instance;

  GIOStream                *base;
  FerryWebInputStream      *input;
  FerryWebOutputStream     *output;
  guint64                   bytes_written;
  FerryWebStreamWroteFunc   wrote;
  gpointer                  wrote_data;
  GMainContext             *context;     /* where closed is called */
  FerryWebStreamClosedFunc  closed;
  gpointer                  closed_data;
  char                     *peer;
  char                     *address;
  GSocketAddress           *remote;
  GSocketAddress           *local;
  gint64                    last_activity;
  guint                     idle_limit_s;
  guint                     idle_check_id;
  guint                     deadline_id;
  gboolean                  closed_called;
};

G_DEFINE_FINAL_TYPE (FerryWebStream, ferry_web_stream, G_TYPE_IO_STREAM)

static void
call_closed (FerryWebStream *self)
{
  if (self->closed_called)
    return;
  self->closed_called = TRUE;
  self->wrote = NULL;
  g_clear_handle_id (&self->idle_check_id, g_source_remove);
  g_clear_handle_id (&self->deadline_id, g_source_remove);
  if (self->closed)
    self->closed (self, self->closed_data);
}

static gboolean
call_closed_idle_cb (gpointer user_data)
{
  call_closed (user_data);
  return G_SOURCE_REMOVE;
}

static void
ferry_web_stream_dispose (GObject *object)
{
  FerryWebStream *self = FERRY_WEB_STREAM (object);

  call_closed (self);
  G_OBJECT_CLASS (ferry_web_stream_parent_class)->dispose (object);
}

static void
ferry_web_stream_finalize (GObject *object)
{
  FerryWebStream *self = FERRY_WEB_STREAM (object);

  g_clear_object (&self->input);
  g_clear_object (&self->output);
  g_clear_object (&self->base);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->peer, g_free);
  g_clear_pointer (&self->address, g_free);
  g_clear_object (&self->remote);
  g_clear_object (&self->local);
  G_OBJECT_CLASS (ferry_web_stream_parent_class)->finalize (object);
}

static GInputStream *
ferry_web_stream_get_input_stream (GIOStream *stream)
{
  return G_INPUT_STREAM (FERRY_WEB_STREAM (stream)->input);
}

static GOutputStream *
ferry_web_stream_get_output_stream (GIOStream *stream)
{
  return G_OUTPUT_STREAM (FERRY_WEB_STREAM (stream)->output);
}

/* May run in a worker thread (GIOStream's default close_async). */
static gboolean
ferry_web_stream_close (GIOStream     *stream,
                        GCancellable  *cancellable,
                        GError       **error)
{
  FerryWebStream *self = FERRY_WEB_STREAM (stream);
  gboolean ok;

  ok = g_io_stream_close (self->base, cancellable, error);
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, call_closed_idle_cb,
                              g_object_ref (self), g_object_unref);
  return ok;
}

static void
ferry_web_stream_class_init (FerryWebStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  object_class->dispose = ferry_web_stream_dispose;
  object_class->finalize = ferry_web_stream_finalize;
  stream_class->get_input_stream = ferry_web_stream_get_input_stream;
  stream_class->get_output_stream = ferry_web_stream_get_output_stream;
  stream_class->close_fn = ferry_web_stream_close;
}

static void
ferry_web_stream_init (FerryWebStream *self)
{
  self->idle_limit_s = FERRY_TRANSFER_TIMEOUT_S;
}

static void
written (FerryWebStream *self,
         gssize          n)
{
  if (n <= 0)
    return;
  self->bytes_written += (guint64) n;
  self->last_activity = g_get_monotonic_time ();
  if (self->wrote)
    self->wrote (self, self->wrote_data);
}

static gboolean
idle_check_cb (gpointer user_data)
{
  FerryWebStream *self = user_data;
  gint64 idle = g_get_monotonic_time () - self->last_activity;

  if (idle < (gint64) self->idle_limit_s * G_USEC_PER_SEC)
    return G_SOURCE_CONTINUE;
  g_debug ("%s: HTTP connection idle for %u s: closed", self->peer, self->idle_limit_s);
  self->idle_check_id = 0;
  ferry_web_stream_abort (self);
  return G_SOURCE_REMOVE;
}

FerryWebStream *
ferry_web_stream_new (GIOStream                *base,
                      GBytes                   *first_bytes,
                      FerryWebStreamClosedFunc  closed,
                      gpointer                  user_data)
{
  FerryWebStream *self;
  GSocketConnection *connection;
  GInputStream *base_input;

  g_return_val_if_fail (G_IS_IO_STREAM (base), NULL);
  base_input = g_io_stream_get_input_stream (base);
  g_return_val_if_fail (G_IS_POLLABLE_INPUT_STREAM (base_input), NULL);

  self = g_object_new (FERRY_TYPE_WEB_STREAM, NULL);
  self->base = g_object_ref (base);
  self->context = g_main_context_ref_thread_default ();
  self->closed = closed;
  self->closed_data = user_data;
  self->last_activity = g_get_monotonic_time ();

  self->input = g_object_new (FERRY_TYPE_WEB_INPUT_STREAM, NULL);
  self->input->base = g_object_ref (base_input);
  if (first_bytes && g_bytes_get_size (first_bytes) > 0)
    self->input->first = g_bytes_ref (first_bytes);
  self->input->last_activity = &self->last_activity;
  self->output = g_object_new (FERRY_TYPE_WEB_OUTPUT_STREAM, NULL);
  self->output->base = g_object_ref (g_io_stream_get_output_stream (base));
  self->output->owner = self;

  connection = ferry_socket_connection_of (base);
  if (connection)
    {
      self->remote = g_socket_connection_get_remote_address (connection, NULL);
      self->local = g_socket_connection_get_local_address (connection, NULL);
    }
  if (G_IS_INET_SOCKET_ADDRESS (self->remote))
    {
      GInetSocketAddress *inet = G_INET_SOCKET_ADDRESS (self->remote);

      self->address = g_inet_address_to_string (g_inet_socket_address_get_address (inet));
      self->peer = g_strdup_printf ("%s:%u", self->address, g_inet_socket_address_get_port (inet));
    }
  else
    {
      self->address = g_strdup ("(unknown)");
      self->peer = g_strdup ("(unknown)");
    }
  self->idle_check_id = g_timeout_add_seconds (IDLE_CHECK_S, idle_check_cb, self);
  return self;
}

GIOStream *
ferry_web_stream_get_base (FerryWebStream *self)
{
  g_return_val_if_fail (FERRY_IS_WEB_STREAM (self), NULL);
  return self->base;
}

const char *
ferry_web_stream_get_peer (FerryWebStream *self)
{
  g_return_val_if_fail (FERRY_IS_WEB_STREAM (self), NULL);
  return self->peer;
}

const char *
ferry_web_stream_get_address (FerryWebStream *self)
{
  g_return_val_if_fail (FERRY_IS_WEB_STREAM (self), NULL);
  return self->address;
}

GSocketAddress *
ferry_web_stream_get_remote (FerryWebStream *self)
{
  g_return_val_if_fail (FERRY_IS_WEB_STREAM (self), NULL);
  return self->remote;
}

GSocketAddress *
ferry_web_stream_get_local (FerryWebStream *self)
{
  g_return_val_if_fail (FERRY_IS_WEB_STREAM (self), NULL);
  return self->local;
}

guint64
ferry_web_stream_get_bytes_written (FerryWebStream *self)
{
  g_return_val_if_fail (FERRY_IS_WEB_STREAM (self), 0);
  return self->bytes_written;
}

void
ferry_web_stream_set_wrote_func (FerryWebStream          *self,
                                 FerryWebStreamWroteFunc  wrote,
                                 gpointer                 user_data)
{
  g_return_if_fail (FERRY_IS_WEB_STREAM (self));
  self->wrote = wrote;
  self->wrote_data = user_data;
}

void
ferry_web_stream_touch (FerryWebStream *self)
{
  g_return_if_fail (FERRY_IS_WEB_STREAM (self));
  self->last_activity = g_get_monotonic_time ();
}

void
ferry_web_stream_set_idle_limit (FerryWebStream *self,
                                 guint           seconds)
{
  g_return_if_fail (FERRY_IS_WEB_STREAM (self));
  self->idle_limit_s = seconds;
}

static gboolean
deadline_cb (gpointer user_data)
{
  FerryWebStream *self = user_data;

  self->deadline_id = 0;
  g_debug ("%s: no HTTP request in time: closed", self->peer);
  ferry_web_stream_abort (self);
  return G_SOURCE_REMOVE;
}

void
ferry_web_stream_set_deadline (FerryWebStream *self,
                               gint64          deadline)
{
  gint64 left_ms;

  g_return_if_fail (FERRY_IS_WEB_STREAM (self));

  g_clear_handle_id (&self->deadline_id, g_source_remove);
  if (deadline == 0 || self->closed_called)
    return;
  left_ms = MAX (deadline - g_get_monotonic_time (), 0) / 1000;
  self->deadline_id = g_timeout_add ((guint) MIN (left_ms, G_MAXUINT), deadline_cb, self);
}

void
ferry_web_stream_abort (FerryWebStream *self)
{
  GSocketConnection *connection;

  g_return_if_fail (FERRY_IS_WEB_STREAM (self));

  /* Shutting the socket down wakes whatever libsoup waits for with an end of stream or an
   * error, and it then closes this stream as for any ended connection. */
  connection = ferry_socket_connection_of (self->base);
  if (connection)
    g_socket_shutdown (g_socket_connection_get_socket (connection), TRUE, TRUE, NULL);
}
