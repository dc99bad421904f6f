/* ferry-known-servers.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-known-servers"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "ferry-known-servers.h"

char *
ferry_known_servers_key (const char *host,
                         guint16     port)
{
  g_autofree char *lower = g_ascii_strdown (host, -1);

  if (strchr (lower, ':'))
    return g_strdup_printf ("[%s]:%u", lower, port);
  return g_strdup_printf ("%s:%u", lower, port);
}

char *
ferry_known_servers_default_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "ferry", "known-servers", NULL);
}

/* Returns the lines, or NULL if the file does not exist yet (not an error). */
static char **
read_lines (const char  *path,
            gboolean    *ok,
            GError     **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;

  *ok = TRUE;
  if (!g_file_get_contents (path, &contents, NULL, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return NULL;
      *ok = FALSE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return g_strsplit (contents, "\n", -1);
}

/* "KEY FINGERPRINT" -> fingerprint, when the line is for @key. */
static const char *
match_line (const char *line,
            const char *key)
{
  gsize key_len = strlen (key);

  if (strncmp (line, key, key_len) == 0 && line[key_len] == ' ')
    return line + key_len + 1;
  return NULL;
}

char *
ferry_known_servers_lookup (const char  *path,
                            const char  *key,
                            GError     **error)
{
  g_autofree char *default_path = path ? NULL : ferry_known_servers_default_path ();
  g_auto(GStrv) lines = NULL;
  gboolean ok;

  g_return_val_if_fail (key != NULL, NULL);

  lines = read_lines (path ? path : default_path, &ok, error);
  for (guint i = 0; lines && lines[i]; i++)
    {
      const char *fingerprint = match_line (g_strstrip (lines[i]), key);

      if (fingerprint)
        return g_strdup (fingerprint);
    }
  return NULL;
}

GHashTable *
ferry_known_servers_read_all (const char  *path,
                              GError     **error)
{
  g_autofree char *default_path = path ? NULL : ferry_known_servers_default_path ();
  g_autoptr(GHashTable) pins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto(GStrv) lines = NULL;
  gboolean ok;

  lines = read_lines (path ? path : default_path, &ok, error);
  if (!ok)
    return NULL;
  for (guint i = 0; lines && lines[i]; i++)
    {
      const char *line = g_strstrip (lines[i]);
      const char *space = strchr (line, ' ');
      g_autofree char *key = NULL;

      if (!space || space == line)
        continue;
      key = g_strndup (line, (gsize) (space - line));
      /* The first line for a key wins, as in ferry_known_servers_lookup(). */
      if (!g_hash_table_contains (pins, key))
        g_hash_table_insert (pins, g_steal_pointer (&key), g_strdup (space + 1));
    }
  return g_steal_pointer (&pins);
}

static gboolean
rewrite (const char  *path,
         const char  *key,
         const char  *fingerprint,
         gboolean    *removed,
         GError     **error)
{
  g_autofree char *default_path = path ? NULL : ferry_known_servers_default_path ();
  g_autofree char *dir = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  gboolean ok;

  if (!path)
    path = default_path;

  lines = read_lines (path, &ok, error);
  if (!ok)
    return FALSE;

  for (guint i = 0; lines && lines[i]; i++)
    {
      g_strstrip (lines[i]);
      if (!*lines[i])
        continue;
      if (match_line (lines[i], key))
        {
          if (removed)
            *removed = TRUE;
          continue;
        }
      g_string_append_printf (out, "%s\n", lines[i]);
    }
  if (fingerprint)
    g_string_append_printf (out, "%s %s\n", key, fingerprint);

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   _("Could not create the folder %s: %s"), dir, g_strerror (saved));
      return FALSE;
    }

  /* g_file_set_contents_full writes a temporary file and renames it over the old one. */
  return g_file_set_contents_full (path, out->str, (gssize) out->len,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

gboolean
ferry_known_servers_add (const char  *path,
                         const char  *key,
                         const char  *fingerprint,
                         GError     **error)
{
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (fingerprint != NULL, FALSE);

  return rewrite (path, key, fingerprint, NULL, error);
}

gboolean
ferry_known_servers_remove (const char  *path,
                            const char  *key,
                            GError     **error)
{
  gboolean removed = FALSE;

  g_return_val_if_fail (key != NULL, FALSE);

  if (!rewrite (path, key, NULL, &removed, error))
    return FALSE;
  return removed;
}
