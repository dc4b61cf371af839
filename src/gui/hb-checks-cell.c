/* hb-checks-cell.c - one client's live checks in the server's list: a count, and the evidence on click
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The cell shows how many checks passed, failed (in red) and are not
 * judged yet ("4 ✓ 1 ✗ 1 ?"); a click opens a popover with every check,
 * its verdict and what was seen, kept up to date while it is open. The
 * popover is made when it first opens: a list keeps ~200 cells made.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "hb-checks-cell.h"

struct _HbChecksCell
{
  GtkWidget      parent_instance;

  GtkButton     *button;
  GtkLabel      *passed;     /* "4 ✓" */
  GtkLabel      *failed;     /* "1 ✗", red */
  GtkLabel      *pending;    /* "1 ?": not judged yet */
  GtkPopover    *popover;    /* made at the first click */
  GtkGrid       *grid;       /* the popover's rows, while it is open */

  HbCheckBoard  *board;
  HbChecks      *checks;
  gulong         summary_id;
  gulong         changed_id;
};

G_DEFINE_FINAL_TYPE (HbChecksCell, hb_checks_cell, GTK_TYPE_WIDGET)

static const char *verdict_classes[] = { "pending", "passed", "failed" };

static void
fill_popover (HbChecksCell *self)
{
  GtkWidget *child;
  HbConnection *conn;
  g_autofree char *heading = NULL;
  GtkWidget *title;

  if (self->grid == NULL)
    return;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->grid))) != NULL)
    gtk_grid_remove (self->grid, child);
  if (self->checks == NULL)
    return;

  conn = hb_checks_get_connection (self->checks);
  heading = g_strdup_printf (_("Checks of client #%u (%s)"), hb_connection_get_id (conn),
                             hb_connection_get_peer (conn));
  title = gtk_label_new (heading);
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_widget_add_css_class (title, "heading");
  gtk_widget_set_margin_bottom (title, 6);
  gtk_grid_attach (self->grid, title, 0, 0, 2, 1);

  for (guint i = 0; i < HB_CLIENT_N_CHECKS; i++)
    {
      HbCheckVerdict verdict = hb_checks_get_verdict (self->checks, i);
      const char *evidence = hb_checks_get_evidence (self->checks, i);
      GtkWidget *symbol = gtk_label_new (hb_check_verdict_to_symbol (verdict));
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
      GtkWidget *name = gtk_label_new (hb_client_check_get_title (i));
      GtkWidget *seen = gtk_label_new (*evidence ? evidence : _("not seen yet"));

      gtk_widget_add_css_class (symbol, "hb-verdict");
      gtk_widget_add_css_class (symbol, verdict_classes[verdict]);
      gtk_label_set_yalign (GTK_LABEL (symbol), 0);
      gtk_label_set_xalign (GTK_LABEL (name), 0);
      gtk_label_set_xalign (GTK_LABEL (seen), 0);
      gtk_label_set_wrap (GTK_LABEL (seen), TRUE);
      gtk_label_set_max_width_chars (GTK_LABEL (seen), 56);
      gtk_widget_add_css_class (seen, "dim-label");
      gtk_box_append (GTK_BOX (box), name);
      gtk_box_append (GTK_BOX (box), seen);
      gtk_grid_attach (self->grid, symbol, 0, i + 1, 1, 1);
      gtk_grid_attach (self->grid, box, 1, i + 1, 1, 1);
    }
}

static void
set_count (GtkLabel   *label,
           guint       n,
           const char *symbol)
{
  g_autofree char *text = g_strdup_printf ("%u %s", n, symbol);

  gtk_label_set_text (label, text);
  gtk_widget_set_visible (GTK_WIDGET (label), n > 0);
}

static void
update_summary (HbChecksCell *self)
{
  g_autofree char *a11y = NULL;
  guint passed, failed;

  if (self->checks == NULL)
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->passed), "passed");
      gtk_label_set_text (self->passed, "—");
      gtk_widget_set_visible (GTK_WIDGET (self->passed), TRUE);
      gtk_widget_set_visible (GTK_WIDGET (self->failed), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->pending), FALSE);
      gtk_widget_set_sensitive (GTK_WIDGET (self->button), FALSE);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("No checks"), -1);
      return;
    }
  passed = hb_checks_get_passed (self->checks);
  failed = hb_checks_get_failed (self->checks);
  gtk_widget_set_sensitive (GTK_WIDGET (self->button), TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->passed), "passed");
  set_count (self->passed, passed, "✓");
  gtk_widget_set_visible (GTK_WIDGET (self->passed), TRUE);
  set_count (self->failed, failed, "✗");
  set_count (self->pending, HB_CLIENT_N_CHECKS - passed - failed, "?");
  a11y = g_strdup_printf (_("Checks: %u passed, %u failed, %u not judged yet; show the evidence"),
                          passed, failed, HB_CLIENT_N_CHECKS - passed - failed);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->button), GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
}

static void
on_summary (HbChecks     *checks,
            GParamSpec   *pspec,
            HbChecksCell *self)
{
  update_summary (self);
}

static void
on_board_changed (HbCheckBoard  *board,
                  HbChecks      *checks,
                  HbClientCheck  check,
                  HbChecksCell  *self)
{
  if (checks == self->checks && self->popover != NULL && gtk_widget_get_visible (GTK_WIDGET (self->popover)))
    fill_popover (self);
}

static void
on_popover_shown (HbChecksCell *self)
{
  fill_popover (self);
}

/* Made at the first click: a list keeps ~200 rows made, in every
 * protocol, and few of them are ever opened. */
static void
create_popover (HbChecksCell *self)
{
  if (self->popover != NULL)
    return;
  self->grid = GTK_GRID (gtk_grid_new ());
  gtk_grid_set_row_spacing (self->grid, 6);
  gtk_grid_set_column_spacing (self->grid, 8);
  gtk_widget_set_margin_start (GTK_WIDGET (self->grid), 6);
  gtk_widget_set_margin_end (GTK_WIDGET (self->grid), 6);
  gtk_widget_set_margin_top (GTK_WIDGET (self->grid), 6);
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->grid), 6);
  self->popover = GTK_POPOVER (gtk_popover_new ());
  gtk_popover_set_child (self->popover, GTK_WIDGET (self->grid));
  /* The column is near the list's right edge: to its left the evidence
   * stays within the window, over the list it explains. */
  gtk_popover_set_position (self->popover, GTK_POS_LEFT);
  gtk_widget_set_parent (GTK_WIDGET (self->popover), GTK_WIDGET (self));
  g_signal_connect_swapped (self->popover, "show", G_CALLBACK (on_popover_shown), self);
}

static void
on_clicked (HbChecksCell *self)
{
  hb_checks_cell_popup (self);
}

/* A press on the cell opens the evidence at once and is not the row's:
 * in GTK 4.8's column view, the button's own click after a popover had
 * closed was often taken for a click that selects the row. */
static void
on_pressed (GtkGestureClick *gesture,
            int              n_press,
            double           x,
            double           y,
            HbChecksCell    *self)
{
  if (self->checks == NULL)
    return;
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  hb_checks_cell_popup (self);
}

static void
disconnect (HbChecksCell *self)
{
  if (self->checks != NULL)
    g_clear_signal_handler (&self->summary_id, self->checks);
  if (self->board != NULL)
    g_clear_signal_handler (&self->changed_id, self->board);
  g_clear_object (&self->checks);
  g_clear_object (&self->board);
}

static void
hb_checks_cell_dispose (GObject *object)
{
  HbChecksCell *self = HB_CHECKS_CELL (object);

  disconnect (self);
  g_clear_pointer ((GtkWidget **) &self->popover, gtk_widget_unparent);
  g_clear_pointer ((GtkWidget **) &self->button, gtk_widget_unparent);
  G_OBJECT_CLASS (hb_checks_cell_parent_class)->dispose (object);
}

/* The button fills the cell; the popover is a surface of its own, placed
 * when the cell is. */
static void
hb_checks_cell_measure (GtkWidget      *widget,
                        GtkOrientation  orientation,
                        int             for_size,
                        int            *minimum,
                        int            *natural,
                        int            *minimum_baseline,
                        int            *natural_baseline)
{
  HbChecksCell *self = HB_CHECKS_CELL (widget);

  gtk_widget_measure (GTK_WIDGET (self->button), orientation, for_size,
                      minimum, natural, minimum_baseline, natural_baseline);
}

static void
hb_checks_cell_size_allocate (GtkWidget *widget,
                              int        width,
                              int        height,
                              int        baseline)
{
  HbChecksCell *self = HB_CHECKS_CELL (widget);

  gtk_widget_size_allocate (GTK_WIDGET (self->button), &(GtkAllocation) { 0, 0, width, height }, baseline);
  if (self->popover != NULL)
    gtk_popover_present (self->popover);
}

static void
hb_checks_cell_class_init (HbChecksCellClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hb_checks_cell_dispose;
  widget_class->measure = hb_checks_cell_measure;
  widget_class->size_allocate = hb_checks_cell_size_allocate;
  gtk_widget_class_set_css_name (widget_class, "hb-checks-cell");
}

static void
hb_checks_cell_init (HbChecksCell *self)
{
  GtkWidget *counts = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);

  self->passed = GTK_LABEL (gtk_label_new ("—"));
  self->failed = GTK_LABEL (gtk_label_new (NULL));
  self->pending = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (self->passed), "passed");
  gtk_widget_add_css_class (GTK_WIDGET (self->failed), "failed");
  gtk_widget_add_css_class (GTK_WIDGET (self->pending), "dim-label");
  gtk_box_append (GTK_BOX (counts), GTK_WIDGET (self->passed));
  gtk_box_append (GTK_BOX (counts), GTK_WIDGET (self->failed));
  gtk_box_append (GTK_BOX (counts), GTK_WIDGET (self->pending));
  self->button = GTK_BUTTON (gtk_button_new ());
  gtk_button_set_child (self->button, counts);
  gtk_widget_add_css_class (GTK_WIDGET (self->button), "hb-checks");
  gtk_widget_set_halign (GTK_WIDGET (self->button), GTK_ALIGN_START);
  gtk_widget_set_valign (GTK_WIDGET (self->button), GTK_ALIGN_CENTER);
  gtk_widget_set_parent (GTK_WIDGET (self->button), GTK_WIDGET (self));
  g_signal_connect_swapped (self->button, "clicked", G_CALLBACK (on_clicked), self);
  {
    GtkGesture *press = gtk_gesture_click_new ();

    gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (press), GDK_BUTTON_PRIMARY);
    gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (press), GTK_PHASE_CAPTURE);
    g_signal_connect (press, "pressed", G_CALLBACK (on_pressed), self);
    gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (press));
  }
  update_summary (self);
}

GtkWidget *
hb_checks_cell_new (void)
{
  return g_object_new (HB_TYPE_CHECKS_CELL, NULL);
}

void
hb_checks_cell_set_checks (HbChecksCell *self,
                           HbCheckBoard *board,
                           HbChecks     *checks)
{
  g_return_if_fail (HB_IS_CHECKS_CELL (self));

  if (self->checks == checks && self->board == board)
    return;
  disconnect (self);
  if (checks != NULL && board != NULL)
    {
      self->checks = g_object_ref (checks);
      self->board = g_object_ref (board);
      self->summary_id = g_signal_connect (checks, "notify::summary", G_CALLBACK (on_summary), self);
      self->changed_id = g_signal_connect (board, "changed", G_CALLBACK (on_board_changed), self);
    }
  if (self->popover != NULL)
    gtk_popover_popdown (self->popover);
  update_summary (self);
}

void
hb_checks_cell_popup (HbChecksCell *self)
{
  g_return_if_fail (HB_IS_CHECKS_CELL (self));

  if (self->checks == NULL)
    return;
  create_popover (self);
  /* As a click does: GTK 4.8's popover, shown while its window has no
   * focus, warns (gtk_widget_is_ancestor: NULL). */
  gtk_widget_grab_focus (GTK_WIDGET (self->button));
  gtk_popover_popup (self->popover);
}

GtkWidget *
hb_checks_cell_get_popover (HbChecksCell *self)
{
  g_return_val_if_fail (HB_IS_CHECKS_CELL (self), NULL);
  return self->popover ? GTK_WIDGET (self->popover) : NULL;
}
