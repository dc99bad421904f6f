/* test-chunk-pipe.c: FerryChunkReader and FerryChunkWriter: order, bounds, errors, cancel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-test-chunk-pipe"

#include "config.h"

#include <string.h>

#include "ferry-chunk-reader.h"
#include "ferry-chunk-writer.h"
#include "ferry-message.h"

#define CHUNK 65536

static GBytes *
pattern (gsize len)
{
  guint8 *data = g_malloc (len);

  for (gsize i = 0; i < len; i++)
    data[i] = (guint8) (i * 7 + i / 251);
  return g_bytes_new_take (data, len);
}

static void
sha256_of (GBytes *bytes,
           guint8 *digest)
{
  g_autoptr(FerryChecksum) checksum = ferry_checksum_new ();
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  ferry_checksum_update (checksum, data, len);
  ferry_checksum_finish (checksum, digest);
}

static void
result_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* Iterates the default context until @result is set; every step below completes. */
static GAsyncResult *
wait_result (GAsyncResult **result)
{
  while (!*result)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

static GBytes *
reader_next (FerryChunkReader  *reader,
             GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  ferry_chunk_reader_next_async (reader, NULL, result_cb, &result);
  return ferry_chunk_reader_next_finish (reader, wait_result (&result), error);
}

static void
test_reader_order (void)
{
  g_autoptr(GBytes) source = pattern (17 * CHUNK + 123);
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (source);
  g_autoptr(FerryChunkReader) reader = NULL;
  g_autoptr(GByteArray) got = g_byte_array_new ();
  guint8 expected[FERRY_SHA256_SIZE], digest[FERRY_SHA256_SIZE];
  guint n_chunks = 0;

  reader = ferry_chunk_reader_new (stream, g_bytes_get_size (source), CHUNK, 3, TRUE);
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) chunk = reader_next (reader, &error);

      g_assert_no_error (error);
      if (!chunk)
        break;
      g_assert_cmpuint (g_bytes_get_size (chunk), <=, CHUNK);
      g_byte_array_append (got, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
      n_chunks++;
      g_assert_cmpuint (n_chunks, <=, 18);
    }
  g_assert_cmpuint (n_chunks, ==, 18);
  g_assert_cmpmem (got->data, got->len, g_bytes_get_data (source, NULL),
                   g_bytes_get_size (source));
  sha256_of (source, expected);
  ferry_chunk_reader_get_digest (reader, digest);
  g_assert_cmpmem (digest, sizeof digest, expected, sizeof expected);
}

static void
test_reader_bounded (void)
{
  g_autoptr(GBytes) source = pattern (40 * CHUNK);
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (source);
  g_autoptr(FerryChunkReader) reader = NULL;
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GError) error = NULL;

  reader = ferry_chunk_reader_new (stream, g_bytes_get_size (source), CHUNK, 4, FALSE);
  first = reader_next (reader, &error);
  g_assert_no_error (error);
  g_assert_nonnull (first);

  /* Nobody takes more: the reader fills its 4 slots and stops there. */
  while (g_seekable_tell (G_SEEKABLE (stream)) < 5 * CHUNK)
    g_main_context_iteration (NULL, TRUE);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpint (g_seekable_tell (G_SEEKABLE (stream)), ==, 5 * CHUNK);
}

static void
test_reader_short_stream (void)
{
  g_autoptr(GBytes) source = pattern (2 * CHUNK + 10);
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (source);
  g_autoptr(FerryChunkReader) reader = NULL;
  g_autoptr(GError) error = NULL;
  guint n_chunks = 0;

  /* It says 5 chunks; there are 2 and a bit: the whole chunks come first, then the error. */
  reader = ferry_chunk_reader_new (stream, 5 * CHUNK, CHUNK, 2, TRUE);
  for (guint i = 0; i < 10; i++)
    {
      g_autoptr(GBytes) chunk = reader_next (reader, &error);

      if (!chunk)
        break;
      g_assert_cmpuint (g_bytes_get_size (chunk), ==, CHUNK);
      n_chunks++;
    }
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT);
  g_assert_cmpuint (n_chunks, ==, 2);
}

static void
test_reader_cancel (void)
{
  g_autoptr(GBytes) source = pattern (20 * CHUNK);
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (source);
  g_autoptr(FerryChunkReader) reader = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) chunk = NULL;
  g_autoptr(GError) error = NULL;

  reader = ferry_chunk_reader_new (stream, g_bytes_get_size (source), CHUNK, 4, TRUE);
  chunk = reader_next (reader, &error);
  g_assert_no_error (error);
  g_clear_pointer (&chunk, g_bytes_unref);

  /* A pending next, then a cancel with chunks queued and a read in flight. */
  ferry_chunk_reader_next_async (reader, NULL, result_cb, &result);
  ferry_chunk_reader_cancel (reader);
  chunk = ferry_chunk_reader_next_finish (reader, wait_result (&result), &error);
  if (chunk)
    {
      /* The next was served before the cancel; the one after is not. */
      g_clear_pointer (&chunk, g_bytes_unref);
      chunk = reader_next (reader, &error);
    }
  g_assert_null (chunk);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
writer_push (FerryChunkWriter  *writer,
             GBytes            *chunk,
             GError           **error,
             gboolean          *ok)
{
  g_autoptr(GAsyncResult) result = NULL;

  ferry_chunk_writer_push_async (writer, chunk, NULL, result_cb, &result);
  *ok = ferry_chunk_writer_push_finish (writer, wait_result (&result), error);
}

static gboolean
writer_flush (FerryChunkWriter  *writer,
              GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  ferry_chunk_writer_flush_async (writer, NULL, result_cb, &result);
  return ferry_chunk_writer_flush_finish (writer, wait_result (&result), error);
}

static void
test_writer_order (void)
{
  g_autoptr(GBytes) source = pattern (23 * CHUNK + 77);
  g_autoptr(GOutputStream) stream = g_memory_output_stream_new_resizable ();
  g_autoptr(FerryChunkWriter) writer = NULL;
  g_autoptr(GBytes) written = NULL;
  g_autoptr(GError) error = NULL;
  guint8 expected[FERRY_SHA256_SIZE], digest[FERRY_SHA256_SIZE];
  FerryChunkBudget budget = { 8 * CHUNK, 0 };
  gsize len = g_bytes_get_size (source);
  gboolean ok;

  writer = ferry_chunk_writer_new (stream, 3 * CHUNK, &budget, TRUE);
  for (gsize pos = 0; pos < len; pos += CHUNK)
    {
      g_autoptr(GBytes) chunk = g_bytes_new_from_bytes (source, pos, MIN (CHUNK, len - pos));

      writer_push (writer, chunk, &error, &ok);
      g_assert_no_error (error);
      g_assert_true (ok);
      /* The bound: what is queued, and what the shared budget counts. */
      g_assert_cmpuint (ferry_chunk_writer_get_queued (writer), <=, 3 * CHUNK);
      g_assert_cmpuint (budget.used, ==, ferry_chunk_writer_get_queued (writer));
    }
  g_assert_true (writer_flush (writer, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ferry_chunk_writer_get_queued (writer), ==, 0);
  g_assert_cmpuint (budget.used, ==, 0);
  g_assert_cmpuint (ferry_chunk_writer_get_written (writer), ==, len);

  g_output_stream_close (stream, NULL, NULL);
  written = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (stream));
  g_assert_true (g_bytes_equal (written, source));
  sha256_of (source, expected);
  ferry_chunk_writer_get_digest (writer, digest);
  g_assert_cmpmem (digest, sizeof digest, expected, sizeof expected);
}

static void
test_writer_budget (void)
{
  g_autoptr(GBytes) chunk = pattern (CHUNK);
  g_autoptr(GOutputStream) a_stream = g_memory_output_stream_new_resizable ();
  g_autoptr(GOutputStream) b_stream = g_memory_output_stream_new_resizable ();
  g_autoptr(FerryChunkWriter) a = NULL;
  g_autoptr(FerryChunkWriter) b = NULL;
  g_autoptr(GError) error = NULL;
  FerryChunkBudget budget = { 2 * CHUNK, 0 };
  gboolean ok;

  a = ferry_chunk_writer_new (a_stream, 8 * CHUNK, &budget, FALSE);
  b = ferry_chunk_writer_new (b_stream, 8 * CHUNK, &budget, FALSE);
  for (guint i = 0; i < 20; i++)
    {
      writer_push (i % 2 ? a : b, chunk, &error, &ok);
      g_assert_no_error (error);
      /* Each may hold its one chunk; past that, the shared limit holds. */
      g_assert_cmpuint (budget.used, <=, budget.limit + 2 * CHUNK);
    }
  g_assert_true (writer_flush (a, &error));
  g_assert_true (writer_flush (b, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (budget.used, ==, 0);
  g_assert_cmpuint (ferry_chunk_writer_get_written (a) + ferry_chunk_writer_get_written (b),
                    ==, 20 * CHUNK);
}

static void
test_writer_error (void)
{
  g_autoptr(GBytes) chunk = pattern (CHUNK);
  /* Room for two chunks and a half: the third write fails. */
  g_autoptr(GOutputStream) stream =
    g_memory_output_stream_new (g_malloc (5 * CHUNK / 2), 5 * CHUNK / 2, NULL, g_free);
  g_autoptr(FerryChunkWriter) writer = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok = TRUE;
  guint i;

  writer = ferry_chunk_writer_new (stream, 2 * CHUNK, NULL, TRUE);
  for (i = 0; i < 10 && ok; i++)
    writer_push (writer, chunk, &error, &ok);
  /* A push sees the failure once it is known; a flush always does. */
  if (ok)
    g_assert_false (writer_flush (writer, &error));
  else
    {
      g_clear_error (&error);
      g_assert_false (writer_flush (writer, &error));
    }
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_assert_cmpuint (ferry_chunk_writer_get_written (writer), ==, 2 * CHUNK);
  g_assert_cmpuint (ferry_chunk_writer_get_queued (writer), ==, 0);
}

static void
test_writer_cancel (void)
{
  g_autoptr(GBytes) chunk = pattern (CHUNK);
  g_autoptr(GOutputStream) stream = g_memory_output_stream_new_resizable ();
  g_autoptr(FerryChunkWriter) writer = NULL;
  g_autoptr(GError) error = NULL;
  FerryChunkBudget budget = { 16 * CHUNK, 0 };
  gboolean ok;

  writer = ferry_chunk_writer_new (stream, 4 * CHUNK, &budget, TRUE);
  for (guint i = 0; i < 3; i++)
    {
      writer_push (writer, chunk, &error, &ok);
      g_assert_no_error (error);
    }
  ferry_chunk_writer_cancel (writer);
  g_assert_false (writer_flush (writer, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  writer_push (writer, chunk, &error, &ok);
  g_assert_false (ok);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* What was queued is dropped and uncounted once the write in flight is back. */
  while (budget.used > 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (ferry_chunk_writer_get_written (writer), <=, 3 * CHUNK);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/chunk-reader/order", test_reader_order);
  g_test_add_func ("/chunk-reader/bounded", test_reader_bounded);
  g_test_add_func ("/chunk-reader/short-stream", test_reader_short_stream);
  g_test_add_func ("/chunk-reader/cancel", test_reader_cancel);
  g_test_add_func ("/chunk-writer/order", test_writer_order);
  g_test_add_func ("/chunk-writer/budget", test_writer_budget);
  g_test_add_func ("/chunk-writer/error", test_writer_error);
  g_test_add_func ("/chunk-writer/cancel", test_writer_cancel);

  return g_test_run ();
}
