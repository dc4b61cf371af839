/* hb-cell-text.h - the text of a list cell, given to its label only when it changes and can be seen
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define HB_TYPE_CELL_TEXT (hb_cell_text_get_type ())
G_DECLARE_FINAL_TYPE (HbCellText, hb_cell_text, HB, CELL_TEXT, GObject)

/* Owned by @label (it goes with it), which is in @row, if not NULL. Bind
 * an expression to its "text" property instead of the label's "label". A
 * text for another item of @row is shown at once, in sight or not. */
HbCellText *hb_cell_text_new          (GtkLabel    *label,
                                       GtkListItem *row);
HbCellText *hb_cell_text_get          (GtkLabel    *label);
/* Shows the latest text now, in sight or not (a row bound to another item). */
void        hb_cell_text_show         (HbCellText *self);
/* Shows the latest text if it was held back and the label is now in sight;
 * TRUE if it is still held back. */
gboolean    hb_cell_text_catch_up     (HbCellText *self);
/* Whether a text was held back since it was last shown. */
gboolean    hb_cell_text_get_stale    (HbCellText *self);
/* How many times the label's text was set (tests: nothing else sets it). */
guint       hb_cell_text_get_n_shown  (HbCellText *self);

/* Sets @text unless the label says it already: GTK 4.8 lays a label out
 * again, and redraws it, whenever its text is set, even to the same. TRUE
 * if it was set. */
gboolean    hb_label_set_text_changed (GtkLabel   *label,
                                       const char *text);

/* Whether @widget is mapped and at least partly inside the visible part of
 * its ancestor of @viewport_type (the list's viewport). */
gboolean    hb_widget_in_sight        (GtkWidget  *widget,
                                       GType       viewport_type);

G_END_DECLS
