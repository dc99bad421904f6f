/* test-sidecar.c: NAME.part.ferry, the resume record of a download: saved and found again,
 * ignored when it is not ours or not whole, and the kept prefix checked against it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "ferry-download-sidecar.h"

static char *tmpdir;

static GFile *
dir_file (void)
{
  return g_file_new_for_path (tmpdir);
}

/* NAME.part holding @text, and a sidecar that says its first @count bytes are good. */
static GFile *
make_part (const char *name,
           const char *text,
           guint64     count)
{
  g_autofree char *path = g_build_filename (tmpdir, name, NULL);
  g_autoptr(GFile) part = g_file_new_for_path (path);
  g_autoptr(FerryChecksum) checksum = ferry_checksum_new ();
  g_autoptr(GError) error = NULL;
  FerrySidecar sidecar = { (char *) "127.0.0.1:5005", (char *) "00ff", { 7 }, 100, count, { 0 } };

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  ferry_checksum_update (checksum, (const guint8 *) text, (gsize) count);
  ferry_checksum_finish (checksum, sidecar.count_sha256);
  g_assert_true (ferry_sidecar_save (&sidecar, part, NULL, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&part);
}

static void
test_round_trip (void)
{
  g_autoptr(GFile) part = make_part ("a.txt.part", "hello world", 5);
  g_autoptr(GFile) dir = dir_file ();
  g_autoptr(FerrySidecar) found = NULL;
  g_autoptr(GFile) where = NULL;
  g_autoptr(FerryChecksum) state = NULL;
  guint8 digest[FERRY_SHA256_SIZE];
  guint8 want[FERRY_SHA256_SIZE];

  /* By scanning the folder, and as the one candidate. */
  where = ferry_sidecar_find (dir, NULL, "127.0.0.1:5005", "00ff", &found, NULL);
  g_assert_nonnull (where);
  g_assert_true (g_file_equal (where, part));
  g_assert_cmpstr (found->offer_id, ==, "00ff");
  g_assert_cmpuint (found->count, ==, 5);
  g_assert_cmpuint (found->size, ==, 100);
  g_assert_cmpuint (found->offer_sha256[0], ==, 7);
  g_clear_object (&where);
  g_clear_pointer (&found, ferry_sidecar_free);
  where = ferry_sidecar_find (dir, part, "127.0.0.1:5005", "00ff", &found, NULL);
  g_assert_nonnull (where);

  /* The prefix matches: the state goes on after "hello". */
  state = ferry_sidecar_check_part (found, part, NULL);
  g_assert_nonnull (state);
  ferry_checksum_update (state, (const guint8 *) " world", 6);
  ferry_checksum_finish (state, digest);
  {
    g_autoptr(FerryChecksum) whole = ferry_checksum_new ();

    ferry_checksum_update (whole, (const guint8 *) "hello world", 11);
    ferry_checksum_finish (whole, want);
  }
  g_assert_cmpmem (digest, sizeof digest, want, sizeof want);

  /* Another server or offer: not found. */
  g_clear_pointer (&found, ferry_sidecar_free);
  g_assert_null (ferry_sidecar_find (dir, NULL, "elsewhere:5005", "00ff", &found, NULL));
  g_assert_null (ferry_sidecar_find (dir, NULL, "127.0.0.1:5005", "00fe", &found, NULL));
  g_assert_null (found);

  ferry_sidecar_remove (part, NULL);
  g_assert_null (ferry_sidecar_find (dir, NULL, "127.0.0.1:5005", "00ff", &found, NULL));
  g_assert_no_errno (g_unlink (g_file_peek_path (part)));
}

static void
test_changed_part (void)
{
  g_autoptr(GFile) part = make_part ("b.txt.part", "hello world", 5);
  g_autoptr(GFile) dir = dir_file ();
  g_autoptr(FerrySidecar) found = NULL;
  g_autoptr(GFile) where = ferry_sidecar_find (dir, part, "127.0.0.1:5005", "00ff", &found,
                                               NULL);
  g_autoptr(FerryChecksum) state = NULL;

  g_assert_nonnull (where);
  /* Changed within the prefix, then cut shorter than the count: both start over. */
  g_assert_true (g_file_set_contents (g_file_peek_path (part), "HELLO world", -1, NULL));
  state = ferry_sidecar_check_part (found, part, NULL);
  g_assert_null (state);
  g_assert_true (g_file_set_contents (g_file_peek_path (part), "hel", -1, NULL));
  state = ferry_sidecar_check_part (found, part, NULL);
  g_assert_null (state);

  ferry_sidecar_remove (part, NULL);
  g_assert_no_errno (g_unlink (g_file_peek_path (part)));
}

/* Sidecars that are not whole, not ours, or beside a symbolic link are ignored. */
static void
test_hostile (void)
{
  const char *bad[] = {
    "",
    "garbage\n",
    "[download]\nserver=127.0.0.1:5005\noffer-id=00ff\n",
    "[download]\nserver=127.0.0.1:5005\noffer-id=00ff\noffer-sha256=zz\nsize=1\ncount=0\n"
    "count-sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
    /* count past size */
    "[download]\nserver=127.0.0.1:5005\noffer-id=00ff\n"
    "offer-sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
    "size=1\ncount=2\n"
    "count-sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
    "[download]\nserver=127.0.0.1:5005\noffer-id=00ff\n"
    "offer-sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
    "size=-1\ncount=0\n"
    "count-sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
  };
  g_autofree char *part_path = g_build_filename (tmpdir, "c.txt.part", NULL);
  g_autofree char *sidecar_path = g_build_filename (tmpdir, "c.txt.part.ferry", NULL);
  g_autoptr(GFile) dir = dir_file ();

  g_assert_true (g_file_set_contents (part_path, "x", -1, NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(FerrySidecar) found = NULL;
      g_autoptr(GFile) where = NULL;

      g_test_message ("sidecar %" G_GSIZE_FORMAT, i);
      g_assert_true (g_file_set_contents (sidecar_path, bad[i], -1, NULL));
      where = ferry_sidecar_find (dir, NULL, "127.0.0.1:5005", "00ff", &found, NULL);
      g_assert_null (where);
      g_assert_null (found);
    }
  g_assert_no_errno (g_unlink (part_path));
  g_assert_no_errno (g_unlink (sidecar_path));

  /* A good sidecar beside a NAME.part that is a symbolic link. */
  {
    g_autoptr(GFile) part = make_part ("d.txt.part", "hello", 5);
    g_autofree char *target = g_build_filename (tmpdir, "target", NULL);
    g_autoptr(FerrySidecar) found = NULL;

    g_assert_no_errno (g_rename (g_file_peek_path (part), target));
    g_assert_no_errno (symlink (target, g_file_peek_path (part)));
    g_assert_null (ferry_sidecar_find (dir, NULL, "127.0.0.1:5005", "00ff", &found, NULL));
    g_assert_null (ferry_sidecar_find (dir, part, "127.0.0.1:5005", "00ff", &found, NULL));
    ferry_sidecar_remove (part, NULL);
    g_assert_no_errno (g_unlink (g_file_peek_path (part)));
    g_assert_no_errno (g_unlink (target));
  }
}

/* A folder's sidecar keeps its header, and names a folder NAME.part/, never a file; one whose
 * header is longer than its count (or is missing its keys) is not ours. */
static void
test_folder (void)
{
  g_autofree char *path = g_build_filename (tmpdir, "tree.part", NULL);
  g_autofree char *sidecar_path = g_build_filename (tmpdir, "tree.part.ferry", NULL);
  g_autoptr(GFile) part = g_file_new_for_path (path);
  g_autoptr(GFile) dir = dir_file ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) header = g_bytes_new_static ("FERYTREE", 8);
  FerrySidecar sidecar = { (char *) "127.0.0.1:5005", (char *) "00ff", { 7 }, 100, 10, { 0 },
                           header, 3, 40 };
  const char *bad[] = {
    "folder-header=RkVSWVRSRUVYWFhYWFhYWA==\nfolder-files=3\nfolder-bytes=40\n", /* 16 > 10 */
    "folder-header=RkVSWVRSRUU=\nfolder-bytes=40\n",
    "folder-header=RkVSWVRSRUU=\nfolder-files=-1\nfolder-bytes=40\n",
    "folder-header=\nfolder-files=3\nfolder-bytes=40\n",
  };

  g_assert_no_errno (g_mkdir (path, 0755));
  g_assert_true (ferry_sidecar_save (&sidecar, part, NULL, &error));
  g_assert_no_error (error);
  {
    g_autoptr(FerrySidecar) found = NULL;
    g_autoptr(GFile) where = ferry_sidecar_find (dir, NULL, "127.0.0.1:5005", "00ff", &found,
                                                 NULL);

    g_assert_nonnull (where);
    g_assert_true (g_bytes_equal (found->folder_header, header));
    g_assert_cmpuint (found->folder_files, ==, 3);
    g_assert_cmpuint (found->folder_content, ==, 40);
  }

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *text = g_strconcat ("[download]\nserver=127.0.0.1:5005\noffer-id=00ff\n"
        "offer-sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        "size=100\ncount=10\n"
        "count-sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
        bad[i], NULL);
      g_autoptr(FerrySidecar) found = NULL;

      g_test_message ("folder sidecar %" G_GSIZE_FORMAT, i);
      g_assert_true (g_file_set_contents (sidecar_path, text, -1, NULL));
      g_assert_null (ferry_sidecar_find (dir, NULL, "127.0.0.1:5005", "00ff", &found, NULL));
    }

  /* The same sidecar beside a regular file NAME.part: not a folder, not ours. */
  g_assert_no_errno (g_rmdir (path));
  g_assert_true (g_file_set_contents (path, "FERYTREE..", -1, NULL));
  g_assert_true (ferry_sidecar_save (&sidecar, part, NULL, &error));
  g_assert_no_error (error);
  {
    g_autoptr(FerrySidecar) found = NULL;

    g_assert_null (ferry_sidecar_find (dir, part, "127.0.0.1:5005", "00ff", &found, NULL));
  }
  ferry_sidecar_remove (part, NULL);
  g_assert_no_errno (g_unlink (path));
}

/* Two opens of one NAME.part: the second is locked out until the first is closed. */
static void
test_lock (void)
{
  g_autoptr(GFile) part = make_part ("e.txt.part", "hello", 5);
  g_autoptr(GOutputStream) first = NULL;
  g_autoptr(GOutputStream) second = NULL;
  g_autoptr(GError) error = NULL;

  first = ferry_sidecar_open_part (part, NULL, &error);
  g_assert_no_error (error);
  second = ferry_sidecar_open_part (part, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  g_assert_null (second);
  g_clear_error (&error);
  g_assert_true (g_output_stream_close (first, NULL, NULL));
  second = ferry_sidecar_open_part (part, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (second);

  ferry_sidecar_remove (part, NULL);
  g_assert_no_errno (g_unlink (g_file_peek_path (part)));
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("ferry-sidecar-XXXXXX", NULL);
  g_assert_nonnull (tmpdir);

  g_test_add_func ("/sidecar/round-trip", test_round_trip);
  g_test_add_func ("/sidecar/changed-part", test_changed_part);
  g_test_add_func ("/sidecar/hostile", test_hostile);
  g_test_add_func ("/sidecar/lock", test_lock);
  g_test_add_func ("/sidecar/folder", test_folder);

  status = g_test_run ();
  g_rmdir (tmpdir);
  g_free (tmpdir);
  return status;
}
