/* ferry-folder-input-stream.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-folder"

#include "config.h"

#include "ferry-folder-input-stream.h"
#include "ferry-folder-fs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

struct _FerryFolderInputStream
{
  GInputStream       parent_instance;

  /* owned */
  char              *root;
  FerryFolderHeader *header;
  GBytes            *header_bytes;
  int                rootfd;
  int                fd;          /* the file being read, or -1 */

  guint64            pos;
  guint              index;       /* its entry */
};

G_DEFINE_FINAL_TYPE (FerryFolderInputStream, ferry_folder_input_stream, G_TYPE_INPUT_STREAM)

static gboolean
input_open_current (FerryFolderInputStream  *self,
                    GError                 **error)
{
  FerryFolderEntry *entry;
  struct stat st;

  if (self->rootfd < 0)
    {
      self->rootfd = open (self->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (self->rootfd < 0)
        return ferry_folder_errno_error (error, errno, self->root);
    }

  self->index = ferry_folder_header_find (self->header, self->pos);
  g_assert (self->index < self->header->entries->len);
  entry = g_ptr_array_index (self->header->entries, self->index);
  self->fd = ferry_folder_open_beneath (self->rootfd, entry->path, O_RDONLY, 0, error);
  if (self->fd < 0)
    return FALSE;
  if (fstat (self->fd, &st) != 0 || !S_ISREG (st.st_mode) || (guint64) st.st_size != entry->size)
    {
      ferry_folder_clear_fd (&self->fd);
      return ferry_folder_changed_error (error, entry->path);
    }
  return TRUE;
}

static gssize
ferry_folder_input_stream_read (GInputStream  *stream,
                                void          *buffer,
                                gsize          count,
                                GCancellable  *cancellable,
                                GError       **error)
{
  FerryFolderInputStream *self = FERRY_FOLDER_INPUT_STREAM (stream);
  guint64 header_size = self->header->header_size;
  FerryFolderEntry *entry;
  guint64 in_file;
  gsize want;
  ssize_t n;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return -1;
  if (self->pos >= ferry_folder_header_stream_size (self->header) || count == 0)
    return 0;

  if (self->pos < header_size)
    {
      want = (gsize) MIN ((guint64) count, header_size - self->pos);
      memcpy (buffer, (const guint8 *) g_bytes_get_data (self->header_bytes, NULL) + self->pos,
              want);
      self->pos += want;
      return (gssize) want;
    }

  if (self->fd < 0 && !input_open_current (self, error))
    return -1;

  entry = g_ptr_array_index (self->header->entries, self->index);
  in_file = self->pos - entry->start;
  want = (gsize) MIN ((guint64) count, entry->size - in_file);
  do
    n = pread (self->fd, buffer, want, (off_t) in_file);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    {
      ferry_folder_errno_error (error, errno, entry->path);
      return -1;
    }
  if (n == 0)
    {
      ferry_folder_changed_error (error, entry->path);
      return -1;
    }
  self->pos += (guint64) n;
  if (self->pos == entry->start + entry->size)
    ferry_folder_clear_fd (&self->fd);
  return n;
}

static gboolean
ferry_folder_input_stream_close (GInputStream  *stream,
                                 GCancellable  *cancellable,
                                 GError       **error)
{
  FerryFolderInputStream *self = FERRY_FOLDER_INPUT_STREAM (stream);

  ferry_folder_clear_fd (&self->fd);
  ferry_folder_clear_fd (&self->rootfd);
  return TRUE;
}

static void
ferry_folder_input_stream_finalize (GObject *object)
{
  FerryFolderInputStream *self = FERRY_FOLDER_INPUT_STREAM (object);

  ferry_folder_clear_fd (&self->fd);
  ferry_folder_clear_fd (&self->rootfd);
  g_free (self->root);
  ferry_folder_header_free (self->header);
  g_bytes_unref (self->header_bytes);
  G_OBJECT_CLASS (ferry_folder_input_stream_parent_class)->finalize (object);
}

static void
ferry_folder_input_stream_class_init (FerryFolderInputStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS (klass);

  object_class->finalize = ferry_folder_input_stream_finalize;
  stream_class->read_fn = ferry_folder_input_stream_read;
  stream_class->close_fn = ferry_folder_input_stream_close;
}

static void
ferry_folder_input_stream_init (FerryFolderInputStream *self)
{
  self->rootfd = -1;
  self->fd = -1;
}

GInputStream *
ferry_folder_input_stream_new (GFile             *root,
                               FerryFolderHeader *header,
                               guint64            offset)
{
  FerryFolderInputStream *self;

  g_return_val_if_fail (G_IS_FILE (root), NULL);
  g_return_val_if_fail (header != NULL, NULL);

  self = g_object_new (FERRY_TYPE_FOLDER_INPUT_STREAM, NULL);
  self->root = g_file_get_path (root);
  self->header = header;
  self->header_bytes = ferry_folder_header_encode (header);
  self->pos = MIN (offset, ferry_folder_header_stream_size (header));
  return G_INPUT_STREAM (self);
}
