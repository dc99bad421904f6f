/* ferry-folder-output-stream.h: the bytes of a folder stream written back as a tree
 * (docs/PROTOCOL.md §5, Folders)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ferry-checksum.h"
#include "ferry-folder-header.h"

G_BEGIN_DECLS

/* Writes the bytes of a folder stream as a tree inside @dir, an existing folder (NAME.part/):
 * checks the header by every rule as it arrives, makes each part of each path safe as
 * ferry_filename_make_safe() does, refuses two entries that end up with the same local name,
 * and creates everything with openat()/mkdirat() relative to folder descriptors opened with
 * O_NOFOLLOW, so that no part is resolved through a symbolic link and nothing lands outside
 * @dir. Executable files stay executable. Writes block: GOutputStream's async methods run
 * them in a thread. */
#define FERRY_TYPE_FOLDER_OUTPUT_STREAM (ferry_folder_output_stream_get_type ())
G_DECLARE_FINAL_TYPE (FerryFolderOutputStream, ferry_folder_output_stream,
                      FERRY, FOLDER_OUTPUT_STREAM, GOutputStream)

/* @stream_size, @n_files and @content_size are what the offer announced. */
GOutputStream *ferry_folder_output_stream_new (GFile              *dir,
                                               guint64             stream_size,
                                               guint32             n_files,
                                               guint64             content_size,
                                               GError            **error);
/* Continues a tree written up to stream byte @offset: @header is the header's bytes (kept in
 * the resume sidecar). Checks that every file before @offset is there with its full size,
 * re-feeds the prefix (header and files) to @checksum, cuts the current file to its part of
 * @offset and removes files after it. Blocking. A tree that does not match fails: start
 * over. */
GOutputStream *ferry_folder_output_stream_new_at (GFile           *dir,
                                                  GBytes          *header,
                                                  guint64          stream_size,
                                                  guint32          n_files,
                                                  guint64          content_size,
                                                  guint64          offset,
                                                  FerryChecksum   *checksum,
                                                  GCancellable    *cancellable,
                                                  GError         **error);
/* The header's bytes once they have all been written (for a resume sidecar), else NULL.
 * Transfer none. */
GBytes        *ferry_folder_output_stream_get_header (FerryFolderOutputStream *self);
/* Whether the whole stream has been written. */
gboolean       ferry_folder_output_stream_is_complete (FerryFolderOutputStream *self);

G_END_DECLS
