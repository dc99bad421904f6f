/* ferry-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-client"

#include "config.h"

#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <glib/gi18n.h>

#include "ferry-client-private.h"
#include "ferry-transfer-private.h"
#include "ferry-error.h"
#include "ferry-fingerprint.h"
#include "ferry-known-servers.h"
#include "ferry-message.h"
#include "ferry-tap-stream.h"
#include "ferry-tls-policy.h"
#include "ferry-trust-store.h"

#define HANDSHAKE_TIMEOUT_SECONDS 15
#define PING_INTERVAL_SECONDS     30
#define RECONNECT_MIN_SECONDS     1
#define RECONNECT_MAX_SECONDS     30
#define BUSY_RETRY_BUDGET_SECONDS 60

struct _FerryClient
{
  GObject parent_instance;

  /* owned references */
  char             *address;
  char             *host;
  char             *user_name;
  char             *identity_path;
  char             *known_servers_path;
  char             *password;
  char             *server_fingerprint;
  char             *pin_key;          /* host:port in known-servers */
  GError           *error;
  GListStore       *offers;
  GHashTable       *offers_by_id;     /* id -> FerryOffer, borrowed from offers */
  GListStore       *transfers;
  FerryConnection  *control;
  GCancellable     *control_cancellable;
  GPtrArray        *snapshot;         /* FerryOffer, while subscribing */
  GTask            *connect_task;
  FerryTrustStore  *trust;            /* identity and pins, cached; NULL until needed */
  GQueue            queued_transfers;  /* FerryTransfer, owned, waiting for a slot */
  GHashTable       *active_transfers;  /* FerryTransfer, borrowed, running */

  guint64           max_file_size;
  gint64            next_retry;        /* monotonic, 0 for none planned */
  FerryClientState  state;
  FerryClientProblem problem;
  guint16           port;
  guint             ping_source;
  guint             reconnect_source;
  guint             reconnect_delay;
  guint             n_busy_waits;     /* opens waiting for a busy server */
  guint             busy_timeout;     /* seconds to keep asking a busy server */
  guint             reconnect : 1;
  guint             resume_on_answer : 1;  /* reconnect stopped for a person's answer */
  guint             sent_password : 1;     /* the last HELLO carried a password */
  guint             address_valid : 1;
  guint             tls : 1;
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

static void start_control_session (FerryClient *self);
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
  self->reconnect_delay = RECONNECT_MIN_SECONDS;
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

static FerryTrustStore *
get_trust (FerryClient *self)
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
  ferry_trust_store_pin (get_trust (self), self->pin_key, canonical);
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
  ferry_trust_store_forget (get_trust (self), self->pin_key);
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

static void
set_problem (FerryClient        *self,
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
        set_problem (self, self->problem, 0);
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
    start_control_session (self);
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

static void
set_state (FerryClient      *self,
           FerryClientState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

GVariant *
ferry_expect_message (FerryFrame        *frame,
                      FerryMessageType   expected,
                      GError           **error)
{
  g_autoptr(GVariant) v = NULL;

  if (frame->type == FERRY_MSG_DATA && expected != FERRY_MSG_DATA)
    {
      g_set_error (error, FERRY_ERROR, FERRY_ERROR_UNEXPECTED,
                   _("The server sent file data where it should have sent %s."),
                   ferry_message_type_to_string (expected));
      return NULL;
    }
  if (frame->type != FERRY_MSG_DATA && !(v = ferry_message_parse (frame, error)))
    return NULL;

  if (frame->type == FERRY_MSG_ERROR)
    {
      g_propagate_error (error, ferry_message_to_gerror (v));
      return NULL;
    }
  if (frame->type != expected)
    {
      g_set_error (error, FERRY_ERROR, FERRY_ERROR_UNEXPECTED,
                   _("The server sent %s where it should have sent %s."),
                   ferry_message_type_to_string (frame->type),
                   ferry_message_type_to_string (expected));
      return NULL;
    }
  return g_steal_pointer (&v);
}

GVariant *
ferry_read_expected_finish (FerryConnection   *connection,
                            GAsyncResult      *result,
                            FerryMessageType   expected,
                            GError           **error)
{
  g_auto(FerryFrame) frame = { 0 };

  if (!ferry_connection_read_finish (connection, result, &frame, error))
    return NULL;
  return ferry_expect_message (&frame, expected, error);
}

/* ---- opening a connection ---------------------------------------------------------------- */

/* A busy server (ERROR(BUSY) in reply to HELLO), or one that closes a connection it accepted
 * before saying a word, is asked again: backoff with jitter, for at most busy_timeout seconds
 * in all. */
#define BUSY_RETRY_FIRST_MS       250
#define BUSY_RETRY_MAX_MS         4000

/* The first bytes the server sent, to tell a TLS server from a plaintext one. */
typedef struct
{
  guint8 bytes[8];
  gsize  length;
} FirstBytes;

/* FerryTapFunc */
static gboolean
remember_first (const guint8  *data,
                gsize          length,
                gpointer       user_data,
                GError       **error)
{
  FirstBytes *first = user_data;
  gsize take = MIN (length, sizeof first->bytes - first->length);

  memcpy (first->bytes + first->length, data, take);
  first->length += take;
  return TRUE;
}

typedef struct
{
  FerryConnection      *connection;
  GIOStream            *tls;
  FirstBytes           *first;          /* what the server sent first; owned by tls */
  GCancellable         *cancellable;    /* ours: the caller's, or the handshake timeout */
  GError               *pin_error;      /* why accept-certificate said no */
  GSource              *retry_timeout;
  GSource              *retry_cancel;
  FerryTrustStore      *trust;          /* loaded: the identity and pins for this open */
  GCancellable         *caller_cancellable;
  gulong                caller_handler;  /* on caller_cancellable, until the open ends */
  FerryOpenWaitingFunc  waiting_func;
  gpointer              waiting_data;
  gint64                retry_deadline; /* monotonic */
  guint                 timeout_source;
  guint                 attempt;
  gboolean              timed_out;
  gboolean              waiting;
} OpenData;

static void
open_clear_attempt (OpenData *data)
{
  g_clear_handle_id (&data->timeout_source, g_source_remove);
  if (data->connection)
    ferry_connection_abort (data->connection);
  else if (data->tls)
    g_io_stream_close_async (data->tls, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  g_clear_object (&data->connection);
  g_clear_object (&data->tls);
  data->first = NULL;
  g_clear_error (&data->pin_error);
}

static void
open_clear_retry (OpenData *data)
{
  if (data->retry_timeout)
    g_source_destroy (data->retry_timeout);
  g_clear_pointer (&data->retry_timeout, g_source_unref);
  if (data->retry_cancel)
    g_source_destroy (data->retry_cancel);
  g_clear_pointer (&data->retry_cancel, g_source_unref);
}

static void
open_data_free (OpenData *data)
{
  open_clear_retry (data);
  open_clear_attempt (data);
  if (data->caller_handler)
    g_cancellable_disconnect (data->caller_cancellable, data->caller_handler);
  g_clear_object (&data->caller_cancellable);
  g_clear_object (&data->trust);
  g_clear_object (&data->cancellable);
  g_free (data);
}

static void
open_set_waiting (GTask    *task,
                  gboolean  waiting)
{
  FerryClient *self = g_task_get_source_object (task);
  OpenData *data = g_task_get_task_data (task);

  if (data->waiting == waiting)
    return;
  data->waiting = waiting;
  if (data->waiting_func)
    data->waiting_func (data->waiting_data, waiting);

  if (waiting)
    self->n_busy_waits++;
  else
    self->n_busy_waits--;
  if (self->n_busy_waits == (waiting ? 1 : 0))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVER_BUSY]);
}

static void
open_return_error (GTask  *task,
                   GError *error)
{
  OpenData *data = g_task_get_task_data (task);
  FerryClient *self = g_task_get_source_object (task);

  if (data->timed_out)
    {
      g_clear_error (&error);
      error = g_error_new (FERRY_ERROR, FERRY_ERROR_TIMEOUT,
                           _("The server at %s did not answer within %d seconds."),
                           self->address, HANDSHAKE_TIMEOUT_SECONDS);
    }
  open_clear_attempt (data);
  open_set_waiting (task, FALSE);
  g_task_return_error (task, error);
}

static void open_start_attempt (GTask *task);

static gboolean
open_retry_cb (gpointer user_data)
{
  GTask *task = user_data;
  OpenData *data = g_task_get_task_data (task);

  g_object_ref (task);
  open_clear_retry (data);
  if (g_cancellable_is_cancelled (data->cancellable))
    open_return_error (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                  _("The connection was cancelled.")));
  else
    open_start_attempt (task);
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

static gboolean
open_retry_cancelled_cb (GCancellable *cancellable,
                         gpointer      user_data)
{
  return open_retry_cb (user_data);
}

/* The server is busy, or closed the connection without a word: either try again after a
 * backoff with jitter (and take @error), or return FALSE when the budget is spent. */
static gboolean
open_retry (GTask  *task,
            GError *error)
{
  FerryClient *self = g_task_get_source_object (task);
  OpenData *data = g_task_get_task_data (task);
  guint delay_ms;

  if (data->timed_out || g_cancellable_is_cancelled (data->cancellable))
    return FALSE;

  delay_ms = MIN ((guint) BUSY_RETRY_FIRST_MS << MIN (data->attempt, 5u), BUSY_RETRY_MAX_MS);
  delay_ms = (guint) g_random_int_range ((gint32) (delay_ms / 2), (gint32) (delay_ms * 3 / 2));
  if (g_get_monotonic_time () + (gint64) delay_ms * 1000 > data->retry_deadline)
    return FALSE;

  g_debug ("%s: %s; trying again in %u ms", self->address, error->message, delay_ms);
  g_error_free (error);
  open_clear_attempt (data);
  data->attempt++;
  open_set_waiting (task, TRUE);

  /* The task keeps itself alive while it waits: each source holds a reference. */
  data->retry_timeout = g_timeout_source_new (delay_ms);
  g_source_set_callback (data->retry_timeout, open_retry_cb, g_object_ref (task), g_object_unref);
  g_source_attach (data->retry_timeout, g_task_get_context (task));
  data->retry_cancel = g_cancellable_source_new (data->cancellable);
  g_source_set_callback (data->retry_cancel, G_SOURCE_FUNC (open_retry_cancelled_cb),
                         g_object_ref (task), g_object_unref);
  g_source_attach (data->retry_cancel, g_task_get_context (task));
  return TRUE;
}

static void
open_welcome_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FerryClient *self = g_task_get_source_object (task);
  OpenData *data = g_task_get_task_data (task);
  g_auto(FerryFrame) frame = { 0 };
  g_autoptr(GVariant) v = NULL;
  GError *error = NULL;
  guint32 version;
  guint64 max_file_size;

  if (FERRY_CONNECTION (object) != data->connection)
    return;   /* a stale attempt */

  if (!ferry_connection_read_finish (FERRY_CONNECTION (object), result, &frame, &error) ||
      !(v = ferry_expect_message (&frame, FERRY_MSG_WELCOME, &error)))
    {
      /* BUSY, or a close before any reply: a full server, to be asked again. */
      if ((g_error_matches (error, FERRY_ERROR, FERRY_ERROR_BUSY) ||
           (g_error_matches (error, FERRY_ERROR, FERRY_ERROR_CLOSED) && frame.type == 0)) &&
          open_retry (task, error))
        return;
      if (g_error_matches (error, FERRY_ERROR, FERRY_ERROR_MALFORMED) &&
          frame.type == 0)
        {
          g_autofree char *reason = ferry_error_reason (error->message);

          g_clear_error (&error);
          /* One sentence, not a prefix glued to another: translators see all of it. */
          error = g_error_new (FERRY_ERROR, FERRY_ERROR_MALFORMED,
                               /* Translators: %s is a server address, then why */
                               _("%s does not look like a Ferry server: %s."),
                               self->address, reason);
        }
      open_return_error (task, error);
      return;
    }

  g_variant_get (v, "(u&st@a{sv})", &version, NULL, &max_file_size, NULL);
  if (version != FERRY_PROTOCOL_VERSION)
    {
      open_return_error (task, g_error_new (FERRY_ERROR, FERRY_ERROR_VERSION,
                                            _("The server speaks Ferry protocol version %u, "
                                              "but this program speaks version %u."),
                                            version, FERRY_PROTOCOL_VERSION));
      return;
    }

  g_clear_handle_id (&data->timeout_source, g_source_remove);
  if (self->max_file_size != max_file_size)
    {
      self->max_file_size = max_file_size;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_FILE_SIZE]);
    }
  open_set_waiting (task, FALSE);
  /* The connection owns the TLS stream now: it is not ours to close. */
  g_clear_object (&data->tls);
  data->first = NULL;
  g_task_return_pointer (task, g_steal_pointer (&data->connection), g_object_unref);
}

static gboolean
open_timeout_cb (gpointer user_data)
{
  OpenData *data = user_data;

  data->timeout_source = 0;
  data->timed_out = TRUE;
  if (data->connection)
    ferry_connection_abort (data->connection);
  g_cancellable_cancel (data->cancellable);
  return G_SOURCE_REMOVE;
}

static void
open_send_hello (GTask     *task,
                 GIOStream *stream)
{
  FerryClient *self = g_task_get_source_object (task);
  OpenData *data = g_task_get_task_data (task);
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  if (self->password)
    g_variant_builder_add (&options, "{sv}", "password", g_variant_new_string (self->password));
  self->sent_password = self->password != NULL;

  data->connection = ferry_connection_new (stream);
  ferry_connection_send_message (data->connection, FERRY_MSG_HELLO, 0,
                                 g_variant_new ("(uss@ay@a{sv})",
                                                FERRY_PROTOCOL_VERSION,
                                                "ferry " PACKAGE_VERSION,
                                                self->user_name,
                                                g_variant_new_fixed_array (
                                                  G_VARIANT_TYPE_BYTE,
                                                  ferry_trust_store_get_secret (
                                                    data->trust),
                                                  FERRY_SECRET_SIZE, 1),
                                                g_variant_builder_end (&options)));
  ferry_connection_read_async (data->connection, data->cancellable,
                               open_welcome_cb, g_object_ref (task));
}
/* Checks the presented certificate against known-servers. Sets @error to UNTRUSTED or
 * FINGERPRINT_CHANGED when it must be refused. */
static gboolean
check_pin (FerryClient      *self,
           FerryTrustStore  *trust,
           GTlsCertificate  *certificate,
           GError          **error)
{
  g_autofree char *fingerprint = NULL;
  g_autofree char *pinned = NULL;
  g_autofree char *shown = NULL;
  g_autoptr(GError) read_error = NULL;

  fingerprint = certificate ? ferry_fingerprint_from_certificate (certificate) : NULL;
  if (!fingerprint)
    {
      g_set_error (error, FERRY_ERROR, FERRY_ERROR_TLS,
                   _("The server at %s presented no usable certificate."), self->address);
      return FALSE;
    }
  g_free (self->server_fingerprint);
  self->server_fingerprint = g_strdup (fingerprint);
  shown = ferry_fingerprint_format (fingerprint);

  pinned = ferry_trust_store_lookup (trust, self->pin_key, &read_error);
  if (read_error)
    {
      g_set_error (error, FERRY_ERROR, FERRY_ERROR_TLS,
                   _("Could not read the list of trusted servers: %s"), read_error->message);
      return FALSE;
    }

  if (!pinned)
    {
      g_set_error (error, FERRY_ERROR, FERRY_ERROR_UNTRUSTED,
                   _("%s is a server you have not used before. Its fingerprint is %s. "
                     "Trust it only if this matches what the server printed when it started."),
                   self->address, shown);
      return FALSE;
    }

  if (g_ascii_strcasecmp (pinned, fingerprint) != 0)
    {
      g_autofree char *was = ferry_fingerprint_format (pinned);

      g_set_error (error, FERRY_ERROR, FERRY_ERROR_FINGERPRINT_CHANGED,
                   _("WARNING: the identity of %s has changed, so Ferry refused to connect. "
                     "Either the server's key was regenerated, or someone is intercepting the "
                     "connection. It used to be %s and is now %s. Ask the server's operator "
                     "before trusting it again; to reset trust deliberately, run "
                     "“ferry-cli --server %s forget” or use Forget Server in the app."),
                   self->address, was, shown, self->address);
      return FALSE;
    }
  return TRUE;
}

static gboolean
accept_certificate_cb (GTlsConnection       *connection,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  GTask *task = user_data;
  FerryClient *self = g_task_get_source_object (task);
  OpenData *data = g_task_get_task_data (task);

  /* Ferry servers use self-signed certificates: the pin is the trust anchor, not a CA. */
  g_clear_error (&data->pin_error);
  return check_pin (self, data->trust, certificate, &data->pin_error);
}

/* TRUE when the server's first bytes were not a TLS record (content types 20 to 24): it
 * answered in plain text, as a server started with --no-tls does. */
static gboolean
peer_spoke_plaintext (OpenData *data)
{
  if (!data->first || data->first->length == 0)
    return FALSE;
  return data->first->bytes[0] < 20 || data->first->bytes[0] > 24;
}

static gboolean
peer_said_nothing (OpenData *data)
{
  return data->first && data->first->length == 0;
}

static void
open_handshake_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FerryClient *self = g_task_get_source_object (task);
  OpenData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GError *pin_error = NULL;

  g_signal_handlers_disconnect_by_func (object, accept_certificate_cb, task);
  if (G_IO_STREAM (object) != data->tls)
    return;   /* a stale attempt */

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (object), result, &error))
    {
      g_autofree char *reason = NULL;

      if (data->pin_error)
        {
          open_return_error (task, g_steal_pointer (&data->pin_error));
          return;
        }
      if (data->timed_out || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          open_return_error (task, g_steal_pointer (&error));
          return;
        }

      reason = ferry_error_reason (error->message);
      if (peer_spoke_plaintext (data))
        {
          open_return_error (task, g_error_new (FERRY_ERROR, FERRY_ERROR_TLS,
                                                _("Could not set up an encrypted connection with "
                                                  "%s: %s. The server answered without "
                                                  "encryption: if it was started with --no-tls, "
                                                  "connect with --no-tls too."),
                                                self->address, reason));
          return;
        }

      /* Closed without a word: a server too full to take us now. */
      if (peer_said_nothing (data) &&
          open_retry (task, g_error_new (FERRY_ERROR, FERRY_ERROR_CLOSED,
                                         _("The server at %s closed the connection during the "
                                           "encryption handshake."), self->address)))
        return;

      open_return_error (task, g_error_new (FERRY_ERROR, FERRY_ERROR_TLS,
                                            _("Could not set up an encrypted connection with "
                                              "%s: %s."),
                                            self->address, reason));
      return;
    }

  /* A certificate that validated on its own never reached accept-certificate: pin it too. */
  if (!check_pin (self, data->trust,
                  g_tls_connection_get_peer_certificate (G_TLS_CONNECTION (object)),
                  &pin_error))
    {
      open_return_error (task, pin_error);
      return;
    }

  open_send_hello (task, data->tls);
}

static void
open_connected_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FerryClient *self = g_task_get_source_object (task);
  OpenData *data = g_task_get_task_data (task);
  g_autoptr(GSocketConnection) stream = NULL;
  g_autoptr(GIOStream) tapped = NULL;
  g_autoptr(GError) error = NULL;
  GSocket *socket;

  stream = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (object), result, &error);
  if (!stream)
    {
      if (data->timed_out || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        open_return_error (task, g_steal_pointer (&error));
      else
        open_return_error (task, g_error_new (FERRY_ERROR, FERRY_ERROR_CONNECT,
                                              _("Could not connect to %s: %s"),
                                              self->address, error->message));
      return;
    }

  socket = g_socket_connection_get_socket (stream);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);

  if (!self->tls)
    {
      open_send_hello (task, G_IO_STREAM (stream));
      return;
    }

  {
    g_autoptr(GSocketConnectable) identity = g_network_address_new (self->host, self->port);

    data->first = g_new0 (FirstBytes, 1);
    tapped = ferry_tap_stream_new (stream, remember_first, data->first, g_free);
    data->tls = g_tls_client_connection_new (tapped, identity, &error);
  }
  if (!data->tls)
    {
      data->first = NULL;
      open_return_error (task, g_error_new (FERRY_ERROR, FERRY_ERROR_TLS,
                                            _("TLS is not available (is glib-networking "
                                              "installed?): %s"), error->message));
      return;
    }
  /* Frames carry their own lengths; a peer that just closes is a closed connection. */
  g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (data->tls), FALSE);
  g_signal_connect (data->tls, "accept-certificate", G_CALLBACK (accept_certificate_cb), task);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (data->tls), G_PRIORITY_DEFAULT,
                                    data->cancellable, open_handshake_cb, g_object_ref (task));
}

static void
open_cancelled_cb (GCancellable *cancellable,
                   gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

static void
open_start_attempt (GTask *task)
{
  FerryClient *self = g_task_get_source_object (task);
  OpenData *data = g_task_get_task_data (task);
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();

  data->timeout_source = g_timeout_add_seconds (HANDSHAKE_TIMEOUT_SECONDS, open_timeout_cb, data);
  g_socket_client_connect_to_host_async (socket_client, self->host, self->port,
                                         data->cancellable, open_connected_cb,
                                         g_object_ref (task));
}

static void
open_loaded_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  OpenData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!ferry_trust_store_load_finish (FERRY_TRUST_STORE (object), result, &error))
    {
      open_return_error (task, error);
      return;
    }
  data->trust = g_object_ref (FERRY_TRUST_STORE (object));
  open_start_attempt (task);
}

void
ferry_client_open_full_async (FerryClient          *self,
                              FerryOpenWaitingFunc  waiting_func,
                              gpointer              waiting_data,
                              GCancellable         *cancellable,
                              GAsyncReadyCallback   callback,
                              gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  OpenData *data;

  g_return_if_fail (FERRY_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_client_open_async);
  data = g_new0 (OpenData, 1);
  data->cancellable = g_cancellable_new ();
  data->waiting_func = waiting_func;
  data->waiting_data = waiting_data;
  data->retry_deadline = g_get_monotonic_time () + (gint64) self->busy_timeout * G_USEC_PER_SEC;
  g_task_set_task_data (task, data, (GDestroyNotify) open_data_free);

  if (!self->address_valid)
    {
      ferry_parse_address (self->address, NULL, NULL, &error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (cancellable)
    {
      /* Disconnected when the open ends (open_data_free): a long-lived cancellable, such as
       * the window's, would otherwise gather one handler per connection. */
      data->caller_cancellable = g_object_ref (cancellable);
      data->caller_handler = g_cancellable_connect (cancellable, G_CALLBACK (open_cancelled_cb),
                                                    g_object_ref (data->cancellable),
                                                    g_object_unref);
    }

  /* The identity and the pins come from memory; the first time, from a thread. */
  ferry_trust_store_load_async (get_trust (self), data->cancellable, open_loaded_cb,
                                g_steal_pointer (&task));
}

void
ferry_client_open_async (FerryClient         *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  ferry_client_open_full_async (self, NULL, NULL, cancellable, callback, user_data);
}

FerryConnection *
ferry_client_open_finish (FerryClient   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- the control session ----------------------------------------------------------------- */

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
    ferry_connection_send_message (self->control, FERRY_MSG_PING, 0,
                                   g_variant_new ("(t)",
                                                  (guint64) g_get_monotonic_time ()));
  return G_SOURCE_CONTINUE;
}

static gboolean
reconnect_cb (gpointer user_data)
{
  FerryClient *self = user_data;

  self->reconnect_source = 0;
  if (self->state == FERRY_CLIENT_DISCONNECTED)
    start_control_session (self);
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

  problem = ferry_client_problem_from_error (self, error);
  if (ferry_client_problem_needs_person (problem))
    {
      /* Retrying cannot help when a person must decide: the engine stops here, and the answer
       * (trust, forget, a password) starts it again. */
      gboolean was_on = self->reconnect;

      ferry_client_set_reconnect (self, FALSE);
      self->resume_on_answer = was_on;
      set_problem (self, problem, 0);
    }
  else if (problem != FERRY_CLIENT_PROBLEM_NONE && self->reconnect)
    {
      if (!self->reconnect_source)
        {
          g_debug ("Reconnecting to %s in %u s", self->address, self->reconnect_delay);
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
        self->reconnect_delay = RECONNECT_MIN_SECONDS;
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
        const char *id;
        g_autoptr(FerryOffer) offer = NULL;
        guint position;

        g_variant_get (v, "(&s)", &id);
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
      {
        guint64 token;

        g_variant_get (v, "(t)", &token);
        ferry_connection_send_message (self->control, FERRY_MSG_PONG, 0,
                                       g_variant_new ("(t)", token));
      }
      break;

    case FERRY_MSG_PONG:
      break;

    case FERRY_MSG_ERROR:
      control_ended (self, ferry_message_to_gerror (v));
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
  ferry_connection_send_message (self->control, FERRY_MSG_SUBSCRIBE, 0, g_variant_new ("()"));
  control_read_next (self);
}

/* FerryOpenWaitingFunc: the control session's open waits for a busy server. */
static void
control_waiting_cb (gpointer data,
                    gboolean waiting)
{
  FerryClient *self = data;

  if (waiting)
    set_problem (self, FERRY_CLIENT_PROBLEM_BUSY, 0);
}

static void
start_control_session (FerryClient *self)
{
  g_clear_object (&self->control_cancellable);
  self->control_cancellable = g_cancellable_new ();
  /* Trying now: whatever was wrong stays shown until this try tells otherwise. */
  set_problem (self, self->problem, 0);
  set_state (self, FERRY_CLIENT_CONNECTING);
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
    start_control_session (self);
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
  set_problem (self, FERRY_CLIENT_PROBLEM_NONE, 0);
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
  ferry_connection_send_message (connection, FERRY_MSG_DELETE, 0,
                                 g_variant_new ("(s)",
                                                g_task_get_task_data (task)));
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

/* ---- transfers --------------------------------------------------------------------------- */

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
