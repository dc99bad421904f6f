/* test-keepalive.c: request connections that carry many requests (PROTOCOL.md §1), the version
 * sentence, and the idle timeout between requests, spoken over raw frames to a real server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "ferry-test-harness.h"
#include "ferry-checksum.h"
#include "ferry-error.h"
#include "ferry-message.h"

/* Reads one frame, asserts its type, and returns its parsed payload (NULL for DATA). */
static GVariant *
expect_frame (GIOStream        *conn,
              FerryMessageType  type)
{
  g_auto(FerryFrame) frame = { 0 };
  g_autoptr(GError) error = NULL;
  GVariant *value;

  g_assert_true (ferry_test_raw_read (conn, &frame));
  if (frame.type == FERRY_MSG_ERROR && type != FERRY_MSG_ERROR)
    {
      g_autoptr(GVariant) v = ferry_message_parse (&frame, NULL);
      const char *message = NULL;

      ferry_msg_error_get (v, NULL, &message);
      g_error ("ERROR instead of %s: %s", ferry_message_type_to_string (type), message);
    }
  g_assert_cmpstr (ferry_message_type_to_string (frame.type), ==,
                   ferry_message_type_to_string (type));
  if (type == FERRY_MSG_DATA)
    return NULL;
  value = ferry_message_parse (&frame, &error);
  g_assert_no_error (error);
  return value;
}

/* One upload on @conn; returns the new offer's id. */
static char *
raw_upload (GIOStream  *conn,
            const char *name,
            const char *content)
{
  gsize len = strlen (content);
  guint8 header[FERRY_FRAME_HEADER_SIZE + FERRY_DATA_HEADER_SIZE];
  guint8 digest[FERRY_SHA256_SIZE];
  g_autoptr(FerryChecksum) checksum = ferry_checksum_new ();
  g_autoptr(GVariant) accept = NULL;
  g_autoptr(GVariant) offer = NULL;
  const char *id = NULL;
  const char *offered_name = NULL;

  ferry_checksum_update (checksum, (const guint8 *) content, len);
  ferry_checksum_finish (checksum, digest);

  ferry_test_raw_send (conn, ferry_msg_upload_new (name, len, "", 0, 0));
  accept = expect_frame (conn, FERRY_MSG_ACCEPT);
  ferry_data_header_encode (header, 0, len);
  ferry_test_raw_send_data (conn, header, sizeof header);
  ferry_test_raw_send_data (conn, content, len);
  ferry_test_raw_send (conn, ferry_msg_end_new (digest));
  offer = expect_frame (conn, FERRY_MSG_OFFER);
  ferry_msg_offer_get (offer, &id, &offered_name, NULL, NULL, NULL, NULL, NULL, NULL,
                       NULL, NULL);
  g_assert_cmpstr (offered_name, ==, name);
  return g_strdup (id);
}

/* One download on @conn; asserts the bytes. */
static void
raw_download (GIOStream  *conn,
              const char *id,
              const char *content)
{
  g_autoptr(GVariant) offer = NULL;
  g_autoptr(GVariant) end = NULL;
  GString *got = g_string_new (NULL);
  g_autofree char *bytes = NULL;

  ferry_test_raw_send (conn, ferry_msg_download_new (id, 0, NULL));
  offer = expect_frame (conn, FERRY_MSG_OFFER);
  /* Bounded: the content is a few bytes, each DATA frame carries at least one. */
  for (guint i = 0; i <= strlen (content); i++)
    {
      g_auto(FerryFrame) frame = { 0 };

      g_assert_true (ferry_test_raw_read (conn, &frame));
      if (frame.type == FERRY_MSG_END)
        break;
      g_assert_cmpint (frame.type, ==, FERRY_MSG_DATA);
      g_string_append_len (got,
                           (const char *) g_bytes_get_data (frame.payload, NULL) +
                           FERRY_DATA_HEADER_SIZE,
                           (gssize) (g_bytes_get_size (frame.payload) - FERRY_DATA_HEADER_SIZE));
    }
  bytes = g_string_free (got, FALSE);
  g_assert_cmpstr (bytes, ==, content);
}

/* Two uploads, two downloads and a delete in sequence on one connection; then SUBSCRIBE is out
 * of place on it. */
static void
test_many_requests (void)
{
  FerryTestServer *server = ferry_test_server_start (NULL, 0, NULL);
  g_autoptr(GIOStream) conn = ferry_test_raw_connect (server);
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  ferry_test_raw_handshake (conn);
  first = raw_upload (conn, "first.txt", "the first file");
  second = raw_upload (conn, "second.txt", "and the second");
  g_assert_cmpstr (first, !=, second);
  raw_download (conn, first, "the first file");
  raw_download (conn, second, "and the second");

  ferry_test_raw_send (conn, ferry_msg_delete_new (first));
  {
    g_autoptr(GVariant) deleted = expect_frame (conn, FERRY_MSG_DELETED);

    g_assert_cmpstr (ferry_msg_deleted_get_id (deleted), ==, first);
  }
  /* The deleted one is gone for this connection too; the other is still there. */
  raw_download (conn, second, "and the second");

  ferry_test_raw_send (conn, ferry_msg_subscribe_new ());
  ferry_test_raw_expect_error (conn, FERRY_ERROR_UNEXPECTED);

  ferry_test_server_stop (server);
  ferry_test_server_free (server);
}

/* A HELLO of version 1 gets PROTOCOL.md §7's sentence, word for word. */
static void
test_version_one (void)
{
  FerryTestServer *server = ferry_test_server_start (NULL, 0, NULL);
  g_autoptr(GIOStream) conn = ferry_test_raw_connect (server);
  guint8 secret[FERRY_SECRET_SIZE] = { 0 };
  g_autoptr(GVariant) error = NULL;
  const char *message = NULL;
  guint32 code = 0;

  ferry_test_raw_send (conn, ferry_msg_hello_new (1, "ferry-cli 0.1", "Old", secret, NULL));
  error = expect_frame (conn, FERRY_MSG_ERROR);
  ferry_msg_error_get (error, &code, &message);
  g_assert_cmpuint (code, ==, FERRY_ERROR_VERSION);
  g_assert_cmpstr (message, ==, "This server speaks Ferry protocol version 2, not version 1; "
                                "please update ferry-cli or the Ferry app.");

  ferry_test_server_stop (server);
  ferry_test_server_free (server);
}

/* A request connection left idle after its answer is closed with TIMEOUT
 * (FERRY_TEST_IDLE_SECONDS, set in main(), makes the wait 3 s instead of 60). */
static void
test_idle_timeout (void)
{
  FerryTestServer *server = ferry_test_server_start (NULL, 0, NULL);
  g_autoptr(GIOStream) conn = ferry_test_raw_connect (server);
  g_autofree char *id = NULL;

  ferry_test_raw_handshake (conn);
  id = raw_upload (conn, "idle.txt", "then silence");
  {
    /* The very next frame, with nothing sent: the server's TIMEOUT, then the end. */
    g_autoptr(GVariant) error = expect_frame (conn, FERRY_MSG_ERROR);
    g_auto(FerryFrame) frame = { 0 };
    guint32 code = 0;

    ferry_msg_error_get (error, &code, NULL);
    g_assert_cmpuint (code, ==, FERRY_ERROR_TIMEOUT);
    g_assert_false (ferry_test_raw_read (conn, &frame));
  }

  ferry_test_server_stop (server);
  ferry_test_server_free (server);
}

typedef struct
{
  guint    finished;
  gboolean failed;
} Batch;

static void
batch_transfer_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Batch *batch = user_data;
  g_autoptr(GError) error = NULL;

  if (!ferry_transfer_run_finish (FERRY_TRANSFER (object), result, &error))
    {
      g_printerr ("transfer failed: %s\n", error->message);
      batch->failed = TRUE;
    }
  batch->finished++;
}

static gboolean
batch_done (gpointer data)
{
  Batch *batch = data;

  return batch->finished == 12;
}

/* Twelve uploads started at once through one FerryClient open at most 4 connections (the
 * queue runs 4 at a time, each reuses what the last left idle); then twelve downloads of them
 * open none. */
static void
test_pool_reuse (void)
{
  FerryTestServer *server = ferry_test_server_start (NULL, 0, NULL);
  g_autofree char *tmp = ferry_test_tmpdir ();
  g_autofree char *config = g_build_filename (tmp, "config", NULL);
  g_autofree char *out = g_build_filename (tmp, "out", NULL);
  g_autoptr(FerryClient) client = ferry_test_client_new (server, config, "Pool");
  g_autoptr(GFile) out_dir = g_file_new_for_path (out);
  g_autoptr(GPtrArray) transfers = g_ptr_array_new_with_free_func (g_object_unref);
  Batch up = { 0 };
  Batch down = { 0 };

  g_assert_true (g_mkdir_with_parents (out, 0700) == 0);
  for (guint i = 0; i < 12; i++)
    {
      g_autofree char *name = g_strdup_printf ("f%02u.bin", i);
      g_autofree char *path = ferry_test_make_file (tmp, name, 10240 + i);
      g_autoptr(GFile) file = g_file_new_for_path (path);
      FerryTransfer *transfer = ferry_client_upload (client, file, NULL);

      g_ptr_array_add (transfers, transfer);
      ferry_transfer_run_async (transfer, NULL, batch_transfer_cb, &up);
    }
  ferry_test_wait_for (batch_done, &up, 120);
  g_assert_false (up.failed);
  g_assert_cmpuint (ferry_dialer_get_n_opened (ferry_client_get_dialer (client)), >=, 1);
  g_assert_cmpuint (ferry_dialer_get_n_opened (ferry_client_get_dialer (client)), <=, 4);

  for (guint i = 0; i < 12; i++)
    {
      FerryOffer *offer = ferry_transfer_get_offer (g_ptr_array_index (transfers, i));
      FerryTransfer *transfer = ferry_client_download (client, ferry_offer_get_id (offer),
                                                       out_dir,
                                                       FERRY_DOWNLOAD_INTO_DIRECTORY);

      ferry_transfer_run_async (transfer, NULL, batch_transfer_cb, &down);
      g_ptr_array_add (transfers, transfer);
    }
  ferry_test_wait_for (batch_done, &down, 120);
  g_assert_false (down.failed);
  g_assert_cmpuint (ferry_dialer_get_n_opened (ferry_client_get_dialer (client)), <=, 4);
  g_assert_cmpuint (ferry_test_count_dir (out), ==, 12);

  ferry_test_server_stop (server);
  ferry_test_server_free (server);
  ferry_test_rm_rf (tmp);
}

static gboolean
flag_after (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* The server closes a pooled connection left idle (3 s here); the next upload, sent on it, is
 * sent again on a new connection without the caller seeing anything. */
static void
test_pool_retry (void)
{
  FerryTestServer *server = ferry_test_server_start (NULL, 0, NULL);
  g_autofree char *tmp = ferry_test_tmpdir ();
  g_autofree char *config = g_build_filename (tmp, "config", NULL);
  g_autoptr(FerryClient) client = ferry_test_client_new (server, config, "Retry");
  FerryDialer *dialer = ferry_client_get_dialer (client);
  gboolean waited = FALSE;

  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *name = g_strdup_printf ("r%u.bin", i);
      g_autofree char *path = ferry_test_make_file (tmp, name, 5000);
      g_autoptr(GFile) file = g_file_new_for_path (path);
      g_autoptr(FerryTransfer) transfer = ferry_client_upload (client, file, NULL);
      g_autoptr(GError) error = ferry_test_run_transfer (transfer);

      g_assert_no_error (error);
      g_assert_cmpuint (ferry_dialer_get_n_opened (dialer), ==, i + 1);
      if (i == 0)
        {
          /* Well past the server's 3 s, so that its close has arrived. */
          g_timeout_add_seconds (6, flag_after, &waited);
          ferry_test_wait (&waited, 30);
        }
    }

  ferry_test_server_stop (server);
  ferry_test_server_free (server);
  ferry_test_rm_rf (tmp);
}

int
main (int    argc,
      char **argv)
{
  /* Test-only (server/ferry-session.c): the servers these tests start close a request
   * connection idle for 3 s. Set before any thread exists. */
  g_setenv ("FERRY_TEST_IDLE_SECONDS", "3", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/keepalive/many-requests", test_many_requests);
  g_test_add_func ("/keepalive/version-one", test_version_one);
  g_test_add_func ("/keepalive/idle-timeout", test_idle_timeout);
  g_test_add_func ("/keepalive/pool-reuse", test_pool_reuse);
  g_test_add_func ("/keepalive/pool-retry", test_pool_retry);
  return g_test_run ();
}
