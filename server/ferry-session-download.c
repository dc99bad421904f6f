/* ferry-session-download.c: sending a stored file, chunk by chunk
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-session"

#include "config.h"

#include "ferry-session-private.h"

#include <glib/gi18n.h>

#include "ferry-error.h"

/* Downloads. */

static void download_next (FerrySession *self);

static void
send_chunk_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(FerrySession) self = user_data;
  g_autoptr(GError) error = NULL;

  ferry_session_pending_done (self);
  if (!ferry_connection_send_finish (FERRY_CONNECTION (object), result, &error))
    {
      ferry_session_lost (self, error);
      ferry_session_check_finished (self);
      return;
    }
  if (ferry_session_is_closing (self))
    {
      ferry_session_check_finished (self);
      return;
    }
  ferry_session_touch (self);
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

  ferry_session_pending_done (self);
  if (!g_input_stream_read_all_finish (G_INPUT_STREAM (object), result, &got, &error))
    {
      if (ferry_session_is_closing (self))
        ferry_session_check_finished (self);
      else
        ferry_session_fail_internal (self, _("The server could not read the file."),
                                     g_steal_pointer (&error));
      return;
    }
  if (ferry_session_is_closing (self))
    {
      ferry_session_check_finished (self);
      return;
    }

  wanted = (gsize) MIN ((guint64) FERRY_CHUNK_SIZE,
                        self->download_row->size - self->download_offset);
  if (got != wanted)
    {
      ferry_session_fail (self, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_INTERNAL,
                                                     _("The stored file is shorter than the "
                                                       "server's catalogue says.")));
      return;
    }

  ferry_connection_send_data_async (self->connection, self->download_offset,
                                    self->download_buffer, got, NULL,
                                    send_chunk_cb, ferry_session_pending_ref (self));
  self->download_offset += got;
}

static void
download_next (FerrySession *self)
{
  FerryCatalogueRow *row = self->download_row;
  gsize wanted;

  if (self->download_offset >= row->size)
    {
      ferry_session_send_message (self, FERRY_MSG_END, 0,
                                  g_variant_new ("(@ay)", ferry_variant_new_sha256 (row->sha256)));
      g_debug ("%s: sent %s (“%s”)", self->peer, row->id, row->name);
      ferry_session_close (self);
      return;
    }

  wanted = (gsize) MIN ((guint64) FERRY_CHUNK_SIZE, row->size - self->download_offset);
  g_input_stream_read_all_async (self->download_stream, self->download_buffer, wanted,
                                 G_PRIORITY_DEFAULT, self->cancellable,
                                 read_chunk_cb, ferry_session_pending_ref (self));
}

static void
open_blob_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(FerrySession) self = user_data;
  g_autoptr(GInputStream) stream = NULL;
  GError *error = NULL;

  ferry_session_pending_done (self);
  stream = ferry_store_open_blob_finish (self->store, result, &error);
  if (ferry_session_is_closing (self))
    {
      g_clear_error (&error);
      ferry_session_check_finished (self);
      return;
    }
  if (!stream)
    {
      /* NOT_FOUND, or a sentence that names no server path. */
      ferry_session_fail (self, error);
      return;
    }

  self->download_stream = g_steal_pointer (&stream);
  self->download_buffer = g_malloc (FERRY_CHUNK_SIZE);
  download_next (self);
}

void
ferry_session_start_download (FerrySession *self,
                              FerryFrame   *frame)
{
  g_autoptr(GVariant) value = NULL;
  FerryCatalogueRow *row;
  GError *error = NULL;
  const char *id;
  guint64 offset;

  if (!(value = ferry_message_parse (frame, &error)))
    {
      ferry_session_fail (self, error);
      return;
    }
  g_variant_get (value, "(&st)", &id, &offset);

  row = ferry_hub_lookup (self->hub, id);
  if (!row)
    {
      ferry_session_fail (self, g_error_new_literal (FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                                                     _("No file with that id is shared.")));
      return;
    }
  if (offset > row->size)
    {
      ferry_session_fail (self, g_error_new (FERRY_ERROR, FERRY_ERROR_SIZE_MISMATCH,
                                             _("The download cannot start at byte %"
                                               G_GUINT64_FORMAT " of a file of %"
                                               G_GUINT64_FORMAT " bytes."),
                                             offset, row->size));
      return;
    }

  self->download_row = ferry_catalogue_row_ref (row);
  self->download_offset = offset;
  self->state = FERRY_SESSION_STATE_DOWNLOAD;
  ferry_session_set_timeout (self, FERRY_SESSION_TRANSFER_TIMEOUT_S);

  ferry_session_send_offer (self, row, 0);

  ferry_store_open_blob_async (self->store, row->id, offset, self->cancellable,
                               open_blob_cb, ferry_session_pending_ref (self));
}
