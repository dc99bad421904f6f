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

const GVariantType *ferry_message_get_variant_type (FerryMessageType type);

G_END_DECLS
