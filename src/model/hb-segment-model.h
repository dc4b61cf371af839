/* hb-segment-model.h - the rows of a timeline window: one list of HbSegment, from a connection's record, a live capture or a file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "hb-capture-session.h"
#include "hb-segment.h"

G_BEGIN_DECLS

#define HB_TYPE_SEGMENT_MODEL (hb_segment_model_get_type ())
G_DECLARE_FINAL_TYPE (HbSegmentModel, hb_segment_model, HB, SEGMENT_MODEL, GObject)

/**
 * HbSegmentModel:
 *
 * A #GListModel of #HbSegment: what the ladder draws and the packet
 * table lists, from one source at a time. Setting a source replaces the
 * rows (one ::items-changed) and stops following the one before.
 *
 * - a connection's own record (an #HbTimeline): followed as it grows,
 *   up to the connection's end (a client that connects again starts
 *   another connection: a note says so, and following stops);
 * - a live capture (an #HbCaptureSession): the connection's packets as
 *   they are captured. Until the first of them, the record followed
 *   before stays;
 * - a conversation of a capture file: whole, however long, its rows
 *   added by hb_segment_model_fill() a slice at a time.
 *
 * A live connection's rows are bounded (HB_SEGMENTS_MAX); a file's are
 * not.
 *
 * Properties: conversation (#HbConversation, read-only: the packets
 * shown, NULL while the rows are the record's)
 */

typedef enum
{
  HB_SEGMENT_SOURCE_NONE,
  HB_SEGMENT_SOURCE_RECORD,    /* a connection's own record */
  HB_SEGMENT_SOURCE_CAPTURE,   /* a live capture's conversation */
  HB_SEGMENT_SOURCE_FILE,      /* a capture file's conversation */
} HbSegmentSource;

HbSegmentModel  *hb_segment_model_new              (void);

/* Follows @timeline's newest connection, seen from @client_side's end;
 * the labels name the ends in the Source and Destination columns. */
void             hb_segment_model_follow_record    (HbSegmentModel   *self,
                                                    HbTimeline       *timeline,
                                                    gboolean          client_side,
                                                    const char       *client_label,
                                                    const char       *server_label);
/* Shows the packets @session captures of the connection between the two
 * endpoints, from the first one on (at once if it has some already);
 * the record followed so far stays until then. A capture started again
 * shows its new record of the connection. */
void             hb_segment_model_follow_capture   (HbSegmentModel   *self,
                                                    HbCaptureSession *session,
                                                    const char       *client_ip,
                                                    guint             client_port,
                                                    const char       *server_ip,
                                                    guint             server_port);
/* Shows @conversation of @file, which has been loaded. No row is added
 * yet: hb_segment_model_fill() adds them, and its first slice replaces
 * the rows shown so far. */
void             hb_segment_model_show_file        (HbSegmentModel   *self,
                                                    HbCaptureFile    *file,
                                                    HbConversation   *conversation);
/* Adds the next @n packets of the file's conversation as rows. Returns
 * whether any remain. */
gboolean         hb_segment_model_fill             (HbSegmentModel   *self,
                                                    guint             n);
/* How many packets of the file's conversation are rows, of how many. */
void             hb_segment_model_get_fill         (HbSegmentModel   *self,
                                                    guint            *done,
                                                    guint            *total);
/* Stops following the source (and filling): the rows stay, no more
 * come. */
void             hb_segment_model_stop             (HbSegmentModel   *self);

/* Appends a row (a note of the kernel's state, say), dropping the
 * oldest rows beyond HB_SEGMENTS_MAX. */
void             hb_segment_model_append           (HbSegmentModel   *self,
                                                    HbSegment        *segment);

HbSegmentSource  hb_segment_model_get_source       (HbSegmentModel   *self);
HbConversation  *hb_segment_model_get_conversation (HbSegmentModel   *self);
/* The link type of the packets shown (for writing them), or -1. */
int              hb_segment_model_get_linktype     (HbSegmentModel   *self);
/* Time 0 of the rows: a capture's first packet or a file's start
 * (wall-clock µs), or the record's first event (monotonic µs; 0 while
 * the record is empty). */
gint64           hb_segment_model_get_origin       (HbSegmentModel   *self);
/* Rows that are notes on a lifeline, not segments. */
guint            hb_segment_model_get_n_notes      (HbSegmentModel   *self);

G_END_DECLS
