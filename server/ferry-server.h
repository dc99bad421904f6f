/* ferry-server.h: the listener, its sessions, and the shared store and hub
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ferry-links.h"
#include "ferry-store.h"

G_BEGIN_DECLS

#define FERRY_TYPE_SERVER (ferry_server_get_type ())

G_DECLARE_FINAL_TYPE (FerryServer, ferry_server, FERRY, SERVER, GObject)

/* Opens and reconciles the data directory (blocking; before the main loop runs). */
FerryServer *ferry_server_new                  (const char           *data_dir,
                                                GError              **error);
/* Serves @store, e.g. an in-memory one in tests; reconciles it first (blocking). */
FerryServer *ferry_server_new_for_store        (FerryStore           *store,
                                                GError              **error);
void         ferry_server_set_max_file_size    (FerryServer          *self,
                                                guint64               max_file_size);
void         ferry_server_set_quota            (FerryServer          *self,
                                                guint64               quota);
/* 0 disables expiry. */
void         ferry_server_set_expire           (FerryServer          *self,
                                                guint64               seconds);
/* Seconds an unfinished upload is kept for resuming (default 24 h; 0: none). */
void         ferry_server_set_keep_partial     (FerryServer          *self,
                                                guint64               seconds);
void         ferry_server_set_max_connections  (FerryServer          *self,
                                                guint                 max_connections);
void         ferry_server_set_max_connections_per_address
                                               (FerryServer          *self,
                                                guint                 max_connections);
/* Serves TLS with @certificate (which has its private key). NULL, the default, serves plain
 * TCP. */
void         ferry_server_set_certificate      (FerryServer          *self,
                                                GTlsCertificate      *certificate);
/* Requires @password in every HELLO. NULL, the default, requires none. */
void         ferry_server_set_password         (FerryServer          *self,
                                                const char           *password);

/* Signs browser links (docs/HTTP.md §6): with DATA/web-secret for a server made with
 * ferry_server_new(), with a secret of its own in memory otherwise. */
FerryLinks  *ferry_server_get_links            (FerryServer          *self);
/* Serves the web front on the same port (docs/HTTP.md; the default) or not (--no-web). WELCOME
 * announces it, and only then does the server answer LINK. Before ferry_server_listen (). */
void         ferry_server_set_web              (FerryServer          *self,
                                                gboolean              enabled);
gboolean     ferry_server_get_web              (FerryServer          *self);
/* Binds @address:@port (0 picks a free port, returned in @bound_port) and starts serving. */
gboolean     ferry_server_listen               (FerryServer          *self,
                                                GInetAddress         *address,
                                                guint16               port,
                                                guint16              *bound_port,
                                                GError              **error);

/* Stops accepting, drops every connection, waits for commits in flight and closes the
 * catalogue. */
void         ferry_server_stop_async           (FerryServer          *self,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean     ferry_server_stop_finish          (FerryServer          *self,
                                                GAsyncResult         *result,
                                                GError              **error);

G_END_DECLS
