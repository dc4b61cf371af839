/* hb-boundary.h - message boundaries in words: what one read, or one captured segment, of an unframed stream held
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "hb-lab.h"

G_BEGIN_DECLS

/* Which of the lab's two patterns a read or a segment carried. */
typedef enum
{
  HB_LAB_PATTERN_NONE,
  HB_LAB_PATTERN_HEARTBEAT,
  HB_LAB_PATTERN_ACK,
} HbLabPattern;

/* What is described: one read of a program (what recv() returned), or
 * one TCP segment of a capture. */
typedef enum
{
  HB_BOUNDARY_READ,
  HB_BOUNDARY_SEGMENT,
} HbBoundaryUnit;

/* Whether @info shows TCP cutting messages where the programs did not:
 * several pieces in one (粘包), a piece in several (拆包), or an end that
 * may be the start of a pattern. */
gboolean  hb_chunk_info_crosses_boundary (const HbChunkInfo *info);

/**
 * hb_chunk_info_describe:
 * @info: what the read or segment held
 * @bytes: its size
 * @pattern_text: (nullable): the pattern it held, as shown to people
 *   (hb_bytes_to_display()); NULL when @info counts no pattern
 * @pattern: which pattern that is, for "start of an ack?"
 * @unit: a read or a segment
 *
 * Names what one read or segment held, in the words of the lab's
 * protocol, translated: "heartbeat ack", "2 × heartbeat ack (2 in one
 * read)", "heartbeat ack + message (2 in one read)", "message, 3 bytes",
 * "5 bytes (start of an ack?)" (a segment's start is no guess: "start of
 * an ack"), "heartbeat ack (split across reads)", and "7 bytes" when
 * nothing was recognised (raw TCP).
 */
char     *hb_chunk_info_describe         (const HbChunkInfo *info,
                                          guint32            bytes,
                                          const char        *pattern_text,
                                          HbLabPattern       pattern,
                                          HbBoundaryUnit     unit);

G_END_DECLS
