/* hb-cli-check.h - the "check-server" and "check-client" subcommands of heartbeat-lab-cli
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "heartbeat-lab.h"
#include "hb-cli-output.h"

G_BEGIN_DECLS

/* Each parses its options (argv[0] is the command's name), runs its
 * checks and returns the exit status: 0 when every check passed, 1 when
 * one failed or could not be judged, 2 for wrong usage. */
int      hb_cli_check_server_run      (int           argc,
                                       char        **argv);
int      hb_cli_check_client_run      (int           argc,
                                       char        **argv);

/* Shared by the two commands. */

/* "lab" or "heartbeat-lab" (NULL: lab): raw TCP has no heartbeat to check. */
gboolean hb_cli_check_parse_protocol  (const char   *text,
                                       HbProtocol   *protocol,
                                       GError      **error);
/* The lab's heartbeat and ack from the options, each given as text or
 * hex (or neither: the lab's own). */
gboolean hb_cli_check_parse_patterns  (const char   *heartbeat_text,
                                       const char   *heartbeat_hex,
                                       const char   *ack_text,
                                       const char   *ack_hex,
                                       GBytes      **heartbeat,
                                       GBytes      **ack,
                                       GError      **error);
/* One row: "✓ Title: evidence", or a JSON "check" event with "name",
 * "title", "passed", "verdict", "evidence" and "numbers" (an object of
 * @numbers, a{sv}, or empty when NULL). */
void     hb_cli_check_print_row       (HbCliOutput    *out,
                                       const char     *name,
                                       const char     *title,
                                       HbCheckVerdict  verdict,
                                       const char     *evidence,
                                       GVariant       *numbers);
/* "all 7 checks passed" / "5 of 7 checks passed", or a JSON "summary"
 * event with "total", "passed", "failed" and "ok"; @extra (may be NULL)
 * adds its members to it. Consumes @extra. */
void     hb_cli_check_print_summary   (HbCliOutput    *out,
                                       guint           total,
                                       guint           passed,
                                       GVariant       *extra);

G_END_DECLS
