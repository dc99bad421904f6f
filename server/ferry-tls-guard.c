/* ferry-tls-guard.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * glib-networking 2.74 carries out a renegotiation that a TLS 1.2 client starts (its
 * "rehandshake-mode" is ignored), and no GnuTLS priority keyword refuses a safe one. Each
 * renegotiation costs the server a full handshake and a thread, at the client's whim, so
 * PROTOCOL.md §1 refuses them. This stream, placed between the socket and the TLS
 * connection, follows the record layer of what the client sends, which TLS leaves in the clear:
 * a client's ChangeCipherSpec is followed by exactly one handshake record, its Finished, and
 * only application data after that. A further handshake record can only be a renegotiation's
 * ClientHello, so the read that brings it fails and the connection ends. (TLS 1.3 has no
 * renegotiation; after its handshake every record it sends is of the application data type.)
 */
#define G_LOG_DOMAIN "ferry-tls-guard"

#include "config.h"

#include "ferry-tls-guard.h"

#define TLS_RECORD_HEADER_SIZE  5
#define TLS_CHANGE_CIPHER_SPEC  20
#define TLS_HANDSHAKE           22

/* The reading side: a pollable filter that follows the records it passes on. */

#define FERRY_TYPE_TLS_GUARD_INPUT (ferry_tls_guard_input_get_type ())

G_DECLARE_FINAL_TYPE (FerryTlsGuardInput, ferry_tls_guard_input, FERRY, TLS_GUARD_INPUT,
                      GFilterInputStream)

struct _FerryTlsGuardInput
{
  GFilterInputStream parent_instance;

  char     *peer;                  /* for the log */
  guint8    header[TLS_RECORD_HEADER_SIZE];
  guint     header_length;
  gsize     body_left;
  gboolean  seen_change_cipher_spec;
  guint     handshakes_after_change;
  gboolean  refused;
};

static void ferry_tls_guard_input_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FerryTlsGuardInput, ferry_tls_guard_input,
                               G_TYPE_FILTER_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      ferry_tls_guard_input_pollable_init))

/* Fails this read and every later one. */
static void
refuse (FerryTlsGuardInput  *self,
        GError             **error)
{
  if (!self->refused)
    g_message ("%s: refused a client-initiated TLS renegotiation; closing", self->peer);
  self->refused = TRUE;
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                       "TLS renegotiation is not allowed");
}

/* Follows the record layer through @length bytes the client sent. */
static gboolean
follow_records (FerryTlsGuardInput  *self,
                const guint8        *data,
                gsize                length,
                GError             **error)
{
  while (length > 0)
    {
      if (self->body_left > 0)
        {
          gsize skip = MIN (length, self->body_left);

          data += skip;
          length -= skip;
          self->body_left -= skip;
          continue;
        }

      self->header[self->header_length++] = *data++;
      length--;
      if (self->header_length < TLS_RECORD_HEADER_SIZE)
        continue;

      self->header_length = 0;
      self->body_left = ((gsize) self->header[3] << 8) | self->header[4];
      if (self->header[0] == TLS_CHANGE_CIPHER_SPEC)
        self->seen_change_cipher_spec = TRUE;
      else if (self->header[0] == TLS_HANDSHAKE && self->seen_change_cipher_spec &&
               ++self->handshakes_after_change > 1)
        {
          refuse (self, error);
          return FALSE;
        }
    }
  return TRUE;
}

static gssize
ferry_tls_guard_input_read (GInputStream  *stream,
                            void          *buffer,
                            gsize          count,
                            GCancellable  *cancellable,
                            GError       **error)
{
  FerryTlsGuardInput *self = FERRY_TLS_GUARD_INPUT (stream);
  GInputStream *base = g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (stream));
  gssize n;

  if (self->refused)
    {
      refuse (self, error);
      return -1;
    }
  n = g_input_stream_read (base, buffer, count, cancellable, error);
  if (n > 0 && !follow_records (self, buffer, (gsize) n, error))
    return -1;
  return n;
}

static gboolean
ferry_tls_guard_input_can_poll (GPollableInputStream *stream)
{
  GInputStream *base = g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (stream));

  return g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (base));
}

static gboolean
ferry_tls_guard_input_is_readable (GPollableInputStream *stream)
{
  GInputStream *base = g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (stream));

  return g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (base));
}

static GSource *
ferry_tls_guard_input_create_source (GPollableInputStream *stream,
                                     GCancellable         *cancellable)
{
  GInputStream *base = g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (stream));
  g_autoptr(GSource) base_source = NULL;

  base_source = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (base), NULL);
  return g_pollable_source_new_full (stream, base_source, cancellable);
}

static gssize
ferry_tls_guard_input_read_nonblocking (GPollableInputStream  *stream,
                                        void                  *buffer,
                                        gsize                  count,
                                        GError               **error)
{
  FerryTlsGuardInput *self = FERRY_TLS_GUARD_INPUT (stream);
  GInputStream *base = g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (stream));
  gssize n;

  if (self->refused)
    {
      refuse (self, error);
      return -1;
    }
  n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (base), buffer, count,
                                                NULL, error);
  if (n > 0 && !follow_records (self, buffer, (gsize) n, error))
    return -1;
  return n;
}

static void
ferry_tls_guard_input_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = ferry_tls_guard_input_can_poll;
  iface->is_readable = ferry_tls_guard_input_is_readable;
  iface->create_source = ferry_tls_guard_input_create_source;
  iface->read_nonblocking = ferry_tls_guard_input_read_nonblocking;
}

static void
ferry_tls_guard_input_finalize (GObject *object)
{
  FerryTlsGuardInput *self = FERRY_TLS_GUARD_INPUT (object);

  g_free (self->peer);

  G_OBJECT_CLASS (ferry_tls_guard_input_parent_class)->finalize (object);
}

static void
ferry_tls_guard_input_class_init (FerryTlsGuardInputClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ferry_tls_guard_input_finalize;
  G_INPUT_STREAM_CLASS (klass)->read_fn = ferry_tls_guard_input_read;
}

static void
ferry_tls_guard_input_init (FerryTlsGuardInput *self)
{
}

/* The stream: the guarded input, the socket's own output. */

struct _FerryTlsGuard
{
  GIOStream parent_instance;

  /* owned references */
  GSocketConnection *connection;
  GInputStream      *input;
};

G_DEFINE_FINAL_TYPE (FerryTlsGuard, ferry_tls_guard, G_TYPE_IO_STREAM)

static GInputStream *
ferry_tls_guard_get_input_stream (GIOStream *stream)
{
  return FERRY_TLS_GUARD (stream)->input;
}

static GOutputStream *
ferry_tls_guard_get_output_stream (GIOStream *stream)
{
  return g_io_stream_get_output_stream (G_IO_STREAM (FERRY_TLS_GUARD (stream)->connection));
}

static gboolean
ferry_tls_guard_close (GIOStream     *stream,
                       GCancellable  *cancellable,
                       GError       **error)
{
  return g_io_stream_close (G_IO_STREAM (FERRY_TLS_GUARD (stream)->connection), cancellable,
                            error);
}

static void
close_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (g_io_stream_close_finish (G_IO_STREAM (object), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
ferry_tls_guard_close_async (GIOStream           *stream,
                             int                  io_priority,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task = g_task_new (stream, cancellable, callback, user_data);

  g_task_set_source_tag (task, ferry_tls_guard_close_async);
  g_io_stream_close_async (G_IO_STREAM (FERRY_TLS_GUARD (stream)->connection), io_priority,
                           cancellable, close_cb, task);
}

static gboolean
ferry_tls_guard_close_finish (GIOStream     *stream,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, stream), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
ferry_tls_guard_finalize (GObject *object)
{
  FerryTlsGuard *self = FERRY_TLS_GUARD (object);

  g_clear_object (&self->input);
  g_clear_object (&self->connection);

  G_OBJECT_CLASS (ferry_tls_guard_parent_class)->finalize (object);
}

static void
ferry_tls_guard_class_init (FerryTlsGuardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  object_class->finalize = ferry_tls_guard_finalize;
  stream_class->get_input_stream = ferry_tls_guard_get_input_stream;
  stream_class->get_output_stream = ferry_tls_guard_get_output_stream;
  stream_class->close_fn = ferry_tls_guard_close;
  stream_class->close_async = ferry_tls_guard_close_async;
  stream_class->close_finish = ferry_tls_guard_close_finish;
}

static void
ferry_tls_guard_init (FerryTlsGuard *self)
{
}

static char *
describe_peer (GSocketConnection *connection)
{
  g_autoptr(GSocketAddress) address = g_socket_connection_get_remote_address (connection, NULL);

  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return g_strdup ("(unknown)");
  return g_inet_address_to_string (
    g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
}

GIOStream *
ferry_tls_guard_new (GSocketConnection *connection)
{
  FerryTlsGuard *self;
  FerryTlsGuardInput *input;

  g_return_val_if_fail (G_IS_SOCKET_CONNECTION (connection), NULL);

  input = g_object_new (FERRY_TYPE_TLS_GUARD_INPUT,
                        "base-stream", g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                        "close-base-stream", FALSE,
                        NULL);
  input->peer = describe_peer (connection);

  self = g_object_new (FERRY_TYPE_TLS_GUARD, NULL);
  self->connection = g_object_ref (connection);
  self->input = G_INPUT_STREAM (input);
  return G_IO_STREAM (self);
}

GSocketConnection *
ferry_tls_guard_get_connection (FerryTlsGuard *self)
{
  g_return_val_if_fail (FERRY_IS_TLS_GUARD (self), NULL);
  return self->connection;
}
