/* hb-test-tcp.c - TCP on 127.0.0.1 for tests: plain sockets, and the segments heartbeat-lab-cli capture sees
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "hb-test-tcp.h"

/* ---------------------------------------------------------------------- */
/* Capturing with heartbeat-lab-cli capture                               */


/* Why the last hb_test_sniffer_start() returned NULL. */
static char *no_capture_reason;

static void
on_frame (gint64        time_us,
          const guint8 *data,
          gsize         caplen,
          gsize         origlen,
          gpointer      user_data)
{
  HbTestSniffer *cap = user_data;
  g_autoptr(HbPacket) packet = hb_packet_new ();

  if (!hb_packet_parse (data, caplen, origlen, hb_pcap_stream_get_linktype (cap->stream), packet, NULL))
    return;
  packet->time_us = time_us;
  packet->frame = cap->packets->len + 1;
  g_ptr_array_add (cap->packets, g_steal_pointer (&packet));
}

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  HbTestSniffer *cap = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  gsize len;
  const guint8 *data;

  cap->reading = FALSE;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      cap->eof = TRUE;
      return;
    }
  data = g_bytes_get_data (bytes, &len);
  if (!hb_pcap_stream_feed (cap->stream, data, len, on_frame, cap, NULL))
    {
      cap->broken = TRUE;
      cap->eof = TRUE;
      return;
    }
  cap->reading = TRUE;
  g_input_stream_read_bytes_async (G_INPUT_STREAM (source), 65536, G_PRIORITY_DEFAULT, cap->cancellable,
                                   on_read, cap);
}

void
hb_test_sniffer_free (HbTestSniffer *cap)
{
  if (cap == NULL)
    return;
  if (cap->proc != NULL)
    {
      g_subprocess_send_signal (cap->proc, SIGTERM);
      g_subprocess_wait (cap->proc, NULL, NULL);
    }
  /* The read under way holds @cap: it must finish first. */
  g_cancellable_cancel (cap->cancellable);
  hb_assert_eventually (!cap->reading);
  g_clear_object (&cap->proc);
  g_clear_object (&cap->cancellable);
  g_clear_pointer (&cap->stream, hb_pcap_stream_free);
  g_ptr_array_unref (cap->packets);
  g_free (cap);
}

/* Captures TCP port @port on lo, or returns NULL (no_capture_reason
 * says why) when this process may not. */
HbTestSniffer *
hb_test_sniffer_start (guint port)
{
  g_autofree char *port_text = g_strdup_printf ("%u", port);
  const char *argv[] = { g_getenv ("HB_CLI"), "capture", "--port", port_text, "--write", "-", NULL };
  g_autoptr(GError) error = NULL;
  HbTestSniffer *cap = g_new0 (HbTestSniffer, 1);

  g_clear_pointer (&no_capture_reason, g_free);
  cap->port = port;
  cap->packets = g_ptr_array_new_with_free_func ((GDestroyNotify) hb_packet_unref);
  cap->stream = hb_pcap_stream_new ();
  cap->cancellable = g_cancellable_new ();
  g_assert_nonnull (argv[0]);
  cap->proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  cap->reading = TRUE;
  g_input_stream_read_bytes_async (g_subprocess_get_stdout_pipe (cap->proc), 65536, G_PRIORITY_DEFAULT,
                                   cap->cancellable, on_read, cap);
  /* The pcap header comes once the filter is in place. */
  hb_assert_eventually (hb_pcap_stream_has_header (cap->stream) || cap->eof);
  if (!hb_pcap_stream_has_header (cap->stream))
    {
      char buf[1024] = "";
      gsize n = 0;

      g_subprocess_wait (cap->proc, NULL, NULL);
      g_input_stream_read_all (g_subprocess_get_stderr_pipe (cap->proc), buf, sizeof buf - 1, &n, NULL, NULL);
      buf[n] = '\0';
      no_capture_reason = g_strdup_printf ("no capture, so the segments were not checked: %s", g_strstrip (buf));
      g_clear_object (&cap->proc);
      hb_test_sniffer_free (cap);
      return NULL;
    }
  return cap;
}

/* After the checks a socket can make: a test that could not see the
 * segments has not passed. */
gboolean
hb_test_sniffer_skip_without (HbTestSniffer *cap)
{
  if (cap != NULL)
    return FALSE;
  g_test_skip (no_capture_reason);
  return TRUE;
}

HbPacket *
hb_test_sniffer_packet (HbTestSniffer *cap,
                        guint    i)
{
  return g_ptr_array_index (cap->packets, i);
}

/* Sent by the side at @port (the listener's), or by the other. */
gboolean
hb_test_packet_from_port (HbPacket *p,
                          guint     port)
{
  return p->src_port == port;
}

/* The first packet from @i on sent from port @src_port with all of
 * @flags set, or -1. */
int
hb_test_sniffer_find (HbTestSniffer *cap,
                      guint    i,
                      guint    src_port,
                      guint16  flags)
{
  for (; i < cap->packets->len; i++)
    if (hb_test_sniffer_packet (cap, i)->src_port == src_port && (hb_test_sniffer_packet (cap, i)->flags & flags) == flags)
      return (int) i;
  return -1;
}

guint
hb_test_sniffer_count (HbTestSniffer *cap,
                       guint    src_port,
                       guint16  flags)
{
  guint n = 0;

  for (guint i = 0; i < cap->packets->len; i++)
    n += hb_test_sniffer_packet (cap, i)->src_port == src_port && (hb_test_sniffer_packet (cap, i)->flags & flags) == flags;
  return n;
}

gboolean
hb_test_packet_payload_starts (HbPacket   *p,
                               const char *text)
{
  gsize len = strlen (text);
  const guint8 *data;

  if (p->payload_len < len || p->payload_captured < len || p->data == NULL)
    return FALSE;
  data = g_bytes_get_data (p->data, NULL);
  return memcmp (data + p->payload_offset, text, len) == 0;
}

/* ---------------------------------------------------------------------- */
/* Plain sockets on 127.0.0.1                                             */

int
hb_test_tcp_listen (guint *port)
{
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof sa;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &sa, sizeof sa), ==, 0);
  g_assert_cmpint (listen (fd, 8), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &sa, &len), ==, 0);
  *port = ntohs (sa.sin_port);
  return fd;
}

/* A blocking connect; 0 or errno. */
int
hb_test_tcp_connect (guint  port,
                     int   *fd_out)
{
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons (port),
                            .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  if (connect (fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    {
      int err = errno;

      close (fd);
      *fd_out = -1;
      return err;
    }
  *fd_out = fd;
  return 0;
}

guint
hb_test_tcp_local_port (int fd)
{
  struct sockaddr_in sa;
  socklen_t len = sizeof sa;

  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &sa, &len), ==, 0);
  return ntohs (sa.sin_port);
}


void
hb_test_pair_open (HbTestPair *pair,
                   int   listener,
                   guint port)
{
  int one = 1;

  pair->listener = listener;
  pair->port = port;
  g_assert_cmpint (hb_test_tcp_connect (port, &pair->a), ==, 0);
  pair->b = accept4 (listener, NULL, NULL, SOCK_CLOEXEC);
  g_assert_cmpint (pair->b, >=, 0);
  pair->a_port = hb_test_tcp_local_port (pair->a);
  /* As the application's sockets (hb-channel.c): no Nagle. */
  setsockopt (pair->a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt (pair->b, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void
hb_test_pair_close (HbTestPair *pair)
{
  if (pair->a >= 0)
    close (pair->a);
  if (pair->b >= 0)
    close (pair->b);
  pair->a = pair->b = -1;
}

void
hb_test_tcp_send (int         fd,
                  const char *text)
{
  gsize len = strlen (text);

  g_assert_cmpint (send (fd, text, len, MSG_NOSIGNAL), ==, (gssize) len);
}

/* Reads exactly strlen(@text) bytes and compares. */
void
hb_test_tcp_read_exactly (int         fd,
                          const char *text)
{
  gsize len = strlen (text), got = 0;
  char buf[256];

  g_assert_cmpuint (len, <, sizeof buf);
  while (got < len)
    {
      gssize n = recv (fd, buf + got, len - got, 0);

      g_assert_cmpint (n, >, 0);
      got += n;
    }
  buf[got] = '\0';
  g_assert_cmpstr (buf, ==, text);
}

/* Heartbeat-sized data both ways, as every conversation of this project
 * has before it closes: the kernels' ACK timing is then that of a
 * conversation, not of a fresh connection. */
void
hb_test_pair_chat (HbTestPair *pair)
{
  for (int i = 0; i < 3; i++)
    {
      hb_test_tcp_send (pair->b, "PING\n");
      hb_test_tcp_read_exactly (pair->a, "PING\n");
      hb_test_tcp_send (pair->a, "PONG\n");
      hb_test_tcp_read_exactly (pair->b, "PONG\n");
    }
}

HbTcpState
hb_test_tcp_state (int fd)
{
  HbTcpInfo info;

  g_assert_true (hb_tcp_info_query (fd, &info, NULL));
  return info.state;
}

/* Segments sent, not yet acknowledged. */
guint
hb_test_tcp_unacked (int fd)
{
  HbTcpInfo info;

  g_assert_true (hb_tcp_info_query (fd, &info, NULL));
  return info.unacked;
}

gsize
hb_test_tcp_unread (int fd)
{
  int n = 0;

  g_assert_cmpint (ioctl (fd, FIONREAD, &n), ==, 0);
  return n;
}

void
hb_test_tcp_set_linger (int fd,
                        int onoff,
                        int seconds)
{
  struct linger lg = { .l_onoff = onoff, .l_linger = seconds };

  g_assert_cmpint (setsockopt (fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), ==, 0);
}

int
hb_test_tcp_set_nonblocking (int fd)
{
  return fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK);
}

/* Waits (blocking, without the main loop's 20 ms steps) until @fd is
 * readable: the FIN has arrived. */
void
hb_test_tcp_wait_readable (int fd)
{
  struct pollfd p = { .fd = fd, .events = POLLIN };

  g_assert_cmpint (poll (&p, 1, (int) hb_test_timeout_ms ()), ==, 1);
}
