/* hb-conversation.c - one TCP connection in a capture, numbered and labelled the way Wireshark does
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The numbers follow Wireshark 4.0's TCP dissector (CAPTURE.md, "Wireshark's
 * numbers"): a direction's base is the ISN of its SYN, else its first
 * seq - 1, or the first ack seen from the other side - 1, whichever comes
 * first. Window scaling follows verify_tcp_window_scaling(): a SYN's window
 * is never scaled, and a later window is shifted by its sender's WS only
 * when both SYNs offered WS. Sequence numbers are compared as
 * (gint32) (a - b) so that they survive wrap-around.
 *
 * Wireshark's TCP analysis (retransmissions, dup ACKs, zero windows...)
 * is in hb-tcp-analysis.c.
 *
 * Phases are a teaching aid rather than TCP state: SYNs and the ACK that
 * completes them are the handshake; everything from the first FIN, RST
 * or BYE line (the protocol's goodbye) on is the teardown; in between, a
 * segment's payload says whether it is a heartbeat (PING/PONG lines, or
 * nothing but the lab's heartbeat or ack) or data, and a pure ACK takes
 * the phase of the newest segment it acknowledges. A retransmission is
 * what it repeats, also after the first FIN (the data was sent before),
 * and so is an ACK with SACK blocks there (it still acknowledges data);
 * a SYN-ACK repeated once data flowed only acknowledges, like an ACK.
 * TCP's keep-alive and its ACK are TCP's own heartbeat, not data.
 *
 * The lab's heartbeat and ack glued to other bytes or cut across segments
 * are found by HbLabScan (hb-lab-scan.c).
 */

#include "config.h"

#include <string.h>

#include "hb-conversation.h"
#include "hb-lab-scan.h"
#include "hb-protocol.h"
#include "hb-tcp-analysis.h"

/* Payload marks kept per direction for labelling pure ACKs. */
#define MAX_MARKS 1024

#define SEQ_LT(a, b) ((gint32) ((guint32) (a) - (guint32) (b)) < 0)
#define SEQ_LE(a, b) ((gint32) ((guint32) (a) - (guint32) (b)) <= 0)
#define SEQ_GT(a, b) ((gint32) ((guint32) (a) - (guint32) (b)) > 0)

typedef struct
{
  guint32 end;         /* raw seq after the payload */
  guint8  phase;
} Mark;

typedef struct
{
  char        address[HB_PACKET_ADDRESS_LEN];
  guint16     port;

  gboolean    base_set;
  guint32     base;
  gboolean    saw_syn;
  guint32     isn;
  gboolean    sent_payload;
  gboolean    mid_line;      /* the stream stands inside a line at ... */
  guint32     mid_line_seq;  /* ... this raw seq (a line split across segments) */
  GHashTable *seen;          /* raw seq of new data → its phase + 1 */
  GArray     *marks;         /* Mark, oldest first */
} Side;

struct _HbConversation
{
  GObject    parent_instance;

  guint      index;
  GPtrArray *packets;
  int        family;
  Side       side[2];        /* [0] sent the first packet */
  guint      client;         /* index into side[] */
  guint      server_port;    /* 0: not known */
  gboolean   saw_any_syn;
  gboolean   handshake_acked;
  gboolean   closing;
  gboolean   reused_ports;   /* its SYN came on the 4-tuple of an earlier one */
  HbLabScan *lab;
  HbTcpAnalysis tcp;
};

G_DEFINE_FINAL_TYPE (HbConversation, hb_conversation, G_TYPE_OBJECT)

static void
hb_conversation_finalize (GObject *object)
{
  HbConversation *self = HB_CONVERSATION (object);

  g_ptr_array_unref (self->packets);
  for (guint i = 0; i < 2; i++)
    {
      g_hash_table_unref (self->side[i].seen);
      g_array_unref (self->side[i].marks);
    }
  hb_lab_scan_free (self->lab);
  G_OBJECT_CLASS (hb_conversation_parent_class)->finalize (object);
}

static void
hb_conversation_class_init (HbConversationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = hb_conversation_finalize;
}

static void
hb_conversation_init (HbConversation *self)
{
  self->packets = g_ptr_array_new_with_free_func ((GDestroyNotify) hb_packet_unref);
  for (guint i = 0; i < 2; i++)
    {
      /* Keyed by the raw seq itself: no allocation per segment, and
       * sequence numbers spread well (GLib 2.74's g_int64_hash() kept
       * only the low 32 bits of a 64-bit key, a hot spot once). */
      self->side[i].seen = g_hash_table_new (g_direct_hash, g_direct_equal);
      self->side[i].marks = g_array_new (FALSE, FALSE, sizeof (Mark));
    }
  self->lab = hb_lab_scan_new ();
  hb_tcp_analysis_init (&self->tcp);
}

HbConversation *
hb_conversation_new (guint index)
{
  HbConversation *self = g_object_new (HB_TYPE_CONVERSATION, NULL);

  self->index = index;
  return self;
}

void
hb_conversation_set_server_port (HbConversation *self,
                                 guint           port)
{
  g_return_if_fail (HB_IS_CONVERSATION (self));
  g_return_if_fail (self->packets->len == 0);
  self->server_port = port;
}

void
hb_conversation_set_lab_patterns (HbConversation *self,
                                  GBytes         *heartbeat,
                                  GBytes         *ack)
{
  g_return_if_fail (HB_IS_CONVERSATION (self));
  g_return_if_fail (heartbeat == NULL || (g_bytes_get_size (heartbeat) > 0 &&
                                          g_bytes_get_size (heartbeat) <= HB_LAB_MAX_PATTERN));
  g_return_if_fail (ack == NULL || (g_bytes_get_size (ack) > 0 && g_bytes_get_size (ack) <= HB_LAB_MAX_PATTERN));

  hb_lab_scan_set_patterns (self->lab, heartbeat, ack);
}

GBytes *
hb_conversation_get_lab_pattern (HbConversation *self,
                                 HbLabPattern    which)
{
  g_return_val_if_fail (HB_IS_CONVERSATION (self), NULL);
  g_return_val_if_fail (which == HB_LAB_PATTERN_HEARTBEAT || which == HB_LAB_PATTERN_ACK, NULL);
  return hb_lab_scan_get_pattern (self->lab, which);
}

gboolean
hb_conversation_get_is_lab (HbConversation *self)
{
  g_return_val_if_fail (HB_IS_CONVERSATION (self), FALSE);
  return hb_lab_scan_is_lab (self->lab);
}

guint
hb_conversation_get_index (HbConversation *self)
{
  g_return_val_if_fail (HB_IS_CONVERSATION (self), 0);
  return self->index;
}

/* 0 or 1: the side that sent @packet; -1 if it is not of this 4-tuple. */
static int
direction_of (HbConversation *self,
              const HbPacket *packet)
{
  if (packet->family != self->family)
    return -1;
  for (int d = 0; d < 2; d++)
    {
      const Side *from = &self->side[d];
      const Side *to = &self->side[1 - d];

      if (packet->src_port == from->port && packet->dst_port == to->port &&
          strcmp (packet->src, from->address) == 0 && strcmp (packet->dst, to->address) == 0)
        return d;
    }
  return -1;
}

gboolean
hb_conversation_accepts (HbConversation *self,
                         const HbPacket *packet)
{
  int d;

  g_return_val_if_fail (HB_IS_CONVERSATION (self), FALSE);
  g_return_val_if_fail (packet != NULL, FALSE);

  if (self->packets->len == 0)
    return TRUE;
  d = direction_of (self, packet);
  if (d < 0)
    return FALSE;
  /* As Wireshark: a SYN whose seq is not the direction's base is a new
   * connection on a reused 4-tuple; a retransmitted SYN is not. */
  if ((packet->flags & (HB_TCP_SYN | HB_TCP_ACK)) == HB_TCP_SYN &&
      self->side[d].base_set && packet->seq != self->side[d].base)
    return FALSE;
  return TRUE;
}

gboolean
hb_payload_is_heartbeat (const guint8 *payload,
                         gsize         len)
{
  gsize start = 0;
  guint lines = 0;

  if (payload == NULL || len == 0)
    return FALSE;

  while (start < len)
    {
      const guint8 *nl = memchr (payload + start, '\n', len - start);
      gsize end = nl ? (gsize) (nl - payload) : len;
      gsize line_len = end - start;
      const char *line = (const char *) payload + start;

      if (line_len > 0 && line[line_len - 1] == '\r')
        line_len--;
      if (line_len > 0)
        {
          if (line_len < 4 ||
              (memcmp (line, "PING", 4) != 0 && memcmp (line, "PONG", 4) != 0) ||
              (line_len > 4 && line[4] != ' '))
            return FALSE;
          lines++;
        }
      start = end + 1;
    }
  return lines > 0;
}

/* The payload bytes the capture holds (payload_captured of them), or
 * NULL when there are none or the packet's offsets do not fit its data. */
static const char *
captured_payload (const HbPacket *packet)
{
  const guint8 *data;
  gsize size;

  if (packet->data == NULL || packet->payload_captured == 0)
    return NULL;
  data = g_bytes_get_data (packet->data, &size);
  if (packet->payload_offset > size || size - packet->payload_offset < packet->payload_captured)
    return NULL;
  return (const char *) data + packet->payload_offset;
}

static gboolean
packet_is_heartbeat (HbConversation *self,
                     const HbPacket *packet)
{
  const guint8 *payload = (const guint8 *) captured_payload (packet);
  gsize len = packet->payload_captured;

  if (payload == NULL)
    return FALSE;
  return hb_payload_is_heartbeat (payload, len) || hb_lab_scan_is_heartbeat (self->lab, payload, len);
}

char *
hb_conversation_describe_lab (HbConversation *self,
                              const HbPacket *packet,
                              HbEncoding      encoding)
{
  HbChunkInfo info;
  g_autofree char *text = NULL;

  g_return_val_if_fail (HB_IS_CONVERSATION (self), NULL);
  g_return_val_if_fail (packet != NULL, NULL);

  hb_chunk_info_unpack (packet->lab_chunk, &info);
  if (!hb_chunk_info_crosses_boundary (&info))
    return NULL;
  if (packet->lab_pattern == HB_LAB_PATTERN_HEARTBEAT || packet->lab_pattern == HB_LAB_PATTERN_ACK)
    {
      gsize m;
      const guint8 *pattern = g_bytes_get_data (hb_lab_scan_get_pattern (self->lab, packet->lab_pattern), &m);

      text = hb_bytes_to_display (pattern, m, encoding, HB_LAB_MAX_PATTERN, NULL);
    }
  return hb_chunk_info_describe (&info, packet->payload_len, text, packet->lab_pattern, HB_BOUNDARY_SEGMENT);
}

/* Whether a line of the payload is the protocol's goodbye ("BYE ..."):
 * from there on the connection is being closed, as the application's
 * own record counts it. A segment that begins inside a line (the rest
 * of "MSG see you BYE\n", say) has its first line skipped: it is no line
 * of its own. */
static gboolean
packet_has_bye (const HbPacket *packet,
                gboolean        mid_line)
{
  const char *text = captured_payload (packet);
  gsize len = packet->payload_captured, start = 0;

  if (text == NULL)
    return FALSE;
  if (mid_line)
    {
      const char *nl = memchr (text, '\n', len);

      if (nl == NULL)
        return FALSE;
      start = (gsize) (nl - text) + 1;
    }
  while (start < len)
    {
      const char *nl = memchr (text + start, '\n', len - start);
      gsize end = nl ? (gsize) (nl - text) : len;

      if (end - start >= 3 && memcmp (text + start, "BYE", 3) == 0 &&
          (end - start == 3 || text[start + 3] == ' ' || text[start + 3] == '\r'))
        return TRUE;
      start = end + 1;
    }
  return FALSE;
}

/* Where the stream of @side stands inside a line after @packet: known
 * only from new data captured whole; a retransmission changes nothing. */
static void
track_lines (Side           *side,
             const HbPacket *packet)
{
  const char *payload = captured_payload (packet);

  if (packet->analysis & HB_ANALYSIS_ANY_RETRANSMISSION)
    return;
  side->mid_line = FALSE;
  if (payload == NULL || packet->payload_captured < packet->payload_len)
    return;
  side->mid_line = payload[packet->payload_len - 1] != '\n';
  side->mid_line_seq = packet->seq + packet->payload_len;
}

static void
add_mark (Side       *side,
          guint32     end,
          HbTcpPhase  phase)
{
  Mark mark = { end, phase };

  if (side->marks->len >= MAX_MARKS)
    g_array_remove_range (side->marks, 0, side->marks->len - MAX_MARKS + 1);
  g_array_append_val (side->marks, mark);
}

/* The phase of the payload of @side that ends highest in sequence space
 * at or below @ack (reordered segments make that not always the newest).
 * Marks @ack covers are dropped, but for that one, which a duplicate ACK
 * may acknowledge again. */
static HbTcpPhase
phase_of_acked (Side    *side,
                guint32  ack)
{
  const Mark *best = NULL;
  Mark kept;
  guint j = 0;

  for (guint i = 0; i < side->marks->len; i++)
    {
      const Mark *mark = &g_array_index (side->marks, Mark, i);

      if (SEQ_LE (mark->end, ack) && (best == NULL || !SEQ_LT (mark->end, best->end)))
        best = mark;
    }
  if (best == NULL)
    return HB_TCP_PHASE_DATA;

  kept = *best;
  for (guint i = 0; i < side->marks->len; i++)
    {
      const Mark *mark = &g_array_index (side->marks, Mark, i);

      if (SEQ_GT (mark->end, ack) || mark == best)
        g_array_index (side->marks, Mark, j++) = *mark;
    }
  g_array_set_size (side->marks, j);
  return kept.phase;
}

/* The phase of the data @packet repeats: of the segment that began at
 * its seq, else of the newest data at or below its end. */
static HbTcpPhase
phase_repeated (Side           *from,
                const HbPacket *packet)
{
  gpointer first = g_hash_table_lookup (from->seen, GUINT_TO_POINTER (packet->seq));
  guint32 end = packet->seq + packet->payload_len;
  const Mark *best = NULL;

  if (first != NULL)
    return GPOINTER_TO_INT (first) - 1;
  for (guint i = 0; i < from->marks->len; i++)
    {
      const Mark *mark = &g_array_index (from->marks, Mark, i);

      if (SEQ_LE (mark->end, end) && (best == NULL || SEQ_GT (mark->end, best->end)))
        best = mark;
    }
  return best != NULL ? best->phase : HB_TCP_PHASE_UNKNOWN;
}

static HbTcpPhase
classify (HbConversation *self,
          Side           *from,
          Side           *to,
          HbPacket       *packet)
{
  guint16 flags = packet->flags;
  gboolean again = (packet->analysis & HB_ANALYSIS_ANY_RETRANSMISSION) != 0;
  HbTcpPhase phase;

  if (flags & (HB_TCP_FIN | HB_TCP_RST))
    {
      self->closing = TRUE;
      return HB_TCP_PHASE_TEARDOWN;
    }
  /* A retransmission is what it was the first time. */
  if (packet->payload_len > 0 && again)
    {
      phase = phase_repeated (from, packet);
      if (phase != HB_TCP_PHASE_UNKNOWN)
        return phase;
    }
  if (packet->analysis & (HB_ANALYSIS_KEEP_ALIVE | HB_ANALYSIS_KEEP_ALIVE_ACK))
    return self->closing ? HB_TCP_PHASE_TEARDOWN : HB_TCP_PHASE_HEARTBEAT;
  if (self->closing)
    {
      /* Selective ACKs of data lost before the FIN still tell of that data. */
      if (packet->payload_len == 0 && packet->n_sack > 0 && (flags & HB_TCP_ACK))
        return phase_of_acked (to, packet->ack);
      return HB_TCP_PHASE_TEARDOWN;
    }
  if (flags & HB_TCP_SYN)
    {
      /* A SYN-ACK repeated once data flowed acknowledges what it acks. */
      if ((flags & HB_TCP_ACK) && again && (from->sent_payload || to->sent_payload))
        return phase_of_acked (to, packet->ack);
      return HB_TCP_PHASE_HANDSHAKE;
    }

  if (packet->payload_len > 0)
    {
      gboolean mid_line = from->mid_line && packet->seq == from->mid_line_seq;

      track_lines (from, packet);
      if (packet_has_bye (packet, mid_line))
        {
          self->closing = TRUE;
          return HB_TCP_PHASE_TEARDOWN;
        }
      phase = packet_is_heartbeat (self, packet) ? HB_TCP_PHASE_HEARTBEAT : HB_TCP_PHASE_DATA;
      from->sent_payload = TRUE;
      add_mark (from, packet->seq + packet->payload_len, phase);
      return phase;
    }

  if (!(flags & HB_TCP_ACK))
    return HB_TCP_PHASE_DATA;

  /* The client's ACK of the SYN-ACK, before it says anything. */
  if (!self->handshake_acked && from == &self->side[self->client] && to->saw_syn &&
      !from->sent_payload && packet->ack == to->isn + 1)
    {
      self->handshake_acked = TRUE;
      return HB_TCP_PHASE_HANDSHAKE;
    }
  return phase_of_acked (to, packet->ack);
}

void
hb_conversation_add (HbConversation *self,
                     HbPacket       *packet)
{
  Side *from, *to;
  gboolean fresh;
  int d;

  g_return_if_fail (HB_IS_CONVERSATION (self));
  g_return_if_fail (packet != NULL);

  if (self->packets->len == 0)
    {
      self->family = packet->family;
      g_strlcpy (self->side[0].address, packet->src, sizeof self->side[0].address);
      g_strlcpy (self->side[1].address, packet->dst, sizeof self->side[1].address);
      self->side[0].port = packet->src_port;
      self->side[1].port = packet->dst_port;
      /* Joined after the handshake, with the server's port known: the
       * server may have spoken first (a SYN, if one comes, decides). */
      if (!(packet->flags & HB_TCP_SYN) && self->server_port != 0 &&
          packet->src_port == self->server_port && packet->dst_port != self->server_port)
        self->client = 1;
    }
  d = direction_of (self, packet);
  g_return_if_fail (d >= 0);
  from = &self->side[d];
  to = &self->side[1 - d];

  if ((packet->flags & HB_TCP_SYN) && !self->saw_any_syn)
    {
      guint client = (packet->flags & HB_TCP_ACK) ? (guint) (1 - d) : (guint) d;

      self->saw_any_syn = TRUE;
      if (client != self->client)
        {
          self->client = client;
          for (guint i = 0; i < self->packets->len; i++)
            {
              HbPacket *p = g_ptr_array_index (self->packets, i);

              p->from_client = !p->from_client;
            }
        }
    }

  /* A SYN again on a 4-tuple (hb_conversation_accepts() took only those
   * with the first one's ISN): Wireshark restores where the direction
   * stood. A SYN-ACK with another ISN means the ports were reused (the
   * old SYN-ACK's side takes the new ISN). */
  packet->analysis = 0;
  packet->dup_ack_num = 0;
  packet->dup_ack_frame = 0;
  if (self->packets->len == 0 && self->reused_ports)
    packet->analysis |= HB_ANALYSIS_REUSED_PORTS;
  if ((packet->flags & (HB_TCP_SYN | HB_TCP_ACK)) == HB_TCP_SYN && from->base_set && packet->seq == from->base)
    hb_tcp_analysis_syn_again (&self->tcp, (guint) d);
  if ((packet->flags & (HB_TCP_SYN | HB_TCP_ACK)) == (HB_TCP_SYN | HB_TCP_ACK) && from->base_set &&
      packet->seq != from->base)
    {
      from->base = packet->seq;
      packet->analysis |= HB_ANALYSIS_REUSED_PORTS;
    }

  /* Relative numbers. */
  if (!from->base_set)
    {
      from->base = (packet->flags & HB_TCP_SYN) ? packet->seq : packet->seq - 1;
      from->base_set = TRUE;
    }
  if ((packet->flags & HB_TCP_ACK) && !to->base_set)
    {
      to->base = packet->ack - 1;
      to->base_set = TRUE;
    }
  packet->rel_seq = packet->seq - from->base;
  packet->rel_ack = (packet->flags & HB_TCP_ACK) ? packet->ack - to->base : 0;
  for (guint i = 0; i < packet->n_sack; i++)
    {
      packet->rel_sack[i].left = packet->sack[i].left - to->base;
      packet->rel_sack[i].right = packet->sack[i].right - to->base;
    }

  hb_tcp_analysis_add (&self->tcp, (guint) d, packet);
  fresh = packet->payload_len > 0 &&
          !(packet->analysis & (HB_ANALYSIS_ANY_RETRANSMISSION | HB_ANALYSIS_KEEP_ALIVE));

  packet->phase = classify (self, from, to, packet);
  hb_lab_scan_packet (self->lab, (guint) d, packet, (const guint8 *) captured_payload (packet), self->packets);
  if (fresh)
    g_hash_table_insert (from->seen, GUINT_TO_POINTER (packet->seq), GINT_TO_POINTER (packet->phase + 1));
  if ((packet->flags & HB_TCP_SYN) && !from->saw_syn)
    {
      from->saw_syn = TRUE;
      from->isn = packet->seq;
    }

  packet->conversation = self->index;
  packet->from_client = (guint) d == self->client;
  g_ptr_array_add (self->packets, hb_packet_ref (packet));
}

guint
hb_conversation_get_n_packets (HbConversation *self)
{
  g_return_val_if_fail (HB_IS_CONVERSATION (self), 0);
  return self->packets->len;
}

HbPacket *
hb_conversation_get_packet (HbConversation *self,
                            guint           index)
{
  g_return_val_if_fail (HB_IS_CONVERSATION (self), NULL);
  g_return_val_if_fail (index < self->packets->len, NULL);
  return g_ptr_array_index (self->packets, index);
}

GPtrArray *
hb_conversation_get_packets (HbConversation *self)
{
  g_return_val_if_fail (HB_IS_CONVERSATION (self), NULL);
  return self->packets;
}

int
hb_conversation_get_family (HbConversation *self)
{
  g_return_val_if_fail (HB_IS_CONVERSATION (self), 0);
  return self->family;
}

const char *
hb_conversation_get_client_address (HbConversation *self)
{
  g_return_val_if_fail (HB_IS_CONVERSATION (self), NULL);
  return self->side[self->client].address;
}

guint16
hb_conversation_get_client_port (HbConversation *self)
{
  g_return_val_if_fail (HB_IS_CONVERSATION (self), 0);
  return self->side[self->client].port;
}

const char *
hb_conversation_get_server_address (HbConversation *self)
{
  g_return_val_if_fail (HB_IS_CONVERSATION (self), NULL);
  return self->side[1 - self->client].address;
}

guint16
hb_conversation_get_server_port (HbConversation *self)
{
  g_return_val_if_fail (HB_IS_CONVERSATION (self), 0);
  return self->side[1 - self->client].port;
}

gboolean
hb_conversation_get_saw_syn (HbConversation *self)
{
  g_return_val_if_fail (HB_IS_CONVERSATION (self), FALSE);
  return self->side[self->client].saw_syn;
}

char *
hb_conversation_describe (HbConversation *self)
{
  const Side *client, *server;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;

  g_return_val_if_fail (HB_IS_CONVERSATION (self), NULL);

  client = &self->side[self->client];
  server = &self->side[1 - self->client];
  from = hb_format_endpoint (client->address, client->port);
  to = hb_format_endpoint (server->address, server->port);
  return g_strdup_printf ("%s → %s", from, to);
}

static char *
tuple_key (const HbPacket *packet)
{
  int order = strcmp (packet->src, packet->dst);

  if (order == 0)
    order = (int) packet->src_port - (int) packet->dst_port;
  if (order <= 0)
    return g_strdup_printf ("%d|%s|%u|%s|%u", packet->family, packet->src, packet->src_port,
                            packet->dst, packet->dst_port);
  return g_strdup_printf ("%d|%s|%u|%s|%u", packet->family, packet->dst, packet->dst_port,
                          packet->src, packet->src_port);
}

GPtrArray *
hb_conversation_split (GPtrArray *packets)
{
  return hb_conversation_split_lab (packets, NULL, NULL);
}

GPtrArray *
hb_conversation_split_lab (GPtrArray *packets,
                           GBytes    *heartbeat,
                           GBytes    *ack)
{
  return hb_conversation_split_full (packets, heartbeat, ack, 0);
}

GPtrArray *
hb_conversation_split_full (GPtrArray *packets,
                            GBytes    *heartbeat,
                            GBytes    *ack,
                            guint      server_port)
{
  g_autoptr(GHashTable) by_tuple = NULL;
  GPtrArray *conversations;

  g_return_val_if_fail (packets != NULL, NULL);

  conversations = g_ptr_array_new_with_free_func (g_object_unref);
  by_tuple = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < packets->len; i++)
    {
      HbPacket *packet = g_ptr_array_index (packets, i);
      char *key;

      /* Wireshark cannot follow a segment without its numbers either. */
      if (packet->cut == HB_PACKET_CUT_PORTS)
        {
          packet->conversation = HB_PACKET_NO_CONVERSATION;
          packet->analysis = HB_ANALYSIS_TRUNCATED;
          continue;
        }
      key = tuple_key (packet);
      HbConversation *conversation = g_hash_table_lookup (by_tuple, key);

      if (conversation == NULL || !hb_conversation_accepts (conversation, packet))
        {
          gboolean reused = conversation != NULL;

          conversation = hb_conversation_new (conversations->len);
          conversation->reused_ports = reused;
          hb_conversation_set_lab_patterns (conversation, heartbeat, ack);
          if (server_port != 0)
            hb_conversation_set_server_port (conversation, server_port);
          g_ptr_array_add (conversations, conversation);
          g_hash_table_replace (by_tuple, key, conversation);
        }
      else
        g_free (key);
      hb_conversation_add (conversation, packet);
    }
  return conversations;
}
