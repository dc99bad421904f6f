/* ferry-memory-catalogue.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-memory-catalogue"

#include "config.h"

#include "ferry-memory-catalogue.h"

#include <glib/gi18n.h>

#include "ferry-error.h"

struct _FerryMemoryCatalogue
{
  GObject parent_instance;

  /* owned */
  GPtrArray        *rows;          /* FerryCatalogueRow, in insertion order */
  GHashTable       *partials;      /* token → FerryPartialRow */

  gboolean          closed;
  GMutex            lock;          /* rows, partials, closed */
};

static void catalogue_iface_init (FerryCatalogueInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FerryMemoryCatalogue, ferry_memory_catalogue, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (FERRY_TYPE_CATALOGUE, catalogue_iface_init))

static void
ferry_memory_catalogue_finalize (GObject *object)
{
  FerryMemoryCatalogue *self = FERRY_MEMORY_CATALOGUE (object);

  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_clear_pointer (&self->partials, g_hash_table_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (ferry_memory_catalogue_parent_class)->finalize (object);
}

static void
ferry_memory_catalogue_class_init (FerryMemoryCatalogueClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ferry_memory_catalogue_finalize;
}

static void
ferry_memory_catalogue_init (FerryMemoryCatalogue *self)
{
  self->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_catalogue_row_unref);
  self->partials = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                          (GDestroyNotify) ferry_partial_row_free);
  g_mutex_init (&self->lock);
}

FerryMemoryCatalogue *
ferry_memory_catalogue_new (void)
{
  return g_object_new (FERRY_TYPE_MEMORY_CATALOGUE, NULL);
}

/* Under the lock. */
static gboolean
check_open (FerryMemoryCatalogue  *self,
            GError               **error)
{
  if (!self->closed)
    return TRUE;
  g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_INTERNAL,
                       _("The server's catalogue is closed."));
  return FALSE;
}

/* Under the lock. */
static int
find_row (FerryMemoryCatalogue *self,
          const char           *id)
{
  for (guint i = 0; i < self->rows->len; i++)
    {
      FerryCatalogueRow *row = g_ptr_array_index (self->rows, i);

      if (g_str_equal (row->id, id))
        return (int) i;
    }
  return -1;
}

static int
compare_created (gconstpointer a,
                 gconstpointer b)
{
  const FerryCatalogueRow *row_a = *(FerryCatalogueRow * const *) a;
  const FerryCatalogueRow *row_b = *(FerryCatalogueRow * const *) b;

  return (row_a->created > row_b->created) - (row_a->created < row_b->created);
}

/* A deep copy: rows handed out are the caller's, as from a database. */
static FerryCatalogueRow *
row_copy (const FerryCatalogueRow *row)
{
  FerryCatalogueRow *copy = ferry_catalogue_row_new ();

  *copy = *row;
  copy->id = g_strdup (row->id);
  copy->name = g_strdup (row->name);
  copy->uploader = g_strdup (row->uploader);
  return copy;
}

static GPtrArray *
catalogue_list (FerryCatalogue  *catalogue,
                GError         **error)
{
  FerryMemoryCatalogue *self = FERRY_MEMORY_CATALOGUE (catalogue);
  g_autoptr(GPtrArray) rows = NULL;

  g_mutex_lock (&self->lock);
  if (check_open (self, error))
    {
      rows = g_ptr_array_new_full (self->rows->len,
                                   (GDestroyNotify) ferry_catalogue_row_unref);
      for (guint i = 0; i < self->rows->len; i++)
        g_ptr_array_add (rows, row_copy (g_ptr_array_index (self->rows, i)));
    }
  g_mutex_unlock (&self->lock);

  /* Stable: rows created in the same second stay in insertion order. */
  if (rows)
    g_ptr_array_sort (rows, compare_created);
  return g_steal_pointer (&rows);
}

static FerryCatalogueRow *
catalogue_lookup (FerryCatalogue  *catalogue,
                  const char      *id,
                  GError         **error)
{
  FerryMemoryCatalogue *self = FERRY_MEMORY_CATALOGUE (catalogue);
  FerryCatalogueRow *row = NULL;
  int index;

  g_mutex_lock (&self->lock);
  if (check_open (self, error))
    {
      index = find_row (self, id);
      if (index >= 0)
        row = row_copy (g_ptr_array_index (self->rows, index));
      else
        g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                             _("No file with that id is shared."));
    }
  g_mutex_unlock (&self->lock);

  return row;
}

static gboolean
catalogue_insert (FerryCatalogue           *catalogue,
                  const FerryCatalogueRow  *row,
                  GError                  **error)
{
  FerryMemoryCatalogue *self = FERRY_MEMORY_CATALOGUE (catalogue);
  gboolean ok = FALSE;

  g_mutex_lock (&self->lock);
  if (!check_open (self, error))
    ;
  else if (find_row (self, row->id) >= 0)
    g_set_error (error, FERRY_ERROR, FERRY_ERROR_INTERNAL,
                 _("The catalogue already has an offer with the id %s."), row->id);
  else
    {
      g_ptr_array_add (self->rows, row_copy (row));
      ok = TRUE;
    }
  g_mutex_unlock (&self->lock);

  return ok;
}

static gboolean
catalogue_remove (FerryCatalogue  *catalogue,
                  const char      *id,
                  GError         **error)
{
  FerryMemoryCatalogue *self = FERRY_MEMORY_CATALOGUE (catalogue);
  gboolean ok = FALSE;
  int index;

  g_mutex_lock (&self->lock);
  if (check_open (self, error))
    {
      index = find_row (self, id);
      if (index >= 0)
        {
          g_ptr_array_remove_index (self->rows, (guint) index);
          ok = TRUE;
        }
      else
        g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                             _("No file with that id is shared."));
    }
  g_mutex_unlock (&self->lock);

  return ok;
}

/* Partial uploads. */

static gboolean
catalogue_put_partial (FerryCatalogue         *catalogue,
                       const FerryPartialRow  *row,
                       GError                **error)
{
  FerryMemoryCatalogue *self = FERRY_MEMORY_CATALOGUE (catalogue);
  gboolean ok;

  g_mutex_lock (&self->lock);
  ok = check_open (self, error);
  if (ok)
    {
      FerryPartialRow *copy = ferry_partial_row_copy (row);

      g_hash_table_replace (self->partials, copy->token, copy);
    }
  g_mutex_unlock (&self->lock);
  return ok;
}

static FerryPartialRow *
catalogue_lookup_partial (FerryCatalogue  *catalogue,
                          const char      *token,
                          GError         **error)
{
  FerryMemoryCatalogue *self = FERRY_MEMORY_CATALOGUE (catalogue);
  FerryPartialRow *row = NULL;

  g_mutex_lock (&self->lock);
  if (check_open (self, error))
    {
      FerryPartialRow *found = g_hash_table_lookup (self->partials, token);

      row = found ? ferry_partial_row_copy (found) : NULL;
    }
  g_mutex_unlock (&self->lock);
  return row;
}

static gboolean
catalogue_remove_partial (FerryCatalogue  *catalogue,
                          const char      *token,
                          GError         **error)
{
  FerryMemoryCatalogue *self = FERRY_MEMORY_CATALOGUE (catalogue);
  gboolean ok;

  g_mutex_lock (&self->lock);
  ok = check_open (self, error);
  if (ok)
    g_hash_table_remove (self->partials, token);
  g_mutex_unlock (&self->lock);
  return ok;
}

static GPtrArray *
catalogue_list_partials (FerryCatalogue  *catalogue,
                         GError         **error)
{
  FerryMemoryCatalogue *self = FERRY_MEMORY_CATALOGUE (catalogue);
  GPtrArray *rows = NULL;

  g_mutex_lock (&self->lock);
  if (check_open (self, error))
    {
      GHashTableIter iter;
      gpointer value;

      rows = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_partial_row_free);
      g_hash_table_iter_init (&iter, self->partials);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        g_ptr_array_add (rows, ferry_partial_row_copy (value));
    }
  g_mutex_unlock (&self->lock);
  return rows;
}

static void
catalogue_close (FerryCatalogue *catalogue)
{
  FerryMemoryCatalogue *self = FERRY_MEMORY_CATALOGUE (catalogue);

  g_mutex_lock (&self->lock);
  self->closed = TRUE;
  g_mutex_unlock (&self->lock);
}

static void
catalogue_iface_init (FerryCatalogueInterface *iface)
{
  iface->list = catalogue_list;
  iface->lookup = catalogue_lookup;
  iface->insert = catalogue_insert;
  iface->remove = catalogue_remove;
  iface->close = catalogue_close;
  iface->put_partial = catalogue_put_partial;
  iface->lookup_partial = catalogue_lookup_partial;
  iface->remove_partial = catalogue_remove_partial;
  iface->list_partials = catalogue_list_partials;
}
