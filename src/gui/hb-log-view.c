/* hb-log-view.c - a bounded, timestamped event list that follows new entries
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Shared by the server's log and the client's conversation: one row per
 * HbLogEntry, styled by its kind, at most LOG_LIMIT entries kept. A read
 * of raw bytes (HB_LOG_DATA) shows its byte count, its text, what it held
 * in plain words, and its bytes in hex as Wireshark shows them.
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
  gboolean            show_hex;
  GPtrArray          *rows;           /* Row, every row the list has made */
};

/* The widgets of one row, made once and reused for whatever entry the
 * list binds to it. */
typedef struct
{
  GtkWidget *box;
  GtkWidget *time;
  GtkWidget *who;
  GtkWidget *badge;   /* "13 bytes · 1 ack" */
  GtkWidget *text;
  GtkWidget *note;    /* 粘包/拆包 in plain words */
  GtkWidget *hex;
  GtkWidget *hex_toggle;  /* a client's bytes: their hex on demand */
  HbLogEntry *entry;      /* bound now; the list holds it */
  gboolean   is_data;
  gboolean   compact;
} Row;

enum {
  PROP_0,
  PROP_SHOW_HEX,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

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

static GtkWidget *
row_label (const char *css_class)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_yalign (GTK_LABEL (label), 0);
  if (css_class != NULL)
    gtk_widget_add_css_class (label, css_class);
  return label;
}

static void
on_hex_toggled (GtkToggleButton *button,
                Row             *row)
{
  gboolean shown = gtk_toggle_button_get_active (button);

  if (row->entry != NULL && row->compact)
    {
      hb_log_entry_set_hex_shown (row->entry, shown);
      gtk_widget_set_visible (row->hex, shown);
    }
}

static void
row_setup (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           HbLogView                *self)
{
  Row *row = g_new0 (Row, 1);
  GtkGrid *grid = GTK_GRID (gtk_grid_new ());

  row->box = GTK_WIDGET (grid);
  gtk_grid_set_column_spacing (grid, 10);
  gtk_grid_set_row_spacing (grid, 2);
  row->time = row_label ("dim-label");
  gtk_widget_add_css_class (row->time, "numeric");
  row->who = row_label ("hb-who");
  gtk_label_set_width_chars (GTK_LABEL (row->who), 14);
  gtk_label_set_max_width_chars (GTK_LABEL (row->who), 22);
  gtk_label_set_ellipsize (GTK_LABEL (row->who), PANGO_ELLIPSIZE_END);
  row->badge = row_label ("hb-badge");
  gtk_widget_set_valign (row->badge, GTK_ALIGN_START);
  row->text = row_label (NULL);
  gtk_label_set_wrap (GTK_LABEL (row->text), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (row->text), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (row->text), TRUE);
  gtk_widget_set_hexpand (row->text, TRUE);
  row->note = row_label ("hb-note");
  gtk_label_set_wrap (GTK_LABEL (row->note), TRUE);
  row->hex = row_label ("hb-hex");
  gtk_label_set_selectable (GTK_LABEL (row->hex), TRUE);
  row->hex_toggle = gtk_toggle_button_new_with_label (_("Hex"));
  gtk_widget_set_valign (row->hex_toggle, GTK_ALIGN_START);
  gtk_widget_set_tooltip_text (row->hex_toggle, _("Show these bytes in hexadecimal"));
  gtk_widget_add_css_class (row->hex_toggle, "flat");
  gtk_widget_add_css_class (row->hex_toggle, "hb-hex-toggle");
  g_signal_connect (row->hex_toggle, "toggled", G_CALLBACK (on_hex_toggled), row);

  /* The text follows the sender among the row's children, whatever
   * stands between them on screen (a read's byte count); then the byte
   * count, the Hex button, the note and the hex; a column that shows
   * nothing takes no room. */
  gtk_grid_attach (grid, row->time, 0, 0, 1, 1);
  gtk_grid_attach (grid, row->who, 1, 0, 1, 1);
  gtk_grid_attach (grid, row->text, 3, 0, 1, 1);
  gtk_grid_attach (grid, row->badge, 2, 0, 1, 1);
  gtk_grid_attach (grid, row->hex_toggle, 4, 0, 1, 1);
  gtk_grid_attach (grid, row->note, 2, 1, 3, 1);
  gtk_grid_attach (grid, row->hex, 2, 2, 3, 1);
  gtk_widget_add_css_class (row->box, "hb-log-row");
  g_object_set_data_full (G_OBJECT (item), "hb-row", row, g_free);
  g_ptr_array_add (self->rows, row);
  gtk_list_item_set_child (item, row->box);
}

static void
row_teardown (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              HbLogView                *self)
{
  Row *row = g_object_get_data (G_OBJECT (item), "hb-row");

  row->entry = NULL;
  g_ptr_array_remove_fast (self->rows, row);
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

/* The first bytes of a read as Wireshark's bytes pane shows them, 16 to
 * a line: offset, hex, and the printable ASCII characters. */
#define HEX_SHOWN 64

static char *
hex_dump (const guint8 *data,
          gsize         len,
          guint64       size)
{
  GString *out = g_string_new (NULL);
  gsize shown = MIN (len, HEX_SHOWN);

  for (gsize line = 0; line < shown; line += 16)
    {
      if (line > 0)
        g_string_append_c (out, '\n');
      g_string_append_printf (out, "%04" G_GSIZE_MODIFIER "x ", line);
      for (gsize i = line; i < line + 16; i++)
        {
          if (i % 8 == 0)
            g_string_append_c (out, ' ');
          if (i < shown)
            g_string_append_printf (out, "%02x ", data[i]);
          else
            g_string_append (out, "   ");
        }
      g_string_append_c (out, ' ');
      for (gsize i = line; i < MIN (line + 16, shown); i++)
        g_string_append_c (out, data[i] >= 0x20 && data[i] < 0x7f ? data[i] : '.');
    }
  if (size > shown)
    {
      g_string_append_c (out, '\n');
      g_string_append_printf (out, g_dngettext (GETTEXT_PACKAGE, "… %llu more byte", "… %llu more bytes",
                                                size - shown),
                              (unsigned long long) (size - shown));
    }
  return g_string_free (out, FALSE);
}

/* A read's text in the row: at most SHOWN_CHARS characters, and how many
 * of its bytes are not shown; all that is kept, in the tooltip. A byte
 * that does not decode is shown as four characters (\xNN). */
static void
set_data_text (Row        *row,
               HbLogEntry *entry)
{
  GBytes *bytes = hb_log_entry_get_data (entry);
  guint64 size = hb_log_entry_get_size (entry);
  gsize len, shown = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  HbEncoding encoding = hb_log_entry_get_encoding (entry);
  g_autofree char *text = hb_bytes_to_display (data, len, encoding, SHOWN_CHARS, &shown);

  if (g_utf8_strlen (text, -1) > SHOWN_CHARS)
    {
      g_free (text);
      text = hb_bytes_to_display (data, len, encoding, SHOWN_CHARS / 4, &shown);
    }
  if (shown == size)
    {
      gtk_label_set_text (GTK_LABEL (row->text), text);
      gtk_widget_set_tooltip_text (row->text, NULL);
    }
  else
    {
      g_autofree char *cut = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s… (%llu more byte)",
                                                           "%s… (%llu more bytes)", size - shown),
                                              text, (unsigned long long) (size - shown));
      g_autofree char *whole = hb_log_entry_dup_text (entry);

      gtk_label_set_text (GTK_LABEL (row->text), cut);
      gtk_widget_set_tooltip_text (row->text, whole);
    }
}

static void
bind_data (HbLogView  *self,
           Row        *row,
           HbLogEntry *entry)
{
  guint64 size = hb_log_entry_get_size (entry);
  g_autofree char *contents = hb_log_entry_dup_contents (entry);
  g_autofree char *note = hb_log_entry_dup_note (entry);
  g_autofree char *count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%llu byte", "%llu bytes", size),
                                            (unsigned long long) size);
  g_autofree char *badge = contents ? g_strdup_printf ("%s · %s", count, contents) : g_strdup (count);
  gsize len;
  const guint8 *data = g_bytes_get_data (hb_log_entry_get_data (entry), &len);
  g_autofree char *hex = hex_dump (data, len, size);

  gtk_label_set_text (GTK_LABEL (row->badge), badge);
  set_data_text (row, entry);
  gtk_label_set_text (GTK_LABEL (row->note), note ? note : "");
  gtk_widget_set_visible (row->note, note != NULL);
  gtk_label_set_text (GTK_LABEL (row->hex), hex);
}

/* A client's bytes: the sender says how many, the note is the entry's
 * own, and the hex opens from the row's Hex button. */
static void
bind_compact (Row        *row,
              HbLogEntry *entry)
{
  const char *note = hb_log_entry_get_note (entry);
  g_autofree char *hex = hb_log_entry_format_hex (entry);

  set_data_text (row, entry);
  gtk_label_set_text (GTK_LABEL (row->note), note ? note : "");
  gtk_widget_set_visible (row->note, note != NULL);
  gtk_label_set_text (GTK_LABEL (row->hex), hex);
  /* Set before the entry is known to the handler: no write back. */
  row->entry = NULL;
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (row->hex_toggle), hb_log_entry_get_hex_shown (entry));
}

static void
show_parts (HbLogView *self,
            Row       *row)
{
  gtk_widget_set_visible (row->badge, row->is_data && !row->compact);
  gtk_widget_set_visible (row->hex_toggle, row->compact);
  if (row->compact)
    gtk_widget_set_visible (row->hex, row->entry != NULL && hb_log_entry_get_hex_shown (row->entry));
  else
    gtk_widget_set_visible (row->hex, row->is_data && self->show_hex);
  if (!row->is_data)
    gtk_widget_set_visible (row->note, FALSE);
  if (row->is_data)
    gtk_widget_add_css_class (row->text, "hb-bytes");
  else
    gtk_widget_remove_css_class (row->text, "hb-bytes");
}

static void
row_bind (GtkSignalListItemFactory *factory,
          GtkListItem              *item,
          HbLogView                *self)
{
  static const char *kinds[] = { "message", "broadcast", "sent", "join", "leave", "error", "info", "relay", "own", "data" };
  HbLogEntry *entry = gtk_list_item_get_item (item);
  Row *row = g_object_get_data (G_OBJECT (item), "hb-row");
  g_autofree char *clock = hb_format_clock (hb_log_entry_get_time (entry));
  g_autofree char *who_str = who_text (entry);

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    gtk_widget_remove_css_class (row->box, kinds[i]);
  gtk_widget_add_css_class (row->box, hb_log_kind_to_string (hb_log_entry_get_kind (entry)));
  gtk_label_set_text (GTK_LABEL (row->time), clock);
  gtk_label_set_text (GTK_LABEL (row->who), who_str);
  row->compact = hb_log_entry_get_compact (entry);
  row->is_data = hb_log_entry_has_bytes (entry);
  if (row->compact)
    bind_compact (row, entry);
  else if (row->is_data)
    bind_data (self, row, entry);
  else
    set_shown_text (GTK_LABEL (row->text), hb_log_entry_get_text (entry));
  row->entry = entry;
  show_parts (self, row);
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
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_clear_object (&self->filtered);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (hb_log_view_parent_class)->dispose (object);
}

static void
hb_log_view_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  HbLogView *self = HB_LOG_VIEW (object);

  switch (prop_id)
    {
    case PROP_SHOW_HEX:
      g_value_set_boolean (value, self->show_hex);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hb_log_view_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  HbLogView *self = HB_LOG_VIEW (object);

  switch (prop_id)
    {
    case PROP_SHOW_HEX:
      hb_log_view_set_show_hex (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hb_log_view_class_init (HbLogViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hb_log_view_dispose;
  object_class->get_property = hb_log_view_get_property;
  object_class->set_property = hb_log_view_set_property;

  /**
   * HbLogView:show-hex:
   * Whether each read of raw bytes shows them in hex too.
   */
  properties[PROP_SHOW_HEX] =
    g_param_spec_boolean ("show-hex", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "hb-log-view");
}

static void
hb_log_view_init (HbLogView *self)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkNoSelection *selection;

  self->show_hex = TRUE;
  self->rows = g_ptr_array_new ();
  self->store = g_list_store_new (HB_TYPE_LOG_ENTRY);
  self->filtered = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (self->store)), NULL);
  selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->filtered)));
  g_signal_connect (factory, "setup", G_CALLBACK (row_setup), self);
  g_signal_connect (factory, "teardown", G_CALLBACK (row_teardown), self);
  g_signal_connect (factory, "bind", G_CALLBACK (row_bind), self);

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

void
hb_log_view_set_show_hex (HbLogView *self,
                          gboolean   show_hex)
{
  g_return_if_fail (HB_IS_LOG_VIEW (self));

  show_hex = !!show_hex;
  if (self->show_hex == show_hex)
    return;
  self->show_hex = show_hex;
  /* The rows already made change in place; the list keeps its place. */
  for (guint i = 0; i < self->rows->len; i++)
    show_parts (self, g_ptr_array_index (self->rows, i));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW_HEX]);
}

gboolean
hb_log_view_get_show_hex (HbLogView *self)
{
  g_return_val_if_fail (HB_IS_LOG_VIEW (self), FALSE);
  return self->show_hex;
}
