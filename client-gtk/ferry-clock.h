/* ferry-clock.h: one shared minute tick, so rows never run timers of their own
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define FERRY_TYPE_CLOCK (ferry_clock_get_type ())

/* Property "now" (gint64, Unix time) is notified once a minute, on the minute. */
G_DECLARE_FINAL_TYPE (FerryClock, ferry_clock, FERRY, CLOCK, GObject)

FerryClock *ferry_clock_get_default (void);
gint64      ferry_clock_get_now     (FerryClock *self);
/* Re-reads the time and notifies now (for tests and after a resume). */
void        ferry_clock_tick        (FerryClock *self);

G_END_DECLS
