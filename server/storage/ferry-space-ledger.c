/* ferry-space-ledger.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-space-ledger"

#include "config.h"

#include "ferry-space-ledger.h"

#include <glib/gi18n.h>

#include "ferry-error.h"
#include "ferry-units.h"

struct _FerrySpaceLedger
{
  guint64     quota;              /* 0: unlimited */
  guint64     committed;          /* bytes of committed offers */
  guint64     written;            /* bytes written by uploads in progress */
  guint64     ahead;              /* bytes reserved ahead by uploads in progress */
  guint64     written_total;      /* every byte ever charged: ages a free-space reading */
  GHashTable *ahead_by_address;   /* address -> guint64 *, bytes reserved ahead */
};

FerrySpaceLedger *
ferry_space_ledger_new (void)
{
  FerrySpaceLedger *self = g_new0 (FerrySpaceLedger, 1);

  self->ahead_by_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return self;
}

void
ferry_space_ledger_free (FerrySpaceLedger *self)
{
  if (!self)
    return;
  g_hash_table_unref (self->ahead_by_address);
  g_free (self);
}

void
ferry_space_ledger_set_quota (FerrySpaceLedger *self,
                              guint64           quota)
{
  self->quota = quota;
}

guint64
ferry_space_ledger_get_used (FerrySpaceLedger *self)
{
  return self->committed + self->written + self->ahead;
}

guint64
ferry_space_ledger_get_mark (FerrySpaceLedger *self)
{
  return self->written_total;
}

static void
address_add (FerrySpaceLedger *self,
             const char       *address,
             guint64           size)
{
  guint64 *held = g_hash_table_lookup (self->ahead_by_address, address);

  if (!held)
    {
      held = g_new0 (guint64, 1);
      g_hash_table_insert (self->ahead_by_address, g_strdup (address), held);
    }
  *held += size;
}

static void
address_sub (FerrySpaceLedger *self,
             const char       *address,
             guint64           size)
{
  guint64 *held = g_hash_table_lookup (self->ahead_by_address, address);

  g_return_if_fail (held != NULL && *held >= size);
  *held -= size;
  if (*held == 0)
    g_hash_table_remove (self->ahead_by_address, address);
}

static guint64
address_ahead (FerrySpaceLedger *self,
               const char       *address)
{
  guint64 *held = g_hash_table_lookup (self->ahead_by_address, address);

  return held ? *held : 0;
}

static GError *
no_space_error (FerrySpaceLedger        *self,
                const FerrySpaceRequest *req,
                gboolean                 quota,
                guint64                  room)
{
  g_autofree char *room_text = ferry_format_size (room);
  g_autofree char *rest_text = ferry_format_size (req->rest);
  g_autofree char *quota_text = ferry_format_size (self->quota);

  if (quota && !req->address)
    return g_error_new (FERRY_ERROR, FERRY_ERROR_NO_SPACE,
                        /* Translators: "… has 1.0 MB left of 100 MB, and this file is 5.0 MB." */
                        _("The server's storage quota has %s left of %s, and this file is %s."),
                        room_text, quota_text, rest_text);
  if (quota)
    return g_error_new (FERRY_ERROR, FERRY_ERROR_NO_SPACE,
                        /* Translators: "… has 0 bytes left of 100 MB, and 2.0 MB of this file
                         * are still to come." */
                        _("The server's storage quota is full: it has %s left of %s, and %s of "
                          "this file are still to come."),
                        room_text, quota_text, rest_text);
  if (!req->address)
    return g_error_new (FERRY_ERROR, FERRY_ERROR_NO_SPACE,
                        _("The server's disk has room for %s more, and this file is %s."),
                        room_text, rest_text);
  return g_error_new (FERRY_ERROR, FERRY_ERROR_NO_SPACE,
                      _("The server's disk is full: it has room for %s more, and %s of this "
                        "file are still to come."),
                      room_text, rest_text);
}

guint64
ferry_space_ledger_reserve (FerrySpaceLedger         *self,
                            const FerrySpaceRequest  *req,
                            const FerryFreeSpace     *space,
                            gboolean                 *short_of_disk,
                            GError                  **error)
{
  guint64 quota_room = G_MAXUINT64;
  guint64 disk_room = G_MAXUINT64;
  guint64 want = MAX (req->want, req->need);
  guint64 grant;
  guint64 held;

  *short_of_disk = FALSE;

  if (self->quota > 0)
    {
      guint64 used = ferry_space_ledger_get_used (self);

      quota_room = used < self->quota ? self->quota - used : 0;
    }

  if (space->known)
    {
      guint64 free_bytes = space->free_bytes;
      guint64 since = self->written_total - space->mark;

      /* Bytes written since the reading may be missing from it, and they no longer count as
       * reserved ahead: take them off, which errs on the safe side. */
      free_bytes -= MIN (free_bytes, since);
      disk_room = free_bytes > self->ahead ? free_bytes - self->ahead : 0;
    }

  if (req->need > quota_room)
    {
      g_propagate_error (error, no_space_error (self, req, TRUE, quota_room));
      return 0;
    }
  if (req->need > disk_room)
    {
      *short_of_disk = TRUE;
      g_propagate_error (error, no_space_error (self, req, FALSE, disk_room));
      return 0;
    }

  if (!req->address)
    return 1;

  /* Between need and want, within both limits and the address's share of the room ahead. */
  grant = MIN (want, MIN (quota_room, disk_room));
  held = address_ahead (self, req->address);
  /* An address at its share gets only what the data at hand needs. */
  grant = MIN (grant, held < FERRY_CATALOGUE_ADDRESS_AHEAD_MAX ?
                        FERRY_CATALOGUE_ADDRESS_AHEAD_MAX - held : 0);
  grant = MAX (grant, req->need);

  self->ahead += grant;
  address_add (self, req->address, grant);
  return grant;
}

void
ferry_space_ledger_charge (FerrySpaceLedger *self,
                           const char       *address,
                           guint64           size)
{
  g_return_if_fail (size <= self->ahead);

  self->ahead -= size;
  self->written += size;
  self->written_total += size;
  address_sub (self, address, size);
}

void
ferry_space_ledger_release (FerrySpaceLedger *self,
                            const char       *address,
                            guint64           ahead,
                            guint64           written)
{
  g_return_if_fail (ahead <= self->ahead && written <= self->written);

  self->ahead -= ahead;
  self->written -= written;
  if (ahead > 0)
    address_sub (self, address, ahead);
}

void
ferry_space_ledger_count (FerrySpaceLedger *self,
                          guint64           added,
                          guint64           removed)
{
  self->committed += added;
  self->committed -= MIN (self->committed, removed);
}
