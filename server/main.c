/* main.c: ferry-server's options, signals and main loop
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-server"

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gi18n.h>
#include <glib-unix.h>

#include "ferry-data-lock.h"
#include "ferry-fingerprint.h"
#include "ferry-limits.h"
#include "ferry-password-file.h"
#include "ferry-server.h"
#include "ferry-tls-identity.h"
#include "ferry-tls-policy.h"
#include "ferry-units.h"

#define EXIT_USAGE 2

typedef struct
{
  GMainLoop   *loop;
  FerryServer *server;
  gboolean     stopping;
} Context;

static void
stopped_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Context *ctx = user_data;

  ferry_server_stop_finish (FERRY_SERVER (object), result, NULL);
  g_main_loop_quit (ctx->loop);
}

static gboolean
signal_cb (gpointer user_data)
{
  Context *ctx = user_data;

  if (!ctx->stopping)
    {
      ctx->stopping = TRUE;
      ferry_server_stop_async (ctx->server, NULL, stopped_cb, ctx);
    }
  return G_SOURCE_CONTINUE;
}

static int
usage_error (const char *message)
{
  g_printerr ("ferry-server: %s\n", message);
  return EXIT_USAGE;
}

static char *
format_address (GInetAddress *address,
                guint16       port)
{
  g_autofree char *text = g_inet_address_to_string (address);

  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("[%s]:%u", text, port);
  return g_strdup_printf ("%s:%u", text, port);
}

/* The address a browser opens: this machine's host name when the server listens on every
 * address. */
static char *
format_web_address (GInetAddress *address,
                    guint16       port,
                    gboolean      plain)
{
  g_autofree char *where = NULL;

  if (g_inet_address_get_is_any (address))
    where = g_strdup_printf ("%s:%u", g_get_host_name (), port);
  else
    where = format_address (address, port);
  return g_strdup_printf ("%s://%s/", plain ? "http" : "https", where);
}

/* The server's certificate: the pair given on the command line, or DATA/tls, created the first
 * time when @create. */
static GTlsCertificate *
load_identity (const char  *data_dir,
               const char  *cert_path,
               const char  *key_path,
               gboolean     create,
               GError     **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *own_cert = NULL;
  g_autofree char *own_key = NULL;

  if (cert_path)
    return ferry_tls_identity_load (cert_path, key_path, error);
  dir = g_build_filename (data_dir, "tls", NULL);
  if (create)
    return ferry_tls_identity_load_or_create (dir, error);
  own_cert = g_build_filename (dir, "server.crt", NULL);
  own_key = g_build_filename (dir, "server.key", NULL);
  return ferry_tls_identity_load (own_cert, own_key, error);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) address = NULL;
  g_autoptr(FerryDataLock) lock = NULL;
  g_autoptr(FerryServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *bind = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *max_file_size_text = NULL;
  g_autofree char *quota_text = NULL;
  g_autofree char *expire_text = NULL;
  g_autofree char *keep_partial_text = NULL;
  g_autofree char *listening = NULL;
  g_autofree char *tls_cert = NULL;
  g_autofree char *tls_key = NULL;
  g_autofree char *password_file = NULL;
  g_autofree char *password = NULL;
  g_autofree char *fingerprint = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  gboolean version = FALSE;
  gboolean no_tls = FALSE;
  gboolean no_web = FALSE;
  gboolean print_fingerprint = FALSE;
  int port = FERRY_DEFAULT_PORT;
  int max_connections = FERRY_DEFAULT_MAX_CONNECTIONS;
  int max_per_address = FERRY_DEFAULT_MAX_PER_ADDRESS;
  guint64 max_file_size = FERRY_DEFAULT_MAX_FILE_SIZE;
  guint64 quota = FERRY_DEFAULT_QUOTA;
  guint64 expire = FERRY_DEFAULT_EXPIRE_S;
  guint64 keep_partial = FERRY_DEFAULT_KEEP_PARTIAL_S;
  guint16 bound_port = 0;
  Context ctx = { 0 };
  /* Help that names a default from ferry-limits.h, formatted once the locale is set. */
  g_autofree char *max_file_size_help = NULL;
  g_autofree char *max_connections_help = NULL;
  g_autofree char *max_per_address_help = NULL;
  GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &port,
      N_("TCP port to listen on; 0 picks a free one (default 5005)"), N_("PORT") },
    { "bind", 'b', 0, G_OPTION_ARG_STRING, &bind,
      N_("Address to listen on (default 0.0.0.0, every IPv4 address)"), N_("ADDRESS") },
    { "data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir,
      N_("Where to keep files and the catalogue (default $XDG_DATA_HOME/ferry)"), N_("DIR") },
    { "max-file-size", 0, 0, G_OPTION_ARG_STRING, &max_file_size_text,
      NULL, N_("SIZE") },
    { "quota", 0, 0, G_OPTION_ARG_STRING, &quota_text,
      N_("Total size of all shared files (default unlimited)"), N_("SIZE") },
    { "expire", 0, 0, G_OPTION_ARG_STRING, &expire_text,
      N_("Delete offers older than this, such as 24h or 7d (default never)"), N_("DURATION") },
    { "keep-partial", 0, 0, G_OPTION_ARG_STRING, &keep_partial_text,
      N_("Keep unfinished uploads this long for resuming, such as 3600 or 2d; 0 keeps none "
         "(default 24h)"), N_("DURATION") },
    { "max-connections", 0, 0, G_OPTION_ARG_INT, &max_connections,
      NULL, N_("N") },
    { "max-connections-per-address", 0, 0, G_OPTION_ARG_INT, &max_per_address,
      NULL, N_("N") },
    { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file,
      N_("Require the password on the first line of FILE from every client"), N_("FILE") },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert,
      N_("Use this PEM certificate instead of DIR/tls/server.crt (needs --tls-key)"),
      N_("FILE") },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key,
      N_("Use this PEM private key instead of DIR/tls/server.key (needs --tls-cert)"),
      N_("FILE") },
    { "print-fingerprint", 0, 0, G_OPTION_ARG_NONE, &print_fingerprint,
      N_("Print the server’s fingerprint and exit, creating its key the first time"), NULL },
    { "no-tls", 0, 0, G_OPTION_ARG_NONE, &no_tls,
      N_("Serve unencrypted TCP, for trusted links and benchmarks only: nothing is private "
         "and clients cannot verify the server"), NULL },
    { "no-web", 0, 0, G_OPTION_ARG_NONE, &no_web,
      N_("Do not answer browsers and curl on this port (the web front, docs/HTTP.md)"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version,
      N_("Show the version and exit"), NULL },
    { NULL }
  };

  /* First, before any thread or TLS connection exists (PROTOCOL.md §8). */
  ferry_tls_policy_init ();

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  max_file_size_help =
    g_strdup_printf (_("Largest file accepted, such as 500M or 4G (default %uG)"),
                     (guint) FERRY_DEFAULT_MAX_FILE_SIZE_GIB);
  max_connections_help =
    g_strdup_printf (_("Most connections served at once (default %u)"),
                     (guint) FERRY_DEFAULT_MAX_CONNECTIONS);
  max_per_address_help =
    g_strdup_printf (_("Most connections served at once from one IP address (default %u)"),
                     (guint) FERRY_DEFAULT_MAX_PER_ADDRESS);
  for (GOptionEntry *entry = entries; entry->long_name; entry++)
    {
      if (g_str_equal (entry->long_name, "max-file-size"))
        entry->description = max_file_size_help;
      else if (g_str_equal (entry->long_name, "max-connections"))
        entry->description = max_connections_help;
      else if (g_str_equal (entry->long_name, "max-connections-per-address"))
        entry->description = max_per_address_help;
    }

  /* stdout carries only the "listening on" and "fingerprint" lines (or the fingerprint alone
   * with --print-fingerprint); every log goes to stderr. */
  g_log_writer_default_set_use_stderr (TRUE);

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("Share files with everyone who can reach this "
                                           "machine."));
  g_option_context_set_description (context,
    _("Connections are encrypted with TLS. The first start creates the server’s key and "
      "certificate in DIR/tls; clients trust the server by its fingerprint, which the server "
      "prints when it starts and with --print-fingerprint. Give that fingerprint to your users "
      "through a channel you trust.\n"
      "Anyone who can reach the port can list and download files unless --password-file is "
      "given. See the Security section of the documentation."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage_error (error->message);

  if (version)
    {
      g_print ("ferry-server %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }

  if (argc > 1)
    {
      g_autofree char *message = g_strdup_printf (_("Unexpected argument “%s”."), argv[1]);
      return usage_error (message);
    }
  if (port < 0 || port > 65535)
    return usage_error (_("The port must be a number from 0 to 65535."));
  if (max_connections < 1)
    return usage_error (_("The maximum number of connections must be at least 1."));
  if (max_per_address < 1)
    return usage_error (_("The maximum number of connections per address must be at least "
                          "1."));
  if (!tls_cert != !tls_key)
    return usage_error (_("--tls-cert and --tls-key go together: give both, or neither to use "
                          "the server’s own key."));
  if (no_tls && tls_cert)
    return usage_error (_("--no-tls cannot be combined with --tls-cert and --tls-key."));
  if (no_tls && print_fingerprint)
    return usage_error (_("--no-tls cannot be combined with --print-fingerprint: a server "
                          "without TLS has no fingerprint."));
  if (password_file)
    {
      password = ferry_password_file_read_path (password_file, &error);
      if (!password)
        return usage_error (error->message);
    }

  if (bind && *bind)
    {
      address = g_inet_address_new_from_string (bind);
      if (!address)
        {
          g_autofree char *message =
            g_strdup_printf (_("“%s” is not an IPv4 or IPv6 address."), bind);
          return usage_error (message);
        }
    }
  else
    address = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);

  if (max_file_size_text && !ferry_parse_size (max_file_size_text, &max_file_size, &error))
    return usage_error (error->message);
  if (max_file_size > (guint64) G_MAXINT64)
    return usage_error (_("The maximum file size can be at most 8 EiB."));
  if (quota_text && !ferry_parse_size (quota_text, &quota, &error))
    return usage_error (error->message);
  if (expire_text && !ferry_parse_duration (expire_text, &expire, &error))
    return usage_error (error->message);
  if (expire_text && expire == 0)
    return usage_error (_("The expiry time must be longer than zero."));
  if (keep_partial_text && !ferry_parse_duration (keep_partial_text, &keep_partial, &error))
    return usage_error (error->message);

  if (!data_dir || !*data_dir)
    {
      g_free (data_dir);
      data_dir = g_build_filename (g_get_user_data_dir (), "ferry", NULL);
    }

  /* Before anything reads or writes in the data directory: a second server on the same
   * directory must change nothing. --print-fingerprint only needs the lock to create the key;
   * while a server runs, the key exists and it is only read. */
  if (!print_fingerprint || !tls_cert)
    {
      lock = ferry_data_lock_acquire (data_dir, &error);
      if (!lock && !(print_fingerprint &&
                     g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BUSY)))
        {
          g_printerr ("ferry-server: %s\n", error->message);
          return EXIT_FAILURE;
        }
      g_clear_error (&error);
    }

  if (!no_tls)
    {
      certificate = load_identity (data_dir, tls_cert, tls_key, lock != NULL, &error);
      if (!certificate)
        {
          g_printerr ("ferry-server: %s\n", error->message);
          return EXIT_FAILURE;
        }
      fingerprint = ferry_fingerprint_from_certificate (certificate);
      if (!fingerprint)
        {
          g_printerr (_("ferry-server: The TLS certificate could not be read.\n"));
          return EXIT_FAILURE;
        }
    }

  if (print_fingerprint)
    {
      g_autofree char *shown = ferry_fingerprint_format (fingerprint);

      printf ("%s\n", shown);
      return EXIT_SUCCESS;
    }

  if (!no_tls && !g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    {
      g_printerr (_("ferry-server: TLS is not available; install glib-networking, or start "
                    "with --no-tls on a trusted network.\n"));
      return EXIT_FAILURE;
    }
  if (no_tls && password)
    g_printerr (_("WARNING: --no-tls: everything, files, names and the password included, "
                  "crosses the network unencrypted, and clients cannot verify this server.\n"));
  else if (no_tls)
    g_printerr (_("WARNING: --no-tls: everything, files and names included, crosses the "
                  "network unencrypted, and clients cannot verify this server.\n"));

  server = ferry_server_new (data_dir, &error);
  if (!server)
    {
      g_printerr ("ferry-server: %s\n", error->message);
      return EXIT_FAILURE;
    }
  ferry_server_set_max_file_size (server, max_file_size);
  ferry_server_set_quota (server, quota);
  ferry_server_set_max_connections (server, (guint) max_connections);
  ferry_server_set_max_connections_per_address (server, (guint) max_per_address);
  ferry_server_set_certificate (server, certificate);
  ferry_server_set_password (server, password);
  if (password)
    memset (password, 0, strlen (password));
  ferry_server_set_expire (server, expire);
  ferry_server_set_keep_partial (server, keep_partial);
  ferry_server_set_web (server, !no_web);

  if (!ferry_server_listen (server, address, (guint16) port, &bound_port, &error))
    {
      g_autofree char *where = format_address (address, (guint16) port);

      g_printerr ("ferry-server: %s\n", error->message);
      g_printerr (_("ferry-server: Could not listen on %s.\n"), where);
      return EXIT_FAILURE;
    }

  loop = g_main_loop_new (NULL, FALSE);
  ctx.loop = loop;
  ctx.server = server;
  g_unix_signal_add (SIGINT, signal_cb, &ctx);
  g_unix_signal_add (SIGTERM, signal_cb, &ctx);
  /* Until the server can reload its settings, SIGHUP stops it as cleanly as SIGTERM. */
  g_unix_signal_add (SIGHUP, signal_cb, &ctx);

  listening = format_address (address, bound_port);
  g_message ("ferry-server %s listening on %s, data in %s", PACKAGE_VERSION, listening, data_dir);
  /* Scripts read the first line: it stays "listening on". */
  printf ("listening on %s\n", listening);
  if (fingerprint)
    {
      g_autofree char *shown = ferry_fingerprint_format (fingerprint);

      g_message ("TLS on; the server's fingerprint is %s", shown);
      printf ("fingerprint %s\n", shown);
    }
  else
    g_message ("TLS off (--no-tls): connections are not encrypted");
  if (!no_web)
    {
      g_autofree char *web = format_web_address (address, bound_port, !fingerprint);

      g_message ("Browsers and curl: %s", web);
      printf ("web %s\n", web);
    }
  if (password)
    g_message ("Clients need the password in %s", password_file);
  fflush (stdout);

  g_main_loop_run (loop);

  g_clear_object (&server);
  return EXIT_SUCCESS;
}
