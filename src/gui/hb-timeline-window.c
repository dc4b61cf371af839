/* hb-timeline-window.c - the teaching view of one connection: ladder, segments, kernel state
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The ladder and the table show one list of segments (HbSegmentModel)
 * through one selection model; the explanation follows the selected
 * segment's phase (or, for a read or a segment of the lab's unframed
 * protocol that glued or split messages, explains message boundaries),
 * and the kernel's view of the socket is read once a second. The window's parts are in the files
 * hb-timeline-window-private.h names.
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "hb-style.h"
#include "hb-timeline-window-private.h"

G_DEFINE_FINAL_TYPE (HbTimelineWindow, hb_timeline_window, GTK_TYPE_APPLICATION_WINDOW)

/* ---------------------------------------------------------------------- */
/* Notices and status                                                      */

void
hb_timeline_window_show_notice (HbTimelineWindow *self,
                                const char       *text,
                                gboolean          error)
{
  self->notice_is_choice = FALSE;
  gtk_widget_set_visible (GTK_WIDGET (self->notice_button), FALSE);
  gtk_label_set_text (self->notice_label, text);
  gtk_image_set_from_icon_name (self->notice_icon, error ? "dialog-warning-symbolic" : "dialog-information-symbolic");
  if (error)
    gtk_widget_add_css_class (GTK_WIDGET (self->notice_revealer), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->notice_revealer), "error");
  gtk_revealer_set_reveal_child (self->notice_revealer, TRUE);
}

void
hb_timeline_window_update_status (HbTimelineWindow *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->segments)) - hb_segment_model_get_n_notes (self->segments);
  g_autofree char *count = NULL;
  g_autofree char *text = NULL;
  const char *source;

  if (hb_segment_model_get_conversation (self->segments) != NULL)
    count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u packet", "%u packets", n), n);
  else
    count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u event", "%u events", n), n);

  if (self->file != NULL && self->captured_port != 0)
    source = _("from the live capture");
  else if (self->file != NULL)
    source = _("from the capture file");
  else if (self->session != NULL && hb_capture_session_get_state (self->session) == HB_CAPTURE_SESSION_RUNNING)
    source = _("capturing live");
  else if (self->session != NULL && hb_capture_session_get_state (self->session) == HB_CAPTURE_SESSION_STARTING)
    source = _("starting the capture…");
  else if (hb_segment_model_get_conversation (self->segments) != NULL)
    source = _("captured");
  else if (self->timeline != NULL && hb_timeline_get_protocol (self->timeline) != HB_PROTOCOL_LINE)
    source = self->client_side
             ? _("this client window's own record (no capture): reads, writes, connects and closes")
             : _("the server's record of this client (no capture): reads, writes, connects and closes");
  else
    source = self->client_side
             ? _("this client window's own record (no capture): lines, connects and closes")
             : _("the server's record of this client (no capture): lines, connects and closes");

  /* Translators: the timeline's status line: "12 packets · capturing live". */
  text = g_strdup_printf (C_("timeline status", "%s · %s"), count, source);
  if (self->ended)
    {
      /* A capture may go on; this connection is over. */
      char *more = g_strdup_printf (C_("timeline status", "%s · %s"), text,
                                    self->superseded ? _("this connection has ended; the client connected again")
                                                     : _("this connection has ended"));

      g_free (text);
      text = more;
    }
  gtk_label_set_text (self->status_label, text);
}

/* ---------------------------------------------------------------------- */
/* Selection, one for the ladder and the table                            */

/* GTK 4.8's column view has no scroll_to (4.12 has); its list inside
 * has the action that does it. */
static void
scroll_table_to (HbTimelineWindow *self,
                 guint             row)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->table));
       child != NULL; child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_LIST_VIEW (child))
      gtk_widget_activate_action (child, "list.scroll-to-item", "u", row);
}

/* The ladder and the table share one selection model: whichever chose
 * the row, both show it, and the panes explain it. */
static void
on_selected (GtkSingleSelection *selection,
             GParamSpec         *pspec,
             HbTimelineWindow   *self)
{
  guint row = gtk_single_selection_get_selected (selection);

  if (row == GTK_INVALID_LIST_POSITION)
    return;
  scroll_table_to (self, row);
  hb_ladder_scroll_to (self->ladder, (int) row);
  hb_timeline_window_show_segment (self, row);
}

/* Whether the ladder shows its last rows: then it follows new ones. */
static void
on_ladder_scrolled (GtkAdjustment    *adj,
                    HbTimelineWindow *self)
{
  self->follow_end = gtk_adjustment_get_value (adj) >=
                     gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj) - 48;
}

/* New rows are followed, in the ladder and the table alike, while the
 * ladder shows its end and no row is chosen: a row the teacher chose
 * stays where it is while the conversation goes on. */
static gboolean
following (HbTimelineWindow *self)
{
  return self->follow_end && gtk_single_selection_get_selected (self->selection) == GTK_INVALID_LIST_POSITION;
}

static gboolean
scroll_ladder_to_end (gpointer data)
{
  HbTimelineWindow *self = data;
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->ladder_scroller);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->segments));

  self->end_idle = 0;
  if (following (self))
    {
      gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj));
      if (n > 0)
        scroll_table_to (self, n - 1);
    }
  return G_SOURCE_REMOVE;
}

/* When the new rows have made the ladder taller. That is said while the
 * viewport allocates the ladder, when a new value would not move it (the
 * end looked unreachable): scroll just after. */
static void
on_ladder_grown (GtkAdjustment    *adj,
                 GParamSpec       *pspec,
                 HbTimelineWindow *self)
{
  if (following (self) && self->end_idle == 0)
    self->end_idle = g_idle_add (scroll_ladder_to_end, self);
}

/* The No. column as wide as the largest frame number shown, which a
 * capture file's rows can make six digits or more. */
static void
fit_number_column (HbTimelineWindow *self,
                   HbSegment        *last,
                   guint             position)
{
  HbPacket *packet = hb_segment_get_packet (last);
  guint number = packet != NULL ? packet->frame : position + 1;
  guint digits = 1;
  g_autoptr(GListModel) columns = NULL;
  g_autoptr(GtkColumnViewColumn) column = NULL;
  g_autoptr(PangoLayout) layout = NULL;
  g_autofree char *widest = NULL;
  int width;

  while (number >= 10)
    {
      number /= 10;
      digits++;
    }
  if (digits <= self->number_digits)
    return;
  self->number_digits = digits;
  widest = g_strnfill (digits, '0');
  layout = gtk_widget_create_pango_layout (GTK_WIDGET (self->table), widest);
  pango_layout_get_pixel_size (layout, &width, NULL);
  columns = g_object_ref (gtk_column_view_get_columns (self->table));
  column = g_list_model_get_item (columns, 0);
  /* The cell's padding, and room for a wider numeric face. */
  gtk_column_view_column_set_fixed_width (column, MAX (44, width + width / 4 + 16));
}

static void
on_segments_changed (GListModel *model, guint position, guint removed, guint added, HbTimelineWindow *self)
{
  gboolean none = gtk_single_selection_get_selected (self->selection) == GTK_INVALID_LIST_POSITION;

  if (added > 0)
    {
      g_autoptr(HbSegment) last = g_list_model_get_item (model, position + added - 1);

      if (!hb_segment_is_note (last))
        fit_number_column (self, last, position + added - 1);

      /* A file is read from its start: its first row is explained, not
       * the last of each slice (a wrapping text measured again per slice). */
      if (none && hb_capture_loader_get_busy (self->loader))
        {
          if (position == 0)
            {
              g_autoptr(HbSegment) first = g_list_model_get_item (model, 0);

              hb_timeline_window_explain (self, first);
            }
        }
      else if (none)
        hb_timeline_window_explain (self, last);
      /* Closing: look at the kernel's state often for a few seconds. */
      if (hb_segment_get_phase (last) == HB_TCP_PHASE_TEARDOWN && !hb_segment_is_note (last) &&
          self->tcp_timer != 0)
        {
          self->fast_polls = 0;
          if (self->fast_timer == 0)
            self->fast_timer = g_timeout_add (50, hb_timeline_window_update_tcp_fast, self);
        }
    }
  hb_timeline_window_update_status (self);
}

/* ---------------------------------------------------------------------- */
/* Table                                                                   */

typedef enum
{
  COL_NO,
  COL_TIME,
  COL_SOURCE,
  COL_DESTINATION,
  COL_PROTOCOL,
  COL_LENGTH,
  COL_INFO,
  COL_PHASE,
} Column;

/* The Info cell's whole text, asked for when the pointer rests on it:
 * setting a tooltip on every bind asks the X server where the pointer is,
 * twice, which made a jump through a long table take a quarter second a
 * frame. */
static gboolean
info_tooltip (GtkWidget  *label,
              int         x,
              int         y,
              gboolean    keyboard,
              GtkTooltip *tooltip,
              gpointer    data)
{
  const char *text = gtk_label_get_text (GTK_LABEL (label));

  if (text == NULL || *text == '\0')
    return FALSE;
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
cell_setup (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  Column column = GPOINTER_TO_INT (data);
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), column == COL_NO || column == COL_LENGTH ? 1 : 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  if (column == COL_NO || column == COL_TIME || column == COL_LENGTH)
    gtk_widget_add_css_class (label, "numeric");
  if (column == COL_INFO)
    {
      gtk_widget_set_has_tooltip (label, TRUE);
      g_signal_connect (label, "query-tooltip", G_CALLBACK (info_tooltip), NULL);
    }
  gtk_list_item_set_child (item, label);
}

static void
cell_bind (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  Column column = GPOINTER_TO_INT (data);
  HbSegment *seg = gtk_list_item_get_item (item);
  GtkLabel *label = GTK_LABEL (gtk_list_item_get_child (item));
  HbPacket *packet = hb_segment_get_packet (seg);
  g_autofree char *text = NULL;

  switch (column)
    {
    case COL_NO:
      /* A capture's own frame numbers, as Wireshark shows them. */
      text = hb_segment_is_note (seg) ? g_strdup ("")
             : g_strdup_printf ("%u", packet ? packet->frame : gtk_list_item_get_position (item) + 1);
      break;
    case COL_TIME:
      text = g_strdup_printf ("%.6f", hb_segment_get_time (seg) / 1e6);
      break;
    case COL_SOURCE:
      text = g_strdup (hb_segment_get_source (seg));
      break;
    case COL_DESTINATION:
      text = g_strdup (hb_segment_get_destination (seg));
      break;
    case COL_PROTOCOL:
      text = g_strdup (hb_segment_get_protocol (seg));
      break;
    case COL_LENGTH:
      text = hb_segment_get_length (seg) ? g_strdup_printf ("%u", hb_segment_get_length (seg)) : g_strdup ("");
      break;
    case COL_INFO:
      text = g_strdup (hb_segment_get_info (seg));
      break;
    case COL_PHASE:
    default:
      text = g_strdup (hb_tcp_phase_title (hb_segment_get_phase (seg)));
      break;
    }
  gtk_label_set_text (label, text);
}

static void
add_column (HbTimelineWindow *self,
            const char       *title,
            Column            column,
            int               width)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkColumnViewColumn *col;

  g_signal_connect (factory, "setup", G_CALLBACK (cell_setup), GINT_TO_POINTER (column));
  g_signal_connect (factory, "bind", G_CALLBACK (cell_bind), GINT_TO_POINTER (column));
  col = gtk_column_view_column_new (title, factory);
  gtk_column_view_column_set_expand (col, column == COL_INFO);
  gtk_column_view_column_set_resizable (col, TRUE);
  if (width > 0)
    gtk_column_view_column_set_fixed_width (col, width);
  gtk_column_view_append_column (self->table, col);
  g_object_unref (col);
}

/* ---------------------------------------------------------------------- */
/* GObject                                                                 */

static void
hb_timeline_window_dispose (GObject *object)
{
  HbTimelineWindow *self = HB_TIMELINE_WINDOW (object);

  hb_timeline_window_unfollow_record (self);
  g_clear_object (&self->client);
  g_clear_handle_id (&self->tcp_timer, g_source_remove);
  g_clear_handle_id (&self->fast_timer, g_source_remove);
  g_clear_handle_id (&self->end_idle, g_source_remove);
  if (self->loader != NULL)
    {
      /* Its worker may hold it a little longer: it stops, and tells no one. */
      g_signal_handlers_disconnect_by_data (self->loader, self);
      hb_capture_loader_cancel (self->loader);
    }
  if (self->dialog != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->dialog, self);
      gtk_native_dialog_destroy (self->dialog);
      g_clear_object (&self->dialog);
    }
  if (self->segments != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->segments, self);
      hb_segment_model_stop (self->segments);
    }
  if (self->session != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->session, self);
      hb_capture_session_release (self->session);
      g_clear_object (&self->session);
    }
  /* Taking the pages out switches pages once more. */
  if (self->notebook != NULL)
    g_signal_handlers_disconnect_by_data (self->notebook, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), HB_TYPE_TIMELINE_WINDOW);
  g_clear_object (&self->selection);
  g_clear_object (&self->segments);
  g_clear_object (&self->socket);
  g_clear_object (&self->timeline);
  g_clear_object (&self->file);
  G_OBJECT_CLASS (hb_timeline_window_parent_class)->dispose (object);
}

static void
hb_timeline_window_finalize (GObject *object)
{
  HbTimelineWindow *self = HB_TIMELINE_WINDOW (object);

  g_free (self->local_ip);
  g_free (self->remote_ip);
  g_free (self->client_label);
  g_free (self->server_label);
  g_free (self->file_name);
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
  g_type_ensure (HB_TYPE_CAPTURE_LOADER);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/heartbeatlab/HeartbeatLab/hb-timeline-window.ui");
  gtk_widget_class_bind_template_child (widget_class, HbTimelineWindow, ladder_scroller);
  gtk_widget_class_bind_template_child (widget_class, HbTimelineWindow, ladder);
  gtk_widget_class_bind_template_child (widget_class, HbTimelineWindow, table);
  gtk_widget_class_bind_template_child (widget_class, HbTimelineWindow, tcp_label);
  gtk_widget_class_bind_template_child (widget_class, HbTimelineWindow, explanation_label);
  gtk_widget_class_bind_template_child (widget_class, HbTimelineWindow, details_view);
  gtk_widget_class_bind_template_child (widget_class, HbTimelineWindow, bytes_view);
  gtk_widget_class_bind_template_child (widget_class, HbTimelineWindow, notebook);
  gtk_widget_class_bind_template_child (widget_class, HbTimelineWindow, conversation_dropdown);
  gtk_widget_class_bind_template_child (widget_class, HbTimelineWindow, capture_button);
  gtk_widget_class_bind_template_child (widget_class, HbTimelineWindow, notice_revealer);
  gtk_widget_class_bind_template_child (widget_class, HbTimelineWindow, notice_label);
  gtk_widget_class_bind_template_child (widget_class, HbTimelineWindow, notice_icon);
  gtk_widget_class_bind_template_child (widget_class, HbTimelineWindow, notice_button);
  gtk_widget_class_bind_template_child (widget_class, HbTimelineWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, HbTimelineWindow, loader);

  hb_timeline_window_actions_class_init (widget_class);
}

static void
hb_timeline_window_init (HbTimelineWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* Keys go to the ladder first; a selectable label given the focus
   * would open with all its text selected. */
  gtk_window_set_focus (GTK_WINDOW (self), GTK_WIDGET (self->ladder));
  hb_load_style ();

  hb_timeline_window_actions_init (self);

  self->segments = hb_segment_model_new ();
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->segments)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);

  add_column (self, _("No."), COL_NO, 44);
  add_column (self, _("Time"), COL_TIME, 96);
  add_column (self, _("Source"), COL_SOURCE, 88);
  add_column (self, _("Destination"), COL_DESTINATION, 96);
  add_column (self, _("Protocol"), COL_PROTOCOL, 70);
  add_column (self, _("Length"), COL_LENGTH, 56);
  add_column (self, _("Info"), COL_INFO, 360);
  add_column (self, _("Phase"), COL_PHASE, 96);
  gtk_column_view_set_model (self->table, GTK_SELECTION_MODEL (self->selection));
  hb_ladder_set_model (self->ladder, GTK_SELECTION_MODEL (self->selection));
  hb_timeline_window_apply_numbers (self);
  hb_ladder_set_vadjustment (self->ladder, gtk_scrolled_window_get_vadjustment (self->ladder_scroller));
  /* The ladder is the viewport's one child and taller than it: bringing
   * the focused child into view would jump to its top on every first
   * click. The ladder scrolls to its selection itself. */
  if (GTK_IS_VIEWPORT (gtk_scrolled_window_get_child (self->ladder_scroller)))
    gtk_viewport_set_scroll_to_focus (GTK_VIEWPORT (gtk_scrolled_window_get_child (self->ladder_scroller)), FALSE);
  self->follow_end = TRUE;
  g_signal_connect (gtk_scrolled_window_get_vadjustment (self->ladder_scroller), "value-changed",
                    G_CALLBACK (on_ladder_scrolled), self);
  g_signal_connect (gtk_scrolled_window_get_vadjustment (self->ladder_scroller), "notify::upper",
                    G_CALLBACK (on_ladder_grown), self);

  g_signal_connect (self->selection, "notify::selected", G_CALLBACK (on_selected), self);
  g_signal_connect_after (self->segments, "items-changed", G_CALLBACK (on_segments_changed), self);
  g_signal_connect (self->segments, "notify::conversation", G_CALLBACK (hb_timeline_window_on_conversation), self);
  g_signal_connect (self->conversation_dropdown, "notify::selected",
                    G_CALLBACK (hb_timeline_window_on_conversation_chosen), self);
  g_signal_connect (self->notebook, "switch-page", G_CALLBACK (hb_timeline_window_on_page_switching), self);
  g_signal_connect_after (self->notebook, "switch-page", G_CALLBACK (hb_timeline_window_on_page_switched), self);

  gtk_application_window_set_show_menubar (GTK_APPLICATION_WINDOW (self), FALSE);
  gtk_label_set_text (self->explanation_label, hb_phase_explanation (HB_TCP_PHASE_HANDSHAKE));
  hb_timeline_window_update_status (self);
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
  g_autofree char *title = NULL;
  g_autofree char *client_end = NULL;
  const char *cip = NULL, *sip = NULL;
  guint cport = 0, sport = 0;

  self->client_side = client_side;
  self->timeline = g_object_ref (timeline);
  self->encoding = hb_timeline_get_encoding (timeline);
  self->socket = socket ? g_object_ref (socket) : NULL;
  self->client_label = g_strdup (client_label);
  self->server_label = g_strdup (server_label);
  hb_timeline_window_remember_addresses (self);
  /* Two connections of one client differ by its port: the title says it,
   * unless the label does already. */
  if (hb_timeline_window_endpoints (self, &cip, &cport, &sip, &sport))
    client_end = hb_format_endpoint (cip, cport);
  if (client_end != NULL && strstr (client_label, client_end) == NULL)
    {
      g_autofree char *client = g_strdup_printf ("%s (%s)", client_label, client_end);

      title = g_strdup_printf (_("Timeline: %s ⇄ %s"), client, server_label);
    }
  else
    title = g_strdup_printf (_("Timeline: %s ⇄ %s"), client_label, server_label);
  gtk_window_set_title (GTK_WINDOW (self), title);
  hb_ladder_set_labels (self->ladder, client_label, server_label);
  hb_segment_model_follow_record (self->segments, timeline, client_side, client_label, server_label);
  self->origin_mono = hb_segment_model_get_origin (self->segments);
  if (self->origin_mono == 0)
    self->origin_mono = g_get_monotonic_time ();
  hb_timeline_window_follow_record (self);
  hb_timeline_window_update_tcp (self);
  self->tcp_timer = g_timeout_add_seconds (1, hb_timeline_window_update_tcp, self);

  if (self->local_ip != NULL)
    {
      HbCaptureSession *running;

      g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "capture")),
                                   TRUE);
      /* A capture of this server's port already runs: join it. */
      running = hb_capture_session_get_for_port (sport);
      if (hb_capture_session_is_active (running) || hb_capture_session_get_conversations (running)->len > 0)
        hb_timeline_window_attach_session (self);
      g_object_unref (running);
    }
  hb_timeline_window_update_status (self);
  return self;
}

HbTimelineWindow *
hb_timeline_window_new_for_file (GtkApplication *application,
                                 GFile          *file)
{
  HbTimelineWindow *self = g_object_new (HB_TYPE_TIMELINE_WINDOW, "application", application, NULL);

  gtk_widget_set_visible (GTK_WIDGET (self->capture_button), FALSE);
  hb_timeline_window_load_file (self, file);
  return self;
}

/**
 * hb_timeline_window_new_for_live_capture:
 * @file: the capture, written from a live capture session
 * @server_port: the port of the server that was captured
 *
 * Like hb_timeline_window_new_for_file(), for everything captured live on
 * a server's port: the port says who is the client of a connection whose
 * handshake came before the capture, and the window says "live capture",
 * not "file".
 */
HbTimelineWindow *
hb_timeline_window_new_for_live_capture (GtkApplication *application,
                                         GFile          *file,
                                         guint           server_port)
{
  HbTimelineWindow *self = g_object_new (HB_TYPE_TIMELINE_WINDOW, "application", application, NULL);

  gtk_widget_set_visible (GTK_WIDGET (self->capture_button), FALSE);
  self->captured_port = server_port;
  hb_timeline_window_load_file (self, file);
  return self;
}

GListModel *
hb_timeline_window_get_segments (HbTimelineWindow *self)
{
  g_return_val_if_fail (HB_IS_TIMELINE_WINDOW (self), NULL);
  return G_LIST_MODEL (self->segments);
}

gboolean
hb_timeline_window_get_loading (HbTimelineWindow *self)
{
  g_return_val_if_fail (HB_IS_TIMELINE_WINDOW (self), FALSE);
  return hb_capture_loader_get_busy (self->loader);
}

HbCaptureSession *
hb_timeline_window_get_capture_session (HbTimelineWindow *self)
{
  g_return_val_if_fail (HB_IS_TIMELINE_WINDOW (self), NULL);
  return self->session;
}
