/* ferry-auth.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Failures are counted per address in fixed windows: the first failure opens a window of
 * WINDOW_S seconds, and once MAX_FAILURES have failed in it the address is refused without a
 * comparison until the window ends. The table is bounded: stale windows are pruned, and when
 * it is still full the oldest window makes room.
 */
#define G_LOG_DOMAIN "ferry-auth"

#include "config.h"

#include "ferry-auth.h"

#include <string.h>
#include <glib/gi18n.h>
#include <openssl/crypto.h>

#include "ferry-checksum.h"
#include "ferry-error.h"
#include "ferry-message.h"

#include "ferry-limits.h"

#define MAX_FAILURES        FERRY_AUTH_MAX_FAILURES
#define WINDOW_S            FERRY_AUTH_WINDOW_S
#define MAX_ADDRESSES       FERRY_AUTH_MAX_ADDRESSES

typedef struct
{
  gint64 since;      /* monotonic µs of the first failure in this window */
  guint  failures;
} Failures;

struct _FerryAuth
{
  GObject parent_instance;

  guint8      digest[FERRY_SHA256_SIZE];
  GHashTable *failures;   /* address -> Failures */
};

G_DEFINE_FINAL_TYPE (FerryAuth, ferry_auth, G_TYPE_OBJECT)

static void
ferry_auth_finalize (GObject *object)
{
  FerryAuth *self = FERRY_AUTH (object);

  OPENSSL_cleanse (self->digest, sizeof self->digest);
  g_clear_pointer (&self->failures, g_hash_table_unref);

  G_OBJECT_CLASS (ferry_auth_parent_class)->finalize (object);
}

static void
ferry_auth_class_init (FerryAuthClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ferry_auth_finalize;
}

static void
ferry_auth_init (FerryAuth *self)
{
  self->failures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

static void
digest_of (const char *text,
           guint8      digest[FERRY_SHA256_SIZE])
{
  g_autoptr(FerryChecksum) checksum = ferry_checksum_new ();

  ferry_checksum_update (checksum, (const guint8 *) text, strlen (text));
  ferry_checksum_finish (checksum, digest);
}

FerryAuth *
ferry_auth_new (const char *password)
{
  FerryAuth *self;

  g_return_val_if_fail (password != NULL && *password, NULL);

  self = g_object_new (FERRY_TYPE_AUTH, NULL);
  digest_of (password, self->digest);
  return self;
}

static gboolean
is_stale (const Failures *entry,
          gint64          now)
{
  return now - entry->since >= (gint64) WINDOW_S * G_USEC_PER_SEC;
}

static void
make_room (FerryAuth *self,
           gint64     now)
{
  GHashTableIter iter;
  gpointer key;
  gpointer value;
  gpointer oldest = NULL;
  gint64 oldest_since = G_MAXINT64;

  g_hash_table_iter_init (&iter, self->failures);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Failures *entry = value;

      if (is_stale (entry, now))
        g_hash_table_iter_remove (&iter);
      else if (entry->since < oldest_since)
        {
          oldest = key;
          oldest_since = entry->since;
        }
    }

  if (g_hash_table_size (self->failures) >= MAX_ADDRESSES && oldest)
    g_hash_table_remove (self->failures, oldest);
}

static void
record_failure (FerryAuth  *self,
                const char *address,
                gint64      now)
{
  Failures *entry = g_hash_table_lookup (self->failures, address);

  if (!entry)
    {
      if (g_hash_table_size (self->failures) >= MAX_ADDRESSES)
        make_room (self, now);
      entry = g_new0 (Failures, 1);
      entry->since = now;
      g_hash_table_insert (self->failures, g_strdup (address), entry);
    }
  entry->failures++;
  if (entry->failures == MAX_FAILURES)
    g_message ("%s: %u wrong passwords; refusing that address for up to %u s",
               address, MAX_FAILURES, WINDOW_S);
}

gboolean
ferry_auth_check (FerryAuth   *self,
                  const char  *address,
                  const char  *password,
                  GError     **error)
{
  guint8 digest[FERRY_SHA256_SIZE];
  Failures *entry;
  gint64 now = g_get_monotonic_time ();
  gboolean ok;

  g_return_val_if_fail (FERRY_IS_AUTH (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);

  entry = g_hash_table_lookup (self->failures, address);
  if (entry && is_stale (entry, now))
    {
      g_hash_table_remove (self->failures, address);
      entry = NULL;
    }
  if (entry && entry->failures >= MAX_FAILURES)
    {
      gint64 left_us = entry->since + (gint64) WINDOW_S * G_USEC_PER_SEC - now;
      guint left = (guint) MAX ((left_us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC, 1);

      g_set_error (error, FERRY_ERROR, FERRY_ERROR_AUTH,
                   ngettext ("Too many wrong passwords from your address; try again in %u "
                             "second.",
                             "Too many wrong passwords from your address; try again in %u "
                             "seconds.", left),
                   left);
      return FALSE;
    }

  if (!password)
    {
      g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_AUTH,
                           _("This server needs a password; none was given."));
      return FALSE;
    }

  /* Comparing fixed-size digests in constant time reveals neither the password's length nor
   * how much of it matched. */
  digest_of (password, digest);
  ok = CRYPTO_memcmp (digest, self->digest, sizeof digest) == 0;
  OPENSSL_cleanse (digest, sizeof digest);
  if (!ok)
    {
      record_failure (self, address, now);
      g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_AUTH,
                           _("This server needs a password, and the one given is wrong."));
      return FALSE;
    }
  return TRUE;
}

gboolean
ferry_auth_is_locked (FerryAuth  *self,
                      const char *address)
{
  Failures *entry;

  g_return_val_if_fail (FERRY_IS_AUTH (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);

  entry = g_hash_table_lookup (self->failures, address);
  return entry && !is_stale (entry, g_get_monotonic_time ()) && entry->failures >= MAX_FAILURES;
}
