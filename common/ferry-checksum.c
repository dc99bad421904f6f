/* ferry-checksum.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-checksum"

#include "config.h"

#include <string.h>
#include <openssl/evp.h>

#include "ferry-checksum.h"

struct _FerryChecksum
{
  EVP_MD_CTX *ctx;
  gboolean    finished;
};

FerryChecksum *
ferry_checksum_new (void)
{
  FerryChecksum *self = g_new0 (FerryChecksum, 1);

  self->ctx = EVP_MD_CTX_new ();
  if (!self->ctx || EVP_DigestInit_ex (self->ctx, EVP_sha256 (), NULL) != 1)
    g_error ("OpenSSL could not initialise SHA-256");
  return self;
}

void
ferry_checksum_free (FerryChecksum *self)
{
  if (!self)
    return;
  EVP_MD_CTX_free (self->ctx);
  g_free (self);
}

void
ferry_checksum_update (FerryChecksum *self,
                       const guint8  *data,
                       gsize          len)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (!self->finished);

  if (len > 0)
    EVP_DigestUpdate (self->ctx, data, len);
}

void
ferry_checksum_finish (FerryChecksum *self,
                       guint8        *digest)
{
  unsigned int len = 32;

  g_return_if_fail (self != NULL);
  g_return_if_fail (!self->finished);

  EVP_DigestFinal_ex (self->ctx, digest, &len);
  self->finished = TRUE;
}

void
ferry_checksum_peek (FerryChecksum *self,
                     guint8        *digest)
{
  EVP_MD_CTX *copy;
  unsigned int len = 32;

  g_return_if_fail (self != NULL);
  g_return_if_fail (!self->finished);

  copy = EVP_MD_CTX_new ();
  if (!copy || EVP_MD_CTX_copy_ex (copy, self->ctx) != 1)
    g_error ("OpenSSL could not copy a SHA-256 state");
  EVP_DigestFinal_ex (copy, digest, &len);
  EVP_MD_CTX_free (copy);
}

char *
ferry_sha256_to_hex (const guint8 *digest)
{
  static const char hex[] = "0123456789abcdef";
  char *out = g_malloc (FERRY_SHA256_HEX_LEN + 1);

  for (int i = 0; i < 32; i++)
    {
      out[2 * i] = hex[digest[i] >> 4];
      out[2 * i + 1] = hex[digest[i] & 0xf];
    }
  out[FERRY_SHA256_HEX_LEN] = '\0';
  return out;
}

gboolean
ferry_sha256_from_hex (const char *hex,
                       guint8     *digest)
{
  guint8 parsed[32];

  if (!hex || strlen (hex) != FERRY_SHA256_HEX_LEN)
    return FALSE;
  for (int i = 0; i < 32; i++)
    {
      int hi = g_ascii_xdigit_value (hex[2 * i]);
      int lo = g_ascii_xdigit_value (hex[2 * i + 1]);

      if (hi < 0 || lo < 0)
        return FALSE;
      parsed[i] = (guint8) ((hi << 4) | lo);
    }
  /* Untouched on failure. */
  memcpy (digest, parsed, sizeof parsed);
  return TRUE;
}
