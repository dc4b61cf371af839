/* hb-load.c - single-threaded epoll load generator for heartbeat servers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Opens N TCP connections from a range of loopback source addresses,
 * answers every PING at once, sends its own PING probes on a few
 * connections to time the server's answers, and records when each
 * broadcast carrying a "@hb <seq> <t0-ns>" payload is read. Plain libc:
 * the process must cost as little as possible next to the server it loads.
 *
 * Control on stdin, one command per line:
 *   RESET       start a new measurement window (counters, probes, broadcasts)
 *   REPORT      print a JSON report line
 *   MARK <ns>   marker time for broadcasts whose payload carries t0 = 0
 *   QUIT        print the final report and exit (end of input does the same)
 * Every line written to stdout is one JSON object with a "type" member.
 * Times are CLOCK_MONOTONIC nanoseconds, the same clock in every process.
 */

#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define IN_CAP        4096   /* per connection; longer lines are dropped */
#define OUT_CAP       1024   /* answers that did not fit in the socket */
#define MAX_EVENTS    512
#define MAX_BCAST     4096   /* broadcast seqs tracked */
#define HIST_SUB      8      /* sub-buckets per power of two */
#define HIST_BUCKETS  (40 * HIST_SUB)
#define STDIN_TAG     UINT64_MAX

typedef enum
{
  C_IDLE,
  C_CONNECTING,
  C_OPEN,
  C_CLOSED,
} ConnState;

typedef struct
{
  int       fd;
  uint8_t   state;
  uint8_t   welcomed;
  uint8_t   want_out;
  uint16_t  in_len;
  uint16_t  out_len;
  uint32_t  pings;          /* PINGs read since RESET */
  int64_t   started_ns;     /* connect() called */
  int64_t   probe_sent_ns;  /* outstanding probe, 0 if none */
  uint32_t  probe_seq;
  char     *in;
  char     *out;
} Conn;

typedef struct
{
  int64_t   t0;
  int64_t   first;
  int64_t   last;
  uint32_t  count;
  uint32_t *hist;     /* latency in µs, log buckets; allocated on first use */
} Bcast;

typedef struct
{
  uint64_t *v;
  size_t    len;
  size_t    cap;
} Samples;

/* Options */
static const char *opt_host = "127.0.0.1";
static int         opt_port = 12001;
static int         opt_n = 1000;
static const char *opt_src = "127.0.0.2";
static int         opt_src_count = 1;
static double      opt_rate = 2000;
static int         opt_probes = 100;
static int         opt_probe_interval_ms = 1000;
static int         opt_connect_timeout_ms = 10000;
static int         opt_max_seconds = 900;
static int         opt_max_inflight = 1024;
static bool        opt_raw = false;
static const char *opt_label = "load";

/* State */
static int      epfd = -1;
static Conn    *conns;
static int      n_opened;
static int      n_connected;
static int      n_failed;
static int      n_closed;
static int      n_inflight;
static int      n_welcomed;
static int      fail_refused, fail_timeout, fail_addr, fail_other;
static int      bye_full, bye_other, err_full, err_other;
static int64_t  t_start;
static int64_t  t_ramped;
static bool     ramp_reported;
static int64_t  mark_ns;

static int64_t  w_start;             /* measurement window */
static uint64_t w_pings;
static uint64_t w_pongs_sent;
static uint64_t w_send_blocked;
static uint64_t w_lines;
static uint64_t w_probes_sent;
static uint64_t w_probes_lost;
static Samples  w_probe_rtt;
static Bcast    bcasts[MAX_BCAST];
static uint64_t w_deliveries;
static uint64_t w_bad_payload;
static struct rusage w_ru;

static struct in_addr src_base;

static int64_t
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
die (const char *what)
{
  fprintf (stderr, "hb-load: %s: %s\n", what, strerror (errno));
  exit (1);
}

static void
samples_add (Samples  *s,
             uint64_t  v)
{
  if (s->len == s->cap)
    {
      s->cap = s->cap ? s->cap * 2 : 4096;
      s->v = realloc (s->v, s->cap * sizeof *s->v);
      if (s->v == NULL)
        die ("realloc");
    }
  s->v[s->len++] = v;
}

static int
cmp_u64 (const void *a,
         const void *b)
{
  uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

  return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted values. */
static uint64_t
pct (const uint64_t *v,
     size_t          n,
     double          p)
{
  size_t rank;

  if (n == 0)
    return 0;
  rank = (size_t) (p / 100.0 * (double) n + 0.999999);
  if (rank < 1)
    rank = 1;
  if (rank > n)
    rank = n;
  return v[rank - 1];
}

/* Log-linear bucket of a value in µs: HIST_SUB buckets per power of two,
 * so a bucket's width is at most 1/HIST_SUB of its value. */
static unsigned
hist_bucket (uint64_t us)
{
  unsigned e, m;

  if (us < HIST_SUB)
    return (unsigned) us;
  e = 63 - (unsigned) __builtin_clzll (us);   /* us >= 2^3 */
  m = (unsigned) (us >> (e - 3)) & (HIST_SUB - 1);
  if ((e - 2) * HIST_SUB + m >= HIST_BUCKETS)
    return HIST_BUCKETS - 1;
  return (e - 2) * HIST_SUB + m;
}

static uint64_t
hist_lower (unsigned b)
{
  unsigned e, m;

  if (b < HIST_SUB)
    return b;
  e = b / HIST_SUB + 2;
  m = b % HIST_SUB;
  return ((uint64_t) (HIST_SUB + m)) << (e - 3);
}

static void
set_nonblock (int fd)
{
  int fl = fcntl (fd, F_GETFL);

  if (fl < 0 || fcntl (fd, F_SETFL, fl | O_NONBLOCK) < 0)
    die ("fcntl");
}

static void
ep_ctl (int       op,
        int       fd,
        uint32_t  events,
        uint64_t  tag)
{
  struct epoll_event ev = { .events = events, .data.u64 = tag };

  if (epoll_ctl (epfd, op, fd, &ev) < 0)
    die ("epoll_ctl");
}

static void
conn_close (Conn *c)
{
  if (c->state == C_CLOSED || c->state == C_IDLE)
    return;
  if (c->state == C_CONNECTING)
    n_inflight--;
  close (c->fd);
  c->fd = -1;
  c->state = C_CLOSED;
  free (c->in);
  free (c->out);
  c->in = c->out = NULL;
}

static void
conn_fail (Conn *c,
           int   err)
{
  if (err == ECONNREFUSED)
    fail_refused++;
  else if (err == ETIMEDOUT)
    fail_timeout++;
  else if (err == EADDRNOTAVAIL || err == EADDRINUSE)
    fail_addr++;
  else
    fail_other++;
  n_failed++;
  conn_close (c);
}

static void
conn_send (Conn       *c,
           const char *data,
           size_t      len)
{
  ssize_t n = 0;

  if (c->state != C_OPEN)
    return;
  if (c->out_len == 0)
    {
      n = send (c->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0)
        {
          if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            {
              n_closed++;
              conn_close (c);
              return;
            }
          n = 0;
        }
      if ((size_t) n == len)
        return;
    }
  w_send_blocked++;
  if (c->out == NULL)
    c->out = malloc (OUT_CAP);
  if (c->out == NULL)
    die ("malloc");
  len -= (size_t) n;
  if (len > (size_t) (OUT_CAP - c->out_len))
    len = OUT_CAP - c->out_len;  /* a server that never reads: drop */
  memcpy (c->out + c->out_len, data + n, len);
  c->out_len += (uint16_t) len;
  if (!c->want_out)
    {
      c->want_out = 1;
      ep_ctl (EPOLL_CTL_MOD, c->fd, EPOLLIN | EPOLLOUT, (uint64_t) (c - conns));
    }
}

static void
conn_flush (Conn *c)
{
  while (c->out_len > 0)
    {
      ssize_t n = send (c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          if (errno == EAGAIN || errno == EWOULDBLOCK)
            return;
          n_closed++;
          conn_close (c);
          return;
        }
      memmove (c->out, c->out + n, c->out_len - (size_t) n);
      c->out_len -= (uint16_t) n;
    }
  c->want_out = 0;
  ep_ctl (EPOLL_CTL_MOD, c->fd, EPOLLIN, (uint64_t) (c - conns));
}

static bool
starts (const char *line,
        size_t      len,
        const char *prefix)
{
  size_t pl = strlen (prefix);

  return len >= pl && memcmp (line, prefix, pl) == 0;
}

/* Parses a decimal number at *p, advancing past it. */
static bool
parse_u64 (const char **p,
           const char  *end,
           uint64_t    *out)
{
  uint64_t v = 0;
  const char *s = *p;

  if (s >= end || *s < '0' || *s > '9')
    return false;
  while (s < end && *s >= '0' && *s <= '9')
    v = v * 10 + (uint64_t) (*s++ - '0');
  *p = s;
  *out = v;
  return true;
}

static void
on_bcast (const char *payload,
          size_t      len,
          int64_t     t)
{
  const char *p = payload + 4, *end = payload + len;
  uint64_t seq = 0, t0 = 0;
  Bcast *b;
  int64_t lat;

  if (!parse_u64 (&p, end, &seq) || p >= end || *p++ != ' ' ||
      !parse_u64 (&p, end, &t0) || seq >= MAX_BCAST)
    {
      w_bad_payload++;
      return;
    }
  if (t0 == 0)
    t0 = (uint64_t) mark_ns;
  b = &bcasts[seq];
  if (b->hist == NULL)
    {
      b->hist = calloc (HIST_BUCKETS, sizeof *b->hist);
      if (b->hist == NULL)
        die ("calloc");
    }
  if (b->count == 0 || t < b->first)
    b->first = t;
  if (t > b->last)
    b->last = t;
  b->t0 = (int64_t) t0;
  b->count++;
  lat = t - (int64_t) t0;
  b->hist[hist_bucket (lat > 0 ? (uint64_t) lat / 1000 : 0)]++;
  w_deliveries++;
}

static void
on_line (Conn       *c,
         const char *line,
         size_t      len,
         int64_t     t)
{
  w_lines++;
  if (len > 0 && line[len - 1] == '\r')
    len--;

  if (opt_raw)
    {
      if (starts (line, len, "@hb "))
        on_bcast (line, len, t);
      return;
    }

  if (starts (line, len, "PING "))
    {
      char buf[96];

      if (len - 5 + 6 > sizeof buf)
        return;
      memcpy (buf, "PONG ", 5);
      memcpy (buf + 5, line + 5, len - 5);
      buf[len] = '\n';
      w_pings++;
      c->pings++;
      conn_send (c, buf, len + 1);
      w_pongs_sent++;
    }
  else if (starts (line, len, "BCAST "))
    {
      if (starts (line + 6, len - 6, "@hb "))
        on_bcast (line + 6, len - 6, t);
    }
  else if (starts (line, len, "PONG p"))
    {
      const char *p = line + 6, *end = line + len;
      uint64_t seq = 0;

      if (parse_u64 (&p, end, &seq) && c->probe_sent_ns != 0 &&
          seq == c->probe_seq)
        {
          samples_add (&w_probe_rtt, (uint64_t) (t - c->probe_sent_ns));
          c->probe_sent_ns = 0;
        }
    }
  else if (starts (line, len, "WELCOME "))
    {
      if (!c->welcomed)
        n_welcomed++;
      c->welcomed = 1;
    }
  else if (starts (line, len, "BYE "))
    {
      if (starts (line, len, "BYE server-full"))
        bye_full++;
      else
        bye_other++;
    }
  else if (starts (line, len, "ERR "))
    {
      if (starts (line, len, "ERR server-full"))
        err_full++;
      else
        err_other++;
    }
}

static void
conn_read (Conn *c)
{
  for (int rounds = 0; rounds < 16 && c->state == C_OPEN; rounds++)
    {
      ssize_t n = recv (c->fd, c->in + c->in_len, IN_CAP - c->in_len, MSG_DONTWAIT);
      int64_t t;
      char *start, *nl, *end;

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
      if (n <= 0)
        {
          n_closed++;
          conn_close (c);
          return;
        }
      t = now_ns ();
      start = c->in;
      end = c->in + c->in_len + n;
      while (start < end && (nl = memchr (start, '\n', (size_t) (end - start))) != NULL)
        {
          on_line (c, start, (size_t) (nl - start), t);
          if (c->state != C_OPEN)
            return;
          start = nl + 1;
        }
      c->in_len = (uint16_t) (end - start);
      if (c->in_len == IN_CAP)
        c->in_len = 0;   /* an endless line: drop it */
      else if (c->in_len > 0 && start != c->in)
        memmove (c->in, start, c->in_len);
    }
}

static void
conn_start (Conn *c,
            int   i)
{
  struct sockaddr_in src = { .sin_family = AF_INET };
  struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) opt_port) };
  int one = 1;
  int fd;

  src.sin_addr.s_addr = htonl (ntohl (src_base.s_addr) + (uint32_t) (i % opt_src_count));
  if (inet_pton (AF_INET, opt_host, &dst.sin_addr) != 1)
    {
      fprintf (stderr, "hb-load: bad host %s\n", opt_host);
      exit (2);
    }

  c->started_ns = now_ns ();
  fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    {
      c->state = C_CLOSED;
      fail_other++;
      n_failed++;
      return;
    }
  setsockopt (fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c->fd = fd;
  c->state = C_CONNECTING;
  n_inflight++;
  if (bind (fd, (struct sockaddr *) &src, sizeof src) < 0)
    {
      conn_fail (c, errno);
      return;
    }
  if (connect (fd, (struct sockaddr *) &dst, sizeof dst) < 0 && errno != EINPROGRESS)
    {
      conn_fail (c, errno);
      return;
    }
  ep_ctl (EPOLL_CTL_ADD, fd, EPOLLOUT, (uint64_t) i);
}

static void
conn_connected (Conn *c)
{
  int err = 0;
  socklen_t len = sizeof err;

  getsockopt (c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0)
    {
      conn_fail (c, err);
      return;
    }
  n_inflight--;
  n_connected++;
  c->state = C_OPEN;
  c->in = malloc (IN_CAP);
  if (c->in == NULL)
    die ("malloc");
  ep_ctl (EPOLL_CTL_MOD, c->fd, EPOLLIN, (uint64_t) (c - conns));
}

static void
print_hist (FILE           *f,
            const uint32_t *h)
{
  bool first = true;

  fputc ('[', f);
  for (unsigned b = 0; b < HIST_BUCKETS; b++)
    if (h[b] != 0)
      {
        fprintf (f, "%s[%" PRIu64 ",%" PRIu32 "]", first ? "" : ",", hist_lower (b), h[b]);
        first = false;
      }
  fputc (']', f);
}

static double
tv_s (struct timeval tv)
{
  return (double) tv.tv_sec + (double) tv.tv_usec / 1e6;
}

static void
report (const char *type)
{
  struct rusage ru;
  int64_t t = now_ns ();
  uint64_t *sorted = NULL;
  size_t n = w_probe_rtt.len;
  uint32_t pmin = UINT32_MAX, pmax = 0;
  int open = 0;
  FILE *f = stdout;

  getrusage (RUSAGE_SELF, &ru);
  for (int i = 0; i < opt_n; i++)
    if (conns[i].state == C_OPEN)
      {
        open++;
        if (conns[i].pings < pmin)
          pmin = conns[i].pings;
        if (conns[i].pings > pmax)
          pmax = conns[i].pings;
      }
  if (open == 0)
    pmin = 0;

  if (n > 0)
    {
      sorted = malloc (n * sizeof *sorted);
      if (sorted == NULL)
        die ("malloc");
      memcpy (sorted, w_probe_rtt.v, n * sizeof *sorted);
      qsort (sorted, n, sizeof *sorted, cmp_u64);
    }

  fprintf (f, "{\"type\":\"%s\",\"label\":\"%s\",\"pid\":%d,\"now_ns\":%" PRId64 ","
           "\"n\":%d,\"opened\":%d,\"connected\":%d,\"failed\":%d,"
           "\"fail\":{\"refused\":%d,\"timeout\":%d,\"addr\":%d,\"other\":%d},"
           "\"closed\":%d,\"open\":%d,\"welcomed\":%d,"
           "\"bye_server_full\":%d,\"bye_other\":%d,\"err_server_full\":%d,\"err_other\":%d,"
           "\"ramp_s\":%.3f,\"window_s\":%.3f,"
           "\"lines\":%" PRIu64 ",\"pings\":%" PRIu64 ",\"pongs_sent\":%" PRIu64 ","
           "\"send_blocked\":%" PRIu64 ",\"pings_per_conn_min\":%" PRIu32 ",\"pings_per_conn_max\":%" PRIu32 ","
           "\"cpu_user_s\":%.3f,\"cpu_sys_s\":%.3f,",
           type, opt_label, (int) getpid (), t,
           opt_n, n_opened, n_connected, n_failed,
           fail_refused, fail_timeout, fail_addr, fail_other,
           n_closed, open, n_welcomed,
           bye_full, bye_other, err_full, err_other,
           t_ramped ? (double) (t_ramped - t_start) / 1e9 : -1.0,
           (double) (t - w_start) / 1e9,
           w_lines, w_pings, w_pongs_sent, w_send_blocked, pmin, pmax,
           tv_s (ru.ru_utime) - tv_s (w_ru.ru_utime),
           tv_s (ru.ru_stime) - tv_s (w_ru.ru_stime));

  fprintf (f, "\"probe\":{\"sent\":%" PRIu64 ",\"answered\":%zu,\"lost\":%" PRIu64 ","
           "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"samples_us\":[",
           w_probes_sent, n, w_probes_lost,
           (double) pct (sorted, n, 50) / 1e6, (double) pct (sorted, n, 99) / 1e6,
           n ? (double) sorted[n - 1] / 1e6 : 0.0);
  for (size_t i = 0; i < n; i++)
    fprintf (f, "%s%.1f", i ? "," : "", (double) w_probe_rtt.v[i] / 1e3);
  fprintf (f, "]},");
  free (sorted);

  fprintf (f, "\"bcast\":{\"deliveries\":%" PRIu64 ",\"bad\":%" PRIu64 ",\"per\":[",
           w_deliveries, w_bad_payload);
  {
    bool first = true;

    for (int s = 0; s < MAX_BCAST; s++)
      if (bcasts[s].count > 0)
        {
          fprintf (f, "%s{\"seq\":%d,\"t0\":%" PRId64 ",\"n\":%" PRIu32 ","
                   "\"first\":%" PRId64 ",\"last\":%" PRId64 ",\"hist_us\":",
                   first ? "" : ",", s, bcasts[s].t0, bcasts[s].count,
                   bcasts[s].first, bcasts[s].last);
          print_hist (f, bcasts[s].hist);
          fputc ('}', f);
          first = false;
        }
  }
  fprintf (f, "]}}\n");
  fflush (f);
}

static void
reset_window (void)
{
  w_start = now_ns ();
  w_pings = w_pongs_sent = w_send_blocked = w_lines = 0;
  w_probes_sent = w_probes_lost = 0;
  w_probe_rtt.len = 0;
  w_deliveries = w_bad_payload = 0;
  for (int s = 0; s < MAX_BCAST; s++)
    {
      free (bcasts[s].hist);
      memset (&bcasts[s], 0, sizeof bcasts[s]);
    }
  for (int i = 0; i < opt_n; i++)
    conns[i].pings = 0;
  getrusage (RUSAGE_SELF, &w_ru);
}

static char   ctl_buf[4096];
static size_t ctl_len;

/* Returns false when asked to quit. */
static bool
read_control (void)
{
  for (;;)
    {
      ssize_t n = read (0, ctl_buf + ctl_len, sizeof ctl_buf - 1 - ctl_len);
      char *line, *nl;

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return true;
      if (n <= 0)
        return false;
      ctl_len += (size_t) n;
      ctl_buf[ctl_len] = '\0';
      line = ctl_buf;
      while ((nl = strchr (line, '\n')) != NULL)
        {
          *nl = '\0';
          if (strcmp (line, "QUIT") == 0)
            return false;
          else if (strcmp (line, "RESET") == 0)
            {
              reset_window ();
              printf ("{\"type\":\"reset\",\"label\":\"%s\",\"now_ns\":%" PRId64 "}\n",
                      opt_label, w_start);
              fflush (stdout);
            }
          else if (strcmp (line, "REPORT") == 0)
            report ("report");
          else if (strncmp (line, "MARK ", 5) == 0)
            mark_ns = strtoll (line + 5, NULL, 10);
          line = nl + 1;
        }
      ctl_len = strlen (line);
      memmove (ctl_buf, line, ctl_len);
      if (ctl_len == sizeof ctl_buf - 1)
        ctl_len = 0;
    }
}

static void
usage (void)
{
  fprintf (stderr,
           "usage: hb-load [options]\n"
           "  --host ADDR              server address (127.0.0.1)\n"
           "  --port N                 server port (12001)\n"
           "  --connections N          connections to open (1000)\n"
           "  --src ADDR               first source address (127.0.0.2)\n"
           "  --src-count K            source addresses used round-robin (1)\n"
           "  --rate R                 connects per second (2000)\n"
           "  --max-inflight N         connects pending at once (1024)\n"
           "  --probes N               connections that send PING probes (100)\n"
           "  --probe-interval-ms MS   probe period per connection (1000)\n"
           "  --connect-timeout-ms MS  give up on a connect after (10000)\n"
           "  --max-seconds S          exit on its own after (900)\n"
           "  --raw                    the server relays raw lines (ncat --broker):\n"
           "                           no WELCOME, no heartbeats, no probes\n"
           "  --label TEXT             name in the JSON reports\n");
  exit (2);
}

static void
parse_args (int    argc,
            char **argv)
{
  static const struct option longopts[] = {
    { "host", required_argument, NULL, 'h' },
    { "port", required_argument, NULL, 'p' },
    { "connections", required_argument, NULL, 'n' },
    { "src", required_argument, NULL, 's' },
    { "src-count", required_argument, NULL, 'k' },
    { "rate", required_argument, NULL, 'r' },
    { "max-inflight", required_argument, NULL, 'f' },
    { "probes", required_argument, NULL, 'P' },
    { "probe-interval-ms", required_argument, NULL, 'I' },
    { "connect-timeout-ms", required_argument, NULL, 'T' },
    { "max-seconds", required_argument, NULL, 'M' },
    { "raw", no_argument, NULL, 'R' },
    { "label", required_argument, NULL, 'l' },
    { "help", no_argument, NULL, '?' },
    { NULL, 0, NULL, 0 },
  };
  int ch;

  while ((ch = getopt_long (argc, argv, "", longopts, NULL)) != -1)
    {
      switch (ch)
        {
        case 'h': opt_host = optarg; break;
        case 'p': opt_port = atoi (optarg); break;
        case 'n': opt_n = atoi (optarg); break;
        case 's': opt_src = optarg; break;
        case 'k': opt_src_count = atoi (optarg); break;
        case 'r': opt_rate = atof (optarg); break;
        case 'f': opt_max_inflight = atoi (optarg); break;
        case 'P': opt_probes = atoi (optarg); break;
        case 'I': opt_probe_interval_ms = atoi (optarg); break;
        case 'T': opt_connect_timeout_ms = atoi (optarg); break;
        case 'M': opt_max_seconds = atoi (optarg); break;
        case 'R': opt_raw = true; break;
        case 'l': opt_label = optarg; break;
        default: usage ();
        }
    }
  if (optind != argc || opt_n < 0 || opt_src_count < 1 || opt_rate <= 0 ||
      opt_port <= 0 || opt_port > 65535 || opt_probe_interval_ms < 1 ||
      opt_max_inflight < 1 || inet_pton (AF_INET, opt_src, &src_base) != 1)
    usage ();
  if (opt_raw)
    opt_probes = 0;
  if (opt_probes > opt_n)
    opt_probes = opt_n;
}

int
main (int    argc,
      char **argv)
{
  struct epoll_event events[MAX_EVENTS];
  int64_t next_probe_round, next_sweep, deadline;
  int next_probe = 0;

  parse_args (argc, argv);
  signal (SIGPIPE, SIG_IGN);

  conns = calloc ((size_t) opt_n + 1, sizeof *conns);
  if (conns == NULL)
    die ("calloc");
  for (int i = 0; i < opt_n; i++)
    conns[i].fd = -1;

  epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (epfd < 0)
    die ("epoll_create1");
  set_nonblock (0);
  {
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = STDIN_TAG };

    /* A regular file or /dev/null cannot be polled: no control then, the
     * run ends at --max-seconds. */
    if (epoll_ctl (epfd, EPOLL_CTL_ADD, 0, &ev) < 0 && errno != EPERM)
      die ("epoll_ctl stdin");
  }

  t_start = now_ns ();
  deadline = t_start + (int64_t) opt_max_seconds * 1000000000;
  next_sweep = t_start + 100000000;
  next_probe_round = t_start;
  reset_window ();

  for (;;)
    {
      int64_t t = now_ns ();
      int timeout_ms = 100;
      int n;

      if (t >= deadline)
        {
          fprintf (stderr, "hb-load %s: --max-seconds reached\n", opt_label);
          break;
        }

      /* Ramp: as many connects as the rate allows by now. */
      if (n_opened < opt_n)
        {
          int want = (int) ((double) (t - t_start) / 1e9 * opt_rate) + 1;

          if (want > opt_n)
            want = opt_n;
          while (n_opened < want && n_inflight < opt_max_inflight)
            {
              conn_start (&conns[n_opened], n_opened);
              n_opened++;
            }
          timeout_ms = 1;
        }

      /* Connects that hang, e.g. SYNs dropped by a full backlog. */
      if (t >= next_sweep && n_inflight > 0)
        {
          for (int i = 0; i < n_opened; i++)
            if (conns[i].state == C_CONNECTING &&
                t - conns[i].started_ns > (int64_t) opt_connect_timeout_ms * 1000000)
              conn_fail (&conns[i], ETIMEDOUT);
          next_sweep = t + 100000000;
        }

      if (!ramp_reported && n_opened == opt_n && n_inflight == 0)
        {
          ramp_reported = true;
          t_ramped = t;
          printf ("{\"type\":\"ramped\",\"label\":\"%s\",\"connected\":%d,\"failed\":%d,"
                  "\"ramp_s\":%.3f,\"now_ns\":%" PRId64 "}\n",
                  opt_label, n_connected, n_failed, (double) (t - t_start) / 1e9, t);
          fflush (stdout);
        }

      /* Probes, spread evenly over the probe interval. */
      if (opt_probes > 0)
        {
          int64_t slot = (int64_t) opt_probe_interval_ms * 1000000 / opt_probes;

          while (t >= next_probe_round)
            {
              Conn *c = &conns[next_probe];

              if (c->state == C_OPEN && (c->welcomed || opt_raw))
                {
                  char buf[48];
                  int len;

                  if (c->probe_sent_ns != 0)
                    w_probes_lost++;
                  c->probe_seq++;
                  len = snprintf (buf, sizeof buf, "PING p%" PRIu32 "\n", c->probe_seq);
                  c->probe_sent_ns = now_ns ();
                  w_probes_sent++;
                  conn_send (c, buf, (size_t) len);
                }
              next_probe = (next_probe + 1) % opt_probes;
              next_probe_round += slot;
            }
          if (timeout_ms > 1)
            {
              int64_t ms = (next_probe_round - t) / 1000000;

              timeout_ms = ms < 1 ? 1 : ms < timeout_ms ? (int) ms : timeout_ms;
            }
        }

      n = epoll_wait (epfd, events, MAX_EVENTS, timeout_ms);
      if (n < 0 && errno != EINTR)
        die ("epoll_wait");

      for (int i = 0; i < n; i++)
        {
          uint64_t tag = events[i].data.u64;
          Conn *c;

          if (tag == STDIN_TAG)
            {
              if (!read_control ())
                goto out;
              continue;
            }
          c = &conns[tag];
          if (c->state == C_CONNECTING)
            conn_connected (c);
          else if (c->state == C_OPEN)
            {
              if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                conn_read (c);
              if (c->state == C_OPEN && (events[i].events & EPOLLOUT))
                conn_flush (c);
            }
        }
    }

out:
  report ("final");
  for (int i = 0; i < opt_n; i++)
    conn_close (&conns[i]);
  return 0;
}
