/* fuzz-seeds.c - writes the seed corpus for fuzz-pcap from the tests' own capture fixtures
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage: fuzz-seeds DIR. Every seed is made by the project's code: the
 * synthetic heartbeat conversation in every link type we read, as a pcap
 * file (HbCaptureWriter), as the same file in pcapng, and cut short; and
 * single frames of it, since fuzz-pcap also parses its input as one frame.
 * Prints how many files it wrote.
 */

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>
#include <pcap/pcap.h>

#include "hb-test-pcap.h"

static guint n_written;

static void
write_seed (const char   *dir,
            const char   *name,
            const guint8 *data,
            gsize         size)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, name, NULL);

  if (!g_file_set_contents (path, (const char *) data, size, &error))
    g_error ("%s", error->message);
  n_written++;
}

static void
write_seed_bytes (const char *dir,
                  const char *name,
                  GBytes     *bytes)
{
  write_seed (dir, name, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static void
append32 (GByteArray *a,
          guint32     v)
{
  g_byte_array_append (a, (const guint8 *) &v, 4);
}

static void
append_block (GByteArray   *a,
              guint32       type,
              const guint8 *body,
              gsize         body_len)
{
  static const guint8 pad[4] = { 0 };
  gsize padded = (body_len + 3) & ~(gsize) 3;

  append32 (a, type);
  append32 (a, 12 + padded);
  g_byte_array_append (a, body, body_len);
  g_byte_array_append (a, pad, padded - body_len);
  append32 (a, 12 + padded);
}

/* The same frames as the classic pcap file @pcap (in this machine's byte
 * order, as pcap_dump writes it), as a pcapng section: one interface,
 * microsecond timestamps, one enhanced packet block a frame. */
static GBytes *
pcap_to_pcapng (GBytes *pcap)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (pcap, &size);
  GByteArray *a = g_byte_array_new ();
  g_autoptr(GByteArray) body = g_byte_array_new ();
  guint32 magic, snaplen, linktype;
  guint16 idb[2];

  g_assert_cmpuint (size, >=, 24);
  memcpy (&magic, data, 4);
  g_assert_cmphex (magic, ==, 0xa1b2c3d4);
  memcpy (&snaplen, data + 16, 4);
  memcpy (&linktype, data + 20, 4);

  /* Section header: byte-order magic, version 1.0, length unknown. */
  append32 (body, 0x1a2b3c4d);
  idb[0] = 1;
  idb[1] = 0;
  g_byte_array_append (body, (const guint8 *) idb, 4);
  append32 (body, 0xffffffff);
  append32 (body, 0xffffffff);
  append_block (a, 0x0a0d0d0a, body->data, body->len);

  g_byte_array_set_size (body, 0);
  idb[0] = linktype;
  idb[1] = 0;
  g_byte_array_append (body, (const guint8 *) idb, 4);
  append32 (body, snaplen);
  append_block (a, 1, body->data, body->len);

  for (gsize at = 24; at + 16 <= size;)
    {
      guint32 sec, usec, caplen, origlen;
      guint64 ts;

      memcpy (&sec, data + at, 4);
      memcpy (&usec, data + at + 4, 4);
      memcpy (&caplen, data + at + 8, 4);
      memcpy (&origlen, data + at + 12, 4);
      g_assert_cmpuint (at + 16 + caplen, <=, size);
      ts = (guint64) sec * G_USEC_PER_SEC + usec;

      g_byte_array_set_size (body, 0);
      append32 (body, 0);
      append32 (body, ts >> 32);
      append32 (body, ts & 0xffffffff);
      append32 (body, caplen);
      append32 (body, origlen);
      g_byte_array_append (body, data + at + 16, caplen);
      append_block (a, 6, body->data, body->len);
      at += 16 + caplen;
    }
  return g_byte_array_free_to_bytes (a);
}

static void
write_link_case (const char           *dir,
                 guint                 index,
                 const HbTestLinkCase *lc)
{
  HbTestNet net = hb_test_net_default (lc->family);
  g_autoptr(GBytes) pcap = hb_test_make_conversation (lc->linktype, lc->variant, &net, 1000, 5000);
  g_autoptr(GBytes) pcapng = pcap_to_pcapng (pcap);
  g_autofree char *stem = g_strdup_printf ("%02u-%s-%d-ipv%d", index,
                                           pcap_datalink_val_to_name (lc->linktype),
                                           lc->variant, lc->family);
  g_autofree char *name = NULL;
  /* The SYN (every option), the data, a heartbeat and a FIN. */
  static const guint frames[] = { 0, 3, 5, 8 };

  name = g_strconcat (stem, ".pcap", NULL);
  write_seed_bytes (dir, name, pcap);
  g_free (name);
  name = g_strconcat (stem, ".pcapng", NULL);
  write_seed_bytes (dir, name, pcapng);
  g_free (name);
  /* Damaged in the last frame: what precedes it is kept. */
  name = g_strconcat (stem, "-cut.pcap", NULL);
  write_seed (dir, name, g_bytes_get_data (pcap, NULL), g_bytes_get_size (pcap) - 5);

  for (guint i = 0; i < G_N_ELEMENTS (frames); i++)
    {
      g_autoptr(GByteArray) ip = hb_test_step_ip (&net, &hb_test_conversation[frames[i]], 1000, 5000);
      g_autoptr(GBytes) frame = hb_test_link_wrap (lc->linktype, lc->variant, lc->family, ip);

      g_free (name);
      name = g_strdup_printf ("%s-frame%u", stem, frames[i] + 1);
      write_seed_bytes (dir, name, frame);
    }
}

int
main (int   argc,
      char *argv[])
{
  HbTestNet net = hb_test_net_default (4);
  g_autoptr(GBytes) wrap = NULL;

  if (argc != 2)
    {
      g_printerr ("usage: %s DIR\n", argv[0]);
      return 2;
    }
  if (g_mkdir_with_parents (argv[1], 0755) != 0)
    g_error ("cannot make %s: %s", argv[1], g_strerror (errno));

  for (guint i = 0; i < HB_TEST_N_LINK_CASES; i++)
    write_link_case (argv[1], i, &hb_test_link_cases[i]);

  /* Both directions' sequence numbers wrap around 2^32. */
  wrap = hb_test_make_conversation (DLT_EN10MB, HB_TEST_VARIANT_PLAIN, &net, 0xfffffff0, 0xfffffffe);
  write_seed_bytes (argv[1], "wraparound.pcap", wrap);

  g_print ("%u\n", n_written);
  return 0;
}
