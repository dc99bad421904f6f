/* ferry-cli-transfer.c: ferry-cli upload and download, many files at once through the
 * client's pool of request connections
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The first transfer of a batch runs alone, with a progress line, and answers the trust and
 * password questions; the rest then run side by side (FerryTransferQueue runs 4 at once).
 * Results are printed in the order of the arguments, each as soon as it and all before it are
 * done, so that a pipe reading ids or paths line by line gets them in that order.
 */
#define G_LOG_DOMAIN "ferry-cli"

#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <signal.h>
#include <glib/gi18n.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>

#include "ferry-cli-private.h"
#include "ferry-error.h"

typedef struct
{
  FerryCliTransferAttempt  attempt;
  char                    *shown;     /* for messages: the file or the id */
  GError                  *error;
  gboolean                 done;
} BatchItem;

typedef struct
{
  GArray *items;                     /* BatchItem */
  guint   reported;                  /* items before this one are printed */
  gboolean upload;
  gboolean failed;
} Batch;

static void
batch_item_clear (BatchItem *item)
{
  g_clear_object (&item->attempt.file);
  g_clear_object (&item->attempt.transfer);
  g_clear_pointer (&item->shown, g_free);
  g_clear_error (&item->error);
}

/* Says what a folder upload left out (PROTOCOL.md §5, Folders). */
static void
report_left_out (BatchItem *item)
{
  const char *first = NULL;
  guint skipped = ferry_transfer_get_folder_skipped (item->attempt.transfer, &first);
  g_autofree char *shown = NULL;

  if (skipped == 0)
    return;
  shown = ferry_cli_printable_name (first);
  /* Translators: the first %s is the folder, the second a path inside it */
  g_printerr (g_dngettext (GETTEXT_PACKAGE,
                           "ferry-cli: %u entry of %s was left out (symbolic links, devices "
                           "and FIFOs are not shared): “%s”.\n",
                           "ferry-cli: %u entries of %s were left out (symbolic links, devices "
                           "and FIFOs are not shared), the first being “%s”.\n", skipped),
              skipped, item->shown, shown);
}

/* Prints the results that are ready, in order. */
static void
batch_report (Batch *batch)
{
  while (batch->reported < batch->items->len)
    {
      BatchItem *item = &g_array_index (batch->items, BatchItem, batch->reported);

      if (!item->done)
        return;
      batch->reported++;
      if (item->error)
        {
          batch->failed = TRUE;
          g_printerr (batch->upload ? _("ferry-cli: could not upload %s: %s\n")
                                    : _("ferry-cli: could not download %s: %s\n"),
                      item->shown, item->error->message);
        }
      else if (batch->upload)
        {
          report_left_out (item);
          g_print ("%s\n", ferry_offer_get_id (ferry_transfer_get_offer (item->attempt.transfer)));
        }
      else
        {
          g_autofree char *saved = g_file_get_path (ferry_transfer_get_file (item->attempt.transfer));

          g_print ("%s\n", saved);
        }
      fflush (stdout);
    }
}

typedef struct
{
  Batch *batch;
  guint  index;
} ItemRef;

static void
item_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autofree ItemRef *ref = user_data;
  BatchItem *item = &g_array_index (ref->batch->items, BatchItem, ref->index);

  ferry_transfer_run_finish (FERRY_TRANSFER (object), result, &item->error);
  item->done = TRUE;
  batch_report (ref->batch);
}

/* Ctrl+C: every transfer of the batch stops cleanly, keeping what it moved for resuming. */
static gboolean
batch_interrupt_cb (gpointer user_data)
{
  Batch *batch = user_data;

  for (guint i = 0; i < batch->items->len; i++)
    {
      BatchItem *item = &g_array_index (batch->items, BatchItem, i);

      if (item->attempt.transfer)
        ferry_transfer_cancel (item->attempt.transfer);
    }
  return G_SOURCE_CONTINUE;
}

/* Runs every item of @batch; returns the exit code. */
static int
batch_run (FerryClient *client,
           Batch       *batch,
           const char  *verb)
{
  BatchItem *first = &g_array_index (batch->items, BatchItem, 0);
  guint interrupt_id;
  guint pending;
  int code;

  /* Alone, with a progress line, answering trust and password questions. Several files show
   * one line each as they finish instead. */
  first->attempt.verb = batch->items->len == 1 ? verb : NULL;
  code = ferry_cli_with_answers (client, ferry_cli_transfer_attempt, &first->attempt,
                                 &first->error);
  if (code != EXIT_SUCCESS && !first->error)
    return code;   /* an untrusted server: no other file will fare better */
  first->done = TRUE;
  batch_report (batch);

  for (guint i = 1; i < batch->items->len; i++)
    {
      BatchItem *item = &g_array_index (batch->items, BatchItem, i);
      ItemRef *ref = g_new0 (ItemRef, 1);

      ref->batch = batch;
      ref->index = i;
      if (item->attempt.file)
        {
          item->attempt.transfer = ferry_client_upload (client, item->attempt.file,
                                                        item->attempt.name);
          ferry_transfer_set_resume (item->attempt.transfer,
                                     !(item->attempt.flags & FERRY_DOWNLOAD_NO_RESUME));
        }
      else
        item->attempt.transfer = ferry_client_download (client, item->attempt.offer_id,
                                                        item->attempt.destination,
                                                        item->attempt.flags);
      ferry_transfer_run_async (item->attempt.transfer, NULL, item_done_cb, ref);
    }

  interrupt_id = g_unix_signal_add (SIGINT, batch_interrupt_cb, batch);
  do
    {
      pending = batch->items->len - batch->reported;
      if (pending > 0)
        g_main_context_iteration (NULL, TRUE);
    }
  while (pending > 0);
  g_source_remove (interrupt_id);

  return batch->failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

static Batch *
batch_new (gboolean upload)
{
  Batch *batch = g_new0 (Batch, 1);

  batch->items = g_array_new (FALSE, TRUE, sizeof (BatchItem));
  g_array_set_clear_func (batch->items, (GDestroyNotify) batch_item_clear);
  batch->upload = upload;
  return batch;
}

static void
batch_free (Batch *batch)
{
  g_array_unref (batch->items);
  g_free (batch);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Batch, batch_free)

/* ---- upload ------------------------------------------------------------------------------- */

static void
spool_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  g_autoptr(GInputStream) in = g_unix_input_stream_new (STDIN_FILENO, FALSE);
  GOutputStream *out = task_data;
  GError *error = NULL;

  if (g_output_stream_splice (out, in, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, cancellable,
                              &error) < 0)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* Copies standard input, a pipe of unknown length, into a new file in $XDG_CACHE_HOME/ferry
 * (or TMPDIR), in a worker thread: the upload needs its size before it starts. */
static GFile *
spool_stdin (GError **error)
{
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "ferry", NULL);
  g_autofree char *template = NULL;
  g_autoptr(GFile) spool = NULL;
  g_autoptr(GTask) task = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) local_error = NULL;
  int fd = -1;

  if (g_mkdir_with_parents (dir, 0700) == 0)
    {
      template = g_build_filename (dir, "stdin-XXXXXX", NULL);
      fd = g_mkstemp_full (template, O_RDWR, 0600);
    }
  if (fd < 0)
    {
      g_clear_pointer (&template, g_free);
      fd = g_file_open_tmp ("ferry-stdin-XXXXXX", &template, error);
      if (fd < 0)
        return NULL;
    }
  spool = g_file_new_for_path (template);

  task = g_task_new (NULL, NULL, ferry_cli_store_result_cb, &result);
  g_task_set_task_data (task, g_unix_output_stream_new (fd, TRUE), g_object_unref);
  g_task_run_in_thread (task, spool_thread);
  g_clear_object (&task);
  if (!g_task_propagate_boolean (G_TASK (ferry_cli_wait_for (&result)), &local_error))
    {
      g_file_delete (spool, NULL, NULL);
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  _("Could not read standard input: "));
      return NULL;
    }
  return g_steal_pointer (&spool);
}

int
ferry_cli_upload (FerryClient  *client,
                  int           argc,
                  char        **argv)
{
  g_autofree char *name = NULL;
  gboolean no_resume = FALSE;
  GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &name,
      N_("The name to share standard input (“-”) as"), N_("NAME") },
    { "no-resume", 0, 0, G_OPTION_ARG_NONE, &no_resume,
      N_("Start over instead of continuing an interrupted upload"), NULL },
    { NULL }
  };
  g_autoptr(Batch) batch = batch_new (TRUE);
  g_autoptr(GFile) spool = NULL;
  g_autoptr(GError) error = NULL;
  int code = EXIT_SUCCESS;

  if (!ferry_cli_parse_command_options ("upload",
                                        _("FILE… — “-” reads standard input (with --name): it "
                                          "is first copied to a temporary file in "
                                          "$XDG_CACHE_HOME/ferry, removed afterwards"),
                                        entries, &argc, &argv, &code))
    return code;
  if (argc < 2)
    return ferry_cli_usage_error (_("“upload” needs at least one file."));
  if (name && !g_utf8_validate (name, -1, NULL))
    return ferry_cli_usage_error (_("The name given with --name is not valid UTF-8."));

  for (int i = 1; i < argc; i++)
    {
      BatchItem item = { { 0 }, NULL, NULL, FALSE };

      if (g_str_equal (argv[i], "-"))
        {
          if (!name || spool)
            return ferry_cli_usage_error (_("“-” (standard input) needs --name, and comes "
                                            "once."));
          if (!(spool = spool_stdin (&error)))
            return ferry_cli_fail (error);
          item.attempt.file = g_object_ref (spool);
          item.attempt.name = name;
        }
      else
        {
          item.attempt.file = g_file_new_for_commandline_arg (argv[i]);
        }
      item.attempt.flags = no_resume ? FERRY_DOWNLOAD_NO_RESUME : 0;
      item.shown = g_filename_display_name (argv[i]);
      g_array_append_val (batch->items, item);
    }
  if (name && !spool)
    return ferry_cli_usage_error (_("--name names standard input: give “-” as the file."));

  code = batch_run (client, batch, _("Uploading"));
  if (spool)
    g_file_delete (spool, NULL, NULL);
  return code;
}

/* ---- download ----------------------------------------------------------------------------- */

/* The ids of the offers whose name matches @pattern (NULL: all), oldest first. */
static GPtrArray *
matching_ids (FerryClient *client,
              const char  *pattern)
{
  g_autoptr(GPatternSpec) spec = pattern ? g_pattern_spec_new (pattern) : NULL;
  GListModel *offers = ferry_client_get_offers (client);
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < g_list_model_get_n_items (offers); i++)
    {
      g_autoptr(FerryOffer) offer = g_list_model_get_item (offers, i);

      if (!spec || g_pattern_spec_match_string (spec, ferry_offer_get_name (offer)))
        g_ptr_array_add (ids, g_strdup (ferry_offer_get_id (offer)));
    }
  return ids;
}

int
ferry_cli_download (FerryClient  *client,
                    int           argc,
                    char        **argv)
{
  g_autofree char *output = NULL;
  g_autofree char *match = NULL;
  gboolean all = FALSE;
  gboolean no_resume = FALSE;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      N_("Save into this folder (or, for one file, as this file; never overwriting)"),
      N_("PATH") },
    { "all", 0, 0, G_OPTION_ARG_NONE, &all, N_("Download every shared file"), NULL },
    { "match", 0, 0, G_OPTION_ARG_STRING, &match,
      N_("With --all: only files whose name matches this pattern (* and ?)"), N_("GLOB") },
    { "no-resume", 0, 0, G_OPTION_ARG_NONE, &no_resume,
      N_("Start over instead of continuing an interrupted download"), NULL },
    { NULL }
  };
  g_autoptr(Batch) batch = batch_new (FALSE);
  g_autoptr(GFile) destination = NULL;
  g_autoptr(GPtrArray) ids = NULL;
  FerryDownloadFlags flags = FERRY_DOWNLOAD_FLAGS_NONE;
  int code;

  if (!ferry_cli_parse_command_options ("download", _("ID… | --all [--match GLOB]"), entries,
                                        &argc, &argv, &code))
    return code;
  if (match && !all)
    return ferry_cli_usage_error (_("--match goes with --all."));
  if (all == (argc > 1))
    return ferry_cli_usage_error (_("“download” needs file ids (see “ferry-cli list”) or "
                                    "--all."));
  destination = g_file_new_for_commandline_arg (output ? output : ".");
  if (g_file_query_file_type (destination, G_FILE_QUERY_INFO_NONE, NULL) == G_FILE_TYPE_DIRECTORY)
    flags |= FERRY_DOWNLOAD_INTO_DIRECTORY;
  if (no_resume)
    flags |= FERRY_DOWNLOAD_NO_RESUME;

  if (all)
    {
      /* The list comes from the control session, which also answers trust and password. */
      if ((code = ferry_cli_connect (client)) != EXIT_SUCCESS)
        return code;
      ids = matching_ids (client, match);
      if (ids->len == 0)
        {
          g_printerr (_("ferry-cli: no shared file matches.\n"));
          return EXIT_SUCCESS;
        }
    }
  else
    {
      ids = g_ptr_array_new_with_free_func (g_free);
      for (int i = 1; i < argc; i++)
        g_ptr_array_add (ids, g_strdup (argv[i]));
    }
  if (ids->len > 1 && !(flags & FERRY_DOWNLOAD_INTO_DIRECTORY))
    return ferry_cli_usage_error (_("Several files are saved into a folder: -o names one that "
                                    "exists."));

  for (guint i = 0; i < ids->len; i++)
    {
      BatchItem item = { { 0 }, NULL, NULL, FALSE };

      item.attempt.offer_id = g_ptr_array_index (ids, i);
      item.attempt.destination = destination;
      item.attempt.flags = flags;
      item.shown = g_strdup (g_ptr_array_index (ids, i));
      g_array_append_val (batch->items, item);
    }
  return batch_run (client, batch, _("Downloading"));
}
