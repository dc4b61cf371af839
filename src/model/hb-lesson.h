/* hb-lesson.h - what the teaching view says: each phase of a TCP conversation, a reset, message boundaries, the kernel's view
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "hb-segment.h"

G_BEGIN_DECLS

/* A phase (HbTcpPhase) as the line protocol lives it. */
const char *hb_phase_explanation     (int              phase);
/* The same in the lab's protocol, which has no PING n and no lines. */
const char *hb_lab_phase_explanation (HbTcpPhase       phase);
/* The lesson on a reset: who sends one, and what is lost. */
const char *hb_lesson_reset          (void);
/* This project's BYE line against TCP's FIN, for a BYE row. */
const char *hb_lesson_bye            (void);
/* Why a row of the application's record (no capture) stands for
 * segments it did not see: the handshake's, or the teardown's. */
const char *hb_lesson_inferred       (HbTcpPhase       phase);
/* The TCP State panel: what the kernel says of one socket, @whose
 * naming it. */
char       *hb_lesson_tcp_info       (const HbTcpInfo *info,
                                      const char      *whose);
/* The TCP State panel once this program has closed its socket, from the
 * state the kernel still lists (HB_TCP_UNKNOWN: none). */
char       *hb_lesson_closed_socket  (HbTcpState       state);
/* What a segment of the application's record teaches: its phase, a
 * reset, or, for a read that glued or split messages, message
 * boundaries. */
char       *hb_segment_explanation   (HbSegment       *seg);
/* What Wireshark's TCP analysis labels on a segment teach (loss and
 * reordering, flow control, keep-alive, reused ports), and which fault
 * switch of the client window shows it; NULL when it has none. */
const char *hb_analysis_explanation  (guint32          analysis);
/* The lesson on message boundaries (粘包/拆包) after @what, a sentence on
 * what a read or a segment held. */
char       *hb_boundary_explanation  (const char      *what);

G_END_DECLS
