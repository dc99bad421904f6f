/* ferry-session-private.h: what the parts of FerrySession share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ferry-session.c owns the connection's lifecycle: the handshake (HELLO/WELCOME), the first
 * request, errors, timeouts and closing. The request hands the connection to a handler of its
 * kind (ferry-session-handler.h), each with its own state: FerrySessionControl (SUBSCRIBE,
 * events, PING), FerrySessionUpload, FerrySessionDownload, FerrySessionDelete and
 * FerrySessionLink.
 */
#pragma once

#include "ferry-session.h"
#include "ferry-catalogue.h"
#include "ferry-checksum.h"
#include "ferry-connection.h"
#include "ferry-hub.h"
#include "ferry-limits.h"
#include "ferry-message.h"
#include "ferry-session-handler.h"

G_BEGIN_DECLS

typedef enum
{
  FERRY_SESSION_STATE_HANDSHAKE,
  FERRY_SESSION_STATE_READY,   /* WELCOME sent or a request answered: waiting for a request */
  FERRY_SESSION_STATE_HANDLED, /* a handler has the connection */
  FERRY_SESSION_STATE_CLOSING,
  FERRY_SESSION_STATE_CLOSED,
} FerrySessionState;

struct _FerrySession
{
  GObject parent_instance;

  /* owned references */
  FerryConnection     *connection;
  FerryStore          *store;
  FerryHub            *hub;
  FerryAuth           *auth;
  FerrySessionHandler *handler;         /* from a request until its answer, or until closed */
  char                *peer;
  char                *peer_address;    /* the IP address alone, for per-address limits */
  char                *user;
  char                *request;         /* "upload of “NAME”", "download of ID": for the log */

  FerrySessionConfig   config;
  FerrySessionState    state;
  guint8               owner_hash[FERRY_SHA256_SIZE];
  gboolean             answered;        /* the request got its ACCEPT or download header */
  gboolean             requests;        /* a request connection: SUBSCRIBE is UNEXPECTED now */

  guint                timeout_id;
  guint                linger_id;       /* closing: abort if the peer does not take the rest */
  guint                timeout_seconds;
  gint64               last_activity;
};

/* ferry-session.c */
gboolean  ferry_session_is_closing       (FerrySession      *self);
/* Marks activity for the idle timeout. */
void      ferry_session_touch            (FerrySession      *self);
/* Starts the idle timeout again with @seconds; 0 turns it off. */
void      ferry_session_set_timeout      (FerrySession      *self,
                                          guint              seconds);
/* Sends @message, a frame from a ferry_msg_*_new() constructor, and takes it. Once the session
 * is closing, frames are dropped: a callback that comes back late may send without a guard. */
void      ferry_session_send_message     (FerrySession      *self,
                                          GBytes            *message);
gboolean  ferry_session_owns             (FerrySession      *self,
                                          FerryCatalogueRow *row);
void      ferry_session_send_offer       (FerrySession      *self,
                                          FerryCatalogueRow *row,
                                          guint16            flags);
/* Answers a PING with PONG, takes a PONG; FALSE when the frame was malformed and the session
 * failed. */
gboolean  ferry_session_handle_ping      (FerrySession      *self,
                                          FerryFrame        *frame);
/* The handler sent the last frame of its answer (OFFER, END, DELETED): the session lets it go
 * and waits, idle, for the next request on the same connection (keep-alive). */
void      ferry_session_request_done     (FerrySession      *self);
/* Sends what is queued, then closes. Idempotent. */
void      ferry_session_close            (FerrySession      *self);
/* Takes @error: tells the peer (unless the connection itself failed) and closes. Does nothing
 * once the session is closing, so that callbacks that come back late need no guard. */
void      ferry_session_fail             (FerrySession      *self,
                                          GError            *error);
/* The connection broke: nothing can be sent any more. */
void      ferry_session_lost             (FerrySession      *self,
                                          const GError      *error);
void      ferry_session_fail_unexpected  (FerrySession      *self,
                                          FerryMessageType   type);
/* Fails with INTERNAL and the sentence made from @format. */
void      ferry_session_fail_internal    (FerrySession      *self,
                                          const char        *format,
                                          ...) G_GNUC_PRINTF (2, 3);
/* Reads the next frame, for the handler once one has the connection. */
void      ferry_session_read_next        (FerrySession      *self);

/* The handlers, each in its own file. */
#define FERRY_TYPE_SESSION_CONTROL (ferry_session_control_get_type ())
G_DECLARE_FINAL_TYPE (FerrySessionControl, ferry_session_control, FERRY, SESSION_CONTROL, GObject)
FerrySessionHandler *ferry_session_control_new  (FerrySession *session);

#define FERRY_TYPE_SESSION_UPLOAD (ferry_session_upload_get_type ())
G_DECLARE_FINAL_TYPE (FerrySessionUpload, ferry_session_upload, FERRY, SESSION_UPLOAD, GObject)
FerrySessionHandler *ferry_session_upload_new   (FerrySession *session);

#define FERRY_TYPE_SESSION_DOWNLOAD (ferry_session_download_get_type ())
G_DECLARE_FINAL_TYPE (FerrySessionDownload, ferry_session_download, FERRY, SESSION_DOWNLOAD,
                      GObject)
FerrySessionHandler *ferry_session_download_new (FerrySession *session);

#define FERRY_TYPE_SESSION_DELETE (ferry_session_delete_get_type ())
G_DECLARE_FINAL_TYPE (FerrySessionDelete, ferry_session_delete, FERRY, SESSION_DELETE, GObject)
FerrySessionHandler *ferry_session_delete_new   (FerrySession *session);

#define FERRY_TYPE_SESSION_LINK (ferry_session_link_get_type ())
G_DECLARE_FINAL_TYPE (FerrySessionLink, ferry_session_link, FERRY, SESSION_LINK, GObject)
FerrySessionHandler *ferry_session_link_new     (FerrySession *session);

G_END_DECLS
