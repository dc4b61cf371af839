/* hb-client-private.h - HbClient's fields and the functions its files share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HbClient is one class in several files, one per concern: hb-client.c
 * (the GObject, sending), hb-client-connect.c, -heartbeat.c and
 * -channel.c. Only they include this header.
 */
#pragma once

#include "hb-channel.h"
#include "hb-client.h"
#include "hb-enums.h"
#include "hb-poller.h"

G_BEGIN_DECLS

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

extern GParamSpec *_hb_client_properties[N_PROPS];
extern guint _hb_client_signals[N_SIGNALS];

/* The server's interval as WELCOME said it, or the default. */
static inline gint64
_hb_client_server_interval_us (HbClient *self)
{
  return (gint64) (self->interval_ms ? self->interval_ms : HB_DEFAULT_INTERVAL_MS) * 1000;
}

/* hb-client.c */
void     _hb_client_notify              (HbClient      *self,
                                         guint          prop);
void     _hb_client_set_state           (HbClient      *self,
                                         HbClientState  state);
void     _hb_client_send_line           (HbClient      *self,
                                         HbVerb         verb,
                                         const char    *args,
                                         guint32        arg);

/* hb-client-connect.c */
void     _hb_client_close_channel       (HbClient      *self,
                                         HbByeReason    reason,
                                         HbInitiator    initiator);
void     _hb_client_ended               (HbClient      *self,
                                         HbByeReason    reason,
                                         HbInitiator    initiator,
                                         const char    *detail);
void     _hb_client_on_socket_client_event (GSocketClient      *socket_client,
                                            GSocketClientEvent  event,
                                            GSocketConnectable *connectable,
                                            GIOStream          *connection,
                                            gpointer            user_data);
void     _hb_client_connect_cb          (GObject       *source,
                                         GAsyncResult  *result,
                                         gpointer       user_data);

/* hb-client-heartbeat.c */
void     _hb_client_arm_dead_timer      (HbClient      *self);
void     _hb_client_clear_delayed       (HbClient      *self);
guint    _hb_client_count_missed        (HbClient      *self,
                                         guint64        upto,
                                         gint64         now,
                                         guint64       *last);
void     _hb_client_heartbeat_arrived   (HbClient      *self,
                                         guint64        seq);
gboolean _hb_client_pong_timer_cb       (gpointer       user_data);
gboolean _hb_client_dead_timer_cb       (gpointer       user_data);

/* hb-client-channel.c */
extern const HbChannelFuncs _hb_client_channel_funcs;
gboolean _hb_client_flush_timer_cb      (gpointer       user_data);

G_END_DECLS
