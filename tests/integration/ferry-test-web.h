/* ferry-test-web.h: talking HTTP to a real ferry-server's web front (docs/HTTP.md) with
 * libsoup's client
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "ferry-test-harness.h"

G_BEGIN_DECLS

/* A session that accepts only @server's certificate, by its pinned fingerprint. */
SoupSession *ferry_test_web_session  (FerryTestServer  *server);
/* "https://127.0.0.1:PORT@path" (http:// with --no-tls). */
char        *ferry_test_web_url      (FerryTestServer  *server,
                                      const char       *path);
/* Sends @method @path with @body (NULL: none) of @content_type, and the headers in
 * @first_header, value, …, NULL; blocks on the default main context. Returns the status and
 * sets @response (if not NULL) to the body and @response_headers (if not NULL). */
guint        ferry_test_web_request  (SoupSession         *session,
                                      FerryTestServer     *server,
                                      const char          *method,
                                      const char          *path,
                                      const char          *content_type,
                                      GBytes              *body,
                                      GBytes             **response,
                                      SoupMessageHeaders **response_headers,
                                      const char          *first_header,
                                      ...);
/* Parses @bytes as a JSON object (asserting it is one). */
JsonObject  *ferry_test_web_json     (GBytes              *bytes);

G_END_DECLS
