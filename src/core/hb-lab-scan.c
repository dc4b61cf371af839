/* hb-lab-scan.c - the lab's heartbeat and ack in the segments of a capture: alone, glued to other bytes, or cut in two
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
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
#include "hb-lab-scan.h"

typedef struct
{
  /* The newest segment ended with what may begin a pattern. */
  guint8   carry[HB_LAB_MAX_PATTERN];
  gsize    carry_len;     /* 0: nothing carried */
  guint32  carry_seq;     /* raw seq where the rest must follow */
  guint    carry_packet;  /* index of that segment in the packets */
  gboolean carry_whole;   /* the carried bytes were the whole text after its last pattern */
  guint    n_sent[3];     /* patterns found, by HbLabPattern: what this side sends */
} LabSide;

struct _HbLabScan
{
  GBytes   *patterns[3];    /* by HbLabPattern; [0] unused */
  LabSide   side[2];
  gboolean  line_protocol;  /* a line of the line protocol was seen */
  gboolean  lab_seen;       /* a heartbeat or ack was seen */
};

HbLabScan *
hb_lab_scan_new (void)
{
  HbLabScan *self = g_new0 (HbLabScan, 1);

  hb_lab_scan_set_patterns (self, NULL, NULL);
  return self;
}

void
hb_lab_scan_free (HbLabScan *self)
{
  if (self == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (self->patterns); i++)
    g_clear_pointer (&self->patterns[i], g_bytes_unref);
  g_free (self);
}

void
hb_lab_scan_set_patterns (HbLabScan *self,
                          GBytes    *heartbeat,
                          GBytes    *ack)
{
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
hb_lab_scan_get_pattern (HbLabScan    *self,
                         HbLabPattern  which)
{
  return self->patterns[which];
}

gboolean
hb_lab_scan_is_lab (HbLabScan *self)
{
  return self->lab_seen && !self->line_protocol;
}

gboolean
hb_lab_scan_is_heartbeat (HbLabScan    *self,
                          const guint8 *payload,
                          gsize         len)
{
  for (guint k = HB_LAB_PATTERN_HEARTBEAT; k <= HB_LAB_PATTERN_ACK; k++)
    {
      gsize m;
      const guint8 *pattern = g_bytes_get_data (self->patterns[k], &m);

      if (hb_payload_is_pattern (payload, len, pattern, m))
        return TRUE;
    }
  return FALSE;
}

/* The lab's patterns, the longer first: where both begin at one place
 * (`heartbeat` in `heartbeat ack`), the longer is the one sent. */
static void
patterns_by_length (HbLabScan      *self,
                    HbLabPattern    order[2])
{
  gboolean ack_longer = g_bytes_get_size (self->patterns[HB_LAB_PATTERN_ACK]) >=
                        g_bytes_get_size (self->patterns[HB_LAB_PATTERN_HEARTBEAT]);

  order[0] = ack_longer ? HB_LAB_PATTERN_ACK : HB_LAB_PATTERN_HEARTBEAT;
  order[1] = ack_longer ? HB_LAB_PATTERN_HEARTBEAT : HB_LAB_PATTERN_ACK;
}

/* The first pattern at or after @from: where it starts (*@at) and which. */
static HbLabPattern
find_pattern (HbLabScan      *self,
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
pattern_start_at_end (HbLabScan      *self,
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
confirm_carry (HbLabScan      *self,
               LabSide        *side,
               GPtrArray      *packets,
               HbLabPattern    kind)
{
  HbPacket *earlier;
  HbChunkInfo info;

  if (side->carry_packet >= packets->len)
    return;
  earlier = g_ptr_array_index (packets, side->carry_packet);
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
continue_carry (HbLabScan      *self,
                LabSide        *side,
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
is_start_of_other (HbLabScan      *self,
                   LabSide        *side,
                   HbLabPattern    found,
                   const guint8   *data,
                   gsize           len)
{
  HbLabPattern other = found == HB_LAB_PATTERN_ACK ? HB_LAB_PATTERN_HEARTBEAT : HB_LAB_PATTERN_ACK;
  gsize m;
  const guint8 *pattern = g_bytes_get_data (self->patterns[other], &m);

  return len < m && memcmp (data, pattern, len) == 0 && side->n_sent[other] > side->n_sent[found];
}

void
hb_lab_scan_packet (HbLabScan    *self,
                    guint         side,
                    HbPacket     *packet,
                    const guint8 *data,
                    GPtrArray    *packets)
{
  LabSide *from = &self->side[side];
  guint index = packets->len;
  gsize len = packet->payload_len, pos = 0, at = 0;
  HbChunkInfo info = { 0 };
  HbLabPattern kind = HB_LAB_PATTERN_NONE, found;
  gboolean carried = from->carry_len > 0 && packet->seq == from->carry_seq;

  packet->lab_chunk = 0;
  packet->lab_pattern = HB_LAB_PATTERN_NONE;
  /* A retransmission repeats what was said; a part not captured says nothing. */
  if (data == NULL || len == 0 || packet->payload_captured < len ||
      (packet->analysis & (HB_ANALYSIS_ANY_RETRANSMISSION | HB_ANALYSIS_KEEP_ALIVE)))
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
          confirm_carry (self, from, packets, found);
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
