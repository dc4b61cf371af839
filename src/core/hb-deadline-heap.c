/* hb-deadline-heap.c - a binary min-heap of deadlines whose nodes live inside their owners
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The server keeps one deadline per connection (its next PING, the
 * moment it turns late or dead, the end of its close) and one timer for
 * the earliest of them all: every heartbeat reschedules a node, so each
 * operation is O(log n) and none allocates once the array has grown.
 * Equal deadlines come out in no particular order.
 */

#include "config.h"

#include "hb-deadline-heap.h"

struct _HbDeadlineHeap
{
  GPtrArray *nodes;   /* HbDeadlineNode*, a min-heap on deadline */
};

static inline HbDeadlineNode *
at (HbDeadlineHeap *heap,
    guint           i)
{
  return g_ptr_array_index (heap->nodes, i);
}

static void
swap (HbDeadlineHeap *heap,
      guint           a,
      guint           b)
{
  HbDeadlineNode *na = at (heap, a);
  HbDeadlineNode *nb = at (heap, b);

  heap->nodes->pdata[a] = nb;
  heap->nodes->pdata[b] = na;
  nb->index = a;
  na->index = b;
}

static void
sift_up (HbDeadlineHeap *heap,
         guint           i)
{
  while (i > 0)
    {
      guint parent = (i - 1) / 2;

      if (at (heap, parent)->deadline <= at (heap, i)->deadline)
        break;
      swap (heap, parent, i);
      i = parent;
    }
}

static void
sift_down (HbDeadlineHeap *heap,
           guint           i)
{
  for (;;)
    {
      guint l = 2 * i + 1, r = l + 1, m = i;

      if (l < heap->nodes->len && at (heap, l)->deadline < at (heap, m)->deadline)
        m = l;
      if (r < heap->nodes->len && at (heap, r)->deadline < at (heap, m)->deadline)
        m = r;
      if (m == i)
        break;
      swap (heap, i, m);
      i = m;
    }
}

HbDeadlineHeap *
hb_deadline_heap_new (void)
{
  HbDeadlineHeap *heap = g_new0 (HbDeadlineHeap, 1);

  heap->nodes = g_ptr_array_new ();
  return heap;
}

/* The nodes are their owners' and are left as they are. */
void
hb_deadline_heap_free (HbDeadlineHeap *heap)
{
  if (heap == NULL)
    return;
  g_ptr_array_unref (heap->nodes);
  g_free (heap);
}

guint
hb_deadline_heap_get_size (HbDeadlineHeap *heap)
{
  return heap->nodes->len;
}

/* The node with the earliest deadline, or NULL when the heap is empty. */
HbDeadlineNode *
hb_deadline_heap_peek (HbDeadlineHeap *heap)
{
  return heap->nodes->len > 0 ? at (heap, 0) : NULL;
}

HbDeadlineNode *
hb_deadline_heap_pop (HbDeadlineHeap *heap)
{
  HbDeadlineNode *top = hb_deadline_heap_peek (heap);

  if (top != NULL)
    hb_deadline_heap_remove (heap, top);
  return top;
}

/* Inserts @node, or moves it if it is already in @heap. */
void
hb_deadline_heap_set (HbDeadlineHeap *heap,
                      HbDeadlineNode *node,
                      gint64          deadline)
{
  node->deadline = deadline;
  if (node->index == HB_DEADLINE_NONE)
    {
      node->index = heap->nodes->len;
      g_ptr_array_add (heap->nodes, node);
      sift_up (heap, node->index);
    }
  else
    {
      g_assert (node->index < heap->nodes->len && at (heap, node->index) == node);
      sift_up (heap, node->index);
      sift_down (heap, node->index);
    }
}

/* Does nothing when @node is in no heap. */
void
hb_deadline_heap_remove (HbDeadlineHeap *heap,
                         HbDeadlineNode *node)
{
  guint i = node->index;
  guint last;

  if (i == HB_DEADLINE_NONE)
    return;
  g_assert (i < heap->nodes->len && at (heap, i) == node);
  last = heap->nodes->len - 1;
  if (i != last)
    swap (heap, i, last);
  g_ptr_array_set_size (heap->nodes, last);
  node->index = HB_DEADLINE_NONE;
  if (i < heap->nodes->len)
    {
      sift_up (heap, i);
      sift_down (heap, i);
    }
}
