/* test-reservations.c: quota and disk space are held only by uploads that send, a bounded part
 * ahead of their data; two uploads that don't fit together end with one clear NO_SPACE, and
 * the other completes intact
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "ferry-test-harness.h"
#include "ferry-checksum.h"
#include "ferry-error.h"
#include "ferry-message.h"

#define MiB ((guint64) 1024 * 1024)

typedef struct
{
  FerryTestServer *server;
  char            *tmp;
  char            *mounted;   /* a real small tmpfs, when the test mounted one */
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->tmp = ferry_test_tmpdir ();
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->server)
    {
      ferry_test_server_stop (f->server);
      ferry_test_server_free (f->server);
    }
  if (f->mounted)
    {
      const char *argv[] = { "umount", f->mounted, NULL };
      int status = -1;
      g_autoptr(GError) error = NULL;

      g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH |
                    G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                    NULL, NULL, NULL, NULL, &status, NULL);
      g_assert_true (g_spawn_check_wait_status (status, &error));
      g_clear_pointer (&f->mounted, g_free);
    }
  ferry_test_rm_rf (f->tmp);
  g_free (f->tmp);
}

/* A raw upload: UPLOAD of @size, then answers read at the protocol level. */
typedef struct
{
  GIOStream     *conn;
  guint64        size;
  guint64        sent;
  gboolean       accepted;
  gboolean       alive;        /* the server still takes our bytes */
  GRand         *rand;         /* the content, reproducible */
  FerryChecksum *checksum;
  guint8         digest[FERRY_SHA256_SIZE];
  /* the outcome */
  guint32        error_code;
  char          *error_message;
  char          *offer_id;
  guint8         offer_sha[FERRY_SHA256_SIZE];
} Upload;

static void
upload_free (Upload *u)
{
  g_clear_object (&u->conn);
  g_clear_pointer (&u->rand, g_rand_free);
  g_clear_pointer (&u->checksum, ferry_checksum_free);
  g_free (u->error_message);
  g_free (u->offer_id);
  g_free (u);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Upload, upload_free)

/* Reads the next frame and records an ERROR or OFFER; FALSE at the end of the stream. */
static gboolean
upload_read (Upload *u)
{
  g_auto(FerryFrame) frame = { 0 };
  g_autoptr(GVariant) v = NULL;

  if (!ferry_test_raw_read (u->conn, &frame))
    return FALSE;
  if (frame.type == FERRY_MSG_ACCEPT)
    {
      u->accepted = TRUE;
      return TRUE;
    }
  v = ferry_message_parse (&frame, NULL);
  g_assert_nonnull (v);
  if (frame.type == FERRY_MSG_ERROR)
    {
      const char *message;

      ferry_msg_error_get (v, &u->error_code, &message);
      u->error_message = g_strdup (message);
      g_test_message ("ERROR %u: %s", u->error_code, u->error_message);
    }
  else if (frame.type == FERRY_MSG_OFFER)
    {
      const char *id;
      const guint8 *sha;

      /* ferry_message_parse() saw to it that the sha256 is FERRY_SHA256_SIZE bytes. */
      ferry_msg_offer_get (v, &id, NULL, NULL, &sha, NULL, NULL, NULL, NULL, NULL, NULL);
      u->offer_id = g_strdup (id);
      memcpy (u->offer_sha, sha, FERRY_SHA256_SIZE);
    }
  else
    g_error ("Unexpected frame type %d", frame.type);
  return TRUE;
}

/* Connects, says HELLO and UPLOAD, and reads ACCEPT or ERROR. */
static Upload *
upload_start (FerryTestServer *server,
              const char      *name,
              guint64          size,
              guint32          seed)
{
  Upload *u = g_new0 (Upload, 1);

  u->size = size;
  u->rand = g_rand_new_with_seed (seed);
  u->checksum = ferry_checksum_new ();
  u->conn = ferry_test_raw_connect (server);
  ferry_test_raw_handshake (u->conn);
  ferry_test_raw_send (u->conn,
                       ferry_msg_upload_new (name, size, "", 0, 0));
  g_assert_true (upload_read (u));
  u->alive = u->accepted;
  return u;
}

static gboolean
send_all (Upload     *u,
          const void *data,
          gsize       len)
{
  GOutputStream *out = g_io_stream_get_output_stream (u->conn);

  return g_output_stream_write_all (out, data, len, NULL, NULL, NULL);
}

/* Sends the next @len bytes (or the rest), as one DATA frame. A server that has given up on
 * the upload may reset the connection: the upload is then no longer alive. */
static void
upload_send (Upload  *u,
             guint64  len)
{
  guint8 header[FERRY_FRAME_HEADER_SIZE + FERRY_DATA_HEADER_SIZE];
  g_autofree guint32 *chunk = NULL;

  len = MIN (len, u->size - u->sent);
  if (len == 0)
    return;
  g_assert_cmpuint (len % 4, ==, 0);
  chunk = g_new (guint32, len / 4);
  for (gsize i = 0; i < len / 4; i++)
    chunk[i] = g_rand_int (u->rand);
  ferry_checksum_update (u->checksum, (const guint8 *) chunk, len);

  ferry_data_header_encode (header, u->sent, len);
  u->sent += len;
  if (u->alive && !(send_all (u, header, sizeof header) && send_all (u, chunk, len)))
    u->alive = FALSE;
}

/* Sends END if the upload is still alive, then reads until OFFER, ERROR or the end. */
static void
upload_finish (Upload *u)
{
  g_assert_cmpuint (u->sent, ==, u->size);
  ferry_checksum_finish (u->checksum, u->digest);
  if (u->alive)
    {
      g_autoptr(GBytes) end = ferry_msg_end_new (u->digest);
      gsize len;
      const void *data = g_bytes_get_data (end, &len);

      if (!send_all (u, data, len))
        u->alive = FALSE;
    }
  while (!u->error_code && !u->offer_id && upload_read (u))
    ;
}

/* Waits until the server has written @size bytes of the upload in progress. */
typedef struct
{
  Fixture *f;
  guint64  size;
} PartialWait;

static gboolean
partial_holds (gpointer data)
{
  PartialWait *w = data;
  g_autofree char *partial = g_build_filename (w->f->server->data_dir, "partial", NULL);
  g_autoptr(GDir) dir = g_dir_open (partial, 0, NULL);
  const char *name;
  guint64 total = 0;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *path = g_build_filename (partial, name, NULL);
      GStatBuf st;

      if (g_stat (path, &st) == 0)
        total += (guint64) st.st_size;
    }
  return total >= w->size;
}

static gboolean
partial_is_empty (gpointer data)
{
  return ferry_test_count_dir (data) == 0;
}

/* A good client, beside whatever is going on, uploads a file of @size and sees it listed. */
static void
assert_good_upload (Fixture *f,
                    guint64  size)
{
  g_autofree char *config = g_build_filename (f->tmp, "good", NULL);
  g_autofree char *src = ferry_test_make_file (f->tmp, "good.bin", size);
  g_autoptr(FerryClient) client = ferry_test_client_new (f->server, config, "Good");
  g_autoptr(GFile) file = g_file_new_for_path (src);
  g_autoptr(FerryTransfer) transfer = ferry_client_upload (client, file, NULL);
  g_autoptr(GError) error = ferry_test_run_transfer (transfer);

  g_assert_no_error (error);
  g_assert_cmpuint (ferry_offer_get_size (ferry_transfer_get_offer (transfer)), ==, size);
}

/* An announced upload that sends nothing holds nothing: the quota stays open to others. */
static void
test_silent_upload (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(Upload) silent = NULL;
  g_autoptr(Upload) again = NULL;

  f->server = ferry_test_server_start (NULL, 0, "--quota", "64M", NULL);

  silent = upload_start (f->server, "silent.bin", 64 * MiB, 1);
  g_assert_true (silent->accepted);
  /* The same, reconnected: still nothing held. */
  again = upload_start (f->server, "again.bin", 64 * MiB, 2);
  g_assert_true (again->accepted);

  assert_good_upload (f, 1 * MiB);
}

/* An upload that sent a little and stopped holds what it sent plus at most
 * FERRY_STORE_RESERVE_AHEAD: a 32 MiB quota still takes another 27 MiB. */
static void
test_stalled_upload (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(Upload) stalled = NULL;
  PartialWait wait = { f, FERRY_CHUNK_SIZE };

  f->server = ferry_test_server_start (NULL, 0, "--quota", "32M", NULL);

  stalled = upload_start (f->server, "stalled.bin", 32 * MiB, 3);
  g_assert_true (stalled->accepted);
  upload_send (stalled, FERRY_CHUNK_SIZE);
  ferry_test_wait_for (partial_holds, &wait, 30);

  assert_good_upload (f, 27 * MiB);
}

/* Eight stalled uploads from one address hold at most FERRY_STORE_ADDRESS_AHEAD_MAX ahead, not
 * eight times FERRY_STORE_RESERVE_AHEAD: a 64 MiB quota still takes another 40 MiB. */
static void
test_address_bound (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GPtrArray) stalled = g_ptr_array_new_with_free_func ((GDestroyNotify) upload_free);
  PartialWait wait = { f, 0 };

  f->server = ferry_test_server_start (NULL, 0, "--quota", "64M", NULL);

  for (guint i = 0; i < 8; i++)
    {
      g_autofree char *name = g_strdup_printf ("stalled-%u.bin", i);
      Upload *u = upload_start (f->server, name, 8 * MiB, 10 + i);

      g_assert_true (u->accepted);
      g_ptr_array_add (stalled, u);
      upload_send (u, FERRY_CHUNK_SIZE);
      wait.size += FERRY_CHUNK_SIZE;
      ferry_test_wait_for (partial_holds, &wait, 30);
    }

  assert_good_upload (f, 40 * MiB);
}

/* Two uploads that each fit alone but not together, sent side by side: exactly one completes,
 * with its bytes intact, and the other gets NO_SPACE (before ACCEPT or on the way) saying
 * @reason; it is not left to die on a full disk. */
static void
two_uploads (Fixture    *f,
             guint64     size,
             const char *reason)
{
  g_autoptr(Upload) a = upload_start (f->server, "a.bin", size, 100);
  g_autoptr(Upload) b = upload_start (f->server, "b.bin", size, 200);
  Upload *winner;
  Upload *loser;
  g_autofree char *blob = NULL;
  g_autofree char *blob_sha = NULL;
  g_autofree char *want_sha = NULL;
  g_autofree char *partial = g_build_filename (f->server->data_dir, "partial", NULL);

  while (a->sent < size || b->sent < size)
    {
      upload_send (a, FERRY_CHUNK_SIZE);
      upload_send (b, FERRY_CHUNK_SIZE);
    }
  upload_finish (a);
  upload_finish (b);

  g_assert_true (!a->offer_id != !b->offer_id);
  winner = a->offer_id ? a : b;
  loser = a->offer_id ? b : a;
  g_test_message ("the loser was %s ACCEPT", loser->accepted ? "refused after" : "refused before");

  g_assert_cmpuint (loser->error_code, ==, FERRY_ERROR_NO_SPACE);
  g_assert_nonnull (strstr (loser->error_message, reason));

  /* The winner's offer carries its bytes, and the blob on disk holds them. */
  g_assert_cmpmem (winner->offer_sha, FERRY_SHA256_SIZE, winner->digest, FERRY_SHA256_SIZE);
  blob = g_build_filename (f->server->data_dir, "blobs", winner->offer_id, NULL);
  blob_sha = ferry_test_sha256_file (blob);
  want_sha = ferry_sha256_to_hex (winner->digest);
  g_assert_cmpstr (blob_sha, ==, want_sha);

  /* Nothing of the loser is left behind. */
  ferry_test_wait_for (partial_is_empty, partial, 30);
}

/* On a real 160 MiB tmpfs (64 MiB kept free before the fix, 10 MiB after), two 90 MiB uploads. */
static void
test_two_uploads_disk (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *disk = g_build_filename (f->tmp, "disk", NULL);
  g_autofree char *data_dir = g_build_filename (disk, "data", NULL);
  const char *argv[] = { "mount", "-t", "tmpfs", "-o", "size=160m,mode=0700", "tmpfs", disk,
                         NULL };
  g_autoptr(GError) error = NULL;
  int status = -1;

  if (geteuid () != 0)
    {
      g_test_skip ("Mounting a small tmpfs needs root; run the tests as root for this one");
      return;
    }
  g_assert_no_errno (g_mkdir_with_parents (disk, 0700));
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH |
                     G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, NULL, NULL, &status, &error) ||
      !g_spawn_check_wait_status (status, &error))
    {
      g_autofree char *why = g_strdup_printf ("Could not mount a tmpfs on %s: %s", disk,
                                              error->message);

      g_test_skip (why);
      return;
    }
  f->mounted = g_strdup (disk);

  f->server = ferry_test_server_start (data_dir, 0, "--no-tls", NULL);
  two_uploads (f, 90 * MiB, "disk");

  /* With 90 MiB of 160 MiB used, a 90 MiB upload is refused before ACCEPT, with the reason. */
  {
    g_autoptr(Upload) c = upload_start (f->server, "c.bin", 90 * MiB, 300);

    g_assert_false (c->accepted);
    g_assert_cmpuint (c->error_code, ==, FERRY_ERROR_NO_SPACE);
    g_assert_nonnull (strstr (c->error_message, "disk has room for"));
  }
}

/* The same with the quota as the limit. */
static void
test_two_uploads_quota (Fixture       *f,
                        gconstpointer  data)
{
  f->server = ferry_test_server_start (NULL, 0, "--no-tls", "--quota", "40M", NULL);
  two_uploads (f, 24 * MiB, "quota");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/reservations/silent-upload-holds-nothing", test_silent_upload);
  ADD ("/reservations/stalled-upload-holds-little", test_stalled_upload);
  ADD ("/reservations/one-address-holds-little", test_address_bound);
  ADD ("/reservations/two-uploads-full-disk", test_two_uploads_disk);
  ADD ("/reservations/two-uploads-full-quota", test_two_uploads_quota);

  return g_test_run ();
}
