/* ferry-zip-stream-private.h: the ZIP64 threshold, lowered by tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ferry-zip-plan.h"
#include "ferry-zip-stream.h"

G_BEGIN_DECLS

/* ferry_zip_input_stream_new() with @zip64_limit in place of FERRY_ZIP_LIMIT: every size or
 * offset at or above it, and every entry count at or above MIN (@zip64_limit,
 * FERRY_ZIP_COUNT_LIMIT), takes the ZIP64 form, so that a test makes a ZIP64 archive without
 * writing 4 GiB. */
FerryZipInputStream *ferry_zip_input_stream_new_full (GInputStream  *folder_stream,
                                                      guint64        stream_size,
                                                      guint32        n_files,
                                                      guint64        content_size,
                                                      const char    *name,
                                                      gint64         created,
                                                      guint64        zip64_limit,
                                                      GCancellable  *cancellable,
                                                      GError       **error);

G_END_DECLS
