/* test-link.c: LINK, browser links to one offer (PROTOCOL.md §5, Links; HTTP.md §6): the path,
 * a key only on a server with a password, keys that open one offer until they expire and are
 * signed with DATA/web-secret, NOT_FOUND, and a server without its web front, which the client
 * never asks. A FerryServer in this process on port 0, and ferry-server itself for the CLI.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-link"

#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "ferry-error.h"
#include "ferry-links.h"
#include "ferry-message.h"
#include "ferry-server.h"
#include "ferry-test-harness.h"

#define PASSWORD "correct horse"

typedef struct
{
  char            *tmp;
  char            *data_dir;
  FerryServer     *server;
  FerryTestServer  address;     /* only address and tls: there is no subprocess */
  FerryClient     *client;
} Fixture;

typedef struct
{
  gboolean password;
  gboolean web;
} Setup;

static const Setup open_server = { FALSE, TRUE };
static const Setup password_server = { TRUE, TRUE };
static const Setup no_web_server = { FALSE, FALSE };

static void
setup (Fixture       *f,
       gconstpointer  user_data)
{
  const Setup *how = user_data;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GError) error = NULL;
  g_autofree char *config = NULL;
  guint16 port = 0;

  f->tmp = ferry_test_tmpdir ();
  config = g_build_filename (f->tmp, "alice", NULL);
  f->data_dir = g_build_filename (f->tmp, "data", NULL);
  f->server = ferry_server_new (f->data_dir, &error);
  g_assert_no_error (error);
  if (how->password)
    ferry_server_set_password (f->server, PASSWORD);
  ferry_server_set_web (f->server, how->web);
  g_assert_true (ferry_server_listen (f->server, loopback, 0, &port, &error));
  g_assert_no_error (error);

  f->address.address = g_strdup_printf ("127.0.0.1:%u", port);
  f->address.port = port;
  f->address.tls = FALSE;
  f->client = ferry_test_client_new (&f->address, config, "alice");
  if (how->password)
    ferry_client_set_password (f->client, PASSWORD);
}

static void
stopped_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ferry_server_stop_finish (FERRY_SERVER (object), result, &error));
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

static void
teardown (Fixture       *f,
          gconstpointer  user_data)
{
  gboolean stopped = FALSE;

  ferry_client_disconnect (f->client);
  g_clear_object (&f->client);
  ferry_server_stop_async (f->server, NULL, stopped_cb, &stopped);
  ferry_test_wait (&stopped, 30);
  g_clear_object (&f->server);
  g_clear_pointer (&f->address.address, g_free);
  ferry_test_rm_rf (f->tmp);
  g_clear_pointer (&f->tmp, g_free);
  g_clear_pointer (&f->data_dir, g_free);
}

/* Shares a small file as @name; returns its id. */
static char *
share (Fixture    *f,
       const char *name)
{
  g_autofree char *path = ferry_test_make_file (f->tmp, "upload.bin", 1000);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(FerryTransfer) transfer = ferry_client_upload (f->client, file, name);
  g_autoptr(GError) error = ferry_test_run_transfer (transfer);

  g_assert_no_error (error);
  return g_strdup (ferry_offer_get_id (ferry_transfer_get_offer (transfer)));
}

typedef struct
{
  gboolean      done;
  GAsyncResult *result;
} Wait;

static void
link_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Wait *wait = user_data;

  wait->result = g_object_ref (result);
  wait->done = TRUE;
}

/* LINK through the client: the URL, or NULL with @error. */
static char *
get_link (Fixture     *f,
          const char  *id,
          guint64      lifetime,
          GError     **error)
{
  Wait wait = { 0 };
  char *url;

  ferry_client_link_async (f->client, id, lifetime, NULL, link_cb, &wait);
  ferry_test_wait (&wait.done, 30);
  url = ferry_client_link_finish (f->client, wait.result, error);
  g_object_unref (wait.result);
  return url;
}

/* The key of @url, which must have one. */
static const char *
key_of (const char *url)
{
  const char *key = strstr (url, "?key=");

  g_assert_nonnull (key);
  return key + strlen ("?key=");
}

/* A server without a password gives the path alone: anyone may download anyway. The name is
 * percent-encoded, a slash included, so that it stays one segment. */
static void
test_open_server (Fixture       *f,
                  gconstpointer  user_data)
{
  g_autofree char *id = share (f, "a b/ü?.txt");
  g_autofree char *url = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(GError) error = NULL;

  url = get_link (f, id, 0, &error);
  g_assert_no_error (error);
  expected = g_strdup_printf ("http://%s/f/%s/a%%20b%%2F%%C3%%BC%%3F.txt", f->address.address,
                              id);
  g_assert_cmpstr (url, ==, expected);
  g_assert_true (ferry_client_get_web (f->client));
  g_assert_false (ferry_client_get_auth (f->client));
  g_clear_pointer (&expected, g_free);
  expected = g_strdup_printf ("http://%s/", f->address.address);
  g_clear_pointer (&url, g_free);
  url = ferry_client_dup_web_url (f->client);
  g_assert_cmpstr (url, ==, expected);
}

/* On a password server the link carries a key that opens that offer and no other, is signed
 * with DATA/web-secret (0600), and expires when asked to. */
static void
test_password_server (Fixture       *f,
                      gconstpointer  user_data)
{
  g_autofree char *id = share (f, "report.pdf");
  g_autofree char *other_id = share (f, "other.pdf");
  g_autofree char *forever = NULL;
  g_autofree char *brief = NULL;
  g_autofree char *secret_path = g_build_filename (f->data_dir, "web-secret", NULL);
  g_autofree char *tampered = NULL;
  g_autoptr(FerryLinks) reloaded = NULL;
  g_autoptr(GError) error = NULL;
  FerryLinks *links = ferry_server_get_links (f->server);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const char *key;
  GStatBuf st;

  forever = get_link (f, id, 0, &error);
  g_assert_no_error (error);
  g_assert_true (ferry_client_get_auth (f->client));
  g_assert_true (g_str_has_prefix (forever, "http://"));
  g_assert_nonnull (strstr (forever, "/f/"));
  key = key_of (forever);
  g_assert_cmpuint (strlen (key), ==, FERRY_LINK_KEY_LEN);
  /* Expiry 0: eight zero bytes are "AAAAAAAAAA" and the first bits of the next character. */
  g_assert_true (g_str_has_prefix (key, "AAAAAAAAAA"));

  g_assert_true (ferry_links_check_key (links, id, key, &error));
  g_assert_no_error (error);
  /* Until the offer is deleted: any time later. */
  g_assert_true (ferry_links_check_key_at (links, id, key, G_MAXINT64, &error));
  g_assert_no_error (error);

  /* Not for another offer. */
  g_assert_false (ferry_links_check_key (links, other_id, key, &error));
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_AUTH);
  g_clear_error (&error);

  /* Not with any character changed. */
  for (gsize i = 0; i < strlen (key); i++)
    {
      g_free (tampered);
      tampered = g_strdup (key);
      tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
      g_assert_false (ferry_links_check_key (links, id, tampered, &error));
      g_assert_error (error, FERRY_ERROR, FERRY_ERROR_AUTH);
      g_clear_error (&error);
    }
  /* Nor cut short, nor with padding or a character base64url does not have. */
  for (guint i = 0; i < 3; i++)
    {
      const char *suffix[] = { "", "=", "+" };
      g_autofree char *bad = g_strconcat (i == 0 ? "" : key, suffix[i], NULL);

      if (i == 0)
        {
          g_free (bad);
          bad = g_strndup (key, strlen (key) - 1);
        }
      g_assert_false (ferry_links_check_key (links, id, bad, &error));
      g_assert_error (error, FERRY_ERROR, FERRY_ERROR_AUTH);
      g_clear_error (&error);
    }

  /* A lifetime of 1 s: valid now, refused once the second has passed. */
  brief = get_link (f, id, 1, &error);
  g_assert_no_error (error);
  g_assert_true (ferry_links_check_key_at (links, id, key_of (brief), now, &error));
  g_assert_no_error (error);
  g_assert_false (ferry_links_check_key_at (links, id, key_of (brief), now + 60, &error));
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "expired"));
  g_clear_error (&error);

  /* The secret is the data directory's: a signer loaded from it (as after a restart)
   * accepts the same key, and nobody else can read it. */
  g_assert_cmpint (g_stat (secret_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  reloaded = ferry_links_new (f->data_dir, &error);
  g_assert_no_error (error);
  g_assert_true (ferry_links_check_key (reloaded, id, key, &error));
  g_assert_no_error (error);
}

/* An id the server does not have is NOT_FOUND, from the server. */
static void
test_not_found (Fixture       *f,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *url = get_link (f, "0123456789abcdef", 0, &error);

  g_assert_null (url);
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* And the connection that carried it was kept: a refusal is an answer, not a failure. */
  g_clear_pointer (&url, g_free);
  url = get_link (f, "0123456789abcdee", 0, &error);
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
}

/* A server whose WELCOME has no `web` is not asked: the client refuses with its own sentence,
 * on the connection it opened to learn that, which stays good for the next request. */
static void
test_no_web (Fixture       *f,
             gconstpointer  user_data)
{
  g_autofree char *id = share (f, "report.pdf");
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  FerryDialer *dialer = ferry_client_get_dialer (f->client);
  guint opened = ferry_dialer_get_n_opened (dialer);

  url = get_link (f, id, 0, &error);
  g_assert_null (url);
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_UNEXPECTED);
  g_assert_nonnull (strstr (error->message, "--no-web"));
  g_assert_false (ferry_client_get_web (f->client));
  g_clear_error (&error);

  /* Had LINK gone out, the server would have closed that connection (UNEXPECTED): the next
   * request would need a new one. */
  url = get_link (f, id, 0, &error);
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_UNEXPECTED);
  g_assert_cmpuint (ferry_dialer_get_n_opened (dialer), ==, opened);
}

/* The address a browser uses is the one dialed: an IPv6 host in brackets, the default port
 * when none was given, http:// without TLS. */
static void
test_web_url (void)
{
  struct { const char *address; gboolean tls; const char *url; } cases[] = {
    { "[::1]:6000", TRUE, "https://[::1]:6000/f/ab/x" },
    { "files.example.org", TRUE, "https://files.example.org:5005/f/ab/x" },
    { "192.168.1.2:7000", FALSE, "http://192.168.1.2:7000/f/ab/x" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(FerryDialer) dialer = ferry_dialer_new (cases[i].address, "alice");
      g_autofree char *url = NULL;

      ferry_dialer_set_tls (dialer, cases[i].tls);
      url = ferry_dialer_make_web_url (dialer, "/f/ab/x");
      g_assert_cmpstr (url, ==, cases[i].url);
    }
}

/* ferry-server itself: the CLI prints a https:// link whose key the data directory's secret
 * verifies, with the lifetime --expires gives, and `share` prints the web address. */
static void
test_cli (void)
{
  g_autofree char *tmp = ferry_test_tmpdir ();
  g_autofree char *password_file = g_build_filename (tmp, "password", NULL);
  g_autofree char *config = g_build_filename (tmp, "config", NULL);
  g_autofree char *path = ferry_test_make_file (tmp, "notes.txt", 100);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *id = NULL;
  g_autofree char *prefix = NULL;
  g_autoptr(FerryLinks) links = NULL;
  g_autoptr(GError) error = NULL;
  FerryTestServer *server;
  gint64 now;

  g_assert_true (g_file_set_contents (password_file, PASSWORD "\n", -1, NULL));
  server = ferry_test_server_start (NULL, 0, "--password-file", password_file, NULL);

  g_assert_cmpint (ferry_test_cli (server, config, &id, &err, "--password-file", password_file,
                                   "upload", path, NULL), ==, 0);
  g_strchomp (id);
  g_clear_pointer (&err, g_free);

  now = g_get_real_time () / G_USEC_PER_SEC;
  g_assert_cmpint (ferry_test_cli (server, config, &out, &err, "--password-file", password_file,
                                   "link", id, "--expires", "1h", NULL), ==, 0);
  g_strchomp (out);
  prefix = g_strdup_printf ("https://%s/f/%s/notes.txt?key=", server->address, id);
  g_assert_true (g_str_has_prefix (out, prefix));

  links = ferry_links_new (server->data_dir, &error);
  g_assert_no_error (error);
  g_assert_true (ferry_links_check_key_at (links, id, key_of (out), now, &error));
  g_assert_no_error (error);
  g_assert_false (ferry_links_check_key_at (links, id, key_of (out), now + 3600 + 60, &error));
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_AUTH);
  g_clear_error (&error);

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (ferry_test_cli (server, config, &out, &err, "--password-file", password_file,
                                   "link", "0123456789abcdef", NULL), ==, 1);
  g_assert_cmpstr (out, ==, "");
  g_assert_nonnull (strstr (err, "No file with that id"));

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&prefix, g_free);
  g_assert_cmpint (ferry_test_cli (server, config, &out, &err, "--password-file", password_file,
                                   "share", NULL), ==, 0);
  prefix = g_strdup_printf ("https://%s/\n", server->address);
  g_assert_true (g_str_has_prefix (out, prefix));
  g_assert_nonnull (strstr (out, "password"));

  ferry_test_server_free (server);
  ferry_test_rm_rf (tmp);
}

/* ferry-server --no-web: WELCOME says nothing of the web, ferry-cli says why there is no link
 * without asking, and a client that asks all the same gets ERROR(UNEXPECTED). */
static void
test_cli_no_web (void)
{
  g_autofree char *tmp = ferry_test_tmpdir ();
  g_autofree char *config = g_build_filename (tmp, "config", NULL);
  g_autofree char *path = ferry_test_make_file (tmp, "notes.txt", 100);
  g_autofree char *id = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(FerryFrame) frame = { 0 };
  g_autoptr(GIOStream) conn = NULL;
  g_autoptr(GVariant) welcome = NULL;
  FerryTestServer *server;
  gboolean web = TRUE;

  server = ferry_test_server_start (NULL, 0, "--no-web", NULL);
  g_assert_cmpint (ferry_test_cli (server, config, &id, NULL, "upload", path, NULL), ==, 0);
  g_strchomp (id);

  g_assert_cmpint (ferry_test_cli (server, config, &out, &err, "link", id, NULL), ==, 1);
  g_assert_cmpstr (out, ==, "");
  g_assert_nonnull (strstr (err, "--no-web"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (ferry_test_cli (server, config, &out, &err, "share", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "--no-web"));

  conn = ferry_test_raw_connect (server);
  ferry_test_raw_send_hello (conn);
  g_assert_true (ferry_test_raw_read (conn, &frame));
  g_assert_cmpint (frame.type, ==, FERRY_MSG_WELCOME);
  welcome = ferry_message_parse (&frame, NULL);
  g_assert_nonnull (welcome);
  ferry_msg_welcome_get (welcome, NULL, NULL, NULL, NULL, NULL, &web);
  g_assert_false (web);
  ferry_test_raw_send (conn, ferry_msg_link_new (id, 0));
  ferry_test_raw_expect_error (conn, FERRY_ERROR_UNEXPECTED);

  ferry_test_server_free (server);
  ferry_test_rm_rf (tmp);
}

/* A server with its web front announces it; a LINK in the answer's shape is MALFORMED. */
static void
test_raw (void)
{
  g_auto(FerryFrame) frame = { 0 };
  g_autoptr(GIOStream) conn = NULL;
  g_autoptr(GVariant) welcome = NULL;
  FerryTestServer *server = ferry_test_server_start (NULL, 0, NULL);
  gboolean web = FALSE;

  conn = ferry_test_raw_connect (server);
  ferry_test_raw_send_hello (conn);
  g_assert_true (ferry_test_raw_read (conn, &frame));
  welcome = ferry_message_parse (&frame, NULL);
  g_assert_nonnull (welcome);
  ferry_msg_welcome_get (welcome, NULL, NULL, NULL, NULL, NULL, &web);
  g_assert_true (web);
  ferry_test_raw_send (conn, ferry_msg_link_answer_new ("/f/0123/x"));
  ferry_test_raw_expect_error (conn, FERRY_ERROR_MALFORMED);

  ferry_test_server_free (server);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/link/open-server", Fixture, &open_server, setup, test_open_server, teardown);
  g_test_add ("/link/password-server", Fixture, &password_server, setup, test_password_server,
              teardown);
  g_test_add ("/link/not-found", Fixture, &open_server, setup, test_not_found, teardown);
  g_test_add ("/link/no-web", Fixture, &no_web_server, setup, test_no_web, teardown);
  g_test_add_func ("/link/web-url", test_web_url);
  g_test_add_func ("/link/cli", test_cli);
  g_test_add_func ("/link/cli-no-web", test_cli_no_web);
  g_test_add_func ("/link/raw", test_raw);
  return g_test_run ();
}
