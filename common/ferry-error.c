/* ferry-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-error"

#include "config.h"

#include <string.h>

#include "ferry-error.h"

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
