/* ferry-download-sidecar.c: NAME.part.ferry, a small key file beside a download's NAME.part
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-sidecar"

#include "config.h"

#include "ferry-download-sidecar.h"

#include "ferry-folder-header.h"

#include <errno.h>
#include <string.h>
#include <sys/file.h>
#include <glib/gi18n.h>
#include <gio/gfiledescriptorbased.h>

#define SIDECAR_SUFFIX ".ferry"
#define PART_SIDECAR_SUFFIX ".part" SIDECAR_SUFFIX
#define GROUP "download"
#define HASH_BUFFER_SIZE (256 * 1024)

FerrySidecar *
ferry_sidecar_copy (const FerrySidecar *self)
{
  FerrySidecar *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_memdup2 (self, sizeof *self);
  copy->server = g_strdup (self->server);
  copy->offer_id = g_strdup (self->offer_id);
  if (self->folder_header)
    copy->folder_header = g_bytes_ref (self->folder_header);
  return copy;
}

void
ferry_sidecar_free (FerrySidecar *self)
{
  if (!self)
    return;
  g_free (self->server);
  g_free (self->offer_id);
  g_clear_pointer (&self->folder_header, g_bytes_unref);
  g_free (self);
}

GFile *
ferry_sidecar_file_for (GFile *part)
{
  g_autofree char *path = NULL;
  g_autofree char *sidecar = NULL;

  g_return_val_if_fail (G_IS_FILE (part), NULL);

  path = g_file_get_path (part);
  sidecar = g_strconcat (path, SIDECAR_SUFFIX, NULL);
  return g_file_new_for_path (sidecar);
}

gboolean
ferry_sidecar_save (const FerrySidecar *self,
                    GFile              *part,
                    GCancellable       *cancellable,
                    GError            **error)
{
  g_autoptr(GKeyFile) keys = g_key_file_new ();
  g_autoptr(GFile) file = ferry_sidecar_file_for (part);
  g_autofree char *offer_sha256 = ferry_sha256_to_hex (self->offer_sha256);
  g_autofree char *count_sha256 = ferry_sha256_to_hex (self->count_sha256);
  g_autofree char *text = NULL;
  gsize len = 0;

  g_key_file_set_string (keys, GROUP, "server", self->server);
  g_key_file_set_string (keys, GROUP, "offer-id", self->offer_id);
  g_key_file_set_string (keys, GROUP, "offer-sha256", offer_sha256);
  g_key_file_set_uint64 (keys, GROUP, "size", self->size);
  g_key_file_set_uint64 (keys, GROUP, "count", self->count);
  g_key_file_set_string (keys, GROUP, "count-sha256", count_sha256);
  if (self->folder_header)
    {
      gsize header_len = 0;
      const guint8 *header = g_bytes_get_data (self->folder_header, &header_len);
      g_autofree char *encoded = g_base64_encode (header, header_len);

      g_key_file_set_uint64 (keys, GROUP, "folder-files", self->folder_files);
      g_key_file_set_uint64 (keys, GROUP, "folder-bytes", self->folder_content);
      g_key_file_set_string (keys, GROUP, "folder-header", encoded);
    }
  text = g_key_file_to_data (keys, &len, NULL);

  /* g_file_replace_contents() writes a temporary file and renames it over the old one. */
  return g_file_replace_contents (file, text, len, NULL, FALSE,
                                  G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION,
                                  NULL, cancellable, error);
}

void
ferry_sidecar_remove (GFile        *part,
                      GCancellable *cancellable)
{
  g_autoptr(GFile) file = ferry_sidecar_file_for (part);
  g_autoptr(GError) error = NULL;

  if (!g_file_delete (file, cancellable, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    g_warning ("Could not remove %s: %s", g_file_peek_path (file), error->message);
}

/* A key of digits only, as g_key_file_set_uint64() writes it ("-1" is not 2^64 - 1). */
static gboolean
get_count (GKeyFile   *keys,
           const char *key,
           guint64    *out)
{
  g_autofree char *text = g_key_file_get_string (keys, GROUP, key, NULL);

  return text && g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT64, out, NULL);
}

/* A folder's keys (PROTOCOL.md §5, Folders, Resume): the header in base64, at most the
 * protocol's 16 MiB, and the offer's file count and content bytes. */
static gboolean
load_folder (FerrySidecar *self,
             GKeyFile     *keys)
{
  g_autofree char *encoded = g_key_file_get_string (keys, GROUP, "folder-header", NULL);
  guint64 files = 0;
  guchar *header;
  gsize len = 0;

  if (!encoded || strlen (encoded) > (FERRY_FOLDER_MAX_HEADER / 3 + 1) * 4 ||
      !get_count (keys, "folder-files", &files) || files > G_MAXUINT32 ||
      !get_count (keys, "folder-bytes", &self->folder_content))
    return FALSE;
  header = g_base64_decode (encoded, &len);
  if (len == 0 || len > FERRY_FOLDER_MAX_HEADER || len > self->count)
    {
      g_free (header);
      return FALSE;
    }
  self->folder_header = g_bytes_new_take (header, len);
  self->folder_files = (guint32) files;
  return TRUE;
}

/* Reads a sidecar; NULL when it is missing or is not one of ours. */
static FerrySidecar *
sidecar_load (GFile *file)
{
  g_autoptr(GKeyFile) keys = g_key_file_new ();
  g_autoptr(FerrySidecar) self = g_new0 (FerrySidecar, 1);
  g_autofree char *offer_sha256 = NULL;
  g_autofree char *count_sha256 = NULL;

  if (!g_key_file_load_from_file (keys, g_file_peek_path (file), G_KEY_FILE_NONE, NULL))
    return NULL;

  self->server = g_key_file_get_string (keys, GROUP, "server", NULL);
  self->offer_id = g_key_file_get_string (keys, GROUP, "offer-id", NULL);
  offer_sha256 = g_key_file_get_string (keys, GROUP, "offer-sha256", NULL);
  count_sha256 = g_key_file_get_string (keys, GROUP, "count-sha256", NULL);
  if (!self->server || !self->offer_id || !offer_sha256 || !count_sha256 ||
      !get_count (keys, "size", &self->size) || !get_count (keys, "count", &self->count) ||
      !ferry_sha256_from_hex (offer_sha256, self->offer_sha256) ||
      !ferry_sha256_from_hex (count_sha256, self->count_sha256) ||
      self->count > self->size)
    return NULL;
  if (g_key_file_has_key (keys, GROUP, "folder-header", NULL) &&
      !load_folder (self, keys))
    return NULL;
  return g_steal_pointer (&self);
}

static gboolean
sidecar_matches (const FerrySidecar *self,
                 const char         *server,
                 const char         *offer_id)
{
  return self && g_strcmp0 (self->server, server) == 0 &&
         g_strcmp0 (self->offer_id, offer_id) == 0;
}

/* NAME.part is a regular file (a folder for a folder's sidecar), not a symbolic link that
 * would send the bytes elsewhere. */
static gboolean
is_part_of (const FerrySidecar *self,
            GFile              *part,
            GCancellable       *cancellable)
{
  return g_file_query_file_type (part, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, cancellable) ==
         (self->folder_header ? G_FILE_TYPE_DIRECTORY : G_FILE_TYPE_REGULAR);
}

GFile *
ferry_sidecar_find (GFile         *dir,
                    GFile         *candidate,
                    const char    *server,
                    const char    *offer_id,
                    FerrySidecar **out_sidecar,
                    GCancellable  *cancellable)
{
  g_autoptr(GFileEnumerator) children = NULL;

  g_return_val_if_fail (G_IS_FILE (dir), NULL);

  if (candidate)
    {
      g_autoptr(GFile) file = ferry_sidecar_file_for (candidate);
      g_autoptr(FerrySidecar) sidecar = sidecar_load (file);

      if (!sidecar_matches (sidecar, server, offer_id) ||
          !is_part_of (sidecar, candidate, cancellable))
        return NULL;
      *out_sidecar = g_steal_pointer (&sidecar);
      return g_object_ref (candidate);
    }

  children = g_file_enumerate_children (dir, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, cancellable, NULL);
  /* A folder that cannot be listed (it does not exist yet) holds nothing to resume. */
  while (children)
    {
      g_autoptr(FerrySidecar) sidecar = NULL;
      g_autoptr(GFile) sidecar_file = NULL;
      g_autoptr(GFile) part = NULL;
      g_autofree char *part_name = NULL;
      GFileInfo *info = NULL;
      const char *name;

      if (!g_file_enumerator_iterate (children, &info, NULL, cancellable, NULL) || !info)
        break;
      name = g_file_info_get_name (info);
      if (!g_str_has_suffix (name, PART_SIDECAR_SUFFIX))
        continue;
      sidecar_file = g_file_get_child (dir, name);
      sidecar = sidecar_load (sidecar_file);
      if (!sidecar_matches (sidecar, server, offer_id))
        continue;
      part_name = g_strndup (name, strlen (name) - strlen (SIDECAR_SUFFIX));
      part = g_file_get_child (dir, part_name);
      if (!is_part_of (sidecar, part, cancellable))
        continue;
      *out_sidecar = g_steal_pointer (&sidecar);
      return g_steal_pointer (&part);
    }
  return NULL;
}

FerryChecksum *
ferry_sidecar_check_part (const FerrySidecar *self,
                          GFile              *part,
                          GCancellable       *cancellable)
{
  g_autoptr(GFileInputStream) input = NULL;
  g_autoptr(FerryChecksum) checksum = ferry_checksum_new ();
  g_autofree guint8 *buffer = NULL;
  guint8 digest[FERRY_SHA256_SIZE];
  guint64 left = self->count;

  input = g_file_read (part, cancellable, NULL);
  if (!input)
    return NULL;
  buffer = g_malloc (HASH_BUFFER_SIZE);
  while (left > 0)
    {
      gssize got = g_input_stream_read (G_INPUT_STREAM (input), buffer,
                                        (gsize) MIN (left, HASH_BUFFER_SIZE), cancellable,
                                        NULL);

      if (got <= 0)
        return NULL;  /* cut short, or unreadable */
      ferry_checksum_update (checksum, buffer, (gsize) got);
      left -= (guint64) got;
    }
  ferry_checksum_peek (checksum, digest);
  if (memcmp (digest, self->count_sha256, FERRY_SHA256_SIZE) != 0)
    return NULL;
  return g_steal_pointer (&checksum);
}

gboolean
ferry_sidecar_lock_part (GOutputStream  *output,
                         GFile          *part,
                         GError        **error)
{
  int fd;

  g_return_val_if_fail (G_IS_FILE_DESCRIPTOR_BASED (output), FALSE);

  fd = g_file_descriptor_based_get_fd (G_FILE_DESCRIPTOR_BASED (output));
  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      int saved = errno;

      g_autofree char *name = g_filename_display_basename (g_file_peek_path (part));

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   /* Translators: %s is a file name such as report.pdf.part */
                   _("Another download is writing “%s”."), name);
      return FALSE;
    }
  return TRUE;
}

GOutputStream *
ferry_sidecar_open_part (GFile         *part,
                         GCancellable  *cancellable,
                         GError       **error)
{
  g_autoptr(GFileOutputStream) output = NULL;

  /* Appending: every write lands at the end, where a truncation puts it. */
  output = g_file_append_to (part, G_FILE_CREATE_PRIVATE, cancellable, error);
  if (!output || !ferry_sidecar_lock_part (G_OUTPUT_STREAM (output), part, error))
    return NULL;
  return G_OUTPUT_STREAM (g_steal_pointer (&output));
}
