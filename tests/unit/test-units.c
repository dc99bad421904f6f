/* test-units.c: sizes and durations as people write them; which errors a lost connection explains
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-test-units"

#include "config.h"

#include <locale.h>
#include <math.h>
#include <string.h>

#include "ferry-error.h"
#include "ferry-units.h"

#include <gio/gio.h>

#define KiB (G_GUINT64_CONSTANT (1) << 10)
#define MiB (G_GUINT64_CONSTANT (1) << 20)
#define GiB (G_GUINT64_CONSTANT (1) << 30)
#define TiB (G_GUINT64_CONSTANT (1) << 40)
#define PiB (G_GUINT64_CONSTANT (1) << 50)

typedef struct
{
  const char *text;
  guint64     value;
} Case;

static void
test_parse_size_valid (void)
{
  static const Case cases[] = {
    { "0", 0 },
    { "512", 512 },
    { "512B", 512 },
    { "1K", KiB },
    { "1k", KiB },
    { "100M", 100 * MiB },
    { "4G", 4 * GiB },
    { "1.5G", GiB + GiB / 2 },
    { "0.5K", 512 },
    { "10MiB", 10 * MiB },
    { "10MB", 10 * MiB },
    { "10mb", 10 * MiB },
    { "10 M", 10 * MiB },
    { " 2g ", 2 * GiB },
    { "\t2G\n", 2 * GiB },
    { "1T", TiB },
    { "3P", 3 * PiB },
    { "18446744073709551615", G_MAXUINT64 },
    { "15P", 15 * PiB },
    /* A fraction can bring it up to the limit, never over. */
    { "16383.99999999999999999P", G_MAXUINT64 },
    { "0.0000000000000000000000001K", 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      guint64 value = 42;

      g_test_message ("size “%s”", cases[i].text);
      g_assert_true (ferry_parse_size (cases[i].text, &value, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (value, ==, cases[i].value);
    }
}

static void
test_parse_size_invalid (void)
{
  static const char *bad[] = {
    "", "   ", "-1", "+1", "12Q", "M", "1.2.3", "1.", ".5G", "1,5G", "1e3", "0x10",
    "1KK", "1 K B", "G1", "1.5", "1iB", "ten", "1Gibibyte",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      guint64 value = 42;

      g_test_message ("size “%s”", bad[i]);
      g_assert_false (ferry_parse_size (bad[i], &value, &error));
      g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
      g_assert_nonnull (strstr (error->message, bad[i]));
      g_assert_cmpuint (value, ==, 42);
    }
}

static void
test_parse_size_overflow (void)
{
  static const char *bad[] = {
    "18446744073709551616",           /* 2^64 */
    "99999999999999999999999999999",
    "20000000P",
    "16384P",                         /* exactly 2^64 */
    "17179869184G",                   /* 2^64 / 2^30 */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      guint64 value = 42;

      g_test_message ("size “%s”", bad[i]);
      g_assert_false (ferry_parse_size (bad[i], &value, &error));
      g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
      g_assert_cmpuint (value, ==, 42);
    }

  /* Just under the limit still parses. */
  {
    g_autoptr(GError) error = NULL;
    guint64 value = 0;

    g_assert_true (ferry_parse_size ("16383P", &value, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (value, ==, 16383 * PiB);
  }
}

static void
test_parse_duration_valid (void)
{
  static const Case cases[] = {
    { "0", 0 },
    { "90s", 90 },
    { "90S", 90 },
    { "15m", 15 * 60 },
    { "24h", 24 * 3600 },
    { "7d", 7 * 86400 },
    { "2w", 14 * 86400 },
    { "3600", 3600 },
    { " 1h ", 3600 },
    { "1.5h", 5400 },
    { "0.5m", 30 },
    { "30500568904943w", G_GUINT64_CONSTANT (30500568904943) * 604800 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      guint64 value = 42;

      g_test_message ("duration “%s”", cases[i].text);
      g_assert_true (ferry_parse_duration (cases[i].text, &value, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (value, ==, cases[i].value);
    }
}

static void
test_parse_duration_invalid (void)
{
  static const char *bad[] = {
    "", "-5m", "5x", "h", "1.2.3h", "1.5", "5 minutes", "1y", "99999999999999999999s",
    "30500568904944w",  /* just over 2^64 seconds */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      guint64 value = 42;

      g_test_message ("duration “%s”", bad[i]);
      g_assert_false (ferry_parse_duration (bad[i], &value, &error));
      g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
      g_assert_cmpuint (value, ==, 42);
    }
}

static void
assert_string_free (char       *actual,
                    const char *expected)
{
  g_assert_cmpstr (actual, ==, expected);
  g_free (actual);
}

/* g_format_size() puts a no-break space between the number and the unit, except for a
 * plain byte count. */
#define NBSP "\xc2\xa0"

static void
test_format_size (void)
{
  /* Same as g_format_size, SI units. */
  assert_string_free (ferry_format_size (0), "0 bytes");
  assert_string_free (ferry_format_size (1), "1 byte");
  assert_string_free (ferry_format_size (1500000), "1.5" NBSP "MB");
  assert_string_free (ferry_format_size (G_GUINT64_CONSTANT (4000000000)), "4.0" NBSP "GB");
}

static void
test_format_duration (void)
{
  assert_string_free (ferry_format_duration (0), "0s");
  assert_string_free (ferry_format_duration (45), "45s");
  assert_string_free (ferry_format_duration (59), "59s");
  assert_string_free (ferry_format_duration (60), "1m 00s");
  assert_string_free (ferry_format_duration (200), "3m 20s");
  assert_string_free (ferry_format_duration (3599), "59m 59s");
  assert_string_free (ferry_format_duration (3600), "1h 00m");
  assert_string_free (ferry_format_duration (2 * 3600 + 5 * 60 + 59), "2h 05m");
  assert_string_free (ferry_format_duration (86399), "23h 59m");
  assert_string_free (ferry_format_duration (3 * 86400 + 4 * 3600 + 59), "3d 4h");
  assert_string_free (ferry_format_duration (G_MAXUINT64), "213503982334601d 7h");
}

static void
test_format_age (void)
{
  const gint64 now = 1700000000;

  assert_string_free (ferry_format_age (now, now), "just now");
  assert_string_free (ferry_format_age (now - 59, now), "just now");
  assert_string_free (ferry_format_age (now + 3600, now), "just now");
  assert_string_free (ferry_format_age (now - 60, now), "1 minute ago");
  assert_string_free (ferry_format_age (now - 5 * 60 - 30, now), "5 minutes ago");
  assert_string_free (ferry_format_age (now - 3599, now), "59 minutes ago");
  assert_string_free (ferry_format_age (now - 3600, now), "1 hour ago");
  assert_string_free (ferry_format_age (now - 3 * 3600, now), "3 hours ago");
  assert_string_free (ferry_format_age (now - 86399, now), "23 hours ago");
  assert_string_free (ferry_format_age (now - 86400, now), "1 day ago");
  assert_string_free (ferry_format_age (now - 2 * 86400 - 5, now), "2 days ago");
  assert_string_free (ferry_format_age (now - 400 * 86400, now), "400 days ago");
  /* No overflow when the two are as far apart as they can be. */
  {
    g_autofree char *s = ferry_format_age (G_MININT64, G_MAXINT64);

    g_assert_true (g_str_has_suffix (s, " days ago"));
  }
}

static void
test_format_rate (void)
{
  assert_string_free (ferry_format_rate (0), "0 bytes/s");
  assert_string_free (ferry_format_rate (-5), "0 bytes/s");
  assert_string_free (ferry_format_rate (NAN), "0 bytes/s");
  assert_string_free (ferry_format_rate (123400000.0), "123.4" NBSP "MB/s");
  assert_string_free (ferry_format_rate (1e30), "18.4" NBSP "EB/s");
}

static void
test_format_folder (void)
{
  assert_string_free (ferry_format_folder (1, 17), "1 file · 17 bytes");
  assert_string_free (ferry_format_folder (3, 308241), "3 files · 308.2" NBSP "kB");
  assert_string_free (ferry_format_folder (0, 0), "0 files · 0 bytes");
}

/* Which failures a lost connection explains, so that trying again once connected helps. */
static void
test_error_connection_lost (void)
{
  struct { GQuark domain; int code; gboolean lost; } cases[] = {
    { FERRY_ERROR, FERRY_ERROR_CLOSED, TRUE },
    { FERRY_ERROR, FERRY_ERROR_CONNECT, TRUE },
    { FERRY_ERROR, FERRY_ERROR_TIMEOUT, TRUE },
    { FERRY_ERROR, FERRY_ERROR_BUSY, TRUE },
    { G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, TRUE },
    { G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, TRUE },
    { G_IO_ERROR, G_IO_ERROR_TIMED_OUT, TRUE },
    { G_TLS_ERROR, G_TLS_ERROR_EOF, TRUE },
    { G_RESOLVER_ERROR, G_RESOLVER_ERROR_TEMPORARY_FAILURE, TRUE },
    { FERRY_ERROR, FERRY_ERROR_CHECKSUM, FALSE },
    { FERRY_ERROR, FERRY_ERROR_NOT_FOUND, FALSE },
    { FERRY_ERROR, FERRY_ERROR_TOO_LARGE, FALSE },
    { FERRY_ERROR, FERRY_ERROR_UNTRUSTED, FALSE },
    { FERRY_ERROR, FERRY_ERROR_AUTH, FALSE },
    { G_IO_ERROR, G_IO_ERROR_NO_SPACE, FALSE },
    { G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, FALSE },
    { G_IO_ERROR, G_IO_ERROR_CANCELLED, FALSE },
    { G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE, FALSE },
  };

  g_assert_false (ferry_error_is_connection_lost (NULL));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = g_error_new_literal (cases[i].domain, cases[i].code, "x");

      g_assert_cmpint (ferry_error_is_connection_lost (error), ==, cases[i].lost);
    }
}

int
main (int   argc,
      char *argv[])
{
  /* The expected strings are the untranslated ones. */
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/units/parse-size/valid", test_parse_size_valid);
  g_test_add_func ("/units/parse-size/invalid", test_parse_size_invalid);
  g_test_add_func ("/units/parse-size/overflow", test_parse_size_overflow);
  g_test_add_func ("/units/parse-duration/valid", test_parse_duration_valid);
  g_test_add_func ("/units/parse-duration/invalid", test_parse_duration_invalid);
  g_test_add_func ("/units/format/size", test_format_size);
  g_test_add_func ("/units/format/duration", test_format_duration);
  g_test_add_func ("/units/format/age", test_format_age);
  g_test_add_func ("/units/format/rate", test_format_rate);
  g_test_add_func ("/units/format/folder", test_format_folder);
  g_test_add_func ("/error/connection-lost", test_error_connection_lost);

  return g_test_run ();
}
