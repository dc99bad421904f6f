/* test-dialer.c: FerryDialer on its own, against a real ferry-server on loopback: the
 * connection it returns is ready (TLS and HELLO done), and a server it has no pin for is
 * refused with its fingerprint shown
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>

#include "ferry-test-harness.h"
#include "ferry-dialer.h"
#include "ferry-error.h"
#include "ferry-message.h"

typedef struct
{
  FerryTestServer *server;
  char            *tmp;
  char            *config;
} Fixture;

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  f->tmp = ferry_test_tmpdir ();
  f->config = g_build_filename (f->tmp, "config", NULL);
  f->server = ferry_test_server_start (NULL, 0, "--max-file-size", "10K", NULL);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_pointer (&f->server, ferry_test_server_free);
  ferry_test_rm_rf (f->tmp);
  g_free (f->tmp);
  g_free (f->config);
}

/* A dialer with the identity and known-servers files of @config_dir, as a client has them. */
static FerryDialer *
dialer_new (Fixture    *f,
            const char *config_dir)
{
  FerryDialer *dialer = ferry_dialer_new (f->server->address, "Dialer");
  g_autofree char *identity = g_build_filename (config_dir, "ferry", "identity", NULL);
  g_autofree char *known = g_build_filename (config_dir, "ferry", "known-servers", NULL);

  ferry_dialer_set_identity_path (dialer, identity);
  ferry_dialer_set_known_servers_path (dialer, known);
  return dialer;
}

typedef struct
{
  FerryConnection *connection;
  GError          *error;
  FerryFrame       frame;
  gboolean         done;
} Wait;

static void
opened_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Wait *wait = user_data;

  wait->connection = ferry_dialer_open_finish (FERRY_DIALER (object), result, &wait->error);
  wait->done = TRUE;
}

static FerryConnection *
open_connection (FerryDialer  *dialer,
                 GError      **error)
{
  Wait wait = { 0 };

  ferry_dialer_open_async (dialer, NULL, opened_cb, &wait);
  ferry_test_wait (&wait.done, 30);
  if (wait.error)
    g_propagate_error (error, wait.error);
  return wait.connection;
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Wait *wait = user_data;

  ferry_connection_read_finish (FERRY_CONNECTION (object), result, &wait->frame, &wait->error);
  wait->done = TRUE;
}

/* The next frame's parsed payload, of type @type. */
static GVariant *
read_message (FerryConnection  *connection,
              FerryMessageType *type)
{
  Wait wait = { 0 };
  GVariant *v;

  ferry_connection_read_async (connection, NULL, read_cb, &wait);
  ferry_test_wait (&wait.done, 30);
  g_assert_no_error (wait.error);
  *type = wait.frame.type;
  v = ferry_message_parse (&wait.frame, &wait.error);
  g_assert_no_error (wait.error);
  ferry_frame_clear (&wait.frame);
  return v;
}

/* A dialer with the server pinned returns a connection past TLS and HELLO: a raw SUBSCRIBE on
 * it gets the snapshot (the offer its own identity uploaded, marked mine) and SYNCED. */
static void
test_open_subscribe (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(FerryClient) uploader = ferry_test_client_new (f->server, f->config, "Uploader");
  g_autofree char *path = ferry_test_make_file (f->tmp, "report.pdf", 3000);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(FerryTransfer) transfer = ferry_client_upload (uploader, file, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryDialer) dialer = NULL;
  g_autoptr(FerryConnection) connection = NULL;
  g_autoptr(GVariant) offer = NULL;
  g_autoptr(GVariant) synced = NULL;
  FerryMessageType type;
  const char *name;
  gboolean mine;

  error = ferry_test_run_transfer (transfer);
  g_assert_no_error (error);

  /* The uploader pinned the server in f->config; the dialer reads the same files. */
  dialer = dialer_new (f, f->config);
  g_assert_cmpuint (ferry_dialer_get_max_file_size (dialer), ==, 0);
  connection = open_connection (dialer, &error);
  g_assert_no_error (error);
  g_assert_nonnull (connection);
  g_assert_cmpstr (ferry_dialer_get_server_fingerprint (dialer), ==, f->server->fingerprint);
  g_assert_cmpuint (ferry_dialer_get_max_file_size (dialer), ==, 10 * 1024);
  g_assert_false (ferry_dialer_get_server_busy (dialer));

  ferry_connection_send_message (connection, ferry_msg_subscribe_new ());
  offer = read_message (connection, &type);
  g_assert_cmpint (type, ==, FERRY_MSG_OFFER);
  ferry_msg_offer_get (offer, NULL, &name, NULL, NULL, NULL, NULL, NULL, &mine, NULL, NULL);
  g_assert_cmpstr (name, ==, "report.pdf");
  g_assert_true (mine);
  synced = read_message (connection, &type);
  g_assert_cmpint (type, ==, FERRY_MSG_SYNCED);
  g_assert_cmpuint (ferry_msg_synced_get_count (synced), ==, 1);

  ferry_connection_abort (connection);
}

/* A dialer with no pin for the server refuses it and shows the fingerprint it presented, so
 * that a person can compare it with the server's; pinning it lets the next open through. */
static void
test_untrusted (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *stranger = g_build_filename (f->tmp, "stranger", NULL);
  g_autoptr(FerryDialer) dialer = dialer_new (f, stranger);
  g_autoptr(FerryConnection) connection = NULL;
  g_autoptr(FerryConnection) trusted = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_null (ferry_dialer_get_server_fingerprint (dialer));
  connection = open_connection (dialer, &error);
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_UNTRUSTED);
  g_assert_null (connection);
  g_assert_cmpstr (ferry_dialer_get_server_fingerprint (dialer), ==, f->server->fingerprint);
  g_assert_cmpuint (ferry_dialer_get_max_file_size (dialer), ==, 0);
  g_clear_error (&error);

  g_assert_true (ferry_dialer_trust_fingerprint (dialer, f->server->fingerprint, &error));
  g_assert_no_error (error);
  trusted = open_connection (dialer, &error);
  g_assert_no_error (error);
  g_assert_nonnull (trusted);
  ferry_connection_abort (trusted);
  ferry_dialer_flush (dialer);
}

/* The bytes process @pid has read so far (rchar: every read(), files and sockets alike). */
static guint64
bytes_read (const char *pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/io", pid);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  const char *rchar;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  rchar = strstr (contents, "rchar: ");
  g_assert_nonnull (rchar);
  return g_ascii_strtoull (rchar + strlen ("rchar: "), NULL, 10);
}

#define CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

/* Ferry pins by fingerprint, so neither end has GnuTLS parse the system's CA bundle for a
 * connection: three connections read, on each side, less than the bundle's size once (a
 * connection itself reads a few kilobytes). Then a connection made the default way, with the
 * system's database, shows that a parse would have been counted. */
static void
test_no_ca_bundle (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(FerryClient) client = NULL;
  g_autoptr(FerryDialer) dialer = NULL;
  g_autoptr(GIOStream) plain = NULL;
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GError) error = NULL;
  const char *server_pid = g_subprocess_get_identifier (f->server->process);
  GStatBuf bundle;
  guint64 client_before, server_before;

  if (g_stat (CA_BUNDLE, &bundle) != 0)
    {
      g_test_skip ("No system CA bundle at " CA_BUNDLE);
      return;
    }

  /* Pin the server, and let this process make its first TLS connection. */
  client = ferry_test_client_new (f->server, f->config, "Pinner");
  ferry_test_client_connect (client);
  ferry_client_disconnect (client);
  dialer = dialer_new (f, f->config);

  client_before = bytes_read ("self");
  server_before = bytes_read (server_pid);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(FerryConnection) connection = open_connection (dialer, &error);

      g_assert_no_error (error);
      ferry_connection_abort (connection);
    }
  g_assert_cmpuint (bytes_read ("self") - client_before, <, (guint64) bundle.st_size);
  g_assert_cmpuint (bytes_read (server_pid) - server_before, <, (guint64) bundle.st_size);

  client_before = bytes_read ("self");
  plain = ferry_test_raw_connect_tcp (f->server);
  tls = g_tls_client_connection_new (plain, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bytes_read ("self") - client_before, >=, (guint64) bundle.st_size);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/dialer/open-subscribe", Fixture, NULL, setup, test_open_subscribe, teardown);
  g_test_add ("/dialer/untrusted", Fixture, NULL, setup, test_untrusted, teardown);
  g_test_add ("/dialer/no-ca-bundle", Fixture, NULL, setup, test_no_ca_bundle, teardown);

  return g_test_run ();
}
