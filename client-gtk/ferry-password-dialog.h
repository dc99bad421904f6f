/* ferry-password-dialog.h: asks for the password of a server started with --password-file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define FERRY_TYPE_PASSWORD_DIALOG (ferry_password_dialog_get_type ())

/* Responses: "connect" (with a password typed) and "cancel". */
G_DECLARE_FINAL_TYPE (FerryPasswordDialog, ferry_password_dialog,
                      FERRY, PASSWORD_DIALOG, AdwMessageDialog)

/* @problem NULL: asked for the first time; otherwise the server's sentence about the last
 * password, shown so the person knows why they are asked again. */
GtkWidget  *ferry_password_dialog_new          (GtkWindow           *parent,
                                                const char          *address,
                                                const char          *problem,
                                                gboolean             remember);
void        ferry_password_dialog_set_problem  (FerryPasswordDialog *self,
                                                const char          *problem);
const char *ferry_password_dialog_get_password (FerryPasswordDialog *self);
void        ferry_password_dialog_set_password (FerryPasswordDialog *self,
                                                const char          *password);
gboolean    ferry_password_dialog_get_remember (FerryPasswordDialog *self);
void        ferry_password_dialog_set_remember (FerryPasswordDialog *self,
                                                gboolean             remember);

G_END_DECLS
