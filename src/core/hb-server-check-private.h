/* hb-server-check-private.h - what the battery and its judging share: the connections, the phases, the state
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "hb-client.h"
#include "hb-server-check.h"

G_BEGIN_DECLS

/* Heartbeat times kept per connection: a server that floods heartbeats is
 * judged by its first ones. */
#define MAX_BEATS          4096
/* HbClient gives up connecting after 10 s. */
#define CONNECT_LIMIT_US   (11 * G_USEC_PER_SEC)
#define GOODBYE_LIMIT_US   (1 * G_USEC_PER_SEC)
/* Heartbeats each connection must get for the interval check: two gaps. */
#define MIN_BEATS          3
#define MESSAGE_TEXT       "hello 123"

typedef enum
{
  PHASE_IDLE,
  PHASE_ACCEPTS,
  PHASE_HEARTBEATS,
  PHASE_STALL,
  PHASE_SETTLE,      /* the stalled connection reads again; everyone recovers */
  PHASE_MESSAGE,
  PHASE_FIN,
  PHASE_RESET,
  PHASE_FLOOD,
  PHASE_GOODBYE,     /* our connections close */
  PHASE_DONE,
} Phase;

typedef struct
{
  HbServerCheck *owner;
  HbClient      *client;
  guint          number;      /* from 1, as the evidence names it */
  gint64         started;     /* monotonic µs */
  gint64         connected;   /* 0: not (yet) */
  gboolean       welcomed;
  gboolean       ended;
  gint64         ended_at;
  HbByeReason    reason;
  char          *detail;
  gint64         fin_in;      /* the server's FIN; 0: none */
  GArray        *beats;       /* gint64, monotonic µs of each heartbeat */
} Conn;

struct _HbServerCheck
{
  GObject         parent_instance;

  char           *host;
  guint           port;
  HbProtocol      protocol;
  GBytes         *heartbeat;
  GBytes         *ack;
  guint           interval_ms;  /* asked; 0: default */
  guint           clients;
  guint           effective_ms;

  GTask          *task;
  GCancellable   *cancellable;
  gulong          cancelled_id;
  guint           cancel_idle;
  Phase           phase;
  GSource        *deadline;
  gint64          deadline_at;
  gboolean        stepping;
  gboolean        again;

  GPtrArray      *conns;        /* Conn*: the asked ones first, then the extra */
  GPtrArray      *graveyard;    /* a finished run's, freed from an idle */
  guint           graveyard_id;
  Conn           *victim;       /* the one that stalls */
  Conn           *sender;       /* the one that sends a message */
  Conn           *closer;       /* the one that sends FIN */
  Conn           *aborter;      /* the one that resets */
  Conn           *probe;        /* a new connection after the reset */
  Conn           *flood;        /* the one that sends 64 KiB */
  Conn           *probe2;       /* a new connection after the flood */
  gint64          mark;         /* when the phase's own event happened */
  GPtrArray      *watched;      /* Conn*: those expected to keep their heartbeats */

  HbCheckVerdict  verdict[HB_SERVER_N_CHECKS];
  char           *evidence[HB_SERVER_N_CHECKS];
  GVariant       *numbers[HB_SERVER_N_CHECKS];
};

typedef struct
{
  GVariantBuilder b;
} Numbers;

static inline gint64
interval_us (HbServerCheck *self)
{
  return (gint64) self->effective_ms * 1000;
}

/* The longest gap allowed between two heartbeats. */
static inline gint64
limit_us (HbServerCheck *self)
{
  return interval_us (self) * (100 + HB_SERVER_CHECK_TOLERANCE) / 100;
}

static inline gboolean
is_live (Conn *c)
{
  return c != NULL && c->connected != 0 && !c->ended;
}

static inline Conn *
conn_at (HbServerCheck *self,
         guint          i)
{
  return g_ptr_array_index (self->conns, i);
}

/* The driver's (hb-server-check.c) */
void               _hb_server_check_finished    (HbServerCheck     *self,
                                                 HbServerCheckKind  kind);

/* The judging's (hb-server-check-judge.c) */
HbServerCheckKind  _hb_server_check_phase_kind  (Phase              phase);
/* Judges the check of the phase that ends now, from what was measured. */
void               _hb_server_check_end_phase   (HbServerCheck     *self,
                                                 gint64             now);
void               _hb_server_check_not_checked (HbServerCheck     *self,
                                                 HbServerCheckKind  kind,
                                                 const char        *why);
/* Every check not judged yet fails: no connection is left to check with. */
void               _hb_server_check_skip_rest   (HbServerCheck     *self,
                                                 HbServerCheckKind  from);

G_END_DECLS
