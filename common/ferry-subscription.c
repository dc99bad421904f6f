/* ferry-subscription.c: FerrySubscription, the control session: subscribes, keeps the offers
 * model live, PINGs, and owns the one reconnect backoff and the "problem" it reports
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-subscription"

#include "config.h"

#include <glib/gi18n.h>

#include "ferry-subscription.h"
#include "ferry-error.h"
#include "ferry-message.h"

#define PING_INTERVAL_SECONDS     30
#define RECONNECT_MIN_SECONDS     1
#define RECONNECT_MAX_SECONDS     30

struct _FerrySubscription
{
  GObject parent_instance;

  /* owned references */
  FerryDialer        *dialer;
  GListStore         *offers;
  GHashTable         *offers_by_id;     /* id -> FerryOffer, borrowed from offers */
  FerryConnection    *control;
  GCancellable       *control_cancellable;
  GPtrArray          *snapshot;         /* FerryOffer, while subscribing */
  GTask              *connect_task;
  GError             *error;

  gint64              next_retry;       /* monotonic, 0 for none planned */
  FerryClientState    state;
  FerryClientProblem  problem;
  guint               ping_source;
  guint               reconnect_source;
  guint               reconnect_delay;
  guint               reconnect : 1;
  guint               resume_on_answer : 1;  /* reconnect stopped for a person's answer */
};

enum {
  PROP_0,
  PROP_DIALER,
  PROP_STATE,
  PROP_PROBLEM,
  PROP_NEXT_RETRY,
  PROP_RECONNECT,
  N_PROPS
};

enum {
  OFFER_ADDED,
  OFFER_REMOVED,
  DISCONNECTED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (FerrySubscription, ferry_subscription, G_TYPE_OBJECT)

static void control_read_next (FerrySubscription *self);
static void subscription_start (FerrySubscription *self);

static void
ferry_subscription_dispose (GObject *object)
{
  FerrySubscription *self = FERRY_SUBSCRIPTION (object);

  ferry_subscription_disconnect (self);
  g_clear_handle_id (&self->reconnect_source, g_source_remove);

  G_OBJECT_CLASS (ferry_subscription_parent_class)->dispose (object);
}

static void
ferry_subscription_finalize (GObject *object)
{
  FerrySubscription *self = FERRY_SUBSCRIPTION (object);

  g_clear_pointer (&self->offers_by_id, g_hash_table_unref);
  g_clear_pointer (&self->snapshot, g_ptr_array_unref);
  g_clear_object (&self->offers);
  g_clear_object (&self->dialer);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (ferry_subscription_parent_class)->finalize (object);
}

static void
ferry_subscription_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  FerrySubscription *self = FERRY_SUBSCRIPTION (object);

  switch (prop_id)
    {
    case PROP_DIALER:
      g_value_set_object (value, self->dialer);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_PROBLEM:
      g_value_set_enum (value, self->problem);
      break;
    case PROP_NEXT_RETRY:
      g_value_set_int64 (value, self->next_retry);
      break;
    case PROP_RECONNECT:
      g_value_set_boolean (value, self->reconnect);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_subscription_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  FerrySubscription *self = FERRY_SUBSCRIPTION (object);

  switch (prop_id)
    {
    case PROP_DIALER:
      self->dialer = g_value_dup_object (value);
      break;
    case PROP_RECONNECT:
      ferry_subscription_set_reconnect (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_subscription_class_init (FerrySubscriptionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_subscription_dispose;
  object_class->finalize = ferry_subscription_finalize;
  object_class->get_property = ferry_subscription_get_property;
  object_class->set_property = ferry_subscription_set_property;

  properties[PROP_DIALER] =
    g_param_spec_object ("dialer", NULL, NULL, FERRY_TYPE_DIALER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, FERRY_TYPE_CLIENT_STATE, FERRY_CLIENT_DISCONNECTED,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_PROBLEM] =
    g_param_spec_enum ("problem", NULL, NULL, FERRY_TYPE_CLIENT_PROBLEM,
                       FERRY_CLIENT_PROBLEM_NONE,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_NEXT_RETRY] =
    g_param_spec_int64 ("next-retry", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_RECONNECT] =
    g_param_spec_boolean ("reconnect", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[OFFER_ADDED] =
    g_signal_new ("offer-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, FERRY_TYPE_OFFER);
  signals[OFFER_REMOVED] =
    g_signal_new ("offer-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, FERRY_TYPE_OFFER);
  signals[DISCONNECTED] =
    g_signal_new ("disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
ferry_subscription_init (FerrySubscription *self)
{
  self->offers = g_list_store_new (FERRY_TYPE_OFFER);
  self->offers_by_id = g_hash_table_new (g_str_hash, g_str_equal);
}

FerrySubscription *
ferry_subscription_new (FerryDialer *dialer)
{
  g_return_val_if_fail (FERRY_IS_DIALER (dialer), NULL);
  return g_object_new (FERRY_TYPE_SUBSCRIPTION, "dialer", dialer, NULL);
}

GListModel *
ferry_subscription_get_offers (FerrySubscription *self)
{
  g_return_val_if_fail (FERRY_IS_SUBSCRIPTION (self), NULL);
  return G_LIST_MODEL (self->offers);
}

FerryOffer *
ferry_subscription_lookup_offer (FerrySubscription *self,
                                 const char        *id)
{
  g_return_val_if_fail (FERRY_IS_SUBSCRIPTION (self), NULL);
  return id ? g_hash_table_lookup (self->offers_by_id, id) : NULL;
}

FerryClientState
ferry_subscription_get_state (FerrySubscription *self)
{
  g_return_val_if_fail (FERRY_IS_SUBSCRIPTION (self), FERRY_CLIENT_DISCONNECTED);
  return self->state;
}

FerryClientProblem
ferry_subscription_get_problem (FerrySubscription *self)
{
  g_return_val_if_fail (FERRY_IS_SUBSCRIPTION (self), FERRY_CLIENT_PROBLEM_NONE);
  return self->problem;
}

gint64
ferry_subscription_get_next_retry (FerrySubscription *self)
{
  g_return_val_if_fail (FERRY_IS_SUBSCRIPTION (self), 0);
  return self->next_retry;
}

const GError *
ferry_subscription_get_error (FerrySubscription *self)
{
  g_return_val_if_fail (FERRY_IS_SUBSCRIPTION (self), NULL);
  return self->error;
}

FerryClientProblem
ferry_subscription_problem_from_error (FerrySubscription *self,
                                       const GError      *error)
{
  g_return_val_if_fail (FERRY_IS_SUBSCRIPTION (self), FERRY_CLIENT_PROBLEM_NONE);

  if (!error || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FERRY_CLIENT_PROBLEM_NONE;
  if (error->domain != FERRY_ERROR)
    return FERRY_CLIENT_PROBLEM_OFFLINE;

  switch (error->code)
    {
    case FERRY_ERROR_UNTRUSTED:
      return FERRY_CLIENT_PROBLEM_UNTRUSTED;
    case FERRY_ERROR_FINGERPRINT_CHANGED:
      return FERRY_CLIENT_PROBLEM_KEY_CHANGED;
    case FERRY_ERROR_AUTH:
      return ferry_dialer_get_sent_password (self->dialer) ? FERRY_CLIENT_PROBLEM_PASSWORD_WRONG
                                                           : FERRY_CLIENT_PROBLEM_PASSWORD_NEEDED;
    case FERRY_ERROR_VERSION:
      return FERRY_CLIENT_PROBLEM_VERSION;
    case FERRY_ERROR_BUSY:
      return FERRY_CLIENT_PROBLEM_BUSY;
    default:
      return FERRY_CLIENT_PROBLEM_OFFLINE;
    }
}

static void
set_state (FerrySubscription *self,
           FerryClientState   state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
set_problem (FerrySubscription  *self,
             FerryClientProblem  problem,
             gint64              next_retry)
{
  g_object_freeze_notify (G_OBJECT (self));
  if (self->problem != problem)
    {
      self->problem = problem;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROBLEM]);
    }
  if (self->next_retry != next_retry)
    {
      self->next_retry = next_retry;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NEXT_RETRY]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

gboolean
ferry_subscription_get_reconnect (FerrySubscription *self)
{
  g_return_val_if_fail (FERRY_IS_SUBSCRIPTION (self), FALSE);
  return self->reconnect;
}

void
ferry_subscription_set_reconnect (FerrySubscription *self,
                                  gboolean           reconnect)
{
  g_return_if_fail (FERRY_IS_SUBSCRIPTION (self));

  reconnect = !!reconnect;
  self->resume_on_answer = FALSE;
  if (self->reconnect == (guint) reconnect)
    return;
  self->reconnect = reconnect;
  if (!reconnect)
    {
      g_clear_handle_id (&self->reconnect_source, g_source_remove);
      if (self->next_retry)
        set_problem (self, self->problem, 0);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECONNECT]);
}

void
ferry_subscription_answered (FerrySubscription  *self,
                             FerryClientProblem  problem)
{
  g_return_if_fail (FERRY_IS_SUBSCRIPTION (self));

  if (self->problem != problem || !self->resume_on_answer)
    return;
  ferry_subscription_set_reconnect (self, TRUE);
  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  if (self->state == FERRY_CLIENT_DISCONNECTED)
    subscription_start (self);
}

static void
replace_offers (FerrySubscription *self,
                GPtrArray         *offers)
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
  FerrySubscription *self = user_data;

  if (self->control)
    ferry_connection_send_message (self->control,
                                   ferry_msg_ping_new ((guint64) g_get_monotonic_time ()));
  return G_SOURCE_CONTINUE;
}

static gboolean
reconnect_cb (gpointer user_data)
{
  FerrySubscription *self = user_data;

  self->reconnect_source = 0;
  if (self->state == FERRY_CLIENT_DISCONNECTED)
    subscription_start (self);
  return G_SOURCE_REMOVE;
}

/* Ends the control session. @error NULL means the user asked for it. */
static void
control_ended (FerrySubscription *self,
               GError            *error)
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
  set_state (self, FERRY_CLIENT_DISCONNECTED);

  if (connect_task)
    {
      if (error)
        g_task_return_error (connect_task, g_error_copy (error));
      else
        g_task_return_new_error (connect_task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                 _("The connection was cancelled."));
    }
  else if (error && was_connected)
    g_signal_emit (self, signals[DISCONNECTED], 0, error);

  problem = ferry_subscription_problem_from_error (self, error);
  if (ferry_client_problem_needs_person (problem))
    {
      /* Retrying cannot help when a person must decide: the engine stops here, and the answer
       * (trust, forget, a password) starts it again. */
      gboolean was_on = self->reconnect;

      ferry_subscription_set_reconnect (self, FALSE);
      self->resume_on_answer = was_on;
      /* Asked again, even when it is the same question (a second wrong password). */
      if (self->problem == problem)
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROBLEM]);
      set_problem (self, problem, 0);
    }
  else if (problem != FERRY_CLIENT_PROBLEM_NONE && self->reconnect)
    {
      if (!self->reconnect_source)
        {
          self->reconnect_delay = CLAMP (self->reconnect_delay, RECONNECT_MIN_SECONDS,
                                         RECONNECT_MAX_SECONDS);
          g_debug ("Reconnecting to %s in %u s", ferry_dialer_get_address (self->dialer),
                   self->reconnect_delay);
          self->reconnect_source = g_timeout_add_seconds (self->reconnect_delay,
                                                          reconnect_cb, self);
          next_retry = g_get_monotonic_time () +
                       (gint64) self->reconnect_delay * G_USEC_PER_SEC;
          self->reconnect_delay = MIN (self->reconnect_delay * 2, RECONNECT_MAX_SECONDS);
        }
      else
        next_retry = self->next_retry;
      set_problem (self, problem, next_retry);
    }
  else
    set_problem (self, problem, 0);

  g_clear_error (&error);
}

static void
handle_control_frame (FerrySubscription *self,
                      FerryFrame        *frame)
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
            g_signal_emit (self, signals[OFFER_ADDED], 0, offer);
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
        set_problem (self, FERRY_CLIENT_PROBLEM_NONE, 0);
        set_state (self, FERRY_CLIENT_CONNECTED);
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
        g_signal_emit (self, signals[OFFER_REMOVED], 0, offer);
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
  g_autoptr(FerrySubscription) self = user_data;
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
                               _("The server at %s closed the connection."),
                               ferry_dialer_get_address (self->dialer));
        }
      control_ended (self, error);
      return;
    }
  if (FERRY_CONNECTION (object) != self->control)
    return;

  handle_control_frame (self, &frame);
}

static void
control_read_next (FerrySubscription *self)
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
  g_autoptr(FerrySubscription) self = user_data;
  g_autoptr(FerryConnection) connection = NULL;
  GError *error = NULL;

  connection = ferry_dialer_open_finish (FERRY_DIALER (object), result, &error);
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

/* FerryDialerWaitingFunc: the control session's open waits for a busy server. */
static void
control_waiting_cb (gpointer data,
                    gboolean waiting)
{
  FerrySubscription *self = data;

  if (waiting)
    set_problem (self, FERRY_CLIENT_PROBLEM_BUSY, 0);
}

static void
subscription_start (FerrySubscription *self)
{
  g_clear_object (&self->control_cancellable);
  self->control_cancellable = g_cancellable_new ();
  /* Trying now: whatever was wrong stays shown until this try tells otherwise. */
  set_problem (self, self->problem, 0);
  set_state (self, FERRY_CLIENT_CONNECTING);
  ferry_dialer_open_full_async (self->dialer, control_waiting_cb, self, self->control_cancellable,
                                control_opened_cb, g_object_ref (self));
}

void
ferry_subscription_connect_async (FerrySubscription   *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FERRY_IS_SUBSCRIPTION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_subscription_connect_async);

  if (self->state == FERRY_CLIENT_CONNECTED)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (self->connect_task)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               _("Already connecting to %s."),
                               ferry_dialer_get_address (self->dialer));
      return;
    }

  self->connect_task = g_steal_pointer (&task);
  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  if (self->state == FERRY_CLIENT_DISCONNECTED)
    subscription_start (self);
}

gboolean
ferry_subscription_connect_finish (FerrySubscription  *self,
                                   GAsyncResult       *result,
                                   GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
ferry_subscription_disconnect (FerrySubscription *self)
{
  g_return_if_fail (FERRY_IS_SUBSCRIPTION (self));

  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  self->resume_on_answer = FALSE;
  if (self->state != FERRY_CLIENT_DISCONNECTED || self->control || self->connect_task)
    control_ended (self, NULL);
  set_problem (self, FERRY_CLIENT_PROBLEM_NONE, 0);
}
