/* ferry-cli-link.c: the commands for web browsers: link (a link to one file) and share (the
 * server's web address, with a QR code on a terminal)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-cli"

#include "config.h"

#include <stdio.h>
#include <unistd.h>
#include <glib/gi18n.h>

#include "ferry-cli-private.h"
#include "ferry-error.h"
#include "ferry-qr-code.h"
#include "ferry-units.h"

typedef struct
{
  const char *offer_id;
  guint64     lifetime;
  char       *url;
} LinkAttempt;

static gboolean
link_attempt (FerryClient  *client,
              gpointer      data,
              GError      **error)
{
  LinkAttempt *attempt = data;
  g_autoptr(GAsyncResult) result = NULL;

  ferry_client_link_async (client, attempt->offer_id, attempt->lifetime, NULL,
                           ferry_cli_store_result_cb, &result);
  attempt->url = ferry_client_link_finish (client, ferry_cli_wait_for (&result), error);
  return attempt->url != NULL;
}

int
ferry_cli_link (FerryClient  *client,
                int           argc,
                char        **argv)
{
  g_autofree char *expires = NULL;
  g_autoptr(GError) error = NULL;
  LinkAttempt attempt = { 0 };
  GOptionEntry entries[] = {
    { "expires", 'e', 0, G_OPTION_ARG_STRING, &expires,
      N_("On a server with a password, the link works this long, such as 24h or 7d (default: "
         "until the file is deleted)"), N_("DURATION") },
    { NULL }
  };
  int code;

  if (!ferry_cli_parse_command_options ("link", _("ID"), entries, &argc, &argv, &code))
    return code;
  if (argc != 2)
    return ferry_cli_usage_error (_("“link” needs exactly one file id (see “ferry-cli list”)."));
  if (expires && !ferry_parse_duration (expires, &attempt.lifetime, &error))
    return ferry_cli_usage_error (error->message);
  if (expires && attempt.lifetime == 0)
    return ferry_cli_usage_error (_("The link’s lifetime must be longer than zero."));

  attempt.offer_id = argv[1];
  code = ferry_cli_run_request (client, link_attempt, &attempt);
  if (attempt.url)
    g_print ("%s\n", attempt.url);
  g_free (attempt.url);
  return code;
}

static gboolean
check_attempt (FerryClient  *client,
               gpointer      data,
               GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  ferry_client_check_async (client, NULL, ferry_cli_store_result_cb, &result);
  if (!ferry_client_check_finish (client, ferry_cli_wait_for (&result), error))
    return FALSE;
  if (!ferry_client_get_web (client))
    {
      g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_UNEXPECTED,
                           _("This server does not serve web browsers (it was started with "
                             "--no-web)."));
      return FALSE;
    }
  return TRUE;
}

int
ferry_cli_share (FerryClient  *client,
                 int           argc,
                 char        **argv)
{
  g_autofree char *url = NULL;
  int code;

  if (!ferry_cli_parse_command_options ("share", "", NULL, &argc, &argv, &code))
    return code;
  if (argc > 1)
    return ferry_cli_usage_error (_("“share” takes no arguments; name the server with "
                                    "--server."));
  code = ferry_cli_run_request (client, check_attempt, NULL);
  if (code != EXIT_SUCCESS)
    return code;

  /* Scripts read the first line. */
  url = ferry_client_dup_web_url (client);
  g_print ("%s\n", url);
  if (ferry_client_get_auth (client))
    g_print (_("People need the server’s password to open it.\n"));
  if (isatty (STDOUT_FILENO))
    {
      g_autoptr(FerryQrCode) qr = ferry_qr_code_new (url, NULL);

      if (qr)
        {
          g_autofree char *text = ferry_qr_code_to_text (qr);

          g_print ("\n%s", text);
        }
    }
  return EXIT_SUCCESS;
}
