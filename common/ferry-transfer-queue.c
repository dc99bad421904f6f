/* ferry-transfer-queue.c: FerryTransferQueue, work on connections of its own: the transfers
 * (the model of every one, at most FERRY_TRANSFER_QUEUE_MAX_ACTIVE running at once, the rest
 * waiting in order), and the one-shot check, delete and link requests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-transfer-queue"

#include "config.h"

#include <glib/gi18n.h>

#include "ferry-transfer-queue.h"
#include "ferry-error.h"
#include "ferry-transfer-private.h"

struct _FerryTransferQueue
{
  GObject parent_instance;

  /* owned references */
  FerryDialer  *dialer;
  GListStore   *transfers;
  GQueue        queued;     /* FerryTransfer, owned, waiting for a slot */
  GHashTable   *active;     /* FerryTransfer, borrowed, running */
  GHashTable   *replacing;  /* FerryTransfer (not run yet) -> the one it takes the place of */
};

enum {
  PROP_0,
  PROP_DIALER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (FerryTransferQueue, ferry_transfer_queue, G_TYPE_OBJECT)

static void
ferry_transfer_queue_dispose (GObject *object)
{
  FerryTransferQueue *self = FERRY_TRANSFER_QUEUE (object);

  if (self->transfers)
    ferry_transfer_queue_cancel_all (self);

  G_OBJECT_CLASS (ferry_transfer_queue_parent_class)->dispose (object);
}

static void
ferry_transfer_queue_finalize (GObject *object)
{
  FerryTransferQueue *self = FERRY_TRANSFER_QUEUE (object);

  g_clear_pointer (&self->active, g_hash_table_unref);
  g_clear_pointer (&self->replacing, g_hash_table_unref);
  g_queue_clear_full (&self->queued, g_object_unref);
  g_clear_object (&self->transfers);
  g_clear_object (&self->dialer);

  G_OBJECT_CLASS (ferry_transfer_queue_parent_class)->finalize (object);
}

static void
ferry_transfer_queue_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  FerryTransferQueue *self = FERRY_TRANSFER_QUEUE (object);

  switch (prop_id)
    {
    case PROP_DIALER:
      g_value_set_object (value, self->dialer);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_transfer_queue_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  FerryTransferQueue *self = FERRY_TRANSFER_QUEUE (object);

  switch (prop_id)
    {
    case PROP_DIALER:
      self->dialer = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_transfer_queue_class_init (FerryTransferQueueClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_transfer_queue_dispose;
  object_class->finalize = ferry_transfer_queue_finalize;
  object_class->get_property = ferry_transfer_queue_get_property;
  object_class->set_property = ferry_transfer_queue_set_property;

  properties[PROP_DIALER] =
    g_param_spec_object ("dialer", NULL, NULL, FERRY_TYPE_DIALER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ferry_transfer_queue_init (FerryTransferQueue *self)
{
  self->transfers = g_list_store_new (FERRY_TYPE_TRANSFER);
  self->active = g_hash_table_new (NULL, NULL);
  self->replacing = g_hash_table_new_full (NULL, NULL, g_object_unref, g_object_unref);
  g_queue_init (&self->queued);
}

FerryTransferQueue *
ferry_transfer_queue_new (FerryDialer *dialer)
{
  g_return_val_if_fail (FERRY_IS_DIALER (dialer), NULL);
  return g_object_new (FERRY_TYPE_TRANSFER_QUEUE, "dialer", dialer, NULL);
}

FerryDialer *
ferry_transfer_queue_get_dialer (FerryTransferQueue *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER_QUEUE (self), NULL);
  return self->dialer;
}

GListModel *
ferry_transfer_queue_get_transfers (FerryTransferQueue *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER_QUEUE (self), NULL);
  return G_LIST_MODEL (self->transfers);
}

void
ferry_transfer_queue_cancel_all (FerryTransferQueue *self)
{
  GListModel *transfers;

  g_return_if_fail (FERRY_IS_TRANSFER_QUEUE (self));

  transfers = G_LIST_MODEL (self->transfers);
  for (guint i = 0; i < g_list_model_get_n_items (transfers); i++)
    {
      g_autoptr(FerryTransfer) transfer = g_list_model_get_item (transfers, i);

      ferry_transfer_cancel (transfer);
    }
  g_list_store_remove_all (self->transfers);
}

void
ferry_transfer_queue_track (FerryTransferQueue *self,
                            FerryTransfer      *transfer)
{
  g_autoptr(FerryTransfer) old = NULL;
  gpointer key = NULL;
  gpointer value = NULL;
  guint position;

  g_return_if_fail (FERRY_IS_TRANSFER_QUEUE (self));

  if (g_hash_table_steal_extended (self->replacing, transfer, &key, &value))
    {
      g_object_unref (key);
      old = value;
    }
  if (old && g_list_store_find (self->transfers, old, &position))
    g_list_store_splice (self->transfers, position, 1, (gpointer *) &transfer, 1);
  else
    g_list_store_append (self->transfers, transfer);
}

void
ferry_transfer_queue_replace_on_run (FerryTransferQueue *self,
                                     FerryTransfer      *transfer,
                                     FerryTransfer      *old)
{
  g_return_if_fail (FERRY_IS_TRANSFER_QUEUE (self));
  g_return_if_fail (FERRY_IS_TRANSFER (transfer));
  g_return_if_fail (FERRY_IS_TRANSFER (old));

  g_hash_table_replace (self->replacing, g_object_ref (transfer), g_object_ref (old));
}

void
ferry_transfer_queue_clear_finished (FerryTransferQueue *self)
{
  GListModel *model;

  g_return_if_fail (FERRY_IS_TRANSFER_QUEUE (self));

  model = G_LIST_MODEL (self->transfers);
  for (guint i = g_list_model_get_n_items (model); i > 0; i--)
    {
      g_autoptr(FerryTransfer) transfer = g_list_model_get_item (model, i - 1);

      if (ferry_transfer_is_finished (transfer))
        g_list_store_remove (self->transfers, i - 1);
    }
}

void
ferry_transfer_queue_schedule (FerryTransferQueue *self,
                               FerryTransfer      *transfer)
{
  g_return_if_fail (FERRY_IS_TRANSFER_QUEUE (self));

  if (g_hash_table_size (self->active) < FERRY_TRANSFER_QUEUE_MAX_ACTIVE)
    {
      g_hash_table_add (self->active, transfer);
      ferry_transfer_begin (transfer);
      return;
    }
  g_queue_push_tail (&self->queued, g_object_ref (transfer));
}

void
ferry_transfer_queue_done (FerryTransferQueue *self,
                           FerryTransfer      *transfer)
{
  FerryTransfer *next;

  g_return_if_fail (FERRY_IS_TRANSFER_QUEUE (self));

  if (g_queue_remove (&self->queued, transfer))
    {
      /* Cancelled while waiting: it never held a slot. */
      g_object_unref (transfer);
      return;
    }
  if (!g_hash_table_remove (self->active, transfer))
    return;

  next = g_queue_pop_head (&self->queued);
  if (next)
    {
      g_hash_table_add (self->active, next);
      ferry_transfer_begin (next);
      g_object_unref (next);
    }
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

  connection = ferry_dialer_open_finish (FERRY_DIALER (object), result, &error);
  if (!connection)
    {
      g_task_return_error (task, error);
      return;
    }
  /* The checked connection carries the first real request: no extra handshake. */
  ferry_dialer_release (FERRY_DIALER (object), connection);
  g_task_return_boolean (task, TRUE);
}

void
ferry_transfer_queue_check_async (FerryTransferQueue  *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (FERRY_IS_TRANSFER_QUEUE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_transfer_queue_check_async);
  ferry_dialer_open_async (self->dialer, cancellable, check_opened_cb, task);
}

gboolean
ferry_transfer_queue_check_finish (FerryTransferQueue  *self,
                                   GAsyncResult        *result,
                                   GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* A request about @offer_id goes out only if it is an id: else @task returns the error. */
static gboolean
check_offer_id (GTask      *task,
                const char *offer_id)
{
  if (ferry_id_is_valid (offer_id))
    return TRUE;
  g_task_return_new_error (task, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                           _("“%s” is not a file id; ids look like 3f9a0c1d2e4b5a67."),
                           offer_id);
  return FALSE;
}

/* ---- link -------------------------------------------------------------------------------- */

typedef struct
{
  char    *offer_id;
  guint64  lifetime;
} LinkData;

static void
link_data_free (LinkData *data)
{
  g_free (data->offer_id);
  g_free (data);
}

static void
link_reply_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(FerryConnection) connection = NULL;
  g_autoptr(GVariant) v = NULL;
  GError *error = NULL;
  const char *path;

  v = ferry_dialer_request_finish (FERRY_DIALER (object), result, FERRY_MSG_LINK,
                                   &connection, &error);
  if (!v)
    {
      g_task_return_error (task, error);
      return;
    }
  if (!(path = ferry_msg_link_answer_get_path (v)))
    {
      ferry_connection_abort (connection);
      g_task_return_new_error (task, FERRY_ERROR, FERRY_ERROR_MALFORMED,
                               _("The server answered a link request with a request."));
      return;
    }
  ferry_dialer_release (FERRY_DIALER (object), connection);
  g_task_return_pointer (task, g_strdup (path), g_free);
}

/* The server's WELCOME is known: asks, if it serves browsers. */
static void
link_send (GTask *task)
{
  FerryTransferQueue *self = g_task_get_source_object (task);
  LinkData *data = g_task_get_task_data (task);

  if (!ferry_dialer_get_web (self->dialer))
    {
      g_task_return_new_error (task, FERRY_ERROR, FERRY_ERROR_UNEXPECTED,
                               _("This server does not serve web browsers, so its files have "
                                 "no links (it was started with --no-web)."));
      return;
    }
  ferry_dialer_request_async (self->dialer, ferry_msg_link_new (data->offer_id, data->lifetime),
                              NULL, NULL, g_task_get_cancellable (task), link_reply_cb, task);
}

static void
link_checked_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!ferry_transfer_queue_check_finish (FERRY_TRANSFER_QUEUE (object), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  link_send (g_steal_pointer (&task));
}

void
ferry_transfer_queue_link_async (FerryTransferQueue  *self,
                                 const char          *offer_id,
                                 guint64              lifetime,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  LinkData *data;

  g_return_if_fail (FERRY_IS_TRANSFER_QUEUE (self));
  g_return_if_fail (offer_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_transfer_queue_link_async);
  data = g_new0 (LinkData, 1);
  data->offer_id = g_strdup (offer_id);
  data->lifetime = lifetime;
  g_task_set_task_data (task, data, (GDestroyNotify) link_data_free);

  if (!check_offer_id (task, offer_id))
    return;
  /* Whether LINK may be sent is in a WELCOME: the first connection brings one, and then
   * carries the request. */
  if (ferry_dialer_get_n_opened (self->dialer) == 0)
    ferry_transfer_queue_check_async (self, cancellable, link_checked_cb,
                                      g_steal_pointer (&task));
  else
    link_send (g_steal_pointer (&task));
}

char *
ferry_transfer_queue_link_finish (FerryTransferQueue  *self,
                                  GAsyncResult        *result,
                                  GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- delete ------------------------------------------------------------------------------ */

static void
delete_reply_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(FerryConnection) connection = NULL;
  g_autoptr(GVariant) v = NULL;
  GError *error = NULL;

  v = ferry_dialer_request_finish (FERRY_DIALER (object), result, FERRY_MSG_DELETED,
                                   &connection, &error);
  if (!v)
    {
      g_task_return_error (task, error);
      return;
    }
  ferry_dialer_release (FERRY_DIALER (object), connection);
  g_task_return_boolean (task, TRUE);
}

void
ferry_transfer_queue_delete_async (FerryTransferQueue  *self,
                                   const char          *offer_id,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FERRY_IS_TRANSFER_QUEUE (self));
  g_return_if_fail (offer_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_transfer_queue_delete_async);
  g_task_set_task_data (task, g_strdup (offer_id), g_free);

  if (!check_offer_id (task, offer_id))
    return;
  ferry_dialer_request_async (self->dialer, ferry_msg_delete_new (offer_id), NULL, NULL,
                              cancellable, delete_reply_cb, g_steal_pointer (&task));
}

gboolean
ferry_transfer_queue_delete_finish (FerryTransferQueue  *self,
                                    GAsyncResult        *result,
                                    GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
