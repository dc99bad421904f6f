/* test-widgets.c: the app's own models and widgets, under Xvfb
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-widgets"

#include "config.h"

#include <adwaita.h>

#include "ferry-files-panel.h"
#include "ferry-offer-row.h"
#include "ferry-transfer-row.h"
#include "ferry-test-harness.h"
#include "ferry-units.h"

static FerryOffer *
make_offer (const char *id,
            const char *name,
            guint64     size,
            const char *uploader,
            gint64      created,
            gboolean    mine)
{
  guint8 sha[32] = { 0 };
  GVariant *value;
  FerryOffer *offer;

  value = g_variant_new ("(sst@aysxxb)", id, name, size,
                         g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, sha, sizeof sha, 1),
                         uploader, created, (gint64) 0, mine);
  g_variant_ref_sink (value);
  offer = ferry_offer_new_from_variant (value);
  g_variant_unref (value);
  return offer;
}

static GListStore *
make_offers (void)
{
  GListStore *store = g_list_store_new (FERRY_TYPE_OFFER);
  FerryOffer *offers[] = {
    make_offer ("1", "report.pdf", 300000, "Alice", 1000, FALSE),
    make_offer ("2", "holiday.jpg", 5000000, "Bob", 3000, FALSE),
    make_offer ("3", "Notes.txt", 10, "Carol", 2000, TRUE),
  };

  for (guint i = 0; i < G_N_ELEMENTS (offers); i++)
    {
      g_list_store_append (store, offers[i]);
      g_object_unref (offers[i]);
    }
  return store;
}

static char *
shown_names (FerryFilesPanel *panel)
{
  GListModel *shown = ferry_files_panel_get_shown (panel);
  GString *names = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (shown); i++)
    {
      g_autoptr(FerryOffer) offer = g_list_model_get_item (shown, i);

      if (i > 0)
        g_string_append_c (names, ',');
      g_string_append (names, ferry_offer_get_name (offer));
    }
  return g_string_free (names, FALSE);
}

#define assert_shown(panel, expected) \
  G_STMT_START { \
    g_autofree char *_names = shown_names (panel); \
    g_assert_cmpstr (_names, ==, expected); \
  } G_STMT_END

static void
test_files_panel_sort (void)
{
  g_autoptr(GListStore) store = make_offers ();
  FerryFilesPanel *panel = g_object_ref_sink (FERRY_FILES_PANEL (ferry_files_panel_new ()));

  ferry_files_panel_set_offers (panel, G_LIST_MODEL (store));
  g_assert_cmpstr (ferry_files_panel_get_page (panel), ==, "list");

  /* The default: newest first */
  assert_shown (panel, "holiday.jpg,Notes.txt,report.pdf");

  ferry_files_panel_set_sort_by (panel, "name");
  assert_shown (panel, "holiday.jpg,Notes.txt,report.pdf");
  ferry_files_panel_set_sort_by (panel, "size");
  assert_shown (panel, "holiday.jpg,report.pdf,Notes.txt");
  ferry_files_panel_set_sort_by (panel, "uploader");
  assert_shown (panel, "report.pdf,holiday.jpg,Notes.txt");
  ferry_files_panel_set_sort_by (panel, "time");
  assert_shown (panel, "holiday.jpg,Notes.txt,report.pdf");

  /* Live: a new offer lands in its sorted place, a removed one vanishes. */
  {
    g_autoptr(FerryOffer) newest = make_offer ("4", "zebra.png", 1, "Dave", 9000, FALSE);

    g_list_store_append (store, newest);
  }
  assert_shown (panel, "zebra.png,holiday.jpg,Notes.txt,report.pdf");
  g_list_store_remove (store, 1);
  assert_shown (panel, "zebra.png,Notes.txt,report.pdf");

  gtk_widget_unparent (GTK_WIDGET (panel));
  g_object_unref (panel);
}

static void
test_files_panel_search (void)
{
  g_autoptr(GListStore) store = make_offers ();
  FerryFilesPanel *panel = g_object_ref_sink (FERRY_FILES_PANEL (ferry_files_panel_new ()));

  g_assert_cmpstr (ferry_files_panel_get_page (panel), ==, "empty");
  ferry_files_panel_set_offers (panel, G_LIST_MODEL (store));
  ferry_files_panel_set_sort_by (panel, "name");

  /* Case-insensitive, by substring */
  ferry_files_panel_set_search_text (panel, "REP");
  assert_shown (panel, "report.pdf");
  ferry_files_panel_set_search_text (panel, "o");
  assert_shown (panel, "holiday.jpg,Notes.txt,report.pdf");
  ferry_files_panel_set_search_text (panel, ".txt");
  assert_shown (panel, "Notes.txt");

  ferry_files_panel_set_search_text (panel, "nothing like it");
  assert_shown (panel, "");
  g_assert_cmpstr (ferry_files_panel_get_page (panel), ==, "no-results");

  ferry_files_panel_set_search_text (panel, "");
  assert_shown (panel, "holiday.jpg,Notes.txt,report.pdf");
  g_assert_cmpstr (ferry_files_panel_get_page (panel), ==, "list");

  g_list_store_remove_all (store);
  g_assert_cmpstr (ferry_files_panel_get_page (panel), ==, "empty");

  g_object_unref (panel);
}

static void
test_files_panel_many (void)
{
  g_autoptr(GListStore) store = g_list_store_new (FERRY_TYPE_OFFER);
  FerryFilesPanel *panel = g_object_ref_sink (FERRY_FILES_PANEL (ferry_files_panel_new ()));
  g_autoptr(GPtrArray) offers = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 start;

  for (guint i = 0; i < 10000; i++)
    {
      g_autofree char *id = g_strdup_printf ("%u", i);
      g_autofree char *name = g_strdup_printf ("file-%05u.dat", i);

      g_ptr_array_add (offers, make_offer (id, name, i, "Alice", i, FALSE));
    }

  ferry_files_panel_set_offers (panel, G_LIST_MODEL (store));
  start = g_get_monotonic_time ();
  g_list_store_splice (store, 0, 0, offers->pdata, offers->len);
  ferry_files_panel_set_search_text (panel, "file-0999");
  g_assert_cmpuint (g_list_model_get_n_items (ferry_files_panel_get_shown (panel)), ==, 10);
  ferry_files_panel_set_search_text (panel, "");
  ferry_files_panel_set_sort_by (panel, "name");
  g_assert_cmpuint (g_list_model_get_n_items (ferry_files_panel_get_shown (panel)), ==, 10000);
  g_test_message ("10,000 offers: filtered and sorted in %.0f ms",
                  (g_get_monotonic_time () - start) / 1000.0);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);

  g_object_unref (panel);
}

static void
collect_widgets (GtkWidget *widget,
                 GType      type,
                 GPtrArray *out)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    g_ptr_array_add (out, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child;
       child = gtk_widget_get_next_sibling (child))
    collect_widgets (child, type, out);
}

static gboolean
has_label (GtkWidget  *root,
           const char *text)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();

  collect_widgets (root, GTK_TYPE_LABEL, labels);
  for (guint i = 0; i < labels->len; i++)
    {
      if (g_strcmp0 (gtk_label_get_label (labels->pdata[i]), text) == 0)
        return TRUE;
    }
  return FALSE;
}

static GtkWidget *
find_button (GtkWidget  *root,
             const char *action_name)
{
  g_autoptr(GPtrArray) buttons = g_ptr_array_new ();

  collect_widgets (root, GTK_TYPE_BUTTON, buttons);
  for (guint i = 0; i < buttons->len; i++)
    {
      if (g_strcmp0 (gtk_actionable_get_action_name (buttons->pdata[i]), action_name) == 0)
        return buttons->pdata[i];
    }
  return NULL;
}

static void
test_offer_row (void)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(FerryOffer) theirs = make_offer ("a1", "report.pdf", 300000, "Alice", now - 300,
                                             FALSE);
  g_autoptr(FerryOffer) mine = make_offer ("b2", "holiday.jpg", 42, "Bob", now, TRUE);
  GtkWidget *row = g_object_ref_sink (ferry_offer_row_new ());
  g_autofree char *size = g_format_size (300000);
  g_autofree char *age = ferry_format_age (now - 300, now);
  GtkWidget *download;
  GtkWidget *delete;

  ferry_offer_row_set_offer (FERRY_OFFER_ROW (row), theirs);
  g_assert_true (ferry_offer_row_get_offer (FERRY_OFFER_ROW (row)) == theirs);
  g_assert_true (has_label (row, "report.pdf"));
  g_assert_true (has_label (row, size));
  g_assert_true (has_label (row, "Alice"));
  g_assert_true (has_label (row, age));

  download = find_button (row, "offer.download");
  delete = find_button (row, "offer.delete");
  g_assert_nonnull (download);
  g_assert_nonnull (delete);
  g_assert_true (gtk_widget_get_visible (download));
  /* No Delete button on someone else's file */
  g_assert_false (gtk_widget_get_visible (delete));

  /* A recycled row shows the new offer, and Delete on one's own file. */
  ferry_offer_row_set_offer (FERRY_OFFER_ROW (row), mine);
  g_assert_true (has_label (row, "holiday.jpg"));
  g_assert_true (has_label (row, "Bob"));
  g_assert_false (has_label (row, "report.pdf"));
  g_assert_true (gtk_widget_get_visible (delete));

  ferry_offer_row_set_offer (FERRY_OFFER_ROW (row), NULL);
  g_assert_false (has_label (row, "holiday.jpg"));

  g_object_unref (row);
}

typedef struct
{
  FerryTransferRow *row;
  guint             updates;
  gboolean          mismatch;
  gboolean          done;
} ProgressWatch;

static void
bytes_done_cb (FerryTransfer *transfer,
               GParamSpec    *pspec,
               ProgressWatch *watch)
{
  /* The row's handler was connected first, so it has already run. */
  if (ferry_transfer_get_state (transfer) == FERRY_TRANSFER_RUNNING
      && ABS (ferry_transfer_row_get_shown_fraction (watch->row)
              - ferry_transfer_get_fraction (transfer)) > 1e-6)
    watch->mismatch = TRUE;
  watch->updates++;
}

static void
run_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  ProgressWatch *watch = user_data;

  ferry_transfer_run_finish (FERRY_TRANSFER (object), result, NULL);
  watch->done = TRUE;
}

static void
test_transfer_row_progress (void)
{
  FerryTestServer *server;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr(FerryClient) client = NULL;
  g_autoptr(FerryTransfer) transfer = NULL;
  g_autoptr(GFile) file = NULL;
  ProgressWatch watch = { 0 };
  GtkWidget *row;

  if (!g_getenv ("FERRY_SERVER"))
    {
      g_test_skip ("FERRY_SERVER is not set");
      return;
    }

  server = ferry_test_server_start (NULL, 0, NULL);
  dir = ferry_test_tmpdir ();
  path = ferry_test_make_file (dir, "big.bin", 48 * 1024 * 1024);
  client = ferry_test_client_new (server, dir, "Alice");
  ferry_test_client_connect (client);

  file = g_file_new_for_path (path);
  transfer = ferry_client_upload (client, file, NULL);
  row = g_object_ref_sink (ferry_transfer_row_new (transfer));
  watch.row = FERRY_TRANSFER_ROW (row);

  g_assert_cmpfloat (ferry_transfer_row_get_shown_fraction (watch.row), ==, 0.0);
  g_assert_true (has_label (row, "big.bin"));
  g_assert_nonnull (find_button (row, "transfer.cancel"));
  g_assert_true (gtk_widget_get_visible (find_button (row, "transfer.cancel")));

  g_signal_connect (transfer, "notify::bytes-done", G_CALLBACK (bytes_done_cb), &watch);
  ferry_transfer_run_async (transfer, NULL, run_cb, &watch);
  ferry_test_wait (&watch.done, 60);

  g_assert_cmpint (ferry_transfer_get_state (transfer), ==, FERRY_TRANSFER_DONE);
  g_assert_false (watch.mismatch);
  g_test_message ("%u progress updates", watch.updates);
  g_assert_cmpfloat (ferry_transfer_row_get_shown_fraction (watch.row), ==, 1.0);
  g_assert_true (g_str_has_prefix (ferry_transfer_row_get_shown_status (watch.row), "Shared"));
  /* Nothing left to cancel */
  g_assert_false (gtk_widget_get_visible (find_button (row, "transfer.cancel")));

  g_object_unref (row);
  g_clear_object (&transfer);
  ferry_client_disconnect (client);
  ferry_test_server_free (server);
  ferry_test_rm_rf (dir);
}

static void
test_transfer_row_failure (void)
{
  FerryTestServer *server;
  g_autofree char *dir = NULL;
  g_autoptr(FerryClient) client = NULL;
  g_autoptr(FerryTransfer) transfer = NULL;
  g_autoptr(GFile) dest = NULL;
  ProgressWatch watch = { 0 };
  GtkWidget *row;
  const GError *error;

  if (!g_getenv ("FERRY_SERVER"))
    {
      g_test_skip ("FERRY_SERVER is not set");
      return;
    }

  server = ferry_test_server_start (NULL, 0, NULL);
  dir = ferry_test_tmpdir ();
  client = ferry_test_client_new (server, dir, "Bob");
  ferry_test_client_connect (client);

  /* An offer that does not exist: the row shows the engine's sentence. */
  dest = g_file_new_build_filename (dir, "missing.bin", NULL);
  transfer = ferry_client_download (client, "no-such-offer", dest, FERRY_DOWNLOAD_OVERWRITE);
  row = g_object_ref_sink (ferry_transfer_row_new (transfer));
  watch.row = FERRY_TRANSFER_ROW (row);
  ferry_transfer_run_async (transfer, NULL, run_cb, &watch);
  ferry_test_wait (&watch.done, 30);

  g_assert_cmpint (ferry_transfer_get_state (transfer), ==, FERRY_TRANSFER_FAILED);
  error = ferry_transfer_get_error (transfer);
  g_assert_nonnull (error);
  g_assert_cmpstr (ferry_transfer_row_get_shown_status (watch.row), ==, error->message);
  g_assert_false (gtk_widget_get_visible (find_button (row, "transfer.cancel")));
  g_assert_false (gtk_widget_get_visible (find_button (row, "transfer.open")));

  g_object_unref (row);
  g_clear_object (&transfer);
  ferry_client_disconnect (client);
  ferry_test_server_free (server);
  ferry_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  adw_init ();

  g_test_add_func ("/gui/files-panel/sort", test_files_panel_sort);
  g_test_add_func ("/gui/files-panel/search", test_files_panel_search);
  g_test_add_func ("/gui/files-panel/ten-thousand", test_files_panel_many);
  g_test_add_func ("/gui/offer-row/fields", test_offer_row);
  g_test_add_func ("/gui/transfer-row/progress", test_transfer_row_progress);
  g_test_add_func ("/gui/transfer-row/failure", test_transfer_row_failure);

  return g_test_run ();
}
