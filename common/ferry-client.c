/* ferry-client.c: the façade the app and the CLI use: properties, the problem, trust answers.
 * Its lifetimes live in ferry-dialer.c (one connection made ready), ferry-subscription.c (the
 * control session and its reconnects) and ferry-transfer-queue.c (transfers and requests).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-client"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ferry-client-private.h"
#include "ferry-error.h"
#include "ferry-fingerprint.h"
#include "ferry-known-servers.h"
#include "ferry-tls-policy.h"
#include "ferry-trust-store.h"

/* How long one open keeps asking a busy server, by default (ferry-dialer.c). */
#define BUSY_RETRY_BUDGET_SECONDS 60

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

static void resume_after_answer (FerryClient *self);

gboolean
ferry_parse_address (const char  *address,
                     char       **host,
                     guint16     *port,
                     GError     **error)
{
  g_autoptr(GNetworkAddress) parsed = NULL;
  g_autoptr(GError) local_error = NULL;

  parsed = (GNetworkAddress *) g_network_address_parse (address, FERRY_DEFAULT_PORT, &local_error);
  if (!parsed || !*g_network_address_get_hostname (parsed))
    {
      g_set_error (error, FERRY_ERROR, FERRY_ERROR_CONNECT,
                   _("“%s” is not a server address; use HOST or HOST:PORT, such as "
                     "files.example.org:5005."), address);
      return FALSE;
    }
  if (g_network_address_get_port (parsed) == 0)
    {
      g_set_error (error, FERRY_ERROR, FERRY_ERROR_CONNECT,
                   _("“%s” has port 0; a server address needs a real port."), address);
      return FALSE;
    }

  if (host)
    *host = g_strdup (g_network_address_get_hostname (parsed));
  if (port)
    *port = g_network_address_get_port (parsed);
  return TRUE;
}

static void
ferry_client_dispose (GObject *object)
{
  FerryClient *self = FERRY_CLIENT (object);

  ferry_client_disconnect (self);
  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  /* A program about to exit (ferry-cli) must not lose a pin it just made. */
  if (self->trust)
    ferry_trust_store_flush (self->trust);
  g_clear_object (&self->trust);
  if (self->transfers)
    {
      GListModel *transfers = G_LIST_MODEL (self->transfers);

      for (guint i = 0; i < g_list_model_get_n_items (transfers); i++)
        {
          g_autoptr(FerryTransfer) transfer = g_list_model_get_item (transfers, i);

          ferry_transfer_cancel (transfer);
        }
      g_list_store_remove_all (self->transfers);
    }

  G_OBJECT_CLASS (ferry_client_parent_class)->dispose (object);
}

static void
ferry_client_finalize (GObject *object)
{
  FerryClient *self = FERRY_CLIENT (object);

  g_clear_pointer (&self->address, g_free);
  g_clear_pointer (&self->host, g_free);
  g_clear_pointer (&self->user_name, g_free);
  g_clear_pointer (&self->identity_path, g_free);
  g_clear_pointer (&self->known_servers_path, g_free);
  g_clear_pointer (&self->server_fingerprint, g_free);
  g_clear_pointer (&self->pin_key, g_free);
  if (self->password)
    memset (self->password, 0, strlen (self->password));
  g_clear_pointer (&self->password, g_free);
  g_clear_pointer (&self->offers_by_id, g_hash_table_unref);
  g_clear_pointer (&self->active_transfers, g_hash_table_unref);
  g_queue_clear_full (&self->queued_transfers, g_object_unref);
  g_clear_pointer (&self->snapshot, g_ptr_array_unref);
  g_clear_object (&self->offers);
  g_clear_object (&self->transfers);
  g_clear_error (&self->error);

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
      g_value_set_string (value, self->address);
      break;
    case PROP_USER_NAME:
      g_value_set_string (value, self->user_name);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_MAX_FILE_SIZE:
      g_value_set_uint64 (value, self->max_file_size);
      break;
    case PROP_SERVER_BUSY:
      g_value_set_boolean (value, self->n_busy_waits > 0);
      break;
    case PROP_RECONNECT:
      g_value_set_boolean (value, self->reconnect);
      break;
    case PROP_PROBLEM:
      g_value_set_enum (value, self->problem);
      break;
    case PROP_NEXT_RETRY:
      g_value_set_int64 (value, self->next_retry);
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

static void
ferry_client_constructed (GObject *object)
{
  FerryClient *self = FERRY_CLIENT (object);

  G_OBJECT_CLASS (ferry_client_parent_class)->constructed (object);

  if (!self->address)
    self->address = g_strdup ("localhost");
  if (!self->user_name || !*self->user_name)
    {
      g_free (self->user_name);
      self->user_name = g_strdup (g_get_real_name ());
      if (!*self->user_name || g_str_equal (self->user_name, "Unknown"))
        {
          g_free (self->user_name);
          self->user_name = g_strdup (g_get_user_name ());
        }
    }
  self->address_valid = ferry_parse_address (self->address, &self->host, &self->port, NULL);
  if (self->address_valid)
    self->pin_key = ferry_known_servers_key (self->host, self->port);
}

static void
ferry_client_class_init (FerryClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  /* A no-op when main() already did it, as it should; this covers programs that forget, as
   * long as they make no TLS connection before their first FerryClient. */
  ferry_tls_policy_init ();

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
  self->offers = g_list_store_new (FERRY_TYPE_OFFER);
  self->transfers = g_list_store_new (FERRY_TYPE_TRANSFER);
  self->offers_by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->active_transfers = g_hash_table_new (NULL, NULL);
  g_queue_init (&self->queued_transfers);
  self->busy_timeout = BUSY_RETRY_BUDGET_SECONDS;
  self->tls = TRUE;
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
  return self->address;
}

const char *
ferry_client_get_user_name (FerryClient *self)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), NULL);
  return self->user_name;
}

void
ferry_client_set_identity_path (FerryClient *self,
                                const char  *path)
{
  g_return_if_fail (FERRY_IS_CLIENT (self));

  g_free (self->identity_path);
  self->identity_path = g_strdup (path);
  g_clear_object (&self->trust);
}

void
ferry_client_set_tls (FerryClient *self,
                      gboolean     tls)
{
  g_return_if_fail (FERRY_IS_CLIENT (self));
  self->tls = !!tls;
}

gboolean
ferry_client_get_tls (FerryClient *self)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), TRUE);
  return self->tls;
}

void
ferry_client_set_known_servers_path (FerryClient *self,
                                     const char  *path)
{
  g_return_if_fail (FERRY_IS_CLIENT (self));

  g_free (self->known_servers_path);
  self->known_servers_path = g_strdup (path);
  g_clear_object (&self->trust);
}

void
ferry_client_set_password (FerryClient *self,
                           const char  *password)
{
  g_return_if_fail (FERRY_IS_CLIENT (self));

  if (self->password)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);
  self->password = password && *password ? g_strdup (password) : NULL;

  if (self->password &&
      (self->problem == FERRY_CLIENT_PROBLEM_PASSWORD_NEEDED ||
       self->problem == FERRY_CLIENT_PROBLEM_PASSWORD_WRONG))
    resume_after_answer (self);
}

const char *
ferry_client_get_server_fingerprint (FerryClient *self)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), NULL);
  return self->server_fingerprint;
}

FerryTrustStore *
ferry_client_get_trust (FerryClient *self)
{
  if (!self->trust)
    self->trust = ferry_trust_store_get (self->identity_path, self->known_servers_path);
  return self->trust;
}

gboolean
ferry_client_trust_fingerprint (FerryClient  *self,
                                const char   *fingerprint,
                                GError      **error)
{
  g_autofree char *canonical = NULL;

  g_return_val_if_fail (FERRY_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (fingerprint != NULL, FALSE);

  if (!self->pin_key)
    return ferry_parse_address (self->address, NULL, NULL, error);
  if (!(canonical = ferry_fingerprint_parse (fingerprint, error)))
    return FALSE;
  ferry_trust_store_pin (ferry_client_get_trust (self), self->pin_key, canonical);
  if (self->problem == FERRY_CLIENT_PROBLEM_UNTRUSTED)
    resume_after_answer (self);
  return TRUE;
}

gboolean
ferry_client_forget_server (FerryClient  *self,
                            GError      **error)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), FALSE);

  if (!self->pin_key)
    return ferry_parse_address (self->address, NULL, NULL, error);
  ferry_trust_store_forget (ferry_client_get_trust (self), self->pin_key);
  if (self->problem == FERRY_CLIENT_PROBLEM_KEY_CHANGED)
    resume_after_answer (self);
  return TRUE;
}

FerryClientState
ferry_client_get_state (FerryClient *self)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), FERRY_CLIENT_DISCONNECTED);
  return self->state;
}

const GError *
ferry_client_get_error (FerryClient *self)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), NULL);
  return self->error;
}

FerryClientProblem
ferry_client_get_problem (FerryClient *self)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), FERRY_CLIENT_PROBLEM_NONE);
  return self->problem;
}

gint64
ferry_client_get_next_retry (FerryClient *self)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), 0);
  return self->next_retry;
}

FerryClientProblem
ferry_client_problem_from_error (FerryClient  *self,
                                 const GError *error)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), FERRY_CLIENT_PROBLEM_NONE);

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
      return self->sent_password ? FERRY_CLIENT_PROBLEM_PASSWORD_WRONG
                                 : FERRY_CLIENT_PROBLEM_PASSWORD_NEEDED;
    case FERRY_ERROR_VERSION:
      return FERRY_CLIENT_PROBLEM_VERSION;
    case FERRY_ERROR_BUSY:
      return FERRY_CLIENT_PROBLEM_BUSY;
    default:
      return FERRY_CLIENT_PROBLEM_OFFLINE;
    }
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

void
ferry_client_set_problem (FerryClient        *self,
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

void
ferry_client_notify_problem (FerryClient *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROBLEM]);
}

guint64
ferry_client_get_max_file_size (FerryClient *self)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), 0);
  return self->max_file_size;
}

void
ferry_client_set_busy_timeout (FerryClient *self,
                               guint        seconds)
{
  g_return_if_fail (FERRY_IS_CLIENT (self));
  self->busy_timeout = seconds;
}

gboolean
ferry_client_get_server_busy (FerryClient *self)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), FALSE);
  return self->n_busy_waits > 0;
}

gboolean
ferry_client_get_reconnect (FerryClient *self)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), FALSE);
  return self->reconnect;
}

void
ferry_client_set_reconnect (FerryClient *self,
                            gboolean     reconnect)
{
  g_return_if_fail (FERRY_IS_CLIENT (self));

  reconnect = !!reconnect;
  self->resume_on_answer = FALSE;
  if (self->reconnect == reconnect)
    return;
  self->reconnect = reconnect;
  if (!reconnect)
    {
      g_clear_handle_id (&self->reconnect_source, g_source_remove);
      if (self->next_retry)
        ferry_client_set_problem (self, self->problem, 0);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECONNECT]);
}

/* A person answered what stopped the engine: reconnect is on again, and it tries at once. */
static void
resume_after_answer (FerryClient *self)
{
  if (!self->resume_on_answer)
    return;
  ferry_client_set_reconnect (self, TRUE);
  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  if (self->state == FERRY_CLIENT_DISCONNECTED)
    ferry_subscription_start (self);
}

GListModel *
ferry_client_get_offers (FerryClient *self)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), NULL);
  return G_LIST_MODEL (self->offers);
}

FerryOffer *
ferry_client_lookup_offer (FerryClient *self,
                           const char  *id)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), NULL);
  return id ? g_hash_table_lookup (self->offers_by_id, id) : NULL;
}

GListModel *
ferry_client_get_transfers (FerryClient *self)
{
  g_return_val_if_fail (FERRY_IS_CLIENT (self), NULL);
  return G_LIST_MODEL (self->transfers);
}

void
ferry_client_set_state (FerryClient      *self,
                        FerryClientState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

void
ferry_client_set_max_file_size (FerryClient *self,
                                guint64      max_file_size)
{
  if (self->max_file_size == max_file_size)
    return;
  self->max_file_size = max_file_size;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_FILE_SIZE]);
}

void
ferry_client_count_busy_wait (FerryClient *self,
                              gboolean     waiting)
{
  if (waiting)
    self->n_busy_waits++;
  else
    self->n_busy_waits--;
  if (self->n_busy_waits == (waiting ? 1 : 0))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVER_BUSY]);
}

void
ferry_client_emit_offer_added (FerryClient *self,
                               FerryOffer  *offer)
{
  g_signal_emit (self, signals[OFFER_ADDED], 0, offer);
}

void
ferry_client_emit_offer_removed (FerryClient *self,
                                 FerryOffer  *offer)
{
  g_signal_emit (self, signals[OFFER_REMOVED], 0, offer);
}

void
ferry_client_emit_disconnected (FerryClient  *self,
                                const GError *error)
{
  g_signal_emit (self, signals[DISCONNECTED], 0, error);
}
