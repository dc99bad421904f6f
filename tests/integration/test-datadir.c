/* test-datadir.c: the data directory belongs to one server, survives a lost catalogue row, and
 * the server stops cleanly on every stop signal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "ferry-test-harness.h"
#include "ferry-checksum.h"
#include "ferry-fingerprint.h"
#include "ferry-frame.h"
#include "ferry-message.h"

#define HELD_SIZE  1000000
#define HELD_SENT  500000
#define CHUNK      4096

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* Every entry under @root with its size, mtime and inode: equal snapshots mean nothing was
 * created, removed, replaced or written. */
static void
snapshot_dir (GString    *out,
              const char *root,
              const char *rel)
{
  g_autofree char *path = rel ? g_build_filename (root, rel, NULL) : g_strdup (root);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)))
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *child_rel = rel ? g_build_filename (rel, names->pdata[i], NULL)
                                       : g_strdup (names->pdata[i]);
      g_autofree char *child = g_build_filename (root, child_rel, NULL);
      struct stat st;

      g_assert_no_errno (lstat (child, &st));
      g_string_append_printf (out, "%s size=%lld mtime=%lld.%09ld ino=%llu\n", child_rel,
                              (long long) st.st_size, (long long) st.st_mtim.tv_sec,
                              st.st_mtim.tv_nsec, (unsigned long long) st.st_ino);
      if (S_ISDIR (st.st_mode))
        snapshot_dir (out, root, child_rel);
    }
}

static char *
snapshot (const char *root)
{
  GString *out = g_string_new (NULL);

  snapshot_dir (out, root, NULL);
  return g_string_free (out, FALSE);
}

static void
fill (guint8  *buf,
      guint64  offset,
      gsize    len)
{
  for (gsize i = 0; i < len; i++)
    buf[i] = (guint8) (((offset + i) * 31 + 7) >> 3);
}

static void
send_range (GIOStream     *conn,
            FerryChecksum *sum,
            guint64        from,
            guint64        to)
{
  guint8 header[FERRY_FRAME_HEADER_SIZE + FERRY_DATA_HEADER_SIZE];
  guint8 chunk[CHUNK];

  for (guint64 offset = from; offset < to; offset += CHUNK)
    {
      gsize n = (gsize) MIN ((guint64) CHUNK, to - offset);

      fill (chunk, offset, n);
      ferry_checksum_update (sum, chunk, n);
      ferry_data_header_encode (header, offset, (guint32) n);
      ferry_test_raw_send_data (conn, header, sizeof header);
      ferry_test_raw_send_data (conn, chunk, n);
    }
}

typedef struct
{
  const char *partial_dir;
  guint64     size;
} PartialCheck;

/* One file in partial/, with at least @size bytes on disk. */
static gboolean
partial_has_cb (gpointer data)
{
  PartialCheck *check = data;
  g_autoptr(GDir) dir = g_dir_open (check->partial_dir, 0, NULL);
  const char *name = dir ? g_dir_read_name (dir) : NULL;
  g_autofree char *path = NULL;
  GStatBuf st;

  if (!name || g_dir_read_name (dir))
    return FALSE;
  path = g_build_filename (check->partial_dir, name, NULL);
  return g_stat (path, &st) == 0 && (guint64) st.st_size >= check->size;
}

/* Defect 1: a second server on the same data directory used to run its start-up cleanup (and
 * delete the first one's uploads in progress) before it even tried to bind. Now it finds the
 * directory locked, says by whom, exits 1 and changes nothing; the upload completes. */
static void
test_second_server (void)
{
  FerryTestServer *first = ferry_test_server_start (NULL, 0, NULL);
  g_autofree char *partial_dir = g_build_filename (first->data_dir, "partial", NULL);
  g_autofree char *blobs_dir = g_build_filename (first->data_dir, "blobs", NULL);
  g_autoptr(GIOStream) conn = ferry_test_raw_connect (first);
  g_autoptr(FerryChecksum) sum = ferry_checksum_new ();
  g_autoptr(GSubprocess) second = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *port = g_strdup_printf ("%u", first->port);
  g_autofree char *expected = NULL;
  g_auto(FerryFrame) frame = { 0 };
  guint8 digest[FERRY_SHA256_SIZE];
  PartialCheck check = { partial_dir, HELD_SENT };

  /* An upload in progress: half its bytes are in partial/, and it waits. */
  ferry_test_raw_handshake (conn);
  ferry_test_raw_send (conn,
                       ferry_msg_upload_new ("held.bin", (guint64) HELD_SIZE, "", 0, 0));
  g_assert_true (ferry_test_raw_read (conn, &frame));
  g_assert_cmpint (frame.type, ==, FERRY_MSG_ACCEPT);
  ferry_frame_clear (&frame);
  send_range (conn, sum, 0, HELD_SENT);
  ferry_test_wait_for (partial_has_cb, &check, 30);
  before = snapshot (first->data_dir);

  /* The same data directory and the same port, as an operator's mistake would have it. */
  second = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                             &error, g_getenv ("FERRY_SERVER"), "--bind", "127.0.0.1",
                             "--port", port, "--data-dir", first->data_dir, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (second, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_test_message ("the second server said: %s", err);

  g_assert_true (g_subprocess_get_if_exited (second));
  g_assert_cmpint (g_subprocess_get_exit_status (second), ==, 1);
  expected = g_strdup_printf ("ferry-server: %s is in use by another ferry-server (pid %s)",
                              first->data_dir, g_subprocess_get_identifier (first->process));
  g_assert_nonnull (strstr (err, expected));
  g_assert_null (strstr (err, "ferry-server: ferry-server"));
  g_assert_cmpstr (out, ==, "");

  after = snapshot (first->data_dir);
  g_assert_cmpstr (after, ==, before);

  /* The first server's upload goes on to the end. */
  send_range (conn, sum, HELD_SENT, HELD_SIZE);
  ferry_checksum_finish (sum, digest);
  ferry_test_raw_send (conn,
                       ferry_msg_end_new (digest));
  g_assert_true (ferry_test_raw_read (conn, &frame));
  g_assert_cmpint (frame.type, ==, FERRY_MSG_OFFER);
  g_assert_cmpuint (ferry_test_count_dir (blobs_dir), ==, 1);
  g_assert_cmpuint (ferry_test_count_dir (partial_dir), ==, 0);

  g_io_stream_close (conn, NULL, NULL);
  ferry_test_server_stop (first);

  /* The lock goes with the server: the next one starts. */
  {
    FerryTestServer *next = ferry_test_server_start (first->data_dir, 0, NULL);

    ferry_test_server_stop (next);
    g_free (next->data_dir);
    next->data_dir = NULL;
    ferry_test_server_free (next);
  }
  ferry_test_server_free (first);
}

/* --print-fingerprint needs the lock only to create the key: beside a running server it reads
 * the existing key and prints the same fingerprint. */
static void
test_print_fingerprint_while_running (void)
{
  FerryTestServer *server = ferry_test_server_start (NULL, 0, NULL);
  g_autoptr(GSubprocess) printer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *fingerprint = NULL;

  printer = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, g_getenv ("FERRY_SERVER"),
                              "--print-fingerprint", "--data-dir", server->data_dir, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (printer, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (printer));
  g_assert_cmpint (g_subprocess_get_exit_status (printer), ==, 0);
  fingerprint = ferry_fingerprint_parse (g_strstrip (out), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (fingerprint, ==, server->fingerprint);

  ferry_test_server_stop (server);
  ferry_test_server_free (server);
}

static char *
upload (FerryTestServer *server,
        const char      *tmp,
        const char      *name,
        guint64          size,
        char           **sha256)
{
  g_autofree char *config = g_build_filename (tmp, "config", NULL);
  g_autoptr(FerryClient) client = ferry_test_client_new (server, config, "Alice");
  g_autofree char *src = ferry_test_make_file (tmp, name, size);
  g_autoptr(GFile) file = g_file_new_for_path (src);
  g_autoptr(FerryTransfer) transfer = NULL;
  g_autoptr(GError) error = NULL;

  ferry_test_client_connect (client);
  transfer = ferry_client_upload (client, file, NULL);
  error = ferry_test_run_transfer (transfer);
  g_assert_no_error (error);
  *sha256 = ferry_test_sha256_file (src);
  return g_strdup (ferry_offer_get_id (ferry_transfer_get_offer (transfer)));
}

static void
exec_sql (sqlite3    *db,
          const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

/* Defect 10: a blob whose catalogue row is gone (as after a power cut that rolled the commit
 * back) or no longer matches it was deleted at start-up. Now it is moved to lost+found/, under
 * a name that never replaces what is already there. */
static void
test_lost_row_keeps_blob (void)
{
  FerryTestServer *server = ferry_test_server_start (NULL, 0, NULL);
  FerryTestServer *restarted = NULL;
  g_autofree char *tmp = ferry_test_tmpdir ();
  g_autofree char *lost_sha = NULL;
  g_autofree char *wrong_sha = NULL;
  g_autofree char *lost_id = upload (server, tmp, "lost.bin", 300000, &lost_sha);
  g_autofree char *wrong_id = upload (server, tmp, "wrong.bin", 200000, &wrong_sha);
  g_autofree char *db_path = g_build_filename (server->data_dir, "catalogue.sqlite", NULL);
  g_autofree char *blobs = g_build_filename (server->data_dir, "blobs", NULL);
  g_autofree char *lost_found = g_build_filename (server->data_dir, "lost+found", NULL);
  g_autofree char *older = g_build_filename (lost_found, lost_id, NULL);
  g_autofree char *sql = NULL;
  g_autofree char *older_contents = NULL;
  g_autofree char *kept = NULL;
  g_autofree char *kept_sha = NULL;
  g_autofree char *kept_wrong = NULL;
  g_autofree char *kept_wrong_sha = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *db = NULL;

  g_assert_cmpuint (ferry_test_count_dir (blobs), ==, 2);
  ferry_test_server_stop (server);

  /* One row lost, one row that no longer matches its blob. */
  g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
  sql = g_strdup_printf ("DELETE FROM offers WHERE id = '%s';"
                         "UPDATE offers SET size = size + 1 WHERE id = '%s';", lost_id, wrong_id);
  exec_sql (db, sql);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);

  /* Something of the operator's is already in lost+found/ under the first blob's name. */
  g_assert_no_errno (g_mkdir (lost_found, 0700));
  g_file_set_contents (older, "kept from before", -1, &error);
  g_assert_no_error (error);

  restarted = ferry_test_server_start (server->data_dir, 0, NULL);

  g_assert_cmpuint (ferry_test_count_dir (blobs), ==, 0);
  g_assert_cmpuint (ferry_test_count_dir (lost_found), ==, 3);
  g_file_get_contents (older, &older_contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (older_contents, ==, "kept from before");

  kept = g_strdup_printf ("%s.1", older);
  g_assert_true (g_file_test (kept, G_FILE_TEST_IS_REGULAR));
  kept_sha = ferry_test_sha256_file (kept);
  g_assert_cmpstr (kept_sha, ==, lost_sha);

  kept_wrong = g_build_filename (lost_found, wrong_id, NULL);
  g_assert_true (g_file_test (kept_wrong, G_FILE_TEST_IS_REGULAR));
  kept_wrong_sha = ferry_test_sha256_file (kept_wrong);
  g_assert_cmpstr (kept_wrong_sha, ==, wrong_sha);

  /* Neither is offered any more, and a second start leaves lost+found/ alone. */
  {
    g_autofree char *config = g_build_filename (tmp, "watcher", NULL);
    g_autoptr(FerryClient) watcher = ferry_test_client_new (restarted, config, "Watcher");

    ferry_test_client_connect (watcher);
    g_assert_cmpuint (g_list_model_get_n_items (ferry_client_get_offers (watcher)), ==, 0);
  }
  ferry_test_server_stop (restarted);
  g_clear_pointer (&restarted->data_dir, g_free);
  ferry_test_server_free (restarted);
  restarted = ferry_test_server_start (server->data_dir, 0, NULL);
  g_assert_cmpuint (ferry_test_count_dir (lost_found), ==, 3);
  ferry_test_server_stop (restarted);
  g_clear_pointer (&restarted->data_dir, g_free);
  ferry_test_server_free (restarted);

  while (g_main_context_iteration (NULL, FALSE))
    ;
  ferry_test_server_free (server);
  ferry_test_rm_rf (tmp);
}

/* Defect 11: SIGHUP killed the server outright. Until it means "reload", it stops the server
 * exactly as SIGTERM does: connections closed, catalogue closed, "Stopped", exit 0. */
static void
test_sighup_stops_cleanly (void)
{
  g_autofree char *data_dir = ferry_test_tmpdir ();
  g_autofree char *tmp = ferry_test_tmpdir ();
  g_autofree char *log = g_build_filename (tmp, "server.log", NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (
    G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *logged = NULL;
  g_autoptr(GIOStream) conn = NULL;
  FerryTestServer view = { 0 };

  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("FERRY_SERVER"),
                                         "--bind", "127.0.0.1", "--port", "0", "--no-tls",
                                         "--data-dir", data_dir, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "listening on 127.0.0.1:"));
  view.port = (guint16) g_ascii_strtoull (strrchr (line, ':') + 1, NULL, 10);
  view.tls = FALSE;

  /* A client is connected when the signal comes. */
  conn = ferry_test_raw_connect (&view);
  ferry_test_raw_handshake (conn);

  g_subprocess_send_signal (process, SIGHUP);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);

  g_file_get_contents (log, &logged, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("the server logged: %s", logged);
  g_assert_nonnull (strstr (logged, "Stopping: closing 1 connection(s)"));
  g_assert_nonnull (strstr (logged, "Stopped"));

  ferry_test_rm_rf (data_dir);
  ferry_test_rm_rf (tmp);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/datadir/second-server-changes-nothing", test_second_server);
  g_test_add_func ("/datadir/print-fingerprint-while-running",
                   test_print_fingerprint_while_running);
  g_test_add_func ("/datadir/lost-row-keeps-blob", test_lost_row_keeps_blob);
  g_test_add_func ("/datadir/sighup-stops-cleanly", test_sighup_stops_cleanly);

  return g_test_run ();
}
