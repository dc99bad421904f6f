/* ferry-connection-private.h: FerryConnection's state, shared by ferry-connection.c (writing,
 * the output budget, closing) and ferry-connection-read.c (reading frames)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ferry-connection.h"

G_BEGIN_DECLS

#define FERRY_CONNECTION_READ_BUFFER_SIZE (FERRY_CHUNK_SIZE + 4096)

struct _FerryConnection
{
  GObject parent_instance;

  /* owned references */
  GIOStream         *stream;
  FerryFrameDecoder *decoder;
  GCancellable      *cancellable;   /* every internal I/O uses it; abort cancels it */
  guint8            *read_buffer;
  GTask             *read_task;
  GQueue             write_queue;   /* WriteOp, head is in flight when writing */
  GError            *write_error;
  GTask             *close_task;
  GTask             *drain_task;    /* waits for frame_bytes <= drain_level */

  /* borrowed from stream */
  GInputStream      *input;
  GOutputStream     *output;

  gsize              queued_bytes;
  gsize              frame_bytes;   /* queued frames that the queue holds (not DATA payloads) */
  gsize              output_limit;  /* 0: no limit */
  gsize              drain_level;
  guint              n_io;
  gulong             read_cancel_id;
  GCancellable      *read_user_cancellable;
  guint              writing : 1;
  guint              closing : 1;
  guint              closed : 1;
  guint              aborted : 1;
  guint              overflowed : 1;
  guint              read_direct : 1;  /* the read in flight fills the decoder's payload */
};

/* A socket or TLS failure, said as what it means to a person: the connection is gone.
 * Cancellation and FERRY_ERRORs stay as they are. Takes @error. */
GError *ferry_connection_lost               (GError          *error);
/* Closes the stream once a close was asked for and no I/O is in flight. */
void    ferry_connection_maybe_close_stream (FerryConnection *self);

G_END_DECLS
