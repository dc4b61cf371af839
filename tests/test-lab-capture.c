/* test-lab-capture.c - captures of the lab's own protocol: its heartbeat and ack named, glued and split segments told
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The sessions are written by the project's capture writer from the
 * fixture in hb-test-pcap.c, with the lab's default patterns and with
 * others; when tshark is installed, the same files are checked against it.
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <pcap/dlt.h>

#include "heartbeat-lab.h"
#include "hb-boundary.h"
#include "hb-capture-file.h"
#include "hb-conversation.h"
#include "hb-test-pcap.h"

static HbCaptureFile *
load (GBytes     *bytes,
      const char *heartbeat,
      const char *ack)
{
  HbCaptureFile *file = hb_capture_file_new ();
  g_autoptr(GBytes) h = heartbeat ? g_bytes_new (heartbeat, strlen (heartbeat)) : NULL;
  g_autoptr(GBytes) a = ack ? g_bytes_new (ack, strlen (ack)) : NULL;
  g_autoptr(GError) error = NULL;

  hb_capture_file_set_lab_patterns (file, h, a);
  g_assert_true (hb_capture_file_load_bytes (file, bytes, &error));
  g_assert_no_error (error);
  return file;
}

/* Frame @frame (from 1) of the file's only conversation. */
static HbPacket *
frame (HbCaptureFile *file,
       guint          n)
{
  GPtrArray *conversations = hb_capture_file_get_conversations (file);

  g_assert_cmpuint (conversations->len, ==, 1);
  return hb_conversation_get_packet (conversations->pdata[0], n - 1);
}

static char *
note (HbCaptureFile *file,
      guint          n)
{
  HbConversation *conv = hb_capture_file_get_conversations (file)->pdata[0];

  return hb_conversation_describe_lab (conv, frame (file, n), HB_ENCODING_UTF8);
}

static void
assert_note (HbCaptureFile *file,
             guint          n,
             const char    *expected)
{
  g_autofree char *text = note (file, n);

  g_assert_cmpstr (text, ==, expected);
}

/* The phases and notes of hb_test_make_lab_session()'s frames, the
 * patterns being recognised; @ack the ack as shown. */
static void
check_session (HbCaptureFile *file,
               const char    *ack)
{
  static const HbTcpPhase phases[HB_TEST_LAB_SESSION_LEN] = {
    HB_TCP_PHASE_HANDSHAKE, HB_TCP_PHASE_HANDSHAKE, HB_TCP_PHASE_HANDSHAKE,
    HB_TCP_PHASE_HEARTBEAT, HB_TCP_PHASE_HEARTBEAT,   /* heartbeat, its ACK */
    HB_TCP_PHASE_HEARTBEAT, HB_TCP_PHASE_HEARTBEAT,   /* ack, its ACK */
    HB_TCP_PHASE_DATA, HB_TCP_PHASE_DATA,             /* "123" */
    HB_TCP_PHASE_HEARTBEAT,
    HB_TCP_PHASE_DATA, HB_TCP_PHASE_DATA,             /* ack + "123" */
    HB_TCP_PHASE_DATA,                                /* heartbeat + "456" */
    HB_TCP_PHASE_HEARTBEAT, HB_TCP_PHASE_HEARTBEAT,
    HB_TCP_PHASE_HEARTBEAT,
    HB_TCP_PHASE_DATA, HB_TCP_PHASE_DATA, HB_TCP_PHASE_DATA,   /* the ack in two */
    HB_TCP_PHASE_DATA, HB_TCP_PHASE_DATA, HB_TCP_PHASE_DATA, HB_TCP_PHASE_DATA,
    HB_TCP_PHASE_TEARDOWN, HB_TCP_PHASE_TEARDOWN, HB_TCP_PHASE_TEARDOWN,
  };
  g_autofree char *glued_ack = g_strdup_printf ("%s + message (2 in one segment)", ack);
  g_autofree char *rest = g_strdup_printf ("%s (split across segments)", ack);
  HbConversation *conv;

  g_assert_cmpuint (hb_capture_file_get_packets (file)->len, ==, HB_TEST_LAB_SESSION_LEN);
  conv = hb_capture_file_get_conversations (file)->pdata[0];
  g_assert_true (hb_conversation_get_is_lab (conv));
  for (guint i = 1; i <= HB_TEST_LAB_SESSION_LEN; i++)
    if (frame (file, i)->phase != phases[i - 1])
      g_error ("frame %u is in phase %s, not %s", i, hb_tcp_phase_to_string (frame (file, i)->phase),
               hb_tcp_phase_to_string (phases[i - 1]));

  /* Heartbeat and ack alone, and a message alone: nothing to say. */
  for (guint i = 4; i <= 9; i++)
    assert_note (file, i, NULL);
  g_assert_cmpint (frame (file, 4)->lab_pattern, ==, HB_LAB_PATTERN_HEARTBEAT);
  g_assert_cmpint (frame (file, 6)->lab_pattern, ==, HB_LAB_PATTERN_ACK);
  /* Glued: one segment, an ack and a message; a heartbeat and a broadcast. */
  assert_note (file, 11, glued_ack);
  g_assert_cmpint (frame (file, 11)->lab_pattern, ==, HB_LAB_PATTERN_ACK);
  g_assert_cmpint (frame (file, 13)->lab_pattern, ==, HB_LAB_PATTERN_HEARTBEAT);
  /* Split: its start is told once the rest came. */
  assert_note (file, 17, "5 bytes (start of an ack)");
  assert_note (file, 18, rest);
  /* "each" ends in an "h" that began nothing. */
  assert_note (file, 20, NULL);
  assert_note (file, 22, NULL);
}

/* The lab's own session, with no patterns given: its heartbeat and ack
 * are Heartbeat, an ack glued to a message is Data with a note. */
static void
test_defaults (void)
{
  g_autoptr(GBytes) bytes = hb_test_make_lab_session ("heartbeat", "heartbeat ack");
  g_autoptr(HbCaptureFile) file = load (bytes, NULL, NULL);

  check_session (file, "heartbeat ack");
  assert_note (file, 13, "heartbeat + message (2 in one segment)");
}

/* Other patterns (a class that chose its own): recognised when given,
 * Data when not. */
static void
test_custom_patterns (void)
{
  g_autoptr(GBytes) bytes = hb_test_make_lab_session ("心跳", "心跳回应");
  g_autoptr(HbCaptureFile) file = load (bytes, "心跳", "心跳回应");
  g_autoptr(HbCaptureFile) unknown = load (bytes, NULL, NULL);

  check_session (file, "心跳回应");
  assert_note (file, 13, "心跳 + message (2 in one segment)");

  for (guint i = 4; i <= HB_TEST_LAB_SESSION_LEN - 3; i++)
    {
      g_autofree char *text = note (unknown, i);

      g_assert_cmpint (frame (unknown, i)->phase, ==, HB_TCP_PHASE_DATA);
      g_assert_null (text);
    }
  g_assert_false (hb_conversation_get_is_lab (hb_capture_file_get_conversations (unknown)->pdata[0]));
}

/* The line protocol's session: PING/PONG are heartbeats as before, and a
 * message that holds the lab's words is no glued heartbeat. */
static void
test_line_protocol (void)
{
  HbTestNet net = hb_test_net_default (4);
  g_autoptr(GBytes) bytes = hb_test_make_conversation (DLT_NULL, HB_TEST_VARIANT_PLAIN, &net, 1000, 5000);
  g_autoptr(HbCaptureFile) file = load (bytes, NULL, NULL);
  GPtrArray *packets = hb_capture_file_get_packets (file);

  for (guint i = 0; i < packets->len; i++)
    {
      HbPacket *p = packets->pdata[i];

      g_assert_cmpint (p->phase, ==, hb_test_conversation[i].phase);
      g_assert_cmpuint (p->lab_chunk, ==, 0);
    }
  g_assert_false (hb_conversation_get_is_lab (hb_capture_file_get_conversations (file)->pdata[0]));

  {
    HbTestCapture cap;
    g_autoptr(GBytes) chat = NULL;
    g_autoptr(HbCaptureFile) loaded = NULL;

    hb_test_capture_init (&cap, DLT_NULL, HB_TEST_VARIANT_PLAIN);
    hb_test_capture_add (&cap, &net, FALSE, HB_TCP_PSH | HB_TCP_ACK, 1, 1, 512, NULL, 0, "WELCOME 1 10000 30000\n");
    hb_test_capture_add (&cap, &net, TRUE, HB_TCP_PSH | HB_TCP_ACK, 1, 23, 512, NULL, 0, "MSG heartbeat ack123\n");
    chat = hb_test_capture_finish (&cap);
    loaded = load (chat, NULL, NULL);
    g_assert_cmpuint (((HbPacket *) hb_capture_file_get_packets (loaded)->pdata[1])->lab_chunk, ==, 0);
  }
}

/* What the timeline, the ladder and analyze call a read or a segment. */
static void
test_describe (void)
{
  static const struct
  {
    HbChunkInfo    info;
    guint32        bytes;
    HbLabPattern   pattern;
    HbBoundaryUnit unit;
    const char    *text;
  } cases[] = {
    { { 1, 0, 0, 0, 0 }, 13, HB_LAB_PATTERN_ACK, HB_BOUNDARY_READ, "heartbeat ack" },
    { { 2, 0, 1, 0, 0 }, 26, HB_LAB_PATTERN_ACK, HB_BOUNDARY_READ, "2 × heartbeat ack (2 in one read)" },
    { { 1, 1, 1, 0, 0 }, 16, HB_LAB_PATTERN_ACK, HB_BOUNDARY_READ, "heartbeat ack + message (2 in one read)" },
    { { 0, 1, 0, 0, 0 }, 3, HB_LAB_PATTERN_ACK, HB_BOUNDARY_READ, "message, 3 bytes" },
    { { 0, 2, 1, 0, 0 }, 8, HB_LAB_PATTERN_ACK, HB_BOUNDARY_READ, "2 messages, 8 bytes (2 in one read)" },
    { { 0, 0, 0, 1, 1 }, 5, HB_LAB_PATTERN_ACK, HB_BOUNDARY_READ, "5 bytes (start of an ack?)" },
    { { 0, 0, 0, 1, 1 }, 5, HB_LAB_PATTERN_HEARTBEAT, HB_BOUNDARY_READ, "5 bytes (start of a heartbeat?)" },
    { { 0, 0, 0, 1, 1 }, 5, HB_LAB_PATTERN_ACK, HB_BOUNDARY_SEGMENT, "5 bytes (start of an ack)" },
    { { 1, 0, 0, 1, 0 }, 8, HB_LAB_PATTERN_ACK, HB_BOUNDARY_READ, "heartbeat ack (split across reads)" },
    { { 1, 1, 1, 1, 0 }, 11, HB_LAB_PATTERN_ACK, HB_BOUNDARY_SEGMENT,
      "heartbeat ack + message (2 in one segment; split across segments)" },
    { { 0, 1, 0, 1, 0 }, 2, HB_LAB_PATTERN_ACK, HB_BOUNDARY_READ, "message, 2 bytes (split across reads)" },
    { { 0, 0, 0, 0, 0 }, 7, HB_LAB_PATTERN_NONE, HB_BOUNDARY_READ, "7 bytes" },
    { { 0, 0, 0, 0, 0 }, 1, HB_LAB_PATTERN_NONE, HB_BOUNDARY_READ, "1 byte" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = hb_chunk_info_describe (&cases[i].info, cases[i].bytes, "heartbeat ack",
                                                      cases[i].pattern, cases[i].unit);

      g_assert_cmpstr (text, ==, cases[i].text);
      g_assert_cmpint (hb_chunk_info_crosses_boundary (&cases[i].info), ==,
                       cases[i].info.glued || cases[i].info.split || cases[i].info.held);
    }
}

/* The same files, as tshark reads them: our Info column is Wireshark's,
 * whatever the lab's patterns make of the phases. */
static void
test_tshark (void)
{
  g_autofree char *tshark = g_find_program_in_path ("tshark");
  g_autofree char *dir = NULL;
  const char *patterns[][2] = { { "heartbeat", "heartbeat ack" }, { "心跳", "心跳回应" } };

  if (tshark == NULL)
    {
      g_test_skip ("tshark is not installed: nothing to cross-check against");
      return;
    }
  dir = g_dir_make_tmp ("hb-lab-capture-XXXXXX", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (patterns); i++)
    {
      g_autoptr(GBytes) bytes = hb_test_make_lab_session (patterns[i][0], patterns[i][1]);
      g_autoptr(HbCaptureFile) file = load (bytes, patterns[i][0], patterns[i][1]);
      g_autofree char *path = g_build_filename (dir, "lab.pcap", NULL);

      g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes),
                                          NULL));
      g_assert_cmpuint (hb_test_compare_with_tshark (tshark, path, file), ==, HB_TEST_LAB_SESSION_LEN);
      g_unlink (path);
    }
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/lab-capture/defaults", test_defaults);
  g_test_add_func ("/core/lab-capture/custom-patterns", test_custom_patterns);
  g_test_add_func ("/core/lab-capture/line-protocol", test_line_protocol);
  g_test_add_func ("/core/lab-capture/describe", test_describe);
  g_test_add_func ("/core/lab-capture/tshark", test_tshark);

  return g_test_run ();
}
