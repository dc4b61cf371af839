/* hb-capture-file.h - the TCP segments of a pcap or pcapng file, read with libpcap
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "hb-packet.h"

G_BEGIN_DECLS

/**
 * HbCaptureFileError:
 * @HB_CAPTURE_FILE_ERROR_NOT_CAPTURE: neither pcap nor pcapng (or empty)
 * @HB_CAPTURE_FILE_ERROR_DAMAGED: the file header cannot be read
 * @HB_CAPTURE_FILE_ERROR_UNSUPPORTED_LINKTYPE: a link type we cannot parse
 * @HB_CAPTURE_FILE_ERROR_TRUNCATED: the file breaks off or is damaged after
 *   some packets; those packets are kept
 */
typedef enum
{
  HB_CAPTURE_FILE_ERROR_NOT_CAPTURE,
  HB_CAPTURE_FILE_ERROR_DAMAGED,
  HB_CAPTURE_FILE_ERROR_UNSUPPORTED_LINKTYPE,
  HB_CAPTURE_FILE_ERROR_TRUNCATED,
} HbCaptureFileError;

#define HB_CAPTURE_FILE_ERROR (hb_capture_file_error_quark ())
GQuark hb_capture_file_error_quark (void);

/* Notes beyond this many are counted in one last note. */
#define HB_CAPTURE_FILE_MAX_NOTES 1000

#define HB_TYPE_CAPTURE_FILE (hb_capture_file_get_type ())
G_DECLARE_FINAL_TYPE (HbCaptureFile, hb_capture_file, HB, CAPTURE_FILE, GObject)

HbCaptureFile *hb_capture_file_new               (void);
/* The lab's heartbeat and ack to recognise in the payloads
 * (hb_conversation_set_lab_patterns()); NULL: the lab's defaults. Before
 * loading. */
void           hb_capture_file_set_lab_patterns  (HbCaptureFile  *self,
                                                  GBytes         *heartbeat,
                                                  GBytes         *ack);
/* The port the captured server listened on, when known (a live capture
 * of it saved as a file): it tells who is the client of a connection
 * whose handshake the capture missed. Before loading. */
void           hb_capture_file_set_server_port   (HbCaptureFile  *self,
                                                  guint           port);
/* Reads every frame of a file. Errors other than TRUNCATED leave the
 * capture empty; on TRUNCATED the frames read before the damage stay.
 * Opening errors are in the G_IO_ERROR domain. */
gboolean       hb_capture_file_load              (HbCaptureFile  *self,
                                                  const char     *path,
                                                  GError        **error);
/* The same in a worker thread, for files too big to read while a window
 * waits. The file is opened before this returns (it may be removed
 * then). Until @callback runs the object is the worker's: call nothing on
 * it but hb_capture_file_get_progress(). A cancelled load keeps nothing
 * and fails with G_IO_ERROR_CANCELLED within a few thousand frames, or
 * once the conversations are split if it was past reading. */
void           hb_capture_file_load_async        (HbCaptureFile       *self,
                                                  const char          *path,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
/* As hb_capture_file_load() would have returned. */
gboolean       hb_capture_file_load_finish       (HbCaptureFile  *self,
                                                  GAsyncResult   *result,
                                                  GError        **error);
/* How much of the file a load has read, 0 to 1 (1 once it is done).
 * Safe from any thread. */
double         hb_capture_file_get_progress      (HbCaptureFile  *self);
/* The same, from the bytes of a file (tests, fuzzing, pasted data). */
gboolean       hb_capture_file_load_bytes        (HbCaptureFile  *self,
                                                  GBytes         *bytes,
                                                  GError        **error);

/* DLT_* of the file; -1 before loading. */
int            hb_capture_file_get_linktype      (HbCaptureFile  *self);
/* Frames read, TCP or not. */
guint          hb_capture_file_get_n_frames      (HbCaptureFile  *self);
/* The TCP segments (HbPacket *), in file order, analysed (relative
 * numbers, scaled windows, phases) as soon as they are read. */
GPtrArray     *hb_capture_file_get_packets       (HbCaptureFile  *self);
/* Why frames were skipped or look odd: "frame 7: truncated TCP header". */
GPtrArray     *hb_capture_file_get_notes         (HbCaptureFile  *self);
/* Frames that were not TCP over IP, skipped without a note. */
guint          hb_capture_file_get_n_not_tcp     (HbCaptureFile  *self);
/* The TCP conversations (HbConversation *), in order of their first packet. */
GPtrArray     *hb_capture_file_get_conversations (HbCaptureFile  *self);
/* µs since the epoch of the first frame, TCP or not; 0 if none. */
gint64         hb_capture_file_get_start_time    (HbCaptureFile  *self);

G_END_DECLS
