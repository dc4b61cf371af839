/* test-cli.c - heartbeat-lab-cli as a user runs it: exit codes, stderr, --json events
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every test spawns the real binary (its path is in $HB_CLI), feeds its
 * stdin through a pipe and reads its stdout line by line on the main loop.
 * Waits end on a condition or fail after a failsafe; nothing sleeps.
 */

#include "config.h"

#include <signal.h>
#include <string.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "hb-test-cli.h"
#include "hb-test-util.h"

/* ---------------------------------------------------------------------- */
/* Tests                                                                   */

/* --version prints a bare line, which the event reader would refuse. */
static void
test_version_text (void)
{
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                           g_getenv ("HB_CLI"), "--version", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);
  g_assert_cmpstr (out, ==, "heartbeat-lab-cli " PACKAGE_VERSION "\n");
  g_assert_cmpstr (err, ==, "");
}

static void
assert_help (const char *command,
             const char *must_contain)
{
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  if (command != NULL)
    proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                             g_getenv ("HB_CLI"), command, "--help", NULL);
  else
    proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                             g_getenv ("HB_CLI"), "--help", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);
  g_assert_nonnull (strstr (out, "Usage"));
  g_assert_nonnull (strstr (out, must_contain));
  g_assert_cmpstr (err, ==, "");
}

static void
test_help (void)
{
  assert_help (NULL, "server");
  assert_help (NULL, "client");
  assert_help ("server", "--interval");
  assert_help ("server", "--max-clients");
  assert_help ("server", "Exit status");
  assert_help ("client", "HOST[:PORT]");
  assert_help ("client", "--no-pong");
  assert_help ("client", "Exit status");
}

static void
test_usage (void)
{
  static const char * const cases[][6] = {
    { NULL },
    { "bogus", NULL },
    { "--bogus", NULL },
    { "server", "--bogus", NULL },
    { "server", "--port", "70000", NULL },
    { "server", "--port", "abc", NULL },
    { "server", "--port", "-1", NULL },
    { "server", "--interval", "0", NULL },
    { "server", "--timeout", "x", NULL },
    { "server", "--interval", "5000", "--timeout", "1000", NULL },
    { "server", "--interval", "3000", "--timeout", "3000", NULL },
    { "server", "--interval", "40000", NULL },  /* longer than the default timeout */
    { "server", "--timeout", "10000", NULL },   /* not longer than the default interval */
    { "server", "--max-line", "3", NULL },
    { "server", "extra", NULL },
    { "client", NULL },
    { "client", "--bogus", "localhost", NULL },
    { "client", "localhost:70000", NULL },
    { "client", "localhost:0", NULL },
    { "client", "localhost:abc", NULL },
    { "client", "[::1", NULL },
    { "client", ":12001", NULL },
    { "client", "localhost", "--name", "has space", NULL },
    { "client", "a", "b", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *err = NULL;
      g_autofree char *joined = g_strjoinv (" ", (char **) cases[i]);
      int status = run_sync (cases[i], NULL, &err);

      g_test_message ("heartbeat-lab-cli %s → %d: %s", joined, status, err);
      g_assert_cmpint (status, ==, 2);
      g_assert_true (g_str_has_prefix (err, "heartbeat-lab-cli: "));
      g_assert_nonnull (strstr (err, "--help"));
    }
}

/* A timeout no longer than the interval would declare every client dead
 * before it could answer: refused, saying which values and why. */
static void
test_timeout_not_longer_than_interval (void)
{
  const char *args[] = { "server", "--port", "0", "--interval", "5000", "--timeout", "1000", NULL };
  g_autofree char *err = NULL;

  g_assert_cmpint (run_sync (args, NULL, &err), ==, 2);
  g_assert_true (g_str_has_prefix (err, "heartbeat-lab-cli: --timeout (1000 ms) must be longer than --interval (5000 ms)"));
  g_assert_nonnull (strstr (err, "declared dead"));
  g_assert_nonnull (strstr (err, "heartbeat-lab-cli server --help"));
}

static void
test_port_in_use (void)
{
  g_autoptr(GSocketListener) listener = NULL;
  g_autofree char *port_text = NULL;
  g_autofree char *where = NULL;
  g_autofree char *err = NULL;
  guint port = 0;
  const char *args[] = { "server", "--port", NULL, NULL };

  listener = bind_loopback (&port);
  port_text = g_strdup_printf ("%u", port);
  where = g_strdup_printf ("127.0.0.1:%u", port);
  args[2] = port_text;

  g_assert_cmpint (run_sync (args, NULL, &err), ==, 1);
  g_assert_cmpuint (count_lines (err), ==, 1);
  g_assert_true (g_str_has_prefix (err, "heartbeat-lab-cli: "));
  g_assert_nonnull (strstr (err, where));

  g_socket_listener_close (listener);
}

static void
test_bad_address (void)
{
  const char *args[] = { "server", "--bind", "no.such.address", "--port", "0", NULL };
  g_autofree char *err = NULL;

  g_assert_cmpint (run_sync (args, NULL, &err), ==, 1);
  g_assert_cmpuint (count_lines (err), ==, 1);
  g_assert_true (g_str_has_prefix (err, "heartbeat-lab-cli: "));
  g_assert_nonnull (strstr (err, "no.such.address"));
}

static void
test_unreachable (void)
{
  g_autoptr(GSocketListener) listener = NULL;
  g_autofree char *where = NULL;
  g_autofree char *err = NULL;
  guint port = 0;
  const char *args[] = { "client", NULL, NULL };

  /* A port that was just free and now has nobody listening. */
  listener = bind_loopback (&port);
  g_socket_listener_close (listener);
  where = g_strdup_printf ("127.0.0.1:%u", port);
  args[1] = where;

  g_assert_cmpint (run_sync (args, NULL, &err), ==, 1);
  g_assert_cmpuint (count_lines (err), ==, 1);
  g_assert_true (g_str_has_prefix (err, "heartbeat-lab-cli: "));
  g_assert_nonnull (strstr (err, where));
}

static void
test_json_events (void)
{
  g_autoptr(Cli) server = NULL;
  g_autoptr(Cli) client = NULL;
  JsonObject *obj;
  JsonNode *rtt;
  gint64 id;
  guint port = 0;

  server = start_server (&port, "--interval", "100", NULL);
  client = start_client (port, "--name", "alice", NULL);

  obj = cli_next_event (server, "connected");
  id = json_object_get_int_member (obj, "id");
  g_assert_cmpint (id, >=, 1);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (obj, "peer"), "127.0.0.1:"));

  obj = cli_next_event (server, "hello");
  g_assert_cmpint (json_object_get_int_member (obj, "id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (obj, "name"), ==, "alice");

  obj = cli_next_event (server, "ping");
  g_assert_cmpint (json_object_get_int_member (obj, "id"), ==, id);
  g_assert_cmpint (json_object_get_int_member (obj, "seq"), ==, 1);

  obj = cli_next_event (server, "pong");
  g_assert_cmpint (json_object_get_int_member (obj, "id"), ==, id);
  g_assert_cmpint (json_object_get_int_member (obj, "seq"), ==, 1);
  rtt = json_object_get_member (obj, "rtt_ms");
  g_assert_nonnull (rtt);
  g_assert_true (JSON_NODE_HOLDS_VALUE (rtt));
  g_assert_true (json_node_get_value_type (rtt) == G_TYPE_DOUBLE ||
                 json_node_get_value_type (rtt) == G_TYPE_INT64);
  g_assert_cmpfloat (json_node_get_double (rtt), >=, 0.0);

  obj = cli_next_event (client, "connected");
  g_assert_cmpstr (json_object_get_string_member (obj, "host"), ==, "127.0.0.1");
  g_assert_cmpint (json_object_get_int_member (obj, "port"), ==, port);
  obj = cli_next_event (client, "welcome");
  g_assert_cmpint (json_object_get_int_member (obj, "id"), ==, id);
  g_assert_cmpint (json_object_get_int_member (obj, "interval_ms"), ==, 100);
  g_assert_cmpint (json_object_get_int_member (obj, "timeout_ms"), ==, 30000);
  obj = cli_next_event (client, "ping");
  g_assert_cmpint (json_object_get_int_member (obj, "seq"), ==, 1);
  obj = cli_next_event (client, "pong");
  g_assert_cmpint (json_object_get_int_member (obj, "seq"), ==, 1);
}

static void
test_broadcast (void)
{
  g_autoptr(Cli) server = NULL;
  g_autoptr(Cli) client = NULL;
  JsonObject *obj;
  guint port = 0;

  server = start_server (&port, NULL);
  client = start_client (port, NULL);
  cli_next_event (client, "welcome");
  cli_next_event (server, "connected");

  cli_write_line (server, "hello everyone, ünïcode and \"quotes\"");
  obj = cli_next_event (server, "broadcast");
  g_assert_cmpstr (json_object_get_string_member (obj, "text"), ==, "hello everyone, ünïcode and \"quotes\"");
  g_assert_cmpint (json_object_get_int_member (obj, "recipients"), ==, 1);
  obj = cli_next_event (client, "broadcast");
  g_assert_cmpstr (json_object_get_string_member (obj, "text"), ==, "hello everyone, ünïcode and \"quotes\"");

  /* A doubled slash broadcasts a line that starts with one. */
  cli_write_line (server, "//not a command");
  obj = cli_next_event (client, "broadcast");
  g_assert_cmpstr (json_object_get_string_member (obj, "text"), ==, "/not a command");
}

static void
test_message_and_send (void)
{
  g_autoptr(Cli) server = NULL;
  g_autoptr(Cli) client = NULL;
  g_autofree char *command = NULL;
  JsonObject *obj;
  gint64 id;
  guint port = 0;

  server = start_server (&port, NULL);
  client = start_client (port, NULL);
  id = json_object_get_int_member (cli_next_event (client, "welcome"), "id");

  cli_write_line (client, "hi server");
  obj = cli_any_event (server, "message", "text", "hi server");
  g_assert_cmpint (json_object_get_int_member (obj, "id"), ==, id);

  command = g_strdup_printf ("/send %" G_GINT64_FORMAT " just for you", id);
  cli_write_line (server, command);
  obj = cli_any_event (server, "sent", "text", "just for you");
  g_assert_cmpint (json_object_get_int_member (obj, "id"), ==, id);
  cli_any_event (client, "message", "text", "just for you");
}

static void
test_goodbye (void)
{
  g_autoptr(Cli) server = NULL;
  g_autoptr(Cli) client = NULL;
  JsonObject *obj;
  gint64 id;
  guint port = 0;

  server = start_server (&port, NULL);
  client = start_client (port, NULL);
  id = json_object_get_int_member (cli_next_event (client, "welcome"), "id");

  cli_close_stdin (client);
  obj = cli_next_event (server, "disconnected");
  g_assert_cmpint (json_object_get_int_member (obj, "id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (obj, "reason"), ==, "goodbye");
  g_assert_cmpstr (json_object_get_string_member (obj, "initiator"), ==, "client");

  g_assert_cmpint (cli_wait_exit (client), ==, 0);
  obj = cli_next_event (client, "disconnected");
  g_assert_cmpstr (json_object_get_string_member (obj, "initiator"), ==, "client");
  g_assert_cmpstr (client->errors->str, ==, "");
}

static void
test_client_sigint (void)
{
  g_autoptr(Cli) server = NULL;
  g_autoptr(Cli) client = NULL;
  JsonObject *obj;
  guint port = 0;

  server = start_server (&port, NULL);
  client = start_client (port, NULL);
  cli_next_event (client, "welcome");

  g_subprocess_send_signal (client->proc, SIGINT);
  obj = cli_next_event (server, "disconnected");
  g_assert_cmpstr (json_object_get_string_member (obj, "reason"), ==, "goodbye");
  g_assert_cmpstr (json_object_get_string_member (obj, "initiator"), ==, "client");
  g_assert_cmpint (cli_wait_exit (client), ==, 0);
}

static void
test_sigterm (void)
{
  g_autoptr(Cli) server = NULL;
  g_autoptr(Cli) a = NULL;
  g_autoptr(Cli) b = NULL;
  JsonObject *obj;
  guint port = 0;

  server = start_server (&port, NULL);
  a = start_client (port, NULL);
  b = start_client (port, NULL);
  cli_next_event (a, "welcome");
  cli_next_event (b, "welcome");

  g_subprocess_send_signal (server->proc, SIGTERM);

  obj = cli_next_event (a, "bye");
  g_assert_cmpstr (json_object_get_string_member (obj, "reason"), ==, "shutdown");
  obj = cli_next_event (b, "bye");
  g_assert_cmpstr (json_object_get_string_member (obj, "reason"), ==, "shutdown");

  g_assert_cmpint (cli_wait_exit (server), ==, 0);
  obj = cli_next_event (server, "shutdown");
  g_assert_cmpint (json_object_get_int_member (obj, "clients"), ==, 2);
  cli_any_event (server, "disconnected", "reason", "shutdown");
  g_assert_cmpstr (server->errors->str, ==, "");

  /* BYE shutdown is a normal end for a client. */
  g_assert_cmpint (cli_wait_exit (a), ==, 0);
  g_assert_cmpint (cli_wait_exit (b), ==, 0);
  obj = cli_next_event (a, "disconnected");
  g_assert_cmpstr (json_object_get_string_member (obj, "reason"), ==, "shutdown");
  g_assert_cmpstr (json_object_get_string_member (obj, "initiator"), ==, "server");
}

static void
test_quit_command (void)
{
  g_autoptr(Cli) server = NULL;
  guint port = 0;

  server = start_server (&port, NULL);
  cli_write_line (server, "/quit");
  g_assert_cmpint (cli_wait_exit (server), ==, 0);
  cli_next_event (server, "shutdown");
}

static void
test_timeout (void)
{
  g_autoptr(Cli) server = NULL;
  g_autoptr(Cli) client = NULL;
  JsonObject *obj;
  guint port = 0;

  server = start_server (&port, "--interval", "50", "--timeout", "200", NULL);
  client = start_client (port, "--no-pong", NULL);
  cli_next_event (client, "welcome");
  /* It hears the heartbeats but never answers them. */
  cli_next_event (client, "ping");

  obj = cli_next_event (server, "disconnected");
  g_assert_cmpstr (json_object_get_string_member (obj, "reason"), ==, "timeout");
  g_assert_cmpstr (json_object_get_string_member (obj, "initiator"), ==, "server");
  g_assert_null (find_event (server, 0, NULL, "pong", NULL, NULL));
  g_assert_null (find_event (client, 0, NULL, "pong", NULL, NULL));

  obj = cli_next_event (client, "bye");
  g_assert_cmpstr (json_object_get_string_member (obj, "reason"), ==, "timeout");
  g_assert_cmpint (cli_wait_exit (client), ==, 1);
  g_assert_cmpuint (count_lines (client->errors->str), ==, 1);
  g_assert_nonnull (strstr (client->errors->str, "timeout"));
}

static void
test_commands (void)
{
  g_autoptr(Cli) server = NULL;
  g_autoptr(Cli) client = NULL;
  g_autofree char *kick = NULL;
  g_autofree char *where = NULL;
  JsonObject *obj;
  JsonArray *clients;
  gint64 id;
  guint port = 0;

  server = start_server (&port, NULL);
  client = start_client (port, "--name", "bob", NULL);
  id = json_object_get_int_member (cli_next_event (client, "welcome"), "id");
  cli_next_event (server, "hello");

  cli_write_line (server, "/list");
  obj = cli_next_event (server, "clients");
  clients = json_object_get_array_member (obj, "clients");
  g_assert_cmpuint (json_array_get_length (clients), ==, 1);
  obj = json_array_get_object_element (clients, 0);
  g_assert_cmpint (json_object_get_int_member (obj, "id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (obj, "name"), ==, "bob");
  g_assert_cmpstr (json_object_get_string_member (obj, "liveness"), ==, "alive");
  g_assert_true (g_str_has_prefix (json_object_get_string_member (obj, "peer"), "127.0.0.1:"));

  /* A mistake is explained on stderr (stdout stays JSON) and changes nothing. */
  cli_write_line (server, "/bogus");
  wait_for (strstr (server->errors->str, "/bogus") != NULL);
  cli_write_line (server, "/send 9999 nobody");
  wait_for (strstr (server->errors->str, "9999") != NULL);
  cli_write_line (server, "/kick");
  wait_for (strstr (server->errors->str, "/kick ID") != NULL);

  kick = g_strdup_printf ("/kick %" G_GINT64_FORMAT, id);
  cli_write_line (server, kick);
  obj = cli_next_event (server, "disconnected");
  g_assert_cmpint (json_object_get_int_member (obj, "id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (obj, "reason"), ==, "kicked");
  g_assert_cmpstr (json_object_get_string_member (obj, "initiator"), ==, "server");

  obj = cli_next_event (client, "bye");
  g_assert_cmpstr (json_object_get_string_member (obj, "reason"), ==, "kicked");
  g_assert_cmpint (cli_wait_exit (client), ==, 1);
  where = g_strdup_printf ("127.0.0.1:%u", port);
  g_assert_cmpuint (count_lines (client->errors->str), ==, 1);
  g_assert_nonnull (strstr (client->errors->str, where));

  cli_write_line (server, "/list");
  obj = cli_next_event (server, "clients");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj, "clients")), ==, 0);
}

static void
test_server_stdin_eof (void)
{
  g_autoptr(Cli) server = NULL;
  g_autoptr(Cli) client = NULL;
  guint port = 0;

  server = start_server (&port, NULL);
  /* Without input the server keeps serving, as it would with </dev/null. */
  cli_close_stdin (server);
  client = start_client (port, NULL);
  cli_next_event (client, "welcome");
  cli_next_event (server, "connected");
  g_assert_false (server->exited);

  g_subprocess_send_signal (server->proc, SIGTERM);
  g_assert_cmpint (cli_wait_exit (server), ==, 0);
  g_assert_cmpint (cli_wait_exit (client), ==, 0);
}

static void
test_relay (void)
{
  g_autoptr(Cli) server = NULL;
  g_autoptr(Cli) a = NULL;
  g_autoptr(Cli) b = NULL;
  JsonObject *obj;
  guint port = 0;

  server = start_server (&port, "--relay", NULL);
  a = start_client (port, "--name", "ann", NULL);
  b = start_client (port, "--name", "ben", NULL);
  cli_next_event (a, "welcome");
  cli_next_event (b, "welcome");
  cli_any_event (server, "hello", "name", "ann");
  cli_any_event (server, "hello", "name", "ben");

  cli_write_line (a, "hello ben");
  obj = cli_next_event (b, "relay");
  g_assert_cmpstr (json_object_get_string_member (obj, "name"), ==, "ann");
  g_assert_cmpstr (json_object_get_string_member (obj, "text"), ==, "hello ben");
}

static void
test_protocol_error (void)
{
  g_autoptr(Cli) server = NULL;
  g_autoptr(Cli) client = NULL;
  g_autofree char *long_line = NULL;
  JsonObject *obj;
  guint port = 0;

  server = start_server (&port, "--max-line", "64", NULL);
  client = start_client (port, NULL);
  cli_next_event (client, "welcome");

  long_line = g_strnfill (100, 'x');
  cli_write_line (client, long_line);
  obj = cli_next_event (client, "error");
  g_assert_cmpstr (json_object_get_string_member (obj, "code"), ==, "line-too-long");
  obj = cli_next_event (server, "error");
  g_assert_cmpstr (json_object_get_string_member (obj, "code"), ==, "line-too-long");
  g_assert_nonnull (json_object_get_string_member (obj, "text"));

  /* The connection survives. */
  cli_write_line (client, "short");
  cli_any_event (server, "message", "text", "short");
}

static void
test_reconnect (void)
{
  g_autoptr(Cli) server = NULL;
  g_autoptr(Cli) client = NULL;
  JsonObject *obj;
  guint port = 0;

  server = start_server (&port, NULL);
  client = start_client (port, "--reconnect", NULL);
  cli_next_event (client, "welcome");

  g_subprocess_send_signal (server->proc, SIGKILL);
  obj = cli_next_event (client, "disconnected");
  g_assert_cmpstr (json_object_get_string_member (obj, "initiator"), ==, "server");
  obj = cli_next_event (client, "reconnecting");
  g_assert_cmpint (json_object_get_int_member (obj, "attempt"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (obj, "delay_ms"), >, 0);
  g_assert_false (client->exited);

  /* The user giving up ends it normally. */
  cli_close_stdin (client);
  g_assert_cmpint (cli_wait_exit (client), ==, 0);
}

static void
test_human (void)
{
  g_autoptr(Cli) server = NULL;
  g_autoptr(Cli) client = NULL;
  g_autofree char *where = NULL;
  const char *line;
  guint port = 0;

  server = cli_spawn ("server", "--port", "0", "--interval", "50", NULL);
  wait_for (server->lines->len >= 1 || server->exited);
  g_assert_cmpuint (server->lines->len, >=, 1);
  line = g_ptr_array_index (server->lines, 0);
  g_assert_nonnull (strstr (line, "listening on 127.0.0.1:"));
  port = (guint) g_ascii_strtoull (strstr (line, "127.0.0.1:") + strlen ("127.0.0.1:"), NULL, 10);
  g_assert_cmpuint (port, >, 0);

  where = g_strdup_printf ("127.0.0.1:%u", port);
  client = cli_spawn ("client", where, "--name", "carol", NULL);
  cli_write_line (client, "hi");
  wait_for (client->lines->len >= 3);   /* connected, welcome, a heartbeat */
  line = g_ptr_array_index (client->lines, 0);
  g_assert_nonnull (strstr (line, "connected to 127.0.0.1:"));

  cli_close_stdin (client);
  g_assert_cmpint (cli_wait_exit (client), ==, 0);
  g_assert_cmpstr (client->errors->str, ==, "");

  g_subprocess_send_signal (server->proc, SIGINT);
  g_assert_cmpint (cli_wait_exit (server), ==, 0);
  {
    g_autofree char *all = cli_stdout (server);

    g_assert_nonnull (strstr (all, "carol: hi"));
    g_assert_nonnull (strstr (all, "→ pong rtt"));
    g_assert_nonnull (strstr (all, "goodbye"));
  }
}

static void
test_ipv6 (void)
{
  g_autoptr(Cli) server = NULL;
  g_autoptr(Cli) client = NULL;
  g_autofree char *where = NULL;
  JsonObject *obj;
  guint port;

  server = cli_spawn ("server", "--json", "--bind", "::1", "--port", "0", NULL);
  wait_for (server->events->len >= 1 || server->exited);
  if (server->events->len == 0)
    {
      g_test_skip ("no IPv6 loopback here");
      return;
    }
  obj = cli_next_event (server, "listening");
  port = (guint) json_object_get_int_member (obj, "port");

  where = g_strdup_printf ("[::1]:%u", port);
  client = cli_spawn ("client", where, "--json", NULL);
  cli_next_event (client, "welcome");
  obj = cli_next_event (server, "connected");
  g_assert_true (g_str_has_prefix (json_object_get_string_member (obj, "peer"), "[::1]:"));
  cli_close_stdin (client);
  g_assert_cmpint (cli_wait_exit (client), ==, 0);
}

/* Whether @text holds a byte that would act on a terminal: C0 but LF and
 * tab, DEL, or the UTF-8 of C1 and the bidirectional overrides. */
static gboolean
has_terminal_control (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
        return TRUE;
      if (c == 0xc2 && (guchar) p[1] >= 0x80 && (guchar) p[1] < 0xa0)
        return TRUE;
      if (c == 0xe2 && (guchar) p[1] == 0x80 && (guchar) p[2] >= 0xaa && (guchar) p[2] <= 0xae)
        return TRUE;
    }
  return FALSE;
}

static const char evil[] =
  "\x1b[2J \x1b]0;owned\x07 \x1b]52;c;ZXZpbA==\x07 \r\x1b[2Kserver: class is cancelled "
  "back\x08\x08 \xc2\x9b" "2J abc\xe2\x80\xaetxt";

static void
test_escapes_shown_safely (void)
{
  g_autoptr(Cli) server = NULL;
  g_autoptr(Cli) client = NULL;
  g_autoptr(HbTestPeer) mallory = NULL;
  g_autofree char *where = NULL;
  g_autofree char *msg = g_strdup_printf ("MSG %s\n", evil);
  const char *line;
  guint port;

  /* A client's text reaches the operator's terminal, and in relay mode
   * every other client's, only as visible escapes. */
  server = cli_spawn ("server", "--port", "0", "--relay", NULL);
  wait_for (server->lines->len >= 1 || server->exited);
  line = g_ptr_array_index (server->lines, 0);
  port = (guint) g_ascii_strtoull (strstr (line, "127.0.0.1:") + strlen ("127.0.0.1:"), NULL, 10);
  where = g_strdup_printf ("127.0.0.1:%u", port);
  client = cli_spawn ("client", where, "--name", "carol", NULL);
  wait_for (client->lines->len >= 2);
  mallory = hb_test_peer_new ("127.0.0.1", port);
  hb_test_peer_send (mallory, "HELLO mallory\n", -1);
  hb_test_peer_send (mallory, msg, -1);
  wait_for (({ g_autofree char *all = cli_stdout (client); strstr (all, "txt") != NULL; }));
  wait_for (({ g_autofree char *all = cli_stdout (server); strstr (all, "txt") != NULL; }));
  {
    g_autofree char *c = cli_stdout (client);
    g_autofree char *srv = cli_stdout (server);

    g_assert_false (has_terminal_control (c));
    g_assert_false (has_terminal_control (srv));
    g_assert_nonnull (strstr (c, "relayed from client mallory: \\x1b[2J"));
    g_assert_nonnull (strstr (c, "<U+202E>"));
    g_assert_nonnull (strstr (srv, "mallory: \\x1b[2J"));
    g_assert_nonnull (strstr (srv, "\\r\\x1b[2Kserver: class is cancelled"));
  }
}

static void
test_server_lines_shown_safely (void)
{
  g_autoptr(GSocketListener) listener = NULL;
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(Cli) human = NULL;
  g_autoptr(Cli) json = NULL;
  g_autofree char *where = NULL;
  g_autoptr(GString) script = g_string_new ("WELCOME 1 60000 60000\n");
  JsonObject *obj;
  guint port;

  /* What a hostile server sends — in BCAST, MSG, ERR, BYE, and lines no
   * server may send — is shown safely; --json keeps it exact, and reports
   * the malformed line as an error. */
  g_string_append_printf (script, "BCAST %s\nMSG %s\nERR bad-args %s\ngarbage %s\nBYE x\x1b[2J\n",
                          evil, evil, evil, evil);
  for (guint round = 0; round < 2; round++)
    {
      Cli *cli;

      listener = bind_loopback (&port);
      g_clear_pointer (&where, g_free);
      where = g_strdup_printf ("127.0.0.1:%u", port);
      cli = round == 0 ? cli_spawn ("client", where, NULL) : cli_spawn ("client", where, "--json", NULL);
      if (round == 0)
        human = cli;
      else
        json = cli;
      conn = g_socket_listener_accept (listener, NULL, NULL, NULL);
      g_assert_nonnull (conn);
      g_socket_send (g_socket_connection_get_socket (conn), script->str, script->len, NULL, NULL);
      g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
      g_clear_object (&conn);
      /* The server closed with a BYE of no known reason: exit 1. */
      g_assert_cmpint (cli_wait_exit (cli), ==, 1);
      g_clear_object (&listener);
    }
  {
    g_autofree char *all = cli_stdout (human);

    g_assert_false (has_terminal_control (all));
    g_assert_nonnull (strstr (all, "broadcast: \\x1b[2J"));
    g_assert_nonnull (strstr (all, "BYE x\\x1b[2J"));
    g_assert_nonnull (strstr (all, "ignored a line no server may send"));
  }
  obj = cli_any_event (json, "broadcast", NULL, NULL);
  g_assert_cmpstr (json_object_get_string_member (obj, "text"), ==, evil);
  obj = cli_any_event (json, "error", "code", "bad-line");
  g_assert_nonnull (strstr (json_object_get_string_member (obj, "line"), "garbage"));
}

static void
test_bind_beyond_loopback_warns (void)
{
  g_autoptr(Cli) server = cli_spawn ("server", "--bind", "0.0.0.0", "--port", "0", NULL);
  g_autoptr(Cli) local = cli_spawn ("server", "--port", "0", NULL);

  wait_for (server->lines->len >= 1 || server->exited);
  wait_for (local->lines->len >= 1 || local->exited);
  g_assert_nonnull (strstr (server->errors->str, "warning: listening on 0.0.0.0:"));
  g_assert_nonnull (strstr (server->errors->str, "any machine that can reach this one can connect"));
  g_subprocess_send_signal (server->proc, SIGINT);
  g_subprocess_send_signal (local->proc, SIGINT);
  g_assert_cmpint (cli_wait_exit (server), ==, 0);
  g_assert_cmpint (cli_wait_exit (local), ==, 0);
  g_assert_cmpstr (local->errors->str, ==, "");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli/version", test_version_text);
  g_test_add_func ("/cli/help", test_help);
  g_test_add_func ("/cli/usage", test_usage);
  g_test_add_func ("/cli/server/timeout-not-longer-than-interval", test_timeout_not_longer_than_interval);
  g_test_add_func ("/cli/server/port-in-use", test_port_in_use);
  g_test_add_func ("/cli/server/bad-address", test_bad_address);
  g_test_add_func ("/cli/client/unreachable", test_unreachable);
  g_test_add_func ("/cli/server/json-events", test_json_events);
  g_test_add_func ("/cli/server/broadcast", test_broadcast);
  g_test_add_func ("/cli/client/message", test_message_and_send);
  g_test_add_func ("/cli/client/goodbye", test_goodbye);
  g_test_add_func ("/cli/client/sigint", test_client_sigint);
  g_test_add_func ("/cli/server/sigterm", test_sigterm);
  g_test_add_func ("/cli/server/quit", test_quit_command);
  g_test_add_func ("/cli/server/timeout", test_timeout);
  g_test_add_func ("/cli/server/commands", test_commands);
  g_test_add_func ("/cli/server/stdin-eof", test_server_stdin_eof);
  g_test_add_func ("/cli/server/relay", test_relay);
  g_test_add_func ("/cli/client/protocol-error", test_protocol_error);
  g_test_add_func ("/cli/client/reconnect", test_reconnect);
  g_test_add_func ("/cli/human", test_human);
  g_test_add_func ("/cli/ipv6", test_ipv6);
  g_test_add_func ("/cli/escapes-shown-safely", test_escapes_shown_safely);
  g_test_add_func ("/cli/client/server-lines-shown-safely", test_server_lines_shown_safely);
  g_test_add_func ("/cli/server/bind-beyond-loopback-warns", test_bind_beyond_loopback_warns);

  return g_test_run ();
}
