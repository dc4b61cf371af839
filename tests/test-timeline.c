/* test-timeline.c - tests of HbTimeline: what is appended reads back exactly, in a bounded ring
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib.h>

#include "hb-timeline.h"

/* Every event as "appended" announced it: the model the record must match. */
static void
on_appended (HbTimeline            *timeline,
             const HbTimelineEvent *ev,
             GArray                *seen)
{
  g_array_append_val (seen, *ev);
}

static void
assert_event_equal (const HbTimelineEvent *a,
                    const HbTimelineEvent *b)
{
  g_assert_cmpint (a->mono_us, ==, b->mono_us);
  g_assert_cmpint (a->wall_us, ==, b->wall_us);
  g_assert_cmpuint (a->bytes, ==, b->bytes);
  g_assert_cmpuint (a->arg, ==, b->arg);
  g_assert_cmpuint (a->kind, ==, b->kind);
  g_assert_cmpuint (a->verb, ==, b->verb);
  g_assert_cmpuint (a->initiator, ==, b->initiator);
  g_assert_cmpuint (a->arrival_known, ==, b->arrival_known);
  g_assert_cmpuint (a->waited_us, ==, b->waited_us);
}

/* The record holds the last min(capacity, appended) events of @seen. */
static void
assert_matches (HbTimeline *timeline,
                GArray     *seen,
                gboolean    backwards)
{
  guint n = hb_timeline_get_n_events (timeline);
  guint first = seen->len - n;

  g_assert_cmpuint (n, ==, MIN (seen->len, hb_timeline_get_capacity (timeline)));
  g_assert_cmpuint (hb_timeline_get_dropped (timeline), ==, first);
  for (guint k = 0; k < n; k++)
    {
      guint i = backwards ? n - 1 - k : k;

      assert_event_equal (hb_timeline_get_event (timeline, i),
                          &g_array_index (seen, HbTimelineEvent, first + i));
    }
}

static void
append_random (HbTimeline *timeline,
               GRand      *rand,
               guint       i)
{
  static const guint32 wide[] = { 0, 1, 63, 64, 8191, 8192, G_MAXUINT32 - 1, G_MAXUINT32 };
  guint choice = g_rand_int_range (rand, 0, 10);

  if (choice < 6)
    {
      /* heartbeats: PING n out, PONG n in, sometimes a seq skipped */
      guint32 seq = i / 2 + (choice == 5 ? 7 : 0);

      if (i % 2 == 0)
        hb_timeline_append (timeline, HB_EVENT_LINE_OUT, HB_VERB_PING, 7, seq, HB_INITIATOR_LOCAL);
      else if (choice < 3)
        hb_timeline_append (timeline, HB_EVENT_LINE_IN, HB_VERB_PONG, 7, seq, HB_INITIATOR_PEER);
      else
        {
          /* read, with when it arrived (the client's record): up to
           * 4,294 s before, clamped beyond */
          gint64 waited = choice == 4 ? (gint64) G_MAXUINT32 + 5 : g_rand_int_range (rand, 0, 3000000);

          hb_timeline_append_read (timeline, HB_EVENT_LINE_IN, HB_VERB_PONG, 7, seq,
                                   MAX (g_get_monotonic_time () - waited, 1));
        }
    }
  else if (choice < 9)
    hb_timeline_append (timeline, g_rand_int_range (rand, HB_EVENT_CONNECT, HB_EVENT_DATA_IN + 1),
                        g_rand_int_range (rand, HB_VERB_UNKNOWN, HB_VERB_HELLO + 1),
                        wide[g_rand_int_range (rand, 0, G_N_ELEMENTS (wide))],
                        wide[g_rand_int_range (rand, 0, G_N_ELEMENTS (wide))],
                        g_rand_boolean (rand) ? HB_INITIATOR_PEER : HB_INITIATOR_LOCAL);
  else
    {
      guint32 sizes[5];
      guint n = g_rand_int_range (rand, 1, G_N_ELEMENTS (sizes) + 1);

      for (guint k = 0; k < n; k++)
        sizes[k] = k % 2 ? 71 : g_rand_int_range (rand, 0, 2000);
      hb_timeline_append_n (timeline, HB_EVENT_LINE_OUT, HB_VERB_BCAST, sizes, n, HB_INITIATOR_LOCAL,
                            g_get_monotonic_time (), g_get_real_time ());
    }
}

/* Whatever is appended reads back exactly, forwards and backwards, while
 * the ring drops its oldest events. */
static void
test_exact (gconstpointer data)
{
  guint capacity = GPOINTER_TO_UINT (data);
  g_autoptr(GRand) rand = g_rand_new_with_seed (capacity);
  g_autoptr(HbTimeline) timeline = hb_timeline_new (capacity);
  g_autoptr(GArray) seen = g_array_new (FALSE, FALSE, sizeof (HbTimelineEvent));

  g_signal_connect (timeline, "appended", G_CALLBACK (on_appended), seen);
  for (guint i = 0; i < 6 * capacity + 50; i++)
    {
      append_random (timeline, rand, i);
      if (i % 7 == 0 || i < 20)
        assert_matches (timeline, seen, i % 2);
    }
  assert_matches (timeline, seen, FALSE);
  assert_matches (timeline, seen, TRUE);
  /* Reading one event again, or out of order, gives the same. */
  if (hb_timeline_get_n_events (timeline) > 3)
    {
      HbTimelineEvent a = *hb_timeline_get_event (timeline, 3);

      assert_event_equal (hb_timeline_get_event (timeline, 3), &a);
      hb_timeline_get_event (timeline, 0);
      assert_event_equal (hb_timeline_get_event (timeline, 3), &a);
    }
}

/* Reading between appends: the reader's place survives the ring moving on. */
static void
test_read_while_appending (void)
{
  g_autoptr(HbTimeline) timeline = hb_timeline_new (8);
  g_autoptr(GArray) seen = g_array_new (FALSE, FALSE, sizeof (HbTimelineEvent));

  g_signal_connect (timeline, "appended", G_CALLBACK (on_appended), seen);
  for (guint i = 0; i < 40; i++)
    {
      guint n;

      hb_timeline_append (timeline, i % 2 ? HB_EVENT_LINE_IN : HB_EVENT_LINE_OUT,
                          i % 2 ? HB_VERB_PONG : HB_VERB_PING, 7, i / 2,
                          i % 2 ? HB_INITIATOR_PEER : HB_INITIATOR_LOCAL);
      n = hb_timeline_get_n_events (timeline);
      assert_event_equal (hb_timeline_get_event (timeline, n - 1),
                          &g_array_index (seen, HbTimelineEvent, seen->len - 1));
      if (n > 2)
        assert_event_equal (hb_timeline_get_event (timeline, n - 2),
                            &g_array_index (seen, HbTimelineEvent, seen->len - 2));
    }
  assert_matches (timeline, seen, FALSE);
}

/* The first events of a connection, as a server records them. */
static void
test_connection (void)
{
  g_autoptr(HbTimeline) timeline = hb_timeline_new (HB_TIMELINE_DEFAULT_CAPACITY);
  g_autoptr(GArray) seen = g_array_new (FALSE, FALSE, sizeof (HbTimelineEvent));
  const guint32 bcast[] = { 71, 71, 71 };
  const HbTimelineEvent *ev;

  g_signal_connect (timeline, "appended", G_CALLBACK (on_appended), seen);
  hb_timeline_append (timeline, HB_EVENT_CONNECT, HB_VERB_UNKNOWN, 0, 0, HB_INITIATOR_PEER);
  hb_timeline_append (timeline, HB_EVENT_LINE_OUT, HB_VERB_WELCOME, 17, 0, HB_INITIATOR_LOCAL);
  hb_timeline_append_n (timeline, HB_EVENT_LINE_OUT, HB_VERB_BCAST, bcast, G_N_ELEMENTS (bcast),
                        HB_INITIATOR_LOCAL, g_get_monotonic_time (), g_get_real_time ());
  hb_timeline_append (timeline, HB_EVENT_STATE, HB_VERB_UNKNOWN, 0, 1, HB_INITIATOR_LOCAL);
  hb_timeline_append (timeline, HB_EVENT_CLOSE, HB_VERB_UNKNOWN, 0, HB_BYE_RESET, HB_INITIATOR_PEER);

  g_assert_cmpuint (hb_timeline_get_n_events (timeline), ==, 7);
  assert_matches (timeline, seen, FALSE);
  ev = hb_timeline_get_event (timeline, 6);
  g_assert_cmpuint (ev->kind, ==, HB_EVENT_CLOSE);
  g_assert_cmpuint (ev->arg, ==, HB_BYE_RESET);
  g_assert_cmpuint (ev->initiator, ==, HB_INITIATOR_PEER);
  g_assert_cmpint (ev->wall_us, >, 0);
  g_assert_cmpint (ev->mono_us, >=, hb_timeline_get_event (timeline, 0)->mono_us);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_data_func ("/core/timeline/exact/1", GUINT_TO_POINTER (1), test_exact);
  g_test_add_data_func ("/core/timeline/exact/16", GUINT_TO_POINTER (16), test_exact);
  g_test_add_data_func ("/core/timeline/exact/128", GUINT_TO_POINTER (128), test_exact);
  g_test_add_data_func ("/core/timeline/exact/512", GUINT_TO_POINTER (512), test_exact);
  g_test_add_func ("/core/timeline/read-while-appending", test_read_while_appending);
  g_test_add_func ("/core/timeline/connection", test_connection);

  return g_test_run ();
}
