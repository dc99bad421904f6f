/* ferry-local-blob-store.h: blobs as files in a data directory, the default FerryBlobStore
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ferry-blob-store.h"

G_BEGIN_DECLS

#define FERRY_TYPE_LOCAL_BLOB_STORE (ferry_local_blob_store_get_type ())

G_DECLARE_FINAL_TYPE (FerryLocalBlobStore, ferry_local_blob_store, FERRY, LOCAL_BLOB_STORE,
                      GObject)

/* Creates DIR, DIR/blobs and DIR/partial (mode 0700); blocking. An upload is written to
 * partial/TOKEN; its commit fsyncs it, renames it to blobs/ID and fsyncs blobs/. Startup
 * reconciliation drops catalogue rows without a blob or with a blob of the wrong size and
 * every stale partial file; blobs without a row, or of the wrong size, are never deleted: they
 * move to DIR/lost+found/ (NAME, or NAME.N when taken), with a warning. Uploads may use the
 * free space of the file system less a margin of 64 MiB, or 1/16 of a small one. Errors name
 * paths only in the log, never in what they say. */
FerryLocalBlobStore *ferry_local_blob_store_new (const char  *data_dir,
                                                 GError     **error);

G_END_DECLS
