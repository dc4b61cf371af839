/* test-tcp-info.c - the kernel's view of a connection through its life
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gio/gio.h>

#include "hb-tcp-info.h"
#include "hb-test-util.h"

static HbTcpState
state_of (GSocket *socket)
{
  HbTcpInfo info;
  g_autoptr(GError) error = NULL;

  g_assert_true (hb_tcp_info_query (g_socket_get_fd (socket), &info, &error));
  g_assert_no_error (error);
  return info.state;
}

static guint
port_of (GSocketAddress *addr)
{
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (addr));
}

/* The textbook life of a connection, each state read from the kernel:
 * LISTEN, ESTABLISHED, FIN_WAIT2 / CLOSE_WAIT after the client's FIN,
 * and TIME_WAIT on the side that closed first, after its fd is gone. */
static void
test_life (void)
{
  g_autoptr(GSocket) listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocketAddress) client_addr = NULL;
  g_autoptr(GSocket) accepted = NULL;
  g_autoptr(HbTestPeer) client = NULL;
  g_autoptr(GError) error = NULL;
  HbTcpInfo info;
  char buf[8];
  guint server_port, client_port;

  g_assert_true (g_socket_bind (listener, any, TRUE, &error));
  g_assert_true (g_socket_listen (listener, &error));
  g_socket_set_timeout (listener, 10);
  bound = g_socket_get_local_address (listener, &error);
  server_port = port_of (bound);
  g_assert_cmpint (state_of (listener), ==, HB_TCP_LISTEN);

  client = hb_test_peer_new ("127.0.0.1", server_port);
  accepted = g_socket_accept (listener, NULL, &error);
  g_assert_no_error (error);
  /* The server side is read with blocking calls: never wait forever. */
  g_socket_set_timeout (accepted, 10);
  client_addr = g_socket_get_local_address (client->socket, &error);
  client_port = port_of (client_addr);

  g_assert_cmpint (state_of (client->socket), ==, HB_TCP_ESTABLISHED);
  g_assert_cmpint (state_of (accepted), ==, HB_TCP_ESTABLISHED);
  g_assert_true (hb_tcp_info_query (g_socket_get_fd (client->socket), &info, NULL));
  g_assert_cmpuint (info.snd_mss, >, 0);
  g_assert_cmpuint (info.snd_cwnd, >, 0);

  /* Data both ways, so the kernel has measured a round trip. */
  hb_test_peer_send (client, "MSG hi\n", -1);
  g_assert_cmpint (g_socket_receive (accepted, buf, sizeof buf, NULL, &error), ==, 7);
  g_assert_cmpint (g_socket_send (accepted, "PING 1\n", 7, NULL, &error), ==, 7);
  g_assert_cmpstr (hb_test_peer_wait_line (client), ==, "PING 1");
  g_assert_true (hb_tcp_info_query (g_socket_get_fd (client->socket), &info, NULL));
  g_assert_cmpuint (info.rtt_us, >, 0);
  /* RTO = SRTT + 4·RTTVAR (RFC 6298 §2), never under Linux's 200 ms floor. */
  g_assert_cmpuint (info.rto_us, >=, 200000);
  /* The client's window as the server last heard it: nothing unread yet. */
  if (info.have_snd_wnd)
    g_assert_cmpuint (info.snd_wnd, >, 0);
  if (info.have_bytes)
    {
      g_assert_cmpuint (info.bytes_acked, >=, 7);
      g_assert_cmpuint (info.bytes_received, ==, 7);
    }

  /* The client's FIN: it waits in FIN_WAIT2, the server in CLOSE_WAIT. */
  hb_test_peer_shutdown_write (client);
  g_assert_cmpint (g_socket_receive (accepted, buf, sizeof buf, NULL, &error), ==, 0);
  hb_assert_eventually (state_of (client->socket) == HB_TCP_FIN_WAIT2);
  g_assert_cmpint (state_of (accepted), ==, HB_TCP_CLOSE_WAIT);

  /* The server closes too; the client, which closed first, keeps TIME_WAIT. */
  g_socket_close (accepted, NULL);
  hb_test_peer_wait_eof (client);
  g_socket_close (client->socket, NULL);
  g_assert_cmpint (hb_tcp_state_lookup ("127.0.0.1", client_port, "127.0.0.1", server_port), ==, HB_TCP_TIME_WAIT);
  g_assert_cmpstr (hb_tcp_state_to_string (HB_TCP_TIME_WAIT), ==, "TIME_WAIT");

  /* The server's side of it is gone from the kernel: not the listening
   * socket on the same port, which the kernel would offer instead. */
  g_assert_cmpint (hb_tcp_state_lookup ("127.0.0.1", server_port, "127.0.0.1", client_port), ==, HB_TCP_UNKNOWN);
}

static void
test_bad_fd (void)
{
  HbTcpInfo info;
  g_autoptr(GError) error = NULL;

  g_assert_false (hb_tcp_info_query (-1, &info, &error));
  g_assert_nonnull (error);
  g_assert_cmpint (hb_tcp_state_lookup ("not an ip", 1, "127.0.0.1", 2), ==, HB_TCP_UNKNOWN);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/tcp-info/life", test_life);
  g_test_add_func ("/core/tcp-info/bad-fd", test_bad_fd);
  return g_test_run ();
}
