/* hb-timeline-window.h - the teaching view of one connection: ladder, segments, kernel state
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "heartbeat-lab.h"

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
/* The segments shown; items are HbSegment. */
GListModel       *hb_timeline_window_get_segments (HbTimelineWindow *self);
const char       *hb_phase_explanation            (int               phase);

G_END_DECLS
