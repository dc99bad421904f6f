/* ferry-web-stream.h: the stream of one HTTP connection
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the SoupServer reads and writes for one connection: the connection's TLS (or socket)
 * stream, with the bytes the sniffer already read (ferry-sniff.h) given back first. It also
 * holds the connection's deadlines (docs/HTTP.md §2): it closes the connection when nothing
 * moved for its idle limit, and calls its closed function once, however the connection ends,
 * so that the admission slot is given back.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FERRY_TYPE_WEB_STREAM (ferry_web_stream_get_type ())

G_DECLARE_FINAL_TYPE (FerryWebStream, ferry_web_stream, FERRY, WEB_STREAM, GIOStream)

typedef void (*FerryWebStreamClosedFunc) (FerryWebStream *stream,
                                          gpointer        user_data);

/* Called after each write that moved bytes to the peer. */
typedef void (*FerryWebStreamWroteFunc)  (FerryWebStream *stream,
                                          gpointer        user_data);

/* @base must have pollable streams (a GTlsConnection or a GSocketConnection does). */
FerryWebStream *ferry_web_stream_new             (GIOStream                *base,
                                                  GBytes                   *first_bytes,
                                                  FerryWebStreamClosedFunc  closed,
                                                  gpointer                  user_data);
GIOStream      *ferry_web_stream_get_base        (FerryWebStream           *self);
/* "ADDRESS:PORT" of the peer, for logs, and its address alone, for per-address limits. */
const char     *ferry_web_stream_get_peer        (FerryWebStream           *self);
const char     *ferry_web_stream_get_address     (FerryWebStream           *self);
GSocketAddress *ferry_web_stream_get_remote      (FerryWebStream           *self);
GSocketAddress *ferry_web_stream_get_local       (FerryWebStream           *self);

/* Everything written to the peer so far, and who hears of each write (one listener: the
 * WebSocket that paces its snapshot and keeps its output budget by it; NULL to stop). */
guint64         ferry_web_stream_get_bytes_written (FerryWebStream         *self);
void            ferry_web_stream_set_wrote_func  (FerryWebStream           *self,
                                                  FerryWebStreamWroteFunc   wrote,
                                                  gpointer                  user_data);
/* Something moved that the stream itself does not see: the idle clock starts again. Reads
 * and writes are counted without being told. */
void            ferry_web_stream_touch           (FerryWebStream           *self);
/* Closes the connection after @seconds without a byte read or a touch (default 60). */
void            ferry_web_stream_set_idle_limit  (FerryWebStream           *self,
                                                  guint                     seconds);
/* Closes the connection at @deadline (monotonic µs) unless called again first; 0 clears it.
 * The first request's headers must arrive by the handshake deadline. */
void            ferry_web_stream_set_deadline    (FerryWebStream           *self,
                                                  gint64                    deadline);
/* Closes the connection at once (a deadline passed, the server stops). */
void            ferry_web_stream_abort           (FerryWebStream           *self);

G_END_DECLS
