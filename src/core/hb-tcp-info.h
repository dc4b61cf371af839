/* hb-tcp-info.h - what the kernel knows about one TCP socket (TCP_INFO)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The kernel's states, numbered as in <netinet/tcp.h> and /proc/net/tcp. */
typedef enum
{
  HB_TCP_UNKNOWN = 0,
  HB_TCP_ESTABLISHED = 1,
  HB_TCP_SYN_SENT,
  HB_TCP_SYN_RECV,
  HB_TCP_FIN_WAIT1,
  HB_TCP_FIN_WAIT2,
  HB_TCP_TIME_WAIT,
  HB_TCP_CLOSE,
  HB_TCP_CLOSE_WAIT,
  HB_TCP_LAST_ACK,
  HB_TCP_LISTEN,
  HB_TCP_CLOSING,
} HbTcpState;

typedef struct
{
  HbTcpState state;
  guint32    rtt_us;          /* smoothed RTT (SRTT) */
  guint32    rttvar_us;       /* RTTVAR, the mean deviation (RFC 6298) */
  guint32    rto_us;          /* retransmission timeout: SRTT + max(4·RTTVAR, 200 ms) on Linux */
  guint32    snd_cwnd;        /* segments */
  guint32    snd_mss;
  guint32    rcv_mss;
  guint32    unacked;         /* segments sent, not yet acknowledged */
  guint32    retransmits;     /* current run of retransmissions */
  guint32    total_retrans;
  guint64    bytes_acked;
  guint64    bytes_received;
  guint32    segs_out;
  guint32    segs_in;
  gboolean   have_bytes;      /* kernel new enough for bytes and segments */
  guint32    snd_wnd;         /* the window the peer advertised last, scaled, in bytes */
  gboolean   have_snd_wnd;    /* kernel new enough for it (5.19) */
} HbTcpInfo;

/* Fills @info from getsockopt(TCP_INFO) on @fd. */
gboolean    hb_tcp_info_query          (int         fd,
                                        HbTcpInfo  *info,
                                        GError    **error);
/* Asks the kernel (sock_diag, else /proc/net/tcp{,6}) for the state of the
 * 4-tuple: the only way to see a socket in TIME_WAIT after its fd is gone.
 * Addresses are "127.0.0.1" or "::1". */
HbTcpState  hb_tcp_state_lookup        (const char *local_ip,
                                        guint       local_port,
                                        const char *remote_ip,
                                        guint       remote_port);
const char *hb_tcp_state_to_string     (HbTcpState  state);

G_END_DECLS
