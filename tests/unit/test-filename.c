/* test-filename.c: offer names made safe for the local disk
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-test-filename"

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "ferry-filename.h"

/* What every result of ferry_filename_make_safe() must be, whatever the input. */
static void
assert_safe (const char *safe)
{
  gsize len;

  g_assert_nonnull (safe);
  len = strlen (safe);
  g_assert_cmpuint (len, >, 0);
  g_assert_cmpuint (len, <=, 255);
  g_assert_true (g_utf8_validate (safe, -1, NULL));
  g_assert_null (strchr (safe, '/'));
  g_assert_null (strchr (safe, '\\'));
  g_assert_cmpint (safe[0], !=, '.');
  g_assert_cmpint (safe[0], !=, ' ');
  g_assert_cmpint (safe[len - 1], !=, '.');
  g_assert_cmpint (safe[len - 1], !=, ' ');
  g_assert_cmpstr (safe, !=, ".");
  g_assert_cmpstr (safe, !=, "..");

  for (const char *p = safe; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      g_assert_false (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f));
    }
}

static void
check (const char *name,
       const char *expected)
{
  g_autofree char *safe = ferry_filename_make_safe (name);

  assert_safe (safe);
  if (expected)
    g_assert_cmpstr (safe, ==, expected);
}

static void
test_unchanged (void)
{
  check ("report.pdf", "report.pdf");
  check ("a:b.txt", "a:b.txt");
  check ("Ünïcödé – “quotes”.txt", "Ünïcödé – “quotes”.txt");
  check ("🚢 ferry 🎉.png", "🚢 ferry 🎉.png");
  check ("a.b.c", "a.b.c");
  check ("name with  spaces", "name with  spaces");
  check ("-rf", "-rf");
  check ("a..b", "a..b");
}

static void
test_separators (void)
{
  check ("../../etc/passwd", "_.._etc_passwd");
  check ("/etc/passwd", "_etc_passwd");
  check ("dir\\file.txt", "dir_file.txt");
  check ("a/b/c", "a_b_c");
  check ("/", "_");
}

static void
test_control_characters (void)
{
  check ("line1\nline2.txt", "line1_line2.txt");
  check ("tab\there", "tab_here");
  check ("bell\a\r\x1b[31m", "bell___[31m");
  check ("del\x7f", "del_");
  check ("c1\xc2\x85next\xc2\x9f", "c1_next_");   /* U+0085 NEL and U+009F */
  check ("nbsp\xc2\xa0ok", "nbsp\xc2\xa0ok");      /* U+00A0 is printable */
}

static void
test_dots_and_spaces (void)
{
  check ("", "download");
  check (".", "download");
  check ("..", "download");
  check ("...", "download");
  check ("   ", "download");
  check (" . . ", "download");
  check (NULL, "download");
  check (".bashrc", "bashrc");
  check ("  name.txt  ", "name.txt");
  check ("name.txt...", "name.txt");
  check ("..hidden..", "hidden");
}

static void
test_invalid_utf8 (void)
{
  g_autofree char *safe = ferry_filename_make_safe ("caf\xe9 \xff\xfe.txt");

  assert_safe (safe);
  g_assert_true (g_str_has_prefix (safe, "caf"));
  g_assert_true (g_str_has_suffix (safe, ".txt"));
  g_assert_nonnull (strstr (safe, "\xef\xbf\xbd"));   /* U+FFFD */
}

static void
test_long_names (void)
{
  g_autoptr(GString) name = g_string_new (NULL);
  g_autofree char *safe = NULL;
  g_autofree char *safe_emoji = NULL;
  g_autofree char *safe_long_ext = NULL;

  for (int i = 0; i < 996; i++)
    g_string_append_c (name, 'a');
  g_string_append (name, ".txt");
  g_assert_cmpuint (name->len, ==, 1000);

  safe = ferry_filename_make_safe (name->str);
  assert_safe (safe);
  g_assert_cmpuint (strlen (safe), ==, 255);
  g_assert_true (g_str_has_suffix (safe, ".txt"));
  g_assert_true (g_str_has_prefix (safe, "aaaa"));

  /* Four-byte characters are never cut in the middle. */
  g_string_truncate (name, 0);
  for (int i = 0; i < 100; i++)
    g_string_append (name, "🚢");
  g_string_append (name, ".pdf");
  safe_emoji = ferry_filename_make_safe (name->str);
  assert_safe (safe_emoji);
  g_assert_cmpuint (strlen (safe_emoji), <=, 255);
  g_assert_cmpuint (strlen (safe_emoji), >, 255 - 4);
  g_assert_true (g_str_has_suffix (safe_emoji, "🚢.pdf"));

  /* A huge "extension" is not kept whole. */
  g_string_truncate (name, 0);
  g_string_append (name, "x.");
  for (int i = 0; i < 400; i++)
    g_string_append_c (name, 'y');
  safe_long_ext = ferry_filename_make_safe (name->str);
  assert_safe (safe_long_ext);
  g_assert_cmpuint (strlen (safe_long_ext), ==, 255);
  g_assert_true (g_str_has_prefix (safe_long_ext, "x.yyy"));
}

static void
test_never_unsafe (void)
{
  /* Random bytes, weighted towards the troublesome ones. */
  static const char alphabet[] = "./\\ \n\t\x01\x7f\xc2\x85\xff\xe2\x80" "a:";

  for (int round = 0; round < 2000; round++)
    {
      int len = g_test_rand_int_range (0, 400);
      g_autofree char *name = g_malloc (len + 1);
      g_autofree char *safe = NULL;

      for (int i = 0; i < len; i++)
        {
          if (g_test_rand_bit ())
            name[i] = alphabet[g_test_rand_int_range (0, sizeof alphabet - 1)];
          else
            name[i] = (char) g_test_rand_int_range (1, 256);
        }
      name[len] = '\0';

      safe = ferry_filename_make_safe (name);
      assert_safe (safe);
    }
}

static void
test_numbered (void)
{
  static const struct { const char *name; guint n; const char *expected; } cases[] = {
    { "a.txt", 0, "a.txt" },
    { "a.txt", 1, "a (1).txt" },
    { "a.txt", 12, "a (12).txt" },
    { "archive.tar.gz", 1, "archive.tar (1).gz" },
    { ".bashrc", 1, ".bashrc (1)" },
    { "README", 2, "README (2)" },
    { "a.", 1, "a (1)." },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *numbered = ferry_filename_numbered (cases[i].name, cases[i].n);

      g_assert_cmpstr (numbered, ==, cases[i].expected);
    }
}

static void
touch (GFile      *dir,
       const char *name)
{
  g_autoptr(GFile) file = g_file_get_child (dir, name);
  g_autofree char *path = g_file_get_path (file);
  int fd;

  /* Not g_file_set_contents(): its temporary name would be too long for the longest names. */
  fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL, 0644);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (close (fd), ==, 0);
}

static char *
unique_name (GFile      *dir,
             const char *name)
{
  g_autoptr(GFile) file = ferry_filename_unique_in_dir (dir, name);
  g_autoptr(GFile) parent = g_file_get_parent (file);

  g_assert_true (g_file_equal (parent, dir));
  return g_file_get_basename (file);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      g_assert_cmpint (g_unlink (child), ==, 0);
    }
  g_assert_cmpint (g_rmdir (path), ==, 0);
}

static void
test_unique_in_dir (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("ferry-test-filename-XXXXXX", &error);
  g_autoptr(GFile) dir = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *third = NULL;
  g_autofree char *other = NULL;
  g_autofree char *dangling = NULL;
  g_autofree char *link_path = NULL;

  g_assert_no_error (error);
  dir = g_file_new_for_path (tmp);

  first = unique_name (dir, "a.txt");
  g_assert_cmpstr (first, ==, "a.txt");

  touch (dir, "a.txt");
  second = unique_name (dir, "a.txt");
  g_assert_cmpstr (second, ==, "a (1).txt");

  touch (dir, "a (1).txt");
  third = unique_name (dir, "a.txt");
  g_assert_cmpstr (third, ==, "a (2).txt");

  other = unique_name (dir, "b.txt");
  g_assert_cmpstr (other, ==, "b.txt");

  /* A dangling symbolic link occupies its name too. */
  link_path = g_build_filename (tmp, "c.txt", NULL);
  g_assert_cmpint (symlink ("does-not-exist", link_path), ==, 0);
  dangling = unique_name (dir, "c.txt");
  g_assert_cmpstr (dangling, ==, "c (1).txt");

  remove_tree (tmp);
}

static void
test_unique_in_dir_long_name (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("ferry-test-filename-XXXXXX", &error);
  g_autoptr(GString) name = g_string_new (NULL);
  g_autoptr(GFile) dir = NULL;
  g_autofree char *unique = NULL;

  g_assert_no_error (error);
  dir = g_file_new_for_path (tmp);

  for (int i = 0; i < 251; i++)
    g_string_append_c (name, 'n');
  g_string_append (name, ".txt");
  touch (dir, name->str);

  /* The number still fits in a file name that was already as long as it can be. */
  unique = unique_name (dir, name->str);
  g_assert_cmpuint (strlen (unique), <=, 255);
  g_assert_true (g_str_has_suffix (unique, "n (1).txt"));
  touch (dir, unique);

  remove_tree (tmp);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/filename/unchanged", test_unchanged);
  g_test_add_func ("/filename/separators", test_separators);
  g_test_add_func ("/filename/control-characters", test_control_characters);
  g_test_add_func ("/filename/dots-and-spaces", test_dots_and_spaces);
  g_test_add_func ("/filename/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/filename/long-names", test_long_names);
  g_test_add_func ("/filename/never-unsafe", test_never_unsafe);
  g_test_add_func ("/filename/numbered", test_numbered);
  g_test_add_func ("/filename/unique-in-dir", test_unique_in_dir);
  g_test_add_func ("/filename/unique-in-dir-long-name", test_unique_in_dir_long_name);

  return g_test_run ();
}
