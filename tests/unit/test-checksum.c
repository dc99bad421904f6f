/* test-checksum.c: SHA-256 through OpenSSL, and its hex form
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-test-checksum"

#include "config.h"

#include <string.h>

#include "ferry-checksum.h"

#define SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA256_ABC   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/* FIPS 180-2 appendix B.2 */
#define SHA256_448   "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"

static char *
digest_hex_of (const char *data,
               gsize       len)
{
  g_autoptr(FerryChecksum) checksum = ferry_checksum_new ();
  guint8 digest[32];

  ferry_checksum_update (checksum, (const guint8 *) data, len);
  ferry_checksum_finish (checksum, digest);
  return ferry_sha256_to_hex (digest);
}

static void
test_known_vectors (void)
{
  const char *msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  g_autofree char *empty = digest_hex_of ("", 0);
  g_autofree char *abc = digest_hex_of ("abc", 3);
  g_autofree char *long_msg = digest_hex_of (msg, strlen (msg));

  g_assert_cmpstr (empty, ==, SHA256_EMPTY);
  g_assert_cmpstr (abc, ==, SHA256_ABC);
  g_assert_cmpstr (long_msg, ==, SHA256_448);
}

static void
test_no_update (void)
{
  /* Never calling update is the same as hashing nothing. */
  g_autoptr(FerryChecksum) checksum = ferry_checksum_new ();
  g_autofree char *hex = NULL;
  guint8 digest[32];

  ferry_checksum_finish (checksum, digest);
  hex = ferry_sha256_to_hex (digest);
  g_assert_cmpstr (hex, ==, SHA256_EMPTY);
}

static void
test_incremental (void)
{
  static const gsize pieces[] = { 1, 3, 7, 0, 13, 64, 63, 65, 1000, 4093, 1 };
  const gsize total = 100003;
  g_autofree guint8 *data = g_malloc (total);
  g_autoptr(FerryChecksum) checksum = ferry_checksum_new ();
  g_autofree char *one_shot = NULL;
  g_autofree char *incremental = NULL;
  guint8 digest[32];
  gsize pos = 0;
  gsize i = 0;

  for (gsize j = 0; j < total; j++)
    data[j] = (guint8) g_test_rand_int_range (0, 256);

  one_shot = digest_hex_of ((const char *) data, total);

  while (pos < total)
    {
      gsize want = pieces[i++ % G_N_ELEMENTS (pieces)];
      gsize n = MIN (want, total - pos);

      ferry_checksum_update (checksum, data + pos, n);
      pos += n;
    }
  ferry_checksum_finish (checksum, digest);
  incremental = ferry_sha256_to_hex (digest);

  g_assert_cmpstr (incremental, ==, one_shot);

  /* And a different byte gives a different digest, so the comparison above means something. */
  data[total / 2] ^= 1;
  {
    g_autofree char *changed = digest_hex_of ((const char *) data, total);

    g_assert_cmpstr (changed, !=, one_shot);
  }
}

static void
test_hex_round_trip (void)
{
  guint8 digest[32];
  guint8 back[32];
  g_autofree char *hex = NULL;
  g_autofree char *upper = NULL;

  for (int i = 0; i < 32; i++)
    digest[i] = (guint8) (i * 37 + 11);

  hex = ferry_sha256_to_hex (digest);
  g_assert_cmpuint (strlen (hex), ==, FERRY_SHA256_HEX_LEN);
  for (const char *p = hex; *p; p++)
    g_assert_true (g_ascii_isdigit (*p) || (*p >= 'a' && *p <= 'f'));

  memset (back, 0, sizeof back);
  g_assert_true (ferry_sha256_from_hex (hex, back));
  g_assert_cmpmem (back, sizeof back, digest, sizeof digest);

  /* Upper case is accepted on the way in. */
  upper = g_ascii_strup (hex, -1);
  memset (back, 0, sizeof back);
  g_assert_true (ferry_sha256_from_hex (upper, back));
  g_assert_cmpmem (back, sizeof back, digest, sizeof digest);
}

static void
test_hex_invalid (void)
{
  guint8 digest[32];
  g_autofree char *short_hex = g_strndup (SHA256_ABC, 63);
  g_autofree char *long_hex = g_strconcat (SHA256_ABC, "0", NULL);
  g_autofree char *bad_char = g_strdup (SHA256_ABC);
  g_autofree char *space = g_strconcat (SHA256_ABC, "\n", NULL);

  bad_char[10] = 'g';

  g_assert_false (ferry_sha256_from_hex (NULL, digest));
  g_assert_false (ferry_sha256_from_hex ("", digest));
  g_assert_false (ferry_sha256_from_hex (short_hex, digest));
  g_assert_false (ferry_sha256_from_hex (long_hex, digest));
  g_assert_false (ferry_sha256_from_hex (bad_char, digest));
  g_assert_false (ferry_sha256_from_hex (space, digest));
  g_assert_true (ferry_sha256_from_hex (SHA256_ABC, digest));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/checksum/known-vectors", test_known_vectors);
  g_test_add_func ("/checksum/no-update", test_no_update);
  g_test_add_func ("/checksum/incremental", test_incremental);
  g_test_add_func ("/checksum/hex-round-trip", test_hex_round_trip);
  g_test_add_func ("/checksum/hex-invalid", test_hex_invalid);

  return g_test_run ();
}
