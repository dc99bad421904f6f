/* ferry-dialer.h: makes one connection to a server ready for a request (TCP, TLS with the
 * pinned fingerprint, HELLO and WELCOME), asking a busy server again within a budget
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ferry-connection.h"
#include "ferry-message.h"

G_BEGIN_DECLS

#define FERRY_TYPE_DIALER (ferry_dialer_get_type ())

/* PROTOCOL.md §1: request connections kept idle per server, and for how long. */
#define FERRY_DIALER_MAX_IDLE     4
#define FERRY_DIALER_IDLE_SECONDS 30

/* Properties: "address", "user-name" (construct-only), "tls", "server-fingerprint",
 * "max-file-size", "server-busy". */
G_DECLARE_FINAL_TYPE (FerryDialer, ferry_dialer, FERRY, DIALER, GObject)

/* Called with TRUE when an open starts waiting for a busy server, FALSE when it stops. */
typedef void (*FerryDialerWaitingFunc) (gpointer data,
                                        gboolean waiting);

/* @address as ferry_parse_address() reads it (NULL: localhost); @user_name NULL or empty
 * means the real name, or else the login name. */
FerryDialer      *ferry_dialer_new                    (const char             *address,
                                                       const char             *user_name);
const char       *ferry_dialer_get_address            (FerryDialer            *self);
const char       *ferry_dialer_get_user_name          (FerryDialer            *self);
/* NULL means $XDG_CONFIG_HOME/ferry/identity (or known-servers). Set before the first open. */
void              ferry_dialer_set_identity_path      (FerryDialer            *self,
                                                       const char             *path);
void              ferry_dialer_set_known_servers_path (FerryDialer            *self,
                                                       const char             *path);
void              ferry_dialer_set_tls                (FerryDialer            *self,
                                                       gboolean                tls);
gboolean          ferry_dialer_get_tls                (FerryDialer            *self);
/* Sent in HELLO; NULL or "" for none. */
void              ferry_dialer_set_password           (FerryDialer            *self,
                                                       const char             *password);
gboolean          ferry_dialer_has_password           (FerryDialer            *self);
/* TRUE when the last HELLO sent carried a password: a refusal then means a wrong one. */
gboolean          ferry_dialer_get_sent_password      (FerryDialer            *self);
/* The fingerprint the server presented in the last TLS handshake, trusted or not. */
const char       *ferry_dialer_get_server_fingerprint (FerryDialer            *self);
/* Pins @fingerprint (or forgets the pin) for this address: in memory at once, on disk in the
 * background. Fails on a malformed fingerprint or address. */
gboolean          ferry_dialer_trust_fingerprint      (FerryDialer            *self,
                                                       const char             *fingerprint,
                                                       GError                **error);
gboolean          ferry_dialer_forget_server          (FerryDialer            *self,
                                                       GError                **error);
/* Waits until the pins written so far are on disk: for a program about to exit. */
void              ferry_dialer_flush                  (FerryDialer            *self);
/* From the last WELCOME; 0 until an open succeeded. */
guint64           ferry_dialer_get_max_file_size      (FerryDialer            *self);
/* The last WELCOME's keep-partial: seconds the server keeps an unfinished upload (0: none). */
guint64           ferry_dialer_get_keep_partial       (FerryDialer            *self);
/* The last WELCOME's web and auth: the port also serves browsers (only then does the server
 * answer LINK), and the server requires a password. FALSE until an open succeeded. */
gboolean          ferry_dialer_get_web                (FerryDialer            *self);
gboolean          ferry_dialer_get_auth               (FerryDialer            *self);
/* "https://HOST:PORT" (or "http://" without TLS), the host in brackets when it is an IPv6
 * address, followed by @path: the address a browser uses for this server. */
char             *ferry_dialer_make_web_url           (FerryDialer            *self,
                                                       const char             *path);
/* TRUE while any open of this dialer waits to ask a busy server again. */
gboolean          ferry_dialer_get_server_busy        (FerryDialer            *self);
/* How long one open keeps asking a busy server: 60 s by default, 0 for never again. */
void              ferry_dialer_set_busy_timeout       (FerryDialer            *self,
                                                       guint                   seconds);

/* Connects, sets up TLS, sends HELLO and waits for WELCOME: the result is a FerryConnection
 * ready for one request. A new server is FERRY_ERROR_UNTRUSTED (see "server-fingerprint"). */
void              ferry_dialer_open_async             (FerryDialer            *self,
                                                       GCancellable           *cancellable,
                                                       GAsyncReadyCallback     callback,
                                                       gpointer                user_data);
/* Like ferry_dialer_open_async(), telling @waiting_func (which must outlive the call) when it
 * waits for a busy server. */
void              ferry_dialer_open_full_async        (FerryDialer            *self,
                                                       FerryDialerWaitingFunc  waiting_func,
                                                       gpointer                waiting_data,
                                                       GCancellable           *cancellable,
                                                       GAsyncReadyCallback     callback,
                                                       gpointer                user_data);
FerryConnection  *ferry_dialer_open_finish            (FerryDialer            *self,
                                                       GAsyncResult           *result,
                                                       GError                **error);

/* Sends @request (a ferry_msg_*_new() frame, taken) on an idle request connection if one is
 * kept, else on a new one, and reads the first frame of the answer. A reused connection that
 * the server closed while idle is replaced once, transparently (PROTOCOL.md §1). */
void              ferry_dialer_request_async          (FerryDialer            *self,
                                                       GBytes                 *request,
                                                       FerryDialerWaitingFunc  waiting_func,
                                                       gpointer                waiting_data,
                                                       GCancellable           *cancellable,
                                                       GAsyncReadyCallback     callback,
                                                       gpointer                user_data);
/* The answer's first message, of type @expected (ERROR becomes the GError it carries), and the
 * connection to go on with (give it back with ferry_dialer_release() once answered). */
GVariant         *ferry_dialer_request_finish         (FerryDialer            *self,
                                                       GAsyncResult           *result,
                                                       FerryMessageType        expected,
                                                       FerryConnection       **connection,
                                                       GError                **error);
/* A connection whose request got its whole answer: kept idle for the next request (at most
 * FERRY_DIALER_MAX_IDLE, each for FERRY_DIALER_IDLE_SECONDS), or closed. */
void              ferry_dialer_release                (FerryDialer            *self,
                                                       FerryConnection        *connection);
/* How many connections this dialer has opened: for tests of the pool. */
guint             ferry_dialer_get_n_opened           (FerryDialer            *self);
/* Reads one frame's payload; an ERROR frame becomes the GError it carries, and any type other
 * than @expected is FERRY_ERROR_UNEXPECTED. */
GVariant         *ferry_expect_message                (FerryFrame             *frame,
                                                       FerryMessageType        expected,
                                                       GError                **error);
/* ferry_connection_read_finish() and ferry_expect_message() in one. */
GVariant         *ferry_read_expected_finish          (FerryConnection        *connection,
                                                       GAsyncResult           *result,
                                                       FerryMessageType        expected,
                                                       GError                **error);

G_END_DECLS
