/* ferry-window-transfers.c: starting uploads and downloads, and telling how they ended
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-window"

#include "config.h"

#include <glib/gi18n.h>

#include "ferry-window-private.h"
#include "ferry-error.h"

/* A transfer cut by a lost connection is resumed by itself when the client is connected
 * again, at most this many times in a row; then its row's Resume button is left. */
#define AUTO_RESUME_MAX 10
#define AUTO_RESUMES_KEY "ferry-auto-resumes"
/* A transfer cut while the control session stays up is resumed after this long. */
#define RESUME_DELAY_S 2

static gboolean ferry_window_defer_resume (FerryWindow   *self,
                                           FerryTransfer *transfer,
                                           const GError  *error);

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
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
          && !ferry_window_defer_resume (self, transfer, error))
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

/* The engine made the pre-checks (a device, unreadable, too large; a folder passes): show its
 * sentence as is. */
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
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
          && !ferry_window_defer_resume (self, transfer, error))
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

/* Resuming
 *
 * A transfer runs once: resuming runs a new one that makes the same request, and the engine
 * goes on from what the first one left (ferry_client_resume_transfer()). */

static gboolean
ferry_window_owns_transfer (FerryWindow   *self,
                            FerryTransfer *transfer)
{
  GListModel *transfers;
  guint n;

  if (!self->client)
    return FALSE;
  transfers = ferry_client_get_transfers (self->client);
  n = g_list_model_get_n_items (transfers);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FerryTransfer) item = g_list_model_get_item (transfers, i);

      if (item == transfer)
        return TRUE;
    }
  return FALSE;
}

static void
ferry_window_run_again (FerryWindow   *self,
                        FerryTransfer *transfer,
                        guint          auto_resumes)
{
  g_autoptr(FerryTransfer) again = NULL;

  g_ptr_array_remove (self->interrupted, transfer);
  again = ferry_client_resume_transfer (self->client, transfer);
  g_object_set_data (G_OBJECT (again), AUTO_RESUMES_KEY, GUINT_TO_POINTER (auto_resumes));
  ferry_transfer_run_async (again, NULL,
                            ferry_transfer_get_direction (again) == FERRY_TRANSFER_UPLOAD
                            ? upload_run_cb : download_run_cb,
                            g_object_ref (self));
}

static void
ferry_window_resume_interrupted (FerryWindow *self)
{
  g_autoptr(GPtrArray) interrupted = g_steal_pointer (&self->interrupted);

  self->interrupted = g_ptr_array_new_with_free_func (g_object_unref);
  g_clear_handle_id (&self->resume_id, g_source_remove);
  for (guint i = 0; interrupted && i < interrupted->len; i++)
    {
      FerryTransfer *transfer = g_ptr_array_index (interrupted, i);
      guint n = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (transfer), AUTO_RESUMES_KEY));

      /* Cleared from the list meanwhile: the person let it go. */
      if (ferry_window_owns_transfer (self, transfer))
        ferry_window_run_again (self, transfer, n + 1);
    }
}

static gboolean
resume_timeout_cb (gpointer user_data)
{
  FerryWindow *self = user_data;

  self->resume_id = 0;
  /* Not connected: the reconnect resumes them (client_notify_state_cb()). */
  if (self->client && ferry_client_get_state (self->client) == FERRY_CLIENT_CONNECTED)
    ferry_window_resume_interrupted (self);
  return G_SOURCE_REMOVE;
}

/* A transfer cut by a lost connection waits, quietly, for the connection to come back; the
 * engine reconnects by itself (FerryClient:reconnect). Returns FALSE for any other failure,
 * and once a transfer was resumed AUTO_RESUME_MAX times in a row, which the person is told. */
static gboolean
ferry_window_defer_resume (FerryWindow   *self,
                           FerryTransfer *transfer,
                           const GError  *error)
{
  guint n = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (transfer), AUTO_RESUMES_KEY));

  if (!self->interrupted || !ferry_error_is_connection_lost (error) || n >= AUTO_RESUME_MAX
      || !ferry_window_owns_transfer (self, transfer))
    return FALSE;

  g_debug ("“%s” was cut (%s): it resumes once connected", ferry_transfer_get_name (transfer),
           error->message);
  g_ptr_array_add (self->interrupted, g_object_ref (transfer));
  /* The control session may not have noticed yet; if it never does (only this connection
   * broke), the transfer is resumed after a short while. */
  if (!self->resume_id && ferry_client_get_state (self->client) == FERRY_CLIENT_CONNECTED)
    self->resume_id = g_timeout_add_seconds (RESUME_DELAY_S, resume_timeout_cb, self);
  return TRUE;
}

/* Connected again (the problem is back to NONE): what a lost connection cut goes on. */
static void
client_notify_state_cb (FerryWindow *self,
                        GParamSpec  *pspec,
                        FerryClient *client)
{
  if (client == self->client && ferry_client_get_state (client) == FERRY_CLIENT_CONNECTED
      && self->interrupted && self->interrupted->len > 0)
    ferry_window_resume_interrupted (self);
}

void
ferry_window_transfers_set_client (FerryWindow *self)
{
  g_return_if_fail (FERRY_IS_WINDOW (self));

  g_clear_handle_id (&self->resume_id, g_source_remove);
  if (self->interrupted)
    g_ptr_array_set_size (self->interrupted, 0);
  if (self->client)
    g_signal_connect_object (self->client, "notify::state",
                             G_CALLBACK (client_notify_state_cb), self, G_CONNECT_SWAPPED);
}

/* A row's Resume (or Retry) button. */
static void
panel_resume_cb (FerryWindow         *self,
                 FerryTransfer       *transfer,
                 FerryTransfersPanel *panel)
{
  if (!ferry_transfer_is_finished (transfer) || !ferry_window_owns_transfer (self, transfer))
    return;

  if (ferry_client_get_state (self->client) != FERRY_CLIENT_CONNECTED)
    {
      if (!g_ptr_array_find (self->interrupted, transfer, NULL))
        g_ptr_array_add (self->interrupted, g_object_ref (transfer));
      ferry_window_toast (self, _("Not connected to a server: it resumes once connected"));
      return;
    }

  ferry_window_run_again (self, transfer, 0);
}

void
ferry_window_transfers_init (FerryWindow *self)
{
  self->interrupted = g_ptr_array_new_with_free_func (g_object_unref);
  g_signal_connect_object (self->transfers_panel, "resume", G_CALLBACK (panel_resume_cb), self,
                           G_CONNECT_SWAPPED);
}

void
ferry_window_transfers_dispose (FerryWindow *self)
{
  g_clear_handle_id (&self->resume_id, g_source_remove);
  g_clear_pointer (&self->interrupted, g_ptr_array_unref);
}
