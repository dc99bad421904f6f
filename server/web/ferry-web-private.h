/* ferry-web-private.h: what the web front's modules share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ferry-web.c owns the SoupServer, the connections and the routes. Each module
 * (ferry-web-offers.c, ferry-web-events.c, ferry-web-download.c, ferry-web-upload.c,
 * ferry-web-auth.c, ferry-web-page.c) adds its routes with ferry_web_add_route() from its
 * ferry_web_MODULE_register(). Every request passes one gate first (ferry-web.c, at the
 * request's headers, before any body is read): the security headers, the route lookup, the
 * password (ferry-web-auth.c), CSRF, and the body limit. A handler runs only for a request
 * that passed it, so handlers never check these again.
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "ferry-catalogue.h"
#include "ferry-web.h"

G_BEGIN_DECLS

typedef struct _FerryWebSessions FerryWebSessions;   /* ferry-web-auth.c */

struct _FerryWeb
{
  GObject           parent_instance;

  SoupServer       *soup;
  FerryStore       *store;
  FerryHub         *hub;
  FerryAuth        *auth;         /* NULL: no password */
  FerryLinks       *links;
  FerryWebConfig    config;       /* its pointers are not owned; see the fields above */
  char             *fingerprint;
  GHashTable       *streams;      /* GSocketAddress (remote, by pointer) -> FerryWebStream */
  GPtrArray        *routes;       /* FerryWebRoute */
  FerryWebSessions *sessions;     /* login sessions (ferry-web-auth.c) */
};

typedef enum
{
  FERRY_WEB_ROUTE_DEFAULT     = 0,
  /* Served without a password: the page, its files, /api/server, /api/login. */
  FERRY_WEB_ROUTE_PUBLIC      = 1 << 0,
  /* A download that a link key (?key=) opens without a password (HTTP.md §6). */
  FERRY_WEB_ROUTE_LINK_KEY    = 1 << 1,
  /* The handler streams the request body itself (its early function sets it up); without
   * this flag a body is at most FERRY_WEB_JSON_MAX bytes. */
  FERRY_WEB_ROUTE_STREAM_BODY = 1 << 2,
  /* @path is a prefix: the handler gets the rest of the path. */
  FERRY_WEB_ROUTE_PREFIX      = 1 << 3,
  /* Refused from another site even for GET, like a state-changing request (the WebSocket:
   * browsers let any page open one). */
  FERRY_WEB_ROUTE_SAME_ORIGIN = 1 << 4,
} FerryWebRouteFlags;

/* @rest: the part of the (still percent-encoded) path after a PREFIX route's path, else "". */
typedef void (*FerryWebHandler) (FerryWeb          *web,
                                 SoupServerMessage *msg,
                                 const char        *rest,
                                 gpointer           user_data);

typedef struct
{
  const char         *method;     /* "GET" (also answers HEAD), "POST", …; NULL: any */
  const char         *path;
  FerryWebRouteFlags  flags;
  /* Called once the request's headers passed the gate, before its body is read (may be
   * NULL); it may answer at once (a status set) or prepare to stream the body. */
  FerryWebHandler     early;
  /* Called once the body is read (or, for STREAM_BODY, once the early function's streaming
   * is done and it leaves the answer to this); may be NULL when early always answers. */
  FerryWebHandler     handler;
  gpointer            user_data;
} FerryWebRoute;

/* @route is copied; its strings must be static. */
void        ferry_web_add_route         (FerryWeb          *self,
                                         const FerryWebRoute *route);

/* The connection a request came on. */
FerryWebStream *ferry_web_get_stream    (FerryWeb          *self,
                                         SoupServerMessage *msg);
/* "ADDRESS" of the peer (for per-address limits) and "ADDRESS:PORT" (for logs). */
const char *ferry_web_get_address       (FerryWeb          *self,
                                         SoupServerMessage *msg);
const char *ferry_web_get_peer          (FerryWeb          *self,
                                         SoupServerMessage *msg);

/* Replies. Each sets the status and a complete body. */
void        ferry_web_reply_json        (SoupServerMessage *msg,
                                         guint              status,
                                         JsonNode          *node);
void        ferry_web_reply_error       (SoupServerMessage *msg,
                                         guint              status,
                                         const char        *code,
                                         const char        *sentence);
/* Maps a FERRY_ERROR (or any GError) to its HTTP status and code (HTTP.md §5). */
void        ferry_web_reply_gerror      (SoupServerMessage *msg,
                                         const GError      *error);

/* Parses a JSON object body (at most FERRY_WEB_JSON_MAX bytes, the gate saw to that);
 * answers 400 and returns NULL when it is not one. */
JsonObject *ferry_web_read_json_object  (SoupServerMessage *msg);

/* The request's X-Ferry-Owner: TRUE and SHA-256 of its 32 bytes in @hash; FALSE when absent.
 * A malformed one is answered 400 and @malformed set. */
gboolean    ferry_web_get_owner_hash    (SoupServerMessage *msg,
                                         guint8             hash[FERRY_CATALOGUE_HASH_SIZE],
                                         gboolean          *malformed);
/* The request's X-Ferry-Name, percent-decoded and checked as a user name, or @fallback. NULL
 * (answered 400) when malformed. */
char       *ferry_web_dup_uploader      (SoupServerMessage *msg,
                                         const char        *fallback);

/* An offer as HTTP.md §5 writes it; @owner_hash (or NULL) sets "mine". */
JsonNode   *ferry_web_offer_to_json     (FerryCatalogueRow *row,
                                         const guint8      *owner_hash);
/* "/f/ID/NAME", the name percent-encoded. */
char       *ferry_web_offer_path        (FerryCatalogueRow *row);

/* One path segment percent-decoded: NULL when it is empty or decodes to '/', NUL, or
 * invalid UTF-8. */
char       *ferry_web_decode_segment    (const char        *segment);

/* The modules. */
void        ferry_web_auth_register     (FerryWeb          *self);
void        ferry_web_offers_register   (FerryWeb          *self);
void        ferry_web_events_register   (FerryWeb          *self);
void        ferry_web_page_register     (FerryWeb          *self);
void        ferry_web_download_register (FerryWeb          *self);
void        ferry_web_upload_register   (FerryWeb          *self);

/* ferry-web-auth.c: the password gate (HTTP.md §3). TRUE when @msg may go on; otherwise it
 * was answered (401, 429). @cookie_auth tells whether the session cookie was what let it
 * in (then CSRF wants X-Ferry-CSRF). */
gboolean    ferry_web_auth_check        (FerryWeb          *self,
                                         SoupServerMessage *msg,
                                         FerryWebRouteFlags flags,
                                         gboolean          *cookie_auth);
/* The ?key= of a request that the gate let in by its link key alone, on a password server:
 * its handler must check the key (HTTP.md §6). NULL when something else let it in. */
const char *ferry_web_auth_get_link_key (SoupServerMessage *msg);
/* Whether @msg's X-Ferry-CSRF is the token of its cookie session. */
gboolean    ferry_web_auth_check_csrf   (FerryWeb          *self,
                                         SoupServerMessage *msg);
void        ferry_web_sessions_free     (FerryWebSessions  *sessions);

G_END_DECLS
