/* hb-ladder.c - a sequence (ladder) diagram of one TCP conversation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two lifelines, client and server, and one arrow per segment or line,
 * one row each as in Wireshark's flow graph, so that a burst of segments
 * in one millisecond stays readable; the time is written beside each row.
 * Runs of one phase are shaded and named. Drawn with GtkSnapshot; the same
 * render node is drawn to cairo for PNG and SVG export.
 */

#include "config.h"

#include <cairo-svg.h>
#include <math.h>
#include <glib/gi18n.h>

#include "hb-ladder.h"
#include "hb-segment.h"

#define HEADER_H     56.0
#define ROW_H        34.0
#define TIME_W       96.0
#define PHASE_W      150.0
#define MIN_W        560

struct _HbLadder
{
  GtkWidget   parent_instance;
  GtkSelectionModel *model;    /* shared with whoever lists the same rows */
  char       *client_label;
  char       *server_label;
  int         selected;        /* the model's first selected row, or -1 */
  double      zoom;
  GtkAdjustment *vadjustment;  /* of the scrolled window showing us */
  gboolean    exporting;       /* draw every row, dark on white */
  int         export_width;    /* wide enough for every label, while exporting */
  char       *empty_text;      /* said when there are no rows; NULL: the default */
  HbLadderNumbers numbers;
  gboolean    numbers_everywhere;
};

enum {
  PROP_0,
  PROP_MODEL,
  PROP_SELECTED,
  PROP_ZOOM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (HbLadder, hb_ladder, GTK_TYPE_WIDGET)

static double
row_height (HbLadder *self)
{
  return ROW_H * self->zoom;
}

static guint
n_rows (HbLadder *self)
{
  return self->model ? g_list_model_get_n_items (G_LIST_MODEL (self->model)) : 0;
}

static void
phase_colour (HbTcpPhase  phase,
              GdkRGBA    *rgba)
{
  /* unknown, handshake, data, heartbeat, teardown */
  static const char *colours[] = { "#77767b", "#3584e4", "#2ec27e", "#e01b24", "#9141ac" };

  gdk_rgba_parse (rgba, colours[MIN ((guint) phase, G_N_ELEMENTS (colours) - 1)]);
}

static void
draw_text (GtkSnapshot   *snapshot,
           PangoLayout   *layout,
           const char    *text,
           double         x,
           double         y,
           double         align,  /* 0 left, 0.5 centre, 1 right of x */
           const GdkRGBA *colour)
{
  int w, h;

  pango_layout_set_text (layout, text, -1);
  pango_layout_get_pixel_size (layout, &w, &h);
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x - align * w, y - h / 2.0));
  gtk_snapshot_append_layout (snapshot, layout, colour);
  gtk_snapshot_restore (snapshot);
}

static void
draw_line (GtkSnapshot   *snapshot,
           double         x1,
           double         y1,
           double         x2,
           double         y2,
           double         width,
           const GdkRGBA *colour)
{
  double dx = x2 - x1, dy = y2 - y1;
  double len = sqrt (dx * dx + dy * dy);
  graphene_rect_t r;

  if (len <= 0)
    return;
  /* A thin rotated rectangle: GTK 4.8 has no path API. */
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x1, y1));
  gtk_snapshot_rotate (snapshot, atan2 (dy, dx) * 180.0 / G_PI);
  graphene_rect_init (&r, 0, -width / 2, len, width);
  gtk_snapshot_append_color (snapshot, colour, &r);
  gtk_snapshot_restore (snapshot);
}

/* @dashed: a segment only inferred from the application's record. */
static void
draw_arrow (GtkSnapshot   *snapshot,
            double         x1,
            double         x2,
            double         y,
            double         width,
            const GdkRGBA *colour,
            gboolean       dashed)
{
  double dir = x2 > x1 ? 1 : -1;

  if (!dashed)
    draw_line (snapshot, x1, y, x2, y, width, colour);
  else
    for (double x = x1; dir * (x2 - x) > 0; x += dir * 10)
      draw_line (snapshot, x, y, dir * (x2 - x) > 6 ? x + dir * 6 : x2, y, width, colour);
  draw_line (snapshot, x2, y, x2 - dir * 10, y - 5, width, colour);
  draw_line (snapshot, x2, y, x2 - dir * 10, y + 5, width, colour);
}

/* The text over a row's arrow: an arrow drawn from the application's
 * record says it was inferred; the handshake and teardown (or, when
 * asked, every arrow) carry their seq/ack numbers; else the label. */
static char *
arrow_label (HbLadder  *self,
             HbSegment *seg)
{
  if (hb_segment_get_inferred (seg))
    /* Translators: the label of an arrow the ladder draws without
     * a capture, as the textbook does: "SYN, ACK (inferred)". */
    return g_strdup_printf (_("%s (inferred)"), hb_segment_get_label (seg));
  if (self->numbers != HB_LADDER_NUMBERS_OFF &&
      (self->numbers_everywhere || hb_segment_get_phase (seg) == HB_TCP_PHASE_HANDSHAKE ||
       hb_segment_get_phase (seg) == HB_TCP_PHASE_TEARDOWN))
    return hb_segment_format_numbered (seg, self->numbers);
  return g_strdup (hb_segment_get_label (seg));
}

/* The width at which every arrow's label fits between the lifelines,
 * and the names over them: what an export is drawn at. */
static int
fitting_width (HbLadder *self)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), NULL);
  int widest = 200, w, h;

  for (guint i = 0; i < n_rows (self); i++)
    {
      g_autoptr(HbSegment) seg = g_list_model_get_item (G_LIST_MODEL (self->model), i);
      g_autofree char *label = NULL;

      if (hb_segment_is_note (seg))
        continue;
      label = arrow_label (self, seg);
      pango_layout_set_text (layout, label, -1);
      pango_layout_get_pixel_size (layout, &w, NULL);
      widest = MAX (widest, w + 12);
    }
  for (guint side = 0; side < 2; side++)
    {
      const char *name = side == 0 ? self->client_label : self->server_label;

      pango_layout_set_text (layout, name ? name : "", -1);
      pango_layout_get_pixel_size (layout, &w, &h);
      widest = MAX (widest, w + 24);
    }
  /* Cairo's image surfaces stop at 32,767 pixels, at twice the size. */
  return MIN ((int) (TIME_W + 60 + widest + 60 + PHASE_W), 16000);
}

static void
hb_ladder_snapshot (GtkWidget   *widget,
                    GtkSnapshot *snapshot)
{
  HbLadder *self = HB_LADDER (widget);
  double w = self->exporting && self->export_width > 0 ? self->export_width : gtk_widget_get_width (widget);
  double rh = row_height (self);
  double cx = TIME_W + 60, sx = MAX (w - PHASE_W - 60, cx + 200);
  double body_h = n_rows (self) * rh;
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, NULL);
  GdkRGBA fg, dim, white = { 1, 1, 1, 1 };
  graphene_rect_t r;
  guint n = n_rows (self);
  guint first = 0, last = n, run_start;
  double header_y;

  if (self->exporting)
    fg = (GdkRGBA) { 0, 0, 0, 1 };
  else
    gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  dim = fg;
  dim.alpha = 0.55;

  /* Only the rows in view (and one more each side): a long session has
   * thousands, and scrolling redraws. */
  if (!self->exporting && self->vadjustment != NULL && n > 0)
    {
      double top = gtk_adjustment_get_value (self->vadjustment);
      double bottom = top + gtk_adjustment_get_page_size (self->vadjustment);

      first = (guint) CLAMP (floor ((top - HEADER_H) / rh) - 1, 0, n);
      last = (guint) CLAMP (ceil ((bottom - HEADER_H) / rh) + 1, first, n);
    }
  run_start = first;

  /* Phase shading behind the rows, one band per run of a phase. */
  for (guint i = first; i <= last; i++)
    {
      g_autoptr(HbSegment) seg = i < last ? g_list_model_get_item (G_LIST_MODEL (self->model), i) : NULL;
      g_autoptr(HbSegment) head = last > first ? g_list_model_get_item (G_LIST_MODEL (self->model), run_start) : NULL;

      if (i < last && hb_segment_get_phase (seg) == hb_segment_get_phase (head))
        continue;
      if (head != NULL)
        {
          GdkRGBA band;

          phase_colour (hb_segment_get_phase (head), &band);
          band.alpha = 0.10;
          graphene_rect_init (&r, 0, HEADER_H + run_start * rh, w, (i - run_start) * rh);
          gtk_snapshot_append_color (snapshot, &band, &r);
          band.alpha = 1;
          draw_text (snapshot, layout, hb_tcp_phase_title (hb_segment_get_phase (head)),
                     w - 8, HEADER_H + run_start * rh + rh / 2, 1.0, &band);
        }
      run_start = i;
    }

  /* An exported diagram is for a page or a slide: no selection. */
  if (!self->exporting && self->selected >= 0 && (guint) self->selected < n)
    {
      GdkRGBA sel = { 0.21, 0.52, 0.89, 0.22 };

      graphene_rect_init (&r, 0, HEADER_H + self->selected * rh, w, rh);
      gtk_snapshot_append_color (snapshot, &sel, &r);
    }

  /* Lifelines; their names are drawn last, on top. */
  for (guint side = 0; side < 2; side++)
    {
      graphene_rect_init (&r, (side == 0 ? cx : sx) - 1, HEADER_H - 12, 2, body_h + 24);
      gtk_snapshot_append_color (snapshot, &dim, &r);
    }

  for (guint i = first; i < last; i++)
    {
      g_autoptr(HbSegment) seg = g_list_model_get_item (G_LIST_MODEL (self->model), i);
      double y = HEADER_H + i * rh + rh * 0.62;
      gboolean right = hb_segment_get_from_client (seg);
      GdkRGBA colour;
      char time[32];

      phase_colour (hb_segment_get_phase (seg), &colour);
      if (hb_segment_get_alarm (seg))
        gdk_rgba_parse (&colour, "#c01c28");
      g_snprintf (time, sizeof time, "%.6f", hb_segment_get_time (seg) / 1e6);
      draw_text (snapshot, layout, time, TIME_W - 6, y, 1.0, &dim);
      if (hb_segment_is_note (seg))
        {
          /* A state box on the lifeline it belongs to. */
          double x = right ? cx : sx;
          int tw, th;
          GdkRGBA box = { 0.96, 0.76, 0.07, 0.9 }, ink = { 0, 0, 0, 1 };
          GskRoundedRect rr;

          pango_layout_set_text (layout, hb_segment_get_label (seg), -1);
          pango_layout_get_pixel_size (layout, &tw, &th);
          graphene_rect_init (&r, x - tw / 2.0 - 6, y - th / 2.0 - 2, tw + 12, th + 4);
          gsk_rounded_rect_init_from_rect (&rr, &r, 4);
          gtk_snapshot_push_rounded_clip (snapshot, &rr);
          gtk_snapshot_append_color (snapshot, &box, &r);
          gtk_snapshot_pop (snapshot);
          draw_text (snapshot, layout, hb_segment_get_label (seg), x, y, 0.5, &ink);
          continue;
        }
      draw_arrow (snapshot, right ? cx : sx, right ? sx : cx, y,
                  hb_segment_get_alarm (seg) ? 3 : 1.6, &colour, hb_segment_get_inferred (seg));
      /* Between the lifelines, never across them; the table has it whole. */
      pango_layout_set_width (layout, (int) ((sx - cx - 12) * PANGO_SCALE));
      pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
      {
        g_autofree char *label = arrow_label (self, seg);

        draw_text (snapshot, layout, label, (cx + sx) / 2, y - rh * 0.3, 0.5,
                   hb_segment_get_inferred (seg) ? &dim : &fg);
      }
      pango_layout_set_width (layout, -1);
      pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_NONE);
    }

  if (n == 0)
    draw_text (snapshot, layout, hb_ladder_get_empty_text (self), (cx + sx) / 2, HEADER_H + 40, 0.5, &dim);

  /* The names stay in view however far the ladder is scrolled, on a band
   * of the window's own background. */
  header_y = 0;
  if (!self->exporting && self->vadjustment != NULL)
    {
      GtkStyleContext *style = gtk_widget_get_style_context (widget);
      GdkRGBA band;

      header_y = gtk_adjustment_get_value (self->vadjustment);

      if (header_y > 0 &&
          (gtk_style_context_lookup_color (style, "window_bg_color", &band) ||
           gtk_style_context_lookup_color (style, "theme_bg_color", &band)))
        {
          graphene_rect_init (&r, 0, header_y, w, HEADER_H - 4);
          gtk_snapshot_append_color (snapshot, &band, &r);
        }
    }
  for (guint side = 0; side < 2; side++)
    {
      double x = side == 0 ? cx : sx;
      const char *name = side == 0 ? self->client_label : self->server_label;
      GdkRGBA box = { 0.2, 0.2, 0.2, 0.85 };

      int nw = 0;
      double bw;

      /* As wide as the name, within its half of the space and the
       * window's edge; a name still too long loses its middle, so that
       * both its start and its port stay ("student-1…:60922"). */
      pango_layout_set_text (layout, name ? name : "", -1);
      pango_layout_get_pixel_size (layout, &nw, NULL);
      bw = CLAMP (nw + 16, 180, MIN (sx - cx - 16, 2 * (cx - 4)));
      graphene_rect_init (&r, x - bw / 2, header_y + 8, bw, 36);
      gtk_snapshot_append_color (snapshot, &box, &r);
      draw_text (snapshot, layout, side == 0 ? _("client") : _("server"), x, header_y + 18, 0.5, &white);
      pango_layout_set_width (layout, (int) ((bw - 12) * PANGO_SCALE));
      pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_MIDDLE);
      draw_text (snapshot, layout, name ? name : "", x, header_y + 34, 0.5, &white);
      pango_layout_set_width (layout, -1);
      pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_NONE);
    }
}

static void
hb_ladder_measure (GtkWidget      *widget,
                   GtkOrientation  orientation,
                   int             for_size,
                   int            *minimum,
                   int            *natural,
                   int            *minimum_baseline,
                   int            *natural_baseline)
{
  HbLadder *self = HB_LADDER (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    *minimum = *natural = MIN_W;
  else
    *minimum = *natural = (int) (HEADER_H + MAX (n_rows (self), 2) * row_height (self) + 24);
}

/* The selection is the model's: the ladder draws it and says when it
 * moved, whoever moved it (a click here, a row chosen in a table that
 * shares the model, rows that came before it). */
static void
update_selected (HbLadder *self)
{
  int selected = -1;

  if (self->model != NULL)
    {
      GtkBitset *set = gtk_selection_model_get_selection (self->model);

      if (!gtk_bitset_is_empty (set))
        selected = (int) gtk_bitset_get_minimum (set);
      gtk_bitset_unref (set);
    }
  if (selected == self->selected)
    return;
  self->selected = selected;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED]);
}

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  HbLadder   *self)
{
  update_selected (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

static void
on_selection_changed (GtkSelectionModel *model,
                      guint              position,
                      guint              n_items,
                      HbLadder          *self)
{
  update_selected (self);
}

/* The row drawn at @y, or -1: none there, or under the names, which stay
 * on top of the rows scrolled under them. */
static int
row_at (HbLadder *self,
        double    y)
{
  int row = (int) floor ((y - HEADER_H) / row_height (self));
  double names_end = HEADER_H + (self->vadjustment ? gtk_adjustment_get_value (self->vadjustment) : 0);

  return y >= names_end && row >= 0 && (guint) row < n_rows (self) ? row : -1;
}

static void
on_click (GtkGestureClick *gesture,
          int              n_press,
          double           x,
          double           y,
          HbLadder        *self)
{
  int row = row_at (self, y);

  if (row >= 0)
    hb_ladder_set_selected (self, row);
  gtk_widget_grab_focus (GTK_WIDGET (self));
}

/* The whole of a row whose label was shortened, and its packet's Info. */
static gboolean
on_query_tooltip (GtkWidget  *widget,
                  int         x,
                  int         y,
                  gboolean    keyboard,
                  GtkTooltip *tooltip,
                  HbLadder   *self)
{
  int row = keyboard ? self->selected : row_at (self, y);
  g_autoptr(HbSegment) seg = NULL;
  g_autofree char *text = NULL;
  g_autofree char *label = NULL;

  if (row < 0 || (guint) row >= n_rows (self))
    return FALSE;
  seg = g_list_model_get_item (G_LIST_MODEL (self->model), row);
  label = hb_segment_is_note (seg) ? g_strdup (hb_segment_get_label (seg)) : arrow_label (self, seg);
  if (g_strcmp0 (label, hb_segment_get_info (seg)) == 0)
    gtk_tooltip_set_text (tooltip, label);
  else
    {
      text = g_strdup_printf ("%s\n%s", label, hb_segment_get_info (seg));
      gtk_tooltip_set_text (tooltip, text);
    }
  return TRUE;
}

static gboolean
on_scroll (GtkEventControllerScroll *controller,
           double                    dx,
           double                    dy,
           HbLadder                 *self)
{
  GdkModifierType mods = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (controller));

  if (!(mods & GDK_CONTROL_MASK))
    return FALSE;
  hb_ladder_set_zoom (self, self->zoom * (dy < 0 ? 1.15 : 1 / 1.15));
  return TRUE;
}

/* Scrolls so that @row and a row either side are in view. */
void
hb_ladder_scroll_to (HbLadder *self,
                     int       row)
{
  double rh, top, bottom, value, page;

  g_return_if_fail (HB_IS_LADDER (self));

  if (self->vadjustment == NULL || row < 0)
    return;
  rh = row_height (self);
  top = row == 0 ? 0 : (row - 1) * rh;   /* below the names, which stay on top */
  bottom = HEADER_H + (row + 2) * rh;
  value = gtk_adjustment_get_value (self->vadjustment);
  page = gtk_adjustment_get_page_size (self->vadjustment);
  if (page <= 0)
    return;
  if (top < value)
    gtk_adjustment_set_value (self->vadjustment, top);
  else if (bottom > value + page)
    gtk_adjustment_set_value (self->vadjustment, bottom - page);
}

/* Rows a page holds, for Page Up and Page Down. */
static int
rows_per_page (HbLadder *self)
{
  double page = self->vadjustment ? gtk_adjustment_get_page_size (self->vadjustment) : 0;

  return MAX (1, (int) ((page - HEADER_H) / row_height (self)));
}

/* ladder.move: by @param rows; ±G_MAXINT32 for the first and last row,
 * ±(G_MAXINT32 - 1) for a page. No row selected yet: Down starts at the
 * top, Up at the bottom. */
static void
move_selection (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  HbLadder *self = HB_LADDER (widget);
  gint64 delta = g_variant_get_int32 (param);
  gint64 n = n_rows (self);
  gint64 from = self->selected;

  if (n == 0)
    return;
  if (delta == G_MAXINT32 - 1 || delta == -(G_MAXINT32 - 1))
    delta = delta > 0 ? rows_per_page (self) : -rows_per_page (self);
  if (from < 0)
    from = delta > 0 ? -1 : n;
  hb_ladder_set_selected (self, (int) CLAMP (from + delta, 0, n - 1));
  hb_ladder_scroll_to (self, self->selected);
}

static void
hb_ladder_dispose (GObject *object)
{
  HbLadder *self = HB_LADDER (object);

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  g_clear_object (&self->model);
  if (self->vadjustment != NULL)
    g_signal_handlers_disconnect_by_data (self->vadjustment, self);
  g_clear_object (&self->vadjustment);
  G_OBJECT_CLASS (hb_ladder_parent_class)->dispose (object);
}

static void
hb_ladder_finalize (GObject *object)
{
  HbLadder *self = HB_LADDER (object);

  g_free (self->client_label);
  g_free (self->server_label);
  g_free (self->empty_text);
  G_OBJECT_CLASS (hb_ladder_parent_class)->finalize (object);
}

static void
hb_ladder_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  HbLadder *self = HB_LADDER (object);

  switch (prop_id)
    {
    case PROP_MODEL: g_value_set_object (value, self->model); break;
    case PROP_SELECTED: g_value_set_int (value, self->selected); break;
    case PROP_ZOOM: g_value_set_double (value, self->zoom); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hb_ladder_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  HbLadder *self = HB_LADDER (object);

  switch (prop_id)
    {
    case PROP_MODEL: hb_ladder_set_model (self, g_value_get_object (value)); break;
    case PROP_SELECTED: hb_ladder_set_selected (self, g_value_get_int (value)); break;
    case PROP_ZOOM: hb_ladder_set_zoom (self, g_value_get_double (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hb_ladder_class_init (HbLadderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hb_ladder_dispose;
  object_class->finalize = hb_ladder_finalize;
  object_class->get_property = hb_ladder_get_property;
  object_class->set_property = hb_ladder_set_property;
  widget_class->snapshot = hb_ladder_snapshot;
  widget_class->measure = hb_ladder_measure;

  /**
   * HbLadder:model:
   *
   * The rows (#HbSegment) and which is selected: a table showing the
   * same model shares the selection.
   */
  properties[PROP_MODEL] =
    g_param_spec_object ("model", NULL, NULL, GTK_TYPE_SELECTION_MODEL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /**
   * HbLadder:selected:
   *
   * The model's selected row, -1 when none: setting it selects in the
   * model.
   */
  properties[PROP_SELECTED] =
    g_param_spec_int ("selected", NULL, NULL, -1, G_MAXINT, -1,
                      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ZOOM] =
    g_param_spec_double ("zoom", NULL, NULL, 0.5, 4.0, 1.0,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_install_action (widget_class, "ladder.move", "i", move_selection);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Down, 0, "ladder.move", "i", 1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Up, 0, "ladder.move", "i", -1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Page_Down, 0, "ladder.move", "i", G_MAXINT32 - 1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Page_Up, 0, "ladder.move", "i", -(G_MAXINT32 - 1));
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_End, 0, "ladder.move", "i", G_MAXINT32);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Home, 0, "ladder.move", "i", -G_MAXINT32);
  gtk_widget_class_set_css_name (widget_class, "hb-ladder");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
hb_ladder_init (HbLadder *self)
{
  GtkGesture *click = gtk_gesture_click_new ();
  GtkEventController *scroll = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);

  self->selected = -1;
  self->zoom = 1.0;
  /* The handshake and the teardown as the lessons tell them: x and y. */
  self->numbers = HB_LADDER_NUMBERS_SYMBOLIC;
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (on_query_tooltip), self);
  g_signal_connect (click, "pressed", G_CALLBACK (on_click), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  g_signal_connect (scroll, "scroll", G_CALLBACK (on_scroll), self);
  gtk_widget_add_controller (GTK_WIDGET (self), scroll);
}

GtkWidget *
hb_ladder_new (void)
{
  return g_object_new (HB_TYPE_LADDER, NULL);
}

void
hb_ladder_set_model (HbLadder          *self,
                     GtkSelectionModel *model)
{
  g_return_if_fail (HB_IS_LADDER (self));
  g_return_if_fail (model == NULL || GTK_IS_SELECTION_MODEL (model));

  if (self->model == model)
    return;
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  g_set_object (&self->model, model);
  if (model != NULL)
    {
      g_signal_connect (model, "items-changed", G_CALLBACK (on_items_changed), self);
      g_signal_connect (model, "selection-changed", G_CALLBACK (on_selection_changed), self);
    }
  update_selected (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
}

GtkSelectionModel *
hb_ladder_get_model (HbLadder *self)
{
  g_return_val_if_fail (HB_IS_LADDER (self), NULL);
  return self->model;
}

void
hb_ladder_set_vadjustment (HbLadder      *self,
                           GtkAdjustment *adjustment)
{
  g_return_if_fail (HB_IS_LADDER (self));

  if (self->vadjustment != NULL)
    g_signal_handlers_disconnect_by_data (self->vadjustment, self);
  g_set_object (&self->vadjustment, adjustment);
  /* Only rows in view are drawn: a new page size (the first allocation,
   * a zoom) shows other rows as much as a scroll does. */
  if (adjustment != NULL)
    {
      g_signal_connect_swapped (adjustment, "value-changed", G_CALLBACK (gtk_widget_queue_draw), self);
      g_signal_connect_swapped (adjustment, "changed", G_CALLBACK (gtk_widget_queue_draw), self);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
hb_ladder_set_labels (HbLadder   *self,
                      const char *client,
                      const char *server)
{
  g_free (self->client_label);
  g_free (self->server_label);
  self->client_label = g_strdup (client);
  self->server_label = g_strdup (server);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
hb_ladder_set_empty_text (HbLadder   *self,
                          const char *text)
{
  g_return_if_fail (HB_IS_LADDER (self));
  g_free (self->empty_text);
  self->empty_text = g_strdup (text);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const char *
hb_ladder_get_empty_text (HbLadder *self)
{
  g_return_val_if_fail (HB_IS_LADDER (self), NULL);
  return self->empty_text ? self->empty_text : _("Nothing yet: segments appear here as they happen.");
}

const char *
hb_ladder_get_client_label (HbLadder *self)
{
  g_return_val_if_fail (HB_IS_LADDER (self), NULL);
  return self->client_label;
}

const char *
hb_ladder_get_server_label (HbLadder *self)
{
  g_return_val_if_fail (HB_IS_LADDER (self), NULL);
  return self->server_label;
}

int
hb_ladder_get_selected (HbLadder *self)
{
  g_return_val_if_fail (HB_IS_LADDER (self), -1);
  return self->selected;
}

void
hb_ladder_set_selected (HbLadder *self,
                        int       index)
{
  g_return_if_fail (HB_IS_LADDER (self));

  if (self->model == NULL || index == self->selected)
    return;
  /* GTK 4.8's single selection cannot unselect all, only an item. */
  if (index < 0)
    gtk_selection_model_unselect_item (self->model, self->selected);
  else
    gtk_selection_model_select_item (self->model, index, TRUE);
  /* A model that does not say so (or refuses) is asked again. */
  update_selected (self);
}

double
hb_ladder_get_row_y (HbLadder *self,
                     int       row)
{
  g_return_val_if_fail (HB_IS_LADDER (self), 0);
  return HEADER_H + (row + 0.5) * row_height (self);
}

double
hb_ladder_get_zoom (HbLadder *self)
{
  g_return_val_if_fail (HB_IS_LADDER (self), 1.0);
  return self->zoom;
}

void
hb_ladder_set_zoom (HbLadder *self,
                    double    zoom)
{
  g_return_if_fail (HB_IS_LADDER (self));

  zoom = CLAMP (zoom, 0.5, 4.0);
  if (zoom == self->zoom)
    return;
  self->zoom = zoom;
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
}

gboolean
hb_ladder_export (HbLadder    *self,
                  const char  *path,
                  GError     **error)
{
  GtkWidget *widget = GTK_WIDGET (self);
  /* Every label whole: an export is for a page or a slide, where no
   * tooltip shows what "WELCO…" was. */
  int width = MAX (MAX (gtk_widget_get_width (widget), MIN_W), fitting_width (self));
  int height = (int) (HEADER_H + MAX (n_rows (self), 2) * row_height (self) + 24);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  cairo_surface_t *surface;
  cairo_t *cr;
  gboolean svg = g_str_has_suffix (path, ".svg");
  int scale = 1;
  cairo_status_t status;
  GdkRGBA background = { 1, 1, 1, 1 };
  graphene_rect_t all;

  /* Cairo's image surfaces stop at 32,767 pixels; SVG has no limit. A
   * PNG is drawn at twice the size where it fits, sharp on a slide. */
  if (!svg && height * 2 <= 32767)
    scale = 2;
  if (!svg && height > 32767)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("The ladder is too long for a PNG image (%d pixels high; the most is 32,767). "
                     "Export it as SVG, or zoom out first."), height);
      return FALSE;
    }
  graphene_rect_init (&all, 0, 0, width, height);
  gtk_snapshot_append_color (snapshot, &background, &all);
  self->exporting = TRUE;
  self->export_width = width;
  hb_ladder_snapshot (widget, snapshot);
  self->exporting = FALSE;
  self->export_width = 0;
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));

  surface = svg ? cairo_svg_surface_create (path, width, height)
                : cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width * scale, height * scale);
  cr = cairo_create (surface);
  cairo_scale (cr, scale, scale);
  if (node != NULL)
    gsk_render_node_draw (node, cr);
  cairo_destroy (cr);
  status = svg ? CAIRO_STATUS_SUCCESS : cairo_surface_write_to_png (surface, path);
  cairo_surface_finish (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);

  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not write %s: %s"),
                   path, cairo_status_to_string (status));
      return FALSE;
    }
  return TRUE;
}

void
hb_ladder_set_numbers (HbLadder        *self,
                       HbLadderNumbers  numbers,
                       gboolean         everywhere)
{
  g_return_if_fail (HB_IS_LADDER (self));

  self->numbers = numbers;
  self->numbers_everywhere = everywhere;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

HbLadderNumbers
hb_ladder_get_numbers (HbLadder *self)
{
  g_return_val_if_fail (HB_IS_LADDER (self), HB_LADDER_NUMBERS_OFF);
  return self->numbers;
}
