/* ferry-server.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-server"

#include "config.h"

#include "ferry-server.h"

#include <errno.h>
#include <sys/socket.h>
#include <glib/gi18n.h>

#include "ferry-auth.h"
#include "ferry-error.h"
#include "ferry-hub.h"
#include "ferry-session.h"
#include "ferry-store.h"

/* Connections over the limit still get a polite ERROR(BUSY) after their HELLO, but only this
 * many at a time; beyond that they are closed at once. */
#define MAX_REFUSING        16
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
  GHashTable       *sessions;        /* FerrySession -> Slot */
  GHashTable       *handshakes;      /* Handshake, TLS handshakes in progress */
  GHashTable       *per_address;     /* IP address -> GUINT_TO_POINTER (active connections) */
  GHashTable       *expiring;        /* ids being removed by expiry */
  GTask            *stop_task;

  guint64           max_file_size;
  guint64           expire_seconds;
  guint             max_connections;
  guint             max_per_address;
  guint             n_active;
  guint             n_refusing;
  guint             expire_id;
  guint             stop_id;
  gint64            stop_deadline;
};

G_DEFINE_FINAL_TYPE (FerryServer, ferry_server, G_TYPE_OBJECT)

/* What one accepted connection counts against the limits. */
typedef struct
{
  char     *address;
  gboolean  refusing;
} Slot;

static void
slot_free (Slot *slot)
{
  g_free (slot->address);
  g_free (slot);
}

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
  g_clear_pointer (&self->handshakes, g_hash_table_unref);
  g_clear_pointer (&self->per_address, g_hash_table_unref);
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
  self->sessions = g_hash_table_new_full (g_direct_hash, g_direct_equal, g_object_unref,
                                          (GDestroyNotify) slot_free);
  self->handshakes = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->per_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->expiring = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->hub = ferry_hub_new ();
}

FerryServer *
ferry_server_new (const char  *data_dir,
                  GError     **error)
{
  g_autoptr(FerryServer) self = NULL;
  g_autoptr(GPtrArray) rows = NULL;

  g_return_val_if_fail (data_dir != NULL, NULL);

  self = g_object_new (FERRY_TYPE_SERVER, NULL);
  self->store = ferry_store_new (data_dir, error);
  if (!self->store)
    return NULL;
  rows = ferry_store_reconcile (self->store, error);
  if (!rows)
    return NULL;
  ferry_hub_load (self->hub, rows);
  g_message ("Serving %u offer(s) from %s", rows->len, data_dir);

  return g_steal_pointer (&self);
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
}

void
ferry_server_set_max_connections_per_address (FerryServer *self,
                                              guint        max_connections)
{
  g_return_if_fail (FERRY_IS_SERVER (self));
  self->max_per_address = max_connections;
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
 * Every accepted connection takes a Slot at once, before its TLS handshake, so that the limits
 * also bound connections that never finish their handshake. */

static Slot *
slot_take (FerryServer *self,
           const char  *address,
           gboolean     refusing)
{
  Slot *slot = g_new0 (Slot, 1);

  slot->address = g_strdup (address);
  slot->refusing = refusing;
  if (refusing)
    self->n_refusing++;
  else
    {
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_address, address));

      self->n_active++;
      g_hash_table_insert (self->per_address, g_strdup (address), GUINT_TO_POINTER (n + 1));
    }
  return slot;
}

static void
slot_release (FerryServer *self,
              Slot        *slot)
{
  if (slot->refusing)
    self->n_refusing--;
  else
    {
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_address, slot->address));

      self->n_active--;
      if (n <= 1)
        g_hash_table_remove (self->per_address, slot->address);
      else
        g_hash_table_insert (self->per_address, g_strdup (slot->address),
                             GUINT_TO_POINTER (n - 1));
    }
}

static void
session_finished_cb (FerrySession *session,
                     FerryServer  *self)
{
  Slot *slot;

  if (!(slot = g_hash_table_lookup (self->sessions, session)))
    return;
  slot_release (self, slot);
  g_signal_handlers_disconnect_by_data (session, self);
  g_hash_table_remove (self->sessions, session);
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
start_session (FerryServer *self,
               GIOStream   *stream,
               Slot        *slot,
               gint64       hello_deadline)
{
  g_autoptr(FerrySession) session = NULL;
  FerrySessionConfig config = { 0 };

  config.max_file_size = self->max_file_size;
  config.expire_seconds = self->expire_seconds;
  config.busy = slot->refusing;
  config.auth = self->auth;
  config.hello_deadline = hello_deadline;

  session = ferry_session_new (stream, self->store, self->hub, &config);
  g_signal_connect (session, "finished", G_CALLBACK (session_finished_cb), self);
  g_hash_table_insert (self->sessions, g_object_ref (session), slot);
  ferry_session_start (session);
}

/* TLS handshakes.
 *
 * glib-networking runs each handshake in a worker thread that blocks on the socket, so a peer
 * that trickles its ClientHello would hold a thread of GIO's shared pool for the whole
 * deadline, and a few dozen of them would starve everyone else's handshakes. The first TLS
 * record is therefore awaited on the main loop (with SO_RCVLOWAT, so that poll wakes up only
 * once it is complete), and only then is the handshake started. A peer that does not start
 * with a TLS handshake record, such as a plaintext Ferry client, is closed at once. */

#define TLS_RECORD_HEADER_SIZE  5
#define TLS_CONTENT_HANDSHAKE   0x16
#define TLS_RECORD_MAX          (16384 + 2048)

typedef struct
{
  FerryServer       *server;
  GSocketConnection *connection;
  GIOStream         *tls;            /* once the first record is in */
  GSource           *wait_source;    /* until then */
  GCancellable      *cancellable;
  Slot              *slot;
  gint64             deadline;
  guint              timeout_id;
  gboolean           timed_out;
} Handshake;

static void
handshake_free (Handshake *handshake)
{
  g_clear_handle_id (&handshake->timeout_id, g_source_remove);
  if (handshake->wait_source)
    {
      g_source_destroy (handshake->wait_source);
      g_clear_pointer (&handshake->wait_source, g_source_unref);
    }
  g_clear_object (&handshake->server);
  g_clear_object (&handshake->connection);
  g_clear_object (&handshake->tls);
  g_clear_object (&handshake->cancellable);
  g_clear_pointer (&handshake->slot, slot_free);
  g_free (handshake);
}

/* Closes the connection and frees @handshake. Peers that merely go away are logged at debug
 * level only: clients do that when they refuse an untrusted fingerprint. */
static void
handshake_fail (Handshake      *handshake,
                GLogLevelFlags  level,
                const char     *reason)
{
  FerryServer *self = handshake->server;

  g_log (G_LOG_DOMAIN, level, "%s: %s; closing", handshake->slot->address, reason);
  g_hash_table_remove (self->handshakes, handshake);
  /* No close_notify follows a failed handshake: either way this only closes the socket. */
  drop_connection (handshake->tls ? handshake->tls : G_IO_STREAM (handshake->connection));
  slot_release (self, handshake->slot);
  handshake_free (handshake);
}

static gboolean
handshake_timeout_cb (gpointer user_data)
{
  Handshake *handshake = user_data;

  handshake->timeout_id = 0;
  handshake->timed_out = TRUE;
  if (handshake->wait_source)
    handshake_fail (handshake, G_LOG_LEVEL_MESSAGE, "no TLS handshake within the deadline");
  else
    g_cancellable_cancel (handshake->cancellable);   /* handshake_cb fails it */
  return G_SOURCE_REMOVE;
}

/* At shutdown. */
static void
handshake_abort (Handshake *handshake)
{
  if (handshake->wait_source)
    handshake_fail (handshake, G_LOG_LEVEL_DEBUG, "server stopping");
  else
    g_cancellable_cancel (handshake->cancellable);
}

static void
handshake_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Handshake *handshake = user_data;
  g_autoptr(GError) error = NULL;

  g_clear_handle_id (&handshake->timeout_id, g_source_remove);

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (object), result, &error))
    {
      g_autofree char *reason = NULL;

      if (handshake->timed_out)
        handshake_fail (handshake, G_LOG_LEVEL_MESSAGE, "no TLS handshake within the deadline");
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        handshake_fail (handshake, G_LOG_LEVEL_DEBUG, "server stopping");
      else
        {
          reason = g_strdup_printf ("TLS handshake failed (%s)", error->message);
          handshake_fail (handshake, G_LOG_LEVEL_DEBUG, reason);
        }
      return;
    }
  if (handshake->server->stop_task)
    {
      handshake_fail (handshake, G_LOG_LEVEL_DEBUG, "server stopping");
      return;
    }

  g_debug ("%s: TLS handshake done", handshake->slot->address);
  g_hash_table_remove (handshake->server->handshakes, handshake);
  start_session (handshake->server, handshake->tls, g_steal_pointer (&handshake->slot),
                 handshake->deadline);
  handshake_free (handshake);
}

static void
begin_tls (Handshake *handshake)
{
  FerryServer *self = handshake->server;
  g_autoptr(GError) error = NULL;

  handshake->tls = g_tls_server_connection_new (G_IO_STREAM (handshake->connection),
                                                self->certificate, &error);
  if (!handshake->tls)
    {
      g_warning ("Could not set up TLS (is glib-networking installed?): %s", error->message);
      handshake_fail (handshake, G_LOG_LEVEL_DEBUG, "no TLS");
      return;
    }
  /* Frames carry their own lengths: a peer that just closes has closed. */
  g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (handshake->tls), FALSE);
  /* Clients are not asked for certificates, so the system's CA list is not needed; without
   * this, glib-networking loads it into every connection, megabytes each. */
  g_object_set (handshake->tls, "authentication-mode", G_TLS_AUTHENTICATION_NONE, NULL);
  g_tls_connection_set_database (G_TLS_CONNECTION (handshake->tls), NULL);

  g_tls_connection_handshake_async (G_TLS_CONNECTION (handshake->tls), G_PRIORITY_DEFAULT,
                                    handshake->cancellable, handshake_cb, handshake);
}

static void
set_receive_low_water (GSocket *socket,
                       int      bytes)
{
  g_autoptr(GError) error = NULL;

  if (!g_socket_set_option (socket, SOL_SOCKET, SO_RCVLOWAT, bytes, &error))
    g_debug ("Could not set SO_RCVLOWAT: %s", error->message);
}

static gboolean
first_record_cb (GSocket      *socket,
                 GIOCondition  condition,
                 gpointer      user_data)
{
  Handshake *handshake = user_data;
  guint8 header[TLS_RECORD_HEADER_SIZE];
  gssize n;
  gssize available;
  gsize need;

  n = recv (g_socket_get_fd (socket), header, sizeof header, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return G_SOURCE_CONTINUE;
  if (n <= 0)
    {
      handshake_fail (handshake, G_LOG_LEVEL_DEBUG, "closed before its TLS handshake");
      return G_SOURCE_REMOVE;   /* handshake_fail destroyed the source */
    }
  if (header[0] != TLS_CONTENT_HANDSHAKE || (n >= 2 && header[1] != 3))
    {
      handshake_fail (handshake, G_LOG_LEVEL_MESSAGE,
                      "not a TLS client (a client started with --no-tls?)");
      return G_SOURCE_REMOVE;
    }
  if (n < TLS_RECORD_HEADER_SIZE)
    {
      set_receive_low_water (socket, TLS_RECORD_HEADER_SIZE);
      return G_SOURCE_CONTINUE;
    }

  need = TLS_RECORD_HEADER_SIZE + (((gsize) header[3] << 8) | header[4]);
  if (need > TLS_RECORD_HEADER_SIZE + TLS_RECORD_MAX)
    {
      handshake_fail (handshake, G_LOG_LEVEL_MESSAGE, "not a TLS client (oversized record)");
      return G_SOURCE_REMOVE;
    }
  available = g_socket_get_available_bytes (socket);
  if (available >= 0 && (gsize) available < need)
    {
      set_receive_low_water (socket, (int) need);
      return G_SOURCE_CONTINUE;
    }

  set_receive_low_water (socket, 1);
  g_source_destroy (handshake->wait_source);
  g_clear_pointer (&handshake->wait_source, g_source_unref);
  begin_tls (handshake);
  return G_SOURCE_REMOVE;
}

static void
start_handshake (FerryServer       *self,
                 GSocketConnection *connection,
                 Slot              *slot,
                 gint64             deadline)
{
  Handshake *handshake;

  handshake = g_new0 (Handshake, 1);
  handshake->server = g_object_ref (self);
  handshake->connection = g_object_ref (connection);
  handshake->cancellable = g_cancellable_new ();
  handshake->slot = slot;
  handshake->deadline = deadline;
  handshake->timeout_id = g_timeout_add (HANDSHAKE_TIMEOUT_S * 1000, handshake_timeout_cb,
                                         handshake);
  g_hash_table_add (self->handshakes, handshake);

  handshake->wait_source = g_socket_create_source (g_socket_connection_get_socket (connection),
                                                   G_IO_IN, NULL);
  g_source_set_callback (handshake->wait_source, G_SOURCE_FUNC (first_record_cb), handshake,
                         NULL);
  g_source_attach (handshake->wait_source, NULL);
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
  gboolean refusing = FALSE;
  guint from_address;
  Slot *slot;

  if (self->stop_task)
    {
      drop_connection (G_IO_STREAM (connection));
      return TRUE;
    }

  address = dup_remote_address (connection);
  from_address = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_address, address));

  if (self->n_active >= self->max_connections || from_address >= self->max_per_address)
    {
      if (self->n_refusing >= MAX_REFUSING)
        {
          g_debug ("Dropping a connection from %s: too many connections", address);
          drop_connection (G_IO_STREAM (connection));
          return TRUE;
        }
      refusing = TRUE;
      if (from_address >= self->max_per_address)
        g_message ("Refusing %s: %u connections from that address already",
                   address, from_address);
      else
        g_message ("Refusing %s: %u connections already", address, self->n_active);
    }

  slot = slot_take (self, address, refusing);
  if (self->certificate)
    start_handshake (self, connection, slot, deadline);
  else
    start_session (self, G_IO_STREAM (connection), slot, deadline);

  return TRUE;
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
       g_hash_table_size (self->expiring) > 0 || g_hash_table_size (self->handshakes) > 0) &&
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
  g_autoptr(GList) handshakes = NULL;

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

  /* handshake_abort may free a handshake and remove it from the table: copy the table. */
  handshakes = g_hash_table_get_keys (self->handshakes);
  for (GList *l = handshakes; l; l = l->next)
    handshake_abort (l->data);

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
