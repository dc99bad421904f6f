/* ferry-download-sidecar.h: NAME.part.ferry, what a download needs to resume
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ferry-checksum.h"
#include "ferry-message.h"

G_BEGIN_DECLS

/* The sidecar of docs/PROTOCOL.md §5 (Download, Resume): which offer NAME.part holds, and how
 * many of its bytes are known good with their SHA-256. All the functions that take a
 * GCancellable block: call them from a worker thread. */
typedef struct
{
  char    *server;                           /* the server's address as the user gave it */
  char    *offer_id;
  guint8   offer_sha256[FERRY_SHA256_SIZE];
  guint64  size;                             /* the offer's size */
  guint64  count;                            /* bytes of NAME.part known good */
  guint8   count_sha256[FERRY_SHA256_SIZE];  /* the SHA-256 of those bytes */
  /* A folder (NAME.part/ is a folder): its header's bytes, once they have all arrived, and
   * the offer's file count and content bytes; NULL and 0 for a file. */
  GBytes  *folder_header;
  guint32  folder_files;
  guint64  folder_content;
} FerrySidecar;

FerrySidecar *ferry_sidecar_copy        (const FerrySidecar *self);
void          ferry_sidecar_free        (FerrySidecar       *self);

/* NAME.part.ferry beside @part. */
GFile        *ferry_sidecar_file_for    (GFile              *part);

/* Writes the sidecar of @part atomically (a temporary file renamed over it). */
gboolean      ferry_sidecar_save        (const FerrySidecar *self,
                                         GFile              *part,
                                         GCancellable       *cancellable,
                                         GError            **error);
/* Removes the sidecar of @part, if any. */
void          ferry_sidecar_remove      (GFile              *part,
                                         GCancellable       *cancellable);

/* The NAME.part in @dir whose sidecar names @offer_id on @server: only @candidate (a
 * NAME.part) when it is given, otherwise every *.part.ferry of @dir. NAME.part must be a
 * regular file, or a folder when the sidecar holds a folder header (never a symbolic link). Returns NULL when there is none; sets @out_sidecar
 * otherwise. A sidecar that does not parse is not ours and is ignored. */
GFile        *ferry_sidecar_find        (GFile              *dir,
                                         GFile              *candidate,
                                         const char         *server,
                                         const char         *offer_id,
                                         FerrySidecar      **out_sidecar,
                                         GCancellable       *cancellable);

/* Hashes the first count bytes of @part. Returns the SHA-256 state after them when they match
 * the sidecar's, so the download goes on from there; NULL (the file changed or was cut short)
 * to start from 0. */
FerryChecksum *ferry_sidecar_check_part (const FerrySidecar *self,
                                         GFile              *part,
                                         GCancellable       *cancellable);

/* Takes the lock that says a download is writing this NAME.part (flock, held until the stream
 * is closed); fails with G_IO_ERROR_WOULD_BLOCK when another download holds it. */
gboolean       ferry_sidecar_lock_part  (GOutputStream      *output,
                                         GFile              *part,
                                         GError            **error);
/* Opens @part for appending (a truncation sets where writing goes on), locked as above. */
GOutputStream *ferry_sidecar_open_part  (GFile              *part,
                                         GCancellable       *cancellable,
                                         GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerrySidecar, ferry_sidecar_free)

G_END_DECLS
