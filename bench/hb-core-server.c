/* hb-core-server.c - HbServer without the command-line tool's per-event output
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A diagnostic for the benchmark: the project's own server core (HbServer on
 * its epoll-backed GSource), driven the way heartbeat-lab-cli drives it but
 * without printing a line per heartbeat, so that the figures separate what
 * the core costs from what the CLI's output costs. It keeps the server's
 * RTTs (from the "pong" signal) in memory and prints them on request.
 *
 * Standard input is read with one read() per wake-up, and the broadcast
 * lines in it go out with hb_server_broadcast_lines(), as heartbeat-lab-cli
 * sends them.
 *
 * Commands on stdin as in hb-epoll-relay: /stats, /reset, /quit; any other
 * line is broadcast. SIGTERM and SIGINT exit after printing the stats.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib-unix.h>
#include <gio/gio.h>

#include "hb-server.h"

typedef struct
{
  HbServer  *server;
  GMainLoop *loop;
  GArray    *rtt_us;       /* gint64 */
  guint64    pongs;
  guint64    pings;
  guint64    bcast_lines;
  guint64    deliveries;
  gint64     start;
  struct rusage ru;
  GString   *in;
} Bench;

static void
on_pong (HbServer     *server,
         HbConnection *conn,
         guint64       seq,
         gint64        rtt_us,
         Bench        *b)
{
  b->pongs++;
  if (rtt_us >= 0)
    g_array_append_val (b->rtt_us, rtt_us);
}

static void
on_ping_sent (HbServer     *server,
              HbConnection *conn,
              guint64       seq,
              Bench        *b)
{
  b->pings++;
}

static int
cmp_i64 (gconstpointer a,
         gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static double
pct_ms (GArray *v,
        double  p)
{
  gsize rank;

  if (v->len == 0)
    return 0;
  rank = (gsize) (p / 100.0 * v->len + 0.999999);
  rank = CLAMP (rank, 1, v->len);
  return g_array_index (v, gint64, rank - 1) / 1000.0;
}

static double
tv_s (struct timeval tv)
{
  return (double) tv.tv_sec + (double) tv.tv_usec / 1e6;
}

static void
print_stats (Bench      *b,
             const char *type)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  g_array_sort (b->rtt_us, cmp_i64);
  printf ("{\"type\":\"%s\",\"window_s\":%.3f,\"clients\":%u,\"pings\":%" G_GUINT64_FORMAT ","
          "\"pongs\":%" G_GUINT64_FORMAT ",\"bcast_lines\":%" G_GUINT64_FORMAT ","
          "\"deliveries\":%" G_GUINT64_FORMAT ","
          "\"rtt\":{\"n\":%u,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f},"
          "\"cpu_user_s\":%.3f,\"cpu_sys_s\":%.3f}\n",
          type, (g_get_monotonic_time () - b->start) / 1e6,
          hb_server_get_n_clients (b->server), b->pings, b->pongs, b->bcast_lines, b->deliveries,
          b->rtt_us->len, pct_ms (b->rtt_us, 50), pct_ms (b->rtt_us, 99),
          b->rtt_us->len ? g_array_index (b->rtt_us, gint64, b->rtt_us->len - 1) / 1000.0 : 0.0,
          tv_s (ru.ru_utime) - tv_s (b->ru.ru_utime), tv_s (ru.ru_stime) - tv_s (b->ru.ru_stime));
  fflush (stdout);
}

static void
reset_stats (Bench *b)
{
  g_array_set_size (b->rtt_us, 0);
  b->pongs = b->pings = b->bcast_lines = b->deliveries = 0;
  b->start = g_get_monotonic_time ();
  getrusage (RUSAGE_SELF, &b->ru);
}

static void
flush_lines (Bench     *b,
             GPtrArray *lines)
{
  if (lines->len == 0)
    return;
  b->bcast_lines += lines->len;
  b->deliveries += (guint64) lines->len *
    hb_server_broadcast_lines (b->server, (const char *const *) lines->pdata, lines->len);
  g_ptr_array_set_size (lines, 0);
}

static gboolean
on_stdin (int          fd,
          GIOCondition condition,
          gpointer     user_data)
{
  Bench *b = user_data;
  g_autoptr(GPtrArray) lines = g_ptr_array_new ();
  char buf[65536];
  ssize_t n;
  char *line, *nl;

  n = read (fd, buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return G_SOURCE_CONTINUE;
  if (n <= 0)
    return G_SOURCE_REMOVE;   /* like the CLI: end of input does not stop us */

  g_string_append_len (b->in, buf, n);
  line = b->in->str;
  while ((nl = memchr (line, '\n', b->in->len - (line - b->in->str))) != NULL)
    {
      *nl = '\0';
      if (nl > line && nl[-1] == '\r')
        nl[-1] = '\0';
      if (*line == '\0')
        ;
      else if (line[0] != '/' || line[1] == '/')
        {
          /* as heartbeat-lab-cli does: the lines of one read go out
           * together, one block per client */
          g_ptr_array_add (lines, line[0] == '/' ? line + 1 : line);
        }
      else
        {
          flush_lines (b, lines);
          if (strcmp (line, "/stats") == 0)
            print_stats (b, "stats");
          else if (strcmp (line, "/reset") == 0)
            reset_stats (b);
          else if (strcmp (line, "/quit") == 0)
            g_main_loop_quit (b->loop);
        }
      line = nl + 1;
    }
  flush_lines (b, lines);
  g_string_erase (b->in, 0, line - b->in->str);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_signal (gpointer user_data)
{
  Bench *b = user_data;

  g_main_loop_quit (b->loop);
  return G_SOURCE_CONTINUE;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  int port = 12001, interval = 10000, timeout = 30000, max_clients = 10000;
  const GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "TCP port", "N" },
    { "interval", 'i', 0, G_OPTION_ARG_INT, &interval, "Milliseconds between heartbeats", "MS" },
    { "timeout", 't', 0, G_OPTION_ARG_INT, &timeout, "Dead after this many ms", "MS" },
    { "max-clients", 0, 0, G_OPTION_ARG_INT, &max_clients, "Most clients at once", "N" },
    { NULL }
  };
  Bench b = { 0 };
  int fl;

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, "HbServer for the benchmark, without per-event output.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || port < 0 || interval < 1 ||
      timeout < 1 || max_clients < 1)
    {
      fprintf (stderr, "hb-core-server: %s\n", error ? error->message : "bad option");
      return 2;
    }

  b.rtt_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  b.in = g_string_new (NULL);
  b.server = g_object_new (HB_TYPE_SERVER,
                           "address", "127.0.0.1",
                           "port", (guint) port,
                           "interval-ms", (guint) interval,
                           "timeout-ms", (guint) timeout,
                           "max-clients", (guint) max_clients,
                           NULL);
  if (!hb_server_start (b.server, &error))
    {
      fprintf (stderr, "hb-core-server: %s\n", error->message);
      return 1;
    }
  g_signal_connect (b.server, "pong", G_CALLBACK (on_pong), &b);
  g_signal_connect (b.server, "ping-sent", G_CALLBACK (on_ping_sent), &b);

  b.loop = g_main_loop_new (NULL, FALSE);
  fl = fcntl (0, F_GETFL);
  if (fl >= 0 && fcntl (0, F_SETFL, fl | O_NONBLOCK) == 0)
    g_unix_fd_add (0, G_IO_IN | G_IO_HUP, on_stdin, &b);
  g_unix_signal_add (SIGTERM, on_signal, &b);
  g_unix_signal_add (SIGINT, on_signal, &b);
  reset_stats (&b);
  printf ("{\"type\":\"listening\",\"port\":%u}\n", hb_server_get_port (b.server));
  fflush (stdout);

  g_main_loop_run (b.loop);

  print_stats (&b, "final");
  g_clear_object (&b.server);
  g_main_loop_unref (b.loop);
  g_array_unref (b.rtt_us);
  g_string_free (b.in, TRUE);
  return 0;
}
