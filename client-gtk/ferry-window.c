/* ferry-window.c: the window, its connection state, and the questions it asks
 *
 * The parts of FerryWindow, the way GNOME Text Editor splits EditorWindow:
 *   ferry-window-private.h     the struct and what the parts share
 *   ferry-window.c             lifecycle, connection state, the banner, trust and password
 *   ferry-window-actions.c     the win.* actions: upload, download, delete, open, search …
 *   ferry-window-transfers.c   starting uploads and downloads, and telling how they ended
 *   ferry-window-dnd.c         files dropped on the files panel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-window"

#include "config.h"

#include <glib/gi18n.h>

#include "ferry-window-private.h"
#include "ferry-a11y.h"
#include "ferry-error.h"
#include "ferry-password-dialog.h"
#include "ferry-trust-dialog.h"

#include <string.h>

enum {
  PROP_0,
  PROP_SORT_BY,
  PROP_SHOW_TRANSFERS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (FerryWindow, ferry_window, ADW_TYPE_APPLICATION_WINDOW)

/* Names the buttons of the toast on screen (see ferry-a11y.h). The toast overlay's children are
 * its content and the toast widgets. */
static void
ferry_window_name_toasts (FerryWindow *self)
{
  GtkWidget *content = adw_toast_overlay_get_child (self->toast_overlay);

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->toast_overlay));
       child;
       child = gtk_widget_get_next_sibling (child))
    {
      if (child != content)
        ferry_a11y_name_buttons (child);
    }
}

static gboolean
name_toasts_cb (gpointer user_data)
{
  FerryWindow *self = user_data;

  self->name_toasts_id = 0;
  ferry_window_name_toasts (self);
  return G_SOURCE_REMOVE;
}

static void
ferry_window_queue_name_toasts (FerryWindow *self)
{
  if (self->name_toasts_id == 0)
    self->name_toasts_id = g_idle_add (name_toasts_cb, self);
}

void
ferry_window_add_toast (FerryWindow *self,
                        AdwToast    *toast)
{
  /* A queued toast shows when the one before it is dismissed. */
  g_signal_connect_object (toast, "dismissed",
                           G_CALLBACK (ferry_window_queue_name_toasts), self, G_CONNECT_SWAPPED);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
  ferry_window_name_toasts (self);
}

void
ferry_window_toast (FerryWindow *self,
                    const char  *markup)
{
  ferry_window_add_toast (self, adw_toast_new (markup));
}

void
ferry_window_show_error (FerryWindow *self,
                         const char  *heading,
                         const char  *body)
{
  GtkWidget *dialog;

  g_return_if_fail (FERRY_IS_WINDOW (self));

  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  ferry_a11y_name_buttons (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Forgets a question once answered. Its window may be finalized only later (assistive
 * technologies keep references), and the next question must not wait for that. */
static void
ferry_window_forget_dialog (GtkWidget **dialog)
{
  if (*dialog)
    g_object_remove_weak_pointer (G_OBJECT (*dialog), (gpointer *) dialog);
  *dialog = NULL;
}

/* Trusting a server */

static void
trust_response_cb (FerryTrustDialog *dialog,
                   const char       *response,
                   FerryWindow      *self)
{
  const char *fingerprint = ferry_trust_dialog_get_fingerprint (dialog);

  if (self->trust_dialog == GTK_WIDGET (dialog))
    ferry_window_forget_dialog (&self->trust_dialog);

  if (g_strcmp0 (response, "trust") == 0 && fingerprint)
    gtk_widget_activate_action (GTK_WIDGET (self), "app.trust-server", "s", fingerprint);
  else if (g_strcmp0 (response, "forget") == 0)
    gtk_widget_activate_action (GTK_WIDGET (self), "app.forget-server", NULL);
  else
    gtk_widget_activate_action (GTK_WIDGET (self), "app.disconnect", NULL);
}

void
ferry_window_ask_trust (FerryWindow *self,
                        FerryClient *client)
{
  FerryClientProblem problem;
  const GError *error;
  GtkWidget *dialog;
  const char *fingerprint;

  g_return_if_fail (FERRY_IS_WINDOW (self));
  g_return_if_fail (FERRY_IS_CLIENT (client));

  if (self->trust_dialog)
    return;

  problem = ferry_client_get_problem (client);
  error = ferry_client_get_error (client);
  fingerprint = ferry_client_get_server_fingerprint (client);
  if (problem == FERRY_CLIENT_PROBLEM_UNTRUSTED && fingerprint)
    dialog = ferry_trust_dialog_new_untrusted (GTK_WINDOW (self),
                                               ferry_client_get_address (client), fingerprint);
  else if (problem == FERRY_CLIENT_PROBLEM_KEY_CHANGED && error)
    dialog = ferry_trust_dialog_new_changed (GTK_WINDOW (self), error->message);
  else
    return;
  g_signal_connect_object (dialog, "response", G_CALLBACK (trust_response_cb), self, 0);

  self->trust_dialog = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->trust_dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* A server's password */

static void
password_response_cb (FerryPasswordDialog *dialog,
                      const char          *response,
                      FerryWindow         *self)
{
  if (self->password_dialog == GTK_WIDGET (dialog))
    ferry_window_forget_dialog (&self->password_dialog);

  if (g_strcmp0 (response, "connect") == 0)
    {
      g_autofree char *password = g_strdup (ferry_password_dialog_get_password (dialog));

      /* The dialog goes away with the response; don't leave the text in its entry. */
      ferry_password_dialog_set_password (dialog, NULL);
      gtk_widget_activate_action (GTK_WIDGET (self), "app.log-in", "(sb)", password,
                                  ferry_password_dialog_get_remember (dialog));
      memset (password, 0, strlen (password));
    }
  else
    {
      gtk_widget_activate_action (GTK_WIDGET (self), "app.disconnect", NULL);
    }
}

void
ferry_window_ask_password (FerryWindow *self,
                           FerryClient *client,
                           const char  *problem,
                           gboolean     remember)
{
  GtkWidget *dialog;

  g_return_if_fail (FERRY_IS_WINDOW (self));
  g_return_if_fail (FERRY_IS_CLIENT (client));

  if (self->password_dialog)
    {
      if (problem)
        ferry_password_dialog_set_problem (FERRY_PASSWORD_DIALOG (self->password_dialog),
                                           problem);
      return;
    }

  dialog = ferry_password_dialog_new (GTK_WINDOW (self), ferry_client_get_address (client),
                                      problem, remember);
  g_signal_connect_object (dialog, "response", G_CALLBACK (password_response_cb), self, 0);

  self->password_dialog = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->password_dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Connection state */

static void
ferry_window_update_state (FerryWindow *self)
{
  g_autofree char *subtitle = NULL;
  FerryClientState state = FERRY_CLIENT_DISCONNECTED;
  FerryClientProblem problem = FERRY_CLIENT_PROBLEM_NONE;
  const char *address = NULL;
  const GError *error = NULL;

  if (self->client)
    {
      state = ferry_client_get_state (self->client);
      problem = ferry_client_get_problem (self->client);
      address = ferry_client_get_address (self->client);
      error = ferry_client_get_error (self->client);
    }

  switch (state)
    {
    case FERRY_CLIENT_CONNECTED:
      if (ferry_client_get_tls (self->client))
        /* Translators: the window's subtitle; %s is a server address */
        subtitle = g_strdup_printf (_("Connected to %s"), address);
      else
        /* Translators: the window's subtitle; %s is a server address */
        subtitle = g_strdup_printf (_("Connected to %s, unencrypted"), address);
      if (self->lost_connection)
        ferry_window_toast (self, _("Connected again"));
      self->was_connected = TRUE;
      self->lost_connection = FALSE;
      break;

    case FERRY_CLIENT_CONNECTING:
      if (problem == FERRY_CLIENT_PROBLEM_BUSY)
        subtitle = g_strdup (_("Server busy, waiting…"));
      else
        /* Translators: the window's subtitle; %s is a server address */
        subtitle = g_strdup_printf (_("Connecting to %s…"), address);
      break;

    case FERRY_CLIENT_DISCONNECTED:
    default:
      subtitle = g_strdup (self->client ? _("Offline") : "");
      break;
    }

  adw_window_title_set_subtitle (self->window_title, subtitle);

  /* The banner stays up through the reconnect attempts, until connected again. */
  if (self->client && state != FERRY_CLIENT_CONNECTED && (error || self->was_connected))
    {
      g_autofree char *text = NULL;

      /* The engine stopped for these; the app asks the person (ferry-application.c). */
      if (problem == FERRY_CLIENT_PROBLEM_UNTRUSTED)
        text = g_strdup (_("This server is new to you: confirm its identity to connect."));
      else if (problem == FERRY_CLIENT_PROBLEM_KEY_CHANGED)
        text = g_strdup (_("The server’s identity changed, so Ferry refused to connect."));
      else if (ferry_client_problem_needs_person (problem) && error)
        text = g_strdup (error->message);
      /* The engine tries again by itself. */
      else if (g_error_matches (error, FERRY_ERROR, FERRY_ERROR_TLS)
               && ferry_client_get_tls (self->client))
        /* Translators: %s is a sentence saying why the encrypted connection failed */
        text = g_strdup_printf (_("%s To connect to such a server, turn off Encrypted "
                                  "Connection in Preferences. Trying again…"), error->message);
      else if (error && error->message)
        /* Translators: %s is a sentence saying why the connection failed */
        text = g_strdup_printf (_("%s Trying again…"), error->message);
      else
        text = g_strdup (_("The server can’t be reached. Trying again…"));
      gtk_label_set_label (self->offline_label, text);
      gtk_revealer_set_reveal_child (self->offline_revealer, TRUE);
    }
  else if (state == FERRY_CLIENT_CONNECTED || !self->client)
    {
      gtk_revealer_set_reveal_child (self->offline_revealer, FALSE);
    }

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.upload",
                                 state == FERRY_CLIENT_CONNECTED);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.upload-folder",
                                 state == FERRY_CLIENT_CONNECTED);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.download",
                                 state == FERRY_CLIENT_CONNECTED);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.delete",
                                 state == FERRY_CLIENT_CONNECTED);
  ferry_window_links_update (self);
}

static void
client_notify_state_cb (FerryWindow *self,
                        GParamSpec  *pspec,
                        FerryClient *client)
{
  ferry_window_update_state (self);
}

static void
client_disconnected_cb (FerryWindow  *self,
                        const GError *error,
                        FerryClient  *client)
{
  self->lost_connection = TRUE;
  ferry_window_update_state (self);
}

static void
transfers_items_changed_cb (FerryWindow *self,
                            guint        position,
                            guint        removed,
                            guint        added,
                            GListModel  *transfers)
{
  gtk_widget_set_visible (GTK_WIDGET (self->transfers_button),
                          g_list_model_get_n_items (transfers) > 0);
  if (added > 0 && !self->show_transfers)
    {
      self->show_transfers = TRUE;
      gtk_revealer_set_reveal_child (self->transfers_revealer, TRUE);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW_TRANSFERS]);
    }
}

/* Only the current page is visible, so assistive technologies see only it (GTK 4.8 keeps a
 * stack's other pages in the accessible tree), and the header's search and sort buttons, bound
 * to the files page's visibility, show only with the files. */
static void
ferry_window_show_page (FerryWindow *self,
                        const char  *name)
{
  gboolean files = g_strcmp0 (name, "files") == 0;

  gtk_widget_set_visible (self->files_page, files);
  gtk_widget_set_visible (GTK_WIDGET (self->connect_page), !files);
  gtk_stack_set_visible_child_name (self->stack, name);
}

static void
ferry_window_set_client (FerryWindow *self,
                         FerryClient *client)
{
  GListModel *transfers = NULL;

  if (client && self->client == client)
    return;

  if (self->client)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      g_signal_handlers_disconnect_by_data (ferry_client_get_transfers (self->client), self);
    }

  g_set_object (&self->client, client);
  self->was_connected = FALSE;
  self->lost_connection = FALSE;

  if (client)
    {
      transfers = ferry_client_get_transfers (client);
      g_signal_connect_object (client, "notify::state",
                               G_CALLBACK (client_notify_state_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (client, "notify::problem",
                               G_CALLBACK (client_notify_state_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (client, "disconnected",
                               G_CALLBACK (client_disconnected_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (transfers, "items-changed",
                               G_CALLBACK (transfers_items_changed_cb), self, G_CONNECT_SWAPPED);
      ferry_files_panel_set_offers (self->files_panel, ferry_client_get_offers (client));
      ferry_window_show_page (self, "files");
    }
  else
    {
      FerryApplication *app = FERRY_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
      g_autofree char *server = ferry_application_dup_server (app);
      g_autofree char *name = ferry_application_dup_name (app);

      ferry_files_panel_set_offers (self->files_panel, NULL);
      ferry_connect_page_set_values (self->connect_page, server, name);
      ferry_window_show_page (self, "connect");
      ferry_connect_page_focus (self->connect_page);
    }

  ferry_transfers_panel_set_transfers (self->transfers_panel, transfers);
  ferry_window_transfers_set_client (self);
  gtk_widget_set_visible (GTK_WIDGET (self->transfers_button),
                          transfers && g_list_model_get_n_items (transfers) > 0);
  ferry_window_update_state (self);
}

static void
application_notify_client_cb (FerryWindow      *self,
                              GParamSpec       *pspec,
                              FerryApplication *app)
{
  ferry_window_set_client (self, ferry_application_get_client (app));
}

/* Window */

static gboolean
ferry_window_close_request (GtkWindow *window)
{
  FerryWindow *self = FERRY_WINDOW (window);
  int width;
  int height;

  gtk_window_get_default_size (window, &width, &height);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));

  return GTK_WINDOW_CLASS (ferry_window_parent_class)->close_request (window);
}

/* Called once "application" is set, which GObject does after constructed(). */
static void
ferry_window_attach (FerryWindow      *self,
                     FerryApplication *app)
{
  self->settings = g_object_ref (ferry_application_get_settings (app));
  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  g_settings_bind (self->settings, "sort-order", self, "sort-by", G_SETTINGS_BIND_DEFAULT);

  g_signal_connect_object (app, "notify::client",
                           G_CALLBACK (application_notify_client_cb), self, G_CONNECT_SWAPPED);
  ferry_window_set_client (self, ferry_application_get_client (app));
}

static void
ferry_window_dispose (GObject *object)
{
  FerryWindow *self = FERRY_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  ferry_window_actions_dispose (self);
  ferry_window_transfers_dispose (self);
  g_clear_handle_id (&self->name_toasts_id, g_source_remove);
  ferry_window_forget_dialog (&self->trust_dialog);
  ferry_window_forget_dialog (&self->password_dialog);
  if (self->client)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      g_signal_handlers_disconnect_by_data (ferry_client_get_transfers (self->client), self);
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), FERRY_TYPE_WINDOW);
  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (ferry_window_parent_class)->dispose (object);
}

static void
ferry_window_finalize (GObject *object)
{
  FerryWindow *self = FERRY_WINDOW (object);

  g_free (self->sort_by);

  G_OBJECT_CLASS (ferry_window_parent_class)->finalize (object);
}

static void
ferry_window_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  FerryWindow *self = FERRY_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SORT_BY:
      g_value_set_string (value, self->sort_by);
      break;
    case PROP_SHOW_TRANSFERS:
      g_value_set_boolean (value, self->show_transfers);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_window_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  FerryWindow *self = FERRY_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SORT_BY:
      if (g_strcmp0 (g_value_get_string (value), self->sort_by) != 0)
        {
          g_free (self->sort_by);
          self->sort_by = g_value_dup_string (value);
          if (self->files_panel)
            ferry_files_panel_set_sort_by (self->files_panel, self->sort_by);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_SHOW_TRANSFERS:
      if (self->show_transfers != g_value_get_boolean (value))
        {
          self->show_transfers = g_value_get_boolean (value);
          gtk_revealer_set_reveal_child (self->transfers_revealer, self->show_transfers);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_window_class_init (FerryWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = ferry_window_dispose;
  object_class->finalize = ferry_window_finalize;
  object_class->get_property = ferry_window_get_property;
  object_class->set_property = ferry_window_set_property;
  window_class->close_request = ferry_window_close_request;

  properties[PROP_SORT_BY] = g_param_spec_string ("sort-by", NULL, NULL, "time", flags);
  properties[PROP_SHOW_TRANSFERS] =
    g_param_spec_boolean ("show-transfers", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (FERRY_TYPE_CONNECT_PAGE);
  g_type_ensure (FERRY_TYPE_FILES_PANEL);
  g_type_ensure (FERRY_TYPE_TRANSFERS_PANEL);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/ferry/Ferry/ferry-window.ui");
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, connect_page);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, files_page);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, files_panel);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, transfers_panel);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, transfers_revealer);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, transfers_button);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, offline_revealer);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, offline_label);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, upload_button);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, change_server_button);

  ferry_window_class_actions_init (klass);
  ferry_window_class_links_init (klass);
}

static void
ferry_window_init (FerryWindow *self)
{
  self->sort_by = g_strdup ("time");

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();

  ferry_files_panel_set_key_capture_widget (self->files_panel, GTK_WIDGET (self));

  /* GTK 4.8 joins the label and the labelled-by label into the accessible name
   * ("Upload Upload"): keep only the label. */
  gtk_accessible_reset_relation (GTK_ACCESSIBLE (self->upload_button),
                                 GTK_ACCESSIBLE_RELATION_LABELLED_BY);
  gtk_accessible_reset_relation (GTK_ACCESSIBLE (self->change_server_button),
                                 GTK_ACCESSIBLE_RELATION_LABELLED_BY);

  ferry_window_actions_init (self);
  ferry_window_transfers_init (self);
  ferry_window_dnd_init (self);
}

GtkWidget *
ferry_window_new (FerryApplication *application)
{
  FerryWindow *self;

  g_return_val_if_fail (FERRY_IS_APPLICATION (application), NULL);

  self = g_object_new (FERRY_TYPE_WINDOW, "application", application, NULL);
  ferry_window_attach (self, application);
  return GTK_WIDGET (self);
}
