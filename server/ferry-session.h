/* ferry-session.h: one client connection, from HELLO to close
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ferry-auth.h"
#include "ferry-hub.h"
#include "ferry-links.h"
#include "ferry-store.h"

G_BEGIN_DECLS

#define FERRY_TYPE_SESSION (ferry_session_get_type ())

G_DECLARE_FINAL_TYPE (FerrySession, ferry_session, FERRY, SESSION, GObject)

/* Asked at HELLO whether the server has room for @session; FALSE answers ERROR(BUSY). */
typedef gboolean (*FerrySessionAdmitFunc) (FerrySession *session,
                                           gpointer      user_data);

typedef struct
{
  guint64 max_file_size;
  guint64 keep_partial;     /* seconds a partial upload is kept; 0 while none are */
  guint64 expire_seconds;   /* 0: offers never expire */
  FerrySessionAdmitFunc admit;   /* NULL: always room */
  gpointer admit_data;
  FerryAuth *auth;          /* borrowed; NULL: no password needed */
  FerryLinks *links;        /* borrowed: signs LINK answers */
  gboolean web;             /* the port serves the web front: WELCOME says so, LINK works */
  gint64 hello_deadline;    /* monotonic µs by which HELLO must have arrived; 0: 10 s from
                             * ferry_session_start () */
} FerrySessionConfig;

FerrySession *ferry_session_new       (GIOStream                *stream,
                                       FerryStore               *store,
                                       FerryHub                 *hub,
                                       const FerrySessionConfig *config);
/* Starts reading. The session holds itself while it runs: it is finalized (a weak reference
 * tells) once the connection is closed and nothing it started is still running. */
void          ferry_session_start     (FerrySession             *self);
/* Gives back the first bytes the server read to tell the protocol (ferry-sniff.h); they are
 * read again as the start of the first frame. Before ferry_session_start (). */
void          ferry_session_unread    (FerrySession             *self,
                                       GBytes                   *bytes);
/* At shutdown: tells the peer the server is shutting down (ERROR(BUSY)) and closes, or drops
 * the connection when the peer does not read; a commit in progress finishes first. */
void          ferry_session_abort     (FerrySession             *self);
/* Drops the connection now, without a word: to make room for others before HELLO. */
void          ferry_session_drop      (FerrySession             *self);
const char   *ferry_session_get_peer  (FerrySession             *self);
/* A name for the log: control characters escaped. */
char         *ferry_session_log_name  (const char               *name);

G_END_DECLS
