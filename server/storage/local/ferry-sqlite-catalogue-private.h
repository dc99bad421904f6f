/* ferry-sqlite-catalogue-private.h: what the SQLite catalogue's files share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <sqlite3.h>

#include "ferry-sqlite-catalogue.h"

G_BEGIN_DECLS

/* Takes the catalogue's lock and returns its database, or NULL (the lock still taken) once
 * closed, with @error set. Every call is paired with ferry_sqlite_catalogue_unlock (). */
sqlite3  *ferry_sqlite_catalogue_lock            (FerrySqliteCatalogue     *self,
                                                  GError                  **error);
void      ferry_sqlite_catalogue_unlock          (FerrySqliteCatalogue     *self);

/* ferry-sqlite-catalogue-partials.c: the partial_uploads table. */
gboolean  ferry_sqlite_catalogue_partials_create (sqlite3                  *db,
                                                  GError                  **error);
void      ferry_sqlite_catalogue_partials_init   (FerryCatalogueInterface  *iface);

G_END_DECLS
