/* hb-server-check.h - a battery of checks run against a student's server, on the main loop
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "hb-check-board.h"
#include "hb-lab.h"

G_BEGIN_DECLS

/**
 * HbServerCheckKind:
 * @HB_SERVER_CHECK_ACCEPTS: every one of the connections is accepted
 * @HB_SERVER_CHECK_HEARTBEATS: every connection gets heartbeats at the
 *   expected interval, ±20 % (each connection's gaps are measured)
 * @HB_SERVER_CHECK_STALL: while one connection reads nothing (and so
 *   answers nothing) for 2.5 intervals, the others keep getting theirs
 * @HB_SERVER_CHECK_MESSAGE: after one client sends a message, every
 *   connection keeps getting heartbeats and none is closed
 * @HB_SERVER_CHECK_CLOSES_WITH_FIN: after a client's FIN, the server
 *   closes its side with FIN, not RST, within 2 s
 * @HB_SERVER_CHECK_SURVIVES_RESET: after a client aborts with RST, the
 *   others keep getting heartbeats and a new connection gets them too
 * @HB_SERVER_CHECK_SURVIVES_FLOOD: the same after a client sends 64 KiB
 *   without a newline
 *
 * The checks run in this order, each after the one before, so that what
 * breaks a server is told apart.
 */
typedef enum
{
  HB_SERVER_CHECK_ACCEPTS,
  HB_SERVER_CHECK_HEARTBEATS,
  HB_SERVER_CHECK_STALL,
  HB_SERVER_CHECK_MESSAGE,
  HB_SERVER_CHECK_CLOSES_WITH_FIN,
  HB_SERVER_CHECK_SURVIVES_RESET,
  HB_SERVER_CHECK_SURVIVES_FLOOD,
  HB_SERVER_N_CHECKS,
} HbServerCheckKind;

#define HB_SERVER_CHECK_DEFAULT_CLIENTS  20
#define HB_SERVER_CHECK_MIN_CLIENTS      4
#define HB_SERVER_CHECK_MAX_CLIENTS      1000
/* The tolerance of a gap between heartbeats, in percent of the interval. */
#define HB_SERVER_CHECK_TOLERANCE        20
/* How long the server may take to answer a client's FIN with its own. */
#define HB_SERVER_CHECK_FIN_LIMIT_MS     2000
#define HB_SERVER_CHECK_FLOOD_BYTES      (64 * 1024)

/* "accepts", "heartbeats", "stall"...: stable names for JSON. */
const char *hb_server_check_kind_to_string (HbServerCheckKind kind);
/* "Accepts every connection", translated. */
const char *hb_server_check_kind_get_title (HbServerCheckKind kind);

#define HB_TYPE_SERVER_CHECK (hb_server_check_get_type ())
G_DECLARE_FINAL_TYPE (HbServerCheck, hb_server_check, HB, SERVER_CHECK, GObject)

/* Properties (settable before running):
 *   host, port; protocol (HbProtocol: lab or line); heartbeat and ack
 *   (GBytes, for lab); interval-ms (what the server is expected to keep;
 *   0: the WELCOME's in the line protocol, else 10000); clients (how
 *   many connections at once, HB_SERVER_CHECK_MIN_CLIENTS to
 *   HB_SERVER_CHECK_MAX_CLIENTS); running (read-only).
 *
 * Signals:
 *   check-started  (HbServerCheckKind kind)
 *   check-finished (HbServerCheckKind kind)   its verdict, evidence and
 *                                             numbers are final
 */

HbServerCheck  *hb_server_check_new            (const char          *host,
                                                guint                port);
/* Runs the battery. It completes when every check has a verdict (or on
 * cancellation, with G_IO_ERROR_CANCELLED); that a check failed is a
 * verdict, not an error. */
void            hb_server_check_run_async      (HbServerCheck       *self,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean        hb_server_check_run_finish     (HbServerCheck       *self,
                                                GAsyncResult        *result,
                                                GError             **error);

/* The interval the gaps are measured against: known once the ACCEPTS
 * check finished (in the line protocol it may come from WELCOME). */
guint           hb_server_check_get_interval_ms (HbServerCheck      *self);
guint           hb_server_check_get_clients    (HbServerCheck       *self);
/* How long a run usually takes, for telling the person who waits. */
guint           hb_server_check_estimate_ms    (HbServerCheck       *self);

HbCheckVerdict  hb_server_check_get_verdict    (HbServerCheck       *self,
                                                HbServerCheckKind    kind);
/* What was measured, in a sentence a person reads. Empty until judged. */
const char     *hb_server_check_get_evidence   (HbServerCheck       *self,
                                                HbServerCheckKind    kind);
/* The same as numbers: a dictionary (a{sv}) of counts and milliseconds
 * ("max_gap_ms": 10002.5...), empty until judged. */
GVariant       *hb_server_check_get_numbers    (HbServerCheck       *self,
                                                HbServerCheckKind    kind);
guint           hb_server_check_get_passed     (HbServerCheck       *self);
guint           hb_server_check_get_failed     (HbServerCheck       *self);

G_END_DECLS
