/* ferry-folder-header.h: the header of a folder stream (docs/PROTOCOL.md §5, Folders): its
 * entries, its encoding, and an incremental parser that enforces every rule
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FERRY_FOLDER_MAGIC            "FERYTREE"
#define FERRY_FOLDER_FORMAT           1
#define FERRY_FOLDER_MAX_ENTRIES      100000
#define FERRY_FOLDER_MAX_PATH         4096
#define FERRY_FOLDER_MAX_PART         255
#define FERRY_FOLDER_MAX_HEADER       (16 * 1024 * 1024)
/* magic, format, count */
#define FERRY_FOLDER_PREAMBLE_SIZE    16

typedef enum
{
  FERRY_FOLDER_ENTRY_FILE = 1,
  FERRY_FOLDER_ENTRY_FOLDER = 2,
} FerryFolderEntryKind;

#define FERRY_FOLDER_FLAG_EXECUTABLE  0x01

typedef struct
{
  FerryFolderEntryKind  kind;
  guint8                flags;
  char                 *path;    /* relative, "/"-separated, valid by the rules */
  guint64               size;    /* 0 for a folder */
  guint64               start;   /* where its content starts in the stream (files) */
} FerryFolderEntry;

/* A whole header: its entries in stream order, and the sums the `folder` option carries. */
typedef struct
{
  GPtrArray *entries;        /* FerryFolderEntry */
  guint32    n_files;
  guint64    content_size;   /* the sum of the file sizes */
  guint64    header_size;    /* encoded bytes */
} FerryFolderHeader;

/* An empty header; ferry_folder_header_add() each entry, then ferry_folder_header_sort(). */
FerryFolderHeader *ferry_folder_header_new      (void);
void               ferry_folder_header_add      (FerryFolderHeader  *header,
                                                 FerryFolderEntryKind kind,
                                                 guint8              flags,
                                                 const char         *path,
                                                 guint64             size);
/* Puts the entries in the protocol's order and gives each its place in the stream. */
void               ferry_folder_header_sort     (FerryFolderHeader  *header);
void               ferry_folder_header_free     (FerryFolderHeader  *header);
/* The stream's size: header_size + content_size. */
guint64            ferry_folder_header_stream_size (const FerryFolderHeader *header);
GBytes            *ferry_folder_header_encode   (const FerryFolderHeader *header);
/* The entry whose content holds stream byte @offset (≥ header_size, < the stream size), or the
 * index of the first file entry at or after it; returns the number of entries at the end. */
guint              ferry_folder_header_find     (const FerryFolderHeader *header,
                                                 guint64             offset);
/* The path each entry is saved as, one per entry: every part made safe as
 * ferry_filename_make_safe() does (what a downloader writes, and the names in a folder's zip).
 * Two entries that end up with the same path are refused with INVALID_NAME, so that no file is
 * written over another. Returns a GPtrArray of char *, or NULL. */
GPtrArray         *ferry_folder_header_safe_paths (const FerryFolderHeader  *header,
                                                   GError                  **error);
/* Whether @path obeys the rules for one path of a folder stream (parts, length, UTF-8). */
gboolean           ferry_folder_path_is_valid   (const char         *path,
                                                 gsize               len);

/* Whether a `folder` option can describe a stream of @stream_size bytes at all (the count
 * within the limit, room for the header's preamble and the content), so that a server can
 * refuse a hopeless one before ACCEPT; MALFORMED otherwise. */
gboolean           ferry_folder_option_check    (guint64             stream_size,
                                                 guint32             n_files,
                                                 guint64             content_size,
                                                 GError            **error);

/* Parses a header fed in slices of any size, checking every rule of PROTOCOL.md as it goes,
 * so that hostile input fails early and never allocates more than the header limits allow.
 * @stream_size, @n_files and @content_size are what UPLOAD or OFFER announced; the header
 * must agree with them. @keep_entries: keep the entries (a downloader) or only check them (the
 * server). */
typedef struct _FerryFolderParser FerryFolderParser;

FerryFolderParser *ferry_folder_parser_new      (guint64             stream_size,
                                                 guint32             n_files,
                                                 guint64             content_size,
                                                 gboolean            keep_entries);
void               ferry_folder_parser_free     (FerryFolderParser  *self);
/* Consumes bytes of @data up to the end of the header; sets @consumed to how many. Returns
 * FALSE with a FERRY_ERROR_MALFORMED error that says what is wrong. */
gboolean           ferry_folder_parser_feed     (FerryFolderParser  *self,
                                                 const guint8       *data,
                                                 gsize               len,
                                                 gsize              *consumed,
                                                 GError            **error);
gboolean           ferry_folder_parser_is_done  (FerryFolderParser  *self);
/* TRUE once the whole header has been fed; otherwise the MALFORMED error of a header that
 * is cut short (for the end of the stream). */
gboolean           ferry_folder_parser_check_done (FerryFolderParser *self,
                                                   GError           **error);
/* The parsed header, once done (with entries only if kept). Transfer full. */
FerryFolderHeader *ferry_folder_parser_steal_header (FerryFolderParser *self);
/* The whole @bytes is a header and nothing else; for a header kept in a resume sidecar. */
FerryFolderHeader *ferry_folder_header_parse    (GBytes             *bytes,
                                                 guint64             stream_size,
                                                 guint32             n_files,
                                                 guint64             content_size,
                                                 GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryFolderHeader, ferry_folder_header_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryFolderParser, ferry_folder_parser_free)

G_END_DECLS
