/* test-upload-checks.c: the upload pre-checks (device, unreadable, too large) live once, in the
 * engine; FerryClient, FerryTransfer and ferry-cli all give the same sentence
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "ferry-test-harness.h"
#include "ferry-error.h"

typedef struct
{
  FerryTestServer *server;
  char            *tmp;
  char            *config;
  FerryClient     *client;
} Fixture;

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  f->tmp = ferry_test_tmpdir ();
  f->config = g_build_filename (f->tmp, "config", NULL);
  f->server = ferry_test_server_start (NULL, 0, "--max-file-size", "1K", NULL);
  f->client = ferry_test_client_new (f->server, f->config, "Checker");
  ferry_test_client_connect (f->client);
  g_assert_cmpuint (ferry_client_get_max_file_size (f->client), ==, 1024);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  ferry_client_disconnect (f->client);
  g_clear_object (&f->client);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_pointer (&f->server, ferry_test_server_free);
  ferry_test_rm_rf (f->tmp);
  g_free (f->tmp);
  g_free (f->config);
}

static void
store_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* The engine's pre-check of @path: its refusal, or NULL. */
static GError *
check (Fixture    *f,
       const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GAsyncResult) result = NULL;
  GError *error = NULL;

  ferry_client_check_upload_async (f->client, file, NULL, store_result_cb, &result);
  while (!result)
    g_main_context_iteration (NULL, TRUE);
  if (ferry_client_check_upload_finish (f->client, result, &error))
    g_assert_no_error (error);
  return error;
}

/* @path is refused with a sentence containing @part, by the pre-check, by a FerryTransfer
 * (the same sentence, and the transfer never reaches the server) and by ferry-cli (which
 * prints it as it is). */
static void
assert_refused (Fixture    *f,
                const char *path,
                const char *part)
{
  g_autoptr(GError) checked = check (f, path);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(FerryTransfer) transfer = NULL;
  g_autoptr(GError) ran = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *listed = NULL;
  g_autofree char *basename = g_path_get_basename (path);
  int status;

  g_assert_nonnull (checked);
  g_test_message ("%s: %s", path, checked->message);
  g_assert_nonnull (strstr (checked->message, part));
  g_assert_nonnull (strstr (checked->message, basename));

  transfer = ferry_client_upload (f->client, file, NULL);
  ran = ferry_test_run_transfer (transfer);
  g_assert_nonnull (ran);
  g_assert_cmpstr (ran->message, ==, checked->message);
  g_assert_cmpuint (ferry_transfer_get_bytes_done (transfer), ==, 0);

  status = ferry_test_cli (f->server, f->config, &out, &err, "upload", path, NULL);
  g_assert_cmpint (status, !=, 0);
  g_assert_nonnull (strstr (err, checked->message));

  status = ferry_test_cli (f->server, f->config, &listed, NULL, "list", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_null (strstr (listed, basename));
}

/* A folder passes (it is shared as one offer, test-folder.c); a FIFO is refused. */
static void
test_folder_and_fifo (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *folder = g_build_filename (f->tmp, "a folder", NULL);
  g_autofree char *fifo = g_build_filename (f->tmp, "a fifo", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir (folder, 0700), ==, 0);
  error = check (f, folder);
  g_assert_no_error (error);

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  assert_refused (f, fifo, "is not a regular file or a folder");
}

static void
test_too_large (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *at_limit = ferry_test_make_file (f->tmp, "at the limit.bin", 1024);
  g_autofree char *over = ferry_test_make_file (f->tmp, "over the limit.bin", 1025);
  g_autoptr(GError) error = NULL;

  error = check (f, at_limit);
  g_assert_no_error (error);
  /* 1K is 1024 bytes, which GLib shows as "1.0 kB". */
  assert_refused (f, over, "1.0\u00a0kB");
}

static void
test_unreadable (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *missing = g_build_filename (f->tmp, "missing.bin", NULL);
  g_autofree char *locked = ferry_test_make_file (f->tmp, "locked.bin", 100);

  assert_refused (f, missing, "can’t be read");

  g_assert_cmpint (g_chmod (locked, 0), ==, 0);
  if (access (locked, R_OK) == 0)
    g_test_message ("running with privileges that read any file: not testing mode 000");
  else
    assert_refused (f, locked, "can’t be read");
  g_chmod (locked, 0600);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, setup, func, teardown)
  ADD ("/upload-checks/folder-and-fifo", test_folder_and_fifo);
  ADD ("/upload-checks/too-large", test_too_large);
  ADD ("/upload-checks/unreadable", test_unreadable);
#undef ADD

  return g_test_run ();
}
