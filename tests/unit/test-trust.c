/* test-trust.c: fingerprints and the known-servers file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "ferry-fingerprint.h"
#include "ferry-known-servers.h"

static const char *canonical =
  "3f9a0c1d2e4b5a67890123456789abcdef0123456789abcdef0123456789abcd";

static void
test_fingerprint_parse (void)
{
  const char *forms[] = {
    "3f9a0c1d2e4b5a67890123456789abcdef0123456789abcdef0123456789abcd",
    "3F9A 0C1D 2E4B 5A67 8901 2345 6789 ABCD EF01 2345 6789 ABCD EF01 2345 6789 ABCD",
    "3F:9A:0C:1D:2E:4B:5A:67:89:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD",
  };
  const char *bad[] = { "", "3f9a", "zz9a0c1d2e4b5a67890123456789abcdef0123456789abcdef0123456789abcd",
                        "3f9a0c1d2e4b5a67890123456789abcdef0123456789abcdef0123456789abcd00" };

  for (guint i = 0; i < G_N_ELEMENTS (forms); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *parsed = ferry_fingerprint_parse (forms[i], &error);

      g_assert_no_error (error);
      g_assert_cmpstr (parsed, ==, canonical);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *parsed = ferry_fingerprint_parse (bad[i], &error);

      g_assert_null (parsed);
      g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
    }
}

static void
test_fingerprint_format (void)
{
  g_autofree char *shown = ferry_fingerprint_format (canonical);
  g_autofree char *back = ferry_fingerprint_parse (shown, NULL);

  g_assert_cmpstr (shown, ==,
                   "3F9A 0C1D 2E4B 5A67 8901 2345 6789 ABCD EF01 2345 6789 ABCD EF01 2345 6789 ABCD");
  g_assert_cmpstr (back, ==, canonical);
}

static void
test_fingerprint_der (void)
{
  /* SHA-256("abc"), the FIPS 180-2 vector, over arbitrary bytes standing in for DER. */
  g_autofree char *fp = ferry_fingerprint_from_der ((const guint8 *) "abc", 3);

  g_assert_cmpstr (fp, ==, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void
test_known_servers (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("ferry-trust-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "sub", "known-servers", NULL);
  g_autofree char *key = ferry_known_servers_key ("Files.Example.ORG", 5005);
  g_autofree char *key6 = ferry_known_servers_key ("::1", 7000);
  g_autofree char *found = NULL;
  g_autofree char *contents = NULL;
  const char *other = "0000000000000000000000000000000000000000000000000000000000000000";
  GStatBuf st;

  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, "files.example.org:5005");
  g_assert_cmpstr (key6, ==, "[::1]:7000");

  /* Unknown before anything is written; a missing file is not an error. */
  found = ferry_known_servers_lookup (path, key, &error);
  g_assert_no_error (error);
  g_assert_null (found);

  g_assert_true (ferry_known_servers_add (path, key, canonical, &error));
  g_assert_true (ferry_known_servers_add (path, key6, other, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  found = ferry_known_servers_lookup (path, key, &error);
  g_assert_cmpstr (found, ==, canonical);
  g_clear_pointer (&found, g_free);

  /* A prefix of a key is another server. */
  found = ferry_known_servers_lookup (path, "files.example.org:500", &error);
  g_assert_null (found);

  /* Re-pinning replaces the line instead of adding a second one. */
  g_assert_true (ferry_known_servers_add (path, key, other, &error));
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_null (strstr (contents, canonical));
  g_assert_nonnull (strstr (contents, other));
  {
    g_auto(GStrv) lines = g_strsplit (contents, "\n", -1);

    g_assert_cmpuint (g_strv_length (lines), ==, 3);
  }

  g_assert_true (ferry_known_servers_remove (path, key, &error));
  g_assert_false (ferry_known_servers_remove (path, key, &error));
  g_assert_no_error (error);
  found = ferry_known_servers_lookup (path, key, &error);
  g_assert_null (found);
  found = ferry_known_servers_lookup (path, key6, &error);
  g_assert_cmpstr (found, ==, other);

  g_unlink (path);
  {
    g_autofree char *sub = g_path_get_dirname (path);

    g_rmdir (sub);
  }
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/trust/fingerprint-parse", test_fingerprint_parse);
  g_test_add_func ("/trust/fingerprint-format", test_fingerprint_format);
  g_test_add_func ("/trust/fingerprint-der", test_fingerprint_der);
  g_test_add_func ("/trust/known-servers", test_known_servers);

  return g_test_run ();
}
