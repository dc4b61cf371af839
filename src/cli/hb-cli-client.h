/* hb-cli-client.h - the "client" subcommand of heartbeat-lab-cli
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Parses the subcommand's options and HOST[:PORT] (argv[0] is "client")
 * and runs the client until its connection ends. Returns the exit status. */
int hb_cli_client_run (int    argc,
                       char **argv);

/* Splits "host", "host:port", "[v6]", "[v6]:port" or a bare IPv6 address.
 * @port is left alone when the text names none. */
gboolean hb_cli_parse_host_port (const char  *text,
                                 char       **host,
                                 guint       *port,
                                 GError     **error);

G_END_DECLS
