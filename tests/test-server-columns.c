/* test-server-columns.c - the client list's texts: set only when they change, and only where they can be seen
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gtk/gtk.h>

#include "heartbeat-lab.h"
#include "hb-cell-text.h"
#include "hb-server-window.h"
#include "hb-test-gui.h"
#include "hb-test-util.h"

#define child(win, name) hb_test_child ((win), HB_TYPE_SERVER_WINDOW, (name))

static HbServerWindow *
open_window (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  HbServerWindow *win;

  g_settings_set_uint (settings, "interval-ms", 300);
  g_settings_set_uint (settings, "timeout-ms", 3000);
  g_settings_set_uint (settings, "port", 0);
  win = hb_server_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (win), 900, 500);
  gtk_window_present (GTK_WINDOW (win));
  hb_assert_eventually (gtk_widget_get_mapped (GTK_WIDGET (win)));
  gtk_widget_activate_action (GTK_WIDGET (win), "win.toggle-listening", NULL);
  g_assert_true (hb_server_get_listening (hb_server_window_get_server (win)));
  return win;
}

static void
close_window (HbServerWindow *win)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);

  gtk_window_destroy (GTK_WINDOW (win));
  g_settings_reset (settings, "interval-ms");
  g_settings_reset (settings, "timeout-ms");
  g_settings_reset (settings, "port");
}

static HbClient *
connect_client (HbServerWindow *win,
                const char     *name)
{
  HbClient *client = hb_client_new ("127.0.0.1", hb_server_get_port (hb_server_window_get_server (win)), name);

  hb_client_connect (client);
  return client;
}

static guint64
pings_received (HbClient *client)
{
  guint64 n = 0;

  g_object_get (client, "pings-received", &n, NULL);
  return n;
}

static gboolean
answered (HbServer *server)
{
  g_autoptr(HbConnection) conn = g_list_model_get_item (hb_server_get_connections (server), 0);

  return conn != NULL && hb_connection_get_rtt_last (conn) >= 0;
}

static void
free_client (HbClient *client)
{
  hb_client_disconnect (client);
  g_object_unref (client);
}

/* Every label of the list fed by an HbCellText. */
static void
collect_cell_labels (GtkWidget *widget,
                     GPtrArray *out)
{
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      if (GTK_IS_LABEL (c) && hb_cell_text_get (GTK_LABEL (c)) != NULL)
        g_ptr_array_add (out, c);
      collect_cell_labels (c, out);
    }
}

static GPtrArray *
cell_labels (HbServerWindow *win)
{
  GPtrArray *labels = g_ptr_array_new ();

  collect_cell_labels (GTK_WIDGET (child (win, "column_view")), labels);
  return labels;
}

/* Counts the label's settings, and fails on one that changed nothing. */
static void
on_label_set (GtkLabel   *label,
              GParamSpec *pspec,
              guint      *sets)
{
  const char *before = g_object_get_data (G_OBJECT (label), "test-text");

  g_assert_cmpstr (gtk_label_get_label (label), !=, before);
  g_object_set_data_full (G_OBJECT (label), "test-text", g_strdup (gtk_label_get_label (label)), g_free);
  (*sets)++;
}

/* A heartbeat every 300 ms keeps "PING Sent" at "0 s ago", the ID and the
 * address never change: a label is set when its text changes, never to
 * the same text again (GTK 4.8 lays it out and draws a frame each time). */
static void
test_unchanged_not_set (void)
{
  HbServerWindow *win = open_window ();
  HbServer *server = hb_server_window_get_server (win);
  HbClient *client = connect_client (win, "alice");
  g_autoptr(GPtrArray) labels = NULL;
  guint sets = 0;
  guint64 heartbeats;

  hb_assert_eventually (hb_server_get_n_clients (server) == 1);
  /* Answered heartbeats: the RTT cell says so. */
  hb_assert_eventually (answered (server));
  labels = cell_labels (win);
  g_assert_cmpuint (labels->len, >, 0);
  for (guint i = 0; i < labels->len; i++)
    {
      GObject *label = g_ptr_array_index (labels, i);

      g_object_set_data_full (label, "test-text", g_strdup (gtk_label_get_label (GTK_LABEL (label))), g_free);
      g_signal_connect (label, "notify::label", G_CALLBACK (on_label_set), &sets);
    }
  heartbeats = pings_received (client);
  /* Several heartbeats and two ticks of the clock. */
  hb_assert_eventually (pings_received (client) >= heartbeats + 8);
  /* Some did change (bytes, RTT, "N s ago"); each setting was a change
   * (on_label_set() checks). */
  g_assert_cmpuint (sets, >, 0);
  for (guint i = 0; i < labels->len; i++)
    g_signal_handlers_disconnect_by_func (g_ptr_array_index (labels, i), on_label_set, &sets);

  free_client (client);
  close_window (win);
}

static gboolean
in_sight (GtkWidget *label)
{
  return hb_widget_in_sight (label, GTK_TYPE_LIST_VIEW);
}

/* Labels in sight showing what they should, and how many held back. */
static gboolean
all_in_sight_shown (HbServerWindow *win,
                    guint          *n_in_sight,
                    guint          *n_stale)
{
  g_autoptr(GPtrArray) labels = cell_labels (win);
  gboolean ok = TRUE;

  *n_in_sight = *n_stale = 0;
  for (guint i = 0; i < labels->len; i++)
    {
      GtkWidget *label = g_ptr_array_index (labels, i);
      HbCellText *text = hb_cell_text_get (GTK_LABEL (label));
      g_autofree char *want = NULL;

      g_object_get (text, "text", &want, NULL);
      if (in_sight (label))
        {
          (*n_in_sight)++;
          ok = ok && !hb_cell_text_get_stale (text) &&
               g_strcmp0 (gtk_label_get_label (GTK_LABEL (label)), want ? want : "") == 0;
        }
      else if (hb_cell_text_get_stale (text))
        (*n_stale)++;
    }
  return ok;
}

/* Rows out of sight keep their old texts; scrolled into sight, they show
 * the new ones at once (within a frame), not at the next change. */
static void
test_out_of_sight_held_back (void)
{
  HbServerWindow *win = open_window ();
  HbServer *server = hb_server_window_get_server (win);
  GtkScrolledWindow *sw;
  GtkAdjustment *adj;
  g_autoptr(GPtrArray) clients = g_ptr_array_new_with_free_func ((GDestroyNotify) free_client);
  guint n_in_sight = 0, n_stale = 0;

  for (guint i = 0; i < 60; i++)
    {
      g_autofree char *name = g_strdup_printf ("s%02u", i);

      g_ptr_array_add (clients, connect_client (win, name));
    }
  hb_assert_eventually (hb_server_get_n_clients (server) == 60);
  sw = GTK_SCROLLED_WINDOW (gtk_widget_get_ancestor (GTK_WIDGET (child (win, "column_view")), GTK_TYPE_SCROLLED_WINDOW));
  adj = gtk_scrolled_window_get_vadjustment (sw);
  /* The list is longer than its viewport. */
  hb_assert_eventually (gtk_adjustment_get_upper (adj) > 2 * gtk_adjustment_get_page_size (adj));
  /* Heartbeats change the texts of rows out of sight too: held back. */
  hb_assert_eventually (all_in_sight_shown (win, &n_in_sight, &n_stale) && n_in_sight > 0 && n_stale > 0);

  /* Scrolled to the end: what comes into sight shows its latest texts. */
  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj));
  hb_assert_eventually (all_in_sight_shown (win, &n_in_sight, &n_stale) && n_in_sight > 0 &&
                        gtk_adjustment_get_value (adj) > 0);

  g_ptr_array_set_size (clients, 0);
  close_window (win);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  hb_test_fatal_warnings_except_known ();

  g_test_add_func ("/gui/server-columns/unchanged-not-set", test_unchanged_not_set);
  g_test_add_func ("/gui/server-columns/out-of-sight-held-back", test_out_of_sight_held_back);

  return g_test_run ();
}
