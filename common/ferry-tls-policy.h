/* ferry-tls-policy.h: which TLS versions and cipher suites Ferry speaks (PROTOCOL.md §8)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The GnuTLS priority string every Ferry process uses, on both ends: TLS 1.2 and 1.3 only,
 * AEAD suites (AES-GCM, ChaCha20-Poly1305) with forward secrecy only. Renegotiation keeps
 * GnuTLS's default, %PARTIAL_RENEGOTIATION: an unsafe (non-RFC 5746) renegotiation is always
 * refused. %SAFE_RENEGOTIATION would also refuse the first handshake of TLS 1.2 clients that
 * do not announce RFC 5746, which makes sslscan report TLS 1.2 as disabled and gains nothing
 * for a server that never renegotiates unsafely; %DISABLE_SAFE_RENEGOTIATION would *allow*
 * unsafe renegotiation (tested with `openssl s_client -legacy_renegotiation`). */
#define FERRY_TLS_PRIORITY \
  "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" \
  ":-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305" \
  ":-MAC-ALL:+AEAD" \
  ":-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA"

/* Applies FERRY_TLS_PRIORITY to this process. Call it at the very top of main(), before any
 * thread exists and before the first TLS connection is created: glib-networking reads the
 * policy once, when its first connection is made, and never again. Calling it again is
 * harmless. */
void  ferry_tls_policy_init  (void);

G_END_DECLS
