/* test-transfer.c: real clients against a real ferry-server on loopback
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "ferry-test-harness.h"
#include "ferry-error.h"
#include "ferry-frame.h"
#include "ferry-filename.h"

typedef FerryTestPeople Fixture;

static FerryOffer *
upload (FerryClient *client,
        const char  *path,
        const char  *name)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(FerryTransfer) transfer = ferry_client_upload (client, file, name);
  g_autoptr(GError) error = ferry_test_run_transfer (transfer);

  g_assert_no_error (error);
  g_assert_cmpint (ferry_transfer_get_state (transfer), ==, FERRY_TRANSFER_DONE);
  g_assert_nonnull (ferry_transfer_get_offer (transfer));
  return g_object_ref (ferry_transfer_get_offer (transfer));
}

static char *
download_into (FerryClient *client,
               const char  *id,
               const char  *dir)
{
  g_autoptr(GFile) dest = g_file_new_for_path (dir);
  g_autoptr(FerryTransfer) transfer = ferry_client_download (client, id, dest,
                                                             FERRY_DOWNLOAD_INTO_DIRECTORY);
  g_autoptr(GError) error = ferry_test_run_transfer (transfer);

  g_assert_no_error (error);
  g_assert_cmpfloat (ferry_transfer_get_fraction (transfer), ==, 1.0);
  return g_file_get_path (ferry_transfer_get_file (transfer));
}

static void
check_round_trip (Fixture *f,
                  guint64  size)
{
  g_autofree char *name = g_strdup_printf ("file-%" G_GUINT64_FORMAT ".bin", size);
  g_autofree char *src = ferry_test_make_file (f->tmp, name, size);
  g_autofree char *out_dir = g_build_filename (f->tmp, "out", NULL);
  g_autoptr(FerryOffer) offer = NULL;
  g_autofree char *saved = NULL;
  g_autofree char *sum_src = ferry_test_sha256_file (src);
  g_autofree char *sum_saved = NULL;

  g_mkdir (out_dir, 0700);
  offer = upload (f->alice, src, NULL);
  g_assert_cmpstr (ferry_offer_get_name (offer), ==, name);
  g_assert_cmpuint (ferry_offer_get_size (offer), ==, size);
  g_assert_cmpstr (ferry_offer_get_sha256_hex (offer), ==, sum_src);
  g_assert_true (ferry_offer_get_mine (offer));

  saved = download_into (f->bob, ferry_offer_get_id (offer), out_dir);
  sum_saved = ferry_test_sha256_file (saved);
  g_assert_cmpstr (sum_saved, ==, sum_src);
  g_assert_cmpuint (ferry_test_count_dir (out_dir), ==, 1);   /* no .part left */
  ferry_test_rm_rf (out_dir);
}

static void
test_round_trip_sizes (Fixture       *f,
                       gconstpointer  data)
{
  const guint64 sizes[] = { 0, 1, FERRY_CHUNK_SIZE - 1, FERRY_CHUNK_SIZE, FERRY_CHUNK_SIZE + 1 };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    check_round_trip (f, sizes[i]);
}

static void
test_round_trip_64m (Fixture       *f,
                     gconstpointer  data)
{
  check_round_trip (f, 64 * 1024 * 1024);
}

static gboolean
offers_count_is (gpointer data)
{
  gpointer *args = data;

  return g_list_model_get_n_items (ferry_client_get_offers (args[0])) == GPOINTER_TO_UINT (args[1]);
}

static void
wait_for_offers (FerryClient *client,
                 guint        n)
{
  gpointer args[] = { client, GUINT_TO_POINTER (n) };

  ferry_test_wait_for (offers_count_is, args, 30);
}

static void
test_odd_names (Fixture       *f,
                gconstpointer  data)
{
  const char *names[] = {
    "report:2024.pdf",
    "two\nlines.txt",
    "  spaced  name .txt",
    "🚢 ferry ☀.png",
    "../../etc/passwd",
    "..",
    "a/b\\c",
    "-rf",
    "invoice\u202efdp.exe",
  };
  g_autofree char *src = ferry_test_make_file (f->tmp, "payload", 1000);
  g_autofree char *blobs = g_build_filename (f->server->data_dir, "blobs", NULL);
  g_autofree char *out_dir = g_build_filename (f->tmp, "saved", NULL);
  g_autoptr(GDir) dir = NULL;
  const char *entry;

  g_mkdir (out_dir, 0700);
  ferry_test_client_connect (f->bob);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(FerryOffer) offer = upload (f->alice, src, names[i]);
      g_autofree char *saved = NULL;
      g_autofree char *parent = NULL;
      FerryOffer *seen;

      /* Shown verbatim to others. */
      wait_for_offers (f->bob, i + 1);
      seen = ferry_client_lookup_offer (f->bob, ferry_offer_get_id (offer));
      g_assert_nonnull (seen);
      g_assert_cmpstr (ferry_offer_get_name (seen), ==, names[i]);

      /* Saved under a safe name, inside the folder. */
      saved = download_into (f->bob, ferry_offer_get_id (offer), out_dir);
      parent = g_path_get_dirname (saved);
      g_assert_cmpstr (parent, ==, out_dir);
      {
        g_autofree char *base = g_path_get_basename (saved);

        g_assert_null (strchr (base, '/'));
        g_assert_null (strchr (base, '\n'));
        g_assert_false (base[0] == '.');
        g_assert_false (base[0] == '-');
        g_assert_null (strstr (base, "\u202e"));
      }
    }
  g_assert_cmpuint (ferry_test_count_dir (out_dir), ==, G_N_ELEMENTS (names));

  /* Stored by id only. */
  dir = g_dir_open (blobs, 0, NULL);
  g_assert_nonnull (dir);
  while ((entry = g_dir_read_name (dir)))
    for (const char *p = entry; *p; p++)
      g_assert_true (g_ascii_isxdigit (*p));
  g_assert_false (g_file_test ("/etc/passwd.part", G_FILE_TEST_EXISTS));
  ferry_test_rm_rf (out_dir);
}

/* A name of exactly @total_bytes: @unit repeated, then @ext, with as many "x" in front as
 * the sizes need. */
static char *
long_name (const char *unit,
           gsize       total_bytes,
           const char *ext)
{
  gsize room = total_bytes - strlen (ext);
  GString *name = g_string_new (NULL);

  for (gsize i = 0; i < room % strlen (unit); i++)
    g_string_append_c (name, 'x');
  while (name->len < room)
    g_string_append (name, unit);
  g_string_append (name, ext);
  g_assert_cmpuint (name->len, ==, total_bytes);
  return g_string_free (name, FALSE);
}

/* What a name saved from @original must be: short enough for NAME_MAX even as NAME.part,
 * whole characters, the same start and the same extension. */
static void
assert_saved_long_name (const char *saved,
                        const char *out_dir,
                        const char *original,
                        const char *ext,
                        const char *sum)
{
  g_autofree char *base = g_path_get_basename (saved);
  g_autofree char *parent = g_path_get_dirname (saved);
  g_autofree char *saved_sum = ferry_test_sha256_file (saved);
  gsize len = strlen (base);

  g_assert_cmpstr (parent, ==, out_dir);
  g_assert_cmpuint (len, <=, 255);
  g_assert_cmpuint (len + strlen (".part"), <=, 255);
  g_assert_cmpuint (len, >=, MIN (strlen (original), 200));
  g_assert_true (g_utf8_validate (base, -1, NULL));
  g_assert_true (g_str_has_suffix (base, ext));
  g_assert_cmpmem (base, 8, original, 8);
  g_assert_cmpstr (saved_sum, ==, sum);
}

static void
long_name_done_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  guint *done = user_data;
  g_autoptr(GError) error = NULL;

  ferry_transfer_run_finish (FERRY_TRANSFER (object), result, &error);
  g_assert_no_error (error);
  (*done)++;
}

static gboolean
two_done (gpointer data)
{
  return *(guint *) data == 2;
}

/* Names of 255 to 1,000 bytes upload, and download under a name that fits NAME_MAX (with
 * ".part" and " (N)" too), cut between characters, keeping the extension. */
static void
test_long_names (Fixture       *f,
                 gconstpointer  data)
{
  static const struct { const char *unit; gsize bytes; const char *ext; } cases[] = {
    { "a", 1000, ".pdf" },
    { "b", 255, ".txt" },
    { "c", 1000, "" },
    { "é", 1000, ".txt" },
    { "é", 255, ".odt" },
    { "🚢", 1000, ".png" },
    { "🚢", 255, ".jpeg" },
    { "d🚢é", 1000, ".tar.gz" },
  };
  g_autofree char *src = ferry_test_make_file (f->tmp, "payload", 100 * 1000);
  g_autofree char *sum = ferry_test_sha256_file (src);
  g_autofree char *out_dir = g_build_filename (f->tmp, "saved", NULL);
  g_autofree char *first = NULL;
  g_autofree char *first_name = long_name ("a", 1000, ".pdf");
  g_autoptr(FerryOffer) first_offer = NULL;
  g_autoptr(GFile) dest = NULL;
  g_autoptr(FerryTransfer) again_1 = NULL;
  g_autoptr(FerryTransfer) again_2 = NULL;
  g_autofree char *stem = NULL;
  g_autofree char *path_1 = NULL;
  g_autofree char *path_2 = NULL;
  guint done = 0;

  g_mkdir (out_dir, 0700);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = long_name (cases[i].unit, cases[i].bytes, cases[i].ext);
      g_autoptr(FerryOffer) offer = upload (f->alice, src, name);
      g_autofree char *saved = NULL;

      g_test_message ("%s...%s, %zu bytes", cases[i].unit, cases[i].ext, strlen (name));
      g_assert_cmpstr (ferry_offer_get_name (offer), ==, name);
      saved = download_into (f->bob, ferry_offer_get_id (offer), out_dir);
      assert_saved_long_name (saved, out_dir, name, cases[i].ext, sum);
      if (i == 0)
        {
          first = g_path_get_basename (saved);
          first_offer = g_object_ref (offer);
        }
    }
  g_assert_cmpuint (ferry_test_count_dir (out_dir), ==, G_N_ELEMENTS (cases));   /* no .part */

  /* The same 1,000-byte name twice more, at once: " (1)" and " (2)" still fit with ".part",
   * and neither download overwrites the other or the first. */
  dest = g_file_new_for_path (out_dir);
  again_1 = ferry_client_download (f->bob, ferry_offer_get_id (first_offer), dest,
                                   FERRY_DOWNLOAD_INTO_DIRECTORY);
  again_2 = ferry_client_download (f->bob, ferry_offer_get_id (first_offer), dest,
                                   FERRY_DOWNLOAD_INTO_DIRECTORY);
  ferry_transfer_run_async (again_1, NULL, long_name_done_cb, &done);
  ferry_transfer_run_async (again_2, NULL, long_name_done_cb, &done);
  ferry_test_wait_for (two_done, &done, 60);
  g_assert_cmpuint (ferry_test_count_dir (out_dir), ==, G_N_ELEMENTS (cases) + 2);

  path_1 = g_file_get_path (ferry_transfer_get_file (again_1));
  path_2 = g_file_get_path (ferry_transfer_get_file (again_2));
  g_assert_cmpstr (path_1, !=, path_2);
  stem = g_strndup (first, strlen (first) - strlen (".pdf"));
  for (guint i = 0; i < 2; i++)
    {
      const char *path = i == 0 ? path_1 : path_2;
      g_autofree char *base = g_path_get_basename (path);

      assert_saved_long_name (path, out_dir, first_name, ".pdf", sum);
      g_assert_true (g_str_has_suffix (base, " (1).pdf") || g_str_has_suffix (base, " (2).pdf"));
      g_assert_cmpstr (base, !=, first);
      /* The number replaces the end of the name, not the extension. */
      g_assert_cmpmem (base, strlen (base) - strlen (" (1).pdf"),
                       stem, strlen (base) - strlen (" (1).pdf"));
    }
  ferry_test_rm_rf (out_dir);
}

/* Not g_file_set_contents(): its temporary name would be too long beside the longest names. */
static void
write_small_file (const char *path,
                  const char *contents)
{
  int fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, contents, strlen (contents)), ==, (gssize) strlen (contents));
  g_assert_cmpint (close (fd), ==, 0);
}

/* A file the person chose in a save dialog, with a 255-byte name: saved under exactly that
 * name, though its NAME.part had to be shorter. */
static void
test_long_chosen_name (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *src = ferry_test_make_file (f->tmp, "payload", 70 * 1000);
  g_autofree char *sum = ferry_test_sha256_file (src);
  g_autofree char *name = long_name ("é", 255, ".odt");
  g_autofree char *out_dir = g_build_filename (f->tmp, "chosen", NULL);
  g_autofree char *chosen = g_build_filename (out_dir, name, NULL);
  g_autofree char *saved_sum = NULL;
  g_autoptr(GFile) dest = g_file_new_for_path (chosen);
  g_autoptr(FerryOffer) offer = upload (f->alice, src, "report.odt");
  g_autoptr(FerryTransfer) transfer = NULL;
  g_autoptr(GError) error = NULL;

  g_mkdir (out_dir, 0700);
  write_small_file (chosen, "replace me");
  transfer = ferry_client_download (f->bob, ferry_offer_get_id (offer), dest,
                                    FERRY_DOWNLOAD_OVERWRITE);
  error = ferry_test_run_transfer (transfer);
  g_assert_no_error (error);
  g_assert_true (g_file_equal (ferry_transfer_get_file (transfer), dest));
  saved_sum = ferry_test_sha256_file (chosen);
  g_assert_cmpstr (saved_sum, ==, sum);
  g_assert_cmpuint (ferry_test_count_dir (out_dir), ==, 1);   /* no .part */
  ferry_test_rm_rf (out_dir);
}

static void
take_the_name_cb (FerryTransfer *transfer,
                  GParamSpec    *pspec,
                  gboolean      *taken)
{
  g_autofree char *path = NULL;

  /* The first time: the download has just claimed its name. */
  if (*taken)
    return;
  *taken = TRUE;
  path = g_file_get_path (ferry_transfer_get_file (transfer));
  write_small_file (path, "theirs");
}

static void
check_never_overwrites_late_file (Fixture    *f,
                                  const char *name,
                                  const char *src,
                                  const char *sum)
{
  g_autofree char *out_dir = g_build_filename (f->tmp, "late", NULL);
  g_autoptr(GFile) dest = g_file_new_for_path (out_dir);
  g_autoptr(FerryOffer) offer = upload (f->alice, src, name);
  g_autoptr(FerryTransfer) transfer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *claimed = ferry_filename_make_safe (name);
  g_autofree char *claimed_path = g_build_filename (out_dir, claimed, NULL);
  g_autofree char *saved = NULL;
  g_autofree char *base = NULL;
  g_autofree char *theirs = NULL;
  gboolean taken = FALSE;

  g_mkdir (out_dir, 0700);
  transfer = ferry_client_download (f->bob, ferry_offer_get_id (offer), dest,
                                    FERRY_DOWNLOAD_INTO_DIRECTORY);
  g_signal_connect (transfer, "notify::file", G_CALLBACK (take_the_name_cb), &taken);
  error = ferry_test_run_transfer (transfer);
  g_assert_no_error (error);
  g_assert_true (taken);

  saved = g_file_get_path (ferry_transfer_get_file (transfer));
  base = g_path_get_basename (saved);
  g_assert_true (g_str_has_suffix (base, " (1).png"));
  assert_saved_long_name (saved, out_dir, name, ".png", sum);
  g_assert_true (g_file_get_contents (claimed_path, &theirs, NULL, NULL));
  g_assert_cmpstr (theirs, ==, "theirs");
  g_assert_cmpuint (ferry_test_count_dir (out_dir), ==, 2);   /* no .part */
  ferry_test_rm_rf (out_dir);
}

/* Someone saves a file under the name a download claimed, while it downloads: the download
 * neither replaces it nor fails, but takes the next free name. */
static void
test_never_overwrites_late_file (Fixture       *f,
                                 gconstpointer  data)
{
  g_autofree char *src = ferry_test_make_file (f->tmp, "payload", 3 * FERRY_CHUNK_SIZE + 17);
  g_autofree char *sum = ferry_test_sha256_file (src);
  g_autofree char *name = long_name ("🚢", 1000, ".png");

  check_never_overwrites_late_file (f, "late-arrival.png", src, sum);
  check_never_overwrites_late_file (f, name, src, sum);
}

typedef struct
{
  guint  done;
  guint  failed;
} Counter;

static void
concurrent_done_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Counter *counter = user_data;
  g_autoptr(GError) error = NULL;

  if (!ferry_transfer_run_finish (FERRY_TRANSFER (object), result, &error))
    {
      g_printerr ("upload failed: %s\n", error->message);
      counter->failed++;
    }
  counter->done++;
}

static gboolean
counter_reached (gpointer data)
{
  Counter *counter = data;

  return counter->done == 16;
}

/* 16 uploads at once: four people uploading four files each, so that the server really has
 * 16 upload connections open (each client runs at most four transfers at a time, and queues
 * the rest; Alice's 16 below prove the queue). */
static void
test_concurrent_uploads (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GPtrArray) transfers = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) people = g_ptr_array_new_with_free_func (g_object_unref);
  Counter counter = { 0 };

  /* All of them connect from 127.0.0.1, so lift the per-address limit for this test. */
  ferry_test_server_stop (f->server);
  ferry_test_server_free (f->server);
  f->server = ferry_test_server_start (NULL, 0, "--max-connections-per-address", "64", NULL);
  g_clear_object (&f->alice);
  g_clear_object (&f->bob);
  f->alice = ferry_test_client_new (f->server, f->config_a, "Alice");
  f->bob = ferry_test_client_new (f->server, f->config_b, "Bob");
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *config = g_strdup_printf ("%s/person-%u", f->tmp, i);
      g_autofree char *name = g_strdup_printf ("Person %u", i);

      g_ptr_array_add (people, ferry_test_client_new (f->server, config, name));
    }

  ferry_test_client_connect (f->bob);
  for (guint i = 0; i < 16; i++)
    {
      g_autofree char *name = g_strdup_printf ("concurrent-%02u", i);
      g_autofree char *path = ferry_test_make_file (f->tmp, name, 1024 * 1024 + i * 4099);
      g_autoptr(GFile) file = g_file_new_for_path (path);
      FerryTransfer *transfer = ferry_client_upload (g_ptr_array_index (people, i % 4), file, NULL);

      g_ptr_array_add (transfers, transfer);
      ferry_transfer_run_async (transfer, NULL, concurrent_done_cb, &counter);
    }
  ferry_test_wait_for (counter_reached, &counter, 120);
  g_assert_cmpuint (counter.failed, ==, 0);
  wait_for_offers (f->bob, 16);

  for (guint i = 0; i < transfers->len; i++)
    {
      FerryTransfer *transfer = g_ptr_array_index (transfers, i);
      g_autofree char *path = g_file_get_path (ferry_transfer_get_file (transfer));
      g_autofree char *sum = ferry_test_sha256_file (path);
      FerryOffer *offer = ferry_client_lookup_offer (f->bob,
                                                     ferry_offer_get_id (ferry_transfer_get_offer (transfer)));

      g_assert_nonnull (offer);
      g_assert_cmpstr (ferry_offer_get_sha256_hex (offer), ==, sum);
      g_assert_false (ferry_offer_get_mine (offer));
    }
}

static gboolean
all_finished (gpointer data)
{
  GPtrArray *transfers = data;

  for (guint i = 0; i < transfers->len; i++)
    if (!ferry_transfer_is_finished (g_ptr_array_index (transfers, i)))
      return FALSE;
  return TRUE;
}

static void
count_running_cb (FerryTransfer *transfer,
                  GParamSpec    *pspec,
                  guint         *max_running)
{
  FerryClient *client = g_object_get_data (G_OBJECT (transfer), "client");
  GListModel *all = ferry_client_get_transfers (client);
  guint running = 0;

  for (guint i = 0; i < g_list_model_get_n_items (all); i++)
    {
      g_autoptr(FerryTransfer) t = g_list_model_get_item (all, i);
      FerryTransferState state = ferry_transfer_get_state (t);

      if (state >= FERRY_TRANSFER_CONNECTING && state <= FERRY_TRANSFER_VERIFYING)
        running++;
    }
  *max_running = MAX (*max_running, running);
}

/* One client with 16 uploads runs at most four at a time; a queued one can be cancelled. */
static void
test_transfer_queue (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GPtrArray) transfers = g_ptr_array_new_with_free_func (g_object_unref);
  guint max_running = 0;
  FerryTransfer *last;

  for (guint i = 0; i < 16; i++)
    {
      g_autofree char *name = g_strdup_printf ("queued-%02u", i);
      g_autofree char *path = ferry_test_make_file (f->tmp, name, 512 * 1024);
      g_autoptr(GFile) file = g_file_new_for_path (path);
      FerryTransfer *transfer = ferry_client_upload (f->alice, file, NULL);

      g_object_set_data (G_OBJECT (transfer), "client", f->alice);
      g_signal_connect (transfer, "notify::state", G_CALLBACK (count_running_cb), &max_running);
      g_ptr_array_add (transfers, transfer);
      ferry_transfer_run_async (transfer, NULL, NULL, NULL);
    }

  last = g_ptr_array_index (transfers, 15);
  g_assert_cmpint (ferry_transfer_get_state (last), ==, FERRY_TRANSFER_PENDING);
  ferry_transfer_cancel (last);
  g_assert_cmpint (ferry_transfer_get_state (last), ==, FERRY_TRANSFER_CANCELLED);

  ferry_test_wait_for (all_finished, transfers, 120);
  g_assert_cmpuint (max_running, ==, 4);
  for (guint i = 0; i < 15; i++)
    g_assert_cmpint (ferry_transfer_get_state (g_ptr_array_index (transfers, i)), ==,
                     FERRY_TRANSFER_DONE);
  for (guint i = 0; i < transfers->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (transfers, i), &max_running);

  g_assert_cmpuint (g_list_model_get_n_items (ferry_client_get_transfers (f->alice)), ==, 16);
  ferry_client_clear_finished_transfers (f->alice);
  g_assert_cmpuint (g_list_model_get_n_items (ferry_client_get_transfers (f->alice)), ==, 0);
}

typedef struct
{
  GPtrArray *added;
  GPtrArray *removed;
} Events;

static void
added_cb (FerryClient *client,
          FerryOffer  *offer,
          Events      *events)
{
  g_ptr_array_add (events->added, g_strdup (ferry_offer_get_id (offer)));
}

static void
removed_cb (FerryClient *client,
            FerryOffer  *offer,
            Events      *events)
{
  g_ptr_array_add (events->removed, g_strdup (ferry_offer_get_id (offer)));
}

static gboolean
has_removed (gpointer data)
{
  Events *events = data;

  return events->removed->len > 0;
}

static void
delete_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GError **error = user_data;

  if (!ferry_client_delete_finish (FERRY_CLIENT (object), result, error))
    g_assert_nonnull (*error);
  else
    *error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_EXISTS, "no error");
}

/* Returns NULL on success. */
static GError *
delete_offer (FerryClient *client,
              const char  *id)
{
  GError *error = NULL;
  gboolean done = FALSE;

  ferry_client_delete_async (client, id, NULL, delete_done_cb, &error);
  while (!error)
    g_main_context_iteration (NULL, TRUE);
  done = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  if (done)
    g_clear_error (&error);
  return error;
}

static void
test_subscriber_events (Fixture       *f,
                        gconstpointer  data)
{
  Events events = { g_ptr_array_new_with_free_func (g_free),
                    g_ptr_array_new_with_free_func (g_free) };
  g_autofree char *src = ferry_test_make_file (f->tmp, "event.txt", 4096);
  g_autoptr(FerryOffer) offer = NULL;
  g_autoptr(GError) error = NULL;

  ferry_test_client_connect (f->bob);
  g_signal_connect (f->bob, "offer-added", G_CALLBACK (added_cb), &events);
  g_signal_connect (f->bob, "offer-removed", G_CALLBACK (removed_cb), &events);

  offer = upload (f->alice, src, NULL);
  wait_for_offers (f->bob, 1);
  g_assert_cmpuint (events.added->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (events.added, 0), ==, ferry_offer_get_id (offer));

  error = delete_offer (f->alice, ferry_offer_get_id (offer));
  g_assert_no_error (error);
  ferry_test_wait_for (has_removed, &events, 30);
  g_assert_cmpstr (g_ptr_array_index (events.removed, 0), ==, ferry_offer_get_id (offer));
  g_assert_cmpuint (g_list_model_get_n_items (ferry_client_get_offers (f->bob)), ==, 0);

  g_signal_handlers_disconnect_by_data (f->bob, &events);
  g_ptr_array_unref (events.added);
  g_ptr_array_unref (events.removed);
}

static void
test_delete_by_non_owner (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *src = ferry_test_make_file (f->tmp, "mine.txt", 100);
  g_autoptr(FerryOffer) offer = upload (f->alice, src, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *blob = g_build_filename (f->server->data_dir, "blobs",
                                            ferry_offer_get_id (offer), NULL);

  error = delete_offer (f->bob, ferry_offer_get_id (offer));
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_NOT_OWNER);
  g_assert_true (g_file_test (blob, G_FILE_TEST_EXISTS));

  ferry_test_client_connect (f->bob);
  g_assert_cmpuint (g_list_model_get_n_items (ferry_client_get_offers (f->bob)), ==, 1);
  g_clear_error (&error);

  error = delete_offer (f->bob, "0123456789abcdef");
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
  g_clear_error (&error);

  error = delete_offer (f->alice, ferry_offer_get_id (offer));
  g_assert_no_error (error);
  g_assert_false (g_file_test (blob, G_FILE_TEST_EXISTS));
}

static void
test_restart_keeps_everything (Fixture       *f,
                               gconstpointer  data)
{
  g_autofree char *a = ferry_test_make_file (f->tmp, "keep-a.bin", 300000);
  g_autofree char *b = ferry_test_make_file (f->tmp, "keep-b.bin", 5);
  g_autoptr(FerryOffer) offer_a = upload (f->alice, a, "keep: a");
  g_autoptr(FerryOffer) offer_b = upload (f->alice, b, NULL);
  g_autofree char *data_dir = g_strdup (f->server->data_dir);
  g_autofree char *out_dir = g_build_filename (f->tmp, "after", NULL);
  g_autofree char *saved = NULL;
  g_autofree char *sum_a = ferry_test_sha256_file (a);
  g_autofree char *sum_saved = NULL;
  g_autoptr(FerryClient) again = NULL;
  GListModel *offers;
  g_autoptr(FerryOffer) first = NULL;

  ferry_test_server_stop (f->server);
  g_free (f->server->data_dir);
  f->server->data_dir = NULL;
  ferry_test_server_free (f->server);

  f->server = ferry_test_server_start (data_dir, 0, NULL);
  again = ferry_test_client_new (f->server, f->config_a, "Alice");
  ferry_test_client_connect (again);
  offers = ferry_client_get_offers (again);
  g_assert_cmpuint (g_list_model_get_n_items (offers), ==, 2);
  first = g_list_model_get_item (offers, 0);
  g_assert_cmpstr (ferry_offer_get_id (first), ==, ferry_offer_get_id (offer_a));
  g_assert_cmpstr (ferry_offer_get_name (first), ==, "keep: a");
  g_assert_true (ferry_offer_get_mine (first));
  g_assert_nonnull (ferry_client_lookup_offer (again, ferry_offer_get_id (offer_b)));

  g_mkdir (out_dir, 0700);
  saved = download_into (again, ferry_offer_get_id (offer_a), out_dir);
  sum_saved = ferry_test_sha256_file (saved);
  g_assert_cmpstr (sum_saved, ==, sum_a);
}

typedef struct
{
  FerryClient *client;
  const char  *gone;
  const char  *there;
} Resynced;

static gboolean
resynced (gpointer data)
{
  Resynced *r = data;

  return ferry_client_get_state (r->client) == FERRY_CLIENT_CONNECTED &&
         !ferry_client_lookup_offer (r->client, r->gone) &&
         ferry_client_lookup_offer (r->client, r->there) &&
         g_list_model_get_n_items (ferry_client_get_offers (r->client)) == 1;
}

static void
test_reconnect_resyncs (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *a = ferry_test_make_file (f->tmp, "before.bin", 1000);
  g_autofree char *b = ferry_test_make_file (f->tmp, "during.bin", 2000);
  g_autoptr(FerryOffer) offer_a = NULL;
  g_autoptr(FerryOffer) offer_b = NULL;
  g_autofree char *data_dir = g_strdup (f->server->data_dir);
  guint16 port = f->server->port;
  g_autoptr(FerryClient) uploader = NULL;

  ferry_client_set_reconnect (f->bob, TRUE);
  ferry_test_client_connect (f->bob);
  offer_a = upload (f->alice, a, NULL);
  wait_for_offers (f->bob, 1);

  ferry_test_server_stop (f->server);
  g_free (f->server->data_dir);
  f->server->data_dir = NULL;
  ferry_test_server_free (f->server);

  /* While Bob is away, Alice's file goes and another arrives. */
  f->server = ferry_test_server_start (data_dir, port, NULL);
  uploader = ferry_test_client_new (f->server, f->config_a, "Alice");
  g_assert_null (delete_offer (uploader, ferry_offer_get_id (offer_a)));
  offer_b = upload (uploader, b, NULL);

  {
    Resynced r = { f->bob, ferry_offer_get_id (offer_a), ferry_offer_get_id (offer_b) };

    /* Reconnect backoff starts at 1 s. */
    ferry_test_wait_for (resynced, &r, 30);
  }
  g_assert_null (ferry_client_lookup_offer (f->bob, ferry_offer_get_id (offer_a)));
  g_assert_nonnull (ferry_client_lookup_offer (f->bob, ferry_offer_get_id (offer_b)));
  g_assert_cmpint (ferry_client_get_state (f->bob), ==, FERRY_CLIENT_CONNECTED);
}

static void
test_upload_too_large (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *src = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(FerryTransfer) transfer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *partial = NULL;
  g_autofree char *blobs = NULL;
  g_autoptr(FerryClient) client = NULL;

  ferry_test_server_stop (f->server);
  ferry_test_server_free (f->server);
  f->server = ferry_test_server_start (NULL, 0, "--max-file-size", "1M", NULL);
  partial = g_build_filename (f->server->data_dir, "partial", NULL);
  blobs = g_build_filename (f->server->data_dir, "blobs", NULL);

  src = ferry_test_make_file (f->tmp, "big.bin", 1024 * 1024 + 1);
  file = g_file_new_for_path (src);
  client = ferry_test_client_new (f->server, f->config_a, "Alice");
  transfer = ferry_client_upload (client, file, NULL);
  error = ferry_test_run_transfer (transfer);
  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "big.bin"));
  g_assert_cmpuint (ferry_transfer_get_bytes_done (transfer), ==, 0);
  g_assert_cmpuint (ferry_test_count_dir (partial), ==, 0);
  g_assert_cmpuint (ferry_test_count_dir (blobs), ==, 0);

  /* Exactly at the limit is fine. */
  g_clear_object (&transfer);
  g_clear_object (&file);
  g_free (src);
  src = ferry_test_make_file (f->tmp, "fits.bin", 1024 * 1024);
  file = g_file_new_for_path (src);
  transfer = ferry_client_upload (client, file, NULL);
  g_clear_error (&error);
  error = ferry_test_run_transfer (transfer);
  g_assert_no_error (error);
}

typedef struct
{
  FerryClient *client;
  const char  *blob;
} Expired;

static gboolean
expired (gpointer data)
{
  Expired *e = data;

  return g_list_model_get_n_items (ferry_client_get_offers (e->client)) == 0 &&
         !g_file_test (e->blob, G_FILE_TEST_EXISTS);
}

/* With --expire, an offer goes after that long: subscribers see DELETED, the blob goes. */
static void
test_expire (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *src = NULL;
  g_autoptr(FerryOffer) offer = NULL;
  g_autofree char *blob = NULL;
  Expired e;

  ferry_test_server_stop (f->server);
  ferry_test_server_free (f->server);
  f->server = ferry_test_server_start (NULL, 0, "--expire", "2s", NULL);
  g_clear_object (&f->alice);
  g_clear_object (&f->bob);
  f->alice = ferry_test_client_new (f->server, f->config_a, "Alice");
  f->bob = ferry_test_client_new (f->server, f->config_b, "Bob");

  ferry_test_client_connect (f->bob);
  src = ferry_test_make_file (f->tmp, "short-lived.txt", 1000);
  offer = upload (f->alice, src, NULL);
  blob = g_build_filename (f->server->data_dir, "blobs", ferry_offer_get_id (offer), NULL);
  g_assert_true (g_file_test (blob, G_FILE_TEST_EXISTS));

  e.client = f->bob;
  e.blob = blob;
  ferry_test_wait_for (expired, &e, 30);
}

static void
test_download_missing (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GFile) dest = g_file_new_for_path (f->tmp);
  g_autoptr(FerryTransfer) transfer = ferry_client_download (f->bob, "00000000deadbeef", dest,
                                                             FERRY_DOWNLOAD_INTO_DIRECTORY);
  g_autoptr(GError) error = ferry_test_run_transfer (transfer);

  g_assert_error (error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
  g_assert_cmpint (ferry_transfer_get_state (transfer), ==, FERRY_TRANSFER_FAILED);
}

static void
test_connect_refused (void)
{
  g_autofree char *tmp = ferry_test_tmpdir ();
  g_autofree char *identity = g_build_filename (tmp, "identity", NULL);
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(FerryClient) client = NULL;
  g_autofree char *address = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  guint16 port;

  /* Find a port nobody listens on: bind one, note it, close it. */
  g_socket_listener_add_address (listener, any, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                 NULL, &bound, &error);
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_listener_close (listener);

  address = g_strdup_printf ("127.0.0.1:%u", port);
  client = ferry_client_new (address, "Nobody");
  ferry_client_set_identity_path (client, identity);
  ferry_client_connect_async (client, NULL, NULL, NULL);
  while (ferry_client_get_state (client) != FERRY_CLIENT_DISCONNECTED ||
         !ferry_client_get_error (client))
    g_main_context_iteration (NULL, TRUE);
  g_assert_error ((GError *) ferry_client_get_error (client), FERRY_ERROR, FERRY_ERROR_CONNECT);
  g_assert_nonnull (strstr (ferry_client_get_error (client)->message, address));
  ferry_test_rm_rf (tmp);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, ferry_test_people_setup, func, \
              ferry_test_people_teardown)

  ADD ("/transfer/round-trip/edge-sizes", test_round_trip_sizes);
  ADD ("/transfer/round-trip/64MiB", test_round_trip_64m);
  ADD ("/transfer/odd-names", test_odd_names);
  ADD ("/transfer/long-names", test_long_names);
  ADD ("/transfer/long-chosen-name", test_long_chosen_name);
  ADD ("/transfer/never-overwrites-late-file", test_never_overwrites_late_file);
  ADD ("/transfer/16-concurrent-uploads", test_concurrent_uploads);
  ADD ("/transfer/queue-of-16", test_transfer_queue);
  ADD ("/transfer/subscriber-sees-offer-and-deleted", test_subscriber_events);
  ADD ("/transfer/delete-by-non-owner-refused", test_delete_by_non_owner);
  ADD ("/transfer/restart-keeps-everything", test_restart_keeps_everything);
  ADD ("/transfer/reconnect-resyncs", test_reconnect_resyncs);
  ADD ("/transfer/upload-too-large-refused", test_upload_too_large);
  ADD ("/transfer/download-missing", test_download_missing);
  ADD ("/transfer/expire", test_expire);
  g_test_add_func ("/transfer/connect-refused", test_connect_refused);

  return g_test_run ();
}
