/* ferry-auth.h: the server password and its per-address rate limit (PROTOCOL.md §8)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FERRY_TYPE_AUTH (ferry_auth_get_type ())

G_DECLARE_FINAL_TYPE (FerryAuth, ferry_auth, FERRY, AUTH, GObject)

/* Keeps only the SHA-256 of @password. */
FerryAuth *ferry_auth_new    (const char  *password);
/* Checks the password a client at @address (an IP address, no port) sent in HELLO, or NULL
 * when it sent none. Fails with FERRY_ERROR_AUTH, a sentence for the client. */
gboolean   ferry_auth_check  (FerryAuth   *self,
                              const char  *address,
                              const char  *password,
                              GError     **error);

/* Whether @address is locked out after too many wrong passwords (ferry_auth_check then fails
 * without comparing). */
gboolean   ferry_auth_is_locked (FerryAuth   *self,
                                 const char  *address);

G_END_DECLS
