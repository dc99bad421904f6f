/* ferry-cli-private.h: what the parts of ferry-cli share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ferry-cli.c holds main(), the options, asking the person (trust, password) and the
 * transfer commands; ferry-cli-list.c the commands that show the list (list, watch).
 */
#pragma once

#include <glib.h>

#include "ferry-client.h"

G_BEGIN_DECLS

#define EXIT_USAGE 2

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

/* ferry-cli-list.c */
int       ferry_cli_list                  (FerryClient    *client,
                                           int             argc,
                                           char          **argv);
int       ferry_cli_watch                 (FerryClient    *client,
                                           int             argc,
                                           char          **argv);

G_END_DECLS
