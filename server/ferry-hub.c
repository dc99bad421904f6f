/* ferry-hub.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-hub"

#include "config.h"

#include "ferry-hub.h"

struct _FerryHub
{
  GObject parent_instance;

  /* owned */
  GQueue      offers;    /* FerryCatalogueRow, oldest first */
  GHashTable *by_id;     /* borrowed id -> GList link in offers */
};

G_DEFINE_FINAL_TYPE (FerryHub, ferry_hub, G_TYPE_OBJECT)

enum {
  SIGNAL_OFFER,
  SIGNAL_DELETED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
ferry_hub_finalize (GObject *object)
{
  FerryHub *self = FERRY_HUB (object);

  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_queue_clear_full (&self->offers, (GDestroyNotify) ferry_catalogue_row_unref);

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
  if (g_hash_table_contains (self->by_id, row->id))
    {
      g_warning ("Offer %s is already listed", row->id);
      return FALSE;
    }
  g_queue_push_tail (&self->offers, ferry_catalogue_row_ref (row));
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
  return link ? link->data : NULL;
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
    g_ptr_array_add (rows, ferry_catalogue_row_ref (l->data));
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
  FerryCatalogueRow *row;
  GList *link;

  g_return_if_fail (FERRY_IS_HUB (self));
  g_return_if_fail (id != NULL);

  link = g_hash_table_lookup (self->by_id, id);
  if (!link)
    return;

  owned_id = g_strdup (id);
  row = link->data;
  g_hash_table_remove (self->by_id, row->id);
  g_queue_delete_link (&self->offers, link);
  ferry_catalogue_row_unref (row);

  g_signal_emit (self, signals[SIGNAL_DELETED], 0, owned_id);
}
