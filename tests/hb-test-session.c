/* hb-test-session.c - a stand-in for the capture tool behind an HbCaptureSession, for tests without privilege
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <pcap/dlt.h>

#include <glib/gstdio.h>

#include "hb-test-pcap.h"
#include "hb-test-session.h"
#include "hb-test-util.h"

void
hb_test_session_fixture_setup (HbTestSessionFixture *f,
                               gconstpointer         data)
{
  HbTestNet net = hb_test_net_default (4);
  g_autoptr(GBytes) bytes = hb_test_make_conversation (DLT_EN10MB, HB_TEST_VARIANT_PLAIN, &net, 1000, 5000);

  f->cli = g_strdup (g_getenv ("HB_CLI"));
  f->dir = g_dir_make_tmp ("hb-session-XXXXXX", NULL);
  f->tool = g_build_filename (f->dir, "fake-cli", NULL);
  f->stream = g_build_filename (f->dir, "one.pcap", NULL);
  f->saved = g_build_filename (f->dir, "saved.pcap", NULL);
  g_assert_true (g_file_set_contents (f->stream, g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes),
                                      NULL));
}

void
hb_test_session_fixture_teardown (HbTestSessionFixture *f,
                                  gconstpointer         data)
{
  g_setenv ("HB_CLI", f->cli, TRUE);
  g_unlink (f->saved);
  g_unlink (f->stream);
  g_unlink (f->tool);
  g_assert_cmpint (g_rmdir (f->dir), ==, 0);
  g_free (f->saved);
  g_free (f->stream);
  g_free (f->tool);
  g_free (f->dir);
  g_free (f->cli);
}

HbCaptureSession *
hb_test_session_start (const char *tool,
                       guint       port,
                       const char *script)
{
  HbCaptureSession *session;

  g_assert_true (g_file_set_contents (tool, script, -1, NULL));
  g_assert_cmpint (g_chmod (tool, 0755), ==, 0);
  g_setenv ("HB_CLI", tool, TRUE);
  session = hb_capture_session_get_for_port (port);
  hb_capture_session_hold (session);
  hb_capture_session_start (session, "lo");
  return session;
}

HbCaptureSession *
hb_test_session_start_stream (const char *tool,
                              guint       port,
                              const char *stream)
{
  g_autofree char *script = g_strdup_printf ("#!/bin/sh\ncat '%s'\nexec sleep 60\n", stream);

  return hb_test_session_start (tool, port, script);
}

void
hb_test_session_stop (HbCaptureSession *session)
{
  gpointer weak = session;

  g_object_add_weak_pointer (G_OBJECT (session), &weak);
  hb_capture_session_release (session);
  g_object_unref (session);
  hb_assert_eventually (weak == NULL);
}
