/* ferry-message.h: typed GVariant payloads, built and checked against docs/PROTOCOL.md
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "ferry-frame.h"

G_BEGIN_DECLS

#define FERRY_PROTOCOL_VERSION   1
#define FERRY_SECRET_SIZE        32
#define FERRY_SHA256_SIZE        32
#define FERRY_MAX_ID_LEN         64
#define FERRY_MAX_NAME_LEN       1024
#define FERRY_MAX_USER_LEN       64
#define FERRY_MAX_SOFTWARE_LEN   128

#define FERRY_HELLO_TYPE      "(ussaya{sv})"
#define FERRY_WELCOME_TYPE    "(usta{sv})"
#define FERRY_SUBSCRIBE_TYPE  "()"
#define FERRY_OFFER_TYPE      "(sstaysxxb)"
#define FERRY_SYNCED_TYPE     "(u)"
#define FERRY_DELETED_TYPE    "(s)"
#define FERRY_UPLOAD_TYPE     "(stsa{sv})"
#define FERRY_ACCEPT_TYPE     "(st)"
#define FERRY_END_TYPE        "(ay)"
#define FERRY_DOWNLOAD_TYPE   "(st)"
#define FERRY_DELETE_TYPE     "(s)"
#define FERRY_ERROR_TYPE      "(us)"
#define FERRY_PING_TYPE       "(t)"
#define FERRY_PONG_TYPE       "(t)"

const GVariantType *ferry_message_get_variant_type (FerryMessageType    type);

/* Serializes @value (which must have the type's payload type; a floating ref is sunk) into a
 * whole frame, header included. */
GBytes   *ferry_message_encode      (FerryMessageType    type,
                                     guint16             flags,
                                     GVariant           *value);

/* Checks a decoded frame's payload: normal form of exactly the right type, and every field
 * within its limit. Returns a new reference, or NULL with FERRY_ERROR_MALFORMED or
 * FERRY_ERROR_INVALID_NAME. Not for DATA. */
GVariant *ferry_message_parse       (const FerryFrame   *frame,
                                     GError            **error);

/* DATA frames: an 8-byte offset and the bytes. */
void      ferry_data_header_encode  (guint8             *out,
                                     guint64             offset,
                                     gsize               len);
gboolean  ferry_data_parse          (const FerryFrame   *frame,
                                     guint64            *offset,
                                     const guint8      **data,
                                     gsize              *len,
                                     GError            **error);

/* ERROR frames, both ways. */
GBytes   *ferry_message_encode_error (const GError      *error);
GError   *ferry_message_to_gerror    (GVariant          *error_payload);

gboolean  ferry_id_is_valid          (const char        *id);
gboolean  ferry_name_check           (const char        *name,
                                      gsize              max_len,
                                      GError           **error);
GVariant *ferry_variant_new_sha256   (const guint8      *digest);

G_END_DECLS
