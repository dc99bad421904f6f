/* ferry-listener.h: accepts connections, admits them and runs their TLS handshakes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ferry-admission.h"

G_BEGIN_DECLS

#define FERRY_TYPE_LISTENER (ferry_listener_get_type ())

G_DECLARE_FINAL_TYPE (FerryListener, ferry_listener, FERRY, LISTENER, GObject)

/* A connection is ready for frames: @stream is its TLS connection (or its socket connection
 * when serving plain TCP), its HELLO must arrive by @hello_deadline (monotonic µs), and the
 * callee now owns @slot: it gives the slot back with ferry_listener_release (). */
typedef void (*FerryListenerReadyFunc) (FerryListener *listener,
                                        GIOStream     *stream,
                                        FerrySlot     *slot,
                                        gint64         hello_deadline,
                                        gpointer       user_data);

FerryListener *ferry_listener_new             (FerryListenerReadyFunc  ready,
                                               gpointer                user_data);
/* Serves TLS with @certificate (which has its private key); NULL, the default, serves plain
 * TCP. Before ferry_listener_listen (). */
void           ferry_listener_set_certificate (FerryListener          *self,
                                               GTlsCertificate        *certificate);
void           ferry_listener_set_limits      (FerryListener          *self,
                                               guint                   max_connections,
                                               guint                   max_per_address);
/* Binds @address:@port (0 picks a free port, returned in @bound_port) and starts accepting. */
gboolean       ferry_listener_listen          (FerryListener          *self,
                                               GInetAddress           *address,
                                               guint16                 port,
                                               guint16                *bound_port,
                                               GError                **error);

/* At HELLO: makes @slot active, or returns FALSE when there is no room (the caller answers
 * BUSY). */
gboolean       ferry_listener_admit           (FerryListener          *self,
                                               FerrySlot              *slot);
/* Gives back a slot that a ready connection owned, once that connection is closed. */
void           ferry_listener_release         (FerryListener          *self,
                                               FerrySlot              *slot);

/* Stops accepting and fails every TLS handshake in progress; completes once none is left,
 * so that no connection is handed over any more. */
void           ferry_listener_close_async     (FerryListener          *self,
                                               GAsyncReadyCallback     callback,
                                               gpointer                user_data);
gboolean       ferry_listener_close_finish    (FerryListener          *self,
                                               GAsyncResult           *result,
                                               GError                **error);

G_END_DECLS
