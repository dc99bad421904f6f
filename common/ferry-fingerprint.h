/* ferry-fingerprint.h: a server's identity, as SHA-256 of its certificate (PROTOCOL.md §8)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The canonical form: 64 lower-case hex digits. */
char     *ferry_fingerprint_from_der         (const guint8     *der,
                                              gsize             len);
char     *ferry_fingerprint_from_certificate (GTlsCertificate  *certificate);
/* For people: "3F9A 0C1D 2E4B …", 16 groups of 4 upper-case digits. */
char     *ferry_fingerprint_format           (const char       *fingerprint);
/* Accepts what people paste: any case, with spaces, colons or nothing between digits.
 * Returns the canonical form, or NULL with a G_OPTION_ERROR_BAD_VALUE sentence. */
char     *ferry_fingerprint_parse            (const char       *text,
                                              GError          **error);

G_END_DECLS
