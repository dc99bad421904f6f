/* ferry-filename.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-filename"
#define _GNU_SOURCE   /* renameat2() */

#include "config.h"

#include "ferry-filename.h"
#include "ferry-error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gi18n.h>

/* NAME_MAX on Linux and the limit of most desktop file systems, in bytes. */
#define NAME_MAX_BYTES 255
#define PART_SUFFIX ".part"
/* After the last dot: more than this, or a space, and it is just the end of a name. */
#define MAX_EXTENSION_BYTES 16
/* How many numbered names a download tries before giving up. */
#define MAX_NUMBER 9999
#define FALLBACK_NAME "download"
#define SIDECAR_SUFFIX ".ferry"

/* NAME.part and its resume sidecar NAME.part.ferry both fit (docs/PROTOCOL.md §5). */
G_STATIC_ASSERT (FERRY_FILENAME_MAX_BYTES + sizeof PART_SUFFIX - 1 + sizeof SIDECAR_SUFFIX - 1
                 <= NAME_MAX_BYTES);

typedef enum
{
  CHAR_KEEP,
  CHAR_REPLACE,
  CHAR_DROP,
} CharAction;

static CharAction
classify (gunichar c)
{
  /* Path separators, and control characters (C0, DEL, C1), which break listings and
   * terminals. */
  if (c == '/' || c == '\\' || c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f))
    return CHAR_REPLACE;
  /* The line and paragraph separators break a listing like a newline. */
  if (c == 0x2028 || c == 0x2029)
    return CHAR_REPLACE;
  /* Bidi embeddings and overrides (LRE, RLE, PDF, LRO, RLO) and isolates (LRI, RLI, FSI, PDI)
   * reorder what follows, so that "gpj.exe" shows as "exe.jpg": a visible "_" instead. */
  if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
    return CHAR_REPLACE;
  /* The invisible direction marks (LRM, RLM, ALM) reorder nothing on their own: dropped. */
  if (c == 0x200e || c == 0x200f || c == 0x061c)
    return CHAR_DROP;
  return CHAR_KEEP;
}

static gboolean
is_strippable (char c)
{
  return c == '.' || c == ' ';
}

/* Where the extension starts: the last dot that is not the first character, if at most
 * MAX_EXTENSION_BYTES follow it and none is a space, with a ".tar" just before it; otherwise
 * the end of @name (no extension). */
static gsize
extension_offset (const char *name)
{
  gsize len = strlen (name);
  const char *dot = strrchr (name, '.');
  gsize at;

  if (!dot || dot == name || strchr (dot, ' ') ||
      len - (gsize) (dot - name) - 1 > MAX_EXTENSION_BYTES)
    return len;

  at = (gsize) (dot - name);
  if (at > 4 && g_ascii_strncasecmp (name + at - 4, ".tar", 4) == 0)
    at -= 4;
  return at;
}

/* The longest prefix of @str that fits in @max_bytes, cut on a character boundary. */
static gsize
utf8_prefix_len (const char *str,
                 gsize       len,
                 gsize       max_bytes)
{
  const char *end;

  if (len <= max_bytes)
    return len;

  end = str + max_bytes;
  /* Step back over continuation bytes to the start of the character that does not fit. */
  while (end > str && ((guchar) *end & 0xc0) == 0x80)
    end--;
  return (gsize) (end - str);
}

/* @base + @middle + @ext in at most @max_bytes: @base loses whole characters from its end
 * as needed, and then the spaces and dots it ends in, so that "long name .txt" does not
 * become "long .txt". @middle and @ext are short (a number and an extension). */
static char *
join_within (const char *base,
             gsize       base_len,
             const char *middle,
             const char *ext,
             gsize       max_bytes)
{
  gsize middle_len = strlen (middle);
  gsize ext_len = strlen (ext);
  gsize keep;
  GString *out;

  g_assert (middle_len + ext_len < max_bytes);

  keep = utf8_prefix_len (base, base_len, max_bytes - middle_len - ext_len);
  if (keep < base_len)
    while (keep > 1 && is_strippable (base[keep - 1]))
      keep--;

  out = g_string_sized_new (keep + middle_len + ext_len);
  g_string_append_len (out, base, keep);
  g_string_append (out, middle);
  g_string_append (out, ext);
  return g_string_free (out, FALSE);
}

/* @name cut to @max_bytes, keeping the extension. */
static char *
cut_keeping_extension (const char *name,
                       gsize       max_bytes)
{
  gsize ext_at;

  if (strlen (name) <= max_bytes)
    return g_strdup (name);

  ext_at = extension_offset (name);
  return join_within (name, ext_at, "", name + ext_at, max_bytes);
}

char *
ferry_filename_make_safe (const char *name)
{
  g_autofree char *valid = NULL;
  g_autofree char *stripped = NULL;
  g_autoptr(GString) out = NULL;
  const char *start;
  const char *end;

  if (!name)
    return g_strdup (FALLBACK_NAME);

  valid = g_utf8_make_valid (name, -1);
  out = g_string_sized_new (strlen (valid));

  for (const char *p = valid; *p; p = g_utf8_next_char (p))
    {
      switch (classify (g_utf8_get_char (p)))
        {
        case CHAR_KEEP:
          g_string_append_len (out, p, g_utf8_next_char (p) - p);
          break;
        case CHAR_REPLACE:
          g_string_append_c (out, '_');
          break;
        case CHAR_DROP:
        default:
          break;
        }
    }

  start = out->str;
  end = out->str + out->len;
  while (start < end && is_strippable (*start))
    start++;
  while (end > start && is_strippable (end[-1]))
    end--;

  /* Now "." and ".." are gone: they consist only of strippable characters. */
  if (start == end)
    return g_strdup (FALLBACK_NAME);

  stripped = g_strndup (start, (gsize) (end - start));
  /* "-rf" or "--help" would be an option to the next command that is given the name. */
  if (stripped[0] == '-')
    stripped[0] = '_';

  /* Cutting keeps the start and the extension, so the ends stay as they are now. */
  return cut_keeping_extension (stripped, FERRY_FILENAME_MAX_BYTES);
}

char *
ferry_filename_numbered (const char *name,
                         guint       n)
{
  g_autofree char *middle = NULL;
  gsize ext_at;

  g_return_val_if_fail (name != NULL, NULL);

  if (n == 0)
    return g_strdup (name);

  ext_at = extension_offset (name);
  middle = g_strdup_printf (" (%u)", n);
  return join_within (name, ext_at, middle, name + ext_at, FERRY_FILENAME_MAX_BYTES);
}

GFile *
ferry_filename_part_for (GFile *final)
{
  g_autoptr(GFile) dir = NULL;
  g_autofree char *base = NULL;
  g_autofree char *cut = NULL;
  g_autofree char *part_name = NULL;

  g_return_val_if_fail (G_IS_FILE (final), NULL);

  dir = g_file_get_parent (final);
  g_return_val_if_fail (dir != NULL, NULL);

  base = g_file_get_basename (final);
  cut = cut_keeping_extension (base, FERRY_FILENAME_MAX_BYTES);
  part_name = g_strconcat (cut, PART_SUFFIX, NULL);
  return g_file_get_child (dir, part_name);
}

/* The claim of ferry_filename_unique_in_dir() and ferry_filename_unique_folder_in_dir(): NAME.part
 * is created exclusively, as a file (opened into @out_stream) or as a folder. */
static GFile *
unique_in_dir (GFile              *dir,
               const char         *name,
               gboolean            folder,
               GFile             **out_part,
               GFileOutputStream **out_stream,
               GCancellable       *cancellable,
               GError            **error)
{
  g_autofree char *display = NULL;

  for (guint n = 0; n <= MAX_NUMBER; n++)
    {
      g_autofree char *candidate = ferry_filename_numbered (name, n);
      g_autoptr(GFile) file = g_file_get_child (dir, candidate);
      g_autoptr(GFile) part = NULL;
      GFileOutputStream *stream = NULL;
      GError *local_error = NULL;
      gboolean made;

      /* Taken, even by a dangling symbolic link. */
      if (g_file_query_file_type (file, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, cancellable) !=
          G_FILE_TYPE_UNKNOWN)
        continue;

      /* O_CREAT|O_EXCL, or mkdir(): of two downloads that got this far with the same name,
       * one wins. */
      part = ferry_filename_part_for (file);
      if (folder)
        made = g_file_make_directory (part, cancellable, &local_error);
      else
        made = (stream = g_file_create (part, G_FILE_CREATE_PRIVATE, cancellable,
                                        &local_error)) != NULL;
      if (!made)
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS))
            {
              g_clear_error (&local_error);
              continue;
            }
          g_propagate_error (error, local_error);
          return NULL;
        }

      *out_part = g_steal_pointer (&part);
      if (out_stream)
        *out_stream = stream;
      return g_steal_pointer (&file);
    }

  display = g_filename_display_name (name);
  g_set_error (error, FERRY_ERROR, FERRY_ERROR_FAILED,
               _("Could not find a free file name for “%s”."), display);
  return NULL;
}

GFile *
ferry_filename_unique_in_dir (GFile              *dir,
                              const char         *name,
                              GFile             **out_part,
                              GFileOutputStream **out_stream,
                              GCancellable       *cancellable,
                              GError            **error)
{
  g_return_val_if_fail (G_IS_FILE (dir), NULL);
  g_return_val_if_fail (name != NULL && *name != '\0', NULL);
  g_return_val_if_fail (out_part != NULL && out_stream != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return unique_in_dir (dir, name, FALSE, out_part, out_stream, cancellable, error);
}

GFile *
ferry_filename_unique_folder_in_dir (GFile         *dir,
                                     const char    *name,
                                     GFile        **out_part,
                                     GCancellable  *cancellable,
                                     GError       **error)
{
  g_return_val_if_fail (G_IS_FILE (dir), NULL);
  g_return_val_if_fail (name != NULL && *name != '\0', NULL);
  g_return_val_if_fail (out_part != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return unique_in_dir (dir, name, TRUE, out_part, NULL, cancellable, error);
}

/* rename(@from, @to), but failing with EEXIST instead of replacing @to. Returns 0 or an errno
 * value. */
static int
rename_noreplace (const char *from,
                  const char *to)
{
  struct stat st;
  int saved_errno;

  if (renameat2 (AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
    return 0;
  saved_errno = errno;
  if (saved_errno != EINVAL && saved_errno != ENOSYS && saved_errno != EOPNOTSUPP)
    return saved_errno;

  /* A file system without RENAME_NOREPLACE: link() fails the same way when @to exists. */
  if (link (from, to) == 0)
    {
      unlink (from);
      return 0;
    }
  saved_errno = errno;
  if (saved_errno != EPERM && saved_errno != ENOSYS && saved_errno != EOPNOTSUPP)
    return saved_errno;

  /* Nor hard links (FAT): look, then rename. Not atomic, but what g_file_move() does. */
  if (lstat (to, &st) == 0)
    return EEXIST;
  if (rename (from, to) == 0)
    return 0;
  return errno;
}

GFile *
ferry_filename_rename_unique (GFile         *part,
                              GFile         *final,
                              const char    *name,
                              GCancellable  *cancellable,
                              GError       **error)
{
  g_autoptr(GFile) dir = NULL;
  g_autofree char *from = NULL;
  g_autofree char *display = NULL;

  g_return_val_if_fail (G_IS_FILE (part), NULL);
  g_return_val_if_fail (G_IS_FILE (final), NULL);
  g_return_val_if_fail (name != NULL && *name != '\0', NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  dir = g_file_get_parent (final);
  from = g_file_get_path (part);
  g_return_val_if_fail (dir != NULL && from != NULL, NULL);

  /* First the name claimed at the start, then the numbered ones, in order. */
  for (int n = -1; n <= MAX_NUMBER; n++)
    {
      g_autofree char *candidate = n < 0 ? NULL : ferry_filename_numbered (name, (guint) n);
      g_autoptr(GFile) file = n < 0 ? g_object_ref (final) : g_file_get_child (dir, candidate);
      g_autofree char *to = g_file_get_path (file);
      int saved_errno;

      if (n >= 0 && g_file_equal (file, final))
        continue;
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;

      saved_errno = rename_noreplace (from, to);
      if (saved_errno == 0)
        return g_steal_pointer (&file);
      if (saved_errno != EEXIST)
        {
          g_autofree char *basename = g_filename_display_basename (to);

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       _("Could not save “%s”: %s"), basename, g_strerror (saved_errno));
          return NULL;
        }
    }

  display = g_filename_display_name (name);
  g_set_error (error, FERRY_ERROR, FERRY_ERROR_FAILED,
               _("Could not find a free file name for “%s”."), display);
  return NULL;
}
