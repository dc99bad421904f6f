/* ferry-client.c: the façade the app and the CLI use. It makes a FerryDialer (one connection
 * made ready), a FerrySubscription (the control session, its reconnects and its problem) and a
 * FerryTransferQueue (transfers and requests), forwards to them, and passes their signals and
 * property changes on as its own.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-client"

#include "config.h"

#include "ferry-client.h"
#include "ferry-dialer.h"
#include "ferry-subscription.h"
#include "ferry-transfer-private.h"
#include "ferry-transfer-queue.h"

struct _FerryClient
{
  GObject parent_instance;

  /* owned references */
  FerryDialer        *dialer;
  FerrySubscription  *subscription;
  FerryTransferQueue *queue;

  /* construct-only values, handed to the dialer in constructed() */
  char               *address;
  char               *user_name;
};

enum {
  PROP_0,
  PROP_ADDRESS,
  PROP_USER_NAME,
  PROP_STATE,
  PROP_MAX_FILE_SIZE,
  PROP_RECONNECT,
  PROP_SERVER_BUSY,
  PROP_PROBLEM,
  PROP_NEXT_RETRY,
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

G_DEFINE_ENUM_TYPE (FerryClientState, ferry_client_state,
                    G_DEFINE_ENUM_VALUE (FERRY_CLIENT_DISCONNECTED, "disconnected"),
                    G_DEFINE_ENUM_VALUE (FERRY_CLIENT_CONNECTING, "connecting"),
                    G_DEFINE_ENUM_VALUE (FERRY_CLIENT_CONNECTED, "connected"))

G_DEFINE_ENUM_TYPE (FerryClientProblem, ferry_client_problem,
                    G_DEFINE_ENUM_VALUE (FERRY_CLIENT_PROBLEM_NONE, "none"),
                    G_DEFINE_ENUM_VALUE (FERRY_CLIENT_PROBLEM_OFFLINE, "offline"),
                    G_DEFINE_ENUM_VALUE (FERRY_CLIENT_PROBLEM_BUSY, "busy"),
                    G_DEFINE_ENUM_VALUE (FERRY_CLIENT_PROBLEM_UNTRUSTED, "untrusted"),
                    G_DEFINE_ENUM_VALUE (FERRY_CLIENT_PROBLEM_KEY_CHANGED, "key-changed"),
                    G_DEFINE_ENUM_VALUE (FERRY_CLIENT_PROBLEM_PASSWORD_NEEDED, "password-needed"),
                    G_DEFINE_ENUM_VALUE (FERRY_CLIENT_PROBLEM_PASSWORD_WRONG, "password-wrong"),
                    G_DEFINE_ENUM_VALUE (FERRY_CLIENT_PROBLEM_VERSION, "version"))

G_DEFINE_FINAL_TYPE (FerryClient, ferry_client, G_TYPE_OBJECT)

static void
ferry_client_dispose (GObject *object)
{
  FerryClient *self = FERRY_CLIENT (object);

  if (self->subscription)
    ferry_subscription_disconnect (self->subscription);
  /* A program about to exit (ferry-cli) must not lose a pin it just made. */
  if (self->dialer)
    ferry_dialer_flush (self->dialer);
  if (self->queue)
    ferry_transfer_queue_cancel_all (self->queue);
  if (self->subscription)
    g_signal_handlers_disconnect_by_data (self->subscription, self);
  if (self->dialer)
    g_signal_handlers_disconnect_by_data (self->dialer, self);
  g_clear_object (&self->queue);
  g_clear_object (&self->subscription);
  g_clear_object (&self->dialer);

  G_OBJECT_CLASS (ferry_client_parent_class)->dispose (object);
}

static void
ferry_client_finalize (GObject *object)
{
  FerryClient *self = FERRY_CLIENT (object);

  g_clear_pointer (&self->address, g_free);
  g_clear_pointer (&self->user_name, g_free);

  G_OBJECT_CLASS (ferry_client_parent_class)->finalize (object);
}

static void
ferry_client_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  FerryClient *self = FERRY_CLIENT (object);

  switch (prop_id)
    {
    case PROP_ADDRESS:
      g_value_set_string (value, ferry_client_get_address (self));
      break;
    case PROP_USER_NAME:
      g_value_set_string (value, ferry_client_get_user_name (self));
      break;
    case PROP_STATE:
      g_value_set_enum (value, ferry_client_get_state (self));
      break;
    case PROP_MAX_FILE_SIZE:
      g_value_set_uint64 (value, ferry_client_get_max_file_size (self));
      break;
    case PROP_SERVER_BUSY:
      g_value_set_boolean (value, ferry_client_get_server_busy (self));
      break;
    case PROP_RECONNECT:
      g_value_set_boolean (value, ferry_client_get_reconnect (self));
      break;
    case PROP_PROBLEM:
      g_value_set_enum (value, ferry_client_get_problem (self));
      break;
    case PROP_NEXT_RETRY:
      g_value_set_int64 (value, ferry_client_get_next_retry (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_client_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  FerryClient *self = FERRY_CLIENT (object);

  switch (prop_id)
    {
    case PROP_ADDRESS:
      self->address = g_value_dup_string (value);
      break;
    case PROP_USER_NAME:
      self->user_name = g_value_dup_string (value);
      break;
    case PROP_RECONNECT:
      ferry_client_set_reconnect (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* The parts' property changes, passed on under the same names. */
static void
part_notify_cb (GObject    *part,
                GParamSpec *pspec,
                gpointer    user_data)
{
  FerryClient *self = user_data;
  GParamSpec *own = g_object_class_find_property (G_OBJECT_GET_CLASS (self), pspec->name);

  if (own)
    g_object_notify_by_pspec (G_OBJECT (self), own);
}

static void
offer_added_cb (FerrySubscription *subscription,
                FerryOffer        *offer,
                FerryClient       *self)
{
  g_signal_emit (self, signals[OFFER_ADDED], 0, offer);
}

static void
offer_removed_cb (FerrySubscription *subscription,
                  FerryOffer        *offer,
                  FerryClient       *self)
{
  g_signal_emit (self, signals[OFFER_REMOVED], 0, offer);
}

static void
disconnected_cb (FerrySubscription *subscription,
                 const GError      *error,
                 FerryClient       *self)
{
  g_signal_emit (self, signals[DISCONNECTED], 0, error);
}

static void
ferry_client_constructed (GObject *object)
{
  FerryClient *self = FERRY_CLIENT (object);

  G_OBJECT_CLASS (ferry_client_parent_class)->constructed (object);

  self->dialer = ferry_dialer_new (self->address, self->user_name);
  self->subscription = ferry_subscription_new (self->dialer);
  self->queue = ferry_transfer_queue_new (self->dialer);
  g_clear_pointer (&self->address, g_free);
  g_clear_pointer (&self->user_name, g_free);

  g_signal_connect (self->dialer, "notify::max-file-size", G_CALLBACK (part_notify_cb), self);
  g_signal_connect (self->dialer, "notify::server-busy", G_CALLBACK (part_notify_cb), self);
  g_signal_connect (self->subscription, "notify::state", G_CALLBACK (part_notify_cb), self);
  g_signal_connect (self->subscription, "notify::problem", G_CALLBACK (part_notify_cb), self);
  g_signal_connect (self->subscription, "notify::next-retry", G_CALLBACK (part_notify_cb), self);
  g_signal_connect (self->subscription, "notify::reconnect", G_CALLBACK (part_notify_cb), self);
  g_signal_connect (self->subscription, "offer-added", G_CALLBACK (offer_added_cb), self);
  g_signal_connect (self->subscription, "offer-removed", G_CALLBACK (offer_removed_cb), self);
  g_signal_connect (self->subscription, "disconnected", G_CALLBACK (disconnected_cb), self);
}

static void
ferry_client_class_init (FerryClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_client_dispose;
  object_class->finalize = ferry_client_finalize;
  object_class->constructed = ferry_client_constructed;
  object_class->get_property = ferry_client_get_property;
  object_class->set_property = ferry_client_set_property;

  properties[PROP_ADDRESS] =
    g_param_spec_string ("address", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_USER_NAME] =
    g_param_spec_string ("user-name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, FERRY_TYPE_CLIENT_STATE, FERRY_CLIENT_DISCONNECTED,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_MAX_FILE_SIZE] =
    g_param_spec_uint64 ("max-file-size", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_RECONNECT] =
    g_param_spec_boolean ("reconnect", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_SERVER_BUSY] =
    g_param_spec_boolean ("server-busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_PROBLEM] =
    g_param_spec_enum ("problem", NULL, NULL, FERRY_TYPE_CLIENT_PROBLEM,
                       FERRY_CLIENT_PROBLEM_NONE,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_NEXT_RETRY] =
    g_param_spec_int64 ("next-retry", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
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
ferry_client_init (FerryClient *self)
{
}

FerryClient *
ferry_client_new (const char *address,
                  const char *user_name)
{
  return g_object_new (FERRY_TYPE_CLIENT, "address", address, "user-name", user_name, NULL);
}

const char *
ferry_client_get_address (FerryClient *self)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), NULL);
  return ferry_dialer_get_address (self->dialer);
}

const char *
ferry_client_get_user_name (FerryClient *self)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), NULL);
  return ferry_dialer_get_user_name (self->dialer);
}

void
ferry_client_set_identity_path (FerryClient *self,
                                const char  *path)
{
  g_return_if_fail (FERRY_IS_CLIENT (self));
  ferry_dialer_set_identity_path (self->dialer, path);
}

void
ferry_client_set_tls (FerryClient *self,
                      gboolean     tls)
{
  g_return_if_fail (FERRY_IS_CLIENT (self));
  ferry_dialer_set_tls (self->dialer, tls);
}

gboolean
ferry_client_get_tls (FerryClient *self)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), TRUE);
  return ferry_dialer_get_tls (self->dialer);
}

void
ferry_client_set_known_servers_path (FerryClient *self,
                                     const char  *path)
{
  g_return_if_fail (FERRY_IS_CLIENT (self));
  ferry_dialer_set_known_servers_path (self->dialer, path);
}

void
ferry_client_set_password (FerryClient *self,
                           const char  *password)
{
  g_return_if_fail (FERRY_IS_CLIENT (self));

  ferry_dialer_set_password (self->dialer, password);
  if (ferry_dialer_has_password (self->dialer))
    {
      ferry_subscription_answered (self->subscription, FERRY_CLIENT_PROBLEM_PASSWORD_NEEDED);
      ferry_subscription_answered (self->subscription, FERRY_CLIENT_PROBLEM_PASSWORD_WRONG);
    }
}

const char *
ferry_client_get_server_fingerprint (FerryClient *self)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), NULL);
  return ferry_dialer_get_server_fingerprint (self->dialer);
}

gboolean
ferry_client_trust_fingerprint (FerryClient  *self,
                                const char   *fingerprint,
                                GError      **error)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (fingerprint != NULL, FALSE);

  if (!ferry_dialer_trust_fingerprint (self->dialer, fingerprint, error))
    return FALSE;
  ferry_subscription_answered (self->subscription, FERRY_CLIENT_PROBLEM_UNTRUSTED);
  return TRUE;
}

gboolean
ferry_client_forget_server (FerryClient  *self,
                            GError      **error)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), FALSE);

  if (!ferry_dialer_forget_server (self->dialer, error))
    return FALSE;
  ferry_subscription_answered (self->subscription, FERRY_CLIENT_PROBLEM_KEY_CHANGED);
  return TRUE;
}

FerryClientState
ferry_client_get_state (FerryClient *self)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), FERRY_CLIENT_DISCONNECTED);
  return ferry_subscription_get_state (self->subscription);
}

const GError *
ferry_client_get_error (FerryClient *self)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), NULL);
  return ferry_subscription_get_error (self->subscription);
}

FerryClientProblem
ferry_client_get_problem (FerryClient *self)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), FERRY_CLIENT_PROBLEM_NONE);
  return ferry_subscription_get_problem (self->subscription);
}

gint64
ferry_client_get_next_retry (FerryClient *self)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), 0);
  return ferry_subscription_get_next_retry (self->subscription);
}

FerryClientProblem
ferry_client_problem_from_error (FerryClient  *self,
                                 const GError *error)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), FERRY_CLIENT_PROBLEM_NONE);
  return ferry_subscription_problem_from_error (self->subscription, error);
}

gboolean
ferry_client_problem_needs_person (FerryClientProblem problem)
{
  switch (problem)
    {
    case FERRY_CLIENT_PROBLEM_UNTRUSTED:
    case FERRY_CLIENT_PROBLEM_KEY_CHANGED:
    case FERRY_CLIENT_PROBLEM_PASSWORD_NEEDED:
    case FERRY_CLIENT_PROBLEM_PASSWORD_WRONG:
    case FERRY_CLIENT_PROBLEM_VERSION:
      return TRUE;
    case FERRY_CLIENT_PROBLEM_NONE:
    case FERRY_CLIENT_PROBLEM_OFFLINE:
    case FERRY_CLIENT_PROBLEM_BUSY:
    default:
      return FALSE;
    }
}

guint64
ferry_client_get_max_file_size (FerryClient *self)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), 0);
  return ferry_dialer_get_max_file_size (self->dialer);
}

void
ferry_client_set_busy_timeout (FerryClient *self,
                               guint        seconds)
{
  g_return_if_fail (FERRY_IS_CLIENT (self));
  ferry_dialer_set_busy_timeout (self->dialer, seconds);
}

gboolean
ferry_client_get_server_busy (FerryClient *self)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), FALSE);
  return ferry_dialer_get_server_busy (self->dialer);
}

gboolean
ferry_client_get_reconnect (FerryClient *self)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), FALSE);
  return ferry_subscription_get_reconnect (self->subscription);
}

void
ferry_client_set_reconnect (FerryClient *self,
                            gboolean     reconnect)
{
  g_return_if_fail (FERRY_IS_CLIENT (self));
  ferry_subscription_set_reconnect (self->subscription, reconnect);
}

GListModel *
ferry_client_get_offers (FerryClient *self)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), NULL);
  return ferry_subscription_get_offers (self->subscription);
}

FerryDialer *
ferry_client_get_dialer (FerryClient *self)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), NULL);
  return self->dialer;
}

FerryOffer *
ferry_client_lookup_offer (FerryClient *self,
                           const char  *id)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), NULL);
  return ferry_subscription_lookup_offer (self->subscription, id);
}

GListModel *
ferry_client_get_transfers (FerryClient *self)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), NULL);
  return ferry_transfer_queue_get_transfers (self->queue);
}

void
ferry_client_clear_finished_transfers (FerryClient *self)
{
  g_return_if_fail (FERRY_IS_CLIENT (self));
  ferry_transfer_queue_clear_finished (self->queue);
}

/* ---- the async calls: the parts do the work, the caller sees the client as the source ---- */

/* A part's async call ended: its result, read with its own _finish, is passed on to the
 * caller's task (whose source tag says which call it was). */
static void
forward_boolean_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  gpointer tag = g_task_get_source_tag (task);
  GError *error = NULL;
  gboolean ok;

  if (tag == ferry_client_connect_async)
    ok = ferry_subscription_connect_finish (FERRY_SUBSCRIPTION (object), result, &error);
  else if (tag == ferry_client_check_async)
    ok = ferry_transfer_queue_check_finish (FERRY_TRANSFER_QUEUE (object), result, &error);
  else
    ok = ferry_transfer_queue_delete_finish (FERRY_TRANSFER_QUEUE (object), result, &error);

  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* The task a caller sees, with the client as its source; a part resolves it through
 * forward_boolean_cb(). */
static GTask *
forward_task_new (FerryClient         *self,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data,
                  gpointer             source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  return task;
}

static gboolean
forward_task_finish (FerryClient   *self,
                     GAsyncResult  *result,
                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
ferry_client_connect_async (FerryClient         *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (FERRY_IS_CLIENT (self));

  ferry_subscription_connect_async (self->subscription, cancellable, forward_boolean_cb,
                                    forward_task_new (self, cancellable, callback, user_data,
                                                      ferry_client_connect_async));
}

gboolean
ferry_client_connect_finish (FerryClient   *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  return forward_task_finish (self, result, error);
}

void
ferry_client_disconnect (FerryClient *self)
{
  g_return_if_fail (FERRY_IS_CLIENT (self));
  ferry_subscription_disconnect (self->subscription);
}

void
ferry_client_check_async (FerryClient         *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_return_if_fail (FERRY_IS_CLIENT (self));

  ferry_transfer_queue_check_async (self->queue, cancellable, forward_boolean_cb,
                                    forward_task_new (self, cancellable, callback, user_data,
                                                      ferry_client_check_async));
}

gboolean
ferry_client_check_finish (FerryClient   *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  return forward_task_finish (self, result, error);
}

void
ferry_client_delete_async (FerryClient         *self,
                           const char          *offer_id,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (FERRY_IS_CLIENT (self));
  g_return_if_fail (offer_id != NULL);

  ferry_transfer_queue_delete_async (self->queue, offer_id, cancellable, forward_boolean_cb,
                                     forward_task_new (self, cancellable, callback, user_data,
                                                       ferry_client_delete_async));
}

gboolean
ferry_client_delete_finish (FerryClient   *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  return forward_task_finish (self, result, error);
}

static void
link_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FerryClient *self = g_task_get_source_object (task);
  g_autofree char *path = NULL;
  GError *error = NULL;

  path = ferry_transfer_queue_link_finish (FERRY_TRANSFER_QUEUE (object), result, &error);
  if (!path)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, ferry_dialer_make_web_url (self->dialer, path), g_free);
}

void
ferry_client_link_async (FerryClient         *self,
                         const char          *offer_id,
                         guint64              lifetime,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_return_if_fail (FERRY_IS_CLIENT (self));
  g_return_if_fail (offer_id != NULL);

  ferry_transfer_queue_link_async (self->queue, offer_id, lifetime, cancellable, link_cb,
                                   forward_task_new (self, cancellable, callback, user_data,
                                                     ferry_client_link_async));
}

char *
ferry_client_link_finish (FerryClient   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
ferry_client_get_web (FerryClient *self)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), FALSE);
  return ferry_dialer_get_web (self->dialer);
}

gboolean
ferry_client_get_auth (FerryClient *self)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), FALSE);
  return ferry_dialer_get_auth (self->dialer);
}

char *
ferry_client_dup_web_url (FerryClient *self)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), NULL);
  return ferry_dialer_make_web_url (self->dialer, "/");
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

  ferry_upload_check_async (self, file, NULL, ferry_dialer_get_max_file_size (self->dialer),
                            cancellable, callback, user_data);
}

gboolean
ferry_client_check_upload_finish (FerryClient   *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return ferry_upload_check_finish (result, NULL, error);
}

FerryTransfer *
ferry_client_upload (FerryClient *self,
                     GFile       *file,
                     const char  *name)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), NULL);
  g_return_val_if_fail (G_IS_FILE (file), NULL);

  return ferry_transfer_new_upload (self->queue, file, name);
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

  return ferry_transfer_new_download (self->queue, offer_id,
                                      ferry_subscription_lookup_offer (self->subscription, offer_id),
                                      destination, flags);
}

FerryTransfer *
ferry_client_resume_transfer (FerryClient   *self,
                              FerryTransfer *transfer)
{
  FerryTransfer *again;

  g_return_val_if_fail (FERRY_IS_CLIENT (self), NULL);
  g_return_val_if_fail (FERRY_IS_TRANSFER (transfer), NULL);
  g_return_val_if_fail (ferry_transfer_is_finished (transfer), NULL);

  if (transfer->direction == FERRY_TRANSFER_UPLOAD)
    again = ferry_transfer_new_upload (self->queue, transfer->file, transfer->name);
  else
    again = ferry_client_download (self, transfer->offer_id, transfer->destination,
                                   transfer->flags & ~FERRY_DOWNLOAD_NO_RESUME);
  ferry_transfer_queue_replace_on_run (self->queue, again, transfer);
  return again;
}
