/* ferry-test-harness.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-test"

#include "config.h"

#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <glib/gstdio.h>

#include "ferry-test-harness.h"
#include "ferry-checksum.h"
#include "ferry-fingerprint.h"
#include "ferry-message.h"

static const char *
env_or_fail (const char *name)
{
  const char *value = g_getenv (name);

  if (!value)
    g_error ("%s is not set; run the tests through meson test", name);
  return value;
}

/* A server must not outlive a test that crashed: it would keep meson's pipes open. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

FerryTestServer *
ferry_test_server_start (const char *data_dir,
                         guint16     port,
                         const char *first_extra_arg,
                         ...)
{
  FerryTestServer *server = g_new0 (FerryTestServer, 1);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  const char *prefix = "listening on ";
  const char *colon;
  va_list ap;

  server->data_dir = data_dir ? g_strdup (data_dir) : ferry_test_tmpdir ();

  g_ptr_array_add (argv, g_strdup (env_or_fail ("FERRY_SERVER")));
  g_ptr_array_add (argv, g_strdup ("--bind"));
  g_ptr_array_add (argv, g_strdup ("127.0.0.1"));
  g_ptr_array_add (argv, g_strdup ("--port"));
  g_ptr_array_add (argv, g_strdup_printf ("%u", port));
  g_ptr_array_add (argv, g_strdup ("--data-dir"));
  g_ptr_array_add (argv, g_strdup (server->data_dir));
  server->tls = TRUE;
  va_start (ap, first_extra_arg);
  for (const char *arg = first_extra_arg; arg; arg = va_arg (ap, const char *))
    {
      if (g_str_equal (arg, "--no-tls"))
        server->tls = FALSE;
      g_ptr_array_add (argv, g_strdup (arg));
    }
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  if (g_getenv ("FERRY_TEST_SERVER_STDERR"))
    g_subprocess_launcher_set_stderr_file_path (launcher, g_getenv ("FERRY_TEST_SERVER_STDERR"));
  server->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata,
                                                  &error);
  g_assert_no_error (error);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->process));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  if (!line || !g_str_has_prefix (line, prefix))
    g_error ("ferry-server did not start: it printed “%s”", line ? line : "(nothing)");

  colon = strrchr (line, ':');
  g_assert_nonnull (colon);
  server->port = (guint16) g_ascii_strtoull (colon + 1, NULL, 10);
  g_assert_cmpuint (server->port, >, 0);
  if (port)
    g_assert_cmpuint (server->port, ==, port);
  server->address = g_strdup_printf ("127.0.0.1:%u", server->port);

  if (server->tls)
    {
      g_autofree char *fp_line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);

      g_assert_no_error (error);
      if (!fp_line || !g_str_has_prefix (fp_line, "fingerprint "))
        g_error ("ferry-server did not print its fingerprint: “%s”", fp_line ? fp_line : "");
      server->fingerprint = ferry_fingerprint_parse (fp_line + strlen ("fingerprint "), &error);
      g_assert_no_error (error);
    }
  return server;
}

void
ferry_test_server_stop (FerryTestServer *server)
{
  g_autoptr(GError) error = NULL;

  if (!server->process)
    return;
  g_subprocess_send_signal (server->process, SIGTERM);
  g_subprocess_wait (server->process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (server->process));
  g_assert_cmpint (g_subprocess_get_exit_status (server->process), ==, 0);
  g_clear_object (&server->process);
}

void
ferry_test_server_free (FerryTestServer *server)
{
  if (server->process)
    {
      g_subprocess_force_exit (server->process);
      g_subprocess_wait (server->process, NULL, NULL);
      g_clear_object (&server->process);
    }
  ferry_test_rm_rf (server->data_dir);
  g_free (server->data_dir);
  g_free (server->address);
  g_free (server->fingerprint);
  g_free (server);
}

char *
ferry_test_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("ferry-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
ferry_test_rm_rf (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (!path)
    return;
  if (!g_file_test (path, G_FILE_TEST_IS_DIR) || g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_unlink (path);
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      ferry_test_rm_rf (child);
    }
  g_rmdir (path);
}

char *
ferry_test_make_file (const char *dir,
                      const char *name,
                      guint64     size)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GRand) rand = g_rand_new_with_seed ((guint32) size ^ 0x5eed);
  g_autofree guint32 *buf = g_new (guint32, 16384);
  FILE *f = g_fopen (path, "wb");

  g_assert_nonnull (f);
  while (size > 0)
    {
      gsize n = (gsize) MIN (size, (guint64) 16384 * sizeof (guint32));

      for (guint i = 0; i < 16384; i++)
        buf[i] = g_rand_int (rand);
      g_assert_cmpuint (fwrite (buf, 1, n, f), ==, n);
      size -= n;
    }
  g_assert_cmpint (fclose (f), ==, 0);
  return path;
}

char *
ferry_test_sha256_file (const char *path)
{
  g_autoptr(FerryChecksum) sum = ferry_checksum_new ();
  g_autofree guint8 *buf = g_malloc (1 << 20);
  guint8 digest[32];
  FILE *f = g_fopen (path, "rb");
  size_t n;

  g_assert_nonnull (f);
  while ((n = fread (buf, 1, 1 << 20, f)) > 0)
    ferry_checksum_update (sum, buf, n);
  fclose (f);
  ferry_checksum_finish (sum, digest);
  return ferry_sha256_to_hex (digest);
}

guint
ferry_test_count_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  while (dir && g_dir_read_name (dir))
    n++;
  return n;
}

FerryClient *
ferry_test_client_new (FerryTestServer *server,
                       const char      *config_dir,
                       const char      *user_name)
{
  FerryClient *client = ferry_client_new (server->address, user_name);
  g_autofree char *identity = g_build_filename (config_dir, "ferry", "identity", NULL);
  g_autofree char *known = g_build_filename (config_dir, "ferry", "known-servers", NULL);
  g_autoptr(GError) error = NULL;

  ferry_client_set_identity_path (client, identity);
  ferry_client_set_known_servers_path (client, known);
  ferry_client_set_tls (client, server->tls);
  if (server->tls)
    {
      ferry_client_trust_fingerprint (client, server->fingerprint, &error);
      g_assert_no_error (error);
    }
  return client;
}

static void
connected_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  gboolean *done = user_data;

  ferry_client_connect_finish (FERRY_CLIENT (object), result, &error);
  g_assert_no_error (error);
  *done = TRUE;
}

void
ferry_test_client_connect (FerryClient *client)
{
  gboolean done = FALSE;

  ferry_client_connect_async (client, NULL, connected_cb, &done);
  ferry_test_wait (&done, 30);
  g_assert_cmpint (ferry_client_get_state (client), ==, FERRY_CLIENT_CONNECTED);
}

typedef struct
{
  gboolean done;
  GError  *error;
} RunData;

static void
transfer_done_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  RunData *data = user_data;

  ferry_transfer_run_finish (FERRY_TRANSFER (object), result, &data->error);
  data->done = TRUE;
}

GError *
ferry_test_run_transfer (FerryTransfer *transfer)
{
  RunData data = { 0 };

  ferry_transfer_run_async (transfer, NULL, transfer_done_cb, &data);
  ferry_test_wait (&data.done, 300);
  return data.error;
}

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

void
ferry_test_wait (gboolean *done,
                 guint     seconds)
{
  gboolean expired = FALSE;
  guint source = g_timeout_add_seconds (seconds, timeout_cb, &expired);

  while (!*done && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (source);
  if (!*done)
    g_error ("Timed out after %u s waiting for an operation", seconds);
}

static gboolean
poll_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

void
ferry_test_wait_for (gboolean (*check) (gpointer data),
                     gpointer  data,
                     guint     seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;
  guint source = g_timeout_add (20, poll_cb, NULL);

  while (!check (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out after %u s waiting for a condition", seconds);
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (source);
}

GIOStream *
ferry_test_raw_connect_tcp (FerryTestServer *server)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  GSocketConnection *conn;

  g_socket_client_set_timeout (client, 30);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", server->port, NULL, &error);
  g_assert_no_error (error);
  return G_IO_STREAM (conn);
}

static gboolean
accept_any_cb (GTlsConnection       *conn,
               GTlsCertificate      *peer,
               GTlsCertificateFlags  errors,
               gpointer              user_data)
{
  return TRUE;
}

static GIOStream *
raw_connect (FerryTestServer  *server,
             GError          **error)
{
  g_autoptr(GIOStream) tcp = ferry_test_raw_connect_tcp (server);
  g_autoptr(GIOStream) tls = NULL;

  if (!server->tls)
    return g_steal_pointer (&tcp);

  tls = g_tls_client_connection_new (tcp, NULL, error);
  g_assert_nonnull (tls);
  g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (tls), FALSE);
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (accept_any_cb), NULL);
  if (!g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, error))
    return NULL;
  return g_steal_pointer (&tls);
}

GIOStream *
ferry_test_raw_connect (FerryTestServer *server)
{
  g_autoptr(GError) error = NULL;
  GIOStream *conn = raw_connect (server, &error);

  g_assert_no_error (error);
  return conn;
}

GIOStream *
ferry_test_raw_try_connect (FerryTestServer *server)
{
  return raw_connect (server, NULL);
}

void
ferry_test_raw_send_data (GIOStream         *conn,
                          const void        *data,
                          gsize              len)
{
  GOutputStream *out = g_io_stream_get_output_stream (conn);

  /* The server may already have closed on us; that is a valid reaction, not a test error. */
  g_output_stream_write_all (out, data, len, NULL, NULL, NULL);
}

void
ferry_test_raw_send (GIOStream         *conn,
                     GBytes            *frame)
{
  gsize len;
  const void *data = g_bytes_get_data (frame, &len);

  ferry_test_raw_send_data (conn, data, len);
  g_bytes_unref (frame);
}

gboolean
ferry_test_raw_read (GIOStream         *conn,
                     FerryFrame        *frame)
{
  GInputStream *in = g_io_stream_get_input_stream (conn);
  g_autoptr(FerryFrameDecoder) decoder = ferry_frame_decoder_new ();
  guint8 header[FERRY_FRAME_HEADER_SIZE];
  g_autofree guint8 *payload = NULL;
  g_autoptr(GError) error = NULL;
  FerryMessageType type;
  guint16 flags;
  guint32 length;
  gsize n = 0;

  if (!g_input_stream_read_all (in, header, sizeof header, &n, NULL, NULL) ||
      n < sizeof header)
    return FALSE;
  g_assert_true (ferry_frame_header_decode (header, &type, &flags, &length, &error));
  payload = g_malloc (length + 1);
  if (!g_input_stream_read_all (in, payload, length, &n, NULL, NULL) || n < length)
    return FALSE;
  ferry_frame_decoder_feed (decoder, header, sizeof header);
  ferry_frame_decoder_feed (decoder, payload, length);
  g_assert_true (ferry_frame_decoder_next (decoder, frame, &error));
  g_assert_no_error (error);
  return TRUE;
}

void
ferry_test_raw_send_hello (GIOStream *conn)
{
  guint8 secret[FERRY_SECRET_SIZE];

  for (guint i = 0; i < sizeof secret; i++)
    secret[i] = (guint8) g_random_int ();
  ferry_test_raw_send (conn,
                       ferry_msg_hello_new (FERRY_PROTOCOL_VERSION, "raw test", "raw", secret,
                                            NULL));
}

void
ferry_test_raw_handshake (GIOStream *conn)
{
  g_auto(FerryFrame) frame = { 0 };

  ferry_test_raw_send_hello (conn);
  g_assert_true (ferry_test_raw_read (conn, &frame));
  g_assert_cmpint (frame.type, ==, FERRY_MSG_WELCOME);
}

void
ferry_test_raw_expect_error (GIOStream         *conn,
                             guint32            code)
{
  for (guint i = 0; i < 100000; i++)
    {
      g_auto(FerryFrame) frame = { 0 };
      g_autoptr(GVariant) v = NULL;
      guint32 got;

      if (!ferry_test_raw_read (conn, &frame))
        {
          if (code != 0)
            g_error ("The server closed without sending ERROR %u", code);
          return;
        }
      if (frame.type != FERRY_MSG_ERROR)
        continue;
      v = ferry_message_parse (&frame, NULL);
      g_assert_nonnull (v);
      ferry_msg_error_get (v, &got, NULL);
      if (code != 0)
        g_assert_cmpuint (got, ==, code);
      return;
    }
  g_error ("No ERROR frame arrived");
}

static void
handshake_done_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  gboolean *done = user_data;

  g_tls_connection_handshake_finish (G_TLS_CONNECTION (object), result, NULL);
  *done = TRUE;
}

/* Captured from a handshake against a listener of our own that never answers. */
GBytes *
ferry_test_capture_client_hello (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) outgoing = NULL;
  g_autoptr(GSocketConnection) incoming = NULL;
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  GInputStream *in;
  guint8 header[5];
  guint8 *record;
  gsize length;
  gboolean done = FALSE;
  guint16 port;

  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  address = g_strdup_printf ("127.0.0.1:%u", port);
  outgoing = g_socket_client_connect_to_host (client, address, 0, NULL, &error);
  g_assert_no_error (error);
  incoming = g_socket_listener_accept (listener, NULL, NULL, &error);
  g_assert_no_error (error);

  tls = g_tls_client_connection_new (G_IO_STREAM (outgoing), NULL, &error);
  g_assert_no_error (error);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT, cancellable,
                                    handshake_done_cb, &done);

  in = g_io_stream_get_input_stream (G_IO_STREAM (incoming));
  g_input_stream_read_all (in, header, sizeof header, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (header[0], ==, 0x16);   /* a handshake record */
  length = ((gsize) header[3] << 8) | header[4];
  record = g_malloc (sizeof header + length);
  memcpy (record, header, sizeof header);
  g_input_stream_read_all (in, record + sizeof header, length, NULL, NULL, &error);
  g_assert_no_error (error);

  g_cancellable_cancel (cancellable);
  ferry_test_wait (&done, 10);
  return g_bytes_new_take (record, sizeof header + length);
}

static int
cli_run (FerryTestServer  *server,
         const char       *config_dir,
         const char       *input,
         char            **out,
         char            **err,
         const char       *first_arg,
         va_list           ap)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;
  g_autofree char *cache = g_build_filename (config_dir, "cache", NULL);

  g_ptr_array_add (argv, (char *) env_or_fail ("FERRY_CLI"));
  if (server)
    {
      g_ptr_array_add (argv, (char *) "--server");
      g_ptr_array_add (argv, server->address);
      if (server->tls)
        {
          g_ptr_array_add (argv, (char *) "--trust");
          g_ptr_array_add (argv, server->fingerprint);
        }
      else
        g_ptr_array_add (argv, (char *) "--no-tls");
    }
  for (const char *arg = first_arg; arg; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) arg);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE |
                                        (input ? G_SUBPROCESS_FLAGS_STDIN_PIPE
                                               : G_SUBPROCESS_FLAGS_NONE));
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config_dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", cache, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  if (g_getenv ("FERRY_TEST_SERVER_STDERR"))
    g_subprocess_launcher_set_stderr_file_path (launcher, g_getenv ("FERRY_TEST_SERVER_STDERR"));
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input, NULL, &stdout_text, &stderr_text, &error);
  g_assert_no_error (error);

  if (out)
    *out = g_steal_pointer (&stdout_text);
  if (err)
    *err = g_steal_pointer (&stderr_text);
  g_assert_true (g_subprocess_get_if_exited (process));
  return g_subprocess_get_exit_status (process);
}

int
ferry_test_cli (FerryTestServer  *server,
                const char       *config_dir,
                char            **out,
                char            **err,
                const char       *first_arg,
                ...)
{
  va_list ap;
  int status;

  va_start (ap, first_arg);
  status = cli_run (server, config_dir, NULL, out, err, first_arg, ap);
  va_end (ap);
  return status;
}

int
ferry_test_cli_with_input (FerryTestServer  *server,
                           const char       *config_dir,
                           const char       *input,
                           char            **out,
                           char            **err,
                           const char       *first_arg,
                           ...)
{
  va_list ap;
  int status;

  va_start (ap, first_arg);
  status = cli_run (server, config_dir, input, out, err, first_arg, ap);
  va_end (ap);
  return status;
}

void
ferry_test_people_setup (FerryTestPeople *f,
                         gconstpointer    data)
{
  f->server = ferry_test_server_start (NULL, 0, NULL);
  f->tmp = ferry_test_tmpdir ();
  f->config_a = g_build_filename (f->tmp, "config-a", NULL);
  f->config_b = g_build_filename (f->tmp, "config-b", NULL);
  f->alice = ferry_test_client_new (f->server, f->config_a, "Alice");
  f->bob = ferry_test_client_new (f->server, f->config_b, "Bob");
}

void
ferry_test_people_teardown (FerryTestPeople *f,
                            gconstpointer    data)
{
  g_clear_object (&f->alice);
  g_clear_object (&f->bob);
  /* Let aborted connections unwind before the server goes. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  ferry_test_server_stop (f->server);
  ferry_test_server_free (f->server);
  ferry_test_rm_rf (f->tmp);
  g_free (f->tmp);
  g_free (f->config_a);
  g_free (f->config_b);
}
