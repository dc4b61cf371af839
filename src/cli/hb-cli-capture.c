/* hb-cli-capture.c - heartbeat-lab-cli capture: save a port's live traffic as pcap
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The one part of Heartbeat Lab that needs a privilege, kept in the small
 * non-GTK tool so that the desktop application never needs one: give this
 * binary cap_net_raw and the GUI can run it and read the pcap stream.
 */

#include "config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <glib-unix.h>
#include <glib/gi18n.h>

#include "hb-cli-capture.h"
#include "hb-cli-output.h"
#include "hb-live-capture.h"

typedef struct
{
  GMainLoop     *loop;
  HbLiveCapture *capture;
  guint          limit;
  guint          reader_watch;
} Capture;

static gboolean
on_signal (gpointer data)
{
  Capture *self = data;

  g_main_loop_quit (self->loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_duration (gpointer data)
{
  Capture *self = data;

  g_main_loop_quit (self->loop);
  return G_SOURCE_REMOVE;
}

/* The program reading the capture (the desktop application) has gone,
 * perhaps without a word: stop, rather than wait for a packet to die of
 * SIGPIPE on a port that may stay silent. */
static gboolean
on_reader_gone (int          fd,
                GIOCondition condition,
                gpointer     data)
{
  Capture *self = data;

  g_main_loop_quit (self->loop);
  self->reader_watch = 0;
  return G_SOURCE_REMOVE;
}

static void
on_frame (HbLiveCapture *capture, gint64 time_us, GBytes *data, guint len, Capture *self)
{
  if (self->limit > 0 && hb_live_capture_get_n_frames (capture) >= self->limit)
    g_main_loop_quit (self->loop);
}

int
hb_cli_capture_run (int    argc,
                    char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *port_text = NULL;
  g_autofree char *count_text = NULL;
  g_autofree char *duration_text = NULL;
  g_autofree char *device = NULL;
  g_autofree char *write = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  guint port = 0, duration = 0, sig_int, sig_term, timer = 0;
  Capture self = { 0 };
  const GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_STRING, &port_text,
      N_("Capture TCP segments to or from this port (required)"), N_("N") },
    { "interface", 'i', 0, G_OPTION_ARG_STRING, &device,
      N_("Network interface (default lo)"), N_("NAME") },
    { "write", 'w', 0, G_OPTION_ARG_FILENAME, &write,
      N_("Write the segments to FILE as pcap, or to standard output with - (required)"), N_("FILE") },
    { "count", 'c', 0, G_OPTION_ARG_STRING, &count_text,
      N_("Stop after N segments"), N_("N") },
    { "duration", 'd', 0, G_OPTION_ARG_STRING, &duration_text,
      N_("Stop after S seconds"), N_("S") },
    { NULL }
  };

  g_set_prgname (HB_CLI_NAME " capture");
  context = g_option_context_new (NULL);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
    _("Captures the TCP segments of one port, live, into a pcap file that\n"
      "Wireshark, tshark and “heartbeat-lab-cli analyze” open."));
  g_option_context_set_description (context,
    _("Capturing needs the CAP_NET_RAW privilege. Run as root, or grant it to this\n"
      "program once with: sudo setcap cap_net_raw,cap_net_admin+eip $(command -v heartbeat-lab-cli)\n"
      "\n"
      "Stops on SIGINT or SIGTERM, after --count or --duration, or when the\n"
      "program reading standard output (--write -) closes it.\n"
      "Exit status: 0 when stopped; 1 when capturing is not possible; 2 for wrong usage."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    return hb_cli_usage_error ("capture", error->message);
  if (argc > 1)
    {
      g_autofree char *message = g_strdup_printf (_("unexpected argument “%s”"), argv[1]);

      return hb_cli_usage_error ("capture", message);
    }
  if (port_text == NULL)
    return hb_cli_usage_error ("capture", _("--port is required"));
  if (write == NULL)
    return hb_cli_usage_error ("capture", _("--write is required (a file name, or - for standard output)"));
  if (!hb_cli_parse_uint ("--port", port_text, 1, 65535, &port, &error) ||
      !hb_cli_parse_uint ("--count", count_text, 1, G_MAXINT, &self.limit, &error) ||
      !hb_cli_parse_uint ("--duration", duration_text, 1, 86400, &duration, &error))
    return hb_cli_usage_error ("capture", error->message);

  self.capture = hb_live_capture_new (device, port);
  if (!hb_live_capture_start (self.capture, write, &error))
    {
      hb_cli_error ("%s", error->message);
      g_object_unref (self.capture);
      return HB_CLI_EXIT_FAILURE;
    }

  loop = g_main_loop_new (NULL, FALSE);
  self.loop = loop;
  g_signal_connect (self.capture, "frame", G_CALLBACK (on_frame), &self);
  sig_int = g_unix_signal_add (SIGINT, on_signal, &self);
  sig_term = g_unix_signal_add (SIGTERM, on_signal, &self);
  if (duration > 0)
    timer = g_timeout_add_seconds (duration, on_duration, &self);
  if (g_strcmp0 (write, "-") == 0)
    {
      struct stat st;

      /* A pipe or socket reports an error once its reader has closed it. */
      if (fstat (STDOUT_FILENO, &st) == 0 && (S_ISFIFO (st.st_mode) || S_ISSOCK (st.st_mode)))
        self.reader_watch = g_unix_fd_add (STDOUT_FILENO, G_IO_ERR | G_IO_HUP, on_reader_gone, &self);
    }
  /* Standard output may be the capture itself: talk on stderr. */
  g_printerr (_("capturing tcp port %u on %s into %s; Ctrl+C stops\n"),
              port, device ? device : "lo", g_strcmp0 (write, "-") == 0 ? _("standard output") : write);

  g_main_loop_run (loop);

  hb_live_capture_stop (self.capture);
  g_printerr (ngettext ("captured %llu segment\n", "captured %llu segments\n",
                        (gulong) MIN (hb_live_capture_get_n_frames (self.capture), G_MAXULONG)),
              (unsigned long long) hb_live_capture_get_n_frames (self.capture));
  g_source_remove (sig_int);
  g_source_remove (sig_term);
  if (self.reader_watch != 0)
    g_source_remove (self.reader_watch);
  if (timer != 0 && g_main_context_find_source_by_id (NULL, timer) != NULL)
    g_source_remove (timer);
  g_object_unref (self.capture);
  return HB_CLI_EXIT_OK;
}
