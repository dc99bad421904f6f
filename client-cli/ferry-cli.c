/* ferry-cli.c: ferry-cli, the command-line client: options, asking the person, transfers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-cli"

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <glib-unix.h>

#include "ferry-cli-private.h"
#include "ferry-cli-progress.h"
#include "ferry-checksum.h"
#include "ferry-client.h"
#include "ferry-error.h"
#include "ferry-fingerprint.h"
#include "ferry-password-file.h"
#include "ferry-tls-policy.h"
#include "ferry-units.h"


typedef struct
{
  const char  *name;
  const char  *parameters;
  const char  *summary;
  int        (*run) (FerryClient *client, int argc, char **argv);
} Command;

static char *opt_server;
static char *opt_name;
static char *opt_trust;
static char *opt_password_file;
static gboolean opt_no_tls;
static gboolean opt_version;
static gboolean interrupted;   /* Ctrl+C stopped a transfer */

/* ---- waiting on async calls from a command-line program ----------------------------------- */

void
ferry_cli_store_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

GAsyncResult *
ferry_cli_wait_for (GAsyncResult **slot)
{
  while (!*slot)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

int
ferry_cli_fail (const GError *error)
{
  g_printerr ("ferry-cli: %s\n", error->message);
  return EXIT_FAILURE;
}

int
ferry_cli_usage_error (const char *message)
{
  g_printerr ("ferry-cli: %s\n", message);
  g_printerr (_("Run “ferry-cli --help” for usage.\n"));
  return EXIT_USAGE;
}

gboolean
ferry_cli_parse_command_options (const char    *command,
                       const char    *parameters,
                       GOptionEntry  *entries,
                       int           *argc,
                       char        ***argv,
                       int           *exit_code)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *prgname = g_strdup_printf ("ferry-cli %s", command);

  context = g_option_context_new (parameters);
  g_option_context_set_summary (context, NULL);
  if (entries)
    g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_set_prgname (prgname);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      *exit_code = ferry_cli_usage_error (error->message);
      return FALSE;
    }
  return TRUE;
}

/* For commands without a progress line: the engine waits for a busy server on its own; say
 * so once, on stderr. */
static void
client_busy_cb (FerryClient *client,
                GParamSpec  *pspec,
                gboolean    *told)
{
  if (!ferry_client_get_server_busy (client) || *told)
    return;
  *told = TRUE;
  g_printerr (_("Server busy, waiting…\n"));
}

static gboolean
connect_attempt (FerryClient  *client,
                 gpointer      data,
                 GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  ferry_client_connect_async (client, NULL, ferry_cli_store_result_cb, &result);
  return ferry_client_connect_finish (client, ferry_cli_wait_for (&result), error);
}

/* Connects the control session; the same connection answers whether the server is trusted and
 * the password right. */
int
ferry_cli_connect (FerryClient *client)
{
  g_autoptr(GError) error = NULL;
  gboolean told = FALSE;
  gulong handler;
  int code;

  handler = g_signal_connect (client, "notify::server-busy", G_CALLBACK (client_busy_cb), &told);
  code = ferry_cli_with_answers (client, connect_attempt, NULL, &error);
  g_signal_handler_disconnect (client, handler);
  if (error)
    return ferry_cli_fail (error);
  return code;
}

/* ---- trust and password, before any command ----------------------------------------------- */

static gboolean
interactive (void)
{
  return isatty (STDIN_FILENO) && isatty (STDERR_FILENO);
}

static char *
read_line_from_terminal (gboolean echo)
{
  struct termios saved, quiet;
  char line[1100];
  gboolean restore = FALSE;

  if (!echo && tcgetattr (STDIN_FILENO, &saved) == 0)
    {
      quiet = saved;
      quiet.c_lflag &= ~ECHO;
      restore = tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
    }
  if (!fgets (line, sizeof line, stdin))
    line[0] = '\0';
  if (restore)
    {
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
      g_printerr ("\n");
    }
  line[strcspn (line, "\r\n")] = '\0';
  return g_strdup (line);
}

typedef enum
{
  ANSWER_RETRY,     /* answered: try again, on a new connection */
  ANSWER_NONE,      /* nothing a person can answer: report the error */
  ANSWER_TOLD,      /* the person has been told why not; exit with *code */
} Answer;

/* What a connection that failed for want of a person's answer needs: a new server's
 * fingerprint confirmed (--trust, or a question on a terminal), or a password. */
static Answer
answer_person (FerryClient  *client,
               const GError *error,
               guint         attempt,
               int          *code)
{
  const char *presented = ferry_client_get_server_fingerprint (client);
  FerryClientProblem problem = ferry_client_problem_from_error (client, error);

  *code = EXIT_FAILURE;
  if (problem == FERRY_CLIENT_PROBLEM_UNTRUSTED && presented)
    {
      g_autofree char *shown = ferry_fingerprint_format (presented);
      g_autoptr(GError) local_error = NULL;

      if (opt_trust)
        {
          g_autofree char *wanted = ferry_fingerprint_parse (opt_trust, &local_error);

          if (!wanted)
            {
              *code = ferry_cli_usage_error (local_error->message);
              return ANSWER_TOLD;
            }
          if (!g_str_equal (wanted, presented))
            {
              g_printerr (_("ferry-cli: %s presented the fingerprint %s, not the one given "
                            "with --trust; refusing to connect.\n"),
                          ferry_client_get_address (client), shown);
              return ANSWER_TOLD;
            }
        }
      else if (interactive ())
        {
          g_autofree char *answer = NULL;

          g_printerr (_("The server %s is new to you. Its fingerprint is:\n  %s\n"
                        "Compare it with the one the server printed when it started.\n"
                        "Trust this server? [y/N] "),
                      ferry_client_get_address (client), shown);
          answer = read_line_from_terminal (TRUE);
          if (answer[0] != 'y' && answer[0] != 'Y')
            {
              g_printerr (_("ferry-cli: not trusted; nothing was sent.\n"));
              return ANSWER_TOLD;
            }
        }
      else
        {
          g_printerr (_("ferry-cli: %s is a server you have not used before, with the "
                        "fingerprint %s. Not on a terminal, so not asking: run again with "
                        "--trust \"%s\" if that is the fingerprint the server printed.\n"),
                      ferry_client_get_address (client), shown, presented);
          return ANSWER_TOLD;
        }

      if (!ferry_client_trust_fingerprint (client, presented, &local_error))
        {
          *code = ferry_cli_fail (local_error);
          return ANSWER_TOLD;
        }
      return ANSWER_RETRY;
    }

  if ((problem == FERRY_CLIENT_PROBLEM_PASSWORD_NEEDED ||
       problem == FERRY_CLIENT_PROBLEM_PASSWORD_WRONG) && !opt_password_file &&
      interactive () && attempt < 3)
    {
      g_autofree char *password = NULL;

      g_printerr (_("Password for %s: "), ferry_client_get_address (client));
      password = read_line_from_terminal (FALSE);
      ferry_client_set_password (client, password);
      memset (password, 0, strlen (password));
      return ANSWER_RETRY;
    }
  return ANSWER_NONE;
}

/* Runs @attempt; when it fails for want of a person's answer, asks (answer_person()) and runs
 * it again. The command's own connection is the trust check: no extra connection is made.
 * Returns EXIT_SUCCESS; or EXIT_FAILURE with @error set, for the caller to report; or another
 * exit code, with @error unset, once the person has been told. */
int
ferry_cli_with_answers (FerryClient        *client,
                        FerryCliAttemptFunc attempt,
              gpointer      data,
              GError      **error)
{
  for (guint i = 0; i < 4; i++)
    {
      g_autoptr(GError) local_error = NULL;
      int code;

      if (attempt (client, data, &local_error))
        return EXIT_SUCCESS;
      switch (answer_person (client, local_error, i, &code))
        {
        case ANSWER_RETRY:
          continue;
        case ANSWER_TOLD:
          return code;
        case ANSWER_NONE:
        default:
          g_propagate_error (error, g_steal_pointer (&local_error));
          return EXIT_FAILURE;
        }
    }
  g_printerr (_("ferry-cli: giving up after several attempts.\n"));
  return EXIT_FAILURE;
}

static gboolean
load_password_file (FerryClient  *client,
                    GError      **error)
{
  g_autofree char *password = ferry_password_file_read_path (opt_password_file, error);

  if (!password)
    return FALSE;
  ferry_client_set_password (client, password);
  memset (password, 0, strlen (password));
  return TRUE;
}

/* ---- transfers ----------------------------------------------------------------------------- */

/* Ctrl+C: the transfer stops cleanly, and what it moved is kept for resuming. */
static gboolean
interrupt_cb (gpointer user_data)
{
  interrupted = TRUE;
  ferry_transfer_cancel (user_data);
  return G_SOURCE_CONTINUE;
}

gboolean
ferry_cli_run_transfer (FerryTransfer  *transfer,
                        const char     *verb,
                        GError        **error)
{
  /* No progress bar without a verb (one of several transfers). */
  g_autoptr(FerryCliProgress) progress G_GNUC_UNUSED =
    verb ? ferry_cli_progress_new (transfer, verb) : NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) local_error = NULL;
  guint interrupt_id = g_unix_signal_add (SIGINT, interrupt_cb, transfer);
  gboolean ok;

  ferry_transfer_run_async (transfer, NULL, ferry_cli_store_result_cb, &result);
  ok = ferry_transfer_run_finish (transfer, ferry_cli_wait_for (&result), &local_error);
  g_source_remove (interrupt_id);
  if (!ok && interrupted)
    {
      g_clear_error (&local_error);
      local_error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                         ferry_transfer_get_resumable (transfer)
                                         ? _("Stopped. Run the same command again to resume.")
                                         : _("Stopped."));
    }
  if (!ok)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return ok;
}

gboolean
ferry_cli_transfer_attempt (FerryClient  *client,
                  gpointer      data,
                  GError      **error)
{
  FerryCliTransferAttempt *attempt = data;

  g_clear_object (&attempt->transfer);
  if (attempt->file)
    {
      attempt->transfer = ferry_client_upload (client, attempt->file, attempt->name);
      ferry_transfer_set_resume (attempt->transfer,
                                 !(attempt->flags & FERRY_DOWNLOAD_NO_RESUME));
    }
  else
    attempt->transfer = ferry_client_download (client, attempt->offer_id,
                                               attempt->destination, attempt->flags);
  return ferry_cli_run_transfer (attempt->transfer, attempt->verb, error);
}

static gboolean
delete_attempt (FerryClient  *client,
                gpointer      data,
                GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  ferry_client_delete_async (client, data, NULL, ferry_cli_store_result_cb, &result);
  return ferry_client_delete_finish (client, ferry_cli_wait_for (&result), error);
}

int
ferry_cli_run_request (FerryClient         *client,
                       FerryCliAttemptFunc  attempt,
                       gpointer             data)
{
  g_autoptr(GError) error = NULL;
  gboolean told = FALSE;
  gulong handler;
  int code;

  handler = g_signal_connect (client, "notify::server-busy", G_CALLBACK (client_busy_cb), &told);
  code = ferry_cli_with_answers (client, attempt, data, &error);
  g_signal_handler_disconnect (client, handler);
  if (error)
    return ferry_cli_fail (error);
  return code;
}

static int
cmd_delete (FerryClient  *client,
            int           argc,
            char        **argv)
{
  int code;

  if (!ferry_cli_parse_command_options ("delete", _("ID"), NULL, &argc, &argv, &code))
    return code;
  if (argc != 2)
    return ferry_cli_usage_error (_("“delete” needs exactly one file id (see “ferry-cli list”)."));
  return ferry_cli_run_request (client, delete_attempt, argv[1]);
}

static int
cmd_check (FerryClient  *client,
           int           argc,
           char        **argv)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFile) tmpdir = NULL;
  g_autoptr(FerryTransfer) up = NULL;
  g_autoptr(FerryTransfer) down = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *rate_up = NULL;
  g_autofree char *rate_down = NULL;
  gint64 start, middle, end;
  guint64 size;
  int code = EXIT_SUCCESS;

  if (!ferry_cli_parse_command_options ("check", _("FILE"), NULL, &argc, &argv, &code))
    return code;
  if (argc != 2)
    return ferry_cli_usage_error (_("“check” needs exactly one file."));
  file = g_file_new_for_commandline_arg (argv[1]);
  start = g_get_monotonic_time ();
  {
    FerryCliTransferAttempt attempt = { file, NULL, NULL, NULL, 0, _("Uploading"), NULL };

    code = ferry_cli_with_answers (client, ferry_cli_transfer_attempt, &attempt, &error);
    up = g_steal_pointer (&attempt.transfer);
  }
  if (error)
    {
      g_print (_("Transfer Failed: %s\n"), error->message);
      return EXIT_FAILURE;
    }
  if (code != EXIT_SUCCESS)
    return code;
  middle = g_get_monotonic_time ();
  size = ferry_transfer_get_total (up);

  tmp = g_dir_make_tmp ("ferry-check-XXXXXX", &error);
  if (!tmp)
    return ferry_cli_fail (error);
  tmpdir = g_file_new_for_path (tmp);

  down = ferry_client_download (client, ferry_offer_get_id (ferry_transfer_get_offer (up)),
                                tmpdir, FERRY_DOWNLOAD_INTO_DIRECTORY);
  if (!ferry_cli_run_transfer (down, _("Downloading"), &error))
    {
      if (g_error_matches (error, FERRY_ERROR, FERRY_ERROR_CHECKSUM))
        g_print ("Transfer Failed: Checksum mismatch\n");
      else
        g_print (_("Transfer Failed: %s\n"), error->message);
      g_clear_error (&error);
      code = EXIT_FAILURE;
    }
  else
    {
      end = g_get_monotonic_time ();
      rate_up = ferry_format_rate ((double) size * G_USEC_PER_SEC / MAX (middle - start, 1));
      rate_down = ferry_format_rate ((double) size * G_USEC_PER_SEC / MAX (end - middle, 1));
      g_print ("Transfer Successful\n");
      g_print (_("Upload: %s, download: %s\n"), rate_up, rate_down);
      g_file_delete (ferry_transfer_get_file (down), NULL, NULL);
    }
  g_rmdir (tmp);

  ferry_client_delete_async (client, ferry_offer_get_id (ferry_transfer_get_offer (up)),
                             NULL, ferry_cli_store_result_cb, &result);
  if (!ferry_client_delete_finish (client, ferry_cli_wait_for (&result), &error))
    {
      g_printerr (_("ferry-cli: could not delete the test upload: %s\n"), error->message);
      code = EXIT_FAILURE;
    }
  return code;
}

static int
cmd_forget (FerryClient  *client,
            int           argc,
            char        **argv)
{
  g_autoptr(GError) error = NULL;
  int code;

  if (!ferry_cli_parse_command_options ("forget", "", NULL, &argc, &argv, &code))
    return code;
  if (argc > 1)
    return ferry_cli_usage_error (_("“forget” takes no arguments; name the server with --server."));
  if (!ferry_client_forget_server (client, &error))
    return ferry_cli_fail (error);
  g_print (_("Forgot the identity of %s; the next connection will ask to trust it again.\n"),
           ferry_client_get_address (client));
  return EXIT_SUCCESS;
}

static const Command commands[] = {
  { "list", "[--json]", N_("List the shared files"), ferry_cli_list },
  { "upload", "FILE...|- --name NAME", N_("Share files and print their ids"), ferry_cli_upload },
  { "download", "ID...|--all [-o DIR]", N_("Download shared files"), ferry_cli_download },
  { "delete", "ID", N_("Stop sharing one of your files"), cmd_delete },
  { "watch", "[--json]", N_("Print changes as they happen"), ferry_cli_watch },
  { "link", "ID [--expires DURATION]", N_("Print a link to a file for web browsers"),
    ferry_cli_link },
  { "share", "", N_("Print the server’s web address, with a QR code for phones"),
    ferry_cli_share },
  { "check", "FILE", N_("Upload, download back and verify a file"), cmd_check },
  { "forget", "", N_("Forget the server’s pinned identity (trust it anew)"), cmd_forget },
};

static char *
commands_description (void)
{
  GString *text = g_string_new (_("Commands:\n"));

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *usage = g_strdup_printf ("%s %s", commands[i].name, commands[i].parameters);

      g_string_append_printf (text, "  %-24s %s\n", usage, _(commands[i].summary));
    }
  g_string_append (text, _("\nRun “ferry-cli COMMAND --help” for a command’s options.\n"
                           "Exit status: 0 on success, 1 on failure, 2 on a usage error."));
  return g_string_free (text, FALSE);
}

int
main (int    argc,
      char **argv)
{
  GOptionEntry entries[] = {
    { "server", 's', 0, G_OPTION_ARG_STRING, &opt_server,
      N_("The server to use (default: localhost:5005)"), N_("HOST[:PORT]") },
    { "name", 'n', 0, G_OPTION_ARG_STRING, &opt_name,
      N_("Your name as others see it (default: your login name)"), N_("NAME") },
    { "trust", 0, 0, G_OPTION_ARG_STRING, &opt_trust,
      N_("Trust a new server if it presents this fingerprint"), N_("FINGERPRINT") },
    { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_password_file,
      N_("Read the server’s password from the first line of FILE"), N_("FILE") },
    { "no-tls", 0, 0, G_OPTION_ARG_NONE, &opt_no_tls,
      N_("Talk to a server started with --no-tls (unencrypted)"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version, N_("Print the version and exit"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryClient) client = NULL;
  g_autofree char *description = NULL;
  const Command *command = NULL;
  int code;

  /* First, before any thread or TLS connection exists (PROTOCOL.md §8). */
  ferry_tls_policy_init ();

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (_("COMMAND [ARGUMENTS…]"));
  g_option_context_set_summary (context, _("Share files through a Ferry server."));
  description = commands_description ();
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_strict_posix (context, TRUE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return ferry_cli_usage_error (error->message);

  if (opt_version)
    {
      g_print ("ferry-cli %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }

  if (argc < 2)
    return ferry_cli_usage_error (_("Missing command: one of list, upload, download, delete, watch, "
                                    "link, share, check."));

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (argv[1], commands[i].name))
      command = &commands[i];
  if (!command)
    {
      g_autofree char *message = g_strdup_printf (_("Unknown command “%s”."), argv[1]);
      return ferry_cli_usage_error (message);
    }

  if (opt_name && !g_utf8_validate (opt_name, -1, NULL))
    return ferry_cli_usage_error (_("The name given with --name is not valid UTF-8."));

  client = ferry_client_new (opt_server ? opt_server : "localhost", opt_name);
  ferry_client_set_tls (client, !opt_no_tls);
  if (opt_password_file && !load_password_file (client, &error))
    return ferry_cli_fail (error);
  code = command->run (client, argc - 1, argv + 1);

  ferry_client_disconnect (client);
  /* Let closing connections flush (DELETE acknowledgements, END frames). */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_free (opt_server);
  g_free (opt_name);
  g_free (opt_trust);
  g_free (opt_password_file);
  return code;
}
