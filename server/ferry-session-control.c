/* ferry-session-control.c: FerrySessionControl, a subscriber (SUBSCRIBE, snapshot, live
 * events, PING)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-session"

#include "config.h"

#include "ferry-session-private.h"

/* The snapshot is sent a little at a time: the queue is filled up to SNAPSHOT_FILL bytes,
 * and filled again once the peer has read it down to SNAPSHOT_REFILL. So a big catalogue never
 * sits in memory as frames, never counts against the output budget because it is big, and a
 * peer that reads slowly still gets all of it. */
#define SNAPSHOT_FILL    FERRY_SNAPSHOT_FILL
#define SNAPSHOT_REFILL  FERRY_SNAPSHOT_REFILL

G_STATIC_ASSERT (SNAPSHOT_FILL + FERRY_FRAME_HEADER_SIZE + FERRY_MAX_CONTROL_PAYLOAD <
                 FERRY_OUTPUT_BUDGET);

struct _FerrySessionControl
{
  GObject parent_instance;

  /* owned references */
  FerrySession   *session;
  FerryHubCursor *snapshot_cursor; /* while the snapshot is being sent */

  guint           snapshot_sent;
};

static void handler_iface_init (FerrySessionHandlerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FerrySessionControl, ferry_session_control, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (FERRY_TYPE_SESSION_HANDLER,
                                                      handler_iface_init))

static void
ferry_session_control_finalize (GObject *object)
{
  FerrySessionControl *self = FERRY_SESSION_CONTROL (object);

  g_clear_pointer (&self->snapshot_cursor, ferry_hub_cursor_free);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (ferry_session_control_parent_class)->finalize (object);
}

static void
ferry_session_control_class_init (FerrySessionControlClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ferry_session_control_finalize;
}

static void
ferry_session_control_init (FerrySessionControl *self)
{
}

FerrySessionHandler *
ferry_session_control_new (FerrySession *session)
{
  FerrySessionControl *self = g_object_new (FERRY_TYPE_SESSION_CONTROL, NULL);

  self->session = g_object_ref (session);
  return FERRY_SESSION_HANDLER (self);
}

/* Live events. An event that takes the output over budget drops the peer (the connection's
 * "output-overflow"): events can't wait for a peer that does not read. */

static void
hub_offer_cb (FerryHub            *hub,
              FerryCatalogueRow   *row,
              FerrySessionControl *self)
{
  ferry_session_send_offer (self->session, row, 0);
}

static void
hub_deleted_cb (FerryHub            *hub,
                const char          *id,
                FerrySessionControl *self)
{
  ferry_session_send_message (self->session, ferry_msg_deleted_new (id));
}

static void
snapshot_done (FerrySessionControl *self)
{
  FerrySession *session = self->session;
  g_autoptr(FerryHubCursor) cursor = g_steal_pointer (&self->snapshot_cursor);
  g_autoptr(GPtrArray) deleted = ferry_hub_cursor_take_deleted (cursor);

  ferry_session_send_message (session, ferry_msg_synced_new (self->snapshot_sent));
  /* Offers published while the snapshot was sent were in it (the cursor reached them);
   * offers it had sent and that went since are reported now, after SYNCED. */
  for (guint i = 0; i < deleted->len; i++)
    ferry_session_send_message (session, ferry_msg_deleted_new (g_ptr_array_index (deleted, i)));
  if (ferry_session_is_closing (session))
    return;

  g_signal_connect_object (session->hub, "offer", G_CALLBACK (hub_offer_cb), self, 0);
  g_signal_connect_object (session->hub, "deleted", G_CALLBACK (hub_deleted_cb), self, 0);
  g_debug ("%s: %s subscribed (%u offers)", session->peer, session->user, self->snapshot_sent);
}

static void snapshot_fill (FerrySessionControl *self);

static void
snapshot_drained_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(FerrySessionControl) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!ferry_connection_drain_finish (FERRY_CONNECTION (object), result, &error))
    ferry_session_lost (self->session, error);
  else if (self->snapshot_cursor)
    snapshot_fill (self);
}

static void
snapshot_fill (FerrySessionControl *self)
{
  FerrySession *session = self->session;

  while (ferry_connection_get_frame_bytes (session->connection) < SNAPSHOT_FILL)
    {
      FerryCatalogueRow *row = ferry_hub_cursor_next (self->snapshot_cursor);

      if (!row)
        {
          snapshot_done (self);
          return;
        }
      ferry_session_send_offer (session, row, FERRY_FRAME_FLAG_SNAPSHOT);
      self->snapshot_sent++;
      if (ferry_session_is_closing (session))
        return;
    }
  ferry_connection_drain_async (session->connection, SNAPSHOT_REFILL, NULL,
                                snapshot_drained_cb, g_object_ref (self));
}

static void
ferry_session_control_start (FerrySessionHandler *handler,
                             FerryFrame          *request)
{
  FerrySessionControl *self = FERRY_SESSION_CONTROL (handler);
  g_autoptr(GVariant) value = NULL;
  GError *error = NULL;

  if (!(value = ferry_message_parse (request, &error)))
    {
      ferry_session_fail (self->session, error);
      return;
    }

  ferry_session_set_timeout (self->session, FERRY_CONTROL_TIMEOUT_S);
  self->snapshot_cursor = ferry_hub_cursor_new (self->session->hub);
  self->snapshot_sent = 0;
  snapshot_fill (self);
  ferry_session_read_next (self->session);
}

static void
ferry_session_control_handle_frame (FerrySessionHandler *handler,
                                    FerryFrame          *frame)
{
  FerrySessionControl *self = FERRY_SESSION_CONTROL (handler);

  if (frame->type != FERRY_MSG_PING && frame->type != FERRY_MSG_PONG)
    ferry_session_fail_unexpected (self->session, frame->type);
  else if (ferry_session_handle_ping (self->session, frame))
    ferry_session_read_next (self->session);
}

static void
ferry_session_control_close (FerrySessionHandler *handler)
{
  FerrySessionControl *self = FERRY_SESSION_CONTROL (handler);

  g_signal_handlers_disconnect_by_data (self->session->hub, self);
  g_clear_pointer (&self->snapshot_cursor, ferry_hub_cursor_free);
}

static void
handler_iface_init (FerrySessionHandlerInterface *iface)
{
  iface->start = ferry_session_control_start;
  iface->handle_frame = ferry_session_control_handle_frame;
  iface->close = ferry_session_control_close;
}
