/* hb-client-stream.h - the lab's protocol and raw TCP in the client window's conversation: each read as it came, with what to notice about it, and each send
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "heartbeat-lab.h"
#include "hb-log-entry.h"

G_BEGIN_DECLS

/* The entry for one read of @client (its ::data-received): when, how
 * many bytes, their text and hex, and, in the lab's protocol, a note when
 * the read held several pieces (粘包) or part of one (拆包), with what the
 * client does about the heartbeats in it. */
HbLogEntry *hb_client_read_entry  (HbClient          *client,
                                   GBytes            *bytes,
                                   const HbChunkInfo *info);
/* Sends @text as typed (in the client's encoding, with its line ending)
 * or, if @hex, the bytes its hex digits spell, and returns the entry of
 * what went out. NULL when nothing went out: not connected (no error),
 * or no bytes to send (@error says why). */
HbLogEntry *hb_client_send_typed  (HbClient          *client,
                                   const char        *text,
                                   gboolean           hex,
                                   GError           **error);

G_END_DECLS
