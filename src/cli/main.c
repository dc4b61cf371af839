/* main.c - heartbeat-lab-cli: run a heartbeat server or client from a terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <locale.h>
#include <string.h>

#include <glib/gi18n.h>

#include "hb-cli-analyze.h"
#include "hb-cli-capture.h"
#include "hb-cli-check.h"
#include "hb-cli-client.h"
#include "hb-cli-output.h"
#include "hb-cli-server.h"

static void
print_help (void)
{
  g_print (_("Usage:\n"
             "  %s COMMAND [OPTION…]\n"
             "\n"
             "Heartbeat Lab: a TCP server that checks its clients with heartbeats, and its client.\n"
             "\n"
             "Commands:\n"
             "  server    run a heartbeat server; stdin lines are broadcast\n"
             "  client    connect to a server; stdin lines are sent as MSG\n"
             "  capture   save a port's live TCP segments as a pcap file\n"
             "  analyze   show a capture file's segments as Wireshark would, with phases\n"
             "  check-server  run a battery of checks against a server (a student's)\n"
             "  check-client  serve a client (a student's, or COMMAND) and check it\n"
             "\n"
             "Options:\n"
             "  -h, --help       show this help\n"
             "  --version        show the version\n"
             "\n"
             "“%s COMMAND --help” shows a command's options.\n"),
           HB_CLI_NAME, HB_CLI_NAME);
}

int
main (int    argc,
      char **argv)
{
  const char *command;

  setlocale (LC_ALL, "");
  /* HEARTBEAT_LAB_LOCALEDIR: translations of a build that is not
   * installed (meson devenv sets it; so do the tests). */
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("HEARTBEAT_LAB_LOCALEDIR") ? g_getenv ("HEARTBEAT_LAB_LOCALEDIR") : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (argc < 2)
    return hb_cli_usage_error (NULL, _("missing command: server, client, capture, analyze, check-server or check-client"));

  command = argv[1];
  if (strcmp (command, "--help") == 0 || strcmp (command, "-h") == 0 ||
      strcmp (command, "help") == 0)
    {
      print_help ();
      return HB_CLI_EXIT_OK;
    }
  if (strcmp (command, "--version") == 0)
    {
      g_print ("%s %s\n", HB_CLI_NAME, PACKAGE_VERSION);
      return HB_CLI_EXIT_OK;
    }

  /* The subcommand sees itself as argv[0]. */
  if (strcmp (command, "server") == 0)
    return hb_cli_server_run (argc - 1, argv + 1);
  if (strcmp (command, "client") == 0)
    return hb_cli_client_run (argc - 1, argv + 1);
  if (strcmp (command, "capture") == 0)
    return hb_cli_capture_run (argc - 1, argv + 1);
  if (strcmp (command, "analyze") == 0)
    return hb_cli_analyze (argc - 1, argv + 1);
  if (strcmp (command, "check-server") == 0)
    return hb_cli_check_server_run (argc - 1, argv + 1);
  if (strcmp (command, "check-client") == 0)
    return hb_cli_check_client_run (argc - 1, argv + 1);

  {
    g_autofree char *message = NULL;

    if (command[0] == '-')
      message = g_strdup_printf (_("unknown option “%s”"), command);
    else
      message = g_strdup_printf (_("unknown command “%s” (try server, client, capture, analyze, check-server or check-client)"), command);
    return hb_cli_usage_error (NULL, message);
  }
}
