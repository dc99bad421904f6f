/* test-message.c: every message type through encode, the decoder and parse, and the ways a
 * payload can be wrong
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-test-message"

#include "config.h"

#include <string.h>
#include <gio/gio.h>

/* The layer's own test: it also checks raw payloads against the private type strings. */
#include "ferry-message-private.h"
#include "ferry-error.h"
#include "ferry-offer.h"

static const char *awkward_names[] = {
  "a:b.txt",
  "line1\nline2.txt",
  "🚢 ferry 🎉.png",
  "../../etc/passwd",
  "/absolute/path",
  "back\\slash",
  " leading and trailing ",
  ".",
  "..",
  "tab\tand\x1b escape",
};

/* Runs whole frame bytes through a fresh decoder and returns the one frame in them. */
static void
decode_one (GBytes     *bytes,
            FerryFrame *frame)
{
  g_autoptr(FerryFrameDecoder) decoder = ferry_frame_decoder_new ();
  g_autoptr(GError) error = NULL;
  g_auto(FerryFrame) extra = { 0 };
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  ferry_frame_decoder_feed (decoder, data, len);
  g_assert_true (ferry_frame_decoder_next (decoder, frame, &error));
  g_assert_no_error (error);
  g_assert_false (ferry_frame_decoder_next (decoder, &extra, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ferry_frame_decoder_pending (decoder), ==, 0);
}

/* A frame of @type whose payload is exactly @payload, bypassing ferry_message_encode(). */
static void
frame_from_payload (FerryMessageType  type,
                    const guint8     *payload,
                    gsize             len,
                    FerryFrame       *frame)
{
  g_autoptr(GBytes) p = g_bytes_new (payload, len);
  g_autoptr(GBytes) bytes = ferry_frame_encode (type, 0, p);

  decode_one (bytes, frame);
}

/* Runs a whole frame (taken) through the decoder and ferry_message_parse(), which must accept
 * it as a @type frame with @flags. Returns the parsed payload. */
static GVariant *
typed_parse (GBytes           *bytes,
             FerryMessageType  type,
             guint16           flags)
{
  g_autoptr(GBytes) owned = bytes;
  g_auto(FerryFrame) frame = { 0 };
  g_autoptr(GError) error = NULL;
  GVariant *parsed;

  g_assert_nonnull (owned);
  decode_one (owned, &frame);
  g_assert_cmpint (frame.type, ==, type);
  g_assert_cmpuint (frame.flags, ==, flags);
  parsed = ferry_message_parse (&frame, &error);
  g_assert_no_error (error);
  g_assert_nonnull (parsed);
  return parsed;
}

static GVariant *
round_trip (FerryMessageType  type,
            guint16           flags,
            GVariant         *value)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (value);
  g_autoptr(GVariant) parsed = typed_parse (ferry_message_encode (type, flags, owned), type,
                                            flags);

  g_assert_true (g_variant_is_of_type (parsed, ferry_message_get_variant_type (type)));
  if (!g_variant_equal (parsed, owned))
    {
      g_autofree char *a = g_variant_print (parsed, TRUE);
      g_autofree char *b = g_variant_print (owned, TRUE);

      g_assert_cmpstr (a, ==, b);
    }
  return g_steal_pointer (&parsed);
}

static void
assert_parse_error (const FerryFrame *frame,
                    int               code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) parsed = ferry_message_parse (frame, &error);

  g_assert_null (parsed);
  g_assert_error (error, FERRY_ERROR, code);
  g_assert_cmpstr (error->message, !=, "");
}

/* Encodes @value as @type and expects the receiving side to refuse it. ferry_message_encode()
 * only checks the GVariant type, so this is also how a broken peer would send it. */
static void
assert_refused (FerryMessageType  type,
                GVariant         *value,
                int               code)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (value);
  g_autoptr(GBytes) bytes = ferry_message_encode (type, 0, owned);
  g_auto(FerryFrame) frame = { 0 };

  decode_one (bytes, &frame);
  assert_parse_error (&frame, code);
}

/* A message one past a limit: the constructor builds it as asked, the receiver refuses it. */
static void
typed_refused (GBytes *bytes,
               int     code)
{
  g_autoptr(GBytes) owned = bytes;
  g_auto(FerryFrame) frame = { 0 };

  g_assert_nonnull (owned);
  decode_one (owned, &frame);
  assert_parse_error (&frame, code);
}

/* The payload of a whole frame from a constructor: the bytes a peer sends after the header. */
static GBytes *
payload_of (GBytes *frame)
{
  g_autoptr(GBytes) owned = frame;

  return g_bytes_new_from_bytes (owned, FERRY_FRAME_HEADER_SIZE,
                                 g_bytes_get_size (owned) - FERRY_FRAME_HEADER_SIZE);
}

static GBytes *
offer_frame (const char *id,
             const char *name,
             const char *uploader,
             gboolean    mine,
             guint16     flags)
{
  guint8 sha[FERRY_SHA256_SIZE];

  memset (sha, 0xab, sizeof sha);
  return ferry_msg_offer_new (id, name, G_GUINT64_CONSTANT (123456789012), sha, uploader,
                              1700000000, 1700086400, mine, 0, 0, flags);
}

static GBytes *
hello_frame (const char *software,
             const char *user)
{
  guint8 secret[FERRY_SECRET_SIZE];

  memset (secret, 0x42, sizeof secret);
  return ferry_msg_hello_new (FERRY_PROTOCOL_VERSION, software, user, secret, NULL);
}

static GVariant *
bytes_variant (gsize  len,
               guint8 fill)
{
  g_autofree guint8 *data = g_malloc (len + 1);

  memset (data, fill, len);
  return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, len, 1);
}

static GVariant *
empty_options (void)
{
  return g_variant_new ("a{sv}", NULL);
}

static GVariant *
some_options (void)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&builder, "{sv}", "future-key", g_variant_new_string ("x"));
  g_variant_builder_add (&builder, "{sv}", "number", g_variant_new_uint32 (7));
  return g_variant_builder_end (&builder);
}

static GVariant *
offer_variant (const char *id,
               const char *name,
               gsize       sha_len,
               const char *uploader)
{
  return g_variant_new ("(sst@ays@x@x@b@a{sv})", id, name, G_GUINT64_CONSTANT (123456789012),
                        bytes_variant (sha_len, 0xab), uploader,
                        g_variant_new_int64 (1700000000), g_variant_new_int64 (1700086400),
                        g_variant_new_boolean (TRUE),
                        g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0));
}

static GVariant *
hello_variant (const char *software,
               const char *user,
               gsize       secret_len)
{
  return g_variant_new ("(uss@ay@a{sv})", FERRY_PROTOCOL_VERSION, software, user,
                        bytes_variant (secret_len, 0x42), empty_options ());
}

static void
test_round_trip_all_types (void)
{
  static const struct { FerryMessageType type; const char *text; } cases[] = {
    { FERRY_MSG_HELLO, "(uint32 1, 'ferry-cli 0.1', 'alice', "
                       "[byte 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, "
                       "17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32], "
                       "@a{sv} {})" },
    { FERRY_MSG_HELLO, "(uint32 1, '', 'ü', [byte 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "
                       "0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], "
                       "{'x': <int32 5>})" },
    { FERRY_MSG_WELCOME, "(uint32 1, 'ferry-server 0.1', uint64 4294967296, @a{sv} {})" },
    { FERRY_MSG_WELCOME, "(uint32 7, '', uint64 18446744073709551615, {'a': <'b'>})" },
    { FERRY_MSG_SUBSCRIBE, "()" },
    { FERRY_MSG_OFFER, "('0123456789abcdef', 'report.pdf', uint64 5, "
                       "[byte 0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, "
                       "0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, "
                       "0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55], 'bob', "
                       "int64 -5, int64 9223372036854775807, false, @a{sv} {})" },
    { FERRY_MSG_OFFER, "('ab', 'photos', uint64 5, "
                       "[byte 0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, "
                       "0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, "
                       "0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55], 'bob', "
                       "int64 0, int64 0, true, {'folder': <(uint32 3, uint64 2)>})" },
    { FERRY_MSG_SYNCED, "(uint32 0,)" },
    { FERRY_MSG_SYNCED, "(uint32 4294967295,)" },
    { FERRY_MSG_DELETED, "('ff',)" },
    { FERRY_MSG_UPLOAD, "('a.txt', uint64 0, '', @a{sv} {})" },
    { FERRY_MSG_UPLOAD, "('b', uint64 9223372036854775807, 'abc123', {'k': <true>})" },
    { FERRY_MSG_UPLOAD, "('c', uint64 1, '', {'folder': <(uint32 1, uint64 1)>})" },
    { FERRY_MSG_ACCEPT, "('', uint64 0)" },
    { FERRY_MSG_ACCEPT, "('00aa', uint64 262144)" },
    { FERRY_MSG_END, "([byte 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, "
                     "17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32],)" },
    { FERRY_MSG_DOWNLOAD, "('0123456789abcdef', uint64 0, @a{sv} {})" },
    { FERRY_MSG_DOWNLOAD, "('a', uint64 18446744073709551615, {'if-sha256': <[byte 1, 2]>})" },
    { FERRY_MSG_DELETE, "('0123456789abcdef',)" },
    { FERRY_MSG_ERROR, "(uint32 4, 'No offer has that id.')" },
    { FERRY_MSG_ERROR, "(uint32 999, '')" },
    { FERRY_MSG_PING, "(uint64 0,)" },
    { FERRY_MSG_PONG, "(uint64 18446744073709551615,)" },
    { FERRY_MSG_LINK, "('0123456789abcdef', uint64 0)" },
    { FERRY_MSG_LINK, "('a', uint64 18446744073709551615)" },
  };
  gboolean seen[FERRY_MSG_LAST + 1] = { FALSE, };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) value = NULL;   /* g_variant_parse() gives a full reference */
      g_autoptr(GVariant) parsed = NULL;

      g_test_message ("%s %s", ferry_message_type_to_string (cases[i].type), cases[i].text);
      value = g_variant_parse (ferry_message_get_variant_type (cases[i].type), cases[i].text,
                               NULL, NULL, &error);
      g_assert_no_error (error);
      parsed = round_trip (cases[i].type, (guint16) i, value);
      seen[cases[i].type] = TRUE;
    }

  /* Every structured type was covered. */
  for (int type = FERRY_MSG_FIRST; type <= FERRY_MSG_LAST; type++)
    if (type != FERRY_MSG_DATA)
      g_assert_true (seen[type]);
}

static void
test_snapshot_flag (void)
{
  g_autoptr(GBytes) bytes = offer_frame ("abc", "x", "u", TRUE, FERRY_FRAME_FLAG_SNAPSHOT);
  g_autoptr(GVariant) parsed G_GNUC_UNUSED = typed_parse (g_bytes_ref (bytes), FERRY_MSG_OFFER,
                                            FERRY_FRAME_FLAG_SNAPSHOT);
  const guint8 *data = g_bytes_get_data (bytes, NULL);

  /* Flags are bytes 6 and 7, big-endian. */
  g_assert_cmpuint (data[6], ==, 0);
  g_assert_cmpuint (data[7], ==, 1);
}

static void
test_awkward_names (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (awkward_names); i++)
    {
      const char *name = awkward_names[i];
      g_autoptr(GBytes) offer_bytes = offer_frame ("abc", name, name, TRUE, 0);
      g_autoptr(GBytes) upload_bytes = ferry_msg_upload_new (name, 1, "", 0, 0);
      g_autoptr(GVariant) offer = typed_parse (g_bytes_ref (offer_bytes), FERRY_MSG_OFFER, 0);
      g_autoptr(GVariant) upload = typed_parse (g_bytes_ref (upload_bytes), FERRY_MSG_UPLOAD, 0);
      const char *offer_name = NULL;
      const char *offer_uploader = NULL;
      const char *upload_name = NULL;
      gsize len = 0;

      ferry_msg_offer_get (offer, NULL, &offer_name, NULL, NULL, &offer_uploader, NULL, NULL,
                           NULL, NULL, NULL);
      g_assert_cmpmem (offer_name, strlen (offer_name), name, strlen (name));
      g_assert_cmpmem (offer_uploader, strlen (offer_uploader), name, strlen (name));
      ferry_msg_upload_get (upload, &upload_name, NULL, NULL, NULL, NULL);
      g_assert_cmpmem (upload_name, strlen (upload_name), name, strlen (name));

      /* And the name sits in the payload literally, not escaped or rewritten. */
      {
        const guint8 *data = g_bytes_get_data (upload_bytes, &len);

        g_assert_cmpmem (data + FERRY_FRAME_HEADER_SIZE, strlen (name) + 1,
                         name, strlen (name) + 1);
      }
    }
}

static void
test_options_are_kept (void)
{
  g_autoptr(GVariant) parsed = round_trip (FERRY_MSG_UPLOAD, 0,
                                           g_variant_new ("(sts@a{sv})", "n", (guint64) 1, "",
                                                          some_options ()));
  g_autoptr(GVariant) options = g_variant_get_child_value (parsed, 3);
  g_autoptr(GVariantDict) dict = g_variant_dict_new (options);
  guint32 number = 0;

  g_assert_true (g_variant_dict_lookup (dict, "number", "u", &number));
  g_assert_cmpuint (number, ==, 7);
}

static void
test_wrong_type (void)
{
  g_autoptr(GVariant) s = g_variant_ref_sink (g_variant_new ("(s)", "hello"));
  g_autoptr(GVariant) t = g_variant_ref_sink (g_variant_new ("(t)", (guint64) 1));
  g_autoptr(GVariant) offer = g_variant_ref_sink (offer_variant ("abc", "name", 32, "u"));

  struct { FerryMessageType type; GVariant *value; } cases[] = {
    { FERRY_MSG_HELLO, s },
    { FERRY_MSG_WELCOME, t },
    { FERRY_MSG_OFFER, s },
    { FERRY_MSG_UPLOAD, offer },
    { FERRY_MSG_END, t },
    { FERRY_MSG_ERROR, offer },
    { FERRY_MSG_SYNCED, t },     /* 8 bytes where "(u)" needs 4 */
    { FERRY_MSG_PING, s },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(FerryFrame) frame = { 0 };
      g_autoptr(GBytes) data = g_variant_get_data_as_bytes (cases[i].value);

      g_test_message ("%s carrying %s", ferry_message_type_to_string (cases[i].type),
                      g_variant_get_type_string (cases[i].value));
      frame_from_payload (cases[i].type, g_bytes_get_data (data, NULL),
                          g_bytes_get_size (data), &frame);
      assert_parse_error (&frame, FERRY_ERROR_MALFORMED);
    }
}

static void
test_empty_payload (void)
{
  /* Only SUBSCRIBE could plausibly be empty, and even "()" is one byte in normal form. */
  for (int type = FERRY_MSG_FIRST; type <= FERRY_MSG_LAST; type++)
    {
      g_auto(FerryFrame) frame = { 0 };

      if (type == FERRY_MSG_DATA)
        continue;
      frame_from_payload (type, NULL, 0, &frame);
      assert_parse_error (&frame, FERRY_ERROR_MALFORMED);
    }
}

static void
test_truncated (void)
{
  g_autoptr(GBytes) hello = payload_of (hello_frame ("ferry-cli 0.1", "alice"));
  g_autoptr(GBytes) offer = payload_of (offer_frame ("0123abcd", "report.pdf", "bob", TRUE, 0));
  g_autoptr(GBytes) ping = payload_of (ferry_msg_ping_new (99));
  struct { FerryMessageType type; GBytes *bytes; } cases[] = {
    { FERRY_MSG_HELLO, hello },
    { FERRY_MSG_OFFER, offer },
    { FERRY_MSG_PING, ping },
  };

  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (cases[c].bytes, &len);

      /* The whole payload parses; every proper prefix of it does not. */
      {
        g_auto(FerryFrame) frame = { 0 };
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) v = NULL;

        frame_from_payload (cases[c].type, data, len, &frame);
        v = ferry_message_parse (&frame, &error);
        g_assert_no_error (error);
        g_assert_nonnull (v);
      }

      for (gsize cut = 0; cut < len; cut++)
        {
          g_auto(FerryFrame) frame = { 0 };

          frame_from_payload (cases[c].type, data, cut, &frame);
          assert_parse_error (&frame, FERRY_ERROR_MALFORMED);
        }
    }
}

static void
test_trailing_bytes (void)
{
  g_autoptr(GBytes) hello = payload_of (hello_frame ("ferry-cli 0.1", "alice"));
  g_autoptr(GBytes) ping = payload_of (ferry_msg_ping_new (99));
  g_autoptr(GBytes) del = payload_of (ferry_msg_delete_new ("abcdef"));
  struct { FerryMessageType type; GBytes *bytes; } cases[] = {
    { FERRY_MSG_HELLO, hello },
    { FERRY_MSG_PING, ping },
    { FERRY_MSG_DELETE, del },
  };

  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    for (gsize extra = 1; extra <= 9; extra++)
      {
        g_auto(FerryFrame) frame = { 0 };
        gsize len;
        const guint8 *data = g_bytes_get_data (cases[c].bytes, &len);
        g_autofree guint8 *longer = g_malloc0 (len + extra);

        memcpy (longer, data, len);
        frame_from_payload (cases[c].type, longer, len + extra, &frame);
        assert_parse_error (&frame, FERRY_ERROR_MALFORMED);
      }
}

static void
test_non_normal_form (void)
{
  /* "(usta{sv})" with a two-character string: byte 7 is padding before the uint64 and must
   * be zero in normal form. */
  g_autoptr(GBytes) welcome = payload_of (ferry_msg_welcome_new (1, "ab", 100, FALSE, 0, FALSE));
  gsize len;
  const guint8 *data = g_bytes_get_data (welcome, &len);
  g_autofree guint8 *copy = g_memdup2 (data, len);

  g_assert_cmpmem (copy + 4, 4, "ab\0\0", 4);
  {
    g_auto(FerryFrame) frame = { 0 };
    g_autoptr(GVariant) v = NULL;

    frame_from_payload (FERRY_MSG_WELCOME, copy, len, &frame);
    v = ferry_message_parse (&frame, NULL);
    g_assert_nonnull (v);
  }

  copy[7] = 0x01;
  {
    g_auto(FerryFrame) frame = { 0 };

    frame_from_payload (FERRY_MSG_WELCOME, copy, len, &frame);
    assert_parse_error (&frame, FERRY_ERROR_MALFORMED);
  }

  /* A boolean that is neither 0 nor 1. "(b)" is not one of ours, but OFFER ends in a boolean
   * followed only by framing offsets: find it by flipping "mine". */
  {
    g_autoptr(GBytes) yes = payload_of (offer_frame ("abc", "n", "u", TRUE, 0));
    g_autoptr(GBytes) no = payload_of (offer_frame ("abc", "n", "u", FALSE, 0));
    gsize yes_len, no_len, where = 0;
    const guint8 *y = g_bytes_get_data (yes, &yes_len);
    const guint8 *n = g_bytes_get_data (no, &no_len);
    g_autofree guint8 *bad = NULL;
    g_auto(FerryFrame) frame = { 0 };
    int differences = 0;

    g_assert_cmpuint (yes_len, ==, no_len);
    for (gsize i = 0; i < yes_len; i++)
      if (y[i] != n[i])
        {
          where = i;
          differences++;
        }
    g_assert_cmpint (differences, ==, 1);
    g_assert_cmpuint (y[where], ==, 1);

    bad = g_memdup2 (y, yes_len);
    bad[where] = 2;
    frame_from_payload (FERRY_MSG_OFFER, bad, yes_len, &frame);
    assert_parse_error (&frame, FERRY_ERROR_MALFORMED);
  }
}

static guint8 *
find (guint8     *haystack,
      gsize       len,
      const char *needle)
{
  gsize n = strlen (needle);

  for (gsize i = 0; i + n <= len; i++)
    if (memcmp (haystack + i, needle, n) == 0)
      return haystack + i;
  return NULL;
}

static void
test_invalid_utf8 (void)
{
  const char *marker = "NAME-MARKER.txt";
  g_autoptr(GBytes) offer = payload_of (offer_frame ("abc", marker, "u", TRUE, 0));
  gsize len;
  const guint8 *data = g_bytes_get_data (offer, &len);
  g_autofree guint8 *copy = g_memdup2 (data, len);
  guint8 *at = find (copy, len, marker);
  g_auto(FerryFrame) good = { 0 };
  g_autoptr(GVariant) v = NULL;

  g_assert_nonnull (at);
  frame_from_payload (FERRY_MSG_OFFER, copy, len, &good);
  v = ferry_message_parse (&good, NULL);
  g_assert_nonnull (v);

  /* A lone 0xff anywhere in the name, and a truncated multi-byte sequence. */
  for (gsize i = 0; i < strlen (marker); i++)
    {
      g_auto(FerryFrame) frame = { 0 };
      guint8 saved = at[i];

      at[i] = 0xff;
      frame_from_payload (FERRY_MSG_OFFER, copy, len, &frame);
      assert_parse_error (&frame, FERRY_ERROR_MALFORMED);
      at[i] = saved;
    }

  {
    g_auto(FerryFrame) frame = { 0 };

    at[0] = 0xc3;  /* needs a continuation byte; 'A' is not one */
    frame_from_payload (FERRY_MSG_OFFER, copy, len, &frame);
    assert_parse_error (&frame, FERRY_ERROR_MALFORMED);
    at[0] = 'N';
  }

  /* An embedded NUL in the name is not a string in normal form either. */
  {
    g_auto(FerryFrame) frame = { 0 };

    at[4] = '\0';
    frame_from_payload (FERRY_MSG_OFFER, copy, len, &frame);
    assert_parse_error (&frame, FERRY_ERROR_MALFORMED);
  }
}

static void
test_field_lengths (void)
{
  /* Secrets and digests are exactly 32 bytes. */
  assert_refused (FERRY_MSG_HELLO, hello_variant ("c", "alice", 31), FERRY_ERROR_MALFORMED);
  assert_refused (FERRY_MSG_HELLO, hello_variant ("c", "alice", 33), FERRY_ERROR_MALFORMED);
  assert_refused (FERRY_MSG_HELLO, hello_variant ("c", "alice", 0), FERRY_ERROR_MALFORMED);
  assert_refused (FERRY_MSG_OFFER, offer_variant ("abc", "n", 31, "u"), FERRY_ERROR_MALFORMED);
  assert_refused (FERRY_MSG_END, g_variant_new ("(@ay)", bytes_variant (31, 1)),
                  FERRY_ERROR_MALFORMED);
  assert_refused (FERRY_MSG_END, g_variant_new ("(@ay)", bytes_variant (64, 1)),
                  FERRY_ERROR_MALFORMED);

  /* User names: 1 to 64 bytes. */
  typed_refused (hello_frame ("c", ""), FERRY_ERROR_INVALID_NAME);
  {
    g_autofree char *user64 = g_strnfill (64, 'u');
    g_autofree char *user65 = g_strnfill (65, 'u');
    g_autoptr(GVariant) ok G_GNUC_UNUSED =
      typed_parse (hello_frame ("c", user64), FERRY_MSG_HELLO, 0);

    typed_refused (hello_frame ("c", user65), FERRY_ERROR_INVALID_NAME);
    typed_refused (offer_frame ("abc", "n", user65, TRUE, 0), FERRY_ERROR_INVALID_NAME);
    typed_refused (offer_frame ("abc", "n", "", TRUE, 0), FERRY_ERROR_INVALID_NAME);
  }

  /* Software names: 0 to 128 bytes. */
  {
    g_autofree char *sw128 = g_strnfill (128, 's');
    g_autofree char *sw129 = g_strnfill (129, 's');
    g_autoptr(GVariant) ok G_GNUC_UNUSED =
      typed_parse (hello_frame (sw128, "a"), FERRY_MSG_HELLO, 0);
    g_autoptr(GVariant) ok2 G_GNUC_UNUSED = typed_parse (ferry_msg_welcome_new (1, sw128, 1, FALSE, 0, FALSE),
                                           FERRY_MSG_WELCOME, 0);
    g_autoptr(GBytes) bytes = hello_frame (sw129, "a");
    g_auto(FerryFrame) frame = { 0 };
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) parsed = NULL;

    decode_one (bytes, &frame);
    parsed = ferry_message_parse (&frame, &error);
    g_assert_null (parsed);
    g_assert_true (g_error_matches (error, FERRY_ERROR, FERRY_ERROR_MALFORMED) ||
                   g_error_matches (error, FERRY_ERROR, FERRY_ERROR_INVALID_NAME));
  }
}

static void
test_file_names (void)
{
  g_autofree char *name1024 = g_strnfill (1024, 'n');
  g_autofree char *name1025 = g_strnfill (1025, 'n');
  g_autoptr(GString) emoji_1024 = g_string_new (NULL);
  g_autoptr(GVariant) ok = NULL;
  g_autoptr(GVariant) ok_emoji = NULL;

  /* 256 four-byte characters are 1024 bytes: the limit is in bytes, and it is inclusive. */
  for (int i = 0; i < 256; i++)
    g_string_append (emoji_1024, "🚢");
  g_assert_cmpuint (emoji_1024->len, ==, 1024);

  ok = typed_parse (ferry_msg_upload_new (name1024, 1, "", 0, 0), FERRY_MSG_UPLOAD, 0);
  ok_emoji = typed_parse (offer_frame ("abc", emoji_1024->str, "u", TRUE, 0), FERRY_MSG_OFFER, 0);

  typed_refused (ferry_msg_upload_new ("", 1, "", 0, 0), FERRY_ERROR_INVALID_NAME);
  typed_refused (ferry_msg_upload_new (name1025, 1, "", 0, 0), FERRY_ERROR_INVALID_NAME);
  typed_refused (offer_frame ("abc", "", "u", TRUE, 0), FERRY_ERROR_INVALID_NAME);
  typed_refused (offer_frame ("abc", name1025, "u", TRUE, 0), FERRY_ERROR_INVALID_NAME);

  g_string_append_c (emoji_1024, 'x');
  typed_refused (offer_frame ("abc", emoji_1024->str, "u", TRUE, 0), FERRY_ERROR_INVALID_NAME);
}

static void
test_ids (void)
{
  static const char *bad_ids[] = {
    "", "ABCDEF", "0123456789ABCDEF", "abc/def", "../x", "abcg", " abc", "abc\n", "-1",
    "ａｂｃ",  /* full-width letters */
  };
  g_autofree char *id64 = g_strnfill (64, 'f');
  g_autofree char *id65 = g_strnfill (65, 'f');

  g_assert_true (ferry_id_is_valid ("0123456789abcdef"));
  g_assert_true (ferry_id_is_valid (id64));
  g_assert_false (ferry_id_is_valid (id65));
  g_assert_false (ferry_id_is_valid (NULL));

  for (gsize i = 0; i < G_N_ELEMENTS (bad_ids); i++)
    {
      const char *id = bad_ids[i];

      g_test_message ("id “%s”", id);
      g_assert_false (ferry_id_is_valid (id));
      typed_refused (offer_frame (id, "n", "u", TRUE, 0), FERRY_ERROR_MALFORMED);
      typed_refused (ferry_msg_deleted_new (id), FERRY_ERROR_MALFORMED);
      typed_refused (ferry_msg_delete_new (id), FERRY_ERROR_MALFORMED);
      typed_refused (ferry_msg_download_new (id, 0, NULL), FERRY_ERROR_MALFORMED);
      /* Resume tokens may be empty, but otherwise follow the same rule. */
      if (*id)
        {
          typed_refused (ferry_msg_upload_new ("n", 1, id, 0, 0), FERRY_ERROR_MALFORMED);
          typed_refused (ferry_msg_accept_new (id, 0), FERRY_ERROR_MALFORMED);
        }
    }

  typed_refused (ferry_msg_delete_new (id65), FERRY_ERROR_MALFORMED);
  {
    g_autoptr(GVariant) ok G_GNUC_UNUSED =
      typed_parse (ferry_msg_delete_new (id64), FERRY_MSG_DELETE, 0);
  }
}

static GBytes *
data_frame (guint64       offset,
            const guint8 *bytes,
            gsize         len)
{
  g_autofree guint8 *buf = g_malloc (FERRY_FRAME_HEADER_SIZE + FERRY_DATA_HEADER_SIZE + len);

  ferry_data_header_encode (buf, offset, len);
  memcpy (buf + FERRY_FRAME_HEADER_SIZE + FERRY_DATA_HEADER_SIZE, bytes, len);
  return g_bytes_new (buf, FERRY_FRAME_HEADER_SIZE + FERRY_DATA_HEADER_SIZE + len);
}

static void
test_data (void)
{
  static const guint64 offsets[] = {
    0, 1, 262144, G_GUINT64_CONSTANT (0x0102030405060708), G_MAXINT64, G_MAXUINT64,
  };
  static const gsize sizes[] = { 1, 2, 1000, FERRY_CHUNK_SIZE, FERRY_CHUNK_MAX };
  g_autofree guint8 *content = g_malloc (FERRY_CHUNK_MAX);

  for (gsize i = 0; i < FERRY_CHUNK_MAX; i++)
    content[i] = (guint8) (i * 7 + 3);

  for (gsize o = 0; o < G_N_ELEMENTS (offsets); o++)
    for (gsize s = 0; s < G_N_ELEMENTS (sizes); s++)
      {
        g_autoptr(GBytes) bytes = data_frame (offsets[o], content, sizes[s]);
        g_auto(FerryFrame) frame = { 0 };
        g_autoptr(GError) error = NULL;
        guint64 offset = 0;
        const guint8 *data = NULL;
        gsize len = 0;

        decode_one (bytes, &frame);
        g_assert_cmpint (frame.type, ==, FERRY_MSG_DATA);
        g_assert_true (ferry_data_parse (&frame, &offset, &data, &len, &error));
        g_assert_no_error (error);
        g_assert_cmpuint (offset, ==, offsets[o]);
        g_assert_cmpmem (data, len, content, sizes[s]);
      }

  /* The offset is big-endian on the wire. */
  {
    g_autoptr(GBytes) bytes = data_frame (G_GUINT64_CONSTANT (0x0102030405060708), content, 1);
    static const guint8 expected[] = { 1, 2, 3, 4, 5, 6, 7, 8 };

    g_assert_cmpmem ((const guint8 *) g_bytes_get_data (bytes, NULL) + FERRY_FRAME_HEADER_SIZE,
                     8, expected, 8);
  }

  /* A DATA frame has no GVariant payload. */
  {
    g_autoptr(GBytes) bytes = data_frame (0, content, 10);
    g_auto(FerryFrame) frame = { 0 };

    decode_one (bytes, &frame);
    assert_parse_error (&frame, FERRY_ERROR_MALFORMED);
  }
}

static void
test_data_too_short (void)
{
  static const guint8 zeros[FERRY_DATA_HEADER_SIZE] = { 0 };

  for (gsize len = 0; len <= FERRY_DATA_HEADER_SIZE; len++)
    {
      g_auto(FerryFrame) frame = { 0 };
      g_autoptr(GError) error = NULL;
      guint64 offset = 77;
      const guint8 *data = NULL;
      gsize n = 77;

      frame_from_payload (FERRY_MSG_DATA, zeros, len, &frame);
      g_assert_false (ferry_data_parse (&frame, &offset, &data, &n, &error));
      g_assert_error (error, FERRY_ERROR, FERRY_ERROR_MALFORMED);
      g_assert_cmpuint (offset, ==, 77);
      g_assert_cmpuint (n, ==, 77);
    }
}

static GError *
error_round_trip (const GError *error)
{
  g_autoptr(GBytes) bytes = ferry_msg_error_new (error);
  g_auto(FerryFrame) frame = { 0 };
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GVariant) payload = NULL;

  decode_one (bytes, &frame);
  g_assert_cmpint (frame.type, ==, FERRY_MSG_ERROR);
  payload = ferry_message_parse (&frame, &local_error);
  g_assert_no_error (local_error);
  return ferry_msg_error_to_gerror (payload);
}

static void
test_error_round_trip (void)
{
  for (int code = FERRY_ERROR_MALFORMED; code <= FERRY_ERROR_SIZE_MISMATCH; code++)
    {
      g_autoptr(GError) error = g_error_new (FERRY_ERROR, code, "Message for code %d: “ü”.",
                                             code);
      g_autoptr(GError) back = error_round_trip (error);

      g_assert_error (back, FERRY_ERROR, code);
      g_assert_cmpstr (back->message, ==, error->message);
    }

  /* Codes that are not on the wire travel as INTERNAL, with their message. */
  {
    g_autoptr(GError) io = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NO_SPACE, "Disk full.");
    g_autoptr(GError) closed = g_error_new_literal (FERRY_ERROR, FERRY_ERROR_CLOSED, "Closed.");
    g_autoptr(GError) failed = g_error_new_literal (FERRY_ERROR, FERRY_ERROR_FAILED, "Failed.");
    g_autoptr(GError) io_back = error_round_trip (io);
    g_autoptr(GError) closed_back = error_round_trip (closed);
    g_autoptr(GError) failed_back = error_round_trip (failed);

    g_assert_error (io_back, FERRY_ERROR, FERRY_ERROR_INTERNAL);
    g_assert_cmpstr (io_back->message, ==, "Disk full.");
    g_assert_error (closed_back, FERRY_ERROR, FERRY_ERROR_INTERNAL);
    g_assert_error (failed_back, FERRY_ERROR, FERRY_ERROR_INTERNAL);
  }
}

static void
test_error_unknown_code (void)
{
  static const guint32 codes[] = { 0, 15, 99, 100, 101, G_MAXUINT32 };

  for (gsize i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      g_autoptr(GVariant) payload = round_trip (FERRY_MSG_ERROR, 0,
                                                g_variant_new ("(us)", codes[i], "Odd."));
      g_autoptr(GError) error = ferry_msg_error_to_gerror (payload);

      g_assert_error (error, FERRY_ERROR, FERRY_ERROR_INTERNAL);
      g_assert_cmpstr (error->message, ==, "Odd.");
    }

  /* An empty message still gives people a sentence. */
  {
    g_autoptr(GVariant) payload = round_trip (FERRY_MSG_ERROR, 0,
                                              g_variant_new ("(us)", FERRY_ERROR_BUSY, ""));
    g_autoptr(GError) error = ferry_msg_error_to_gerror (payload);

    g_assert_error (error, FERRY_ERROR, FERRY_ERROR_BUSY);
    g_assert_cmpstr (error->message, !=, "");
  }
}

static void
test_wire_codes (void)
{
  /* docs/PROTOCOL.md §6 */
  g_assert_cmpint (FERRY_ERROR_MALFORMED, ==, 1);
  g_assert_cmpint (FERRY_ERROR_INVALID_NAME, ==, 12);
  g_assert_cmpint (FERRY_ERROR_SIZE_MISMATCH, ==, 14);
  g_assert_cmpint (ferry_error_from_wire (8), ==, FERRY_ERROR_CHECKSUM);
  g_assert_cmpint (ferry_error_from_wire (0), ==, FERRY_ERROR_INTERNAL);
  g_assert_cmpint (ferry_error_from_wire (100), ==, FERRY_ERROR_INTERNAL);
}

static void
fill_digest (guint8 *digest,
             guint8  seed)
{
  for (gsize i = 0; i < FERRY_SHA256_SIZE; i++)
    digest[i] = (guint8) (seed + i * 7);
}

static void
test_typed_round_trip (void)
{
  guint8 secret[FERRY_SECRET_SIZE];
  guint8 sha[FERRY_SHA256_SIZE];

  fill_digest (secret, 3);
  fill_digest (sha, 200);

  /* HELLO, with and without a password. */
  for (int with_password = 0; with_password < 2; with_password++)
    {
      g_autoptr(GVariant) v = typed_parse (ferry_msg_hello_new (7, "ferry 1.0", "Zoë", secret,
                                                                with_password ? "hunter2" : NULL),
                                           FERRY_MSG_HELLO, 0);
      guint32 version = 0;
      const char *software = NULL;
      const char *user = NULL;
      const guint8 *got_secret = NULL;
      const char *password = "unset";

      ferry_msg_hello_get (v, &version, &software, &user, &got_secret, &password);
      g_assert_cmpuint (version, ==, 7);
      g_assert_cmpstr (software, ==, "ferry 1.0");
      g_assert_cmpstr (user, ==, "Zoë");
      g_assert_cmpmem (got_secret, FERRY_SECRET_SIZE, secret, FERRY_SECRET_SIZE);
      g_assert_cmpstr (password, ==, with_password ? "hunter2" : NULL);
    }

  /* WELCOME, with and without auth (and web). */
  for (int auth = 0; auth < 2; auth++)
    {
      g_autoptr(GVariant) v = typed_parse (ferry_msg_welcome_new (1, "ferry-server 1.0",
                                                                  G_MAXUINT64 - 1, auth,
                                                                  86400 + auth, !auth),
                                           FERRY_MSG_WELCOME, 0);
      guint32 version = 0;
      const char *software = NULL;
      guint64 max_file_size = 0;
      guint64 keep_partial = 0;
      gboolean got_auth = !auth;
      gboolean got_web = auth;

      ferry_msg_welcome_get (v, &version, &software, &max_file_size, &got_auth,
                             &keep_partial, &got_web);
      g_assert_cmpint (got_web, ==, !auth);
      g_assert_cmpuint (keep_partial, ==, 86400 + (guint64) auth);
      g_assert_cmpuint (version, ==, 1);
      g_assert_cmpstr (software, ==, "ferry-server 1.0");
      g_assert_cmpuint (max_file_size, ==, G_MAXUINT64 - 1);
      g_assert_cmpint (got_auth, ==, auth);
    }

  {
    g_autoptr(GVariant) v = typed_parse (ferry_msg_subscribe_new (), FERRY_MSG_SUBSCRIBE, 0);

    g_assert_cmpuint (g_variant_n_children (v), ==, 0);
  }

  /* OFFER, in and out of a snapshot, with every field set apart from the others. */
  for (int snapshot = 0; snapshot < 2; snapshot++)
    {
      guint16 flags = snapshot ? FERRY_FRAME_FLAG_SNAPSHOT : 0;
      g_autoptr(GVariant) v = typed_parse (ferry_msg_offer_new ("0123456789abcdef",
                                                                "a:b\nc.txt", G_MAXUINT64,
                                                                sha, "Bob", G_MININT64,
                                                                G_MAXINT64, snapshot,
                                                                snapshot ? G_MAXUINT32 : 0,
                                                                snapshot ? G_MAXUINT64 : 0,
                                                                flags),
                                           FERRY_MSG_OFFER, flags);
      const char *id = NULL;
      const char *name = NULL;
      const char *uploader = NULL;
      const guint8 *got_sha = NULL;
      guint64 size = 0;
      gint64 created = 0;
      gint64 expires = 0;
      gboolean mine = !snapshot;
      guint32 folder_files = 1;
      guint64 folder_bytes = 1;

      /* A folder offer (snapshot) carries the `folder` option; a file offer has none. */
      ferry_msg_offer_get (v, &id, &name, &size, &got_sha, &uploader, &created, &expires,
                           &mine, &folder_files, &folder_bytes);
      g_assert_cmpuint (folder_files, ==, snapshot ? G_MAXUINT32 : 0);
      g_assert_cmpuint (folder_bytes, ==, snapshot ? G_MAXUINT64 : 0);
      g_assert_cmpstr (id, ==, "0123456789abcdef");
      g_assert_cmpstr (name, ==, "a:b\nc.txt");
      g_assert_cmpuint (size, ==, G_MAXUINT64);
      g_assert_cmpmem (got_sha, FERRY_SHA256_SIZE, sha, FERRY_SHA256_SIZE);
      g_assert_cmpstr (uploader, ==, "Bob");
      g_assert_cmpint (created, ==, G_MININT64);
      g_assert_cmpint (expires, ==, G_MAXINT64);
      g_assert_cmpint (mine, ==, snapshot);
    }

  {
    g_autoptr(GVariant) v = typed_parse (ferry_msg_synced_new (G_MAXUINT32), FERRY_MSG_SYNCED, 0);

    g_assert_cmpuint (ferry_msg_synced_get_count (v), ==, G_MAXUINT32);
  }
  {
    g_autoptr(GVariant) v = typed_parse (ferry_msg_deleted_new ("00ff"), FERRY_MSG_DELETED, 0);

    g_assert_cmpstr (ferry_msg_deleted_get_id (v), ==, "00ff");
  }
  {
    g_autoptr(GVariant) v = typed_parse (ferry_msg_upload_new ("🚢.mkv", G_MAXINT64, "abc123",
                                                               7, 12345),
                                         FERRY_MSG_UPLOAD, 0);
    const char *name = NULL;
    const char *token = NULL;
    guint64 size = 0;
    guint32 folder_files = 0;
    guint64 folder_bytes = 0;

    ferry_msg_upload_get (v, &name, &size, &token, &folder_files, &folder_bytes);
    g_assert_cmpuint (folder_files, ==, 7);
    g_assert_cmpuint (folder_bytes, ==, 12345);
    g_assert_cmpstr (name, ==, "🚢.mkv");
    g_assert_cmpuint (size, ==, G_MAXINT64);
    g_assert_cmpstr (token, ==, "abc123");
  }
  {
    g_autoptr(GVariant) v = typed_parse (ferry_msg_accept_new ("00aa", 262144),
                                         FERRY_MSG_ACCEPT, 0);
    const char *token = NULL;
    guint64 offset = 0;

    ferry_msg_accept_get (v, &token, &offset);
    g_assert_cmpstr (token, ==, "00aa");
    g_assert_cmpuint (offset, ==, 262144);
  }
  {
    g_autoptr(GVariant) v = typed_parse (ferry_msg_end_new (sha), FERRY_MSG_END, 0);

    g_assert_cmpmem (ferry_msg_end_get_sha256 (v), FERRY_SHA256_SIZE, sha, FERRY_SHA256_SIZE);
  }
  {
    g_autoptr(GVariant) v = typed_parse (ferry_msg_download_new ("abc", G_MAXUINT64 - 2, NULL),
                                         FERRY_MSG_DOWNLOAD, 0);
    const char *id = NULL;
    guint64 offset = 0;

    ferry_msg_download_get (v, &id, &offset, NULL);
    g_assert_cmpstr (id, ==, "abc");
    g_assert_cmpuint (offset, ==, G_MAXUINT64 - 2);
  }
  {
    g_autoptr(GVariant) v = typed_parse (ferry_msg_download_new ("abc", 7, sha),
                                         FERRY_MSG_DOWNLOAD, 0);
    const guint8 *if_sha256 = NULL;

    ferry_msg_download_get (v, NULL, NULL, &if_sha256);
    g_assert_nonnull (if_sha256);
    g_assert_cmpmem (if_sha256, FERRY_SHA256_SIZE, sha, FERRY_SHA256_SIZE);
  }
  {
    /* An if-sha256 of the wrong length counts as none. */
    g_autoptr(GVariantDict) options = g_variant_dict_new (NULL);
    g_autoptr(GVariant) v = NULL;
    const guint8 *if_sha256 = sha;

    g_variant_dict_insert_value (options, FERRY_DOWNLOAD_OPTION_IF_SHA256,
                                 g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, sha, 5, 1));
    v = typed_parse (ferry_message_encode (FERRY_MSG_DOWNLOAD, 0,
                                           g_variant_new ("(st@a{sv})", "abc", (guint64) 7,
                                                          g_variant_dict_end (options))),
                     FERRY_MSG_DOWNLOAD, 0);
    ferry_msg_download_get (v, NULL, NULL, &if_sha256);
    g_assert_null (if_sha256);
  }
  {
    g_autoptr(GVariant) v = typed_parse (ferry_msg_delete_new ("fedcba"), FERRY_MSG_DELETE, 0);

    g_assert_cmpstr (ferry_msg_delete_get_id (v), ==, "fedcba");
  }
  {
    g_autoptr(GError) error = g_error_new_literal (FERRY_ERROR, FERRY_ERROR_NOT_OWNER,
                                                   "Only the owner may delete “x”.");
    g_autoptr(GVariant) v = typed_parse (ferry_msg_error_new (error), FERRY_MSG_ERROR, 0);
    g_autoptr(GError) back = ferry_msg_error_to_gerror (v);
    guint32 code = 0;
    const char *message = NULL;

    ferry_msg_error_get (v, &code, &message);
    g_assert_cmpuint (code, ==, 5);
    g_assert_cmpstr (message, ==, "Only the owner may delete “x”.");
    g_assert_error (back, FERRY_ERROR, FERRY_ERROR_NOT_OWNER);
    g_assert_cmpstr (back->message, ==, message);
  }
  {
    g_autoptr(GVariant) ping = typed_parse (ferry_msg_ping_new (G_MAXUINT64), FERRY_MSG_PING, 0);
    g_autoptr(GVariant) pong = typed_parse (ferry_msg_pong_new (42), FERRY_MSG_PONG, 0);

    g_assert_cmpuint (ferry_msg_ping_get_token (ping), ==, G_MAXUINT64);
    g_assert_cmpuint (ferry_msg_pong_get_token (pong), ==, 42);
  }

  /* Fields the caller does not want may be skipped. */
  {
    g_autoptr(GVariant) v = typed_parse (ferry_msg_offer_new ("ab", "n", 1, sha, "u", 2, 3, TRUE,
                                                              0, 0, 0),
                                         FERRY_MSG_OFFER, 0);
    const char *name = NULL;

    ferry_msg_offer_get (v, NULL, &name, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    g_assert_cmpstr (name, ==, "n");
  }
}

/* A HELLO whose password option is not a string: the accessor reports no password, as the
 * server treats it. */
static void
test_typed_password_of_wrong_type (void)
{
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_autoptr(GVariant) parsed = NULL;
  const char *password = "unset";
  const char *user = NULL;

  g_variant_builder_add (&options, "{sv}", FERRY_HELLO_OPTION_PASSWORD,
                         g_variant_new_uint32 (1234));
  parsed = round_trip (FERRY_MSG_HELLO, 0,
                       g_variant_new ("(uss@ay@a{sv})", 1, "c", "alice", bytes_variant (32, 1),
                                      g_variant_builder_end (&options)));
  ferry_msg_hello_get (parsed, NULL, NULL, &user, NULL, &password);
  g_assert_cmpstr (user, ==, "alice");
  g_assert_null (password);
}

static void
test_typed_limits (void)
{
  g_autofree char *s128 = g_strnfill (FERRY_MAX_SOFTWARE_LEN, 's');
  g_autofree char *s129 = g_strnfill (FERRY_MAX_SOFTWARE_LEN + 1, 's');
  g_autofree char *u64 = g_strnfill (FERRY_MAX_USER_LEN, 'u');
  g_autofree char *u65 = g_strnfill (FERRY_MAX_USER_LEN + 1, 'u');
  g_autofree char *n1024 = g_strnfill (FERRY_MAX_NAME_LEN, 'n');
  g_autofree char *n1025 = g_strnfill (FERRY_MAX_NAME_LEN + 1, 'n');
  g_autofree char *id64 = g_strnfill (FERRY_MAX_ID_LEN, 'e');
  g_autofree char *id65 = g_strnfill (FERRY_MAX_ID_LEN + 1, 'e');
  g_autofree char *pw1024 = g_strnfill (1024, 'p');
  guint8 secret[FERRY_SECRET_SIZE] = { 1 };
  guint8 sha[FERRY_SHA256_SIZE] = { 2 };

  /* HELLO: software 0 to 128 bytes, user 1 to 64, any password the frame can carry. */
  {
    g_autoptr(GVariant) v = typed_parse (ferry_msg_hello_new (1, s128, u64, secret, pw1024),
                                         FERRY_MSG_HELLO, 0);
    g_autoptr(GVariant) empty = typed_parse (ferry_msg_hello_new (1, "", "u", secret, NULL),
                                             FERRY_MSG_HELLO, 0);
    const char *software = NULL;
    const char *user = NULL;
    const char *password = NULL;

    ferry_msg_hello_get (v, NULL, &software, &user, NULL, &password);
    g_assert_cmpstr (software, ==, s128);
    g_assert_cmpstr (user, ==, u64);
    g_assert_cmpstr (password, ==, pw1024);
    ferry_msg_hello_get (empty, NULL, &software, &user, NULL, NULL);
    g_assert_cmpstr (software, ==, "");
    g_assert_cmpstr (user, ==, "u");
  }
  typed_refused (ferry_msg_hello_new (1, s129, "u", secret, NULL), FERRY_ERROR_MALFORMED);
  typed_refused (ferry_msg_hello_new (1, "c", u65, secret, NULL), FERRY_ERROR_INVALID_NAME);
  typed_refused (ferry_msg_hello_new (1, "c", "", secret, NULL), FERRY_ERROR_INVALID_NAME);

  /* WELCOME: software 0 to 128 bytes. */
  {
    g_autoptr(GVariant) v = typed_parse (ferry_msg_welcome_new (1, s128, 0, FALSE, 0, FALSE),
                                         FERRY_MSG_WELCOME, 0);
    const char *software = NULL;

    ferry_msg_welcome_get (v, NULL, &software, NULL, NULL, NULL, NULL);
    g_assert_cmpstr (software, ==, s128);
  }
  typed_refused (ferry_msg_welcome_new (1, s129, 0, FALSE, 0, FALSE), FERRY_ERROR_MALFORMED);

  /* OFFER: id 1 to 64 hex digits, name 1 to 1024 bytes, uploader 1 to 64. */
  {
    g_autoptr(GVariant) v = typed_parse (ferry_msg_offer_new (id64, n1024, 0, sha, u64, 0, 0,
                                                              FALSE, 0, 0, 0),
                                         FERRY_MSG_OFFER, 0);
    const char *id = NULL;
    const char *name = NULL;
    const char *uploader = NULL;

    ferry_msg_offer_get (v, &id, &name, NULL, NULL, &uploader, NULL, NULL, NULL, NULL, NULL);
    g_assert_cmpstr (id, ==, id64);
    g_assert_cmpstr (name, ==, n1024);
    g_assert_cmpstr (uploader, ==, u64);
  }
  typed_refused (ferry_msg_offer_new (id65, "n", 0, sha, "u", 0, 0, FALSE, 0, 0, 0),
                 FERRY_ERROR_MALFORMED);
  typed_refused (ferry_msg_offer_new ("", "n", 0, sha, "u", 0, 0, FALSE, 0, 0, 0),
                 FERRY_ERROR_MALFORMED);
  typed_refused (ferry_msg_offer_new ("ab", n1025, 0, sha, "u", 0, 0, FALSE, 0, 0, 0),
                 FERRY_ERROR_INVALID_NAME);
  typed_refused (ferry_msg_offer_new ("ab", "", 0, sha, "u", 0, 0, FALSE, 0, 0, 0),
                 FERRY_ERROR_INVALID_NAME);
  typed_refused (ferry_msg_offer_new ("ab", "n", 0, sha, u65, 0, 0, FALSE, 0, 0, 0),
                 FERRY_ERROR_INVALID_NAME);

  /* DELETED, DELETE, DOWNLOAD: an id of 1 to 64 hex digits. */
  {
    g_autoptr(GVariant) deleted = typed_parse (ferry_msg_deleted_new (id64), FERRY_MSG_DELETED,
                                               0);
    g_autoptr(GVariant) delete_ = typed_parse (ferry_msg_delete_new (id64), FERRY_MSG_DELETE, 0);
    g_autoptr(GVariant) download = typed_parse (ferry_msg_download_new (id64, 0, NULL),
                                                FERRY_MSG_DOWNLOAD, 0);
    const char *id = NULL;

    g_assert_cmpstr (ferry_msg_deleted_get_id (deleted), ==, id64);
    g_assert_cmpstr (ferry_msg_delete_get_id (delete_), ==, id64);
    ferry_msg_download_get (download, &id, NULL, NULL);
    g_assert_cmpstr (id, ==, id64);
  }
  typed_refused (ferry_msg_deleted_new (id65), FERRY_ERROR_MALFORMED);
  typed_refused (ferry_msg_delete_new (id65), FERRY_ERROR_MALFORMED);
  typed_refused (ferry_msg_download_new (id65, 0, NULL), FERRY_ERROR_MALFORMED);
  typed_refused (ferry_msg_delete_new (""), FERRY_ERROR_MALFORMED);

  /* UPLOAD: name 1 to 1024 bytes, resume token empty or 1 to 64 hex digits. */
  {
    g_autoptr(GVariant) v = typed_parse (ferry_msg_upload_new (n1024, 1, id64, 0, 0),
                                         FERRY_MSG_UPLOAD, 0);
    const char *name = NULL;
    const char *token = NULL;

    ferry_msg_upload_get (v, &name, NULL, &token, NULL, NULL);
    g_assert_cmpstr (name, ==, n1024);
    g_assert_cmpstr (token, ==, id64);
  }
  typed_refused (ferry_msg_upload_new (n1025, 1, "", 0, 0), FERRY_ERROR_INVALID_NAME);
  typed_refused (ferry_msg_upload_new ("", 1, "", 0, 0), FERRY_ERROR_INVALID_NAME);
  typed_refused (ferry_msg_upload_new ("n", 1, id65, 0, 0), FERRY_ERROR_MALFORMED);

  /* ACCEPT: the same rule for its token. */
  {
    g_autoptr(GVariant) v = typed_parse (ferry_msg_accept_new (id64, 0), FERRY_MSG_ACCEPT, 0);
    g_autoptr(GVariant) empty = typed_parse (ferry_msg_accept_new ("", 0), FERRY_MSG_ACCEPT, 0);
    const char *token = NULL;

    ferry_msg_accept_get (v, &token, NULL);
    g_assert_cmpstr (token, ==, id64);
    ferry_msg_accept_get (empty, &token, NULL);
    g_assert_cmpstr (token, ==, "");
  }
  typed_refused (ferry_msg_accept_new (id65, 0), FERRY_ERROR_MALFORMED);

  /* ERROR: a message as long as a control frame can carry ("(us)": 4 bytes, the string, its
   * NUL). One byte more is over the control payload limit: the sender refuses to build it
   * (and a decoder refuses such a header, see test-frame). */
  {
    gsize max = FERRY_MAX_CONTROL_PAYLOAD - 4 - 1;
    g_autofree char *longest = g_strnfill (max, 'm');
    g_autofree char *too_long = g_strnfill (max + 1, 'm');
    g_autoptr(GError) fits = g_error_new_literal (FERRY_ERROR, FERRY_ERROR_BUSY, longest);
    g_autoptr(GError) over = g_error_new_literal (FERRY_ERROR, FERRY_ERROR_BUSY, too_long);
    g_autoptr(GVariant) v = typed_parse (ferry_msg_error_new (fits), FERRY_MSG_ERROR, 0);
    g_autoptr(GBytes) bytes = NULL;
    const char *message = NULL;

    ferry_msg_error_get (v, NULL, &message);
    g_assert_cmpuint (strlen (message), ==, max);
    g_test_expect_message ("ferry-frame", G_LOG_LEVEL_CRITICAL, "*max_payload*");
    bytes = ferry_msg_error_new (over);
    g_test_assert_expected_messages ();
    g_assert_null (bytes);
  }
}

/* The `folder` option of UPLOAD and OFFER: carried both ways, refused with another type. */
static void
test_typed_folder_option (void)
{
  guint8 sha[FERRY_SHA256_SIZE] = { 0 };
  guint32 files = 0;
  guint64 content = 0;

  {
    g_autoptr(GVariant) v = typed_parse (ferry_msg_upload_new ("tree", 500, "", 7, 400),
                                         FERRY_MSG_UPLOAD, 0);

    ferry_msg_upload_get (v, NULL, NULL, NULL, &files, &content);
    g_assert_cmpuint (files, ==, 7);
    g_assert_cmpuint (content, ==, 400);
  }
  {
    g_autoptr(GVariant) v = typed_parse (ferry_msg_upload_new ("file", 500, "", 0, 0),
                                         FERRY_MSG_UPLOAD, 0);

    ferry_msg_upload_get (v, NULL, NULL, NULL, &files, &content);
    g_assert_cmpuint (files, ==, 0);
    g_assert_cmpuint (content, ==, 0);
  }
  {
    g_autoptr(GVariant) v = typed_parse (ferry_msg_offer_new ("ab", "tree", 500, sha, "u",
                                                              1, 0, TRUE, 2, 300, 0),
                                         FERRY_MSG_OFFER, 0);
    g_autoptr(FerryOffer) offer = ferry_offer_new_from_variant (v);

    g_assert_true (ferry_offer_is_folder (offer));
    g_assert_cmpuint (ferry_offer_get_folder_files (offer), ==, 2);
    g_assert_cmpuint (ferry_offer_get_folder_bytes (offer), ==, 300);
  }

  assert_refused (FERRY_MSG_UPLOAD,
                  g_variant_new_parsed ("('tree', uint64 1, '', {'folder': <uint32 3>})"),
                  FERRY_ERROR_MALFORMED);
  assert_refused (FERRY_MSG_UPLOAD,
                  g_variant_new_parsed ("('tree', uint64 1, '', {'folder': <(3, 4)>})"),
                  FERRY_ERROR_MALFORMED);
}

/* LINK has a payload of its own in each direction; each accessor tells which one it holds. */
static void
test_typed_link (void)
{
  g_autoptr(GVariant) request = typed_parse (ferry_msg_link_new ("0123abcd", 3600),
                                             FERRY_MSG_LINK, 0);
  g_autoptr(GVariant) answer = typed_parse (ferry_msg_link_answer_new ("/f/0123abcd/a%20b?key=x"),
                                            FERRY_MSG_LINK, 0);
  const char *id = NULL;
  guint64 lifetime = 0;

  g_assert_true (ferry_msg_link_get (request, &id, &lifetime));
  g_assert_cmpstr (id, ==, "0123abcd");
  g_assert_cmpuint (lifetime, ==, 3600);
  g_assert_null (ferry_msg_link_answer_get_path (request));

  id = NULL;
  g_assert_false (ferry_msg_link_get (answer, &id, &lifetime));
  g_assert_null (id);
  g_assert_cmpstr (ferry_msg_link_answer_get_path (answer), ==, "/f/0123abcd/a%20b?key=x");

  /* A request names a valid id, an answer is an absolute path. */
  typed_refused (ferry_msg_link_new ("not hex", 0), FERRY_ERROR_MALFORMED);
  typed_refused (ferry_msg_link_new ("", 0), FERRY_ERROR_MALFORMED);
  typed_refused (ferry_msg_link_answer_new ("f/0123abcd/x"), FERRY_ERROR_MALFORMED);
  typed_refused (ferry_msg_link_answer_new (""), FERRY_ERROR_MALFORMED);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/message/round-trip", test_round_trip_all_types);
  g_test_add_func ("/message/snapshot-flag", test_snapshot_flag);
  g_test_add_func ("/message/awkward-names", test_awkward_names);
  g_test_add_func ("/message/options-are-kept", test_options_are_kept);
  g_test_add_func ("/message/wrong-type", test_wrong_type);
  g_test_add_func ("/message/empty-payload", test_empty_payload);
  g_test_add_func ("/message/truncated", test_truncated);
  g_test_add_func ("/message/trailing-bytes", test_trailing_bytes);
  g_test_add_func ("/message/non-normal-form", test_non_normal_form);
  g_test_add_func ("/message/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/message/field-lengths", test_field_lengths);
  g_test_add_func ("/message/file-names", test_file_names);
  g_test_add_func ("/message/ids", test_ids);
  g_test_add_func ("/message/data", test_data);
  g_test_add_func ("/message/data-too-short", test_data_too_short);
  g_test_add_func ("/message/error-round-trip", test_error_round_trip);
  g_test_add_func ("/message/error-unknown-code", test_error_unknown_code);
  g_test_add_func ("/message/wire-codes", test_wire_codes);
  g_test_add_func ("/message/typed/round-trip", test_typed_round_trip);
  g_test_add_func ("/message/typed/password-of-wrong-type", test_typed_password_of_wrong_type);
  g_test_add_func ("/message/typed/limits", test_typed_limits);
  g_test_add_func ("/message/typed/folder-option", test_typed_folder_option);
  g_test_add_func ("/message/typed/link", test_typed_link);

  return g_test_run ();
}
