/* ferry-transfer-queue.c: FerryClient's work on connections of its own: the transfers (the
 * model of every one, at most FERRY_CLIENT_MAX_ACTIVE_TRANSFERS running at once, the rest
 * waiting in order), and the one-shot check and delete requests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-client"

#include "config.h"

#include <glib/gi18n.h>

#include "ferry-client-private.h"
#include "ferry-error.h"
#include "ferry-transfer-private.h"

void
ferry_client_track_transfer (FerryClient   *self,
                             FerryTransfer *transfer)
{
  g_return_if_fail (FERRY_IS_CLIENT (self));
  g_list_store_append (self->transfers, transfer);
}

void
ferry_client_clear_finished_transfers (FerryClient *self)
{
  GListModel *model;

  g_return_if_fail (FERRY_IS_CLIENT (self));

  model = G_LIST_MODEL (self->transfers);
  for (guint i = g_list_model_get_n_items (model); i > 0; i--)
    {
      g_autoptr(FerryTransfer) transfer = g_list_model_get_item (model, i - 1);

      if (ferry_transfer_is_finished (transfer))
        g_list_store_remove (self->transfers, i - 1);
    }
}

void
ferry_client_schedule_transfer (FerryClient   *self,
                                FerryTransfer *transfer)
{
  g_return_if_fail (FERRY_IS_CLIENT (self));

  if (g_hash_table_size (self->active_transfers) < FERRY_CLIENT_MAX_ACTIVE_TRANSFERS)
    {
      g_hash_table_add (self->active_transfers, transfer);
      ferry_transfer_begin (transfer);
      return;
    }
  g_queue_push_tail (&self->queued_transfers, g_object_ref (transfer));
}

void
ferry_client_transfer_done (FerryClient   *self,
                            FerryTransfer *transfer)
{
  FerryTransfer *next;

  g_return_if_fail (FERRY_IS_CLIENT (self));

  if (g_queue_remove (&self->queued_transfers, transfer))
    {
      /* Cancelled while waiting: it never held a slot. */
      g_object_unref (transfer);
      return;
    }
  if (!g_hash_table_remove (self->active_transfers, transfer))
    return;

  next = g_queue_pop_head (&self->queued_transfers);
  if (next)
    {
      g_hash_table_add (self->active_transfers, next);
      ferry_transfer_begin (next);
      g_object_unref (next);
    }
}

void
ferry_client_check_upload_async (FerryClient         *self,
                                 GFile               *file,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (FERRY_IS_CLIENT (self));
  g_return_if_fail (G_IS_FILE (file));

  ferry_upload_check_async (self, file, NULL, self->max_file_size, cancellable,
                            callback, user_data);
}

gboolean
ferry_client_check_upload_finish (FerryClient   *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return ferry_upload_check_finish (result, error);
}

FerryTransfer *
ferry_client_upload (FerryClient *self,
                     GFile       *file,
                     const char  *name)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), NULL);
  g_return_val_if_fail (G_IS_FILE (file), NULL);

  return ferry_transfer_new_upload (self, file, name);
}

FerryTransfer *
ferry_client_download (FerryClient        *self,
                       const char         *offer_id,
                       GFile              *destination,
                       FerryDownloadFlags  flags)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), NULL);
  g_return_val_if_fail (offer_id != NULL, NULL);
  g_return_val_if_fail (G_IS_FILE (destination), NULL);

  return ferry_transfer_new_download (self, offer_id, destination, flags);
}

/* ---- check ------------------------------------------------------------------------------- */

static void
check_opened_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(FerryConnection) connection = NULL;
  GError *error = NULL;

  connection = ferry_client_open_finish (FERRY_CLIENT (object), result, &error);
  if (!connection)
    {
      g_task_return_error (task, error);
      return;
    }
  ferry_connection_close_async (connection, NULL, NULL, NULL);
  g_task_return_boolean (task, TRUE);
}

void
ferry_client_check_async (FerryClient         *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (FERRY_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_client_check_async);
  ferry_client_open_async (self, cancellable, check_opened_cb, task);
}

gboolean
ferry_client_check_finish (FerryClient   *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- delete ------------------------------------------------------------------------------ */

static void
delete_reply_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FerryConnection *connection = FERRY_CONNECTION (object);
  g_autoptr(GVariant) v = NULL;
  GError *error = NULL;

  v = ferry_read_expected_finish (connection, result, FERRY_MSG_DELETED, &error);
  if (!v)
    {
      ferry_connection_abort (connection);
      g_task_return_error (task, error);
      return;
    }
  ferry_connection_close_async (connection, NULL, NULL, NULL);
  g_task_return_boolean (task, TRUE);
}

static void
delete_opened_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(FerryConnection) connection = NULL;
  GError *error = NULL;

  connection = ferry_client_open_finish (FERRY_CLIENT (object), result, &error);
  if (!connection)
    {
      g_task_return_error (task, error);
      return;
    }
  ferry_connection_send_message (connection, ferry_msg_delete_new (g_task_get_task_data (task)));
  ferry_connection_read_async (connection, g_task_get_cancellable (task),
                               delete_reply_cb, g_object_ref (task));
}

void
ferry_client_delete_async (FerryClient         *self,
                           const char          *offer_id,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FERRY_IS_CLIENT (self));
  g_return_if_fail (offer_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_client_delete_async);
  g_task_set_task_data (task, g_strdup (offer_id), g_free);

  if (!ferry_id_is_valid (offer_id))
    {
      g_task_return_new_error (task, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                               _("“%s” is not a file id; ids look like 3f9a0c1d2e4b5a67."),
                               offer_id);
      return;
    }
  ferry_client_open_async (self, cancellable, delete_opened_cb, g_steal_pointer (&task));
}

gboolean
ferry_client_delete_finish (FerryClient   *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
