/* hb-packet.h - one captured TCP segment, and a parser that trusts no byte of it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* A capture's times are kept within ±2^63 / 2000 µs (about the year
 * 2116), so that a time in nanoseconds, and the difference of two, fits in
 * a gint64 whatever a damaged file says. */
#define HB_PACKET_TIME_US_MAX (G_MAXINT64 / 2000)

/**
 * HbPacketError:
 * @HB_PACKET_ERROR_NOT_TCP: a well-formed frame that carries something other
 *   than TCP over IP (ARP, UDP, ICMP...): callers skip it quietly
 * @HB_PACKET_ERROR_TRUNCATED: a header is cut short by the capture's snapshot
 * @HB_PACKET_ERROR_MALFORMED: a header holds impossible values
 * @HB_PACKET_ERROR_FRAGMENT: an IP fragment, which cannot be read alone
 * @HB_PACKET_ERROR_UNSUPPORTED_LINKTYPE: no parser for this link type
 */
typedef enum
{
  HB_PACKET_ERROR_NOT_TCP,
  HB_PACKET_ERROR_TRUNCATED,
  HB_PACKET_ERROR_MALFORMED,
  HB_PACKET_ERROR_FRAGMENT,
  HB_PACKET_ERROR_UNSUPPORTED_LINKTYPE,
} HbPacketError;

#define HB_PACKET_ERROR (hb_packet_error_quark ())
GQuark hb_packet_error_quark (void);

/* TCP flag bits as in the header's 12-bit flags field, in Wireshark's order. */
typedef enum /*< flags >*/
{
  HB_TCP_FIN = 1 << 0,
  HB_TCP_SYN = 1 << 1,
  HB_TCP_RST = 1 << 2,
  HB_TCP_PSH = 1 << 3,
  HB_TCP_ACK = 1 << 4,
  HB_TCP_URG = 1 << 5,
  HB_TCP_ECE = 1 << 6,
  HB_TCP_CWR = 1 << 7,
  HB_TCP_AE  = 1 << 8,          /* RFC 9293's NS, AccECN's AE: Wireshark 4.0 says AE */
} HbTcpFlags;

/* What the conversation analysis found out about a packet. */
typedef enum
{
  HB_TCP_PHASE_UNKNOWN,     /* not analysed yet */
  HB_TCP_PHASE_HANDSHAKE,   /* SYN, SYN-ACK and the ACK that completes them */
  HB_TCP_PHASE_DATA,        /* payload that is not a heartbeat, and its ACKs */
  HB_TCP_PHASE_HEARTBEAT,   /* PING/PONG lines and the pure ACKs answering them */
  HB_TCP_PHASE_TEARDOWN,    /* from the first FIN, RST or BYE line on */
} HbTcpPhase;

/* Wireshark 4.0's TCP analysis (its expert infos tcp.analysis.*), by the
 * rules of tcp_analyze_sequence_number() in its packet-tcp.c; see
 * hb-tcp-analysis.c. */
typedef enum /*< flags >*/
{
  HB_ANALYSIS_RETRANSMISSION          = 1 << 0,   /* data below the highest seq seen */
  HB_ANALYSIS_OUT_OF_ORDER            = 1 << 1,   /* the same, soon after the highest */
  HB_ANALYSIS_FAST_RETRANSMISSION     = 1 << 2,   /* after two or more dup ACKs of it */
  HB_ANALYSIS_SPURIOUS_RETRANSMISSION = 1 << 3,   /* data the peer had acknowledged */
  HB_ANALYSIS_LOST_SEGMENT            = 1 << 4,   /* Previous segment not captured */
  HB_ANALYSIS_ACKED_UNSEEN            = 1 << 5,   /* ACKed unseen segment */
  HB_ANALYSIS_WINDOW_UPDATE           = 1 << 6,
  HB_ANALYSIS_WINDOW_FULL             = 1 << 7,
  HB_ANALYSIS_ZERO_WINDOW             = 1 << 8,
  HB_ANALYSIS_ZERO_WINDOW_PROBE       = 1 << 9,
  HB_ANALYSIS_ZERO_WINDOW_PROBE_ACK   = 1 << 10,
  HB_ANALYSIS_KEEP_ALIVE              = 1 << 11,
  HB_ANALYSIS_KEEP_ALIVE_ACK          = 1 << 12,
  HB_ANALYSIS_DUP_ACK                 = 1 << 13,  /* dup_ack_num, dup_ack_frame */
  HB_ANALYSIS_REUSED_PORTS            = 1 << 14,  /* Port numbers reused */
  HB_ANALYSIS_TRUNCATED               = 1 << 15,  /* Packet size limited during capture */
} HbAnalysisFlags;

/* The labels that say a segment carries again what was sent before. */
#define HB_ANALYSIS_ANY_RETRANSMISSION \
  (HB_ANALYSIS_RETRANSMISSION | HB_ANALYSIS_FAST_RETRANSMISSION | HB_ANALYSIS_SPURIOUS_RETRANSMISSION)

/* How much of a segment's headers the capture kept (its snapshot length
 * cut the frame): what Wireshark can still show of it. */
typedef enum
{
  HB_PACKET_CUT_NONE,       /* headers whole; the payload may be cut */
  HB_PACKET_CUT_PORTS,      /* the ports, no more: in no conversation */
  HB_PACKET_CUT_HEADER,     /* seq, ack, flags and window, no more */
  HB_PACKET_CUT_OPTIONS,    /* the fixed header, and the options in info_options */
} HbPacketCut;

#define HB_PACKET_MAX_SACK_BLOCKS 4
#define HB_PACKET_NO_CONVERSATION G_MAXUINT
#define HB_PACKET_ADDRESS_LEN     48   /* INET6_ADDRSTRLEN and some room */

typedef struct
{
  guint32 left;
  guint32 right;
} HbSackBlock;

/**
 * HbPacket:
 * A TCP segment as captured. Addresses and ports are the segment's own;
 * the `rel_*`, `win`, `phase`, `analysis` and `conversation` fields are
 * filled by the conversation analysis (before it, `rel_*` hold the raw
 * numbers, `win` the unscaled window). Offsets count from the start of the
 * frame in `data`.
 */
typedef struct
{
  /*< private >*/
  gint     ref_count;
  /*< public >*/
  guint    frame;              /* 1 for the first frame of the file */
  gint64   time_us;            /* µs since the epoch, within ±HB_PACKET_TIME_US_MAX */
  guint16  time_ns_rem;        /* and the ns beyond it, when the file has them */
  guint32  caplen;             /* bytes captured */
  guint32  origlen;            /* bytes on the wire */
  int      linktype;           /* DLT_* */

  int      family;             /* 4 or 6 */
  char     src[HB_PACKET_ADDRESS_LEN];
  char     dst[HB_PACKET_ADDRESS_LEN];
  guint16  src_port;
  guint16  dst_port;

  guint16  flags;              /* HbTcpFlags, 12 bits */
  guint32  seq;                /* raw */
  guint32  ack;                /* raw */
  guint16  win_raw;            /* as in the header */
  guint16  urgent;
  guint32  rel_seq;
  guint32  rel_ack;
  guint32  win;                /* scaled by the sender's shift when known */

  guint32  ip_offset;
  guint32  tcp_offset;
  guint32  tcp_header_len;
  guint32  payload_offset;
  guint32  payload_len;        /* from the IP header, not from caplen */
  guint32  payload_captured;   /* the part of the payload in `data` */

  /* TCP options, in the order and form the header carried them. */
  guint    has_mss : 1;
  guint    has_ws : 1;
  guint    sack_perm : 1;
  guint    has_timestamps : 1;
  guint    bad_options : 1;    /* the option list is malformed; see `warning` */
  guint16  mss;
  guint8   ws_shift;           /* as sent, may exceed 14 */
  guint8   n_sack;             /* blocks kept, at most HB_PACKET_MAX_SACK_BLOCKS */
  HbSackBlock sack[HB_PACKET_MAX_SACK_BLOCKS];
  HbSackBlock rel_sack[HB_PACKET_MAX_SACK_BLOCKS];
  guint32  ts_val;
  guint32  ts_ecr;
  /* Order of the options that show in Wireshark's Info column, as
   * HB_TCP_OPTION_* kinds, ending with 0. */
  guint8   info_options[20];

  /* A static, translated remark on a packet that was parsed anyway. */
  const char *warning;

  /* Analysis. */
  guint    conversation;       /* index in the file, as Wireshark's tcp.stream;
                                * HB_PACKET_NO_CONVERSATION for HB_PACKET_CUT_PORTS */
  guint8   phase;              /* HbTcpPhase */
  guint8   cut;                /* HbPacketCut */
  guint    ace : 1;            /* AccECN was agreed: the ECN bits are a counter */
  guint32  analysis;           /* HbAnalysisFlags */
  guint32  dup_ack_frame;      /* the ACK this one repeats (HB_ANALYSIS_DUP_ACK) */
  guint32  dup_ack_num;        /* and how many times so far */
  guint8   from_client;        /* sent by the side that sent the SYN (or spoke first) */
  /* The lab's heartbeat or ack in the payload (hb_conversation_set_lab_patterns()):
   * what the segment held, as a packed HbChunkInfo (hb_chunk_info_pack()),
   * and which pattern (HbLabPattern); 0 when it holds neither, nor a part
   * of one. */
  guint32  lab_chunk;
  guint8   lab_pattern;

  GBytes  *data;               /* a copy of the captured frame */
} HbPacket;

#define HB_TYPE_PACKET (hb_packet_get_type ())
GType        hb_packet_get_type         (void) G_GNUC_CONST;

HbPacket    *hb_packet_new              (void);
HbPacket    *hb_packet_ref              (HbPacket       *packet);
void         hb_packet_unref            (HbPacket       *packet);
/* Releases what a packet holds, for packets on the stack (g_auto). */
void         hb_packet_clear            (HbPacket       *packet);

/**
 * hb_packet_parse:
 * @data: the captured bytes of one frame
 * @caplen: how many bytes @data holds
 * @origlen: the frame's length on the wire
 * @linktype: the capture's DLT_* link type
 * @out: filled on success (frame number and time are left to the caller)
 *
 * Parses the link, IP and TCP headers, bounds-checking every read.
 * Segments with malformed TCP options are still returned, with
 * `bad_options` and `warning` set. Frames that are not TCP fail with
 * %HB_PACKET_ERROR_NOT_TCP.
 */
gboolean     hb_packet_parse            (const guint8   *data,
                                         gsize           caplen,
                                         gsize           origlen,
                                         int             linktype,
                                         HbPacket       *out,
                                         GError        **error);
gboolean     hb_packet_linktype_is_supported (int         linktype);

/* "FIN, ACK" as Wireshark writes it; "<None>" for no flags. */
char        *hb_packet_format_flags     (guint16         flags);
/* The same for a packet, which knows whether AccECN made its ECN bits a
 * counter ("ACK, ACE=3"). */
char        *hb_packet_format_packet_flags (const HbPacket *packet);
/* Wireshark's Info prefixes of @packet's analysis, in its order, without
 * brackets: "TCP Dup ACK 5#1", "TCP Retransmission"; NULL-terminated. */
GStrv        hb_packet_analysis_labels  (const HbPacket *packet);
/* What one label means, in a translated phrase for people. */
const char  *hb_packet_analysis_meaning (HbAnalysisFlags flag);
/* The same as short names for JSON: "dup-ack", "retransmission". */
GStrv        hb_packet_analysis_names   (const HbPacket *packet);
/* Appends the flags' names ("SYN", "ACK"...) to @array, in Wireshark's order. */
void         hb_packet_flag_names       (guint16         flags,
                                         GPtrArray      *array);
/* Wireshark 4.0's Info column for the segment, from the analysed numbers:
 * "4324 → 12001 [PSH, ACK] Seq=14 Ack=10 Win=2619648 Len=3". */
char        *hb_packet_format_info      (const HbPacket *packet);
/* The payload as text when it is printable UTF-8 (one trailing LF
 * removed), else NULL: "PING 3". */
char        *hb_packet_format_payload   (const HbPacket *packet);
const char  *hb_tcp_phase_to_string     (HbTcpPhase      phase);
/* The phase's name for people, translated: "Three-way handshake". */
const char  *hb_tcp_phase_title         (HbTcpPhase      phase);
/* The headers field by field, the way Wireshark's packet details pane
 * lists them, one field per line, translated. */
char        *hb_packet_format_details   (const HbPacket *packet);
/* The frame's bytes as Wireshark's bytes pane shows them: offset, 16
 * bytes in hex and the printable ASCII, exactly as
 * `tshark -x` prints it. */
char        *hb_format_hex_dump         (const guint8   *data,
                                         gsize           len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbPacket, hb_packet_unref)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (HbPacket, hb_packet_clear)

G_END_DECLS
