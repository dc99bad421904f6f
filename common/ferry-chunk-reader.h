/* ferry-chunk-reader.h: reading a stream ahead, chunk by chunk, on a worker thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ferry-checksum.h"

G_BEGIN_DECLS

/* Chunks a transfer keeps read ahead of, or written behind, its socket. */
#define FERRY_CHUNK_DEPTH 4

#define FERRY_TYPE_CHUNK_READER (ferry_chunk_reader_get_type ())

G_DECLARE_FINAL_TYPE (FerryChunkReader, ferry_chunk_reader, FERRY, CHUNK_READER, GObject)

/* Reads @length bytes of @stream in chunks of @chunk_size, keeping at most @depth chunks read
 * ahead of the consumer. With @hash, SHA-256 runs over the chunks in order on the reading
 * thread, never on the caller's. One read runs at a time, so chunks come out in order. */
FerryChunkReader *ferry_chunk_reader_new         (GInputStream         *stream,
                                                  guint64               length,
                                                  gsize                 chunk_size,
                                                  guint                 depth,
                                                  gboolean              hash);
/* Hashing goes on from @checksum (taken), which holds the bytes before the stream's position:
 * for a file sent from an offset. Before the first read. */
void              ferry_chunk_reader_take_checksum (FerryChunkReader   *self,
                                                    FerryChecksum      *checksum);
/* The next chunk, or NULL with no error once @length bytes were read. A stream that ends early
 * fails with G_IO_ERROR_PARTIAL_INPUT. Only one call at a time. */
void              ferry_chunk_reader_next_async  (FerryChunkReader     *self,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
GBytes           *ferry_chunk_reader_next_finish (FerryChunkReader     *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);
/* After the end: the SHA-256 of every byte read (only for a reader made with @hash). */
void              ferry_chunk_reader_get_digest  (FerryChunkReader     *self,
                                                  guint8               *digest);
/* Stops reading ahead; a pending next fails with G_IO_ERROR_CANCELLED. */
void              ferry_chunk_reader_cancel      (FerryChunkReader     *self);

G_END_DECLS
