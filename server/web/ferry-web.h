/* ferry-web.h: the web front, HTTP on the native port (docs/HTTP.md)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * FerryServer hands each connection whose first bytes are an HTTP request (ferry-sniff.h) to
 * the web front, which serves it with a libsoup SoupServer over the same store, hub, password
 * and limits as the native sessions.
 */
#pragma once

#include <gio/gio.h>

#include "ferry-auth.h"
#include "ferry-hub.h"
#include "ferry-links.h"
#include "ferry-store.h"
#include "ferry-web-stream.h"

G_BEGIN_DECLS

#define FERRY_TYPE_WEB (ferry_web_get_type ())

G_DECLARE_FINAL_TYPE (FerryWeb, ferry_web, FERRY, WEB, GObject)

typedef struct
{
  guint64     max_file_size;
  guint64     expire_seconds;    /* 0: offers never expire */
  guint64     keep_partial;      /* seconds an unfinished upload is kept */
  gboolean    tls;               /* cookies are Secure, the origin is https */
  const char *fingerprint;       /* 64 hex digits, or NULL without TLS */
  FerryAuth  *auth;              /* NULL: no password */
  FerryLinks *links;             /* signs and checks link keys (HTTP.md §6) */
} FerryWebConfig;

FerryWeb *ferry_web_new            (FerryStore               *store,
                                    FerryHub                 *hub,
                                    const FerryWebConfig     *config);
/* Serves @base (admitted: its slot is active), which began with @first_bytes; the first
 * request's headers must be in by @deadline (monotonic µs). @closed is called once, on this
 * thread, when the connection has ended. */
void      ferry_web_accept         (FerryWeb                 *self,
                                    GIOStream                *base,
                                    GBytes                   *first_bytes,
                                    gint64                    deadline,
                                    FerryWebStreamClosedFunc  closed,
                                    gpointer                  user_data);
/* Answers "503 Service Unavailable" on a connection that got no slot, then closes it. */
void      ferry_web_refuse_busy    (GIOStream                *base);
/* Closes every connection (the server stops); each calls its closed function. */
void      ferry_web_close_all      (FerryWeb                 *self);
guint     ferry_web_get_n_connections (FerryWeb              *self);

G_END_DECLS
