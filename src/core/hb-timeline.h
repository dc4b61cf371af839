/* hb-timeline.h - a bounded record of what happened on one connection
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "hb-lab.h"
#include "hb-protocol.h"

G_BEGIN_DECLS

typedef enum
{
  HB_EVENT_CONNECT,     /* arg: 0 */
  HB_EVENT_LINE_IN,     /* verb, bytes (LF included), arg: seq for PING/PONG */
  HB_EVENT_LINE_OUT,    /* verb, bytes, arg: seq for PING/PONG */
  HB_EVENT_STATE,       /* arg: new HbLiveness (server) or HbClientState (client) */
  HB_EVENT_ERROR,       /* arg: HbErrCode sent or received */
  HB_EVENT_FIN_IN,      /* the peer shut its write side */
  HB_EVENT_FIN_OUT,     /* we shut our write side */
  HB_EVENT_CLOSE,       /* arg: HbByeReason; initiator set */
  HB_EVENT_DATA_IN,     /* one read of an unframed stream (lab, raw): bytes,
                         * verb PING/PONG when it held only heartbeats/acks,
                         * MSG when only messages, else UNKNOWN;
                         * arg: its HbChunkInfo (hb_chunk_info_pack()) */
} HbEventKind;

typedef enum
{
  HB_INITIATOR_LOCAL,   /* this program closed first */
  HB_INITIATOR_PEER,    /* the other end closed first */
} HbInitiator;

typedef struct
{
  gint64   mono_us;     /* g_get_monotonic_time(): when it was recorded */
  gint64   wall_us;     /* g_get_real_time() */
  guint32  bytes;
  guint32  arg;
  guint8   kind;        /* HbEventKind */
  guint8   verb;        /* HbVerb */
  guint8   initiator;   /* HbInitiator, for HB_EVENT_CLOSE */
  /* What was read (LINE_IN, DATA_IN, FIN_IN), when the kernel said when
   * it arrived: @waited_us is how long before @mono_us it had all
   * arrived (at most G_MAXUINT32). For FIN_IN, which the kernel does not
   * stamp, that of the data read just before it, in the same pass: the
   * FIN came after that data and before @mono_us. */
  guint8   arrival_known;
  guint32  waited_us;
} HbTimelineEvent;

#define HB_TYPE_TIMELINE (hb_timeline_get_type ())
G_DECLARE_FINAL_TYPE (HbTimeline, hb_timeline, HB, TIMELINE, GObject)

#define HB_TIMELINE_DEFAULT_CAPACITY 128

HbTimeline            *hb_timeline_new           (guint            capacity);
guint                  hb_timeline_get_capacity  (HbTimeline      *self);
guint                  hb_timeline_get_n_events  (HbTimeline      *self);
guint64                hb_timeline_get_dropped   (HbTimeline      *self);
/* @index 0 is the oldest event kept. The event is decoded from the
 * record's compact form: valid until the next call or the next append. */
const HbTimelineEvent *hb_timeline_get_event     (HbTimeline      *self,
                                                  guint            index);
void                   hb_timeline_append        (HbTimeline      *self,
                                                  HbEventKind      kind,
                                                  HbVerb           verb,
                                                  guint32          bytes,
                                                  guint32          arg,
                                                  HbInitiator      initiator);
/* What was read from the peer (LINE_IN, DATA_IN, FIN_IN, initiator
 * peer), with when it arrived (@arrived_mono, monotonic µs, from
 * hb_channel_get_arrival(); 0 when unknown). */
void                   hb_timeline_append_read   (HbTimeline      *self,
                                                  HbEventKind      kind,
                                                  HbVerb           verb,
                                                  guint32          bytes,
                                                  guint32          arg,
                                                  gint64           arrived_mono);
/* @n events of one kind at one instant, the caller's (read once for
 * every client of a broadcast; not before this timeline's newest event),
 * e.g. the lines of one broadcast block; "appended" is emitted for each,
 * as hb_timeline_append() would. */
void                   hb_timeline_append_n      (HbTimeline      *self,
                                                  HbEventKind      kind,
                                                  HbVerb           verb,
                                                  const guint32   *bytes,
                                                  guint            n,
                                                  HbInitiator      initiator,
                                                  gint64           mono_us,
                                                  gint64           wall_us);
/* The protocol the connection speaks, which names its lines and reads:
 * "PING 3" in the line protocol is "heartbeat" in the lab's. */
HbProtocol             hb_timeline_get_protocol  (HbTimeline      *self);
void                   hb_timeline_set_protocol  (HbTimeline      *self,
                                                  HbProtocol       protocol);
/* In the lab's protocol, the heartbeat and the ack the connection uses and
 * the encoding of its text, which name what was written and read. NULL
 * until set: the lab's defaults. */
void                   hb_timeline_set_patterns  (HbTimeline      *self,
                                                  GBytes          *heartbeat,
                                                  GBytes          *ack,
                                                  HbEncoding       encoding);
GBytes                *hb_timeline_get_heartbeat (HbTimeline      *self);
GBytes                *hb_timeline_get_ack       (HbTimeline      *self);
HbEncoding             hb_timeline_get_encoding  (HbTimeline      *self);
const char            *hb_event_kind_to_string   (HbEventKind      kind);
const char            *hb_initiator_to_string    (HbInitiator      initiator);

G_END_DECLS
