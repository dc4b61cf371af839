/* hb-channel.c - line-framed, non-blocking I/O on one socket, shared by server and client
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reads go straight from the kernel into one shared buffer and are framed
 * there; only an unfinished line is copied. Writes are queued and flushed
 * once per main-loop pass, so several lines for one peer leave in one
 * send(). EPOLLOUT is asked for only while the kernel's buffer is full.
 */

#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "hb-channel.h"

#define READ_CHUNK     (64 * 1024)
#define READ_BUDGET    (4 * READ_CHUNK)  /* per wake-up, for fairness */
#define COMPACT_BYTES  (64 * 1024)

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

  GByteArray           *out;
  gsize                 out_head;
  guint64               bytes_in;
  guint64               bytes_out;
  guint64               queued_total;

  State                 state;
  guint                 reading : 1;      /* the owner wants lines */
  guint                 closing : 1;      /* graceful close asked */
  guint                 shut_wanted : 1;  /* FIN once the queue is empty */
  guint                 fin_sent : 1;
  guint                 peer_eof : 1;
  guint                 blocked : 1;      /* waiting for EPOLLOUT */
};

/* The main loop is single-threaded and reads never nest, so one buffer
 * serves every channel. */
static char read_buffer[READ_CHUNK];

static void channel_ready (gpointer user_data,
                           guint    condition);

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
  self->state = STATE_OPEN;

  /* Heartbeats are small and latency is what we measure: no Nagle. */
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
  g_clear_pointer (&self->out, g_byte_array_unref);
  self->out_head = 0;
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

  while (self->out != NULL && self->out_head < self->out->len)
    {
      ssize_t n = send (self->fd, self->out->data + self->out_head,
                        self->out->len - self->out_head,
                        MSG_NOSIGNAL | MSG_DONTWAIT);

      if (n > 0)
        {
          self->out_head += n;
          self->bytes_out += n;
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;
      finish_errno (self, n < 0 ? errno : EPIPE);
      return;
    }

  if (self->out != NULL && self->out_head == self->out->len)
    {
      g_clear_pointer (&self->out, g_byte_array_unref);
      self->out_head = 0;
    }
  else if (self->out != NULL && self->out_head >= COMPACT_BYTES)
    {
      g_byte_array_remove_range (self->out, 0, self->out_head);
      self->out_head = 0;
    }

  self->blocked = self->out != NULL;
  update_interest (self);

  if (self->bytes_out != before && self->funcs->written)
    {
      self->funcs->written (self, self->bytes_out, self->user_data);
      if (self->state != STATE_OPEN)
        return;
    }

  if (self->out == NULL && self->shut_wanted && !self->fin_sent)
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

static void
read_some (HbChannel *self)
{
  gsize budget = READ_BUDGET;

  while (self->state == STATE_OPEN && !self->peer_eof &&
         (self->reading || self->closing) && budget > 0)
    {
      ssize_t n = recv (self->fd, read_buffer, sizeof read_buffer, MSG_DONTWAIT);

      if (n > 0)
        {
          self->bytes_in += n;
          budget -= MIN ((gsize) n, budget);
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
  if (self->state != STATE_OPEN || self->shut_wanted || len == 0)
    return;
  if (self->out == NULL)
    self->out = g_byte_array_sized_new (MAX (len, 64));
  g_byte_array_append (self->out, (const guint8 *) data, len);
  self->queued_total += len;
  if (!self->blocked)
    hb_poller_schedule (self->poller, self->handle);
}

/* Drops what has not been written, except the rest of a line already
 * partly sent, so that the peer's framing survives. */
void
hb_channel_discard_queue (HbChannel *self)
{
  const guint8 *lf;
  gsize keep;

  if (self->out == NULL)
    return;

  lf = self->out_head == 0 ? NULL :
       memchr (self->out->data + self->out_head, '\n',
               self->out->len - self->out_head);
  keep = lf ? (gsize) (lf - self->out->data) + 1 : self->out_head;
  self->queued_total -= self->out->len - keep;
  g_byte_array_set_size (self->out, keep);
}

gsize
hb_channel_get_queued (HbChannel *self)
{
  return self->out ? self->out->len - self->out_head : 0;
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
