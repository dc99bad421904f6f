/* ferry-transfer-queue.h: work on connections of its own: every transfer (at most
 * FERRY_TRANSFER_QUEUE_MAX_ACTIVE running at once, the rest waiting in order), and the
 * one-shot check, delete and link requests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ferry-dialer.h"
#include "ferry-transfer.h"

G_BEGIN_DECLS

#define FERRY_TYPE_TRANSFER_QUEUE (ferry_transfer_queue_get_type ())

/* At most this many transfers run at once; the rest wait, in order. */
#define FERRY_TRANSFER_QUEUE_MAX_ACTIVE 4

/* Properties: "dialer" (construct-only). */
G_DECLARE_FINAL_TYPE (FerryTransferQueue, ferry_transfer_queue, FERRY, TRANSFER_QUEUE, GObject)

FerryTransferQueue *ferry_transfer_queue_new               (FerryDialer          *dialer);
FerryDialer        *ferry_transfer_queue_get_dialer        (FerryTransferQueue   *self);
/* A GListModel of FerryTransfer: every transfer run through this queue, in start order. */
GListModel         *ferry_transfer_queue_get_transfers     (FerryTransferQueue   *self);
/* Removes every finished (done, failed or cancelled) transfer from the model. */
void                ferry_transfer_queue_clear_finished    (FerryTransferQueue   *self);
/* Cancels every transfer and empties the model. */
void                ferry_transfer_queue_cancel_all        (FerryTransferQueue   *self);

/* Opens a connection and closes it: reachable, trusted, the right password. */
void                ferry_transfer_queue_check_async       (FerryTransferQueue   *self,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gboolean            ferry_transfer_queue_check_finish      (FerryTransferQueue   *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);
/* DELETE on a connection of its own. */
void                ferry_transfer_queue_delete_async      (FerryTransferQueue   *self,
                                                            const char           *offer_id,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gboolean            ferry_transfer_queue_delete_finish     (FerryTransferQueue   *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);

/* LINK on a request connection: the path of a browser link to @offer_id, valid @lifetime
 * seconds (0: until the offer is deleted). Refused without sending when the server's WELCOME
 * did not announce its web front. */
void                ferry_transfer_queue_link_async        (FerryTransferQueue   *self,
                                                            const char           *offer_id,
                                                            guint64               lifetime,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
char               *ferry_transfer_queue_link_finish       (FerryTransferQueue   *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);

/* For FerryTransfer: ferry_transfer_run_async() adds it to the model and asks for a slot;
 * ferry_transfer_begin() is called when it has one; it gives the slot back when it ends. */
void                ferry_transfer_queue_track             (FerryTransferQueue   *self,
                                                            FerryTransfer        *transfer);
/* When @transfer is run, it takes @old's place in the model (if @old is still there). */
void                ferry_transfer_queue_replace_on_run    (FerryTransferQueue   *self,
                                                            FerryTransfer        *transfer,
                                                            FerryTransfer        *old);
void                ferry_transfer_queue_schedule          (FerryTransferQueue   *self,
                                                            FerryTransfer        *transfer);
void                ferry_transfer_queue_done              (FerryTransferQueue   *self,
                                                            FerryTransfer        *transfer);

G_END_DECLS
