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
 * Phases are a teaching aid rather than TCP state: SYNs and the ACK that
 * completes them are the handshake; everything from the first FIN, RST
 * or BYE line (the protocol's goodbye) on is the teardown; in between, a segment's payload says whether it is a
 * heartbeat (PING/PONG lines, or nothing but the lab's heartbeat or ack)
 * or data, and a pure ACK takes the phase of the newest segment it
 * acknowledges. A retransmitted or reordered segment carries its own
 * payload, so it keeps the phase it had.
 *
 * The lab's protocol has no framing, so TCP may glue its heartbeat or ack
 * to a message in one segment, or cut one across two. Each new segment is
 * searched for the patterns; one that ends with the start of a pattern is
 * said to hold that start only once the next segment of its side begins
 * with the rest, so that a message that merely ends in "h" is no
 * heartbeat's start.
 */

#include "config.h"

#include <string.h>

#include "hb-conversation.h"
#include "hb-protocol.h"

/* Payload marks kept per direction for labelling pure ACKs. */
#define MAX_MARKS 1024

#define SEQ_LT(a, b) ((gint32) ((guint32) (a) - (guint32) (b)) < 0)
#define SEQ_LE(a, b) ((gint32) ((guint32) (a) - (guint32) (b)) <= 0)
#define SEQ_GT(a, b) ((gint32) ((guint32) (a) - (guint32) (b)) > 0)

#define WIN_SCALE_UNKNOWN  (-1)
#define WIN_SCALE_NONE     (-2)
#define MAX_WS_SHIFT       14

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
  int         win_scale;
  gboolean    saw_syn;
  guint32     isn;
  gboolean    next_set;
  guint32     next_seq;      /* highest seq + length seen */
  gboolean    sent_payload;
  gboolean    mid_line;      /* the stream stands inside a line at ... */
  guint32     mid_line_seq;  /* ... this raw seq (a line split across segments) */
  GHashTable *seen;          /* segment_key () → its first phase + 1 */
  GArray     *marks;         /* Mark, oldest first */

  /* The newest segment ended with what may begin a lab pattern. */
  guint8      carry[HB_LAB_MAX_PATTERN];
  gsize       carry_len;     /* 0: nothing carried */
  guint32     carry_seq;     /* raw seq where the rest must follow */
  guint       carry_packet;  /* index of that segment in packets */
  gboolean    carry_whole;   /* the carried bytes were the whole text after its last pattern */
  guint       n_sent[3];     /* lab patterns found, by HbLabPattern: what this side sends */
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
  GBytes    *patterns[3];    /* by HbLabPattern; [0] unused */
  gboolean   line_protocol;  /* a line of the line protocol was seen */
  gboolean   lab_seen;       /* a lab heartbeat or ack was seen */
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
  for (guint i = 0; i < G_N_ELEMENTS (self->patterns); i++)
    g_clear_pointer (&self->patterns[i], g_bytes_unref);
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
      self->side[i].win_scale = WIN_SCALE_UNKNOWN;
      self->side[i].seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
      self->side[i].marks = g_array_new (FALSE, FALSE, sizeof (Mark));
    }
  hb_conversation_set_lab_patterns (self, NULL, NULL);
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

  heartbeat = heartbeat != NULL ? g_bytes_ref (heartbeat)
                                : g_bytes_new_static (HB_LAB_DEFAULT_HEARTBEAT, strlen (HB_LAB_DEFAULT_HEARTBEAT));
  ack = ack != NULL ? g_bytes_ref (ack) : g_bytes_new_static (HB_LAB_DEFAULT_ACK, strlen (HB_LAB_DEFAULT_ACK));
  g_clear_pointer (&self->patterns[HB_LAB_PATTERN_HEARTBEAT], g_bytes_unref);
  g_clear_pointer (&self->patterns[HB_LAB_PATTERN_ACK], g_bytes_unref);
  self->patterns[HB_LAB_PATTERN_HEARTBEAT] = heartbeat;
  self->patterns[HB_LAB_PATTERN_ACK] = ack;
  /* A start carried over was the start of the old patterns. */
  self->side[0].carry_len = 0;
  self->side[1].carry_len = 0;
}

GBytes *
hb_conversation_get_lab_pattern (HbConversation *self,
                                 HbLabPattern    which)
{
  g_return_val_if_fail (HB_IS_CONVERSATION (self), NULL);
  g_return_val_if_fail (which == HB_LAB_PATTERN_HEARTBEAT || which == HB_LAB_PATTERN_ACK, NULL);
  return self->patterns[which];
}

gboolean
hb_conversation_get_is_lab (HbConversation *self)
{
  g_return_val_if_fail (HB_IS_CONVERSATION (self), FALSE);
  return self->lab_seen && !self->line_protocol;
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
  if (hb_payload_is_heartbeat (payload, len))
    return TRUE;
  for (guint k = HB_LAB_PATTERN_HEARTBEAT; k <= HB_LAB_PATTERN_ACK; k++)
    {
      gsize m;
      const guint8 *pattern = g_bytes_get_data (self->patterns[k], &m);

      if (hb_payload_is_pattern (payload, len, pattern, m))
        return TRUE;
    }
  return FALSE;
}

/* ---------------------------------------------------------------------- */
/* The lab's patterns in the stream                                        */

/* The lab's patterns, the longer first: where both begin at one place
 * (`heartbeat` in `heartbeat ack`), the longer is the one sent. */
static void
patterns_by_length (HbConversation *self,
                    HbLabPattern    order[2])
{
  gboolean ack_longer = g_bytes_get_size (self->patterns[HB_LAB_PATTERN_ACK]) >=
                        g_bytes_get_size (self->patterns[HB_LAB_PATTERN_HEARTBEAT]);

  order[0] = ack_longer ? HB_LAB_PATTERN_ACK : HB_LAB_PATTERN_HEARTBEAT;
  order[1] = ack_longer ? HB_LAB_PATTERN_HEARTBEAT : HB_LAB_PATTERN_ACK;
}

/* The first pattern at or after @from: where it starts (*@at) and which. */
static HbLabPattern
find_pattern (HbConversation *self,
              const guint8   *data,
              gsize           len,
              gsize           from,
              gsize          *at)
{
  HbLabPattern order[2];

  patterns_by_length (self, order);
  for (gsize i = from; i < len; i++)
    for (guint k = 0; k < 2; k++)
      {
        gsize m;
        const guint8 *pattern = g_bytes_get_data (self->patterns[order[k]], &m);

        if (data[i] == pattern[0] && m <= len - i && memcmp (data + i, pattern, m) == 0)
          {
            *at = i;
            return order[k];
          }
      }
  return HB_LAB_PATTERN_NONE;
}

/* The longest end of @data that is a proper prefix of a pattern. */
static gsize
pattern_start_at_end (HbConversation *self,
                      const guint8   *data,
                      gsize           len)
{
  gsize best = 0;

  for (guint k = HB_LAB_PATTERN_HEARTBEAT; k <= HB_LAB_PATTERN_ACK; k++)
    {
      gsize m;
      const guint8 *pattern = g_bytes_get_data (self->patterns[k], &m);

      for (gsize n = MIN (m - 1, len); n > best; n--)
        if (data[len - n] == pattern[0] && memcmp (data + len - n, pattern, n) == 0)
          {
            best = n;
            break;
          }
    }
  return best;
}

/* A line ending right after a pattern belongs to it. */
static gsize
skip_line_ending (const guint8 *data,
                  gsize         len,
                  gsize         pos)
{
  if (pos < len && data[pos] == '\r')
    pos++;
  if (pos < len && data[pos] == '\n')
    pos++;
  return pos;
}

static void
set_lab (HbPacket          *packet,
         HbChunkInfo       *info,
         HbLabPattern       kind)
{
  info->glued = info->n_patterns + info->n_messages + info->held >= 2;
  packet->lab_chunk = hb_chunk_info_pack (info);
  packet->lab_pattern = kind;
}

/* The segment that ended with the carried bytes did hold a pattern's
 * start: the next one began with its rest. */
static void
confirm_carry (HbConversation *self,
               Side           *side,
               HbLabPattern    kind)
{
  HbPacket *earlier;
  HbChunkInfo info;

  if (side->carry_packet >= self->packets->len)
    return;
  earlier = g_ptr_array_index (self->packets, side->carry_packet);
  hb_chunk_info_unpack (earlier->lab_chunk, &info);
  /* Counted as a message until now. */
  if (side->carry_whole && info.n_messages > 0)
    info.n_messages--;
  info.held = TRUE;
  info.split = TRUE;
  set_lab (earlier, &info, earlier->lab_pattern != HB_LAB_PATTERN_NONE ? earlier->lab_pattern : kind);
  self->lab_seen = TRUE;
}

/* Whether the carried start goes on in @data: completed (*@rest: how many
 * bytes of @data complete it), or continued by all of @data. */
static HbLabPattern
continue_carry (HbConversation *self,
                Side           *side,
                const guint8   *data,
                gsize           len,
                gsize          *rest,
                gboolean       *completed)
{
  HbLabPattern order[2];

  patterns_by_length (self, order);
  for (guint k = 0; k < 2; k++)
    {
      gsize m, need;
      const guint8 *pattern = g_bytes_get_data (self->patterns[order[k]], &m);

      if (m <= side->carry_len || memcmp (pattern, side->carry, side->carry_len) != 0)
        continue;
      need = m - side->carry_len;
      if (len >= need && memcmp (data, pattern + side->carry_len, need) == 0)
        {
          *rest = need;
          *completed = TRUE;
          return order[k];
        }
      if (len < need && memcmp (data, pattern + side->carry_len, len) == 0)
        {
          *rest = len;
          *completed = FALSE;
          return order[k];
        }
    }
  return HB_LAB_PATTERN_NONE;
}

/* Whether @data, where pattern @found begins and the segment ends, is
 * rather the start of the other pattern, which begins with @found
 * (`hb` in `hb-ok`): when this side is the one that sends the other. */
static gboolean
is_start_of_other (HbConversation *self,
                   Side           *side,
                   HbLabPattern    found,
                   const guint8   *data,
                   gsize           len)
{
  HbLabPattern other = found == HB_LAB_PATTERN_ACK ? HB_LAB_PATTERN_HEARTBEAT : HB_LAB_PATTERN_ACK;
  gsize m;
  const guint8 *pattern = g_bytes_get_data (self->patterns[other], &m);

  return len < m && memcmp (data, pattern, len) == 0 && side->n_sent[other] > side->n_sent[found];
}

/* Fills @packet's lab_chunk and lab_pattern from its payload. @index: where
 * the packet will be in packets. */
static void
scan_lab (HbConversation *self,
          Side           *from,
          HbPacket       *packet,
          guint           index)
{
  const guint8 *data = (const guint8 *) captured_payload (packet);
  gsize len = packet->payload_len, pos = 0, at = 0;
  HbChunkInfo info = { 0 };
  HbLabPattern kind = HB_LAB_PATTERN_NONE, found;
  gboolean carried = from->carry_len > 0 && packet->seq == from->carry_seq;

  packet->lab_chunk = 0;
  packet->lab_pattern = HB_LAB_PATTERN_NONE;
  /* A retransmission repeats what was said; a part not captured says nothing. */
  if (data == NULL || len == 0 || packet->payload_captured < len ||
      (packet->analysis & HB_ANALYSIS_RETRANSMISSION))
    return;
  if (!self->line_protocol &&
      (hb_payload_is_heartbeat (data, len) ||
       (len >= 8 && memcmp (data, "WELCOME ", 8) == 0) || (len >= 6 && memcmp (data, "HELLO ", 6) == 0)))
    self->line_protocol = TRUE;
  from->carry_len = carried ? from->carry_len : 0;
  if (self->line_protocol)
    {
      from->carry_len = 0;
      return;
    }

  if (carried)
    {
      gsize rest = 0;
      gboolean completed = FALSE;

      found = continue_carry (self, from, data, len, &rest, &completed);
      from->carry_len = completed || found == HB_LAB_PATTERN_NONE ? 0 : from->carry_len;
      if (found != HB_LAB_PATTERN_NONE)
        {
          confirm_carry (self, from, found);
          kind = found;
          info.split = TRUE;
          if (!completed)
            {
              /* The middle of a pattern cut in three or more. */
              memcpy (from->carry + from->carry_len, data, len);
              from->carry_len += len;
              from->carry_seq = packet->seq + len;
              from->carry_packet = index;
              from->carry_whole = TRUE;
              info.held = TRUE;
              set_lab (packet, &info, kind);
              return;
            }
          info.n_patterns++;
          from->n_sent[found]++;
          pos = skip_line_ending (data, len, rest);
        }
    }

  while ((found = find_pattern (self, data, len, pos, &at)) != HB_LAB_PATTERN_NONE)
    {
      if (is_start_of_other (self, from, found, data + at, len - at))
        break;
      if (at > pos)
        info.n_messages++;
      info.n_patterns++;
      from->n_sent[found]++;
      if (kind == HB_LAB_PATTERN_NONE)
        kind = found;
      pos = skip_line_ending (data, len, at + g_bytes_get_size (self->patterns[found]));
    }
  if (pos < len)
    {
      gsize n = pattern_start_at_end (self, data + pos, len - pos);

      /* A message until the next segment says otherwise. */
      info.n_messages++;
      if (n > 0)
        {
          memcpy (from->carry, data + len - n, n);
          from->carry_len = n;
          from->carry_seq = packet->seq + (guint32) len;
          from->carry_packet = index;
          from->carry_whole = n == len - pos;
        }
    }
  if (info.n_patterns > 0)
    self->lab_seen = TRUE;
  /* Kept with a carried start too: its counts are what the next segment
   * corrects when it completes the pattern. */
  if (info.n_patterns > 0 || info.split || (from->carry_len > 0 && from->carry_packet == index))
    set_lab (packet, &info, kind);
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
      const guint8 *pattern = g_bytes_get_data (self->patterns[packet->lab_pattern], &m);

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

  if (packet->analysis & HB_ANALYSIS_RETRANSMISSION)
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

static void
update_window (Side     *from,
               Side     *to,
               HbPacket *packet)
{
  gboolean syn = (packet->flags & HB_TCP_SYN) != 0;

  if (syn)
    {
      /* RFC 7323: a WS option counts only in a SYN. */
      if (packet->has_ws)
        from->win_scale = MIN (packet->ws_shift, MAX_WS_SHIFT);
      if (from->win_scale == WIN_SCALE_UNKNOWN)
        {
          from->win_scale = WIN_SCALE_NONE;
          to->win_scale = WIN_SCALE_NONE;
        }
      else if ((packet->flags & HB_TCP_ACK) && to->win_scale == WIN_SCALE_NONE)
        from->win_scale = WIN_SCALE_NONE;
      packet->win = packet->win_raw;
    }
  else if (from->win_scale >= 0)
    packet->win = (guint32) packet->win_raw << from->win_scale;
  else
    packet->win = packet->win_raw;
}

/* What tells a segment from the others of its side: seq, SYN, FIN and length. */
static guint64
segment_key (const HbPacket *packet)
{
  guint64 syn = (packet->flags & HB_TCP_SYN) ? 1 : 0;
  guint64 fin = (packet->flags & HB_TCP_FIN) ? 1 : 0;

  return ((guint64) packet->seq << 32) | (syn << 31) | (fin << 30) | MIN (packet->payload_len, 0x3fffffff);
}

/* Marks retransmissions and out-of-order segments. Returns whether
 * @packet is a segment not seen before (it is remembered, with its
 * phase, once that is known). */
static gboolean
update_sequence (Side     *from,
                 HbPacket *packet)
{
  guint32 syn = (packet->flags & HB_TCP_SYN) ? 1 : 0;
  guint32 fin = (packet->flags & HB_TCP_FIN) ? 1 : 0;
  guint32 seglen = packet->payload_len + syn + fin;
  guint32 end;
  guint64 key;
  gboolean fresh = FALSE;

  if (seglen == 0)
    return FALSE;

  key = segment_key (packet);
  if (g_hash_table_contains (from->seen, &key))
    packet->analysis |= HB_ANALYSIS_RETRANSMISSION;
  else
    {
      if (from->next_set && SEQ_LT (packet->seq, from->next_seq))
        packet->analysis |= HB_ANALYSIS_OUT_OF_ORDER;
      fresh = TRUE;
    }

  end = packet->seq + seglen;
  if (!from->next_set || SEQ_GT (end, from->next_seq))
    {
      from->next_seq = end;
      from->next_set = TRUE;
    }
  return fresh;
}

static HbTcpPhase
classify (HbConversation *self,
          Side           *from,
          Side           *to,
          HbPacket       *packet)
{
  guint16 flags = packet->flags;
  HbTcpPhase phase;

  if (self->closing || (flags & (HB_TCP_FIN | HB_TCP_RST)))
    {
      self->closing = TRUE;
      return HB_TCP_PHASE_TEARDOWN;
    }
  if (flags & HB_TCP_SYN)
    return HB_TCP_PHASE_HANDSHAKE;

  /* A retransmission is what it was the first time. */
  if (packet->payload_len > 0 && (packet->analysis & HB_ANALYSIS_RETRANSMISSION))
    {
      guint64 key = segment_key (packet);
      int first = GPOINTER_TO_INT (g_hash_table_lookup (from->seen, &key));

      if (first > 0)
        return first - 1;
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

  update_window (from, to, packet);
  packet->analysis = 0;
  fresh = update_sequence (from, packet);

  packet->phase = classify (self, from, to, packet);
  scan_lab (self, from, packet, self->packets->len);
  if (fresh)
    {
      guint64 key = segment_key (packet);

      g_hash_table_insert (from->seen, g_memdup2 (&key, sizeof key), GINT_TO_POINTER (packet->phase + 1));
    }
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
  g_autoptr(GHashTable) by_tuple = NULL;
  GPtrArray *conversations;

  g_return_val_if_fail (packets != NULL, NULL);

  conversations = g_ptr_array_new_with_free_func (g_object_unref);
  by_tuple = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < packets->len; i++)
    {
      HbPacket *packet = g_ptr_array_index (packets, i);
      char *key = tuple_key (packet);
      HbConversation *conversation = g_hash_table_lookup (by_tuple, key);

      if (conversation == NULL || !hb_conversation_accepts (conversation, packet))
        {
          conversation = hb_conversation_new (conversations->len);
          hb_conversation_set_lab_patterns (conversation, heartbeat, ack);
          g_ptr_array_add (conversations, conversation);
          g_hash_table_replace (by_tuple, key, conversation);
        }
      else
        g_free (key);
      hb_conversation_add (conversation, packet);
    }
  return conversations;
}
