/* ferry-hub.h: the event hub, the live list of offers and who hears about changes to it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything that changes the list of offers goes through ferry_hub_publish_offer() and
 * ferry_hub_publish_deleted(); subscribers listen to the "offer" and "deleted" signals. On one
 * machine the hub is this in-process object; several servers would feed it from a shared
 * channel (PostgreSQL LISTEN/NOTIFY) without the sessions noticing.
 */
#pragma once

#include <glib-object.h>

#include "ferry-catalogue.h"

G_BEGIN_DECLS

#define FERRY_TYPE_HUB (ferry_hub_get_type ())

G_DECLARE_FINAL_TYPE (FerryHub, ferry_hub, FERRY, HUB, GObject)

FerryHub          *ferry_hub_new              (void);

/* Fills the index at startup without emitting anything. */
void               ferry_hub_load             (FerryHub          *self,
                                               GPtrArray         *rows);
/* Borrowed; NULL if no offer has @id. */
FerryCatalogueRow *ferry_hub_lookup           (FerryHub          *self,
                                               const char        *id);
guint              ferry_hub_get_n_offers     (FerryHub          *self);
/* A new array of references to every offer, oldest first. */
GPtrArray         *ferry_hub_dup_offers       (FerryHub          *self);

/* Adds @row to the index and emits "offer" (FerryCatalogueRow *row). */
void               ferry_hub_publish_offer    (FerryHub          *self,
                                               FerryCatalogueRow *row);
/* Removes @id from the index and emits "deleted" (const char *id). */
void               ferry_hub_publish_deleted  (FerryHub          *self,
                                               const char        *id);

G_END_DECLS
