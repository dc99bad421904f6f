/* ferry-cli-private.h: what the parts of ferry-cli share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ferry-cli.c holds main(), the options, asking the person (trust, password) and the
 * commands check, delete and forget; ferry-cli-transfer.c upload and download (many files at
 * once, through the client's pool); ferry-cli-list.c the commands that show the list (list,
 * watch); ferry-cli-link.c the ones for web browsers (link, share).
 */
#pragma once

#include <glib.h>

#include "ferry-client.h"

G_BEGIN_DECLS

#define EXIT_USAGE 2

/* An async call's result, waited for: pass ferry_cli_store_result_cb with &result (NULL),
 * then ferry_cli_wait_for (&result) iterates the main context until it is there. */
void          ferry_cli_store_result_cb   (GObject        *object,
                                           GAsyncResult   *result,
                                           gpointer        user_data);
GAsyncResult *ferry_cli_wait_for          (GAsyncResult  **slot);
/* Prints "ferry-cli: MESSAGE" and returns EXIT_FAILURE. */
/* A name made fit for one line or table cell: control characters are shown escaped. */
char     *ferry_cli_printable_name        (const char     *name);
int       ferry_cli_fail                  (const GError   *error);
/* Prints @message and a pointer to --help, and returns EXIT_USAGE. */
int       ferry_cli_usage_error           (const char     *message);
/* Parses a command's own options; on FALSE, *@exit_code is what the command returns. */
gboolean  ferry_cli_parse_command_options (const char     *command,
                                           const char     *parameters,
                                           GOptionEntry   *entries,
                                           int            *argc,
                                           char         ***argv,
                                           int            *exit_code);
/* Connects the control session, asking the person what the engine needs (trust, password).
 * Returns 0 once connected, or the exit code after saying why not. */
int       ferry_cli_connect               (FerryClient    *client);

typedef gboolean (*FerryCliAttemptFunc) (FerryClient  *client,
                                         gpointer      data,
                                         GError      **error);
/* Runs @attempt; when it fails for want of a person's answer (trust, password), asks and runs
 * it again. The command's own connection is the trust check: no extra connection is made.
 * Returns EXIT_SUCCESS; or EXIT_FAILURE with @error set, for the caller to report; or another
 * exit code, with @error unset, once the person has been told. */
int       ferry_cli_with_answers          (FerryClient        *client,
                                           FerryCliAttemptFunc attempt,
                                           gpointer            data,
                                           GError            **error);
/* One request without a progress line: ferry_cli_with_answers(), saying once on stderr when
 * the server is busy, and reporting a failure. Returns the exit code. */
int       ferry_cli_run_request           (FerryClient        *client,
                                           FerryCliAttemptFunc attempt,
                                           gpointer            data);
/* Runs @transfer to its end with a progress line. */
gboolean  ferry_cli_run_transfer          (FerryTransfer  *transfer,
                                           const char     *verb,
                                           GError        **error);

/* One transfer, made anew for each try of ferry_cli_with_answers(). */
typedef struct
{
  GFile              *file;          /* upload */
  const char         *name;          /* upload: the name to share it as; NULL: the file's */
  const char         *offer_id;      /* download */
  GFile              *destination;
  FerryDownloadFlags  flags;
  const char         *verb;          /* for the progress line; NULL: no progress line */
  FerryTransfer      *transfer;      /* the last try's */
} FerryCliTransferAttempt;

/* A FerryCliAttemptFunc for a FerryCliTransferAttempt. */
gboolean  ferry_cli_transfer_attempt      (FerryClient    *client,
                                           gpointer        data,
                                           GError        **error);

/* ferry-cli-transfer.c */
int       ferry_cli_upload                (FerryClient    *client,
                                           int             argc,
                                           char          **argv);
int       ferry_cli_download              (FerryClient    *client,
                                           int             argc,
                                           char          **argv);

/* ferry-cli-list.c */
int       ferry_cli_list                  (FerryClient    *client,
                                           int             argc,
                                           char          **argv);
int       ferry_cli_watch                 (FerryClient    *client,
                                           int             argc,
                                           char          **argv);

/* ferry-cli-link.c */
int       ferry_cli_link                  (FerryClient    *client,
                                           int             argc,
                                           char          **argv);
int       ferry_cli_share                 (FerryClient    *client,
                                           int             argc,
                                           char          **argv);

G_END_DECLS
