/* ferry-server.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-server"

#include "config.h"

#include "ferry-server.h"

#include <sys/resource.h>
#include <glib/gi18n.h>

#include "ferry-admission.h"
#include "ferry-auth.h"
#include "ferry-error.h"
#include "ferry-hub.h"
#include "ferry-session.h"
#include "ferry-store.h"
#include "ferry-tls-acceptor.h"

/* The TLS handshake and HELLO together must be done within this (PROTOCOL.md §8). */
#define HANDSHAKE_TIMEOUT_S 10
#define STOP_POLL_MS        20
#define STOP_DEADLINE_S     10

struct _FerryServer
{
  GObject parent_instance;

  /* owned references */
  FerryStore       *store;
  FerryHub         *hub;
  GSocketService   *service;
  GTlsCertificate  *certificate;     /* NULL: plain TCP */
  FerryAuth        *auth;            /* NULL: no password */
  FerryAdmission   *admission;
  FerryTlsAcceptor *acceptor;        /* NULL: plain TCP */
  GHashTable       *sessions;        /* FerrySession -> FerrySlot */
  GHashTable       *expiring;        /* ids being removed by expiry */
  GTask            *stop_task;

  guint64           max_file_size;
  guint64           expire_seconds;
  guint             max_connections;
  guint             max_per_address;
  guint             expire_id;
  guint             stop_id;
  gint64            stop_deadline;
};

G_DEFINE_FINAL_TYPE (FerryServer, ferry_server, G_TYPE_OBJECT)

static void
ferry_server_dispose (GObject *object)
{
  FerryServer *self = FERRY_SERVER (object);

  g_clear_handle_id (&self->expire_id, g_source_remove);
  g_clear_handle_id (&self->stop_id, g_source_remove);
  if (self->service)
    {
      g_socket_service_stop (self->service);
      g_socket_listener_close (G_SOCKET_LISTENER (self->service));
      g_signal_handlers_disconnect_by_data (self->service, self);
    }
  if (self->sessions)
    {
      GHashTableIter iter;
      gpointer session;

      g_hash_table_iter_init (&iter, self->sessions);
      while (g_hash_table_iter_next (&iter, &session, NULL))
        g_signal_handlers_disconnect_by_data (session, self);
    }
  g_clear_pointer (&self->sessions, g_hash_table_unref);
  if (self->acceptor)
    ferry_tls_acceptor_abort (self->acceptor);
  g_clear_object (&self->acceptor);
  g_clear_object (&self->service);
  g_clear_object (&self->certificate);
  g_clear_object (&self->auth);

  G_OBJECT_CLASS (ferry_server_parent_class)->dispose (object);
}

static void
ferry_server_finalize (GObject *object)
{
  FerryServer *self = FERRY_SERVER (object);

  g_clear_object (&self->store);
  g_clear_object (&self->hub);
  g_clear_pointer (&self->expiring, g_hash_table_unref);
  g_clear_object (&self->admission);
  g_clear_object (&self->stop_task);

  G_OBJECT_CLASS (ferry_server_parent_class)->finalize (object);
}

static void
ferry_server_class_init (FerryServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_server_dispose;
  object_class->finalize = ferry_server_finalize;
}

static void
ferry_server_init (FerryServer *self)
{
  self->max_file_size = G_GUINT64_CONSTANT (4) * 1024 * 1024 * 1024;
  self->max_connections = 64;
  self->max_per_address = 16;
  self->sessions = g_hash_table_new_full (g_direct_hash, g_direct_equal, g_object_unref, NULL);
  self->admission = ferry_admission_new ();
  self->expiring = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->hub = ferry_hub_new ();
}

FerryServer *
ferry_server_new_for_store (FerryStore  *store,
                            GError     **error)
{
  g_autoptr(FerryServer) self = NULL;
  g_autoptr(GPtrArray) rows = NULL;

  g_return_val_if_fail (FERRY_IS_STORE (store), NULL);

  self = g_object_new (FERRY_TYPE_SERVER, NULL);
  self->store = g_object_ref (store);
  rows = ferry_store_reconcile (self->store, error);
  if (!rows)
    return NULL;
  ferry_hub_load (self->hub, rows);
  g_message ("Serving %u offer(s)", rows->len);

  return g_steal_pointer (&self);
}

FerryServer *
ferry_server_new (const char  *data_dir,
                  GError     **error)
{
  g_autoptr(FerryStore) store = NULL;

  g_return_val_if_fail (data_dir != NULL, NULL);

  store = ferry_store_new (data_dir, error);
  if (!store)
    return NULL;
  g_message ("Data directory %s", data_dir);
  return ferry_server_new_for_store (store, error);
}

void
ferry_server_set_max_file_size (FerryServer *self,
                                guint64      max_file_size)
{
  g_return_if_fail (FERRY_IS_SERVER (self));
  self->max_file_size = max_file_size;
}

void
ferry_server_set_quota (FerryServer *self,
                        guint64      quota)
{
  g_return_if_fail (FERRY_IS_SERVER (self));
  ferry_store_set_quota (self->store, quota);
}

void
ferry_server_set_max_connections (FerryServer *self,
                                  guint        max_connections)
{
  g_return_if_fail (FERRY_IS_SERVER (self));
  self->max_connections = max_connections;
  ferry_admission_set_max_active (self->admission, self->max_connections,
                                  self->max_per_address);
}

void
ferry_server_set_max_connections_per_address (FerryServer *self,
                                              guint        max_connections)
{
  g_return_if_fail (FERRY_IS_SERVER (self));
  self->max_per_address = max_connections;
  ferry_admission_set_max_active (self->admission, self->max_connections,
                                  self->max_per_address);
}

void
ferry_server_set_certificate (FerryServer     *self,
                              GTlsCertificate *certificate)
{
  g_return_if_fail (FERRY_IS_SERVER (self));
  g_return_if_fail (!certificate || G_IS_TLS_CERTIFICATE (certificate));
  g_set_object (&self->certificate, certificate);
}

void
ferry_server_set_password (FerryServer *self,
                           const char  *password)
{
  g_return_if_fail (FERRY_IS_SERVER (self));
  g_clear_object (&self->auth);
  if (password && *password)
    self->auth = ferry_auth_new (password);
}

/* Expiry. */

typedef struct
{
  FerryServer *server;
  char        *id;
} ExpireData;

static void
expire_removed_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  ExpireData *data = user_data;
  FerryServer *self = data->server;
  g_autoptr(GError) error = NULL;

  if (ferry_store_remove_finish (FERRY_STORE (object), result, &error))
    {
      g_message ("Offer %s expired", data->id);
      ferry_hub_publish_deleted (self->hub, data->id);
    }
  else if (g_error_matches (error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND))
    ferry_hub_publish_deleted (self->hub, data->id);
  else
    g_warning ("Could not remove the expired offer %s: %s", data->id, error->message);

  g_hash_table_remove (self->expiring, data->id);
  g_object_unref (data->server);
  g_free (data->id);
  g_free (data);
}

static gboolean
expire_cb (gpointer user_data)
{
  FerryServer *self = user_data;
  g_autoptr(GPtrArray) offers = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (self->stop_task)
    return G_SOURCE_CONTINUE;

  offers = ferry_hub_dup_offers (self->hub);
  for (guint i = 0; i < offers->len; i++)
    {
      FerryCatalogueRow *row = g_ptr_array_index (offers, i);
      ExpireData *data;

      if (row->created > now - (gint64) self->expire_seconds)
        break;   /* oldest first: the rest are younger */
      if (g_hash_table_contains (self->expiring, row->id))
        continue;

      g_hash_table_add (self->expiring, g_strdup (row->id));
      data = g_new0 (ExpireData, 1);
      data->server = g_object_ref (self);
      data->id = g_strdup (row->id);
      ferry_store_remove_async (self->store, row->id, row->size, NULL,
                                expire_removed_cb, data);
    }
  return G_SOURCE_CONTINUE;
}

static void
expire_once_cb (gpointer user_data)
{
  expire_cb (user_data);
}

void
ferry_server_set_expire (FerryServer *self,
                         guint64      seconds)
{
  guint interval;

  g_return_if_fail (FERRY_IS_SERVER (self));

  self->expire_seconds = MIN (seconds, (guint64) G_MAXINT32);
  g_clear_handle_id (&self->expire_id, g_source_remove);
  if (self->expire_seconds == 0)
    return;

  interval = (guint) CLAMP (self->expire_seconds / 4, 1, 60);
  self->expire_id = g_timeout_add_seconds (interval, expire_cb, self);
  g_idle_add_once (expire_once_cb, self);
}

/* Connections.
 *
 * Every accepted connection takes a slot from the admission at once, before its TLS handshake,
 * so that the limits also bound connections that never finish their handshake; its HELLO
 * makes it active, or is answered BUSY (ferry-admission.c). */

static void
session_finished_cb (FerrySession *session,
                     FerryServer  *self)
{
  FerrySlot *slot;

  if (!(slot = g_hash_table_lookup (self->sessions, session)))
    return;
  ferry_admission_release (self->admission, slot);
  g_signal_handlers_disconnect_by_data (session, self);
  g_hash_table_remove (self->sessions, session);
}

/* FerrySessionAdmitFunc */
static gboolean
admit_session (FerrySession *session,
               gpointer      user_data)
{
  FerryServer *self = user_data;
  FerrySlot *slot = g_hash_table_lookup (self->sessions, session);

  return slot && ferry_admission_admit (self->admission, slot);
}

/* FerrySlotEvictFunc, for a session still waiting for its HELLO. */
static void
evict_session (gpointer owner)
{
  g_debug ("%s: dropped before its HELLO to make room for others",
           ferry_session_get_peer (owner));
  ferry_session_drop (owner);
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

/* Hands @stream, ready for frames, to a new session that owns @slot. */
static void
start_session (GIOStream *stream,
               FerrySlot *slot,
               gint64     hello_deadline,
               gpointer   user_data)
{
  FerryServer *self = user_data;
  g_autoptr(FerrySession) session = NULL;
  FerrySessionConfig config = { 0 };

  if (self->stop_task)
    {
      ferry_admission_release (self->admission, slot);
      drop_connection (stream);
      return;
    }

  config.max_file_size = self->max_file_size;
  config.expire_seconds = self->expire_seconds;
  config.admit = admit_session;
  config.admit_data = self;
  config.auth = self->auth;
  config.hello_deadline = hello_deadline;

  session = ferry_session_new (stream, self->store, self->hub, &config);
  g_signal_connect (session, "finished", G_CALLBACK (session_finished_cb), self);
  g_hash_table_insert (self->sessions, g_object_ref (session), slot);
  ferry_admission_set_owner (slot, evict_session, session);
  ferry_session_start (session);
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
             FerryServer       *self)
{
  g_autofree char *address = NULL;
  gint64 deadline = g_get_monotonic_time () + HANDSHAKE_TIMEOUT_S * G_USEC_PER_SEC;
  FerrySlot *slot;

  if (self->stop_task)
    {
      drop_connection (G_IO_STREAM (connection));
      return TRUE;
    }

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
    start_session (G_IO_STREAM (connection), slot, deadline, self);

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
ferry_server_listen (FerryServer   *self,
                     GInetAddress  *address,
                     guint16        port,
                     guint16       *bound_port,
                     GError       **error)
{
  g_autoptr(GSocketAddress) requested = NULL;
  g_autoptr(GSocketAddress) effective = NULL;

  g_return_val_if_fail (FERRY_IS_SERVER (self), FALSE);
  g_return_val_if_fail (G_IS_INET_ADDRESS (address), FALSE);
  g_return_val_if_fail (self->service == NULL, FALSE);

  self->service = g_socket_service_new ();
  g_socket_listener_set_backlog (G_SOCKET_LISTENER (self->service), 128);
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
                                             start_session, self);
  raise_open_files_limit ();

  g_signal_connect (self->service, "incoming", G_CALLBACK (incoming_cb), self);
  g_socket_service_start (self->service);

  if (bound_port)
    *bound_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  return TRUE;
}

/* Stopping. */

static gboolean
stop_poll_cb (gpointer user_data)
{
  FerryServer *self = user_data;
  g_autoptr(GTask) task = NULL;

  if ((g_hash_table_size (self->sessions) > 0 || ferry_store_is_busy (self->store) ||
       g_hash_table_size (self->expiring) > 0 ||
       (self->acceptor && ferry_tls_acceptor_get_n_handshakes (self->acceptor) > 0)) &&
      g_get_monotonic_time () < self->stop_deadline)
    return G_SOURCE_CONTINUE;

  self->stop_id = 0;
  if (g_hash_table_size (self->sessions) > 0 || ferry_store_is_busy (self->store))
    g_warning ("Stopping with %u connection(s) still closing",
               g_hash_table_size (self->sessions));

  ferry_store_close (self->store);
  g_message ("Stopped");

  task = g_steal_pointer (&self->stop_task);
  g_task_return_boolean (task, TRUE);
  return G_SOURCE_REMOVE;
}

void
ferry_server_stop_async (FerryServer         *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GPtrArray) sessions = NULL;
  GHashTableIter iter;
  gpointer session;

  g_return_if_fail (FERRY_IS_SERVER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_server_stop_async);

  if (self->stop_task)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               _("The server is already stopping."));
      return;
    }
  self->stop_task = g_steal_pointer (&task);

  g_clear_handle_id (&self->expire_id, g_source_remove);
  if (self->service)
    {
      g_socket_service_stop (self->service);
      g_socket_listener_close (G_SOCKET_LISTENER (self->service));
    }

  sessions = g_ptr_array_new_with_free_func (g_object_unref);
  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, &session, NULL))
    g_ptr_array_add (sessions, g_object_ref (session));
  g_message ("Stopping: closing %u connection(s)", sessions->len);
  for (guint i = 0; i < sessions->len; i++)
    ferry_session_abort (g_ptr_array_index (sessions, i));

  if (self->acceptor)
    ferry_tls_acceptor_abort (self->acceptor);

  self->stop_deadline = g_get_monotonic_time () + STOP_DEADLINE_S * G_USEC_PER_SEC;
  self->stop_id = g_timeout_add (STOP_POLL_MS, stop_poll_cb, self);
}

gboolean
ferry_server_stop_finish (FerryServer   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
