/* ferry-session-upload.c: receiving a file into the blob store, then committing it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-session"

#include "config.h"

#include "ferry-session-private.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ferry-error.h"
#include "ferry-units.h"

static void
abort_upload_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(FerrySession) self = user_data;

  ferry_session_pending_done (self);
  ferry_store_abort_upload_finish (FERRY_STORE (object), result);
  ferry_session_check_finished (self);
}

/* Gives back what the upload holds in the store: its room ahead and the bytes written. */
static void
release_space (FerrySession *self)
{
  if (self->upload_ahead == 0 && self->upload_written == 0)
    return;
  ferry_store_release (self->store, self->peer_address, self->upload_ahead,
                       self->upload_written);
  self->upload_ahead = 0;
  self->upload_written = 0;
}

/* Throws away an upload that was not committed: its blob and what it holds in the store. */
void
ferry_session_discard_upload (FerrySession *self)
{
  /* A commit in flight finishes on its own and settles the reservation in commit_cb. */
  if (self->upload_committing)
    return;
  release_space (self);
  if (!self->upload_blob)
    return;

  g_debug ("%s: discarding the unfinished upload %s", self->peer, self->upload_token);
  ferry_store_abort_upload_async (self->store, self->upload_blob,
                                  abort_upload_cb, ferry_session_pending_ref (self));
  g_clear_object (&self->upload_blob);
}

/* Uploads. */

static void commit_cb (GObject *object, GAsyncResult *result, gpointer user_data);

static void
begin_upload_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(FerrySession) self = user_data;
  g_autoptr(FerryBlobUpload) upload = NULL;
  GError *error = NULL;

  ferry_session_pending_done (self);
  upload = ferry_store_begin_upload_finish (self->store, result, &error);

  if (ferry_session_is_closing (self))
    {
      /* The upload exists if it won the race with the close: throw it away. */
      if (upload)
        ferry_store_abort_upload_async (self->store, upload,
                                        abort_upload_cb, ferry_session_pending_ref (self));
      g_clear_error (&error);
      ferry_session_check_finished (self);
      return;
    }
  if (!upload)
    {
      ferry_session_fail (self, error);
      return;
    }

  self->upload_blob = g_steal_pointer (&upload);
  self->upload_token = g_strdup (ferry_blob_upload_get_token (self->upload_blob));
  self->upload_stream = g_object_ref (ferry_blob_upload_get_stream (self->upload_blob));
  self->upload_checksum = ferry_checksum_new ();
  self->upload_received = 0;
  self->state = FERRY_SESSION_STATE_UPLOAD_RECEIVING;
  ferry_session_set_timeout (self, FERRY_SESSION_TRANSFER_TIMEOUT_S);

  ferry_session_send_message (self, FERRY_MSG_ACCEPT, 0,
                              g_variant_new ("(st)", self->upload_token, (guint64) 0));
  ferry_session_read_next (self);
}

static void
check_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(FerrySession) self = user_data;
  GError *error = NULL;
  gboolean fits;

  ferry_session_pending_done (self);
  fits = ferry_store_check_upload_finish (FERRY_STORE (object), result, &error);

  if (ferry_session_is_closing (self))
    {
      g_clear_error (&error);
      ferry_session_check_finished (self);
      return;
    }
  if (!fits)
    {
      ferry_session_fail (self, error);
      return;
    }

  ferry_store_begin_upload_async (self->store, self->cancellable,
                                  begin_upload_cb, ferry_session_pending_ref (self));
}

void
ferry_session_start_upload (FerrySession *self,
                            FerryFrame   *frame)
{
  g_autoptr(GVariant) value = NULL;
  GError *error = NULL;
  const char *name;
  guint64 size;

  if (!(value = ferry_message_parse (frame, &error)))
    {
      ferry_session_fail (self, error);
      return;
    }
  /* v1: a resume token is accepted and answered with a fresh upload from 0. */
  g_variant_get (value, "(&st&s@a{sv})", &name, &size, NULL, NULL);

  if (size > self->config.max_file_size || size > G_MAXINT64)
    {
      g_autofree char *have = ferry_format_size (size);
      g_autofree char *limit = ferry_format_size (self->config.max_file_size);

      ferry_session_fail (self, g_error_new (FERRY_ERROR, FERRY_ERROR_TOO_LARGE,
                                             /* Translators: "report.iso is 5.0 GB, over this
                                              * server's limit of 4.0 GB." */
                                             _("%s is %s, over this server's limit of %s."),
                                             name, have, limit));
      return;
    }

  self->upload_size = size;
  self->upload_name = g_strdup (name);
  self->state = FERRY_SESSION_STATE_UPLOAD_PREPARING;
  ferry_session_set_timeout (self, 0);

  /* Nothing is reserved yet: room is reserved as the data arrives (write_or_reserve). */
  ferry_store_check_upload_async (self->store, size, self->cancellable,
                                  check_cb, ferry_session_pending_ref (self));
}

static void
write_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(FerrySession) self = user_data;
  g_autoptr(GError) error = NULL;
  gsize written = 0;

  ferry_session_pending_done (self);
  g_clear_pointer (&self->upload_chunk, g_bytes_unref);

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, &written, &error))
    {
      if (ferry_session_is_closing (self))
        {
          ferry_session_check_finished (self);
          return;
        }
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
        ferry_session_fail (self, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_NO_SPACE,
                                                       _("The server's disk is full.")));
      else
        ferry_session_fail_internal (self, _("The server could not write the file."),
                                     g_steal_pointer (&error));
      return;
    }

  if (ferry_session_is_closing (self))
    {
      ferry_session_check_finished (self);
      return;
    }

  self->upload_received += written;
  self->upload_ahead -= written;
  self->upload_written += written;
  ferry_store_charge (self->store, self->peer_address, written);
  ferry_session_touch (self);
  ferry_session_read_next (self);
}

static void
write_chunk (FerrySession *self)
{
  gsize len;
  const void *data = g_bytes_get_data (self->upload_chunk, &len);

  g_output_stream_write_all_async (self->upload_stream, data, len, G_PRIORITY_DEFAULT,
                                   self->cancellable, write_cb, ferry_session_pending_ref (self));
}

static void
reserve_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(FerrySession) self = user_data;
  GError *error = NULL;
  guint64 grant;

  ferry_session_pending_done (self);
  grant = ferry_store_reserve_finish (FERRY_STORE (object), result, &error);

  if (ferry_session_is_closing (self))
    {
      /* The upload was discarded while the room was being reserved. */
      if (grant > 0)
        ferry_store_release (self->store, self->peer_address, grant, 0);
      g_clear_error (&error);
      g_clear_pointer (&self->upload_chunk, g_bytes_unref);
      ferry_session_check_finished (self);
      return;
    }
  if (grant == 0)
    {
      g_clear_pointer (&self->upload_chunk, g_bytes_unref);
      ferry_session_fail (self, error);
      return;
    }

  self->upload_ahead += grant;
  write_chunk (self);
}

/* Writes self->upload_chunk, reserving room for it first when the room ahead is used up: at
 * least the chunk, and up to FERRY_STORE_RESERVE_AHEAD (or the rest of the file) ahead. */
static void
write_or_reserve (FerrySession *self)
{
  guint64 len = g_bytes_get_size (self->upload_chunk);
  guint64 target;

  if (len <= self->upload_ahead)
    {
      write_chunk (self);
      return;
    }

  target = MIN (self->upload_size - self->upload_received,
                MAX (len, FERRY_STORE_RESERVE_AHEAD));
  ferry_store_reserve_async (self->store, self->peer_address,
                             len - self->upload_ahead, target - self->upload_ahead,
                             self->upload_size - self->upload_received,
                             self->cancellable, reserve_cb, ferry_session_pending_ref (self));
}

static void
handle_data (FerrySession *self,
             FerryFrame   *frame)
{
  GError *error = NULL;
  const guint8 *payload;
  const guint8 *data;
  guint64 offset;
  gsize len;

  if (!ferry_data_parse (frame, &offset, &data, &len, &error))
    {
      ferry_session_fail (self, error);
      return;
    }

  if (offset != self->upload_received)
    {
      ferry_session_fail (self, g_error_new (FERRY_ERROR, FERRY_ERROR_SIZE_MISMATCH,
                                             _("The data arrived at offset %" G_GUINT64_FORMAT
                                               " where the server expected offset %"
                                               G_GUINT64_FORMAT "."),
                                             offset, self->upload_received));
      return;
    }
  if (len > self->upload_size - self->upload_received)
    {
      ferry_session_fail (self, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_SIZE_MISMATCH,
                                                     _("More data arrived than the upload "
                                                       "announced.")));
      return;
    }

  ferry_checksum_update (self->upload_checksum, data, len);

  payload = g_bytes_get_data (frame->payload, NULL);
  self->upload_chunk = g_bytes_new_from_bytes (frame->payload, data - payload, len);
  write_or_reserve (self);
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
      ferry_session_fail (self, error);
      return;
    }

  if (self->upload_received != self->upload_size)
    {
      ferry_session_fail (self, g_error_new (FERRY_ERROR, FERRY_ERROR_SIZE_MISMATCH,
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
      ferry_session_fail (self, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_CHECKSUM,
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

  self->state = FERRY_SESSION_STATE_UPLOAD_COMMITTING;
  self->upload_committing = TRUE;
  /* fsync of a big file may take a while; the client waits for OFFER. */
  ferry_session_set_timeout (self, 0);

  /* No cancellable: once the bytes are verified, the commit runs to its end even if the
   * client goes away, and the offer is then broadcast as usual. */
  ferry_store_commit_async (self->store, self->upload_blob, row,
                            NULL, commit_cb, ferry_session_pending_ref (self));
}

static void
commit_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(FerrySession) self = user_data;
  g_autoptr(FerryCatalogueRow) row = NULL;
  g_autoptr(GError) error = NULL;

  ferry_session_pending_done (self);
  row = ferry_store_commit_finish (self->store, result, &error);

  /* The blob is now counted as committed (or not at all): drop the reservation. */
  release_space (self);
  self->upload_committing = FALSE;
  g_clear_object (&self->upload_stream);

  if (!row)
    {
      /* The unfinished blob may still be there. */
      if (self->upload_blob)
        {
          ferry_store_abort_upload_async (self->store, self->upload_blob,
                                          abort_upload_cb, ferry_session_pending_ref (self));
          g_clear_object (&self->upload_blob);
        }
      if (ferry_session_is_closing (self))
        {
          g_warning ("%s: %s", self->peer, error->message);
          ferry_session_check_finished (self);
        }
      else
        ferry_session_fail (self, g_steal_pointer (&error));
      return;
    }

  g_clear_object (&self->upload_blob);
  {
    g_autofree char *user = ferry_session_log_name (self->user);
    g_autofree char *name = ferry_session_log_name (row->name);

    g_message ("%s (%s) shared “%s”, %" G_GUINT64_FORMAT " bytes, as %s",
               user, self->peer, name, row->size, row->id);
  }

  if (!ferry_session_is_closing (self))
    ferry_session_send_offer (self, row, 0);
  ferry_hub_publish_offer (self->hub, row);

  if (ferry_session_is_closing (self))
    ferry_session_check_finished (self);
  else
    ferry_session_close (self);
}

void
ferry_session_handle_upload (FerrySession *self,
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
      ferry_session_fail_unexpected (self, frame->type);
      break;
    }
}
