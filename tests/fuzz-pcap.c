/* fuzz-pcap.c - libFuzzer target for the capture file reader, the packet parser and the analysis
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input is tried twice: as a whole capture file (pcap or pcapng, read
 * by libpcap from memory, then split into conversations and printed), and
 * as a single frame of every link type we parse. Build with
 * `meson setup -Dfuzzing=true` and clang; run e.g.
 * `./fuzz-pcap -max_total_time=60 CORPUS_DIR`.
 */

#include "config.h"

#include <pcap/dlt.h>
#include <stdint.h>

#include "hb-capture-file.h"
#include "hb-conversation.h"
#include "hb-packet.h"

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

          g_assert (g_utf8_validate (info, -1, NULL));
          g_assert (text == NULL || g_utf8_validate (text, -1, NULL));
        }
    }
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
