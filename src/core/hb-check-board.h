/* hb-check-board.h - checks of every client's program, judged live from what the server sees
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "hb-connection.h"
#include "hb-server.h"

G_BEGIN_DECLS

typedef enum
{
  HB_CHECK_PENDING,   /* not judged yet: the situation has not arisen */
  HB_CHECK_PASSED,
  HB_CHECK_FAILED,
} HbCheckVerdict;

/**
 * HbClientCheck:
 * @HB_CLIENT_CHECK_CONNECTS: it connects
 * @HB_CLIENT_CHECK_ANSWERS: every heartbeat is answered within 1 s
 * @HB_CLIENT_CHECK_GLUED: a heartbeat that arrives glued to a broadcast in
 *   one segment is answered within 1 s (the lab's 粘包 bug)
 * @HB_CLIENT_CHECK_SENDS: what is typed into it arrives
 * @HB_CLIENT_CHECK_AFTER_BROADCAST: the first heartbeat after a broadcast
 *   is answered within 1 s
 * @HB_CLIENT_CHECK_CLOSES_WITH_FIN: it closes with FIN, not RST, whether it
 *   closes first or answers the server's FIN (within the drain time)
 */
typedef enum
{
  HB_CLIENT_CHECK_CONNECTS,
  HB_CLIENT_CHECK_ANSWERS,
  HB_CLIENT_CHECK_GLUED,
  HB_CLIENT_CHECK_SENDS,
  HB_CLIENT_CHECK_AFTER_BROADCAST,
  HB_CLIENT_CHECK_CLOSES_WITH_FIN,
  HB_CLIENT_N_CHECKS,
} HbClientCheck;

/* How long an answer may take and still pass, in µs. */
#define HB_CHECK_ANSWER_LIMIT_US  (1000 * 1000)

/* "answers", "glued"...: stable names for CSV and JSON. */
const char *hb_client_check_to_string  (HbClientCheck  check);
/* "Answers every heartbeat within 1 s", translated. */
const char *hb_client_check_get_title  (HbClientCheck  check);
const char *hb_check_verdict_to_string (HbCheckVerdict verdict);
/* "✓", "✗" or "…" */
const char *hb_check_verdict_to_symbol (HbCheckVerdict verdict);

/**
 * HbChecks:
 * The checks of one client, for a row of the server window: properties
 * "passed", "failed" (counts, notified as they change), "summary" (a short
 * string such as "5 ✓ 1 ✗") and "connection".
 */
#define HB_TYPE_CHECKS (hb_checks_get_type ())
G_DECLARE_FINAL_TYPE (HbChecks, hb_checks, HB, CHECKS, GObject)

HbConnection   *hb_checks_get_connection (HbChecks      *self);
HbCheckVerdict  hb_checks_get_verdict    (HbChecks      *self,
                                          HbClientCheck  check);
/* What was seen, in a sentence a person reads: "3 of 3 answered, the
 * slowest in 0.4 ms". Empty while nothing is known. */
const char     *hb_checks_get_evidence   (HbChecks      *self,
                                          HbClientCheck  check);
guint           hb_checks_get_passed     (HbChecks      *self);
guint           hb_checks_get_failed     (HbChecks      *self);
const char     *hb_checks_get_summary    (HbChecks      *self);

/**
 * HbCheckBoard:
 * Watches one server and keeps an HbChecks for every client that connects,
 * departed ones included: a teacher sees the whole class, and exports it.
 * The model (hb_check_board_get_checks()) lists them in order of arrival.
 *
 * Signals:
 *   changed (HbChecks *checks, HbClientCheck check)   a verdict or its evidence changed
 */
#define HB_TYPE_CHECK_BOARD (hb_check_board_get_type ())
G_DECLARE_FINAL_TYPE (HbCheckBoard, hb_check_board, HB, CHECK_BOARD, GObject)

HbCheckBoard *hb_check_board_new          (HbServer      *server);
HbServer     *hb_check_board_get_server   (HbCheckBoard  *self);
GListModel   *hb_check_board_get_checks   (HbCheckBoard  *self);
HbChecks     *hb_check_board_lookup       (HbCheckBoard  *self,
                                           HbConnection  *conn);
/* Someone typed @text into the client's program (check-client does, with
 * COMMAND): "sends" passes when a message holding it arrives within
 * @timeout_ms, and fails otherwise. Without this call any message passes
 * it. @conn NULL: every connected client. */
void          hb_check_board_expect_text  (HbCheckBoard  *self,
                                           HbConnection  *conn,
                                           const char    *text,
                                           guint          timeout_ms);
/* Sends a heartbeat glued to @text (hb_server_beat_now()) to @conn, or to
 * every connected client when NULL, and judges "glued" by its answer.
 * Returns how many clients were sent one. */
guint         hb_check_board_probe_glued  (HbCheckBoard  *self,
                                           HbConnection  *conn,
                                           const char    *text);
/* Every client's verdicts as CSV (RFC 4180, a header row, UTF-8). */
char         *hb_check_board_to_csv       (HbCheckBoard  *self);

G_END_DECLS
