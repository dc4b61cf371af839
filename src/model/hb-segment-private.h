/* hb-segment-private.h - HbSegment's fields, for the model files that make segments
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * hb-segment.c: the segment; hb-segment-record.c: segments from a
 * connection's own record; hb-segment-model.c: the list of them.
 */
#pragma once

#include "hb-segment.h"

G_BEGIN_DECLS

struct _HbSegment
{
  GObject     parent_instance;
  gint64      time_us;
  gboolean    from_client;
  gboolean    alarm;
  gboolean    note;
  gboolean    inferred;   /* drawn as the textbook does, not seen (no capture) */
  gboolean    read;       /* one read of an unframed stream: chunk says what it held */
  guint32     chunk;      /* packed HbChunkInfo */
  guint8      reader;     /* HbSegmentReader: read by the record's own program */
  guint8      kind;       /* the HbEventKind it comes from, when read */
  gboolean    arrival_known;
  gint64      waited_us;  /* how long before it was read it had arrived */
  HbTcpPhase  phase;
  guint       length;
  const char *protocol;   /* static */
  char       *label;
  char       *head;       /* the label's analysis prefixes and flags */
  char       *tail;       /* and what follows the length: the payload */
  char       *info;
  char       *source;
  char       *destination;
  HbPacket   *packet;
};

/* A connection's record (HbTimeline) read event by event as segments,
 * seen from @client_side's end; the labels name the two ends in the
 * Source and Destination columns (NULL: "client", "server"). */
typedef struct _HbRecordReader HbRecordReader;

HbRecordReader *hb_record_reader_new         (HbTimeline            *timeline,
                                              gboolean               client_side,
                                              const char            *client_label,
                                              const char            *server_label);
void            hb_record_reader_free        (HbRecordReader        *reader);
/* Where the newest connection of the record begins: its CONNECT, or 0. */
guint           hb_record_reader_first_event (HbRecordReader        *reader);
/* Adds to @segments (each a new reference) what @ev stands for: none,
 * one, or several (the handshake's three; a FIN and the final ACK), in
 * time order. Once the client connects again, a note says so and
 * nothing more is added. */
void            hb_record_reader_read        (HbRecordReader        *reader,
                                              const HbTimelineEvent *ev,
                                              GPtrArray             *segments);
/* The monotonic time of the connection's first event (time 0), or 0
 * before there is one. */
gint64          hb_record_reader_get_origin  (HbRecordReader        *reader);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbRecordReader, hb_record_reader_free)

G_END_DECLS
