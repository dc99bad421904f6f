/* test-links.c: FerryLinks, the link keys of docs/HTTP.md §6, against vectors computed
 * independently (Python's hmac) from a known DATA/web-secret
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "ferry-error.h"
#include "ferry-links.h"
#include "ferry-unit-test.h"

/* bytes(range(32)) */
#define SECRET_HEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

typedef struct
{
  char       *dir;
  FerryLinks *links;
} Fixture;

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  f->dir = g_dir_make_tmp ("ferry-links-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (f->dir, "web-secret", NULL);
  g_assert_true (g_file_set_contents (path, SECRET_HEX "\n", -1, NULL));
  f->links = ferry_links_new (f->dir, &error);
  g_assert_no_error (error);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  g_clear_object (&f->links);
  ferry_test_remove_tree (f->dir);
  g_clear_pointer (&f->dir, g_free);
}

/* base64url of the 8-byte expiry and 16 bytes of HMAC-SHA256 over
 * "ferry-link\0" ID "\0" EXPIRY: 32 characters, no padding, '-' and '_' for '+' and '/'. */
static void
test_vectors (Fixture       *f,
              gconstpointer  data)
{
  struct { const char *id; guint64 expires; const char *key; } cases[] = {
    { "0123456789abcdef", 1700000000, "AAAAAGVT8QAsGxQpjV4-aGPM3Xubrjc2" },
    { "0123456789abcdef", 0, "AAAAAAAAAACIJVenuKNnvBClXVVyGIVr" },
    { "ab", G_MAXUINT64, "__________8BscmuwS6nsCEZtFWmvQBt" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *key = ferry_links_make_key (f->links, cases[i].id, cases[i].expires);
      g_autoptr(GError) error = NULL;

      g_assert_cmpstr (key, ==, cases[i].key);
      g_assert_cmpuint (strlen (key), ==, FERRY_LINK_KEY_LEN);
      g_assert_true (ferry_links_check_key_at (f->links, cases[i].id, key, 1600000000, &error));
      g_assert_no_error (error);
    }
}

/* Valid until the second it names, not at it; 0 never expires. */
static void
test_expiry (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *key = ferry_links_make_key (f->links, "abc", 1000);
  g_autofree char *forever = ferry_links_make_key (f->links, "abc", 0);
  g_autoptr(GError) error = NULL;

  g_assert_true (ferry_links_check_key_at (f->links, "abc", key, 999, &error));
  g_assert_false (ferry_links_check_key_at (f->links, "abc", key, 1000, &error));
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_AUTH);
  g_clear_error (&error);
  g_assert_true (ferry_links_check_key_at (f->links, "abc", forever, G_MAXINT64, &error));
  g_assert_no_error (error);
}

/* An id that is a prefix of another, or the expiry moved into the id, signs differently. */
static void
test_fields_apart (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *key = ferry_links_make_key (f->links, "ab", 0);
  g_autoptr(GError) error = NULL;

  g_assert_false (ferry_links_check_key_at (f->links, "abc", key, 0, &error));
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_AUTH);
  g_clear_error (&error);
  g_assert_false (ferry_links_check_key_at (f->links, "a", key, 0, &error));
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_AUTH);
}

/* Hostile keys: every one a clear refusal, none a crash. */
static void
test_hostile_keys (Fixture       *f,
                   gconstpointer  data)
{
  const char *keys[] = {
    "", "A", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+/",
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n\n", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "ÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄ",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (ferry_links_check_key_at (f->links, "abc", keys[i], 0, &error));
      g_assert_error (error, FERRY_ERROR, FERRY_ERROR_AUTH);
      g_assert_cmpstr (error->message, !=, "");
    }
}

/* The path: the name percent-encoded as one segment, a key only when asked. */
static void
test_path (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *open = ferry_links_make_path (f->links, "abc", "a b/c?#%.txt", 0, FALSE);
  g_autofree char *keyed = ferry_links_make_path (f->links, "abc", "x", 0, TRUE);
  g_autofree char *key = ferry_links_make_key (f->links, "abc", 0);
  g_autofree char *expected = g_strdup_printf ("/f/abc/x?key=%s", key);

  g_assert_cmpstr (open, ==, "/f/abc/a%20b%2Fc%3F%23%25.txt");
  g_assert_cmpstr (keyed, ==, expected);
}

/* A damaged secret file is an error that names it, never replaced; a missing one is made. */
static void
test_secret_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("ferry-links-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "web-secret", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(FerryLinks) made = NULL;
  g_autoptr(FerryLinks) damaged = NULL;
  g_autoptr(FerryLinks) memory = NULL;
  GStatBuf st;

  made = ferry_links_new (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  g_assert_true (g_file_set_contents (path, "not hex\n", -1, NULL));
  damaged = ferry_links_new (dir, &error);
  g_assert_null (damaged);
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "not hex\n");
  g_clear_error (&error);

  /* Without a directory, a secret in memory: it signs and checks its own keys. */
  memory = ferry_links_new (NULL, &error);
  g_assert_no_error (error);
  {
    g_autofree char *key = ferry_links_make_key (memory, "abc", 0);

    g_assert_true (ferry_links_check_key (memory, "abc", key, &error));
    g_assert_no_error (error);
    g_assert_false (ferry_links_check_key (made, "abc", key, &error));
    g_assert_error (error, FERRY_ERROR, FERRY_ERROR_AUTH);
  }
  ferry_test_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/links/vectors", Fixture, NULL, setup, test_vectors, teardown);
  g_test_add ("/links/expiry", Fixture, NULL, setup, test_expiry, teardown);
  g_test_add ("/links/fields-apart", Fixture, NULL, setup, test_fields_apart, teardown);
  g_test_add ("/links/hostile-keys", Fixture, NULL, setup, test_hostile_keys, teardown);
  g_test_add ("/links/path", Fixture, NULL, setup, test_path, teardown);
  g_test_add_func ("/links/secret-file", test_secret_file);
  return g_test_run ();
}
