/* ferry-subscription.c: FerryClient's control session: subscribes, keeps the offers model
 * live, PINGs, and owns the one reconnect backoff and the "problem" it reports
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-client"

#include "config.h"

#include <glib/gi18n.h>

#include "ferry-client-private.h"
#include "ferry-error.h"
#include "ferry-message.h"

#define PING_INTERVAL_SECONDS     30
#define RECONNECT_MIN_SECONDS     1
#define RECONNECT_MAX_SECONDS     30

static void control_read_next (FerryClient *self);

static void
replace_offers (FerryClient *self,
                GPtrArray   *offers)
{
  g_hash_table_remove_all (self->offers_by_id);
  for (guint i = 0; i < offers->len; i++)
    {
      FerryOffer *offer = g_ptr_array_index (offers, i);
      g_hash_table_insert (self->offers_by_id, (char *) ferry_offer_get_id (offer), offer);
    }
  g_list_store_splice (self->offers, 0, g_list_model_get_n_items (G_LIST_MODEL (self->offers)),
                       offers->pdata, offers->len);
}

static gboolean
ping_cb (gpointer user_data)
{
  FerryClient *self = user_data;

  if (self->control)
    ferry_connection_send_message (self->control,
                                   ferry_msg_ping_new ((guint64) g_get_monotonic_time ()));
  return G_SOURCE_CONTINUE;
}

static gboolean
reconnect_cb (gpointer user_data)
{
  FerryClient *self = user_data;

  self->reconnect_source = 0;
  if (self->state == FERRY_CLIENT_DISCONNECTED)
    ferry_subscription_start (self);
  return G_SOURCE_REMOVE;
}

/* Ends the control session. @error NULL means the user asked for it. */
static void
control_ended (FerryClient *self,
               GError      *error)
{
  g_autoptr(GTask) connect_task = g_steal_pointer (&self->connect_task);
  gboolean was_connected = self->state == FERRY_CLIENT_CONNECTED;
  FerryClientProblem problem;
  gint64 next_retry = 0;

  g_clear_handle_id (&self->ping_source, g_source_remove);
  if (self->control_cancellable)
    g_cancellable_cancel (self->control_cancellable);
  g_clear_object (&self->control_cancellable);
  if (self->control)
    ferry_connection_abort (self->control);
  g_clear_object (&self->control);
  g_clear_pointer (&self->snapshot, g_ptr_array_unref);

  if (error)
    {
      g_clear_error (&self->error);
      self->error = g_error_copy (error);
    }
  ferry_client_set_state (self, FERRY_CLIENT_DISCONNECTED);

  if (connect_task)
    {
      if (error)
        g_task_return_error (connect_task, g_error_copy (error));
      else
        g_task_return_new_error (connect_task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                 _("The connection was cancelled."));
    }
  else if (error && was_connected)
    ferry_client_emit_disconnected (self, error);

  problem = ferry_client_problem_from_error (self, error);
  if (ferry_client_problem_needs_person (problem))
    {
      /* Retrying cannot help when a person must decide: the engine stops here, and the answer
       * (trust, forget, a password) starts it again. */
      gboolean was_on = self->reconnect;

      ferry_client_set_reconnect (self, FALSE);
      self->resume_on_answer = was_on;
      /* Asked again, even when it is the same question (a second wrong password). */
      if (self->problem == problem)
        ferry_client_notify_problem (self);
      ferry_client_set_problem (self, problem, 0);
    }
  else if (problem != FERRY_CLIENT_PROBLEM_NONE && self->reconnect)
    {
      if (!self->reconnect_source)
        {
          self->reconnect_delay = CLAMP (self->reconnect_delay, RECONNECT_MIN_SECONDS,
                                         RECONNECT_MAX_SECONDS);
          g_debug ("Reconnecting to %s in %u s", self->address, self->reconnect_delay);
          self->reconnect_source = g_timeout_add_seconds (self->reconnect_delay,
                                                          reconnect_cb, self);
          next_retry = g_get_monotonic_time () +
                       (gint64) self->reconnect_delay * G_USEC_PER_SEC;
          self->reconnect_delay = MIN (self->reconnect_delay * 2, RECONNECT_MAX_SECONDS);
        }
      else
        next_retry = self->next_retry;
      ferry_client_set_problem (self, problem, next_retry);
    }
  else
    ferry_client_set_problem (self, problem, 0);

  g_clear_error (&error);
}

static void
handle_control_frame (FerryClient *self,
                      FerryFrame  *frame)
{
  g_autoptr(GVariant) v = NULL;
  GError *error = NULL;

  if (frame->type == FERRY_MSG_DATA || !(v = ferry_message_parse (frame, &error)))
    {
      if (!error)
        error = g_error_new_literal (FERRY_ERROR, FERRY_ERROR_UNEXPECTED,
                                     _("The server sent file data on the control connection."));
      control_ended (self, error);
      return;
    }

  switch (frame->type)
    {
    case FERRY_MSG_OFFER:
      {
        g_autoptr(FerryOffer) offer = ferry_offer_new_from_variant (v);

        if (self->snapshot)
          {
            g_ptr_array_add (self->snapshot, g_steal_pointer (&offer));
          }
        else if (!g_hash_table_contains (self->offers_by_id, ferry_offer_get_id (offer)))
          {
            g_hash_table_insert (self->offers_by_id, (char *) ferry_offer_get_id (offer), offer);
            g_list_store_append (self->offers, offer);
            ferry_client_emit_offer_added (self, offer);
          }
      }
      break;

    case FERRY_MSG_SYNCED:
      {
        g_autoptr(GTask) connect_task = g_steal_pointer (&self->connect_task);

        if (!self->snapshot)
          {
            control_ended (self, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_UNEXPECTED,
                                                      _("The server sent a second snapshot.")));
            return;
          }
        replace_offers (self, self->snapshot);
        g_clear_pointer (&self->snapshot, g_ptr_array_unref);
        g_clear_error (&self->error);
        self->reconnect_delay = 0;   /* the next drop waits RECONNECT_MIN_SECONDS */
        self->resume_on_answer = FALSE;
        ferry_client_set_problem (self, FERRY_CLIENT_PROBLEM_NONE, 0);
        ferry_client_set_state (self, FERRY_CLIENT_CONNECTED);
        self->ping_source = g_timeout_add_seconds (PING_INTERVAL_SECONDS, ping_cb, self);
        if (connect_task)
          g_task_return_boolean (connect_task, TRUE);
      }
      break;

    case FERRY_MSG_DELETED:
      {
        const char *id = ferry_msg_deleted_get_id (v);
        g_autoptr(FerryOffer) offer = NULL;
        guint position;

        offer = g_hash_table_lookup (self->offers_by_id, id);
        if (!offer)
          break;
        g_object_ref (offer);
        g_hash_table_remove (self->offers_by_id, id);
        if (g_list_store_find (self->offers, offer, &position))
          g_list_store_remove (self->offers, position);
        ferry_client_emit_offer_removed (self, offer);
      }
      break;

    case FERRY_MSG_PING:
      ferry_connection_send_message (self->control,
                                     ferry_msg_pong_new (ferry_msg_ping_get_token (v)));
      break;

    case FERRY_MSG_PONG:
      break;

    case FERRY_MSG_ERROR:
      control_ended (self, ferry_msg_error_to_gerror (v));
      return;

    default:
      control_ended (self, g_error_new (FERRY_ERROR, FERRY_ERROR_UNEXPECTED,
                                        _("The server sent an unexpected %s message."),
                                        ferry_message_type_to_string (frame->type)));
      return;
    }

  control_read_next (self);
}

static void
control_read_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(FerryClient) self = user_data;
  g_auto(FerryFrame) frame = { 0 };
  GError *error = NULL;

  if (!ferry_connection_read_finish (FERRY_CONNECTION (object), result, &frame, &error))
    {
      /* A stale read from a session that was already replaced or closed. */
      if (FERRY_CONNECTION (object) != self->control)
        {
          g_error_free (error);
          return;
        }
      if (g_error_matches (error, FERRY_ERROR, FERRY_ERROR_CLOSED))
        {
          g_clear_error (&error);
          error = g_error_new (FERRY_ERROR, FERRY_ERROR_CLOSED,
                               _("The server at %s closed the connection."), self->address);
        }
      control_ended (self, error);
      return;
    }
  if (FERRY_CONNECTION (object) != self->control)
    return;

  handle_control_frame (self, &frame);
}

static void
control_read_next (FerryClient *self)
{
  if (!self->control)
    return;
  ferry_connection_read_async (self->control, NULL, control_read_cb, g_object_ref (self));
}

static void
control_opened_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(FerryClient) self = user_data;
  g_autoptr(FerryConnection) connection = NULL;
  GError *error = NULL;

  connection = ferry_client_open_finish (self, result, &error);
  if (!connection)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          self->state == FERRY_CLIENT_DISCONNECTED)
        {
          g_error_free (error);
          return;
        }
      control_ended (self, error);
      return;
    }

  if (self->state != FERRY_CLIENT_CONNECTING)
    {
      ferry_connection_abort (connection);
      return;
    }

  self->control = g_steal_pointer (&connection);
  self->snapshot = g_ptr_array_new_with_free_func (g_object_unref);
  ferry_connection_send_message (self->control, ferry_msg_subscribe_new ());
  control_read_next (self);
}

/* FerryOpenWaitingFunc: the control session's open waits for a busy server. */
static void
control_waiting_cb (gpointer data,
                    gboolean waiting)
{
  FerryClient *self = data;

  if (waiting)
    ferry_client_set_problem (self, FERRY_CLIENT_PROBLEM_BUSY, 0);
}

void
ferry_subscription_start (FerryClient *self)
{
  g_clear_object (&self->control_cancellable);
  self->control_cancellable = g_cancellable_new ();
  /* Trying now: whatever was wrong stays shown until this try tells otherwise. */
  ferry_client_set_problem (self, self->problem, 0);
  ferry_client_set_state (self, FERRY_CLIENT_CONNECTING);
  ferry_client_open_full_async (self, control_waiting_cb, self, self->control_cancellable,
                                control_opened_cb, g_object_ref (self));
}

void
ferry_client_connect_async (FerryClient         *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FERRY_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_client_connect_async);

  if (self->state == FERRY_CLIENT_CONNECTED)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (self->connect_task)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               _("Already connecting to %s."), self->address);
      return;
    }

  self->connect_task = g_steal_pointer (&task);
  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  if (self->state == FERRY_CLIENT_DISCONNECTED)
    ferry_subscription_start (self);
}

gboolean
ferry_client_connect_finish (FerryClient   *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
ferry_client_disconnect (FerryClient *self)
{
  g_return_if_fail (FERRY_IS_CLIENT (self));

  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  self->resume_on_answer = FALSE;
  if (self->state != FERRY_CLIENT_DISCONNECTED || self->control || self->connect_task)
    control_ended (self, NULL);
  ferry_client_set_problem (self, FERRY_CLIENT_PROBLEM_NONE, 0);
}
