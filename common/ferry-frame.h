/* ferry-frame.h: the fixed binary frame header and an incremental decoder
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FERRY_FRAME_MAGIC           "FERY"
#define FERRY_FRAME_VERSION         1
#define FERRY_FRAME_HEADER_SIZE     12
#define FERRY_MAX_CONTROL_PAYLOAD   65536
#define FERRY_CHUNK_SIZE            262144
#define FERRY_CHUNK_MAX             1048576
#define FERRY_DATA_HEADER_SIZE      8
#define FERRY_MAX_DATA_PAYLOAD      (FERRY_DATA_HEADER_SIZE + FERRY_CHUNK_MAX)

typedef enum
{
  FERRY_MSG_HELLO = 1,
  FERRY_MSG_WELCOME = 2,
  FERRY_MSG_SUBSCRIBE = 3,
  FERRY_MSG_OFFER = 4,
  FERRY_MSG_SYNCED = 5,
  FERRY_MSG_DELETED = 6,
  FERRY_MSG_UPLOAD = 7,
  FERRY_MSG_ACCEPT = 8,
  FERRY_MSG_DATA = 9,
  FERRY_MSG_END = 10,
  FERRY_MSG_DOWNLOAD = 11,
  FERRY_MSG_DELETE = 12,
  FERRY_MSG_ERROR = 13,
  FERRY_MSG_PING = 14,
  FERRY_MSG_PONG = 15,
  FERRY_MSG_LINK = 16,
} FerryMessageType;

#define FERRY_MSG_FIRST FERRY_MSG_HELLO
#define FERRY_MSG_LAST  FERRY_MSG_LINK

#define FERRY_FRAME_FLAG_SNAPSHOT 0x0001

typedef struct
{
  FerryMessageType  type;
  guint16           flags;
  GBytes           *payload;   /* never NULL once decoded */
} FerryFrame;

void          ferry_frame_clear              (FerryFrame        *frame);
const char   *ferry_message_type_to_string   (FerryMessageType   type);
gsize         ferry_frame_max_payload        (FerryMessageType   type);
void          ferry_frame_header_encode      (guint8            *out,
                                              FerryMessageType   type,
                                              guint16            flags,
                                              guint32            length);
gboolean      ferry_frame_header_decode      (const guint8      *header,
                                              FerryMessageType  *type,
                                              guint16           *flags,
                                              guint32           *length,
                                              GError           **error);
GBytes       *ferry_frame_encode             (FerryMessageType   type,
                                              guint16            flags,
                                              GBytes            *payload);

/* FerryFrameDecoder: feed it any bytes, take whole frames out. It never holds more than one
 * frame's worth of payload plus what was fed, and rejects a bad header before allocating. */
typedef struct _FerryFrameDecoder FerryFrameDecoder;

FerryFrameDecoder *ferry_frame_decoder_new   (void);
void          ferry_frame_decoder_free       (FerryFrameDecoder *self);
void          ferry_frame_decoder_feed       (FerryFrameDecoder *self,
                                              const guint8      *data,
                                              gsize              len);
gboolean      ferry_frame_decoder_next       (FerryFrameDecoder *self,
                                              FerryFrame        *frame,
                                              GError           **error);
gsize         ferry_frame_decoder_pending    (FerryFrameDecoder *self);
/* A whole frame, or an error, is there for _next. */
gboolean      ferry_frame_decoder_has_frame  (FerryFrameDecoder *self);
/* Where the payload being received goes on, and how many bytes fit there now (0 between
 * frames): the caller may read into it, then say how much with _commit, instead of _feed. */
gsize         ferry_frame_decoder_get_space  (FerryFrameDecoder  *self,
                                              guint8            **space);
void          ferry_frame_decoder_commit     (FerryFrameDecoder  *self,
                                              gsize               len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryFrameDecoder, ferry_frame_decoder_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FerryFrame, ferry_frame_clear)

G_END_DECLS
