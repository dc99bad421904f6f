/* ferry-dialer-open.c: FerryDialer's one operation: a connection made ready for one request
 * (TCP, TLS with the pinned fingerprint, HELLO and WELCOME), asking a busy server again within
 * a budget
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-dialer"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ferry-dialer-private.h"
#include "ferry-client.h"
#include "ferry-error.h"
#include "ferry-fingerprint.h"
#include "ferry-message.h"
#include "ferry-socket.h"
#include "ferry-tap-stream.h"
#include "ferry-trust-store.h"

#define HANDSHAKE_TIMEOUT_SECONDS 15

GVariant *
ferry_expect_message (FerryFrame        *frame,
                      FerryMessageType   expected,
                      GError           **error)
{
  g_autoptr(GVariant) v = NULL;

  if (frame->type == FERRY_MSG_DATA && expected != FERRY_MSG_DATA)
    {
      g_set_error (error, FERRY_ERROR, FERRY_ERROR_UNEXPECTED,
                   _("The server sent file data where it should have sent %s."),
                   ferry_message_type_to_string (expected));
      return NULL;
    }
  if (frame->type != FERRY_MSG_DATA && !(v = ferry_message_parse (frame, error)))
    return NULL;

  if (frame->type == FERRY_MSG_ERROR)
    {
      g_propagate_error (error, ferry_msg_error_to_gerror (v));
      return NULL;
    }
  if (frame->type != expected)
    {
      g_set_error (error, FERRY_ERROR, FERRY_ERROR_UNEXPECTED,
                   _("The server sent %s where it should have sent %s."),
                   ferry_message_type_to_string (frame->type),
                   ferry_message_type_to_string (expected));
      return NULL;
    }
  return g_steal_pointer (&v);
}

GVariant *
ferry_read_expected_finish (FerryConnection   *connection,
                            GAsyncResult      *result,
                            FerryMessageType   expected,
                            GError           **error)
{
  g_auto(FerryFrame) frame = { 0 };

  if (!ferry_connection_read_finish (connection, result, &frame, error))
    return NULL;
  return ferry_expect_message (&frame, expected, error);
}

/* A busy server (ERROR(BUSY) in reply to HELLO), or one that closes a connection it accepted
 * before saying a word, is asked again: backoff with jitter, for at most busy_timeout seconds
 * in all. */
#define BUSY_RETRY_FIRST_MS       250
#define BUSY_RETRY_MAX_MS         4000

/* The first bytes the server sent, to tell a TLS server from a plaintext one. */
typedef struct
{
  guint8 bytes[8];
  gsize  length;
} FirstBytes;

/* FerryTapFunc */
static gboolean
remember_first (const guint8  *data,
                gsize          length,
                gpointer       user_data,
                GError       **error)
{
  FirstBytes *first = user_data;
  gsize take = MIN (length, sizeof first->bytes - first->length);

  memcpy (first->bytes + first->length, data, take);
  first->length += take;
  return TRUE;
}

typedef struct
{
  FerryConnection      *connection;
  GIOStream            *tls;
  FirstBytes           *first;          /* what the server sent first; owned by tls */
  GCancellable         *cancellable;    /* ours: the caller's, or the handshake timeout */
  GError               *pin_error;      /* why accept-certificate said no */
  GSource              *retry_timeout;
  GSource              *retry_cancel;
  FerryTrustStore      *trust;          /* loaded: the identity and pins for this open */
  GCancellable         *caller_cancellable;
  gulong                caller_handler;  /* on caller_cancellable, until the open ends */
  FerryDialerWaitingFunc waiting_func;
  gpointer              waiting_data;
  gint64                retry_deadline; /* monotonic */
  guint                 timeout_source;
  guint                 attempt;
  gboolean              timed_out;
  gboolean              waiting;
} OpenData;

static void
open_clear_attempt (OpenData *data)
{
  g_clear_handle_id (&data->timeout_source, g_source_remove);
  if (data->connection)
    ferry_connection_abort (data->connection);
  else if (data->tls)
    g_io_stream_close_async (data->tls, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  g_clear_object (&data->connection);
  g_clear_object (&data->tls);
  data->first = NULL;
  g_clear_error (&data->pin_error);
}

static void
open_clear_retry (OpenData *data)
{
  if (data->retry_timeout)
    g_source_destroy (data->retry_timeout);
  g_clear_pointer (&data->retry_timeout, g_source_unref);
  if (data->retry_cancel)
    g_source_destroy (data->retry_cancel);
  g_clear_pointer (&data->retry_cancel, g_source_unref);
}

static void
open_data_free (OpenData *data)
{
  open_clear_retry (data);
  open_clear_attempt (data);
  if (data->caller_handler)
    g_cancellable_disconnect (data->caller_cancellable, data->caller_handler);
  g_clear_object (&data->caller_cancellable);
  g_clear_object (&data->trust);
  g_clear_object (&data->cancellable);
  g_free (data);
}

static void
open_set_waiting (GTask    *task,
                  gboolean  waiting)
{
  FerryDialer *self = g_task_get_source_object (task);
  OpenData *data = g_task_get_task_data (task);

  if (data->waiting == waiting)
    return;
  data->waiting = waiting;
  if (data->waiting_func)
    data->waiting_func (data->waiting_data, waiting);

  ferry_dialer_count_busy_wait (self, waiting);
}

static void
open_return_error (GTask  *task,
                   GError *error)
{
  OpenData *data = g_task_get_task_data (task);
  FerryDialer *self = g_task_get_source_object (task);

  if (data->timed_out)
    {
      g_clear_error (&error);
      error = g_error_new (FERRY_ERROR, FERRY_ERROR_TIMEOUT,
                           _("The server at %s did not answer within %d seconds."),
                           self->address, HANDSHAKE_TIMEOUT_SECONDS);
    }
  open_clear_attempt (data);
  open_set_waiting (task, FALSE);
  g_task_return_error (task, error);
}

static void open_start_attempt (GTask *task);

static gboolean
open_retry_cb (gpointer user_data)
{
  GTask *task = user_data;
  OpenData *data = g_task_get_task_data (task);

  g_object_ref (task);
  open_clear_retry (data);
  if (g_cancellable_is_cancelled (data->cancellable))
    open_return_error (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                  _("The connection was cancelled.")));
  else
    open_start_attempt (task);
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

static gboolean
open_retry_cancelled_cb (GCancellable *cancellable,
                         gpointer      user_data)
{
  return open_retry_cb (user_data);
}

/* The server is busy, or closed the connection without a word: either try again after a
 * backoff with jitter (and take @error), or return FALSE when the budget is spent. */
static gboolean
open_retry (GTask  *task,
            GError *error)
{
  FerryDialer *self = g_task_get_source_object (task);
  OpenData *data = g_task_get_task_data (task);
  guint delay_ms;

  if (data->timed_out || g_cancellable_is_cancelled (data->cancellable))
    return FALSE;

  delay_ms = MIN ((guint) BUSY_RETRY_FIRST_MS << MIN (data->attempt, 5u), BUSY_RETRY_MAX_MS);
  delay_ms = (guint) g_random_int_range ((gint32) (delay_ms / 2), (gint32) (delay_ms * 3 / 2));
  if (g_get_monotonic_time () + (gint64) delay_ms * 1000 > data->retry_deadline)
    return FALSE;

  g_debug ("%s: %s; trying again in %u ms", self->address, error->message, delay_ms);
  g_error_free (error);
  open_clear_attempt (data);
  data->attempt++;
  open_set_waiting (task, TRUE);

  /* The task keeps itself alive while it waits: each source holds a reference. */
  data->retry_timeout = g_timeout_source_new (delay_ms);
  g_source_set_callback (data->retry_timeout, open_retry_cb, g_object_ref (task), g_object_unref);
  g_source_attach (data->retry_timeout, g_task_get_context (task));
  data->retry_cancel = g_cancellable_source_new (data->cancellable);
  g_source_set_callback (data->retry_cancel, G_SOURCE_FUNC (open_retry_cancelled_cb),
                         g_object_ref (task), g_object_unref);
  g_source_attach (data->retry_cancel, g_task_get_context (task));
  return TRUE;
}

static void
open_welcome_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FerryDialer *self = g_task_get_source_object (task);
  OpenData *data = g_task_get_task_data (task);
  g_auto(FerryFrame) frame = { 0 };
  g_autoptr(GVariant) v = NULL;
  GError *error = NULL;
  guint32 version;
  guint64 max_file_size;

  if (FERRY_CONNECTION (object) != data->connection)
    return;   /* a stale attempt */

  if (!ferry_connection_read_finish (FERRY_CONNECTION (object), result, &frame, &error) ||
      !(v = ferry_expect_message (&frame, FERRY_MSG_WELCOME, &error)))
    {
      /* BUSY, or a close before any reply: a full server, to be asked again. */
      if ((g_error_matches (error, FERRY_ERROR, FERRY_ERROR_BUSY) ||
           (g_error_matches (error, FERRY_ERROR, FERRY_ERROR_CLOSED) && frame.type == 0)) &&
          open_retry (task, error))
        return;
      if (g_error_matches (error, FERRY_ERROR, FERRY_ERROR_MALFORMED) &&
          frame.type == 0)
        {
          g_autofree char *reason = ferry_error_reason (error->message);

          g_clear_error (&error);
          /* One sentence, not a prefix glued to another: translators see all of it. */
          error = g_error_new (FERRY_ERROR, FERRY_ERROR_MALFORMED,
                               /* Translators: %s is a server address, then why */
                               _("%s does not look like a Ferry server: %s."),
                               self->address, reason);
        }
      open_return_error (task, error);
      return;
    }

  ferry_msg_welcome_get (v, &version, NULL, &max_file_size, &self->auth, &self->keep_partial,
                         &self->web);
  if (version != FERRY_PROTOCOL_VERSION)
    {
      open_return_error (task, g_error_new (FERRY_ERROR, FERRY_ERROR_VERSION,
                                            _("The server speaks Ferry protocol version %u, "
                                              "but this program speaks version %u."),
                                            version, FERRY_PROTOCOL_VERSION));
      return;
    }

  g_clear_handle_id (&data->timeout_source, g_source_remove);
  ferry_dialer_set_max_file_size (self, max_file_size);
  self->n_opened++;
  open_set_waiting (task, FALSE);
  /* The connection owns the TLS stream now: it is not ours to close. */
  g_clear_object (&data->tls);
  data->first = NULL;
  g_task_return_pointer (task, g_steal_pointer (&data->connection), g_object_unref);
}

static gboolean
open_timeout_cb (gpointer user_data)
{
  OpenData *data = user_data;

  data->timeout_source = 0;
  data->timed_out = TRUE;
  if (data->connection)
    ferry_connection_abort (data->connection);
  g_cancellable_cancel (data->cancellable);
  return G_SOURCE_REMOVE;
}

static void
open_send_hello (GTask     *task,
                 GIOStream *stream)
{
  FerryDialer *self = g_task_get_source_object (task);
  OpenData *data = g_task_get_task_data (task);

  self->sent_password = self->password != NULL;

  data->connection = ferry_connection_new (stream);
  ferry_connection_send_message (data->connection,
                                 ferry_msg_hello_new (FERRY_PROTOCOL_VERSION,
                                                      "ferry " PACKAGE_VERSION,
                                                      self->user_name,
                                                      ferry_trust_store_get_secret (data->trust),
                                                      self->password));
  ferry_connection_read_async (data->connection, data->cancellable,
                               open_welcome_cb, g_object_ref (task));
}
/* Checks the presented certificate against known-servers. Sets @error to UNTRUSTED or
 * FINGERPRINT_CHANGED when it must be refused. */
static gboolean
check_pin (FerryDialer      *self,
           FerryTrustStore  *trust,
           GTlsCertificate  *certificate,
           GError          **error)
{
  g_autofree char *fingerprint = NULL;
  g_autofree char *pinned = NULL;
  g_autofree char *shown = NULL;
  g_autoptr(GError) read_error = NULL;

  fingerprint = certificate ? ferry_fingerprint_from_certificate (certificate) : NULL;
  if (!fingerprint)
    {
      g_set_error (error, FERRY_ERROR, FERRY_ERROR_TLS,
                   _("The server at %s presented no usable certificate."), self->address);
      return FALSE;
    }
  ferry_dialer_set_server_fingerprint (self, fingerprint);
  shown = ferry_fingerprint_format (fingerprint);

  pinned = ferry_trust_store_lookup (trust, self->pin_key, &read_error);
  if (read_error)
    {
      g_set_error (error, FERRY_ERROR, FERRY_ERROR_TLS,
                   _("Could not read the list of trusted servers: %s"), read_error->message);
      return FALSE;
    }

  if (!pinned)
    {
      g_set_error (error, FERRY_ERROR, FERRY_ERROR_UNTRUSTED,
                   _("%s is a server you have not used before. Its fingerprint is %s. "
                     "Trust it only if this matches what the server printed when it started."),
                   self->address, shown);
      return FALSE;
    }

  if (g_ascii_strcasecmp (pinned, fingerprint) != 0)
    {
      g_autofree char *was = ferry_fingerprint_format (pinned);

      g_set_error (error, FERRY_ERROR, FERRY_ERROR_FINGERPRINT_CHANGED,
                   _("WARNING: the identity of %s has changed, so Ferry refused to connect. "
                     "Either the server's key was regenerated, or someone is intercepting the "
                     "connection. It used to be %s and is now %s. Ask the server's operator "
                     "before trusting it again; to reset trust deliberately, run "
                     "“ferry-cli --server %s forget” or use Forget Server in the app."),
                   self->address, was, shown, self->address);
      return FALSE;
    }
  return TRUE;
}

static gboolean
accept_certificate_cb (GTlsConnection       *connection,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  GTask *task = user_data;
  FerryDialer *self = g_task_get_source_object (task);
  OpenData *data = g_task_get_task_data (task);

  /* Ferry servers use self-signed certificates: the pin is the trust anchor, not a CA. */
  g_clear_error (&data->pin_error);
  return check_pin (self, data->trust, certificate, &data->pin_error);
}

/* TRUE when the server's first bytes were not a TLS record (content types 20 to 24): it
 * answered in plain text, as a server started with --no-tls does. */
static gboolean
peer_spoke_plaintext (OpenData *data)
{
  if (!data->first || data->first->length == 0)
    return FALSE;
  return data->first->bytes[0] < 20 || data->first->bytes[0] > 24;
}

static gboolean
peer_said_nothing (OpenData *data)
{
  return data->first && data->first->length == 0;
}

static void
open_handshake_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FerryDialer *self = g_task_get_source_object (task);
  OpenData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GError *pin_error = NULL;

  g_signal_handlers_disconnect_by_func (object, accept_certificate_cb, task);
  if (G_IO_STREAM (object) != data->tls)
    return;   /* a stale attempt */

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (object), result, &error))
    {
      g_autofree char *reason = NULL;

      if (data->pin_error)
        {
          open_return_error (task, g_steal_pointer (&data->pin_error));
          return;
        }
      if (data->timed_out || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          open_return_error (task, g_steal_pointer (&error));
          return;
        }

      reason = ferry_error_reason (error->message);
      if (peer_spoke_plaintext (data))
        {
          open_return_error (task, g_error_new (FERRY_ERROR, FERRY_ERROR_TLS,
                                                _("Could not set up an encrypted connection with "
                                                  "%s: %s. The server answered without "
                                                  "encryption: if it was started with --no-tls, "
                                                  "connect with --no-tls too."),
                                                self->address, reason));
          return;
        }

      /* Closed without a word: a server too full to take us now. */
      if (peer_said_nothing (data) &&
          open_retry (task, g_error_new (FERRY_ERROR, FERRY_ERROR_CLOSED,
                                         _("The server at %s closed the connection during the "
                                           "encryption handshake."), self->address)))
        return;

      open_return_error (task, g_error_new (FERRY_ERROR, FERRY_ERROR_TLS,
                                            _("Could not set up an encrypted connection with "
                                              "%s: %s."),
                                            self->address, reason));
      return;
    }

  /* A certificate that validated on its own never reached accept-certificate: pin it too. */
  if (!check_pin (self, data->trust,
                  g_tls_connection_get_peer_certificate (G_TLS_CONNECTION (object)),
                  &pin_error))
    {
      open_return_error (task, pin_error);
      return;
    }

  open_send_hello (task, data->tls);
}

static void
open_connected_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FerryDialer *self = g_task_get_source_object (task);
  OpenData *data = g_task_get_task_data (task);
  g_autoptr(GSocketConnection) stream = NULL;
  g_autoptr(GIOStream) tapped = NULL;
  g_autoptr(GError) error = NULL;

  stream = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (object), result, &error);
  if (!stream)
    {
      if (data->timed_out || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        open_return_error (task, g_steal_pointer (&error));
      else
        open_return_error (task, g_error_new (FERRY_ERROR, FERRY_ERROR_CONNECT,
                                              _("Could not connect to %s: %s"),
                                              self->address, error->message));
      return;
    }

  ferry_socket_set_nodelay (stream);

  if (!self->tls)
    {
      open_send_hello (task, G_IO_STREAM (stream));
      return;
    }

  {
    g_autoptr(GSocketConnectable) identity = g_network_address_new (self->host, self->port);

    data->first = g_new0 (FirstBytes, 1);
    tapped = ferry_tap_stream_new (stream, remember_first, data->first, g_free);
    /* Without the system's CA list: the pin is checked in accept-certificate. */
    data->tls = ferry_socket_tls_client_new (tapped, identity, &error);
  }
  if (!data->tls)
    {
      data->first = NULL;
      open_return_error (task, g_error_new (FERRY_ERROR, FERRY_ERROR_TLS,
                                            _("TLS is not available (is glib-networking "
                                              "installed?): %s"), error->message));
      return;
    }
  /* Frames carry their own lengths; a peer that just closes is a closed connection. */
  g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (data->tls), FALSE);
  g_signal_connect (data->tls, "accept-certificate", G_CALLBACK (accept_certificate_cb), task);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (data->tls), G_PRIORITY_DEFAULT,
                                    data->cancellable, open_handshake_cb, g_object_ref (task));
}

static void
open_cancelled_cb (GCancellable *cancellable,
                   gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

static void
open_start_attempt (GTask *task)
{
  FerryDialer *self = g_task_get_source_object (task);
  OpenData *data = g_task_get_task_data (task);
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();

  data->timeout_source = g_timeout_add_seconds (HANDSHAKE_TIMEOUT_SECONDS, open_timeout_cb, data);
  g_socket_client_connect_to_host_async (socket_client, self->host, self->port,
                                         data->cancellable, open_connected_cb,
                                         g_object_ref (task));
}

static void
open_loaded_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  OpenData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!ferry_trust_store_load_finish (FERRY_TRUST_STORE (object), result, &error))
    {
      open_return_error (task, error);
      return;
    }
  data->trust = g_object_ref (FERRY_TRUST_STORE (object));
  open_start_attempt (task);
}

void
ferry_dialer_open_full_async (FerryDialer            *self,
                              FerryDialerWaitingFunc  waiting_func,
                              gpointer                waiting_data,
                              GCancellable           *cancellable,
                              GAsyncReadyCallback     callback,
                              gpointer                user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  OpenData *data;

  g_return_if_fail (FERRY_IS_DIALER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_dialer_open_async);
  data = g_new0 (OpenData, 1);
  data->cancellable = g_cancellable_new ();
  data->waiting_func = waiting_func;
  data->waiting_data = waiting_data;
  data->retry_deadline = g_get_monotonic_time () + (gint64) self->busy_timeout * G_USEC_PER_SEC;
  g_task_set_task_data (task, data, (GDestroyNotify) open_data_free);

  if (!self->address_valid)
    {
      ferry_parse_address (self->address, NULL, NULL, &error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (cancellable)
    {
      /* Disconnected when the open ends (open_data_free): a long-lived cancellable, such as
       * the window's, would otherwise gather one handler per connection. */
      data->caller_cancellable = g_object_ref (cancellable);
      data->caller_handler = g_cancellable_connect (cancellable, G_CALLBACK (open_cancelled_cb),
                                                    g_object_ref (data->cancellable),
                                                    g_object_unref);
    }

  /* The identity and the pins come from memory; the first time, from a thread. */
  ferry_trust_store_load_async (ferry_dialer_get_trust (self), data->cancellable, open_loaded_cb,
                                g_steal_pointer (&task));
}

void
ferry_dialer_open_async (FerryDialer         *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  ferry_dialer_open_full_async (self, NULL, NULL, cancellable, callback, user_data);
}

FerryConnection *
ferry_dialer_open_finish (FerryDialer   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
