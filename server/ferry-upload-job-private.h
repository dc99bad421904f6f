/* ferry-upload-job-private.h: what the parts of FerryUploadJob share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ferry-upload-job.c begins, receives and ends an upload; ferry-upload-job-finish.c checks
 * the SHA-256, commits and publishes it.
 */
#pragma once

#include "ferry-upload-job.h"

#include "ferry-chunk-writer.h"
#include "ferry-error.h"
#include "ferry-folder-header.h"
#include "ferry-message.h"

G_BEGIN_DECLS

typedef enum
{
  JOB_NEW,
  JOB_PREPARING,    /* checking room and creating the partial file */
  JOB_RECEIVING,
  JOB_COMMITTING,   /* verified: runs to its end, whatever happens to the peer */
  JOB_DONE,         /* committed, failed, thrown away or kept */
} JobPhase;

struct _FerryUploadJob
{
  GObject parent_instance;

  /* owned references */
  FerryStore        *store;
  FerryHub          *hub;
  GCancellable      *cancellable;   /* file I/O and reservations; cancelled when it ends */
  GTask             *pending;       /* the begin, write or finish in progress */
  char              *peer;
  char              *address;
  char              *uploader;
  char              *token;
  char              *name;
  char              *resume_token;
  FerryBlobUpload   *blob;
  FerryChunkWriter  *writer;        /* hashes and writes behind the caller */
  GBytes            *chunk;         /* waiting for room or being queued */
  FerryFolderParser *folder_parser; /* a folder stream: checks its header as it arrives */

  JobPhase           phase;
  guint8             owner_hash[FERRY_SHA256_SIZE];
  guint8             end_sha256[FERRY_SHA256_SIZE];
  gboolean           check_sha256;
  gboolean           size_unknown;  /* size is the max file size until the end */
  gboolean           resume_only;
  guint64            max_file_size;
  guint64            expire_seconds;
  guint64            size;
  guint64            received;
  guint64            ahead;         /* reserved in the store ahead of received */
  guint64            written;       /* charged to the store as written, until released */
  guint32            folder_files;
  guint64            folder_content;
};

/* Gives back what the upload holds in the store: its room ahead and the bytes written. */
void ferry_upload_job_release_space    (FerryUploadJob *self);
/* Lets go of the upload that was not committed: keeps it for resuming (PROTOCOL.md §5,
 * Upload, Resume) when @keep and the server keeps partial uploads, or throws it away. */
void ferry_upload_job_end_blob         (FerryUploadJob *self,
                                        gboolean        keep);
/* Takes @error: a failed check throws the upload away, then the pending call reports it. */
void ferry_upload_job_fail             (FerryUploadJob *self,
                                        GError         *error);
/* ferry_upload_job_fail with a FERRY_ERROR @code and the sentence from @format. */
void ferry_upload_job_refuse           (FerryUploadJob *self,
                                        FerryError      code,
                                        const char     *format,
                                        ...) G_GNUC_PRINTF (3, 4);
/* After a push or flush of the writer came back (@ok, or @error): FALSE when the write failed
 * or the job stopped meanwhile, and the pending call was told. */
gboolean ferry_upload_job_writer_done  (FerryUploadJob *self,
                                        gboolean        ok,
                                        const GError   *error);
/* The job ended while its pending call waited for a callback: that call reports it. */
void ferry_upload_job_return_cancelled (FerryUploadJob *self);

G_END_DECLS
