/* main.c: the Ferry desktop app
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "ferry-application.h"
#include "ferry-tls-policy.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(FerryApplication) app = NULL;

  /* First, before any thread or TLS connection exists (PROTOCOL.md §8). */
  ferry_tls_policy_init ();

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = ferry_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
