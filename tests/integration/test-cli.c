/* test-cli.c: ferry-cli as a person runs it, against a real server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "ferry-test-harness.h"

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
  f->server = ferry_test_server_start (NULL, 0, NULL);
  f->tmp = ferry_test_tmpdir ();
  f->config = g_build_filename (f->tmp, "config", NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  ferry_test_server_stop (f->server);
  ferry_test_server_free (f->server);
  ferry_test_rm_rf (f->tmp);
  g_free (f->tmp);
  g_free (f->config);
}

static char *
cli_upload (Fixture    *f,
            const char *path)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = ferry_test_cli (f->server, f->config, &out, &err, "upload", path, NULL);

  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (err, ==, "");
  g_strchomp (out);
  g_assert_cmpuint (strlen (out), ==, 16);
  return g_steal_pointer (&out);
}

static void
test_check (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *src = ferry_test_make_file (f->tmp, "check.bin", 3 * 1024 * 1024 + 17);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *blobs = g_build_filename (f->server->data_dir, "blobs", NULL);
  int status;

  status = ferry_test_cli (f->server, f->config, &out, &err, "check", src, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (g_str_has_prefix (out, "Transfer Successful\n"));
  g_assert_nonnull (strstr (out, "/s"));
  /* check cleans up after itself. */
  g_assert_cmpuint (ferry_test_count_dir (blobs), ==, 0);
}

static void
test_flipped_byte (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *src = ferry_test_make_file (f->tmp, "flip.bin", 100000);
  g_autofree char *id = cli_upload (f, src);
  g_autofree char *blob = g_build_filename (f->server->data_dir, "blobs", id, NULL);
  g_autofree char *out_dir = g_build_filename (f->tmp, "out", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  FILE *file;
  int c, status;

  file = g_fopen (blob, "r+b");
  g_assert_nonnull (file);
  fseek (file, 5000, SEEK_SET);
  c = fgetc (file);
  fseek (file, 5000, SEEK_SET);
  fputc (c ^ 0x01, file);
  fclose (file);

  g_mkdir (out_dir, 0700);
  status = ferry_test_cli (f->server, f->config, &out, &err, "download", id, "-o", out_dir, NULL);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (err, "checksum mismatch"));
  g_assert_cmpuint (g_strv_length ((char *[]) { err, NULL }), ==, 1);
  g_assert_cmpuint (ferry_test_count_dir (out_dir), ==, 0);
}

static void
test_list_json (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *src = ferry_test_make_file (f->tmp, "a:b\nc.txt", 1234);
  g_autofree char *id = cli_upload (f, src);
  g_autofree char *out = NULL;
  g_autofree char *expected_sum = ferry_test_sha256_file (src);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *array;
  JsonObject *object;
  g_autoptr(GDateTime) created = NULL;

  g_assert_cmpint (ferry_test_cli (f->server, f->config, &out, NULL, "list", "--json", NULL),
                   ==, 0);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  array = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  object = json_array_get_object_element (array, 0);
  g_assert_cmpstr (json_object_get_string_member (object, "id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (object, "name"), ==, "a:b\nc.txt");
  g_assert_cmpint (json_object_get_int_member (object, "size"), ==, 1234);
  g_assert_cmpstr (json_object_get_string_member (object, "sha256"), ==, expected_sum);
  g_assert_true (json_object_has_member (object, "uploader"));
  g_assert_true (json_object_get_boolean_member (object, "mine"));
  created = g_date_time_new_from_iso8601 (json_object_get_string_member (object, "created"), NULL);
  g_assert_nonnull (created);
  g_assert_cmpint (ABS (g_date_time_to_unix (created) - g_get_real_time () / G_USEC_PER_SEC),
                   <, 600);

  /* Another person sees it as not theirs. */
  {
    g_autofree char *other = g_build_filename (f->tmp, "other", NULL);
    g_autofree char *text = NULL;

    g_assert_cmpint (ferry_test_cli (f->server, other, &text, NULL, "--name", "Other",
                                     "list", "--json", NULL), ==, 0);
    g_assert_nonnull (strstr (text, "\"mine\" : false"));
  }

  /* The table shows one escaped line per offer. */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ferry_test_cli (f->server, f->config, &out, NULL, "list", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "a:b\\nc.txt"));
  g_assert_nonnull (strstr (out, id));
}

static void
test_download_never_overwrites (Fixture       *f,
                                gconstpointer  data)
{
  g_autofree char *src = ferry_test_make_file (f->tmp, "report.pdf", 4321);
  g_autofree char *id = cli_upload (f, src);
  g_autofree char *out_dir = g_build_filename (f->tmp, "dl", NULL);
  g_autofree char *first = g_build_filename (out_dir, "report.pdf", NULL);
  g_autofree char *second = g_build_filename (out_dir, "report (1).pdf", NULL);
  g_autofree char *named = g_build_filename (out_dir, "chosen.pdf", NULL);
  g_autofree char *named2 = g_build_filename (out_dir, "chosen (1).pdf", NULL);
  g_autofree char *out = NULL;
  g_autofree char *sum = ferry_test_sha256_file (src);
  g_autofree char *sum2 = NULL;

  g_mkdir (out_dir, 0700);
  g_assert_cmpint (ferry_test_cli (f->server, f->config, &out, NULL, "download", id, "-o", out_dir,
                                   NULL), ==, 0);
  g_assert_cmpstr (g_strchomp (out), ==, first);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ferry_test_cli (f->server, f->config, &out, NULL, "download", id, "-o", out_dir,
                                   NULL), ==, 0);
  g_assert_cmpstr (g_strchomp (out), ==, second);
  sum2 = ferry_test_sha256_file (second);
  g_assert_cmpstr (sum2, ==, sum);

  /* -o FILE saves as that name, and keeps an existing one. */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ferry_test_cli (f->server, f->config, &out, NULL, "download", id, "-o", named,
                                   NULL), ==, 0);
  g_assert_cmpstr (g_strchomp (out), ==, named);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ferry_test_cli (f->server, f->config, &out, NULL, "download", id, "-o", named,
                                   NULL), ==, 0);
  g_assert_cmpstr (g_strchomp (out), ==, named2);
}

/* upload DIR, list, download ID of a folder: one row, the same tree back. */
static void
test_folder (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *tree = g_build_filename (f->tmp, "tree", NULL);
  g_autofree char *sub = g_build_filename (tree, "sub", NULL);
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *link = g_build_filename (tree, "link", NULL);
  g_autofree char *out_dir = g_build_filename (f->tmp, "dl", NULL);
  g_autofree char *saved = g_build_filename (out_dir, "tree", NULL);
  g_autofree char *saved_b = g_build_filename (saved, "sub", "b.bin", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *sum = NULL;
  g_autofree char *sum_back = NULL;

  g_assert_cmpint (g_mkdir_with_parents (sub, 0700), ==, 0);
  a = ferry_test_make_file (tree, "a.bin", 1000);
  b = ferry_test_make_file (sub, "b.bin", 70000);
  g_assert_cmpint (symlink ("/etc/passwd", link), ==, 0);

  g_assert_cmpint (ferry_test_cli (f->server, f->config, &out, &err, "upload", tree, NULL), ==, 0);
  g_strchomp (out);
  g_assert_cmpuint (strlen (out), ==, 16);
  g_assert_nonnull (strstr (err, "“link”"));

  {
    g_autofree char *id = g_steal_pointer (&out);
    g_autofree char *listing = NULL;

    g_assert_cmpint (ferry_test_cli (f->server, f->config, &listing, NULL, "list", NULL), ==, 0);
    g_assert_nonnull (strstr (listing, "tree/ (2 files)"));
    g_assert_cmpint (g_mkdir (out_dir, 0700), ==, 0);
    g_assert_cmpint (ferry_test_cli (f->server, f->config, &out, NULL, "download", id, "-o",
                                     out_dir, NULL), ==, 0);
  }
  g_assert_cmpstr (g_strchomp (out), ==, saved);
  sum = ferry_test_sha256_file (b);
  sum_back = ferry_test_sha256_file (saved_b);
  g_assert_cmpstr (sum, ==, sum_back);
  g_assert_cmpuint (ferry_test_count_dir (saved), ==, 2);
}

static void
test_delete_and_errors (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *src = ferry_test_make_file (f->tmp, "gone.txt", 10);
  g_autofree char *id = cli_upload (f, src);
  g_autofree char *other = g_build_filename (f->tmp, "other", NULL);
  g_autofree char *err = NULL;
  g_autofree char *out = NULL;

  g_assert_cmpint (ferry_test_cli (f->server, other, NULL, &err, "delete", id, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "Only the person who shared"));
  g_assert_cmpint (ferry_test_cli (f->server, f->config, NULL, NULL, "delete", id, NULL), ==, 0);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (ferry_test_cli (f->server, f->config, NULL, &err, "delete", id, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "No file with that id"));

  /* A missing local file is one clear line. */
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (ferry_test_cli (f->server, f->config, &out, &err, "upload",
                                   "/nonexistent/file.txt", NULL), ==, 1);
  g_assert_true (g_str_has_prefix (err, "ferry-cli: could not upload /nonexistent/file.txt:"));
  g_assert_cmpuint (strlen (err), ==, strcspn (err, "\n") + 1);
}

static void
test_usage_errors (void)
{
  g_autofree char *tmp = ferry_test_tmpdir ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (ferry_test_cli (NULL, tmp, NULL, NULL, NULL), ==, 2);
  g_assert_cmpint (ferry_test_cli (NULL, tmp, NULL, &err, "frobnicate", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "Unknown command"));
  g_assert_cmpint (ferry_test_cli (NULL, tmp, NULL, NULL, "download", NULL), ==, 2);
  g_assert_cmpint (ferry_test_cli (NULL, tmp, NULL, NULL, "list", "--bogus", NULL), ==, 2);
  g_assert_cmpint (ferry_test_cli (NULL, tmp, &out, NULL, "--help", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "upload"));
  g_assert_nonnull (strstr (out, "--server"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ferry_test_cli (NULL, tmp, &out, NULL, "--version", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, "ferry-cli "));

  /* Nobody listening: exit 1 and a sentence. */
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (ferry_test_cli (NULL, tmp, NULL, &err, "--server", "127.0.0.1:1", "list", NULL),
                   ==, 1);
  g_assert_nonnull (strstr (err, "Could not connect to 127.0.0.1:1"));
  ferry_test_rm_rf (tmp);
}

static void
test_watch (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GSubprocess) watch = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *src = ferry_test_make_file (f->tmp, "watched.txt", 99);
  g_autofree char *id = NULL;
  g_autofree char *line1 = NULL;
  g_autofree char *line2 = NULL;

  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", f->config, TRUE);
  watch = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("FERRY_CLI"),
                                       "--server", f->server->address,
                                       "--trust", f->server->fingerprint, "watch", "--json", NULL);
  g_assert_no_error (error);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (watch));

  /* watch --json says when it is subscribed; only then can a live event be expected. */
  line1 = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line1, ==, "{\"event\":\"synced\",\"offers\":0}");
  g_clear_pointer (&line1, g_free);

  id = cli_upload (f, src);
  line1 = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line1);
  g_assert_nonnull (strstr (line1, "\"event\":\"offer\""));
  g_assert_nonnull (strstr (line1, "watched.txt"));

  g_assert_nonnull (strstr (line1, id));
  g_assert_cmpint (ferry_test_cli (f->server, f->config, NULL, NULL, "delete", id, NULL), ==, 0);
  line2 = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (line2, "\"event\":\"deleted\""));
  g_subprocess_send_signal (watch, SIGTERM);
  g_subprocess_wait (watch, NULL, NULL);
}

/* upload FILE FILE missing FILE: every file but the missing one is shared, ids in argument
 * order, exit 1; download ID ID saves both, paths in argument order. */
static void
test_many_files (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *a = ferry_test_make_file (f->tmp, "a.bin", 10240);
  g_autofree char *b = ferry_test_make_file (f->tmp, "b.bin", 20480);
  g_autofree char *c = ferry_test_make_file (f->tmp, "c.bin", 1);
  g_autofree char *missing = g_build_filename (f->tmp, "missing.bin", NULL);
  g_autofree char *out_dir = g_build_filename (f->tmp, "out", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *paths = NULL;
  g_auto(GStrv) ids = NULL;
  g_auto(GStrv) saved = NULL;

  g_assert_cmpint (ferry_test_cli (f->server, f->config, &out, &err, "upload", a, b, missing, c,
                                   NULL), ==, 1);
  g_assert_nonnull (strstr (err, "missing.bin"));
  ids = g_strsplit (g_strchomp (out), "\n", -1);
  g_assert_cmpuint (g_strv_length (ids), ==, 3);

  g_assert_cmpint (g_mkdir (out_dir, 0700), ==, 0);
  g_assert_cmpint (ferry_test_cli (f->server, f->config, &paths, NULL, "download", ids[2], ids[0],
                                   "-o", out_dir, NULL), ==, 0);
  saved = g_strsplit (g_strchomp (paths), "\n", -1);
  g_assert_cmpuint (g_strv_length (saved), ==, 2);
  g_assert_true (g_str_has_suffix (saved[0], "/c.bin"));
  g_assert_true (g_str_has_suffix (saved[1], "/a.bin"));
  {
    g_autofree char *want = ferry_test_sha256_file (a);
    g_autofree char *got = ferry_test_sha256_file (saved[1]);

    g_assert_cmpstr (got, ==, want);
  }
  g_assert_cmpuint (ferry_test_count_dir (out_dir), ==, 2);
}

/* download --all --match GLOB takes the offers whose name matches, and only those. */
static void
test_download_all_match (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *r1 = ferry_test_make_file (f->tmp, "report-1.txt", 100);
  g_autofree char *r2 = ferry_test_make_file (f->tmp, "report-2.txt", 200);
  g_autofree char *photo = ferry_test_make_file (f->tmp, "photo.jpg", 300);
  g_autofree char *out_dir = g_build_filename (f->tmp, "out", NULL);
  g_autofree char *r1_saved = g_build_filename (out_dir, "report-1.txt", NULL);
  g_autofree char *r2_saved = g_build_filename (out_dir, "report-2.txt", NULL);
  g_autofree char *out = NULL;

  g_assert_cmpint (ferry_test_cli (f->server, f->config, NULL, NULL, "upload", r1, r2, photo,
                                   NULL), ==, 0);
  g_assert_cmpint (g_mkdir (out_dir, 0700), ==, 0);
  g_assert_cmpint (ferry_test_cli (f->server, f->config, &out, NULL, "download", "--all",
                                   "--match", "report-*", "-o", out_dir, NULL), ==, 0);
  g_assert_cmpuint (ferry_test_count_dir (out_dir), ==, 2);
  g_assert_true (g_file_test (r1_saved, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (r2_saved, G_FILE_TEST_IS_REGULAR));
}

/* upload - --name NAME shares standard input under NAME, and leaves no spool file behind. */
static void
test_upload_stdin (Fixture       *f,
                   gconstpointer  data)
{
  const char *text = "from a pipe\n";
  g_autofree char *cache = g_build_filename (f->config, "cache", "ferry", NULL);
  g_autofree char *out_dir = g_build_filename (f->tmp, "out", NULL);
  g_autofree char *saved = g_build_filename (out_dir, "piped.txt", NULL);
  g_autofree char *out = NULL;
  g_autofree char *content = NULL;

  g_assert_cmpint (ferry_test_cli_with_input (f->server, f->config, text, &out, NULL, "upload",
                                              "-", "--name", "piped.txt", NULL), ==, 0);
  g_strchomp (out);
  g_assert_cmpuint (strlen (out), ==, 16);
  g_assert_cmpuint (ferry_test_count_dir (cache), ==, 0);

  g_assert_cmpint (g_mkdir (out_dir, 0700), ==, 0);
  g_assert_cmpint (ferry_test_cli (f->server, f->config, NULL, NULL, "download", out, "-o",
                                   out_dir, NULL), ==, 0);
  g_assert_true (g_file_get_contents (saved, &content, NULL, NULL));
  g_assert_cmpstr (content, ==, text);

  /* "-" without --name is a usage error. */
  g_assert_cmpint (ferry_test_cli_with_input (f->server, f->config, text, NULL, NULL, "upload",
                                              "-", NULL), ==, 2);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/cli/check", test_check);
  ADD ("/cli/flipped-byte-is-checksum-mismatch", test_flipped_byte);
  ADD ("/cli/list-json", test_list_json);
  ADD ("/cli/download-never-overwrites", test_download_never_overwrites);
  ADD ("/cli/delete-and-errors", test_delete_and_errors);
  ADD ("/cli/folder", test_folder);
  ADD ("/cli/watch", test_watch);
  ADD ("/cli/many-files", test_many_files);
  ADD ("/cli/download-all-match", test_download_all_match);
  ADD ("/cli/upload-stdin", test_upload_stdin);
  g_test_add_func ("/cli/usage-errors", test_usage_errors);

  return g_test_run ();
}
