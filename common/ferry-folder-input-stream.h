/* ferry-folder-input-stream.h: a local folder as the bytes of a folder stream
 * (docs/PROTOCOL.md §5, Folders)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ferry-folder-header.h"

G_BEGIN_DECLS

/* Yields the stream of a scanned folder from byte @offset on: the header, then each file's
 * content, opened (never through a symbolic link) when its turn comes. A file whose size is
 * not the one in the header, or that is no longer a regular file, fails the read with a
 * sentence naming it. Reads block: GInputStream's async methods run them in a thread. */
#define FERRY_TYPE_FOLDER_INPUT_STREAM (ferry_folder_input_stream_get_type ())
G_DECLARE_FINAL_TYPE (FerryFolderInputStream, ferry_folder_input_stream,
                      FERRY, FOLDER_INPUT_STREAM, GInputStream)

/* Takes @header. */
GInputStream  *ferry_folder_input_stream_new  (GFile              *root,
                                               FerryFolderHeader  *header,
                                               guint64             offset);

G_END_DECLS
