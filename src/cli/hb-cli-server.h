/* hb-cli-server.h - the "server" subcommand of heartbeat-lab-cli
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Parses the subcommand's options (argv[0] is "server") and runs the
 * server until /quit, SIGINT or SIGTERM. Returns the exit status. */
int hb_cli_server_run (int    argc,
                       char **argv);

G_END_DECLS
