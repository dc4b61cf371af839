/* hb-timeline.c - a bounded record of what happened on one connection
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A ring of small fixed-size events: a server with 10,000 clients keeps one
 * per client, so the record must stay a few kilobytes whatever the traffic.
 * The ring grows on demand up to its capacity, so idle connections pay for
 * the handful of events they have.
 */

#include "config.h"

#include "hb-timeline.h"

struct _HbTimeline
{
  GObject          parent_instance;
  HbTimelineEvent *ring;
  guint            allocated;
  guint            capacity;
  guint            head;      /* index of the oldest event */
  guint            n_events;
  guint64          dropped;
  HbProtocol       protocol;
  GBytes          *heartbeat;
  GBytes          *ack;
  HbEncoding       encoding;
};

G_DEFINE_FINAL_TYPE (HbTimeline, hb_timeline, G_TYPE_OBJECT)

/* A server keeps up to 128 events for each of 10,000 clients: the arrival
 * of a read fits in what was padding. */
G_STATIC_ASSERT (sizeof (HbTimelineEvent) == 32);

enum {
  APPENDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
hb_timeline_finalize (GObject *object)
{
  HbTimeline *self = HB_TIMELINE (object);

  g_free (self->ring);
  g_clear_pointer (&self->heartbeat, g_bytes_unref);
  g_clear_pointer (&self->ack, g_bytes_unref);
  G_OBJECT_CLASS (hb_timeline_parent_class)->finalize (object);
}

static void
hb_timeline_class_init (HbTimelineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = hb_timeline_finalize;

  /**
   * HbTimeline::appended:
   * @self: the timeline
   * @event: (type gpointer): the new event, valid during the emission
   *
   * An event was recorded. When the ring is full the oldest event has
   * already been dropped, so indexes shift by one.
   */
  signals[APPENDED] =
    g_signal_new ("appended",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
hb_timeline_init (HbTimeline *self)
{
}

HbTimeline *
hb_timeline_new (guint capacity)
{
  HbTimeline *self = g_object_new (HB_TYPE_TIMELINE, NULL);

  self->capacity = MAX (capacity, 1);
  return self;
}

guint
hb_timeline_get_capacity (HbTimeline *self)
{
  g_return_val_if_fail (HB_IS_TIMELINE (self), 0);
  return self->capacity;
}

guint
hb_timeline_get_n_events (HbTimeline *self)
{
  g_return_val_if_fail (HB_IS_TIMELINE (self), 0);
  return self->n_events;
}

/* How many of the oldest events were overwritten. */
guint64
hb_timeline_get_dropped (HbTimeline *self)
{
  g_return_val_if_fail (HB_IS_TIMELINE (self), 0);
  return self->dropped;
}

const HbTimelineEvent *
hb_timeline_get_event (HbTimeline *self,
                       guint       index)
{
  g_return_val_if_fail (HB_IS_TIMELINE (self), NULL);
  g_return_val_if_fail (index < self->n_events, NULL);

  return &self->ring[(self->head + index) % self->allocated];
}

static HbTimelineEvent *
next_slot (HbTimeline *self)
{
  HbTimelineEvent *ev;

  if (self->n_events == self->allocated && self->allocated < self->capacity)
    {
      /* Still growing: nothing has wrapped yet, so head is 0. */
      self->allocated = MIN (MAX (self->allocated * 2, 8), self->capacity);
      self->ring = g_renew (HbTimelineEvent, self->ring, self->allocated);
    }

  if (self->n_events == self->allocated)
    {
      ev = &self->ring[self->head];
      self->head = (self->head + 1) % self->allocated;
      self->dropped++;
    }
  else
    {
      ev = &self->ring[(self->head + self->n_events) % self->allocated];
      self->n_events++;
    }
  return ev;
}

static void
append (HbTimeline  *self,
        HbEventKind  kind,
        HbVerb       verb,
        guint32      bytes,
        guint32      arg,
        HbInitiator  initiator,
        gint64       arrived_mono)
{
  HbTimelineEvent *ev = next_slot (self);

  ev->mono_us = g_get_monotonic_time ();
  ev->wall_us = g_get_real_time ();
  ev->bytes = bytes;
  ev->arg = arg;
  ev->kind = kind;
  ev->verb = verb;
  ev->initiator = initiator;
  ev->arrival_known = arrived_mono > 0;
  ev->waited_us = arrived_mono > 0 ? (guint32) CLAMP (ev->mono_us - arrived_mono, 0, G_MAXUINT32) : 0;

  g_signal_emit (self, signals[APPENDED], 0, ev);
}

void
hb_timeline_append (HbTimeline  *self,
                    HbEventKind  kind,
                    HbVerb       verb,
                    guint32      bytes,
                    guint32      arg,
                    HbInitiator  initiator)
{
  g_return_if_fail (HB_IS_TIMELINE (self));
  append (self, kind, verb, bytes, arg, initiator, 0);
}

void
hb_timeline_append_read (HbTimeline  *self,
                         HbEventKind  kind,
                         HbVerb       verb,
                         guint32      bytes,
                         guint32      arg,
                         gint64       arrived_mono)
{
  g_return_if_fail (HB_IS_TIMELINE (self));
  append (self, kind, verb, bytes, arg, HB_INITIATOR_PEER, arrived_mono);
}

void
hb_timeline_append_n (HbTimeline    *self,
                      HbEventKind    kind,
                      HbVerb         verb,
                      const guint32 *bytes,
                      guint          n,
                      HbInitiator    initiator)
{
  gint64 mono, wall;
  gboolean watched;

  g_return_if_fail (HB_IS_TIMELINE (self));

  /* A broadcast block appends to every client's record: one clock reading
   * and one look for handlers per block, not per line. */
  mono = g_get_monotonic_time ();
  wall = g_get_real_time ();
  watched = g_signal_has_handler_pending (self, signals[APPENDED], 0, FALSE);
  if (self->allocated < self->capacity && self->n_events + n > self->allocated)
    {
      /* Grow once to what the block needs rather than doubling per line.
       * Before the ring is at capacity it has never wrapped: head is 0. */
      self->allocated = MIN (MAX (MAX (self->n_events + n, self->allocated * 2), 8),
                             self->capacity);
      self->ring = g_renew (HbTimelineEvent, self->ring, self->allocated);
    }
  for (guint i = 0; i < n; i++)
    {
      HbTimelineEvent *ev = next_slot (self);

      ev->mono_us = mono;
      ev->wall_us = wall;
      ev->bytes = bytes[i];
      ev->arg = 0;
      ev->kind = kind;
      ev->verb = verb;
      ev->initiator = initiator;
      ev->arrival_known = FALSE;
      ev->waited_us = 0;
      if (watched)
        g_signal_emit (self, signals[APPENDED], 0, ev);
    }
}

HbProtocol
hb_timeline_get_protocol (HbTimeline *self)
{
  g_return_val_if_fail (HB_IS_TIMELINE (self), HB_PROTOCOL_LINE);
  return self->protocol;
}

void
hb_timeline_set_protocol (HbTimeline *self,
                          HbProtocol  protocol)
{
  g_return_if_fail (HB_IS_TIMELINE (self));
  self->protocol = protocol;
}

void
hb_timeline_set_patterns (HbTimeline *self,
                          GBytes     *heartbeat,
                          GBytes     *ack,
                          HbEncoding  encoding)
{
  g_return_if_fail (HB_IS_TIMELINE (self));
  if (heartbeat != NULL)
    g_bytes_ref (heartbeat);
  if (ack != NULL)
    g_bytes_ref (ack);
  g_clear_pointer (&self->heartbeat, g_bytes_unref);
  g_clear_pointer (&self->ack, g_bytes_unref);
  self->heartbeat = heartbeat;
  self->ack = ack;
  self->encoding = encoding;
}

GBytes *
hb_timeline_get_heartbeat (HbTimeline *self)
{
  g_return_val_if_fail (HB_IS_TIMELINE (self), NULL);
  return self->heartbeat;
}

GBytes *
hb_timeline_get_ack (HbTimeline *self)
{
  g_return_val_if_fail (HB_IS_TIMELINE (self), NULL);
  return self->ack;
}

HbEncoding
hb_timeline_get_encoding (HbTimeline *self)
{
  g_return_val_if_fail (HB_IS_TIMELINE (self), HB_ENCODING_UTF8);
  return self->encoding;
}

const char *
hb_event_kind_to_string (HbEventKind kind)
{
  switch (kind)
    {
    case HB_EVENT_CONNECT: return "connect";
    case HB_EVENT_LINE_IN: return "line-in";
    case HB_EVENT_LINE_OUT: return "line-out";
    case HB_EVENT_STATE: return "state";
    case HB_EVENT_ERROR: return "error";
    case HB_EVENT_FIN_IN: return "fin-in";
    case HB_EVENT_FIN_OUT: return "fin-out";
    case HB_EVENT_CLOSE: return "close";
    case HB_EVENT_DATA_IN: return "data-in";
    default: return "unknown";
    }
}

const char *
hb_initiator_to_string (HbInitiator initiator)
{
  return initiator == HB_INITIATOR_PEER ? "peer" : "local";
}
