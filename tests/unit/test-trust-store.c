/* test-trust-store.c: the identity and the pins, read in a thread, kept in memory, written in
 * the background
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-test-trust-store"

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "ferry-trust-store.h"
#include "ferry-known-servers.h"

#define FP_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define FP_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

typedef struct
{
  char *dir;
  char *identity;
  char *known;
} Fixture;

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("ferry-test-trust-store-XXXXXX", &error);
  g_assert_no_error (error);
  f->identity = g_build_filename (f->dir, "ferry", "identity", NULL);
  f->known = g_build_filename (f->dir, "ferry", "known-servers", NULL);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  g_autofree char *sub = g_build_filename (f->dir, "ferry", NULL);

  g_unlink (f->identity);
  g_unlink (f->known);
  g_rmdir (sub);
  g_rmdir (f->dir);
  g_free (f->identity);
  g_free (f->known);
  g_free (f->dir);
}

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  gboolean *done = user_data;

  ferry_trust_store_load_finish (FERRY_TRUST_STORE (object), result, &error);
  g_assert_no_error (error);
  *done = TRUE;
}

static void
load (FerryTrustStore *store)
{
  gboolean done = FALSE;

  ferry_trust_store_load_async (store, NULL, loaded_cb, &done);
  /* Never on the caller's stack: the result comes through the main context. */
  g_assert_false (done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static char *
lookup (FerryTrustStore *store,
        const char      *key)
{
  g_autoptr(GError) error = NULL;
  char *fingerprint = ferry_trust_store_lookup (store, key, &error);

  g_assert_no_error (error);
  return fingerprint;
}

/* The first load creates the identity in a thread; its secret is the file's. */
static void
test_identity (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(FerryTrustStore) store = ferry_trust_store_get (f->identity, f->known);
  g_autofree char *contents = NULL;
  g_autofree char *hex = NULL;
  const guint8 *secret;

  g_assert_false (g_file_test (f->identity, G_FILE_TEST_EXISTS));
  load (store);
  g_assert_true (g_file_get_contents (f->identity, &contents, NULL, NULL));
  secret = ferry_trust_store_get_secret (store);
  hex = g_malloc0 (2 * 32 + 1);
  for (guint i = 0; i < 32; i++)
    g_snprintf (hex + 2 * i, 3, "%02x", secret[i]);
  g_assert_true (g_str_has_prefix (g_strstrip (contents), hex));
}

/* One store per pair of files, for every client of the process. */
static void
test_shared (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(FerryTrustStore) one = ferry_trust_store_get (f->identity, f->known);
  g_autoptr(FerryTrustStore) two = ferry_trust_store_get (f->identity, f->known);
  g_autofree char *other_known = g_build_filename (f->dir, "other", NULL);
  g_autoptr(FerryTrustStore) three = ferry_trust_store_get (f->identity, other_known);

  g_assert_true (one == two);
  g_assert_true (one != three);
}

/* A pin is in memory at once and on disk after a flush; a forget likewise. */
static void
test_pin_and_forget (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(FerryTrustStore) store = ferry_trust_store_get (f->identity, f->known);
  g_autofree char *on_disk = NULL;
  g_autofree char *in_memory = NULL;

  load (store);
  ferry_trust_store_pin (store, "example.org:5005", FP_A);
  in_memory = lookup (store, "example.org:5005");
  g_assert_cmpstr (in_memory, ==, FP_A);
  ferry_trust_store_flush (store);
  on_disk = ferry_known_servers_lookup (f->known, "example.org:5005", NULL);
  g_assert_cmpstr (on_disk, ==, FP_A);

  ferry_trust_store_forget (store, "example.org:5005");
  g_clear_pointer (&in_memory, g_free);
  in_memory = lookup (store, "example.org:5005");
  g_assert_null (in_memory);
  ferry_trust_store_flush (store);
  g_clear_pointer (&on_disk, g_free);
  on_disk = ferry_known_servers_lookup (f->known, "example.org:5005", NULL);
  g_assert_null (on_disk);

  /* What this process wrote is not lost by the next load (which sees the file changed). */
  ferry_trust_store_pin (store, "example.org:5005", FP_B);
  load (store);
  g_clear_pointer (&in_memory, g_free);
  in_memory = lookup (store, "example.org:5005");
  g_assert_cmpstr (in_memory, ==, FP_B);
}

/* Lookups come from memory; another program's change is seen at the next load. */
static void
test_cached_until_changed (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(FerryTrustStore) store = ferry_trust_store_get (f->identity, f->known);
  g_autoptr(GError) error = NULL;
  g_autofree char *fingerprint = NULL;

  ferry_known_servers_add (f->known, "files.example.org:5005", FP_A, &error);
  g_assert_no_error (error);
  load (store);

  /* The file goes: memory still answers, so no lookup reads it. */
  g_assert_cmpint (g_unlink (f->known), ==, 0);
  fingerprint = lookup (store, "files.example.org:5005");
  g_assert_cmpstr (fingerprint, ==, FP_A);

  /* Another program pins a new key: the next load reads the changed file. */
  ferry_known_servers_add (f->known, "files.example.org:5005", FP_B, &error);
  g_assert_no_error (error);
  load (store);
  g_clear_pointer (&fingerprint, g_free);
  fingerprint = lookup (store, "files.example.org:5005");
  g_assert_cmpstr (fingerprint, ==, FP_B);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/trust-store/identity", Fixture, NULL, setup, test_identity, teardown);
  g_test_add ("/trust-store/shared", Fixture, NULL, setup, test_shared, teardown);
  g_test_add ("/trust-store/pin-and-forget", Fixture, NULL, setup, test_pin_and_forget,
              teardown);
  g_test_add ("/trust-store/cached-until-changed", Fixture, NULL, setup,
              test_cached_until_changed, teardown);

  return g_test_run ();
}
