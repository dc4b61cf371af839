/* hb-timeline-window.c - the teaching view of one connection: ladder, segments, kernel state
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The ladder and the table show one list of segments and share one
 * selection; the explanation follows the selected segment's phase, and
 * the kernel's view of the socket is read once a second.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "hb-clock.h"
#include "hb-ladder.h"
#include "hb-segment.h"
#include "hb-style.h"
#include "hb-timeline-window.h"

struct _HbTimelineWindow
{
  GtkApplicationWindow  parent_instance;

  GtkScrolledWindow    *ladder_scroller;
  HbLadder             *ladder;
  GtkColumnView        *table;
  GtkLabel             *tcp_label;
  GtkLabel             *explanation_label;

  GListStore           *segments;
  GtkSingleSelection   *selection;
  GSocket              *socket;
  char                 *local_ip;
  char                 *remote_ip;
  guint                 local_port;
  guint                 remote_port;
  guint                 tcp_timer;
  gboolean              client_side;
  gboolean              syncing;
};

G_DEFINE_FINAL_TYPE (HbTimelineWindow, hb_timeline_window, GTK_TYPE_APPLICATION_WINDOW)

const char *
hb_phase_explanation (int phase)
{
  switch (phase)
    {
    case HB_PHASE_HANDSHAKE:
      return _("Three-way handshake. The client sends SYN carrying its initial sequence number x. "
               "The server answers SYN, ACK with its own number y and acknowledges x+1: a SYN uses up "
               "one number of sequence space, so the next byte expected is x+1. The client's ACK of y+1 "
               "completes it and both sides are ESTABLISHED. The kernel does all of this before the "
               "program accepts the connection.");
    case HB_PHASE_DATA:
      return _("Data. Each protocol line travels as a segment flagged PSH, ACK whose length is the "
               "line's bytes, newline included. The receiver's acknowledgement number is the next byte "
               "it expects: the segment's sequence number plus its length. TCP carries a byte stream, "
               "so the line's end is the LF, not the segment's end.");
    case HB_PHASE_HEARTBEAT:
      return _("Heartbeat. Every interval the server writes PING n and the client answers PONG n. "
               "The application's RTT, in the server's list, runs from writing PING to reading PONG, so "
               "it includes both programs' own delays; the kernel's RTT below only measures segment to "
               "ACK. Why a heartbeat when TCP has keepalive? Keepalive is off by default, probes only "
               "after two hours of silence, and proves only that the peer's kernel is alive, not that "
               "the program still reads and answers.");
    case HB_PHASE_TEARDOWN:
      return _("Teardown. The side that closes first sends FIN and waits (FIN_WAIT1, then FIN_WAIT2 "
               "once it is acknowledged). The other side reads end of stream (CLOSE_WAIT) and sends its "
               "own FIN when it is done (LAST_ACK). On loopback the ACK often rides on the second FIN, "
               "so you may count three segments instead of four. The side that closed first then waits "
               "in TIME_WAIT (60 s on Linux) so that a late segment cannot be mistaken for part of a new "
               "connection on the same ports. An RST instead is an abort: no goodbye, and unread data "
               "is thrown away.");
    default:
      return "";
    }
}

/* ---------------------------------------------------------------------- */
/* Kernel state                                                            */

static void
remember_addresses (HbTimelineWindow *self)
{
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocketAddress) remote = NULL;

  if (self->socket == NULL)
    return;
  local = g_socket_get_local_address (self->socket, NULL);
  remote = g_socket_get_remote_address (self->socket, NULL);
  if (!G_IS_INET_SOCKET_ADDRESS (local) || !G_IS_INET_SOCKET_ADDRESS (remote))
    return;
  self->local_ip = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local)));
  self->remote_ip = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));
  self->local_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  self->remote_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote));
}

static gboolean
update_tcp (gpointer data)
{
  HbTimelineWindow *self = data;
  HbTcpInfo info;
  g_autofree char *text = NULL;

  if (self->socket != NULL && !g_socket_is_closed (self->socket) &&
      hb_tcp_info_query (g_socket_get_fd (self->socket), &info, NULL))
    {
      text = g_strdup_printf (_("State %s · RTT %.3f ms ± %.3f · congestion window %u segments · MSS %u · "
                                "in flight %u · retransmitted %u"),
                              hb_tcp_state_to_string (info.state), info.rtt_us / 1000.0,
                              info.rttvar_us / 1000.0, info.snd_cwnd, info.snd_mss, info.unacked,
                              info.total_retrans);
      if (info.have_bytes)
        {
          g_autofree char *more = g_strdup_printf (_("\nBytes acknowledged %llu · received %llu · segments out %u, in %u"),
                                                   (unsigned long long) info.bytes_acked,
                                                   (unsigned long long) info.bytes_received,
                                                   info.segs_out, info.segs_in);
          char *both = g_strconcat (text, more, NULL);

          g_free (text);
          text = both;
        }
    }
  else if (self->local_ip != NULL)
    {
      HbTcpState state = hb_tcp_state_lookup (self->local_ip, self->local_port,
                                              self->remote_ip, self->remote_port);

      if (state == HB_TCP_TIME_WAIT)
        text = g_strdup (_("Closed by this program; the kernel keeps the ports in TIME_WAIT for a while (seen in /proc/net/tcp)."));
      else if (state != HB_TCP_UNKNOWN)
        text = g_strdup_printf (_("Socket closed by this program; the kernel still lists it as %s."),
                                hb_tcp_state_to_string (state));
      else
        text = g_strdup (_("Closed: the kernel has forgotten this connection."));
    }
  else
    text = g_strdup (_("No socket of this program to ask."));

  gtk_label_set_text (self->tcp_label, text);
  return G_SOURCE_CONTINUE;
}

/* ---------------------------------------------------------------------- */
/* Selection, kept in step between ladder and table                       */

static void
show_explanation (HbTimelineWindow *self,
                  guint             position)
{
  g_autoptr(HbSegment) seg = g_list_model_get_item (G_LIST_MODEL (self->segments), position);

  if (seg != NULL)
    gtk_label_set_text (self->explanation_label, hb_phase_explanation (hb_segment_get_phase (seg)));
}

static void
on_ladder_selected (HbLadder *ladder, GParamSpec *pspec, HbTimelineWindow *self)
{
  int row = hb_ladder_get_selected (ladder);

  if (self->syncing || row < 0)
    return;
  self->syncing = TRUE;
  gtk_single_selection_set_selected (self->selection, row);
  show_explanation (self, row);
  self->syncing = FALSE;
}

static void
on_table_selected (GtkSingleSelection *selection, GParamSpec *pspec, HbTimelineWindow *self)
{
  guint row = gtk_single_selection_get_selected (selection);

  if (self->syncing || row == GTK_INVALID_LIST_POSITION)
    return;
  self->syncing = TRUE;
  hb_ladder_set_selected (self->ladder, row);
  show_explanation (self, row);
  self->syncing = FALSE;
}

static void
on_segments_changed (GListModel *model, guint position, guint removed, guint added, HbTimelineWindow *self)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->ladder_scroller);

  /* Keep up live: follow the newest arrow while the user is at the end. */
  if (gtk_adjustment_get_value (adj) >= gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj) - 40)
    gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj));
  if (hb_ladder_get_selected (self->ladder) < 0 && added > 0)
    show_explanation (self, position + added - 1);
}

/* ---------------------------------------------------------------------- */
/* Table                                                                   */

static void
cell_setup (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_list_item_set_child (item, label);
}

typedef enum { COL_NO, COL_TIME, COL_DIRECTION, COL_INFO, COL_PHASE } Column;

static void
cell_bind (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  HbTimelineWindow *self = g_object_get_data (G_OBJECT (factory), "hb-window");
  Column column = GPOINTER_TO_INT (data);
  HbSegment *seg = gtk_list_item_get_item (item);
  GtkLabel *label = GTK_LABEL (gtk_list_item_get_child (item));
  g_autofree char *text = NULL;

  switch (column)
    {
    case COL_NO:
      text = g_strdup_printf ("%u", gtk_list_item_get_position (item) + 1);
      break;
    case COL_TIME:
      text = g_strdup_printf ("%.6f", hb_segment_get_time (seg) / 1e6);
      break;
    case COL_DIRECTION:
      text = g_strdup (hb_segment_get_from_client (seg) ? _("client → server") : _("server → client"));
      break;
    case COL_INFO:
      text = g_strdup (hb_segment_get_label (seg));
      break;
    case COL_PHASE:
    default:
      text = g_strdup (hb_phase_title (hb_segment_get_phase (seg)));
      break;
    }
  (void) self;
  gtk_label_set_text (label, text);
}

static void
add_column (HbTimelineWindow *self,
            const char       *title,
            Column            column,
            gboolean          expand)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkColumnViewColumn *col;

  g_object_set_data (G_OBJECT (factory), "hb-window", self);
  g_signal_connect (factory, "setup", G_CALLBACK (cell_setup), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (cell_bind), GINT_TO_POINTER (column));
  col = gtk_column_view_column_new (title, factory);
  gtk_column_view_column_set_expand (col, expand);
  gtk_column_view_column_set_resizable (col, TRUE);
  gtk_column_view_append_column (self->table, col);
  g_object_unref (col);
}

/* ---------------------------------------------------------------------- */
/* Actions                                                                 */

static void
zoom_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  HbTimelineWindow *self = HB_TIMELINE_WINDOW (widget);
  double factor = g_variant_get_int32 (param) > 0 ? 1.25 : 0.8;

  hb_ladder_set_zoom (self->ladder, hb_ladder_get_zoom (self->ladder) * factor);
}

static void
export_response (GtkNativeDialog *dialog, int response, gpointer user_data)
{
  g_autoptr(HbTimelineWindow) self = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr(GError) error = NULL;

      if (!hb_ladder_export (self->ladder, path, &error))
        gtk_label_set_text (self->explanation_label, error->message);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
export_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  HbTimelineWindow *self = HB_TIMELINE_WINDOW (widget);
  gboolean svg = g_strcmp0 (g_variant_get_string (param, NULL), "svg") == 0;
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (_("Export Ladder"), GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE,
                                        _("_Export"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), svg ? "ladder.svg" : "ladder.png");
  g_signal_connect (dialog, "response", G_CALLBACK (export_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* ---------------------------------------------------------------------- */
/* GObject                                                                 */

static void
hb_timeline_window_dispose (GObject *object)
{
  HbTimelineWindow *self = HB_TIMELINE_WINDOW (object);

  g_clear_handle_id (&self->tcp_timer, g_source_remove);
  if (self->segments != NULL)
    g_signal_handlers_disconnect_by_data (self->segments, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), HB_TYPE_TIMELINE_WINDOW);
  g_clear_object (&self->selection);
  g_clear_object (&self->segments);
  g_clear_object (&self->socket);
  G_OBJECT_CLASS (hb_timeline_window_parent_class)->dispose (object);
}

static void
hb_timeline_window_finalize (GObject *object)
{
  HbTimelineWindow *self = HB_TIMELINE_WINDOW (object);

  g_free (self->local_ip);
  g_free (self->remote_ip);
  G_OBJECT_CLASS (hb_timeline_window_parent_class)->finalize (object);
}

static void
hb_timeline_window_class_init (HbTimelineWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hb_timeline_window_dispose;
  object_class->finalize = hb_timeline_window_finalize;

  g_type_ensure (HB_TYPE_LADDER);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/heartbeatlab/HeartbeatLab/hb-timeline-window.ui");
  gtk_widget_class_bind_template_child (widget_class, HbTimelineWindow, ladder_scroller);
  gtk_widget_class_bind_template_child (widget_class, HbTimelineWindow, ladder);
  gtk_widget_class_bind_template_child (widget_class, HbTimelineWindow, table);
  gtk_widget_class_bind_template_child (widget_class, HbTimelineWindow, tcp_label);
  gtk_widget_class_bind_template_child (widget_class, HbTimelineWindow, explanation_label);

  gtk_widget_class_install_action (widget_class, "win.zoom", "i", zoom_action);
  gtk_widget_class_install_action (widget_class, "win.export-ladder", "s", export_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, GDK_CONTROL_MASK, "win.zoom", "i", 1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_equal, GDK_CONTROL_MASK, "win.zoom", "i", 1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, GDK_CONTROL_MASK, "win.zoom", "i", -1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
}

static void
hb_timeline_window_init (HbTimelineWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  hb_load_style ();

  self->segments = g_list_store_new (HB_TYPE_SEGMENT);
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->segments)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);

  add_column (self, _("No."), COL_NO, FALSE);
  add_column (self, _("Time"), COL_TIME, FALSE);
  add_column (self, _("Direction"), COL_DIRECTION, FALSE);
  add_column (self, _("Info"), COL_INFO, TRUE);
  add_column (self, _("Phase"), COL_PHASE, FALSE);
  gtk_column_view_set_model (self->table, GTK_SELECTION_MODEL (self->selection));
  hb_ladder_set_model (self->ladder, G_LIST_MODEL (self->segments));

  g_signal_connect (self->ladder, "notify::selected", G_CALLBACK (on_ladder_selected), self);
  g_signal_connect (self->selection, "notify::selected", G_CALLBACK (on_table_selected), self);
  g_signal_connect_after (self->segments, "items-changed", G_CALLBACK (on_segments_changed), self);
}

HbTimelineWindow *
hb_timeline_window_new (GtkApplication *application,
                        HbTimeline     *timeline,
                        gboolean        client_side,
                        GSocket        *socket,
                        const char     *client_label,
                        const char     *server_label)
{
  HbTimelineWindow *self = g_object_new (HB_TYPE_TIMELINE_WINDOW, "application", application, NULL);
  g_autofree char *title = g_strdup_printf (_("Timeline: %s ⇄ %s"), client_label, server_label);

  gtk_window_set_title (GTK_WINDOW (self), title);
  self->client_side = client_side;
  self->socket = socket ? g_object_ref (socket) : NULL;
  remember_addresses (self);
  hb_ladder_set_labels (self->ladder, client_label, server_label);
  hb_segments_follow_timeline (self->segments, timeline, client_side);
  update_tcp (self);
  self->tcp_timer = g_timeout_add_seconds (1, update_tcp, self);
  gtk_label_set_text (self->explanation_label, hb_phase_explanation (HB_PHASE_HANDSHAKE));
  return self;
}

GListModel *
hb_timeline_window_get_segments (HbTimelineWindow *self)
{
  g_return_val_if_fail (HB_IS_TIMELINE_WINDOW (self), NULL);
  return G_LIST_MODEL (self->segments);
}
