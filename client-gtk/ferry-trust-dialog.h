/* ferry-trust-dialog.h: asks whether to trust a server the person has not used before, or
 * says that a known server's identity changed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define FERRY_TYPE_TRUST_DIALOG (ferry_trust_dialog_get_type ())

/* Responses: "trust" (a new server, to trust its fingerprint), "forget" (a server whose
 * identity changed, to forget it) and "cancel". */
G_DECLARE_FINAL_TYPE (FerryTrustDialog, ferry_trust_dialog, FERRY, TRUST_DIALOG, AdwMessageDialog)

/* "Trust This Server?", with @fingerprint (canonical form) shown to compare, group by group. */
GtkWidget  *ferry_trust_dialog_new_untrusted   (GtkWindow        *parent,
                                                const char       *address,
                                                const char       *fingerprint);
/* "Server Identity Changed", with @problem: the engine's sentence about it. */
GtkWidget  *ferry_trust_dialog_new_changed     (GtkWindow        *parent,
                                                const char       *problem);
/* The fingerprint a "trust" answer trusts, or NULL when the identity changed. */
const char *ferry_trust_dialog_get_fingerprint (FerryTrustDialog *self);

G_END_DECLS
