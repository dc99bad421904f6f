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

/* Quota: the total size of committed blobs plus reservations of uploads in progress.
 * 0 means unlimited. */
void            ferry_store_set_quota         (FerryStore           *self,
                                               guint64               quota);
guint64         ferry_store_get_used          (FerryStore           *self);
gboolean        ferry_store_reserve           (FerryStore           *self,
                                               guint64               size,
                                               GError              **error);
void            ferry_store_release           (FerryStore           *self,
                                               guint64               size);

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
