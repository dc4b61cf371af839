/* test-segment-model.c - HbSegmentModel from each of its sources, no display needed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The rows a timeline window shows: a connection's own record as it
 * grows, a live capture (through a stand-in for the capture tool), a
 * capture file filled a slice at a time. Every test keeps a mirror of
 * the model built only from its ::items-changed, as a list view does,
 * and checks it against the model: a change said wrongly shows there.
 */

#include "config.h"

#include <pcap/dlt.h>

#include "heartbeat-lab.h"
#include "hb-segment-model.h"
#include "hb-test-pcap.h"
#include "hb-test-session.h"
#include "hb-test-util.h"

/* ---------------------------------------------------------------------- */
/* The mirror                                                              */

typedef struct
{
  GPtrArray *rows;        /* HbSegment, as the changes said */
  guint      changes;
  guint      position;    /* of the last change */
  guint      removed;
  guint      added;
  GString   *log;         /* every change: "position-removed+added " */
  guint      conversations;  /* notify::conversation */
} Mirror;

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Mirror     *m)
{
  g_assert_cmpuint (position + removed, <=, m->rows->len);
  g_ptr_array_remove_range (m->rows, position, removed);
  for (guint i = 0; i < added; i++)
    g_ptr_array_insert (m->rows, position + i, g_list_model_get_item (model, position + i));
  g_assert_cmpuint (m->rows->len, ==, g_list_model_get_n_items (model));
  g_string_append_printf (m->log, "%u-%u+%u ", position, removed, added);
  m->changes++;
  m->position = position;
  m->removed = removed;
  m->added = added;
}

static void
on_conversation (HbSegmentModel *model,
                 GParamSpec     *pspec,
                 Mirror         *m)
{
  m->conversations++;
}

static HbSegmentModel *
new_model (Mirror *m)
{
  HbSegmentModel *model = hb_segment_model_new ();

  m->rows = g_ptr_array_new_with_free_func (g_object_unref);
  m->log = g_string_new (NULL);
  g_signal_connect (model, "items-changed", G_CALLBACK (on_items_changed), m);
  g_signal_connect (model, "notify::conversation", G_CALLBACK (on_conversation), m);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (model)) == HB_TYPE_SEGMENT);
  return model;
}

/* The mirror holds the very rows the model holds, in its order. */
static void
assert_mirror (Mirror         *m,
               HbSegmentModel *model)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (model));

  g_assert_cmpuint (m->rows->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(HbSegment) seg = g_list_model_get_item (G_LIST_MODEL (model), i);

      g_assert_true (seg == m->rows->pdata[i]);
    }
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (model), n));
}

static void
free_model (Mirror         *m,
            HbSegmentModel *model)
{
  assert_mirror (m, model);
  g_assert_finalize_object (model);
  g_ptr_array_unref (m->rows);
  g_string_free (m->log, TRUE);
}

static const char *
label_of (HbSegmentModel *model,
          guint           row)
{
  g_autoptr(HbSegment) seg = g_list_model_get_item (G_LIST_MODEL (model), row);

  /* The model holds its own reference: the label outlives this one. */
  return hb_segment_get_label (seg);
}

static HbSegment *
row_of (HbSegmentModel *model,
        guint           row)
{
  return g_list_model_get_item (G_LIST_MODEL (model), row);
}

/* Every test: a model and its mirror, a record, and a stand-in for the
 * capture tool with a conversation to stream. */
typedef struct
{
  HbTestSessionFixture session;
  HbTimeline          *timeline;
  Mirror               m;
  HbSegmentModel      *model;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  hb_test_session_fixture_setup (&f->session, data);
  f->timeline = hb_timeline_new (HB_TIMELINE_DEFAULT_CAPACITY);
  f->model = new_model (&f->m);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  free_model (&f->m, f->model);
  g_object_unref (f->timeline);
  hb_test_session_fixture_teardown (&f->session, data);
}

/* ---------------------------------------------------------------------- */
/* A connection's own record                                               */

static void
append (HbTimeline *timeline,
        HbEventKind kind,
        HbVerb      verb,
        guint32     arg)
{
  hb_timeline_append (timeline, kind, verb, kind == HB_EVENT_LINE_OUT || kind == HB_EVENT_LINE_IN ? 7 : 0, arg,
                      HB_INITIATOR_LOCAL);
}

/* The record grows; the rows follow it, in the order things happened on
 * the wire: a line read late but stamped on arrival goes before what
 * this program did after it arrived. */
static void
test_record_follows (Fixture       *f,
                     gconstpointer  data)
{
  HbTimeline *timeline = f->timeline;
  HbSegmentModel *model = f->model;
  Mirror *m = &f->m;
  gint64 connected;
  g_autoptr(HbSegment) read = NULL;

  g_assert_cmpint (hb_segment_model_get_source (model), ==, HB_SEGMENT_SOURCE_NONE);
  hb_segment_model_follow_record (model, timeline, TRUE, "bob", "server");
  g_assert_cmpint (hb_segment_model_get_source (model), ==, HB_SEGMENT_SOURCE_RECORD);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 0);
  g_assert_cmpint (hb_segment_model_get_origin (model), ==, 0);

  /* The handshake happened in the kernel: drawn as the textbook does. */
  append (timeline, HB_EVENT_CONNECT, HB_VERB_UNKNOWN, 0);
  connected = hb_timeline_get_event (timeline, 0)->mono_us;
  g_assert_cmpint (hb_segment_model_get_origin (model), ==, connected);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 3);
  g_assert_cmpstr (label_of (model, 0), ==, "SYN");
  g_assert_cmpstr (label_of (model, 1), ==, "SYN, ACK");
  g_assert_cmpstr (label_of (model, 2), ==, "ACK");
  assert_mirror (m, model);

  /* A PING written after the connect ... */
  while (g_get_monotonic_time () <= connected)
    ;
  append (timeline, HB_EVENT_LINE_OUT, HB_VERB_PING, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 4);
  g_assert_cmpstr (label_of (model, 3), ==, "PING 1");
  g_assert_cmpuint (m->position, ==, 3);
  /* ... and a PONG read after it, which had arrived at the connect: it
   * goes before the PING. */
  hb_timeline_append_read (timeline, HB_EVENT_LINE_IN, HB_VERB_PONG, 7, 1, connected);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 5);
  g_assert_cmpuint (m->position, ==, 3);
  g_assert_cmpuint (m->added, ==, 1);
  g_assert_cmpstr (label_of (model, 3), ==, "PONG 1");
  g_assert_cmpstr (label_of (model, 4), ==, "PING 1");
  read = row_of (model, 3);
  g_assert_false (hb_segment_get_from_client (read));
  g_assert_cmpint (hb_segment_get_read_late (read), >=, 0);
  g_assert_cmpstr (hb_segment_get_source (read), ==, "server");
  g_assert_cmpstr (hb_segment_get_destination (read), ==, "bob");

  /* The record's rows are no capture. */
  g_assert_null (hb_segment_model_get_conversation (model));
  g_assert_cmpint (hb_segment_model_get_linktype (model), ==, -1);
  g_assert_cmpuint (m->conversations, ==, 0);
}

/* The connection ends: its teardown, then nothing more. When the client
 * connects again, that is another connection: a note, and following
 * stops. */
static void
test_record_ends (Fixture       *f,
                  gconstpointer  data)
{
  HbTimeline *timeline = f->timeline;
  HbSegmentModel *model = f->model;
  Mirror *m = &f->m;
  g_autoptr(HbSegment) note = NULL;
  guint n;

  append (timeline, HB_EVENT_CONNECT, HB_VERB_UNKNOWN, 0);
  hb_segment_model_follow_record (model, timeline, TRUE, NULL, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 3);
  g_assert_cmpuint (m->changes, ==, 1);

  append (timeline, HB_EVENT_FIN_OUT, HB_VERB_UNKNOWN, 0);
  append (timeline, HB_EVENT_FIN_IN, HB_VERB_UNKNOWN, 0);
  append (timeline, HB_EVENT_CLOSE, HB_VERB_UNKNOWN, HB_BYE_GOODBYE);
  /* Both FINs, and the final ACK of the first side's kernel. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 6);
  g_assert_cmpstr (label_of (model, 3), ==, "FIN, ACK");
  g_assert_cmpstr (label_of (model, 4), ==, "FIN, ACK");
  g_assert_cmpstr (label_of (model, 5), ==, "ACK");
  {
    g_autoptr(HbSegment) first = row_of (model, 3);
    g_autoptr(HbSegment) ack = row_of (model, 5);

    g_assert_true (hb_segment_get_from_client (first));
    g_assert_true (hb_segment_get_from_client (ack));
    g_assert_true (hb_segment_get_inferred (ack));
    g_assert_cmpint (hb_segment_get_phase (ack), ==, HB_TCP_PHASE_TEARDOWN);
  }

  append (timeline, HB_EVENT_CONNECT, HB_VERB_UNKNOWN, 0);
  n = g_list_model_get_n_items (G_LIST_MODEL (model));
  g_assert_cmpuint (n, ==, 7);
  note = row_of (model, 6);
  g_assert_true (hb_segment_is_note (note));
  g_assert_cmpstr (hb_segment_get_label (note), ==, "connected again");
  append (timeline, HB_EVENT_LINE_OUT, HB_VERB_PING, 1);
  append (timeline, HB_EVENT_CLOSE, HB_VERB_UNKNOWN, HB_BYE_RESET);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, n);
}

/* A record holding several connections shows the newest; a reset ends
 * it with an alarm. */
static void
test_record_newest_and_reset (Fixture       *f,
                              gconstpointer  data)
{
  HbTimeline *timeline = f->timeline;
  HbSegmentModel *model = f->model;
  g_autoptr(HbSegment) rst = NULL;

  append (timeline, HB_EVENT_CONNECT, HB_VERB_UNKNOWN, 0);
  append (timeline, HB_EVENT_LINE_OUT, HB_VERB_PING, 1);
  append (timeline, HB_EVENT_LINE_OUT, HB_VERB_PING, 2);
  append (timeline, HB_EVENT_CLOSE, HB_VERB_UNKNOWN, HB_BYE_GOODBYE);
  append (timeline, HB_EVENT_CONNECT, HB_VERB_UNKNOWN, 0);
  append (timeline, HB_EVENT_LINE_OUT, HB_VERB_PING, 1);

  hb_segment_model_follow_record (model, timeline, FALSE, "bob", "server");
  g_assert_cmpint (hb_segment_model_get_origin (model), ==, hb_timeline_get_event (timeline, 4)->mono_us);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 4);
  g_assert_cmpstr (label_of (model, 3), ==, "PING 1");

  /* The server's record: its PING goes to the client; its reset too. */
  append (timeline, HB_EVENT_CLOSE, HB_VERB_UNKNOWN, HB_BYE_RESET);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 5);
  rst = row_of (model, 4);
  g_assert_cmpstr (hb_segment_get_label (rst), ==, "RST");
  g_assert_false (hb_segment_get_from_client (rst));
  g_assert_true (hb_segment_get_alarm (rst));
}

/* Stopped, the rows stay and no more come; notes appended count apart,
 * and a live list keeps at most HB_SEGMENTS_MAX rows. */
static void
test_stop_and_bounded (Fixture       *f,
                       gconstpointer  data)
{
  HbTimeline *timeline = f->timeline;
  HbSegmentModel *model = f->model;
  g_autoptr(HbSegment) newest = NULL;
  guint notes = 0;

  append (timeline, HB_EVENT_CONNECT, HB_VERB_UNKNOWN, 0);
  hb_segment_model_follow_record (model, timeline, TRUE, NULL, NULL);
  hb_segment_model_stop (model);
  append (timeline, HB_EVENT_LINE_OUT, HB_VERB_PING, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 3);

  for (guint i = 3; i < HB_SEGMENTS_MAX + 5; i++)
    {
      g_autoptr(HbSegment) seg = i % 10 == 0 ? hb_segment_new_note (i, TRUE, HB_TCP_PHASE_DATA, "ESTABLISHED", "")
                                             : hb_segment_new (i, TRUE, HB_TCP_PHASE_HEARTBEAT, "PING");

      hb_segment_model_append (model, seg);
    }
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), <=, HB_SEGMENTS_MAX);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), >=, HB_SEGMENTS_MAX * 8 / 10);
  newest = row_of (model, g_list_model_get_n_items (G_LIST_MODEL (model)) - 1);
  g_assert_cmpint (hb_segment_get_time (newest), ==, HB_SEGMENTS_MAX + 4);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (model)); i++)
    {
      g_autoptr(HbSegment) seg = row_of (model, i);

      notes += hb_segment_is_note (seg);
    }
  g_assert_cmpuint (notes, >, 0);
  g_assert_cmpuint (hb_segment_model_get_n_notes (model), ==, notes);
}

/* ---------------------------------------------------------------------- */
/* A live capture                                                          */

static HbConversation *
captured (HbCaptureSession *session)
{
  return hb_capture_session_find (session, "127.0.0.1", HB_TEST_CLIENT_PORT, "127.0.0.1", HB_TEST_SERVER_PORT);
}

static void
follow_capture (HbSegmentModel   *model,
                HbCaptureSession *session)
{
  hb_segment_model_follow_capture (model, session, "127.0.0.1", HB_TEST_CLIENT_PORT, "127.0.0.1",
                                   HB_TEST_SERVER_PORT);
}

/* The record stays until the capture has the connection's packets;
 * then they replace it, and come as they are captured. */
static void
test_capture (Fixture       *f,
              gconstpointer  data)
{
  HbTimeline *timeline = f->timeline;
  HbSegmentModel *model = f->model;
  Mirror *m = &f->m;
  Mirror m2 = { 0 };
  HbSegmentModel *second = new_model (&m2);
  HbCaptureSession *session;
  HbConversation *first;
  gsize logged;

  append (timeline, HB_EVENT_CONNECT, HB_VERB_UNKNOWN, 0);
  hb_segment_model_follow_record (model, timeline, TRUE, NULL, NULL);
  session = hb_test_session_start_stream (f->session.tool, 40050, f->session.stream);
  follow_capture (model, session);
  /* Nothing captured yet: the record's rows, still followed. */
  g_assert_cmpint (hb_segment_model_get_source (model), ==, HB_SEGMENT_SOURCE_RECORD);
  append (timeline, HB_EVENT_LINE_OUT, HB_VERB_PING, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 4);
  logged = m->log->len;

  hb_assert_eventually (g_list_model_get_n_items (G_LIST_MODEL (model)) == HB_TEST_CONVERSATION_LEN &&
                        hb_segment_model_get_conversation (model) != NULL);
  first = hb_segment_model_get_conversation (model);
  g_assert_true (first == captured (session));
  g_assert_cmpint (hb_segment_model_get_source (model), ==, HB_SEGMENT_SOURCE_CAPTURE);
  g_assert_cmpint (hb_segment_model_get_linktype (model), ==, DLT_EN10MB);
  g_assert_cmpuint (m->conversations, ==, 1);
  /* The first packets replaced the record's four rows. */
  g_assert_true (g_str_has_prefix (m->log->str + logged, "0-4+"));
  assert_mirror (m, model);
  {
    g_autoptr(HbSegment) syn = row_of (model, 0);

    g_assert_nonnull (hb_segment_get_packet (syn));
    g_assert_cmpstr (hb_segment_get_label (syn), ==, "SYN");
    g_assert_cmpint (hb_segment_get_time (syn), ==, 0);
    g_assert_cmpint (hb_segment_model_get_origin (model), ==, hb_segment_get_packet (syn)->time_us);
  }
  /* The record is no longer followed. */
  append (timeline, HB_EVENT_LINE_OUT, HB_VERB_PING, 2);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, HB_TEST_CONVERSATION_LEN);

  /* Captured already: shown at once. */
  follow_capture (second, session);
  g_assert_true (hb_segment_model_get_conversation (second) == first);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (second)), ==, HB_TEST_CONVERSATION_LEN);
  g_assert_cmpuint (m2.changes, ==, 1);
  g_assert_cmpuint (m2.conversations, ==, 1);
  free_model (&m2, second);

  /* Captured again: the new record of the connection replaces the old. */
  hb_capture_session_stop (session);
  hb_assert_eventually (hb_capture_session_get_state (session) == HB_CAPTURE_SESSION_STOPPED);
  hb_capture_session_start (session, "lo");
  hb_assert_eventually (hb_segment_model_get_conversation (model) != first &&
                        g_list_model_get_n_items (G_LIST_MODEL (model)) == HB_TEST_CONVERSATION_LEN);
  g_assert_true (hb_segment_model_get_conversation (model) == captured (session));
  g_assert_cmpuint (m->conversations, ==, 2);

  /* Nothing more to follow: the stand-in may go. */
  hb_segment_model_stop (model);
  hb_test_session_stop (session);
}

/* ---------------------------------------------------------------------- */
/* A capture file                                                          */

/* A file's conversation comes whole, a slice at a time, and replaces
 * what was shown with its first slice; shown again, it comes again. */
static void
test_file (Fixture       *f,
           gconstpointer  data)
{
  HbTimeline *timeline = f->timeline;
  HbSegmentModel *model = f->model;
  Mirror *m = &f->m;
  g_autoptr(HbCaptureFile) file = hb_capture_file_new ();
  g_autoptr(GError) error = NULL;
  HbConversation *conversation;
  guint done, total;

  g_assert_true (hb_capture_file_load (file, f->session.stream, &error));
  g_assert_no_error (error);
  conversation = hb_capture_file_get_conversations (file)->pdata[0];

  append (timeline, HB_EVENT_CONNECT, HB_VERB_UNKNOWN, 0);
  hb_segment_model_follow_record (model, timeline, TRUE, NULL, NULL);
  hb_segment_model_show_file (model, file, conversation);
  g_assert_cmpint (hb_segment_model_get_source (model), ==, HB_SEGMENT_SOURCE_FILE);
  g_assert_true (hb_segment_model_get_conversation (model) == conversation);
  g_assert_cmpuint (m->conversations, ==, 1);
  g_assert_cmpint (hb_segment_model_get_linktype (model), ==, DLT_EN10MB);
  g_assert_cmpint (hb_segment_model_get_origin (model), ==, hb_capture_file_get_start_time (file));
  hb_segment_model_get_fill (model, &done, &total);
  g_assert_cmpuint (done, ==, 0);
  g_assert_cmpuint (total, ==, HB_TEST_CONVERSATION_LEN);
  /* The record's rows until the first slice, no longer followed. */
  append (timeline, HB_EVENT_LINE_OUT, HB_VERB_PING, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 3);

  g_assert_true (hb_segment_model_fill (model, 4));
  g_assert_cmpuint (m->position, ==, 0);
  g_assert_cmpuint (m->removed, ==, 3);
  g_assert_cmpuint (m->added, ==, 4);
  g_assert_true (hb_segment_model_fill (model, 4));
  g_assert_cmpuint (m->position, ==, 4);
  g_assert_cmpuint (m->removed, ==, 0);
  g_assert_false (hb_segment_model_fill (model, 100));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, HB_TEST_CONVERSATION_LEN);
  hb_segment_model_get_fill (model, &done, &total);
  g_assert_cmpuint (done, ==, HB_TEST_CONVERSATION_LEN);
  {
    g_autoptr(HbSegment) last = row_of (model, HB_TEST_CONVERSATION_LEN - 1);
    HbPacket *packet = hb_segment_get_packet (last);

    g_assert_cmpint (hb_segment_get_time (last), ==, packet->time_us - hb_capture_file_get_start_time (file));
    g_assert_cmpuint (packet->frame, ==, HB_TEST_CONVERSATION_LEN);
  }
  assert_mirror (m, model);

  /* Chosen again: said again, and filled again from its start. */
  hb_segment_model_show_file (model, file, conversation);
  g_assert_cmpuint (m->conversations, ==, 2);
  g_assert_false (hb_segment_model_fill (model, HB_TEST_CONVERSATION_LEN));
  g_assert_cmpuint (m->removed, ==, HB_TEST_CONVERSATION_LEN);
  g_assert_cmpuint (m->added, ==, HB_TEST_CONVERSATION_LEN);

  /* Back to a record: its rows, and no conversation. */
  hb_segment_model_follow_record (model, timeline, TRUE, NULL, NULL);
  g_assert_null (hb_segment_model_get_conversation (model));
  g_assert_cmpuint (m->conversations, ==, 3);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 4);
  g_assert_false (hb_segment_model_fill (model, 4));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 4);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/core/segment-model/record/follows", test_record_follows);
  ADD ("/core/segment-model/record/ends", test_record_ends);
  ADD ("/core/segment-model/record/newest-and-reset", test_record_newest_and_reset);
  ADD ("/core/segment-model/stop-and-bounded", test_stop_and_bounded);
  ADD ("/core/segment-model/capture", test_capture);
  ADD ("/core/segment-model/file", test_file);
#undef ADD

  return g_test_run ();
}
