/* test-pcap-broken.c - capture files that are damaged, truncated, mutated or not captures at all
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Anything may come out of hostile input but a crash, a hang or a read
 * out of bounds; what can be told is told (tests/test-pcap.c has the
 * good files).
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

static void
expect_load_error (GBytes     *bytes,
                   GQuark      domain,
                   int         code,
                   guint       n_packets,
                   const char *fragment)
{
  g_autoptr(HbCaptureFile) file = hb_capture_file_new ();
  g_autoptr(GError) error = NULL;

  g_assert_false (hb_capture_file_load_bytes (file, bytes, &error));
  g_assert_error (error, domain, code);
  g_test_message ("%s", error->message);
  if (fragment)
    g_assert_nonnull (strstr (error->message, fragment));
  g_assert_cmpuint (hb_capture_file_get_packets (file)->len, ==, n_packets);
  g_assert_finalize_object (g_steal_pointer (&file));
}

static void
test_truncated_file (void)
{
  HbTestNet net = hb_test_net_default (4);
  g_autoptr(GBytes) whole = hb_test_make_conversation (DLT_EN10MB, HB_TEST_VARIANT_PLAIN, &net, 1000, 5000);
  gsize size = g_bytes_get_size (whole);
  g_autoptr(GBytes) cut_data = g_bytes_new_from_bytes (whole, 0, size - 5);
  /* The last frame is a 54-byte pure ACK after a 16-byte record header. */
  g_autoptr(GBytes) cut_header = g_bytes_new_from_bytes (whole, 0, size - 54 - 6);
  g_autoptr(GBytes) short_file_header = g_bytes_new_from_bytes (whole, 0, 10);

  expect_load_error (cut_data, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_TRUNCATED, 10, "after 10 frames");
  expect_load_error (cut_header, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_TRUNCATED, 10, "after 10 frames");
  expect_load_error (short_file_header, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_DAMAGED, 0, "damaged");
}

static void
test_not_capture (void)
{
  HbTestNet net = hb_test_net_default (4);
  g_autoptr(GBytes) whole = hb_test_make_conversation (DLT_EN10MB, HB_TEST_VARIANT_PLAIN, &net, 1000, 5000);
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr(GBytes) text = g_bytes_new_static ("HELLO world\nPING 1\n", 19);
  g_autoptr(GBytes) tiny = g_bytes_new_static ("\xa1\xb2", 2);
  g_autoptr(GBytes) wrong_magic = NULL;
  g_autoptr(GBytes) garbage = NULL;
  guint8 *data;
  gsize size;
  GRand *rand = g_rand_new_with_seed (7);
  guint8 noise[4096];

  size = g_bytes_get_size (whole);
  data = g_memdup2 (g_bytes_get_data (whole, NULL), size);
  data[0] ^= 0x55;
  wrong_magic = g_bytes_new_take (data, size);
  for (guint i = 0; i < sizeof noise; i++)
    noise[i] = g_rand_int_range (rand, 0, 256);
  noise[0] = 0x00;
  garbage = g_bytes_new (noise, sizeof noise);
  g_rand_free (rand);

  expect_load_error (empty, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_NOT_CAPTURE, 0, "empty");
  expect_load_error (text, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_NOT_CAPTURE, 0, "not a capture file");
  expect_load_error (tiny, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_NOT_CAPTURE, 0, "not a capture file");
  expect_load_error (wrong_magic, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_NOT_CAPTURE, 0, NULL);
  expect_load_error (garbage, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_NOT_CAPTURE, 0, NULL);

  /* A real signature followed by nonsense. */
  {
    guint8 fake[64] = { 0xd4, 0xc3, 0xb2, 0xa1, 0xff, 0xff, 0xff, 0xff };
    g_autoptr(GBytes) bytes = g_bytes_new (fake, sizeof fake);

    expect_load_error (bytes, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_DAMAGED, 0, NULL);
  }

  /* A file that cannot be opened. */
  {
    g_autoptr(HbCaptureFile) file = hb_capture_file_new ();
    g_autoptr(GError) error = NULL;

    g_assert_false (hb_capture_file_load (file, "/nonexistent/capture.pcap", &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, "/nonexistent/capture.pcap"));
  }
}

static void
test_unsupported_linktype (void)
{
  HbTestCapture fx;
  g_autoptr(GBytes) bytes = NULL;
  static const guint8 frame[32] = { 0 };
  g_autoptr(GBytes) frame_bytes = g_bytes_new_static (frame, sizeof frame);
  g_autoptr(HbPacket) packet = hb_packet_new ();
  g_autoptr(GError) error = NULL;

  hb_test_capture_init (&fx, DLT_IEEE802_11, HB_TEST_VARIANT_PLAIN);
  hb_test_capture_add_frame (&fx, frame_bytes, 0);
  bytes = hb_test_capture_finish (&fx);
  expect_load_error (bytes, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_UNSUPPORTED_LINKTYPE, 0, "link type 105");

  g_assert_false (hb_packet_parse (frame, sizeof frame, sizeof frame, DLT_IEEE802_11, packet, &error));
  g_assert_error (error, HB_PACKET_ERROR, HB_PACKET_ERROR_UNSUPPORTED_LINKTYPE);
}

static GByteArray *
good_ip (const HbTestNet *net)
{
  return hb_test_ip_tcp (net, TRUE, P | A, 1001, 5001, 1000, NULL, 0, "PING 1\n", 7);
}

static GByteArray *
with_options (const HbTestNet *net,
              const guint8    *opt,
              gsize            opt_len)
{
  return hb_test_ip_tcp (net, TRUE, A, 1001, 5001, 1000, opt, opt_len, NULL, 0);
}

typedef struct
{
  const char *what;
  GByteArray *ip;
  gsize       caplen;     /* 0: all of it */
  int         error;      /* -1: parsed, with a warning if note is set */
  const char *note;
} BadCase;

static void
test_bad_frames (void)
{
  HbTestNet net4 = hb_test_net_default (4);
  HbTestNet net6 = hb_test_net_default (6);
  static const guint8 opt_len0[] = { 2, 0, 0, 0 };
  static const guint8 opt_len1[] = { 3, 1, 0, 0 };
  static const guint8 opt_past[] = { 1, 1, 8, 10 };
  static const guint8 opt_no_len[] = { 1, 1, 1, 2 };
  static const guint8 opt_mss_len[] = { 2, 3, 0, 0 };
  static const guint8 opt_ok[] = { 1, 1, 4, 2 };
  BadCase cases[24];
  guint n = 0;
  HbTestCapture fx;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(HbCaptureFile) file = NULL;
  GPtrArray *notes;
  guint n_kept = 0, n_notes = 0;

  cases[n] = (BadCase) { "good", good_ip (&net4), 0, -1, NULL };
  n++;
  cases[n] = (BadCase) { "IP total length exceeds the frame", good_ip (&net4), 0, HB_PACKET_ERROR_MALFORMED,
                         "exceeds the" };
  hb_test_set16 (cases[n].ip, 2, cases[n].ip->len + 100);
  n++;
  cases[n] = (BadCase) { "IP total length shorter than IHL", good_ip (&net4), 0, HB_PACKET_ERROR_MALFORMED,
                         "shorter than its header" };
  hb_test_set16 (cases[n].ip, 2, 12);
  n++;
  cases[n] = (BadCase) { "IHL below 5", good_ip (&net4), 0, HB_PACKET_ERROR_MALFORMED, "below 20" };
  cases[n].ip->data[0] = 0x44;
  n++;
  cases[n] = (BadCase) { "TCP data offset 4", good_ip (&net4), 0, HB_PACKET_ERROR_MALFORMED, "data offset 4" };
  cases[n].ip->data[20 + 12] = 0x40;
  n++;
  cases[n] = (BadCase) { "TCP data offset past the packet", good_ip (&net4), 0, HB_PACKET_ERROR_MALFORMED,
                         "exceeds the IP payload" };
  cases[n].ip->data[20 + 12] = 0xf0;
  n++;
  /* Wireshark shows a segment from its ports on (tests/test-tcp-analysis.c):
   * without them, it is no TCP segment. */
  cases[n] = (BadCase) { "TCP ports cut by the snapshot", good_ip (&net4), 23, HB_PACKET_ERROR_TRUNCATED,
                         "truncated TCP header" };
  n++;
  cases[n] = (BadCase) { "fragment", good_ip (&net4), 0, HB_PACKET_ERROR_FRAGMENT, "fragment" };
  hb_test_set16 (cases[n].ip, 6, 0x2000);
  n++;
  cases[n] = (BadCase) { "UDP", good_ip (&net4), 0, HB_PACKET_ERROR_NOT_TCP, NULL };
  cases[n].ip->data[9] = 17;
  n++;
  cases[n] = (BadCase) { "option length 0", with_options (&net4, opt_len0, 4), 0, -1, "length below 2" };
  n++;
  cases[n] = (BadCase) { "option length 1", with_options (&net4, opt_len1, 4), 0, -1, "length below 2" };
  n++;
  cases[n] = (BadCase) { "option past the end", with_options (&net4, opt_past, 4), 0, -1, "past the end" };
  n++;
  cases[n] = (BadCase) { "option without length", with_options (&net4, opt_no_len, 4), 0, -1, "without its length" };
  n++;
  cases[n] = (BadCase) { "MSS of length 3", with_options (&net4, opt_mss_len, 4), 0, -1, "MSS option" };
  n++;
  cases[n] = (BadCase) { "options fine", with_options (&net4, opt_ok, 4), 0, -1, NULL };
  n++;
  /* IPv4 options are skipped by IHL. */
  {
    g_autoptr(GByteArray) plain = good_ip (&net4);
    GByteArray *ip = g_byte_array_new ();
    static const guint8 nops[4] = { 1, 1, 1, 0 };

    g_byte_array_append (ip, plain->data, 20);
    g_byte_array_append (ip, nops, 4);
    g_byte_array_append (ip, plain->data + 20, plain->len - 20);
    ip->data[0] = 0x46;
    hb_test_set16 (ip, 2, ip->len);
    cases[n] = (BadCase) { "IPv4 options", ip, 0, -1, NULL };
    n++;
  }
  /* IPv6 with hop-by-hop, destination options and an atomic fragment
   * header is fine; a real fragment is not. */
  for (guint frag = 0; frag < 2; frag++)
    {
      g_autoptr(GByteArray) plain = good_ip (&net6);
      GByteArray *ip = g_byte_array_new ();
      static const guint8 hop[8] = { 60, 0, 1, 4, 0, 0, 0, 0 };
      static const guint8 dest[16] = { 44, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
      guint8 fragment[8] = { 6, 0, 0, 0, 0, 0, 0, 7 };

      if (frag)
        fragment[3] = 1;  /* more fragments follow */
      g_byte_array_append (ip, plain->data, 40);
      ip->data[6] = 0;
      g_byte_array_append (ip, hop, sizeof hop);
      g_byte_array_append (ip, dest, sizeof dest);
      g_byte_array_append (ip, fragment, sizeof fragment);
      g_byte_array_append (ip, plain->data + 40, plain->len - 40);
      hb_test_set16 (ip, 4, ip->len - 40);
      cases[n] = frag ? (BadCase) { "IPv6 fragment", ip, 0, HB_PACKET_ERROR_FRAGMENT, "fragment" }
                      : (BadCase) { "IPv6 extension headers", ip, 0, -1, NULL };
      n++;
    }
  /* IPv6 with a chain of 20 hop-by-hop headers: "next header 0" forever. */
  {
    GByteArray *ip = g_byte_array_new ();
    g_autoptr(GByteArray) tcp = good_ip (&net6);

    g_byte_array_append (ip, tcp->data, 40);
    ip->data[6] = 0;
    for (guint i = 0; i < 20; i++)
      {
        static const guint8 hop[8] = { 0, 0, 1, 4, 0, 0, 0, 0 };

        g_byte_array_append (ip, hop, 8);
      }
    g_byte_array_append (ip, tcp->data + 40, tcp->len - 40);
    hb_test_set16 (ip, 4, ip->len - 40);
    cases[n] = (BadCase) { "IPv6 extension header chain", ip, 0, HB_PACKET_ERROR_MALFORMED, "extension headers" };
    n++;
  }
  g_assert_cmpuint (n, <=, G_N_ELEMENTS (cases));

  /* Each one alone through the parser... */
  for (guint i = 0; i < n; i++)
    {
      g_auto(HbPacket) packet = { 0 };
      g_autoptr(GError) error = NULL;
      gsize caplen = cases[i].caplen ? cases[i].caplen : cases[i].ip->len;
      gboolean ok;

      g_test_message ("%s", cases[i].what);
      ok = hb_packet_parse (cases[i].ip->data, caplen, cases[i].ip->len, DLT_RAW, &packet, &error);
      if (cases[i].error < 0)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
          g_assert_cmpint (packet.bad_options, ==, cases[i].note != NULL);
          if (cases[i].note)
            g_assert_nonnull (strstr (packet.warning, cases[i].note));
        }
      else
        {
          g_assert_false (ok);
          g_assert_error (error, HB_PACKET_ERROR, cases[i].error);
          if (cases[i].note)
            g_assert_nonnull (strstr (error->message, cases[i].note));
        }
    }

  /* The parsable ones carry their payload, wherever it starts. */
  for (guint i = 0; i < n; i++)
    if (cases[i].error < 0)
      {
        g_autoptr(HbPacket) packet = hb_packet_new ();
        g_autofree char *text = NULL;

        g_assert_true (hb_packet_parse (cases[i].ip->data, cases[i].ip->len, cases[i].ip->len,
                                        101 /* LINKTYPE_RAW */, packet, NULL));
        text = hb_packet_format_payload (packet);
        if (packet->payload_len > 0)
          g_assert_cmpstr (text, ==, "PING 1");
        else
          g_assert_null (text);
      }

  /* ...and all of them in one file, where each gets a note but the UDP
   * packet, and the parsable ones are kept. */
  hb_test_capture_init (&fx, DLT_RAW, HB_TEST_VARIANT_PLAIN);
  for (guint i = 0; i < n; i++)
    {
      gsize caplen = cases[i].caplen ? cases[i].caplen : cases[i].ip->len;
      g_autoptr(GBytes) frame = g_bytes_new (cases[i].ip->data, caplen);

      hb_test_capture_add_frame (&fx, frame, cases[i].ip->len);
      n_kept += cases[i].error < 0;
      n_notes += cases[i].note != NULL;
    }
  bytes = hb_test_capture_finish (&fx);
  file = hb_test_load_ok (bytes);
  notes = hb_capture_file_get_notes (file);
  for (guint i = 0; i < notes->len; i++)
    g_test_message ("note: %s", (char *) notes->pdata[i]);
  g_assert_cmpuint (hb_capture_file_get_n_frames (file), ==, n);
  g_assert_cmpuint (hb_capture_file_get_packets (file)->len, ==, n_kept);
  g_assert_cmpuint (notes->len, ==, n_notes);
  g_assert_cmpuint (hb_capture_file_get_n_not_tcp (file), ==, 1);
  g_assert_cmpstr (notes->pdata[0], ==, "frame 2: IPv4 total length 147 exceeds the 47 bytes of the frame");
  g_assert_cmpstr (notes->pdata[3], ==, "frame 5: TCP data offset 4 is below 5");
  hb_capture_file_get_conversations (file);

  for (guint i = 0; i < n; i++)
    g_byte_array_unref (cases[i].ip);
}

/* Every prefix of every frame of the conversation, in every link type: the
 * parser must say "truncated" or succeed, and never read past the end
 * (ASan watches: the prefix is copied to a buffer of exactly its size). */
static void
test_every_prefix (void)
{
  for (guint c = 0; c < HB_TEST_N_LINK_CASES; c++)
    {
      const HbTestLinkCase *lc = &hb_test_link_cases[c];
      HbTestNet net = hb_test_net_default (lc->family);
      g_autoptr(GBytes) bytes = hb_test_make_conversation (lc->linktype, lc->variant, &net, 1000, 5000);
      g_autoptr(HbCaptureFile) file = hb_test_load_ok (bytes);
      GPtrArray *packets = hb_capture_file_get_packets (file);

      for (guint i = 0; i < packets->len; i++)
        {
          HbPacket *p = g_ptr_array_index (packets, i);
          gsize size;
          const guint8 *data = g_bytes_get_data (p->data, &size);

          for (gsize len = 0; len <= size; len++)
            {
              g_autofree guint8 *copy = g_memdup2 (data, len);
              g_autoptr(HbPacket) packet = hb_packet_new ();
              g_autoptr(GError) error = NULL;

              if (hb_packet_parse (copy, len, size, lc->linktype, packet, &error) && len < p->payload_offset)
                {
                  /* Cut in the TCP header: kept from the ports on, as Wireshark shows it. */
                  g_autofree char *info = hb_packet_format_info (packet);

                  g_assert_cmpuint (len, >=, p->tcp_offset + 4);
                  g_assert_cmpuint (packet->cut, !=, HB_PACKET_CUT_NONE);
                  g_assert_cmpuint (packet->payload_captured, ==, 0);
                  g_assert_null (hb_packet_format_payload (packet));
                  g_assert_true (g_str_has_prefix (info, "4324 → 12001") || g_str_has_prefix (info, "12001 → 4324"));
                }
              else if (error == NULL)
                {
                  g_assert_cmpuint (packet->cut, ==, HB_PACKET_CUT_NONE);
                  g_assert_cmpuint (packet->payload_len, ==, p->payload_len);
                  g_assert_cmpuint (packet->payload_captured, ==, len - p->payload_offset);
                  g_free (hb_packet_format_payload (packet));
                }
              else
                g_assert_error (error, HB_PACKET_ERROR, HB_PACKET_ERROR_TRUNCATED);
            }
        }
    }
}

/* Random damage to a good file: anything may come out, but no crash, no
 * hang, and everything that loads can be analysed and printed. */
static void
test_mutations (void)
{
  HbTestNet net = hb_test_net_default (6);
  g_autoptr(GBytes) whole = hb_test_make_conversation (DLT_EN10MB, HB_TEST_VARIANT_VLAN, &net, 0xfffffff0, 5000);
  gsize size;
  const guint8 *original = g_bytes_get_data (whole, &size);
  GRand *rand = g_rand_new_with_seed (g_test_rand_int ());

  for (guint round = 0; round < 3000; round++)
    {
      guint8 *data = g_memdup2 (original, size);
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(HbCaptureFile) file = hb_capture_file_new ();
      g_autoptr(GError) error = NULL;
      guint n_changes = g_rand_int_range (rand, 1, 8);
      GPtrArray *conversations;

      for (guint k = 0; k < n_changes; k++)
        {
          /* Mostly past the 24-byte file header, where frames live. */
          guint at = (guint) g_rand_int_range (rand, round % 10 == 0 ? 0 : 24, (gint32) size);

          if (g_rand_boolean (rand))
            data[at] = (guint8) g_rand_int_range (rand, 0, 256);
          else
            data[at] ^= (guint8) (1u << g_rand_int_range (rand, 0, 8));
        }
      /* Sometimes cut short too. */
      if (g_rand_int_range (rand, 0, 20) == 0)
        bytes = g_bytes_new_take (data, (gsize) g_rand_int_range (rand, 0, (gint32) size));
      else
        bytes = g_bytes_new_take (data, size);
      hb_capture_file_load_bytes (file, bytes, &error);
      conversations = hb_capture_file_get_conversations (file);
      for (guint c = 0; c < conversations->len; c++)
        {
          HbConversation *conv = g_ptr_array_index (conversations, c);
          g_autofree char *described = hb_conversation_describe (conv);

          g_assert_true (g_utf8_validate (described, -1, NULL));
          for (guint i = 0; i < hb_conversation_get_n_packets (conv); i++)
            {
              g_autofree char *info = hb_packet_format_info (hb_conversation_get_packet (conv, i));
              g_autofree char *text = hb_packet_format_payload (hb_conversation_get_packet (conv, i));

              g_assert_true (g_utf8_validate (info, -1, NULL));
              g_assert_true (text == NULL || g_utf8_validate (text, -1, NULL));
            }
        }
    }
  g_rand_free (rand);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/pcap/broken/truncated-file", test_truncated_file);
  g_test_add_func ("/core/pcap/broken/not-capture", test_not_capture);
  g_test_add_func ("/core/pcap/broken/unsupported-link-type", test_unsupported_linktype);
  g_test_add_func ("/core/pcap/broken/frames", test_bad_frames);
  g_test_add_func ("/core/pcap/broken/every-prefix", test_every_prefix);
  g_test_add_func ("/core/pcap/broken/mutations", test_mutations);

  return g_test_run ();
}
