/* hb-test-tcp.h - TCP on 127.0.0.1 for tests: plain sockets, and the segments heartbeat-lab-cli capture sees
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "heartbeat-lab.h"
#include "hb-test-util.h"

G_BEGIN_DECLS

/* A live capture of one port, by `$HB_CLI capture --write -`: the tool
 * that holds the privilege, as the desktop application runs it. */
typedef struct
{
  GSubprocess  *proc;
  GCancellable *cancellable;
  HbPcapStream *stream;
  GPtrArray    *packets;     /* HbPacket*, as captured, parsed, not analysed */
  guint         port;
  gboolean      eof;
  gboolean      broken;
  gboolean      reading;     /* a read of the tool's output is under way */
} HbTestSniffer;

/* Captures TCP port @port on lo once the filter is in place, or returns
 * NULL when this process may not capture. */
HbTestSniffer *hb_test_sniffer_start         (guint          port);
void           hb_test_sniffer_free          (HbTestSniffer *cap);
/* For the end of a test that has checked what its sockets show: with no
 * capture (@cap NULL) the segments were not seen, so the test reports
 * itself skipped, with why, and this returns TRUE. */
gboolean       hb_test_sniffer_skip_without  (HbTestSniffer *cap);
HbPacket      *hb_test_sniffer_packet        (HbTestSniffer *cap,
                                              guint          i);
/* The first packet from @i on sent from @src_port with every flag of
 * @flags set (0: any), or -1. */
int            hb_test_sniffer_find          (HbTestSniffer *cap,
                                              guint          i,
                                              guint          src_port,
                                              guint16        flags);
guint          hb_test_sniffer_count         (HbTestSniffer *cap,
                                              guint          src_port,
                                              guint16        flags);
gboolean       hb_test_packet_from_port      (HbPacket      *p,
                                              guint          port);
gboolean       hb_test_packet_payload_starts (HbPacket      *p,
                                              const char    *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbTestSniffer, hb_test_sniffer_free)

/* A listening socket on 127.0.0.1, its port in @port. */
int            hb_test_tcp_listen            (guint         *port);
/* A blocking connect: 0, or the errno it failed with. */
int            hb_test_tcp_connect           (guint          port,
                                              int           *fd_out);
guint          hb_test_tcp_local_port        (int            fd);
void           hb_test_tcp_send              (int            fd,
                                              const char    *text);
/* Reads exactly strlen(@text) bytes, and they must be @text. */
void           hb_test_tcp_read_exactly      (int            fd,
                                              const char    *text);
HbTcpState     hb_test_tcp_state             (int            fd);
/* Segments sent, not yet acknowledged. */
guint          hb_test_tcp_unacked           (int            fd);
/* Bytes received, not yet read. */
gsize          hb_test_tcp_unread            (int            fd);
void           hb_test_tcp_set_linger        (int            fd,
                                              int            onoff,
                                              int            seconds);
int            hb_test_tcp_set_nonblocking   (int            fd);
/* Blocks until @fd is readable (the FIN has arrived, say), without the
 * main loop's steps. */
void           hb_test_tcp_wait_readable     (int            fd);

/* A connection: @a connected to the listener on @port, @b accepted;
 * both with TCP_NODELAY, as the application's sockets. */
typedef struct
{
  int   listener;
  guint port;
  int   a;
  int   b;
  guint a_port;
} HbTestPair;

void           hb_test_pair_open             (HbTestPair    *pair,
                                              int            listener,
                                              guint          port);
void           hb_test_pair_close            (HbTestPair    *pair);
/* Heartbeat-sized data both ways, as every conversation of this project
 * has before it closes. */
void           hb_test_pair_chat             (HbTestPair    *pair);

G_END_DECLS
