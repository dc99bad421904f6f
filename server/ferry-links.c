/* ferry-links.c: FerryLinks
 *
 * A link key is base64url (no padding) of 8 bytes of expiry, big-endian Unix seconds (0:
 * until the offer is deleted), followed by the first 16 bytes of
 * HMAC-SHA256(secret, "ferry-link\0" · ID · "\0" · the same 8 bytes). It opens one offer, and
 * only until it expires; deleting the offer revokes it, since the download handler finds no
 * offer to open.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-links"

#include "config.h"

#include "ferry-links.h"

#include <string.h>
#include <glib/gi18n.h>
#include <openssl/crypto.h>

#include "ferry-error.h"
#include "ferry-identity.h"
#include "ferry-message.h"

#define EXPIRY_SIZE 8
#define MAC_SIZE    16
#define KEY_BYTES   (EXPIRY_SIZE + MAC_SIZE)
#define HMAC_CONTEXT "ferry-link"

struct _FerryLinks
{
  GObject parent_instance;

  guint8 secret[FERRY_SECRET_SIZE];
};

G_DEFINE_FINAL_TYPE (FerryLinks, ferry_links, G_TYPE_OBJECT)

static void
ferry_links_finalize (GObject *object)
{
  FerryLinks *self = FERRY_LINKS (object);

  memset (self->secret, 0, sizeof self->secret);

  G_OBJECT_CLASS (ferry_links_parent_class)->finalize (object);
}

static void
ferry_links_class_init (FerryLinksClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ferry_links_finalize;
}

static void
ferry_links_init (FerryLinks *self)
{
}

FerryLinks *
ferry_links_new (const char  *data_dir,
                 GError     **error)
{
  g_autoptr(FerryLinks) self = g_object_new (FERRY_TYPE_LINKS, NULL);
  g_autofree char *path = NULL;

  if (!data_dir)
    {
      /* In memory: a secret that lives as long as the object. */
      if (!ferry_random_bytes (self->secret, sizeof self->secret, error))
        return NULL;
      return g_steal_pointer (&self);
    }

  path = g_build_filename (data_dir, "web-secret", NULL);
  if (!ferry_secret_file_load (path,
                               _("Move it away to make a new one; the links given out so far "
                                 "will then stop working."),
                               self->secret, error))
    return NULL;
  return g_steal_pointer (&self);
}

/* The 16 bytes of MAC over @id and @expiry, the 8-byte big-endian expiry. */
static void
compute_mac (FerryLinks   *self,
             const char   *id,
             const guint8 *expiry,
             guint8       *mac)
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, self->secret, sizeof self->secret);
  guint8 digest[32];
  gsize len = sizeof digest;

  /* The NULs keep every field apart: no id can pass for another's. */
  g_hmac_update (hmac, (const guchar *) HMAC_CONTEXT, sizeof HMAC_CONTEXT);
  g_hmac_update (hmac, (const guchar *) id, (gssize) strlen (id) + 1);
  g_hmac_update (hmac, expiry, EXPIRY_SIZE);
  g_hmac_get_digest (hmac, digest, &len);
  memcpy (mac, digest, MAC_SIZE);
}

char *
ferry_links_make_key (FerryLinks *self,
                      const char *id,
                      guint64     expires)
{
  guint8 key[KEY_BYTES];
  g_autofree char *text = NULL;

  g_return_val_if_fail (FERRY_IS_LINKS (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  for (int i = 0; i < EXPIRY_SIZE; i++)
    key[i] = (guint8) (expires >> (56 - 8 * i));
  compute_mac (self, id, key, key + EXPIRY_SIZE);

  /* base64url: 24 bytes make 32 characters and no padding. */
  text = g_base64_encode (key, sizeof key);
  g_strdelimit (text, "+", '-');
  g_strdelimit (text, "/", '_');
  return g_steal_pointer (&text);
}

char *
ferry_links_make_path (FerryLinks *self,
                       const char *id,
                       const char *name,
                       guint64     lifetime,
                       gboolean    with_key)
{
  g_autofree char *escaped = NULL;
  g_autofree char *key = NULL;
  guint64 now = (guint64) MAX (g_get_real_time () / G_USEC_PER_SEC, 1);
  guint64 expires = 0;

  g_return_val_if_fail (FERRY_IS_LINKS (self), NULL);
  g_return_val_if_fail (id != NULL && name != NULL, NULL);

  escaped = g_uri_escape_string (name, NULL, FALSE);
  if (!with_key)
    return g_strdup_printf ("/f/%s/%s", id, escaped);

  if (lifetime > 0)
    expires = lifetime > G_MAXUINT64 - now ? G_MAXUINT64 : now + lifetime;
  key = ferry_links_make_key (self, id, expires);
  return g_strdup_printf ("/f/%s/%s?key=%s", id, escaped, key);
}

/* Strict base64url of exactly KEY_BYTES bytes, no padding: anything else is not a key. */
static gboolean
decode_key (const char *key,
            guint8     *out)
{
  char text[FERRY_LINK_KEY_LEN + 1];
  g_autofree guchar *bytes = NULL;
  gsize len = 0;

  if (strlen (key) != FERRY_LINK_KEY_LEN)
    return FALSE;
  for (int i = 0; i < FERRY_LINK_KEY_LEN; i++)
    {
      char c = key[i];

      if (!g_ascii_isalnum (c) && c != '-' && c != '_')
        return FALSE;
      text[i] = c == '-' ? '+' : c == '_' ? '/' : c;
    }
  text[FERRY_LINK_KEY_LEN] = '\0';
  bytes = g_base64_decode (text, &len);
  if (len != KEY_BYTES)
    return FALSE;
  memcpy (out, bytes, KEY_BYTES);
  return TRUE;
}

gboolean
ferry_links_check_key_at (FerryLinks  *self,
                          const char  *id,
                          const char  *key,
                          gint64       now,
                          GError     **error)
{
  guint8 given[KEY_BYTES];
  guint8 mac[MAC_SIZE];
  guint64 expires = 0;

  g_return_val_if_fail (FERRY_IS_LINKS (self), FALSE);
  g_return_val_if_fail (id != NULL && key != NULL, FALSE);

  if (!decode_key (key, given))
    {
      g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_AUTH,
                           _("This link’s key is damaged; ask for the link again."));
      return FALSE;
    }
  compute_mac (self, id, given, mac);
  /* In constant time: a wrong key tells nothing about the right one. */
  if (CRYPTO_memcmp (mac, given + EXPIRY_SIZE, MAC_SIZE) != 0)
    {
      g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_AUTH,
                           _("This link’s key does not open this file."));
      return FALSE;
    }
  for (int i = 0; i < EXPIRY_SIZE; i++)
    expires = (expires << 8) | given[i];
  if (expires != 0 && (now < 0 || (guint64) now >= expires))
    {
      g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_AUTH,
                           _("This link has expired; ask for a new one."));
      return FALSE;
    }
  return TRUE;
}

gboolean
ferry_links_check_key (FerryLinks  *self,
                       const char  *id,
                       const char  *key,
                       GError     **error)
{
  return ferry_links_check_key_at (self, id, key, g_get_real_time () / G_USEC_PER_SEC, error);
}
