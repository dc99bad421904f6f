/* test-catalogue.c: FerryCatalogue against a real SQLite file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-catalogue"

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "ferry-catalogue.h"
#include "ferry-error.h"

typedef struct
{
  char *dir;
  char *path;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("ferry-catalogue-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "catalogue.sqlite", NULL);
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
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  remove_tree (fixture->dir);
  g_clear_pointer (&fixture->dir, g_free);
  g_clear_pointer (&fixture->path, g_free);
}

static FerryCatalogueRow *
make_row (const char *id,
          const char *name,
          guint64     size,
          gint64      created)
{
  FerryCatalogueRow *row = ferry_catalogue_row_new ();

  row->id = g_strdup (id);
  row->name = g_strdup (name);
  row->size = size;
  row->uploader = g_strdup ("alice");
  row->created = created;
  row->expires = created + 3600;
  for (guint i = 0; i < FERRY_CATALOGUE_HASH_SIZE; i++)
    {
      row->sha256[i] = (guint8) (i * 7 + size);
      row->owner_hash[i] = (guint8) (255 - i);
    }
  return row;
}

static void
assert_rows_equal (const FerryCatalogueRow *a,
                   const FerryCatalogueRow *b)
{
  g_assert_cmpstr (a->id, ==, b->id);
  g_assert_cmpstr (a->name, ==, b->name);
  g_assert_cmpmem (a->name, strlen (a->name), b->name, strlen (b->name));
  g_assert_cmpuint (a->size, ==, b->size);
  g_assert_cmpmem (a->sha256, sizeof a->sha256, b->sha256, sizeof b->sha256);
  g_assert_cmpstr (a->uploader, ==, b->uploader);
  g_assert_cmpmem (a->owner_hash, sizeof a->owner_hash, b->owner_hash, sizeof b->owner_hash);
  g_assert_cmpint (a->created, ==, b->created);
  g_assert_cmpint (a->expires, ==, b->expires);
}

static void
test_round_trip (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_autoptr(FerryCatalogue) catalogue = NULL;
  g_autoptr(FerryCatalogueRow) first = make_row ("00000000000000a1", "first.txt", 10, 1000);
  g_autoptr(FerryCatalogueRow) second = make_row ("00000000000000b2", "second.txt", 20, 2000);
  g_autoptr(FerryCatalogueRow) third = make_row ("00000000000000c3", "third.txt",
                                                 G_GUINT64_CONSTANT (5000000000), 2000);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;

  catalogue = ferry_catalogue_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (catalogue);

  rows = ferry_catalogue_list (catalogue, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 0);
  g_clear_pointer (&rows, g_ptr_array_unref);

  /* Inserted out of order: the list comes back by created, then insertion order. */
  g_assert_true (ferry_catalogue_insert (catalogue, second, &error));
  g_assert_no_error (error);
  g_assert_true (ferry_catalogue_insert (catalogue, third, &error));
  g_assert_no_error (error);
  g_assert_true (ferry_catalogue_insert (catalogue, first, &error));
  g_assert_no_error (error);

  rows = ferry_catalogue_list (catalogue, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 3);
  assert_rows_equal (g_ptr_array_index (rows, 0), first);
  assert_rows_equal (g_ptr_array_index (rows, 1), second);
  assert_rows_equal (g_ptr_array_index (rows, 2), third);
  g_clear_pointer (&rows, g_ptr_array_unref);

  g_assert_true (ferry_catalogue_delete (catalogue, second->id, &error));
  g_assert_no_error (error);

  rows = ferry_catalogue_list (catalogue, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 2);
  assert_rows_equal (g_ptr_array_index (rows, 0), first);
  assert_rows_equal (g_ptr_array_index (rows, 1), third);
  g_clear_pointer (&rows, g_ptr_array_unref);

  /* Deleting what is not there is NOT_FOUND, and changes nothing. */
  g_assert_false (ferry_catalogue_delete (catalogue, second->id, &error));
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
}

static void
test_names (Fixture       *fixture,
            gconstpointer  user_data)
{
  const char *names[] = {
    "a:b:c.txt",
    "two\nlines.txt",
    "rocket \xf0\x9f\x9a\x80 party \xf0\x9f\x8e\x89.png",
    "'; DROP TABLE offers; --",
    "tab\there, \"quotes\" and \\backslash\\",
    "../../etc/passwd",
    "\xc3\xa9t\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
  };
  g_autoptr(FerryCatalogue) catalogue = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;

  catalogue = ferry_catalogue_open (fixture->path, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *id = g_strdup_printf ("%016x", i + 1);
      g_autoptr(FerryCatalogueRow) row = make_row (id, names[i], i, 100 + i);

      g_assert_true (ferry_catalogue_insert (catalogue, row, &error));
      g_assert_no_error (error);
    }

  rows = ferry_catalogue_list (catalogue, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, G_N_ELEMENTS (names));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      FerryCatalogueRow *row = g_ptr_array_index (rows, i);

      g_assert_cmpmem (row->name, strlen (row->name), names[i], strlen (names[i]));
    }
}

static void
test_reopen (Fixture       *fixture,
             gconstpointer  user_data)
{
  g_autoptr(FerryCatalogue) catalogue = NULL;
  g_autoptr(FerryCatalogueRow) row = make_row ("0123456789abcdef", "kept \xe2\x9c\x93", 42, 7);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;

  catalogue = ferry_catalogue_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_true (ferry_catalogue_insert (catalogue, row, &error));
  g_assert_no_error (error);
  ferry_catalogue_close (catalogue);

  /* A closed catalogue refuses politely. */
  g_assert_null (ferry_catalogue_list (catalogue, &error));
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_INTERNAL);
  g_clear_error (&error);
  g_clear_object (&catalogue);

  catalogue = ferry_catalogue_open (fixture->path, &error);
  g_assert_no_error (error);
  rows = ferry_catalogue_list (catalogue, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 1);
  assert_rows_equal (g_ptr_array_index (rows, 0), row);
}

static void
test_duplicate (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(FerryCatalogue) catalogue = NULL;
  g_autoptr(FerryCatalogueRow) row = make_row ("00000000000000aa", "one", 1, 1);
  g_autoptr(FerryCatalogueRow) again = make_row ("00000000000000aa", "other", 2, 2);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;

  catalogue = ferry_catalogue_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_true (ferry_catalogue_insert (catalogue, row, &error));
  g_assert_no_error (error);

  g_assert_false (ferry_catalogue_insert (catalogue, again, &error));
  g_assert_nonnull (error);
  g_assert_true (error->domain == FERRY_ERROR);
  g_assert_cmpstr (error->message, !=, "");
  g_clear_error (&error);

  /* The failed insert left the first row alone, and the statement is still usable. */
  rows = ferry_catalogue_list (catalogue, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 1);
  assert_rows_equal (g_ptr_array_index (rows, 0), row);

  g_clear_pointer (&again->id, g_free);
  again->id = g_strdup ("00000000000000bb");
  g_assert_true (ferry_catalogue_insert (catalogue, again, &error));
  g_assert_no_error (error);
}

static void
test_wal (Fixture       *fixture,
          gconstpointer  user_data)
{
  g_autoptr(FerryCatalogue) catalogue = NULL;
  g_autoptr(FerryCatalogueRow) row = make_row ("00000000000000ee", "wal", 1, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *mode = NULL;
  g_autofree char *wal = g_strconcat (fixture->path, "-wal", NULL);

  catalogue = ferry_catalogue_open (fixture->path, &error);
  g_assert_no_error (error);

  mode = ferry_catalogue_dup_journal_mode (catalogue);
  g_assert_cmpstr (mode, ==, "wal");

  g_assert_true (ferry_catalogue_insert (catalogue, row, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (wal, G_FILE_TEST_EXISTS));
}

/* An offer is announced once its insert returns, so the insert must be durable by then: in WAL
 * mode only synchronous=FULL syncs the WAL at each commit (NORMAL may lose the last ones to a
 * power cut). The level is read back from the catalogue's own connection. */
static void
test_durable_commits (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autoptr(FerryCatalogue) catalogue = NULL;
  g_autoptr(FerryCatalogueRow) row = make_row ("00000000000000dd", "durable", 1, 1);
  g_autoptr(GError) error = NULL;

  catalogue = ferry_catalogue_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ferry_catalogue_get_synchronous (catalogue), >=, 2);

  /* Still so after a commit, and on a reopened catalogue. */
  g_assert_true (ferry_catalogue_insert (catalogue, row, &error));
  g_assert_no_error (error);
  g_assert_cmpint (ferry_catalogue_get_synchronous (catalogue), >=, 2);
  g_clear_object (&catalogue);

  catalogue = ferry_catalogue_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ferry_catalogue_get_synchronous (catalogue), >=, 2);
  ferry_catalogue_close (catalogue);
  g_assert_cmpint (ferry_catalogue_get_synchronous (catalogue), ==, -1);
}

static gpointer
insert_thread (gpointer data)
{
  FerryCatalogue *catalogue = data;
  guint base = GPOINTER_TO_UINT (g_thread_self ()) & 0xffff;
  static int counter;

  for (guint i = 0; i < 50; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *id = g_strdup_printf ("%08x%08x", base,
                                             (guint) g_atomic_int_add (&counter, 1));
      g_autoptr(FerryCatalogueRow) row = make_row (id, "threaded", i, i);

      if (!ferry_catalogue_insert (catalogue, row, &error))
        return g_strdup (error->message);
    }
  return NULL;
}

static void
test_threads (Fixture       *fixture,
              gconstpointer  user_data)
{
  g_autoptr(FerryCatalogue) catalogue = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;
  GThread *threads[4];

  catalogue = ferry_catalogue_open (fixture->path, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("insert", insert_thread, catalogue);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      g_autofree char *failure = g_thread_join (threads[i]);
      g_assert_null (failure);
    }

  rows = ferry_catalogue_list (catalogue, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 50 * G_N_ELEMENTS (threads));
}

static void
test_open_failure (void)
{
  g_autoptr(FerryCatalogue) catalogue = NULL;
  g_autoptr(GError) error = NULL;

  catalogue = ferry_catalogue_open ("/nonexistent-ferry-dir/sub/catalogue.sqlite", &error);
  g_assert_null (catalogue);
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_INTERNAL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/catalogue/round-trip", Fixture, NULL,
              fixture_set_up, test_round_trip, fixture_tear_down);
  g_test_add ("/catalogue/names", Fixture, NULL,
              fixture_set_up, test_names, fixture_tear_down);
  g_test_add ("/catalogue/reopen", Fixture, NULL,
              fixture_set_up, test_reopen, fixture_tear_down);
  g_test_add ("/catalogue/duplicate-id", Fixture, NULL,
              fixture_set_up, test_duplicate, fixture_tear_down);
  g_test_add ("/catalogue/wal", Fixture, NULL,
              fixture_set_up, test_wal, fixture_tear_down);
  g_test_add ("/catalogue/durable-commits", Fixture, NULL,
              fixture_set_up, test_durable_commits, fixture_tear_down);
  g_test_add ("/catalogue/threads", Fixture, NULL,
              fixture_set_up, test_threads, fixture_tear_down);
  g_test_add_func ("/catalogue/open-failure", test_open_failure);

  return g_test_run ();
}
