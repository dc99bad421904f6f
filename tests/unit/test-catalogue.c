/* test-catalogue.c: FerryCatalogue, the same cases against a real SQLite file and in memory
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-catalogue"

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "ferry-catalogue.h"
#include "ferry-commit-queue.h"
#include "ferry-error.h"
#include "ferry-message.h"
#include "ferry-memory-catalogue.h"
#include "ferry-sqlite-catalogue.h"
#include "ferry-unit-test.h"

typedef struct
{
  char *dir;
  char *path;
  char *kind;   /* "sqlite" or "memory" */
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("ferry-catalogue-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "catalogue.sqlite", NULL);
  fixture->kind = g_strdup (user_data ? user_data : "sqlite");
}

/* The implementation under test; each call opens a new one. */
static FerryCatalogue *
open_catalogue (Fixture  *fixture,
                GError  **error)
{
  if (g_str_equal (fixture->kind, "memory"))
    return FERRY_CATALOGUE (ferry_memory_catalogue_new ());
  return FERRY_CATALOGUE (ferry_sqlite_catalogue_open (fixture->path, error));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  ferry_test_remove_tree (fixture->dir);
  g_clear_pointer (&fixture->dir, g_free);
  g_clear_pointer (&fixture->path, g_free);
  g_clear_pointer (&fixture->kind, g_free);
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

static int
synchronous_level (FerryCatalogue *catalogue)
{
  return ferry_sqlite_catalogue_get_synchronous (FERRY_SQLITE_CATALOGUE (catalogue));
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

  catalogue = open_catalogue (fixture, &error);
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

  g_assert_true (ferry_catalogue_remove (catalogue, second->id, &error));
  g_assert_no_error (error);

  rows = ferry_catalogue_list (catalogue, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 2);
  assert_rows_equal (g_ptr_array_index (rows, 0), first);
  assert_rows_equal (g_ptr_array_index (rows, 1), third);
  g_clear_pointer (&rows, g_ptr_array_unref);

  /* Deleting what is not there is NOT_FOUND, and changes nothing. */
  g_assert_false (ferry_catalogue_remove (catalogue, second->id, &error));
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

  catalogue = open_catalogue (fixture, &error);
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

  catalogue = open_catalogue (fixture, &error);
  g_assert_no_error (error);
  g_assert_true (ferry_catalogue_insert (catalogue, row, &error));
  g_assert_no_error (error);
  ferry_catalogue_close (catalogue);

  /* A closed catalogue refuses politely. */
  g_assert_null (ferry_catalogue_list (catalogue, &error));
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_INTERNAL);
  g_clear_error (&error);
  g_clear_object (&catalogue);

  catalogue = open_catalogue (fixture, &error);
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

  catalogue = open_catalogue (fixture, &error);
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

  catalogue = open_catalogue (fixture, &error);
  g_assert_no_error (error);

  mode = ferry_sqlite_catalogue_dup_journal_mode (FERRY_SQLITE_CATALOGUE (catalogue));
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

  catalogue = open_catalogue (fixture, &error);
  g_assert_no_error (error);
  g_assert_cmpint (synchronous_level (catalogue), >=, 2);

  /* Still so after a commit, and on a reopened catalogue. */
  g_assert_true (ferry_catalogue_insert (catalogue, row, &error));
  g_assert_no_error (error);
  g_assert_cmpint (synchronous_level (catalogue), >=, 2);
  g_clear_object (&catalogue);

  catalogue = open_catalogue (fixture, &error);
  g_assert_no_error (error);
  g_assert_cmpint (synchronous_level (catalogue), >=, 2);
  ferry_catalogue_close (catalogue);
  g_assert_cmpint (synchronous_level (catalogue), ==, -1);
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

  catalogue = open_catalogue (fixture, &error);
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

/* Group commit, as one call: the rows share a transaction, and a row that breaks a constraint
 * (an id already taken, before or within the batch) fails alone. The others are readable from a
 * catalogue opened afresh. */
static void
test_batch (Fixture       *fixture,
            gconstpointer  user_data)
{
  g_autoptr(FerryCatalogue) catalogue = NULL;
  g_autoptr(FerryCatalogue) fresh = NULL;
  g_autoptr(FerryCatalogueRow) taken = make_row ("00000000000000b0", "taken", 1, 1);
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (
    (GDestroyNotify) ferry_catalogue_row_unref);
  g_autoptr(GError) error = NULL;
  const char *ids[] = { "00000000000000b1", "00000000000000b0", "00000000000000b2",
                        "00000000000000b1", "00000000000000b3" };
  const gboolean fails[] = { FALSE, TRUE, FALSE, TRUE, FALSE };
  GError *errors[G_N_ELEMENTS (ids)] = { NULL, };

  catalogue = open_catalogue (fixture, &error);
  g_assert_no_error (error);
  g_assert_true (ferry_catalogue_insert (catalogue, taken, &error));

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    g_ptr_array_add (rows, make_row (ids[i], "batched", i, 2));
  ferry_catalogue_insert_batch (catalogue, (FerryCatalogueRow **) rows->pdata, rows->len, errors);

  fresh = g_str_equal (fixture->kind, "memory") ? g_object_ref (catalogue)
                                                : open_catalogue (fixture, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autoptr(FerryCatalogueRow) found = NULL;

      if (fails[i])
        {
          g_assert_error (errors[i], FERRY_ERROR, FERRY_ERROR_INTERNAL);
          g_clear_error (&errors[i]);
          continue;
        }
      g_assert_no_error (errors[i]);
      found = ferry_catalogue_lookup (fresh, ids[i], &error);
      g_assert_no_error (error);
      assert_rows_equal (found, g_ptr_array_index (rows, i));
    }
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = ferry_catalogue_list (fresh, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 4);   /* taken, b1, b2, b3 */
}

#define QUEUE_THREADS 8
#define QUEUE_ROWS    25

typedef struct
{
  Fixture          *fixture;
  FerryCatalogue   *catalogue;
  FerryCommitQueue *queue;
  guint             n;
} QueueThread;

/* Each insert is durable once it returns: a catalogue opened afresh right then has the row. */
static gpointer
queue_thread (gpointer data)
{
  QueueThread *t = data;

  for (guint i = 0; i < QUEUE_ROWS; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(FerryCatalogue) fresh = NULL;
      g_autoptr(FerryCatalogueRow) found = NULL;
      g_autofree char *id = g_strdup_printf ("%08x%08x", t->n + 1, i);
      g_autoptr(FerryCatalogueRow) row = make_row (id, "queued", i, t->n);

      if (!ferry_commit_queue_insert (t->queue, row, &error))
        return g_strdup_printf ("insert %s: %s", id, error->message);
      fresh = g_str_equal (t->fixture->kind, "memory") ? g_object_ref (t->catalogue)
                                                       : open_catalogue (t->fixture, &error);
      if (!fresh)
        return g_strdup_printf ("reopen: %s", error->message);
      found = ferry_catalogue_lookup (fresh, id, &error);
      if (!found)
        return g_strdup_printf ("%s not readable after its insert: %s", id, error->message);
    }
  return NULL;
}

static void
test_commit_queue (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(FerryCatalogue) catalogue = NULL;
  g_autoptr(FerryCommitQueue) queue = NULL;
  g_autoptr(FerryCatalogueRow) again = make_row ("0000000100000000", "again", 1, 1);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;
  QueueThread threads[QUEUE_THREADS];
  GThread *handles[QUEUE_THREADS];
  guint64 n_batches = 0, n_rows = 0;

  catalogue = open_catalogue (fixture, &error);
  g_assert_no_error (error);
  queue = ferry_commit_queue_new (catalogue);

  for (guint i = 0; i < QUEUE_THREADS; i++)
    {
      threads[i] = (QueueThread) { fixture, catalogue, queue, i };
      handles[i] = g_thread_new ("queue", queue_thread, &threads[i]);
    }
  for (guint i = 0; i < QUEUE_THREADS; i++)
    {
      g_autofree char *failure = g_thread_join (handles[i]);
      g_assert_null (failure);
    }

  ferry_commit_queue_get_counts (queue, &n_batches, &n_rows);
  g_assert_cmpuint (n_rows, ==, QUEUE_THREADS * QUEUE_ROWS);
  g_assert_cmpuint (n_batches, >=, 1);
  g_assert_cmpuint (n_batches, <=, n_rows);

  /* A failed row gets its own error through the queue. */
  g_assert_false (ferry_commit_queue_insert (queue, again, &error));
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_INTERNAL);

  rows = ferry_catalogue_list (catalogue, NULL);
  g_assert_cmpuint (rows->len, ==, QUEUE_THREADS * QUEUE_ROWS);
}

static void
test_open_failure (void)
{
  g_autoptr(FerryCatalogue) catalogue = NULL;
  g_autoptr(GError) error = NULL;

  catalogue = FERRY_CATALOGUE (
    ferry_sqlite_catalogue_open ("/nonexistent-ferry-dir/sub/catalogue.sqlite", &error));
  g_assert_null (catalogue);
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_INTERNAL);
}

static void
test_lookup (Fixture       *fixture,
             gconstpointer  user_data)
{
  g_autoptr(FerryCatalogue) catalogue = NULL;
  g_autoptr(FerryCatalogueRow) row = make_row ("00000000000000a1", "found.txt", 10, 1000);
  g_autoptr(FerryCatalogueRow) found = NULL;
  g_autoptr(GError) error = NULL;

  catalogue = open_catalogue (fixture, &error);
  g_assert_no_error (error);
  g_assert_true (ferry_catalogue_insert (catalogue, row, &error));
  g_assert_no_error (error);

  found = ferry_catalogue_lookup (catalogue, row->id, &error);
  g_assert_no_error (error);
  assert_rows_equal (found, row);
  g_assert_true (found != row);

  g_assert_null (ferry_catalogue_lookup (catalogue, "00000000000000b2", &error));
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
}

/* Ids are unique in the catalogue: against its rows and against the ids it has handed out
 * and not yet seen inserted. The random generator is seeded so that new_id () first draws an
 * id that is taken. */
static void
test_new_id (Fixture       *fixture,
             gconstpointer  user_data)
{
  g_autoptr(FerryCatalogue) catalogue = NULL;
  g_autoptr(FerryCatalogueRow) row = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *taken = NULL;
  g_autofree char *pending = NULL;
  g_autofree char *third = NULL;
  g_autofree char *again = NULL;

  catalogue = open_catalogue (fixture, &error);
  g_assert_no_error (error);

  g_random_set_seed (42);
  taken = ferry_catalogue_random_id ();
  g_assert_true (ferry_id_is_valid (taken));
  row = make_row (taken, "taken", 1, 1);
  g_assert_true (ferry_catalogue_insert (catalogue, row, &error));
  g_assert_no_error (error);

  g_random_set_seed (42);
  pending = ferry_catalogue_new_id (catalogue, &error);
  g_assert_no_error (error);
  g_assert_true (ferry_id_is_valid (pending));
  g_assert_cmpstr (pending, !=, taken);

  g_random_set_seed (42);
  third = ferry_catalogue_new_id (catalogue, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (third, !=, taken);
  g_assert_cmpstr (third, !=, pending);

  /* Handed back, an id may be handed out again. */
  ferry_catalogue_release_id (catalogue, pending);
  g_random_set_seed (42);
  again = ferry_catalogue_new_id (catalogue, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, pending);
}

static void
test_closed (Fixture       *fixture,
             gconstpointer  user_data)
{
  g_autoptr(FerryCatalogue) catalogue = NULL;
  g_autoptr(FerryCatalogueRow) row = make_row ("00000000000000a1", "late", 1, 1);
  g_autoptr(GError) error = NULL;

  catalogue = open_catalogue (fixture, &error);
  g_assert_no_error (error);
  ferry_catalogue_close (catalogue);

  g_assert_null (ferry_catalogue_list (catalogue, &error));
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_INTERNAL);
  g_clear_error (&error);
  g_assert_false (ferry_catalogue_insert (catalogue, row, &error));
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_INTERNAL);
  g_clear_error (&error);
  g_assert_false (ferry_catalogue_remove (catalogue, row->id, &error));
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_INTERNAL);
  g_clear_error (&error);
  g_assert_null (ferry_catalogue_new_id (catalogue, &error));
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_INTERNAL);
}

#define MIB ((guint64) 1024 * 1024)

static guint64
reserve (FerryCatalogue  *catalogue,
         const char      *address,
         guint64          need,
         guint64          want,
         guint64          free_bytes,
         gboolean        *short_of_disk,
         GError         **error)
{
  FerrySpaceRequest request = { address, need, want, want };
  FerryFreeSpace space = { TRUE, free_bytes, ferry_catalogue_get_mark (catalogue) };

  return ferry_catalogue_reserve (catalogue, &request, &space, short_of_disk, error);
}

/* The quota counts committed offers, bytes written and bytes reserved ahead; the free space
 * counts what is reserved ahead; one address holds at most its share ahead. */
static void
test_space (Fixture       *fixture,
            gconstpointer  user_data)
{
  g_autoptr(FerryCatalogue) catalogue = NULL;
  g_autoptr(GError) error = NULL;
  gboolean short_of_disk = TRUE;
  FerrySpaceRequest check = { NULL, 30 * MIB, 30 * MIB, 30 * MIB };
  FerryFreeSpace plenty = { TRUE, 1024 * MIB, 0 };
  guint64 mark;

  catalogue = open_catalogue (fixture, &error);
  g_assert_no_error (error);
  ferry_catalogue_set_quota (catalogue, 100 * MIB);
  ferry_catalogue_count (catalogue, 10 * MIB, 0);
  g_assert_cmpuint (ferry_catalogue_get_used (catalogue), ==, 10 * MIB);

  /* A check reserves nothing. */
  plenty.mark = ferry_catalogue_get_mark (catalogue);
  g_assert_cmpuint (ferry_catalogue_reserve (catalogue, &check, &plenty, NULL, &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpuint (ferry_catalogue_get_used (catalogue), ==, 10 * MIB);

  /* Up to want, capped by the address's share. */
  g_assert_cmpuint (reserve (catalogue, "10.0.0.1", MIB, 4 * MIB, 1024 * MIB, &short_of_disk,
                             &error), ==, 4 * MIB);
  g_assert_no_error (error);
  g_assert_false (short_of_disk);
  g_assert_cmpuint (reserve (catalogue, "10.0.0.1", MIB, 40 * MIB, 1024 * MIB, NULL, &error),
                    ==, FERRY_CATALOGUE_ADDRESS_AHEAD_MAX - 4 * MIB);
  /* At its share, an address gets only what the data at hand needs; another gets more. */
  g_assert_cmpuint (reserve (catalogue, "10.0.0.1", 1000, 4 * MIB, 1024 * MIB, NULL, &error),
                    ==, 1000);
  g_assert_cmpuint (reserve (catalogue, "10.0.0.2", 1000, 4 * MIB, 1024 * MIB, NULL, &error),
                    ==, 4 * MIB);
  g_assert_no_error (error);
  g_assert_cmpuint (ferry_catalogue_get_used (catalogue), ==,
                    10 * MIB + FERRY_CATALOGUE_ADDRESS_AHEAD_MAX + 1000 + 4 * MIB);

  /* Written bytes move from ahead to written: the quota sees no change, the mark moves. */
  mark = ferry_catalogue_get_mark (catalogue);
  ferry_catalogue_charge (catalogue, "10.0.0.2", 3 * MIB);
  g_assert_cmpuint (ferry_catalogue_get_mark (catalogue), ==, mark + 3 * MIB);
  g_assert_cmpuint (ferry_catalogue_get_used (catalogue), ==,
                    10 * MIB + FERRY_CATALOGUE_ADDRESS_AHEAD_MAX + 1000 + 4 * MIB);

  /* Released, everything is given back. */
  ferry_catalogue_release (catalogue, "10.0.0.1", FERRY_CATALOGUE_ADDRESS_AHEAD_MAX + 1000, 0);
  ferry_catalogue_release (catalogue, "10.0.0.2", MIB, 3 * MIB);
  g_assert_cmpuint (ferry_catalogue_get_used (catalogue), ==, 10 * MIB);

  /* The quota: 90 MiB left. */
  g_assert_cmpuint (reserve (catalogue, "10.0.0.3", 91 * MIB, 91 * MIB, 1024 * MIB,
                             &short_of_disk, &error), ==, 0);
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_NO_SPACE);
  g_assert_nonnull (strstr (error->message, "quota"));
  g_assert_false (short_of_disk);
  g_clear_error (&error);

  /* The free space, less what is reserved ahead. */
  g_assert_cmpuint (reserve (catalogue, "10.0.0.3", 2 * MIB, 2 * MIB, 3 * MIB, NULL, &error),
                    ==, 2 * MIB);
  g_assert_cmpuint (reserve (catalogue, "10.0.0.4", 2 * MIB, 2 * MIB, 3 * MIB, &short_of_disk,
                             &error), ==, 0);
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_NO_SPACE);
  g_assert_nonnull (strstr (error->message, "disk"));
  g_assert_true (short_of_disk);
  g_clear_error (&error);

  /* A reading older than bytes written since errs on the safe side. */
  plenty.free_bytes = 10 * MIB;
  plenty.mark = ferry_catalogue_get_mark (catalogue);
  ferry_catalogue_charge (catalogue, "10.0.0.3", 2 * MIB);
  ferry_catalogue_release (catalogue, "10.0.0.3", 0, 2 * MIB);
  check.need = check.want = check.rest = 9 * MIB;
  g_assert_cmpuint (ferry_catalogue_reserve (catalogue, &check, &plenty, NULL, &error), ==, 0);
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_NO_SPACE);
  g_clear_error (&error);

  /* Removed offers leave the quota. */
  ferry_catalogue_count (catalogue, 0, 10 * MIB);
  g_assert_cmpuint (ferry_catalogue_get_used (catalogue), ==, 0);
}

/* Records of partial uploads (PROTOCOL.md §5, Upload, Resume): put, replace, look up, list,
 * remove, with names of any bytes and the folder option; the file keeps them across a reopen. */
static void
test_partials (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autoptr(FerryCatalogue) catalogue = NULL;
  g_autoptr(FerryPartialRow) row = ferry_partial_row_new ();
  g_autoptr(FerryPartialRow) found = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;

  catalogue = open_catalogue (fixture, &error);
  g_assert_no_error (error);
  g_assert_null (ferry_catalogue_lookup_partial (catalogue, "00112233445566778899aabbccddeeff",
                                                 &error));
  g_assert_no_error (error);

  row->token = g_strdup ("00112233445566778899aabbccddeeff");
  memset (row->owner_hash, 0xa5, sizeof row->owner_hash);
  row->name = g_strdup ("a:b\nc \xe2\x9c\x93");
  row->size = G_MAXINT64;
  row->is_folder = TRUE;
  row->folder_files = G_MAXUINT32;
  row->folder_content = 12345;
  row->created = 1000;
  row->active = 2000;
  g_assert_true (ferry_catalogue_put_partial (catalogue, row, &error));
  g_assert_no_error (error);
  row->active = 3000;   /* a later activity replaces the record */
  g_assert_true (ferry_catalogue_put_partial (catalogue, row, &error));
  g_assert_no_error (error);

  if (g_str_equal (fixture->kind, "sqlite"))
    {
      g_clear_object (&catalogue);
      catalogue = open_catalogue (fixture, &error);
      g_assert_no_error (error);
    }
  found = ferry_catalogue_lookup_partial (catalogue, row->token, &error);
  g_assert_no_error (error);
  g_assert_nonnull (found);
  g_assert_cmpstr (found->name, ==, row->name);
  g_assert_cmpmem (found->owner_hash, sizeof found->owner_hash,
                   row->owner_hash, sizeof row->owner_hash);
  g_assert_cmpuint (found->size, ==, row->size);
  g_assert_true (found->is_folder);
  g_assert_cmpuint (found->folder_files, ==, row->folder_files);
  g_assert_cmpuint (found->folder_content, ==, row->folder_content);
  g_assert_cmpint (found->created, ==, 1000);
  g_assert_cmpint (found->active, ==, 3000);

  rows = ferry_catalogue_list_partials (catalogue, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 1);

  g_assert_true (ferry_catalogue_remove_partial (catalogue, row->token, &error));
  g_assert_true (ferry_catalogue_remove_partial (catalogue, row->token, &error));
  g_assert_no_error (error);
  g_clear_pointer (&found, ferry_partial_row_free);
  g_assert_null (ferry_catalogue_lookup_partial (catalogue, row->token, &error));
  g_assert_no_error (error);
  /* Offers are another table. */
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = ferry_catalogue_list (catalogue, &error);
  g_assert_cmpuint (rows->len, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  const char * const kinds[] = { "sqlite", "memory", NULL };
  const FerryTestCase shared[] = {
    { "round-trip", (GTestFixtureFunc) test_round_trip },
    { "names", (GTestFixtureFunc) test_names },
    { "duplicate-id", (GTestFixtureFunc) test_duplicate },
    { "threads", (GTestFixtureFunc) test_threads },
    { "batch", (GTestFixtureFunc) test_batch },
    { "commit-queue", (GTestFixtureFunc) test_commit_queue },
    { "lookup", (GTestFixtureFunc) test_lookup },
    { "new-id", (GTestFixtureFunc) test_new_id },
    { "closed", (GTestFixtureFunc) test_closed },
    { "space", (GTestFixtureFunc) test_space },
    { "partials", (GTestFixtureFunc) test_partials },
  };

  g_test_init (&argc, &argv, NULL);

  ferry_test_add_kinds ("catalogue", kinds, sizeof (Fixture), (GTestFixtureFunc) fixture_set_up,
                        (GTestFixtureFunc) fixture_tear_down, shared, G_N_ELEMENTS (shared));

  /* What only a file can show. */
  g_test_add ("/catalogue/sqlite/reopen", Fixture, "sqlite",
              fixture_set_up, test_reopen, fixture_tear_down);
  g_test_add ("/catalogue/sqlite/wal", Fixture, "sqlite",
              fixture_set_up, test_wal, fixture_tear_down);
  g_test_add ("/catalogue/sqlite/durable-commits", Fixture, "sqlite",
              fixture_set_up, test_durable_commits, fixture_tear_down);
  g_test_add_func ("/catalogue/sqlite/open-failure", test_open_failure);

  return g_test_run ();
}
