/* ferry-tls-guard.h: the socket under a TLS server connection, refusing renegotiation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FERRY_TYPE_TLS_GUARD (ferry_tls_guard_get_type ())

G_DECLARE_FINAL_TYPE (FerryTlsGuard, ferry_tls_guard, FERRY, TLS_GUARD, GIOStream)

/* A stream over @connection to hand to g_tls_server_connection_new(). It passes everything
 * through, but fails the read that brings a client-initiated renegotiation. */
GIOStream         *ferry_tls_guard_new            (GSocketConnection *connection);
GSocketConnection *ferry_tls_guard_get_connection (FerryTlsGuard     *self);

G_END_DECLS
