/* hb-checks-cell.h - one client's live checks in the server's list: a count, and the evidence on click
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "heartbeat-lab.h"

G_BEGIN_DECLS

#define HB_TYPE_CHECKS_CELL (hb_checks_cell_get_type ())
G_DECLARE_FINAL_TYPE (HbChecksCell, hb_checks_cell, HB, CHECKS_CELL, GtkWidget)

GtkWidget  *hb_checks_cell_new        (void);
/* Shows @checks (of @board, which tells when evidence changes), or "—"
 * when both are NULL. */
void        hb_checks_cell_set_checks (HbChecksCell *self,
                                       HbCheckBoard *board,
                                       HbChecks     *checks);
/* Opens the evidence, as a click on the cell does. */
void        hb_checks_cell_popup      (HbChecksCell *self);
/* The evidence's popover, once it has been opened; NULL before. */
GtkWidget  *hb_checks_cell_get_popover (HbChecksCell *self);

G_END_DECLS
