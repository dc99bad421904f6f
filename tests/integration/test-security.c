/* test-security.c: TLS by default, pinning, passwords, and hostile clients while a
 * well-behaved one keeps working
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "ferry-test-harness.h"
#include "ferry-error.h"
#include "ferry-fingerprint.h"
#include "ferry-message.h"

typedef struct
{
  FerryTestServer *server;
  char            *tmp;
  char            *config;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->tmp = ferry_test_tmpdir ();
  f->config = g_build_filename (f->tmp, "config", NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
  if (f->server)
    {
      ferry_test_server_stop (f->server);
      ferry_test_server_free (f->server);
    }
  ferry_test_rm_rf (f->tmp);
  g_free (f->tmp);
  g_free (f->config);
}

typedef struct
{
  gboolean done;
  GError  *error;
} Result;

static void
check_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Result *r = user_data;

  ferry_client_check_finish (FERRY_CLIENT (object), result, &r->error);
  r->done = TRUE;
}

/* Returns the error of a handshake + HELLO, or NULL. */
static GError *
check_client (FerryClient *client)
{
  Result r = { 0 };

  ferry_client_check_async (client, NULL, check_done_cb, &r);
  ferry_test_wait (&r.done, 30);
  return r.error;
}

static void
stop_keeping_data (Fixture *f)
{
  ferry_test_server_stop (f->server);
  g_clear_pointer (&f->server->data_dir, g_free);
  ferry_test_server_free (f->server);
  f->server = NULL;
}

static void
test_new_server_needs_trust (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(FerryClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *known = g_build_filename (f->config, "ferry", "known-servers", NULL);
  g_autofree char *identity = g_build_filename (f->config, "ferry", "identity", NULL);

  f->server = ferry_test_server_start (NULL, 0, NULL);
  client = ferry_client_new (f->server->address, "Newcomer");
  ferry_client_set_identity_path (client, identity);
  ferry_client_set_known_servers_path (client, known);

  error = check_client (client);
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_UNTRUSTED);
  g_assert_cmpstr (ferry_client_get_server_fingerprint (client), ==, f->server->fingerprint);
  {
    g_autofree char *shown = ferry_fingerprint_format (f->server->fingerprint);

    g_assert_nonnull (strstr (error->message, shown));
  }
  g_clear_error (&error);

  g_assert_true (ferry_client_trust_fingerprint (client, f->server->fingerprint, &error));
  error = check_client (client);
  g_assert_no_error (error);
}

static void
test_fingerprint_changed (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(FerryClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *tls_dir = NULL;
  g_autofree char *old_fp = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  guint16 port;

  f->server = ferry_test_server_start (NULL, 0, NULL);
  client = ferry_test_client_new (f->server, f->config, "Alice");
  error = check_client (client);
  g_assert_no_error (error);

  /* The server's key is regenerated; same address. */
  data_dir = g_strdup (f->server->data_dir);
  port = f->server->port;
  old_fp = g_strdup (f->server->fingerprint);
  stop_keeping_data (f);
  tls_dir = g_build_filename (data_dir, "tls", NULL);
  ferry_test_rm_rf (tls_dir);
  f->server = ferry_test_server_start (data_dir, port, NULL);
  g_assert_cmpstr (f->server->fingerprint, !=, old_fp);

  error = check_client (client);
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_FINGERPRINT_CHANGED);
  g_assert_nonnull (strstr (error->message, "forget"));
  g_clear_error (&error);

  /* It stays refused, including for the CLI, until trust is reset deliberately. */
  error = check_client (client);
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_FINGERPRINT_CHANGED);
  g_clear_error (&error);
  {
    g_autofree char *cli_config = g_strdup (f->config);
    const char *argv_server = f->server->address;

    g_assert_cmpint (ferry_test_cli (NULL, cli_config, &out, &err, "--server", argv_server,
                                     "--trust", f->server->fingerprint, "list", NULL), ==, 1);
    g_assert_nonnull (strstr (err, "has changed"));
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (ferry_test_cli (NULL, cli_config, NULL, &err, "--server", argv_server,
                                     "forget", NULL), ==, 0);
    g_assert_cmpint (ferry_test_cli (NULL, cli_config, NULL, NULL, "--server", argv_server,
                                     "--trust", f->server->fingerprint, "list", NULL), ==, 0);
  }

  /* The library client reads the same file: trusted again. */
  error = check_client (client);
  g_assert_no_error (error);
}

static void
test_cli_refuses_untrusted_without_tty (Fixture       *f,
                                        gconstpointer  data)
{
  g_autofree char *err = NULL;
  g_autofree char *wrong = g_strnfill (64, 'a');

  f->server = ferry_test_server_start (NULL, 0, NULL);
  g_assert_cmpint (ferry_test_cli (NULL, f->config, NULL, &err, "--server", f->server->address,
                                   "list", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "--trust"));
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (ferry_test_cli (NULL, f->config, NULL, &err, "--server", f->server->address,
                                   "--trust", wrong, "list", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "not the one given"));
}

static void
test_password (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *password_file = g_build_filename (f->tmp, "password", NULL);
  g_autoptr(FerryClient) client = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (password_file, "correct horse\n", -1, NULL));
  f->server = ferry_test_server_start (NULL, 0, "--password-file", password_file, NULL);
  client = ferry_test_client_new (f->server, f->config, "Alice");

  error = check_client (client);
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_AUTH);
  g_clear_error (&error);

  ferry_client_set_password (client, "wrong");
  error = check_client (client);
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_AUTH);
  g_clear_error (&error);

  ferry_client_set_password (client, "correct horse");
  error = check_client (client);
  g_assert_no_error (error);

  /* Five failures in a minute lock the address out, even for the right password. */
  ferry_client_set_password (client, "guess");
  for (guint i = 0; i < 5; i++)
    {
      error = check_client (client);
      g_assert_error (error, FERRY_ERROR, FERRY_ERROR_AUTH);
      g_clear_error (&error);
    }
  ferry_client_set_password (client, "correct horse");
  error = check_client (client);
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "Too many"));
}

/* ---- a recording proxy: a capture of everything on the wire ----------------------------- */

typedef struct
{
  GSocketListener *listener;
  GCancellable    *cancellable;
  guint16          port;
  guint16          target;
  GMutex           lock;
  GByteArray      *recorded;
  GThread         *thread;
  GPtrArray       *pumps;       /* GThread */
} Recorder;

typedef struct
{
  Recorder          *recorder;
  GSocketConnection *from;
  GSocketConnection *to;
} Pump;

static gpointer
pump_thread (gpointer user_data)
{
  Pump *pump = user_data;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (pump->from));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (pump->to));
  guint8 buf[65536];
  gssize n;

  while ((n = g_input_stream_read (in, buf, sizeof buf, NULL, NULL)) > 0)
    {
      g_mutex_lock (&pump->recorder->lock);
      g_byte_array_append (pump->recorder->recorded, buf, (guint) n);
      g_mutex_unlock (&pump->recorder->lock);
      if (!g_output_stream_write_all (out, buf, (gsize) n, NULL, NULL, NULL))
        break;
    }
  /* Pass the end of stream on, so the other side's pump ends too. */
  g_socket_shutdown (g_socket_connection_get_socket (pump->to), FALSE, TRUE, NULL);
  g_object_unref (pump->from);
  g_object_unref (pump->to);
  g_free (pump);
  return NULL;
}

static void
start_pump (Recorder          *r,
            GSocketConnection *from,
            GSocketConnection *to)
{
  Pump *pump = g_new0 (Pump, 1);

  pump->recorder = r;
  pump->from = g_object_ref (from);
  pump->to = g_object_ref (to);
  g_mutex_lock (&r->lock);
  g_ptr_array_add (r->pumps, g_thread_new ("pump", pump_thread, pump));
  g_mutex_unlock (&r->lock);
}

static gpointer
recorder_thread (gpointer user_data)
{
  Recorder *r = user_data;

  for (;;)
    {
      g_autoptr(GSocketConnection) down = NULL;
      g_autoptr(GSocketClient) client = g_socket_client_new ();
      g_autoptr(GSocketConnection) up = NULL;

      down = g_socket_listener_accept (r->listener, NULL, r->cancellable, NULL);
      if (!down)
        return NULL;
      up = g_socket_client_connect_to_host (client, "127.0.0.1", r->target, NULL, NULL);
      if (!up)
        continue;
      start_pump (r, down, up);
      start_pump (r, up, down);
    }
}

static Recorder *
recorder_start (guint16 target)
{
  Recorder *r = g_new0 (Recorder, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  r->target = target;
  r->recorded = g_byte_array_new ();
  r->pumps = g_ptr_array_new ();
  r->cancellable = g_cancellable_new ();
  g_mutex_init (&r->lock);
  r->listener = g_socket_listener_new ();
  g_socket_listener_add_address (r->listener, any, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                 NULL, &bound, &error);
  g_assert_no_error (error);
  r->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  r->thread = g_thread_new ("recorder", recorder_thread, r);
  return r;
}

static gboolean
recorded_contains (Recorder   *r,
                   const char *marker)
{
  gboolean found;

  g_mutex_lock (&r->lock);
  found = memmem (r->recorded->data, r->recorded->len, marker, strlen (marker)) != NULL;
  g_mutex_unlock (&r->lock);
  return found;
}

static gsize
recorded_size (Recorder *r)
{
  gsize n;

  g_mutex_lock (&r->lock);
  n = r->recorded->len;
  g_mutex_unlock (&r->lock);
  return n;
}

/* Uploads and downloads a file full of a marker through a recording proxy. */
static Recorder *
transfer_through_recorder (Fixture    *f,
                           const char *marker)
{
  Recorder *r = recorder_start (f->server->port);
  g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", r->port);
  g_autofree char *src = g_build_filename (f->tmp, "secret.txt", NULL);
  g_autofree char *out_dir = g_build_filename (f->tmp, "out", NULL);
  g_autofree char *identity = g_build_filename (f->config, "ferry", "identity", NULL);
  g_autofree char *known = g_build_filename (f->config, "ferry", "known-servers", NULL);
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(FerryClient) client = ferry_client_new (address, "Alice");
  g_autoptr(FerryTransfer) up = NULL;
  g_autoptr(FerryTransfer) down = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFile) dir = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 2000; i++)
    g_string_append_printf (text, "%s line %u\n", marker, i);
  g_assert_true (g_file_set_contents (src, text->str, (gssize) text->len, NULL));
  g_mkdir (out_dir, 0700);

  ferry_client_set_identity_path (client, identity);
  ferry_client_set_known_servers_path (client, known);
  ferry_client_set_tls (client, f->server->tls);
  if (f->server->tls)
    g_assert_true (ferry_client_trust_fingerprint (client, f->server->fingerprint, NULL));

  file = g_file_new_for_path (src);
  up = ferry_client_upload (client, file, marker);
  error = ferry_test_run_transfer (up);
  g_assert_no_error (error);

  dir = g_file_new_for_path (out_dir);
  down = ferry_client_download (client, ferry_offer_get_id (ferry_transfer_get_offer (up)), dir,
                                FERRY_DOWNLOAD_INTO_DIRECTORY);
  error = ferry_test_run_transfer (down);
  g_assert_no_error (error);
  g_assert_cmpuint (recorded_size (r), >, text->len * 2);
  return r;
}

static void
recorder_free (Recorder *r)
{
  g_cancellable_cancel (r->cancellable);
  g_thread_join (r->thread);
  g_socket_listener_close (r->listener);
  g_object_unref (r->listener);
  g_object_unref (r->cancellable);
  /* Every pump ends once both ends of its connection have closed. */
  for (guint i = 0; i < r->pumps->len; i++)
    g_thread_join (g_ptr_array_index (r->pumps, i));
  g_ptr_array_unref (r->pumps);
  g_byte_array_unref (r->recorded);
  g_mutex_clear (&r->lock);
  g_free (r);
}

static void
test_capture_shows_no_plaintext (Fixture       *f,
                                 gconstpointer  data)
{
  const char *marker = "FERRY-MARKER-7f3e9c";
  Recorder *r;

  f->server = ferry_test_server_start (NULL, 0, NULL);
  r = transfer_through_recorder (f, marker);
  g_assert_false (recorded_contains (r, marker));
  recorder_free (r);
}

static void
test_capture_sees_plaintext_without_tls (Fixture       *f,
                                         gconstpointer  data)
{
  const char *marker = "FERRY-MARKER-7f3e9c";
  Recorder *r;

  /* The control experiment: the recorder does see a marker when nothing is encrypted. */
  f->server = ferry_test_server_start (NULL, 0, "--no-tls", NULL);
  r = transfer_through_recorder (f, marker);
  g_assert_true (recorded_contains (r, marker));
  recorder_free (r);
}

/* ---- hostile clients, while a good one works ----------------------------------------------- */

typedef struct
{
  FerryTestServer *server;
  gboolean         finished;
  guint            steps;
} Hostile;

static gboolean
stream_is_closed (GIOStream *conn)
{
  guint8 buf[4096];
  GInputStream *in = g_io_stream_get_input_stream (conn);

  /* Everything the server sends before closing is read and dropped. */
  for (guint i = 0; i < 10000; i++)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_input_stream_read (in, buf, sizeof buf, NULL, &error);

      if (n <= 0)
        return !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
    }
  return FALSE;
}

static gpointer
hostile_thread (gpointer user_data)
{
  Hostile *h = user_data;
  g_autoptr(GMainContext) context = g_main_context_new ();

  g_main_context_push_thread_default (context);

  /* Plaintext frames to a TLS server: the handshake fails and the socket closes. */
  {
    g_autoptr(GIOStream) tcp = ferry_test_raw_connect_tcp (h->server);
    g_autoptr(GBytes) hello = ferry_msg_subscribe_new ();

    ferry_test_raw_send_data (tcp, g_bytes_get_data (hello, NULL), g_bytes_get_size (hello));
    g_assert_true (stream_is_closed (tcp));
    h->steps++;
  }

  /* Random bytes, truncated headers and a 4 GiB length, inside TLS. */
  for (guint round = 0; round < 10; round++)
    {
      g_autoptr(GIOStream) conn = ferry_test_raw_connect (h->server);
      guint8 junk[2048];

      for (guint i = 0; i < sizeof junk; i++)
        junk[i] = (guint8) g_random_int ();
      ferry_test_raw_send_data (conn, junk, 1 + g_random_int_range (0, sizeof junk));
      ferry_test_raw_expect_error (conn, 0);
    }
  {
    g_autoptr(GIOStream) conn = ferry_test_raw_connect (h->server);
    guint8 header[FERRY_FRAME_HEADER_SIZE];

    ferry_test_raw_handshake (conn);
    ferry_frame_header_encode (header, FERRY_MSG_UPLOAD, 0, 0xFFFFFFFFu);
    ferry_test_raw_send_data (conn, header, sizeof header);
    ferry_test_raw_expect_error (conn, FERRY_ERROR_MALFORMED);
    h->steps++;
  }

  /* A valid header with the wrong GVariant type. */
  {
    g_autoptr(GIOStream) conn = ferry_test_raw_connect (h->server);
    g_autoptr(GVariant) wrong = g_variant_ref_sink (g_variant_new ("(s)", "not a hello"));
    g_autoptr(GBytes) payload = g_variant_get_data_as_bytes (wrong);

    ferry_test_raw_send (conn, ferry_frame_encode (FERRY_MSG_HELLO, 0, payload));
    ferry_test_raw_expect_error (conn, FERRY_ERROR_MALFORMED);
    h->steps++;
  }

  /* An upload that claims 10 bytes and sends 20. */
  {
    g_autoptr(GIOStream) conn = ferry_test_raw_connect (h->server);
    g_auto(FerryFrame) frame = { 0 };
    guint8 header[FERRY_FRAME_HEADER_SIZE + FERRY_DATA_HEADER_SIZE];

    ferry_test_raw_handshake (conn);
    ferry_test_raw_send (conn, ferry_msg_upload_new ("ten", (guint64) 10, "", 0, 0));
    g_assert_true (ferry_test_raw_read (conn, &frame));
    g_assert_cmpint (frame.type, ==, FERRY_MSG_ACCEPT);
    ferry_data_header_encode (header, 0, 20);
    ferry_test_raw_send_data (conn, header, sizeof header);
    ferry_test_raw_send_data (conn, "01234567890123456789", 20);
    ferry_test_raw_expect_error (conn, FERRY_ERROR_SIZE_MISMATCH);
    h->steps++;
  }

  /* 10,000 tiny frames on a control session: every PING answered, nothing else disturbed. */
  {
    g_autoptr(GIOStream) conn = ferry_test_raw_connect (h->server);
    g_autoptr(GByteArray) burst = g_byte_array_new ();
    guint pongs = 0;

    ferry_test_raw_handshake (conn);
    ferry_test_raw_send (conn, ferry_msg_subscribe_new ());
    for (guint i = 0; i < 10000; i++)
      {
        g_autoptr(GBytes) ping = ferry_msg_ping_new (i);

        g_byte_array_append (burst, g_bytes_get_data (ping, NULL), g_bytes_get_size (ping));
      }
    ferry_test_raw_send_data (conn, burst->data, burst->len);
    while (pongs < 10000)
      {
        g_auto(FerryFrame) reply = { 0 };

        g_assert_true (ferry_test_raw_read (conn, &reply));
        if (reply.type == FERRY_MSG_PONG)
          pongs++;
      }
    h->steps++;
  }

  /* A slowloris: one byte a second. The handshake deadline (10 s) cuts it off. */
  {
    g_autoptr(GIOStream) tcp = ferry_test_raw_connect_tcp (h->server);
    GOutputStream *out = g_io_stream_get_output_stream (tcp);
    gint64 start = g_get_monotonic_time ();
    gboolean cut = FALSE;

    for (guint i = 0; i < 40 && !cut; i++)
      {
        /* The first bytes of a TLS ClientHello record, dribbled. */
        static const guint8 hello[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc };
        g_autoptr(GError) error = NULL;

        if (!g_output_stream_write_all (out, &hello[i % sizeof hello], 1, NULL, NULL, &error))
          cut = TRUE;
        else
          g_usleep (G_USEC_PER_SEC);
        if (g_get_monotonic_time () - start > 12 * G_USEC_PER_SEC)
          break;
      }
    if (!cut)
      cut = stream_is_closed (tcp);
    g_assert_true (cut);
    h->steps++;
  }

  g_main_context_pop_thread_default (context);
  g_atomic_int_set (&h->finished, TRUE);
  return NULL;
}

static void
test_hostile_clients (Fixture       *f,
                      gconstpointer  data)
{
  Hostile h = { 0 };
  g_autoptr(GThread) thread = NULL;
  g_autoptr(FerryClient) good = NULL;
  g_autofree char *src = NULL;
  g_autofree char *sum = NULL;
  g_autofree char *out_dir = g_build_filename (f->tmp, "good", NULL);
  guint rounds = 0;

  f->server = ferry_test_server_start (NULL, 0, "--max-connections-per-address", "12", NULL);
  good = ferry_test_client_new (f->server, f->config, "Good");
  src = ferry_test_make_file (f->tmp, "good.bin", 3 * 1024 * 1024 + 5);
  sum = ferry_test_sha256_file (src);
  g_mkdir (out_dir, 0700);
  ferry_test_client_connect (good);

  h.server = f->server;
  thread = g_thread_new ("hostile", hostile_thread, &h);

  /* The well-behaved client keeps uploading and downloading until the abuse is over. */
  while (!g_atomic_int_get (&h.finished) || rounds < 2)
    {
      g_autoptr(GFile) file = g_file_new_for_path (src);
      g_autoptr(FerryTransfer) up = ferry_client_upload (good, file, NULL);
      g_autoptr(GError) error = ferry_test_run_transfer (up);
      g_autoptr(GFile) dir = NULL;
      g_autoptr(FerryTransfer) down = NULL;
      g_autofree char *saved = NULL;
      g_autofree char *saved_sum = NULL;

      g_assert_no_error (error);
      dir = g_file_new_for_path (out_dir);
      down = ferry_client_download (good, ferry_offer_get_id (ferry_transfer_get_offer (up)),
                                    dir, FERRY_DOWNLOAD_INTO_DIRECTORY);
      error = ferry_test_run_transfer (down);
      g_assert_no_error (error);
      saved = g_file_get_path (ferry_transfer_get_file (down));
      saved_sum = ferry_test_sha256_file (saved);
      g_assert_cmpstr (saved_sum, ==, sum);
      g_unlink (saved);
      rounds++;
      g_assert_cmpuint (rounds, <, 1000);
    }
  g_thread_join (g_steal_pointer (&thread));
  g_assert_cmpuint (h.steps, ==, 6);
  g_assert_cmpint (ferry_client_get_state (good), ==, FERRY_CLIENT_CONNECTED);
  g_test_message ("the good client completed %u upload+download rounds meanwhile", rounds);
}

/* Over the per-address limit, the extra connection gets BUSY; the held ones are unharmed and
 * once they go, service resumes. (A flood from the same address as a good client necessarily
 * competes with it for that address's share, so this runs on its own.) */
static void
test_connection_flood (Fixture       *f,
                       gconstpointer  data)
{
  GIOStream *held[4];
  g_autoptr(GIOStream) extra = NULL;
  g_autoptr(FerryClient) client = NULL;
  g_autoptr(GError) error = NULL;

  f->server = ferry_test_server_start (NULL, 0, "--max-connections-per-address", "4", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (held); i++)
    {
      held[i] = ferry_test_raw_connect (f->server);
      ferry_test_raw_handshake (held[i]);
    }

  extra = ferry_test_raw_try_connect (f->server);
  if (extra)
    {
      ferry_test_raw_send_hello (extra);
      ferry_test_raw_expect_error (extra, FERRY_ERROR_BUSY);
    }

  /* The held connections still work. */
  ferry_test_raw_send (held[0], ferry_msg_subscribe_new ());
  {
    g_auto(FerryFrame) frame = { 0 };

    g_assert_true (ferry_test_raw_read (held[0], &frame));
    g_assert_cmpint (frame.type, ==, FERRY_MSG_SYNCED);
  }

  for (guint i = 0; i < G_N_ELEMENTS (held); i++)
    {
      g_io_stream_close (held[i], NULL, NULL);
      g_object_unref (held[i]);
    }

  /* Bounded retry: the server notices the closes asynchronously. */
  client = ferry_test_client_new (f->server, f->config, "After");
  for (guint attempt = 0; attempt < 100; attempt++)
    {
      g_clear_error (&error);
      error = check_client (client);
      if (!g_error_matches (error, FERRY_ERROR, FERRY_ERROR_BUSY))
        break;
      g_usleep (50 * 1000);
    }
  g_assert_no_error (error);
}

static void
test_tls_hello_to_plain_server (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(GIOStream) tcp = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) tls = NULL;

  f->server = ferry_test_server_start (NULL, 0, "--no-tls", NULL);
  tcp = ferry_test_raw_connect_tcp (f->server);
  tls = g_tls_client_connection_new (tcp, NULL, &error);
  g_assert_no_error (error);

  /* The handshake fails: the server answers the ClientHello with a Ferry ERROR frame. */
  g_assert_false (g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, &error));
  g_assert_nonnull (error);
  g_clear_object (&tls);

  /* And a TLS client library reports it as a sentence, not a hang. */
  {
    g_autoptr(FerryClient) client = NULL;
    g_autofree char *identity = g_build_filename (f->config, "ferry", "identity", NULL);

    client = ferry_client_new (f->server->address, "Mistaken");
    ferry_client_set_identity_path (client, identity);
    error = check_client (client);
    g_assert_error (error, FERRY_ERROR, FERRY_ERROR_TLS);
    g_assert_nonnull (strstr (error->message, "--no-tls"));
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/security/new-server-needs-trust", test_new_server_needs_trust);
  ADD ("/security/fingerprint-changed-is-refused", test_fingerprint_changed);
  ADD ("/security/cli-refuses-untrusted-without-tty", test_cli_refuses_untrusted_without_tty);
  ADD ("/security/password", test_password);
  ADD ("/security/capture-shows-no-plaintext", test_capture_shows_no_plaintext);
  ADD ("/security/capture-sees-plaintext-without-tls", test_capture_sees_plaintext_without_tls);
  ADD ("/security/tls-hello-to-plain-server", test_tls_hello_to_plain_server);
  ADD ("/security/connection-flood", test_connection_flood);
  ADD ("/security/hostile-clients-while-a-good-one-works", test_hostile_clients);

  return g_test_run ();
}
