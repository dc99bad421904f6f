/* ferry-identity.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-identity"

#include "config.h"

#include "ferry-identity.h"

#include "ferry-checksum.h"
#include "ferry-error.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

char *
ferry_identity_default_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "ferry", "identity", NULL);
}

gboolean
ferry_random_bytes (guint8  *buf,
                    gsize    len,
                    GError **error)
{
  gsize done = 0;

  while (done < len)
    {
      ssize_t n = getrandom (buf + done, len - done, 0);

      if (n < 0)
        {
          int saved_errno = errno;

          if (saved_errno == EINTR)
            continue;
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                       _("Could not get random bytes: %s"),
                       g_strerror (saved_errno));
          return FALSE;
        }
      done += (gsize) n;
    }

  return TRUE;
}

static gboolean
write_all (int           fd,
           const char   *data,
           gsize         len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return FALSE;
        }
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

/* Writes @contents to a new file at @path that nobody but the owner can ever read, and never
 * replaces an existing file. Sets errno and returns FALSE on failure. The file appears with its
 * whole contents at once: it is written under a temporary name and then hard-linked into
 * place, which fails with EEXIST instead of overwriting. */
static gboolean
create_exclusive (const char *path,
                  const char *contents)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *tmp_path = g_build_filename (dir, ".secret-XXXXXX", NULL);
  gsize len = strlen (contents);
  int saved_errno;
  int fd;

  fd = g_mkstemp_full (tmp_path, O_WRONLY | O_CLOEXEC, 0600);
  if (fd >= 0)
    {
      if (!write_all (fd, contents, len) || fsync (fd) != 0)
        {
          saved_errno = errno;
          close (fd);
          g_unlink (tmp_path);
          errno = saved_errno;
          return FALSE;
        }
      if (close (fd) != 0)
        {
          saved_errno = errno;
          g_unlink (tmp_path);
          errno = saved_errno;
          return FALSE;
        }

      if (link (tmp_path, path) == 0)
        {
          g_unlink (tmp_path);
          return TRUE;
        }

      saved_errno = errno;
      g_unlink (tmp_path);
      if (saved_errno == EEXIST)
        {
          errno = saved_errno;
          return FALSE;
        }
      /* Some file systems have no hard links: fall through to O_EXCL. */
    }

  fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return FALSE;
  if (!write_all (fd, contents, len) || fsync (fd) != 0)
    {
      saved_errno = errno;
      close (fd);
      /* A half-written secret would be reported as damaged forever: take it back. */
      g_unlink (path);
      errno = saved_errno;
      return FALSE;
    }
  return close (fd) == 0;
}

typedef enum
{
  READ_OK,
  READ_MISSING,
  READ_FAILED,
} ReadResult;

static ReadResult
read_secret (const char *path,
             const char *damaged_advice,
             guint8     *secret,
             GError    **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  guint8 parsed[FERRY_SECRET_SIZE];
  gsize len = 0;
  gboolean ok;

  if (!g_file_get_contents (path, &contents, &len, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return READ_MISSING;
      /* The message from GLib already names the file. */
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  _("Could not read a secret: "));
      return READ_FAILED;
    }

  /* Exactly 64 hex digits, optionally followed by one newline. An embedded NUL makes strlen
   * disagree with len and the file is refused. */
  if (len > 0 && contents[len - 1] == '\n')
    contents[--len] = '\0';
  ok = strlen (contents) == len && ferry_sha256_from_hex (contents, parsed);
  memset (contents, 0, len);

  if (!ok)
    {
      /* Translators: the second %s is a sentence that says what moving the file away does */
      g_set_error (error, FERRY_ERROR, FERRY_ERROR_FAILED,
                   _("The file “%s” is damaged: it should hold 64 hexadecimal digits. %s"),
                   path, damaged_advice);
      return READ_FAILED;
    }

  memcpy (secret, parsed, FERRY_SECRET_SIZE);
  memset (parsed, 0, sizeof parsed);
  return READ_OK;
}

gboolean
ferry_identity_load (const char  *path,
                     guint8       secret[FERRY_SECRET_SIZE],
                     GError     **error)
{
  g_autofree char *default_path = NULL;

  if (!path)
    path = default_path = ferry_identity_default_path ();
  return ferry_secret_file_load (path,
                                 _("Move it away to create a new identity; you will then no "
                                   "longer be able to delete the files you shared with the old "
                                   "one."),
                                 secret, error);
}

gboolean
ferry_secret_file_load (const char  *path,
                        const char  *damaged_advice,
                        guint8       secret[FERRY_SECRET_SIZE],
                        GError     **error)
{
  g_autofree char *dir = NULL;
  guint8 fresh[FERRY_SECRET_SIZE];
  g_autofree char *hex = NULL;
  g_autofree char *contents = NULL;
  ReadResult result;
  int saved_errno;

  g_return_val_if_fail (path != NULL && damaged_advice != NULL, FALSE);
  g_return_val_if_fail (secret != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  result = read_secret (path, damaged_advice, secret, error);
  if (result != READ_MISSING)
    return result == READ_OK;

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Could not create the folder “%s”: %s"),
                   dir, g_strerror (saved_errno));
      return FALSE;
    }

  if (!ferry_random_bytes (fresh, sizeof fresh, error))
    return FALSE;

  hex = ferry_sha256_to_hex (fresh);
  contents = g_strconcat (hex, "\n", NULL);
  memset (hex, 0, strlen (hex));

  if (!create_exclusive (path, contents))
    {
      saved_errno = errno;
      memset (contents, 0, strlen (contents));
      memset (fresh, 0, sizeof fresh);

      /* Another process created it first: use theirs, so that both agree. */
      if (saved_errno == EEXIST)
        return read_secret (path, damaged_advice, secret, error) == READ_OK;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Could not create the file “%s”: %s"),
                   path, g_strerror (saved_errno));
      return FALSE;
    }

  memset (contents, 0, strlen (contents));
  memcpy (secret, fresh, FERRY_SECRET_SIZE);
  memset (fresh, 0, sizeof fresh);
  return TRUE;
}
