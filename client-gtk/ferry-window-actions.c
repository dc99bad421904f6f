/* ferry-window-actions.c: the window's actions (win.*) and their shortcuts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-window"

#include "config.h"

#include <glib/gi18n.h>

#include "ferry-window-private.h"
#include "ferry-a11y.h"
#include "ferry-filename.h"

/* Upload */

static void
upload_chooser_response_cb (FerryWindow          *self,
                            int                   response,
                            GtkFileChooserNative *chooser)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (chooser));

      ferry_window_upload (self, files);
    }

  gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (chooser));
  g_object_unref (chooser);
}

/* GTK 4.8's chooser picks files or folders, never both: Upload and Upload Folder are two
 * actions, and a drop takes either (ferry-window-dnd.c). A folder is shared as one offer. */
static void
ferry_window_upload_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *param)
{
  FerryWindow *self = FERRY_WINDOW (widget);
  gboolean folders = g_strcmp0 (action_name, "win.upload-folder") == 0;
  GtkFileChooserNative *chooser;

  if (folders)
    chooser = gtk_file_chooser_native_new (_("Upload Folders"), GTK_WINDOW (self),
                                           GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                           _("_Upload"), _("_Cancel"));
  else
    chooser = gtk_file_chooser_native_new (_("Upload Files"), GTK_WINDOW (self),
                                           GTK_FILE_CHOOSER_ACTION_OPEN,
                                           _("_Upload"), _("_Cancel"));
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (chooser), TRUE);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect_object (chooser, "response",
                           G_CALLBACK (upload_chooser_response_cb), self, G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* Download */

static GFile *
ferry_window_get_downloads_dir (void)
{
  const char *path = g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);

  if (!path)
    path = g_get_home_dir ();
  return g_file_new_for_path (path);
}

static void
download_chooser_response_cb (GtkFileChooserNative *chooser,
                              int                   response,
                              gpointer              user_data)
{
  GtkWindow *parent = gtk_native_dialog_get_transient_for (GTK_NATIVE_DIALOG (chooser));
  FerryWindow *self = parent ? FERRY_WINDOW (parent) : NULL;
  const char *offer_id = g_object_get_data (G_OBJECT (chooser), "ferry-offer-id");

  if (response == GTK_RESPONSE_ACCEPT && self)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      gboolean into = gtk_file_chooser_get_action (GTK_FILE_CHOOSER (chooser))
                      == GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER;

      /* The save dialog confirmed replacing an existing file; a folder goes into the one
       * picked. */
      if (file)
        ferry_window_start_download (self, offer_id, file,
                                     into ? FERRY_DOWNLOAD_INTO_DIRECTORY
                                          : FERRY_DOWNLOAD_OVERWRITE);
    }

  gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (chooser));
  g_object_unref (chooser);
}

/* The save dialog opens in the Downloads folder when there is one; looking goes through GIO's
 * async query rather than a stat in the main loop. */
static void
download_folder_info_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FerryWindow *self = g_task_get_source_object (task);
  const char *offer_id = g_task_get_task_data (task);
  g_autoptr(GFileInfo) info = g_file_query_info_finish (G_FILE (object), result, NULL);
  g_autofree char *safe_name = NULL;
  GtkFileChooserNative *chooser;
  FerryOffer *offer;

  if (g_task_return_error_if_cancelled (task))
    return;
  offer = self->client ? ferry_client_lookup_offer (self->client, offer_id) : NULL;
  if (!offer)
    {
      ferry_window_toast (self, _("That file is no longer shared"));
      g_task_return_boolean (task, FALSE);
      return;
    }

  /* A folder is saved into a folder the person picks, under its own name (or a free
   * “NAME (N)”: a folder never replaces anything). */
  if (ferry_offer_is_folder (offer))
    {
      chooser = gtk_file_chooser_native_new (_("Save Folder Into"), GTK_WINDOW (self),
                                             GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                             _("_Save Here"), _("_Cancel"));
    }
  else
    {
      safe_name = ferry_filename_make_safe (ferry_offer_get_name (offer));
      chooser = gtk_file_chooser_native_new (_("Save File"), GTK_WINDOW (self),
                                             GTK_FILE_CHOOSER_ACTION_SAVE,
                                             _("_Save"), _("_Cancel"));
      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), safe_name);
    }
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  if (info && g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
    gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), G_FILE (object), NULL);
  g_object_set_data_full (G_OBJECT (chooser), "ferry-offer-id", g_strdup (offer_id), g_free);
  g_signal_connect (chooser, "response", G_CALLBACK (download_chooser_response_cb), NULL);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
  g_task_return_boolean (task, TRUE);
}

static void
ferry_window_download_action (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *param)
{
  FerryWindow *self = FERRY_WINDOW (widget);
  const char *offer_id = g_variant_get_string (param, NULL);
  g_autoptr(GFile) downloads = ferry_window_get_downloads_dir ();
  GTask *task;

  if (!self->client)
    return;

  if (!ferry_client_lookup_offer (self->client, offer_id))
    {
      ferry_window_toast (self, _("That file is no longer shared"));
      return;
    }

  /* The engine makes the folder if it is missing. */
  if (g_settings_get_boolean (self->settings, "save-to-downloads"))
    {
      ferry_window_start_download (self, offer_id, downloads, FERRY_DOWNLOAD_INTO_DIRECTORY);
      return;
    }

  task = g_task_new (self, self->cancellable, NULL, NULL);
  g_task_set_source_tag (task, ferry_window_download_action);
  g_task_set_task_data (task, g_strdup (offer_id), g_free);
  g_file_query_info_async (downloads, G_FILE_ATTRIBUTE_STANDARD_TYPE, G_FILE_QUERY_INFO_NONE,
                           G_PRIORITY_DEFAULT, self->cancellable, download_folder_info_cb, task);
}

/* Delete
 *
 * Each delete has a GCancellable of its own, which dispose cancels, rather than the window's
 * long-lived one: whatever the engine connects to a delete's cancellable goes away with it,
 * instead of piling up on the window's for as long as the window lives. */

typedef struct
{
  FerryWindow  *window;
  GCancellable *cancellable;
} DeleteData;

static void
delete_data_free (DeleteData *data)
{
  /* Done: dispose no longer needs to cancel it. */
  if (data->window->deletes)
    g_ptr_array_remove_fast (data->window->deletes, data->cancellable);
  g_clear_object (&data->cancellable);
  g_clear_object (&data->window);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DeleteData, delete_data_free)

static void
delete_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(DeleteData) data = user_data;
  g_autoptr(GError) error = NULL;

  if (!ferry_client_delete_finish (FERRY_CLIENT (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        ferry_window_show_error (data->window, _("The File Was Not Deleted"), error->message);
    }
}

static void
delete_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    FerryWindow      *self)
{
  const char *offer_id = g_object_get_data (G_OBJECT (dialog), "ferry-offer-id");
  DeleteData *data;

  if (g_strcmp0 (response, "delete") != 0 || !self->client || !self->deletes)
    return;

  data = g_new0 (DeleteData, 1);
  data->window = g_object_ref (self);
  data->cancellable = g_cancellable_new ();
  g_ptr_array_add (self->deletes, g_object_ref (data->cancellable));
  ferry_client_delete_async (self->client, offer_id, data->cancellable, delete_cb, data);
}

static void
ferry_window_delete_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *param)
{
  FerryWindow *self = FERRY_WINDOW (widget);
  const char *offer_id = g_variant_get_string (param, NULL);
  g_autofree char *heading = NULL;
  GtkWidget *dialog;
  FerryOffer *offer;

  if (!self->client || !(offer = ferry_client_lookup_offer (self->client, offer_id)))
    return;
  /* Only the owner may delete; the server refuses anyone else anyway. */
  if (!ferry_offer_get_mine (offer))
    return;

  /* Translators: %s is a file name */
  heading = g_strdup_printf (_("Delete “%s”?"), ferry_offer_get_name (offer));
  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading,
                                   _("It will no longer be shared with anyone."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "delete", _("_Delete"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "ferry-offer-id", g_strdup (offer_id), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (delete_response_cb), self, 0);
  ferry_a11y_name_buttons (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Other actions */

static void
launch_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(FerryWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_app_info_launch_default_for_uri_finish (result, &error))
    ferry_window_show_error (self, _("The File Could Not Be Opened"), error->message);
}

static void
ferry_window_open_file_action (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *param)
{
  FerryWindow *self = FERRY_WINDOW (widget);
  g_autoptr(GdkAppLaunchContext) context = NULL;

  context = gdk_display_get_app_launch_context (gtk_widget_get_display (widget));
  g_app_info_launch_default_for_uri_async (g_variant_get_string (param, NULL),
                                           G_APP_LAUNCH_CONTEXT (context), NULL,
                                           launch_cb, g_object_ref (self));
}

static void
ferry_window_clear_finished_transfers_action (GtkWidget  *widget,
                                              const char *action_name,
                                              GVariant   *param)
{
  FerryWindow *self = FERRY_WINDOW (widget);

  if (self->client)
    ferry_client_clear_finished_transfers (self->client);
}

static void
transfers_panel_notify_has_finished_cb (FerryWindow         *self,
                                        GParamSpec          *pspec,
                                        FerryTransfersPanel *panel)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.clear-finished-transfers",
                                 ferry_transfers_panel_get_has_finished (panel));
}

static void
ferry_window_search_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *param)
{
  FerryWindow *self = FERRY_WINDOW (widget);

  if (!self->client)
    return;
  ferry_files_panel_set_search_mode (self->files_panel, TRUE);
}

void
ferry_window_class_actions_init (FerryWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_install_action (widget_class, "win.upload", NULL,
                                   ferry_window_upload_action);
  gtk_widget_class_install_action (widget_class, "win.upload-folder", NULL,
                                   ferry_window_upload_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL,
                                   ferry_window_search_action);
  gtk_widget_class_install_action (widget_class, "win.download", "s",
                                   ferry_window_download_action);
  gtk_widget_class_install_action (widget_class, "win.delete", "s",
                                   ferry_window_delete_action);
  gtk_widget_class_install_action (widget_class, "win.open-file", "s",
                                   ferry_window_open_file_action);
  gtk_widget_class_install_action (widget_class, "win.clear-finished-transfers", NULL,
                                   ferry_window_clear_finished_transfers_action);
  gtk_widget_class_install_property_action (widget_class, "win.sort-by", "sort-by");
  gtk_widget_class_install_property_action (widget_class, "win.show-transfers",
                                            "show-transfers");

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_u, GDK_CONTROL_MASK,
                                       "win.upload", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_U,
                                       GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.upload-folder", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK,
                                       "win.search", NULL);
}

void
ferry_window_actions_init (FerryWindow *self)
{
  self->deletes = g_ptr_array_new_with_free_func (g_object_unref);

  g_signal_connect_object (self->transfers_panel, "notify::has-finished",
                           G_CALLBACK (transfers_panel_notify_has_finished_cb), self,
                           G_CONNECT_SWAPPED);
  transfers_panel_notify_has_finished_cb (self, NULL, self->transfers_panel);
}

/* Cancels the deletes under way; each finishes, quietly, in its own time. The list goes first,
 * since a cancelled delete may finish at once and take itself off it. */
void
ferry_window_actions_dispose (FerryWindow *self)
{
  g_autoptr(GPtrArray) deletes = g_steal_pointer (&self->deletes);

  for (guint i = 0; deletes && i < deletes->len; i++)
    g_cancellable_cancel (g_ptr_array_index (deletes, i));
}
