/* hb-server-window.c - the server console: listen, watch every client's heartbeat, talk to them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window only binds: the HbServer owns the clients and their state,
 * the column view shows its list model through expressions, and one
 * HbClock drives every "3 s ago" on screen.
 */

#include "config.h"

#include <errno.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "hb-capture-session.h"
#include "hb-clock.h"
#include "hb-log-entry.h"
#include "hb-log-view.h"
#include "hb-server-window.h"
#include "hb-style.h"
#include "hb-timeline-window.h"

struct _HbServerWindow
{
  GtkApplicationWindow  parent_instance;

  GtkEntry             *address_entry;
  GtkCheckButton       *all_interfaces_check;
  GtkSpinButton        *port_spin;
  GtkSpinButton        *interval_spin;
  GtkSpinButton        *timeout_spin;
  GtkWidget            *timeout_warning;
  GtkSpinButton        *max_clients_spin;
  GtkSwitch            *relay_switch;
  GtkButton            *start_button;
  GtkToggleButton      *capture_button;
  GtkRevealer          *error_revealer;
  GtkLabel             *error_label;
  GtkStack             *list_stack;
  GtkLabel             *empty_hint;
  GtkColumnView        *column_view;
  GtkToggleButton      *selected_only_toggle;
  GtkSearchEntry       *log_search;
  HbLogView            *log_view;
  GtkEntry             *broadcast_entry;
  GtkLabel             *status_label;

  GSettings            *settings;
  HbServer             *server;
  HbClock              *clock;
  GtkMultiSelection    *selection;
  GtkCustomFilter      *log_filter;
  GHashTable           *selected_ids;
  guint                 messages_this_tick;
  double                message_rate;
  GPtrArray            *log_pending;  /* HbLogEntry, shown at the next flush */
  guint                 log_flush_id;
  HbCaptureSession     *capture;      /* the server port's live capture, while on */
};

G_DEFINE_FINAL_TYPE (HbServerWindow, hb_server_window, GTK_TYPE_APPLICATION_WINDOW)

/* Log lines reach the view at most this often: 10,000 clients joining are
 * then a few hundred changes of the log's list, not 10,000. */
#define LOG_BATCH_MS 50

/* ---------------------------------------------------------------------- */
/* Log                                                                     */

static gboolean
flush_log (gpointer user_data)
{
  HbServerWindow *self = user_data;

  self->log_flush_id = 0;
  hb_log_view_append_many (self->log_view, (HbLogEntry **) self->log_pending->pdata,
                           self->log_pending->len);
  g_ptr_array_set_size (self->log_pending, 0);
  return G_SOURCE_REMOVE;
}

static void
log_add (HbServerWindow *self,
         HbLogKind       kind,
         HbConnection   *conn,
         const char     *text)
{
  g_autoptr(HbLogEntry) entry = NULL;
  g_autofree char *who = NULL;

  if (conn != NULL)
    who = hb_connection_get_name (conn) != NULL ?
          g_strdup_printf ("#%u %s", hb_connection_get_id (conn), hb_connection_get_name (conn)) :
          g_strdup_printf ("#%u", hb_connection_get_id (conn));

  entry = hb_log_entry_new (kind, conn ? hb_connection_get_id (conn) : 0, who, text);
  g_ptr_array_add (self->log_pending, g_steal_pointer (&entry));
  if (self->log_flush_id == 0)
    self->log_flush_id = g_timeout_add (LOG_BATCH_MS, flush_log, self);
}

static gboolean
log_filter_func (gpointer item,
                 gpointer user_data)
{
  HbServerWindow *self = user_data;
  HbLogEntry *entry = item;
  const char *needle = gtk_editable_get_text (GTK_EDITABLE (self->log_search));

  if (gtk_toggle_button_get_active (self->selected_only_toggle) &&
      !g_hash_table_contains (self->selected_ids,
                              GUINT_TO_POINTER (hb_log_entry_get_client_id (entry))))
    return FALSE;

  if (needle != NULL && *needle != '\0')
    {
      g_autofree char *n = g_utf8_casefold (needle, -1);
      g_autofree char *text = g_utf8_casefold (hb_log_entry_get_text (entry), -1);
      g_autofree char *who = g_utf8_casefold (hb_log_entry_get_who (entry), -1);

      return strstr (text, n) != NULL || strstr (who, n) != NULL;
    }
  return TRUE;
}

static void
refilter_log (HbServerWindow *self)
{
  gtk_filter_changed (GTK_FILTER (self->log_filter), GTK_FILTER_CHANGE_DIFFERENT);
}

/* What acts on the selected clients is there only when one is selected:
 * the buttons grey out and their shortcuts do nothing, rather than answer
 * with an error after the fact. */
static void
update_selection_actions (HbServerWindow *self)
{
  gboolean any = g_hash_table_size (self->selected_ids) > 0;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.send-selected", any);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.kick-selected", any);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.show-timeline", any);
}

static void
update_selected_ids (HbServerWindow *self)
{
  g_autoptr(GtkBitset) set = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  GtkBitsetIter iter;
  guint pos;

  g_hash_table_remove_all (self->selected_ids);
  for (gboolean ok = gtk_bitset_iter_init_first (&iter, set, &pos); ok;
       ok = gtk_bitset_iter_next (&iter, &pos))
    {
      g_autoptr(HbConnection) conn = g_list_model_get_item (G_LIST_MODEL (self->selection), pos);

      g_hash_table_add (self->selected_ids, GUINT_TO_POINTER (hb_connection_get_id (conn)));
    }
  update_selection_actions (self);
  if (gtk_toggle_button_get_active (self->selected_only_toggle))
    refilter_log (self);
}

/* ---------------------------------------------------------------------- */
/* Client list columns                                                     */

static char *
format_uint (GObject *item, guint value, gpointer data)
{
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
format_rtt (GObject *item, gint64 last, gint64 avg, gpointer data)
{
  g_autofree char *l = hb_format_rtt (last);
  g_autofree char *a = hb_format_rtt (avg);

  if (last < 0)
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
clock_now (HbServerWindow *self)
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

static void
text_cell_setup (GtkSignalListItemFactory *factory,
                 GtkListItem              *item,
                 TextCell                 *cell)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), cell->xalign);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  if (cell->xalign > 0.5)
    gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (item, label);
  /* Bound to the list item, so the binding follows whatever row it shows. */
  gtk_expression_bind (gtk_expression_ref (cell->text), label, "label", item);
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
add_text_column (HbServerWindow *self,
                 const char     *title,
                 GtkExpression  *text,
                 GtkExpression  *tooltip,
                 GtkSorter      *sorter,
                 float           xalign,
                 gboolean        expand)
{
  TextCell *cell = g_new0 (TextCell, 1);
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkColumnViewColumn *column;

  cell->text = text;
  cell->tooltip = tooltip;
  cell->xalign = xalign;
  g_signal_connect (factory, "setup", G_CALLBACK (text_cell_setup), cell);
  g_object_set_data_full (G_OBJECT (factory), "hb-cell", cell, text_cell_free);

  column = gtk_column_view_column_new (title, factory);
  gtk_column_view_column_set_resizable (column, TRUE);
  gtk_column_view_column_set_expand (column, expand);
  if (sorter)
    gtk_column_view_column_set_sorter (column, sorter);
  gtk_column_view_append_column (self->column_view, column);
  g_clear_object (&sorter);
  g_object_unref (column);
  return column;
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
  gulong        pong_id;
  guint         beat_id;
} StateCell;

static void
state_cell_update (StateCell *cell)
{
  static const char *icons[] = { "emblem-ok-symbolic", "dialog-warning-symbolic", "dialog-error-symbolic" };
  static const char *classes[] = { "alive", "late", "dead" };
  HbLiveness l = hb_connection_get_liveness (cell->conn);
  GtkWidget *box = gtk_widget_get_parent (cell->image);
  const char *words[] = { C_("liveness", "alive"), C_("liveness", "late"), C_("liveness", "dead") };

  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    gtk_widget_remove_css_class (box, classes[i]);
  gtk_widget_add_css_class (box, classes[l]);
  gtk_image_set_from_icon_name (GTK_IMAGE (cell->image), icons[l]);
  gtk_label_set_text (GTK_LABEL (cell->label), words[l]);
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
  g_clear_signal_handler (&cell->pong_id, cell->conn);
  g_clear_handle_id (&cell->beat_id, g_source_remove);
  gtk_widget_remove_css_class (cell->heart, "beat");
  cell->conn = NULL;
}

static void
build_columns (HbServerWindow *self)
{
  GtkListItemFactory *factory;
  GtkColumnViewColumn *column;

  add_text_column (self, _("ID"),
                   closure1 (row_prop ("id"), G_CALLBACK (format_uint)),
                   NULL, numeric_sorter ("id"), 1.0, FALSE);
  add_text_column (self, _("Name"),
                   closure1 (row_prop ("name"), G_CALLBACK (format_name)),
                   NULL,
                   GTK_SORTER (gtk_string_sorter_new (gtk_property_expression_new (HB_TYPE_CONNECTION, NULL, "name"))),
                   0.0, TRUE);
  add_text_column (self, _("Address"), row_prop ("peer"), NULL,
                   GTK_SORTER (gtk_string_sorter_new (gtk_property_expression_new (HB_TYPE_CONNECTION, NULL, "peer"))),
                   0.0, TRUE);
  add_text_column (self, _("Connected"),
                   closure2 (row_prop ("connected-since"), clock_now (self), G_CALLBACK (format_since)),
                   closure1 (row_prop ("connected-since"), G_CALLBACK (format_tooltip_time)),
                   numeric_sorter ("connected-since"), 1.0, FALSE);
  add_text_column (self, _("Heartbeat Sent"),
                   closure2 (row_prop ("last-ping"), clock_now (self), G_CALLBACK (format_since)),
                   closure1 (row_prop ("last-ping"), G_CALLBACK (format_tooltip_time)),
                   numeric_sorter ("last-ping"), 1.0, FALSE);
  add_text_column (self, _("Ack Received"),
                   closure2 (row_prop ("last-pong"), clock_now (self), G_CALLBACK (format_since)),
                   closure1 (row_prop ("last-pong"), G_CALLBACK (format_tooltip_time)),
                   numeric_sorter ("last-pong"), 1.0, FALSE);
  add_text_column (self, _("RTT"),
                   closure2 (row_prop ("rtt-last"), row_prop ("rtt-avg"), G_CALLBACK (format_rtt)),
                   NULL, numeric_sorter ("rtt-last"), 1.0, FALSE);
  add_text_column (self, _("Missed"),
                   closure1 (row_prop ("missed"), G_CALLBACK (format_uint)),
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
  gtk_column_view_append_column (self->column_view, column);
  g_object_unref (column);

  add_text_column (self, _("Bytes In / Out"),
                   closure2 (row_prop ("bytes-in"), row_prop ("bytes-out"), G_CALLBACK (format_bytes)),
                   NULL, numeric_sorter ("bytes-in"), 1.0, FALSE);
}

/* ---------------------------------------------------------------------- */
/* Server events                                                           */

static void
update_status (HbServerWindow *self)
{
  g_autofree char *text = NULL;
  guint n = hb_server_get_n_clients (self->server);

  if (hb_server_get_listening (self->server))
    {
      const char *addr = hb_server_get_address (self->server);
      g_autofree char *where = hb_format_endpoint (addr, hb_server_get_port (self->server));

      text = g_strdup_printf (ngettext ("Listening on %s · %u client · %.1f messages/s",
                                        "Listening on %s · %u clients · %.1f messages/s", n),
                              where, n, self->message_rate);
      gtk_button_set_label (self->start_button, _("_Stop Listening"));
      gtk_widget_remove_css_class (GTK_WIDGET (self->start_button), "suggested-action");
    }
  else
    {
      text = g_strdup_printf (ngettext ("Not listening · %u client", "Not listening · %u clients", n), n);
      gtk_button_set_label (self->start_button, _("_Start Listening"));
      gtk_widget_add_css_class (GTK_WIDGET (self->start_button), "suggested-action");
    }
  if (self->capture != NULL && hb_capture_session_is_active (self->capture))
    {
      char *more = g_strconcat (text, _(" · capturing packets"), NULL);

      g_free (text);
      text = more;
    }
  gtk_label_set_text (self->status_label, text);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "capture")),
                               hb_server_get_listening (self->server));
  gtk_stack_set_visible_child_name (self->list_stack, n > 0 ? "list" : "empty");
  gtk_widget_set_sensitive (GTK_WIDGET (self->address_entry), !hb_server_get_listening (self->server));
  gtk_widget_set_sensitive (GTK_WIDGET (self->all_interfaces_check), !hb_server_get_listening (self->server));
  gtk_widget_set_sensitive (GTK_WIDGET (self->port_spin), !hb_server_get_listening (self->server));
}

static void
update_empty_hint (HbServerWindow *self)
{
  g_autofree char *hint = NULL;
  const char *addr = hb_server_get_address (self->server);
  gboolean any = g_strcmp0 (addr, "::") == 0 || g_strcmp0 (addr, "0.0.0.0") == 0;

  if (hb_server_get_listening (self->server))
    hint = g_strdup_printf (_("Open a client window with Ctrl+N, or in a terminal run\nnc %s %u\nand type MSG hello"),
                            any ? "127.0.0.1" : addr, hb_server_get_port (self->server));
  else
    hint = g_strdup (_("Start listening, then open a client window with Ctrl+N\nor connect with nc from a terminal."));
  gtk_label_set_text (self->empty_hint, hint);
}

static void
on_clock_tick (HbClock        *clock,
               GParamSpec     *pspec,
               HbServerWindow *self)
{
  self->message_rate = 0.7 * self->message_rate + 0.3 * self->messages_this_tick;
  if (self->message_rate < 0.05)
    self->message_rate = 0;
  self->messages_this_tick = 0;
  update_status (self);
}

static void
on_client_connected (HbServer *server, HbConnection *conn, HbServerWindow *self)
{
  g_autofree char *text = g_strdup_printf (_("joined from %s"), hb_connection_get_peer (conn));

  log_add (self, HB_LOG_JOIN, conn, text);
}

static void
on_client_hello (HbServer *server, HbConnection *conn, const char *name, HbServerWindow *self)
{
  g_autofree char *text = g_strdup_printf (_("is called %s"), name);

  log_add (self, HB_LOG_INFO, conn, text);
}

static void
on_message (HbServer *server, HbConnection *conn, const char *text, HbServerWindow *self)
{
  self->messages_this_tick++;
  log_add (self, HB_LOG_MESSAGE, conn, text);
}

static void
on_error_sent (HbServer *server, HbConnection *conn, HbErrCode code, const char *text, HbServerWindow *self)
{
  g_autofree char *line = g_strdup_printf ("%s: %s", hb_err_code_to_string (code), text);

  log_add (self, HB_LOG_ERROR, conn, line);
}

static const char *
reason_words (HbByeReason reason)
{
  switch (reason)
    {
    case HB_BYE_SHUTDOWN: return _("the server shut down");
    case HB_BYE_KICKED: return _("kicked");
    case HB_BYE_TIMEOUT: return _("no heartbeat answer within the timeout");
    case HB_BYE_SLOW_CONSUMER: return _("stopped reading (slow consumer)");
    case HB_BYE_SERVER_FULL: return _("the server was full");
    case HB_BYE_GOODBYE: return _("said goodbye");
    case HB_BYE_PEER_CLOSED: return _("closed the connection");
    case HB_BYE_RESET: return _("connection reset");
    case HB_BYE_ERROR: return _("network error");
    default: return hb_bye_reason_to_string (reason);
    }
}

static void
on_client_disconnected (HbServer *server, HbConnection *conn, HbByeReason reason,
                        HbInitiator initiator, HbServerWindow *self)
{
  g_autofree char *text = g_strdup_printf (_("left: %s (%s)"), reason_words (reason),
                                           initiator == HB_INITIATOR_LOCAL ? _("server closed first")
                                                                           : _("client closed first"));

  log_add (self, HB_LOG_LEAVE, conn, text);
}

static void
on_client_rejected (HbServer *server, const char *peer, HbByeReason reason, HbServerWindow *self)
{
  g_autofree char *text = g_strdup_printf (_("turned away %s: the server is full"), peer);

  log_add (self, HB_LOG_ERROR, NULL, text);
}

static void
on_server_notify (HbServer       *server,
                  GParamSpec     *pspec,
                  HbServerWindow *self)
{
  update_status (self);
  update_empty_hint (self);
}

/* ---------------------------------------------------------------------- */
/* Actions                                                                 */

static void
show_error (HbServerWindow *self,
            const char     *message)
{
  gtk_label_set_text (self->error_label, message);
  gtk_revealer_set_reveal_child (self->error_revealer, TRUE);
}

static void
dismiss_error_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  HbServerWindow *self = HB_SERVER_WINDOW (widget);

  gtk_revealer_set_reveal_child (self->error_revealer, FALSE);
}

/* ---------------------------------------------------------------------- */
/* Live capture of the server's port                                       */

static void
on_capture_state (HbCaptureSession *session,
                  GParamSpec       *pspec,
                  HbServerWindow   *self)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "capture");
  gboolean active = hb_capture_session_is_active (session);

  g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_boolean (active));
  if (hb_capture_session_get_state (session) == HB_CAPTURE_SESSION_FAILED)
    {
      g_autofree char *text = g_strdup_printf (_("Live capture is not possible: %s"),
                                               hb_capture_session_get_message (session));

      show_error (self, text);
      log_add (self, HB_LOG_ERROR, NULL, text);
    }
  else if (hb_capture_session_get_state (session) == HB_CAPTURE_SESSION_RUNNING)
    log_add (self, HB_LOG_INFO, NULL,
             _("Capturing packets: the timeline of every client that connects from now on shows its handshake"));
  update_status (self);
}

/* Watches the capture of the server's port from the moment it listens,
 * whoever starts it (this window, or a timeline of one of its clients),
 * so that the Capture button always says whether packets are captured. */
static void
capture_attach (HbServerWindow *self)
{
  if (self->capture != NULL || !hb_server_get_listening (self->server))
    return;
  self->capture = hb_capture_session_get_for_port (hb_server_get_port (self->server));
  hb_capture_session_hold (self->capture);
  g_signal_connect (self->capture, "notify::state", G_CALLBACK (on_capture_state), self);
  if (hb_capture_session_is_active (self->capture))
    on_capture_state (self->capture, NULL, self);
}

static void
capture_stop (HbServerWindow *self)
{
  if (self->capture == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->capture, self);
  /* For every window showing it, not just this one's hold. */
  hb_capture_session_stop (self->capture);
  hb_capture_session_release (self->capture);
  g_clear_object (&self->capture);
  g_simple_action_set_state (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "capture")),
                             g_variant_new_boolean (FALSE));
  update_status (self);
}

static void
capture_change_state (GSimpleAction *action,
                      GVariant      *state,
                      gpointer       user_data)
{
  HbServerWindow *self = user_data;
  const char *addr = hb_server_get_address (self->server);
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (addr);

  if (!g_variant_get_boolean (state))
    {
      /* For every window showing it; this window keeps watching. */
      if (self->capture != NULL)
        hb_capture_session_stop (self->capture);
      g_simple_action_set_state (action, g_variant_new_boolean (FALSE));
      update_status (self);
      return;
    }
  if (!hb_server_get_listening (self->server))
    return;
  gtk_revealer_set_reveal_child (self->error_revealer, FALSE);
  capture_attach (self);
  /* Loopback traffic is on lo; a server on all interfaces may see any. */
  hb_capture_session_start (self->capture, inet != NULL && g_inet_address_get_is_loopback (inet) ? "lo" : "any");
  on_capture_state (self->capture, NULL, self);
}

/* A client is dead when no PONG came for the timeout, counted from its last
 * PONG; the next one can come only after the next PING, an interval later.
 * A timeout no longer than the interval would declare every client dead. */
static gboolean
heartbeat_valid (HbServerWindow *self)
{
  return gtk_spin_button_get_value_as_int (self->timeout_spin) >
         gtk_spin_button_get_value_as_int (self->interval_spin);
}

static void
check_heartbeat (HbServerWindow *self)
{
  hb_style_flag_invalid (GTK_WIDGET (self->timeout_spin), self->timeout_warning, !heartbeat_valid (self));
}

static void
toggle_listening_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *param)
{
  HbServerWindow *self = HB_SERVER_WINDOW (widget);
  g_autoptr(GError) error = NULL;
  g_autofree char *msg = NULL;

  if (hb_server_get_listening (self->server))
    {
      hb_server_stop (self->server);
      capture_stop (self);
      log_add (self, HB_LOG_INFO, NULL, _("Stopped listening; every client was told BYE shutdown"));
      return;
    }

  if (!heartbeat_valid (self))
    {
      g_autofree char *text =
        g_strdup_printf (_("The timeout (%d ms) must be longer than the heartbeat interval (%d ms), or every client is declared dead before it can answer. Raise the timeout under Heartbeat…, then start again."),
                         gtk_spin_button_get_value_as_int (self->timeout_spin),
                         gtk_spin_button_get_value_as_int (self->interval_spin));

      show_error (self, text);
      return;
    }

  g_object_set (self->server,
                "address", gtk_editable_get_text (GTK_EDITABLE (self->address_entry)),
                "port", (guint) gtk_spin_button_get_value_as_int (self->port_spin),
                "interval-ms", (guint) gtk_spin_button_get_value_as_int (self->interval_spin),
                "timeout-ms", (guint) gtk_spin_button_get_value_as_int (self->timeout_spin),
                "max-clients", (guint) gtk_spin_button_get_value_as_int (self->max_clients_spin),
                "relay", gtk_switch_get_active (self->relay_switch),
                NULL);

  if (!hb_server_start (self->server, &error))
    {
      g_autofree char *text = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        text = g_strdup_printf (_("%s. Another program — perhaps another Heartbeat Lab — is using this port. Choose another port, or 0 to let the system pick one, and start again."),
                                error->message);
      else
        text = g_strdup_printf (_("%s. Check the address and port, then start again."), error->message);
      show_error (self, text);
      log_add (self, HB_LOG_ERROR, NULL, error->message);
      return;
    }

  gtk_revealer_set_reveal_child (self->error_revealer, FALSE);
  capture_attach (self);
  msg = g_strdup_printf (_("Listening on %s port %u: heartbeat every %u ms, dead after %u ms"),
                         hb_server_get_address (self->server), hb_server_get_port (self->server),
                         hb_server_get_interval_ms (self->server), hb_server_get_timeout_ms (self->server));
  log_add (self, HB_LOG_INFO, NULL, msg);
}

static char *
take_entry_text (HbServerWindow *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->broadcast_entry));

  if (text == NULL || *text == '\0')
    return NULL;
  return g_strdup (text);
}

static void
broadcast_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  HbServerWindow *self = HB_SERVER_WINDOW (widget);
  g_autofree char *text = take_entry_text (self);
  g_autofree char *line = NULL;
  guint n;

  if (text == NULL)
    return;
  n = hb_server_broadcast (self->server, text);
  line = g_strdup_printf (ngettext ("%s  (%u recipient)", "%s  (%u recipients)", n), text, n);
  log_add (self, HB_LOG_BROADCAST, NULL, line);
  gtk_editable_set_text (GTK_EDITABLE (self->broadcast_entry), "");
}

static GPtrArray *
selected_connections (HbServerWindow *self)
{
  g_autoptr(GtkBitset) set = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  GPtrArray *out = g_ptr_array_new_with_free_func (g_object_unref);
  GtkBitsetIter iter;
  guint pos;

  for (gboolean ok = gtk_bitset_iter_init_first (&iter, set, &pos); ok;
       ok = gtk_bitset_iter_next (&iter, &pos))
    g_ptr_array_add (out, g_list_model_get_item (G_LIST_MODEL (self->selection), pos));
  return out;
}

static void
send_selected_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  HbServerWindow *self = HB_SERVER_WINDOW (widget);
  g_autofree char *text = take_entry_text (self);
  g_autoptr(GPtrArray) conns = selected_connections (self);

  if (text == NULL)
    return;
  if (conns->len == 0)
    {
      show_error (self, _("Select one or more clients in the list first (Ctrl+click adds to the selection)."));
      return;
    }
  for (guint i = 0; i < conns->len; i++)
    {
      HbConnection *conn = g_ptr_array_index (conns, i);

      if (hb_server_send (self->server, hb_connection_get_id (conn), text))
        log_add (self, HB_LOG_SENT, conn, text);
    }
  gtk_editable_set_text (GTK_EDITABLE (self->broadcast_entry), "");
}

static void
kick_selected_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  HbServerWindow *self = HB_SERVER_WINDOW (widget);
  g_autoptr(GPtrArray) conns = selected_connections (self);

  for (guint i = 0; i < conns->len; i++)
    hb_server_kick (self->server, hb_connection_get_id (g_ptr_array_index (conns, i)));
}

static void
open_timeline (HbServerWindow *self,
               HbConnection   *conn)
{
  const char *addr = hb_server_get_address (self->server);
  g_autofree char *client = hb_connection_get_name (conn) ?
                            g_strdup_printf ("%s (%s)", hb_connection_get_name (conn), hb_connection_get_peer (conn)) :
                            g_strdup (hb_connection_get_peer (conn));
  g_autofree char *server = hb_format_endpoint (addr, hb_server_get_port (self->server));
  HbTimelineWindow *win;

  win = hb_timeline_window_new (gtk_window_get_application (GTK_WINDOW (self)),
                                hb_connection_get_timeline (conn), FALSE,
                                hb_connection_get_socket (conn), client, server);
  gtk_window_present (GTK_WINDOW (win));
}

static void
show_timeline_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  HbServerWindow *self = HB_SERVER_WINDOW (widget);
  g_autoptr(GPtrArray) conns = selected_connections (self);

  if (conns->len == 0)
    {
      show_error (self, _("Select a client in the list first, then open its timeline."));
      return;
    }
  open_timeline (self, g_ptr_array_index (conns, 0));
}

/* Every connection captured on the server's port, those that have left
 * included (their rows are gone, their teardown is not): written to a
 * pcap file and opened as one, to choose a connection from. */
static void
show_captured_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  HbServerWindow *self = HB_SERVER_WINDOW (widget);
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "heartbeat-lab", NULL);
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autofree char *title = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  HbTimelineWindow *win;

  if (self->capture == NULL || hb_capture_session_get_conversations (self->capture)->len == 0)
    {
      show_error (self, _("Nothing has been captured yet: press Capture, then let clients connect."));
      return;
    }
  name = g_strdup_printf ("captured-port-%u.pcap", hb_capture_session_get_port (self->capture));
  path = g_build_filename (dir, name, NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s", dir, g_strerror (errno));
  if (error != NULL || !hb_capture_session_write (self->capture, path, &error))
    {
      show_error (self, error->message);
      return;
    }
  file = g_file_new_for_path (path);
  win = hb_timeline_window_new_for_file (gtk_window_get_application (GTK_WINDOW (self)), file);
  /* Read whole: the file was only the way in. */
  g_unlink (path);
  title = g_strdup_printf (_("Timeline: everything captured on port %u"), hb_capture_session_get_port (self->capture));
  gtk_window_set_title (GTK_WINDOW (win), title);
  gtk_window_present (GTK_WINDOW (win));
}

static void
on_row_activate (GtkColumnView  *view,
                 guint           position,
                 HbServerWindow *self)
{
  g_autoptr(HbConnection) conn = g_list_model_get_item (G_LIST_MODEL (self->selection), position);

  if (conn != NULL)
    open_timeline (self, conn);
}

static void
clear_log_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  HbServerWindow *self = HB_SERVER_WINDOW (widget);

  g_ptr_array_set_size (self->log_pending, 0);
  hb_log_view_clear (self->log_view);
}

static void
export_response (GtkNativeDialog *dialog,
                 int              response,
                 gpointer         user_data)
{
  g_autoptr(HbServerWindow) self = user_data;
  gboolean json = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "hb-json"));

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autoptr(GError) error = NULL;

      if (!hb_log_export (hb_log_view_get_model (self->log_view), file, json, &error))
        show_error (self, error->message);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
export_log_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  HbServerWindow *self = HB_SERVER_WINDOW (widget);
  gboolean json = g_strcmp0 (g_variant_get_string (param, NULL), "jsonl") == 0;
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (json ? _("Export Log as JSON Lines") : _("Export Log as CSV"),
                                        GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE,
                                        _("_Export"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog),
                                     json ? "heartbeat-log.jsonl" : "heartbeat-log.csv");
  g_object_set_data (G_OBJECT (dialog), "hb-json", GINT_TO_POINTER (json));
  g_signal_connect (dialog, "response", G_CALLBACK (export_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
focus_entry_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  gtk_widget_grab_focus (GTK_WIDGET (HB_SERVER_WINDOW (widget)->broadcast_entry));
}

static void
on_entry_activate (HbServerWindow *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "win.broadcast", NULL);
}

static void
on_all_interfaces_toggled (GtkCheckButton *check,
                           HbServerWindow *self)
{
  const char *addr = gtk_editable_get_text (GTK_EDITABLE (self->address_entry));
  gboolean any = g_strcmp0 (addr, "::") == 0 || g_strcmp0 (addr, "0.0.0.0") == 0;

  if (gtk_check_button_get_active (check) && !any)
    gtk_editable_set_text (GTK_EDITABLE (self->address_entry), "::");
  else if (!gtk_check_button_get_active (check) && any)
    gtk_editable_set_text (GTK_EDITABLE (self->address_entry), "127.0.0.1");
}

static void
on_address_changed (GtkEditable    *editable,
                    HbServerWindow *self)
{
  const char *addr = gtk_editable_get_text (editable);

  gtk_check_button_set_active (self->all_interfaces_check,
                               g_strcmp0 (addr, "::") == 0 || g_strcmp0 (addr, "0.0.0.0") == 0);
}

/* ---------------------------------------------------------------------- */
/* GObject                                                                 */

static void
hb_server_window_dispose (GObject *object)
{
  HbServerWindow *self = HB_SERVER_WINDOW (object);

  if (self->capture != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->capture, self);
      hb_capture_session_release (self->capture);
      g_clear_object (&self->capture);
    }
  if (self->server != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->server, self);
      hb_server_stop (self->server);
    }
  if (self->clock != NULL)
    g_signal_handlers_disconnect_by_data (self->clock, self);
  /* The column view may keep the selection past this point, and a server
   * stopped with many clients still removes rows from it afterwards. */
  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_data (self->selection, self);
  if (self->interval_spin != NULL)
    {
      g_signal_handlers_disconnect_by_data (gtk_spin_button_get_adjustment (self->interval_spin), self);
      g_signal_handlers_disconnect_by_data (gtk_spin_button_get_adjustment (self->timeout_spin), self);
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), HB_TYPE_SERVER_WINDOW);
  g_clear_object (&self->selection);
  g_clear_object (&self->log_filter);
  g_clear_object (&self->server);
  g_clear_object (&self->clock);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->selected_ids, g_hash_table_unref);
  g_clear_handle_id (&self->log_flush_id, g_source_remove);
  g_clear_pointer (&self->log_pending, g_ptr_array_unref);

  G_OBJECT_CLASS (hb_server_window_parent_class)->dispose (object);
}

static void
hb_server_window_class_init (HbServerWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hb_server_window_dispose;

  g_type_ensure (HB_TYPE_LOG_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/heartbeatlab/HeartbeatLab/hb-server-window.ui");
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, address_entry);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, all_interfaces_check);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, port_spin);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, interval_spin);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, timeout_spin);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, timeout_warning);
  gtk_widget_class_bind_template_child_full (widget_class, "timeout_warning_label", FALSE, 0);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, max_clients_spin);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, relay_switch);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, start_button);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, capture_button);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, error_label);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, list_stack);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, empty_hint);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, column_view);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, selected_only_toggle);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, log_search);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, log_view);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, broadcast_entry);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, status_label);
  /* Only for tests, which look at what the user sees. */
  gtk_widget_class_bind_template_child_full (widget_class, "send_selected_button", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "kick_button", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "timeline_button", FALSE, 0);

  gtk_widget_class_install_action (widget_class, "win.toggle-listening", NULL, toggle_listening_action);
  gtk_widget_class_install_action (widget_class, "win.broadcast", NULL, broadcast_action);
  gtk_widget_class_install_action (widget_class, "win.send-selected", NULL, send_selected_action);
  gtk_widget_class_install_action (widget_class, "win.kick-selected", NULL, kick_selected_action);
  gtk_widget_class_install_action (widget_class, "win.clear-log", NULL, clear_log_action);
  gtk_widget_class_install_action (widget_class, "win.show-timeline", NULL, show_timeline_action);
  gtk_widget_class_install_action (widget_class, "win.show-captured", NULL, show_captured_action);
  gtk_widget_class_install_action (widget_class, "win.export-log", "s", export_log_action);
  gtk_widget_class_install_action (widget_class, "win.dismiss-error", NULL, dismiss_error_action);
  gtk_widget_class_install_action (widget_class, "win.focus-message", NULL, focus_entry_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_l, GDK_CONTROL_MASK, "win.toggle-listening", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_t, GDK_CONTROL_MASK, "win.show-timeline", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "win.capture", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "win.kick-selected", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_m, GDK_CONTROL_MASK, "win.focus-message", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "win.send-selected", NULL);
}

static void
hb_server_window_init (HbServerWindow *self)
{
  GtkSortListModel *sorted;

  static const GActionEntry entries[] = {
    { .name = "capture", .state = "false", .change_state = capture_change_state },
  };

  gtk_widget_init_template (GTK_WIDGET (self));
  hb_load_style ();
  g_action_map_add_action_entries (G_ACTION_MAP (self), entries, G_N_ELEMENTS (entries), self);

  self->settings = g_settings_new (APP_ID);
  self->clock = hb_clock_new (1000);
  self->server = hb_server_new ();
  self->selected_ids = g_hash_table_new (NULL, NULL);
  self->log_pending = g_ptr_array_new_with_free_func (g_object_unref);

  g_settings_bind (self->settings, "bind-address", self->address_entry, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "port", gtk_spin_button_get_adjustment (self->port_spin), "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "interval-ms", gtk_spin_button_get_adjustment (self->interval_spin), "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "timeout-ms", gtk_spin_button_get_adjustment (self->timeout_spin), "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "max-clients", gtk_spin_button_get_adjustment (self->max_clients_spin), "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "relay", self->relay_switch, "active", G_SETTINGS_BIND_DEFAULT);
  on_address_changed (GTK_EDITABLE (self->address_entry), self);
  g_signal_connect_swapped (gtk_spin_button_get_adjustment (self->interval_spin), "value-changed",
                            G_CALLBACK (check_heartbeat), self);
  g_signal_connect_swapped (gtk_spin_button_get_adjustment (self->timeout_spin), "value-changed",
                            G_CALLBACK (check_heartbeat), self);
  check_heartbeat (self);
  g_signal_connect (self->address_entry, "changed", G_CALLBACK (on_address_changed), self);
  g_signal_connect (self->all_interfaces_check, "toggled", G_CALLBACK (on_all_interfaces_toggled), self);

  build_columns (self);
  sorted = gtk_sort_list_model_new (g_object_ref (hb_server_get_connections (self->server)),
                                    g_object_ref (gtk_column_view_get_sorter (self->column_view)));
  self->selection = gtk_multi_selection_new (G_LIST_MODEL (sorted));
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect_swapped (self->selection, "selection-changed", G_CALLBACK (update_selected_ids), self);
  g_signal_connect (self->column_view, "activate", G_CALLBACK (on_row_activate), self);
  g_signal_connect_swapped (self->selection, "items-changed", G_CALLBACK (update_selected_ids), self);
  update_selection_actions (self);

  self->log_filter = gtk_custom_filter_new (log_filter_func, self, NULL);
  hb_log_view_set_filter (self->log_view, GTK_FILTER (self->log_filter));
  g_signal_connect_swapped (self->log_search, "search-changed", G_CALLBACK (refilter_log), self);
  g_signal_connect_swapped (self->selected_only_toggle, "toggled", G_CALLBACK (refilter_log), self);

  g_signal_connect_swapped (self->broadcast_entry, "activate", G_CALLBACK (on_entry_activate), self);
  g_signal_connect (self->server, "client-connected", G_CALLBACK (on_client_connected), self);
  g_signal_connect (self->server, "client-hello", G_CALLBACK (on_client_hello), self);
  g_signal_connect (self->server, "message", G_CALLBACK (on_message), self);
  g_signal_connect (self->server, "error-sent", G_CALLBACK (on_error_sent), self);
  g_signal_connect (self->server, "client-disconnected", G_CALLBACK (on_client_disconnected), self);
  g_signal_connect (self->server, "client-rejected", G_CALLBACK (on_client_rejected), self);
  g_signal_connect (self->server, "notify::listening", G_CALLBACK (on_server_notify), self);
  g_signal_connect (self->server, "notify::n-clients", G_CALLBACK (on_server_notify), self);
  g_signal_connect (self->clock, "notify::now", G_CALLBACK (on_clock_tick), self);

  update_status (self);
  update_empty_hint (self);
}

HbServerWindow *
hb_server_window_new (GtkApplication *application)
{
  return g_object_new (HB_TYPE_SERVER_WINDOW, "application", application, NULL);
}

gboolean
hb_server_window_start (HbServerWindow *self)
{
  g_return_val_if_fail (HB_IS_SERVER_WINDOW (self), FALSE);

  if (!hb_server_get_listening (self->server))
    gtk_widget_activate_action (GTK_WIDGET (self), "win.toggle-listening", NULL);
  return hb_server_get_listening (self->server);
}

HbServer *
hb_server_window_get_server (HbServerWindow *self)
{
  g_return_val_if_fail (HB_IS_SERVER_WINDOW (self), NULL);
  return self->server;
}

GListModel *
hb_server_window_get_log (HbServerWindow *self)
{
  g_return_val_if_fail (HB_IS_SERVER_WINDOW (self), NULL);
  return hb_log_view_get_model (self->log_view);
}
