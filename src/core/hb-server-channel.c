/* hb-server-channel.c - what the clients' channels report: lines, the lab's reads, EOF, written, closed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "hb-server-private.h"

/* Lab protocol: bytes at the end of a read that may begin an ack are
 * held this long for the rest before they count as a message. */
#define HELD_FLUSH_MS  200

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
  guint64 seq = conn->answered_seq < conn->ping_seq ? conn->ping_seq : 0;
  gint64 arrived = hb_channel_get_arrival (conn->channel);

  /* An ack that arrived before the newest heartbeat left (this process
   * was busy, and wrote that heartbeat before reading) answers the one
   * before it. A millisecond of margin: a heartbeat's time is taken just
   * after write() returns, when a fast client may already have answered. */
  if (seq != 0 && arrived > 0)
    for (guint64 s = conn->ping_seq; s > conn->answered_seq && conn->ping_seq - s < HB_PING_RING; s--)
      {
        HbPingRecord *rec = &conn->pings[s % HB_PING_RING];

        if (rec->seq == s && rec->sent_mono != 0 && rec->sent_mono <= arrived + 1000)
          {
            seq = s;
            break;
          }
      }
  _hb_server_handle_pong (self, conn, seq, seq != 0 && seq - conn->answered_seq == 1);
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
        g_signal_emit (self, _hb_server_signals[MESSAGE], 0, conn, p->text);
      else
        /* A flood of messages (a\n a\n ...) is the line protocol's
         * flood: past the rate they are not announced one by one; the
         * reads that carried them still are (data-received). */
        conn->limited_mono = g_get_monotonic_time ();
    }
}

void
_hb_server_flush_held (HbServer     *self,
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
  if (g_signal_has_handler_pending (self, _hb_server_signals[DATA_RECEIVED], 0, FALSE))
    {
      g_autoptr(GBytes) bytes = g_bytes_new (data, len);

      g_signal_emit (self, _hb_server_signals[DATA_RECEIVED], 0, conn, bytes, &info);
    }

  handle_pieces (self, conn, pieces);
  if (conn->closing)
    return;

  if (conn->scanner != NULL && hb_scanner_get_held (conn->scanner) > 0)
    conn->flush_mono = g_get_monotonic_time () + HELD_FLUSH_MS * 1000;
  else
    conn->flush_mono = 0;
  _hb_server_schedule (self, conn);
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

      _hb_server_send_error (self, conn, HB_ERR_BAD_ARGS, text);
      return;
    }
  holder = g_hash_table_lookup (self->names, folded);
  if (holder != NULL && holder != conn)
    {
      g_autofree char *text = g_strdup_printf ("name-taken the name \"%s\" is taken by another client; choose another", wanted);

      _hb_server_send_error (self, conn, HB_ERR_BAD_ARGS, text);
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
  g_signal_emit (self, _hb_server_signals[CLIENT_HELLO], 0, conn, conn->name);
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
          _hb_server_send_error (self, conn, HB_ERR_RATE_LIMITED, text);
        }
      return !conn->closing;
    }

  if (!hb_message_parse (line, len, &msg, &code))
    {
      hb_timeline_append (conn->timeline, HB_EVENT_LINE_IN, HB_VERB_UNKNOWN, len + 1, 0, HB_INITIATOR_PEER);
      if (code == HB_ERR_BAD_UTF8)
        _hb_server_send_error (self, conn, code, "the line is not valid UTF-8");
      else
        _hb_server_send_error (self, conn, HB_ERR_UNKNOWN_VERB,
                               "a line starts with an upper-case verb: MSG, PONG, HELLO, PING or BYE");
      return TRUE;
    }

  hb_timeline_append (conn->timeline, HB_EVENT_LINE_IN, msg.verb, len + 1,
                      _hb_server_seq_arg (msg.verb, msg.args, msg.args_len), HB_INITIATOR_PEER);

  if (!hb_message_check_from_client (&msg, &problem))
    {
      if (problem != NULL)
        _hb_server_send_error (self, conn, HB_ERR_BAD_ARGS, problem);
      else
        {
          g_autofree char *verb = g_strndup (msg.verb_str, msg.verb_len);
          g_autofree char *text = g_strdup_printf ("%s is not a verb a client sends; try MSG, PONG, HELLO, PING or BYE", verb);

          _hb_server_send_error (self, conn, HB_ERR_UNKNOWN_VERB, text);
        }
      return TRUE;
    }

  switch (msg.verb)
    {
    case HB_VERB_PONG:
      hb_parse_uint64 (msg.args, msg.args_len, &seq);
      _hb_server_handle_pong (self, conn, seq, TRUE);
      break;

    case HB_VERB_PING:
      _hb_server_send_line (self, conn, HB_VERB_PONG, msg.args, msg.args_len);
      break;

    case HB_VERB_HELLO:
      take_name (self, conn, msg.args, msg.args_len);
      break;

    case HB_VERB_MSG:
      {
        g_autofree char *text = g_strndup (msg.args, msg.args_len);

        g_signal_emit (self, _hb_server_signals[MESSAGE], 0, conn, text);
        if (self->relay && !conn->closing)
          _hb_server_relay_message (self, conn, msg.args, msg.args_len);
      }
      break;

    case HB_VERB_BYE:
      _hb_server_begin_close (self, conn, HB_BYE_GOODBYE, HB_INITIATOR_PEER, TRUE);
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
  _hb_server_send_error (self, conn, HB_ERR_LINE_TOO_LONG, text);
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
    _hb_server_flush_held (self, conn);
  /* The peer can still read after its FIN, but it has ended the
   * conversation: finish what is queued and close our side too. */
  _hb_server_begin_close (self, conn, HB_BYE_PEER_CLOSED, HB_INITIATOR_PEER, FALSE);
}

static void
on_written (HbChannel *channel,
            guint64    total,
            gpointer   user_data)
{
  HbConnection *conn = user_data;
  HbServer *self = conn->server;
  guint64 first = conn->ping_seq;
  gint64 now = 0;

  /* Every PING this write completed, oldest first: two can leave in one
   * write (a heartbeat due and a probe queued in the same pass). */
  while (first > 1 && conn->ping_seq - (first - 1) < HB_PING_RING)
    {
      HbPingRecord *older = &conn->pings[(first - 1) % HB_PING_RING];

      if (older->seq != first - 1 || older->sent_mono != 0)
        break;
      first--;
    }
  for (guint64 seq = first; seq != 0 && seq <= conn->ping_seq; seq++)
    {
      HbPingRecord *rec = &conn->pings[seq % HB_PING_RING];

      if (rec->seq != seq || rec->sent_mono != 0 || total < rec->end_offset)
        continue;
      /* The RTT clock starts when the PING really leaves, not when it was
       * queued behind other clients' writes. */
      if (now == 0)
        now = g_get_monotonic_time ();
      rec->sent_mono = now;
      conn->last_ping_wall = g_get_real_time ();
      _hb_connection_notify (conn, HB_CONNECTION_PROP_LAST_PING);
      if (!conn->closing)
        _hb_server_schedule (self, conn);
      g_signal_emit (self, _hb_server_signals[PING_SENT], 0, conn, rec->seq);
      if (conn->closing)
        break;
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
  _hb_server_forget (self, conn);

  if (was_listed)
    g_signal_emit (self, _hb_server_signals[CLIENT_DISCONNECTED], 0, conn,
                   conn->close_reason, conn->close_initiator);
  _hb_server_maybe_finish_shutdown (self);
}

const HbChannelFuncs _hb_server_channel_funcs = {
  .line = on_line,
  .data = on_data,
  .overlong = on_overlong,
  .peer_eof = on_peer_eof,
  .written = on_written,
  .fin_sent = on_fin_sent,
  .closed = on_closed,
};
