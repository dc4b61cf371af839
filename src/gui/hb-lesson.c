/* hb-lesson.c - what the teaching view says: each phase of a TCP conversation, a reset, message boundaries
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The texts sit beside a ladder: a paragraph each, in the words a student
 * meets in a textbook and in Wireshark.
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
      return _("Three-way handshake. The client sends SYN carrying its initial sequence number x. "
               "The server answers SYN, ACK with its own number y and acknowledges x+1: a SYN uses up "
               "one number of sequence space, so the next byte expected is x+1. The client's ACK of y+1 "
               "completes it and both sides are ESTABLISHED. The kernel does all of this before the "
               "program accepts the connection.");
    case HB_TCP_PHASE_DATA:
      return _("Data. Each protocol line travels as a segment flagged PSH, ACK whose length is the "
               "line's bytes, newline included. The receiver's acknowledgement number is the next byte "
               "it expects: the segment's sequence number plus its length. TCP carries a byte stream, "
               "so the line's end is the LF, not the segment's end.");
    case HB_TCP_PHASE_HEARTBEAT:
      return _("Heartbeat. Every interval the server writes PING n and the client answers PONG n. "
               "The application's RTT, in the server's list, runs from writing PING to reading PONG, so "
               "it includes both programs' own delays; the kernel's RTT below only measures segment to "
               "ACK. Why a heartbeat when TCP has keepalive? Keepalive is off by default, probes only "
               "after two hours of silence, and proves only that the peer's kernel is alive, not that "
               "the program still reads and answers.");
    case HB_TCP_PHASE_TEARDOWN:
      return _("Teardown. The side that closes first sends FIN and waits (FIN_WAIT1, then FIN_WAIT2 "
               "once it is acknowledged). The other side reads end of stream (CLOSE_WAIT) and sends its "
               "own FIN when it is done (LAST_ACK). On loopback the ACK often rides on the second FIN, "
               "so you may count three segments instead of four. The side that closed first then waits "
               "in TIME_WAIT (60 s on Linux) so that a late segment cannot be mistaken for part of a new "
               "connection on the same ports. An RST instead is an abort: no goodbye, and unread data "
               "is thrown away.");
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
      return _("Heartbeat. In the lab's protocol the server writes its heartbeat (by default the 9 bytes "
               "“heartbeat”) every interval and the client answers with the ack (“heartbeat ack”): raw "
               "bytes, no number, no newline. The RTT in the server's list runs from writing the heartbeat "
               "to reading the ack, so it includes both programs' own delays. The bare ACK a few "
               "microseconds later is the peer's kernel acknowledging the bytes, not its program answering.");
    case HB_TCP_PHASE_DATA:
      return _("Data. In the lab's protocol a message is the bytes typed, sent as they are, with no newline "
               "and no length: only what arrives next tells the receiver where it ended. The receiver's "
               "acknowledgement number is the next byte it expects: the segment's sequence number plus its "
               "length.");
    default:
      return hb_phase_explanation (phase);
    }
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
             "Full). It then probes now and then with one byte or a repeated ACK (ZeroWindowProbe, answered by "
             "ZeroWindowProbeAck, or Keep-Alive on Linux) until the reader reads again and announces a larger "
             "window (Window Update). To see it, untick “Read from the socket” in the client window while the "
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
    return g_strdup (_("Reset (RST). One side aborted the connection: no FIN, no four-way goodbye, no TIME_WAIT. "
                       "A program sends it by closing with SO_LINGER set to 0 (the client's Abort button); the "
                       "kernel sends it when a segment arrives for a socket that no longer exists, or when a "
                       "program closes a socket with data still unread. The other side learns of it at its next "
                       "read or write, as “connection reset by peer”, and whatever was still on its way is thrown "
                       "away."));
  if (g_strcmp0 (hb_segment_get_protocol (seg), "Lab") == 0)
    return g_strdup (hb_lab_phase_explanation (hb_segment_get_phase (seg)));
  return g_strdup (hb_phase_explanation (hb_segment_get_phase (seg)));
}
