/* ferry-local-blob-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-local-blob-store"

#include "config.h"

#include "ferry-local-blob-store.h"
#include "ferry-local-blob-store-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <gio/gfiledescriptorbased.h>

#include "ferry-error.h"
#include "ferry-message.h"

/* Free disk space kept out of reach of uploads: 64 MiB, or 1/16 of a small filesystem. */
#define FREE_SPACE_MARGIN ((guint64) 64 * 1024 * 1024)

struct _FerryLocalBlobStore
{
  GObject parent_instance;

  /* owned */
  GFile *dir;
  char  *dir_path;
  char  *blobs_path;
  char  *partial_path;
};

static void blob_store_iface_init (FerryBlobStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FerryLocalBlobStore, ferry_local_blob_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (FERRY_TYPE_BLOB_STORE,
                                                      blob_store_iface_init))

static void
ferry_local_blob_store_finalize (GObject *object)
{
  FerryLocalBlobStore *self = FERRY_LOCAL_BLOB_STORE (object);

  g_clear_object (&self->dir);
  g_clear_pointer (&self->dir_path, g_free);
  g_clear_pointer (&self->blobs_path, g_free);
  g_clear_pointer (&self->partial_path, g_free);

  G_OBJECT_CLASS (ferry_local_blob_store_parent_class)->finalize (object);
}

static void
ferry_local_blob_store_class_init (FerryLocalBlobStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ferry_local_blob_store_finalize;
}

static void
ferry_local_blob_store_init (FerryLocalBlobStore *self)
{
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

FerryLocalBlobStore *
ferry_local_blob_store_new (const char  *data_dir,
                            GError     **error)
{
  g_autoptr(FerryLocalBlobStore) self = NULL;

  g_return_val_if_fail (data_dir != NULL, NULL);

  self = g_object_new (FERRY_TYPE_LOCAL_BLOB_STORE, NULL);
  self->dir = g_file_new_for_path (data_dir);
  self->dir_path = g_file_get_path (self->dir);
  self->blobs_path = g_build_filename (self->dir_path, "blobs", NULL);
  self->partial_path = g_build_filename (self->dir_path, "partial", NULL);

  if (!make_dir (self->dir_path, error) ||
      !make_dir (self->blobs_path, error) ||
      !make_dir (self->partial_path, error))
    return NULL;

  return g_steal_pointer (&self);
}

const char *
ferry_local_partial_dir (FerryLocalBlobStore *self)
{
  return self->partial_path;
}

char *
ferry_local_partial_path (FerryLocalBlobStore *self,
                          const char          *token)
{
  return g_build_filename (self->partial_path, token, NULL);
}

static char *
blob_path (FerryLocalBlobStore *self,
           const char          *id)
{
  return g_build_filename (self->blobs_path, id, NULL);
}

/* Logs what went wrong with @path and sets @error to @sentence, which names no path: the
 * client is told what failed, the operator where. */
void
ferry_local_set_error (GError     **error,
                       int          code,
                       const char  *sentence,
                       const char  *path,
                       const char  *reason)
{
  g_warning ("%s (%s: %s)", sentence, path, reason);
  g_set_error_literal (error, FERRY_ERROR, code, sentence);
}

static gboolean
fsync_path (const char  *path,
            gboolean     directory,
            int         *errsv)
{
  int fd;

  fd = g_open (path, O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0), 0);
  if (fd < 0 || fsync (fd) != 0)
    {
      *errsv = errno;
      if (fd >= 0)
        close (fd);
      return FALSE;
    }
  close (fd);
  return TRUE;
}

/* Uploads. */

static void
create_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FerryLocalBlobStore *self = g_task_get_source_object (task);
  g_autoptr(GFileOutputStream) stream = NULL;
  g_autoptr(GError) error = NULL;

  stream = g_file_create_finish (G_FILE (object), result, &error);
  if (!stream)
    {
      GError *sentence = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      ferry_local_set_error (&sentence, FERRY_ERROR_INTERNAL,
                             _("The server could not start the upload."),
                             g_file_peek_path (G_FILE (object)), error->message);
      g_task_return_error (task, sentence);
      return;
    }

  g_task_return_pointer (task,
                         ferry_blob_upload_new (FERRY_BLOB_STORE (self),
                                                g_task_get_task_data (task),
                                                G_OUTPUT_STREAM (stream), 0),
                         g_object_unref);
}

static void
local_begin_upload_async (FerryBlobStore      *store,
                          const char          *token,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  FerryLocalBlobStore *self = FERRY_LOCAL_BLOB_STORE (store);
  g_autofree char *path = ferry_local_partial_path (self, token);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  GTask *task;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, local_begin_upload_async);
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, g_strdup (token), g_free);
  g_file_create_async (file, G_FILE_CREATE_PRIVATE, G_PRIORITY_DEFAULT, cancellable,
                       create_cb, task);
}

static int
stream_fd (GOutputStream *stream)
{
  if (!G_IS_FILE_DESCRIPTOR_BASED (stream))
    return -1;
  return g_file_descriptor_based_get_fd (G_FILE_DESCRIPTOR_BASED (stream));
}

/* No rename(2) over an existing blob, even if a stray file has the id: it may be the only
 * copy of something. */
static int
rename_no_replace (const char *from,
                   const char *to)
{
#ifdef RENAME_NOREPLACE
  if (renameat2 (AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
    return 0;
  if (errno != EINVAL && errno != ENOSYS)
    return -1;
#endif
  if (g_file_test (to, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK))
    {
      errno = EEXIST;
      return -1;
    }
  return g_rename (from, to);
}

/* In a worker thread. */
static gboolean
local_commit_upload (FerryBlobStore   *store,
                     FerryBlobUpload  *upload,
                     const char       *id,
                     GError          **error)
{
  FerryLocalBlobStore *self = FERRY_LOCAL_BLOB_STORE (store);
  const char *sentence = _("The server could not store the file.");
  const char *token = ferry_blob_upload_get_token (upload);
  g_autofree char *partial = ferry_local_partial_path (self, token);
  g_autofree char *blob = blob_path (self, id);
  g_autoptr(GError) close_error = NULL;
  GOutputStream *stream = ferry_blob_upload_get_stream (upload);
  int fd = stream_fd (stream);
  int errsv = 0;

  if (fd >= 0 ? fsync (fd) != 0 : !fsync_path (partial, FALSE, &errsv))
    {
      if (fd >= 0)
        errsv = errno;
      ferry_local_set_error (error, FERRY_ERROR_INTERNAL, sentence, partial, g_strerror (errsv));
      return FALSE;
    }

  if (!g_output_stream_close (stream, NULL, &close_error))
    {
      ferry_local_set_error (error, FERRY_ERROR_INTERNAL, sentence, partial, close_error->message);
      return FALSE;
    }

  if (rename_no_replace (partial, blob) != 0)
    {
      g_autofree char *reason = NULL;

      errsv = errno;
      reason = g_strdup_printf ("moving it to %s: %s", blob, g_strerror (errsv));
      ferry_local_set_error (error, FERRY_ERROR_INTERNAL, sentence, partial, reason);
      return FALSE;
    }

  if (!fsync_path (self->blobs_path, TRUE, &errsv))
    {
      ferry_local_set_error (error, FERRY_ERROR_INTERNAL, sentence, self->blobs_path,
                             g_strerror (errsv));
      g_unlink (blob);
      return FALSE;
    }
  return TRUE;
}

/* In a worker thread. */
static void
local_abort_upload (FerryBlobStore  *store,
                    FerryBlobUpload *upload)
{
  FerryLocalBlobStore *self = FERRY_LOCAL_BLOB_STORE (store);
  const char *token = ferry_blob_upload_get_token (upload);
  g_autofree char *partial = ferry_local_partial_path (self, token);
  int fd = stream_fd (ferry_blob_upload_get_stream (upload));

  /* An open file keeps its blocks after the unlink, until its last descriptor is closed, which
   * may be much later: empty it first. A write still in flight lands in a sparse file. */
  if (fd >= 0 && !g_output_stream_is_closed (ferry_blob_upload_get_stream (upload)) &&
      ftruncate (fd, 0) != 0)
    g_debug ("Could not empty %s: %s", partial, g_strerror (errno));

  if (g_unlink (partial) != 0 && errno != ENOENT)
    g_warning ("Could not remove the unfinished upload %s: %s", partial, g_strerror (errno));
}

/* In a worker thread. */
static gboolean
local_remove (FerryBlobStore  *store,
              const char      *id,
              GError         **error)
{
  g_autofree char *blob = blob_path (FERRY_LOCAL_BLOB_STORE (store), id);

  if (g_unlink (blob) != 0 && errno != ENOENT)
    {
      ferry_local_set_error (error, FERRY_ERROR_INTERNAL,
                             _("The server could not remove the file."),
                             blob, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

/* Reading. */

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  guint64 offset = *(guint64 *) g_task_get_task_data (task);
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  GError *sentence = NULL;

  stream = g_file_read_finish (G_FILE (object), result, &error);
  if (!stream)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_task_return_new_error (task, FERRY_ERROR, FERRY_ERROR_NOT_FOUND, "%s",
                                 _("No file with that id is shared."));
      else
        {
          ferry_local_set_error (&sentence, FERRY_ERROR_INTERNAL,
                                 _("The server could not open the file."),
                                 g_file_peek_path (G_FILE (object)), error->message);
          g_task_return_error (task, sentence);
        }
      return;
    }

  /* lseek(2) only moves a number; it does not wait for the disk. */
  if (offset > 0 &&
      !g_seekable_seek (G_SEEKABLE (stream), (goffset) offset, G_SEEK_SET, NULL, &error))
    {
      ferry_local_set_error (&sentence, FERRY_ERROR_INTERNAL,
                             _("The server could not open the file."),
                             g_file_peek_path (G_FILE (object)), error->message);
      g_task_return_error (task, sentence);
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&stream), g_object_unref);
}

static void
local_open_async (FerryBlobStore      *store,
                  const char          *id,
                  guint64              offset,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data)
{
  FerryLocalBlobStore *self = FERRY_LOCAL_BLOB_STORE (store);
  g_autofree char *path = blob_path (self, id);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  GTask *task;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, local_open_async);
  g_task_set_task_data (task, g_memdup2 (&offset, sizeof offset), g_free);
  g_file_read_async (file, G_PRIORITY_DEFAULT, cancellable, read_cb, task);
}

/* Free space. */

static void
filesystem_info_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FerryLocalBlobStore *self = g_task_get_source_object (task);
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  guint64 free_bytes;
  guint64 margin = FREE_SPACE_MARGIN;

  info = g_file_query_filesystem_info_finish (G_FILE (object), result, &error);
  if (!info)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               "%s does not report its free space", self->dir_path);
      return;
    }

  free_bytes = g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE);
  if (g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_FILESYSTEM_SIZE))
    margin = MIN (margin,
                  g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_FILESYSTEM_SIZE) / 16);
  g_task_return_int (task, (gssize) MIN (free_bytes > margin ? free_bytes - margin : 0,
                                         (guint64) G_MAXSSIZE));
}

static void
local_query_space_async (FerryBlobStore      *store,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  FerryLocalBlobStore *self = FERRY_LOCAL_BLOB_STORE (store);
  GTask *task;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, local_query_space_async);
  g_file_query_filesystem_info_async (self->dir,
                                      G_FILE_ATTRIBUTE_FILESYSTEM_FREE ","
                                      G_FILE_ATTRIBUTE_FILESYSTEM_SIZE,
                                      G_PRIORITY_DEFAULT, cancellable,
                                      filesystem_info_cb, task);
}

/* Startup reconciliation. */

/* Moves @path (a blob the catalogue does not account for) to DIR/lost+found/, under its own name
 * or, when that is taken, NAME.1, NAME.2 and so on: reconciliation never deletes file data that
 * may be the only copy of an upload. Returns the new path, or NULL after a warning. */
static char *
move_to_lost_found (FerryLocalBlobStore *self,
                    const char          *path,
                    const char          *name)
{
  g_autofree char *dir = g_build_filename (self->dir_path, "lost+found", NULL);
  g_autofree char *target = NULL;
  g_autoptr(GError) error = NULL;
  int errsv;

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
  if (!fsync_path (dir, TRUE, &errsv))
    g_warning ("Could not flush %s to disk: %s.", dir, g_strerror (errsv));
  else if (!fsync_path (self->blobs_path, TRUE, &errsv))
    g_warning ("Could not flush %s to disk: %s.", self->blobs_path, g_strerror (errsv));
  return g_steal_pointer (&target);
}

static GPtrArray *
local_reconcile (FerryBlobStore  *store,
                 FerryCatalogue  *catalogue,
                 GError         **error)
{
  FerryLocalBlobStore *self = FERRY_LOCAL_BLOB_STORE (store);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) kept = NULL;
  g_autoptr(GHashTable) known = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;

  rows = ferry_catalogue_list (catalogue, error);
  if (!rows)
    return NULL;

  kept = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_catalogue_row_unref);
  known = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < rows->len; i++)
    {
      FerryCatalogueRow *row = g_ptr_array_index (rows, i);
      g_autoptr(GError) local_error = NULL;
      g_autofree char *blob = NULL;
      GStatBuf st;

      if (!ferry_id_is_valid (row->id))
        {
          g_warning ("Catalogue row with the invalid id “%s” removed", row->id);
          ferry_catalogue_remove (catalogue, row->id, NULL);
          continue;
        }

      blob = blob_path (self, row->id);
      if (g_stat (blob, &st) != 0 || !S_ISREG (st.st_mode))
        {
          g_warning ("Offer %s (“%s”) has no blob; removed from the catalogue",
                     row->id, row->name);
          if (!ferry_catalogue_remove (catalogue, row->id, &local_error))
            g_warning ("%s", local_error->message);
          continue;
        }
      if ((guint64) st.st_size != row->size)
        {
          g_autofree char *kept_as = NULL;

          if (!ferry_catalogue_remove (catalogue, row->id, &local_error))
            g_warning ("%s", local_error->message);
          kept_as = move_to_lost_found (self, blob, row->id);
          g_warning ("Offer %s (“%s”) has a blob of %" G_GUINT64_FORMAT " bytes instead of %"
                     G_GUINT64_FORMAT "; removed from the catalogue, blob moved to %s",
                     row->id, row->name, (guint64) st.st_size, row->size,
                     kept_as ? kept_as : blob);
          continue;
        }

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
      path = blob_path (self, name);
      kept_as = move_to_lost_found (self, path, name);
      if (kept_as)
        g_warning ("Blob %s has no catalogue row; moved to %s", path, kept_as);
    }
  g_clear_pointer (&dir, g_dir_close);

  return g_steal_pointer (&kept);
}

static void
blob_store_iface_init (FerryBlobStoreInterface *iface)
{
  iface->begin_upload_async = local_begin_upload_async;
  iface->open_async = local_open_async;
  iface->query_space_async = local_query_space_async;
  iface->commit_upload = local_commit_upload;
  iface->abort_upload = local_abort_upload;
  iface->remove = local_remove;
  iface->reconcile = local_reconcile;
  ferry_local_blob_store_partials_init (iface);
}
