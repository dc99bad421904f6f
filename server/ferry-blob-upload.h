/* ferry-blob-upload.h: one upload being written into a blob store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FERRY_TYPE_BLOB_UPLOAD (ferry_blob_upload_get_type ())

G_DECLARE_FINAL_TYPE (FerryBlobUpload, ferry_blob_upload, FERRY, BLOB_UPLOAD, GObject)

typedef struct _FerryBlobStore FerryBlobStore;

/* For blob store implementations: an upload named @token, written through @stream from
 * @offset on (0 for a new upload; what is already there for one reopened by its token). */
FerryBlobUpload *ferry_blob_upload_new         (FerryBlobStore       *store,
                                                const char           *token,
                                                GOutputStream        *stream,
                                                guint64               offset);
FerryBlobStore  *ferry_blob_upload_get_store   (FerryBlobUpload      *self);
const char      *ferry_blob_upload_get_token   (FerryBlobUpload      *self);
GOutputStream   *ferry_blob_upload_get_stream  (FerryBlobUpload      *self);
guint64          ferry_blob_upload_get_offset  (FerryBlobUpload      *self);

/* Blocking, for a worker thread: makes what was written durable and the blob @id, readable
 * with ferry_blob_store_open_async (). */
gboolean         ferry_blob_upload_commit        (FerryBlobUpload      *self,
                                                  const char           *id,
                                                  GError              **error);
/* In a worker thread: throws away what was written and gives its space back. Never fails. */
void             ferry_blob_upload_abort_async   (FerryBlobUpload      *self,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
void             ferry_blob_upload_abort_finish  (FerryBlobUpload      *self,
                                                  GAsyncResult         *result);

G_END_DECLS
