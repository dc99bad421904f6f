/* ferry-cli-list.c: the commands that show the shared files: list and watch
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-cli"

#include "config.h"

#include <stdio.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "ferry-cli-private.h"
#include "ferry-units.h"

/* A name made fit for one table cell: control characters are shown escaped. */
char *
ferry_cli_printable_name (const char *name)
{
  GString *out = g_string_new (NULL);

  for (const char *p = name; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\t')
        g_string_append (out, "\\t");
      else if (g_unichar_iscntrl (c))
        g_string_append_printf (out, "\\x%02x", c);
      else
        g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
}

/* A folder shows as "name/ (N files)" with its files' total size; a file as its name and
 * size. */
static void
offer_name_and_size (FerryOffer  *offer,
                     char       **out_name,
                     char       **out_size)
{
  g_autofree char *name = ferry_cli_printable_name (ferry_offer_get_name (offer));
  guint32 files;

  if (!ferry_offer_is_folder (offer))
    {
      *out_name = g_steal_pointer (&name);
      *out_size = ferry_format_size (ferry_offer_get_size (offer));
      return;
    }
  files = ferry_offer_get_folder_files (offer);
  /* Translators: a shared folder in a listing: its name, then how many files it holds */
  *out_name = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s/ (%u file)", "%s/ (%u files)",
                                            files), name, files);
  *out_size = ferry_format_size (ferry_offer_get_folder_bytes (offer));
}

static void
add_offer_members (JsonBuilder *builder,
                   FerryOffer  *offer)
{
  g_autoptr(GDateTime) created = g_date_time_new_from_unix_utc (ferry_offer_get_created (offer));
  g_autofree char *iso = created ? g_date_time_format_iso8601 (created) : g_strdup ("");

  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, ferry_offer_get_id (offer));
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, ferry_offer_get_name (offer));
  json_builder_set_member_name (builder, "size");
  json_builder_add_int_value (builder, (gint64) ferry_offer_get_size (offer));
  json_builder_set_member_name (builder, "sha256");
  json_builder_add_string_value (builder, ferry_offer_get_sha256_hex (offer));
  json_builder_set_member_name (builder, "uploader");
  json_builder_add_string_value (builder, ferry_offer_get_uploader (offer));
  json_builder_set_member_name (builder, "created");
  json_builder_add_string_value (builder, iso);
  json_builder_set_member_name (builder, "mine");
  json_builder_add_boolean_value (builder, ferry_offer_get_mine (offer));
  if (ferry_offer_is_folder (offer))
    {
      json_builder_set_member_name (builder, "folder");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "files");
      json_builder_add_int_value (builder, ferry_offer_get_folder_files (offer));
      json_builder_set_member_name (builder, "content-size");
      json_builder_add_int_value (builder, (gint64) ferry_offer_get_folder_bytes (offer));
      json_builder_end_object (builder);
    }
}

static void
print_json (JsonBuilder *builder,
            gboolean     pretty)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = NULL;

  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, pretty);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
  fflush (stdout);
}


int
ferry_cli_list (FerryClient  *client,
          int           argc,
          char        **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON array"), NULL },
    { NULL }
  };
  GListModel *offers;
  guint n;
  int code;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (!ferry_cli_parse_command_options ("list", "", entries, &argc, &argv, &code))
    return code;
  if (argc > 1)
    return ferry_cli_usage_error (_("“list” takes no arguments."));
  if ((code = ferry_cli_connect (client)) != EXIT_SUCCESS)
    return code;

  offers = ferry_client_get_offers (client);
  n = g_list_model_get_n_items (offers);

  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_array (builder);
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(FerryOffer) offer = g_list_model_get_item (offers, i);

          json_builder_begin_object (builder);
          add_offer_members (builder, offer);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      print_json (builder, TRUE);
      return EXIT_SUCCESS;
    }

  if (n == 0)
    {
      g_print (_("No files are shared on %s.\n"), ferry_client_get_address (client));
      return EXIT_SUCCESS;
    }

  g_print ("%-40s %10s  %-16s %-16s %s\n", _("NAME"), _("SIZE"), _("UPLOADER"), _("AGE"), _("ID"));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FerryOffer) offer = g_list_model_get_item (offers, i);
      g_autofree char *name = NULL;
      g_autofree char *size = NULL;
      g_autofree char *age = ferry_format_age (ferry_offer_get_created (offer), now);
      g_autofree char *uploader = ferry_cli_printable_name (ferry_offer_get_uploader (offer));
      g_autofree char *star = NULL;

      offer_name_and_size (offer, &name, &size);
      star = g_strconcat (ferry_offer_get_mine (offer) ? "*" : "", name, NULL);

      g_print ("%-40s %10s  %-16s %-16s %s\n", star, size, uploader, age,
               ferry_offer_get_id (offer));
    }
  return EXIT_SUCCESS;
}

typedef struct
{
  gboolean json;
  GError  *error;
  gboolean done;
} WatchState;

/* One line of watch --json: {"event": EVENT, …}. The caller adds members and calls
 * print_event(). */
static JsonBuilder *
event_new (const char *event)
{
  JsonBuilder *builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "event");
  json_builder_add_string_value (builder, event);
  return builder;
}

static void
print_event (JsonBuilder *builder)
{
  json_builder_end_object (builder);
  print_json (builder, FALSE);
  g_object_unref (builder);
}

static void
watch_offer_cb (FerryClient *client,
                FerryOffer  *offer,
                WatchState  *state)
{
  if (state->json)
    {
      JsonBuilder *builder = event_new ("offer");

      add_offer_members (builder, offer);
      print_event (builder);
    }
  else
    {
      g_autofree char *name = NULL;
      g_autofree char *size = NULL;
      g_autofree char *uploader = ferry_cli_printable_name (ferry_offer_get_uploader (offer));

      offer_name_and_size (offer, &name, &size);
      g_print (_("+ %s (%s) from %s [%s]\n"), name, size, uploader, ferry_offer_get_id (offer));
      fflush (stdout);
    }
}

static void
watch_deleted_cb (FerryClient *client,
                  FerryOffer  *offer,
                  WatchState  *state)
{
  if (state->json)
    {
      JsonBuilder *builder = event_new ("deleted");

      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, ferry_offer_get_id (offer));
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, ferry_offer_get_name (offer));
      print_event (builder);
    }
  else
    {
      g_autofree char *name = ferry_cli_printable_name (ferry_offer_get_name (offer));

      g_print (_("- %s [%s]\n"), name, ferry_offer_get_id (offer));
      fflush (stdout);
    }
}

static void
watch_disconnected_cb (FerryClient  *client,
                       const GError *error,
                       WatchState   *state)
{
  state->error = g_error_copy (error);
  state->done = TRUE;
}

int
ferry_cli_watch (FerryClient  *client,
           int           argc,
           char        **argv)
{
  WatchState state = { 0 };
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &state.json, N_("Print one JSON object per line"), NULL },
    { NULL }
  };
  int code;

  if (!ferry_cli_parse_command_options ("watch", "", entries, &argc, &argv, &code))
    return code;
  if (argc > 1)
    return ferry_cli_usage_error (_("“watch” takes no arguments."));
  if ((code = ferry_cli_connect (client)) != EXIT_SUCCESS)
    return code;

  if (state.json)
    {
      JsonBuilder *builder = event_new ("synced");

      json_builder_set_member_name (builder, "offers");
      json_builder_add_int_value (builder,
                                  g_list_model_get_n_items (ferry_client_get_offers (client)));
      print_event (builder);
    }
  else if (isatty (STDOUT_FILENO))
    g_printerr (_("Watching %s for changes; press Ctrl+C to stop.\n"),
                ferry_client_get_address (client));

  g_signal_connect (client, "offer-added", G_CALLBACK (watch_offer_cb), &state);
  g_signal_connect (client, "offer-removed", G_CALLBACK (watch_deleted_cb), &state);
  g_signal_connect (client, "disconnected", G_CALLBACK (watch_disconnected_cb), &state);

  while (!state.done)
    g_main_context_iteration (NULL, TRUE);

  code = ferry_cli_fail (state.error);
  g_clear_error (&state.error);
  return code;
}
