/* ferry-password-file.h: the one reader of --password-file, for server, app and CLI alike
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* PROTOCOL.md §3: a password is at most this many bytes of UTF-8. */
#define FERRY_PASSWORD_MAX_BYTES 1024

/* The password is the first line of @file, without its line ending ("\n" or "\r\n"); every
 * other byte counts, spaces included, and what follows the first line is ignored. Reads at
 * most FERRY_PASSWORD_MAX_BYTES + 2 bytes: never the whole of a big file. Fails with a
 * sentence naming the file when it can't be read, when the first line is empty, longer than
 * FERRY_PASSWORD_MAX_BYTES or not UTF-8. A small blocking read: call it at startup, or from a
 * thread. The caller wipes the result (memset) before freeing it. */
char *ferry_password_file_read      (GFile        *file,
                                     GCancellable *cancellable,
                                     GError      **error);
/* The same, for a path from the command line. */
char *ferry_password_file_read_path (const char   *path,
                                     GError      **error);

G_END_DECLS
