/* hb-lab-settings.h - the lab's heartbeat and ack, line ending and encoding: edited, checked, remembered
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "heartbeat-lab.h"

G_BEGIN_DECLS

#define HB_TYPE_LAB_SETTINGS (hb_lab_settings_get_type ())
G_DECLARE_FINAL_TYPE (HbLabSettings, hb_lab_settings, HB, LAB_SETTINGS, GtkWidget)

/* Signals:
 *   changed ()   the user changed a value
 *
 * A heartbeat or ack that is empty, too long or not hex (when written in
 * hex) is flagged where it is typed, with the reason beside it. */
GtkWidget  *hb_lab_settings_new          (void);
/* Shows what @protocol uses: all of it in the lab's, the line ending and
 * encoding in raw TCP, nothing in the line protocol. */
void        hb_lab_settings_set_protocol (HbLabSettings *self,
                                          HbProtocol     protocol);
/* Takes the values of GSettings @settings (keys lab-heartbeat, lab-ack,
 * lab-patterns-hex, line-ending, encoding) once; the widget then keeps
 * its own until hb_lab_settings_save(). A window that listens keeps its
 * own values, so that two windows never edit one field together. */
void        hb_lab_settings_load         (HbLabSettings *self,
                                          GSettings     *settings);
/* Saves the values in @settings, but a heartbeat and ack only when both
 * are valid: the last good pair is what the next window starts with. */
void        hb_lab_settings_save         (HbLabSettings *self,
                                          GSettings     *settings);
/* Follows @settings and saves every change at once (Preferences). */
void        hb_lab_settings_bind         (HbLabSettings *self,
                                          GSettings     *settings);
/* Sets the properties "heartbeat", "ack", "line-ending" and "encoding"
 * of @peer (an HbServer or an HbClient). Fails, changing nothing, when
 * the heartbeat or the ack is not valid (if @protocol uses them). */
gboolean    hb_lab_settings_apply        (HbLabSettings *self,
                                          HbProtocol     protocol,
                                          GObject       *peer,
                                          GError       **error);
HbLineEnding hb_lab_settings_get_line_ending (HbLabSettings *self);
HbEncoding  hb_lab_settings_get_encoding (HbLabSettings *self);
/* The heartbeat and ack as the user sees them: "heartbeat", or the hex
 * typed; for messages that name them. */
const char *hb_lab_settings_get_heartbeat_text (HbLabSettings *self);
const char *hb_lab_settings_get_ack_text (HbLabSettings *self);

/* Makes @drop the choice of protocol: heartbeat-lab, lab and raw, in
 * the order of HbProtocol, each with a line saying what it is. */
void        hb_protocol_drop_down_init   (GtkDropDown   *drop);

G_END_DECLS
