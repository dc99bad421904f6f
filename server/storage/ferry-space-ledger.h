/* ferry-space-ledger.h: quota and space reservations, as one process counts them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Not a class: the bookkeeping that both catalogues (local and memory) keep behind
 * FerryCatalogue's space methods. A catalogue shared by several servers would keep the same
 * numbers in its database instead. Main thread only.
 */
#pragma once

#include <glib.h>

#include "ferry-catalogue.h"

G_BEGIN_DECLS

typedef struct _FerrySpaceLedger FerrySpaceLedger;

FerrySpaceLedger *ferry_space_ledger_new            (void);
void              ferry_space_ledger_free           (FerrySpaceLedger        *self);
void              ferry_space_ledger_set_quota      (FerrySpaceLedger        *self,
                                                     guint64                  quota);
guint64           ferry_space_ledger_get_used       (FerrySpaceLedger        *self);
guint64           ferry_space_ledger_get_mark       (FerrySpaceLedger        *self);
guint64           ferry_space_ledger_reserve        (FerrySpaceLedger        *self,
                                                     const FerrySpaceRequest *request,
                                                     const FerryFreeSpace    *space,
                                                     gboolean                *short_of_disk,
                                                     GError                 **error);
void              ferry_space_ledger_charge         (FerrySpaceLedger        *self,
                                                     const char              *address,
                                                     guint64                  size);
void              ferry_space_ledger_release        (FerrySpaceLedger        *self,
                                                     const char              *address,
                                                     guint64                  ahead,
                                                     guint64                  written);
void              ferry_space_ledger_count          (FerrySpaceLedger        *self,
                                                     guint64                  added,
                                                     guint64                  removed);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerrySpaceLedger, ferry_space_ledger_free)

G_END_DECLS
