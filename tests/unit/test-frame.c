/* test-frame.c: the frame header and the incremental decoder against malformed input
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-test-frame"

#include "config.h"

#include <string.h>

#include "ferry-frame.h"
#include "ferry-error.h"

static GBytes *
make_frame (FerryMessageType type,
            guint16          flags,
            gsize            payload_len,
            guint8           fill)
{
  g_autofree guint8 *data = g_malloc (payload_len + 1);
  g_autoptr(GBytes) payload = NULL;

  for (gsize i = 0; i < payload_len; i++)
    data[i] = (guint8) (fill + i);
  payload = g_bytes_new (data, payload_len);
  return ferry_frame_encode (type, flags, payload);
}

static void
feed_bytes (FerryFrameDecoder *decoder,
            GBytes            *bytes)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  ferry_frame_decoder_feed (decoder, data, len);
}

/* Feeds a bare header, no payload at all. */
static void
feed_header (FerryFrameDecoder *decoder,
             guint8             magic0,
             guint8             version,
             guint8             type,
             guint32            length)
{
  guint8 header[FERRY_FRAME_HEADER_SIZE];

  ferry_frame_header_encode (header, FERRY_MSG_PING, 0, length);
  header[0] = magic0;
  header[4] = version;
  header[5] = type;
  ferry_frame_decoder_feed (decoder, header, sizeof header);
}

static void
assert_no_frame_yet (FerryFrameDecoder *decoder)
{
  g_auto(FerryFrame) frame = { 0 };
  g_autoptr(GError) error = NULL;

  g_assert_false (ferry_frame_decoder_next (decoder, &frame, &error));
  g_assert_no_error (error);
  g_assert_null (frame.payload);
}

static void
assert_decoder_error (FerryFrameDecoder *decoder,
                      int                code)
{
  g_auto(FerryFrame) frame = { 0 };
  g_autoptr(GError) error = NULL;

  g_assert_false (ferry_frame_decoder_next (decoder, &frame, &error));
  g_assert_error (error, FERRY_ERROR, code);
  g_assert_null (frame.payload);
}

static void
assert_frame (FerryFrameDecoder *decoder,
              FerryMessageType   type,
              guint16            flags,
              gsize              payload_len,
              guint8             fill)
{
  g_auto(FerryFrame) frame = { 0 };
  g_autoptr(GError) error = NULL;
  const guint8 *data;
  gsize len;

  g_assert_true (ferry_frame_decoder_next (decoder, &frame, &error));
  g_assert_no_error (error);
  g_assert_cmpint (frame.type, ==, type);
  g_assert_cmpuint (frame.flags, ==, flags);
  g_assert_nonnull (frame.payload);
  data = g_bytes_get_data (frame.payload, &len);
  g_assert_cmpuint (len, ==, payload_len);
  for (gsize i = 0; i < len; i++)
    if (data[i] != (guint8) (fill + i))
      g_assert_cmpuint (data[i], ==, (guint8) (fill + i));
}

static void
test_header_round_trip (void)
{
  guint8 header[FERRY_FRAME_HEADER_SIZE];
  static const guint8 expected[FERRY_FRAME_HEADER_SIZE] = {
    'F', 'E', 'R', 'Y', 1, 9, 0xab, 0xcd, 0x00, 0x10, 0x00, 0x08,
  };
  g_autoptr(GError) error = NULL;
  FerryMessageType type = 0;
  guint16 flags = 0;
  guint32 length = 0;

  /* Big-endian, exactly as docs/PROTOCOL.md §2 lays it out. */
  ferry_frame_header_encode (header, FERRY_MSG_DATA, 0xabcd, 0x100008);
  g_assert_cmpmem (header, sizeof header, expected, sizeof expected);

  g_assert_true (ferry_frame_header_decode (header, &type, &flags, &length, &error));
  g_assert_no_error (error);
  g_assert_cmpint (type, ==, FERRY_MSG_DATA);
  g_assert_cmpuint (flags, ==, 0xabcd);
  g_assert_cmpuint (length, ==, 0x100008);
}

static void
test_limits (void)
{
  g_assert_cmpuint (ferry_frame_max_payload (FERRY_MSG_HELLO), ==, 65536);
  g_assert_cmpuint (ferry_frame_max_payload (FERRY_MSG_PONG), ==, 65536);
  g_assert_cmpuint (ferry_frame_max_payload (FERRY_MSG_DATA), ==, 8 + 1048576);
  g_assert_cmpuint (ferry_frame_max_payload (0), ==, 0);
  g_assert_cmpuint (ferry_frame_max_payload (FERRY_MSG_LINK), ==, 65536);
  g_assert_cmpuint (ferry_frame_max_payload (17), ==, 0);
  g_assert_cmpstr (ferry_message_type_to_string (FERRY_MSG_OFFER), ==, "OFFER");
  g_assert_cmpstr (ferry_message_type_to_string (FERRY_MSG_PONG), ==, "PONG");
  g_assert_cmpstr (ferry_message_type_to_string (FERRY_MSG_LINK), ==, "LINK");
  g_assert_cmpstr (ferry_message_type_to_string (0), ==, "UNKNOWN");
  g_assert_cmpstr (ferry_message_type_to_string (200), ==, "UNKNOWN");
}

static void
test_truncated_header (void)
{
  g_autoptr(FerryFrameDecoder) decoder = ferry_frame_decoder_new ();
  g_autoptr(GBytes) bytes = make_frame (FERRY_MSG_PING, 0, 8, 1);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  /* One byte at a time: nothing, and no error, until the last byte is in. */
  for (gsize i = 0; i < len; i++)
    {
      assert_no_frame_yet (decoder);
      g_assert_cmpuint (ferry_frame_decoder_pending (decoder), ==, i);
      ferry_frame_decoder_feed (decoder, data + i, 1);
    }
  assert_frame (decoder, FERRY_MSG_PING, 0, 8, 1);
  assert_no_frame_yet (decoder);
  g_assert_cmpuint (ferry_frame_decoder_pending (decoder), ==, 0);
}

static void
test_truncated_bad_header (void)
{
  /* A bad header is only judged once it is whole: 11 bytes of it are no error yet. */
  g_autoptr(FerryFrameDecoder) decoder = ferry_frame_decoder_new ();
  guint8 header[FERRY_FRAME_HEADER_SIZE] = {
    'X', 'X', 'X', 'X', 9, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
  };

  ferry_frame_decoder_feed (decoder, header, sizeof header - 1);
  assert_no_frame_yet (decoder);
  ferry_frame_decoder_feed (decoder, header + sizeof header - 1, 1);
  assert_decoder_error (decoder, FERRY_ERROR_MALFORMED);
}

static void
test_split_everywhere (void)
{
  g_autoptr(GBytes) a = make_frame (FERRY_MSG_OFFER, FERRY_FRAME_FLAG_SNAPSHOT, 37, 3);
  g_autoptr(GBytes) b = make_frame (FERRY_MSG_SUBSCRIBE, 0, 0, 0);
  g_autoptr(GBytes) c = make_frame (FERRY_MSG_DATA, 0xffff, 300, 200);
  g_autoptr(GByteArray) all = g_byte_array_new ();

  g_byte_array_append (all, g_bytes_get_data (a, NULL), g_bytes_get_size (a));
  g_byte_array_append (all, g_bytes_get_data (b, NULL), g_bytes_get_size (b));
  g_byte_array_append (all, g_bytes_get_data (c, NULL), g_bytes_get_size (c));

  for (gsize split = 0; split <= all->len; split++)
    {
      g_autoptr(FerryFrameDecoder) decoder = ferry_frame_decoder_new ();
      GPtrArray *frames = g_ptr_array_new_with_free_func (g_free);

      /* Take out whatever is complete after each of the two pieces. */
      for (int piece = 0; piece < 2; piece++)
        {
          g_autoptr(GError) error = NULL;
          FerryFrame *frame;

          if (piece == 0)
            ferry_frame_decoder_feed (decoder, all->data, split);
          else
            ferry_frame_decoder_feed (decoder, all->data + split, all->len - split);

          while (ferry_frame_decoder_next (decoder, (frame = g_new0 (FerryFrame, 1)), &error))
            g_ptr_array_add (frames, frame);
          g_assert_no_error (error);
          g_free (frame);
        }

      g_assert_cmpuint (frames->len, ==, 3);
      for (guint i = 0; i < frames->len; i++)
        {
          FerryFrame *frame = g_ptr_array_index (frames, i);
          GBytes *expected = i == 0 ? a : i == 1 ? b : c;
          g_autoptr(GBytes) payload = g_bytes_new_from_bytes (expected, FERRY_FRAME_HEADER_SIZE,
                                                              g_bytes_get_size (expected) -
                                                              FERRY_FRAME_HEADER_SIZE);

          g_assert_true (g_bytes_equal (frame->payload, payload));
          g_assert_cmpint (frame->type, ==, i == 0 ? FERRY_MSG_OFFER :
                                            i == 1 ? FERRY_MSG_SUBSCRIBE : FERRY_MSG_DATA);
          g_assert_cmpuint (frame->flags, ==, i == 0 ? 1 : i == 1 ? 0 : 0xffff);
          ferry_frame_clear (frame);
        }
      g_ptr_array_unref (frames);
      g_assert_cmpuint (ferry_frame_decoder_pending (decoder), ==, 0);
    }
}

static void
test_several_in_one_feed (void)
{
  g_autoptr(FerryFrameDecoder) decoder = ferry_frame_decoder_new ();
  g_autoptr(GByteArray) all = g_byte_array_new ();

  for (guint i = 0; i < 50; i++)
    {
      g_autoptr(GBytes) f = make_frame (FERRY_MSG_FIRST + i % 15, (guint16) i, i * 3, (guint8) i);

      g_byte_array_append (all, g_bytes_get_data (f, NULL), g_bytes_get_size (f));
    }
  /* And half of one more. */
  {
    g_autoptr(GBytes) f = make_frame (FERRY_MSG_END, 0, 40, 0);

    g_byte_array_append (all, g_bytes_get_data (f, NULL), 30);
  }

  ferry_frame_decoder_feed (decoder, all->data, all->len);
  for (guint i = 0; i < 50; i++)
    assert_frame (decoder, FERRY_MSG_FIRST + i % 15, (guint16) i, i * 3, (guint8) i);
  assert_no_frame_yet (decoder);
  g_assert_cmpuint (ferry_frame_decoder_pending (decoder), ==, 30);
}

static void
test_many_large_frames (void)
{
  /* Enough traffic that the decoder has to compact its buffer, fed in awkward pieces. */
  g_autoptr(FerryFrameDecoder) decoder = ferry_frame_decoder_new ();
  g_autoptr(GByteArray) all = g_byte_array_new ();
  const guint n_frames = 40;
  guint decoded = 0;
  gsize pos = 0;

  for (guint i = 0; i < n_frames; i++)
    {
      g_autoptr(GBytes) f = make_frame (FERRY_MSG_DATA, 0, 9000 + i * 977, (guint8) i);

      g_byte_array_append (all, g_bytes_get_data (f, NULL), g_bytes_get_size (f));
    }

  while (pos < all->len)
    {
      gsize want = (gsize) g_test_rand_int_range (1, 50000);
      gsize n = MIN (want, all->len - pos);
      g_autoptr(GError) error = NULL;

      ferry_frame_decoder_feed (decoder, all->data + pos, n);
      pos += n;
      for (;;)
        {
          g_auto(FerryFrame) frame = { 0 };

          if (!ferry_frame_decoder_next (decoder, &frame, &error))
            break;
          g_assert_cmpuint (g_bytes_get_size (frame.payload), ==, 9000 + decoded * 977);
          g_assert_cmpuint (((const guint8 *) g_bytes_get_data (frame.payload, NULL))[5000],
                            ==, (guint8) (decoded + 5000));
          decoded++;
        }
      g_assert_no_error (error);
    }
  g_assert_cmpuint (decoded, ==, n_frames);
  g_assert_cmpuint (ferry_frame_decoder_pending (decoder), ==, 0);
}

static void
test_bad_magic (void)
{
  g_autoptr(FerryFrameDecoder) decoder = ferry_frame_decoder_new ();

  feed_header (decoder, 'G', FERRY_FRAME_VERSION, FERRY_MSG_PING, 8);
  assert_decoder_error (decoder, FERRY_ERROR_MALFORMED);
}

static void
test_bad_magic_http (void)
{
  /* What a confused web browser would send. */
  g_autoptr(FerryFrameDecoder) decoder = ferry_frame_decoder_new ();
  const char *request = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";

  ferry_frame_decoder_feed (decoder, (const guint8 *) request, strlen (request));
  assert_decoder_error (decoder, FERRY_ERROR_MALFORMED);
}

static void
test_bad_version (void)
{
  static const guint8 versions[] = { 0, 2, 255 };

  for (gsize i = 0; i < G_N_ELEMENTS (versions); i++)
    {
      g_autoptr(FerryFrameDecoder) decoder = ferry_frame_decoder_new ();

      feed_header (decoder, 'F', versions[i], FERRY_MSG_PING, 8);
      assert_decoder_error (decoder, FERRY_ERROR_VERSION);
    }
}

static void
test_unknown_type (void)
{
  static const guint8 types[] = { 0, 17, 200, 255 };

  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autoptr(FerryFrameDecoder) decoder = ferry_frame_decoder_new ();

      feed_header (decoder, 'F', FERRY_FRAME_VERSION, types[i], 0);
      assert_decoder_error (decoder, FERRY_ERROR_MALFORMED);
    }
}

static void
test_oversized (void)
{
  static const struct { guint8 type; guint32 length; gboolean ok; } cases[] = {
    { FERRY_MSG_HELLO, 65536, TRUE },
    { FERRY_MSG_HELLO, 65537, FALSE },
    { FERRY_MSG_OFFER, 65537, FALSE },
    { FERRY_MSG_PONG, 65537, FALSE },
    { FERRY_MSG_DATA, 65537, TRUE },
    { FERRY_MSG_DATA, 8 + 1048576, TRUE },
    { FERRY_MSG_DATA, 8 + 1048576 + 1, FALSE },
    { FERRY_MSG_DATA, 0xffffffff, FALSE },
    { FERRY_MSG_PING, 0xffffffff, FALSE },
    { FERRY_MSG_PING, 0x80000000, FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(FerryFrameDecoder) decoder = ferry_frame_decoder_new ();

      g_test_message ("type %u length %u", cases[i].type, cases[i].length);

      /* Only the header: a length over the limit is refused before any payload arrives. */
      feed_header (decoder, 'F', FERRY_FRAME_VERSION, cases[i].type, cases[i].length);
      if (cases[i].ok)
        assert_no_frame_yet (decoder);
      else
        assert_decoder_error (decoder, FERRY_ERROR_MALFORMED);
    }
}

static void
test_largest_frames (void)
{
  g_autoptr(FerryFrameDecoder) decoder = ferry_frame_decoder_new ();
  g_autoptr(GBytes) control = make_frame (FERRY_MSG_HELLO, 0, 65536, 7);
  g_autoptr(GBytes) data = make_frame (FERRY_MSG_DATA, 0, 8 + 1048576, 9);

  feed_bytes (decoder, control);
  feed_bytes (decoder, data);
  assert_frame (decoder, FERRY_MSG_HELLO, 0, 65536, 7);
  assert_frame (decoder, FERRY_MSG_DATA, 0, 8 + 1048576, 9);
  assert_no_frame_yet (decoder);
}

static void
test_zero_length (void)
{
  g_autoptr(FerryFrameDecoder) decoder = ferry_frame_decoder_new ();

  for (guint type = FERRY_MSG_FIRST; type <= FERRY_MSG_LAST; type++)
    {
      g_autoptr(GBytes) f = make_frame (type, 0, 0, 0);

      g_assert_cmpuint (g_bytes_get_size (f), ==, FERRY_FRAME_HEADER_SIZE);
      feed_bytes (decoder, f);
    }

  for (guint type = FERRY_MSG_FIRST; type <= FERRY_MSG_LAST; type++)
    assert_frame (decoder, type, 0, 0, 0);
  assert_no_frame_yet (decoder);

  /* And a NULL payload encodes the same as an empty one. */
  {
    g_autoptr(GBytes) a = ferry_frame_encode (FERRY_MSG_SUBSCRIBE, 0, NULL);
    g_autoptr(GBytes) b = make_frame (FERRY_MSG_SUBSCRIBE, 0, 0, 0);

    g_assert_true (g_bytes_equal (a, b));
  }
}

static void
test_stays_broken (void)
{
  g_autoptr(FerryFrameDecoder) decoder = ferry_frame_decoder_new ();
  g_autoptr(GBytes) good = make_frame (FERRY_MSG_PING, 0, 8, 0);

  /* A good frame, a bad one, then good ones: the first comes out, then only errors. */
  feed_bytes (decoder, good);
  feed_header (decoder, 'F', 7, FERRY_MSG_PING, 8);
  feed_bytes (decoder, good);
  assert_frame (decoder, FERRY_MSG_PING, 0, 8, 0);
  assert_decoder_error (decoder, FERRY_ERROR_VERSION);

  for (int i = 0; i < 3; i++)
    {
      feed_bytes (decoder, good);
      assert_decoder_error (decoder, FERRY_ERROR_VERSION);
    }
}

static void
test_random_bytes (void)
{
  guint n_frames = 0;
  guint n_errors = 0;

  for (int round = 0; round < 2000; round++)
    {
      g_autoptr(FerryFrameDecoder) decoder = ferry_frame_decoder_new ();
      gsize len = (gsize) g_test_rand_int_range (0, 512);
      g_autofree guint8 *buf = g_malloc (len + 1);
      gsize fed = 0;

      for (gsize i = 0; i < len; i++)
        buf[i] = (guint8) g_test_rand_int_range (0, 256);

      /* Most rounds start with a plausible header, so that the fuzz gets past the magic. */
      if (len >= FERRY_FRAME_HEADER_SIZE && round % 4 != 0)
        {
          memcpy (buf, FERRY_FRAME_MAGIC, 4);
          buf[4] = round % 8 == 1 ? buf[4] : FERRY_FRAME_VERSION;
          buf[5] = (guint8) g_test_rand_int_range (0, 17);
          buf[8] = buf[9] = 0;
          if (round % 3 == 0)
            buf[10] = 0;
        }

      while (fed < len)
        {
          gsize want = (gsize) g_test_rand_int_range (1, 64);
          gsize n = MIN (want, len - fed);
          g_autoptr(GError) error = NULL;
          g_auto(FerryFrame) frame = { 0 };

          ferry_frame_decoder_feed (decoder, buf + fed, n);
          fed += n;

          while (ferry_frame_decoder_next (decoder, &frame, &error))
            {
              g_assert_nonnull (frame.payload);
              g_assert_cmpuint (g_bytes_get_size (frame.payload), <=,
                                ferry_frame_max_payload (frame.type));
              ferry_frame_clear (&frame);
              n_frames++;
            }
          if (error)
            {
              g_assert_true (error->domain == FERRY_ERROR);
              g_assert_true (error->code == FERRY_ERROR_MALFORMED ||
                             error->code == FERRY_ERROR_VERSION);
              n_errors++;
              break;
            }
          g_assert_cmpuint (ferry_frame_decoder_pending (decoder), <=, len);
        }
    }

  /* The fuzz reached both outcomes, so it exercised more than the magic check. */
  g_test_message ("%u frames, %u errors", n_frames, n_errors);
  g_assert_cmpuint (n_frames, >, 0);
  g_assert_cmpuint (n_errors, >, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/frame/header-round-trip", test_header_round_trip);
  g_test_add_func ("/frame/limits", test_limits);
  g_test_add_func ("/frame/truncated-header", test_truncated_header);
  g_test_add_func ("/frame/truncated-bad-header", test_truncated_bad_header);
  g_test_add_func ("/frame/split-everywhere", test_split_everywhere);
  g_test_add_func ("/frame/several-in-one-feed", test_several_in_one_feed);
  g_test_add_func ("/frame/many-large-frames", test_many_large_frames);
  g_test_add_func ("/frame/bad-magic", test_bad_magic);
  g_test_add_func ("/frame/bad-magic-http", test_bad_magic_http);
  g_test_add_func ("/frame/bad-version", test_bad_version);
  g_test_add_func ("/frame/unknown-type", test_unknown_type);
  g_test_add_func ("/frame/oversized", test_oversized);
  g_test_add_func ("/frame/largest-frames", test_largest_frames);
  g_test_add_func ("/frame/zero-length", test_zero_length);
  g_test_add_func ("/frame/stays-broken", test_stays_broken);
  g_test_add_func ("/frame/random-bytes", test_random_bytes);

  return g_test_run ();
}
