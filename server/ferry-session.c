/* ferry-session.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A session reads one frame at a time and, during an upload, does not read the next frame
 * before the previous one is on disk; during a download it does not read the next chunk from
 * disk before the previous one is on the wire. Memory per session is therefore bounded by
 * about two chunks, whatever the file size.
 */
#define G_LOG_DOMAIN "ferry-session"

#include "config.h"

#include "ferry-session.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ferry-checksum.h"
#include "ferry-connection.h"
#include "ferry-error.h"
#include "ferry-message.h"
#include "ferry-units.h"

#define HANDSHAKE_TIMEOUT_S   10
#define TRANSFER_TIMEOUT_S    60
#define CONTROL_TIMEOUT_S     120
#define MAX_SUBSCRIBER_QUEUE  (8 * 1024 * 1024)
#define FREE_SPACE_MARGIN     ((guint64) 64 * 1024 * 1024)
#define SERVER_SOFTWARE       "ferry-server " PACKAGE_VERSION

typedef enum
{
  STATE_HANDSHAKE,
  STATE_READY,          /* WELCOME sent, waiting for the request that decides the kind */
  STATE_CONTROL,
  STATE_UPLOAD_PREPARING,
  STATE_UPLOAD_RECEIVING,
  STATE_UPLOAD_COMMITTING,
  STATE_DOWNLOAD,
  STATE_DELETING,
  STATE_CLOSING,
  STATE_CLOSED,
} SessionState;

struct _FerrySession
{
  GObject parent_instance;

  /* owned references */
  FerryConnection    *connection;
  FerryStore         *store;
  FerryHub           *hub;
  GCancellable       *cancellable;     /* file I/O of this session */
  FerryAuth          *auth;
  char               *peer;
  char               *peer_address;    /* the IP address alone, for per-address limits */
  char               *user;

  FerrySessionConfig  config;
  SessionState        state;
  guint8              owner_hash[FERRY_SHA256_SIZE];
  guint               n_pending;       /* callbacks still to come, each holding a reference */
  gboolean            finished;

  guint               timeout_id;
  guint               timeout_seconds;
  gint64              last_activity;

  /* upload */
  char               *upload_token;
  char               *upload_name;
  guint64             upload_size;
  guint64             upload_received;
  guint64             upload_reserved;
  GFile              *upload_file;
  GOutputStream      *upload_stream;
  FerryChecksum      *upload_checksum;
  GBytes             *upload_chunk;    /* the DATA payload being written */
  gboolean            upload_committing;

  /* download */
  FerryCatalogueRow  *download_row;
  GInputStream       *download_stream;
  guint8             *download_buffer;
  guint64             download_offset;
};

G_DEFINE_FINAL_TYPE (FerrySession, ferry_session, G_TYPE_OBJECT)

enum {
  SIGNAL_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void read_next (FerrySession *self);
static void session_close (FerrySession *self);

static void
ferry_session_dispose (GObject *object)
{
  FerrySession *self = FERRY_SESSION (object);

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);

  G_OBJECT_CLASS (ferry_session_parent_class)->dispose (object);
}

static void
ferry_session_finalize (GObject *object)
{
  FerrySession *self = FERRY_SESSION (object);

  if (self->upload_reserved > 0 && self->store)
    ferry_store_release (self->store, self->upload_reserved);

  g_clear_object (&self->connection);
  g_clear_object (&self->store);
  g_clear_object (&self->hub);
  g_clear_object (&self->auth);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->peer, g_free);
  g_clear_pointer (&self->peer_address, g_free);
  g_clear_pointer (&self->user, g_free);
  g_clear_pointer (&self->upload_token, g_free);
  g_clear_pointer (&self->upload_name, g_free);
  g_clear_object (&self->upload_file);
  g_clear_object (&self->upload_stream);
  g_clear_pointer (&self->upload_checksum, ferry_checksum_free);
  g_clear_pointer (&self->upload_chunk, g_bytes_unref);
  g_clear_pointer (&self->download_row, ferry_catalogue_row_unref);
  g_clear_object (&self->download_stream);
  g_clear_pointer (&self->download_buffer, g_free);

  G_OBJECT_CLASS (ferry_session_parent_class)->finalize (object);
}

static void
ferry_session_class_init (FerrySessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_session_dispose;
  object_class->finalize = ferry_session_finalize;

  signals[SIGNAL_FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
ferry_session_init (FerrySession *self)
{
  self->cancellable = g_cancellable_new ();
  self->state = STATE_HANDSHAKE;
}

/* The remote address of @stream, looking through a TLS connection to its socket. */
static GInetSocketAddress *
dup_remote_address (GIOStream *stream)
{
  g_autoptr(GSocketAddress) address = NULL;

  if (G_IS_TLS_CONNECTION (stream))
    {
      g_autoptr(GIOStream) base = NULL;

      g_object_get (stream, "base-io-stream", &base, NULL);
      return base ? dup_remote_address (base) : NULL;
    }
  if (!G_IS_SOCKET_CONNECTION (stream))
    return NULL;
  address = g_socket_connection_get_remote_address (G_SOCKET_CONNECTION (stream), NULL);
  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return NULL;
  return G_INET_SOCKET_ADDRESS (g_steal_pointer (&address));
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

const char *
ferry_session_get_peer (FerrySession *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION (self), NULL);
  return self->peer;
}

static gboolean
is_closing (FerrySession *self)
{
  return self->state == STATE_CLOSING || self->state == STATE_CLOSED;
}

static void
check_finished (FerrySession *self)
{
  if (self->state != STATE_CLOSED || self->n_pending > 0 || self->finished)
    return;
  self->finished = TRUE;
  g_debug ("%s: session finished", self->peer);
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0);
}

/* A file name for the log: control characters (newlines included) are escaped. */
static char *
log_name (const char *name)
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

/* Pending callbacks: each holds a reference and is counted, so "finished" waits for them. */
static gpointer
pending_ref (FerrySession *self)
{
  self->n_pending++;
  return g_object_ref (self);
}

static void
pending_done (FerrySession *self)
{
  g_assert (self->n_pending > 0);
  self->n_pending--;
}

/* Timeouts. */

static void session_fail (FerrySession *self, GError *error);

static gboolean
timeout_cb (gpointer user_data)
{
  FerrySession *self = user_data;
  gint64 idle = g_get_monotonic_time () - self->last_activity;
  gint64 limit = (gint64) self->timeout_seconds * G_USEC_PER_SEC;

  self->timeout_id = 0;

  /* The handshake deadline is absolute: nothing a client sends before HELLO extends it. */
  if (self->state == STATE_HANDSHAKE)
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
  if (self->state == STATE_HANDSHAKE)
    session_fail (self, g_error_new (FERRY_ERROR, FERRY_ERROR_TIMEOUT,
                                     ngettext ("No HELLO arrived within %u second.",
                                               "No HELLO arrived within %u seconds.",
                                               HANDSHAKE_TIMEOUT_S),
                                     HANDSHAKE_TIMEOUT_S));
  else
    session_fail (self, g_error_new (FERRY_ERROR, FERRY_ERROR_TIMEOUT,
                                     ngettext ("The connection was silent for %u second.",
                                               "The connection was silent for %u seconds.",
                                               self->timeout_seconds),
                                     self->timeout_seconds));
  return G_SOURCE_REMOVE;
}

static void
touch (FerrySession *self)
{
  self->last_activity = g_get_monotonic_time ();
}

static void
set_timeout (FerrySession *self,
             guint         seconds)
{
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  self->timeout_seconds = seconds;
  touch (self);
  if (seconds > 0)
    self->timeout_id = g_timeout_add (seconds * 1000, timeout_cb, self);
}

/* Sending. */

static void
send_message (FerrySession     *self,
              FerryMessageType  type,
              guint16           flags,
              GVariant         *value)
{
  g_autoptr(GBytes) frame = ferry_message_encode (type, flags, value);

  ferry_connection_send (self->connection, frame);
}

static gboolean
owns (FerrySession      *self,
      FerryCatalogueRow *row)
{
  return memcmp (row->owner_hash, self->owner_hash, FERRY_SHA256_SIZE) == 0;
}

static void
send_offer (FerrySession      *self,
            FerryCatalogueRow *row,
            guint16            flags)
{
  send_message (self, FERRY_MSG_OFFER, flags,
                g_variant_new ("(sst@aysxxb)", row->id, row->name, row->size,
                               ferry_variant_new_sha256 (row->sha256), row->uploader,
                               row->created, row->expires, owns (self, row)));
}

/* Ending. */

static void
delete_partial_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(FerrySession) self = user_data;
  g_autoptr(GError) error = NULL;

  pending_done (self);
  if (!g_file_delete_finish (G_FILE (object), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    g_warning ("Could not remove the unfinished upload %s: %s",
               g_file_peek_path (G_FILE (object)), error->message);
  check_finished (self);
}

/* Throws away an upload that was not committed: the partial file and the quota reservation. */
static void
discard_upload (FerrySession *self)
{
  /* A commit in flight finishes on its own and settles the reservation in commit_cb. */
  if (self->upload_committing)
    return;
  if (self->upload_reserved > 0)
    {
      ferry_store_release (self->store, self->upload_reserved);
      self->upload_reserved = 0;
    }
  if (!self->upload_file)
    return;

  g_debug ("%s: discarding the unfinished upload %s", self->peer, self->upload_token);
  /* Removing the name while a write is in flight is fine: the write lands in an unlinked
   * inode, freed when the stream closes. */
  g_file_delete_async (self->upload_file, G_PRIORITY_DEFAULT, NULL,
                       delete_partial_cb, pending_ref (self));
  g_clear_object (&self->upload_file);
}

static void
close_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(FerrySession) self = user_data;

  pending_done (self);
  ferry_connection_close_finish (FERRY_CONNECTION (object), result, NULL);
  self->state = STATE_CLOSED;
  check_finished (self);
}

/* Sends what is queued, then closes. Idempotent. */
static void
session_close (FerrySession *self)
{
  if (is_closing (self))
    return;

  self->state = STATE_CLOSING;
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (self->hub, self);
  discard_upload (self);
  /* Stops file reads and writes; commits and removals do not use it. */
  g_cancellable_cancel (self->cancellable);

  ferry_connection_close_async (self->connection, NULL, close_cb, pending_ref (self));
}

/* Takes @error: tells the peer (unless the connection itself failed) and closes. */
static void
session_fail (FerrySession *self,
              GError       *error)
{
  g_autoptr(GError) owned = error;

  if (is_closing (self))
    return;

  if (owned->domain == FERRY_ERROR && owned->code == FERRY_ERROR_INTERNAL)
    g_warning ("%s: %s", self->peer, owned->message);
  else
    g_debug ("%s: %s", self->peer, owned->message);

  if (owned->domain == FERRY_ERROR && owned->code != FERRY_ERROR_CLOSED &&
      owned->code != FERRY_ERROR_CONNECT)
    {
      g_autoptr(GBytes) frame = ferry_message_encode_error (owned);

      ferry_connection_send (self->connection, frame);
    }
  session_close (self);
}

/* The connection broke: nothing can be sent any more. */
static void
session_lost (FerrySession *self,
              const GError *error)
{
  if (is_closing (self))
    return;
  if (error && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("%s: connection lost: %s", self->peer, error->message);
  ferry_connection_abort (self->connection);
  session_close (self);
}

void
ferry_session_abort (FerrySession *self)
{
  g_return_if_fail (FERRY_IS_SESSION (self));
  session_lost (self, NULL);
}

static void
fail_unexpected (FerrySession     *self,
                 FerryMessageType  type)
{
  session_fail (self, g_error_new (FERRY_ERROR, FERRY_ERROR_UNEXPECTED,
                                   _("The server did not expect a %s message here."),
                                   ferry_message_type_to_string (type)));
}

static void
fail_internal (FerrySession *self,
               const char   *what,
               GError       *cause)
{
  g_autoptr(GError) owned = cause;

  session_fail (self, g_error_new (FERRY_ERROR, FERRY_ERROR_INTERNAL, "%s %s",
                                   what, owned->message));
}

/* Control sessions. */

static void
drop_if_slow (FerrySession *self)
{
  if (ferry_connection_get_queued_bytes (self->connection) > MAX_SUBSCRIBER_QUEUE)
    {
      g_warning ("%s: dropping a subscriber that does not keep up", self->peer);
      session_lost (self, NULL);
    }
}

static void
hub_offer_cb (FerryHub          *hub,
              FerryCatalogueRow *row,
              FerrySession      *self)
{
  if (self->state != STATE_CONTROL)
    return;
  send_offer (self, row, 0);
  drop_if_slow (self);
}

static void
hub_deleted_cb (FerryHub     *hub,
                const char   *id,
                FerrySession *self)
{
  if (self->state != STATE_CONTROL)
    return;
  send_message (self, FERRY_MSG_DELETED, 0, g_variant_new ("(s)", id));
  drop_if_slow (self);
}

static void
start_control (FerrySession *self)
{
  g_autoptr(GPtrArray) offers = ferry_hub_dup_offers (self->hub);

  self->state = STATE_CONTROL;
  set_timeout (self, CONTROL_TIMEOUT_S);

  for (guint i = 0; i < offers->len; i++)
    send_offer (self, g_ptr_array_index (offers, i), FERRY_FRAME_FLAG_SNAPSHOT);
  send_message (self, FERRY_MSG_SYNCED, 0, g_variant_new ("(u)", offers->len));

  g_signal_connect_object (self->hub, "offer", G_CALLBACK (hub_offer_cb), self, 0);
  g_signal_connect_object (self->hub, "deleted", G_CALLBACK (hub_deleted_cb), self, 0);

  g_debug ("%s: %s subscribed (%u offers)", self->peer, self->user, offers->len);
  read_next (self);
}

static void
handle_control (FerrySession *self,
                FerryFrame   *frame)
{
  g_autoptr(GVariant) value = NULL;
  GError *error = NULL;

  switch (frame->type)
    {
    case FERRY_MSG_PING:
      if (!(value = ferry_message_parse (frame, &error)))
        {
          session_fail (self, error);
          return;
        }
      {
        guint64 token;

        g_variant_get (value, "(t)", &token);
        send_message (self, FERRY_MSG_PONG, 0, g_variant_new ("(t)", token));
      }
      break;

    case FERRY_MSG_PONG:
      if (!(value = ferry_message_parse (frame, &error)))
        {
          session_fail (self, error);
          return;
        }
      break;

    default:
      fail_unexpected (self, frame->type);
      return;
    }

  read_next (self);
}

/* Uploads. */

static void commit_cb (GObject *object, GAsyncResult *result, gpointer user_data);

static void
create_partial_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(FerrySession) self = user_data;
  g_autoptr(GFileOutputStream) stream = NULL;
  g_autoptr(GError) error = NULL;

  pending_done (self);
  stream = g_file_create_finish (G_FILE (object), result, &error);

  if (is_closing (self))
    {
      /* The file exists if the create won the race with the close: remove it. */
      if (stream)
        g_file_delete_async (G_FILE (object), G_PRIORITY_DEFAULT, NULL,
                             delete_partial_cb, pending_ref (self));
      check_finished (self);
      return;
    }
  if (!stream)
    {
      g_clear_object (&self->upload_file);
      fail_internal (self, _("The server could not start the upload."),
                     g_steal_pointer (&error));
      return;
    }

  self->upload_stream = G_OUTPUT_STREAM (g_steal_pointer (&stream));
  self->upload_checksum = ferry_checksum_new ();
  self->upload_received = 0;
  self->state = STATE_UPLOAD_RECEIVING;
  set_timeout (self, TRANSFER_TIMEOUT_S);

  send_message (self, FERRY_MSG_ACCEPT, 0,
                g_variant_new ("(st)", self->upload_token, (guint64) 0));
  read_next (self);
}

static void
free_space_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(FerrySession) self = user_data;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  pending_done (self);
  info = g_file_query_filesystem_info_finish (G_FILE (object), result, &error);

  if (is_closing (self))
    {
      check_finished (self);
      return;
    }

  if (info && g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE))
    {
      guint64 free_bytes = g_file_info_get_attribute_uint64 (info,
                                                             G_FILE_ATTRIBUTE_FILESYSTEM_FREE);

      if (free_bytes < FREE_SPACE_MARGIN || free_bytes - FREE_SPACE_MARGIN < self->upload_size)
        {
          session_fail (self, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_NO_SPACE,
                                                   _("The server's disk does not have room "
                                                     "for this file.")));
          return;
        }
    }
  else
    g_warning ("Could not check the free space in %s: %s",
               g_file_peek_path (G_FILE (object)), error ? error->message : "no information");

  self->upload_token = ferry_store_new_token ();
  self->upload_file = ferry_store_get_partial_file (self->store, self->upload_token);
  g_file_create_async (self->upload_file, G_FILE_CREATE_PRIVATE, G_PRIORITY_DEFAULT,
                       self->cancellable, create_partial_cb, pending_ref (self));
}

static void
start_upload (FerrySession *self,
              FerryFrame   *frame)
{
  g_autoptr(GVariant) value = NULL;
  GError *error = NULL;
  const char *name;
  guint64 size;

  if (!(value = ferry_message_parse (frame, &error)))
    {
      session_fail (self, error);
      return;
    }
  /* v1: a resume token is accepted and answered with a fresh upload from 0. */
  g_variant_get (value, "(&st&s@a{sv})", &name, &size, NULL, NULL);

  if (size > self->config.max_file_size || size > G_MAXINT64)
    {
      g_autofree char *have = ferry_format_size (size);
      g_autofree char *limit = ferry_format_size (self->config.max_file_size);

      session_fail (self, g_error_new (FERRY_ERROR, FERRY_ERROR_TOO_LARGE,
                                       /* Translators: "report.iso is 5.0 GB, over this
                                        * server's limit of 4.0 GB." */
                                       _("%s is %s, over this server's limit of %s."),
                                       name, have, limit));
      return;
    }

  if (!ferry_store_reserve (self->store, size, &error))
    {
      session_fail (self, error);
      return;
    }

  self->upload_reserved = size;
  self->upload_size = size;
  self->upload_name = g_strdup (name);
  self->state = STATE_UPLOAD_PREPARING;
  set_timeout (self, 0);

  g_file_query_filesystem_info_async (ferry_store_get_dir (self->store),
                                      G_FILE_ATTRIBUTE_FILESYSTEM_FREE, G_PRIORITY_DEFAULT,
                                      self->cancellable, free_space_cb, pending_ref (self));
}

static void
write_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(FerrySession) self = user_data;
  g_autoptr(GError) error = NULL;
  gsize written = 0;

  pending_done (self);
  g_clear_pointer (&self->upload_chunk, g_bytes_unref);

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, &written, &error))
    {
      if (is_closing (self))
        {
          check_finished (self);
          return;
        }
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
        session_fail (self, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_NO_SPACE,
                                                 _("The server's disk is full.")));
      else
        fail_internal (self, _("The server could not write the file."),
                       g_steal_pointer (&error));
      return;
    }

  if (is_closing (self))
    {
      check_finished (self);
      return;
    }

  self->upload_received += written;
  touch (self);
  read_next (self);
}

static void
handle_data (FerrySession *self,
             FerryFrame   *frame)
{
  GError *error = NULL;
  const guint8 *data;
  guint64 offset;
  gsize len;

  if (!ferry_data_parse (frame, &offset, &data, &len, &error))
    {
      session_fail (self, error);
      return;
    }

  if (offset != self->upload_received)
    {
      session_fail (self, g_error_new (FERRY_ERROR, FERRY_ERROR_SIZE_MISMATCH,
                                       _("The data arrived at offset %" G_GUINT64_FORMAT
                                         " where the server expected offset %"
                                         G_GUINT64_FORMAT "."),
                                       offset, self->upload_received));
      return;
    }
  if (len > self->upload_size - self->upload_received)
    {
      session_fail (self, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_SIZE_MISMATCH,
                                               _("More data arrived than the upload "
                                                 "announced.")));
      return;
    }

  ferry_checksum_update (self->upload_checksum, data, len);

  self->upload_chunk = g_bytes_ref (frame->payload);
  g_output_stream_write_all_async (self->upload_stream, data, len, G_PRIORITY_DEFAULT,
                                   self->cancellable, write_cb, pending_ref (self));
}

static void
handle_end (FerrySession *self,
            FerryFrame   *frame)
{
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GVariant) sha = NULL;
  g_autoptr(FerryCatalogueRow) row = NULL;
  guint8 digest[FERRY_SHA256_SIZE];
  const guint8 *theirs;
  GError *error = NULL;
  gsize n = 0;

  if (!(value = ferry_message_parse (frame, &error)))
    {
      session_fail (self, error);
      return;
    }

  if (self->upload_received != self->upload_size)
    {
      session_fail (self, g_error_new (FERRY_ERROR, FERRY_ERROR_SIZE_MISMATCH,
                                       _("The upload ended after %" G_GUINT64_FORMAT
                                         " of %" G_GUINT64_FORMAT " bytes."),
                                       self->upload_received, self->upload_size));
      return;
    }

  g_variant_get (value, "(@ay)", &sha);
  theirs = g_variant_get_fixed_array (sha, &n, 1);
  ferry_checksum_finish (self->upload_checksum, digest);
  if (n != FERRY_SHA256_SIZE || memcmp (digest, theirs, FERRY_SHA256_SIZE) != 0)
    {
      session_fail (self, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_CHECKSUM,
                                               _("The file arrived damaged: checksum "
                                                 "mismatch.")));
      return;
    }

  row = ferry_catalogue_row_new ();
  row->name = g_strdup (self->upload_name);
  row->size = self->upload_size;
  memcpy (row->sha256, digest, FERRY_SHA256_SIZE);
  row->uploader = g_strdup (self->user);
  memcpy (row->owner_hash, self->owner_hash, FERRY_SHA256_SIZE);
  row->created = g_get_real_time () / G_USEC_PER_SEC;
  row->expires = self->config.expire_seconds > 0
                 ? row->created + (gint64) self->config.expire_seconds : 0;

  self->state = STATE_UPLOAD_COMMITTING;
  self->upload_committing = TRUE;
  /* fsync of a big file may take a while; the client waits for OFFER. */
  set_timeout (self, 0);

  /* No cancellable: once the bytes are verified, the commit runs to its end even if the
   * client goes away, and the offer is then broadcast as usual. */
  ferry_store_commit_async (self->store, self->upload_stream, self->upload_token, row,
                            NULL, commit_cb, pending_ref (self));
}

static void
commit_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(FerrySession) self = user_data;
  g_autoptr(FerryCatalogueRow) row = NULL;
  g_autoptr(GError) error = NULL;

  pending_done (self);
  row = ferry_store_commit_finish (self->store, result, &error);

  /* The blob is now counted as committed (or not at all): drop the reservation. */
  ferry_store_release (self->store, self->upload_reserved);
  self->upload_reserved = 0;
  self->upload_committing = FALSE;
  g_clear_object (&self->upload_stream);

  if (!row)
    {
      /* The partial file may still be there. */
      if (self->upload_file)
        {
          g_file_delete_async (self->upload_file, G_PRIORITY_DEFAULT, NULL,
                               delete_partial_cb, pending_ref (self));
          g_clear_object (&self->upload_file);
        }
      if (is_closing (self))
        {
          g_warning ("%s: %s", self->peer, error->message);
          check_finished (self);
        }
      else
        session_fail (self, g_steal_pointer (&error));
      return;
    }

  g_clear_object (&self->upload_file);
  {
    g_autofree char *user = log_name (self->user);
    g_autofree char *name = log_name (row->name);

    g_message ("%s (%s) shared “%s”, %" G_GUINT64_FORMAT " bytes, as %s",
               user, self->peer, name, row->size, row->id);
  }

  if (!is_closing (self))
    send_offer (self, row, 0);
  ferry_hub_publish_offer (self->hub, row);

  if (is_closing (self))
    check_finished (self);
  else
    session_close (self);
}

static void
handle_upload (FerrySession *self,
               FerryFrame   *frame)
{
  switch (frame->type)
    {
    case FERRY_MSG_DATA:
      handle_data (self, frame);
      break;
    case FERRY_MSG_END:
      handle_end (self, frame);
      break;
    default:
      fail_unexpected (self, frame->type);
      break;
    }
}

/* Downloads. */

static void download_next (FerrySession *self);

static void
send_chunk_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(FerrySession) self = user_data;
  g_autoptr(GError) error = NULL;

  pending_done (self);
  if (!ferry_connection_send_finish (FERRY_CONNECTION (object), result, &error))
    {
      session_lost (self, error);
      check_finished (self);
      return;
    }
  if (is_closing (self))
    {
      check_finished (self);
      return;
    }
  touch (self);
  download_next (self);
}

static void
read_chunk_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(FerrySession) self = user_data;
  g_autoptr(GError) error = NULL;
  gsize got = 0;
  gsize wanted;

  pending_done (self);
  if (!g_input_stream_read_all_finish (G_INPUT_STREAM (object), result, &got, &error))
    {
      if (is_closing (self))
        check_finished (self);
      else
        fail_internal (self, _("The server could not read the file."), g_steal_pointer (&error));
      return;
    }
  if (is_closing (self))
    {
      check_finished (self);
      return;
    }

  wanted = (gsize) MIN ((guint64) FERRY_CHUNK_SIZE,
                        self->download_row->size - self->download_offset);
  if (got != wanted)
    {
      session_fail (self, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_INTERNAL,
                                               _("The stored file is shorter than the "
                                                 "server's catalogue says.")));
      return;
    }

  ferry_connection_send_data_async (self->connection, self->download_offset,
                                    self->download_buffer, got, NULL,
                                    send_chunk_cb, pending_ref (self));
  self->download_offset += got;
}

static void
download_next (FerrySession *self)
{
  FerryCatalogueRow *row = self->download_row;
  gsize wanted;

  if (self->download_offset >= row->size)
    {
      send_message (self, FERRY_MSG_END, 0,
                    g_variant_new ("(@ay)", ferry_variant_new_sha256 (row->sha256)));
      g_debug ("%s: sent %s (“%s”)", self->peer, row->id, row->name);
      session_close (self);
      return;
    }

  wanted = (gsize) MIN ((guint64) FERRY_CHUNK_SIZE, row->size - self->download_offset);
  g_input_stream_read_all_async (self->download_stream, self->download_buffer, wanted,
                                 G_PRIORITY_DEFAULT, self->cancellable,
                                 read_chunk_cb, pending_ref (self));
}

static void
open_blob_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(FerrySession) self = user_data;
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;

  pending_done (self);
  stream = g_file_read_finish (G_FILE (object), result, &error);
  if (is_closing (self))
    {
      check_finished (self);
      return;
    }
  if (!stream)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        session_fail (self, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                                                 _("No file with that id is shared.")));
      else
        fail_internal (self, _("The server could not open the file."),
                       g_steal_pointer (&error));
      return;
    }

  /* lseek(2) only moves a number; it does not wait for the disk. */
  if (self->download_offset > 0 &&
      !g_seekable_seek (G_SEEKABLE (stream), (goffset) self->download_offset, G_SEEK_SET,
                        NULL, &error))
    {
      fail_internal (self, _("The server could not open the file."), g_steal_pointer (&error));
      return;
    }

  self->download_stream = G_INPUT_STREAM (g_steal_pointer (&stream));
  self->download_buffer = g_malloc (FERRY_CHUNK_SIZE);
  download_next (self);
}

static void
start_download (FerrySession *self,
                FerryFrame   *frame)
{
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GFile) blob = NULL;
  FerryCatalogueRow *row;
  GError *error = NULL;
  const char *id;
  guint64 offset;

  if (!(value = ferry_message_parse (frame, &error)))
    {
      session_fail (self, error);
      return;
    }
  g_variant_get (value, "(&st)", &id, &offset);

  row = ferry_hub_lookup (self->hub, id);
  if (!row)
    {
      session_fail (self, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                                               _("No file with that id is shared.")));
      return;
    }
  if (offset > row->size)
    {
      session_fail (self, g_error_new (FERRY_ERROR, FERRY_ERROR_SIZE_MISMATCH,
                                       _("The download cannot start at byte %" G_GUINT64_FORMAT
                                         " of a file of %" G_GUINT64_FORMAT " bytes."),
                                       offset, row->size));
      return;
    }

  self->download_row = ferry_catalogue_row_ref (row);
  self->download_offset = offset;
  self->state = STATE_DOWNLOAD;
  set_timeout (self, TRANSFER_TIMEOUT_S);

  send_offer (self, row, 0);

  blob = ferry_store_get_blob_file (self->store, row->id);
  g_file_read_async (blob, G_PRIORITY_DEFAULT, self->cancellable,
                     open_blob_cb, pending_ref (self));
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

  pending_done (self);
  if (!ferry_store_remove_finish (self->store, result, &error))
    {
      if (is_closing (self))
        check_finished (self);
      else
        session_fail (self, g_steal_pointer (&error));
      return;
    }

  {
    g_autofree char *user = log_name (self->user);

    g_message ("%s (%s) deleted %s", user, self->peer, id);
  }
  if (!is_closing (self))
    send_message (self, FERRY_MSG_DELETED, 0, g_variant_new ("(s)", id));
  ferry_hub_publish_deleted (self->hub, id);

  if (is_closing (self))
    check_finished (self);
  else
    session_close (self);
}

static void
start_delete (FerrySession *self,
              FerryFrame   *frame)
{
  g_autoptr(GVariant) value = NULL;
  FerryCatalogueRow *row;
  GError *error = NULL;
  const char *id;

  if (!(value = ferry_message_parse (frame, &error)))
    {
      session_fail (self, error);
      return;
    }
  g_variant_get (value, "(&s)", &id);

  row = ferry_hub_lookup (self->hub, id);
  if (!row)
    {
      session_fail (self, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                                               _("No file with that id is shared.")));
      return;
    }
  if (!owns (self, row))
    {
      session_fail (self, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_NOT_OWNER,
                                               _("Only the person who shared this file can "
                                                 "delete it.")));
      return;
    }

  self->state = STATE_DELETING;
  set_timeout (self, 0);
  g_object_set_data_full (G_OBJECT (self), "ferry-delete-id", g_strdup (id), g_free);
  ferry_store_remove_async (self->store, id, row->size, NULL, remove_cb, pending_ref (self));
}

/* Handshake and dispatch. */

static void
handle_hello (FerrySession *self,
              FerryFrame   *frame)
{
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GVariant) secret = NULL;
  g_autoptr(GVariant) options = NULL;
  g_autoptr(FerryChecksum) checksum = NULL;
  g_auto(GVariantBuilder) welcome_options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  GError *error = NULL;
  const char *software;
  const char *user;
  const guint8 *bytes;
  guint32 version;
  gsize n = 0;

  if (frame->type != FERRY_MSG_HELLO)
    {
      fail_unexpected (self, frame->type);
      return;
    }
  if (!(value = ferry_message_parse (frame, &error)))
    {
      session_fail (self, error);
      return;
    }
  g_variant_get (value, "(u&s&s@ay@a{sv})", &version, &software, &user, &secret, &options);

  if (version != FERRY_PROTOCOL_VERSION)
    {
      session_fail (self, g_error_new (FERRY_ERROR, FERRY_ERROR_VERSION,
                                       _("This server speaks Ferry protocol version %u, "
                                         "not version %u; please use a matching client."),
                                       (guint) FERRY_PROTOCOL_VERSION, version));
      return;
    }
  if (self->config.busy)
    {
      session_fail (self, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_BUSY,
                                               _("The server has too many connections; "
                                                 "try again later.")));
      return;
    }
  if (self->auth)
    {
      const char *password = NULL;

      /* A password of the wrong type counts as none. */
      g_variant_lookup (options, "password", "&s", &password);
      if (!ferry_auth_check (self->auth, self->peer_address, password, &error))
        {
          g_message ("%s: refused: %s", self->peer, error->message);
          session_fail (self, error);
          return;
        }
      g_variant_builder_add (&welcome_options, "{sv}", "auth", g_variant_new_boolean (TRUE));
    }

  bytes = g_variant_get_fixed_array (secret, &n, 1);
  checksum = ferry_checksum_new ();
  ferry_checksum_update (checksum, bytes, n);
  ferry_checksum_finish (checksum, self->owner_hash);
  self->user = g_strdup (user);

  g_debug ("%s: HELLO from %s using “%s”", self->peer, user, software);

  send_message (self, FERRY_MSG_WELCOME, 0,
                g_variant_new ("(ust@a{sv})", (guint32) FERRY_PROTOCOL_VERSION,
                               SERVER_SOFTWARE, self->config.max_file_size,
                               g_variant_builder_end (&welcome_options)));
  self->state = STATE_READY;
  set_timeout (self, TRANSFER_TIMEOUT_S);
  read_next (self);
}

static void
handle_request (FerrySession *self,
                FerryFrame   *frame)
{
  switch (frame->type)
    {
    case FERRY_MSG_SUBSCRIBE:
      {
        g_autoptr(GVariant) value = NULL;
        GError *error = NULL;

        if (!(value = ferry_message_parse (frame, &error)))
          session_fail (self, error);
        else
          start_control (self);
      }
      break;
    case FERRY_MSG_UPLOAD:
      start_upload (self, frame);
      break;
    case FERRY_MSG_DOWNLOAD:
      start_download (self, frame);
      break;
    case FERRY_MSG_DELETE:
      start_delete (self, frame);
      break;
    case FERRY_MSG_PING:
    case FERRY_MSG_PONG:
      handle_control (self, frame);
      break;
    default:
      fail_unexpected (self, frame->type);
      break;
    }
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(FerrySession) self = user_data;
  g_auto(FerryFrame) frame = { 0 };
  g_autoptr(GError) error = NULL;

  pending_done (self);

  if (!ferry_connection_read_finish (self->connection, result, &frame, &error))
    {
      if (is_closing (self))
        check_finished (self);
      else if (error->domain == FERRY_ERROR && error->code != FERRY_ERROR_CLOSED)
        session_fail (self, g_steal_pointer (&error));
      else
        session_lost (self, error);
      return;
    }

  if (is_closing (self))
    {
      check_finished (self);
      return;
    }

  touch (self);

  /* A client that gives up says why and goes; there is nothing to answer. */
  if (frame.type == FERRY_MSG_ERROR)
    {
      g_autoptr(GVariant) value = ferry_message_parse (&frame, NULL);
      g_autoptr(GError) theirs = value ? ferry_message_to_gerror (value) : NULL;

      g_debug ("%s: the client reported: %s", self->peer,
               theirs ? theirs->message : "(malformed ERROR)");
      session_close (self);
      return;
    }

  switch (self->state)
    {
    case STATE_HANDSHAKE:
      handle_hello (self, &frame);
      break;
    case STATE_READY:
      handle_request (self, &frame);
      break;
    case STATE_CONTROL:
      handle_control (self, &frame);
      break;
    case STATE_UPLOAD_RECEIVING:
      handle_upload (self, &frame);
      break;
    case STATE_UPLOAD_PREPARING:
    case STATE_UPLOAD_COMMITTING:
    case STATE_DOWNLOAD:
    case STATE_DELETING:
    case STATE_CLOSING:
    case STATE_CLOSED:
    default:
      fail_unexpected (self, frame.type);
      break;
    }
}

static void
read_next (FerrySession *self)
{
  if (is_closing (self))
    return;
  ferry_connection_read_async (self->connection, NULL, read_cb, pending_ref (self));
}

void
ferry_session_start (FerrySession *self)
{
  gint64 now;

  g_return_if_fail (FERRY_IS_SESSION (self));
  g_return_if_fail (self->state == STATE_HANDSHAKE);

  g_debug ("%s: connected", self->peer);
  now = g_get_monotonic_time ();
  if (self->config.hello_deadline == 0)
    self->config.hello_deadline = now + HANDSHAKE_TIMEOUT_S * G_USEC_PER_SEC;
  self->timeout_seconds = HANDSHAKE_TIMEOUT_S;
  touch (self);
  /* The deadline may be close already: a TLS handshake came first. */
  self->timeout_id = g_timeout_add ((guint) CLAMP ((self->config.hello_deadline - now) / 1000,
                                                   1, HANDSHAKE_TIMEOUT_S * 1000),
                                    timeout_cb, self);
  read_next (self);
}
