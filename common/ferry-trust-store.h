/* ferry-trust-store.h: the client's identity secret and pinned server fingerprints, read once
 * in a thread, kept in memory, and written by a worker thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ferry-message.h"

G_BEGIN_DECLS

#define FERRY_TYPE_TRUST_STORE (ferry_trust_store_get_type ())

G_DECLARE_FINAL_TYPE (FerryTrustStore, ferry_trust_store, FERRY, TRUST_STORE, GObject)

/* The one store for this pair of files (NULL: the defaults under $XDG_CONFIG_HOME/ferry), shared
 * by every FerryClient of the process, so that a pin made by one is seen by all at once. A
 * change made by another process after the first load is seen by the next process. */
FerryTrustStore *ferry_trust_store_get          (const char           *identity_path,
                                                 const char           *known_servers_path);

/* Reads (creating the identity on first use, as ferry_identity_load() does) in a thread, the
 * first time; then completes at once. */
void             ferry_trust_store_load_async   (FerryTrustStore      *self,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean         ferry_trust_store_load_finish  (FerryTrustStore      *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);
/* After a successful load. */
const guint8    *ferry_trust_store_get_secret   (FerryTrustStore      *self);
/* The pinned fingerprint for @key, or NULL; fails when the known-servers file couldn't be read.
 * From memory: no file I/O. */
char            *ferry_trust_store_lookup       (FerryTrustStore      *self,
                                                 const char           *key,
                                                 GError              **error);
/* Change the memory at once and the file in the background, in call order. */
void             ferry_trust_store_pin          (FerryTrustStore      *self,
                                                 const char           *key,
                                                 const char           *fingerprint);
void             ferry_trust_store_forget       (FerryTrustStore      *self,
                                                 const char           *key);
/* Waits until every write asked for so far is on disk: for a program about to exit. Returns
 * at once when none is pending. */
void             ferry_trust_store_flush        (FerryTrustStore      *self);

G_END_DECLS
