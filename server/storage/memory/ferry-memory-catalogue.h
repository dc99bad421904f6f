/* ferry-memory-catalogue.h: the catalogue in memory, for tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ferry-catalogue.h"

G_BEGIN_DECLS

#define FERRY_TYPE_MEMORY_CATALOGUE (ferry_memory_catalogue_get_type ())

G_DECLARE_FINAL_TYPE (FerryMemoryCatalogue, ferry_memory_catalogue, FERRY, MEMORY_CATALOGUE,
                      GObject)

/* Empty; forgets everything when finalized. Rows are thread-safe, like FerrySqliteCatalogue's;
 * the space methods belong to the main thread. */
FerryMemoryCatalogue *ferry_memory_catalogue_new (void);

G_END_DECLS
