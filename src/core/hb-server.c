/* hb-server.c - the heartbeat server: accepts clients, beats, broadcasts, all on the main loop
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A listening GSocket of its own accepts, up to 64 clients a wake-up
 * (GSocketService takes one per main-loop pass, and at the open-file
 * limit retries at once for ever); every accepted socket is then driven
 * by one HbPoller (epoll) in the same main loop. Time-driven work — heartbeats,
 * late and dead verdicts, the bound on a graceful close — hangs off one
 * min-heap of per-connection deadlines behind a single timer source, so
 * an idle server with many clients wakes only when something is due.
 */

/* accept4(), to take a client non-blocking in one call */
#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hb-channel.h"
#include "hb-connection-private.h"
#include "hb-enums.h"
#include "hb-poller.h"
#include "hb-protocol.h"
#include "hb-server.h"

#define LISTEN_BACKLOG 4096
/* Connections taken from the backlog per wake-up: enough to drain a burst
 * quickly, few enough that clients already connected are not kept waiting. */
#define ACCEPT_BUDGET  64
/* A client whose queue is over max-queue must have read at least a
 * quarter of max-queue in each such period to stay; past HARD_QUEUE_FACTOR
 * times max-queue it is cut at once, reading or not. */
#define SLOW_CHECK_MS      500
#define HARD_QUEUE_FACTOR  16
/* At the open-file limit, accepting pauses this long between attempts. */
#define ACCEPT_RETRY_MS 100
/* Joins reach the list model in one splice per period: a burst of
 * thousands of connects is then one items-changed, not thousands. */
#define JOIN_BATCH_MS  50
/* The kernel's send buffer would otherwise grow to tcp_wmem's 4 MB, letting
 * a client that stopped reading hide megabytes there before max-queue
 * notices. Lines are small; this is plenty for a client that does read.
 * Linux doubles the value asked for (socket(7)): ss -m shows tb131072. */
#define CLIENT_SNDBUF  (64 * 1024)
/* The coarsest the heartbeat timer rounds to (see next_due()). */
#define TIMER_SLICE_MAX_US 10000
/* Lab protocol: bytes at the end of a read that may begin an ack are
 * held this long for the rest before they count as a message. */
#define HELD_FLUSH_MS  200

struct _HbServer
{
  GObject           parent_instance;

  char             *address;
  guint             port;
  guint             interval_ms;
  guint             timeout_ms;
  guint             max_clients;
  guint             max_line;
  guint             max_queue;
  guint             rate_limit;
  gboolean          relay;
  HbProtocol        protocol;
  GBytes           *heartbeat;     /* lab: what the server writes */
  GBytes           *ack;           /* lab: what answers it */
  HbLineEnding      line_ending;
  HbEncoding        encoding;

  GSocket          *listen_socket;
  HbPollHandle     *listen_handle;
  int               reserve_fd;    /* given up to turn a client away at the fd limit */
  guint             accept_retry_id;
  guint             announce_id;       /* new heartbeat settings to announce */
  guint             announced_interval; /* the interval the clients were last told */
  gboolean          accept_paused;
  HbPoller         *poller;
  GListStore       *connections;   /* listed clients, in order of arrival */
  GPtrArray        *joining;       /* accepted, not yet in the list */
  guint             join_id;
  GHashTable       *by_id;         /* id → HbConnection, listed ones */
  GHashTable       *live;          /* HbConnection set: every open channel */
  GHashTable       *names;         /* casefolded HELLO name → HbConnection */
  guint             next_id;

  GPtrArray        *heap;          /* HbConnection*, min-heap on deadline */
  GSource          *timer;
  guint             tick_id;       /* once-a-second counters */
  guint             drain_ms;

  GTask            *shutdown_task;
  GString          *scratch;
  gboolean          listening;
};

enum {
  PROP_0,
  PROP_ADDRESS,
  PROP_PORT,
  PROP_INTERVAL_MS,
  PROP_TIMEOUT_MS,
  PROP_MAX_CLIENTS,
  PROP_MAX_LINE,
  PROP_MAX_QUEUE,
  PROP_RATE_LIMIT,
  PROP_RELAY,
  PROP_PROTOCOL,
  PROP_HEARTBEAT,
  PROP_ACK,
  PROP_LINE_ENDING,
  PROP_ENCODING,
  PROP_LISTENING,
  PROP_N_CLIENTS,
  N_PROPS
};

enum {
  CLIENT_CONNECTED,
  CLIENT_HELLO,
  CLIENT_LIVENESS,
  MESSAGE,
  PING_SENT,
  PONG,
  ERROR_SENT,
  CLIENT_DISCONNECTED,
  CLIENT_REJECTED,
  DATA_RECEIVED,
  BROADCAST,
  ACCEPT_PAUSED,
  ACCEPT_RESUMED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (HbServer, hb_server, G_TYPE_OBJECT)

static void begin_close   (HbServer     *self,
                           HbConnection *conn,
                           HbByeReason   reason,
                           HbInitiator   initiator,
                           gboolean      say_bye);
static void drop_all      (HbServer     *self);
static void flush_held    (HbServer     *self,
                           HbConnection *conn);

/* ---------------------------------------------------------------------- */
/* The deadline heap                                                       */

#define HEAP_NONE G_MAXUINT

static inline HbConnection *
heap_at (HbServer *self,
         guint     i)
{
  return g_ptr_array_index (self->heap, i);
}

static void
heap_swap (HbServer *self,
           guint     a,
           guint     b)
{
  HbConnection *ca = heap_at (self, a);
  HbConnection *cb = heap_at (self, b);

  self->heap->pdata[a] = cb;
  self->heap->pdata[b] = ca;
  cb->heap_index = a;
  ca->heap_index = b;
}

static void
heap_up (HbServer *self,
         guint     i)
{
  while (i > 0)
    {
      guint parent = (i - 1) / 2;

      if (heap_at (self, parent)->deadline <= heap_at (self, i)->deadline)
        break;
      heap_swap (self, parent, i);
      i = parent;
    }
}

static void
heap_down (HbServer *self,
           guint     i)
{
  for (;;)
    {
      guint l = 2 * i + 1, r = l + 1, m = i;

      if (l < self->heap->len && heap_at (self, l)->deadline < heap_at (self, m)->deadline)
        m = l;
      if (r < self->heap->len && heap_at (self, r)->deadline < heap_at (self, m)->deadline)
        m = r;
      if (m == i)
        break;
      heap_swap (self, i, m);
      i = m;
    }
}

static void
heap_remove (HbServer     *self,
             HbConnection *conn)
{
  guint i = conn->heap_index;
  guint last;

  if (i == HEAP_NONE)
    return;
  last = self->heap->len - 1;
  if (i != last)
    heap_swap (self, i, last);
  g_ptr_array_set_size (self->heap, last);
  conn->heap_index = HEAP_NONE;
  if (i < self->heap->len)
    {
      heap_up (self, i);
      heap_down (self, i);
    }
}

/* When the timer should next fire: the heap's top, rounded up to the
 * next slice. Heartbeats due within one slice then share one wake-up
 * instead of one each, which is most of an idle server's cost; the slice
 * is 1 % of the interval, at most TIMER_SLICE_MAX_US, so no verdict or
 * PING moves by more than that. */
static gint64
next_due (HbServer *self)
{
  gint64 due, slice;

  if (self->heap->len == 0)
    return -1;
  due = heap_at (self, 0)->deadline;
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

static gint64
interval_us (HbServer *self)
{
  return (gint64) self->interval_ms * 1000;
}

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
  return (rec->sent_mono ? rec->sent_mono : rec->queued_mono) + interval_us (self);
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
  guint64 seq = MAX (conn->answered_seq, conn->missed_seq) + 1;
  HbPingRecord *rec;

  if (seq > conn->ping_seq)
    return G_MAXINT64;
  /* Past the ring a PING's record is gone; it went out long ago. */
  if (conn->ping_seq - seq >= HB_PING_RING)
    seq = conn->ping_seq - HB_PING_RING + 1;
  rec = &conn->pings[seq % HB_PING_RING];
  if (seq_out)
    *seq_out = seq;
  return (rec->sent_mono ? rec->sent_mono : rec->queued_mono) + interval_us (self);
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
      conn->missed += (guint) MIN (seq - MAX (conn->answered_seq, conn->missed_seq), G_MAXUINT - conn->missed);
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
  return MAX (conn->last_pong_mono + timeout, conn->owed_since_mono + timeout - interval_us (self));
}

static void
schedule (HbServer     *self,
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
    {
      heap_remove (self, conn);
      return;
    }

  conn->deadline = deadline;
  if (conn->heap_index == HEAP_NONE)
    {
      conn->heap_index = self->heap->len;
      g_ptr_array_add (self->heap, conn);
      heap_up (self, conn->heap_index);
    }
  else
    {
      heap_up (self, conn->heap_index);
      heap_down (self, conn->heap_index);
    }
}

/* ---------------------------------------------------------------------- */
/* Writing                                                                 */

static guint32
seq_arg (HbVerb      verb,
         const char *args,
         gsize       args_len)
{
  guint64 seq = 0;

  if ((verb == HB_VERB_PING || verb == HB_VERB_PONG) &&
      hb_parse_uint64 (args, args_len, &seq))
    return (guint32) MIN (seq, G_MAXUINT32);
  return 0;
}

/* A client whose queue passed its bound: everyone else must not wait for
 * it, so its backlog goes and so does it. The reason says what it did: a
 * client flooding us while it does not read is a flooder, not merely slow. */
static void
cut_off (HbServer     *self,
         HbConnection *conn)
{
  gboolean flooding = conn->limited_mono != 0 &&
                      g_get_monotonic_time () - conn->limited_mono < 2 * G_USEC_PER_SEC;

  hb_channel_discard_queue (conn->channel);
  begin_close (self, conn, flooding ? HB_BYE_RATE_LIMITED : HB_BYE_SLOW_CONSUMER,
               HB_INITIATOR_LOCAL, TRUE);
}

/* Judges a client's queue after something was queued for it. Over the
 * bound it is not cut at once: a large broadcast puts a reader that keeps
 * up over the bound as surely as one that reads nothing. Whether it reads
 * is seen over the next SLOW_CHECK_MS (check_reading()); only far beyond
 * the bound is it cut without waiting. Returns FALSE if it was cut. */
static gboolean
check_queue (HbServer     *self,
             HbConnection *conn)
{
  gsize queued = hb_channel_get_queued (conn->channel);

  if (queued <= self->max_queue)
    {
      conn->over_check_mono = 0;
      return TRUE;
    }
  if (queued > (gsize) self->max_queue * HARD_QUEUE_FACTOR)
    {
      cut_off (self, conn);
      return FALSE;
    }
  if (conn->over_check_mono == 0)
    {
      conn->over_check_mono = g_get_monotonic_time () + SLOW_CHECK_MS * 1000;
      conn->over_bytes_out = hb_channel_get_bytes_out (conn->channel);
      schedule (self, conn);
    }
  return TRUE;
}

/* The deadline set by check_queue(): a client still over the bound must
 * have read a quarter of the bound since, or it is cut. */
static void
check_reading (HbServer     *self,
               HbConnection *conn,
               gint64        now)
{
  guint64 out = hb_channel_get_bytes_out (conn->channel);

  if (hb_channel_get_queued (conn->channel) <= self->max_queue)
    conn->over_check_mono = 0;
  else if (out - conn->over_bytes_out >= self->max_queue / 4)
    {
      conn->over_check_mono = now + SLOW_CHECK_MS * 1000;
      conn->over_bytes_out = out;
    }
  else
    {
      conn->over_check_mono = 0;
      cut_off (self, conn);
    }
}

/* Queues one already formatted line; returns FALSE if the client was cut
 * off as a slow consumer. */
static gboolean
send_raw (HbServer     *self,
          HbConnection *conn,
          HbVerb        verb,
          const char   *line,
          gsize         len,
          guint32       arg)
{
  if (conn->closing || !hb_channel_is_open (conn->channel))
    return FALSE;

  hb_channel_write (conn->channel, line, len);
  conn->lines_out++;
  hb_timeline_append (conn->timeline, HB_EVENT_LINE_OUT, verb, len, arg, HB_INITIATOR_LOCAL);
  return check_queue (self, conn);
}

static gboolean
send_line (HbServer     *self,
           HbConnection *conn,
           HbVerb        verb,
           const char   *args,
           gssize        args_len)
{
  GString *s = self->scratch;

  g_string_truncate (s, 0);
  hb_format_line (s, hb_verb_to_string (verb), args, args_len);
  return send_raw (self, conn, verb, s->str, s->len,
                   args ? seq_arg (verb, args, args_len < 0 ? strlen (args) : (gsize) args_len) : 0);
}

/* @text goes on the wire: it is protocol, in English whatever the
 * server's locale, as docs/protocol.md shows it. */
static void
send_error (HbServer     *self,
            HbConnection *conn,
            HbErrCode     code,
            const char   *text)
{
  g_autofree char *args = g_strdup_printf ("%s %s", hb_err_code_to_string (code), text);

  hb_timeline_append (conn->timeline, HB_EVENT_ERROR, HB_VERB_ERR, 0, code, HB_INITIATOR_LOCAL);
  if (send_line (self, conn, HB_VERB_ERR, args, -1))
    g_signal_emit (self, signals[ERROR_SENT], 0, conn, code, text);
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
  g_signal_emit (self, signals[CLIENT_LIVENESS], 0, conn, liveness);
}

static void
send_ping (HbServer     *self,
           HbConnection *conn,
           gint64        now)
{
  HbPingRecord *rec;
  char seq[24];

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

      if (!send_raw (self, conn, HB_VERB_PING, hb, len, (guint32) MIN (conn->ping_seq, G_MAXUINT32)))
        return;
    }
  else
    {
      g_snprintf (seq, sizeof seq, "%" G_GUINT64_FORMAT, conn->ping_seq);
      if (!send_line (self, conn, HB_VERB_PING, seq, -1))
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
        flush_held (self, conn);
      if (conn->closing)
        return;
    }
  if (conn->over_check_mono != 0 && now >= conn->over_check_mono)
    {
      check_reading (self, conn, now);
      if (conn->closing)
        return;
    }
  if (conn->protocol == HB_PROTOCOL_RAW)
    {
      schedule (self, conn);
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
          begin_close (self, conn, HB_BYE_TIMEOUT, HB_INITIATOR_LOCAL, TRUE);
          return;
        }
    }

  if (now >= conn->next_ping_mono)
    {
      send_ping (self, conn, now);
      conn->next_ping_mono += interval_us (self);
      /* After a stall, beat from now rather than in a burst. */
      if (conn->next_ping_mono <= now)
        conn->next_ping_mono = now + interval_us (self);
    }

  if (!conn->closing)
    schedule (self, conn);
}

static gboolean
timer_cb (gpointer user_data)
{
  HbServer *self = user_data;
  gint64 now = g_get_monotonic_time ();

  g_object_ref (self);
  while (self->heap->len > 0 && heap_at (self, 0)->deadline <= now)
    {
      g_autoptr(HbConnection) conn = g_object_ref (heap_at (self, 0));
      gint64 before = conn->deadline;

      process_due (self, conn, now);
      /* Whatever happened, it must not stay due at the same instant. */
      if (conn->heap_index == 0 && conn->deadline == before)
        {
          conn->deadline = now + 1000;
          heap_down (self, 0);
        }
    }
  g_object_unref (self);
  return G_SOURCE_CONTINUE;
}

static void
flush_joins (HbServer *self)
{
  g_clear_handle_id (&self->join_id, g_source_remove);
  if (self->joining->len > 0)
    {
      g_autoptr(GPtrArray) batch = g_steal_pointer (&self->joining);

      self->joining = g_ptr_array_new_with_free_func (g_object_unref);
      g_list_store_splice (self->connections,
                           g_list_model_get_n_items (G_LIST_MODEL (self->connections)),
                           0, batch->pdata, batch->len);
    }
}

static gboolean
join_cb (gpointer user_data)
{
  HbServer *self = user_data;

  self->join_id = 0;
  flush_joins (self);
  return G_SOURCE_REMOVE;
}

static gboolean
tick_cb (gpointer user_data)
{
  HbServer *self = user_data;
  GHashTableIter iter;
  gpointer conn;

  /* Every listed client, without a reference each: this runs over all of
   * them once a second, idle or not. */
  g_hash_table_iter_init (&iter, self->by_id);
  while (g_hash_table_iter_next (&iter, NULL, &conn))
    _hb_connection_notify_counters (conn);
  return G_SOURCE_CONTINUE;
}

/* ---------------------------------------------------------------------- */
/* Closing                                                                 */

static void
maybe_finish_shutdown (HbServer *self)
{
  if (self->shutdown_task != NULL && g_hash_table_size (self->live) == 0)
    {
      g_autoptr(GTask) task = g_steal_pointer (&self->shutdown_task);

      g_task_return_boolean (task, TRUE);
    }
}

static void
begin_close (HbServer     *self,
             HbConnection *conn,
             HbByeReason   reason,
             HbInitiator   initiator,
             gboolean      say_bye)
{
  if (conn->closing || !hb_channel_is_open (conn->channel))
    return;

  /* The lab's protocol and raw TCP have no BYE: the FIN says it all. */
  if (say_bye && conn->protocol == HB_PROTOCOL_LINE)
    {
      GString *s = self->scratch;

      g_string_truncate (s, 0);
      hb_format_line (s, "BYE", hb_bye_reason_to_string (reason), -1);
      hb_channel_write (conn->channel, s->str, s->len);
      conn->lines_out++;
      hb_timeline_append (conn->timeline, HB_EVENT_LINE_OUT, HB_VERB_BYE, s->len, reason, HB_INITIATOR_LOCAL);
    }

  conn->closing = TRUE;
  conn->close_reason = reason;
  conn->close_initiator = initiator;
  conn->close_deadline = g_get_monotonic_time () + (gint64) self->drain_ms * 1000;
  hb_channel_close (conn->channel);
  if (hb_channel_is_open (conn->channel))
    {
      schedule (self, conn);
      _hb_connection_notify (conn, HB_CONNECTION_PROP_CLOSING);
    }
}

static void
forget (HbServer     *self,
        HbConnection *conn)
{
  heap_remove (self, conn);

  if (conn->name != NULL)
    {
      g_autofree char *folded = g_utf8_casefold (conn->name, -1);

      if (g_hash_table_lookup (self->names, folded) == conn)
        g_hash_table_remove (self->names, folded);
    }

  if (conn->listed)
    {
      guint pos;

      conn->listed = FALSE;
      g_hash_table_remove (self->by_id, GUINT_TO_POINTER (conn->id));
      if (!g_ptr_array_remove (self->joining, conn) &&
          g_list_store_find (self->connections, conn, &pos))
        g_list_store_remove (self->connections, pos);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_CLIENTS]);
      if (g_hash_table_size (self->by_id) == 0)
        g_clear_handle_id (&self->tick_id, g_source_remove);
    }
}

/* ---------------------------------------------------------------------- */
/* Channel callbacks                                                       */

/* @timed: whether the RTT of @seq can be told (an ack of the lab's
 * protocol that could answer more than one heartbeat cannot). */
static void
handle_pong (HbServer     *self,
             HbConnection *conn,
             guint64       seq,
             gboolean      timed)
{
  gint64 now = g_get_monotonic_time ();
  HbPingRecord *rec = &conn->pings[seq % HB_PING_RING];
  gint64 rtt = -1;
  gboolean watched;

  conn->pongs_received++;
  if (seq == 0 || seq > conn->ping_seq)
    {
      /* Unknown seq: counted, but it proves nothing about liveness. */
      g_signal_emit (self, signals[PONG], 0, conn, seq, (gint64) -1);
      return;
    }

  watched = _hb_connection_is_watched (conn);
  /* Several properties change at once: one look for listeners, and when
   * there are some, one notification of them all. */
  if (watched)
    g_object_freeze_notify (G_OBJECT (conn));
  if (timed && rec->seq == seq && rec->sent_mono != 0)
    {
      rtt = now - rec->sent_mono;
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
  if (seq > MAX (conn->answered_seq, conn->missed_seq) + 1)
    {
      conn->missed += (guint) MIN (seq - 1 - MAX (conn->answered_seq, conn->missed_seq),
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

  schedule (self, conn);
  g_signal_emit (self, signals[PONG], 0, conn, seq, rtt);
}

static gboolean
rate_limited (HbServer     *self,
              HbConnection *conn)
{
  gint64 now;

  if (self->rate_limit == 0)
    return FALSE;

  now = g_get_monotonic_time ();
  conn->tokens = MIN (conn->tokens + (now - conn->tokens_mono) * self->rate_limit / 1e6,
                      2.0 * self->rate_limit);
  conn->tokens_mono = now;
  if (conn->tokens < 1.0)
    return TRUE;
  conn->tokens -= 1.0;
  return FALSE;
}

/* ---------------------------------------------------------------------- */
/* The lab's protocol and raw TCP: reads, not lines                        */

/* One piece of a read, kept until the read itself has been announced. */
typedef struct
{
  HbPieceKind  kind;
  char        *text;   /* a message for a person, bounded; NULL for an ack */
} LabPiece;

static void
lab_piece_clear (gpointer data)
{
  g_free (((LabPiece *) data)->text);
}

/* A message's text for a person: decoded, escaped, and at most
 * HB_CHUNK_SHOW_MAX bytes of it, with how many more came. */
static char *
message_text (HbEncoding    encoding,
              const guint8 *data,
              gsize         len)
{
  gsize shown = 0;
  g_autofree char *text = hb_bytes_to_display (data, len, encoding, HB_CHUNK_SHOW_MAX, &shown);

  if (shown == len)
    return g_steal_pointer (&text);
  /* Translators: a message cut short for showing: "abc… (65,000 more bytes)" */
  return g_strdup_printf (_("%s… (%zu more bytes)"), text, len - shown);
}

typedef struct
{
  HbServer *server;
  GArray   *pieces;
} Collect;

static void
collect_piece (const HbPiece *piece,
               gpointer       user_data)
{
  Collect *c = user_data;
  LabPiece p = { piece->kind, NULL };

  if (piece->kind == HB_PIECE_TEXT)
    p.text = message_text (c->server->encoding, piece->data, piece->len);
  g_array_append_val (c->pieces, p);
}

/* An ack answers the newest heartbeat not yet answered: a program that
 * missed one (a heartbeat glued to a broadcast, say) is not blamed with a
 * wrong RTT for every one after it. When more than one was waiting, the
 * ack could be the late answer to an older one: it counts, but its RTT
 * is not told (a client 1.3 s late at 1 s heartbeats read as 0.3 s). */
static void
handle_ack (HbServer     *self,
            HbConnection *conn)
{
  gboolean ambiguous = conn->ping_seq - conn->answered_seq > 1;

  handle_pong (self, conn, conn->answered_seq < conn->ping_seq ? conn->ping_seq : 0, !ambiguous);
}

static void
handle_pieces (HbServer     *self,
               HbConnection *conn,
               GArray       *pieces)
{
  for (guint i = 0; i < pieces->len && !conn->closing; i++)
    {
      LabPiece *p = &g_array_index (pieces, LabPiece, i);

      conn->lines_in++;
      if (p->kind == HB_PIECE_PATTERN)
        handle_ack (self, conn);
      else if (!rate_limited (self, conn))
        g_signal_emit (self, signals[MESSAGE], 0, conn, p->text);
      else
        /* A flood of messages (a\n a\n ...) is the line protocol's
         * flood: past the rate they are not announced one by one; the
         * reads that carried them still are (data-received). */
        conn->limited_mono = g_get_monotonic_time ();
    }
}

static void
flush_held (HbServer     *self,
            HbConnection *conn)
{
  g_autoptr(GArray) pieces = g_array_new (FALSE, FALSE, sizeof (LabPiece));
  Collect c = { self, pieces };

  g_array_set_clear_func (pieces, lab_piece_clear);
  conn->flush_mono = 0;
  if (conn->scanner != NULL)
    hb_scanner_flush (conn->scanner, collect_piece, &c);
  handle_pieces (self, conn, pieces);
}

static void
on_data (HbChannel    *channel,
         const guint8 *data,
         gsize         len,
         gpointer      user_data)
{
  HbConnection *conn = user_data;
  HbServer *self = conn->server;
  g_autoptr(GArray) pieces = g_array_new (FALSE, FALSE, sizeof (LabPiece));
  Collect c = { self, pieces };
  HbChunkInfo info = { 0 };
  HbVerb verb = HB_VERB_UNKNOWN;

  if (conn->closing)
    return;

  g_array_set_clear_func (pieces, lab_piece_clear);
  if (conn->scanner != NULL)
    {
      hb_scanner_feed (conn->scanner, data, len, collect_piece, &c, &info);
      if (info.n_patterns > 0 && info.n_messages == 0)
        verb = HB_VERB_PONG;
      else if (info.n_messages > 0 && info.n_patterns == 0)
        verb = HB_VERB_MSG;
    }
  else
    conn->lines_in++;

  hb_timeline_append (conn->timeline, HB_EVENT_DATA_IN, verb, (guint32) MIN (len, G_MAXUINT32),
                      hb_chunk_info_pack (&info), HB_INITIATOR_PEER);
  if (g_signal_has_handler_pending (self, signals[DATA_RECEIVED], 0, FALSE))
    {
      g_autoptr(GBytes) bytes = g_bytes_new (data, len);

      g_signal_emit (self, signals[DATA_RECEIVED], 0, conn, bytes, &info);
    }

  handle_pieces (self, conn, pieces);
  if (conn->closing)
    return;

  if (conn->scanner != NULL && hb_scanner_get_held (conn->scanner) > 0)
    conn->flush_mono = g_get_monotonic_time () + HELD_FLUSH_MS * 1000;
  else
    conn->flush_mono = 0;
  schedule (self, conn);
}

static const char *
display_name (HbConnection *conn,
              char         *buf,
              gsize         size)
{
  if (conn->name != NULL)
    return conn->name;
  g_snprintf (buf, size, "client-%u", conn->id);
  return buf;
}

static void
relay_message (HbServer     *self,
               HbConnection *from,
               const char   *text,
               gsize         len)
{
  g_autoptr(GString) line = g_string_new (NULL);
  char buf[32];
  GHashTableIter iter;
  gpointer key, value;
  g_autoptr(GPtrArray) targets = g_ptr_array_new_with_free_func (g_object_unref);

  const char *name = display_name (from, buf, sizeof buf);
  /* "RELAY name text\n" must fit in max_line like every line: the name
   * and verb take room a MSG did not need, so a long text is cut, at a
   * character boundary, and ends with "…" to say so. */
  gsize overhead = 1 + strlen ("RELAY ") + strlen (name) + 1 + strlen ("…");
  gsize room = self->max_line > overhead ? self->max_line - overhead + strlen ("…") : strlen ("…");

  g_string_append (line, name);
  g_string_append_c (line, ' ');
  if (len > room)
    {
      const char *cut = text + MIN (len, room - strlen ("…"));

      while (cut > text && (*cut & 0xc0) == 0x80)
        cut--;
      g_string_append_len (line, text, cut - text);
      g_string_append (line, "…");
    }
  else
    g_string_append_len (line, text, len);
  {
    g_autoptr(GString) formatted = g_string_new (NULL);

    hb_format_line (formatted, "RELAY", line->str, line->len);
    g_string_assign (line, formatted->str);
  }

  g_hash_table_iter_init (&iter, self->by_id);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (value != from)
      g_ptr_array_add (targets, g_object_ref (value));
  for (guint i = 0; i < targets->len; i++)
    send_raw (self, g_ptr_array_index (targets, i), HB_VERB_RELAY, line->str, line->len, 0);
}

/* Names are unique per server, compared without case, and a few are
 * reserved (hb_name_is_reserved()): in relay mode a name is what the
 * other clients trust a line by. */
static void
take_name (HbServer     *self,
           HbConnection *conn,
           const char   *name,
           gsize         len)
{
  g_autofree char *wanted = g_strndup (name, len);
  g_autofree char *folded = g_utf8_casefold (wanted, -1);
  HbConnection *holder;

  if (hb_name_is_reserved (wanted, len))
    {
      g_autofree char *text = g_strdup_printf ("name-reserved the name \"%s\" is reserved; choose another", wanted);

      send_error (self, conn, HB_ERR_BAD_ARGS, text);
      return;
    }
  holder = g_hash_table_lookup (self->names, folded);
  if (holder != NULL && holder != conn)
    {
      g_autofree char *text = g_strdup_printf ("name-taken the name \"%s\" is taken by another client; choose another", wanted);

      send_error (self, conn, HB_ERR_BAD_ARGS, text);
      return;
    }
  if (conn->name != NULL)
    {
      g_autofree char *old = g_utf8_casefold (conn->name, -1);

      if (g_hash_table_lookup (self->names, old) == conn)
        g_hash_table_remove (self->names, old);
    }
  g_free (conn->name);
  conn->name = g_steal_pointer (&wanted);
  g_hash_table_insert (self->names, g_steal_pointer (&folded), conn);
  _hb_connection_notify (conn, HB_CONNECTION_PROP_NAME);
  g_signal_emit (self, signals[CLIENT_HELLO], 0, conn, conn->name);
}

static gboolean
on_line (HbChannel  *channel,
         const char *line,
         gsize       len,
         gpointer    user_data)
{
  HbConnection *conn = user_data;
  HbServer *self = conn->server;
  HbMessage msg;
  HbErrCode code;
  const char *problem = NULL;
  guint64 seq = 0;

  if (len == 0 || conn->closing)
    return TRUE;  /* Enter pressed in nc, or talking after we said BYE */

  conn->lines_in++;

  /* Every line counts, PONGs and malformed ones included: otherwise a
   * flood of them costs the server and every other client, and each
   * malformed one would draw an ERR. A flooder hears why once a second;
   * the rest is dropped without a word or an event. */
  if (rate_limited (self, conn))
    {
      gint64 now = g_get_monotonic_time ();

      conn->limited_mono = now;
      if (conn->limit_err_mono == 0 || now - conn->limit_err_mono >= G_USEC_PER_SEC)
        {
          g_autofree char *text = g_strdup_printf ("more than %u lines a second; lines dropped", self->rate_limit);

          conn->limit_err_mono = now;
          send_error (self, conn, HB_ERR_RATE_LIMITED, text);
        }
      return !conn->closing;
    }

  if (!hb_message_parse (line, len, &msg, &code))
    {
      hb_timeline_append (conn->timeline, HB_EVENT_LINE_IN, HB_VERB_UNKNOWN, len + 1, 0, HB_INITIATOR_PEER);
      if (code == HB_ERR_BAD_UTF8)
        send_error (self, conn, code, "the line is not valid UTF-8");
      else
        send_error (self, conn, HB_ERR_UNKNOWN_VERB,
                    "a line starts with an upper-case verb: MSG, PONG, HELLO, PING or BYE");
      return TRUE;
    }

  hb_timeline_append (conn->timeline, HB_EVENT_LINE_IN, msg.verb, len + 1,
                      seq_arg (msg.verb, msg.args, msg.args_len), HB_INITIATOR_PEER);

  if (!hb_message_check_from_client (&msg, &problem))
    {
      if (problem != NULL)
        send_error (self, conn, HB_ERR_BAD_ARGS, problem);
      else
        {
          g_autofree char *verb = g_strndup (msg.verb_str, msg.verb_len);
          g_autofree char *text = g_strdup_printf ("%s is not a verb a client sends; try MSG, PONG, HELLO, PING or BYE", verb);

          send_error (self, conn, HB_ERR_UNKNOWN_VERB, text);
        }
      return TRUE;
    }

  switch (msg.verb)
    {
    case HB_VERB_PONG:
      hb_parse_uint64 (msg.args, msg.args_len, &seq);
      handle_pong (self, conn, seq, TRUE);
      break;

    case HB_VERB_PING:
      send_line (self, conn, HB_VERB_PONG, msg.args, msg.args_len);
      break;

    case HB_VERB_HELLO:
      take_name (self, conn, msg.args, msg.args_len);
      break;

    case HB_VERB_MSG:
      {
        g_autofree char *text = g_strndup (msg.args, msg.args_len);

        g_signal_emit (self, signals[MESSAGE], 0, conn, text);
        if (self->relay && !conn->closing)
          relay_message (self, conn, msg.args, msg.args_len);
      }
      break;

    case HB_VERB_BYE:
      begin_close (self, conn, HB_BYE_GOODBYE, HB_INITIATOR_PEER, TRUE);
      return FALSE;

    default:
      g_assert_not_reached ();
    }

  return !conn->closing;
}

static void
on_overlong (HbChannel *channel,
             gpointer   user_data)
{
  HbConnection *conn = user_data;
  HbServer *self = conn->server;
  g_autofree char *text = NULL;

  if (conn->closing)
    return;
  text = g_strdup_printf ("a line may be at most %u bytes; it was discarded", self->max_line);
  conn->lines_in++;
  hb_timeline_append (conn->timeline, HB_EVENT_LINE_IN, HB_VERB_UNKNOWN, self->max_line, 0, HB_INITIATOR_PEER);
  send_error (self, conn, HB_ERR_LINE_TOO_LONG, text);
}

static void
on_peer_eof (HbChannel *channel,
             gpointer   user_data)
{
  HbConnection *conn = user_data;
  HbServer *self = conn->server;

  hb_timeline_append (conn->timeline, HB_EVENT_FIN_IN, HB_VERB_UNKNOWN, 0, 0, HB_INITIATOR_PEER);
  /* Bytes held for the rest of an ack that will never come are a message. */
  if (conn->flush_mono != 0)
    flush_held (self, conn);
  /* The peer can still read after its FIN, but it has ended the
   * conversation: finish what is queued and close our side too. */
  begin_close (self, conn, HB_BYE_PEER_CLOSED, HB_INITIATOR_PEER, FALSE);
}

static void
on_written (HbChannel *channel,
            guint64    total,
            gpointer   user_data)
{
  HbConnection *conn = user_data;
  HbServer *self = conn->server;
  HbPingRecord *rec = &conn->pings[conn->ping_seq % HB_PING_RING];

  if (rec->seq != 0 && rec->seq == conn->ping_seq && rec->sent_mono == 0 &&
      total >= rec->end_offset)
    {
      /* The RTT clock starts when the PING really leaves, not when it was
       * queued behind other clients' writes. */
      rec->sent_mono = g_get_monotonic_time ();
      conn->last_ping_wall = g_get_real_time ();
      _hb_connection_notify (conn, HB_CONNECTION_PROP_LAST_PING);
      if (!conn->closing)
        schedule (self, conn);
      g_signal_emit (self, signals[PING_SENT], 0, conn, rec->seq);
    }
}

static void
on_fin_sent (HbChannel *channel,
             gpointer   user_data)
{
  HbConnection *conn = user_data;

  hb_timeline_append (conn->timeline, HB_EVENT_FIN_OUT, HB_VERB_UNKNOWN, 0, 0, HB_INITIATOR_LOCAL);
}

static void
on_closed (HbChannel    *channel,
           HbChannelEnd  end,
           const char   *detail,
           gpointer      user_data)
{
  g_autoptr(HbConnection) conn = user_data;  /* the live set's reference */
  HbServer *self = conn->server;
  gboolean was_listed = conn->listed;

  conn->close_kind = end == HB_CHANNEL_END_CLEAN ? HB_CLOSE_FIN :
                     end == HB_CHANNEL_END_RESET ? HB_CLOSE_RESET :
                     end == HB_CHANNEL_END_LINGER ? HB_CLOSE_NO_FIN : HB_CLOSE_ERROR;
  if (!conn->closing)
    {
      conn->close_initiator = HB_INITIATOR_PEER;
      conn->close_reason = end == HB_CHANNEL_END_RESET ? HB_BYE_RESET :
                           end == HB_CHANNEL_END_CLEAN ? HB_BYE_PEER_CLOSED : HB_BYE_ERROR;
      conn->closing = TRUE;
      _hb_connection_notify (conn, HB_CONNECTION_PROP_CLOSING);
    }

  hb_timeline_append (conn->timeline, HB_EVENT_CLOSE, HB_VERB_UNKNOWN, 0,
                      conn->close_reason, conn->close_initiator);
  _hb_connection_notify_counters (conn);

  g_hash_table_steal (self->live, conn);
  forget (self, conn);

  if (was_listed)
    g_signal_emit (self, signals[CLIENT_DISCONNECTED], 0, conn,
                   conn->close_reason, conn->close_initiator);
  maybe_finish_shutdown (self);
}

static const HbChannelFuncs channel_funcs = {
  .line = on_line,
  .data = on_data,
  .overlong = on_overlong,
  .peer_eof = on_peer_eof,
  .written = on_written,
  .fin_sent = on_fin_sent,
  .closed = on_closed,
};

/* ---------------------------------------------------------------------- */
/* Accepting                                                               */

/* "127.0.0.1:53122" from what accept() said; NULL when it is not an
 * internet address. */
static char *
format_peer (const struct sockaddr_storage *addr,
             socklen_t                      addr_len)
{
  g_autoptr(GSocketAddress) sa = g_socket_address_new_from_native ((gpointer) addr, addr_len);
  g_autofree char *ip = NULL;

  if (!G_IS_INET_SOCKET_ADDRESS (sa))
    return NULL;
  ip = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (sa)));
  return hb_format_endpoint (ip, g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (sa)));
}

/* Takes @fd, a client's socket as accept() gave it, and owns it from
 * then on; FALSE (the caller closes it) when the server stopped. */
static gboolean
accept_connection (HbServer                      *self,
                   int                            fd,
                   const struct sockaddr_storage *addr,
                   socklen_t                      addr_len)
{
  g_autofree char *peer = NULL;
  gboolean full = g_hash_table_size (self->by_id) >= self->max_clients;
  HbConnection *conn;
  char welcome[64];

  if (!self->listening)
    return FALSE;

  peer = format_peer (addr, addr_len);
  if (peer == NULL)
    peer = g_strdup ("?");
  conn = _hb_connection_new (full ? 0 : ++self->next_id, peer);
  conn->heap_index = HEAP_NONE;
  conn->server = self;
  /* The live set owns this reference until on_closed. */
  g_hash_table_add (self->live, conn);
  conn->channel = hb_channel_new_for_fd (self->poller, fd, self->max_line,
                                         &channel_funcs, conn);
  conn->protocol = self->protocol;
  hb_timeline_set_protocol (conn->timeline, self->protocol);
  if (self->protocol != HB_PROTOCOL_LINE)
    hb_timeline_set_patterns (conn->timeline, self->heartbeat, self->ack, self->encoding);
  if (self->protocol != HB_PROTOCOL_LINE)
    hb_channel_set_framed (conn->channel, FALSE);
  if (self->protocol == HB_PROTOCOL_LAB)
    conn->scanner = hb_scanner_new (self->ack, self->line_ending);
  {
    int sndbuf = CLIENT_SNDBUF;

    setsockopt (hb_channel_get_fd (conn->channel), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  }
  conn->tokens = 2.0 * self->rate_limit;
  conn->tokens_mono = conn->connected_mono;
  hb_timeline_append (conn->timeline, HB_EVENT_CONNECT, HB_VERB_UNKNOWN, 0, 0, HB_INITIATOR_PEER);

  if (full)
    {
      g_autofree char *text = g_strdup_printf ("the server holds its maximum of %u clients", self->max_clients);

      conn->rejected = TRUE;
      if (self->protocol == HB_PROTOCOL_LINE)
        send_error (self, conn, HB_ERR_SERVER_FULL, text);
      begin_close (self, conn, HB_BYE_SERVER_FULL, HB_INITIATOR_LOCAL, TRUE);
      g_signal_emit (self, signals[CLIENT_REJECTED], 0, peer, HB_BYE_SERVER_FULL);
      return TRUE;
    }

  conn->listed = TRUE;
  g_hash_table_insert (self->by_id, GUINT_TO_POINTER (conn->id), conn);
  g_ptr_array_add (self->joining, g_object_ref (conn));
  if (self->join_id == 0)
    self->join_id = g_timeout_add (JOIN_BATCH_MS, join_cb, self);
  if (self->tick_id == 0)
    self->tick_id = g_timeout_add_seconds (1, tick_cb, self);

  if (self->protocol == HB_PROTOCOL_LINE)
    {
      g_snprintf (welcome, sizeof welcome, "%u %u %u", conn->id, self->interval_ms, self->timeout_ms);
      send_line (self, conn, HB_VERB_WELCOME, welcome, -1);
    }
  conn->next_ping_mono = conn->connected_mono + interval_us (self);
  schedule (self, conn);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_CLIENTS]);
  g_signal_emit (self, signals[CLIENT_CONNECTED], 0, conn);
  return TRUE;
}

/* Turns a client away when no file is left to serve it with: the reserve
 * descriptor is given up for the moment it takes to accept, say
 * server-full (in the line protocol) and close. FALSE when none waited. */
static gboolean
reject_at_limit (HbServer *self)
{
  static const char full[] =
    "ERR server-full the server has no file descriptor left for another client\n"
    "BYE server-full\n";
  struct sockaddr_storage addr;
  socklen_t addr_len = sizeof addr;
  int fd;

  if (self->reserve_fd < 0)
    return FALSE;
  close (self->reserve_fd);
  self->reserve_fd = -1;
  fd = accept4 (g_socket_get_fd (self->listen_socket), (struct sockaddr *) &addr, &addr_len,
                SOCK_CLOEXEC);
  if (fd >= 0)
    {
      g_autofree char *peer = format_peer (&addr, addr_len);

      if (self->protocol == HB_PROTOCOL_LINE)
        {
          G_GNUC_UNUSED ssize_t n = send (fd, full, sizeof full - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        }
      shutdown (fd, SHUT_WR);
      close (fd);
      g_signal_emit (self, signals[CLIENT_REJECTED], 0, peer ? peer : "?", HB_BYE_SERVER_FULL);
    }
  self->reserve_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  return fd >= 0;
}

static void listener_ready (gpointer user_data,
                            guint    condition);

static gboolean
accept_retry_cb (gpointer user_data)
{
  HbServer *self = user_data;

  self->accept_retry_id = 0;
  if (self->reserve_fd < 0)
    self->reserve_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  if (self->listen_handle != NULL)
    {
      hb_poller_modify (self->poller, self->listen_handle, G_IO_IN);
      listener_ready (self, G_IO_IN);
    }
  return G_SOURCE_REMOVE;
}

/* Accepting failed for want of files (EMFILE, ENFILE) or memory: GIO's
 * GSocketService would retry at once, for ever, at 100 % CPU. Instead the
 * listener is left alone for a while (clients wait in the backlog), the
 * clients already connected go on being served, new ones are turned away
 * one by one with the reserve descriptor, and the operator hears of it
 * once per episode. */
static void
pause_accepting (HbServer *self,
                 int       err)
{
  /* Those waiting in the backlog hear at once that there is no room,
   * rather than one every retry. */
  for (guint i = 0; i < ACCEPT_BUDGET && self->reserve_fd >= 0; i++)
    if (!reject_at_limit (self) || self->listen_handle == NULL)
      break;
  /* A handler of ::client-rejected may have stopped the server. */
  if (self->listen_handle == NULL)
    return;
  hb_poller_modify (self->poller, self->listen_handle, 0);
  if (self->accept_retry_id == 0)
    self->accept_retry_id = g_timeout_add (ACCEPT_RETRY_MS, accept_retry_cb, self);
  if (!self->accept_paused)
    {
      g_autofree char *why = NULL;

      self->accept_paused = TRUE;
      why = g_strdup_printf (_("cannot accept more clients: %s; new clients are turned away "
                               "until files are freed"), g_strerror (err));
      g_signal_emit (self, signals[ACCEPT_PAUSED], 0, why);
    }
}

static void
listener_ready (gpointer user_data,
                guint    condition)
{
  HbServer *self = user_data;
  int lfd;

  if (self->listen_socket == NULL || !self->listening)
    return;
  lfd = g_socket_get_fd (self->listen_socket);

  for (guint budget = ACCEPT_BUDGET; budget > 0 && self->listen_socket != NULL; budget--)
    {
      struct sockaddr_storage addr;
      socklen_t addr_len = sizeof addr;
      int fd = accept4 (lfd, (struct sockaddr *) &addr, &addr_len, SOCK_NONBLOCK | SOCK_CLOEXEC);

      if (fd < 0)
        {
          if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
            continue;
          if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
            pause_accepting (self, errno);
          return;  /* EAGAIN: the backlog is empty */
        }
      if (self->accept_paused)
        {
          self->accept_paused = FALSE;
          g_signal_emit (self, signals[ACCEPT_RESUMED], 0);
        }
      /* No GSocket per client: the channel works on the descriptor. */
      if (!accept_connection (self, fd, &addr, addr_len))
        close (fd);
    }
}

/* ---------------------------------------------------------------------- */
/* GObject                                                                 */

static void
drop_all (HbServer *self)
{
  GHashTableIter iter;
  gpointer key;
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_object_unref);

  g_hash_table_iter_init (&iter, self->live);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (all, g_object_ref (key));
  for (guint i = 0; i < all->len; i++)
    {
      HbConnection *conn = g_ptr_array_index (all, i);

      if (hb_channel_is_open (conn->channel))
        hb_channel_expire (conn->channel);
    }
}

static void
close_listener (HbServer *self)
{
  g_clear_handle_id (&self->accept_retry_id, g_source_remove);
  if (self->listen_handle != NULL)
    {
      hb_poller_remove (self->poller, self->listen_handle);
      self->listen_handle = NULL;
    }
  if (self->listen_socket != NULL)
    {
      g_socket_close (self->listen_socket, NULL);
      g_clear_object (&self->listen_socket);
    }
  self->accept_paused = FALSE;
}

static void
hb_server_dispose (GObject *object)
{
  HbServer *self = HB_SERVER (object);

  close_listener (self);
  self->listening = FALSE;
  if (self->reserve_fd >= 0)
    {
      close (self->reserve_fd);
      self->reserve_fd = -1;
    }
  if (self->live != NULL)
    drop_all (self);
  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_handle_id (&self->join_id, g_source_remove);
  g_clear_handle_id (&self->announce_id, g_source_remove);
  if (self->joining != NULL)
    g_ptr_array_set_size (self->joining, 0);
  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }
  if (self->shutdown_task != NULL)
    {
      g_autoptr(GTask) task = g_steal_pointer (&self->shutdown_task);

      g_task_return_boolean (task, TRUE);
    }
  g_clear_pointer (&self->poller, hb_poller_unref);
  if (self->connections != NULL)
    g_list_store_remove_all (self->connections);

  G_OBJECT_CLASS (hb_server_parent_class)->dispose (object);
}

static void
hb_server_finalize (GObject *object)
{
  HbServer *self = HB_SERVER (object);

  g_free (self->address);
  g_clear_pointer (&self->heartbeat, g_bytes_unref);
  g_clear_pointer (&self->ack, g_bytes_unref);
  g_clear_object (&self->connections);
  g_clear_pointer (&self->joining, g_ptr_array_unref);
  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_pointer (&self->live, g_hash_table_unref);
  g_clear_pointer (&self->names, g_hash_table_unref);
  g_clear_pointer (&self->heap, g_ptr_array_unref);
  g_string_free (self->scratch, TRUE);
  G_OBJECT_CLASS (hb_server_parent_class)->finalize (object);
}

static void
hb_server_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  HbServer *self = HB_SERVER (object);

  switch (prop_id)
    {
    case PROP_ADDRESS: g_value_set_string (value, self->address); break;
    case PROP_PORT: g_value_set_uint (value, self->port); break;
    case PROP_INTERVAL_MS: g_value_set_uint (value, self->interval_ms); break;
    case PROP_TIMEOUT_MS: g_value_set_uint (value, self->timeout_ms); break;
    case PROP_MAX_CLIENTS: g_value_set_uint (value, self->max_clients); break;
    case PROP_MAX_LINE: g_value_set_uint (value, self->max_line); break;
    case PROP_MAX_QUEUE: g_value_set_uint (value, self->max_queue); break;
    case PROP_RATE_LIMIT: g_value_set_uint (value, self->rate_limit); break;
    case PROP_RELAY: g_value_set_boolean (value, self->relay); break;
    case PROP_PROTOCOL: g_value_set_enum (value, self->protocol); break;
    case PROP_HEARTBEAT: g_value_set_boxed (value, self->heartbeat); break;
    case PROP_ACK: g_value_set_boxed (value, self->ack); break;
    case PROP_LINE_ENDING: g_value_set_enum (value, self->line_ending); break;
    case PROP_ENCODING: g_value_set_enum (value, self->encoding); break;
    case PROP_LISTENING: g_value_set_boolean (value, self->listening); break;
    case PROP_N_CLIENTS: g_value_set_uint (value, hb_server_get_n_clients (self)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_uint (HbServer *self,
          guint    *field,
          guint     prop,
          guint     value)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
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
      conn->next_ping_mono = MAX (last + interval_us (self), now);
      if (conn->protocol == HB_PROTOCOL_LINE)
        {
          char welcome[64];

          g_snprintf (welcome, sizeof welcome, "%u %u %u", conn->id, self->interval_ms, self->timeout_ms);
          if (!send_line (self, conn, HB_VERB_WELCOME, welcome, -1))
            continue;
        }
      schedule (self, conn);
    }
}

static gboolean
announce_cb (gpointer user_data)
{
  HbServer *self = user_data;

  self->announce_id = 0;
  if (self->listening)
    announce_settings (self, self->announced_interval);
  return G_SOURCE_REMOVE;
}

static void
set_enum (HbServer *self,
          guint    *field,
          guint     prop,
          guint     value)
{
  set_uint (self, field, prop, value);
}

/* A heartbeat or ack must be 1 to HB_LAB_MAX_PATTERN bytes; callers check
 * what a person typed with hb_lab_pattern_new() first. */
static void
set_pattern (HbServer *self,
             GBytes  **field,
             guint     prop,
             GBytes   *value)
{
  g_return_if_fail (value != NULL);
  g_return_if_fail (g_bytes_get_size (value) > 0 && g_bytes_get_size (value) <= HB_LAB_MAX_PATTERN);
  if (g_bytes_equal (*field, value))
    return;
  g_bytes_unref (*field);
  *field = g_bytes_ref (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
hb_server_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  HbServer *self = HB_SERVER (object);

  switch (prop_id)
    {
    case PROP_ADDRESS:
      if (g_strcmp0 (self->address, g_value_get_string (value)) != 0)
        {
          g_free (self->address);
          self->address = g_value_dup_string (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_PORT: set_uint (self, &self->port, prop_id, g_value_get_uint (value)); break;
    case PROP_INTERVAL_MS:
    case PROP_TIMEOUT_MS:
      {
        guint *field = prop_id == PROP_INTERVAL_MS ? &self->interval_ms : &self->timeout_ms;

        if (*field != g_value_get_uint (value))
          {
            /* Interval and timeout are often set together: one WELCOME
             * for both, never a passing pair of the old and the new. */
            if (self->listening && self->announce_id == 0)
              {
                self->announced_interval = self->interval_ms;
                self->announce_id = g_idle_add (announce_cb, self);
              }
            set_uint (self, field, prop_id, g_value_get_uint (value));
          }
      }
      break;
    case PROP_MAX_CLIENTS: set_uint (self, &self->max_clients, prop_id, g_value_get_uint (value)); break;
    case PROP_MAX_LINE: set_uint (self, &self->max_line, prop_id, g_value_get_uint (value)); break;
    case PROP_MAX_QUEUE: set_uint (self, &self->max_queue, prop_id, g_value_get_uint (value)); break;
    case PROP_RATE_LIMIT: set_uint (self, &self->rate_limit, prop_id, g_value_get_uint (value)); break;
    case PROP_RELAY:
      if (self->relay != g_value_get_boolean (value))
        {
          self->relay = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_PROTOCOL: set_enum (self, &self->protocol, prop_id, g_value_get_enum (value)); break;
    case PROP_HEARTBEAT: set_pattern (self, &self->heartbeat, prop_id, g_value_get_boxed (value)); break;
    case PROP_ACK: set_pattern (self, &self->ack, prop_id, g_value_get_boxed (value)); break;
    case PROP_LINE_ENDING: set_enum (self, &self->line_ending, prop_id, g_value_get_enum (value)); break;
    case PROP_ENCODING: set_enum (self, &self->encoding, prop_id, g_value_get_enum (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* ---------------------------------------------------------------------- */
/* Marshallers                                                             */

/* ping-sent and pong are emitted for every heartbeat. Without a marshaller
 * of its own a signal goes through GLib's generic one, which collects
 * GValues and calls the handler through libffi: at 10,000 clients that
 * was a third of the server's CPU. */

typedef void (*ObjectUint64Func)      (gpointer data1,
                                       gpointer arg1,
                                       guint64  arg2,
                                       gpointer data2);
typedef void (*ObjectUint64Int64Func) (gpointer data1,
                                       gpointer arg1,
                                       guint64  arg2,
                                       gint64   arg3,
                                       gpointer data2);

static void
marshal_VOID__OBJECT_UINT64 (GClosure     *closure,
                             GValue       *return_value,
                             guint         n_param_values,
                             const GValue *param_values,
                             gpointer      invocation_hint,
                             gpointer      marshal_data)
{
  GCClosure *cc = (GCClosure *) closure;
  gpointer data1 = g_value_peek_pointer (param_values + 0);
  gpointer data2 = closure->data;
  ObjectUint64Func callback;

  g_return_if_fail (n_param_values == 3);
  if (G_CCLOSURE_SWAP_DATA (closure))
    {
      data1 = closure->data;
      data2 = g_value_peek_pointer (param_values + 0);
    }
  callback = (ObjectUint64Func) (marshal_data ? marshal_data : (gpointer) cc->callback);
  callback (data1, g_value_get_object (param_values + 1),
            g_value_get_uint64 (param_values + 2), data2);
}

static void
marshal_VOID__OBJECT_UINT64v (GClosure *closure,
                              GValue   *return_value,
                              gpointer  instance,
                              va_list   args,
                              gpointer  marshal_data,
                              int       n_params,
                              GType    *param_types)
{
  GCClosure *cc = (GCClosure *) closure;
  gpointer data1 = instance;
  gpointer data2 = closure->data;
  ObjectUint64Func callback;
  gpointer arg1;
  guint64 arg2;
  va_list args_copy;

  G_VA_COPY (args_copy, args);
  arg1 = va_arg (args_copy, gpointer);
  arg2 = va_arg (args_copy, guint64);
  va_end (args_copy);
  if (arg1 != NULL)
    g_object_ref (arg1);
  if (G_CCLOSURE_SWAP_DATA (closure))
    {
      data1 = closure->data;
      data2 = instance;
    }
  callback = (ObjectUint64Func) (marshal_data ? marshal_data : (gpointer) cc->callback);
  callback (data1, arg1, arg2, data2);
  if (arg1 != NULL)
    g_object_unref (arg1);
}

static void
marshal_VOID__OBJECT_UINT64_INT64 (GClosure     *closure,
                                   GValue       *return_value,
                                   guint         n_param_values,
                                   const GValue *param_values,
                                   gpointer      invocation_hint,
                                   gpointer      marshal_data)
{
  GCClosure *cc = (GCClosure *) closure;
  gpointer data1 = g_value_peek_pointer (param_values + 0);
  gpointer data2 = closure->data;
  ObjectUint64Int64Func callback;

  g_return_if_fail (n_param_values == 4);
  if (G_CCLOSURE_SWAP_DATA (closure))
    {
      data1 = closure->data;
      data2 = g_value_peek_pointer (param_values + 0);
    }
  callback = (ObjectUint64Int64Func) (marshal_data ? marshal_data : (gpointer) cc->callback);
  callback (data1, g_value_get_object (param_values + 1),
            g_value_get_uint64 (param_values + 2),
            g_value_get_int64 (param_values + 3), data2);
}

static void
marshal_VOID__OBJECT_UINT64_INT64v (GClosure *closure,
                                    GValue   *return_value,
                                    gpointer  instance,
                                    va_list   args,
                                    gpointer  marshal_data,
                                    int       n_params,
                                    GType    *param_types)
{
  GCClosure *cc = (GCClosure *) closure;
  gpointer data1 = instance;
  gpointer data2 = closure->data;
  ObjectUint64Int64Func callback;
  gpointer arg1;
  guint64 arg2;
  gint64 arg3;
  va_list args_copy;

  G_VA_COPY (args_copy, args);
  arg1 = va_arg (args_copy, gpointer);
  arg2 = va_arg (args_copy, guint64);
  arg3 = va_arg (args_copy, gint64);
  va_end (args_copy);
  if (arg1 != NULL)
    g_object_ref (arg1);
  if (G_CCLOSURE_SWAP_DATA (closure))
    {
      data1 = closure->data;
      data2 = instance;
    }
  callback = (ObjectUint64Int64Func) (marshal_data ? marshal_data : (gpointer) cc->callback);
  callback (data1, arg1, arg2, arg3, data2);
  if (arg1 != NULL)
    g_object_unref (arg1);
}

static void
hb_server_class_init (HbServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = hb_server_dispose;
  object_class->finalize = hb_server_finalize;
  object_class->get_property = hb_server_get_property;
  object_class->set_property = hb_server_set_property;

  properties[PROP_ADDRESS] = g_param_spec_string ("address", NULL, NULL, "127.0.0.1", rw);
  properties[PROP_PORT] = g_param_spec_uint ("port", NULL, NULL, 0, 65535, HB_DEFAULT_PORT, rw);
  properties[PROP_INTERVAL_MS] = g_param_spec_uint ("interval-ms", NULL, NULL, 1, G_MAXINT / 1000, HB_DEFAULT_INTERVAL_MS, rw);
  properties[PROP_TIMEOUT_MS] = g_param_spec_uint ("timeout-ms", NULL, NULL, 1, G_MAXINT / 1000, HB_DEFAULT_TIMEOUT_MS, rw);
  properties[PROP_MAX_CLIENTS] = g_param_spec_uint ("max-clients", NULL, NULL, 0, G_MAXINT, HB_DEFAULT_MAX_CLIENTS, rw);
  properties[PROP_MAX_LINE] = g_param_spec_uint ("max-line", NULL, NULL, 16, 1024 * 1024, HB_DEFAULT_MAX_LINE, rw);
  properties[PROP_MAX_QUEUE] = g_param_spec_uint ("max-queue", NULL, NULL, 1024, G_MAXINT, HB_DEFAULT_MAX_QUEUE, rw);
  properties[PROP_RATE_LIMIT] = g_param_spec_uint ("rate-limit", NULL, NULL, 0, G_MAXINT, HB_DEFAULT_RATE_LIMIT, rw);
  properties[PROP_RELAY] = g_param_spec_boolean ("relay", NULL, NULL, FALSE, rw);
  /* What the server speaks; set before start. */
  properties[PROP_PROTOCOL] = g_param_spec_enum ("protocol", NULL, NULL, HB_TYPE_PROTOCOL, HB_PROTOCOL_LINE, rw);
  properties[PROP_HEARTBEAT] = g_param_spec_boxed ("heartbeat", NULL, NULL, G_TYPE_BYTES, rw);
  properties[PROP_ACK] = g_param_spec_boxed ("ack", NULL, NULL, G_TYPE_BYTES, rw);
  properties[PROP_LINE_ENDING] = g_param_spec_enum ("line-ending", NULL, NULL, HB_TYPE_LINE_ENDING, HB_LINE_ENDING_NONE, rw);
  properties[PROP_ENCODING] = g_param_spec_enum ("encoding", NULL, NULL, HB_TYPE_ENCODING, HB_ENCODING_UTF8, rw);
  properties[PROP_LISTENING] = g_param_spec_boolean ("listening", NULL, NULL, FALSE, ro);
  properties[PROP_N_CLIENTS] = g_param_spec_uint ("n-clients", NULL, NULL, 0, G_MAXUINT, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * HbServer::client-connected:
   * @conn: the new client, already in the list and greeted with WELCOME
   */
  signals[CLIENT_CONNECTED] =
    g_signal_new ("client-connected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, HB_TYPE_CONNECTION);
  /**
   * HbServer::client-hello:
   * @conn: the client
   * @name: the name it gave
   */
  signals[CLIENT_HELLO] =
    g_signal_new ("client-hello", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, HB_TYPE_CONNECTION, G_TYPE_STRING);
  /**
   * HbServer::client-liveness:
   * @conn: the client
   * @liveness: its new #HbLiveness
   *
   * The server's verdict on a client changed (alive, late, dead), as
   * #HbConnection:liveness does: for a watcher of every client, one
   * handler on the server instead of one on each connection.
   */
  signals[CLIENT_LIVENESS] =
    g_signal_new ("client-liveness", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, HB_TYPE_CONNECTION, HB_TYPE_LIVENESS);
  /**
   * HbServer::message:
   * @conn: the sender
   * @text: the text of its MSG (valid UTF-8, possibly empty)
   */
  signals[MESSAGE] =
    g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, HB_TYPE_CONNECTION, G_TYPE_STRING);
  /**
   * HbServer::ping-sent:
   * @conn: the client
   * @seq: the heartbeat's number, emitted when its bytes were written
   */
  signals[PING_SENT] =
    g_signal_new ("ping-sent", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, marshal_VOID__OBJECT_UINT64,
                  G_TYPE_NONE, 2, HB_TYPE_CONNECTION, G_TYPE_UINT64);
  g_signal_set_va_marshaller (signals[PING_SENT], G_TYPE_FROM_CLASS (klass),
                              marshal_VOID__OBJECT_UINT64v);
  /**
   * HbServer::pong:
   * @conn: the client
   * @seq: the seq it answered
   * @rtt_us: the round trip in µs, or -1 for an unknown or too old seq
   */
  signals[PONG] =
    g_signal_new ("pong", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, marshal_VOID__OBJECT_UINT64_INT64,
                  G_TYPE_NONE, 3, HB_TYPE_CONNECTION, G_TYPE_UINT64, G_TYPE_INT64);
  g_signal_set_va_marshaller (signals[PONG], G_TYPE_FROM_CLASS (klass),
                              marshal_VOID__OBJECT_UINT64_INT64v);
  /**
   * HbServer::error-sent:
   * @conn: the client
   * @code: (type HbErrCode): what was refused
   * @text: the explanation sent with it
   */
  signals[ERROR_SENT] =
    g_signal_new ("error-sent", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3, HB_TYPE_CONNECTION, HB_TYPE_ERR_CODE, G_TYPE_STRING);
  /**
   * HbServer::client-disconnected:
   * @conn: the client, already removed from the list
   * @reason: (type HbByeReason): why
   * @initiator: (type HbInitiator): LOCAL if the server closed first
   */
  signals[CLIENT_DISCONNECTED] =
    g_signal_new ("client-disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3, HB_TYPE_CONNECTION, HB_TYPE_BYE_REASON, HB_TYPE_INITIATOR);
  /**
   * HbServer::client-rejected:
   * @peer: the address that was turned away
   * @reason: (type HbByeReason): why (server-full)
   */
  signals[CLIENT_REJECTED] =
    g_signal_new ("client-rejected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, HB_TYPE_BYE_REASON);
  /**
   * HbServer::data-received:
   * @conn: the client
   * @bytes: one read, as it came (lab and raw protocols only)
   * @info: (type gpointer): the HbChunkInfo of that read: the acks and
   *   messages it completed, whether it glued several or split one
   *
   * Emitted before the acks (::pong) and messages (::message) the read
   * held, so that a log shows the read first and then what it meant.
   */
  /**
   * HbServer::broadcast:
   * @n_texts: how many of the operator's texts went out in one block
   * @recipients: how many clients were sent all of them
   */
  signals[BROADCAST] =
    g_signal_new ("broadcast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_UINT);
  /**
   * HbServer::accept-paused:
   * @why: a sentence for the operator
   *
   * Accepting failed for want of file descriptors (or memory); the
   * connected clients go on being served, new ones are turned away with
   * server-full, and accepting is retried every 100 ms. Emitted once per
   * episode; ::accept-resumed ends it.
   */
  signals[ACCEPT_PAUSED] =
    g_signal_new ("accept-paused", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[ACCEPT_RESUMED] =
    g_signal_new ("accept-resumed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[DATA_RECEIVED] =
    g_signal_new ("data-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3, HB_TYPE_CONNECTION, G_TYPE_BYTES, G_TYPE_POINTER);
}

static void
hb_server_init (HbServer *self)
{
  self->address = g_strdup ("127.0.0.1");
  self->port = HB_DEFAULT_PORT;
  self->interval_ms = HB_DEFAULT_INTERVAL_MS;
  self->timeout_ms = HB_DEFAULT_TIMEOUT_MS;
  self->max_clients = HB_DEFAULT_MAX_CLIENTS;
  self->max_line = HB_DEFAULT_MAX_LINE;
  self->max_queue = HB_DEFAULT_MAX_QUEUE;
  self->rate_limit = HB_DEFAULT_RATE_LIMIT;
  self->drain_ms = HB_DEFAULT_DRAIN_MS;
  self->reserve_fd = -1;
  self->heartbeat = g_bytes_new_static (HB_LAB_DEFAULT_HEARTBEAT, strlen (HB_LAB_DEFAULT_HEARTBEAT));
  self->ack = g_bytes_new_static (HB_LAB_DEFAULT_ACK, strlen (HB_LAB_DEFAULT_ACK));
  self->connections = g_list_store_new (HB_TYPE_CONNECTION);
  self->joining = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_id = g_hash_table_new (NULL, NULL);
  self->live = g_hash_table_new (NULL, NULL);
  self->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->heap = g_ptr_array_new ();
  self->scratch = g_string_sized_new (256);
}

/* ---------------------------------------------------------------------- */
/* Public API                                                              */

HbServer *
hb_server_new (void)
{
  return g_object_new (HB_TYPE_SERVER, NULL);
}

static GInetAddress *
parse_address (const char  *text,
               GError     **error)
{
  GInetAddress *addr;

  if (g_strcmp0 (text, "localhost") == 0)
    return g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  if (g_strcmp0 (text, "*") == 0)
    return g_inet_address_new_any (G_SOCKET_FAMILY_IPV6);
  addr = g_inet_address_new_from_string (text);
  if (addr == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 _("“%s” is not an IP address (try 127.0.0.1, ::1, 0.0.0.0 or ::)"), text);
  return addr;
}

/**
 * hb_server_start:
 *
 * Binds and starts listening. With port 0 the kernel picks a port, which
 * the "port" property then reports. On failure the server is unchanged
 * and can be started again, for example on another port.
 */
gboolean
hb_server_start (HbServer  *self,
                 GError   **error)
{
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) want = NULL;
  g_autoptr(GSocketAddress) got = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) local_error = NULL;
  guint port;

  g_return_val_if_fail (HB_IS_SERVER (self), FALSE);

  if (self->listening)
    return TRUE;

  inet = parse_address (self->address, error);
  if (inet == NULL)
    return FALSE;

  /* A listening GSocket of our own rather than GSocketService: the
   * service takes one client per main-loop pass, and at the open-file
   * limit retries at once for ever (see pause_accepting()). */
  want = g_inet_socket_address_new (inet, self->port);
  socket = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, &local_error);
  if (socket != NULL)
    g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
  if (socket == NULL ||
      !g_socket_bind (socket, want, TRUE, &local_error) ||
      !g_socket_listen (socket, &local_error) ||
      (got = g_socket_get_local_address (socket, &local_error)) == NULL)
    {
      g_autofree char *where = g_inet_address_to_string (inet);

      g_set_error (error, local_error->domain, local_error->code,
                   g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6 ?
                   _("cannot listen on [%s]:%u: %s") : _("cannot listen on %s:%u: %s"),
                   where, self->port, hb_io_error_words (local_error));
      return FALSE;
    }

  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (got));
  if (self->poller == NULL)
    self->poller = hb_poller_new (NULL);
  if (self->timer == NULL)
    {
      self->timer = g_source_new (&beat_funcs, sizeof (BeatSource));
      ((BeatSource *) self->timer)->server = self;
      g_source_set_static_name (self->timer, "HbServer heartbeats");
      g_source_set_callback (self->timer, timer_cb, self, NULL);
      g_source_attach (self->timer, g_main_context_get_thread_default ());
    }

  g_socket_set_blocking (socket, FALSE);
  self->listen_socket = g_steal_pointer (&socket);
  self->listen_handle = hb_poller_add (self->poller, g_socket_get_fd (self->listen_socket),
                                       G_IO_IN, listener_ready, self);
  if (self->reserve_fd < 0)
    self->reserve_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  self->listening = TRUE;

  g_object_freeze_notify (G_OBJECT (self));
  set_uint (self, &self->port, PROP_PORT, port);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LISTENING]);
  g_object_thaw_notify (G_OBJECT (self));
  return TRUE;
}

static void
stop_listening (HbServer *self)
{
  if (self->listen_socket == NULL)
    return;
  close_listener (self);
  self->listening = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LISTENING]);
}

void
hb_server_stop (HbServer *self)
{
  GHashTableIter iter;
  gpointer key;
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_if_fail (HB_IS_SERVER (self));

  stop_listening (self);

  g_hash_table_iter_init (&iter, self->live);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (all, g_object_ref (key));
  for (guint i = 0; i < all->len; i++)
    begin_close (self, g_ptr_array_index (all, i), HB_BYE_SHUTDOWN, HB_INITIATOR_LOCAL, TRUE);
}

/**
 * hb_server_shutdown_async:
 * @drain_ms: how long clients get to read their BYE and close
 *
 * Stops the server like hb_server_stop() and completes when every client
 * connection is closed, at the latest after @drain_ms.
 */
void
hb_server_shutdown_async (HbServer            *self,
                          guint                drain_ms,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (HB_IS_SERVER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hb_server_shutdown_async);
  if (self->shutdown_task != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               _("the server is already shutting down"));
      return;
    }

  self->drain_ms = drain_ms;
  self->shutdown_task = g_steal_pointer (&task);
  hb_server_stop (self);
  maybe_finish_shutdown (self);
}

gboolean
hb_server_shutdown_finish (HbServer      *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

const char *
hb_server_get_address (HbServer *self)
{
  g_return_val_if_fail (HB_IS_SERVER (self), NULL);
  return self->address;
}

guint
hb_server_get_port (HbServer *self)
{
  g_return_val_if_fail (HB_IS_SERVER (self), 0);
  return self->port;
}

gboolean
hb_server_get_listening (HbServer *self)
{
  g_return_val_if_fail (HB_IS_SERVER (self), FALSE);
  return self->listening;
}

guint
hb_server_get_n_clients (HbServer *self)
{
  g_return_val_if_fail (HB_IS_SERVER (self), 0);
  return g_hash_table_size (self->by_id);
}

guint
hb_server_get_interval_ms (HbServer *self)
{
  g_return_val_if_fail (HB_IS_SERVER (self), 0);
  return self->interval_ms;
}

HbProtocol
hb_server_get_protocol (HbServer *self)
{
  g_return_val_if_fail (HB_IS_SERVER (self), HB_PROTOCOL_LINE);
  return self->protocol;
}

guint
hb_server_get_timeout_ms (HbServer *self)
{
  g_return_val_if_fail (HB_IS_SERVER (self), 0);
  return self->timeout_ms;
}

/**
 * hb_server_get_connections:
 *
 * Returns: (transfer none): the connected clients in order of arrival.
 * New clients reach the model in batches (one splice per 50 ms); calling
 * this applies any batch still pending, so a caller that asks now sees
 * every client accepted so far.
 */
GListModel *
hb_server_get_connections (HbServer *self)
{
  g_return_val_if_fail (HB_IS_SERVER (self), NULL);
  flush_joins (self);
  return G_LIST_MODEL (self->connections);
}

HbConnection *
hb_server_lookup (HbServer *self,
                  guint     id)
{
  g_return_val_if_fail (HB_IS_SERVER (self), NULL);
  return g_hash_table_lookup (self->by_id, GUINT_TO_POINTER (id));
}

/* The operator's @text as the protocol sends it: a `VERB text` line, or
 * in the lab's protocol and raw TCP the text's own bytes in the chosen
 * encoding and line ending. */
static void
append_message (HbServer   *self,
                GString    *out,
                const char *verb,
                const char *text)
{
  g_autoptr(GBytes) bytes = NULL;
  gsize len;
  const char *data;

  if (self->protocol == HB_PROTOCOL_LINE)
    {
      hb_format_line (out, verb, text, -1);
      return;
    }
  bytes = hb_text_encode (text, -1, self->encoding, self->line_ending);
  data = g_bytes_get_data (bytes, &len);
  g_string_append_len (out, data, len);
}

guint
hb_server_broadcast (HbServer   *self,
                     const char *text)
{
  g_return_val_if_fail (text != NULL, 0);

  return hb_server_broadcast_lines (self, &text, 1);
}

/**
 * hb_server_broadcast_lines:
 * @texts: (array length=n_texts): the texts, each sent as one BCAST line
 *
 * Broadcasts several lines in order, as hb_server_broadcast() would one
 * after the other, but as one block that every client's queue refers to:
 * no copy and no allocation of the text per client.
 *
 * Returns: how many clients were sent all the lines
 */
guint
hb_server_broadcast_lines (HbServer          *self,
                           const char *const *texts,
                           guint              n_texts)
{
  g_autoptr(GString) block = g_string_new (NULL);
  g_autofree guint32 *sizes = g_new (guint32, MAX (n_texts, 1));
  g_autoptr(GBytes) shared = NULL;
  guint n, recipients = 0;

  g_return_val_if_fail (HB_IS_SERVER (self), 0);
  g_return_val_if_fail (texts != NULL || n_texts == 0, 0);

  if (n_texts == 0)
    return 0;

  /* Format once; every client gets the same bytes, in order of arrival. */
  for (guint i = 0; i < n_texts; i++)
    {
      gsize before = block->len;

      append_message (self, block, "BCAST", texts[i]);
      sizes[i] = block->len - before;
    }

  /* One block that every client's queue refers to: no copy per client. */
  shared = g_string_free_to_bytes (g_steal_pointer (&block));
  n = g_list_model_get_n_items (G_LIST_MODEL (self->connections));
  for (guint i = 0; i < n + self->joining->len; i++)
    {
      g_autoptr(HbConnection) conn = i < n ? g_list_model_get_item (G_LIST_MODEL (self->connections), i)
                                           : g_object_ref (g_ptr_array_index (self->joining, i - n));

      if (conn->closing || !hb_channel_is_open (conn->channel))
        continue;
      hb_channel_write_shared (conn->channel, shared);
      conn->lines_out += n_texts;
      hb_timeline_append_n (conn->timeline, HB_EVENT_LINE_OUT, HB_VERB_BCAST,
                            sizes, n_texts, HB_INITIATOR_LOCAL);
      if (!check_queue (self, conn))
        continue;
      recipients++;
    }
  g_signal_emit (self, signals[BROADCAST], 0, n_texts, recipients);
  return recipients;
}

gboolean
hb_server_send (HbServer   *self,
                guint       id,
                const char *text)
{
  HbConnection *conn;

  g_return_val_if_fail (HB_IS_SERVER (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  conn = hb_server_lookup (self, id);
  if (conn == NULL)
    return FALSE;
  g_string_truncate (self->scratch, 0);
  append_message (self, self->scratch, "MSG", text);
  return send_raw (self, conn, HB_VERB_MSG, self->scratch->str, self->scratch->len, 0);
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
      append_message (self, self->scratch, "BCAST", glued_text);
      if (!send_raw (self, conn, HB_VERB_BCAST, self->scratch->str, self->scratch->len, 0))
        return FALSE;
    }
  conn->next_ping_mono = now + interval_us (self);
  schedule (self, conn);
  return TRUE;
}

gboolean
hb_server_kick (HbServer *self,
                guint     id)
{
  HbConnection *conn;

  g_return_val_if_fail (HB_IS_SERVER (self), FALSE);

  conn = hb_server_lookup (self, id);
  if (conn == NULL || conn->closing)
    return FALSE;
  begin_close (self, conn, HB_BYE_KICKED, HB_INITIATOR_LOCAL, TRUE);
  return TRUE;
}
