/* test-app-quit.c - the application itself, as a process, quits cleanly on a signal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The installed program, run with --demo (a server and two client
 * windows) on a port of the kernel's choosing, with raw clients of its
 * server outside it: SIGTERM (what a session's logout or `kill` sends)
 * and SIGINT (Ctrl+C in the terminal that started it) run the quit that
 * Ctrl+Q runs. Every client reads "BYE shutdown" and then end of stream,
 * never a reset, and the process exits with status 0. Run without its
 * settings schema, it says what is missing instead of aborting.
 */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "hb-test-util.h"

/* The inodes of @pid's sockets, from its descriptors. */
static GHashTable *
socket_inodes (const char *pid)
{
  g_autofree char *fd_dir = g_build_filename ("/proc", pid, "fd", NULL);
  g_autoptr(GDir) dir = g_dir_open (fd_dir, 0, NULL);
  GHashTable *inodes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fd_dir, name, NULL);
      g_autofree char *target = g_file_read_link (path, NULL);

      /* "socket:[1484374]" */
      if (target != NULL && g_str_has_prefix (target, "socket:[") && g_str_has_suffix (target, "]"))
        g_hash_table_add (inodes, g_strndup (target + 8, strlen (target) - 9));
    }
  return inodes;
}

/* The port @pid listens on, from /proc/net/tcp (state 0A is LISTEN), or
 * 0 while it listens on none. */
static guint
listening_port (const char *pid)
{
  g_autoptr(GHashTable) inodes = socket_inodes (pid);
  g_autofree char *table = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents ("/proc/net/tcp", &table, NULL, NULL))
    return 0;
  lines = g_strsplit (table, "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit_set (g_strstrip (lines[i]), " ", -1);
      GPtrArray *words = g_ptr_array_new ();
      const char *local, *colon;

      for (guint k = 0; fields[k] != NULL; k++)
        if (fields[k][0] != '\0')
          g_ptr_array_add (words, fields[k]);
      if (words->len > 9 && strcmp (words->pdata[3], "0A") == 0 &&
          g_hash_table_contains (inodes, words->pdata[9]))
        {
          local = words->pdata[1];
          colon = strchr (local, ':');
          g_ptr_array_free (words, TRUE);
          return colon != NULL ? (guint) strtoul (colon + 1, NULL, 16) : 0;
        }
      g_ptr_array_free (words, TRUE);
    }
  return 0;
}

static void
test_signal_says_bye (gconstpointer data)
{
  int signum = GPOINTER_TO_INT (data);
  g_autofree char *config = g_dir_make_tmp ("hb-app-quit-XXXXXX", NULL);
  g_autofree char *settings_dir = g_build_filename (config, "glib-2.0", "settings", NULL);
  g_autofree char *keyfile = g_build_filename (settings_dir, "keyfile", NULL);
  const char *gui = g_getenv ("HB_GUI");
  const char *argv[] = { gui, "--demo", NULL };
  g_autoptr(HbTestProc) app = NULL;
  const char *pid;
  HbTestPeer *peers[100];
  guint port = 0;

  g_assert_nonnull (gui);
  /* The demo's server listens on the port of the settings: the
   * kernel's choice, in a settings file of this test's own. */
  g_assert_cmpint (g_mkdir_with_parents (settings_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (keyfile, "[org/heartbeatlab/HeartbeatLab]\nport=0\n", -1, NULL));
  g_setenv ("GSETTINGS_BACKEND", "keyfile", TRUE);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  app = hb_test_proc_new (argv);
  pid = g_subprocess_get_identifier (app->proc);
  g_assert_nonnull (pid);
  hb_assert_eventually ((port = listening_port (pid)) != 0);
  g_test_message ("the demo listens on 127.0.0.1:%u", port);

  for (guint i = 0; i < G_N_ELEMENTS (peers); i++)
    {
      peers[i] = hb_test_peer_new ("127.0.0.1", port);
      g_assert_true (g_str_has_prefix (hb_test_peer_wait_line (peers[i]), "WELCOME "));
    }

  hb_test_proc_signal (app, signum);
  for (guint i = 0; i < G_N_ELEMENTS (peers); i++)
    {
      g_assert_cmpstr (hb_test_peer_wait_non_ping (peers[i]), ==, "BYE shutdown");
      hb_test_peer_wait_eof (peers[i]);
      g_assert_false (peers[i]->reset);
      hb_test_peer_free (peers[i]);
    }
  g_assert_cmpint (hb_test_proc_wait_exit (app), ==, 0);

  g_unlink (keyfile);
  g_rmdir (settings_dir);
  {
    g_autofree char *glib_dir = g_path_get_dirname (settings_dir);

    g_rmdir (glib_dir);
  }
  g_rmdir (config);
}

/* A build run without its settings schema (not installed, not through
 * meson devenv) says so and exits 1; GLib would otherwise abort with a
 * trap at the first window. --version still answers. */
static void
test_no_schema (void)
{
  g_autofree char *empty = g_dir_make_tmp ("hb-no-schema-XXXXXX", NULL);
  const char *gui = g_getenv ("HB_GUI");
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                         G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (gui);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_SCHEMA_DIR", empty, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_DIRS", empty, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", empty, TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  for (guint run = 0; run < 2; run++)
    {
      const char *argv[] = { gui, run == 0 ? "--demo" : "--version", NULL };
      g_autoptr(GSubprocess) proc = g_subprocess_launcher_spawnv (launcher, argv, &error);
      g_autofree char *out = NULL, *err = NULL;

      g_assert_no_error (error);
      g_assert_true (g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, &err, &error));
      g_assert_no_error (error);
      g_assert_true (g_subprocess_get_if_exited (proc));
      if (run == 0)
        {
          g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 1);
          g_assert_nonnull (strstr (err, "the settings schema org.heartbeatlab.HeartbeatLab is not installed"));
          g_assert_nonnull (strstr (err, "meson devenv"));
        }
      else
        {
          g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);
          g_assert_true (g_str_has_prefix (out, "heartbeat-lab "));
        }
    }
  g_rmdir (empty);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_data_func ("/gui/app/sigterm-says-bye", GINT_TO_POINTER (SIGTERM), test_signal_says_bye);
  g_test_add_data_func ("/gui/app/sigint-says-bye", GINT_TO_POINTER (SIGINT), test_signal_says_bye);
  g_test_add_func ("/gui/app/no-schema-says-so", test_no_schema);
  return g_test_run ();
}
