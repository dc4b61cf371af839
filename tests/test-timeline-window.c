/* test-timeline-window.c - the teaching view with real packets: capture files and live capture
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <pcap/dlt.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gtk/gtk.h>

#include "heartbeat-lab.h"
#include "hb-capture-session.h"
#include "hb-ladder.h"
#include "hb-segment-model.h"
#include "hb-server-window.h"
#include "hb-timeline-window.h"
#include "hb-test-gui.h"
#include "hb-test-pcap.h"
#include "hb-test-util.h"

#define CHILD(win, name) hb_test_child ((win), HB_TYPE_TIMELINE_WINDOW, (name))

static char *
text_of (GtkTextView *view)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static const char *
notice (HbTimelineWindow *win)
{
  if (!gtk_revealer_get_reveal_child (CHILD (win, "notice_revealer")))
    return "";
  return gtk_label_get_text (CHILD (win, "notice_label"));
}

static HbSegment *
segment_at (HbTimelineWindow *win,
            guint             i)
{
  GListModel *segments = hb_timeline_window_get_segments (win);
  HbSegment *seg = g_list_model_get_item (segments, i);

  g_assert_nonnull (seg);
  g_object_unref (seg);   /* the store keeps it */
  return seg;
}

static void
select_row (HbTimelineWindow *win,
            guint             row)
{
  GtkSelectionModel *model = gtk_column_view_get_model (CHILD (win, "table"));

  gtk_selection_model_select_item (model, row, TRUE);
}

/* The window of a capture file, once it has read the file and listed the
 * first connection's rows (a worker thread reads it, the rows come in
 * slices). */
static HbTimelineWindow *
open_file (GFile *file)
{
  HbTimelineWindow *win = hb_timeline_window_new_for_file (NULL, file);

  hb_assert_eventually (!hb_timeline_window_get_loading (win));
  return win;
}

/* Another connection of the file, once its rows are listed. */
static void
choose_conversation (HbTimelineWindow *win,
                     guint             i)
{
  gtk_drop_down_set_selected (CHILD (win, "conversation_dropdown"), i);
  hb_assert_eventually (!hb_timeline_window_get_loading (win));
}

/* Two connections in one file, from the shared fixture: 4324 and 4325 to
 * 12001. */
static char *
write_two_conversations (const char *dir)
{
  HbTestCapture cap;
  HbTestNet one = hb_test_net_default (4);
  HbTestNet two = hb_test_net_new (4, "127.0.0.1", "127.0.0.1", 4325, 12001);
  g_autoptr(GBytes) bytes = NULL;
  char *path = g_build_filename (dir, "two.pcap", NULL);

  hb_test_capture_init (&cap, DLT_EN10MB, HB_TEST_VARIANT_PLAIN);
  for (guint i = 0; i < HB_TEST_CONVERSATION_LEN; i++)
    hb_test_capture_add_step (&cap, &one, &hb_test_conversation[i], 1000, 5000);
  for (guint i = 0; i < HB_TEST_CONVERSATION_LEN; i++)
    hb_test_capture_add_step (&cap, &two, &hb_test_conversation[i], 0xfffffff0u, 77);
  bytes = hb_test_capture_finish (&cap);
  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes), NULL));
  return path;
}

static void
test_capture_file (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hb-timeline-XXXXXX", NULL);
  g_autofree char *path = write_two_conversations (dir);
  g_autofree char *saved = g_build_filename (dir, "saved.pcap", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  HbTimelineWindow *win = open_file (file);
  GListModel *segments = hb_timeline_window_get_segments (win);
  GtkDropDown *dropdown = CHILD (win, "conversation_dropdown");
  GListModel *columns = gtk_column_view_get_columns (CHILD (win, "table"));
  const char *titles[] = { "No.", "Time", "Source", "Destination", "Protocol", "Length", "Info", "Phase" };
  g_autofree char *details = NULL;
  g_autofree char *bytes = NULL;
  g_autoptr(HbCaptureFile) reread = hb_capture_file_new ();
  g_autoptr(GError) error = NULL;

  gtk_window_present (GTK_WINDOW (win));

  /* Wireshark's columns, and one more for the phase. */
  g_assert_cmpuint (g_list_model_get_n_items (columns), ==, G_N_ELEMENTS (titles));
  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    {
      g_autoptr(GtkColumnViewColumn) col = g_list_model_get_item (columns, i);

      g_assert_cmpstr (gtk_column_view_column_get_title (col), ==, titles[i]);
    }

  /* Both connections offered; the first shown. */
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (dropdown)));
  g_assert_cmpuint (g_list_model_get_n_items (gtk_drop_down_get_model (dropdown)), ==, 2);
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (gtk_drop_down_get_model (dropdown)), 0), ==,
                   "127.0.0.1:4324 → 127.0.0.1:12001 (11 packets)");
  g_assert_nonnull (strstr (notice (win), "2 TCP connections"));
  /* Keys go to the ladder; the notice does not open all selected. */
  hb_assert_eventually (gtk_widget_get_mapped (GTK_WIDGET (win)));
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (win)) == GTK_WIDGET (CHILD (win, "ladder")));
  g_assert_false (gtk_label_get_selection_bounds (CHILD (win, "notice_label"), NULL, NULL));

  /* Every row as Wireshark shows it, with its phase. */
  g_assert_cmpuint (g_list_model_get_n_items (segments), ==, HB_TEST_CONVERSATION_LEN);
  for (guint i = 0; i < HB_TEST_CONVERSATION_LEN; i++)
    {
      HbSegment *seg = segment_at (win, i);

      g_assert_nonnull (hb_segment_get_packet (seg));
      g_assert_cmpstr (hb_segment_get_info (seg), ==, hb_test_conversation[i].info);
      g_assert_cmpint (hb_segment_get_phase (seg), ==, hb_test_conversation[i].phase);
      g_assert_cmpstr (hb_segment_get_source (seg), ==, "127.0.0.1");
      g_assert_cmpstr (hb_segment_get_protocol (seg), ==, "TCP");
      g_assert_true (hb_segment_get_from_client (seg) == hb_test_conversation[i].client);
    }
  g_assert_cmpstr (hb_segment_get_label (segment_at (win, 0)), ==, "SYN");
  g_assert_cmpstr (hb_segment_get_label (segment_at (win, 1)), ==, "SYN, ACK");
  g_assert_cmpint (hb_segment_get_time (segment_at (win, 1)), ==, 1000);
  for (guint i = 0; i < HB_TEST_CONVERSATION_LEN; i++)
    if (g_strcmp0 (hb_test_conversation[i].payload, "PING 1\n") == 0)
      g_assert_nonnull (strstr (hb_segment_get_label (segment_at (win, i)), "Len=7  PING 1"));

  /* Selecting a row shows its header fields and bytes, and explains its phase. */
  select_row (win, 3);
  g_assert_cmpint (hb_ladder_get_selected (CHILD (win, "ladder")), ==, 3);
  details = text_of (CHILD (win, "details_view"));
  g_assert_nonnull (strstr (details, "Transmission Control Protocol, Src Port: 4324, Dst Port: 12001"));
  g_assert_nonnull (strstr (details, "Sequence number: 1 (relative; raw 1001)"));
  bytes = text_of (CHILD (win, "bytes_view"));
  g_assert_true (g_str_has_prefix (bytes, "0000  "));
  g_assert_cmpstr (gtk_label_get_text (CHILD (win, "explanation_label")), ==,
                   hb_phase_explanation (hb_test_conversation[3].phase));

  /* The other connection: its numbers are relative to its own ISNs,
   * across the wrap of the client's sequence space. */
  g_assert_cmpstr (hb_ladder_get_client_label (CHILD (win, "ladder")), ==, "127.0.0.1:4324");
  choose_conversation (win, 1);
  g_assert_cmpstr (notice (win), ==, "");   /* "choose one above": done */
  g_assert_cmpstr (hb_ladder_get_client_label (CHILD (win, "ladder")), ==, "127.0.0.1:4325");
  g_assert_cmpstr (hb_ladder_get_server_label (CHILD (win, "ladder")), ==, "127.0.0.1:12001");
  g_assert_cmpuint (g_list_model_get_n_items (segments), ==, HB_TEST_CONVERSATION_LEN);
  g_assert_true (g_str_has_prefix (hb_segment_get_info (segment_at (win, 0)), "4325 → 12001 [SYN]"));
  for (guint i = 1; i < HB_TEST_CONVERSATION_LEN; i++)
    {
      g_autofree char *expected = g_strdup (hb_test_conversation[i].info);

      if (g_str_has_prefix (expected, "4324"))
        memcpy (expected, "4325", 4);
      else
        memcpy (strstr (expected, "→ 4324") + strlen ("→ "), "4325", 4);
      g_assert_cmpstr (hb_segment_get_info (segment_at (win, i)), ==, expected);
    }

  /* Saved as pcap, it reads back the same. */
  g_assert_true (hb_timeline_window_save_packets (win, saved, &error));
  g_assert_no_error (error);
  g_assert_true (hb_capture_file_load (reread, saved, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (hb_capture_file_get_packets (reread)->len, ==, HB_TEST_CONVERSATION_LEN);
  g_assert_cmpuint (hb_capture_file_get_conversations (reread)->len, ==, 1);

  /* A reset is explained as an abort, not as the FIN teardown. */
  {
    g_autoptr(HbSegment) rst = hb_segment_new (1000000, TRUE, HB_TCP_PHASE_TEARDOWN, "RST");

    hb_segment_model_append (HB_SEGMENT_MODEL (segments), rst);
    select_row (win, g_list_model_get_n_items (segments) - 1);
    g_assert_true (g_str_has_prefix (gtk_label_get_text (CHILD (win, "explanation_label")), "Reset (RST)."));
    select_row (win, g_list_model_get_n_items (segments) - 2);
    g_assert_true (g_str_has_prefix (gtk_label_get_text (CHILD (win, "explanation_label")), "Teardown."));
  }

  /* A state the kernel reported is no packet: not counted as one, and its
   * details are what the kernel said. */
  {
    g_autoptr(HbSegment) note = hb_segment_new_note (2000000, TRUE, HB_TCP_PHASE_TEARDOWN, "TIME_WAIT",
                                                     "The kernel now holds the client's socket in TIME_WAIT");
    g_autofree char *shown = NULL;
    g_autofree char *status = g_strdup_printf ("%u packets · from the capture file",
                                               g_list_model_get_n_items (segments));   /* with the RST row */

    g_assert_cmpstr (gtk_label_get_text (CHILD (win, "status_label")), ==, status);
    hb_segment_model_append (HB_SEGMENT_MODEL (segments), note);
    g_assert_cmpstr (gtk_label_get_text (CHILD (win, "status_label")), ==, status);
    select_row (win, g_list_model_get_n_items (segments) - 1);
    shown = text_of (CHILD (win, "details_view"));
    g_assert_cmpstr (shown, ==, "The kernel now holds the client's socket in TIME_WAIT");
  }

  gtk_window_destroy (GTK_WINDOW (win));
  g_unlink (saved);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_broken_files (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hb-timeline-XXXXXX", NULL);
  g_autofree char *path = write_two_conversations (dir);
  g_autofree char *cut = g_build_filename (dir, "cut.pcap", NULL);
  g_autofree char *text = g_build_filename (dir, "notes.txt", NULL);
  g_autofree char *data = NULL;
  gsize len = 0;
  HbTimelineWindow *win;

  /* Cut in the middle of a record: what came before is shown, with why. */
  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  g_assert_true (g_file_set_contents (cut, data, (gssize) (len * 2 / 3), NULL));
  {
    g_autoptr(GFile) file = g_file_new_for_path (cut);

    win = open_file (file);
    g_assert_true (g_str_has_prefix (notice (win), "cut.pcap is cut short or damaged after "));
    g_assert_cmpuint (g_list_model_get_n_items (hb_timeline_window_get_segments (win)), ==,
                      HB_TEST_CONVERSATION_LEN);
    g_assert_cmpuint (g_list_model_get_n_items (gtk_drop_down_get_model (CHILD (win, "conversation_dropdown"))),
                      ==, 2);
    gtk_window_destroy (GTK_WINDOW (win));
  }

  /* Not a capture at all: said plainly, nothing shown. */
  g_assert_true (g_file_set_contents (text, "PING 1\nPONG 1\n", -1, NULL));
  {
    g_autoptr(GFile) file = g_file_new_for_path (text);

    win = open_file (file);
    g_assert_true (g_str_has_prefix (notice (win), "Could not open notes.txt"));
    g_assert_cmpuint (g_list_model_get_n_items (hb_timeline_window_get_segments (win)), ==, 0);
    g_assert_false (gtk_widget_get_visible (CHILD (win, "conversation_dropdown")));
    g_assert_false (gtk_widget_get_visible (CHILD (win, "capture_button")));
    /* ... and no promise of segments to come, nor a lesson on them. */
    g_assert_cmpstr (gtk_label_get_text (CHILD (win, "explanation_label")), ==, "");
    gtk_window_destroy (GTK_WINDOW (win));
  }

  g_unlink (cut);
  g_unlink (text);
  g_unlink (path);
  g_rmdir (dir);
}

/* ---------------------------------------------------------------------- */
/* Live                                                                   */

typedef struct
{
  HbServer *server;
  HbClient *client;
  guint     port;
  gboolean  shut_down;
} Live;

static void
shutdown_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Live *live = user_data;

  hb_server_shutdown_finish (HB_SERVER (source), result, NULL);
  live->shut_down = TRUE;
}

static void
live_start (Live *live)
{
  live->server = g_object_new (HB_TYPE_SERVER, "port", 0, "interval-ms", 300, "timeout-ms", 2000, NULL);
  g_assert_true (hb_server_start (live->server, NULL));
  live->port = hb_server_get_port (live->server);
}

static HbConnection *
live_connect (Live       *live,
              const char *name)
{
  GListModel *conns = hb_server_get_connections (live->server);
  g_autoptr(HbConnection) conn = NULL;

  live->client = hb_client_new ("127.0.0.1", live->port, name);
  hb_client_connect (live->client);
  hb_assert_eventually (hb_client_get_state (live->client) == HB_CLIENT_CONNECTED &&
                        g_list_model_get_n_items (conns) == 1);
  conn = g_list_model_get_item (conns, 0);
  return conn;   /* the server's list keeps it */
}

static void
live_stop (Live *live)
{
  if (live->client != NULL)
    {
      hb_client_disconnect (live->client);
      hb_assert_eventually (hb_client_get_state (live->client) == HB_CLIENT_DISCONNECTED);
      g_assert_finalize_object (g_steal_pointer (&live->client));
    }
  hb_server_shutdown_async (live->server, 1000, NULL, shutdown_cb, live);
  hb_assert_eventually (live->shut_down);
  g_assert_finalize_object (g_steal_pointer (&live->server));
}

static HbTimelineWindow *
open_for (HbConnection *conn)
{
  return hb_timeline_window_new (NULL, hb_connection_get_timeline (conn), FALSE,
                                 hb_connection_get_socket (conn), "client", "server");
}

static gboolean
has_packet (HbTimelineWindow *win,
            HbTcpPhase        phase,
            const char       *label_part)
{
  GListModel *segments = hb_timeline_window_get_segments (win);

  for (guint i = 0; i < g_list_model_get_n_items (segments); i++)
    {
      HbSegment *seg = segment_at (win, i);

      if (hb_segment_get_packet (seg) != NULL && hb_segment_get_phase (seg) == phase &&
          strstr (hb_segment_get_label (seg), label_part) != NULL)
        return TRUE;
    }
  return FALSE;
}

/* A client's record goes on over reconnections; its timeline shows one
 * connection: opened after a reconnection, the newest one from its own
 * handshake, in the right phases; when the client connects again, a note
 * says so and the old connection's ladder stays as it was. */
static void
test_client_reconnects (void)
{
  Live live = { 0 };
  HbTimelineWindow *win;
  GListModel *segments;
  guint n;

  live_start (&live);
  live_connect (&live, "gus");
  hb_client_disconnect (live.client);
  hb_assert_eventually (hb_client_get_state (live.client) == HB_CLIENT_DISCONNECTED &&
                        g_list_model_get_n_items (hb_server_get_connections (live.server)) == 0);
  hb_client_connect (live.client);
  hb_assert_eventually (hb_client_get_state (live.client) == HB_CLIENT_CONNECTED);

  win = hb_timeline_window_new (NULL, hb_client_get_timeline (live.client), TRUE,
                                hb_client_get_socket (live.client), "gus", "server");
  segments = hb_timeline_window_get_segments (win);
  gtk_window_present (GTK_WINDOW (win));
  hb_assert_eventually (g_list_model_get_n_items (segments) >= 5);   /* SYN, SYN-ACK, ACK, HELLO, WELCOME */
  g_assert_cmpstr (hb_segment_get_label (segment_at (win, 0)), ==, "SYN");
  g_assert_cmpint (hb_segment_get_time (segment_at (win, 0)), ==, 0);
  for (guint i = 0; i < g_list_model_get_n_items (segments); i++)
    {
      HbSegment *seg = segment_at (win, i);

      g_assert_cmpint (hb_segment_get_phase (seg), !=, HB_TCP_PHASE_TEARDOWN);
      g_assert_false (i > 0 && g_strcmp0 (hb_segment_get_label (seg), "SYN") == 0);
    }

  /* Again: the window's connection has ended; the new one is not added. */
  hb_client_disconnect (live.client);
  hb_assert_eventually (hb_client_get_state (live.client) == HB_CLIENT_DISCONNECTED &&
                        g_list_model_get_n_items (hb_server_get_connections (live.server)) == 0);
  hb_client_connect (live.client);
  hb_assert_eventually (hb_client_get_state (live.client) == HB_CLIENT_CONNECTED);
  hb_assert_eventually (hb_segment_is_note (segment_at (win, g_list_model_get_n_items (segments) - 1)));
  n = g_list_model_get_n_items (segments);
  g_assert_cmpstr (hb_segment_get_label (segment_at (win, n - 1)), ==, "connected again");
  g_assert_cmpint (hb_segment_get_phase (segment_at (win, n - 2)), ==, HB_TCP_PHASE_TEARDOWN);
  g_assert_true (hb_client_send_message (live.client, "after"));
  {
    HbTimeline *record = hb_client_get_timeline (live.client);
    const HbTimelineEvent *last = hb_timeline_get_event (record, hb_timeline_get_n_events (record) - 1);

    g_assert_cmpint (last->kind, ==, HB_EVENT_LINE_OUT);   /* recorded, and not shown here */
    g_assert_cmpint (last->verb, ==, HB_VERB_MSG);
  }
  g_assert_cmpuint (g_list_model_get_n_items (segments), ==, n);

  gtk_window_destroy (GTK_WINDOW (win));
  live_stop (&live);
}

static gboolean
conversation_has_fin (HbConversation *conversation)
{
  GPtrArray *packets = hb_conversation_get_packets (conversation);

  for (guint i = 0; i < packets->len; i++)
    if (((HbPacket *) packets->pdata[i])->flags & HB_TCP_FIN)
      return TRUE;
  return FALSE;
}

/* Without the privilege, the window says why and how to grant it, and
 * keeps showing the application's own record. As root, the capture tool
 * is run as nobody to take the privilege away. */
static void
test_capture_denied (void)
{
  Live live = { 0 };
  HbConnection *conn;
  HbTimelineWindow *win;
  HbCaptureSession *session;
  g_autofree char *dir = g_dir_make_tmp ("hb-timeline-XXXXXX", NULL);
  g_autofree char *wrapper = g_build_filename (dir, "unprivileged-cli", NULL);
  g_autofree char *cli = g_strdup (g_getenv ("HB_CLI"));

  g_assert_nonnull (cli);
  if (geteuid () == 0)
    {
      g_autofree char *script = NULL;
      g_autofree char *setpriv = g_find_program_in_path ("setpriv");

      if (setpriv == NULL)
        {
          g_test_skip ("setpriv (util-linux) is needed to drop root for this test");
          g_rmdir (dir);
          return;
        }
      script = g_strdup_printf ("#!/bin/sh\nexec %s --reuid=65534 --regid=65534 --clear-groups "
                                "--inh-caps=-all --bounding-set=-all '%s' \"$@\"\n", setpriv, cli);
      g_assert_true (g_file_set_contents (wrapper, script, -1, NULL));
      g_assert_cmpint (g_chmod (wrapper, 0755), ==, 0);
      g_setenv ("HB_CLI", wrapper, TRUE);
    }

  live_start (&live);
  conn = live_connect (&live, "dora");
  win = open_for (conn);
  gtk_window_present (GTK_WINDOW (win));
  hb_assert_eventually (g_list_model_get_n_items (hb_timeline_window_get_segments (win)) >= 3);

  gtk_widget_activate_action (GTK_WIDGET (win), "win.capture", NULL);
  session = hb_timeline_window_get_capture_session (win);
  g_assert_nonnull (session);
  hb_assert_eventually (hb_capture_session_get_state (session) == HB_CAPTURE_SESSION_FAILED ||
                        hb_capture_session_get_state (session) == HB_CAPTURE_SESSION_RUNNING);
  if (hb_capture_session_get_state (session) == HB_CAPTURE_SESSION_RUNNING)
    {
      /* The tool has the privilege (setcap) and nobody can capture. */
      g_test_skip ("the capture tool is privileged for every user here");
      gtk_widget_activate_action (GTK_WIDGET (win), "win.capture", NULL);
      hb_assert_eventually (hb_capture_session_get_state (session) == HB_CAPTURE_SESSION_STOPPED);
    }
  else
    {
      g_assert_nonnull (strstr (notice (win), "setcap cap_net_raw,cap_net_admin+eip"));
      g_assert_true (g_str_has_prefix (notice (win), "Live capture is not possible"));
      g_assert_false (gtk_toggle_button_get_active (CHILD (win, "capture_button")));
      /* The fallback: the application's record, still live. */
      g_assert_null (hb_segment_get_packet (segment_at (win, 0)));
      g_assert_cmpstr (hb_segment_get_label (segment_at (win, 0)), ==, "SYN");
    }

  gtk_window_destroy (GTK_WINDOW (win));
  live_stop (&live);
  g_setenv ("HB_CLI", cli, TRUE);
  g_unlink (wrapper);
  g_rmdir (dir);
}

static void
test_live_capture (void)
{
  Live live = { 0 };
  HbConnection *conn;
  HbTimelineWindow *win;
  g_autoptr(HbCaptureSession) session = NULL;
  g_autofree char *dir = g_dir_make_tmp ("hb-timeline-XXXXXX", NULL);
  g_autofree char *saved = g_build_filename (dir, "live.pcap", NULL);
  g_autoptr(HbCaptureFile) reread = hb_capture_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *details = NULL;
  guint n;

  live_start (&live);
  /* Capture first, so that the handshake is in it. */
  session = hb_capture_session_get_for_port (live.port);
  hb_capture_session_hold (session);
  hb_capture_session_start (session, "lo");
  hb_assert_eventually (hb_capture_session_get_state (session) != HB_CAPTURE_SESSION_STARTING);
  if (hb_capture_session_get_state (session) != HB_CAPTURE_SESSION_RUNNING)
    {
      g_autofree char *why = g_strdup_printf ("live capture not permitted: %s",
                                              hb_capture_session_get_message (session));

      g_test_skip (why);
      hb_capture_session_release (session);
      live_stop (&live);
      g_rmdir (dir);
      return;
    }

  conn = live_connect (&live, "erin");
  win = open_for (conn);
  gtk_window_present (GTK_WINDOW (win));
  g_assert_true (hb_timeline_window_get_capture_session (win) == session);
  g_assert_true (gtk_toggle_button_get_active (CHILD (win, "capture_button")));

  /* The real segments: the handshake with its options, then heartbeats. */
  hb_assert_eventually (g_list_model_get_n_items (hb_timeline_window_get_segments (win)) >= 3 &&
                        hb_segment_get_packet (segment_at (win, 0)) != NULL);
  g_assert_cmpstr (hb_segment_get_label (segment_at (win, 0)), ==, "SYN");
  g_assert_true (hb_segment_get_from_client (segment_at (win, 0)));
  g_assert_cmpstr (hb_segment_get_label (segment_at (win, 1)), ==, "SYN, ACK");
  g_assert_false (hb_segment_get_from_client (segment_at (win, 1)));
  g_assert_cmpstr (hb_segment_get_label (segment_at (win, 2)), ==, "ACK");
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (hb_segment_get_phase (segment_at (win, i)), ==, HB_TCP_PHASE_HANDSHAKE);
  g_assert_true (g_str_has_prefix (hb_segment_get_info (segment_at (win, 1)), "12001") ||
                 strstr (hb_segment_get_info (segment_at (win, 1)), "[SYN, ACK] Seq=0 Ack=1") != NULL);
  select_row (win, 0);
  details = text_of (CHILD (win, "details_view"));
  g_assert_nonnull (strstr (details, "Maximum segment size"));
  hb_assert_eventually (has_packet (win, HB_TCP_PHASE_DATA, "HELLO") &&
                        has_packet (win, HB_TCP_PHASE_HEARTBEAT, "PING 1") &&
                        has_packet (win, HB_TCP_PHASE_HEARTBEAT, "PONG 1"));

  /* The client says goodbye: FINs, in the teardown. */
  hb_client_disconnect (live.client);
  hb_assert_eventually (has_packet (win, HB_TCP_PHASE_TEARDOWN, "FIN"));
  hb_assert_eventually (hb_client_get_state (live.client) == HB_CLIENT_DISCONNECTED);
  g_assert_finalize_object (g_steal_pointer (&live.client));

  /* What was captured saves as a pcap that reads back the same. */
  n = 0;
  for (guint i = 0; i < g_list_model_get_n_items (hb_timeline_window_get_segments (win)); i++)
    n += hb_segment_get_packet (segment_at (win, i)) != NULL;   /* not the kernel's state notes */
  g_assert_true (hb_timeline_window_save_packets (win, saved, &error));
  g_assert_no_error (error);
  g_assert_true (hb_capture_file_load (reread, saved, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (hb_capture_file_get_packets (reread)->len, ==, n);

  /* The capture stops when the last window lets go. */
  gtk_window_destroy (GTK_WINDOW (win));
  hb_capture_session_release (session);
  hb_assert_eventually (hb_capture_session_get_state (session) == HB_CAPTURE_SESSION_STOPPED);
  live_stop (&live);
  g_unlink (saved);
  g_rmdir (dir);
}

#define find_timeline_window() HB_TIMELINE_WINDOW (hb_test_find_window (HB_TYPE_TIMELINE_WINDOW))

/* Capture switched on in the server window before a client connects:
 * that client's timeline starts with its real handshake. */
static void
test_server_window_capture (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(HbCaptureSession) session = NULL;
  g_autoptr(HbClient) client = NULL;
  HbServerWindow *server_win;
  HbServer *server;
  HbTimelineWindow *tl;
  GtkSelectionModel *rows;

  g_settings_set_uint (settings, "interval-ms", 300);
  g_settings_set_uint (settings, "timeout-ms", 2000);
  g_settings_set_uint (settings, "port", 0);
  server_win = hb_server_window_new (NULL);
  gtk_window_present (GTK_WINDOW (server_win));
  g_assert_true (hb_server_window_start (server_win));
  server = hb_server_window_get_server (server_win);

  gtk_widget_activate_action (GTK_WIDGET (server_win), "win.capture", NULL);
  session = hb_capture_session_get_for_port (hb_server_get_port (server));
  hb_assert_eventually (hb_capture_session_get_state (session) != HB_CAPTURE_SESSION_STARTING);
  if (hb_capture_session_get_state (session) != HB_CAPTURE_SESSION_RUNNING)
    {
      /* Said in the window, the way a user would read it. */
      g_assert_true (gtk_revealer_get_reveal_child (hb_test_child (server_win, HB_TYPE_SERVER_WINDOW,
                                                                   "error_revealer")));
      /* And nothing was captured to show. */
      gtk_widget_activate_action (GTK_WIDGET (server_win), "win.show-captured", NULL);
      g_assert_cmpstr (gtk_label_get_text (hb_test_child (server_win, HB_TYPE_SERVER_WINDOW, "error_label")), ==,
                       "Nothing has been captured yet: press Capture, then let clients connect.");
      g_test_skip ("live capture not permitted here");
      gtk_window_destroy (GTK_WINDOW (server_win));
      return;
    }
  g_assert_true (gtk_toggle_button_get_active (hb_test_child (server_win, HB_TYPE_SERVER_WINDOW, "capture_button")));
  g_assert_nonnull (strstr (gtk_label_get_text (hb_test_child (server_win, HB_TYPE_SERVER_WINDOW, "status_label")),
                            "capturing packets"));

  client = hb_client_new ("127.0.0.1", hb_server_get_port (server), "fay");
  hb_client_connect (client);
  hb_assert_eventually (g_list_model_get_n_items (hb_server_get_connections (server)) == 1);

  rows = gtk_column_view_get_model (hb_test_child (server_win, HB_TYPE_SERVER_WINDOW, "column_view"));
  hb_assert_eventually (g_list_model_get_n_items (G_LIST_MODEL (rows)) == 1);
  gtk_selection_model_select_item (rows, 0, TRUE);
  gtk_widget_activate_action (GTK_WIDGET (server_win), "win.show-timeline", NULL);
  tl = find_timeline_window ();
  g_assert_nonnull (tl);
  g_assert_true (hb_timeline_window_get_capture_session (tl) == session);
  hb_assert_eventually (g_list_model_get_n_items (hb_timeline_window_get_segments (tl)) >= 3 &&
                        hb_segment_get_packet (segment_at (tl, 0)) != NULL);
  g_assert_cmpstr (hb_segment_get_label (segment_at (tl, 0)), ==, "SYN");
  g_assert_cmpstr (hb_segment_get_label (segment_at (tl, 1)), ==, "SYN, ACK");
  g_assert_cmpstr (notice (tl), ==, "");

  /* Switched off in the server window: off for every window. */
  gtk_widget_activate_action (GTK_WIDGET (server_win), "win.capture", NULL);
  hb_assert_eventually (hb_capture_session_get_state (session) == HB_CAPTURE_SESSION_STOPPED);
  hb_assert_eventually (!gtk_toggle_button_get_active (CHILD (tl, "capture_button")));
  g_assert_false (gtk_toggle_button_get_active (hb_test_child (server_win, HB_TYPE_SERVER_WINDOW, "capture_button")));

  /* On again: the timeline takes up the new capture of its connection
   * (no handshake in it this time, and it says so). */
  gtk_widget_activate_action (GTK_WIDGET (server_win), "win.capture", NULL);
  hb_assert_eventually (hb_capture_session_get_state (session) == HB_CAPTURE_SESSION_RUNNING);
  g_assert_true (gtk_toggle_button_get_active (hb_test_child (server_win, HB_TYPE_SERVER_WINDOW, "capture_button")));
  hb_assert_eventually (hb_segment_get_packet (segment_at (tl, 0)) != NULL &&
                        g_strcmp0 (hb_segment_get_label (segment_at (tl, 0)), "SYN") != 0);
  g_assert_nonnull (strstr (notice (tl), "handshake is not in it"));
  /* Arrows still go the right way: the capture knows the server's port,
   * whoever spoke first (here, most often the server's PING). */
  hb_assert_eventually (g_list_model_get_n_items (hb_timeline_window_get_segments (tl)) >= 2);
  for (guint i = 0; i < g_list_model_get_n_items (hb_timeline_window_get_segments (tl)); i++)
    {
      HbPacket *packet = hb_segment_get_packet (segment_at (tl, i));

      if (packet != NULL)
        g_assert_true (hb_segment_get_from_client (segment_at (tl, i)) ==
                       (packet->dst_port == hb_server_get_port (server)));
    }
  gtk_widget_activate_action (GTK_WIDGET (server_win), "win.capture", NULL);
  hb_assert_eventually (hb_capture_session_get_state (session) == HB_CAPTURE_SESSION_STOPPED);
  g_assert_false (gtk_toggle_button_get_active (hb_test_child (server_win, HB_TYPE_SERVER_WINDOW, "capture_button")));

  /* Started from the timeline: the server window's button says so too,
   * and switches it off for both. */
  gtk_widget_activate_action (GTK_WIDGET (tl), "win.capture", NULL);
  hb_assert_eventually (hb_capture_session_get_state (session) == HB_CAPTURE_SESSION_RUNNING);
  hb_assert_eventually (gtk_toggle_button_get_active (hb_test_child (server_win, HB_TYPE_SERVER_WINDOW,
                                                                     "capture_button")));

  /* A client comes and goes while capturing: its row is gone, its
   * captured connection is not. */
  {
    g_autoptr(HbClient) gil = hb_client_new ("127.0.0.1", hb_server_get_port (server), "gil");
    HbTimelineWindow *all = NULL;
    g_autofree char *title = g_strdup_printf ("Timeline: everything captured on port %u", hb_server_get_port (server));
    GtkDropDown *dropdown;

    hb_client_connect (gil);
    hb_assert_eventually (g_list_model_get_n_items (hb_server_get_connections (server)) == 2);
    hb_client_disconnect (gil);
    hb_assert_eventually (hb_client_get_state (gil) == HB_CLIENT_DISCONNECTED &&
                          g_list_model_get_n_items (hb_server_get_connections (server)) == 1);
    hb_assert_eventually (hb_capture_session_get_conversations (session)->len == 2 &&
                          (conversation_has_fin (hb_capture_session_get_conversations (session)->pdata[0]) ||
                           conversation_has_fin (hb_capture_session_get_conversations (session)->pdata[1])));
    gtk_widget_activate_action (GTK_WIDGET (server_win), "win.show-captured", NULL);
    for (GList *l = gtk_window_list_toplevels (); l != NULL; l = g_list_delete_link (l, l))
      if (HB_IS_TIMELINE_WINDOW (l->data) && l->data != (gpointer) tl)
        all = l->data;
    g_assert_nonnull (all);
    g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (all)), ==, title);
    hb_assert_eventually (!hb_timeline_window_get_loading (all));
    g_test_message ("Captured Connections… says: %s", notice (all));
    g_assert_nonnull (strstr (notice (all), "The capture holds 2 TCP connections"));
    dropdown = CHILD (all, "conversation_dropdown");
    g_assert_cmpuint (g_list_model_get_n_items (gtk_drop_down_get_model (dropdown)), ==, 2);
    choose_conversation (all, 0);
    if (!has_packet (all, HB_TCP_PHASE_TEARDOWN, "FIN"))
      choose_conversation (all, 1);
    g_assert_true (has_packet (all, HB_TCP_PHASE_TEARDOWN, "FIN"));
    /* It is a live capture, not a file the user opened, and the roles
     * come from the server's port: the client is the ephemeral end,
     * whoever's packet came first. */
    g_assert_nonnull (strstr (gtk_label_get_text (CHILD (all, "status_label")), "from the live capture"));
    g_assert_null (strstr (gtk_label_get_text (CHILD (all, "status_label")), "capture file"));
    {
      g_autofree char *server_end = g_strdup_printf ("127.0.0.1:%u", hb_server_get_port (server));
      HbLadder *ladder = CHILD (all, "ladder");

      g_assert_nonnull (strstr (hb_ladder_get_server_label (ladder), server_end));
      g_assert_null (strstr (hb_ladder_get_client_label (ladder), server_end));
    }
    for (guint i = 0; i < g_list_model_get_n_items (hb_timeline_window_get_segments (all)); i++)
      {
        HbPacket *packet = hb_segment_get_packet (segment_at (all, i));

        if (packet != NULL)
          g_assert_true (hb_segment_get_from_client (segment_at (all, i)) ==
                         (packet->dst_port == hb_server_get_port (server)));
      }
    gtk_window_destroy (GTK_WINDOW (all));
  }

  gtk_widget_activate_action (GTK_WIDGET (server_win), "win.capture", NULL);
  hb_assert_eventually (hb_capture_session_get_state (session) == HB_CAPTURE_SESSION_STOPPED);
  hb_assert_eventually (!gtk_toggle_button_get_active (CHILD (tl, "capture_button")));

  hb_client_disconnect (client);
  hb_assert_eventually (hb_client_get_state (client) == HB_CLIENT_DISCONNECTED);
  gtk_window_destroy (GTK_WINDOW (tl));
  gtk_window_destroy (GTK_WINDOW (server_win));
}

/* A ladder left open for days keeps its newest rows only, and the row
 * the user selected stays selected, in the table and on the ladder, while
 * older rows go. */
static void
test_bounded (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hb-timeline-XXXXXX", NULL);
  g_autofree char *path = write_two_conversations (dir);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  HbTimelineWindow *win = open_file (file);
  HbSegmentModel *store = HB_SEGMENT_MODEL (hb_timeline_window_get_segments (win));
  GtkSelectionModel *table = gtk_column_view_get_model (CHILD (win, "table"));
  guint total = HB_SEGMENTS_MAX + HB_SEGMENTS_MAX / 2;
  guint start = g_list_model_get_n_items (G_LIST_MODEL (store));
  g_autoptr(HbSegment) newest = NULL;
  g_autoptr(HbSegment) in_table = NULL;
  g_autoptr(HbSegment) on_ladder = NULL;

  for (guint i = start; i < total; i++)
    {
      g_autoptr(HbSegment) seg = hb_segment_new (i, i % 2, HB_TCP_PHASE_HEARTBEAT, "PING");

      hb_segment_model_append (store, seg);
      if (i == HB_SEGMENTS_MAX - 1)
        select_row (win, i);
    }
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), <=, HB_SEGMENTS_MAX);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), >=, HB_SEGMENTS_MAX * 8 / 10);
  newest = g_list_model_get_item (G_LIST_MODEL (store), g_list_model_get_n_items (G_LIST_MODEL (store)) - 1);
  g_assert_cmpint (hb_segment_get_time (newest), ==, total - 1);
  in_table = g_list_model_get_item (G_LIST_MODEL (store),
                                    gtk_single_selection_get_selected (GTK_SINGLE_SELECTION (table)));
  on_ladder = g_list_model_get_item (G_LIST_MODEL (store),
                                     (guint) hb_ladder_get_selected (CHILD (win, "ladder")));
  g_assert_cmpint (hb_segment_get_time (in_table), ==, HB_SEGMENTS_MAX - 1);
  g_assert_true (on_ladder == in_table);

  gtk_window_destroy (GTK_WINDOW (win));
  g_unlink (path);
  g_rmdir (dir);
}

/* Whether @row of the ladder is in its scrolled window's view. */
static gboolean
ladder_shows_row (HbTimelineWindow *win,
                  guint             row)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (CHILD (win, "ladder_scroller"));
  HbLadder *ladder = CHILD (win, "ladder");
  guint n = g_list_model_get_n_items (hb_timeline_window_get_segments (win));
  double rh = (double) gtk_widget_get_height (GTK_WIDGET (ladder)) / (n + 2);  /* about a row */
  double y = (double) gtk_widget_get_height (GTK_WIDGET (ladder)) * row / n;

  return y + rh >= gtk_adjustment_get_value (adj) &&
         y - rh <= gtk_adjustment_get_value (adj) + gtk_adjustment_get_page_size (adj);
}

/* Where the ladder's top is drawn in its scrolled window. */
static double
ladder_origin (HbTimelineWindow *win)
{
  double x = 0, y = 0;

  gtk_widget_translate_coordinates (GTK_WIDGET (CHILD (win, "ladder")), GTK_WIDGET (CHILD (win, "ladder_scroller")),
                                    0, 0, &x, &y);
  return y;
}

/* A live window opens at its newest rows and really shows them: the
 * ladder is placed where the scroll bar says (following the end once
 * scrolled while the viewport was placing the ladder, which left it at
 * the top with the end out of reach). */
static void
test_opens_at_end (void)
{
  g_autoptr(HbTimeline) record = hb_timeline_new (1000);
  HbTimelineWindow *win;
  GtkAdjustment *adj;
  guint n;

  hb_timeline_append (record, HB_EVENT_CONNECT, HB_VERB_UNKNOWN, 0, 0, HB_INITIATOR_PEER);
  for (guint i = 0; i < 200; i++)
    hb_timeline_append (record, i % 2 ? HB_EVENT_LINE_IN : HB_EVENT_LINE_OUT, i % 2 ? HB_VERB_PONG : HB_VERB_PING,
                        i / 2, 7, HB_INITIATOR_LOCAL);
  win = hb_timeline_window_new (NULL, record, FALSE, NULL, "client", "server");
  adj = gtk_scrolled_window_get_vadjustment (CHILD (win, "ladder_scroller"));
  n = g_list_model_get_n_items (hb_timeline_window_get_segments (win));
  gtk_window_present (GTK_WINDOW (win));
  hb_assert_eventually (gtk_adjustment_get_value (adj) > 0 &&
                        gtk_adjustment_get_value (adj) ==
                          gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj) &&
                        ladder_origin (win) == -gtk_adjustment_get_value (adj) &&
                        ladder_shows_row (win, n - 1));
  gtk_window_destroy (GTK_WINDOW (win));
}

/* A click on the ladder as its own click gesture takes it: @row's arrow. */
static void
click_ladder (HbLadder *ladder,
              int       row)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (ladder));
  gboolean clicked = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers) && !clicked; i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_GESTURE_CLICK (controller))
        {
          g_signal_emit_by_name (controller, "pressed", 1, 100.0, hb_ladder_get_row_y (ladder, row));
          clicked = TRUE;
        }
    }
  g_assert_true (clicked);
}

/* The ladder and the table share one selection: a click on an arrow
 * selects its row in the table, a row chosen in the table is the one the
 * ladder highlights, and either explains it. */
static void
test_one_selection (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hb-timeline-XXXXXX", NULL);
  g_autofree char *path = write_two_conversations (dir);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  HbTimelineWindow *win = open_file (file);
  GtkSingleSelection *table = GTK_SINGLE_SELECTION (gtk_column_view_get_model (CHILD (win, "table")));
  HbLadder *ladder = CHILD (win, "ladder");
  g_autofree char *details = NULL;

  g_assert_true (hb_ladder_get_model (ladder) == GTK_SELECTION_MODEL (table));
  gtk_window_present (GTK_WINDOW (win));
  hb_assert_eventually (gtk_widget_get_height (GTK_WIDGET (ladder)) > hb_ladder_get_row_y (ladder, 4));
  g_assert_cmpuint (gtk_single_selection_get_selected (table), ==, GTK_INVALID_LIST_POSITION);
  g_assert_cmpint (hb_ladder_get_selected (ladder), ==, -1);

  /* The SYN, ACK clicked on the ladder is the table's row. */
  click_ladder (ladder, 1);
  g_assert_cmpuint (gtk_single_selection_get_selected (table), ==, 1);
  g_assert_cmpint (hb_ladder_get_selected (ladder), ==, 1);
  details = text_of (CHILD (win, "details_view"));
  g_assert_nonnull (strstr (details, "Flags: 0x012 (SYN, ACK)"));

  /* A row chosen in the table is the arrow the ladder highlights. */
  select_row (win, 3);
  g_assert_cmpint (hb_ladder_get_selected (ladder), ==, 3);
  g_clear_pointer (&details, g_free);
  details = text_of (CHILD (win, "details_view"));
  g_assert_nonnull (strstr (details, "Sequence number: 1 (relative; raw 1001)"));

  /* Unselected in the table, nothing is highlighted; clicked again, the
   * first arrow is; unselected on the ladder, nothing in the table. */
  gtk_selection_model_unselect_item (GTK_SELECTION_MODEL (table), 3);
  g_assert_cmpint (hb_ladder_get_selected (ladder), ==, -1);
  click_ladder (ladder, 0);
  g_assert_cmpuint (gtk_single_selection_get_selected (table), ==, 0);
  hb_ladder_set_selected (ladder, -1);
  g_assert_cmpuint (gtk_single_selection_get_selected (table), ==, GTK_INVALID_LIST_POSITION);

  gtk_window_destroy (GTK_WINDOW (win));
  g_unlink (path);
  g_rmdir (dir);
}

/* The ladder driven by keys (Down, End, Home, Page Down), and the table
 * and the ladder scroll to what the other selected. */
static void
test_keyboard (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hb-timeline-XXXXXX", NULL);
  g_autofree char *path = write_two_conversations (dir);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  HbTimelineWindow *win = open_file (file);
  HbSegmentModel *store = HB_SEGMENT_MODEL (hb_timeline_window_get_segments (win));
  GtkSingleSelection *table = GTK_SINGLE_SELECTION (gtk_column_view_get_model (CHILD (win, "table")));
  GtkAdjustment *table_adj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (CHILD (win, "table")));
  GtkAdjustment *ladder_adj = gtk_scrolled_window_get_vadjustment (CHILD (win, "ladder_scroller"));
  HbLadder *ladder = CHILD (win, "ladder");
  guint n = 400;

  for (guint i = g_list_model_get_n_items (G_LIST_MODEL (store)); i < n; i++)
    {
      g_autoptr(HbSegment) seg = hb_segment_new (i * 1000, i % 2, HB_TCP_PHASE_HEARTBEAT, "PING");

      hb_segment_model_append (store, seg);
    }
  gtk_window_present (GTK_WINDOW (win));
  hb_assert_eventually (gtk_adjustment_get_upper (ladder_adj) > 10 * gtk_adjustment_get_page_size (ladder_adj) &&
                        gtk_adjustment_get_page_size (ladder_adj) > 0 &&
                        gtk_adjustment_get_upper (table_adj) > gtk_adjustment_get_page_size (table_adj));
  gtk_widget_grab_focus (GTK_WIDGET (ladder));

  /* A file opens at its start. */
  g_assert_cmpfloat (gtk_adjustment_get_value (ladder_adj), ==, 0);
  g_assert_cmpfloat (ladder_origin (win), ==, 0);

  /* Down with nothing selected starts at the first row. */
  gtk_widget_activate_action (GTK_WIDGET (ladder), "ladder.move", "i", 1);
  g_assert_cmpint (hb_ladder_get_selected (ladder), ==, 0);
  g_assert_cmpuint (gtk_single_selection_get_selected (table), ==, 0);

  /* End: the last row, selected in both, and both scrolled to it. */
  gtk_widget_activate_action (GTK_WIDGET (ladder), "ladder.move", "i", G_MAXINT32);
  g_assert_cmpint (hb_ladder_get_selected (ladder), ==, n - 1);
  g_assert_cmpuint (gtk_single_selection_get_selected (table), ==, n - 1);
  hb_assert_eventually (ladder_shows_row (win, n - 1));
  /* ... and really shows it: the ladder is placed where the scroll bar
   * says (it once stayed behind, its end unreachable). */
  hb_assert_eventually (gtk_adjustment_get_value (ladder_adj) ==
                          gtk_adjustment_get_upper (ladder_adj) - gtk_adjustment_get_page_size (ladder_adj) &&
                        ladder_origin (win) == -gtk_adjustment_get_value (ladder_adj));
  hb_assert_eventually (gtk_adjustment_get_value (table_adj) >=
                        gtk_adjustment_get_upper (table_adj) - 2 * gtk_adjustment_get_page_size (table_adj));

  /* At the end with a row chosen, new rows come below it and the chosen
   * row stays where it is, in the ladder and the table alike. */
  {
    double value = gtk_adjustment_get_value (ladder_adj);
    double table_value = gtk_adjustment_get_value (table_adj);

    for (guint i = n; i < n + 200; i++)
      {
        g_autoptr(HbSegment) seg = hb_segment_new (i * 1000, i % 2, HB_TCP_PHASE_HEARTBEAT, "PING");

        hb_segment_model_append (store, seg);
      }
    hb_assert_eventually (gtk_adjustment_get_upper (ladder_adj) > value + 3 * gtk_adjustment_get_page_size (ladder_adj));
    /* The ladder follows in an idle after the frame that made it taller. */
    hb_test_await_frames (ladder, 3);
    hb_test_run_pending ();
    hb_test_await_frames (ladder, 2);
    g_assert_cmpuint (gtk_single_selection_get_selected (table), ==, n - 1);
    g_assert_cmpfloat (gtk_adjustment_get_value (ladder_adj), ==, value);
    g_assert_cmpfloat (gtk_adjustment_get_value (table_adj), ==, table_value);
    g_assert_true (ladder_shows_row (win, n - 1));
    n += 200;
  }

  /* At the end with nothing chosen, it follows new rows, and again
   * really shows them; so does the table. */
  gtk_widget_activate_action (GTK_WIDGET (ladder), "ladder.move", "i", G_MAXINT32);
  hb_assert_eventually (ladder_shows_row (win, n - 1));
  hb_ladder_set_selected (ladder, -1);
  g_assert_cmpuint (gtk_single_selection_get_selected (table), ==, GTK_INVALID_LIST_POSITION);
  for (guint i = n; i < n + 40; i++)
    {
      g_autoptr(HbSegment) seg = hb_segment_new (i * 1000, i % 2, HB_TCP_PHASE_HEARTBEAT, "PING");

      hb_segment_model_append (store, seg);
    }
  n += 40;
  hb_assert_eventually (ladder_shows_row (win, n - 1) &&
                        gtk_adjustment_get_value (ladder_adj) ==
                          gtk_adjustment_get_upper (ladder_adj) - gtk_adjustment_get_page_size (ladder_adj) &&
                        ladder_origin (win) == -gtk_adjustment_get_value (ladder_adj));
  hb_assert_eventually (gtk_adjustment_get_value (table_adj) >=
                        gtk_adjustment_get_upper (table_adj) - 1.5 * gtk_adjustment_get_page_size (table_adj));

  /* Home: back to the top of both. */
  gtk_widget_activate_action (GTK_WIDGET (ladder), "ladder.move", "i", -G_MAXINT32);
  g_assert_cmpint (hb_ladder_get_selected (ladder), ==, 0);
  hb_assert_eventually (gtk_adjustment_get_value (ladder_adj) == 0 && gtk_adjustment_get_value (table_adj) == 0);

  /* Given the focus in the middle (a click), the ladder stays where it is. */
  select_row (win, n / 3);
  hb_assert_eventually (ladder_shows_row (win, n / 3) &&
                        ladder_origin (win) == -gtk_adjustment_get_value (ladder_adj));
  {
    double value = gtk_adjustment_get_value (ladder_adj);

    g_assert_cmpfloat (value, >, 0);
    gtk_widget_grab_focus (GTK_WIDGET (CHILD (win, "table")));
    gtk_widget_grab_focus (GTK_WIDGET (ladder));
    /* A scroll would come with the next frame; give it three. */
    hb_test_await_frames (ladder, 3);
    g_assert_cmpfloat (gtk_adjustment_get_value (ladder_adj), ==, value);
  }
  gtk_widget_activate_action (GTK_WIDGET (ladder), "ladder.move", "i", -G_MAXINT32);

  /* Page Down moves by what a page shows, more than one row. */
  gtk_widget_activate_action (GTK_WIDGET (ladder), "ladder.move", "i", G_MAXINT32 - 1);
  g_assert_cmpint (hb_ladder_get_selected (ladder), >, 3);
  g_assert_cmpint (hb_ladder_get_selected (ladder), <, n / 2);

  /* A row chosen in the table brings the ladder to it. */
  select_row (win, n / 2);
  g_assert_cmpint (hb_ladder_get_selected (ladder), ==, n / 2);
  hb_assert_eventually (ladder_shows_row (win, n / 2) &&
                        ladder_origin (win) == -gtk_adjustment_get_value (ladder_adj));
  g_assert_false (ladder_shows_row (win, 0));

  gtk_window_destroy (GTK_WINDOW (win));
  g_unlink (path);
  g_rmdir (dir);
}

/* ---------------------------------------------------------------------- */
/* The lab's protocol, from the application's own record                   */

static HbSegment *
find_label (HbTimelineWindow *win,
            const char       *label,
            guint            *row)
{
  GListModel *segments = hb_timeline_window_get_segments (win);

  for (guint i = 0; i < g_list_model_get_n_items (segments); i++)
    if (g_strcmp0 (hb_segment_get_label (segment_at (win, i)), label) == 0)
      {
        if (row != NULL)
          *row = i;
        return segment_at (win, i);
      }
  return NULL;
}

static guint
count_label (HbTimelineWindow *win,
             const char       *label)
{
  GListModel *segments = hb_timeline_window_get_segments (win);
  guint n = 0;

  for (guint i = 0; i < g_list_model_get_n_items (segments); i++)
    n += g_strcmp0 (hb_segment_get_label (segment_at (win, i)), label) == 0;
  return n;
}

/* Writes @text from the peer and waits until the server has read it all. */
static void
peer_write (HbConnection      *conn,
            GSocketConnection *peer,
            const char        *text)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (peer));
  guint64 before = hb_connection_get_bytes_in (conn);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_output_stream_write_all (out, text, strlen (text), NULL, NULL, &error));
  g_assert_no_error (error);
  hb_assert_eventually (hb_connection_get_bytes_in (conn) == before + strlen (text));
}

static const char *
explanation (HbTimelineWindow *win)
{
  return gtk_label_get_text (CHILD (win, "explanation_label"));
}

/* A server in the lab's protocol and a peer that writes raw bytes as a
 * student's client does: the ladder names each read by what it held, and
 * a read that glued an ack to a message, or held half of one, explains
 * message boundaries. */
static void
test_lab_reads (void)
{
  Live live = { 0 };
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr(GSocketConnection) peer = NULL;
  g_autoptr(HbConnection) conn = NULL;
  g_autoptr(GError) error = NULL;
  HbTimelineWindow *win;
  HbSegment *seg;
  guint row = 0;

  live.server = g_object_new (HB_TYPE_SERVER, "port", 0, "protocol", HB_PROTOCOL_LAB,
                              "interval-ms", 600000, "timeout-ms", 1200000, NULL);
  g_assert_true (hb_server_start (live.server, NULL));
  live.port = hb_server_get_port (live.server);
  peer = g_socket_client_connect_to_host (socket_client, "127.0.0.1", live.port, NULL, &error);
  g_assert_no_error (error);
  hb_assert_eventually (g_list_model_get_n_items (hb_server_get_connections (live.server)) == 1);
  conn = g_list_model_get_item (hb_server_get_connections (live.server), 0);

  win = open_for (conn);
  gtk_window_present (GTK_WINDOW (win));
  g_assert_true (hb_server_beat_now (live.server, hb_connection_get_id (conn), NULL));
  hb_assert_eventually (find_label (win, "heartbeat", NULL) != NULL);
  peer_write (conn, peer, "heartbeat ack");
  peer_write (conn, peer, "heartbeat ack123");
  peer_write (conn, peer, "123");
  peer_write (conn, peer, "heart");
  peer_write (conn, peer, "beat ack");
  g_assert_true (hb_server_send (live.server, hb_connection_get_id (conn), "456"));
  /* "123" read, "456" written. */
  hb_assert_eventually (count_label (win, "message, 3 bytes") == 2);

  /* The server's heartbeat: the bytes it wrote, in the heartbeat phase. */
  seg = find_label (win, "heartbeat", NULL);
  g_assert_false (hb_segment_get_from_client (seg));
  g_assert_cmpint (hb_segment_get_phase (seg), ==, HB_TCP_PHASE_HEARTBEAT);
  g_assert_cmpstr (hb_segment_get_info (seg), ==, "One write of 9 bytes: heartbeat");
  g_assert_cmpstr (hb_segment_get_protocol (seg), ==, "Lab");
  g_assert_cmpuint (hb_segment_get_length (seg), ==, 9);

  /* The ack alone: a heartbeat; its lesson is the lab's heartbeat. */
  seg = find_label (win, "heartbeat ack", &row);
  g_assert_true (hb_segment_get_from_client (seg));
  g_assert_cmpint (hb_segment_get_phase (seg), ==, HB_TCP_PHASE_HEARTBEAT);
  g_assert_cmpstr (hb_segment_get_info (seg), ==, "One read returned 13 bytes: heartbeat ack");
  select_row (win, row);
  g_assert_true (g_str_has_prefix (explanation (win), "Heartbeat. In the lab's protocol"));

  /* Glued: data, named for what it held, and the lesson on boundaries. */
  seg = find_label (win, "heartbeat ack + message (2 in one read)", &row);
  g_assert_nonnull (seg);
  g_assert_true (hb_segment_get_from_client (seg));
  g_assert_cmpint (hb_segment_get_phase (seg), ==, HB_TCP_PHASE_DATA);
  g_assert_cmpuint (hb_segment_get_length (seg), ==, 16);
  select_row (win, row);
  g_assert_true (g_str_has_prefix (explanation (win),
                                   "One read returned 16 bytes: heartbeat ack + message (2 in one read).\n\n"
                                   "TCP is a byte stream and keeps no message boundaries (粘包/拆包)."));
  g_assert_nonnull (strstr (explanation (win), "One send() may arrive in several recv()s"));
  g_assert_nonnull (strstr (explanation (win), "ends each message with LF"));
  g_assert_nonnull (strstr (explanation (win), "keep what it receives in a buffer"));
  {
    g_autofree char *details = text_of (CHILD (win, "details_view"));

    g_assert_true (g_str_has_prefix (details, "This row comes from the application's own record: one read"));
  }

  /* A message alone; an ack in two reads. */
  seg = find_label (win, "message, 3 bytes", &row);
  g_assert_true (hb_segment_get_from_client (seg));
  g_assert_cmpstr (hb_segment_get_info (seg), ==, "One read: message, 3 bytes");
  g_assert_cmpint (hb_segment_get_phase (seg), ==, HB_TCP_PHASE_DATA);
  select_row (win, row);
  g_assert_true (g_str_has_prefix (explanation (win), "Data. In the lab's protocol"));
  seg = find_label (win, "5 bytes (start of an ack?)", &row);
  g_assert_nonnull (seg);
  select_row (win, row);
  g_assert_true (g_str_has_prefix (explanation (win), "One read: 5 bytes (start of an ack?).\n\n"
                                                      "TCP is a byte stream"));
  seg = find_label (win, "heartbeat ack (split across reads)", &row);
  g_assert_cmpint (hb_segment_get_phase (seg), ==, HB_TCP_PHASE_HEARTBEAT);
  select_row (win, row);
  g_assert_nonnull (strstr (explanation (win), "粘包/拆包"));

  gtk_window_destroy (GTK_WINDOW (win));
  g_io_stream_close (G_IO_STREAM (peer), NULL, NULL);
  g_clear_object (&conn);
  live_stop (&live);
}

/* A live capture of a connection in the lab's protocol is read with that
 * server's own heartbeat and ack, not the defaults. */
static void
test_lab_live_capture (void)
{
  Live live = { 0 };
  g_autoptr(GBytes) heartbeat = g_bytes_new_static ("hb", 2);
  g_autoptr(GBytes) ack = g_bytes_new_static ("hb-ok", 5);
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr(GSocketConnection) peer = NULL;
  g_autoptr(HbConnection) conn = NULL;
  g_autoptr(HbCaptureSession) session = NULL;
  HbTimelineWindow *win;
  guint row = G_MAXUINT;

  live.server = g_object_new (HB_TYPE_SERVER, "port", 0, "protocol", HB_PROTOCOL_LAB, "heartbeat", heartbeat,
                              "ack", ack, "interval-ms", 600000, "timeout-ms", 1200000, NULL);
  g_assert_true (hb_server_start (live.server, NULL));
  live.port = hb_server_get_port (live.server);
  session = hb_capture_session_get_for_port (live.port);
  hb_capture_session_hold (session);
  hb_capture_session_start (session, "lo");
  hb_assert_eventually (hb_capture_session_get_state (session) != HB_CAPTURE_SESSION_STARTING);
  if (hb_capture_session_get_state (session) != HB_CAPTURE_SESSION_RUNNING)
    {
      g_autofree char *why = g_strdup_printf ("live capture not permitted: %s",
                                              hb_capture_session_get_message (session));

      g_test_skip (why);
      hb_capture_session_release (session);
      live_stop (&live);
      return;
    }

  peer = g_socket_client_connect_to_host (socket_client, "127.0.0.1", live.port, NULL, NULL);
  g_assert_nonnull (peer);
  hb_assert_eventually (g_list_model_get_n_items (hb_server_get_connections (live.server)) == 1);
  conn = g_list_model_get_item (hb_server_get_connections (live.server), 0);
  win = open_for (conn);
  gtk_window_present (GTK_WINDOW (win));
  g_assert_true (hb_timeline_window_get_capture_session (win) == session);

  g_assert_true (hb_server_beat_now (live.server, hb_connection_get_id (conn), NULL));
  peer_write (conn, peer, "hb-ok");
  peer_write (conn, peer, "hb-ok123");
  hb_assert_eventually (has_packet (win, HB_TCP_PHASE_HEARTBEAT, "Len=2  hb") &&
                        has_packet (win, HB_TCP_PHASE_HEARTBEAT, "Len=5  hb-ok") &&
                        has_packet (win, HB_TCP_PHASE_DATA, "Len=8  hb-ok123"));
  for (guint i = 0; i < g_list_model_get_n_items (hb_timeline_window_get_segments (win)); i++)
    if (g_str_has_suffix (hb_segment_get_label (segment_at (win, i)), "Len=8  hb-ok123"))
      row = i;
  select_row (win, row);
  g_assert_true (g_str_has_prefix (explanation (win), "This segment holds hb-ok + message (2 in one segment).\n\n"
                                                      "TCP is a byte stream and keeps no message boundaries"));

  gtk_window_destroy (GTK_WINDOW (win));
  hb_capture_session_release (session);
  g_io_stream_close (G_IO_STREAM (peer), NULL, NULL);
  g_clear_object (&conn);
  live_stop (&live);
}

/* The same, built by hand as a client's record: reads hold heartbeats,
 * writes are acks, and raw TCP has only bytes. */
static void
test_lab_client_record (void)
{
  g_autoptr(HbTimeline) record = hb_timeline_new (64);
  g_autoptr(GBytes) heartbeat = g_bytes_new_static ("心跳", strlen ("心跳"));
  g_autoptr(GBytes) ack = g_bytes_new_static ("ok\x01", 3);
  HbChunkInfo glued = { 1, 1, 1, 0, 0 };
  HbTimelineWindow *win;
  guint row = 0;

  hb_timeline_set_protocol (record, HB_PROTOCOL_LAB);
  hb_timeline_set_patterns (record, heartbeat, ack, HB_ENCODING_UTF8);
  hb_timeline_append (record, HB_EVENT_CONNECT, HB_VERB_UNKNOWN, 0, 0, HB_INITIATOR_LOCAL);
  hb_timeline_append (record, HB_EVENT_DATA_IN, HB_VERB_UNKNOWN, 9, hb_chunk_info_pack (&glued), HB_INITIATOR_PEER);
  hb_timeline_append (record, HB_EVENT_LINE_OUT, HB_VERB_PONG, 3, 1, HB_INITIATOR_LOCAL);
  hb_timeline_append (record, HB_EVENT_LINE_OUT, HB_VERB_MSG, 5, 0, HB_INITIATOR_LOCAL);
  win = hb_timeline_window_new (NULL, record, TRUE, NULL, "client", "server");
  gtk_window_present (GTK_WINDOW (win));

  g_assert_nonnull (find_label (win, "心跳 + message (2 in one read)", &row));
  g_assert_false (hb_segment_get_from_client (segment_at (win, row)));
  /* The ack's control character shown, not sent to the screen. */
  g_assert_nonnull (find_label (win, "ok\\x01", &row));
  g_assert_true (hb_segment_get_from_client (segment_at (win, row)));
  g_assert_cmpint (hb_segment_get_phase (segment_at (win, row)), ==, HB_TCP_PHASE_HEARTBEAT);
  g_assert_nonnull (find_label (win, "message, 5 bytes", NULL));
  gtk_window_destroy (GTK_WINDOW (win));

  /* Raw TCP: no heartbeat, every read its size. */
  {
    g_autoptr(HbTimeline) raw = hb_timeline_new (64);
    HbChunkInfo none = { 0 };

    hb_timeline_set_protocol (raw, HB_PROTOCOL_RAW);
    hb_timeline_append (raw, HB_EVENT_CONNECT, HB_VERB_UNKNOWN, 0, 0, HB_INITIATOR_LOCAL);
    hb_timeline_append (raw, HB_EVENT_DATA_IN, HB_VERB_UNKNOWN, 7, hb_chunk_info_pack (&none), HB_INITIATOR_PEER);
    hb_timeline_append (raw, HB_EVENT_LINE_OUT, HB_VERB_MSG, 2, 0, HB_INITIATOR_LOCAL);
    win = hb_timeline_window_new (NULL, raw, TRUE, NULL, "client", "server");
    g_assert_nonnull (find_label (win, "7 bytes", &row));
    g_assert_cmpint (hb_segment_get_phase (segment_at (win, row)), ==, HB_TCP_PHASE_DATA);
    g_assert_cmpstr (hb_segment_get_protocol (segment_at (win, row)), ==, "Raw");
    g_assert_nonnull (find_label (win, "2 bytes", NULL));
    g_assert_true (g_str_has_suffix (gtk_label_get_text (CHILD (win, "status_label")),
                                     "this client window's own record (no capture): reads, writes, connects and closes"));
    gtk_window_destroy (GTK_WINDOW (win));
  }
}

/* A capture file of the lab's session: the heartbeat and the ack are in
 * the heartbeat phase, and a segment that glued an ack to a message
 * explains message boundaries. */
static void
test_lab_capture_file (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hb-timeline-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "lab.pcap", NULL);
  g_autoptr(GBytes) bytes = hb_test_make_lab_session ("heartbeat", "heartbeat ack");
  g_autoptr(GFile) file = g_file_new_for_path (path);
  HbTimelineWindow *win;

  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes), NULL));
  win = open_file (file);
  gtk_window_present (GTK_WINDOW (win));
  g_assert_cmpuint (g_list_model_get_n_items (hb_timeline_window_get_segments (win)), ==, HB_TEST_LAB_SESSION_LEN);
  g_assert_cmpint (hb_segment_get_phase (segment_at (win, 3)), ==, HB_TCP_PHASE_HEARTBEAT);
  g_assert_cmpint (hb_segment_get_phase (segment_at (win, 5)), ==, HB_TCP_PHASE_HEARTBEAT);
  g_assert_true (g_str_has_suffix (hb_segment_get_label (segment_at (win, 10)), "heartbeat ack123"));
  g_assert_cmpint (hb_segment_get_phase (segment_at (win, 10)), ==, HB_TCP_PHASE_DATA);

  select_row (win, 5);
  g_assert_true (g_str_has_prefix (explanation (win), "Heartbeat. In the lab's protocol"));
  select_row (win, 10);
  g_assert_true (g_str_has_prefix (explanation (win),
                                   "This segment holds heartbeat ack + message (2 in one segment).\n\n"
                                   "TCP is a byte stream and keeps no message boundaries (粘包/拆包)."));
  select_row (win, 16);
  g_assert_true (g_str_has_prefix (explanation (win), "This segment holds 5 bytes (start of an ack).\n\n"));
  gtk_window_destroy (GTK_WINDOW (win));
  g_unlink (path);
  g_rmdir (dir);
}

/* The ladder numbers the handshake and the teardown as the lessons do,
 * x and y, and the seq/ack menu switches to Wireshark's numbers, the raw
 * ones, every arrow, or none. */
static void
test_textbook_numbers (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hb-timeline-XXXXXX", NULL);
  g_autofree char *path = write_two_conversations (dir);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  HbTimelineWindow *win = open_file (file);
  HbLadder *ladder = CHILD (win, "ladder");
  static const char * const textbook[] = {
    "SYN seq=x", "SYN, ACK seq=y ack=x+1", "ACK seq=x+1 ack=y+1",
  };
  static const char * const teardown[] = {
    "FIN, ACK seq=x+16 ack=y+8", "FIN, ACK seq=y+8 ack=x+17", "ACK seq=x+17 ack=y+9",
  };
  g_autofree char *relative = NULL;
  g_autofree char *absolute = NULL;
  g_autofree char *data = NULL;

  gtk_window_present (GTK_WINDOW (win));
  g_assert_cmpint (hb_ladder_get_numbers (ladder), ==, HB_LADDER_NUMBERS_SYMBOLIC);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *hs = hb_segment_format_numbered (segment_at (win, i), HB_LADDER_NUMBERS_SYMBOLIC);
      g_autofree char *fin = hb_segment_format_numbered (segment_at (win, HB_TEST_CONVERSATION_LEN - 3 + i),
                                                         HB_LADDER_NUMBERS_SYMBOLIC);

      g_assert_cmpstr (hs, ==, textbook[i]);
      g_assert_cmpstr (fin, ==, teardown[i]);
    }
  relative = hb_segment_format_numbered (segment_at (win, 1), HB_LADDER_NUMBERS_RELATIVE);
  g_assert_cmpstr (relative, ==, "SYN, ACK seq=0 ack=1 len=0 win=65483");
  absolute = hb_segment_format_numbered (segment_at (win, 1), HB_LADDER_NUMBERS_ABSOLUTE);
  g_assert_cmpstr (absolute, ==, "SYN, ACK seq=5000 ack=1001 len=0 win=65483");
  /* A data arrow keeps its payload after the numbers. */
  data = hb_segment_format_numbered (segment_at (win, 5), HB_LADDER_NUMBERS_SYMBOLIC);
  g_assert_cmpstr (data, ==, "PSH, ACK seq=y+1 ack=x+9 len=7  PING 1");

  /* The menu's actions drive the ladder. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "win.ladder-numbers", "s", "relative"));
  g_assert_cmpint (hb_ladder_get_numbers (ladder), ==, HB_LADDER_NUMBERS_RELATIVE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "win.ladder-numbers-everywhere", NULL));
  {
    g_autoptr(GVariant) state = g_action_group_get_action_state (G_ACTION_GROUP (win), "ladder-numbers-everywhere");

    g_assert_true (g_variant_get_boolean (state));
  }
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "win.ladder-numbers", "s", "off"));
  g_assert_cmpint (hb_ladder_get_numbers (ladder), ==, HB_LADDER_NUMBERS_OFF);
  /* An export draws them as the screen does, and does not fail. */
  {
    g_autofree char *png = g_build_filename (dir, "ladder.png", NULL);
    g_autoptr(GError) error = NULL;

    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "win.ladder-numbers", "s", "symbolic"));
    g_assert_true (hb_ladder_export (ladder, png, &error));
    g_assert_no_error (error);
    g_assert_true (g_file_test (png, G_FILE_TEST_EXISTS));
    g_unlink (png);
  }
  gtk_window_destroy (GTK_WINDOW (win));
  g_unlink (path);
  g_rmdir (dir);
}

/* An exported ladder is for a page or a slide, where no tooltip shows
 * what "WELCO…" was: it is drawn as wide as its longest label needs. */
static void
test_export_fits_labels (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hb-ladder-XXXXXX", NULL);
  g_autofree char *png = g_build_filename (dir, "ladder.png", NULL);
  g_autoptr(GListStore) store = g_list_store_new (HB_TYPE_SEGMENT);
  g_autofree char *long_line = g_strnfill (300, 'w');
  g_autofree char *label = g_strconcat ("WELCOME 1 300 2000 ", long_line, NULL);
  g_autoptr(HbSegment) seg = hb_segment_new (1000, FALSE, HB_TCP_PHASE_DATA, label);
  g_autoptr(GtkNoSelection) rows = NULL;
  GtkWidget *window = gtk_window_new ();
  HbLadder *ladder = g_object_new (HB_TYPE_LADDER, NULL);
  cairo_surface_t *image;
  int shown;

  g_list_store_append (store, seg);
  rows = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (store)));
  hb_ladder_set_model (ladder, GTK_SELECTION_MODEL (rows));
  hb_ladder_set_labels (ladder, "student-199 (127.0.0.1:60922)", "127.0.0.1:12001");
  gtk_window_set_default_size (GTK_WINDOW (window), 700, 400);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (ladder));
  gtk_window_present (GTK_WINDOW (window));
  hb_assert_eventually (gtk_widget_get_width (GTK_WIDGET (ladder)) > 0);
  shown = gtk_widget_get_width (GTK_WIDGET (ladder));

  g_assert_true (hb_ladder_export (ladder, png, NULL));
  image = cairo_image_surface_create_from_png (png);
  g_assert_cmpint (cairo_surface_status (image), ==, CAIRO_STATUS_SUCCESS);
  /* 300 characters do not fit in 700 pixels; the image grew for them. */
  g_assert_cmpint (cairo_image_surface_get_width (image), >, 2 * shown + 2 * 1000);
  cairo_surface_destroy (image);

  gtk_window_destroy (GTK_WINDOW (window));
  g_unlink (png);
  g_rmdir (dir);
}

/* Opening a tab of the lower notebook shows its text unselected, however
 * the focus came into the notebook (a click in the explanation, the
 * keyboard on the tabs): a selectable label given the focus by the page
 * switch would select all of itself. */
static void
test_tab_text_unselected (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hb-timeline-XXXXXX", NULL);
  g_autofree char *path = write_two_conversations (dir);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  HbTimelineWindow *win = open_file (file);
  GtkNotebook *notebook = CHILD (win, "notebook");
  GtkLabel *tcp = CHILD (win, "tcp_label");
  GtkLabel *explanation = CHILD (win, "explanation_label");
  gboolean moved = FALSE;

  gtk_window_present (GTK_WINDOW (win));
  hb_assert_eventually (gtk_widget_get_mapped (GTK_WIDGET (win)));
  g_assert_cmpstr (gtk_label_get_text (tcp), !=, "");

  /* The reader was in the explanation, then opens the TCP State tab. */
  g_assert_true (gtk_widget_grab_focus (GTK_WIDGET (explanation)));
  gtk_label_select_region (explanation, 0, 0);
  gtk_notebook_set_current_page (notebook, 2);
  hb_assert_eventually (gtk_widget_get_mapped (GTK_WIDGET (tcp)));
  g_assert_false (gtk_label_get_selection_bounds (tcp, NULL, NULL));
  /* And back: the explanation does not open selected either. */
  gtk_notebook_set_current_page (notebook, 0);
  hb_assert_eventually (gtk_widget_get_mapped (GTK_WIDGET (explanation)));
  g_assert_false (gtk_label_get_selection_bounds (explanation, NULL, NULL));
  /* The packet's details and bytes can be read and selected, not edited:
   * no caret blinks in them. */
  g_assert_false (gtk_text_view_get_cursor_visible (CHILD (win, "details_view")));
  g_assert_false (gtk_text_view_get_cursor_visible (CHILD (win, "bytes_view")));

  /* From the tabs, by keyboard: Ctrl+Page Down goes to the next page. */
  gtk_notebook_set_current_page (notebook, 1);
  g_assert_true (gtk_widget_grab_focus (GTK_WIDGET (notebook)));
  g_signal_emit_by_name (notebook, "change-current-page", 1, &moved);
  g_assert_true (moved);
  g_assert_cmpint (gtk_notebook_get_current_page (notebook), ==, 2);
  hb_assert_eventually (gtk_widget_get_mapped (GTK_WIDGET (tcp)));
  g_assert_false (gtk_label_get_selection_bounds (tcp, NULL, NULL));

  gtk_window_destroy (GTK_WINDOW (win));
  g_unlink (path);
  g_rmdir (dir);
}

static guint
n_timeline_windows (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  guint n = 0;

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) w = g_list_model_get_item (toplevels, i);

      n += HB_IS_TIMELINE_WINDOW (w);
    }
  return n;
}

/* The server window's Timeline for one client: a second click presents
 * the same window; the status line says it is the server's record of that
 * client, and when the connection has ended. */
static void
test_server_record_per_connection (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(HbClient) client = NULL;
  HbServerWindow *server_win;
  HbServer *server;
  HbTimelineWindow *tl;
  GtkSelectionModel *rows;
  GtkLabel *status;

  g_settings_set_uint (settings, "interval-ms", 300);
  g_settings_set_uint (settings, "timeout-ms", 2000);
  g_settings_set_uint (settings, "port", 0);
  server_win = hb_server_window_new (NULL);
  gtk_window_present (GTK_WINDOW (server_win));
  g_assert_true (hb_server_window_start (server_win));
  server = hb_server_window_get_server (server_win);
  client = hb_client_new ("127.0.0.1", hb_server_get_port (server), "fay");
  hb_client_connect (client);
  rows = gtk_column_view_get_model (hb_test_child (server_win, HB_TYPE_SERVER_WINDOW, "column_view"));
  hb_assert_eventually (g_list_model_get_n_items (G_LIST_MODEL (rows)) == 1);
  gtk_selection_model_select_item (rows, 0, TRUE);

  g_assert_cmpuint (n_timeline_windows (), ==, 0);
  gtk_widget_activate_action (GTK_WIDGET (server_win), "win.show-timeline", NULL);
  gtk_widget_activate_action (GTK_WIDGET (server_win), "win.show-timeline", NULL);
  g_assert_cmpuint (n_timeline_windows (), ==, 1);
  tl = find_timeline_window ();
  status = CHILD (tl, "status_label");
  g_assert_true (g_str_has_suffix (gtk_label_get_text (status),
                                   "the server's record of this client (no capture): lines, connects and closes"));

  hb_client_disconnect (client);
  hb_assert_eventually (g_str_has_suffix (gtk_label_get_text (status), " · this connection has ended"));

  gtk_window_destroy (GTK_WINDOW (tl));
  gtk_window_destroy (GTK_WINDOW (server_win));
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  hb_test_fatal_warnings_except_known ();

  g_test_add_func ("/gui/timeline/capture-file", test_capture_file);
  g_test_add_func ("/gui/timeline/export-fits-labels", test_export_fits_labels);
  g_test_add_func ("/gui/timeline/broken-files", test_broken_files);
  g_test_add_func ("/gui/timeline/bounded", test_bounded);
  g_test_add_func ("/gui/timeline/one-selection", test_one_selection);
  g_test_add_func ("/gui/timeline/keyboard", test_keyboard);
  g_test_add_func ("/gui/timeline/opens-at-end", test_opens_at_end);
  g_test_add_func ("/gui/timeline/client-reconnects", test_client_reconnects);
  g_test_add_func ("/gui/timeline/capture-denied", test_capture_denied);
  g_test_add_func ("/gui/timeline/live-capture", test_live_capture);
  g_test_add_func ("/gui/timeline/server-window-capture", test_server_window_capture);
  g_test_add_func ("/gui/timeline/lab/reads", test_lab_reads);
  g_test_add_func ("/gui/timeline/lab/client-record", test_lab_client_record);
  g_test_add_func ("/gui/timeline/lab/live-capture", test_lab_live_capture);
  g_test_add_func ("/gui/timeline/lab/capture-file", test_lab_capture_file);
  g_test_add_func ("/gui/timeline/textbook-numbers", test_textbook_numbers);
  g_test_add_func ("/gui/timeline/tab-text-unselected", test_tab_text_unselected);
  g_test_add_func ("/gui/timeline/server-record-per-connection", test_server_record_per_connection);

  return g_test_run ();
}
