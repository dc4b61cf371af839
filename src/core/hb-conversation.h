/* hb-conversation.h - one TCP connection in a capture, numbered and labelled the way Wireshark does
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "hb-boundary.h"
#include "hb-packet.h"

G_BEGIN_DECLS

#define HB_TYPE_CONVERSATION (hb_conversation_get_type ())
G_DECLARE_FINAL_TYPE (HbConversation, hb_conversation, HB, CONVERSATION, GObject)

/**
 * HbConversation:
 *
 * The packets of one TCP connection (a 4-tuple, until a SYN with another
 * initial sequence number starts a new one), analysed as they are added:
 * each packet gets Wireshark's relative sequence and acknowledgement
 * numbers, its window scaled by its sender's shift, a phase, and flags
 * for retransmissions and out-of-order segments.
 *
 * The client is the side that sent the SYN. Without a captured SYN, the
 * side that is not on the server's port when that is known
 * (hb_conversation_set_server_port()), else the side that sent the first
 * packet (ports say nothing sure: Windows gave clients ports like 4324).
 */

/* @index: the number Wireshark would give the stream (tcp.stream). */
HbConversation *hb_conversation_new                (guint                 index);
guint           hb_conversation_get_index          (HbConversation       *self);
/* The port the server listens on, when the caller knows it (a live
 * capture filtered to it): decides who is the client when the capture
 * began after the handshake. Before the first packet. */
void            hb_conversation_set_server_port    (HbConversation       *self,
                                                    guint                 port);
/* The lab's heartbeat and ack (the `lab` protocol): a segment whose
 * payload is nothing but copies of one of them, each maybe followed by a
 * line ending, is a heartbeat, as PING/PONG lines are; a segment that holds
 * one with other bytes, or a part of one, says so in its packet's
 * lab_chunk and lab_pattern. NULL: the lab's default (`heartbeat`,
 * `heartbeat ack`), which a new conversation recognises. For the packets
 * added from now on. */
void            hb_conversation_set_lab_patterns   (HbConversation       *self,
                                                    GBytes               *heartbeat,
                                                    GBytes               *ack);
GBytes         *hb_conversation_get_lab_pattern    (HbConversation       *self,
                                                    HbLabPattern          which);
/* Whether the conversation looks like the lab's protocol: a heartbeat or
 * ack of it was seen, and no line of this project's line protocol. */
gboolean        hb_conversation_get_is_lab         (HbConversation       *self);
/* What @packet held of the lab's protocol when it glued a heartbeat or
 * ack to other bytes or carried only a part of one (粘包, 拆包), in the
 * words of hb_chunk_info_describe(): "heartbeat ack + message (2 in one
 * segment)"; NULL otherwise. @encoding shows the pattern's bytes. */
char           *hb_conversation_describe_lab       (HbConversation       *self,
                                                    const HbPacket       *packet,
                                                    HbEncoding            encoding);
/* Whether @packet belongs here: the same 4-tuple, and not a SYN that
 * starts a new connection. An empty conversation accepts anything. */
gboolean        hb_conversation_accepts            (HbConversation       *self,
                                                    const HbPacket       *packet);
/* Analyses @packet, filling its analysis fields, and keeps a reference.
 * Packets must come in capture order. */
void            hb_conversation_add                (HbConversation       *self,
                                                    HbPacket             *packet);
guint           hb_conversation_get_n_packets      (HbConversation       *self);
HbPacket       *hb_conversation_get_packet         (HbConversation       *self,
                                                    guint                 index);
/* The packets in capture order (HbPacket *); do not modify. */
GPtrArray      *hb_conversation_get_packets        (HbConversation       *self);

int             hb_conversation_get_family         (HbConversation       *self);
const char     *hb_conversation_get_client_address (HbConversation       *self);
guint16         hb_conversation_get_client_port    (HbConversation       *self);
const char     *hb_conversation_get_server_address (HbConversation       *self);
guint16         hb_conversation_get_server_port    (HbConversation       *self);
/* Whether the SYN of the client was captured. */
gboolean        hb_conversation_get_saw_syn        (HbConversation       *self);
/* "127.0.0.1:4324 → 127.0.0.1:12001", "[::1]:4324 → [::1]:12001" */
char           *hb_conversation_describe           (HbConversation       *self);

/* Splits @packets (HbPacket *, in capture order) into conversations,
 * analysing every packet. Returns the conversations (HbConversation *)
 * in the order of their first packet. */
GPtrArray      *hb_conversation_split              (GPtrArray            *packets);
/* The same, recognising @heartbeat and @ack (NULL: the lab's defaults)
 * as hb_conversation_set_lab_patterns() says. */
GPtrArray      *hb_conversation_split_lab          (GPtrArray            *packets,
                                                    GBytes               *heartbeat,
                                                    GBytes               *ack);
/* The same, for a capture of one server's port (a live capture saved as a
 * file): its port decides who is the client where the handshake was
 * not captured. @server_port 0: unknown. */
GPtrArray      *hb_conversation_split_full         (GPtrArray            *packets,
                                                    GBytes               *heartbeat,
                                                    GBytes               *ack,
                                                    guint                 server_port);

/* Whether a payload consists of heartbeat lines only ("PING n", "PONG n"). */
gboolean        hb_payload_is_heartbeat            (const guint8         *payload,
                                                    gsize                 len);

G_END_DECLS
