/* ferry-web-auth.c: the password on the web front — login sessions, Basic, CSRF tokens
 * (docs/HTTP.md §3)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The password itself, its comparison and the per-address lockout are FerryAuth's, shared with
 * the native HELLO. This file adds what a browser needs: a session cookie after one login,
 * with a CSRF token beside it.
 */
#define G_LOG_DOMAIN "ferry-server"

#include "config.h"

#include "ferry-web-private.h"

#include <glib/gi18n.h>
#include <openssl/crypto.h>
#include <string.h>

#include "ferry-checksum.h"
#include "ferry-identity.h"

/* libsoup 3.2 names no 429. */
#define STATUS_TOO_MANY_REQUESTS 429
#define COOKIE_NAME "ferry-session"
#define SESSION_LIFETIME_S (7 * 24 * 3600)
#define MAX_SESSIONS 10000
#define TOKEN_BYTES 32
/* The link key a request was let in by, on the message (ferry_web_auth_get_link_key). */
#define LINK_KEY_KEY "ferry-web-link-key"

typedef struct
{
  char   *csrf;          /* 64 hex digits */
  gint64  last_used;     /* monotonic µs */
} Session;

struct _FerryWebSessions
{
  GHashTable *by_hash;   /* hex SHA-256 of the cookie -> Session */
};

static void
session_free (gpointer data)
{
  Session *session = data;

  g_free (session->csrf);
  g_free (session);
}

void
ferry_web_sessions_free (FerryWebSessions *sessions)
{
  g_hash_table_unref (sessions->by_hash);
  g_free (sessions);
}

static char *
random_hex (void)
{
  guint8 bytes[TOKEN_BYTES];

  /* getrandom() does not fail for 32 bytes once the system has booted. */
  if (!ferry_random_bytes (bytes, sizeof bytes, NULL))
    g_error ("The system's random source failed");
  return ferry_sha256_to_hex (bytes);
}

static char *
hash_hex (const char *token)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
}

/* The session of @msg's cookie, or NULL (also when it expired, which removes it). */
static Session *
lookup_session (FerryWeb          *self,
                SoupServerMessage *msg)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "Cookie");
  g_autoptr(GHashTable) cookies = NULL;
  const char *token;
  g_autofree char *hash = NULL;
  Session *session;
  gint64 now = g_get_monotonic_time ();

  if (!header)
    return NULL;
  cookies = soup_header_parse_semi_param_list (header);
  token = g_hash_table_lookup (cookies, COOKIE_NAME);
  if (!token || strlen (token) != 2 * TOKEN_BYTES)
    return NULL;
  hash = hash_hex (token);
  session = g_hash_table_lookup (self->sessions->by_hash, hash);
  if (!session)
    return NULL;
  if (now - session->last_used > (gint64) SESSION_LIFETIME_S * G_USEC_PER_SEC)
    {
      g_hash_table_remove (self->sessions->by_hash, hash);
      return NULL;
    }
  session->last_used = now;
  return session;
}

static void
drop_least_recently_used (FerryWebSessions *sessions)
{
  GHashTableIter iter;
  gpointer key, value;
  gpointer oldest_key = NULL;
  gint64 oldest = G_MAXINT64;

  g_hash_table_iter_init (&iter, sessions->by_hash);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (((Session *) value)->last_used < oldest)
      {
        oldest = ((Session *) value)->last_used;
        oldest_key = key;
      }
  if (oldest_key)
    g_hash_table_remove (sessions->by_hash, oldest_key);
}

/* Decodes "Authorization: Basic …" into its password (after the first ':'), or NULL. */
static char *
dup_basic_password (SoupServerMessage *msg)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "Authorization");
  g_autofree guchar *decoded = NULL;
  gsize size;
  const char *colon;

  if (!header || g_ascii_strncasecmp (header, "Basic ", 6) != 0)
    return NULL;
  decoded = g_base64_decode (header + 6, &size);
  if (!decoded || size == 0 || memchr (decoded, '\0', size))
    return NULL;
  colon = memchr (decoded, ':', size);
  if (!colon)
    return NULL;
  return g_strndup (colon + 1, size - (gsize) ((const guchar *) colon + 1 - decoded));
}

/* Checks @password as FerryAuth does for HELLO; a refusal is answered 401, or 429 when the
 * address was locked out before this attempt. */
static gboolean
check_password (FerryWeb          *self,
                SoupServerMessage *msg,
                const char        *password,
                const char        *what)
{
  const char *address = ferry_web_get_address (self, msg);
  gboolean locked = ferry_auth_is_locked (self->auth, address);
  g_autoptr(GError) error = NULL;

  if (ferry_auth_check (self->auth, address, password, &error))
    return TRUE;
  g_message ("%s: refused %s: %s", ferry_web_get_peer (self, msg), what, error->message);
  ferry_web_reply_error (msg, locked ? STATUS_TOO_MANY_REQUESTS : SOUP_STATUS_UNAUTHORIZED,
                         "AUTH", error->message);
  return FALSE;
}

const char *
ferry_web_auth_get_link_key (SoupServerMessage *msg)
{
  return g_object_get_data (G_OBJECT (msg), LINK_KEY_KEY);
}

gboolean
ferry_web_auth_check (FerryWeb           *self,
                      SoupServerMessage  *msg,
                      FerryWebRouteFlags  flags,
                      gboolean           *cookie_auth)
{
  g_autofree char *password = NULL;
  g_autoptr(GError) error = NULL;
  *cookie_auth = FALSE;
  if (!self->auth)
    return TRUE;
  if (lookup_session (self, msg))
    {
      *cookie_auth = TRUE;
      return TRUE;
    }
  if (flags & FERRY_WEB_ROUTE_PUBLIC)
    return TRUE;

  password = dup_basic_password (msg);
  if (password)
    return check_password (self, msg, password, "a request");

  if (flags & FERRY_WEB_ROUTE_LINK_KEY)
    {
      const char *query = g_uri_get_query (soup_server_message_get_uri (msg));
      g_autoptr(GHashTable) fields = query ? soup_form_decode (query) : NULL;

      const char *key = fields ? g_hash_table_lookup (fields, "key") : NULL;

      /* The download handler checks the key (ferry_web_auth_get_link_key). */
      if (key)
        {
          g_object_set_data_full (G_OBJECT (msg), LINK_KEY_KEY, g_strdup (key), g_free);
          return TRUE;
        }
    }

  ferry_web_reply_error (msg, SOUP_STATUS_UNAUTHORIZED, "AUTH",
                         _("This server needs a password; log in first."));
  return FALSE;
}

gboolean
ferry_web_auth_check_csrf (FerryWeb          *self,
                           SoupServerMessage *msg)
{
  Session *session = lookup_session (self, msg);
  const char *given = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                    "X-Ferry-CSRF");

  return session && given && strlen (given) == strlen (session->csrf) &&
         CRYPTO_memcmp (given, session->csrf, strlen (given)) == 0;
}

static void
set_cookie (FerryWeb          *self,
            SoupServerMessage *msg,
            const char        *value,
            guint              max_age)
{
  g_autofree char *cookie =
    g_strdup_printf (COOKIE_NAME "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%u%s", value,
                     max_age, self->config.tls ? "; Secure" : "");

  soup_message_headers_append (soup_server_message_get_response_headers (msg), "Set-Cookie",
                               cookie);
}

static void
add_string_member (JsonBuilder *builder,
                   const char  *name,
                   const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

/* POST /api/login {"password": "…"} */
static void
login_cb (FerryWeb          *self,
          SoupServerMessage *msg,
          const char        *rest,
          gpointer           user_data)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *token = NULL;
  Session *session;
  const char *password;

  if (!self->auth)
    {
      ferry_web_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "BAD_REQUEST",
                             _("This server has no password."));
      return;
    }
  body = ferry_web_read_json_object (msg);
  if (!body)
    return;
  password = json_object_get_string_member_with_default (body, "password", NULL);
  if (!password || strlen (password) > 1024 || !g_utf8_validate (password, -1, NULL))
    {
      ferry_web_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "BAD_REQUEST",
                             _("The login needs a password."));
      return;
    }
  if (!check_password (self, msg, password, "a login"))
    return;

  if (g_hash_table_size (self->sessions->by_hash) >= MAX_SESSIONS)
    drop_least_recently_used (self->sessions);
  token = random_hex ();
  session = g_new0 (Session, 1);
  session->csrf = random_hex ();
  session->last_used = g_get_monotonic_time ();
  g_hash_table_insert (self->sessions->by_hash, hash_hex (token), session);
  set_cookie (self, msg, token, SESSION_LIFETIME_S);
  g_message ("%s: logged in from a browser", ferry_web_get_peer (self, msg));

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  add_string_member (builder, "csrf", session->csrf);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  ferry_web_reply_json (msg, SOUP_STATUS_OK, node);
}

/* POST /api/logout */
static void
logout_cb (FerryWeb          *self,
           SoupServerMessage *msg,
           const char        *rest,
           gpointer           user_data)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "Cookie");

  if (header && self->auth)
    {
      g_autoptr(GHashTable) cookies = soup_header_parse_semi_param_list (header);
      const char *token = g_hash_table_lookup (cookies, COOKIE_NAME);

      if (token)
        {
          g_autofree char *hash = hash_hex (token);

          g_hash_table_remove (self->sessions->by_hash, hash);
        }
    }
  set_cookie (self, msg, "", 0);
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
}

/* GET /api/server */
static void
server_cb (FerryWeb          *self,
           SoupServerMessage *msg,
           const char        *rest,
           gpointer           user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *name = g_strdup_printf ("ferry-server %s", PACKAGE_VERSION);
  Session *session = self->auth ? lookup_session (self, msg) : NULL;

  json_builder_begin_object (builder);
  add_string_member (builder, "name", name);
  json_builder_set_member_name (builder, "auth");
  json_builder_add_boolean_value (builder, self->auth != NULL);
  json_builder_set_member_name (builder, "authorized");
  json_builder_add_boolean_value (builder, !self->auth || session);
  add_string_member (builder, "csrf", session ? session->csrf : NULL);
  json_builder_set_member_name (builder, "max_file_size");
  json_builder_add_int_value (builder, (gint64) self->config.max_file_size);
  json_builder_set_member_name (builder, "keep_partial");
  json_builder_add_int_value (builder, (gint64) self->config.keep_partial);
  add_string_member (builder, "fingerprint", self->fingerprint);
  json_builder_set_member_name (builder, "web");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  ferry_web_reply_json (msg, SOUP_STATUS_OK, node);
}

void
ferry_web_auth_register (FerryWeb *self)
{
  static const FerryWebRoute routes[] = {
    { "POST", "/api/login", FERRY_WEB_ROUTE_PUBLIC, NULL, login_cb, NULL },
    { "POST", "/api/logout", FERRY_WEB_ROUTE_PUBLIC, NULL, logout_cb, NULL },
    { "GET", "/api/server", FERRY_WEB_ROUTE_PUBLIC, NULL, server_cb, NULL },
  };

  self->sessions = g_new0 (FerryWebSessions, 1);
  self->sessions->by_hash = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, session_free);
  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    ferry_web_add_route (self, &routes[i]);
}
