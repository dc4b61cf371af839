/* hb-server-columns.c - the columns of the server's client list: one row per client, bound to its HbConnection
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each cell is bound to its row's properties through expressions, so a
 * heartbeat updates a label, never the list; one HbClock drives every
 * "3 s ago". A label is set only when its text changes and it is in sight
 * (HbCellText): of the ~200 rows GTK 4.8 makes, most are out of sight, and
 * each setting lays the label out again and draws a frame. What was held
 * back is shown when the list scrolls or changes size, and at each tick of
 * the clock (rows moved by joins and leaves). In raw TCP nothing is
 * judged: the heartbeat, ack, RTT, missed and state cells say "—".
 */

#include "config.h"

#include <glib/gi18n.h>

#include "hb-cell-text.h"
#include "hb-checks-cell.h"
#include "hb-clock.h"
#include "hb-server-columns.h"

struct _HbServerColumns
{
  GtkColumnView       *view;
  HbClock             *clock;
  HbServerColumnsBoard board;
  gpointer             board_data;
  GtkColumnViewColumn *name_column;
  GtkColumnViewColumn *ping_column;
  GtkColumnViewColumn *pong_column;
  GtkColumnViewColumn *checks_column;
  GtkAdjustment       *adjustments[2];   /* v, h: scrolling shows other rows */
  GdkFrameClock       *frame_clock;      /* while a catch-up waits for a frame */
  gulong               after_paint_id;
  GListModel          *model;            /* joins and leaves move rows */
};

/* Every held-back text in sight now is shown. */
static void
catch_up_tree (GtkWidget *widget)
{
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      if (GTK_IS_LABEL (c))
        {
          HbCellText *text = hb_cell_text_get (GTK_LABEL (c));

          if (text != NULL)
            hb_cell_text_catch_up (text);
        }
      else
        catch_up_tree (c);
    }
}

static void
catch_up_after_frame (GdkFrameClock   *clock,
                      HbServerColumns *self)
{
  g_clear_signal_handler (&self->after_paint_id, self->frame_clock);
  g_clear_object (&self->frame_clock);
  if (self->view != NULL)
    catch_up_tree (GTK_WIDGET (self->view));
}

/* Once the rows are where the next frame puts them. */
static void
catch_up_soon (HbServerColumns *self)
{
  GdkFrameClock *clock = self->view ? gtk_widget_get_frame_clock (GTK_WIDGET (self->view)) : NULL;

  if (self->after_paint_id != 0 && clock == self->frame_clock &&
      g_signal_handler_is_connected (clock, self->after_paint_id))
    return;
  /* None yet, or one on a clock gone with its surface. */
  if (self->after_paint_id != 0 && g_signal_handler_is_connected (self->frame_clock, self->after_paint_id))
    g_signal_handler_disconnect (self->frame_clock, self->after_paint_id);
  self->after_paint_id = 0;
  g_clear_object (&self->frame_clock);
  if (clock == NULL)
    return;
  self->frame_clock = g_object_ref (clock);
  self->after_paint_id = g_signal_connect (clock, "after-paint", G_CALLBACK (catch_up_after_frame), self);
}

static void
on_clock_now (HbClock         *clock,
              GParamSpec      *pspec,
              HbServerColumns *self)
{
  if (self->view != NULL)
    catch_up_tree (GTK_WIDGET (self->view));
}

static void
on_model_set (GtkColumnView   *view,
              GParamSpec      *pspec,
              HbServerColumns *self)
{
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  g_set_object (&self->model, G_LIST_MODEL (gtk_column_view_get_model (view)));
  if (self->model != NULL)
    g_signal_connect_swapped (self->model, "items-changed", G_CALLBACK (catch_up_soon), self);
}


/* The connection a cell shows: expressions are evaluated for the list
 * item, which is the "this" of every closure below. */
static gboolean
is_raw (GObject *item)
{
  HbConnection *conn = GTK_IS_LIST_ITEM (item) ? gtk_list_item_get_item (GTK_LIST_ITEM (item)) : NULL;

  return conn != NULL && hb_connection_get_protocol (conn) == HB_PROTOCOL_RAW;
}

static char *
format_uint (GObject *item, guint value, gpointer data)
{
  return g_strdup_printf ("%u", value);
}

static char *
format_missed (GObject *item, guint value, gpointer data)
{
  if (is_raw (item))
    return g_strdup ("—");
  return g_strdup_printf ("%u", value);
}

static char *
format_name (GObject *item, const char *name, gpointer data)
{
  return g_strdup (name ? name : "—");
}

static char *
format_since (GObject *item, gint64 then, gint64 now, gpointer data)
{
  return hb_format_ago (then, now);
}

static char *
format_since_judged (GObject *item, gint64 then, gint64 now, gpointer data)
{
  if (is_raw (item))
    return g_strdup ("—");
  return hb_format_ago (then, now);
}

static char *
format_rtt (GObject *item, gint64 last, gint64 avg, gpointer data)
{
  g_autofree char *l = hb_format_rtt (last);
  g_autofree char *a = hb_format_rtt (avg);

  if (last < 0 || is_raw (item))
    return g_strdup ("—");
  return g_strdup_printf (_("%s (avg %s)"), l, a);
}

static char *
format_bytes (GObject *item, guint64 in, guint64 out, gpointer data)
{
  g_autofree char *i = hb_format_bytes (in);
  g_autofree char *o = hb_format_bytes (out);

  return g_strdup_printf ("%s / %s", i, o);
}

static char *
format_tooltip_time (GObject *item, gint64 wall, gpointer data)
{
  g_autoptr(GDateTime) dt = NULL;

  if (wall <= 0)
    return NULL;
  dt = hb_date_time_new_local (wall);
  return g_date_time_format (dt, "%Y-%m-%d %H:%M:%S");
}

static GtkExpression *
row_prop (const char *name)
{
  return gtk_property_expression_new (HB_TYPE_CONNECTION,
                                      gtk_property_expression_new (GTK_TYPE_LIST_ITEM, NULL, "item"),
                                      name);
}

static GtkExpression *
closure1 (GtkExpression *a,
          GCallback      format)
{
  return gtk_cclosure_expression_new (G_TYPE_STRING, NULL, 1, &a, format, NULL, NULL);
}

static GtkExpression *
closure2 (GtkExpression *a,
          GtkExpression *b,
          GCallback      format)
{
  GtkExpression *params[2] = { a, b };

  return gtk_cclosure_expression_new (G_TYPE_STRING, NULL, 2, params, format, NULL, NULL);
}

static GtkExpression *
clock_now (HbServerColumns *self)
{
  /* A constant expression holds a plain reference; GTK 4.8's object
   * expression (a weak reference) leaked when the clock went first. */
  return gtk_property_expression_new (HB_TYPE_CLOCK,
                                      gtk_constant_expression_new (HB_TYPE_CLOCK, self->clock),
                                      "now");
}

typedef struct
{
  GtkExpression *text;     /* string */
  GtkExpression *tooltip;  /* string, or NULL */
  float          xalign;
  int            width_chars;  /* room for the longest value, known before it comes */
} TextCell;

static gboolean
text_cell_query_tooltip (GtkWidget   *label,
                         int          x,
                         int          y,
                         gboolean     keyboard,
                         GtkTooltip  *tooltip,
                         GtkListItem *item)
{
  GtkExpression *expr = g_object_get_data (G_OBJECT (label), "hb-tooltip");
  g_auto(GValue) value = G_VALUE_INIT;

  if (gtk_list_item_get_item (item) == NULL || !gtk_expression_evaluate (expr, item, &value) ||
      g_value_get_string (&value) == NULL)
    return FALSE;
  gtk_tooltip_set_text (tooltip, g_value_get_string (&value));
  return TRUE;
}

/* Without a tooltip of its own, a cell that is cut shows its whole text. */
static gboolean
text_cell_query_cut (GtkWidget  *label,
                     int         x,
                     int         y,
                     gboolean    keyboard,
                     GtkTooltip *tooltip,
                     gpointer    data)
{
  if (!pango_layout_is_ellipsized (gtk_label_get_layout (GTK_LABEL (label))))
    return FALSE;
  gtk_tooltip_set_text (tooltip, gtk_label_get_text (GTK_LABEL (label)));
  return TRUE;
}

static gboolean
is_open (GObject *item, gboolean closing, gpointer data)
{
  return !closing;
}

/* A row stays, greyed, while its client is leaving and for a while after
 * (the window keeps departed rows): every cell is insensitive. */
static GtkExpression *
row_open (void)
{
  GtkExpression *closing = row_prop ("closing");

  return gtk_cclosure_expression_new (G_TYPE_BOOLEAN, NULL, 1, &closing, G_CALLBACK (is_open), NULL, NULL);
}

static void
text_cell_setup (GtkSignalListItemFactory *factory,
                 GtkListItem              *item,
                 TextCell                 *cell)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), cell->xalign);
  gtk_label_set_width_chars (GTK_LABEL (label), cell->width_chars);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  if (cell->xalign > 0.5)
    gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (item, label);
  /* Bound to the list item, so the binding follows whatever row it shows;
   * through an HbCellText, which sets the label only when that shows. */
  gtk_expression_bind (gtk_expression_ref (cell->text), hb_cell_text_new (GTK_LABEL (label), item), "text", item);
  gtk_expression_bind (row_open (), label, "sensitive", item);
  /* The tooltip is worked out when asked for: bound like the text, it was
   * set at every heartbeat of every row on screen, and each setting cost a
   * round trip to the X server for the pointer's position. */
  if (cell->tooltip)
    {
      g_object_set_data_full (G_OBJECT (label), "hb-tooltip", gtk_expression_ref (cell->tooltip),
                              (GDestroyNotify) gtk_expression_unref);
      gtk_widget_set_has_tooltip (label, TRUE);
      g_signal_connect (label, "query-tooltip", G_CALLBACK (text_cell_query_tooltip), item);
    }
  else
    {
      gtk_widget_set_has_tooltip (label, TRUE);
      g_signal_connect (label, "query-tooltip", G_CALLBACK (text_cell_query_cut), NULL);
    }
}

static void
text_cell_free (gpointer data)
{
  TextCell *cell = data;

  gtk_expression_unref (cell->text);
  g_clear_pointer (&cell->tooltip, gtk_expression_unref);
  g_free (cell);
}

static GtkColumnViewColumn *
add_text_column (HbServerColumns *self,
                 const char      *title,
                 GtkExpression   *text,
                 GtkExpression   *tooltip,
                 GtkSorter       *sorter,
                 float            xalign,
                 gboolean         expand)
{
  TextCell *cell = g_new0 (TextCell, 1);
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkColumnViewColumn *column;

  cell->text = text;
  cell->tooltip = tooltip;
  cell->xalign = xalign;
  cell->width_chars = -1;
  g_signal_connect (factory, "setup", G_CALLBACK (text_cell_setup), cell);
  g_object_set_data_full (G_OBJECT (factory), "hb-cell", cell, text_cell_free);

  column = gtk_column_view_column_new (title, factory);
  gtk_column_view_column_set_resizable (column, TRUE);
  gtk_column_view_column_set_expand (column, expand);
  if (sorter)
    gtk_column_view_column_set_sorter (column, sorter);
  gtk_column_view_append_column (self->view, column);
  g_clear_object (&sorter);
  g_object_unref (column);
  return column;  /* the view keeps it */
}

/* A column is as wide as its cells were when first laid out: the RTT,
 * "—" then, was cut to "1.05 ms (av…" once the answers came. Room is
 * made for @sample, its longest likely text in this language (a wide
 * character, Chinese, counts two). */
static void
reserve_room (GtkColumnViewColumn *column,
              const char          *sample)
{
  TextCell *cell = g_object_get_data (G_OBJECT (gtk_column_view_column_get_factory (column)), "hb-cell");
  int width = 0;

  for (const char *p = sample; *p; p = g_utf8_next_char (p))
    width += g_unichar_iswide (g_utf8_get_char (p)) ? 2 : 1;
  cell->width_chars = width;
}

const char *
hb_server_reason_words (HbByeReason reason)
{
  switch (reason)
    {
    case HB_BYE_SHUTDOWN: return _("the server shut down");
    case HB_BYE_KICKED: return _("kicked");
    case HB_BYE_TIMEOUT: return _("no heartbeat answer within the timeout");
    case HB_BYE_SLOW_CONSUMER: return _("stopped reading (slow consumer)");
    case HB_BYE_SERVER_FULL: return _("the server was full");
    case HB_BYE_GOODBYE: return _("said goodbye");
    case HB_BYE_RATE_LIMITED: return _("sent faster than the rate limit while not reading");
    case HB_BYE_PEER_CLOSED: return _("closed the connection");
    case HB_BYE_RESET: return _("connection reset");
    case HB_BYE_ERROR: return _("network error");
    default: return hb_bye_reason_to_string (reason);
    }
}

static int
liveness_rank (GObject *item, HbLiveness liveness, gpointer data)
{
  return liveness;
}

static GtkSorter *
numeric_sorter (const char *prop)
{
  return GTK_SORTER (gtk_numeric_sorter_new (gtk_property_expression_new (HB_TYPE_CONNECTION, NULL, prop)));
}

/* The state cell: icon and word, never colour alone, and a heart that
 * beats when the client's answer arrives. */
typedef struct
{
  GtkWidget    *image;
  GtkWidget    *label;
  GtkWidget    *heart;
  HbConnection *conn;
  gulong        liveness_id;
  gulong        closing_id;
  gulong        pong_id;
  guint         beat_id;
} StateCell;

/* Why a client left, in a word or two, for its greyed State cell. */
static const char *
reason_short (HbByeReason reason)
{
  switch (reason)
    {
    case HB_BYE_SHUTDOWN: return C_("left", "server stopped");
    case HB_BYE_KICKED: return C_("left", "kicked");
    case HB_BYE_TIMEOUT: return C_("left", "timed out");
    case HB_BYE_SLOW_CONSUMER: return C_("left", "not reading");
    case HB_BYE_SERVER_FULL: return C_("left", "server full");
    case HB_BYE_GOODBYE: return C_("left", "said BYE");
    case HB_BYE_RATE_LIMITED: return C_("left", "flooding");
    case HB_BYE_PEER_CLOSED: return C_("left", "closed (FIN)");
    case HB_BYE_RESET: return C_("left", "reset (RST)");
    case HB_BYE_ERROR: return C_("left", "network error");
    default: return hb_bye_reason_to_string (reason);
    }
}

static void
state_cell_update (StateCell *cell)
{
  static const char *icons[] = { "emblem-ok-symbolic", "dialog-warning-symbolic", "dialog-error-symbolic" };
  static const char *classes[] = { "alive", "late", "dead" };
  HbLiveness l = hb_connection_get_liveness (cell->conn);
  GtkWidget *box = gtk_widget_get_parent (cell->image);
  const char *words[] = { C_("liveness", "alive"), C_("liveness", "late"), C_("liveness", "dead") };
  gboolean raw = hb_connection_get_protocol (cell->conn) == HB_PROTOCOL_RAW;

  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    gtk_widget_remove_css_class (box, classes[i]);
  gtk_widget_set_sensitive (box, !hb_connection_get_closing (cell->conn));
  /* Raw TCP has no heartbeat: nothing to be alive or dead by. */
  gtk_widget_set_visible (cell->heart, !raw);
  gtk_widget_set_visible (cell->image, !raw);
  if (raw)
    {
      gtk_label_set_text (GTK_LABEL (cell->label), "—");
      return;
    }
  gtk_image_set_from_icon_name (GTK_IMAGE (cell->image), icons[l]);
  if (hb_connection_get_closing (cell->conn))
    {
      /* Grey, as the rest of the row: no colour of a living state. */
      /* Leaving, or gone: kept a while, greyed, saying why. A client
       * that died stays "dead"; any other is "gone". */
      HbByeReason reason = hb_connection_get_close_reason (cell->conn);
      g_autofree char *text =
        g_strdup_printf (_("%s · %s"),
                         l == HB_LIVENESS_DEAD ? words[l] : C_("liveness", "gone"),
                         reason_short (reason));

      gtk_label_set_text (GTK_LABEL (cell->label), text);
      gtk_widget_set_tooltip_text (cell->label, hb_server_reason_words (reason));
      gtk_widget_set_visible (cell->heart, FALSE);
      gtk_widget_set_visible (cell->image, l == HB_LIVENESS_DEAD);
      return;
    }
  gtk_widget_add_css_class (box, classes[l]);
  gtk_label_set_text (GTK_LABEL (cell->label), words[l]);
  if (gtk_widget_get_has_tooltip (cell->label))
    gtk_widget_set_tooltip_text (cell->label, NULL);
}

static void
state_liveness_changed (HbConnection *conn,
                        GParamSpec   *pspec,
                        StateCell    *cell)
{
  state_cell_update (cell);
}

static gboolean
beat_done (gpointer data)
{
  StateCell *cell = data;

  cell->beat_id = 0;
  gtk_widget_remove_css_class (cell->heart, "beat");
  return G_SOURCE_REMOVE;
}

/* GTK 4.8's list views keep about 200 rows made, most of them outside the
 * viewport; a heart there need not beat. Each beat restyles the heart and
 * runs its transition, which at 10,000 clients was most of every frame. */
static gboolean
heart_in_view (StateCell *cell)
{
  GtkWidget *view = gtk_widget_get_ancestor (cell->heart, GTK_TYPE_COLUMN_VIEW);
  double x, y;

  if (view == NULL || !gtk_widget_get_mapped (cell->heart) ||
      !gtk_widget_translate_coordinates (cell->heart, view, 0, 0, &x, &y))
    return FALSE;
  return y + gtk_widget_get_height (cell->heart) > 0 && y < gtk_widget_get_height (view);
}

static void
state_pong_arrived (HbConnection *conn,
                    GParamSpec   *pspec,
                    StateCell    *cell)
{
  if (!heart_in_view (cell))
    return;
  gtk_widget_add_css_class (cell->heart, "beat");
  g_clear_handle_id (&cell->beat_id, g_source_remove);
  cell->beat_id = g_timeout_add (400, beat_done, cell);
}

static void
state_cell_free (gpointer data)
{
  StateCell *cell = data;

  g_clear_handle_id (&cell->beat_id, g_source_remove);
  g_free (cell);
}

static gboolean
heart_query_tooltip (GtkWidget  *heart,
                     int         x,
                     int         y,
                     gboolean    keyboard,
                     GtkTooltip *tooltip,
                     gpointer    data)
{
  gtk_tooltip_set_text (tooltip, _("Beats when the client's heartbeat answer (PONG) arrives"));
  return TRUE;
}

static void
state_setup (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             gpointer                  user_data)
{
  StateCell *cell = g_new0 (StateCell, 1);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

  cell->heart = gtk_image_new_from_icon_name ("emblem-favorite-symbolic");
  gtk_widget_add_css_class (cell->heart, "hb-heart");
  /* Not gtk_widget_set_tooltip_text(): that asks the X server where the
   * pointer is, twice, for each of the ~200 rows the list makes. */
  gtk_widget_set_has_tooltip (cell->heart, TRUE);
  g_signal_connect (cell->heart, "query-tooltip", G_CALLBACK (heart_query_tooltip), NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (cell->heart), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  _("Beats when the client's heartbeat answer (PONG) arrives"), -1);
  cell->image = gtk_image_new ();
  cell->label = gtk_label_new (NULL);
  gtk_box_append (GTK_BOX (box), cell->heart);
  gtk_box_append (GTK_BOX (box), cell->image);
  gtk_box_append (GTK_BOX (box), cell->label);
  gtk_widget_add_css_class (box, "hb-state");
  g_object_set_data_full (G_OBJECT (item), "hb-state-cell", cell, state_cell_free);
  gtk_list_item_set_child (item, box);
}

static void
state_bind (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            gpointer                  user_data)
{
  StateCell *cell = g_object_get_data (G_OBJECT (item), "hb-state-cell");

  cell->conn = gtk_list_item_get_item (item);
  cell->liveness_id = g_signal_connect (cell->conn, "notify::liveness",
                                        G_CALLBACK (state_liveness_changed), cell);
  cell->closing_id = g_signal_connect (cell->conn, "notify::closing",
                                       G_CALLBACK (state_liveness_changed), cell);
  cell->pong_id = g_signal_connect (cell->conn, "notify::last-pong",
                                    G_CALLBACK (state_pong_arrived), cell);
  state_cell_update (cell);
}

static void
state_unbind (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              gpointer                  user_data)
{
  StateCell *cell = g_object_get_data (G_OBJECT (item), "hb-state-cell");

  g_clear_signal_handler (&cell->liveness_id, cell->conn);
  g_clear_signal_handler (&cell->closing_id, cell->conn);
  g_clear_signal_handler (&cell->pong_id, cell->conn);
  g_clear_handle_id (&cell->beat_id, g_source_remove);
  gtk_widget_remove_css_class (cell->heart, "beat");
  cell->conn = NULL;
}

/* The checks cell: the board of the server's current listening, asked
 * at each bind, since a new one comes with each start. */
static void
checks_setup (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              HbServerColumns          *self)
{
  gtk_list_item_set_child (item, hb_checks_cell_new ());
}

static void
checks_bind (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             HbServerColumns          *self)
{
  HbCheckBoard *board = self->board (self->board_data);
  HbChecks *checks = board ? hb_check_board_lookup (board, gtk_list_item_get_item (item)) : NULL;

  hb_checks_cell_set_checks (HB_CHECKS_CELL (gtk_list_item_get_child (item)), checks ? board : NULL, checks);
}

static void
checks_unbind (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               HbServerColumns          *self)
{
  hb_checks_cell_set_checks (HB_CHECKS_CELL (gtk_list_item_get_child (item)), NULL, NULL);
}

HbServerColumns *
hb_server_columns_new (GtkColumnView        *view,
                       HbClock              *clock,
                       HbServerColumnsBoard  board,
                       gpointer              board_data)
{
  HbServerColumns *self = g_new0 (HbServerColumns, 1);
  GtkListItemFactory *factory;
  GtkColumnViewColumn *column;

  g_set_weak_pointer (&self->view, view);  /* the window's; it may go first */
  self->clock = g_object_ref (clock);
  self->board = board;
  self->board_data = board_data;
  g_signal_connect (self->clock, "notify::now", G_CALLBACK (on_clock_now), self);
  self->adjustments[0] = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (view));
  self->adjustments[1] = gtk_scrollable_get_hadjustment (GTK_SCROLLABLE (view));
  for (guint i = 0; i < G_N_ELEMENTS (self->adjustments); i++)
    if (self->adjustments[i] != NULL)
      {
        g_object_ref (self->adjustments[i]);
        g_signal_connect_swapped (self->adjustments[i], "value-changed", G_CALLBACK (catch_up_soon), self);
        g_signal_connect_swapped (self->adjustments[i], "changed", G_CALLBACK (catch_up_soon), self);
      }
  g_signal_connect (view, "notify::model", G_CALLBACK (on_model_set), self);
  on_model_set (view, NULL, self);

  add_text_column (self, _("ID"),
                   closure1 (row_prop ("id"), G_CALLBACK (format_uint)),
                   NULL, numeric_sorter ("id"), 1.0, FALSE);
  self->name_column =
    add_text_column (self, _("Name"),
                     closure1 (row_prop ("name"), G_CALLBACK (format_name)),
                     NULL,
                     GTK_SORTER (gtk_string_sorter_new (gtk_property_expression_new (HB_TYPE_CONNECTION, NULL, "name"))),
                     0.0, TRUE);
  column = add_text_column (self, _("Address"), row_prop ("peer"), NULL,
                            GTK_SORTER (gtk_string_sorter_new (gtk_property_expression_new (HB_TYPE_CONNECTION, NULL, "peer"))),
                            0.0, TRUE);
  /* "127.0.0.1:54321": without names (the lab's protocol), the port is
   * how a client is told apart, as in a capture. */
  reserve_room (column, "127.0.0.1:54321");
  add_text_column (self, _("Connected"),
                   closure2 (row_prop ("connected-since"), clock_now (self), G_CALLBACK (format_since)),
                   closure1 (row_prop ("connected-since"), G_CALLBACK (format_tooltip_time)),
                   numeric_sorter ("connected-since"), 1.0, FALSE);
  /* When this server last wrote a heartbeat and last read its answer:
   * the protocol's PING and PONG, never TCP's ACK (set_protocol() names
   * them in the lab's words). */
  self->ping_column =
    add_text_column (self, _("PING Sent"),
                     closure2 (row_prop ("last-ping"), clock_now (self), G_CALLBACK (format_since_judged)),
                     closure1 (row_prop ("last-ping"), G_CALLBACK (format_tooltip_time)),
                     numeric_sorter ("last-ping"), 1.0, FALSE);
  self->pong_column =
    add_text_column (self, _("PONG Received"),
                     closure2 (row_prop ("last-pong"), clock_now (self), G_CALLBACK (format_since_judged)),
                     closure1 (row_prop ("last-pong"), G_CALLBACK (format_tooltip_time)),
                     numeric_sorter ("last-pong"), 1.0, FALSE);
  column = add_text_column (self, _("RTT"),
                            closure2 (row_prop ("rtt-last"), row_prop ("rtt-avg"), G_CALLBACK (format_rtt)),
                            NULL, numeric_sorter ("rtt-last"), 1.0, FALSE);
  {
    g_autofree char *sample = format_rtt (NULL, 1234000, 1234000, NULL);

    reserve_room (column, sample);
  }
  add_text_column (self, _("Missed"),
                   closure1 (row_prop ("missed"), G_CALLBACK (format_missed)),
                   NULL, numeric_sorter ("missed"), 1.0, FALSE);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (state_setup), self);
  g_signal_connect (factory, "bind", G_CALLBACK (state_bind), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (state_unbind), self);
  column = gtk_column_view_column_new (_("State"), factory);
  {
    GtkExpression *l = gtk_property_expression_new (HB_TYPE_CONNECTION, NULL, "liveness");
    g_autoptr(GtkSorter) sorter = GTK_SORTER (gtk_numeric_sorter_new (
      gtk_cclosure_expression_new (G_TYPE_INT, NULL, 1, &l, G_CALLBACK (liveness_rank), NULL, NULL)));

    gtk_column_view_column_set_sorter (column, sorter);
  }
  gtk_column_view_column_set_resizable (column, TRUE);
  gtk_column_view_append_column (self->view, column);
  g_object_unref (column);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (checks_setup), self);
  g_signal_connect (factory, "bind", G_CALLBACK (checks_bind), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (checks_unbind), self);
  self->checks_column = gtk_column_view_column_new (_("Checks"), factory);
  gtk_column_view_column_set_resizable (self->checks_column, TRUE);
  gtk_column_view_column_set_visible (self->checks_column, FALSE);
  gtk_column_view_append_column (self->view, self->checks_column);
  g_object_unref (self->checks_column);  /* the view keeps it */

  add_text_column (self, _("Bytes In / Out"),
                   closure2 (row_prop ("bytes-in"), row_prop ("bytes-out"), G_CALLBACK (format_bytes)),
                   NULL, numeric_sorter ("bytes-in"), 1.0, FALSE);
  return self;
}

void
hb_server_columns_set_protocol (HbServerColumns *self,
                                HbProtocol       protocol)
{
  /* Only the line protocol has names (HELLO); only the lab's is checked. */
  gtk_column_view_column_set_visible (self->name_column, protocol == HB_PROTOCOL_LINE);
  gtk_column_view_column_set_visible (self->checks_column, protocol == HB_PROTOCOL_LAB);
  gtk_column_view_column_set_title (self->ping_column,
                                    protocol == HB_PROTOCOL_LINE ? _("PING Sent") : _("Heartbeat Sent"));
  gtk_column_view_column_set_title (self->pong_column,
                                    protocol == HB_PROTOCOL_LINE ? _("PONG Received") : _("Ack Received"));
}

void
hb_server_columns_free (HbServerColumns *self)
{
  if (self == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->clock, self);
  if (self->view != NULL)
    g_signal_handlers_disconnect_by_data (self->view, self);
  g_clear_weak_pointer (&self->view);
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  g_clear_object (&self->model);
  for (guint i = 0; i < G_N_ELEMENTS (self->adjustments); i++)
    if (self->adjustments[i] != NULL)
      {
        g_signal_handlers_disconnect_by_data (self->adjustments[i], self);
        g_clear_object (&self->adjustments[i]);
      }
  /* A clock disposed with its surface has dropped its handlers already. */
  if (self->after_paint_id != 0 && g_signal_handler_is_connected (self->frame_clock, self->after_paint_id))
    g_signal_handler_disconnect (self->frame_clock, self->after_paint_id);
  self->after_paint_id = 0;
  g_clear_object (&self->frame_clock);
  g_clear_object (&self->clock);
  g_free (self);
}
