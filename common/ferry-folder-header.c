/* ferry-folder-header.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-folder"

#include "config.h"

#include "ferry-folder-header.h"
#include "ferry-error.h"
#include "ferry-filename.h"

#include <string.h>
#include <glib/gi18n.h>

/* kind, flags, path length; then the path and a u64 size */
#define ENTRY_FIXED_SIZE 4
#define ENTRY_SIZE_FIELD 8

static void
entry_free (FerryFolderEntry *entry)
{
  g_free (entry->path);
  g_free (entry);
}

FerryFolderHeader *
ferry_folder_header_new (void)
{
  FerryFolderHeader *header = g_new0 (FerryFolderHeader, 1);

  header->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
  header->header_size = FERRY_FOLDER_PREAMBLE_SIZE;
  return header;
}

void
ferry_folder_header_free (FerryFolderHeader *header)
{
  if (!header)
    return;
  g_ptr_array_unref (header->entries);
  g_free (header);
}

guint64
ferry_folder_header_stream_size (const FerryFolderHeader *header)
{
  return header->header_size + header->content_size;
}

GBytes *
ferry_folder_header_encode (const FerryFolderHeader *header)
{
  g_autoptr(GByteArray) out = g_byte_array_sized_new ((guint) header->header_size);
  guint32 be32;

  g_byte_array_append (out, (const guint8 *) FERRY_FOLDER_MAGIC, 8);
  be32 = GUINT32_TO_BE (FERRY_FOLDER_FORMAT);
  g_byte_array_append (out, (const guint8 *) &be32, 4);
  be32 = GUINT32_TO_BE (header->entries->len);
  g_byte_array_append (out, (const guint8 *) &be32, 4);

  for (guint i = 0; i < header->entries->len; i++)
    {
      const FerryFolderEntry *entry = g_ptr_array_index (header->entries, i);
      guint16 len = (guint16) strlen (entry->path);
      guint8 fixed[ENTRY_FIXED_SIZE] = { entry->kind, entry->flags, len >> 8, len & 0xff };
      guint64 be64 = GUINT64_TO_BE (entry->size);

      g_byte_array_append (out, fixed, sizeof fixed);
      g_byte_array_append (out, (const guint8 *) entry->path, len);
      g_byte_array_append (out, (const guint8 *) &be64, sizeof be64);
    }

  g_assert (out->len == header->header_size);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

guint
ferry_folder_header_find (const FerryFolderHeader *header,
                          guint64                  offset)
{
  guint lo = 0;
  guint hi = header->entries->len;

  /* The first entry that ends after @offset, skipping folders and empty files. */
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      const FerryFolderEntry *entry = g_ptr_array_index (header->entries, mid);
      guint64 end = entry->start + entry->size;

      if (end <= offset)
        lo = mid + 1;
      else
        hi = mid;
    }
  while (lo < header->entries->len)
    {
      const FerryFolderEntry *entry = g_ptr_array_index (header->entries, lo);

      if (entry->kind == FERRY_FOLDER_ENTRY_FILE && entry->start + entry->size > offset)
        break;
      lo++;
    }
  return lo;
}

gboolean
ferry_folder_path_is_valid (const char *path,
                            gsize       len)
{
  gsize part_start = 0;

  if (len == 0 || len > FERRY_FOLDER_MAX_PATH || memchr (path, '\0', len))
    return FALSE;
  if (!g_utf8_validate_len (path, len, NULL))
    return FALSE;

  for (gsize i = 0; i <= len; i++)
    {
      gsize part_len;

      if (i < len && path[i] != '/')
        continue;
      part_len = i - part_start;
      if (part_len == 0 || part_len > FERRY_FOLDER_MAX_PART)
        return FALSE;
      if ((part_len == 1 && path[part_start] == '.') ||
          (part_len == 2 && path[part_start] == '.' && path[part_start + 1] == '.'))
        return FALSE;
      part_start = i + 1;
    }
  return TRUE;
}

/* ---- the incremental parser ------------------------------------------------------------ */

typedef enum
{
  PARSE_PREAMBLE,
  PARSE_ENTRY_FIXED,
  PARSE_ENTRY_REST,
  PARSE_DONE,
  PARSE_FAILED,
} ParseState;

struct _FerryFolderParser
{
  /* what was announced */
  guint64            stream_size;
  guint32            want_files;
  guint64            want_content;
  gboolean           keep_entries;

  ParseState         state;
  GByteArray        *pending;     /* the bytes of the element being read */
  guint32            count;
  guint32            index;
  guint8             kind;
  guint8             flags;
  guint16            path_len;
  char              *prev_path;
  GHashTable        *files;       /* paths of file entries: nothing may be inside one */
  FerryFolderHeader *header;
};

FerryFolderParser *
ferry_folder_parser_new (guint64  stream_size,
                         guint32  n_files,
                         guint64  content_size,
                         gboolean keep_entries)
{
  FerryFolderParser *self = g_new0 (FerryFolderParser, 1);

  self->stream_size = stream_size;
  self->want_files = n_files;
  self->want_content = content_size;
  self->keep_entries = keep_entries;
  self->pending = g_byte_array_new ();
  self->files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->header = ferry_folder_header_new ();
  self->header->header_size = 0;
  return self;
}

void
ferry_folder_parser_free (FerryFolderParser *self)
{
  if (!self)
    return;
  g_byte_array_unref (self->pending);
  g_hash_table_unref (self->files);
  g_free (self->prev_path);
  ferry_folder_header_free (self->header);
  g_free (self);
}

gboolean
ferry_folder_parser_is_done (FerryFolderParser *self)
{
  return self->state == PARSE_DONE;
}

FerryFolderHeader *
ferry_folder_parser_steal_header (FerryFolderParser *self)
{
  g_return_val_if_fail (self->state == PARSE_DONE, NULL);
  return g_steal_pointer (&self->header);
}

static gboolean
malformed (FerryFolderParser  *self,
           GError            **error,
           const char         *what)
{
  self->state = PARSE_FAILED;
  /* Translators: %s says what is wrong with a folder's list of entries */
  g_set_error (error, FERRY_ERROR, FERRY_ERROR_MALFORMED,
               _("The folder’s list of files is invalid: %s."), what);
  return FALSE;
}

gboolean
ferry_folder_parser_check_done (FerryFolderParser  *self,
                                GError            **error)
{
  if (self->state == PARSE_DONE)
    return TRUE;
  if (self->state == PARSE_FAILED)
    return malformed (self, error, _("it broke the rules"));
  return malformed (self, error, _("it is cut short"));
}

static gsize
element_size (FerryFolderParser *self)
{
  switch (self->state)
    {
    case PARSE_PREAMBLE:
      return FERRY_FOLDER_PREAMBLE_SIZE;
    case PARSE_ENTRY_FIXED:
      return ENTRY_FIXED_SIZE;
    case PARSE_ENTRY_REST:
      return (gsize) self->path_len + ENTRY_SIZE_FIELD;
    case PARSE_DONE:
    case PARSE_FAILED:
    default:
      return 0;
    }
}

static gboolean
check_totals (FerryFolderParser  *self,
              GError            **error)
{
  FerryFolderHeader *header = self->header;

  if (header->n_files != self->want_files || header->content_size != self->want_content)
    return malformed (self, error, _("its files do not match what the upload announced"));
  if (header->header_size + header->content_size != self->stream_size)
    return malformed (self, error, _("its size does not match what the upload announced"));
  self->state = PARSE_DONE;
  return TRUE;
}

static gboolean
parse_preamble (FerryFolderParser  *self,
                const guint8       *p,
                GError            **error)
{
  guint32 format;

  if (memcmp (p, FERRY_FOLDER_MAGIC, 8) != 0)
    return malformed (self, error, _("it does not start like one"));
  memcpy (&format, p + 8, 4);
  if (GUINT32_FROM_BE (format) != FERRY_FOLDER_FORMAT)
    return malformed (self, error, _("its format is unknown"));
  memcpy (&self->count, p + 12, 4);
  self->count = GUINT32_FROM_BE (self->count);
  if (self->count > FERRY_FOLDER_MAX_ENTRIES)
    return malformed (self, error, _("it has too many entries"));
  if (self->count == 0)
    return check_totals (self, error);
  self->state = PARSE_ENTRY_FIXED;
  return TRUE;
}

static gboolean
parse_entry_fixed (FerryFolderParser  *self,
                   const guint8       *p,
                   GError            **error)
{
  self->kind = p[0];
  self->flags = p[1];
  self->path_len = (guint16) ((p[2] << 8) | p[3]);

  if (self->kind != FERRY_FOLDER_ENTRY_FILE && self->kind != FERRY_FOLDER_ENTRY_FOLDER)
    return malformed (self, error, _("an entry has an unknown kind"));
  if ((self->flags & ~FERRY_FOLDER_FLAG_EXECUTABLE) != 0 ||
      (self->kind == FERRY_FOLDER_ENTRY_FOLDER && self->flags != 0))
    return malformed (self, error, _("an entry has unknown flags"));
  if (self->path_len == 0 || self->path_len > FERRY_FOLDER_MAX_PATH)
    return malformed (self, error, _("a path is empty or too long"));
  self->state = PARSE_ENTRY_REST;
  return TRUE;
}

/* Whether a proper ancestor of @path is a file entry. */
static gboolean
inside_a_file (FerryFolderParser *self,
               char              *path)
{
  for (char *slash = strchr (path, '/'); slash; slash = strchr (slash + 1, '/'))
    {
      gboolean found;

      *slash = '\0';
      found = g_hash_table_contains (self->files, path);
      *slash = '/';
      if (found)
        return TRUE;
    }
  return FALSE;
}

static gboolean
parse_entry_rest (FerryFolderParser  *self,
                  const guint8       *p,
                  GError            **error)
{
  FerryFolderHeader *header = self->header;
  g_autofree char *path = NULL;
  guint64 size;

  if (!ferry_folder_path_is_valid ((const char *) p, self->path_len))
    return malformed (self, error, _("a path is not a valid relative path"));
  path = g_strndup ((const char *) p, self->path_len);
  if (self->prev_path && strcmp (self->prev_path, path) >= 0)
    return malformed (self, error, _("its paths are not unique and sorted"));
  if (inside_a_file (self, path))
    return malformed (self, error, _("an entry is inside a file"));

  memcpy (&size, p + self->path_len, sizeof size);
  size = GUINT64_FROM_BE (size);
  if (self->kind == FERRY_FOLDER_ENTRY_FOLDER && size != 0)
    return malformed (self, error, _("a folder has a size"));
  if (self->kind == FERRY_FOLDER_ENTRY_FILE)
    {
      if (header->n_files == self->want_files || size > self->want_content - header->content_size)
        return malformed (self, error, _("it holds more than the upload announced"));
      header->n_files++;
      header->content_size += size;
      g_hash_table_add (self->files, g_strdup (path));
    }

  if (self->keep_entries)
    {
      FerryFolderEntry *entry = g_new0 (FerryFolderEntry, 1);

      entry->kind = self->kind;
      entry->flags = self->flags;
      entry->path = g_strdup (path);
      entry->size = size;
      g_ptr_array_add (header->entries, entry);
    }
  g_free (self->prev_path);
  self->prev_path = g_steal_pointer (&path);

  if (++self->index == self->count)
    return check_totals (self, error);
  self->state = PARSE_ENTRY_FIXED;
  return TRUE;
}

/* Gives every kept entry its place in the stream, once the header's size is known. */
static void
place_entries (FerryFolderHeader *header)
{
  guint64 at = header->header_size;

  for (guint i = 0; i < header->entries->len; i++)
    {
      FerryFolderEntry *entry = g_ptr_array_index (header->entries, i);

      entry->start = at;
      at += entry->size;
    }
}

gboolean
ferry_folder_parser_feed (FerryFolderParser  *self,
                          const guint8       *data,
                          gsize               len,
                          gsize              *consumed,
                          GError            **error)
{
  gsize used = 0;

  g_return_val_if_fail (self->state != PARSE_FAILED, FALSE);

  while (used < len && self->state != PARSE_DONE)
    {
      gsize want = element_size (self);
      gsize take = MIN (want - self->pending->len, len - used);
      gboolean ok;

      g_byte_array_append (self->pending, data + used, (guint) take);
      used += take;
      self->header->header_size += take;
      /* Written so that nothing overflows: the announced content may be anything. */
      if (self->header->header_size > FERRY_FOLDER_MAX_HEADER ||
          self->want_content > self->stream_size ||
          self->header->header_size > self->stream_size - self->want_content)
        {
          malformed (self, error, _("it is longer than the upload announced"));
          goto out;
        }
      if (self->pending->len < want)
        continue;

      if (self->state == PARSE_PREAMBLE)
        ok = parse_preamble (self, self->pending->data, error);
      else if (self->state == PARSE_ENTRY_FIXED)
        ok = parse_entry_fixed (self, self->pending->data, error);
      else
        ok = parse_entry_rest (self, self->pending->data, error);
      g_byte_array_set_size (self->pending, 0);
      if (!ok)
        goto out;
    }

  if (self->state == PARSE_DONE)
    place_entries (self->header);

out:
  if (consumed)
    *consumed = used;
  return self->state != PARSE_FAILED;
}

FerryFolderHeader *
ferry_folder_header_parse (GBytes   *bytes,
                           guint64   stream_size,
                           guint32   n_files,
                           guint64   content_size,
                           GError  **error)
{
  g_autoptr(FerryFolderParser) parser = ferry_folder_parser_new (stream_size, n_files,
                                                                 content_size, TRUE);
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  gsize used = 0;

  if (!ferry_folder_parser_feed (parser, data, len, &used, error))
    return NULL;
  if (!ferry_folder_parser_check_done (parser, error))
    return NULL;
  if (used != len)
    {
      malformed (parser, error, _("it is followed by other bytes"));
      return NULL;
    }
  return ferry_folder_parser_steal_header (parser);
}

gboolean
ferry_folder_option_check (guint64   stream_size,
                           guint32   n_files,
                           guint64   content_size,
                           GError  **error)
{
  if (n_files <= FERRY_FOLDER_MAX_ENTRIES && stream_size >= FERRY_FOLDER_PREAMBLE_SIZE &&
      content_size <= stream_size - FERRY_FOLDER_PREAMBLE_SIZE)
    return TRUE;
  g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_MALFORMED,
                       _("The folder’s size and number of files do not fit together."));
  return FALSE;
}

void
ferry_folder_header_add (FerryFolderHeader    *header,
                         FerryFolderEntryKind  kind,
                         guint8                flags,
                         const char           *path,
                         guint64               size)
{
  FerryFolderEntry *entry = g_new0 (FerryFolderEntry, 1);

  entry->kind = kind;
  entry->flags = flags;
  entry->path = g_strdup (path);
  entry->size = size;
  g_ptr_array_add (header->entries, entry);
  header->header_size += ENTRY_FIXED_SIZE + strlen (path) + ENTRY_SIZE_FIELD;
  if (kind == FERRY_FOLDER_ENTRY_FILE)
    {
      header->n_files++;
      header->content_size += size;
    }
}

static int
compare_entries (gconstpointer a,
                 gconstpointer b)
{
  const FerryFolderEntry *ea = *(FerryFolderEntry * const *) a;
  const FerryFolderEntry *eb = *(FerryFolderEntry * const *) b;

  /* UTF-8 without NUL: strcmp() is the protocol's bytewise order. */
  return strcmp (ea->path, eb->path);
}

void
ferry_folder_header_sort (FerryFolderHeader *header)
{
  g_ptr_array_sort (header->entries, compare_entries);
  place_entries (header);
}

GPtrArray *
ferry_folder_header_safe_paths (const FerryFolderHeader  *header,
                                GError                  **error)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < header->entries->len; i++)
    {
      const FerryFolderEntry *entry = g_ptr_array_index (header->entries, i);
      g_auto(GStrv) parts = g_strsplit (entry->path, "/", -1);
      char *safe_path;

      for (guint p = 0; parts[p]; p++)
        {
          char *safe = ferry_filename_make_safe (parts[p]);

          g_free (parts[p]);
          parts[p] = safe;
        }
      safe_path = g_strjoinv ("/", parts);
      g_ptr_array_add (paths, safe_path);
      if (!g_hash_table_add (seen, safe_path))
        {
          g_set_error (error, FERRY_ERROR, FERRY_ERROR_INVALID_NAME,
                       _("Two entries of the folder would both be saved as “%s”."), safe_path);
          return NULL;
        }
    }
  return g_steal_pointer (&paths);
}
