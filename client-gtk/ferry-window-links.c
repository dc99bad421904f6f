/* ferry-window-links.c: the window's actions for web browsers: Copy Link on a file
 * (win.copy-link) and Share Server (win.share-server), enabled while connected to a server
 * that serves browsers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-window"

#include "config.h"

#include <glib/gi18n.h>

#include "ferry-window-private.h"
#include "ferry-error.h"
#include "ferry-share-dialog.h"

static void
link_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(FerryWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  url = ferry_client_link_finish (FERRY_CLIENT (object), result, &error);
  /* The window went meanwhile (dispose cancels its cancellable): nobody to tell. */
  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  if (!url)
    {
      if (g_error_matches (error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND))
        ferry_window_toast (self, _("That file is no longer shared"));
      else
        ferry_window_show_error (self, _("No Link"), error->message);
      return;
    }
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), url);
  ferry_window_toast (self, _("Link copied"));
}

static void
ferry_window_copy_link_action (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *param)
{
  FerryWindow *self = FERRY_WINDOW (widget);
  const char *offer_id = g_variant_get_string (param, NULL);

  if (!self->client)
    return;
  /* A key on a password server opens the file until it is deleted, as the file's place in
   * the list does. A quick request, not cancelled: the window's long-lived cancellable would
   * gather what the engine connects to it (see ferry-window-actions.c, Delete). */
  ferry_client_link_async (self->client, offer_id, 0, NULL, link_cb, g_object_ref (self));
}

static void
ferry_window_share_server_action (GtkWidget  *widget,
                                  const char *action_name,
                                  GVariant   *param)
{
  FerryWindow *self = FERRY_WINDOW (widget);
  g_autofree char *url = NULL;

  if (!self->client)
    return;
  url = ferry_client_dup_web_url (self->client);
  gtk_window_present (GTK_WINDOW (ferry_share_dialog_new (GTK_WINDOW (self), url,
                                                          ferry_client_get_auth (self->client))));
}

void
ferry_window_class_links_init (FerryWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_install_action (widget_class, "win.copy-link", "s",
                                   ferry_window_copy_link_action);
  gtk_widget_class_install_action (widget_class, "win.share-server", NULL,
                                   ferry_window_share_server_action);
}

void
ferry_window_links_update (FerryWindow *self)
{
  gboolean web = self->client &&
                 ferry_client_get_state (self->client) == FERRY_CLIENT_CONNECTED &&
                 ferry_client_get_web (self->client);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.copy-link", web);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.share-server", web);
}
