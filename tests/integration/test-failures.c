/* test-failures.c: transfers that go wrong halfway (a cancel, a killed server, a file that
 * shrinks, a full disk) end once, with a clear error; a download keeps NAME.part and its sidecar
 * for resuming, and leaves nothing else on disk
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <glib/gstdio.h>

#include "ferry-test-harness.h"
#include "ferry-error.h"

#define BIG (256 * 1024 * 1024)

typedef struct
{
  FerryTestServer *server;
  char            *tmp;
  char            *config;
  FerryClient     *client;
  char            *mounted;    /* a small tmpfs, when this test may mount one */
  gboolean         killed;
} Fixture;

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  f->server = ferry_test_server_start (NULL, 0, NULL);
  f->tmp = ferry_test_tmpdir ();
  f->config = g_build_filename (f->tmp, "config", NULL);
  f->client = ferry_test_client_new (f->server, f->config, "Alice");
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  g_clear_object (&f->client);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  if (f->mounted)
    {
      const char *argv[] = { "umount", f->mounted, NULL };

      g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH |
                    G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                    NULL, NULL, NULL, NULL, NULL, NULL);
      g_clear_pointer (&f->mounted, g_free);
    }
  if (!f->killed)
    ferry_test_server_stop (f->server);
  ferry_test_server_free (f->server);
  ferry_test_rm_rf (f->tmp);
  g_free (f->tmp);
  g_free (f->config);
}

typedef enum
{
  ACTION_CANCEL,
  ACTION_KILL_SERVER,
  ACTION_SHRINK_FILE,
  ACTION_NONE,
} Action;

typedef struct
{
  Action   action;
  Fixture *f;
  char    *path;
  gboolean fired;
} Trigger;

/* Fires at the first progress report, with bytes moving and more to come. */
static void
progress_cb (FerryTransfer *transfer,
             GParamSpec    *pspec,
             Trigger       *t)
{
  if (t->fired || ferry_transfer_get_bytes_done (transfer) == 0 ||
      ferry_transfer_is_finished (transfer))
    return;
  t->fired = TRUE;
  switch (t->action)
    {
    case ACTION_CANCEL:
      ferry_transfer_cancel (transfer);
      break;
    case ACTION_KILL_SERVER:
      t->f->killed = TRUE;
      g_subprocess_force_exit (t->f->server->process);
      break;
    case ACTION_SHRINK_FILE:
      g_assert_no_errno (truncate (t->path, 1024 * 1024));
      break;
    case ACTION_NONE:
    default:
      break;
    }
}

static GError *
run_with (FerryTransfer *transfer,
          Trigger       *t)
{
  g_signal_connect (transfer, "notify::bytes-done", G_CALLBACK (progress_cb), t);
  return ferry_test_run_transfer (transfer);
}

static gboolean
partial_kept (gpointer data)
{
  Fixture *f = data;
  g_autofree char *partial = g_build_filename (f->server->data_dir, "partial", NULL);

  return ferry_test_count_dir (partial) == 1;
}

static void
upload_and_break (Fixture *f,
                  Action   action)
{
  g_autofree char *src = ferry_test_make_file (f->tmp, "big.bin", BIG);
  g_autoptr(GFile) file = g_file_new_for_path (src);
  g_autoptr(FerryTransfer) transfer = ferry_client_upload (f->client, file, NULL);
  Trigger t = { action, f, src, FALSE };
  g_autoptr(GError) error = run_with (transfer, &t);
  g_autofree char *blobs = g_build_filename (f->server->data_dir, "blobs", NULL);

  g_assert_true (t.fired);
  g_assert_nonnull (error);
  g_assert_true (error->message[0] != '\0');
  g_test_message ("the upload ended with: %s", error->message);

  switch (action)
    {
    case ACTION_CANCEL:
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_assert_cmpint (ferry_transfer_get_state (transfer), ==, FERRY_TRANSFER_CANCELLED);
      break;
    case ACTION_SHRINK_FILE:
      g_assert_error (error, FERRY_ERROR, FERRY_ERROR_SIZE_MISMATCH);
      g_assert_cmpint (ferry_transfer_get_state (transfer), ==, FERRY_TRANSFER_FAILED);
      break;
    case ACTION_KILL_SERVER:
    case ACTION_NONE:
    default:
      g_assert_cmpint (ferry_transfer_get_state (transfer), ==, FERRY_TRANSFER_FAILED);
      break;
    }

  /* The server commits nothing of it, and keeps what arrived for resuming
   * (test-upload-resume). */
  if (action != ACTION_KILL_SERVER)
    {
      ferry_test_wait_for (partial_kept, f, 30);
      g_assert_cmpuint (ferry_test_count_dir (blobs), ==, 0);
    }
}

static void
test_upload_cancelled (Fixture       *f,
                       gconstpointer  data)
{
  upload_and_break (f, ACTION_CANCEL);
}

static void
test_upload_server_killed (Fixture       *f,
                           gconstpointer  data)
{
  upload_and_break (f, ACTION_KILL_SERVER);
}

static void
test_upload_file_shrinks (Fixture       *f,
                          gconstpointer  data)
{
  upload_and_break (f, ACTION_SHRINK_FILE);
}

static void
download_and_break (Fixture    *f,
                    Action      action,
                    const char *dir)
{
  g_autofree char *src = ferry_test_make_file (f->tmp, "big.bin", BIG);
  g_autoptr(GFile) file = g_file_new_for_path (src);
  g_autoptr(FerryTransfer) up = ferry_client_upload (f->client, file, NULL);
  g_autoptr(GError) up_error = ferry_test_run_transfer (up);
  g_autoptr(GFile) dest = NULL;
  g_autoptr(FerryTransfer) down = NULL;
  g_autoptr(GError) error = NULL;
  Trigger t = { action, f, NULL, FALSE };

  g_assert_no_error (up_error);
  g_mkdir_with_parents (dir, 0700);
  dest = g_file_new_for_path (dir);
  down = ferry_client_download (f->client, ferry_offer_get_id (ferry_transfer_get_offer (up)),
                                dest, FERRY_DOWNLOAD_INTO_DIRECTORY);
  error = run_with (down, &t);
  g_assert_nonnull (error);
  g_assert_true (error->message[0] != '\0');
  g_test_message ("the download ended with: %s", error->message);
  if (action == ACTION_CANCEL)
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  else
    g_assert_cmpint (ferry_transfer_get_state (down), ==, FERRY_TRANSFER_FAILED);

  /* Nothing under the final name; NAME.part and its sidecar are kept for resuming. */
  g_assert_true (ferry_transfer_get_resumable (down));
  g_assert_cmpuint (ferry_test_count_dir (dir), ==, 2);
  {
    g_autofree char *part = g_build_filename (dir, "big.bin.part", NULL);
    g_autofree char *sidecar = g_build_filename (dir, "big.bin.part.ferry", NULL);

    g_assert_true (g_file_test (part, G_FILE_TEST_IS_REGULAR));
    g_assert_true (g_file_test (sidecar, G_FILE_TEST_IS_REGULAR));
  }

  /* The same download again, with the server still there, goes on and saves NAME whole. */
  if (action == ACTION_CANCEL)
    {
      g_autoptr(FerryTransfer) again = NULL;
      g_autoptr(GError) again_error = NULL;
      g_autofree char *saved = g_build_filename (dir, "big.bin", NULL);
      g_autofree char *want = ferry_test_sha256_file (src);
      g_autofree char *got = NULL;

      again = ferry_client_download (f->client,
                                     ferry_offer_get_id (ferry_transfer_get_offer (up)),
                                     dest, FERRY_DOWNLOAD_INTO_DIRECTORY);
      again_error = ferry_test_run_transfer (again);
      g_assert_no_error (again_error);
      got = ferry_test_sha256_file (saved);
      g_assert_cmpstr (got, ==, want);
      g_assert_cmpuint (ferry_test_count_dir (dir), ==, 1);
    }
}

static void
test_download_cancelled (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *dir = g_build_filename (f->tmp, "out", NULL);

  download_and_break (f, ACTION_CANCEL, dir);
}

static void
test_download_server_killed (Fixture       *f,
                             gconstpointer  data)
{
  g_autofree char *dir = g_build_filename (f->tmp, "out", NULL);

  download_and_break (f, ACTION_KILL_SERVER, dir);
}

/* A download into a folder with room for 32 MiB of a 256 MiB file. As root the folder is a real
 * 32 MiB tmpfs (ENOSPC); otherwise a 32 MiB file size limit on this process makes the write
 * fail the same way (EFBIG). */
static void
test_download_disk_full (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *dir = g_build_filename (f->tmp, "small", NULL);
  const char *argv[] = { "mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", dir, NULL };
  int status = -1;
  struct rlimit old_limit, limit = { 32 * 1024 * 1024, 32 * 1024 * 1024 };
  gboolean limited = FALSE;

  g_mkdir_with_parents (dir, 0700);
  if (geteuid () == 0 &&
      g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH |
                    G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                    NULL, NULL, NULL, NULL, &status, NULL) &&
      g_spawn_check_wait_status (status, NULL))
    {
      f->mounted = g_strdup (dir);
      g_test_message ("downloading into a 32 MiB tmpfs");
    }

  if (!f->mounted)
    {
      /* Make the big source file first, then limit what this process may write. */
      g_autofree char *warm G_GNUC_UNUSED = ferry_test_make_file (f->tmp, "big.bin", BIG);

      g_assert_no_errno (getrlimit (RLIMIT_FSIZE, &old_limit));
      signal (SIGXFSZ, SIG_IGN);
      g_assert_no_errno (setrlimit (RLIMIT_FSIZE, &limit));
      limited = TRUE;
      g_test_message ("downloading under a 32 MiB file size limit");
    }

  download_and_break (f, ACTION_NONE, dir);

  if (limited)
    g_assert_no_errno (setrlimit (RLIMIT_FSIZE, &old_limit));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, setup, func, teardown)

  ADD ("/failures/upload-cancelled", test_upload_cancelled);
  ADD ("/failures/upload-server-killed", test_upload_server_killed);
  ADD ("/failures/upload-file-shrinks", test_upload_file_shrinks);
  ADD ("/failures/download-cancelled", test_download_cancelled);
  ADD ("/failures/download-server-killed", test_download_server_killed);
  ADD ("/failures/download-disk-full", test_download_disk_full);

  return g_test_run ();
}
