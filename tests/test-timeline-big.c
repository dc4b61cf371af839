/* test-timeline-big.c - a capture of 200,000 frames in the timeline window: opened while the window answers, cancelled, closed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GSK_RENDERER is cairo here unless set: under Xvfb GTK's default is GL on
 * Mesa's llvmpipe, which draws this window in 80-160 ms a frame on two
 * cores, file or no file (docs/benchmarks.md): a main-loop bound of
 * 100 ms would measure Mesa, not the window.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <gtk/gtk.h>

#include "heartbeat-lab.h"
#include "hb-capture-loader.h"
#include "hb-segment.h"
#include "hb-timeline-window.h"
#include "hb-test-gui.h"
#include "hb-test-pcap.h"
#include "hb-test-util.h"

#define CHILD(win, name) hb_test_child ((win), HB_TYPE_TIMELINE_WINDOW, (name))
#define BIG_FRAMES 200000

static char *big_path;

static const char *
notice (HbTimelineWindow *win)
{
  if (!gtk_revealer_get_reveal_child (CHILD (win, "notice_revealer")))
    return "";
  return gtk_label_get_text (CHILD (win, "notice_label"));
}

static guint
n_rows (HbTimelineWindow *win)
{
  return g_list_model_get_n_items (hb_timeline_window_get_segments (win));
}

static void
press_cancel (HbTimelineWindow *win)
{
  g_signal_emit_by_name (hb_test_child (CHILD (win, "loader"), HB_TYPE_CAPTURE_LOADER, "cancel_button"), "clicked");
}

static HbTimelineWindow *
open_big (void)
{
  g_autoptr(GFile) file = g_file_new_for_path (big_path);
  HbTimelineWindow *win = hb_timeline_window_new_for_file (NULL, file);

  gtk_window_present (GTK_WINDOW (win));
  return win;
}

/* A timer at the priority of input events: the longest it waited is how
 * long the window would have kept a click waiting. */
typedef struct
{
  gint64 last;
  gint64 worst;
  guint  ticks;
} Ticker;

static gboolean
tick (gpointer data)
{
  Ticker *t = data;
  gint64 now = g_get_monotonic_time ();

  if (t->last != 0)
    t->worst = MAX (t->worst, now - t->last);
  t->last = now;
  t->ticks++;
  return G_SOURCE_CONTINUE;
}

static void
count_frame (GdkFrameClock *clock,
             gpointer       user_data)
{
  (*(guint *) user_data)++;
}

/* Whether @win has painted a frame. */
static gboolean
painted (HbTimelineWindow *win)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (win));
  guint *frames;

  if (clock == NULL)
    return FALSE;
  frames = g_object_get_data (G_OBJECT (clock), "hb-test-frames");
  if (frames == NULL)
    {
      frames = g_new0 (guint, 1);
      g_object_set_data_full (G_OBJECT (clock), "hb-test-frames", frames, g_free);
      g_signal_connect (clock, "after-paint", G_CALLBACK (count_frame), frames);
    }
  return *frames > 0;
}

/* Whether a label under @widget that is on screen says @text: a row the
 * table has made and shows. */
static gboolean
shows_label (GtkWidget  *widget,
             const char *text)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget) &&
      g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0)
    return TRUE;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    if (shows_label (c, text))
      return TRUE;
  return FALSE;
}

/* GTK 4.8's column view has no scroll_to; its list view has the action. */
static void
scroll_table_to (HbTimelineWindow *win,
                 guint             row)
{
  GtkWidget *table = CHILD (win, "table");

  for (GtkWidget *child = gtk_widget_get_first_child (table); child != NULL; child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_LIST_VIEW (child))
      gtk_widget_activate_action (child, "list.scroll-to-item", "u", row);
}

/* A file of 200,000 frames opens while the main loop keeps answering:
 * a progress bar comes and goes, every packet becomes a row of the table,
 * and a timer of 20 ms never waits more than 100 ms meanwhile. */
static void
test_open (void)
{
  g_autofree char *last = g_strdup_printf ("%u", BIG_FRAMES);
  g_autofree char *status = g_strdup_printf ("%u packets · from the capture file", BIG_FRAMES);
  Ticker ticker = { 0 };
  HbTimelineWindow *win;
  GtkSelectionModel *table;
  guint timer;

  win = open_big ();
  table = gtk_column_view_get_model (CHILD (win, "table"));
  /* Nothing read yet: the window is there at once. */
  g_assert_true (hb_timeline_window_get_loading (win));
  g_assert_cmpuint (n_rows (win), ==, 0);
  g_assert_true (gtk_widget_get_visible (CHILD (win, "loader")));
  /* The window's own first frame (GTK making and styling its widgets:
   * 60-200 ms here, with a file or without) is not the file's doing: the
   * timer starts after it, while the file is still being read. */
  hb_assert_eventually (painted (win));
  g_assert_true (hb_timeline_window_get_loading (win));
  timer = g_timeout_add (20, tick, &ticker);

  hb_assert_eventually (!hb_timeline_window_get_loading (win));
  g_assert_false (gtk_widget_get_visible (CHILD (win, "loader")));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (table)), ==, BIG_FRAMES);
  g_assert_cmpuint (n_rows (win), ==, BIG_FRAMES);
  g_assert_cmpstr (gtk_label_get_text (CHILD (win, "status_label")), ==, status);
  g_assert_cmpstr (notice (win), ==, "");
  {
    g_autoptr(HbSegment) first = g_list_model_get_item (hb_timeline_window_get_segments (win), 0);

    g_assert_cmpstr (hb_segment_get_label (first), ==, "SYN");
  }
  /* The table shows its first row, and its last when scrolled there. */
  hb_assert_eventually (shows_label (CHILD (win, "table"), "1"));
  scroll_table_to (win, BIG_FRAMES - 1);
  hb_assert_eventually (shows_label (CHILD (win, "table"), last));

  g_source_remove (timer);
  g_test_message ("timer: %u ticks, the longest wait %.1f ms", ticker.ticks, ticker.worst / 1000.0);
  g_assert_cmpuint (ticker.ticks, >, 2);
  g_assert_cmpint (ticker.worst, <=, 100 * 1000);
  gtk_window_destroy (GTK_WINDOW (win));
}

/* Runs what is due now, and what that makes due, a bounded number of
 * times: a source that re-arms for ever shows as work left over. */
static gboolean
settles (void)
{
  for (guint i = 0; i < 1000; i++)
    if (!g_main_context_iteration (NULL, FALSE))
      return TRUE;
  return FALSE;
}

/* Cancel while the file is read: nothing shown, said plainly, no error. */
static void
test_cancel_reading (void)
{
  HbTimelineWindow *win = open_big ();

  g_assert_true (hb_timeline_window_get_loading (win));
  press_cancel (win);
  hb_assert_eventually (!hb_timeline_window_get_loading (win));
  g_assert_false (gtk_widget_get_visible (CHILD (win, "loader")));
  g_assert_cmpstr (notice (win), ==, "Reading big.pcap was cancelled: nothing is shown.");
  g_assert_false (gtk_widget_has_css_class (CHILD (win, "notice_revealer"), "error"));
  g_assert_cmpuint (n_rows (win), ==, 0);
  g_assert_false (gtk_widget_get_visible (CHILD (win, "conversation_dropdown")));
  gtk_window_destroy (GTK_WINDOW (win));
}

/* Cancel while the rows are added: those added stay, and the window says
 * how many of how many; no more come. */
static void
test_cancel_listing (void)
{
  HbTimelineWindow *win = open_big ();
  g_autofree char *said = NULL;
  g_autofree char *status = NULL;
  guint n;

  hb_assert_eventually (n_rows (win) > 0);
  g_assert_true (hb_timeline_window_get_loading (win));
  press_cancel (win);
  g_assert_false (hb_timeline_window_get_loading (win));
  g_assert_false (gtk_widget_get_visible (CHILD (win, "loader")));
  n = n_rows (win);
  g_assert_cmpuint (n, <, BIG_FRAMES);
  said = g_strdup_printf ("Stopped: %u of %u packets are shown.", n, BIG_FRAMES);
  status = g_strdup_printf ("%u packets · from the capture file", n);
  g_assert_cmpstr (notice (win), ==, said);
  g_assert_cmpstr (gtk_label_get_text (CHILD (win, "status_label")), ==, status);
  g_assert_true (settles ());
  g_assert_cmpuint (n_rows (win), ==, n);
  gtk_window_destroy (GTK_WINDOW (win));
}

static void
on_loaded (HbCaptureLoader *loader,
           const GError    *error,
           gpointer         user_data)
{
  GError **out = user_data;

  *out = error ? g_error_copy (error) : g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "read whole");
}

/* The window closed while the file is read: the read is cancelled, and
 * the loader goes once its worker has stopped. */
static void
test_close_reading (void)
{
  HbTimelineWindow *win = open_big ();
  g_autoptr(GError) error = NULL;
  HbCaptureLoader *loader = g_object_ref (CHILD (win, "loader"));

  g_signal_connect (loader, "loaded", G_CALLBACK (on_loaded), &error);
  g_assert_true (hb_timeline_window_get_loading (win));
  gtk_window_destroy (GTK_WINDOW (win));
  hb_assert_eventually (error != NULL);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  hb_test_await_finalize (loader);
}

/* The window closed while the rows are added: no more are, and the list
 * goes with the window. */
static void
test_close_listing (void)
{
  HbTimelineWindow *win = open_big ();
  GListModel *segments = g_object_ref (hb_timeline_window_get_segments (win));
  guint n;

  hb_assert_eventually (g_list_model_get_n_items (segments) > 0);
  g_assert_true (hb_timeline_window_get_loading (win));
  gtk_window_destroy (GTK_WINDOW (win));
  n = g_list_model_get_n_items (segments);
  g_assert_cmpuint (n, <, BIG_FRAMES);
  g_assert_true (settles ());
  g_assert_cmpuint (g_list_model_get_n_items (segments), ==, n);
  g_assert_finalize_object (segments);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *dir = NULL;
  int status;

  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  gtk_test_init (&argc, &argv, NULL);
  hb_test_fatal_warnings_except_known ();

  dir = g_dir_make_tmp ("hb-timeline-big-XXXXXX", NULL);
  big_path = g_build_filename (dir, "big.pcap", NULL);
  hb_test_write_long_conversation (big_path, BIG_FRAMES);

  g_test_add_func ("/gui/timeline-big/open", test_open);
  g_test_add_func ("/gui/timeline-big/cancel-reading", test_cancel_reading);
  g_test_add_func ("/gui/timeline-big/cancel-listing", test_cancel_listing);
  g_test_add_func ("/gui/timeline-big/close-reading", test_close_reading);
  g_test_add_func ("/gui/timeline-big/close-listing", test_close_listing);

  status = g_test_run ();
  g_unlink (big_path);
  g_rmdir (dir);
  g_free (big_path);
  return status;
}
