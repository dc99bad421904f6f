/* test-resume.c: downloads go on from NAME.part and its sidecar, from any byte, after a cut
 * by the engine's own stop, a killed server or a Ctrl+C; a changed offer or a changed
 * NAME.part starts over and never yields a corrupt file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <glib/gstdio.h>

#include "ferry-test-harness.h"
#include "ferry-checksum.h"
#include "ferry-client.h"
#include "ferry-download-sidecar.h"
#include "ferry-error.h"
#include "ferry-frame.h"

#define SIZE ((guint64) 3 * FERRY_CHUNK_SIZE + 1234)

typedef struct
{
  FerryTestServer *server;
  char            *tmp;
  char            *config;
  char            *out;
  FerryClient     *client;
  char            *src;
  char            *src_sha;
  char            *id;
  guint8           sha256[FERRY_SHA256_SIZE];
} Fixture;

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(FerryTransfer) up = NULL;
  g_autoptr(GError) error = NULL;

  f->server = ferry_test_server_start (NULL, 0, NULL);
  f->tmp = ferry_test_tmpdir ();
  f->config = g_build_filename (f->tmp, "config", NULL);
  f->out = g_build_filename (f->tmp, "out", NULL);
  g_assert_no_errno (g_mkdir_with_parents (f->out, 0700));
  f->client = ferry_test_client_new (f->server, f->config, "Alice");

  f->src = ferry_test_make_file (f->tmp, "report.bin", SIZE);
  f->src_sha = ferry_test_sha256_file (f->src);
  file = g_file_new_for_path (f->src);
  up = ferry_client_upload (f->client, file, NULL);
  error = ferry_test_run_transfer (up);
  g_assert_no_error (error);
  f->id = g_strdup (ferry_offer_get_id (ferry_transfer_get_offer (up)));
  memcpy (f->sha256, ferry_offer_get_sha256 (ferry_transfer_get_offer (up)), FERRY_SHA256_SIZE);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  g_clear_object (&f->client);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  ferry_test_server_stop (f->server);
  ferry_test_server_free (f->server);
  ferry_test_rm_rf (f->tmp);
  g_free (f->tmp);
  g_free (f->config);
  g_free (f->out);
  g_free (f->src);
  g_free (f->src_sha);
  g_free (f->id);
}

/* NAME.part holding @prefix (@len bytes), with a sidecar that says it holds that many good
 * bytes of an offer of SHA-256 @offer_sha256: the state a download stopped at byte @len
 * leaves, in the format PROTOCOL.md gives. */
static void
leave_part (Fixture      *f,
            const guint8 *prefix,
            gsize         len,
            const guint8 *offer_sha256)
{
  g_autofree char *path = g_build_filename (f->out, "report.bin.part", NULL);
  g_autoptr(GFile) part = g_file_new_for_path (path);
  g_autoptr(FerryChecksum) checksum = ferry_checksum_new ();
  g_autoptr(GError) error = NULL;
  FerrySidecar sidecar = { 0 };

  g_assert_true (g_file_set_contents (path, (const char *) prefix, (gssize) len, &error));
  ferry_checksum_update (checksum, prefix, len);
  ferry_checksum_finish (checksum, sidecar.count_sha256);
  sidecar.server = f->server->address;
  sidecar.offer_id = f->id;
  memcpy (sidecar.offer_sha256, offer_sha256, FERRY_SHA256_SIZE);
  sidecar.size = SIZE;
  sidecar.count = len;
  g_assert_true (ferry_sidecar_save (&sidecar, part, NULL, &error));
  g_assert_no_error (error);
}

static void
running_cb (FerryTransfer *transfer,
            GParamSpec    *pspec,
            gpointer       user_data)
{
  gint64 *first = user_data;

  if (ferry_transfer_get_state (transfer) == FERRY_TRANSFER_RUNNING && *first < 0)
    *first = (gint64) ferry_transfer_get_bytes_done (transfer);
}

/* Downloads the offer into out/; returns the error, and in @started the byte it went on
 * from. */
static GError *
download (Fixture            *f,
          FerryDownloadFlags  flags,
          gint64             *started)
{
  g_autoptr(GFile) dest = g_file_new_for_path (f->out);
  g_autoptr(FerryTransfer) down = NULL;

  *started = -1;
  down = ferry_client_download (f->client, f->id, dest, FERRY_DOWNLOAD_INTO_DIRECTORY | flags);
  g_signal_connect (down, "notify::state", G_CALLBACK (running_cb), started);
  return ferry_test_run_transfer (down);
}

/* The saved file is the uploaded one, byte for byte, and nothing else is left. */
static void
assert_saved_whole (Fixture *f)
{
  g_autofree char *saved = g_build_filename (f->out, "report.bin", NULL);
  g_autofree char *got = ferry_test_sha256_file (saved);

  g_assert_cmpstr (got, ==, f->src_sha);
  g_assert_cmpuint (ferry_test_count_dir (f->out), ==, 1);
}

/* From every interesting byte: 0, 1, a chunk less one, a chunk, a chunk and one, the middle,
 * the last byte, and all of them. */
static void
test_download_from_any_byte (Fixture       *f,
                             gconstpointer  data)
{
  const guint64 cuts[] = { 0, 1, FERRY_CHUNK_SIZE - 1, FERRY_CHUNK_SIZE, FERRY_CHUNK_SIZE + 1,
                           SIZE / 2, SIZE - 1, SIZE };
  g_autofree char *contents = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (f->src, &contents, &len, NULL));
  g_assert_cmpuint (len, ==, SIZE);
  for (gsize i = 0; i < G_N_ELEMENTS (cuts); i++)
    {
      g_autofree char *saved = g_build_filename (f->out, "report.bin", NULL);
      g_autoptr(GError) error = NULL;
      gint64 started;

      g_test_message ("resuming at byte %" G_GUINT64_FORMAT, cuts[i]);
      leave_part (f, (const guint8 *) contents, cuts[i], f->sha256);
      error = download (f, 0, &started);
      g_assert_no_error (error);
      g_assert_cmpint (started, ==, (gint64) cuts[i]);
      assert_saved_whole (f);
      g_assert_no_errno (g_unlink (saved));
    }
}

/* The proof that the kept bytes are used, not fetched again: a NAME.part whose bytes differ
 * from the offer's, with a sidecar that vouches for them, ends in a checksum mismatch (and
 * nothing is saved), not in a good file. */
static void
test_download_uses_kept_bytes (Fixture       *f,
                               gconstpointer  data)
{
  g_autofree guint8 *wrong = g_malloc0 (FERRY_CHUNK_SIZE);
  g_autoptr(GError) error = NULL;
  gint64 started;

  leave_part (f, wrong, FERRY_CHUNK_SIZE, f->sha256);
  error = download (f, 0, &started);
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_CHECKSUM);
  g_assert_cmpint (started, ==, FERRY_CHUNK_SIZE);
  g_assert_cmpuint (ferry_test_count_dir (f->out), ==, 0);
}

/* A sidecar of other content (the offer's SHA-256 differs): the server sends from 0, and the
 * client writes over NAME.part from its start. */
static void
test_download_changed_offer (Fixture       *f,
                             gconstpointer  data)
{
  g_autofree guint8 *other = g_malloc (FERRY_CHUNK_SIZE + 5);
  guint8 other_sha[FERRY_SHA256_SIZE];
  g_autoptr(GError) error = NULL;
  gint64 started;

  memset (other, 0xab, FERRY_CHUNK_SIZE + 5);
  memset (other_sha, 0x42, sizeof other_sha);
  leave_part (f, other, FERRY_CHUNK_SIZE + 5, other_sha);
  error = download (f, 0, &started);
  g_assert_no_error (error);
  g_assert_cmpint (started, ==, 0);
  assert_saved_whole (f);
}

/* NAME.part changed or cut short since its sidecar was written: it starts over. */
static void
test_download_changed_part (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *contents = NULL;
  g_autofree char *path = g_build_filename (f->out, "report.bin.part", NULL);
  g_autoptr(GError) error = NULL;
  gint64 started;

  g_assert_true (g_file_get_contents (f->src, &contents, NULL, NULL));
  leave_part (f, (const guint8 *) contents, FERRY_CHUNK_SIZE * 2, f->sha256);
  /* Cut short: a crash lost the end of what the sidecar counts. */
  g_assert_no_errno (truncate (path, FERRY_CHUNK_SIZE));
  error = download (f, 0, &started);
  g_assert_no_error (error);
  g_assert_cmpint (started, ==, 0);
  assert_saved_whole (f);
}

/* --no-resume: what an earlier run left goes, and the download starts at 0 under NAME. */
static void
test_download_no_resume (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gint64 started;

  g_assert_true (g_file_get_contents (f->src, &contents, NULL, NULL));
  leave_part (f, (const guint8 *) contents, FERRY_CHUNK_SIZE, f->sha256);
  error = download (f, FERRY_DOWNLOAD_NO_RESUME, &started);
  g_assert_no_error (error);
  g_assert_cmpint (started, ==, 0);
  assert_saved_whole (f);
}

/* A NAME.part with no sidecar of ours is someone else's: left alone, the download takes
 * "NAME (1)". */
static void
test_download_foreign_part (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->out, "report.bin.part", NULL);
  g_autofree char *saved = g_build_filename (f->out, "report (1).bin", NULL);
  g_autofree char *got = NULL;
  g_autofree char *kept = NULL;
  g_autoptr(GError) error = NULL;
  gint64 started;

  g_assert_true (g_file_set_contents (path, "mine", -1, NULL));
  error = download (f, 0, &started);
  g_assert_no_error (error);
  got = ferry_test_sha256_file (saved);
  g_assert_cmpstr (got, ==, f->src_sha);
  g_assert_true (g_file_get_contents (path, &kept, NULL, NULL));
  g_assert_cmpstr (kept, ==, "mine");
}

static void
done_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  guint *left = user_data;

  ferry_transfer_run_finish (FERRY_TRANSFER (object), result, &error);
  g_assert_no_error (error);
  (*left)--;
}

static gboolean
none_left (gpointer data)
{
  return *(guint *) data == 0;
}

/* Two downloads of the offer into the same folder at once, with an earlier run's NAME.part
 * there: one goes on with it, the other (locked out) takes a name of its own; both are
 * whole. */
static void
test_download_twice_at_once (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GFile) dest = g_file_new_for_path (f->out);
  g_autoptr(FerryTransfer) one = NULL;
  g_autoptr(FerryTransfer) two = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *first = g_build_filename (f->out, "report.bin", NULL);
  g_autofree char *second = g_build_filename (f->out, "report (1).bin", NULL);
  g_autofree char *got_first = NULL;
  g_autofree char *got_second = NULL;
  guint left = 2;

  g_assert_true (g_file_get_contents (f->src, &contents, NULL, NULL));
  leave_part (f, (const guint8 *) contents, FERRY_CHUNK_SIZE, f->sha256);
  one = ferry_client_download (f->client, f->id, dest, FERRY_DOWNLOAD_INTO_DIRECTORY);
  two = ferry_client_download (f->client, f->id, dest, FERRY_DOWNLOAD_INTO_DIRECTORY);
  ferry_transfer_run_async (one, NULL, done_cb, &left);
  ferry_transfer_run_async (two, NULL, done_cb, &left);
  ferry_test_wait_for (none_left, &left, 30);

  got_first = ferry_test_sha256_file (first);
  got_second = ferry_test_sha256_file (second);
  g_assert_cmpstr (got_first, ==, f->src_sha);
  g_assert_cmpstr (got_second, ==, f->src_sha);
  g_assert_cmpuint (ferry_test_count_dir (f->out), ==, 2);
}

/* Shares a file of @size instead of the fixture's. */
static void
share_big (Fixture *f,
           guint64  size)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(FerryTransfer) up = NULL;
  g_autoptr(GError) error = NULL;

  g_free (f->src);
  g_free (f->src_sha);
  g_free (f->id);
  f->src = ferry_test_make_file (f->tmp, "report.bin", size);
  f->src_sha = ferry_test_sha256_file (f->src);
  file = g_file_new_for_path (f->src);
  up = ferry_client_upload (f->client, file, NULL);
  error = ferry_test_run_transfer (up);
  g_assert_no_error (error);
  f->id = g_strdup (ferry_offer_get_id (ferry_transfer_get_offer (up)));
}

#define BIG ((guint64) 64 * 1024 * 1024)

typedef struct
{
  Fixture *f;
  gboolean killed;
} Killer;

/* Kills the server (SIGKILL) once NAME.part holds two chunks, with more to come. */
static gboolean
kill_server_cb (gpointer user_data)
{
  Killer *k = user_data;
  g_autofree char *part = g_build_filename (k->f->out, "report.bin.part", NULL);
  GStatBuf st;

  if (g_stat (part, &st) != 0 || st.st_size < 2 * FERRY_CHUNK_SIZE)
    return G_SOURCE_CONTINUE;
  k->killed = TRUE;
  g_subprocess_force_exit (k->f->server->process);
  return G_SOURCE_REMOVE;
}

static void
test_download_server_killed (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GFile) dest = g_file_new_for_path (f->out);
  g_autoptr(FerryTransfer) down = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dir = NULL;
  guint16 port = f->server->port;
  Killer k = { f, FALSE };
  gint64 started;
  guint poll_id;

  share_big (f, BIG);
  down = ferry_client_download (f->client, f->id, dest, FERRY_DOWNLOAD_INTO_DIRECTORY);
  poll_id = g_timeout_add (1, kill_server_cb, &k);
  error = ferry_test_run_transfer (down);
  if (!k.killed)
    g_source_remove (poll_id);
  g_test_message ("the download ended with: %s", error ? error->message : "success");
  g_assert_true (k.killed);
  g_assert_nonnull (error);
  /* What the app resumes by itself once connected again. */
  g_assert_true (ferry_error_is_connection_lost (error));
  g_assert_true (ferry_transfer_get_resumable (down));
  g_assert_cmpuint (ferry_test_count_dir (f->out), ==, 2);

  /* The same server again, on its data. */
  g_assert_true (g_subprocess_wait (f->server->process, NULL, NULL));
  data_dir = g_strdup (f->server->data_dir);
  g_clear_pointer (&f->server->data_dir, g_free);   /* kept for the new server */
  ferry_test_server_free (f->server);
  f->server = ferry_test_server_start (data_dir, port, NULL);

  g_clear_error (&error);
  error = download (f, 0, &started);
  g_assert_no_error (error);
  g_assert_cmpint (started, >=, 2 * FERRY_CHUNK_SIZE);
  assert_saved_whole (f);
}

typedef struct
{
  Fixture       *f;
  FerryTransfer *down;
  gboolean       frozen;
} Canceller;

/* Once NAME.part holds two chunks, with more to come, freezes the server (SIGSTOP), so that
 * nothing more arrives; once the bytes received are all written, cancels the download, and
 * lets the server go on. (A cancel while a write is in flight keeps only the last checkpoint.) */
static gboolean
cancel_download_cb (gpointer user_data)
{
  Canceller *c = user_data;
  g_autofree char *part = g_build_filename (c->f->out, "report.bin.part", NULL);
  int pid = atoi (g_subprocess_get_identifier (c->f->server->process));
  GStatBuf st;

  if (g_stat (part, &st) != 0 || st.st_size < 2 * FERRY_CHUNK_SIZE)
    return G_SOURCE_CONTINUE;
  if (!c->frozen)
    {
      g_assert_no_errno (kill (pid, SIGSTOP));
      c->frozen = TRUE;
      return G_SOURCE_CONTINUE;
    }
  if (ferry_transfer_get_bytes_done (c->down) != (guint64) st.st_size)
    return G_SOURCE_CONTINUE;
  ferry_transfer_cancel (c->down);
  g_assert_no_errno (kill (pid, SIGCONT));
  return G_SOURCE_REMOVE;
}

/* ferry_client_resume_transfer(): the app's Resume button. The new transfer makes the same
 * request, goes on from the kept NAME.part, and takes the stopped one's place in the
 * transfers model. */
static void
test_download_resume_transfer (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(GFile) dest = g_file_new_for_path (f->out);
  g_autoptr(FerryTransfer) down = NULL;
  g_autoptr(FerryTransfer) again = NULL;
  g_autoptr(FerryTransfer) item = NULL;
  g_autoptr(GError) error = NULL;
  GListModel *transfers = ferry_client_get_transfers (f->client);
  Canceller canceller = { f, NULL, FALSE };
  gint64 started = -1;
  guint position;
  guint n;

  share_big (f, BIG);
  down = ferry_client_download (f->client, f->id, dest, FERRY_DOWNLOAD_INTO_DIRECTORY);
  canceller.down = down;
  g_timeout_add (1, cancel_download_cb, &canceller);
  error = ferry_test_run_transfer (down);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (ferry_error_is_connection_lost (error));
  g_assert_true (ferry_transfer_get_resumable (down));
  n = g_list_model_get_n_items (transfers);
  position = n - 1;
  item = g_list_model_get_item (transfers, position);
  g_assert_true (item == down);
  g_clear_object (&item);

  again = ferry_client_resume_transfer (f->client, down);
  g_assert_true (again != down);
  g_assert_cmpint (ferry_transfer_get_state (again), ==, FERRY_TRANSFER_PENDING);
  g_signal_connect (again, "notify::state", G_CALLBACK (running_cb), &started);
  g_clear_error (&error);
  error = ferry_test_run_transfer (again);
  g_assert_no_error (error);
  g_assert_cmpint (started, >=, 2 * FERRY_CHUNK_SIZE);
  assert_saved_whole (f);

  /* One entry for the two runs, where the first one was. */
  g_assert_cmpuint (g_list_model_get_n_items (transfers), ==, n);
  item = g_list_model_get_item (transfers, position);
  g_assert_true (item == again);
}

static GSubprocess *
spawn_cli (Fixture    *f,
           const char *first_arg,
           ...)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GSubprocess *process;
  va_list ap;

  g_ptr_array_add (argv, (char *) g_getenv ("FERRY_CLI"));
  g_ptr_array_add (argv, (char *) "--server");
  g_ptr_array_add (argv, f->server->address);
  g_ptr_array_add (argv, (char *) "--trust");
  g_ptr_array_add (argv, f->server->fingerprint);
  va_start (ap, first_arg);
  for (const char *arg = first_arg; arg; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", f->config, TRUE);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  return process;
}

/* Waits (bounded) until the CLI's NAME.part holds bytes, then freezes the server so that the
 * download cannot end before the signal comes. */
static void
freeze_server_mid_download (Fixture *f)
{
  g_autofree char *part = g_build_filename (f->out, "report.bin.part", NULL);
  GStatBuf st;

  for (guint i = 0; i < 30000; i++)
    {
      if (g_stat (part, &st) == 0 && st.st_size > 0)
        break;
      g_usleep (1000);
    }
  g_assert_cmpint (g_stat (part, &st), ==, 0);
  g_assert_cmpint (st.st_size, >, 0);
  g_assert_cmpint (st.st_size, <, (goffset) BIG);
  g_assert_no_errno (kill (atoi (g_subprocess_get_identifier (f->server->process)), SIGSTOP));
}

static void
cli_cut_and_resume (Fixture *f,
                    int      signum)
{
  g_autoptr(GSubprocess) cli = NULL;
  g_autofree char *err = NULL;
  g_autofree char *out = NULL;
  int status;

  share_big (f, BIG);
  cli = spawn_cli (f, "download", "-o", f->out, f->id, NULL);
  freeze_server_mid_download (f);
  g_subprocess_send_signal (cli, signum);
  g_assert_true (g_subprocess_communicate_utf8 (cli, NULL, NULL, &out, &err, NULL));
  g_assert_no_errno (kill (atoi (g_subprocess_get_identifier (f->server->process)), SIGCONT));
  if (signum == SIGINT)
    {
      g_assert_true (g_subprocess_get_if_exited (cli));
      g_assert_cmpint (g_subprocess_get_exit_status (cli), !=, 0);
      g_assert_nonnull (strstr (err, "Run the same command again to resume."));
    }
  else
    g_assert_true (g_subprocess_get_if_signaled (cli));
  g_assert_cmpuint (ferry_test_count_dir (f->out), ==, 2);

  /* The same command again. */
  g_clear_pointer (&out, g_free);
  status = ferry_test_cli (f->server, f->config, &out, NULL, "download", "-o", f->out, f->id,
                           NULL);
  g_assert_cmpint (status, ==, 0);
  assert_saved_whole (f);
}

static void
test_cli_interrupted (Fixture       *f,
                      gconstpointer  data)
{
  cli_cut_and_resume (f, SIGINT);
}

static void
test_cli_killed (Fixture       *f,
                 gconstpointer  data)
{
  cli_cut_and_resume (f, SIGKILL);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, setup, func, teardown)

  ADD ("/resume/download/from-any-byte", test_download_from_any_byte);
  ADD ("/resume/download/uses-kept-bytes", test_download_uses_kept_bytes);
  ADD ("/resume/download/changed-offer", test_download_changed_offer);
  ADD ("/resume/download/changed-part", test_download_changed_part);
  ADD ("/resume/download/no-resume", test_download_no_resume);
  ADD ("/resume/download/foreign-part", test_download_foreign_part);
  ADD ("/resume/download/twice-at-once", test_download_twice_at_once);
  ADD ("/resume/download/server-killed", test_download_server_killed);
  ADD ("/resume/download/resume-transfer", test_download_resume_transfer);
  ADD ("/resume/download/cli-interrupted", test_cli_interrupted);
  ADD ("/resume/download/cli-killed", test_cli_killed);

  return g_test_run ();
}
