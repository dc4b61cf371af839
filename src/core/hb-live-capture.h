/* hb-live-capture.h - live packet capture with libpcap, inside the GLib main loop
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define HB_TYPE_LIVE_CAPTURE (hb_live_capture_get_type ())
G_DECLARE_FINAL_TYPE (HbLiveCapture, hb_live_capture, HB, LIVE_CAPTURE, GObject)

/* Signals:
 *   frame (gint64 time_us, GBytes *data, guint original_length)
 *         one captured frame, link type from hb_live_capture_get_linktype()
 */

/* @device: "lo", "any", ...; NULL means "lo". @port: TCP port to filter on. */
HbLiveCapture *hb_live_capture_new          (const char     *device,
                                             guint           port);
/* Starts capturing. Without the privilege to capture it fails with
 * G_IO_ERROR_PERMISSION_DENIED and a message that names the command
 * granting it. If @save_path is set, frames are also written there as
 * classic pcap ("-" for standard output). */
gboolean       hb_live_capture_start        (HbLiveCapture  *self,
                                             const char     *save_path,
                                             GError        **error);
void           hb_live_capture_stop         (HbLiveCapture  *self);
int            hb_live_capture_get_linktype (HbLiveCapture  *self);
guint64        hb_live_capture_get_n_frames (HbLiveCapture  *self);
/* The exact command that lets @program capture without root. */
char          *hb_live_capture_grant_command (const char    *program);

G_END_DECLS
