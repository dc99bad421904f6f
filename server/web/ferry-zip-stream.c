/* ferry-zip-stream.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-zip"

#include "config.h"

#include "ferry-zip-stream.h"
#include "ferry-zip-stream-private.h"
#include "ferry-error.h"
#include "ferry-folder-header.h"

#include <string.h>
#include <zlib.h>
#include <glib/gi18n.h>

#define HEADER_READ_SIZE   (64 * 1024)
/* The most one read passes through, so that crc32()'s length (a uInt) never overflows. */
#define DATA_READ_MAX      (1024 * 1024 * 1024)

typedef enum
{
  STAGE_LOCAL,            /* the local header of items[index] comes next */
  STAGE_DATA,             /* the data of items[index] is passing */
  STAGE_CENTRAL,          /* the central record of items[index] comes next */
  STAGE_DONE,             /* the end records were the last */
  STAGE_FAILED,
} ZipStage;

struct _FerryZipInputStream
{
  GInputStream  parent_instance;

  /* owned */
  GInputStream *base;
  FerryZipPlan *plan;
  GBytes       *carry;           /* content read along with the header, not passed on yet */
  GByteArray   *pending;         /* record bytes not passed on yet */

  /* where the reading is */
  ZipStage      stage;
  guint         index;
  gsize         pending_pos;
  gsize         carry_pos;
  guint64       data_left;       /* of items[index] */
  guint32       crc;
};

G_DEFINE_FINAL_TYPE (FerryZipInputStream, ferry_zip_input_stream, G_TYPE_INPUT_STREAM)

/* Reads the folder stream's header; content read along with it is kept in self->carry. */
static FerryFolderHeader *
read_header (FerryZipInputStream  *self,
             guint64               stream_size,
             guint32               n_files,
             guint64               content_size,
             GCancellable         *cancellable,
             GError              **error)
{
  g_autoptr(FerryFolderParser) parser = ferry_folder_parser_new (stream_size, n_files,
                                                                 content_size, TRUE);
  g_autofree guint8 *buffer = g_malloc (HEADER_READ_SIZE);

  while (!ferry_folder_parser_is_done (parser))
    {
      gssize n;
      gsize used = 0;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      n = g_input_stream_read (self->base, buffer, HEADER_READ_SIZE, cancellable, error);
      if (n < 0)
        return NULL;
      if (n == 0)
        {
          ferry_folder_parser_check_done (parser, error);
          return NULL;
        }
      if (!ferry_folder_parser_feed (parser, buffer, (gsize) n, &used, error))
        return NULL;
      if (used < (gsize) n)
        self->carry = g_bytes_new (buffer + used, (gsize) n - used);
    }
  return ferry_folder_parser_steal_header (parser);
}

FerryZipInputStream *
ferry_zip_input_stream_new_full (GInputStream  *folder_stream,
                                 guint64        stream_size,
                                 guint32        n_files,
                                 guint64        content_size,
                                 const char    *name,
                                 gint64         created,
                                 guint64        zip64_limit,
                                 GCancellable  *cancellable,
                                 GError       **error)
{
  g_autoptr(FerryZipInputStream) self = NULL;
  g_autoptr(FerryFolderHeader) header = NULL;

  g_return_val_if_fail (G_IS_INPUT_STREAM (folder_stream), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (FERRY_TYPE_ZIP_INPUT_STREAM, NULL);
  self->base = g_object_ref (folder_stream);

  header = read_header (self, stream_size, n_files, content_size, cancellable, error);
  if (header)
    self->plan = ferry_zip_plan_new (header, name, created, zip64_limit, error);
  if (!self->plan)
    {
      /* Closing this stream must not close the caller's. */
      g_clear_object (&self->base);
      return NULL;
    }
  return g_steal_pointer (&self);
}

FerryZipInputStream *
ferry_zip_input_stream_new (GInputStream  *folder_stream,
                            guint64        stream_size,
                            guint32        n_files,
                            guint64        content_size,
                            const char    *name,
                            gint64         created,
                            GCancellable  *cancellable,
                            GError       **error)
{
  return ferry_zip_input_stream_new_full (folder_stream, stream_size, n_files, content_size,
                                          name, created, FERRY_ZIP_LIMIT, cancellable, error);
}

guint64
ferry_zip_input_stream_get_length (FerryZipInputStream *self)
{
  g_return_val_if_fail (FERRY_IS_ZIP_INPUT_STREAM (self), 0);

  return self->plan->length;
}

/* ---- reading ------------------------------------------------------------------------------ */

/* After the last file: the folder stream must end there too. */
static gboolean
check_base_end (FerryZipInputStream  *self,
                GCancellable         *cancellable,
                GError              **error)
{
  guint8 byte;
  gssize n = 1;   /* bytes read along with the header that no file took */

  if (!self->carry)
    n = g_input_stream_read (self->base, &byte, 1, cancellable, error);
  if (n < 0)
    return FALSE;
  if (n == 0)
    return TRUE;
  g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_SIZE_MISMATCH,
                       _("The stored folder is longer than its list of files says."));
  return FALSE;
}

/* Passes on 1 to @count bytes of the current file's data, or fails. */
static gssize
read_data (FerryZipInputStream  *self,
           guint8               *buffer,
           gsize                 count,
           GCancellable         *cancellable,
           GError              **error)
{
  gsize want = (gsize) MIN (MIN ((guint64) count, self->data_left), DATA_READ_MAX);
  gssize n;

  if (self->carry)
    {
      gsize carry_len = 0;
      const guint8 *data = g_bytes_get_data (self->carry, &carry_len);

      n = (gssize) MIN (want, carry_len - self->carry_pos);
      memcpy (buffer, data + self->carry_pos, (gsize) n);
      self->carry_pos += (gsize) n;
      if (self->carry_pos == carry_len)
        g_clear_pointer (&self->carry, g_bytes_unref);
    }
  else
    {
      n = g_input_stream_read (self->base, buffer, want, cancellable, error);
      if (n < 0)
        return -1;
      if (n == 0)
        {
          g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_SIZE_MISMATCH,
                               _("The stored folder is shorter than its list of files says."));
          return -1;
        }
    }

  self->crc = (guint32) crc32 (self->crc, buffer, (uInt) n);
  self->data_left -= (guint64) n;
  return n;
}

/* Puts the next records into self->pending (possibly none, when only the stage moves on). */
static gboolean
next_records (FerryZipInputStream  *self,
              GCancellable         *cancellable,
              GError              **error)
{
  FerryZipItem *item = NULL;

  g_byte_array_set_size (self->pending, 0);
  self->pending_pos = 0;
  if (self->index < self->plan->items->len)
    item = &g_array_index (self->plan->items, FerryZipItem, self->index);

  switch (self->stage)
    {
    case STAGE_LOCAL:
      if (!item)
        {
          if (!check_base_end (self, cancellable, error))
            return FALSE;
          self->stage = STAGE_CENTRAL;
          self->index = 0;
          return TRUE;
        }
      ferry_zip_plan_append_local (self->plan, item, self->pending);
      if (item->is_file)
        {
          self->stage = STAGE_DATA;
          self->data_left = item->size;
          self->crc = (guint32) crc32 (0, NULL, 0);
        }
      else
        self->index++;
      return TRUE;

    case STAGE_DATA:
      item->crc = self->crc;
      ferry_zip_plan_append_descriptor (self->plan, item, self->pending);
      self->stage = STAGE_LOCAL;
      self->index++;
      return TRUE;

    case STAGE_CENTRAL:
      if (item)
        {
          ferry_zip_plan_append_central (self->plan, item, self->pending);
          self->index++;
        }
      else
        {
          ferry_zip_plan_append_end (self->plan, self->pending);
          self->stage = STAGE_DONE;
        }
      return TRUE;

    case STAGE_DONE:
    case STAGE_FAILED:
    default:
      g_assert_not_reached ();
    }
}

static gssize
ferry_zip_input_stream_read (GInputStream  *stream,
                             void          *buffer,
                             gsize          count,
                             GCancellable  *cancellable,
                             GError       **error)
{
  FerryZipInputStream *self = FERRY_ZIP_INPUT_STREAM (stream);
  gsize n;

  if (self->stage == STAGE_FAILED)
    {
      g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_FAILED,
                           _("The zip archive broke off earlier and cannot go on."));
      return -1;
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    {
      self->stage = STAGE_FAILED;
      return -1;
    }
  if (count == 0)
    return 0;

  while (self->pending_pos == self->pending->len)
    {
      if (self->stage == STAGE_DONE)
        return 0;
      if (self->stage == STAGE_DATA && self->data_left > 0)
        {
          gssize got = read_data (self, buffer, count, cancellable, error);

          if (got < 0)
            self->stage = STAGE_FAILED;
          return got;
        }
      if (!next_records (self, cancellable, error))
        {
          self->stage = STAGE_FAILED;
          return -1;
        }
    }

  n = MIN (count, self->pending->len - self->pending_pos);
  memcpy (buffer, self->pending->data + self->pending_pos, n);
  self->pending_pos += n;
  return (gssize) n;
}

static gboolean
ferry_zip_input_stream_close (GInputStream  *stream,
                              GCancellable  *cancellable,
                              GError       **error)
{
  FerryZipInputStream *self = FERRY_ZIP_INPUT_STREAM (stream);

  if (!self->base)
    return TRUE;
  return g_input_stream_close (self->base, cancellable, error);
}

static void
ferry_zip_input_stream_finalize (GObject *object)
{
  FerryZipInputStream *self = FERRY_ZIP_INPUT_STREAM (object);

  g_clear_object (&self->base);
  g_clear_pointer (&self->plan, ferry_zip_plan_free);
  g_clear_pointer (&self->carry, g_bytes_unref);
  g_clear_pointer (&self->pending, g_byte_array_unref);
  G_OBJECT_CLASS (ferry_zip_input_stream_parent_class)->finalize (object);
}

static void
ferry_zip_input_stream_class_init (FerryZipInputStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS (klass);

  object_class->finalize = ferry_zip_input_stream_finalize;
  stream_class->read_fn = ferry_zip_input_stream_read;
  stream_class->close_fn = ferry_zip_input_stream_close;
}

static void
ferry_zip_input_stream_init (FerryZipInputStream *self)
{
  self->pending = g_byte_array_new ();
}

/* ---- opening in a thread ------------------------------------------------------------------ */

typedef struct
{
  GInputStream *folder_stream;
  guint64       stream_size;
  guint32       n_files;
  guint64       content_size;
  char         *name;
  gint64        created;
} OpenData;

static void
open_data_free (OpenData *data)
{
  g_clear_object (&data->folder_stream);
  g_free (data->name);
  g_free (data);
}

static void
open_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  OpenData *data = task_data;
  GError *error = NULL;
  FerryZipInputStream *zip;

  zip = ferry_zip_input_stream_new (data->folder_stream, data->stream_size, data->n_files,
                                    data->content_size, data->name, data->created,
                                    cancellable, &error);
  if (!zip)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, zip, g_object_unref);
}

void
ferry_zip_input_stream_new_async (GInputStream        *folder_stream,
                                  guint64              stream_size,
                                  guint32              n_files,
                                  guint64              content_size,
                                  const char          *name,
                                  gint64               created,
                                  int                  io_priority,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  OpenData *data;

  g_return_if_fail (G_IS_INPUT_STREAM (folder_stream));
  g_return_if_fail (name != NULL);

  data = g_new0 (OpenData, 1);
  data->folder_stream = g_object_ref (folder_stream);
  data->stream_size = stream_size;
  data->n_files = n_files;
  data->content_size = content_size;
  data->name = g_strdup (name);
  data->created = created;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_zip_input_stream_new_async);
  g_task_set_priority (task, io_priority);
  g_task_set_task_data (task, data, (GDestroyNotify) open_data_free);
  g_task_run_in_thread (task, open_thread);
}

FerryZipInputStream *
ferry_zip_input_stream_new_finish (GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        ferry_zip_input_stream_new_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
