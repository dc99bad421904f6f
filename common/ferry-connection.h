/* ferry-connection.h: frames over any GIOStream, asynchronously
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ferry-frame.h"

G_BEGIN_DECLS

#define FERRY_TYPE_CONNECTION (ferry_connection_get_type ())

G_DECLARE_FINAL_TYPE (FerryConnection, ferry_connection, FERRY, CONNECTION, GObject)

FerryConnection *ferry_connection_new              (GIOStream            *stream);
/* Bytes already read from the stream by someone else, to be decoded before what follows.
 * Before the first read. */
void             ferry_connection_unread           (FerryConnection      *self,
                                                    GBytes               *bytes);
GIOStream       *ferry_connection_get_stream       (FerryConnection      *self);
gsize            ferry_connection_get_queued_bytes (FerryConnection      *self);

/* The output budget. At most @limit bytes of frames may wait to be sent (0: no limit). A send
 * that would go over it is not queued: the connection aborts and emits "output-overflow". DATA
 * payloads sent from the caller's buffer (send_data_async) do not count: the caller bounds
 * those itself by waiting for each one. */
void             ferry_connection_set_output_limit (FerryConnection      *self,
                                                    gsize                 limit);
gsize            ferry_connection_get_output_limit (FerryConnection      *self);
/* The bytes of frames waiting to be sent, as the output budget counts them. */
gsize            ferry_connection_get_frame_bytes  (FerryConnection      *self);
/* Completes once at most @level bytes of frames wait to be sent (at once if that is already
 * so), or fails when the connection does. One at a time. For producers that refill the queue
 * as the peer reads, so that they never queue much. */
void             ferry_connection_drain_async      (FerryConnection      *self,
                                                    gsize                 level,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean         ferry_connection_drain_finish     (FerryConnection      *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/* One read at a time. */
void             ferry_connection_read_async       (FerryConnection      *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean         ferry_connection_read_finish      (FerryConnection      *self,
                                                    GAsyncResult         *result,
                                                    FerryFrame           *frame,
                                                    GError              **error);

/* Writes are queued and leave in order. @frame is a whole encoded frame. */
void             ferry_connection_send_async       (FerryConnection      *self,
                                                    GBytes               *frame,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean         ferry_connection_send_finish      (FerryConnection      *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
/* Fire and forget: a failure shows up on the next read or send. @frame is borrowed. */
void             ferry_connection_send             (FerryConnection      *self,
                                                    GBytes               *frame);
/* Sends @message, a frame from a ferry_msg_*_new() constructor, and takes it; fire and
 * forget. */
void             ferry_connection_send_message     (FerryConnection      *self,
                                                    GBytes               *message);

/* A DATA frame written with writev straight from @data, which must stay valid until the
 * callback runs. */
void             ferry_connection_send_data_async  (FerryConnection      *self,
                                                    guint64               offset,
                                                    const guint8         *data,
                                                    gsize                 len,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);

/* Sends what is queued, then closes the stream. Never fails loudly. */
void             ferry_connection_close_async      (FerryConnection      *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean         ferry_connection_close_finish     (FerryConnection      *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
/* Closes now, dropping what is queued. */
void             ferry_connection_abort            (FerryConnection      *self);
gboolean         ferry_connection_is_closed        (FerryConnection      *self);

G_END_DECLS
