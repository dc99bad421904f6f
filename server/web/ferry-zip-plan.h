/* ferry-zip-plan.h: the layout of a folder's zip archive, and the bytes of its records
 * (for ferry-zip-stream.c; ferry-zip-stream.h describes the archive)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ferry-folder-header.h"

G_BEGIN_DECLS

/* The first value that does not fit a 32-bit field of a zip record (0xFFFFFFFF is its
 * "see the ZIP64 field" mark), and the first entry count that does not fit a 16-bit one. */
#define FERRY_ZIP_LIMIT        G_GUINT64_CONSTANT (0xffffffff)
#define FERRY_ZIP_COUNT_LIMIT  0xffff

typedef struct
{
  char     *name;         /* in the archive */
  guint64   size;         /* 0 for a folder */
  guint64   offset;       /* of its local header */
  guint32   crc;          /* set by the reader once its data has passed */
  gboolean  is_file;
  gboolean  executable;
} FerryZipItem;

typedef struct
{
  GArray   *items;            /* FerryZipItem: the root folder, then the header's entries */
  guint64   limit;            /* the first size, offset or count that takes a ZIP64 field */
  guint64   central_offset;
  guint64   central_size;
  guint64   length;           /* of the whole archive */
  guint16   dos_time;
  guint16   dos_date;
  guint32   mtime;
} FerryZipPlan;

/* Names every entry of @header below the root folder @name (all made safe) and places every
 * record, measuring each with the code that writes it, so that the length is exact.
 * @zip64_limit is FERRY_ZIP_LIMIT but in tests. Fails with INVALID_NAME (two entries with the
 * same safe name, or a name too long for a zip) or TOO_LARGE. */
FerryZipPlan *ferry_zip_plan_new               (const FerryFolderHeader  *header,
                                                const char               *name,
                                                gint64                    created,
                                                guint64                   zip64_limit,
                                                GError                  **error);
void          ferry_zip_plan_free              (FerryZipPlan             *self);

/* Append the records of @item, or the end records, to @out. A descriptor needs @item's crc. */
void          ferry_zip_plan_append_local      (const FerryZipPlan       *self,
                                                const FerryZipItem       *item,
                                                GByteArray               *out);
void          ferry_zip_plan_append_descriptor (const FerryZipPlan       *self,
                                                const FerryZipItem       *item,
                                                GByteArray               *out);
void          ferry_zip_plan_append_central    (const FerryZipPlan       *self,
                                                const FerryZipItem       *item,
                                                GByteArray               *out);
void          ferry_zip_plan_append_end        (const FerryZipPlan       *self,
                                                GByteArray               *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryZipPlan, ferry_zip_plan_free)

G_END_DECLS
