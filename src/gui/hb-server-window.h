/* hb-server-window.h - the server console: listen, watch every client's heartbeat, talk to them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "heartbeat-lab.h"

G_BEGIN_DECLS

#define HB_TYPE_SERVER_WINDOW (hb_server_window_get_type ())
G_DECLARE_FINAL_TYPE (HbServerWindow, hb_server_window, HB, SERVER_WINDOW, GtkApplicationWindow)

HbServerWindow *hb_server_window_new        (GtkApplication *application);
HbServer       *hb_server_window_get_server (HbServerWindow *self);
/* Starts listening with the window's settings; errors are shown in it. */
gboolean        hb_server_window_start      (HbServerWindow *self);
/* The log as the user sees it (after filtering); items are HbLogEntry. */
GListModel     *hb_server_window_get_log    (HbServerWindow *self);
/* Writes the class's check results (the lab's protocol) as CSV: what
 * Export Check Results… saves. */
gboolean        hb_server_window_export_checks (HbServerWindow *self,
                                                GFile          *file,
                                                GError        **error);

G_END_DECLS
