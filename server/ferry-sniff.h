/* ferry-sniff.h: which protocol a new connection speaks, from its first bytes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One port serves the native protocol and HTTP (docs/HTTP.md §1). The server reads the first
 * FERRY_SNIFF_SIZE bytes of each connection (inside TLS when TLS is on) and hands them, with
 * the stream, to the protocol they begin.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FERRY_SNIFF_SIZE 4

typedef enum
{
  FERRY_SNIFF_NATIVE,   /* the frame magic FERY, or too few bytes to tell */
  FERRY_SNIFF_HTTP,     /* an HTTP method and a space */
  FERRY_SNIFF_UNKNOWN,  /* anything else: the native session answers MALFORMED */
} FerrySniffKind;

FerrySniffKind ferry_sniff_classify     (const guint8         *bytes,
                                         gsize                 size);

/* Reads the first FERRY_SNIFF_SIZE bytes of @stream, or fewer when the peer closes, fails or
 * has sent nothing more by @deadline (monotonic µs). Never fails: the bytes read so far are
 * the result, and the protocol that gets them reports what went wrong. */
void           ferry_sniff_async        (GIOStream            *stream,
                                         gint64                deadline,
                                         GCancellable         *cancellable,
                                         GAsyncReadyCallback   callback,
                                         gpointer              user_data);
GBytes        *ferry_sniff_finish       (GIOStream            *stream,
                                         GAsyncResult         *result);

G_END_DECLS
