/* ferry-filename.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-filename"

#include "config.h"

#include "ferry-filename.h"

#include <string.h>

/* NAME_MAX on Linux and the limit of most desktop file systems, in bytes. */
#define MAX_NAME_BYTES 255
/* An "extension" longer than this is just the end of a long name, not worth keeping. */
#define MAX_EXTENSION_BYTES 32
#define FALLBACK_NAME "download"

static gboolean
is_unsafe_char (gunichar c)
{
  return c == '/' || c == '\\' ||
         c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f);
}

static gboolean
is_strippable (char c)
{
  return c == '.' || c == ' ';
}

/* Where the extension starts: the last dot that is not the first character, or the end. */
static gsize
extension_offset (const char *name)
{
  const char *dot = strrchr (name, '.');

  if (!dot || dot == name)
    return strlen (name);
  return (gsize) (dot - name);
}

/* The longest prefix of @str (valid UTF-8) that fits in @max_bytes, cut on a character
 * boundary. */
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

/* Joins @base + @middle + @ext, shortening @base so the result fits in @max_bytes. An @ext
 * too long to be a real extension is treated as part of the base and may be shortened too. */
static char *
join_within (const char *base,
             gsize       base_len,
             const char *middle,
             const char *ext,
             gsize       max_bytes)
{
  gsize middle_len = strlen (middle);
  gsize ext_len = strlen (ext);
  GString *out;

  if (ext_len > 0 && (ext_len > MAX_EXTENSION_BYTES || middle_len + ext_len >= max_bytes))
    {
      /* Treat the extension as part of the base. */
      g_autofree char *joined = g_strdup_printf ("%.*s%s", (int) base_len, base, ext);

      return join_within (joined, strlen (joined), middle, "", max_bytes);
    }

  base_len = utf8_prefix_len (base, base_len, max_bytes - middle_len - ext_len);

  out = g_string_sized_new (base_len + middle_len + ext_len);
  g_string_append_len (out, base, base_len);
  g_string_append (out, middle);
  g_string_append (out, ext);
  return g_string_free (out, FALSE);
}

char *
ferry_filename_make_safe (const char *name)
{
  g_autofree char *valid = NULL;
  g_autoptr(GString) out = NULL;
  const char *start;
  const char *end;

  if (!name)
    return g_strdup (FALLBACK_NAME);

  valid = g_utf8_make_valid (name, -1);
  out = g_string_sized_new (strlen (valid));

  for (const char *p = valid; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (is_unsafe_char (c))
        g_string_append_c (out, '_');
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
    }

  start = out->str;
  end = out->str + out->len;
  while (start < end && is_strippable (*start))
    start++;
  while (end > start && is_strippable (end[-1]))
    end--;

  if (start == end)
    return g_strdup (FALLBACK_NAME);

  /* Now "." and ".." are gone: they consist only of strippable characters. */
  {
    g_autofree char *stripped = g_strndup (start, (gsize) (end - start));
    g_autofree char *cut = NULL;
    gsize ext_at;

    if (strlen (stripped) <= MAX_NAME_BYTES)
      return g_steal_pointer (&stripped);

    ext_at = extension_offset (stripped);
    cut = join_within (stripped, ext_at, "", stripped + ext_at, MAX_NAME_BYTES);

    /* The cut may have left a trailing space or dot before the extension, or at the end. */
    return ferry_filename_make_safe (cut);
  }
}

char *
ferry_filename_numbered (const char *name,
                         guint       n)
{
  gsize ext_at;

  g_return_val_if_fail (name != NULL, NULL);

  if (n == 0)
    return g_strdup (name);

  ext_at = extension_offset (name);
  return g_strdup_printf ("%.*s (%u)%s", (int) ext_at, name, n, name + ext_at);
}

/* Like ferry_filename_numbered(), but never longer than MAX_NAME_BYTES, so that a name that
 * was already at the limit still gets a number instead of failing with ENAMETOOLONG. */
static char *
numbered_within_limit (const char *name,
                       guint       n)
{
  g_autofree char *middle = NULL;
  gsize ext_at;

  if (n == 0)
    return g_strdup (name);

  ext_at = extension_offset (name);
  middle = g_strdup_printf (" (%u)", n);
  return join_within (name, ext_at, middle, name + ext_at, MAX_NAME_BYTES);
}

GFile *
ferry_filename_unique_in_dir (GFile      *dir,
                              const char *safe_name)
{
  g_return_val_if_fail (G_IS_FILE (dir), NULL);
  g_return_val_if_fail (safe_name != NULL && *safe_name != '\0', NULL);

  for (guint n = 0; ; n++)
    {
      g_autofree char *candidate = numbered_within_limit (safe_name, n);
      g_autoptr(GFile) file = g_file_get_child (dir, candidate);

      /* Do not follow symbolic links: a dangling link is a name that is taken. */
      if (g_file_query_file_type (file, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL) ==
          G_FILE_TYPE_UNKNOWN)
        return g_steal_pointer (&file);

      if (n == G_MAXUINT)
        break;
    }

  g_return_val_if_reached (NULL);
}
