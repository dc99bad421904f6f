/* test-budget.c: peers that do not read cost the server a bounded amount of memory
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The server's resident memory is read from /proc/PID/status before and after each abuse.
 */
#include "config.h"

#include <string.h>
#include <sqlite3.h>
#include <glib/gstdio.h>

#include "ferry-test-harness.h"
#include "ferry-checksum.h"
#include "ferry-error.h"
#include "ferry-identity.h"
#include "ferry-message.h"

/* How much the server may grow while it is abused. Its output budget per peer is 256 KiB. */
#define RSS_SLACK_KIB    (8 * 1024)

/* AddressSanitizer keeps freed memory in quarantine (256 MiB by default), so under it the
 * server's RSS says nothing about what the server holds: only the other checks apply. */
#if defined(__SANITIZE_ADDRESS__)
# define assert_rss_bounded(before, after) \
  g_test_message ("RSS not checked under AddressSanitizer")
#else
# define assert_rss_bounded(before, after) \
  g_assert_cmpuint ((after), <, (before) + RSS_SLACK_KIB)
#endif

#define FLOOD_MAX_PINGS  1000000
#define FLOOD_BATCH      1000

#define N_OFFERS         10000
#define N_SILENT         4
#define NAME_LEN         1000

static guint64
server_rss_kib (FerryTestServer *server)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status",
                                           g_subprocess_get_identifier (server->process));
  g_autofree char *status = NULL;
  g_autoptr(GError) error = NULL;
  const char *line;

  g_file_get_contents (path, &status, NULL, &error);
  g_assert_no_error (error);
  line = strstr (status, "VmRSS:");
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen ("VmRSS:"), NULL, 10);
}

/* A real client uploads a file and sees it listed. */
static void
assert_good_client_served (FerryTestServer *server,
                           const char      *tmp,
                           const char      *user)
{
  g_autofree char *config = g_build_filename (tmp, user, NULL);
  g_autofree char *name = g_strdup_printf ("%s.bin", user);
  g_autofree char *src = ferry_test_make_file (tmp, name, 300000);
  g_autoptr(FerryClient) client = ferry_test_client_new (server, config, user);
  g_autoptr(GFile) file = g_file_new_for_path (src);
  g_autoptr(FerryTransfer) transfer = ferry_client_upload (client, file, NULL);
  g_autoptr(GError) error = ferry_test_run_transfer (transfer);
  FerryOffer *offer;

  g_assert_no_error (error);
  ferry_test_client_connect (client);
  offer = ferry_transfer_get_offer (transfer);
  g_assert_nonnull (offer);
  g_assert_nonnull (ferry_client_lookup_offer (client, ferry_offer_get_id (offer)));
}

/* A PING flood from a peer that never reads its PONGs. */

typedef struct
{
  FerryTestServer *server;
  guint            sent;
  gboolean         dropped;
  gint             done;   /* atomic */
} Flood;

static gpointer
flood_thread (gpointer user_data)
{
  Flood *flood = user_data;
  g_autoptr(GIOStream) conn = ferry_test_raw_connect (flood->server);
  g_autoptr(GByteArray) batch = g_byte_array_new ();
  GOutputStream *out = g_io_stream_get_output_stream (conn);

  ferry_test_raw_handshake (conn);
  for (guint i = 0; i < FLOOD_BATCH; i++)
    {
      g_autoptr(GBytes) ping = ferry_msg_ping_new (i);
      gsize len;
      const guint8 *p = g_bytes_get_data (ping, &len);

      g_byte_array_append (batch, p, len);
    }

  while (flood->sent < FLOOD_MAX_PINGS)
    {
      g_autoptr(GError) error = NULL;

      if (!g_output_stream_write_all (out, batch->data, batch->len, NULL, NULL, &error))
        {
          g_test_message ("the flooder's write failed after %u PINGs: %s", flood->sent,
                          error->message);
          /* A socket timeout would mean the server stopped reading but kept the peer. */
          flood->dropped = !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
          break;
        }
      flood->sent += FLOOD_BATCH;
    }
  g_atomic_int_set (&flood->done, TRUE);
  return NULL;
}

static gboolean
flood_done (gpointer data)
{
  Flood *flood = data;

  return g_atomic_int_get (&flood->done);
}

static void
test_ping_flood (void)
{
  FerryTestServer *server = ferry_test_server_start (NULL, 0, NULL);
  g_autofree char *tmp = ferry_test_tmpdir ();
  Flood flood = { .server = server };
  GThread *thread;
  guint64 before, after;

  /* The baseline includes what serving one ordinary client costs. */
  assert_good_client_served (server, tmp, "Warm");
  before = server_rss_kib (server);

  thread = g_thread_new ("flood", flood_thread, &flood);
  assert_good_client_served (server, tmp, "During");
  ferry_test_wait_for (flood_done, &flood, 180);
  g_thread_join (thread);
  assert_good_client_served (server, tmp, "After");
  after = server_rss_kib (server);

  g_test_message ("PING flood: %u PINGs sent; server RSS %" G_GUINT64_FORMAT " KiB before, %"
                  G_GUINT64_FORMAT " KiB after", flood.sent, before, after);
  g_assert_true (flood.dropped);
  g_assert_cmpuint (flood.sent, <, FLOOD_MAX_PINGS);
  assert_rss_bounded (before, after);

  ferry_test_server_free (server);
  ferry_test_rm_rf (tmp);
}

/* A catalogue of N_OFFERS offers with long names, written straight into a stopped server's
 * data directory: one-byte blobs, and the rows in one transaction. The server takes them at
 * start (reconciliation keeps every row whose blob has the right size). */
static char *
offer_id (guint i)
{
  return g_strdup_printf ("%016x", i + 1);
}

/* The first and the last seeded offers belong to the person with @owner_config. */
static void
seed_catalogue (const char *data_dir,
                const char *owner_config)
{
  g_autofree char *db_path = g_build_filename (data_dir, "catalogue.sqlite", NULL);
  g_autofree char *blobs = g_build_filename (data_dir, "blobs", NULL);
  g_autofree char *identity = g_build_filename (owner_config, "ferry", "identity", NULL);
  g_autoptr(FerryChecksum) checksum = ferry_checksum_new ();
  g_autoptr(GError) identity_error = NULL;
  guint8 secret[FERRY_SECRET_SIZE];
  guint8 owner[FERRY_SHA256_SIZE];
  guint8 hash[32] = { 0 };
  sqlite3_stmt *stmt = NULL;
  sqlite3 *db = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_assert_true (ferry_identity_load (identity, secret, &identity_error));
  ferry_checksum_update (checksum, secret, sizeof secret);
  ferry_checksum_finish (checksum, owner);

  g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "BEGIN;", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "INSERT INTO offers (id, name, size, sha256, uploader, "
                                       "owner_hash, created, expires) "
                                       "VALUES (?1, ?2, 1, ?3, 'Seeder', ?4, ?5, 0);",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  for (guint i = 0; i < N_OFFERS; i++)
    {
      g_autofree char *id = offer_id (i);
      g_autofree char *blob = g_build_filename (blobs, id, NULL);
      g_autoptr(GString) name = g_string_new (NULL);
      g_autoptr(GError) error = NULL;

      g_string_printf (name, "offer-%05u-", i);
      while (name->len < NAME_LEN - 4)
        g_string_append_c (name, 'x');
      g_string_append (name, ".txt");

      g_file_set_contents (blob, "x", 1, &error);
      g_assert_no_error (error);

      sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, name->str, -1, SQLITE_TRANSIENT);
      sqlite3_bind_blob (stmt, 3, hash, sizeof hash, SQLITE_STATIC);
      if (i == 0 || i == N_OFFERS - 1)
        sqlite3_bind_blob (stmt, 4, owner, sizeof owner, SQLITE_STATIC);
      else
        sqlite3_bind_blob (stmt, 4, hash, sizeof hash, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 5, now);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
      sqlite3_reset (stmt);
    }
  sqlite3_finalize (stmt);
  g_assert_cmpint (sqlite3_exec (db, "COMMIT;", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

static GIOStream *
subscribe_raw (FerryTestServer *server)
{
  GIOStream *conn = ferry_test_raw_connect (server);

  ferry_test_raw_handshake (conn);
  ferry_test_raw_send (conn, ferry_msg_subscribe_new ());
  return conn;
}

static void
deleted_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (ferry_client_delete_finish (FERRY_CLIENT (object), result, &error));
  g_assert_no_error (error);
  *done = TRUE;
}

static void
delete_offer (FerryClient *owner,
              const char  *id)
{
  gboolean done = FALSE;

  ferry_client_delete_async (owner, id, NULL, deleted_cb, &done);
  ferry_test_wait (&done, 30);
}

/* Reads a whole subscription, a little at a time. Half-way through the snapshot, someone
 * uploads a file and the owner deletes an offer already sent and one not sent yet. In the end
 * the reader must hold what the server holds: each offer arrived once, and DELETED came only
 * after SYNCED (a client replaces its list at SYNCED). */
static void
read_subscription_slowly (GIOStream       *conn,
                          FerryTestServer *server,
                          const char      *tmp,
                          FerryClient     *owner)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) held = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *first_id = offer_id (0);
  g_autofree char *last_id = offer_id (N_OFFERS - 1);
  g_autofree char *late_id = NULL;
  guint n_snapshot = 0;
  gboolean synced = FALSE;

  while (!synced || !late_id || !g_hash_table_contains (held, late_id) ||
         g_hash_table_contains (held, first_id) || g_hash_table_contains (held, last_id))
    {
      g_auto(FerryFrame) frame = { 0 };
      g_autoptr(GVariant) value = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_true (ferry_test_raw_read (conn, &frame));
      value = ferry_message_parse (&frame, &error);
      g_assert_no_error (error);

      if (frame.type == FERRY_MSG_OFFER)
        {
          const char *id;

          ferry_msg_offer_get (value, &id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
          g_assert_false (g_hash_table_contains (seen, id));
          g_hash_table_add (seen, g_strdup (id));
          g_hash_table_add (held, g_strdup (id));
          if (!synced)
            {
              g_assert_true (frame.flags & FERRY_FRAME_FLAG_SNAPSHOT);
              n_snapshot++;
            }
          else
            {
              g_assert_false (frame.flags & FERRY_FRAME_FLAG_SNAPSHOT);
            }
        }
      else if (frame.type == FERRY_MSG_DELETED)
        {
          const char *id = ferry_msg_deleted_get_id (value);

          g_assert_true (synced);
          g_assert_true (g_hash_table_remove (held, id));
        }
      else if (frame.type == FERRY_MSG_SYNCED)
        {
          guint32 n = ferry_msg_synced_get_count (value);

          g_assert_false (synced);
          g_assert_cmpuint (n, ==, n_snapshot);
          synced = TRUE;
        }
      else
        {
          g_error ("Unexpected %s", ferry_message_type_to_string (frame.type));
        }

      /* Slowly: a pause every 500 frames. */
      if (n_snapshot % 500 == 0 && !synced)
        g_usleep (20 * 1000);
      if (n_snapshot == N_OFFERS / 2 && !late_id)
        {
          g_autofree char *config = g_build_filename (tmp, "Late", NULL);
          g_autofree char *src = ferry_test_make_file (tmp, "late.bin", 1000);
          g_autoptr(FerryClient) client = ferry_test_client_new (server, config, "Late");
          g_autoptr(GFile) file = g_file_new_for_path (src);
          g_autoptr(FerryTransfer) transfer = ferry_client_upload (client, file, NULL);
          g_autoptr(GError) upload_error = ferry_test_run_transfer (transfer);

          g_assert_no_error (upload_error);
          late_id = g_strdup (ferry_offer_get_id (ferry_transfer_get_offer (transfer)));
          delete_offer (owner, first_id);
          delete_offer (owner, last_id);
        }
    }

  g_assert_true (g_hash_table_contains (seen, first_id));
  for (guint i = 1; i < N_OFFERS - 1; i++)
    {
      g_autofree char *id = offer_id (i);

      g_assert_true (g_hash_table_contains (held, id));
    }
  /* and the two that good clients uploaded before */
  g_assert_cmpuint (g_hash_table_size (held), ==, N_OFFERS - 2 + 3);
}

static gboolean
connection_reset (gpointer data)
{
  GOutputStream *out = g_io_stream_get_output_stream (data);
  g_autoptr(GError) error = NULL;

  /* Bytes the server never reads; once it has closed, the socket is reset. */
  return g_output_stream_write (out, "x", 1, NULL, &error) < 0;
}

static void
test_silent_subscribers (void)
{
  g_autofree char *tmp = ferry_test_tmpdir ();
  g_autofree char *data_dir = g_build_filename (tmp, "data", NULL);
  g_autofree char *owner_config = NULL;
  g_autoptr(FerryClient) owner = NULL;
  FerryTestServer *server;
  GIOStream *silent[N_SILENT];
  guint64 before, after;

  /* A first start lays out the data directory and the catalogue's schema. */
  server = ferry_test_server_start (data_dir, 0, NULL);
  ferry_test_server_stop (server);
  g_clear_pointer (&server->data_dir, g_free);   /* keep it */
  ferry_test_server_free (server);
  owner_config = g_build_filename (tmp, "Owner", NULL);
  seed_catalogue (data_dir, owner_config);
  server = ferry_test_server_start (data_dir, 0, NULL);

  /* The baseline includes what serving ordinary clients costs (the first TLS connection alone
   * costs several MiB); a real client gets the whole list. */
  {
    g_autofree char *config = g_build_filename (tmp, "Good", NULL);
    g_autoptr(FerryClient) client = ferry_test_client_new (server, config, "Good");

    ferry_test_client_connect (client);
    g_assert_cmpuint (g_list_model_get_n_items (ferry_client_get_offers (client)), ==,
                      N_OFFERS);
  }
  assert_good_client_served (server, tmp, "Warm");
  before = server_rss_kib (server);

  /* Peers that subscribe to the big catalogue and never read a byte. */
  for (guint i = 0; i < N_SILENT; i++)
    silent[i] = subscribe_raw (server);

  /* Real clients are still served. */
  assert_good_client_served (server, tmp, "Uploader");

  /* A slow reader gets everything. */
  {
    g_autoptr(GIOStream) slow = subscribe_raw (server);

    owner = ferry_test_client_new (server, owner_config, "Owner");
    read_subscription_slowly (slow, server, tmp, owner);
  }

  after = server_rss_kib (server);
  g_test_message ("%u silent subscribers of %u offers: server RSS %" G_GUINT64_FORMAT
                  " KiB before, %" G_GUINT64_FORMAT " KiB after", N_SILENT, N_OFFERS,
                  before, after);
  assert_rss_bounded (before, after);

  /* A broken frame from a peer that does not read: the server answers ERROR and closes, and
   * does not wait for ever for the peer to take what is queued. */
  ferry_test_raw_send_data (silent[0], "not a frame!", 12);
  ferry_test_wait_for (connection_reset, silent[0], 30);

  for (guint i = 0; i < N_SILENT; i++)
    g_object_unref (silent[i]);
  ferry_test_server_free (server);
  ferry_test_rm_rf (tmp);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/budget/ping-flood", test_ping_flood);
  g_test_add_func ("/budget/silent-subscribers-of-10000-offers", test_silent_subscribers);

  return g_test_run ();
}
