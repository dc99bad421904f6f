/* ferry-offer.h: one shared file, as the server announced it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define FERRY_TYPE_OFFER (ferry_offer_get_type ())

G_DECLARE_FINAL_TYPE (FerryOffer, ferry_offer, FERRY, OFFER, GObject)

/* @sha256 is FERRY_SHA256_SIZE bytes. @folder_files and @folder_bytes are the folder's number
 * of files and their total size (OFFER's `folder` option), or 0 and 0 for a file. */
FerryOffer   *ferry_offer_new              (const char   *id,
                                            const char   *name,
                                            guint64       size,
                                            const guint8 *sha256,
                                            const char   *uploader,
                                            gint64        created,
                                            gint64        expires,
                                            gboolean      mine,
                                            guint32       folder_files,
                                            guint64       folder_bytes);
/* @value is an OFFER payload that ferry_message_parse() accepted. */
FerryOffer   *ferry_offer_new_from_variant (GVariant     *value);

const char   *ferry_offer_get_id           (FerryOffer  *self);
const char   *ferry_offer_get_name         (FerryOffer  *self);
guint64       ferry_offer_get_size         (FerryOffer  *self);
const guint8 *ferry_offer_get_sha256       (FerryOffer  *self);
const char   *ferry_offer_get_sha256_hex   (FerryOffer  *self);
const char   *ferry_offer_get_uploader     (FerryOffer  *self);
gint64        ferry_offer_get_created      (FerryOffer  *self);
gint64        ferry_offer_get_expires      (FerryOffer  *self);
gboolean      ferry_offer_get_mine         (FerryOffer  *self);
gboolean      ferry_offer_is_folder        (FerryOffer  *self);
guint32       ferry_offer_get_folder_files (FerryOffer  *self);
guint64       ferry_offer_get_folder_bytes (FerryOffer  *self);
/* For a type icon: a content type guessed from the name alone, never from the disk. */
const char   *ferry_offer_get_content_type (FerryOffer  *self);

G_END_DECLS
