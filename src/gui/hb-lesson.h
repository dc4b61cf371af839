/* hb-lesson.h - what the teaching view says: each phase of a TCP conversation, a reset, message boundaries
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "hb-segment.h"

G_BEGIN_DECLS

/* A phase (HbTcpPhase) as the line protocol lives it. */
const char *hb_phase_explanation     (int          phase);
/* The same in the lab's protocol, which has no PING n and no lines. */
const char *hb_lab_phase_explanation (HbTcpPhase   phase);
/* What a segment of the application's record teaches: its phase, a
 * reset, or, for a read that glued or split messages, message
 * boundaries. */
char       *hb_segment_explanation   (HbSegment   *seg);
/* What Wireshark's TCP analysis labels on a segment teach (loss and
 * reordering, flow control, keep-alive, reused ports), and which fault
 * switch of the client window shows it; NULL when it has none. */
const char *hb_analysis_explanation  (guint32      analysis);
/* The lesson on message boundaries (粘包/拆包) after @what, a sentence on
 * what a read or a segment held. */
char       *hb_boundary_explanation  (const char  *what);

G_END_DECLS
