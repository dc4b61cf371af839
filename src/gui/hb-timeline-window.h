/* hb-timeline-window.h - the teaching view of one connection: ladder, segments, kernel state
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "heartbeat-lab.h"
#include "hb-capture-session.h"
#include "hb-lesson.h"
#include "hb-segment.h"

G_BEGIN_DECLS

#define HB_TYPE_TIMELINE_WINDOW (hb_timeline_window_get_type ())
G_DECLARE_FINAL_TYPE (HbTimelineWindow, hb_timeline_window, HB, TIMELINE_WINDOW, GtkApplicationWindow)

/* Follows @timeline live. @client_side: the timeline is the client's own.
 * @socket (nullable) is the program's socket, for the kernel's TCP state. */
HbTimelineWindow *hb_timeline_window_new          (GtkApplication *application,
                                                   HbTimeline     *timeline,
                                                   gboolean        client_side,
                                                   GSocket        *socket,
                                                   const char     *client_label,
                                                   const char     *server_label);
/* Presents the window that shows this connection (the same @timeline and
 * @socket), or opens one: one window per connection. */
HbTimelineWindow *hb_timeline_window_open         (GtkApplication *application,
                                                   HbTimeline     *timeline,
                                                   gboolean        client_side,
                                                   GSocket        *socket,
                                                   const char     *client_label,
                                                   const char     *server_label);
/* The same for @client's own record and its present connection; when the
 * client connects again, the window offers the new connection's. */
HbTimelineWindow *hb_timeline_window_open_for_client (GtkApplication *application,
                                                      HbClient       *client,
                                                      const char     *client_label,
                                                      const char     *server_label);
/* Shows the TCP connections of a pcap or pcapng file; problems with the
 * file are explained in the window. The file is read in a worker thread
 * and its rows added a slice at a time: the window answers meanwhile
 * (hb_timeline_window_get_loading ()). */
HbTimelineWindow *hb_timeline_window_new_for_file (GtkApplication *application,
                                                   GFile          *file);
HbTimelineWindow *hb_timeline_window_new_for_live_capture (GtkApplication *application,
                                                          GFile          *file,
                                                          guint           server_port);
/* Asks for a capture file and opens it in a new timeline window. */
void              hb_timeline_window_choose_capture_file (GtkWindow *parent);
/* The segments shown; items are HbSegment. */
GListModel       *hb_timeline_window_get_segments (HbTimelineWindow *self);
/* Writes the packets shown as classic pcap. */
gboolean          hb_timeline_window_save_packets (HbTimelineWindow *self,
                                                   const char       *path,
                                                   GError          **error);
/* Whether a capture file is still being read, or its rows added. */
gboolean          hb_timeline_window_get_loading  (HbTimelineWindow *self);
/* The live capture this window shows or joined, if any. */
HbCaptureSession *hb_timeline_window_get_capture_session (HbTimelineWindow *self);

G_END_DECLS
