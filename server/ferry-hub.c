/* ferry-hub.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-hub"

#include "config.h"

#include "ferry-hub.h"

/* An offer in the list, with its place in the order of publication. */
typedef struct
{
  FerryCatalogueRow *row;
  guint64            seq;
} HubEntry;

struct _FerryHubCursor
{
  FerryHub  *hub;        /* owned */
  GList     *at;         /* the link returned last; NULL: before the first */
  guint64    at_seq;     /* the seq of the offer returned last; 0: none yet */
  GPtrArray *deleted;    /* ids of offers returned, then deleted */
};

struct _FerryHub
{
  GObject parent_instance;

  /* owned */
  GQueue      offers;    /* HubEntry, oldest first, so in increasing seq */
  GHashTable *by_id;     /* borrowed id -> GList link in offers */
  guint64     last_seq;

  /* borrowed */
  GList      *cursors;   /* FerryHubCursor */
};

G_DEFINE_FINAL_TYPE (FerryHub, ferry_hub, G_TYPE_OBJECT)

enum {
  SIGNAL_OFFER,
  SIGNAL_DELETED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
hub_entry_free (HubEntry *entry)
{
  ferry_catalogue_row_unref (entry->row);
  g_free (entry);
}

static void
ferry_hub_finalize (GObject *object)
{
  FerryHub *self = FERRY_HUB (object);

  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_queue_clear_full (&self->offers, (GDestroyNotify) hub_entry_free);

  G_OBJECT_CLASS (ferry_hub_parent_class)->finalize (object);
}

static void
ferry_hub_class_init (FerryHubClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ferry_hub_finalize;

  signals[SIGNAL_OFFER] =
    g_signal_new ("offer", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_DELETED] =
    g_signal_new ("deleted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
ferry_hub_init (FerryHub *self)
{
  g_queue_init (&self->offers);
  self->by_id = g_hash_table_new (g_str_hash, g_str_equal);
}

FerryHub *
ferry_hub_new (void)
{
  return g_object_new (FERRY_TYPE_HUB, NULL);
}

static gboolean
index_add (FerryHub          *self,
           FerryCatalogueRow *row)
{
  HubEntry *entry;

  if (g_hash_table_contains (self->by_id, row->id))
    {
      g_warning ("Offer %s is already listed", row->id);
      return FALSE;
    }
  entry = g_new0 (HubEntry, 1);
  entry->row = ferry_catalogue_row_ref (row);
  entry->seq = ++self->last_seq;
  g_queue_push_tail (&self->offers, entry);
  g_hash_table_insert (self->by_id, row->id, self->offers.tail);
  return TRUE;
}

void
ferry_hub_load (FerryHub  *self,
                GPtrArray *rows)
{
  g_return_if_fail (FERRY_IS_HUB (self));
  g_return_if_fail (rows != NULL);

  for (guint i = 0; i < rows->len; i++)
    index_add (self, g_ptr_array_index (rows, i));
}

FerryCatalogueRow *
ferry_hub_lookup (FerryHub   *self,
                  const char *id)
{
  GList *link;

  g_return_val_if_fail (FERRY_IS_HUB (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  link = g_hash_table_lookup (self->by_id, id);
  return link ? ((HubEntry *) link->data)->row : NULL;
}

guint
ferry_hub_get_n_offers (FerryHub *self)
{
  g_return_val_if_fail (FERRY_IS_HUB (self), 0);
  return self->offers.length;
}

GPtrArray *
ferry_hub_dup_offers (FerryHub *self)
{
  GPtrArray *rows;

  g_return_val_if_fail (FERRY_IS_HUB (self), NULL);

  rows = g_ptr_array_new_full (self->offers.length,
                               (GDestroyNotify) ferry_catalogue_row_unref);
  for (GList *l = self->offers.head; l; l = l->next)
    g_ptr_array_add (rows, ferry_catalogue_row_ref (((HubEntry *) l->data)->row));
  return rows;
}

void
ferry_hub_publish_offer (FerryHub          *self,
                         FerryCatalogueRow *row)
{
  g_return_if_fail (FERRY_IS_HUB (self));
  g_return_if_fail (row != NULL);

  if (!index_add (self, row))
    return;
  g_signal_emit (self, signals[SIGNAL_OFFER], 0, row);
}

void
ferry_hub_publish_deleted (FerryHub   *self,
                           const char *id)
{
  g_autofree char *owned_id = NULL;
  HubEntry *entry;
  GList *link;

  g_return_if_fail (FERRY_IS_HUB (self));
  g_return_if_fail (id != NULL);

  link = g_hash_table_lookup (self->by_id, id);
  if (!link)
    return;

  owned_id = g_strdup (id);
  entry = link->data;

  for (GList *l = self->cursors; l; l = l->next)
    {
      FerryHubCursor *cursor = l->data;

      if (cursor->at == link)
        cursor->at = link->prev;
      if (entry->seq <= cursor->at_seq)
        g_ptr_array_add (cursor->deleted, g_strdup (owned_id));
    }

  g_hash_table_remove (self->by_id, entry->row->id);
  g_queue_delete_link (&self->offers, link);
  hub_entry_free (entry);

  g_signal_emit (self, signals[SIGNAL_DELETED], 0, owned_id);
}

FerryHubCursor *
ferry_hub_cursor_new (FerryHub *hub)
{
  FerryHubCursor *cursor;

  g_return_val_if_fail (FERRY_IS_HUB (hub), NULL);

  cursor = g_new0 (FerryHubCursor, 1);
  cursor->hub = g_object_ref (hub);
  cursor->deleted = g_ptr_array_new_with_free_func (g_free);
  hub->cursors = g_list_prepend (hub->cursors, cursor);
  return cursor;
}

FerryCatalogueRow *
ferry_hub_cursor_next (FerryHubCursor *cursor)
{
  GList *link;
  HubEntry *entry;

  g_return_val_if_fail (cursor != NULL, NULL);

  link = cursor->at ? cursor->at->next : cursor->hub->offers.head;
  if (!link)
    return NULL;
  entry = link->data;
  cursor->at = link;
  cursor->at_seq = entry->seq;
  return entry->row;
}

GPtrArray *
ferry_hub_cursor_take_deleted (FerryHubCursor *cursor)
{
  GPtrArray *deleted;

  g_return_val_if_fail (cursor != NULL, NULL);

  deleted = g_steal_pointer (&cursor->deleted);
  cursor->deleted = g_ptr_array_new_with_free_func (g_free);
  return deleted;
}

void
ferry_hub_cursor_free (FerryHubCursor *cursor)
{
  if (!cursor)
    return;
  cursor->hub->cursors = g_list_remove (cursor->hub->cursors, cursor);
  g_clear_object (&cursor->hub);
  g_clear_pointer (&cursor->deleted, g_ptr_array_unref);
  g_free (cursor);
}
