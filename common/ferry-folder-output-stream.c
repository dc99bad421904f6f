/* ferry-folder-output-stream.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-folder"

#include "config.h"

#include "ferry-folder-output-stream.h"
#include "ferry-error.h"
#include "ferry-folder-fs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gi18n.h>

#define REHASH_BUFFER_SIZE (256 * 1024)

static gboolean
write_all (int            fd,
           const guint8  *data,
           gsize          len,
           const char    *path,
           GError       **error)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return ferry_folder_errno_error (error, errno, path);
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}


struct _FerryFolderOutputStream
{
  GOutputStream      parent_instance;

  /* owned */
  FerryFolderParser *parser;        /* until the header is complete */
  GByteArray        *header_raw;
  GBytes            *header_bytes;  /* once complete */
  FerryFolderHeader *header;
  GPtrArray         *local_paths;   /* char *, per entry: each part made safe */
  int                rootfd;
  int                fd;            /* the file being written, or -1 */

  guint64            stream_size;
  guint64            pos;
  guint              index;         /* the entry written next */
};

G_DEFINE_FINAL_TYPE (FerryFolderOutputStream, ferry_folder_output_stream, G_TYPE_OUTPUT_STREAM)

static gboolean
header_complete (FerryFolderOutputStream  *self,
                 GError                  **error)
{
  self->header = ferry_folder_parser_steal_header (self->parser);
  g_clear_pointer (&self->parser, ferry_folder_parser_free);
  self->header_bytes = g_byte_array_free_to_bytes (g_steal_pointer (&self->header_raw));
  self->local_paths = ferry_folder_header_safe_paths (self->header, error);
  return self->local_paths != NULL;
}

/* Writes @len bytes of content at self->pos, creating folders and files as their turn comes,
 * and the empty ones that follow. */
static gboolean
write_content (FerryFolderOutputStream  *self,
               const guint8             *data,
               gsize                     len,
               GError                  **error)
{
  GPtrArray *entries = self->header->entries;

  while (self->index < entries->len)
    {
      FerryFolderEntry *entry = g_ptr_array_index (entries, self->index);
      const char *local = g_ptr_array_index (self->local_paths, self->index);
      guint64 left;
      gsize n;

      if (entry->kind == FERRY_FOLDER_ENTRY_FOLDER)
        {
          if (!ferry_folder_make_folder (self->rootfd, local, error))
            return FALSE;
          self->index++;
          continue;
        }
      if (self->fd < 0)
        {
          mode_t mode = (entry->flags & FERRY_FOLDER_FLAG_EXECUTABLE) ? 0777 : 0666;

          if (len == 0 && entry->size > 0)
            break;
          self->fd = ferry_folder_open_beneath (self->rootfd, local,
                                                O_WRONLY | O_CREAT | O_EXCL, mode, error);
          if (self->fd < 0)
            return FALSE;
        }
      left = entry->start + entry->size - self->pos;
      n = (gsize) MIN ((guint64) len, left);
      if (n > 0 && !write_all (self->fd, data, n, local, error))
        return FALSE;
      self->pos += n;
      data += n;
      len -= n;
      if (n < left)
        break;
      ferry_folder_clear_fd (&self->fd);
      self->index++;
    }

  if (len > 0)
    {
      g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_SIZE_MISMATCH,
                           _("The folder has more bytes than its list of files says."));
      return FALSE;
    }
  return TRUE;
}

static gssize
ferry_folder_output_stream_write (GOutputStream  *stream,
                                  const void     *buffer,
                                  gsize           count,
                                  GCancellable   *cancellable,
                                  GError        **error)
{
  FerryFolderOutputStream *self = FERRY_FOLDER_OUTPUT_STREAM (stream);
  const guint8 *data = buffer;
  gsize len = count;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return -1;

  if (self->parser)
    {
      gsize used = 0;

      if (!ferry_folder_parser_feed (self->parser, data, len, &used, error))
        return -1;
      g_byte_array_append (self->header_raw, data, (guint) used);
      self->pos += used;
      data += used;
      len -= used;
      if (!ferry_folder_parser_is_done (self->parser))
        return (gssize) count;
      if (!header_complete (self, error))
        return -1;
    }

  if (!write_content (self, data, len, error))
    return -1;
  return (gssize) count;
}

static gboolean
ferry_folder_output_stream_close (GOutputStream  *stream,
                                  GCancellable   *cancellable,
                                  GError        **error)
{
  FerryFolderOutputStream *self = FERRY_FOLDER_OUTPUT_STREAM (stream);

  ferry_folder_clear_fd (&self->fd);
  ferry_folder_clear_fd (&self->rootfd);
  return TRUE;
}

static void
ferry_folder_output_stream_finalize (GObject *object)
{
  FerryFolderOutputStream *self = FERRY_FOLDER_OUTPUT_STREAM (object);

  ferry_folder_clear_fd (&self->fd);
  ferry_folder_clear_fd (&self->rootfd);
  g_clear_pointer (&self->parser, ferry_folder_parser_free);
  g_clear_pointer (&self->header_raw, g_byte_array_unref);
  g_clear_pointer (&self->header_bytes, g_bytes_unref);
  g_clear_pointer (&self->header, ferry_folder_header_free);
  g_clear_pointer (&self->local_paths, g_ptr_array_unref);
  G_OBJECT_CLASS (ferry_folder_output_stream_parent_class)->finalize (object);
}

static void
ferry_folder_output_stream_class_init (FerryFolderOutputStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GOutputStreamClass *stream_class = G_OUTPUT_STREAM_CLASS (klass);

  object_class->finalize = ferry_folder_output_stream_finalize;
  stream_class->write_fn = ferry_folder_output_stream_write;
  stream_class->close_fn = ferry_folder_output_stream_close;
}

static void
ferry_folder_output_stream_init (FerryFolderOutputStream *self)
{
  self->rootfd = -1;
  self->fd = -1;
}

static FerryFolderOutputStream *
output_new (GFile    *dir,
            guint64   stream_size,
            GError  **error)
{
  g_autoptr(FerryFolderOutputStream) self = g_object_new (FERRY_TYPE_FOLDER_OUTPUT_STREAM, NULL);
  g_autofree char *path = g_file_get_path (dir);

  g_return_val_if_fail (path != NULL, NULL);

  self->stream_size = stream_size;
  self->rootfd = open (path, FERRY_FOLDER_DIR_FLAGS);
  if (self->rootfd < 0)
    {
      ferry_folder_errno_error (error, errno, path);
      return NULL;
    }
  return g_steal_pointer (&self);
}

GOutputStream *
ferry_folder_output_stream_new (GFile    *dir,
                                guint64   stream_size,
                                guint32   n_files,
                                guint64   content_size,
                                GError  **error)
{
  FerryFolderOutputStream *self;

  g_return_val_if_fail (G_IS_FILE (dir), NULL);

  self = output_new (dir, stream_size, error);
  if (!self)
    return NULL;
  self->parser = ferry_folder_parser_new (stream_size, n_files, content_size, TRUE);
  self->header_raw = g_byte_array_new ();
  return G_OUTPUT_STREAM (self);
}

/* Feeds the first @len bytes of the file @local to @checksum, after checking it is a regular
 * file of @size bytes or more; leaves it open in @out_fd if asked. */
static gboolean
rehash_file (FerryFolderOutputStream  *self,
             const char               *local,
             guint64                   size,
             guint64                   len,
             FerryChecksum            *checksum,
             int                      *out_fd,
             GError                  **error)
{
  g_autofree guint8 *buffer = g_malloc (REHASH_BUFFER_SIZE);
  struct stat st;
  guint64 done = 0;
  int fd = ferry_folder_open_beneath (self->rootfd, local, out_fd ? O_RDWR : O_RDONLY, 0, error);

  if (fd < 0)
    return FALSE;
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode) || (guint64) st.st_size < len ||
      (!out_fd && (guint64) st.st_size != size))
    {
      close (fd);
      return ferry_folder_changed_error (error, local);
    }
  while (done < len)
    {
      ssize_t n = pread (fd, buffer, (gsize) MIN ((guint64) REHASH_BUFFER_SIZE, len - done),
                         (off_t) done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          close (fd);
          return n < 0 ? ferry_folder_errno_error (error, errno, local)
                       : ferry_folder_changed_error (error, local);
        }
      ferry_checksum_update (checksum, buffer, (gsize) n);
      done += (guint64) n;
    }
  if (out_fd)
    {
      if (ftruncate (fd, (off_t) len) != 0 || lseek (fd, (off_t) len, SEEK_SET) < 0)
        {
          close (fd);
          return ferry_folder_errno_error (error, errno, local);
        }
      *out_fd = fd;
    }
  else
    close (fd);
  return TRUE;
}

GOutputStream *
ferry_folder_output_stream_new_at (GFile          *dir,
                                   GBytes         *header,
                                   guint64         stream_size,
                                   guint32         n_files,
                                   guint64         content_size,
                                   guint64         offset,
                                   FerryChecksum  *checksum,
                                   GCancellable   *cancellable,
                                   GError        **error)
{
  g_autoptr(FerryFolderOutputStream) self = NULL;
  GPtrArray *entries;
  gsize header_len = g_bytes_get_size (header);

  g_return_val_if_fail (G_IS_FILE (dir), NULL);
  g_return_val_if_fail (checksum != NULL, NULL);

  self = output_new (dir, stream_size, error);
  if (!self)
    return NULL;
  self->header = ferry_folder_header_parse (header, stream_size, n_files, content_size, error);
  if (!self->header || offset < header_len || offset > stream_size)
    {
      if (self->header)
        g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_FAILED,
                             _("The partly downloaded folder does not match its record."));
      return NULL;
    }
  self->header_bytes = g_bytes_ref (header);
  self->local_paths = ferry_folder_header_safe_paths (self->header, error);
  if (!self->local_paths)
    return NULL;
  ferry_checksum_update (checksum, g_bytes_get_data (header, NULL), header_len);

  entries = self->header->entries;
  self->pos = offset;
  /* Where a fresh write would stand at @offset: every entry before the first file that ends
   * after it is complete, and that file holds offset − start bytes. */
  self->index = ferry_folder_header_find (self->header, offset);
  for (guint i = 0; i < entries->len; i++)
    {
      FerryFolderEntry *entry = g_ptr_array_index (entries, i);
      const char *local = g_ptr_array_index (self->local_paths, i);

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      if (i < self->index && entry->kind == FERRY_FOLDER_ENTRY_FOLDER)
        {
          if (!ferry_folder_make_folder (self->rootfd, local, error))
            return NULL;
        }
      else if (i < self->index)
        {
          if (!rehash_file (self, local, entry->size, entry->size, checksum, NULL, error))
            return NULL;
        }
      else if (i == self->index && entry->start < offset)
        {
          if (!rehash_file (self, local, entry->size, offset - entry->start, checksum,
                            &self->fd, error))
            return NULL;
        }
      else if (entry->kind == FERRY_FOLDER_ENTRY_FILE)
        {
          const char *leaf = NULL;
          int dirfd = ferry_folder_open_parent (self->rootfd, local, FALSE, &leaf, NULL);

          /* Written past the recorded count before the stop: it is written again. */
          if (dirfd >= 0)
            {
              unlinkat (dirfd, leaf, 0);
              close (dirfd);
            }
        }
    }
  return G_OUTPUT_STREAM (g_steal_pointer (&self));
}

GBytes *
ferry_folder_output_stream_get_header (FerryFolderOutputStream *self)
{
  g_return_val_if_fail (FERRY_IS_FOLDER_OUTPUT_STREAM (self), NULL);
  return self->header_bytes;
}

gboolean
ferry_folder_output_stream_is_complete (FerryFolderOutputStream *self)
{
  g_return_val_if_fail (FERRY_IS_FOLDER_OUTPUT_STREAM (self), FALSE);
  return self->header && self->pos == self->stream_size &&
         self->index == self->header->entries->len;
}
