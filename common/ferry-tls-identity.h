/* ferry-tls-identity.h: the server's key and self-signed certificate (PROTOCOL.md §8)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Creates an ECDSA P-256 key at @key_path (mode 0600, never readable by others, even briefly)
 * and a self-signed certificate for it at @cert_path, valid for 20 years. Fails if either file
 * exists. Blocking. */
gboolean         ferry_tls_identity_create          (const char  *cert_path,
                                                     const char  *key_path,
                                                     GError     **error);

/* Loads an existing pair, checking that the key belongs to the certificate. Blocking. */
GTlsCertificate *ferry_tls_identity_load            (const char  *cert_path,
                                                     const char  *key_path,
                                                     GError     **error);

/* Loads @dir/server.crt and @dir/server.key, creating @dir (mode 0700) and both files first
 * when neither exists. Blocking. */
GTlsCertificate *ferry_tls_identity_load_or_create  (const char  *dir,
                                                     GError     **error);

G_END_DECLS
