/* ferry-qr-code.c: FerryQrCode
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-qr-code"

#include "config.h"

#include "ferry-qr-code.h"

#include <string.h>
#include <glib/gi18n.h>
#include <qrencode.h>

#include "ferry-error.h"

struct _FerryQrCode
{
  QRcode *code;
  guint   size;   /* with the quiet zone */
};

FerryQrCode *
ferry_qr_code_new (const char  *text,
                   GError     **error)
{
  FerryQrCode *self;
  QRcode *code;

  g_return_val_if_fail (text != NULL, NULL);

  /* Byte mode: an address is case-sensitive, and UTF-8 passes as it is. */
  code = QRcode_encodeString8bit (text, 0, QR_ECLEVEL_M);
  if (!code)
    {
      g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_FAILED,
                           _("The address is too long for a QR code."));
      return NULL;
    }
  self = g_new0 (FerryQrCode, 1);
  self->code = code;
  self->size = (guint) code->width + 2 * FERRY_QR_CODE_QUIET_ZONE;
  return self;
}

void
ferry_qr_code_free (FerryQrCode *self)
{
  if (!self)
    return;
  QRcode_free (self->code);
  g_free (self);
}

guint
ferry_qr_code_get_size (FerryQrCode *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->size;
}

gboolean
ferry_qr_code_is_dark (FerryQrCode *self,
                       guint        x,
                       guint        y)
{
  guint width;

  g_return_val_if_fail (self != NULL, FALSE);

  width = (guint) self->code->width;
  if (x < FERRY_QR_CODE_QUIET_ZONE || y < FERRY_QR_CODE_QUIET_ZONE)
    return FALSE;
  x -= FERRY_QR_CODE_QUIET_ZONE;
  y -= FERRY_QR_CODE_QUIET_ZONE;
  if (x >= width || y >= width)
    return FALSE;
  /* libqrencode's bit 0 is the module's colour; the others say what the module is for. */
  return self->code->data[y * width + x] & 1;
}

GBytes *
ferry_qr_code_render (FerryQrCode *self,
                      guint        scale,
                      guint       *side)
{
  gsize stride;
  guint8 *pixels;
  guint n;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (scale > 0 && scale <= 64, NULL);

  n = self->size * scale;
  stride = (gsize) n * 3;
  pixels = g_malloc (stride * n);
  for (guint y = 0; y < n; y++)
    {
      guint8 *row = pixels + y * stride;

      for (guint x = 0; x < n; x++)
        memset (row + x * 3, ferry_qr_code_is_dark (self, x / scale, y / scale) ? 0x00 : 0xff,
                3);
    }
  if (side)
    *side = n;
  return g_bytes_new_take (pixels, stride * n);
}

char *
ferry_qr_code_to_text (FerryQrCode *self)
{
  /* Indexed by (top dark) | (bottom dark) << 1, drawn in black on white. */
  static const char *const cells[] = { " ", "▀", "▄", "█" };
  GString *text;

  g_return_val_if_fail (self != NULL, NULL);

  text = g_string_new (NULL);
  for (guint y = 0; y < self->size; y += 2)
    {
      g_string_append (text, "\033[30;107m");
      for (guint x = 0; x < self->size; x++)
        {
          guint index = (ferry_qr_code_is_dark (self, x, y) ? 1 : 0) |
                        (ferry_qr_code_is_dark (self, x, y + 1) ? 2 : 0);

          g_string_append (text, cells[index]);
        }
      g_string_append (text, "\033[0m\n");
    }
  return g_string_free (text, FALSE);
}
