/* test-admission.c: peers that hold connections open without finishing them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include "ferry-test-harness.h"
#include "ferry-error.h"
#include "ferry-message.h"

#define N_STALLED       200
#define N_ADDRESSES     10
#define N_SAMPLES       7

typedef struct
{
  FerryTestServer *server;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->server = ferry_test_server_start (NULL, 0, NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  ferry_test_server_stop (f->server);
  ferry_test_server_free (f->server);
}

/* A TCP connection from 127.0.0.@host that sends @hello (if any) and never says anything
 * more. */
static GSocket *
open_stalled (FerryTestServer *server,
              guint            host,
              GBytes          *hello)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) local = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_from_string ("127.0.0.1");
  g_autoptr(GSocketAddress) bind_address = NULL;
  g_autoptr(GSocketAddress) server_address = NULL;
  g_autofree char *text = g_strdup_printf ("127.0.0.%u", host);
  GSocket *socket;
  gsize length;
  const char *data = hello ? g_bytes_get_data (hello, &length) : NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                         &error);
  g_assert_no_error (error);
  local = g_inet_address_new_from_string (text);
  bind_address = g_inet_socket_address_new (local, 0);
  g_socket_bind (socket, bind_address, FALSE, &error);
  g_assert_no_error (error);
  server_address = g_inet_socket_address_new (loopback, server->port);
  g_socket_connect (socket, server_address, NULL, &error);
  g_assert_no_error (error);
  if (data)
    {
      g_socket_send (socket, data, length, NULL, &error);
      g_assert_no_error (error);
    }
  return socket;
}

/* The server answered with its part of the handshake, so it is waiting on us now. */
static gboolean
has_server_reply (GSocket *socket)
{
  char byte;

  return recv (g_socket_get_fd (socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

typedef struct
{
  GPtrArray *sockets;
  guint      wanted;
} ReplyCount;

static gboolean
enough_replies (gpointer data)
{
  ReplyCount *count = data;
  guint n = 0;

  for (guint i = 0; i < count->sockets->len; i++)
    n += has_server_reply (g_ptr_array_index (count->sockets, i));
  return n >= count->wanted;
}

/* Still connected: the server has not closed it. */
static gboolean
is_open (GSocket *socket)
{
  char buffer[4096];
  gssize n;

  /* Drain what the server sent, to see whether an end of stream follows. */
  while ((n = recv (g_socket_get_fd (socket), buffer, sizeof buffer, MSG_DONTWAIT)) > 0)
    ;
  return n < 0;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

/* The median time, in seconds, of a fresh TLS connection plus HELLO/WELCOME. */
static double
median_connect_time (FerryTestServer *server)
{
  double samples[N_SAMPLES];

  for (guint i = 0; i < N_SAMPLES; i++)
    {
      gint64 start = g_get_monotonic_time ();
      g_autoptr(GIOStream) conn = ferry_test_raw_connect (server);

      ferry_test_raw_handshake (conn);
      samples[i] = (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
      g_io_stream_close (conn, NULL, NULL);
    }
  qsort (samples, N_SAMPLES, sizeof samples[0], compare_doubles);
  return samples[N_SAMPLES / 2];
}

/* 200 connections from 10 addresses each send a ClientHello and stop. A good client from
 * another address still connects and says HELLO in at most twice its unloaded time. */
static void
test_stalled_handshakes (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GBytes) hello = ferry_test_capture_client_hello ();
  g_autoptr(GPtrArray) stalled = g_ptr_array_new_with_free_func (g_object_unref);
  ReplyCount count;
  double unloaded;
  double loaded;
  guint still_open = 0;

  unloaded = median_connect_time (f->server);

  for (guint i = 0; i < N_STALLED; i++)
    g_ptr_array_add (stalled, open_stalled (f->server, 2 + i % N_ADDRESSES, hello));
  /* Wait until the server is busy with them: some have its ServerHello and owe it an answer. */
  count.sockets = stalled;
  count.wanted = 6;
  ferry_test_wait_for (enough_replies, &count, 10);

  loaded = median_connect_time (f->server);

  for (guint i = 0; i < stalled->len; i++)
    still_open += is_open (g_ptr_array_index (stalled, i));

  g_test_message ("connect + HELLO: %.1f ms unloaded, %.1f ms beside %u stalled handshakes "
                  "(%u still open afterwards)",
                  unloaded * 1000, loaded * 1000, N_STALLED, still_open);
  /* The load was real: most stalled connections were still held open while we measured. */
  g_assert_cmpuint (still_open, >=, N_STALLED / 2);
  g_assert_cmpfloat (loaded, <=, 2 * unloaded);
}

/* Many connections at once from one address go through their handshakes a few at a time;
 * all of them are served, and those over the per-address limit get BUSY at HELLO. */
static void
test_burst_from_one_address (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GPtrArray) conns = g_ptr_array_new_with_free_func (g_object_unref);
  guint welcomed = 0;
  guint busy = 0;

  for (guint i = 0; i < 24; i++)
    g_ptr_array_add (conns, ferry_test_raw_connect (f->server));
  for (guint i = 0; i < conns->len; i++)
    {
      GIOStream *conn = g_ptr_array_index (conns, i);
      FerryFrame frame;

      ferry_test_raw_send_hello (conn);
      g_assert_true (ferry_test_raw_read (conn, &frame));
      if (frame.type == FERRY_MSG_WELCOME)
        welcomed++;
      else
        {
          g_autoptr(GVariant) value = NULL;
          guint32 code = 0;

          g_assert_cmpuint (frame.type, ==, FERRY_MSG_ERROR);
          value = ferry_message_parse (&frame, NULL);
          g_assert_nonnull (value);
          ferry_msg_error_get (value, &code, NULL);
          g_assert_cmpuint (code, ==, FERRY_ERROR_BUSY);
          busy++;
        }
      ferry_frame_clear (&frame);
    }
  /* The default limit is 16 per address. */
  g_assert_cmpuint (welcomed, ==, 16);
  g_assert_cmpuint (busy, ==, 8);
}

/* What a connection got: -1 nothing yet and still open, 0 closed without a word, 1 bytes. */
static int
received (GSocket *socket)
{
  char byte;
  gssize n = recv (g_socket_get_fd (socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT);

  return n > 0 ? 1 : n == 0 ? 0 : -1;
}

static gboolean
was_answered (gpointer socket)
{
  return received (socket) >= 0;
}

static gboolean
one_closed (gpointer data)
{
  GPtrArray *sockets = data;

  for (guint i = 0; i < sockets->len; i++)
    if (received (g_ptr_array_index (sockets, i)) >= 0)
      return TRUE;
  return FALSE;
}

/* When every pending place is taken by two heavy addresses, a connection from a third one gets
 * in, and the oldest pending connection of a heavy address is closed for it, without being
 * told anything false (such as that the server is shutting down). */
static void
test_pending_eviction (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GPtrArray) held = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GIOStream) good = NULL;
  guint closed = 0;

  ferry_test_server_stop (f->server);
  ferry_test_server_free (f->server);
  /* Pending places: 8 × 2 in all, 4 × 2 from one address (ferry-admission.c). */
  f->server = ferry_test_server_start (NULL, 0, "--no-tls", "--max-connections", "2",
                                       "--max-connections-per-address", "2", NULL);

  for (guint host = 2; host <= 3; host++)
    {
      g_autoptr(GSocket) extra = NULL;

      for (guint i = 0; i < 8; i++)
        g_ptr_array_add (held, open_stalled (f->server, host, NULL));
      /* The ninth from the same address is closed at once: so the eight are counted. */
      extra = open_stalled (f->server, host, NULL);
      ferry_test_wait_for (was_answered, extra, 10);
      g_assert_cmpint (received (extra), ==, 0);
    }

  good = ferry_test_raw_connect (f->server);
  ferry_test_raw_handshake (good);

  ferry_test_wait_for (one_closed, held, 10);
  for (guint i = 0; i < held->len; i++)
    {
      int got = received (g_ptr_array_index (held, i));

      /* Dropped without a word: no ERROR frame claims anything. */
      g_assert_cmpint (got, !=, 1);
      closed += got == 0;
    }
  g_assert_cmpuint (closed, ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/admission/stalled-handshakes", test_stalled_handshakes);
  ADD ("/admission/burst-from-one-address", test_burst_from_one_address);
  ADD ("/admission/pending-eviction", test_pending_eviction);

  return g_test_run ();
}
