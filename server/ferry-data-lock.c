/* ferry-data-lock.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-data-lock"

#include "config.h"

#include "ferry-data-lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

struct _FerryDataLock
{
  char *path;
  int   fd;
};

/* The pid the holder wrote, or 0 when there is none yet (it writes just after locking). */
static long
read_holder_pid (int fd)
{
  char text[32] = { 0 };
  ssize_t n;
  char *end = NULL;
  long pid;

  n = pread (fd, text, sizeof text - 1, 0);
  if (n <= 0)
    return 0;
  pid = strtol (text, &end, 10);
  if (end == text || pid <= 0)
    return 0;
  return pid;
}

FerryDataLock *
ferry_data_lock_acquire (const char  *data_dir,
                         GError     **error)
{
  g_autofree char *path = NULL;
  g_autofree char *pid_text = NULL;
  FerryDataLock *lock;
  int fd;
  int errsv;

  g_return_val_if_fail (data_dir != NULL, NULL);

  if (g_mkdir_with_parents (data_dir, 0700) != 0)
    {
      errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Could not create the directory %s: %s."), data_dir, g_strerror (errsv));
      return NULL;
    }

  path = g_build_filename (data_dir, "lock", NULL);
  fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    {
      errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Could not open the lock file %s: %s."), path, g_strerror (errsv));
      return NULL;
    }

  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      long pid;

      errsv = errno;
      if (errsv != EWOULDBLOCK)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                       _("Could not lock %s: %s."), path, g_strerror (errsv));
          close (fd);
          return NULL;
        }
      pid = read_holder_pid (fd);
      close (fd);
      if (pid > 0)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                     _("%s is in use by another ferry-server (pid %ld)."), data_dir, pid);
      else
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                     _("%s is in use by another ferry-server."), data_dir);
      return NULL;
    }

  pid_text = g_strdup_printf ("%ld\n", (long) getpid ());
  if (ftruncate (fd, 0) != 0 ||
      pwrite (fd, pid_text, strlen (pid_text), 0) != (ssize_t) strlen (pid_text))
    {
      /* The lock itself holds; only the pid in the message of a second server is missing. */
      g_warning ("Could not write the pid into %s: %s", path, g_strerror (errno));
    }

  lock = g_new0 (FerryDataLock, 1);
  lock->path = g_steal_pointer (&path);
  lock->fd = fd;
  return lock;
}

void
ferry_data_lock_release (FerryDataLock *lock)
{
  if (!lock)
    return;

  /* The file stays: removing it would let a third server lock a fresh file while a second one
   * still holds the old one. */
  if (lock->fd >= 0)
    close (lock->fd);
  g_free (lock->path);
  g_free (lock);
}
