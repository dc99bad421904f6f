/* test-socket.c: ferry_socket_set_nodelay() on both ends of a real loopback connection
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include "ferry-socket.h"

static gboolean
has_nodelay (GSocketConnection *connection)
{
  g_autoptr(GError) error = NULL;
  int value = 0;

  g_assert_true (g_socket_get_option (g_socket_connection_get_socket (connection),
                                      IPPROTO_TCP, TCP_NODELAY, &value, &error));
  g_assert_no_error (error);
  return value != 0;
}

/* A fresh TCP socket has Nagle on; after the call, both the accepted and the connected
 * socket have it off. */
static void
test_nodelay (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connected = NULL;
  g_autoptr(GSocketConnection) accepted = NULL;
  g_autoptr(GError) error = NULL;
  guint16 port;

  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  connected = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  accepted = g_socket_listener_accept (listener, NULL, NULL, &error);
  g_assert_no_error (error);

  g_assert_false (has_nodelay (accepted));
  g_assert_false (has_nodelay (connected));

  g_assert_true (ferry_socket_set_nodelay (accepted));
  g_assert_true (ferry_socket_set_nodelay (connected));

  g_assert_true (has_nodelay (accepted));
  g_assert_true (has_nodelay (connected));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/socket/nodelay", test_nodelay);

  return g_test_run ();
}
