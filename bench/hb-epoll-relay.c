/* hb-epoll-relay.c - minimal single-threaded epoll heartbeat server: the baseline
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What this machine can do with one thread and no framework: the subset of
 * the heartbeat protocol that the benchmark exercises (WELCOME, PING every
 * interval, PONG with its RTT, PONG to a client's PING, BYE, server-full,
 * BCAST of every stdin line). Output goes into per-connection buffers that
 * are flushed with one send() per connection per wake-up.
 *
 * Heartbeats: every connection has the same interval, so "next PING due"
 * times are non-decreasing in the order they are scheduled and a FIFO ring
 * is a valid timer queue (O(1) per beat). A PING's RTT clock starts when
 * send() has taken its last byte, as in HbServer.
 *
 * Standard input: a line starting with "/" is a command: /stats prints a
 * JSON line on stdout, /reset starts a new statistics window, /quit exits.
 * Any other line is broadcast. SIGTERM and SIGINT exit after /stats.
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
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINE     1024
#define MAX_QUEUE    (256 * 1024)
#define SNDBUF       (64 * 1024)
#define MAX_EVENTS   512
#define READ_CHUNK   (64 * 1024)
#define TAG_LISTEN   UINT64_MAX
#define TAG_STDIN    (UINT64_MAX - 1)
#define TAG_SIGNAL   (UINT64_MAX - 2)

typedef struct
{
  int       fd;             /* -1: free slot */
  uint32_t  id;
  uint32_t  gen;            /* bumped when the slot is reused */
  uint16_t  in_len;
  uint8_t   dirty;          /* in the flush list */
  uint8_t   want_out;
  uint8_t   closing;        /* close once the queue is written */
  uint8_t   discarding;     /* inside an overlong line */
  char     *in;             /* MAX_LINE bytes, allocated on first read */
  char     *out;
  size_t    out_len;
  size_t    out_head;
  size_t    out_cap;
  uint64_t  queued_total;   /* stream offset after the last queued byte */
  uint64_t  sent_total;
  uint64_t  ping_seq;
  uint64_t  ping_end;       /* stream offset just after PING ping_seq */
  int64_t   ping_sent_ns;   /* 0 while PING ping_seq is still queued */
  int64_t   last_pong_ns;
} Conn;

typedef struct
{
  uint32_t idx;
  uint32_t gen;
  int64_t  due;
} Beat;

static int      opt_port = 12001;
static const char *opt_bind = "127.0.0.1";
static int      opt_interval_ms = 10000;
static int      opt_timeout_ms = 30000;
static int      opt_max_clients = 10000;
static int      opt_slice_ms = 0;   /* heartbeat wake-ups on a grid of this many ms */

static int      epfd;
static int      listen_fd;
static Conn    *conns;
static uint32_t n_slots;        /* allocated */
static uint32_t *free_slots;
static uint32_t n_free;
static uint32_t n_clients;
static uint32_t next_id;
static uint32_t *dirty;
static uint32_t n_dirty;

static Beat    *ring;
static size_t   ring_cap, ring_head, ring_len;

/* Statistics since the last /reset */
static uint64_t s_accepted, s_rejected, s_closed, s_timeouts, s_slow;
static uint64_t s_pings, s_pongs, s_bcast_lines, s_deliveries, s_sends, s_send_calls_blocked;
static uint32_t *s_rtt_ns;
static size_t   s_rtt_len, s_rtt_cap;
static uint32_t s_peak_clients;
static int64_t  s_fanout_t0;        /* when the pass's first broadcast line was read */
static uint32_t s_fanout_n;
static int64_t  s_fanout_last_ns, s_fanout_max_ns, s_fanout_sum_ns;
static struct rusage s_ru;
static int64_t  s_start;

static char     rbuf[READ_CHUNK];

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
  fprintf (stderr, "hb-epoll-relay: %s: %s\n", what, strerror (errno));
  exit (1);
}

static void *
xrealloc (void   *p,
          size_t  size)
{
  p = realloc (p, size);
  if (p == NULL && size != 0)
    die ("realloc");
  return p;
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
ring_push (uint32_t idx,
           int64_t  due)
{
  if (ring_len == ring_cap)
    {
      size_t cap = ring_cap ? ring_cap * 2 : 1024;
      Beat *r = xrealloc (NULL, cap * sizeof *r);

      for (size_t i = 0; i < ring_len; i++)
        r[i] = ring[(ring_head + i) % ring_cap];
      free (ring);
      ring = r;
      ring_cap = cap;
      ring_head = 0;
    }
  ring[(ring_head + ring_len) % ring_cap] = (Beat) { idx, conns[idx].gen, due };
  ring_len++;
}

static void
mark_dirty (uint32_t idx)
{
  if (!conns[idx].dirty)
    {
      conns[idx].dirty = 1;
      dirty[n_dirty++] = idx;
    }
}

static void
release (uint32_t idx)
{
  Conn *c = &conns[idx];

  epoll_ctl (epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close (c->fd);
  c->fd = -1;
  c->gen++;
  free (c->in);
  free (c->out);
  c->in = c->out = NULL;
  c->out_len = c->out_head = c->out_cap = 0;
  free_slots[n_free++] = idx;
  n_clients--;
  s_closed++;
}

/* Returns false if the connection was closed as a slow consumer. */
static bool
queue (uint32_t    idx,
       const char *data,
       size_t      len)
{
  Conn *c = &conns[idx];

  if (c->fd < 0 || c->closing)
    return false;
  if (c->out_len - c->out_head + len > MAX_QUEUE)
    {
      s_slow++;
      c->out_len = c->out_head;   /* drop the backlog; keep framing simple */
      c->closing = 1;
      mark_dirty (idx);
      return false;
    }
  if (c->out_len + len > c->out_cap)
    {
      if (c->out_head > 0)
        {
          memmove (c->out, c->out + c->out_head, c->out_len - c->out_head);
          c->out_len -= c->out_head;
          c->out_head = 0;
        }
      if (c->out_len + len > c->out_cap)
        {
          size_t cap = c->out_cap ? c->out_cap : 256;

          while (cap < c->out_len + len)
            cap *= 2;
          c->out = xrealloc (c->out, cap);
          c->out_cap = cap;
        }
    }
  memcpy (c->out + c->out_len, data, len);
  c->out_len += len;
  c->queued_total += len;
  if (!c->want_out)
    mark_dirty (idx);
  return true;
}

static void
flush (uint32_t idx)
{
  Conn *c = &conns[idx];

  while (c->out_head < c->out_len)
    {
      ssize_t n = send (c->fd, c->out + c->out_head, c->out_len - c->out_head,
                        MSG_NOSIGNAL | MSG_DONTWAIT);

      s_sends++;
      if (n > 0)
        {
          c->out_head += (size_t) n;
          c->sent_total += (uint64_t) n;
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;
      release (idx);
      return;
    }

  /* Stamped per connection: a flush of 10,000 connections takes tens of ms. */
  if (c->ping_sent_ns == 0 && c->ping_seq != 0 && c->sent_total >= c->ping_end)
    c->ping_sent_ns = now_ns ();

  if (c->out_head == c->out_len)
    {
      c->out_head = c->out_len = 0;
      if (c->out_cap > 4096)
        {
          free (c->out);
          c->out = NULL;
          c->out_cap = 0;
        }
      if (c->closing)
        {
          release (idx);
          return;
        }
      if (c->want_out)
        {
          c->want_out = 0;
          ep_ctl (EPOLL_CTL_MOD, c->fd, EPOLLIN | EPOLLRDHUP, idx);
        }
    }
  else if (!c->want_out)
    {
      s_send_calls_blocked++;
      c->want_out = 1;
      ep_ctl (EPOLL_CTL_MOD, c->fd, EPOLLIN | EPOLLRDHUP | EPOLLOUT, idx);
    }
}

static void
flush_dirty (void)
{
  for (uint32_t i = 0; i < n_dirty; i++)
    {
      uint32_t idx = dirty[i];

      conns[idx].dirty = 0;
      if (conns[idx].fd >= 0 && !conns[idx].want_out)
        flush (idx);
    }
  n_dirty = 0;
}

static void
say (uint32_t    idx,
     const char *fmt,
     ...) __attribute__ ((format (printf, 2, 3)));

static void
say (uint32_t    idx,
     const char *fmt,
     ...)
{
  char buf[MAX_LINE + 16];
  va_list ap;
  int len;

  va_start (ap, fmt);
  len = vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  if (len > (int) sizeof buf - 1)
    len = (int) sizeof buf - 1;
  queue (idx, buf, (size_t) len);
}

static void
close_with (uint32_t    idx,
            const char *reason)
{
  say (idx, "BYE %s\n", reason);
  conns[idx].closing = 1;
  mark_dirty (idx);
}

static void
record_rtt (int64_t rtt)
{
  if (s_rtt_len == s_rtt_cap)
    {
      s_rtt_cap = s_rtt_cap ? s_rtt_cap * 2 : 65536;
      s_rtt_ns = xrealloc (s_rtt_ns, s_rtt_cap * sizeof *s_rtt_ns);
    }
  s_rtt_ns[s_rtt_len++] = rtt > (int64_t) UINT32_MAX ? UINT32_MAX : (uint32_t) rtt;
}

static bool
parse_u64 (const char *s,
           size_t      len,
           uint64_t   *out)
{
  uint64_t v = 0;

  if (len == 0 || len > 19)
    return false;
  for (size_t i = 0; i < len; i++)
    {
      if (s[i] < '0' || s[i] > '9')
        return false;
      v = v * 10 + (uint64_t) (s[i] - '0');
    }
  *out = v;
  return true;
}

static void
on_line (uint32_t  idx,
         char     *line,
         size_t    len,
         int64_t   t)
{
  Conn *c = &conns[idx];
  uint64_t seq;

  if (len > 0 && line[len - 1] == '\r')
    len--;
  if (len >= 5 && memcmp (line, "PONG ", 5) == 0)
    {
      s_pongs++;
      c->last_pong_ns = t;
      if (parse_u64 (line + 5, len - 5, &seq) && seq == c->ping_seq && c->ping_sent_ns > 0)
        {
          record_rtt (now_ns () - c->ping_sent_ns);
          c->ping_sent_ns = -1;   /* answered */
        }
    }
  else if (len >= 5 && memcmp (line, "PING ", 5) == 0)
    {
      char buf[MAX_LINE + 8];

      memcpy (buf, "PONG ", 5);
      memcpy (buf + 5, line + 5, len - 5);
      buf[len] = '\n';
      queue (idx, buf, len + 1);
    }
  else if (len >= 3 && memcmp (line, "BYE", 3) == 0 && (len == 3 || line[3] == ' '))
    close_with (idx, "goodbye");
  /* HELLO, MSG and the rest: accepted and ignored by the baseline. */
}

static void
on_readable (uint32_t idx,
             int64_t  t)
{
  Conn *c = &conns[idx];

  for (int rounds = 0; rounds < 4 && c->fd >= 0; rounds++)
    {
      ssize_t n = recv (c->fd, rbuf, sizeof rbuf, MSG_DONTWAIT);
      char *p, *end, *nl;

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
      if (n <= 0)
        {
          release (idx);
          return;
        }
      if (c->closing)
        continue;
      p = rbuf;
      end = rbuf + n;
      while (p < end && c->fd >= 0)
        {
          size_t chunk;

          nl = memchr (p, '\n', (size_t) (end - p));
          chunk = (size_t) ((nl ? nl : end) - p);
          if (c->discarding)
            ;
          else if (c->in_len + chunk >= MAX_LINE)
            {
              c->discarding = 1;
              c->in_len = 0;
            }
          else if (nl != NULL && c->in_len == 0)
            on_line (idx, p, chunk, t);   /* the common case: no copy */
          else
            {
              if (c->in == NULL)
                c->in = xrealloc (NULL, MAX_LINE);
              memcpy (c->in + c->in_len, p, chunk);
              c->in_len += (uint16_t) chunk;
              if (nl != NULL)
                {
                  on_line (idx, c->in, c->in_len, t);
                  c->in_len = 0;
                }
            }
          if (nl == NULL)
            break;
          c->discarding = 0;
          p = nl + 1;
        }
    }
}

static void
grow_slots (void)
{
  uint32_t old = n_slots, cap = n_slots ? n_slots * 2 : 1024;

  conns = xrealloc (conns, cap * sizeof *conns);
  free_slots = xrealloc (free_slots, cap * sizeof *free_slots);
  dirty = xrealloc (dirty, cap * sizeof *dirty);
  memset (conns + old, 0, (cap - old) * sizeof *conns);
  for (uint32_t i = cap; i > old; i--)
    {
      conns[i - 1].fd = -1;
      free_slots[n_free++] = i - 1;
    }
  n_slots = cap;
}

static void
on_accept (int64_t t)
{
  for (;;)
    {
      int fd = accept4 (listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
      int one = 1, sndbuf = SNDBUF;
      uint32_t idx;
      Conn *c;

      if (fd < 0)
        {
          if (errno == EINTR || errno == ECONNABORTED)
            continue;
          return;   /* EAGAIN, or EMFILE: the backlog keeps them */
        }
      setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      setsockopt (fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
      if (n_free == 0)
        grow_slots ();
      idx = free_slots[--n_free];
      c = &conns[idx];
      c->fd = fd;
      c->in_len = 0;
      c->dirty = c->want_out = c->closing = c->discarding = 0;
      c->queued_total = c->sent_total = 0;
      c->ping_seq = c->ping_end = 0;
      c->ping_sent_ns = 0;
      c->last_pong_ns = t;
      n_clients++;
      ep_ctl (EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLRDHUP, idx);

      if (n_clients > (uint32_t) opt_max_clients)
        {
          s_rejected++;
          say (idx, "ERR server-full the server holds its maximum of %d clients\n", opt_max_clients);
          close_with (idx, "server-full");
          continue;
        }
      s_accepted++;
      if (n_clients > s_peak_clients)
        s_peak_clients = n_clients;
      c->id = ++next_id;
      say (idx, "WELCOME %" PRIu32 " %d %d\n", c->id, opt_interval_ms, opt_timeout_ms);
      ring_push (idx, t + (int64_t) opt_interval_ms * 1000000);
    }
}

static int64_t
run_beats (int64_t t)
{
  int64_t interval = (int64_t) opt_interval_ms * 1000000;

  while (ring_len > 0)
    {
      Beat b = ring[ring_head];
      Conn *c = &conns[b.idx];
      char buf[40];
      int len;

      if (b.due > t)
        return b.due;
      ring_head = (ring_head + 1) % ring_cap;
      ring_len--;
      if (c->fd < 0 || c->gen != b.gen || c->closing)
        continue;
      if (t - c->last_pong_ns > (int64_t) opt_timeout_ms * 1000000)
        {
          s_timeouts++;
          close_with (b.idx, "timeout");
          continue;
        }
      c->ping_seq++;
      len = snprintf (buf, sizeof buf, "PING %" PRIu64 "\n", c->ping_seq);
      c->ping_sent_ns = 0;
      if (queue (b.idx, buf, (size_t) len))
        {
          c->ping_end = c->queued_total;
          s_pings++;
        }
      /* After a stall, beat from now rather than in a burst. */
      ring_push (b.idx, b.due + interval > t ? b.due + interval : t + interval);
    }
  return -1;
}

static void
broadcast (const char *text,
           size_t      len)
{
  char line[MAX_LINE + 8];
  size_t n;

  if (len > MAX_LINE - 7)
    len = MAX_LINE - 7;
  memcpy (line, "BCAST ", 6);
  memcpy (line + 6, text, len);
  line[6 + len] = '\n';
  n = len + 7;
  s_bcast_lines++;
  if (s_fanout_t0 == 0)
    s_fanout_t0 = now_ns ();
  for (uint32_t i = 0; i < n_slots; i++)
    if (conns[i].fd >= 0 && !conns[i].closing && queue (i, line, n))
      s_deliveries++;
}

static int
cmp_u32 (const void *a,
         const void *b)
{
  uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;

  return x < y ? -1 : x > y;
}

static double
pct_ms (const uint32_t *v,
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
  return (double) v[rank - 1] / 1e6;
}

static double
tv_s (struct timeval tv)
{
  return (double) tv.tv_sec + (double) tv.tv_usec / 1e6;
}

static void
print_stats (const char *type)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  qsort (s_rtt_ns, s_rtt_len, sizeof *s_rtt_ns, cmp_u32);
  printf ("{\"type\":\"%s\",\"now_ns\":%" PRId64 ",\"window_s\":%.3f,\"clients\":%" PRIu32 ","
          "\"peak_clients\":%" PRIu32 ",\"accepted\":%" PRIu64 ",\"rejected\":%" PRIu64 ","
          "\"closed\":%" PRIu64 ",\"timeouts\":%" PRIu64 ",\"slow_consumers\":%" PRIu64 ","
          "\"pings\":%" PRIu64 ",\"pongs\":%" PRIu64 ",\"bcast_lines\":%" PRIu64 ","
          "\"deliveries\":%" PRIu64 ",\"sends\":%" PRIu64 ",\"blocked\":%" PRIu64 ","
          "\"rtt\":{\"n\":%zu,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f},"
          "\"fanout\":{\"passes\":%" PRIu32 ",\"last_ms\":%.3f,\"max_ms\":%.3f,\"mean_ms\":%.3f},"
          "\"cpu_user_s\":%.3f,\"cpu_sys_s\":%.3f}\n",
          type, now_ns (), (double) (now_ns () - s_start) / 1e9, n_clients,
          s_peak_clients, s_accepted, s_rejected, s_closed, s_timeouts, s_slow,
          s_pings, s_pongs, s_bcast_lines, s_deliveries, s_sends, s_send_calls_blocked,
          s_rtt_len, pct_ms (s_rtt_ns, s_rtt_len, 50), pct_ms (s_rtt_ns, s_rtt_len, 99),
          s_rtt_len ? (double) s_rtt_ns[s_rtt_len - 1] / 1e6 : 0.0,
          s_fanout_n, (double) s_fanout_last_ns / 1e6, (double) s_fanout_max_ns / 1e6,
          s_fanout_n ? (double) s_fanout_sum_ns / 1e6 / s_fanout_n : 0.0,
          tv_s (ru.ru_utime) - tv_s (s_ru.ru_utime), tv_s (ru.ru_stime) - tv_s (s_ru.ru_stime));
  fflush (stdout);
}

static void
reset_stats (void)
{
  s_accepted = s_rejected = s_closed = s_timeouts = s_slow = 0;
  s_pings = s_pongs = s_bcast_lines = s_deliveries = s_sends = s_send_calls_blocked = 0;
  s_rtt_len = 0;
  s_fanout_n = 0;
  s_fanout_last_ns = s_fanout_max_ns = s_fanout_sum_ns = 0;
  s_peak_clients = n_clients;
  s_start = now_ns ();
  getrusage (RUSAGE_SELF, &s_ru);
}

static char   in_buf[64 * 1024];
static size_t in_len;
static bool   stdin_open = true;

/* Returns false on /quit. */
static bool
on_stdin (void)
{
  for (;;)
    {
      ssize_t n = read (0, in_buf + in_len, sizeof in_buf - in_len);
      char *p, *nl;

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return true;
      if (n <= 0)
        {
          /* Like heartbeat-lab-cli: end of input does not stop the server. */
          epoll_ctl (epfd, EPOLL_CTL_DEL, 0, NULL);
          stdin_open = false;
          return true;
        }
      in_len += (size_t) n;
      p = in_buf;
      while ((nl = memchr (p, '\n', in_len - (size_t) (p - in_buf))) != NULL)
        {
          size_t len = (size_t) (nl - p);

          if (len > 0 && p[len - 1] == '\r')
            len--;
          if (len >= 1 && p[0] == '/' && !(len >= 2 && p[1] == '/'))
            {
              if (len == 6 && memcmp (p, "/stats", 6) == 0)
                print_stats ("stats");
              else if (len == 6 && memcmp (p, "/reset", 6) == 0)
                reset_stats ();
              else if (len == 5 && memcmp (p, "/quit", 5) == 0)
                return false;
            }
          else if (len >= 1 && p[0] == '/')
            broadcast (p + 1, len - 1);
          else
            broadcast (p, len);
          p = nl + 1;
        }
      in_len -= (size_t) (p - in_buf);
      memmove (in_buf, p, in_len);
      if (in_len == sizeof in_buf)
        in_len = 0;
    }
}

static void
usage (void)
{
  fprintf (stderr,
           "usage: hb-epoll-relay [--bind ADDR] [--port N] [--interval MS] [--timeout MS]\n"
           "                      [--max-clients N] [--slice MS]\n"
           "  --slice MS  wake for heartbeats only on a grid of MS milliseconds, so one\n"
           "              wake-up serves every PING due in the slice (default 0: exact)\n");
  exit (2);
}

int
main (int    argc,
      char **argv)
{
  static const struct option longopts[] = {
    { "bind", required_argument, NULL, 'b' },
    { "port", required_argument, NULL, 'p' },
    { "interval", required_argument, NULL, 'i' },
    { "timeout", required_argument, NULL, 't' },
    { "max-clients", required_argument, NULL, 'm' },
    { "slice", required_argument, NULL, 's' },
    { "help", no_argument, NULL, '?' },
    { NULL, 0, NULL, 0 },
  };
  struct sockaddr_in addr = { .sin_family = AF_INET };
  struct epoll_event events[MAX_EVENTS];
  sigset_t mask;
  int one = 1, sfd, ch, fl;
  int64_t next_due = -1;

  while ((ch = getopt_long (argc, argv, "", longopts, NULL)) != -1)
    {
      switch (ch)
        {
        case 'b': opt_bind = optarg; break;
        case 'p': opt_port = atoi (optarg); break;
        case 'i': opt_interval_ms = atoi (optarg); break;
        case 't': opt_timeout_ms = atoi (optarg); break;
        case 'm': opt_max_clients = atoi (optarg); break;
        case 's': opt_slice_ms = atoi (optarg); break;
        default: usage ();
        }
    }
  if (optind != argc || opt_port < 0 || opt_port > 65535 || opt_interval_ms < 1 ||
      opt_timeout_ms < 1 || opt_max_clients < 1 || opt_slice_ms < 0 ||
      inet_pton (AF_INET, opt_bind, &addr.sin_addr) != 1)
    usage ();

  signal (SIGPIPE, SIG_IGN);
  sigemptyset (&mask);
  sigaddset (&mask, SIGTERM);
  sigaddset (&mask, SIGINT);
  sigprocmask (SIG_BLOCK, &mask, NULL);
  sfd = signalfd (-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sfd < 0)
    die ("signalfd");

  listen_fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd < 0)
    die ("socket");
  setsockopt (listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  addr.sin_port = htons ((uint16_t) opt_port);
  if (bind (listen_fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    die ("bind");
  if (listen (listen_fd, 4096) < 0)
    die ("listen");

  epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (epfd < 0)
    die ("epoll_create1");
  ep_ctl (EPOLL_CTL_ADD, listen_fd, EPOLLIN, TAG_LISTEN);
  ep_ctl (EPOLL_CTL_ADD, sfd, EPOLLIN, TAG_SIGNAL);
  fl = fcntl (0, F_GETFL);
  if (fl >= 0 && fcntl (0, F_SETFL, fl | O_NONBLOCK) == 0)
    {
      struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_STDIN };

      if (epoll_ctl (epfd, EPOLL_CTL_ADD, 0, &ev) < 0)
        stdin_open = false;   /* e.g. /dev/null, which epoll refuses */
    }

  grow_slots ();
  reset_stats ();
  printf ("{\"type\":\"listening\",\"port\":%d,\"interval_ms\":%d,\"timeout_ms\":%d}\n",
          opt_port, opt_interval_ms, opt_timeout_ms);
  fflush (stdout);

  for (;;)
    {
      int timeout = -1, n;
      int64_t t;

      if (next_due >= 0)
        {
          int64_t wait = next_due - now_ns ();

          timeout = wait <= 0 ? 0 : (int) ((wait + 999999) / 1000000);
          if (opt_slice_ms > 0 && timeout > 0)
            {
              /* Sleep to the end of the slice the next PING falls in; the
               * beats due by then all go out in that one wake-up. */
              int64_t grid = (int64_t) opt_slice_ms * 1000000;
              int64_t wake = (next_due / grid + 1) * grid;

              timeout = (int) ((wake - now_ns () + 999999) / 1000000);
            }
        }
      n = epoll_wait (epfd, events, MAX_EVENTS, timeout);
      if (n < 0 && errno != EINTR)
        die ("epoll_wait");
      t = now_ns ();

      for (int i = 0; i < n; i++)
        {
          uint64_t tag = events[i].data.u64;

          if (tag == TAG_LISTEN)
            on_accept (t);
          else if (tag == TAG_STDIN)
            {
              if (!on_stdin ())
                goto out;
            }
          else if (tag == TAG_SIGNAL)
            goto out;
          else if (conns[tag].fd >= 0)
            {
              if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
                on_readable ((uint32_t) tag, t);
              if (conns[tag].fd >= 0 && (events[i].events & EPOLLOUT))
                flush ((uint32_t) tag);
            }
        }
      next_due = run_beats (now_ns ());
      flush_dirty ();
      if (s_fanout_t0 != 0)
        {
          /* Server-side fan-out: from reading the line to the last send(). */
          s_fanout_last_ns = now_ns () - s_fanout_t0;
          s_fanout_sum_ns += s_fanout_last_ns;
          if (s_fanout_last_ns > s_fanout_max_ns)
            s_fanout_max_ns = s_fanout_last_ns;
          s_fanout_n++;
          s_fanout_t0 = 0;
        }
    }

out:
  print_stats ("final");
  return 0;
}
