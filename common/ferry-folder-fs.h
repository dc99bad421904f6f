/* ferry-folder-fs.h: the file-system steps a folder stream takes below a folder descriptor,
 * never through a symbolic link (for ferry-folder-input-stream.c and
 * ferry-folder-output-stream.c)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <fcntl.h>
#include <gio/gio.h>
#include <sys/types.h>

G_BEGIN_DECLS

#define FERRY_FOLDER_DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/* Closes *@fd if open and sets it to -1 (g_clear_fd() arrives in GLib 2.76). */
void      ferry_folder_clear_fd       (int          *fd);
/* Sets a G_IO_ERROR from @saved_errno naming @path; returns FALSE. */
gboolean  ferry_folder_errno_error    (GError      **error,
                                       int           saved_errno,
                                       const char   *path);
/* Sets the SIZE_MISMATCH error of a file that changed under the transfer; returns FALSE. */
gboolean  ferry_folder_changed_error  (GError      **error,
                                       const char   *path);
/* Opens the folder that holds @path below @rootfd, one part at a time with O_NOFOLLOW, making
 * missing folders if @create. Sets @leaf to the last part. Returns a descriptor or -1. */
int       ferry_folder_open_parent    (int           rootfd,
                                       const char   *path,
                                       gboolean      create,
                                       const char  **leaf,
                                       GError      **error);
/* Opens the file @path below @rootfd with @flags (O_NOFOLLOW and O_CLOEXEC added); O_CREAT
 * makes the folders on the way. */
int       ferry_folder_open_beneath   (int           rootfd,
                                       const char   *path,
                                       int           flags,
                                       mode_t        mode,
                                       GError      **error);
/* Makes the folder @path below @rootfd (and those on the way); one that exists is fine, but
 * anything else by that name (a file, a link) is an error. */
gboolean  ferry_folder_make_folder    (int           rootfd,
                                       const char   *path,
                                       GError      **error);

/* Removes @dir and everything below it without following symbolic links. Blocking. */
gboolean  ferry_folder_remove_tree    (GFile        *dir,
                                       GError      **error);

G_END_DECLS
