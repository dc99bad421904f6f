/* ferry-transfer-private.h: what the upload and download halves of FerryTransfer share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ferry-transfer.h"
#include "ferry-checksum.h"
#include "ferry-chunk-reader.h"
#include "ferry-chunk-writer.h"
#include "ferry-dialer.h"
#include "ferry-download-sidecar.h"
#include "ferry-transfer-queue.h"

G_BEGIN_DECLS

struct _FerryTransfer
{
  GObject parent_instance;

  /* owned references */
  GWeakRef            queue;         /* FerryTransferQueue: slots, and its dialer */
  GFile              *file;          /* upload source, or download final file */
  GFile              *destination;   /* download: what the caller asked for */
  GFile              *part;          /* download: NAME.part while running */
  FerryOffer         *offer;
  char               *name;
  char               *offer_id;
  GError             *error;
  GCancellable       *cancellable;
  GTask              *task;
  FerryConnection    *connection;
  FerryChecksum      *checksum;
  GInputStream       *input;
  GOutputStream      *output;
  guint8             *buffer;
  FerryChunkReader   *reader;        /* upload: the file, read and hashed ahead */
  GBytes             *chunk;         /* the DATA payload being sent, or queued to write */
  FerryChunkWriter   *writer;        /* download: hashes and writes NAME.part behind */
  guint8              end_sha256[FERRY_SHA256_SIZE];  /* download: what END announced */

  FerryTransferDirection direction;
  FerryTransferState  state;
  FerryDownloadFlags  flags;
  guint64             bytes_done;
  guint64             total;
  double              rate;
  gint64              last_notify_usec;
  guint64             last_notify_bytes;
  gulong              cancel_id;

  /* A download reads the next frame while the previous chunk is written to NAME.part: at
   * most one write and one frame (being read, or waiting for the write) are in flight. The
   * first failure is kept in bulk_error and reported once both are back. */
  guint               n_running;     /* download operations in flight, each holding a reference */
  GError             *bulk_error;
  guint64             next_offset;   /* bytes received, checked and hashed */
  gboolean            writing;
  gboolean            chunk_writing; /* a chunk's write and hash run in a worker thread */
  gboolean            has_waiting;   /* a frame came while the write ran */
  FerryFrame          waiting;

  /* An upload keeps one read of the server's reply in flight while it sends, so that an ERROR
   * the server sends half-way (disk full, quota, shutdown) reaches the person even when the
   * connection is then reset under the sender. */
  gboolean            reply_pending;  /* the read of the server's verdict is in flight */
  gboolean            chain_pending;  /* a file read or a DATA send is in flight */
  gboolean            end_sent;
  GError             *reply_error;    /* the server's ERROR, kept until the chain is back */
  GError             *send_error;     /* a failed send, kept until the reply read ends */

  gboolean            server_busy;    /* waiting to try a busy server again */

  /* A folder (PROTOCOL.md §5, Folders): its stream is uploaded or downloaded like a file's
   * bytes (ferry-transfer-folder.c). */
  gboolean            is_folder;
  guint32             folder_files;
  guint64             folder_content;
  guint               folder_skipped;       /* upload: links, devices… left out */
  char               *folder_first_skipped;

  /* A download keeps NAME.part and its sidecar (ferry-download-sidecar.h) when it stops for
   * any reason but success or a checksum mismatch; the next download of the offer into the
   * same place goes on from there. */
  FerrySidecar       *sidecar;        /* what NAME.part holds; NULL: no NAME.part of ours */
  FerryDialer        *dialer;         /* download: kept while the resume state is looked for */
  gint64              sidecar_saved_usec;
  gboolean            part_kept;      /* the run stopped and kept its partial data */

  /* An upload sends the token of an earlier, unfinished one of the same file to the same
   * server (ferry-upload-tokens.h), and goes on from the offset ACCEPT names
   * (ferry-transfer-upload-resume.c). */
  char               *upload_token;
  gint64              upload_mtime;
  guint64             resumed_from;   /* ACCEPT's offset */
  gboolean            no_resume;
};

/* The upload pre-checks, the only copy: @file is a regular file (not a folder, not a device),
 * readable, and at most @limit bytes (0: no limit known yet). Each refusal is a sentence naming
 * @name (NULL: the file's display name), for the app and CLI to show as it is. */
void      ferry_upload_check_async      (gpointer            source_object,
                                         GFile              *file,
                                         const char         *name,
                                         guint64             limit,
                                         GCancellable       *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data);
gboolean  ferry_upload_check_finish     (GAsyncResult       *result,
                                         gboolean           *out_is_folder,
                                         GError            **error);
char     *ferry_file_display_basename   (GFile              *file);

/* New transfers, not started: ferry_transfer_run_async() queues them on @queue, which gives
 * them a slot and its dialer. @known: the offer to download, if known (its name and size
 * before the server answers). */
FerryTransfer *ferry_transfer_new_upload   (FerryTransferQueue *queue,
                                            GFile              *file,
                                            const char         *name);
FerryTransfer *ferry_transfer_new_download (FerryTransferQueue *queue,
                                            const char         *offer_id,
                                            FerryOffer         *known,
                                            GFile              *destination,
                                            FerryDownloadFlags  flags);

/* Called by the queue when a transfer slot is free: starts connecting. */
void      ferry_transfer_begin          (FerryTransfer      *self);
/* Runs the upload (ferry-transfer-upload.c) or download (ferry-transfer-download.c) steps. */
void      ferry_transfer_start_upload   (FerryTransfer      *self,
                                         FerryDialer        *dialer);
void      ferry_transfer_start_download (FerryTransfer      *self,
                                         FerryDialer        *dialer);
/* ferry-transfer-upload-resume.c. Before UPLOAD: the token saved for this file (into
 * upload_token), unless no_resume. After ACCEPT: saves or forgets the token, and reads the
 * first @offset bytes of the input, returning their SHA-256 state. */
void           ferry_transfer_upload_locate_async  (FerryTransfer       *self,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
void           ferry_transfer_upload_locate_finish (FerryTransfer       *self,
                                                    GAsyncResult        *result);
void           ferry_transfer_upload_save_token    (FerryTransfer       *self,
                                                    const char          *token);
void           ferry_transfer_upload_skip_async    (FerryTransfer       *self,
                                                    guint64              offset,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
FerryChecksum *ferry_transfer_upload_skip_finish   (FerryTransfer       *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);
/* The server's ERROR @error ended the upload: forgets a token the server threw away, and
 * returns TRUE when the upload should start over from byte 0 (a continued upload got
 * CHECKSUM once; the input is back at its start). */
gboolean       ferry_transfer_upload_verdict       (FerryTransfer       *self,
                                                    const GError        *error);

/* ferry-transfer-resume.c. Before the request: the NAME.part and sidecar an earlier run left
 * for this download (opened and locked, its good prefix hashed), or a new sidecar record. */
void      ferry_transfer_locate_async   (FerryTransfer      *self,
                                         const char         *server,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data);
gboolean  ferry_transfer_locate_finish  (FerryTransfer      *self,
                                         GAsyncResult       *result,
                                         GError            **error);
/* The sidecar as of now (a new copy). */
FerrySidecar *ferry_transfer_sidecar_now (FerryTransfer     *self);
/* Rewrites the sidecar in a worker thread, after the bytes it covers are written. */
void      ferry_transfer_checkpoint_async  (FerryTransfer       *self,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean  ferry_transfer_checkpoint_finish (FerryTransfer       *self,
                                            GAsyncResult        *result,
                                            GError             **error);
/* For a download stopped by @error with NAME.part made: closes it and keeps it with its
 * sidecar for resuming, or removes both (a checksum mismatch, or nothing to resume). */
void      ferry_transfer_download_stop_async  (FerryTransfer      *self,
                                               const GError       *error,
                                               GAsyncReadyCallback callback,
                                               gpointer            user_data);
void      ferry_transfer_download_stop_finish (FerryTransfer      *self,
                                               GAsyncResult       *result);

/* Folders (ferry-transfer-folder.c). Walks the folder self->file and opens its stream as
 * self->input, then goes on with ferry_transfer_upload_prepare(). */
void      ferry_transfer_start_folder_upload (FerryTransfer *self);
/* With self->input open and self->total and self->upload_mtime set: looks up the saved token
 * (ferry-transfer-upload-resume.c), then goes on with ferry_transfer_upload_connect(). */
void      ferry_transfer_upload_prepare (FerryTransfer      *self);
/* With self->input open and self->total set: connects and sends UPLOAD. */
void      ferry_transfer_upload_connect (FerryTransfer      *self);
/* ferry-transfer-landing.c: where a download lands, in worker threads. */
/* Before the data: claims the final name and creates NAME.part (or reopens the one being
 * resumed), and writes its sidecar. Task data: a FerryDownloadPlace. */
typedef struct
{
  GFile              *dir;
  GFile              *destination;
  char               *name;
  FerryDownloadFlags  flags;
  FerryOffer         *offer;
  FerrySidecar       *sidecar;      /* in: what @part holds, if resuming; out: what it holds */
  GFile              *final;
  GFile              *part;         /* in: NAME.part to resume, if any; out: NAME.part */
  GOutputStream      *output;
  gboolean            fresh;        /* out: @part starts empty */
  /* a folder: NAME.part/ is a tree, written by a FerryFolderOutputStream, resumed from its
   * sidecar (ferry-transfer-resume.c) */
  gboolean            is_folder;
  guint64             size;
  guint32             folder_files;
  guint64             folder_content;
} FerryDownloadPlace;
void      ferry_download_place_free    (FerryDownloadPlace *place);
void      ferry_download_place_thread  (GTask              *task,
                                        gpointer            source_object,
                                        gpointer            task_data,
                                        GCancellable       *cancellable);
/* After END: NAME.part becomes NAME (or a free "NAME (N)"); returns the GFile saved. Task
 * data: a FerryDownloadCommit. */
typedef struct
{
  GFile              *part;
  GFile              *final;
  char               *name;
  FerryDownloadFlags  flags;
} FerryDownloadCommit;
void      ferry_download_commit_free   (FerryDownloadCommit *commit);
void      ferry_download_commit_thread (GTask              *task,
                                        gpointer            source_object,
                                        gpointer            task_data,
                                        GCancellable       *cancellable);

void      ferry_transfer_set_state      (FerryTransfer      *self,
                                         FerryTransferState  state);
void      ferry_transfer_set_total      (FerryTransfer      *self,
                                         guint64             total);
void      ferry_transfer_set_name       (FerryTransfer      *self,
                                         const char         *name);
void      ferry_transfer_set_file       (FerryTransfer      *self,
                                         GFile              *file);
/* A FerryDialerWaitingFunc: sets "server-busy". */
void      ferry_transfer_set_server_busy (gpointer           self,
                                          gboolean           busy);
void      ferry_transfer_set_offer      (FerryTransfer      *self,
                                         FerryOffer         *offer);
/* Adds @n bytes done; notifies at most every 200 ms. */
void      ferry_transfer_add_progress   (FerryTransfer      *self,
                                         gsize               n);
/* The single exit: every run ends here exactly once. NULL error means DONE. */
void      ferry_transfer_finish         (FerryTransfer      *self,
                                         GError             *error);
/* Finishes with @error (our own cancel wins over the errors it causes). Returns TRUE if
 * @error was set, so callers can write `if (ferry_transfer_fail (self, error)) return;`. */
gboolean  ferry_transfer_fail           (FerryTransfer      *self,
                                         GError             *error);

G_END_DECLS
