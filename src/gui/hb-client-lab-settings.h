/* hb-client-lab-settings.h - the client window's settings of the lab's protocol and raw TCP: heartbeat, answer, line ending, encoding, silence limit
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "heartbeat-lab.h"

G_BEGIN_DECLS

#define HB_TYPE_CLIENT_LAB_SETTINGS (hb_client_lab_settings_get_type ())
G_DECLARE_FINAL_TYPE (HbClientLabSettings, hb_client_lab_settings, HB, CLIENT_LAB_SETTINGS, GtkWidget)

/* Properties:
 *   protocol (HbProtocol): which settings are shown (lab: all; raw: line
 *     ending and encoding; the line protocol has none of them)
 *   error (string, read-only): why the settings cannot be used, or NULL
 */
GtkWidget  *hb_client_lab_settings_new          (void);
void        hb_client_lab_settings_set_protocol (HbClientLabSettings *self,
                                          HbProtocol     protocol);
const char *hb_client_lab_settings_get_error    (HbClientLabSettings *self);
HbEncoding  hb_client_lab_settings_get_encoding (HbClientLabSettings *self);
/* Sets @client's protocol and, for it, the heartbeat, answer, line
 * ending, encoding and timeout; fails, leaving @client as it was, while
 * the heartbeat or answer is not valid. */
gboolean    hb_client_lab_settings_apply        (HbClientLabSettings *self,
                                          HbProtocol     protocol,
                                          HbClient      *client,
                                          GError       **error);

/* @client follows the encoding and line-ending keys at once, connected
 * or not: switching to GB18030 makes a Chinese Windows program's text
 * readable mid-connection. */
void        hb_client_lab_settings_bind_client  (GSettings          *settings,
                                          HbClient           *client);
/* Binds a GSettings key of choices to a uint property (a dropdown's
 * "selected"): @choices, NULL-terminated, in the order of its items. */
void        hb_settings_bind_choice      (GSettings          *settings,
                                          const char         *key,
                                          gpointer            object,
                                          const char         *property,
                                          const char *const  *choices);

G_END_DECLS
