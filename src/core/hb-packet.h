/* hb-packet.h - one captured TCP segment, and a parser that trusts no byte of it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

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
  HB_TCP_NS  = 1 << 8,
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

typedef enum /*< flags >*/
{
  HB_ANALYSIS_RETRANSMISSION = 1 << 0,  /* same seq and length seen before */
  HB_ANALYSIS_OUT_OF_ORDER   = 1 << 1,  /* new data below the highest seq seen */
} HbAnalysisFlags;

#define HB_PACKET_MAX_SACK_BLOCKS 4
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
  gint64   time_us;            /* µs since the epoch */
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
  guint    conversation;       /* index in the file, as Wireshark's tcp.stream */
  guint8   phase;              /* HbTcpPhase */
  guint8   analysis;           /* HbAnalysisFlags */
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
