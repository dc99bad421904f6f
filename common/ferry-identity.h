/* ferry-identity.h: the client's owner secret in $XDG_CONFIG_HOME/ferry/identity
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "ferry-message.h"

G_BEGIN_DECLS

/* Loads the secret from @path (NULL = $XDG_CONFIG_HOME/ferry/identity), creating it on first use
 * with 32 bytes from the system's random source, written as 64 hex digits, file mode 0600 and
 * parent directory mode 0700. A file with the wrong contents is an error, never overwritten. */
gboolean  ferry_identity_load        (const char  *path,
                                      guint8       secret[FERRY_SECRET_SIZE],
                                      GError     **error);
char     *ferry_identity_default_path (void);

/* The same for any secret of FERRY_SECRET_SIZE bytes kept in a file of its own, such as the
 * server's DATA/web-secret: loaded from @path, or created there the first time (atomically,
 * mode 0600). @damaged_advice is the sentence that ends the error for a damaged file: what
 * moving it away does. Blocking. */
gboolean  ferry_secret_file_load     (const char  *path,
                                      const char  *damaged_advice,
                                      guint8       secret[FERRY_SECRET_SIZE],
                                      GError     **error);

/* Fills @buf from the system's random source (getrandom), for secrets. */
gboolean ferry_random_bytes (guint8  *buf,
                             gsize    len,
                             GError **error);

G_END_DECLS
