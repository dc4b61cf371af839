/* test-pcap.c - capture files: the packet parser, the reader and writer, Wireshark's numbers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every fixture is made here, by the project's own writer, from segments
 * built byte by byte: one synthetic heartbeat conversation in each link
 * type we read, then the awkward cases (wrap-around, retransmissions,
 * reordering, no SYN, several conversations). The hostile ones are in
 * test-pcap-broken.c, reading from a pipe in test-pcap-stream.c, and the
 * same files and real sessions checked against tshark in
 * test-pcap-tshark.c (the slow suite).
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
      g_autoptr(HbCaptureFile) file = hb_test_load_ok (bytes);

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
    g_autoptr(HbCaptureFile) from_memory = hb_test_load_ok (memory);
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
  g_autoptr(HbCaptureFile) file = hb_test_load_ok (bytes);
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
    tail_file = hb_test_load_ok (tail);
    packets = hb_capture_file_get_packets (tail_file);
    hb_capture_file_get_conversations (tail_file);
    g_assert_cmpuint (((HbPacket *) packets->pdata[0])->rel_seq, ==, 1);
    g_assert_cmpuint (((HbPacket *) packets->pdata[1])->rel_ack, ==, 16);
    g_assert_cmpuint (((HbPacket *) packets->pdata[2])->rel_seq, ==, 16);
  }
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
  g_autoptr(GBytes) bytes = hb_test_make_steps (DLT_EN10MB, &net, order, G_N_ELEMENTS (order));
  g_autoptr(HbCaptureFile) file = hb_test_load_ok (bytes);
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
  file = hb_test_load_ok (bytes);
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
  g_autoptr(GBytes) bytes = hb_test_make_steps (DLT_NULL, &net, order, G_N_ELEMENTS (order));
  g_autoptr(HbCaptureFile) file = hb_test_load_ok (bytes);
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
  file = hb_test_load_ok (bytes);
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
  file = hb_test_load_ok (bytes);
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
  file = hb_test_load_ok (bytes);
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

static void
test_two_conversations (void)
{
  g_autoptr(GBytes) bytes = hb_test_make_three_conversations ();
  g_autoptr(HbCaptureFile) file = hb_test_load_ok (bytes);
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
      file = hb_test_load_ok (bytes);
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
  file = hb_test_load_ok (bytes);
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
  g_test_add_func ("/core/pcap/server-port-decides-roles", test_server_port_decides_roles);

  g_test_add_func ("/core/pcap/async/same-as-sync", test_async_same);
  g_test_add_func ("/core/pcap/async/cancel", test_async_cancel);
  return g_test_run ();
}
