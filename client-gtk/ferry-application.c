/* ferry-application.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-application"

#include "config.h"

#include <glib/gi18n.h>

#include "ferry-application.h"
#include "ferry-error.h"
#include "ferry-password-file.h"
#include "ferry-preferences-window.h"
#include "ferry-window.h"

#include <string.h>

struct _FerryApplication
{
  AdwApplication  parent_instance;

  /* owned references */
  GSettings      *settings;
  FerryClient    *client;
  GCancellable   *connect_cancellable;
  char           *server_override;
  char           *name_override;
  /* The password for password_address (NULL: whichever server comes next), from
   * --password-file, the password dialog or the remembered one. Wiped when freed. */
  char           *password;
  char           *password_address;

  /* --no-tls: for the whole run, whatever the "tls" setting says. */
  gboolean        no_tls;
  /* The person ticked "Remember password": save it once it has been accepted. */
  gboolean        remember_password;
};

enum {
  PROP_0,
  PROP_CLIENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (FerryApplication, ferry_application, ADW_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
  { "server", 's', 0, G_OPTION_ARG_STRING, NULL,
    N_("Connect to this server instead of the saved one"), N_("HOST:PORT") },
  { "name", 'n', 0, G_OPTION_ARG_STRING, NULL,
    N_("Use this display name instead of the saved one"), N_("NAME") },
  { "password-file", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Read the server’s password from the first line of this file"), N_("FILE") },
  { "no-tls", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Connect without encryption, to a server started with --no-tls"), NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Show the version and exit"), NULL },
  { NULL }
};

static void ferry_application_start_connect (FerryApplication *self);

static void
clear_secret (char **secret)
{
  if (*secret)
    memset (*secret, 0, strlen (*secret));
  g_clear_pointer (secret, g_free);
}

static void
ferry_application_forget_password (FerryApplication *self)
{
  clear_secret (&self->password);
  g_clear_pointer (&self->password_address, g_free);
  self->remember_password = FALSE;
}

/* The remembered password, only for the server it was given for. */
static char *
ferry_application_dup_remembered_password (FerryApplication *self,
                                           const char       *address)
{
  g_autofree char *server = g_settings_get_string (self->settings, "password-server");
  g_autofree char *password = NULL;

  if (!*server || g_strcmp0 (server, address) != 0)
    return NULL;
  password = g_settings_get_string (self->settings, "password");
  if (!*password)
    return NULL;
  return g_steal_pointer (&password);
}

static void
ferry_application_save_password (FerryApplication *self,
                                 const char       *address,
                                 const char       *password)
{
  /* In this order, so that no moment pairs a password with a server it wasn't given for.
   * (g_settings_delay() would do it in one write, but it can't be undone on a shared
   * GSettings.) */
  g_settings_set_string (self->settings, "password", "");
  g_settings_set_string (self->settings, "password-server", password ? address : "");
  if (password)
    g_settings_set_string (self->settings, "password", password);
}

static gboolean
ferry_application_get_tls (FerryApplication *self)
{
  return !self->no_tls && g_settings_get_boolean (self->settings, "tls");
}

static GtkWindow *
ferry_application_get_main_window (FerryApplication *self)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l; l = l->next)
    {
      if (FERRY_IS_WINDOW (l->data))
        return l->data;
    }
  return NULL;
}

/* The one place that opens the trust and password questions: whatever the engine says it
 * needs a person for (FerryClient:problem). The engine has stopped retrying meanwhile; the
 * answer (app.trust-server, app.forget-server, app.log-in) starts it again. */
static void
ferry_application_answer_problem (FerryApplication *self)
{
  GtkWindow *window = ferry_application_get_main_window (self);
  FerryClientProblem problem;
  const GError *error;

  if (!self->client || !window)
    return;

  problem = ferry_client_get_problem (self->client);
  error = ferry_client_get_error (self->client);
  switch (problem)
    {
    case FERRY_CLIENT_PROBLEM_UNTRUSTED:
    case FERRY_CLIENT_PROBLEM_KEY_CHANGED:
      ferry_window_ask_trust (FERRY_WINDOW (window), self->client);
      break;

    case FERRY_CLIENT_PROBLEM_PASSWORD_NEEDED:
    case FERRY_CLIENT_PROBLEM_PASSWORD_WRONG:
      {
        const char *address = ferry_client_get_address (self->client);
        g_autofree char *remembered = ferry_application_dup_remembered_password (self, address);

        /* None sent yet: the server's "none was given" says nothing to the person. */
        ferry_window_ask_password (FERRY_WINDOW (window), self->client,
                                   problem == FERRY_CLIENT_PROBLEM_PASSWORD_WRONG && error
                                   ? error->message : NULL,
                                   remembered != NULL);
        if (remembered)
          memset (remembered, 0, strlen (remembered));
      }
      break;

    case FERRY_CLIENT_PROBLEM_NONE:
    case FERRY_CLIENT_PROBLEM_OFFLINE:
    case FERRY_CLIENT_PROBLEM_BUSY:
    case FERRY_CLIENT_PROBLEM_VERSION:
    default:
      /* The window's banner says it; nothing to answer. */
      break;
    }
}

static void
client_notify_problem_cb (FerryApplication *self,
                          GParamSpec       *pspec,
                          FerryClient      *client)
{
  if (client == self->client)
    ferry_application_answer_problem (self);
}

static void
client_notify_state_cb (FerryApplication *self,
                        GParamSpec       *pspec,
                        FerryClient      *client)
{
  if (client != self->client || ferry_client_get_state (client) != FERRY_CLIENT_CONNECTED)
    return;

  /* Accepted: now it is worth remembering. */
  if (self->remember_password && self->password)
    ferry_application_save_password (self, ferry_client_get_address (client), self->password);
  self->remember_password = FALSE;
}

/* The first try; the engine makes every later one by itself. */
static void
ferry_application_start_connect (FerryApplication *self)
{
  g_cancellable_cancel (self->connect_cancellable);
  g_clear_object (&self->connect_cancellable);
  self->connect_cancellable = g_cancellable_new ();

  ferry_client_connect_async (self->client, self->connect_cancellable, NULL, NULL);
}

static void
ferry_application_drop_client (FerryApplication *self)
{
  g_cancellable_cancel (self->connect_cancellable);
  g_clear_object (&self->connect_cancellable);

  if (self->client)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      ferry_client_set_reconnect (self->client, FALSE);
      ferry_client_disconnect (self->client);
      g_clear_object (&self->client);
    }
}

/* (Re)creates the client from the current server and name, and connects. */
static void
ferry_application_reconnect (FerryApplication *self)
{
  g_autofree char *server = ferry_application_dup_server (self);
  g_autofree char *name = ferry_application_dup_name (self);
  gboolean tls = ferry_application_get_tls (self);

  if (self->client
      && g_strcmp0 (ferry_client_get_address (self->client), server) == 0
      && g_strcmp0 (ferry_client_get_user_name (self->client), name) == 0
      && ferry_client_get_tls (self->client) == tls)
    return;

  ferry_application_drop_client (self);

  /* A password goes only to the server it was given for. */
  if (self->password_address && g_strcmp0 (self->password_address, server) != 0)
    ferry_application_forget_password (self);

  if (*server && *name)
    {
      if (!self->password)
        self->password = ferry_application_dup_remembered_password (self, server);
      if (self->password && !self->password_address)
        self->password_address = g_strdup (server);

      self->client = ferry_client_new (server, name);
      ferry_client_set_identity_path (self->client, NULL);
      ferry_client_set_tls (self->client, tls);
      ferry_client_set_password (self->client, self->password);
      ferry_client_set_reconnect (self->client, TRUE);
      g_signal_connect_object (self->client, "notify::state",
                               G_CALLBACK (client_notify_state_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->client, "notify::problem",
                               G_CALLBACK (client_notify_problem_cb), self, G_CONNECT_SWAPPED);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT]);

  if (self->client)
    ferry_application_start_connect (self);
}

static void
ferry_application_activate (GApplication *app)
{
  FerryApplication *self = FERRY_APPLICATION (app);
  GtkWindow *window = ferry_application_get_main_window (self);

  if (!window)
    {
      window = GTK_WINDOW (ferry_window_new (self));
      /* A question that came before there was a window to ask it in. */
      ferry_application_answer_problem (self);
    }

  gtk_window_present (window);
}

static int
ferry_application_command_line (GApplication            *app,
                                GApplicationCommandLine *command_line)
{
  FerryApplication *self = FERRY_APPLICATION (app);
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);
  const char *server = NULL;
  const char *name = NULL;
  const char *password_file = NULL;

  if (g_variant_dict_lookup (options, "server", "&s", &server))
    {
      g_free (self->server_override);
      self->server_override = g_strdup (server);
    }
  if (g_variant_dict_lookup (options, "name", "&s", &name))
    {
      g_free (self->name_override);
      self->name_override = g_strdup (name);
    }
  if (g_variant_dict_contains (options, "no-tls"))
    self->no_tls = TRUE;
  if (g_variant_dict_lookup (options, "password-file", "^&ay", &password_file))
    {
      g_autoptr(GFile) file = g_application_command_line_create_file_for_arg (command_line,
                                                                               password_file);
      g_autoptr(GError) error = NULL;
      char *password = ferry_password_file_read (file, NULL, &error);

      if (!password)
        {
          g_application_command_line_printerr (command_line, "%s\n", error->message);
          return EXIT_FAILURE;
        }
      ferry_application_forget_password (self);
      self->password = password;
    }

  ferry_application_reconnect (self);

  /* A second `ferry --password-file` while running keeps the client: give it the password
   * (the engine tries again with it if it was waiting for one). */
  if (password_file && self->client && self->password)
    {
      if (!self->password_address)
        self->password_address = g_strdup (ferry_client_get_address (self->client));
      ferry_client_set_password (self->client, self->password);
    }
  g_application_activate (app);
  return EXIT_SUCCESS;
}

static int
ferry_application_handle_local_options (GApplication *app,
                                        GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("ferry %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }

  return G_APPLICATION_CLASS (ferry_application_parent_class)->handle_local_options (app, options);
}

static void
ferry_application_connect_action (GSimpleAction *action,
                                  GVariant      *param,
                                  gpointer       user_data)
{
  FerryApplication *self = user_data;
  const char *server = NULL;
  const char *name = NULL;

  g_variant_get (param, "(&s&s)", &server, &name);
  /* A remembered password belongs to the server it was given for. */
  {
    g_autofree char *saved = g_settings_get_string (self->settings, "password-server");

    if (*saved && g_strcmp0 (saved, server) != 0)
      ferry_application_save_password (self, NULL, NULL);
  }
  g_settings_set_string (self->settings, "server", server);
  g_settings_set_string (self->settings, "name", name);
  /* The user chose these: they win over the command line from now on. */
  g_clear_pointer (&self->server_override, g_free);
  g_clear_pointer (&self->name_override, g_free);

  ferry_application_reconnect (self);
}

static void
ferry_application_trust_server_action (GSimpleAction *action,
                                       GVariant      *param,
                                       gpointer       user_data)
{
  FerryApplication *self = user_data;
  g_autoptr(GError) error = NULL;
  GtkWindow *window = ferry_application_get_main_window (self);

  if (!self->client)
    return;

  /* Pins the fingerprint the person saw, not whatever the server shows next; the engine then
   * connects again by itself. */
  if (!ferry_client_trust_fingerprint (self->client, g_variant_get_string (param, NULL), &error))
    {
      if (window)
        ferry_window_show_error (FERRY_WINDOW (window), _("The Server Could Not Be Trusted"),
                                 error->message);
    }
}

/* The password dialog's answer: (password, remember). */
static void
ferry_application_log_in_action (GSimpleAction *action,
                                 GVariant      *param,
                                 gpointer       user_data)
{
  FerryApplication *self = user_data;
  const char *password = NULL;
  gboolean remember = FALSE;
  const char *address;

  if (!self->client)
    return;

  g_variant_get (param, "(&sb)", &password, &remember);
  address = ferry_client_get_address (self->client);
  ferry_application_forget_password (self);
  self->password = g_strdup (password);
  self->password_address = g_strdup (address);
  self->remember_password = remember;
  /* Not wanted any more: forget it now, not only once this one is accepted. */
  if (!remember)
    {
      g_autofree char *remembered = ferry_application_dup_remembered_password (self, address);

      if (remembered)
        ferry_application_save_password (self, NULL, NULL);
      if (remembered)
        memset (remembered, 0, strlen (remembered));
    }

  /* The engine tries again with it at once. */
  ferry_client_set_password (self->client, self->password);
}

static void
ferry_application_forget_server_action (GSimpleAction *action,
                                        GVariant      *param,
                                        gpointer       user_data)
{
  FerryApplication *self = user_data;
  g_autoptr(GError) error = NULL;
  GtkWindow *window = ferry_application_get_main_window (self);

  if (!self->client)
    return;

  /* The engine connects again, and the new identity comes up for the person to confirm. */
  if (!ferry_client_forget_server (self->client, &error))
    {
      if (window)
        ferry_window_show_error (FERRY_WINDOW (window), _("The Server Could Not Be Forgotten"),
                                 error->message);
    }
}

/* Gives up on the current server, back to the first-run page (filled in with it). */
static void
ferry_application_disconnect_action (GSimpleAction *action,
                                     GVariant      *param,
                                     gpointer       user_data)
{
  FerryApplication *self = user_data;

  if (!self->client)
    return;

  ferry_application_drop_client (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT]);
}

static void
ferry_application_preferences_action (GSimpleAction *action,
                                      GVariant      *param,
                                      gpointer       user_data)
{
  FerryApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  GtkWidget *window;

  window = ferry_preferences_window_new (parent);
  gtk_window_present (GTK_WINDOW (window));
}

static void
ferry_application_about_action (GSimpleAction *action,
                                GVariant      *param,
                                gpointer       user_data)
{
  FerryApplication *self = user_data;
  static const char *developers[] = { "The Ferry developers", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", gtk_application_get_active_window (GTK_APPLICATION (self)),
                        "application-name", _("Ferry"),
                        "application-icon", APPLICATION_ID,
                        "developer-name", _("The Ferry developers"),
                        "version", PACKAGE_VERSION,
                        "comments", _("Share files with everyone on your server"),
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "developers", developers,
                        /* Translators: put your names here, one per line */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
ferry_application_quit_action (GSimpleAction *action,
                               GVariant      *param,
                               gpointer       user_data)
{
  FerryApplication *self = user_data;

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l; )
    {
      GtkWindow *window = l->data;

      l = l->next;
      gtk_window_close (window);
    }
  g_application_quit (G_APPLICATION (self));
}

static const GActionEntry app_actions[] = {
  { "connect", ferry_application_connect_action, "(ss)" },
  { "trust-server", ferry_application_trust_server_action, "s" },
  { "log-in", ferry_application_log_in_action, "(sb)" },
  { "forget-server", ferry_application_forget_server_action },
  { "disconnect", ferry_application_disconnect_action },
  { "preferences", ferry_application_preferences_action },
  { "about", ferry_application_about_action },
  { "quit", ferry_application_quit_action },
};

/* Preferences' Encrypted Connection switch: takes effect on the server in use at once. */
static void
settings_changed_tls_cb (FerryApplication *self,
                         const char       *key,
                         GSettings        *settings)
{
  if (self->client)
    ferry_application_reconnect (self);
}

static void
ferry_application_startup (GApplication *app)
{
  FerryApplication *self = FERRY_APPLICATION (app);
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *preferences_accels[] = { "<Control>comma", NULL };

  G_APPLICATION_CLASS (ferry_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences",
                                         preferences_accels);

  self->settings = g_settings_new (APPLICATION_ID);
  g_signal_connect_object (self->settings, "changed::tls",
                           G_CALLBACK (settings_changed_tls_cb), self, G_CONNECT_SWAPPED);
  g_set_application_name (_("Ferry"));
  gtk_window_set_default_icon_name (APPLICATION_ID);
}

static void
ferry_application_shutdown (GApplication *app)
{
  FerryApplication *self = FERRY_APPLICATION (app);

  ferry_application_drop_client (self);

  G_APPLICATION_CLASS (ferry_application_parent_class)->shutdown (app);
}

static void
ferry_application_dispose (GObject *object)
{
  FerryApplication *self = FERRY_APPLICATION (object);

  ferry_application_drop_client (self);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (ferry_application_parent_class)->dispose (object);
}

static void
ferry_application_finalize (GObject *object)
{
  FerryApplication *self = FERRY_APPLICATION (object);

  g_free (self->server_override);
  g_free (self->name_override);
  ferry_application_forget_password (self);

  G_OBJECT_CLASS (ferry_application_parent_class)->finalize (object);
}

static void
ferry_application_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  FerryApplication *self = FERRY_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_application_class_init (FerryApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = ferry_application_dispose;
  object_class->finalize = ferry_application_finalize;
  object_class->get_property = ferry_application_get_property;

  app_class->activate = ferry_application_activate;
  app_class->command_line = ferry_application_command_line;
  app_class->handle_local_options = ferry_application_handle_local_options;
  app_class->startup = ferry_application_startup;
  app_class->shutdown = ferry_application_shutdown;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, FERRY_TYPE_CLIENT,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ferry_application_init (FerryApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Share files with everyone on your server."));
}

FerryApplication *
ferry_application_new (void)
{
  GApplicationFlags flags = G_APPLICATION_HANDLES_COMMAND_LINE;

  if (g_strcmp0 (g_getenv ("FERRY_NON_UNIQUE"), "1") == 0)
    flags |= G_APPLICATION_NON_UNIQUE;

  return g_object_new (FERRY_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", flags,
                       "resource-base-path", "/org/ferry/Ferry",
                       NULL);
}

FerryClient *
ferry_application_get_client (FerryApplication *self)
{
  g_return_val_if_fail (FERRY_IS_APPLICATION (self), NULL);

  return self->client;
}

GSettings *
ferry_application_get_settings (FerryApplication *self)
{
  g_return_val_if_fail (FERRY_IS_APPLICATION (self), NULL);

  return self->settings;
}

char *
ferry_application_dup_server (FerryApplication *self)
{
  g_return_val_if_fail (FERRY_IS_APPLICATION (self), NULL);

  if (self->server_override)
    return g_strdup (self->server_override);
  return g_settings_get_string (self->settings, "server");
}

char *
ferry_application_dup_name (FerryApplication *self)
{
  g_return_val_if_fail (FERRY_IS_APPLICATION (self), NULL);

  if (self->name_override)
    return g_strdup (self->name_override);
  return g_settings_get_string (self->settings, "name");
}
