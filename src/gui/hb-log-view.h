/* hb-log-view.h - a bounded, timestamped event list that follows new entries
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "hb-log-entry.h"

G_BEGIN_DECLS

#define HB_TYPE_LOG_VIEW (hb_log_view_get_type ())
G_DECLARE_FINAL_TYPE (HbLogView, hb_log_view, HB, LOG_VIEW, GtkWidget)

GtkWidget  *hb_log_view_new        (void);
/* Adds an entry; the view follows it while it shows the last one, and
 * stays where the user scrolled up to read otherwise. */
void        hb_log_view_append     (HbLogView  *self,
                                    HbLogEntry *entry);
/* The same for several entries at once, in one change of the list. */
void        hb_log_view_append_many (HbLogView   *self,
                                     HbLogEntry **entries,
                                     guint        n_entries);
void        hb_log_view_clear      (HbLogView  *self);
/* Only entries @filter keeps are shown (and exported). */
void        hb_log_view_set_filter (HbLogView  *self,
                                    GtkFilter  *filter);
/* What the user sees, after the filter; items are HbLogEntry. */
GListModel *hb_log_view_get_model  (HbLogView  *self);
/* Whether each read of raw bytes (HB_LOG_DATA) shows them in hex too
 * (the "show-hex" property, on by default). */
void        hb_log_view_set_show_hex (HbLogView *self,
                                      gboolean   show_hex);
gboolean    hb_log_view_get_show_hex (HbLogView *self);

G_END_DECLS
