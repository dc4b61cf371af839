/* hb-lab-scan.h - the lab's heartbeat and ack in the segments of a capture: alone, glued to other bytes, or cut in two
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Private to HbConversation, which has one per connection.
 */
#pragma once

#include "hb-boundary.h"
#include "hb-packet.h"

G_BEGIN_DECLS

typedef struct _HbLabScan HbLabScan;

HbLabScan *hb_lab_scan_new          (void);
void       hb_lab_scan_free         (HbLabScan    *self);
/* NULL: the lab's default. Forgets a pattern's start carried over. */
void       hb_lab_scan_set_patterns (HbLabScan    *self,
                                     GBytes       *heartbeat,
                                     GBytes       *ack);
GBytes    *hb_lab_scan_get_pattern  (HbLabScan    *self,
                                     HbLabPattern  which);
/* A heartbeat or ack was seen, and no line of the line protocol. */
gboolean   hb_lab_scan_is_lab       (HbLabScan    *self);
/* Whether @payload is nothing but copies of the heartbeat, or of the ack. */
gboolean   hb_lab_scan_is_heartbeat (HbLabScan    *self,
                                     const guint8 *payload,
                                     gsize         len);
/* Fills @packet's lab_chunk and lab_pattern from @data, its whole
 * payload (NULL when not captured whole), @side being the sender (0 or
 * 1). @packets are the connection's packets before this one, in capture
 * order: the scan corrects the one that held a pattern's start once this
 * one brings the rest. */
void       hb_lab_scan_packet       (HbLabScan    *self,
                                     guint         side,
                                     HbPacket     *packet,
                                     const guint8 *data,
                                     GPtrArray    *packets);

G_END_DECLS
