/* hb-pcap-stream.h - frames of a classic pcap file read as it arrives, from a pipe
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Records longer than this are refused as damage: a real capture's
 * snapshot length is at most 262,144 bytes. */
#define HB_PCAP_STREAM_MAX_RECORD (256 * 1024)

/**
 * HbPcapStreamFrameFunc:
 * @time_us: the frame's time, µs since the epoch
 * @data: @caplen captured bytes, valid only during the call
 * @origlen: the frame's length on the wire
 */
typedef void (*HbPcapStreamFrameFunc) (gint64        time_us,
                                       const guint8 *data,
                                       gsize         caplen,
                                       gsize         origlen,
                                       gpointer      user_data);

/**
 * HbPcapStream:
 * Reads classic pcap (either byte order, µs or ns timestamps) in pieces of
 * any size, as they come out of `heartbeat-lab-cli capture --write -`.
 * libpcap can only read a whole file, blocking; this never blocks and
 * buffers at most one record.
 */
typedef struct _HbPcapStream HbPcapStream;

HbPcapStream *hb_pcap_stream_new          (void);
void          hb_pcap_stream_free         (HbPcapStream          *self);
/* Calls @func for every frame completed by @data. Fails (and keeps
 * failing) on a header that is not pcap or a record that cannot be. */
gboolean      hb_pcap_stream_feed         (HbPcapStream          *self,
                                           const guint8          *data,
                                           gsize                  len,
                                           HbPcapStreamFrameFunc  func,
                                           gpointer               user_data,
                                           GError               **error);
/* Whether the file header has been read. */
gboolean      hb_pcap_stream_has_header   (HbPcapStream          *self);
/* The link type (a LINKTYPE_ value), or -1 before the header. */
int           hb_pcap_stream_get_linktype (HbPcapStream          *self);
/* Bytes of an unfinished record or header held back. */
gsize         hb_pcap_stream_get_pending  (HbPcapStream          *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbPcapStream, hb_pcap_stream_free)

G_END_DECLS
