/* hb-client-channel.c - what the client's channel reports: the server's lines, the lab's reads, EOF, closed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "hb-client-private.h"

/* Lab protocol: bytes that may begin a heartbeat wait this long for the
 * rest before they count as a message. */
#define HELD_FLUSH_MS       200

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
            _hb_client_heartbeat_arrived (self, self->conn_pings + 1);
        }
      else
        g_signal_emit (self, _hb_client_signals[MESSAGE], 0, HB_VERB_MSG, NULL, p->text);
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

gboolean
_hb_client_flush_timer_cb (gpointer user_data)
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

  _hb_client_arm_dead_timer (self);
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
  if (g_signal_has_handler_pending (self, _hb_client_signals[DATA_RECEIVED], 0, FALSE))
    {
      g_autoptr(GBytes) bytes = g_bytes_new (data, len);

      g_signal_emit (self, _hb_client_signals[DATA_RECEIVED], 0, bytes, &info);
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

  _hb_client_arm_dead_timer (self);

  if (len == 0)
    return TRUE;
  if (!hb_message_parse (line, len, &msg, &code) ||
      !hb_message_check_from_server (&msg, &problem))
    {
      g_autofree char *shown = hb_bytes_to_display ((const guint8 *) line, len, HB_ENCODING_UTF8,
                                                    HB_CHUNK_SHOW_MAX, NULL);

      hb_timeline_append_read (self->timeline, HB_EVENT_LINE_IN, HB_VERB_UNKNOWN, len + 1, 0,
                               hb_channel_get_arrival (channel));
      g_signal_emit (self, _hb_client_signals[BAD_LINE], 0, shown,
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
        _hb_client_notify (self, PROP_CLIENT_ID);
        _hb_client_notify (self, PROP_INTERVAL_MS);
        _hb_client_notify (self, PROP_TIMEOUT_MS);
        g_object_thaw_notify (G_OBJECT (self));
        _hb_client_arm_dead_timer (self);
        g_signal_emit (self, _hb_client_signals[WELCOME], 0, self->client_id, self->interval_ms, self->timeout_ms);
      }
      break;

    case HB_VERB_PING:
      /* While we close, heartbeats go unanswered and unannounced: a
       * server flooding them must not keep us from leaving. */
      if (!hb_channel_is_closing (channel))
        _hb_client_heartbeat_arrived (self, seq);
      break;

    case HB_VERB_PONG:
      {
        gint64 rtt = -1;

        if (self->ping_token != NULL && g_strcmp0 (self->ping_token, text) == 0)
          {
            rtt = g_get_monotonic_time () - self->ping_sent_mono;
            g_clear_pointer (&self->ping_token, g_free);
          }
        g_signal_emit (self, _hb_client_signals[PONG], 0, text, rtt);
      }
      break;

    case HB_VERB_MSG:
    case HB_VERB_BCAST:
      g_signal_emit (self, _hb_client_signals[MESSAGE], 0, msg.verb, NULL, text);
      break;

    case HB_VERB_RELAY:
      {
        char *space = strchr (text, ' ');

        *space = '\0';
        g_signal_emit (self, _hb_client_signals[MESSAGE], 0, msg.verb, text, space + 1);
      }
      break;

    case HB_VERB_ERR:
      {
        char *space = strchr (text, ' ');

        if (space != NULL)
          *space = '\0';
        hb_timeline_append (self->timeline, HB_EVENT_ERROR, HB_VERB_ERR, 0, 0, HB_INITIATOR_PEER);
        g_signal_emit (self, _hb_client_signals[SERVER_ERROR], 0, text, space ? space + 1 : "");
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
      g_signal_emit (self, _hb_client_signals[BYE], 0, text);
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
      _hb_client_flush_timer_cb (self);
      /* A handler of the message may have ended the connection. */
      if (self->channel != channel)
        return;
    }
  g_source_set_ready_time (self->dead_timer, -1);
  _hb_client_close_channel (self, HB_BYE_PEER_CLOSED,
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
  _hb_client_ended (self, reason, initiator, detail);
}

const HbChannelFuncs _hb_client_channel_funcs = {
  .line = on_line,
  .data = on_data,
  .peer_eof = on_peer_eof,
  .fin_sent = on_fin_sent,
  .closed = on_closed,
};
