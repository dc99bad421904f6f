/* ferry-cli-progress.h: a one-line progress bar on a terminal, silence elsewhere
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ferry-transfer.h"

G_BEGIN_DECLS

typedef struct _FerryCliProgress FerryCliProgress;

/* Draws on stderr when it is a terminal; otherwise says only "Server busy, waiting…", once,
 * if the transfer has to wait for a busy server. */
FerryCliProgress *ferry_cli_progress_new    (FerryTransfer    *transfer,
                                             const char       *verb);
void              ferry_cli_progress_free   (FerryCliProgress *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryCliProgress, ferry_cli_progress_free)

G_END_DECLS
