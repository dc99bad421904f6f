/* ferry-listener.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The listener is where a connection waits until it is worth a session: it accepts the
 * socket, takes a slot for it from the admission at once, before its TLS handshake, so that
 * the limits also bound connections that never finish their handshake (ferry-admission.c),
 * and has the TLS acceptor peek at the first record and run the handshake
 * (ferry-tls-acceptor.c). Then it hands the ready stream and its slot to the server, whose
 * session asks ferry_listener_admit () at HELLO.
 */
#define G_LOG_DOMAIN "ferry-listener"

#include "config.h"

#include "ferry-listener.h"

#include <sys/resource.h>

#include "ferry-limits.h"
#include "ferry-socket.h"
#include "ferry-tls-acceptor.h"

struct _FerryListener
{
  GObject parent_instance;

  /* owned references */
  GSocketService         *service;
  GTlsCertificate        *certificate;   /* NULL: plain TCP */
  FerryAdmission         *admission;
  FerryTlsAcceptor       *acceptor;      /* NULL: plain TCP */

  FerryListenerReadyFunc  ready;
  gpointer                ready_data;
  gboolean                closed;
};

G_DEFINE_FINAL_TYPE (FerryListener, ferry_listener, G_TYPE_OBJECT)

static void
stop_accepting (FerryListener *self)
{
  self->closed = TRUE;
  if (!self->service)
    return;
  g_socket_service_stop (self->service);
  g_socket_listener_close (G_SOCKET_LISTENER (self->service));
  g_signal_handlers_disconnect_by_data (self->service, self);
}

static void
ferry_listener_dispose (GObject *object)
{
  FerryListener *self = FERRY_LISTENER (object);

  stop_accepting (self);
  if (self->acceptor)
    ferry_tls_acceptor_abort (self->acceptor);
  g_clear_object (&self->acceptor);
  g_clear_object (&self->service);
  g_clear_object (&self->certificate);

  G_OBJECT_CLASS (ferry_listener_parent_class)->dispose (object);
}

static void
ferry_listener_finalize (GObject *object)
{
  FerryListener *self = FERRY_LISTENER (object);

  g_clear_object (&self->admission);

  G_OBJECT_CLASS (ferry_listener_parent_class)->finalize (object);
}

static void
ferry_listener_class_init (FerryListenerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_listener_dispose;
  object_class->finalize = ferry_listener_finalize;
}

static void
ferry_listener_init (FerryListener *self)
{
  self->admission = ferry_admission_new ();
}

FerryListener *
ferry_listener_new (FerryListenerReadyFunc ready,
                    gpointer               user_data)
{
  FerryListener *self;

  g_return_val_if_fail (ready != NULL, NULL);

  self = g_object_new (FERRY_TYPE_LISTENER, NULL);
  self->ready = ready;
  self->ready_data = user_data;
  return self;
}

void
ferry_listener_set_certificate (FerryListener   *self,
                                GTlsCertificate *certificate)
{
  g_return_if_fail (FERRY_IS_LISTENER (self));
  g_return_if_fail (!certificate || G_IS_TLS_CERTIFICATE (certificate));
  g_return_if_fail (self->service == NULL);

  g_set_object (&self->certificate, certificate);
}

void
ferry_listener_set_limits (FerryListener *self,
                           guint          max_connections,
                           guint          max_per_address)
{
  g_return_if_fail (FERRY_IS_LISTENER (self));
  ferry_admission_set_max_active (self->admission, max_connections, max_per_address);
}

gboolean
ferry_listener_admit (FerryListener *self,
                      FerrySlot     *slot)
{
  g_return_val_if_fail (FERRY_IS_LISTENER (self), FALSE);
  g_return_val_if_fail (slot != NULL, FALSE);
  return ferry_admission_admit (self->admission, slot);
}

void
ferry_listener_release (FerryListener *self,
                        FerrySlot     *slot)
{
  g_return_if_fail (FERRY_IS_LISTENER (self));
  g_return_if_fail (slot != NULL);
  ferry_admission_release (self->admission, slot);
}

static void
drop_connection_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_io_stream_close_finish (G_IO_STREAM (object), result, NULL);
}

static void
drop_connection (GIOStream *stream)
{
  g_io_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, drop_connection_cb, NULL);
}

/* FerryTlsAcceptedFunc */
static void
handshake_done (GIOStream *stream,
                FerrySlot *slot,
                gint64     deadline,
                gpointer   user_data)
{
  FerryListener *self = user_data;

  if (self->closed)
    {
      ferry_admission_release (self->admission, slot);
      drop_connection (stream);
      return;
    }
  self->ready (self, stream, slot, deadline, self->ready_data);
}

static char *
dup_remote_address (GSocketConnection *connection)
{
  g_autoptr(GSocketAddress) address = g_socket_connection_get_remote_address (connection, NULL);

  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return g_strdup ("(unknown)");
  return g_inet_address_to_string (
    g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
}

static gboolean
incoming_cb (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             FerryListener     *self)
{
  g_autofree char *address = NULL;
  gint64 deadline = g_get_monotonic_time () + FERRY_HANDSHAKE_TIMEOUT_S * G_USEC_PER_SEC;
  FerrySlot *slot;

  if (self->closed)
    {
      drop_connection (G_IO_STREAM (connection));
      return TRUE;
    }

  /* Before the TLS handshake, whose flights Nagle would otherwise hold for a delayed ACK. */
  ferry_socket_set_nodelay (connection);
  address = dup_remote_address (connection);
  slot = ferry_admission_take (self->admission, address);
  if (!slot)
    {
      drop_connection (G_IO_STREAM (connection));
      return TRUE;
    }

  if (self->acceptor)
    ferry_tls_acceptor_add (self->acceptor, connection, slot, deadline);
  else
    self->ready (self, G_IO_STREAM (connection), slot, deadline, self->ready_data);

  return TRUE;
}

/* Pending connections may outnumber active ones several times (ferry-admission.c): make sure
 * the soft limit on open files is not what refuses them. */
static void
raise_open_files_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
        g_debug ("Could not raise the limit on open files");
    }
}

gboolean
ferry_listener_listen (FerryListener  *self,
                       GInetAddress   *address,
                       guint16         port,
                       guint16        *bound_port,
                       GError        **error)
{
  g_autoptr(GSocketAddress) requested = NULL;
  g_autoptr(GSocketAddress) effective = NULL;

  g_return_val_if_fail (FERRY_IS_LISTENER (self), FALSE);
  g_return_val_if_fail (G_IS_INET_ADDRESS (address), FALSE);
  g_return_val_if_fail (self->service == NULL, FALSE);

  self->service = g_socket_service_new ();
  g_socket_listener_set_backlog (G_SOCKET_LISTENER (self->service), FERRY_LISTEN_BACKLOG);
  requested = g_inet_socket_address_new (address, port);
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), requested,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                      NULL, &effective, error))
    {
      g_clear_object (&self->service);
      return FALSE;
    }

  if (self->certificate)
    self->acceptor = ferry_tls_acceptor_new (self->certificate, self->admission,
                                             handshake_done, self);
  raise_open_files_limit ();

  g_signal_connect (self->service, "incoming", G_CALLBACK (incoming_cb), self);
  g_socket_service_start (self->service);

  if (bound_port)
    *bound_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  return TRUE;
}

static void
acceptor_closed_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  ferry_tls_acceptor_close_finish (FERRY_TLS_ACCEPTOR (object), result, NULL);
  g_task_return_boolean (task, TRUE);
}

void
ferry_listener_close_async (FerryListener       *self,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FERRY_IS_LISTENER (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, ferry_listener_close_async);

  stop_accepting (self);
  if (self->acceptor)
    ferry_tls_acceptor_close_async (self->acceptor, acceptor_closed_cb, g_steal_pointer (&task));
  else
    g_task_return_boolean (task, TRUE);
}

gboolean
ferry_listener_close_finish (FerryListener  *self,
                             GAsyncResult   *result,
                             GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
