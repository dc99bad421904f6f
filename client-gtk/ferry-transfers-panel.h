/* ferry-transfers-panel.h: every upload and download of this session
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define FERRY_TYPE_TRANSFERS_PANEL (ferry_transfers_panel_get_type ())

/* Property "transfers": a GListModel of FerryTransfer. "has-finished" (read-only): whether
 * any of them is done, failed or cancelled. Its "Clear Finished" button activates
 * win.clear-finished-transfers, which the window enables from "has-finished". */
G_DECLARE_FINAL_TYPE (FerryTransfersPanel, ferry_transfers_panel, FERRY, TRANSFERS_PANEL, AdwBin)

GtkWidget  *ferry_transfers_panel_new           (void);
GListModel *ferry_transfers_panel_get_transfers (FerryTransfersPanel *self);
void        ferry_transfers_panel_set_transfers (FerryTransfersPanel *self,
                                                 GListModel          *transfers);
gboolean    ferry_transfers_panel_get_has_finished (FerryTransfersPanel *self);

G_END_DECLS
