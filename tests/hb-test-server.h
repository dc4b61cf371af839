/* hb-test-server.h - what the tests of a live HbServer share: shutting it down, reading records
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "heartbeat-lab.h"

G_BEGIN_DECLS

/* Where hb_test_shutdown_cb() puts the outcome of
 * hb_server_shutdown_async(): @done, and @error if it failed. */
typedef struct
{
  gboolean  done;
  GError   *error;
} HbTestShutdown;

void     hb_test_shutdown_cb     (GObject      *source,
                                  GAsyncResult *result,
                                  gpointer      shutdown);
/* Records each client's disconnection in @into as "ID REASON INITIATOR"
 * (reason and initiator as their strings). */
void     hb_test_record_disconnects (HbServer  *server,
                                     GPtrArray *into);
/* hb_server_shutdown_async() with @drain_ms, then waits for it on the main
 * loop and asserts that it completed without an error. */
void     hb_test_server_shutdown (HbServer   *server,
                                  guint       drain_ms);
/* Whether @array, of strings, holds @want. */
gboolean hb_test_has_string      (GPtrArray  *array,
                                  const char *want);

/* Lets time pass counted in heartbeats, for "nothing happens" checks
 * where time itself is the point (no barrier can say "ten intervals went
 * by"): a witness server on this loop, beating every @interval_ms, sends
 * @n PINGs to a peer that answers them, then goes. */
void     hb_test_await_heartbeats (guint      interval_ms,
                                   guint      n);

G_END_DECLS
