/* ferry-local-blob-store-private.h: what FerryLocalBlobStore's files share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ferry-local-blob-store.h"

G_BEGIN_DECLS

/* DIR/partial, and DIR/partial/TOKEN (newly allocated). */
const char *ferry_local_partial_dir              (FerryLocalBlobStore     *self);
char       *ferry_local_partial_path             (FerryLocalBlobStore     *self,
                                                  const char              *token);
/* Logs what went wrong with @path and sets @error to @sentence, which names no path: the
 * client is told what failed, the operator where. */
void        ferry_local_set_error                (GError                 **error,
                                                  int                      code,
                                                  const char              *sentence,
                                                  const char              *path,
                                                  const char              *reason);
/* ferry-local-blob-store-partials.c */
void        ferry_local_blob_store_partials_init (FerryBlobStoreInterface *iface);

G_END_DECLS
