/* ferry-sqlite-catalogue.h: the catalogue in an SQLite file, the default FerryCatalogue
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ferry-catalogue.h"

G_BEGIN_DECLS

#define FERRY_TYPE_SQLITE_CATALOGUE (ferry_sqlite_catalogue_get_type ())

G_DECLARE_FINAL_TYPE (FerrySqliteCatalogue, ferry_sqlite_catalogue, FERRY, SQLITE_CATALOGUE,
                      GObject)

/* Opens (or creates) @path in WAL mode with synchronous=FULL: every insert and removal is
 * durable when it returns. Every call is serialized by an internal lock, so any thread may
 * use the rows; the space methods belong to the main thread. Blocking. */
FerrySqliteCatalogue *ferry_sqlite_catalogue_open             (const char            *path,
                                                               GError               **error);
/* "wal" once open; for tests and diagnostics. */
char                 *ferry_sqlite_catalogue_dup_journal_mode (FerrySqliteCatalogue  *self);
/* SQLite's synchronous level for this connection (0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA), -1 when
 * closed; for tests and diagnostics. */
int                   ferry_sqlite_catalogue_get_synchronous  (FerrySqliteCatalogue  *self);

G_END_DECLS
