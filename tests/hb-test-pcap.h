/* hb-test-pcap.h - capture fixtures for tests: TCP segments built byte by byte, in every link type we read
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Frames are built here and written by the project's own HbCaptureWriter,
 * so that the parser tests, the analyze command's tests and the fuzzer's
 * seed corpus start from the same captures.
 */
#pragma once

#include <gio/gio.h>

#include "hb-capture-file.h"
#include "hb-capture-writer.h"
#include "hb-packet.h"

G_BEGIN_DECLS

#define HB_TEST_CLIENT_PORT 4324
#define HB_TEST_SERVER_PORT 12001
#define HB_TEST_T0_US       G_GINT64_CONSTANT (1700000000000000)

/* The two ends of a conversation. */
typedef struct
{
  int     family;           /* 4 or 6 */
  guint8  client[16];
  guint8  server[16];
  guint16 cport;
  guint16 sport;
} HbTestNet;

/* How a link layer is written, beyond its link type. */
enum
{
  HB_TEST_VARIANT_PLAIN,
  HB_TEST_VARIANT_VLAN,      /* EN10MB with an 802.1Q tag */
  HB_TEST_VARIANT_SWAPPED,   /* NULL written on a machine of the other byte order */
  HB_TEST_VARIANT_AF23,      /* NULL, Windows' AF_INET6 */
  HB_TEST_VARIANT_AF24,      /* NULL, NetBSD/OpenBSD */
  HB_TEST_VARIANT_AF28,      /* NULL, FreeBSD */
};

HbTestNet   hb_test_net_new      (int         family,
                                  const char *client,
                                  const char *server,
                                  guint16     cport,
                                  guint16     sport);
/* 127.0.0.1 to itself, or 2001:db8::1 to 2001:db8::2; ports 4324 → 12001. */
HbTestNet   hb_test_net_default  (int         family);

/* Append in network byte order; _set16 overwrites at @offset. */
void        hb_test_put8         (GByteArray *a,
                                  guint8      v);
void        hb_test_put16        (GByteArray *a,
                                  guint16     v);
void        hb_test_put32        (GByteArray *a,
                                  guint32     v);
void        hb_test_set16        (GByteArray *a,
                                  guint       offset,
                                  guint16     v);

/* An IP packet carrying one TCP segment (@opt_len a multiple of 4).
 * Checksums stay 0. */
GByteArray *hb_test_ip_tcp       (const HbTestNet *net,
                                  gboolean         from_client,
                                  guint16          flags,
                                  guint32          seq,
                                  guint32          ack,
                                  guint16          win,
                                  const guint8    *opt,
                                  gsize            opt_len,
                                  const void      *payload,
                                  gsize            payload_len);
/* Puts the link layer of @linktype (DLT_*) in front of @ip (not freed). */
GBytes     *hb_test_link_wrap    (int         linktype,
                                  int         variant,
                                  int         family,
                                  GByteArray *ip);

/* A capture in the making, in memory: frames one after another, 1 ms
 * apart from HB_TEST_T0_US. */
typedef struct
{
  int              linktype;
  int              variant;
  HbCaptureWriter *writer;
  gint64           time_us;
} HbTestCapture;

void        hb_test_capture_init      (HbTestCapture *cap,
                                       int            linktype,
                                       int            variant);
/* Writes @frame as it is, with a wire length of at least its size. */
void        hb_test_capture_add_frame (HbTestCapture *cap,
                                       GBytes        *frame,
                                       gsize          origlen);
/* Wraps and writes @ip, then frees it. */
void        hb_test_capture_add_ip    (HbTestCapture *cap,
                                       int            family,
                                       GByteArray    *ip);
void        hb_test_capture_add       (HbTestCapture   *cap,
                                       const HbTestNet *net,
                                       gboolean         from_client,
                                       guint16          flags,
                                       guint32          seq,
                                       guint32          ack,
                                       guint16          win,
                                       const guint8    *opt,
                                       gsize            opt_len,
                                       const char      *payload);
/* Closes the writer and returns the whole pcap file. */
GBytes     *hb_test_capture_finish    (HbTestCapture *cap);

/* Every link type and variant we read, with the IP versions it carries. */
typedef struct
{
  int linktype;
  int variant;
  int family;
} HbTestLinkCase;

#define HB_TEST_N_LINK_CASES 21

extern const HbTestLinkCase hb_test_link_cases[HB_TEST_N_LINK_CASES];

/* The synthetic heartbeat conversation: handshake, HELLO, PING/PONG and
 * teardown, with the numbers and the Info text Wireshark shows for it. */
enum { HB_TEST_OPT_NONE, HB_TEST_OPT_SYN, HB_TEST_OPT_TS };

/* Sequence numbers are offsets from the sender's ISN (seq) and from the
 * peer's (ack), so that they are also the relative numbers expected. */
typedef struct
{
  gboolean    client;
  guint16     flags;
  guint32     seq;
  guint32     ack;
  guint16     win;
  const char *payload;
  int         opt;
  guint32     ts_val;
  guint32     ts_ecr;
  guint32     win_scaled;
  HbTcpPhase  phase;
  const char *info;
} HbTestStep;

#define HB_TEST_CONVERSATION_LEN 11

extern const HbTestStep hb_test_conversation[HB_TEST_CONVERSATION_LEN];

/* The IP packet of one step, with its TCP options. */
GByteArray *hb_test_step_ip           (const HbTestNet  *net,
                                       const HbTestStep *step,
                                       guint32           isn_client,
                                       guint32           isn_server);
void        hb_test_capture_add_step  (HbTestCapture    *cap,
                                       const HbTestNet  *net,
                                       const HbTestStep *step,
                                       guint32           isn_client,
                                       guint32           isn_server);
/* The whole conversation as a pcap file. */
GBytes     *hb_test_make_conversation (int              linktype,
                                       int              variant,
                                       const HbTestNet *net,
                                       guint32          isn_client,
                                       guint32          isn_server);

/* A session of the lab's own protocol (tests/students: no framing),
 * @heartbeat and @ack as the programs send them, over DLT_NULL as the
 * lab's Npcap loopback capture, client 4324 → server 12001. Frames:
 *   1-3   handshake
 *   4     server: heartbeat          5  client: ACK
 *   6     client: ack                7  server: ACK
 *   8     client: "123"              9  server: ACK
 *   10    server: heartbeat          11 client: ack + "123" in one segment
 *   12    server: ACK
 *   13    server: heartbeat + "456"  14 client: ack
 *   15    server: ACK
 *   16    server: heartbeat
 *   17    client: the ack's first 5 bytes
 *   18    client: the rest of the ack
 *   19    server: ACK
 *   20    client: "each"             21 server: ACK
 *   22    client: "hello"            23 server: ACK
 *   24-26 teardown, client first (FIN, FIN, ACK) */
#define HB_TEST_LAB_SESSION_LEN 26

GBytes     *hb_test_make_lab_session  (const char       *heartbeat,
                                       const char       *ack);

/* One long line-protocol conversation of exactly @n_frames frames
 * (n_frames >= 7), as bench/big-capture.py writes: handshake, then PING
 * and PONG lines with their ACKs, 1 ms apart, then the teardown (FIN,
 * FIN, ACK); Ethernet, 127.0.0.1:4324 → 12001. Written to @path. */
void        hb_test_write_long_conversation (const char *path,
                                             guint       n_frames);

typedef struct
{
  guint n_frames;   /* frames in the file */
  guint n_info;     /* whose Info column tshark left to TCP */
  guint n_equal;    /* of those, equal to ours, labels and all */
} HbTestTsharkResult;

/* Reads @path with tshark and compares every frame with our analysis of
 * @file, which was loaded from it: stream, numbers, flags and ends must
 * be equal; the Info columns are counted, each difference told with
 * g_test_message(). */
void        hb_test_tshark_compare      (const char         *tshark,
                                         const char         *path,
                                         HbCaptureFile      *file,
                                         HbTestTsharkResult *result);
/* The same, asserting every Info column equal. Returns the number of
 * frames whose Info column was compared. */
guint       hb_test_compare_with_tshark (const char    *tshark,
                                         const char    *path,
                                         HbCaptureFile *file);
/* Several classic pcap files (from hb_test_capture_finish()) as one
 * pcapng file, each an interface with its own link type, their frames
 * merged in time order as mergecap does. @ns: the interfaces after the
 * first stamp in nanoseconds. */
GBytes     *hb_test_merge_pcapng        (GBytes *const *pcaps,
                                         guint          n,
                                         gboolean       ns);
/* The classic pcap file @pcap as if captured with a snapshot length. */
GBytes     *hb_test_snap_pcap           (GBytes        *pcap,
                                         guint32        snaplen);

/* Loads @bytes, asserting that it loads. */
HbCaptureFile *hb_test_load_ok  (GBytes          *bytes);
/* The steps @order of hb_test_conversation (a step may repeat or come
 * early) as a capture of @linktype. */
GBytes     *hb_test_make_steps  (int              linktype,
                                 const HbTestNet *net,
                                 const int       *order,
                                 guint            n);
/* 10.0.0.1 and 10.0.0.3 interleaved, then 10.0.0.1 again on the same
 * 4-tuple with a new ISN: three conversations. */
GBytes     *hb_test_make_three_conversations (void);

G_END_DECLS
