/* test-zip-stream.c: FerryZipInputStream, checked by Python's zipfile and Info-ZIP's unzip
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ferry-error.h"
#include "ferry-folder-header.h"
#include "ferry-unit-test.h"
#include "web/ferry-zip-stream-private.h"

#define CREATED       G_GINT64_CONSTANT (1700000000)
#define CREATED_TEXT  "2023-11-14 22:13:20"

typedef struct
{
  FerryFolderEntryKind  kind;
  guint8                flags;
  const char           *path;
  gsize                 size;
  const char           *zip_path;   /* below the root in the archive; NULL: the same as path */
} Spec;

/* A folder stream built in memory, what its offer announces, and the lines check-zip.py must
 * print for its archive (without the ZIP64 column). */
typedef struct
{
  GBytes    *stream;
  guint32    n_files;
  guint64    content_size;
  GPtrArray *expected;
  GArray    *sizes;      /* guint64, per line */
} Folder;

static void
folder_free (Folder *folder)
{
  g_bytes_unref (folder->stream);
  g_ptr_array_unref (folder->expected);
  g_array_unref (folder->sizes);
  g_free (folder);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Folder, folder_free)

static GBytes *
content_for (const char *path,
             gsize       size)
{
  guint8 *data = g_malloc (size + 1);
  guint seed = g_str_hash (path);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) ((i * 131 + seed + i / 251) & 0xff);
  return g_bytes_new_take (data, size);
}

static void
expect (Folder     *folder,
        const char *name,
        const char *kind,
        guint64     size,
        GBytes     *content,
        const char *mode)
{
  g_autofree char *sha = NULL;

  if (content)
    sha = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, content);
  else
    sha = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guint8 *) "", 0);
  g_ptr_array_add (folder->expected,
                   g_strdup_printf ("%s\t%s\t%" G_GUINT64_FORMAT "\t%s\t%s\t%s",
                                    name, kind, size, sha, mode, CREATED_TEXT));
  g_array_append_val (folder->sizes, size);
}

/* @specs must be in the protocol's order (the test checks it), @zip_root is the root's name in
 * the archive. */
static Folder *
folder_new (const Spec *specs,
            guint       n_specs,
            const char *zip_root)
{
  g_autoptr(FerryFolderHeader) header = ferry_folder_header_new ();
  g_autoptr(GByteArray) stream = g_byte_array_new ();
  g_autoptr(GBytes) header_bytes = NULL;
  g_autofree char *root_line = g_strconcat (zip_root, "/", NULL);
  Folder *folder = g_new0 (Folder, 1);

  folder->expected = g_ptr_array_new_with_free_func (g_free);
  folder->sizes = g_array_new (FALSE, FALSE, sizeof (guint64));
  for (guint i = 0; i < n_specs; i++)
    ferry_folder_header_add (header, specs[i].kind, specs[i].flags, specs[i].path,
                             specs[i].size);
  ferry_folder_header_sort (header);
  header_bytes = ferry_folder_header_encode (header);
  g_byte_array_append (stream, g_bytes_get_data (header_bytes, NULL),
                       (guint) g_bytes_get_size (header_bytes));

  expect (folder, root_line, "folder", 0, NULL, "40755");
  for (guint i = 0; i < n_specs; i++)
    {
      const FerryFolderEntry *entry = g_ptr_array_index (header->entries, i);
      const char *zip_path = specs[i].zip_path ? specs[i].zip_path : specs[i].path;
      g_autofree char *name = NULL;

      g_assert_cmpstr (entry->path, ==, specs[i].path);
      if (specs[i].kind == FERRY_FOLDER_ENTRY_FOLDER)
        {
          name = g_strconcat (zip_root, "/", zip_path, "/", NULL);
          expect (folder, name, "folder", 0, NULL, "40755");
        }
      else
        {
          g_autoptr(GBytes) content = content_for (specs[i].path, specs[i].size);
          gboolean executable = (specs[i].flags & FERRY_FOLDER_FLAG_EXECUTABLE) != 0;

          name = g_strconcat (zip_root, "/", zip_path, NULL);
          expect (folder, name, "file", specs[i].size, content,
                  executable ? "100755" : "100644");
          g_byte_array_append (stream, g_bytes_get_data (content, NULL), (guint) specs[i].size);
        }
    }
  folder->n_files = header->n_files;
  folder->content_size = header->content_size;
  folder->stream = g_byte_array_free_to_bytes (g_steal_pointer (&stream));
  return folder;
}

static FerryZipInputStream *
zip_open (GBytes       *stream,
          const Folder *folder,
          const char   *name,
          guint64       limit,
          GError      **error)
{
  g_autoptr(GInputStream) in = g_memory_input_stream_new_from_bytes (stream);

  return ferry_zip_input_stream_new_full (in, g_bytes_get_size (folder->stream),
                                          folder->n_files, folder->content_size, name, CREATED,
                                          limit, NULL, error);
}

/* Reads @zip to its end in reads of changing sizes, so that reads end everywhere: inside
 * records, inside data, at the ends of both. Stops at the first error. */
static GBytes *
read_all (FerryZipInputStream  *zip,
          GError              **error)
{
  static const gsize sizes[] = { 1, 7, 4096, 65536, 100003, 30 };
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autofree guint8 *buffer = g_malloc (100003);
  gssize n;

  for (guint i = 0;; i++)
    {
      n = g_input_stream_read (G_INPUT_STREAM (zip), buffer, sizes[i % G_N_ELEMENTS (sizes)],
                               NULL, error);
      if (n <= 0)
        break;
      g_byte_array_append (out, buffer, (guint) n);
    }
  if (n < 0)
    return NULL;
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/* The archive of @folder, whose length must be the one announced. */
static GBytes *
zip_folder (const Folder *folder,
            const char   *name,
            guint64       limit)
{
  GError *error = NULL;
  g_autoptr(FerryZipInputStream) zip = zip_open (folder->stream, folder, name, limit, &error);
  g_autoptr(GBytes) bytes = NULL;

  g_assert_no_error (error);
  bytes = read_all (zip, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, ferry_zip_input_stream_get_length (zip));
  g_input_stream_close (G_INPUT_STREAM (zip), NULL, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&bytes);
}

static char *
run_ok (const char * const *argv)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  GError *error = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_test_message ("%s failed: %s%s", argv[0], out, err);
  g_assert_no_error (error);
  return g_steal_pointer (&out);
}

/* Checks @zip with both readers, against @folder; with ZIP64 at @limit, every entry at least
 * that big has a ZIP64 field (and none at all with the real limit). Returns whether the
 * archive has the ZIP64 end records. @dir is a scratch folder. */
static gboolean
check_archive (const Folder *folder,
               GBytes       *zip,
               guint64       limit,
               const char   *dir)
{
  g_autofree char *path = g_build_filename (dir, "archive.zip", NULL);
  g_autofree char *script = g_build_filename (g_getenv ("FERRY_SOURCE_DIR"), "tests", "unit",
                                              "check-zip.py", NULL);
  const char *python[] = { "python3", script, path, NULL };
  const char *unzip[] = { "unzip", "-tqq", path, NULL };
  g_autofree char *listing = NULL;
  g_autofree char *unzip_out = NULL;
  g_auto(GStrv) lines = NULL;
  GError *error = NULL;
  guint n_lines;

  g_file_set_contents (path, g_bytes_get_data (zip, NULL), (gssize) g_bytes_get_size (zip),
                       &error);
  g_assert_no_error (error);

  listing = run_ok (python);
  lines = g_strsplit (listing, "\n", -1);
  n_lines = g_strv_length (lines);
  /* one per entry, "end64", and the empty string after the last newline */
  g_assert_cmpuint (n_lines, ==, folder->expected->len + 2);
  for (guint i = 0; i < folder->expected->len; i++)
    {
      char *zip64 = strrchr (lines[i], '\t');
      guint64 size = g_array_index (folder->sizes, guint64, i);

      g_assert_nonnull (zip64);
      *zip64++ = '\0';
      g_assert_cmpstr (lines[i], ==, g_ptr_array_index (folder->expected, i));
      if (limit == FERRY_ZIP_LIMIT)
        g_assert_cmpstr (zip64, ==, "0");
      else if (size >= limit)
        g_assert_cmpstr (zip64, ==, "1");
    }
  g_assert_true (g_str_has_prefix (lines[n_lines - 2], "end64\t"));

  unzip_out = run_ok (unzip);
  g_assert_cmpstr (unzip_out, ==, "");
  g_assert_cmpint (g_unlink (path), ==, 0);
  return g_str_equal (lines[n_lines - 2], "end64\t1");
}

/* ---- archives ------------------------------------------------------------------------------ */

static const Spec tree[] = {
  { FERRY_FOLDER_ENTRY_FILE, 0, "a.txt", 5, NULL },
  { FERRY_FOLDER_ENTRY_FILE, 0, "big.bin", 300000, NULL },
  { FERRY_FOLDER_ENTRY_FOLDER, 0, "docs", 0, NULL },
  { FERRY_FOLDER_ENTRY_FOLDER, 0, "docs/empty", 0, NULL },
  { FERRY_FOLDER_ENTRY_FILE, 0, "docs/notes.md", 70000, NULL },
  { FERRY_FOLDER_ENTRY_FILE, FERRY_FOLDER_FLAG_EXECUTABLE, "run.sh", 20, NULL },
  { FERRY_FOLDER_ENTRY_FILE, 0, "sub/deep/x.txt", 1000, NULL },   /* parents not listed */
  { FERRY_FOLDER_ENTRY_FILE, 0, "zero", 0, NULL },
};

static void
assert_extracted (const char *dir,
                  const Spec *spec)
{
  g_autofree char *path = g_build_filename (dir, "Photos", spec->path, NULL);
  g_autoptr(GBytes) want = content_for (spec->path, spec->size);
  g_autofree char *got = NULL;
  gsize got_len = 0;
  GError *error = NULL;
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint ((gint64) st.st_mtime, ==, CREATED);
  if (spec->kind == FERRY_FOLDER_ENTRY_FOLDER)
    {
      g_assert_true (S_ISDIR (st.st_mode));
      return;
    }
  g_assert_true (S_ISREG (st.st_mode));
  g_assert_cmpint ((st.st_mode & 0100) != 0, ==,
                   (spec->flags & FERRY_FOLDER_FLAG_EXECUTABLE) != 0);
  g_file_get_contents (path, &got, &got_len, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (got, got_len, g_bytes_get_data (want, NULL), g_bytes_get_size (want));
}

static void
test_tree (void)
{
  g_autoptr(Folder) folder = folder_new (tree, G_N_ELEMENTS (tree), "Photos");
  g_autoptr(GBytes) zip = zip_folder (folder, "Photos", FERRY_ZIP_LIMIT);
  g_autoptr(GBytes) again = zip_folder (folder, "Photos", FERRY_ZIP_LIMIT);
  g_autofree char *dir = g_dir_make_tmp ("ferry-zip-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "tree.zip", NULL);
  const char *unzip[] = { "unzip", "-qq", path, "-d", dir, NULL };
  GError *error = NULL;

  /* The same offer gives the same bytes. */
  g_assert_true (g_bytes_equal (zip, again));
  g_assert_false (check_archive (folder, zip, FERRY_ZIP_LIMIT, dir));

  /* Unzipping gives one folder holding the tree, with its modes and the offer's time. */
  g_file_set_contents (path, g_bytes_get_data (zip, NULL), (gssize) g_bytes_get_size (zip),
                       &error);
  g_assert_no_error (error);
  g_free (run_ok (unzip));
  g_assert_cmpint (g_unlink (path), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (tree); i++)
    assert_extracted (dir, &tree[i]);
  ferry_test_remove_tree (dir);
}

#define LONG_X   "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"   /* 59 */
#define LONG_E   "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
/* 251 + 4 and 236 + 4 bytes; 127 é + "z" (255 bytes), and 120 é (240) */
#define PART_255_X  LONG_X LONG_X LONG_X LONG_X "xxxxxxxxxxxxxxx" ".txt"
#define PART_240_X  LONG_X LONG_X LONG_X LONG_X ".txt"
#define PART_255_E  LONG_E LONG_E LONG_E LONG_E LONG_E LONG_E \
                    LONG_E LONG_E LONG_E LONG_E LONG_E LONG_E "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" \
                    "\xc3\xa9\xc3\xa9\xc3\xa9" "z"
#define PART_240_E  LONG_E LONG_E LONG_E LONG_E LONG_E LONG_E \
                    LONG_E LONG_E LONG_E LONG_E LONG_E LONG_E

static void
test_names (void)
{
  static const Spec names[] = {
    { FERRY_FOLDER_ENTRY_FILE, 0, " leading space", 3, "leading space" },
    { FERRY_FOLDER_ENTRY_FILE, 0, "-flag.txt", 3, "_flag.txt" },
    { FERRY_FOLDER_ENTRY_FILE, 0, "a b  c.txt", 3, NULL },
    { FERRY_FOLDER_ENTRY_FILE, 0, "a\\b.txt", 3, "a_b.txt" },
    { FERRY_FOLDER_ENTRY_FILE, 0, "long/" PART_255_X, 9, "long/" PART_240_X },
    { FERRY_FOLDER_ENTRY_FILE, 0, "long/" PART_255_E, 9, "long/" PART_240_E },
    { FERRY_FOLDER_ENTRY_FILE, 0, "new\nline", 1, "new_line" },
    { FERRY_FOLDER_ENTRY_FILE, 0, "trailing dot.", 4, "trailing dot" },
    { FERRY_FOLDER_ENTRY_FILE, 0, "\xc3\xa9moji \xf0\x9f\x8e\x89.txt", 5, NULL },
    { FERRY_FOLDER_ENTRY_FOLDER, 0, "\xe6\x97\xa5\xe6\x9c\xac", 0, NULL },
    { FERRY_FOLDER_ENTRY_FILE, 0, "\xe6\x97\xa5\xe6\x9c\xac/\xe8\xaa\x9e.txt", 6, NULL },
  };
  const char *zip_root = "Trip: 2024_\xc3\x9cn\xc3\xaf" "code";
  g_autoptr(Folder) folder = folder_new (names, G_N_ELEMENTS (names), zip_root);
  g_autoptr(GBytes) zip = zip_folder (folder, "Trip: 2024/\xc3\x9cn\xc3\xaf" "code",
                                      FERRY_ZIP_LIMIT);
  g_autofree char *dir = g_dir_make_tmp ("ferry-zip-XXXXXX", NULL);

  g_assert_cmpuint (strlen (PART_255_X), ==, 255);
  g_assert_cmpuint (strlen (PART_255_E), ==, 255);
  g_assert_false (check_archive (folder, zip, FERRY_ZIP_LIMIT, dir));
  ferry_test_remove_tree (dir);
}

static void
test_single_empty_file (void)
{
  static const Spec one[] = { { FERRY_FOLDER_ENTRY_FILE, 0, "empty", 0, NULL } };
  g_autoptr(Folder) folder = folder_new (one, G_N_ELEMENTS (one), "e");
  g_autoptr(GBytes) zip = zip_folder (folder, "e", FERRY_ZIP_LIMIT);
  g_autofree char *dir = g_dir_make_tmp ("ferry-zip-XXXXXX", NULL);

  g_assert_false (check_archive (folder, zip, FERRY_ZIP_LIMIT, dir));
  ferry_test_remove_tree (dir);
}

/* ZIP64 without 4 GiB: the threshold lowered, down to every field and the entry count. */
static void
test_zip64 (void)
{
  static const guint64 limits[] = { 0, 5, 1000, 300000, 300001 };
  g_autoptr(Folder) folder = folder_new (tree, G_N_ELEMENTS (tree), "Photos");
  g_autoptr(GBytes) plain = zip_folder (folder, "Photos", FERRY_ZIP_LIMIT);
  g_autofree char *dir = g_dir_make_tmp ("ferry-zip-XXXXXX", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (limits); i++)
    {
      g_autoptr(GBytes) zip = zip_folder (folder, "Photos", limits[i]);

      g_test_message ("ZIP64 from %" G_GUINT64_FORMAT, limits[i]);
      g_assert_cmpuint (g_bytes_get_size (zip), >, g_bytes_get_size (plain));
      g_assert_true (check_archive (folder, zip, limits[i], dir));
    }
  ferry_test_remove_tree (dir);
}

/* The real threshold of the entry count: 65,535 entries (0xFFFF, the mark) take the ZIP64 end
 * records, one less does not. Python takes seconds over so many, so unzip checks these. */
static void
test_many_entries (void)
{
  g_autofree char *dir = g_dir_make_tmp ("ferry-zip-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "many.zip", NULL);
  const char *unzip[] = { "unzip", "-tqq", path, NULL };
  const char *zipinfo[] = { "zipinfo", "-h", path, NULL };

  for (guint n = FERRY_ZIP_COUNT_LIMIT - 2; n <= FERRY_ZIP_COUNT_LIMIT - 1; n++)
    {
      g_autofree Spec *specs = g_new0 (Spec, n);
      g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(Folder) folder = NULL;
      g_autoptr(GBytes) zip = NULL;
      g_autofree char *unzip_out = NULL;
      g_autofree char *info = NULL;
      g_autofree char *count_line = NULL;
      gboolean zip64 = n + 1 == FERRY_ZIP_COUNT_LIMIT;   /* the root is an entry too */
      const guint8 *end;
      gsize len;
      GError *error = NULL;

      for (guint i = 0; i < n; i++)
        {
          char *file = g_strdup_printf ("f%05u", i);

          g_ptr_array_add (paths, file);
          specs[i] = (Spec) { FERRY_FOLDER_ENTRY_FILE, 0, file, i % 3, NULL };
        }
      folder = folder_new (specs, n, "many");
      zip = zip_folder (folder, "many", FERRY_ZIP_LIMIT);

      /* The end record counts 0xFFFF (see ZIP64) or the entries, after a locator or not. */
      end = g_bytes_get_data (zip, &len);
      g_assert_cmpuint (len, >, 22 + 20);
      g_assert_cmpmem (end + len - 22, 4, "PK\x05\x06", 4);
      g_assert_cmpuint (end[len - 22 + 10] | (end[len - 22 + 11] << 8), ==,
                        zip64 ? 0xffff : n + 1);
      g_assert_cmpint (memcmp (end + len - 22 - 20, "PK\x06\x07", 4) == 0, ==, zip64);

      g_file_set_contents (path, (const char *) end, (gssize) len, &error);
      g_assert_no_error (error);
      unzip_out = run_ok (unzip);
      g_assert_cmpstr (unzip_out, ==, "");
      info = run_ok (zipinfo);
      count_line = g_strdup_printf ("number of entries: %u\n", n + 1);
      g_assert_true (g_str_has_suffix (info, count_line));
      g_assert_cmpint (g_unlink (path), ==, 0);
    }
  ferry_test_remove_tree (dir);
}

/* ---- from the main loop ------------------------------------------------------------------- */

static void
store_result_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (!*slot)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static void
test_async (void)
{
  g_autoptr(Folder) folder = folder_new (tree, G_N_ELEMENTS (tree), "Photos");
  g_autoptr(GBytes) want = zip_folder (folder, "Photos", FERRY_ZIP_LIMIT);
  g_autoptr(GInputStream) in = g_memory_input_stream_new_from_bytes (folder->stream);
  g_autoptr(GByteArray) got = g_byte_array_new ();
  g_autoptr(FerryZipInputStream) zip = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  GError *error = NULL;
  guint reads = 0;

  ferry_zip_input_stream_new_async (in, g_bytes_get_size (folder->stream), folder->n_files,
                                    folder->content_size, "Photos", CREATED, G_PRIORITY_DEFAULT,
                                    NULL, store_result_cb, &result);
  zip = ferry_zip_input_stream_new_finish (wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ferry_zip_input_stream_get_length (zip), ==, g_bytes_get_size (want));

  for (;;)
    {
      g_autoptr(GBytes) chunk = NULL;

      g_clear_object (&result);
      g_input_stream_read_bytes_async (G_INPUT_STREAM (zip), 65536, G_PRIORITY_DEFAULT, NULL,
                                       store_result_cb, &result);
      chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (zip), wait_for (&result),
                                                &error);
      g_assert_no_error (error);
      if (g_bytes_get_size (chunk) == 0)
        break;
      g_byte_array_append (got, g_bytes_get_data (chunk, NULL), (guint) g_bytes_get_size (chunk));
      g_assert_cmpuint (++reads, <, 1000);
    }
  g_assert_cmpmem (got->data, got->len, g_bytes_get_data (want, NULL), g_bytes_get_size (want));

  g_clear_object (&result);
  g_input_stream_close_async (G_INPUT_STREAM (zip), G_PRIORITY_DEFAULT, NULL, store_result_cb,
                              &result);
  g_input_stream_close_finish (G_INPUT_STREAM (zip), wait_for (&result), &error);
  g_assert_no_error (error);
  /* Closing the zip closed the folder stream. */
  g_assert_true (g_input_stream_is_closed (in));
}

/* ---- lies and breakage -------------------------------------------------------------------- */

static GBytes *
edited (GBytes     *bytes,
        gsize       keep,
        const char *append)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();

  g_byte_array_append (out, g_bytes_get_data (bytes, NULL), (guint) keep);
  g_byte_array_append (out, (const guint8 *) append, (guint) strlen (append));
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static void
assert_open_fails (GBytes       *stream,
                   const Folder *folder,
                   GQuark        domain,
                   int           code)
{
  g_autoptr(GInputStream) in = g_memory_input_stream_new_from_bytes (stream);
  GError *error = NULL;
  FerryZipInputStream *zip;

  zip = ferry_zip_input_stream_new_full (in, g_bytes_get_size (folder->stream), folder->n_files,
                                         folder->content_size, "x", CREATED, FERRY_ZIP_LIMIT,
                                         NULL, &error);
  g_assert_error (error, domain, code);
  g_assert_null (zip);
  g_assert_false (g_input_stream_is_closed (in));
  g_clear_error (&error);
}

/* Opening works, reading fails with @code, and every read after it fails too. */
static void
assert_read_fails (GBytes       *stream,
                   const Folder *folder,
                   int           code)
{
  GError *error = NULL;
  g_autoptr(FerryZipInputStream) zip = zip_open (stream, folder, "x", FERRY_ZIP_LIMIT, &error);
  g_autoptr(GBytes) bytes = NULL;
  guint8 byte;

  g_assert_no_error (error);
  bytes = read_all (zip, &error);
  g_assert_error (error, FERRY_ERROR, code);
  g_assert_null (bytes);
  g_clear_error (&error);
  g_assert_cmpint (g_input_stream_read (G_INPUT_STREAM (zip), &byte, 1, NULL, &error), ==, -1);
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_FAILED);
  g_clear_error (&error);
}

static void
test_malformed (void)
{
  static const Spec clash[] = {
    { FERRY_FOLDER_ENTRY_FILE, 0, "a\\b", 1, NULL },
    { FERRY_FOLDER_ENTRY_FILE, 0, "a_b", 1, NULL },
  };
  static const Spec small_tree[] = { { FERRY_FOLDER_ENTRY_FILE, 0, "f", 10, NULL } };
  g_autoptr(Folder) folder = folder_new (tree, G_N_ELEMENTS (tree), "Photos");
  g_autoptr(Folder) clashing = folder_new (clash, G_N_ELEMENTS (clash), "x");
  g_autoptr(Folder) small = folder_new (small_tree, G_N_ELEMENTS (small_tree), "x");
  gsize small_size = g_bytes_get_size (small->stream);
  GBytes *stream = folder->stream;
  gsize size = g_bytes_get_size (stream);
  g_autoptr(GBytes) empty = edited (stream, 0, "");
  g_autoptr(GBytes) cut_in_header = edited (stream, 40, "");
  g_autoptr(GBytes) bad_magic = edited (stream, 0, "FERYTRE!");
  g_autoptr(GBytes) cut_in_content = edited (stream, size - 100, "");
  g_autoptr(GBytes) longer = edited (stream, size, "!");
  g_autoptr(GBytes) small_cut = edited (small->stream, small_size - 3, "");
  g_autoptr(GBytes) small_longer = edited (small->stream, small_size, "!");
  g_autoptr(GInputStream) in = g_memory_input_stream_new_from_bytes (stream);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  GError *error = NULL;
  FerryZipInputStream *zip;
  guint8 buffer[100];

  assert_open_fails (empty, folder, FERRY_ERROR, FERRY_ERROR_MALFORMED);
  assert_open_fails (cut_in_header, folder, FERRY_ERROR, FERRY_ERROR_MALFORMED);
  assert_open_fails (bad_magic, folder, FERRY_ERROR, FERRY_ERROR_MALFORMED);
  /* Two names that end up the same once made safe. */
  assert_open_fails (clashing->stream, clashing, FERRY_ERROR, FERRY_ERROR_INVALID_NAME);

  /* The offer announces other totals than the header's. */
  zip = ferry_zip_input_stream_new_full (in, size, folder->n_files + 1, folder->content_size,
                                         "x", CREATED, FERRY_ZIP_LIMIT, NULL, &error);
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_MALFORMED);
  g_assert_null (zip);
  g_clear_error (&error);
  g_seekable_seek (G_SEEKABLE (in), 0, G_SEEK_SET, NULL, &error);
  g_assert_no_error (error);
  zip = ferry_zip_input_stream_new_full (in, size + 1, folder->n_files, folder->content_size,
                                         "x", CREATED, FERRY_ZIP_LIMIT, NULL, &error);
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_MALFORMED);
  g_assert_null (zip);
  g_clear_error (&error);

  /* Cancelled before it starts. */
  g_cancellable_cancel (cancellable);
  zip = ferry_zip_input_stream_new_full (in, size, folder->n_files, folder->content_size, "x",
                                         CREATED, FERRY_ZIP_LIMIT, cancellable, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (zip);
  g_clear_error (&error);

  /* A cancelled read ends the archive: it never goes on with bytes missing. */
  g_seekable_seek (G_SEEKABLE (in), 0, G_SEEK_SET, NULL, &error);
  g_assert_no_error (error);
  zip = ferry_zip_input_stream_new_full (in, size, folder->n_files, folder->content_size, "x",
                                         CREATED, FERRY_ZIP_LIMIT, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_input_stream_read (G_INPUT_STREAM (zip), buffer, sizeof buffer, NULL,
                                        &error), >, 0);
  g_assert_no_error (error);
  g_assert_cmpint (g_input_stream_read (G_INPUT_STREAM (zip), buffer, sizeof buffer, cancellable,
                                        &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpint (g_input_stream_read (G_INPUT_STREAM (zip), buffer, sizeof buffer, NULL,
                                        &error), ==, -1);
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_FAILED);
  g_clear_error (&error);
  g_object_unref (zip);

  /* The header is right but the content is not: the stream ends early, or goes on. */
  assert_read_fails (cut_in_content, folder, FERRY_ERROR_SIZE_MISMATCH);
  assert_read_fails (longer, folder, FERRY_ERROR_SIZE_MISMATCH);
  /* The same when those bytes came along with the header's. */
  assert_read_fails (small_cut, small, FERRY_ERROR_SIZE_MISMATCH);
  assert_read_fails (small_longer, small, FERRY_ERROR_SIZE_MISMATCH);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/zip/tree", test_tree);
  g_test_add_func ("/zip/names", test_names);
  g_test_add_func ("/zip/single-empty-file", test_single_empty_file);
  g_test_add_func ("/zip/zip64", test_zip64);
  g_test_add_func ("/zip/many-entries", test_many_entries);
  g_test_add_func ("/zip/async", test_async);
  g_test_add_func ("/zip/malformed", test_malformed);
  return g_test_run ();
}
