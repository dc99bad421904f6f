/* ferry-client.h: the client engine shared by the desktop app and ferry-cli
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ferry-dialer.h"
#include "ferry-offer.h"
#include "ferry-transfer.h"

G_BEGIN_DECLS

#define FERRY_TYPE_CLIENT        (ferry_client_get_type ())
#define FERRY_TYPE_CLIENT_STATE  (ferry_client_state_get_type ())
#define FERRY_TYPE_CLIENT_PROBLEM (ferry_client_problem_get_type ())

typedef enum
{
  FERRY_CLIENT_DISCONNECTED,
  FERRY_CLIENT_CONNECTING,
  FERRY_CLIENT_CONNECTED,
} FerryClientState;

GType ferry_client_state_get_type (void) G_GNUC_CONST;

/* What keeps the control session from being connected (FerryClient:problem). The engine owns
 * every retry: it tries again by itself while the problem is OFFLINE or BUSY (with reconnect
 * on), and stops at the others, which need a person (ferry_client_problem_needs_person()):
 *   UNTRUSTED        a new server: show its fingerprint, ferry_client_trust_fingerprint();
 *   KEY_CHANGED      a pinned server presented another key: ferry_client_forget_server();
 *   PASSWORD_NEEDED  the server wants a password and none was sent: ferry_client_set_password();
 *   PASSWORD_WRONG   the password sent was refused (or the address is locked out): the same;
 *   VERSION          the server speaks another protocol version: only an upgrade helps.
 * ferry_client_get_error() holds the sentence to show for each. */
typedef enum
{
  FERRY_CLIENT_PROBLEM_NONE,
  FERRY_CLIENT_PROBLEM_OFFLINE,
  FERRY_CLIENT_PROBLEM_BUSY,
  FERRY_CLIENT_PROBLEM_UNTRUSTED,
  FERRY_CLIENT_PROBLEM_KEY_CHANGED,
  FERRY_CLIENT_PROBLEM_PASSWORD_NEEDED,
  FERRY_CLIENT_PROBLEM_PASSWORD_WRONG,
  FERRY_CLIENT_PROBLEM_VERSION,
} FerryClientProblem;

GType ferry_client_problem_get_type (void) G_GNUC_CONST;

/* Signals:
 *   "offer-added"   (FerryClient *, FerryOffer *)  a live OFFER after the snapshot
 *   "offer-removed" (FerryClient *, FerryOffer *)  a live DELETED
 *   "disconnected"  (FerryClient *, GError *)      the control session ended unasked
 * Properties: "address", "user-name", "state", "problem", "next-retry", "max-file-size",
 * "reconnect", "server-busy". */
G_DECLARE_FINAL_TYPE (FerryClient, ferry_client, FERRY, CLIENT, GObject)

/* "host", "host:port", "[v6addr]:port". Default port 5005. */
gboolean          ferry_parse_address                  (const char           *address,
                                                        char                **host,
                                                        guint16              *port,
                                                        GError              **error);

FerryClient      *ferry_client_new                     (const char           *address,
                                                        const char           *user_name);
const char       *ferry_client_get_address             (FerryClient          *self);
const char       *ferry_client_get_user_name           (FerryClient          *self);
/* NULL means $XDG_CONFIG_HOME/ferry/identity. Set before the first connection. */
void              ferry_client_set_identity_path       (FerryClient          *self,
                                                        const char           *path);
/* TLS is on by default; off only for a server started with --no-tls. */
void              ferry_client_set_tls                 (FerryClient          *self,
                                                        gboolean              tls);
gboolean          ferry_client_get_tls                 (FerryClient          *self);
/* NULL means $XDG_CONFIG_HOME/ferry/known-servers. */
void              ferry_client_set_known_servers_path  (FerryClient          *self,
                                                        const char           *path);
/* Sent in HELLO for servers started with --password-file. NULL for none. When the engine
 * stopped for PASSWORD_NEEDED or PASSWORD_WRONG, a new password makes it try again at once. */
void              ferry_client_set_password            (FerryClient          *self,
                                                        const char           *password);
/* The fingerprint (canonical form) the server presented in the last TLS handshake, whether
 * or not it was trusted; NULL before any. A FERRY_ERROR_UNTRUSTED error means: show this to
 * the user, and call ferry_client_trust_fingerprint() if they confirm it. */
const char       *ferry_client_get_server_fingerprint  (FerryClient          *self);
/* Pins @fingerprint for this client's address: at once in memory (for every client of the
 * process), in known-servers by a worker thread (a failure to write is logged). Fails only on
 * a malformed fingerprint or address. When the engine stopped for UNTRUSTED, it tries again
 * at once. */
gboolean          ferry_client_trust_fingerprint       (FerryClient          *self,
                                                        const char           *fingerprint,
                                                        GError              **error);
/* Forgets the pinned fingerprint of this client's address: deliberate trust reset, written
 * like a pin. When the engine stopped for KEY_CHANGED, it tries again at once (and then meets
 * UNTRUSTED). */
gboolean          ferry_client_forget_server           (FerryClient          *self,
                                                        GError              **error);
FerryClientState  ferry_client_get_state               (FerryClient          *self);
/* The last reason the control session failed or dropped, or NULL: the sentence to show with
 * the problem. */
const GError     *ferry_client_get_error               (FerryClient          *self);
FerryClientProblem ferry_client_get_problem            (FerryClient          *self);
/* When the engine tries again: a g_get_monotonic_time() value, or 0 when no try is planned
 * (connected, trying right now, stopped for a person, or reconnect off). */
gint64            ferry_client_get_next_retry          (FerryClient          *self);
/* The one place that says what an error of this client means: which problem it is, so
 * whether retrying can help. Also for one-shot calls (check, delete, transfers). */
FerryClientProblem ferry_client_problem_from_error     (FerryClient          *self,
                                                        const GError         *error);
/* TRUE for the problems that retrying can't solve: a person must answer. */
gboolean          ferry_client_problem_needs_person    (FerryClientProblem    problem);
/* From WELCOME; 0 until a connection has been made. */
guint64           ferry_client_get_max_file_size       (FerryClient          *self);
/* TRUE while a connection of this client waits to try again because the server was busy
 * (ERROR(BUSY) in reply to HELLO, or a close before any reply). The client retries on its own,
 * with backoff and jitter, for up to a minute; the app and CLI only show "Server busy,
 * waiting…". */
gboolean          ferry_client_get_server_busy         (FerryClient          *self);
/* How long one connection keeps asking a busy server before it gives up: 60 s by default, 0
 * for never asking again. */
void              ferry_client_set_busy_timeout        (FerryClient          *self,
                                                        guint                 seconds);
/* The engine connects and reconnects by itself, from the first failed attempt on, with one
 * backoff (1 s doubling to 30 s). Off by default. It turns itself off when a problem needs a
 * person, and back on when that is answered (trust, forget, a new password). */
void              ferry_client_set_reconnect           (FerryClient          *self,
                                                        gboolean              reconnect);
gboolean          ferry_client_get_reconnect           (FerryClient          *self);

/* A GListModel of FerryOffer, oldest first, kept live by the control session. A reconnect
 * replaces its contents with the new snapshot in one items-changed. */
GListModel       *ferry_client_get_offers              (FerryClient          *self);
/* The part that opens connections and keeps the idle ones (its pool): for tests. */
FerryDialer      *ferry_client_get_dialer              (FerryClient          *self);
FerryOffer       *ferry_client_lookup_offer            (FerryClient          *self,
                                                        const char           *id);
/* A GListModel of FerryTransfer: every transfer made by this client, in start order. */
GListModel       *ferry_client_get_transfers           (FerryClient          *self);

/* Removes every finished (done, failed or cancelled) transfer from the transfers model. */
void              ferry_client_clear_finished_transfers (FerryClient         *self);

/* Opens the control session and subscribes. Resolves once the snapshot is in the model. */
void              ferry_client_connect_async           (FerryClient          *self,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gboolean          ferry_client_connect_finish          (FerryClient          *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);
void              ferry_client_disconnect              (FerryClient          *self);

/* Connects, says HELLO, waits for WELCOME and closes: confirms that the server is reachable,
 * trusted (FERRY_ERROR_UNTRUSTED, FERRY_ERROR_FINGERPRINT_CHANGED) and that the password is
 * right (FERRY_ERROR_AUTH), before any real work. Fills in max-file-size. */
void              ferry_client_check_async             (FerryClient          *self,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gboolean          ferry_client_check_finish            (FerryClient          *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);

/* One request on its own connection; needs no subscription. */
void              ferry_client_delete_async            (FerryClient          *self,
                                                        const char           *offer_id,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gboolean          ferry_client_delete_finish           (FerryClient          *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);

/* A link for web browsers to one offer: the whole URL, "https://HOST:PORT/f/ID/NAME" (http://
 * without TLS; HOST as dialed, in brackets for IPv6), with a key valid @lifetime seconds (0:
 * until the offer is deleted) on a server with a password (PROTOCOL.md §5, Links). A server
 * whose WELCOME did not announce its web front is refused here, with a sentence, and never
 * asked. */
void              ferry_client_link_async              (FerryClient          *self,
                                                        const char           *offer_id,
                                                        guint64               lifetime,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
char             *ferry_client_link_finish             (FerryClient          *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);
/* From the last WELCOME (FALSE before any connection): the server also serves web browsers,
 * and it requires a password. */
gboolean          ferry_client_get_web                 (FerryClient          *self);
gboolean          ferry_client_get_auth                (FerryClient          *self);
/* The address of this server's web page, "https://HOST:PORT/". */
char             *ferry_client_dup_web_url             (FerryClient          *self);

/* The upload pre-checks, before any transfer exists: a device, an unreadable file, or one over
 * the server's max-file-size is refused with a sentence naming it, which the caller shows as it
 * is. A folder passes (its size is known only once it is walked). ferry_transfer_run_async()
 * makes the same checks (the same code). */
void              ferry_client_check_upload_async      (FerryClient          *self,
                                                        GFile                *file,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gboolean          ferry_client_check_upload_finish     (FerryClient          *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);

/* New transfers, not started: call ferry_transfer_run_async(). They share the dialer's
 * request connections (at most 4 at once, kept idle between requests). @name NULL means the
 * file's display name.
 *
 * Folders: ferry_client_upload() of a folder (from a chooser or a drop, as it is) shares the
 * whole tree as one offer; the transfer walks it in a thread, its total is the folder stream's
 * size, and ferry_transfer_get_folder_skipped() tells what was left out. ferry_client_download()
 * of an offer whose ferry_offer_is_folder() is TRUE saves the tree as a folder (its
 * ferry_transfer_get_file() once DONE), never replacing anything, whatever @flags say. */
FerryTransfer    *ferry_client_upload                  (FerryClient          *self,
                                                        GFile                *file,
                                                        const char           *name);
FerryTransfer    *ferry_client_download                (FerryClient          *self,
                                                        const char           *offer_id,
                                                        GFile                *destination,
                                                        FerryDownloadFlags    flags);
/* Resume or retry: a new transfer, not started, that makes the same request as @transfer
 * (finished: failed or cancelled), an upload of the same file or folder, or a download of
 * the same offer into the same place. It goes on from what the earlier run left where the
 * engine can (ferry_transfer_get_resumable(): a download's NAME.part and sidecar), and starts
 * over otherwise. When it runs, it takes @transfer's place in the transfers model, so that a
 * list shows one row for the two. */
FerryTransfer    *ferry_client_resume_transfer         (FerryClient          *self,
                                                        FerryTransfer        *transfer);

G_END_DECLS
