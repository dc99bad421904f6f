/* ferry-session-delete.c: FerrySessionDelete, removing an offer its owner shared
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-session"

#include "config.h"

#include "ferry-session-private.h"

#include <glib/gi18n.h>

#include "ferry-error.h"
#include "ferry-offer-removal.h"

struct _FerrySessionDelete
{
  GObject parent_instance;

  /* owned references */
  FerrySession *session;
  char         *id;
};

static void handler_iface_init (FerrySessionHandlerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FerrySessionDelete, ferry_session_delete, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (FERRY_TYPE_SESSION_HANDLER,
                                                      handler_iface_init))

static void
ferry_session_delete_finalize (GObject *object)
{
  FerrySessionDelete *self = FERRY_SESSION_DELETE (object);

  g_clear_pointer (&self->id, g_free);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (ferry_session_delete_parent_class)->finalize (object);
}

static void
ferry_session_delete_class_init (FerrySessionDeleteClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ferry_session_delete_finalize;
}

static void
ferry_session_delete_init (FerrySessionDelete *self)
{
}

FerrySessionHandler *
ferry_session_delete_new (FerrySession *session)
{
  FerrySessionDelete *self = g_object_new (FERRY_TYPE_SESSION_DELETE, NULL);

  self->session = g_object_ref (session);
  return FERRY_SESSION_HANDLER (self);
}

static void
removed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(FerrySessionDelete) self = user_data;
  FerrySession *session = self->session;
  g_autoptr(GError) error = NULL;

  if (!ferry_offer_removal_run_finish (session->store, result, &error))
    {
      ferry_session_fail (session, g_steal_pointer (&error));
      return;
    }

  {
    g_autofree char *user = ferry_session_log_name (session->user);

    g_message ("%s (%s) deleted %s", user, session->peer, self->id);
  }
  /* The removal ran to its end even if the peer went, and everyone else heard of it. */
  ferry_session_send_message (session, ferry_msg_deleted_new (self->id));
  ferry_session_request_done (session);
}

static void
ferry_session_delete_start (FerrySessionHandler *handler,
                            FerryFrame          *request)
{
  FerrySessionDelete *self = FERRY_SESSION_DELETE (handler);
  FerrySession *session = self->session;
  g_autoptr(GVariant) value = NULL;
  GError *error = NULL;

  if (!(value = ferry_message_parse (request, &error)))
    {
      ferry_session_fail (session, error);
      return;
    }

  ferry_session_set_timeout (session, 0);
  self->id = g_strdup (ferry_msg_delete_get_id (value));
  ferry_offer_removal_run_async (session->store, session->hub, self->id, session->owner_hash,
                                 removed_cb, g_object_ref (self));
}

static void
ferry_session_delete_close (FerrySessionHandler *handler)
{
  /* A removal in progress runs to its end. */
}

static void
handler_iface_init (FerrySessionHandlerInterface *iface)
{
  iface->start = ferry_session_delete_start;
  iface->close = ferry_session_delete_close;
}
