/* hb-deadline-heap.h - a binary min-heap of deadlines whose nodes live inside their owners
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HB_DEADLINE_NONE G_MAXUINT

/* Embedded in whatever has a deadline (HbConnection): the heap holds
 * pointers to nodes, and a node knows its place, so removing or
 * rescheduling one is O(log n) with no search. Initialise with
 * HB_DEADLINE_NODE_INIT (or hb_deadline_node_init()). */
typedef struct
{
  gint64 deadline;   /* read-only outside the heap */
  guint  index;      /* HB_DEADLINE_NONE when not in a heap */
} HbDeadlineNode;

#define HB_DEADLINE_NODE_INIT { 0, HB_DEADLINE_NONE }

typedef struct _HbDeadlineHeap HbDeadlineHeap;

HbDeadlineHeap *hb_deadline_heap_new    (void);
void            hb_deadline_heap_free   (HbDeadlineHeap *heap);
guint           hb_deadline_heap_get_size (HbDeadlineHeap *heap);
HbDeadlineNode *hb_deadline_heap_peek   (HbDeadlineHeap *heap);
HbDeadlineNode *hb_deadline_heap_pop    (HbDeadlineHeap *heap);
void            hb_deadline_heap_set    (HbDeadlineHeap *heap,
                                         HbDeadlineNode *node,
                                         gint64          deadline);
void            hb_deadline_heap_remove (HbDeadlineHeap *heap,
                                         HbDeadlineNode *node);

static inline void
hb_deadline_node_init (HbDeadlineNode *node)
{
  node->deadline = 0;
  node->index = HB_DEADLINE_NONE;
}

static inline gboolean
hb_deadline_node_is_queued (const HbDeadlineNode *node)
{
  return node->index != HB_DEADLINE_NONE;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbDeadlineHeap, hb_deadline_heap_free)

G_END_DECLS
