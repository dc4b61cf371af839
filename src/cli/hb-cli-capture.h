/* hb-cli-capture.h - heartbeat-lab-cli capture: save a port's live traffic as pcap
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

int hb_cli_capture_run (int    argc,
                        char **argv);
