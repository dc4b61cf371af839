/* hb-client-window.h - one client: connect, watch the heartbeat, talk, and break things on purpose
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "heartbeat-lab.h"

G_BEGIN_DECLS

#define HB_TYPE_CLIENT_WINDOW (hb_client_window_get_type ())
G_DECLARE_FINAL_TYPE (HbClientWindow, hb_client_window, HB, CLIENT_WINDOW, GtkApplicationWindow)

/* Properties:
 *   client (HbClient, construct-only) the client the window drives; a new
 *          one to 127.0.0.1 and the default port when none is given
 */
HbClientWindow *hb_client_window_new         (GtkApplication *application);
/* A window for @client, which starts with its host, port and name. */
HbClientWindow *hb_client_window_new_for_client (GtkApplication *application,
                                                 HbClient       *client);
/* Fills in where to connect; @name may be NULL to keep the remembered one. */
void            hb_client_window_set_target  (HbClientWindow *self,
                                              const char     *host,
                                              guint           port,
                                              const char     *name);
void            hb_client_window_connect     (HbClientWindow *self);
HbClient       *hb_client_window_get_client  (HbClientWindow *self);
/* The conversation as shown; items are HbLogEntry. */
GListModel     *hb_client_window_get_conversation (HbClientWindow *self);

G_END_DECLS
