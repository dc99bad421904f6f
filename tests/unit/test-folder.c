/* test-folder.c: the folder stream — header rules against hostile input, the walk, the reader
 * from any offset, and the writer (escapes, links, resume)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-test-folder"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "ferry-error.h"
#include "ferry-folder-header.h"
#include "ferry-folder-fs.h"
#include "ferry-folder-input-stream.h"
#include "ferry-folder-scan.h"
#include "ferry-folder-output-stream.h"
#include "ferry-unit-test.h"

/* ---- building headers by hand ---------------------------------------------------------- */

typedef struct
{
  guint8      kind;
  guint8      flags;
  const char *path;
  gsize       path_len;   /* 0: strlen (path) */
  guint64     size;
} RawEntry;

static GByteArray *
raw_header (const RawEntry *entries,
            guint           n,
            guint32         count,
            guint64        *out_files,
            guint64        *out_content)
{
  GByteArray *out = g_byte_array_new ();
  guint32 be32;

  g_byte_array_append (out, (const guint8 *) "FERYTREE", 8);
  be32 = GUINT32_TO_BE (1);
  g_byte_array_append (out, (const guint8 *) &be32, 4);
  be32 = GUINT32_TO_BE (count);
  g_byte_array_append (out, (const guint8 *) &be32, 4);
  *out_files = 0;
  *out_content = 0;
  for (guint i = 0; i < n; i++)
    {
      gsize len = entries[i].path_len ? entries[i].path_len : strlen (entries[i].path);
      guint8 fixed[4] = { entries[i].kind, entries[i].flags, (guint8) (len >> 8),
                          (guint8) (len & 0xff) };
      guint64 be64 = GUINT64_TO_BE (entries[i].size);

      g_byte_array_append (out, fixed, 4);
      g_byte_array_append (out, (const guint8 *) entries[i].path, (guint) len);
      g_byte_array_append (out, (const guint8 *) &be64, 8);
      if (entries[i].kind == FERRY_FOLDER_ENTRY_FILE)
        {
          (*out_files)++;
          *out_content += entries[i].size;
        }
    }
  return out;
}

/* Feeds @bytes whole and one byte at a time against what they claim; both must agree. */
static gboolean
parse_raw (const guint8  *data,
           gsize          len,
           guint64        stream_size,
           guint32        files,
           guint64        content,
           GError       **error)
{
  g_autoptr(FerryFolderParser) whole = ferry_folder_parser_new (stream_size, files, content,
                                                                FALSE);
  g_autoptr(FerryFolderParser) bytewise = ferry_folder_parser_new (stream_size, files, content,
                                                                   TRUE);
  g_autoptr(GError) bytewise_error = NULL;
  gboolean ok_whole;
  gboolean ok_bytewise = TRUE;
  gsize used = 0;

  ok_whole = ferry_folder_parser_feed (whole, data, len, &used, error);
  for (gsize i = 0; i < len && ok_bytewise && !ferry_folder_parser_is_done (bytewise); i++)
    ok_bytewise = ferry_folder_parser_feed (bytewise, data + i, 1, NULL, &bytewise_error);
  g_assert_cmpint (ok_whole, ==, ok_bytewise);
  g_assert_cmpint (ferry_folder_parser_is_done (whole), ==,
                   ferry_folder_parser_is_done (bytewise));
  if (ok_whole && !ferry_folder_parser_is_done (whole))
    {
      g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_MALFORMED, "cut short");
      return FALSE;
    }
  return ok_whole;
}

/* The header as announced (option and size agree with it), expecting MALFORMED. */
static void
assert_refused (const RawEntry *entries,
                guint           n)
{
  guint64 files;
  guint64 content;
  g_autoptr(GByteArray) raw = raw_header (entries, n, n, &files, &content);
  g_autoptr(GError) error = NULL;

  g_assert_false (parse_raw (raw->data, raw->len, raw->len + content, (guint32) files, content,
                             &error));
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_MALFORMED);
}

static void
test_header_valid (void)
{
  const RawEntry entries[] = {
    { 2, 0, "a", 0, 0 },
    { 1, 1, "a/run.sh", 0, 10 },
    { 2, 0, "a/sub", 0, 0 },
    { 1, 0, "b:c\n\xe2\x80\xae.txt", 0, 5 },
    { 1, 0, "empty", 0, 0 },
  };
  guint64 files;
  guint64 content;
  g_autoptr(GByteArray) raw = raw_header (entries, G_N_ELEMENTS (entries),
                                          G_N_ELEMENTS (entries), &files, &content);
  g_autoptr(GBytes) bytes = g_bytes_new (raw->data, raw->len);
  g_autoptr(GBytes) again = NULL;
  g_autoptr(FerryFolderHeader) header = NULL;
  GError *error = NULL;

  g_assert_true (parse_raw (raw->data, raw->len, raw->len + content, 3, 15, &error));
  g_assert_no_error (error);

  header = ferry_folder_header_parse (bytes, raw->len + content, 3, 15, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (header->entries->len, ==, 5);
  g_assert_cmpuint (header->n_files, ==, 3);
  g_assert_cmpuint (header->content_size, ==, 15);
  g_assert_cmpuint (header->header_size, ==, raw->len);
  g_assert_cmpuint (((FerryFolderEntry *) header->entries->pdata[1])->start, ==, raw->len);
  g_assert_cmpuint (((FerryFolderEntry *) header->entries->pdata[3])->start, ==, raw->len + 10);

  again = ferry_folder_header_encode (header);
  g_assert_true (g_bytes_equal (bytes, again));

  /* The bytes after the header are not the parser's. */
  {
    g_autoptr(FerryFolderParser) parser = ferry_folder_parser_new (raw->len + 15, 3, 15, FALSE);
    g_autoptr(GByteArray) more = g_byte_array_new ();
    gsize used = 0;

    g_byte_array_append (more, raw->data, raw->len);
    g_byte_array_append (more, (const guint8 *) "0123456789abcde", 15);
    g_assert_true (ferry_folder_parser_feed (parser, more->data, more->len, &used, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (used, ==, raw->len);
    g_assert_true (ferry_folder_parser_is_done (parser));
  }
}

static void
test_header_hostile_paths (void)
{
  char long_part[300];
  g_autofree char *long_path = NULL;
  const RawEntry *cases[] = {
    (const RawEntry[]) { { 1, 0, "..", 0, 1 } },
    (const RawEntry[]) { { 1, 0, ".", 0, 1 } },
    (const RawEntry[]) { { 1, 0, "a/../../etc/passwd", 0, 1 } },
    (const RawEntry[]) { { 1, 0, "a/./b", 0, 1 } },
    (const RawEntry[]) { { 1, 0, "a//b", 0, 1 } },
    (const RawEntry[]) { { 1, 0, "/etc/passwd", 0, 1 } },
    (const RawEntry[]) { { 1, 0, "a/", 0, 1 } },
    (const RawEntry[]) { { 1, 0, "a\0b", 3, 1 } },
    (const RawEntry[]) { { 1, 0, "caf\xe9", 0, 1 } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_refused (cases[i], 1);

  {
    const RawEntry empty[] = { { 1, 0, "", 0, 1 } };
    guint64 files;
    guint64 content;
    g_autoptr(GByteArray) raw = raw_header (empty, 1, 1, &files, &content);
    g_autoptr(GError) error = NULL;

    /* A zero length in the entry (raw_header wrote strlen ("") = 0). */
    g_assert_false (parse_raw (raw->data, raw->len, raw->len + 1, 1, 1, &error));
    g_assert_error (error, FERRY_ERROR, FERRY_ERROR_MALFORMED);
  }

  memset (long_part, 'p', 256);
  long_part[256] = '\0';
  assert_refused ((const RawEntry[]) { { 1, 0, long_part, 0, 1 } }, 1);
  long_part[255] = '\0';
  {
    const RawEntry ok[] = { { 1, 0, long_part, 0, 1 } };
    guint64 files;
    guint64 content;
    g_autoptr(GByteArray) raw = raw_header (ok, 1, 1, &files, &content);
    GError *error = NULL;

    g_assert_true (parse_raw (raw->data, raw->len, raw->len + 1, 1, 1, &error));
    g_assert_no_error (error);
  }

  /* 4,097 bytes in parts of 255 and slashes. */
  {
    GString *s = g_string_new (NULL);

    while (s->len < 4097)
      {
        if (s->len)
          g_string_append_c (s, '/');
        g_string_append (s, long_part);
      }
    g_string_truncate (s, 4097);
    long_path = g_string_free (s, FALSE);
  }
  assert_refused ((const RawEntry[]) { { 1, 0, long_path, 0, 1 } }, 1);
  g_assert_false (ferry_folder_path_is_valid (long_path, strlen (long_path)));
  /* 4,096 bytes end in "/"; 4,095 are 16 parts of 255 bytes. */
  g_assert_false (ferry_folder_path_is_valid (long_path, 4096));
  g_assert_true (ferry_folder_path_is_valid (long_path, 4095));
}

static void
test_header_hostile_structure (void)
{
  /* Duplicates, unsorted, inside a file, folder with size, unknown kind and flags. */
  assert_refused ((const RawEntry[]) { { 1, 0, "a", 0, 1 }, { 1, 0, "a", 0, 1 } }, 2);
  assert_refused ((const RawEntry[]) { { 1, 0, "b", 0, 1 }, { 1, 0, "a", 0, 1 } }, 2);
  assert_refused ((const RawEntry[]) { { 1, 0, "a/b", 0, 1 }, { 2, 0, "a", 0, 0 } }, 2);
  assert_refused ((const RawEntry[]) { { 1, 0, "a", 0, 1 }, { 1, 0, "a/b", 0, 1 } }, 2);
  assert_refused ((const RawEntry[]) { { 1, 0, "a", 0, 1 }, { 1, 0, "a b", 0, 1 },
                                       { 1, 0, "a/b", 0, 1 } }, 3);
  assert_refused ((const RawEntry[]) { { 2, 0, "a", 0, 5 } }, 1);
  assert_refused ((const RawEntry[]) { { 3, 0, "a", 0, 1 } }, 1);
  assert_refused ((const RawEntry[]) { { 0, 0, "a", 0, 1 } }, 1);
  assert_refused ((const RawEntry[]) { { 1, 2, "a", 0, 1 } }, 1);
  assert_refused ((const RawEntry[]) { { 2, 1, "a", 0, 0 } }, 1);
}

static void
test_header_lies (void)
{
  const RawEntry entries[] = { { 1, 0, "a", 0, 7 }, { 1, 0, "b", 0, 9 } };
  guint64 files;
  guint64 content;
  g_autoptr(GByteArray) raw = raw_header (entries, 2, 2, &files, &content);
  g_autoptr(GByteArray) huge = raw_header (entries, 2, G_MAXUINT32, &files, &content);
  g_autoptr(GByteArray) more = raw_header (entries, 2, 3, &files, &content);
  guint64 size = raw->len + 16;
  struct { guint64 size; guint32 files; guint64 content; } lies[] = {
    { size, 1, 16 }, { size, 3, 16 }, { size, 2, 15 }, { size, 2, 17 },
    { size - 1, 2, 16 }, { size + 1, 2, 16 }, { 0, 2, 16 }, { G_MAXUINT64, 2, 16 },
    { size, 2, G_MAXUINT64 },
  };
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (lies); i++)
    {
      g_assert_false (parse_raw (raw->data, raw->len, lies[i].size, lies[i].files,
                                 lies[i].content, &error));
      g_assert_error (error, FERRY_ERROR, FERRY_ERROR_MALFORMED);
      g_clear_error (&error);
    }

  /* Truncated at every length: never done, never accepted. */
  for (guint cut = 0; cut < raw->len; cut++)
    {
      g_assert_false (parse_raw (raw->data, cut, size, 2, 16, &error));
      g_assert_error (error, FERRY_ERROR, FERRY_ERROR_MALFORMED);
      g_clear_error (&error);
    }

  /* A count of 2^32 − 1, and a count larger than the entries sent. */
  g_assert_false (parse_raw (huge->data, huge->len, size, 2, 16, &error));
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_false (parse_raw (more->data, more->len, size, 2, 16, &error));
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_MALFORMED);
  g_clear_error (&error);

  /* Bad magic and format. */
  raw->data[0] = 'X';
  g_assert_false (parse_raw (raw->data, raw->len, size, 2, 16, &error));
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_MALFORMED);
  g_clear_error (&error);
  raw->data[0] = 'F';
  raw->data[11] = 2;
  g_assert_false (parse_raw (raw->data, raw->len, size, 2, 16, &error));
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_MALFORMED);
}

static void
test_option_check (void)
{
  GError *error = NULL;

  g_assert_true (ferry_folder_option_check (16, 0, 0, &error));
  g_assert_no_error (error);
  g_assert_true (ferry_folder_option_check (1000, 3, 984, &error));
  g_assert_no_error (error);
  g_assert_false (ferry_folder_option_check (15, 0, 0, &error));
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_false (ferry_folder_option_check (1000, 3, 985, &error));
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_false (ferry_folder_option_check (G_MAXINT64, FERRY_FOLDER_MAX_ENTRIES + 1, 0,
                                             &error));
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_MALFORMED);
  g_clear_error (&error);
}

static void
test_header_too_big (void)
{
  /* 100,001 entries are refused from the count alone, before any entry arrives. */
  const RawEntry none[] = { { 1, 0, "a", 0, 0 } };
  guint64 files;
  guint64 content;
  g_autoptr(GByteArray) raw = raw_header (none, 0, FERRY_FOLDER_MAX_ENTRIES + 1, &files,
                                          &content);
  g_autoptr(FerryFolderParser) parser = ferry_folder_parser_new (G_MAXINT64, 0, 0, FALSE);
  g_autoptr(GError) error = NULL;

  g_assert_false (ferry_folder_parser_feed (parser, raw->data, raw->len, NULL, &error));
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_MALFORMED);
}

/* ---- a real tree ----------------------------------------------------------------------- */

static void
write_file (const char *dir,
            const char *rel,
            const char *content,
            int         mode)
{
  g_autofree char *path = g_build_filename (dir, rel, NULL);
  GError *error = NULL;

  g_file_set_contents (path, content, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
}

static char *
make_tree (void)
{
  char *dir = g_dir_make_tmp ("ferry-folder-XXXXXX", NULL);
  g_autofree char *sub = g_build_filename (dir, "sub/deeper", NULL);
  g_autofree char *empty = g_build_filename (dir, "empty", NULL);
  g_autofree char *link = g_build_filename (dir, "link", NULL);
  g_autofree char *fifo = g_build_filename (dir, "sub/fifo", NULL);

  g_assert_cmpint (g_mkdir_with_parents (sub, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (empty, 0755), ==, 0);
  write_file (dir, "a.txt", "hello", 0644);
  write_file (dir, "sub/run.sh", "#!/bin/sh\necho hi\n", 0755);
  write_file (dir, "sub/deeper/odd:name\nwith \xe2\x80\xae bidi", "odd", 0644);
  write_file (dir, "zero", "", 0644);
  g_assert_cmpint (symlink ("/etc/passwd", link), ==, 0);
  g_assert_cmpint (mkfifo (fifo, 0644), ==, 0);
  return dir;
}

static GBytes *
read_all (GInputStream *in)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  guint8 buffer[7];   /* small and odd: many reads cross an entry's end */
  GError *error = NULL;
  gssize n;

  while ((n = g_input_stream_read (in, buffer, sizeof buffer, NULL, &error)) > 0)
    g_byte_array_append (out, buffer, (guint) n);
  g_assert_no_error (error);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static FerryFolderScan *
scan_path (const char *dir)
{
  g_autoptr(GFile) file = g_file_new_for_path (dir);
  GError *error = NULL;
  FerryFolderScan *scan = ferry_folder_scan (file, NULL, &error);

  g_assert_no_error (error);
  return scan;
}

static void
test_scan_and_read (void)
{
  g_autofree char *dir = make_tree ();
  g_autoptr(FerryFolderScan) scan = scan_path (dir);
  g_autoptr(GFile) root = g_file_new_for_path (dir);
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GBytes) stream = NULL;
  g_autoptr(GBytes) header_bytes = ferry_folder_header_encode (scan->header);
  guint64 size = ferry_folder_header_stream_size (scan->header);
  const char *paths[] = { "a.txt", "empty", "sub", "sub/deeper",
                          "sub/deeper/odd:name\nwith \xe2\x80\xae bidi", "sub/run.sh", "zero" };
  GError *error = NULL;

  g_assert_cmpuint (scan->n_skipped, ==, 2);
  g_assert_true (g_strcmp0 (scan->first_skipped, "link") == 0 ||
                 g_strcmp0 (scan->first_skipped, "sub/fifo") == 0);
  g_assert_cmpuint (scan->header->entries->len, ==, G_N_ELEMENTS (paths));
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    g_assert_cmpstr (((FerryFolderEntry *) scan->header->entries->pdata[i])->path, ==,
                     paths[i]);
  g_assert_cmpuint (scan->header->n_files, ==, 4);
  g_assert_cmpuint (scan->header->content_size, ==, 5 + 3 + 18);
  g_assert_cmpuint (((FerryFolderEntry *) scan->header->entries->pdata[5])->flags, ==,
                    FERRY_FOLDER_FLAG_EXECUTABLE);

  /* The whole stream, then every suffix of it from its own offset. */
  in = ferry_folder_input_stream_new (root, ferry_folder_header_parse (header_bytes, size, 4, 26,
                                                                       &error), 0);
  g_assert_no_error (error);
  stream = read_all (in);
  g_assert_cmpuint (g_bytes_get_size (stream), ==, size);
  g_assert_cmpmem (g_bytes_get_data (stream, NULL), g_bytes_get_size (header_bytes),
                   g_bytes_get_data (header_bytes, NULL), g_bytes_get_size (header_bytes));
  for (guint64 offset = 0; offset <= size; offset++)
    {
      FerryFolderHeader *header = ferry_folder_header_parse (header_bytes, size, 4, 26, &error);
      g_autoptr(GInputStream) from = ferry_folder_input_stream_new (root, header, offset);
      g_autoptr(GBytes) tail = read_all (from);

      g_assert_cmpmem (g_bytes_get_data (tail, NULL), g_bytes_get_size (tail),
                       (const guint8 *) g_bytes_get_data (stream, NULL) + offset, size - offset);
    }

  /* A file that changed size since the walk. */
  {
    g_autoptr(FerryFolderScan) again = scan_path (dir);
    g_autoptr(GInputStream) changed = NULL;
    guint8 buffer[4096];
    gssize n;

    write_file (dir, "sub/run.sh", "#!/bin/sh\n", 0755);
    changed = ferry_folder_input_stream_new (root, g_steal_pointer (&again->header), 0);
    while ((n = g_input_stream_read (changed, buffer, sizeof buffer, NULL, &error)) > 0)
      ;
    g_assert_cmpint (n, ==, -1);
    g_assert_error (error, FERRY_ERROR, FERRY_ERROR_SIZE_MISMATCH);
    g_assert_nonnull (strstr (error->message, "sub/run.sh"));
    g_clear_error (&error);
  }

  ferry_test_remove_tree (dir);
}

/* ---- writing ------------------------------------------------------------------------- */

static void
assert_same_file (const char *a,
                  const char *b)
{
  g_autofree char *ca = NULL;
  g_autofree char *cb = NULL;
  gsize la = 0;
  gsize lb = 0;
  GError *error = NULL;

  g_file_get_contents (a, &ca, &la, &error);
  g_assert_no_error (error);
  g_file_get_contents (b, &cb, &lb, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (ca, la, cb, lb);
}

/* Writes @stream from @start on to @out in slices of @slice bytes. */
static gboolean
write_stream (GBytes       *stream,
              guint64       start,
              GOutputStream *out,
              gsize         slice,
              GError      **error)
{
  const guint8 *data = g_bytes_get_data (stream, NULL);
  gsize len = g_bytes_get_size (stream);

  for (gsize at = start; at < len; at += slice)
    if (!g_output_stream_write_all (out, data + at, MIN (slice, len - at), NULL, NULL, error))
      return FALSE;
  return TRUE;
}

static void
test_write_tree (void)
{
  g_autofree char *dir = make_tree ();
  g_autofree char *target = g_dir_make_tmp ("ferry-target-XXXXXX", NULL);
  g_autoptr(FerryFolderScan) scan = scan_path (dir);
  g_autoptr(GFile) root = g_file_new_for_path (dir);
  g_autoptr(GFile) target_file = g_file_new_for_path (target);
  guint64 size = ferry_folder_header_stream_size (scan->header);
  guint32 files = scan->header->n_files;
  guint64 content = scan->header->content_size;
  g_autoptr(GInputStream) in = ferry_folder_input_stream_new (root,
                                                              g_steal_pointer (&scan->header), 0);
  g_autoptr(GBytes) stream = read_all (in);
  g_autoptr(GOutputStream) out = NULL;
  g_autofree char *run = g_build_filename (target, "sub/run.sh", NULL);
  g_autofree char *odd = g_build_filename (target, "sub/deeper/odd:name_with _ bidi", NULL);
  g_autofree char *odd_src = g_build_filename (dir, "sub/deeper/odd:name\nwith \xe2\x80\xae bidi",
                                               NULL);
  g_autofree char *empty = g_build_filename (target, "empty", NULL);
  g_autofree char *zero = g_build_filename (target, "zero", NULL);
  g_autofree char *link = g_build_filename (target, "link", NULL);
  GError *error = NULL;
  struct stat st;

  out = ferry_folder_output_stream_new (target_file, size, files, content, &error);
  g_assert_no_error (error);
  write_stream (stream, 0, out, 5, &error);
  g_assert_no_error (error);
  g_assert_true (ferry_folder_output_stream_is_complete (FERRY_FOLDER_OUTPUT_STREAM (out)));
  g_assert_true (g_output_stream_close (out, NULL, &error));

  {
    g_autofree char *run_src = g_build_filename (dir, "sub/run.sh", NULL);

    assert_same_file (run, run_src);
  }
  assert_same_file (odd, odd_src);
  g_assert_true (g_file_test (empty, G_FILE_TEST_IS_DIR));
  g_assert_true (g_file_test (zero, G_FILE_TEST_IS_REGULAR));
  g_assert_false (g_file_test (link, G_FILE_TEST_EXISTS));
  g_assert_cmpint (g_stat (run, &st), ==, 0);
  g_assert_true (st.st_mode & S_IXUSR);
  g_assert_cmpint (g_stat (zero, &st), ==, 0);
  g_assert_false (st.st_mode & S_IXUSR);

  /* Resume from every offset of the content: the rebuilt hash and tree are the same. */
  for (guint64 offset = g_bytes_get_size (stream) - content; offset <= size; offset++)
    {
      g_autofree char *again = g_dir_make_tmp ("ferry-resume-XXXXXX", NULL);
      g_autoptr(GFile) again_file = g_file_new_for_path (again);
      g_autoptr(GOutputStream) first = ferry_folder_output_stream_new (again_file, size, files,
                                                                       content, &error);
      g_autoptr(GOutputStream) second = NULL;
      g_autoptr(FerryChecksum) rebuilt = ferry_checksum_new ();
      g_autoptr(FerryChecksum) whole = ferry_checksum_new ();
      g_autoptr(GBytes) prefix = g_bytes_new_from_bytes (stream, 0, offset);
      g_autoptr(GBytes) header = NULL;
      guint8 d1[32];
      guint8 d2[32];

      g_assert_no_error (error);
      write_stream (prefix, 0, first, 3, &error);
      g_assert_no_error (error);
      header = g_bytes_ref (ferry_folder_output_stream_get_header (
                              FERRY_FOLDER_OUTPUT_STREAM (first)));
      g_clear_object (&first);

      second = ferry_folder_output_stream_new_at (again_file, header, size, files, content,
                                                  offset, rebuilt, NULL, &error);
      g_assert_no_error (error);
      write_stream (stream, offset, second, 4, &error);
      g_assert_no_error (error);
      g_assert_true (ferry_folder_output_stream_is_complete (FERRY_FOLDER_OUTPUT_STREAM (second)));
      ferry_checksum_update (rebuilt, (const guint8 *) g_bytes_get_data (stream, NULL) + offset,
                             size - offset);
      ferry_checksum_update (whole, g_bytes_get_data (stream, NULL), size);
      ferry_checksum_finish (rebuilt, d1);
      ferry_checksum_finish (whole, d2);
      g_assert_cmpmem (d1, 32, d2, 32);
      {
        g_autofree char *r = g_build_filename (again, "sub/run.sh", NULL);
        g_autofree char *o = g_build_filename (again, "sub/deeper/odd:name_with _ bidi", NULL);
        g_autofree char *e = g_build_filename (again, "empty", NULL);

        assert_same_file (r, run);
        assert_same_file (o, odd);
        g_assert_true (g_file_test (e, G_FILE_TEST_IS_DIR));
      }
      g_assert_true (ferry_folder_remove_tree (again_file, &error));
      g_assert_no_error (error);
      g_assert_false (g_file_test (again, G_FILE_TEST_EXISTS));
    }

  g_assert_true (ferry_folder_remove_tree (target_file, &error));
  g_assert_no_error (error);
  ferry_test_remove_tree (dir);
}

/* A header and its content (bytes of "x") written into @target: the writer's error, if any. */
static GError *
write_raw (const char     *target,
           const RawEntry *entries,
           guint           n)
{
  guint64 files;
  guint64 content;
  g_autoptr(GByteArray) raw = raw_header (entries, n, n, &files, &content);
  g_autoptr(GFile) file = g_file_new_for_path (target);
  g_autoptr(GOutputStream) out = NULL;
  GError *error = NULL;

  for (guint64 i = 0; i < content; i++)
    g_byte_array_append (raw, (const guint8 *) "x", 1);
  out = ferry_folder_output_stream_new (file, raw->len, (guint32) files, content, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (out, raw->data, raw->len, NULL, NULL, &error);
  return error;
}

static gboolean
exists_in (const char *dir,
           const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static void
test_write_escapes (void)
{
  g_autofree char *target = g_dir_make_tmp ("ferry-target-XXXXXX", NULL);
  g_autofree char *outside = g_dir_make_tmp ("ferry-outside-XXXXXX", NULL);
  g_autofree char *sub = g_build_filename (target, "sub", NULL);
  g_autofree char *f = g_build_filename (target, "f", NULL);
  g_autofree char *victim = g_build_filename (outside, "victim", NULL);
  g_autoptr(GDir) listing = NULL;
  GError *error;

  /* Names that are paths elsewhere become plain names here. */
  error = write_raw (target, (const RawEntry[]) { { 1, 0, "-rf", 0, 1 },
                                                  { 1, 0, "..\\..\\evil", 0, 2 },
                                                  { 1, 0, "\xe2\x80\xae" "gpj.exe", 0, 1 } }, 3);
  g_assert_no_error (error);
  g_assert_true (exists_in (target, "_.._evil"));
  g_assert_true (exists_in (target, "_gpj.exe"));
  g_assert_true (exists_in (target, "_rf"));
  ferry_test_remove_tree (target);
  g_assert_cmpint (g_mkdir (target, 0700), ==, 0);

  /* Two names that are made the same locally are refused. */
  error = write_raw (target, (const RawEntry[]) { { 1, 0, "a", 0, 1 }, { 1, 0, "a.", 0, 1 } },
                     2);
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_INVALID_NAME);
  g_clear_error (&error);
  ferry_test_remove_tree (target);
  g_assert_cmpint (g_mkdir (target, 0700), ==, 0);

  /* A symbolic link already in the target is never followed, as a folder or as a file. */
  g_assert_cmpint (symlink (outside, sub), ==, 0);
  g_assert_cmpint (symlink (victim, f), ==, 0);
  error = write_raw (target, (const RawEntry[]) { { 1, 0, "sub/x", 0, 3 } }, 1);
  g_assert_nonnull (error);
  g_clear_error (&error);
  error = write_raw (target, (const RawEntry[]) { { 2, 0, "sub", 0, 0 } }, 1);
  g_assert_nonnull (error);
  g_clear_error (&error);
  error = write_raw (target, (const RawEntry[]) { { 1, 0, "f", 0, 3 } }, 1);
  g_assert_nonnull (error);
  g_clear_error (&error);
  listing = g_dir_open (outside, 0, NULL);
  g_assert_null (g_dir_read_name (listing));

  ferry_test_remove_tree (target);
  ferry_test_remove_tree (outside);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/folder/header/valid", test_header_valid);
  g_test_add_func ("/folder/header/hostile-paths", test_header_hostile_paths);
  g_test_add_func ("/folder/header/hostile-structure", test_header_hostile_structure);
  g_test_add_func ("/folder/header/lies", test_header_lies);
  g_test_add_func ("/folder/header/too-big", test_header_too_big);
  g_test_add_func ("/folder/option-check", test_option_check);
  g_test_add_func ("/folder/scan-and-read", test_scan_and_read);
  g_test_add_func ("/folder/write/tree", test_write_tree);
  g_test_add_func ("/folder/write/escapes", test_write_escapes);

  return g_test_run ();
}
