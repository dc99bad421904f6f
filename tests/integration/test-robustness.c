/* test-robustness.c: broken and hostile peers, spoken to over raw sockets
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
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->server = ferry_test_server_start (NULL, 0, NULL);
  f->tmp = ferry_test_tmpdir ();
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  ferry_test_server_stop (f->server);
  ferry_test_server_free (f->server);
  ferry_test_rm_rf (f->tmp);
  g_free (f->tmp);
}

/* After each abuse, an ordinary client must still get through. */
static void
assert_still_serving (Fixture *f)
{
  g_autofree char *config = g_build_filename (f->tmp, "config", NULL);
  g_autofree char *src = ferry_test_make_file (f->tmp, "healthy.bin", 70000);
  g_autoptr(FerryClient) client = ferry_test_client_new (f->server, config, "Healthy");
  g_autoptr(GFile) file = g_file_new_for_path (src);
  g_autoptr(FerryTransfer) transfer = ferry_client_upload (client, file, NULL);
  g_autoptr(GError) error = ferry_test_run_transfer (transfer);

  g_assert_no_error (error);
  ferry_test_client_connect (client);
  g_assert_nonnull (ferry_client_lookup_offer (client,
                                               ferry_offer_get_id (ferry_transfer_get_offer (transfer))));
}

static gboolean
partial_is_empty (gpointer data)
{
  Fixture *f = data;
  g_autofree char *partial = g_build_filename (f->server->data_dir, "partial", NULL);

  return ferry_test_count_dir (partial) == 0;
}

static void
test_garbage (Fixture       *f,
              gconstpointer  data)
{
  for (guint round = 0; round < 20; round++)
    {
      g_autoptr(GIOStream) conn = ferry_test_raw_connect (f->server);
      guint8 junk[4096];

      for (guint i = 0; i < sizeof junk; i++)
        junk[i] = (guint8) g_random_int ();
      ferry_test_raw_send_data (conn, junk, 1 + g_random_int_range (0, sizeof junk));
      ferry_test_raw_expect_error (conn, 0);
    }
  assert_still_serving (f);
}

static void
test_bad_magic_gets_error (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GIOStream) conn = ferry_test_raw_connect (f->server);

  /* Another protocol's greeting (an HTTP request goes to the web front: test-web.c). */
  ferry_test_raw_send_data (conn, "SSH-2.0-OpenSSH_9.2\r\n", 21);
  ferry_test_raw_expect_error (conn, FERRY_ERROR_MALFORMED);
  assert_still_serving (f);
}

static void
test_huge_length (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GIOStream) conn = ferry_test_raw_connect (f->server);
  guint8 header[FERRY_FRAME_HEADER_SIZE];

  ferry_test_raw_handshake (conn);
  ferry_frame_header_encode (header, FERRY_MSG_DATA, 0, 0xFFFFFFFFu);
  ferry_test_raw_send_data (conn, header, sizeof header);
  ferry_test_raw_expect_error (conn, FERRY_ERROR_MALFORMED);
  assert_still_serving (f);
}

static void
test_truncated_then_close (Fixture       *f,
                           gconstpointer  data)
{
  for (guint cut = 1; cut < FERRY_FRAME_HEADER_SIZE + 10; cut += 3)
    {
      g_autoptr(GIOStream) conn = ferry_test_raw_connect (f->server);
      g_autoptr(GBytes) hello = ferry_msg_subscribe_new ();
      gsize len;
      const guint8 *p = g_bytes_get_data (hello, &len);

      ferry_test_raw_send_data (conn, p, MIN (cut, len));
      g_io_stream_close (conn, NULL, NULL);
    }
  assert_still_serving (f);
}

static void
test_wrong_variant_type (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GIOStream) conn = ferry_test_raw_connect (f->server);
  g_autoptr(GVariant) wrong = g_variant_ref_sink (g_variant_new ("(s)", "not a hello"));
  g_autoptr(GBytes) payload = g_variant_get_data_as_bytes (wrong);

  ferry_test_raw_send (conn, ferry_frame_encode (FERRY_MSG_HELLO, 0, payload));
  ferry_test_raw_expect_error (conn, FERRY_ERROR_MALFORMED);
  assert_still_serving (f);
}

static void
test_version_mismatch (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GIOStream) conn = ferry_test_raw_connect (f->server);
  guint8 secret[FERRY_SECRET_SIZE] = { 0 };

  ferry_test_raw_send (conn,
                       ferry_msg_hello_new (99, "future", "Zed", secret, NULL));
  ferry_test_raw_expect_error (conn, FERRY_ERROR_VERSION);
}

static void
test_upload_refused_before_data (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(GIOStream) conn = NULL;
  g_autofree char *partial = NULL;

  ferry_test_server_stop (f->server);
  ferry_test_server_free (f->server);
  f->server = ferry_test_server_start (NULL, 0, "--max-file-size", "10K", NULL);
  partial = g_build_filename (f->server->data_dir, "partial", NULL);

  /* A client that ignores WELCOME's limit is still refused, before ACCEPT. */
  conn = ferry_test_raw_connect (f->server);
  ferry_test_raw_handshake (conn);
  ferry_test_raw_send (conn,
                       ferry_msg_upload_new ("big", (guint64) 10241, "", 0, 0));
  {
    g_auto(FerryFrame) frame = { 0 };
    g_autoptr(GVariant) v = NULL;
    guint32 code;

    g_assert_true (ferry_test_raw_read (conn, &frame));
    g_assert_cmpint (frame.type, ==, FERRY_MSG_ERROR);
    v = ferry_message_parse (&frame, NULL);
    ferry_msg_error_get (v, &code, NULL);
    g_assert_cmpuint (code, ==, FERRY_ERROR_TOO_LARGE);
  }
  g_assert_cmpuint (ferry_test_count_dir (partial), ==, 0);
}

static void
test_upload_cut_off (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GIOStream) conn = ferry_test_raw_connect (f->server);
  g_auto(FerryFrame) frame = { 0 };
  guint8 chunk[4096] = { 0 };
  guint8 header[FERRY_FRAME_HEADER_SIZE + FERRY_DATA_HEADER_SIZE];
  g_autofree char *config = g_build_filename (f->tmp, "watcher", NULL);
  g_autoptr(FerryClient) watcher = ferry_test_client_new (f->server, config, "Watcher");

  ferry_test_raw_handshake (conn);
  ferry_test_raw_send (conn,
                       ferry_msg_upload_new ("cut.bin", (guint64) 1000000, "", 0, 0));
  g_assert_true (ferry_test_raw_read (conn, &frame));
  g_assert_cmpint (frame.type, ==, FERRY_MSG_ACCEPT);

  for (guint64 offset = 0; offset < 500000; offset += sizeof chunk)
    {
      ferry_data_header_encode (header, offset, sizeof chunk);
      ferry_test_raw_send_data (conn, header, sizeof header);
      ferry_test_raw_send_data (conn, chunk, sizeof chunk);
    }
  g_io_stream_close (conn, NULL, NULL);

  /* No offer appears; the partial file is kept for resuming (test-upload-resume). */
  ferry_test_client_connect (watcher);
  g_assert_cmpuint (g_list_model_get_n_items (ferry_client_get_offers (watcher)), ==, 0);
  assert_still_serving (f);
}

static void
test_upload_overrun (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GIOStream) conn = ferry_test_raw_connect (f->server);
  g_auto(FerryFrame) frame = { 0 };
  guint8 header[FERRY_FRAME_HEADER_SIZE + FERRY_DATA_HEADER_SIZE];
  const char *twenty = "01234567890123456789";

  ferry_test_raw_handshake (conn);
  ferry_test_raw_send (conn,
                       ferry_msg_upload_new ("ten.bin", (guint64) 10, "", 0, 0));
  g_assert_true (ferry_test_raw_read (conn, &frame));
  g_assert_cmpint (frame.type, ==, FERRY_MSG_ACCEPT);
  ferry_data_header_encode (header, 0, 20);
  ferry_test_raw_send_data (conn, header, sizeof header);
  ferry_test_raw_send_data (conn, twenty, 20);
  ferry_test_raw_expect_error (conn, FERRY_ERROR_SIZE_MISMATCH);
  ferry_test_wait_for (partial_is_empty, f, 30);
}

static void
test_checksum_lie (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GIOStream) conn = ferry_test_raw_connect (f->server);
  g_auto(FerryFrame) frame = { 0 };
  guint8 header[FERRY_FRAME_HEADER_SIZE + FERRY_DATA_HEADER_SIZE];
  guint8 wrong[FERRY_SHA256_SIZE] = { 1, 2, 3 };
  g_autofree char *blobs = g_build_filename (f->server->data_dir, "blobs", NULL);

  ferry_test_raw_handshake (conn);
  ferry_test_raw_send (conn,
                       ferry_msg_upload_new ("lie.bin", (guint64) 5, "", 0, 0));
  g_assert_true (ferry_test_raw_read (conn, &frame));
  g_assert_cmpint (frame.type, ==, FERRY_MSG_ACCEPT);
  ferry_data_header_encode (header, 0, 5);
  ferry_test_raw_send_data (conn, header, sizeof header);
  ferry_test_raw_send_data (conn, "hello", 5);
  ferry_test_raw_send (conn, ferry_msg_end_new (wrong));
  ferry_test_raw_expect_error (conn, FERRY_ERROR_CHECKSUM);
  ferry_test_wait_for (partial_is_empty, f, 30);
  g_assert_cmpuint (ferry_test_count_dir (blobs), ==, 0);
}

static void
test_request_out_of_place (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GIOStream) conn = ferry_test_raw_connect (f->server);

  /* A request before HELLO. */
  ferry_test_raw_send (conn, ferry_msg_subscribe_new ());
  ferry_test_raw_expect_error (conn, FERRY_ERROR_UNEXPECTED);
}

static void
test_many_tiny_frames (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GIOStream) conn = ferry_test_raw_connect (f->server);
  g_autoptr(GByteArray) burst = g_byte_array_new ();
  g_auto(FerryFrame) frame = { 0 };
  guint pongs = 0;

  ferry_test_raw_handshake (conn);
  ferry_test_raw_send (conn, ferry_msg_subscribe_new ());
  for (guint i = 0; i < 10000; i++)
    {
      g_autoptr(GBytes) ping = ferry_msg_ping_new (i);
      gsize len;
      const guint8 *p = g_bytes_get_data (ping, &len);

      g_byte_array_append (burst, p, len);
    }
  ferry_test_raw_send_data (conn, burst->data, burst->len);

  while (pongs < 10000)
    {
      g_auto(FerryFrame) reply = { 0 };

      g_assert_true (ferry_test_raw_read (conn, &reply));
      if (reply.type == FERRY_MSG_PONG)
        pongs++;
    }
  g_assert_cmpuint (pongs, ==, 10000);
  (void) frame;
  assert_still_serving (f);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/robustness/garbage-bytes", test_garbage);
  ADD ("/robustness/bad-magic-gets-error", test_bad_magic_gets_error);
  ADD ("/robustness/4GiB-length", test_huge_length);
  ADD ("/robustness/truncated-headers", test_truncated_then_close);
  ADD ("/robustness/wrong-variant-type", test_wrong_variant_type);
  ADD ("/robustness/version-mismatch", test_version_mismatch);
  ADD ("/robustness/upload-over-limit-refused-before-data", test_upload_refused_before_data);
  ADD ("/robustness/upload-cut-off-leaves-nothing", test_upload_cut_off);
  ADD ("/robustness/upload-sends-more-than-declared", test_upload_overrun);
  ADD ("/robustness/upload-checksum-lie", test_checksum_lie);
  ADD ("/robustness/request-before-hello", test_request_out_of_place);
  ADD ("/robustness/10000-tiny-frames", test_many_tiny_frames);

  return g_test_run ();
}
