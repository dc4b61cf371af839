/* test-server-window-lab.c - the server console with the class's own programs: the lab's protocol and raw TCP, as a teacher sees it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The students' programs are tests/students/lab_client.py, written as
 * the lab's students write theirs; the window is switched to the lab's
 * protocol through its own protocol list, as a teacher would.
 */

#include "config.h"

#include <glib/gstdio.h>

#include <gtk/gtk.h>

#include "heartbeat-lab.h"
#include "hb-checks-cell.h"
#include "hb-lab-settings.h"
#include "hb-log-entry.h"
#include "hb-server-settings.h"
#include "hb-server-window.h"
#include "hb-test-gui.h"
#include "hb-test-server.h"
#include "hb-test-util.h"

#define child(win, name) hb_test_child ((win), HB_TYPE_SERVER_WINDOW, (name))
/* A field of the window's server settings (HbServerSettings). */
#define form(win, name) hb_test_child (child ((win), "server_settings"), HB_TYPE_SERVER_SETTINGS, (name))
#define lab_child(win, name) hb_test_child (form ((win), "lab_settings"), HB_TYPE_LAB_SETTINGS, (name))


static gboolean
log_shows (HbServerWindow *win,
           const char     *needle)
{
  g_autofree char *text = hb_test_shown (child (win, "log_view"));

  return strstr (text, needle) != NULL;
}

/* The students' programs answer at once; the window's own loop may be
 * slow (software rendering), so the timeout is generous. */
#define open_window() hb_test_server_window_open (3000)

/* What a teacher does: choose the protocol in the list beside the port,
 * and press Start Listening. */
static guint
listen_in (HbServerWindow *win,
           HbProtocol      protocol)
{
  HbServer *server = hb_server_window_get_server (win);

  gtk_drop_down_set_selected (form (win, "protocol_drop"), protocol);
  g_signal_emit_by_name (child (win, "start_button"), "clicked");
  g_assert_true (hb_server_get_listening (server));
  g_assert_cmpint (hb_server_get_protocol (server), ==, protocol);
  return hb_server_get_port (server);
}

static HbTestProc *
student (const char *mode,
         guint       port)
{
  g_autofree char *p = g_strdup_printf ("%u", port);
  HbTestProc *proc = hb_test_proc_student ("lab_client.py", mode, "127.0.0.1", p, NULL);

  hb_test_proc_wait_line (proc, "connected");
  return proc;
}

/* The checks cells of the client list, as the list shows them. */
static void
find_checks_cells (GtkWidget *widget,
                   GPtrArray *out)
{
  if (!gtk_widget_get_mapped (widget))
    return;
  if (HB_IS_CHECKS_CELL (widget))
    {
      g_ptr_array_add (out, widget);
      return;
    }
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    find_checks_cells (c, out);
}

/* Clicks the checks of client #@id open and returns what the popover
 * says, label by label; NULL if no row of the list shows that client. */
static char *
checks_popover_text (HbServerWindow *win,
                     guint           id)
{
  g_autoptr(GPtrArray) cells = g_ptr_array_new ();
  g_autofree char *heading = g_strdup_printf ("Checks of client #%u (", id);

  find_checks_cells (GTK_WIDGET (child (win, "column_view")), cells);
  for (guint i = 0; i < cells->len; i++)
    {
      HbChecksCell *cell = g_ptr_array_index (cells, i);
      GtkWidget *popover;
      g_autofree char *text = NULL;

      hb_checks_cell_popup (cell);
      popover = hb_checks_cell_get_popover (cell);
      hb_assert_eventually (gtk_widget_get_mapped (popover));
      text = hb_test_shown (popover);
      gtk_popover_popdown (GTK_POPOVER (popover));
      if (strstr (text, heading) != NULL)
        return g_steal_pointer (&text);
    }
  return NULL;
}

static gboolean
checks_say (HbServerWindow *win,
            guint           id,
            const char     *needle)
{
  g_autofree char *text = checks_popover_text (win, id);

  return text != NULL && strstr (text, needle) != NULL;
}

static void
hide_acks (HbServerWindow *win)
{
  gtk_widget_activate_action (GTK_WIDGET (win), "win.show-acks", NULL);
}

/* ---------------------------------------------------------------------- */

static void
test_class (void)
{
  HbServerWindow *win = open_window ();
  g_autoptr(HbTestProc) good = NULL;
  g_autoptr(HbTestProc) exact = NULL;
  g_autofree char *dir = g_dir_make_tmp ("hb-checks-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "class.csv", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autofree char *csv = NULL;
  g_auto(GStrv) rows = NULL;
  guint port;

  port = listen_in (win, HB_PROTOCOL_LAB);
  g_assert_nonnull (strstr (gtk_label_get_text (child (win, "status_label")), "the lab's protocol"));
  g_assert_nonnull (strstr (gtk_label_get_text (child (win, "empty_hint")), "“heartbeat”"));

  /* Two programs of the class, one after the other: #1 and #2. */
  good = student ("good", port);
  hb_assert_eventually (hb_server_get_n_clients (hb_server_window_get_server (win)) == 1);
  exact = student ("exact", port);

  /* A row each: no names in this protocol, the address tells them apart;
   * both alive, with the time their ack took. */
  hb_assert_eventually (hb_test_server_list_shows (win, "|127.0.0.1:", 2));
  hb_assert_eventually (hb_test_server_list_shows (win, "|alive|", 2));
  hb_assert_eventually (hb_test_server_list_shows (win, " ms (avg ", 2));
  g_assert_true (hb_test_server_list_shows (win, "|Name|", 0));
  g_assert_true (hb_test_server_list_shows (win, "|Checks|", 1));
  /* The heartbeat columns in the lab's words: its heartbeat and ack. */
  g_assert_true (hb_test_server_list_shows (win, "|Heartbeat Sent|Ack Received|", 1));
  g_assert_true (gtk_widget_get_visible (child (win, "check_button")));

  /* What the good program sends, read by read: the count, the text and
   * the bytes in hex. The acks are hidden from the log, as a teacher
   * would for a class of thirty. */
  hide_acks (win);
  hb_test_proc_write (good, "123\n");
  /* On a busy machine the kernel may hold an ack and the message
   * together for one read (粘包): the log then shows them as one. */
  hb_assert_eventually_seen (log_shows (win, "|123|3 bytes · 1 message|0000  31 32 33 ") ||
                             log_shows (win, "|heartbeat ack123|16 bytes · 1 ack + 1 message|0000  68 65 61 72 "),
                             hb_test_shown (child (win, "log_view")));
  /* Hex off: the bytes go, the text stays. */
  gtk_widget_activate_action (GTK_WIDGET (win), "win.show-hex", NULL);
  hb_assert_eventually (!log_shows (win, "0000  31 32 33 ") && !log_shows (win, "0000  68 65 61 72 "));
  g_assert_true (log_shows (win, "|123|3 bytes · 1 message|") ||
                 log_shows (win, "|heartbeat ack123|16 bytes · 1 ack + 1 message|"));

  /* Check Clients: each gets a heartbeat glued to a broadcast. The good
   * program answers it; the one that answers only an exact recv() of
   * "heartbeat" does not, and its checks say so, with what was seen. */
  g_signal_emit_by_name (child (win, "check_button"), "clicked");
  hb_assert_eventually (log_shows (win, "Checking 2 clients"));
  /* The counts change in the list as the answers come, or do not: the
   * good program's four (connects, answers, sends "123", the glued
   * heartbeat), the other's two failures (the glued heartbeat, and so
   * not every heartbeat within 1 s). */
  hb_assert_eventually_seen (hb_test_server_list_shows (win, "|4 ✓|", 1) && hb_test_server_list_shows (win, "|2 ✗|", 1),
                             g_strconcat (hb_test_shown (child (win, "column_view")),
                                          " #1: ", checks_popover_text (win, 1),
                                          " #2: ", checks_popover_text (win, 2), NULL));
  g_assert_true (checks_say (win, 1, "|✓|Answers a heartbeat glued to a broadcast|answered in "));
  g_assert_true (checks_say (win, 2, "|✗|Answers a heartbeat glued to a broadcast|"
                                     "no answer within 1 s to a heartbeat sent with “456” in one segment"));
  g_assert_true (checks_say (win, 1, "|✓|Connects|connected from 127.0.0.1:"));
  g_assert_true (checks_say (win, 1, "|✓|Sends what is typed into it|sent “123”|"));

  /* The class leaves, each closing with FIN: still on the board. */
  hb_test_proc_close_stdin (good);
  hb_test_proc_close_stdin (exact);
  g_assert_cmpint (hb_test_proc_wait_exit (good), ==, 0);
  g_assert_cmpint (hb_test_proc_wait_exit (exact), ==, 0);
  hb_assert_eventually (hb_server_get_n_clients (hb_server_window_get_server (win)) == 0);
  hb_assert_eventually (log_shows (win, "left: closed the connection, with FIN (client closed first)"));

  /* Export Check Results…: one row per program, departed ones too. */
  g_assert_true (hb_server_window_export_checks (win, file, NULL));
  g_assert_true (g_file_get_contents (path, &csv, NULL, NULL));
  rows = g_strsplit (csv, "\r\n", -1);
  g_assert_cmpuint (g_strv_length (rows), ==, 4);  /* header, 2 rows, "" */
  g_assert_true (g_str_has_prefix (rows[0], "id,peer,name,connects,connects_evidence,answers,"));
  g_assert_true (g_str_has_prefix (rows[1], "1,\"127.0.0.1:"));
  g_assert_nonnull (strstr (rows[1], ",passed,\"answered in "));
  g_assert_nonnull (strstr (rows[1], ",passed,\"closed with FIN\""));
  g_assert_true (g_str_has_prefix (rows[2], "2,\"127.0.0.1:"));
  g_assert_nonnull (strstr (rows[2], ",failed,\"no answer within 1 s to a heartbeat sent with “456”"));
  g_assert_cmpstr (rows[3], ==, "");

  hb_test_server_window_close (win);
  g_unlink (path);
  g_rmdir (dir);
}

/* A program that sends what is typed glued to its next ack: one read,
 * two messages, and the log says so in plain words. */
static void
test_glued_read (void)
{
  HbServerWindow *win = open_window ();
  g_autoptr(HbTestProc) glue = NULL;
  guint port = listen_in (win, HB_PROTOCOL_LAB);

  glue = student ("glue", port);
  hide_acks (win);
  hb_test_proc_write (glue, "abc\n");
  hb_assert_eventually (log_shows (win, "|heartbeat ackabc|16 bytes · 1 ack + 1 message|"
                                        "1 ack + 1 message in one read — TCP keeps no message boundaries (粘包)|"
                                        "0000  68 65 61 72 74 62 65 61  74 20 61 63 6b 61 62 63  heartbeat ackabc|"));
  /* Its ack counted all the same. */
  hb_assert_eventually (hb_test_server_list_shows (win, "|alive|", 1) && hb_test_server_list_shows (win, " ms (avg ", 1));

  hb_test_proc_close_stdin (glue);
  g_assert_cmpint (hb_test_proc_wait_exit (glue), ==, 0);
  hb_test_server_window_close (win);
}

/* Raw TCP, as a 网络调试助手: nothing is judged, every read is shown. */
static void
test_raw (void)
{
  HbServerWindow *win = open_window ();
  HbServer *server = hb_server_window_get_server (win);
  g_autoptr(HbTestPeer) peer = NULL;
  guint port;

  /* Text as a Chinese Windows program sends it. */
  gtk_drop_down_set_selected (lab_child (win, "encoding_drop"), HB_ENCODING_GB18030);
  port = listen_in (win, HB_PROTOCOL_RAW);
  g_assert_nonnull (strstr (gtk_label_get_text (child (win, "status_label")), "raw TCP"));
  g_assert_false (gtk_widget_get_visible (child (win, "check_button")));

  peer = hb_test_peer_new ("127.0.0.1", port);
  hb_test_peer_send (peer, "hi\x01", 3);
  hb_assert_eventually (log_shows (win, "|hi\\x01|3 bytes|0000  68 69 01 "));
  hb_test_peer_send (peer, "\xc4\xe3\xba\xc3", 4);
  hb_assert_eventually (log_shows (win, "|你好|4 bytes|0000  c4 e3 ba c3 "));

  /* Heartbeat sent, ack received, RTT, missed and state: "—". */
  hb_assert_eventually (hb_test_server_list_shows (win, "|127.0.0.1:", 1));
  g_assert_true (hb_test_server_list_shows (win, "|—|", 5));
  g_assert_true (hb_test_server_list_shows (win, "|alive|", 0));
  g_assert_true (hb_test_server_list_shows (win, "|Checks|", 0));

  /* No heartbeat comes, whatever the interval (300 ms): three go by. */
  hb_test_await_heartbeats (300, 3);
  g_assert_cmpuint (peer->bytes_in, ==, 0);
  g_assert_cmpuint (hb_server_get_n_clients (server), ==, 1);

  /* What the operator types goes out as its bytes, in GB18030. */
  gtk_editable_set_text (child (win, "broadcast_entry"), "好");
  g_signal_emit_by_name (child (win, "broadcast_entry"), "activate");
  hb_assert_eventually (peer->bytes_in == 2);
  g_assert_cmpstr (peer->partial->str, ==, "\xba\xc3");

  hb_test_peer_free (g_steal_pointer (&peer));
  hb_test_server_window_close (win);
}

/* The bytes of every read in the log, and the most any entry keeps. */
static guint64
logged_bytes (GListModel *log,
              gsize      *most_kept)
{
  guint64 seen = 0;

  *most_kept = 0;
  for (guint i = 0; i < g_list_model_get_n_items (log); i++)
    {
      g_autoptr(HbLogEntry) entry = g_list_model_get_item (log, i);

      if (hb_log_entry_get_kind (entry) != HB_LOG_DATA)
        continue;
      *most_kept = MAX (*most_kept, g_bytes_get_size (hb_log_entry_get_data (entry)));
      seen += hb_log_entry_get_size (entry);
    }
  return seen;
}

/* A peer that sends 1 MiB and never the ack: the log keeps a bounded
 * prefix of each read, and says how much more came. */
static void
test_flood (void)
{
  HbServerWindow *win = open_window ();
  GListModel *log = hb_server_window_get_log (win);
  g_autoptr(HbTestPeer) peer = NULL;
  gsize chunk = 16 * 1024, total = 64 * chunk, most_kept = 0;
  g_autofree char *junk = g_malloc (chunk);

  memset (junk, 'x', chunk);
  peer = hb_test_peer_new ("127.0.0.1", listen_in (win, HB_PROTOCOL_LAB));
  /* In pieces, with the window's loop (which is the server's) reading
   * between them: one blocking send of it all could wait for itself. */
  for (gsize sent = 0; sent < total; sent += chunk)
    {
      hb_test_peer_send (peer, junk, chunk);
      g_main_context_iteration (NULL, FALSE);
    }
  hb_assert_eventually (logged_bytes (log, &most_kept) == total);
  g_assert_cmpuint (most_kept, <=, HB_CHUNK_SHOW_MAX);
  hb_assert_eventually (log_shows (win, " more bytes)|"));

  hb_test_peer_free (g_steal_pointer (&peer));
  hb_test_server_window_close (win);
}

/* An empty heartbeat is flagged where it is typed, and the server does
 * not start with it, saying why. */
static void
test_empty_heartbeat (void)
{
  HbServerWindow *win = open_window ();
  HbServer *server = hb_server_window_get_server (win);
  GtkWidget *entry = lab_child (win, "heartbeat_entry");
  GtkWidget *warning = lab_child (win, "heartbeat_warning");
  const char *message;

  gtk_drop_down_set_selected (form (win, "protocol_drop"), HB_PROTOCOL_LAB);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "heartbeat");
  g_assert_false (gtk_widget_get_visible (warning));

  gtk_editable_set_text (GTK_EDITABLE (entry), "");
  g_assert_true (gtk_widget_get_visible (warning));
  g_assert_true (gtk_widget_has_css_class (entry, "error"));
  g_assert_cmpstr (gtk_label_get_text (lab_child (win, "heartbeat_warning_label")), ==,
                   "The heartbeat is empty: it must be at least one byte");

  g_signal_emit_by_name (child (win, "start_button"), "clicked");
  g_assert_false (hb_server_get_listening (server));
  g_assert_true (gtk_revealer_get_reveal_child (child (win, "error_revealer")));
  message = gtk_label_get_text (child (win, "error_label"));
  g_assert_nonnull (strstr (message, "The heartbeat is empty"));
  g_assert_nonnull (strstr (message, "under Heartbeat…"));

  /* In hex: what is typed is read as hex digits, and checked as such. */
  gtk_editable_set_text (GTK_EDITABLE (entry), "heartbeat");
  g_assert_false (gtk_widget_get_visible (warning));
  gtk_check_button_set_active (lab_child (win, "hex_check"), TRUE);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "68 65 61 72 74 62 65 61 74");
  g_assert_false (gtk_widget_get_visible (warning));
  gtk_editable_set_text (GTK_EDITABLE (entry), "68 6g");
  g_assert_true (gtk_widget_get_visible (warning));
  g_assert_nonnull (strstr (gtk_label_get_text (lab_child (win, "heartbeat_warning_label")), "not hexadecimal"));
  gtk_editable_set_text (GTK_EDITABLE (entry), "68 65 61 72 74");
  gtk_check_button_set_active (lab_child (win, "hex_check"), FALSE);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "heart");

  /* The line protocol has no use for it: no flag, and it starts. */
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
  gtk_drop_down_set_selected (form (win, "protocol_drop"), HB_PROTOCOL_LINE);
  g_assert_false (gtk_widget_get_visible (warning));
  g_assert_true (hb_server_window_start (win));
  g_assert_cmpint (hb_server_get_protocol (server), ==, HB_PROTOCOL_LINE);

  /* What it started with is remembered, but not the empty heartbeat: the
   * next window starts with the last good one. */
  {
    g_autoptr(GSettings) settings = g_settings_new (APP_ID);
    g_autofree char *heartbeat = g_settings_get_string (settings, "lab-heartbeat");

    g_assert_cmpstr (heartbeat, ==, "heartbeat");
    g_settings_reset (settings, "server-protocol");
  }
  hb_test_server_window_close (win);
}

/* The choice is remembered for the next window, which takes it when it
 * opens and then keeps its own: two windows never edit one field. */
static void
test_settings_remembered (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  HbServerWindow *first = open_window ();
  HbServerWindow *second;
  g_autofree char *protocol = NULL;
  g_autofree char *ack = NULL;
  g_autoptr(GBytes) server_ack = NULL;

  gtk_editable_set_text (lab_child (first, "ack_entry"), "pong!");
  gtk_drop_down_set_selected (lab_child (first, "line_ending_drop"), HB_LINE_ENDING_CRLF);
  /* Not saved while it is only typed. */
  ack = g_settings_get_string (settings, "lab-ack");
  g_assert_cmpstr (ack, ==, "heartbeat ack");
  g_clear_pointer (&ack, g_free);

  listen_in (first, HB_PROTOCOL_LAB);
  g_object_get (hb_server_window_get_server (first), "ack", &server_ack, NULL);
  g_assert_cmpmem (g_bytes_get_data (server_ack, NULL), g_bytes_get_size (server_ack), "pong!", 5);
  protocol = g_settings_get_string (settings, "server-protocol");
  ack = g_settings_get_string (settings, "lab-ack");
  g_assert_cmpstr (protocol, ==, "lab");
  g_assert_cmpstr (ack, ==, "pong!");
  g_clear_pointer (&ack, g_free);

  second = open_window ();
  g_assert_cmpuint (gtk_drop_down_get_selected (form (second, "protocol_drop")), ==, HB_PROTOCOL_LAB);
  g_assert_cmpstr (gtk_editable_get_text (lab_child (second, "ack_entry")), ==, "pong!");
  g_assert_cmpuint (gtk_drop_down_get_selected (lab_child (second, "line_ending_drop")), ==, HB_LINE_ENDING_CRLF);

  /* Typed in the second window: the first keeps its own. */
  gtk_editable_set_text (lab_child (second, "ack_entry"), "xyz");
  g_assert_cmpstr (gtk_editable_get_text (lab_child (first, "ack_entry")), ==, "pong!");
  ack = g_settings_get_string (settings, "lab-ack");
  g_assert_cmpstr (ack, ==, "pong!");

  hb_test_server_window_close (second);
  hb_test_server_window_close (first);
  g_settings_reset (settings, "server-protocol");
  g_settings_reset (settings, "lab-ack");
  g_settings_reset (settings, "line-ending");
}

/* One frame of the window takes 3 s (three times the timeout), as a
 * frame on a slow machine might: the class's programs answer in their own
 * processes all the while, and nobody is cut, late or dead for the
 * window's sake. */
static gboolean
stall_once (GtkWidget     *widget,
            GdkFrameClock *clock,
            gpointer       user_data)
{
  gboolean *stalled = user_data;

  g_usleep (3 * G_USEC_PER_SEC);  /* the slow frame itself, on purpose */
  *stalled = TRUE;
  return G_SOURCE_REMOVE;
}

static void
test_slow_frame_cuts_nobody (void)
{
  HbServerWindow *win = hb_test_server_window_open (1000);
  HbServer *server = hb_server_window_get_server (win);
  HbTestProc *class[3];
  guint64 pongs[3];
  gboolean stalled = FALSE;
  guint port;

  port = listen_in (win, HB_PROTOCOL_LAB);
  for (guint i = 0; i < G_N_ELEMENTS (class); i++)
    class[i] = student ("good", port);
  hb_assert_eventually (hb_server_get_n_clients (server) == 3);
  hb_assert_eventually (hb_test_server_list_shows (win, "|alive|", 3));
  for (guint id = 1; id <= 3; id++)
    hb_assert_eventually (hb_connection_get_pongs_received (hb_server_lookup (server, id)) >= 2);

  /* The frame stalls just after a heartbeat went out: answers are owed. */
  {
    guint64 sent = hb_connection_get_pings_sent (hb_server_lookup (server, 1));

    hb_assert_eventually (hb_connection_get_pings_sent (hb_server_lookup (server, 1)) > sent);
  }
  gtk_widget_add_tick_callback (GTK_WIDGET (win), stall_once, &stalled, NULL);
  gtk_widget_queue_draw (GTK_WIDGET (win));
  hb_assert_eventually (stalled);

  /* Afterwards every program is still there, alive, and answering. */
  for (guint id = 1; id <= 3; id++)
    pongs[id - 1] = hb_connection_get_pongs_received (hb_server_lookup (server, id));
  for (guint id = 1; id <= 3; id++)
    {
      HbConnection *conn = hb_server_lookup (server, id);

      hb_assert_eventually (hb_connection_get_pongs_received (conn) >= pongs[id - 1] + 3);
      g_assert_cmpint (hb_connection_get_liveness (conn), ==, HB_LIVENESS_ALIVE);
      g_assert_cmpuint (hb_connection_get_missed (conn), ==, 0);
    }
  g_assert_cmpuint (hb_server_get_n_clients (server), ==, 3);
  hb_assert_eventually_seen (hb_test_server_list_shows (win, "|alive|", 3),
                             hb_test_shown (child (win, "column_view")));
  g_assert_true (hb_test_server_list_shows (win, "|late|", 0));
  g_assert_true (hb_test_server_list_shows (win, "|dead", 0));
  g_assert_false (log_shows (win, "late: no answer"));
  g_assert_false (log_shows (win, "dead: no answer"));

  hb_test_server_window_close (win);
  for (guint i = 0; i < G_N_ELEMENTS (class); i++)
    hb_test_proc_free (class[i]);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  hb_test_fatal_warnings_except_known ();

  g_test_add_func ("/gui/server-window-lab/class", test_class);
  g_test_add_func ("/gui/server-window-lab/glued-read", test_glued_read);
  g_test_add_func ("/gui/server-window-lab/raw", test_raw);
  g_test_add_func ("/gui/server-window-lab/flood", test_flood);
  g_test_add_func ("/gui/server-window-lab/empty-heartbeat", test_empty_heartbeat);
  g_test_add_func ("/gui/server-window-lab/settings-remembered", test_settings_remembered);
  g_test_add_func ("/gui/server-window-lab/slow-frame-cuts-nobody", test_slow_frame_cuts_nobody);

  return g_test_run ();
}
