/* test-password-file.c: the one --password-file reader shared by server, app and CLI
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-test-password-file"

#include "config.h"

#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "ferry-error.h"
#include "ferry-password-file.h"

static char *tmpdir;

/* Writes @length bytes of @contents to a new file; returns its path. */
static char *
write_file (const char *name,
            const char *contents,
            gssize      length)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (tmpdir, name, NULL);

  g_file_set_contents (path, contents, length, &error);
  g_assert_no_error (error);
  return path;
}

static char *
read_ok (const char *contents,
         gssize      length)
{
  g_autofree char *path = write_file ("password", contents, length);
  g_autoptr(GError) error = NULL;
  char *password = ferry_password_file_read_path (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (password);
  return password;
}

/* Fails, and the sentence names the file and contains @part. */
static void
read_fails (const char *path,
            const char *part)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *password = ferry_password_file_read_path (path, &error);

  g_assert_null (password);
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_FAILED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, part));
}

static void
test_line_endings (void)
{
  const struct { const char *contents; const char *password; } cases[] = {
    { "s3cret\n", "s3cret" },
    { "s3cret\r\n", "s3cret" },
    { "s3cret", "s3cret" },
    { "s3cret\nsecond line\n", "s3cret" },
    /* Every other byte counts: spaces, tabs and a lone \r inside the line. */
    { " two words \t\n", " two words \t" },
    { "a\rb\n", "a\rb" },
    { "pässwörd\n", "pässwörd" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *password = read_ok (cases[i].contents, -1);

      g_assert_cmpstr (password, ==, cases[i].password);
    }
}

static void
test_empty (void)
{
  const char *empties[] = { "", "\n", "\r\n", "\nsecond line\n" };

  for (gsize i = 0; i < G_N_ELEMENTS (empties); i++)
    {
      g_autofree char *path = write_file ("empty", empties[i], -1);

      read_fails (path, "empty");
    }
}

static void
test_size_limit (void)
{
  g_autofree char *longest = g_strnfill (FERRY_PASSWORD_MAX_BYTES, 'x');
  g_autofree char *too_long = g_strnfill (FERRY_PASSWORD_MAX_BYTES + 1, 'x');
  g_autofree char *with_newline = g_strconcat (longest, "\r\n", NULL);
  g_autofree char *password = NULL;
  g_autofree char *path = NULL;
  g_autofree char *huge = NULL;
  g_autofree char *big_path = NULL;
  gsize huge_size = 8 * 1024 * 1024;

  /* At the limit, with or without its line ending. */
  password = read_ok (longest, -1);
  g_assert_cmpuint (strlen (password), ==, FERRY_PASSWORD_MAX_BYTES);
  g_clear_pointer (&password, g_free);
  password = read_ok (with_newline, -1);
  g_assert_cmpuint (strlen (password), ==, FERRY_PASSWORD_MAX_BYTES);

  /* One byte over. */
  path = write_file ("too-long", too_long, -1);
  read_fails (path, "longer than 1024 bytes");

  /* A big file with no newline: refused after its first bytes. */
  huge = g_malloc (huge_size);
  memset (huge, 'y', huge_size);
  big_path = write_file ("huge", huge, (gssize) huge_size);
  read_fails (big_path, "longer than 1024 bytes");
}

static void
test_not_utf8 (void)
{
  g_autofree char *path = write_file ("latin1", "p\xe4ssword\n", -1);

  read_fails (path, "UTF-8");
}

static void
test_unreadable (void)
{
  g_autofree char *missing = g_build_filename (tmpdir, "no such file", NULL);
  g_autofree char *locked = write_file ("locked", "s3cret\n", -1);

  read_fails (missing, "Could not read the password file");
  read_fails (tmpdir, "Could not read the password file");

  g_assert_cmpint (g_chmod (locked, 0), ==, 0);
  if (access (locked, R_OK) == 0)
    g_test_message ("running with privileges that read any file: not testing mode 000");
  else
    read_fails (locked, "Could not read the password file");
  g_chmod (locked, 0600);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("ferry-test-password-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/password-file/line-endings", test_line_endings);
  g_test_add_func ("/password-file/empty", test_empty);
  g_test_add_func ("/password-file/size-limit", test_size_limit);
  g_test_add_func ("/password-file/not-utf8", test_not_utf8);
  g_test_add_func ("/password-file/unreadable", test_unreadable);

  status = g_test_run ();

  {
    const char *names[] = { "password", "empty", "too-long", "huge", "latin1", "locked" };

    for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
      {
        g_autofree char *path = g_build_filename (tmpdir, names[i], NULL);

        g_unlink (path);
      }
    g_rmdir (tmpdir);
  }
  g_free (tmpdir);
  return status;
}
