/* test-upload-resume.c: uploads cut at many points and continued with their token
 * (PROTOCOL.md §5, Upload, Resume), against a real server on loopback
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Raw frames both times, so that an upload is cut at an exact byte: the first connection
 * sends the bytes before the cut and goes away (or the server is killed), the second sends
 * the token and the rest from the offset ACCEPT names. The committed blob is compared byte
 * for byte (SHA-256) with the file.
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "ferry-test-harness.h"
#include "ferry-checksum.h"
#include "ferry-client.h"
#include "ferry-error.h"
#include "ferry-frame.h"
#include "ferry-message.h"

#define SIZE ((guint64) 3 * FERRY_CHUNK_SIZE + 1000)

typedef struct
{
  FerryTestServer *server;
  char            *tmp;
  char            *path;       /* SIZE bytes of seeded data */
  guint8          *data;
  char            *sha256_hex;
} Fixture;

static void
setup_with (Fixture    *f,
            const char *keep_partial,
            const char *quota)
{
  gsize len = 0;

  f->server = ferry_test_server_start (NULL, 0, "--keep-partial", keep_partial,
                                       quota ? "--quota" : NULL, quota, NULL);
  f->tmp = ferry_test_tmpdir ();
  f->path = ferry_test_make_file (f->tmp, "file.bin", SIZE);
  g_assert_true (g_file_get_contents (f->path, (char **) &f->data, &len, NULL));
  g_assert_cmpuint (len, ==, SIZE);
  f->sha256_hex = ferry_test_sha256_file (f->path);
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  setup_with (f, "1d", NULL);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  ferry_test_server_free (f->server);
  ferry_test_rm_rf (f->tmp);
  g_free (f->tmp);
  g_free (f->path);
  g_free (f->data);
  g_free (f->sha256_hex);
}

/* A connection of the owner whose secret is 32 × @owner; returns WELCOME's keep-partial. */
static GIOStream *
connect_as (Fixture *f,
            guint8   owner,
            guint64 *keep_partial)
{
  GIOStream *conn = ferry_test_raw_connect (f->server);
  g_auto(FerryFrame) frame = { 0 };
  g_autoptr(GVariant) v = NULL;
  guint8 secret[FERRY_SECRET_SIZE];

  memset (secret, owner, sizeof secret);
  ferry_test_raw_send (conn, ferry_msg_hello_new (FERRY_PROTOCOL_VERSION, "test", "Tester",
                                                  secret, NULL));
  g_assert_true (ferry_test_raw_read (conn, &frame));
  g_assert_cmpint (frame.type, ==, FERRY_MSG_WELCOME);
  v = ferry_message_parse (&frame, NULL);
  g_assert_nonnull (v);
  ferry_msg_welcome_get (v, NULL, NULL, NULL, NULL, keep_partial, NULL);
  return conn;
}

/* UPLOAD(@token) of SIZE bytes; returns ACCEPT's token and sets @offset. */
static char *
begin (GIOStream  *conn,
       const char *token,
       guint64    *offset)
{
  g_auto(FerryFrame) frame = { 0 };
  g_autoptr(GVariant) v = NULL;
  const char *accepted;

  ferry_test_raw_send (conn, ferry_msg_upload_new ("file.bin", SIZE, token ? token : "", 0, 0));
  g_assert_true (ferry_test_raw_read (conn, &frame));
  g_assert_cmpint (frame.type, ==, FERRY_MSG_ACCEPT);
  v = ferry_message_parse (&frame, NULL);
  ferry_msg_accept_get (v, &accepted, offset);
  g_assert_cmpuint (strlen (accepted), ==, 32);
  return g_strdup (accepted);
}

/* DATA frames for bytes [@from, @to) of @data, in chunks that start at multiples of the chunk
 * size. */
static void
send_range (GIOStream    *conn,
            const guint8 *data,
            guint64       from,
            guint64       to)
{
  guint8 header[FERRY_FRAME_HEADER_SIZE + FERRY_DATA_HEADER_SIZE];

  while (from < to)
    {
      guint64 len = MIN (to - from, FERRY_CHUNK_SIZE - from % FERRY_CHUNK_SIZE);

      ferry_data_header_encode (header, from, (gsize) len);
      ferry_test_raw_send_data (conn, header, sizeof header);
      ferry_test_raw_send_data (conn, data + from, (gsize) len);
      from += len;
    }
}

static void
sha256_of (const guint8 *data,
           guint8       *digest)
{
  g_autoptr(FerryChecksum) checksum = ferry_checksum_new ();

  ferry_checksum_update (checksum, data, SIZE);
  ferry_checksum_finish (checksum, digest);
}

/* END with the SHA-256 of @data; asserts the OFFER and returns its id. */
static char *
finish (GIOStream    *conn,
        const guint8 *data)
{
  g_auto(FerryFrame) frame = { 0 };
  g_autoptr(GVariant) v = NULL;
  guint8 digest[FERRY_SHA256_SIZE];
  const char *id;

  sha256_of (data, digest);
  ferry_test_raw_send (conn, ferry_msg_end_new (digest));
  g_assert_true (ferry_test_raw_read (conn, &frame));
  if (frame.type == FERRY_MSG_ERROR)
    g_error ("END was answered with an ERROR");
  g_assert_cmpint (frame.type, ==, FERRY_MSG_OFFER);
  v = ferry_message_parse (&frame, NULL);
  ferry_msg_offer_get (v, &id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
  return g_strdup (id);
}

static char *
partial_path (Fixture    *f,
              const char *token)
{
  return g_build_filename (f->server->data_dir, "partial", token, NULL);
}

typedef struct
{
  char    *path;
  guint64  length;
} PartialLength;

static gboolean
partial_has_length (gpointer data)
{
  PartialLength *p = data;
  GStatBuf st;

  return g_stat (p->path, &st) == 0 && (guint64) st.st_size == p->length;
}

/* Waits until the server wrote @length bytes of upload @token. */
static void
wait_partial (Fixture    *f,
              const char *token,
              guint64     length)
{
  g_autofree char *path = partial_path (f, token);
  PartialLength p = { path, length };

  ferry_test_wait_for (partial_has_length, &p, 30);
}

static gboolean
partial_dir_empty (gpointer data)
{
  Fixture *f = data;
  g_autofree char *dir = g_build_filename (f->server->data_dir, "partial", NULL);

  return ferry_test_count_dir (dir) == 0;
}

static gboolean
partial_gone (gpointer data)
{
  return !g_file_test (data, G_FILE_TEST_EXISTS);
}

static void
assert_blob (Fixture    *f,
             const char *id)
{
  g_autofree char *blob = g_build_filename (f->server->data_dir, "blobs", id, NULL);
  g_autofree char *sha = ferry_test_sha256_file (blob);

  g_assert_cmpstr (sha, ==, f->sha256_hex);
}

/* Sends the first @cut bytes on one connection and drops it. Returns the token. */
static char *
cut_upload (Fixture *f,
            guint8   owner,
            guint64  cut)
{
  g_autoptr(GIOStream) conn = connect_as (f, owner, NULL);
  g_autofree char *token = NULL;
  guint64 offset = 1;

  token = begin (conn, NULL, &offset);
  g_assert_cmpuint (offset, ==, 0);
  send_range (conn, f->data, 0, cut);
  wait_partial (f, token, cut);
  g_io_stream_close (conn, NULL, NULL);
  return g_steal_pointer (&token);
}

/* Continues @token, expecting ACCEPT(@token, @expected), and commits. */
static void
resume_upload (Fixture    *f,
               guint8      owner,
               const char *token,
               guint64     expected)
{
  g_autoptr(GIOStream) conn = connect_as (f, owner, NULL);
  g_autofree char *again = NULL;
  g_autofree char *id = NULL;
  g_autofree char *path = partial_path (f, token);
  guint64 offset = G_MAXUINT64;

  again = begin (conn, token, &offset);
  g_assert_cmpstr (again, ==, token);
  g_assert_cmpuint (offset, ==, expected);
  send_range (conn, f->data, offset, SIZE);
  id = finish (conn, f->data);
  assert_blob (f, id);
  /* Committed: it is kept no more. */
  ferry_test_wait_for (partial_gone, path, 30);
}

static void
test_cut_points (Fixture       *f,
                 gconstpointer  data)
{
  const guint64 cuts[] = { 0, 1, FERRY_CHUNK_SIZE - 1, FERRY_CHUNK_SIZE, FERRY_CHUNK_SIZE + 1,
                           SIZE / 2, SIZE - 1 };
  guint64 keep = 0;
  g_autoptr(GIOStream) conn = connect_as (f, 1, &keep);

  /* WELCOME tells how long the server keeps them: --keep-partial 1d. */
  g_assert_cmpuint (keep, ==, 86400);

  for (guint i = 0; i < G_N_ELEMENTS (cuts); i++)
    {
      g_autofree char *token = NULL;

      g_test_message ("cut at byte %" G_GUINT64_FORMAT, cuts[i]);
      token = cut_upload (f, 1, cuts[i]);
      resume_upload (f, 1, token, cuts[i]);
    }
}

/* Cut twice: the second connection goes away too, and the third finishes. */
static void
test_cut_twice (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *token = cut_upload (f, 1, 1000);
  g_autoptr(GIOStream) conn = connect_as (f, 1, NULL);
  g_autofree char *again = NULL;
  guint64 offset = 0;

  again = begin (conn, token, &offset);
  g_assert_cmpstr (again, ==, token);
  g_assert_cmpuint (offset, ==, 1000);
  send_range (conn, f->data, offset, 2 * FERRY_CHUNK_SIZE + 7);
  wait_partial (f, token, 2 * FERRY_CHUNK_SIZE + 7);
  g_io_stream_close (conn, NULL, NULL);

  resume_upload (f, 1, token, 2 * FERRY_CHUNK_SIZE + 7);
}

/* kill -9 of the server, which then starts again on the same data. */
static void
test_server_killed (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GIOStream) conn = connect_as (f, 1, NULL);
  g_autofree char *token = NULL;
  g_autofree char *data_dir = NULL;
  guint16 port = f->server->port;
  guint64 offset = 1;

  token = begin (conn, NULL, &offset);
  send_range (conn, f->data, 0, SIZE / 2);
  wait_partial (f, token, SIZE / 2);

  g_subprocess_force_exit (f->server->process);
  g_assert_true (g_subprocess_wait (f->server->process, NULL, NULL));
  g_clear_object (&conn);
  data_dir = g_strdup (f->server->data_dir);
  g_clear_pointer (&f->server->data_dir, g_free);   /* kept for the new server */
  ferry_test_server_free (f->server);
  f->server = ferry_test_server_start (data_dir, port, "--keep-partial", "1d", NULL);

  /* The record was written before ACCEPT, the bytes before the kill: all of them count. */
  resume_upload (f, 1, token, SIZE / 2);
}

/* Another owner cannot continue a token: it gets a fresh upload, and the partial stays. */
static void
test_other_owner (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *token = cut_upload (f, 1, FERRY_CHUNK_SIZE + 1);
  g_autoptr(GIOStream) conn = connect_as (f, 2, NULL);
  g_autofree char *fresh = NULL;
  guint64 offset = 1;

  fresh = begin (conn, token, &offset);
  g_assert_cmpstr (fresh, !=, token);
  g_assert_cmpuint (offset, ==, 0);
  g_io_stream_close (conn, NULL, NULL);

  resume_upload (f, 1, token, FERRY_CHUNK_SIZE + 1);
}

/* One connection per token: a second one, while the first still sends, starts afresh. */
static void
test_token_in_use (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *token = cut_upload (f, 1, 4096);
  g_autoptr(GIOStream) first = connect_as (f, 1, NULL);
  g_autoptr(GIOStream) second = connect_as (f, 1, NULL);
  g_autofree char *again = NULL;
  g_autofree char *fresh = NULL;
  g_autofree char *id = NULL;
  guint64 offset = 0;

  again = begin (first, token, &offset);
  g_assert_cmpstr (again, ==, token);
  g_assert_cmpuint (offset, ==, 4096);
  fresh = begin (second, token, &offset);
  g_assert_cmpstr (fresh, !=, token);
  g_assert_cmpuint (offset, ==, 0);
  g_io_stream_close (second, NULL, NULL);

  send_range (first, f->data, 4096, SIZE);
  id = finish (first, f->data);
  assert_blob (f, id);
}

/* The file changed between the attempts: END gets CHECKSUM, the partial goes, and a new
 * upload from 0 works. */
static void
test_changed_file (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *token = cut_upload (f, 1, SIZE / 2);
  g_autofree guint8 *changed = g_memdup2 (f->data, SIZE);
  g_autofree char *again = NULL;
  g_autofree char *fresh = NULL;
  g_autofree char *id = NULL;
  g_autoptr(GIOStream) conn = NULL;
  guint8 digest[FERRY_SHA256_SIZE];
  guint64 offset = 0;

  changed[10] ^= 0xff;   /* in the part the server already holds */
  conn = connect_as (f, 1, NULL);
  again = begin (conn, token, &offset);
  g_assert_cmpuint (offset, ==, SIZE / 2);
  send_range (conn, changed, offset, SIZE);
  sha256_of (changed, digest);
  ferry_test_raw_send (conn, ferry_msg_end_new (digest));
  ferry_test_raw_expect_error (conn, FERRY_ERROR_CHECKSUM);
  g_clear_object (&conn);
  ferry_test_wait_for (partial_dir_empty, f, 30);

  /* A clean start: the changed file, whole. */
  conn = connect_as (f, 1, NULL);
  fresh = begin (conn, token, &offset);
  g_assert_cmpstr (fresh, !=, token);
  g_assert_cmpuint (offset, ==, 0);
  send_range (conn, changed, 0, SIZE);
  id = finish (conn, changed);
  {
    g_autofree char *blob = g_build_filename (f->server->data_dir, "blobs", id, NULL);
    g_autofree char *stored = NULL;
    gsize len = 0;

    g_assert_true (g_file_get_contents (blob, &stored, &len, NULL));
    g_assert_cmpuint (len, ==, SIZE);
    g_assert_true (memcmp (stored, changed, SIZE) == 0);
  }
}

/* Kept bytes count against the quota until they expire (--keep-partial 1), then the room is
 * back. */
static void
test_expiry_returns_space (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *token = NULL;
  g_autoptr(GIOStream) conn = NULL;
  g_autofree char *fresh = NULL;
  g_autofree char *id = NULL;
  guint64 keep = 0;
  guint64 offset = 1;

  ferry_test_server_free (f->server);
  f->server = ferry_test_server_start (NULL, 0, "--keep-partial", "1",
                                       "--quota", "1200K", NULL);
  token = cut_upload (f, 1, SIZE - 1);

  /* Gone after a second or so; its space with it: a second whole file fits the quota. */
  ferry_test_wait_for (partial_dir_empty, f, 30);
  conn = connect_as (f, 1, &keep);
  g_assert_cmpuint (keep, ==, 1);
  fresh = begin (conn, token, &offset);
  g_assert_cmpstr (fresh, !=, token);
  g_assert_cmpuint (offset, ==, 0);
  send_range (conn, f->data, 0, SIZE);
  id = finish (conn, f->data);
  assert_blob (f, id);
}

/* While kept, they count: with a quota for one file and a half, a kept partial of almost a
 * whole file leaves no room for another. */
static void
test_kept_bytes_count (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *token = NULL;
  g_autoptr(GIOStream) conn = NULL;

  ferry_test_server_free (f->server);
  f->server = ferry_test_server_start (NULL, 0, "--quota", "1200K", NULL);
  token = cut_upload (f, 1, SIZE - 1);

  conn = connect_as (f, 1, NULL);
  ferry_test_raw_send (conn, ferry_msg_upload_new ("other.bin", SIZE, "", 0, 0));
  ferry_test_raw_expect_error (conn, FERRY_ERROR_NO_SPACE);
  g_clear_object (&conn);

  /* The owner can still finish it. */
  resume_upload (f, 1, token, SIZE - 1);
}

/* --keep-partial 0: nothing is kept, a token is never continued. */
static void
test_keep_none (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GIOStream) conn = NULL;
  g_autofree char *token = NULL;
  g_autofree char *fresh = NULL;
  guint64 keep = 1;
  guint64 offset = 1;

  ferry_test_server_free (f->server);
  f->server = ferry_test_server_start (NULL, 0, "--keep-partial", "0", NULL);
  conn = connect_as (f, 1, &keep);
  g_assert_cmpuint (keep, ==, 0);
  token = begin (conn, NULL, &offset);
  send_range (conn, f->data, 0, 5000);
  wait_partial (f, token, 5000);
  g_clear_object (&conn);
  ferry_test_wait_for (partial_dir_empty, f, 30);

  conn = connect_as (f, 1, NULL);
  fresh = begin (conn, token, &offset);
  g_assert_cmpstr (fresh, !=, token);
  g_assert_cmpuint (offset, ==, 0);
}

/* The real engine: an upload cancelled half-way is continued by the next upload of the same
 * file (its token kept in $XDG_STATE_HOME/ferry/uploads), from where the server stopped. */

/* Big enough that the first progress report comes with more to send. */
#define ENGINE_SIZE ((guint64) 128 * 1024 * 1024 + 5)

/* Cancels at the first progress report, with bytes moving and more to come. */
static void
cancel_at_progress_cb (FerryTransfer *transfer,
                       GParamSpec    *pspec,
                       gpointer       user_data)
{
  if (ferry_transfer_get_bytes_done (transfer) > 0 && !ferry_transfer_is_finished (transfer))
    ferry_transfer_cancel (transfer);
}

static gboolean
partial_has_bytes (gpointer data)
{
  Fixture *f = data;
  g_autofree char *dir = g_build_filename (f->server->data_dir, "partial", NULL);
  g_autoptr(GDir) listing = g_dir_open (dir, 0, NULL);
  const char *name;

  while (listing && (name = g_dir_read_name (listing)))
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      GStatBuf st;

      if (g_stat (path, &st) == 0 && st.st_size > 0)
        return TRUE;
    }
  return FALSE;
}

/* Uploads @path with the engine, cancelled half-way; returns the client. */
static FerryClient *
engine_cut (Fixture    *f,
            const char *path)
{
  g_autofree char *config = g_build_filename (f->tmp, "config", NULL);
  FerryClient *client = ferry_test_client_new (f->server, config, "Engine");
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(FerryTransfer) cut = NULL;
  g_autoptr(GError) error = NULL;

  ferry_test_client_connect (client);
  cut = ferry_client_upload (client, file, NULL);
  g_signal_connect (cut, "notify::bytes-done", G_CALLBACK (cancel_at_progress_cb), NULL);
  error = ferry_test_run_transfer (cut);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* The CLI says "Run the same command again to resume." on this. */
  g_assert_true (ferry_transfer_get_resumable (cut));
  ferry_test_wait_for (partial_has_bytes, f, 30);
  return client;
}

/* Uploads @path again (with @resume), and asserts the stored blob. */
static void
engine_again (Fixture     *f,
              gboolean     resume,
              FerryClient *client,
              const char  *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(FerryTransfer) again = ferry_client_upload (client, file, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *blob = NULL;
  g_autofree char *stored = NULL;
  g_autofree char *wanted = ferry_test_sha256_file (path);

  ferry_transfer_set_resume (again, resume);
  error = ferry_test_run_transfer (again);
  g_assert_no_error (error);
  g_assert_false (ferry_transfer_get_resumable (again));
  blob = g_build_filename (f->server->data_dir, "blobs",
                           ferry_offer_get_id (ferry_transfer_get_offer (again)), NULL);
  stored = ferry_test_sha256_file (blob);
  g_assert_cmpstr (stored, ==, wanted);
}

static guint
count_partials (Fixture *f)
{
  g_autofree char *dir = g_build_filename (f->server->data_dir, "partial", NULL);

  return ferry_test_count_dir (dir);
}

static void
test_engine_resumes (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *path = ferry_test_make_file (f->tmp, "engine.bin", ENGINE_SIZE);
  g_autoptr(FerryClient) client = engine_cut (f, path);

  /* Continued: the partial the cut left is what was committed, none is left. */
  engine_again (f, TRUE, client, path);
  ferry_test_wait_for (partial_dir_empty, f, 30);
}

/* The file changed, but its size and modification time did not: the continued upload gets
 * CHECKSUM and the engine starts over once, by itself. */
static void
test_engine_changed_file (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *path = ferry_test_make_file (f->tmp, "changing.bin", ENGINE_SIZE);
  g_autoptr(FerryClient) client = engine_cut (f, path);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;

  info = g_file_query_info (file, G_FILE_ATTRIBUTE_TIME_MODIFIED, G_FILE_QUERY_INFO_NONE,
                            NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  contents[10] ^= 0x5a;
  g_assert_true (g_file_set_contents (path, contents, (gssize) len, NULL));
  g_assert_true (g_file_set_attribute_uint64 (file, G_FILE_ATTRIBUTE_TIME_MODIFIED,
                                              g_file_info_get_attribute_uint64 (
                                                info, G_FILE_ATTRIBUTE_TIME_MODIFIED),
                                              G_FILE_QUERY_INFO_NONE, NULL, &error));
  g_assert_no_error (error);

  engine_again (f, TRUE, client, path);
  ferry_test_wait_for (partial_dir_empty, f, 30);
}

/* --no-resume (ferry_transfer_set_resume FALSE) starts over: the cut upload's partial is
 * left alone. */
static void
test_engine_no_resume (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *path = ferry_test_make_file (f->tmp, "over.bin", ENGINE_SIZE);
  g_autoptr(FerryClient) client = engine_cut (f, path);

  g_assert_cmpuint (count_partials (f), ==, 1);
  engine_again (f, FALSE, client, path);
  g_assert_cmpuint (count_partials (f), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *state = NULL;

  g_test_init (&argc, &argv, NULL);
  /* The engine's upload tokens go to a place of this run. */
  state = g_dir_make_tmp ("ferry-upload-state-XXXXXX", NULL);
  g_setenv ("XDG_STATE_HOME", state, TRUE);

#define ADD(path, func) \
  g_test_add ("/upload-resume/" path, Fixture, NULL, setup, func, teardown)
  ADD ("cut-points", test_cut_points);
  ADD ("cut-twice", test_cut_twice);
  ADD ("server-killed", test_server_killed);
  ADD ("other-owner", test_other_owner);
  ADD ("token-in-use", test_token_in_use);
  ADD ("changed-file", test_changed_file);
  ADD ("expiry-returns-space", test_expiry_returns_space);
  ADD ("kept-bytes-count", test_kept_bytes_count);
  ADD ("keep-none", test_keep_none);
  ADD ("engine-resumes", test_engine_resumes);
  ADD ("engine-changed-file", test_engine_changed_file);
  ADD ("engine-no-resume", test_engine_no_resume);
#undef ADD

  {
    int status = g_test_run ();

    ferry_test_rm_rf (state);
    return status;
  }
}
