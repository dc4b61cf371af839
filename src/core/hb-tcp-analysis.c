/* hb-tcp-analysis.c - Wireshark 4.0's TCP sequence analysis of one connection
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The rules of tcp_analyze_sequence_number() in Wireshark 4.0's
 * epan/dissectors/packet-tcp.c, described in its User's Guide ("TCP
 * Analysis"), checked in the same order and with the same shortcuts, so
 * that each segment gets the labels tshark gives it: the point is that
 * a student sees the same words here and in Wireshark. In short, for a
 * segment of length L (SYN and FIN count one) from one side:
 *
 * - ZeroWindowProbe: L is 1, seq is the next expected, the peer's window
 *   is 0 (and nothing else is checked).
 * - ZeroWindow: the window is 0 (no SYN, FIN or RST).
 * - Previous segment not captured: seq beyond the next expected (no RST).
 * - Keep-Alive: L is 0 or 1 and seq is one below the next expected.
 * - Window Update: no data, same seq and ack as before, another window.
 * - Window Full: the data reaches the right edge of the peer's window.
 * - Keep-Alive ACK / ZeroWindowProbeAck: the same ACK again, answering a
 *   keep-alive / a zero window probe.
 * - Dup ACK n#m: the same ACK, window, seq again without data (m counts
 *   them since ACK n).
 * - ACKed unseen segment: an ack beyond all the peer sent that we saw.
 * - For data (or SYN/FIN) below the next expected, not a keep-alive:
 *   Spurious Retransmission when the peer had acknowledged all of it,
 *   else Fast Retransmission after two dup ACKs of its seq within 20 ms,
 *   else Out-Of-Order when it comes within the first RTT (3 ms if not
 *   known) of the highest segment, else Retransmission.
 *
 * Wireshark compares the window unscaled, times in nanoseconds, and
 * takes 0 for "not seen yet" in nextseq and lastack: so do we.
 */

#include "config.h"

#include <string.h>

#include "hb-tcp-analysis.h"

#define SEQ_LT(a, b) ((gint32) ((guint32) (a) - (guint32) (b)) < 0)
#define SEQ_LE(a, b) ((gint32) ((guint32) (a) - (guint32) (b)) <= 0)
#define SEQ_GT(a, b) ((gint32) ((guint32) (a) - (guint32) (b)) > 0)

#define FAST_RETRANSMISSION_NS  G_GINT64_CONSTANT (20000000)
#define OUT_OF_ORDER_NS         G_GINT64_CONSTANT (3000000)
#define MAX_WS_SHIFT            14

void
hb_tcp_analysis_init (HbTcpAnalysis *self)
{
  memset (self, 0, sizeof *self);
  for (guint i = 0; i < 2; i++)
    {
      self->flow[i].win_scale = HB_TCP_WIN_SCALE_UNKNOWN;
      self->flow[i].window = G_MAXUINT32;
    }
}

void
hb_tcp_analysis_syn_again (HbTcpAnalysis *self,
                           guint          from)
{
  self->flow[from].nextseq = self->flow[from].maxseqtobeacked;
}

static gint64
time_ns (const HbPacket *packet)
{
  /* Within ±HB_PACKET_TIME_US_MAX, as every reader keeps it: fits. */
  return packet->time_us * 1000 + packet->time_ns_rem;
}

/* tcp_analyze_sequence_number(): the labels of @packet. */
static guint32
analyze (HbTcpAnalysis  *self,
         HbTcpFlow      *fwd,
         HbTcpFlow      *rev,
         HbPacket       *packet)
{
  guint32 seq = packet->seq, ack = packet->ack;
  guint32 window = packet->win_raw;
  guint16 flags = packet->flags;
  guint32 seglen = packet->payload_len;
  gint64 now = time_ns (packet);
  guint32 a = 0;
  guint32 nextseq;

  /* ZERO WINDOW PROBE */
  if (seglen == 1 && seq == fwd->nextseq && rev->window == 0)
    {
      a |= HB_ANALYSIS_ZERO_WINDOW_PROBE;
      goto finished_fwd;
    }

  /* ZERO WINDOW */
  if (window == 0 && (flags & (HB_TCP_RST | HB_TCP_FIN | HB_TCP_SYN)) == 0)
    a |= HB_ANALYSIS_ZERO_WINDOW;

  /* LOST PACKET */
  if (fwd->nextseq && SEQ_GT (seq, fwd->nextseq) && (flags & HB_TCP_RST) == 0)
    a |= HB_ANALYSIS_LOST_SEGMENT;

  /* KEEP ALIVE */
  if (seglen <= 1 && seq == fwd->nextseq - 1 && (flags & (HB_TCP_SYN | HB_TCP_FIN | HB_TCP_RST)) == 0)
    a |= HB_ANALYSIS_KEEP_ALIVE;

  /* WINDOW UPDATE */
  if (seglen == 0 && window && window != fwd->window && seq == fwd->nextseq && ack == fwd->lastack &&
      (flags & (HB_TCP_SYN | HB_TCP_FIN | HB_TCP_RST)) == 0)
    a |= HB_ANALYSIS_WINDOW_UPDATE;

  /* WINDOW FULL: the peer's window as it was scaled for its last segment
   * (unscaled when that was its SYN). */
  if (seglen > 0 && rev->win_scale != HB_TCP_WIN_SCALE_UNKNOWN &&
      (flags & (HB_TCP_SYN | HB_TCP_FIN | HB_TCP_RST)) == 0)
    {
      int shift = rev->is_first_ack || rev->win_scale == HB_TCP_WIN_SCALE_NONE ? 0 : rev->win_scale;

      if (seq + seglen == rev->lastack + (rev->window << shift))
        a |= HB_ANALYSIS_WINDOW_FULL;
    }

  /* KEEP ALIVE ACK */
  if (seglen == 0 && window && window == fwd->window && seq == fwd->nextseq && ack == fwd->lastack &&
      (rev->last_flags & HB_ANALYSIS_KEEP_ALIVE) && (flags & (HB_TCP_SYN | HB_TCP_FIN | HB_TCP_RST)) == 0)
    {
      a |= HB_ANALYSIS_KEEP_ALIVE_ACK;
      goto finished_fwd;
    }

  /* ZERO WINDOW PROBE ACK */
  if (seglen == 0 && window == 0 && window == fwd->window && seq == fwd->nextseq && ack == fwd->lastack &&
      (rev->last_flags & HB_ANALYSIS_ZERO_WINDOW_PROBE) && (flags & (HB_TCP_SYN | HB_TCP_FIN | HB_TCP_RST)) == 0)
    {
      a |= HB_ANALYSIS_ZERO_WINDOW_PROBE_ACK;
      goto finished_fwd;
    }

  /* DUPLICATE ACK */
  if (seglen == 0 && window && window == fwd->window && seq == fwd->nextseq && ack == fwd->lastack &&
      (flags & (HB_TCP_SYN | HB_TCP_FIN | HB_TCP_RST)) == 0)
    {
      /* -1 neutralised an "ACKed unseen segment". */
      fwd->dupacknum = fwd->dupacknum == -1 ? 1 : fwd->dupacknum + 1;
      a |= HB_ANALYSIS_DUP_ACK;
      packet->dup_ack_num = (guint32) fwd->dupacknum;
      packet->dup_ack_frame = fwd->lastnondupack;
    }

finished_fwd:
  if (ack != fwd->lastack)
    {
      fwd->lastnondupack = packet->frame;
      fwd->dupacknum = 0;
    }

  /* ACKED LOST PACKET */
  if (rev->maxseqtobeacked && SEQ_GT (ack, rev->maxseqtobeacked) && (flags & HB_TCP_ACK))
    {
      if (SEQ_LT (rev->maxseqtobeacked, rev->nextseq))
        {
          rev->maxseqtobeacked = rev->nextseq;
          a |= HB_ANALYSIS_ACKED_UNSEEN;
        }
      else
        {
          /* Said once for a run of pure ACKs of the same lost segment. */
          if (rev->dupacknum == 0)
            a |= HB_ANALYSIS_ACKED_UNSEEN;
          rev->dupacknum = -1;
        }
    }

  /* RETRANSMISSION / FAST RETRANSMISSION / OUT-OF-ORDER */
  if (seglen > 0 || (flags & (HB_TCP_SYN | HB_TCP_FIN)))
    {
      gboolean seq_not_advanced = fwd->nextseq && SEQ_LT (seq, fwd->nextseq);
      /* Unsigned, as Wireshark's: a frame stamped before the one it is
       * compared with (merged interfaces) is never "soon after". */
      guint64 t, ooo_thres;

      if (a & HB_ANALYSIS_KEEP_ALIVE)
        goto finished_checking_retransmission_type;

      /* One byte less than the next expected, with new data after it: the
       * data that follows a zero window probe, not a retransmission. */
      if (seglen > 1 && fwd->nextseq - 1 == seq)
        seq_not_advanced = FALSE;

      if (seglen > 0 && rev->lastack && SEQ_LE (seq + seglen, rev->lastack))
        {
          a |= HB_ANALYSIS_SPURIOUS_RETRANSMISSION;
          goto finished_checking_retransmission_type;
        }

      t = (guint64) (now - rev->lastack_time);
      if (seq_not_advanced && rev->dupacknum >= 2 && rev->lastack == seq && t < FAST_RETRANSMISSION_NS)
        {
          a |= HB_ANALYSIS_FAST_RETRANSMISSION;
          goto finished_checking_retransmission_type;
        }

      t = (guint64) (now - fwd->nextseq_time);
      ooo_thres = self->first_rtt != 0 ? (guint64) self->first_rtt : OUT_OF_ORDER_NS;
      if (seq_not_advanced && t < ooo_thres &&
          fwd->nextseq != seq + seglen + ((flags & (HB_TCP_SYN | HB_TCP_FIN)) ? 1 : 0))
        {
          a |= HB_ANALYSIS_OUT_OF_ORDER;
          goto finished_checking_retransmission_type;
        }

      if (seq_not_advanced)
        a |= HB_ANALYSIS_RETRANSMISSION;
    }

finished_checking_retransmission_type:
  nextseq = seq + seglen;
  if (flags & (HB_TCP_SYN | HB_TCP_FIN))
    nextseq++;

  /* A zero window probe does not move the next expected seq. */
  if ((SEQ_GT (nextseq, fwd->nextseq) || !fwd->nextseq) && !(a & HB_ANALYSIS_ZERO_WINDOW_PROBE))
    {
      fwd->nextseq = nextseq;
      fwd->nextseq_time = now;
    }
  if ((seq == fwd->maxseqtobeacked || !fwd->maxseqtobeacked) && !(a & HB_ANALYSIS_ZERO_WINDOW_PROBE))
    fwd->maxseqtobeacked = fwd->nextseq;

  fwd->window = window;
  fwd->lastack = ack;
  fwd->lastack_time = now;
  return a;
}

void
hb_tcp_analysis_add (HbTcpAnalysis *self,
                     guint          from,
                     HbPacket      *packet)
{
  HbTcpFlow *fwd = &self->flow[from];
  HbTcpFlow *rev = &self->flow[1 - from];
  guint16 flags = packet->flags;
  guint32 a;

  g_return_if_fail (from < 2);

  /* The labels and the state they leave are Wireshark's; the reused
   * ports were found before, when the connection was chosen. */
  a = analyze (self, fwd, rev, packet) | (packet->analysis & HB_ANALYSIS_REUSED_PORTS);
  fwd->last_flags = a;

  /* AccECN (RFC 9768): a SYN with AE, CWR and ECE, and a SYN-ACK that
   * agrees, make the three bits of later segments a counter. */
  if ((flags & (HB_TCP_SYN | HB_TCP_ACK)) == HB_TCP_SYN)
    self->acc_ecn_syn = (flags & (HB_TCP_AE | HB_TCP_CWR | HB_TCP_ECE)) == (HB_TCP_AE | HB_TCP_CWR | HB_TCP_ECE);
  if ((flags & (HB_TCP_SYN | HB_TCP_ACK)) == (HB_TCP_SYN | HB_TCP_ACK))
    self->acc_ecn_syn_ack = (flags & (HB_TCP_AE | HB_TCP_CWR)) == HB_TCP_CWR ||
                            (flags & (HB_TCP_AE | HB_TCP_ECE)) == HB_TCP_AE;
  packet->ace = !(flags & HB_TCP_SYN) && self->acc_ecn_syn && self->acc_ecn_syn_ack;

  /* The window as Wireshark shows it: a SYN's never scaled. */
  if (!(flags & HB_TCP_SYN) && fwd->win_scale >= 0)
    packet->win = (guint32) packet->win_raw << fwd->win_scale;
  else
    packet->win = packet->win_raw;

  if (flags & HB_TCP_SYN)
    {
      if (!(flags & HB_TCP_ACK))
        self->syn_time = time_ns (packet);
      fwd->is_first_ack = TRUE;
    }
  if ((flags & (HB_TCP_SYN | HB_TCP_ACK)) == HB_TCP_ACK)
    {
      if (self->syn_time != 0 && self->first_rtt == 0)
        self->first_rtt = time_ns (packet) - self->syn_time;
      fwd->is_first_ack = FALSE;
    }

  /* Wireshark reads the options after this, and stops where the capture
   * stops: a cut header shows no labels, and a SYN whose options were
   * cut leaves the scaling unknown. */
  if (packet->has_ws)
    fwd->win_scale = MIN (packet->ws_shift, MAX_WS_SHIFT);
  if (packet->cut != HB_PACKET_CUT_NONE)
    {
      packet->analysis = HB_ANALYSIS_TRUNCATED;
      packet->dup_ack_num = 0;
      return;
    }
  packet->analysis = a;
  if (packet->payload_captured < packet->payload_len && packet->payload_captured >= 1 &&
      packet->payload_captured < 4)
    packet->analysis |= HB_ANALYSIS_TRUNCATED;

  /* verify_tcp_window_scaling(): a SYN without WS turns scaling off for
   * both; a SYN-ACK with WS after a SYN without keeps it off. */
  if (flags & HB_TCP_SYN)
    {
      if (fwd->win_scale == HB_TCP_WIN_SCALE_UNKNOWN)
        {
          fwd->win_scale = HB_TCP_WIN_SCALE_NONE;
          rev->win_scale = HB_TCP_WIN_SCALE_NONE;
        }
      else if ((flags & HB_TCP_ACK) && rev->win_scale == HB_TCP_WIN_SCALE_NONE)
        fwd->win_scale = HB_TCP_WIN_SCALE_NONE;
    }
}
