/* ferry-chunk-writer.h: writing chunks behind the caller, in order, on a worker thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ferry-checksum.h"

G_BEGIN_DECLS

/* Bytes queued by every writer that shares it (main thread only). A writer with an empty queue
 * always takes one chunk, so a writer never waits for another one; beyond that it queues only
 * while @used is under @limit. */
typedef struct
{
  gsize limit;
  gsize used;
} FerryChunkBudget;

#define FERRY_TYPE_CHUNK_WRITER (ferry_chunk_writer_get_type ())

G_DECLARE_FINAL_TYPE (FerryChunkWriter, ferry_chunk_writer, FERRY, CHUNK_WRITER, GObject)

/* Writes chunks to @stream in the order they are pushed, one write at a time on a worker
 * thread, holding at most @max_queued bytes (plus the one chunk an empty writer takes).
 * With @hash, SHA-256 runs over the chunks on that thread, before each write. */
FerryChunkWriter *ferry_chunk_writer_new          (GOutputStream        *stream,
                                                   gsize                 max_queued,
                                                   FerryChunkBudget     *budget,
                                                   gboolean              hash);
/* Hashing goes on from @checksum (taken), which holds the bytes the stream already has: for
 * a file continued where it ends. Before the first push. */
void              ferry_chunk_writer_take_checksum (FerryChunkWriter   *self,
                                                    FerryChecksum      *checksum);
/* Queues @chunk, then completes once there is room for another one, or with the first write
 * error. Only one push or close at a time. */
void              ferry_chunk_writer_push_async   (FerryChunkWriter     *self,
                                                   GBytes               *chunk,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
gboolean          ferry_chunk_writer_push_finish  (FerryChunkWriter     *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
/* Completes once every chunk is written (the stream stays open), or with the first error. */
void              ferry_chunk_writer_flush_async  (FerryChunkWriter     *self,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
gboolean          ferry_chunk_writer_flush_finish (FerryChunkWriter     *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
/* After a flush: the SHA-256 of every byte written (FERRY_SHA256_SIZE bytes). */
void              ferry_chunk_writer_get_digest   (FerryChunkWriter     *self,
                                                   guint8               *digest);
/* For a file that will be fsynced: start its writeback every @every bytes (0: never), so the
 * disk works while the data arrives. Set it before the first push. */
void              ferry_chunk_writer_set_writeback (FerryChunkWriter   *self,
                                                    gsize               every);
guint64           ferry_chunk_writer_get_written  (FerryChunkWriter     *self);
gsize             ferry_chunk_writer_get_queued   (FerryChunkWriter     *self);
/* Drops what is queued and fails what waits with G_IO_ERROR_CANCELLED. */
void              ferry_chunk_writer_cancel       (FerryChunkWriter     *self);

G_END_DECLS
