/* test-pcap.c - capture files: the packet parser, the reader and writer, Wireshark's numbers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every fixture is made here, by the project's own writer, from segments
 * built byte by byte: one synthetic heartbeat conversation in each link
 * type we read, then the awkward cases (wrap-around, retransmissions,
 * reordering, no SYN, several conversations) and hostile ones. Where
 * tshark is installed the same files are checked against it field by
 * field; where this process may also capture, real sessions of HbServer
 * and HbClient on loopback are checked the same way. Without tshark or the
 * privilege those tests report themselves skipped, never passed.
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

static HbCaptureFile *
load_ok (GBytes *bytes)
{
  g_autoptr(GError) error = NULL;
  HbCaptureFile *file = hb_capture_file_new ();

  g_assert_true (hb_capture_file_load_bytes (file, bytes, &error));
  g_assert_no_error (error);
  return file;
}

static void
check_conversation (HbCaptureFile   *file,
                    const HbTestNet *net,
                    guint32          isn_client,
                    guint32          isn_server)
{
  GPtrArray *packets = hb_capture_file_get_packets (file);
  GPtrArray *conversations = hb_capture_file_get_conversations (file);
  HbConversation *conv;
  char client[64], server[64];

  g_assert_cmpuint (hb_capture_file_get_n_frames (file), ==, HB_TEST_CONVERSATION_LEN);
  g_assert_cmpuint (packets->len, ==, HB_TEST_CONVERSATION_LEN);
  g_assert_cmpuint (hb_capture_file_get_notes (file)->len, ==, 0);
  g_assert_cmpuint (conversations->len, ==, 1);
  conv = g_ptr_array_index (conversations, 0);
  g_assert_cmpuint (hb_conversation_get_n_packets (conv), ==, packets->len);
  g_assert_true (hb_conversation_get_saw_syn (conv));
  inet_ntop (net->family == 4 ? AF_INET : AF_INET6, net->client, client, sizeof client);
  inet_ntop (net->family == 4 ? AF_INET : AF_INET6, net->server, server, sizeof server);
  g_assert_cmpstr (hb_conversation_get_client_address (conv), ==, client);
  g_assert_cmpstr (hb_conversation_get_server_address (conv), ==, server);
  g_assert_cmpuint (hb_conversation_get_client_port (conv), ==, HB_TEST_CLIENT_PORT);
  g_assert_cmpuint (hb_conversation_get_server_port (conv), ==, HB_TEST_SERVER_PORT);

  for (guint i = 0; i < packets->len; i++)
    {
      HbPacket *p = g_ptr_array_index (packets, i);
      const HbTestStep *step = &hb_test_conversation[i];
      g_autofree char *info = hb_packet_format_info (p);
      g_autofree char *text = hb_packet_format_payload (p);

      g_test_message ("frame %u: %s", p->frame, info);
      g_assert_cmpuint (p->frame, ==, i + 1);
      g_assert_cmpint (p->time_us, ==, HB_TEST_T0_US + (gint64) i * 1000);
      g_assert_cmpint (p->family, ==, net->family);
      g_assert_cmpstr (p->src, ==, step->client ? client : server);
      g_assert_cmpstr (p->dst, ==, step->client ? server : client);
      g_assert_cmpuint (p->from_client, ==, step->client);
      g_assert_cmpuint (p->flags, ==, step->flags);
      g_assert_cmpuint (p->seq, ==, (step->client ? isn_client : isn_server) + step->seq);
      g_assert_cmpuint (p->rel_seq, ==, step->seq);
      if (step->flags & A)
        g_assert_cmpuint (p->rel_ack, ==, step->ack);
      g_assert_cmpuint (p->win_raw, ==, step->win);
      g_assert_cmpuint (p->win, ==, step->win_scaled);
      g_assert_cmpuint (p->payload_len, ==, step->payload ? strlen (step->payload) : 0);
      g_assert_cmpuint (p->phase, ==, step->phase);
      g_assert_cmpuint (p->analysis, ==, 0);
      g_assert_cmpuint (p->conversation, ==, 0);
      g_assert_cmpstr (info, ==, step->info);
      g_assert_false (p->bad_options);
      if (step->payload)
        {
          g_autofree char *expected = g_strndup (step->payload, strlen (step->payload) - 1);

          g_assert_cmpstr (text, ==, expected);
        }
      else
        g_assert_null (text);
      if (step->opt == HB_TEST_OPT_SYN)
        {
          g_assert_true (p->has_mss && p->sack_perm && p->has_timestamps && p->has_ws);
          g_assert_cmpuint (p->mss, ==, 65495);
          g_assert_cmpuint (p->ws_shift, ==, step->client ? 7 : 10);
        }
    }
}

static void
test_link_types (void)
{
  for (guint i = 0; i < HB_TEST_N_LINK_CASES; i++)
    {
      const HbTestLinkCase *lc = &hb_test_link_cases[i];
      HbTestNet net = hb_test_net_default (lc->family);
      g_autoptr(GBytes) bytes = hb_test_make_conversation (lc->linktype, lc->variant, &net, 1000, 5000);
      g_autoptr(HbCaptureFile) file = load_ok (bytes);

      g_test_message ("link type %d (%s), variant %d, IPv%d", lc->linktype,
                      pcap_datalink_val_to_name (lc->linktype), lc->variant, lc->family);
      g_assert_cmpint (hb_capture_file_get_linktype (file), ==, lc->linktype);
      check_conversation (file, &net, 1000, 5000);
      g_assert_finalize_object (g_steal_pointer (&file));
    }
}

static void
test_writer_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("hb-pcap-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autoptr(HbCaptureWriter) writer = NULL;
  g_autoptr(HbCaptureFile) file = hb_capture_file_new ();
  g_autoptr(GBytes) memory = NULL;
  g_autofree char *contents = NULL;
  gsize length;
  HbTestNet net = hb_test_net_default (4);

  g_assert_no_error (error);
  path = g_build_filename (dir, "conversation.pcap", NULL);

  /* The same frames through a file on disk and through memory give the
   * same bytes, and the file reads back. */
  memory = hb_test_make_conversation (DLT_EN10MB, HB_TEST_VARIANT_PLAIN, &net, 1000, 5000);
  writer = hb_capture_writer_new (path, DLT_EN10MB, &error);
  g_assert_no_error (error);
  {
    g_autoptr(HbCaptureFile) from_memory = load_ok (memory);
    GPtrArray *packets = hb_capture_file_get_packets (from_memory);

    for (guint i = 0; i < packets->len; i++)
      {
        HbPacket *p = g_ptr_array_index (packets, i);
        gsize size;
        const guint8 *data = g_bytes_get_data (p->data, &size);

        hb_capture_writer_write (writer, p->time_us, data, size, p->origlen);
      }
  }
  g_assert_cmpuint (hb_capture_writer_get_n_frames (writer), ==, HB_TEST_CONVERSATION_LEN);
  g_assert_true (hb_capture_writer_close (writer, NULL, &error));
  g_assert_no_error (error);

  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (contents, length, g_bytes_get_data (memory, NULL), g_bytes_get_size (memory));

  g_assert_true (hb_capture_file_load (file, path, &error));
  g_assert_no_error (error);
  check_conversation (file, &net, 1000, 5000);

  /* A writer into a directory that does not exist says so. */
  {
    g_autofree char *bad = g_build_filename (dir, "missing", "x.pcap", NULL);
    HbCaptureWriter *none = hb_capture_writer_new (bad, DLT_EN10MB, &error);

    g_assert_null (none);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    g_clear_error (&error);
  }

  g_unlink (path);
  g_rmdir (dir);
}

static void
test_wraparound (void)
{
  HbTestNet net = hb_test_net_default (4);
  /* Both directions cross 2^32 inside the conversation. */
  g_autoptr(GBytes) bytes = hb_test_make_conversation (DLT_EN10MB, HB_TEST_VARIANT_PLAIN, &net, 0xfffffff0, 0xfffffffe);
  g_autoptr(HbCaptureFile) file = load_ok (bytes);
  HbPacket *fin;

  check_conversation (file, &net, 0xfffffff0, 0xfffffffe);
  fin = g_ptr_array_index (hb_capture_file_get_packets (file), 8);
  g_assert_cmpuint (fin->seq, ==, 0);
  g_assert_cmpuint (fin->rel_seq, ==, 16);

  /* And the same when the SYN is not captured: base = first seq - 1. */
  {
    HbTestCapture fx;
    g_autoptr(GBytes) tail = NULL;
    g_autoptr(HbCaptureFile) tail_file = NULL;
    GPtrArray *packets;

    hb_test_capture_init (&fx, DLT_RAW, HB_TEST_VARIANT_PLAIN);
    hb_test_capture_add (&fx, &net, TRUE, P | A, 0xffffffff, 77, 1000, NULL, 0, "MSG 0123456789\n");
    hb_test_capture_add (&fx, &net, FALSE, A, 77, 0xffffffff + 15u, 100, NULL, 0, NULL);
    hb_test_capture_add (&fx, &net, TRUE, P | A, 14, 77, 1000, NULL, 0, "MSG x\n");
    tail = hb_test_capture_finish (&fx);
    tail_file = load_ok (tail);
    packets = hb_capture_file_get_packets (tail_file);
    hb_capture_file_get_conversations (tail_file);
    g_assert_cmpuint (((HbPacket *) packets->pdata[0])->rel_seq, ==, 1);
    g_assert_cmpuint (((HbPacket *) packets->pdata[1])->rel_ack, ==, 16);
    g_assert_cmpuint (((HbPacket *) packets->pdata[2])->rel_seq, ==, 16);
  }
}

/* Segments of the conversation above, in another order or twice. */
static GBytes *
make_steps (int              linktype,
            const HbTestNet *net,
            const int       *order,
            guint            n)
{
  HbTestCapture fx;

  hb_test_capture_init (&fx, linktype, HB_TEST_VARIANT_PLAIN);
  for (guint i = 0; i < n; i++)
    hb_test_capture_add_step (&fx, net, &hb_test_conversation[order[i]], 1000, 5000);
  return hb_test_capture_finish (&fx);
}

static void
test_retransmission (void)
{
  HbTestNet net = hb_test_net_default (4);
  /* HELLO sent twice before its ACK; PING twice; the FIN twice. */
  static const int order[] = { 0, 1, 2, 3, 3, 4, 5, 5, 6, 7, 8, 8, 9, 10 };
  static const guint8 expected_phase[] = {
    HB_TCP_PHASE_HANDSHAKE, HB_TCP_PHASE_HANDSHAKE, HB_TCP_PHASE_HANDSHAKE, HB_TCP_PHASE_DATA, HB_TCP_PHASE_DATA,
    HB_TCP_PHASE_DATA, HB_TCP_PHASE_HEARTBEAT, HB_TCP_PHASE_HEARTBEAT, HB_TCP_PHASE_HEARTBEAT, HB_TCP_PHASE_HEARTBEAT,
    HB_TCP_PHASE_TEARDOWN, HB_TCP_PHASE_TEARDOWN, HB_TCP_PHASE_TEARDOWN, HB_TCP_PHASE_TEARDOWN,
  };
  g_autoptr(GBytes) bytes = make_steps (DLT_EN10MB, &net, order, G_N_ELEMENTS (order));
  g_autoptr(HbCaptureFile) file = load_ok (bytes);
  GPtrArray *packets = hb_capture_file_get_packets (file);

  g_assert_cmpuint (hb_capture_file_get_conversations (file)->len, ==, 1);
  for (guint i = 0; i < packets->len; i++)
    {
      HbPacket *p = g_ptr_array_index (packets, i);
      gboolean again = i > 0 && order[i] == order[i - 1];
      g_autofree char *info = hb_packet_format_info (p);

      g_test_message ("frame %u: %s (%s)", p->frame, info, hb_tcp_phase_to_string (p->phase));
      g_assert_cmpuint (p->phase, ==, expected_phase[i]);
      g_assert_cmpuint (p->rel_seq, ==, hb_test_conversation[order[i]].seq);
      g_assert_cmpuint (p->analysis, ==, again ? HB_ANALYSIS_RETRANSMISSION : 0);
      if (again)
        g_assert_true (g_str_has_prefix (info, "[TCP Retransmission] "));
    }
}

static void
test_out_of_order (void)
{
  HbTestNet net = hb_test_net_default (6);
  HbTestCapture fx;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(HbCaptureFile) file = NULL;
  GPtrArray *packets;
  static const guint8 expected_phase[] = {
    HB_TCP_PHASE_HANDSHAKE, HB_TCP_PHASE_HANDSHAKE, HB_TCP_PHASE_HANDSHAKE,
    HB_TCP_PHASE_HEARTBEAT,  /* PONG 1, sent second, seen first */
    HB_TCP_PHASE_DATA,       /* MSG a, sent first, seen second */
    HB_TCP_PHASE_HEARTBEAT,  /* the ACK of both: the newest is the PONG */
    HB_TCP_PHASE_DATA,       /* BCAST */
    HB_TCP_PHASE_DATA,       /* its ACK */
  };

  hb_test_capture_init (&fx, DLT_LINUX_SLL2, HB_TEST_VARIANT_PLAIN);
  for (guint i = 0; i < 3; i++)
    hb_test_capture_add_step (&fx, &net, &hb_test_conversation[i], 1000, 5000);
  hb_test_capture_add (&fx, &net, TRUE, P | A, 1000 + 7, 5001, 1000, NULL, 0, "PONG 1\n");
  hb_test_capture_add (&fx, &net, TRUE, P | A, 1000 + 1, 5001, 1000, NULL, 0, "MSG a\n");
  hb_test_capture_add (&fx, &net, FALSE, A, 5001, 1000 + 14, 70, NULL, 0, NULL);
  hb_test_capture_add (&fx, &net, FALSE, P | A, 5001, 1000 + 14, 70, NULL, 0, "BCAST hi\n");
  hb_test_capture_add (&fx, &net, TRUE, A, 1000 + 14, 5010, 1000, NULL, 0, NULL);
  bytes = hb_test_capture_finish (&fx);
  file = load_ok (bytes);
  packets = hb_capture_file_get_packets (file);
  hb_capture_file_get_conversations (file);

  g_assert_cmpuint (packets->len, ==, G_N_ELEMENTS (expected_phase));
  for (guint i = 0; i < packets->len; i++)
    {
      HbPacket *p = g_ptr_array_index (packets, i);
      g_autofree char *info = hb_packet_format_info (p);

      g_test_message ("frame %u: %s (%s)", p->frame, info, hb_tcp_phase_to_string (p->phase));
      g_assert_cmpuint (p->phase, ==, expected_phase[i]);
      /* As Wireshark: the PONG's seq is past the next expected one (the
       * MSG is missing yet), and the MSG comes within the first RTT. */
      g_assert_cmpuint (p->analysis, ==, i == 3 ? HB_ANALYSIS_LOST_SEGMENT : i == 4 ? HB_ANALYSIS_OUT_OF_ORDER : 0);
    }
  g_assert_cmpuint (((HbPacket *) packets->pdata[4])->rel_seq, ==, 1);
  g_assert_cmpuint (((HbPacket *) packets->pdata[3])->rel_seq, ==, 7);
}

static void
test_no_syn (void)
{
  HbTestNet net = hb_test_net_default (4);
  /* From the HELLO on: no handshake, windows unscaled (the shift is not known). */
  static const int order[] = { 3, 4, 5, 6, 7, 8, 9, 10 };
  static const char * const infos[] = {
    "4324 → 12001 [PSH, ACK] Seq=1 Ack=1 Win=1000 Len=8",
    "12001 → 4324 [ACK] Seq=1 Ack=9 Win=70 Len=0",
    "12001 → 4324 [PSH, ACK] Seq=1 Ack=9 Win=70 Len=7",
    "4324 → 12001 [PSH, ACK] Seq=9 Ack=8 Win=1000 Len=7",
    "12001 → 4324 [ACK] Seq=8 Ack=16 Win=70 Len=0",
    "4324 → 12001 [FIN, ACK] Seq=16 Ack=8 Win=1000 Len=0",
    "12001 → 4324 [FIN, ACK] Seq=8 Ack=17 Win=70 Len=0",
    "4324 → 12001 [ACK] Seq=17 Ack=9 Win=1000 Len=0",
  };
  g_autoptr(GBytes) bytes = make_steps (DLT_NULL, &net, order, G_N_ELEMENTS (order));
  g_autoptr(HbCaptureFile) file = load_ok (bytes);
  GPtrArray *packets = hb_capture_file_get_packets (file);
  HbConversation *conv = g_ptr_array_index (hb_capture_file_get_conversations (file), 0);

  g_assert_false (hb_conversation_get_saw_syn (conv));
  g_assert_cmpuint (hb_conversation_get_client_port (conv), ==, HB_TEST_CLIENT_PORT);
  for (guint i = 0; i < packets->len; i++)
    {
      HbPacket *p = g_ptr_array_index (packets, i);
      g_autofree char *info = hb_packet_format_info (p);

      g_assert_cmpstr (info, ==, infos[i]);
      g_assert_cmpuint (p->phase, ==, hb_test_conversation[order[i]].phase);
    }
}

/* The protocol's goodbye opens the teardown, as the application's own
 * record counts it: BYE, its ACK, and everything after. */
static void
test_bye_starts_teardown (void)
{
  HbTestNet net = hb_test_net_default (4);
  HbTestCapture cap;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(HbCaptureFile) file = NULL;
  GPtrArray *packets;
  static const HbTcpPhase expected[] = {
    HB_TCP_PHASE_HANDSHAKE, HB_TCP_PHASE_HANDSHAKE, HB_TCP_PHASE_HANDSHAKE,
    HB_TCP_PHASE_DATA, HB_TCP_PHASE_DATA,                   /* MSG BYEBYE is not a BYE */
    HB_TCP_PHASE_TEARDOWN, HB_TCP_PHASE_TEARDOWN,           /* BYE and its ACK */
    HB_TCP_PHASE_TEARDOWN,                                  /* PING after BYE: closing */
  };
  static const HbTcpPhase split[] = {
    HB_TCP_PHASE_HANDSHAKE, HB_TCP_PHASE_HANDSHAKE, HB_TCP_PHASE_HANDSHAKE,
    HB_TCP_PHASE_DATA, HB_TCP_PHASE_DATA,                   /* "MSG see you " */
    HB_TCP_PHASE_DATA, HB_TCP_PHASE_DATA,                   /* "BYE now\n": the same line's end */
    HB_TCP_PHASE_DATA,                                      /* "BYE" again, retransmitted */
    HB_TCP_PHASE_TEARDOWN,                                  /* "MSG a\nBYE\n": a line of its own */
  };

  hb_test_capture_init (&cap, DLT_EN10MB, HB_TEST_VARIANT_PLAIN);
  hb_test_capture_add (&cap, &net, TRUE, HB_TCP_SYN, 100, 0, 1000, NULL, 0, NULL);
  hb_test_capture_add (&cap, &net, FALSE, HB_TCP_SYN | HB_TCP_ACK, 500, 101, 1000, NULL, 0, NULL);
  hb_test_capture_add (&cap, &net, TRUE, HB_TCP_ACK, 101, 501, 1000, NULL, 0, NULL);
  hb_test_capture_add (&cap, &net, TRUE, HB_TCP_PSH | HB_TCP_ACK, 101, 501, 1000, NULL, 0, "MSG BYEBYE\n");
  hb_test_capture_add (&cap, &net, FALSE, HB_TCP_ACK, 501, 112, 1000, NULL, 0, NULL);
  hb_test_capture_add (&cap, &net, TRUE, HB_TCP_PSH | HB_TCP_ACK, 112, 501, 1000, NULL, 0, "BYE\n");
  hb_test_capture_add (&cap, &net, FALSE, HB_TCP_ACK, 501, 116, 1000, NULL, 0, NULL);
  hb_test_capture_add (&cap, &net, FALSE, HB_TCP_PSH | HB_TCP_ACK, 501, 116, 1000, NULL, 0, "PING 9\n");
  bytes = hb_test_capture_finish (&cap);
  file = load_ok (bytes);
  packets = hb_capture_file_get_packets (file);
  g_assert_cmpuint (packets->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < packets->len; i++)
    g_assert_cmpint (((HbPacket *) packets->pdata[i])->phase, ==, expected[i]);
  g_clear_object (&file);
  g_clear_pointer (&bytes, g_bytes_unref);

  /* A line split across two segments: its second half is no BYE line,
   * nor when it comes again. */
  hb_test_capture_init (&cap, DLT_EN10MB, HB_TEST_VARIANT_PLAIN);
  hb_test_capture_add (&cap, &net, TRUE, HB_TCP_SYN, 100, 0, 1000, NULL, 0, NULL);
  hb_test_capture_add (&cap, &net, FALSE, HB_TCP_SYN | HB_TCP_ACK, 500, 101, 1000, NULL, 0, NULL);
  hb_test_capture_add (&cap, &net, TRUE, HB_TCP_ACK, 101, 501, 1000, NULL, 0, NULL);
  hb_test_capture_add (&cap, &net, TRUE, HB_TCP_PSH | HB_TCP_ACK, 101, 501, 1000, NULL, 0, "MSG see you ");
  hb_test_capture_add (&cap, &net, FALSE, HB_TCP_ACK, 501, 113, 1000, NULL, 0, NULL);
  hb_test_capture_add (&cap, &net, TRUE, HB_TCP_PSH | HB_TCP_ACK, 113, 501, 1000, NULL, 0, "BYE now\n");
  hb_test_capture_add (&cap, &net, FALSE, HB_TCP_ACK, 501, 121, 1000, NULL, 0, NULL);
  hb_test_capture_add (&cap, &net, TRUE, HB_TCP_PSH | HB_TCP_ACK, 113, 501, 1000, NULL, 0, "BYE now\n");
  hb_test_capture_add (&cap, &net, TRUE, HB_TCP_PSH | HB_TCP_ACK, 121, 501, 1000, NULL, 0, "MSG a\nBYE\n");
  bytes = hb_test_capture_finish (&cap);
  file = load_ok (bytes);
  packets = hb_capture_file_get_packets (file);
  g_assert_cmpuint (packets->len, ==, G_N_ELEMENTS (split));
  for (guint i = 0; i < packets->len; i++)
    g_assert_cmpint (((HbPacket *) packets->pdata[i])->phase, ==, split[i]);
}

/* A capture that began after the handshake, with the server speaking
 * first: the first sender is taken for the client, unless the caller
 * names the server's port (a live capture filtered to it). */
static void
test_joined_late (void)
{
  HbTestNet net = hb_test_net_default (4);
  HbTestCapture cap;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(HbCaptureFile) file = NULL;
  HbConversation *c;

  hb_test_capture_init (&cap, DLT_EN10MB, HB_TEST_VARIANT_PLAIN);
  hb_test_capture_add (&cap, &net, FALSE, HB_TCP_PSH | HB_TCP_ACK, 501, 112, 1000, NULL, 0, "PING 9\n");
  hb_test_capture_add (&cap, &net, TRUE, HB_TCP_PSH | HB_TCP_ACK, 112, 508, 1000, NULL, 0, "PONG 9\n");
  bytes = hb_test_capture_finish (&cap);
  file = load_ok (bytes);
  c = hb_capture_file_get_conversations (file)->pdata[0];
  g_assert_cmpuint (hb_conversation_get_client_port (c), ==, HB_TEST_SERVER_PORT);

  for (guint known = 0; known < 2; known++)
    {
      g_autoptr(HbConversation) conv = hb_conversation_new (0);
      GPtrArray *packets = hb_capture_file_get_packets (file);

      if (known)
        hb_conversation_set_server_port (conv, HB_TEST_SERVER_PORT);
      for (guint i = 0; i < packets->len; i++)
        hb_conversation_add (conv, packets->pdata[i]);
      g_assert_cmpuint (hb_conversation_get_client_port (conv), ==, known ? HB_TEST_CLIENT_PORT : HB_TEST_SERVER_PORT);
      g_assert_true (((HbPacket *) packets->pdata[0])->from_client == !known);
      g_assert_true (((HbPacket *) packets->pdata[1])->from_client == !!known);
    }
}

/* 10.0.0.1 and 10.0.0.3 interleaved, then 10.0.0.1 again on the same
 * 4-tuple with a new ISN: three conversations. */
static GBytes *
make_three_conversations (void)
{
  HbTestNet a = hb_test_net_new (4, "10.0.0.1", "10.0.0.2", HB_TEST_CLIENT_PORT, HB_TEST_SERVER_PORT);
  HbTestNet b = hb_test_net_new (4, "10.0.0.3", "10.0.0.2", HB_TEST_CLIENT_PORT, HB_TEST_SERVER_PORT);
  HbTestCapture fx;

  hb_test_capture_init (&fx, DLT_EN10MB, HB_TEST_VARIANT_PLAIN);
  for (guint i = 0; i < HB_TEST_CONVERSATION_LEN; i++)
    {
      hb_test_capture_add_step (&fx, &a, &hb_test_conversation[i], 1000, 5000);
      hb_test_capture_add_step (&fx, &b, &hb_test_conversation[i], 7000, 9000);
    }
  for (guint i = 0; i < HB_TEST_CONVERSATION_LEN; i++)
    hb_test_capture_add_step (&fx, &a, &hb_test_conversation[i], 3000000, 4000000);
  return hb_test_capture_finish (&fx);
}

static void
test_two_conversations (void)
{
  g_autoptr(GBytes) bytes = make_three_conversations ();
  g_autoptr(HbCaptureFile) file = load_ok (bytes);
  GPtrArray *conversations = hb_capture_file_get_conversations (file);

  g_assert_cmpuint (conversations->len, ==, 3);
  for (guint c = 0; c < 3; c++)
    {
      HbConversation *conv = g_ptr_array_index (conversations, c);
      g_autofree char *described = hb_conversation_describe (conv);

      g_assert_cmpuint (hb_conversation_get_index (conv), ==, c);
      g_assert_cmpuint (hb_conversation_get_n_packets (conv), ==, HB_TEST_CONVERSATION_LEN);
      g_assert_cmpstr (described, ==, c == 1 ? "10.0.0.3:4324 → 10.0.0.2:12001"
                                             : "10.0.0.1:4324 → 10.0.0.2:12001");
      for (guint i = 0; i < HB_TEST_CONVERSATION_LEN; i++)
        {
          HbPacket *p = hb_conversation_get_packet (conv, i);
          g_autofree char *info = hb_packet_format_info (p);
          g_autofree char *expected = NULL;

          /* The third reuses the first one's 4-tuple: Wireshark says so on its SYN. */
          expected = g_strconcat (c == 2 && i == 0 ? "[TCP Port numbers reused] " : "",
                                  hb_test_conversation[i].info, NULL);
          g_assert_cmpuint (p->conversation, ==, c);
          g_assert_cmpuint (p->frame, ==, c < 2 ? 2 * i + 1 + c : 23 + i);
          g_assert_cmpstr (info, ==, expected);
          g_assert_cmpuint (p->phase, ==, hb_test_conversation[i].phase);
        }
    }
}

static void
test_window_scaling (void)
{
  HbTestNet net = hb_test_net_default (4);
  static const guint8 ws_only[] = { 1, 3, 3, 7 };
  static const guint8 ws_big[] = { 1, 3, 3, 15 };
  struct
  {
    const guint8 *client_opt;
    const guint8 *server_opt;
    guint32       client_win;
    guint32       server_win;
    const char   *syn_info;
  } cases[] = {
    /* Only one side offers WS: nobody scales. */
    { ws_only, NULL, 1000, 70, "4324 → 12001 [SYN] Seq=0 Win=65535 Len=0 WS=128" },
    { NULL, ws_only, 1000, 70, "4324 → 12001 [SYN] Seq=0 Win=65535 Len=0" },
    /* A shift above 14 counts as 14, with a note. */
    { ws_big, ws_big, 1000u << 14, 70u << 14, "4324 → 12001 [SYN] Seq=0 Win=65535 Len=0 WS=16384" },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      HbTestCapture fx;
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(HbCaptureFile) file = NULL;
      GPtrArray *packets;
      g_autofree char *info = NULL;

      hb_test_capture_init (&fx, DLT_RAW, HB_TEST_VARIANT_PLAIN);
      hb_test_capture_add (&fx, &net, TRUE, S, 1000, 0, 65535, cases[c].client_opt, cases[c].client_opt ? 4 : 0, NULL);
      hb_test_capture_add (&fx, &net, FALSE, S | A, 5000, 1001, 65535, cases[c].server_opt, cases[c].server_opt ? 4 : 0, NULL);
      hb_test_capture_add (&fx, &net, TRUE, A, 1001, 5001, 1000, NULL, 0, NULL);
      hb_test_capture_add (&fx, &net, FALSE, A, 5001, 1001, 70, NULL, 0, NULL);
      bytes = hb_test_capture_finish (&fx);
      file = load_ok (bytes);
      packets = hb_capture_file_get_packets (file);
      hb_capture_file_get_conversations (file);

      info = hb_packet_format_info (packets->pdata[0]);
      g_assert_cmpstr (info, ==, cases[c].syn_info);
      g_assert_cmpuint (((HbPacket *) packets->pdata[0])->win, ==, 65535);
      g_assert_cmpuint (((HbPacket *) packets->pdata[1])->win, ==, 65535);
      g_assert_cmpuint (((HbPacket *) packets->pdata[2])->win, ==, cases[c].client_win);
      g_assert_cmpuint (((HbPacket *) packets->pdata[3])->win, ==, cases[c].server_win);
      g_assert_cmpuint (hb_capture_file_get_notes (file)->len, ==, c == 2 ? 2 : 0);
    }
}

static void
test_sack (void)
{
  HbTestNet net = hb_test_net_default (4);
  HbTestCapture fx;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(HbCaptureFile) file = NULL;
  g_autofree char *info = NULL;
  HbPacket *p;
  /* Two blocks, relative to the client's ISN 1000: 9-16 and 23-30. */
  guint8 opt[20] = { 1, 1, 5, 18 };
  guint32 edges[] = { 1009, 1016, 1023, 1030 };

  for (guint i = 0; i < 4; i++)
    {
      guint32 n = htonl (edges[i]);

      memcpy (opt + 4 + 4 * i, &n, 4);
    }
  hb_test_capture_init (&fx, DLT_EN10MB, HB_TEST_VARIANT_PLAIN);
  for (guint i = 0; i < 3; i++)
    hb_test_capture_add_step (&fx, &net, &hb_test_conversation[i], 1000, 5000);
  hb_test_capture_add (&fx, &net, FALSE, A, 5001, 1001, 70, opt, sizeof opt, NULL);
  bytes = hb_test_capture_finish (&fx);
  file = load_ok (bytes);
  hb_capture_file_get_conversations (file);
  p = g_ptr_array_index (hb_capture_file_get_packets (file), 3);

  g_assert_cmpuint (p->n_sack, ==, 2);
  info = hb_packet_format_info (p);
  /* Its window differs from the SYN-ACK's, with the same seq and ack. */
  g_assert_cmpstr (info, ==, "[TCP Window Update] 12001 → 4324 [ACK] Seq=1 Ack=1 Win=71680 Len=0 SLE=9 SRE=16 SLE=23 SRE=30");
}

static void
test_flags_text (void)
{
  g_autofree char *none = hb_packet_format_flags (0);
  g_autofree char *all = hb_packet_format_flags (0x0fff);
  g_autofree char *fa = hb_packet_format_flags (F | A);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();

  g_assert_cmpstr (none, ==, "<None>");
  g_assert_cmpstr (fa, ==, "FIN, ACK");
  g_assert_cmpstr (all, ==, "FIN, SYN, RST, PSH, ACK, URG, ECE, CWR, AE, Reserved");
  hb_packet_flag_names (R | A | P, names);
  g_assert_cmpuint (names->len, ==, 3);
  g_assert_cmpstr (names->pdata[0], ==, "RST");
  g_assert_cmpstr (names->pdata[1], ==, "PSH");
  g_assert_cmpstr (names->pdata[2], ==, "ACK");

  g_assert_true (hb_payload_is_heartbeat ((const guint8 *) "PING 1\n", 7));
  g_assert_true (hb_payload_is_heartbeat ((const guint8 *) "PONG 12\r\nPING 13\n", 17));
  g_assert_true (hb_payload_is_heartbeat ((const guint8 *) "PING", 4));
  g_assert_false (hb_payload_is_heartbeat ((const guint8 *) "PINGS 1\n", 8));
  g_assert_false (hb_payload_is_heartbeat ((const guint8 *) "PING 1\nBCAST x\n", 15));
  g_assert_false (hb_payload_is_heartbeat ((const guint8 *) "\n", 1));
  g_assert_false (hb_payload_is_heartbeat (NULL, 0));
}

/* ---------------------------------------------------------------------- */
/* Broken input                                                            */

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

/* ---------------------------------------------------------------------- */
/* Reading in a worker thread                                              */

static void
async_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static gboolean
sample_progress (gpointer user_data)
{
  GPtrArray *samples = user_data;
  HbCaptureFile *file = samples->pdata[0];
  double *p = g_new (double, 1);

  *p = hb_capture_file_get_progress (file);
  g_ptr_array_add (samples, p);
  return G_SOURCE_CONTINUE;
}

/* Read in a thread, a file gives what it gives read at once, and the
 * progress only grows, to 1; the file may go as soon as the call returns. */
static void
test_async_same (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hb-pcap-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "long.pcap", NULL);
  g_autoptr(HbCaptureFile) sync = hb_capture_file_new ();
  g_autoptr(HbCaptureFile) async = hb_capture_file_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) samples = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GPtrArray *a, *b;
  guint timer;

  hb_test_write_long_conversation (path, 100000);
  g_assert_true (hb_capture_file_load (sync, path, &error));
  g_assert_no_error (error);

  g_assert_cmpfloat (hb_capture_file_get_progress (async), ==, 0);
  hb_capture_file_load_async (async, path, NULL, async_done, &result);
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_ptr_array_add (samples, async);
  timer = g_timeout_add (1, sample_progress, samples);
  hb_assert_eventually (result != NULL);
  g_source_remove (timer);
  g_assert_true (hb_capture_file_load_finish (async, result, &error));
  g_assert_no_error (error);

  for (guint i = 2; i < samples->len; i++)
    g_assert_cmpfloat (*(double *) samples->pdata[i], >=, *(double *) samples->pdata[i - 1]);
  for (guint i = 1; i < samples->len; i++)
    g_free (samples->pdata[i]);
  g_assert_cmpfloat (hb_capture_file_get_progress (async), ==, 1);

  g_assert_cmpuint (hb_capture_file_get_n_frames (async), ==, 100000);
  g_assert_cmpuint (hb_capture_file_get_n_frames (async), ==, hb_capture_file_get_n_frames (sync));
  g_assert_cmpint (hb_capture_file_get_start_time (async), ==, hb_capture_file_get_start_time (sync));
  a = hb_capture_file_get_packets (sync);
  b = hb_capture_file_get_packets (async);
  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i += a->len / 97)
    {
      g_autofree char *x = hb_packet_format_info (a->pdata[i]);
      g_autofree char *y = hb_packet_format_info (b->pdata[i]);

      g_assert_cmpstr (x, ==, y);
    }
  g_assert_cmpuint (hb_capture_file_get_conversations (async)->len, ==, 1);
  g_assert_cmpuint (hb_conversation_get_n_packets (hb_capture_file_get_conversations (async)->pdata[0]), ==, 100000);
  g_assert_true (hb_conversation_get_saw_syn (hb_capture_file_get_conversations (async)->pdata[0]));

  /* Errors come through the callback, as they are returned at once. */
  g_clear_object (&result);
  {
    g_autoptr(HbCaptureFile) missing = hb_capture_file_new ();

    hb_capture_file_load_async (missing, path, NULL, async_done, &result);
    hb_assert_eventually (result != NULL);
    g_assert_false (hb_capture_file_load_finish (missing, result, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, "long.pcap"));
    g_clear_error (&error);
    g_clear_object (&result);
    g_assert_finalize_object (g_steal_pointer (&missing));
  }
  hb_test_await_finalize (g_steal_pointer (&async));
  g_rmdir (dir);
}

/* Cancelled while it reads, a load stops, keeps nothing and says
 * CANCELLED; cancelled before it starts, the same. */
static void
test_async_cancel (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hb-pcap-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "long.pcap", NULL);
  g_autoptr(GError) error = NULL;

  hb_test_write_long_conversation (path, 200000);
  for (guint when = 0; when < 2; when++)
    {
      g_autoptr(HbCaptureFile) file = hb_capture_file_new ();
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      g_autoptr(GAsyncResult) result = NULL;

      if (when == 0)
        g_cancellable_cancel (cancellable);
      hb_capture_file_load_async (file, path, cancellable, async_done, &result);
      if (when == 1)
        {
          /* Reading 200,000 frames takes far longer than a poll. */
          hb_assert_eventually (hb_capture_file_get_progress (file) > 0 || result != NULL);
          g_assert_null (result);
          g_cancellable_cancel (cancellable);
        }
      hb_assert_eventually (result != NULL);
      g_assert_false (hb_capture_file_load_finish (file, result, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_clear_error (&error);
      g_assert_cmpuint (hb_capture_file_get_n_frames (file), ==, 0);
      g_assert_cmpuint (hb_capture_file_get_packets (file)->len, ==, 0);
      g_assert_cmpuint (hb_capture_file_get_conversations (file)->len, ==, 0);
      g_clear_object (&result);
      /* The worker may let go of its task just after the callback. */
      hb_test_await_finalize (g_steal_pointer (&file));
    }
  g_unlink (path);
  g_rmdir (dir);
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
  file = load_ok (bytes);
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
      g_autoptr(HbCaptureFile) file = load_ok (bytes);
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

/* ---------------------------------------------------------------------- */
/* Against tshark                                                          */

static char *
find_tshark (void)
{
  return g_find_program_in_path ("tshark");
}

static void
save_and_compare (const char *tshark,
                  const char *dir,
                  const char *name,
                  GBytes     *bytes,
                  guint       min_info)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HbCaptureFile) file = load_ok (bytes);

  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error));
  g_assert_no_error (error);
  g_test_message ("comparing %s", name);
  g_assert_cmpuint (hb_test_compare_with_tshark (tshark, path, file), >=, min_info);
  g_unlink (path);
}

static void
test_tshark_fixtures (void)
{
  g_autofree char *tshark = find_tshark ();
  g_autofree char *dir = NULL;

  if (tshark == NULL)
    {
      g_test_skip ("tshark is not installed: nothing to cross-check against");
      return;
    }
  dir = g_dir_make_tmp ("hb-pcap-XXXXXX", NULL);
  g_assert_nonnull (dir);

  for (guint i = 0; i < HB_TEST_N_LINK_CASES; i++)
    {
      const HbTestLinkCase *lc = &hb_test_link_cases[i];
      HbTestNet net = hb_test_net_default (lc->family);
      g_autoptr(GBytes) bytes = hb_test_make_conversation (lc->linktype, lc->variant, &net, 1000, 5000);
      g_autofree char *name = g_strdup_printf ("link-%d-%d-v%d.pcap", lc->linktype, lc->variant, lc->family);

      /* Wireshark reads AF 23 in DLT_NULL as IPX (the BSD meaning); we
       * take it for Windows' AF_INET6 when the packet is IPv6. */
      if (lc->variant == HB_TEST_VARIANT_AF23)
        continue;
      save_and_compare (tshark, dir, name, bytes, HB_TEST_CONVERSATION_LEN);
    }

  {
    HbTestNet net = hb_test_net_default (4);
    g_autoptr(GBytes) wrap = hb_test_make_conversation (DLT_EN10MB, HB_TEST_VARIANT_PLAIN, &net, 0xfffffff0, 0xfffffffe);
    static const int retrans[] = { 0, 1, 2, 3, 3, 4, 5, 5, 6, 7, 8, 8, 9, 10 };
    static const int no_syn[] = { 3, 4, 5, 6, 7, 8, 9, 10 };
    g_autoptr(GBytes) retrans_bytes = make_steps (DLT_EN10MB, &net, retrans, G_N_ELEMENTS (retrans));
    g_autoptr(GBytes) no_syn_bytes = make_steps (DLT_NULL, &net, no_syn, G_N_ELEMENTS (no_syn));

    save_and_compare (tshark, dir, "wrap.pcap", wrap, HB_TEST_CONVERSATION_LEN);
    save_and_compare (tshark, dir, "retransmission.pcap", retrans_bytes, G_N_ELEMENTS (retrans));
    save_and_compare (tshark, dir, "no-syn.pcap", no_syn_bytes, G_N_ELEMENTS (no_syn));
  }

  /* Two conversations and a reused 4-tuple: tcp.stream must agree. */
  {
    g_autoptr(GBytes) bytes = make_three_conversations ();

    save_and_compare (tshark, dir, "streams.pcap", bytes, 3 * HB_TEST_CONVERSATION_LEN);
  }

  /* SACK blocks and the asymmetric and missing window scales. */
  {
    HbTestNet net = hb_test_net_default (4);
    static const guint8 ws_only[] = { 1, 3, 3, 7 };
    guint8 sack[12] = { 1, 1, 5, 10 };
    guint32 edges[] = { htonl (1009), htonl (1016) };
    HbTestCapture fx;
    g_autoptr(GBytes) bytes = NULL;

    memcpy (sack + 4, edges, 8);
    hb_test_capture_init (&fx, DLT_RAW, HB_TEST_VARIANT_PLAIN);
    hb_test_capture_add (&fx, &net, TRUE, S, 1000, 0, 65535, ws_only, 4, NULL);
    hb_test_capture_add (&fx, &net, FALSE, S | A, 5000, 1001, 65535, NULL, 0, NULL);
    hb_test_capture_add (&fx, &net, TRUE, A, 1001, 5001, 1000, NULL, 0, NULL);
    hb_test_capture_add (&fx, &net, FALSE, A, 5001, 1001, 70, sack, sizeof sack, NULL);
    hb_test_capture_add (&fx, &net, FALSE, A | HB_TCP_URG, 5001, 1001, 70, NULL, 0, NULL);
    bytes = hb_test_capture_finish (&fx);
    save_and_compare (tshark, dir, "options.pcap", bytes, 5);
  }

  g_rmdir (dir);
}

/* ---------------------------------------------------------------------- */
/* Real sessions on loopback, against tshark                               */

typedef struct
{
  HbCaptureWriter *writer;
  int              linktype;
  guint            n_frames;
  guint            n_fin;
  guint            n_rst;
  gboolean         acked_after_fins;
  guint            n_bcast;
  guint            n_pongs;
  guint            n_messages;
  gboolean         disconnected;
} Live;

static void
on_live_frame (HbLiveCapture *cap,
               gint64         time_us,
               GBytes        *data,
               guint          original_length,
               Live          *live)
{
  g_auto(HbPacket) packet = { 0 };
  gsize size;
  const guint8 *bytes = g_bytes_get_data (data, &size);

  hb_capture_writer_write (live->writer, time_us, bytes, size, original_length);
  live->n_frames++;
  if (!hb_packet_parse (bytes, size, original_length, live->linktype, &packet, NULL))
    return;
  if (packet.flags & HB_TCP_RST)
    live->n_rst++;
  if (packet.flags & HB_TCP_FIN)
    live->n_fin++;
  else if (live->n_fin >= 2 && packet.flags == HB_TCP_ACK && packet.payload_len == 0)
    live->acked_after_fins = TRUE;
}

static void
on_live_message (HbClient   *client,
                 HbVerb      kind,
                 const char *sender,
                 const char *text,
                 Live       *live)
{
  if (kind == HB_VERB_BCAST)
    live->n_bcast++;
}

static void
on_live_pong_sent (HbClient *client,
                   guint64   seq,
                   Live     *live)
{
  live->n_pongs++;
}

static void
on_live_server_message (HbServer     *server,
                        HbConnection *conn,
                        const char   *text,
                        Live         *live)
{
  live->n_messages++;
}

static void
on_live_disconnected (HbClient   *client,
                      int         reason,
                      int         initiator,
                      const char *detail,
                      Live       *live)
{
  live->disconnected = TRUE;
}

typedef enum
{
  ENDING_DISCONNECT,
  ENDING_ABORT,
  ENDING_HALF_CLOSE,
} Ending;

static void
run_live (Ending ending)
{
  g_autofree char *tshark = find_tshark ();
  g_autoptr(HbServer) server = NULL;
  g_autoptr(HbLiveCapture) cap = NULL;
  g_autoptr(HbClient) client = NULL;
  g_autoptr(HbCaptureFile) file = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  GPtrArray *packets;
  Live live = { 0 };
  guint n_handshake = 0, n_heartbeat = 0, n_data = 0, n_teardown = 0;
  gboolean in_teardown = FALSE;

  if (tshark == NULL)
    {
      g_test_skip ("tshark is not installed: nothing to cross-check against");
      return;
    }

  server = g_object_new (HB_TYPE_SERVER, "address", "127.0.0.1", "port", 0, "interval-ms", 50, NULL);
  g_assert_true (hb_server_start (server, &error));
  g_assert_no_error (error);
  cap = hb_live_capture_new ("lo", hb_server_get_port (server));
  if (!hb_live_capture_start (cap, NULL, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
        g_test_skip ("no privilege to capture on lo here (run as root, or in `unshare -rn`)");
      else
        {
          g_autofree char *why = g_strdup_printf ("cannot capture on lo: %s", error->message);

          g_test_skip (why);
        }
      hb_server_stop (server);
      return;
    }
  live.linktype = hb_live_capture_get_linktype (cap);
  dir = g_dir_make_tmp ("hb-pcap-live-XXXXXX", NULL);
  path = g_build_filename (dir, "live.pcap", NULL);
  live.writer = hb_capture_writer_new (path, live.linktype, &error);
  g_assert_no_error (error);
  g_signal_connect (cap, "frame", G_CALLBACK (on_live_frame), &live);
  g_signal_connect (server, "message", G_CALLBACK (on_live_server_message), &live);

  client = hb_client_new ("127.0.0.1", hb_server_get_port (server), "lab");
  g_signal_connect (client, "message", G_CALLBACK (on_live_message), &live);
  g_signal_connect (client, "pong-sent", G_CALLBACK (on_live_pong_sent), &live);
  g_signal_connect (client, "disconnected", G_CALLBACK (on_live_disconnected), &live);
  hb_client_connect (client);
  hb_assert_eventually (hb_client_get_client_id (client) != 0);
  g_assert_true (hb_client_send_message (client, "hello from the lab"));
  hb_assert_eventually (live.n_messages == 1);
  g_assert_cmpuint (hb_server_broadcast (server, "news for all"), ==, 1);
  hb_assert_eventually (live.n_bcast == 1);
  hb_assert_eventually (live.n_pongs >= 2);

  switch (ending)
    {
    case ENDING_DISCONNECT:
      hb_client_disconnect (client);
      hb_assert_eventually (live.disconnected);
      hb_assert_eventually (live.n_fin >= 2 && live.acked_after_fins);
      break;
    case ENDING_ABORT:
      hb_client_abort (client);
      hb_assert_eventually (live.n_rst >= 1);
      break;
    case ENDING_HALF_CLOSE:
      hb_client_half_close (client);
      hb_assert_eventually (live.n_rst >= 1 || (live.n_fin >= 2 && live.acked_after_fins));
      break;
    default:
      g_assert_not_reached ();
    }
  hb_live_capture_stop (cap);
  g_assert_true (hb_capture_writer_close (live.writer, NULL, &error));
  g_assert_no_error (error);
  g_clear_pointer (&live.writer, hb_capture_writer_free);

  file = hb_capture_file_new ();
  g_assert_true (hb_capture_file_load (file, path, &error));
  g_assert_no_error (error);
  packets = hb_capture_file_get_packets (file);
  g_assert_cmpuint (packets->len, ==, live.n_frames);
  g_assert_cmpuint (hb_capture_file_get_conversations (file)->len, ==, 1);

  for (guint i = 0; i < packets->len; i++)
    {
      HbPacket *p = g_ptr_array_index (packets, i);
      g_autofree char *info = hb_packet_format_info (p);
      g_autofree char *text = hb_packet_format_payload (p);

      g_test_message ("%-9s %s%s%s", hb_tcp_phase_to_string (p->phase), info, text ? "  " : "", text ? text : "");
      if (i < 3)
        g_assert_cmpuint (p->phase, ==, HB_TCP_PHASE_HANDSHAKE);
      /* The teardown begins with the first FIN or RST, or with the
       * protocol's goodbye line when one is sent first. */
      if ((p->flags & (HB_TCP_FIN | HB_TCP_RST)) || (text && g_str_has_prefix (text, "BYE")))
        in_teardown = TRUE;
      g_assert_cmpuint (p->phase == HB_TCP_PHASE_TEARDOWN, ==, in_teardown);
      if (!in_teardown && text && (g_str_has_prefix (text, "PING ") || g_str_has_prefix (text, "PONG ")))
        g_assert_cmpuint (p->phase, ==, HB_TCP_PHASE_HEARTBEAT);
      n_handshake += p->phase == HB_TCP_PHASE_HANDSHAKE;
      n_heartbeat += p->phase == HB_TCP_PHASE_HEARTBEAT;
      n_data += p->phase == HB_TCP_PHASE_DATA;
      n_teardown += p->phase == HB_TCP_PHASE_TEARDOWN;
    }
  g_assert_cmpuint (n_handshake, ==, 3);
  g_assert_cmpuint (n_heartbeat, >=, 4);   /* two PINGs, two PONGs */
  g_assert_cmpuint (n_data, >=, 4);        /* HELLO, WELCOME, MSG, BCAST */
  g_assert_cmpuint (n_teardown, >=, 1);

  g_assert_cmpuint (hb_test_compare_with_tshark (tshark, path, file), >=, 3);

  hb_server_stop (server);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_live_session (void)
{
  run_live (ENDING_DISCONNECT);
}

static void
test_live_abort (void)
{
  run_live (ENDING_ABORT);
}

static void
test_live_half_close (void)
{
  run_live (ENDING_HALF_CLOSE);
}

/* ---------------------------------------------------------------------- */
/* Reading a pcap stream piece by piece                                    */

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

/* The bytes pane prints what `tshark -x` prints, and the details name the
 * fields the way Wireshark's details pane does. */
static void
test_details_and_hex (void)
{
  HbTestNet net = hb_test_net_default (4);
  g_autoptr(GBytes) file = hb_test_make_conversation (DLT_EN10MB, HB_TEST_VARIANT_PLAIN, &net, 1000, 5000);
  g_autoptr(HbCaptureFile) reader = hb_capture_file_new ();
  g_autofree char *tshark = find_tshark ();
  GPtrArray *packets;
  HbPacket *syn, *ping;
  g_autofree char *syn_details = NULL;
  g_autofree char *ping_details = NULL;

  g_assert_true (hb_capture_file_load_bytes (reader, file, NULL));
  packets = hb_capture_file_get_packets (reader);
  syn = packets->pdata[0];
  syn_details = hb_packet_format_details (syn);
  g_assert_nonnull (strstr (syn_details, "Internet Protocol Version 4, Src: 127.0.0.1, Dst: 127.0.0.1"));
  g_assert_nonnull (strstr (syn_details, "Sequence number: 0 (relative; raw 1000)"));
  g_assert_nonnull (strstr (syn_details, "Acknowledgment number: none"));
  g_assert_nonnull (strstr (syn_details, "Flags: 0x002 (SYN)"));
  g_assert_nonnull (strstr (syn_details, "Maximum segment size: 65495 bytes"));
  g_assert_nonnull (strstr (syn_details, "Phase: Three-way handshake"));

  ping = NULL;
  for (guint i = 0; i < packets->len; i++)
    if (g_strcmp0 (hb_test_conversation[i].payload, "PING 1\n") == 0)
      ping = packets->pdata[i];
  g_assert_nonnull (ping);
  ping_details = hb_packet_format_details (ping);
  g_assert_nonnull (strstr (ping_details, "Data (7 bytes): “PING 1”"));
  g_assert_nonnull (strstr (ping_details, "Phase: Heartbeat"));

  {
    const guint8 sixteen[] = "0123456789abcdef\x01";
    g_autofree char *hex = hb_format_hex_dump (sixteen, 17);

    g_assert_cmpstr (hex, ==,
                     "0000  30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66   0123456789abcdef\n"
                     "0010  01                                                .");
  }

  if (tshark == NULL)
    {
      g_test_message ("tshark not installed: the hex dump is checked against its known form only");
      return;
    }
  {
    g_autofree char *dir = g_dir_make_tmp ("hb-hex-XXXXXX", NULL);
    g_autofree char *path = g_build_filename (dir, "c.pcap", NULL);
    g_autofree char *out = NULL;
    g_autoptr(GString) ours = g_string_new (NULL);
    g_autoptr(GError) error = NULL;
    int status = 0;
    const char *argv[] = { tshark, "-n", "-r", path, "-x", NULL };

    g_assert_true (g_file_set_contents (path, g_bytes_get_data (file, NULL), (gssize) g_bytes_get_size (file), NULL));
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
                                 &status, &error));
    g_assert_no_error (error);
    for (guint i = 0; i < packets->len; i++)
      {
        HbPacket *packet = packets->pdata[i];
        gsize len;
        const guint8 *data = g_bytes_get_data (packet->data, &len);
        g_autofree char *hex = hb_format_hex_dump (data, len);

        g_string_append_printf (ours, "%s\n\n", hex);
      }
    /* tshark pads the ASCII of a short last line; compare without the
     * trailing spaces. */
    {
      g_auto(GStrv) a = g_strsplit (ours->str, "\n", -1);
      g_auto(GStrv) b = g_strsplit (out, "\n", -1);

      for (guint i = 0; a[i] != NULL && b[i] != NULL; i++)
        g_assert_cmpstr (g_strchomp (a[i]), ==, g_strchomp (b[i]));
      g_assert_cmpuint (g_strv_length (a), <=, g_strv_length (b) + 1);
      g_assert_cmpuint (g_strv_length (a), >=, 2 * packets->len);
    }
    g_unlink (path);
    g_rmdir (dir);
  }
}

/* A capture of a server's port begun after the handshake, the server
 * speaking first: told the port, the file knows which end is the client. */
static void
test_server_port_decides_roles (void)
{
  HbTestCapture cap;
  HbTestNet net = hb_test_net_default (4);
  g_autoptr(GBytes) bytes = NULL;

  hb_test_capture_init (&cap, DLT_EN10MB, HB_TEST_VARIANT_PLAIN);
  hb_test_capture_add (&cap, &net, FALSE, P | A, 5001, 1001, 512, NULL, 0, "PING 1\n");
  hb_test_capture_add (&cap, &net, TRUE, P | A, 1001, 5008, 512, NULL, 0, "PONG 1\n");
  bytes = hb_test_capture_finish (&cap);

  for (guint told = 0; told < 2; told++)
    {
      g_autoptr(HbCaptureFile) file = hb_capture_file_new ();
      g_autoptr(GError) error = NULL;
      HbConversation *c;

      if (told)
        hb_capture_file_set_server_port (file, HB_TEST_SERVER_PORT);
      g_assert_true (hb_capture_file_load_bytes (file, bytes, &error));
      c = g_ptr_array_index (hb_capture_file_get_conversations (file), 0);
      /* Without the port, the first speaker is taken for the client. */
      g_assert_cmpuint (hb_conversation_get_server_port (c), ==, told ? HB_TEST_SERVER_PORT : net.cport);
      g_assert_cmpuint (hb_conversation_get_client_port (c), ==, told ? net.cport : HB_TEST_SERVER_PORT);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/pcap/link-types", test_link_types);
  g_test_add_func ("/core/pcap/writer/file", test_writer_file);
  g_test_add_func ("/core/pcap/analysis/wraparound", test_wraparound);
  g_test_add_func ("/core/pcap/analysis/retransmission", test_retransmission);
  g_test_add_func ("/core/pcap/analysis/out-of-order", test_out_of_order);
  g_test_add_func ("/core/pcap/analysis/no-syn", test_no_syn);
  g_test_add_func ("/core/pcap/analysis/bye-starts-teardown", test_bye_starts_teardown);
  g_test_add_func ("/core/pcap/analysis/joined-late", test_joined_late);
  g_test_add_func ("/core/pcap/analysis/two-conversations", test_two_conversations);
  g_test_add_func ("/core/pcap/analysis/window-scaling", test_window_scaling);
  g_test_add_func ("/core/pcap/analysis/sack", test_sack);
  g_test_add_func ("/core/pcap/text", test_flags_text);
  g_test_add_func ("/core/pcap/broken/truncated-file", test_truncated_file);
  g_test_add_func ("/core/pcap/broken/not-capture", test_not_capture);
  g_test_add_func ("/core/pcap/async/same-as-sync", test_async_same);
  g_test_add_func ("/core/pcap/async/cancel", test_async_cancel);
  g_test_add_func ("/core/pcap/broken/unsupported-link-type", test_unsupported_linktype);
  g_test_add_func ("/core/pcap/broken/frames", test_bad_frames);
  g_test_add_func ("/core/pcap/broken/every-prefix", test_every_prefix);
  g_test_add_func ("/core/pcap/broken/mutations", test_mutations);
  g_test_add_func ("/core/pcap/stream/pieces", test_stream_pieces);
  g_test_add_func ("/core/pcap/stream/damage", test_stream_damage);
  g_test_add_func ("/core/pcap/text/details-and-hex", test_details_and_hex);
  g_test_add_func ("/core/pcap/tshark/fixtures", test_tshark_fixtures);
  g_test_add_func ("/core/pcap/server-port-decides-roles", test_server_port_decides_roles);
  g_test_add_func ("/core/pcap/tshark/live-session", test_live_session);
  g_test_add_func ("/core/pcap/tshark/live-abort", test_live_abort);
  g_test_add_func ("/core/pcap/tshark/live-half-close", test_live_half_close);

  return g_test_run ();
}
