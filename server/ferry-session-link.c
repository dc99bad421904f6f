/* ferry-session-link.c: FerrySessionLink, a browser link to an offer (PROTOCOL.md §5, Links)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-session"

#include "config.h"

#include "ferry-session-private.h"

#include <glib/gi18n.h>

#include "ferry-error.h"

struct _FerrySessionLink
{
  GObject parent_instance;

  /* owned references */
  FerrySession *session;
};

static void handler_iface_init (FerrySessionHandlerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FerrySessionLink, ferry_session_link, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (FERRY_TYPE_SESSION_HANDLER,
                                                      handler_iface_init))

static void
ferry_session_link_finalize (GObject *object)
{
  FerrySessionLink *self = FERRY_SESSION_LINK (object);

  g_clear_object (&self->session);

  G_OBJECT_CLASS (ferry_session_link_parent_class)->finalize (object);
}

static void
ferry_session_link_class_init (FerrySessionLinkClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ferry_session_link_finalize;
}

static void
ferry_session_link_init (FerrySessionLink *self)
{
}

FerrySessionHandler *
ferry_session_link_new (FerrySession *session)
{
  FerrySessionLink *self = g_object_new (FERRY_TYPE_SESSION_LINK, NULL);

  self->session = g_object_ref (session);
  return FERRY_SESSION_HANDLER (self);
}

static void
ferry_session_link_start (FerrySessionHandler *handler,
                          FerryFrame          *request)
{
  /* Answered at once: the session lets the handler go before this returns. */
  g_autoptr(FerrySessionLink) self = g_object_ref (FERRY_SESSION_LINK (handler));
  FerrySession *session = self->session;
  g_autoptr(GVariant) value = NULL;
  g_autofree char *path = NULL;
  FerryCatalogueRow *row;
  GError *error = NULL;
  const char *id = NULL;
  guint64 lifetime = 0;

  if (!(value = ferry_message_parse (request, &error)))
    {
      ferry_session_fail (session, error);
      return;
    }
  if (!ferry_msg_link_get (value, &id, &lifetime))
    {
      /* The answer's shape, sent to the server. */
      ferry_session_fail (session, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_MALFORMED,
                                                        _("The peer sent a LINK message with a "
                                                          "payload of the wrong type or "
                                                          "shape.")));
      return;
    }

  row = ferry_hub_lookup (session->hub, id);
  if (!row)
    {
      ferry_session_fail (session, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                                                        _("No file with that id is shared.")));
      return;
    }

  /* Without a password anyone may download, so a key would add nothing. */
  path = ferry_links_make_path (session->config.links, row->id, row->name, lifetime,
                                session->auth != NULL);
  g_debug ("%s: a link to %s", session->peer, row->id);
  ferry_session_send_message (session, ferry_msg_link_answer_new (path));
  ferry_session_request_done (session);
}

static void
ferry_session_link_close (FerrySessionHandler *handler)
{
  /* Nothing runs after the answer. */
}

static void
handler_iface_init (FerrySessionHandlerInterface *iface)
{
  iface->start = ferry_session_link_start;
  iface->close = ferry_session_link_close;
}
