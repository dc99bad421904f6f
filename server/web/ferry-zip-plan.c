/* ferry-zip-plan.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The records follow PKWARE's APPNOTE.TXT 6.3 (§4.3 and §4.5); the layout of a ZIP64 local
 * header with a data descriptor is the one Python's zipfile writes to an unseekable stream: the
 * sizes marked 0xFFFFFFFF, a ZIP64 extra field of zeros, and 8-byte sizes in the descriptor.
 */
#define G_LOG_DOMAIN "ferry-zip"

#include "config.h"

#include "ferry-zip-plan.h"
#include "ferry-error.h"
#include "ferry-filename.h"

#include <string.h>
#include <glib/gi18n.h>

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
field32 (const FerryZipPlan *self,
         guint64             value)
{
  return value >= self->limit ? G_MAXUINT32 : (guint32) value;
}

static gboolean
local_is_zip64 (const FerryZipPlan *self,
                const FerryZipItem *item)
{
  return item->is_file && item->size >= self->limit;
}

static guint
version_needed (const FerryZipPlan *self,
                const FerryZipItem *item)
{
  if (item->size >= self->limit || item->offset >= self->limit)
    return VERSION_ZIP64;
  return VERSION_DEFAULT;
}

static guint
item_flags (const FerryZipItem *item)
{
  return item->is_file ? FLAG_UTF8 | FLAG_DESCRIPTOR : FLAG_UTF8;
}

static guint32
external_attributes (const FerryZipItem *item)
{
  if (!item->is_file)
    return ((guint32) MODE_FOLDER << 16) | DOS_FOLDER;
  return (guint32) (item->executable ? MODE_EXECUTABLE : MODE_FILE) << 16;
}

static void
put_timestamp (const FerryZipPlan *self,
               GByteArray         *out)
{
  guint8 flags = 0x01;   /* the modification time, alone */

  put16 (out, EXTRA_TIMESTAMP);
  put16 (out, TIMESTAMP_SIZE - 4);
  g_byte_array_append (out, &flags, 1);
  put32 (out, self->mtime);
}

void
ferry_zip_plan_append_local (const FerryZipPlan *self,
                             const FerryZipItem *item,
                             GByteArray         *out)
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

void
ferry_zip_plan_append_descriptor (const FerryZipPlan *self,
                                  const FerryZipItem *item,
                                  GByteArray         *out)
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

void
ferry_zip_plan_append_central (const FerryZipPlan *self,
                               const FerryZipItem *item,
                               GByteArray         *out)
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

void
ferry_zip_plan_append_end (const FerryZipPlan *self,
                           GByteArray         *out)
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
set_time (FerryZipPlan *self,
          gint64        created)
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
add_item (FerryZipPlan            *self,
          char                    *name,
          const FerryFolderEntry  *entry,
          GError                 **error)
{
  FerryZipItem item = { name, 0, 0, 0, FALSE, FALSE };

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
add_items (FerryZipPlan             *self,
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
      const char *slash = entry->kind == FERRY_FOLDER_ENTRY_FOLDER ? "/" : NULL;

      if (!add_item (self, g_strconcat (root, "/", path, slash, NULL), entry, error))
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

/* Places every record, measuring each with the very code that writes it. */
static gboolean
place_records (FerryZipPlan  *self,
               GError       **error)
{
  g_autoptr(GByteArray) scratch = g_byte_array_new ();
  guint64 at = 0;

  for (guint i = 0; i < self->items->len; i++)
    {
      FerryZipItem *item = &g_array_index (self->items, FerryZipItem, i);

      item->offset = at;
      g_byte_array_set_size (scratch, 0);
      ferry_zip_plan_append_local (self, item, scratch);
      if (item->is_file)
        ferry_zip_plan_append_descriptor (self, item, scratch);
      if (!grow (&at, scratch->len, error) || !grow (&at, item->size, error))
        return FALSE;
    }

  self->central_offset = at;
  for (guint i = 0; i < self->items->len; i++)
    {
      const FerryZipItem *item = &g_array_index (self->items, FerryZipItem, i);

      g_byte_array_set_size (scratch, 0);
      ferry_zip_plan_append_central (self, item, scratch);
      if (!grow (&self->central_size, scratch->len, error))
        return FALSE;
    }

  g_byte_array_set_size (scratch, 0);
  ferry_zip_plan_append_end (self, scratch);
  if (!grow (&at, self->central_size, error) || !grow (&at, scratch->len, error))
    return FALSE;
  self->length = at;
  return TRUE;
}

static void
item_clear (gpointer data)
{
  FerryZipItem *item = data;

  g_free (item->name);
}

void
ferry_zip_plan_free (FerryZipPlan *self)
{
  if (!self)
    return;
  g_array_unref (self->items);
  g_free (self);
}

FerryZipPlan *
ferry_zip_plan_new (const FerryFolderHeader  *header,
                    const char               *name,
                    gint64                    created,
                    guint64                   zip64_limit,
                    GError                  **error)
{
  g_autoptr(FerryZipPlan) self = g_new0 (FerryZipPlan, 1);

  self->items = g_array_new (FALSE, TRUE, sizeof (FerryZipItem));
  g_array_set_clear_func (self->items, item_clear);
  self->limit = zip64_limit;
  set_time (self, created);
  if (!add_items (self, header, name, error) || !place_records (self, error))
    return NULL;
  return g_steal_pointer (&self);
}
