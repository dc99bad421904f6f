/* ferry-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-store"

#include "config.h"

#include "ferry-store.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <gio/gfiledescriptorbased.h>

#include "ferry-error.h"
#include "ferry-message.h"
#include "ferry-units.h"

/* Free disk space kept out of reach of uploads: 64 MiB, or 1/16 of a small filesystem. */
#define FREE_SPACE_MARGIN     ((guint64) 64 * 1024 * 1024)

struct _FerryStore
{
  GObject parent_instance;

  /* owned */
  GFile          *dir;
  char           *dir_path;
  char           *blobs_path;
  char           *partial_path;
  FerryCatalogue *catalogue;

  guint64         quota;       /* 0: unlimited */
  guint64         committed;   /* bytes of committed blobs */
  guint64         written;     /* bytes written by uploads in progress */
  guint64         ahead;       /* bytes reserved ahead by uploads in progress */
  guint64         written_total;     /* every byte ever charged: ages a free-space reading */
  GHashTable     *ahead_by_address;  /* address -> guint64 *, bytes reserved ahead */
  guint           n_freeing;   /* partial files being removed */
  guint           free_generation;   /* partial files removed so far */
  GPtrArray      *space_waiters;     /* space checks (GTask) waiting for n_freeing to be 0 */
  int             n_busy;      /* atomic */
};

G_DEFINE_FINAL_TYPE (FerryStore, ferry_store, G_TYPE_OBJECT)

static void
ferry_store_finalize (GObject *object)
{
  FerryStore *self = FERRY_STORE (object);

  g_clear_object (&self->catalogue);
  g_clear_object (&self->dir);
  g_clear_pointer (&self->dir_path, g_free);
  g_clear_pointer (&self->blobs_path, g_free);
  g_clear_pointer (&self->partial_path, g_free);
  g_clear_pointer (&self->ahead_by_address, g_hash_table_unref);
  g_clear_pointer (&self->space_waiters, g_ptr_array_unref);

  G_OBJECT_CLASS (ferry_store_parent_class)->finalize (object);
}

static void
ferry_store_class_init (FerryStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ferry_store_finalize;
}

static void
ferry_store_init (FerryStore *self)
{
  self->ahead_by_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->space_waiters = g_ptr_array_new ();
}

static gboolean
make_dir (const char  *path,
          GError     **error)
{
  if (g_mkdir_with_parents (path, 0700) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Could not create the directory %s: %s."), path, g_strerror (errsv));
      return FALSE;
    }
  return TRUE;
}

FerryStore *
ferry_store_new (const char  *data_dir,
                 GError     **error)
{
  g_autoptr(FerryStore) self = NULL;
  g_autofree char *db_path = NULL;

  g_return_val_if_fail (data_dir != NULL, NULL);

  self = g_object_new (FERRY_TYPE_STORE, NULL);
  self->dir = g_file_new_for_path (data_dir);
  self->dir_path = g_file_get_path (self->dir);
  self->blobs_path = g_build_filename (self->dir_path, "blobs", NULL);
  self->partial_path = g_build_filename (self->dir_path, "partial", NULL);

  if (!make_dir (self->dir_path, error) ||
      !make_dir (self->blobs_path, error) ||
      !make_dir (self->partial_path, error))
    return NULL;

  db_path = g_build_filename (self->dir_path, "catalogue.sqlite", NULL);
  self->catalogue = ferry_catalogue_open (db_path, error);
  if (!self->catalogue)
    return NULL;

  return g_steal_pointer (&self);
}

void
ferry_store_close (FerryStore *self)
{
  g_return_if_fail (FERRY_IS_STORE (self));

  if (self->catalogue)
    ferry_catalogue_close (self->catalogue);
}

FerryCatalogue *
ferry_store_get_catalogue (FerryStore *self)
{
  g_return_val_if_fail (FERRY_IS_STORE (self), NULL);
  return self->catalogue;
}

GFile *
ferry_store_get_dir (FerryStore *self)
{
  g_return_val_if_fail (FERRY_IS_STORE (self), NULL);
  return self->dir;
}

GFile *
ferry_store_get_partial_file (FerryStore *self,
                              const char *token)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (FERRY_IS_STORE (self), NULL);
  g_return_val_if_fail (ferry_id_is_valid (token), NULL);

  path = g_build_filename (self->partial_path, token, NULL);
  return g_file_new_for_path (path);
}

GFile *
ferry_store_get_blob_file (FerryStore *self,
                           const char *id)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (FERRY_IS_STORE (self), NULL);
  g_return_val_if_fail (ferry_id_is_valid (id), NULL);

  path = g_build_filename (self->blobs_path, id, NULL);
  return g_file_new_for_path (path);
}

char *
ferry_store_new_token (void)
{
  return g_strdup_printf ("%08" G_GINT32_MODIFIER "x%08" G_GINT32_MODIFIER "x",
                          g_random_int (), g_random_int ());
}

void
ferry_store_set_quota (FerryStore *self,
                       guint64     quota)
{
  g_return_if_fail (FERRY_IS_STORE (self));
  self->quota = quota;
}

guint64
ferry_store_get_used (FerryStore *self)
{
  g_return_val_if_fail (FERRY_IS_STORE (self), 0);
  return self->committed + self->written + self->ahead;
}

/* Reservations. */

static void
address_add (FerryStore *self,
             const char *address,
             guint64     size)
{
  guint64 *held = g_hash_table_lookup (self->ahead_by_address, address);

  if (!held)
    {
      held = g_new0 (guint64, 1);
      g_hash_table_insert (self->ahead_by_address, g_strdup (address), held);
    }
  *held += size;
}

static void
address_sub (FerryStore *self,
             const char *address,
             guint64     size)
{
  guint64 *held = g_hash_table_lookup (self->ahead_by_address, address);

  g_return_if_fail (held != NULL && *held >= size);
  *held -= size;
  if (*held == 0)
    g_hash_table_remove (self->ahead_by_address, address);
}

static guint64
address_ahead (FerryStore *self,
               const char *address)
{
  guint64 *held = g_hash_table_lookup (self->ahead_by_address, address);

  return held ? *held : 0;
}

typedef struct
{
  char    *address;         /* NULL: a check before ACCEPT, which reserves nothing */
  guint64  need;            /* for a check: the file's size */
  guint64  want;
  guint64  rest;            /* what is still to come of the file, for messages */
  guint64  written_total;   /* when the free space was read */
  guint    generation;
} SpaceRequest;

static void
space_request_free (SpaceRequest *req)
{
  g_free (req->address);
  g_free (req);
}

static void space_query (FerryStore *self, GTask *task);

static GError *
no_space_error (FerryStore   *self,
                SpaceRequest *req,
                gboolean      quota,
                guint64       room)
{
  g_autofree char *room_text = ferry_format_size (room);
  g_autofree char *rest_text = ferry_format_size (req->rest);
  g_autofree char *quota_text = ferry_format_size (self->quota);

  if (quota && !req->address)
    return g_error_new (FERRY_ERROR, FERRY_ERROR_NO_SPACE,
                        /* Translators: "… has 1.0 MB left of 100 MB, and this file is 5.0 MB." */
                        _("The server's storage quota has %s left of %s, and this file is %s."),
                        room_text, quota_text, rest_text);
  if (quota)
    return g_error_new (FERRY_ERROR, FERRY_ERROR_NO_SPACE,
                        /* Translators: "… has 0 bytes left of 100 MB, and 2.0 MB of this file
                         * are still to come." */
                        _("The server's storage quota is full: it has %s left of %s, and %s of "
                          "this file are still to come."),
                        room_text, quota_text, rest_text);
  if (!req->address)
    return g_error_new (FERRY_ERROR, FERRY_ERROR_NO_SPACE,
                        _("The server's disk has room for %s more, and this file is %s."),
                        room_text, rest_text);
  return g_error_new (FERRY_ERROR, FERRY_ERROR_NO_SPACE,
                      _("The server's disk is full: it has room for %s more, and %s of this "
                        "file are still to come."),
                      room_text, rest_text);
}

static void
space_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FerryStore *self = g_task_get_source_object (task);
  SpaceRequest *req = g_task_get_task_data (task);
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  guint64 quota_room = G_MAXUINT64;
  guint64 disk_room = G_MAXUINT64;
  guint64 grant;
  guint64 held;

  info = g_file_query_filesystem_info_finish (G_FILE (object), result, &error);
  if (!info && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (self->quota > 0)
    {
      guint64 used = ferry_store_get_used (self);

      quota_room = used < self->quota ? self->quota - used : 0;
    }

  if (info && g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE))
    {
      guint64 free_bytes = g_file_info_get_attribute_uint64 (info,
                                                             G_FILE_ATTRIBUTE_FILESYSTEM_FREE);
      guint64 since = self->written_total - req->written_total;
      guint64 margin = FREE_SPACE_MARGIN;

      if (g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_FILESYSTEM_SIZE))
        margin = MIN (margin, g_file_info_get_attribute_uint64 (info,
                                                                G_FILE_ATTRIBUTE_FILESYSTEM_SIZE)
                              / 16);
      /* Bytes written since the reading may be missing from it, and they no longer count as
       * reserved ahead: take them off, which errs on the safe side. */
      free_bytes -= MIN (free_bytes, since);
      disk_room = free_bytes > margin + self->ahead ? free_bytes - margin - self->ahead : 0;
    }
  else
    g_warning ("Could not check the free space in %s: %s", self->dir_path,
               error ? error->message : "no information");

  if (req->need > quota_room)
    {
      g_task_return_error (task, no_space_error (self, req, TRUE, quota_room));
      return;
    }
  if (req->need > disk_room)
    {
      /* An unfinished upload's file is being removed: wait for that room, then look again. */
      if (self->n_freeing > 0)
        {
          g_ptr_array_add (self->space_waiters, g_steal_pointer (&task));
          return;
        }
      if (self->free_generation != req->generation)
        {
          space_query (self, g_steal_pointer (&task));
          return;
        }
      g_task_return_error (task, no_space_error (self, req, FALSE, disk_room));
      return;
    }

  if (!req->address)
    {
      g_task_return_int (task, 1);
      return;
    }

  /* Between @need and @want, within both limits and the address's share of the room ahead. */
  grant = MIN (req->want, MIN (quota_room, disk_room));
  held = address_ahead (self, req->address);
  /* An address at its share gets only what the data at hand needs. */
  grant = MIN (grant, held < FERRY_STORE_ADDRESS_AHEAD_MAX ?
                        FERRY_STORE_ADDRESS_AHEAD_MAX - held : 0);
  grant = MAX (grant, req->need);

  self->ahead += grant;
  address_add (self, req->address, grant);
  g_task_return_int (task, (gssize) grant);
}

/* Takes @task. */
static void
space_query (FerryStore *self,
             GTask      *task)
{
  SpaceRequest *req = g_task_get_task_data (task);

  req->written_total = self->written_total;
  req->generation = self->free_generation;
  g_file_query_filesystem_info_async (self->dir,
                                      G_FILE_ATTRIBUTE_FILESYSTEM_FREE ","
                                      G_FILE_ATTRIBUTE_FILESYSTEM_SIZE,
                                      G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                                      space_cb, task);
}

static void
space_request (FerryStore          *self,
               gpointer             source_tag,
               const char          *address,
               guint64              need,
               guint64              want,
               guint64              rest,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  GTask *task;
  SpaceRequest *req;

  req = g_new0 (SpaceRequest, 1);
  req->address = g_strdup (address);
  req->need = need;
  req->want = MAX (want, need);
  req->rest = rest;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, req, (GDestroyNotify) space_request_free);
  space_query (self, task);
}

void
ferry_store_check_upload_async (FerryStore          *self,
                                guint64              size,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (FERRY_IS_STORE (self));

  space_request (self, ferry_store_check_upload_async, NULL, size, size, size,
                 cancellable, callback, user_data);
}

gboolean
ferry_store_check_upload_finish (FerryStore    *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_int (G_TASK (result), error) > 0;
}

void
ferry_store_reserve_async (FerryStore          *self,
                           const char          *address,
                           guint64              need,
                           guint64              want,
                           guint64              rest,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (FERRY_IS_STORE (self));
  g_return_if_fail (address != NULL);
  g_return_if_fail (need > 0 && need <= G_MAXSSIZE && want <= G_MAXSSIZE);

  space_request (self, ferry_store_reserve_async, address, need, want, rest,
                 cancellable, callback, user_data);
}

guint64
ferry_store_reserve_finish (FerryStore    *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  gssize grant;

  g_return_val_if_fail (g_task_is_valid (result, self), 0);

  grant = g_task_propagate_int (G_TASK (result), error);
  return grant > 0 ? (guint64) grant : 0;
}

void
ferry_store_charge (FerryStore *self,
                    const char *address,
                    guint64     size)
{
  g_return_if_fail (FERRY_IS_STORE (self));
  g_return_if_fail (size <= self->ahead);

  self->ahead -= size;
  self->written += size;
  self->written_total += size;
  address_sub (self, address, size);
}

void
ferry_store_release (FerryStore *self,
                     const char *address,
                     guint64     ahead,
                     guint64     written)
{
  g_return_if_fail (FERRY_IS_STORE (self));
  g_return_if_fail (ahead <= self->ahead && written <= self->written);

  self->ahead -= ahead;
  self->written -= written;
  if (ahead > 0)
    address_sub (self, address, ahead);
}

typedef struct
{
  GFile         *file;
  GOutputStream *stream;
} DeleteData;

static void
delete_data_free (DeleteData *data)
{
  g_clear_object (&data->file);
  g_clear_object (&data->stream);
  g_free (data);
}

static void
delete_partial_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  DeleteData *data = task_data;
  g_autoptr(GError) error = NULL;

  /* An open file keeps its blocks after the unlink, until its last descriptor is closed, which
   * may be much later: empty it first. A write still in flight lands in a sparse file. */
  if (G_IS_FILE_DESCRIPTOR_BASED (data->stream))
    {
      int fd = g_file_descriptor_based_get_fd (G_FILE_DESCRIPTOR_BASED (data->stream));

      if (fd >= 0 && ftruncate (fd, 0) != 0)
        g_debug ("Could not empty %s: %s", g_file_peek_path (data->file), g_strerror (errno));
    }

  if (!g_file_delete (data->file, NULL, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    g_warning ("Could not remove the unfinished upload %s: %s",
               g_file_peek_path (data->file), error->message);
  g_task_return_boolean (task, TRUE);
}

static void
delete_partial_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FerryStore *self = FERRY_STORE (object);

  self->n_freeing--;
  self->free_generation++;
  if (self->n_freeing == 0 && self->space_waiters->len > 0)
    {
      g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->space_waiters);

      self->space_waiters = g_ptr_array_new ();
      for (guint i = 0; i < waiters->len; i++)
        space_query (self, g_ptr_array_index (waiters, i));
    }

  g_task_return_boolean (task, g_task_propagate_boolean (G_TASK (result), NULL));
}

void
ferry_store_delete_partial_async (FerryStore          *self,
                                  GFile               *file,
                                  GOutputStream       *stream,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) inner = NULL;
  GTask *task;
  DeleteData *data;

  g_return_if_fail (FERRY_IS_STORE (self));
  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (!stream || G_IS_OUTPUT_STREAM (stream));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, ferry_store_delete_partial_async);

  data = g_new0 (DeleteData, 1);
  data->file = g_object_ref (file);
  data->stream = stream ? g_object_ref (stream) : NULL;
  inner = g_task_new (self, NULL, delete_partial_cb, task);
  g_task_set_task_data (inner, data, (GDestroyNotify) delete_data_free);

  self->n_freeing++;
  g_task_run_in_thread (inner, delete_partial_thread);
}

gboolean
ferry_store_delete_partial_finish (FerryStore    *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
ferry_store_is_busy (FerryStore *self)
{
  g_return_val_if_fail (FERRY_IS_STORE (self), FALSE);
  return g_atomic_int_get (&self->n_busy) > 0;
}

static gboolean
fsync_path (const char  *path,
            gboolean     directory,
            GError     **error)
{
  int fd;
  int errsv;

  fd = g_open (path, O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0), 0);
  if (fd < 0 || fsync (fd) != 0)
    {
      errsv = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Could not flush %s to disk: %s."), path, g_strerror (errsv));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

static void
to_internal (GError **error)
{
  GError *inner;

  if (!error || !*error || (*error)->domain == FERRY_ERROR)
    return;
  inner = *error;
  *error = g_error_new (FERRY_ERROR, FERRY_ERROR_INTERNAL,
                        _("The server could not store the file: %s"), inner->message);
  g_error_free (inner);
}

/* Startup reconciliation. */

/* Moves @path (a blob the catalogue does not account for) to DIR/lost+found/, under its own name
 * or, when that is taken, NAME.1, NAME.2 and so on: reconciliation never deletes file data that
 * may be the only copy of an upload. Returns the new path, or NULL after a warning. */
static char *
move_to_lost_found (FerryStore *self,
                    const char *path,
                    const char *name)
{
  g_autofree char *dir = g_build_filename (self->dir_path, "lost+found", NULL);
  g_autofree char *target = NULL;
  g_autoptr(GError) error = NULL;

  if (!make_dir (dir, &error))
    {
      g_warning ("%s The blob %s stays where it is.", error->message, path);
      return NULL;
    }

  target = g_build_filename (dir, name, NULL);
  for (guint n = 1; g_file_test (target, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK); n++)
    {
      g_autofree char *unique = g_strdup_printf ("%s.%u", name, n);

      g_free (target);
      target = g_build_filename (dir, unique, NULL);
    }

  if (g_rename (path, target) != 0)
    {
      g_warning ("Could not move %s to %s: %s; it stays where it is", path, target,
                 g_strerror (errno));
      return NULL;
    }
  if (!fsync_path (dir, TRUE, &error) || !fsync_path (self->blobs_path, TRUE, &error))
    g_warning ("%s", error->message);
  return g_steal_pointer (&target);
}

GPtrArray *
ferry_store_reconcile (FerryStore  *self,
                       GError     **error)
{
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) kept = NULL;
  g_autoptr(GHashTable) known = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;
  guint n_partial = 0;

  g_return_val_if_fail (FERRY_IS_STORE (self), NULL);

  rows = ferry_catalogue_list (self->catalogue, error);
  if (!rows)
    return NULL;

  kept = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_catalogue_row_unref);
  known = g_hash_table_new (g_str_hash, g_str_equal);
  self->committed = 0;

  for (guint i = 0; i < rows->len; i++)
    {
      FerryCatalogueRow *row = g_ptr_array_index (rows, i);
      g_autoptr(GError) local_error = NULL;
      g_autofree char *blob = NULL;
      GStatBuf st;

      if (!ferry_id_is_valid (row->id))
        {
          g_warning ("Catalogue row with the invalid id “%s” removed", row->id);
          ferry_catalogue_delete (self->catalogue, row->id, NULL);
          continue;
        }

      blob = g_build_filename (self->blobs_path, row->id, NULL);
      if (g_stat (blob, &st) != 0 || !S_ISREG (st.st_mode))
        {
          g_warning ("Offer %s (“%s”) has no blob; removed from the catalogue",
                     row->id, row->name);
          if (!ferry_catalogue_delete (self->catalogue, row->id, &local_error))
            g_warning ("%s", local_error->message);
          continue;
        }
      if ((guint64) st.st_size != row->size)
        {
          g_autofree char *kept_as = NULL;

          if (!ferry_catalogue_delete (self->catalogue, row->id, &local_error))
            g_warning ("%s", local_error->message);
          kept_as = move_to_lost_found (self, blob, row->id);
          g_warning ("Offer %s (“%s”) has a blob of %" G_GUINT64_FORMAT " bytes instead of %"
                     G_GUINT64_FORMAT "; removed from the catalogue, blob moved to %s",
                     row->id, row->name, (guint64) st.st_size, row->size,
                     kept_as ? kept_as : blob);
          continue;
        }

      self->committed += row->size;
      g_hash_table_add (known, row->id);
      g_ptr_array_add (kept, ferry_catalogue_row_ref (row));
    }

  dir = g_dir_open (self->blobs_path, 0, error);
  if (!dir)
    return NULL;
  while ((name = g_dir_read_name (dir)))
    {
      g_autofree char *path = NULL;
      g_autofree char *kept_as = NULL;

      if (g_hash_table_contains (known, name))
        continue;
      /* A committed upload whose row was lost (a power cut before SQLite synced, a damaged
       * catalogue): keep its data for the operator. */
      path = g_build_filename (self->blobs_path, name, NULL);
      kept_as = move_to_lost_found (self, path, name);
      if (kept_as)
        g_warning ("Blob %s has no catalogue row; moved to %s", path, kept_as);
    }
  g_clear_pointer (&dir, g_dir_close);

  dir = g_dir_open (self->partial_path, 0, error);
  if (!dir)
    return NULL;
  while ((name = g_dir_read_name (dir)))
    {
      g_autofree char *path = g_build_filename (self->partial_path, name, NULL);

      if (g_unlink (path) != 0)
        g_warning ("Could not remove %s: %s", path, g_strerror (errno));
      else
        n_partial++;
    }
  if (n_partial > 0)
    g_message ("Removed %u unfinished upload(s) from %s", n_partial, self->partial_path);

  return g_steal_pointer (&kept);
}

/* Commit. */

typedef struct
{
  GOutputStream     *stream;
  char              *token;
  FerryCatalogueRow *row;
} CommitData;

static void
commit_data_free (CommitData *data)
{
  g_clear_object (&data->stream);
  g_clear_pointer (&data->token, g_free);
  g_clear_pointer (&data->row, ferry_catalogue_row_unref);
  g_free (data);
}

static gboolean
commit_in_thread (FerryStore  *self,
                  CommitData  *data,
                  GError     **error)
{
  g_autofree char *partial = g_build_filename (self->partial_path, data->token, NULL);
  g_autofree char *blob = NULL;
  g_autofree char *id = NULL;
  int fd = -1;

  if (G_IS_FILE_DESCRIPTOR_BASED (data->stream))
    fd = g_file_descriptor_based_get_fd (G_FILE_DESCRIPTOR_BASED (data->stream));
  if (fd >= 0)
    {
      if (fsync (fd) != 0)
        {
          int errsv = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                       _("Could not flush %s to disk: %s."), partial, g_strerror (errsv));
          return FALSE;
        }
    }
  else if (!fsync_path (partial, FALSE, error))
    return FALSE;

  if (!g_output_stream_close (data->stream, NULL, error))
    return FALSE;

  for (guint attempt = 0; ; attempt++)
    {
      g_clear_pointer (&id, g_free);
      g_clear_pointer (&blob, g_free);
      id = ferry_store_new_token ();
      blob = g_build_filename (self->blobs_path, id, NULL);
      if (!g_file_test (blob, G_FILE_TEST_EXISTS))
        break;
      if (attempt > 16)
        {
          g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_INTERNAL,
                               _("The server could not find a free id for the file."));
          return FALSE;
        }
    }

  if (g_rename (partial, blob) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Could not move %s to %s: %s."), partial, blob, g_strerror (errsv));
      return FALSE;
    }

  if (!fsync_path (self->blobs_path, TRUE, error))
    {
      g_unlink (blob);
      return FALSE;
    }

  data->row->id = g_steal_pointer (&id);
  if (!ferry_catalogue_insert (self->catalogue, data->row, error))
    {
      g_unlink (blob);
      return FALSE;
    }

  return TRUE;
}

static void
commit_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  FerryStore *self = source_object;
  CommitData *data = task_data;
  GError *error = NULL;

  if (commit_in_thread (self, data, &error))
    g_task_return_pointer (task, ferry_catalogue_row_ref (data->row),
                           (GDestroyNotify) ferry_catalogue_row_unref);
  else
    {
      to_internal (&error);
      g_task_return_error (task, error);
    }
  g_atomic_int_dec_and_test (&self->n_busy);
}

void
ferry_store_commit_async (FerryStore          *self,
                          GOutputStream       *stream,
                          const char          *token,
                          FerryCatalogueRow   *row,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  CommitData *data;

  g_return_if_fail (FERRY_IS_STORE (self));
  g_return_if_fail (G_IS_OUTPUT_STREAM (stream));
  g_return_if_fail (ferry_id_is_valid (token));
  g_return_if_fail (row != NULL && row->id == NULL);

  data = g_new0 (CommitData, 1);
  data->stream = g_object_ref (stream);
  data->token = g_strdup (token);
  data->row = ferry_catalogue_row_ref (row);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_store_commit_async);
  g_task_set_task_data (task, data, (GDestroyNotify) commit_data_free);
  /* Once started, a commit runs to its end: a half-done commit is worse than a late one. */
  g_task_set_return_on_cancel (task, FALSE);

  g_atomic_int_inc (&self->n_busy);
  g_task_run_in_thread (task, commit_thread);
}

FerryCatalogueRow *
ferry_store_commit_finish (FerryStore    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  FerryCatalogueRow *row;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  row = g_task_propagate_pointer (G_TASK (result), error);
  if (row)
    self->committed += row->size;
  return row;
}

/* Removal. */

typedef struct
{
  char    *id;
  guint64  size;
} RemoveData;

static void
remove_data_free (RemoveData *data)
{
  g_free (data->id);
  g_free (data);
}

static void
remove_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  FerryStore *self = source_object;
  RemoveData *data = task_data;
  g_autofree char *blob = g_build_filename (self->blobs_path, data->id, NULL);
  GError *error = NULL;

  if (!ferry_catalogue_delete (self->catalogue, data->id, &error))
    {
      g_task_return_error (task, error);
    }
  else
    {
      if (g_unlink (blob) != 0 && errno != ENOENT)
        g_warning ("Could not remove the blob %s: %s", blob, g_strerror (errno));
      g_task_return_boolean (task, TRUE);
    }
  g_atomic_int_dec_and_test (&self->n_busy);
}

void
ferry_store_remove_async (FerryStore          *self,
                          const char          *id,
                          guint64              size,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  RemoveData *data;

  g_return_if_fail (FERRY_IS_STORE (self));
  g_return_if_fail (ferry_id_is_valid (id));

  data = g_new0 (RemoveData, 1);
  data->id = g_strdup (id);
  data->size = size;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_store_remove_async);
  g_task_set_task_data (task, data, (GDestroyNotify) remove_data_free);
  g_task_set_return_on_cancel (task, FALSE);

  g_atomic_int_inc (&self->n_busy);
  g_task_run_in_thread (task, remove_thread);
}

gboolean
ferry_store_remove_finish (FerryStore    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  RemoveData *data;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  data = g_task_get_task_data (G_TASK (result));
  self->committed -= MIN (self->committed, data->size);
  return TRUE;
}
