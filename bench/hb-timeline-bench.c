/* hb-timeline-bench.c - the timeline window on a big capture: opening it, then scrolling its table and ladder
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Opens a capture file in HbTimelineWindow (1340×760, as it opens) and
 * measures, phase by phase:
 *
 *  - open: from hb_timeline_window_new_for_file() until every row is
 *    listed (the worker thread reads, then the rows come in slices);
 *  - table-scroll / ladder-scroll: a tick callback moves the packet
 *    table's (or the ladder's) scroll position by --rows-per-frame rows
 *    every frame, from the top, for --seconds;
 *  - table-middle / ladder-middle: the same from the middle of the list;
 *  - table-jumps / ladder-jumps: every frame to another place anywhere in
 *    the list (a scroll bar dragged fast), for --seconds.
 *
 * In each: frame work (the frame clock's ::before-paint to ::after-paint:
 * update, layout, paint), the interval between frames, and the main-loop
 * gap (a DEFAULT-priority timer due every 10 ms, as input events are: the
 * time between two of its runs, which is as long as a click would have
 * waited at worst). Xvfb has no vsync and draws in software: the figures
 * are work, not presentation times. One Markdown table row per phase goes
 * to stdout. bench/timeline-gui.sh runs it.
 */

#include "config.h"

#include <math.h>

#include <gtk/gtk.h>

#include "heartbeat-lab.h"
#include "hb-timeline-window.h"

#define GAP_PERIOD_MS 10

static char *opt_file = NULL;
static double opt_seconds = 5;
static int opt_rows_per_frame = 3;
static char *opt_label = NULL;

static GOptionEntry entries[] = {
  { "file", 0, 0, G_OPTION_ARG_FILENAME, &opt_file, "The capture to open", "PATH" },
  { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &opt_seconds, "Length of each scrolling phase in s (5)", "S" },
  { "rows-per-frame", 0, 0, G_OPTION_ARG_INT, &opt_rows_per_frame, "Rows scrolled per frame (3)", "R" },
  { "label", 0, 0, G_OPTION_ARG_STRING, &opt_label, "Name of the run in the table (the renderer)", "NAME" },
  { NULL }
};

static struct
{
  HbTimelineWindow *win;
  GdkFrameClock    *clock;
  GtkAdjustment    *adj;       /* scrolled in this phase */
  double            row_h;     /* px per row of that adjustment */
  gboolean          jumps;
  gboolean          measuring;
  gint64            phase_end;
  gint64            frame_start;
  gint64            last_frame;
  gint64            last_gap;
  GArray           *work;      /* ms */
  GArray           *interval;
  GArray           *gap;
  GRand            *rand;
  gboolean          done;
} B;

static int
cmp_double (gconstpointer a,
            gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
pct (GArray *sorted,
     double  p)
{
  guint rank;

  if (sorted->len == 0)
    return NAN;
  rank = CLAMP ((guint) ceil (p / 100.0 * sorted->len), 1, sorted->len);
  return g_array_index (sorted, double, rank - 1);
}

static char *
trio (GArray *v)
{
  g_autoptr(GArray) s = g_array_copy (v);

  if (s->len == 0)
    return g_strdup ("–");
  g_array_sort (s, cmp_double);
  return g_strdup_printf ("%.1f / %.1f / %.1f", pct (s, 50), pct (s, 99), g_array_index (s, double, s->len - 1));
}

static guint
count_over (GArray *v,
            double  ms)
{
  guint n = 0;

  for (guint i = 0; i < v->len; i++)
    n += g_array_index (v, double, i) > ms;
  return n;
}

static void
phase_begin (void)
{
  g_array_set_size (B.work, 0);
  g_array_set_size (B.interval, 0);
  g_array_set_size (B.gap, 0);
  B.last_frame = 0;
  B.last_gap = g_get_monotonic_time ();
  B.measuring = TRUE;
}

static void
phase_end (const char *name,
           double      seconds,
           const char *extra)
{
  g_autofree char *work = trio (B.work);
  g_autofree char *interval = trio (B.interval);
  g_autofree char *gap = trio (B.gap);

  B.measuring = FALSE;
  g_print ("| %s | %s | %.2f s%s | %u | %s | %u | %s | %s |\n", opt_label ? opt_label : g_getenv ("GSK_RENDERER"),
           name, seconds, extra ? extra : "", B.work->len, work, count_over (B.work, 16.0), interval, gap);
}

static void
on_before_paint (GdkFrameClock *clock,
                 gpointer       data)
{
  gint64 now = g_get_monotonic_time ();

  B.frame_start = now;
  if (B.measuring && B.last_frame != 0)
    {
      double ms = (now - B.last_frame) / 1000.0;

      g_array_append_val (B.interval, ms);
    }
  B.last_frame = now;
}

static void
on_after_paint (GdkFrameClock *clock,
                gpointer       data)
{
  double ms = (g_get_monotonic_time () - B.frame_start) / 1000.0;

  if (B.measuring)
    g_array_append_val (B.work, ms);
}

static gboolean
gap_tick (gpointer data)
{
  gint64 now = g_get_monotonic_time ();
  double ms = (now - B.last_gap) / 1000.0;

  if (B.measuring)
    g_array_append_val (B.gap, ms);
  B.last_gap = now;
  return G_SOURCE_CONTINUE;
}

static gboolean
scroll_tick (GtkWidget     *widget,
             GdkFrameClock *clock,
             gpointer       data)
{
  double upper = gtk_adjustment_get_upper (B.adj) - gtk_adjustment_get_page_size (B.adj);
  double value = gtk_adjustment_get_value (B.adj);

  if (g_get_monotonic_time () >= B.phase_end)
    {
      B.done = TRUE;
      return G_SOURCE_REMOVE;
    }
  if (B.jumps)
    value = g_rand_double_range (B.rand, 0, upper);
  else
    value = value + opt_rows_per_frame * B.row_h > upper ? 0 : value + opt_rows_per_frame * B.row_h;
  gtk_adjustment_set_value (B.adj, value);
  return G_SOURCE_CONTINUE;
}

static GtkAdjustment *
table_adjustment (void)
{
  GObject *table = gtk_widget_get_template_child (GTK_WIDGET (B.win), HB_TYPE_TIMELINE_WINDOW, "table");

  return gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (table));
}

static GtkAdjustment *
ladder_adjustment (void)
{
  GtkScrolledWindow *sw = GTK_SCROLLED_WINDOW (gtk_widget_get_template_child (GTK_WIDGET (B.win),
                                                                              HB_TYPE_TIMELINE_WINDOW,
                                                                              "ladder_scroller"));

  return gtk_scrolled_window_get_vadjustment (sw);
}

static void
iterate_until (gboolean *flag)
{
  while (!*flag)
    g_main_context_iteration (NULL, TRUE);
}

static void
scroll_phase (const char    *name,
              GtkAdjustment *adj,
              double         start,
              gboolean       jumps)
{
  guint n = g_list_model_get_n_items (hb_timeline_window_get_segments (B.win));
  gint64 t0;

  B.adj = adj;
  B.row_h = n > 0 ? gtk_adjustment_get_upper (adj) / n : 20;
  B.jumps = jumps;
  gtk_adjustment_set_value (adj, start * (gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj)));
  /* Let the jump settle before measuring. */
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  B.done = FALSE;
  t0 = g_get_monotonic_time ();
  B.phase_end = t0 + (gint64) (opt_seconds * G_USEC_PER_SEC);
  phase_begin ();
  gtk_widget_add_tick_callback (GTK_WIDGET (B.win), scroll_tick, NULL, NULL);
  iterate_until (&B.done);
  phase_end (name, (g_get_monotonic_time () - t0) / 1e6, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- the timeline window on a big capture");
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = NULL;
  g_autofree char *extra = NULL;
  gint64 t0;
  guint n;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || opt_file == NULL)
    {
      g_printerr ("%s\n", error ? error->message : "--file is needed");
      return 2;
    }
  gtk_init ();
  B.work = g_array_new (FALSE, FALSE, sizeof (double));
  B.interval = g_array_new (FALSE, FALSE, sizeof (double));
  B.gap = g_array_new (FALSE, FALSE, sizeof (double));
  B.rand = g_rand_new_with_seed (14);
  g_timeout_add (GAP_PERIOD_MS, gap_tick, NULL);

  file = g_file_new_for_path (opt_file);
  t0 = g_get_monotonic_time ();
  B.win = hb_timeline_window_new_for_file (NULL, file);
  gtk_window_present (GTK_WINDOW (B.win));
  while ((B.clock = gtk_widget_get_frame_clock (GTK_WIDGET (B.win))) == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_signal_connect (B.clock, "before-paint", G_CALLBACK (on_before_paint), NULL);
  g_signal_connect_after (B.clock, "after-paint", G_CALLBACK (on_after_paint), NULL);
  phase_begin ();
  while (hb_timeline_window_get_loading (B.win))
    g_main_context_iteration (NULL, TRUE);
  n = g_list_model_get_n_items (hb_timeline_window_get_segments (B.win));
  extra = g_strdup_printf (" (%u rows)", n);
  phase_end ("open", (g_get_monotonic_time () - t0) / 1e6, extra);

  scroll_phase ("table-scroll", table_adjustment (), 0, FALSE);
  scroll_phase ("table-middle", table_adjustment (), 0.5, FALSE);
  scroll_phase ("table-jumps", table_adjustment (), 0, TRUE);
  scroll_phase ("ladder-scroll", ladder_adjustment (), 0, FALSE);
  scroll_phase ("ladder-middle", ladder_adjustment (), 0.5, FALSE);
  scroll_phase ("ladder-jumps", ladder_adjustment (), 0, TRUE);

  gtk_window_destroy (GTK_WINDOW (B.win));
  g_rand_free (B.rand);
  return 0;
}
