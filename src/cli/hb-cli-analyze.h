/* hb-cli-analyze.h - heartbeat-lab-cli analyze: a capture file as Wireshark's packet table, phases named
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

/* argv[0] is the subcommand ("analyze"). Returns the exit status: 0, 1 for
 * a file that cannot be read or is damaged, 2 for wrong usage. */
int hb_cli_analyze (int    argc,
                    char **argv);
