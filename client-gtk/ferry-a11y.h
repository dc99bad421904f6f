/* ferry-a11y.h: accessible names for buttons that libadwaita 1.2 leaves unnamed or misnamed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Names every button under @root after what it shows. GTK 4.8 names a button with a mnemonic
 * label "_Delete Delete" (the raw label, then the label widget); it becomes "Delete". The
 * icon-only close button of an AdwToast has no name at all; it becomes "Dismiss". Use it on
 * widgets the app does not build from templates: toasts and AdwMessageDialog responses. */
void ferry_a11y_name_buttons (GtkWidget *root);

G_END_DECLS
