/* ferry-transfer.h: one upload or download, with properties that drive progress bars
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ferry-offer.h"

G_BEGIN_DECLS

#define FERRY_TYPE_TRANSFER            (ferry_transfer_get_type ())
#define FERRY_TYPE_TRANSFER_DIRECTION  (ferry_transfer_direction_get_type ())
#define FERRY_TYPE_TRANSFER_STATE      (ferry_transfer_state_get_type ())

typedef enum
{
  FERRY_TRANSFER_UPLOAD,
  FERRY_TRANSFER_DOWNLOAD,
} FerryTransferDirection;

typedef enum
{
  FERRY_TRANSFER_PENDING,     /* created, not started */
  FERRY_TRANSFER_CONNECTING,  /* opening the connection, handshake, request */
  FERRY_TRANSFER_RUNNING,     /* bytes moving */
  FERRY_TRANSFER_VERIFYING,   /* all bytes moved, waiting for the checksum verdict */
  FERRY_TRANSFER_DONE,
  FERRY_TRANSFER_FAILED,
  FERRY_TRANSFER_CANCELLED,
} FerryTransferState;

typedef enum
{
  FERRY_DOWNLOAD_FLAGS_NONE = 0,
  /* @destination is a folder (made if missing): save under the offer's name made safe, never
   * overwriting. */
  FERRY_DOWNLOAD_INTO_DIRECTORY = 1 << 0,
  /* @destination is a file the user chose and may replace (a save dialog confirmed it).
   * Without this flag an existing file is kept and "name (1).ext" is used instead. */
  FERRY_DOWNLOAD_OVERWRITE = 1 << 1,
  /* Start over: remove what an earlier run of this download left (NAME.part and its sidecar)
   * instead of going on from it. */
  FERRY_DOWNLOAD_NO_RESUME = 1 << 2,
} FerryDownloadFlags;

GType ferry_transfer_direction_get_type (void) G_GNUC_CONST;
GType ferry_transfer_state_get_type (void) G_GNUC_CONST;

G_DECLARE_FINAL_TYPE (FerryTransfer, ferry_transfer, FERRY, TRANSFER, GObject)

FerryTransferDirection ferry_transfer_get_direction        (FerryTransfer        *self);
FerryTransferState     ferry_transfer_get_state            (FerryTransfer        *self);
/* The offer's name: known at once for uploads, after the server answers for downloads. */
const char            *ferry_transfer_get_name             (FerryTransfer        *self);
/* Upload: the source. Download: the final file, known once the transfer is running. */
GFile                 *ferry_transfer_get_file             (FerryTransfer        *self);
/* Upload: the committed offer, once DONE. Download: the offer being fetched, once RUNNING. */
FerryOffer            *ferry_transfer_get_offer            (FerryTransfer        *self);
guint64                ferry_transfer_get_bytes_done       (FerryTransfer        *self);
guint64                ferry_transfer_get_total            (FerryTransfer        *self);
double                 ferry_transfer_get_fraction         (FerryTransfer        *self);
double                 ferry_transfer_get_bytes_per_second (FerryTransfer        *self);
/* Seconds left at the current rate, or -1 when unknown. */
gint64                 ferry_transfer_get_seconds_left     (FerryTransfer        *self);
/* TRUE while the transfer waits to try again because the server is busy (it stays CONNECTING);
 * the engine retries on its own, with backoff, for up to a minute. */
gboolean               ferry_transfer_get_server_busy      (FerryTransfer        *self);
const GError          *ferry_transfer_get_error            (FerryTransfer        *self);
/* Resuming: a transfer runs once. A download that failed or was cancelled keeps NAME.part and
 * its sidecar NAME.part.ferry (not after a checksum mismatch); a new download of the same
 * offer into the same place (same folder, or same chosen file) picks them up and continues
 * after the bytes that are still good, unless FERRY_DOWNLOAD_NO_RESUME. This is TRUE when the
 * finished transfer left such state, so that running it again continues it. */
gboolean               ferry_transfer_get_resumable        (FerryTransfer        *self);
/* An upload continues an earlier one of the same file to the same server that was cut off,
 * unless this is set to FALSE before it starts. */
void                   ferry_transfer_set_resume           (FerryTransfer        *self,
                                                            gboolean              resume);
gboolean               ferry_transfer_is_finished          (FerryTransfer        *self);
/* A folder: uploaded (ferry_client_upload() of a folder) or downloaded (an offer whose
 * ferry_offer_is_folder() is TRUE) as one offer, the tree under one name. */
gboolean               ferry_transfer_get_is_folder        (FerryTransfer        *self);
/* An upload of a folder: how many entries (symbolic links, sockets, devices, FIFOs, names
 * that are not UTF-8) were left out, and the first one's path inside it (@first may be NULL;
 * it stays NULL when nothing was left out). Known once the transfer is RUNNING. */
guint                  ferry_transfer_get_folder_skipped   (FerryTransfer        *self,
                                                            const char          **first);

/* Runs the transfer to the end. Resolves TRUE when DONE; FALSE with the error otherwise
 * (G_IO_ERROR_CANCELLED after ferry_transfer_cancel()). Call once. */
void                   ferry_transfer_run_async            (FerryTransfer        *self,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gboolean               ferry_transfer_run_finish           (FerryTransfer        *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);
void                   ferry_transfer_cancel               (FerryTransfer        *self);

G_END_DECLS
