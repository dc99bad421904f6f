/* ferry-memory-blob-store.h: blobs in memory, for tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ferry-blob-store.h"

G_BEGIN_DECLS

#define FERRY_TYPE_MEMORY_BLOB_STORE (ferry_memory_blob_store_get_type ())

G_DECLARE_FINAL_TYPE (FerryMemoryBlobStore, ferry_memory_blob_store, FERRY, MEMORY_BLOB_STORE,
                      GObject)

/* Holds at most @capacity bytes: its free space is @capacity less the committed blobs and the
 * bytes written by uploads in progress, and it keeps no margin. Forgets everything when
 * finalized. */
FerryMemoryBlobStore *ferry_memory_blob_store_new          (guint64               capacity);
/* What it holds now: committed blobs and uploads in progress. */
guint64               ferry_memory_blob_store_get_stored   (FerryMemoryBlobStore *self);
guint                 ferry_memory_blob_store_get_n_blobs  (FerryMemoryBlobStore *self);
guint                 ferry_memory_blob_store_get_n_uploads (FerryMemoryBlobStore *self);

G_END_DECLS
