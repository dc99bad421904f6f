/* ferry-partials.h: unfinished uploads kept for resuming (PROTOCOL.md §5, Upload, Resume)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * FerryPartials pairs the blob store's partial files with the catalogue's records of them.
 * An upload is recorded before ACCEPT; when its connection ends before END it is kept for
 * ferry_partials_get_keep () seconds after its last activity, its bytes still counted in the
 * quota (as committed bytes are); the same owner may continue it with its token. Only one
 * connection uses a token at a time. Main thread, except where said.
 */
#pragma once

#include <gio/gio.h>

#include "ferry-blob-store.h"
#include "ferry-catalogue.h"
#include "ferry-checksum.h"
#include "ferry-folder-header.h"

G_BEGIN_DECLS

#define FERRY_DEFAULT_KEEP_PARTIAL_S ((guint64) 24 * 60 * 60)

#define FERRY_TYPE_PARTIALS (ferry_partials_get_type ())

G_DECLARE_FINAL_TYPE (FerryPartials, ferry_partials, FERRY, PARTIALS, GObject)

FerryPartials   *ferry_partials_new          (FerryBlobStore        *blob_store,
                                              FerryCatalogue        *catalogue);
/* Startup only (blocking): removes partial files without a record and records without a
 * file; returns the bytes of those kept, which the caller counts in the quota. */
guint64          ferry_partials_reconcile    (FerryPartials         *self,
                                              GError               **error);
/* Seconds an unfinished upload is kept (0: none). Expired ones are removed now and every
 * few minutes. */
void             ferry_partials_set_keep     (FerryPartials         *self,
                                              guint64                seconds);
guint64          ferry_partials_get_keep     (FerryPartials         *self);

/* Begins the upload @want describes (its token is ignored; owner, name, size and folder
 * option count): continues partial @token when it is kept for the same owner, size and
 * folder option and no other connection uses it, reading the bytes it holds (in a worker
 * thread) into the SHA-256 and, for a folder, the header parser that _finish hands over;
 * otherwise begins a fresh one with a new token. A fresh upload is recorded before the task
 * returns. The upload's offset says which it is. */
void             ferry_partials_begin_async  (FerryPartials         *self,
                                              const char            *token,
                                              const FerryPartialRow *want,
                                              GCancellable          *cancellable,
                                              GAsyncReadyCallback    callback,
                                              gpointer               user_data);
FerryBlobUpload *ferry_partials_begin_finish (FerryPartials         *self,
                                              GAsyncResult          *result,
                                              FerryChecksum        **checksum,
                                              FerryFolderParser    **parser,
                                              GError               **error);
/* The record of kept upload @token (in a worker thread), to continue it by its token alone
 * (the web front's GET and PUT); FERRY_ERROR_NOT_FOUND when none is kept. */
void             ferry_partials_lookup_async (FerryPartials         *self,
                                              const char            *token,
                                              GAsyncReadyCallback    callback,
                                              gpointer               user_data);
FerryPartialRow *ferry_partials_lookup_finish (FerryPartials        *self,
                                               GAsyncResult         *result,
                                               GError              **error);
/* The connection of @upload ended before a commit: keeps it for resuming when @keep and the
 * server keeps partials (its record only: the caller throws the bytes away otherwise). */
void             ferry_partials_end          (FerryPartials         *self,
                                              FerryBlobUpload       *upload,
                                              gboolean               keep);
/* @upload was committed: its record goes, and its earlier bytes leave the kept count. */
void             ferry_partials_committed    (FerryPartials         *self,
                                              FerryBlobUpload       *upload);
/* Runs the expiry now; for tests. */
void             ferry_partials_sweep        (FerryPartials         *self);

G_END_DECLS
