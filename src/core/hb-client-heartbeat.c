/* hb-client-heartbeat.c - the client's side of heartbeats: answering (or not, or late), the dead timer, the server's view
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "hb-client-private.h"

void
_hb_client_arm_dead_timer (HbClient *self)
{
  guint timeout = self->timeout_ms ? self->timeout_ms : HB_DEFAULT_TIMEOUT_MS;

  /* While we deliberately do not read, silence proves nothing; and raw
   * TCP has no heartbeat to miss. */
  if (self->state != HB_CLIENT_CONNECTED || !self->reading ||
      self->protocol == HB_PROTOCOL_RAW)
    g_source_set_ready_time (self->dead_timer, -1);
  else
    g_source_set_ready_time (self->dead_timer,
                             g_get_monotonic_time () + (gint64) timeout * 1000);
}

void
_hb_client_clear_delayed (HbClient *self)
{
  g_queue_clear_full (&self->delayed, g_free);
  g_source_set_ready_time (self->pong_timer, -1);
}

/* The server counts a heartbeat missed once it has waited an interval
 * for its answer (docs/protocol.md, Heartbeats): how many of those not
 * answered nor counted yet, up to @upto, had waited that long at @now.
 * @last: set to the last of them. */
guint
_hb_client_count_missed (HbClient *self,
                         guint64   upto,
                         gint64    now,
                         guint64  *last)
{
  guint64 seq = MAX (self->answered_seq, self->missed_seq) + 1;
  gint64 interval = _hb_client_server_interval_us (self);
  guint64 n = 0;

  if (seq > upto)
    return 0;
  /* Past the ring a heartbeat came long ago: missed. */
  if (upto - seq >= G_N_ELEMENTS (self->seen))
    {
      n = upto - G_N_ELEMENTS (self->seen) + 1 - seq;
      seq = upto - G_N_ELEMENTS (self->seen) + 1;
      *last = seq - 1;
    }
  /* At most the ring's worth, and no "seq <= upto" that a server's
   * G_MAXUINT64 would make true for ever. */
  for (guint64 left = upto - seq + 1; left > 0; left--, seq++)
    {
      if (self->seen[seq % G_N_ELEMENTS (self->seen)].seq == seq &&
          self->seen[seq % G_N_ELEMENTS (self->seen)].mono + interval > now)
        break;
      n++;
      *last = seq;
    }
  return (guint) MIN (n, G_MAXUINT);
}

static void
send_pong (HbClient *self,
           guint64   seq)
{
  char buf[24];

  if (self->protocol == HB_PROTOCOL_LAB)
    {
      gsize len;
      const char *ack = g_bytes_get_data (self->ack, &len);

      if (self->channel == NULL || !hb_channel_is_open (self->channel))
        return;
      hb_channel_write (self->channel, ack, len);
      hb_timeline_append (self->timeline, HB_EVENT_LINE_OUT, HB_VERB_PONG, len,
                          (guint32) MIN (seq, G_MAXUINT32), HB_INITIATOR_LOCAL);
    }
  else
    {
      g_snprintf (buf, sizeof buf, "%" G_GUINT64_FORMAT, seq);
      _hb_client_send_line (self, HB_VERB_PONG, buf, (guint32) MIN (seq, G_MAXUINT32));
    }
  self->pongs_sent++;
  self->last_pong = g_get_real_time ();
  if (seq > self->answered_seq)
    {
      guint64 first = MAX (self->answered_seq, self->missed_seq) + 1;

      /* Those before @seq are never to be answered: missed, as the
       * server counts them when this answer comes. */
      if (seq > first)
        {
          self->missed += (guint) MIN (seq - first, G_MAXUINT - self->missed);
          self->missed_seq = seq - 1;
        }
      self->missed += _hb_client_count_missed (self, seq, g_get_monotonic_time (), &self->missed_seq);
      self->answered_seq = seq;
      self->answered_mono = g_get_monotonic_time ();
      if (self->answered_seq < self->conn_pings)
        {
          guint64 next = self->answered_seq + 1;

          if (self->seen[next % G_N_ELEMENTS (self->seen)].seq == next)
            self->owed_since_mono = self->seen[next % G_N_ELEMENTS (self->seen)].mono;
        }
    }
  _hb_client_notify (self, PROP_PONGS_SENT);
  _hb_client_notify (self, PROP_LAST_PONG);
  g_signal_emit (self, _hb_client_signals[PONG_SENT], 0, seq);
}

gboolean
_hb_client_pong_timer_cb (gpointer user_data)
{
  HbClient *self = user_data;
  gint64 now = g_get_monotonic_time ();
  DelayedPong *p;

  while ((p = g_queue_peek_head (&self->delayed)) != NULL && p->due <= now)
    {
      guint64 seq = p->seq;

      g_free (g_queue_pop_head (&self->delayed));
      send_pong (self, seq);
    }
  if (p != NULL)
    g_source_set_ready_time (self->pong_timer, p->due);
  return G_SOURCE_CONTINUE;
}

static void
answer_ping (HbClient *self,
             guint64   seq)
{
  DelayedPong *p;

  if (!self->answer_pings)
    return;
  if (self->pong_delay_ms == 0)
    {
      send_pong (self, seq);
      return;
    }
  p = g_new (DelayedPong, 1);
  p->due = g_get_monotonic_time () + (gint64) self->pong_delay_ms * 1000;
  p->seq = seq;
  g_queue_push_tail (&self->delayed, p);
  if (self->delayed.length == 1)
    g_source_set_ready_time (self->pong_timer, p->due);
}

void
_hb_client_heartbeat_arrived (HbClient *self,
                              guint64   seq)
{
  /* A heartbeat proves the server serves us: only now does the reconnect
   * backoff start again from its minimum. A server that accepts and
   * closes, or greets and closes, is retried ever more slowly. */
  self->attempt = 0;
  if (self->answered_seq >= self->conn_pings)
    self->owed_since_mono = g_get_monotonic_time ();
  self->seen[seq % G_N_ELEMENTS (self->seen)].seq = seq;
  self->seen[seq % G_N_ELEMENTS (self->seen)].mono = g_get_monotonic_time ();
  self->conn_pings = MAX (self->conn_pings, seq);
  self->pings_received++;
  self->last_ping = g_get_real_time ();
  _hb_client_notify (self, PROP_PINGS_RECEIVED);
  _hb_client_notify (self, PROP_LAST_PING);
  g_signal_emit (self, _hb_client_signals[PING], 0, seq);
  answer_ping (self, seq);
}

gboolean
_hb_client_dead_timer_cb (gpointer user_data)
{
  HbClient *self = user_data;

  if (self->channel != NULL && hb_channel_is_open (self->channel))
    {
      /* Every close we start says why, even to a server that may not
       * hear; the lab's protocol has only the FIN to say it with. */
      if (self->protocol == HB_PROTOCOL_LINE)
        _hb_client_send_line (self, HB_VERB_BYE, "timeout", 0);
      _hb_client_close_channel (self, HB_BYE_SERVER_TIMEOUT, HB_INITIATOR_LOCAL);
    }
  return G_SOURCE_CONTINUE;
}

/**
 * hb_client_get_server_view:
 * @now: the monotonic time to judge at
 *
 * How the server judges this client at @now, by the server's own rule
 * (docs/protocol.md, Heartbeats) applied to this client's record: late
 * once a heartbeat has waited for its answer longer than the interval;
 * dead at the later of the last answer + the timeout and the oldest
 * unanswered heartbeat + the timeout - the interval. The settings are
 * those of WELCOME, or in the lab's protocol this client's own. The
 * server sees the same events a one-way trip later.
 */
void
hb_client_get_server_view (HbClient     *self,
                           gint64        now,
                           HbServerView *view)
{
  gint64 interval, timeout;
  gint64 arrived, dead_at;

  g_return_if_fail (HB_IS_CLIENT (self));
  g_return_if_fail (view != NULL);

  memset (view, 0, sizeof *view);
  view->liveness = HB_LIVENESS_ALIVE;
  view->dead_in_us = -1;
  view->missed = self->missed;
  if (self->state != HB_CLIENT_CONNECTED)
    return;
  {
    guint64 last = 0;

    view->missed += _hb_client_count_missed (self, self->conn_pings, now, &last);
  }
  interval = _hb_client_server_interval_us (self);
  timeout = (gint64) (self->timeout_ms ? self->timeout_ms : HB_DEFAULT_TIMEOUT_MS) * 1000;
  if (self->answered_seq >= self->conn_pings)
    return;  /* nothing owed: alive, and no clock runs */

  /* As the server keeps it: the time the oldest unanswered heartbeat
   * came, not a search of the last eight (a hostile server's seqs could
   * make that loop run for ever). */
  arrived = self->owed_since_mono != 0 ? self->owed_since_mono : now;
  view->owed = self->conn_pings - self->answered_seq;
  view->waiting_us = now - arrived;
  dead_at = MAX (self->answered_mono + timeout, arrived + timeout - interval);
  view->dead_in_us = MAX (dead_at - now, 0);
  if (now >= dead_at)
    view->liveness = HB_LIVENESS_DEAD;
  else if (now >= arrived + interval)
    view->liveness = HB_LIVENESS_LATE;
}

