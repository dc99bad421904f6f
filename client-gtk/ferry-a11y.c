/* ferry-a11y.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-a11y"

#include "config.h"

#include <glib/gi18n.h>

#include "ferry-a11y.h"

#include <string.h>

/* "_Save As…" → "Save As…"; "__" stands for one underscore. */
static char *
strip_mnemonic (const char *label)
{
  GString *out = g_string_sized_new (strlen (label));

  for (const char *p = label; *p; p++)
    {
      if (*p == '_')
        {
          if (p[1] != '_')
            continue;
          p++;
        }
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

static void
name_button (GtkButton *button)
{
  const char *label = gtk_button_get_label (button);
  const char *icon_name = gtk_button_get_icon_name (button);
  g_autofree char *name = NULL;

  if (label && *label)
    name = gtk_button_get_use_underline (button) ? strip_mnemonic (label) : g_strdup (label);
  else if (g_strcmp0 (icon_name, "window-close-symbolic") == 0)
    /* Translators: the accessible name of the button that closes a notification */
    name = g_strdup (_("Dismiss"));
  else
    return;

  gtk_accessible_reset_relation (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                  -1);
}

void
ferry_a11y_name_buttons (GtkWidget *root)
{
  g_return_if_fail (GTK_IS_WIDGET (root));

  if (GTK_IS_BUTTON (root))
    name_button (GTK_BUTTON (root));

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child;
       child = gtk_widget_get_next_sibling (child))
    ferry_a11y_name_buttons (child);
}
