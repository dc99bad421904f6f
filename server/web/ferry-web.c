/* ferry-web.c: the SoupServer, the connections, the routes and the gate
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-server"

#include "config.h"

#include "ferry-web-private.h"

#include <glib/gi18n.h>
#include <string.h>

#include "ferry-checksum.h"
#include "ferry-error.h"
#include "ferry-limits.h"
#include "ferry-message.h"

#define ROUTE_KEY "ferry-web-route"
#define REST_KEY "ferry-web-rest"

/* Every response (HTTP.md §4). */
#define CONTENT_SECURITY_POLICY \
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
  "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; " \
  "frame-ancestors 'none'"

G_DEFINE_FINAL_TYPE (FerryWeb, ferry_web, G_TYPE_OBJECT)

typedef struct
{
  FerryWeb                 *web;      /* not owned: the web front outlives its connections */
  FerryWebStreamClosedFunc  closed;
  gpointer                  closed_data;
} Connection;

static void
ferry_web_dispose (GObject *object)
{
  FerryWeb *self = FERRY_WEB (object);

  if (self->soup)
    soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);
  G_OBJECT_CLASS (ferry_web_parent_class)->dispose (object);
}

static void
ferry_web_finalize (GObject *object)
{
  FerryWeb *self = FERRY_WEB (object);

  g_clear_pointer (&self->streams, g_hash_table_unref);
  g_clear_pointer (&self->routes, g_ptr_array_unref);
  g_clear_pointer (&self->sessions, ferry_web_sessions_free);
  g_clear_pointer (&self->fingerprint, g_free);
  g_clear_object (&self->auth);
  g_clear_object (&self->links);
  g_clear_object (&self->hub);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (ferry_web_parent_class)->finalize (object);
}

static void
ferry_web_class_init (FerryWebClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_web_dispose;
  object_class->finalize = ferry_web_finalize;
}

static void
ferry_web_init (FerryWeb *self)
{
  self->streams = g_hash_table_new (NULL, NULL);
  self->routes = g_ptr_array_new_with_free_func (g_free);
}

/* Routes */

void
ferry_web_add_route (FerryWeb            *self,
                     const FerryWebRoute *route)
{
  g_return_if_fail (FERRY_IS_WEB (self));
  g_return_if_fail (route != NULL && route->path != NULL);

  g_ptr_array_add (self->routes, g_memdup2 (route, sizeof *route));
}

static gboolean
method_matches (const FerryWebRoute *route,
                const char          *method)
{
  if (!route->method)
    return TRUE;
  if (g_str_equal (route->method, method))
    return TRUE;
  return g_str_equal (route->method, "GET") && g_str_equal (method, "HEAD");
}

/* The route for @path, or NULL; @path_known tells whether some route has the path under
 * another method (405 rather than 404). */
static const FerryWebRoute *
find_route (FerryWeb    *self,
            const char  *method,
            const char  *path,
            const char **rest,
            gboolean    *path_known)
{
  *path_known = FALSE;
  for (guint i = 0; i < self->routes->len; i++)
    {
      const FerryWebRoute *route = g_ptr_array_index (self->routes, i);
      gboolean match;

      if (route->flags & FERRY_WEB_ROUTE_PREFIX)
        match = g_str_has_prefix (path, route->path);
      else
        match = g_str_equal (path, route->path);
      if (!match)
        continue;
      *path_known = TRUE;
      if (!method_matches (route, method))
        continue;
      *rest = (route->flags & FERRY_WEB_ROUTE_PREFIX) ? path + strlen (route->path) : "";
      return route;
    }
  return NULL;
}

/* Connections */

FerryWebStream *
ferry_web_get_stream (FerryWeb          *self,
                      SoupServerMessage *msg)
{
  g_return_val_if_fail (FERRY_IS_WEB (self), NULL);
  return g_hash_table_lookup (self->streams, soup_server_message_get_remote_address (msg));
}

const char *
ferry_web_get_address (FerryWeb          *self,
                       SoupServerMessage *msg)
{
  FerryWebStream *stream = ferry_web_get_stream (self, msg);

  return stream ? ferry_web_stream_get_address (stream) : "(unknown)";
}

const char *
ferry_web_get_peer (FerryWeb          *self,
                    SoupServerMessage *msg)
{
  FerryWebStream *stream = ferry_web_get_stream (self, msg);

  return stream ? ferry_web_stream_get_peer (stream) : "(unknown)";
}

static void
connection_closed_cb (FerryWebStream *stream,
                      gpointer        user_data)
{
  Connection *connection = user_data;

  g_hash_table_remove (connection->web->streams, ferry_web_stream_get_remote (stream));
  g_debug ("%s: HTTP connection closed", ferry_web_stream_get_peer (stream));
  if (connection->closed)
    connection->closed (stream, connection->closed_data);
  g_free (connection);
}

void
ferry_web_accept (FerryWeb                 *self,
                  GIOStream                *base,
                  GBytes                   *first_bytes,
                  gint64                    deadline,
                  FerryWebStreamClosedFunc  closed,
                  gpointer                  user_data)
{
  g_autoptr(FerryWebStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  Connection *connection;

  g_return_if_fail (FERRY_IS_WEB (self));
  g_return_if_fail (G_IS_IO_STREAM (base));

  connection = g_new0 (Connection, 1);
  connection->web = self;
  connection->closed = closed;
  connection->closed_data = user_data;
  stream = ferry_web_stream_new (base, first_bytes, connection_closed_cb, connection);
  if (ferry_web_stream_get_remote (stream))
    g_hash_table_insert (self->streams, ferry_web_stream_get_remote (stream), stream);
  g_debug ("%s: HTTP connection", ferry_web_stream_get_peer (stream));
  /* The first request's headers by the handshake deadline (the gate clears it). */
  ferry_web_stream_set_deadline (stream, deadline);

  if (!soup_server_accept_iostream (self->soup, G_IO_STREAM (stream),
                                    ferry_web_stream_get_local (stream),
                                    ferry_web_stream_get_remote (stream), &error))
    {
      g_message ("%s: could not serve HTTP: %s", ferry_web_stream_get_peer (stream),
                 error->message);
      g_io_stream_close_async (G_IO_STREAM (stream), G_PRIORITY_DEFAULT, NULL, NULL, NULL);
    }
}

static void
refuse_written_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GIOStream) base = user_data;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, NULL, NULL);
  g_io_stream_close_async (base, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
}

void
ferry_web_refuse_busy (GIOStream *base)
{
  static const char body[] =
    "{\"error\": \"The server is busy with other connections; try again.\", \"code\": \"BUSY\"}";
  char *response;

  g_return_if_fail (G_IS_IO_STREAM (base));

  response = g_strdup_printf ("HTTP/1.1 503 Service Unavailable\r\n"
                              "Retry-After: 1\r\n"
                              "Content-Type: application/json; charset=utf-8\r\n"
                              "Content-Length: %zu\r\n"
                              "Connection: close\r\n"
                              "\r\n%s", sizeof body - 1, body);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (base), response,
                                   strlen (response), G_PRIORITY_DEFAULT, NULL,
                                   refuse_written_cb, g_object_ref (base));
  g_object_set_data_full (G_OBJECT (base), "ferry-web-busy", response, g_free);
}

void
ferry_web_close_all (FerryWeb *self)
{
  g_autoptr(GPtrArray) streams = NULL;
  GHashTableIter iter;
  gpointer stream;

  g_return_if_fail (FERRY_IS_WEB (self));

  streams = g_ptr_array_new_with_free_func (g_object_unref);
  g_hash_table_iter_init (&iter, self->streams);
  while (g_hash_table_iter_next (&iter, NULL, &stream))
    g_ptr_array_add (streams, g_object_ref (stream));
  for (guint i = 0; i < streams->len; i++)
    ferry_web_stream_abort (g_ptr_array_index (streams, i));
}

guint
ferry_web_get_n_connections (FerryWeb *self)
{
  g_return_val_if_fail (FERRY_IS_WEB (self), 0);
  return g_hash_table_size (self->streams);
}

/* Replies */

void
ferry_web_reply_json (SoupServerMessage *msg,
                      guint              status,
                      JsonNode          *node)
{
  g_autofree char *text = json_to_string (node, FALSE);
  gsize length = strlen (text);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Cache-Control", "no-store");
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json; charset=utf-8", SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&text), length);
}

void
ferry_web_reply_error (SoupServerMessage *msg,
                       guint              status,
                       const char        *code,
                       const char        *sentence)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_add_string_value (builder, sentence);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, code);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  ferry_web_reply_json (msg, status, node);
}

void
ferry_web_reply_gerror (SoupServerMessage *msg,
                        const GError      *error)
{
  guint status = SOUP_STATUS_INTERNAL_SERVER_ERROR;
  const char *code = "INTERNAL";

  if (error->domain == FERRY_ERROR)
    switch (error->code)
      {
      case FERRY_ERROR_NOT_FOUND: status = SOUP_STATUS_NOT_FOUND; code = "NOT_FOUND"; break;
      case FERRY_ERROR_NOT_OWNER: status = SOUP_STATUS_FORBIDDEN; code = "NOT_OWNER"; break;
      case FERRY_ERROR_TOO_LARGE:
        status = SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE; code = "TOO_LARGE"; break;
      case FERRY_ERROR_NO_SPACE:
        status = SOUP_STATUS_INSUFFICIENT_STORAGE; code = "NO_SPACE"; break;
      case FERRY_ERROR_CHECKSUM: status = SOUP_STATUS_UNPROCESSABLE_ENTITY; code = "CHECKSUM"; break;
      case FERRY_ERROR_SIZE_MISMATCH:
        status = SOUP_STATUS_UNPROCESSABLE_ENTITY; code = "SIZE_MISMATCH"; break;
      case FERRY_ERROR_BUSY: status = SOUP_STATUS_SERVICE_UNAVAILABLE; code = "BUSY"; break;
      case FERRY_ERROR_INVALID_NAME: status = SOUP_STATUS_BAD_REQUEST; code = "INVALID_NAME"; break;
      case FERRY_ERROR_MALFORMED: status = SOUP_STATUS_BAD_REQUEST; code = "BAD_REQUEST"; break;
      case FERRY_ERROR_AUTH: status = SOUP_STATUS_UNAUTHORIZED; code = "AUTH"; break;
      case FERRY_ERROR_TIMEOUT: status = SOUP_STATUS_REQUEST_TIMEOUT; code = "TIMEOUT"; break;
      default: break;
      }
  if (status == SOUP_STATUS_SERVICE_UNAVAILABLE)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "Retry-After", "1");
  ferry_web_reply_error (msg, status, code, error->message);
}

JsonObject *
ferry_web_read_json_object (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);
  JsonNode *root;

  if (size == 0 || !g_utf8_validate (data, (gssize) size, NULL) ||
      !json_parser_load_from_data (parser, data, (gssize) size, NULL) ||
      !(root = json_parser_get_root (parser)) || !JSON_NODE_HOLDS_OBJECT (root))
    {
      ferry_web_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "BAD_REQUEST",
                             _("The request's body is not a JSON object."));
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

/* Request fields */

gboolean
ferry_web_get_owner_hash (SoupServerMessage *msg,
                          guint8             hash[FERRY_CATALOGUE_HASH_SIZE],
                          gboolean          *malformed)
{
  const char *value = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                    "X-Ferry-Owner");
  guint8 secret[FERRY_SECRET_SIZE];
  g_autoptr(GChecksum) checksum = NULL;
  gsize size = FERRY_CATALOGUE_HASH_SIZE;

  G_STATIC_ASSERT (FERRY_SECRET_SIZE == FERRY_SHA256_SIZE);
  *malformed = FALSE;
  if (!value)
    return FALSE;
  /* 64 hex digits, as a SHA-256 is written. */
  if (!ferry_sha256_from_hex (value, secret))
    {
      *malformed = TRUE;
      ferry_web_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "BAD_REQUEST",
                             _("X-Ferry-Owner must be 64 hexadecimal digits."));
      return FALSE;
    }
  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, secret, sizeof secret);
  g_checksum_get_digest (checksum, hash, &size);
  return TRUE;
}

char *
ferry_web_dup_uploader (SoupServerMessage *msg,
                        const char        *fallback)
{
  const char *value = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                    "X-Ferry-Name");
  g_autofree char *name = NULL;
  g_autoptr(GError) error = NULL;

  if (!value)
    return g_strdup (fallback);
  name = g_uri_unescape_string (value, NULL);
  if (!name || strlen (name) == 0 || !ferry_name_check (name, FERRY_MAX_USER_LEN, &error))
    {
      ferry_web_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "BAD_REQUEST",
                             error ? error->message
                                   : _("X-Ferry-Name must be a percent-encoded UTF-8 name."));
      return NULL;
    }
  return g_steal_pointer (&name);
}

char *
ferry_web_decode_segment (const char *segment)
{
  g_autofree char *decoded = NULL;

  if (!segment || !*segment || strchr (segment, '/'))
    return NULL;
  /* Refuses %2F and %00; invalid UTF-8 is refused below. */
  decoded = g_uri_unescape_segment (segment, NULL, "/");
  if (!decoded || !*decoded || !g_utf8_validate (decoded, -1, NULL))
    return NULL;
  return g_steal_pointer (&decoded);
}

char *
ferry_web_offer_path (FerryCatalogueRow *row)
{
  g_autofree char *name = g_uri_escape_string (row->name, NULL, FALSE);

  if (row->is_folder)
    return g_strdup_printf ("/f/%s/%s.zip", row->id, name);
  return g_strdup_printf ("/f/%s/%s", row->id, name);
}

JsonNode *
ferry_web_offer_to_json (FerryCatalogueRow *row,
                         const guint8      *owner_hash)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *sha256 = ferry_sha256_to_hex (row->sha256);
  g_autofree char *url = ferry_web_offer_path (row);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, row->id);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, row->name);
  json_builder_set_member_name (builder, "size");
  json_builder_add_int_value (builder, (gint64) row->size);
  json_builder_set_member_name (builder, "sha256");
  json_builder_add_string_value (builder, sha256);
  json_builder_set_member_name (builder, "uploader");
  json_builder_add_string_value (builder, row->uploader);
  json_builder_set_member_name (builder, "created");
  json_builder_add_int_value (builder, row->created);
  json_builder_set_member_name (builder, "expires");
  json_builder_add_int_value (builder, row->expires);
  json_builder_set_member_name (builder, "mine");
  json_builder_add_boolean_value (builder, owner_hash &&
                                  memcmp (owner_hash, row->owner_hash,
                                          FERRY_CATALOGUE_HASH_SIZE) == 0);
  json_builder_set_member_name (builder, "folder");
  if (row->is_folder)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "files");
      json_builder_add_int_value (builder, row->folder_files);
      json_builder_set_member_name (builder, "bytes");
      json_builder_add_int_value (builder, (gint64) row->folder_content);
      json_builder_end_object (builder);
    }
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "url");
  json_builder_add_string_value (builder, url);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* The gate (HTTP.md §3, §4): at each request's headers, before its body. */

static gboolean
is_state_changing (const char *method)
{
  return g_str_equal (method, "POST") || g_str_equal (method, "PUT") ||
         g_str_equal (method, "PATCH") || g_str_equal (method, "DELETE");
}

/* The origin this request was sent to: the scheme of our connection and its Host. */
static char *
dup_own_origin (FerryWeb          *self,
                SoupServerMessage *msg)
{
  const char *host = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                   "Host");

  if (!host)
    return NULL;
  return g_strdup_printf ("%s://%s", self->config.tls ? "https" : "http", host);
}

static gboolean
check_csrf (FerryWeb            *self,
            SoupServerMessage   *msg,
            const FerryWebRoute *route,
            gboolean             cookie_auth)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *method = soup_server_message_get_method (msg);
  const char *origin = soup_message_headers_get_one (headers, "Origin");
  const char *site = soup_message_headers_get_one (headers, "Sec-Fetch-Site");
  g_autofree char *own = NULL;
  const char *type;

  if (!is_state_changing (method) && !(route->flags & FERRY_WEB_ROUTE_SAME_ORIGIN))
    return TRUE;
  if (origin)
    {
      own = dup_own_origin (self, msg);
      if (!own || g_ascii_strcasecmp (origin, own) != 0)
        goto refused;
    }
  if (site && !g_str_equal (site, "same-origin") && !g_str_equal (site, "none"))
    goto refused;
  if (!is_state_changing (method))
    return TRUE;
  if (cookie_auth && !ferry_web_auth_check_csrf (self, msg))
    goto refused;
  if (g_str_equal (method, "POST"))
    {
      type = soup_message_headers_get_content_type (headers, NULL);
      if (soup_message_headers_get_content_length (headers) > 0 || type)
        if (!type || g_ascii_strcasecmp (type, "application/json") != 0)
          {
            ferry_web_reply_error (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "BAD_REQUEST",
                                   _("A POST request's body must be JSON (application/json)."));
            return FALSE;
          }
    }
  return TRUE;

refused:
  g_message ("%s: refused a cross-site %s %s", ferry_web_get_peer (self, msg), method,
             g_uri_get_path (soup_server_message_get_uri (msg)));
  ferry_web_reply_error (msg, SOUP_STATUS_FORBIDDEN, "FORBIDDEN",
                         _("This request did not come from Ferry's own page."));
  return FALSE;
}

/* "got-chunk" of a request whose body must stay small but whose length was not announced. */
static void
small_body_chunk_cb (SoupServerMessage *msg,
                     GBytes            *chunk,
                     gpointer           user_data)
{
  FerryWeb *self = user_data;
  guint64 total = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (msg), "ferry-web-body"));
  FerryWebStream *stream;

  total += g_bytes_get_size (chunk);
  g_object_set_data (G_OBJECT (msg), "ferry-web-body", GSIZE_TO_POINTER (total));
  if (total <= FERRY_WEB_JSON_MAX)
    return;
  stream = ferry_web_get_stream (self, msg);
  g_message ("%s: dropped: a request body over %u KiB", ferry_web_get_peer (self, msg),
             FERRY_WEB_JSON_MAX / 1024);
  g_signal_handlers_disconnect_by_func (msg, small_body_chunk_cb, user_data);
  if (stream)
    ferry_web_stream_abort (stream);
}

static gboolean
check_body_size (FerryWeb            *self,
                 SoupServerMessage   *msg,
                 const FerryWebRoute *route)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  if (route->flags & FERRY_WEB_ROUTE_STREAM_BODY)
    return TRUE;
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
    {
      if (soup_message_headers_get_content_length (headers) <= FERRY_WEB_JSON_MAX)
        return TRUE;
      ferry_web_reply_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "TOO_LARGE",
                             _("The request's body is too large."));
      return FALSE;
    }
  g_signal_connect (msg, "got-chunk", G_CALLBACK (small_body_chunk_cb), self);
  return TRUE;
}

static void
add_security_headers (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace (headers, "X-Frame-Options", "DENY");
  soup_message_headers_replace (headers, "Content-Security-Policy", CONTENT_SECURITY_POLICY);
  /* One request per connection: libsoup 3.2 keeps an idle kept-alive connection that its
   * client closed open for good (fixed in libsoup 3.3), and a connection that is never
   * idle cannot be leaked. A WebSocket's handshake replaces this with "Upgrade". */
  soup_message_headers_replace (headers, "Connection", "close");
}

static void
gate_cb (SoupServer        *server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  FerryWeb *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  const FerryWebRoute *route;
  const char *rest = "";
  gboolean path_known;
  gboolean cookie_auth = FALSE;
  FerryWebStream *stream = ferry_web_get_stream (self, msg);

  /* The first request's headers arrived: from now on only the idle limit applies. */
  if (stream)
    ferry_web_stream_set_deadline (stream, 0);
  add_security_headers (msg);

  route = find_route (self, method, path, &rest, &path_known);
  if (!route)
    {
      if (path_known)
        ferry_web_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "BAD_REQUEST",
                               _("This address does not take that method."));
      else
        ferry_web_reply_error (msg, SOUP_STATUS_NOT_FOUND, "NOT_FOUND",
                               _("There is nothing at this address."));
      return;
    }
  if (!ferry_web_auth_check (self, msg, route->flags, &cookie_auth))
    return;
  if (!check_csrf (self, msg, route, cookie_auth) || !check_body_size (self, msg, route))
    return;

  g_object_set_data (G_OBJECT (msg), ROUTE_KEY, (gpointer) route);
  g_object_set_data_full (G_OBJECT (msg), REST_KEY, g_strdup (rest), g_free);
  if (route->early)
    route->early (self, msg, rest, route->user_data);
}

static void
dispatch_cb (SoupServer        *server,
             SoupServerMessage *msg,
             const char        *path,
             GHashTable        *query,
             gpointer           user_data)
{
  FerryWeb *self = user_data;
  const FerryWebRoute *route = g_object_get_data (G_OBJECT (msg), ROUTE_KEY);

  /* The gate answered, or the early function did. */
  if (!route || soup_server_message_get_status (msg) != 0)
    return;
  if (!route->handler)
    {
      ferry_web_reply_error (msg, SOUP_STATUS_NOT_FOUND, "NOT_FOUND",
                             _("There is nothing at this address."));
      return;
    }
  route->handler (self, msg, g_object_get_data (G_OBJECT (msg), REST_KEY), route->user_data);
}

FerryWeb *
ferry_web_new (FerryStore           *store,
               FerryHub             *hub,
               const FerryWebConfig *config)
{
  FerryWeb *self;
  g_autofree char *header = g_strdup_printf ("ferry-server/%s ", PACKAGE_VERSION);

  g_return_val_if_fail (FERRY_IS_STORE (store), NULL);
  g_return_val_if_fail (FERRY_IS_HUB (hub), NULL);
  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (FERRY_IS_LINKS (config->links), NULL);

  self = g_object_new (FERRY_TYPE_WEB, NULL);
  self->store = g_object_ref (store);
  self->hub = g_object_ref (hub);
  self->auth = config->auth ? g_object_ref (config->auth) : NULL;
  self->fingerprint = g_strdup (config->fingerprint);
  self->config = *config;
  self->links = g_object_ref (config->links);
  self->config.auth = self->auth;
  self->config.links = self->links;
  self->config.fingerprint = self->fingerprint;
  self->soup = soup_server_new ("server-header", header, "raw-paths", TRUE, NULL);

  soup_server_add_early_handler (self->soup, NULL, gate_cb, self, NULL);
  soup_server_add_handler (self->soup, NULL, dispatch_cb, self, NULL);

  ferry_web_auth_register (self);
  ferry_web_offers_register (self);
  ferry_web_events_register (self);
  ferry_web_page_register (self);
  ferry_web_download_register (self);
  ferry_web_upload_register (self);
  return self;
}
