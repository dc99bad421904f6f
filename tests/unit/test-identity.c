/* test-identity.c: the owner secret in $XDG_CONFIG_HOME/ferry/identity
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-test-identity"

#include "config.h"

#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "ferry-identity.h"
#include "ferry-checksum.h"
#include "ferry-error.h"

static char *config_home;

static void
assert_mode (const char *path,
             guint       mode)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, mode);
}

static char *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

static void
test_default_path (void)
{
  g_autofree char *path = ferry_identity_default_path ();
  g_autofree char *expected = g_build_filename (config_home, "ferry", "identity", NULL);

  g_assert_cmpstr (path, ==, expected);
}

static void
test_create_and_reload (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = ferry_identity_default_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *contents = NULL;
  g_autofree char *hex = NULL;
  guint8 first[FERRY_SECRET_SIZE];
  guint8 second[FERRY_SECRET_SIZE];
  guint8 zero[FERRY_SECRET_SIZE] = { 0 };
  GDir *listing;
  const char *entry;
  int n_entries = 0;

  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  memset (first, 0, sizeof first);
  g_assert_true (ferry_identity_load (NULL, first, &error));
  g_assert_no_error (error);
  g_assert_true (memcmp (first, zero, sizeof zero) != 0);

  assert_mode (dir, 0700);
  assert_mode (path, 0600);

  /* 64 hex digits and a newline, holding the secret we were given. */
  contents = read_file (path);
  g_assert_cmpuint (strlen (contents), ==, 65);
  g_assert_cmpint (contents[64], ==, '\n');
  hex = ferry_sha256_to_hex (first);
  g_assert_true (strncmp (contents, hex, 64) == 0);

  /* No temporary file is left behind. */
  listing = g_dir_open (dir, 0, &error);
  g_assert_no_error (error);
  while ((entry = g_dir_read_name (listing)))
    {
      g_assert_cmpstr (entry, ==, "identity");
      n_entries++;
    }
  g_dir_close (listing);
  g_assert_cmpint (n_entries, ==, 1);

  memset (second, 0, sizeof second);
  g_assert_true (ferry_identity_load (NULL, second, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (first, sizeof first, second, sizeof second);

  /* The explicit path to the same file gives the same secret too. */
  memset (second, 0, sizeof second);
  g_assert_true (ferry_identity_load (path, second, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (first, sizeof first, second, sizeof second);
}

static void
test_explicit_path (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (config_home, "elsewhere", "deeper", "id", NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *default_path = ferry_identity_default_path ();
  guint8 a[FERRY_SECRET_SIZE];
  guint8 b[FERRY_SECRET_SIZE];

  g_assert_true (ferry_identity_load (path, a, &error));
  g_assert_no_error (error);
  assert_mode (path, 0600);
  assert_mode (dir, 0700);

  /* Two identities are two different random secrets. */
  g_assert_true (ferry_identity_load (default_path, b, &error));
  g_assert_no_error (error);
  g_assert_true (memcmp (a, b, sizeof a) != 0);
}

static void
test_accepts_upper_case_and_no_newline (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (config_home, "upper", NULL);
  const char *hex = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
  guint8 secret[FERRY_SECRET_SIZE];
  guint8 expected[FERRY_SECRET_SIZE];

  g_file_set_contents (path, hex, -1, &error);
  g_assert_no_error (error);

  g_assert_true (ferry_sha256_from_hex (hex, expected));
  g_assert_true (ferry_identity_load (path, secret, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (secret, sizeof secret, expected, sizeof expected);
}

static void
test_corrupt (void)
{
  static const char *bad[] = {
    "",
    "\n",
    "not hex at all\n",
    /* 63 digits */
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a\n",
    /* 65 digits */
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0\n",
    /* two newlines */
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n\n",
    /* leading space */
    " ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n",
    /* a 'g' */
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ag\n",
  };
  g_autofree char *path = g_build_filename (config_home, "corrupt", NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *after = NULL;
      guint8 secret[FERRY_SECRET_SIZE];
      guint8 untouched[FERRY_SECRET_SIZE];

      g_file_set_contents (path, bad[i], -1, &error);
      g_assert_no_error (error);

      memset (secret, 0x5a, sizeof secret);
      memset (untouched, 0x5a, sizeof untouched);
      g_assert_false (ferry_identity_load (path, secret, &error));
      g_assert_error (error, FERRY_ERROR, FERRY_ERROR_FAILED);
      g_assert_nonnull (strstr (error->message, path));

      after = read_file (path);
      g_assert_cmpstr (after, ==, bad[i]);
      g_assert_cmpmem (secret, sizeof secret, untouched, sizeof untouched);
    }

  /* An embedded NUL after 64 good digits is not a good file either. */
  {
    g_autoptr(GError) error = NULL;
    const char nul[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\0x";
    guint8 secret[FERRY_SECRET_SIZE];
    gsize len = 0;
    g_autofree char *after = NULL;

    g_file_set_contents (path, nul, sizeof nul - 1, &error);
    g_assert_no_error (error);
    g_assert_false (ferry_identity_load (path, secret, &error));
    g_assert_error (error, FERRY_ERROR, FERRY_ERROR_FAILED);
    g_clear_error (&error);
    g_file_get_contents (path, &after, &len, &error);
    g_assert_no_error (error);
    g_assert_cmpmem (after, len, nul, sizeof nul - 1);
  }
}

/* A folder that cannot be created (a plain file is in the way; this holds even for root). */
static void
test_unwritable_directory (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *blocker = g_build_filename (config_home, "blocker", NULL);
  g_autofree char *path = g_build_filename (blocker, "sub", "identity", NULL);
  guint8 secret[FERRY_SECRET_SIZE];
  guint8 before[FERRY_SECRET_SIZE];

  g_assert_true (g_file_set_contents (blocker, "not a folder", -1, NULL));
  memset (secret, 0x5a, sizeof secret);
  memcpy (before, secret, sizeof secret);
  g_assert_false (ferry_identity_load (path, secret, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "sub"));
  g_assert_cmpmem (secret, sizeof secret, before, sizeof before);
  g_unlink (blocker);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int ret;

  /* Before anything calls g_get_user_config_dir(), which caches its answer. */
  config_home = g_dir_make_tmp ("ferry-test-identity-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("XDG_CONFIG_HOME", config_home, TRUE);

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/identity/default-path", test_default_path);
  g_test_add_func ("/identity/create-and-reload", test_create_and_reload);
  g_test_add_func ("/identity/explicit-path", test_explicit_path);
  g_test_add_func ("/identity/upper-case-no-newline", test_accepts_upper_case_and_no_newline);
  g_test_add_func ("/identity/corrupt", test_corrupt);
  g_test_add_func ("/identity/unwritable-directory", test_unwritable_directory);

  ret = g_test_run ();
  remove_tree (config_home);
  g_free (config_home);
  return ret;
}
