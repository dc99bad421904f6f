/* ferry-local-blob-store-partials.c: FerryLocalBlobStore's partial uploads kept for resuming
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-local-blob-store"

#include "config.h"

#include "ferry-local-blob-store-private.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <gio/gfiledescriptorbased.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>

#include "ferry-error.h"
#include "ferry-message.h"

/* Opens partial @token (a regular file, never through a link) with @flags; returns the
 * descriptor and its length, or -1 with @error set. */
static int
open_partial (FerryLocalBlobStore  *self,
              const char           *token,
              int                   flags,
              guint64              *length,
              GError              **error)
{
  g_autofree char *path = ferry_local_partial_path (self, token);
  struct stat st;
  int fd;

  fd = g_open (path, flags | O_CLOEXEC | O_NOFOLLOW, 0);
  if (fd < 0 || fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      int errsv = errno;

      if (fd >= 0)
        close (fd);
      else if (errsv == ENOENT)
        {
          g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                               _("The unfinished upload is gone."));
          return -1;
        }
      ferry_local_set_error (error, FERRY_ERROR_INTERNAL,
                             _("The server could not open the unfinished upload."), path,
                             fd >= 0 ? "not a regular file" : g_strerror (errsv));
      return -1;
    }
  *length = (guint64) st.st_size;
  return fd;
}

/* In a worker thread. Not O_APPEND: a write of the connection before, still in flight, lands
 * where it belongs, and this upload writes over it. */
static FerryBlobUpload *
local_reopen_upload (FerryBlobStore  *store,
                     const char      *token,
                     GError         **error)
{
  FerryLocalBlobStore *self = FERRY_LOCAL_BLOB_STORE (store);
  g_autoptr(GOutputStream) stream = NULL;
  guint64 length = 0;
  int fd;

  fd = open_partial (self, token, O_WRONLY, &length, error);
  if (fd < 0)
    return NULL;
  if (lseek (fd, (off_t) length, SEEK_SET) < 0)
    {
      g_autofree char *path = ferry_local_partial_path (self, token);

      ferry_local_set_error (error, FERRY_ERROR_INTERNAL,
                             _("The server could not open the unfinished upload."), path,
                             g_strerror (errno));
      close (fd);
      return NULL;
    }
  stream = g_unix_output_stream_new (fd, TRUE);
  return ferry_blob_upload_new (store, token, stream, length);
}

/* In a worker thread. */
static GInputStream *
local_read_partial (FerryBlobStore  *store,
                    const char      *token,
                    GError         **error)
{
  guint64 length = 0;
  int fd;

  fd = open_partial (FERRY_LOCAL_BLOB_STORE (store), token, O_RDONLY, &length, error);
  return fd < 0 ? NULL : g_unix_input_stream_new (fd, TRUE);
}

/* In a worker thread. */
static guint64
local_keep_upload (FerryBlobStore  *store,
                   FerryBlobUpload *upload)
{
  g_autoptr(GError) error = NULL;
  GOutputStream *stream = ferry_blob_upload_get_stream (upload);
  int fd = G_IS_FILE_DESCRIPTOR_BASED (stream)
           ? g_file_descriptor_based_get_fd (G_FILE_DESCRIPTOR_BASED (stream)) : -1;
  struct stat st;
  guint64 length = ferry_blob_upload_get_offset (upload);

  if (fd >= 0 && !g_output_stream_is_closed (stream) && fstat (fd, &st) == 0)
    length = (guint64) st.st_size;
  /* A write still in flight keeps the stream busy: it is closed when its last reference
   * goes. */
  if (!g_output_stream_is_closed (stream) && !g_output_stream_close (stream, NULL, &error))
    g_debug ("Closing the unfinished upload %s: %s", ferry_blob_upload_get_token (upload),
             error->message);
  return length;
}

/* In a worker thread. */
static void
local_remove_partial (FerryBlobStore *store,
                      const char     *token)
{
  g_autofree char *path = ferry_local_partial_path (FERRY_LOCAL_BLOB_STORE (store), token);

  if (g_unlink (path) != 0 && errno != ENOENT)
    g_warning ("Could not remove the unfinished upload %s: %s", path, g_strerror (errno));
}

/* In a worker thread: partial/'s regular files named like tokens; anything else there is
 * removed. */
static GHashTable *
local_list_partials (FerryBlobStore  *store,
                     GError         **error)
{
  FerryLocalBlobStore *self = FERRY_LOCAL_BLOB_STORE (store);
  g_autoptr(GHashTable) partials = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;

  dir = g_dir_open (ferry_local_partial_dir (self), 0, error);
  if (!dir)
    return NULL;
  partials = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  while ((name = g_dir_read_name (dir)))
    {
      g_autofree char *path = g_build_filename (ferry_local_partial_dir (self), name, NULL);
      GStatBuf st;

      if (ferry_id_is_valid (name) && g_lstat (path, &st) == 0 && S_ISREG (st.st_mode))
        {
          guint64 length = (guint64) st.st_size;

          g_hash_table_insert (partials, g_strdup (name), g_memdup2 (&length, sizeof length));
        }
      else if (g_unlink (path) != 0)
        g_warning ("Could not remove %s: %s", path, g_strerror (errno));
    }
  return g_steal_pointer (&partials);
}

void
ferry_local_blob_store_partials_init (FerryBlobStoreInterface *iface)
{
  iface->reopen_upload = local_reopen_upload;
  iface->read_partial = local_read_partial;
  iface->keep_upload = local_keep_upload;
  iface->remove_partial = local_remove_partial;
  iface->list_partials = local_list_partials;
}
