/* test-live-capture.c - live capture of a real heartbeat conversation on loopback
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs when this process may capture (CI runs as root); otherwise each
 * test reports itself skipped with the reason, never passed.
 */

#include "config.h"

#include <arpa/inet.h>
#include <glib/gstdio.h>
#include <pcap/pcap.h>
#include <string.h>

#include "heartbeat-lab.h"
#include "hb-live-capture.h"
#include "hb-test-util.h"

typedef struct
{
  GPtrArray *flags;     /* "S", "SA", "A", "PA", "FA", "R"... per TCP segment */
  int        linktype;
} Seen;

/* Enough of a parser for the test's own checks on DLT_EN10MB / Linux cooked. */
static void
on_frame (HbLiveCapture *cap, gint64 time_us, GBytes *data, guint len, Seen *seen)
{
  gsize size;
  const guint8 *p = g_bytes_get_data (data, &size);
  gsize ip = seen->linktype == DLT_EN10MB ? 14 : seen->linktype == DLT_LINUX_SLL ? 16 : 20;
  gsize tcp;
  guint8 f;
  GString *s = g_string_new (NULL);

  if (size < ip + 20 || (p[ip] >> 4) != 4)
    {
      g_string_free (s, TRUE);
      return;
    }
  tcp = ip + (p[ip] & 0x0f) * 4;
  if (size < tcp + 14)
    {
      g_string_free (s, TRUE);
      return;
    }
  f = p[tcp + 13];
  if (f & 0x02) g_string_append_c (s, 'S');
  if (f & 0x01) g_string_append_c (s, 'F');
  if (f & 0x04) g_string_append_c (s, 'R');
  if (f & 0x08) g_string_append_c (s, 'P');
  if (f & 0x10) g_string_append_c (s, 'A');
  g_ptr_array_add (seen->flags, g_string_free (s, FALSE));
}

static guint
count_flags (Seen *seen, const char *flags)
{
  guint n = 0;

  for (guint i = 0; i < seen->flags->len; i++)
    n += g_strcmp0 (g_ptr_array_index (seen->flags, i), flags) == 0;
  return n;
}

static gboolean
start_or_skip (HbLiveCapture *cap, const char *save)
{
  g_autoptr(GError) error = NULL;

  if (hb_live_capture_start (cap, save, &error))
    return TRUE;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
    {
      /* The message tells the user how to grant it. */
      g_assert_nonnull (strstr (error->message, "setcap cap_net_raw,cap_net_admin+eip"));
      g_test_skip ("no privilege to capture here (run as root, or setcap the test)");
      return FALSE;
    }
  g_error ("capture failed: %s", error->message);
}

static void
disconnected_cb (HbClient *c, int reason, int initiator, const char *detail, gboolean *done)
{
  *done = TRUE;
}

static void
test_conversation (void)
{
  g_autoptr(HbServer) server = g_object_new (HB_TYPE_SERVER, "port", 0, "interval-ms", 30, NULL);
  g_autoptr(HbLiveCapture) cap = NULL;
  g_autoptr(HbClient) client = NULL;
  g_autofree char *dir = g_dir_make_tmp ("hb-cap-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "live.pcap", NULL);
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t *saved;
  struct pcap_pkthdr *hdr;
  const u_char *bytes;
  guint n_saved = 0;
  gboolean done = FALSE;
  Seen seen = { g_ptr_array_new_with_free_func (g_free), 0 };

  g_assert_true (hb_server_start (server, NULL));
  cap = hb_live_capture_new ("lo", hb_server_get_port (server));
  g_signal_connect (cap, "frame", G_CALLBACK (on_frame), &seen);
  if (!start_or_skip (cap, path))
    goto out;
  seen.linktype = hb_live_capture_get_linktype (cap);

  client = hb_client_new ("127.0.0.1", hb_server_get_port (server), "cap");
  g_signal_connect (client, "disconnected", G_CALLBACK (disconnected_cb), &done);
  hb_client_connect (client);
  hb_assert_eventually (hb_client_get_client_id (client) != 0);
  hb_assert_eventually (count_flags (&seen, "PA") >= 4);  /* HELLO, WELCOME, PING, PONG */
  hb_client_disconnect (client);
  hb_assert_eventually (done);
  /* Handshake and both FINs, each seen once on loopback. */
  hb_assert_eventually (count_flags (&seen, "FA") >= 2);
  g_assert_cmpuint (count_flags (&seen, "S"), ==, 1);
  g_assert_cmpuint (count_flags (&seen, "SA"), ==, 1);
  g_assert_cmpuint (count_flags (&seen, "R"), ==, 0);
  hb_live_capture_stop (cap);

  /* What was saved opens as a capture file with the same frames. */
  saved = pcap_open_offline (path, errbuf);
  g_assert_nonnull (saved);
  while (pcap_next_ex (saved, &hdr, &bytes) == 1)
    n_saved++;
  pcap_close (saved);
  g_assert_cmpuint (n_saved, ==, hb_live_capture_get_n_frames (cap));
  g_assert_cmpuint (n_saved, ==, seen.flags->len);

out:
  hb_server_stop (server);
  g_unlink (path);
  g_rmdir (dir);
  g_ptr_array_unref (seen.flags);
}

static void
test_abort_is_rst (void)
{
  g_autoptr(HbServer) server = g_object_new (HB_TYPE_SERVER, "port", 0, NULL);
  g_autoptr(HbLiveCapture) cap = NULL;
  g_autoptr(HbClient) client = NULL;
  gboolean done = FALSE;
  Seen seen = { g_ptr_array_new_with_free_func (g_free), 0 };

  g_assert_true (hb_server_start (server, NULL));
  cap = hb_live_capture_new ("lo", hb_server_get_port (server));
  g_signal_connect (cap, "frame", G_CALLBACK (on_frame), &seen);
  if (!start_or_skip (cap, NULL))
    goto out;
  seen.linktype = hb_live_capture_get_linktype (cap);

  client = hb_client_new ("127.0.0.1", hb_server_get_port (server), NULL);
  g_signal_connect (client, "disconnected", G_CALLBACK (disconnected_cb), &done);
  hb_client_connect (client);
  hb_assert_eventually (hb_client_get_client_id (client) != 0);
  hb_client_abort (client);
  hb_assert_eventually (count_flags (&seen, "RA") + count_flags (&seen, "R") >= 1);
  g_assert_cmpuint (count_flags (&seen, "FA"), ==, 0);

out:
  hb_server_stop (server);
  g_ptr_array_unref (seen.flags);
}

static void
test_no_such_device (void)
{
  g_autoptr(HbLiveCapture) cap = hb_live_capture_new ("no-such-if0", 12001);
  g_autoptr(GError) error = NULL;

  g_assert_false (hb_live_capture_start (cap, NULL, &error));
  g_assert_nonnull (error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
    g_test_skip ("no privilege to capture; the device check comes after it");
  else
    g_assert_nonnull (strstr (error->message, "no-such-if0"));
}

static void
exited_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  gboolean *exited = data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *exited = TRUE;
}

/* The desktop application reads `capture --write -` through a pipe. If it
 * goes away without stopping the tool (a crash), the tool must not stay
 * behind on a silent port: it stops when its reader closes the pipe. */
static void
test_cli_reader_gone (void)
{
  const char *cli = g_getenv ("HB_CLI");
  g_autoptr(GSubprocess) tool = NULL;
  g_autoptr(GError) error = NULL;
  guint8 header[24];
  gsize got = 0;
  gboolean exited = FALSE;

  g_assert_nonnull (cli);
  /* Port 9 (discard): nothing on loopback speaks on it. */
  tool = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                           cli, "capture", "--port", "9", "--interface", "lo", "--write", "-", NULL);
  g_assert_no_error (error);
  g_subprocess_wait_async (tool, NULL, exited_cb, &exited);
  /* The pcap header comes at once; nothing when capturing is not allowed. */
  g_assert_true (g_input_stream_read_all (g_subprocess_get_stdout_pipe (tool), header, sizeof header,
                                          &got, NULL, &error));
  if (got == 0)
    {
      hb_assert_eventually (exited);
      g_assert_cmpint (g_subprocess_get_exit_status (tool), ==, 1);
      g_test_skip ("no privilege to capture here (run as root, or setcap heartbeat-lab-cli)");
      return;
    }
  g_assert_cmpuint (got, ==, sizeof header);
  g_assert_false (exited);

  g_assert_true (g_input_stream_close (g_subprocess_get_stdout_pipe (tool), NULL, &error));
  hb_assert_eventually (exited);
  g_assert_true (g_subprocess_get_if_exited (tool));
  g_assert_cmpint (g_subprocess_get_exit_status (tool), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/live-capture/conversation", test_conversation);
  g_test_add_func ("/core/live-capture/abort-is-rst", test_abort_is_rst);
  g_test_add_func ("/core/live-capture/no-such-device", test_no_such_device);
  g_test_add_func ("/core/live-capture/cli-reader-gone", test_cli_reader_gone);
  return g_test_run ();
}
