/* ferry-fuzz.h: what every fuzz target checks about a decoded frame
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <string.h>

#include "ferry-error.h"
#include "ferry-frame.h"
#include "ferry-message.h"
#include "ferry-offer.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* g_assert is compiled in for fuzzing (-UG_DISABLE_ASSERT); an abort is a finding. */
static inline void
ferry_fuzz_check_frame (const FerryFrame *frame)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) v = NULL;

  if (frame->type == FERRY_MSG_DATA)
    {
      guint64 offset;
      const guint8 *bytes;
      gsize len;

      if (ferry_data_parse (frame, &offset, &bytes, &len, &error))
        g_assert (len > 0 && len + FERRY_DATA_HEADER_SIZE == g_bytes_get_size (frame->payload));
      else
        g_assert (error->domain == FERRY_ERROR);
      return;
    }

  v = ferry_message_parse (frame, &error);
  if (!v)
    {
      /* A refusal is always a FERRY_ERROR with a sentence. */
      g_assert (error && error->domain == FERRY_ERROR && error->message[0]);
      return;
    }

  /* Accepted payloads are normal form, so they re-encode to the very same bytes. */
  {
    /* @v is not floating: encode takes a reference of its own and drops it. */
    g_autoptr(GBytes) again = ferry_message_encode (frame->type, frame->flags, v);
    gsize len;
    const guint8 *p = g_bytes_get_data (again, &len);

    g_assert (len == FERRY_FRAME_HEADER_SIZE + g_bytes_get_size (frame->payload));
    g_assert (memcmp (p + FERRY_FRAME_HEADER_SIZE, g_bytes_get_data (frame->payload, NULL),
                      len - FERRY_FRAME_HEADER_SIZE) == 0);
  }

  if (frame->type == FERRY_MSG_OFFER)
    {
      g_autoptr(FerryOffer) offer = ferry_offer_new_from_variant (v);
      g_autoptr(GVariant) options = g_variant_get_child_value (v, 8);
      g_autoptr(GBytes) back = ferry_msg_offer_new (ferry_offer_get_id (offer),
                                                    ferry_offer_get_name (offer),
                                                    ferry_offer_get_size (offer),
                                                    ferry_offer_get_sha256 (offer),
                                                    ferry_offer_get_uploader (offer),
                                                    ferry_offer_get_created (offer),
                                                    ferry_offer_get_expires (offer),
                                                    ferry_offer_get_mine (offer),
                                                    ferry_offer_get_folder_files (offer),
                                                    ferry_offer_get_folder_bytes (offer),
                                                    frame->flags);
      gsize len;
      const guint8 *p = g_bytes_get_data (back, &len);
      gsize n_known = ferry_offer_is_folder (offer) ? 1 : 0;

      /* The offer keeps every field it knows: built again, it is the very same frame, unless
       * the options held keys it ignores. */
      g_assert (ferry_offer_get_content_type (offer) != NULL);
      if (g_variant_n_children (options) != n_known)
        return;
      g_assert (len == FERRY_FRAME_HEADER_SIZE + g_bytes_get_size (frame->payload));
      g_assert (memcmp (p + FERRY_FRAME_HEADER_SIZE, g_bytes_get_data (frame->payload, NULL),
                        len - FERRY_FRAME_HEADER_SIZE) == 0);
    }
  else if (frame->type == FERRY_MSG_ERROR)
    {
      g_autoptr(GError) carried = ferry_msg_error_to_gerror (v);

      g_assert (carried->domain == FERRY_ERROR && carried->message[0]);
    }
}
