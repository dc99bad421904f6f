/* ferry-upload-job.h: one upload into the store, whatever protocol carries its bytes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * FerryUploadJob is the upload engine that the native protocol (ferry-session-upload.c) and the
 * web front (web/ferry-web-upload.c) share, so that both get the same policy (PROTOCOL.md §5,
 * Upload): the size limit and the room checked before any byte, FerryPartials' token and owner
 * (a fresh upload or a kept one continued), room reserved ahead as bytes arrive, the bytes
 * hashed and written on a worker thread behind the caller, a folder stream's header checked as
 * it arrives, the SHA-256 compared at the end, the commit, and the offer published to the hub.
 *
 * A failed check (a wrong offset, too many bytes, a broken folder header, no room, a write
 * error, a checksum or size mismatch) throws the partial upload away before the job reports
 * it. The caller ends the job in one of three ways: _finish_async commits it, _abort throws it
 * away, _detach keeps it for resuming (--keep-partial) because the peer went away. Main thread.
 */
#pragma once

#include <gio/gio.h>

#include "ferry-catalogue.h"
#include "ferry-hub.h"
#include "ferry-store.h"

G_BEGIN_DECLS

#define FERRY_TYPE_UPLOAD_JOB (ferry_upload_job_get_type ())

G_DECLARE_FINAL_TYPE (FerryUploadJob, ferry_upload_job, FERRY, UPLOAD_JOB, GObject)

/* Who uploads, and the server's policy for what they upload. */
typedef struct
{
  const char   *peer;           /* for the log: "ADDRESS:PORT" */
  const char   *address;        /* the IP address alone, for the per-address reservation cap */
  const char   *uploader;       /* the name the offer shows */
  const guint8 *owner_hash;     /* FERRY_SHA256_SIZE bytes */
  guint64       max_file_size;
  guint64       expire_seconds; /* 0: the offer never expires */
} FerryUploadJobSource;

/* For ferry_upload_job_begin_async: the size is known once every byte has arrived (a chunked
 * HTTP body); the bytes are checked against the max file size as they arrive. A file only. */
#define FERRY_UPLOAD_JOB_SIZE_UNKNOWN G_MAXUINT64

FerryUploadJob *ferry_upload_job_new            (FerryStore                 *store,
                                                 FerryHub                   *hub,
                                                 const FerryUploadJobSource *source);

/* Checks the name, and @size (or FERRY_UPLOAD_JOB_SIZE_UNKNOWN) against the max file size;
 * begins the upload (continues the kept one named @resume_token when it is the same owner's,
 * same size and folder option, and unused; otherwise a fresh one: compare
 * ferry_upload_job_get_token ()), then checks that what is still to come fits the quota and
 * the free space, reserving nothing. @folder_files and
 * @folder_content are the folder option (both 0: a file). With @resume_only, a token that
 * cannot be continued fails with FERRY_ERROR_NOT_FOUND instead of starting afresh. */
void            ferry_upload_job_begin_async    (FerryUploadJob             *self,
                                                 const char                 *name,
                                                 guint64                     size,
                                                 guint32                     folder_files,
                                                 guint64                     folder_content,
                                                 const char                 *resume_token,
                                                 gboolean                    resume_only,
                                                 GAsyncReadyCallback         callback,
                                                 gpointer                    user_data);
gboolean        ferry_upload_job_begin_finish   (FerryUploadJob             *self,
                                                 GAsyncResult               *result,
                                                 GError                    **error);

/* Takes @chunk, the bytes at @offset, which must be ferry_upload_job_get_offset (): reserves
 * room when the room ahead is used up, then queues the bytes to be hashed and written.
 * Completes once the writer has room for more (back-pressure). One write at a time. */
void            ferry_upload_job_write_async    (FerryUploadJob             *self,
                                                 guint64                     offset,
                                                 GBytes                     *chunk,
                                                 GAsyncReadyCallback         callback,
                                                 gpointer                    user_data);
gboolean        ferry_upload_job_write_finish   (FerryUploadJob             *self,
                                                 GAsyncResult               *result,
                                                 GError                    **error);

/* Once every byte has arrived: waits for the writes, compares the SHA-256 with @sha256
 * (FERRY_SHA256_SIZE bytes; NULL: nothing to compare), commits, and publishes the offer.
 * Once the bytes are verified the commit runs to its end, even when the job is aborted. */
void               ferry_upload_job_finish_async  (FerryUploadJob          *self,
                                                   const guint8            *sha256,
                                                   GAsyncReadyCallback      callback,
                                                   gpointer                 user_data);
FerryCatalogueRow *ferry_upload_job_finish_finish (FerryUploadJob          *self,
                                                   GAsyncResult            *result,
                                                   GError                 **error);

/* Throws the upload away: its partial file and what it holds in the store. Pending calls fail
 * with G_IO_ERROR_CANCELLED. Idempotent; nothing once the job committed or failed. */
void            ferry_upload_job_abort          (FerryUploadJob             *self);
/* The peer went away: keeps the upload for resuming when it holds bytes and the server keeps
 * partial uploads (a fresh upload whose token nobody learnt yet goes). Otherwise as _abort. */
void            ferry_upload_job_detach         (FerryUploadJob             *self);

const char     *ferry_upload_job_get_token      (FerryUploadJob             *self);
const char     *ferry_upload_job_get_name       (FerryUploadJob             *self);
/* The announced size; while it is unknown, the max file size. */
guint64         ferry_upload_job_get_size       (FerryUploadJob             *self);
/* The bytes the job holds: the next one it wants. */
guint64         ferry_upload_job_get_offset     (FerryUploadJob             *self);
/* TRUE from the verified SHA-256 to the end of the commit, which nothing cuts short. */
gboolean        ferry_upload_job_is_committing  (FerryUploadJob             *self);
/* TRUE once committed, thrown away, kept or failed. */
gboolean        ferry_upload_job_is_over        (FerryUploadJob             *self);

G_END_DECLS
