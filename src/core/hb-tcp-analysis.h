/* hb-tcp-analysis.h - Wireshark 4.0's TCP sequence analysis of one connection (private to the core)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "hb-packet.h"

G_BEGIN_DECLS

#define HB_TCP_WIN_SCALE_UNKNOWN  (-1)
#define HB_TCP_WIN_SCALE_NONE     (-2)

/* What Wireshark keeps of one direction (its tcp_flow_t and
 * tcp_analyze_seq_flow_info_t): raw sequence numbers, where 0 means "not
 * seen yet" as it does there. */
typedef struct
{
  int      win_scale;        /* HB_TCP_WIN_SCALE_*, or the shift */
  guint32  window;           /* the last window, unscaled; G_MAXUINT32 before one */
  gboolean is_first_ack;     /* a SYN came, and no pure ACK since */
  guint32  last_flags;       /* HbAnalysisFlags of the direction's last segment */
  guint32  nextseq;          /* highest seq + length seen */
  gint64   nextseq_time;
  guint32  maxseqtobeacked;  /* highest in-order seq, for ACKed unseen segment */
  guint32  lastack;
  gint64   lastack_time;
  guint32  lastnondupack;    /* frame */
  int      dupacknum;
} HbTcpFlow;

/* What Wireshark keeps of the connection. */
typedef struct
{
  HbTcpFlow flow[2];
  gint64    syn_time;         /* of the last SYN without ACK; 0: none */
  gint64    first_rtt;        /* SYN to the first pure ACK; 0: not known */
  gboolean  acc_ecn_syn;      /* the SYN asked for AccECN */
  gboolean  acc_ecn_syn_ack;  /* and the SYN-ACK agreed */
} HbTcpAnalysis;

void hb_tcp_analysis_init     (HbTcpAnalysis *self);
/* Before the packet's analysis: a pure SYN that repeats the direction's
 * first one (Wireshark restores nextseq, as a RST may have moved it). */
void hb_tcp_analysis_syn_again (HbTcpAnalysis *self,
                                guint          from);
/* Analyses @packet sent by side @from (0 or 1), filling its analysis
 * flags and dup ACK numbers. @packet->win must already be scaled. */
void hb_tcp_analysis_add      (HbTcpAnalysis *self,
                               guint          from,
                               HbPacket      *packet);

G_END_DECLS
