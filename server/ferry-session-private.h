/* ferry-session-private.h: what the parts of FerrySession share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ferry-session.c owns the object, the handshake, dispatch, errors, timeouts and closing;
 * ferry-session-control.c the control session (SUBSCRIBE, events, PING) and DELETE;
 * ferry-session-upload.c and ferry-session-download.c the two kinds of transfer.
 */
#pragma once

#include "ferry-session.h"
#include "ferry-catalogue.h"
#include "ferry-checksum.h"
#include "ferry-connection.h"
#include "ferry-hub.h"
#include "ferry-message.h"

G_BEGIN_DECLS

#define FERRY_SESSION_TRANSFER_TIMEOUT_S 60
#define FERRY_SESSION_CONTROL_TIMEOUT_S  120

/* The output budget: the most bytes of frames (PONG, ERROR, snapshot OFFERs, events) that may
 * wait to be sent to one peer. A peer that lets more pile up does not read, and is dropped
 * (docs/PROTOCOL.md §8). Download DATA is not counted: it is sent one chunk at a time from the
 * session's own buffer. */
#define FERRY_SESSION_OUTPUT_BUDGET      (256 * 1024)
/* How long a closing session may take to hand its last frames to a peer that does not read;
 * a transfer gets FERRY_SESSION_TRANSFER_TIMEOUT_S, as for each of its chunks, so that a slow
 * downloader still gets END. */
#define FERRY_SESSION_CLOSE_LINGER_S     10

typedef enum
{
  FERRY_SESSION_STATE_HANDSHAKE,
  FERRY_SESSION_STATE_READY,   /* WELCOME sent, waiting for the request that decides the kind */
  FERRY_SESSION_STATE_CONTROL,
  FERRY_SESSION_STATE_UPLOAD_PREPARING,
  FERRY_SESSION_STATE_UPLOAD_RECEIVING,
  FERRY_SESSION_STATE_UPLOAD_COMMITTING,
  FERRY_SESSION_STATE_DOWNLOAD,
  FERRY_SESSION_STATE_DELETING,
  FERRY_SESSION_STATE_CLOSING,
  FERRY_SESSION_STATE_CLOSED,
} FerrySessionState;

struct _FerrySession
{
  GObject parent_instance;

  /* owned references */
  FerryConnection    *connection;
  FerryStore         *store;
  FerryHub           *hub;
  GCancellable       *cancellable;     /* file I/O of this session */
  FerryAuth          *auth;
  char               *peer;
  char               *peer_address;    /* the IP address alone, for per-address limits */
  char               *user;
  char               *request;         /* "upload of “NAME”", "download of ID": for the log */

  FerrySessionConfig  config;
  FerrySessionState   state;
  guint8              owner_hash[FERRY_SHA256_SIZE];
  guint               n_pending;       /* callbacks still to come, each holding a reference */
  gboolean            finished;

  guint               timeout_id;
  guint               linger_id;       /* closing: abort if the peer does not take the rest */
  guint               timeout_seconds;
  gint64              last_activity;

  /* control (ferry-session-control.c) */
  FerryHubCursor     *snapshot_cursor; /* while the snapshot is being sent */
  guint               snapshot_sent;

  /* upload (ferry-session-upload.c) */
  char               *upload_token;
  char               *upload_name;
  guint64             upload_size;
  guint64             upload_received;
  guint64             upload_ahead;    /* reserved in the store ahead of upload_received */
  guint64             upload_written;  /* charged to the store as written, until released */
  FerryBlobUpload    *upload_blob;
  GOutputStream      *upload_stream;
  FerryChecksum      *upload_checksum;
  GBytes             *upload_chunk;    /* the DATA bytes waiting for room or being written */
  gboolean            upload_committing;

  /* download (ferry-session-download.c) */
  FerryCatalogueRow  *download_row;
  GInputStream       *download_stream;
  guint8             *download_buffer;
  guint64             download_offset;
};

/* ferry-session.c */
gboolean  ferry_session_is_closing       (FerrySession      *self);
/* Emits "finished" once the session is closed and no callback is still to come. */
void      ferry_session_check_finished   (FerrySession      *self);
/* Every async call the session starts passes ferry_session_pending_ref () as its user data;
 * its callback holds that reference with g_autoptr and calls ferry_session_pending_done ()
 * first, so "finished" waits for all of them. */
gpointer  ferry_session_pending_ref      (FerrySession      *self);
void      ferry_session_pending_done     (FerrySession      *self);
/* Marks activity for the idle timeout. */
void      ferry_session_touch            (FerrySession      *self);
/* Starts the idle timeout again with @seconds; 0 turns it off. */
void      ferry_session_set_timeout      (FerrySession      *self,
                                          guint              seconds);
/* Takes @value if it is floating. */
void      ferry_session_send_message     (FerrySession      *self,
                                          FerryMessageType   type,
                                          guint16            flags,
                                          GVariant          *value);
gboolean  ferry_session_owns             (FerrySession      *self,
                                          FerryCatalogueRow *row);
void      ferry_session_send_offer       (FerrySession      *self,
                                          FerryCatalogueRow *row,
                                          guint16            flags);
/* A name for the log: control characters escaped. */
char     *ferry_session_log_name         (const char        *name);
/* Sends what is queued, then closes. Idempotent. */
void      ferry_session_close            (FerrySession      *self);
/* Takes @error: tells the peer (unless the connection itself failed) and closes. */
void      ferry_session_fail             (FerrySession      *self,
                                          GError            *error);
/* The connection broke: nothing can be sent any more. */
void      ferry_session_lost             (FerrySession      *self,
                                          const GError      *error);
void      ferry_session_fail_unexpected  (FerrySession      *self,
                                          FerryMessageType   type);
/* Takes @cause: fails with INTERNAL, "@what @cause->message". */
void      ferry_session_fail_internal    (FerrySession      *self,
                                          const char        *what,
                                          GError            *cause);
/* Reads the next frame; the dispatch goes by the state. */
void      ferry_session_read_next        (FerrySession      *self);

/* ferry-session-control.c */
void      ferry_session_start_control    (FerrySession      *self);
void      ferry_session_handle_control   (FerrySession      *self,
                                          FerryFrame        *frame);
void      ferry_session_start_delete     (FerrySession      *self,
                                          FerryFrame        *frame);

/* ferry-session-upload.c */
void      ferry_session_start_upload     (FerrySession      *self,
                                          FerryFrame        *frame);
void      ferry_session_handle_upload    (FerrySession      *self,
                                          FerryFrame        *frame);
/* Throws away an upload that was not committed: its blob and what it holds in the store. */
void      ferry_session_discard_upload   (FerrySession      *self);

/* ferry-session-download.c */
void      ferry_session_start_download   (FerrySession      *self,
                                          FerryFrame        *frame);

G_END_DECLS
