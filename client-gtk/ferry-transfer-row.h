/* ferry-transfer-row.h: one upload or download, with its progress
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "ferry-transfer.h"

G_BEGIN_DECLS

#define FERRY_TYPE_TRANSFER_ROW (ferry_transfer_row_get_type ())

G_DECLARE_FINAL_TYPE (FerryTransferRow, ferry_transfer_row, FERRY, TRANSFER_ROW, AdwBin)

GtkWidget     *ferry_transfer_row_new          (FerryTransfer    *transfer);
FerryTransfer *ferry_transfer_row_get_transfer (FerryTransferRow *self);
void           ferry_transfer_row_set_transfer (FerryTransferRow *self,
                                                FerryTransfer    *transfer);
/* For tests: what the row shows right now. */
double         ferry_transfer_row_get_shown_fraction (FerryTransferRow *self);
const char    *ferry_transfer_row_get_shown_status   (FerryTransferRow *self);

G_END_DECLS
