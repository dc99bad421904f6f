/* test-folder.c: a folder shared as one offer and downloaded as the same tree, against a real
 * ferry-server on loopback; and a raw client whose folder header lies
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "ferry-test-harness.h"
#include "ferry-checksum.h"
#include "ferry-download-sidecar.h"
#include "ferry-error.h"
#include "ferry-folder-header.h"
#include "ferry-folder-output-stream.h"
#include "ferry-frame.h"
#include "ferry-message.h"

/* An odd name: a colon, a newline and a right-to-left override; saved as its safe form. */
#define ODD_NAME  "odd:name\nwith \xe2\x80\xae bidi.txt"
#define ODD_SAFE  "odd:name_with _ bidi.txt"

typedef FerryTestPeople Fixture;

static char *
path_in (const char *dir,
         const char *rel)
{
  return g_build_filename (dir, rel, NULL);
}

static void
make_dir (const char *dir,
          const char *rel)
{
  g_autofree char *path = path_in (dir, rel);

  g_assert_cmpint (g_mkdir_with_parents (path, 0755), ==, 0);
}

/* A tree with nested folders, an empty folder, an executable, an empty file, a file over two
 * chunks, an odd name and a symbolic link that must be left out. */
static char *
make_tree (const char *tmp)
{
  char *root = path_in (tmp, "My Photos");
  g_autofree char *big_dir = path_in (root, "a/b/c");
  g_autofree char *big = NULL;
  g_autofree char *script = path_in (root, "run.sh");
  g_autofree char *empty_file = path_in (root, "a/empty.txt");
  g_autofree char *odd = path_in (root, "a/" ODD_NAME);
  g_autofree char *link = path_in (root, "a/b/link");
  GError *error = NULL;

  make_dir (root, "a/b/c");
  make_dir (root, "empty folder");
  big = ferry_test_make_file (big_dir, "big.bin", 2 * FERRY_CHUNK_SIZE + 123);
  g_file_set_contents (script, "#!/bin/sh\necho ferry\n", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (script, 0755), ==, 0);
  g_file_set_contents (empty_file, "", 0, &error);
  g_assert_no_error (error);
  g_file_set_contents (odd, "odd", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (symlink ("/etc/passwd", link), ==, 0);
  return root;
}

static void
assert_same_file (const char *src_root,
                  const char *src_rel,
                  const char *dst_root,
                  const char *dst_rel)
{
  g_autofree char *src = path_in (src_root, src_rel);
  g_autofree char *dst = path_in (dst_root, dst_rel);
  g_autofree char *src_sha = ferry_test_sha256_file (src);
  g_autofree char *dst_sha = ferry_test_sha256_file (dst);
  struct stat a;
  struct stat b;

  g_assert_cmpstr (src_sha, ==, dst_sha);
  g_assert_cmpint (lstat (src, &a), ==, 0);
  g_assert_cmpint (lstat (dst, &b), ==, 0);
  g_assert_true (S_ISREG (b.st_mode));
  g_assert_cmpint (a.st_mode & S_IXUSR, ==, b.st_mode & S_IXUSR);
}

static void
test_round_trip (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *root = make_tree (f->tmp);
  g_autofree char *downloads = path_in (f->tmp, "downloads");
  g_autoptr(GFile) folder = g_file_new_for_path (root);
  g_autoptr(GFile) dest = g_file_new_for_path (downloads);
  g_autoptr(FerryTransfer) up = ferry_client_upload (f->alice, folder, NULL);
  g_autoptr(FerryTransfer) down = NULL;
  g_autoptr(FerryTransfer) again = NULL;
  g_autoptr(GError) error = ferry_test_run_transfer (up);
  FerryOffer *offer;
  const char *first = NULL;
  g_autofree char *saved = NULL;
  g_autofree char *saved_again = NULL;
  g_autofree char *link = NULL;
  g_autofree char *empty = NULL;
  g_autofree char *part = NULL;

  g_assert_no_error (error);
  g_assert_true (ferry_transfer_get_is_folder (up));
  g_assert_cmpuint (ferry_transfer_get_folder_skipped (up, &first), ==, 1);
  g_assert_cmpstr (first, ==, "a/b/link");
  offer = ferry_transfer_get_offer (up);
  g_assert_cmpstr (ferry_offer_get_name (offer), ==, "My Photos");
  g_assert_true (ferry_offer_is_folder (offer));
  g_assert_cmpuint (ferry_offer_get_folder_files (offer), ==, 4);
  g_assert_cmpuint (ferry_offer_get_folder_bytes (offer), ==,
                    2 * FERRY_CHUNK_SIZE + 123 + strlen ("#!/bin/sh\necho ferry\n") + 3);
  g_assert_cmpuint (ferry_transfer_get_bytes_done (up), ==, ferry_offer_get_size (offer));

  /* Another person downloads it: the same tree, every file compared. */
  down = ferry_client_download (f->bob, ferry_offer_get_id (offer), dest,
                                FERRY_DOWNLOAD_INTO_DIRECTORY);
  g_clear_error (&error);
  error = ferry_test_run_transfer (down);
  g_assert_no_error (error);
  g_assert_true (ferry_transfer_get_is_folder (down));
  saved = g_file_get_path (ferry_transfer_get_file (down));
  g_assert_true (g_str_has_suffix (saved, "/My Photos"));
  assert_same_file (root, "a/b/c/big.bin", saved, "a/b/c/big.bin");
  assert_same_file (root, "run.sh", saved, "run.sh");
  assert_same_file (root, "a/empty.txt", saved, "a/empty.txt");
  assert_same_file (root, "a/" ODD_NAME, saved, "a/" ODD_SAFE);
  empty = path_in (saved, "empty folder");
  g_assert_true (g_file_test (empty, G_FILE_TEST_IS_DIR));
  g_assert_cmpuint (ferry_test_count_dir (empty), ==, 0);
  link = path_in (saved, "a/b/link");
  g_assert_false (g_file_test (link, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK));
  part = g_strconcat (saved, ".part", NULL);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (ferry_test_count_dir (downloads), ==, 1);

  /* Again: the name is taken, so it gets a free one and replaces nothing. */
  again = ferry_client_download (f->bob, ferry_offer_get_id (offer), dest,
                                 FERRY_DOWNLOAD_INTO_DIRECTORY | FERRY_DOWNLOAD_OVERWRITE);
  g_clear_error (&error);
  error = ferry_test_run_transfer (again);
  g_assert_no_error (error);
  saved_again = g_file_get_path (ferry_transfer_get_file (again));
  g_assert_true (g_str_has_suffix (saved_again, "/My Photos (1)"));
  assert_same_file (root, "a/b/c/big.bin", saved_again, "a/b/c/big.bin");
  assert_same_file (root, "run.sh", saved, "run.sh");
}

/* The offer, as a subscriber sees it: one row, a folder. */
static void
test_listed_as_one (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *root = make_tree (f->tmp);
  g_autoptr(GFile) folder = g_file_new_for_path (root);
  g_autoptr(FerryTransfer) up = ferry_client_upload (f->alice, folder, "holiday");
  g_autoptr(GError) error = ferry_test_run_transfer (up);
  g_autoptr(FerryOffer) listed = NULL;
  GListModel *offers;

  g_assert_no_error (error);
  ferry_test_client_connect (f->bob);
  offers = ferry_client_get_offers (f->bob);
  g_assert_cmpuint (g_list_model_get_n_items (offers), ==, 1);
  listed = g_list_model_get_item (offers, 0);
  g_assert_cmpstr (ferry_offer_get_name (listed), ==, "holiday");
  g_assert_true (ferry_offer_is_folder (listed));
  g_assert_cmpuint (ferry_offer_get_folder_files (listed), ==, 4);
}

static gboolean
partial_is_empty (gpointer data)
{
  Fixture *f = data;
  g_autofree char *partial = g_build_filename (f->server->data_dir, "partial", NULL);

  return ferry_test_count_dir (partial) == 0;
}

/* A header of one file entry, @path of @claimed bytes, followed by @content bytes. */
static GByteArray *
stream_with (const char *path,
             guint64     claimed,
             gsize       content)
{
  GByteArray *out = g_byte_array_new ();
  guint32 be32;
  guint64 be64 = GUINT64_TO_BE (claimed);
  guint8 fixed[4] = { FERRY_FOLDER_ENTRY_FILE, 0, 0, (guint8) strlen (path) };

  g_byte_array_append (out, (const guint8 *) FERRY_FOLDER_MAGIC, 8);
  be32 = GUINT32_TO_BE (FERRY_FOLDER_FORMAT);
  g_byte_array_append (out, (const guint8 *) &be32, 4);
  be32 = GUINT32_TO_BE (1);
  g_byte_array_append (out, (const guint8 *) &be32, 4);
  g_byte_array_append (out, fixed, 4);
  g_byte_array_append (out, (const guint8 *) path, (guint) strlen (path));
  g_byte_array_append (out, (const guint8 *) &be64, 8);
  for (gsize i = 0; i < content; i++)
    g_byte_array_append (out, (const guint8 *) "x", 1);
  return out;
}

/* Uploads @stream raw, announcing one file of @content bytes, and expects MALFORMED; nothing
 * stays behind. */
static void
upload_lying (Fixture    *f,
              GByteArray *stream,
              guint64     content)
{
  g_autoptr(GIOStream) conn = ferry_test_raw_connect (f->server);
  g_auto(FerryFrame) frame = { 0 };
  guint8 header[FERRY_FRAME_HEADER_SIZE + FERRY_DATA_HEADER_SIZE];
  g_autofree char *blobs = g_build_filename (f->server->data_dir, "blobs", NULL);

  ferry_test_raw_handshake (conn);
  ferry_test_raw_send (conn, ferry_msg_upload_new ("liar", stream->len, "", 1, content));
  g_assert_true (ferry_test_raw_read (conn, &frame));
  g_assert_cmpint (frame.type, ==, FERRY_MSG_ACCEPT);
  ferry_data_header_encode (header, 0, stream->len);
  ferry_test_raw_send_data (conn, header, sizeof header);
  ferry_test_raw_send_data (conn, stream->data, stream->len);
  ferry_test_raw_expect_error (conn, FERRY_ERROR_MALFORMED);
  ferry_test_wait_for (partial_is_empty, f, 30);
  g_assert_cmpuint (ferry_test_count_dir (blobs), ==, 0);
}

static void
test_lying_header (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GByteArray) too_big = stream_with ("f", 5, 3);
  g_autoptr(GByteArray) escape = stream_with ("../evil", 3, 3);
  g_autoptr(GByteArray) absolute = stream_with ("/etc/x", 3, 3);

  /* The entry claims 5 bytes where the option announced 3. */
  upload_lying (f, too_big, 3);
  upload_lying (f, escape, 3);
  upload_lying (f, absolute, 3);

  /* More content than the stream can hold: refused before ACCEPT. */
  {
    g_autoptr(GIOStream) conn = ferry_test_raw_connect (f->server);

    ferry_test_raw_handshake (conn);
    ferry_test_raw_send (conn, ferry_msg_upload_new ("liar", 10, "", 1, 20));
    ferry_test_raw_expect_error (conn, FERRY_ERROR_MALFORMED);
  }
}

/* ---- Resume (PROTOCOL.md §5, Folders, Resume) ------------------------------------------ */

/* The tree uploaded by Alice, its offer and its stream (the server's blob). */
typedef struct
{
  char       *root;
  char       *downloads;
  FerryOffer *offer;
  guint8     *stream;
  gsize       size;
  guint64     header_size;
} Shared;

static void
shared_clear (Shared *s)
{
  g_free (s->root);
  g_free (s->downloads);
  g_clear_object (&s->offer);
  g_free (s->stream);
}

static void
share_tree (Fixture *f,
            Shared  *s)
{
  g_autoptr(GFile) folder = NULL;
  g_autoptr(FerryTransfer) up = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryFolderParser) parser = NULL;
  g_autofree char *blob = NULL;
  gsize consumed = 0;

  s->root = make_tree (f->tmp);
  s->downloads = path_in (f->tmp, "downloads");
  g_assert_cmpint (g_mkdir_with_parents (s->downloads, 0755), ==, 0);
  folder = g_file_new_for_path (s->root);
  up = ferry_client_upload (f->alice, folder, NULL);
  error = ferry_test_run_transfer (up);
  g_assert_no_error (error);
  s->offer = g_object_ref (ferry_transfer_get_offer (up));
  blob = g_build_filename (f->server->data_dir, "blobs", ferry_offer_get_id (s->offer), NULL);
  g_assert_true (g_file_get_contents (blob, (char **) &s->stream, &s->size, NULL));
  parser = ferry_folder_parser_new (s->size, ferry_offer_get_folder_files (s->offer),
                                    ferry_offer_get_folder_bytes (s->offer), FALSE);
  g_assert_true (ferry_folder_parser_feed (parser, s->stream, s->size, &consumed, &error));
  g_assert_no_error (error);
  s->header_size = consumed;
}

/* downloads/My Photos.part/ holding the first @cut bytes of the stream, with the sidecar a
 * download stopped there leaves (naming @offer_sha256 as the offer's). */
static void
leave_folder_part (Fixture      *f,
                   Shared       *s,
                   gsize         cut,
                   const guint8 *offer_sha256)
{
  g_autofree char *path = path_in (s->downloads, "My Photos.part");
  g_autoptr(GFile) part = g_file_new_for_path (path);
  g_autoptr(GOutputStream) out = NULL;
  g_autoptr(FerryChecksum) checksum = ferry_checksum_new ();
  g_autoptr(GError) error = NULL;
  FerrySidecar sidecar = { 0 };

  g_assert_cmpuint (cut, >=, s->header_size);
  g_assert_cmpint (g_mkdir (path, 0755), ==, 0);
  out = ferry_folder_output_stream_new (part, s->size, ferry_offer_get_folder_files (s->offer),
                                        ferry_offer_get_folder_bytes (s->offer), &error);
  g_assert_no_error (error);
  g_assert_true (g_output_stream_write_all (out, s->stream, cut, NULL, NULL, &error));
  g_assert_no_error (error);
  sidecar.folder_header =
    g_bytes_ref (ferry_folder_output_stream_get_header (FERRY_FOLDER_OUTPUT_STREAM (out)));
  g_assert_true (g_output_stream_close (out, NULL, &error));

  ferry_checksum_update (checksum, s->stream, cut);
  ferry_checksum_finish (checksum, sidecar.count_sha256);
  sidecar.server = f->server->address;
  sidecar.offer_id = (char *) ferry_offer_get_id (s->offer);
  memcpy (sidecar.offer_sha256, offer_sha256, FERRY_SHA256_SIZE);
  sidecar.size = s->size;
  sidecar.count = cut;
  sidecar.folder_files = ferry_offer_get_folder_files (s->offer);
  sidecar.folder_content = ferry_offer_get_folder_bytes (s->offer);
  g_assert_true (ferry_sidecar_save (&sidecar, part, NULL, &error));
  g_assert_no_error (error);
  g_bytes_unref (sidecar.folder_header);
}

static void
first_running_cb (FerryTransfer *transfer,
                  GParamSpec    *pspec,
                  gpointer       user_data)
{
  gint64 *first = user_data;

  if (ferry_transfer_get_state (transfer) == FERRY_TRANSFER_RUNNING && *first < 0)
    *first = (gint64) ferry_transfer_get_bytes_done (transfer);
}

/* Bob downloads the folder into downloads/; returns the byte it went on from. The tree saved
 * is the source file by file, and nothing else is left. */
static gint64
download_whole (Fixture *f,
                Shared  *s)
{
  g_autoptr(GFile) dest = g_file_new_for_path (s->downloads);
  g_autoptr(FerryTransfer) down = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *saved = NULL;
  gint64 started = -1;

  down = ferry_client_download (f->bob, ferry_offer_get_id (s->offer), dest,
                                FERRY_DOWNLOAD_INTO_DIRECTORY);
  g_signal_connect (down, "notify::state", G_CALLBACK (first_running_cb), &started);
  error = ferry_test_run_transfer (down);
  g_assert_no_error (error);
  saved = g_file_get_path (ferry_transfer_get_file (down));
  g_assert_true (g_str_has_suffix (saved, "/My Photos"));
  assert_same_file (s->root, "a/b/c/big.bin", saved, "a/b/c/big.bin");
  assert_same_file (s->root, "run.sh", saved, "run.sh");
  assert_same_file (s->root, "a/empty.txt", saved, "a/empty.txt");
  assert_same_file (s->root, "a/" ODD_NAME, saved, "a/" ODD_SAFE);
  /* No "My Photos.part" nor its sidecar. */
  g_assert_cmpuint (ferry_test_count_dir (s->downloads), ==, 1);
  ferry_test_rm_rf (saved);
  return started;
}

/* A stopped folder download goes on from where it stopped: at the end of the header (a file
 * boundary), inside a file, at the end of a file, inside the last one. */
static void
test_download_resumes (Fixture       *f,
                       gconstpointer  data)
{
  Shared s = { 0 };

  share_tree (f, &s);
  {
    const guint64 big = 2 * FERRY_CHUNK_SIZE + 123;
    const gsize cuts[] = { s.header_size, s.header_size + 1, s.header_size + FERRY_CHUNK_SIZE,
                           s.header_size + big, s.size - 1 };

    g_assert_cmpint (download_whole (f, &s), ==, 0);
    for (gsize i = 0; i < G_N_ELEMENTS (cuts); i++)
      {
        g_test_message ("resuming at byte %" G_GSIZE_FORMAT, cuts[i]);
        leave_folder_part (f, &s, cuts[i], ferry_offer_get_sha256 (s.offer));
        g_assert_cmpint (download_whole (f, &s), ==, (gint64) cuts[i]);
      }
  }
  shared_clear (&s);
}

/* A NAME.part/ of an offer whose content changed, or whose files changed since the sidecar
 * was written, starts over: the old tree goes, and the new one is whole. */
static void
test_download_changed (Fixture       *f,
                       gconstpointer  data)
{
  Shared s = { 0 };
  guint8 other[FERRY_SHA256_SIZE];
  g_autofree char *big = NULL;

  share_tree (f, &s);
  memcpy (other, ferry_offer_get_sha256 (s.offer), sizeof other);
  other[0] ^= 0x5a;
  leave_folder_part (f, &s, s.header_size + 1000, other);
  g_assert_cmpint (download_whole (f, &s), ==, 0);

  leave_folder_part (f, &s, s.header_size + 1000, ferry_offer_get_sha256 (s.offer));
  big = path_in (s.downloads, "My Photos.part/a/b/c/big.bin");
  {
    g_autofree char *contents = NULL;
    gsize len = 0;

    g_assert_true (g_file_get_contents (big, &contents, &len, NULL));
    g_assert_cmpuint (len, ==, 1000);
    contents[10] ^= 0x5a;
    g_assert_true (g_file_set_contents (big, contents, (gssize) len, NULL));
  }
  g_assert_cmpint (download_whole (f, &s), ==, 0);
  shared_clear (&s);
}

/* A folder download cancelled part-way keeps NAME.part/ and its sidecar (Resume is offered),
 * and the next download goes on from there. */
static void
cancel_at_progress_cb (FerryTransfer *transfer,
                       GParamSpec    *pspec,
                       gpointer       user_data)
{
  if (ferry_transfer_get_bytes_done (transfer) > 0 && !ferry_transfer_is_finished (transfer))
    ferry_transfer_cancel (transfer);
}

static void
test_download_cancelled (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *root = path_in (f->tmp, "My Photos");
  g_autofree char *sub = path_in (root, "sub");
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *downloads = path_in (f->tmp, "downloads");
  g_autofree char *part = path_in (downloads, "My Photos.part");
  g_autoptr(GFile) folder = g_file_new_for_path (root);
  g_autoptr(GFile) dest = g_file_new_for_path (downloads);
  g_autoptr(FerryTransfer) up = NULL;
  g_autoptr(FerryTransfer) cut = NULL;
  g_autoptr(FerryTransfer) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *saved = NULL;
  gint64 started = -1;

  make_dir (root, "sub");
  a = ferry_test_make_file (root, "a.bin", 64 * 1024 * 1024);
  b = ferry_test_make_file (sub, "b.bin", 64 * 1024 * 1024 + 7);
  up = ferry_client_upload (f->alice, folder, NULL);
  error = ferry_test_run_transfer (up);
  g_assert_no_error (error);

  cut = ferry_client_download (f->bob, ferry_offer_get_id (ferry_transfer_get_offer (up)), dest,
                               FERRY_DOWNLOAD_INTO_DIRECTORY);
  g_signal_connect (cut, "notify::bytes-done", G_CALLBACK (cancel_at_progress_cb), NULL);
  g_clear_error (&error);
  error = ferry_test_run_transfer (cut);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (ferry_transfer_get_resumable (cut));
  g_assert_true (g_file_test (part, G_FILE_TEST_IS_DIR));

  again = ferry_client_download (f->bob, ferry_offer_get_id (ferry_transfer_get_offer (up)),
                                 dest, FERRY_DOWNLOAD_INTO_DIRECTORY);
  g_signal_connect (again, "notify::state", G_CALLBACK (first_running_cb), &started);
  g_clear_error (&error);
  error = ferry_test_run_transfer (again);
  g_assert_no_error (error);
  g_assert_cmpint (started, >, 0);
  saved = g_file_get_path (ferry_transfer_get_file (again));
  assert_same_file (root, "a.bin", saved, "a.bin");
  assert_same_file (root, "sub/b.bin", saved, "sub/b.bin");
  g_assert_cmpuint (ferry_test_count_dir (downloads), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, ferry_test_people_setup, func, ferry_test_people_teardown)

  ADD ("/folder/round-trip", test_round_trip);
  ADD ("/folder/listed-as-one", test_listed_as_one);
  ADD ("/folder/lying-header", test_lying_header);
  ADD ("/folder/resume/download", test_download_resumes);
  ADD ("/folder/resume/download-changed", test_download_changed);
  ADD ("/folder/resume/download-cancelled", test_download_cancelled);

  return g_test_run ();
}
