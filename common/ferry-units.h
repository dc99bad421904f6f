/* ferry-units.h: sizes and durations as people write them ("100M", "4G", "24h", "90s")
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Sizes: a decimal integer, optional fraction ("1.5G"), an optional suffix K, M, G, T, P
 * (binary multiples, 1K = 1024) with an optional "B"/"iB" ("10MiB", "10MB" and "10M" are the
 * same), or a plain byte count ("512"). Case-insensitive; surrounding spaces are ignored.
 * Overflow, negatives, empty strings and junk are a G_OPTION_ERROR_BAD_VALUE with a sentence. */
gboolean  ferry_parse_size        (const char  *text,
                                   guint64     *bytes,
                                   GError     **error);
/* Durations: a number with a suffix s, m, h, d or w ("90s", "15m", "24h", "7d"); a bare number
 * is seconds. Returns seconds. */
gboolean  ferry_parse_duration    (const char  *text,
                                   guint64     *seconds,
                                   GError     **error);
/* "1.5 GB"-style, as g_format_size does, for tables and progress. */
char     *ferry_format_size       (guint64      bytes);
/* "45s", "3m 20s", "2h 05m", "3d 4h" */
char     *ferry_format_duration   (guint64      seconds);
/* How long ago, in words: "just now", "5 minutes ago", "3 hours ago", "2 days ago". */
char     *ferry_format_age        (gint64       unix_time,
                                   gint64       now);
/* "123.4 MB/s" */
char     *ferry_format_rate       (double       bytes_per_second);
/* A folder's contents: "12 files · 3.4 MB" */
char     *ferry_format_folder     (guint        files,
                                   guint64      bytes);

G_END_DECLS
