/* ferry-store.h: one blob store and one catalogue, as the server and its sessions use them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ferry-blob-store.h"
#include "ferry-catalogue.h"
#include "ferry-partials.h"

G_BEGIN_DECLS

#define FERRY_TYPE_STORE (ferry_store_get_type ())

G_DECLARE_FINAL_TYPE (FerryStore, ferry_store, FERRY, STORE, GObject)

/* The default store: files in DIR (ferry-local-blob-store.h) and DIR/catalogue.sqlite
 * (ferry-sqlite-catalogue.h). Blocking. */
FerryStore     *ferry_store_new               (const char           *data_dir,
                                               GError              **error);
/* A store over any blob store and catalogue, e.g. the in-memory ones for tests. */
FerryStore     *ferry_store_new_for           (FerryBlobStore       *blob_store,
                                               FerryCatalogue       *catalogue);
/* Startup only (blocking): makes the blobs and the catalogue agree (ferry_blob_store_reconcile)
 * and counts the surviving rows against the quota. Returns them, oldest first. */
GPtrArray      *ferry_store_reconcile         (FerryStore           *self,
                                               GError              **error);
/* Closes the catalogue; the store is useless afterwards. */
void            ferry_store_close             (FerryStore           *self);

FerryCatalogue *ferry_store_get_catalogue     (FerryStore           *self);
FerryBlobStore *ferry_store_get_blob_store    (FerryStore           *self);
/* Unfinished uploads kept for resuming. */
FerryPartials  *ferry_store_get_partials      (FerryStore           *self);

/* Quota and space. An upload in progress holds what it has written so far plus a bounded
 * part ahead of it, reserved as its DATA arrives: an upload that was announced but sends nothing
 * holds nothing. The quota counts committed blobs, the bytes written by uploads in progress and
 * their reservations ahead; the blob store keeps room for every reservation ahead. A quota of 0
 * means unlimited. The bookkeeping is the catalogue's (ferry-catalogue.h), the free space the
 * blob store's. */
#define FERRY_STORE_RESERVE_AHEAD        ((guint64) 4 * 1024 * 1024)   /* per upload */

void            ferry_store_set_quota         (FerryStore           *self,
                                               guint64               quota);
guint64         ferry_store_get_used          (FerryStore           *self);

/* Whether an upload of @size fits the quota and the free space now (FERRY_ERROR_NO_SPACE
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
 * @rest bytes still to come, against the quota and the free space. Returns the bytes reserved,
 * or 0 with FERRY_ERROR_NO_SPACE saying which limit is reached. The reservation is held from
 * the moment the task returns, so the caller must always call _finish and eventually hand the
 * bytes back with _charge or _release. */
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

/* Starts an upload with a fresh token (ferry_blob_upload_get_token). The callback's source
 * object is the blob store: finish with the store's own _finish. An upload begun just as
 * @cancellable fires is still returned, to be aborted. */
void             ferry_store_begin_upload_async  (FerryStore           *self,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
FerryBlobUpload *ferry_store_begin_upload_finish (FerryStore           *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);
/* Throws away an unfinished upload; space checks that would fail wait for that. */
void            ferry_store_abort_upload_async  (FerryStore           *self,
                                                 FerryBlobUpload      *upload,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
void            ferry_store_abort_upload_finish (FerryStore           *self,
                                                 GAsyncResult         *result);

/* Takes a fresh offer id from the catalogue, makes @upload the blob ID (durable before the
 * row exists) and inserts @row with that id (durable before the task returns); a failed insert
 * removes the blob again. Once started, a commit runs to its end. @row must not be shared
 * until the commit finishes. Returns a new reference to @row. */
void               ferry_store_commit_async   (FerryStore           *self,
                                               FerryBlobUpload      *upload,
                                               FerryCatalogueRow    *row,
                                               GCancellable         *cancellable,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
FerryCatalogueRow *ferry_store_commit_finish  (FerryStore           *self,
                                               GAsyncResult         *result,
                                               GError              **error);

/* Deletes the catalogue row (FERRY_ERROR_NOT_FOUND if there is none), then the blob. @size is
 * the offer's size, for the quota. */
void               ferry_store_remove_async   (FerryStore           *self,
                                               const char           *id,
                                               guint64               size,
                                               GCancellable         *cancellable,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
gboolean           ferry_store_remove_finish  (FerryStore           *self,
                                               GAsyncResult         *result,
                                               GError              **error);

/* A stream of blob @id from @offset on (ferry_blob_store_open_async; the callback's source
 * object is the blob store). */
void               ferry_store_open_blob_async  (FerryStore           *self,
                                                 const char           *id,
                                                 guint64               offset,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
GInputStream      *ferry_store_open_blob_finish (FerryStore           *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

/* TRUE while a commit or removal runs. */
gboolean           ferry_store_is_busy        (FerryStore           *self);

G_END_DECLS
