/* ferry-known-servers.h: pinned server fingerprints in $XDG_CONFIG_HOME/ferry/known-servers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The key for an address: "host:port", host in lower case. */
char     *ferry_known_servers_key        (const char  *host,
                                          guint16      port);
char     *ferry_known_servers_default_path (void);

/* Blocking file reads and writes of a small file. @path NULL means the default.
 * Returns the pinned fingerprint, or NULL when the server is unknown (or on error). */
char     *ferry_known_servers_lookup     (const char  *path,
                                          const char  *key,
                                          GError     **error);
/* Every pin in the file: key -> fingerprint (an empty table when there is no file yet). */
GHashTable *ferry_known_servers_read_all (const char  *path,
                                          GError     **error);
/* Pins @fingerprint (canonical form) for @key, replacing any earlier line; atomic, mode 0600. */
gboolean  ferry_known_servers_add        (const char  *path,
                                          const char  *key,
                                          const char  *fingerprint,
                                          GError     **error);
/* Forgets @key. Returns TRUE if a line was removed. */
gboolean  ferry_known_servers_remove     (const char  *path,
                                          const char  *key,
                                          GError     **error);

G_END_DECLS
