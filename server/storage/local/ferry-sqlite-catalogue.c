/* ferry-sqlite-catalogue.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-sqlite-catalogue"

#include "config.h"

#include "ferry-sqlite-catalogue.h"
#include "ferry-sqlite-catalogue-private.h"

#include <string.h>
#include <glib/gi18n.h>
#include <sqlite3.h>

#include "ferry-error.h"

#define SCHEMA \
  "CREATE TABLE IF NOT EXISTS offers (" \
  "  id TEXT PRIMARY KEY," \
  "  name TEXT NOT NULL," \
  "  size INTEGER NOT NULL," \
  "  sha256 BLOB NOT NULL," \
  "  uploader TEXT NOT NULL," \
  "  owner_hash BLOB NOT NULL," \
  "  created INTEGER NOT NULL," \
  "  expires INTEGER NOT NULL DEFAULT 0," \
  "  folder_files INTEGER," \
  "  folder_content INTEGER" \
  ");"

/* A catalogue from before folders (PROTOCOL.md version 1) gets their columns: NULL in both
 * means "a file". */
#define FOLDER_COLUMNS \
  "ALTER TABLE offers ADD COLUMN folder_files INTEGER;" \
  "ALTER TABLE offers ADD COLUMN folder_content INTEGER;"

#define COLUMNS "id, name, size, sha256, uploader, owner_hash, created, expires, " \
                "folder_files, folder_content"

struct _FerrySqliteCatalogue
{
  GObject parent_instance;

  /* owned */
  char             *path;
  sqlite3          *db;
  sqlite3_stmt     *insert_stmt;
  sqlite3_stmt     *delete_stmt;
  sqlite3_stmt     *list_stmt;
  sqlite3_stmt     *lookup_stmt;

  GMutex            lock;          /* everything above */
};

static void catalogue_iface_init (FerryCatalogueInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FerrySqliteCatalogue, ferry_sqlite_catalogue, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (FERRY_TYPE_CATALOGUE, catalogue_iface_init))

/* @format is a translated sentence with one %s, SQLite's own explanation. */
#define set_sqlite_error(error, db, format) \
  g_set_error ((error), FERRY_ERROR, FERRY_ERROR_INTERNAL, (format), \
               (db) ? sqlite3_errmsg (db) : "out of memory")

static void
catalogue_close (FerryCatalogue *catalogue)
{
  FerrySqliteCatalogue *self = FERRY_SQLITE_CATALOGUE (catalogue);

  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->insert_stmt, sqlite3_finalize);
  g_clear_pointer (&self->delete_stmt, sqlite3_finalize);
  g_clear_pointer (&self->list_stmt, sqlite3_finalize);
  g_clear_pointer (&self->lookup_stmt, sqlite3_finalize);
  if (self->db)
    {
      if (sqlite3_close (self->db) != SQLITE_OK)
        g_warning ("Could not close the catalogue %s: %s", self->path, sqlite3_errmsg (self->db));
      self->db = NULL;
    }
  g_mutex_unlock (&self->lock);
}

static void
ferry_sqlite_catalogue_finalize (GObject *object)
{
  FerrySqliteCatalogue *self = FERRY_SQLITE_CATALOGUE (object);

  catalogue_close (FERRY_CATALOGUE (self));
  g_clear_pointer (&self->path, g_free);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (ferry_sqlite_catalogue_parent_class)->finalize (object);
}

static void
ferry_sqlite_catalogue_class_init (FerrySqliteCatalogueClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ferry_sqlite_catalogue_finalize;
}

static void
ferry_sqlite_catalogue_init (FerrySqliteCatalogue *self)
{
  g_mutex_init (&self->lock);
}

static gboolean
exec (FerrySqliteCatalogue  *self,
      const char            *sql,
      GError               **error)
{
  char *message = NULL;

  if (sqlite3_exec (self->db, sql, NULL, NULL, &message) != SQLITE_OK)
    {
      g_set_error (error, FERRY_ERROR, FERRY_ERROR_INTERNAL,
                   _("The server could not prepare its catalogue %s: %s."),
                   self->path, message ? message : sqlite3_errmsg (self->db));
      sqlite3_free (message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
prepare (FerrySqliteCatalogue  *self,
         const char            *sql,
         sqlite3_stmt         **stmt,
         GError               **error)
{
  if (sqlite3_prepare_v2 (self->db, sql, -1, stmt, NULL) != SQLITE_OK)
    {
      set_sqlite_error (error, self->db,
                        _("The server could not prepare a catalogue statement: %s."));
      return FALSE;
    }
  return TRUE;
}

static gboolean
add_folder_columns (FerrySqliteCatalogue  *self,
                    GError               **error)
{
  sqlite3_stmt *probe = NULL;
  gboolean present = sqlite3_prepare_v2 (self->db, "SELECT folder_files FROM offers LIMIT 0;",
                                         -1, &probe, NULL) == SQLITE_OK;

  sqlite3_finalize (probe);
  return present || exec (self, FOLDER_COLUMNS, error);
}

FerrySqliteCatalogue *
ferry_sqlite_catalogue_open (const char  *path,
                             GError     **error)
{
  g_autoptr(FerrySqliteCatalogue) self = NULL;
  g_autofree char *mode = NULL;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (FERRY_TYPE_SQLITE_CATALOGUE, NULL);
  self->path = g_strdup (path);

  rc = sqlite3_open_v2 (path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, FERRY_ERROR, FERRY_ERROR_INTERNAL,
                   _("The server could not open its catalogue %s: %s."),
                   path, self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      return NULL;
    }
  sqlite3_busy_timeout (self->db, 5000);
  sqlite3_extended_result_codes (self->db, 1);

  /* FULL, not NORMAL: in WAL mode NORMAL leaves the last commits unsynced, so an offer that
   * was already announced could roll back after a power cut. FULL syncs the WAL before every
   * commit returns, and offers are announced only after that. */
  if (!exec (self, "PRAGMA journal_mode=WAL;", error) ||
      !exec (self, "PRAGMA synchronous=FULL;", error) ||
      !exec (self, SCHEMA, error) ||
      !add_folder_columns (self, error) ||
      !ferry_sqlite_catalogue_partials_create (self->db, error) ||
      !exec (self, "CREATE INDEX IF NOT EXISTS offers_created ON offers (created);", error))
    return NULL;

  mode = ferry_sqlite_catalogue_dup_journal_mode (self);
  if (g_strcmp0 (mode, "wal") != 0)
    g_warning ("The catalogue %s is in journal mode %s, not WAL", path, mode);

  if (!prepare (self,
                "INSERT INTO offers (" COLUMNS ") "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10);",
                &self->insert_stmt, error) ||
      !prepare (self, "DELETE FROM offers WHERE id = ?1;", &self->delete_stmt, error) ||
      !prepare (self,
                "SELECT " COLUMNS " FROM offers ORDER BY created, rowid;",
                &self->list_stmt, error) ||
      !prepare (self,
                "SELECT " COLUMNS " FROM offers WHERE id = ?1;",
                &self->lookup_stmt, error))
    return NULL;

  return g_steal_pointer (&self);
}

static gboolean
check_open (FerrySqliteCatalogue  *self,
            GError               **error)
{
  if (self->db)
    return TRUE;
  g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_INTERNAL,
                       _("The server's catalogue is closed."));
  return FALSE;
}

/* With the lock held. */
static gboolean
insert_locked (FerrySqliteCatalogue     *self,
               const FerryCatalogueRow  *row,
               GError                  **error)
{
  sqlite3_stmt *stmt;
  gboolean ok = FALSE;
  int rc;

  if (!check_open (self, error))
    goto out;

  stmt = self->insert_stmt;
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  if (sqlite3_bind_text (stmt, 1, row->id, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 2, row->name, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 3, (sqlite3_int64) row->size) != SQLITE_OK ||
      sqlite3_bind_blob (stmt, 4, row->sha256, sizeof row->sha256, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 5, row->uploader, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_blob (stmt, 6, row->owner_hash, sizeof row->owner_hash,
                         SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 7, row->created) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 8, row->expires) != SQLITE_OK ||
      (row->is_folder &&
       (sqlite3_bind_int64 (stmt, 9, row->folder_files) != SQLITE_OK ||
        sqlite3_bind_int64 (stmt, 10, (sqlite3_int64) row->folder_content) != SQLITE_OK)))
    {
      set_sqlite_error (error, self->db,
                          _("The server could not save the offer in its catalogue: %s."));
      goto out;
    }

  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    {
      if ((rc & 0xff) == SQLITE_CONSTRAINT)
        g_set_error (error, FERRY_ERROR, FERRY_ERROR_INTERNAL,
                     _("The catalogue already has an offer with the id %s."), row->id);
      else
        set_sqlite_error (error, self->db,
                          _("The server could not save the offer in its catalogue: %s."));
      goto out;
    }
  ok = TRUE;

out:
  if (self->insert_stmt)
    {
      sqlite3_reset (self->insert_stmt);
      sqlite3_clear_bindings (self->insert_stmt);
    }
  return ok;
}

static gboolean
catalogue_insert (FerryCatalogue           *catalogue,
                  const FerryCatalogueRow  *row,
                  GError                  **error)
{
  FerrySqliteCatalogue *self = FERRY_SQLITE_CATALOGUE (catalogue);
  gboolean ok;

  g_mutex_lock (&self->lock);
  ok = insert_locked (self, row, error);
  g_mutex_unlock (&self->lock);
  return ok;
}

/* Group commit: the rows go in one transaction, so that they share one sync of the WAL. A row
 * that breaks a constraint fails alone (SQLite undoes that statement only). When the
 * transaction as a whole fails, each row that had no error of its own is inserted again on
 * its own, so that every row gets its own true answer. */
static void
catalogue_insert_batch (FerryCatalogue     *catalogue,
                        FerryCatalogueRow **rows,
                        guint               n_rows,
                        GError            **errors)
{
  FerrySqliteCatalogue *self = FERRY_SQLITE_CATALOGUE (catalogue);
  gboolean committed = FALSE;

  g_mutex_lock (&self->lock);
  if (n_rows > 1 && self->db &&
      sqlite3_exec (self->db, "BEGIN IMMEDIATE;", NULL, NULL, NULL) == SQLITE_OK)
    {
      for (guint i = 0; i < n_rows; i++)
        insert_locked (self, rows[i], &errors[i]);

      /* An I/O error or a full disk may have rolled the whole transaction back. */
      if (!sqlite3_get_autocommit (self->db))
        {
          committed = sqlite3_exec (self->db, "COMMIT;", NULL, NULL, NULL) == SQLITE_OK;
          if (!committed)
            sqlite3_exec (self->db, "ROLLBACK;", NULL, NULL, NULL);
        }
    }
  if (!committed)
    for (guint i = 0; i < n_rows; i++)
      {
        g_clear_error (&errors[i]);
        insert_locked (self, rows[i], &errors[i]);
      }
  g_mutex_unlock (&self->lock);
}

static gboolean
catalogue_remove (FerryCatalogue  *catalogue,
                  const char      *id,
                  GError         **error)
{
  FerrySqliteCatalogue *self = FERRY_SQLITE_CATALOGUE (catalogue);
  sqlite3_stmt *stmt;
  gboolean ok = FALSE;

  g_mutex_lock (&self->lock);
  if (!check_open (self, error))
    goto out;

  stmt = self->delete_stmt;
  sqlite3_reset (stmt);
  if (sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_step (stmt) != SQLITE_DONE)
    {
      set_sqlite_error (error, self->db,
                        _("The server could not delete the offer from its catalogue: %s."));
      goto out;
    }
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                           _("No file with that id is shared."));
      goto out;
    }
  ok = TRUE;

out:
  if (self->delete_stmt)
    {
      sqlite3_reset (self->delete_stmt);
      sqlite3_clear_bindings (self->delete_stmt);
    }
  g_mutex_unlock (&self->lock);
  return ok;
}

static gboolean
copy_hash (sqlite3_stmt *stmt,
           int           column,
           guint8       *out)
{
  const void *blob = sqlite3_column_blob (stmt, column);
  int len = sqlite3_column_bytes (stmt, column);

  if (!blob || len != FERRY_CATALOGUE_HASH_SIZE)
    return FALSE;
  memcpy (out, blob, FERRY_CATALOGUE_HASH_SIZE);
  return TRUE;
}

/* Steps @stmt (bound, under the lock) into @rows. */
static gboolean
read_rows (FerrySqliteCatalogue  *self,
           sqlite3_stmt          *stmt,
           GPtrArray             *rows,
           GError               **error)
{
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr(FerryCatalogueRow) row = ferry_catalogue_row_new ();
      const char *id = (const char *) sqlite3_column_text (stmt, 0);
      const char *name = (const char *) sqlite3_column_text (stmt, 1);
      const char *uploader = (const char *) sqlite3_column_text (stmt, 4);
      sqlite3_int64 size = sqlite3_column_int64 (stmt, 2);

      if (!id || !name || !uploader || size < 0 ||
          !copy_hash (stmt, 3, row->sha256) || !copy_hash (stmt, 5, row->owner_hash))
        {
          g_warning ("Skipping a damaged catalogue row (id %s)", id ? id : "(null)");
          continue;
        }
      row->id = g_strdup (id);
      row->name = g_strdup (name);
      row->uploader = g_strdup (uploader);
      row->size = (guint64) size;
      row->created = sqlite3_column_int64 (stmt, 6);
      row->expires = sqlite3_column_int64 (stmt, 7);
      if (sqlite3_column_type (stmt, 8) == SQLITE_INTEGER)
        {
          sqlite3_int64 files = sqlite3_column_int64 (stmt, 8);
          sqlite3_int64 content = sqlite3_column_int64 (stmt, 9);

          if (files < 0 || files > G_MAXUINT32 || content < 0)
            {
              g_warning ("Skipping a damaged catalogue row (id %s)", id);
              continue;
            }
          row->is_folder = TRUE;
          row->folder_files = (guint32) files;
          row->folder_content = (guint64) content;
        }
      g_ptr_array_add (rows, g_steal_pointer (&row));
    }
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, self->db, _("The server could not read its catalogue: %s."));
      return FALSE;
    }
  return TRUE;
}

static GPtrArray *
catalogue_list (FerryCatalogue  *catalogue,
                GError         **error)
{
  FerrySqliteCatalogue *self = FERRY_SQLITE_CATALOGUE (catalogue);
  g_autoptr(GPtrArray) rows = NULL;
  gboolean ok;

  rows = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_catalogue_row_unref);

  g_mutex_lock (&self->lock);
  ok = check_open (self, error);
  if (ok)
    {
      sqlite3_reset (self->list_stmt);
      ok = read_rows (self, self->list_stmt, rows, error);
      sqlite3_reset (self->list_stmt);
    }
  g_mutex_unlock (&self->lock);

  return ok ? g_steal_pointer (&rows) : NULL;
}

static FerryCatalogueRow *
catalogue_lookup (FerryCatalogue  *catalogue,
                  const char      *id,
                  GError         **error)
{
  FerrySqliteCatalogue *self = FERRY_SQLITE_CATALOGUE (catalogue);
  g_autoptr(GPtrArray) rows = NULL;
  gboolean ok;

  rows = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_catalogue_row_unref);

  g_mutex_lock (&self->lock);
  ok = check_open (self, error);
  if (ok)
    {
      sqlite3_reset (self->lookup_stmt);
      if (sqlite3_bind_text (self->lookup_stmt, 1, id, -1, SQLITE_STATIC) != SQLITE_OK)
        {
          set_sqlite_error (error, self->db, _("The server could not read its catalogue: %s."));
          ok = FALSE;
        }
      else
        ok = read_rows (self, self->lookup_stmt, rows, error);
      sqlite3_reset (self->lookup_stmt);
      sqlite3_clear_bindings (self->lookup_stmt);
    }
  g_mutex_unlock (&self->lock);

  if (!ok)
    return NULL;
  if (rows->len == 0)
    {
      g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                           _("No file with that id is shared."));
      return NULL;
    }
  return ferry_catalogue_row_ref (g_ptr_array_index (rows, 0));
}

char *
ferry_sqlite_catalogue_dup_journal_mode (FerrySqliteCatalogue *self)
{
  sqlite3_stmt *stmt = NULL;
  char *mode = NULL;

  g_return_val_if_fail (FERRY_IS_SQLITE_CATALOGUE (self), NULL);

  g_mutex_lock (&self->lock);
  if (self->db &&
      sqlite3_prepare_v2 (self->db, "PRAGMA journal_mode;", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    mode = g_ascii_strdown ((const char *) sqlite3_column_text (stmt, 0), -1);
  sqlite3_finalize (stmt);
  g_mutex_unlock (&self->lock);

  return mode;
}

int
ferry_sqlite_catalogue_get_synchronous (FerrySqliteCatalogue *self)
{
  sqlite3_stmt *stmt = NULL;
  int level = -1;

  g_return_val_if_fail (FERRY_IS_SQLITE_CATALOGUE (self), -1);

  g_mutex_lock (&self->lock);
  if (self->db &&
      sqlite3_prepare_v2 (self->db, "PRAGMA synchronous;", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    level = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  g_mutex_unlock (&self->lock);

  return level;
}

static void
catalogue_iface_init (FerryCatalogueInterface *iface)
{
  iface->list = catalogue_list;
  iface->lookup = catalogue_lookup;
  iface->insert = catalogue_insert;
  iface->insert_batch = catalogue_insert_batch;
  iface->remove = catalogue_remove;
  iface->close = catalogue_close;
  ferry_sqlite_catalogue_partials_init (iface);
}

sqlite3 *
ferry_sqlite_catalogue_lock (FerrySqliteCatalogue  *self,
                             GError               **error)
{
  g_mutex_lock (&self->lock);
  return check_open (self, error) ? self->db : NULL;
}

void
ferry_sqlite_catalogue_unlock (FerrySqliteCatalogue *self)
{
  g_mutex_unlock (&self->lock);
}
