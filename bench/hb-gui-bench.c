/* hb-gui-bench.c - the server window under N heartbeating clients: frame times, batch time, input delay
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One process opens HbServerWindow listening on 127.0.0.1 port 0 with a 1 s
 * heartbeat, starts bench/hb-load for N clients against it, and measures,
 * first while the clients join and then over a window while they all
 * heartbeat:
 *
 *  - frame work: from the frame clock's ::before-paint to its ::after-paint,
 *    split into update (tick callbacks, CSS animations), layout and paint
 *    (snapshot and render); a tick callback keeps the clock running, so the
 *    interval between frames shows frames that came late;
 *  - main-loop lag: a source at the priority of input events (DEFAULT) is
 *    due every 10 ms; its lag is the time from due to dispatched, i.e. how
 *    long an event arriving then would wait for the loop;
 *  - input delay, in a second window after the first: a thread presses
 *    Down/Up through XTest (libXtst, found at run time) every ~100 ms, which
 *    moves the list's cursor; the delay is from the press to the window's
 *    key handler, and to the end of the first frame painted after it;
 *  - batch: each splice of joined clients into the server's list model,
 *    timed around its items-changed emission (every handler: sort model,
 *    selection, column view);
 *  - probes: hb-load's own PINGs answered by the server in this process;
 *  - in every window of the process, by emission hooks: frames (the frame
 *    clock's after-paint), renders (GdkSurface::render, a frame that drew)
 *    and the area that reached the X server (its DAMAGE extension); and the
 *    resident memory.
 *
 * With --quiet no tick callback keeps the frame clock running, so a frame
 * is drawn only when something asked for one: what the window costs when
 * little changes (issue 15). With --demo the bench runs the application
 * itself with --demo (a server window and two clients) and measures it
 * doing nothing.
 *
 * Xvfb has no vsync and draws in software: the figures are time spent, not
 * presentation times. Results go to stdout as one JSON object (--json FILE
 * writes it there too) and a short summary to stderr. bench/gui.sh runs it.
 */

#include "config.h"

#include <dlfcn.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <gtk/gtk.h>
#include <gdk/x11/gdkx.h>
#include <json-glib/json-glib.h>
#include <X11/Xlib.h>
#include <X11/keysym.h>
#include <X11/extensions/Xdamage.h>

#include "heartbeat-lab.h"
#include "hb-application.h"
#include "hb-renderer.h"
#include "hb-server-window.h"

#define CONNS_PER_LOAD 8000   /* per hb-load process, far from the fd limit */
#define CONNS_PER_SRC  2500   /* per source address, far from 28,232 ports */
#define LAG_PERIOD_US  10000
#define KEY_PERIOD_MS  100

static char *opt_load = NULL;
static int opt_clients = 1000;
static char *opt_sort = NULL;
static char *opt_scroll = NULL;
static double opt_window_s = 20;
static double opt_input_s = 10;
static double opt_settle_s = 3;
static double opt_rate = 5000;
static int opt_src_base = 150;
static int opt_load_cpu = 1;
static int opt_probes = 100;
static gboolean opt_no_keys = FALSE;
static char *opt_json = NULL;
static char *opt_label = NULL;
static char *opt_frames = NULL;
static int opt_paste = 0;
static gboolean opt_quit = FALSE;
static gboolean opt_quiet = FALSE;
static gboolean opt_demo = FALSE;
static FILE *frames_out = NULL;

static GOptionEntry entries[] = {
  { "load", 0, 0, G_OPTION_ARG_FILENAME, &opt_load, "hb-load executable", "PATH" },
  { "clients", 'n', 0, G_OPTION_ARG_INT, &opt_clients, "Clients (default 1000)", "N" },
  { "sort", 0, 0, G_OPTION_ARG_STRING, &opt_sort, "Sort the list by a column before the clients join", "TITLE" },
  { "scroll", 0, 0, G_OPTION_ARG_STRING, &opt_scroll, "top (default) or middle", "WHERE" },
  { "window", 0, 0, G_OPTION_ARG_DOUBLE, &opt_window_s, "Measurement window in s, no input (20)", "S" },
  { "input-window", 0, 0, G_OPTION_ARG_DOUBLE, &opt_input_s, "Then a window with key presses, in s (10)", "S" },
  { "settle", 0, 0, G_OPTION_ARG_DOUBLE, &opt_settle_s, "Wait after the ramp in s (3)", "S" },
  { "rate", 0, 0, G_OPTION_ARG_DOUBLE, &opt_rate, "Connects per second (5000)", "R" },
  { "src-base", 0, 0, G_OPTION_ARG_INT, &opt_src_base, "First source address 127.0.0.X (150)", "X" },
  { "load-cpu", 0, 0, G_OPTION_ARG_INT, &opt_load_cpu, "Pin hb-load to this CPU, -1 not (1)", "CPU" },
  { "probes", 0, 0, G_OPTION_ARG_INT, &opt_probes, "hb-load probe connections (100)", "N" },
  { "no-keys", 0, 0, G_OPTION_ARG_NONE, &opt_no_keys, "Inject no key presses", NULL },
  { "json", 0, 0, G_OPTION_ARG_FILENAME, &opt_json, "Also write the result here", "FILE" },
  { "label", 0, 0, G_OPTION_ARG_STRING, &opt_label, "Scenario name in the result", "NAME" },
  { "frames", 0, 0, G_OPTION_ARG_FILENAME, &opt_frames, "Write every measured frame here (CSV)", "FILE" },
  { "paste", 0, 0, G_OPTION_ARG_INT, &opt_paste, "Then paste N broadcasts of 900 characters into the entry, Enter, 100 ms apart (0)", "N" },
  { "quit", 0, 0, G_OPTION_ARG_NONE, &opt_quit, "End by closing the window as Ctrl+Q does, and time the goodbyes", NULL },
  { "quiet", 0, 0, G_OPTION_ARG_NONE, &opt_quiet, "No tick callback: frames only when the window asks for one", NULL },
  { "demo", 0, 0, G_OPTION_ARG_NONE, &opt_demo, "Run heartbeat-lab --demo and measure it idle for --window s, after --settle s", NULL },
  { NULL }
};

/* ---------------------------------------------------------------------- */
/* Samples                                                                 */

typedef struct
{
  GArray *v;   /* double, ms */
} Samples;

static void
samples_init (Samples *s)
{
  s->v = g_array_new (FALSE, FALSE, sizeof (double));
}

static void
samples_add (Samples *s,
             double   ms)
{
  g_array_append_val (s->v, ms);
}

static void
samples_clear (Samples *s)
{
  g_array_set_size (s->v, 0);
}

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
  rank = (guint) ceil (p / 100.0 * sorted->len);
  rank = CLAMP (rank, 1, sorted->len);
  return g_array_index (sorted, double, rank - 1);
}

/* {"n":…, "p50":…, "p99":…, "max":…, "mean":…, "over_16ms":…} */
static void
samples_json (JsonBuilder *b,
              const char  *name,
              Samples     *s)
{
  g_autoptr(GArray) sorted = g_array_copy (s->v);
  double sum = 0;
  guint over = 0;

  g_array_sort (sorted, cmp_double);
  for (guint i = 0; i < sorted->len; i++)
    {
      sum += g_array_index (sorted, double, i);
      over += g_array_index (sorted, double, i) > 16.0;
    }
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "n");
  json_builder_add_int_value (b, sorted->len);
  if (sorted->len > 0)
    {
      json_builder_set_member_name (b, "p50");
      json_builder_add_double_value (b, pct (sorted, 50));
      json_builder_set_member_name (b, "p99");
      json_builder_add_double_value (b, pct (sorted, 99));
      json_builder_set_member_name (b, "max");
      json_builder_add_double_value (b, g_array_index (sorted, double, sorted->len - 1));
      json_builder_set_member_name (b, "mean");
      json_builder_add_double_value (b, sum / sorted->len);
      json_builder_set_member_name (b, "over_16ms");
      json_builder_add_int_value (b, over);
    }
  json_builder_end_object (b);
}

static char *
samples_line (Samples *s)
{
  g_autoptr(GArray) sorted = g_array_copy (s->v);

  g_array_sort (sorted, cmp_double);
  if (sorted->len == 0)
    return g_strdup ("-");
  return g_strdup_printf ("p50 %.2f  p99 %.2f  max %.2f ms  (n=%u)",
                          pct (sorted, 50), pct (sorted, 99),
                          g_array_index (sorted, double, sorted->len - 1), sorted->len);
}

/* What one phase of the run measured. */
typedef struct
{
  Samples frame;      /* before-paint to after-paint */
  Samples update;
  Samples layout;
  Samples paint;
  Samples interval;   /* between consecutive frames */
  Samples lag;        /* main-loop lag at DEFAULT priority */
  Samples lag_redraw; /* the same at the priority of redrawing */
  Samples key;        /* key press to key handler */
  Samples key_paint;  /* key press to end of the next frame */
  gint64  started;
  gint64  ended;
  guint64 cpu_ns0;
  guint64 cpu_ns1;
  guint64 frames0, frames1;   /* every window's, by the hooks below */
  guint64 renders0, renders1;
  double  area0, area1;       /* pixels drawn, as the X server saw them */
  gint64  rss_kb;             /* at the end */
  guint64 busy0, busy1;       /* the machine's busy ticks (/proc/stat) */
  guint64 ours0, ours1;       /* ticks of this process, its loads and its Xvfb */
  guint64 xvfb0, xvfb1;
} Phase;

static guint64 ours_ticks (void);

/* Busy clock ticks of the whole machine since boot. */
static guint64
machine_busy_ticks (void)
{
  g_autofree char *stat = NULL;
  guint64 v[10] = { 0 };

  if (!g_file_get_contents ("/proc/stat", &stat, NULL, NULL))
    return 0;
  if (sscanf (stat, "cpu %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
              " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
              " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
              &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 8)
    return 0;
  /* user nice system (idle iowait) irq softirq steal */
  return v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
}

/* utime + stime of @pid, in clock ticks. */
static guint64
pid_ticks (const char *pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/stat", pid);
  g_autofree char *stat = NULL;
  char *p;
  guint64 utime = 0, stime = 0;

  if (!g_file_get_contents (path, &stat, NULL, NULL) || (p = strrchr (stat, ')')) == NULL)
    return 0;
  /* after the command: state ppid pgrp session tty tpgid flags minflt
   * cminflt majflt cmajflt utime stime */
  if (sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
              &utime, &stime) != 2)
    return 0;
  return utime + stime;
}

/* The Xvfb serving our DISPLAY (xvfb-run's), found once. */
static char *
xvfb_pid (void)
{
  static char *found = NULL;
  static gboolean looked = FALSE;
  const char *display = g_getenv ("DISPLAY");
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (looked)
    return found;
  looked = TRUE;
  if (display == NULL || (dir = g_dir_open ("/proc", 0, NULL)) == NULL)
    return NULL;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_strdup_printf ("/proc/%s/cmdline", name);
      g_autofree char *cmd = NULL;
      gsize len;

      if (!g_ascii_isdigit (name[0]) || !g_file_get_contents (path, &cmd, &len, NULL) ||
          !g_str_has_suffix (cmd, "Xvfb"))
        continue;
      /* argv[1] is the display */
      if (strlen (cmd) + 1 < len && g_str_equal (cmd + strlen (cmd) + 1, display))
        {
          found = g_strdup (name);
          break;
        }
    }
  return found;
}

/* Frames and renders of every window of the process. */
static struct
{
  guint64 frames;
  guint64 renders;
  double  area;
} Drawn;

static gboolean
frame_hook (GSignalInvocationHint *hint,
            guint                  n_values,
            const GValue          *values,
            gpointer               data)
{
  Drawn.frames++;
  return TRUE;
}

/* A frame that draws. GTK 4 works out what changed in the renderer (a
 * diff of render nodes), so the region given here is empty: the area
 * comes from the X server instead (damage_thread()). */
static gboolean
render_hook (GSignalInvocationHint *hint,
             guint                  n_values,
             const GValue          *values,
             gpointer               data)
{
  Drawn.renders++;
  return TRUE;
}

/* What reached the screen: the X server's damage of the root window,
 * every window of the display (ours alone under our Xvfb), in pixels,
 * from a thread with its own connection. */
static gint damage_stop;
static GMutex damage_lock;

static gpointer
damage_thread (gpointer data)
{
  Display *dpy = XOpenDisplay (NULL);
  int ev, er;
  Damage damage;

  if (dpy == NULL || !XDamageQueryExtension (dpy, &ev, &er))
    {
      if (dpy)
        XCloseDisplay (dpy);
      return NULL;
    }
  damage = XDamageCreate (dpy, DefaultRootWindow (dpy), XDamageReportRawRectangles);
  XSync (dpy, False);
  while (!g_atomic_int_get (&damage_stop))
    {
      XEvent e;

      if (XPending (dpy) == 0)
        {
          /* Asleep until the server writes: the thread must cost nothing. */
          struct pollfd pfd = { ConnectionNumber (dpy), POLLIN, 0 };

          poll (&pfd, 1, 200);
          continue;
        }
      XNextEvent (dpy, &e);
      if (e.type == ev + XDamageNotify)
        {
          XDamageNotifyEvent *d = (XDamageNotifyEvent *) &e;

          g_mutex_lock (&damage_lock);
          Drawn.area += (double) d->area.width * d->area.height;
          g_mutex_unlock (&damage_lock);
        }
    }
  XDamageDestroy (dpy, damage);
  XCloseDisplay (dpy);
  return NULL;
}

static double
damage_area (void)
{
  double a;

  g_mutex_lock (&damage_lock);
  a = Drawn.area;
  g_mutex_unlock (&damage_lock);
  return a;
}

static void
drawn_hooks_add (void)
{
  g_signal_add_emission_hook (g_signal_lookup ("after-paint", GDK_TYPE_FRAME_CLOCK), 0,
                              frame_hook, NULL, NULL);
  g_signal_add_emission_hook (g_signal_lookup ("render", GDK_TYPE_SURFACE), 0,
                              render_hook, NULL, NULL);
  g_thread_unref (g_thread_new ("damage", damage_thread, NULL));
}

static gint64
rss_kb (void)
{
  g_autofree char *status = NULL;
  const char *p;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (p = strstr (status, "VmRSS:")) == NULL)
    return -1;
  return g_ascii_strtoll (p + strlen ("VmRSS:"), NULL, 10);
}

static void
phase_init (Phase *p)
{
  samples_init (&p->frame);
  samples_init (&p->update);
  samples_init (&p->layout);
  samples_init (&p->paint);
  samples_init (&p->interval);
  samples_init (&p->lag);
  samples_init (&p->lag_redraw);
  samples_init (&p->key);
  samples_init (&p->key_paint);
}

static guint64
cpu_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (guint64) ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static void
phase_reset (Phase *p)
{
  samples_clear (&p->frame);
  samples_clear (&p->update);
  samples_clear (&p->layout);
  samples_clear (&p->paint);
  samples_clear (&p->interval);
  samples_clear (&p->lag);
  samples_clear (&p->lag_redraw);
  samples_clear (&p->key);
  samples_clear (&p->key_paint);
  p->started = p->ended = g_get_monotonic_time ();
  p->cpu_ns0 = p->cpu_ns1 = cpu_ns ();
  p->frames0 = p->frames1 = Drawn.frames;
  p->renders0 = p->renders1 = Drawn.renders;
  p->area0 = p->area1 = damage_area ();
  p->busy0 = p->busy1 = machine_busy_ticks ();
  p->ours0 = p->ours1 = ours_ticks ();
  p->xvfb0 = p->xvfb1 = xvfb_pid () ? pid_ticks (xvfb_pid ()) : 0;
}

static void
phase_end (Phase *p)
{
  p->ended = g_get_monotonic_time ();
  p->cpu_ns1 = cpu_ns ();
  p->frames1 = Drawn.frames;
  p->renders1 = Drawn.renders;
  p->area1 = damage_area ();
  p->rss_kb = rss_kb ();
  p->busy1 = machine_busy_ticks ();
  p->ours1 = ours_ticks ();
  p->xvfb1 = xvfb_pid () ? pid_ticks (xvfb_pid ()) : 0;
}

static void
phase_json (JsonBuilder *b,
            const char  *name,
            Phase       *p)
{
  double secs = (p->ended - p->started) / 1e6;

  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "seconds");
  json_builder_add_double_value (b, secs);
  if (secs <= 0)
    {
      json_builder_end_object (b);
      return;  /* not run */
    }
  json_builder_set_member_name (b, "cpu_pct");
  json_builder_add_double_value (b, 100.0 * (p->cpu_ns1 - p->cpu_ns0) / 1e9 / secs);
  json_builder_set_member_name (b, "frames_per_s");
  json_builder_add_double_value (b, (p->frames1 - p->frames0) / secs);
  json_builder_set_member_name (b, "renders_per_s");
  json_builder_add_double_value (b, (p->renders1 - p->renders0) / secs);
  json_builder_set_member_name (b, "damage_px_per_s");
  json_builder_add_double_value (b, (p->area1 - p->area0) / secs);
  json_builder_set_member_name (b, "damage_px_per_render");
  json_builder_add_double_value (b, p->renders1 > p->renders0 ? (p->area1 - p->area0) / (p->renders1 - p->renders0) : 0);
  json_builder_set_member_name (b, "rss_kb");
  json_builder_add_int_value (b, p->rss_kb);
  /* Everyone else's CPU meanwhile: the machine's busy time but that of
   * this process, its loads and its Xvfb; % of one core. */
  json_builder_set_member_name (b, "foreign_cpu_pct");
  json_builder_add_double_value (b, 100.0 * ((double) p->busy1 - p->busy0 - ((double) p->ours1 - p->ours0)) /
                                      sysconf (_SC_CLK_TCK) / secs);
  json_builder_set_member_name (b, "xvfb_cpu_pct");
  json_builder_add_double_value (b, xvfb_pid () ? 100.0 * (p->xvfb1 - p->xvfb0) / sysconf (_SC_CLK_TCK) / secs : -1);
  samples_json (b, "frame_ms", &p->frame);
  samples_json (b, "update_ms", &p->update);
  samples_json (b, "layout_ms", &p->layout);
  samples_json (b, "paint_ms", &p->paint);
  samples_json (b, "frame_interval_ms", &p->interval);
  samples_json (b, "loop_lag_ms", &p->lag);
  samples_json (b, "loop_lag_redraw_ms", &p->lag_redraw);
  samples_json (b, "key_to_handler_ms", &p->key);
  samples_json (b, "key_to_frame_ms", &p->key_paint);
  json_builder_end_object (b);
}

static void
phase_print (const char *name,
             Phase      *p)
{
  struct { const char *what; Samples *s; } rows[] = {
    { "frame (layout+paint)", &p->frame },
    { "  update", &p->update },
    { "  layout", &p->layout },
    { "  paint", &p->paint },
    { "frame interval", &p->interval },
    { "main-loop lag", &p->lag },
    { "  at redraw priority", &p->lag_redraw },
    { "key to handler", &p->key },
    { "key to frame", &p->key_paint },
  };

  double secs = (p->ended - p->started) / 1e6;

  g_printerr ("%s (%.1f s, %.1f %% of a core, %.1f frames/s, %.1f renders/s of %.0f px each, RSS %.1f MB):\n",
              name, secs, 100.0 * (p->cpu_ns1 - p->cpu_ns0) / 1e9 / secs,
              (p->frames1 - p->frames0) / secs, (p->renders1 - p->renders0) / secs,
              p->renders1 > p->renders0 ? (p->area1 - p->area0) / (p->renders1 - p->renders0) : 0.0,
              p->rss_kb / 1024.0);
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autofree char *line = samples_line (rows[i].s);

      g_printerr ("  %-22s %s\n", rows[i].what, line);
    }
}

/* ---------------------------------------------------------------------- */
/* State                                                                   */

typedef struct
{
  HbServerWindow *win;
  HbServer       *server;
  GListModel     *connections;
  GtkColumnView  *view;
  GdkFrameClock  *clock;
  Phase           ramp;
  Phase           steady;
  Phase           input;
  Phase           paste;
  Phase          *phase;        /* the one being recorded, or NULL */

  /* frame */
  gint64          frame_start;
  gint64          mark;
  double          f_update, f_layout, f_paint;
  gint64          last_frame_start;

  /* splices of joins */
  gint64          splice_start;
  GArray         *splice_ms;    /* double */
  GArray         *splice_n;     /* guint */

  /* lag */
  GSource        *lag_source;
  GSource        *lag_redraw_source;

  /* keys */
  GThread        *key_thread;
  GAsyncQueue    *key_sent;     /* gint64 send times, as pointers */
  GArray         *key_waiting;  /* gint64: handled, waiting for a frame */
  gint            key_stop;
  gboolean        keys_ok;
  Window          xid;

  /* loads */
  GPtrArray      *loads;

  /* rows of the last column: widgets made, rows bound */
  guint           n_setup;
  guint           n_bind;
} Bench;

static Bench B;


/* ---------------------------------------------------------------------- */
/* Frame clock                                                             */

static void
on_before_paint (GdkFrameClock *clock,
                 gpointer       data)
{
  gint64 now = g_get_monotonic_time ();

  if (B.phase != NULL && B.last_frame_start != 0)
    samples_add (&B.phase->interval, (now - B.last_frame_start) / 1000.0);
  B.last_frame_start = now;
  B.frame_start = B.mark = now;
  B.f_update = B.f_layout = B.f_paint = 0;
}

static void
on_phase_end (GdkFrameClock *clock,
              double        *acc)
{
  gint64 now = g_get_monotonic_time ();

  *acc += (now - B.mark) / 1000.0;
  B.mark = now;
}

static void
on_after_paint (GdkFrameClock *clock,
                gpointer       data)
{
  gint64 now = g_get_monotonic_time ();

  if (B.phase == NULL || B.frame_start == 0)
    return;
  samples_add (&B.phase->frame, (now - B.frame_start) / 1000.0);
  samples_add (&B.phase->update, B.f_update);
  samples_add (&B.phase->layout, B.f_layout);
  samples_add (&B.phase->paint, B.f_paint);
  if (frames_out != NULL)
    fprintf (frames_out, "%s,%.3f,%.3f,%.3f,%.3f,%.3f\n",
             B.phase == &B.ramp ? "ramp" : B.phase == &B.steady ? "steady" :
             B.phase == &B.paste ? "paste" : "input",
             (B.frame_start - B.ramp.started) / 1000.0, (now - B.frame_start) / 1000.0,
             B.f_update, B.f_layout, B.f_paint);
  /* Keys handled before this frame began are visible once it is painted. */
  for (guint i = 0; i < B.key_waiting->len; )
    {
      gint64 sent = g_array_index (B.key_waiting, gint64, i);

      samples_add (&B.phase->key_paint, (now - sent) / 1000.0);
      g_array_remove_index (B.key_waiting, i);
    }
  B.frame_start = 0;
}

/* Keeps the frame clock running, as an animation would: a frame that comes
 * late then shows up as a long interval. */
static gboolean
keep_ticking (GtkWidget     *widget,
              GdkFrameClock *clock,
              gpointer       data)
{
  return G_SOURCE_CONTINUE;
}

/* ---------------------------------------------------------------------- */
/* Main-loop lag                                                           */

static gboolean
lag_dispatch (GSource     *source,
              GSourceFunc  callback,
              gpointer     data)
{
  gint64 due = g_source_get_ready_time (source);
  gint64 now = g_get_monotonic_time ();

  if (B.phase != NULL)
    samples_add (source == B.lag_source ? &B.phase->lag : &B.phase->lag_redraw, (now - due) / 1000.0);
  /* Stalls of the loop itself, with their time, to line them up with
   * whatever else happened then. */
  if (B.phase != NULL && source == B.lag_source && now - due > 100000)
    g_printerr ("hb-gui-bench: %s: main loop stalled %.0f ms at %.3f s\n",
                B.phase == &B.ramp ? "ramp" : B.phase == &B.steady ? "steady" : "arrow keys",
                (now - due) / 1000.0, (due - B.phase->started) / 1e6);
  g_source_set_ready_time (source, now + LAG_PERIOD_US);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs lag_funcs = { NULL, NULL, lag_dispatch, NULL, NULL, NULL };

static GSource *
lag_source_new (int priority)
{
  GSource *source = g_source_new (&lag_funcs, sizeof (GSource));

  g_source_set_priority (source, priority);
  g_source_set_name (source, "hb-gui-bench lag");
  g_source_set_ready_time (source, g_get_monotonic_time () + LAG_PERIOD_US);
  g_source_attach (source, NULL);
  return source;
}

/* One at the priority of input events; one at that of the frame clock's
 * paint, which any busier source of higher priority can hold back. */
static void
lag_start (void)
{
  B.lag_source = lag_source_new (G_PRIORITY_DEFAULT);
  B.lag_redraw_source = lag_source_new (GDK_PRIORITY_REDRAW);
}

/* ---------------------------------------------------------------------- */
/* Key presses through XTest, from a thread of their own                    */

typedef int (*FakeKeyFunc) (Display *, unsigned int, Bool, unsigned long);
typedef Bool (*QueryExtFunc) (Display *, int *, int *, int *, int *);

static FakeKeyFunc fake_key;
static QueryExtFunc query_ext;

static gboolean
xtest_load (void)
{
  /* No libXtst development files on the target: the library itself is
   * there (Xvfb's own dependencies), so look the two calls up at run time. */
  void *lib = dlopen ("libXtst.so.6", RTLD_NOW | RTLD_LOCAL);

  if (lib == NULL)
    return FALSE;
  fake_key = (FakeKeyFunc) dlsym (lib, "XTestFakeKeyEvent");
  query_ext = (QueryExtFunc) dlsym (lib, "XTestQueryExtension");
  return fake_key != NULL && query_ext != NULL;
}

static gpointer
key_thread (gpointer data)
{
  Display *dpy = XOpenDisplay (NULL);
  int ev, er, maj, min;
  KeyCode codes[2];
  guint n = 0;

  if (dpy == NULL || !query_ext (dpy, &ev, &er, &maj, &min))
    {
      if (dpy)
        XCloseDisplay (dpy);
      return NULL;
    }
  codes[0] = XKeysymToKeycode (dpy, XK_Down);
  codes[1] = XKeysymToKeycode (dpy, XK_Up);
  XSetInputFocus (dpy, B.xid, RevertToPointerRoot, CurrentTime);
  XSync (dpy, False);
  while (!g_atomic_int_get (&B.key_stop))
    {
      /* Not in step with the frames: 100 ms plus 0-16 ms. */
      g_usleep (KEY_PERIOD_MS * 1000 + g_random_int_range (0, 16000));
      if (g_atomic_int_get (&B.key_stop))
        break;
      g_async_queue_push (B.key_sent, GSIZE_TO_POINTER ((gsize) g_get_monotonic_time ()));
      fake_key (dpy, codes[n % 2 ? 1 : 0], True, CurrentTime);
      fake_key (dpy, codes[n % 2 ? 1 : 0], False, CurrentTime);
      XFlush (dpy);
      /* Down, Down, Up, Up: the cursor stays near where it started. */
      n++;
      if (n % 4 == 2)
        n++;
    }
  XCloseDisplay (dpy);
  return NULL;
}

static gboolean
on_key_pressed (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                gpointer               data)
{
  gint64 now = g_get_monotonic_time ();
  gpointer sent = g_async_queue_try_pop (B.key_sent);

  if (sent == NULL)
    return GDK_EVENT_PROPAGATE;
  if (B.phase != NULL)
    {
      gint64 t = (gint64) GPOINTER_TO_SIZE (sent);

      samples_add (&B.phase->key, (now - t) / 1000.0);
      g_array_append_val (B.key_waiting, t);
    }
  /* The list moves its cursor; the tick callback makes sure a frame follows. */
  return GDK_EVENT_PROPAGATE;
}

/* ---------------------------------------------------------------------- */
/* Splices                                                                  */

static gboolean
splice_hook (GSignalInvocationHint *hint,
             guint                  n_values,
             const GValue          *values,
             gpointer               data)
{
  if (g_value_get_object (&values[0]) == (GObject *) B.connections &&
      g_value_get_uint (&values[3]) > 0)
    B.splice_start = g_get_monotonic_time ();
  return TRUE;
}

static void
on_items_changed_after (GListModel *model,
                        guint       position,
                        guint       removed,
                        guint       added,
                        gpointer    data)
{
  double ms;

  if (added == 0 || B.splice_start == 0)
    return;
  ms = (g_get_monotonic_time () - B.splice_start) / 1000.0;
  g_array_append_val (B.splice_ms, ms);
  g_array_append_val (B.splice_n, added);
  B.splice_start = 0;
}

/* ---------------------------------------------------------------------- */
/* Load processes                                                          */

typedef struct
{
  GSubprocess      *proc;
  GDataInputStream *out;
  GOutputStream    *in;
  GPtrArray        *lines;  /* JsonObject*, every line read */
  gboolean          eof;
} Load;

static void read_next (Load *load);

static guint64
ours_ticks (void)
{
  guint64 t = pid_ticks ("self");

  for (guint i = 0; B.loads != NULL && i < B.loads->len; i++)
    {
      GSubprocess *proc = ((Load *) g_ptr_array_index (B.loads, i))->proc;
      const char *pid = g_subprocess_get_identifier (proc);

      if (pid != NULL)
        t += pid_ticks (pid);
    }
  if (xvfb_pid () != NULL)
    t += pid_ticks (xvfb_pid ());
  return t;
}

static void
on_line (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  Load *load = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish (load->out, result, NULL, &error);
  g_autoptr(JsonParser) parser = NULL;

  if (line == NULL)
    {
      load->eof = TRUE;
      return;
    }
  parser = json_parser_new ();
  if (json_parser_load_from_data (parser, line, -1, NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    g_ptr_array_add (load->lines, json_object_ref (json_node_get_object (json_parser_get_root (parser))));
  read_next (load);
}

static void
read_next (Load *load)
{
  g_data_input_stream_read_line_async (load->out, G_PRIORITY_DEFAULT, NULL, on_line, load);
}

static Load *
load_start (const char *label,
            guint       port,
            int         n,
            int         src,
            int         src_count,
            double      rate,
            int         probes)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  Load *load = g_new0 (Load, 1);

  if (opt_load_cpu >= 0)
    {
      g_ptr_array_add (argv, g_strdup ("taskset"));
      g_ptr_array_add (argv, g_strdup ("-c"));
      g_ptr_array_add (argv, g_strdup_printf ("%d", opt_load_cpu));
    }
  g_ptr_array_add (argv, g_strdup (opt_load));
  g_ptr_array_add (argv, g_strdup ("--port"));
  g_ptr_array_add (argv, g_strdup_printf ("%u", port));
  g_ptr_array_add (argv, g_strdup ("--connections"));
  g_ptr_array_add (argv, g_strdup_printf ("%d", n));
  g_ptr_array_add (argv, g_strdup ("--src"));
  g_ptr_array_add (argv, g_strdup_printf ("127.0.0.%d", src));
  g_ptr_array_add (argv, g_strdup ("--src-count"));
  g_ptr_array_add (argv, g_strdup_printf ("%d", src_count));
  g_ptr_array_add (argv, g_strdup ("--rate"));
  g_ptr_array_add (argv, g_strdup_printf ("%.0f", rate));
  g_ptr_array_add (argv, g_strdup ("--probes"));
  g_ptr_array_add (argv, g_strdup_printf ("%d", probes));
  g_ptr_array_add (argv, g_strdup ("--label"));
  g_ptr_array_add (argv, g_strdup (label));
  g_ptr_array_add (argv, g_strdup ("--max-seconds"));
  g_ptr_array_add (argv, g_strdup_printf ("%d", (int) (opt_window_s + opt_input_s + opt_settle_s) + 240));
  g_ptr_array_add (argv, NULL);

  load->proc = g_subprocess_newv ((const char * const *) argv->pdata,
                                  G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                                  &error);
  if (load->proc == NULL)
    g_error ("cannot start %s: %s", opt_load, error->message);
  load->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (load->proc));
  load->in = g_subprocess_get_stdin_pipe (load->proc);
  load->lines = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  read_next (load);
  return load;
}

static void
load_send (Load       *load,
           const char *cmd)
{
  g_autofree char *line = g_strconcat (cmd, "\n", NULL);

  g_output_stream_write_all (load->in, line, strlen (line), NULL, NULL, NULL);
}

/* The first line of @type read at or after index @from, or NULL. */
static JsonObject *
load_find (Load       *load,
           const char *type,
           guint       from)
{
  for (guint i = from; i < load->lines->len; i++)
    {
      JsonObject *o = g_ptr_array_index (load->lines, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (o, "type", ""), type) == 0)
        return o;
    }
  return NULL;
}

/* ---------------------------------------------------------------------- */
/* Running the loop                                                        */

static gboolean
wake (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Runs the main loop until @cond holds (or, without one, for @timeout_s);
 * FALSE if it did not hold in time. */
static gboolean
run_until (gboolean (*cond) (gpointer),
           gpointer   data,
           double     timeout_s)
{
  gint64 end = g_get_monotonic_time () + (gint64) (timeout_s * G_USEC_PER_SEC);
  guint id = g_timeout_add (20, wake, NULL);
  gboolean ok;

  while (!(ok = cond != NULL && cond (data)) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (id);
  return ok || cond == NULL;
}

static guint
count_widgets (GtkWidget *w)
{
  guint n = 1;

  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    n += count_widgets (c);
  return n;
}

static void
count_signal (GtkListItemFactory *factory,
              GtkListItem        *item,
              guint              *counter)
{
  (*counter)++;
}

static gboolean
is_mapped (gpointer data)
{
  return gtk_widget_get_mapped (GTK_WIDGET (B.win));
}

static gboolean
all_ramped (gpointer data)
{
  for (guint i = 0; i < B.loads->len; i++)
    {
      Load *load = g_ptr_array_index (B.loads, i);

      if (load_find (load, "ramped", 0) == NULL && !load->eof)
        return FALSE;
    }
  return TRUE;
}

static gboolean
list_has (gpointer data)
{
  return g_list_model_get_n_items (B.connections) >= GPOINTER_TO_UINT (data);
}

static gboolean
all_answered (gpointer data)
{
  const char *type = ((const char **) data)[0];
  guint *from = ((guint **) data)[1];

  for (guint i = 0; i < B.loads->len; i++)
    {
      Load *load = g_ptr_array_index (B.loads, i);

      if (load_find (load, type, from[i]) == NULL && !load->eof)
        return FALSE;
    }
  return TRUE;
}

/* Sends @cmd to every load and waits for each one's line of @type. */
static GPtrArray *
ask_loads (const char *cmd,
           const char *type)
{
  g_autofree guint *from = g_new0 (guint, B.loads->len);
  gpointer args[2] = { (gpointer) type, from };
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  for (guint i = 0; i < B.loads->len; i++)
    {
      Load *load = g_ptr_array_index (B.loads, i);

      from[i] = load->lines->len;
      load_send (load, cmd);
    }
  run_until (all_answered, args, 20);
  for (guint i = 0; i < B.loads->len; i++)
    {
      JsonObject *o = load_find (g_ptr_array_index (B.loads, i), type, from[i]);

      if (o != NULL)
        g_ptr_array_add (out, json_object_ref (o));
    }
  return out;
}

static gboolean
no_clients (gpointer data)
{
  return hb_server_get_n_clients (B.server) == 0;
}

static gboolean
farewells_done (gpointer data)
{
  return hb_farewell_pending () == 0;
}

static GtkColumnViewColumn *
find_column (const char *title)
{
  GListModel *columns = gtk_column_view_get_columns (B.view);

  for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
    {
      g_autoptr(GtkColumnViewColumn) c = g_list_model_get_item (columns, i);

      if (g_ascii_strcasecmp (gtk_column_view_column_get_title (c), title) == 0)
        return c;
    }
  return NULL;
}

static char *
read_text (const char *path)
{
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return g_strdup ("?");
  return g_strchomp (text);
}

static char *
cpu_model (void)
{
  g_autofree char *info = read_text ("/proc/cpuinfo");
  g_auto(GStrv) lines = g_strsplit (info, "\n", -1);

  for (guint i = 0; lines[i]; i++)
    if (g_str_has_prefix (lines[i], "model name"))
      return g_strdup (g_strstrip (strchr (lines[i], ':') + 1));
  return g_strdup ("?");
}

static void
add_string (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

static void
add_double (JsonBuilder *b, const char *name, double value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_double_value (b, value);
}

static void
add_int (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

/* The loads' probes (PING to the server, time to its PONG), merged. */
static void
probes_json (JsonBuilder *b,
             GPtrArray   *reports,
             char       **summary)
{
  Samples s;
  gint64 open = 0, pmin = G_MAXINT64, pmax = 0;

  samples_init (&s);
  for (guint i = 0; i < reports->len; i++)
    {
      JsonObject *r = g_ptr_array_index (reports, i);
      JsonObject *probe = json_object_get_object_member (r, "probe");
      JsonArray *us = probe ? json_object_get_array_member (probe, "samples_us") : NULL;

      open += json_object_get_int_member_with_default (r, "open", 0);
      pmin = MIN (pmin, json_object_get_int_member_with_default (r, "pings_per_conn_min", 0));
      pmax = MAX (pmax, json_object_get_int_member_with_default (r, "pings_per_conn_max", 0));
      for (guint j = 0; us && j < json_array_get_length (us); j++)
        samples_add (&s, json_array_get_double_element (us, j) / 1000.0);
    }
  add_int (b, "clients_open", open);
  add_int (b, "pings_per_client_min", reports->len ? pmin : 0);
  add_int (b, "pings_per_client_max", pmax);
  samples_json (b, "probe_rtt_ms", &s);
  *summary = g_strdup_printf ("clients open %" G_GINT64_FORMAT ", pings per client in the window %"
                              G_GINT64_FORMAT "-%" G_GINT64_FORMAT ", probe RTT %s",
                              open, reports->len ? pmin : 0, pmax, samples_line (&s));
  g_array_unref (s.v);
}

/* ---------------------------------------------------------------------- */
/* --demo: the application itself, doing nothing                           */

static gboolean
demo_begin (gpointer data)
{
  phase_reset (&B.steady);
  return G_SOURCE_REMOVE;
}

static gboolean
demo_end (gpointer data)
{
  GApplication *app = data;
  GtkWindow *win = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;
  g_autofree char *load1 = read_text ("/proc/loadavg");
  g_autofree char *cpu = cpu_model ();
  const char *renderer = win ? G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (win))) : "?";

  phase_end (&B.steady);
  json_builder_begin_object (b);
  add_string (b, "scenario", opt_label ? opt_label : "demo");
  add_int (b, "clients", 2);
  add_string (b, "renderer", renderer);
  add_string (b, "cpu", cpu);
  add_int (b, "windows", g_list_length (gtk_application_get_windows (GTK_APPLICATION (app))));
  add_string (b, "loadavg_end", load1);
  phase_json (b, "steady", &B.steady);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json = json_generator_to_data (gen, NULL);
  g_print ("%s\n", json);
  if (opt_json != NULL)
    g_file_set_contents (opt_json, json, -1, NULL);
  g_printerr ("%s: heartbeat-lab --demo idle, %s\n", opt_label ? opt_label : "demo", renderer);
  phase_print ("idle", &B.steady);
  g_application_quit (app);
  return G_SOURCE_REMOVE;
}

static int
run_demo (void)
{
  g_autoptr(HbApplication) app = hb_application_new ();
  char *argv[] = { (char *) "heartbeat-lab", (char *) "--demo", NULL };

  phase_init (&B.steady);
  g_timeout_add ((guint) (opt_settle_s * 1000), demo_begin, NULL);
  g_timeout_add ((guint) ((opt_settle_s + opt_window_s) * 1000), demo_end, app);
  return g_application_run (G_APPLICATION (app), 2, argv);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- the server window under load");
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GPtrArray) reports = NULL;
  g_autofree char *json = NULL;
  g_autofree char *probe_line = NULL;
  g_autofree char *load0 = read_text ("/proc/loadavg");
  g_autofree char *cpu = cpu_model ();
  GtkEventController *keys;
  struct rlimit rl;
  gint64 t_listen, t_ramped, t_listed;
  guint paste_cut = 0;
  guint port, connected = 0, failed = 0;
  int procs, src;
  double ramp_s = 0;

  /* As the application does, first thing: cairo and no GL where GL is
   * software, unless GSK_RENDERER says otherwise. */
  g_free (hb_renderer_choose_early ());
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (opt_demo)
    {
      gtk_init ();
      drawn_hooks_add ();
      return run_demo ();
    }
  if (opt_load == NULL || opt_clients < 1)
    {
      g_printerr ("hb-gui-bench: --load PATH and --clients N are needed\n");
      return 2;
    }

  /* The hard limit is 20,000 here: the server needs one fd per client. */
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0)
    {
      rl.rlim_cur = rl.rlim_max;
      setrlimit (RLIMIT_NOFILE, &rl);
    }
  if (rl.rlim_cur < (rlim_t) opt_clients + 200)
    g_printerr ("hb-gui-bench: open-file limit %lu is below %d clients\n",
                (unsigned long) rl.rlim_cur, opt_clients);

  gtk_init ();
  drawn_hooks_add ();
  if (opt_frames != NULL && (frames_out = fopen (opt_frames, "w")) != NULL)
    fprintf (frames_out, "phase,start_ms,frame_ms,update_ms,layout_ms,paint_ms\n");
  if (!GDK_IS_X11_DISPLAY (gdk_display_get_default ()))
    {
      g_printerr ("hb-gui-bench: needs an X11 display (run it through bench/gui.sh)\n");
      return 2;
    }

  settings = g_settings_new (APP_ID);
  g_settings_set_string (settings, "bind-address", "127.0.0.1");
  g_settings_set_uint (settings, "port", 0);
  g_settings_set_uint (settings, "interval-ms", 1000);
  g_settings_set_uint (settings, "timeout-ms", 30000);
  g_settings_set_uint (settings, "max-clients", opt_clients + 100);

  phase_init (&B.ramp);
  phase_init (&B.steady);
  phase_init (&B.input);
  phase_init (&B.paste);
  B.splice_ms = g_array_new (FALSE, FALSE, sizeof (double));
  B.splice_n = g_array_new (FALSE, FALSE, sizeof (guint));
  B.key_waiting = g_array_new (FALSE, FALSE, sizeof (gint64));
  B.key_sent = g_async_queue_new ();
  B.loads = g_ptr_array_new ();

  B.win = hb_server_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (B.win), 1100, 720);
  gtk_window_present (GTK_WINDOW (B.win));
  if (!run_until (is_mapped, NULL, 10))
    g_error ("the window was never mapped");
  B.server = g_object_ref (hb_server_window_get_server (B.win));
  B.connections = hb_server_get_connections (B.server);
  B.view = GTK_COLUMN_VIEW (gtk_widget_get_template_child (GTK_WIDGET (B.win), HB_TYPE_SERVER_WINDOW, "column_view"));
  B.xid = gdk_x11_surface_get_xid (gtk_native_get_surface (GTK_NATIVE (B.win)));

  B.clock = gtk_widget_get_frame_clock (GTK_WIDGET (B.win));
  g_signal_connect (B.clock, "before-paint", G_CALLBACK (on_before_paint), NULL);
  g_signal_connect_after (B.clock, "update", G_CALLBACK (on_phase_end), &B.f_update);
  g_signal_connect_after (B.clock, "layout", G_CALLBACK (on_phase_end), &B.f_layout);
  g_signal_connect_after (B.clock, "paint", G_CALLBACK (on_phase_end), &B.f_paint);
  g_signal_connect_after (B.clock, "after-paint", G_CALLBACK (on_after_paint), NULL);
  if (!opt_quiet)
    gtk_widget_add_tick_callback (GTK_WIDGET (B.win), keep_ticking, NULL, NULL);
  /* Two sources due every 10 ms would be most of a quiet window's CPU. */
  if (!opt_quiet)
    lag_start ();

  g_signal_add_emission_hook (g_signal_lookup ("items-changed", G_TYPE_LIST_MODEL), 0,
                              splice_hook, NULL, NULL);
  g_signal_connect_after (B.connections, "items-changed", G_CALLBACK (on_items_changed_after), NULL);

  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (on_key_pressed), NULL);
  gtk_widget_add_controller (GTK_WIDGET (B.win), keys);

  {
    GListModel *columns = gtk_column_view_get_columns (B.view);
    g_autoptr(GtkColumnViewColumn) last = g_list_model_get_item (columns, g_list_model_get_n_items (columns) - 1);
    GtkListItemFactory *factory = gtk_column_view_column_get_factory (last);

    g_signal_connect (factory, "setup", G_CALLBACK (count_signal), &B.n_setup);
    g_signal_connect (factory, "bind", G_CALLBACK (count_signal), &B.n_bind);
  }

  if (opt_sort != NULL)
    {
      GtkColumnViewColumn *column = find_column (opt_sort);

      if (column == NULL)
        g_error ("no column titled %s", opt_sort);
      gtk_column_view_sort_by_column (B.view, column, GTK_SORT_ASCENDING);
    }

  if (!hb_server_window_start (B.win))
    g_error ("the server did not start");
  port = hb_server_get_port (B.server);
  t_listen = g_get_monotonic_time ();
  run_until (NULL, NULL, 0.5);

  /* ---- ramp */
  phase_reset (&B.ramp);
  B.phase = &B.ramp;
  procs = (opt_clients + CONNS_PER_LOAD - 1) / CONNS_PER_LOAD;
  src = opt_src_base;
  for (int i = 0; i < procs; i++)
    {
      int n = opt_clients / procs + (i < opt_clients % procs);
      int nsrc = (n + CONNS_PER_SRC - 1) / CONNS_PER_SRC;
      g_autofree char *label = g_strdup_printf ("gui%d", i);

      g_ptr_array_add (B.loads, load_start (label, port, n, src, nsrc, opt_rate / procs,
                                            opt_probes / procs));
      src += nsrc;
    }
  if (!run_until (all_ramped, NULL, opt_clients / opt_rate + 60))
    g_printerr ("hb-gui-bench: not every load ramped up in time\n");
  t_ramped = g_get_monotonic_time ();
  for (guint i = 0; i < B.loads->len; i++)
    {
      JsonObject *r = load_find (g_ptr_array_index (B.loads, i), "ramped", 0);

      if (r == NULL)
        continue;
      connected += json_object_get_int_member_with_default (r, "connected", 0);
      failed += json_object_get_int_member_with_default (r, "failed", 0);
      ramp_s = MAX (ramp_s, json_object_get_double_member_with_default (r, "ramp_s", 0));
    }
  run_until (list_has, GUINT_TO_POINTER (connected), 30);
  t_listed = g_get_monotonic_time ();
  run_until (NULL, NULL, 1.0);
  B.phase = NULL;
  phase_end (&B.ramp);

  /* ---- settle, place the view, take the focus */
  run_until (NULL, NULL, opt_settle_s);
  gtk_widget_grab_focus (GTK_WIDGET (B.view));
  if (g_strcmp0 (opt_scroll, "middle") == 0)
    {
      GtkScrolledWindow *sw = GTK_SCROLLED_WINDOW (gtk_widget_get_parent (GTK_WIDGET (B.view)));
      GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (sw);

      gtk_adjustment_set_value (adj, (gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj)) / 2);
    }
  run_until (NULL, NULL, 1.0);

  /* ---- measurement window: everyone heartbeats, nobody touches the window */
  g_ptr_array_unref (ask_loads ("RESET", "reset"));
  phase_reset (&B.steady);
  B.phase = &B.steady;
  run_until (NULL, NULL, opt_window_s);
  B.phase = NULL;
  phase_end (&B.steady);
  reports = ask_loads ("REPORT", "report");

  /* ---- then someone moves through the list with the arrow keys */
  if (!opt_no_keys && opt_input_s > 0 && xtest_load ())
    {
      B.keys_ok = TRUE;
      phase_reset (&B.input);
      B.phase = &B.input;
      B.key_thread = g_thread_new ("keys", key_thread, NULL);
      run_until (NULL, NULL, opt_input_s);
      g_atomic_int_set (&B.key_stop, 1);
      g_thread_join (B.key_thread);
      run_until (NULL, NULL, 0.2);
      B.phase = NULL;
      phase_end (&B.input);
    }
  else if (!opt_no_keys && opt_input_s > 0)
    g_printerr ("hb-gui-bench: no libXtst.so.6: no key presses\n");

  /* ---- then the operator pastes long lines and broadcasts each */
  if (opt_paste > 0)
    {
      g_autofree char *line = g_strnfill (900, 'x');
      GtkEditable *entry = GTK_EDITABLE (gtk_widget_get_template_child (GTK_WIDGET (B.win), HB_TYPE_SERVER_WINDOW,
                                                                        "broadcast_entry"));
      guint before = g_list_model_get_n_items (B.connections);

      phase_reset (&B.paste);
      B.phase = &B.paste;
      for (int i = 0; i < opt_paste; i++)
        {
          gtk_editable_set_text (entry, line);
          gtk_widget_activate (GTK_WIDGET (entry));
          run_until (NULL, NULL, 0.1);
        }
      run_until (NULL, NULL, 2.0);
      B.phase = NULL;
      phase_end (&B.paste);
      paste_cut = before - MIN (before, g_list_model_get_n_items (B.connections));
    }

  /* ---- result */
  json_builder_begin_object (b);
  add_string (b, "scenario", opt_label ? opt_label : "");
  add_int (b, "clients", opt_clients);
  add_string (b, "sort", opt_sort ? opt_sort : "");
  add_string (b, "scroll", opt_scroll ? opt_scroll : "top");
  add_double (b, "window_s", opt_window_s);
  add_string (b, "renderer", G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (B.win))));
  add_string (b, "cpu", cpu);
  add_int (b, "nproc", g_get_num_processors ());
  {
    g_autofree char *gtk = g_strdup_printf ("%u.%u.%u", gtk_get_major_version (),
                                            gtk_get_minor_version (), gtk_get_micro_version ());

    add_string (b, "gtk", gtk);
  }
  add_string (b, "loadavg_start", load0);
  add_int (b, "connected", connected);
  add_int (b, "failed", failed);
  add_double (b, "ramp_s", ramp_s);
  add_double (b, "listen_to_ramped_s", (t_ramped - t_listen) / 1e6);
  add_double (b, "listen_to_all_listed_s", (t_listed - t_listen) / 1e6);
  add_int (b, "rows", g_list_model_get_n_items (B.connections));
  add_int (b, "widgets_in_list", count_widgets (GTK_WIDGET (B.view)));
  add_int (b, "rows_set_up", B.n_setup);
  add_int (b, "rows_bound", B.n_bind);
  {
    Samples s;
    guint biggest = 0;
    double biggest_ms = 0;

    samples_init (&s);
    json_builder_set_member_name (b, "splices");
    json_builder_begin_array (b);
    for (guint i = 0; i < B.splice_ms->len; i++)
      {
        double ms = g_array_index (B.splice_ms, double, i);
        guint n = g_array_index (B.splice_n, guint, i);

        json_builder_begin_array (b);
        json_builder_add_int_value (b, n);
        json_builder_add_double_value (b, ms);
        json_builder_end_array (b);
        samples_add (&s, ms);
        if (n > biggest)
          biggest = n, biggest_ms = ms;
      }
    json_builder_end_array (b);
    samples_json (b, "splice_ms", &s);
    add_int (b, "biggest_splice_rows", biggest);
    add_double (b, "biggest_splice_ms", biggest_ms);
    g_array_unref (s.v);
  }
  phase_json (b, "ramp", &B.ramp);
  phase_json (b, "steady", &B.steady);
  phase_json (b, "input", &B.input);
  phase_json (b, "paste", &B.paste);
  add_int (b, "paste_clients_cut", paste_cut);
  add_int (b, "keys_injected", B.keys_ok);
  add_int (b, "quiet", opt_quiet);
  probes_json (b, reports, &probe_line);
  {
    g_autofree char *load1 = read_text ("/proc/loadavg");

    add_string (b, "loadavg_end", load1);
  }
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json = json_generator_to_data (gen, NULL);
  g_print ("%s\n", json);
  if (opt_json != NULL && !g_file_set_contents (opt_json, json, -1, &error))
    g_printerr ("hb-gui-bench: %s\n", error->message);

  g_printerr ("%s: %d clients (%u connected, %u failed), sort %s, scroll %s, %s\n",
              opt_label ? opt_label : "hb-gui-bench", opt_clients, connected, failed,
              opt_sort ? opt_sort : "none", opt_scroll ? opt_scroll : "top",
              G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (B.win))));
  g_printerr ("  ramp %.2f s, all %u rows listed %.2f s after listening; %u splices; "
              "%u widgets in the list, rows set up %u times, bound %u times\n",
              ramp_s, g_list_model_get_n_items (B.connections), (t_listed - t_listen) / 1e6,
              B.splice_ms->len, count_widgets (GTK_WIDGET (B.view)), B.n_setup, B.n_bind);
  {
    Samples s;
    g_autofree char *line = NULL;

    samples_init (&s);
    for (guint i = 0; i < B.splice_ms->len; i++)
      samples_add (&s, g_array_index (B.splice_ms, double, i));
    line = samples_line (&s);
    g_printerr ("  splice (items-changed) %s\n", line);
    g_array_unref (s.v);
  }
  phase_print ("ramp", &B.ramp);
  phase_print ("steady", &B.steady);
  if (B.keys_ok)
    phase_print ("arrow keys", &B.input);
  if (opt_paste > 0)
    {
      phase_print ("paste", &B.paste);
      g_printerr ("  clients cut while pasting: %u\n", paste_cut);
    }
  g_printerr ("  %s\n", probe_line);

  if (frames_out != NULL)
    fclose (frames_out);

  /* ---- tear down: as Ctrl+Q does, timed until the last goodbye */
  if (opt_quit)
    {
      gint64 t0 = g_get_monotonic_time ();

      gtk_window_destroy (GTK_WINDOW (B.win));
      run_until (farewells_done, NULL, 10);
      g_printerr ("  quit: window closed, every client told BYE shutdown and closed in %.1f ms\n",
                  (g_get_monotonic_time () - t0) / 1000.0);
      g_ptr_array_unref (ask_loads ("QUIT", "final"));
    }
  else
    {
      g_ptr_array_unref (ask_loads ("QUIT", "final"));
      gtk_window_destroy (GTK_WINDOW (B.win));
    }
  run_until (no_clients, NULL, 10);
  for (guint i = 0; i < B.loads->len; i++)
    {
      Load *load = g_ptr_array_index (B.loads, i);

      if (!g_subprocess_wait (load->proc, NULL, NULL))
        g_subprocess_force_exit (load->proc);
    }
  return 0;
}
