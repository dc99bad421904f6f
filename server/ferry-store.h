/* ferry-store.h: the data directory: blobs/, partial/ and the catalogue
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ferry-catalogue.h"

G_BEGIN_DECLS

#define FERRY_TYPE_STORE (ferry_store_get_type ())

G_DECLARE_FINAL_TYPE (FerryStore, ferry_store, FERRY, STORE, GObject)

/* Creates DIR, DIR/blobs and DIR/partial (mode 0700) and opens DIR/catalogue.sqlite. */
FerryStore     *ferry_store_new               (const char           *data_dir,
                                               GError              **error);
/* Startup only (blocking): drops rows without a blob or with a blob of the wrong size and every
 * stale partial file. Blobs without a row, or of the wrong size, are never deleted: they move
 * to DIR/lost+found/ (NAME, or NAME.N when taken), with a warning. Returns the surviving rows,
 * oldest first. */
GPtrArray      *ferry_store_reconcile         (FerryStore           *self,
                                               GError              **error);
/* Closes the catalogue; the store is useless afterwards. */
void            ferry_store_close             (FerryStore           *self);

FerryCatalogue *ferry_store_get_catalogue     (FerryStore           *self);
GFile          *ferry_store_get_dir           (FerryStore           *self);
GFile          *ferry_store_get_partial_file  (FerryStore           *self,
                                               const char           *token);
GFile          *ferry_store_get_blob_file     (FerryStore           *self,
                                               const char           *id);
/* 16 random lowercase hex digits: upload tokens and offer ids. */
char           *ferry_store_new_token         (void);

/* Quota and disk space. An upload in progress holds what it has written so far plus a bounded
 * part ahead of it, reserved as its DATA arrives: an upload that was announced but sends nothing
 * holds nothing. The quota counts committed blobs, the bytes written by uploads in progress and
 * their reservations ahead; the disk keeps a margin free and room for every reservation ahead.
 * A quota of 0 means unlimited. */
#define FERRY_STORE_RESERVE_AHEAD        ((guint64) 4 * 1024 * 1024)   /* per upload */
#define FERRY_STORE_ADDRESS_AHEAD_MAX    ((guint64) 16 * 1024 * 1024)  /* per client address */

void            ferry_store_set_quota         (FerryStore           *self,
                                               guint64               quota);
guint64         ferry_store_get_used          (FerryStore           *self);

/* Whether an upload of @size fits the quota and the free disk space now (FERRY_ERROR_NO_SPACE
 * with the reason if not). Reserves nothing. */
void            ferry_store_check_upload_async  (FerryStore           *self,
                                                 guint64               size,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean        ferry_store_check_upload_finish (FerryStore           *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);
/* Reserves at least @need and at most @want bytes ahead for an upload from @address, which has
 * @rest bytes still to come, against the quota and the disk. Returns the bytes reserved, or 0 with FERRY_ERROR_NO_SPACE saying
 * which limit is reached. The reservation is held from the moment the task returns, so the
 * caller must always call _finish and eventually hand the bytes back with _charge or
 * _release. */
void            ferry_store_reserve_async     (FerryStore           *self,
                                               const char           *address,
                                               guint64               need,
                                               guint64               want,
                                               guint64               rest,
                                               GCancellable         *cancellable,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
guint64         ferry_store_reserve_finish    (FerryStore           *self,
                                               GAsyncResult         *result,
                                               GError              **error);
/* @size bytes reserved ahead by @address are now written. */
void            ferry_store_charge            (FerryStore           *self,
                                               const char           *address,
                                               guint64               size);
/* An upload from @address ended: gives back @ahead bytes reserved and @written bytes written
 * (which a successful commit now counts as committed). */
void            ferry_store_release           (FerryStore           *self,
                                               const char           *address,
                                               guint64               ahead,
                                               guint64               written);
/* Removes an unfinished upload's partial file (emptying it first through @stream, if it is
 * still open); space checks that would fail wait for that. */
void            ferry_store_delete_partial_async  (FerryStore           *self,
                                                   GFile                *file,
                                                   GOutputStream        *stream,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
gboolean        ferry_store_delete_partial_finish (FerryStore           *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);

/* In a worker thread: fsyncs and closes @stream (the partial file @token), renames it to
 * blobs/ID with a fresh unique ID, fsyncs blobs/, and inserts @row (its id is filled in).
 * @row must not be shared until the commit finishes. Returns a new reference to @row. */
void               ferry_store_commit_async   (FerryStore           *self,
                                               GOutputStream        *stream,
                                               const char           *token,
                                               FerryCatalogueRow    *row,
                                               GCancellable         *cancellable,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
FerryCatalogueRow *ferry_store_commit_finish  (FerryStore           *self,
                                               GAsyncResult         *result,
                                               GError              **error);

/* In a worker thread: deletes the catalogue row (FERRY_ERROR_NOT_FOUND if there is none), then
 * unlinks the blob. @size is the offer's size, for the quota. */
void               ferry_store_remove_async   (FerryStore           *self,
                                               const char           *id,
                                               guint64               size,
                                               GCancellable         *cancellable,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
gboolean           ferry_store_remove_finish  (FerryStore           *self,
                                               GAsyncResult         *result,
                                               GError              **error);

/* TRUE while a commit or removal runs in a thread. */
gboolean           ferry_store_is_busy        (FerryStore           *self);

G_END_DECLS
