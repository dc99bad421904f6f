/* ferry-fingerprint.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-fingerprint"

#include "config.h"

#include <glib/gi18n.h>

#include "ferry-fingerprint.h"
#include "ferry-checksum.h"

char *
ferry_fingerprint_from_der (const guint8 *der,
                            gsize         len)
{
  g_autoptr(FerryChecksum) sum = ferry_checksum_new ();
  guint8 digest[32];

  ferry_checksum_update (sum, der, len);
  ferry_checksum_finish (sum, digest);
  return ferry_sha256_to_hex (digest);
}

char *
ferry_fingerprint_from_certificate (GTlsCertificate *certificate)
{
  g_autoptr(GByteArray) der = NULL;

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);

  g_object_get (certificate, "certificate", &der, NULL);
  if (!der)
    return NULL;
  return ferry_fingerprint_from_der (der->data, der->len);
}

char *
ferry_fingerprint_format (const char *fingerprint)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (fingerprint != NULL, NULL);

  for (gsize i = 0; fingerprint[i]; i++)
    {
      if (i > 0 && i % 4 == 0)
        g_string_append_c (out, ' ');
      g_string_append_c (out, g_ascii_toupper (fingerprint[i]));
    }
  return g_string_free (out, FALSE);
}

char *
ferry_fingerprint_parse (const char  *text,
                         GError     **error)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (text != NULL, NULL);

  for (const char *p = text; *p; p++)
    {
      if (*p == ' ' || *p == ':' || *p == '\t')
        continue;
      if (!g_ascii_isxdigit (*p) || out->len >= 64)
        {
          g_string_free (out, TRUE);
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("“%s” is not a server fingerprint; it should be 64 hexadecimal digits, "
                         "as the server prints them."), text);
          return NULL;
        }
      g_string_append_c (out, g_ascii_tolower (*p));
    }

  if (out->len != 64)
    {
      g_string_free (out, TRUE);
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("“%s” is not a server fingerprint; it should be 64 hexadecimal digits, "
                     "as the server prints them."), text);
      return NULL;
    }
  return g_string_free (out, FALSE);
}
