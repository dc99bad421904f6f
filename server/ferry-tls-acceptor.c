/* ferry-tls-acceptor.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * glib-networking runs every TLS handshake in a thread of GIO's shared task pool (ten threads,
 * growing by one only every 100 ms or more while tasks wait), where it blocks on the socket
 * until the peer's next flight arrives. A peer that sends a ClientHello and then stops would
 * hold one of those threads until the handshake deadline, and a few dozen of them would
 * starve every other handshake, and the server's file I/O too, for seconds.
 *
 * So handshakes are scheduled here, on the main loop:
 *
 * 1. The first TLS record (the whole ClientHello) is awaited on the main loop, with
 *    SO_RCVLOWAT so that poll wakes up only once it is complete. A peer that does not start
 *    with a TLS handshake record, such as a plaintext Ferry client, is closed at once.
 * 2. At most MAX_RUNNING handshakes run in the pool at a time; the others wait in a queue,
 *    costing only their socket. The next to run is the one whose address has the fewest
 *    pending connections, the oldest first among equals.
 * 3. When every place is taken and a connection waits whose address holds far fewer pending
 *    connections than that of a running handshake, the running handshake of the heaviest
 *    address is cancelled and its connection closed; so is any handshake still running after
 *    STALL_MS, when others wait.
 *    Peers that stall can therefore only delay each other, and a good client from another
 *    address starts its handshake at once.
 */
#define G_LOG_DOMAIN "ferry-tls-acceptor"

#include "config.h"

#include "ferry-tls-acceptor.h"

#include "ferry-limits.h"
#include "ferry-socket.h"
#include "ferry-tls-guard.h"

#include <errno.h>
#include <sys/socket.h>

#define MAX_RUNNING             FERRY_HANDSHAKE_POOL_SIZE
#define STALL_MS                FERRY_HANDSHAKE_STALL_MS

#define TLS_RECORD_HEADER_SIZE  5
#define TLS_CONTENT_HANDSHAKE   0x16
#define TLS_RECORD_MAX          (16384 + 2048)

typedef enum
{
  HANDSHAKE_WAITING,     /* for the first record, on the main loop */
  HANDSHAKE_QUEUED,      /* for a place to run */
  HANDSHAKE_RUNNING,     /* in glib-networking's thread */
  HANDSHAKE_CANCELLED,   /* cancelled while running: its callback is still to come */
} HandshakeState;

typedef struct
{
  FerryTlsAcceptor  *acceptor;         /* borrowed: the acceptor outlives its handshakes */
  GSocketConnection *connection;
  GIOStream         *tls;              /* once running */
  GSource           *wait_source;      /* while waiting */
  GCancellable      *cancellable;
  FerrySlot         *slot;
  GList              link;             /* in the queue or the running list */
  HandshakeState     state;
  gint64             deadline;
  gint64             started;
  guint              timeout_id;
  GLogLevelFlags     level;            /* how loudly to log the cancellation */
  const char        *reason;           /* why it was cancelled */
} Handshake;

struct _FerryTlsAcceptor
{
  GObject parent_instance;

  /* owned references */
  GTlsCertificate      *certificate;
  FerryAdmission       *admission;
  GHashTable           *handshakes;    /* Handshake, every one in progress */

  GQueue                queued;        /* Handshake, oldest first */
  GQueue                running;       /* Handshake, oldest first */
  guint                 stall_id;
  GTask                *close_task;    /* returns once no handshake is left */

  FerryTlsAcceptedFunc  accepted;
  gpointer              accepted_data;
};

G_DEFINE_FINAL_TYPE (FerryTlsAcceptor, ferry_tls_acceptor, G_TYPE_OBJECT)

static void schedule (FerryTlsAcceptor *self);

static void
ferry_tls_acceptor_dispose (GObject *object)
{
  FerryTlsAcceptor *self = FERRY_TLS_ACCEPTOR (object);

  ferry_tls_acceptor_abort (self);
  g_clear_handle_id (&self->stall_id, g_source_remove);

  G_OBJECT_CLASS (ferry_tls_acceptor_parent_class)->dispose (object);
}

static void
ferry_tls_acceptor_finalize (GObject *object)
{
  FerryTlsAcceptor *self = FERRY_TLS_ACCEPTOR (object);

  /* Handshakes still cancelled in a thread hold a reference: none can be left. */
  g_assert (g_hash_table_size (self->handshakes) == 0);
  g_clear_pointer (&self->handshakes, g_hash_table_unref);
  g_assert (self->close_task == NULL);
  g_clear_object (&self->certificate);
  g_clear_object (&self->admission);

  G_OBJECT_CLASS (ferry_tls_acceptor_parent_class)->finalize (object);
}

static void
ferry_tls_acceptor_class_init (FerryTlsAcceptorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_tls_acceptor_dispose;
  object_class->finalize = ferry_tls_acceptor_finalize;
}

static void
ferry_tls_acceptor_init (FerryTlsAcceptor *self)
{
  self->handshakes = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_queue_init (&self->queued);
  g_queue_init (&self->running);
}

FerryTlsAcceptor *
ferry_tls_acceptor_new (GTlsCertificate      *certificate,
                        FerryAdmission       *admission,
                        FerryTlsAcceptedFunc  accepted,
                        gpointer              user_data)
{
  FerryTlsAcceptor *self;

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);
  g_return_val_if_fail (FERRY_IS_ADMISSION (admission), NULL);
  g_return_val_if_fail (accepted != NULL, NULL);

  self = g_object_new (FERRY_TYPE_TLS_ACCEPTOR, NULL);
  self->certificate = g_object_ref (certificate);
  self->admission = g_object_ref (admission);
  self->accepted = accepted;
  self->accepted_data = user_data;
  return self;
}

static void
close_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_io_stream_close_finish (G_IO_STREAM (object), result, NULL);
}

/* Takes @handshake out of the queue or the running list, whichever holds it. */
static void
unlink_handshake (Handshake *handshake)
{
  FerryTlsAcceptor *self = handshake->acceptor;

  if (handshake->state == HANDSHAKE_QUEUED)
    g_queue_unlink (&self->queued, &handshake->link);
  else if (handshake->state == HANDSHAKE_RUNNING)
    g_queue_unlink (&self->running, &handshake->link);
}

static void
handshake_free (Handshake *handshake)
{
  FerryTlsAcceptor *self = handshake->acceptor;

  unlink_handshake (handshake);
  g_hash_table_remove (self->handshakes, handshake);
  g_clear_handle_id (&handshake->timeout_id, g_source_remove);
  if (handshake->wait_source)
    {
      g_source_destroy (handshake->wait_source);
      g_clear_pointer (&handshake->wait_source, g_source_unref);
    }
  if (handshake->slot)
    ferry_admission_release (self->admission, handshake->slot);
  g_clear_object (&handshake->connection);
  g_clear_object (&handshake->tls);
  g_clear_object (&handshake->cancellable);
  g_free (handshake);
  if (self->close_task && g_hash_table_size (self->handshakes) == 0)
    {
      g_autoptr(GTask) task = g_steal_pointer (&self->close_task);

      g_task_return_boolean (task, TRUE);
    }
  g_object_unref (self);
}

/* Closes the connection and frees @handshake. Peers that merely go away are logged at debug
 * level only: clients do that when they refuse an untrusted fingerprint. */
static void
handshake_fail (Handshake      *handshake,
                GLogLevelFlags  level,
                const char     *reason)
{
  FerryTlsAcceptor *self = handshake->acceptor;
  gboolean was_running = handshake->state == HANDSHAKE_RUNNING;

  g_log (G_LOG_DOMAIN, level, "%s: %s; closing", ferry_slot_get_address (handshake->slot),
         reason);
  /* No close_notify follows a failed handshake: either way this only closes the socket. */
  g_io_stream_close_async (handshake->tls ? handshake->tls : G_IO_STREAM (handshake->connection),
                           G_PRIORITY_DEFAULT, NULL, close_cb, NULL);
  g_object_ref (self);
  handshake_free (handshake);
  if (was_running)
    schedule (self);
  g_object_unref (self);
}

/* Stops @handshake: at once, unless it runs in a thread, which is cancelled and fails it
 * from its callback. Its place counts as free at once either way; the caller schedules. */
static void
handshake_stop (Handshake      *handshake,
                GLogLevelFlags  level,
                const char     *reason)
{
  ferry_admission_set_owner (handshake->slot, NULL, NULL);
  if (handshake->state == HANDSHAKE_CANCELLED)
    return;
  if (handshake->state != HANDSHAKE_RUNNING)
    {
      handshake_fail (handshake, level, reason);
      return;
    }

  unlink_handshake (handshake);
  handshake->state = HANDSHAKE_CANCELLED;
  handshake->level = level;
  handshake->reason = reason;
  g_cancellable_cancel (handshake->cancellable);
}

/* handshake_stop, then schedule. */
static void
handshake_stop_and_schedule (Handshake      *handshake,
                             GLogLevelFlags  level,
                             const char     *reason)
{
  g_autoptr(FerryTlsAcceptor) self = g_object_ref (handshake->acceptor);
  gboolean running = handshake->state == HANDSHAKE_RUNNING;

  handshake_stop (handshake, level, reason);
  if (running)
    schedule (self);
}

static gboolean
handshake_timeout_cb (gpointer user_data)
{
  Handshake *handshake = user_data;

  handshake->timeout_id = 0;
  handshake_stop_and_schedule (handshake, G_LOG_LEVEL_MESSAGE,
                               "no TLS handshake within the deadline");
  return G_SOURCE_REMOVE;
}

/* FerrySlotEvictFunc: a lighter address needs the place. */
static void
handshake_evict (gpointer owner)
{
  handshake_stop_and_schedule (owner, G_LOG_LEVEL_DEBUG, "dropped to make room for others");
}

static void
handshake_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Handshake *handshake = user_data;
  FerryTlsAcceptor *self = handshake->acceptor;
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;
  GIOStream *tls;
  FerrySlot *slot;
  gint64 deadline;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (object), result, &error) ||
      handshake->state == HANDSHAKE_CANCELLED)
    {
      if (handshake->state == HANDSHAKE_CANCELLED)
        handshake_fail (handshake, handshake->level, handshake->reason);
      else
        {
          reason = g_strdup_printf ("TLS handshake failed (%s)", error->message);
          handshake_fail (handshake, G_LOG_LEVEL_DEBUG, reason);
        }
      return;
    }

  g_debug ("%s: TLS handshake done", ferry_slot_get_address (handshake->slot));
  tls = g_object_ref (handshake->tls);
  slot = g_steal_pointer (&handshake->slot);
  ferry_admission_set_owner (slot, NULL, NULL);
  deadline = handshake->deadline;
  g_object_ref (self);
  handshake_free (handshake);
  self->accepted (tls, slot, deadline, self->accepted_data);
  g_object_unref (tls);
  schedule (self);
  g_object_unref (self);
}

static void
begin_tls (FerryTlsAcceptor *self,
           Handshake        *handshake)
{
  g_autoptr(GIOStream) guard = NULL;
  g_autoptr(GError) error = NULL;

  guard = ferry_tls_guard_new (handshake->connection, ferry_slot_get_address (handshake->slot));
  /* Clients are not asked for certificates, so the system's CA list is not needed: without
   * it from the start, glib-networking does not parse it into every connection. */
  handshake->tls = ferry_socket_tls_server_new (guard, self->certificate, &error);
  if (!handshake->tls)
    {
      g_warning ("Could not set up TLS (is glib-networking installed?): %s", error->message);
      handshake_fail (handshake, G_LOG_LEVEL_DEBUG, "no TLS");
      return;
    }
  /* Frames carry their own lengths: a peer that just closes has closed. */
  g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (handshake->tls), FALSE);

  handshake->state = HANDSHAKE_RUNNING;
  handshake->started = g_get_monotonic_time ();
  g_queue_push_tail_link (&self->running, &handshake->link);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (handshake->tls), G_PRIORITY_DEFAULT,
                                    handshake->cancellable, handshake_cb, handshake);
}

/* The queued handshake whose address has the fewest pending connections, oldest first. */
static Handshake *
lightest_queued (FerryTlsAcceptor *self)
{
  Handshake *best = NULL;

  for (GList *l = self->queued.head; l; l = l->next)
    {
      Handshake *handshake = l->data;

      if (!best || ferry_slot_get_weight (handshake->slot) < ferry_slot_get_weight (best->slot))
        best = handshake;
    }
  return best;
}

/* The running handshake whose address has the most pending connections, oldest first. */
static Handshake *
heaviest_running (FerryTlsAcceptor *self)
{
  Handshake *worst = NULL;

  for (GList *l = self->running.head; l; l = l->next)
    {
      Handshake *handshake = l->data;

      if (!worst || ferry_slot_get_weight (handshake->slot) > ferry_slot_get_weight (worst->slot))
        worst = handshake;
    }
  return worst;
}

static gboolean
stall_cb (gpointer user_data)
{
  FerryTlsAcceptor *self = user_data;

  self->stall_id = 0;
  schedule (self);
  return G_SOURCE_REMOVE;
}

/* Starts what may start, and makes room for light addresses. */
static void
schedule (FerryTlsAcceptor *self)
{
  g_clear_handle_id (&self->stall_id, g_source_remove);

  while (self->queued.length > 0)
    {
      Handshake *next = lightest_queued (self);
      Handshake *victim;
      Handshake *oldest;
      gint64 now;

      if (self->running.length < MAX_RUNNING)
        {
          g_queue_unlink (&self->queued, &next->link);
          next->state = HANDSHAKE_WAITING;
          begin_tls (self, next);
          continue;
        }

      victim = heaviest_running (self);
      if (ferry_slot_outweighs (victim->slot, next->slot))
        {
          handshake_stop (victim, G_LOG_LEVEL_DEBUG,
                            "TLS handshake stopped to make room for a lighter address");
          continue;
        }

      now = g_get_monotonic_time ();
      oldest = self->running.head->data;
      if (now - oldest->started >= STALL_MS * 1000)
        {
          handshake_stop (oldest, G_LOG_LEVEL_DEBUG,
                            "TLS handshake stalled while others waited");
          continue;
        }

      self->stall_id = g_timeout_add ((guint) ((oldest->started + STALL_MS * 1000 - now) / 1000
                                               + 1),
                                      stall_cb, self);
      break;
    }
}

static void
set_receive_low_water (GSocket *socket,
                       int      bytes)
{
  g_autoptr(GError) error = NULL;

  if (!g_socket_set_option (socket, SOL_SOCKET, SO_RCVLOWAT, bytes, &error))
    g_debug ("Could not set SO_RCVLOWAT: %s", error->message);
}

static gboolean
first_record_cb (GSocket      *socket,
                 GIOCondition  condition,
                 gpointer      user_data)
{
  Handshake *handshake = user_data;
  FerryTlsAcceptor *self = handshake->acceptor;
  guint8 header[TLS_RECORD_HEADER_SIZE];
  gssize n;
  gssize available;
  gsize need;

  n = recv (g_socket_get_fd (socket), header, sizeof header, MSG_PEEK | MSG_DONTWAIT);
  /* Linux's EWOULDBLOCK is EAGAIN. */
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return G_SOURCE_CONTINUE;
  if (n <= 0)
    {
      handshake_fail (handshake, G_LOG_LEVEL_DEBUG, "closed before its TLS handshake");
      return G_SOURCE_REMOVE;   /* handshake_fail destroyed the source */
    }
  if (header[0] != TLS_CONTENT_HANDSHAKE || (n >= 2 && header[1] != 3))
    {
      handshake_fail (handshake, G_LOG_LEVEL_MESSAGE,
                      "not a TLS client (a client started with --no-tls?)");
      return G_SOURCE_REMOVE;
    }
  if (n < TLS_RECORD_HEADER_SIZE)
    {
      set_receive_low_water (socket, TLS_RECORD_HEADER_SIZE);
      return G_SOURCE_CONTINUE;
    }

  need = TLS_RECORD_HEADER_SIZE + (((gsize) header[3] << 8) | header[4]);
  if (need > TLS_RECORD_HEADER_SIZE + TLS_RECORD_MAX)
    {
      handshake_fail (handshake, G_LOG_LEVEL_MESSAGE, "not a TLS client (oversized record)");
      return G_SOURCE_REMOVE;
    }
  available = g_socket_get_available_bytes (socket);
  if (available >= 0 && (gsize) available < need)
    {
      set_receive_low_water (socket, (int) need);
      return G_SOURCE_CONTINUE;
    }

  set_receive_low_water (socket, 1);
  g_source_destroy (handshake->wait_source);
  g_clear_pointer (&handshake->wait_source, g_source_unref);
  handshake->state = HANDSHAKE_QUEUED;
  g_queue_push_tail_link (&self->queued, &handshake->link);
  schedule (self);
  return G_SOURCE_REMOVE;
}

void
ferry_tls_acceptor_add (FerryTlsAcceptor  *self,
                        GSocketConnection *connection,
                        FerrySlot         *slot,
                        gint64             deadline)
{
  Handshake *handshake;
  gint64 remaining_ms;

  g_return_if_fail (FERRY_IS_TLS_ACCEPTOR (self));
  g_return_if_fail (G_IS_SOCKET_CONNECTION (connection));
  g_return_if_fail (slot != NULL);

  handshake = g_new0 (Handshake, 1);
  handshake->acceptor = g_object_ref (self);
  handshake->connection = g_object_ref (connection);
  handshake->cancellable = g_cancellable_new ();
  handshake->slot = slot;
  handshake->link.data = handshake;
  handshake->state = HANDSHAKE_WAITING;
  handshake->deadline = deadline;
  remaining_ms = MAX ((deadline - g_get_monotonic_time ()) / 1000, 1);
  handshake->timeout_id = g_timeout_add ((guint) remaining_ms, handshake_timeout_cb, handshake);
  g_hash_table_add (self->handshakes, handshake);
  ferry_admission_set_owner (slot, handshake_evict, handshake);

  handshake->wait_source = g_socket_create_source (g_socket_connection_get_socket (connection),
                                                   G_IO_IN, NULL);
  g_source_set_callback (handshake->wait_source, G_SOURCE_FUNC (first_record_cb), handshake,
                         NULL);
  g_source_attach (handshake->wait_source, NULL);
}

void
ferry_tls_acceptor_abort (FerryTlsAcceptor *self)
{
  g_autoptr(GList) handshakes = NULL;

  g_return_if_fail (FERRY_IS_TLS_ACCEPTOR (self));

  /* Nothing may start any more. */
  while (self->queued.head)
    {
      Handshake *handshake = self->queued.head->data;

      g_queue_unlink (&self->queued, &handshake->link);
      handshake->state = HANDSHAKE_WAITING;
    }
  /* handshake_stop may free a handshake and remove it from the table: copy the table. */
  handshakes = g_hash_table_get_keys (self->handshakes);
  for (GList *l = handshakes; l; l = l->next)
    handshake_stop (l->data, G_LOG_LEVEL_DEBUG, "server stopping");
}

void
ferry_tls_acceptor_close_async (FerryTlsAcceptor    *self,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FERRY_IS_TLS_ACCEPTOR (self));
  g_return_if_fail (self->close_task == NULL);

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, ferry_tls_acceptor_close_async);
  ferry_tls_acceptor_abort (self);
  if (g_hash_table_size (self->handshakes) == 0)
    g_task_return_boolean (task, TRUE);
  else
    self->close_task = g_steal_pointer (&task);
}

gboolean
ferry_tls_acceptor_close_finish (FerryTlsAcceptor  *self,
                                 GAsyncResult      *result,
                                 GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
