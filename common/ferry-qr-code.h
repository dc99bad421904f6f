/* ferry-qr-code.h: a QR code of a short text (a server's web address), made with libqrencode,
 * for the app (as pixels) and the terminal (as half blocks)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Light modules around the code, as the QR standard asks, so that a reader finds it. */
#define FERRY_QR_CODE_QUIET_ZONE 4

typedef struct _FerryQrCode FerryQrCode;

/* Encodes @text (UTF-8, byte mode, error correction level M). NULL with a FERRY_ERROR when it
 * does not fit a QR code. */
FerryQrCode *ferry_qr_code_new       (const char    *text,
                                      GError       **error);
void         ferry_qr_code_free      (FerryQrCode   *self);
/* Modules per side, the quiet zone included. */
guint        ferry_qr_code_get_size  (FerryQrCode   *self);
/* Whether the module at @x, @y (from the top left, quiet zone included) is dark. */
gboolean     ferry_qr_code_is_dark   (FerryQrCode   *self,
                                      guint          x,
                                      guint          y);
/* Black on white RGB pixels, 3 bytes each, rows without padding: @scale pixels per module, so
 * that every module is a crisp square. *@side is the width and height in pixels. */
GBytes      *ferry_qr_code_render    (FerryQrCode   *self,
                                      guint          scale,
                                      guint         *side);
/* Lines of Unicode half blocks, two rows of modules per line, drawn black on white with ANSI
 * colours so that the code reads the same on a dark terminal. */
char        *ferry_qr_code_to_text   (FerryQrCode   *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryQrCode, ferry_qr_code_free)

G_END_DECLS
