/* ferry-session-handler.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-session"

#include "config.h"

#include "ferry-session-handler.h"

#include "ferry-limits.h"

G_DEFINE_INTERFACE (FerrySessionHandler, ferry_session_handler, G_TYPE_OBJECT)

static void
ferry_session_handler_default_init (FerrySessionHandlerInterface *iface)
{
  iface->linger_seconds = FERRY_CLOSE_LINGER_S;
}

void
ferry_session_handler_start (FerrySessionHandler *self,
                             FerryFrame          *request)
{
  g_return_if_fail (FERRY_IS_SESSION_HANDLER (self));
  FERRY_SESSION_HANDLER_GET_IFACE (self)->start (self, request);
}

guint
ferry_session_handler_get_linger_seconds (FerrySessionHandler *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_HANDLER (self), FERRY_CLOSE_LINGER_S);
  return FERRY_SESSION_HANDLER_GET_IFACE (self)->linger_seconds;
}

gboolean
ferry_session_handler_handle_frame (FerrySessionHandler *self,
                                    FerryFrame          *frame)
{
  FerrySessionHandlerInterface *iface;

  g_return_val_if_fail (FERRY_IS_SESSION_HANDLER (self), FALSE);

  iface = FERRY_SESSION_HANDLER_GET_IFACE (self);
  if (!iface->handle_frame)
    return FALSE;
  iface->handle_frame (self, frame);
  return TRUE;
}

void
ferry_session_handler_close (FerrySessionHandler *self)
{
  g_return_if_fail (FERRY_IS_SESSION_HANDLER (self));
  FERRY_SESSION_HANDLER_GET_IFACE (self)->close (self);
}

gboolean
ferry_session_handler_can_abort (FerrySessionHandler *self)
{
  FerrySessionHandlerInterface *iface;

  g_return_val_if_fail (FERRY_IS_SESSION_HANDLER (self), TRUE);

  iface = FERRY_SESSION_HANDLER_GET_IFACE (self);
  return !iface->can_abort || iface->can_abort (self);
}
