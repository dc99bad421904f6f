/* ferry-offer-removal.h: an owner deletes an offer — the one rule for native and web
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ferry-catalogue.h"
#include "ferry-hub.h"
#include "ferry-store.h"

G_BEGIN_DECLS

/* Checks that offer @id exists (FERRY_ERROR_NOT_FOUND) and that @owner_hash owns it
 * (FERRY_ERROR_NOT_OWNER), removes it from the store, then tells every subscriber through
 * @hub. Once started, a removal runs to its end even if the requester goes away. */
void     ferry_offer_removal_run_async  (FerryStore           *store,
                                         FerryHub             *hub,
                                         const char           *id,
                                         const guint8         *owner_hash,
                                         GAsyncReadyCallback   callback,
                                         gpointer              user_data);
gboolean ferry_offer_removal_run_finish (FerryStore           *store,
                                         GAsyncResult         *result,
                                         GError              **error);

G_END_DECLS
