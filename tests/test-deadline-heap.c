/* test-deadline-heap.c - tests of HbDeadlineHeap: insert, reschedule, remove and pop order, against a model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib.h>

#include "hb-deadline-heap.h"

/* Every node is where it says, and no child is earlier than its parent. */
static void
assert_heap (HbDeadlineHeap  *heap,
             HbDeadlineNode  *nodes,
             guint            n_nodes)
{
  guint queued = 0;

  for (guint i = 0; i < n_nodes; i++)
    {
      if (!hb_deadline_node_is_queued (&nodes[i]))
        continue;
      queued++;
      g_assert_cmpuint (nodes[i].index, <, hb_deadline_heap_get_size (heap));
    }
  g_assert_cmpuint (queued, ==, hb_deadline_heap_get_size (heap));
  /* The parent of each queued node: its index is (i - 1) / 2. */
  for (guint i = 0; i < n_nodes; i++)
    for (guint j = 0; j < n_nodes; j++)
      if (hb_deadline_node_is_queued (&nodes[i]) && hb_deadline_node_is_queued (&nodes[j]) &&
          nodes[j].index > 0 && (nodes[j].index - 1) / 2 == nodes[i].index)
        g_assert_cmpint (nodes[i].deadline, <=, nodes[j].deadline);
}

static gint
compare_int64 (gconstpointer a,
               gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void
test_empty (void)
{
  g_autoptr(HbDeadlineHeap) heap = hb_deadline_heap_new ();
  HbDeadlineNode node = HB_DEADLINE_NODE_INIT;

  g_assert_cmpuint (hb_deadline_heap_get_size (heap), ==, 0);
  g_assert_null (hb_deadline_heap_peek (heap));
  g_assert_null (hb_deadline_heap_pop (heap));
  /* Removing a node that is in no heap is allowed, and does nothing. */
  hb_deadline_heap_remove (heap, &node);
  g_assert_false (hb_deadline_node_is_queued (&node));
  g_assert_cmpuint (hb_deadline_heap_get_size (heap), ==, 0);
}

static void
test_pop_order (void)
{
  static const gint64 deadlines[] = { 50, 10, 40, 10, 30, 70, 20, 60, 0, -5 };
  static const gint64 sorted[] = { -5, 0, 10, 10, 20, 30, 40, 50, 60, 70 };
  g_autoptr(HbDeadlineHeap) heap = hb_deadline_heap_new ();
  HbDeadlineNode nodes[G_N_ELEMENTS (deadlines)];

  for (guint i = 0; i < G_N_ELEMENTS (nodes); i++)
    hb_deadline_node_init (&nodes[i]);
  for (guint i = 0; i < G_N_ELEMENTS (nodes); i++)
    {
      hb_deadline_heap_set (heap, &nodes[i], deadlines[i]);
      assert_heap (heap, nodes, G_N_ELEMENTS (nodes));
    }
  g_assert_cmpuint (hb_deadline_heap_get_size (heap), ==, G_N_ELEMENTS (nodes));
  for (guint i = 0; i < G_N_ELEMENTS (sorted); i++)
    {
      HbDeadlineNode *top = hb_deadline_heap_pop (heap);

      g_assert_nonnull (top);
      g_assert_cmpint (top->deadline, ==, sorted[i]);
      g_assert_false (hb_deadline_node_is_queued (top));
      assert_heap (heap, nodes, G_N_ELEMENTS (nodes));
    }
  g_assert_null (hb_deadline_heap_pop (heap));
}

/* Setting a queued node moves it, earlier or later, and never adds it twice. */
static void
test_reschedule (void)
{
  g_autoptr(HbDeadlineHeap) heap = hb_deadline_heap_new ();
  HbDeadlineNode a = HB_DEADLINE_NODE_INIT, b = HB_DEADLINE_NODE_INIT, c = HB_DEADLINE_NODE_INIT;

  hb_deadline_heap_set (heap, &a, 100);
  hb_deadline_heap_set (heap, &b, 200);
  hb_deadline_heap_set (heap, &c, 300);
  g_assert_true (hb_deadline_heap_peek (heap) == &a);

  hb_deadline_heap_set (heap, &c, 50);     /* earlier: to the top */
  g_assert_true (hb_deadline_heap_peek (heap) == &c);
  g_assert_cmpuint (hb_deadline_heap_get_size (heap), ==, 3);

  hb_deadline_heap_set (heap, &c, 1000);   /* later: to the bottom */
  g_assert_true (hb_deadline_heap_peek (heap) == &a);
  hb_deadline_heap_set (heap, &a, 1000);   /* the top moves down past b */
  g_assert_true (hb_deadline_heap_peek (heap) == &b);
  g_assert_cmpuint (hb_deadline_heap_get_size (heap), ==, 3);

  /* The same deadline again changes nothing. */
  hb_deadline_heap_set (heap, &b, 200);
  g_assert_true (hb_deadline_heap_peek (heap) == &b);

  g_assert_true (hb_deadline_heap_pop (heap) == &b);
  g_assert_cmpint (hb_deadline_heap_pop (heap)->deadline, ==, 1000);
  g_assert_cmpint (hb_deadline_heap_pop (heap)->deadline, ==, 1000);
  g_assert_null (hb_deadline_heap_pop (heap));
}

/* Removing from the middle, the top and the end; a removed node can
 * come back. */
static void
test_remove (void)
{
  g_autoptr(HbDeadlineHeap) heap = hb_deadline_heap_new ();
  HbDeadlineNode nodes[8];

  for (guint i = 0; i < G_N_ELEMENTS (nodes); i++)
    {
      hb_deadline_node_init (&nodes[i]);
      hb_deadline_heap_set (heap, &nodes[i], (gint64) i * 10);
    }
  hb_deadline_heap_remove (heap, &nodes[3]);
  assert_heap (heap, nodes, G_N_ELEMENTS (nodes));
  hb_deadline_heap_remove (heap, &nodes[0]);
  assert_heap (heap, nodes, G_N_ELEMENTS (nodes));
  hb_deadline_heap_remove (heap, &nodes[7]);
  assert_heap (heap, nodes, G_N_ELEMENTS (nodes));
  hb_deadline_heap_remove (heap, &nodes[7]);   /* twice: nothing */
  g_assert_cmpuint (hb_deadline_heap_get_size (heap), ==, 5);
  g_assert_true (hb_deadline_heap_peek (heap) == &nodes[1]);

  hb_deadline_heap_set (heap, &nodes[0], 5);
  g_assert_true (hb_deadline_heap_peek (heap) == &nodes[0]);
  {
    static const guint order[] = { 0, 1, 2, 4, 5, 6 };

    for (guint i = 0; i < G_N_ELEMENTS (order); i++)
      g_assert_true (hb_deadline_heap_pop (heap) == &nodes[order[i]]);
  }
  g_assert_null (hb_deadline_heap_peek (heap));
}

/* Many random operations against the simplest model: an array of
 * deadlines, with "not queued" beside each. After every step the heap's
 * size, its top's deadline and each node's own record agree with the
 * model, and at the end popping gives the model's deadlines in order. */
static void
test_random (void)
{
  enum { N = 200, STEPS = 20000 };
  g_autoptr(HbDeadlineHeap) heap = hb_deadline_heap_new ();
  g_autoptr(GRand) rand = NULL;
  HbDeadlineNode nodes[N];
  gint64 model[N];
  gboolean queued[N] = { FALSE };
  guint32 seed = g_test_rand_int ();
  GArray *left;

  g_test_message ("seed %u", seed);
  rand = g_rand_new_with_seed (seed);
  for (guint i = 0; i < N; i++)
    hb_deadline_node_init (&nodes[i]);

  for (guint step = 0; step < STEPS; step++)
    {
      guint i = g_rand_int_range (rand, 0, N);
      guint op = g_rand_int_range (rand, 0, 10);
      guint n = 0;
      gint64 min = G_MAXINT64;

      if (op < 5)
        {
          /* Insert or reschedule; few distinct values, so ties are common. */
          model[i] = g_rand_int_range (rand, -50, 1000);
          queued[i] = TRUE;
          hb_deadline_heap_set (heap, &nodes[i], model[i]);
        }
      else if (op < 8)
        {
          queued[i] = FALSE;
          hb_deadline_heap_remove (heap, &nodes[i]);
        }
      else
        {
          HbDeadlineNode *top = hb_deadline_heap_pop (heap);

          if (top != NULL)
            {
              guint k = top - nodes;

              g_assert_true (queued[k]);
              g_assert_cmpint (top->deadline, ==, model[k]);
              for (guint j = 0; j < N; j++)
                if (queued[j])
                  g_assert_cmpint (model[j], >=, model[k]);
              queued[k] = FALSE;
            }
        }

      for (guint j = 0; j < N; j++)
        {
          g_assert_cmpint (queued[j], ==, hb_deadline_node_is_queued (&nodes[j]));
          if (queued[j])
            {
              n++;
              min = MIN (min, model[j]);
              g_assert_cmpint (nodes[j].deadline, ==, model[j]);
            }
        }
      g_assert_cmpuint (hb_deadline_heap_get_size (heap), ==, n);
      if (n > 0)
        g_assert_cmpint (hb_deadline_heap_peek (heap)->deadline, ==, min);
      else
        g_assert_null (hb_deadline_heap_peek (heap));
      if (step % 1000 == 0)
        assert_heap (heap, nodes, N);
    }

  left = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint j = 0; j < N; j++)
    if (queued[j])
      g_array_append_val (left, model[j]);
  g_array_sort (left, compare_int64);
  for (guint j = 0; j < left->len; j++)
    g_assert_cmpint (hb_deadline_heap_pop (heap)->deadline, ==, g_array_index (left, gint64, j));
  g_assert_null (hb_deadline_heap_pop (heap));
  g_array_unref (left);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/deadline-heap/empty", test_empty);
  g_test_add_func ("/core/deadline-heap/pop-order", test_pop_order);
  g_test_add_func ("/core/deadline-heap/reschedule", test_reschedule);
  g_test_add_func ("/core/deadline-heap/remove", test_remove);
  g_test_add_func ("/core/deadline-heap/random", test_random);

  return g_test_run ();
}
