/* ferry-zip-stream.h: a folder offer as a zip archive, built as it is read (docs/HTTP.md §6)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Design. A zip's length depends on every name and size in the folder stream's header, so
 * the stream is made in two steps. ferry_zip_input_stream_new_async() reads the header from
 * the start of the folder stream (in a thread), checks it with FerryFolderParser against what
 * the offer announced, and plans the whole archive; the stream it yields already knows its
 * exact length (ferry_zip_input_stream_get_length()), so that a download can send
 * Content-Length, or answer HEAD, before any content is read. Reading it then passes each
 * file's bytes through from the folder stream, in chunks, computing their CRC-32 on the way;
 * nothing is staged on disk, and the memory held is the archive's central directory (names,
 * sizes, offsets and CRCs) and one buffer of record headers.
 *
 * The archive: the entry "NAME/", then every entry of the folder as "NAME/PATH" (a folder's
 * with a trailing "/", empty ones included) in the header's order; NAME and every part of
 * PATH are made safe as a native download makes them (ferry_folder_header_safe_paths()), so
 * that unzipping gives the tree the app would save. Entries are stored (method 0) with UTF-8
 * names (flag bit 11); a file's CRC and sizes follow its data in a data descriptor (bit 3).
 * Every entry has the offer's creation time, as a DOS time in UTC and an extended timestamp
 * (0x5455), so that the same offer always gives the same bytes. ZIP64 fields (extra field
 * 0x0001, the zip64 end of central directory record and its locator) appear only where a size,
 * an offset or the number of entries does not fit the ordinary fields.
 *
 * A folder stream that breaks its header's promises (it ends early, or goes on after the last
 * file) fails the read with FERRY_ERROR_SIZE_MISMATCH; after any failed read (a cancelled one
 * too) every read fails: the response is cut short, never sent with other bytes.
 *
 * For a download: open it with ferry_zip_input_stream_new_async(), send the headers with the
 * length, then read it with g_input_stream_read_bytes_async() until it gives 0 bytes, and
 * close it (which closes the folder stream). HEAD opens it for the length and drops it.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FERRY_TYPE_ZIP_INPUT_STREAM (ferry_zip_input_stream_get_type ())
G_DECLARE_FINAL_TYPE (FerryZipInputStream, ferry_zip_input_stream,
                      FERRY, ZIP_INPUT_STREAM, GInputStream)

/* Reads and checks the header of @folder_stream (positioned at the stream's byte 0) and plans
 * the archive. @stream_size, @n_files and @content_size are the offer's size and `folder`
 * option; @name is the offer's name (the archive's root folder, made safe here), @created its
 * creation time in Unix seconds. The new stream owns a reference to @folder_stream, reads it
 * on, and closes it when it is closed. Blocking: from a thread, or use the async form. Fails
 * with FERRY_ERROR_MALFORMED for a header that breaks the rules, INVALID_NAME for two entries
 * whose safe names collide, or the read's error. */
FerryZipInputStream *ferry_zip_input_stream_new        (GInputStream         *folder_stream,
                                                        guint64               stream_size,
                                                        guint32               n_files,
                                                        guint64               content_size,
                                                        const char           *name,
                                                        gint64                created,
                                                        GCancellable         *cancellable,
                                                        GError              **error);
/* The same, with the reading done in a thread; for the main loop. */
void                 ferry_zip_input_stream_new_async  (GInputStream         *folder_stream,
                                                        guint64               stream_size,
                                                        guint32               n_files,
                                                        guint64               content_size,
                                                        const char           *name,
                                                        gint64                created,
                                                        int                   io_priority,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
FerryZipInputStream *ferry_zip_input_stream_new_finish (GAsyncResult         *result,
                                                        GError              **error);

/* The exact number of bytes the stream yields, known from the start (Content-Length). */
guint64              ferry_zip_input_stream_get_length (FerryZipInputStream  *self);

/* Reads block: GInputStream's async methods (read_async, read_bytes_async, skip_async,
 * close_async) run them in a thread, so the main loop can call those. */

G_END_DECLS
