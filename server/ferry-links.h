/* ferry-links.h: FerryLinks, the signer of browser links to one offer (docs/HTTP.md §6, "Link
 * keys")
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define FERRY_TYPE_LINKS (ferry_links_get_type ())

/* A link key's length in characters: base64url of 8 + 16 bytes, which needs no padding. */
#define FERRY_LINK_KEY_LEN 32

G_DECLARE_FINAL_TYPE (FerryLinks, ferry_links, FERRY, LINKS, GObject)

/* Signs with the secret in @data_dir/web-secret, made the first time (32 random bytes, mode
 * 0600, created atomically). Blocking: call it at start, before the main loop. @data_dir NULL
 * (a server over an in-memory store) signs with a random secret that lives as long as the
 * object. */
FerryLinks *ferry_links_new            (const char   *data_dir,
                                        GError      **error);

/* The key for offer @id that is valid until @expires (Unix seconds; 0: until the offer is
 * deleted). */
char       *ferry_links_make_key       (FerryLinks   *self,
                                        const char   *id,
                                        guint64       expires);
/* "/f/ID/NAME", the name percent-encoded, followed by "?key=KEY" when @with_key, with a key
 * valid @lifetime seconds from now (0: until the offer is deleted). */
char       *ferry_links_make_path      (FerryLinks   *self,
                                        const char   *id,
                                        const char   *name,
                                        guint64       lifetime,
                                        gboolean      with_key);
/* Whether @key opens offer @id now. FALSE with FERRY_ERROR_AUTH and a sentence when it is
 * malformed, made for another id or with another secret, or expired. Whether the offer still
 * exists is the caller's to check. */
gboolean    ferry_links_check_key      (FerryLinks   *self,
                                        const char   *id,
                                        const char   *key,
                                        GError      **error);
/* The same at @now (Unix seconds), for tests. */
gboolean    ferry_links_check_key_at   (FerryLinks   *self,
                                        const char   *id,
                                        const char   *key,
                                        gint64        now,
                                        GError      **error);

G_END_DECLS
