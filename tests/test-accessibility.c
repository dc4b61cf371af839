/* test-accessibility.c - every window named for a screen reader, driven by keyboard alone, and fitting a laptop screen
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gtk/gtk.h>

#include "heartbeat-lab.h"
#include "hb-client-window.h"
#include "hb-log-view.h"
#include "hb-preferences-window.h"
#include "hb-server-window.h"
#include "hb-timeline-window.h"
#include "hb-test-gui.h"
#include "hb-test-util.h"

/* Widgets a user operates, and so a screen reader must name. Composite
 * ones (an entry's text, a spin button's +/-) are checked as a whole. */
static gboolean
is_control (GtkWidget *w)
{
  return GTK_IS_BUTTON (w) || GTK_IS_CHECK_BUTTON (w) || GTK_IS_SWITCH (w) ||
         GTK_IS_ENTRY (w) || GTK_IS_SPIN_BUTTON (w) || GTK_IS_SEARCH_ENTRY (w) ||
         GTK_IS_MENU_BUTTON (w) || GTK_IS_DROP_DOWN (w) || GTK_IS_COLUMN_VIEW (w) ||
         GTK_IS_LIST_VIEW (w) || GTK_IS_TEXT_VIEW (w) || GTK_IS_SCALE (w) ||
         HB_IS_LOG_VIEW (w);
}

static gboolean
has_name (GtkWidget *w)
{
  return gtk_test_accessible_has_property (GTK_ACCESSIBLE (w), GTK_ACCESSIBLE_PROPERTY_LABEL) ||
         gtk_test_accessible_has_relation (GTK_ACCESSIBLE (w), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
}

static char *
describe (GtkWidget *w)
{
  const char *text = NULL;
  const char *tip = gtk_widget_get_tooltip_text (w);

  if (GTK_IS_BUTTON (w))
    text = gtk_button_get_label (GTK_BUTTON (w));
  else if (GTK_IS_CHECK_BUTTON (w))
    text = gtk_check_button_get_label (GTK_CHECK_BUTTON (w));
  else if (GTK_IS_MENU_BUTTON (w))
    text = gtk_menu_button_get_label (GTK_MENU_BUTTON (w));
  return g_strdup_printf ("%s “%s” (tooltip “%s”, id %s)", G_OBJECT_TYPE_NAME (w),
                          text ? text : "", tip ? tip : "", gtk_buildable_get_buildable_id (GTK_BUILDABLE (w)));
}

/* Every control under @w (popovers included), in tree order. */
static void
collect_controls (GtkWidget *w,
                  GPtrArray *out)
{
  if (is_control (w))
    {
      g_ptr_array_add (out, w);
      if (GTK_IS_MENU_BUTTON (w) && gtk_menu_button_get_popover (GTK_MENU_BUTTON (w)) != NULL &&
          gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (w)) == NULL)
        collect_controls (GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (w))), out);
      return;
    }
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    collect_controls (c, out);
}

static void
assert_all_named (GtkWidget *window)
{
  g_autoptr(GPtrArray) controls = g_ptr_array_new ();
  g_autoptr(GString) unnamed = g_string_new (NULL);

  collect_controls (window, controls);
  g_assert_cmpuint (controls->len, >, 3);
  for (guint i = 0; i < controls->len; i++)
    {
      GtkWidget *w = g_ptr_array_index (controls, i);

      if (!has_name (w))
        {
          g_autofree char *what = describe (w);

          g_string_append_printf (unnamed, "\n  %s", what);
        }
      /* A button showing only an icon says in words what it does. */
      if (GTK_IS_BUTTON (w) && gtk_button_get_label (GTK_BUTTON (w)) == NULL &&
          gtk_button_get_icon_name (GTK_BUTTON (w)) != NULL &&
          gtk_widget_get_tooltip_text (w) == NULL && !GTK_IS_WINDOW_CONTROLS (gtk_widget_get_parent (w)))
        {
          g_autofree char *what = describe (w);

          g_string_append_printf (unnamed, "\n  no tooltip: %s", what);
        }
    }
  if (unnamed->len > 0)
    g_error ("%s: controls without an accessible name:%s", G_OBJECT_TYPE_NAME (window), unnamed->str);
}

static gboolean
is_within (GtkWidget *w,
           GtkWidget *ancestor)
{
  return w != NULL && (w == ancestor || gtk_widget_is_ancestor (w, ancestor));
}

/* Tab, again and again, as a keyboard user would: every control that can
 * be used now is reached. */
static void
assert_tab_reaches_everything (GtkWidget *window)
{
  g_autoptr(GPtrArray) controls = g_ptr_array_new ();
  g_autoptr(GPtrArray) reached = g_ptr_array_new ();
  g_autoptr(GString) missed = g_string_new (NULL);

  collect_controls (window, controls);
  gtk_window_set_focus (GTK_WINDOW (window), NULL);
  for (guint i = 0; i < 4 * controls->len + 20; i++)
    {
      GtkWidget *focus;

      if (!gtk_widget_child_focus (window, GTK_DIR_TAB_FORWARD))
        continue;  /* wrapped around */
      focus = gtk_window_get_focus (GTK_WINDOW (window));
      if (focus != NULL)
        g_ptr_array_add (reached, focus);
    }
  /* Tab enters a group of radio buttons at its chosen one; the arrow
   * keys go through the rest. */
  for (guint i = 0, n = reached->len; i < n; i++)
    {
      GtkWidget *w = g_ptr_array_index (reached, i);
      GtkWidget *indicator = w ? gtk_widget_get_first_child (w) : NULL;

      /* A grouped check button draws a "radio" indicator. */
      if (!GTK_IS_CHECK_BUTTON (w) || indicator == NULL ||
          g_strcmp0 (gtk_widget_get_css_name (indicator), "radio") != 0)
        continue;
      gtk_widget_grab_focus (w);
      for (guint k = 0; k < 8; k++)
        {
          gtk_widget_child_focus (window, GTK_DIR_DOWN);
          g_ptr_array_add (reached, gtk_window_get_focus (GTK_WINDOW (window)));
        }
    }

  for (guint i = 0; i < controls->len; i++)
    {
      GtkWidget *w = g_ptr_array_index (controls, i);
      gboolean found = FALSE;

      if (!gtk_widget_get_mapped (w) || !gtk_widget_is_sensitive (w) ||
          GTK_IS_WINDOW_CONTROLS (gtk_widget_get_parent (w)))
        continue;
      for (guint j = 0; j < reached->len && !found; j++)
        found = is_within (g_ptr_array_index (reached, j), w);
      if (!found)
        {
          g_autofree char *what = describe (w);

          g_string_append_printf (missed, "\n  %s", what);
        }
    }
  if (missed->len > 0)
    g_error ("%s: Tab never reaches:%s", G_OBJECT_TYPE_NAME (window), missed->str);
}

static void
collect_mnemonics (GtkWidget  *w,
                   GHashTable *seen,
                   GString    *clashes)
{
  if (!gtk_widget_get_mapped (w))
    return;
  if (GTK_IS_LABEL (w) && gtk_label_get_use_underline (GTK_LABEL (w)) &&
      gtk_label_get_mnemonic_keyval (GTK_LABEL (w)) != GDK_KEY_VoidSymbol)
    {
      guint key = gdk_keyval_to_lower (gtk_label_get_mnemonic_keyval (GTK_LABEL (w)));
      const char *other = g_hash_table_lookup (seen, GUINT_TO_POINTER (key));

      if (other != NULL)
        g_string_append_printf (clashes, "\n  Alt+%s: “%s” and “%s”", gdk_keyval_name (key),
                                other, gtk_label_get_label (GTK_LABEL (w)));
      else
        g_hash_table_insert (seen, GUINT_TO_POINTER (key), (gpointer) gtk_label_get_label (GTK_LABEL (w)));
    }
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    collect_mnemonics (c, seen, clashes);
}

/* Alt+letter goes to one place only. */
static void
assert_mnemonics_unique (GtkWidget *window)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);
  g_autoptr(GString) clashes = g_string_new (NULL);

  collect_mnemonics (window, seen, clashes);
  g_assert_cmpuint (g_hash_table_size (seen), >, 3);
  if (clashes->len > 0)
    g_error ("%s: one Alt+letter for two controls:%s", G_OBJECT_TYPE_NAME (window), clashes->str);
}

static void
show (GtkWidget *window)
{
  gtk_window_present (GTK_WINDOW (window));
  /* Laid out, too: arrow keys move by position. */
  hb_assert_eventually (gtk_widget_get_mapped (window) &&
                        gtk_widget_get_height (gtk_window_get_child (GTK_WINDOW (window))) > 0);
}

static void
test_server_window (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  HbServerWindow *win;
  HbServer *server;
  g_autoptr(HbClient) client = NULL;

  g_settings_set_uint (settings, "port", 0);
  win = hb_server_window_new (NULL);
  show (GTK_WIDGET (win));
  assert_all_named (GTK_WIDGET (win));
  assert_tab_reaches_everything (GTK_WIDGET (win));
  assert_mnemonics_unique (GTK_WIDGET (win));

  /* With a client in the list, the list is reached too. */
  g_assert_true (hb_server_window_start (win));
  server = g_object_ref (hb_server_window_get_server (win));
  client = hb_client_new ("127.0.0.1", hb_server_get_port (server), "ann");
  hb_client_connect (client);
  hb_assert_eventually (g_list_model_get_n_items (hb_server_get_connections (server)) == 1);
  hb_assert_eventually (gtk_widget_get_mapped (GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (win), HB_TYPE_SERVER_WINDOW,
                                                                                          "column_view"))));
  assert_all_named (GTK_WIDGET (win));
  assert_tab_reaches_everything (GTK_WIDGET (win));
  assert_mnemonics_unique (GTK_WIDGET (win));

  gtk_window_destroy (GTK_WINDOW (win));
  hb_assert_eventually (hb_client_get_state (client) == HB_CLIENT_DISCONNECTED);
  hb_test_await_finalize (server);
}

/* In the lab's protocol: the protocol list, the View menu, Check Clients
 * and the checks of a client in the list. */
static void
test_server_window_lab (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  HbServerWindow *win;
  HbServer *server;
  g_autoptr(HbTestPeer) peer = NULL;

  g_settings_set_uint (settings, "port", 0);
  g_settings_set_string (settings, "server-protocol", "lab");
  win = hb_server_window_new (NULL);
  show (GTK_WIDGET (win));
  g_assert_true (hb_server_window_start (win));
  server = g_object_ref (hb_server_window_get_server (win));
  g_assert_cmpint (hb_server_get_protocol (server), ==, HB_PROTOCOL_LAB);
  peer = hb_test_peer_new ("127.0.0.1", hb_server_get_port (server));
  hb_assert_eventually (g_list_model_get_n_items (hb_server_get_connections (server)) == 1);
  hb_assert_eventually (gtk_widget_get_mapped (GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (win), HB_TYPE_SERVER_WINDOW,
                                                                                          "column_view"))));
  assert_all_named (GTK_WIDGET (win));
  assert_tab_reaches_everything (GTK_WIDGET (win));
  assert_mnemonics_unique (GTK_WIDGET (win));

  hb_test_peer_free (g_steal_pointer (&peer));
  gtk_window_destroy (GTK_WINDOW (win));
  hb_assert_eventually (hb_server_get_n_clients (server) == 0);
  hb_test_await_finalize (server);
  g_settings_reset (settings, "server-protocol");
}

static void
test_client_window (void)
{
  g_autoptr(HbServer) server = g_object_new (HB_TYPE_SERVER, "port", 0, NULL);
  HbClientWindow *win = hb_client_window_new (NULL);

  show (GTK_WIDGET (win));
  assert_all_named (GTK_WIDGET (win));
  assert_tab_reaches_everything (GTK_WIDGET (win));
  assert_mnemonics_unique (GTK_WIDGET (win));

  /* Connected, more is enabled (and Connect becomes Disconnect). */
  g_assert_true (hb_server_start (server, NULL));
  hb_client_window_set_target (win, "127.0.0.1", hb_server_get_port (server), "ann");
  hb_client_window_connect (win);
  hb_assert_eventually (hb_client_get_client_id (hb_client_window_get_client (win)) != 0);
  assert_all_named (GTK_WIDGET (win));
  assert_tab_reaches_everything (GTK_WIDGET (win));
  assert_mnemonics_unique (GTK_WIDGET (win));

  gtk_window_destroy (GTK_WINDOW (win));
  hb_server_stop (server);
}

static HbTimelineWindow *
find_timeline (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (HB_IS_TIMELINE_WINDOW (window))
        return HB_TIMELINE_WINDOW (window);
    }
  return NULL;
}

static void
test_timeline_window (void)
{
  g_autoptr(HbServer) server = g_object_new (HB_TYPE_SERVER, "port", 0, NULL);
  HbClientWindow *win = hb_client_window_new (NULL);
  HbTimelineWindow *timeline;

  show (GTK_WIDGET (win));
  g_assert_true (hb_server_start (server, NULL));
  hb_client_window_set_target (win, "127.0.0.1", hb_server_get_port (server), "ann");
  hb_client_window_connect (win);
  hb_assert_eventually (hb_client_get_client_id (hb_client_window_get_client (win)) != 0);
  gtk_widget_activate_action (GTK_WIDGET (win), "win.show-timeline", NULL);
  timeline = find_timeline ();
  g_assert_nonnull (timeline);
  show (GTK_WIDGET (timeline));
  assert_all_named (GTK_WIDGET (timeline));
  assert_tab_reaches_everything (GTK_WIDGET (timeline));
  assert_mnemonics_unique (GTK_WIDGET (timeline));

  gtk_window_destroy (GTK_WINDOW (timeline));
  gtk_window_destroy (GTK_WINDOW (win));
  hb_server_stop (server);
}

static void
test_preferences_window (void)
{
  HbPreferencesWindow *win = hb_preferences_window_new (NULL);

  show (GTK_WIDGET (win));
  assert_all_named (GTK_WIDGET (win));
  assert_tab_reaches_everything (GTK_WIDGET (win));
  assert_mnemonics_unique (GTK_WIDGET (win));
  gtk_window_destroy (GTK_WINDOW (win));
}

/* A 1366×768 laptop leaves about 730 px under GNOME's top bar. */
#define LAPTOP_HEIGHT 730

static void
test_client_window_fits_a_laptop (void)
{
  HbClientWindow *win = hb_client_window_new (NULL);
  int width, height, min_height = 0;

  show (GTK_WIDGET (win));
  gtk_window_get_default_size (GTK_WINDOW (win), &width, &height);
  g_assert_cmpint (height, <=, LAPTOP_HEIGHT);
  hb_assert_eventually (gtk_widget_get_height (GTK_WIDGET (win)) > 0);
  g_assert_cmpint (gtk_widget_get_height (GTK_WIDGET (win)), <=, LAPTOP_HEIGHT);
  /* Even narrower than it opens, it can be made to fit. */
  gtk_widget_measure (GTK_WIDGET (win), GTK_ORIENTATION_VERTICAL, 600, &min_height, NULL, NULL, NULL);
  g_assert_cmpint (min_height, <=, LAPTOP_HEIGHT);
  /* At the size it opens, every fault switch and its line are in view:
   * nothing to scroll to. */
  {
    GtkScrolledWindow *scroller = GTK_SCROLLED_WINDOW (hb_test_child (win, HB_TYPE_CLIENT_WINDOW, "controls_scroller"));
    GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (scroller);

    hb_assert_eventually (gtk_adjustment_get_page_size (adj) > 0);
    g_test_message ("controls: %.0f of %.0f px in view", gtk_adjustment_get_page_size (adj),
                    gtk_adjustment_get_upper (adj));
    g_assert_cmpfloat (gtk_adjustment_get_upper (adj), <=, gtk_adjustment_get_page_size (adj) + 1);
  }
  gtk_window_destroy (GTK_WINDOW (win));
}

int
main (int   argc,
      char *argv[])
{
  /* The other GUI tests run with GTK_A11Y=none, which keeps no
   * accessible properties at all; GTK's test backend keeps them without
   * needing a session bus. */
  g_setenv ("GTK_A11Y", "test", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  hb_test_fatal_warnings_except_known ();

  g_test_add_func ("/gui/accessibility/server-window", test_server_window);
  g_test_add_func ("/gui/accessibility/server-window-lab", test_server_window_lab);
  g_test_add_func ("/gui/accessibility/client-window", test_client_window);
  g_test_add_func ("/gui/accessibility/preferences-window", test_preferences_window);
  g_test_add_func ("/gui/accessibility/timeline-window", test_timeline_window);
  g_test_add_func ("/gui/layout/client-window-fits-a-laptop", test_client_window_fits_a_laptop);

  return g_test_run ();
}
