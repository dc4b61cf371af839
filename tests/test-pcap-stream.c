/* test-pcap-stream.c - classic pcap read piece by piece as it comes out of a pipe
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include <glib/gstdio.h>
#include <pcap/pcap.h>

#include "heartbeat-lab.h"
#include "hb-capture-file.h"
#include "hb-capture-writer.h"
#include "hb-conversation.h"
#include "hb-packet.h"
#include "hb-test-pcap.h"
#include "hb-test-util.h"

#define F HB_TCP_FIN
#define S HB_TCP_SYN
#define R HB_TCP_RST
#define P HB_TCP_PSH
#define A HB_TCP_ACK

typedef struct
{
  GPtrArray *frames;   /* GBytes */
  GArray    *times;    /* gint64 */
} Frames;

static void
collect_frame (gint64 time_us, const guint8 *data, gsize caplen, gsize origlen, gpointer user_data)
{
  Frames *f = user_data;

  g_ptr_array_add (f->frames, g_bytes_new (data, caplen));
  g_array_append_val (f->times, time_us);
}

static void
frames_init (Frames *f)
{
  f->frames = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  f->times = g_array_new (FALSE, FALSE, sizeof (gint64));
}

static void
frames_clear (Frames *f)
{
  g_ptr_array_unref (f->frames);
  g_array_unref (f->times);
}

/* The stream gives the frames the file reader gives, however the bytes
 * are cut: one at a time, in 7-byte pieces, all at once. */
static void
test_stream_pieces (void)
{
  HbTestNet net = hb_test_net_default (4);
  g_autoptr(GBytes) file = hb_test_make_conversation (DLT_EN10MB, HB_TEST_VARIANT_PLAIN, &net, 1000, 5000);
  gsize len;
  const guint8 *data = g_bytes_get_data (file, &len);
  const gsize pieces[] = { 1, 7, 24, 4096, G_MAXSIZE };
  g_autoptr(HbCaptureFile) reader = hb_capture_file_new ();
  GPtrArray *packets;

  g_assert_true (hb_capture_file_load_bytes (reader, file, NULL));
  packets = hb_capture_file_get_packets (reader);

  for (guint p = 0; p < G_N_ELEMENTS (pieces); p++)
    {
      g_autoptr(HbPcapStream) stream = hb_pcap_stream_new ();
      Frames f;

      frames_init (&f);
      g_assert_false (hb_pcap_stream_has_header (stream));
      g_assert_cmpint (hb_pcap_stream_get_linktype (stream), ==, -1);
      for (gsize off = 0; off < len; off += MIN (pieces[p], len - off))
        {
          g_autoptr(GError) error = NULL;

          g_assert_true (hb_pcap_stream_feed (stream, data + off, MIN (pieces[p], len - off),
                                              collect_frame, &f, &error));
          g_assert_no_error (error);
          /* Never more than one record held back. */
          g_assert_cmpuint (hb_pcap_stream_get_pending (stream), <, 24 + 16 + 128);
        }
      g_assert_true (hb_pcap_stream_has_header (stream));
      g_assert_cmpint (hb_pcap_stream_get_linktype (stream), ==, DLT_EN10MB);
      g_assert_cmpuint (hb_pcap_stream_get_pending (stream), ==, 0);
      g_assert_cmpuint (f.frames->len, ==, packets->len);
      for (guint i = 0; i < packets->len; i++)
        {
          HbPacket *packet = packets->pdata[i];

          g_assert_true (g_bytes_equal (f.frames->pdata[i], packet->data));
          g_assert_cmpint (g_array_index (f.times, gint64, i), ==, packet->time_us);
        }
      frames_clear (&f);
    }
}

/* Damage is refused at once, and stays refused; nothing is buffered
 * beyond the limit. */
static void
test_stream_damage (void)
{
  HbTestNet net = hb_test_net_default (4);
  g_autoptr(GBytes) file = hb_test_make_conversation (DLT_EN10MB, HB_TEST_VARIANT_PLAIN, &net, 1, 2);
  gsize len;
  const guint8 *data = g_bytes_get_data (file, &len);
  g_autofree guint8 *bad = g_memdup2 (data, len);
  Frames f;

  frames_init (&f);

  /* Not pcap: text where the magic number should be. */
  {
    g_autoptr(HbPcapStream) stream = hb_pcap_stream_new ();
    g_autoptr(GError) error = NULL;
    const char text[] = "capturing tcp port 12001 on lo into standard output\n";

    g_assert_false (hb_pcap_stream_feed (stream, (const guint8 *) text, sizeof text - 1, collect_frame, &f, &error));
    g_assert_error (error, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_DAMAGED);
    g_clear_error (&error);
    g_assert_false (hb_pcap_stream_feed (stream, data, len, collect_frame, &f, &error));
    g_assert_nonnull (error);
  }

  /* A record that claims 4 GB: refused, not waited for. */
  bad[24 + 8] = 0xff;
  bad[24 + 9] = 0xff;
  bad[24 + 10] = 0xff;
  bad[24 + 11] = 0x7f;
  {
    g_autoptr(HbPcapStream) stream = hb_pcap_stream_new ();
    g_autoptr(GError) error = NULL;

    g_assert_false (hb_pcap_stream_feed (stream, bad, len, collect_frame, &f, &error));
    g_assert_error (error, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_DAMAGED);
    g_assert_cmpuint (f.frames->len, ==, 0);
  }

  /* Swapped byte order and nanosecond stamps read the same frames. */
  {
    g_autoptr(HbPcapStream) stream = hb_pcap_stream_new ();
    g_autoptr(GByteArray) swapped = g_byte_array_new ();
    gsize off = 24;

    g_byte_array_append (swapped, (const guint8 *) "\xa1\xb2\x3c\x4d", 4);  /* ns, big-endian */
    for (guint k = 4; k < 24; k += 4)
      {
        guint32 v;

        memcpy (&v, data + k, 4);
        if (k == 4)
          {
            /* major, minor: two 16-bit fields */
            guint16 a, b;

            memcpy (&a, data + 4, 2);
            memcpy (&b, data + 6, 2);
            a = GUINT16_SWAP_LE_BE (a);
            b = GUINT16_SWAP_LE_BE (b);
            g_byte_array_append (swapped, (const guint8 *) &a, 2);
            g_byte_array_append (swapped, (const guint8 *) &b, 2);
            continue;
          }
        v = GUINT32_SWAP_LE_BE (v);
        g_byte_array_append (swapped, (const guint8 *) &v, 4);
      }
    while (off < len)
      {
        guint32 h[4];

        memcpy (h, data + off, 16);
        {
          guint32 caplen = h[2];

          h[1] *= 1000;   /* µs to ns */
          for (guint k = 0; k < 4; k++)
            h[k] = GUINT32_SWAP_LE_BE (h[k]);
          g_byte_array_append (swapped, (const guint8 *) h, 16);
          g_byte_array_append (swapped, data + off + 16, caplen);
          off += 16 + caplen;
        }
      }
    g_assert_true (hb_pcap_stream_feed (stream, swapped->data, swapped->len, collect_frame, &f, NULL));
    g_assert_cmpuint (f.frames->len, ==, HB_TEST_CONVERSATION_LEN);
    g_assert_cmpint (g_array_index (f.times, gint64, 1) - g_array_index (f.times, gint64, 0), ==, 1000);
  }

  frames_clear (&f);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/pcap/stream/pieces", test_stream_pieces);
  g_test_add_func ("/core/pcap/stream/damage", test_stream_damage);

  return g_test_run ();
}
