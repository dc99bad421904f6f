/* test-web-upload.c: uploads through the web front against a real server: create, ranges and
 * finish; resuming a cut PUT; the checks (offset, owner, one request per token, checksum,
 * size, quota); curl -T; the bytes read back with ferry-cli (docs/HTTP.md §5)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ferry-checksum.h"
#include "ferry-test-web.h"

#define OWNER_A "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define OWNER_B "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
#define WRONG_SHA256 "0000000000000000000000000000000000000000000000000000000000000000"

typedef struct
{
  char            *tmp;
  char            *config;
  FerryTestServer *server;
  SoupSession     *session;
} Fixture;

static void
start (Fixture    *f,
       const char *a,
       const char *b)
{
  f->server = ferry_test_server_start (NULL, 0, a, b, NULL);
  f->session = ferry_test_web_session (f->server);
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  f->tmp = ferry_test_tmpdir ();
  f->config = g_build_filename (f->tmp, "config", NULL);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  g_clear_object (&f->session);
  g_clear_pointer (&f->server, ferry_test_server_free);
  ferry_test_rm_rf (f->tmp);
  g_free (f->tmp);
  g_free (f->config);
}

static GBytes *
json_bytes (const char *format,
            ...) G_GNUC_PRINTF (1, 2);

static GBytes *
json_bytes (const char *format,
            ...)
{
  va_list args;
  char *text;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  return g_bytes_new_take (text, strlen (text));
}

/* POST /api/uploads: the token, or NULL with the status in @status. */
static char *
create (Fixture    *f,
        const char *owner,
        const char *name,
        guint64     size,
        guint      *status,
        char      **code)
{
  g_autoptr(GBytes) body = json_bytes ("{\"name\": \"%s\", \"size\": %" G_GUINT64_FORMAT "}",
                                       name, size);
  g_autoptr(GBytes) response = NULL;
  g_autoptr(JsonObject) object = NULL;

  *status = ferry_test_web_request (f->session, f->server, "POST", "/api/uploads",
                                    "application/json", body, &response, NULL,
                                    "X-Ferry-Owner", owner, "X-Ferry-Name", "Web%20Alice",
                                    NULL);
  object = ferry_test_web_json (response);
  if (code)
    *code = g_strdup (json_object_get_string_member_with_default (object, "code", ""));
  if (*status != SOUP_STATUS_CREATED)
    return NULL;
  g_assert_cmpint (json_object_get_int_member (object, "offset"), ==, 0);
  return g_strdup (json_object_get_string_member (object, "token"));
}

/* PUT /api/uploads/TOKEN with bytes [@start, @end) of @data; the answer's offset in @offset. */
static guint
put_range (Fixture      *f,
           const char   *owner,
           const char   *token,
           const guint8 *data,
           guint64       start,
           guint64       end,
           guint64       size,
           gint64       *offset)
{
  g_autofree char *path = g_strdup_printf ("/api/uploads/%s", token);
  g_autofree char *range = g_strdup_printf ("bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
                                            "/%" G_GUINT64_FORMAT, start, end - 1, size);
  g_autoptr(GBytes) body = g_bytes_new_static (data + start, end - start);
  g_autoptr(GBytes) response = NULL;
  g_autoptr(JsonObject) object = NULL;
  guint status;

  status = ferry_test_web_request (f->session, f->server, "PUT", path,
                                   "application/octet-stream", body, &response, NULL,
                                   "X-Ferry-Owner", owner, "Content-Range", range, NULL);
  object = ferry_test_web_json (response);
  *offset = json_object_get_int_member_with_default (object, "offset", -1);
  return status;
}

/* GET /api/uploads/TOKEN: the offset, or -1 with the status in @status. */
static gint64
get_offset (Fixture    *f,
            const char *owner,
            const char *token,
            guint      *status)
{
  g_autofree char *path = g_strdup_printf ("/api/uploads/%s", token);
  g_autoptr(GBytes) response = NULL;
  g_autoptr(JsonObject) object = NULL;

  *status = ferry_test_web_request (f->session, f->server, "GET", path, NULL, NULL, &response,
                                    NULL, "X-Ferry-Owner", owner, NULL);
  object = ferry_test_web_json (response);
  return json_object_get_int_member_with_default (object, "offset", -1);
}

/* POST /api/uploads/TOKEN/finish: the answer's object; its status in @status. */
static JsonObject *
finish (Fixture    *f,
        const char *owner,
        const char *token,
        const char *sha256,
        guint      *status)
{
  g_autofree char *path = g_strdup_printf ("/api/uploads/%s/finish", token);
  g_autoptr(GBytes) body = json_bytes ("{\"sha256\": \"%s\"}", sha256);
  g_autoptr(GBytes) response = NULL;

  *status = ferry_test_web_request (f->session, f->server, "POST", path, "application/json",
                                    body, &response, NULL, "X-Ferry-Owner", owner, NULL);
  return ferry_test_web_json (response);
}

static char *
sha256_hex (const guint8 *data,
            gsize         len)
{
  g_autoptr(FerryChecksum) checksum = ferry_checksum_new ();
  guint8 digest[FERRY_SHA256_SIZE];

  ferry_checksum_update (checksum, data, len);
  ferry_checksum_finish (checksum, digest);
  return ferry_sha256_to_hex (digest);
}

static guint8 *
make_data (gsize size)
{
  guint8 *data = g_malloc (size);
  guint32 x = 2463534242u;

  for (gsize i = 0; i < size; i++)
    {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      data[i] = (guint8) x;
    }
  return data;
}

/* Downloads offer @id with ferry-cli and asserts its bytes are @data. */
static void
assert_download (Fixture      *f,
                 const char   *id,
                 const guint8 *data,
                 gsize         size)
{
  g_autofree char *dir = g_build_filename (f->tmp, "down", NULL);
  g_autofree char *out = NULL;
  g_autofree char *contents = NULL;
  gsize length;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_cmpint (ferry_test_cli (f->server, f->config, &out, NULL, "download", id, "-o", dir,
                                   NULL), ==, 0);
  g_assert_true (g_file_get_contents (g_strchomp (out), &contents, &length, NULL));
  g_assert_cmpuint (length, ==, size);
  g_assert_true (memcmp (contents, data, size) == 0);
}

/* Create, three ranges, finish: the offer is the same owner's, and its bytes are exact. */
static void
test_ranges (Fixture       *f,
             gconstpointer  unused)
{
  gsize size = 3 * 1024 * 1024 + 123;
  g_autofree guint8 *data = make_data (size);
  g_autofree char *sha256 = sha256_hex (data, size);
  g_autofree char *token = NULL;
  g_autoptr(JsonObject) offer = NULL;
  gint64 offset;
  guint status;

  start (f, NULL, NULL);
  token = create (f, OWNER_A, "ranges.bin", size, &status, NULL);
  g_assert_cmpuint (status, ==, SOUP_STATUS_CREATED);
  g_assert_cmpuint (put_range (f, OWNER_A, token, data, 0, 1000000, size, &offset), ==, 200);
  g_assert_cmpint (offset, ==, 1000000);
  g_assert_cmpint (get_offset (f, OWNER_A, token, &status), ==, 1000000);
  g_assert_cmpuint (status, ==, SOUP_STATUS_OK);
  g_assert_cmpuint (put_range (f, OWNER_A, token, data, 1000000, 3000000, size, &offset), ==,
                    200);
  g_assert_cmpuint (put_range (f, OWNER_A, token, data, 3000000, size, size, &offset), ==,
                    200);
  g_assert_cmpint (offset, ==, (gint64) size);

  offer = finish (f, OWNER_A, token, sha256, &status);
  g_assert_cmpuint (status, ==, SOUP_STATUS_CREATED);
  g_assert_cmpstr (json_object_get_string_member (offer, "name"), ==, "ranges.bin");
  g_assert_cmpstr (json_object_get_string_member (offer, "sha256"), ==, sha256);
  g_assert_cmpstr (json_object_get_string_member (offer, "uploader"), ==, "Web Alice");
  g_assert_true (json_object_get_boolean_member (offer, "mine"));
  assert_download (f, json_object_get_string_member (offer, "id"), data, size);

  /* The token is spent. */
  get_offset (f, OWNER_A, token, &status);
  g_assert_cmpuint (status, ==, SOUP_STATUS_NOT_FOUND);
}

/* A range that does not start at the server's offset is 409 with the offset; another owner
 * can neither see nor continue the upload; DELETE abandons it. */
static void
test_checks (Fixture       *f,
             gconstpointer  unused)
{
  gsize size = 100000;
  g_autofree guint8 *data = make_data (size);
  g_autofree char *token = NULL;
  g_autofree char *path = NULL;
  gint64 offset;
  guint status;

  start (f, NULL, NULL);
  token = create (f, OWNER_A, "checks.bin", size, &status, NULL);
  g_assert_cmpuint (put_range (f, OWNER_A, token, data, 0, 40000, size, &offset), ==, 200);
  g_assert_cmpuint (put_range (f, OWNER_A, token, data, 50000, size, size, &offset), ==,
                    SOUP_STATUS_CONFLICT);
  g_assert_cmpint (offset, ==, 40000);
  g_assert_cmpuint (put_range (f, OWNER_A, token, data, 0, 40000, size, &offset), ==,
                    SOUP_STATUS_CONFLICT);
  g_assert_cmpint (offset, ==, 40000);

  g_assert_cmpuint (put_range (f, OWNER_B, token, data, 40000, size, size, &offset), ==,
                    SOUP_STATUS_FORBIDDEN);
  get_offset (f, OWNER_B, token, &status);
  g_assert_cmpuint (status, ==, SOUP_STATUS_FORBIDDEN);
  g_assert_cmpint (get_offset (f, OWNER_A, token, &status), ==, 40000);

  path = g_strdup_printf ("/api/uploads/%s", token);
  g_assert_cmpuint (ferry_test_web_request (f->session, f->server, "DELETE", path, NULL, NULL,
                                            NULL, NULL, "X-Ferry-Owner", OWNER_B, NULL), ==,
                    SOUP_STATUS_FORBIDDEN);
  g_assert_cmpuint (ferry_test_web_request (f->session, f->server, "DELETE", path, NULL, NULL,
                                            NULL, NULL, "X-Ferry-Owner", OWNER_A, NULL), ==,
                    SOUP_STATUS_NO_CONTENT);
  get_offset (f, OWNER_A, token, &status);
  g_assert_cmpuint (status, ==, SOUP_STATUS_NOT_FOUND);
}

/* A wrong SHA-256 at finish is 422 CHECKSUM, and the partial upload is gone. */
static void
test_checksum (Fixture       *f,
               gconstpointer  unused)
{
  gsize size = 70000;
  g_autofree guint8 *data = make_data (size);
  g_autofree char *token = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autofree char *partial = NULL;
  gint64 offset;
  guint status;

  start (f, NULL, NULL);
  token = create (f, OWNER_A, "damaged.bin", size, &status, NULL);
  g_assert_cmpuint (put_range (f, OWNER_A, token, data, 0, size, size, &offset), ==, 200);
  answer = finish (f, OWNER_A, token, WRONG_SHA256, &status);
  g_assert_cmpuint (status, ==, SOUP_STATUS_UNPROCESSABLE_ENTITY);
  g_assert_cmpstr (json_object_get_string_member (answer, "code"), ==, "CHECKSUM");
  get_offset (f, OWNER_A, token, &status);
  g_assert_cmpuint (status, ==, SOUP_STATUS_NOT_FOUND);
  partial = g_build_filename (f->server->data_dir, "partial", token, NULL);
  g_assert_false (g_file_test (partial, G_FILE_TEST_EXISTS));
}

/* Over the max file size: 413 before any byte, for a create and for PUT /api/upload/NAME;
 * over the quota: NO_SPACE. */
static void
test_limits (Fixture       *f,
             gconstpointer  unused)
{
  g_autofree char *code = NULL;
  g_autofree char *token = NULL;
  g_autoptr(GBytes) body = g_bytes_new_take (make_data (300000), 300000);
  g_autoptr(GBytes) response = NULL;
  g_autoptr(JsonObject) object = NULL;
  guint status;

  start (f, "--max-file-size", "200K");
  token = create (f, OWNER_A, "big.bin", 300000, &status, &code);
  g_assert_null (token);
  g_assert_cmpuint (status, ==, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE);
  g_assert_cmpstr (code, ==, "TOO_LARGE");

  status = ferry_test_web_request (f->session, f->server, "PUT", "/api/upload/big.bin",
                                   "application/octet-stream", body, &response, NULL, NULL);
  g_assert_cmpuint (status, ==, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE);
  object = ferry_test_web_json (response);
  g_assert_cmpstr (json_object_get_string_member (object, "code"), ==, "TOO_LARGE");
  g_clear_object (&f->session);
  g_clear_pointer (&f->server, ferry_test_server_free);

  g_clear_pointer (&code, g_free);
  start (f, "--quota", "100K");
  token = create (f, OWNER_A, "over-quota.bin", 150000, &status, &code);
  g_assert_null (token);
  g_assert_cmpstr (code, ==, "NO_SPACE");
}

/* Two uploads that each fit the quota but not together: both are created (nothing is reserved
 * before the bytes come), the first PUT takes the room, the second is refused NO_SPACE as its
 * bytes arrive, and its partial upload is gone. */
static void
test_quota_as_bytes_arrive (Fixture       *f,
                            gconstpointer  unused)
{
  gsize size = 700000;
  g_autofree guint8 *data = make_data (size);
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *path = NULL;
  g_autofree char *range = NULL;
  g_autoptr(GBytes) body = g_bytes_new_static (data, size);
  g_autoptr(GBytes) response = NULL;
  g_autoptr(JsonObject) object = NULL;
  gint64 offset;
  guint status;

  start (f, "--quota", "1M");
  first = create (f, OWNER_A, "first.bin", size, &status, NULL);
  second = create (f, OWNER_A, "second.bin", size, &status, NULL);
  g_assert_nonnull (first);
  g_assert_nonnull (second);
  g_assert_cmpuint (put_range (f, OWNER_A, first, data, 0, size, size, &offset), ==, 200);

  path = g_strdup_printf ("/api/uploads/%s", second);
  range = g_strdup_printf ("bytes 0-%" G_GSIZE_FORMAT "/%" G_GSIZE_FORMAT, size - 1, size);
  status = ferry_test_web_request (f->session, f->server, "PUT", path,
                                   "application/octet-stream", body, &response, NULL,
                                   "X-Ferry-Owner", OWNER_A, "Content-Range", range, NULL);
  object = ferry_test_web_json (response);
  g_assert_cmpstr (json_object_get_string_member (object, "code"), ==, "NO_SPACE");
  g_assert_cmpuint (status, >=, 400);
  get_offset (f, OWNER_A, second, &status);
  g_assert_cmpuint (status, ==, SOUP_STATUS_NOT_FOUND);
}

/* Reads the answer's status line from a raw connection. */
static guint
raw_read_status (GIOStream *conn)
{
  g_autoptr(GDataInputStream) input = NULL;
  g_autofree char *line = NULL;
  guint status = 0;

  input = g_data_input_stream_new (g_io_stream_get_input_stream (conn));
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (input), FALSE);
  line = g_data_input_stream_read_line (input, NULL, NULL, NULL);
  g_assert_nonnull (line);
  g_assert_true (sscanf (line, "HTTP/1.1 %u", &status) == 1);
  return status;
}

/* Sends a PUT's headers for all of @size, and the first @sent bytes of its body. */
static GIOStream *
raw_put_start (Fixture      *f,
               const char   *token,
               const guint8 *data,
               gsize         size,
               gsize         sent)
{
  GIOStream *conn = ferry_test_raw_connect (f->server);
  g_autofree char *head = NULL;

  head = g_strdup_printf ("PUT /api/uploads/%s HTTP/1.1\r\nHost: %s\r\n"
                          "X-Ferry-Owner: " OWNER_A "\r\n"
                          "Content-Range: bytes 0-%" G_GSIZE_FORMAT "/%" G_GSIZE_FORMAT "\r\n"
                          "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n",
                          token, f->server->address, size - 1, size, size);
  ferry_test_raw_send_data (conn, head, strlen (head));
  ferry_test_raw_send_data (conn, data, sent);
  return conn;
}

/* A PUT cut mid-body keeps what arrived: GET tells the offset, a PUT from there completes the
 * file. While a PUT runs, another request for the token is 409. */
static void
test_cut_and_resume (Fixture       *f,
                     gconstpointer  unused)
{
  gsize size = 2 * 1024 * 1024 + 77;
  gsize sent = 1024 * 1024 + 5;
  g_autofree guint8 *data = make_data (size);
  g_autofree char *sha256 = sha256_hex (data, size);
  g_autofree char *token = NULL;
  g_autoptr(JsonObject) offer = NULL;
  g_autoptr(GIOStream) conn = NULL;
  gint64 offset = -1;
  guint status;

  start (f, NULL, NULL);
  token = create (f, OWNER_A, "cut.bin", size, &status, NULL);
  conn = raw_put_start (f, token, data, size, sent);

  /* Once the first PUT's bytes arrive, the upload is its own: a GET may look, another PUT
   * is refused. */
  for (guint i = 0; i < 600 && offset <= 0; i++)
    {
      offset = get_offset (f, OWNER_A, token, &status);
      g_assert_cmpuint (status, ==, SOUP_STATUS_OK);
      if (offset <= 0)
        g_usleep (10 * 1000);
    }
  g_assert_cmpint (offset, >, 0);
  g_assert_cmpuint (put_range (f, OWNER_A, token, data, (guint64) offset, size, size, &offset),
                    ==, SOUP_STATUS_CONFLICT);

  g_io_stream_close (conn, NULL, NULL);
  /* The server learns of the cut, writes what arrived, and lets the upload go. */
  for (guint i = 0; i < 600; i++)
    {
      offset = get_offset (f, OWNER_A, token, &status);
      if (status == SOUP_STATUS_OK && offset == (gint64) sent)
        break;
      g_usleep (10 * 1000);
    }
  g_assert_cmpuint (status, ==, SOUP_STATUS_OK);
  g_assert_cmpint (offset, ==, (gint64) sent);

  g_assert_cmpuint (put_range (f, OWNER_A, token, data, sent, size, size, &offset), ==, 200);
  offer = finish (f, OWNER_A, token, sha256, &status);
  g_assert_cmpuint (status, ==, SOUP_STATUS_CREATED);
  assert_download (f, json_object_get_string_member (offer, "id"), data, size);
}

/* A finished PUT on a raw connection gets its answer: the 200 of a whole range. */
static void
test_raw_put (Fixture       *f,
              gconstpointer  unused)
{
  gsize size = 600000;
  g_autofree guint8 *data = make_data (size);
  g_autofree char *token = NULL;
  g_autoptr(GIOStream) conn = NULL;
  guint status;

  start (f, NULL, NULL);
  token = create (f, OWNER_A, "raw.bin", size, &status, NULL);
  conn = raw_put_start (f, token, data, size, size);
  g_assert_cmpuint (raw_read_status (conn), ==, SOUP_STATUS_OK);
  g_io_stream_close (conn, NULL, NULL);
}

/* Runs curl with @argv after its URL-less options, then @url; returns its output. */
static char *
curl (const char * const *args,
      const char         *url)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  int wait_status;

  g_ptr_array_add (argv, (char *) "curl");
  g_ptr_array_add (argv, (char *) "-sS");
  g_ptr_array_add (argv, (char *) "-k");
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, (char *) url);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL,
                               NULL, &out, NULL, &wait_status, &error));
  g_assert_no_error (error);
  g_assert_cmpint (wait_status, ==, 0);
  return out;
}

/* A chunked PUT /api/upload/NAME (curl -T - reading a pipe): its size is known at its end. */
static void
test_chunked (Fixture       *f,
              gconstpointer  unused)
{
  gsize size = 700000;
  g_autofree guint8 *data = make_data (size);
  g_autofree char *path = g_build_filename (f->tmp, "piped.bin", NULL);
  g_autofree char *url = NULL;
  g_autofree char *out = NULL;
  g_autofree char *at_path = g_strdup_printf ("@%s", path);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonObject) offer = NULL;
  const char *args[] = { "-X", "PUT", "-H", "Transfer-Encoding: chunked", "--data-binary",
                         at_path, "-w", "\n%{http_code}", NULL };

  start (f, "--max-file-size", "600K");
  g_assert_true (g_file_set_contents (path, (const char *) data, 500000, NULL));
  url = ferry_test_web_url (f->server, "/api/upload/piped.bin");
  out = curl (args, url);
  g_assert_true (g_str_has_suffix (out, "\n201"));
  *strrchr (out, '\n') = '\0';
  bytes = g_bytes_new (out, strlen (out));
  offer = ferry_test_web_json (bytes);
  g_assert_cmpint (json_object_get_int_member (offer, "size"), ==, 500000);
  assert_download (f, json_object_get_string_member (offer, "id"), data, 500000);

  /* Over the max file size as it arrives: 413. */
  g_clear_pointer (&out, g_free);
  g_assert_true (g_file_set_contents (path, (const char *) data, (gssize) size, NULL));
  out = curl (args, url);
  g_assert_true (g_str_has_suffix (out, "\n413"));
  g_assert_nonnull (strstr (out, "\"TOO_LARGE\""));
}

/* curl -T: the owner secret comes back, the file is listed for ferry-cli and byte-exact; a
 * wrong X-Ferry-SHA256 is 422. */
static void
test_curl (Fixture       *f,
           gconstpointer  unused)
{
  gsize size = 1500000;
  g_autofree guint8 *data = make_data (size);
  g_autofree char *path = g_build_filename (f->tmp, "curl file.bin", NULL);
  g_autofree char *url = NULL;
  g_autofree char *out = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonObject) offer = NULL;
  g_autoptr(GError) error = NULL;
  int wait_status;

  start (f, NULL, NULL);
  g_assert_true (g_file_set_contents (path, (const char *) data, (gssize) size, NULL));
  url = ferry_test_web_url (f->server, "/api/upload/curl%20file.bin");
  {
    const char *argv[] = { "curl", "-sS", "-k", "-T", path, url, NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                                 &out, NULL, &wait_status, &error));
    g_assert_no_error (error);
    g_assert_cmpint (wait_status, ==, 0);
  }
  bytes = g_bytes_new (out, strlen (out));
  offer = ferry_test_web_json (bytes);
  g_assert_cmpstr (json_object_get_string_member (offer, "name"), ==, "curl file.bin");
  g_assert_cmpstr (json_object_get_string_member (offer, "uploader"), ==, "curl");
  g_assert_cmpuint (strlen (json_object_get_string_member (offer, "owner")), ==, 64);
  assert_download (f, json_object_get_string_member (offer, "id"), data, size);

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&bytes, g_bytes_unref);
  g_clear_pointer (&offer, json_object_unref);
  {
    const char *argv[] = { "curl", "-sS", "-k", "-T", path, "-H",
                           "X-Ferry-SHA256: " WRONG_SHA256, "-w", "\n%{http_code}", url, NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                                 &out, NULL, &wait_status, &error));
    g_assert_no_error (error);
    g_assert_true (g_str_has_suffix (out, "\n422"));
    g_assert_nonnull (strstr (out, "\"CHECKSUM\""));
  }
}

/* An upload the server no longer holds in memory (here: it restarted) is continued from its
 * kept partial file by its token alone, by the same owner only. */
static void
test_restart (Fixture       *f,
              gconstpointer  unused)
{
  gsize size = 1024 * 1024 + 999;
  g_autofree guint8 *data = make_data (size);
  g_autofree char *sha256 = sha256_hex (data, size);
  g_autofree char *token = NULL;
  g_autofree char *data_dir = NULL;
  g_autoptr(JsonObject) offer = NULL;
  gint64 offset;
  guint status;

  start (f, NULL, NULL);
  token = create (f, OWNER_A, "restart.bin", size, &status, NULL);
  g_assert_cmpuint (put_range (f, OWNER_A, token, data, 0, 300000, size, &offset), ==, 200);
  /* A clean stop, with the upload held. */
  ferry_test_server_stop (f->server);
  data_dir = g_steal_pointer (&f->server->data_dir);   /* kept for the new server */
  g_clear_pointer (&f->server, ferry_test_server_free);
  f->server = ferry_test_server_start (data_dir, 0, NULL);

  get_offset (f, OWNER_B, token, &status);
  g_assert_cmpuint (status, ==, SOUP_STATUS_FORBIDDEN);
  g_assert_cmpint (get_offset (f, OWNER_A, token, &status), ==, 300000);
  g_assert_cmpuint (status, ==, SOUP_STATUS_OK);
  g_assert_cmpuint (put_range (f, OWNER_A, token, data, 300000, size, size, &offset), ==, 200);
  offer = finish (f, OWNER_A, token, sha256, &status);
  g_assert_cmpuint (status, ==, SOUP_STATUS_CREATED);
  assert_download (f, json_object_get_string_member (offer, "id"), data, size);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/web-upload/ranges", Fixture, NULL, setup, test_ranges, teardown);
  g_test_add ("/web-upload/checks", Fixture, NULL, setup, test_checks, teardown);
  g_test_add ("/web-upload/checksum", Fixture, NULL, setup, test_checksum, teardown);
  g_test_add ("/web-upload/limits", Fixture, NULL, setup, test_limits, teardown);
  g_test_add ("/web-upload/quota-as-bytes-arrive", Fixture, NULL, setup,
              test_quota_as_bytes_arrive, teardown);
  g_test_add ("/web-upload/raw-put", Fixture, NULL, setup, test_raw_put, teardown);
  g_test_add ("/web-upload/cut-and-resume", Fixture, NULL, setup, test_cut_and_resume,
              teardown);
  g_test_add ("/web-upload/restart", Fixture, NULL, setup, test_restart, teardown);
  g_test_add ("/web-upload/curl", Fixture, NULL, setup, test_curl, teardown);
  g_test_add ("/web-upload/chunked", Fixture, NULL, setup, test_chunked, teardown);

  return g_test_run ();
}
