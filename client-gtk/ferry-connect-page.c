/* ferry-connect-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-connect-page"

#include "config.h"

#include <glib/gi18n.h>

#include "ferry-connect-page.h"
#include "ferry-client.h"

struct _FerryConnectPage
{
  AdwBin       parent_instance;

  /* template widgets */
  AdwEntryRow *server_row;
  AdwEntryRow *name_row;
  GtkLabel    *error_label;
};

G_DEFINE_FINAL_TYPE (FerryConnectPage, ferry_connect_page, ADW_TYPE_BIN)

static gboolean
ferry_connect_page_check (FerryConnectPage  *self,
                          GError           **error)
{
  const char *server = gtk_editable_get_text (GTK_EDITABLE (self->server_row));
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  g_autofree char *stripped = g_strstrip (g_strdup (server));
  g_autofree char *host = NULL;
  guint16 port = 0;

  if (!*stripped || !*name)
    return FALSE;

  return ferry_parse_address (stripped, &host, &port, error);
}

static void
entry_changed_cb (FerryConnectPage *self)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = ferry_connect_page_check (self, &error);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "connect-page.connect", ok);
  if (error)
    gtk_widget_add_css_class (GTK_WIDGET (self->server_row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->server_row), "error");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
}

static void
ferry_connect_page_connect_action (GtkWidget  *widget,
                                   const char *action_name,
                                   GVariant   *param)
{
  FerryConnectPage *self = FERRY_CONNECT_PAGE (widget);
  g_autoptr(GError) error = NULL;
  g_autofree char *server = NULL;
  g_autofree char *name = NULL;

  if (!ferry_connect_page_check (self, &error))
    {
      if (error)
        {
          gtk_label_set_label (self->error_label, error->message);
          gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
        }
      return;
    }

  server = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->server_row))));
  name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
  gtk_widget_activate_action (widget, "app.connect", "(ss)", server, name);
}

static void
entry_activated_cb (FerryConnectPage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "connect-page.connect", NULL);
}

static void
ferry_connect_page_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), FERRY_TYPE_CONNECT_PAGE);

  G_OBJECT_CLASS (ferry_connect_page_parent_class)->dispose (object);
}

static void
ferry_connect_page_class_init (FerryConnectPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ferry_connect_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/ferry/Ferry/ferry-connect-page.ui");
  gtk_widget_class_bind_template_child (widget_class, FerryConnectPage, server_row);
  gtk_widget_class_bind_template_child (widget_class, FerryConnectPage, name_row);
  gtk_widget_class_bind_template_child (widget_class, FerryConnectPage, error_label);
  gtk_widget_class_bind_template_callback (widget_class, entry_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, entry_activated_cb);

  gtk_widget_class_install_action (widget_class, "connect-page.connect", NULL,
                                   ferry_connect_page_connect_action);
}

static void
ferry_connect_page_init (FerryConnectPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "connect-page.connect", FALSE);
}

GtkWidget *
ferry_connect_page_new (void)
{
  return g_object_new (FERRY_TYPE_CONNECT_PAGE, NULL);
}

void
ferry_connect_page_set_values (FerryConnectPage *self,
                               const char       *server,
                               const char       *name)
{
  g_return_if_fail (FERRY_IS_CONNECT_PAGE (self));

  gtk_editable_set_text (GTK_EDITABLE (self->server_row), server ? server : "");
  if (!name || !*name)
    name = g_get_real_name ();
  if (!name || !*name || g_strcmp0 (name, "Unknown") == 0)
    name = g_get_user_name ();
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), name ? name : "");
}

void
ferry_connect_page_focus (FerryConnectPage *self)
{
  g_return_if_fail (FERRY_IS_CONNECT_PAGE (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->server_row));
}
