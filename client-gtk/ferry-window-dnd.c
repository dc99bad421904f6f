/* ferry-window-dnd.c: files and folders dropped on the files panel are uploaded (a folder as
 * one offer)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-window"

#include "config.h"

#include "ferry-window-private.h"

static gboolean
drop_cb (FerryWindow   *self,
         const GValue  *value,
         double         x,
         double         y,
         GtkDropTarget *target)
{
  g_autoptr(GListStore) files = NULL;
  GSList *list;

  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;

  files = g_list_store_new (G_TYPE_FILE);
  list = gdk_file_list_get_files (g_value_get_boxed (value));
  for (GSList *l = list; l; l = l->next)
    g_list_store_append (files, l->data);
  g_slist_free (list);

  ferry_window_upload (self, G_LIST_MODEL (files));
  return TRUE;
}

void
ferry_window_dnd_init (FerryWindow *self)
{
  GtkDropTarget *target;

  target = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect_object (target, "drop", G_CALLBACK (drop_cb), self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->files_panel), GTK_EVENT_CONTROLLER (target));
}
