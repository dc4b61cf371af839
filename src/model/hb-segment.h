/* hb-segment.h - one arrow of a ladder diagram and one row of its table: a TCP segment or a protocol line
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "heartbeat-lab.h"

G_BEGIN_DECLS

#define HB_TYPE_SEGMENT (hb_segment_get_type ())
G_DECLARE_FINAL_TYPE (HbSegment, hb_segment, HB, SEGMENT, GObject)

/**
 * HbSegment:
 *
 * What the ladder draws and the packet table lists, from either source:
 * a captured TCP segment (with its #HbPacket, for the header fields and
 * the bytes) or an event of the application's own timeline (a line read
 * or written, a FIN, a close), which carries no packet.
 */

/* From the application's timeline. @time_us counts from the first event. */
HbSegment  *hb_segment_new              (gint64          time_us,
                                         gboolean        from_client,
                                         HbTcpPhase      phase,
                                         const char     *label);
/* From a capture. @origin_us is the capture time shown as 0. */
HbSegment  *hb_segment_new_from_packet  (HbPacket       *packet,
                                         gint64          origin_us,
                                         gboolean        from_client);
/* A note on one lifeline rather than an arrow: the kernel's TCP state of
 * this program's socket changed. @on_client: the client's lifeline. */
HbSegment  *hb_segment_new_note         (gint64          time_us,
                                         gboolean        on_client,
                                         HbTcpPhase      phase,
                                         const char     *label,
                                         const char     *info);
gboolean    hb_segment_is_note          (HbSegment      *self);
/* Whether the application's record (no capture) only implies this
 * segment: the handshake's three, the FINs and the final ACK. */
gboolean    hb_segment_get_inferred     (HbSegment      *self);
/* Whether the segment is one read of the lab's protocol or raw TCP, from
 * the application's record; @info (may be NULL) gets what it held. */
gboolean    hb_segment_get_read         (HbSegment      *self,
                                         HbChunkInfo    *info);
gint64      hb_segment_get_time         (HbSegment      *self);
gboolean    hb_segment_get_from_client  (HbSegment      *self);
HbTcpPhase  hb_segment_get_phase        (HbSegment      *self);
/* The arrow's label: "SYN, ACK", "PSH, ACK Len=7  PING 3". */
const char *hb_segment_get_label        (HbSegment      *self);
/* Wireshark's Info column: "4324 → 12001 [PSH, ACK] Seq=14 Ack=10 ...". */
const char *hb_segment_get_info         (HbSegment      *self);
/* Source and Destination columns. */
const char *hb_segment_get_source       (HbSegment      *self);
const char *hb_segment_get_destination  (HbSegment      *self);
/* "TCP" for a segment; for the application's record "HB" (a line of the
 * line protocol), "Lab" or "Raw" (a write or a read of the lab's protocol
 * or raw TCP), "Kernel" (a note). */
const char *hb_segment_get_protocol     (HbSegment      *self);
/* Bytes on the wire for a packet, the line's bytes for a timeline line,
 * 0 when unknown. */
guint       hb_segment_get_length       (HbSegment      *self);
/* The captured segment; NULL for a timeline event. */
HbPacket   *hb_segment_get_packet       (HbSegment      *self);
/* Which program read the segment, when the application's record says it
 * was read (a line, a read, a FIN from the peer). */
typedef enum
{
  HB_SEGMENT_READER_NONE,
  HB_SEGMENT_READER_CLIENT,  /* a client window's own record */
  HB_SEGMENT_READER_SERVER,  /* the server's record of a client */
} HbSegmentReader;

/* How long after it arrived the program read it (µs), when the kernel
 * said when it arrived; -1 when it was not read or that is not known.
 * Such a segment is drawn when it arrived. */
gint64      hb_segment_get_read_late    (HbSegment      *self);
/* What the row should say about its time: that it was read long after it
 * arrived, or (unless @noticeable_only) that its time is when it was read.
 * NULL when there is nothing to say. */
char       *hb_segment_describe_arrival (HbSegment      *self,
                                         gboolean        noticeable_only);
void        hb_segment_set_endpoints    (HbSegment      *self,
                                         const char     *source,
                                         const char     *destination);
/* Marks a segment that ends a connection abruptly (RST), or a
 * retransmission: drawn in the alarm colour. */
void        hb_segment_set_alarm        (HbSegment      *self,
                                         gboolean        alarm);
gboolean    hb_segment_get_alarm        (HbSegment      *self);

/* How a ladder numbers its arrows: as textbooks write them (the client's
 * initial sequence number x, the server's y: "SYN, ACK seq=y ack=x+1"),
 * Wireshark's relative numbers, the raw ones, or not at all. */
typedef enum
{
  HB_LADDER_NUMBERS_OFF,
  HB_LADDER_NUMBERS_SYMBOLIC,
  HB_LADDER_NUMBERS_RELATIVE,
  HB_LADDER_NUMBERS_ABSOLUTE,
} HbLadderNumbers;

/* "symbolic", "relative", "absolute", "off"; unknown names are off. */
HbLadderNumbers hb_ladder_numbers_from_string (const char *name);
const char     *hb_ladder_numbers_to_string   (HbLadderNumbers numbers);

/* The arrow's label with its numbers: "SYN, ACK seq=y ack=x+1",
 * "PSH, ACK seq=1 ack=1 len=7 win=65536  PING 3" (relative); the label
 * alone when the segment has no packet or @numbers is off. */
char       *hb_segment_format_numbered  (HbSegment      *self,
                                         HbLadderNumbers numbers);

/* A ladder keeps at most this many rows of a live connection; older
 * ones give way, a tenth at a time, so that a window left open for days
 * stays small (HbSegmentModel). */
#define HB_SEGMENTS_MAX 20000

G_END_DECLS
