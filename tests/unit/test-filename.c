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
  g_assert_cmpuint (len, <=, FERRY_FILENAME_MAX_BYTES);
  g_assert_cmpuint (len + strlen (".part"), <=, 255);
  g_assert_true (g_utf8_validate (safe, -1, NULL));
  g_assert_null (strchr (safe, '/'));
  g_assert_null (strchr (safe, '\\'));
  g_assert_cmpint (safe[0], !=, '.');
  g_assert_cmpint (safe[0], !=, ' ');
  g_assert_cmpint (safe[0], !=, '-');
  g_assert_cmpint (safe[len - 1], !=, '.');
  g_assert_cmpint (safe[len - 1], !=, ' ');
  g_assert_cmpstr (safe, !=, ".");
  g_assert_cmpstr (safe, !=, "..");

  for (const char *p = safe; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      g_assert_false (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f));
      g_assert_false (c == 0x2028 || c == 0x2029);
      g_assert_false ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069));
      g_assert_false (c == 0x200e || c == 0x200f || c == 0x061c);
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
  check ("a-b", "a-b");
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
test_leading_dash (void)
{
  /* Not an option to the next command that is given the name: the "-" becomes "_". */
  check ("-rf", "_rf");
  check ("--help", "_-help");
  check ("-", "_");
  check ("  -x.txt", "_x.txt");
  check (".-x", "_x");
  check ("a-", "a-");
}

static void
test_bidi (void)
{
  /* "invoice<RLO>fdp.exe" shows as "invoiceexe.pdf": the override becomes a visible "_". */
  check ("invoice\u202efdp.exe", "invoice_fdp.exe");
  check ("a\u202ab\u202bc\u202cd\u202de\u202ef", "a_b_c_d_e_f");
  check ("a\u2066b\u2067c\u2068d\u2069e", "a_b_c_d_e");
  /* The invisible marks are dropped; the text around them stays. */
  check ("\u05e9\u05dc\u05d5\u05dd\u200f.txt", "\u05e9\u05dc\u05d5\u05dd.txt");
  check ("a\u200eb\u061cc", "abc");
  /* Line and paragraph separators are line breaks. */
  check ("one\u2028two\u2029three", "one_two_three");
  /* A mark that hid a leading dot or dash does not save it. */
  check ("\u200e.hidden", "hidden");
  check ("\u200f-rf", "_rf");
  /* Letters of right-to-left scripts are of course kept. */
  check ("\u062a\u0642\u0631\u064a\u0631.pdf", "\u062a\u0642\u0631\u064a\u0631.pdf");
}

/* A name of exactly @total_bytes: @unit repeated, then @ext, with as many "x" in front as
 * the sizes need. */
static char *
long_name (const char *unit,
           gsize       total_bytes,
           const char *ext)
{
  gsize room = total_bytes - strlen (ext);
  GString *name = g_string_new (NULL);

  for (gsize i = 0; i < room % strlen (unit); i++)
    g_string_append_c (name, 'x');
  while (name->len < room)
    g_string_append (name, unit);
  g_string_append (name, ext);
  g_assert_cmpuint (name->len, ==, total_bytes);
  return g_string_free (name, FALSE);
}

/* @safe is @name cut on a character boundary before @ext, and as long as fits. */
static void
assert_cut (const char *safe,
            const char *name,
            const char *ext,
            gsize       unit_len)
{
  gsize len = strlen (safe);
  gsize stem = len - strlen (ext);

  assert_safe (safe);
  g_assert_true (g_str_has_suffix (safe, ext));
  /* Whole characters of the original, from its start. */
  g_assert_cmpmem (safe, stem, name, stem);
  g_assert_true (g_utf8_validate (safe, stem, NULL));
  /* Nothing wasted: not even one more character would have fitted. */
  g_assert_cmpuint (len, >, FERRY_FILENAME_MAX_BYTES - unit_len);
}

static void
test_long_names (void)
{
  static const struct { const char *unit; gsize bytes; const char *ext; } cases[] = {
    { "a", 251, ".txt" },
    { "a", 255, ".txt" },
    { "a", 256, ".txt" },
    { "a", 1000, ".txt" },
    { "a", 1024, ".txt" },
    { "a", 255, "" },
    { "a", 1000, "" },
    { "é", 255, ".pdf" },      /* 2 bytes: 251 is odd, so the cut falls inside an "é" */
    { "é", 1000, ".pdf" },
    { "é", 1000, "" },
    { "€", 1000, ".odt" },     /* 3 bytes */
    { "🚢", 255, ".png" },     /* 4 bytes */
    { "🚢", 1000, ".png" },
    { "🚢", 1000, "" },
    { "a🚢", 1000, ".jpeg" },
    { "xé🚢", 1000, ".tar.gz" },
    { "a", 1000, ".🎉" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = long_name (cases[i].unit, cases[i].bytes, cases[i].ext);
      g_autofree char *safe = ferry_filename_make_safe (name);

      g_test_message ("%s...%s, %zu bytes: %zu bytes", cases[i].unit, cases[i].ext,
                      cases[i].bytes, strlen (safe));
      assert_cut (safe, name, cases[i].ext, strlen (cases[i].unit));
    }
}

static void
test_long_name_ends (void)
{
  g_autoptr(GString) name = g_string_new ("x.");
  g_autofree char *safe = NULL;
  g_autofree char *spaced = NULL;
  g_autofree char *long_ext_name = long_name ("q", 1000, ".abcdefghijklmnopq");
  g_autofree char *spaced_ext_name = long_name ("r", 1000, ". final");
  g_autofree char *too_long_ext = NULL;
  g_autofree char *spaced_ext = NULL;

  /* A huge "extension" is just the end of the name. */
  for (int i = 0; i < 400; i++)
    g_string_append_c (name, 'y');
  safe = ferry_filename_make_safe (name->str);
  assert_safe (safe);
  g_assert_cmpuint (strlen (safe), ==, FERRY_FILENAME_MAX_BYTES);
  g_assert_true (g_str_has_prefix (safe, "x.yyy"));

  /* A cut that ends in spaces or dots loses them: "long .txt" would be odd. */
  g_string_assign (name, "");
  for (int i = 0; i < 240; i++)
    g_string_append_c (name, 'z');
  for (int i = 0; i < 20; i++)
    g_string_append (name, " .");
  g_string_append (name, ".txt");
  spaced = ferry_filename_make_safe (name->str);
  assert_safe (spaced);
  g_assert_true (g_str_has_suffix (spaced, "zzz.txt"));

  /* 17 bytes after the dot: not an extension, cut like the rest. */
  too_long_ext = ferry_filename_make_safe (long_ext_name);
  assert_safe (too_long_ext);
  g_assert_cmpuint (strlen (too_long_ext), ==, FERRY_FILENAME_MAX_BYTES);
  g_assert_null (strchr (too_long_ext, '.'));

  /* A space after the last dot: not an extension either. */
  spaced_ext = ferry_filename_make_safe (spaced_ext_name);
  assert_safe (spaced_ext);
  g_assert_cmpuint (strlen (spaced_ext), ==, FERRY_FILENAME_MAX_BYTES);
  g_assert_true (g_str_has_suffix (spaced_ext, "rrr"));
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
    { "archive.tar.gz", 1, "archive (1).tar.gz" },
    { "archive.TAR.xz", 2, "archive (2).TAR.xz" },
    { "my.tar.notes.txt", 1, "my.tar.notes (1).txt" },
    { ".tar.gz", 1, ".tar (1).gz" },
    { "v2. final draft", 1, "v2. final draft (1)" },
    { "photo.jpeg", 3, "photo (3).jpeg" },
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

/* Numbered names fit too, with ".part": the number replaces the end of the name. */
static void
test_numbered_long (void)
{
  static const struct { const char *unit; const char *ext; } cases[] = {
    { "a", ".txt" }, { "a", "" }, { "é", ".pdf" }, { "🚢", ".png" }, { "xé🚢", ".tar.gz" },
  };
  static const guint numbers[] = { 1, 2, 10, 9999, G_MAXUINT };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    for (gsize j = 0; j < G_N_ELEMENTS (numbers); j++)
      {
        g_autofree char *name = long_name (cases[i].unit, 1000, cases[i].ext);
        g_autofree char *safe = ferry_filename_make_safe (name);
        g_autofree char *numbered = ferry_filename_numbered (safe, numbers[j]);
        g_autofree char *middle = g_strdup_printf (" (%u)", numbers[j]);
        g_autofree char *tail = g_strconcat (middle, cases[i].ext, NULL);
        gsize stem = strlen (numbered) - strlen (tail);

        assert_safe (numbered);
        g_assert_true (g_str_has_suffix (numbered, tail));
        g_assert_cmpmem (numbered, stem, name, stem);
        g_assert_true (g_utf8_validate (numbered, stem, NULL));
        g_assert_cmpuint (strlen (numbered), >, FERRY_FILENAME_MAX_BYTES - strlen (cases[i].unit));
      }
}

static void
test_part_for (void)
{
  g_autoptr(GFile) dir = g_file_new_for_path ("/tmp/ferry-part-for");
  g_autoptr(GFile) short_final = g_file_get_child (dir, "a.txt");
  g_autoptr(GFile) short_part = ferry_filename_part_for (short_final);
  g_autofree char *short_base = g_file_get_basename (short_part);
  g_autoptr(GFile) long_parent = NULL;
  g_autofree char *name = long_name ("é", 255, ".pdf");
  g_autoptr(GFile) long_final = g_file_get_child (dir, name);
  g_autoptr(GFile) long_part = ferry_filename_part_for (long_final);
  g_autofree char *long_base = g_file_get_basename (long_part);

  g_assert_cmpstr (short_base, ==, "a.txt.part");

  /* A 255-byte name the person chose: its NAME.part is cut to fit. */
  long_parent = g_file_get_parent (long_part);
  g_assert_true (g_file_equal (long_parent, dir));
  g_assert_cmpuint (strlen (long_base), <=, 255);
  g_assert_true (g_str_has_suffix (long_base, "é.pdf.part"));
  g_assert_true (g_utf8_validate (long_base, -1, NULL));
}

/* Claims a name for @name in @dir, as a download does; returns its basename, after checking
 * that NAME.part now exists, empty. The stream is closed; the .part stays. */
static char *
unique_name (GFile      *dir,
             const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) part = NULL;
  g_autoptr(GFileOutputStream) stream = NULL;
  g_autoptr(GFile) file = ferry_filename_unique_in_dir (dir, name, &part, &stream, NULL, &error);
  g_autoptr(GFile) parent = NULL;
  g_autoptr(GFile) part_parent = NULL;
  g_autofree char *base = NULL;
  g_autofree char *part_base = NULL;
  g_autofree char *expected_part = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (file);
  g_assert_nonnull (stream);
  parent = g_file_get_parent (file);
  part_parent = g_file_get_parent (part);
  g_assert_true (g_file_equal (parent, dir));
  g_assert_true (g_file_equal (part_parent, dir));
  g_assert_false (g_file_query_exists (file, NULL));
  g_assert_true (g_file_query_exists (part, NULL));
  g_assert_true (g_output_stream_close (G_OUTPUT_STREAM (stream), NULL, NULL));

  base = g_file_get_basename (file);
  part_base = g_file_get_basename (part);
  expected_part = g_strconcat (base, ".part", NULL);
  g_assert_cmpuint (strlen (base), <=, FERRY_FILENAME_MAX_BYTES);
  g_assert_cmpstr (part_base, ==, expected_part);
  return g_steal_pointer (&base);
}

/* Claims a name and moves its .part into place at once, as a finished download does. */
static char *
save_as (GFile      *dir,
         const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) part = NULL;
  g_autoptr(GFileOutputStream) stream = NULL;
  g_autoptr(GFile) file = ferry_filename_unique_in_dir (dir, name, &part, &stream, NULL, &error);
  g_autoptr(GFile) saved = NULL;

  g_assert_no_error (error);
  g_assert_true (g_output_stream_close (G_OUTPUT_STREAM (stream), NULL, NULL));
  saved = ferry_filename_rename_unique (part, file, name, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_equal (saved, file));
  g_assert_false (g_file_query_exists (part, NULL));
  return g_file_get_basename (saved);
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
  g_autofree char *fourth = NULL;
  g_autofree char *other = NULL;
  g_autofree char *dangling = NULL;
  g_autofree char *link_path = NULL;

  g_assert_no_error (error);
  dir = g_file_new_for_path (tmp);

  first = save_as (dir, "a.txt");
  g_assert_cmpstr (first, ==, "a.txt");
  second = save_as (dir, "a.txt");
  g_assert_cmpstr (second, ==, "a (1).txt");

  /* A download in progress holds "a (2).txt.part": the next one takes "a (3).txt". */
  third = unique_name (dir, "a.txt");
  g_assert_cmpstr (third, ==, "a (2).txt");
  fourth = unique_name (dir, "a.txt");
  g_assert_cmpstr (fourth, ==, "a (3).txt");

  other = unique_name (dir, "b.txt");
  g_assert_cmpstr (other, ==, "b.txt");

  /* A dangling symbolic link occupies its name too. */
  link_path = g_build_filename (tmp, "c.txt", NULL);
  g_assert_cmpint (symlink ("does-not-exist", link_path), ==, 0);
  dangling = unique_name (dir, "c.txt");
  g_assert_cmpstr (dangling, ==, "c (1).txt");

  remove_tree (tmp);
}

/* 255- and 1,000-byte names, in ASCII, "é" and emoji, with and without an extension: each
 * saves three times as "name.ext", "name (1).ext" and "name (2).ext", and every one of them
 * and its NAME.part fits NAME_MAX. */
static void
test_unique_in_dir_long_names (void)
{
  static const struct { const char *unit; gsize bytes; const char *ext; } cases[] = {
    { "a", 255, ".txt" }, { "b", 1000, ".txt" }, { "c", 1000, "" }, { "d", 255, "" },
    { "é", 255, ".pdf" }, { "é", 1000, ".pdf" }, { "é", 1000, "" },
    { "🚢", 255, ".png" }, { "🚢", 1000, ".png" }, { "🚢", 1000, "" },
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("ferry-test-filename-XXXXXX", &error);
  g_autoptr(GFile) dir = NULL;

  g_assert_no_error (error);
  dir = g_file_new_for_path (tmp);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = long_name (cases[i].unit, cases[i].bytes, cases[i].ext);
      g_autofree char *safe = ferry_filename_make_safe (name);
      g_autofree char *first = save_as (dir, safe);
      g_autofree char *second = save_as (dir, safe);
      g_autofree char *third = save_as (dir, safe);
      g_autofree char *tail_1 = g_strconcat (" (1)", cases[i].ext, NULL);
      g_autofree char *tail_2 = g_strconcat (" (2)", cases[i].ext, NULL);

      g_assert_cmpstr (first, ==, safe);
      assert_cut (first, name, cases[i].ext, strlen (cases[i].unit));
      assert_safe (second);
      assert_safe (third);
      g_assert_true (g_str_has_suffix (second, tail_1));
      g_assert_true (g_str_has_suffix (third, tail_2));
      g_assert_cmpmem (second, strlen (second) - strlen (tail_1),
                       name, strlen (second) - strlen (tail_1));
      g_assert_cmpmem (third, strlen (third) - strlen (tail_2),
                       name, strlen (third) - strlen (tail_2));
    }
  remove_tree (tmp);
}

/* The claim is atomic: threads that claim the same name at the same moment all get a different
 * one. */
typedef struct
{
  GFile  *dir;
  char   *name;
  char   *claimed;
} ClaimData;

static gpointer
claim_thread (gpointer user_data)
{
  ClaimData *data = user_data;

  data->claimed = unique_name (data->dir, data->name);
  return NULL;
}

static void
test_unique_in_dir_concurrent (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("ferry-test-filename-XXXXXX", &error);
  g_autoptr(GFile) dir = NULL;
  g_autofree char *name = long_name ("🚢", 1000, ".png");
  g_autofree char *safe = ferry_filename_make_safe (name);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  ClaimData claims[8];
  GThread *threads[G_N_ELEMENTS (claims)];

  g_assert_no_error (error);
  dir = g_file_new_for_path (tmp);

  for (gsize i = 0; i < G_N_ELEMENTS (claims); i++)
    {
      claims[i] = (ClaimData) { dir, safe, NULL };
      threads[i] = g_thread_new ("claim", claim_thread, &claims[i]);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (claims); i++)
    {
      g_thread_join (threads[i]);
      g_assert_nonnull (claims[i].claimed);
      g_assert_true (g_hash_table_add (seen, claims[i].claimed));
    }
  for (gsize i = 0; i < G_N_ELEMENTS (claims); i++)
    g_free (claims[i].claimed);
  remove_tree (tmp);
}

static void
write_file (const char *path,
            const char *contents)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

/* The finished .part never replaces a file that took its name meanwhile: it takes the next
 * free name instead, and the other file keeps its contents. */
static void
test_rename_unique_never_overwrites (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("ferry-test-filename-XXXXXX", &error);
  g_autoptr(GFile) dir = NULL;
  g_autoptr(GFile) part = NULL;
  g_autoptr(GFileOutputStream) stream = NULL;
  g_autoptr(GFile) final = NULL;
  g_autoptr(GFile) saved = NULL;
  g_autofree char *final_path = NULL;
  g_autofree char *taken_path = NULL;
  g_autofree char *link_path = NULL;
  g_autofree char *saved_base = NULL;
  g_autofree char *contents = NULL;

  g_assert_no_error (error);
  dir = g_file_new_for_path (tmp);

  final = ferry_filename_unique_in_dir (dir, "r.txt", &part, &stream, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_output_stream_write_all (G_OUTPUT_STREAM (stream), "new", 3, NULL, NULL,
                                            NULL));
  g_assert_true (g_output_stream_close (G_OUTPUT_STREAM (stream), NULL, NULL));

  /* Meanwhile, someone else saves "r.txt" and "r (1).txt", and links "r (2).txt" nowhere. */
  final_path = g_file_get_path (final);
  write_file (final_path, "theirs");
  taken_path = g_build_filename (tmp, "r (1).txt", NULL);
  write_file (taken_path, "theirs too");
  link_path = g_build_filename (tmp, "r (2).txt", NULL);
  g_assert_cmpint (symlink ("nowhere", link_path), ==, 0);

  saved = ferry_filename_rename_unique (part, final, "r.txt", NULL, &error);
  g_assert_no_error (error);
  saved_base = g_file_get_basename (saved);
  g_assert_cmpstr (saved_base, ==, "r (3).txt");
  g_assert_false (g_file_query_exists (part, NULL));

  g_assert_true (g_file_get_contents (final_path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "theirs");
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (taken_path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "theirs too");
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_test (link_path, G_FILE_TEST_IS_SYMLINK));
  g_assert_false (g_file_test (link_path, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_load_contents (saved, NULL, &contents, NULL, NULL, NULL));
  g_assert_cmpstr (contents, ==, "new");

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
  g_test_add_func ("/filename/leading-dash", test_leading_dash);
  g_test_add_func ("/filename/bidi", test_bidi);
  g_test_add_func ("/filename/long-names", test_long_names);
  g_test_add_func ("/filename/long-name-ends", test_long_name_ends);
  g_test_add_func ("/filename/never-unsafe", test_never_unsafe);
  g_test_add_func ("/filename/numbered", test_numbered);
  g_test_add_func ("/filename/numbered-long", test_numbered_long);
  g_test_add_func ("/filename/part-for", test_part_for);
  g_test_add_func ("/filename/unique-in-dir", test_unique_in_dir);
  g_test_add_func ("/filename/unique-in-dir-long-names", test_unique_in_dir_long_names);
  g_test_add_func ("/filename/unique-in-dir-concurrent", test_unique_in_dir_concurrent);
  g_test_add_func ("/filename/rename-unique-never-overwrites",
                   test_rename_unique_never_overwrites);

  return g_test_run ();
}
