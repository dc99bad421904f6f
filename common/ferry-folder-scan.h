/* ferry-folder-scan.h: walking a local folder into the header of its folder stream
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ferry-folder-header.h"

G_BEGIN_DECLS

/* What walking a local folder found. */
typedef struct
{
  FerryFolderHeader *header;
  guint              n_skipped;       /* links, sockets, devices, FIFOs, unreadable names */
  char              *first_skipped;   /* its path inside the folder, for display */
  gint64             newest_mtime;    /* the newest modification time in the tree, in seconds:
                                       * with the stream's size, what tells a changed folder */
} FerryFolderScan;

void               ferry_folder_scan_free       (FerryFolderScan    *scan);
/* Walks @dir without following symbolic links (@dir itself must be a real folder), in a
 * thread; the result is sorted as the protocol wants. */
void               ferry_folder_scan_async      (GFile              *dir,
                                                 GCancellable       *cancellable,
                                                 GAsyncReadyCallback callback,
                                                 gpointer            user_data);
FerryFolderScan   *ferry_folder_scan_finish     (GAsyncResult       *result,
                                                 GError            **error);
/* The same walk, blocking. */
FerryFolderScan   *ferry_folder_scan            (GFile              *dir,
                                                 GCancellable       *cancellable,
                                                 GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryFolderScan, ferry_folder_scan_free)

G_END_DECLS
