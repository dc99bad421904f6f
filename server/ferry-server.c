/* ferry-server.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-server"

#include "config.h"

#include "ferry-server.h"

#include <glib/gi18n.h>

#include "ferry-auth.h"
#include "ferry-error.h"
#include "ferry-fingerprint.h"
#include "ferry-hub.h"
#include "ferry-limits.h"
#include "ferry-links.h"
#include "ferry-listener.h"
#include "ferry-session.h"
#include "ferry-sniff.h"
#include "ferry-store.h"
#include "ferry-web.h"

struct _FerryServer
{
  GObject parent_instance;

  /* owned references */
  FerryStore       *store;
  FerryHub         *hub;
  FerryListener    *listener;
  FerryAuth        *auth;            /* NULL: no password */
  FerryLinks       *links;
  GHashTable       *sessions;        /* FerrySession (weak) -> FerrySlot */
  GHashTable       *expiring;        /* ids being removed by expiry */
  GHashTable       *sniffing;        /* Sniffing: connections whose first bytes are awaited */
  GHashTable       *web_connections; /* FerryWebStream -> FerrySlot */
  FerryWeb         *web;             /* NULL until listening, or with the web front off */
  GCancellable     *stopping;
  GTask            *stop_task;
  char             *fingerprint;     /* NULL without TLS */
  gboolean          web_enabled;

  guint64           max_file_size;
  guint64           expire_seconds;
  guint             max_connections;
  guint             max_per_address;
  guint             expire_id;
  guint             stop_deadline_id;
  gboolean          listener_closed; /* stopping: no connection can come any more */
};

G_DEFINE_FINAL_TYPE (FerryServer, ferry_server, G_TYPE_OBJECT)

static void start_session (FerryListener *listener,
                           GIOStream     *stream,
                           FerrySlot     *slot,
                           gint64         hello_deadline,
                           gpointer       user_data);
static void maybe_stopped (FerryServer   *self);
static void session_gone_cb (gpointer  user_data,
                             GObject  *where_the_session_was);

static void
ferry_server_dispose (GObject *object)
{
  FerryServer *self = FERRY_SERVER (object);

  g_clear_handle_id (&self->expire_id, g_source_remove);
  g_clear_handle_id (&self->stop_deadline_id, g_source_remove);
  g_clear_object (&self->listener);
  if (self->sessions)
    {
      GHashTableIter iter;
      gpointer session;

      g_hash_table_iter_init (&iter, self->sessions);
      while (g_hash_table_iter_next (&iter, &session, NULL))
        g_object_weak_unref (session, session_gone_cb, self);
    }
  g_clear_pointer (&self->sessions, g_hash_table_unref);
  g_clear_object (&self->web);
  g_clear_object (&self->auth);

  G_OBJECT_CLASS (ferry_server_parent_class)->dispose (object);
}

static void
ferry_server_finalize (GObject *object)
{
  FerryServer *self = FERRY_SERVER (object);

  g_clear_object (&self->store);
  g_clear_object (&self->hub);
  g_clear_object (&self->links);
  g_clear_pointer (&self->expiring, g_hash_table_unref);
  g_clear_pointer (&self->sniffing, g_hash_table_unref);
  g_clear_pointer (&self->web_connections, g_hash_table_unref);
  g_clear_object (&self->stopping);
  g_clear_pointer (&self->fingerprint, g_free);
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
  self->max_file_size = FERRY_DEFAULT_MAX_FILE_SIZE;
  self->max_connections = FERRY_DEFAULT_MAX_CONNECTIONS;
  self->max_per_address = FERRY_DEFAULT_MAX_PER_ADDRESS;
  self->sessions = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->listener = ferry_listener_new (start_session, self);
  self->expiring = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->hub = ferry_hub_new ();
  self->sniffing = g_hash_table_new (NULL, NULL);
  self->web_connections = g_hash_table_new (NULL, NULL);
  self->stopping = g_cancellable_new ();
  self->web_enabled = TRUE;
}

/* @links NULL: signed with a secret of its own, in memory. */
static FerryServer *
server_new (FerryStore  *store,
            FerryLinks  *links,
            GError     **error)
{
  g_autoptr(FerryServer) self = NULL;
  g_autoptr(GPtrArray) rows = NULL;

  self = g_object_new (FERRY_TYPE_SERVER, NULL);
  self->store = g_object_ref (store);
  self->links = links ? g_object_ref (links) : ferry_links_new (NULL, error);
  if (!self->links)
    return NULL;
  rows = ferry_store_reconcile (self->store, error);
  if (!rows)
    return NULL;
  ferry_hub_load (self->hub, rows);
  g_message ("Serving %u offer(s)", rows->len);

  return g_steal_pointer (&self);
}

FerryServer *
ferry_server_new_for_store (FerryStore  *store,
                            GError     **error)
{
  g_return_val_if_fail (FERRY_IS_STORE (store), NULL);

  return server_new (store, NULL, error);
}

FerryServer *
ferry_server_new (const char  *data_dir,
                  GError     **error)
{
  g_autoptr(FerryStore) store = NULL;
  g_autoptr(FerryLinks) links = NULL;

  g_return_val_if_fail (data_dir != NULL, NULL);

  store = ferry_store_new (data_dir, error);
  if (!store)
    return NULL;
  links = ferry_links_new (data_dir, error);
  if (!links)
    return NULL;
  g_message ("Data directory %s", data_dir);
  return server_new (store, links, error);
}

FerryLinks *
ferry_server_get_links (FerryServer *self)
{
  g_return_val_if_fail (FERRY_IS_SERVER (self), NULL);
  return self->links;
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
  ferry_listener_set_limits (self->listener, self->max_connections, self->max_per_address);
}

void
ferry_server_set_max_connections_per_address (FerryServer *self,
                                              guint        max_connections)
{
  g_return_if_fail (FERRY_IS_SERVER (self));
  self->max_per_address = max_connections;
  ferry_listener_set_limits (self->listener, self->max_connections, self->max_per_address);
}

void
ferry_server_set_certificate (FerryServer     *self,
                              GTlsCertificate *certificate)
{
  g_return_if_fail (FERRY_IS_SERVER (self));
  g_return_if_fail (!certificate || G_IS_TLS_CERTIFICATE (certificate));
  ferry_listener_set_certificate (self->listener, certificate);
  g_clear_pointer (&self->fingerprint, g_free);
  if (certificate)
    self->fingerprint = ferry_fingerprint_from_certificate (certificate);
}

void
ferry_server_set_web (FerryServer *self,
                      gboolean     enabled)
{
  g_return_if_fail (FERRY_IS_SERVER (self));
  g_return_if_fail (self->web == NULL);
  self->web_enabled = enabled;
}

gboolean
ferry_server_get_web (FerryServer *self)
{
  g_return_val_if_fail (FERRY_IS_SERVER (self), FALSE);
  return self->web_enabled;
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
  maybe_stopped (self);
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

void
ferry_server_set_keep_partial (FerryServer *self,
                               guint64      seconds)
{
  g_return_if_fail (FERRY_IS_SERVER (self));
  ferry_partials_set_keep (ferry_store_get_partials (self->store), seconds);
}

/* Connections. The listener hands over each connection once it is ready for frames, with its
 * admission slot; its HELLO makes it active, or is answered BUSY (ferry-admission.c). */

/* GWeakNotify: a session is finalized once its connection is closed and nothing it started
 * is still running (ferry-session.c). */
static void
session_gone_cb (gpointer  user_data,
                 GObject  *where_the_session_was)
{
  FerryServer *self = user_data;
  FerrySlot *slot;

  if (!g_hash_table_steal_extended (self->sessions, where_the_session_was, NULL,
                                    (gpointer *) &slot))
    return;
  ferry_listener_release (self->listener, slot);
  maybe_stopped (self);
}

/* FerrySessionAdmitFunc */
static gboolean
admit_session (FerrySession *session,
               gpointer      user_data)
{
  FerryServer *self = user_data;
  FerrySlot *slot = g_hash_table_lookup (self->sessions, session);

  return slot && ferry_listener_admit (self->listener, slot);
}

/* FerrySlotEvictFunc, for a session still waiting for its HELLO. */
static void
evict_session (gpointer owner)
{
  g_debug ("%s: dropped before its HELLO to make room for others",
           ferry_session_get_peer (owner));
  ferry_session_drop (owner);
}

/* Connections are handed over by their first bytes (ferry-sniff.h): the native protocol to
 * a FerrySession, HTTP to the web front. */

typedef struct
{
  FerryServer *server;
  GIOStream   *stream;
  FerrySlot   *slot;
  gint64       hello_deadline;
} Sniffing;

static void
start_native (FerryServer *self,
              GIOStream   *stream,
              FerrySlot   *slot,
              gint64       hello_deadline,
              GBytes      *first_bytes)
{
  g_autoptr(FerrySession) session = NULL;
  FerrySessionConfig config = { 0 };

  config.max_file_size = self->max_file_size;
  config.expire_seconds = self->expire_seconds;
  config.keep_partial = ferry_partials_get_keep (ferry_store_get_partials (self->store));
  config.admit = admit_session;
  config.admit_data = self;
  config.auth = self->auth;
  config.links = self->links;
  config.web = self->web_enabled;
  config.hello_deadline = hello_deadline;

  session = ferry_session_new (stream, self->store, self->hub, &config);
  if (first_bytes)
    ferry_session_unread (session, first_bytes);
  g_object_weak_ref (G_OBJECT (session), session_gone_cb, self);
  g_hash_table_insert (self->sessions, session, slot);
  ferry_admission_set_owner (slot, evict_session, session);
  ferry_session_start (session);
}

/* FerryWebStreamClosedFunc */
static void
web_connection_closed_cb (FerryWebStream *stream,
                          gpointer        user_data)
{
  FerryServer *self = user_data;
  FerrySlot *slot;

  if (g_hash_table_steal_extended (self->web_connections, ferry_web_stream_get_base (stream),
                                   NULL, (gpointer *) &slot))
    ferry_listener_release (self->listener, slot);
  maybe_stopped (self);
  g_object_unref (self);
}

static void
start_web (FerryServer *self,
           GIOStream   *stream,
           FerrySlot   *slot,
           gint64       hello_deadline,
           GBytes      *first_bytes)
{
  /* An HTTP connection is active from its first request on (HTTP.md §1). */
  ferry_admission_set_owner (slot, NULL, NULL);
  if (self->stop_task || !ferry_listener_admit (self->listener, slot))
    {
      ferry_web_refuse_busy (stream);
      ferry_listener_release (self->listener, slot);
      return;
    }
  /* The stream is known only once accepted; the slot waits here until then. */
  g_hash_table_insert (self->web_connections, stream, slot);
  ferry_web_accept (self->web, stream, first_bytes, hello_deadline, web_connection_closed_cb,
                    g_object_ref (self));
}

static void
sniffed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Sniffing *sniffing = user_data;
  FerryServer *self = sniffing->server;
  g_autoptr(GBytes) first = ferry_sniff_finish (G_IO_STREAM (object), result);
  gsize size;
  const guint8 *bytes = g_bytes_get_data (first, &size);

  g_hash_table_remove (self->sniffing, sniffing);
  if (self->web && ferry_sniff_classify (bytes, size) == FERRY_SNIFF_HTTP)
    start_web (self, sniffing->stream, sniffing->slot, sniffing->hello_deadline, first);
  else
    start_native (self, sniffing->stream, sniffing->slot, sniffing->hello_deadline, first);

  g_object_unref (sniffing->stream);
  g_free (sniffing);
  maybe_stopped (self);
  g_object_unref (self);
}

/* FerrySlotEvictFunc, for a connection whose first bytes are still awaited. */
static void
evict_sniffing (gpointer owner)
{
  Sniffing *sniffing = owner;

  g_debug ("dropped before its first bytes to make room for others");
  g_io_stream_close_async (sniffing->stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
}

/* FerryListenerReadyFunc: reads the first bytes of @stream, ready for frames or HTTP, whose
 * @slot the server now owns. */
static void
start_session (FerryListener *listener,
               GIOStream     *stream,
               FerrySlot     *slot,
               gint64         hello_deadline,
               gpointer       user_data)
{
  FerryServer *self = user_data;
  Sniffing *sniffing = g_new0 (Sniffing, 1);

  sniffing->server = g_object_ref (self);
  sniffing->stream = g_object_ref (stream);
  sniffing->slot = slot;
  sniffing->hello_deadline = hello_deadline;
  g_hash_table_add (self->sniffing, sniffing);
  ferry_admission_set_owner (slot, evict_sniffing, sniffing);
  ferry_sniff_async (stream, hello_deadline, self->stopping, sniffed_cb, sniffing);
}

gboolean
ferry_server_listen (FerryServer   *self,
                     GInetAddress  *address,
                     guint16        port,
                     guint16       *bound_port,
                     GError       **error)
{
  g_return_val_if_fail (FERRY_IS_SERVER (self), FALSE);
  g_return_val_if_fail (G_IS_INET_ADDRESS (address), FALSE);

  if (self->web_enabled && !self->web)
    {
      FerryWebConfig config = { 0 };

      config.max_file_size = self->max_file_size;
      config.expire_seconds = self->expire_seconds;
      config.keep_partial = ferry_partials_get_keep (ferry_store_get_partials (self->store));
      config.tls = self->fingerprint != NULL;
      config.fingerprint = self->fingerprint;
      config.auth = self->auth;
      config.links = self->links;
      self->web = ferry_web_new (self->store, self->hub, &config);
    }
  return ferry_listener_listen (self->listener, address, port, bound_port, error);
}

/* Stopping. The stop completes when the last thing it waits for lets go: the listener (its
 * TLS handshakes), every session (each finishes once nothing it started is still running, a
 * commit included) and every expiry removal. A deadline ends the wait for peers that hold
 * on. */

static void
finish_stop (FerryServer *self)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->stop_task);

  g_clear_handle_id (&self->stop_deadline_id, g_source_remove);
  ferry_store_close (self->store);
  g_message ("Stopped");
  g_task_return_boolean (task, TRUE);
}

static void
maybe_stopped (FerryServer *self)
{
  if (self->stop_task && self->listener_closed && g_hash_table_size (self->sessions) == 0 &&
      g_hash_table_size (self->sniffing) == 0 && g_hash_table_size (self->web_connections) == 0 &&
      g_hash_table_size (self->expiring) == 0)
    finish_stop (self);
}

static gboolean
stop_deadline_cb (gpointer user_data)
{
  FerryServer *self = user_data;

  self->stop_deadline_id = 0;
  g_warning ("Stopping at the %u s deadline: %u connection(s) still closing, %u expired "
             "offer(s) still being removed%s", FERRY_STOP_DEADLINE_S,
             g_hash_table_size (self->sessions) + g_hash_table_size (self->web_connections),
             g_hash_table_size (self->expiring),
             self->listener_closed ? "" : ", TLS handshakes still running");
  finish_stop (self);
  return G_SOURCE_REMOVE;
}

static void
listener_closed_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(FerryServer) self = user_data;

  ferry_listener_close_finish (FERRY_LISTENER (object), result, NULL);
  self->listener_closed = TRUE;
  maybe_stopped (self);
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
  self->stop_deadline_id = g_timeout_add_seconds (FERRY_STOP_DEADLINE_S, stop_deadline_cb, self);
  ferry_listener_close_async (self->listener, listener_closed_cb, g_object_ref (self));

  sessions = g_ptr_array_new_with_free_func (g_object_unref);
  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, &session, NULL))
    g_ptr_array_add (sessions, g_object_ref (session));
  g_message ("Stopping: closing %u connection(s)",
             sessions->len + g_hash_table_size (self->web_connections));
  g_cancellable_cancel (self->stopping);
  for (guint i = 0; i < sessions->len; i++)
    ferry_session_abort (g_ptr_array_index (sessions, i));
  if (self->web)
    ferry_web_close_all (self->web);
}

gboolean
ferry_server_stop_finish (FerryServer   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
