/* test-client-problem.c: FerryClient:problem, the engine's one report of what keeps it from
 * being connected, against a real ferry-server on loopback (and a fake one for the version)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "ferry-test-harness.h"
#include "ferry-error.h"
#include "ferry-message.h"

typedef struct
{
  FerryTestServer *server;
  char            *tmp;
  char            *config;
  FerryClient     *client;
  GArray          *seen;      /* FerryClientProblem, each value the property took, in order */
} Fixture;

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  f->tmp = ferry_test_tmpdir ();
  f->config = g_build_filename (f->tmp, "config", NULL);
  f->seen = g_array_new (FALSE, FALSE, sizeof (FerryClientProblem));
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  if (f->client)
    {
      g_signal_handlers_disconnect_by_data (f->client, f);
      ferry_client_disconnect (f->client);
    }
  g_clear_object (&f->client);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_pointer (&f->server, ferry_test_server_free);
  ferry_test_rm_rf (f->tmp);
  g_clear_pointer (&f->seen, g_array_unref);
  g_free (f->tmp);
  g_free (f->config);
}

static void
notify_problem_cb (FerryClient *client,
                   GParamSpec  *pspec,
                   Fixture     *f)
{
  FerryClientProblem problem = ferry_client_get_problem (client);
  g_autoptr(GEnumClass) klass = g_type_class_ref (FERRY_TYPE_CLIENT_PROBLEM);
  const GError *error = ferry_client_get_error (client);

  g_test_message ("problem: %s (%s)", g_enum_get_value (klass, problem)->value_nick,
                  error ? error->message : "no error");
  g_array_append_val (f->seen, problem);
}

/* The client under test: reconnect on, as the app has it, and every notify::problem kept. */
static void
watch (Fixture     *f,
       FerryClient *client)
{
  f->client = client;
  ferry_client_set_reconnect (client, TRUE);
  g_signal_connect (client, "notify::problem", G_CALLBACK (notify_problem_cb), f);
}

/* An untrusted client: its own identity and an empty known-servers file. */
static FerryClient *
new_stranger (Fixture    *f,
              const char *address,
              gboolean    tls)
{
  FerryClient *client = ferry_client_new (address, "Stranger");
  g_autofree char *identity = g_build_filename (f->config, "ferry", "identity", NULL);
  g_autofree char *known = g_build_filename (f->config, "ferry", "known-servers", NULL);

  ferry_client_set_identity_path (client, identity);
  ferry_client_set_known_servers_path (client, known);
  ferry_client_set_tls (client, tls);
  return client;
}

typedef struct
{
  Fixture            *f;
  FerryClientProblem  problem;
} ProblemWait;

static gboolean
problem_is (gpointer data)
{
  ProblemWait *wait = data;

  return ferry_client_get_problem (wait->f->client) == wait->problem;
}

static void
wait_for_problem (Fixture            *f,
                  FerryClientProblem  problem)
{
  ProblemWait wait = { f, problem };

  ferry_test_wait_for (problem_is, &wait, 90);
}

static gboolean
connected (gpointer data)
{
  Fixture *f = data;

  return ferry_client_get_state (f->client) == FERRY_CLIENT_CONNECTED;
}

static gboolean
saw (Fixture            *f,
     FerryClientProblem  problem)
{
  for (guint i = 0; i < f->seen->len; i++)
    if (g_array_index (f->seen, FerryClientProblem, i) == problem)
      return TRUE;
  return FALSE;
}

static guint
count (Fixture            *f,
       FerryClientProblem  problem)
{
  guint n = 0;

  for (guint i = 0; i < f->seen->len; i++)
    n += g_array_index (f->seen, FerryClientProblem, i) == problem;
  return n;
}

typedef struct
{
  Fixture            *f;
  FerryClientProblem  problem;
  guint               times;
} SeenWait;

/* notify::problem told @problem @times times so far. */
static gboolean
seen_times (gpointer data)
{
  SeenWait *wait = data;

  return count (wait->f, wait->problem) >= wait->times;
}

/* Stopped for a person: not retrying, nothing planned, the sentence at hand. */
static void
assert_stopped_for_person (Fixture *f,
                           int      code)
{
  g_assert_true (ferry_client_problem_needs_person (ferry_client_get_problem (f->client)));
  g_assert_cmpint (ferry_client_get_state (f->client), ==, FERRY_CLIENT_DISCONNECTED);
  g_assert_false (ferry_client_get_reconnect (f->client));
  g_assert_cmpint (ferry_client_get_next_retry (f->client), ==, 0);
  g_assert_error ((GError *) ferry_client_get_error (f->client), FERRY_ERROR, code);
}

static void
assert_connected (Fixture *f)
{
  ferry_test_wait_for (connected, f, 60);
  g_assert_cmpint (ferry_client_get_problem (f->client), ==, FERRY_CLIENT_PROBLEM_NONE);
  g_assert_cmpint (ferry_client_get_next_retry (f->client), ==, 0);
  g_assert_true (ferry_client_get_reconnect (f->client));
}

/* A new server: UNTRUSTED, and trusting its fingerprint is all it takes to connect. */
static void
test_untrusted (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->server = ferry_test_server_start (NULL, 0, NULL);
  watch (f, new_stranger (f, f->server->address, TRUE));
  ferry_client_connect_async (f->client, NULL, NULL, NULL);

  wait_for_problem (f, FERRY_CLIENT_PROBLEM_UNTRUSTED);
  assert_stopped_for_person (f, FERRY_ERROR_UNTRUSTED);
  g_assert_cmpstr (ferry_client_get_server_fingerprint (f->client), ==, f->server->fingerprint);

  ferry_client_trust_fingerprint (f->client, f->server->fingerprint, &error);
  g_assert_no_error (error);
  assert_connected (f);
}

/* The pinned server comes back with another key, while the engine reconnects on its own:
 * KEY_CHANGED; forgetting it brings the new key up as UNTRUSTED; trusting that connects. */
static void
test_key_changed (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  guint16 port;

  f->server = ferry_test_server_start (NULL, 0, NULL);
  port = f->server->port;
  watch (f, ferry_test_client_new (f->server, f->config, "Pinned"));
  ferry_test_client_connect (f->client);

  ferry_test_server_free (f->server);
  f->server = ferry_test_server_start (NULL, port, NULL);

  wait_for_problem (f, FERRY_CLIENT_PROBLEM_KEY_CHANGED);
  assert_stopped_for_person (f, FERRY_ERROR_FINGERPRINT_CHANGED);

  ferry_client_forget_server (f->client, &error);
  g_assert_no_error (error);
  wait_for_problem (f, FERRY_CLIENT_PROBLEM_UNTRUSTED);
  assert_stopped_for_person (f, FERRY_ERROR_UNTRUSTED);

  ferry_client_trust_fingerprint (f->client, f->server->fingerprint, &error);
  g_assert_no_error (error);
  assert_connected (f);
}

/* No password: PASSWORD_NEEDED; a wrong one: PASSWORD_WRONG, with the server's sentence; the
 * right one connects. Each answer is only a ferry_client_set_password(). */
static void
test_password (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *password_file = g_build_filename (f->tmp, "password", NULL);

  g_assert_true (g_file_set_contents (password_file, "correct horse\n", -1, NULL));
  f->server = ferry_test_server_start (NULL, 0, "--password-file", password_file, NULL);
  watch (f, ferry_test_client_new (f->server, f->config, "Guest"));
  ferry_client_connect_async (f->client, NULL, NULL, NULL);

  wait_for_problem (f, FERRY_CLIENT_PROBLEM_PASSWORD_NEEDED);
  assert_stopped_for_person (f, FERRY_ERROR_AUTH);

  ferry_client_set_password (f->client, "battery staple");
  wait_for_problem (f, FERRY_CLIENT_PROBLEM_PASSWORD_WRONG);
  assert_stopped_for_person (f, FERRY_ERROR_AUTH);
  g_test_message ("wrong: %s", ferry_client_get_error (f->client)->message);

  /* Wrong again: the same problem, told again, so that the question is asked again. */
  {
    SeenWait wait = { f, FERRY_CLIENT_PROBLEM_PASSWORD_WRONG,
                      count (f, FERRY_CLIENT_PROBLEM_PASSWORD_WRONG) + 1 };

    ferry_client_set_password (f->client, "horse battery");
    ferry_test_wait_for (seen_times, &wait, 60);
    assert_stopped_for_person (f, FERRY_ERROR_AUTH);
  }

  ferry_client_set_password (f->client, "correct horse");
  assert_connected (f);
}

/* The server's only place for this address is taken: BUSY while the engine keeps asking;
 * once the place is free, it connects by itself. */
static void
test_busy (Fixture       *f,
           gconstpointer  data)
{
  GIOStream *held;

  f->server = ferry_test_server_start (NULL, 0, "--max-connections-per-address", "1", NULL);
  held = ferry_test_raw_connect (f->server);
  ferry_test_raw_handshake (held);

  watch (f, ferry_test_client_new (f->server, f->config, "Patient"));
  ferry_client_connect_async (f->client, NULL, NULL, NULL);
  wait_for_problem (f, FERRY_CLIENT_PROBLEM_BUSY);
  g_assert_false (ferry_client_problem_needs_person (FERRY_CLIENT_PROBLEM_BUSY));
  g_assert_true (ferry_client_get_reconnect (f->client));
  g_assert_cmpint (ferry_client_get_state (f->client), !=, FERRY_CLIENT_CONNECTED);

  g_io_stream_close (held, NULL, NULL);
  g_object_unref (held);
  assert_connected (f);
}

/* Nobody listens yet: OFFLINE, with the time of the next try ahead; the server starts and the
 * client connects by itself, with no call from the test. */
static void
test_offline_retrying (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *data_dir = NULL;
  guint16 port;
  gint64 next_retry;

  /* A server's key and port, then no server there. */
  f->server = ferry_test_server_start (NULL, 0, NULL);
  port = f->server->port;
  watch (f, ferry_test_client_new (f->server, f->config, "Early"));
  data_dir = g_strdup (f->server->data_dir);
  ferry_test_server_stop (f->server);
  g_clear_pointer (&f->server->data_dir, g_free);
  g_clear_pointer (&f->server, ferry_test_server_free);

  ferry_client_connect_async (f->client, NULL, NULL, NULL);
  wait_for_problem (f, FERRY_CLIENT_PROBLEM_OFFLINE);
  next_retry = ferry_client_get_next_retry (f->client);
  g_assert_cmpint (next_retry, >, 0);
  g_assert_false (ferry_client_problem_needs_person (FERRY_CLIENT_PROBLEM_OFFLINE));
  g_assert_true (ferry_client_get_reconnect (f->client));
  g_assert_error ((GError *) ferry_client_get_error (f->client), FERRY_ERROR, FERRY_ERROR_CONNECT);

  f->server = ferry_test_server_start (data_dir, port, NULL);
  assert_connected (f);
  g_assert_true (saw (f, FERRY_CLIENT_PROBLEM_OFFLINE));
}

/* A fake server on a raw socket that answers HELLO with a WELCOME of protocol version 2. */
typedef struct
{
  GSocketListener *listener;
  gboolean         got_hello;
} FakeServer;

static gpointer
fake_server_thread (gpointer data)
{
  FakeServer *fake = data;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(FerryFrame) hello = { 0 };

  connection = g_socket_listener_accept (fake->listener, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ferry_test_raw_read (G_IO_STREAM (connection), &hello));
  fake->got_hello = hello.type == FERRY_MSG_HELLO;
  ferry_test_raw_send (G_IO_STREAM (connection),
                       ferry_msg_welcome_new (FERRY_PROTOCOL_VERSION + 1, "ferry 2.0", 1024, FALSE, 0,
                                              FALSE));
  return NULL;
}

static void
test_version (Fixture       *f,
              gconstpointer  data)
{
  FakeServer fake = { g_socket_listener_new (), FALSE };
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  GThread *thread;

  g_socket_listener_add_address (fake.listener, any, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  address = g_strdup_printf ("127.0.0.1:%u",
                             g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  thread = g_thread_new ("fake-server", fake_server_thread, &fake);

  watch (f, new_stranger (f, address, FALSE));
  ferry_client_connect_async (f->client, NULL, NULL, NULL);
  wait_for_problem (f, FERRY_CLIENT_PROBLEM_VERSION);
  assert_stopped_for_person (f, FERRY_ERROR_VERSION);
  g_test_message ("%s", ferry_client_get_error (f->client)->message);

  g_thread_join (thread);
  g_assert_true (fake.got_hello);
  g_socket_listener_close (fake.listener);
  g_object_unref (fake.listener);
}

static void
checked_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  gboolean *done = user_data;

  ferry_client_check_finish (FERRY_CLIENT (object), result, &error);
  g_assert_no_error (error);
  *done = TRUE;
}

/* A long-lived cancellable (the window's) lent to many requests keeps no handler of any of
 * them once they are done. */
static void
test_cancellable_handlers (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  guint cancelled = g_signal_lookup ("cancelled", G_TYPE_CANCELLABLE);

  f->server = ferry_test_server_start (NULL, 0, NULL);
  f->client = ferry_test_client_new (f->server, f->config, "Window");
  for (guint i = 0; i < 3; i++)
    {
      gboolean done = FALSE;

      ferry_client_check_async (f->client, cancellable, checked_cb, &done);
      ferry_test_wait (&done, 30);
    }
  /* The connections close in the background: let them. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_false (g_signal_has_handler_pending (cancellable, cancelled, 0, TRUE));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, setup, func, teardown)
  ADD ("/client/problem/untrusted", test_untrusted);
  ADD ("/client/problem/key-changed", test_key_changed);
  ADD ("/client/problem/password", test_password);
  ADD ("/client/problem/busy", test_busy);
  ADD ("/client/problem/offline-retrying", test_offline_retrying);
  ADD ("/client/problem/version", test_version);
  ADD ("/client/open/cancellable-handlers", test_cancellable_handlers);
#undef ADD

  return g_test_run ();
}
