/* hb-ladder.h - a sequence (ladder) diagram of one TCP conversation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "hb-segment.h"

G_BEGIN_DECLS

#define HB_TYPE_LADDER (hb_ladder_get_type ())
G_DECLARE_FINAL_TYPE (HbLadder, hb_ladder, HB, LADDER, GtkWidget)

GtkWidget *hb_ladder_new          (void);
/* Items are HbSegment; the diagram follows the model as it grows, and
 * shows and sets the model's selection (shared with a table showing
 * the same model). */
void       hb_ladder_set_model    (HbLadder          *self,
                                   GtkSelectionModel *model);
GtkSelectionModel *hb_ladder_get_model (HbLadder *self);
/* The scrolled window's adjustment: only the rows in view are drawn. */
void       hb_ladder_set_vadjustment (HbLadder      *self,
                                      GtkAdjustment *adjustment);
void       hb_ladder_set_labels   (HbLadder   *self,
                                   const char *client,
                                   const char *server);
/* What the ladder says while it has no rows (NULL: that they will come). */
void       hb_ladder_set_empty_text (HbLadder   *self,
                                     const char *text);
/* What it says while it has no rows. */
const char *hb_ladder_get_empty_text (HbLadder *self);
const char *hb_ladder_get_client_label (HbLadder *self);
const char *hb_ladder_get_server_label (HbLadder *self);
/* The model's selected row (-1: none); setting it selects in the model. */
int        hb_ladder_get_selected (HbLadder   *self);
void       hb_ladder_set_selected (HbLadder   *self,
                                   int         index);
/* Where @row's arrow is drawn (its middle, in the ladder's coordinates),
 * for pointing at it. */
double     hb_ladder_get_row_y    (HbLadder   *self,
                                   int         row);
/* Scrolls the ladder's scrolled window so that @row is in view. */
void       hb_ladder_scroll_to    (HbLadder   *self,
                                   int         row);
double     hb_ladder_get_zoom     (HbLadder   *self);
void       hb_ladder_set_zoom     (HbLadder   *self,
                                   double      zoom);
/* Which numbers the arrows carry (see hb_segment_format_numbered()):
 * symbolic by default, on the handshake's and teardown's arrows only,
 * or on @everywhere. Exports show them as the screen does. */
void       hb_ladder_set_numbers  (HbLadder        *self,
                                   HbLadderNumbers  numbers,
                                   gboolean         everywhere);
HbLadderNumbers hb_ladder_get_numbers (HbLadder    *self);
/* Writes the whole diagram (not just what is on screen) as PNG or SVG,
 * chosen by the file name's ending. */
gboolean   hb_ladder_export       (HbLadder   *self,
                                   const char *path,
                                   GError    **error);

G_END_DECLS
