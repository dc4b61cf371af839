/* hb-server-settings.h - a server's settings, one form for the server window and Preferences
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "heartbeat-lab.h"
#include "hb-lab-settings.h"

G_BEGIN_DECLS

#define HB_TYPE_SERVER_SETTINGS (hb_server_settings_get_type ())
G_DECLARE_FINAL_TYPE (HbServerSettings, hb_server_settings, HB, SERVER_SETTINGS, GtkWidget)

/* Properties:
 *   compact   (construct-only) the heartbeat's fields and the lab's behind
 *             a Heartbeat… button, as the server window's bar shows them;
 *             otherwise below the bar, as in Preferences
 *   listening whether the server these settings are for listens: its
 *             address, port and protocol are then fixed
 *
 * Signals:
 *   heartbeat-changed ()  the interval or the timeout changed, and the
 *                         pair is valid (a listening server may take it)
 */
GtkWidget  *hb_server_settings_new           (gboolean          compact);
/* Follows the GSettings keys and saves every change at once
 * (Preferences). */
void        hb_server_settings_bind          (HbServerSettings *self,
                                              GSettings        *settings);
/* Takes the values of the GSettings keys once; the form then keeps its
 * own until hb_server_settings_save(), so that two server windows never
 * edit one field together. */
void        hb_server_settings_load          (HbServerSettings *self,
                                              GSettings        *settings);
/* Saves the values for the next window and the next run. */
void        hb_server_settings_save          (HbServerSettings *self,
                                              GSettings        *settings);
/* Sets every setting of @server (HbServer), or fails with a message that
 * says what to correct, changing nothing, when the heartbeat's timeout is
 * not longer than its interval or the lab's heartbeat or ack is not valid
 * (as far as the chosen protocol uses them). */
gboolean    hb_server_settings_apply         (HbServerSettings *self,
                                              HbServer         *server,
                                              GError          **error);
/* Whether the timeout is longer than the interval. */
gboolean    hb_server_settings_heartbeat_valid (HbServerSettings *self);
HbProtocol  hb_server_settings_get_protocol  (HbServerSettings *self);
guint       hb_server_settings_get_interval_ms (HbServerSettings *self);
guint       hb_server_settings_get_timeout_ms (HbServerSettings *self);
HbLabSettings *hb_server_settings_get_lab_settings (HbServerSettings *self);
void        hb_server_settings_set_listening (HbServerSettings *self,
                                              gboolean          listening);

G_END_DECLS
