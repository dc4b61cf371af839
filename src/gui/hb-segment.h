/* hb-segment.h - one arrow of a ladder diagram: a TCP segment or a protocol line
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "heartbeat-lab.h"

G_BEGIN_DECLS

typedef enum
{
  HB_PHASE_HANDSHAKE,
  HB_PHASE_DATA,
  HB_PHASE_HEARTBEAT,
  HB_PHASE_TEARDOWN,
} HbPhase;

#define HB_TYPE_SEGMENT (hb_segment_get_type ())
G_DECLARE_FINAL_TYPE (HbSegment, hb_segment, HB, SEGMENT, GObject)

HbSegment  *hb_segment_new          (gint64       time_us,
                                     gboolean     from_client,
                                     HbPhase      phase,
                                     const char  *label,
                                     const char  *detail);
gint64      hb_segment_get_time     (HbSegment   *self);
gboolean    hb_segment_get_from_client (HbSegment *self);
HbPhase     hb_segment_get_phase    (HbSegment   *self);
const char *hb_segment_get_label    (HbSegment   *self);
const char *hb_segment_get_detail   (HbSegment   *self);
/* Marks a segment that ends a connection abruptly (RST) or a state note. */
void        hb_segment_set_alarm    (HbSegment   *self,
                                     gboolean     alarm);
gboolean    hb_segment_get_alarm    (HbSegment   *self);
const char *hb_phase_to_string      (HbPhase      phase);
const char *hb_phase_title          (HbPhase      phase);

/* Keeps @store in step with @timeline (the application's own record of a
 * connection: lines, FINs, close), as segments seen from @client_side's
 * point of view: TRUE when the timeline belongs to the client. */
void        hb_segments_follow_timeline (GListStore *store,
                                         HbTimeline *timeline,
                                         gboolean    client_side);

G_END_DECLS
