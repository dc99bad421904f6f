/* ferry-filename.h: turning an offer's name into a safe local file name, and claiming it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The longest name Ferry picks for a download, in bytes: NAME_MAX (255) less ".part.ferry", so
 * that NAME.part, the file being written, and its resume sidecar NAME.part.ferry fit too. */
#define FERRY_FILENAME_MAX_BYTES 240

/* Returns a name that is safe as one path component on any desktop file system and still
 * readable: "/" and "\" become "_", control characters (C0, DEL, C1, U+2028, U+2029) become
 * "_" (a newline too), and so do the bidi embeddings, overrides and isolates (U+202A–U+202E,
 * U+2066–U+2069) that can make "gpj.exe" look like "exe.jpg"; the invisible direction marks
 * U+200E, U+200F and U+061C are dropped. Leading dots and spaces and trailing dots and spaces are
 * stripped, a leading "-" (which a command line would read as an option) becomes "_", the names
 * "." and ".." and an empty result become "download", invalid UTF-8 is replaced, and the result
 * is cut to at most FERRY_FILENAME_MAX_BYTES on a character boundary, keeping the extension.
 * Never NULL. */
char              *ferry_filename_make_safe     (const char          *name);

/* The "name (N).ext" variant of a name; N = 0 returns a copy. The number goes before the
 * extension: the last dot that is not the first character, followed by at most 16 bytes and no
 * space, plus a ".tar" before it ("a.tar.gz" becomes "a (1).tar.gz"; ".bashrc" and "v2. final
 * draft" have no extension). For N > 0 the result fits FERRY_FILENAME_MAX_BYTES: the end of the
 * name before the extension is cut, on a character boundary, to make room for the number. */
char              *ferry_filename_numbered      (const char          *name,
                                                 guint                n);

/* The file @final is written as while it downloads: "NAME.part" beside it, with NAME cut (on a
 * character boundary, keeping the extension) when "NAME.part" would not fit NAME_MAX. */
GFile             *ferry_filename_part_for      (GFile               *final);

/* Claims a free name in @dir for a download of @name: the first of "name.ext", "name (1).ext",
 * "name (2).ext", … (see ferry_filename_numbered()) that nothing occupies (not even a dangling
 * symbolic link) and whose NAME.part can be created with O_CREAT|O_EXCL, so two downloads at
 * once never claim the same name. Returns the final file, which does not exist yet, and sets
 * @out_part and @out_stream to NAME.part, created (mode 0600) and open for writing. Blocking:
 * use it from a thread or a command-line tool. */
GFile             *ferry_filename_unique_in_dir (GFile               *dir,
                                                 const char          *name,
                                                 GFile              **out_part,
                                                 GFileOutputStream  **out_stream,
                                                 GCancellable        *cancellable,
                                                 GError             **error);

/* The same for a folder download: NAME.part is a new, empty folder (mode 0777 less the umask),
 * which only this caller made. */
GFile             *ferry_filename_unique_folder_in_dir (GFile         *dir,
                                                        const char    *name,
                                                        GFile        **out_part,
                                                        GCancellable  *cancellable,
                                                        GError       **error);

/* Renames @part to @final without ever replacing a file: if something took @final meanwhile,
 * the download gets the next free "name (N).ext" of @name in the same folder instead. Returns
 * the file @part now is. Blocking. */
GFile             *ferry_filename_rename_unique (GFile               *part,
                                                 GFile               *final,
                                                 const char          *name,
                                                 GCancellable        *cancellable,
                                                 GError             **error);

G_END_DECLS
