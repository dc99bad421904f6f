/* ferry-offer-removal.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-server"

#include "config.h"

#include "ferry-offer-removal.h"

#include <glib/gi18n.h>
#include <string.h>

#include "ferry-error.h"

typedef struct
{
  FerryHub *hub;
  char     *id;
} Removal;

static void
removal_free (gpointer data)
{
  Removal *removal = data;

  g_object_unref (removal->hub);
  g_free (removal->id);
  g_free (removal);
}

static void
remove_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Removal *removal = g_task_get_task_data (task);
  GError *error = NULL;

  if (!ferry_store_remove_finish (FERRY_STORE (object), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  ferry_hub_publish_deleted (removal->hub, removal->id);
  g_task_return_boolean (task, TRUE);
}

void
ferry_offer_removal_run_async (FerryStore          *store,
                               FerryHub            *hub,
                               const char          *id,
                               const guint8        *owner_hash,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  FerryCatalogueRow *row;
  Removal *removal;

  g_return_if_fail (FERRY_IS_STORE (store));
  g_return_if_fail (FERRY_IS_HUB (hub));
  g_return_if_fail (id != NULL && owner_hash != NULL);

  task = g_task_new (store, NULL, callback, user_data);
  g_task_set_source_tag (task, ferry_offer_removal_run_async);

  row = ferry_hub_lookup (hub, id);
  if (!row)
    {
      g_task_return_new_error (task, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                               _("No file with that id is shared."));
      return;
    }
  if (memcmp (row->owner_hash, owner_hash, FERRY_CATALOGUE_HASH_SIZE) != 0)
    {
      g_task_return_new_error (task, FERRY_ERROR, FERRY_ERROR_NOT_OWNER,
                               _("Only the person who shared this file can delete it."));
      return;
    }

  removal = g_new0 (Removal, 1);
  removal->hub = g_object_ref (hub);
  removal->id = g_strdup (id);
  g_task_set_task_data (task, removal, removal_free);
  ferry_store_remove_async (store, id, row->size, NULL, remove_cb, g_steal_pointer (&task));
}

gboolean
ferry_offer_removal_run_finish (FerryStore    *store,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
