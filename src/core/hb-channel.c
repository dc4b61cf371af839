/* hb-channel.c - line-framed, non-blocking I/O on one socket, shared by server and client
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reads go straight from the kernel into one shared buffer and are framed
 * there; only an unfinished line is copied. Writes are queued and flushed
 * once per main-loop pass, so several lines for one peer leave in one
 * sendmsg(). EPOLLOUT is asked for only while the kernel's buffer is full.
 *
 * The queue is a list of segments: bytes of this channel alone, or a
 * reference to a block that many channels send (a broadcast), which is
 * then never copied per client. Every segment holds whole lines.
 *
 * A channel may ask the kernel when what it reads arrived
 * (SO_TIMESTAMPNS): a client does, so that its record can draw a line
 * when it came rather than when the program got round to reading it. The
 * server does not: its reads stay one recv() each.
 */

#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "hb-channel.h"

#define READ_CHUNK     (64 * 1024)
#define READ_BUDGET    (4 * READ_CHUNK)  /* per wake-up, for fairness */
#define COMPACT_BYTES  (64 * 1024)
/* An emptied buffer of our own is kept for the next write up to this
 * size: a heartbeat then costs no malloc()/free() pair. */
#define KEEP_BYTES     1024
#define MAX_IOV        16

typedef struct
{
  GBytes     *shared;   /* a block other channels send too, or NULL */
  GByteArray *own;      /* otherwise: bytes of this channel alone */
} Segment;

typedef enum
{
  STATE_OPEN,
  STATE_CLOSED,
} State;

struct _HbChannel
{
  gatomicrefcount       ref_count;
  HbPoller             *poller;
  HbPollHandle         *handle;
  GSocketConnection    *connection;
  int                   fd;
  HbLineReader         *reader;
  const HbChannelFuncs *funcs;
  gpointer              user_data;

  GQueue                out;        /* Segment*, oldest first */
  gsize                 out_head;   /* bytes of the first one already sent */
  gsize                 out_len;    /* bytes queued, not yet sent */
  GByteArray           *spare;      /* an emptied buffer kept for reuse */
  gsize                 read_budget;
  guint64               bytes_in;
  guint64               bytes_out;
  guint64               queued_total;
  gint64                arrival;    /* monotonic µs; 0: unknown (see hb_channel_get_arrival()) */

  State                 state;
  guint                 reading : 1;      /* the owner wants lines */
  guint                 framed : 1;       /* lines, not raw reads */
  guint                 closing : 1;      /* graceful close asked */
  guint                 shut_wanted : 1;  /* FIN once the queue is empty */
  guint                 fin_sent : 1;
  guint                 peer_eof : 1;
  guint                 blocked : 1;      /* waiting for EPOLLOUT */
  guint                 stamps : 1;       /* SO_TIMESTAMPNS is on */
  guint                 own_fd : 1;       /* no GSocket yet: ours to close */
};

/* The main loop is single-threaded and reads never nest, so one buffer
 * serves every channel. */
static char read_buffer[READ_CHUNK];

static void channel_ready (gpointer user_data,
                           guint    condition);

static const guint8 *
segment_data (Segment *seg,
              gsize   *len)
{
  if (seg->shared != NULL)
    return g_bytes_get_data (seg->shared, len);
  *len = seg->own->len;
  return seg->own->data;
}

static void
segment_free (HbChannel *self,
              Segment   *seg)
{
  if (seg->shared != NULL)
    g_bytes_unref (seg->shared);
  else if (self->spare == NULL && seg->own->len <= KEEP_BYTES)
    {
      g_byte_array_set_size (seg->own, 0);
      self->spare = seg->own;
    }
  else
    g_byte_array_unref (seg->own);
  g_free (seg);
}

static void
clear_queue (HbChannel *self)
{
  Segment *seg;

  while ((seg = g_queue_pop_head (&self->out)) != NULL)
    segment_free (self, seg);
  self->out_head = 0;
  self->out_len = 0;
}

static void
update_interest (HbChannel *self)
{
  GIOCondition want = 0;

  if (self->state != STATE_OPEN)
    return;
  if (!self->peer_eof && (self->reading || self->closing))
    want |= G_IO_IN;
  if (self->blocked)
    want |= G_IO_OUT;
  hb_poller_modify (self->poller, self->handle, want);
}

HbChannel *
hb_channel_new (HbPoller             *poller,
                GSocketConnection    *connection,
                gsize                 max_line,
                const HbChannelFuncs *funcs,
                gpointer              user_data)
{
  HbChannel *self = g_new0 (HbChannel, 1);
  GSocket *socket = g_socket_connection_get_socket (connection);
  int one = 1;

  g_atomic_ref_count_init (&self->ref_count);
  self->poller = hb_poller_ref (poller);
  self->connection = g_object_ref (connection);
  self->fd = g_socket_get_fd (socket);
  self->reader = hb_line_reader_new (max_line);
  self->funcs = funcs;
  self->user_data = user_data;
  self->reading = TRUE;
  self->framed = TRUE;
  self->read_budget = READ_BUDGET;
  self->state = STATE_OPEN;

  /* Heartbeats are small and latency is what we measure: no Nagle. */
  setsockopt (self->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  self->handle = hb_poller_add (poller, self->fd, G_IO_IN, channel_ready, self);
  return self;
}

/* A channel on an accepted socket's bare @fd, which it then owns: a
 * server with thousands of clients keeps no GSocket and GSocketConnection
 * per client. hb_channel_get_socket() makes them if someone asks. */
HbChannel *
hb_channel_new_for_fd (HbPoller             *poller,
                       int                   fd,
                       gsize                 max_line,
                       const HbChannelFuncs *funcs,
                       gpointer              user_data)
{
  HbChannel *self = g_new0 (HbChannel, 1);
  int one = 1;

  g_atomic_ref_count_init (&self->ref_count);
  self->poller = hb_poller_ref (poller);
  self->fd = fd;
  self->own_fd = TRUE;
  self->reader = hb_line_reader_new (max_line);
  self->funcs = funcs;
  self->user_data = user_data;
  self->reading = TRUE;
  self->framed = TRUE;
  self->read_budget = READ_BUDGET;
  self->state = STATE_OPEN;
  setsockopt (self->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  self->handle = hb_poller_add (poller, self->fd, G_IO_IN, channel_ready, self);
  return self;
}

HbChannel *
hb_channel_ref (HbChannel *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

static void
release_socket (HbChannel *self)
{
  if (self->handle != NULL)
    {
      hb_poller_remove (self->poller, self->handle);
      self->handle = NULL;
    }
  if (self->connection != NULL)
    {
      g_socket_close (g_socket_connection_get_socket (self->connection), NULL);
      g_clear_object (&self->connection);
    }
  else if (self->own_fd)
    {
      close (self->fd);
      self->own_fd = FALSE;
    }
  clear_queue (self);
  g_clear_pointer (&self->spare, g_byte_array_unref);
}

void
hb_channel_unref (HbChannel *self)
{
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  release_socket (self);
  hb_line_reader_free (self->reader);
  hb_poller_unref (self->poller);
  g_free (self);
}

/* The one way a channel ends. The owner hears of it last, and may drop its
 * reference from the callback. */
static void
finish (HbChannel    *self,
        HbChannelEnd  end,
        const char   *detail)
{
  if (self->state == STATE_CLOSED)
    return;
  self->state = STATE_CLOSED;
  release_socket (self);
  if (self->funcs->closed)
    self->funcs->closed (self, end, detail, self->user_data);
}

static void
finish_errno (HbChannel *self,
              int        err)
{
  if (err == ECONNRESET || err == EPIPE || err == ECONNABORTED)
    finish (self, HB_CHANNEL_END_RESET, g_strerror (err));
  else
    finish (self, HB_CHANNEL_END_ERROR, g_strerror (err));
}

static void
send_fin (HbChannel *self)
{
  if (shutdown (self->fd, SHUT_WR) < 0 && errno != ENOTCONN)
    {
      finish_errno (self, errno);
      return;
    }
  self->fin_sent = TRUE;
  if (self->funcs->fin_sent)
    self->funcs->fin_sent (self, self->user_data);
  if (self->state == STATE_OPEN && self->peer_eof && self->closing)
    finish (self, HB_CHANNEL_END_CLEAN, NULL);
}

static void
flush (HbChannel *self)
{
  gsize before = self->bytes_out;

  while (self->out_len > 0)
    {
      struct iovec iov[MAX_IOV];
      struct msghdr msg = { .msg_iov = iov };
      gsize skip = self->out_head;
      ssize_t n;

      for (GList *l = self->out.head; l != NULL && msg.msg_iovlen < MAX_IOV; l = l->next)
        {
          gsize len;
          const guint8 *data = segment_data (l->data, &len);

          iov[msg.msg_iovlen].iov_base = (void *) (data + skip);
          iov[msg.msg_iovlen].iov_len = len - skip;
          msg.msg_iovlen++;
          skip = 0;
        }

      n = sendmsg (self->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0)
        {
          gsize left = n;

          self->bytes_out += n;
          self->out_len -= n;
          while (left > 0)
            {
              Segment *seg = g_queue_peek_head (&self->out);
              gsize len;

              segment_data (seg, &len);
              if (left < len - self->out_head)
                {
                  self->out_head += left;
                  break;
                }
              left -= len - self->out_head;
              self->out_head = 0;
              segment_free (self, g_queue_pop_head (&self->out));
            }
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;
      finish_errno (self, n < 0 ? errno : EPIPE);
      return;
    }

  self->blocked = self->out_len > 0;
  update_interest (self);

  if (self->bytes_out != before && self->funcs->written)
    {
      self->funcs->written (self, self->bytes_out, self->user_data);
      if (self->state != STATE_OPEN)
        return;
    }

  if (!self->blocked && self->shut_wanted && !self->fin_sent)
    send_fin (self);
}

static gboolean
on_line (const char *line,
         gsize       len,
         gpointer    user_data)
{
  HbChannel *self = user_data;

  if (!self->reading)
    return TRUE;
  return self->funcs->line (self, line, len, self->user_data) &&
         self->state == STATE_OPEN;
}

static gboolean
on_overlong (gpointer user_data)
{
  HbChannel *self = user_data;

  if (self->reading && self->funcs->overlong)
    self->funcs->overlong (self, self->user_data);
  return self->state == STATE_OPEN;
}

/* One read into the shared buffer; with stamps on, also when its bytes
 * arrived. The kernel stamps each received skb (CLOCK_REALTIME) and
 * reports that of the last one a read took; skbs that waited in the
 * queue together were coalesced, keeping the newest stamp, so it is when
 * the last of these bytes arrived: all of them had arrived by then. */
static ssize_t
receive (HbChannel *self,
         gsize      len)
{
  union
  {
    char           buf[CMSG_SPACE (sizeof (struct timespec))];
    struct cmsghdr align;
  } control;
  struct iovec iov = { read_buffer, len };
  struct msghdr msg = { 0 };
  struct cmsghdr *cmsg;
  ssize_t n;

  if (!self->stamps)
    return recv (self->fd, read_buffer, len, MSG_DONTWAIT);

  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof control.buf;
  n = recvmsg (self->fd, &msg, MSG_DONTWAIT);
  if (n <= 0)
    return n;
  self->arrival = 0;
  for (cmsg = CMSG_FIRSTHDR (&msg); cmsg != NULL; cmsg = CMSG_NXTHDR (&msg, cmsg))
    if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_TIMESTAMPNS)
      {
        struct timespec ts;
        gint64 now_mono = g_get_monotonic_time ();
        gint64 ago;

        memcpy (&ts, CMSG_DATA (cmsg), sizeof ts);
        /* Into the monotonic clock of the record: how long ago, never
         * in the future (the clocks are read one after the other). */
        ago = g_get_real_time () - ((gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000);
        self->arrival = now_mono - MAX (ago, 0);
      }
  return n;
}

static void
read_some (HbChannel *self)
{
  gsize budget = self->read_budget;

  /* A FIN found in this pass came after the data read in it, if any. */
  self->arrival = 0;
  while (self->state == STATE_OPEN && !self->peer_eof &&
         (self->reading || self->closing) && budget > 0)
    {
      ssize_t n = receive (self, MIN (sizeof read_buffer, budget));

      if (n > 0)
        {
          self->bytes_in += n;
          budget -= MIN ((gsize) n, budget);
          if (!self->framed)
            {
              if (self->reading)
                self->funcs->data (self, (const guint8 *) read_buffer, n, self->user_data);
              continue;
            }
          hb_line_reader_feed (self->reader, read_buffer, n,
                               on_line, on_overlong, self);
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
      if (n < 0)
        {
          finish_errno (self, errno);
          return;
        }

      /* End of stream: the peer's FIN. The owner hears of it even when
       * this completes our own close, so its record has both FINs. */
      self->peer_eof = TRUE;
      update_interest (self);
      if (self->funcs->peer_eof)
        self->funcs->peer_eof (self, self->user_data);
      if (self->state == STATE_OPEN && self->closing && self->fin_sent)
        finish (self, HB_CHANNEL_END_CLEAN, NULL);
      return;
    }
}

static void
channel_ready (gpointer user_data,
               guint    condition)
{
  g_autoptr(HbChannel) self = hb_channel_ref (user_data);

  if (condition & (G_IO_IN | G_IO_HUP | G_IO_ERR))
    {
      if (!self->peer_eof && (self->reading || self->closing))
        read_some (self);
      else if (condition & (G_IO_HUP | G_IO_ERR))
        {
          int err = 0;
          socklen_t len = sizeof err;

          /* Not reading, so nothing else will notice a reset. */
          getsockopt (self->fd, SOL_SOCKET, SO_ERROR, &err, &len);
          if (err != 0)
            finish_errno (self, err);
          else if (condition & G_IO_HUP)
            finish (self, self->fin_sent ? HB_CHANNEL_END_CLEAN : HB_CHANNEL_END_RESET,
                    NULL);
          return;
        }
    }

  if (self->state == STATE_OPEN &&
      (condition & (G_IO_OUT | HB_POLL_SCHEDULED)))
    flush (self);
}

void
hb_channel_write (HbChannel  *self,
                  const char *data,
                  gsize       len)
{
  Segment *tail;

  if (self->state != STATE_OPEN || self->shut_wanted || len == 0)
    return;
  tail = g_queue_peek_tail (&self->out);
  /* Append to our own last buffer, unless it is the first one, partly
   * sent and large: a new one lets that be freed once it is sent. */
  if (tail == NULL || tail->shared != NULL ||
      (self->out.length == 1 && self->out_head > 0 && tail->own->len >= COMPACT_BYTES))
    {
      tail = g_new0 (Segment, 1);
      tail->own = self->spare ? g_steal_pointer (&self->spare)
                              : g_byte_array_sized_new (MAX (len, 128));
      g_queue_push_tail (&self->out, tail);
    }
  g_byte_array_append (tail->own, (const guint8 *) data, len);
  self->out_len += len;
  self->queued_total += len;
  if (!self->blocked)
    hb_poller_schedule (self->poller, self->handle);
}

/* Queues @block, whole lines, by reference: many channels can send the
 * same bytes without a copy each. Returns what is queued after it, as
 * hb_channel_get_queued() would: a broadcast's later pass need not
 * come back to each channel to ask. */
gsize
hb_channel_write_shared (HbChannel *self,
                         GBytes    *block)
{
  Segment *seg;
  gsize len = g_bytes_get_size (block);
  gsize sent = 0;

  if (self->state != STATE_OPEN || self->shut_wanted || len == 0)
    return self->out_len;
  self->queued_total += len;

  /* Nothing waiting before it: hand it to the kernel now, in the pass
   * that reaches every client, rather than queue it for a second pass.
   * An error is left to flush(), which runs in its own dispatch; the RTT
   * clock of a PING is not concerned (its bytes were all written). */
  if (!self->blocked && self->out.length == 0)
    {
      ssize_t n;

      do
        n = send (self->fd, g_bytes_get_data (block, NULL), len, MSG_NOSIGNAL | MSG_DONTWAIT);
      while (n < 0 && errno == EINTR);
      if (n > 0)
        {
          sent = n;
          self->bytes_out += sent;
        }
      if (sent == len)
        return self->out_len;
    }

  seg = g_new0 (Segment, 1);
  seg->shared = g_bytes_ref (block);
  g_queue_push_tail (&self->out, seg);
  if (sent > 0)
    self->out_head = sent;   /* the queue was empty: this is its head */
  self->out_len += len - sent;
  if (!self->blocked)
    hb_poller_schedule (self->poller, self->handle);
  return self->out_len;
}

/* Drops what has not been written, except the rest of a line already
 * partly sent, so that the peer's framing survives. */
void
hb_channel_discard_queue (HbChannel *self)
{
  Segment *head = g_queue_peek_head (&self->out);
  const guint8 *data, *lf;
  gsize len, keep;

  if (head == NULL)
    return;

  data = segment_data (head, &len);
  lf = self->out_head == 0 || !self->framed ? NULL :
       memchr (data + self->out_head, '\n', len - self->out_head);
  keep = lf ? (gsize) (lf - data) + 1 : self->out_head;

  /* Everything after the head segment goes; the head keeps [0, keep). */
  while (self->out.length > 1)
    segment_free (self, g_queue_pop_tail (&self->out));
  if (keep == 0)
    {
      self->queued_total -= self->out_len;
      clear_queue (self);
      return;
    }
  if (head->shared != NULL)
    {
      GBytes *part = g_bytes_new_from_bytes (head->shared, 0, keep);

      g_bytes_unref (head->shared);
      head->shared = part;
    }
  else
    g_byte_array_set_size (head->own, keep);
  self->queued_total -= self->out_len - (keep - self->out_head);
  self->out_len = keep - self->out_head;
}

gsize
hb_channel_get_queued (HbChannel *self)
{
  return self->out_len;
}

void
hb_channel_prefetch (HbChannel *self)
{
  __builtin_prefetch (self);
  __builtin_prefetch (&self->out);
  __builtin_prefetch (&self->state);
}

guint64
hb_channel_get_bytes_in (HbChannel *self)
{
  return self->bytes_in;
}

guint64
hb_channel_get_bytes_out (HbChannel *self)
{
  return self->bytes_out;
}

/* Position in the outgoing byte stream after everything queued so far. */
guint64
hb_channel_get_bytes_queued_total (HbChannel *self)
{
  return self->queued_total;
}

void
hb_channel_set_reading (HbChannel *self,
                        gboolean   reading)
{
  self->reading = !!reading;
  update_interest (self);
}

void
hb_channel_read_now (HbChannel *self)
{
  g_autoptr(HbChannel) hold = NULL;

  if (self->state != STATE_OPEN || self->peer_eof || !(self->reading || self->closing))
    return;
  hold = hb_channel_ref (self);
  read_some (self);
}

gboolean
hb_channel_set_arrival_stamps (HbChannel *self,
                               gboolean   stamps)
{
  int on = !!stamps;

  if (self->state != STATE_OPEN)
    return FALSE;
  if (setsockopt (self->fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0)
    on = 0;
  self->stamps = on;
  self->arrival = 0;
  return self->stamps == !!stamps;
}

gint64
hb_channel_get_arrival (HbChannel *self)
{
  return self->stamps ? self->arrival : 0;
}

void
hb_channel_set_read_budget (HbChannel *self,
                            gsize      bytes)
{
  self->read_budget = MAX (bytes, 1);
}

void
hb_channel_set_framed (HbChannel *self,
                       gboolean   framed)
{
  g_return_if_fail (framed || self->funcs->data != NULL);
  self->framed = !!framed;
}

gboolean
hb_channel_is_open (HbChannel *self)
{
  return self->state == STATE_OPEN;
}

gboolean
hb_channel_is_closing (HbChannel *self)
{
  return self->state == STATE_OPEN && self->closing;
}

GSocket *
hb_channel_get_socket (HbChannel *self)
{
  if (self->connection == NULL && self->own_fd)
    {
      g_autoptr(GSocket) socket = g_socket_new_from_fd (self->fd, NULL);

      if (socket != NULL)
        {
          self->connection = g_socket_connection_factory_create_connection (socket);
          self->own_fd = FALSE;
        }
    }
  return self->connection ? g_socket_connection_get_socket (self->connection) : NULL;
}

int
hb_channel_get_fd (HbChannel *self)
{
  return self->state == STATE_OPEN ? self->fd : -1;
}

void
hb_channel_close (HbChannel *self)
{
  if (self->state != STATE_OPEN || self->closing)
    return;
  self->closing = TRUE;
  self->shut_wanted = TRUE;
  update_interest (self);
  if (self->fin_sent && self->peer_eof)
    finish (self, HB_CHANNEL_END_CLEAN, NULL);
  else if (!self->fin_sent && !self->blocked)
    hb_poller_schedule (self->poller, self->handle);
}

void
hb_channel_expire (HbChannel *self)
{
  finish (self, HB_CHANNEL_END_LINGER, NULL);
}

void
hb_channel_shutdown_write (HbChannel *self)
{
  if (self->state != STATE_OPEN || self->shut_wanted)
    return;
  self->shut_wanted = TRUE;
  if (!self->blocked)
    hb_poller_schedule (self->poller, self->handle);
}

void
hb_channel_abort (HbChannel *self)
{
  struct linger lg = { .l_onoff = 1, .l_linger = 0 };

  if (self->state != STATE_OPEN)
    return;
  setsockopt (self->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  finish (self, HB_CHANNEL_END_ABORT, NULL);
}
