/* ferry-socket.h: what every Ferry connection sets on its socket and its TLS layer, on both
 * ends
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

gboolean   ferry_socket_set_nodelay          (GSocketConnection   *connection);

GIOStream *ferry_socket_tls_client_new       (GIOStream           *base,
                                              GSocketConnectable  *identity,
                                              GError             **error);
GIOStream *ferry_socket_tls_server_new       (GIOStream           *base,
                                              GTlsCertificate     *certificate,
                                              GError             **error);

/* The socket connection under @stream: itself, or under its TLS layer and taps; NULL when
 * there is none (a pipe in a test). Borrowed: @stream holds it. */
GSocketConnection *ferry_socket_connection_of (GIOStream           *stream);

G_END_DECLS
