/* ferry-dialer-pool.c: FerryDialer's idle request connections, and requests sent through them
 * (PROTOCOL.md §1: keep-alive, at most 4 idle, each closed after 30 s idle; a request on a
 * reused connection that closes before any answer is sent once more on a new one)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-dialer"

#include "config.h"

#include "ferry-dialer-private.h"

#include "ferry-error.h"

typedef struct
{
  FerryDialer     *dialer;      /* borrowed: the dialer owns the idle list */
  FerryConnection *connection;
  guint            timeout_id;
} IdleConnection;

static void
idle_connection_free (IdleConnection *idle)
{
  g_clear_handle_id (&idle->timeout_id, g_source_remove);
  if (idle->connection)
    ferry_connection_close_async (idle->connection, NULL, NULL, NULL);
  g_clear_object (&idle->connection);
  g_free (idle);
}

static gboolean
idle_timeout_cb (gpointer user_data)
{
  IdleConnection *idle = user_data;
  FerryDialer *self = idle->dialer;

  idle->timeout_id = 0;
  g_debug ("closing a request connection idle for %u s", FERRY_DIALER_IDLE_SECONDS);
  g_queue_remove (&self->idle, idle);
  idle_connection_free (idle);
  return G_SOURCE_REMOVE;
}

void
ferry_dialer_release (FerryDialer     *self,
                      FerryConnection *connection)
{
  IdleConnection *idle;

  g_return_if_fail (FERRY_IS_DIALER (self));
  g_return_if_fail (FERRY_IS_CONNECTION (connection));

  if (self->idle.length >= FERRY_DIALER_MAX_IDLE)
    {
      ferry_connection_close_async (connection, NULL, NULL, NULL);
      return;
    }
  idle = g_new0 (IdleConnection, 1);
  idle->dialer = self;
  idle->connection = g_object_ref (connection);
  idle->timeout_id = g_timeout_add_seconds (FERRY_DIALER_IDLE_SECONDS, idle_timeout_cb, idle);
  g_queue_push_head (&self->idle, idle);
}

void
ferry_dialer_clear_idle (FerryDialer *self)
{
  IdleConnection *idle;

  while ((idle = g_queue_pop_head (&self->idle)))
    idle_connection_free (idle);
}

/* The most recently used idle connection, or NULL. */
static FerryConnection *
take_idle (FerryDialer *self)
{
  IdleConnection *idle = g_queue_pop_head (&self->idle);
  FerryConnection *connection;

  if (!idle)
    return NULL;
  connection = g_steal_pointer (&idle->connection);
  idle_connection_free (idle);
  return connection;
}

guint
ferry_dialer_get_n_opened (FerryDialer *self)
{
  g_return_val_if_fail (FERRY_IS_DIALER (self), 0);
  return self->n_opened;
}

/* ---- one request ------------------------------------------------------------------------- */

typedef struct
{
  GBytes                 *request;
  FerryConnection        *connection;
  FerryDialerWaitingFunc  waiting_func;
  gpointer                waiting_data;
  FerryFrame              answer;
  gboolean                reused;
} RequestData;

static void
request_data_free (RequestData *data)
{
  g_clear_pointer (&data->request, g_bytes_unref);
  if (data->connection)
    ferry_connection_abort (data->connection);
  g_clear_object (&data->connection);
  ferry_frame_clear (&data->answer);
  g_free (data);
}

/* What a reused connection that the server had closed while it was idle looks like: the
 * stream ends or breaks before any answer, or the server's idle TIMEOUT is the first frame. */
static gboolean
is_stale (const GError     *error,
          const FerryFrame *answer)
{
  if (answer)
    {
      g_autoptr(GVariant) v = NULL;
      guint32 code = 0;

      if (answer->type != FERRY_MSG_ERROR || !(v = ferry_message_parse ((FerryFrame *) answer,
                                                                        NULL)))
        return FALSE;
      ferry_msg_error_get (v, &code, NULL);
      return code == FERRY_ERROR_TIMEOUT;
    }
  return g_error_matches (error, FERRY_ERROR, FERRY_ERROR_CLOSED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE) ||
         g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_EOF);
}

static void request_send (GTask *task);

static void
request_opened_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RequestData *data = g_task_get_task_data (task);
  GError *error = NULL;

  data->connection = ferry_dialer_open_finish (FERRY_DIALER (object), result, &error);
  if (!data->connection)
    {
      g_task_return_error (task, error);
      return;
    }
  request_send (g_steal_pointer (&task));
}

static void
request_open_new (GTask *task)
{
  RequestData *data = g_task_get_task_data (task);

  ferry_dialer_open_full_async (g_task_get_source_object (task), data->waiting_func,
                                data->waiting_data, g_task_get_cancellable (task),
                                request_opened_cb, task);
}

static void
request_answer_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RequestData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = ferry_connection_read_finish (data->connection, result, &data->answer, &error);
  if (data->reused && !g_task_return_error_if_cancelled (task) &&
      is_stale (error, ok ? &data->answer : NULL))
    {
      g_debug ("a reused connection was closed by the server; sending the request again on "
               "a new one");
      ferry_connection_abort (data->connection);
      g_clear_object (&data->connection);
      ferry_frame_clear (&data->answer);
      data->reused = FALSE;
      request_open_new (g_steal_pointer (&task));
      return;
    }
  if (g_task_had_error (task))
    return;
  if (!ok)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
request_send (GTask *task)
{
  RequestData *data = g_task_get_task_data (task);

  ferry_connection_send_message (data->connection, g_bytes_ref (data->request));
  ferry_connection_read_async (data->connection, g_task_get_cancellable (task),
                               request_answer_cb, task);
}

void
ferry_dialer_request_async (FerryDialer            *self,
                            GBytes                 *request,
                            FerryDialerWaitingFunc  waiting_func,
                            gpointer                waiting_data,
                            GCancellable           *cancellable,
                            GAsyncReadyCallback     callback,
                            gpointer                user_data)
{
  GTask *task;
  RequestData *data;

  g_return_if_fail (FERRY_IS_DIALER (self));
  g_return_if_fail (request != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_dialer_request_async);
  data = g_new0 (RequestData, 1);
  data->request = request;
  data->waiting_func = waiting_func;
  data->waiting_data = waiting_data;
  g_task_set_task_data (task, data, (GDestroyNotify) request_data_free);

  data->connection = take_idle (self);
  if (data->connection)
    {
      data->reused = TRUE;
      request_send (task);
    }
  else
    {
      request_open_new (task);
    }
}

GVariant *
ferry_dialer_request_finish (FerryDialer       *self,
                             GAsyncResult      *result,
                             FerryMessageType   expected,
                             FerryConnection  **connection,
                             GError           **error)
{
  RequestData *data;
  GVariant *v;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  data = g_task_get_task_data (G_TASK (result));
  if (!(v = ferry_expect_message (&data->answer, expected, error)))
    return NULL;
  if (connection)
    *connection = g_steal_pointer (&data->connection);
  return v;
}
