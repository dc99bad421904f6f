/* ferry-upload-tokens.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-upload-tokens"

#include "config.h"

#include "ferry-upload-tokens.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <string.h>
#include <glib/gstdio.h>

#define KEY_TOKEN "token"
#define KEY_SAVED "saved"

/* One file's store, shared by every thread of this process. */
static GMutex tokens_lock;

static char *
tokens_path (void)
{
  return g_build_filename (g_get_user_state_dir (), "ferry", "uploads", NULL);
}

/* A group name for the entry: the key is any bytes (a path may hold newlines and brackets),
 * so it is hashed. */
static char *
entry_group (const char *server,
             GFile      *file,
             guint64     size,
             gint64      mtime)
{
  g_autofree char *path = g_file_get_path (file);
  g_autofree char *key = NULL;

  if (!path)
    path = g_file_get_uri (file);
  key = g_strdup_printf ("%s\n%s\n%" G_GUINT64_FORMAT "\n%" G_GINT64_FORMAT,
                         server, path, size, mtime);
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);
}

/* Under tokens_lock. */
static GKeyFile *
load (void)
{
  g_autofree char *path = tokens_path ();
  GKeyFile *keys = g_key_file_new ();

  /* A missing or damaged file is an empty one. */
  g_key_file_load_from_file (keys, path, G_KEY_FILE_NONE, NULL);
  return keys;
}

char *
ferry_upload_tokens_lookup (const char *server,
                            GFile      *file,
                            guint64     size,
                            gint64      mtime)
{
  g_autofree char *group = NULL;
  g_autoptr(GKeyFile) keys = NULL;
  gint64 saved;
  char *token;

  g_return_val_if_fail (server != NULL, NULL);
  g_return_val_if_fail (G_IS_FILE (file), NULL);

  group = entry_group (server, file, size, mtime);
  g_mutex_lock (&tokens_lock);
  keys = load ();
  g_mutex_unlock (&tokens_lock);

  token = g_key_file_get_string (keys, group, KEY_TOKEN, NULL);
  saved = g_key_file_get_int64 (keys, group, KEY_SAVED, NULL);
  if (token &&
      (saved < g_get_real_time () / G_USEC_PER_SEC - FERRY_UPLOAD_TOKENS_MAX_AGE_S ||
       !g_str_is_ascii (token) || strlen (token) > 64))
    g_clear_pointer (&token, g_free);
  return token;
}

/* A new file beside @path renamed over it, so that readers in other processes see the old
 * or the new list, never half of one. No fsync: a token lost to a power cut only means that
 * upload starts over, and a batch of uploads should not cost a disk sync each. */
static gboolean
save_without_sync (GKeyFile    *keys,
                   const char  *path,
                   GError     **error)
{
  g_autofree char *text = NULL;
  g_autofree char *tmp = g_strconcat (path, ".XXXXXX", NULL);
  gsize len = 0;
  int fd;

  text = g_key_file_to_data (keys, &len, NULL);
  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", tmp,
                   g_strerror (saved));
      return FALSE;
    }
  for (gsize done = 0; done < len;)
    {
      gssize n = write (fd, text + done, len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          close (fd);
          g_unlink (tmp);
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", tmp,
                       g_strerror (saved));
          return FALSE;
        }
      done += (gsize) n;
    }
  if (close (fd) != 0 || g_rename (tmp, path) != 0)
    {
      int saved = errno;

      g_unlink (tmp);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", path,
                   g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

gboolean
ferry_upload_tokens_store (const char  *server,
                           GFile       *file,
                           guint64      size,
                           gint64       mtime,
                           const char  *token,
                           GError     **error)
{
  g_autofree char *group = NULL;
  g_autofree char *path = tokens_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_auto(GStrv) groups = NULL;
  g_autoptr(GKeyFile) keys = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gboolean ok;

  g_return_val_if_fail (server != NULL, FALSE);
  g_return_val_if_fail (G_IS_FILE (file), FALSE);

  group = entry_group (server, file, size, mtime);
  g_mutex_lock (&tokens_lock);
  keys = load ();

  /* Old entries go whenever the file is written. */
  groups = g_key_file_get_groups (keys, NULL);
  for (guint i = 0; groups[i]; i++)
    if (g_key_file_get_int64 (keys, groups[i], KEY_SAVED, NULL) <
        now - FERRY_UPLOAD_TOKENS_MAX_AGE_S)
      g_key_file_remove_group (keys, groups[i], NULL);

  if (token)
    {
      g_key_file_set_string (keys, group, KEY_TOKEN, token);
      g_key_file_set_int64 (keys, group, KEY_SAVED, now);
    }
  else
    g_key_file_remove_group (keys, group, NULL);

  ok = g_mkdir_with_parents (dir, 0700) == 0 || errno == EEXIST;
  if (!ok)
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s", dir,
                 g_strerror (errno));
  else
    ok = save_without_sync (keys, path, error);
  g_mutex_unlock (&tokens_lock);
  return ok;
}
