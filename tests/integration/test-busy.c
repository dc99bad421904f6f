/* test-busy.c: a busy server is waited for, not failed on; and the --no-tls hint appears only
 * when the server really answered in plain text
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "ferry-test-harness.h"
#include "ferry-error.h"

#define N_UPLOADS 40

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

/* 40 ferry-cli uploads at once from 127.0.0.1, default limits (64 connections, 16 per
 * address): every one succeeds, and all 40 offers are listed afterwards. */
static void
test_forty_uploads (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GPtrArray) processes = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *out = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  guint failed = 0;
  guint told_busy = 0;

  f->server = ferry_test_server_start (NULL, 0, NULL);

  for (guint i = 0; i < N_UPLOADS; i++)
    {
      g_autofree char *name = g_strdup_printf ("file-%02u.bin", i);
      g_autofree char *src = ferry_test_make_file (f->tmp, name, 64 * 1024 + i);
      g_autofree char *config = g_strdup_printf ("%s/config-%02u", f->tmp, i);
      g_autoptr(GSubprocessLauncher) launcher =
        g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                   G_SUBPROCESS_FLAGS_STDERR_PIPE);
      GSubprocess *process;

      g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config, TRUE);
      process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("FERRY_CLI"),
                                             "--server", f->server->address,
                                             "--trust", f->server->fingerprint,
                                             "upload", src, NULL);
      g_assert_no_error (error);
      g_ptr_array_add (processes, process);
    }

  /* Each one is bounded by the engine's one-minute wait for a busy server. */
  for (guint i = 0; i < processes->len; i++)
    {
      GSubprocess *process = g_ptr_array_index (processes, i);
      g_autofree char *id = NULL;
      g_autofree char *err = NULL;

      g_subprocess_communicate_utf8 (process, NULL, NULL, &id, &err, &error);
      g_assert_no_error (error);
      if (strstr (err, "Server busy, waiting"))
        told_busy++;
      if (g_subprocess_get_exit_status (process) != 0)
        {
          failed++;
          g_test_message ("upload %u failed: %s", i, err);
        }
    }
  g_test_message ("%u of %d uploads failed; %u waited for a busy server", failed, N_UPLOADS,
                  told_busy);
  g_assert_cmpuint (failed, ==, 0);

  g_assert_cmpint (ferry_test_cli (f->server, f->config, &out, NULL, "list", "--json", NULL),
                   ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (json_parser_get_root (parser))),
                    ==, N_UPLOADS);
}

/* ---- the --no-tls hint --------------------------------------------------------------------- */

static void
store_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* Connects with TLS to 127.0.0.1:@port and returns why it failed. */
static GError *
tls_connect_error (Fixture *f,
                   guint16  port)
{
  g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", port);
  g_autofree char *identity = g_build_filename (f->config, "ferry", "identity", NULL);
  g_autofree char *known = g_build_filename (f->config, "ferry", "known-servers", NULL);
  g_autoptr(FerryClient) client = ferry_client_new (address, "Alice");
  g_autoptr(GAsyncResult) result = NULL;
  GError *error = NULL;

  ferry_client_set_identity_path (client, identity);
  ferry_client_set_known_servers_path (client, known);
  /* A server that drops us is asked again; two seconds of that are enough here. */
  ferry_client_set_busy_timeout (client, 2);
  ferry_client_connect_async (client, NULL, store_result_cb, &result);
  while (!result)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (ferry_client_connect_finish (client, result, &error));
  g_assert_nonnull (error);
  g_test_message ("the connection failed with: %s", error->message);
  return error;
}

static void
test_hint_closed_port (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  guint16 port;

  /* A port that was free a moment ago, and is closed now: a server that was killed. */
  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  g_socket_listener_close (listener);

  error = tls_connect_error (f, port);
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_CONNECT);
  g_assert_null (strstr (error->message, "--no-tls"));
}

typedef struct
{
  GSocketListener *listener;
  GCancellable    *cancellable;
  guint            accepted;
} Dropper;

/* Accepts, reads the ClientHello, and closes without a word, like a server too full to talk. */
static gpointer
dropper_thread (gpointer user_data)
{
  Dropper *d = user_data;

  for (;;)
    {
      g_autoptr(GSocketConnection) conn = g_socket_listener_accept (d->listener, NULL,
                                                                    d->cancellable, NULL);
      guint8 buffer[4096];

      if (!conn)
        return NULL;
      g_atomic_int_inc (&d->accepted);
      g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (conn)), buffer,
                           sizeof buffer, NULL, NULL);
      g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
    }
}

static void
test_hint_dropped (Fixture       *f,
                   gconstpointer  data)
{
  Dropper d = { g_socket_listener_new (), g_cancellable_new (), 0 };
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  GThread *thread;

  g_socket_listener_add_address (d.listener, any, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                 NULL, &bound, &error);
  g_assert_no_error (error);
  thread = g_thread_new ("dropper", dropper_thread, &d);

  error = tls_connect_error (f, g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_assert_true (error->domain == FERRY_ERROR);
  g_assert_null (strstr (error->message, "--no-tls"));
  /* It was asked again, as a busy server is. */
  g_test_message ("the dropping server saw %u connections", g_atomic_int_get (&d.accepted));
  g_assert_cmpuint (g_atomic_int_get (&d.accepted), >=, 2);

  g_cancellable_cancel (d.cancellable);
  g_thread_join (thread);
  g_socket_listener_close (d.listener);
  g_object_unref (d.listener);
  g_object_unref (d.cancellable);
}

static void
test_hint_plaintext_server (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->server = ferry_test_server_start (NULL, 0, "--no-tls", NULL);
  error = tls_connect_error (f, f->server->port);
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_TLS);
  g_assert_nonnull (strstr (error->message, "--no-tls"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, setup, func, teardown)

  ADD ("/busy/forty-uploads-from-one-address", test_forty_uploads);
  ADD ("/busy/hint/closed-port", test_hint_closed_port);
  ADD ("/busy/hint/dropped-connection", test_hint_dropped);
  ADD ("/busy/hint/plaintext-server", test_hint_plaintext_server);

  return g_test_run ();
}
