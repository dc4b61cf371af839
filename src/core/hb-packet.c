/* hb-packet.c - one captured TCP segment, and a parser that trusts no byte of it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Capture files come from anywhere, so every length in them is a claim to
 * check: each read goes through read_u8/16/32(), which test the bounds and
 * copy with memcpy (headers are not aligned). Lengths are taken from the IP
 * header, never from caplen, and an IP header that claims more bytes than
 * the frame had on the wire is refused. See CAPTURE.md, "Parsing safely".
 */

#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <pcap/dlt.h>

#include "hb-packet.h"

/* LINKTYPE_RAW as written in files; libpcap maps it to DLT_RAW, but a
 * caller may hand us the file's number. */
#define LINKTYPE_RAW            101

#define ETHERTYPE_IPV4          0x0800
#define ETHERTYPE_IPV6          0x86dd
#define ETHERTYPE_VLAN          0x8100
#define ETHERTYPE_QINQ          0x88a8

#define IPPROTO_NUM_TCP         6
#define IP6_HOP_BY_HOP          0
#define IP6_ROUTING             43
#define IP6_FRAGMENT            44
#define IP6_AUTH                51
#define IP6_NO_NEXT             59
#define IP6_DEST_OPTS           60
/* More extension headers than any real packet carries. */
#define IP6_MAX_EXT_HEADERS     16

#define TCP_OPT_EOL             0
#define TCP_OPT_NOP             1
#define TCP_OPT_MSS             2
#define TCP_OPT_WS              3
#define TCP_OPT_SACK_PERM       4
#define TCP_OPT_SACK            5
#define TCP_OPT_TIMESTAMP       8

#define TCP_MAX_WS_SHIFT        14

G_DEFINE_QUARK (hb-packet-error-quark, hb_packet_error)

G_DEFINE_BOXED_TYPE (HbPacket, hb_packet, hb_packet_ref, hb_packet_unref)

HbPacket *
hb_packet_new (void)
{
  HbPacket *packet = g_new0 (HbPacket, 1);

  packet->ref_count = 1;
  return packet;
}

HbPacket *
hb_packet_ref (HbPacket *packet)
{
  g_return_val_if_fail (packet != NULL, NULL);
  g_return_val_if_fail (packet->ref_count > 0, NULL);

  g_atomic_int_inc (&packet->ref_count);
  return packet;
}

void
hb_packet_unref (HbPacket *packet)
{
  g_return_if_fail (packet != NULL);
  g_return_if_fail (packet->ref_count > 0);

  if (g_atomic_int_dec_and_test (&packet->ref_count))
    {
      hb_packet_clear (packet);
      g_free (packet);
    }
}

void
hb_packet_clear (HbPacket *packet)
{
  g_clear_pointer (&packet->data, g_bytes_unref);
}

/* ------------------------------------------------------------------------ */
/* Bounded reads                                                            */

static inline gboolean
has_bytes (gsize len,
           gsize offset,
           gsize n)
{
  return offset <= len && len - offset >= n;
}

static inline gboolean
read_u8 (const guint8 *data,
         gsize         len,
         gsize         offset,
         guint8       *value)
{
  if (!has_bytes (len, offset, 1))
    return FALSE;
  *value = data[offset];
  return TRUE;
}

static inline gboolean
read_u16 (const guint8 *data,
          gsize         len,
          gsize         offset,
          guint16      *value)
{
  guint16 v;

  if (!has_bytes (len, offset, 2))
    return FALSE;
  memcpy (&v, data + offset, 2);
  *value = ntohs (v);
  return TRUE;
}

static inline gboolean
read_u32 (const guint8 *data,
          gsize         len,
          gsize         offset,
          guint32      *value)
{
  guint32 v;

  if (!has_bytes (len, offset, 4))
    return FALSE;
  memcpy (&v, data + offset, 4);
  *value = ntohl (v);
  return TRUE;
}

static gboolean
fail (GError        **error,
      HbPacketError   code,
      const char     *format,
      ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (GError        **error,
      HbPacketError   code,
      const char     *format,
      ...)
{
  va_list args;

  if (error == NULL)
    return FALSE;
  va_start (args, format);
  *error = g_error_new_valist (HB_PACKET_ERROR, code, format, args);
  va_end (args);
  return FALSE;
}

/* ------------------------------------------------------------------------ */
/* Link layer                                                               */

gboolean
hb_packet_linktype_is_supported (int linktype)
{
  switch (linktype)
    {
    case DLT_NULL:
    case DLT_EN10MB:
    case DLT_RAW:
    case LINKTYPE_RAW:
    case DLT_LOOP:
    case DLT_LINUX_SLL:
    case DLT_IPV4:
    case DLT_IPV6:
    case DLT_LINUX_SLL2:
      return TRUE;
    default:
      return FALSE;
    }
}

/* BSD address families that mean IPv6: 24 (NetBSD, OpenBSD; also what
 * Npcap's loopback writes), 28 (FreeBSD), 30 (macOS). 23 is Windows'
 * AF_INET6 but IPX on the BSDs (Wireshark 4.0 reads it as IPX), so it
 * counts as IPv6 only when the packet says so itself (-1). */
static int
family_from_af (guint32 af)
{
  switch (af)
    {
    case 2:
      return 4;
    case 23:
      return -1;
    case 24:
    case 28:
    case 30:
      return 6;
    default:
      return 0;
    }
}

static int
family_from_ethertype (guint16 type)
{
  switch (type)
    {
    case ETHERTYPE_IPV4:
      return 4;
    case ETHERTYPE_IPV6:
      return 6;
    default:
      return 0;
    }
}

/* Finds where the IP header starts and which version the link layer says it
 * is (0: read the version from the IP header itself). */
static gboolean
parse_link (const guint8  *data,
            gsize          caplen,
            int            linktype,
            gsize         *ip_offset,
            int           *family,
            GError       **error)
{
  guint16 type;
  guint32 af;

  switch (linktype)
    {
    case DLT_EN10MB:
      if (!read_u16 (data, caplen, 12, &type))
        return fail (error, HB_PACKET_ERROR_TRUNCATED, _("truncated Ethernet header"));
      *ip_offset = 14;
      if (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ)
        {
          if (!read_u16 (data, caplen, 16, &type))
            return fail (error, HB_PACKET_ERROR_TRUNCATED, _("truncated VLAN tag"));
          *ip_offset = 18;
        }
      *family = family_from_ethertype (type);
      break;

    case DLT_LINUX_SLL:
      if (!read_u16 (data, caplen, 14, &type))
        return fail (error, HB_PACKET_ERROR_TRUNCATED, _("truncated Linux cooked header"));
      *ip_offset = 16;
      *family = family_from_ethertype (type);
      break;

    case DLT_LINUX_SLL2:
      if (!read_u16 (data, caplen, 0, &type) || !has_bytes (caplen, 0, 20))
        return fail (error, HB_PACKET_ERROR_TRUNCATED, _("truncated Linux cooked v2 header"));
      *ip_offset = 20;
      *family = family_from_ethertype (type);
      break;

    case DLT_NULL:
      if (!has_bytes (caplen, 0, 4))
        return fail (error, HB_PACKET_ERROR_TRUNCATED, _("truncated loopback header"));
      /* Host order of the machine that captured, which need not be ours:
       * a family number never uses the upper half, so a value there means
       * the other byte order. */
      memcpy (&af, data, 4);
      if (af & 0xffff0000)
        af = GUINT32_SWAP_LE_BE (af);
      *ip_offset = 4;
      *family = family_from_af (af);
      break;

    case DLT_LOOP:
      if (!read_u32 (data, caplen, 0, &af))
        return fail (error, HB_PACKET_ERROR_TRUNCATED, _("truncated loopback header"));
      *ip_offset = 4;
      *family = family_from_af (af);
      break;

    case DLT_RAW:
    case LINKTYPE_RAW:
      *ip_offset = 0;
      *family = -1;
      return TRUE;

    case DLT_IPV4:
      *ip_offset = 0;
      *family = 4;
      return TRUE;

    case DLT_IPV6:
      *ip_offset = 0;
      *family = 6;
      return TRUE;

    default:
      return fail (error, HB_PACKET_ERROR_UNSUPPORTED_LINKTYPE,
                   _("unsupported link type %d"), linktype);
    }

  if (*family == 0)
    return fail (error, HB_PACKET_ERROR_NOT_TCP, _("not an IP packet"));
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* IP                                                                       */

/* On success *l4_offset..*l4_end is the TCP segment as the IP header
 * delimits it; *l4_end may lie beyond caplen when the snapshot cut it. */
static gboolean
parse_ipv4 (const guint8  *data,
            gsize          caplen,
            gsize          wirelen,
            gsize          offset,
            HbPacket      *out,
            gsize         *l4_offset,
            gsize         *l4_end,
            GError       **error)
{
  guint8 vihl = 0, proto = 0;
  guint16 total = 0, frag = 0;
  gsize ihl;
  guint8 addr[4];

  if (!read_u8 (data, caplen, offset, &vihl) || !has_bytes (caplen, offset, 20))
    return fail (error, HB_PACKET_ERROR_TRUNCATED, _("truncated IPv4 header"));
  if ((vihl >> 4) != 4)
    return fail (error, HB_PACKET_ERROR_MALFORMED, _("IP version %u where IPv4 was expected"), vihl >> 4);
  ihl = (gsize) (vihl & 0x0f) * 4;
  if (ihl < 20)
    return fail (error, HB_PACKET_ERROR_MALFORMED, _("IPv4 header length %zu is below 20"), ihl);
  if (!has_bytes (caplen, offset, ihl))
    return fail (error, HB_PACKET_ERROR_TRUNCATED, _("truncated IPv4 options"));

  read_u16 (data, caplen, offset + 2, &total);
  read_u16 (data, caplen, offset + 6, &frag);
  read_u8 (data, caplen, offset + 9, &proto);

  if (total < ihl)
    return fail (error, HB_PACKET_ERROR_MALFORMED,
                 _("IPv4 total length %u is shorter than its header (%zu)"), total, ihl);
  if (!has_bytes (wirelen, offset, total))
    return fail (error, HB_PACKET_ERROR_MALFORMED,
                 _("IPv4 total length %u exceeds the %zu bytes of the frame"),
                 total, wirelen > offset ? wirelen - offset : 0);
  if ((frag & 0x3fff) != 0)
    return fail (error, HB_PACKET_ERROR_FRAGMENT, _("IPv4 fragment (not reassembled)"));
  if (proto != IPPROTO_NUM_TCP)
    return fail (error, HB_PACKET_ERROR_NOT_TCP, _("IP protocol %u is not TCP"), proto);

  out->family = 4;
  memcpy (addr, data + offset + 12, 4);
  inet_ntop (AF_INET, addr, out->src, sizeof out->src);
  memcpy (addr, data + offset + 16, 4);
  inet_ntop (AF_INET, addr, out->dst, sizeof out->dst);

  *l4_offset = offset + ihl;
  *l4_end = offset + total;
  return TRUE;
}

static gboolean
parse_ipv6 (const guint8  *data,
            gsize          caplen,
            gsize          wirelen,
            gsize          offset,
            HbPacket      *out,
            gsize         *l4_offset,
            gsize         *l4_end,
            GError       **error)
{
  guint8 version = 0, next = 0;
  guint16 plen = 0;
  gsize pos, end;
  guint8 addr[16];

  if (!read_u8 (data, caplen, offset, &version) || !has_bytes (caplen, offset, 40))
    return fail (error, HB_PACKET_ERROR_TRUNCATED, _("truncated IPv6 header"));
  if ((version >> 4) != 6)
    return fail (error, HB_PACKET_ERROR_MALFORMED, _("IP version %u where IPv6 was expected"), version >> 4);

  read_u16 (data, caplen, offset + 4, &plen);
  read_u8 (data, caplen, offset + 6, &next);
  if (next == IP6_NO_NEXT)
    return fail (error, HB_PACKET_ERROR_NOT_TCP, _("IPv6 packet without payload"));
  if (plen == 0)
    return fail (error, HB_PACKET_ERROR_MALFORMED, _("IPv6 payload length 0 (jumbograms are not supported)"));
  if (!has_bytes (wirelen, offset + 40, plen))
    return fail (error, HB_PACKET_ERROR_MALFORMED,
                 _("IPv6 payload length %u exceeds the %zu bytes of the frame"),
                 plen, wirelen > offset + 40 ? wirelen - offset - 40 : 0);

  pos = offset + 40;
  end = pos + plen;

  /* Each header moves pos forward by at least 8 bytes, and the count is
   * bounded too, so a chain of headers cannot keep us here. */
  for (guint n = 0; next != IPPROTO_NUM_TCP; n++)
    {
      guint8 hdr_next = 0, hdr_len = 0;
      guint16 frag = 0;
      gsize size;

      if (n >= IP6_MAX_EXT_HEADERS)
        return fail (error, HB_PACKET_ERROR_MALFORMED,
                     _("more than %d IPv6 extension headers"), IP6_MAX_EXT_HEADERS);

      switch (next)
        {
        case IP6_HOP_BY_HOP:
        case IP6_ROUTING:
        case IP6_DEST_OPTS:
        case IP6_FRAGMENT:
        case IP6_AUTH:
          break;
        case IP6_NO_NEXT:
          return fail (error, HB_PACKET_ERROR_NOT_TCP, _("IPv6 packet without payload"));
        default:
          return fail (error, HB_PACKET_ERROR_NOT_TCP, _("IP protocol %u is not TCP"), next);
        }

      if (!has_bytes (end, pos, 8))
        return fail (error, HB_PACKET_ERROR_MALFORMED, _("IPv6 extension header runs past the payload"));
      if (!read_u8 (data, caplen, pos, &hdr_next) || !read_u8 (data, caplen, pos + 1, &hdr_len))
        return fail (error, HB_PACKET_ERROR_TRUNCATED, _("truncated IPv6 extension header"));

      if (next == IP6_FRAGMENT)
        {
          if (!read_u16 (data, caplen, pos + 2, &frag))
            return fail (error, HB_PACKET_ERROR_TRUNCATED, _("truncated IPv6 extension header"));
          /* An atomic fragment (offset 0, no more fragments) is whole. */
          if ((frag & 0xfff9) != 0)
            return fail (error, HB_PACKET_ERROR_FRAGMENT, _("IPv6 fragment (not reassembled)"));
          size = 8;
        }
      else if (next == IP6_AUTH)
        size = ((gsize) hdr_len + 2) * 4;
      else
        size = ((gsize) hdr_len + 1) * 8;

      if (!has_bytes (end, pos, size))
        return fail (error, HB_PACKET_ERROR_MALFORMED, _("IPv6 extension header runs past the payload"));
      pos += size;
      next = hdr_next;
    }

  out->family = 6;
  memcpy (addr, data + offset + 8, 16);
  inet_ntop (AF_INET6, addr, out->src, sizeof out->src);
  memcpy (addr, data + offset + 24, 16);
  inet_ntop (AF_INET6, addr, out->dst, sizeof out->dst);

  *l4_offset = pos;
  *l4_end = end;
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* TCP                                                                      */

static void
add_info_option (HbPacket *out,
                 guint8    kind)
{
  for (guint i = 0; i < G_N_ELEMENTS (out->info_options) - 1; i++)
    if (out->info_options[i] == 0)
      {
        out->info_options[i] = kind;
        return;
      }
}

static void
bad_option (HbPacket   *out,
            const char *why)
{
  out->bad_options = TRUE;
  if (out->warning == NULL)
    out->warning = why;
}

/* The option rules of CAPTURE.md: kinds 0 and 1 are one byte; every other
 * kind has a length byte that must be at least 2 and stay inside the
 * header; the kinds we read must have their exact lengths. A broken list
 * stops the walk and is reported, but the segment itself is still good. */
/* @captured: how many of the @len bytes of options the capture kept.
 * Wireshark shows the options the snapshot kept whole, in order, and
 * stops at the first one it cut (HB_PACKET_CUT_OPTIONS). */
static void
parse_tcp_options (const guint8 *opt,
                   gsize         len,
                   gsize         captured,
                   HbPacket     *out)
{
  gsize i = 0;

  while (i < len)
    {
      guint8 kind;
      guint8 olen;

      if (i >= captured)
        {
          out->cut = HB_PACKET_CUT_OPTIONS;
          return;
        }
      kind = opt[i];
      if (kind == TCP_OPT_EOL)
        break;
      if (kind == TCP_OPT_NOP)
        {
          i++;
          continue;
        }
      if (i + 1 >= len)
        {
          bad_option (out, _("TCP option without its length byte"));
          return;
        }
      if (i + 1 >= captured)
        {
          out->cut = HB_PACKET_CUT_OPTIONS;
          return;
        }
      olen = opt[i + 1];
      if (olen < 2)
        {
          bad_option (out, _("TCP option with a length below 2"));
          return;
        }
      if (olen > len - i)
        {
          bad_option (out, _("TCP option runs past the end of the header"));
          return;
        }
      if (olen > captured - i)
        {
          out->cut = HB_PACKET_CUT_OPTIONS;
          return;
        }

      switch (kind)
        {
        case TCP_OPT_MSS:
          if (olen != 4)
            bad_option (out, _("TCP MSS option with a wrong length"));
          else
            {
              read_u16 (opt, len, i + 2, &out->mss);
              out->has_mss = TRUE;
              add_info_option (out, kind);
            }
          break;

        case TCP_OPT_WS:
          if (olen != 3)
            bad_option (out, _("TCP window scale option with a wrong length"));
          else
            {
              out->ws_shift = opt[i + 2];
              out->has_ws = TRUE;
              if (out->ws_shift > TCP_MAX_WS_SHIFT)
                bad_option (out, _("TCP window scale shift above 14 (14 is used)"));
              add_info_option (out, kind);
            }
          break;

        case TCP_OPT_SACK_PERM:
          if (olen != 2)
            bad_option (out, _("TCP SACK permitted option with a wrong length"));
          else
            {
              out->sack_perm = TRUE;
              add_info_option (out, kind);
            }
          break;

        case TCP_OPT_SACK:
          if (olen < 10 || (olen - 2) % 8 != 0)
            bad_option (out, _("TCP SACK option with a wrong length"));
          else
            {
              guint n = (olen - 2) / 8;

              for (guint b = 0; b < n && out->n_sack < HB_PACKET_MAX_SACK_BLOCKS; b++)
                {
                  HbSackBlock *block = &out->sack[out->n_sack++];

                  read_u32 (opt, len, i + 2 + b * 8, &block->left);
                  read_u32 (opt, len, i + 6 + b * 8, &block->right);
                  out->rel_sack[out->n_sack - 1] = *block;
                }
              add_info_option (out, kind);
            }
          break;

        case TCP_OPT_TIMESTAMP:
          if (olen != 10)
            bad_option (out, _("TCP timestamps option with a wrong length"));
          else
            {
              read_u32 (opt, len, i + 2, &out->ts_val);
              read_u32 (opt, len, i + 6, &out->ts_ecr);
              out->has_timestamps = TRUE;
              add_info_option (out, kind);
            }
          break;

        default:
          break;
        }

      i += olen;
    }
}

static gboolean
parse_tcp (const guint8  *data,
           gsize          caplen,
           gsize          offset,
           gsize          end,
           HbPacket      *out,
           GError       **error)
{
  guint16 flags_word = 0;
  gsize hlen;

  if (!has_bytes (end, offset, 20))
    return fail (error, HB_PACKET_ERROR_MALFORMED,
                 _("IP payload of %zu bytes is too short for a TCP header"),
                 end > offset ? end - offset : 0);
  /* Wireshark reads the numbers, flags and window of a header the
   * snapshot cut after them, and analyses the segment. */
  if (!has_bytes (caplen, offset, 4))
    return fail (error, HB_PACKET_ERROR_TRUNCATED, _("truncated TCP header"));

  read_u16 (data, caplen, offset, &out->src_port);
  read_u16 (data, caplen, offset + 2, &out->dst_port);
  out->tcp_offset = offset;
  if (!has_bytes (caplen, offset, 16))
    {
      /* Only the ports: Wireshark shows them, and no more. */
      out->cut = HB_PACKET_CUT_PORTS;
      out->conversation = HB_PACKET_NO_CONVERSATION;
      out->payload_offset = caplen;
      return TRUE;
    }
  read_u32 (data, caplen, offset + 4, &out->seq);
  read_u32 (data, caplen, offset + 8, &out->ack);
  read_u16 (data, caplen, offset + 12, &flags_word);
  read_u16 (data, caplen, offset + 14, &out->win_raw);
  if (!read_u16 (data, caplen, offset + 18, &out->urgent))
    out->cut = HB_PACKET_CUT_HEADER;

  hlen = (gsize) (flags_word >> 12) * 4;
  if (hlen < 20)
    return fail (error, HB_PACKET_ERROR_MALFORMED, _("TCP data offset %zu is below 5"), hlen / 4);
  if (!has_bytes (end, offset, hlen))
    return fail (error, HB_PACKET_ERROR_MALFORMED,
                 _("TCP header length %zu exceeds the IP payload of %zu bytes"), hlen, end - offset);

  out->flags = flags_word & 0x0fff;
  out->tcp_offset = offset;
  out->tcp_header_len = hlen;
  out->payload_offset = offset + hlen;
  out->payload_len = end - offset - hlen;
  out->payload_captured = caplen > out->payload_offset
                          ? MIN (out->payload_len, caplen - out->payload_offset) : 0;
  out->rel_seq = out->seq;
  out->rel_ack = out->ack;
  out->win = out->win_raw;

  if (out->cut == HB_PACKET_CUT_NONE)
    parse_tcp_options (data + offset + 20, hlen - 20, MIN (hlen, caplen - offset) - 20, out);
  return TRUE;
}

gboolean
hb_packet_parse (const guint8  *data,
                 gsize          caplen,
                 gsize          origlen,
                 int            linktype,
                 HbPacket      *out,
                 GError       **error)
{
  gsize ip_offset = 0, l4_offset = 0, l4_end = 0, wirelen;
  int family = 0;
  guint8 version;
  gint ref_count;
  gboolean ok;

  g_return_val_if_fail (data != NULL || caplen == 0, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  ref_count = out->ref_count;
  hb_packet_clear (out);
  memset (out, 0, sizeof *out);
  out->ref_count = ref_count;
  out->caplen = MIN (caplen, G_MAXUINT32);
  out->origlen = MIN (origlen, G_MAXUINT32);
  out->linktype = linktype;
  /* A file may claim fewer bytes on the wire than it captured. */
  wirelen = MAX (caplen, origlen);

  /* Offsets are stored in 32 bits. */
  if (caplen > G_MAXUINT32 || wirelen > G_MAXUINT32)
    return fail (error, HB_PACKET_ERROR_MALFORMED, _("frame too large"));

  if (!parse_link (data, caplen, linktype, &ip_offset, &family, error))
    return FALSE;

  if (family == -1)
    {
      if (!read_u8 (data, caplen, ip_offset, &version))
        return fail (error, HB_PACKET_ERROR_TRUNCATED, _("empty IP packet"));
      family = version >> 4;
      if (family != 4 && family != 6)
        return fail (error, HB_PACKET_ERROR_NOT_TCP, _("IP version %u is neither 4 nor 6"), version >> 4);
      /* AF 23 on a BSD is IPX: quietly not ours. */
      if ((linktype == DLT_NULL || linktype == DLT_LOOP) && family != 6)
        return fail (error, HB_PACKET_ERROR_NOT_TCP, _("not an IP packet"));
    }

  out->ip_offset = ip_offset;
  if (family == 4)
    ok = parse_ipv4 (data, caplen, wirelen, ip_offset, out, &l4_offset, &l4_end, error);
  else
    ok = parse_ipv6 (data, caplen, wirelen, ip_offset, out, &l4_offset, &l4_end, error);
  if (!ok || !parse_tcp (data, caplen, l4_offset, l4_end, out, error))
    return FALSE;

  out->data = g_bytes_new (data, caplen);
  return TRUE;
}
