/* test-web-download.c: downloads through the web front against a real server: GET and HEAD
 * of /f/ID/NAME, ranges, a curl resume, Content-Disposition of hostile names, a client that
 * goes away mid-body, link keys (docs/HTTP.md §6)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "ferry-message.h"
#include "ferry-test-web.h"

/* Over a few chunks (256 KiB), not a multiple of one. */
#define BIG_SIZE (3 * 1024 * 1024 + 12345)

typedef struct
{
  char            *tmp;
  char            *config;
  FerryTestServer *server;
  SoupSession     *session;
} Fixture;

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  f->tmp = ferry_test_tmpdir ();
  f->config = g_build_filename (f->tmp, "config", NULL);
}

static void
start (Fixture    *f,
       const char *arg1,
       const char *arg2)
{
  f->server = ferry_test_server_start (NULL, 0, arg1, arg2, NULL);
  f->session = ferry_test_web_session (f->server);
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

/* Uploads a file of @size seeded bytes named @name; returns its id, and its bytes in
 * @contents if asked. */
static char *
upload (Fixture     *f,
        const char  *name,
        guint64      size,
        GBytes     **contents)
{
  g_autofree char *path = ferry_test_make_file (f->tmp, name, size);
  g_autofree char *out = NULL;

  g_assert_cmpint (ferry_test_cli (f->server, f->config, &out, NULL, "upload", path, NULL), ==, 0);
  if (contents)
    {
      char *data;
      gsize length;

      g_assert_true (g_file_get_contents (path, &data, &length, NULL));
      *contents = g_bytes_new_take (data, length);
    }
  return g_strstrip (g_steal_pointer (&out));
}

/* Shares @content from standard input under any @name (ferry-cli upload --name NAME -). */
static char *
upload_named (Fixture    *f,
              const char *name,
              const char *content)
{
  g_autofree char *out = NULL;

  g_assert_cmpint (ferry_test_cli_with_input (f->server, f->config, content, &out, NULL,
                                              "upload", "--name", name, "-", NULL), ==, 0);
  return g_strstrip (g_steal_pointer (&out));
}

static guint
request (Fixture             *f,
         const char          *method,
         const char          *path,
         GBytes             **body,
         SoupMessageHeaders **headers,
         const char          *header,
         const char          *value)
{
  return ferry_test_web_request (f->session, f->server, method, path, NULL, NULL, body, headers,
                                 header, value, NULL);
}

static void
assert_bytes_range (GBytes  *got,
                    GBytes  *whole,
                    gsize    start,
                    gsize    length)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (got, &size);

  g_assert_cmpuint (size, ==, length);
  g_assert_true (memcmp (data, (const guint8 *) g_bytes_get_data (whole, NULL) + start,
                         length) == 0);
}

/* GET is byte-exact with every header of HTTP.md §6; HEAD has the same headers and no body. */
static void
test_get (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(GBytes) contents = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autoptr(SoupMessageHeaders) head_headers = NULL;
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *hex = NULL;
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);

  start (f, NULL, NULL);
  id = upload (f, "report.bin", BIG_SIZE, &contents);
  path = g_strdup_printf ("/f/%s/report.bin", id);

  g_assert_cmpuint (request (f, "GET", path, &body, &headers, NULL, NULL), ==, 200);
  assert_bytes_range (body, contents, 0, BIG_SIZE);
  g_assert_cmpint (soup_message_headers_get_content_length (headers), ==, BIG_SIZE);
  g_checksum_update (checksum, g_bytes_get_data (contents, NULL), BIG_SIZE);
  etag = g_strdup_printf ("\"%s\"", g_checksum_get_string (checksum));
  g_assert_cmpstr (soup_message_headers_get_one (headers, "ETag"), ==, etag);
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Accept-Ranges"), ==, "bytes");
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Content-Type"), ==,
                   "application/octet-stream");
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Content-Security-Policy"), ==,
                   "default-src 'none'; sandbox");
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Content-Disposition"), ==,
                   "attachment; filename=\"report.bin\"; filename*=UTF-8''report.bin");
  g_assert_cmpstr (soup_message_headers_get_one (headers, "X-Content-Type-Options"), ==, "nosniff");
  g_assert_nonnull (soup_message_headers_get_one (headers, "Last-Modified"));

  g_clear_pointer (&body, g_bytes_unref);
  g_assert_cmpuint (request (f, "HEAD", path, &body, &head_headers, NULL, NULL), ==, 200);
  g_assert_cmpuint (g_bytes_get_size (body), ==, 0);
  g_assert_cmpint (soup_message_headers_get_content_length (head_headers), ==, BIG_SIZE);
  g_assert_cmpstr (soup_message_headers_get_one (head_headers, "ETag"), ==, etag);

  /* NAME is cosmetic: the offer is found by its id. */
  g_clear_pointer (&body, g_bytes_unref);
  g_free (path);
  path = g_strdup_printf ("/f/%s/other-name", id);
  g_assert_cmpuint (request (f, "GET", path, &body, NULL, NULL, NULL), ==, 200);
  g_assert_cmpuint (g_bytes_get_size (body), ==, BIG_SIZE);

  /* Unknown, malformed, traversing. */
  g_assert_cmpuint (request (f, "GET", "/f/0123456789abcdef/x", NULL, NULL, NULL, NULL), ==, 404);
  g_assert_cmpuint (request (f, "GET", "/f/nothex/x", NULL, NULL, NULL, NULL), ==, 404);
  g_free (path);
  path = g_strdup_printf ("/f/%s", id);
  g_assert_cmpuint (request (f, "GET", path, NULL, NULL, NULL, NULL), ==, 404);
  g_free (path);
  path = g_strdup_printf ("/f/%s/a%%2Fb", id);
  g_assert_cmpuint (request (f, "GET", path, NULL, NULL, NULL, NULL), ==, 404);

  /* An empty file. */
  {
    g_autofree char *empty = upload (f, "empty", 0, NULL);
    g_autofree char *empty_path = g_strdup_printf ("/f/%s/empty", empty);
    g_autoptr(GBytes) empty_body = NULL;

    g_assert_cmpuint (request (f, "GET", empty_path, &empty_body, NULL, NULL, NULL), ==, 200);
    g_assert_cmpuint (g_bytes_get_size (empty_body), ==, 0);
  }
}

/* One range, suffixes, past the end, several, If-Range and If-None-Match. */
static void
test_ranges (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GBytes) contents = NULL;
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *total = NULL;

  start (f, NULL, NULL);
  id = upload (f, "r.bin", BIG_SIZE, &contents);
  path = g_strdup_printf ("/f/%s/r.bin", id);
  {
    g_autoptr(SoupMessageHeaders) headers = NULL;

    g_assert_cmpuint (request (f, "HEAD", path, NULL, &headers, NULL, NULL), ==, 200);
    etag = g_strdup (soup_message_headers_get_one (headers, "ETag"));
  }

  {
    /* Across a chunk boundary. */
    g_autoptr(GBytes) body = NULL;
    g_autoptr(SoupMessageHeaders) headers = NULL;
    g_autofree char *expected = g_strdup_printf ("bytes 262000-262999/%d", BIG_SIZE);

    g_assert_cmpuint (request (f, "GET", path, &body, &headers, "Range", "bytes=262000-262999"),
                      ==, 206);
    assert_bytes_range (body, contents, 262000, 1000);
    g_assert_cmpstr (soup_message_headers_get_one (headers, "Content-Range"), ==, expected);
  }
  {
    g_autoptr(GBytes) body = NULL;

    g_assert_cmpuint (request (f, "GET", path, &body, NULL, "Range", "bytes=3000000-"), ==, 206);
    assert_bytes_range (body, contents, 3000000, BIG_SIZE - 3000000);
  }
  {
    g_autoptr(GBytes) body = NULL;

    g_assert_cmpuint (request (f, "GET", path, &body, NULL, "Range", "bytes=-500"), ==, 206);
    assert_bytes_range (body, contents, BIG_SIZE - 500, 500);
  }
  {
    /* An end past the file is the end of the file. */
    g_autoptr(GBytes) body = NULL;

    g_assert_cmpuint (request (f, "GET", path, &body, NULL, "Range", "bytes=10-99999999"), ==, 206);
    assert_bytes_range (body, contents, 10, BIG_SIZE - 10);
  }
  {
    g_autoptr(SoupMessageHeaders) headers = NULL;
    g_autofree char *range = g_strdup_printf ("bytes=%d-", BIG_SIZE);

    total = g_strdup_printf ("bytes */%d", BIG_SIZE);
    g_assert_cmpuint (request (f, "GET", path, NULL, &headers, "Range", range), ==, 416);
    g_assert_cmpstr (soup_message_headers_get_one (headers, "Content-Range"), ==, total);
  }
  {
    /* Several ranges, or a malformed one: the whole file. */
    g_autoptr(GBytes) body = NULL;
    g_autoptr(GBytes) body2 = NULL;

    g_assert_cmpuint (request (f, "GET", path, &body, NULL, "Range", "bytes=0-9,20-29"), ==, 200);
    assert_bytes_range (body, contents, 0, BIG_SIZE);
    g_assert_cmpuint (request (f, "GET", path, &body2, NULL, "Range", "bytes=9-1"), ==, 200);
    g_assert_cmpuint (g_bytes_get_size (body2), ==, BIG_SIZE);
  }
  {
    /* If-Range: another ETag gets the whole file, this one the range. */
    g_autoptr(GBytes) body = NULL;
    g_autoptr(GBytes) body2 = NULL;

    g_assert_cmpuint (ferry_test_web_request (f->session, f->server, "GET", path, NULL, NULL,
                                              &body, NULL, "Range", "bytes=100-199",
                                              "If-Range", "\"0000\"", NULL), ==, 200);
    g_assert_cmpuint (g_bytes_get_size (body), ==, BIG_SIZE);
    g_assert_cmpuint (ferry_test_web_request (f->session, f->server, "GET", path, NULL, NULL,
                                              &body2, NULL, "Range", "bytes=100-199",
                                              "If-Range", etag, NULL), ==, 206);
    assert_bytes_range (body2, contents, 100, 100);
  }
  {
    g_autoptr(GBytes) body = NULL;

    g_assert_cmpuint (request (f, "GET", path, &body, NULL, "If-None-Match", etag), ==, 304);
    g_assert_cmpuint (g_bytes_get_size (body), ==, 0);
  }
}

static gboolean
run_curl (const char  *url,
          const char  *output,
          const char  *option1,
          const char  *option2,
          char       **headers)
{
  const char *argv[] = { "curl", "-sS", "-k", "-D", "-", "-o", output, url, option1, option2,
                         NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  int status = -1;

  /* Its output (the headers) is kept off the TAP stream. */
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL,
                     &status, &error))
    g_error ("curl: %s", error->message);
  if (headers)
    *headers = g_steal_pointer (&out);
  return g_spawn_check_wait_status (status, NULL);
}

/* curl resumes a download that holds its first megabyte (curl -C -). */
static void
test_curl_resume (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GBytes) contents = NULL;
  g_autofree char *id = NULL;
  g_autofree char *url = NULL;
  g_autofree char *target = NULL;
  g_autofree char *headers = NULL;
  g_autofree char *got = NULL;
  gsize length;

  start (f, NULL, NULL);
  id = upload (f, "resume.bin", BIG_SIZE, &contents);
  {
    g_autofree char *path = g_strdup_printf ("/f/%s/resume.bin", id);

    url = ferry_test_web_url (f->server, path);
  }
  target = g_build_filename (f->tmp, "resume.part", NULL);

  /* The first MiB, as a cut download leaves it. */
  g_assert_true (run_curl (url, target, "-r", "0-1048575", NULL));
  g_assert_true (g_file_get_contents (target, &got, &length, NULL));
  g_assert_cmpuint (length, ==, 1048576);
  g_clear_pointer (&got, g_free);

  g_assert_true (run_curl (url, target, "-C", "-", &headers));
  g_assert_true (g_str_has_prefix (headers, "HTTP/1.1 206"));
  g_assert_nonnull (strstr (headers, "Content-Range: bytes 1048576-"));
  g_assert_true (g_file_get_contents (target, &got, &length, NULL));
  g_assert_cmpuint (length, ==, BIG_SIZE);
  g_assert_true (memcmp (got, g_bytes_get_data (contents, NULL), BIG_SIZE) == 0);
}

/* The attachment's name, whatever the offer's name holds: never a header injection, never
 * markup, and the exact name back from filename*. */
static void
test_disposition (Fixture       *f,
                  gconstpointer  data)
{
  static const struct
  {
    const char *name;
    const char *ascii;
  } cases[] = {
    { "my report.pdf", "my report.pdf" },
    { "say \"hi\" \\ there.txt", "say _hi_ _ there.txt" },
    { "Ünïcødé 日本.txt", "_n_c_d_ __.txt" },
    { "two\nlines.txt", "two_lines.txt" },
    { "<img src=x onerror=alert(1)>.html", "<img src=x onerror=alert(1)>.html" },
  };

  start (f, NULL, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *id = upload_named (f, cases[i].name, "content");
      g_autofree char *path = g_strdup_printf ("/f/%s/x", id);
      g_autoptr(SoupMessageHeaders) headers = NULL;
      g_autoptr(GBytes) body = NULL;
      g_autofree char *ascii = NULL;
      g_autofree char *decoded = NULL;
      const char *value;
      const char *star;

      g_assert_cmpuint (request (f, "GET", path, &body, &headers, NULL, NULL), ==, 200);
      g_assert_cmpuint (g_bytes_get_size (body), ==, 7);
      value = soup_message_headers_get_one (headers, "Content-Disposition");
      g_test_message ("%s", value);
      g_assert_null (strpbrk (value, "\r\n"));
      ascii = g_strdup_printf ("attachment; filename=\"%s\"; ", cases[i].ascii);
      g_assert_true (g_str_has_prefix (value, ascii));
      star = strstr (value, "filename*=UTF-8''");
      g_assert_nonnull (star);
      star += strlen ("filename*=UTF-8''");
      g_assert_null (strpbrk (star, " \"<>;\\"));
      decoded = g_uri_unescape_string (star, NULL);
      g_assert_cmpstr (decoded, ==, cases[i].name);
      /* Never rendered. */
      g_assert_cmpstr (soup_message_headers_get_one (headers, "Content-Type"), ==,
                       "application/octet-stream");
      g_assert_cmpstr (soup_message_headers_get_one (headers, "Content-Security-Policy"), ==,
                       "default-src 'none'; sandbox");
    }
}

/* A client that goes away mid-body: the server stops reading, stays well, and serves the next
 * download; it stops cleanly at the end (teardown). */
static void
test_disconnect (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GBytes) contents = NULL;
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  g_autofree char *request_text = NULL;

  start (f, NULL, NULL);
  id = upload (f, "cut.bin", 16 * 1024 * 1024, &contents);
  path = g_strdup_printf ("/f/%s/cut.bin", id);
  request_text = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GIOStream) conn = ferry_test_raw_connect (f->server);
      GInputStream *in = g_io_stream_get_input_stream (conn);
      char buffer[16384];
      gsize total = 0;

      ferry_test_raw_send_data (conn, request_text, strlen (request_text));
      /* Some of the body, then gone. */
      while (total < 300 * 1024)
        {
          gssize n = g_input_stream_read (in, buffer, sizeof buffer, NULL, NULL);

          g_assert_cmpint (n, >, 0);
          total += (gsize) n;
        }
      g_assert_true (g_io_stream_close (conn, NULL, NULL));
    }

  {
    g_autoptr(GBytes) body = NULL;

    g_assert_cmpuint (request (f, "GET", path, &body, NULL, NULL, NULL), ==, 200);
    assert_bytes_range (body, contents, 0, 16 * 1024 * 1024);
  }
}

/* A folder is a zip, NAME.zip, that python3's zipfile reads back with the folder's bytes;
 * it has a length known up front (HEAD) and no ranges. */
static void
test_folder_zip (Fixture       *f,
                 gconstpointer  data)
{
  static const char check[] =
    "import os, sys, zipfile\n"
    "z = zipfile.ZipFile(sys.argv[1])\n"
    "assert z.testzip() is None\n"
    "root = sys.argv[2]\n"
    "for rel in sys.argv[3:]:\n"
    "    with open(os.path.join(root, rel), 'rb') as f:\n"
    "        assert z.read('My Folder/' + rel) == f.read(), rel\n"
    "assert 'My Folder/empty/' in z.namelist()\n"
    "assert os.path.basename(root) == 'My Folder'\n";
  g_autofree char *root = g_build_filename (f->tmp, "My Folder", NULL);
  g_autofree char *deep = g_build_filename (root, "a", "b", NULL);
  g_autofree char *empty = g_build_filename (root, "empty", NULL);
  g_autofree char *zip_path = g_build_filename (f->tmp, "got.zip", NULL);
  g_autofree char *out = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GBytes) head_body = NULL;
  g_autoptr(GBytes) ranged = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autoptr(SoupMessageHeaders) head_headers = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *big = NULL;
  int status = -1;

  start (f, NULL, NULL);
  g_assert_cmpint (g_mkdir_with_parents (deep, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (empty, 0755), ==, 0);
  big = ferry_test_make_file (deep, "big.bin", 600 * 1024 + 7);
  g_free (ferry_test_make_file (root, "top.txt", 10));
  g_assert_cmpint (ferry_test_cli (f->server, f->config, &out, NULL, "upload", root, NULL), ==, 0);
  path = g_strdup_printf ("/f/%s/My%%20Folder.zip", g_strstrip (out));

  g_assert_cmpuint (request (f, "GET", path, &body, &headers, NULL, NULL), ==, 200);
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Content-Type"), ==, "application/zip");
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Accept-Ranges"), ==, "none");
  g_assert_true (g_str_has_prefix (soup_message_headers_get_one (headers, "ETag"), "W/\""));
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Content-Disposition"), ==,
                   "attachment; filename=\"My Folder.zip\"; filename*=UTF-8''My%20Folder.zip");
  g_assert_cmpint (soup_message_headers_get_content_length (headers), ==, g_bytes_get_size (body));

  g_assert_cmpuint (request (f, "HEAD", path, &head_body, &head_headers, NULL, NULL), ==, 200);
  g_assert_cmpuint (g_bytes_get_size (head_body), ==, 0);
  g_assert_cmpint (soup_message_headers_get_content_length (head_headers), ==,
                   g_bytes_get_size (body));
  /* No ranges: the whole zip, the same bytes. */
  g_assert_cmpuint (request (f, "GET", path, &ranged, NULL, "Range", "bytes=10-20"), ==, 200);
  g_assert_true (g_bytes_equal (ranged, body));

  g_assert_true (g_file_set_contents (zip_path, g_bytes_get_data (body, NULL),
                                      (gssize) g_bytes_get_size (body), NULL));
  {
    const char *argv[] = { "python3", "-c", check, zip_path, root, "top.txt", "a/b/big.bin",
                           NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                                 NULL, NULL, &status, &error));
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
  }
}

/* On a password server a download needs the password, and a ?key= that does not open it is
 * refused, not let through. */
static void
test_password (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *password_file = g_build_filename (f->tmp, "password", NULL);
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  g_autofree char *keyed = NULL;
  g_autofree char *encoded = g_base64_encode ((const guchar *) ":secret", 7);
  g_autofree char *basic = g_strconcat ("Basic ", encoded, NULL);
  g_autofree char *password_arg = NULL;
  g_autofree char *out = NULL;

  g_assert_true (g_file_set_contents (password_file, "secret\n", -1, NULL));
  start (f, "--password-file", password_file);
  {
    g_autofree char *source = ferry_test_make_file (f->tmp, "locked.bin", 1000);

    password_arg = g_strdup (password_file);
    g_assert_cmpint (ferry_test_cli (f->server, f->config, &out, NULL, "--password-file",
                                     password_arg, "upload", source, NULL), ==, 0);
    id = g_strstrip (g_steal_pointer (&out));
  }
  path = g_strdup_printf ("/f/%s/locked.bin", id);
  keyed = g_strdup_printf ("%s?key=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", path);

  g_assert_cmpuint (request (f, "GET", path, NULL, NULL, NULL, NULL), ==, 401);
  g_assert_cmpuint (request (f, "GET", path, NULL, NULL, "Authorization", basic), ==, 200);
  g_assert_cmpuint (request (f, "GET", keyed, NULL, NULL, NULL, NULL), ==, 403);
  g_assert_cmpuint (request (f, "GET", "/api/offers?key=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL,
                             NULL, NULL, NULL), ==, 401);
}

/* POST /api/offers/ID/link {"lifetime"} -> {"url"}, or NULL when refused (its status in
 * @status). */
static char *
make_link (Fixture    *f,
           const char *id,
           const char *json,
           const char *authorization,
           guint      *status)
{
  g_autofree char *path = g_strdup_printf ("/api/offers/%s/link", id);
  g_autoptr(GBytes) body = g_bytes_new (json, strlen (json));
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(JsonObject) object = NULL;

  *status = ferry_test_web_request (f->session, f->server, "POST", path, "application/json",
                                    body, &answer, NULL, "Authorization", authorization, NULL);
  if (*status != 200)
    return NULL;
  object = ferry_test_web_json (answer);
  return g_strdup (json_object_get_string_member (object, "url"));
}

/* Link keys on a password server (HTTP.md §6): a key opens its one file without the password,
 * and nothing else; a native LINK's key opens it too; deleting the offer revokes it. Without
 * a password a link has no key. */
static void
test_link_keys (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *password_file = g_build_filename (f->tmp, "password", NULL);
  g_autofree char *encoded = g_base64_encode ((const guchar *) ":secret", 7);
  g_autofree char *basic = g_strconcat ("Basic ", encoded, NULL);
  g_autoptr(GBytes) contents = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *url = NULL;
  g_autofree char *native = NULL;
  g_autofree char *other = NULL;
  g_autofree char *tampered = NULL;
  g_autofree char *out = NULL;
  const char *key;
  guint status;

  g_assert_true (g_file_set_contents (password_file, "secret\n", -1, NULL));
  start (f, "--password-file", password_file);
  {
    g_autofree char *source_a = ferry_test_make_file (f->tmp, "a.bin", 300000);
    g_autofree char *source_b = ferry_test_make_file (f->tmp, "b.bin", 1000);
    char *bytes;
    gsize length;

    g_assert_cmpint (ferry_test_cli (f->server, f->config, &out, NULL, "--password-file",
                                     password_file, "upload", source_a, NULL), ==, 0);
    a = g_strstrip (g_steal_pointer (&out));
    g_assert_cmpint (ferry_test_cli (f->server, f->config, &out, NULL, "--password-file",
                                     password_file, "upload", source_b, NULL), ==, 0);
    b = g_strstrip (g_steal_pointer (&out));
    g_assert_true (g_file_get_contents (source_a, &bytes, &length, NULL));
    contents = g_bytes_new_take (bytes, length);
  }

  /* Only who has the password makes links. */
  g_assert_null (make_link (f, a, "{\"lifetime\": 0}", "Basic Og==", &status));
  g_assert_cmpuint (status, ==, 401);
  g_assert_null (make_link (f, "0123456789abcdef", "{\"lifetime\": 0}", basic, &status));
  g_assert_cmpuint (status, ==, 404);
  g_assert_null (make_link (f, a, "{\"lifetime\": -1}", basic, &status));
  g_assert_cmpuint (status, ==, 400);
  url = make_link (f, a, "{\"lifetime\": 3600}", basic, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_true (g_str_has_prefix (url, "/f/"));
  key = strstr (url, "?key=");
  g_assert_nonnull (key);
  key += 5;

  /* The key opens its file, and only it. */
  g_assert_cmpuint (request (f, "GET", url, &body, NULL, NULL, NULL), ==, 200);
  assert_bytes_range (body, contents, 0, 300000);
  g_assert_cmpuint (request (f, "HEAD", url, NULL, NULL, NULL, NULL), ==, 200);
  other = g_strdup_printf ("/f/%s/b.bin?key=%s", b, key);
  g_assert_cmpuint (request (f, "GET", other, NULL, NULL, NULL, NULL), ==, 403);
  g_free (other);
  other = g_strdup_printf ("/api/offers?key=%s", key);
  g_assert_cmpuint (request (f, "GET", other, NULL, NULL, NULL, NULL), ==, 401);
  tampered = g_strdup (url);
  tampered[strlen (tampered) - 1] = tampered[strlen (tampered) - 1] == 'A' ? 'B' : 'A';
  g_assert_cmpuint (request (f, "GET", tampered, NULL, NULL, NULL, NULL), ==, 403);

  /* A native LINK's key opens it over HTTP. */
  g_assert_cmpint (ferry_test_cli (f->server, f->config, &out, NULL, "--password-file",
                                   password_file, "link", a, NULL), ==, 0);
  native = g_strdup (strstr (g_strstrip (out), "/f/"));
  g_assert_nonnull (strstr (native, "?key="));
  g_assert_cmpuint (request (f, "GET", native, NULL, NULL, NULL, NULL), ==, 200);

  /* Deleting the offer revokes its links. */
  g_assert_cmpint (ferry_test_cli (f->server, f->config, NULL, NULL, "--password-file",
                                   password_file, "delete", a, NULL), ==, 0);
  g_assert_cmpuint (request (f, "GET", url, NULL, NULL, NULL, NULL), ==, 403);

  /* Without a password a link has no key. */
  g_clear_object (&f->session);
  g_clear_pointer (&f->server, ferry_test_server_free);
  start (f, NULL, NULL);
  g_free (a);
  a = upload (f, "open.bin", 10, NULL);
  g_free (url);
  url = make_link (f, a, "{}", "Basic Og==", &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_null (strstr (url, "?key="));
  g_assert_cmpuint (request (f, "GET", url, NULL, NULL, NULL, NULL), ==, 200);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/web-download/get", Fixture, NULL, setup, test_get, teardown);
  g_test_add ("/web-download/ranges", Fixture, NULL, setup, test_ranges, teardown);
  g_test_add ("/web-download/curl-resume", Fixture, NULL, setup, test_curl_resume, teardown);
  g_test_add ("/web-download/disposition", Fixture, NULL, setup, test_disposition, teardown);
  g_test_add ("/web-download/disconnect", Fixture, NULL, setup, test_disconnect, teardown);
  g_test_add ("/web-download/folder-zip", Fixture, NULL, setup, test_folder_zip, teardown);
  g_test_add ("/web-download/link-keys", Fixture, NULL, setup, test_link_keys, teardown);
  g_test_add ("/web-download/password", Fixture, NULL, setup, test_password, teardown);

  return g_test_run ();
}
