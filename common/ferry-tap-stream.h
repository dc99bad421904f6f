/* ferry-tap-stream.h: a socket connection whose incoming bytes are shown to a callback
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FERRY_TYPE_TAP_INPUT_STREAM (ferry_tap_input_stream_get_type ())

G_DECLARE_FINAL_TYPE (FerryTapInputStream, ferry_tap_input_stream, FERRY, TAP_INPUT_STREAM,
                      GFilterInputStream)

/* Shown each run of bytes read, in order, in whichever thread reads. Returning FALSE with
 * @error fails that read, and every later one the same way. */
typedef gboolean (*FerryTapFunc) (const guint8  *data,
                                  gsize          length,
                                  gpointer       user_data,
                                  GError       **error);

/* A stream over @connection to hand to a TLS connection: @connection's output, and its input
 * through @func. It is pollable as the socket is, and closing it closes @connection. */
GIOStream         *ferry_tap_stream_new            (GSocketConnection *connection,
                                                    FerryTapFunc       func,
                                                    gpointer           user_data,
                                                    GDestroyNotify     destroy);
/* The connection under a stream from ferry_tap_stream_new(); NULL for any other stream. */
GSocketConnection *ferry_tap_stream_get_connection (GIOStream         *stream);

G_END_DECLS
