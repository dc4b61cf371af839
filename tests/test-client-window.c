/* test-client-window.c - the client window against a real server: what a user sees and does
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <locale.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include <gtk/gtk.h>
#include <gdk/x11/gdkx.h>

#include "heartbeat-lab.h"
#include "hb-client-window.h"
#include "hb-log-entry.h"
#include "hb-ladder.h"
#include "hb-lesson.h"
#include "hb-segment.h"
#include "hb-timeline-window.h"
#include "hb-test-gui.h"
#include "hb-test-server.h"
#include "hb-test-util.h"

/* The heartbeat of the test's server: the test's data, or by default
 * loose enough that a slow frame in this same main loop (software
 * rendering, sanitizers) never makes a well-behaved client late. */
typedef struct
{
  guint interval_ms;
  guint timeout_ms;
} Beat;

static const Beat loose_beat = { 300, 2000 };

typedef struct
{
  HbServer  *server;
  guint      port;
  GPtrArray *messages;
  GPtrArray *leaves;     /* "reason initiator" */
  const Beat *beat;
} Fixture;

#define child(win, name) hb_test_child ((win), HB_TYPE_CLIENT_WINDOW, (name))

static void
on_message (HbServer *server, HbConnection *conn, const char *text, Fixture *f)
{
  g_ptr_array_add (f->messages, g_strdup (text));
}

static void
on_left (HbServer *server, HbConnection *conn, HbByeReason reason, HbInitiator initiator, Fixture *f)
{
  g_ptr_array_add (f->leaves, g_strdup_printf ("%s %s", hb_bye_reason_to_string (reason),
                                               hb_initiator_to_string (initiator)));
}

static void
server_start (Fixture *f,
              guint    port)
{
  f->server = g_object_new (HB_TYPE_SERVER, "port", port, "interval-ms", f->beat->interval_ms,
                            "timeout-ms", f->beat->timeout_ms, NULL);
  g_signal_connect (f->server, "message", G_CALLBACK (on_message), f);
  g_signal_connect (f->server, "client-disconnected", G_CALLBACK (on_left), f);
  g_assert_true (hb_server_start (f->server, NULL));
  f->port = hb_server_get_port (f->server);
}

static void
server_stop (Fixture *f)
{
  hb_test_server_shutdown (f->server, 1000);
  g_assert_finalize_object (g_steal_pointer (&f->server));
}

/* A server of the test's Beat (NULL: loose_beat), on any port. */
static void
fixture_setup (Fixture       *f,
               gconstpointer  beat)
{
  f->beat = beat != NULL ? beat : &loose_beat;
  f->messages = g_ptr_array_new_with_free_func (g_free);
  f->leaves = g_ptr_array_new_with_free_func (g_free);
  server_start (f, 0);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  beat)
{
  if (f->server != NULL)
    server_stop (f);
  g_ptr_array_unref (f->messages);
  g_ptr_array_unref (f->leaves);
}

static HbClientWindow *
open_client (Fixture    *f,
             const char *name)
{
  HbClientWindow *win = hb_client_window_new (NULL);

  hb_client_window_set_target (win, "127.0.0.1", f->port, name);
  gtk_window_present (GTK_WINDOW (win));
  gtk_widget_activate_action (GTK_WIDGET (win), "win.toggle-connection", NULL);
  hb_assert_eventually (hb_client_get_client_id (hb_client_window_get_client (win)) != 0);
  return win;
}

static void
close_client (HbClientWindow *win)
{
  HbClient *client = hb_client_window_get_client (win);

  /* The client outlives its window until it has said goodbye (and a
   * connect under way has seen its cancellation); then it goes. */
  g_object_add_weak_pointer (G_OBJECT (client), (gpointer *) &client);
  gtk_window_destroy (GTK_WINDOW (win));
  hb_assert_eventually (client == NULL);
}

static const char *
state_text (HbClientWindow *win)
{
  return gtk_label_get_text (child (win, "state_label"));
}

static gboolean
conversation_has (HbClientWindow *win,
                  HbLogKind       kind,
                  const char     *text)
{
  GListModel *model = hb_client_window_get_conversation (win);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(HbLogEntry) e = g_list_model_get_item (model, i);

      if (hb_log_entry_get_kind (e) == kind && strstr (hb_log_entry_get_text (e), text) != NULL)
        return TRUE;
    }
  return FALSE;
}

static void
test_talk (Fixture       *f,
           gconstpointer  data)
{
  HbClientWindow *win;
  HbConnection *conn;

  win = open_client (f, "erin");

  /* What WELCOME announced is on screen: the id in the status line, the
   * heartbeat's terms in its panel. */
  hb_assert_eventually (strstr (state_text (win), "client #1") != NULL);
  g_assert_cmpstr (gtk_label_get_text (child (win, "terms_label")), ==,
                   "a PING every 300 ms · dead after 2 s of silence");
  g_assert_true (conversation_has (win, HB_LOG_INFO, "WELCOME"));
  conn = hb_server_lookup (f->server, 1);
  hb_assert_eventually (g_strcmp0 (hb_connection_get_name (conn), "erin") == 0);

  /* The heartbeat is visible: counts move and the server's verdict shows. */
  hb_assert_eventually (g_str_has_prefix (gtk_label_get_text (child (win, "count_label")), "3 PINGs"));
  g_assert_cmpstr (gtk_label_get_text (child (win, "last_pong_label")), !=, "—");

  /* A broadcast arrives in the conversation. */
  hb_server_broadcast (f->server, "quiz in five minutes");
  hb_assert_eventually (conversation_has (win, HB_LOG_BROADCAST, "quiz in five minutes"));
  hb_server_send (f->server, 1, "see me after class");
  hb_assert_eventually (conversation_has (win, HB_LOG_MESSAGE, "see me after class"));

  /* Typing a message and pressing Enter sends it. */
  gtk_editable_set_text (child (win, "message_entry"), "present, 老师");
  g_signal_emit_by_name (child (win, "message_entry"), "activate");
  hb_assert_eventually (f->messages->len == 1);
  g_assert_cmpstr (g_ptr_array_index (f->messages, 0), ==, "present, 老师");
  g_assert_true (conversation_has (win, HB_LOG_OWN, "present, 老师"));
  g_assert_cmpstr (gtk_editable_get_text (child (win, "message_entry")), ==, "");

  /* Disconnect gracefully from the button's action. */
  gtk_widget_activate_action (GTK_WIDGET (win), "win.toggle-connection", NULL);
  hb_assert_eventually (f->leaves->len == 1);
  g_assert_cmpstr (g_ptr_array_index (f->leaves, 0), ==, "goodbye peer");
  hb_assert_eventually (g_str_has_prefix (state_text (win), "Disconnected"));

  close_client (win);
}

static void
test_stop_answering (Fixture       *f,
                     gconstpointer  data)
{
  HbClientWindow *win;
  HbConnection *conn;

  win = open_client (f, "frank");
  conn = g_object_ref (hb_server_lookup (f->server, 1));

  gtk_switch_set_active (child (win, "answer_switch"), FALSE);
  hb_assert_eventually (hb_connection_get_liveness (conn) == HB_LIVENESS_LATE);
  hb_assert_eventually (f->leaves->len == 1);
  g_assert_cmpstr (g_ptr_array_index (f->leaves, 0), ==, "timeout local");

  /* The window says why the connection ended. */
  hb_assert_eventually (hb_client_get_state (hb_client_window_get_client (win)) == HB_CLIENT_DISCONNECTED);
  g_assert_nonnull (strstr (state_text (win), "no heartbeat answer"));
  g_assert_true (conversation_has (win, HB_LOG_LEAVE, "BYE timeout"));

  g_object_unref (conn);
  close_client (win);
}

static void
test_abort_and_half_close (Fixture       *f,
                           gconstpointer  data)
{
  HbClientWindow *a, *b;

  a = open_client (f, "gina");
  b = open_client (f, "hank");

  gtk_widget_activate_action (GTK_WIDGET (a), "win.abort", NULL);
  hb_assert_eventually (f->leaves->len == 1);
  g_assert_cmpstr (g_ptr_array_index (f->leaves, 0), ==, "reset peer");
  hb_assert_eventually (strstr (state_text (a), "RST") != NULL);

  gtk_widget_activate_action (GTK_WIDGET (b), "win.half-close", NULL);
  hb_assert_eventually (f->leaves->len == 2);
  g_assert_cmpstr (g_ptr_array_index (f->leaves, 1), ==, "peer-closed peer");
  hb_assert_eventually (hb_client_get_state (hb_client_window_get_client (b)) == HB_CLIENT_DISCONNECTED);
  g_assert_nonnull (strstr (state_text (b), "half-closed"));

  close_client (a);
  close_client (b);
}

static guint64
shown_pings (HbClientWindow *win)
{
  guint64 n = G_MAXUINT64;

  g_assert_cmpint (sscanf (gtk_label_get_text (child (win, "count_label")), "%" G_GUINT64_FORMAT, &n), ==, 1);
  return n;
}

typedef struct
{
  char *verdict;
  char *last_pong;
} AtWelcome;

static void
capture_at_welcome (HbClient *client, guint id, guint interval, guint timeout, gpointer data)
{
  AtWelcome *at = data;
  HbClientWindow *win = g_object_get_data (G_OBJECT (client), "test-window");

  g_free (at->verdict);
  g_free (at->last_pong);
  at->verdict = g_strdup (gtk_label_get_text (child (win, "deadline_label")));
  at->last_pong = g_strdup (gtk_label_get_text (child (win, "last_pong_label")));
}

/* The tester's case: a connection ends in BYE timeout, Connect again. The
 * heartbeat panel is the new connection's, not the old one's carried on. */
static void
test_reconnect_starts_fresh_panel (Fixture       *f,
                                   gconstpointer  data)
{
  AtWelcome at = { 0 };
  HbClientWindow *win;
  HbClient *client;
  guint64 old_pings;

  win = open_client (f, "kate");
  client = hb_client_window_get_client (win);
  hb_assert_eventually (shown_pings (win) >= 3 && hb_test_client_window_uint64 (win, "pongs-sent") >= 3);

  gtk_switch_set_active (child (win, "answer_switch"), FALSE);
  hb_assert_eventually (hb_client_get_state (client) == HB_CLIENT_DISCONNECTED && f->leaves->len == 1);
  g_assert_cmpstr (g_ptr_array_index (f->leaves, 0), ==, "timeout local");
  /* The ended connection can still be read. */
  g_assert_cmpstr (gtk_label_get_text (child (win, "last_ping_label")), !=, "—");
  g_assert_cmpstr (gtk_label_get_text (child (win, "deadline_label")), ==, "—");
  old_pings = hb_test_client_window_uint64 (win, "pings-received");
  g_assert_cmpuint (shown_pings (win), ==, old_pings);

  /* Connect again: the panel starts empty at once... */
  gtk_switch_set_active (child (win, "answer_switch"), TRUE);
  g_object_set_data (G_OBJECT (client), "test-window", win);
  g_signal_connect (client, "welcome", G_CALLBACK (capture_at_welcome), &at);
  gtk_widget_activate_action (GTK_WIDGET (win), "win.toggle-connection", NULL);
  g_assert_cmpint (hb_client_get_state (client), ==, HB_CLIENT_CONNECTING);
  g_assert_cmpstr (gtk_label_get_text (child (win, "last_ping_label")), ==, "—");
  g_assert_cmpstr (gtk_label_get_text (child (win, "last_pong_label")), ==, "—");
  g_assert_cmpstr (gtk_label_get_text (child (win, "count_label")), ==, "0 PINGs received, 0 PONGs sent");
  g_assert_cmpstr (gtk_label_get_text (child (win, "deadline_label")), ==, "—");
  g_assert_cmpstr (gtk_label_get_text (child (win, "terms_label")), ==, "—");

  /* ...is not overdue on WELCOME for a PONG the old connection sent... */
  hb_assert_eventually (hb_client_get_client_id (client) != 0);
  g_assert_cmpstr (at.verdict, ==, "alive (no heartbeat yet)");
  g_assert_cmpstr (at.last_pong, ==, "—");
  g_signal_handlers_disconnect_by_data (client, &at);

  /* ...and counts this connection's heartbeats only. */
  hb_assert_eventually (shown_pings (win) >= 1 && g_strcmp0 (gtk_label_get_text (child (win, "last_pong_label")), "—") != 0);
  g_assert_cmpuint (shown_pings (win), ==, hb_test_client_window_uint64 (win, "pings-received") - old_pings);
  g_assert_true (g_str_has_prefix (gtk_label_get_text (child (win, "deadline_label")), "alive ·"));

  g_free (at.verdict);
  g_free (at.last_pong);
  close_client (win);
}

/* The text of the "who" column beside the first row of the conversation
 * whose text contains @needle, as drawn; NULL if no such row is drawn. */
static const char *
drawn_sender (GtkWidget  *widget,
              const char *needle)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_has_css_class (widget, "hb-who"))
    {
      GtkWidget *text = gtk_widget_get_next_sibling (widget);

      if (GTK_IS_LABEL (text) && strstr (gtk_label_get_text (GTK_LABEL (text)), needle) != NULL)
        return gtk_label_get_text (GTK_LABEL (widget));
      return NULL;
    }
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      const char *who = drawn_sender (c, needle);

      if (who != NULL)
        return who;
    }
  return NULL;
}

static void
test_local_notes (Fixture       *f,
                  gconstpointer  data)
{
  HbClientWindow *win;
  GtkWidget *log;

  win = open_client (f, "lena");
  log = child (win, "conversation");

  /* What the server said is the server's... */
  hb_assert_eventually (drawn_sender (log, "WELCOME") != NULL);
  g_assert_cmpstr (drawn_sender (log, "WELCOME"), ==, "server");

  /* ...what this client did is its own. */
  gtk_widget_activate_action (GTK_WIDGET (win), "win.half-close", NULL);
  hb_assert_eventually (drawn_sender (log, "Half-close") != NULL);
  g_assert_cmpstr (drawn_sender (log, "Half-close"), ==, "this client");
  hb_assert_eventually (drawn_sender (log, "half-closed; the server closed its side too") != NULL);
  g_assert_cmpstr (drawn_sender (log, "half-closed; the server closed its side too"), ==, "this client");

  /* So is a reconnect it schedules. */
  g_object_set (hb_client_window_get_client (win), "reconnect-min-ms", 20, "reconnect-max-ms", 100, NULL);
  gtk_check_button_set_active (child (win, "reconnect_check"), TRUE);
  hb_client_window_connect (win);
  hb_assert_eventually (hb_client_get_client_id (hb_client_window_get_client (win)) != 0);
  server_stop (f);
  hb_assert_eventually (drawn_sender (log, "Reconnecting in") != NULL);
  g_assert_cmpstr (drawn_sender (log, "Reconnecting in"), ==, "this client");

  close_client (win);
}

/* What Enter in a field does: GtkText's key binding emits its ::activate,
 * which an entry passes on as its own. */
static void
press_enter (HbClientWindow *win,
             const char     *field)
{
  g_signal_emit_by_name (gtk_editable_get_delegate (child (win, field)), "activate");
}

static void
wait_disconnected (HbClientWindow *win)
{
  gtk_widget_activate_action (GTK_WIDGET (win), "win.toggle-connection", NULL);
  hb_assert_eventually (hb_client_get_state (hb_client_window_get_client (win)) == HB_CLIENT_DISCONNECTED);
}

/* Enter in any connection field connects, as a dialog's default button. */
static void
test_enter_connects (Fixture       *f,
                     gconstpointer  data)
{
  HbClientWindow *win = hb_client_window_new (NULL);
  HbClient *client = hb_client_window_get_client (win);
  g_autofree char *port = NULL;

  hb_client_window_set_target (win, "127.0.0.1", f->port, "mona");
  gtk_window_present (GTK_WINDOW (win));

  press_enter (win, "name_entry");
  hb_assert_eventually (hb_client_get_client_id (client) != 0);
  /* Connected, Enter there does not disconnect. */
  press_enter (win, "name_entry");
  g_assert_cmpint (hb_client_get_state (client), ==, HB_CLIENT_CONNECTED);
  wait_disconnected (win);

  press_enter (win, "host_entry");
  hb_assert_eventually (hb_client_get_client_id (client) != 0);
  wait_disconnected (win);

  /* A port typed and entered is the one connected to. */
  gtk_spin_button_set_value (child (win, "port_spin"), 1);
  port = g_strdup_printf ("%u", f->port);
  gtk_editable_set_text (child (win, "port_spin"), port);
  press_enter (win, "port_spin");
  hb_assert_eventually (hb_client_get_client_id (client) != 0);
  g_assert_cmpuint (hb_client_get_port (client), ==, f->port);

  close_client (win);
}

/* The status line is one line at the size the window opens: nothing
 * wraps, and while connected nothing is cut off either. */
static void
test_status_fits (Fixture       *f,
                  gconstpointer  data)
{
  HbClientWindow *win;
  GtkWidget *label;
  int natural = 0;

  win = open_client (f, "nina");
  /* A name the program gave, as the demo gives alice and bob, is not
   * what the next window starts with. */
  {
    g_autoptr(GSettings) settings = g_settings_new (APP_ID);
    g_autofree char *saved = g_settings_get_string (settings, "client-name");

    g_assert_cmpstr (saved, !=, "nina");
  }
  label = child (win, "state_label");
  hb_assert_eventually (gtk_widget_get_mapped (label) && gtk_widget_get_width (label) > 0 &&
                        strstr (state_text (win), "client #1") != NULL);
  gtk_widget_measure (label, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &natural, NULL, NULL);
  g_assert_cmpint (natural, <=, gtk_widget_get_width (label));
  g_assert_cmpint (pango_layout_get_line_count (gtk_label_get_layout (GTK_LABEL (label))), ==, 1);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (label), ==, state_text (win));

  /* A long reason stays on one line, whole in the tooltip. */
  wait_disconnected (win);
  hb_client_window_set_target (win, NULL, 1, NULL);
  hb_client_window_connect (win);
  hb_assert_eventually (g_str_has_prefix (state_text (win), "Disconnected: could not connect — cannot connect to 127.0.0.1:1"));
  g_assert_cmpint (pango_layout_get_line_count (gtk_label_get_layout (GTK_LABEL (label))), ==, 1);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (label), ==, state_text (win));

  close_client (win);
}

/* Resizes @win as a window manager or a user would: from outside. */
static void
resize_from_outside (HbClientWindow *win,
                     int             width,
                     int             height)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (win));
  Display *dpy = gdk_x11_display_get_xdisplay (gdk_surface_get_display (surface));

  XResizeWindow (dpy, gdk_x11_surface_get_xid (surface), width, height);
  XFlush (dpy);
}

/* Made small, the panels above the log give way (they scroll); made
 * large again, they come back. */
static void
test_panels_survive_resize (Fixture       *f,
                            gconstpointer  data)
{
  HbClientWindow *win;
  GtkWidget *panels;

  win = open_client (f, "olga");
  panels = child (win, "controls_scroller");
  hb_assert_eventually (gtk_widget_get_mapped (panels) && gtk_widget_get_height (panels) > 200);

  resize_from_outside (win, 820, 300);
  hb_assert_eventually (gtk_widget_get_height (panels) < 150);
  resize_from_outside (win, 820, 700);
  hb_assert_eventually (gtk_widget_get_height (panels) > 300);

  close_client (win);
}

/* A port where nothing listens: bound, never listening, so no other
 * program can take it while the test runs. */
static GSocket *
closed_port (guint *port)
{
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr(GSocketAddress) bound = NULL;
  GSocket *sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);

  g_assert_true (g_socket_bind (sock, any, FALSE, NULL));
  bound = g_socket_get_local_address (sock, NULL);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return sock;
}

/* Refused, in Chinese: our own words from the error's code, the address
 * named once (GIO's message cut apart named it twice, and cut the
 * Chinese sentence in the wrong place). */
static void
test_connect_error_zh_CN (void)
{
  g_autoptr(GSocket) sock = NULL;
  g_autofree char *where = NULL;
  g_autofree char *old_language = g_strdup (g_getenv ("LANGUAGE"));
  HbClientWindow *win;
  const char *text;
  guint port;

  g_assert_nonnull (g_getenv ("HB_BUILD_LOCALEDIR"));
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("HB_BUILD_LOCALEDIR"));
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);   /* as main() does: the windows' _() */
  g_setenv ("LANGUAGE", "zh_CN", TRUE);
  /* gtk_test_init() keeps the C locale, where gettext ignores LANGUAGE. */
  g_assert_nonnull (setlocale (LC_ALL, "C.UTF-8"));

  sock = closed_port (&port);
  where = g_strdup_printf ("127.0.0.1:%u", port);
  win = hb_client_window_new (NULL);
  hb_client_window_set_target (win, "127.0.0.1", port, "ivy");
  gtk_window_present (GTK_WINDOW (win));
  gtk_widget_activate_action (GTK_WIDGET (win), "win.toggle-connection", NULL);
  hb_assert_eventually (hb_client_get_state (hb_client_window_get_client (win)) == HB_CLIENT_DISCONNECTED &&
                        strstr (state_text (win), where) != NULL);
  text = state_text (win);
  g_test_message ("%s", text);
  g_assert_true (g_str_has_prefix (text, "已断开：无法连接 — 无法连接到 "));
  g_assert_nonnull (strstr (text, "连接被拒绝"));
  /* The address once, and GIO's own sentence nowhere. */
  g_assert_null (strstr (strstr (text, where) + strlen (where), "127.0.0.1"));
  g_assert_null (strstr (text, "Connection refused"));
  g_assert_null (strstr (text, "Could not connect"));

  close_client (win);
  setlocale (LC_ALL, "C");
  if (old_language)
    g_setenv ("LANGUAGE", old_language, TRUE);
  else
    g_unsetenv ("LANGUAGE");
}

static void
test_reconnect_after_restart (Fixture       *f,
                              gconstpointer  data)
{
  HbClientWindow *win;
  HbClient *client;
  guint port;

  win = open_client (f, "ivy");
  client = hb_client_window_get_client (win);
  g_object_set (client, "reconnect-min-ms", 20, "reconnect-max-ms", 100, NULL);
  gtk_check_button_set_active (child (win, "reconnect_check"), TRUE);

  port = f->port;
  server_stop (f);
  hb_assert_eventually (hb_client_get_state (client) == HB_CLIENT_RECONNECTING);
  hb_assert_eventually (strstr (state_text (win), "reconnecting in") != NULL);
  g_assert_nonnull (strstr (state_text (win), "shut down"));

  server_start (f, port);
  hb_assert_eventually (hb_client_get_state (client) == HB_CLIENT_CONNECTED &&
                        hb_client_get_client_id (client) != 0);
  hb_assert_eventually (strstr (state_text (win), "Connected as client #1") != NULL);

  close_client (win);
}

#define find_timeline_window() HB_TIMELINE_WINDOW (hb_test_find_window (HB_TYPE_TIMELINE_WINDOW))

/* The row of the first segment (not a note) of @phase, sent by the
 * client or not, whose label starts with @label_prefix; or -1. */
static int
segment_row (GListModel *segments,
             HbTcpPhase  phase,
             const char *label_prefix,
             gboolean    from_client)
{
  for (guint i = 0; i < g_list_model_get_n_items (segments); i++)
    {
      g_autoptr(HbSegment) seg = g_list_model_get_item (segments, i);

      if (!hb_segment_is_note (seg) && hb_segment_get_phase (seg) == phase &&
          hb_segment_get_from_client (seg) == from_client &&
          g_str_has_prefix (hb_segment_get_label (seg), label_prefix))
        return (int) i;
    }
  return -1;
}

#define segments_have(segments, phase, label_prefix, from_client) \
  (segment_row ((segments), (phase), (label_prefix), (from_client)) >= 0)

static char *
details_of (HbTimelineWindow *tl)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (hb_test_child (tl, HB_TYPE_TIMELINE_WINDOW,
                                                                                  "details_view")));
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static gboolean
has_state_note (GListModel *segments,
                const char *state,
                gboolean    on_client)
{
  for (guint i = 0; i < g_list_model_get_n_items (segments); i++)
    {
      g_autoptr(HbSegment) seg = g_list_model_get_item (segments, i);

      if (hb_segment_is_note (seg) && hb_segment_get_from_client (seg) == on_client &&
          g_strcmp0 (hb_segment_get_label (seg), state) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
test_timeline (Fixture       *f,
               gconstpointer  data)
{
  HbClientWindow *win;
  HbTimelineWindow *tl;
  GListModel *segments;
  GtkSelectionModel *table_model;
  g_autofree char *dir = g_dir_make_tmp ("hb-ladder-XXXXXX", NULL);
  g_autofree char *png = g_build_filename (dir, "ladder.png", NULL);
  g_autofree char *svg = g_build_filename (dir, "ladder.svg", NULL);
  g_autofree char *png_data = NULL;
  g_autofree char *svg_data = NULL;
  gsize png_len = 0;
  GObject *ladder;

  win = open_client (f, "jack");
  gtk_widget_activate_action (GTK_WIDGET (win), "win.show-timeline", NULL);
  tl = find_timeline_window ();
  g_assert_nonnull (tl);
  segments = hb_timeline_window_get_segments (tl);

  /* Handshake first, then the conversation, live. */
  hb_assert_eventually (g_list_model_get_n_items (segments) >= 3);
  {
    g_autoptr(HbSegment) syn = g_list_model_get_item (segments, 0);

    g_assert_cmpstr (hb_segment_get_label (syn), ==, "SYN");
    g_assert_true (hb_segment_get_from_client (syn));
    /* Without a capture the handshake is drawn, not seen: marked so. */
    g_assert_true (hb_segment_get_inferred (syn));
    g_assert_cmpstr (hb_segment_get_info (syn), ==, "SYN (inferred)");
  }
  g_assert_true (segments_have (segments, HB_TCP_PHASE_DATA, "HELLO", TRUE));
  g_assert_true (segments_have (segments, HB_TCP_PHASE_DATA, "WELCOME", FALSE));
  hb_assert_eventually (segments_have (segments, HB_TCP_PHASE_HEARTBEAT, "PING 1", FALSE) &&
                        segments_have (segments, HB_TCP_PHASE_HEARTBEAT, "PONG 1", TRUE));

  /* The kernel's view of the client's socket. */
  hb_assert_eventually (strstr (gtk_label_get_text (GTK_LABEL (hb_test_child (tl, HB_TYPE_TIMELINE_WINDOW, "tcp_label"))), "ESTABLISHED") != NULL);
  /* ... and says whose socket it is. */
  g_assert_true (g_str_has_prefix (gtk_label_get_text (GTK_LABEL (hb_test_child (tl, HB_TYPE_TIMELINE_WINDOW, "tcp_label"))),
                                   "The client's socket ("));

  /* Selecting a row in the table selects the arrow and explains it. */
  table_model = gtk_column_view_get_model (GTK_COLUMN_VIEW (hb_test_child (tl, HB_TYPE_TIMELINE_WINDOW, "table")));
  gtk_selection_model_select_item (table_model, 0, TRUE);
  ladder = hb_test_child (tl, HB_TYPE_TIMELINE_WINDOW, "ladder");
  g_assert_cmpint (hb_ladder_get_selected (HB_LADDER (ladder)), ==, 0);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (hb_test_child (tl, HB_TYPE_TIMELINE_WINDOW, "explanation_label"))),
                   ==, hb_phase_explanation (HB_TCP_PHASE_HANDSHAKE));
  {
    g_autofree char *details = details_of (tl);

    g_assert_cmpstr (details, ==, hb_lesson_inferred (HB_TCP_PHASE_HANDSHAKE));
  }

  /* Export what is drawn. */
  g_assert_true (hb_ladder_export (HB_LADDER (ladder), png, NULL));
  g_assert_true (hb_ladder_export (HB_LADDER (ladder), svg, NULL));
  g_assert_true (g_file_get_contents (png, &png_data, &png_len, NULL));
  g_assert_cmpuint (png_len, >, 1000);
  g_assert_true (memcmp (png_data, "\x89PNG", 4) == 0);
  {
    /* At twice the ladder's size (or more, for a label that needs it),
     * for slides and print. */
    cairo_surface_t *image = cairo_image_surface_create_from_png (png);

    g_assert_cmpint (cairo_surface_status (image), ==, CAIRO_STATUS_SUCCESS);
    g_assert_cmpint (cairo_image_surface_get_width (image), >=, 2 * MAX (gtk_widget_get_width (GTK_WIDGET (ladder)), 560));
    cairo_surface_destroy (image);
  }
  g_assert_true (g_file_get_contents (svg, &svg_data, NULL, NULL));
  g_assert_nonnull (strstr (svg_data, "<svg"));

  /* Disconnect: the teardown is drawn too. */
  gtk_widget_activate_action (GTK_WIDGET (win), "win.toggle-connection", NULL);
  hb_assert_eventually (segments_have (segments, HB_TCP_PHASE_TEARDOWN, "BYE", TRUE) &&
                        segments_have (segments, HB_TCP_PHASE_TEARDOWN, "FIN", TRUE) &&
                        segments_have (segments, HB_TCP_PHASE_TEARDOWN, "FIN", FALSE));
  /* The kernel's states of the client's socket, noted on its lifeline:
   * it closed first, so it ends in TIME_WAIT. */
  hb_assert_eventually (has_state_note (segments, "TIME_WAIT", TRUE));
  /* Both FINs are acknowledged: the final ACK, from the side that
   * closed first, is drawn after the server's FIN, inferred like them. */
  {
    int fin = segment_row (segments, HB_TCP_PHASE_TEARDOWN, "FIN", FALSE);
    int ack = segment_row (segments, HB_TCP_PHASE_TEARDOWN, "ACK", TRUE);
    g_autoptr(HbSegment) seg = NULL;
    g_autofree char *details = NULL;

    g_assert_cmpint (fin, >=, 0);
    g_assert_cmpint (ack, >, fin);
    seg = g_list_model_get_item (segments, ack);
    g_assert_true (hb_segment_get_inferred (seg));
    gtk_selection_model_select_item (table_model, ack, TRUE);
    details = details_of (tl);
    g_assert_cmpstr (details, ==, hb_lesson_inferred (HB_TCP_PHASE_TEARDOWN));
  }
  /* BYE is told apart from TCP's FIN on its own row. */
  gtk_selection_model_select_item (table_model, segment_row (segments, HB_TCP_PHASE_TEARDOWN, "BYE", TRUE), TRUE);
  g_assert_true (g_str_has_prefix (gtk_label_get_text (GTK_LABEL (hb_test_child (tl, HB_TYPE_TIMELINE_WINDOW,
                                                                                 "explanation_label"))),
                                   hb_lesson_bye ()));
  /* The panel says what TIME_WAIT holds: the connection, for 60 s. */
  {
    g_autofree char *closed = hb_lesson_closed_socket (HB_TCP_TIME_WAIT);

    hb_assert_eventually (g_strcmp0 (gtk_label_get_text (GTK_LABEL (hb_test_child (tl, HB_TYPE_TIMELINE_WINDOW,
                                                                                   "tcp_label"))),
                                     closed) == 0);
  }

  gtk_window_destroy (GTK_WINDOW (tl));
  close_client (win);
  g_unlink (png);
  g_unlink (svg);
  g_rmdir (dir);
}

/* The open timeline windows, newest first. */
static GPtrArray *
timeline_windows (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  GPtrArray *found = g_ptr_array_new ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) w = g_list_model_get_item (toplevels, i);

      if (HB_IS_TIMELINE_WINDOW (w))
        g_ptr_array_add (found, w);
    }
  return found;
}

static guint
n_timeline_windows (void)
{
  g_autoptr(GPtrArray) found = timeline_windows ();

  return found->len;
}

static const char *
status_of (HbTimelineWindow *tl)
{
  return gtk_label_get_text (GTK_LABEL (hb_test_child (tl, HB_TYPE_TIMELINE_WINDOW, "status_label")));
}

static guint
local_port (HbClient *client)
{
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (hb_client_get_socket (client), NULL);

  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
}

/* One timeline window per connection: a second click presents it; its
 * title names the client's port, its ladder the client as the server
 * knows it; after the client connects again the old window says its
 * connection has ended and offers the new one's, which is another window
 * with another title. */
static void
test_timeline_per_connection (Fixture       *f,
                              gconstpointer  data)
{
  HbClientWindow *win;
  HbClient *client;
  HbTimelineWindow *first, *second;
  GtkRevealer *notice;
  g_autofree char *first_end = NULL;
  g_autofree char *second_end = NULL;
  GObject *ladder;

  win = open_client (f, "bob");
  client = hb_client_window_get_client (win);
  g_assert_cmpuint (n_timeline_windows (), ==, 0);
  gtk_widget_activate_action (GTK_WIDGET (win), "win.show-timeline", NULL);
  gtk_widget_activate_action (GTK_WIDGET (win), "win.show-timeline", NULL);
  g_assert_cmpuint (n_timeline_windows (), ==, 1);
  first = find_timeline_window ();
  first_end = g_strdup_printf ("bob (127.0.0.1:%u)", local_port (client));
  g_assert_nonnull (strstr (gtk_window_get_title (GTK_WINDOW (first)), first_end));
  /* The ladder and its exports say "bob"; the status line whose record. */
  ladder = hb_test_child (first, HB_TYPE_TIMELINE_WINDOW, "ladder");
  g_assert_cmpstr (hb_ladder_get_client_label (HB_LADDER (ladder)), ==, "bob");
  g_assert_true (g_str_has_suffix (status_of (first),
                                   "this client window's own record (no capture): lines, connects and closes"));

  /* Connect again. */
  gtk_widget_activate_action (GTK_WIDGET (win), "win.toggle-connection", NULL);
  hb_assert_eventually (hb_client_get_state (client) == HB_CLIENT_DISCONNECTED);
  hb_assert_eventually (g_str_has_suffix (status_of (first), "this connection has ended"));
  gtk_widget_activate_action (GTK_WIDGET (win), "win.toggle-connection", NULL);
  hb_assert_eventually (hb_client_get_state (client) == HB_CLIENT_CONNECTED);
  g_assert_true (g_str_has_suffix (status_of (first), "this connection has ended; the client connected again"));
  notice = GTK_REVEALER (hb_test_child (first, HB_TYPE_TIMELINE_WINDOW, "notice_revealer"));
  g_assert_true (gtk_revealer_get_reveal_child (notice));
  {
    g_autofree char *said = g_strdup_printf ("bob connected again: a new connection, from port %u.",
                                             local_port (client));

    g_assert_true (g_str_has_prefix (gtk_label_get_text (GTK_LABEL (hb_test_child (first, HB_TYPE_TIMELINE_WINDOW,
                                                                                   "notice_label"))),
                                     said));
  }
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (hb_test_child (first, HB_TYPE_TIMELINE_WINDOW,
                                                                    "notice_button"))));

  /* The offer opens the new connection's window; the client window's
   * button then presents that one, not a twin. */
  gtk_widget_activate_action (GTK_WIDGET (first), "win.open-newer", NULL);
  g_assert_cmpuint (n_timeline_windows (), ==, 2);
  gtk_widget_activate_action (GTK_WIDGET (win), "win.show-timeline", NULL);
  g_assert_cmpuint (n_timeline_windows (), ==, 2);
  {
    g_autoptr(GPtrArray) all = timeline_windows ();

    second = all->pdata[0] == first ? all->pdata[1] : all->pdata[0];
  }
  second_end = g_strdup_printf ("bob (127.0.0.1:%u)", local_port (client));
  g_assert_cmpstr (first_end, !=, second_end);
  g_assert_nonnull (strstr (gtk_window_get_title (GTK_WINDOW (second)), second_end));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (first)), !=, gtk_window_get_title (GTK_WINDOW (second)));
  g_assert_false (g_str_has_suffix (status_of (second), "has ended"));
  {
    /* The new window starts at the new connection's handshake. */
    g_autoptr(HbSegment) syn = g_list_model_get_item (hb_timeline_window_get_segments (second), 0);

    g_assert_cmpstr (hb_segment_get_label (syn), ==, "SYN");
  }

  gtk_window_destroy (GTK_WINDOW (second));
  gtk_window_destroy (GTK_WINDOW (first));
  close_client (win);
}

/* A client window that was not reading: the server gave up on it (BYE
 * timeout, FIN); when it reads again, its own record draws the server's
 * BYE and FIN when they arrived, before the PONGs the client then sent to
 * a connection already closed, and the rows say they were read late. */
static const Beat quick_beat = { 100, 400 };

static void
test_timeline_read_late (Fixture       *f,
                         gconstpointer  data)
{
  HbClientWindow *win;
  HbClient *client;
  HbTimelineWindow *tl;
  GListModel *segments;
  GtkSelectionModel *table_model;
  int bye, fin, pong = -1;
  gint64 bye_time;

  win = open_client (f, "bob");
  client = hb_client_window_get_client (win);
  gtk_widget_activate_action (GTK_WIDGET (win), "win.show-timeline", NULL);
  tl = find_timeline_window ();
  segments = hb_timeline_window_get_segments (tl);

  g_object_set (client, "reading", FALSE, NULL);
  /* The server's verdict, its BYE and FIN sent: the client's kernel has
   * them (CLOSE_WAIT) while the client does not read. */
  hb_assert_eventually (has_state_note (segments, "CLOSE_WAIT", TRUE));
  g_object_set (client, "reading", TRUE, NULL);
  hb_assert_eventually (hb_client_get_state (client) != HB_CLIENT_CONNECTED &&
                        segments_have (segments, HB_TCP_PHASE_TEARDOWN, "FIN", FALSE));

  bye = segment_row (segments, HB_TCP_PHASE_TEARDOWN, "BYE", FALSE);
  fin = segment_row (segments, HB_TCP_PHASE_TEARDOWN, "FIN", FALSE);
  g_assert_cmpint (bye, >=, 0);
  g_assert_cmpint (fin, >, bye);
  for (guint i = 0; i < g_list_model_get_n_items (segments); i++)
    {
      g_autoptr(HbSegment) seg = g_list_model_get_item (segments, i);

      if (g_str_has_prefix (hb_segment_get_label (seg), "PONG"))
        pong = (int) i;
    }
  /* The last answer went after the server's goodbye had arrived. */
  g_assert_cmpint (pong, >, fin);
  {
    g_autoptr(HbSegment) b = g_list_model_get_item (segments, bye);
    g_autoptr(HbSegment) p = g_list_model_get_item (segments, pong);

    bye_time = hb_segment_get_time (b);
    g_assert_cmpint (hb_segment_get_time (p), >, bye_time);
    g_assert_cmpint (hb_segment_get_read_late (b), >, 50 * 1000);
  }

  /* The rows say so. */
  table_model = gtk_column_view_get_model (GTK_COLUMN_VIEW (hb_test_child (tl, HB_TYPE_TIMELINE_WINDOW, "table")));
  gtk_selection_model_select_item (table_model, bye, TRUE);
  {
    g_autofree char *details = details_of (tl);
    const char *explanation = gtk_label_get_text (GTK_LABEL (hb_test_child (tl, HB_TYPE_TIMELINE_WINDOW,
                                                                            "explanation_label")));

    g_assert_true (g_str_has_prefix (explanation, "Arrived "));
    g_assert_nonnull (strstr (explanation, " s before this window read it (reading was switched off"));
    g_assert_true (g_str_has_prefix (details, "Arrived "));
  }
  gtk_selection_model_select_item (table_model, fin, TRUE);
  g_assert_true (g_str_has_prefix (gtk_label_get_text (GTK_LABEL (hb_test_child (tl, HB_TYPE_TIMELINE_WINDOW,
                                                                                 "explanation_label"))),
                                   "The kernel does not time-stamp a FIN."));

  gtk_window_destroy (GTK_WINDOW (tl));
  close_client (win);
}

/* A window made for a client drives that client: it shows where the
 * client goes and under what name, and connects it; the name a program
 * gave is not remembered for the next window. */
static void
test_given_client (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  HbClient *client;
  g_autofree char *remembered = NULL;
  g_autofree char *port = NULL;
  HbClientWindow *win;

  client = hb_client_new ("127.0.0.1", f->port, "quinn");
  win = hb_client_window_new_for_client (NULL, client);
  /* The window keeps it (close_client() waits until it is gone). */
  g_object_unref (client);
  g_assert_true (hb_client_window_get_client (win) == client);
  port = g_strdup_printf ("%u", f->port);
  g_assert_cmpstr (gtk_editable_get_text (child (win, "host_entry")), ==, "127.0.0.1");
  g_assert_cmpstr (gtk_editable_get_text (child (win, "port_spin")), ==, port);
  g_assert_cmpstr (gtk_editable_get_text (child (win, "name_entry")), ==, "quinn");
  remembered = g_settings_get_string (settings, "client-name");

  gtk_window_present (GTK_WINDOW (win));
  gtk_widget_activate_action (GTK_WIDGET (win), "win.toggle-connection", NULL);
  hb_assert_eventually (hb_client_get_client_id (client) != 0);
  hb_assert_eventually (g_strcmp0 (hb_connection_get_name (hb_server_lookup (f->server, 1)), "quinn") == 0);
  hb_assert_eventually (strstr (state_text (win), "client #1") != NULL);
  {
    g_autofree char *now = g_settings_get_string (settings, "client-name");

    g_assert_cmpstr (now, ==, remembered);
  }

  close_client (win);
}

/* A test with a server of the loose heartbeat, stopped after it. */
#define add_window_test(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  hb_test_fatal_warnings_except_known ();

  add_window_test ("/gui/client-window/talk", test_talk);
  add_window_test ("/gui/client-window/stop-answering", test_stop_answering);
  add_window_test ("/gui/client-window/abort-and-half-close", test_abort_and_half_close);
  add_window_test ("/gui/client-window/reconnect-after-restart", test_reconnect_after_restart);
  g_test_add_func ("/gui/client-window/connect-error-zh_CN", test_connect_error_zh_CN);
  add_window_test ("/gui/client-window/reconnect-starts-fresh-panel", test_reconnect_starts_fresh_panel);
  add_window_test ("/gui/client-window/local-notes", test_local_notes);
  add_window_test ("/gui/client-window/enter-connects", test_enter_connects);
  add_window_test ("/gui/client-window/status-fits", test_status_fits);
  add_window_test ("/gui/client-window/panels-survive-resize", test_panels_survive_resize);
  add_window_test ("/gui/client-window/given-client", test_given_client);
  add_window_test ("/gui/timeline/live", test_timeline);
  add_window_test ("/gui/timeline/per-connection", test_timeline_per_connection);
  g_test_add ("/gui/timeline/read-late", Fixture, &quick_beat, fixture_setup, test_timeline_read_late, fixture_teardown);

  return g_test_run ();
}
