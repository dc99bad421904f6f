/* ferry-upload-tokens.h: the tokens of unfinished uploads, to continue them later
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * PROTOCOL.md §5, Upload, Resume: one entry per server and file in
 * $XDG_STATE_HOME/ferry/uploads (a key file), keyed by the server's address and the file's
 * absolute path, size and modification time, so that a changed file is not continued. Entries
 * older than 7 days are dropped. Blocking: call these in a worker thread.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FERRY_UPLOAD_TOKENS_MAX_AGE_S (7 * 24 * 60 * 60)

/* The token saved for this upload, or NULL. */
char     *ferry_upload_tokens_lookup   (const char *server,
                                        GFile      *file,
                                        guint64     size,
                                        gint64      mtime);
/* Saves (or, with @token NULL, forgets) the token of this upload. */
gboolean  ferry_upload_tokens_store    (const char *server,
                                        GFile      *file,
                                        guint64     size,
                                        gint64      mtime,
                                        const char *token,
                                        GError    **error);

G_END_DECLS
