/* ferry-admission.h: who gets in; connection limits per address and in all
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define FERRY_TYPE_ADMISSION (ferry_admission_get_type ())

G_DECLARE_FINAL_TYPE (FerryAdmission, ferry_admission, FERRY, ADMISSION, GObject)

/* One accepted connection. It is pending from accept until its HELLO is admitted (its TLS
 * handshake and HELLO are still to come), then active until it is released. */
typedef struct _FerrySlot FerrySlot;

/* Asked to drop the connection that holds a pending slot, to make room for a connection from
 * a lighter address. The owner closes its connection and releases the slot, at once or soon. */
typedef void (*FerrySlotEvictFunc) (gpointer owner);

FerryAdmission *ferry_admission_new                   (void);
void            ferry_admission_set_max_active        (FerryAdmission     *self,
                                                       guint               max_active,
                                                       guint               max_per_address);

/* A pending slot for a new connection from @address, or NULL when there is no room (the
 * caller closes the connection without a word). When every pending slot is taken, the oldest
 * pending connection of the address that holds the most is evicted, provided that it holds
 * far more than @address does. */
FerrySlot      *ferry_admission_take                  (FerryAdmission     *self,
                                                       const char         *address);
void            ferry_admission_set_owner             (FerrySlot          *slot,
                                                       FerrySlotEvictFunc  evict,
                                                       gpointer            owner);
/* At HELLO: makes the slot active, or returns FALSE when the server or the slot's address
 * already has as many active connections as allowed (the caller answers BUSY). */
gboolean        ferry_admission_admit                 (FerryAdmission     *self,
                                                       FerrySlot          *slot);
/* Frees @slot. */
void            ferry_admission_release               (FerryAdmission     *self,
                                                       FerrySlot          *slot);

const char     *ferry_slot_get_address                (FerrySlot          *slot);
/* How many pending connections the slot's address holds: the lighter an address, the sooner
 * its handshakes are served. */
guint           ferry_slot_get_weight                 (FerrySlot          *slot);
/* Whether @slot's address holds so many more pending connections than @other's that @other
 * should go first. */
gboolean        ferry_slot_outweighs                  (FerrySlot          *slot,
                                                       FerrySlot          *other);
gboolean        ferry_slot_is_active                  (FerrySlot          *slot);

G_END_DECLS
