/* hb-server-private.h - HbServer's fields and the functions its files share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HbServer is one class in several files, one per concern, in the manner
 * of GNOME Text Editor: hb-server.c (the GObject, starting), and
 * hb-server-accept.c, -heartbeat.c, -queue.c, -channel.c and
 * -shutdown.c. Only they include this header.
 */
#pragma once

#include "hb-channel.h"
#include "hb-connection-private.h"
#include "hb-enums.h"
#include "hb-poller.h"
#include "hb-protocol.h"
#include "hb-server.h"

G_BEGIN_DECLS

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
  GSource          *accept_retry;
  GSource          *announce;      /* new heartbeat settings to announce */
  guint             announced_interval; /* the interval the clients were last told */
  gboolean          accept_paused;
  GMainContext     *context;       /* thread-default at the first start: every source is here */
  HbPoller         *poller;
  GListStore       *connections;   /* listed clients, in order of arrival */
  GPtrArray        *joining;       /* accepted, not yet in the list */
  GSource          *join_timer;
  GHashTable       *by_id;         /* id → HbConnection, listed ones */
  GHashTable       *live;          /* HbConnection set: every open channel */
  GHashTable       *names;         /* casefolded HELLO name → HbConnection */
  guint             next_id;

  HbDeadlineHeap   *heap;          /* every HbConnection with something due */
  GSource          *timer;
  GSource          *tick;          /* once-a-second counters, in parts */
  guint             tick_pos;      /* where in the list the next part starts */
  gboolean          live_counters; /* the tick runs at all (hb_server_set_live_counters()) */
  guint             drain_ms;

  GTask            *shutdown_task;
  GSource          *shutdown_cancel; /* the shutdown's cancellable, watched */
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

extern GParamSpec *_hb_server_properties[N_PROPS];
extern guint _hb_server_signals[N_SIGNALS];

static inline gint64
_hb_server_interval_us (HbServer *self)
{
  return (gint64) self->interval_ms * 1000;
}

/* hb-server-accept.c */
void     _hb_server_listener_ready       (gpointer      user_data,
                                          guint         condition);
void     _hb_server_close_listener       (HbServer     *self);
void     _hb_server_flush_joins          (HbServer     *self);

/* hb-server-heartbeat.c */
GSource *_hb_server_timer_new            (HbServer     *self);
void     _hb_server_schedule             (HbServer     *self,
                                          HbConnection *conn);
void     _hb_server_handle_pong          (HbServer     *self,
                                          HbConnection *conn,
                                          guint64       seq,
                                          gboolean      timed);
gboolean _hb_server_announce_cb          (gpointer      user_data);

/* hb-server-queue.c */
guint32  _hb_server_seq_arg              (HbVerb        verb,
                                          const char   *args,
                                          gsize         args_len);
gboolean _hb_server_check_queue          (HbServer     *self,
                                          HbConnection *conn);
void     _hb_server_check_reading        (HbServer     *self,
                                          HbConnection *conn,
                                          gint64        now);
gboolean _hb_server_send_raw             (HbServer     *self,
                                          HbConnection *conn,
                                          HbVerb        verb,
                                          const char   *line,
                                          gsize         len,
                                          guint32       arg);
gboolean _hb_server_send_line            (HbServer     *self,
                                          HbConnection *conn,
                                          HbVerb        verb,
                                          const char   *args,
                                          gssize        args_len);
void     _hb_server_send_error           (HbServer     *self,
                                          HbConnection *conn,
                                          HbErrCode     code,
                                          const char   *text);
void     _hb_server_relay_message        (HbServer     *self,
                                          HbConnection *from,
                                          const char   *text,
                                          gsize         len);
void     _hb_server_append_message       (HbServer     *self,
                                          GString      *out,
                                          const char   *verb,
                                          const char   *text);

/* hb-server-channel.c */
extern const HbChannelFuncs _hb_server_channel_funcs;
void     _hb_server_flush_held           (HbServer     *self,
                                          HbConnection *conn);

/* hb-server-shutdown.c */
void     _hb_server_begin_close          (HbServer     *self,
                                          HbConnection *conn,
                                          HbByeReason   reason,
                                          HbInitiator   initiator,
                                          gboolean      say_bye);
void     _hb_server_forget               (HbServer     *self,
                                          HbConnection *conn);
void     _hb_server_maybe_finish_shutdown (HbServer    *self);
void     _hb_server_drop_all             (HbServer     *self);

G_END_DECLS
