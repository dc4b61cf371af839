/* test-capture-session.c - HbCaptureSession with a stand-in for the capture tool, no display needed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The stand-in is a shell script named by $HB_CLI: it writes a pcap
 * stream (or refuses, or crashes) as heartbeat-lab-cli capture would, and
 * needs no privilege, so these run everywhere.
 */

#include "config.h"

#include <pcap/dlt.h>

#include "heartbeat-lab.h"
#include "hb-capture-session.h"
#include "hb-test-pcap.h"
#include "hb-test-session.h"
#include "hb-test-util.h"

/* The stand-in's directory, a conversation for it to stream, and where
 * a test may write the session (hb-test-session.h). */
typedef HbTestSessionFixture Fixture;

static gboolean
has_all_packets (HbCaptureSession *session)
{
  HbConversation *conversation = hb_capture_session_find (session, "127.0.0.1", 4324, "127.0.0.1", 12001);

  return conversation != NULL && hb_conversation_get_n_packets (conversation) == HB_TEST_CONVERSATION_LEN;
}

static void
count_packet (HbCaptureSession *session,
              HbPacket         *packet,
              HbConversation   *conversation,
              guint            *count)
{
  g_assert_nonnull (packet);
  g_assert_true (HB_IS_CONVERSATION (conversation));
  (*count)++;
}

static void
test_session_stream (Fixture       *f,
                     gconstpointer  data)
{
  HbCaptureSession *session = hb_test_session_start_stream (f->tool, 40001, f->stream);
  g_autoptr(HbConversation) first = NULL;
  HbConversation *second;

  hb_assert_eventually (hb_capture_session_get_state (session) == HB_CAPTURE_SESSION_RUNNING &&
                        has_all_packets (session));
  g_assert_cmpint (hb_capture_session_get_linktype (session), ==, DLT_EN10MB);
  /* Found from either end. */
  first = g_object_ref (hb_capture_session_find (session, "127.0.0.1", 12001, "127.0.0.1", 4324));
  g_assert_true (hb_capture_session_find (session, "::ffff:127.0.0.1", 4324, "127.0.0.1", 12001) == first);
  g_assert_null (hb_capture_session_find (session, "127.0.0.1", 4325, "127.0.0.1", 12001));

  /* Stopped, it is stopped, not failed. */
  hb_capture_session_stop (session);
  hb_assert_eventually (hb_capture_session_get_state (session) == HB_CAPTURE_SESSION_STOPPED);
  g_assert_null (hb_capture_session_get_message (session));

  /* Started again: a new record of the same connection. */
  hb_capture_session_start (session, "lo");
  hb_assert_eventually (hb_capture_session_get_state (session) == HB_CAPTURE_SESSION_RUNNING &&
                        has_all_packets (session));
  second = hb_capture_session_find (session, "127.0.0.1", 4324, "127.0.0.1", 12001);
  g_assert_true (second != first);
  g_assert_cmpuint (hb_capture_session_get_conversations (session)->len, ==, 1);

  hb_test_session_stop (session);
}

/* Refused, crashed, or sending something else: each ends FAILED, in
 * words a user can act on, and never as a hang. */
static void
test_session_failures (Fixture       *f,
                       gconstpointer  data)
{
  static const struct
  {
    const char *script;
    const char *message;
  } cases[] = {
    /* The tool refuses (exit 1) and says why on its last line. */
    { "#!/bin/sh\necho 'capturing tcp port 1 on lo' >&2\n"
      "echo 'heartbeat-lab-cli: Capturing packets on lo needs a privilege. To grant it once: sudo setcap x' >&2\nexit 1\n",
      "Capturing packets on lo needs a privilege. To grant it once: sudo setcap x" },
    /* A crash: its banner is not the reason. */
    { "#!/bin/sh\necho 'capturing tcp port 1 on lo into standard output; Ctrl+C stops' >&2\nkill -SEGV $$\n",
      "The capture tool stopped unexpectedly (exit status 139)." },
    /* Not a pcap stream at all. */
    { "#!/bin/sh\necho 'this is not a capture, it is a line of text'\nexec sleep 60\n",
      "The capture tool sent something that is not a capture: The capture stream is not classic pcap" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      HbCaptureSession *session = hb_test_session_start (f->tool, 40002 + i, cases[i].script);

      hb_assert_eventually (hb_capture_session_get_state (session) == HB_CAPTURE_SESSION_FAILED);
      g_assert_cmpstr (hb_capture_session_get_message (session), ==, cases[i].message);
      g_assert_false (hb_capture_session_is_active (session));
      hb_test_session_stop (session);
    }
}

/* One session per port, shared by whoever asks for it while it lives. */
static void
test_session_one_per_port (void)
{
  HbCaptureSession *a = hb_capture_session_get_for_port (40010);
  HbCaptureSession *again = hb_capture_session_get_for_port (40010);
  HbCaptureSession *other = hb_capture_session_get_for_port (40011);
  gpointer weak = a;

  g_assert_true (a == again);
  g_assert_true (a != other);
  g_assert_cmpuint (hb_capture_session_get_port (a), ==, 40010);
  g_assert_cmpint (hb_capture_session_get_state (a), ==, HB_CAPTURE_SESSION_IDLE);
  g_assert_false (hb_capture_session_is_active (a));
  g_assert_null (hb_capture_session_get_message (a));
  g_assert_cmpint (hb_capture_session_get_linktype (a), ==, -1);
  g_assert_cmpuint (hb_capture_session_get_conversations (a)->len, ==, 0);

  /* Gone with its last reference; the next one asked for is new. */
  g_object_add_weak_pointer (G_OBJECT (a), &weak);
  g_object_unref (again);
  g_object_unref (a);
  g_assert_null (weak);
  a = hb_capture_session_get_for_port (40010);
  g_assert_cmpint (hb_capture_session_get_state (a), ==, HB_CAPTURE_SESSION_IDLE);
  g_object_unref (a);
  g_object_unref (other);
}

/* Each analysed segment is announced with its conversation, and the
 * whole session can be written as pcap and read back. */
static void
test_session_packets_and_write (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(HbCaptureFile) file = hb_capture_file_new ();
  g_autoptr(GError) error = NULL;
  HbCaptureSession *session = hb_capture_session_get_for_port (40020);
  guint packets = 0;

  /* Nothing captured yet: nothing to write, and the words say what to do. */
  g_assert_false (hb_capture_session_write (session, f->saved, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "press Capture"));
  g_clear_error (&error);
  g_assert_false (g_file_test (f->saved, G_FILE_TEST_EXISTS));
  g_object_unref (session);

  session = hb_test_session_start_stream (f->tool, 40020, f->stream);
  g_signal_connect (session, "packet", G_CALLBACK (count_packet), &packets);
  hb_assert_eventually (hb_capture_session_get_state (session) == HB_CAPTURE_SESSION_RUNNING &&
                        has_all_packets (session));
  g_assert_cmpuint (packets, ==, HB_TEST_CONVERSATION_LEN);

  g_assert_true (hb_capture_session_write (session, f->saved, &error));
  g_assert_no_error (error);
  g_assert_true (hb_capture_file_load (file, f->saved, &error));
  g_assert_no_error (error);
  g_assert_cmpint (hb_capture_file_get_linktype (file), ==, DLT_EN10MB);
  g_assert_cmpuint (hb_capture_file_get_n_frames (file), ==, HB_TEST_CONVERSATION_LEN);
  g_assert_cmpuint (hb_capture_file_get_conversations (file)->len, ==, 1);

  hb_test_session_stop (session);
}

/* The capture runs while any window holds it: the last to let go stops
 * it, and a stop is a stop, not a failure. */
static void
test_session_holders (Fixture       *f,
                      gconstpointer  data)
{
  HbCaptureSession *session = hb_test_session_start_stream (f->tool, 40030, f->stream);

  hb_capture_session_hold (session);
  hb_assert_eventually (hb_capture_session_get_state (session) == HB_CAPTURE_SESSION_RUNNING &&
                        has_all_packets (session));
  hb_capture_session_release (session);
  g_assert_true (hb_capture_session_is_active (session));
  /* A second start while it runs changes nothing. */
  hb_capture_session_start (session, "lo");
  g_assert_cmpint (hb_capture_session_get_state (session), ==, HB_CAPTURE_SESSION_RUNNING);
  g_assert_true (has_all_packets (session));

  hb_capture_session_release (session);
  hb_assert_eventually (hb_capture_session_get_state (session) == HB_CAPTURE_SESSION_STOPPED);
  g_assert_null (hb_capture_session_get_message (session));
  /* What was captured stays for the windows that show it. */
  g_assert_true (has_all_packets (session));

  hb_capture_session_hold (session);
  hb_test_session_stop (session);
}

/* A tool that cannot be run: FAILED at once, naming it. */
static void
test_session_no_tool (Fixture       *f,
                      gconstpointer  data)
{
  HbCaptureSession *session = hb_capture_session_get_for_port (40040);

  /* The fixture's tool is never written. */
  g_setenv ("HB_CLI", f->tool, TRUE);
  hb_capture_session_hold (session);
  hb_capture_session_start (session, NULL);
  g_assert_cmpint (hb_capture_session_get_state (session), ==, HB_CAPTURE_SESSION_FAILED);
  g_assert_true (g_str_has_prefix (hb_capture_session_get_message (session), "Could not run "));
  g_assert_nonnull (strstr (hb_capture_session_get_message (session), f->tool));
  g_assert_false (hb_capture_session_is_active (session));

  hb_capture_session_release (session);
  g_object_unref (session);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, hb_test_session_fixture_setup, func, hb_test_session_fixture_teardown)
  g_test_add_func ("/core/capture-session/one-per-port", test_session_one_per_port);
  ADD ("/core/capture-session/stream", test_session_stream);
  ADD ("/core/capture-session/failures", test_session_failures);
  ADD ("/core/capture-session/packets-and-write", test_session_packets_and_write);
  ADD ("/core/capture-session/holders", test_session_holders);
  ADD ("/core/capture-session/no-tool", test_session_no_tool);
#undef ADD

  return g_test_run ();
}
