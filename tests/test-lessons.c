/* test-lessons.c - every claim of the teaching texts that loopback can show, shown: the text and the kernel must agree
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each test takes a claim from the very string the application shows
 * (hb-lesson.c, hb-client-words.c), asserts that the string still makes
 * it, then makes it happen on 127.0.0.1 with real sockets — the
 * application's own server and client, and a student's program, where
 * they are what the text speaks of — and checks it: by what the sockets
 * report (errno, TCP_INFO, /proc/net/tcp) and, where this process may
 * capture, by the segments `heartbeat-lab-cli capture` saw. Without the
 * privilege to capture, a test checks what the sockets show, then
 * reports itself skipped: the segments were not seen, so it has not
 * passed.
 */

#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "heartbeat-lab.h"
#include "hb-client-words.h"
#include "hb-lesson.h"
#include "hb-test-tcp.h"
#include "hb-test-util.h"

/* The text still makes the claim this test checks. */
#define claim(text, phrase)                                                       \
  G_STMT_START {                                                                  \
    if (strstr ((text), (phrase)) == NULL)                                        \
      g_error ("%s:%d: the text no longer says “%s”:\n%s", __FILE__, __LINE__,   \
               (phrase), (text));                                                 \
  } G_STMT_END

static HbClientWords line_words;
static HbClientWords lab_words;
static HbClientWords raw_words;

/* ---------------------------------------------------------------------- */
/* Handshake                                                              */

static void
test_handshake (void)
{
  const char *text = hb_phase_explanation (HB_TCP_PHASE_HANDSHAKE);
  guint port;
  int listener = hb_test_tcp_listen (&port);
  g_autoptr(HbTestSniffer) cap = hb_test_sniffer_start (port);
  g_autoptr(HbConversation) conv = NULL;
  HbTestPair pair = { 0 };
  HbPacket *syn, *synack, *ack;
  int i;

  claim (text, "ack x+1 — a SYN takes up one sequence number");
  claim (text, "The kernels do all this before the server program's accept() returns the connection.");
  claim (text, "x and y show as 0, x+1 and y+1 as 1");
  claim (text, "only a SYN carries it");

  /* Connected before anyone accepts: the kernel has finished the
   * handshake, and lists the server's side as ESTABLISHED already. */
  pair.port = port;
  g_assert_cmpint (hb_test_tcp_connect (port, &pair.a), ==, 0);
  pair.a_port = hb_test_tcp_local_port (pair.a);
  g_assert_cmpint (hb_test_tcp_state (pair.a), ==, HB_TCP_ESTABLISHED);
  g_assert_cmpint (hb_tcp_state_lookup ("127.0.0.1", port, "127.0.0.1", pair.a_port), ==, HB_TCP_ESTABLISHED);
  pair.b = accept4 (listener, NULL, NULL, SOCK_CLOEXEC);
  g_assert_cmpint (pair.b, >=, 0);
  hb_test_pair_chat (&pair);

  if (hb_test_sniffer_skip_without (cap))
    goto out;
  hb_assert_eventually (hb_test_sniffer_count (cap, port, HB_TCP_PSH) >= 3);
  syn = hb_test_sniffer_packet (cap, 0);
  synack = hb_test_sniffer_packet (cap, 1);
  ack = hb_test_sniffer_packet (cap, 2);
  g_assert_cmpuint (syn->flags, ==, HB_TCP_SYN);
  g_assert_cmpuint (synack->flags, ==, HB_TCP_SYN | HB_TCP_ACK);
  g_assert_cmpuint (ack->flags, ==, HB_TCP_ACK);
  g_assert_false (hb_test_packet_from_port (syn, port));
  g_assert_true (hb_test_packet_from_port (synack, port));
  /* Each SYN takes one number: acknowledged with ISN + 1. */
  g_assert_cmpuint (synack->ack, ==, syn->seq + 1);
  g_assert_cmpuint (ack->seq, ==, syn->seq + 1);
  g_assert_cmpuint (ack->ack, ==, synack->seq + 1);
  /* The options the text names, in both SYNs; WS in SYNs only. */
  g_assert_true (syn->has_mss && syn->has_ws && syn->sack_perm && syn->has_timestamps);
  g_assert_true (synack->has_mss && synack->has_ws && synack->sack_perm && synack->has_timestamps);
  for (guint k = 2; k < cap->packets->len; k++)
    {
      g_assert_false (hb_test_sniffer_packet (cap, k)->has_ws);
      g_assert_true (hb_test_sniffer_packet (cap, k)->has_timestamps);
    }
  /* The table's numbers, as Wireshark's: from each ISN. */
  conv = hb_conversation_new (0);
  hb_conversation_set_server_port (conv, port);
  for (guint k = 0; k < cap->packets->len; k++)
    hb_conversation_add (conv, hb_test_sniffer_packet (cap, k));
  g_assert_cmpuint (syn->rel_seq, ==, 0);
  g_assert_cmpuint (synack->rel_seq, ==, 0);
  g_assert_cmpuint (synack->rel_ack, ==, 1);
  g_assert_cmpuint (ack->rel_seq, ==, 1);
  g_assert_cmpuint (ack->rel_ack, ==, 1);
  i = hb_test_sniffer_find (cap, 0, port, HB_TCP_PSH);
  g_assert_cmpint (i, >, 0);
  g_assert_cmpuint (hb_test_sniffer_packet (cap, i)->rel_seq, ==, 1);

out:
  hb_test_pair_close (&pair);
  close (listener);
}

/* A SYN to a port where nobody listens: RST, ACK, and ECONNREFUSED. */
static void
test_closed_port (void)
{
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  /* A port held by a socket that does not listen: nobody else takes it. */
  int holder = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  guint port;
  g_autoptr(HbTestSniffer) cap = NULL;
  int fd = -1;
  HbPacket *syn, *rst;

  claim (hb_lesson_reset (), "to a SYN for a port where nobody listens (RST, ACK; connect() fails with ECONNREFUSED)");

  g_assert_cmpint (bind (holder, (struct sockaddr *) &sa, sizeof sa), ==, 0);
  port = hb_test_tcp_local_port (holder);
  cap = hb_test_sniffer_start (port);
  g_assert_cmpint (hb_test_tcp_connect (port, &fd), ==, ECONNREFUSED);

  if (hb_test_sniffer_skip_without (cap))
    goto out;
  hb_assert_eventually (cap->packets->len >= 2);
  syn = hb_test_sniffer_packet (cap, 0);
  rst = hb_test_sniffer_packet (cap, 1);
  g_assert_cmpuint (syn->flags, ==, HB_TCP_SYN);
  g_assert_cmpuint (rst->flags, ==, HB_TCP_RST | HB_TCP_ACK);
  g_assert_true (hb_test_packet_from_port (rst, port));
  /* RFC 9293 §3.5.2: no ACK in the SYN, so seq 0 and ack = seq + length. */
  g_assert_cmpuint (rst->seq, ==, 0);
  g_assert_cmpuint (rst->ack, ==, syn->seq + 1);

out:
  close (holder);
}

/* ---------------------------------------------------------------------- */
/* Data                                                                   */

static void
test_data (void)
{
  const char *text = hb_phase_explanation (HB_TCP_PHASE_DATA);
  guint port;
  int listener = hb_test_tcp_listen (&port);
  g_autoptr(HbTestSniffer) cap = hb_test_sniffer_start (port);
  HbTestPair pair = { 0 };
  int one, two, three, last_ack = -1;

  claim (text, "A line written with one send() usually leaves as one segment");
  claim (text, "Linux sets PSH on the last segment of each write");
  claim (text, "Lines written together share segments");
  claim (text, "The acknowledgement number is the sequence number of the next byte expected");

  hb_test_pair_open (&pair, listener, port);
  /* Two lines in two writes, then three lines in one. */
  hb_test_tcp_send (pair.b, "PING 1\n");
  hb_test_tcp_read_exactly (pair.a, "PING 1\n");
  hb_test_tcp_send (pair.b, "PING 2\n");
  hb_test_tcp_read_exactly (pair.a, "PING 2\n");
  hb_test_tcp_send (pair.b, "MSG a\nMSG b\nMSG c\n");
  hb_test_tcp_read_exactly (pair.a, "MSG a\nMSG b\nMSG c\n");

  if (hb_test_sniffer_skip_without (cap))
    goto out;
  hb_assert_eventually ((three = hb_test_sniffer_find (cap, 0, port, HB_TCP_PSH)) >= 0 &&
                        (three = hb_test_sniffer_find (cap, three + 1, port, HB_TCP_PSH)) >= 0 &&
                        (three = hb_test_sniffer_find (cap, three + 1, port, HB_TCP_PSH)) >= 0);
  one = hb_test_sniffer_find (cap, 0, port, HB_TCP_PSH);
  two = hb_test_sniffer_find (cap, one + 1, port, HB_TCP_PSH);
  g_assert_cmpuint (hb_test_sniffer_packet (cap, one)->payload_len, ==, 7);
  g_assert_true (hb_test_packet_payload_starts (hb_test_sniffer_packet (cap, one), "PING 1\n"));
  g_assert_cmpuint (hb_test_sniffer_packet (cap, two)->payload_len, ==, 7);
  g_assert_cmpuint (hb_test_sniffer_packet (cap, three)->payload_len, ==, 18);
  g_assert_true (hb_test_packet_payload_starts (hb_test_sniffer_packet (cap, three), "MSG a\nMSG b\nMSG c\n"));
  /* The peer's last ACK names the next byte it expects. */
  hb_assert_eventually ((last_ack = hb_test_sniffer_find (cap, three + 1, pair.a_port, HB_TCP_ACK)) >= 0);
  g_assert_cmpuint (hb_test_sniffer_packet (cap, last_ack)->ack, ==, hb_test_sniffer_packet (cap, three)->seq + 18);

out:
  hb_test_pair_close (&pair);
  close (listener);
}

/* ---------------------------------------------------------------------- */
/* Heartbeats: the application's server and client                       */

typedef struct
{
  HbServer     *server;
  HbClient     *client;
  HbConnection *conn;     /* the server's side */
  guint         port;
} Live;

static void
live_start (Live       *live,
            guint       interval_ms,
            guint       timeout_ms,
            const char *first_property,
            ...)
{
  va_list args;

  live->server = g_object_new (HB_TYPE_SERVER, "port", 0, "interval-ms", interval_ms, "timeout-ms", timeout_ms, NULL);
  g_assert_true (hb_server_start (live->server, NULL));
  live->port = hb_server_get_port (live->server);
  live->client = hb_client_new ("127.0.0.1", live->port, "lesson");
  va_start (args, first_property);
  if (first_property != NULL)
    g_object_set_valist (G_OBJECT (live->client), first_property, args);
  va_end (args);
}

static void
live_connect (Live *live)
{
  hb_client_connect (live->client);
  hb_assert_eventually (hb_client_get_client_id (live->client) != 0);
  hb_assert_eventually (g_list_model_get_n_items (hb_server_get_connections (live->server)) == 1);
  live->conn = g_list_model_get_item (hb_server_get_connections (live->server), 0);
}

static void
live_stop (Live *live)
{
  g_clear_object (&live->conn);
  if (live->client != NULL)
    hb_client_abort (live->client);
  g_clear_object (&live->client);
  hb_server_stop (live->server);
  g_clear_object (&live->server);
}

static HbTcpInfo
server_side_info (Live *live)
{
  HbTcpInfo info;

  g_assert_true (hb_tcp_info_query (g_socket_get_fd (hb_connection_get_socket (live->conn)), &info, NULL));
  return info;
}

/* Answering off: the client's kernel ACKs every PING all the same. */
static void
test_unanswered (void)
{
  Live live = { 0 };
  g_autoptr(HbTestSniffer) cap = NULL;
  HbTcpInfo info;

  claim (line_words.answer_hint, "this client's kernel still ACKs each PING");
  claim (line_words.answer_hint, "a capture shows PING, a bare ACK, no PONG");
  claim (hb_phase_explanation (HB_TCP_PHASE_HEARTBEAT), "A stuck client's kernel goes on ACKing every PING");

  live_start (&live, 150, 5000, "answer-pings", FALSE, NULL);
  cap = hb_test_sniffer_start (live.port);
  live_connect (&live);
  hb_assert_eventually (hb_connection_get_pings_sent (live.conn) >= 4 && hb_connection_get_missed (live.conn) >= 3);
  /* Every byte the server sent is acknowledged; no PONG came. */
  hb_assert_eventually ((info = server_side_info (&live)).unacked == 0);
  g_assert_cmpuint (hb_connection_get_pongs_received (live.conn), ==, 0);
  if (info.have_bytes)
    g_assert_cmpuint (info.bytes_acked, >=, hb_connection_get_bytes_out (live.conn));
  /* What the TCP State panel shows of it. */
  {
    g_autofree char *panel = hb_lesson_tcp_info (&info, "");

    claim (panel, "sent, not yet acknowledged 0 segments");
  }

  if (!hb_test_sniffer_skip_without (cap))
    {
      guint pings = 0;

      for (int i = hb_test_sniffer_find (cap, 0, live.port, HB_TCP_PSH); i >= 0; i = hb_test_sniffer_find (cap, i + 1, live.port, HB_TCP_PSH))
        if (hb_test_packet_payload_starts (hb_test_sniffer_packet (cap, i), "PING "))
          {
            HbPacket *ping = hb_test_sniffer_packet (cap, i);
            int reply = hb_test_sniffer_find (cap, i + 1, ping->dst_port, HB_TCP_ACK);

            if (reply < 0)
              continue;   /* the last PING's ACK is still on its way */
            /* The client's next segment: a bare ACK of the PING. */
            g_assert_cmpuint (hb_test_sniffer_packet (cap, reply)->payload_len, ==, 0);
            g_assert_cmpuint (hb_test_sniffer_packet (cap, reply)->ack, ==, ping->seq + ping->payload_len);
            pings++;
          }
      g_assert_cmpuint (pings, >=, 3);
      for (guint i = 0; i < cap->packets->len; i++)
        g_assert_false (hb_test_packet_payload_starts (hb_test_sniffer_packet (cap, i), "PONG"));
    }
  live_stop (&live);
}

/* A student's program (tests/students/lab_client.py) served in the lab's
 * protocol, answering in @mode; LAB_DELAY is its delay in seconds. */
static HbTestProc *
student_on_server (HbServer      *server,
                   const char    *mode,
                   HbConnection **conn)
{
  g_autofree char *port = g_strdup_printf ("%u", hb_server_get_port (server));
  HbTestProc *student = hb_test_proc_student ("lab_client.py", mode, "127.0.0.1", port, NULL);

  hb_assert_eventually (g_list_model_get_n_items (hb_server_get_connections (server)) == 1);
  *conn = g_list_model_get_item (hb_server_get_connections (server), 0);
  return student;
}

static void
student_finish (HbServer   *server,
                HbTestProc *student)
{
  hb_test_proc_close_stdin (student);
  hb_test_proc_wait_exit (student);
  hb_server_stop (server);
}

static HbTcpInfo
socket_info (HbConnection *conn)
{
  HbTcpInfo info;

  g_assert_true (hb_tcp_info_query (g_socket_get_fd (hb_connection_get_socket (conn)), &info, NULL));
  return info;
}

/* A student's program that never answers: its kernel ACKs all the same. */
static void
test_unanswered_student (void)
{
  g_autoptr(HbServer) server = g_object_new (HB_TYPE_SERVER, "port", 0, "protocol", HB_PROTOCOL_LAB,
                                             "interval-ms", 150, "timeout-ms", 5000, NULL);
  g_autoptr(HbTestProc) student = NULL;
  g_autoptr(HbConnection) conn = NULL;
  HbTcpInfo info;

  claim (lab_words.answer_hint, "this side's kernel still ACKs each heartbeat");
  claim (hb_lab_phase_explanation (HB_TCP_PHASE_HEARTBEAT), "as a bare ACK when the answer is late or never comes");

  g_assert_true (hb_server_start (server, NULL));
  student = student_on_server (server, "silent", &conn);
  hb_assert_eventually (hb_connection_get_pings_sent (conn) >= 4 && hb_connection_get_missed (conn) >= 3);
  hb_assert_eventually ((info = socket_info (conn)).unacked == 0);
  if (info.have_bytes)
    g_assert_cmpuint (info.bytes_acked, >=, hb_connection_get_bytes_out (conn));
  g_assert_cmpuint (hb_connection_get_pongs_received (conn), ==, 0);
  student_finish (server, student);
}

/* A student's program that answers 20 ms late: its kernel's ACK of each
 * heartbeat rides on the answer, so the server's kernel RTT grows. */
static void
test_late_student (void)
{
  g_autoptr(HbServer) server = g_object_new (HB_TYPE_SERVER, "port", 0, "protocol", HB_PROTOCOL_LAB,
                                             "interval-ms", 170, "timeout-ms", 5000, NULL);
  g_autoptr(HbTestSniffer) cap = NULL;
  g_autoptr(HbTestProc) student = NULL;
  g_autoptr(HbConnection) conn = NULL;
  HbTcpInfo info;

  claim (lab_words.delay_hint, "at 20 ms: this kernel's ACK of the heartbeat rides on the answer");
  claim (hb_lab_phase_explanation (HB_TCP_PHASE_HEARTBEAT), "on the answer's segment when the answer follows quickly "
                                                            "(piggybacked)");

  g_assert_true (hb_server_start (server, NULL));
  cap = hb_test_sniffer_start (hb_server_get_port (server));
  student = student_on_server (server, "late", &conn);   /* LAB_DELAY: see main() */
  hb_assert_eventually (hb_connection_get_pongs_received (conn) >= 8);
  info = socket_info (conn);
  g_test_message ("a student's answers 20 ms late: application RTT %.3f ms, kernel SRTT %.3f ms",
                  hb_connection_get_rtt_last (conn) / 1000.0, info.rtt_us / 1000.0);
  g_assert_cmpint (hb_connection_get_rtt_last (conn), >=, 20000);
  g_assert_cmpuint (info.rtt_us, >=, 8000);

  if (!hb_test_sniffer_skip_without (cap))
    {
      guint port = hb_server_get_port (server), checked = 0, n_beats = 0;

      for (int i = hb_test_sniffer_find (cap, 0, port, HB_TCP_PSH); i >= 0;
           i = hb_test_sniffer_find (cap, i + 1, port, HB_TCP_PSH))
        {
          HbPacket *beat = hb_test_sniffer_packet (cap, i);
          int r = hb_test_sniffer_find (cap, i + 1, beat->dst_port, HB_TCP_ACK);

          if (r < 0 || !hb_test_packet_payload_starts (beat, "heartbeat"))
            continue;
          /* The student's next segment is its answer, with the ACK; but
           * for the first heartbeat, which a new connection's kernel
           * ACKs at once (its quick ACKs, before any data came back). */
          if (n_beats++ == 0)
            continue;
          g_assert_true (hb_test_packet_payload_starts (hb_test_sniffer_packet (cap, r), "heartbeat ack"));
          g_assert_cmpuint (hb_test_sniffer_packet (cap, r)->ack, >=, beat->seq + beat->payload_len);
          checked++;
        }
      g_assert_cmpuint (checked, >=, 6);
    }
  student_finish (server, student);
}

/* Delay answers: does the ACK of the PING wait for the PONG? */
static void
delayed_pongs (guint delay_ms)
{
  Live live = { 0 };
  g_autoptr(HbTestSniffer) cap = NULL;
  HbTcpInfo info;
  guint pongs = 8;

  claim (line_words.delay_hint, "The server's RTT column grows by the delay.");
  claim (line_words.delay_hint, "So does the kernel RTT of the server's socket (TCP State tab of its timeline) at "
                                "20 ms: this kernel's ACK of the PING rides on the PONG.");
  claim (line_words.delay_hint, "At 300 ms the ACK goes alone, and the kernel RTT stays a few milliseconds.");
  claim (hb_phase_explanation (HB_TCP_PHASE_HEARTBEAT), "So a quick PONG carries the ACK of its PING, and a late one follows a bare ACK.");

  live_start (&live, delay_ms + 150, 5000, "pong-delay-ms", delay_ms, NULL);
  cap = hb_test_sniffer_start (live.port);
  live_connect (&live);
  hb_assert_eventually (hb_connection_get_pongs_received (live.conn) >= pongs);

  /* The application's RTT holds the delay... */
  g_assert_cmpint (hb_connection_get_rtt_last (live.conn), >=, delay_ms * 1000);
  /* ...and the kernel's, measured on the server's socket, only when the
   * ACK of each PING rode on its PONG. */
  info = server_side_info (&live);
  g_test_message ("delay %u ms: application RTT %.3f ms, kernel SRTT %.3f ms", delay_ms,
                  hb_connection_get_rtt_last (live.conn) / 1000.0, info.rtt_us / 1000.0);
  if (delay_ms == 20)
    g_assert_cmpuint (info.rtt_us, >=, 8000);
  else
    g_assert_cmpuint (info.rtt_us, <, 5000);
  /* The TCP State panel's RTO: SRTT + max(4·RTTVAR, 200 ms) (RFC 6298 §2,
   * Linux's floor), counted in ticks of up to 4 ms. */
  {
    g_autofree char *panel = hb_lesson_tcp_info (&info, "");

    claim (panel, "= SRTT + max(4·RTTVAR, 200 ms on Linux)");
    g_assert_cmpuint (info.rto_us + 4000, >=, info.rtt_us + MAX (4 * info.rttvar_us, 200000));
  }

  if (!hb_test_sniffer_skip_without (cap))
    {
      guint checked = 0;
      guint n_ping = 0;

      for (int i = hb_test_sniffer_find (cap, 0, live.port, HB_TCP_PSH); i >= 0; i = hb_test_sniffer_find (cap, i + 1, live.port, HB_TCP_PSH))
        {
          HbPacket *ping = hb_test_sniffer_packet (cap, i), *reply;
          int r;

          if (!hb_test_packet_payload_starts (ping, "PING "))
            continue;
          r = hb_test_sniffer_find (cap, i + 1, ping->dst_port, HB_TCP_ACK);
          if (r < 0)
            break;
          reply = hb_test_sniffer_packet (cap, r);
          n_ping++;
          g_assert_cmpuint (reply->ack, >=, ping->seq + ping->payload_len);
          if (delay_ms == 20)
            {
              /* The client's next segment is the PONG, carrying the ACK. */
              g_assert_true (hb_test_packet_payload_starts (reply, "PONG "));
            }
          else
            {
              /* A bare ACK: the first after the delayed-ACK time, then at
               * once; the PONG comes 300 ms later. */
              g_assert_cmpuint (reply->payload_len, ==, 0);
              if (n_ping >= 2)
                g_assert_cmpint (reply->time_us - ping->time_us, <, 5000);
            }
          checked++;
        }
      g_assert_cmpuint (checked, >=, 6);
    }
  live_stop (&live);
}

static void
test_delay_20 (void)
{
  delayed_pongs (20);
}

static void
test_delay_300 (void)
{
  delayed_pongs (300);
}

/* ---------------------------------------------------------------------- */
/* Teardown                                                               */

/* The FIN, the ACK riding on the peer's FIN or not, and the final ACK.
 * With @ack_alone the second closer waits for its kernel's delayed ACK of
 * the first FIN before it closes; without, it closes at once. */
static void
teardown (gboolean ack_alone)
{
  const char *text = hb_phase_explanation (HB_TCP_PHASE_TEARDOWN);
  guint port;
  int listener = hb_test_tcp_listen (&port);
  g_autoptr(HbTestSniffer) cap = hb_test_sniffer_start (port);
  HbTestPair pair = { 0 };
  char byte;
  int fin_a, fin_b, i;

  claim (text, "A FIN takes up one sequence number, like a SYN: it is acknowledged with its seq+1.");
  claim (text, "Linux delays the ACK of a FIN like any ACK (about 40 ms); if the other program closes within "
               "that time, the ACK rides on its FIN");

  hb_test_pair_open (&pair, listener, port);
  hb_test_pair_chat (&pair);
  /* A conversation goes quiet before it closes: the last data is
   * acknowledged (after the delayed-ACK time), and the FIN travels alone.
   * (A FIN right behind unacknowledged data may be sent again by the
   * tail loss probe, and a duplicate is ACKed at once.) */
  hb_assert_eventually (hb_test_tcp_unacked (pair.a) == 0 && hb_test_tcp_unacked (pair.b) == 0);
  close (pair.a);
  pair.a = -1;
  hb_test_tcp_wait_readable (pair.b);
  /* Without a capture there is nothing to wait for: the test skips below. */
  if (ack_alone && cap != NULL)
    hb_assert_eventually ((fin_a = hb_test_sniffer_find (cap, 0, pair.a_port, HB_TCP_FIN)) >= 0 &&
                          hb_test_sniffer_find (cap, fin_a + 1, port, HB_TCP_ACK) >= 0);
  g_assert_cmpint (recv (pair.b, &byte, 1, 0), ==, 0);
  close (pair.b);
  pair.b = -1;

  if (hb_test_sniffer_skip_without (cap))
    goto out;
  hb_assert_eventually ((fin_a = hb_test_sniffer_find (cap, 0, pair.a_port, HB_TCP_FIN)) >= 0 &&
                        (fin_b = hb_test_sniffer_find (cap, 0, port, HB_TCP_FIN)) >= 0 &&
                        hb_test_sniffer_find (cap, fin_b + 1, pair.a_port, HB_TCP_ACK) >= 0);
  /* The peer's FIN acknowledges the first one's number + 1... */
  g_assert_cmpuint (hb_test_sniffer_packet (cap, fin_b)->ack, ==, hb_test_sniffer_packet (cap, fin_a)->seq + 1);
  /* ...and so does the final ACK. */
  i = hb_test_sniffer_find (cap, fin_b + 1, pair.a_port, HB_TCP_ACK);
  g_assert_cmpuint (hb_test_sniffer_packet (cap, i)->ack, ==, hb_test_sniffer_packet (cap, fin_b)->seq + 1);
  g_assert_cmpuint (hb_test_sniffer_packet (cap, i)->seq, ==, hb_test_sniffer_packet (cap, fin_a)->seq + 1);
  /* Between the FINs, from the second closer: nothing (three segments),
   * or a delayed ACK of the first FIN (four). */
  i = hb_test_sniffer_find (cap, fin_a + 1, port, HB_TCP_ACK);
  if (!ack_alone)
    g_assert_cmpint (i, ==, fin_b);
  else
    {
      gint64 delay = hb_test_sniffer_packet (cap, i)->time_us - hb_test_sniffer_packet (cap, fin_a)->time_us;

      g_assert_cmpint (i, <, fin_b);
      g_assert_cmpuint (hb_test_sniffer_packet (cap, i)->ack, ==, hb_test_sniffer_packet (cap, fin_a)->seq + 1);
      g_test_message ("the ACK of the FIN came %.1f ms after it", delay / 1000.0);
      g_assert_cmpint (delay, >=, 30000);
      g_assert_cmpint (delay, <, 200000);
    }

out:
  hb_test_pair_close (&pair);
  close (listener);
}

static void
test_teardown_three (void)
{
  teardown (FALSE);
}

static void
test_teardown_four (void)
{
  teardown (TRUE);
}

/* The kernel enters CLOSE_WAIT on the FIN; the program learns it from
 * read() returning 0, and stays there until it closes. The first closer
 * ends in TIME_WAIT, for Linux's 60 s. */
static void
test_close_wait (void)
{
  const char *text = hb_phase_explanation (HB_TCP_PHASE_TEARDOWN);
  guint port;
  int listener = hb_test_tcp_listen (&port);
  HbTestPair pair = { 0 };
  char byte, needle[32];
  gboolean found = FALSE;
  FILE *proc;
  char line[512];

  claim (text, "The other kernel enters CLOSE_WAIT the moment the FIN arrives; its program learns of it only when "
               "read() returns 0, and a program that never closes stays in CLOSE_WAIT for ever.");
  claim (text, "Linux uses a fixed 60 s");
  {
    g_autofree char *panel = hb_lesson_closed_socket (HB_TCP_TIME_WAIT);

    claim (panel, "in TIME_WAIT for 60 s");
  }

  hb_test_pair_open (&pair, listener, port);
  hb_test_pair_chat (&pair);
  close (pair.a);
  pair.a = -1;
  /* Nothing read yet: the kernel is in CLOSE_WAIT already. */
  hb_assert_eventually (hb_test_tcp_state (pair.b) == HB_TCP_CLOSE_WAIT);
  g_assert_cmpuint (hb_test_tcp_unread (pair.b), ==, 0);
  g_assert_cmpint (recv (pair.b, &byte, 1, 0), ==, 0);
  /* Read, not closed: still CLOSE_WAIT, however long. The first closer in
   * FIN_WAIT2 has the ACK of its FIN: this kernel has done all it does
   * until its program closes. */
  hb_assert_eventually (hb_tcp_state_lookup ("127.0.0.1", pair.a_port, "127.0.0.1", port) == HB_TCP_FIN_WAIT2);
  g_assert_cmpint (hb_test_tcp_state (pair.b), ==, HB_TCP_CLOSE_WAIT);
  close (pair.b);
  pair.b = -1;

  /* The first closer's connection in TIME_WAIT, its timer (tr 3) at most
   * 60 s in clock ticks: /proc/net/tcp's "tr:tm->when". */
  hb_assert_eventually (hb_tcp_state_lookup ("127.0.0.1", pair.a_port, "127.0.0.1", port) == HB_TCP_TIME_WAIT);
  g_snprintf (needle, sizeof needle, "0100007F:%04X 0100007F:%04X 06 ", pair.a_port, port);
  proc = fopen ("/proc/net/tcp", "r");
  g_assert_nonnull (proc);
  while (fgets (line, sizeof line, proc) != NULL)
    {
      char *at = strstr (line, needle);
      unsigned tx, rx, timer, when;
      long ticks = sysconf (_SC_CLK_TCK);

      if (at == NULL)
        continue;
      g_assert_cmpint (sscanf (at + strlen (needle), "%x:%x %x:%x", &tx, &rx, &timer, &when), ==, 4);
      g_assert_cmpuint (timer, ==, 3);
      g_assert_cmpuint (when, <=, 60 * ticks);
      g_assert_cmpuint (when, >, 50 * ticks);
      found = TRUE;
    }
  fclose (proc);
  g_assert_true (found);
  close (listener);
}

/* ---------------------------------------------------------------------- */
/* Resets                                                                 */

/* SO_LINGER {1, 0} resets; {0, 0} is an ordinary close with FIN. */
static void
test_linger (void)
{
  const char *text = hb_lesson_reset ();
  guint port;
  int listener = hb_test_tcp_listen (&port);
  g_autoptr(HbTestSniffer) cap = hb_test_sniffer_start (port);
  HbTestPair on = { 0 }, off = { 0 };
  char byte;

  claim (text, "closing with SO_LINGER set to {1, 0}");
  claim (text, "{0, 0} is linger off, an ordinary close with FIN");
  claim (line_words.abort_hint, "Closes at once with SO_LINGER {1, 0}");
  claim (lab_words.abort_hint, "Closes at once with SO_LINGER {1, 0}");

  hb_test_pair_open (&on, listener, port);
  hb_test_tcp_set_linger (on.a, 1, 0);
  close (on.a);
  on.a = -1;
  hb_assert_eventually (hb_test_tcp_state (on.b) == HB_TCP_CLOSE);
  g_assert_cmpint (recv (on.b, &byte, 1, 0), ==, -1);
  g_assert_cmpint (errno, ==, ECONNRESET);

  hb_test_pair_open (&off, listener, port);
  hb_test_tcp_set_linger (off.a, 0, 0);
  close (off.a);
  off.a = -1;
  hb_test_tcp_wait_readable (off.b);
  g_assert_cmpint (recv (off.b, &byte, 1, 0), ==, 0);
  close (off.b);
  off.b = -1;

  if (hb_test_sniffer_skip_without (cap))
    goto out;
  hb_assert_eventually (hb_test_sniffer_count (cap, on.a_port, HB_TCP_RST) == 1 &&
                        hb_test_sniffer_count (cap, off.a_port, HB_TCP_FIN) == 1 &&
                        hb_test_sniffer_find (cap, 0, port, HB_TCP_FIN) >= 0);
  g_assert_cmpuint (hb_test_sniffer_count (cap, on.a_port, HB_TCP_FIN), ==, 0);
  g_assert_cmpuint (hb_test_sniffer_count (cap, off.a_port, HB_TCP_RST), ==, 0);

out:
  hb_test_pair_close (&on);
  hb_test_pair_close (&off);
  close (listener);
}

/* The client window's Abort: the server reads what had arrived, then
 * gets ECONNRESET. */
static void
test_reads_before_reset (void)
{
  guint port;
  int listener = hb_test_tcp_listen (&port);
  g_autoptr(HbTestSniffer) cap = hb_test_sniffer_start (port);
  g_autoptr(HbClient) client = hb_client_new ("127.0.0.1", port, "lesson");
  g_autoptr(GBytes) hello = g_bytes_new_static ("hello", 5);
  int server_fd;
  char byte;

  claim (hb_lesson_reset (), "The receiver still reads the bytes that had arrived before the RST; then its read or "
                             "write fails with ECONNRESET");
  claim (line_words.abort_hint, "The server still reads what had arrived, then recv() fails");
  claim (raw_words.abort_hint, "The server's recv() still returns what had arrived, then fails");

  g_object_set (client, "protocol", HB_PROTOCOL_RAW, NULL);
  hb_client_connect (client);
  hb_assert_eventually (hb_client_get_state (client) == HB_CLIENT_CONNECTED);
  server_fd = accept4 (listener, NULL, NULL, SOCK_CLOEXEC);
  g_assert_cmpint (server_fd, >=, 0);
  g_assert_true (hb_client_send_bytes (client, hello));
  hb_assert_eventually (hb_test_tcp_unread (server_fd) == 5);
  hb_client_abort (client);
  hb_assert_eventually (hb_test_tcp_state (server_fd) == HB_TCP_CLOSE);
  hb_test_tcp_read_exactly (server_fd, "hello");
  g_assert_cmpint (recv (server_fd, &byte, 1, 0), ==, -1);
  g_assert_cmpint (errno, ==, ECONNRESET);

  if (!hb_test_sniffer_skip_without (cap))
    {
      guint client_port;

      hb_assert_eventually (cap->packets->len > 0);
      client_port = hb_test_sniffer_packet (cap, 0)->src_port;   /* its SYN */
      hb_assert_eventually (hb_test_sniffer_count (cap, client_port, HB_TCP_RST) == 1);
      g_assert_cmpuint (hb_test_sniffer_count (cap, client_port, HB_TCP_FIN), ==, 0);
    }
  close (server_fd);
  close (listener);
}

/* Data arriving after close() draws an RST. */
static void
test_data_after_close (void)
{
  guint port;
  int listener = hb_test_tcp_listen (&port);
  g_autoptr(HbTestSniffer) cap = hb_test_sniffer_start (port);
  HbTestPair pair = { 0 };
  char byte;
  int late;

  claim (hb_lesson_reset (), "to data that arrives after its program has closed the socket");

  hb_test_pair_open (&pair, listener, port);
  close (pair.a);
  pair.a = -1;
  hb_test_tcp_wait_readable (pair.b);
  g_assert_cmpint (recv (pair.b, &byte, 1, 0), ==, 0);
  /* Half-closed is not closed: this side may still write... */
  hb_test_tcp_send (pair.b, "late\n");
  /* ...but the closed socket answers with RST. */
  hb_assert_eventually (hb_test_tcp_state (pair.b) == HB_TCP_CLOSE);
  g_assert_cmpint (send (pair.b, "again\n", 6, MSG_NOSIGNAL), ==, -1);
  g_assert_true (errno == EPIPE || errno == ECONNRESET);

  if (hb_test_sniffer_skip_without (cap))
    goto out;
  hb_assert_eventually ((late = hb_test_sniffer_find (cap, 0, port, HB_TCP_PSH)) >= 0 &&
                        hb_test_sniffer_find (cap, late + 1, pair.a_port, HB_TCP_RST) >= 0);
  g_assert_true (hb_test_packet_payload_starts (hb_test_sniffer_packet (cap, late), "late"));

out:
  hb_test_pair_close (&pair);
  close (listener);
}

/* close() with unread bytes resets instead of FIN. */
static void
test_close_unread (void)
{
  guint port;
  int listener = hb_test_tcp_listen (&port);
  g_autoptr(HbTestSniffer) cap = hb_test_sniffer_start (port);
  HbTestPair pair = { 0 };
  char byte;

  claim (hb_lesson_reset (), "when a program closes a socket that still holds unread bytes");

  hb_test_pair_open (&pair, listener, port);
  hb_test_tcp_send (pair.b, "unread\n");
  hb_assert_eventually (hb_test_tcp_unread (pair.a) == 7);
  close (pair.a);
  pair.a = -1;
  hb_assert_eventually (hb_test_tcp_state (pair.b) == HB_TCP_CLOSE);
  g_assert_cmpint (recv (pair.b, &byte, 1, 0), ==, -1);
  g_assert_cmpint (errno, ==, ECONNRESET);

  if (hb_test_sniffer_skip_without (cap))
    goto out;
  hb_assert_eventually (hb_test_sniffer_count (cap, pair.a_port, HB_TCP_RST | HB_TCP_ACK) == 1);
  g_assert_cmpuint (hb_test_sniffer_count (cap, pair.a_port, HB_TCP_FIN), ==, 0);

out:
  hb_test_pair_close (&pair);
  close (listener);
}

/* ---------------------------------------------------------------------- */
/* Not reading                                                            */

/* Heartbeats only: the window stays open, the server gives up, and the
 * client's socket sits in CLOSE_WAIT with BYE and FIN unread. */
static void
test_stop_reading (void)
{
  Live live = { 0 };
  g_autoptr(HbTestSniffer) cap = NULL;
  guint32 first_wnd = 0, least_wnd = G_MAXUINT32;
  gint64 deadline;
  char peek[4096];
  gssize n;
  int fd;

  claim (line_words.reading_hint, "its kernel still ACKs. PINGs pile up unread, but the window hardly shrinks.");
  claim (line_words.reading_hint, "The server gives up (BYE timeout, then FIN), unread: this socket stays in "
                                  "CLOSE_WAIT.");

  live_start (&live, 150, 1000, NULL);
  cap = hb_test_sniffer_start (live.port);
  live_connect (&live);
  fd = g_socket_get_fd (hb_client_get_socket (live.client));
  g_object_set (live.client, "reading", FALSE, NULL);
  /* The window the client advertises, as the server's kernel heard it,
   * while PINGs pile up, until the server closes. */
  deadline = g_get_monotonic_time () + (gint64) hb_test_timeout_ms () * 1000;
  while (!hb_connection_get_closing (live.conn))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("the server did not give up on a client that does not answer");
      HbTcpInfo info = server_side_info (&live);

      if (!info.have_snd_wnd)
        break;
      if (first_wnd == 0)
        first_wnd = info.snd_wnd;
      least_wnd = MIN (least_wnd, info.snd_wnd);
      hb_test_iterate (g_get_monotonic_time () + 20000);
    }
  if (first_wnd > 0)
    {
      g_test_message ("window %u, at least %u, with %zu bytes unread", first_wnd, least_wnd, hb_test_tcp_unread (fd));
      g_assert_cmpuint (least_wnd, >, 0);
      g_assert_cmpuint (least_wnd, >=, first_wnd > 4096 ? first_wnd - 4096 : 0);
    }
  /* The server's BYE and FIN: the client's kernel has them... */
  hb_assert_eventually (hb_test_tcp_state (fd) == HB_TCP_CLOSE_WAIT);
  g_assert_cmpuint (hb_connection_get_pings_sent (live.conn), >=, 3);
  n = recv (fd, peek, sizeof peek - 1, MSG_PEEK | MSG_DONTWAIT);
  g_assert_cmpint (n, >, 0);
  peek[n] = '\0';
  g_assert_nonnull (strstr (peek, "PING "));
  g_assert_nonnull (strstr (peek, "BYE timeout"));
  /* ...and the client, not reading, never hears of them: whatever they
   * made ready on this loop has run. */
  hb_test_run_pending ();
  g_assert_cmpint (hb_client_get_state (live.client), ==, HB_CLIENT_CONNECTED);
  g_assert_cmpint (hb_test_tcp_state (fd), ==, HB_TCP_CLOSE_WAIT);

  if (!hb_test_sniffer_skip_without (cap))
    {
      guint client_port = hb_test_tcp_local_port (fd);

      hb_assert_eventually (hb_test_sniffer_find (cap, 0, live.port, HB_TCP_FIN) >= 0);
      for (guint i = 0; i < cap->packets->len; i++)
        if (hb_test_sniffer_packet (cap, i)->src_port == client_port)
          g_assert_cmpuint (hb_test_sniffer_packet (cap, i)->win_raw, >, 0);
    }
  live_stop (&live);
}

/* The times of the zero-window probes sent to @receiver: no data, and
 * one below the next byte it expects (Wireshark names them Keep-Alive). */
static guint
window_probes (HbTestSniffer *cap,
               guint    receiver,
               GArray  *probes)
{
  guint32 next = 0;

  g_array_set_size (probes, 0);
  for (guint i = 0; i < cap->packets->len; i++)
    {
      HbPacket *p = hb_test_sniffer_packet (cap, i);

      if (p->src_port == receiver && p->win_raw == 0)
        next = p->ack;
      else if (p->dst_port == receiver && next != 0 && p->payload_len == 0 && p->seq == next - 1)
        g_array_append_val (probes, p->time_us);
    }
  return probes->len;
}

/* A flood does close the window; then the sender probes it, less and
 * less often. */
static void
test_zero_window (void)
{
  guint port;
  int listener = hb_test_tcp_listen (&port);
  g_autoptr(HbTestSniffer) cap = hb_test_sniffer_start (port);
  g_autofree char *block = g_malloc0 (65536);
  HbTestPair pair = { 0 };
  gssize n;
  HbTcpInfo info;

  claim (line_words.reading_hint, "Only a flood brings window 0; the server's kernel then probes it, less and less "
                                  "often (persist timer).");

  hb_test_pair_open (&pair, listener, port);
  /* b writes until nothing more fits; a reads nothing. */
  g_assert_cmpint (hb_test_tcp_set_nonblocking (pair.b), ==, 0);
  do
    n = send (pair.b, block, 65536, MSG_NOSIGNAL);
  while (n > 0);
  g_assert_cmpint (errno, ==, EAGAIN);
  g_assert_true (hb_tcp_info_query (pair.b, &info, NULL));
  if (info.have_snd_wnd)
    {
      g_autofree char *panel = NULL;

      hb_assert_eventually (hb_tcp_info_query (pair.b, &info, NULL) && info.snd_wnd == 0);
      panel = hb_lesson_tcp_info (&info, "");
      claim (panel, "The peer's window 0 bytes");
    }

  if (!hb_test_sniffer_skip_without (cap))
    {
      g_autoptr(GArray) probes = g_array_new (FALSE, FALSE, sizeof (gint64));

      hb_assert_eventually (window_probes (cap, pair.a_port, probes) >= 3);
      /* ...backing off: each wait longer than the one before. */
      for (guint i = 2; i < probes->len; i++)
        g_assert_cmpint (g_array_index (probes, gint64, i) - g_array_index (probes, gint64, i - 1), >,
                         g_array_index (probes, gint64, i - 1) - g_array_index (probes, gint64, i - 2));
    }
  hb_test_pair_close (&pair);
  close (listener);
}
int
main (int    argc,
      char **argv)
{
  /* The late student's delay (set before any thread starts). */
  g_setenv ("LAB_DELAY", "0.02", TRUE);
  /* The texts as the application shows them in English. */
  g_setenv ("LANGUAGE", "C", TRUE);
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);
  hb_client_words_get (HB_PROTOCOL_LINE, &line_words);
  hb_client_words_get (HB_PROTOCOL_LAB, &lab_words);
  hb_client_words_get (HB_PROTOCOL_RAW, &raw_words);

  g_test_add_func ("/lessons/handshake/segments", test_handshake);
  g_test_add_func ("/lessons/handshake/closed-port", test_closed_port);
  g_test_add_func ("/lessons/data/segments", test_data);
  g_test_add_func ("/lessons/heartbeat/unanswered", test_unanswered);
  g_test_add_func ("/lessons/heartbeat/unanswered-student", test_unanswered_student);
  g_test_add_func ("/lessons/heartbeat/delay-20ms", test_delay_20);
  g_test_add_func ("/lessons/heartbeat/delay-20ms-student", test_late_student);
  g_test_add_func ("/lessons/heartbeat/delay-300ms", test_delay_300);
  g_test_add_func ("/lessons/teardown/three-segments", test_teardown_three);
  g_test_add_func ("/lessons/teardown/four-segments", test_teardown_four);
  g_test_add_func ("/lessons/teardown/close-wait", test_close_wait);
  g_test_add_func ("/lessons/reset/linger", test_linger);
  g_test_add_func ("/lessons/reset/reads-before-reset", test_reads_before_reset);
  g_test_add_func ("/lessons/reset/data-after-close", test_data_after_close);
  g_test_add_func ("/lessons/reset/close-unread", test_close_unread);
  g_test_add_func ("/lessons/stop-reading/close-wait", test_stop_reading);
  g_test_add_func ("/lessons/stop-reading/zero-window", test_zero_window);
  return g_test_run ();
}
