/* hb-test-session.h - a stand-in for the capture tool behind an HbCaptureSession, for tests without privilege
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "hb-capture-session.h"

G_BEGIN_DECLS

/* A directory for the stand-in, with one conversation for it to stream
 * (tests/hb-test-pcap.h: 127.0.0.1, 4324 → 12001, Ethernet); setup and
 * teardown for g_test_add(). */
typedef struct
{
  char *cli;       /* $HB_CLI before the test */
  char *dir;
  char *tool;      /* where the stand-in is written */
  char *stream;    /* the conversation, as the tool writes it */
  char *saved;     /* where a test may write the session */
} HbTestSessionFixture;

void              hb_test_session_fixture_setup    (HbTestSessionFixture *f,
                                                    gconstpointer         data);
void              hb_test_session_fixture_teardown (HbTestSessionFixture *f,
                                                    gconstpointer         data);

/* Writes @script to @tool, makes it the capture tool ($HB_CLI; the
 * caller restores it), and returns the session of @port, held and
 * started. */
HbCaptureSession *hb_test_session_start        (const char       *tool,
                                                guint             port,
                                                const char       *script);
/* The same, the tool writing @stream (a pcap file) and then waiting to
 * be stopped, as the real tool does. */
HbCaptureSession *hb_test_session_start_stream (const char       *tool,
                                                guint             port,
                                                const char       *stream);
/* Lets go of @session (the hold and the reference) and waits until
 * nothing holds it: its reads and its wait end with the tool. */
void              hb_test_session_stop         (HbCaptureSession *session);

G_END_DECLS
