/* ferry-checksum.h: SHA-256 through OpenSSL EVP
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FERRY_SHA256_HEX_LEN 64

typedef struct _FerryChecksum FerryChecksum;

FerryChecksum *ferry_checksum_new       (void);
void           ferry_checksum_free      (FerryChecksum *self);
void           ferry_checksum_update    (FerryChecksum *self,
                                         const guint8  *data,
                                         gsize          len);
/* Writes 32 bytes; the checksum cannot be updated afterwards. */
void           ferry_checksum_finish    (FerryChecksum *self,
                                         guint8        *digest);
/* Writes the 32-byte digest of what was hashed so far; the checksum goes on. */
void           ferry_checksum_peek      (FerryChecksum *self,
                                         guint8        *digest);

char          *ferry_sha256_to_hex      (const guint8  *digest);
gboolean       ferry_sha256_from_hex    (const char    *hex,
                                         guint8        *digest);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryChecksum, ferry_checksum_free)

G_END_DECLS
