/* fuzz-message.c: every message parser, on payloads that skip the decoder. The first byte is
 * the message type, the rest the payload.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "ferry-fuzz.h"

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_auto(FerryFrame) frame = { 0 };

  if (size == 0 || size - 1 > FERRY_MAX_DATA_PAYLOAD)
    return 0;

  frame.type = FERRY_MSG_FIRST + data[0] % (FERRY_MSG_LAST - FERRY_MSG_FIRST + 1);
  frame.payload = g_bytes_new (data + 1, size - 1);
  if (frame.type != FERRY_MSG_DATA && size - 1 > FERRY_MAX_CONTROL_PAYLOAD)
    return 0;
  ferry_fuzz_check_frame (&frame);
  return 0;
}
