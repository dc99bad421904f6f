/* ferry-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-error"

#include "config.h"

#include "ferry-error.h"

#include <string.h>

#include <gio/gio.h>

G_DEFINE_QUARK (ferry-error-quark, ferry_error)

FerryError
ferry_error_from_wire (guint32 code)
{
  if (code >= FERRY_ERROR_MALFORMED && code <= FERRY_ERROR_SIZE_MISMATCH)
    return (FerryError) code;
  return FERRY_ERROR_INTERNAL;
}

guint32
ferry_error_to_wire (const GError *error)
{
  g_return_val_if_fail (error != NULL, FERRY_ERROR_INTERNAL);

  if (error->domain == FERRY_ERROR &&
      error->code >= FERRY_ERROR_MALFORMED &&
      error->code <= FERRY_ERROR_SIZE_MISMATCH)
    return (guint32) error->code;
  return FERRY_ERROR_INTERNAL;
}

char *
ferry_error_reason (const char *message)
{
  char *reason = g_strdup (message ? message : "");
  gsize len = strlen (reason);

  if (len > 0 && reason[len - 1] == '.')
    reason[len - 1] = '\0';
  return reason;
}

gboolean
ferry_error_is_connection_lost (const GError *error)
{
  if (!error)
    return FALSE;

  if (error->domain == FERRY_ERROR)
    return error->code == FERRY_ERROR_CLOSED || error->code == FERRY_ERROR_CONNECT ||
           error->code == FERRY_ERROR_TIMEOUT || error->code == FERRY_ERROR_BUSY;
  if (error->domain == G_RESOLVER_ERROR)
    return TRUE;
  if (error->domain == G_TLS_ERROR)
    return error->code == G_TLS_ERROR_EOF;
  if (error->domain != G_IO_ERROR)
    return FALSE;

  switch (error->code)
    {
    case G_IO_ERROR_CONNECTION_CLOSED:
    case G_IO_ERROR_CONNECTION_REFUSED:
    case G_IO_ERROR_HOST_NOT_FOUND:
    case G_IO_ERROR_HOST_UNREACHABLE:
    case G_IO_ERROR_NETWORK_UNREACHABLE:
    case G_IO_ERROR_NOT_CONNECTED:
    case G_IO_ERROR_TIMED_OUT:
    case G_IO_ERROR_PROXY_FAILED:
      return TRUE;
    default:
      return FALSE;
    }
}
