/* hb-log-view.c - a bounded, timestamped event list that follows new entries
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Shared by the server's log and the client's conversation: one row per
 * HbLogEntry, styled by its kind, at most LOG_LIMIT entries kept.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "hb-clock.h"
#include "hb-log-view.h"

#define LOG_LIMIT 10000
/* Frames a scroll to the end may take to settle before it is given up. */
#define FOLLOW_MAX_FRAMES 10

struct _HbLogView
{
  GtkWidget           parent_instance;
  GtkScrolledWindow  *scroller;
  GtkListView        *list;
  GListStore         *store;
  GtkFilterListModel *filtered;
  guint               follow_id;      /* tick callback, while following */
  guint               follow_frames;
};

G_DEFINE_FINAL_TYPE (HbLogView, hb_log_view, GTK_TYPE_WIDGET)

static char *
who_text (HbLogEntry *entry)
{
  const char *who = hb_log_entry_get_who (entry);

  switch (hb_log_entry_get_kind (entry))
    {
    case HB_LOG_BROADCAST: return *who ? g_strdup (who) : g_strdup (_("→ everyone"));
    case HB_LOG_SENT: return g_strdup_printf ("→ %s", who);
    case HB_LOG_OWN: return g_strdup (_("me"));
    case HB_LOG_ERROR: return *who ? g_strdup_printf (_("%s error"), who) : g_strdup (_("error"));
    case HB_LOG_INFO: return *who ? g_strdup (who) : g_strdup (_("server"));
    case HB_LOG_MESSAGE:
    case HB_LOG_RELAY:
    case HB_LOG_JOIN:
    case HB_LOG_LEAVE:
    default: return g_strdup (who);
    }
}

static void
on_hex_toggled (GtkToggleButton *button,
                gpointer         user_data)
{
  HbLogEntry *entry = g_object_get_data (G_OBJECT (button), "hb-entry");
  GtkWidget *hex = user_data;

  /* Rows are recycled: the entry keeps whether its hex is shown. */
  if (entry != NULL)
    hb_log_entry_set_hex_shown (entry, gtk_toggle_button_get_active (button));
  gtk_widget_set_visible (hex, gtk_toggle_button_get_active (button));
}

/* A grid: time, who, text and, for bytes, a Hex button on the first line;
 * under the text a note and the hex view when there are any. The text
 * stays the who label's next sibling. */
static void
row_setup (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           gpointer                  user_data)
{
  GtkWidget *grid = gtk_grid_new ();
  GtkWidget *time = gtk_label_new (NULL);
  GtkWidget *who = gtk_label_new (NULL);
  GtkWidget *text = gtk_label_new (NULL);
  GtkWidget *toggle = gtk_toggle_button_new_with_label (_("Hex"));
  GtkWidget *note = gtk_label_new (NULL);
  GtkWidget *hex = gtk_label_new (NULL);

  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  gtk_widget_add_css_class (time, "dim-label");
  gtk_widget_add_css_class (time, "numeric");
  gtk_label_set_xalign (GTK_LABEL (time), 0);
  gtk_label_set_yalign (GTK_LABEL (time), 0);
  gtk_label_set_xalign (GTK_LABEL (who), 0);
  gtk_label_set_yalign (GTK_LABEL (who), 0);
  gtk_label_set_max_width_chars (GTK_LABEL (who), 22);
  gtk_label_set_ellipsize (GTK_LABEL (who), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (who, "hb-who");
  gtk_label_set_xalign (GTK_LABEL (text), 0);
  gtk_label_set_yalign (GTK_LABEL (text), 0);
  gtk_label_set_wrap (GTK_LABEL (text), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (text), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (text), TRUE);
  gtk_widget_set_hexpand (text, TRUE);
  gtk_widget_set_valign (toggle, GTK_ALIGN_START);
  gtk_widget_set_tooltip_text (toggle, _("Show these bytes in hexadecimal"));
  gtk_widget_add_css_class (toggle, "flat");
  gtk_widget_add_css_class (toggle, "hb-hex-toggle");
  gtk_label_set_xalign (GTK_LABEL (note), 0);
  gtk_label_set_wrap (GTK_LABEL (note), TRUE);
  gtk_widget_add_css_class (note, "hb-log-note");
  gtk_label_set_xalign (GTK_LABEL (hex), 0);
  gtk_label_set_selectable (GTK_LABEL (hex), TRUE);
  gtk_widget_add_css_class (hex, "hb-hex");
  gtk_widget_add_css_class (hex, "monospace");
  gtk_grid_attach (GTK_GRID (grid), time, 0, 0, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), who, 1, 0, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), text, 2, 0, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), toggle, 3, 0, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), note, 2, 1, 2, 1);
  gtk_grid_attach (GTK_GRID (grid), hex, 2, 2, 2, 1);
  g_signal_connect (toggle, "toggled", G_CALLBACK (on_hex_toggled), hex);
  gtk_widget_add_css_class (grid, "hb-log-row");
  gtk_list_item_set_child (item, grid);
}

/* A line may be 1 KiB without a space: wrapping that anywhere makes the
 * label measure itself at every character, seconds of a frame for a few
 * such lines, while the same loop serves the network. The row shows the
 * start; the tooltip, a search and an export have it whole. */
#define SHOWN_CHARS 300

static void
set_shown_text (GtkLabel   *label,
                const char *text)
{
  glong n = g_utf8_strlen (text, -1);
  g_autofree char *start = NULL;

  if (n <= SHOWN_CHARS)
    {
      gtk_label_set_text (label, text);
      gtk_widget_set_tooltip_text (GTK_WIDGET (label), NULL);
      return;
    }
  start = g_utf8_substring (text, 0, SHOWN_CHARS);
  {
    g_autofree char *shown = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s… (%ld more character)",
                                                           "%s… (%ld more characters)", n - SHOWN_CHARS),
                                              start, n - SHOWN_CHARS);

    gtk_label_set_text (label, shown);
  }
  gtk_widget_set_tooltip_text (GTK_WIDGET (label), text);
}

static void
row_bind (GtkSignalListItemFactory *factory,
          GtkListItem              *item,
          gpointer                  user_data)
{
  static const char *kinds[] = { "message", "broadcast", "sent", "join", "leave", "error", "info", "relay", "own", "data" };
  HbLogEntry *entry = gtk_list_item_get_item (item);
  GtkWidget *grid = gtk_list_item_get_child (item);
  GtkWidget *time = gtk_widget_get_first_child (grid);
  GtkWidget *who = gtk_widget_get_next_sibling (time);
  GtkWidget *text = gtk_widget_get_next_sibling (who);
  GtkWidget *toggle = gtk_widget_get_next_sibling (text);
  GtkWidget *note = gtk_widget_get_next_sibling (toggle);
  GtkWidget *hex = gtk_widget_get_next_sibling (note);
  g_autofree char *clock = hb_format_clock (hb_log_entry_get_time (entry));
  g_autofree char *who_str = who_text (entry);
  g_autofree char *hex_text = hb_log_entry_format_hex (entry);
  const char *note_text = hb_log_entry_get_note (entry);

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    gtk_widget_remove_css_class (grid, kinds[i]);
  gtk_widget_add_css_class (grid, hb_log_kind_to_string (hb_log_entry_get_kind (entry)));
  gtk_label_set_text (GTK_LABEL (time), clock);
  gtk_label_set_text (GTK_LABEL (who), who_str);
  set_shown_text (GTK_LABEL (text), hb_log_entry_get_text (entry));

  gtk_label_set_text (GTK_LABEL (note), note_text ? note_text : "");
  gtk_widget_set_visible (note, note_text != NULL);
  /* Set while unbound, so that the toggle does not write to the entry. */
  g_object_set_data (G_OBJECT (toggle), "hb-entry", NULL);
  gtk_label_set_text (GTK_LABEL (hex), hex_text ? hex_text : "");
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (toggle), hex_text != NULL && hb_log_entry_get_hex_shown (entry));
  gtk_widget_set_visible (hex, hex_text != NULL && hb_log_entry_get_hex_shown (entry));
  gtk_widget_set_visible (toggle, hex_text != NULL);
  g_object_set_data (G_OBJECT (toggle), "hb-entry", entry);
}

static void
row_unbind (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            gpointer                  user_data)
{
  GtkWidget *grid = gtk_list_item_get_child (item);
  GtkWidget *toggle = gtk_widget_get_next_sibling (gtk_widget_get_next_sibling (
                        gtk_widget_get_next_sibling (gtk_widget_get_first_child (grid))));

  g_object_set_data (G_OBJECT (toggle), "hb-entry", NULL);
}

/* The view shows the last row at its bottom edge, or shows every row:
 * nothing to follow. Before its first layout the view has no page yet. */
static gboolean
is_at_end (HbLogView *self,
           double     slack)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->scroller);
  double page = gtk_adjustment_get_page_size (adj);

  return page <= 0 ||
         gtk_adjustment_get_value (adj) >= gtk_adjustment_get_upper (adj) - page - slack;
}

static void
stop_following (HbLogView *self)
{
  if (self->follow_id != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->follow_id);
  self->follow_id = 0;
}

/* Runs at the start of each frame while the view is brought to its end,
 * after the previous frame's layout and before this one's. Making the last
 * row the list's anchor at the bottom edge holds whatever heights the layout
 * then finds; its first guess at a row not yet measured may take one more
 * frame to settle. */
static gboolean
follow_tick (GtkWidget     *widget,
             GdkFrameClock *clock,
             gpointer       user_data)
{
  HbLogView *self = HB_LOG_VIEW (widget);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));

  if (n == 0 || self->follow_frames++ >= FOLLOW_MAX_FRAMES)
    {
      self->follow_id = 0;
      return G_SOURCE_REMOVE;
    }
  gtk_widget_activate_action (GTK_WIDGET (self->list), "list.scroll-to-item", "u", n - 1);
  return G_SOURCE_CONTINUE;
}

/* The list's layout sets the adjustment: once a layout has put the end in
 * view, following is done, so that the user's next scroll is not undone. */
static void
on_adjustment_changed (GtkAdjustment *adj,
                       HbLogView     *self)
{
  if (self->follow_id != 0 && self->follow_frames > 0 &&
      gtk_adjustment_get_page_size (adj) > 0 && is_at_end (self, 0.5))
    stop_following (self);
}

/* Follows new rows while the view shows the end; stays put when the user
 * scrolled up to read. The adjustment still holds the figures of the last
 * layout here, which is what the user was looking at.
 *
 * Scrolling to the adjustment's upper bound in an idle, as this view once
 * did, raced the layout: the idle often ran before the frame that measured
 * the new rows, so it scrolled to the old end; the new rows then lay below
 * the view, which from then on was "not at the end" and never followed
 * again. */
static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  HbLogView  *self)
{
  if (self->follow_id == 0 && !is_at_end (self, 4))
    return;
  self->follow_frames = 0;
  if (self->follow_id == 0)
    self->follow_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), follow_tick, NULL, NULL);
}

static void
hb_log_view_dispose (GObject *object)
{
  HbLogView *self = HB_LOG_VIEW (object);

  if (self->filtered != NULL)
    g_signal_handlers_disconnect_by_data (self->filtered, self);
  if (self->scroller != NULL)
    g_signal_handlers_disconnect_by_data (gtk_scrolled_window_get_vadjustment (self->scroller), self);
  stop_following (self);
  g_clear_pointer ((GtkWidget **) &self->scroller, gtk_widget_unparent);
  g_clear_object (&self->filtered);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (hb_log_view_parent_class)->dispose (object);
}

static void
hb_log_view_class_init (HbLogViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hb_log_view_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "hb-log-view");
}

static void
hb_log_view_init (HbLogView *self)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkNoSelection *selection;

  self->store = g_list_store_new (HB_TYPE_LOG_ENTRY);
  self->filtered = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (self->store)), NULL);
  selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->filtered)));
  g_signal_connect (factory, "setup", G_CALLBACK (row_setup), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (row_bind), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (row_unbind), NULL);

  self->list = GTK_LIST_VIEW (gtk_list_view_new (GTK_SELECTION_MODEL (selection), factory));
  gtk_widget_add_css_class (GTK_WIDGET (self->list), "hb-log");
  self->scroller = GTK_SCROLLED_WINDOW (gtk_scrolled_window_new ());
  gtk_scrolled_window_set_policy (self->scroller, GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (self->scroller, GTK_WIDGET (self->list));
  gtk_widget_set_parent (GTK_WIDGET (self->scroller), GTK_WIDGET (self));
  gtk_widget_set_vexpand (GTK_WIDGET (self), TRUE);
  /* After the list's own handler: the list knows the new rows by then. */
  g_signal_connect (self->filtered, "items-changed", G_CALLBACK (on_items_changed), self);
  g_signal_connect (gtk_scrolled_window_get_vadjustment (self->scroller), "changed",
                    G_CALLBACK (on_adjustment_changed), self);
  g_signal_connect (gtk_scrolled_window_get_vadjustment (self->scroller), "value-changed",
                    G_CALLBACK (on_adjustment_changed), self);
}

GtkWidget *
hb_log_view_new (void)
{
  return g_object_new (HB_TYPE_LOG_VIEW, NULL);
}

void
hb_log_view_append (HbLogView  *self,
                    HbLogEntry *entry)
{
  hb_log_view_append_many (self, &entry, 1);
}

void
hb_log_view_append_many (HbLogView   *self,
                         HbLogEntry **entries,
                         guint        n_entries)
{
  guint n;

  g_return_if_fail (HB_IS_LOG_VIEW (self));

  if (n_entries == 0)
    return;
  /* One items-changed for the lot: each one costs the list view a walk
   * over its rows, which made 10,000 joins one by one take seconds. */
  n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  g_list_store_splice (self->store, n, 0, (gpointer *) entries, n_entries);

  /* Bounded: drop the oldest tenth in one batch rather than one by one. */
  n += n_entries;
  if (n > LOG_LIMIT)
    g_list_store_splice (self->store, 0, n - LOG_LIMIT + LOG_LIMIT / 10, NULL, 0);
}

void
hb_log_view_clear (HbLogView *self)
{
  g_return_if_fail (HB_IS_LOG_VIEW (self));
  g_list_store_remove_all (self->store);
}

void
hb_log_view_set_filter (HbLogView *self,
                        GtkFilter *filter)
{
  g_return_if_fail (HB_IS_LOG_VIEW (self));
  gtk_filter_list_model_set_filter (self->filtered, filter);
}

GListModel *
hb_log_view_get_model (HbLogView *self)
{
  g_return_val_if_fail (HB_IS_LOG_VIEW (self), NULL);
  return G_LIST_MODEL (self->filtered);
}
