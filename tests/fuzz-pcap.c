/* fuzz-pcap.c - libFuzzer target for the capture file reader, the packet parser and the analysis
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input is tried three ways: as a whole capture file (pcap or pcapng,
 * read by libpcap from memory, then split into conversations and printed),
 * as a pcap stream arriving in pieces (what the GUI reads from the capture
 * tool), and as a single frame of every link type we parse. Build with
 * `meson setup -Dfuzzing=true` and clang; run e.g.
 * `./fuzz-pcap -max_total_time=60 CORPUS_DIR`.
 */

#include "config.h"

#include <pcap/dlt.h>
#include <stdint.h>
#include <string.h>

#include "hb-capture-file.h"
#include "hb-conversation.h"
#include "hb-packet.h"
#include "hb-pcap-stream.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static void
print_all (GPtrArray *conversations)
{
  for (guint c = 0; c < conversations->len; c++)
    {
      HbConversation *conv = g_ptr_array_index (conversations, c);
      g_autofree char *described = hb_conversation_describe (conv);

      g_assert (g_utf8_validate (described, -1, NULL));
      for (guint i = 0; i < hb_conversation_get_n_packets (conv); i++)
        {
          HbPacket *packet = hb_conversation_get_packet (conv, i);
          g_autofree char *info = hb_packet_format_info (packet);
          g_autofree char *text = hb_packet_format_payload (packet);

          g_autofree char *details = hb_packet_format_details (packet);
          gsize len = 0;
          const guint8 *bytes = packet->data ? g_bytes_get_data (packet->data, &len) : NULL;
          g_autofree char *hex = hb_format_hex_dump (bytes, len);

          g_assert (g_utf8_validate (info, -1, NULL));
          g_assert (text == NULL || g_utf8_validate (text, -1, NULL));
          g_assert (g_utf8_validate (details, -1, NULL));
          g_assert (strlen (hex) >= len * 3);
        }
    }
}

typedef struct
{
  HbPcapStream *stream;
  GPtrArray    *packets;
} Streamed;

static void
stream_frame (gint64 time_us, const guint8 *frame, gsize caplen, gsize origlen, gpointer user_data)
{
  Streamed *st = user_data;
  g_autoptr(HbPacket) packet = hb_packet_new ();

  g_assert (caplen <= HB_PCAP_STREAM_MAX_RECORD);
  if (st->packets->len < 4096 &&
      hb_packet_parse (frame, caplen, origlen, hb_pcap_stream_get_linktype (st->stream), packet, NULL))
    g_ptr_array_add (st->packets, g_steal_pointer (&packet));
}

/* The bytes as a pipe delivers them: pieces whose sizes come from the
 * input itself, so the fuzzer explores the cuts too. */
static void
try_stream (const uint8_t *data,
            size_t         size)
{
  g_autoptr(HbPcapStream) stream = hb_pcap_stream_new ();
  g_autoptr(GPtrArray) packets = g_ptr_array_new_with_free_func ((GDestroyNotify) hb_packet_unref);
  g_autoptr(GPtrArray) conversations = NULL;
  Streamed st = { stream, packets };
  size_t off = 0, piece = size > 0 ? (size_t) (data[0] % 61) + 1 : 1;

  while (off < size)
    {
      size_t n = MIN (piece, size - off);

      if (!hb_pcap_stream_feed (stream, data + off, n, stream_frame, &st, NULL))
        break;
      g_assert (hb_pcap_stream_get_pending (stream) <= 24 + 16 + HB_PCAP_STREAM_MAX_RECORD + piece);
      off += n;
      piece = piece * 7 % 509 + 1;
    }
  conversations = hb_conversation_split (packets);
  print_all (conversations);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const int linktypes[] = {
    DLT_NULL, DLT_EN10MB, DLT_RAW, 101, DLT_LOOP, DLT_LINUX_SLL, DLT_IPV4, DLT_IPV6, DLT_LINUX_SLL2,
  };
  g_autoptr(GBytes) bytes = g_bytes_new (data, size);
  g_autoptr(HbCaptureFile) file = hb_capture_file_new ();
  g_autoptr(GPtrArray) packets = g_ptr_array_new_with_free_func ((GDestroyNotify) hb_packet_unref);
  g_autoptr(GPtrArray) conversations = NULL;

  hb_capture_file_load_bytes (file, bytes, NULL);
  print_all (hb_capture_file_get_conversations (file));
  try_stream (data, size);

  for (guint i = 0; i < G_N_ELEMENTS (linktypes); i++)
    {
      /* A wire length below and above the captured one. */
      const size_t wire[] = { size / 2, size + 1000 };

      for (guint w = 0; w < G_N_ELEMENTS (wire); w++)
        {
          g_autoptr(HbPacket) packet = hb_packet_new ();

          if (hb_packet_parse (data, size, wire[w], linktypes[i], packet, NULL))
            g_ptr_array_add (packets, g_steal_pointer (&packet));
        }
    }
  conversations = hb_conversation_split (packets);
  print_all (conversations);
  return 0;
}
