/* hb-lesson.c - what the teaching view says: each phase of a TCP conversation, a reset, message boundaries, the kernel's view
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The texts sit beside a ladder: a few short paragraphs each, in the words
 * a student meets in a textbook and in Wireshark, true of RFC 9293 and of
 * Linux as measured on loopback. The RFC sections are cited here, next to
 * each text, never in the window. tests/test-lessons.c checks every claim
 * that can be shown on loopback against these very strings, so that a text
 * and the behaviour it describes cannot drift apart: change a claim here
 * and change its test with it.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "hb-lesson.h"

const char *
hb_phase_explanation (int phase)
{
  switch (phase)
    {
    case HB_TCP_PHASE_HANDSHAKE:
      /* RFC 9293 §3.3.2 (states), §3.4 (a SYN occupies one sequence
       * number), §3.4.1 (ISN: a clock plus a keyed hash of the
       * connection's addresses and ports, RFC 6528), §3.5 (why three
       * segments: an old duplicate SYN must not open a connection; the
       * client resets a SYN, ACK that does not acknowledge its own SYN),
       * §3.7.1 (MSS). RFC 7323 §2.2 (WS: a shift count S, the factor
       * 2^S, sent only in a SYN; the window of a SYN is never scaled) and
       * §3 (timestamps). RFC 2018 (SACK_PERM). Wireshark's relative
       * numbers count from each direction's ISN. */
      return _("Three-way handshake. The client's kernel sends SYN with its initial sequence number (ISN) x "
               "and enters SYN_SENT. The server's kernel answers SYN, ACK with its own ISN y and ack x+1 — a "
               "SYN takes up one sequence number — and enters SYN_RCVD. The client is ESTABLISHED when the "
               "SYN, ACK arrives and sends ACK y+1; the server is ESTABLISHED when that ACK arrives. The table "
               "counts from each ISN, as Wireshark does: x and y show as 0, x+1 and y+1 as 1. The kernels do "
               "all this before the server program's accept() returns the connection.\n\n"
               "Why three segments: each side's ISN must be acknowledged by the other, and an old duplicate "
               "SYN must not open a connection — the client answers a SYN, ACK it did not ask for with RST. "
               "ISNs are hard to guess (a clock plus a secret hash of the addresses and ports), so segments of "
               "an earlier connection on the same ports do not fit this one.\n\n"
               "Options in the SYNs: MSS, the largest segment this side accepts; WS, the window scale shift "
               "S: later windows are multiplied by 2^S (only a SYN carries it, and a SYN's own window is "
               "never scaled); SACK_PERM, selective acknowledgements are welcome; TS, timestamps, then in "
               "every segment, for measuring the RTT and telling old segments from new.");
    case HB_TCP_PHASE_DATA:
      /* RFC 9293 §3.4 (the acknowledgement number is the next sequence
       * number expected; cumulative), §3.7.4 (Nagle; TCP_NODELAY turns it
       * off: hb-channel.c sets it), §3.9.1.2 (PSH: deliver promptly;
       * Linux's tcp_push() marks the last segment of each write),
       * §3.8.6.3 (delayed ACKs; Linux waits at least 40 ms,
       * TCP_DELACK_MIN), §3.8 (a byte stream: no boundaries). */
      return _("Data. A line written with one send() usually leaves as one segment: the sockets set "
               "TCP_NODELAY, so Nagle's algorithm does not hold small writes back. It is flagged PSH, ACK: "
               "Linux sets PSH on the last segment of each write, asking the receiver to hand the bytes to "
               "the program without waiting for more. Lines written together share segments — the ladder "
               "shows “(+N)” for the lines after the first — and a write longer than the MSS takes several.\n\n"
               "The acknowledgement number is the sequence number of the next byte expected: the seq plus "
               "the length of everything received in order. ACKs are cumulative: one covers every byte "
               "before it. A pure ACK may be delayed (about 40 ms on Linux) or ride on data going the other "
               "way (piggybacked). TCP carries a byte stream: a line ends at its LF, not where a segment "
               "ends.");
    case HB_TCP_PHASE_HEARTBEAT:
      /* RFC 9293 §3.8.1 and RFC 6298 (the kernel's RTT: a segment to
       * the ACK covering it), §3.8.6.3 (delayed ACKs, and ACKs sent with
       * data), §3.8.4 (keep-alives: off by default, an interval of at
       * least two hours; Linux's tcp_keepalive_time is 7200 s). Measured
       * on Linux: a PONG written within the delayed-ACK time carries the
       * ACK of its PING; a later one follows a bare ACK. */
      return _("Heartbeat. Every interval the server writes PING n and the client answers PONG n. The RTT in "
               "the server's list runs from writing PING to reading PONG: it includes both programs' own "
               "delays. The kernel's RTT (TCP State tab) times a segment until the ACK that covers it, and "
               "that ACK may itself wait: the client's kernel holds it back (delayed ACK, about 40 ms on "
               "Linux) and, if the PONG is written meanwhile, sends it on the PONG's segment (piggybacked). "
               "So a quick PONG carries the ACK of its PING, and a late one follows a bare ACK.\n\n"
               "Why a heartbeat when TCP has keep-alive? Keep-alive is off unless a program turns it on "
               "(SO_KEEPALIVE), probes only after two hours of silence, and is answered by the peer's "
               "kernel: it proves the kernel is alive, not that the program still reads and answers. A "
               "stuck client's kernel goes on ACKing every PING; only the missing PONG shows that the "
               "program is gone.");
    case HB_TCP_PHASE_TEARDOWN:
      /* RFC 9293 §3.4 (a FIN occupies one sequence number), §3.6 and
       * its Figure 12 (the normal close), §3.10.7.4 (“eighth, check the
       * FIN bit”: ESTABLISHED → CLOSE-WAIT when the FIN arrives; Linux's
       * tcp_fin(); the program sees read() return 0), §3.3.2 and §3.4.2
       * (TIME-WAIT lasts 2 MSL, MSL = 2 minutes; Linux: TCP_TIMEWAIT_LEN,
       * a fixed 60 s; its two reasons: the last ACK may need sending
       * again, and old duplicates must die out). Linux enters pingpong
       * mode on a FIN, so its ACK is delayed like any other (measured
       * ~40 ms once data has flowed). */
      return _("Teardown. The side that closes first sends FIN and enters FIN_WAIT1. A FIN takes up one "
               "sequence number, like a SYN: it is acknowledged with its seq+1. The other kernel enters "
               "CLOSE_WAIT the moment the FIN arrives; its program learns of it only when read() returns 0, "
               "and a program that never closes stays in CLOSE_WAIT for ever. Once its FIN is acknowledged, "
               "the first side waits in FIN_WAIT2. When the other program closes, its FIN goes out "
               "(LAST_ACK), and the first side's ACK of it ends the connection.\n\n"
               "Three segments or four: Linux delays the ACK of a FIN like any ACK (about 40 ms); if the "
               "other program closes within that time, the ACK rides on its FIN — on any network, not only "
               "on loopback.\n\n"
               "TIME_WAIT: the side that closed first keeps the connection for 2 MSL — the RFC's MSL is 2 "
               "minutes, Linux uses a fixed 60 s — for two reasons: to send the last ACK again if it was "
               "lost and the FIN comes again, and to let old duplicate segments die out before the same "
               "addresses and ports make a new connection. An RST instead aborts: no FIN, no TIME_WAIT.");
    default:
      return "";
    }
}

const char *
hb_lab_phase_explanation (HbTcpPhase phase)
{
  switch (phase)
    {
    case HB_TCP_PHASE_HEARTBEAT:
      /* As the line protocol's heartbeat: RFC 9293 §3.8.6.3 (delayed and
       * piggybacked ACKs), §3.8.4 (keep-alives). */
      return _("Heartbeat. In the lab's protocol the server writes its heartbeat (by default the 9 bytes "
               "“heartbeat”) every interval and the client answers with the ack (“heartbeat ack”): raw "
               "bytes, no number, no newline. The RTT in the server's list runs from writing the heartbeat "
               "to reading the ack: it includes both programs' own delays.\n\n"
               "The TCP ACK of the heartbeat's bytes comes from the client's kernel, not from its program: "
               "on the answer's segment when the answer follows quickly (piggybacked), as a bare ACK when "
               "the answer is late or never comes. A program that has stopped answering still has its "
               "kernel's ACKs — which is why TCP's keep-alive cannot replace a heartbeat.");
    case HB_TCP_PHASE_DATA:
      /* RFC 9293 §3.8 (a byte stream), §3.9.1.2 (PSH), §3.4
       * (cumulative acknowledgement), §3.8.6.3 (delayed ACKs). */
      return _("Data. In the lab's protocol a message is the bytes typed, sent as they are, with no newline "
               "and no length: only what arrives next tells the receiver where it ended. One send() usually "
               "leaves as one segment flagged PSH, ACK (Linux sets PSH on the last segment of each write), "
               "but TCP may join writes together or cut one apart.\n\n"
               "The acknowledgement number is the sequence number of the next byte expected: the seq plus "
               "the length of everything received in order. ACKs are cumulative, and a pure ACK may be "
               "delayed (about 40 ms on Linux) or ride on data going the other way (piggybacked).");
    default:
      return hb_phase_explanation (phase);
    }
}

const char *
hb_lesson_reset (void)
{
  /* RFC 9293 §3.5.2 (reset generation: any segment for a connection
   * that does not exist, a SYN to a port nobody listens on among them,
   * answered by RST, ACK with ack = seq + length), §3.6.1 (SHLD-2: a
   * CLOSE with received data still pending, or new data arriving after
   * CLOSE, sends RST; Linux does both), §3.10.5 (ABORT); socket(7)
   * SO_LINGER: l_onoff 1, l_linger 0 aborts, l_onoff 0 is an ordinary
   * close. Measured on Linux: the receiver of an RST reads what had
   * arrived, then gets ECONNRESET. */
  return _("Reset (RST). An abort: no FIN exchange, no TIME_WAIT. A program asks for one by closing with "
           "SO_LINGER set to {1, 0} — linger on, zero seconds (the client's Abort button); {0, 0} is linger "
           "off, an ordinary close with FIN. A kernel sends one by itself: to a SYN for a port where nobody "
           "listens (RST, ACK; connect() fails with ECONNREFUSED), to data that arrives after its program "
           "has closed the socket, and when a program closes a socket that still holds unread bytes.\n\n"
           "The receiver still reads the bytes that had arrived before the RST; then its read or write "
           "fails with ECONNRESET, “connection reset by peer”. What is lost is the aborting side's: what "
           "it had not yet sent, and what it had not yet read.");
}

const char *
hb_lesson_bye (void)
{
  /* The line protocol's BYE (docs/protocol.md) against TCP's FIN (RFC
   * 9293 §3.6): one is data, the other the end of the byte stream. */
  return _("BYE is this project's own line: data like any other, telling the other program why the "
           "connection ends. The FIN that follows is TCP's: no more bytes will come from this side.");
}

const char *
hb_lesson_inferred (HbTcpPhase phase)
{
  if (phase == HB_TCP_PHASE_HANDSHAKE)
    return _("Inferred, not captured: the application's record knows only that the connection was made. "
             "The kernels exchanged these three segments before the program saw the connection. Press "
             "Capture before connecting to see the real ones, with their numbers and options.");
  /* RFC 9293 §3.6: each FIN is acknowledged; whether the first ACK
   * rides on the second FIN depends on timing (hb_phase_explanation). */
  return _("Inferred, not captured: the application's record knows when a program shut its side down or "
           "read the end of the stream, not when the segments travelled. The final ACK is drawn; the ACK "
           "of the first FIN is not, because it may travel alone or ride on the second FIN. Press Capture "
           "to see the real segments.");
}

char *
hb_lesson_tcp_info (const HbTcpInfo *info,
                    const char      *whose)
{
  GString *text = g_string_new (whose);

  /* RFC 6298 §2: RTTVAR is a mean deviation, used for RTO = SRTT +
   * max(G, 4·RTTVAR); Linux puts 200 ms (TCP_RTO_MIN) where G is.
   * tcpi_unacked counts segments sent and not yet acknowledged. */
  g_string_append_printf (text, _("\nState %s"), hb_tcp_state_to_string (info->state));
  g_string_append_printf (text, _("\nRTT %.3f ms (smoothed) · RTTVAR %.3f ms · RTO %.0f ms = SRTT + max(4·RTTVAR, "
                                  "200 ms on Linux)"),
                          info->rtt_us / 1000.0, info->rttvar_us / 1000.0, info->rto_us / 1000.0);
  g_string_append_printf (text, _("\nCongestion window %u segments · MSS %u bytes · sent, not yet acknowledged "
                                  "%u segments · retransmitted %u"),
                          info->snd_cwnd, info->snd_mss, info->unacked, info->total_retrans);
  if (info->have_snd_wnd)
    /* RFC 9293 §3.8.6: the receive window the peer advertised, scaled
     * (RFC 7323); 0 when its program does not read and its buffer is
     * full. */
    g_string_append_printf (text, _("\nThe peer's window %u bytes"), info->snd_wnd);
  if (info->have_bytes)
    g_string_append_printf (text, _("\nBytes acknowledged %llu · received %llu · segments out %u, in %u"),
                            (unsigned long long) info->bytes_acked, (unsigned long long) info->bytes_received,
                            info->segs_out, info->segs_in);
  return g_string_free (text, FALSE);
}

char *
hb_lesson_closed_socket (HbTcpState state)
{
  /* RFC 9293 §3.3.2: TIME-WAIT holds the connection (its four
   * addresses and ports), not the port; Linux holds it a fixed 60 s
   * (TCP_TIMEWAIT_LEN). */
  if (state == HB_TCP_TIME_WAIT)
    return g_strdup (_("Closed by this program. The kernel keeps the connection — both addresses and ports — in "
                       "TIME_WAIT for 60 s (Linux's fixed 2 MSL), so that no late segment of it is taken for "
                       "part of a new one. Other connections, and a listening port, are not held up."));
  if (state != HB_TCP_UNKNOWN)
    return g_strdup_printf (_("Socket closed by this program; the kernel still lists it as %s."),
                            hb_tcp_state_to_string (state));
  return g_strdup (_("Closed: the kernel no longer keeps this connection."));
}

char *
hb_boundary_explanation (const char *what)
{
  /* RFC 9293 §3.8 (data communication: numbered bytes, carried in
   * segments the sending TCP forms) and §3.9 (the user interface: a
   * SEND's data may be combined with that of later SENDs, a RECEIVE
   * returns what has arrived): nothing in TCP keeps the edges of what a
   * program wrote. The terms 粘包/拆包 stay in every language: they are
   * what Chinese students search for. */
  return g_strdup_printf ("%s\n\n%s", what,
                          _("TCP is a byte stream and keeps no message boundaries (粘包/拆包). One send() may "
                            "arrive in several recv()s, and several send()s may arrive in one recv(): where the "
                            "bytes are cut depends on timing and on the two kernels, never on the program. That "
                            "is why this project's line protocol ends each message with LF. A program that speaks "
                            "the lab's protocol must keep what it receives in a buffer, look for the heartbeat "
                            "(or the ack) anywhere in it instead of comparing each recv() with it, and keep an "
                            "unfinished rest for the next recv()."));
}

const char *
hb_analysis_explanation (guint32 analysis)
{
  if (analysis & (HB_ANALYSIS_ZERO_WINDOW | HB_ANALYSIS_ZERO_WINDOW_PROBE | HB_ANALYSIS_ZERO_WINDOW_PROBE_ACK |
                  HB_ANALYSIS_WINDOW_FULL | HB_ANALYSIS_WINDOW_UPDATE))
    return _("Flow control. Every segment carries the sender's window: how many more bytes its receive buffer "
             "can take. A program that stops reading lets that buffer fill: the window shrinks to zero "
             "(ZeroWindow) and the other side stops sending once its data reaches the window's edge (Window "
             "Full). It then probes, ever less often, until the reader reads again and announces a larger window "
             "(Window Update). RFC 9293's probe carries one byte past the window (ZeroWindowProbe, answered by "
             "ZeroWindowProbeAck); Linux sends an empty segment one byte behind instead, which Wireshark labels "
             "Keep-Alive. To see it, untick “Read from the socket” in the client window while the "
             "server sends: the heartbeats keep coming but pile up unread.");
  if (analysis & (HB_ANALYSIS_KEEP_ALIVE | HB_ANALYSIS_KEEP_ALIVE_ACK))
    return _("TCP keep-alive. After a silence (two hours by default, seconds if a program sets TCP_KEEPIDLE) the "
             "kernel sends a segment one byte behind what it sent, and the peer's kernel answers with its ACK "
             "(Keep-Alive ACK). No program takes part: a client that stopped answering heartbeats (untick "
             "“Answer heartbeats”) still answers keep-alives. That is why this lab has its own heartbeat: it "
             "proves that the program reads and answers, not only that its kernel is up.");
  if (analysis & (HB_ANALYSIS_ANY_RETRANSMISSION | HB_ANALYSIS_OUT_OF_ORDER | HB_ANALYSIS_LOST_SEGMENT |
                  HB_ANALYSIS_ACKED_UNSEEN | HB_ANALYSIS_DUP_ACK))
    return _("Loss and reordering. The receiver acknowledges the next byte it expects. When a segment is lost or "
             "overtaken, each later segment makes it repeat that ACK (Dup ACK n#m: the m-th repeat of the ACK in "
             "frame n), often with SACK blocks saying what did arrive. After three duplicates the sender sends "
             "the missing segment at once (Fast Retransmission); without them it waits for its timer "
             "(Retransmission, the wait doubling each time). A segment that turns up late is Out-Of-Order; data "
             "sent again after it was acknowledged is a Spurious Retransmission. Where the capture itself missed "
             "a segment, Wireshark says Previous segment not captured or ACKed unseen segment. On loopback "
             "nothing is lost: these come from real networks, or from a relay that drops packets on purpose.");
  if (analysis & HB_ANALYSIS_REUSED_PORTS)
    return _("Port numbers reused. A new SYN, with a new initial sequence number, on the same addresses and ports "
             "as an earlier connection of the capture: a new connection, not a retransmission. It happens when a "
             "client binds a fixed port, or after an abort (RST) that left no TIME_WAIT to hold the four numbers.");
  return NULL;
}

/* A row of this project's protocol that says BYE: a captured segment
 * whose payload starts with it, or a line of the application's record. */
static gboolean
is_bye (HbSegment *seg)
{
  HbPacket *packet = hb_segment_get_packet (seg);

  if (packet != NULL)
    {
      g_autofree char *payload = hb_packet_format_payload (packet);

      return payload != NULL && g_str_has_prefix (payload, "BYE");
    }
  return g_strcmp0 (hb_segment_get_protocol (seg), "HB") == 0 && g_str_has_prefix (hb_segment_get_label (seg), "BYE");
}

/* What a segment teaches: its phase's explanation, the reset's own, or,
 * for a read that glued or split messages, message boundaries. */
char *
hb_segment_explanation (HbSegment *seg)
{
  HbPacket *packet = hb_segment_get_packet (seg);
  gboolean reset = packet != NULL ? (packet->flags & HB_TCP_RST) != 0
                                  : g_strcmp0 (hb_segment_get_label (seg), "RST") == 0;
  HbChunkInfo info;

  if (hb_segment_get_read (seg, &info) && hb_chunk_info_crosses_boundary (&info))
    {
      /* Translators: the first sentence of the lesson on message
       * boundaries: "One read returned 16 bytes: heartbeat ack + message
       * (2 in one read)." */
      g_autofree char *what = g_strdup_printf (_("%s."), hb_segment_get_info (seg));

      return hb_boundary_explanation (what);
    }
  if (packet != NULL && hb_analysis_explanation (packet->analysis) != NULL)
    return g_strdup (hb_analysis_explanation (packet->analysis));
  if (reset)
    return g_strdup (hb_lesson_reset ());
  if (is_bye (seg))
    return g_strdup_printf ("%s\n\n%s", hb_lesson_bye (), hb_phase_explanation (HB_TCP_PHASE_TEARDOWN));
  if (g_strcmp0 (hb_segment_get_protocol (seg), "Lab") == 0)
    return g_strdup (hb_lab_phase_explanation (hb_segment_get_phase (seg)));
  return g_strdup (hb_phase_explanation (hb_segment_get_phase (seg)));
}
