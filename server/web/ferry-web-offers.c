/* ferry-web-offers.c: GET /api/offers, DELETE /api/offers/ID and POST /api/offers/ID/link
 * (docs/HTTP.md §5)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-server"

#include "config.h"

#include "ferry-web-private.h"

#include <glib/gi18n.h>
#include <string.h>

#include "ferry-error.h"
#include "ferry-links.h"
#include "ferry-message.h"
#include "ferry-offer-removal.h"

/* GET /api/offers */
static void
list_cb (FerryWeb          *self,
         SoupServerMessage *msg,
         const char        *rest,
         gpointer           user_data)
{
  g_autoptr(GPtrArray) offers = ferry_hub_dup_offers (self->hub);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  guint8 owner_hash[FERRY_CATALOGUE_HASH_SIZE];
  gboolean has_owner;
  gboolean malformed;

  has_owner = ferry_web_get_owner_hash (msg, owner_hash, &malformed);
  if (malformed)
    return;
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "offers");
  json_builder_begin_array (builder);
  for (guint i = 0; i < offers->len; i++)
    json_builder_add_value (builder, ferry_web_offer_to_json (g_ptr_array_index (offers, i),
                                                              has_owner ? owner_hash : NULL));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  ferry_web_reply_json (msg, SOUP_STATUS_OK, node);
}

typedef struct
{
  FerryWeb          *web;
  SoupServerMessage *msg;
  char              *id;
} Deletion;

static void
removed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Deletion *deletion = user_data;
  g_autoptr(GError) error = NULL;

  if (ferry_offer_removal_run_finish (FERRY_STORE (object), result, &error))
    {
      g_message ("%s (web) deleted %s", ferry_web_get_peer (deletion->web, deletion->msg),
                 deletion->id);
      soup_server_message_set_status (deletion->msg, SOUP_STATUS_NO_CONTENT, NULL);
    }
  else
    ferry_web_reply_gerror (deletion->msg, error);
  soup_server_message_unpause (deletion->msg);
  g_object_unref (deletion->msg);
  g_object_unref (deletion->web);
  g_free (deletion->id);
  g_free (deletion);
}

/* DELETE /api/offers/ID */
static void
delete_cb (FerryWeb          *self,
           SoupServerMessage *msg,
           const char        *rest,
           gpointer           user_data)
{
  guint8 owner_hash[FERRY_CATALOGUE_HASH_SIZE];
  gboolean malformed;
  Deletion *deletion;

  if (!ferry_id_is_valid (rest))
    {
      ferry_web_reply_error (msg, SOUP_STATUS_NOT_FOUND, "NOT_FOUND",
                             _("No file with that id is shared."));
      return;
    }
  if (!ferry_web_get_owner_hash (msg, owner_hash, &malformed))
    {
      if (!malformed)
        ferry_web_reply_error (msg, SOUP_STATUS_FORBIDDEN, "NOT_OWNER",
                               _("Only the person who shared this file can delete it."));
      return;
    }

  deletion = g_new0 (Deletion, 1);
  deletion->web = g_object_ref (self);
  deletion->msg = g_object_ref (msg);
  deletion->id = g_strdup (rest);
  soup_server_message_pause (msg);
  ferry_offer_removal_run_async (self->store, self->hub, rest, owner_hash, removed_cb,
                                 deletion);
}

/* POST /api/offers/ID/link {"lifetime": seconds}: the path of a link to the offer, with a key
 * on a password server (HTTP.md §6), as the native LINK gives it. */
static void
link_cb (FerryWeb          *self,
         SoupServerMessage *msg,
         const char        *rest,
         gpointer           user_data)
{
  g_autofree char *id = g_str_has_suffix (rest, "/link") ?
                        g_strndup (rest, strlen (rest) - strlen ("/link")) : NULL;
  g_autoptr(JsonObject) request = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *path = NULL;
  FerryCatalogueRow *row;
  JsonNode *lifetime = NULL;

  row = id && ferry_id_is_valid (id) ? ferry_hub_lookup (self->hub, id) : NULL;
  if (!row)
    {
      ferry_web_reply_error (msg, SOUP_STATUS_NOT_FOUND, "NOT_FOUND",
                             _("No file with that id is shared."));
      return;
    }
  if (!(request = ferry_web_read_json_object (msg)))
    return;
  if (json_object_has_member (request, "lifetime"))
    lifetime = json_object_get_member (request, "lifetime");
  if (lifetime && (json_node_get_value_type (lifetime) != G_TYPE_INT64 ||
                   json_node_get_int (lifetime) < 0))
    {
      ferry_web_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "BAD_REQUEST",
                             _("A link's lifetime is a whole number of seconds, 0 or more."));
      return;
    }

  /* Without a password anyone may download, so a key would add nothing. */
  path = ferry_links_make_path (self->links, row->id, row->name,
                                lifetime ? (guint64) json_node_get_int (lifetime) : 0,
                                self->auth != NULL);
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "url");
  json_builder_add_string_value (builder, path);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  ferry_web_reply_json (msg, SOUP_STATUS_OK, node);
}

void
ferry_web_offers_register (FerryWeb *self)
{
  static const FerryWebRoute routes[] = {
    { "GET", "/api/offers", FERRY_WEB_ROUTE_DEFAULT, NULL, list_cb, NULL },
    { "DELETE", "/api/offers/", FERRY_WEB_ROUTE_PREFIX, NULL, delete_cb, NULL },
    { "POST", "/api/offers/", FERRY_WEB_ROUTE_PREFIX, NULL, link_cb, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    ferry_web_add_route (self, &routes[i]);
}
