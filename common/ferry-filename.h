/* ferry-filename.h: turning an offer's name into a safe local file name
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Returns a name that is safe as one path component on any desktop file system and still
 * readable: "/" and "\" become "_", control characters (C0, DEL, C1) and NUL-like bytes become
 * "_" (a newline too), leading dots and spaces and trailing dots and spaces are stripped, the
 * names "." and ".." and an empty result become "download", invalid UTF-8 is replaced, and the
 * result is cut to at most 255 bytes on a character boundary, keeping the extension. Never NULL. */
char   *ferry_filename_make_safe     (const char  *name);

/* Given a directory and a safe name, returns a GFile in @dir that does not exist yet:
 * "name.ext", then "name (1).ext", "name (2).ext", … Blocking (stat calls): use it from a
 * thread or a command-line tool. */
GFile  *ferry_filename_unique_in_dir (GFile       *dir,
                                      const char  *safe_name);

/* The "name (N).ext" variant of a base name; N = 0 returns a copy. Splits at the last dot that
 * is not the first character (so ".bashrc" has no extension, "a.tar.gz" becomes "a.tar (1).gz"). */
char   *ferry_filename_numbered      (const char  *name,
                                      guint        n);

G_END_DECLS
