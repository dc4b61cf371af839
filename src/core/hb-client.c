/* hb-client.c - the heartbeat client: connects, answers heartbeats, and can misbehave on purpose
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GSocketClient makes the connection; after that the socket is driven by
 * the same HbChannel as the server's sockets, on a poller of its own.
 */

#include "config.h"

#include <sys/socket.h>

#include <glib/gi18n-lib.h>

#include "hb-channel.h"
#include "hb-client.h"
#include "hb-enums.h"
#include "hb-poller.h"

#define CLIENT_MAX_LINE     (64 * 1024)
#define CONNECT_TIMEOUT_S   10
#define LINGER_MS           2000
/* Bytes read per wake-up: a server flooding PINGs must not make one pass
 * of the loop so long that the 2 s bound on our close is late. */
#define CLIENT_READ_BUDGET  (16 * 1024)
/* Lab protocol: bytes that may begin a heartbeat wait this long for the
 * rest before they count as a message. */
#define HELD_FLUSH_MS       200

typedef struct
{
  gint64  due;
  guint64 seq;
} DelayedPong;

struct _HbClient
{
  GObject         parent_instance;

  char           *host;
  guint           port;
  char           *name;
  gboolean        answer_pings;
  guint           pong_delay_ms;
  gboolean        reading;
  gboolean        auto_reconnect;
  guint           reconnect_min_ms;
  guint           reconnect_max_ms;
  HbProtocol      protocol;
  GBytes         *heartbeat;
  GBytes         *ack;
  HbLineEnding    line_ending;
  HbEncoding      encoding;

  HbClientState   state;
  guint           client_id;
  guint           interval_ms;
  guint           timeout_ms;
  guint64         pings_received;
  /* This connection's heartbeats, as the server judges them
   * (hb_client_get_server_view()). */
  gint64          conn_mono;
  guint64         conn_pings;        /* highest seq received */
  guint64         answered_seq;      /* highest seq answered */
  gint64          answered_mono;     /* when, or when connected */
  guint           missed;            /* went an interval unanswered, counted at the answer */
  guint64         missed_seq;        /* the last of them */
  gint64          owed_since_mono;   /* the oldest unanswered heartbeat came then */
  struct { guint64 seq; gint64 mono; } seen[8];
  guint64         pongs_sent;
  gint64          last_ping;
  gint64          last_pong;
  guint           reconnect_delay_ms;
  guint           attempt;
  HbByeReason     disconnect_reason;

  GSocketClient  *socket_client;
  GCancellable   *cancellable;
  HbPoller       *poller;
  HbChannel      *channel;
  HbTimeline     *timeline;

  GSource        *dead_timer;      /* nothing read for the timeout */
  GSource        *pong_timer;      /* delayed answers */
  GSource        *flush_timer;     /* lab: held bytes become a message */
  HbScanner      *scanner;         /* lab: finds the heartbeat */
  GQueue          delayed;         /* DelayedPong* */
  guint           linger_id;
  guint           reconnect_id;

  char           *ping_token;      /* our own PING, for its RTT */
  gint64          ping_sent_mono;

  /* How the current connection is ending. */
  gboolean        have_reason;
  HbByeReason     end_reason;
  HbInitiator     end_initiator;
  gboolean        fin_sent_first;
  gboolean        peer_fin;
  gboolean        stopping;        /* hb_client_disconnect(): no reconnect, whatever the reason */
};

enum {
  PROP_0,
  PROP_HOST,
  PROP_PORT,
  PROP_NAME,
  PROP_STATE,
  PROP_CLIENT_ID,
  PROP_INTERVAL_MS,
  PROP_TIMEOUT_MS,
  PROP_ANSWER_PINGS,
  PROP_PONG_DELAY_MS,
  PROP_READING,
  PROP_AUTO_RECONNECT,
  PROP_RECONNECT_MIN_MS,
  PROP_RECONNECT_MAX_MS,
  PROP_RECONNECT_DELAY_MS,
  PROP_PINGS_RECEIVED,
  PROP_PONGS_SENT,
  PROP_LAST_PING,
  PROP_LAST_PONG,
  PROP_DISCONNECT_REASON,
  PROP_TIMELINE,
  PROP_PROTOCOL,
  PROP_HEARTBEAT,
  PROP_ACK,
  PROP_LINE_ENDING,
  PROP_ENCODING,
  N_PROPS
};

enum {
  WELCOME,
  PING,
  PONG_SENT,
  PONG,
  MESSAGE,
  SERVER_ERROR,
  BYE,
  DISCONNECTED,
  RECONNECTING,
  DATA_RECEIVED,
  BAD_LINE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (HbClient, hb_client, G_TYPE_OBJECT)

static void
notify (HbClient *self,
        guint     prop)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_state (HbClient      *self,
           HbClientState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  hb_timeline_append (self->timeline, HB_EVENT_STATE, HB_VERB_UNKNOWN, 0, state, HB_INITIATOR_LOCAL);
  notify (self, PROP_STATE);
}

static void
send_line (HbClient   *self,
           HbVerb      verb,
           const char *args,
           guint32     arg)
{
  g_autoptr(GString) line = g_string_new (NULL);

  if (self->channel == NULL || !hb_channel_is_open (self->channel))
    return;
  hb_format_line (line, hb_verb_to_string (verb), args, -1);
  hb_channel_write (self->channel, line->str, line->len);
  hb_timeline_append (self->timeline, HB_EVENT_LINE_OUT, verb, line->len, arg, HB_INITIATOR_LOCAL);
}

static void
arm_dead_timer (HbClient *self)
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

static void
clear_delayed (HbClient *self)
{
  g_queue_clear_full (&self->delayed, g_free);
  g_source_set_ready_time (self->pong_timer, -1);
}

/* Starts our graceful close: FIN after what is queued, then wait a while
 * for the server's. */
static void
close_channel (HbClient    *self,
               HbByeReason  reason,
               HbInitiator  initiator)
{
  if (!self->have_reason)
    {
      self->have_reason = TRUE;
      self->end_reason = reason;
      self->end_initiator = initiator;
    }
  if (self->channel == NULL)
    return;
  hb_channel_close (self->channel);
  if (self->channel != NULL && hb_channel_is_open (self->channel) && self->linger_id == 0)
    self->linger_id = g_timeout_add (LINGER_MS, (GSourceFunc) (void (*) (void)) hb_channel_expire,
                                     self->channel);
}

static guint
next_backoff (HbClient *self)
{
  guint64 d = self->reconnect_min_ms;

  for (guint i = 0; i < self->attempt && d < self->reconnect_max_ms; i++)
    d *= 2;
  d = MIN (d, self->reconnect_max_ms);
  /* Equal jitter: half fixed, half random, so a classroom of clients does
   * not come back in one burst after a server restart. */
  return (guint) (d / 2 + g_random_int_range (0, (gint32) MAX (d / 2, 1) + 1));
}

static gboolean
reconnect_cb (gpointer user_data)
{
  HbClient *self = user_data;

  self->reconnect_id = 0;
  self->reconnect_delay_ms = 0;
  notify (self, PROP_RECONNECT_DELAY_MS);
  hb_client_connect (self);
  return G_SOURCE_REMOVE;
}

static gboolean
may_reconnect (HbByeReason reason)
{
  return reason != HB_BYE_USER && reason != HB_BYE_ABORTED && reason != HB_BYE_KICKED;
}

/* The one place a connection (or an attempt) ends. */
static void
ended (HbClient    *self,
       HbByeReason  reason,
       HbInitiator  initiator,
       const char  *detail)
{
  /* Handlers of the signals below may drop the last other reference. */
  G_GNUC_UNUSED g_autoptr(HbClient) hold = g_object_ref (self);

  g_clear_handle_id (&self->linger_id, g_source_remove);
  g_source_set_ready_time (self->dead_timer, -1);
  g_source_set_ready_time (self->flush_timer, -1);
  clear_delayed (self);
  g_clear_pointer (&self->channel, hb_channel_unref);
  g_clear_pointer (&self->scanner, hb_scanner_free);
  self->have_reason = FALSE;
  self->fin_sent_first = FALSE;
  self->peer_fin = FALSE;

  self->disconnect_reason = reason;
  notify (self, PROP_DISCONNECT_REASON);

  if (self->auto_reconnect && may_reconnect (reason) && !self->stopping)
    {
      self->reconnect_delay_ms = next_backoff (self);
      self->attempt++;
      self->reconnect_id = g_timeout_add (self->reconnect_delay_ms, reconnect_cb, self);
      set_state (self, HB_CLIENT_RECONNECTING);
      notify (self, PROP_RECONNECT_DELAY_MS);
      g_signal_emit (self, signals[DISCONNECTED], 0, reason, initiator, detail);
      /* A handler may have called hb_client_disconnect() meanwhile. */
      if (self->reconnect_id != 0)
        g_signal_emit (self, signals[RECONNECTING], 0, self->reconnect_delay_ms, self->attempt);
    }
  else
    {
      set_state (self, HB_CLIENT_DISCONNECTED);
      g_signal_emit (self, signals[DISCONNECTED], 0, reason, initiator, detail);
    }
}

/* ---------------------------------------------------------------------- */
/* Channel callbacks                                                       */

static gint64
server_interval_us (HbClient *self)
{
  return (gint64) (self->interval_ms ? self->interval_ms : HB_DEFAULT_INTERVAL_MS) * 1000;
}

/* The server counts a heartbeat missed once it has waited an interval
 * for its answer (docs/protocol.md, Heartbeats): how many of those not
 * answered nor counted yet, up to @upto, had waited that long at @now.
 * @last: set to the last of them. */
static guint
count_missed (HbClient *self,
              guint64   upto,
              gint64    now,
              guint64  *last)
{
  guint64 seq = MAX (self->answered_seq, self->missed_seq) + 1;
  gint64 interval = server_interval_us (self);
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
      send_line (self, HB_VERB_PONG, buf, (guint32) MIN (seq, G_MAXUINT32));
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
      self->missed += count_missed (self, seq, g_get_monotonic_time (), &self->missed_seq);
      self->answered_seq = seq;
      self->answered_mono = g_get_monotonic_time ();
      if (self->answered_seq < self->conn_pings)
        {
          guint64 next = self->answered_seq + 1;

          if (self->seen[next % G_N_ELEMENTS (self->seen)].seq == next)
            self->owed_since_mono = self->seen[next % G_N_ELEMENTS (self->seen)].mono;
        }
    }
  notify (self, PROP_PONGS_SENT);
  notify (self, PROP_LAST_PONG);
  g_signal_emit (self, signals[PONG_SENT], 0, seq);
}

static gboolean
pong_timer_cb (gpointer user_data)
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

static void
heartbeat_arrived (HbClient *self,
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
  notify (self, PROP_PINGS_RECEIVED);
  notify (self, PROP_LAST_PING);
  g_signal_emit (self, signals[PING], 0, seq);
  answer_ping (self, seq);
}

/* ---------------------------------------------------------------------- */
/* The lab's protocol and raw TCP: reads, not lines                        */

typedef struct
{
  HbPieceKind  kind;
  char        *text;   /* a message for a person, bounded; NULL for a heartbeat */
} LabPiece;

static void
lab_piece_clear (gpointer data)
{
  g_free (((LabPiece *) data)->text);
}

static void
collect_piece (const HbPiece *piece,
               gpointer       user_data)
{
  HbClient *self = g_ptr_array_index ((GPtrArray *) user_data, 0);
  GArray *pieces = g_ptr_array_index ((GPtrArray *) user_data, 1);
  LabPiece p = { piece->kind, NULL };

  if (piece->kind == HB_PIECE_TEXT)
    {
      gsize shown = 0;
      g_autofree char *text = hb_bytes_to_display (piece->data, piece->len, self->encoding,
                                                   HB_CHUNK_SHOW_MAX, &shown);

      p.text = shown == piece->len ? g_steal_pointer (&text)
        /* Translators: a message cut short for showing: "abc… (65,000 more bytes)" */
        : g_strdup_printf (_("%s… (%zu more bytes)"), text, piece->len - shown);
    }
  g_array_append_val (pieces, p);
}

static void
handle_pieces (HbClient *self,
               GArray   *pieces)
{
  HbChannel *channel = self->channel;

  for (guint i = 0; i < pieces->len && self->channel == channel && channel != NULL; i++)
    {
      LabPiece *p = &g_array_index (pieces, LabPiece, i);

      if (p->kind == HB_PIECE_PATTERN)
        {
          if (!hb_channel_is_closing (channel))
            heartbeat_arrived (self, self->conn_pings + 1);
        }
      else
        g_signal_emit (self, signals[MESSAGE], 0, HB_VERB_MSG, NULL, p->text);
    }
}

static void
scan (HbClient     *self,
      const guint8 *data,
      gsize         len,
      HbChunkInfo  *info,
      GArray       *pieces)
{
  g_autoptr(GPtrArray) ctx = g_ptr_array_new ();

  g_ptr_array_add (ctx, self);
  g_ptr_array_add (ctx, pieces);
  if (data != NULL)
    hb_scanner_feed (self->scanner, data, len, collect_piece, ctx, info);
  else
    hb_scanner_flush (self->scanner, collect_piece, ctx);
}

static GArray *
new_pieces (void)
{
  GArray *pieces = g_array_new (FALSE, FALSE, sizeof (LabPiece));

  g_array_set_clear_func (pieces, lab_piece_clear);
  return pieces;
}

static gboolean
flush_timer_cb (gpointer user_data)
{
  HbClient *self = user_data;
  g_autoptr(GArray) pieces = new_pieces ();

  g_source_set_ready_time (self->flush_timer, -1);
  if (self->scanner == NULL)
    return G_SOURCE_CONTINUE;
  scan (self, NULL, 0, NULL, pieces);
  handle_pieces (self, pieces);
  return G_SOURCE_CONTINUE;
}

static void
on_data (HbChannel    *channel,
         const guint8 *data,
         gsize         len,
         gpointer      user_data)
{
  HbClient *self = user_data;
  g_autoptr(GArray) pieces = new_pieces ();
  HbChunkInfo info = { 0 };
  HbVerb verb = HB_VERB_UNKNOWN;

  arm_dead_timer (self);
  if (self->scanner != NULL)
    {
      scan (self, data, len, &info, pieces);
      if (info.n_patterns > 0 && info.n_messages == 0)
        verb = HB_VERB_PING;
      else if (info.n_messages > 0 && info.n_patterns == 0)
        verb = HB_VERB_MSG;
    }
  hb_timeline_append_read (self->timeline, HB_EVENT_DATA_IN, verb, (guint32) MIN (len, G_MAXUINT32),
                           hb_chunk_info_pack (&info), hb_channel_get_arrival (channel));
  if (g_signal_has_handler_pending (self, signals[DATA_RECEIVED], 0, FALSE))
    {
      g_autoptr(GBytes) bytes = g_bytes_new (data, len);

      g_signal_emit (self, signals[DATA_RECEIVED], 0, bytes, &info);
    }
  handle_pieces (self, pieces);
  if (self->channel == channel && self->scanner != NULL)
    g_source_set_ready_time (self->flush_timer,
                             hb_scanner_get_held (self->scanner) > 0
                               ? g_get_monotonic_time () + HELD_FLUSH_MS * 1000 : -1);
}

static gboolean
on_line (HbChannel  *channel,
         const char *line,
         gsize       len,
         gpointer    user_data)
{
  HbClient *self = user_data;
  HbMessage msg;
  HbErrCode code;
  const char *problem = NULL;
  guint64 seq = 0;
  g_autofree char *text = NULL;

  arm_dead_timer (self);

  if (len == 0)
    return TRUE;
  if (!hb_message_parse (line, len, &msg, &code) ||
      !hb_message_check_from_server (&msg, &problem))
    {
      g_autofree char *shown = hb_bytes_to_display ((const guint8 *) line, len, HB_ENCODING_UTF8,
                                                    HB_CHUNK_SHOW_MAX, NULL);

      hb_timeline_append_read (self->timeline, HB_EVENT_LINE_IN, HB_VERB_UNKNOWN, len + 1, 0,
                               hb_channel_get_arrival (channel));
      g_signal_emit (self, signals[BAD_LINE], 0, shown,
                     problem ? problem : "not a line a server sends: unknown verb, or not UTF-8");
      return TRUE;
    }

  if (msg.verb == HB_VERB_PING || msg.verb == HB_VERB_WELCOME)
    hb_parse_uint64 (msg.args, msg.verb == HB_VERB_PING ? msg.args_len : strcspn (msg.args, " "), &seq);
  hb_timeline_append_read (self->timeline, HB_EVENT_LINE_IN, msg.verb, len + 1,
                           msg.verb == HB_VERB_PING ? (guint32) MIN (seq, G_MAXUINT32) : 0,
                           hb_channel_get_arrival (channel));
  text = g_strndup (msg.args, msg.args_len);

  switch (msg.verb)
    {
    case HB_VERB_WELCOME:
      {
        guint64 id = 0, interval = 0, timeout = 0;
        char **parts = g_strsplit (text, " ", 3);

        hb_parse_uint64 (parts[0], strlen (parts[0]), &id);
        hb_parse_uint64 (parts[1], strlen (parts[1]), &interval);
        hb_parse_uint64 (parts[2], strlen (parts[2]), &timeout);
        g_strfreev (parts);
        self->client_id = (guint) MIN (id, G_MAXUINT);
        self->interval_ms = (guint) MIN (interval, G_MAXINT / 1000);
        self->timeout_ms = (guint) MIN (timeout, G_MAXINT / 1000);
        g_object_freeze_notify (G_OBJECT (self));
        notify (self, PROP_CLIENT_ID);
        notify (self, PROP_INTERVAL_MS);
        notify (self, PROP_TIMEOUT_MS);
        g_object_thaw_notify (G_OBJECT (self));
        arm_dead_timer (self);
        g_signal_emit (self, signals[WELCOME], 0, self->client_id, self->interval_ms, self->timeout_ms);
      }
      break;

    case HB_VERB_PING:
      /* While we close, heartbeats go unanswered and unannounced: a
       * server flooding them must not keep us from leaving. */
      if (!hb_channel_is_closing (channel))
        heartbeat_arrived (self, seq);
      break;

    case HB_VERB_PONG:
      {
        gint64 rtt = -1;

        if (self->ping_token != NULL && g_strcmp0 (self->ping_token, text) == 0)
          {
            rtt = g_get_monotonic_time () - self->ping_sent_mono;
            g_clear_pointer (&self->ping_token, g_free);
          }
        g_signal_emit (self, signals[PONG], 0, text, rtt);
      }
      break;

    case HB_VERB_MSG:
    case HB_VERB_BCAST:
      g_signal_emit (self, signals[MESSAGE], 0, msg.verb, NULL, text);
      break;

    case HB_VERB_RELAY:
      {
        char *space = strchr (text, ' ');

        *space = '\0';
        g_signal_emit (self, signals[MESSAGE], 0, msg.verb, text, space + 1);
      }
      break;

    case HB_VERB_ERR:
      {
        char *space = strchr (text, ' ');

        if (space != NULL)
          *space = '\0';
        hb_timeline_append (self->timeline, HB_EVENT_ERROR, HB_VERB_ERR, 0, 0, HB_INITIATOR_PEER);
        g_signal_emit (self, signals[SERVER_ERROR], 0, text, space ? space + 1 : "");
      }
      break;

    case HB_VERB_BYE:
      text[strcspn (text, " ")] = '\0';  /* the reason is the first word */
      if (!self->have_reason)
        {
          self->have_reason = TRUE;
          self->end_reason = hb_bye_reason_from_string (text);
          self->end_initiator = HB_INITIATOR_PEER;
        }
      g_signal_emit (self, signals[BYE], 0, text);
      break;

    default:
      break;
    }

  return self->channel == channel && hb_channel_is_open (channel);
}

static void
on_peer_eof (HbChannel *channel,
             gpointer   user_data)
{
  HbClient *self = user_data;

  self->peer_fin = TRUE;
  hb_timeline_append_read (self->timeline, HB_EVENT_FIN_IN, HB_VERB_UNKNOWN, 0, 0, hb_channel_get_arrival (channel));
  if (self->scanner != NULL && hb_scanner_get_held (self->scanner) > 0)
    {
      flush_timer_cb (self);
      /* A handler of the message may have ended the connection. */
      if (self->channel != channel)
        return;
    }
  g_source_set_ready_time (self->dead_timer, -1);
  close_channel (self, HB_BYE_PEER_CLOSED,
                 self->fin_sent_first ? HB_INITIATOR_LOCAL : HB_INITIATOR_PEER);
}

static void
on_fin_sent (HbChannel *channel,
             gpointer   user_data)
{
  HbClient *self = user_data;

  if (!self->peer_fin)
    self->fin_sent_first = TRUE;
  hb_timeline_append (self->timeline, HB_EVENT_FIN_OUT, HB_VERB_UNKNOWN, 0, 0, HB_INITIATOR_LOCAL);
}

static void
on_closed (HbChannel    *channel,
           HbChannelEnd  end,
           const char   *detail,
           gpointer      user_data)
{
  HbClient *self = user_data;
  HbByeReason reason = self->end_reason;
  HbInitiator initiator = self->end_initiator;

  /* Not our channel any more: dispose let it go, and a client going away
   * neither signals nor schedules a reconnect. */
  if (channel != self->channel)
    return;

  if (end == HB_CHANNEL_END_ABORT)
    {
      reason = HB_BYE_ABORTED;
      initiator = HB_INITIATOR_LOCAL;
    }
  else if (!self->have_reason)
    {
      reason = end == HB_CHANNEL_END_RESET ? HB_BYE_RESET :
               end == HB_CHANNEL_END_CLEAN ? HB_BYE_PEER_CLOSED : HB_BYE_ERROR;
      initiator = self->fin_sent_first ? HB_INITIATOR_LOCAL : HB_INITIATOR_PEER;
    }

  hb_timeline_append (self->timeline, HB_EVENT_CLOSE, HB_VERB_UNKNOWN, 0, reason, initiator);
  ended (self, reason, initiator, detail);
}

static const HbChannelFuncs channel_funcs = {
  .line = on_line,
  .data = on_data,
  .peer_eof = on_peer_eof,
  .fin_sent = on_fin_sent,
  .closed = on_closed,
};

static gboolean
dead_timer_cb (gpointer user_data)
{
  HbClient *self = user_data;

  if (self->channel != NULL && hb_channel_is_open (self->channel))
    {
      /* Every close we start says why, even to a server that may not
       * hear; the lab's protocol has only the FIN to say it with. */
      if (self->protocol == HB_PROTOCOL_LINE)
        send_line (self, HB_VERB_BYE, "timeout", 0);
      close_channel (self, HB_BYE_SERVER_TIMEOUT, HB_INITIATOR_LOCAL);
    }
  return G_SOURCE_CONTINUE;
}

/* The kernel stamps what arrives only once asked: asked before the
 * connection is made, the server's first words (WELCOME) are stamped too.
 * The channel asks again, and learns that it did. */
static void
on_socket_client_event (GSocketClient      *socket_client,
                        GSocketClientEvent  event,
                        GSocketConnectable *connectable,
                        GIOStream          *connection,
                        gpointer            user_data)
{
  GError *error = NULL;

  if (event != G_SOCKET_CLIENT_CONNECTING || !G_IS_SOCKET_CONNECTION (connection))
    return;
  if (!g_socket_set_option (g_socket_connection_get_socket (G_SOCKET_CONNECTION (connection)),
                            SOL_SOCKET, SO_TIMESTAMPNS, TRUE, &error))
    g_clear_error (&error);   /* then what is read is drawn when it was read */
}

static void
connect_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(HbClient) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) connection = NULL;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->cancellable);

  if (connection == NULL)
    {
      g_autofree char *detail = NULL;

      detail = g_strdup_printf (strchr (self->host, ':') ? _("cannot connect to [%s]:%u: %s")
                                                         : _("cannot connect to %s:%u: %s"),
                                self->host, self->port, hb_io_error_words (error));
      ended (self, HB_BYE_ERROR, HB_INITIATOR_LOCAL, detail);
      return;
    }

  self->channel = hb_channel_new (self->poller, connection, CLIENT_MAX_LINE, &channel_funcs, self);
  hb_channel_set_read_budget (self->channel, CLIENT_READ_BUDGET);
  /* The record draws what was read when it arrived: with reading switched
   * off, or the program busy, that is long before it was read. */
  hb_channel_set_arrival_stamps (self->channel, TRUE);
  if (!self->reading)
    hb_channel_set_reading (self->channel, FALSE);
  hb_timeline_set_protocol (self->timeline, self->protocol);
  if (self->protocol != HB_PROTOCOL_LINE)
    hb_timeline_set_patterns (self->timeline, self->heartbeat, self->ack, self->encoding);
  if (self->protocol != HB_PROTOCOL_LINE)
    hb_channel_set_framed (self->channel, FALSE);
  if (self->protocol == HB_PROTOCOL_LAB)
    self->scanner = hb_scanner_new (self->heartbeat, self->line_ending);
  hb_timeline_append (self->timeline, HB_EVENT_CONNECT, HB_VERB_UNKNOWN, 0, 0, HB_INITIATOR_LOCAL);
  self->conn_mono = self->answered_mono = g_get_monotonic_time ();
  self->conn_pings = self->answered_seq = 0;
  self->owed_since_mono = 0;
  self->missed = 0;
  self->missed_seq = 0;
  memset (self->seen, 0, sizeof self->seen);
  set_state (self, HB_CLIENT_CONNECTED);
  arm_dead_timer (self);
  if (self->name != NULL && *self->name != '\0' && self->protocol == HB_PROTOCOL_LINE)
    send_line (self, HB_VERB_HELLO, self->name, 0);
}

/* ---------------------------------------------------------------------- */
/* GObject                                                                 */

static void
hb_client_dispose (GObject *object)
{
  HbClient *self = HB_CLIENT (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->linger_id, g_source_remove);
  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  if (self->channel != NULL)
    {
      HbChannel *channel = g_steal_pointer (&self->channel);

      /* Going away without a word: the socket is closed, no signals. */
      hb_channel_expire (channel);
      hb_channel_unref (channel);
    }
  if (self->dead_timer != NULL)
    {
      g_source_destroy (self->dead_timer);
      g_clear_pointer (&self->dead_timer, g_source_unref);
    }
  if (self->pong_timer != NULL)
    {
      g_source_destroy (self->pong_timer);
      g_clear_pointer (&self->pong_timer, g_source_unref);
    }
  if (self->flush_timer != NULL)
    {
      g_source_destroy (self->flush_timer);
      g_clear_pointer (&self->flush_timer, g_source_unref);
    }
  g_clear_pointer (&self->scanner, hb_scanner_free);
  g_queue_clear_full (&self->delayed, g_free);
  g_clear_pointer (&self->poller, hb_poller_unref);
  g_clear_object (&self->socket_client);

  G_OBJECT_CLASS (hb_client_parent_class)->dispose (object);
}

static void
hb_client_finalize (GObject *object)
{
  HbClient *self = HB_CLIENT (object);

  g_free (self->host);
  g_free (self->name);
  g_free (self->ping_token);
  g_clear_pointer (&self->heartbeat, g_bytes_unref);
  g_clear_pointer (&self->ack, g_bytes_unref);
  g_clear_object (&self->timeline);
  G_OBJECT_CLASS (hb_client_parent_class)->finalize (object);
}

static void
hb_client_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  HbClient *self = HB_CLIENT (object);

  switch (prop_id)
    {
    case PROP_HOST: g_value_set_string (value, self->host); break;
    case PROP_PORT: g_value_set_uint (value, self->port); break;
    case PROP_NAME: g_value_set_string (value, self->name); break;
    case PROP_STATE: g_value_set_enum (value, self->state); break;
    case PROP_CLIENT_ID: g_value_set_uint (value, self->client_id); break;
    case PROP_INTERVAL_MS: g_value_set_uint (value, self->interval_ms); break;
    case PROP_TIMEOUT_MS: g_value_set_uint (value, self->timeout_ms); break;
    case PROP_ANSWER_PINGS: g_value_set_boolean (value, self->answer_pings); break;
    case PROP_PONG_DELAY_MS: g_value_set_uint (value, self->pong_delay_ms); break;
    case PROP_READING: g_value_set_boolean (value, self->reading); break;
    case PROP_AUTO_RECONNECT: g_value_set_boolean (value, self->auto_reconnect); break;
    case PROP_RECONNECT_MIN_MS: g_value_set_uint (value, self->reconnect_min_ms); break;
    case PROP_RECONNECT_MAX_MS: g_value_set_uint (value, self->reconnect_max_ms); break;
    case PROP_RECONNECT_DELAY_MS: g_value_set_uint (value, self->reconnect_delay_ms); break;
    case PROP_PINGS_RECEIVED: g_value_set_uint64 (value, self->pings_received); break;
    case PROP_PONGS_SENT: g_value_set_uint64 (value, self->pongs_sent); break;
    case PROP_LAST_PING: g_value_set_int64 (value, self->last_ping); break;
    case PROP_LAST_PONG: g_value_set_int64 (value, self->last_pong); break;
    case PROP_DISCONNECT_REASON: g_value_set_enum (value, self->disconnect_reason); break;
    case PROP_TIMELINE: g_value_set_object (value, self->timeline); break;
    case PROP_PROTOCOL: g_value_set_enum (value, self->protocol); break;
    case PROP_HEARTBEAT: g_value_set_boxed (value, self->heartbeat); break;
    case PROP_ACK: g_value_set_boxed (value, self->ack); break;
    case PROP_LINE_ENDING: g_value_set_enum (value, self->line_ending); break;
    case PROP_ENCODING: g_value_set_enum (value, self->encoding); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_bool (HbClient *self,
          gboolean *field,
          guint     prop,
          gboolean  value)
{
  value = !!value;
  if (*field == value)
    return;
  *field = value;
  notify (self, prop);
}

static void
set_uint (HbClient *self,
          guint    *field,
          guint     prop,
          guint     value)
{
  if (*field == value)
    return;
  *field = value;
  notify (self, prop);
}

static void
set_string (HbClient    *self,
            char       **field,
            guint        prop,
            const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  notify (self, prop);
}

static void
set_pattern (HbClient  *self,
             GBytes   **field,
             guint      prop,
             GBytes    *value)
{
  g_return_if_fail (value != NULL);
  g_return_if_fail (g_bytes_get_size (value) > 0 && g_bytes_get_size (value) <= HB_LAB_MAX_PATTERN);
  if (g_bytes_equal (*field, value))
    return;
  g_bytes_unref (*field);
  *field = g_bytes_ref (value);
  notify (self, prop);
}

static void
hb_client_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  HbClient *self = HB_CLIENT (object);

  switch (prop_id)
    {
    case PROP_HOST: set_string (self, &self->host, prop_id, g_value_get_string (value)); break;
    case PROP_PORT: set_uint (self, &self->port, prop_id, g_value_get_uint (value)); break;
    case PROP_NAME: set_string (self, &self->name, prop_id, g_value_get_string (value)); break;
    case PROP_ANSWER_PINGS: set_bool (self, &self->answer_pings, prop_id, g_value_get_boolean (value)); break;
    case PROP_PONG_DELAY_MS: set_uint (self, &self->pong_delay_ms, prop_id, g_value_get_uint (value)); break;
    case PROP_READING:
      set_bool (self, &self->reading, prop_id, g_value_get_boolean (value));
      if (self->channel != NULL && hb_channel_is_open (self->channel))
        hb_channel_set_reading (self->channel, self->reading);
      arm_dead_timer (self);
      break;
    case PROP_AUTO_RECONNECT:
      set_bool (self, &self->auto_reconnect, prop_id, g_value_get_boolean (value));
      break;
    case PROP_RECONNECT_MIN_MS: set_uint (self, &self->reconnect_min_ms, prop_id, g_value_get_uint (value)); break;
    case PROP_RECONNECT_MAX_MS: set_uint (self, &self->reconnect_max_ms, prop_id, g_value_get_uint (value)); break;
    /* The protocol and its settings apply from the next connection. */
    case PROP_PROTOCOL: set_uint (self, &self->protocol, prop_id, g_value_get_enum (value)); break;
    case PROP_HEARTBEAT: set_pattern (self, &self->heartbeat, prop_id, g_value_get_boxed (value)); break;
    case PROP_ACK: set_pattern (self, &self->ack, prop_id, g_value_get_boxed (value)); break;
    case PROP_LINE_ENDING: set_uint (self, &self->line_ending, prop_id, g_value_get_enum (value)); break;
    case PROP_ENCODING: set_uint (self, &self->encoding, prop_id, g_value_get_enum (value)); break;
    case PROP_INTERVAL_MS: set_uint (self, &self->interval_ms, prop_id, g_value_get_uint (value)); break;
    case PROP_TIMEOUT_MS: set_uint (self, &self->timeout_ms, prop_id, g_value_get_uint (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hb_client_class_init (HbClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = hb_client_dispose;
  object_class->finalize = hb_client_finalize;
  object_class->get_property = hb_client_get_property;
  object_class->set_property = hb_client_set_property;

  properties[PROP_HOST] = g_param_spec_string ("host", NULL, NULL, "127.0.0.1", rw);
  properties[PROP_PORT] = g_param_spec_uint ("port", NULL, NULL, 1, 65535, HB_DEFAULT_PORT, rw);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, rw);
  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, HB_TYPE_CLIENT_STATE, HB_CLIENT_DISCONNECTED, ro);
  properties[PROP_CLIENT_ID] = g_param_spec_uint ("client-id", NULL, NULL, 0, G_MAXUINT, 0, ro);
  /* In the line protocol WELCOME sets these. The lab's protocol announces
   * nothing: they are what the client expects of the server, set by the
   * user (0: the lab's 10 s and 30 s), and silence for timeout-ms means
   * the server is dead. */
  properties[PROP_INTERVAL_MS] = g_param_spec_uint ("interval-ms", NULL, NULL, 0, G_MAXINT / 1000, 0, rw);
  properties[PROP_TIMEOUT_MS] = g_param_spec_uint ("timeout-ms", NULL, NULL, 0, G_MAXINT / 1000, 0, rw);
  properties[PROP_ANSWER_PINGS] = g_param_spec_boolean ("answer-pings", NULL, NULL, TRUE, rw);
  properties[PROP_PONG_DELAY_MS] = g_param_spec_uint ("pong-delay-ms", NULL, NULL, 0, 3600 * 1000, 0, rw);
  properties[PROP_READING] = g_param_spec_boolean ("reading", NULL, NULL, TRUE, rw);
  properties[PROP_AUTO_RECONNECT] = g_param_spec_boolean ("auto-reconnect", NULL, NULL, FALSE, rw);
  properties[PROP_RECONNECT_MIN_MS] = g_param_spec_uint ("reconnect-min-ms", NULL, NULL, 1, G_MAXINT, 500, rw);
  properties[PROP_RECONNECT_MAX_MS] = g_param_spec_uint ("reconnect-max-ms", NULL, NULL, 1, G_MAXINT, 30000, rw);
  properties[PROP_RECONNECT_DELAY_MS] = g_param_spec_uint ("reconnect-delay-ms", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_PINGS_RECEIVED] = g_param_spec_uint64 ("pings-received", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_PONGS_SENT] = g_param_spec_uint64 ("pongs-sent", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_LAST_PING] = g_param_spec_int64 ("last-ping", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_LAST_PONG] = g_param_spec_int64 ("last-pong", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_DISCONNECT_REASON] = g_param_spec_enum ("disconnect-reason", NULL, NULL, HB_TYPE_BYE_REASON, HB_BYE_USER, ro);
  properties[PROP_TIMELINE] = g_param_spec_object ("timeline", NULL, NULL, HB_TYPE_TIMELINE, ro);
  properties[PROP_PROTOCOL] = g_param_spec_enum ("protocol", NULL, NULL, HB_TYPE_PROTOCOL, HB_PROTOCOL_LINE, rw);
  properties[PROP_HEARTBEAT] = g_param_spec_boxed ("heartbeat", NULL, NULL, G_TYPE_BYTES, rw);
  properties[PROP_ACK] = g_param_spec_boxed ("ack", NULL, NULL, G_TYPE_BYTES, rw);
  properties[PROP_LINE_ENDING] = g_param_spec_enum ("line-ending", NULL, NULL, HB_TYPE_LINE_ENDING, HB_LINE_ENDING_NONE, rw);
  properties[PROP_ENCODING] = g_param_spec_enum ("encoding", NULL, NULL, HB_TYPE_ENCODING, HB_ENCODING_UTF8, rw);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * HbClient::welcome:
   * The server's greeting: our id and the heartbeat settings in force.
   */
  signals[WELCOME] =
    g_signal_new ("welcome", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_UINT);
  /**
   * HbClient::ping:
   * A heartbeat arrived (whether or not it will be answered).
   */
  signals[PING] =
    g_signal_new ("ping", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_UINT64);
  /**
   * HbClient::pong-sent:
   * Our answer to PING @seq was queued.
   */
  signals[PONG_SENT] =
    g_signal_new ("pong-sent", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_UINT64);
  /**
   * HbClient::pong:
   * The server answered a PING of ours; @rtt_us is -1 for a token we did not send last.
   */
  signals[PONG] =
    g_signal_new ("pong", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_INT64);
  /**
   * HbClient::message:
   * @kind: (type HbVerb): MSG, BCAST or RELAY
   * @sender: (nullable): the relayed client's name
   * @text: the text
   */
  signals[MESSAGE] =
    g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, HB_TYPE_VERB, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * HbClient::server-error:
   * The server refused something we sent: `ERR @code @text`.
   */
  signals[SERVER_ERROR] =
    g_signal_new ("server-error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * HbClient::bye:
   * The server said it is closing the connection, and why.
   */
  signals[BYE] =
    g_signal_new ("bye", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * HbClient::disconnected:
   * @reason: (type HbByeReason): why
   * @initiator: (type HbInitiator): LOCAL when this client closed first
   * @detail: (nullable): the system's words, e.g. for a failed connect
   *
   * The connection, or the attempt to make one, ended. When a reconnect
   * follows, ::reconnecting is emitted right after.
   */
  signals[DISCONNECTED] =
    g_signal_new ("disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, HB_TYPE_BYE_REASON, HB_TYPE_INITIATOR, G_TYPE_STRING);
  /**
   * HbClient::reconnecting:
   * The next attempt starts in @delay_ms; @attempt counts from 1.
   */
  signals[RECONNECTING] =
    g_signal_new ("reconnecting", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_UINT);
  /**
   * HbClient::data-received:
   * @bytes: one read, as it came (lab and raw protocols only)
   * @info: (type gpointer): its HbChunkInfo: the heartbeats and messages
   *   it completed, whether it glued several or split one
   *
   * Emitted before the heartbeats (::ping) and messages (::message) the
   * read held.
   */
  /**
   * HbClient::bad-line:
   * @line: the line, shown safely (hb_bytes_to_display())
   * @problem: what is wrong with it, in English (wire words)
   *
   * The server sent a line the protocol does not allow a server to send;
   * it was ignored.
   */
  signals[BAD_LINE] =
    g_signal_new ("bad-line", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[DATA_RECEIVED] =
    g_signal_new ("data-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_BYTES, G_TYPE_POINTER);
}

static void
hb_client_init (HbClient *self)
{
  self->host = g_strdup ("127.0.0.1");
  self->port = HB_DEFAULT_PORT;
  self->answer_pings = TRUE;
  self->reading = TRUE;
  self->reconnect_min_ms = 500;
  self->reconnect_max_ms = 30000;
  self->disconnect_reason = HB_BYE_USER;
  self->timeline = hb_timeline_new (HB_TIMELINE_DEFAULT_CAPACITY * 4);
  self->poller = hb_poller_new (NULL);
  self->socket_client = g_socket_client_new ();
  g_socket_client_set_timeout (self->socket_client, CONNECT_TIMEOUT_S);
  g_signal_connect (self->socket_client, "event", G_CALLBACK (on_socket_client_event), NULL);
  self->dead_timer = hb_deadline_source_new (dead_timer_cb, self);
  self->pong_timer = hb_deadline_source_new (pong_timer_cb, self);
  self->flush_timer = hb_deadline_source_new (flush_timer_cb, self);
  self->heartbeat = g_bytes_new_static (HB_LAB_DEFAULT_HEARTBEAT, strlen (HB_LAB_DEFAULT_HEARTBEAT));
  self->ack = g_bytes_new_static (HB_LAB_DEFAULT_ACK, strlen (HB_LAB_DEFAULT_ACK));
  g_queue_init (&self->delayed);
}

/* ---------------------------------------------------------------------- */
/* Public API                                                              */

HbClient *
hb_client_new (const char *host,
               guint       port,
               const char *name)
{
  return g_object_new (HB_TYPE_CLIENT,
                       "host", host ? host : "127.0.0.1",
                       "port", port ? port : HB_DEFAULT_PORT,
                       "name", name,
                       NULL);
}

/**
 * hb_client_connect:
 *
 * Starts connecting. The outcome arrives as notify::state, then either
 * ::welcome or ::disconnected (with the cause in its detail).
 */
void
hb_client_connect (HbClient *self)
{
  g_autoptr(GSocketConnectable) address = NULL;

  g_return_if_fail (HB_IS_CLIENT (self));

  if (self->state == HB_CLIENT_CONNECTING || self->state == HB_CLIENT_CONNECTED)
    return;

  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  self->stopping = FALSE;
  self->client_id = 0;
  self->have_reason = FALSE;
  set_state (self, HB_CLIENT_CONNECTING);

  self->cancellable = g_cancellable_new ();
  address = g_network_address_new (self->host, (guint16) self->port);
  g_socket_client_connect_async (self->socket_client, address, self->cancellable,
                                 connect_cb, g_object_ref (self));
}

void
hb_client_disconnect (HbClient *self)
{
  g_return_if_fail (HB_IS_CLIENT (self));

  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  /* A close already under way for another reason (the server's BYE, its
   * silence) would otherwise still end in a reconnect. */
  self->stopping = TRUE;

  if (self->channel != NULL && hb_channel_is_open (self->channel))
    {
      if (!self->have_reason && self->protocol == HB_PROTOCOL_LINE)
        send_line (self, HB_VERB_BYE, NULL, 0);
      close_channel (self, HB_BYE_USER, HB_INITIATOR_LOCAL);
      return;
    }

  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
    }
  if (self->state != HB_CLIENT_DISCONNECTED)
    ended (self, HB_BYE_USER, HB_INITIATOR_LOCAL, NULL);
}

static gboolean
can_send (HbClient *self)
{
  return self->state == HB_CLIENT_CONNECTED && self->channel != NULL &&
         hb_channel_is_open (self->channel) && !hb_channel_is_closing (self->channel);
}

gboolean
hb_client_send_message (HbClient   *self,
                        const char *text)
{
  g_return_val_if_fail (HB_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  if (!can_send (self))
    return FALSE;
  if (self->protocol != HB_PROTOCOL_LINE)
    {
      g_autoptr(GBytes) bytes = hb_text_encode (text, -1, self->encoding, self->line_ending);

      return hb_client_send_bytes (self, bytes);
    }
  send_line (self, HB_VERB_MSG, text, 0);
  return TRUE;
}

gboolean
hb_client_send_bytes (HbClient *self,
                      GBytes   *bytes)
{
  gsize len;
  const char *data;

  g_return_val_if_fail (HB_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (bytes != NULL, FALSE);

  /* The line protocol frames every message: raw bytes would break it. */
  if (!can_send (self) || self->protocol == HB_PROTOCOL_LINE)
    return FALSE;
  data = g_bytes_get_data (bytes, &len);
  if (len == 0)
    return FALSE;
  hb_channel_write (self->channel, data, len);
  hb_timeline_append (self->timeline, HB_EVENT_LINE_OUT, HB_VERB_MSG, (guint32) MIN (len, G_MAXUINT32), 0,
                      HB_INITIATOR_LOCAL);
  return TRUE;
}

gboolean
hb_client_send_ping (HbClient   *self,
                     const char *token)
{
  g_return_val_if_fail (HB_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (token != NULL, FALSE);

  if (!can_send (self) || self->protocol != HB_PROTOCOL_LINE ||
      !hb_token_is_valid (token, strlen (token)))
    return FALSE;
  g_free (self->ping_token);
  self->ping_token = g_strdup (token);
  self->ping_sent_mono = g_get_monotonic_time ();
  send_line (self, HB_VERB_PING, token, 0);
  return TRUE;
}

gboolean
hb_client_send_hello (HbClient   *self,
                      const char *name)
{
  g_return_val_if_fail (HB_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  if (!hb_name_is_valid (name, strlen (name)))
    return FALSE;
  set_string (self, &self->name, PROP_NAME, name);
  if (can_send (self) && self->protocol == HB_PROTOCOL_LINE)
    send_line (self, HB_VERB_HELLO, name, 0);
  return TRUE;
}

void
hb_client_abort (HbClient *self)
{
  g_return_if_fail (HB_IS_CLIENT (self));

  if (self->channel != NULL && hb_channel_is_open (self->channel))
    hb_channel_abort (self->channel);
}

void
hb_client_half_close (HbClient *self)
{
  g_return_if_fail (HB_IS_CLIENT (self));

  if (self->channel != NULL && hb_channel_is_open (self->channel))
    hb_channel_shutdown_write (self->channel);
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

    view->missed += count_missed (self, self->conn_pings, now, &last);
  }
  interval = server_interval_us (self);
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

HbProtocol
hb_client_get_protocol (HbClient *self)
{
  g_return_val_if_fail (HB_IS_CLIENT (self), HB_PROTOCOL_LINE);
  return self->protocol;
}

HbClientState
hb_client_get_state (HbClient *self)
{
  g_return_val_if_fail (HB_IS_CLIENT (self), HB_CLIENT_DISCONNECTED);
  return self->state;
}

guint
hb_client_get_client_id (HbClient *self)
{
  g_return_val_if_fail (HB_IS_CLIENT (self), 0);
  return self->client_id;
}

guint
hb_client_get_interval_ms (HbClient *self)
{
  g_return_val_if_fail (HB_IS_CLIENT (self), 0);
  return self->interval_ms;
}

guint
hb_client_get_timeout_ms (HbClient *self)
{
  g_return_val_if_fail (HB_IS_CLIENT (self), 0);
  return self->timeout_ms;
}

const char *
hb_client_get_host (HbClient *self)
{
  g_return_val_if_fail (HB_IS_CLIENT (self), NULL);
  return self->host;
}

guint
hb_client_get_port (HbClient *self)
{
  g_return_val_if_fail (HB_IS_CLIENT (self), 0);
  return self->port;
}

const char *
hb_client_get_name (HbClient *self)
{
  g_return_val_if_fail (HB_IS_CLIENT (self), NULL);
  return self->name;
}

HbTimeline *
hb_client_get_timeline (HbClient *self)
{
  g_return_val_if_fail (HB_IS_CLIENT (self), NULL);
  return self->timeline;
}

GSocket *
hb_client_get_socket (HbClient *self)
{
  g_return_val_if_fail (HB_IS_CLIENT (self), NULL);
  return self->channel ? hb_channel_get_socket (self->channel) : NULL;
}

const char *
hb_client_state_to_string (HbClientState state)
{
  switch (state)
    {
    case HB_CLIENT_DISCONNECTED: return "disconnected";
    case HB_CLIENT_CONNECTING: return "connecting";
    case HB_CLIENT_CONNECTED: return "connected";
    case HB_CLIENT_RECONNECTING: return "reconnecting";
    default: return "unknown";
    }
}
