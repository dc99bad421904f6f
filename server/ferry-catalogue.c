/* ferry-catalogue.c: the FerryCatalogue interface
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-catalogue"

#include "config.h"

#include "ferry-catalogue.h"

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

static void
ferry_catalogue_default_init (FerryCatalogueInterface *iface)
{
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
  g_return_val_if_fail (FERRY_IS_CATALOGUE (self), FALSE);
  g_return_val_if_fail (row != NULL && row->id && row->name && row->uploader, FALSE);
  g_return_val_if_fail (row->size <= G_MAXINT64, FALSE);
  return FERRY_CATALOGUE_GET_IFACE (self)->insert (self, row, error);
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

void
ferry_catalogue_close (FerryCatalogue *self)
{
  g_return_if_fail (FERRY_IS_CATALOGUE (self));
  FERRY_CATALOGUE_GET_IFACE (self)->close (self);
}

/* The same in a worker thread. */

static void
insert_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GError *error = NULL;

  if (ferry_catalogue_insert (source_object, task_data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
ferry_catalogue_insert_async (FerryCatalogue      *self,
                              FerryCatalogueRow   *row,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FERRY_IS_CATALOGUE (self));
  g_return_if_fail (row != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_catalogue_insert_async);
  g_task_set_task_data (task, ferry_catalogue_row_ref (row),
                        (GDestroyNotify) ferry_catalogue_row_unref);
  /* Once started, a write runs to its end. */
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, insert_thread);
}

gboolean
ferry_catalogue_insert_finish (FerryCatalogue  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
remove_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GError *error = NULL;

  if (ferry_catalogue_remove (source_object, task_data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
ferry_catalogue_remove_async (FerryCatalogue      *self,
                              const char          *id,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FERRY_IS_CATALOGUE (self));
  g_return_if_fail (id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_catalogue_remove_async);
  g_task_set_task_data (task, g_strdup (id), g_free);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, remove_thread);
}

gboolean
ferry_catalogue_remove_finish (FerryCatalogue  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
new_id_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GError *error = NULL;
  char *id = ferry_catalogue_new_id (source_object, &error);

  if (id)
    g_task_return_pointer (task, id, g_free);
  else
    g_task_return_error (task, error);
}

void
ferry_catalogue_new_id_async (FerryCatalogue      *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FERRY_IS_CATALOGUE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_catalogue_new_id_async);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, new_id_thread);
}

char *
ferry_catalogue_new_id_finish (FerryCatalogue  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
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
