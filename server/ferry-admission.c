/* ferry-admission.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two kinds of connection count against two kinds of limit (PROTOCOL.md §8):
 *
 * - Active connections, which sent a HELLO the server accepted, are limited by
 *   --max-connections and --max-connections-per-address. Over either, HELLO is answered with
 *   ERROR(BUSY), and clients wait and try again.
 * - Pending connections, still in their TLS handshake or before HELLO, cost the server only a
 *   socket while they wait, so more of them are allowed: FERRY_PENDING_PER_ADDRESS_FACTOR
 *   times the per-address limit from one address, and FERRY_PENDING_FACTOR times the
 *   connection limit in all (ferry-limits.h).
 *   When they are all taken, a newcomer takes the place of the oldest pending connection of
 *   the address that holds the most, if that address holds more than twice as many as the
 *   newcomer's. So a few addresses that open connections and stall can delay only each other.
 */
#define G_LOG_DOMAIN "ferry-admission"

#include "config.h"

#include "ferry-admission.h"

#include "ferry-limits.h"

typedef struct
{
  char   *address;
  guint   n_active;
  GQueue  pending;      /* FerrySlot, oldest first */
} Peer;

struct _FerrySlot
{
  Peer               *peer;
  GList               link;     /* in peer->pending while pending */
  gboolean            active;
  FerrySlotEvictFunc  evict;
  gpointer            owner;
};

struct _FerryAdmission
{
  GObject parent_instance;

  GHashTable *peers;            /* address -> Peer */
  guint       n_active;
  guint       n_pending;
  guint       max_active;
  guint       max_per_address;
};

G_DEFINE_FINAL_TYPE (FerryAdmission, ferry_admission, G_TYPE_OBJECT)

static void
peer_free (Peer *peer)
{
  g_free (peer->address);
  g_free (peer);
}

static void
ferry_admission_finalize (GObject *object)
{
  FerryAdmission *self = FERRY_ADMISSION (object);

  g_clear_pointer (&self->peers, g_hash_table_unref);

  G_OBJECT_CLASS (ferry_admission_parent_class)->finalize (object);
}

static void
ferry_admission_class_init (FerryAdmissionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ferry_admission_finalize;
}

static void
ferry_admission_init (FerryAdmission *self)
{
  self->peers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) peer_free);
  self->max_active = FERRY_DEFAULT_MAX_CONNECTIONS;
  self->max_per_address = FERRY_DEFAULT_MAX_PER_ADDRESS;
}

FerryAdmission *
ferry_admission_new (void)
{
  return g_object_new (FERRY_TYPE_ADMISSION, NULL);
}

void
ferry_admission_set_max_active (FerryAdmission *self,
                                guint           max_active,
                                guint           max_per_address)
{
  g_return_if_fail (FERRY_IS_ADMISSION (self));
  g_return_if_fail (max_active > 0 && max_per_address > 0);

  self->max_active = max_active;
  self->max_per_address = max_per_address;
}

static Peer *
lookup_peer (FerryAdmission *self,
             const char     *address)
{
  Peer *peer = g_hash_table_lookup (self->peers, address);

  if (!peer)
    {
      peer = g_new0 (Peer, 1);
      peer->address = g_strdup (address);
      g_queue_init (&peer->pending);
      g_hash_table_insert (self->peers, peer->address, peer);
    }
  return peer;
}

static void
forget_peer_if_idle (FerryAdmission *self,
                     Peer           *peer)
{
  if (peer->n_active == 0 && peer->pending.length == 0)
    g_hash_table_remove (self->peers, peer->address);
}

/* Makes room for a lighter address only with a margin, so that addresses of about the same
 * weight never take places from each other in turn. */
static gboolean
much_heavier (guint heavy,
              guint light)
{
  return heavy > 2 * light + 1;
}

/* The address with the most pending connections. */
static Peer *
find_heaviest (FerryAdmission *self)
{
  GHashTableIter iter;
  Peer *peer;
  Peer *heaviest = NULL;

  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &peer))
    if (!heaviest || peer->pending.length > heaviest->pending.length)
      heaviest = peer;
  return heaviest;
}

/* Asks the owner of the oldest pending slot of @peer to let go. The owner releases the slot
 * now or soon; the newcomer is let in either way. */
static gboolean
evict_oldest (FerryAdmission *self,
              Peer           *peer)
{
  for (GList *l = peer->pending.head; l; l = l->next)
    {
      FerrySlot *slot = l->data;
      FerrySlotEvictFunc evict = slot->evict;

      if (!evict)
        continue;
      g_debug ("%s: dropping a pending connection to make room (%u pending from there)",
               peer->address, peer->pending.length);
      slot->evict = NULL;
      evict (slot->owner);
      return TRUE;
    }
  return FALSE;
}

FerrySlot *
ferry_admission_take (FerryAdmission *self,
                      const char     *address)
{
  guint max_pending = self->max_active * FERRY_PENDING_FACTOR;
  guint max_pending_per_address = self->max_per_address * FERRY_PENDING_PER_ADDRESS_FACTOR;
  Peer *peer;
  FerrySlot *slot;

  g_return_val_if_fail (FERRY_IS_ADMISSION (self), NULL);
  g_return_val_if_fail (address != NULL, NULL);

  peer = lookup_peer (self, address);
  if (peer->pending.length >= max_pending_per_address)
    {
      g_debug ("%s: dropping a new connection: %u pending from that address already",
               address, peer->pending.length);
      forget_peer_if_idle (self, peer);
      return NULL;
    }
  if (self->n_pending >= max_pending)
    {
      Peer *heaviest = find_heaviest (self);

      /* The newcomer counts itself. */
      if (!much_heavier (heaviest->pending.length, peer->pending.length + 1) ||
          !evict_oldest (self, heaviest))
        {
          g_debug ("%s: dropping a new connection: %u pending already", address,
                   self->n_pending);
          forget_peer_if_idle (self, peer);
          return NULL;
        }
    }

  slot = g_new0 (FerrySlot, 1);
  slot->peer = peer;
  slot->link.data = slot;
  g_queue_push_tail_link (&peer->pending, &slot->link);
  self->n_pending++;
  return slot;
}

void
ferry_admission_set_owner (FerrySlot          *slot,
                           FerrySlotEvictFunc  evict,
                           gpointer            owner)
{
  g_return_if_fail (slot != NULL);

  slot->evict = evict;
  slot->owner = owner;
}

static void
unlink_pending (FerryAdmission *self,
                FerrySlot      *slot)
{
  g_queue_unlink (&slot->peer->pending, &slot->link);
  self->n_pending--;
}

gboolean
ferry_admission_admit (FerryAdmission *self,
                       FerrySlot      *slot)
{
  g_return_val_if_fail (FERRY_IS_ADMISSION (self), FALSE);
  g_return_val_if_fail (slot != NULL && !slot->active, FALSE);

  if (self->n_active >= self->max_active)
    {
      g_message ("Refusing %s: %u connections already", slot->peer->address, self->n_active);
      return FALSE;
    }
  if (slot->peer->n_active >= self->max_per_address)
    {
      g_message ("Refusing %s: %u connections from that address already",
                 slot->peer->address, slot->peer->n_active);
      return FALSE;
    }

  unlink_pending (self, slot);
  slot->active = TRUE;
  slot->evict = NULL;
  slot->peer->n_active++;
  self->n_active++;
  return TRUE;
}

void
ferry_admission_release (FerryAdmission *self,
                         FerrySlot      *slot)
{
  Peer *peer;

  g_return_if_fail (FERRY_IS_ADMISSION (self));
  g_return_if_fail (slot != NULL);

  peer = slot->peer;
  if (slot->active)
    {
      peer->n_active--;
      self->n_active--;
    }
  else
    unlink_pending (self, slot);
  g_free (slot);
  forget_peer_if_idle (self, peer);
}

const char *
ferry_slot_get_address (FerrySlot *slot)
{
  g_return_val_if_fail (slot != NULL, NULL);
  return slot->peer->address;
}

guint
ferry_slot_get_weight (FerrySlot *slot)
{
  g_return_val_if_fail (slot != NULL, 0);
  return slot->peer->pending.length;
}

gboolean
ferry_slot_outweighs (FerrySlot *slot,
                      FerrySlot *other)
{
  g_return_val_if_fail (slot != NULL && other != NULL, FALSE);
  return much_heavier (slot->peer->pending.length, other->peer->pending.length);
}

gboolean
ferry_slot_is_active (FerrySlot *slot)
{
  g_return_val_if_fail (slot != NULL, FALSE);
  return slot->active;
}
