/* ferry-dialer.c: FerryDialer, what every connection to one server needs: its address, TLS,
 * the identity and pins, the password, and what the server told the last open. The open
 * itself is in ferry-dialer-open.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-dialer"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ferry-dialer-private.h"
#include "ferry-client.h"
#include "ferry-error.h"
#include "ferry-fingerprint.h"
#include "ferry-known-servers.h"
#include "ferry-tls-policy.h"

/* How long one open keeps asking a busy server, by default. */
#define BUSY_RETRY_BUDGET_SECONDS 60

enum {
  PROP_0,
  PROP_ADDRESS,
  PROP_USER_NAME,
  PROP_TLS,
  PROP_SERVER_FINGERPRINT,
  PROP_MAX_FILE_SIZE,
  PROP_SERVER_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (FerryDialer, ferry_dialer, G_TYPE_OBJECT)

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
ferry_dialer_dispose (GObject *object)
{
  FerryDialer *self = FERRY_DIALER (object);

  ferry_dialer_clear_idle (self);
  /* A program about to exit (ferry-cli) must not lose a pin it just made. */
  if (self->trust)
    ferry_trust_store_flush (self->trust);
  g_clear_object (&self->trust);

  G_OBJECT_CLASS (ferry_dialer_parent_class)->dispose (object);
}

static void
ferry_dialer_finalize (GObject *object)
{
  FerryDialer *self = FERRY_DIALER (object);

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

  G_OBJECT_CLASS (ferry_dialer_parent_class)->finalize (object);
}

static void
ferry_dialer_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  FerryDialer *self = FERRY_DIALER (object);

  switch (prop_id)
    {
    case PROP_ADDRESS:
      g_value_set_string (value, self->address);
      break;
    case PROP_USER_NAME:
      g_value_set_string (value, self->user_name);
      break;
    case PROP_TLS:
      g_value_set_boolean (value, self->tls);
      break;
    case PROP_SERVER_FINGERPRINT:
      g_value_set_string (value, self->server_fingerprint);
      break;
    case PROP_MAX_FILE_SIZE:
      g_value_set_uint64 (value, self->max_file_size);
      break;
    case PROP_SERVER_BUSY:
      g_value_set_boolean (value, self->n_busy_waits > 0);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_dialer_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  FerryDialer *self = FERRY_DIALER (object);

  switch (prop_id)
    {
    case PROP_ADDRESS:
      self->address = g_value_dup_string (value);
      break;
    case PROP_USER_NAME:
      self->user_name = g_value_dup_string (value);
      break;
    case PROP_TLS:
      ferry_dialer_set_tls (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_dialer_constructed (GObject *object)
{
  FerryDialer *self = FERRY_DIALER (object);

  G_OBJECT_CLASS (ferry_dialer_parent_class)->constructed (object);

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
ferry_dialer_class_init (FerryDialerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  /* A no-op when main() already did it, as it should; this covers programs that forget, as
   * long as they make no TLS connection before their first dialer. */
  ferry_tls_policy_init ();

  object_class->dispose = ferry_dialer_dispose;
  object_class->finalize = ferry_dialer_finalize;
  object_class->constructed = ferry_dialer_constructed;
  object_class->get_property = ferry_dialer_get_property;
  object_class->set_property = ferry_dialer_set_property;

  properties[PROP_ADDRESS] =
    g_param_spec_string ("address", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_USER_NAME] =
    g_param_spec_string ("user-name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TLS] =
    g_param_spec_boolean ("tls", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_SERVER_FINGERPRINT] =
    g_param_spec_string ("server-fingerprint", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_MAX_FILE_SIZE] =
    g_param_spec_uint64 ("max-file-size", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_SERVER_BUSY] =
    g_param_spec_boolean ("server-busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ferry_dialer_init (FerryDialer *self)
{
  self->busy_timeout = BUSY_RETRY_BUDGET_SECONDS;
  self->tls = TRUE;
}

FerryDialer *
ferry_dialer_new (const char *address,
                  const char *user_name)
{
  return g_object_new (FERRY_TYPE_DIALER, "address", address, "user-name", user_name, NULL);
}

const char *
ferry_dialer_get_address (FerryDialer *self)
{
  g_return_val_if_fail (FERRY_IS_DIALER (self), NULL);
  return self->address;
}

const char *
ferry_dialer_get_user_name (FerryDialer *self)
{
  g_return_val_if_fail (FERRY_IS_DIALER (self), NULL);
  return self->user_name;
}

void
ferry_dialer_set_identity_path (FerryDialer *self,
                                const char  *path)
{
  g_return_if_fail (FERRY_IS_DIALER (self));

  g_free (self->identity_path);
  self->identity_path = g_strdup (path);
  g_clear_object (&self->trust);
}

void
ferry_dialer_set_known_servers_path (FerryDialer *self,
                                     const char  *path)
{
  g_return_if_fail (FERRY_IS_DIALER (self));

  g_free (self->known_servers_path);
  self->known_servers_path = g_strdup (path);
  g_clear_object (&self->trust);
}

void
ferry_dialer_set_tls (FerryDialer *self,
                      gboolean     tls)
{
  g_return_if_fail (FERRY_IS_DIALER (self));

  tls = !!tls;
  if (self->tls == (guint) tls)
    return;
  self->tls = tls;
  ferry_dialer_clear_idle (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TLS]);
}

gboolean
ferry_dialer_get_tls (FerryDialer *self)
{
  g_return_val_if_fail (FERRY_IS_DIALER (self), TRUE);
  return self->tls;
}

void
ferry_dialer_set_password (FerryDialer *self,
                           const char  *password)
{
  g_return_if_fail (FERRY_IS_DIALER (self));

  if (self->password)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);
  self->password = password && *password ? g_strdup (password) : NULL;
  /* Kept connections were let in with the old one. */
  ferry_dialer_clear_idle (self);
}

gboolean
ferry_dialer_has_password (FerryDialer *self)
{
  g_return_val_if_fail (FERRY_IS_DIALER (self), FALSE);
  return self->password != NULL;
}

gboolean
ferry_dialer_get_sent_password (FerryDialer *self)
{
  g_return_val_if_fail (FERRY_IS_DIALER (self), FALSE);
  return self->sent_password;
}

const char *
ferry_dialer_get_server_fingerprint (FerryDialer *self)
{
  g_return_val_if_fail (FERRY_IS_DIALER (self), NULL);
  return self->server_fingerprint;
}

void
ferry_dialer_set_server_fingerprint (FerryDialer *self,
                                     const char  *fingerprint)
{
  if (g_strcmp0 (self->server_fingerprint, fingerprint) == 0)
    return;
  g_free (self->server_fingerprint);
  self->server_fingerprint = g_strdup (fingerprint);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVER_FINGERPRINT]);
}

FerryTrustStore *
ferry_dialer_get_trust (FerryDialer *self)
{
  if (!self->trust)
    self->trust = ferry_trust_store_get (self->identity_path, self->known_servers_path);
  return self->trust;
}

gboolean
ferry_dialer_trust_fingerprint (FerryDialer  *self,
                                const char   *fingerprint,
                                GError      **error)
{
  g_autofree char *canonical = NULL;

  g_return_val_if_fail (FERRY_IS_DIALER (self), FALSE);
  g_return_val_if_fail (fingerprint != NULL, FALSE);

  if (!self->pin_key)
    return ferry_parse_address (self->address, NULL, NULL, error);
  if (!(canonical = ferry_fingerprint_parse (fingerprint, error)))
    return FALSE;
  ferry_trust_store_pin (ferry_dialer_get_trust (self), self->pin_key, canonical);
  return TRUE;
}

gboolean
ferry_dialer_forget_server (FerryDialer  *self,
                            GError      **error)
{
  g_return_val_if_fail (FERRY_IS_DIALER (self), FALSE);

  if (!self->pin_key)
    return ferry_parse_address (self->address, NULL, NULL, error);
  ferry_trust_store_forget (ferry_dialer_get_trust (self), self->pin_key);
  return TRUE;
}

void
ferry_dialer_flush (FerryDialer *self)
{
  g_return_if_fail (FERRY_IS_DIALER (self));

  if (self->trust)
    ferry_trust_store_flush (self->trust);
}

guint64
ferry_dialer_get_max_file_size (FerryDialer *self)
{
  g_return_val_if_fail (FERRY_IS_DIALER (self), 0);
  return self->max_file_size;
}

guint64
ferry_dialer_get_keep_partial (FerryDialer *self)
{
  g_return_val_if_fail (FERRY_IS_DIALER (self), 0);
  return self->keep_partial;
}

gboolean
ferry_dialer_get_web (FerryDialer *self)
{
  g_return_val_if_fail (FERRY_IS_DIALER (self), FALSE);
  return self->web;
}

gboolean
ferry_dialer_get_auth (FerryDialer *self)
{
  g_return_val_if_fail (FERRY_IS_DIALER (self), FALSE);
  return self->auth;
}

char *
ferry_dialer_make_web_url (FerryDialer *self,
                           const char  *path)
{
  const char *host;

  g_return_val_if_fail (FERRY_IS_DIALER (self), NULL);
  g_return_val_if_fail (path != NULL && path[0] == '/', NULL);

  host = self->host ? self->host : self->address;
  return g_strdup_printf (strchr (host, ':') ? "%s://[%s]:%u%s" : "%s://%s:%u%s",
                          self->tls ? "https" : "http", host, self->port, path);
}

void
ferry_dialer_set_max_file_size (FerryDialer *self,
                                guint64      max_file_size)
{
  if (self->max_file_size == max_file_size)
    return;
  self->max_file_size = max_file_size;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_FILE_SIZE]);
}

gboolean
ferry_dialer_get_server_busy (FerryDialer *self)
{
  g_return_val_if_fail (FERRY_IS_DIALER (self), FALSE);
  return self->n_busy_waits > 0;
}

void
ferry_dialer_set_busy_timeout (FerryDialer *self,
                               guint        seconds)
{
  g_return_if_fail (FERRY_IS_DIALER (self));
  self->busy_timeout = seconds;
}

void
ferry_dialer_count_busy_wait (FerryDialer *self,
                              gboolean     waiting)
{
  if (waiting)
    self->n_busy_waits++;
  else
    self->n_busy_waits--;
  if (self->n_busy_waits == (waiting ? 1 : 0))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVER_BUSY]);
}
