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

/* A place in the list of offers, for sending a long list a little at a time. It stays valid
 * while the list changes: offers published later come after it, an offer deleted before it
 * is reached is never returned, and the ids of offers it returned that were deleted since
 * are kept for ferry_hub_cursor_take_deleted(). */
typedef struct _FerryHubCursor FerryHubCursor;

/* Starts before the oldest offer. */
FerryHubCursor    *ferry_hub_cursor_new          (FerryHub          *hub);
/* The next offer (borrowed), or NULL when there is none yet. */
FerryCatalogueRow *ferry_hub_cursor_next         (FerryHubCursor    *cursor);
/* A new array of the ids (char *) of offers this cursor returned that were deleted since the
 * last call, in the order of deletion. */
GPtrArray         *ferry_hub_cursor_take_deleted (FerryHubCursor    *cursor);
void               ferry_hub_cursor_free         (FerryHubCursor    *cursor);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryHubCursor, ferry_hub_cursor_free)

G_END_DECLS
