/* test-server-window.c - the server console in a real window: what a user sees and does
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>

#include <gtk/gtk.h>

#include "heartbeat-lab.h"
#include "hb-log-entry.h"
#include "hb-log-view.h"
#include "hb-client-window.h"
#include "hb-server-settings.h"
#include "hb-server-window.h"
#include "hb-timeline-window.h"
#include "hb-test-gui.h"
#include "hb-test-util.h"

#define child(win, name) hb_test_child ((win), HB_TYPE_SERVER_WINDOW, (name))
/* A field of the window's server settings (HbServerSettings). */
#define form(win, name) hb_test_child (child ((win), "server_settings"), HB_TYPE_SERVER_SETTINGS, (name))


typedef struct
{
  HbClient *client;
  GPtrArray *messages;
  HbByeReason reason;
  gboolean disconnected;
  gboolean welcomed;
  guint    id;
} Student;

static void
on_message (HbClient *client, HbVerb kind, const char *sender, const char *text, Student *s)
{
  g_ptr_array_add (s->messages, g_strdup_printf ("%s %s", hb_verb_to_string (kind), text));
}

static void
on_disconnected (HbClient *client, HbByeReason reason, HbInitiator initiator, const char *detail, Student *s)
{
  s->reason = reason;
  s->disconnected = TRUE;
}

static void
on_welcome (HbClient *client, guint id, guint interval, guint timeout, Student *s)
{
  s->id = id;
  s->welcomed = TRUE;
}

static guint64
pings_received (Student *s)
{
  guint64 n;

  g_object_get (s->client, "pings-received", &n, NULL);
  return n;
}

/* A barrier: the server beats @s now, and @s reads that PING. The server
 * writes to a client in order, so by then @s has read all the server had
 * queued for it before: an exact "nothing else came". The PING goes only
 * to a client still there, not kicked. */
static void
student_sync (HbServer *server,
              Student  *s)
{
  guint64 pings = pings_received (s);

  g_assert_true (hb_server_beat_now (server, s->id, NULL));
  hb_assert_eventually (pings_received (s) > pings);
}

static Student *
student_new (guint       port,
             const char *name)
{
  Student *s = g_new0 (Student, 1);

  s->client = hb_client_new ("127.0.0.1", port, name);
  s->messages = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (s->client, "message", G_CALLBACK (on_message), s);
  g_signal_connect (s->client, "disconnected", G_CALLBACK (on_disconnected), s);
  g_signal_connect (s->client, "welcome", G_CALLBACK (on_welcome), s);
  hb_client_connect (s->client);
  hb_assert_eventually (s->welcomed);
  return s;
}

static void
student_free (Student *s)
{
  g_signal_handlers_disconnect_by_data (s->client, s);
  g_assert_finalize_object (s->client);
  g_ptr_array_unref (s->messages);
  g_free (s);
}

/* The test's clients answer on the window's own loop: the timeout is
 * loose enough that only the client told to stop goes late. */
#define open_window() hb_test_server_window_open (2000)

/* Quitting says goodbye: every client of every window reads BYE shutdown,
 * then end of stream — never a reset — though the windows are gone. */
static void
test_quit_says_bye (void)
{
  HbServerWindow *win = open_window ();
  HbServer *server = hb_server_window_get_server (win);
  HbTestPeer *peers[200];

  g_assert_true (hb_server_window_start (win));
  for (guint i = 0; i < G_N_ELEMENTS (peers); i++)
    peers[i] = hb_test_peer_new ("127.0.0.1", hb_server_get_port (server));
  hb_assert_eventually (hb_server_get_n_clients (server) == G_N_ELEMENTS (peers));
  for (guint i = 0; i < G_N_ELEMENTS (peers); i++)
    g_assert_true (g_str_has_prefix (hb_test_peer_wait_line (peers[i]), "WELCOME "));

  hb_test_server_window_close (win);
  for (guint i = 0; i < G_N_ELEMENTS (peers); i++)
    {
      g_assert_cmpstr (hb_test_peer_wait_non_ping (peers[i]), ==, "BYE shutdown");
      hb_test_peer_wait_eof (peers[i]);
      g_assert_false (peers[i]->reset);
      hb_test_peer_free (peers[i]);
    }
}

static gboolean
log_has (HbServerWindow *win,
         const char     *needle)
{
  GListModel *log = hb_server_window_get_log (win);

  for (guint i = 0; i < g_list_model_get_n_items (log); i++)
    {
      g_autoptr(HbLogEntry) entry = g_list_model_get_item (log, i);

      if (strstr (hb_log_entry_get_text (entry), needle) != NULL)
        return TRUE;
    }
  return FALSE;
}

/* The label that shows @text in the client list, or NULL. */
static GtkWidget *
find_label (GtkWidget  *widget,
            const char *text)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget) &&
      g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0)
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_label (c, text);

      if (found)
        return found;
    }
  return NULL;
}

static const char *
client_verdict (HbClientWindow *client)
{
  return gtk_label_get_text (GTK_LABEL (hb_test_child (client, HB_TYPE_CLIENT_WINDOW, "deadline_label")));
}

/* The client window's "Server's verdict" and the server's row say the
 * same at each state; the server logs alive → late → dead, and keeps
 * the dead client's row a while, greyed, saying why. */
static void
test_verdicts_agree (void)
{
  HbServerWindow *win = open_window ();
  HbServer *server = hb_server_window_get_server (win);
  GListModel *rows = G_LIST_MODEL (gtk_column_view_get_model (child (win, "column_view")));
  HbClientWindow *client;
  HbConnection *conn;
  HbClient *hb;

  g_assert_true (hb_server_window_start (win));
  client = hb_client_window_new (NULL);
  hb_client_window_set_target (client, "127.0.0.1", hb_server_get_port (server), "frank");
  gtk_window_present (GTK_WINDOW (client));
  gtk_widget_activate_action (GTK_WIDGET (client), "win.toggle-connection", NULL);
  hb = hb_client_window_get_client (client);
  hb_assert_eventually (hb_server_get_n_clients (server) == 1);
  conn = g_object_ref (hb_server_lookup (server, 1));

  hb_assert_eventually (hb_connection_get_pongs_received (conn) >= 2);
  hb_assert_eventually (hb_test_server_list_shows (win, "|alive|", 1) && g_str_has_prefix (client_verdict (client), "alive"));
  g_assert_true (hb_test_server_list_shows (win, "|0|", 1));  /* Missed */

  gtk_switch_set_active (GTK_SWITCH (hb_test_child (client, HB_TYPE_CLIENT_WINDOW, "answer_switch")), FALSE);

  /* Late: both say so, while the server still thinks it (300 ms beats,
   * 2 s timeout: late for 1.7 s). */
  hb_assert_eventually (hb_test_server_list_shows (win, "|late|", 1));
  hb_assert_eventually (g_str_has_prefix (client_verdict (client), "late"));
  g_assert_cmpint (hb_connection_get_liveness (conn), ==, HB_LIVENESS_LATE);
  hb_assert_eventually (log_has (win, "late: no answer within the interval"));

  /* Dead: the row stays, greyed, saying why; the log says it. */
  hb_assert_eventually (hb_test_server_list_shows (win, "|dead · timed out|", 1));
  g_assert_false (gtk_widget_is_sensitive (find_label (GTK_WIDGET (child (win, "column_view")), "frank")));
  hb_assert_eventually (log_has (win, "dead: no answer within the timeout"));
  hb_assert_eventually (log_has (win, "left: no heartbeat answer within the timeout"));
  hb_assert_eventually (hb_client_get_state (hb) == HB_CLIENT_DISCONNECTED);
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (hb_test_child (client, HB_TYPE_CLIENT_WINDOW, "state_label"))),
                            "no heartbeat answer"));
  g_assert_cmpuint (hb_server_get_n_clients (server), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 1);
  /* Selected, it takes no message and no kick. */
  gtk_selection_model_select_item (GTK_SELECTION_MODEL (rows), 0, TRUE);
  g_assert_false (gtk_widget_is_sensitive (GTK_WIDGET (child (win, "kick_button"))));

  /* A few seconds later it goes. */
  hb_assert_eventually (g_list_model_get_n_items (rows) == 0);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (child (win, "list_stack")), ==, "empty");

  g_object_unref (conn);
  gtk_window_destroy (GTK_WINDOW (client));
  hb_test_server_window_close (win);
}

static guint
position_of (GListModel *model,
             const char *name)
{
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(HbConnection) conn = g_list_model_get_item (model, i);

      if (g_strcmp0 (hb_connection_get_name (conn), name) == 0)
        return i;
    }
  g_assert_not_reached ();
}

static void
test_classroom (void)
{
  HbServerWindow *win = open_window ();
  HbServer *server = hb_server_window_get_server (win);
  GtkColumnView *view = child (win, "column_view");
  GListModel *rows = G_LIST_MODEL (gtk_column_view_get_model (view));
  g_autofree char *where = NULL;
  g_autofree char *nc = NULL;
  Student *alice, *bob, *carol;

  /* Empty state before anything happens. */
  g_assert_cmpstr (gtk_stack_get_visible_child_name (child (win, "list_stack")), ==, "empty");

  gtk_widget_activate_action (GTK_WIDGET (win), "win.toggle-listening", NULL);
  g_assert_true (hb_server_get_listening (server));
  where = g_strdup_printf ("Listening on 127.0.0.1:%u", hb_server_get_port (server));
  g_assert_true (g_str_has_prefix (gtk_label_get_text (child (win, "status_label")), where));
  nc = g_strdup_printf ("nc 127.0.0.1 %u", hb_server_get_port (server));
  g_assert_nonnull (strstr (gtk_label_get_text (child (win, "empty_hint")), nc));

  alice = student_new (hb_server_get_port (server), "alice");
  bob = student_new (hb_server_get_port (server), "bob");
  carol = student_new (hb_server_get_port (server), "carol");

  /* Rows appear, alive, with a heartbeat round trip. */
  hb_assert_eventually (g_list_model_get_n_items (rows) == 3);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (child (win, "list_stack")), ==, "list");
  hb_assert_eventually (hb_test_server_list_shows (win, "|alice|", 1) && hb_test_server_list_shows (win, "|bob|", 1) &&
                        hb_test_server_list_shows (win, "|carol|", 1));
  hb_assert_eventually (hb_test_server_list_shows (win, "|alive|", 3));
  hb_assert_eventually (hb_test_server_list_shows (win, " ms (avg ", 3));
  /* The heartbeat columns are the protocol's PING and PONG, not TCP's ACK. */
  g_assert_true (hb_test_server_list_shows (win, "|PING Sent|PONG Received|", 1));
  g_assert_true (g_str_has_prefix (gtk_label_get_text (child (win, "status_label")), where));
  g_assert_nonnull (strstr (gtk_label_get_text (child (win, "status_label")), "3 clients"));

  /* Broadcast from the entry with Enter. */
  gtk_editable_set_text (child (win, "broadcast_entry"), "hello class 你好");
  /* What Enter in the entry does. */
  g_signal_emit_by_name (child (win, "broadcast_entry"), "activate");
  hb_assert_eventually (alice->messages->len == 1 && bob->messages->len == 1 && carol->messages->len == 1);
  g_assert_cmpstr (g_ptr_array_index (alice->messages, 0), ==, "BCAST hello class 你好");
  g_assert_cmpstr (g_ptr_array_index (carol->messages, 0), ==, "BCAST hello class 你好");
  g_assert_cmpstr (gtk_editable_get_text (child (win, "broadcast_entry")), ==, "");

  /* Send to one selected client only. */
  gtk_selection_model_select_item (GTK_SELECTION_MODEL (rows), position_of (rows, "alice"), TRUE);
  gtk_editable_set_text (child (win, "broadcast_entry"), "just alice");
  gtk_widget_activate_action (GTK_WIDGET (win), "win.send-selected", NULL);
  hb_assert_eventually (alice->messages->len == 2);
  g_assert_cmpstr (g_ptr_array_index (alice->messages, 1), ==, "MSG just alice");
  student_sync (hb_server_window_get_server (win), bob);
  g_assert_cmpuint (bob->messages->len, ==, 1);

  /* Carol stops answering: her row turns late, then she is gone. */
  g_object_set (carol->client, "answer-pings", FALSE, NULL);
  hb_assert_eventually (hb_test_server_list_shows (win, "|late|", 1));
  hb_assert_eventually (carol->disconnected);
  g_assert_cmpint (carol->reason, ==, HB_BYE_TIMEOUT);
  hb_assert_eventually (hb_test_server_list_shows (win, "|dead · timed out|", 1));
  g_assert_true (hb_test_server_list_shows (win, "|carol|", 1));

  /* Kick bob through his selected row. */
  gtk_selection_model_select_item (GTK_SELECTION_MODEL (rows), position_of (rows, "bob"), TRUE);
  gtk_widget_activate_action (GTK_WIDGET (win), "win.kick-selected", NULL);
  hb_assert_eventually (bob->disconnected);
  g_assert_cmpint (bob->reason, ==, HB_BYE_KICKED);
  hb_assert_eventually (hb_test_server_list_shows (win, "|gone · kicked|", 1));
  /* The departed rows go a few seconds later; alice stays. */
  hb_assert_eventually (g_list_model_get_n_items (rows) == 1);
  hb_assert_eventually (hb_test_server_list_shows (win, "|bob|", 0) && hb_test_server_list_shows (win, "|carol|", 0) &&
                        hb_test_server_list_shows (win, "|alice|", 1));

  /* Closing the window says goodbye to alice too. */
  hb_test_server_window_close (win);
  hb_assert_eventually (alice->disconnected);
  g_assert_cmpint (alice->reason, ==, HB_BYE_SHUTDOWN);

  student_free (alice);
  student_free (bob);
  student_free (carol);
}

static void
test_port_in_use (void)
{
  g_autoptr(HbServer) other = g_object_new (HB_TYPE_SERVER, "port", 0, NULL);
  HbServerWindow *win;
  GtkRevealer *error_bar;
  const char *message;

  g_assert_true (hb_server_start (other, NULL));
  win = open_window ();
  error_bar = child (win, "error_revealer");
  gtk_spin_button_set_value (form (win, "port_spin"), hb_server_get_port (other));
  gtk_widget_activate_action (GTK_WIDGET (win), "win.toggle-listening", NULL);

  g_assert_false (hb_server_get_listening (hb_server_window_get_server (win)));
  g_assert_true (gtk_revealer_get_reveal_child (error_bar));
  message = gtk_label_get_text (child (win, "error_label"));
  g_assert_nonnull (strstr (message, "already in use"));
  g_assert_nonnull (strstr (message, "Choose another port"));
  g_assert_true (g_str_has_prefix (gtk_label_get_text (child (win, "status_label")), "Not listening"));

  /* The user fixes the port and tries again. */
  gtk_spin_button_set_value (form (win, "port_spin"), 0);
  gtk_widget_activate_action (GTK_WIDGET (win), "win.toggle-listening", NULL);
  g_assert_true (hb_server_get_listening (hb_server_window_get_server (win)));
  g_assert_false (gtk_revealer_get_reveal_child (error_bar));

  hb_test_server_window_close (win);
  hb_server_stop (other);
}

static void
test_log_search_and_export (void)
{
  HbServerWindow *win = open_window ();
  HbServer *server = hb_server_window_get_server (win);
  GListModel *log = hb_server_window_get_log (win);
  g_autofree char *dir = g_dir_make_tmp ("hb-log-XXXXXX", NULL);
  g_autofree char *csv_path = g_build_filename (dir, "log.csv", NULL);
  g_autofree char *json_path = g_build_filename (dir, "log.jsonl", NULL);
  g_autoptr(GFile) csv = g_file_new_for_path (csv_path);
  g_autoptr(GFile) json = g_file_new_for_path (json_path);
  g_autofree char *csv_text = NULL;
  g_autofree char *json_text = NULL;
  Student *dan;
  guint all;

  gtk_widget_activate_action (GTK_WIDGET (win), "win.toggle-listening", NULL);
  dan = student_new (hb_server_get_port (server), "dan");
  hb_client_send_message (dan->client, "a \"quoted\", comma");
  hb_client_send_message (dan->client, "second note");
  hb_assert_eventually (g_list_model_get_n_items (log) >= 5);  /* listening, join, name, 2 messages */
  all = g_list_model_get_n_items (log);

  gtk_editable_set_text (child (win, "log_search"), "second");
  hb_assert_eventually (g_list_model_get_n_items (log) == 1);
  gtk_editable_set_text (child (win, "log_search"), "");
  hb_assert_eventually (g_list_model_get_n_items (log) == all);

  g_assert_true (hb_log_export (log, csv, FALSE, NULL));
  g_assert_true (hb_log_export (log, json, TRUE, NULL));
  g_assert_true (g_file_get_contents (csv_path, &csv_text, NULL, NULL));
  g_assert_true (g_file_get_contents (json_path, &json_text, NULL, NULL));
  g_assert_true (g_str_has_prefix (csv_text, "time,kind,client,who,text\r\n"));
  g_assert_nonnull (strstr (csv_text, ",message,1,\"#1 dan\",\"a \"\"quoted\"\", comma\"\r\n"));
  g_assert_nonnull (strstr (json_text, "\"kind\":\"message\",\"client\":1,\"who\":\"#1 dan\",\"text\":\"a \\\"quoted\\\", comma\""));
  g_assert_cmpuint (hb_test_count (json_text, "\n"), ==, all);

  hb_test_server_window_close (win);
  student_free (dan);
  g_unlink (csv_path);
  g_unlink (json_path);
  g_rmdir (dir);
}

/* ---------------------------------------------------------------------- */
/* The log follows its newest line                                         */

static GtkAdjustment *
log_adjustment (HbServerWindow *win)
{
  GtkWidget *scroller = gtk_widget_get_first_child (GTK_WIDGET (child (win, "log_view")));

  g_assert_true (GTK_IS_SCROLLED_WINDOW (scroller));
  return gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller));
}

/* The view is scrolled as far down as it goes, and has somewhere to go. */
static gboolean
log_at_end (HbServerWindow *win)
{
  GtkAdjustment *adj = log_adjustment (win);
  double end = gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj);

  return end > 0 && G_APPROX_VALUE (gtk_adjustment_get_value (adj), end, 0.5);
}

/* A row showing @text lies wholly inside the log's visible area. The list
 * makes rows above and below the viewport too, so being mapped is not enough. */
static gboolean
log_row_in_view (HbServerWindow *win,
                 const char     *text)
{
  GtkWidget *scroller = gtk_widget_get_first_child (GTK_WIDGET (child (win, "log_view")));
  GtkWidget *label = find_label (scroller, text);
  graphene_rect_t bounds;

  if (label == NULL || !gtk_widget_compute_bounds (label, scroller, &bounds))
    return FALSE;
  return bounds.origin.y >= 0 &&
         bounds.origin.y + bounds.size.height <= gtk_widget_get_height (scroller) + 0.5;
}

static void
append_lines (HbServerWindow *win,
              const char     *prefix,
              guint           first,
              guint           n)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = first; i < first + n; i++)
    {
      /* Some rows wrap: their height is known only once they are laid out.
       * (Not the last of a batch: the tests look for its text.) */
      g_autofree char *text = i % 7 == 3 ?
        g_strdup_printf ("%s %u %s", prefix, i,
                         "a long line that wraps in the log because it goes on and on, "
                         "about heartbeats, timeouts, round trips and the four-way teardown, "
                         "until no window is wide enough to show it on one row") :
        g_strdup_printf ("%s %u", prefix, i);

      g_ptr_array_add (batch, hb_log_entry_new (HB_LOG_INFO, 0, NULL, text));
    }
  hb_log_view_append_many (child (win, "log_view"), (HbLogEntry **) batch->pdata, batch->len);
}

/* The user drags the scroll bar to the top. Rows above the view are laid
 * out only once they come into view, with other heights than the list
 * guessed, so it may take a frame or two to get there. */
static gboolean
scroll_to_top (GtkAdjustment *adj)
{
  gtk_adjustment_set_value (adj, 0);
  return gtk_adjustment_get_value (adj) == 0;
}

/* nc answering its heartbeats as a person would, so that it stays alive. */
static void
answer_pings (HbTestPeer *peer)
{
  for (; peer->next < peer->lines->len; peer->next++)
    {
      const char *line = g_ptr_array_index (peer->lines, peer->next);

      if (g_str_has_prefix (line, "PING "))
        {
          g_autofree char *pong = g_strdup_printf ("PONG %s\n", line + 5);

          hb_test_peer_send (peer, pong, -1);
        }
    }
}

static void
test_log_follows (void)
{
  HbServerWindow *win = open_window ();
  HbServer *server = hb_server_window_get_server (win);
  GtkAdjustment *adj = log_adjustment (win);
  g_autoptr(HbTestPeer) peer = NULL;
  double upper, top;

  /* Batches as the window flushes them, some before a frame, some after. */
  for (guint i = 0; i < 40; i++)
    {
      append_lines (win, "line", i * 10, 10);
      if (i % 3 == 0)
        g_main_context_iteration (NULL, FALSE);
    }
  hb_assert_eventually (log_at_end (win) && log_row_in_view (win, "line 399"));

  /* What nc shows in the log as it is typed, a line at a time. */
  gtk_widget_activate_action (GTK_WIDGET (win), "win.toggle-listening", NULL);
  peer = hb_test_peer_new ("127.0.0.1", hb_server_get_port (server));
  g_assert_true (g_str_has_prefix (hb_test_peer_wait_line (peer), "WELCOME "));
  for (guint i = 0; i < 30; i++)
    {
      g_autofree char *line = g_strdup_printf ("MSG typed %u\n", i);
      g_autofree char *shown = g_strdup_printf ("typed %u", i);

      answer_pings (peer);
      hb_test_peer_send (peer, line, -1);
      hb_assert_eventually (log_row_in_view (win, shown));
    }
  hb_assert_eventually (log_at_end (win));
  hb_test_peer_free (g_steal_pointer (&peer));

  /* The user scrolls up to read: the log stays where it is. */
  hb_assert_eventually (scroll_to_top (adj) && log_row_in_view (win, "line 0"));
  top = gtk_adjustment_get_value (adj);
  upper = gtk_adjustment_get_upper (adj);
  append_lines (win, "later", 0, 50);
  hb_assert_eventually (gtk_adjustment_get_upper (adj) > upper);
  /* More frames than the view follows new rows for (hb-log-view.c's
   * FOLLOW_MAX_FRAMES, 10). */
  hb_test_await_frames (child (win, "log_view"), 12);
  g_assert_cmpfloat (gtk_adjustment_get_value (adj), ==, top);
  g_assert_true (log_row_in_view (win, "line 0"));
  g_assert_false (log_row_in_view (win, "later 49"));

  /* Back at the bottom, it follows again. */
  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj));
  hb_assert_eventually (log_at_end (win) && log_row_in_view (win, "later 49"));
  append_lines (win, "again", 0, 26);
  hb_assert_eventually (log_at_end (win) && log_row_in_view (win, "again 25"));

  hb_test_server_window_close (win);
}

/* A 1 KiB line without a space (a peer may send one): the row shows its
 * start and says how much more there is; the tooltip and a search have it
 * whole. Wrapping all of it at every character took seconds of the loop
 * that also serves the clients. */
static void
test_log_long_line (void)
{
  HbServerWindow *win = open_window ();
  HbServer *server = hb_server_window_get_server (win);
  g_autoptr(HbTestPeer) peer = NULL;
  g_autofree char *word = g_strnfill (1000, 'x');
  g_autofree char *line = g_strdup_printf ("MSG %s\n", word);
  g_autofree char *start = g_strnfill (300, 'x');
  g_autofree char *shown = g_strdup_printf ("%s… (700 more characters)", start);
  GtkWidget *label;
  g_autofree char *tooltip = NULL;

  gtk_widget_activate_action (GTK_WIDGET (win), "win.toggle-listening", NULL);
  peer = hb_test_peer_new ("127.0.0.1", hb_server_get_port (server));
  g_assert_true (g_str_has_prefix (hb_test_peer_wait_line (peer), "WELCOME "));
  hb_test_peer_send (peer, line, -1);
  hb_assert_eventually (log_row_in_view (win, shown));
  label = find_label (GTK_WIDGET (child (win, "log_view")), shown);
  tooltip = g_strdup (gtk_widget_get_tooltip_text (label));
  g_assert_cmpstr (tooltip, ==, word);

  hb_test_peer_free (g_steal_pointer (&peer));
  hb_test_server_window_close (win);
}

/* ---------------------------------------------------------------------- */
/* What needs a selected client waits for one                              */

static gboolean
sensitive (HbServerWindow *win,
           const char     *name)
{
  return gtk_widget_is_sensitive (GTK_WIDGET (child (win, name)));
}

static void
test_selection_actions (void)
{
  HbServerWindow *win = open_window ();
  HbServer *server = hb_server_window_get_server (win);
  GListModel *rows = G_LIST_MODEL (gtk_column_view_get_model (child (win, "column_view")));
  GtkSelectionModel *selection = GTK_SELECTION_MODEL (rows);
  HbTimelineWindow *timeline;
  Student *alice, *bob;

  /* Nothing to select yet. */
  g_assert_false (sensitive (win, "send_selected_button"));
  g_assert_false (sensitive (win, "kick_button"));
  g_assert_false (sensitive (win, "timeline_button"));

  gtk_widget_activate_action (GTK_WIDGET (win), "win.toggle-listening", NULL);
  alice = student_new (hb_server_get_port (server), "alice");
  bob = student_new (hb_server_get_port (server), "bob");
  hb_assert_eventually (g_list_model_get_n_items (rows) == 2);

  /* Clients, none selected: still nothing to act on, and the shortcuts
   * (Ctrl+Return, Delete, Ctrl+T run the same actions) do nothing. */
  g_assert_false (sensitive (win, "send_selected_button"));
  g_assert_false (sensitive (win, "kick_button"));
  g_assert_false (sensitive (win, "timeline_button"));
  gtk_editable_set_text (child (win, "broadcast_entry"), "to nobody");
  gtk_widget_activate_action (GTK_WIDGET (win), "win.send-selected", NULL);
  gtk_widget_activate_action (GTK_WIDGET (win), "win.kick-selected", NULL);
  gtk_widget_activate_action (GTK_WIDGET (win), "win.show-timeline", NULL);
  student_sync (server, alice);
  student_sync (server, bob);
  g_assert_cmpuint (alice->messages->len, ==, 0);
  g_assert_cmpuint (bob->messages->len, ==, 0);
  g_assert_false (alice->disconnected || bob->disconnected);
  g_assert_false (gtk_revealer_get_reveal_child (child (win, "error_revealer")));
  g_assert_null (hb_test_find_window (HB_TYPE_TIMELINE_WINDOW));
  g_assert_cmpstr (gtk_editable_get_text (child (win, "broadcast_entry")), ==, "to nobody");

  /* A selected client: every one of them is there. */
  gtk_selection_model_select_item (selection, position_of (rows, "alice"), TRUE);
  g_assert_true (sensitive (win, "send_selected_button"));
  g_assert_true (sensitive (win, "kick_button"));
  g_assert_true (sensitive (win, "timeline_button"));
  g_signal_emit_by_name (child (win, "send_selected_button"), "clicked");
  hb_assert_eventually (alice->messages->len == 1);
  g_assert_cmpstr (g_ptr_array_index (alice->messages, 0), ==, "MSG to nobody");
  g_signal_emit_by_name (child (win, "timeline_button"), "clicked");
  timeline = hb_test_find_window (HB_TYPE_TIMELINE_WINDOW);
  g_assert_nonnull (timeline);
  gtk_window_destroy (GTK_WINDOW (timeline));

  /* Unselected again: gone again. */
  gtk_selection_model_unselect_all (selection);
  g_assert_false (sensitive (win, "send_selected_button"));
  g_assert_false (sensitive (win, "kick_button"));
  g_assert_false (sensitive (win, "timeline_button"));

  /* Kicking the only selected client leaves nothing selected. */
  gtk_selection_model_select_item (selection, position_of (rows, "bob"), TRUE);
  g_assert_true (sensitive (win, "kick_button"));
  g_signal_emit_by_name (child (win, "kick_button"), "clicked");
  hb_assert_eventually (bob->disconnected);
  g_assert_cmpint (bob->reason, ==, HB_BYE_KICKED);
  hb_assert_eventually (g_list_model_get_n_items (rows) == 1);
  g_assert_false (sensitive (win, "send_selected_button"));
  g_assert_false (sensitive (win, "kick_button"));
  g_assert_false (sensitive (win, "timeline_button"));
  g_assert_false (alice->disconnected);

  hb_test_server_window_close (win);
  student_free (alice);
  student_free (bob);
}

/* ---------------------------------------------------------------------- */
/* A timeout no longer than the interval                                   */

static void
test_heartbeat_timeout (void)
{
  HbServerWindow *win = open_window ();
  HbServer *server = hb_server_window_get_server (win);
  GtkWidget *warning = form (win, "timeout_warning");
  GtkWidget *timeout = form (win, "timeout_spin");
  const char *message;

  /* 300 ms and 2000 ms: fine. */
  g_assert_false (gtk_widget_get_visible (warning));
  g_assert_false (gtk_widget_has_css_class (timeout, "error"));

  /* What the tester typed into Heartbeat…: flagged at once. */
  gtk_spin_button_set_value (form (win, "interval_spin"), 3000);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (timeout), 2000);
  g_assert_true (gtk_widget_get_visible (warning));
  g_assert_true (gtk_widget_has_css_class (timeout, "error"));
  g_assert_nonnull (strstr (gtk_label_get_text (form (win, "timeout_warning_label")), "longer than the interval"));

  /* And the server does not start with it, saying why and what to do. */
  gtk_widget_activate_action (GTK_WIDGET (win), "win.toggle-listening", NULL);
  g_assert_false (hb_server_get_listening (server));
  g_assert_true (gtk_revealer_get_reveal_child (child (win, "error_revealer")));
  message = gtk_label_get_text (child (win, "error_label"));
  g_assert_nonnull (strstr (message, "The timeout (2000 ms) must be longer than the heartbeat interval (3000 ms)"));
  g_assert_nonnull (strstr (message, "Heartbeat…"));

  /* Equal is no better: the answer comes after the deadline. */
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (timeout), 3000);
  g_assert_true (gtk_widget_get_visible (warning));
  g_assert_false (hb_server_window_start (win));

  /* Raised: the warning goes, and the server starts with these values. */
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (timeout), 9000);
  g_assert_false (gtk_widget_get_visible (warning));
  g_assert_false (gtk_widget_has_css_class (timeout, "error"));
  g_assert_true (hb_server_window_start (win));
  g_assert_false (gtk_revealer_get_reveal_child (child (win, "error_revealer")));
  g_assert_cmpuint (hb_server_get_interval_ms (server), ==, 3000);
  g_assert_cmpuint (hb_server_get_timeout_ms (server), ==, 9000);

  /* A lower interval clears it as well as a higher timeout does. */
  gtk_spin_button_set_value (form (win, "interval_spin"), 9000);
  g_assert_true (gtk_widget_get_visible (warning));
  gtk_spin_button_set_value (form (win, "interval_spin"), 1000);
  g_assert_false (gtk_widget_get_visible (warning));

  hb_test_server_window_close (win);
}

/* Two windows never share a field; what one starts with is saved for the
 * next; and a new interval reaches a listening server at once. */
static void
test_windows_keep_their_settings (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  HbServerWindow *a = open_window ();
  HbServerWindow *b = open_window ();
  HbServer *server_a = hb_server_window_get_server (a);
  g_autoptr(HbTestPeer) peer = NULL;

  gtk_spin_button_set_value (form (b, "port_spin"), 12077);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (form (a, "port_spin")), ==, 0);
  g_assert_cmpuint (g_settings_get_uint (settings, "port"), ==, 0);

  g_assert_true (hb_server_window_start (a));
  peer = hb_test_peer_new ("127.0.0.1", hb_server_get_port (server_a));
  g_assert_cmpstr (hb_test_peer_wait_line (peer), ==, "WELCOME 1 300 2000");
  gtk_spin_button_set_value (form (a, "timeout_spin"), 9000);
  gtk_spin_button_set_value (form (a, "interval_spin"), 3000);
  g_assert_cmpuint (hb_server_get_interval_ms (server_a), ==, 3000);
  g_assert_cmpuint (hb_server_get_timeout_ms (server_a), ==, 9000);
  /* The two changes reach the client in one WELCOME. */
  g_assert_cmpstr (hb_test_peer_wait_non_ping (peer), ==, "WELCOME 1 3000 9000");
  /* Window B's fields are its own. */
  g_assert_cmpint (gtk_spin_button_get_value_as_int (form (b, "interval_spin")), ==, 300);

  hb_test_server_window_close (b);
  hb_test_server_window_close (a);
  g_settings_reset (settings, "interval-ms");
  g_settings_reset (settings, "timeout-ms");
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  hb_test_fatal_warnings_except_known ();

  g_test_add_func ("/gui/server-window/classroom", test_classroom);
  g_test_add_func ("/gui/server-window/port-in-use", test_port_in_use);
  g_test_add_func ("/gui/server-window/log-search-and-export", test_log_search_and_export);
  g_test_add_func ("/gui/server-window/log-follows", test_log_follows);
  g_test_add_func ("/gui/server-window/log-long-line", test_log_long_line);
  g_test_add_func ("/gui/server-window/selection-actions", test_selection_actions);
  g_test_add_func ("/gui/server-window/heartbeat-timeout", test_heartbeat_timeout);
  g_test_add_func ("/gui/server-window/quit-says-bye", test_quit_says_bye);
  g_test_add_func ("/gui/server-window/verdicts-agree", test_verdicts_agree);
  g_test_add_func ("/gui/server-window/windows-keep-their-settings", test_windows_keep_their_settings);

  return g_test_run ();
}
