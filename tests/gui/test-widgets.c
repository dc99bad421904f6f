/* test-widgets.c: the app's own models and widgets, under Xvfb
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-widgets"

#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ferry-application.h"
#include "ferry-connect-page.h"
#include "ferry-error.h"
#include "ferry-files-panel.h"
#include "ferry-fingerprint.h"
#include "ferry-offer-row.h"
#include "ferry-password-dialog.h"
#include "ferry-transfer-row.h"
#include "ferry-transfers-panel.h"
#include "ferry-trust-dialog.h"
#include "ferry-test-harness.h"
#include "ferry-units.h"
#include "ferry-window-private.h"

static FerryOffer *
make_offer (const char *id,
            const char *name,
            guint64     size,
            const char *uploader,
            gint64      created,
            gboolean    mine)
{
  static const guint8 sha[32] = { 0 };

  return ferry_offer_new (id, name, size, sha, uploader, created, 0, mine, 0, 0);
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

  download = find_button (row, "win.download");
  delete = find_button (row, "win.delete");
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
  /* …and its buttons act on the new offer. */
  g_assert_cmpstr (g_variant_get_string (gtk_actionable_get_action_target_value (
                     GTK_ACTIONABLE (download)), NULL), ==, "b2");
  g_assert_cmpstr (g_variant_get_string (gtk_actionable_get_action_target_value (
                     GTK_ACTIONABLE (delete)), NULL), ==, "b2");

  ferry_offer_row_set_offer (FERRY_OFFER_ROW (row), NULL);
  g_assert_false (has_label (row, "holiday.jpg"));

  g_object_unref (row);
}

/* Every row's icon is a symbolic icon the theme has, whatever the file type: a type the theme
 * lacks falls back to the generic document, not to a full-colour legacy icon. */
static void
test_offer_row_icon (void)
{
  const char *names[] = { "report.pdf", "photo.jpg", "one-gibibyte.bin", "no-extension",
                          "archive.tar.zst", "weird.xyz123" };
  GtkIconTheme *theme = gtk_icon_theme_get_for_display (gdk_display_get_default ());

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(FerryOffer) offer = make_offer ("i", names[i], 1, "Alice", 0, FALSE);
      GtkWidget *row = g_object_ref_sink (ferry_offer_row_new ());
      g_autoptr(GPtrArray) images = g_ptr_array_new ();
      g_autoptr(GtkIconPaintable) paintable = NULL;
      GIcon *icon;

      ferry_offer_row_set_offer (FERRY_OFFER_ROW (row), offer);
      collect_widgets (row, GTK_TYPE_IMAGE, images);
      icon = NULL;
      for (guint j = 0; j < images->len && !icon; j++)
        {
          if (gtk_widget_has_css_class (images->pdata[j], "file-icon"))
            icon = gtk_image_get_gicon (images->pdata[j]);
        }
      g_assert_nonnull (icon);

      paintable = gtk_icon_theme_lookup_by_gicon (theme, icon, 24, 1, GTK_TEXT_DIR_LTR, 0);
      g_assert_nonnull (paintable);
      g_test_message ("%s: %s", names[i],
                      g_file_peek_path (gtk_icon_paintable_get_file (paintable)));
      g_assert_true (gtk_icon_paintable_is_symbolic (paintable));

      g_object_unref (row);
    }
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
resume_cb (FerryTransferRow  *row,
           FerryTransfer     *transfer,
           FerryTransfer    **resumed)
{
  *resumed = transfer;
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
  FerryTransfer *resumed = NULL;
  GtkWidget *resume;
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

  /* Nothing was kept, so the row offers to try again from the start; the button asks the
   * window (through the "resume" signal) to run the same request again. */
  g_assert_false (ferry_transfer_get_resumable (transfer));
  resume = find_button (row, "transfer.resume");
  g_assert_true (gtk_widget_get_visible (resume));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (resume), ==, "Retry");
  g_signal_connect (row, "resume", G_CALLBACK (resume_cb), &resumed);
  gtk_widget_activate_action (row, "transfer.resume", NULL);
  g_assert_true (resumed == transfer);

  g_object_unref (row);
  g_clear_object (&transfer);
  ferry_client_disconnect (client);
  ferry_test_server_free (server);
  ferry_test_rm_rf (dir);
}

static GtkWidget *
find_widget (GtkWidget *root,
             GType      type)
{
  g_autoptr(GPtrArray) found = g_ptr_array_new ();

  collect_widgets (root, type, found);
  return found->len > 0 ? found->pdata[0] : NULL;
}

/* The application and its main window, connected to a real server the way the first-run page
 * does it: through app.connect. A GApplication exports itself on the session bus for good, so
 * the tests share one, and each connects it to a server of its own. */
typedef struct
{
  FerryTestServer  *server;
  char             *dir;
  FerryApplication *app;
  GtkWidget        *window;
} AppFixture;

static FerryApplication *shared_app;
static GtkWidget *shared_window;

static gboolean
client_connected (gpointer data)
{
  FerryApplication *app = data;
  FerryClient *client = ferry_application_get_client (app);

  return client && ferry_client_get_state (client) == FERRY_CLIENT_CONNECTED;
}

/* The fingerprint (canonical form) a TLS server with @data_dir presents, or NULL for a server
 * without TLS. */
static char *
server_fingerprint (const char *data_dir)
{
  const char *argv[] = { g_getenv ("FERRY_SERVER"), "--data-dir", data_dir,
                         "--print-fingerprint", NULL };
  g_autofree char *out = NULL;
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                     &out, NULL, &status, NULL)
      || !g_spawn_check_wait_status (status, NULL))
    return NULL;
  /* It prints the fingerprint for people; the canonical form is plain hex. */
  return ferry_fingerprint_parse (g_strstrip (out), NULL);
}

/* Pins @server in known-servers, where the app looks, as if trusted on an earlier run. */
static void
trust_server (FerryTestServer *server)
{
  g_autofree char *fingerprint = server_fingerprint (server->data_dir);
  g_autoptr(FerryClient) client = NULL;
  g_autoptr(GError) error = NULL;

  if (!fingerprint)
    return;
  client = ferry_client_new (server->address, "Dora");
  ferry_client_trust_fingerprint (client, fingerprint, &error);
  g_assert_no_error (error);
}

typedef enum
{
  TRUSTED,
  TRUSTED_NO_WAIT,  /* trusted, but something else is asked before it can connect */
  UNTRUSTED,
} Trust;

static FerryApplication *
get_shared_app (void)
{
  if (!shared_app)
    {
      g_autoptr(GError) error = NULL;

      shared_app = ferry_application_new ();
      g_application_register (G_APPLICATION (shared_app), NULL, &error);
      g_assert_no_error (error);

      /* Nothing saved yet: the window opens on the first-run page, and only on it. */
      g_assert_null (ferry_application_get_client (shared_app));
      shared_window = g_object_ref (ferry_window_new (shared_app));
      gtk_window_present (GTK_WINDOW (shared_window));
      g_assert_true (gtk_widget_is_visible (find_widget (shared_window,
                                                          FERRY_TYPE_CONNECT_PAGE)));
      g_assert_false (gtk_widget_is_visible (find_widget (shared_window,
                                                           FERRY_TYPE_FILES_PANEL)));
    }
  return shared_app;
}

static gboolean
app_fixture_set_up (AppFixture *fixture,
                    Trust       trust,
                    const char *first_server_arg,
                    ...)
{
  const char *extra[3] = { NULL, NULL, NULL };
  va_list ap;

  if (!g_getenv ("FERRY_SERVER"))
    {
      g_test_skip ("FERRY_SERVER is not set");
      return FALSE;
    }

  va_start (ap, first_server_arg);
  extra[0] = first_server_arg;
  if (extra[0])
    extra[1] = va_arg (ap, const char *);
  va_end (ap);

  fixture->app = get_shared_app ();
  fixture->window = shared_window;
  fixture->server = ferry_test_server_start (NULL, 0, extra[0], extra[1], NULL);
  fixture->dir = ferry_test_tmpdir ();
  if (trust != UNTRUSTED)
    trust_server (fixture->server);

  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "connect",
                                  g_variant_new ("(ss)", fixture->server->address, "Dora"));
  g_assert_nonnull (ferry_application_get_client (fixture->app));
  g_assert_cmpstr (ferry_client_get_address (ferry_application_get_client (fixture->app)), ==,
                   fixture->server->address);
  if (trust == TRUSTED)
    ferry_test_wait_for (client_connected, fixture->app, 30);
  return TRUE;
}

static void
app_fixture_tear_down (AppFixture *fixture)
{
  g_clear_pointer (&fixture->server, ferry_test_server_free);
  if (fixture->dir)
    ferry_test_rm_rf (fixture->dir);
  g_clear_pointer (&fixture->dir, g_free);
}

static void
shared_app_free (void)
{
  if (shared_window)
    {
      gtk_window_destroy (GTK_WINDOW (shared_window));
      g_clear_object (&shared_window);
    }
  g_clear_object (&shared_app);
}

static void
test_application_connect_saves (void)
{
  AppFixture fixture = { 0 };
  g_autofree char *server = NULL;
  g_autofree char *name = NULL;
  GSettings *settings;
  GtkWidget *connect_page;
  GtkWidget *files_panel;

  if (!app_fixture_set_up (&fixture, TRUSTED, NULL))
    return;

  /* The first-run page's choice is remembered for next time… */
  settings = ferry_application_get_settings (fixture.app);
  server = g_settings_get_string (settings, "server");
  name = g_settings_get_string (settings, "name");
  g_assert_cmpstr (server, ==, fixture.server->address);
  g_assert_cmpstr (name, ==, "Dora");

  /* …and the window has left the first-run page for the files. */
  connect_page = find_widget (fixture.window, FERRY_TYPE_CONNECT_PAGE);
  files_panel = find_widget (fixture.window, FERRY_TYPE_FILES_PANEL);
  g_assert_false (gtk_widget_is_visible (connect_page));
  g_assert_true (gtk_widget_is_visible (files_panel));

  app_fixture_tear_down (&fixture);
}

typedef struct
{
  FerryClient *client;
  const char  *name;
} OfferWait;

static gboolean
has_offer (gpointer data)
{
  OfferWait *wait = data;
  GListModel *offers = ferry_client_get_offers (wait->client);

  for (guint i = 0; i < g_list_model_get_n_items (offers); i++)
    {
      g_autoptr(FerryOffer) offer = g_list_model_get_item (offers, i);

      if (g_strcmp0 (ferry_offer_get_name (offer), wait->name) == 0)
        return TRUE;
    }
  return FALSE;
}

/* Drops @files on the window the way GTK does when a drag ends there: emits "drop" on the
 * files panel's GtkDropTarget with a GdkFileList. Returns what the handler returned. */
static gboolean
drop_files (GtkWidget *window,
            GSList    *files)
{
  GtkWidget *files_panel = find_widget (window, FERRY_TYPE_FILES_PANEL);
  g_autoptr(GListModel) controllers = NULL;
  GtkDropTarget *target = NULL;
  g_auto(GValue) value = G_VALUE_INIT;
  gboolean handled = FALSE;
  const GType *types;
  gsize n_types = 0;

  g_assert_nonnull (files_panel);
  controllers = gtk_widget_observe_controllers (files_panel);
  for (guint i = 0; i < g_list_model_get_n_items (controllers) && !target; i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_DROP_TARGET (controller))
        target = GTK_DROP_TARGET (controller);
    }
  g_assert_nonnull (target);

  /* It accepts a copy of a list of files, which is what file managers offer. */
  g_assert_true (gtk_drop_target_get_actions (target) & GDK_ACTION_COPY);
  types = gtk_drop_target_get_gtypes (target, &n_types);
  g_assert_cmpuint (n_types, ==, 1);
  g_assert_true (types[0] == GDK_TYPE_FILE_LIST);

  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_take_boxed (&value, gdk_file_list_new_from_list (files));
  g_signal_emit_by_name (target, "drop", &value, 10.0, 10.0, &handled);
  return handled;
}

static gboolean
offer_listed_by_cli (FerryTestServer *server,
                     const char      *dir,
                     const char      *name)
{
  g_autofree char *out = NULL;
  g_autofree char *quoted = g_strdup_printf ("\"name\":\"%s\"", name);
  g_autofree char *spaced = g_strdup_printf ("\"name\" : \"%s\"", name);
  int status;

  status = ferry_test_cli (server, dir, &out, NULL, "list", "--json", NULL);
  g_assert_cmpint (status, ==, 0);
  return strstr (out, quoted) || strstr (out, spaced);
}

static GtkWindow *
find_message_dialog (const char *heading_part)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window)
          && strstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (window)), heading_part))
        return window;
    }
  return NULL;
}

static gboolean
message_dialog_shown (gpointer data)
{
  return find_message_dialog (data) != NULL;
}

static void
test_window_drop (void)
{
  AppFixture fixture = { 0 };
  g_autofree char *path = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *empty = NULL;
  g_autofree char *cli_dir = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFile) folder_file = NULL;
  g_autoptr(GFile) empty_file = NULL;
  g_autoptr(GSList) files = NULL;
  OfferWait wait;
  FerryOffer *offer;
  GListModel *transfers;
  GtkWindow *dialog;

  if (!app_fixture_set_up (&fixture, TRUSTED, NULL))
    return;

  path = ferry_test_make_file (fixture.dir, "dropped.bin", 300000);
  file = g_file_new_for_path (path);
  cli_dir = g_build_filename (fixture.dir, "cli", NULL);
  g_assert_false (offer_listed_by_cli (fixture.server, cli_dir, "dropped.bin"));

  files = g_slist_append (files, file);
  g_assert_true (drop_files (fixture.window, files));

  /* The upload runs through the window's own path: a transfer, then the offer on the server. */
  wait.client = ferry_application_get_client (fixture.app);
  wait.name = "dropped.bin";
  ferry_test_wait_for (has_offer, &wait, 30);
  transfers = ferry_client_get_transfers (wait.client);
  g_assert_cmpuint (g_list_model_get_n_items (transfers), ==, 1);
  g_assert_true (offer_listed_by_cli (fixture.server, cli_dir, "dropped.bin"));
  for (guint i = 0; i < g_list_model_get_n_items (ferry_client_get_offers (wait.client)); i++)
    {
      offer = g_list_model_get_item (ferry_client_get_offers (wait.client), i);
      if (g_strcmp0 (ferry_offer_get_name (offer), "dropped.bin") == 0)
        {
          g_autofree char *sha = ferry_test_sha256_file (path);

          g_assert_cmpuint (ferry_offer_get_size (offer), ==, 300000);
          g_assert_cmpstr (ferry_offer_get_sha256_hex (offer), ==, sha);
          g_assert_true (ferry_offer_get_mine (offer));
        }
      g_object_unref (offer);
    }

  /* A dropped folder is shared as one offer. */
  folder = g_build_filename (fixture.dir, "a folder", NULL);
  g_assert_cmpint (g_mkdir (folder, 0700), ==, 0);
  g_free (ferry_test_make_file (folder, "inside.txt", 1000));
  folder_file = g_file_new_for_path (folder);
  g_clear_pointer (&files, g_slist_free);
  files = g_slist_append (files, folder_file);
  g_assert_true (drop_files (fixture.window, files));
  wait.name = "a folder";
  ferry_test_wait_for (has_offer, &wait, 30);
  g_assert_cmpuint (g_list_model_get_n_items (transfers), ==, 2);
  g_assert_true (offer_listed_by_cli (fixture.server, cli_dir, "a folder"));

  /* An empty folder holds nothing to share: a dialog says so, naming it. */
  empty = g_build_filename (fixture.dir, "empty folder", NULL);
  g_assert_cmpint (g_mkdir (empty, 0700), ==, 0);
  empty_file = g_file_new_for_path (empty);
  g_clear_pointer (&files, g_slist_free);
  files = g_slist_append (files, empty_file);
  g_assert_true (drop_files (fixture.window, files));
  ferry_test_wait_for (message_dialog_shown, (gpointer) "empty folder", 30);
  dialog = find_message_dialog ("empty folder");
  g_test_message ("an empty folder: %s",
                  adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)));
  gtk_window_destroy (dialog);

  app_fixture_tear_down (&fixture);
}

static void
test_window_drop_too_large (void)
{
  AppFixture fixture = { 0 };
  g_autofree char *path = NULL;
  g_autofree char *cli_dir = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GSList) files = NULL;
  AdwMessageDialog *dialog;
  FerryClient *client;

  if (!app_fixture_set_up (&fixture, TRUSTED, "--max-file-size", "1K"))
    return;

  client = ferry_application_get_client (fixture.app);
  g_assert_cmpuint (ferry_client_get_max_file_size (client), ==, 1024);

  path = ferry_test_make_file (fixture.dir, "over the limit.bin", 2048);
  file = g_file_new_for_path (path);
  files = g_slist_append (files, file);
  g_assert_true (drop_files (fixture.window, files));

  ferry_test_wait_for (message_dialog_shown, (gpointer) "over the limit.bin", 30);
  dialog = ADW_MESSAGE_DIALOG (find_message_dialog ("over the limit.bin"));
  g_test_message ("%s: %s", adw_message_dialog_get_heading (dialog),
                  adw_message_dialog_get_body (dialog));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "1.0\u00a0kB"));

  /* Refused before any transfer started, so nothing reached the server. */
  g_assert_cmpuint (g_list_model_get_n_items (ferry_client_get_transfers (client)), ==, 0);
  cli_dir = g_build_filename (fixture.dir, "cli", NULL);
  g_assert_false (offer_listed_by_cli (fixture.server, cli_dir, "over the limit.bin"));
  gtk_window_destroy (GTK_WINDOW (dialog));

  app_fixture_tear_down (&fixture);
}

static void
respond (AdwMessageDialog *dialog,
         const char       *response)
{
  adw_message_dialog_response (dialog, response);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* A new server is trusted only when the person confirms its fingerprint; a server whose key
 * changed is refused until the person forgets it and confirms the new one. */
static void
test_window_trust (void)
{
  AppFixture fixture = { 0 };
  g_autofree char *fingerprint = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *second_fingerprint = NULL;
  FerryTestServer *second;
  AdwMessageDialog *dialog;
  guint16 port;

  if (!app_fixture_set_up (&fixture, UNTRUSTED, NULL))
    return;
  fingerprint = server_fingerprint (fixture.server->data_dir);
  if (!fingerprint)
    {
      g_test_skip ("the server has no TLS");
      app_fixture_tear_down (&fixture);
      return;
    }

  /* Asked, with the fingerprint shown as people compare it, and not connected meanwhile. */
  ferry_test_wait_for (message_dialog_shown, (gpointer) "Trust This Server?", 30);
  dialog = ADW_MESSAGE_DIALOG (find_message_dialog ("Trust This Server?"));
  shown = ferry_fingerprint_format (fingerprint);
  shown[4 * 8 + 7] = '\n';  /* after the eighth group of four */
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), shown));
  g_assert_false (client_connected (fixture.app));
  respond (dialog, "trust");
  ferry_test_wait_for (client_connected, fixture.app, 30);

  /* The same address now presents another key: refused, and said so. */
  port = fixture.server->port;
  ferry_test_server_stop (fixture.server);
  second = ferry_test_server_start (NULL, port, NULL);
  second_fingerprint = server_fingerprint (second->data_dir);
  g_assert_cmpstr (second_fingerprint, !=, fingerprint);
  ferry_test_wait_for (message_dialog_shown, (gpointer) "Server Identity Changed", 60);
  g_assert_false (client_connected (fixture.app));

  /* Forgetting it asks anew, with the new fingerprint; trusting that connects. */
  respond (ADW_MESSAGE_DIALOG (find_message_dialog ("Server Identity Changed")), "forget");
  ferry_test_wait_for (message_dialog_shown, (gpointer) "Trust This Server?", 30);
  dialog = ADW_MESSAGE_DIALOG (find_message_dialog ("Trust This Server?"));
  g_clear_pointer (&shown, g_free);
  shown = ferry_fingerprint_format (second_fingerprint);
  shown[4 * 8 + 7] = '\n';
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), shown));
  respond (dialog, "trust");
  ferry_test_wait_for (client_connected, fixture.app, 30);

  ferry_test_server_free (second);
  app_fixture_tear_down (&fixture);
}

/* The first button under @root that reads @label, as a person finds it: by the words on it
 * (its label's text, without the mnemonic underline), whatever action it points at. */
static GtkWidget *
find_button_named (GtkWidget  *root,
                   const char *label)
{
  g_autoptr(GPtrArray) buttons = g_ptr_array_new ();

  collect_widgets (root, GTK_TYPE_BUTTON, buttons);
  for (guint i = 0; i < buttons->len; i++)
    {
      g_autoptr(GPtrArray) labels = g_ptr_array_new ();

      collect_widgets (buttons->pdata[i], GTK_TYPE_LABEL, labels);
      for (guint j = 0; j < labels->len; j++)
        {
          if (g_strcmp0 (gtk_label_get_text (labels->pdata[j]), label) == 0)
            return buttons->pdata[i];
        }
    }
  g_assert_not_reached ();
  return NULL;
}

static void
transfer_done_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  gboolean *done = user_data;

  ferry_transfer_run_finish (FERRY_TRANSFER (object), result, NULL);
  *done = TRUE;
}

/* "Clear Finished" removes done, failed and cancelled transfers, leaves running ones, and is
 * insensitive while there is nothing to clear. */
static void
test_window_clear_finished (void)
{
  AppFixture fixture = { 0 };
  g_autofree char *small_path = NULL;
  g_autofree char *big_path = NULL;
  g_autoptr(GFile) small_file = NULL;
  g_autoptr(GFile) big_file = NULL;
  g_autoptr(FerryTransfer) small = NULL;
  g_autoptr(FerryTransfer) big = NULL;
  FerryTransfersPanel *panel;
  GListModel *transfers;
  FerryClient *client;
  GtkWidget *button;
  gboolean small_done = FALSE;
  gboolean big_done = FALSE;

  if (!app_fixture_set_up (&fixture, TRUSTED, NULL))
    return;

  client = ferry_application_get_client (fixture.app);
  transfers = ferry_client_get_transfers (client);
  panel = FERRY_TRANSFERS_PANEL (find_widget (fixture.window, FERRY_TYPE_TRANSFERS_PANEL));
  g_assert_true (ferry_transfers_panel_get_transfers (panel) == transfers);
  button = find_button_named (fixture.window, "Clear Finished");
  g_assert_false (ferry_transfers_panel_get_has_finished (panel));
  g_assert_false (gtk_widget_get_sensitive (button));

  small_path = ferry_test_make_file (fixture.dir, "small.bin", 1000);
  small_file = g_file_new_for_path (small_path);
  small = ferry_client_upload (client, small_file, NULL);
  ferry_transfer_run_async (small, NULL, transfer_done_cb, &small_done);
  g_assert_false (gtk_widget_get_sensitive (button));
  ferry_test_wait (&small_done, 30);
  g_assert_cmpint (ferry_transfer_get_state (small), ==, FERRY_TRANSFER_DONE);
  g_assert_true (ferry_transfers_panel_get_has_finished (panel));
  g_assert_true (gtk_widget_get_sensitive (button));

  /* Started, and not finished: no main loop iteration before the click. */
  big_path = ferry_test_make_file (fixture.dir, "big.bin", 8 * 1024 * 1024);
  big_file = g_file_new_for_path (big_path);
  big = ferry_client_upload (client, big_file, NULL);
  ferry_transfer_run_async (big, NULL, transfer_done_cb, &big_done);
  g_assert_cmpuint (g_list_model_get_n_items (transfers), ==, 2);
  g_assert_false (ferry_transfer_is_finished (big));

  g_signal_emit_by_name (button, "clicked");
  g_assert_cmpuint (g_list_model_get_n_items (transfers), ==, 1);
  {
    g_autoptr(FerryTransfer) left = g_list_model_get_item (transfers, 0);

    g_assert_true (left == big);
  }
  g_assert_false (ferry_transfers_panel_get_has_finished (panel));
  g_assert_false (gtk_widget_get_sensitive (button));

  /* A cancelled transfer is finished too. */
  ferry_transfer_cancel (big);
  ferry_test_wait (&big_done, 30);
  g_assert_cmpint (ferry_transfer_get_state (big), ==, FERRY_TRANSFER_CANCELLED);
  g_assert_true (gtk_widget_get_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
  g_assert_cmpuint (g_list_model_get_n_items (transfers), ==, 0);
  g_assert_false (gtk_widget_get_sensitive (button));

  app_fixture_tear_down (&fixture);
}

/* The two questions about a server's identity: each offers its own answer besides Cancel,
 * with buttons that read so, and shows what it is about (the address as text, escaped once in
 * the markup, and the fingerprint in two lines of eight groups). */
static void
test_trust_dialog (void)
{
  const char *fingerprint = "00112233445566778899aabbccddeeff"
                            "00112233445566778899aabbccddeeff";
  g_autofree char *shown = ferry_fingerprint_format (fingerprint);
  AdwMessageDialog *untrusted;
  AdwMessageDialog *changed;
  const char *body;

  untrusted = ADW_MESSAGE_DIALOG (ferry_trust_dialog_new_untrusted (NULL, "a<b>&c:1",
                                                                    fingerprint));
  g_assert_cmpstr (adw_message_dialog_get_heading (untrusted), ==, "Trust This Server?");
  g_assert_cmpstr (ferry_trust_dialog_get_fingerprint (FERRY_TRUST_DIALOG (untrusted)), ==,
                   fingerprint);
  body = adw_message_dialog_get_body (untrusted);
  g_test_message ("%s", body);
  g_assert_true (adw_message_dialog_get_body_use_markup (untrusted));
  g_assert_nonnull (strstr (body, "a&lt;b&gt;&amp;c:1"));
  shown[4 * 8 + 7] = '\n';  /* after the eighth group of four */
  g_assert_nonnull (strstr (body, shown));
  g_assert_true (adw_message_dialog_has_response (untrusted, "trust"));
  g_assert_true (adw_message_dialog_has_response (untrusted, "cancel"));
  g_assert_false (adw_message_dialog_has_response (untrusted, "forget"));
  g_assert_cmpstr (adw_message_dialog_get_default_response (untrusted), ==, "cancel");
  g_assert_cmpstr (adw_message_dialog_get_close_response (untrusted), ==, "cancel");
  g_assert_cmpint (adw_message_dialog_get_response_appearance (untrusted, "trust"), ==,
                   ADW_RESPONSE_SUGGESTED);
  find_button_named (GTK_WIDGET (untrusted), "Trust and Connect");
  find_button_named (GTK_WIDGET (untrusted), "Cancel");
  gtk_window_destroy (GTK_WINDOW (untrusted));

  changed = ADW_MESSAGE_DIALOG (ferry_trust_dialog_new_changed (NULL, "The key changed."));
  g_assert_cmpstr (adw_message_dialog_get_heading (changed), ==, "Server Identity Changed");
  g_assert_cmpstr (adw_message_dialog_get_body (changed), ==, "The key changed.");
  g_assert_null (ferry_trust_dialog_get_fingerprint (FERRY_TRUST_DIALOG (changed)));
  g_assert_true (adw_message_dialog_has_response (changed, "forget"));
  g_assert_true (adw_message_dialog_has_response (changed, "cancel"));
  g_assert_false (adw_message_dialog_has_response (changed, "trust"));
  g_assert_cmpstr (adw_message_dialog_get_close_response (changed), ==, "cancel");
  g_assert_cmpint (adw_message_dialog_get_response_appearance (changed, "forget"), ==,
                   ADW_RESPONSE_DESTRUCTIVE);
  find_button_named (GTK_WIDGET (changed), "Forget Server");
  gtk_window_destroy (GTK_WINDOW (changed));
}

static gboolean
offer_gone (gpointer data)
{
  return !has_offer (data);
}

static gboolean
deletes_finished (gpointer data)
{
  FerryWindow *window = data;

  return window->deletes->len == 0;
}

/* Deleting through the window (win.delete, then the confirmation) removes the file, and leaves
 * nothing behind on the window's long-lived cancellable, however many files it deletes. */
static void
test_window_delete (void)
{
  AppFixture fixture = { 0 };
  const char *names[] = { "first.bin", "second.bin", "third.bin" };
  guint cancelled_id = g_signal_lookup ("cancelled", G_TYPE_CANCELLABLE);
  FerryWindow *window;
  FerryClient *client;

  if (!app_fixture_set_up (&fixture, TRUSTED, NULL))
    return;
  window = FERRY_WINDOW (fixture.window);
  client = ferry_application_get_client (fixture.app);
  g_assert_false (g_signal_has_handler_pending (window->cancellable, cancelled_id, 0, FALSE));

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = ferry_test_make_file (fixture.dir, names[i], 1000);
      g_autoptr(GFile) file = g_file_new_for_path (path);
      g_autoptr(FerryTransfer) upload = ferry_client_upload (client, file, NULL);
      g_autofree char *heading = g_strdup_printf ("Delete “%s”?", names[i]);
      OfferWait wait = { client, names[i] };
      gboolean done = FALSE;
      FerryOffer *offer = NULL;
      GListModel *offers;

      ferry_transfer_run_async (upload, NULL, transfer_done_cb, &done);
      ferry_test_wait (&done, 30);
      ferry_test_wait_for (has_offer, &wait, 30);
      offers = ferry_client_get_offers (client);
      for (guint j = 0; j < g_list_model_get_n_items (offers) && !offer; j++)
        {
          g_autoptr(FerryOffer) item = g_list_model_get_item (offers, j);

          if (g_strcmp0 (ferry_offer_get_name (item), names[i]) == 0)
            offer = item;
        }
      g_assert_nonnull (offer);

      gtk_widget_activate_action (fixture.window, "win.delete", "s", ferry_offer_get_id (offer));
      ferry_test_wait_for (message_dialog_shown, heading, 30);
      respond (ADW_MESSAGE_DIALOG (find_message_dialog (heading)), "delete");
      ferry_test_wait_for (offer_gone, &wait, 30);
      ferry_test_wait_for (deletes_finished, window, 30);
    }

  g_assert_false (g_signal_has_handler_pending (window->cancellable, cancelled_id, 0, FALSE));
  g_assert_null (find_message_dialog ("Not Deleted"));

  app_fixture_tear_down (&fixture);
}

static GtkWindow *
find_password_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (FERRY_IS_PASSWORD_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return window;
    }
  return NULL;
}

static gboolean
password_dialog_shown (gpointer data)
{
  return find_password_dialog () != NULL;
}

static gboolean
client_failed_with (gpointer data)
{
  FerryClient *client = ferry_application_get_client (shared_app);
  const GError *error = client ? ferry_client_get_error (client) : NULL;

  return error && error->domain == FERRY_ERROR && error->code == GPOINTER_TO_INT (data);
}

/* A server with a password: the app stops, asks, asks again with the server's sentence after
 * a wrong one, connects with the right one, and remembers it only when asked to, and only for
 * that server. */
static void
test_window_password (void)
{
  AppFixture fixture = { 0 };
  g_autofree char *secret_dir = ferry_test_tmpdir ();
  g_autofree char *password_file = g_build_filename (secret_dir, "password", NULL);
  g_autofree char *saved = NULL;
  g_autofree char *saved_server = NULL;
  FerryPasswordDialog *dialog;
  FerryClient *client;
  GSettings *settings;
  const char *body;

  g_assert_true (g_file_set_contents (password_file, "s3cret\n", -1, NULL));
  if (!app_fixture_set_up (&fixture, TRUSTED_NO_WAIT, "--password-file", password_file))
    {
      ferry_test_rm_rf (secret_dir);
      return;
    }
  settings = ferry_application_get_settings (fixture.app);
  client = ferry_application_get_client (fixture.app);

  /* Asked, and no longer retrying on its own. */
  ferry_test_wait_for (password_dialog_shown, NULL, 30);
  dialog = FERRY_PASSWORD_DIALOG (find_password_dialog ());
  body = adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog));
  g_test_message ("first: %s", body);
  g_assert_nonnull (strstr (body, fixture.server->address));
  g_assert_false (ferry_password_dialog_get_remember (dialog));
  g_assert_false (client_connected (fixture.app));
  g_assert_false (ferry_client_get_reconnect (client));
  g_assert_true (client_failed_with (GINT_TO_POINTER (FERRY_ERROR_AUTH)));

  /* Nothing to send yet: Connect waits for a password. */
  g_assert_false (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog),
                                                           "connect"));
  ferry_password_dialog_set_password (dialog, "wrong");
  g_assert_true (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog),
                                                          "connect"));
  ferry_password_dialog_set_remember (dialog, TRUE);
  respond (ADW_MESSAGE_DIALOG (dialog), "connect");

  /* Wrong: asked again, with what the server said. */
  ferry_test_wait_for (password_dialog_shown, NULL, 30);
  dialog = FERRY_PASSWORD_DIALOG (find_password_dialog ());
  body = adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog));
  g_test_message ("again: %s", body);
  g_assert_nonnull (strstr (body, "wrong"));
  g_assert_false (client_connected (fixture.app));
  saved = g_settings_get_string (settings, "password");
  g_assert_cmpstr (saved, ==, "");
  g_clear_pointer (&saved, g_free);

  ferry_password_dialog_set_password (dialog, "s3cret");
  ferry_password_dialog_set_remember (dialog, TRUE);
  respond (ADW_MESSAGE_DIALOG (dialog), "connect");
  ferry_test_wait_for (client_connected, fixture.app, 30);
  g_assert_true (ferry_application_get_client (fixture.app) == client);
  g_assert_true (ferry_client_get_reconnect (client));

  /* Remembered, for this server, once accepted. */
  saved = g_settings_get_string (settings, "password");
  saved_server = g_settings_get_string (settings, "password-server");
  g_assert_cmpstr (saved, ==, "s3cret");
  g_assert_cmpstr (saved_server, ==, fixture.server->address);
  g_clear_pointer (&saved, g_free);
  g_clear_pointer (&saved_server, g_free);

  /* Next time it connects without asking. */
  g_action_group_activate_action (G_ACTION_GROUP (fixture.app), "disconnect", NULL);
  g_assert_null (ferry_application_get_client (fixture.app));
  g_action_group_activate_action (G_ACTION_GROUP (fixture.app), "connect",
                                  g_variant_new ("(ss)", fixture.server->address, "Dora"));
  ferry_test_wait_for (client_connected, fixture.app, 30);
  g_assert_null (find_password_dialog ());

  /* Another server address: the remembered password is forgotten, never sent there. */
  g_action_group_activate_action (G_ACTION_GROUP (fixture.app), "disconnect", NULL);
  g_action_group_activate_action (G_ACTION_GROUP (fixture.app), "connect",
                                  g_variant_new ("(ss)", "127.0.0.1:1", "Dora"));
  saved = g_settings_get_string (settings, "password");
  saved_server = g_settings_get_string (settings, "password-server");
  g_assert_cmpstr (saved, ==, "");
  g_assert_cmpstr (saved_server, ==, "");
  g_action_group_activate_action (G_ACTION_GROUP (fixture.app), "disconnect", NULL);

  app_fixture_tear_down (&fixture);
  ferry_test_rm_rf (secret_dir);
}

static gboolean
banner_says (GtkWidget  *window,
             const char *part)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  g_autoptr(GPtrArray) revealers = g_ptr_array_new ();

  collect_widgets (window, GTK_TYPE_REVEALER, revealers);
  for (guint i = 0; i < revealers->len; i++)
    {
      GtkRevealer *revealer = revealers->pdata[i];

      if (!gtk_revealer_get_reveal_child (revealer))
        continue;
      g_ptr_array_set_size (labels, 0);
      collect_widgets (GTK_WIDGET (revealer), GTK_TYPE_LABEL, labels);
      for (guint j = 0; j < labels->len; j++)
        {
          if (strstr (gtk_label_get_label (labels->pdata[j]), part))
            return TRUE;
        }
    }
  return FALSE;
}

static gboolean
banner_mentions_no_tls (gpointer data)
{
  return banner_says (data, "--no-tls");
}

/* TLS against a --no-tls server fails with a sentence that says so, on screen; the "tls"
 * setting off connects, and the title says the connection is unencrypted. */
static void
test_window_no_tls (void)
{
  AppFixture fixture = { 0 };
  GSettings *settings;
  AdwWindowTitle *title;
  const GError *error;

  if (!app_fixture_set_up (&fixture, UNTRUSTED, "--no-tls", NULL))
    return;
  settings = ferry_application_get_settings (fixture.app);
  g_assert_true (g_settings_get_boolean (settings, "tls"));
  g_assert_true (ferry_client_get_tls (ferry_application_get_client (fixture.app)));

  ferry_test_wait_for (client_failed_with, GINT_TO_POINTER (FERRY_ERROR_TLS), 30);
  error = ferry_client_get_error (ferry_application_get_client (fixture.app));
  g_test_message ("%s", error->message);
  ferry_test_wait_for (banner_mentions_no_tls, fixture.window, 30);
  g_assert_false (client_connected (fixture.app));

  g_settings_set_boolean (settings, "tls", FALSE);
  g_assert_false (ferry_client_get_tls (ferry_application_get_client (fixture.app)));
  ferry_test_wait_for (client_connected, fixture.app, 30);
  g_assert_false (banner_says (fixture.window, "--no-tls"));
  title = ADW_WINDOW_TITLE (find_widget (fixture.window, ADW_TYPE_WINDOW_TITLE));
  g_assert_nonnull (strstr (adw_window_title_get_subtitle (title), "unencrypted"));

  g_action_group_activate_action (G_ACTION_GROUP (fixture.app), "disconnect", NULL);
  g_settings_reset (settings, "tls");
  app_fixture_tear_down (&fixture);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  /* The app is not the session's single instance: the e2e tests may run one. */
  g_setenv ("FERRY_NON_UNIQUE", "1", TRUE);
  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  adw_init ();

  g_test_add_func ("/gui/files-panel/sort", test_files_panel_sort);
  g_test_add_func ("/gui/files-panel/search", test_files_panel_search);
  g_test_add_func ("/gui/files-panel/ten-thousand", test_files_panel_many);
  g_test_add_func ("/gui/offer-row/fields", test_offer_row);
  g_test_add_func ("/gui/offer-row/icon", test_offer_row_icon);
  g_test_add_func ("/gui/transfer-row/progress", test_transfer_row_progress);
  g_test_add_func ("/gui/transfer-row/failure", test_transfer_row_failure);
  g_test_add_func ("/gui/trust-dialog/questions", test_trust_dialog);
  g_test_add_func ("/gui/application/connect-saves-settings", test_application_connect_saves);
  g_test_add_func ("/gui/window/drop-uploads", test_window_drop);
  g_test_add_func ("/gui/window/drop-too-large", test_window_drop_too_large);
  g_test_add_func ("/gui/window/trust", test_window_trust);
  g_test_add_func ("/gui/window/clear-finished", test_window_clear_finished);
  g_test_add_func ("/gui/window/delete", test_window_delete);
  g_test_add_func ("/gui/window/password", test_window_password);
  g_test_add_func ("/gui/window/no-tls", test_window_no_tls);

  status = g_test_run ();
  shared_app_free ();
  return status;
}
