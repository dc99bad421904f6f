/* ferry-web-events.c: GET /api/events, the live list over a WebSocket (docs/HTTP.md §5)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The same conversation as the native SUBSCRIBE (ferry-session-control.c), in JSON: after the
 * client's hello, the snapshot from a hub cursor, produced as the peer reads it, then SYNCED,
 * then live events, each counted against the connection's output budget.
 */
#define G_LOG_DOMAIN "ferry-server"

#include "config.h"

#include "ferry-web-private.h"

#include <glib/gi18n.h>
#include <string.h>

#include "ferry-checksum.h"
#include "ferry-limits.h"
#include "ferry-message.h"

#define HELLO_TIMEOUT_S FERRY_HANDSHAKE_TIMEOUT_S
#define KEEPALIVE_S 30

typedef struct
{
  FerryWeb                *web;         /* not owned: it outlives its connections */
  SoupWebsocketConnection *socket;
  FerryWebStream          *stream;      /* NULL when the connection is unknown */
  FerryHubCursor          *cursor;      /* while the snapshot is sent */
  guint8                   owner_hash[FERRY_CATALOGUE_HASH_SIZE];
  gboolean                 has_owner;
  gboolean                 said_hello;
  gboolean                 filling;     /* in snapshot_fill: a write must not re-enter it */
  guint                    snapshot_sent;
  guint64                  queued;      /* bytes of frames handed to the socket so far */
  guint                    hello_timeout_id;
  gulong                   offer_id;
  gulong                   deleted_id;
} Subscriber;

static void
subscriber_free (Subscriber *self)
{
  g_clear_handle_id (&self->hello_timeout_id, g_source_remove);
  g_clear_signal_handler (&self->offer_id, self->web->hub);
  g_clear_signal_handler (&self->deleted_id, self->web->hub);
  g_clear_pointer (&self->cursor, ferry_hub_cursor_free);
  if (self->stream)
    {
      ferry_web_stream_set_wrote_func (self->stream, NULL, NULL);
      g_object_unref (self->stream);
    }
  g_clear_object (&self->socket);
  g_free (self);
}

/* What was handed to the socket and is not yet written to the peer. */
static guint64
backlog (Subscriber *self)
{
  guint64 written;

  if (!self->stream)
    return 0;
  written = ferry_web_stream_get_bytes_written (self->stream);
  return self->queued > written ? self->queued - written : 0;
}

static gboolean
is_open (Subscriber *self)
{
  return soup_websocket_connection_get_state (self->socket) == SOUP_WEBSOCKET_STATE_OPEN;
}

/* Sends @node; @budgeted: an event, which drops a peer that lets the output pile up. */
static void
send_json (Subscriber *self,
           JsonNode   *node,
           gboolean    budgeted)
{
  g_autofree char *text = json_to_string (node, FALSE);
  gsize length = strlen (text);
  /* A server's frame: 2 header bytes, 2 or 8 more for a longer payload, no mask. */
  gsize frame = length + 2 + (length >= 126 ? (length >= 65536 ? 8 : 2) : 0);

  if (!is_open (self))
    return;
  if (budgeted && backlog (self) + frame > FERRY_OUTPUT_BUDGET)
    {
      g_message ("%s: dropped: it did not read its events (%u KiB budget)",
                 self->stream ? ferry_web_stream_get_peer (self->stream) : "(unknown)",
                 FERRY_OUTPUT_BUDGET / 1024);
      soup_websocket_connection_close (self->socket, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                                       "output budget");
      if (self->stream)
        ferry_web_stream_abort (self->stream);
      return;
    }
  self->queued += frame;
  soup_websocket_connection_send_text (self->socket, text);
}

static JsonNode *
offer_event (Subscriber        *self,
             FerryCatalogueRow *row)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "offer");
  json_builder_set_member_name (builder, "offer");
  json_builder_add_value (builder, ferry_web_offer_to_json (row, self->has_owner
                                                                 ? self->owner_hash : NULL));
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
send_deleted (Subscriber *self,
              const char *id)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "deleted");
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, id);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  send_json (self, node, TRUE);
}

static void
hub_offer_cb (FerryHub          *hub,
              FerryCatalogueRow *row,
              gpointer           user_data)
{
  g_autoptr(JsonNode) node = offer_event (user_data, row);

  send_json (user_data, node, TRUE);
}

static void
hub_deleted_cb (FerryHub   *hub,
                const char *id,
                gpointer    user_data)
{
  send_deleted (user_data, id);
}

static void
snapshot_done (Subscriber *self)
{
  g_autoptr(FerryHubCursor) cursor = g_steal_pointer (&self->cursor);
  g_autoptr(GPtrArray) deleted = ferry_hub_cursor_take_deleted (cursor);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "synced");
  json_builder_set_member_name (builder, "count");
  json_builder_add_int_value (builder, self->snapshot_sent);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  send_json (self, node, FALSE);
  /* As native: offers the snapshot sent that went since are reported after SYNCED. */
  for (guint i = 0; i < deleted->len && is_open (self); i++)
    send_deleted (self, g_ptr_array_index (deleted, i));
  if (!is_open (self))
    return;
  self->offer_id = g_signal_connect (self->web->hub, "offer", G_CALLBACK (hub_offer_cb), self);
  self->deleted_id = g_signal_connect (self->web->hub, "deleted", G_CALLBACK (hub_deleted_cb),
                                       self);
}

/* Produces the snapshot as the peer reads it: up to FERRY_SNAPSHOT_FILL bytes waiting, more
 * once it is down to FERRY_SNAPSHOT_REFILL (called at each write). */
static void
snapshot_fill (Subscriber *self)
{
  if (self->filling)
    return;
  self->filling = TRUE;
  while (self->cursor && is_open (self) && backlog (self) < FERRY_SNAPSHOT_FILL)
    {
      FerryCatalogueRow *row = ferry_hub_cursor_next (self->cursor);
      g_autoptr(JsonNode) node = NULL;

      if (!row)
        {
          snapshot_done (self);
          break;
        }
      node = offer_event (self, row);
      self->snapshot_sent++;
      send_json (self, node, FALSE);
    }
  self->filling = FALSE;
}

static void
wrote_cb (FerryWebStream *stream,
          gpointer        user_data)
{
  Subscriber *self = user_data;

  if (self->cursor && backlog (self) <= FERRY_SNAPSHOT_REFILL)
    snapshot_fill (self);
}

static gboolean
hello_timeout_cb (gpointer user_data)
{
  Subscriber *self = user_data;

  self->hello_timeout_id = 0;
  soup_websocket_connection_close (self->socket, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                                   "no hello");
  return G_SOURCE_REMOVE;
}

/* {"type": "hello", "owner": "64 hex"?}; anything else is refused. */
static gboolean
read_hello (Subscriber *self,
            GBytes     *message)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize size;
  const char *data = g_bytes_get_data (message, &size);
  JsonObject *object;
  const char *owner;
  guint8 secret[FERRY_SECRET_SIZE];

  if (size == 0 || size > FERRY_WEB_JSON_MAX ||
      !json_parser_load_from_data (parser, data, (gssize) size, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return FALSE;
  object = json_node_get_object (json_parser_get_root (parser));
  if (g_strcmp0 (json_object_get_string_member_with_default (object, "type", NULL), "hello"))
    return FALSE;
  owner = json_object_get_string_member_with_default (object, "owner", NULL);
  if (owner)
    {
      g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
      gsize digest_size = sizeof self->owner_hash;

      if (!ferry_sha256_from_hex (owner, secret))
        return FALSE;
      g_checksum_update (checksum, secret, sizeof secret);
      g_checksum_get_digest (checksum, self->owner_hash, &digest_size);
      self->has_owner = TRUE;
    }
  return TRUE;
}

static void
message_cb (SoupWebsocketConnection *socket,
            gint                     type,
            GBytes                  *message,
            gpointer                 user_data)
{
  Subscriber *self = user_data;

  if (self->said_hello)
    return;     /* nothing else is defined; ignored, as unknown options are */
  if (type != SOUP_WEBSOCKET_DATA_TEXT || !read_hello (self, message))
    {
      soup_websocket_connection_close (socket, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                                       "the first message must be a hello");
      return;
    }
  self->said_hello = TRUE;
  g_clear_handle_id (&self->hello_timeout_id, g_source_remove);
  self->cursor = ferry_hub_cursor_new (self->web->hub);
  snapshot_fill (self);
}

static void
closed_cb (SoupWebsocketConnection *socket,
           gpointer                 user_data)
{
  Subscriber *self = user_data;

  g_signal_handlers_disconnect_by_data (socket, self);
  subscriber_free (self);
}

static void
start_subscriber (FerryWeb                *web,
                  SoupServerMessage       *msg,
                  SoupWebsocketConnection *socket)
{
  Subscriber *self = g_new0 (Subscriber, 1);
  FerryWebStream *stream = ferry_web_get_stream (web, msg);

  self->web = web;
  self->socket = g_object_ref (socket);
  if (stream)
    {
      self->stream = g_object_ref (stream);
      ferry_web_stream_set_idle_limit (stream, FERRY_CONTROL_TIMEOUT_S);
      ferry_web_stream_set_wrote_func (stream, wrote_cb, self);
    }
  soup_websocket_connection_set_keepalive_interval (socket, KEEPALIVE_S);
  soup_websocket_connection_set_max_incoming_payload_size (socket, FERRY_WEB_JSON_MAX);
  self->hello_timeout_id = g_timeout_add_seconds (HELLO_TIMEOUT_S, hello_timeout_cb, self);
  g_signal_connect (socket, "message", G_CALLBACK (message_cb), self);
  g_signal_connect (socket, "closed", G_CALLBACK (closed_cb), self);
}

/* "wrote-informational": the 101 is out; the connection is the WebSocket's from here on. */
static void
upgraded_cb (SoupServerMessage *msg,
             gpointer           user_data)
{
  FerryWeb *web = user_data;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(SoupWebsocketConnection) socket = NULL;
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);

  g_signal_handlers_disconnect_by_func (msg, upgraded_cb, user_data);
  stream = soup_server_message_steal_connection (msg);
  /* No extension is offered (no compression: frames count against the budget as they are). */
  socket = soup_websocket_connection_new (stream, soup_server_message_get_uri (msg),
                                          SOUP_WEBSOCKET_CONNECTION_SERVER,
                                          soup_message_headers_get_one (request, "Origin"),
                                          NULL, NULL);
  start_subscriber (web, msg, socket);
}

/* GET /api/events: the upgrade is done here rather than by a SoupServer WebSocket handler,
 * which would take the path away from the gate. */
static void
events_cb (FerryWeb          *self,
           SoupServerMessage *msg,
           const char        *rest,
           gpointer           user_data)
{
  g_autoptr(GError) error = NULL;

  if (!soup_websocket_server_check_handshake (msg, NULL, NULL, NULL, &error))
    {
      ferry_web_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "BAD_REQUEST", error->message);
      return;
    }
  /* The gate's "Connection: close" would stand beside the handshake's "Upgrade". */
  soup_message_headers_remove (soup_server_message_get_response_headers (msg), "Connection");
  if (!soup_websocket_server_process_handshake (msg, NULL, NULL, NULL, NULL))
    return;
  g_signal_connect_object (msg, "wrote-informational", G_CALLBACK (upgraded_cb), self, 0);
}

void
ferry_web_events_register (FerryWeb *self)
{
  static const FerryWebRoute route = {
    "GET", "/api/events", FERRY_WEB_ROUTE_SAME_ORIGIN, NULL, events_cb, NULL,
  };

  ferry_web_add_route (self, &route);
}
