/* ferry-catalogue.h: the offers table, in SQLite
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define FERRY_CATALOGUE_HASH_SIZE 32

/* One committed offer, as the catalogue stores it. Reference counted and immutable once
 * shared, so the commit thread and the main thread can hold the same row. */
typedef struct
{
  char    *id;
  char    *name;
  guint64  size;
  guint8   sha256[FERRY_CATALOGUE_HASH_SIZE];
  char    *uploader;
  guint8   owner_hash[FERRY_CATALOGUE_HASH_SIZE];
  gint64   created;
  gint64   expires;
} FerryCatalogueRow;

FerryCatalogueRow *ferry_catalogue_row_new   (void);
FerryCatalogueRow *ferry_catalogue_row_ref   (FerryCatalogueRow *row);
void               ferry_catalogue_row_unref (FerryCatalogueRow *row);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryCatalogueRow, ferry_catalogue_row_unref)

#define FERRY_TYPE_CATALOGUE (ferry_catalogue_get_type ())

G_DECLARE_FINAL_TYPE (FerryCatalogue, ferry_catalogue, FERRY, CATALOGUE, GObject)

/* Every call is serialized by an internal lock, so any thread may use the catalogue. */
FerryCatalogue *ferry_catalogue_open             (const char         *path,
                                                  GError            **error);
void            ferry_catalogue_close            (FerryCatalogue     *self);
gboolean        ferry_catalogue_insert           (FerryCatalogue     *self,
                                                  const FerryCatalogueRow *row,
                                                  GError            **error);
/* Fails with FERRY_ERROR_NOT_FOUND when no row has @id. */
gboolean        ferry_catalogue_delete           (FerryCatalogue     *self,
                                                  const char         *id,
                                                  GError            **error);
/* A new array of FerryCatalogueRow, oldest first (by created, then insertion order). */
GPtrArray      *ferry_catalogue_list             (FerryCatalogue     *self,
                                                  GError            **error);
/* "wal" once open; for tests and diagnostics. */
char           *ferry_catalogue_dup_journal_mode (FerryCatalogue     *self);
/* SQLite's synchronous level for this connection (0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA), -1 when
 * closed; for tests and diagnostics. Every commit is durable before it returns: FULL. */
int             ferry_catalogue_get_synchronous  (FerryCatalogue     *self);

G_END_DECLS
