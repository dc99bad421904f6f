/* ferry-session.c: one client connection, from HELLO to close
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * This file holds the connection's lifecycle: the handshake (HELLO/WELCOME), the first request,
 * errors, timeouts and closing. The request hands the connection to a handler of its kind,
 * which keeps its own state: ferry-session-control.c, ferry-session-upload.c,
 * ferry-session-download.c and ferry-session-delete.c.
 *
 * A request connection carries any number of requests in sequence (keep-alive): each gets a
 * handler of its own, which tells the session when its answer is complete
 * (ferry_session_request_done()); the session lets it go and waits for the next request.
 *
 * Every async call a session or its handler starts holds a reference until its callback has
 * run, and the handler holds its session until its request is answered or the connection is
 * closed. So the session is
 * finalized exactly when it is closed and nothing it started is still running: the server
 * waits for that with a weak reference, and no count of pending calls is kept by hand.
 *
 * A session reads one frame at a time and, during an upload, does not read the next frame
 * before the previous one is on disk; during a download it does not read the next chunk from
 * disk before the previous one is on the wire. Memory per session is therefore bounded by
 * about two chunks, whatever the file size.
 */
#define G_LOG_DOMAIN "ferry-session"

#include "config.h"

#include "ferry-session-private.h"

#include "ferry-socket.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ferry-error.h"
#include "ferry-tap-stream.h"

#define SERVER_SOFTWARE       "ferry-server " PACKAGE_VERSION

G_DEFINE_FINAL_TYPE (FerrySession, ferry_session, G_TYPE_OBJECT)

static void
ferry_session_dispose (GObject *object)
{
  FerrySession *self = FERRY_SESSION (object);

  /* Only the last reference goes: what the session started is done. Chaining up tells the
   * server (a weak reference). */
  g_debug ("%s: session finished", self->peer);

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_clear_handle_id (&self->linger_id, g_source_remove);
  g_clear_object (&self->handler);

  G_OBJECT_CLASS (ferry_session_parent_class)->dispose (object);
}

static void
ferry_session_finalize (GObject *object)
{
  FerrySession *self = FERRY_SESSION (object);

  g_clear_object (&self->connection);
  g_clear_object (&self->store);
  g_clear_object (&self->hub);
  g_clear_object (&self->auth);
  g_clear_pointer (&self->peer, g_free);
  g_clear_pointer (&self->peer_address, g_free);
  g_clear_pointer (&self->user, g_free);
  g_clear_pointer (&self->request, g_free);

  G_OBJECT_CLASS (ferry_session_parent_class)->finalize (object);
}

static void
ferry_session_class_init (FerrySessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_session_dispose;
  object_class->finalize = ferry_session_finalize;
}

static void
ferry_session_init (FerrySession *self)
{
  self->state = FERRY_SESSION_STATE_HANDSHAKE;
}

/* The remote address of @stream, looking through a TLS connection to its socket. */
static GInetSocketAddress *
dup_remote_address (GIOStream *stream)
{
  g_autoptr(GSocketAddress) address = NULL;
  GSocketConnection *connection = ferry_socket_connection_of (stream);

  if (!connection)
    return NULL;
  address = g_socket_connection_get_remote_address (connection, NULL);
  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return NULL;
  return G_INET_SOCKET_ADDRESS (g_steal_pointer (&address));
}

static void
output_overflow_cb (FerryConnection *connection,
                    FerrySession    *self)
{
  g_message ("%s: dropped: it does not read what the server sends (over the %u KiB output "
             "budget)", self->peer, FERRY_OUTPUT_BUDGET / 1024);
  ferry_session_lost (self, NULL);
}

FerrySession *
ferry_session_new (GIOStream                *stream,
                   FerryStore               *store,
                   FerryHub                 *hub,
                   const FerrySessionConfig *config)
{
  g_autoptr(GInetSocketAddress) remote = NULL;
  FerrySession *self;

  g_return_val_if_fail (G_IS_IO_STREAM (stream), NULL);
  g_return_val_if_fail (FERRY_IS_STORE (store), NULL);
  g_return_val_if_fail (FERRY_IS_HUB (hub), NULL);
  g_return_val_if_fail (config != NULL, NULL);

  self = g_object_new (FERRY_TYPE_SESSION, NULL);
  self->connection = ferry_connection_new (stream);
  ferry_connection_set_output_limit (self->connection, FERRY_OUTPUT_BUDGET);
  g_signal_connect (self->connection, "output-overflow", G_CALLBACK (output_overflow_cb), self);
  self->store = g_object_ref (store);
  self->hub = g_object_ref (hub);
  self->config = *config;
  self->config.auth = NULL;
  self->auth = config->auth ? g_object_ref (config->auth) : NULL;

  remote = dup_remote_address (stream);
  if (remote)
    {
      self->peer_address =
        g_inet_address_to_string (g_inet_socket_address_get_address (remote));
      self->peer = g_strdup_printf ("%s:%u", self->peer_address,
                                    g_inet_socket_address_get_port (remote));
    }
  else
    {
      self->peer_address = g_strdup ("(unknown)");
      self->peer = g_strdup ("(unknown)");
    }
  return self;
}

void
ferry_session_unread (FerrySession *self,
                      GBytes       *bytes)
{
  g_return_if_fail (FERRY_IS_SESSION (self));
  ferry_connection_unread (self->connection, bytes);
}

const char *
ferry_session_get_peer (FerrySession *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION (self), NULL);
  return self->peer;
}

gboolean
ferry_session_is_closing (FerrySession *self)
{
  return self->state == FERRY_SESSION_STATE_CLOSING || self->state == FERRY_SESSION_STATE_CLOSED;
}

/* A file name for the log: control characters (newlines included) are escaped. */
char *
ferry_session_log_name (const char *name)
{
  GString *out = g_string_sized_new (strlen (name));

  for (const guchar *p = (const guchar *) name; *p; p++)
    {
      if (*p < 0x20 || *p == 0x7f || *p == '\\')
        g_string_append_printf (out, "\\x%02x", *p);
      else
        g_string_append_c (out, (char) *p);
    }
  return g_string_free (out, FALSE);
}

/* Timeouts. */

/* Seconds a request connection may stay idle between requests. FERRY_TEST_IDLE_SECONDS is for
 * the tests alone (a pooled connection that the server closes), not a setting. */
static guint
request_idle_seconds (void)
{
  static gsize seconds;

  if (g_once_init_enter (&seconds))
    {
      const char *text = g_getenv ("FERRY_TEST_IDLE_SECONDS");
      guint64 value = text ? g_ascii_strtoull (text, NULL, 10) : 0;

      g_once_init_leave (&seconds, value > 0 && value <= FERRY_TRANSFER_TIMEOUT_S
                                   ? (gsize) value : FERRY_TRANSFER_TIMEOUT_S);
    }
  return (guint) seconds;
}

static gboolean
timeout_cb (gpointer user_data)
{
  FerrySession *self = user_data;
  gint64 idle = g_get_monotonic_time () - self->last_activity;
  gint64 limit = (gint64) self->timeout_seconds * G_USEC_PER_SEC;

  self->timeout_id = 0;

  /* The handshake deadline is absolute: nothing a client sends before HELLO extends it. */
  if (self->state == FERRY_SESSION_STATE_HANDSHAKE)
    {
      idle = g_get_monotonic_time () - self->config.hello_deadline;
      limit = 0;
    }

  if (idle < limit)
    {
      guint remaining_ms = (guint) ((limit - idle + 999) / 1000);

      self->timeout_id = g_timeout_add (MAX (remaining_ms, 1), timeout_cb, self);
      return G_SOURCE_REMOVE;
    }

  g_debug ("%s: timed out after %u s", self->peer, self->timeout_seconds);
  if (self->state == FERRY_SESSION_STATE_HANDSHAKE)
    ferry_session_fail (self, g_error_new (FERRY_ERROR, FERRY_ERROR_TIMEOUT,
                                           ngettext ("No HELLO arrived within %u second.",
                                                     "No HELLO arrived within %u seconds.",
                                                     FERRY_HANDSHAKE_TIMEOUT_S),
                                           FERRY_HANDSHAKE_TIMEOUT_S));
  else
    ferry_session_fail (self, g_error_new (FERRY_ERROR, FERRY_ERROR_TIMEOUT,
                                           ngettext ("The connection was silent for %u second.",
                                                     "The connection was silent for %u seconds.",
                                                     self->timeout_seconds),
                                           self->timeout_seconds));
  return G_SOURCE_REMOVE;
}

void
ferry_session_touch (FerrySession *self)
{
  self->last_activity = g_get_monotonic_time ();
}

void
ferry_session_set_timeout (FerrySession *self,
                           guint         seconds)
{
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  self->timeout_seconds = seconds;
  ferry_session_touch (self);
  if (seconds > 0)
    self->timeout_id = g_timeout_add (seconds * 1000, timeout_cb, self);
}

/* Sending. */

void
ferry_session_send_message (FerrySession *self,
                            GBytes       *message)
{
  ferry_connection_send_message (self->connection, message);
}

gboolean
ferry_session_owns (FerrySession      *self,
                    FerryCatalogueRow *row)
{
  return memcmp (row->owner_hash, self->owner_hash, FERRY_SHA256_SIZE) == 0;
}

void
ferry_session_send_offer (FerrySession      *self,
                          FerryCatalogueRow *row,
                          guint16            flags)
{
  ferry_session_send_message (self,
                              ferry_msg_offer_new (row->id, row->name, row->size, row->sha256,
                                                   row->uploader, row->created, row->expires,
                                                   ferry_session_owns (self, row),
                                                   row->folder_files, row->folder_content, flags));
}

/* Ending. */

static void
close_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(FerrySession) self = user_data;

  ferry_connection_close_finish (FERRY_CONNECTION (object), result, NULL);
  g_clear_handle_id (&self->linger_id, g_source_remove);
  self->state = FERRY_SESSION_STATE_CLOSED;
  /* What the handler still runs holds it, and it holds the session, until it is done. */
  g_clear_object (&self->handler);
}

static gboolean
linger_cb (gpointer user_data)
{
  FerrySession *self = user_data;

  self->linger_id = 0;
  g_message ("%s: dropped: it did not take the last %zu bytes sent to it", self->peer,
             ferry_connection_get_queued_bytes (self->connection));
  ferry_connection_abort (self->connection);
  return G_SOURCE_REMOVE;
}

/* Sends what is queued, then closes. Idempotent. */
void
ferry_session_close (FerrySession *self)
{
  guint linger_s = FERRY_CLOSE_LINGER_S;

  if (ferry_session_is_closing (self))
    return;

  self->state = FERRY_SESSION_STATE_CLOSING;
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (self->handler)
    {
      linger_s = ferry_session_handler_get_linger_seconds (self->handler);
      ferry_session_handler_close (self->handler);
    }

  ferry_connection_close_async (self->connection, NULL, close_cb, g_object_ref (self));
  self->linger_id = g_timeout_add_seconds (linger_s, linger_cb, self);
}

void
ferry_session_request_done (FerrySession *self)
{
  if (ferry_session_is_closing (self))
    return;

  g_debug ("%s: request answered; the connection waits for the next", self->peer);
  /* The handler holds nothing once its answer is out; close() only makes sure of it. Its last
   * reference goes with the callback that called us. */
  if (self->handler)
    ferry_session_handler_close (self->handler);
  g_clear_object (&self->handler);
  g_clear_pointer (&self->request, g_free);
  self->answered = FALSE;
  self->requests = TRUE;
  self->state = FERRY_SESSION_STATE_READY;
  ferry_session_set_timeout (self, request_idle_seconds ());
  ferry_session_read_next (self);
}

/* Every transfer that is refused or breaks is logged once, at message level, with why. */
static void
log_transfer_failed (FerrySession *self,
                     const char   *reason)
{
  g_autofree char *user = NULL;
  g_autofree char *request = g_steal_pointer (&self->request);

  if (!request)
    return;
  user = ferry_session_log_name (self->user ? self->user : "?");
  /* Refused: no ACCEPT or download header went out yet. */
  g_message ("%s (%s): %s %s: %s", user, self->peer, request,
             self->answered ? "failed" : "refused", reason);
}

/* Takes @error: tells the peer (unless the connection itself failed) and closes. */
void
ferry_session_fail (FerrySession *self,
                    GError       *error)
{
  g_autoptr(GError) owned = error;

  if (ferry_session_is_closing (self))
    return;
  log_transfer_failed (self, owned->message);

  if (owned->domain == FERRY_ERROR && owned->code == FERRY_ERROR_INTERNAL)
    g_warning ("%s: %s", self->peer, owned->message);
  else
    g_debug ("%s: %s", self->peer, owned->message);

  if (owned->domain == FERRY_ERROR && owned->code != FERRY_ERROR_CLOSED &&
      owned->code != FERRY_ERROR_CONNECT)
    ferry_connection_send_message (self->connection, ferry_msg_error_new (owned));
  ferry_session_close (self);
}

/* The connection broke: nothing can be sent any more. */
void
ferry_session_lost (FerrySession *self,
                    const GError *error)
{
  if (ferry_session_is_closing (self))
    return;
  if (error && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("%s: connection lost: %s", self->peer, error->message);
  log_transfer_failed (self, error ? error->message : "the connection was dropped");
  ferry_connection_abort (self->connection);
  ferry_session_close (self);
}

/* At shutdown: tell the peer why, so that an upload in progress ends with a sentence rather
 * than a reset, unless much is still queued for it (then just drop it). */
void
ferry_session_abort (FerrySession *self)
{
  g_return_if_fail (FERRY_IS_SESSION (self));

  /* A verified upload being committed finishes, and its OFFER goes out, before the stop. */
  if (ferry_session_is_closing (self) ||
      (self->handler && !ferry_session_handler_can_abort (self->handler)))
    return;
  /* An idle request connection between requests just closes: a client that sends its next
   * request on it sees the close before any answer and sends it again on a new connection. */
  if (self->requests && self->state == FERRY_SESSION_STATE_READY)
    {
      ferry_session_close (self);
      return;
    }
  if (ferry_connection_get_queued_bytes (self->connection) > FERRY_SHUTDOWN_NOTICE_MAX_QUEUED)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED,
                                                     "the server is stopping");

      ferry_session_lost (self, error);
      return;
    }
  ferry_session_fail (self, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_BUSY,
                                                 _("The server is shutting down; try again "
                                                   "in a moment.")));
}

void
ferry_session_drop (FerrySession *self)
{
  g_return_if_fail (FERRY_IS_SESSION (self));
  ferry_session_lost (self, NULL);
}

void
ferry_session_fail_unexpected (FerrySession     *self,
                               FerryMessageType  type)
{
  ferry_session_fail (self, g_error_new (FERRY_ERROR, FERRY_ERROR_UNEXPECTED,
                                         _("The server did not expect a %s message here."),
                                         ferry_message_type_to_string (type)));
}

void
ferry_session_fail_internal (FerrySession *self,
                             const char   *format,
                             ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  ferry_session_fail (self, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_INTERNAL, message));
}

/* Handshake and dispatch. */

static void
handle_hello (FerrySession *self,
              FerryFrame   *frame)
{
  g_autoptr(GVariant) value = NULL;
  g_autoptr(FerryChecksum) checksum = NULL;
  GError *error = NULL;
  const char *software;
  const char *user;
  const char *password;
  const guint8 *secret;
  guint32 version;

  if (frame->type != FERRY_MSG_HELLO)
    {
      ferry_session_fail_unexpected (self, frame->type);
      return;
    }
  if (!(value = ferry_message_parse (frame, &error)))
    {
      ferry_session_fail (self, error);
      return;
    }
  ferry_msg_hello_get (value, &version, &software, &user, &secret, &password);

  if (version != FERRY_PROTOCOL_VERSION)
    {
      ferry_session_fail (self, g_error_new (FERRY_ERROR, FERRY_ERROR_VERSION,
                                             _("This server speaks Ferry protocol version %u, "
                                               "not version %u; please update ferry-cli or the "
                                               "Ferry app."),
                                             (guint) FERRY_PROTOCOL_VERSION, version));
      return;
    }
  if (self->config.admit && !self->config.admit (self, self->config.admit_data))
    {
      ferry_session_fail (self, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_BUSY,
                                                     _("The server has too many connections; "
                                                       "try again later.")));
      return;
    }
  if (self->auth && !ferry_auth_check (self->auth, self->peer_address, password, &error))
    {
      g_message ("%s: refused: %s", self->peer, error->message);
      ferry_session_fail (self, error);
      return;
    }

  checksum = ferry_checksum_new ();
  ferry_checksum_update (checksum, secret, FERRY_SECRET_SIZE);
  ferry_checksum_finish (checksum, self->owner_hash);
  self->user = g_strdup (user);

  g_debug ("%s: HELLO from %s using “%s”", self->peer, user, software);

  ferry_session_send_message (self,
                              ferry_msg_welcome_new (FERRY_PROTOCOL_VERSION, SERVER_SOFTWARE,
                                                     self->config.max_file_size,
                                                     self->auth != NULL,
                                                     self->config.keep_partial,
                                                     self->config.web));
  self->state = FERRY_SESSION_STATE_READY;
  ferry_session_set_timeout (self, FERRY_TRANSFER_TIMEOUT_S);
  ferry_session_read_next (self);
}

/* Remembers what an UPLOAD or DOWNLOAD asks for, for the log line if it fails. */
static void
ferry_session_note_request (FerrySession *self,
                            FerryFrame   *frame)
{
  g_autoptr(GVariant) value = ferry_message_parse (frame, NULL);
  const char *what = NULL;

  g_clear_pointer (&self->request, g_free);
  if (value && frame->type == FERRY_MSG_UPLOAD)
    ferry_msg_upload_get (value, &what, NULL, NULL, NULL, NULL);
  else if (value)
    ferry_msg_download_get (value, &what, NULL, NULL);
  if (frame->type == FERRY_MSG_UPLOAD)
    {
      g_autofree char *name = ferry_session_log_name (what ? what : "?");

      self->request = g_strdup_printf ("upload of “%s”", name);
    }
  else
    {
      g_autofree char *id = ferry_session_log_name (what ? what : "?");

      self->request = g_strdup_printf ("download of %s", id);
    }
}

/* Hands the connection to a handler of the kind @frame asks for. */
static void
handle_request (FerrySession *self,
                FerryFrame   *frame)
{
  switch (frame->type)
    {
    case FERRY_MSG_SUBSCRIBE:
      if (self->requests)
        {
          ferry_session_fail_unexpected (self, frame->type);
          return;
        }
      self->handler = ferry_session_control_new (self);
      break;
    case FERRY_MSG_UPLOAD:
      ferry_session_note_request (self, frame);
      self->handler = ferry_session_upload_new (self);
      break;
    case FERRY_MSG_DOWNLOAD:
      ferry_session_note_request (self, frame);
      self->handler = ferry_session_download_new (self);
      break;
    case FERRY_MSG_DELETE:
      self->handler = ferry_session_delete_new (self);
      break;
    case FERRY_MSG_LINK:
      /* An extension: only a server that announced it takes it (PROTOCOL.md §7). */
      if (!self->config.web || !self->config.links)
        {
          ferry_session_fail_unexpected (self, frame->type);
          return;
        }
      self->handler = ferry_session_link_new (self);
      break;
    case FERRY_MSG_PING:
    case FERRY_MSG_PONG:
      if (ferry_session_handle_ping (self, frame))
        ferry_session_read_next (self);
      return;
    default:
      ferry_session_fail_unexpected (self, frame->type);
      return;
    }

  self->state = FERRY_SESSION_STATE_HANDLED;
  ferry_session_handler_start (self->handler, frame);
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(FerrySession) self = user_data;
  g_auto(FerryFrame) frame = { 0 };
  g_autoptr(GError) error = NULL;

  if (!ferry_connection_read_finish (self->connection, result, &frame, &error))
    {
      if (error->domain == FERRY_ERROR && error->code != FERRY_ERROR_CLOSED)
        ferry_session_fail (self, g_steal_pointer (&error));
      else
        ferry_session_lost (self, error);
      return;
    }
  if (ferry_session_is_closing (self))
    return;

  ferry_session_touch (self);

  /* A client that gives up says why and goes; there is nothing to answer. */
  if (frame.type == FERRY_MSG_ERROR)
    {
      g_autoptr(GVariant) value = ferry_message_parse (&frame, NULL);
      g_autoptr(GError) theirs = value ? ferry_msg_error_to_gerror (value) : NULL;

      g_debug ("%s: the client reported: %s", self->peer,
               theirs ? theirs->message : "(malformed ERROR)");
      ferry_session_close (self);
      return;
    }

  switch (self->state)
    {
    case FERRY_SESSION_STATE_HANDSHAKE:
      handle_hello (self, &frame);
      break;
    case FERRY_SESSION_STATE_READY:
      handle_request (self, &frame);
      break;
    case FERRY_SESSION_STATE_HANDLED:
      if (!ferry_session_handler_handle_frame (self->handler, &frame))
        ferry_session_fail_unexpected (self, frame.type);
      break;
    case FERRY_SESSION_STATE_CLOSING:
    case FERRY_SESSION_STATE_CLOSED:
    default:
      g_assert_not_reached ();
    }
}

/* PING and PONG, in a control session or before the request. */
gboolean
ferry_session_handle_ping (FerrySession *self,
                           FerryFrame   *frame)
{
  g_autoptr(GVariant) value = NULL;
  GError *error = NULL;

  if (!(value = ferry_message_parse (frame, &error)))
    {
      ferry_session_fail (self, error);
      return FALSE;
    }
  if (frame->type == FERRY_MSG_PING)
    {
      ferry_session_send_message (self, ferry_msg_pong_new (ferry_msg_ping_get_token (value)));
    }
  return TRUE;
}

void
ferry_session_read_next (FerrySession *self)
{
  if (ferry_session_is_closing (self))
    return;
  ferry_connection_read_async (self->connection, NULL, read_cb, g_object_ref (self));
}

void
ferry_session_start (FerrySession *self)
{
  gint64 now;

  g_return_if_fail (FERRY_IS_SESSION (self));
  g_return_if_fail (self->state == FERRY_SESSION_STATE_HANDSHAKE);

  g_debug ("%s: connected", self->peer);
  now = g_get_monotonic_time ();
  if (self->config.hello_deadline == 0)
    self->config.hello_deadline = now + FERRY_HANDSHAKE_TIMEOUT_S * G_USEC_PER_SEC;
  self->timeout_seconds = FERRY_HANDSHAKE_TIMEOUT_S;
  ferry_session_touch (self);
  /* The deadline may be close already: a TLS handshake came first. */
  self->timeout_id = g_timeout_add ((guint) CLAMP ((self->config.hello_deadline - now) / 1000,
                                                   1, FERRY_HANDSHAKE_TIMEOUT_S * 1000),
                                    timeout_cb, self);
  ferry_session_read_next (self);
}
