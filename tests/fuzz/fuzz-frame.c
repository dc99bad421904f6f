/* fuzz-frame.c: the frame decoder, fed any bytes in any pieces, and every frame it yields
 * handed to the parser for its type.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "ferry-fuzz.h"

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(FerryFrameDecoder) decoder = ferry_frame_decoder_new ();
  gsize step;

  if (size == 0)
    return 0;

  /* The first byte picks how the rest is cut up, so splits are explored too. */
  step = 1 + data[0] % 17;
  data++;
  size--;

  for (gsize pos = 0; pos < size; pos += step)
    {
      ferry_frame_decoder_feed (decoder, data + pos, MIN (step, size - pos));
      for (;;)
        {
          g_auto(FerryFrame) frame = { 0 };
          g_autoptr(GError) error = NULL;

          if (!ferry_frame_decoder_next (decoder, &frame, &error))
            {
              if (error)
                return 0;
              break;
            }
          ferry_fuzz_check_frame (&frame);
        }
    }
  return 0;
}
