/* ferry-socket.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Frames are written whole, so Nagle's algorithm can only delay them: a TLS handshake flight
 * written in small pieces would wait for the peer's delayed ACK, about 40 ms per connection.
 *
 * Ferry pins servers by fingerprint (ferry-trust-store.c, the dialer's accept-certificate
 * handler) and never asks clients for certificates, so no connection needs the system's CA
 * list. glib-networking 2.74 (tls/gnutls/gtlsconnection-gnutls.c, initable_init) builds fresh
 * GnuTLS credentials for every connection from its database, and the default database
 * (gtlsdatabase-gnutls.c, create_trust_list) parses the whole system bundle into them each
 * time. Setting the database to NULL after g_tls_*_connection_new() is too late: the bundle
 * has been parsed by then. So the connections are built here with "database" NULL from the
 * start; with no database the peer's certificate fails with UNKNOWN_CA and goes to
 * accept-certificate, which is where the pin is checked anyway.
 */
#define G_LOG_DOMAIN "ferry-socket"

#include "config.h"

#include "ferry-socket.h"

#include "ferry-tap-stream.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <glib/gi18n.h>

/* Returns FALSE, logged at debug level only, when the socket does not take the option (it
 * is not TCP, for instance); the connection works either way. */
gboolean
ferry_socket_set_nodelay (GSocketConnection *connection)
{
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (G_IS_SOCKET_CONNECTION (connection), FALSE);

  if (!g_socket_set_option (g_socket_connection_get_socket (connection),
                            IPPROTO_TCP, TCP_NODELAY, 1, &error))
    {
      g_debug ("Could not set TCP_NODELAY: %s", error->message);
      return FALSE;
    }
  return TRUE;
}

/* The TLS backend, or NULL and @error when there is none (glib-networking is missing). */
static GTlsBackend *
get_tls_backend (GError **error)
{
  GTlsBackend *backend = g_tls_backend_get_default ();

  if (!g_tls_backend_supports_tls (backend))
    {
      g_set_error_literal (error, G_TLS_ERROR, G_TLS_ERROR_UNAVAILABLE,
                           _("This system has no TLS support."));
      return NULL;
    }
  return backend;
}

GIOStream *
ferry_socket_tls_client_new (GIOStream           *base,
                             GSocketConnectable  *identity,
                             GError             **error)
{
  GTlsBackend *backend;

  g_return_val_if_fail (G_IS_IO_STREAM (base), NULL);

  if (!(backend = get_tls_backend (error)))
    return NULL;
  return g_initable_new (g_tls_backend_get_client_connection_type (backend), NULL, error,
                         "base-io-stream", base,
                         "server-identity", identity,
                         "database", NULL,
                         NULL);
}

/* Clients are not asked for certificates. */
GIOStream *
ferry_socket_tls_server_new (GIOStream        *base,
                             GTlsCertificate  *certificate,
                             GError          **error)
{
  GTlsBackend *backend;

  g_return_val_if_fail (G_IS_IO_STREAM (base), NULL);
  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);

  if (!(backend = get_tls_backend (error)))
    return NULL;
  return g_initable_new (g_tls_backend_get_server_connection_type (backend), NULL, error,
                         "base-io-stream", base,
                         "certificate", certificate,
                         "authentication-mode", G_TLS_AUTHENTICATION_NONE,
                         "database", NULL,
                         NULL);
}

GSocketConnection *
ferry_socket_connection_of (GIOStream *stream)
{
  g_return_val_if_fail (G_IS_IO_STREAM (stream), NULL);

  if (G_IS_TLS_CONNECTION (stream))
    {
      g_autoptr(GIOStream) base = NULL;

      /* The TLS connection keeps its base for as long as it lives. */
      g_object_get (stream, "base-io-stream", &base, NULL);
      return base ? ferry_socket_connection_of (base) : NULL;
    }
  if (ferry_tap_stream_get_connection (stream))
    return ferry_tap_stream_get_connection (stream);
  if (G_IS_SOCKET_CONNECTION (stream))
    return G_SOCKET_CONNECTION (stream);
  return NULL;
}
