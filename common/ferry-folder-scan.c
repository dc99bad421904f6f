/* ferry-folder-scan.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-folder"

#include "config.h"

#include "ferry-folder-scan.h"
#include "ferry-error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gi18n.h>

void
ferry_folder_scan_free (FerryFolderScan *scan)
{
  if (!scan)
    return;
  ferry_folder_header_free (scan->header);
  g_free (scan->first_skipped);
  g_free (scan);
}

static void
skip (FerryFolderScan *scan,
      const char      *path)
{
  if (scan->n_skipped++ == 0)
    scan->first_skipped = g_utf8_make_valid (path, -1);
}

static gboolean
scan_dir (int               dirfd,
          const char       *prefix,
          FerryFolderScan  *scan,
          GCancellable     *cancellable,
          GError          **error)
{
  GPtrArray *entries = scan->header->entries;
  DIR *dir = fdopendir (dirfd);
  struct dirent *ent;

  if (!dir)
    {
      int saved_errno = errno;

      close (dirfd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("“%s” can’t be read: %s."), prefix, g_strerror (saved_errno));
      return FALSE;
    }

  while ((ent = readdir (dir)))
    {
      g_autofree char *path = NULL;
      struct stat st;

      if (strcmp (ent->d_name, ".") == 0 || strcmp (ent->d_name, "..") == 0)
        continue;
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        goto fail;

      path = *prefix ? g_strconcat (prefix, "/", ent->d_name, NULL) : g_strdup (ent->d_name);
      if (fstatat (dirfd, ent->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
          (!S_ISREG (st.st_mode) && !S_ISDIR (st.st_mode)) ||
          !ferry_folder_path_is_valid (path, strlen (path)))
        {
          skip (scan, path);
          continue;
        }
      if (entries->len == FERRY_FOLDER_MAX_ENTRIES)
        {
          g_set_error (error, FERRY_ERROR, FERRY_ERROR_TOO_LARGE,
                       _("The folder holds more than %u files and folders."),
                       FERRY_FOLDER_MAX_ENTRIES);
          goto fail;
        }

      scan->newest_mtime = MAX (scan->newest_mtime, (gint64) st.st_mtime);
      if (S_ISREG (st.st_mode))
        ferry_folder_header_add (scan->header, FERRY_FOLDER_ENTRY_FILE,
                                 (st.st_mode & S_IXUSR) ? FERRY_FOLDER_FLAG_EXECUTABLE : 0,
                                 path, (guint64) st.st_size);
      else
        {
          int child = openat (dirfd, ent->d_name,
                              O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

          ferry_folder_header_add (scan->header, FERRY_FOLDER_ENTRY_FOLDER, 0, path, 0);
          if (child < 0)
            {
              int saved_errno = errno;

              g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                           _("“%s” can’t be read: %s."), path, g_strerror (saved_errno));
              goto fail;
            }
          if (!scan_dir (child, path, scan, cancellable, error))
            goto fail;
        }
    }

  closedir (dir);
  return TRUE;

fail:
  closedir (dir);
  return FALSE;
}

FerryFolderScan *
ferry_folder_scan (GFile         *dir,
                   GCancellable  *cancellable,
                   GError       **error)
{
  g_autoptr(FerryFolderScan) scan = g_new0 (FerryFolderScan, 1);
  g_autofree char *root = g_file_get_path (dir);
  int fd;

  g_return_val_if_fail (G_IS_FILE (dir), NULL);

  if (!root)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("Only folders on this computer can be shared."));
      return NULL;
    }
  /* The folder the person picked may be reached through a link; nothing inside it is. */
  fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    {
      int saved_errno = errno;
      g_autofree char *display = g_filename_display_basename (root);

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("“%s” can’t be read: %s."), display, g_strerror (saved_errno));
      return NULL;
    }

  scan->header = ferry_folder_header_new ();
  if (!scan_dir (fd, "", scan, cancellable, error))
    return NULL;
  ferry_folder_header_sort (scan->header);
  return g_steal_pointer (&scan);
}

static void
scan_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;
  FerryFolderScan *scan = ferry_folder_scan (task_data, cancellable, &error);

  if (scan)
    g_task_return_pointer (task, scan, (GDestroyNotify) ferry_folder_scan_free);
  else
    g_task_return_error (task, error);
}

void
ferry_folder_scan_async (GFile               *dir,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_return_if_fail (G_IS_FILE (dir));

  g_task_set_source_tag (task, ferry_folder_scan_async);
  g_task_set_task_data (task, g_object_ref (dir), g_object_unref);
  g_task_run_in_thread (task, scan_thread);
}

FerryFolderScan *
ferry_folder_scan_finish (GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
