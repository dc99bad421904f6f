/* ferry-offer-row.h: one shared file in the Files panel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "ferry-offer.h"

G_BEGIN_DECLS

#define FERRY_TYPE_OFFER_ROW (ferry_offer_row_get_type ())

/* Its buttons activate "win.download" and "win.delete" with the offer's id. */
G_DECLARE_FINAL_TYPE (FerryOfferRow, ferry_offer_row, FERRY, OFFER_ROW, AdwBin)

GtkWidget  *ferry_offer_row_new       (void);
FerryOffer *ferry_offer_row_get_offer (FerryOfferRow *self);
void        ferry_offer_row_set_offer (FerryOfferRow *self,
                                       FerryOffer    *offer);

G_END_DECLS
