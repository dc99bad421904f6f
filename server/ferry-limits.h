/* ferry-limits.h: the server's default limits and timing constants, in one place
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * main.c shows the defaults in --help and FerryServer starts from them; the listener, the
 * admission, the TLS acceptor and the sessions take their timing from here. docs/PROTOCOL.md
 * §8 describes what a client sees of them.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Defaults of the command line options. */
#define FERRY_DEFAULT_MAX_FILE_SIZE_GIB       4
#define FERRY_DEFAULT_MAX_FILE_SIZE \
  ((guint64) FERRY_DEFAULT_MAX_FILE_SIZE_GIB * 1024 * 1024 * 1024)
#define FERRY_DEFAULT_QUOTA                   0      /* unlimited */
#define FERRY_DEFAULT_EXPIRE_S                0      /* never */
#define FERRY_DEFAULT_MAX_CONNECTIONS         64
#define FERRY_DEFAULT_MAX_PER_ADDRESS         16

/* Accepting. */
#define FERRY_LISTEN_BACKLOG                  128
/* Pending connections (before HELLO) allowed: these factors times the active limits
 * (ferry-admission.c). */
#define FERRY_PENDING_FACTOR                  8
#define FERRY_PENDING_PER_ADDRESS_FACTOR      4
/* The TLS handshake and HELLO together must be done within this. */
#define FERRY_HANDSHAKE_TIMEOUT_S             10
/* TLS handshakes running in GIO's thread pool at once, and how long one may run while others
 * wait (ferry-tls-acceptor.c). */
#define FERRY_HANDSHAKE_POOL_SIZE             6
#define FERRY_HANDSHAKE_STALL_MS              2000

/* Password failures: after this many from one address within the window, HELLO is refused
 * until it ends; at most this many addresses are remembered (ferry-auth.c). */
#define FERRY_AUTH_MAX_FAILURES               5
#define FERRY_AUTH_WINDOW_S                   60
#define FERRY_AUTH_MAX_ADDRESSES              4096

/* Sessions: idle timeouts after HELLO. */
#define FERRY_TRANSFER_TIMEOUT_S              60
#define FERRY_CONTROL_TIMEOUT_S               120
/* The output budget: the most bytes of frames (PONG, ERROR, snapshot OFFERs, events) that may
 * wait to be sent to one peer. A peer that lets more pile up does not read, and is dropped.
 * Download DATA is not counted: it is sent one chunk at a time from the session's own
 * buffer. */
#define FERRY_OUTPUT_BUDGET                   (256 * 1024)
/* The snapshot is queued up to FILL bytes at a time, and again once the peer has read it down
 * to REFILL (ferry-session-control.c). */
#define FERRY_SNAPSHOT_FILL                   (64 * 1024)
#define FERRY_SNAPSHOT_REFILL                 (16 * 1024)
/* How long a closing session may take to hand its last frames to a peer that does not read;
 * a transfer gets FERRY_TRANSFER_TIMEOUT_S, as for each of its chunks, so that a slow
 * downloader still gets END. */
#define FERRY_CLOSE_LINGER_S                  10
/* At shutdown, a peer with more than this still queued is dropped without a notice. */
#define FERRY_SHUTDOWN_NOTICE_MAX_QUEUED      (256 * 1024)
/* An UPLOAD that continues a token an earlier connection of the same owner still holds waits
 * this long for it to be let go before it gets a fresh token (ferry-partials.c). */
#define FERRY_PARTIALS_RELEASE_WAIT_S         5

/* The web front (docs/HTTP.md §2): an HTTP connection idles like a transfer, a WebSocket like
 * a control session; a JSON request body is at most a control payload. */
#define FERRY_WEB_JSON_MAX                    (64 * 1024)

/* How long a stop waits for connections to close and commits to finish. */
#define FERRY_STOP_DEADLINE_S                 10

G_END_DECLS
