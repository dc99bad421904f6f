/* ferry-session-handler.h: what a session hands its connection to after HELLO
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "ferry-message.h"

G_BEGIN_DECLS

#define FERRY_TYPE_SESSION_HANDLER (ferry_session_handler_get_type ())

G_DECLARE_INTERFACE (FerrySessionHandler, ferry_session_handler, FERRY, SESSION_HANDLER, GObject)

/* The first request after HELLO decides the kind of a connection, and FerrySession hands it
 * to a handler of that kind (a subscriber, an upload, a download or a delete), the way libsoup
 * hands a connection to its HTTP/1 or HTTP/2 I/O. The session keeps the connection's
 * lifecycle: reading and sending frames, timeouts, errors and closing. The handler keeps the
 * state of its request, and holds a reference to its session while it exists, so that a
 * session lives until everything its handler started has come back. */
struct _FerrySessionHandlerInterface
{
  GTypeInterface parent_iface;

  /* Seconds a closing connection may take to hand its last frames to the peer. */
  guint    linger_seconds;

  /* Takes the request that decided the kind of the connection, and answers it. */
  void     (*start)        (FerrySessionHandler *self,
                            FerryFrame          *request);
  /* A frame that arrived after the handler asked the session to read one; NULL for a handler
   * that reads none. */
  void     (*handle_frame) (FerrySessionHandler *self,
                            FerryFrame          *frame);
  /* The session is closing: stop, and give back what the request holds. Called once. */
  void     (*close)        (FerrySessionHandler *self);
  /* At shutdown: FALSE while the handler finishes work that must not be cut short. NULL:
   * always TRUE. */
  gboolean (*can_abort)    (FerrySessionHandler *self);
};

void      ferry_session_handler_start              (FerrySessionHandler *self,
                                                    FerryFrame          *request);
guint     ferry_session_handler_get_linger_seconds (FerrySessionHandler *self);
/* FALSE when the handler takes no frames: the caller fails with UNEXPECTED. */
gboolean  ferry_session_handler_handle_frame       (FerrySessionHandler *self,
                                                    FerryFrame          *frame);
void      ferry_session_handler_close              (FerrySessionHandler *self);
gboolean  ferry_session_handler_can_abort          (FerrySessionHandler *self);

G_END_DECLS
