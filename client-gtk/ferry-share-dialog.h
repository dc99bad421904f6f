/* ferry-share-dialog.h: "Share Server", the server's web address for people without the app,
 * as text to copy and as a QR code for phones
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define FERRY_TYPE_SHARE_DIALOG (ferry_share_dialog_get_type ())

G_DECLARE_FINAL_TYPE (FerryShareDialog, ferry_share_dialog, FERRY, SHARE_DIALOG, AdwWindow)

/* @url is the page's address, "https://HOST:PORT/"; @needs_password says that the server asks
 * for its password, which the dialog then tells. */
GtkWidget *ferry_share_dialog_new (GtkWindow  *parent,
                                   const char *url,
                                   gboolean    needs_password);

G_END_DECLS
