/* test-client-window-lab.c - the client window pointed at a student's server: the lab's protocol and raw TCP
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The server is tests/students/lab_server.py, written as the lab's students
 * write theirs, or a bare GSocketListener that sends exactly the bytes a
 * test needs (a heartbeat glued to a message, GB18030 text).
 */

#include "config.h"

#include <gtk/gtk.h>

#include "heartbeat-lab.h"
#include "hb-client-window.h"
#include "hb-client-lab-settings.h"
#include "hb-log-entry.h"
#include "hb-timeline-window.h"
#include "hb-test-gui.h"
#include "hb-test-util.h"

#define child(win, name) hb_test_child ((win), HB_TYPE_CLIENT_WINDOW, (name))
#define setting(win, name) hb_test_child (child ((win), "lab_settings"), HB_TYPE_CLIENT_LAB_SETTINGS, (name))

enum { LINE, LAB, RAW };

static guint
listening_port (HbTestProc *server)
{
  const char *line = hb_test_proc_wait_line (server, "listening ");

  return (guint) g_ascii_strtoull (line + strlen ("listening "), NULL, 10);
}

static const char *const protocol_checks[] = { "protocol_line_check", "protocol_lab_check", "protocol_raw_check" };

/* As a click on its choice in the protocol's popover. */
static void
choose_protocol (HbClientWindow *win,
                 guint           protocol)
{
  gtk_widget_activate (child (win, protocol_checks[protocol]));
  g_assert_true (gtk_check_button_get_active (child (win, protocol_checks[protocol])));
}

/* A window set up as a user would: the protocol chosen in the connect
 * row, the target typed. Not connected yet. */
static HbClientWindow *
open_window (guint protocol,
             guint port)
{
  HbClientWindow *win = hb_client_window_new (NULL);

  choose_protocol (win, protocol);
  hb_client_window_set_target (win, "127.0.0.1", port, NULL);
  gtk_window_present (GTK_WINDOW (win));
  return win;
}

static void
press_connect (HbClientWindow *win)
{
  gtk_widget_activate_action (GTK_WIDGET (win), "win.toggle-connection", NULL);
}

static void
close_window (HbClientWindow *win)
{
  HbClient *client = g_object_ref (hb_client_window_get_client (win));

  gtk_window_destroy (GTK_WINDOW (win));
  hb_assert_eventually (hb_client_get_state (client) == HB_CLIENT_DISCONNECTED);
  g_assert_finalize_object (client);
}

/* Every test starts from the schema's defaults. */
static void
reset_settings (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  const char *keys[] = { "client-protocol", "lab-heartbeat", "lab-ack", "lab-patterns-hex",
                         "line-ending", "encoding", "client-timeout-ms" };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    g_settings_reset (settings, keys[i]);
}

static const char *
label_text (HbClientWindow *win,
            const char     *name)
{
  return gtk_label_get_text (child (win, name));
}

/* The first entry of @kind in the conversation whose text contains
 * @text, or is @text if @exact; NULL if none. */
static HbLogEntry *
find_entry_where (HbClientWindow *win,
                  HbLogKind       kind,
                  const char     *text,
                  gboolean        exact)
{
  GListModel *model = hb_client_window_get_conversation (win);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(HbLogEntry) e = g_list_model_get_item (model, i);
      const char *t = hb_log_entry_get_text (e);

      if (hb_log_entry_get_kind (e) == kind && (exact ? g_strcmp0 (t, text) == 0 : strstr (t, text) != NULL))
        return e;  /* the model keeps it */
    }
  return NULL;
}

#define find_entry(win, kind, text) find_entry_where ((win), (kind), (text), FALSE)
#define find_exact(win, kind, text) find_entry_where ((win), (kind), (text), TRUE)

static guint
count_entries (HbClientWindow *win,
               HbLogKind       kind)
{
  GListModel *model = hb_client_window_get_conversation (win);
  guint n = 0;

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(HbLogEntry) e = g_list_model_get_item (model, i);

      n += hb_log_entry_get_kind (e) == kind;
    }
  return n;
}

static void
type_and_send (HbClientWindow *win,
               const char     *text)
{
  gtk_editable_set_text (child (win, "message_entry"), text);
  g_signal_emit_by_name (child (win, "message_entry"), "activate");
}

/* The drawn row of the conversation whose text label contains @needle
 * (the grid of time, who, text, byte count, Hex button, note, hex view),
 * or NULL. */
static GtkWidget *
drawn_row (GtkWidget  *widget,
           const char *needle)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_has_css_class (widget, "hb-who"))
    {
      GtkWidget *text = gtk_widget_get_next_sibling (widget);

      if (GTK_IS_LABEL (text) && strstr (gtk_label_get_text (GTK_LABEL (text)), needle) != NULL)
        return gtk_widget_get_parent (widget);
      return NULL;
    }
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *row = drawn_row (c, needle);

      if (row != NULL)
        return row;
    }
  return NULL;
}

static GtkWidget *
row_part (GtkWidget *row,
          guint      index)
{
  GtkWidget *w = gtk_widget_get_first_child (row);

  for (guint i = 0; i < index; i++)
    w = gtk_widget_get_next_sibling (w);
  return w;
}

enum { ROW_TIME, ROW_WHO, ROW_TEXT, ROW_BADGE, ROW_HEX_BUTTON, ROW_NOTE, ROW_HEX };

/* The tester's case: the client window pointed at the lab's own kind of
 * server. */
static void
test_student_server (void)
{
  g_autoptr(HbTestProc) server = hb_test_proc_student ("lab_server.py", "good", "0", "0.3", NULL);
  guint port = listening_port (server);
  HbClientWindow *win;
  HbClient *client;
  HbLogEntry *entry;
  g_autofree char *connected = NULL;
  GtkWidget *row;

  reset_settings ();
  win = open_window (LAB, port);
  client = hb_client_window_get_client (win);
  /* Less than the heartbeats this test waits for: silence would show. */
  gtk_spin_button_set_value (setting (win, "timeout_spin"), 1.5);

  /* Connected means connected: no WELCOME to wait for. */
  press_connect (win);
  hb_assert_eventually (hb_client_get_state (client) == HB_CLIENT_CONNECTED);
  connected = g_strdup_printf ("Connected to 127.0.0.1:%u (the lab's protocol)", port);
  g_assert_cmpstr (label_text (win, "state_label"), ==, connected);
  g_assert_false (gtk_widget_get_visible (child (win, "name_entry")));

  /* Heartbeats pulse, are counted and answered; the student's server,
   * which strips the answers, keeps the connection and prints none. */
  hb_assert_eventually (hb_test_client_window_uint64 (win, "pongs-sent") >= 8);
  {
    g_autofree char *count = g_strdup_printf ("%" G_GUINT64_FORMAT " heartbeats received, %" G_GUINT64_FORMAT " answered",
                                              hb_test_client_window_uint64 (win, "pings-received"), hb_test_client_window_uint64 (win, "pongs-sent"));

    g_assert_cmpstr (label_text (win, "count_label"), ==, count);
  }
  g_assert_cmpstr (label_text (win, "ping_caption"), ==, "heartbeat in");
  /* The hearts beat: red for each heartbeat in, blue for each answer out. */
  hb_assert_eventually (gtk_widget_has_css_class (child (win, "ping_pulse"), "beat-in"));
  hb_assert_eventually (gtk_widget_has_css_class (child (win, "pong_pulse"), "beat-out"));
  g_assert_cmpstr (label_text (win, "last_ping_label"), !=, "—");
  g_assert_cmpstr (label_text (win, "last_pong_label"), !=, "—");
  g_assert_nonnull (strstr (label_text (win, "terms_label"), "“heartbeat” answered with “heartbeat ack”, one every 0."));
  g_assert_false (hb_test_proc_has_line (server, "Received"));

  /* The verdict is what this window knows, not the server's: 2.4 s of
   * heartbeats outlasted the 1.5 s limit, and the server is not called
   * silent. */
  g_assert_cmpint (hb_client_get_state (client), ==, HB_CLIENT_CONNECTED);
  g_assert_cmpstr (label_text (win, "verdict_title"), ==, "Liveness");
  g_assert_true (g_str_has_prefix (label_text (win, "deadline_label"), "no heartbeat for "));
  g_assert_nonnull (strstr (label_text (win, "deadline_label"),
                            "this window declares the server dead after 1.5 s of silence"));
  g_assert_cmpuint (count_entries (win, HB_LOG_LEAVE), ==, 0);

  /* Every read is in the conversation, with its hex (two heartbeats may
   * come in one read when this loop was busy: that one is noted). */
  hb_assert_eventually ((entry = find_exact (win, HB_LOG_DATA, "heartbeat")) != NULL);
  g_assert_cmpstr (hb_log_entry_get_who (entry), ==, "← 9 bytes");
  {
    g_autofree char *hex = hb_log_entry_format_hex (entry);

    g_assert_cmpstr (hex, ==, "0000  68 65 61 72 74 62 65 61 74");
  }
  g_assert_null (hb_log_entry_get_note (entry));

  /* What is typed goes out as its bytes alone, as the server prints it. */
  type_and_send (win, "123");
  hb_test_proc_wait_line (server, ": 123");
  entry = find_entry (win, HB_LOG_OWN, "123");
  g_assert_nonnull (entry);
  g_assert_cmpstr (hb_log_entry_get_note (entry), ==, "3 bytes sent");
  g_assert_cmpstr (gtk_editable_get_text (child (win, "message_entry")), ==, "");

  /* The student's broadcast is the server's, and its read is shown. */
  hb_test_proc_write (server, "456\n");
  hb_assert_eventually (find_entry (win, HB_LOG_BROADCAST, "456") != NULL);
  g_assert_cmpstr (hb_log_entry_get_who (find_entry (win, HB_LOG_BROADCAST, "456")), ==, "server");
  g_assert_nonnull (find_entry (win, HB_LOG_DATA, "456"));

  /* Its hex view opens from its row. */
  hb_assert_eventually ((row = drawn_row (child (win, "conversation"), "456")) != NULL &&
                        gtk_widget_get_mapped (row_part (row, ROW_HEX_BUTTON)));
  g_assert_false (gtk_widget_get_visible (row_part (row, ROW_HEX)));
  gtk_widget_activate (row_part (row, ROW_HEX_BUTTON));
  hb_assert_eventually (gtk_widget_get_visible (row_part (row, ROW_HEX)));
  g_assert_true (hb_log_entry_get_hex_shown (find_exact (win, HB_LOG_DATA, "456")));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (row_part (row, ROW_HEX))), ==, "0000  34 35 36");

  /* The timeline draws this connection too. */
  gtk_widget_activate_action (GTK_WIDGET (win), "win.show-timeline", NULL);
  {
    GtkWindow *timeline = hb_test_find_window (HB_TYPE_TIMELINE_WINDOW);

    g_assert_nonnull (timeline);
    gtk_window_destroy (timeline);
  }

  /* Answering can still be switched off: heartbeats come, none answered. */
  gtk_switch_set_active (child (win, "answer_switch"), FALSE);
  {
    guint64 pongs = hb_test_client_window_uint64 (win, "pongs-sent");
    guint64 pings = hb_test_client_window_uint64 (win, "pings-received");

    hb_assert_eventually (hb_test_client_window_uint64 (win, "pings-received") >= pings + 2);
    g_assert_cmpuint (hb_test_client_window_uint64 (win, "pongs-sent"), ==, pongs);
  }

  /* Disconnecting is a FIN; the student's server closes its side. */
  press_connect (win);
  hb_assert_eventually (hb_client_get_state (client) == HB_CLIENT_DISCONNECTED);
  g_assert_cmpstr (label_text (win, "state_label"), ==, "Disconnected: you disconnected");

  close_window (win);
}

/* Reading switched off: silence proves nothing, and the window says so. */
static void
test_stop_reading (void)
{
  g_autoptr(HbTestProc) server = hb_test_proc_student ("lab_server.py", "good", "0", "0.3", NULL);
  guint port = listening_port (server);
  g_autoptr(HbTestPeer) witness = NULL;
  HbClientWindow *win;
  HbClient *client;
  guint64 pings, beats;

  reset_settings ();
  win = open_window (LAB, port);
  client = hb_client_window_get_client (win);
  press_connect (win);
  hb_assert_eventually (hb_test_client_window_uint64 (win, "pongs-sent") >= 1);

  gtk_switch_set_active (child (win, "reading_switch"), FALSE);
  g_assert_true (g_str_has_prefix (label_text (win, "deadline_label"), "not reading"));
  pings = hb_test_client_window_uint64 (win, "pings-received");
  /* Three heartbeats go by, counted by a second client of the same
   * server, which beats all its clients in one loop. */
  witness = hb_test_peer_new ("127.0.0.1", port);
  hb_assert_eventually (witness->bytes_in >= strlen ("heartbeat"));
  beats = witness->bytes_in;
  hb_assert_eventually (witness->bytes_in >= beats + 3 * strlen ("heartbeat"));
  g_assert_cmpuint (hb_test_client_window_uint64 (win, "pings-received"), <=, pings + 1);
  gtk_switch_set_active (child (win, "reading_switch"), TRUE);
  hb_assert_eventually (hb_test_client_window_uint64 (win, "pings-received") >= pings + 3);
  g_assert_true (g_str_has_prefix (label_text (win, "deadline_label"), "no heartbeat for "));

  /* Abort: an RST, and the window says so. */
  gtk_widget_activate_action (GTK_WIDGET (win), "win.abort", NULL);
  hb_assert_eventually (hb_client_get_state (client) == HB_CLIENT_DISCONNECTED);
  g_assert_nonnull (strstr (label_text (win, "state_label"), "RST"));

  /* Half-close: our FIN, and the student's server closes its side. */
  press_connect (win);
  hb_assert_eventually (hb_client_get_state (client) == HB_CLIENT_CONNECTED);
  gtk_widget_activate_action (GTK_WIDGET (win), "win.half-close", NULL);
  hb_assert_eventually (hb_client_get_state (client) == HB_CLIENT_DISCONNECTED);
  g_assert_nonnull (strstr (label_text (win, "state_label"), "half-closed; the server closed its side too"));

  close_window (win);
}

typedef struct
{
  GSocketListener   *listener;
  GSocketConnection *conn;
  guint              port;
} Listener;

static void
accepted_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Listener *l = user_data;

  l->conn = g_socket_listener_accept_finish (G_SOCKET_LISTENER (source), result, NULL, NULL);
  g_assert_nonnull (l->conn);
}

static void
listener_start (Listener *l)
{
  l->listener = g_socket_listener_new ();
  l->port = g_socket_listener_add_any_inet_port (l->listener, NULL, NULL);
  g_socket_listener_accept_async (l->listener, NULL, accepted_cb, l);
}

static void
listener_send (Listener   *l,
               const char *bytes)
{
  GSocket *sock = g_socket_connection_get_socket (l->conn);

  g_assert_cmpint (g_socket_send (sock, bytes, strlen (bytes), NULL, NULL), ==, (gssize) strlen (bytes));
}

/* Reads until @n bytes came. */
static char *
listener_read (Listener *l,
               gsize     n)
{
  GSocket *sock = g_socket_connection_get_socket (l->conn);
  GString *got = g_string_new (NULL);

  while (got->len < n)
    {
      char buf[256];
      gssize r;

      hb_assert_eventually (g_socket_condition_check (sock, G_IO_IN) & G_IO_IN);
      r = g_socket_receive_with_blocking (sock, buf, MIN (sizeof buf, n - got->len), FALSE, NULL, NULL);
      g_assert_cmpint (r, >, 0);
      g_string_append_len (got, buf, r);
    }
  return g_string_free (got, FALSE);
}

/* With the settings as they were first, a window of the lab's protocol
 * connected to a new listener @l, which has accepted it. */
static HbClientWindow *
open_connected (Listener *l)
{
  HbClientWindow *win;

  reset_settings ();
  listener_start (l);
  win = open_window (LAB, l->port);
  press_connect (win);
  hb_assert_eventually (l->conn != NULL &&
                        hb_client_get_state (hb_client_window_get_client (win)) == HB_CLIENT_CONNECTED);
  return win;
}

static void
listener_clear (Listener *l)
{
  g_clear_object (&l->conn);
  g_socket_listener_close (l->listener);
  g_clear_object (&l->listener);
}

/* The lab's classic bug, shown: a heartbeat glued to a broadcast in one
 * read is a heartbeat and a message, and this window answers it. */
static void
test_glued_and_split (void)
{
  Listener l = { 0 };
  HbClientWindow *win;
  HbLogEntry *entry;
  g_autofree char *ack = NULL;
  g_autofree char *ack2 = NULL;

  win = open_connected (&l);
  g_assert_cmpstr (label_text (win, "deadline_label"), !=, "—");
  g_assert_true (g_str_has_prefix (label_text (win, "deadline_label"), "no heartbeat yet"));

  listener_send (&l, "heartbeat456");
  hb_assert_eventually (find_entry (win, HB_LOG_BROADCAST, "456") != NULL);
  ack = listener_read (&l, 13);
  g_assert_cmpstr (ack, ==, "heartbeat ack");
  entry = find_entry (win, HB_LOG_DATA, "heartbeat456");
  g_assert_nonnull (entry);
  /* In the words the timeline uses for the same read. */
  g_assert_cmpstr (hb_log_entry_get_note (entry), ==,
                   "heartbeat + message (2 in one read) — TCP keeps no message boundaries (粘包); "
                   "this window answered the heartbeat");
  hb_assert_eventually (g_str_has_prefix (label_text (win, "count_label"), "1 heartbeat received, 1 answered"));
  /* The note is drawn under the read. */
  {
    GtkWidget *row = NULL;

    hb_assert_eventually ((row = drawn_row (child (win, "conversation"), "heartbeat456")) != NULL &&
                          gtk_widget_get_mapped (row_part (row, ROW_NOTE)));
    g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (row_part (row, ROW_NOTE))), "粘包"));
  }

  /* A heartbeat in two reads: the first held, the second completes it. */
  listener_send (&l, "heart");
  /* Read by the window before the rest is sent: two reads, not one. The
   * window waits 200 ms for the rest before "heart" counts as a message. */
  hb_assert_eventually (find_exact (win, HB_LOG_DATA, "heart") != NULL);
  listener_send (&l, "beat");
  g_assert_cmpstr (hb_log_entry_get_note (find_exact (win, HB_LOG_DATA, "heart")), ==,
                   "5 bytes (start of a heartbeat?) — TCP keeps no message boundaries (拆包)");
  ack2 = listener_read (&l, 13);
  g_assert_cmpstr (ack2, ==, "heartbeat ack");
  hb_assert_eventually (find_exact (win, HB_LOG_DATA, "beat") != NULL);
  entry = find_exact (win, HB_LOG_DATA, "beat");
  g_assert_nonnull (entry);
  g_assert_cmpstr (hb_log_entry_get_note (entry), ==,
                   "heartbeat (split across reads) — TCP keeps no message boundaries (拆包); "
                   "this window answered the heartbeat");

  /* Answers delayed on purpose: the note says when it goes. */
  gtk_spin_button_set_value (child (win, "delay_spin"), 300);
  listener_send (&l, "heartbeat789");
  hb_assert_eventually (find_exact (win, HB_LOG_DATA, "heartbeat789") != NULL);
  g_assert_true (g_str_has_suffix (hb_log_entry_get_note (find_exact (win, HB_LOG_DATA, "heartbeat789")),
                                   "this window answers it after 300 ms (the delay you set)"));
  {
    gint64 sent = g_get_monotonic_time ();
    g_autofree char *ack3 = listener_read (&l, 13);

    g_assert_cmpstr (ack3, ==, "heartbeat ack");
    g_assert_cmpint (g_get_monotonic_time () - sent, >=, 250 * 1000);
  }

  close_window (win);
  listener_clear (&l);
}

/* "The server went silent" only when it did: nothing for the limit. */
static void
test_silence (void)
{
  Listener l = { 0 };
  HbClientWindow *win;
  HbClient *client;

  reset_settings ();
  listener_start (&l);
  win = open_window (LAB, l.port);
  client = hb_client_window_get_client (win);
  gtk_spin_button_set_value (setting (win, "timeout_spin"), 0.5);
  press_connect (win);
  hb_assert_eventually (l.conn != NULL && hb_client_get_state (client) == HB_CLIENT_CONNECTED);
  hb_assert_eventually (hb_client_get_state (client) == HB_CLIENT_DISCONNECTED);
  g_assert_cmpstr (label_text (win, "state_label"), ==,
                   "Disconnected: the server sent nothing for longer than this window's silence limit");
  close_window (win);
  listener_clear (&l);
}

/* A program on a Chinese Windows sends GB18030: chosen, it reads. */
static void
test_gb18030 (void)
{
  Listener l = { 0 };
  HbClientWindow *win;
  g_autofree char *sent = NULL;

  win = open_connected (&l);

  /* In UTF-8 the bytes do not decode, and show as escapes. */
  listener_send (&l, "\xc4\xe3\xba\xc3");
  hb_assert_eventually (find_entry (win, HB_LOG_DATA, "\\xc4\\xe3\\xba\\xc3") != NULL);

  /* GB18030 chosen in the settings, mid-connection: 你好. */
  gtk_drop_down_set_selected (setting (win, "encoding_dropdown"), 1);
  listener_send (&l, "\xc4\xe3\xba\xc3");
  hb_assert_eventually (find_entry (win, HB_LOG_DATA, "你好") != NULL);
  hb_assert_eventually (find_entry (win, HB_LOG_BROADCAST, "你好") != NULL);

  /* What is typed goes out in GB18030 too, with the chosen line ending. */
  gtk_drop_down_set_selected (setting (win, "line_ending_dropdown"), 2);
  type_and_send (win, "好");
  sent = listener_read (&l, 4);
  g_assert_cmpmem (sent, 4, "\xba\xc3\r\n", 4);
  g_assert_nonnull (find_entry (win, HB_LOG_OWN, "好\\r\\n"));

  close_window (win);
  listener_clear (&l);
}

/* Raw TCP against the student's server: the byte stream and sending,
 * no heartbeat verdicts. */
static void
test_raw (void)
{
  g_autoptr(HbTestProc) server = hb_test_proc_student ("lab_server.py", "good", "0", "0.3", NULL);
  guint port = listening_port (server);
  HbClientWindow *win;
  HbClient *client;
  g_autofree char *connected = NULL;

  reset_settings ();
  win = open_window (RAW, port);
  client = hb_client_window_get_client (win);
  g_assert_false (gtk_widget_get_visible (child (win, "heartbeat_frame")));
  g_assert_false (gtk_widget_get_visible (child (win, "answer_switch")));
  g_assert_true (gtk_widget_get_visible (child (win, "hex_toggle")));
  press_connect (win);
  hb_assert_eventually (hb_client_get_state (client) == HB_CLIENT_CONNECTED);
  connected = g_strdup_printf ("Connected to 127.0.0.1:%u (raw TCP)", port);
  g_assert_cmpstr (label_text (win, "state_label"), ==, connected);

  /* The server's heartbeats are reads like any other, and unanswered. */
  hb_assert_eventually (count_entries (win, HB_LOG_DATA) >= 3);
  g_assert_nonnull (find_entry (win, HB_LOG_DATA, "heartbeat"));
  g_assert_cmpuint (hb_test_client_window_uint64 (win, "pongs-sent"), ==, 0);
  g_assert_cmpuint (hb_test_client_window_uint64 (win, "pings-received"), ==, 0);

  hb_test_proc_write (server, "456\n");
  hb_assert_eventually (find_entry (win, HB_LOG_DATA, "456") != NULL);
  g_assert_null (find_entry (win, HB_LOG_BROADCAST, "456"));

  /* Text, and bytes typed as hex. */
  type_and_send (win, "abc");
  hb_test_proc_wait_line (server, ": abc");
  gtk_toggle_button_set_active (child (win, "hex_toggle"), TRUE);
  type_and_send (win, "31 32 33");
  hb_test_proc_wait_line (server, ": 123");
  {
    HbLogEntry *entry = find_entry (win, HB_LOG_OWN, "123");
    g_autofree char *hex = NULL;

    g_assert_nonnull (entry);
    hex = hb_log_entry_format_hex (entry);
    g_assert_cmpstr (hex, ==, "0000  31 32 33");
  }

  /* Digits that are no hex are refused, flagged, and kept to be fixed. */
  type_and_send (win, "31 3z");
  g_assert_true (gtk_widget_has_css_class (child (win, "message_entry"), "error"));
  g_assert_cmpstr (gtk_editable_get_text (child (win, "message_entry")), ==, "31 3z");
  g_assert_nonnull (find_entry (win, HB_LOG_ERROR, "not hexadecimal"));

  close_window (win);
}

/* An empty or wrong heartbeat is flagged before Connect, which refuses it. */
static void
test_settings_refused (void)
{
  HbClientWindow *win;
  HbClient *client;
  GtkWidget *button;

  reset_settings ();
  win = open_window (LAB, 1);
  client = hb_client_window_get_client (win);
  button = child (win, "protocol_button");
  g_assert_false (gtk_widget_has_css_class (button, "error"));

  gtk_editable_set_text (setting (win, "heartbeat_entry"), "");
  g_assert_true (gtk_widget_has_css_class (button, "error"));
  g_assert_true (gtk_widget_has_css_class (setting (win, "heartbeat_entry"), "error"));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (button), ==, "the heartbeat is empty: it must be at least one byte");
  g_assert_cmpstr (gtk_label_get_text (setting (win, "error_label")), ==, "the heartbeat is empty: it must be at least one byte");
  press_connect (win);
  g_assert_cmpint (hb_client_get_state (client), ==, HB_CLIENT_DISCONNECTED);
  g_assert_cmpstr (label_text (win, "state_label"), ==,
                   "Disconnected: the heartbeat is empty: it must be at least one byte");
  /* ...and the settings open, to mend it. */
  hb_assert_eventually (gtk_widget_get_mapped (setting (win, "heartbeat_entry")));

  /* Hex: the text becomes its digits, and back. */
  gtk_editable_set_text (setting (win, "heartbeat_entry"), "heartbeat");
  g_assert_false (gtk_widget_has_css_class (button, "error"));
  gtk_check_button_set_active (setting (win, "hex_check"), TRUE);
  g_assert_cmpstr (gtk_editable_get_text (setting (win, "heartbeat_entry")), ==, "68 65 61 72 74 62 65 61 74");
  g_assert_cmpstr (gtk_editable_get_text (setting (win, "ack_entry")), ==, "68 65 61 72 74 62 65 61 74 20 61 63 6b");
  gtk_editable_set_text (setting (win, "ack_entry"), "06 z");
  g_assert_true (gtk_widget_has_css_class (button, "error"));
  press_connect (win);
  g_assert_cmpint (hb_client_get_state (client), ==, HB_CLIENT_DISCONNECTED);
  g_assert_nonnull (strstr (label_text (win, "state_label"), "the answer: “06 z” is not hexadecimal"));
  gtk_editable_set_text (setting (win, "ack_entry"), "06");
  g_assert_false (gtk_widget_has_css_class (button, "error"));
  /* A control byte is no text to type: hex stays on. */
  gtk_check_button_set_active (setting (win, "hex_check"), FALSE);
  g_assert_true (gtk_check_button_get_active (setting (win, "hex_check")));
  gtk_editable_set_text (setting (win, "ack_entry"), "6f 6b");
  gtk_check_button_set_active (setting (win, "hex_check"), FALSE);
  g_assert_cmpstr (gtk_editable_get_text (setting (win, "heartbeat_entry")), ==, "heartbeat");
  g_assert_cmpstr (gtk_editable_get_text (setting (win, "ack_entry")), ==, "ok");

  /* Raw TCP has no heartbeat: an empty one does not stop it. */
  gtk_editable_set_text (setting (win, "heartbeat_entry"), "");
  choose_protocol (win, RAW);
  g_assert_false (gtk_widget_has_css_class (button, "error"));

  close_window (win);
}

/* The choices are remembered: the next window opens with them, and they
 * reach the client when it connects. */
static void
test_remembered (void)
{
  Listener l = { 0 };
  HbClientWindow *win;
  HbClient *client;
  g_autoptr(GBytes) hb = NULL;
  g_autoptr(GBytes) ack = NULL;
  HbProtocol protocol;
  HbLineEnding ending;
  guint timeout;

  reset_settings ();
  win = open_window (LAB, 1);
  gtk_editable_set_text (setting (win, "heartbeat_entry"), "ping");
  gtk_editable_set_text (setting (win, "ack_entry"), "pong");
  gtk_drop_down_set_selected (setting (win, "line_ending_dropdown"), 1);
  gtk_spin_button_set_value (setting (win, "timeout_spin"), 12);
  close_window (win);

  listener_start (&l);
  win = hb_client_window_new (NULL);
  hb_client_window_set_target (win, "127.0.0.1", l.port, NULL);
  gtk_window_present (GTK_WINDOW (win));
  g_assert_true (gtk_check_button_get_active (child (win, "protocol_lab_check")));
  g_assert_cmpstr (label_text (win, "protocol_label"), ==, "lab");
  g_assert_cmpstr (gtk_editable_get_text (setting (win, "heartbeat_entry")), ==, "ping");
  client = hb_client_window_get_client (win);
  press_connect (win);
  hb_assert_eventually (l.conn != NULL && hb_client_get_state (client) == HB_CLIENT_CONNECTED);
  g_object_get (client, "protocol", &protocol, "heartbeat", &hb, "ack", &ack, "line-ending", &ending,
                "timeout-ms", &timeout, NULL);
  g_assert_cmpint (protocol, ==, HB_PROTOCOL_LAB);
  g_assert_cmpmem (g_bytes_get_data (hb, NULL), g_bytes_get_size (hb), "ping", 4);
  g_assert_cmpmem (g_bytes_get_data (ack, NULL), g_bytes_get_size (ack), "pong", 4);
  g_assert_cmpint (ending, ==, HB_LINE_ENDING_LF);
  g_assert_cmpuint (timeout, ==, 12000);
  /* The protocol cannot change under a connection. */
  g_assert_false (gtk_widget_is_sensitive (child (win, "protocol_choices")));

  /* The heartbeat chosen is the one answered; a line ending after it
   * belongs to it. */
  listener_send (&l, "ping\n");
  {
    g_autofree char *got = listener_read (&l, 4);

    g_assert_cmpstr (got, ==, "pong");
  }
  g_assert_null (find_entry (win, HB_LOG_BROADCAST, ""));

  close_window (win);
  listener_clear (&l);
  reset_settings ();
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  hb_test_fatal_warnings_except_known ();

  g_test_add_func ("/gui/client-window/lab/student-server", test_student_server);
  g_test_add_func ("/gui/client-window/lab/stop-reading-abort-half-close", test_stop_reading);
  g_test_add_func ("/gui/client-window/lab/glued-and-split", test_glued_and_split);
  g_test_add_func ("/gui/client-window/lab/silence", test_silence);
  g_test_add_func ("/gui/client-window/lab/gb18030", test_gb18030);
  g_test_add_func ("/gui/client-window/raw/student-server", test_raw);
  g_test_add_func ("/gui/client-window/lab/settings-refused", test_settings_refused);
  g_test_add_func ("/gui/client-window/lab/remembered", test_remembered);

  return g_test_run ();
}
