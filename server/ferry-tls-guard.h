/* ferry-tls-guard.h: the socket under a TLS server connection, refusing renegotiation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A stream over @connection to hand to g_tls_server_connection_new(). It passes everything
 * through, but fails the read that brings a client-initiated renegotiation, and logs it with
 * @peer, the client's address. */
GIOStream *ferry_tls_guard_new (GSocketConnection *connection,
                                const char        *peer);

G_END_DECLS
