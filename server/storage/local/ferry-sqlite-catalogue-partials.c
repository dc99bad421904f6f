/* ferry-sqlite-catalogue-partials.c: FerrySqliteCatalogue's records of partial uploads
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-sqlite-catalogue"

#include "config.h"

#include "ferry-sqlite-catalogue-private.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ferry-error.h"

#define PARTIALS_SCHEMA \
  "CREATE TABLE IF NOT EXISTS partial_uploads (" \
  "  token TEXT PRIMARY KEY," \
  "  owner_hash BLOB NOT NULL," \
  "  name TEXT NOT NULL," \
  "  size INTEGER NOT NULL," \
  "  folder_files INTEGER," \
  "  folder_content INTEGER," \
  "  created INTEGER NOT NULL," \
  "  active INTEGER NOT NULL" \
  ");"

#define PARTIAL_COLUMNS "token, owner_hash, name, size, folder_files, folder_content, " \
                        "created, active"

gboolean
ferry_sqlite_catalogue_partials_create (sqlite3  *db,
                                        GError  **error)
{
  char *message = NULL;

  if (sqlite3_exec (db, PARTIALS_SCHEMA, NULL, NULL, &message) != SQLITE_OK)
    {
      g_set_error (error, FERRY_ERROR, FERRY_ERROR_INTERNAL,
                   _("The server could not prepare its catalogue: %s."),
                   message ? message : sqlite3_errmsg (db));
      sqlite3_free (message);
      return FALSE;
    }
  return TRUE;
}

static void
set_error (GError     **error,
           sqlite3     *db)
{
  g_set_error (error, FERRY_ERROR, FERRY_ERROR_INTERNAL,
               _("The server could not keep its record of an unfinished upload: %s."),
               sqlite3_errmsg (db));
}

/* A partial upload's record needs to survive the server's crash, not a power cut (after one
 * the upload starts over, and the client still has its file): in WAL mode,
 * synchronous=NORMAL commits without an fsync, which the next offer's commit (FULL) then
 * covers. So a fresh upload costs no disk sync before ACCEPT. Called with the lock held. */
static void
relax_sync (sqlite3  *db,
            gboolean  relaxed)
{
  sqlite3_exec (db, relaxed ? "PRAGMA synchronous=NORMAL;" : "PRAGMA synchronous=FULL;",
                NULL, NULL, NULL);
}

static gboolean
put_partial (FerryCatalogue         *catalogue,
             const FerryPartialRow  *row,
             GError                **error)
{
  FerrySqliteCatalogue *self = FERRY_SQLITE_CATALOGUE (catalogue);
  sqlite3_stmt *stmt = NULL;
  sqlite3 *db;
  gboolean ok = FALSE;

  if (!(db = ferry_sqlite_catalogue_lock (self, error)))
    goto out;
  relax_sync (db, TRUE);
  if (sqlite3_prepare_v2 (db, "INSERT OR REPLACE INTO partial_uploads (" PARTIAL_COLUMNS ") "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8);", -1, &stmt, NULL)
      != SQLITE_OK ||
      sqlite3_bind_text (stmt, 1, row->token, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_blob (stmt, 2, row->owner_hash, sizeof row->owner_hash,
                         SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 3, row->name, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 4, (sqlite3_int64) row->size) != SQLITE_OK ||
      (row->is_folder &&
       (sqlite3_bind_int64 (stmt, 5, row->folder_files) != SQLITE_OK ||
        sqlite3_bind_int64 (stmt, 6, (sqlite3_int64) row->folder_content) != SQLITE_OK)) ||
      sqlite3_bind_int64 (stmt, 7, row->created) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 8, row->active) != SQLITE_OK ||
      sqlite3_step (stmt) != SQLITE_DONE)
    {
      set_error (error, db);
      goto out;
    }
  ok = TRUE;

out:
  sqlite3_finalize (stmt);
  if (db)
    relax_sync (db, FALSE);
  ferry_sqlite_catalogue_unlock (self);
  return ok;
}

/* Steps @stmt into @rows, skipping damaged records. */
static gboolean
read_partials (sqlite3       *db,
               sqlite3_stmt  *stmt,
               GPtrArray     *rows,
               GError       **error)
{
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr(FerryPartialRow) row = ferry_partial_row_new ();
      const char *token = (const char *) sqlite3_column_text (stmt, 0);
      const void *owner = sqlite3_column_blob (stmt, 1);
      const char *name = (const char *) sqlite3_column_text (stmt, 2);
      sqlite3_int64 size = sqlite3_column_int64 (stmt, 3);

      if (!token || !name || size < 0 || !owner ||
          sqlite3_column_bytes (stmt, 1) != FERRY_CATALOGUE_HASH_SIZE)
        {
          g_warning ("Skipping a damaged record of an unfinished upload (%s)",
                     token ? token : "(null)");
          continue;
        }
      row->token = g_strdup (token);
      memcpy (row->owner_hash, owner, FERRY_CATALOGUE_HASH_SIZE);
      row->name = g_strdup (name);
      row->size = (guint64) size;
      if (sqlite3_column_type (stmt, 4) == SQLITE_INTEGER)
        {
          sqlite3_int64 files = sqlite3_column_int64 (stmt, 4);
          sqlite3_int64 content = sqlite3_column_int64 (stmt, 5);

          if (files < 0 || files > G_MAXUINT32 || content < 0)
            continue;
          row->is_folder = TRUE;
          row->folder_files = (guint32) files;
          row->folder_content = (guint64) content;
        }
      row->created = sqlite3_column_int64 (stmt, 6);
      row->active = sqlite3_column_int64 (stmt, 7);
      g_ptr_array_add (rows, g_steal_pointer (&row));
    }
  if (rc != SQLITE_DONE)
    {
      set_error (error, db);
      return FALSE;
    }
  return TRUE;
}

/* Rows of partial uploads: all of them, or the one of @token. */
static GPtrArray *
select_partials (FerrySqliteCatalogue  *self,
                 const char            *token,
                 GError               **error)
{
  g_autoptr(GPtrArray) rows = NULL;
  sqlite3_stmt *stmt = NULL;
  sqlite3 *db;
  gboolean ok = FALSE;

  rows = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_partial_row_free);
  if (!(db = ferry_sqlite_catalogue_lock (self, error)))
    goto out;
  if (sqlite3_prepare_v2 (db, token
                          ? "SELECT " PARTIAL_COLUMNS " FROM partial_uploads WHERE token = ?1;"
                          : "SELECT " PARTIAL_COLUMNS " FROM partial_uploads;",
                          -1, &stmt, NULL) != SQLITE_OK ||
      (token && sqlite3_bind_text (stmt, 1, token, -1, SQLITE_STATIC) != SQLITE_OK))
    {
      set_error (error, db);
      goto out;
    }
  ok = read_partials (db, stmt, rows, error);

out:
  sqlite3_finalize (stmt);
  ferry_sqlite_catalogue_unlock (self);
  return ok ? g_steal_pointer (&rows) : NULL;
}

static FerryPartialRow *
lookup_partial (FerryCatalogue  *catalogue,
                const char      *token,
                GError         **error)
{
  g_autoptr(GPtrArray) rows = select_partials (FERRY_SQLITE_CATALOGUE (catalogue), token,
                                               error);

  if (!rows || rows->len == 0)
    return NULL;
  return g_ptr_array_steal_index (rows, 0);
}

static GPtrArray *
list_partials (FerryCatalogue  *catalogue,
               GError         **error)
{
  return select_partials (FERRY_SQLITE_CATALOGUE (catalogue), NULL, error);
}

static gboolean
remove_partial (FerryCatalogue  *catalogue,
                const char      *token,
                GError         **error)
{
  FerrySqliteCatalogue *self = FERRY_SQLITE_CATALOGUE (catalogue);
  sqlite3_stmt *stmt = NULL;
  sqlite3 *db;
  gboolean ok = FALSE;

  if (!(db = ferry_sqlite_catalogue_lock (self, error)))
    goto out;
  relax_sync (db, TRUE);
  if (sqlite3_prepare_v2 (db, "DELETE FROM partial_uploads WHERE token = ?1;", -1, &stmt,
                          NULL) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 1, token, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_step (stmt) != SQLITE_DONE)
    {
      set_error (error, db);
      goto out;
    }
  ok = TRUE;

out:
  sqlite3_finalize (stmt);
  if (db)
    relax_sync (db, FALSE);
  ferry_sqlite_catalogue_unlock (self);
  return ok;
}

void
ferry_sqlite_catalogue_partials_init (FerryCatalogueInterface *iface)
{
  iface->put_partial = put_partial;
  iface->lookup_partial = lookup_partial;
  iface->remove_partial = remove_partial;
  iface->list_partials = list_partials;
}
