/* ferry-window-transfers.c: starting uploads and downloads, and telling how they ended
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-window"

#include "config.h"

#include <glib/gi18n.h>

#include "ferry-window-private.h"

/* Uploads */

typedef struct
{
  FerryWindow *window;
  FerryClient *client;
  GFile       *file;
} UploadData;

static void
upload_data_free (UploadData *data)
{
  g_clear_object (&data->window);
  g_clear_object (&data->client);
  g_clear_object (&data->file);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UploadData, upload_data_free)

static void
upload_run_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(FerryWindow) self = user_data;
  FerryTransfer *transfer = FERRY_TRANSFER (object);
  g_autoptr(GError) error = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *text = NULL;

  escaped = g_markup_escape_text (ferry_transfer_get_name (transfer), -1);

  if (!ferry_transfer_run_finish (transfer, result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          /* Translators: %s is a file name */
          text = g_strdup_printf (_("“%s” Was Not Shared"), ferry_transfer_get_name (transfer));
          ferry_window_show_error (self, text, error->message);
        }
      return;
    }

  /* Translators: a toast; %s is a file name */
  text = g_strdup_printf (_("“%s” shared"), escaped);
  ferry_window_toast (self, text);
}

/* The engine made the pre-checks (folder, unreadable, too large): show its sentence as is. */
static void
upload_checked_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(UploadData) data = user_data;
  FerryWindow *self = data->window;
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryTransfer) transfer = NULL;

  if (!ferry_client_check_upload_finish (data->client, result, &error))
    {
      g_autofree char *basename = g_file_get_basename (data->file);
      g_autofree char *heading = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* Translators: %s is a file name */
      heading = g_strdup_printf (_("“%s” Can’t Be Shared"), basename);
      ferry_window_show_error (self, heading, error->message);
      return;
    }

  if (data->client != self->client)
    return;

  transfer = ferry_client_upload (data->client, data->file, NULL);
  ferry_transfer_run_async (transfer, NULL, upload_run_cb, g_object_ref (self));
}

void
ferry_window_upload (FerryWindow *self,
                     GListModel  *files)
{
  guint n;

  g_return_if_fail (FERRY_IS_WINDOW (self));
  g_return_if_fail (G_IS_LIST_MODEL (files));

  if (!self->client || ferry_client_get_state (self->client) != FERRY_CLIENT_CONNECTED)
    {
      ferry_window_toast (self, _("Not connected to a server: try again once connected"));
      return;
    }

  n = g_list_model_get_n_items (files);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GFile) file = g_list_model_get_item (files, i);
      UploadData *data = g_new0 (UploadData, 1);

      data->window = g_object_ref (self);
      data->client = g_object_ref (self->client);
      data->file = g_object_ref (file);
      ferry_client_check_upload_async (self->client, file, self->cancellable,
                                       upload_checked_cb, data);
    }
}

/* Downloads */

static void
download_run_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(FerryWindow) self = user_data;
  FerryTransfer *transfer = FERRY_TRANSFER (object);
  g_autoptr(GError) error = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *text = NULL;
  g_autofree char *uri = NULL;
  const char *name = ferry_transfer_get_name (transfer);
  GFile *file;
  AdwToast *toast;

  if (!ferry_transfer_run_finish (transfer, result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          if (name)
            /* Translators: %s is a file name */
            text = g_strdup_printf (_("“%s” Was Not Downloaded"), name);
          else
            text = g_strdup (_("Download Failed"));
          ferry_window_show_error (self, text, error->message);
        }
      return;
    }

  file = ferry_transfer_get_file (transfer);
  escaped = g_markup_escape_text (name ? name : "", -1);
  /* Translators: a toast; %s is a file name */
  text = g_strdup_printf (_("“%s” downloaded"), escaped);
  toast = adw_toast_new (text);
  if (file)
    {
      uri = g_file_get_uri (file);
      adw_toast_set_button_label (toast, _("_Open"));
      adw_toast_set_action_name (toast, "win.open-file");
      adw_toast_set_action_target_value (toast, g_variant_new_string (uri));
    }
  ferry_window_add_toast (self, toast);
}

void
ferry_window_start_download (FerryWindow        *self,
                             const char         *offer_id,
                             GFile              *destination,
                             FerryDownloadFlags  flags)
{
  g_autoptr(FerryTransfer) transfer = NULL;

  if (!self->client)
    return;

  transfer = ferry_client_download (self->client, offer_id, destination, flags);
  ferry_transfer_run_async (transfer, NULL, download_run_cb, g_object_ref (self));
}
