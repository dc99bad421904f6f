/* ferry-data-lock.h: one ferry-server per data directory
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _FerryDataLock FerryDataLock;

/* Creates @data_dir (mode 0700) if needed, takes an exclusive flock on @data_dir/lock without
 * waiting, and writes this process's pid into it. The lock lasts until
 * ferry_data_lock_release() or the end of the process. When another process holds it, fails
 * with G_IO_ERROR_BUSY and a sentence that names that process's pid. Blocking, and touches
 * nothing else in @data_dir. */
FerryDataLock *ferry_data_lock_acquire (const char     *data_dir,
                                        GError        **error);
void           ferry_data_lock_release (FerryDataLock  *lock);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryDataLock, ferry_data_lock_release)

G_END_DECLS
