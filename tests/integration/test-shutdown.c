/* test-shutdown.c: stopping the server waits for what is in flight, and no longer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A stop completes when its last holder lets go (server/ferry-server.c): the listener once no
 * TLS handshake is left, and each session once its connection is closed and nothing it
 * started (such as removing a partial upload) is still running, which its finalization
 * tells. If one of them were not counted, the server would say "Stopped" before the session
 * finished; if one never let go, the stop would run into its deadline and say so.
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "ferry-test-harness.h"
#include "ferry-error.h"
#include "ferry-frame.h"
#include "ferry-message.h"

static void
read_until (GIOStream        *conn,
            FerryMessageType  type)
{
  for (guint i = 0; i < 1000; i++)
    {
      g_auto(FerryFrame) frame = { 0 };

      g_assert_true (ferry_test_raw_read (conn, &frame));
      if (frame.type == type)
        return;
    }
  g_error ("No %s frame arrived", ferry_message_type_to_string (type));
}

static gboolean
partial_has_one (gpointer data)
{
  return ferry_test_count_dir (data) == 1;
}

static void
exited_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  gboolean *exited = user_data;

  g_assert_true (g_subprocess_wait_finish (G_SUBPROCESS (object), result, NULL));
  *exited = TRUE;
}

static void
test_stop_waits_for_connections (void)
{
  g_autofree char *tmp = ferry_test_tmpdir ();
  g_autofree char *log_path = g_build_filename (tmp, "server.log", NULL);
  g_autofree char *partial = NULL;
  g_autofree char *log = NULL;
  g_autoptr(GIOStream) subscriber = NULL;
  g_autoptr(GIOStream) uploader = NULL;
  g_autoptr(GIOStream) stalled = NULL;
  g_autoptr(GIOStream) half_hello = NULL;
  g_autoptr(GBytes) hello = ferry_test_capture_client_hello ();
  g_autoptr(GError) error = NULL;
  guint8 answer;
  guint8 chunk[4096] = { 0 };
  guint8 header[FERRY_FRAME_HEADER_SIZE + FERRY_DATA_HEADER_SIZE];
  const guint8 partial_record[] = { 0x16, 0x03, 0x01, 0x00, 0x80, 0x01 };
  FerryTestServer *server;
  const char *stopped;
  const char *finished;
  gboolean exited = FALSE;

  g_setenv ("FERRY_TEST_SERVER_STDERR", log_path, TRUE);
  g_setenv ("G_MESSAGES_DEBUG", "ferry-session", TRUE);
  server = ferry_test_server_start (NULL, 0, NULL);
  g_unsetenv ("FERRY_TEST_SERVER_STDERR");
  g_unsetenv ("G_MESSAGES_DEBUG");
  partial = g_build_filename (server->data_dir, "partial", NULL);

  /* A subscriber that has its snapshot. */
  subscriber = ferry_test_raw_connect (server);
  ferry_test_raw_handshake (subscriber);
  ferry_test_raw_send (subscriber, ferry_msg_subscribe_new ());
  read_until (subscriber, FERRY_MSG_SYNCED);

  /* An upload halfway through: its partial file is on disk. */
  uploader = ferry_test_raw_connect (server);
  ferry_test_raw_handshake (uploader);
  ferry_test_raw_send (uploader, ferry_msg_upload_new ("half.bin", (guint64) 1024 * 1024, "", 0, 0));
  read_until (uploader, FERRY_MSG_ACCEPT);
  ferry_data_header_encode (header, 0, sizeof chunk);
  ferry_test_raw_send_data (uploader, header, sizeof header);
  ferry_test_raw_send_data (uploader, chunk, sizeof chunk);
  ferry_test_wait_for (partial_has_one, partial, 10);

  /* A connection waiting for the rest of its first record, on the main loop... */
  half_hello = ferry_test_raw_connect_tcp (server);
  ferry_test_raw_send_data (half_hello, partial_record, sizeof partial_record);
  /* ...and one whose handshake runs in a thread: the server answered its ClientHello and
   * waits for the client's next flight, which never comes. */
  stalled = ferry_test_raw_connect_tcp (server);
  ferry_test_raw_send_data (stalled, g_bytes_get_data (hello, NULL), g_bytes_get_size (hello));
  g_input_stream_read_all (g_io_stream_get_input_stream (stalled), &answer, 1, NULL, NULL,
                           &error);
  g_assert_no_error (error);
  g_assert_cmpuint (answer, ==, 0x16);   /* a TLS handshake record */

  g_subprocess_wait_async (server->process, NULL, exited_cb, &exited);
  g_subprocess_send_signal (server->process, SIGTERM);

  /* Both sessions are told why before they are closed. */
  ferry_test_raw_expect_error (subscriber, FERRY_ERROR_BUSY);
  ferry_test_raw_expect_error (uploader, FERRY_ERROR_BUSY);

  ferry_test_wait (&exited, 30);
  g_assert_true (g_subprocess_get_if_exited (server->process));
  g_assert_cmpint (g_subprocess_get_exit_status (server->process), ==, 0);
  g_clear_object (&server->process);

  /* The stop waited for both sessions to finish, the partial upload kept for resuming... */
  g_assert_cmpuint (ferry_test_count_dir (partial), ==, 1);
  g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
  stopped = strstr (log, "Stopped");
  g_assert_nonnull (stopped);
  finished = log;
  for (guint i = 0; i < 2; i++)
    {
      finished = strstr (finished, "session finished");
      g_assert_nonnull (finished);
      g_assert_true (finished < stopped);
      finished++;
    }
  /* ...and for nothing else: it did not run into its deadline. */
  g_assert_null (strstr (log, "deadline"));

  ferry_test_server_free (server);
  ferry_test_rm_rf (tmp);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/shutdown/waits-for-connections", test_stop_waits_for_connections);

  return g_test_run ();
}
