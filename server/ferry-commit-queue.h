/* ferry-commit-queue.h: catalogue inserts that arrive together share one transaction
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ferry-catalogue.h"

G_BEGIN_DECLS

#define FERRY_TYPE_COMMIT_QUEUE (ferry_commit_queue_get_type ())

G_DECLARE_FINAL_TYPE (FerryCommitQueue, ferry_commit_queue, FERRY, COMMIT_QUEUE, GObject)

FerryCommitQueue *ferry_commit_queue_new    (FerryCatalogue           *catalogue);

/* Blocking, for worker threads: inserts @row like ferry_catalogue_insert () and returns once
 * it is durable (or failed). Rows inserted by other threads meanwhile go into the same
 * transaction: the first thread to arrive while no batch runs writes every row waiting, the
 * others wait for it (group commit). */
gboolean          ferry_commit_queue_insert (FerryCommitQueue         *self,
                                             FerryCatalogueRow        *row,
                                             GError                  **error);

/* How many batches and rows went through so far (for tests and logs). */
void              ferry_commit_queue_get_counts (FerryCommitQueue     *self,
                                                 guint64              *n_batches,
                                                 guint64              *n_rows);

G_END_DECLS
