/* ferry-message-private.h: the GVariant layouts of docs/PROTOCOL.md §3, for the message layer
 * (ferry-message.c, ferry-message-types.c) only
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ferry-message.h"

G_BEGIN_DECLS

#define FERRY_HELLO_TYPE      "(ussaya{sv})"
#define FERRY_WELCOME_TYPE    "(usta{sv})"
#define FERRY_SUBSCRIBE_TYPE  "()"
#define FERRY_OFFER_TYPE      "(sstaysxxba{sv})"
#define FERRY_SYNCED_TYPE     "(u)"
#define FERRY_DELETED_TYPE    "(s)"
#define FERRY_UPLOAD_TYPE     "(stsa{sv})"
#define FERRY_ACCEPT_TYPE     "(st)"
#define FERRY_END_TYPE        "(ay)"
#define FERRY_DOWNLOAD_TYPE   "(sta{sv})"
#define FERRY_DELETE_TYPE     "(s)"
#define FERRY_ERROR_TYPE      "(us)"
#define FERRY_PING_TYPE       "(t)"
#define FERRY_PONG_TYPE       "(t)"
/* LINK is the one message whose payload depends on its direction: the request is
 * FERRY_LINK_TYPE, the answer FERRY_LINK_ANSWER_TYPE (their normal forms never coincide: an
 * "(s)" holds one NUL, at its end). ferry_message_get_variant_type() gives the request's. */
#define FERRY_LINK_TYPE        "(st)"
#define FERRY_LINK_ANSWER_TYPE "(s)"

const GVariantType *ferry_message_get_variant_type (FerryMessageType type);
/* Whether @value is a payload of @type: of its type, or, for LINK, of the answer's. */
gboolean            ferry_message_is_of_type       (GVariant         *value,
                                                    FerryMessageType  type);

G_END_DECLS
