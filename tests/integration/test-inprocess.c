/* test-inprocess.c: a FerryServer in this process, on port 0, in this test's main context,
 * with the in-memory store (or the local one), and a real FerryClient. No subprocess, no
 * sleeps.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-inprocess"

#include "config.h"

#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <glib/gstdio.h>

#include "ferry-error.h"
#include "ferry-memory-blob-store.h"
#include "ferry-memory-catalogue.h"
#include "ferry-server.h"
#include "ferry-store.h"
#include "ferry-test-harness.h"

#define MIB ((guint64) 1024 * 1024)

typedef struct
{
  char                 *tmp;
  FerryMemoryBlobStore *blobs;       /* NULL with the local store */
  FerryStore           *store;
  FerryServer          *server;
  FerryTestServer       address;     /* only address and tls: there is no subprocess */
  FerryClient          *client;
} Fixture;

static void
start_server (Fixture *f)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GError) error = NULL;
  g_autofree char *config = g_build_filename (f->tmp, "alice", NULL);
  guint16 port = 0;

  f->server = ferry_server_new_for_store (f->store, &error);
  g_assert_no_error (error);
  g_assert_true (ferry_server_listen (f->server, loopback, 0, &port, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (port, >, 0);

  f->address.address = g_strdup_printf ("127.0.0.1:%u", port);
  f->address.port = port;
  f->address.tls = FALSE;
  f->client = ferry_test_client_new (&f->address, config, "alice");
  ferry_test_client_connect (f->client);
}

/* A memory store of @user_data bytes. */
static void
setup_memory (Fixture       *f,
              gconstpointer  user_data)
{
  g_autoptr(FerryMemoryCatalogue) catalogue = ferry_memory_catalogue_new ();

  f->tmp = ferry_test_tmpdir ();
  f->blobs = ferry_memory_blob_store_new (GPOINTER_TO_SIZE (user_data));
  f->store = ferry_store_new_for (FERRY_BLOB_STORE (f->blobs), FERRY_CATALOGUE (catalogue));
  start_server (f);
}

static void
setup_local (Fixture       *f,
             gconstpointer  user_data)
{
  g_autofree char *data_dir = NULL;
  g_autoptr(GError) error = NULL;

  f->tmp = ferry_test_tmpdir ();
  data_dir = g_build_filename (f->tmp, "data", NULL);
  f->store = ferry_store_new (data_dir, &error);
  g_assert_no_error (error);
  start_server (f);
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
  g_clear_object (&f->store);
  g_clear_object (&f->blobs);
  g_clear_pointer (&f->address.address, g_free);
  ferry_test_rm_rf (f->tmp);
  g_clear_pointer (&f->tmp, g_free);
}

static GError *
upload (Fixture     *f,
        const char  *name,
        guint64      size,
        FerryOffer **offer)
{
  g_autofree char *path = ferry_test_make_file (f->tmp, name, size);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(FerryTransfer) transfer = ferry_client_upload (f->client, file, NULL);
  GError *error = ferry_test_run_transfer (transfer);

  if (!error && offer)
    *offer = g_object_ref (ferry_transfer_get_offer (transfer));
  return error;
}

static gboolean
offers_listed (gpointer data)
{
  Fixture *f = data;

  return g_list_model_get_n_items (ferry_client_get_offers (f->client)) == 1;
}

static gboolean
no_uploads_left (gpointer data)
{
  Fixture *f = data;

  return ferry_memory_blob_store_get_n_uploads (f->blobs) == 0 &&
         ferry_store_get_used (f->store) == 0;
}

/* Upload, list and download through the memory store. */
static void
test_round_trip (Fixture       *f,
                 gconstpointer  user_data)
{
  g_autoptr(FerryOffer) offer = NULL;
  g_autoptr(FerryOffer) listed = NULL;
  g_autoptr(FerryTransfer) download = NULL;
  g_autoptr(GFile) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out_dir = g_build_filename (f->tmp, "out", NULL);
  g_autofree char *src = g_build_filename (f->tmp, "photo.bin", NULL);
  g_autofree char *saved = NULL;
  g_autofree char *sum_src = NULL;
  g_autofree char *sum_saved = NULL;
  guint64 size = 3 * MIB + 12345;

  error = upload (f, "photo.bin", size, &offer);
  g_assert_no_error (error);
  sum_src = ferry_test_sha256_file (src);
  g_assert_cmpstr (ferry_offer_get_sha256_hex (offer), ==, sum_src);

  /* The bytes are in the memory store, counted once. */
  g_assert_cmpuint (ferry_memory_blob_store_get_n_blobs (f->blobs), ==, 1);
  g_assert_cmpuint (ferry_memory_blob_store_get_n_uploads (f->blobs), ==, 0);
  g_assert_cmpuint (ferry_memory_blob_store_get_stored (f->blobs), ==, size);
  g_assert_cmpuint (ferry_store_get_used (f->store), ==, size);

  ferry_test_wait_for (offers_listed, f, 30);
  listed = g_list_model_get_item (ferry_client_get_offers (f->client), 0);
  g_assert_cmpstr (ferry_offer_get_id (listed), ==, ferry_offer_get_id (offer));
  g_assert_cmpstr (ferry_offer_get_name (listed), ==, "photo.bin");
  g_assert_cmpuint (ferry_offer_get_size (listed), ==, size);

  g_assert_cmpint (g_mkdir (out_dir, 0700), ==, 0);
  out = g_file_new_for_path (out_dir);
  download = ferry_client_download (f->client, ferry_offer_get_id (listed), out,
                                    FERRY_DOWNLOAD_INTO_DIRECTORY);
  error = ferry_test_run_transfer (download);
  g_assert_no_error (error);
  saved = g_file_get_path (ferry_transfer_get_file (download));
  sum_saved = ferry_test_sha256_file (saved);
  g_assert_cmpstr (sum_saved, ==, sum_src);
}

/* Saving into a folder that is not there yet (a fresh Downloads folder, say) makes it, parents
 * included: the engine does it in its worker thread, so the app never has to in its main loop. */
static void
test_download_into_new_folder (Fixture       *f,
                               gconstpointer  user_data)
{
  g_autoptr(FerryOffer) offer = NULL;
  g_autoptr(FerryTransfer) download = NULL;
  g_autoptr(GFile) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out_dir = g_build_filename (f->tmp, "new", "Downloads", NULL);
  g_autofree char *src = g_build_filename (f->tmp, "note.txt", NULL);
  g_autofree char *sum_src = NULL;
  g_autofree char *sum_saved = NULL;
  g_autofree char *saved = NULL;

  error = upload (f, "note.txt", 1000, &offer);
  g_assert_no_error (error);
  sum_src = ferry_test_sha256_file (src);

  g_assert_false (g_file_test (out_dir, G_FILE_TEST_EXISTS));
  out = g_file_new_for_path (out_dir);
  download = ferry_client_download (f->client, ferry_offer_get_id (offer), out,
                                    FERRY_DOWNLOAD_INTO_DIRECTORY);
  error = ferry_test_run_transfer (download);
  g_assert_no_error (error);
  saved = g_file_get_path (ferry_transfer_get_file (download));
  g_assert_true (g_str_has_prefix (saved, out_dir));
  sum_saved = ferry_test_sha256_file (saved);
  g_assert_cmpstr (sum_saved, ==, sum_src);
}

/* The memory store is bounded: what does not fit is refused with the usual sentence, and
 * nothing is left behind. */
static void
test_full (Fixture       *f,
           gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  error = upload (f, "big.bin", 2 * MIB, NULL);
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_NO_SPACE);
  g_assert_nonnull (strstr (error->message, "disk has room for"));
  g_clear_error (&error);

  ferry_test_wait_for (no_uploads_left, f, 30);
  g_assert_cmpuint (ferry_memory_blob_store_get_n_blobs (f->blobs), ==, 0);

  /* What fits still goes in. */
  error = upload (f, "small.bin", MIB / 2, NULL);
  g_assert_no_error (error);
  g_assert_cmpuint (ferry_memory_blob_store_get_n_blobs (f->blobs), ==, 1);
}

static void
count_warning_cb (const char     *domain,
                  GLogLevelFlags  level,
                  const char     *message,
                  gpointer        user_data)
{
  char **logged = user_data;
  char *joined = g_strconcat (*logged ? *logged : "", message, "\n", NULL);

  g_free (*logged);
  *logged = joined;
}

/* A commit that fails on the server's disk: the operator's log names the paths, the client's
 * error names none. */
static void
test_error_names_no_path (Fixture       *f,
                          gconstpointer  user_data)
{
  g_autofree char *blobs = g_build_filename (f->tmp, "data", "blobs", NULL);
  g_autofree char *logged = NULL;
  g_autoptr(GError) error = NULL;
  GLogLevelFlags fatal;
  guint handler;

  /* Without blobs/, the rename of partial/TOKEN fails. */
  g_assert_cmpint (g_rmdir (blobs), ==, 0);

  fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  handler = g_log_set_handler ("ferry-local-blob-store", G_LOG_LEVEL_WARNING,
                               count_warning_cb, &logged);
  error = upload (f, "report.pdf", 100000, NULL);
  g_log_remove_handler ("ferry-local-blob-store", handler);
  g_log_set_always_fatal (fatal);

  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_INTERNAL);
  g_test_message ("client saw: %s", error->message);
  g_assert_null (strstr (error->message, f->tmp));
  g_assert_null (strstr (error->message, "partial"));
  g_assert_null (strstr (error->message, "blobs"));
  g_assert_nonnull (strstr (error->message, "could not store the file"));

  g_assert_nonnull (logged);
  g_assert_nonnull (strstr (logged, blobs));
  g_assert_cmpint (g_mkdir (blobs, 0700), ==, 0);
}

/* The TCP sockets of this process with @port at the end that @peer says (the server's
 * accepted sockets: local; the client's: peer), counted, and how many have TCP_NODELAY. */
static void
count_nodelay (guint16   port,
               gboolean  peer,
               guint    *sockets,
               guint    *nodelay)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  *sockets = *nodelay = 0;
  while ((name = g_dir_read_name (dir)))
    {
      int fd = (int) g_ascii_strtoll (name, NULL, 10);
      struct sockaddr_in address = { 0 };
      struct sockaddr_in other = { 0 };
      socklen_t length = sizeof address;
      socklen_t other_length = sizeof other;
      int value = 0;
      socklen_t value_length = sizeof value;
      int rc;

      rc = peer ? getpeername (fd, (struct sockaddr *) &address, &length)
                : getsockname (fd, (struct sockaddr *) &address, &length);
      if (rc != 0 || address.sin_family != AF_INET || ntohs (address.sin_port) != port)
        continue;
      /* The listening socket has the server's port too, but no peer. */
      if (!peer && getpeername (fd, (struct sockaddr *) &other, &other_length) != 0)
        continue;
      (*sockets)++;
      if (getsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &value, &value_length) == 0 && value)
        (*nodelay)++;
    }
}

/* Frames are written whole: neither end lets Nagle hold them back for a delayed ACK. The
 * client's subscription is open, so the server has accepted a socket and the dialer made
 * one; both have TCP_NODELAY. */
static void
test_nodelay (Fixture       *f,
              gconstpointer  user_data)
{
  guint sockets, nodelay;

  count_nodelay (f->address.port, FALSE, &sockets, &nodelay);
  g_assert_cmpuint (sockets, >=, 1);
  g_assert_cmpuint (nodelay, ==, sockets);

  count_nodelay (f->address.port, TRUE, &sockets, &nodelay);
  g_assert_cmpuint (sockets, >=, 1);
  g_assert_cmpuint (nodelay, ==, sockets);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/inprocess/memory/round-trip", Fixture, GSIZE_TO_POINTER (64 * MIB),
              setup_memory, test_round_trip, teardown);
  g_test_add ("/inprocess/memory/download-into-new-folder", Fixture,
              GSIZE_TO_POINTER (64 * MIB), setup_memory, test_download_into_new_folder, teardown);
  g_test_add ("/inprocess/memory/full", Fixture, GSIZE_TO_POINTER (MIB),
              setup_memory, test_full, teardown);
  g_test_add ("/inprocess/memory/nodelay", Fixture, GSIZE_TO_POINTER (MIB),
              setup_memory, test_nodelay, teardown);
  g_test_add ("/inprocess/local/error-names-no-path", Fixture, NULL,
              setup_local, test_error_names_no_path, teardown);

  return g_test_run ();
}
