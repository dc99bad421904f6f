/* fuzz-folder.c: the folder stream's header parser (docs/PROTOCOL.md §5, Folders), which the
 * server runs on bytes from anyone. Input: u32 files, u64 content bytes, u64 stream size (what
 * UPLOAD announced), then the stream.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "ferry-fuzz.h"
#include "ferry-error.h"
#include "ferry-folder-header.h"

#define ANNOUNCE_SIZE (4 + 8 + 8)

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(FerryFolderParser) whole = NULL;
  g_autoptr(FerryFolderParser) halves = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) halves_error = NULL;
  guint32 files;
  guint64 content;
  guint64 stream_size;
  gsize used = 0;
  gsize used_first = 0;
  gsize used_second = 0;
  gboolean ok;
  gboolean ok_halves;

  if (size < ANNOUNCE_SIZE)
    return 0;
  memcpy (&files, data, 4);
  memcpy (&content, data + 4, 8);
  memcpy (&stream_size, data + 12, 8);
  files = GUINT32_FROM_BE (files);
  content = GUINT64_FROM_BE (content);
  stream_size = GUINT64_FROM_BE (stream_size);
  data += ANNOUNCE_SIZE;
  size -= ANNOUNCE_SIZE;

  /* Fed whole and fed in two slices, the verdict is the same. */
  whole = ferry_folder_parser_new (stream_size, files, content, TRUE);
  ok = ferry_folder_parser_feed (whole, data, size, &used, &error);
  halves = ferry_folder_parser_new (stream_size, files, content, FALSE);
  ok_halves = ferry_folder_parser_feed (halves, data, size / 2, &used_first, &halves_error);
  if (ok_halves && !ferry_folder_parser_is_done (halves))
    ok_halves = ferry_folder_parser_feed (halves, data + size / 2, size - size / 2,
                                          &used_second, &halves_error);
  g_assert (ok == ok_halves);
  g_assert (ferry_folder_parser_is_done (whole) == ferry_folder_parser_is_done (halves));
  if (!ok)
    {
      g_assert (g_error_matches (error, FERRY_ERROR, FERRY_ERROR_MALFORMED));
      g_assert (g_error_matches (halves_error, FERRY_ERROR, FERRY_ERROR_MALFORMED));
      return 0;
    }
  if (!ferry_folder_parser_is_done (whole))
    return 0;

  /* A header that passed re-encodes to the very bytes it came from, and agrees with what
   * was announced. */
  g_assert (used == used_first + used_second);
  {
    g_autoptr(FerryFolderHeader) header = ferry_folder_parser_steal_header (whole);
    g_autoptr(GBytes) again = ferry_folder_header_encode (header);

    g_assert (g_bytes_get_size (again) == used);
    g_assert (memcmp (g_bytes_get_data (again, NULL), data, used) == 0);
    g_assert (header->n_files == files && header->content_size == content);
    g_assert (ferry_folder_header_stream_size (header) == stream_size);
    for (guint i = 0; i < header->entries->len; i++)
      {
        FerryFolderEntry *entry = g_ptr_array_index (header->entries, i);

        g_assert (ferry_folder_path_is_valid (entry->path, strlen (entry->path)));
      }
  }
  return 0;
}
