/* hb-capture-writer.h - writes frames as a classic pcap file that Wireshark opens
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define HB_CAPTURE_WRITER_SNAPLEN 65535

/**
 * HbCaptureWriter:
 * A libpcap dumper on a dead handle of the given link type (DLT_*). Frames
 * longer than %HB_CAPTURE_WRITER_SNAPLEN are cut to it, with their wire
 * length kept. Write errors show when the writer is closed.
 */
typedef struct _HbCaptureWriter HbCaptureWriter;

HbCaptureWriter *hb_capture_writer_new        (const char       *path,
                                               int               linktype,
                                               GError          **error);
/* Writes into memory; hb_capture_writer_close() then hands out the file. */
HbCaptureWriter *hb_capture_writer_new_memory (int               linktype,
                                               GError          **error);
void             hb_capture_writer_write      (HbCaptureWriter  *self,
                                               gint64            time_us,
                                               const guint8     *data,
                                               gsize             caplen,
                                               gsize             origlen);
guint            hb_capture_writer_get_n_frames (HbCaptureWriter *self);
/* Flushes and closes. For a memory writer, *@bytes (if not NULL) receives
 * the whole file. Returns FALSE if anything failed to be written. */
gboolean         hb_capture_writer_close      (HbCaptureWriter  *self,
                                               GBytes          **bytes,
                                               GError          **error);
/* Writes @packets (HbPacket *), in their order, to a new pcap file at
 * @path: what a timeline saves, whatever it shows. */
gboolean         hb_capture_writer_save_packets (const char     *path,
                                                 int             linktype,
                                                 GPtrArray      *packets,
                                                 GError        **error);
/* Closes if still open (ignoring errors) and frees. */
void             hb_capture_writer_free       (HbCaptureWriter  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbCaptureWriter, hb_capture_writer_free)

G_END_DECLS
