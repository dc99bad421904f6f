/* ferry-web-page.c: GET / and /static/…, the page from the server's GResource
 * (docs/HTTP.md §7; the page itself is in server/web/page/)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-server"

#include "config.h"

#include "ferry-web-private.h"

#include <glib/gi18n.h>
#include <string.h>

#ifdef FERRY_HAVE_WEB_PAGE
#include "ferry-web-page-resources.h"
#endif

#define RESOURCE_PREFIX "/org/ferry/Ferry/web/"

static const struct
{
  const char *suffix;
  const char *type;
} content_types[] = {
  { ".html", "text/html; charset=utf-8" },
  { ".css", "text/css; charset=utf-8" },
  { ".js", "text/javascript; charset=utf-8" },
  { ".svg", "image/svg+xml" },
  { ".png", "image/png" },
  { ".ico", "image/x-icon" },
  { ".json", "application/json; charset=utf-8" },
  { ".webmanifest", "application/manifest+json" },
};

static void
serve_resource (SoupServerMessage *msg,
                const char        *name)
{
  g_autofree char *path = g_strconcat (RESOURCE_PREFIX, name, NULL);
  g_autoptr(GBytes) bytes = NULL;
  const char *type = "application/octet-stream";

  /* Resource names are plain: no "..", no empty part, nothing encoded. */
  if (strstr (name, "..") || strstr (name, "//") || strchr (name, '%') || strchr (name, '\\'))
    bytes = NULL;
  else
    bytes = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (!bytes)
    {
      ferry_web_reply_error (msg, SOUP_STATUS_NOT_FOUND, "NOT_FOUND",
                             _("There is nothing at this address."));
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (content_types); i++)
    if (g_str_has_suffix (name, content_types[i].suffix))
      type = content_types[i].type;

  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Cache-Control", "no-cache");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, type, SOUP_MEMORY_COPY,
                                    g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static void
index_cb (FerryWeb          *self,
          SoupServerMessage *msg,
          const char        *rest,
          gpointer           user_data)
{
  serve_resource (msg, "index.html");
}

static void
static_cb (FerryWeb          *self,
           SoupServerMessage *msg,
           const char        *rest,
           gpointer           user_data)
{
  serve_resource (msg, rest);
}

void
ferry_web_page_register (FerryWeb *self)
{
  static const FerryWebRoute routes[] = {
    { "GET", "/", FERRY_WEB_ROUTE_PUBLIC, NULL, index_cb, NULL },
    { "GET", "/static/", FERRY_WEB_ROUTE_PUBLIC | FERRY_WEB_ROUTE_PREFIX, NULL, static_cb, NULL },
  };
#ifdef FERRY_HAVE_WEB_PAGE
  static gsize registered = 0;

  if (g_once_init_enter (&registered))
    {
      ferry_web_page_register_resource ();
      g_once_init_leave (&registered, 1);
    }
#endif

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    ferry_web_add_route (self, &routes[i]);
}
