/* test-qr-code.c: FerryQrCode, the module grid with its quiet zone, as pixels and as text
 * (tests/gui's links test decodes the app's code from the screen with zbarimg)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "ferry-qr-code.h"

#define URL "https://192.168.1.20:5005/"

/* The quiet zone is light all round; the finder pattern's corner comes right after it. */
static void
test_grid (void)
{
  g_autoptr(FerryQrCode) qr = ferry_qr_code_new (URL, NULL);
  guint size;

  g_assert_nonnull (qr);
  size = ferry_qr_code_get_size (qr);
  /* Version 2 or more: 25 modules and up, plus the quiet zone on both sides. */
  g_assert_cmpuint (size, >=, 25 + 2 * FERRY_QR_CODE_QUIET_ZONE);
  g_assert_cmpuint ((size - 2 * FERRY_QR_CODE_QUIET_ZONE - 17) % 4, ==, 0);
  for (guint i = 0; i < size; i++)
    for (guint q = 0; q < FERRY_QR_CODE_QUIET_ZONE; q++)
      {
        g_assert_false (ferry_qr_code_is_dark (qr, q, i));
        g_assert_false (ferry_qr_code_is_dark (qr, i, q));
        g_assert_false (ferry_qr_code_is_dark (qr, size - 1 - q, i));
        g_assert_false (ferry_qr_code_is_dark (qr, i, size - 1 - q));
      }
  /* The three finder patterns: a dark 7×7 ring, then a light ring, around a dark 3×3. */
  for (guint k = 0; k < 7; k++)
    {
      guint z = FERRY_QR_CODE_QUIET_ZONE;
      guint far = size - z - 1;

      g_assert_true (ferry_qr_code_is_dark (qr, z + k, z));
      g_assert_true (ferry_qr_code_is_dark (qr, z, z + k));
      g_assert_true (ferry_qr_code_is_dark (qr, far - k, z));
      g_assert_true (ferry_qr_code_is_dark (qr, z, far - k));
    }
  g_assert_false (ferry_qr_code_is_dark (qr, FERRY_QR_CODE_QUIET_ZONE + 1,
                                         FERRY_QR_CODE_QUIET_ZONE + 1));
  g_assert_true (ferry_qr_code_is_dark (qr, FERRY_QR_CODE_QUIET_ZONE + 3,
                                        FERRY_QR_CODE_QUIET_ZONE + 3));
  /* Outside the grid is light, never a read past the end. */
  g_assert_false (ferry_qr_code_is_dark (qr, size + 100, 3));
}

/* Every module is a square of exactly @scale pixels, black or white. */
static void
test_render (void)
{
  g_autoptr(FerryQrCode) qr = ferry_qr_code_new (URL, NULL);
  guint size = ferry_qr_code_get_size (qr);
  guint scale = 5;
  guint side = 0;
  g_autoptr(GBytes) pixels = ferry_qr_code_render (qr, scale, &side);
  const guint8 *p = g_bytes_get_data (pixels, NULL);

  g_assert_cmpuint (side, ==, size * scale);
  g_assert_cmpuint (g_bytes_get_size (pixels), ==, (gsize) side * side * 3);
  for (guint y = 0; y < side; y++)
    for (guint x = 0; x < side; x++)
      {
        const guint8 *px = p + ((gsize) y * side + x) * 3;
        guint8 want = ferry_qr_code_is_dark (qr, x / scale, y / scale) ? 0x00 : 0xff;

        g_assert_cmpuint (px[0], ==, want);
        g_assert_cmpuint (px[1], ==, want);
        g_assert_cmpuint (px[2], ==, want);
      }
}

/* Half blocks: one line per two rows of modules, each as wide as the code. */
static void
test_text (void)
{
  g_autoptr(FerryQrCode) qr = ferry_qr_code_new (URL, NULL);
  guint size = ferry_qr_code_get_size (qr);
  g_autofree char *text = ferry_qr_code_to_text (qr);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  /* The last element is what follows the last newline: nothing. */
  g_assert_cmpuint (g_strv_length (lines), ==, (size + 1) / 2 + 1);
  g_assert_cmpstr (lines[(size + 1) / 2], ==, "");
  for (guint i = 0; i < (size + 1) / 2; i++)
    {
      const char *body = lines[i] + strlen ("\033[30;107m");

      g_assert_true (g_str_has_prefix (lines[i], "\033[30;107m"));
      g_assert_true (g_str_has_suffix (lines[i], "\033[0m"));
      g_assert_cmpuint (g_utf8_strlen (body, strlen (body) - strlen ("\033[0m")), ==, size);
    }
  /* The top two rows are quiet zone: blank. */
  g_assert_true (g_str_has_prefix (lines[0] + strlen ("\033[30;107m"), "    "));
}

/* What no QR code holds is refused with a sentence. */
static void
test_too_long (void)
{
  g_autofree char *huge = g_strnfill (8000, 'x');
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryQrCode) qr = ferry_qr_code_new (huge, &error);

  g_assert_null (qr);
  g_assert_nonnull (error);
  g_assert_cmpstr (error->message, !=, "");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qr-code/grid", test_grid);
  g_test_add_func ("/qr-code/render", test_render);
  g_test_add_func ("/qr-code/text", test_text);
  g_test_add_func ("/qr-code/too-long", test_too_long);
  return g_test_run ();
}
