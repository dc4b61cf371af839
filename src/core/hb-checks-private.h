/* hb-checks-private.h - HbChecks' fields, which the check board judges into
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "hb-check-board.h"

G_BEGIN_DECLS

/* Heartbeats waiting for their answer, per client: more than this are
 * judged by the oldest ones. */
#define MAX_WAITING 16

typedef struct
{
  guint64  seq;
  gint64   sent_mono;
  gboolean overdue;   /* judged: its answer took longer than the limit */
} Waiting;

/* An overdue heartbeat is still waited for this much longer: a late
 * answer must be matched to it, not to the heartbeat after it. */
#define OVERDUE_GRACE_US HB_CHECK_ANSWER_LIMIT_US

struct _HbChecks
{
  GObject         parent_instance;

  HbConnection   *conn;
  HbCheckVerdict  verdict[HB_CLIENT_N_CHECKS];
  char           *evidence[HB_CLIENT_N_CHECKS];
  char           *summary;
  gboolean        ended;

  /* answers */
  Waiting         waiting[MAX_WAITING];
  guint           n_waiting;
  guint64         n_answered;
  gint64          slowest_us;

  /* a heartbeat glued to a broadcast */
  gboolean        glued_wanted;    /* a probe waits for the heartbeats before it ... */
  gint64          glued_wanted_due;  /* ... at most until then */
  guint64         glued_seq;       /* 0: no probe */
  gint64          glued_due;       /* 0: not written yet */
  char           *glued_text;

  /* the first heartbeat after a broadcast */
  guint64         after_seq;       /* 0: none expected */
  gint64          after_due;

  /* typed text */
  char           *expected;
  gint64          expected_due;
  char           *received;        /* the first message, for the evidence */
};

/* Recomputes the summary, and notifies passed, failed and summary when
 * it changed. */
void _hb_checks_update_summary (HbChecks *self);

G_END_DECLS
