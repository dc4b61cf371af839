/* hb-timeline.c - a bounded record of what happened on one connection
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A server with 10,000 clients keeps one record per client, so the record
 * must stay small whatever the traffic. Events are kept encoded, each as a
 * difference from the events before it, in one byte buffer that grows on
 * demand up to what @capacity events need:
 *
 *   - times as the µs since the event before (the wall clock as its
 *     difference from the monotonic one, usually nothing);
 *   - an event like the one two before it (same kind, verb, size and
 *     side) with the same argument or the next one — a heartbeat: PING 7,
 *     PONG 7, PING 8 — as one byte and its time;
 *   - any other event in full: kind, verb, size, and its argument as the
 *     difference from the argument before;
 *   - for what was read, when the kernel said when it arrived (the
 *     client's record), how long it had waited, last.
 *
 * A heartbeat then costs 3 to 5 bytes instead of a 32-byte event: 128
 * events of a client at 1 s heartbeats take about 600 bytes, not 4 KiB.
 * Nothing is rounded: every event reads back exactly as it was appended.
 * Readers get HbTimelineEvents decoded in order, the previous one kept so
 * that reading forward costs one decode per event.
 */

#include "config.h"

#include <string.h>

#include "hb-timeline.h"

/* The longest encoding: two bytes, three varints of up to 10 bytes for a
 * 64-bit value, two of up to 5 for a 32-bit one. */
#define MAX_ENCODED   42
#define MIN_BUFFER    48

#define F_REPEAT      0x80   /* like the event two before */
#define F_WALL_SAME   0x40   /* the wall clock moved as the monotonic one */
#define F_PEER        0x20   /* literal: initiator is the peer */
#define F_ARRIVAL     0x10   /* what was read says when it arrived: waited_us follows */
#define F_NEXT_ARG    0x01   /* repeat: the argument two before, plus one */
#define KIND_MASK     0x0f

/* What decoding the next event needs: the time of the one before, and
 * the two before it for a repeat ([0] is the newest). */
typedef struct
{
  gint64  mono;
  gint64  wall;
  guint32 bytes[2];
  guint32 arg[2];
  guint8  kind[2];
  guint8  verb[2];
  guint8  initiator[2];
} State;

/* A reader's place: the event last returned, and what comes after it. */
typedef struct
{
  HbTimelineEvent ev;
  guint64         next;      /* number of the next event, counted from the first ever */
  guint64         pos;       /* its position in the stream of encoded bytes */
  State           state;     /* the state before it */
} Cursor;

struct _HbTimeline
{
  GObject          parent_instance;
  guint8          *buf;
  guint32          size;      /* allocated */
  guint32          head;      /* where the oldest event's bytes start */
  guint32          len;       /* bytes of the events kept */
  guint            capacity;
  guint            n_events;
  guint64          dropped;
  guint64          base_pos;  /* stream position of the oldest event kept */
  State            base;      /* the state before it */
  State            last;      /* the state after the newest */
  Cursor          *cursor;    /* made by the first hb_timeline_get_event() */
  HbProtocol       protocol;
  GBytes          *heartbeat;
  GBytes          *ack;
  HbEncoding       encoding;
};

G_DEFINE_FINAL_TYPE (HbTimeline, hb_timeline, G_TYPE_OBJECT)

enum {
  APPENDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
hb_timeline_finalize (GObject *object)
{
  HbTimeline *self = HB_TIMELINE (object);

  g_free (self->buf);
  g_free (self->cursor);
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

/* ---------------------------------------------------------------------- */
/* The encoding                                                            */

static guint8 *
put_varint (guint8  *p,
            guint64  v)
{
  while (v >= 0x80)
    {
      *p++ = (guint8) (v | 0x80);
      v >>= 7;
    }
  *p++ = (guint8) v;
  return p;
}

static const guint8 *
get_varint (const guint8 *p,
            guint64      *v)
{
  guint64 result = 0;
  guint shift = 0;

  do
    {
      result |= (guint64) (*p & 0x7f) << shift;
      shift += 7;
    }
  while (*p++ & 0x80);
  *v = result;
  return p;
}

static guint64
zigzag (gint64 v)
{
  return ((guint64) v << 1) ^ (guint64) (v >> 63);
}

static gint64
unzigzag (guint64 v)
{
  return (gint64) (v >> 1) ^ -(gint64) (v & 1);
}

static void
state_push (State                 *s,
            const HbTimelineEvent *ev)
{
  s->mono = ev->mono_us;
  s->wall = ev->wall_us;
  s->bytes[1] = s->bytes[0];
  s->arg[1] = s->arg[0];
  s->kind[1] = s->kind[0];
  s->verb[1] = s->verb[0];
  s->initiator[1] = s->initiator[0];
  s->bytes[0] = ev->bytes;
  s->arg[0] = ev->arg;
  s->kind[0] = ev->kind;
  s->verb[0] = ev->verb;
  s->initiator[0] = ev->initiator;
}

/* Writes @ev, following the events that left @s, into @out (at least
 * MAX_ENCODED bytes); returns the length. */
static guint
encode (const State           *s,
        const HbTimelineEvent *ev,
        guint8                *out)
{
  guint8 *p = out + 1;
  /* The monotonic clock never goes back: its own reading, taken here. */
  guint64 dmono = (guint64) (ev->mono_us - s->mono);
  gint64 dwall = (ev->wall_us - s->wall) - (ev->mono_us - s->mono);
  guint8 flags = (dwall == 0 ? F_WALL_SAME : 0) | (ev->arrival_known ? F_ARRIVAL : 0);

  if (ev->kind == s->kind[1] && ev->verb == s->verb[1] && ev->initiator == s->initiator[1] &&
      ev->bytes == s->bytes[1] && (ev->arg == s->arg[1] || ev->arg == s->arg[1] + 1))
    {
      out[0] = F_REPEAT | flags | (ev->arg != s->arg[1] ? F_NEXT_ARG : 0);
      p = put_varint (p, dmono);
      if (dwall != 0)
        p = put_varint (p, zigzag (dwall));
      if (ev->arrival_known)
        p = put_varint (p, ev->waited_us);
      return p - out;
    }

  out[0] = flags | (ev->initiator == HB_INITIATOR_PEER ? F_PEER : 0) | (ev->kind & KIND_MASK);
  *p++ = ev->verb;
  p = put_varint (p, dmono);
  if (dwall != 0)
    p = put_varint (p, zigzag (dwall));
  p = put_varint (p, ev->bytes);
  p = put_varint (p, zigzag ((gint32) (ev->arg - s->arg[0])));
  if (ev->arrival_known)
    p = put_varint (p, ev->waited_us);
  return p - out;
}

/* Reads one event at @p, following the events that left @s, into @ev and
 * moves @s past it; returns the length. */
static guint
decode (State           *s,
        const guint8    *p,
        HbTimelineEvent *ev)
{
  const guint8 *start = p;
  guint8 b0 = *p++;
  guint64 v;

  if (b0 & F_REPEAT)
    {
      ev->kind = s->kind[1];
      ev->verb = s->verb[1];
      ev->initiator = s->initiator[1];
      ev->bytes = s->bytes[1];
      ev->arg = s->arg[1] + ((b0 & F_NEXT_ARG) ? 1 : 0);
    }
  else
    {
      ev->kind = b0 & KIND_MASK;
      ev->initiator = (b0 & F_PEER) ? HB_INITIATOR_PEER : HB_INITIATOR_LOCAL;
      ev->verb = *p++;
    }
  p = get_varint (p, &v);
  ev->mono_us = s->mono + (gint64) v;
  ev->wall_us = s->wall + (gint64) v;
  if (!(b0 & F_WALL_SAME))
    {
      p = get_varint (p, &v);
      ev->wall_us += unzigzag (v);
    }
  if (!(b0 & F_REPEAT))
    {
      p = get_varint (p, &v);
      ev->bytes = (guint32) v;
      p = get_varint (p, &v);
      ev->arg = s->arg[0] + (guint32) unzigzag (v);
    }
  ev->arrival_known = (b0 & F_ARRIVAL) != 0;
  ev->waited_us = 0;
  if (ev->arrival_known)
    {
      p = get_varint (p, &v);
      ev->waited_us = (guint32) v;
    }
  state_push (s, ev);
  return p - start;
}

/* ---------------------------------------------------------------------- */
/* The buffer                                                              */

static void
drop_oldest (HbTimeline *self)
{
  HbTimelineEvent ev;
  guint n = decode (&self->base, self->buf + self->head, &ev);

  self->head += n;
  self->len -= n;
  self->base_pos += n;
  self->n_events--;
  self->dropped++;
}

/* Room for @n more bytes after the newest event. The buffer grows by a
 * quarter at a time: most of it is the events themselves. */
static void
reserve (HbTimeline *self,
         guint       n)
{
  if (self->head + self->len + n <= self->size)
    return;
  if (self->len + n > self->size)
    {
      guint32 want = MAX ((self->len + n) + (self->len + n) / 4, MIN_BUFFER);
      guint8 *buf = g_malloc (want);

      if (self->len > 0)
        memcpy (buf, self->buf + self->head, self->len);
      g_free (self->buf);
      self->buf = buf;
      self->size = want;
    }
  else
    memmove (self->buf, self->buf + self->head, self->len);
  self->head = 0;
}

static void
push (HbTimeline            *self,
      const HbTimelineEvent *ev)
{
  guint8 tmp[MAX_ENCODED];
  guint n;

  if (self->n_events == self->capacity)
    drop_oldest (self);
  n = encode (&self->last, ev, tmp);
  reserve (self, n);
  memcpy (self->buf + self->head + self->len, tmp, n);
  self->len += n;
  self->n_events++;
  state_push (&self->last, ev);
}

/**
 * hb_timeline_get_event:
 * @index: 0 is the oldest event kept
 *
 * Returns: the event, valid until the next call or the next append.
 * Reading in order costs one decode per event.
 */
const HbTimelineEvent *
hb_timeline_get_event (HbTimeline *self,
                       guint       index)
{
  guint64 number;
  Cursor *c;

  g_return_val_if_fail (HB_IS_TIMELINE (self), NULL);
  g_return_val_if_fail (index < self->n_events, NULL);

  number = self->dropped + index;
  if (self->cursor == NULL)
    self->cursor = g_new0 (Cursor, 1);
  c = self->cursor;
  if (c->next > 0 && number == c->next - 1 && c->next - 1 >= self->dropped)
    return &c->ev;
  if (c->next < self->dropped || c->next > number)
    {
      c->next = self->dropped;
      c->pos = self->base_pos;
      c->state = self->base;
    }
  while (c->next <= number)
    {
      c->pos += decode (&c->state, self->buf + self->head + (c->pos - self->base_pos), &c->ev);
      c->next++;
    }
  return &c->ev;
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
  HbTimelineEvent ev = { 0 };

  ev.mono_us = g_get_monotonic_time ();
  ev.wall_us = g_get_real_time ();
  ev.bytes = bytes;
  ev.arg = arg;
  ev.kind = kind;
  ev.verb = verb;
  ev.initiator = initiator;
  ev.arrival_known = arrived_mono > 0;
  ev.waited_us = arrived_mono > 0 ? (guint32) CLAMP (ev.mono_us - arrived_mono, 0, G_MAXUINT32) : 0;
  push (self, &ev);

  g_signal_emit (self, signals[APPENDED], 0, &ev);
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
  g_return_if_fail ((guint) kind <= KIND_MASK && (guint) verb <= G_MAXUINT8);
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
  g_return_if_fail ((guint) kind <= KIND_MASK && (guint) verb <= G_MAXUINT8);
  append (self, kind, verb, bytes, arg, HB_INITIATOR_PEER, arrived_mono);
}

void
hb_timeline_append_n (HbTimeline    *self,
                      HbEventKind    kind,
                      HbVerb         verb,
                      const guint32 *bytes,
                      guint          n,
                      HbInitiator    initiator,
                      gint64         mono_us,
                      gint64         wall_us)
{
  HbTimelineEvent ev = { 0 };
  gboolean watched;

  g_return_if_fail (HB_IS_TIMELINE (self));
  g_return_if_fail ((guint) kind <= KIND_MASK && (guint) verb <= G_MAXUINT8);

  /* A broadcast block appends to every client's record: the clock is read
   * once per broadcast (the caller's), and handlers looked for once per
   * block, not per line. */
  ev.mono_us = mono_us;
  ev.wall_us = wall_us;
  ev.kind = kind;
  ev.verb = verb;
  ev.initiator = initiator;
  watched = g_signal_has_handler_pending (self, signals[APPENDED], 0, FALSE);
  for (guint i = 0; i < n; i++)
    {
      HbTimelineEvent copy;

      ev.bytes = bytes[i];
      push (self, &ev);
      if (watched)
        {
          /* A handler may keep nothing past the emission, but may change
           * what it was given: each gets its own copy. */
          copy = ev;
          g_signal_emit (self, signals[APPENDED], 0, &copy);
        }
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
  hb_bytes_set (&self->heartbeat, heartbeat);
  hb_bytes_set (&self->ack, ack);
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
