/* ferry-zip-stream.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The records follow PKWARE's APPNOTE.TXT 6.3 (§4.3 and §4.5); the layout of a ZIP64 local
 * header with a data descriptor is the one Python's zipfile writes to an unseekable stream: the
 * sizes marked 0xFFFFFFFF, a ZIP64 extra field of zeros, and 8-byte sizes in the descriptor.
 */
#define G_LOG_DOMAIN "ferry-zip"

#include "config.h"

#include "ferry-zip-stream.h"
#include "ferry-zip-stream-private.h"
#include "ferry-error.h"
#include "ferry-filename.h"
#include "ferry-folder-header.h"

#include <string.h>
#include <zlib.h>
#include <glib/gi18n.h>

#define HEADER_READ_SIZE   (64 * 1024)
/* The most one read passes through, so that crc32()'s length (a uInt) never overflows. */
#define DATA_READ_MAX      (1024 * 1024 * 1024)

#define SIG_LOCAL          0x04034b50
#define SIG_DESCRIPTOR     0x08074b50
#define SIG_CENTRAL        0x02014b50
#define SIG_END64          0x06064b50
#define SIG_END64_LOCATOR  0x07064b50
#define SIG_END            0x06054b50

#define FLAG_DESCRIPTOR    0x0008
#define FLAG_UTF8          0x0800
#define VERSION_DEFAULT    20            /* 2.0: folders and data descriptors */
#define VERSION_ZIP64      45            /* 4.5 */
#define MADE_BY            ((3 << 8) | VERSION_ZIP64)   /* Unix: the modes are Unix modes */
#define EXTRA_ZIP64        0x0001
#define EXTRA_TIMESTAMP    0x5455
#define TIMESTAMP_SIZE     9             /* tag, length, flags (mtime only), mtime */
#define LOCAL_ZIP64_SIZE   20            /* tag, length, size, compressed size */
#define END64_SIZE         56
#define MODE_FILE          0100644
#define MODE_EXECUTABLE    0100755
#define MODE_FOLDER        040755
#define DOS_FOLDER         0x10
/* The DOS times there are: 1980-01-01 00:00:00 to 2107-12-31 23:59:58 UTC. */
#define DOS_TIME_MIN       G_GINT64_CONSTANT (315532800)
#define DOS_TIME_MAX       G_GINT64_CONSTANT (4354819198)

typedef struct
{
  char     *name;         /* in the archive */
  guint64   size;         /* 0 for a folder */
  guint64   offset;       /* of its local header */
  guint32   crc;          /* once its data has passed */
  gboolean  is_file;
  gboolean  executable;
} ZipItem;

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
  GArray       *items;           /* ZipItem: the root folder, then the header's entries */
  GBytes       *carry;           /* content read along with the header, not passed on yet */
  GByteArray   *pending;         /* record bytes not passed on yet */

  /* the plan */
  guint64       limit;           /* the first value that takes a ZIP64 field */
  guint64       central_offset;
  guint64       central_size;
  guint64       length;
  guint16       dos_time;
  guint16       dos_date;
  guint32       mtime;

  /* where the reading is */
  ZipStage      stage;
  guint         index;
  gsize         pending_pos;
  gsize         carry_pos;
  guint64       data_left;       /* of items[index] */
  guint32       crc;
};

G_DEFINE_FINAL_TYPE (FerryZipInputStream, ferry_zip_input_stream, G_TYPE_INPUT_STREAM)

/* ---- records ---------------------------------------------------------------------------- */

static void
put16 (GByteArray *out,
       guint       value)
{
  guint8 bytes[2] = { value & 0xff, (value >> 8) & 0xff };

  g_byte_array_append (out, bytes, sizeof bytes);
}

static void
put32 (GByteArray *out,
       guint32     value)
{
  guint32 le = GUINT32_TO_LE (value);

  g_byte_array_append (out, (const guint8 *) &le, sizeof le);
}

static void
put64 (GByteArray *out,
       guint64     value)
{
  guint64 le = GUINT64_TO_LE (value);

  g_byte_array_append (out, (const guint8 *) &le, sizeof le);
}

/* @value in a 32-bit field, or the mark that sends the reader to the ZIP64 field. */
static guint32
field32 (FerryZipInputStream *self,
         guint64              value)
{
  return value >= self->limit ? G_MAXUINT32 : (guint32) value;
}

static gboolean
local_is_zip64 (FerryZipInputStream *self,
                const ZipItem       *item)
{
  return item->is_file && item->size >= self->limit;
}

static guint
version_needed (FerryZipInputStream *self,
                const ZipItem       *item)
{
  if (item->size >= self->limit || item->offset >= self->limit)
    return VERSION_ZIP64;
  return VERSION_DEFAULT;
}

static guint
item_flags (const ZipItem *item)
{
  return item->is_file ? FLAG_UTF8 | FLAG_DESCRIPTOR : FLAG_UTF8;
}

static guint32
external_attributes (const ZipItem *item)
{
  if (!item->is_file)
    return ((guint32) MODE_FOLDER << 16) | DOS_FOLDER;
  return (guint32) (item->executable ? MODE_EXECUTABLE : MODE_FILE) << 16;
}

static void
put_timestamp (FerryZipInputStream *self,
               GByteArray          *out)
{
  guint8 flags = 0x01;   /* the modification time, alone */

  put16 (out, EXTRA_TIMESTAMP);
  put16 (out, TIMESTAMP_SIZE - 4);
  g_byte_array_append (out, &flags, 1);
  put32 (out, self->mtime);
}

static void
append_local_header (FerryZipInputStream *self,
                     const ZipItem       *item,
                     GByteArray          *out)
{
  gboolean zip64 = local_is_zip64 (self, item);
  guint32 size_mark = zip64 ? G_MAXUINT32 : 0;
  gsize name_len = strlen (item->name);

  put32 (out, SIG_LOCAL);
  put16 (out, version_needed (self, item));
  put16 (out, item_flags (item));
  put16 (out, 0);                  /* stored */
  put16 (out, self->dos_time);
  put16 (out, self->dos_date);
  put32 (out, 0);                  /* the CRC and sizes of a file follow its data */
  put32 (out, size_mark);
  put32 (out, size_mark);
  put16 (out, (guint) name_len);
  put16 (out, TIMESTAMP_SIZE + (zip64 ? LOCAL_ZIP64_SIZE : 0));
  g_byte_array_append (out, (const guint8 *) item->name, (guint) name_len);
  if (zip64)
    {
      put16 (out, EXTRA_ZIP64);
      put16 (out, LOCAL_ZIP64_SIZE - 4);
      put64 (out, 0);
      put64 (out, 0);
    }
  put_timestamp (self, out);
}

static void
append_descriptor (FerryZipInputStream *self,
                   const ZipItem       *item,
                   GByteArray          *out)
{
  put32 (out, SIG_DESCRIPTOR);
  put32 (out, item->crc);
  if (local_is_zip64 (self, item))
    {
      put64 (out, item->size);
      put64 (out, item->size);
    }
  else
    {
      put32 (out, (guint32) item->size);
      put32 (out, (guint32) item->size);
    }
}

static void
append_central (FerryZipInputStream *self,
                const ZipItem       *item,
                GByteArray          *out)
{
  gboolean zip64_sizes = item->size >= self->limit;
  gboolean zip64_offset = item->offset >= self->limit;
  guint zip64_len = (zip64_sizes ? 16 : 0) + (zip64_offset ? 8 : 0);
  gsize name_len = strlen (item->name);

  put32 (out, SIG_CENTRAL);
  put16 (out, MADE_BY);
  put16 (out, version_needed (self, item));
  put16 (out, item_flags (item));
  put16 (out, 0);                  /* stored */
  put16 (out, self->dos_time);
  put16 (out, self->dos_date);
  put32 (out, item->crc);
  put32 (out, field32 (self, item->size));
  put32 (out, field32 (self, item->size));
  put16 (out, (guint) name_len);
  put16 (out, (zip64_len > 0 ? 4 + zip64_len : 0) + TIMESTAMP_SIZE);
  put16 (out, 0);                  /* comment */
  put16 (out, 0);                  /* disk */
  put16 (out, 0);                  /* internal attributes */
  put32 (out, external_attributes (item));
  put32 (out, field32 (self, item->offset));
  g_byte_array_append (out, (const guint8 *) item->name, (guint) name_len);
  if (zip64_len > 0)
    {
      put16 (out, EXTRA_ZIP64);
      put16 (out, zip64_len);
      if (zip64_sizes)
        {
          put64 (out, item->size);
          put64 (out, item->size);
        }
      if (zip64_offset)
        put64 (out, item->offset);
    }
  put_timestamp (self, out);
}

static void
append_end (FerryZipInputStream *self,
            GByteArray          *out)
{
  guint64 count = self->items->len;
  gboolean zip64_count = count >= MIN (self->limit, FERRY_ZIP_COUNT_LIMIT);

  if (zip64_count || self->central_size >= self->limit || self->central_offset >= self->limit)
    {
      put32 (out, SIG_END64);
      put64 (out, END64_SIZE - 12);
      put16 (out, MADE_BY);
      put16 (out, VERSION_ZIP64);
      put32 (out, 0);              /* this disk */
      put32 (out, 0);              /* the central directory's disk */
      put64 (out, count);
      put64 (out, count);
      put64 (out, self->central_size);
      put64 (out, self->central_offset);

      put32 (out, SIG_END64_LOCATOR);
      put32 (out, 0);              /* the disk of the record above */
      put64 (out, self->central_offset + self->central_size);
      put32 (out, 1);              /* disks */
    }

  put32 (out, SIG_END);
  put16 (out, 0);
  put16 (out, 0);
  put16 (out, zip64_count ? FERRY_ZIP_COUNT_LIMIT : (guint) count);
  put16 (out, zip64_count ? FERRY_ZIP_COUNT_LIMIT : (guint) count);
  put32 (out, field32 (self, self->central_size));
  put32 (out, field32 (self, self->central_offset));
  put16 (out, 0);                  /* comment */
}

/* ---- the plan ----------------------------------------------------------------------------- */

static void
set_time (FerryZipInputStream *self,
          gint64               created)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (CLAMP (created, DOS_TIME_MIN,
                                                                   DOS_TIME_MAX));

  self->dos_time = (guint16) ((g_date_time_get_hour (utc) << 11) |
                              (g_date_time_get_minute (utc) << 5) |
                              (g_date_time_get_second (utc) / 2));
  self->dos_date = (guint16) (((g_date_time_get_year (utc) - 1980) << 9) |
                              (g_date_time_get_month (utc) << 5) |
                              g_date_time_get_day_of_month (utc));
  self->mtime = (guint32) CLAMP (created, 0, G_MAXINT32);
}

static gboolean
add_item (FerryZipInputStream     *self,
          char                    *name,
          const FerryFolderEntry  *entry,
          GError                 **error)
{
  ZipItem item = { name, 0, 0, 0, FALSE, FALSE };

  if (entry && entry->kind == FERRY_FOLDER_ENTRY_FILE)
    {
      item.size = entry->size;
      item.is_file = TRUE;
      item.executable = (entry->flags & FERRY_FOLDER_FLAG_EXECUTABLE) != 0;
    }
  g_array_append_val (self->items, item);
  if (strlen (name) <= G_MAXUINT16)
    return TRUE;
  g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_INVALID_NAME,
                       _("A name in the folder is too long for a zip archive."));
  return FALSE;
}

/* The root folder NAME/, then NAME/PATH for every entry, each part made safe. */
static gboolean
add_items (FerryZipInputStream      *self,
           const FerryFolderHeader  *header,
           const char               *name,
           GError                  **error)
{
  g_autofree char *root = ferry_filename_make_safe (name);
  g_autoptr(GPtrArray) paths = ferry_folder_header_safe_paths (header, error);

  if (!paths || !add_item (self, g_strconcat (root, "/", NULL), NULL, error))
    return FALSE;
  for (guint i = 0; i < header->entries->len; i++)
    {
      const FerryFolderEntry *entry = g_ptr_array_index (header->entries, i);
      const char *path = g_ptr_array_index (paths, i);
      gboolean folder = entry->kind == FERRY_FOLDER_ENTRY_FOLDER;

      if (!add_item (self, g_strconcat (root, "/", path, folder ? "/" : NULL, NULL), entry, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
grow (guint64  *total,
      guint64   more,
      GError  **error)
{
  if (more <= G_MAXUINT64 - *total)
    {
      *total += more;
      return TRUE;
    }
  g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_TOO_LARGE,
                       _("The folder is too large for a zip archive."));
  return FALSE;
}

/* Places every record, measuring each with the very code that writes it, so that the length
 * is exact. */
static gboolean
plan (FerryZipInputStream  *self,
      GError              **error)
{
  g_autoptr(GByteArray) scratch = g_byte_array_new ();
  guint64 at = 0;

  for (guint i = 0; i < self->items->len; i++)
    {
      ZipItem *item = &g_array_index (self->items, ZipItem, i);

      item->offset = at;
      g_byte_array_set_size (scratch, 0);
      append_local_header (self, item, scratch);
      if (item->is_file)
        append_descriptor (self, item, scratch);
      if (!grow (&at, scratch->len, error) || !grow (&at, item->size, error))
        return FALSE;
    }

  self->central_offset = at;
  for (guint i = 0; i < self->items->len; i++)
    {
      g_byte_array_set_size (scratch, 0);
      append_central (self, &g_array_index (self->items, ZipItem, i), scratch);
      if (!grow (&self->central_size, scratch->len, error))
        return FALSE;
    }

  g_byte_array_set_size (scratch, 0);
  append_end (self, scratch);
  if (!grow (&at, self->central_size, error) || !grow (&at, scratch->len, error))
    return FALSE;
  self->length = at;
  return TRUE;
}

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
  self->limit = zip64_limit;
  set_time (self, created);

  header = read_header (self, stream_size, n_files, content_size, cancellable, error);
  if (!header || !add_items (self, header, name, error) || !plan (self, error))
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

  return self->length;
}

/* ---- reading ------------------------------------------------------------------------------ */

static gboolean
cut_short (GError **error)
{
  g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_SIZE_MISMATCH,
                       _("The stored folder is shorter than its list of files says."));
  return FALSE;
}

/* After the last file: the folder stream must end there too. */
static gboolean
check_base_end (FerryZipInputStream  *self,
                GCancellable         *cancellable,
                GError              **error)
{
  guint8 byte;
  gssize n;

  if (self->carry)
    n = 1;
  else
    n = g_input_stream_read (self->base, &byte, 1, cancellable, error);
  if (n < 0)
    return FALSE;
  if (n == 0)
    return TRUE;
  g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_SIZE_MISMATCH,
                       _("The stored folder is longer than its list of files says."));
  return FALSE;
}

/* Passes on up to @count bytes of the current file's data. */
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
          cut_short (error);
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
  ZipItem *item = NULL;

  g_byte_array_set_size (self->pending, 0);
  self->pending_pos = 0;
  if (self->index < self->items->len)
    item = &g_array_index (self->items, ZipItem, self->index);

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
      append_local_header (self, item, self->pending);
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
      append_descriptor (self, item, self->pending);
      self->stage = STAGE_LOCAL;
      self->index++;
      return TRUE;

    case STAGE_CENTRAL:
      if (item)
        {
          append_central (self, item, self->pending);
          self->index++;
        }
      else
        {
          append_end (self, self->pending);
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
    return -1;
  if (count == 0)
    return 0;

  while (self->pending_pos == self->pending->len)
    {
      if (self->stage == STAGE_DONE)
        return 0;
      if (self->stage == STAGE_DATA && self->data_left > 0)
        {
          gssize got = read_data (self, buffer, count, cancellable, error);

          if (got <= 0)
            self->stage = STAGE_FAILED;
          return got <= 0 ? -1 : got;
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
item_clear (gpointer data)
{
  ZipItem *item = data;

  g_free (item->name);
}

static void
ferry_zip_input_stream_finalize (GObject *object)
{
  FerryZipInputStream *self = FERRY_ZIP_INPUT_STREAM (object);

  g_clear_object (&self->base);
  g_clear_pointer (&self->items, g_array_unref);
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
  self->items = g_array_new (FALSE, TRUE, sizeof (ZipItem));
  g_array_set_clear_func (self->items, item_clear);
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
