/* hb-connection-private.h - the server's view of a connection's fields
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "hb-channel.h"
#include "hb-connection.h"
#include "hb-deadline-heap.h"
#include "hb-lab.h"

G_BEGIN_DECLS

#define HB_PING_RING 8

typedef struct
{
  guint64 seq;
  gint64  queued_mono;   /* when the PING was queued */
  gint64  sent_mono;     /* when its last byte was handed to the kernel; 0 = not yet */
  guint64 end_offset;    /* its end in the outgoing byte stream */
} HbPingRecord;

struct _HbConnection
{
  GObject       parent_instance;

  struct _HbServer *server;        /* not a reference: the server outlives its channels */
  guint         id;
  char         *name;
  char         *peer;
  HbChannel    *channel;
  HbTimeline   *timeline;
  HbScanner    *scanner;           /* lab: finds the ack in what is read */
  gint64        flush_mono;        /* lab: when held bytes become text; 0 = none */
  HbProtocol    protocol;

  gint64        connected_wall;
  gint64        connected_mono;
  gint64        last_ping_wall;
  gint64        last_pong_wall;
  gint64        last_pong_mono;    /* or connect time: the dead clock */
  gint64        next_ping_mono;

  guint64       ping_seq;          /* last seq sent */
  gint64        owed_since_mono;   /* the oldest unanswered PING was queued then */
  guint64       answered_seq;      /* highest seq answered */
  guint64       pings_sent;
  guint64       pongs_received;
  HbPingRecord  pings[HB_PING_RING];

  gint64        rtt_last;
  gint64        rtt_min;
  gint64        rtt_max;
  gint64        rtt_sum;
  guint64       rtt_count;
  guint         missed;            /* PINGs that went an interval unanswered */
  guint64       missed_seq;        /* the last of them counted */
  HbLiveness    liveness;

  guint64       lines_in;
  guint64       lines_out;

  double        tokens;            /* rate limit bucket */
  gint64        tokens_mono;
  gint64        limited_mono;      /* a line was last dropped for the rate limit */
  gint64        limit_err_mono;    /* ERR rate-limited last sent */
  gint64        over_check_mono;   /* over max-queue: when to judge its reading; 0 = not over */
  guint64       over_bytes_out;    /* bytes written to it when that began */

  /* Values last announced by notify, for the once-a-second counters. */
  guint64       notified_bytes_in;
  guint64       notified_bytes_out;
  guint64       notified_lines_in;
  guint64       notified_lines_out;
  gsize         notified_queued;

  HbDeadlineNode heap_node;        /* its deadline, in the server's timer heap */
  gint64        close_deadline;

  HbByeReason   close_reason;
  HbInitiator   close_initiator;
  HbCloseKind   close_kind;
  guint         closing : 1;
  guint         rejected : 1;      /* refused with server-full: never listed */
  guint         listed : 1;
};

typedef enum
{
  HB_CONNECTION_PROP_0,
  HB_CONNECTION_PROP_ID,
  HB_CONNECTION_PROP_NAME,
  HB_CONNECTION_PROP_PEER,
  HB_CONNECTION_PROP_CONNECTED_SINCE,
  HB_CONNECTION_PROP_LAST_PING,
  HB_CONNECTION_PROP_LAST_PONG,
  HB_CONNECTION_PROP_PINGS_SENT,
  HB_CONNECTION_PROP_PONGS_RECEIVED,
  HB_CONNECTION_PROP_RTT_LAST,
  HB_CONNECTION_PROP_RTT_MIN,
  HB_CONNECTION_PROP_RTT_AVG,
  HB_CONNECTION_PROP_RTT_MAX,
  HB_CONNECTION_PROP_MISSED,
  HB_CONNECTION_PROP_LIVENESS,
  HB_CONNECTION_PROP_BYTES_IN,
  HB_CONNECTION_PROP_BYTES_OUT,
  HB_CONNECTION_PROP_LINES_IN,
  HB_CONNECTION_PROP_LINES_OUT,
  HB_CONNECTION_PROP_QUEUED,
  HB_CONNECTION_PROP_CLOSING,
  HB_CONNECTION_PROP_TIMELINE,
  HB_CONNECTION_N_PROPS
} HbConnectionProp;

HbConnection *_hb_connection_new    (guint             id,
                                     const char       *peer);
void          _hb_connection_notify (HbConnection     *self,
                                     HbConnectionProp  prop);
gboolean      _hb_connection_is_watched (HbConnection *self);
/* Reads what waits in the socket now, as the poller would: before a
 * verdict that an answer has not come. */
void          _hb_connection_read_now (HbConnection *self);
/* Announces the traffic counters that changed since the last call. */
void          _hb_connection_notify_counters (HbConnection *self);

/* The newest heartbeat that is settled: answered, or counted missed. */
static inline guint64
_hb_connection_settled_seq (HbConnection *self)
{
  return MAX (self->answered_seq, self->missed_seq);
}

G_END_DECLS
