/* ferry-peek-input-stream.h: a socket's input that remembers the first bytes the peer sent
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FERRY_TYPE_PEEK_INPUT_STREAM (ferry_peek_input_stream_get_type ())

G_DECLARE_FINAL_TYPE (FerryPeekInputStream, ferry_peek_input_stream, FERRY, PEEK_INPUT_STREAM,
                      GFilterInputStream)

#define FERRY_PEEK_SIZE 8

/* Reads from @connection's input. Closing this stream closes all of @connection, socket
 * included, so that a GSimpleIOStream of this stream and @connection's output closes the TCP
 * connection as a GSocketConnection would. */
GInputStream *ferry_peek_input_stream_new       (GSocketConnection    *connection);
/* The first bytes received (at most FERRY_PEEK_SIZE); returns how many. */
gsize         ferry_peek_input_stream_get_first (FerryPeekInputStream *self,
                                                 const guint8        **bytes);
/* Builds the stream a TLS client connection wraps: this input over @connection, and
 * @connection's output. */
GIOStream    *ferry_peek_io_stream_new          (GSocketConnection    *connection,
                                                 FerryPeekInputStream **peek);

G_END_DECLS
