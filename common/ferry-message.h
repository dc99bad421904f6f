/* ferry-message.h: the message layer, the one place that knows how docs/PROTOCOL.md lays out
 * each message
 *
 * Senders build a message with its constructor, ferry_msg_<name>_new(), which returns the whole
 * frame, header included, ready for ferry_connection_send_message(). A constructor returns a
 * frame rather than a GVariant so that a payload can never leave under the wrong type: PING and
 * PONG, DELETE and DELETED share a payload layout. Constructors check only their arguments'
 * presence, not the limits of §4, so a test can build a message one byte past a limit and see
 * the receiver refuse it.
 *
 * Receivers check a frame once with ferry_message_parse() (the single place where the limits
 * of §4 are enforced), then read it with the accessors: ferry_msg_<name>_get() with one out
 * parameter per field (NULL skips a field) or, for one-field messages, a getter that returns
 * the field. Accessors cannot fail; strings and byte arrays they hand out are borrowed from the
 * parsed GVariant, as g_variant_get()'s "&s" does. This shape (out parameters rather than one
 * struct per message) maps one to one onto the g_variant_get() calls it replaced, and keeps the
 * borrowed pointers next to the GVariant that owns them.
 *
 * The GVariant type strings live in ferry-message-private.h; nothing outside the layer needs
 * them. Option keys of the a{sv} dictionaries are named below.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "ferry-frame.h"

G_BEGIN_DECLS

#define FERRY_PROTOCOL_VERSION   2
#define FERRY_SECRET_SIZE        32
#define FERRY_SHA256_SIZE        32
#define FERRY_MAX_ID_LEN         64
#define FERRY_MAX_NAME_LEN       1024
#define FERRY_MAX_USER_LEN       64
#define FERRY_MAX_SOFTWARE_LEN   128

/* Option keys (docs/PROTOCOL.md §3). */
#define FERRY_HELLO_OPTION_PASSWORD  "password"   /* s: the server's password */
#define FERRY_WELCOME_OPTION_AUTH    "auth"       /* b: the server requires a password */
#define FERRY_WELCOME_OPTION_KEEP_PARTIAL "keep-partial" /* t: seconds a partial upload is kept */
#define FERRY_WELCOME_OPTION_WEB     "web"        /* b: the port serves the web front; LINK */
#define FERRY_DOWNLOAD_OPTION_IF_SHA256 "if-sha256" /* ay: resume only if the offer is this */
#define FERRY_OPTION_FOLDER          "folder"     /* (ut), OFFER and UPLOAD: files, bytes */

/* Checks a decoded frame's payload: normal form of exactly the right type, and every field
 * within its limit. Returns a new reference for the accessors below, or NULL with
 * FERRY_ERROR_MALFORMED or FERRY_ERROR_INVALID_NAME. Not for DATA. */
GVariant *ferry_message_parse       (const FerryFrame   *frame,
                                     GError            **error);

/* Serializes a payload that ferry_message_parse() accepted back into a whole frame. Only for
 * code that relays a parsed message as it is (the fuzzers); senders use the constructors. */
GBytes   *ferry_message_encode      (FerryMessageType    type,
                                     guint16             flags,
                                     GVariant           *value);

/* HELLO, C → S. @password is NULL when the user gave none. */
GBytes       *ferry_msg_hello_new          (guint32        version,
                                            const char    *software,
                                            const char    *user,
                                            const guint8  *secret,
                                            const char    *password);
/* *@secret is FERRY_SECRET_SIZE bytes; *@password is NULL when absent or not a string. */
void          ferry_msg_hello_get          (GVariant      *hello,
                                            guint32       *version,
                                            const char   **software,
                                            const char   **user,
                                            const guint8 **secret,
                                            const char   **password);

/* WELCOME, S → C. */
GBytes       *ferry_msg_welcome_new        (guint32        version,
                                            const char    *software,
                                            guint64        max_file_size,
                                            gboolean       auth,
                                            guint64        keep_partial,
                                            gboolean       web);
/* *@keep_partial is 0 and *@web FALSE when the server did not say. */
void          ferry_msg_welcome_get        (GVariant      *welcome,
                                            guint32       *version,
                                            const char   **software,
                                            guint64       *max_file_size,
                                            gboolean      *auth,
                                            guint64       *keep_partial,
                                            gboolean      *web);

/* SUBSCRIBE, C → S: no fields. */
GBytes       *ferry_msg_subscribe_new      (void);

/* OFFER, S → C. @flags is 0 or FERRY_FRAME_FLAG_SNAPSHOT; @sha256 is FERRY_SHA256_SIZE bytes.
 * @folder_files and @folder_bytes describe a folder offer; 0 and 0 for a file. */
GBytes       *ferry_msg_offer_new          (const char    *id,
                                            const char    *name,
                                            guint64        size,
                                            const guint8  *sha256,
                                            const char    *uploader,
                                            gint64         created,
                                            gint64         expires,
                                            gboolean       mine,
                                            guint32        folder_files,
                                            guint64        folder_bytes,
                                            guint16        flags);
void          ferry_msg_offer_get          (GVariant      *offer,
                                            const char   **id,
                                            const char   **name,
                                            guint64       *size,
                                            const guint8 **sha256,
                                            const char   **uploader,
                                            gint64        *created,
                                            gint64        *expires,
                                            gboolean      *mine,
                                            guint32       *folder_files,
                                            guint64       *folder_bytes);

/* SYNCED, S → C: the number of offers in the snapshot. */
GBytes       *ferry_msg_synced_new         (guint32        count);
guint32       ferry_msg_synced_get_count   (GVariant      *synced);

/* DELETED, S → C. */
GBytes       *ferry_msg_deleted_new        (const char    *id);
const char   *ferry_msg_deleted_get_id     (GVariant      *deleted);

/* UPLOAD, C → S. @resume_token is "" for a new upload. @folder_files and @folder_bytes
 * announce a folder stream; 0 and 0 for a file. */
GBytes       *ferry_msg_upload_new         (const char    *name,
                                            guint64        size,
                                            const char    *resume_token,
                                            guint32        folder_files,
                                            guint64        folder_bytes);
void          ferry_msg_upload_get         (GVariant      *upload,
                                            const char   **name,
                                            guint64       *size,
                                            const char   **resume_token,
                                            guint32       *folder_files,
                                            guint64       *folder_bytes);

/* ACCEPT, S → C. */
GBytes       *ferry_msg_accept_new         (const char    *resume_token,
                                            guint64        offset);
void          ferry_msg_accept_get         (GVariant      *accept,
                                            const char   **resume_token,
                                            guint64       *offset);

/* END, both ways: the SHA-256 of the whole file, FERRY_SHA256_SIZE bytes. */
GBytes       *ferry_msg_end_new            (const guint8  *sha256);
const guint8 *ferry_msg_end_get_sha256     (GVariant      *end);

/* DOWNLOAD, C → S. @if_sha256 (FERRY_SHA256_SIZE bytes, or NULL) asks to continue from
 * @offset only if the offer's SHA-256 is that one. */
GBytes       *ferry_msg_download_new       (const char    *id,
                                            guint64        offset,
                                            const guint8  *if_sha256);
/* *@if_sha256 is NULL when absent or not FERRY_SHA256_SIZE bytes. */
void          ferry_msg_download_get       (GVariant      *download,
                                            const char   **id,
                                            guint64       *offset,
                                            const guint8 **if_sha256);

/* DELETE, C → S. */
GBytes       *ferry_msg_delete_new         (const char    *id);
const char   *ferry_msg_delete_get_id      (GVariant      *delete_);

/* ERROR, both ways. @error's code travels if it is a wire code (§6), else as INTERNAL. */
GBytes       *ferry_msg_error_new          (const GError  *error);
void          ferry_msg_error_get          (GVariant      *error_,
                                            guint32       *code,
                                            const char   **message);
/* The FERRY_ERROR the peer reported, with a sentence even when it sent none. */
GError       *ferry_msg_error_to_gerror    (GVariant      *error_);

/* PING and PONG, both ways: an opaque token, echoed by the PONG. */
GBytes       *ferry_msg_ping_new           (guint64        token);
guint64       ferry_msg_ping_get_token     (GVariant      *ping);
GBytes       *ferry_msg_pong_new           (guint64        token);
guint64       ferry_msg_pong_get_token     (GVariant      *pong);

/* LINK, both ways, with a payload of its own in each direction. The request (C → S) asks for a
 * browser link to offer @id, valid @lifetime seconds (0: until the offer is deleted). */
GBytes       *ferry_msg_link_new           (const char    *id,
                                            guint64        lifetime);
/* FALSE, touching nothing, when @link is an answer. */
gboolean      ferry_msg_link_get           (GVariant      *link,
                                            const char   **id,
                                            guint64       *lifetime);
/* The answer (S → C): the link's path, "/f/ID/NAME" with or without "?key=…". */
GBytes       *ferry_msg_link_answer_new    (const char    *path);
/* NULL when @link is a request. */
const char   *ferry_msg_link_answer_get_path (GVariant    *link);

/* DATA frames: an 8-byte offset and the bytes. */
void      ferry_data_header_encode  (guint8             *out,
                                     guint64             offset,
                                     gsize               len);
gboolean  ferry_data_parse          (const FerryFrame   *frame,
                                     guint64            *offset,
                                     const guint8      **data,
                                     gsize              *len,
                                     GError            **error);

gboolean  ferry_id_is_valid          (const char        *id);
gboolean  ferry_name_check           (const char        *name,
                                      gsize              max_len,
                                      GError           **error);

G_END_DECLS
