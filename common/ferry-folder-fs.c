/* ferry-folder-fs.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-folder"

#include "config.h"

#include "ferry-folder-fs.h"
#include "ferry-error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gi18n.h>

void
ferry_folder_clear_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

gboolean
ferry_folder_errno_error (GError     **error,
                          int          saved_errno,
                          const char  *path)
{
  g_autofree char *display = g_utf8_make_valid (path, -1);

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               /* Translators: a path inside a folder, then why it failed */
               _("“%s” failed: %s."), display, g_strerror (saved_errno));
  return FALSE;
}

/* Opens the folder that holds @path below @rootfd, one part at a time with O_NOFOLLOW, making
 * missing folders if @create. Sets @leaf to the last part. Returns a descriptor or -1. */
int
ferry_folder_open_parent (int           rootfd,
                          const char   *path,
                          gboolean      create,
                          const char  **leaf,
                          GError      **error)
{
  g_auto(GStrv) parts = g_strsplit (path, "/", -1);
  guint n = g_strv_length (parts);
  int fd = fcntl (rootfd, F_DUPFD_CLOEXEC, 0);

  if (fd < 0)
    {
      ferry_folder_errno_error (error, errno, path);
      return -1;
    }
  for (guint i = 0; i + 1 < n; i++)
    {
      int next;

      if (create && mkdirat (fd, parts[i], 0777) != 0 && errno != EEXIST)
        {
          ferry_folder_errno_error (error, errno, path);
          close (fd);
          return -1;
        }
      next = openat (fd, parts[i], FERRY_FOLDER_DIR_FLAGS);
      close (fd);
      if (next < 0)
        {
          ferry_folder_errno_error (error, errno, path);
          return -1;
        }
      fd = next;
    }
  *leaf = path + strlen (path) - strlen (parts[n - 1]);
  return fd;
}

/* Opens the file @path below @rootfd with @flags (O_NOFOLLOW and O_CLOEXEC added). */
int
ferry_folder_open_beneath (int          rootfd,
                           const char  *path,
                           int          flags,
                           mode_t       mode,
                           GError     **error)
{
  const char *leaf = NULL;
  int dirfd = ferry_folder_open_parent (rootfd, path, (flags & O_CREAT) != 0, &leaf, error);
  int fd;

  if (dirfd < 0)
    return -1;
  fd = openat (dirfd, leaf, flags | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0)
    ferry_folder_errno_error (error, errno, path);
  close (dirfd);
  return fd;
}

gboolean
ferry_folder_make_folder (int          rootfd,
                          const char  *path,
                          GError     **error)
{
  const char *leaf = NULL;
  int dirfd = ferry_folder_open_parent (rootfd, path, TRUE, &leaf, error);
  int fd;

  if (dirfd < 0)
    return FALSE;
  if (mkdirat (dirfd, leaf, 0777) != 0 && errno != EEXIST)
    {
      close (dirfd);
      return ferry_folder_errno_error (error, errno, path);
    }
  /* Something else by that name (a file, a link) is in the way. */
  fd = openat (dirfd, leaf, FERRY_FOLDER_DIR_FLAGS);
  close (dirfd);
  if (fd < 0)
    return ferry_folder_errno_error (error, errno, path);
  close (fd);
  return TRUE;
}


gboolean
ferry_folder_changed_error (GError     **error,
                            const char  *path)
{
  g_autofree char *display = g_utf8_make_valid (path, -1);

  g_set_error (error, FERRY_ERROR, FERRY_ERROR_SIZE_MISMATCH,
               _("“%s” changed while the folder was being uploaded."), display);
  return FALSE;
}


/* ---- removing a tree ------------------------------------------------------------------- */

static gboolean
remove_below (int          dirfd,
              const char  *display,
              GError     **error)
{
  DIR *dir = fdopendir (dirfd);
  struct dirent *ent;
  gboolean ok = TRUE;

  if (!dir)
    {
      close (dirfd);
      return ferry_folder_errno_error (error, errno, display);
    }
  while (ok && (ent = readdir (dir)))
    {
      if (strcmp (ent->d_name, ".") == 0 || strcmp (ent->d_name, "..") == 0)
        continue;
      if (unlinkat (dirfd, ent->d_name, 0) == 0)
        continue;
      if (errno == EISDIR || errno == EPERM)
        {
          int child = openat (dirfd, ent->d_name, FERRY_FOLDER_DIR_FLAGS);

          ok = child >= 0 ? remove_below (child, ent->d_name, error)
                          : ferry_folder_errno_error (error, errno, ent->d_name);
          if (ok && unlinkat (dirfd, ent->d_name, AT_REMOVEDIR) != 0)
            ok = ferry_folder_errno_error (error, errno, ent->d_name);
        }
      else if (errno != ENOENT)
        ok = ferry_folder_errno_error (error, errno, ent->d_name);
    }
  closedir (dir);
  return ok;
}

gboolean
ferry_folder_remove_tree (GFile   *dir,
                          GError **error)
{
  g_autofree char *path = g_file_get_path (dir);
  int fd;

  g_return_val_if_fail (path != NULL, FALSE);

  fd = open (path, FERRY_FOLDER_DIR_FLAGS);
  if (fd < 0)
    return errno == ENOENT ? TRUE : ferry_folder_errno_error (error, errno, path);
  if (!remove_below (fd, path, error))
    return FALSE;
  if (rmdir (path) != 0 && errno != ENOENT)
    return ferry_folder_errno_error (error, errno, path);
  return TRUE;
}
