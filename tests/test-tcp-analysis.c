/* test-tcp-analysis.c - Wireshark's TCP analysis labels, pcapng with several link types, snapshot lengths, against tshark
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A built conversation goes through every label (loss, dup ACKs, fast and
 * spurious retransmission, zero window and its probes, window update,
 * keep-alive, reused ports) and is checked frame by frame, phases too.
 * Then real captures of the same faults, recorded by tests/tcp-scenes.py
 * in a network namespace (a relay on a TUN device drops, delays,
 * duplicates and reorders; a reader stops reading; keep-alive after 1 s;
 * a client port used twice; lo and any merged; snapshot lengths), are
 * compared with tshark: the whole Info column must agree on at least
 * 99.5 % of the frames, and every difference is listed.
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <pcap/dlt.h>

#include "heartbeat-lab.h"
#include "hb-capture-file.h"
#include "hb-conversation.h"
#include "hb-packet.h"
#include "hb-test-pcap.h"
#include "hb-test-util.h"

#define S HB_TCP_SYN
#define A HB_TCP_ACK
#define P HB_TCP_PSH
#define F HB_TCP_FIN

#define ISN_C 1000
#define ISN_S 5000

typedef struct
{
  const char *info;
  HbTcpPhase  phase;
} Expected;

static void
add (HbTestCapture *cap,
     gboolean       client,
     guint16        flags,
     guint32        seq,
     guint32        ack,
     guint16        win,
     const char    *payload)
{
  HbTestNet net = hb_test_net_default (4);

  hb_test_capture_add (cap, &net, client, flags, (client ? ISN_C : ISN_S) + seq,
                       (flags & A) ? (client ? ISN_S : ISN_C) + ack : 0, win, NULL, 0, payload);
}

/* Every label in one conversation; relative numbers as Wireshark shows
 * them (client ISN 1000, server 5000, the client's window ×128 and the
 * server's ×1024 after the SYNs). */
static GBytes *
make_lessons (void)
{
  HbTestNet net = hb_test_net_default (4);
  HbTestCapture cap;

  hb_test_capture_init (&cap, DLT_EN10MB, HB_TEST_VARIANT_PLAIN);
  for (guint i = 0; i < 3; i++)
    hb_test_capture_add_step (&cap, &net, &hb_test_conversation[i], ISN_C, ISN_S);
  add (&cap, TRUE, P | A, 1, 1, 1000, "MSG aaaa\n");
  /* "MSG bbbb\n" at 10 is lost before the capture sees it. */
  add (&cap, TRUE, P | A, 19, 1, 1000, "MSG cccc\n");
  add (&cap, FALSE, A, 1, 10, 70, NULL);
  add (&cap, FALSE, A, 1, 10, 70, NULL);
  add (&cap, FALSE, A, 1, 10, 70, NULL);
  add (&cap, TRUE, P | A, 10, 1, 1000, "MSG bbbb\n");
  add (&cap, FALSE, A, 1, 28, 70, NULL);
  cap.time_us += 300000;
  add (&cap, TRUE, P | A, 10, 1, 1000, "MSG bbbb\n");
  add (&cap, FALSE, P | A, 1, 28, 70, "PING 1\n");
  add (&cap, TRUE, A, 28, 8, 1000, NULL);
  /* The client stops reading. */
  add (&cap, FALSE, P | A, 8, 28, 70, "PING 2\n");
  add (&cap, TRUE, A, 28, 15, 0, NULL);
  add (&cap, FALSE, P | A, 15, 28, 70, "P");
  add (&cap, TRUE, A, 28, 15, 0, NULL);
  add (&cap, TRUE, A, 28, 15, 1000, NULL);
  add (&cap, FALSE, P | A, 15, 28, 70, "PING 3\n");
  add (&cap, TRUE, A, 28, 22, 1000, NULL);
  /* Silence: the client's kernel asks whether the server is there. */
  cap.time_us += 2000000;
  add (&cap, TRUE, A, 27, 22, 1000, NULL);
  add (&cap, FALSE, A, 22, 28, 70, NULL);
  add (&cap, TRUE, F | A, 28, 22, 1000, NULL);
  add (&cap, FALSE, F | A, 22, 29, 70, NULL);
  add (&cap, TRUE, A, 29, 23, 1000, NULL);
  /* The same ports again, a new ISN. */
  hb_test_capture_add (&cap, &net, TRUE, S, 90000, 0, 65495, NULL, 0, NULL);
  hb_test_capture_add (&cap, &net, FALSE, S | A, 70000, 90001, 65483, NULL, 0, NULL);
  hb_test_capture_add (&cap, &net, TRUE, A, 90001, 70001, 1000, NULL, 0, NULL);
  return hb_test_capture_finish (&cap);
}

static const Expected lessons[] = {
  { "4324 → 12001 [SYN] Seq=0 Win=65495 Len=0 MSS=65495 SACK_PERM TSval=100 TSecr=0 WS=128", HB_TCP_PHASE_HANDSHAKE },
  { "12001 → 4324 [SYN, ACK] Seq=0 Ack=1 Win=65483 Len=0 MSS=65495 SACK_PERM TSval=200 TSecr=100 WS=1024", HB_TCP_PHASE_HANDSHAKE },
  { "4324 → 12001 [ACK] Seq=1 Ack=1 Win=128000 Len=0 TSval=101 TSecr=200", HB_TCP_PHASE_HANDSHAKE },
  { "4324 → 12001 [PSH, ACK] Seq=1 Ack=1 Win=128000 Len=9", HB_TCP_PHASE_DATA },
  { "[TCP Previous segment not captured] 4324 → 12001 [PSH, ACK] Seq=19 Ack=1 Win=128000 Len=9", HB_TCP_PHASE_DATA },
  { "12001 → 4324 [ACK] Seq=1 Ack=10 Win=71680 Len=0", HB_TCP_PHASE_DATA },
  { "[TCP Dup ACK 6#1] 12001 → 4324 [ACK] Seq=1 Ack=10 Win=71680 Len=0", HB_TCP_PHASE_DATA },
  { "[TCP Dup ACK 6#2] 12001 → 4324 [ACK] Seq=1 Ack=10 Win=71680 Len=0", HB_TCP_PHASE_DATA },
  { "[TCP Fast Retransmission] 4324 → 12001 [PSH, ACK] Seq=10 Ack=1 Win=128000 Len=9", HB_TCP_PHASE_DATA },
  { "12001 → 4324 [ACK] Seq=1 Ack=28 Win=71680 Len=0", HB_TCP_PHASE_DATA },
  { "[TCP Spurious Retransmission] 4324 → 12001 [PSH, ACK] Seq=10 Ack=1 Win=128000 Len=9", HB_TCP_PHASE_DATA },
  { "12001 → 4324 [PSH, ACK] Seq=1 Ack=28 Win=71680 Len=7", HB_TCP_PHASE_HEARTBEAT },
  { "4324 → 12001 [ACK] Seq=28 Ack=8 Win=128000 Len=0", HB_TCP_PHASE_HEARTBEAT },
  { "12001 → 4324 [PSH, ACK] Seq=8 Ack=28 Win=71680 Len=7", HB_TCP_PHASE_HEARTBEAT },
  { "[TCP ZeroWindow] 4324 → 12001 [ACK] Seq=28 Ack=15 Win=0 Len=0", HB_TCP_PHASE_HEARTBEAT },
  { "[TCP ZeroWindowProbe] 12001 → 4324 [PSH, ACK] Seq=15 Ack=28 Win=71680 Len=1", HB_TCP_PHASE_DATA },
  { "[TCP ZeroWindowProbeAck] [TCP ZeroWindow] 4324 → 12001 [ACK] Seq=28 Ack=15 Win=0 Len=0", HB_TCP_PHASE_HEARTBEAT },
  { "[TCP Window Update] 4324 → 12001 [ACK] Seq=28 Ack=15 Win=128000 Len=0", HB_TCP_PHASE_HEARTBEAT },
  { "12001 → 4324 [PSH, ACK] Seq=15 Ack=28 Win=71680 Len=7", HB_TCP_PHASE_HEARTBEAT },
  { "4324 → 12001 [ACK] Seq=28 Ack=22 Win=128000 Len=0", HB_TCP_PHASE_HEARTBEAT },
  { "[TCP Keep-Alive] 4324 → 12001 [ACK] Seq=27 Ack=22 Win=128000 Len=0", HB_TCP_PHASE_HEARTBEAT },
  { "[TCP Keep-Alive ACK] 12001 → 4324 [ACK] Seq=22 Ack=28 Win=71680 Len=0", HB_TCP_PHASE_HEARTBEAT },
  { "4324 → 12001 [FIN, ACK] Seq=28 Ack=22 Win=128000 Len=0", HB_TCP_PHASE_TEARDOWN },
  { "12001 → 4324 [FIN, ACK] Seq=22 Ack=29 Win=71680 Len=0", HB_TCP_PHASE_TEARDOWN },
  { "4324 → 12001 [ACK] Seq=29 Ack=23 Win=128000 Len=0", HB_TCP_PHASE_TEARDOWN },
  { "[TCP Port numbers reused] 4324 → 12001 [SYN] Seq=0 Win=65495 Len=0", HB_TCP_PHASE_HANDSHAKE },
  { "12001 → 4324 [SYN, ACK] Seq=0 Ack=1 Win=65483 Len=0", HB_TCP_PHASE_HANDSHAKE },
  { "4324 → 12001 [ACK] Seq=1 Ack=1 Win=1000 Len=0", HB_TCP_PHASE_HANDSHAKE },
};

static HbCaptureFile *
load (GBytes *bytes)
{
  HbCaptureFile *file = hb_capture_file_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (hb_capture_file_load_bytes (file, bytes, &error));
  g_assert_no_error (error);
  hb_capture_file_get_conversations (file);
  return file;
}

static char *
find_tshark (void)
{
  return g_find_program_in_path ("tshark");
}

/* Saves @bytes and compares them with tshark, if there is one. */
static void
compare_saved (GBytes        *bytes,
               HbCaptureFile *file,
               const char    *name)
{
  g_autofree char *tshark = find_tshark ();
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  if (tshark == NULL)
    {
      g_test_message ("tshark is not installed: %s not cross-checked", name);
      return;
    }
  dir = g_dir_make_tmp ("hb-analysis-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, name, NULL);
  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error));
  g_assert_no_error (error);
  hb_test_compare_with_tshark (tshark, path, file);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_lessons (void)
{
  g_autoptr(GBytes) bytes = make_lessons ();
  g_autoptr(HbCaptureFile) file = load (bytes);
  GPtrArray *packets = hb_capture_file_get_packets (file);
  HbPacket *p;

  g_assert_cmpuint (packets->len, ==, G_N_ELEMENTS (lessons));
  for (guint i = 0; i < packets->len; i++)
    {
      g_autofree char *info = NULL;

      p = g_ptr_array_index (packets, i);
      info = hb_packet_format_info (p);
      g_test_message ("frame %u: %s (%s)", p->frame, info, hb_tcp_phase_to_string (p->phase));
      g_assert_cmpstr (info, ==, lessons[i].info);
      g_assert_cmpuint (p->phase, ==, lessons[i].phase);
    }
  /* Dup ACK 6#2: the fields behind the label. */
  p = g_ptr_array_index (packets, 7);
  g_assert_cmpuint (p->analysis, ==, HB_ANALYSIS_DUP_ACK);
  g_assert_cmpuint (p->dup_ack_frame, ==, 6);
  g_assert_cmpuint (p->dup_ack_num, ==, 2);
  g_assert_cmpuint (hb_capture_file_get_conversations (file)->len, ==, 2);

  compare_saved (bytes, file, "lessons.pcap");
}

/* The short names of --json, and the details pane's lines. */
static void
test_names (void)
{
  g_autoptr(GBytes) bytes = make_lessons ();
  g_autoptr(HbCaptureFile) file = load (bytes);
  HbPacket *p = g_ptr_array_index (hb_capture_file_get_packets (file), 16);
  g_auto(GStrv) names = hb_packet_analysis_names (p);
  g_auto(GStrv) labels = hb_packet_analysis_labels (p);
  g_autofree char *details = hb_packet_format_details (p);

  g_assert_cmpuint (g_strv_length (names), ==, 2);
  g_assert_cmpstr (names[0], ==, "zero-window-probe-ack");
  g_assert_cmpstr (names[1], ==, "zero-window");
  g_assert_cmpstr (labels[0], ==, "TCP ZeroWindowProbeAck");
  g_assert_nonnull (strstr (details, "Analysis: [TCP ZeroWindow]: the receiver's buffer is full"));
}

/* `heartbeat-lab-cli analyze` says the same, in its table and in --json. */
static void
test_cli (void)
{
  g_autoptr(GBytes) bytes = make_lessons ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("hb-analysis-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "lessons.pcap", NULL);
  g_autofree char *out = NULL;
  g_autofree char *json = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_auto(GStrv) lines = NULL;
  guint n = 0;

  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error));
  g_assert_no_error (error);

  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, g_getenv ("HB_CLI"), "analyze", path, NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);
  g_assert_nonnull (strstr (out, "[TCP Dup ACK 6#2] 12001 → 4324 [ACK] Seq=1 Ack=10 Win=71680 Len=0"));
  g_assert_nonnull (strstr (out, "[TCP ZeroWindowProbeAck] [TCP ZeroWindow] 4324 → 12001"));
  g_clear_object (&proc);

  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, g_getenv ("HB_CLI"), "analyze", "--json", path, NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (proc, NULL, NULL, &json, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);
  lines = g_strsplit (json, "\n", -1);
  for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++, n++)
    {
      g_autoptr(JsonNode) node = json_from_string (lines[i], &error);
      JsonObject *o;
      JsonArray *analysis;
      gint64 frame;

      g_assert_no_error (error);
      o = json_node_get_object (node);
      frame = json_object_get_int_member (o, "frame");
      analysis = json_object_get_array_member (o, "analysis");
      g_assert_cmpstr (json_object_get_string_member (o, "info"), ==, lessons[frame - 1].info);
      g_assert_cmpstr (json_object_get_string_member (o, "phase"), ==,
                       hb_tcp_phase_to_string (lessons[frame - 1].phase));
      if (frame == 7 || frame == 8)
        {
          g_assert_cmpuint (json_array_get_length (analysis), ==, 1);
          g_assert_cmpstr (json_array_get_string_element (analysis, 0), ==, "dup-ack");
          g_assert_cmpint (json_object_get_int_member (o, "dup_ack_of"), ==, 6);
          g_assert_cmpint (json_object_get_int_member (o, "dup_ack_count"), ==, frame - 6);
        }
      else
        g_assert_false (json_object_has_member (o, "dup_ack_of"));
      if (frame == 11)
        g_assert_cmpstr (json_array_get_string_element (analysis, 0), ==, "spurious-retransmission");
      if (frame == 21)
        g_assert_cmpstr (json_array_get_string_element (analysis, 0), ==, "keep-alive");
      if (frame == 26)
        g_assert_cmpstr (json_array_get_string_element (analysis, 0), ==, "port-numbers-reused");
      if (frame == 4)
        g_assert_cmpuint (json_array_get_length (analysis), ==, 0);
    }
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (lessons));
  g_unlink (path);
  g_rmdir (dir);
}

/* A retransmission after the first FIN keeps the phase of what it
 * repeats, and so does a selective ACK there; a SYN-ACK repeated once
 * data flowed is no handshake. */
static void
test_phases (void)
{
  HbTestNet net = hb_test_net_default (4);
  HbTestCapture cap;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(HbCaptureFile) file = NULL;
  GPtrArray *packets;
  /* SACK 20-27 (relative to the server's ISN: 5020-5027). */
  static const guint8 sack[12] = { 1, 1, 5, 10, 0, 0, 0x13, 0x9c, 0, 0, 0x13, 0xa3 };
  static const HbTcpPhase expected[] = {
    HB_TCP_PHASE_HANDSHAKE, HB_TCP_PHASE_HANDSHAKE, HB_TCP_PHASE_HANDSHAKE,
    HB_TCP_PHASE_HEARTBEAT,   /* PING 1 */
    HB_TCP_PHASE_DATA,        /* SYN-ACK again: acknowledges what the client sent */
    HB_TCP_PHASE_DATA,        /* MSG x */
    HB_TCP_PHASE_TEARDOWN,    /* the client's FIN */
    HB_TCP_PHASE_HEARTBEAT,   /* PING 1 again, after the FIN */
    HB_TCP_PHASE_HEARTBEAT,   /* an ACK with SACK of the retransmitted PING */
    HB_TCP_PHASE_TEARDOWN,
  };

  hb_test_capture_init (&cap, DLT_EN10MB, HB_TEST_VARIANT_PLAIN);
  for (guint i = 0; i < 3; i++)
    hb_test_capture_add_step (&cap, &net, &hb_test_conversation[i], ISN_C, ISN_S);
  add (&cap, TRUE, P | A, 1, 1, 1000, "PING 1\n");
  add (&cap, FALSE, S | A, 0, 1, 65483, NULL);
  add (&cap, FALSE, P | A, 1, 8, 70, "MSG x\n");
  add (&cap, TRUE, F | A, 8, 7, 1000, NULL);
  cap.time_us += 300000;
  add (&cap, TRUE, P | A, 1, 7, 1000, "PING 1\n");
  hb_test_capture_add (&cap, &net, FALSE, A, ISN_S + 7, ISN_C + 8, 70, sack, sizeof sack, NULL);
  add (&cap, FALSE, F | A, 7, 9, 70, NULL);
  bytes = hb_test_capture_finish (&cap);
  file = load (bytes);
  packets = hb_capture_file_get_packets (file);

  g_assert_cmpuint (packets->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < packets->len; i++)
    {
      HbPacket *p = g_ptr_array_index (packets, i);
      g_autofree char *info = hb_packet_format_info (p);

      g_test_message ("frame %u: %s (%s)", p->frame, info, hb_tcp_phase_to_string (p->phase));
      g_assert_cmpuint (p->phase, ==, expected[i]);
    }
  g_assert_true (((HbPacket *) packets->pdata[4])->analysis & HB_ANALYSIS_ANY_RETRANSMISSION);
  g_assert_true (((HbPacket *) packets->pdata[7])->analysis & HB_ANALYSIS_ANY_RETRANSMISSION);
  compare_saved (bytes, file, "phases.pcap");
}

/* One conversation seen on two interfaces of different link types, as
 * dumpcap on lo and any writes it (libpcap refuses such a file): every
 * frame keeps its own link type, and each copy is the retransmission
 * Wireshark calls it. */
static void
test_multi_link (void)
{
  HbTestNet net = hb_test_net_default (4);
  GBytes *pcaps[2];
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(HbCaptureFile) file = NULL;
  GPtrArray *packets;
  guint n_sll2 = 0;

  pcaps[0] = hb_test_make_conversation (DLT_EN10MB, HB_TEST_VARIANT_PLAIN, &net, ISN_C, ISN_S);
  pcaps[1] = hb_test_make_conversation (DLT_LINUX_SLL2, HB_TEST_VARIANT_PLAIN, &net, ISN_C, ISN_S);
  bytes = hb_test_merge_pcapng (pcaps, 2, TRUE);
  g_bytes_unref (pcaps[0]);
  g_bytes_unref (pcaps[1]);
  file = load (bytes);
  packets = hb_capture_file_get_packets (file);

  g_assert_cmpint (hb_capture_file_get_linktype (file), ==, DLT_EN10MB);
  g_assert_cmpuint (packets->len, ==, 2 * HB_TEST_CONVERSATION_LEN);
  g_assert_cmpuint (hb_capture_file_get_conversations (file)->len, ==, 1);
  for (guint i = 0; i < packets->len; i++)
    {
      HbPacket *p = g_ptr_array_index (packets, i);
      g_autofree char *info = hb_packet_format_info (p);

      g_test_message ("frame %u (link type %d): %s", p->frame, p->linktype, info);
      n_sll2 += p->linktype == DLT_LINUX_SLL2;
      /* The nanosecond interface reads the same times. */
      g_assert_cmpint (p->time_us, ==, HB_TEST_T0_US + (i / 2) * 1000);
    }
  g_assert_cmpuint (n_sll2, ==, HB_TEST_CONVERSATION_LEN);
  compare_saved (bytes, file, "multi-link.pcapng");
}

/* A pcapng section broken after some frames keeps them; an interface of a
 * link type we cannot read leaves the others readable. */
static void
test_pcapng_damage (void)
{
  HbTestNet net = hb_test_net_default (4);
  GBytes *pcaps[2];
  g_autoptr(GBytes) whole = NULL;
  gsize size;
  guint8 *data;

  pcaps[0] = hb_test_make_conversation (DLT_EN10MB, HB_TEST_VARIANT_PLAIN, &net, ISN_C, ISN_S);
  pcaps[1] = hb_test_make_conversation (DLT_LINUX_SLL, HB_TEST_VARIANT_PLAIN, &net, ISN_C, ISN_S);
  whole = hb_test_merge_pcapng (pcaps, 2, FALSE);
  g_bytes_unref (pcaps[0]);
  g_bytes_unref (pcaps[1]);
  size = g_bytes_get_size (whole);
  data = g_memdup2 (g_bytes_get_data (whole, NULL), size);

  /* Cut in the last block: the frames before it stay. */
  {
    g_autoptr(GBytes) cut = g_bytes_new (data, size - 10);
    g_autoptr(HbCaptureFile) file = hb_capture_file_new ();
    g_autoptr(GError) error = NULL;

    g_assert_false (hb_capture_file_load_bytes (file, cut, &error));
    g_assert_error (error, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_TRUNCATED);
    g_assert_cmpuint (hb_capture_file_get_packets (file)->len, ==, 2 * HB_TEST_CONVERSATION_LEN - 1);
  }
  /* The section header alone, cut: the file header is damaged. */
  {
    g_autoptr(GBytes) cut = g_bytes_new (data, 20);
    g_autoptr(HbCaptureFile) file = hb_capture_file_new ();
    g_autoptr(GError) error = NULL;

    g_assert_false (hb_capture_file_load_bytes (file, cut, &error));
    g_assert_error (error, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_DAMAGED);
  }
  /* The second interface becomes USB (189): its frames are not TCP. The
   * first interface block starts at 28, the second right after it (20). */
  {
    g_autoptr(GBytes) usb = NULL;
    g_autoptr(HbCaptureFile) file = hb_capture_file_new ();
    g_autoptr(GError) error = NULL;
    guint16 linktype = 189;

    memcpy (data + 28 + 20 + 8, &linktype, 2);
    usb = g_bytes_new (data, size);
    g_assert_true (hb_capture_file_load_bytes (file, usb, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (hb_capture_file_get_packets (file)->len, ==, HB_TEST_CONVERSATION_LEN);
    g_assert_cmpuint (hb_capture_file_get_n_not_tcp (file), ==, HB_TEST_CONVERSATION_LEN);
  }
  g_free (data);
}

/* A damaged timestamp (all ones, the year 584,554 in microseconds) is
 * read as the latest time we keep, and the analysis of frames that far
 * apart computes without overflow (found by the fuzzer under UBSan). */
static void
test_pcapng_far_times (void)
{
  HbTestNet net = hb_test_net_default (4);
  GBytes *pcaps[1];
  g_autoptr(GBytes) whole = NULL;
  g_autoptr(GBytes) far = NULL;
  g_autoptr(HbCaptureFile) file = hb_capture_file_new ();
  g_autoptr(GError) error = NULL;
  GPtrArray *packets;
  gsize size, at = 0;
  guint8 *data;
  guint n_far = 0, n_frames = 0;

  pcaps[0] = hb_test_make_conversation (DLT_EN10MB, HB_TEST_VARIANT_PLAIN, &net, ISN_C, ISN_S);
  whole = hb_test_merge_pcapng (pcaps, 1, FALSE);
  g_bytes_unref (pcaps[0]);
  size = g_bytes_get_size (whole);
  data = g_memdup2 (g_bytes_get_data (whole, NULL), size);

  /* Every other enhanced packet block (type 6) gets the largest time. */
  while (at + 12 <= size)
    {
      guint32 type, len;

      memcpy (&type, data + at, 4);
      memcpy (&len, data + at + 4, 4);
      g_assert_cmpuint (len, >=, 12);
      if (type == 6 && n_frames++ % 2 == 1)
        {
          memset (data + at + 12, 0xff, 8);
          n_far++;
        }
      at += len;
    }
  g_assert_cmpuint (n_far, >, 2);

  far = g_bytes_new_take (data, size);
  g_assert_true (hb_capture_file_load_bytes (file, far, &error));
  g_assert_no_error (error);
  packets = hb_capture_file_get_packets (file);
  g_assert_cmpuint (packets->len, ==, HB_TEST_CONVERSATION_LEN);
  for (guint i = 0; i < packets->len; i++)
    {
      HbPacket *p = g_ptr_array_index (packets, i);

      if (i % 2 == 1)
        g_assert_cmpint (p->time_us, ==, HB_PACKET_TIME_US_MAX);
      else
        g_assert_cmpint (p->time_us, ==, HB_TEST_T0_US + i * 1000);
    }
}

/* Frames cut by the snapshot length are kept, with what tshark shows of
 * them: from the ports alone to all but the payload. */
static void
test_snaplen (void)
{
  static const struct
  {
    guint32     snaplen;
    guint       frame;
    const char *info;
  } cases[] = {
    { 40, 1, "4324 → 12001[Packet size limited during capture]" },
    { 50, 1, "4324 → 12001 [SYN] Seq=0 Win=65495[Packet size limited during capture]" },
    { 60, 1, "4324 → 12001 [SYN] Seq=0 Win=65495 Len=0 MSS=65495 SACK_PERM[Packet size limited during capture]" },
    { 60, 3, "4324 → 12001 [ACK] Seq=1 Ack=1 Win=1000 Len=0[Packet size limited during capture]" },
    { 68, 4, "4324 → 12001 [PSH, ACK] Seq=1 Ack=1 Win=1000 Len=8" },
    { 55, 4, "4324 → 12001 [PSH, ACK] Seq=1 Ack=1 Win=1000 Len=8[Packet size limited during capture]" },
  };
  HbTestNet net = hb_test_net_default (4);
  g_autoptr(GBytes) whole = hb_test_make_conversation (DLT_EN10MB, HB_TEST_VARIANT_PLAIN, &net, ISN_C, ISN_S);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) bytes = hb_test_snap_pcap (whole, cases[i].snaplen);
      g_autoptr(HbCaptureFile) file = load (bytes);
      GPtrArray *packets = hb_capture_file_get_packets (file);
      HbPacket *p;
      g_autofree char *info = NULL;
      g_autofree char *name = g_strdup_printf ("snaplen-%u.pcap", cases[i].snaplen);

      /* Every frame is kept. */
      g_assert_cmpuint (packets->len, ==, HB_TEST_CONVERSATION_LEN);
      p = g_ptr_array_index (packets, cases[i].frame - 1);
      info = hb_packet_format_info (p);
      g_test_message ("snaplen %u, frame %u: %s", cases[i].snaplen, cases[i].frame, info);
      g_assert_cmpstr (info, ==, cases[i].info);
      compare_saved (bytes, file, name);
    }

  /* Cut before their numbers, they belong to no conversation: the
   * table's summary counts them. */
  {
    g_autoptr(GBytes) bytes = hb_test_snap_pcap (whole, 40);
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp ("hb-analysis-XXXXXX", &error);
    g_autofree char *path = g_build_filename (dir, "snaplen-40.pcap", NULL);
    g_autofree char *out = NULL;
    g_autoptr(GSubprocess) proc = NULL;

    g_assert_no_error (error);
    g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error));
    g_assert_no_error (error);
    proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, g_getenv ("HB_CLI"), "analyze", path, NULL);
    g_assert_no_error (error);
    g_assert_true (g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);
    g_assert_nonnull (strstr (out, "11 frames read, 0 TCP conversations, 11 TCP segments cut before their sequence numbers."));
    g_unlink (path);
    g_rmdir (dir);
  }
}

/* ---------------------------------------------------------------------- */
/* Real captures                                                           */

static void
test_scene (gconstpointer data)
{
  const char *scene = data;
  g_autofree char *tshark = find_tshark ();
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HbCaptureFile) file = NULL;
  HbTestTsharkResult result;
  int status;

  if (tshark == NULL)
    {
      g_test_skip ("tshark is not installed: nothing to compare with");
      return;
    }
  dir = g_dir_make_tmp ("hb-scene-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, g_str_has_prefix (scene, "multilink") ? "scene.pcapng" : "scene.pcap", NULL);
  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDERR_PIPE, &error, g_getenv ("HB_PYTHON"),
                           g_getenv ("HB_TCP_SCENES"), scene, path, NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (proc, NULL, NULL, NULL, &err, &error));
  g_assert_no_error (error);
  status = g_subprocess_get_exit_status (proc);
  if (status == 77)
    {
      g_autofree char *why = g_strdup_printf ("cannot record %s here: %s", scene, g_strstrip (err));

      g_test_skip (why);
      g_rmdir (dir);
      return;
    }
  if (status != 0)
    g_test_message ("%s", err);
  g_assert_cmpint (status, ==, 0);

  file = hb_capture_file_new ();
  g_assert_true (hb_capture_file_load (file, path, &error));
  g_assert_no_error (error);
  hb_test_tshark_compare (tshark, path, file, &result);
  g_test_message ("%s: %u frames, Info equal to tshark's on %u of %u (%.2f %%)", scene, result.n_frames,
                  result.n_equal, result.n_info, result.n_info ? 100.0 * result.n_equal / result.n_info : 100.0);
  g_assert_cmpuint (result.n_info, >, 0);
  /* At least 99.5 %; every difference was listed above. */
  g_assert_cmpuint (result.n_equal * 1000, >=, result.n_info * 995);

  /* What the lab looks at is there. */
  {
    GPtrArray *packets = hb_capture_file_get_packets (file);
    guint32 seen = 0;

    for (guint i = 0; i < packets->len; i++)
      seen |= ((HbPacket *) packets->pdata[i])->analysis;
    if (g_str_equal (scene, "zero-window"))
      g_assert_true (seen & HB_ANALYSIS_ZERO_WINDOW);
    else if (g_str_equal (scene, "keepalive"))
      g_assert_true ((seen & HB_ANALYSIS_KEEP_ALIVE) && (seen & HB_ANALYSIS_KEEP_ALIVE_ACK));
    else if (g_str_equal (scene, "reuse"))
      g_assert_true (seen & HB_ANALYSIS_REUSED_PORTS);
    else if (g_str_equal (scene, "impair"))
      g_assert_true ((seen & HB_ANALYSIS_ANY_RETRANSMISSION) && (seen & HB_ANALYSIS_DUP_ACK));
    else if (g_str_has_prefix (scene, "snaplen"))
      g_assert_true (seen & HB_ANALYSIS_TRUNCATED);
  }
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  static const char * const scenes[] = {
    "impair", "zero-window", "keepalive", "reuse", "multilink", "snaplen60", "snaplen68",
  };

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/tcp-analysis/lessons", test_lessons);
  g_test_add_func ("/core/tcp-analysis/names", test_names);
  g_test_add_func ("/core/tcp-analysis/cli", test_cli);
  g_test_add_func ("/core/tcp-analysis/phases", test_phases);
  g_test_add_func ("/core/tcp-analysis/multi-link", test_multi_link);
  g_test_add_func ("/core/tcp-analysis/pcapng-damage", test_pcapng_damage);
  g_test_add_func ("/core/tcp-analysis/pcapng-far-times", test_pcapng_far_times);
  g_test_add_func ("/core/tcp-analysis/snaplen", test_snaplen);
  for (guint i = 0; i < G_N_ELEMENTS (scenes); i++)
    {
      g_autofree char *name = g_strdup_printf ("/core/tcp-analysis/recorded/%s", scenes[i]);

      g_test_add_data_func (name, scenes[i], test_scene);
    }
  return g_test_run ();
}
