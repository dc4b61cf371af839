/* hb-server-heartbeat.c - the server's heartbeats and verdicts: the timer, PING, PONG, late and dead
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "hb-server-private.h"

/* The coarsest the heartbeat timer rounds to (see next_due()). */
#define TIMER_SLICE_MAX_US 10000

/* The most connections whose due work one dispatch of the timer does
 * (see timer_cb()). */
#define TIMER_BATCH_MAX 8

/* ---------------------------------------------------------------------- */
/* The timer                                                               */

static inline HbConnection *
conn_of (HbDeadlineNode *node)
{
  return (HbConnection *) ((char *) node - G_STRUCT_OFFSET (HbConnection, heap_node));
}

/* When the timer should next fire: the heap's top, rounded up to the
 * next slice. Heartbeats due within one slice then share one wake-up
 * instead of one each, which is most of an idle server's cost; the slice
 * is 1 % of the interval, at most TIMER_SLICE_MAX_US, so no verdict or
 * PING moves by more than that. */
static gint64
next_due (HbServer *self)
{
  HbDeadlineNode *top = hb_deadline_heap_peek (self->heap);
  gint64 due, slice;

  if (top == NULL)
    return -1;
  due = top->deadline;
  slice = MIN ((gint64) self->interval_ms * 10, TIMER_SLICE_MAX_US);
  if (slice > 1)
    due = (due + slice - 1) / slice * slice;
  return due;
}

/* The timer reads the heap in prepare() rather than being rearmed with
 * g_source_set_ready_time() whenever the top moves: that call wakes the
 * context (a write() to its eventfd) each time, thousands a second. */
typedef struct
{
  GSource   source;
  HbServer *server;
} BeatSource;

static gboolean
beat_prepare (GSource *source,
              gint    *timeout)
{
  HbServer *self = ((BeatSource *) source)->server;
  gint64 due = next_due (self);
  gint64 now;

  *timeout = -1;
  if (due < 0)
    return FALSE;
  now = g_source_get_time (source);
  if (now >= due)
    {
      *timeout = 0;
      return TRUE;
    }
  *timeout = (gint) MIN ((due - now + 999) / 1000, G_MAXINT);
  return FALSE;
}

static gboolean
beat_check (GSource *source)
{
  HbServer *self = ((BeatSource *) source)->server;
  gint64 due = next_due (self);

  return due >= 0 && g_get_monotonic_time () >= due;
}

static gboolean
beat_dispatch (GSource     *source,
               GSourceFunc  callback,
               gpointer     user_data)
{
  return callback (user_data);
}

static GSourceFuncs beat_funcs = {
  .prepare = beat_prepare,
  .check = beat_check,
  .dispatch = beat_dispatch,
};

/* The oldest PING not yet answered, or NULL. */
static HbPingRecord *
oldest_unanswered (HbConnection *conn)
{
  if (conn->answered_seq >= conn->ping_seq)
    return NULL;
  if (conn->ping_seq - conn->answered_seq > HB_PING_RING)
    return &conn->pings[(conn->ping_seq - HB_PING_RING + 1) % HB_PING_RING];
  return &conn->pings[(conn->answered_seq + 1) % HB_PING_RING];
}

static gint64
late_at (HbServer     *self,
         HbConnection *conn)
{
  HbPingRecord *rec = oldest_unanswered (conn);

  if (rec == NULL)
    return G_MAXINT64;
  /* A PING stuck in our own queue has been unanswered since it was queued. */
  return (rec->sent_mono ? rec->sent_mono : rec->queued_mono) + _hb_server_interval_us (self);
}

/* When the first PING not yet counted as missed will be: an interval
 * after it went out without an answer, the moment the client turns late.
 * Counted then, and not when the next PING goes out, a PING still in
 * flight is never "missed" beside "alive". */
static gint64
missed_at (HbServer     *self,
           HbConnection *conn,
           guint64      *seq_out)
{
  guint64 seq = _hb_connection_settled_seq (conn) + 1;
  HbPingRecord *rec;

  if (seq > conn->ping_seq)
    return G_MAXINT64;
  /* Past the ring a PING's record is gone; it went out long ago. */
  if (conn->ping_seq - seq >= HB_PING_RING)
    seq = conn->ping_seq - HB_PING_RING + 1;
  rec = &conn->pings[seq % HB_PING_RING];
  if (seq_out)
    *seq_out = seq;
  return (rec->sent_mono ? rec->sent_mono : rec->queued_mono) + _hb_server_interval_us (self);
}

static void
count_missed (HbServer     *self,
              HbConnection *conn,
              gint64        now)
{
  guint64 seq = 0;
  guint before = conn->missed;

  while (missed_at (self, conn, &seq) <= now)
    {
      /* Those past the ring, too, at once. */
      conn->missed += (guint) MIN (seq - _hb_connection_settled_seq (conn), G_MAXUINT - conn->missed);
      conn->missed_seq = seq;
    }
  if (conn->missed != before)
    _hb_connection_notify (conn, HB_CONNECTION_PROP_MISSED);
}

/* When the client is dead: no PONG for the timeout, counted from its last
 * PONG — but only while a PING is waiting for its answer. If this process
 * stalled and sent nothing, the client owed nothing; its clock restarts
 * when the next PING goes out (the oldest unanswered one stands for
 * "timeout - interval" of the timeout, as it would in a steady beat). */
static gint64
dead_at (HbServer     *self,
         HbConnection *conn)
{
  gint64 timeout = (gint64) self->timeout_ms * 1000;

  /* Not the ring of PING records, which holds only the last eight: with a
   * timeout over eight intervals its oldest entry moved on with every
   * PING and a silent client was never dead. */
  if (conn->answered_seq >= conn->ping_seq)
    return G_MAXINT64;
  return MAX (conn->last_pong_mono + timeout, conn->owed_since_mono + timeout - _hb_server_interval_us (self));
}

void
_hb_server_schedule (HbServer     *self,
                     HbConnection *conn)
{
  gint64 deadline;

  if (conn->closing)
    deadline = conn->close_deadline;
  else if (conn->protocol == HB_PROTOCOL_RAW)
    deadline = G_MAXINT64;   /* nothing is judged in raw TCP */
  else
    {
      deadline = MIN (conn->next_ping_mono, dead_at (self, conn));
      deadline = MIN (deadline, missed_at (self, conn, NULL));
      if (conn->liveness == HB_LIVENESS_ALIVE)
        deadline = MIN (deadline, late_at (self, conn));
    }
  if (conn->flush_mono != 0 && !conn->closing)
    deadline = MIN (deadline, conn->flush_mono);
  if (conn->over_check_mono != 0 && !conn->closing)
    deadline = MIN (deadline, conn->over_check_mono);

  if (deadline == G_MAXINT64)
    hb_deadline_heap_remove (self->heap, &conn->heap_node);
  else
    hb_deadline_heap_set (self->heap, &conn->heap_node, deadline);
}

static void
set_liveness (HbServer     *self,
              HbConnection *conn,
              HbLiveness    liveness)
{
  if (conn->liveness == liveness)
    return;
  conn->liveness = liveness;
  hb_timeline_append (conn->timeline, HB_EVENT_STATE, HB_VERB_UNKNOWN, 0, liveness, HB_INITIATOR_LOCAL);
  _hb_connection_notify (conn, HB_CONNECTION_PROP_LIVENESS);
  g_signal_emit (self, _hb_server_signals[CLIENT_LIVENESS], 0, conn, liveness);
}

static void
send_ping (HbServer     *self,
           HbConnection *conn,
           gint64        now)
{
  HbPingRecord *rec;

  if (oldest_unanswered (conn) == NULL)
    conn->owed_since_mono = now;  /* the clock of the dead verdict starts */

  conn->ping_seq++;
  conn->pings_sent++;
  rec = &conn->pings[conn->ping_seq % HB_PING_RING];
  rec->seq = conn->ping_seq;
  rec->queued_mono = now;
  rec->sent_mono = 0;
  if (conn->protocol == HB_PROTOCOL_LAB)
    {
      gsize len;
      const char *hb = g_bytes_get_data (self->heartbeat, &len);

      if (!_hb_server_send_raw (self, conn, HB_VERB_PING, hb, len, (guint32) MIN (conn->ping_seq, G_MAXUINT32)))
        return;
    }
  else
    {
      GString *line = self->scratch;

      /* "PING <seq>\n", as _hb_server_send_line() would format it,
       * without printf() and parsing the seq back for the timeline. */
      g_string_assign (line, "PING ");
      hb_append_uint64 (line, conn->ping_seq, 1);
      g_string_append_c (line, '\n');
      if (!_hb_server_send_raw (self, conn, HB_VERB_PING, line->str, line->len,
                                (guint32) MIN (conn->ping_seq, G_MAXUINT32)))
        return;
    }
  rec->end_offset = hb_channel_get_bytes_queued_total (conn->channel);
  _hb_connection_notify (conn, HB_CONNECTION_PROP_PINGS_SENT);
}

/* ---------------------------------------------------------------------- */
/* Timers                                                                  */

static void
process_due (HbServer     *self,
             HbConnection *conn,
             gint64        now)
{
  if (conn->closing)
    {
      hb_channel_expire (conn->channel);
      return;
    }

  if (conn->flush_mono != 0 && now >= conn->flush_mono)
    {
      /* The rest of the ack may be waiting in the socket after a stall. */
      hb_channel_read_now (conn->channel);
      if (conn->closing)
        return;
      if (conn->flush_mono != 0 && now >= conn->flush_mono)
        _hb_server_flush_held (self, conn);
      if (conn->closing)
        return;
    }
  if (conn->over_check_mono != 0 && now >= conn->over_check_mono)
    {
      _hb_server_check_reading (self, conn, now);
      if (conn->closing)
        return;
    }
  if (conn->protocol == HB_PROTOCOL_RAW)
    {
      _hb_server_schedule (self, conn);
      return;
    }

  /* A verdict is due: first read what waits in the socket. When this
   * process was busy (a long frame of the window sharing its loop), the
   * answers are there, and the client is not to blame. */
  if (now >= dead_at (self, conn) ||
      (conn->liveness == HB_LIVENESS_ALIVE && now >= late_at (self, conn)))
    {
      hb_channel_read_now (conn->channel);
      if (conn->closing)
        return;
    }

  if (missed_at (self, conn, NULL) <= now || now >= dead_at (self, conn) ||
      (conn->liveness == HB_LIVENESS_ALIVE && now >= late_at (self, conn)))
    {
      gboolean dead = now >= dead_at (self, conn);

      /* The count and the verdict change together, as one notification. */
      g_object_freeze_notify (G_OBJECT (conn));
      count_missed (self, conn, now);
      if (dead)
        set_liveness (self, conn, HB_LIVENESS_DEAD);
      else if (conn->liveness == HB_LIVENESS_ALIVE && now >= late_at (self, conn))
        set_liveness (self, conn, HB_LIVENESS_LATE);
      g_object_thaw_notify (G_OBJECT (conn));
      if (dead)
        {
          _hb_server_begin_close (self, conn, HB_BYE_TIMEOUT, HB_INITIATOR_LOCAL, TRUE);
          return;
        }
    }

  if (now >= conn->next_ping_mono)
    {
      send_ping (self, conn, now);
      conn->next_ping_mono += _hb_server_interval_us (self);
      /* After a stall, beat from now rather than in a burst. */
      if (conn->next_ping_mono <= now)
        conn->next_ping_mono = now + _hb_server_interval_us (self);
    }

  if (!conn->closing)
    _hb_server_schedule (self, conn);
}

/* Does the due work of at most TIMER_BATCH_MAX connections, then lets
 * the main loop run: at 10,000 clients and 1 s heartbeats about 100
 * PINGs fall in one slice, and a client's line that arrived meanwhile
 * would wait for all of them and their answers. The rest is still due,
 * so prepare() asks for no sleep and the next dispatch carries on after
 * the poller has served the ready sockets (and written this batch). */
static gboolean
timer_cb (gpointer user_data)
{
  HbServer *self = user_data;
  gint64 now = g_get_monotonic_time ();
  HbDeadlineNode *top;
  guint done = 0;

  g_object_ref (self);
  while (done++ < TIMER_BATCH_MAX &&
         (top = hb_deadline_heap_peek (self->heap)) != NULL && top->deadline <= now)
    {
      g_autoptr(HbConnection) conn = g_object_ref (conn_of (top));
      gint64 before = top->deadline;

      process_due (self, conn, now);
      /* Whatever happened, it must not stay due at the same instant. */
      if (hb_deadline_heap_peek (self->heap) == &conn->heap_node && conn->heap_node.deadline == before)
        hb_deadline_heap_set (self->heap, &conn->heap_node, now + 1000);
    }
  g_object_unref (self);
  return G_SOURCE_CONTINUE;
}

/* The one timer of all time-driven work, not yet attached. */
GSource *
_hb_server_timer_new (HbServer *self)
{
  GSource *timer = g_source_new (&beat_funcs, sizeof (BeatSource));

  ((BeatSource *) timer)->server = self;
  g_source_set_static_name (timer, "HbServer heartbeats");
  g_source_set_callback (timer, timer_cb, self, NULL);
  return timer;
}

/* @timed: whether the RTT of @seq can be told (an ack of the lab's
 * protocol that could answer more than one heartbeat cannot). */
void
_hb_server_handle_pong (HbServer     *self,
                        HbConnection *conn,
                        guint64       seq,
                        gboolean      timed)
{
  gint64 now = g_get_monotonic_time ();
  /* When the answer arrived, as the kernel stamped the read that brought
   * it; now when that is unknown. */
  gint64 arrived = hb_channel_get_arrival (conn->channel);
  gint64 answered = arrived > 0 ? MIN (arrived, now) : now;
  HbPingRecord *rec = &conn->pings[seq % HB_PING_RING];
  gint64 rtt = -1;
  gboolean watched;

  conn->pongs_received++;
  if (seq == 0 || seq > conn->ping_seq)
    {
      /* Unknown seq: counted, but it proves nothing about liveness. */
      g_signal_emit (self, _hb_server_signals[PONG], 0, conn, seq, (gint64) -1);
      return;
    }

  watched = _hb_connection_is_watched (conn);
  /* Several properties change at once: one look for listeners, and when
   * there are some, one notification of them all. */
  if (watched)
    g_object_freeze_notify (G_OBJECT (conn));
  if (timed && rec->seq == seq && rec->sent_mono != 0)
    {
      rtt = MAX (answered - rec->sent_mono, 0);
      conn->rtt_last = rtt;
      conn->rtt_min = conn->rtt_min < 0 ? rtt : MIN (conn->rtt_min, rtt);
      conn->rtt_max = MAX (conn->rtt_max, rtt);
      conn->rtt_sum += rtt;
      conn->rtt_count++;
      if (watched)
        {
          _hb_connection_notify (conn, HB_CONNECTION_PROP_RTT_LAST);
          _hb_connection_notify (conn, HB_CONNECTION_PROP_RTT_MIN);
          _hb_connection_notify (conn, HB_CONNECTION_PROP_RTT_AVG);
          _hb_connection_notify (conn, HB_CONNECTION_PROP_RTT_MAX);
        }
    }

  /* Those before @seq still waiting will never be answered (the lab's
   * ack answers the newest): missed, now. */
  if (seq > _hb_connection_settled_seq (conn) + 1)
    {
      conn->missed += (guint) MIN (seq - 1 - _hb_connection_settled_seq (conn),
                                   G_MAXUINT - conn->missed);
      conn->missed_seq = seq - 1;
      _hb_connection_notify (conn, HB_CONNECTION_PROP_MISSED);
    }
  conn->answered_seq = MAX (conn->answered_seq, seq);
  conn->last_pong_mono = now;
  /* What is still owed dates from the oldest PING not answered yet; past
   * the ring, from the oldest the ring still holds (a little later than
   * the truth: the verdict errs towards the client). */
  if (conn->answered_seq < conn->ping_seq)
    {
      guint64 next = MAX (conn->answered_seq + 1,
                          conn->ping_seq - MIN (conn->ping_seq, HB_PING_RING - 1));
      HbPingRecord *owed = &conn->pings[next % HB_PING_RING];

      if (owed->seq == next)
        conn->owed_since_mono = owed->queued_mono;
    }
  conn->last_pong_wall = g_get_real_time ();
  if (watched)
    {
      _hb_connection_notify (conn, HB_CONNECTION_PROP_LAST_PONG);
      _hb_connection_notify (conn, HB_CONNECTION_PROP_PONGS_RECEIVED);
    }

  if (oldest_unanswered (conn) == NULL || late_at (self, conn) > now)
    set_liveness (self, conn, HB_LIVENESS_ALIVE);
  if (watched)
    g_object_thaw_notify (G_OBJECT (conn));

  _hb_server_schedule (self, conn);
  g_signal_emit (self, _hb_server_signals[PONG], 0, conn, seq, rtt);
}

/* The heartbeat settings changed while clients are connected: each one's
 * next PING follows the new interval from its last one, and in the line
 * protocol each client hears the new settings in a WELCOME like its first
 * (its timeout for a silent server is the server's to set). */
static void
announce_settings (HbServer *self,
                   guint     old_interval)
{
  GHashTableIter iter;
  gpointer key;
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 now = g_get_monotonic_time ();

  g_hash_table_iter_init (&iter, self->by_id);
  while (g_hash_table_iter_next (&iter, NULL, &key))
    g_ptr_array_add (all, g_object_ref (key));

  for (guint i = 0; i < all->len; i++)
    {
      HbConnection *conn = g_ptr_array_index (all, i);
      gint64 last = conn->next_ping_mono - (gint64) old_interval * 1000;

      if (conn->closing)
        continue;
      conn->next_ping_mono = MAX (last + _hb_server_interval_us (self), now);
      if (conn->protocol == HB_PROTOCOL_LINE)
        {
          char welcome[64];

          g_snprintf (welcome, sizeof welcome, "%u %u %u", conn->id, self->interval_ms, self->timeout_ms);
          if (!_hb_server_send_line (self, conn, HB_VERB_WELCOME, welcome, -1))
            continue;
        }
      _hb_server_schedule (self, conn);
    }
}

gboolean
_hb_server_announce_cb (gpointer user_data)
{
  HbServer *self = user_data;

  hb_source_clear (&self->announce);
  if (self->listening)
    announce_settings (self, self->announced_interval);
  return G_SOURCE_REMOVE;
}

/**
 * hb_server_beat_now:
 * @glued_text: (nullable): a message to send right behind the heartbeat
 *
 * Sends client @id a heartbeat now rather than at its next beat, and with
 * @glued_text the operator's message to it in the same write, so that
 * both usually travel in one TCP segment: the test of a client that reads
 * `heartbeat456` in one recv(). The next beat follows one interval later.
 *
 * Returns: FALSE if there is no such client, or the protocol (raw) has
 * no heartbeat
 */
gboolean
hb_server_beat_now (HbServer   *self,
                    guint       id,
                    const char *glued_text)
{
  HbConnection *conn;
  gint64 now = g_get_monotonic_time ();

  g_return_val_if_fail (HB_IS_SERVER (self), FALSE);

  conn = hb_server_lookup (self, id);
  if (conn == NULL || conn->closing || conn->protocol == HB_PROTOCOL_RAW)
    return FALSE;
  send_ping (self, conn, now);
  if (conn->closing)
    return FALSE;
  if (glued_text != NULL)
    {
      g_string_truncate (self->scratch, 0);
      _hb_server_append_message (self, self->scratch, "BCAST", glued_text);
      if (!_hb_server_send_raw (self, conn, HB_VERB_BCAST, self->scratch->str, self->scratch->len, 0))
        return FALSE;
    }
  conn->next_ping_mono = now + _hb_server_interval_us (self);
  _hb_server_schedule (self, conn);
  return TRUE;
}

