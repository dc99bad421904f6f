/* test-web.c: the web front's core against a real server: one port for both protocols, the
 * JSON list, live events over a WebSocket, owner-only delete, the password, CSRF, limits
 * (docs/HTTP.md)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "ferry-error.h"
#include "ferry-message.h"
#include "ferry-test-web.h"

#define UPGRADE \
  "GET /api/events HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" \
  "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
#define OWNER "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

typedef struct
{
  char            *tmp;
  char            *config;
  FerryTestServer *server;
  SoupSession     *session;
} Fixture;

static void
start (Fixture    *f,
       const char *first_arg,
       ...)
{
  /* At most two extra arguments are needed here. */
  va_list args;
  const char *a = first_arg, *b = NULL, *c = NULL, *d = NULL;

  va_start (args, first_arg);
  if (a)
    b = va_arg (args, const char *);
  if (b)
    c = va_arg (args, const char *);
  if (c)
    d = va_arg (args, const char *);
  va_end (args);
  f->server = ferry_test_server_start (NULL, 0, a, b, c, d, NULL);
  f->session = ferry_test_web_session (f->server);
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  f->tmp = ferry_test_tmpdir ();
  f->config = g_build_filename (f->tmp, "config", NULL);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  g_clear_object (&f->session);
  g_clear_pointer (&f->server, ferry_test_server_free);
  ferry_test_rm_rf (f->tmp);
  g_free (f->tmp);
  g_free (f->config);
}

static char *
cli_upload (Fixture    *f,
            const char *name,
            guint64     size)
{
  g_autofree char *path = ferry_test_make_file (f->tmp, name, size);
  g_autofree char *out = NULL;

  g_assert_cmpint (ferry_test_cli (f->server, f->config, &out, NULL, "upload", path, NULL), ==, 0);
  return g_strstrip (g_steal_pointer (&out));
}

static guint
get (Fixture     *f,
     const char  *path,
     JsonObject **json)
{
  g_autoptr(GBytes) body = NULL;
  guint status = ferry_test_web_request (f->session, f->server, "GET", path, NULL, NULL, &body,
                                         NULL, NULL);

  if (json)
    *json = ferry_test_web_json (body);
  return status;
}

/* The status line of GET @path, sent as it is. */
static const char *
raw_status (Fixture    *f,
            const char *path)
{
  static char line[64];
  g_autoptr(GIOStream) conn = ferry_test_raw_connect (f->server);
  g_autofree char *request = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
  gssize n;

  ferry_test_raw_send_data (conn, request, strlen (request));
  n = g_input_stream_read (g_io_stream_get_input_stream (conn), line, sizeof line - 1, NULL, NULL);
  g_assert_cmpint (n, >, 0);
  line[n] = '\0';
  return line;
}

/* The same port answers both protocols; the server describes itself, with the fingerprint
 * the browser is asked to accept. */
static void
test_one_port (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(JsonObject) info = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autofree char *id = NULL;

  start (f, NULL);
  g_assert_cmpuint (get (f, "/api/server", &info), ==, 200);
  g_assert_false (json_object_get_boolean_member (info, "auth"));
  g_assert_true (json_object_get_boolean_member (info, "authorized"));
  g_assert_cmpstr (json_object_get_string_member (info, "fingerprint"), ==, f->server->fingerprint);

  /* The native protocol still works on the same port. */
  id = cli_upload (f, "native.bin", 1000);
  g_assert_true (ferry_id_is_valid (id));

  g_assert_cmpuint (ferry_test_web_request (f->session, f->server, "GET", "/api/offers", NULL,
                                            NULL, &body, &headers, NULL), ==, 200);
  {
    g_autoptr(JsonObject) list = ferry_test_web_json (body);
    JsonArray *offers = json_object_get_array_member (list, "offers");
    JsonObject *offer;

    g_assert_cmpuint (json_array_get_length (offers), ==, 1);
    offer = json_array_get_object_element (offers, 0);
    g_assert_cmpstr (json_object_get_string_member (offer, "id"), ==, id);
    g_assert_cmpstr (json_object_get_string_member (offer, "name"), ==, "native.bin");
    g_assert_cmpint (json_object_get_int_member (offer, "size"), ==, 1000);
    g_assert_false (json_object_get_boolean_member (offer, "mine"));
    g_assert_true (json_object_get_null_member (offer, "folder"));
    g_assert_true (g_str_has_prefix (json_object_get_string_member (offer, "url"), "/f/"));
  }
  /* HTTP.md §4: on every answer. */
  g_assert_cmpstr (soup_message_headers_get_one (headers, "X-Content-Type-Options"), ==,
                   "nosniff");
  g_assert_nonnull (strstr (soup_message_headers_get_one (headers, "Content-Security-Policy"),
                            "script-src 'self'"));
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Cache-Control"), ==, "no-store");

  /* Unknown addresses and methods. */
  g_assert_cmpuint (get (f, "/api/nothing", NULL), ==, 404);
  /* Nothing is ever read from a path: traversal finds nothing (sent raw, as libsoup's client
   * would clean the path up). */
  g_assert_true (g_str_has_prefix (raw_status (f, "/static/../../../../etc/passwd"), "HTTP/1.1 404"));
  g_assert_true (g_str_has_prefix (raw_status (f, "/static/..%2F..%2F..%2Fetc%2Fpasswd"),
                                   "HTTP/1.1 404"));
  g_assert_true (g_str_has_prefix (raw_status (f, "/static/%00"), "HTTP/1.1 404"));
  g_assert_cmpuint (ferry_test_web_request (f->session, f->server, "PATCH", "/api/offers", NULL,
                                            NULL, NULL, NULL, NULL), ==, 405);
}

/* Only the owner deletes, and a web owner is not a native one. */
static void
test_delete_refused (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonObject) error = NULL;

  start (f, NULL);
  id = cli_upload (f, "theirs.bin", 10);
  path = g_strconcat ("/api/offers/", id, NULL);

  g_assert_cmpuint (ferry_test_web_request (f->session, f->server, "DELETE", path, NULL, NULL,
                                            &body, NULL, "X-Ferry-Owner", OWNER, NULL), ==, 403);
  error = ferry_test_web_json (body);
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, "NOT_OWNER");
  g_assert_cmpuint (ferry_test_web_request (f->session, f->server, "DELETE", path, NULL, NULL,
                                            NULL, NULL, NULL), ==, 403);
  g_assert_cmpuint (ferry_test_web_request (f->session, f->server, "DELETE",
                                            "/api/offers/0123456789abcdef", NULL, NULL, NULL,
                                            NULL, "X-Ferry-Owner", OWNER, NULL), ==, 404);
  g_assert_cmpuint (ferry_test_web_request (f->session, f->server, "DELETE",
                                            "/api/offers/..%2F..%2Fetc", NULL, NULL, NULL,
                                            NULL, "X-Ferry-Owner", OWNER, NULL), ==, 404);
  g_assert_cmpuint (ferry_test_web_request (f->session, f->server, "DELETE", path, NULL, NULL,
                                            NULL, NULL, "X-Ferry-Owner", "not hex", NULL), ==, 400);
  /* Still there. */
  {
    g_autoptr(JsonObject) list = NULL;

    g_assert_cmpuint (get (f, "/api/offers", &list), ==, 200);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (list, "offers")), ==, 1);
  }
}

/* A page elsewhere cannot make a browser change anything here (HTTP.md §4). */
static void
test_csrf (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  g_autofree char *own = NULL;
  g_autoptr(GBytes) json = g_bytes_new_static ("{}", 2);

  start (f, NULL);
  id = cli_upload (f, "x.bin", 10);
  path = g_strconcat ("/api/offers/", id, NULL);
  own = g_strdup_printf ("https://%s", f->server->address);

  g_assert_cmpuint (ferry_test_web_request (f->session, f->server, "DELETE", path, NULL, NULL,
                                            NULL, NULL, "X-Ferry-Owner", OWNER,
                                            "Origin", "https://evil.example", NULL), ==, 403);
  g_assert_cmpuint (ferry_test_web_request (f->session, f->server, "DELETE", path, NULL, NULL,
                                            NULL, NULL, "X-Ferry-Owner", OWNER,
                                            "Sec-Fetch-Site", "cross-site", NULL), ==, 403);
  /* Its own origin passes the gate (and is then refused as not the owner). */
  g_assert_cmpuint (ferry_test_web_request (f->session, f->server, "DELETE", path, NULL, NULL,
                                            NULL, NULL, "X-Ferry-Owner", OWNER,
                                            "Origin", own, NULL), ==, 403);
  /* A POST that a plain HTML form could send. */
  g_assert_cmpuint (ferry_test_web_request (f->session, f->server, "POST", "/api/logout",
                                            "text/plain", json, NULL, NULL, NULL), ==, 415);
  g_assert_cmpuint (ferry_test_web_request (f->session, f->server, "POST", "/api/logout",
                                            "application/json", json, NULL, NULL, NULL), ==, 204);
}

/* The WebSocket: snapshot, SYNCED, then live events. */

typedef struct
{
  GPtrArray               *messages;   /* JsonObject */
  SoupWebsocketConnection *socket;
  GError                  *error;
  gboolean                 closed;
} Events;

static void
events_message_cb (SoupWebsocketConnection *socket,
                   gint                     type,
                   GBytes                  *message,
                   gpointer                 user_data)
{
  Events *events = user_data;

  g_ptr_array_add (events->messages, ferry_test_web_json (message));
}

static void
events_closed_cb (SoupWebsocketConnection *socket,
                  gpointer                 user_data)
{
  ((Events *) user_data)->closed = TRUE;
}

static gboolean
accept_any_of_server (SoupMessage          *msg,
                      GTlsCertificate      *certificate,
                      GTlsCertificateFlags  errors,
                      gpointer              user_data)
{
  return TRUE;   /* the same server as the session's requests, which check the pin */
}

static void
connected_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Events *events = user_data;

  events->socket = soup_session_websocket_connect_finish (SOUP_SESSION (object), result,
                                                          &events->error);
  if (!events->socket)
    {
      events->closed = TRUE;
      return;
    }
  g_signal_connect (events->socket, "message", G_CALLBACK (events_message_cb), events);
  g_signal_connect (events->socket, "closed", G_CALLBACK (events_closed_cb), events);
}

static void
events_connect (Fixture    *f,
                Events     *events,
                const char *origin)
{
  g_autofree char *url = ferry_test_web_url (f->server, "/api/events");
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);

  events->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  events->closed = FALSE;
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_any_of_server), NULL);
  soup_session_websocket_connect_async (f->session, msg, origin, NULL, G_PRIORITY_DEFAULT, NULL,
                                        connected_cb, events);
  while (!events->socket && !events->closed)
    g_main_context_iteration (NULL, TRUE);
}

static gboolean
has_messages (gpointer data)
{
  Events *events = data;

  return events->messages->len >= GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (events->socket),
                                                                       "want"));
}

static JsonObject *
wait_message (Events *events,
              guint   index)
{
  g_object_set_data (G_OBJECT (events->socket), "want", GUINT_TO_POINTER (index + 1));
  ferry_test_wait_for (has_messages, events, 30);
  return g_ptr_array_index (events->messages, index);
}

static void
events_clear (Events *events)
{
  if (events->socket &&
      soup_websocket_connection_get_state (events->socket) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (events->socket, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_clear_object (&events->socket);
  g_clear_pointer (&events->messages, g_ptr_array_unref);
  g_clear_error (&events->error);
}

static void
test_events (Fixture       *f,
             gconstpointer  data)
{
  Events events = { 0 };
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  JsonObject *message;

  start (f, NULL);
  first = cli_upload (f, "before.txt", 5);
  events_connect (f, &events, NULL);
  g_assert_no_error (events.error);
  soup_websocket_connection_send_text (events.socket, "{\"type\": \"hello\", \"owner\": \"" OWNER "\"}");

  message = wait_message (&events, 0);
  g_assert_cmpstr (json_object_get_string_member (message, "type"), ==, "offer");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (message, "offer"),
                                                  "id"), ==, first);
  message = wait_message (&events, 1);
  g_assert_cmpstr (json_object_get_string_member (message, "type"), ==, "synced");
  g_assert_cmpint (json_object_get_int_member (message, "count"), ==, 1);

  second = cli_upload (f, "live.txt", 7);
  message = wait_message (&events, 2);
  g_assert_cmpstr (json_object_get_string_member (message, "type"), ==, "offer");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (message, "offer"),
                                                  "name"), ==, "live.txt");

  g_assert_cmpint (ferry_test_cli (f->server, f->config, NULL, NULL, "delete", first, NULL), ==, 0);
  message = wait_message (&events, 3);
  g_assert_cmpstr (json_object_get_string_member (message, "type"), ==, "deleted");
  g_assert_cmpstr (json_object_get_string_member (message, "id"), ==, first);
  events_clear (&events);

  /* A first message that is not a hello ends the socket. */
  events_connect (f, &events, NULL);
  soup_websocket_connection_send_text (events.socket, "{\"type\": \"subscribe\"}");
  ferry_test_wait (&events.closed, 30);
  g_assert_cmpuint (events.messages->len, ==, 0);
  events_clear (&events);

  /* Another site's page cannot open it. */
  events_connect (f, &events, "https://evil.example");
  g_assert_error (events.error, SOUP_WEBSOCKET_ERROR, SOUP_WEBSOCKET_ERROR_NOT_WEBSOCKET);
  events_clear (&events);
}

/* With --password-file: the page's login, a cookie with a CSRF token, Basic for curl, and the
 * lockout shared with the native protocol. */
static void
test_password (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *password_file = g_build_filename (f->tmp, "password", NULL);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(JsonObject) info = NULL;
  g_autoptr(GBytes) right = g_bytes_new_static ("{\"password\": \"correct horse\"}", 29);
  g_autoptr(GBytes) wrong = g_bytes_new_static ("{\"password\": \"wrong\"}", 21);
  g_autofree char *cookie = NULL;
  g_autofree char *basic = NULL;
  g_autofree char *encoded = g_base64_encode ((const guchar *) ":correct horse", 14);
  const char *csrf;
  const char *set_cookie;

  g_assert_true (g_file_set_contents (password_file, "correct horse\n", -1, NULL));
  start (f, "--password-file", password_file, NULL);

  g_assert_cmpuint (get (f, "/api/server", &info), ==, 200);
  g_assert_true (json_object_get_boolean_member (info, "auth"));
  g_assert_false (json_object_get_boolean_member (info, "authorized"));
  g_assert_cmpuint (get (f, "/api/offers", NULL), ==, 401);

  /* Login: the cookie's attributes, then the cookie opens the list. */
  g_assert_cmpuint (ferry_test_web_request (f->session, f->server, "POST", "/api/login",
                                            "application/json", right, &body, &headers, NULL),
                    ==, 200);
  answer = ferry_test_web_json (body);
  csrf = json_object_get_string_member (answer, "csrf");
  g_assert_cmpuint (strlen (csrf), ==, 64);
  set_cookie = soup_message_headers_get_one (headers, "Set-Cookie");
  g_assert_nonnull (strstr (set_cookie, "HttpOnly"));
  g_assert_nonnull (strstr (set_cookie, "SameSite=Strict"));
  g_assert_nonnull (strstr (set_cookie, "Secure"));
  cookie = g_strndup (set_cookie, strcspn (set_cookie, ";"));
  g_clear_pointer (&body, g_bytes_unref);
  g_assert_cmpuint (ferry_test_web_request (f->session, f->server, "GET", "/api/offers", NULL,
                                            NULL, NULL, NULL, "Cookie", cookie, NULL), ==, 200);
  /* A cookie alone does not change anything: the CSRF token must come too. */
  g_assert_cmpuint (ferry_test_web_request (f->session, f->server, "DELETE",
                                            "/api/offers/0123456789abcdef", NULL, NULL, NULL,
                                            NULL, "Cookie", cookie, "X-Ferry-Owner", OWNER, NULL),
                    ==, 403);
  g_assert_cmpuint (ferry_test_web_request (f->session, f->server, "DELETE",
                                            "/api/offers/0123456789abcdef", NULL, NULL, NULL,
                                            NULL, "Cookie", cookie, "X-Ferry-Owner", OWNER,
                                            "X-Ferry-CSRF", csrf, NULL), ==, 404);
  /* curl -u :PASSWORD */
  basic = g_strconcat ("Basic ", encoded, NULL);
  g_assert_cmpuint (ferry_test_web_request (f->session, f->server, "GET", "/api/offers", NULL,
                                            NULL, NULL, NULL, "Authorization", basic, NULL), ==, 200);
  /* Logout ends the session. */
  g_assert_cmpuint (ferry_test_web_request (f->session, f->server, "POST", "/api/logout",
                                            "application/json", right, NULL, NULL, "Cookie",
                                            cookie, "X-Ferry-CSRF", csrf, NULL), ==, 204);
  g_assert_cmpuint (ferry_test_web_request (f->session, f->server, "GET", "/api/offers", NULL,
                                            NULL, NULL, NULL, "Cookie", cookie, NULL), ==, 401);

  /* Five wrong passwords, then the lockout, with the native sentence; it holds for the right
   * password too, and for the native protocol. */
  for (guint i = 0; i < 5; i++)
    g_assert_cmpuint (ferry_test_web_request (f->session, f->server, "POST", "/api/login",
                                              "application/json", wrong, NULL, NULL, NULL), ==, 401);
  g_clear_pointer (&body, g_bytes_unref);
  g_assert_cmpuint (ferry_test_web_request (f->session, f->server, "POST", "/api/login",
                                            "application/json", right, &body, NULL, NULL), ==, 429);
  g_clear_pointer (&answer, json_object_unref);
  answer = ferry_test_web_json (body);
  g_assert_nonnull (strstr (json_object_get_string_member (answer, "error"),
                            "Too many wrong passwords"));
  {
    g_autofree char *err = NULL;
    g_autofree char *pw_arg = g_strdup (password_file);

    g_assert_cmpint (ferry_test_cli (f->server, f->config, NULL, &err, "--password-file", pw_arg,
                                     "list", NULL), !=, 0);
    g_assert_nonnull (strstr (err, "Too many wrong passwords"));
  }
}

/* What hostile HTTP peers get: a body over the limit, a request that never ends its headers,
 * the connection limit per address, and --no-web. */
static void
test_limits (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GBytes) big = NULL;
  g_autoptr(GIOStream) slow = NULL;
  g_autoptr(GIOStream) held = NULL;
  char buffer[256];
  gssize n;
  GString *text;

  start (f, "--max-connections-per-address", "2", NULL);

  text = g_string_new ("{\"password\": \"");
  while (text->len < 100 * 1024)
    g_string_append (text, "xxxxxxxxxxxxxxxx");
  g_string_append (text, "\"}");
  big = g_string_free_to_bytes (text);
  g_assert_cmpuint (ferry_test_web_request (f->session, f->server, "POST", "/api/login",
                                            "application/json", big, NULL, NULL, NULL), ==, 413);

  /* Headers over libsoup's 64 KiB: no answer but an error, and the connection ends. */
  {
    g_autoptr(GIOStream) huge = ferry_test_raw_connect (f->server);
    GString *request = g_string_new ("GET /api/server HTTP/1.1\r\nHost: x\r\nX-Big: ");

    for (guint i = 0; i < 100 * 1024 / 16; i++)
      g_string_append (request, "aaaaaaaaaaaaaaaa");
    g_string_append (request, "\r\n\r\n");
    /* The server may stop reading before all of it is sent. */
    g_output_stream_write_all (g_io_stream_get_output_stream (huge), request->str, request->len,
                               NULL, NULL, NULL);
    g_string_free (request, TRUE);
    n = g_input_stream_read (g_io_stream_get_input_stream (huge), buffer, sizeof buffer - 1, NULL,
                             NULL);
    if (n > 0)
      {
        buffer[n] = '\0';
        g_assert_false (g_str_has_prefix (buffer, "HTTP/1.1 2"));
      }
  }

  /* Headers that never end: closed by the handshake deadline (10 s), with no answer. */
  slow = ferry_test_raw_connect (f->server);
  ferry_test_raw_send_data (slow, "GET /api/offers HTTP/1.1\r\nHost: x\r\n", 35);
  n = g_input_stream_read (g_io_stream_get_input_stream (slow), buffer, sizeof buffer, NULL, NULL);
  g_assert_cmpint (n, <=, 0);

  /* Two connections from one address are the limit (two WebSockets, which stay open): a
   * third is told 503. */
  held = ferry_test_raw_connect (f->server);
  ferry_test_raw_send_data (held, UPGRADE, strlen (UPGRADE));
  n = g_input_stream_read (g_io_stream_get_input_stream (held), buffer, sizeof buffer - 1, NULL,
                           NULL);
  g_assert_cmpint (n, >, 12);
  buffer[n] = '\0';
  g_assert_true (g_str_has_prefix (buffer, "HTTP/1.1 101"));
  {
    g_autoptr(GIOStream) second = ferry_test_raw_connect (f->server);
    g_autoptr(GIOStream) third = ferry_test_raw_connect (f->server);

    ferry_test_raw_send_data (second, UPGRADE, strlen (UPGRADE));
    n = g_input_stream_read (g_io_stream_get_input_stream (second), buffer, sizeof buffer - 1,
                             NULL, NULL);
    g_assert_cmpint (n, >, 12);
    buffer[n] = '\0';
    g_assert_true (g_str_has_prefix (buffer, "HTTP/1.1 101"));
    ferry_test_raw_send_data (third, "GET /api/server HTTP/1.1\r\nHost: x\r\n\r\n", 37);
    n = g_input_stream_read (g_io_stream_get_input_stream (third), buffer, sizeof buffer - 1,
                             NULL, NULL);
    g_assert_cmpint (n, >, 12);
    buffer[n] = '\0';
    g_assert_true (g_str_has_prefix (buffer, "HTTP/1.1 503"));
  }
}

/* Every answer but a WebSocket's closes its connection, which then gives its slot back:
 * many requests in a row from one address, beyond the per-address limit, all succeed. */
static void
test_connections_end (Fixture       *f,
                      gconstpointer  data)
{
  start (f, "--max-connections-per-address", "2", NULL);
  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(GIOStream) conn = ferry_test_raw_connect (f->server);
      char buffer[64];
      gssize n;

      ferry_test_raw_send_data (conn, "GET /api/server HTTP/1.1\r\nHost: x\r\n\r\n", 37);
      n = g_input_stream_read (g_io_stream_get_input_stream (conn), buffer, sizeof buffer - 1,
                               NULL, NULL);
      g_assert_cmpint (n, >, 12);
      buffer[n] = '\0';
      g_assert_true (g_str_has_prefix (buffer, "HTTP/1.1 200"));
    }
}

static void
test_no_web (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GIOStream) conn = NULL;

  start (f, "--no-web", NULL);
  conn = ferry_test_raw_connect (f->server);
  ferry_test_raw_send_data (conn, "GET /api/server HTTP/1.1\r\nHost: x\r\n\r\n", 37);
  /* The native protocol's answer to bytes that are not a frame. */
  ferry_test_raw_expect_error (conn, FERRY_ERROR_MALFORMED);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/web/one-port", Fixture, NULL, setup, test_one_port, teardown);
  g_test_add ("/web/delete-refused", Fixture, NULL, setup, test_delete_refused, teardown);
  g_test_add ("/web/csrf", Fixture, NULL, setup, test_csrf, teardown);
  g_test_add ("/web/events", Fixture, NULL, setup, test_events, teardown);
  g_test_add ("/web/password", Fixture, NULL, setup, test_password, teardown);
  g_test_add ("/web/limits", Fixture, NULL, setup, test_limits, teardown);
  g_test_add ("/web/connections-end", Fixture, NULL, setup, test_connections_end, teardown);
  g_test_add ("/web/no-web", Fixture, NULL, setup, test_no_web, teardown);

  return g_test_run ();
}
