/* ferry-catalogue.c: the FerryCatalogue interface
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-catalogue"

#include "config.h"

#include "ferry-catalogue.h"

#include <glib/gi18n.h>

#include "ferry-error.h"
#include "storage/ferry-space-ledger.h"

G_DEFINE_INTERFACE (FerryCatalogue, ferry_catalogue, G_TYPE_OBJECT)

/* The default space methods keep the books in this process (ferry-space-ledger.c); a
 * catalogue that several servers share keeps them in its database instead. */

static FerrySpaceLedger *
get_ledger (FerryCatalogue *self)
{
  static GQuark quark;
  FerrySpaceLedger *ledger;

  if (G_UNLIKELY (!quark))
    quark = g_quark_from_static_string ("ferry-catalogue-space-ledger");
  ledger = g_object_get_qdata (G_OBJECT (self), quark);
  if (!ledger)
    {
      ledger = ferry_space_ledger_new ();
      g_object_set_qdata_full (G_OBJECT (self), quark, ledger,
                               (GDestroyNotify) ferry_space_ledger_free);
    }
  return ledger;
}

static void
default_set_quota (FerryCatalogue *self,
                   guint64         quota)
{
  ferry_space_ledger_set_quota (get_ledger (self), quota);
}

static guint64
default_get_used (FerryCatalogue *self)
{
  return ferry_space_ledger_get_used (get_ledger (self));
}

static guint64
default_get_mark (FerryCatalogue *self)
{
  return ferry_space_ledger_get_mark (get_ledger (self));
}

static guint64
default_reserve (FerryCatalogue           *self,
                 const FerrySpaceRequest  *request,
                 const FerryFreeSpace     *space,
                 gboolean                 *short_of_disk,
                 GError                  **error)
{
  return ferry_space_ledger_reserve (get_ledger (self), request, space, short_of_disk, error);
}

static void
default_charge (FerryCatalogue *self,
                const char     *address,
                guint64         size)
{
  ferry_space_ledger_charge (get_ledger (self), address, size);
}

static void
default_release (FerryCatalogue *self,
                 const char     *address,
                 guint64         ahead,
                 guint64         written)
{
  ferry_space_ledger_release (get_ledger (self), address, ahead, written);
}

static void
default_count (FerryCatalogue *self,
               guint64         added,
               guint64         removed)
{
  ferry_space_ledger_count (get_ledger (self), added, removed);
}

/* The default id generator: random ids, unique among the rows (lookup) and among the ids
 * handed out by this process and not yet inserted or released. */

static GMutex pending_lock;

/* Under pending_lock. */
static GHashTable *
get_pending (FerryCatalogue *self)
{
  static GQuark quark;
  GHashTable *pending;

  if (G_UNLIKELY (!quark))
    quark = g_quark_from_static_string ("ferry-catalogue-pending-ids");
  pending = g_object_get_qdata (G_OBJECT (self), quark);
  if (!pending)
    {
      pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_object_set_qdata_full (G_OBJECT (self), quark, pending,
                               (GDestroyNotify) g_hash_table_unref);
    }
  return pending;
}

static gboolean
pending_add (FerryCatalogue *self,
             const char     *id)
{
  gboolean added;

  g_mutex_lock (&pending_lock);
  added = g_hash_table_add (get_pending (self), g_strdup (id));
  g_mutex_unlock (&pending_lock);
  return added;
}

static void
default_release_id (FerryCatalogue *self,
                    const char     *id)
{
  g_mutex_lock (&pending_lock);
  g_hash_table_remove (get_pending (self), id);
  g_mutex_unlock (&pending_lock);
}

static char *
default_new_id (FerryCatalogue  *self,
                GError         **error)
{
  for (guint attempt = 0; attempt < 16; attempt++)
    {
      g_autoptr(FerryCatalogueRow) row = NULL;
      g_autoptr(GError) local_error = NULL;
      g_autofree char *id = ferry_catalogue_random_id ();

      /* Held first, so that no other thread can take it while the rows are checked. */
      if (!pending_add (self, id))
        continue;
      row = ferry_catalogue_lookup (self, id, &local_error);
      if (!row && g_error_matches (local_error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND))
        return g_steal_pointer (&id);

      default_release_id (self, id);
      if (!row)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
    }

  g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_INTERNAL,
                       _("The server could not find a free id for the file."));
  return NULL;
}

static void
default_insert_batch (FerryCatalogue     *self,
                      FerryCatalogueRow **rows,
                      guint               n_rows,
                      GError            **errors)
{
  for (guint i = 0; i < n_rows; i++)
    FERRY_CATALOGUE_GET_IFACE (self)->insert (self, rows[i], &errors[i]);
}

static void
ferry_catalogue_default_init (FerryCatalogueInterface *iface)
{
  iface->insert_batch = default_insert_batch;
  iface->new_id = default_new_id;
  iface->release_id = default_release_id;
  iface->set_quota = default_set_quota;
  iface->get_used = default_get_used;
  iface->get_mark = default_get_mark;
  iface->reserve = default_reserve;
  iface->charge = default_charge;
  iface->release = default_release;
  iface->count = default_count;
}

static void
row_clear (FerryCatalogueRow *row)
{
  g_free (row->id);
  g_free (row->name);
  g_free (row->uploader);
}

FerryCatalogueRow *
ferry_catalogue_row_new (void)
{
  return g_atomic_rc_box_new0 (FerryCatalogueRow);
}

FerryCatalogueRow *
ferry_catalogue_row_ref (FerryCatalogueRow *row)
{
  g_return_val_if_fail (row != NULL, NULL);
  return g_atomic_rc_box_acquire (row);
}

void
ferry_catalogue_row_unref (FerryCatalogueRow *row)
{
  g_return_if_fail (row != NULL);
  g_atomic_rc_box_release_full (row, (GDestroyNotify) row_clear);
}

char *
ferry_catalogue_random_id (void)
{
  return g_strdup_printf ("%08" G_GINT32_MODIFIER "x%08" G_GINT32_MODIFIER "x",
                          g_random_int (), g_random_int ());
}

char *
ferry_catalogue_random_token (void)
{
  g_autofree char *first = ferry_catalogue_random_id ();
  g_autofree char *second = ferry_catalogue_random_id ();

  return g_strconcat (first, second, NULL);
}

FerryPartialRow *
ferry_partial_row_new (void)
{
  return g_new0 (FerryPartialRow, 1);
}

FerryPartialRow *
ferry_partial_row_copy (const FerryPartialRow *row)
{
  FerryPartialRow *copy;

  g_return_val_if_fail (row != NULL, NULL);

  copy = g_memdup2 (row, sizeof *row);
  copy->token = g_strdup (row->token);
  copy->name = g_strdup (row->name);
  return copy;
}

void
ferry_partial_row_free (FerryPartialRow *row)
{
  if (!row)
    return;
  g_free (row->token);
  g_free (row->name);
  g_free (row);
}

/* Rows. */

GPtrArray *
ferry_catalogue_list (FerryCatalogue  *self,
                      GError         **error)
{
  g_return_val_if_fail (FERRY_IS_CATALOGUE (self), NULL);
  return FERRY_CATALOGUE_GET_IFACE (self)->list (self, error);
}

FerryCatalogueRow *
ferry_catalogue_lookup (FerryCatalogue  *self,
                        const char      *id,
                        GError         **error)
{
  g_return_val_if_fail (FERRY_IS_CATALOGUE (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);
  return FERRY_CATALOGUE_GET_IFACE (self)->lookup (self, id, error);
}

gboolean
ferry_catalogue_insert (FerryCatalogue           *self,
                        const FerryCatalogueRow  *row,
                        GError                  **error)
{
  gboolean ok;

  g_return_val_if_fail (FERRY_IS_CATALOGUE (self), FALSE);
  g_return_val_if_fail (row != NULL && row->id && row->name && row->uploader, FALSE);
  g_return_val_if_fail (row->size <= G_MAXINT64, FALSE);

  ok = FERRY_CATALOGUE_GET_IFACE (self)->insert (self, row, error);
  /* Inserted or not, the id is no longer only handed out. */
  ferry_catalogue_release_id (self, row->id);
  return ok;
}

void
ferry_catalogue_insert_batch (FerryCatalogue     *self,
                              FerryCatalogueRow **rows,
                              guint               n_rows,
                              GError            **errors)
{
  g_return_if_fail (FERRY_IS_CATALOGUE (self));
  g_return_if_fail (rows != NULL || n_rows == 0);
  g_return_if_fail (errors != NULL || n_rows == 0);

  for (guint i = 0; i < n_rows; i++)
    {
      g_return_if_fail (rows[i]->id && rows[i]->name && rows[i]->uploader);
      g_return_if_fail (rows[i]->size <= G_MAXINT64);
      g_return_if_fail (errors[i] == NULL);
    }

  FERRY_CATALOGUE_GET_IFACE (self)->insert_batch (self, rows, n_rows, errors);
  /* Inserted or not, the ids are no longer only handed out. */
  for (guint i = 0; i < n_rows; i++)
    ferry_catalogue_release_id (self, rows[i]->id);
}

gboolean
ferry_catalogue_remove (FerryCatalogue  *self,
                        const char      *id,
                        GError         **error)
{
  g_return_val_if_fail (FERRY_IS_CATALOGUE (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);
  return FERRY_CATALOGUE_GET_IFACE (self)->remove (self, id, error);
}

char *
ferry_catalogue_new_id (FerryCatalogue  *self,
                        GError         **error)
{
  g_return_val_if_fail (FERRY_IS_CATALOGUE (self), NULL);
  return FERRY_CATALOGUE_GET_IFACE (self)->new_id (self, error);
}

void
ferry_catalogue_release_id (FerryCatalogue *self,
                            const char     *id)
{
  g_return_if_fail (FERRY_IS_CATALOGUE (self));
  g_return_if_fail (id != NULL);
  FERRY_CATALOGUE_GET_IFACE (self)->release_id (self, id);
}

gboolean
ferry_catalogue_put_partial (FerryCatalogue         *self,
                             const FerryPartialRow  *row,
                             GError                **error)
{
  g_return_val_if_fail (FERRY_IS_CATALOGUE (self), FALSE);
  g_return_val_if_fail (row != NULL && row->token && row->name, FALSE);
  g_return_val_if_fail (row->size <= G_MAXINT64, FALSE);
  return FERRY_CATALOGUE_GET_IFACE (self)->put_partial (self, row, error);
}

FerryPartialRow *
ferry_catalogue_lookup_partial (FerryCatalogue  *self,
                                const char      *token,
                                GError         **error)
{
  g_return_val_if_fail (FERRY_IS_CATALOGUE (self), NULL);
  g_return_val_if_fail (token != NULL, NULL);
  return FERRY_CATALOGUE_GET_IFACE (self)->lookup_partial (self, token, error);
}

gboolean
ferry_catalogue_remove_partial (FerryCatalogue  *self,
                                const char      *token,
                                GError         **error)
{
  g_return_val_if_fail (FERRY_IS_CATALOGUE (self), FALSE);
  g_return_val_if_fail (token != NULL, FALSE);
  return FERRY_CATALOGUE_GET_IFACE (self)->remove_partial (self, token, error);
}

GPtrArray *
ferry_catalogue_list_partials (FerryCatalogue  *self,
                               GError         **error)
{
  g_return_val_if_fail (FERRY_IS_CATALOGUE (self), NULL);
  return FERRY_CATALOGUE_GET_IFACE (self)->list_partials (self, error);
}

void
ferry_catalogue_close (FerryCatalogue *self)
{
  g_return_if_fail (FERRY_IS_CATALOGUE (self));
  FERRY_CATALOGUE_GET_IFACE (self)->close (self);
}

/* Space. */

void
ferry_catalogue_set_quota (FerryCatalogue *self,
                           guint64         quota)
{
  g_return_if_fail (FERRY_IS_CATALOGUE (self));
  FERRY_CATALOGUE_GET_IFACE (self)->set_quota (self, quota);
}

guint64
ferry_catalogue_get_used (FerryCatalogue *self)
{
  g_return_val_if_fail (FERRY_IS_CATALOGUE (self), 0);
  return FERRY_CATALOGUE_GET_IFACE (self)->get_used (self);
}

guint64
ferry_catalogue_get_mark (FerryCatalogue *self)
{
  g_return_val_if_fail (FERRY_IS_CATALOGUE (self), 0);
  return FERRY_CATALOGUE_GET_IFACE (self)->get_mark (self);
}

guint64
ferry_catalogue_reserve (FerryCatalogue           *self,
                         const FerrySpaceRequest  *request,
                         const FerryFreeSpace     *space,
                         gboolean                 *short_of_disk,
                         GError                  **error)
{
  gboolean disk = FALSE;
  guint64 grant;

  g_return_val_if_fail (FERRY_IS_CATALOGUE (self), 0);
  g_return_val_if_fail (request != NULL && space != NULL, 0);

  grant = FERRY_CATALOGUE_GET_IFACE (self)->reserve (self, request, space, &disk, error);
  if (short_of_disk)
    *short_of_disk = disk;
  return grant;
}

void
ferry_catalogue_charge (FerryCatalogue *self,
                        const char     *address,
                        guint64         size)
{
  g_return_if_fail (FERRY_IS_CATALOGUE (self));
  g_return_if_fail (address != NULL);
  FERRY_CATALOGUE_GET_IFACE (self)->charge (self, address, size);
}

void
ferry_catalogue_release (FerryCatalogue *self,
                         const char     *address,
                         guint64         ahead,
                         guint64         written)
{
  g_return_if_fail (FERRY_IS_CATALOGUE (self));
  g_return_if_fail (address != NULL || ahead == 0);
  FERRY_CATALOGUE_GET_IFACE (self)->release (self, address, ahead, written);
}

void
ferry_catalogue_count (FerryCatalogue *self,
                       guint64         added,
                       guint64         removed)
{
  g_return_if_fail (FERRY_IS_CATALOGUE (self));
  FERRY_CATALOGUE_GET_IFACE (self)->count (self, added, removed);
}
