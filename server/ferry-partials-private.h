/* ferry-partials-private.h: what FerryPartials' files share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ferry-partials.h"

G_BEGIN_DECLS

struct _FerryPartials
{
  GObject parent_instance;

  /* owned */
  FerryBlobStore *blob_store;
  FerryCatalogue *catalogue;
  GHashTable     *in_use;       /* token → FerryPartialRow of uploads on a connection */
  GMutex          lock;         /* in_use, and a token's step from record to use or removal */
  GCond           released;     /* broadcast when a token leaves in_use */

  guint64         keep;         /* seconds */
  guint           sweep_id;
};

/* Thread-safe: @token is neither recorded nor on a connection any more. */
void ferry_partials_forget (FerryPartials *self,
                            const char    *token);

G_END_DECLS
