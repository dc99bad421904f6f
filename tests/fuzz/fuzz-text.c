/* fuzz-text.c: the parsers of what people type and what names carry: sizes, durations,
 * fingerprints, addresses, and names made safe for the local disk.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "ferry-fuzz.h"
#include "ferry-client.h"
#include "ferry-filename.h"
#include "ferry-fingerprint.h"
#include "ferry-units.h"

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autofree char *safe = ferry_filename_make_safe (text);
  g_autofree char *fingerprint = ferry_fingerprint_parse (text, NULL);
  g_autofree char *host = NULL;
  guint64 value;
  guint16 port;

  /* A safe name is one non-empty path component of valid UTF-8, never "." or "..", and
   * NAME.part fits NAME_MAX. */
  g_assert (safe[0] != '\0');
  g_assert (strchr (safe, '/') == NULL);
  g_assert (safe[0] != '.' && safe[0] != '-');
  g_assert (strlen (safe) <= FERRY_FILENAME_MAX_BYTES);
  g_assert (g_utf8_validate (safe, -1, NULL));

  if (fingerprint)
    g_assert (strlen (fingerprint) == 64);

  ferry_parse_size (text, &value, NULL);
  ferry_parse_duration (text, &value, NULL);
  if (ferry_parse_address (text, &host, &port, NULL))
    g_assert (port != 0 && host != NULL);
  return 0;
}
