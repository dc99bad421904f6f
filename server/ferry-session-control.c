/* ferry-session-control.c: control sessions (SUBSCRIBE, snapshot, live events, PING) and DELETE
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-session"

#include "config.h"

#include "ferry-session-private.h"

#include <glib/gi18n.h>

#include "ferry-error.h"

/* The snapshot is sent a little at a time: the queue is filled up to SNAPSHOT_FILL bytes,
 * and filled again once the peer has read it down to SNAPSHOT_REFILL. So a big catalogue never
 * sits in memory as frames, never counts against the output budget because it is big, and a
 * peer that reads slowly still gets all of it. */
#define SNAPSHOT_FILL    FERRY_SNAPSHOT_FILL
#define SNAPSHOT_REFILL  FERRY_SNAPSHOT_REFILL

G_STATIC_ASSERT (SNAPSHOT_FILL + FERRY_FRAME_HEADER_SIZE + FERRY_MAX_CONTROL_PAYLOAD <
                 FERRY_OUTPUT_BUDGET);

/* Control sessions. An event that takes the output over budget drops the peer (the
 * connection's "output-overflow"): events can't wait for a peer that does not read. */

static void
hub_offer_cb (FerryHub          *hub,
              FerryCatalogueRow *row,
              FerrySession      *self)
{
  if (self->state != FERRY_SESSION_STATE_CONTROL)
    return;
  ferry_session_send_offer (self, row, 0);
}

static void
hub_deleted_cb (FerryHub     *hub,
                const char   *id,
                FerrySession *self)
{
  if (self->state != FERRY_SESSION_STATE_CONTROL)
    return;
  ferry_session_send_message (self, FERRY_MSG_DELETED, 0, g_variant_new ("(s)", id));
}

static void
snapshot_done (FerrySession *self)
{
  g_autoptr(FerryHubCursor) cursor = g_steal_pointer (&self->snapshot_cursor);
  g_autoptr(GPtrArray) deleted = ferry_hub_cursor_take_deleted (cursor);

  ferry_session_send_message (self, FERRY_MSG_SYNCED, 0,
                              g_variant_new ("(u)", self->snapshot_sent));
  /* Offers published while the snapshot was sent were in it (the cursor reached them);
   * offers it had sent and that went since are reported now, after SYNCED. */
  for (guint i = 0; i < deleted->len && !ferry_session_is_closing (self); i++)
    ferry_session_send_message (self, FERRY_MSG_DELETED, 0,
                                g_variant_new ("(s)", (char *) g_ptr_array_index (deleted, i)));
  if (ferry_session_is_closing (self))
    return;

  g_signal_connect_object (self->hub, "offer", G_CALLBACK (hub_offer_cb), self, 0);
  g_signal_connect_object (self->hub, "deleted", G_CALLBACK (hub_deleted_cb), self, 0);
  g_debug ("%s: %s subscribed (%u offers)", self->peer, self->user, self->snapshot_sent);
}

static void snapshot_fill (FerrySession *self);

static void
snapshot_drained_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(FerrySession) self = user_data;
  g_autoptr(GError) error = NULL;

  ferry_session_pending_done (self);
  if (!ferry_connection_drain_finish (FERRY_CONNECTION (object), result, &error) ||
      ferry_session_is_closing (self))
    {
      if (ferry_session_is_closing (self))
        ferry_session_check_finished (self);
      else
        ferry_session_lost (self, error);
      return;
    }
  snapshot_fill (self);
}

static void
snapshot_fill (FerrySession *self)
{
  while (ferry_connection_get_frame_bytes (self->connection) < SNAPSHOT_FILL)
    {
      FerryCatalogueRow *row = ferry_hub_cursor_next (self->snapshot_cursor);

      if (!row)
        {
          snapshot_done (self);
          return;
        }
      ferry_session_send_offer (self, row, FERRY_FRAME_FLAG_SNAPSHOT);
      self->snapshot_sent++;
      if (ferry_session_is_closing (self))
        return;
    }
  ferry_connection_drain_async (self->connection, SNAPSHOT_REFILL, NULL,
                                snapshot_drained_cb, ferry_session_pending_ref (self));
}

void
ferry_session_start_control (FerrySession *self)
{
  self->state = FERRY_SESSION_STATE_CONTROL;
  ferry_session_set_timeout (self, FERRY_CONTROL_TIMEOUT_S);

  self->snapshot_cursor = ferry_hub_cursor_new (self->hub);
  self->snapshot_sent = 0;
  snapshot_fill (self);
  ferry_session_read_next (self);
}

void
ferry_session_handle_control (FerrySession *self,
                              FerryFrame   *frame)
{
  g_autoptr(GVariant) value = NULL;
  GError *error = NULL;

  switch (frame->type)
    {
    case FERRY_MSG_PING:
      if (!(value = ferry_message_parse (frame, &error)))
        {
          ferry_session_fail (self, error);
          return;
        }
      {
        guint64 token;

        g_variant_get (value, "(t)", &token);
        ferry_session_send_message (self, FERRY_MSG_PONG, 0, g_variant_new ("(t)", token));
      }
      break;

    case FERRY_MSG_PONG:
      if (!(value = ferry_message_parse (frame, &error)))
        {
          ferry_session_fail (self, error);
          return;
        }
      break;

    default:
      ferry_session_fail_unexpected (self, frame->type);
      return;
    }

  ferry_session_read_next (self);
}

/* Deletion. */

static void
remove_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(FerrySession) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = g_object_steal_data (G_OBJECT (self), "ferry-delete-id");

  ferry_session_pending_done (self);
  if (!ferry_store_remove_finish (self->store, result, &error))
    {
      if (ferry_session_is_closing (self))
        ferry_session_check_finished (self);
      else
        ferry_session_fail (self, g_steal_pointer (&error));
      return;
    }

  {
    g_autofree char *user = ferry_session_log_name (self->user);

    g_message ("%s (%s) deleted %s", user, self->peer, id);
  }
  if (!ferry_session_is_closing (self))
    ferry_session_send_message (self, FERRY_MSG_DELETED, 0, g_variant_new ("(s)", id));
  ferry_hub_publish_deleted (self->hub, id);

  if (ferry_session_is_closing (self))
    ferry_session_check_finished (self);
  else
    ferry_session_close (self);
}

void
ferry_session_start_delete (FerrySession *self,
                            FerryFrame   *frame)
{
  g_autoptr(GVariant) value = NULL;
  FerryCatalogueRow *row;
  GError *error = NULL;
  const char *id;

  if (!(value = ferry_message_parse (frame, &error)))
    {
      ferry_session_fail (self, error);
      return;
    }
  g_variant_get (value, "(&s)", &id);

  row = ferry_hub_lookup (self->hub, id);
  if (!row)
    {
      ferry_session_fail (self, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                                                     _("No file with that id is shared.")));
      return;
    }
  if (!ferry_session_owns (self, row))
    {
      ferry_session_fail (self, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_NOT_OWNER,
                                                     _("Only the person who shared this file can "
                                                       "delete it.")));
      return;
    }

  self->state = FERRY_SESSION_STATE_DELETING;
  ferry_session_set_timeout (self, 0);
  g_object_set_data_full (G_OBJECT (self), "ferry-delete-id", g_strdup (id), g_free);
  ferry_store_remove_async (self->store, id, row->size, NULL,
                            remove_cb, ferry_session_pending_ref (self));
}
