/* ferry-session-upload.c: FerrySessionUpload, the native protocol's UPLOAD, DATA and END frames
 * over the upload engine (ferry-upload-job.h)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-session"

#include "config.h"

#include "ferry-session-private.h"

#include <glib/gi18n.h>

#include "ferry-error.h"
#include "ferry-upload-job.h"

struct _FerrySessionUpload
{
  GObject parent_instance;

  /* owned references */
  FerrySession   *session;
  FerryUploadJob *job;

  gboolean        receiving;   /* ACCEPT sent: DATA and END are welcome */
};

static void handler_iface_init (FerrySessionHandlerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FerrySessionUpload, ferry_session_upload, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (FERRY_TYPE_SESSION_HANDLER,
                                                      handler_iface_init))

static void
ferry_session_upload_finalize (GObject *object)
{
  FerrySessionUpload *self = FERRY_SESSION_UPLOAD (object);

  g_clear_object (&self->job);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (ferry_session_upload_parent_class)->finalize (object);
}

static void
ferry_session_upload_class_init (FerrySessionUploadClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ferry_session_upload_finalize;
}

static void
ferry_session_upload_init (FerrySessionUpload *self)
{
}

FerrySessionHandler *
ferry_session_upload_new (FerrySession *session)
{
  FerrySessionUpload *self = g_object_new (FERRY_TYPE_SESSION_UPLOAD, NULL);
  FerryUploadJobSource source = {
    .peer = session->peer,
    .address = session->peer_address,
    .uploader = session->user,
    .owner_hash = session->owner_hash,
    .max_file_size = session->config.max_file_size,
    .expire_seconds = session->config.expire_seconds,
  };

  self->session = g_object_ref (session);
  self->job = ferry_upload_job_new (session->store, session->hub, &source);
  return FERRY_SESSION_HANDLER (self);
}

/* FerrySessionHandler.close: an upload that was not committed is kept for resuming, or thrown
 * away when a check failed (the job did that already); its I/O stops. */
static void
ferry_session_upload_close (FerrySessionHandler *handler)
{
  FerrySessionUpload *self = FERRY_SESSION_UPLOAD (handler);

  /* A commit in flight finishes on its own. */
  ferry_upload_job_detach (self->job);
}

/* FerrySessionHandler.can_abort: a verified upload being committed finishes, and its OFFER
 * goes out, before the server stops. */
static gboolean
ferry_session_upload_can_abort (FerrySessionHandler *handler)
{
  return !ferry_upload_job_is_committing (FERRY_SESSION_UPLOAD (handler)->job);
}

/* A malformed DATA or END: the partial file goes (PROTOCOL.md §5, Upload). */
static void
fail_discarding (FerrySessionUpload *self,
                 GError             *error)
{
  ferry_upload_job_abort (self->job);
  ferry_session_fail (self->session, error);
}

static void
begin_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(FerrySessionUpload) self = user_data;
  FerrySession *session = self->session;
  GError *error = NULL;
  guint64 offset;

  if (!ferry_upload_job_begin_finish (self->job, result, &error))
    {
      /* The job threw the upload away after a failed check, or stopped as the session
       * closes (then this does nothing). */
      ferry_session_fail (self->session, error);
      return;
    }

  offset = ferry_upload_job_get_offset (self->job);
  self->receiving = TRUE;
  session->answered = TRUE;
  ferry_session_set_timeout (session, FERRY_TRANSFER_TIMEOUT_S);
  ferry_session_send_message (session,
                              ferry_msg_accept_new (ferry_upload_job_get_token (self->job),
                                                    offset));
  ferry_session_read_next (session);
}

static void
ferry_session_upload_start (FerrySessionHandler *handler,
                            FerryFrame          *frame)
{
  FerrySessionUpload *self = FERRY_SESSION_UPLOAD (handler);
  g_autoptr(GVariant) value = NULL;
  GError *error = NULL;
  const char *name;
  const char *token;
  guint64 size;
  guint32 folder_files;
  guint64 folder_content;

  if (!(value = ferry_message_parse (frame, &error)))
    {
      ferry_session_fail (self->session, error);
      return;
    }
  ferry_msg_upload_get (value, &name, &size, &token, &folder_files, &folder_content);

  /* Checking room and creating the partial file may take a while. */
  ferry_session_set_timeout (self->session, 0);
  ferry_upload_job_begin_async (self->job, name, size, folder_files, folder_content, token,
                                FALSE, begin_cb, g_object_ref (self));
}

static void
write_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(FerrySessionUpload) self = user_data;
  GError *error = NULL;

  if (!ferry_upload_job_write_finish (self->job, result, &error))
    {
      /* The job threw the upload away after a failed check, or stopped as the session
       * closes (then this does nothing). */
      ferry_session_fail (self->session, error);
      return;
    }
  ferry_session_touch (self->session);
  ferry_session_read_next (self->session);
}

static void
handle_data (FerrySessionUpload *self,
             FerryFrame         *frame)
{
  g_autoptr(GBytes) chunk = NULL;
  GError *error = NULL;
  const guint8 *payload;
  const guint8 *data;
  guint64 offset;
  gsize len;

  if (!ferry_data_parse (frame, &offset, &data, &len, &error))
    {
      fail_discarding (self, error);
      return;
    }

  /* A slice of the frame, not a copy. */
  payload = g_bytes_get_data (frame->payload, NULL);
  chunk = g_bytes_new_from_bytes (frame->payload, data - payload, len);
  ferry_upload_job_write_async (self->job, offset, chunk, write_cb, g_object_ref (self));
}

static void
finish_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(FerrySessionUpload) self = user_data;
  FerrySession *session = self->session;
  g_autoptr(FerryCatalogueRow) row = NULL;
  g_autoptr(GError) error = NULL;

  row = ferry_upload_job_finish_finish (self->job, result, &error);
  if (!row)
    {
      if (ferry_session_is_closing (session))
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_warning ("%s: %s", session->peer, error->message);
        }
      else
        ferry_session_fail (session, g_steal_pointer (&error));
      return;
    }

  ferry_session_send_offer (session, row, 0);
  ferry_session_request_done (session);
}

static void
handle_end (FerrySessionUpload *self,
            FerryFrame         *frame)
{
  g_autoptr(GVariant) value = NULL;
  GError *error = NULL;

  if (!(value = ferry_message_parse (frame, &error)))
    {
      fail_discarding (self, error);
      return;
    }

  self->receiving = FALSE;
  /* fsync of a big file may take a while; the client waits for OFFER. */
  ferry_session_set_timeout (self->session, 0);
  ferry_upload_job_finish_async (self->job, ferry_msg_end_get_sha256 (value), finish_cb,
                                 g_object_ref (self));
}

static void
ferry_session_upload_handle_frame (FerrySessionHandler *handler,
                                   FerryFrame          *frame)
{
  FerrySessionUpload *self = FERRY_SESSION_UPLOAD (handler);

  if (self->receiving && frame->type == FERRY_MSG_DATA)
    handle_data (self, frame);
  else if (self->receiving && frame->type == FERRY_MSG_END)
    handle_end (self, frame);
  else
    ferry_session_fail_unexpected (self->session, frame->type);
}

static void
handler_iface_init (FerrySessionHandlerInterface *iface)
{
  /* As for each chunk, so that a slow uploader still gets its answer. */
  iface->linger_seconds = FERRY_TRANSFER_TIMEOUT_S;
  iface->start = ferry_session_upload_start;
  iface->handle_frame = ferry_session_upload_handle_frame;
  iface->close = ferry_session_upload_close;
  iface->can_abort = ferry_session_upload_can_abort;
}
