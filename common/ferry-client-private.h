/* ferry-client-private.h: what FerryClient and FerryTransfer share inside common/
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ferry-client.h"
#include "ferry-connection.h"
#include "ferry-message.h"
#include "ferry-trust-store.h"

G_BEGIN_DECLS

/* ---- FerryClient's insides, shared by its files: ferry-client.c (the façade), ferry-dialer.c,
 * ferry-subscription.c and ferry-transfer-queue.c. ---- */

struct _FerryClient
{
  GObject parent_instance;

  /* owned references */
  char             *address;
  char             *host;
  char             *user_name;
  char             *identity_path;
  char             *known_servers_path;
  char             *password;
  char             *server_fingerprint;
  char             *pin_key;          /* host:port in known-servers */
  GError           *error;
  GListStore       *offers;
  GHashTable       *offers_by_id;     /* id -> FerryOffer, borrowed from offers */
  GListStore       *transfers;
  FerryConnection  *control;
  GCancellable     *control_cancellable;
  GPtrArray        *snapshot;         /* FerryOffer, while subscribing */
  GTask            *connect_task;
  FerryTrustStore  *trust;            /* identity and pins, cached; NULL until needed */
  GQueue            queued_transfers;  /* FerryTransfer, owned, waiting for a slot */
  GHashTable       *active_transfers;  /* FerryTransfer, borrowed, running */

  guint64           max_file_size;
  gint64            next_retry;        /* monotonic, 0 for none planned */
  FerryClientState  state;
  FerryClientProblem problem;
  guint16           port;
  guint             ping_source;
  guint             reconnect_source;
  guint             reconnect_delay;
  guint             n_busy_waits;     /* opens waiting for a busy server */
  guint             busy_timeout;     /* seconds to keep asking a busy server */
  guint             reconnect : 1;
  guint             resume_on_answer : 1;  /* reconnect stopped for a person's answer */
  guint             sent_password : 1;     /* the last HELLO carried a password */
  guint             address_valid : 1;
  guint             tls : 1;
};

/* ferry-client.c: setters that notify, and signals. */
void              ferry_client_set_state         (FerryClient          *self,
                                                  FerryClientState      state);
void              ferry_client_set_problem       (FerryClient          *self,
                                                  FerryClientProblem    problem,
                                                  gint64                next_retry);
/* Notifies "problem" though it kept its value: a new stop for the same question. */
void              ferry_client_notify_problem    (FerryClient          *self);
void              ferry_client_set_max_file_size (FerryClient          *self,
                                                  guint64               max_file_size);
/* An open starts (TRUE) or stops (FALSE) waiting for a busy server: "server-busy". */
void              ferry_client_count_busy_wait   (FerryClient          *self,
                                                  gboolean              waiting);
void              ferry_client_emit_offer_added  (FerryClient          *self,
                                                  FerryOffer           *offer);
void              ferry_client_emit_offer_removed (FerryClient         *self,
                                                  FerryOffer           *offer);
void              ferry_client_emit_disconnected (FerryClient          *self,
                                                  const GError         *error);
/* The identity and pins for the client's files (ferry-trust-store.c). */
FerryTrustStore  *ferry_client_get_trust         (FerryClient          *self);

/* ferry-subscription.c: opens the control session (state CONNECTING). */
void              ferry_subscription_start       (FerryClient          *self);

/* ---- for FerryTransfer ---- */


/* Connects, sends HELLO and waits for WELCOME. The result is a FerryConnection ready for one
 * request. */
void              ferry_client_open_async        (FerryClient          *self,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
/* Called with TRUE when the open starts waiting for a busy server, FALSE when it stops. */
typedef void (*FerryOpenWaitingFunc) (gpointer data,
                                      gboolean waiting);
/* Like ferry_client_open_async(), telling @waiting_func (which must outlive the call) when it
 * waits for a busy server. */
void              ferry_client_open_full_async   (FerryClient          *self,
                                                  FerryOpenWaitingFunc  waiting_func,
                                                  gpointer              waiting_data,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
FerryConnection  *ferry_client_open_finish       (FerryClient          *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);
void              ferry_client_track_transfer    (FerryClient          *self,
                                                  FerryTransfer        *transfer);
/* At most FERRY_CLIENT_MAX_ACTIVE_TRANSFERS run at once; the rest wait, in order. */
#define FERRY_CLIENT_MAX_ACTIVE_TRANSFERS 4
void              ferry_client_schedule_transfer (FerryClient          *self,
                                                  FerryTransfer        *transfer);
void              ferry_client_transfer_done     (FerryClient          *self,
                                                  FerryTransfer        *transfer);

FerryTransfer    *ferry_transfer_new_upload      (FerryClient          *client,
                                                  GFile                *file,
                                                  const char           *name);
FerryTransfer    *ferry_transfer_new_download    (FerryClient          *client,
                                                  const char           *offer_id,
                                                  GFile                *destination,
                                                  FerryDownloadFlags    flags);

/* Reads one frame and parses it; an ERROR frame becomes the GError it carries, and any type
 * other than @expected is FERRY_ERROR_UNEXPECTED. Returns the parsed payload. */
GVariant         *ferry_expect_message           (FerryFrame           *frame,
                                                  FerryMessageType      expected,
                                                  GError              **error);

/* ferry_connection_read_finish() and ferry_expect_message() in one: the parsed payload of a
 * frame of type @expected, or NULL with the error (an ERROR frame's, or UNEXPECTED). */
GVariant         *ferry_read_expected_finish     (FerryConnection      *connection,
                                                  GAsyncResult         *result,
                                                  FerryMessageType      expected,
                                                  GError              **error);

G_END_DECLS
