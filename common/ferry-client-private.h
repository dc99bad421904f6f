/* ferry-client-private.h: what FerryClient and FerryTransfer share inside common/
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ferry-client.h"
#include "ferry-connection.h"
#include "ferry-message.h"

G_BEGIN_DECLS

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
