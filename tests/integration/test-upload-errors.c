/* test-upload-errors.c: when the server refuses or stops an upload half-way (its disk fills,
 * its quota is spent, it shuts down), the person sees the server's own sentence, not
 * "connection reset", and the server logs why
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "ferry-test-harness.h"
#include "ferry-error.h"

#define MIB (1024 * 1024)

typedef struct
{
  FerryTestServer *server;
  char            *tmp;
  char            *config;
  char            *mounted;
  char            *log;        /* the server's stderr */
  FerryClient     *client;
  gboolean         stopped;
} Fixture;

/* Starts the server with its stderr (its log) going to f->log. */
static void
start_server (Fixture    *f,
              const char *data_dir,
              const char *arg,
              const char *value)
{
  int saved = dup (STDERR_FILENO);
  int fd;

  g_assert_cmpint (saved, >=, 0);
  f->log = g_build_filename (f->tmp, "server.log", NULL);
  fd = open (f->log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (dup2 (fd, STDERR_FILENO), ==, STDERR_FILENO);
  close (fd);
  f->server = ferry_test_server_start (data_dir, 0, arg, value, NULL);
  g_assert_cmpint (dup2 (saved, STDERR_FILENO), ==, STDERR_FILENO);
  close (saved);
}

typedef struct
{
  Fixture    *f;
  const char *needle;
} LogWait;

static gboolean
log_has (gpointer data)
{
  LogWait *w = data;
  g_autofree char *text = NULL;

  return g_file_get_contents (w->f->log, &text, NULL, NULL) && strstr (text, w->needle);
}

/* The server logged @needle at its default level. */
static void
assert_logged (Fixture    *f,
               const char *needle)
{
  LogWait w = { f, needle };

  ferry_test_wait_for (log_has, &w, 10);
}

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
  g_clear_object (&f->client);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  if (f->server && !f->stopped)
    ferry_test_server_stop (f->server);
  if (f->mounted)
    {
      const char *argv[] = { "umount", f->mounted, NULL };

      g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH |
                    G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                    NULL, NULL, NULL, NULL, NULL, NULL);
      g_clear_pointer (&f->mounted, g_free);
    }
  g_clear_pointer (&f->server, ferry_test_server_free);
  ferry_test_rm_rf (f->tmp);
  g_free (f->tmp);
  g_free (f->config);
  g_free (f->log);
}

/* Mounts a tmpfs of @size_mib at @dir; FALSE when this process may not (not root). */
static gboolean
mount_tmpfs (Fixture    *f,
             const char *dir,
             guint       size_mib)
{
  g_autofree char *size = g_strdup_printf ("size=%um", size_mib);
  const char *argv[] = { "mount", "-t", "tmpfs", "-o", size, "tmpfs", dir, NULL };
  int status = -1;

  g_mkdir_with_parents (dir, 0700);
  if (geteuid () != 0 ||
      !g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH |
                     G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, NULL, NULL, &status, NULL) ||
      !g_spawn_check_wait_status (status, NULL))
    return FALSE;
  f->mounted = g_strdup (dir);
  return TRUE;
}

/* Allocates space to @path until the file system is full, or until it has @max bytes. */
static void
fill_disk (const char *path,
           guint64     max)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_APPEND, 0600);
  guint64 total = 0;

  g_assert_cmpint (fd, >=, 0);
  for (guint64 chunk = 64 * MIB; chunk >= 64 * 1024; chunk /= 2)
    while (total + chunk <= max && posix_fallocate (fd, (off_t) total, (off_t) chunk) == 0)
      total += chunk;
  close (fd);
  g_test_message ("the filler took %" G_GUINT64_FORMAT " KiB", total / 1024);
}

typedef enum
{
  BREAK_FILL_DISK,
  BREAK_STOP_SERVER,
} Break;

typedef struct
{
  Fixture *f;
  Break    action;
  gboolean fired;
} Trigger;

/* Fires once, when the server has accepted the upload and the bytes start to go. */
static void
state_cb (FerryTransfer *transfer,
          GParamSpec    *pspec,
          Trigger       *t)
{
  if (t->fired || ferry_transfer_get_state (transfer) != FERRY_TRANSFER_RUNNING)
    return;
  t->fired = TRUE;
  if (t->action == BREAK_FILL_DISK)
    {
      g_autofree char *filler = g_build_filename (t->f->server->data_dir, "filler", NULL);

      fill_disk (filler, G_MAXUINT64);
    }
  else
    g_subprocess_send_signal (t->f->server->process, SIGTERM);
}

static GError *
upload_and_break (Fixture *f,
                  guint64  size,
                  Break    action)
{
  g_autofree char *src = ferry_test_make_file (f->tmp, "big.bin", size);
  g_autoptr(GFile) file = g_file_new_for_path (src);
  g_autoptr(FerryTransfer) transfer = NULL;
  Trigger t = { f, action, FALSE };
  GError *error;

  f->client = ferry_test_client_new (f->server, f->config, "Alice");
  transfer = ferry_client_upload (f->client, file, NULL);
  g_signal_connect (transfer, "notify::state", G_CALLBACK (state_cb), &t);
  error = ferry_test_run_transfer (transfer);
  g_assert_true (t.fired);
  g_assert_nonnull (error);
  g_test_message ("the upload ended with: %s", error->message);
  g_assert_cmpint (ferry_transfer_get_state (transfer), ==, FERRY_TRANSFER_FAILED);
  return error;
}

/* The server's data folder is a 100 MiB tmpfs; a 32 MiB upload passes its free-space check
 * (it keeps 64 MiB spare), then a filler takes the rest of the disk. */
static void
test_disk_full (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *dir = g_build_filename (f->tmp, "data", NULL);
  g_autoptr(GError) error = NULL;

  if (!mount_tmpfs (f, dir, 100))
    {
      g_test_skip ("needs root to mount a small tmpfs as the server's data folder");
      return;
    }
  start_server (f, dir, NULL, NULL);
  error = upload_and_break (f, 32 * MIB, BREAK_FILL_DISK);

  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_NO_SPACE);
  g_assert_true (g_str_has_prefix (error->message, "The server's disk is full"));
  assert_logged (f, "upload of “big.bin” failed: The server's disk is full");
}

/* The CLI says the same, on stderr, and the server's log names the upload and the reason. */
static void
test_disk_full_cli (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *dir = g_build_filename (f->tmp, "data", NULL);
  g_autofree char *filler = NULL;
  g_autofree char *src = NULL;
  g_autofree char *err = NULL;
  int status;

  if (!mount_tmpfs (f, dir, 100))
    {
      g_test_skip ("needs root to mount a small tmpfs as the server's data folder");
      return;
    }
  f->server = ferry_test_server_start (dir, 0, NULL);
  src = ferry_test_make_file (f->tmp, "big.bin", 32 * MIB);

  /* Room for the server's check (64 MiB spare plus the file) and little more. */
  {
    g_autoptr(GFile) root = g_file_new_for_path (dir);
    g_autoptr(GFileInfo) info = g_file_query_filesystem_info (root,
                                                              G_FILE_ATTRIBUTE_FILESYSTEM_FREE,
                                                              NULL, NULL);
    guint64 free_bytes = g_file_info_get_attribute_uint64 (info,
                                                           G_FILE_ATTRIBUTE_FILESYSTEM_FREE);

    filler = g_build_filename (dir, "filler", NULL);
    fill_disk (filler, free_bytes - (64 + 32 + 2) * MIB);
  }
  /* Once the server has accepted (its partial file exists), the disk fills under the upload. */
  {
    g_autoptr(GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_autoptr(GSubprocess) cli = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *partial = g_build_filename (dir, "partial", NULL);
    g_autofree char *more = g_build_filename (dir, "filler2", NULL);
    gboolean filled = FALSE;

    g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", f->config, TRUE);
    cli = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("FERRY_CLI"),
                                       "--server", f->server->address,
                                       "--trust", f->server->fingerprint,
                                       "upload", src, NULL);
    g_assert_no_error (error);
    /* Polls for at most 20 s. */
    for (guint i = 0; i < 20000 && !filled; i++)
      {
        if (ferry_test_count_dir (partial) > 0)
          {
            fill_disk (more, G_MAXUINT64);
            filled = TRUE;
          }
        else
          g_usleep (1000);
      }
    g_assert_true (filled);
    g_subprocess_communicate_utf8 (cli, NULL, NULL, NULL, &err, &error);
    g_assert_no_error (error);
    status = g_subprocess_get_exit_status (cli);
  }

  g_test_message ("ferry-cli said: %s", err);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (err, "The server's disk is full"));
  g_assert_null (strstr (err, "reset"));

  ferry_test_server_stop (f->server);
  f->stopped = TRUE;
}

/* A --quota too small for the file: the refusal's own sentence reaches the person. */
static void
test_quota (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *src = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(FerryTransfer) transfer = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  start_server (f, NULL, "--quota", "8M");
  src = ferry_test_make_file (f->tmp, "big.bin", 16 * MIB);
  f->client = ferry_test_client_new (f->server, f->config, "Alice");
  file = g_file_new_for_path (src);
  transfer = ferry_client_upload (f->client, file, NULL);
  error = ferry_test_run_transfer (transfer);
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_NO_SPACE);
  g_assert_nonnull (strstr (error->message, "quota"));
  assert_logged (f, "upload of “big.bin” refused: The server's storage quota");

  status = ferry_test_cli (f->server, f->config, NULL, &err, "upload", src, NULL);
  g_test_message ("ferry-cli said: %s", err);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (err, error->message));
}

/* SIGTERM while a big upload runs: the person hears that the server is shutting down. */
static void
test_server_shutdown (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) wait_error = NULL;

  start_server (f, NULL, NULL, NULL);
  error = upload_and_break (f, 256 * MIB, BREAK_STOP_SERVER);

  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_BUSY);
  g_assert_nonnull (strstr (error->message, "shutting down"));
  assert_logged (f, "upload of “big.bin” failed: The server is shutting down");

  g_subprocess_wait (f->server->process, NULL, &wait_error);
  g_assert_no_error (wait_error);
  g_assert_cmpint (g_subprocess_get_exit_status (f->server->process), ==, 0);
  f->stopped = TRUE;
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, setup, func, teardown)

  ADD ("/upload-errors/disk-full", test_disk_full);
  ADD ("/upload-errors/disk-full-cli", test_disk_full_cli);
  ADD ("/upload-errors/quota", test_quota);
  ADD ("/upload-errors/server-shutdown", test_server_shutdown);

  return g_test_run ();
}
