/* ferry-preferences-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-preferences-window"

#include "config.h"

#include <glib/gi18n.h>

#include "ferry-preferences-window.h"
#include "ferry-application.h"

struct _FerryPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  /* template widgets */
  GtkSwitch           *downloads_switch;
  GtkSwitch           *tls_switch;
  AdwEntryRow         *server_row;
  AdwEntryRow         *name_row;

  /* owned references */
  GSettings           *settings;
};

G_DEFINE_FINAL_TYPE (FerryPreferencesWindow, ferry_preferences_window,
                     ADW_TYPE_PREFERENCES_WINDOW)

static void
row_apply_cb (FerryPreferencesWindow *self)
{
  g_autofree char *server = NULL;
  g_autofree char *name = NULL;

  server = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->server_row))));
  name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
  if (*server && *name)
    gtk_widget_activate_action (GTK_WIDGET (self), "app.connect", "(ss)", server, name);
}

/* AdwPreferencesWindow 1.2 builds a search page whose entry and result list (in a group with no
 * title) have no accessible names, and GTK 4.8 shows assistive technologies even pages that are
 * not visible. The groups with a title name their lists after it. */
static void
name_search_widgets (GtkWidget *widget,
                     GtkWidget *group)
{
  if (ADW_IS_PREFERENCES_GROUP (widget))
    group = widget;

  if (GTK_IS_SEARCH_ENTRY (widget))
    gtk_accessible_update_property (GTK_ACCESSIBLE (widget),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, _("Search Preferences"),
                                    -1);
  else if (GTK_IS_LIST_BOX (widget) && group
           && !*adw_preferences_group_get_title (ADW_PREFERENCES_GROUP (group)))
    gtk_accessible_update_property (GTK_ACCESSIBLE (widget),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, _("Search Results"),
                                    -1);

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child;
       child = gtk_widget_get_next_sibling (child))
    name_search_widgets (child, group);
}

static void
map_cb (GtkWidget *widget)
{
  name_search_widgets (widget, NULL);
}

static void
ferry_preferences_window_dispose (GObject *object)
{
  FerryPreferencesWindow *self = FERRY_PREFERENCES_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), FERRY_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (ferry_preferences_window_parent_class)->dispose (object);
}

static void
ferry_preferences_window_class_init (FerryPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ferry_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/ferry/Ferry/ferry-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, FerryPreferencesWindow, downloads_switch);
  gtk_widget_class_bind_template_child (widget_class, FerryPreferencesWindow, tls_switch);
  gtk_widget_class_bind_template_child (widget_class, FerryPreferencesWindow, server_row);
  gtk_widget_class_bind_template_child (widget_class, FerryPreferencesWindow, name_row);
  gtk_widget_class_bind_template_callback (widget_class, row_apply_cb);
}

static void
ferry_preferences_window_init (FerryPreferencesWindow *self)
{
  g_autofree char *server = NULL;
  g_autofree char *name = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));
  /* The search page is complete only once the window is shown. */
  g_signal_connect (self, "map", G_CALLBACK (map_cb), NULL);

  self->settings = g_settings_new (APPLICATION_ID);
  g_settings_bind (self->settings, "save-to-downloads",
                   self->downloads_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "tls", self->tls_switch, "active", G_SETTINGS_BIND_DEFAULT);

  server = g_settings_get_string (self->settings, "server");
  name = g_settings_get_string (self->settings, "name");
  gtk_editable_set_text (GTK_EDITABLE (self->server_row), server);
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), name);
}

GtkWidget *
ferry_preferences_window_new (GtkWindow *parent)
{
  FerryPreferencesWindow *self;
  GApplication *app = g_application_get_default ();

  self = g_object_new (FERRY_TYPE_PREFERENCES_WINDOW,
                       "transient-for", parent,
                       "modal", TRUE,
                       NULL);

  /* Show the server and name in use, which --server and --name may have overridden. */
  if (FERRY_IS_APPLICATION (app))
    {
      g_autofree char *server = ferry_application_dup_server (FERRY_APPLICATION (app));
      g_autofree char *name = ferry_application_dup_name (FERRY_APPLICATION (app));

      gtk_editable_set_text (GTK_EDITABLE (self->server_row), server);
      gtk_editable_set_text (GTK_EDITABLE (self->name_row), name);
    }

  return GTK_WIDGET (self);
}
