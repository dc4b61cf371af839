/* hb-packet-format.c - a TCP segment in words: Wireshark's flags, Info column, analysis labels, details and bytes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What hb-packet.c parsed, written the way Wireshark 4.0 writes it, so
 * that the Info column here and tshark's are the same text.
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "hb-packet.h"

#define TCP_OPT_MSS             2
#define TCP_OPT_WS              3
#define TCP_OPT_SACK_PERM       4
#define TCP_OPT_SACK            5
#define TCP_OPT_TIMESTAMP       8

#define TCP_MAX_WS_SHIFT        14

static inline gboolean
has_bytes (gsize len,
           gsize offset,
           gsize n)
{
  return offset <= len && len - offset >= n;
}

/* Wireshark 4.0's names (tcp_flags_to_str()): bit 6 is ECE, bit 8 AE. */
static const char * const flag_names[] = {
  "FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "AE",
};

void
hb_packet_flag_names (guint16    flags,
                      GPtrArray *array)
{
  for (guint i = 0; i < G_N_ELEMENTS (flag_names); i++)
    if (flags & (1u << i))
      g_ptr_array_add (array, (gpointer) flag_names[i]);
}

static char *
format_flags (guint16  flags,
              gboolean ace)
{
  GString *s = g_string_new (NULL);
  /* Under AccECN the AE, CWR and ECE bits of a segment after the SYNs
   * are a 3-bit counter, which Wireshark shows as ACE=n. */
  guint n = ace ? 6 : G_N_ELEMENTS (flag_names);

  for (guint i = 0; i < n; i++)
    if (flags & (1u << i))
      {
        if (s->len > 0)
          g_string_append (s, ", ");
        g_string_append (s, flag_names[i]);
      }
  if (ace)
    g_string_append_printf (s, ", ACE=%u", (flags >> 6) & 0x7);
  /* The three reserved bits. */
  if (flags & 0x0e00)
    g_string_append (s, s->len > 0 ? ", Reserved" : "Reserved");
  if (s->len == 0)
    g_string_append (s, "<None>");
  return g_string_free (s, FALSE);
}

char *
hb_packet_format_flags (guint16 flags)
{
  return format_flags (flags, FALSE);
}

char *
hb_packet_format_packet_flags (const HbPacket *packet)
{
  g_return_val_if_fail (packet != NULL, NULL);
  return format_flags (packet->flags, packet->ace);
}

/* Wireshark's labels, in the order its Info column shows them: each is
 * prepended in turn by tcp_print_sequence_number_analysis(), so the one
 * it prints last comes first. */
static const struct
{
  HbAnalysisFlags flag;
  const char     *label;
  const char     *name;
} analysis_labels[] = {
  { HB_ANALYSIS_ZERO_WINDOW_PROBE_ACK, "TCP ZeroWindowProbeAck", "zero-window-probe-ack" },
  { HB_ANALYSIS_ZERO_WINDOW, "TCP ZeroWindow", "zero-window" },
  { HB_ANALYSIS_ZERO_WINDOW_PROBE, "TCP ZeroWindowProbe", "zero-window-probe" },
  { HB_ANALYSIS_DUP_ACK, NULL, "dup-ack" },
  { HB_ANALYSIS_KEEP_ALIVE_ACK, "TCP Keep-Alive ACK", "keep-alive-ack" },
  { HB_ANALYSIS_KEEP_ALIVE, "TCP Keep-Alive", "keep-alive" },
  { HB_ANALYSIS_WINDOW_FULL, "TCP Window Full", "window-full" },
  { HB_ANALYSIS_WINDOW_UPDATE, "TCP Window Update", "window-update" },
  { HB_ANALYSIS_ACKED_UNSEEN, "TCP ACKed unseen segment", "acked-unseen-segment" },
  { HB_ANALYSIS_LOST_SEGMENT, "TCP Previous segment not captured", "previous-segment-not-captured" },
  { HB_ANALYSIS_OUT_OF_ORDER, "TCP Out-Of-Order", "out-of-order" },
  { HB_ANALYSIS_SPURIOUS_RETRANSMISSION, "TCP Spurious Retransmission", "spurious-retransmission" },
  { HB_ANALYSIS_FAST_RETRANSMISSION, "TCP Fast Retransmission", "fast-retransmission" },
  { HB_ANALYSIS_RETRANSMISSION, "TCP Retransmission", "retransmission" },
  { HB_ANALYSIS_REUSED_PORTS, "TCP Port numbers reused", "port-numbers-reused" },
};

GStrv
hb_packet_analysis_labels (const HbPacket *packet)
{
  GPtrArray *labels = g_ptr_array_new ();

  g_return_val_if_fail (packet != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (analysis_labels); i++)
    if (packet->analysis & analysis_labels[i].flag)
      {
        if (analysis_labels[i].flag == HB_ANALYSIS_DUP_ACK)
          g_ptr_array_add (labels, g_strdup_printf ("TCP Dup ACK %u#%u", packet->dup_ack_frame, packet->dup_ack_num));
        else
          g_ptr_array_add (labels, g_strdup (analysis_labels[i].label));
      }
  g_ptr_array_add (labels, NULL);
  return (GStrv) g_ptr_array_free (labels, FALSE);
}

GStrv
hb_packet_analysis_names (const HbPacket *packet)
{
  GPtrArray *names = g_ptr_array_new ();

  g_return_val_if_fail (packet != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (analysis_labels); i++)
    if (packet->analysis & analysis_labels[i].flag)
      g_ptr_array_add (names, g_strdup (analysis_labels[i].name));
  if (packet->analysis & HB_ANALYSIS_TRUNCATED)
    g_ptr_array_add (names, g_strdup ("packet-size-limited"));
  g_ptr_array_add (names, NULL);
  return (GStrv) g_ptr_array_free (names, FALSE);
}

const char *
hb_packet_analysis_meaning (HbAnalysisFlags flag)
{
  switch (flag)
    {
    case HB_ANALYSIS_RETRANSMISSION:
      return _("data sent again: its sequence number is below the highest one sent so far");
    case HB_ANALYSIS_FAST_RETRANSMISSION:
      return _("sent again at once, because the receiver repeated its ACK of this byte (two duplicate ACKs or more)");
    case HB_ANALYSIS_SPURIOUS_RETRANSMISSION:
      return _("sent again although the receiver had already acknowledged all of it");
    case HB_ANALYSIS_OUT_OF_ORDER:
      return _("arrived after data that comes later in the stream, within one round trip of it");
    case HB_ANALYSIS_LOST_SEGMENT:
      return _("begins after a gap: a segment before it was lost, or not captured");
    case HB_ANALYSIS_ACKED_UNSEEN:
      return _("acknowledges data that the capture never saw");
    case HB_ANALYSIS_WINDOW_UPDATE:
      return _("no data, no new acknowledgement: it only tells the sender that the window changed");
    case HB_ANALYSIS_WINDOW_FULL:
      return _("fills the receiver's window: the sender must wait for an ACK or a larger window");
    case HB_ANALYSIS_ZERO_WINDOW:
      return _("the receiver's buffer is full: its program is not reading, and the sender must stop");
    case HB_ANALYSIS_ZERO_WINDOW_PROBE:
      return _("one byte sent into a zero window, to learn when it opens again");
    case HB_ANALYSIS_ZERO_WINDOW_PROBE_ACK:
      return _("the answer to a zero window probe: the window is still zero");
    case HB_ANALYSIS_KEEP_ALIVE:
      return _("TCP keep-alive: after a silence the kernel asks whether the peer is still there");
    case HB_ANALYSIS_KEEP_ALIVE_ACK:
      return _("the peer's kernel answers a keep-alive: it is alive, whatever its program does");
    case HB_ANALYSIS_DUP_ACK:
      return _("the same acknowledgement again: the receiver got a segment after a gap and still waits for this byte");
    case HB_ANALYSIS_REUSED_PORTS:
      return _("a new connection with the same addresses and ports as an earlier one");
    case HB_ANALYSIS_TRUNCATED:
      return _("the capture kept only the start of this frame (its snapshot length)");
    default:
      return "";
    }
}

char *
hb_packet_format_info (const HbPacket *packet)
{
  g_autofree char *flags = NULL;
  g_auto(GStrv) labels = NULL;
  GString *s;

  g_return_val_if_fail (packet != NULL, NULL);

  s = g_string_new (NULL);
  if (packet->cut == HB_PACKET_CUT_PORTS)
    {
      g_string_append_printf (s, "%u → %u[Packet size limited during capture]", packet->src_port, packet->dst_port);
      return g_string_free (s, FALSE);
    }
  labels = hb_packet_analysis_labels (packet);
  for (guint i = 0; labels[i] != NULL; i++)
    g_string_append_printf (s, "[%s] ", labels[i]);

  flags = hb_packet_format_packet_flags (packet);
  g_string_append_printf (s, "%u → %u [%s] Seq=%u", packet->src_port, packet->dst_port,
                          flags, packet->rel_seq);
  if (packet->flags & HB_TCP_ACK)
    g_string_append_printf (s, " Ack=%u", packet->rel_ack);
  g_string_append_printf (s, " Win=%u", packet->win);
  if (packet->cut == HB_PACKET_CUT_HEADER)
    {
      g_string_append (s, "[Packet size limited during capture]");
      return g_string_free (s, FALSE);
    }
  if (packet->flags & HB_TCP_URG)
    g_string_append_printf (s, " Urg=%u", packet->urgent);
  g_string_append_printf (s, " Len=%u", packet->payload_len);

  for (guint i = 0; i < G_N_ELEMENTS (packet->info_options) && packet->info_options[i] != 0; i++)
    switch (packet->info_options[i])
      {
      case TCP_OPT_MSS:
        g_string_append_printf (s, " MSS=%u", packet->mss);
        break;
      case TCP_OPT_WS:
        g_string_append_printf (s, " WS=%u", 1u << MIN (packet->ws_shift, TCP_MAX_WS_SHIFT));
        break;
      case TCP_OPT_SACK_PERM:
        g_string_append (s, " SACK_PERM");
        break;
      case TCP_OPT_SACK:
        for (guint b = 0; b < packet->n_sack; b++)
          g_string_append_printf (s, " SLE=%u SRE=%u", packet->rel_sack[b].left, packet->rel_sack[b].right);
        break;
      case TCP_OPT_TIMESTAMP:
        g_string_append_printf (s, " TSval=%u TSecr=%u", packet->ts_val, packet->ts_ecr);
        break;
      default:
        break;
      }

  /* Wireshark says so where a dissector ran out of captured bytes: in
   * the options, or in the first four bytes of a payload, which some
   * heuristic dissector of tshark's reads. */
  if (packet->analysis & HB_ANALYSIS_TRUNCATED)
    g_string_append (s, "[Packet size limited during capture]");
  return g_string_free (s, FALSE);
}

char *
hb_packet_format_payload (const HbPacket *packet)
{
  const char *text;
  gsize len, size;
  const char *p;

  g_return_val_if_fail (packet != NULL, NULL);

  if (packet->payload_len == 0 || packet->payload_captured < packet->payload_len || packet->data == NULL)
    return NULL;

  text = (const char *) g_bytes_get_data (packet->data, &size);
  if (!has_bytes (size, packet->payload_offset, packet->payload_len))
    return NULL;
  text += packet->payload_offset;
  len = packet->payload_len;

  if (len > 0 && text[len - 1] == '\n')
    len--;
  if (len > 0 && text[len - 1] == '\r')
    len--;
  if (!g_utf8_validate_len (text, len, NULL))
    return NULL;
  for (p = text; p < text + len; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (!g_unichar_isprint (c) && c != '\n' && c != '\r' && c != '\t')
        return NULL;
    }
  return g_strndup (text, len);
}

const char *
hb_tcp_phase_to_string (HbTcpPhase phase)
{
  switch (phase)
    {
    case HB_TCP_PHASE_HANDSHAKE:
      return "handshake";
    case HB_TCP_PHASE_DATA:
      return "data";
    case HB_TCP_PHASE_HEARTBEAT:
      return "heartbeat";
    case HB_TCP_PHASE_TEARDOWN:
      return "teardown";
    case HB_TCP_PHASE_UNKNOWN:
    default:
      return "unknown";
    }
}

const char *
hb_tcp_phase_title (HbTcpPhase phase)
{
  switch (phase)
    {
    case HB_TCP_PHASE_HANDSHAKE:
      return _("Three-way handshake");
    case HB_TCP_PHASE_DATA:
      return _("Data");
    case HB_TCP_PHASE_HEARTBEAT:
      return _("Heartbeat");
    case HB_TCP_PHASE_TEARDOWN:
      return _("Teardown");
    case HB_TCP_PHASE_UNKNOWN:
    default:
      return "";
    }
}

static void
append_options (GString        *s,
                const HbPacket *packet)
{
  if (packet->has_mss)
    g_string_append_printf (s, _("    Maximum segment size: %u bytes\n"), packet->mss);
  if (packet->sack_perm)
    g_string_append (s, _("    SACK permitted\n"));
  if (packet->has_timestamps)
    g_string_append_printf (s, _("    Timestamps: TSval %u, TSecr %u\n"), packet->ts_val, packet->ts_ecr);
  if (packet->has_ws)
    g_string_append_printf (s, _("    Window scale: %u (multiply by %u)\n"), packet->ws_shift,
                            1u << MIN (packet->ws_shift, TCP_MAX_WS_SHIFT));
  for (guint b = 0; b < packet->n_sack; b++)
    g_string_append_printf (s, _("    SACK block: left edge %u, right edge %u (relative)\n"),
                            packet->rel_sack[b].left, packet->rel_sack[b].right);
}

char *
hb_packet_format_details (const HbPacket *packet)
{
  g_autofree char *flags = NULL;
  g_autofree char *payload = NULL;
  GString *s;

  g_return_val_if_fail (packet != NULL, NULL);

  s = g_string_new (NULL);
  g_string_append_printf (s, _("Frame %u: %u bytes on wire (%llu bits), %u bytes captured (%llu bits)\n"),
                          packet->frame, packet->origlen, (unsigned long long) packet->origlen * 8,
                          packet->caplen, (unsigned long long) packet->caplen * 8);
  if (packet->family == 6)
    g_string_append_printf (s, _("Internet Protocol Version 6, Src: %s, Dst: %s\n"), packet->src, packet->dst);
  else
    g_string_append_printf (s, _("Internet Protocol Version 4, Src: %s, Dst: %s\n"), packet->src, packet->dst);

  g_string_append_printf (s, _("Transmission Control Protocol, Src Port: %u, Dst Port: %u, Seq: %u, Len: %u\n"),
                          packet->src_port, packet->dst_port, packet->rel_seq, packet->payload_len);
  g_string_append_printf (s, _("    Sequence number: %u (relative; raw %u)\n"), packet->rel_seq, packet->seq);
  g_string_append_printf (s, _("    Next sequence number: %u (relative)\n"),
                          packet->rel_seq + packet->payload_len +
                          ((packet->flags & HB_TCP_SYN) ? 1 : 0) + ((packet->flags & HB_TCP_FIN) ? 1 : 0));
  if (packet->flags & HB_TCP_ACK)
    g_string_append_printf (s, _("    Acknowledgment number: %u (relative; raw %u)\n"), packet->rel_ack, packet->ack);
  else
    g_string_append (s, _("    Acknowledgment number: none (the ACK flag is not set)\n"));
  g_string_append_printf (s, _("    Header length: %u bytes\n"), packet->tcp_header_len);
  flags = hb_packet_format_flags (packet->flags);
  g_string_append_printf (s, _("    Flags: 0x%03x (%s)\n"), packet->flags, flags);
  g_string_append_printf (s, _("    Window: %u\n"), packet->win_raw);
  if (packet->win != packet->win_raw)
    g_string_append_printf (s, _("    Calculated window size: %u (scaled by the sender's window scale)\n"),
                            packet->win);
  if (packet->flags & HB_TCP_URG)
    g_string_append_printf (s, _("    Urgent pointer: %u\n"), packet->urgent);
  if (packet->has_mss || packet->sack_perm || packet->has_timestamps || packet->has_ws || packet->n_sack > 0)
    {
      g_string_append (s, _("    Options:\n"));
      append_options (s, packet);
    }
  {
    g_auto(GStrv) labels = hb_packet_analysis_labels (packet);
    guint n = 0;

    for (guint i = 0; i < G_N_ELEMENTS (analysis_labels); i++)
      if (packet->analysis & analysis_labels[i].flag)
        /* Translators: "    Analysis: [TCP Dup ACK 5#1]: the same
         * acknowledgement again...". The label is Wireshark's, untranslated. */
        g_string_append_printf (s, _("    Analysis: [%s]: %s\n"), labels[n++],
                                hb_packet_analysis_meaning (analysis_labels[i].flag));
    if (packet->analysis & HB_ANALYSIS_TRUNCATED)
      g_string_append_printf (s, _("    Analysis: [%s]: %s\n"), "Packet size limited during capture",
                              hb_packet_analysis_meaning (HB_ANALYSIS_TRUNCATED));
  }
  if (packet->warning != NULL)
    g_string_append_printf (s, _("    Warning: %s\n"), packet->warning);

  if (packet->payload_len > 0)
    {
      payload = hb_packet_format_payload (packet);
      if (payload != NULL)
        g_string_append_printf (s, _("Data (%u bytes): “%s”\n"), packet->payload_len, payload);
      else
        g_string_append_printf (s, _("Data (%u bytes), not printable text\n"), packet->payload_len);
    }
  if (packet->phase != HB_TCP_PHASE_UNKNOWN)
    g_string_append_printf (s, _("Phase: %s\n"), hb_tcp_phase_title (packet->phase));

  if (s->len > 0 && s->str[s->len - 1] == '\n')
    g_string_truncate (s, s->len - 1);
  return g_string_free (s, FALSE);
}

char *
hb_format_hex_dump (const guint8 *data,
                    gsize         len)
{
  GString *s = g_string_sized_new (len / 16 * 78 + 80);
  /* One width for the whole frame, as Wireshark: 4 digits, more past 64 KiB. */
  int digits = len > 0x10000 ? 8 : 4;

  for (gsize row = 0; row < len; row += 16)
    {
      if (row > 0)
        g_string_append_c (s, '\n');
      g_string_append_printf (s, "%0*" G_GSIZE_MODIFIER "x  ", digits, row);
      for (gsize i = 0; i < 16; i++)
        {
          if (row + i < len)
            g_string_append_printf (s, "%02x ", data[row + i]);
          else
            g_string_append (s, "   ");
        }
      g_string_append (s, "  ");
      for (gsize i = 0; i < 16 && row + i < len; i++)
        g_string_append_c (s, g_ascii_isprint (data[row + i]) ? (char) data[row + i] : '.');
    }
  return g_string_free (s, FALSE);
}
