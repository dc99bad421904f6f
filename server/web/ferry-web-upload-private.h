/* ferry-web-upload-private.h: what the web front's upload files share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ferry-web-upload.c holds the uploads between requests (by token) and answers the JSON
 * requests; ferry-web-upload-put.c streams PUT bodies to them.
 */
#pragma once

#include "ferry-web-private.h"
#include "ferry-upload-job.h"

G_BEGIN_DECLS

/* In memory between requests; then kept on disk only (--keep-partial). */
#define FERRY_WEB_UPLOAD_IDLE_S        600
/* Uploads held in memory per address (each holds an open file). */
#define FERRY_WEB_UPLOADS_PER_ADDRESS  32

/* One upload the web front holds between requests. */
typedef struct
{
  FerryUploadJob *job;
  char           *address;
  guint8          owner_hash[FERRY_CATALOGUE_HASH_SIZE];
  gint64          active;     /* monotonic µs of the last request that used it */
  gboolean        busy;       /* a request uses it: others get 409 */
} FerryWebUpload;

typedef void (*FerryWebUploadFound) (FerryWeb          *web,
                                     SoupServerMessage *msg,
                                     FerryWebUpload    *upload);

/* A job for @msg's peer, uploader and owner, with the server's limits. */
FerryUploadJob *ferry_web_upload_new_job   (FerryWeb           *web,
                                            SoupServerMessage  *msg,
                                            const char         *uploader,
                                            const guint8       *owner_hash);
/* Holds @job (begun) under its token. */
FerryWebUpload *ferry_web_upload_hold      (FerryWeb           *web,
                                            SoupServerMessage  *msg,
                                            FerryUploadJob     *job,
                                            const guint8       *owner_hash);
/* Lets go of the upload @token once it is over (committed or thrown away). */
void            ferry_web_upload_forget    (FerryWeb           *web,
                                            const char         *token);
/* Whether @msg's address may hold one more upload; answers 429 if not. */
gboolean        ferry_web_upload_check_room (FerryWeb          *web,
                                             SoupServerMessage *msg);
/* Calls @found with the upload @token of the request's owner (X-Ferry-Owner), now or once a
 * kept one is continued (@msg paused meanwhile), or answers 403, 404 or 409 (another request
 * uses it; a GET of the offset may). */
void            ferry_web_upload_find      (FerryWeb           *web,
                                            SoupServerMessage  *msg,
                                            const char         *token,
                                            FerryWebUploadFound found);
/* Commits @upload, checked against @sha256 (NULL: nothing to check), and answers 201 with the
 * offer, plus "owner": @owner when not NULL; the upload is forgotten either way. */
void            ferry_web_upload_finish    (FerryWeb           *web,
                                            SoupServerMessage  *msg,
                                            FerryWebUpload     *upload,
                                            const guint8       *sha256,
                                            const char         *owner);
/* Pauses @msg while async work runs; _resume unpauses it unless it ended meanwhile (the peer
 * went away). */
void            ferry_web_upload_pause     (SoupServerMessage  *msg);
void            ferry_web_upload_resume    (SoupServerMessage  *msg);
gboolean        ferry_web_upload_ended     (SoupServerMessage  *msg);
/* 409 CONFLICT with the sentence and, when @offset >= 0, the server's offset. */
void            ferry_web_upload_reply_conflict (SoupServerMessage *msg,
                                                 const char        *sentence,
                                                 gint64             offset);
void            ferry_web_upload_reply_offset   (SoupServerMessage *msg,
                                                 FerryUploadJob    *job);

/* ferry-web-upload-put.c: the early functions of PUT /api/uploads/TOKEN and
 * PUT /api/upload/NAME, and the handler both run once the body is read. */
void            ferry_web_upload_put_early      (FerryWeb          *web,
                                                 SoupServerMessage *msg,
                                                 const char        *rest,
                                                 gpointer           user_data);
void            ferry_web_upload_one_shot_early (FerryWeb          *web,
                                                 SoupServerMessage *msg,
                                                 const char        *rest,
                                                 gpointer           user_data);
void            ferry_web_upload_put_body       (FerryWeb          *web,
                                                 SoupServerMessage *msg,
                                                 const char        *rest,
                                                 gpointer           user_data);

G_END_DECLS
