/* test-blob-store.c: FerryBlobStore, the same cases against files on disk and in memory
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-blob-store"

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "ferry-blob-store.h"
#include "ferry-error.h"
#include "ferry-local-blob-store.h"
#include "ferry-memory-blob-store.h"
#include "ferry-memory-catalogue.h"
#include "ferry-unit-test.h"

#define CAPACITY 4096

typedef struct
{
  char           *dir;
  char           *kind;    /* "local" or "memory" */
  FerryBlobStore *store;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  fixture->kind = g_strdup (user_data);
  fixture->dir = g_dir_make_tmp ("ferry-blob-store-XXXXXX", &error);
  g_assert_no_error (error);

  if (g_str_equal (fixture->kind, "memory"))
    fixture->store = FERRY_BLOB_STORE (ferry_memory_blob_store_new (CAPACITY));
  else
    fixture->store = FERRY_BLOB_STORE (ferry_local_blob_store_new (fixture->dir, &error));
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_clear_object (&fixture->store);
  ferry_test_remove_tree (fixture->dir);
  g_clear_pointer (&fixture->dir, g_free);
  g_clear_pointer (&fixture->kind, g_free);
}

static gboolean
is_local (Fixture *fixture)
{
  return g_str_equal (fixture->kind, "local");
}

/* Unfinished uploads the store holds, as the implementation keeps them. */
static guint
count_uploads (Fixture *fixture)
{
  g_autofree char *partial = NULL;
  g_autoptr(GDir) dir = NULL;
  guint n = 0;

  if (!is_local (fixture))
    return ferry_memory_blob_store_get_n_uploads (FERRY_MEMORY_BLOB_STORE (fixture->store));

  partial = g_build_filename (fixture->dir, "partial", NULL);
  dir = g_dir_open (partial, 0, NULL);
  while (dir && g_dir_read_name (dir))
    n++;
  return n;
}

static void
result_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Iterates the main context until the callback has run; the caller unrefs the result. */
static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (!*slot)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static FerryBlobUpload *
begin (Fixture    *fixture,
       const char *token)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  FerryBlobUpload *upload;

  ferry_blob_store_begin_upload_async (fixture->store, token, NULL, result_cb, &result);
  upload = ferry_blob_store_begin_upload_finish (fixture->store, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ferry_blob_upload_get_token (upload), ==, token);
  g_assert_cmpuint (ferry_blob_upload_get_offset (upload), ==, 0);
  return upload;
}

static void
write_bytes (FerryBlobUpload *upload,
             const char      *data,
             gsize            len)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (g_output_stream_write_all (ferry_blob_upload_get_stream (upload), data, len,
                                            NULL, NULL, &error));
  g_assert_no_error (error);
}

/* Blocking, as in the worker thread that commits. */
static gboolean
commit (FerryBlobUpload  *upload,
        const char       *id,
        GError          **error)
{
  return ferry_blob_upload_commit (upload, id, error);
}

static void
abort_upload (FerryBlobUpload *upload)
{
  g_autoptr(GAsyncResult) result = NULL;

  ferry_blob_upload_abort_async (upload, result_cb, &result);
  ferry_blob_upload_abort_finish (upload, wait_result (&result));
}

/* Blob @id from @offset on, all of it; NULL with @error when it cannot be opened. */
static char *
read_blob (Fixture     *fixture,
           const char  *id,
           guint64      offset,
           GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) local_error = NULL;
  char buffer[CAPACITY + 1];
  gsize got = 0;

  ferry_blob_store_open_async (fixture->store, id, offset, NULL, result_cb, &result);
  stream = ferry_blob_store_open_finish (fixture->store, wait_result (&result), error);
  if (!stream)
    return NULL;
  g_assert_true (g_input_stream_read_all (stream, buffer, sizeof buffer - 1, &got, NULL,
                                          &local_error));
  g_assert_no_error (local_error);
  return g_strndup (buffer, got);
}

static guint64
free_space (Fixture *fixture)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint64 free_bytes = 0;

  ferry_blob_store_query_space_async (fixture->store, NULL, result_cb, &result);
  g_assert_true (ferry_blob_store_query_space_finish (fixture->store, wait_result (&result),
                                                      &free_bytes, &error));
  g_assert_no_error (error);
  return free_bytes;
}

static void
test_commit_and_read (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autoptr(FerryBlobUpload) upload = begin (fixture, "00000000000000a1");
  g_autoptr(GError) error = NULL;
  g_autofree char *whole = NULL;
  g_autofree char *tail = NULL;
  g_autofree char *end = NULL;

  write_bytes (upload, "hello, ", 7);
  write_bytes (upload, "blob store", 10);
  g_assert_cmpuint (count_uploads (fixture), ==, 1);

  g_assert_true (commit (upload, "00000000000000b2", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_uploads (fixture), ==, 0);

  whole = read_blob (fixture, "00000000000000b2", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (whole, ==, "hello, blob store");

  /* Opened at an offset, as a resumed download is. */
  tail = read_blob (fixture, "00000000000000b2", 7, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tail, ==, "blob store");
  end = read_blob (fixture, "00000000000000b2", 17, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (end, ==, "");

  /* The token names the upload, not the blob. */
  g_assert_null (read_blob (fixture, "00000000000000a1", 0, &error));
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
}

static void
test_abort (Fixture       *fixture,
            gconstpointer  user_data)
{
  g_autoptr(FerryBlobUpload) upload = begin (fixture, "00000000000000a1");
  g_autoptr(FerryBlobUpload) kept = begin (fixture, "00000000000000a2");
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;

  write_bytes (upload, "thrown away", 11);
  write_bytes (kept, "kept", 4);
  g_assert_cmpuint (count_uploads (fixture), ==, 2);

  abort_upload (upload);
  g_assert_cmpuint (count_uploads (fixture), ==, 1);

  /* The other upload is untouched and still commits. */
  g_assert_true (commit (kept, "00000000000000b2", &error));
  g_assert_no_error (error);
  data = read_blob (fixture, "00000000000000b2", 0, &error);
  g_assert_cmpstr (data, ==, "kept");
  g_assert_cmpuint (count_uploads (fixture), ==, 0);
}

static void
test_remove (Fixture       *fixture,
             gconstpointer  user_data)
{
  g_autoptr(FerryBlobUpload) upload = begin (fixture, "00000000000000a1");
  g_autoptr(GError) error = NULL;

  write_bytes (upload, "short-lived", 11);
  g_assert_true (commit (upload, "00000000000000b2", &error));
  g_assert_no_error (error);

  g_assert_true (ferry_blob_store_remove (fixture->store, "00000000000000b2", &error));
  g_assert_no_error (error);

  g_assert_null (read_blob (fixture, "00000000000000b2", 0, &error));
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* What is gone already is no error. */
  g_assert_true (ferry_blob_store_remove (fixture->store, "00000000000000b2", &error));
  g_assert_no_error (error);
}

/* A commit never replaces a blob that exists: it may be the only copy of something. */
static void
test_no_overwrite (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(FerryBlobUpload) first = begin (fixture, "00000000000000a1");
  g_autoptr(FerryBlobUpload) second = begin (fixture, "00000000000000a2");
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;

  write_bytes (first, "first", 5);
  write_bytes (second, "second", 6);
  g_assert_true (commit (first, "00000000000000b2", &error));
  g_assert_no_error (error);

  if (is_local (fixture))
    g_test_expect_message ("ferry-local-blob-store", G_LOG_LEVEL_WARNING, "*File exists*");
  g_assert_false (commit (second, "00000000000000b2", &error));
  g_test_assert_expected_messages ();
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_INTERNAL);

  data = read_blob (fixture, "00000000000000b2", 0, NULL);
  g_assert_cmpstr (data, ==, "first");
}

/* Free space is honest: the memory store's is its capacity less what it holds, the local
 * store's what the file system has left less its margin. */
static void
test_space (Fixture       *fixture,
            gconstpointer  user_data)
{
  g_autoptr(FerryBlobUpload) upload = NULL;
  g_autoptr(GError) error = NULL;
  char data[1000];

  if (is_local (fixture))
    {
      g_autoptr(GFile) dir = g_file_new_for_path (fixture->dir);
      g_autoptr(GFileInfo) info = NULL;
      guint64 fs_free;

      info = g_file_query_filesystem_info (dir, G_FILE_ATTRIBUTE_FILESYSTEM_FREE, NULL, &error);
      g_assert_no_error (error);
      fs_free = g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE);
      /* Never more than the file system has (others may write meanwhile: no equality). */
      g_assert_cmpuint (free_space (fixture), <=, fs_free);
      return;
    }

  memset (data, 'x', sizeof data);
  g_assert_cmpuint (free_space (fixture), ==, CAPACITY);

  upload = begin (fixture, "00000000000000a1");
  write_bytes (upload, data, sizeof data);
  g_assert_cmpuint (free_space (fixture), ==, CAPACITY - sizeof data);

  g_assert_true (commit (upload, "00000000000000b2", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (free_space (fixture), ==, CAPACITY - sizeof data);

  g_assert_true (ferry_blob_store_remove (fixture->store, "00000000000000b2", &error));
  g_assert_cmpuint (free_space (fixture), ==, CAPACITY);
}

static FerryCatalogueRow *
make_row (const char *id,
          guint64     size)
{
  FerryCatalogueRow *row = ferry_catalogue_row_new ();

  row->id = g_strdup (id);
  row->name = g_strdup (id);
  row->size = size;
  row->uploader = g_strdup ("alice");
  return row;
}

/* At startup a row keeps its place only with a blob of its size. */
static void
test_reconcile (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(FerryCatalogue) catalogue = FERRY_CATALOGUE (ferry_memory_catalogue_new ());
  g_autoptr(FerryBlobUpload) upload = begin (fixture, "00000000000000a1");
  g_autoptr(FerryBlobUpload) stale = begin (fixture, "00000000000000a2");
  g_autoptr(FerryCatalogueRow) good = make_row ("00000000000000b1", 4);
  g_autoptr(FerryCatalogueRow) orphan = make_row ("00000000000000b2", 4);
  g_autoptr(FerryCatalogueRow) wrong = make_row ("00000000000000b3", 5);
  g_autoptr(FerryBlobUpload) wrong_upload = begin (fixture, "00000000000000a3");
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) left = NULL;
  g_autoptr(GError) error = NULL;

  write_bytes (upload, "good", 4);
  g_assert_true (commit (upload, good->id, &error));
  write_bytes (wrong_upload, "bad", 3);
  g_assert_true (commit (wrong_upload, wrong->id, &error));
  write_bytes (stale, "stale", 5);
  g_assert_true (ferry_catalogue_insert (catalogue, good, &error));
  g_assert_true (ferry_catalogue_insert (catalogue, orphan, &error));
  g_assert_true (ferry_catalogue_insert (catalogue, wrong, &error));
  g_assert_no_error (error);

  if (is_local (fixture))
    {
      g_test_expect_message ("ferry-local-blob-store", G_LOG_LEVEL_WARNING, "*has no blob*");
      g_test_expect_message ("ferry-local-blob-store", G_LOG_LEVEL_WARNING,
                             "*has a blob of 3 bytes instead of 5*lost+found*");
    }
  rows = ferry_blob_store_reconcile (fixture->store, catalogue, &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_cmpstr (((FerryCatalogueRow *) g_ptr_array_index (rows, 0))->id, ==, good->id);
  left = ferry_catalogue_list (catalogue, &error);
  g_assert_cmpuint (left->len, ==, 1);
  /* Partial uploads are FerryPartials' to reconcile (test-upload-resume). */
  g_assert_cmpuint (count_uploads (fixture), ==, 1);
  g_assert_null (read_blob (fixture, wrong->id, 0, NULL));
}

/* A local failure is logged with its path; what the caller (and so the client) gets names
 * none. */
static void
test_errors_name_no_path (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(FerryBlobUpload) upload = begin (fixture, "00000000000000a1");
  g_autofree char *blobs = g_build_filename (fixture->dir, "blobs", NULL);
  g_autoptr(GError) error = NULL;

  write_bytes (upload, "nowhere to go", 13);
  g_assert_cmpint (g_rmdir (blobs), ==, 0);

  g_test_expect_message ("ferry-local-blob-store", G_LOG_LEVEL_WARNING, "*blobs*");
  g_assert_false (commit (upload, "00000000000000b2", &error));
  g_test_assert_expected_messages ();
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_INTERNAL);
  g_assert_null (strstr (error->message, fixture->dir));
  g_assert_null (strstr (error->message, "partial"));
  g_assert_null (strstr (error->message, "blobs"));
  g_assert_cmpint (g_mkdir (blobs, 0700), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  const char * const kinds[] = { "local", "memory", NULL };
  const FerryTestCase shared[] = {
    { "commit-and-read", (GTestFixtureFunc) test_commit_and_read },
    { "abort", (GTestFixtureFunc) test_abort },
    { "remove", (GTestFixtureFunc) test_remove },
    { "no-overwrite", (GTestFixtureFunc) test_no_overwrite },
    { "space", (GTestFixtureFunc) test_space },
    { "reconcile", (GTestFixtureFunc) test_reconcile },
  };

  g_test_init (&argc, &argv, NULL);

  ferry_test_add_kinds ("blob-store", kinds, sizeof (Fixture), (GTestFixtureFunc) fixture_set_up,
                        (GTestFixtureFunc) fixture_tear_down, shared, G_N_ELEMENTS (shared));
  g_test_add ("/blob-store/local/errors-name-no-path", Fixture, "local",
              fixture_set_up, test_errors_name_no_path, fixture_tear_down);

  return g_test_run ();
}
