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
  g_autofree char *out = run_plain ("--version", NULL);

  g_assert_cmpstr (out, ==, "heartbeat-lab-cli " PACKAGE_VERSION "\n");
}

/* @command NULL: the tool's own --help. */
static void
assert_help (const char *command,
             const char *must_contain)
{
  g_autofree char *out = command != NULL ? run_plain (command, "--help", NULL) : run_plain ("--help", NULL);

  g_assert_nonnull (strstr (out, "Usage"));
  g_assert_nonnull (strstr (out, must_contain));
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
  hb_assert_contains (err, "declared dead", "heartbeat-lab-cli server --help");
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

/* A server and one client of it, welcomed: @id is the client's. The
 * test's data, a PairArgs or NULL, gives their arguments. */
typedef struct
{
  Cli   *server;
  Cli   *client;
  guint  port;
  gint64 id;
} Pair;

typedef struct
{
  const char *server[6];
  const char *client[6];
} PairArgs;

static void
pair_setup (Pair          *p,
            gconstpointer  data)
{
  static const PairArgs plain = { { NULL }, { NULL } };
  const PairArgs *args = data != NULL ? data : &plain;

  p->server = start_serverv (&p->port, args->server);
  p->client = start_clientv (p->port, args->client);
  p->id = ev_int (cli_next_event (p->client, "welcome"), "id");
}

static void
pair_teardown (Pair          *p,
               gconstpointer  data)
{
  g_clear_pointer (&p->client, cli_free);
  g_clear_pointer (&p->server, cli_free);
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
  id = ev_int (obj, "id");
  g_assert_cmpint (id, >=, 1);
  g_assert_true (g_str_has_prefix (ev_str (obj, "peer"), "127.0.0.1:"));

  obj = cli_next_event (server, "hello");
  g_assert_cmpint (ev_int (obj, "id"), ==, id);
  g_assert_cmpstr (ev_str (obj, "name"), ==, "alice");

  obj = cli_next_event (server, "ping");
  g_assert_cmpint (ev_int (obj, "id"), ==, id);
  g_assert_cmpint (ev_int (obj, "seq"), ==, 1);

  obj = cli_next_event (server, "pong");
  g_assert_cmpint (ev_int (obj, "id"), ==, id);
  g_assert_cmpint (ev_int (obj, "seq"), ==, 1);
  rtt = json_object_get_member (obj, "rtt_ms");
  g_assert_nonnull (rtt);
  g_assert_true (JSON_NODE_HOLDS_VALUE (rtt));
  g_assert_true (json_node_get_value_type (rtt) == G_TYPE_DOUBLE ||
                 json_node_get_value_type (rtt) == G_TYPE_INT64);
  g_assert_cmpfloat (json_node_get_double (rtt), >=, 0.0);

  obj = cli_next_event (client, "connected");
  g_assert_cmpstr (ev_str (obj, "host"), ==, "127.0.0.1");
  g_assert_cmpint (ev_int (obj, "port"), ==, port);
  obj = cli_next_event (client, "welcome");
  g_assert_cmpint (ev_int (obj, "id"), ==, id);
  g_assert_cmpint (ev_int (obj, "interval_ms"), ==, 100);
  g_assert_cmpint (ev_int (obj, "timeout_ms"), ==, 30000);
  obj = cli_next_event (client, "ping");
  g_assert_cmpint (ev_int (obj, "seq"), ==, 1);
  obj = cli_next_event (client, "pong");
  g_assert_cmpint (ev_int (obj, "seq"), ==, 1);
}

static void
test_broadcast (Pair          *p,
                gconstpointer  data)
{
  JsonObject *obj;

  cli_next_event (p->server, "connected");

  cli_write_line (p->server, "hello everyone, ünïcode and \"quotes\"");
  obj = cli_next_event (p->server, "broadcast");
  g_assert_cmpstr (ev_str (obj, "text"), ==, "hello everyone, ünïcode and \"quotes\"");
  g_assert_cmpint (ev_int (obj, "recipients"), ==, 1);
  obj = cli_next_event (p->client, "broadcast");
  g_assert_cmpstr (ev_str (obj, "text"), ==, "hello everyone, ünïcode and \"quotes\"");

  /* A doubled slash broadcasts a line that starts with one. */
  cli_write_line (p->server, "//not a command");
  obj = cli_next_event (p->client, "broadcast");
  g_assert_cmpstr (ev_str (obj, "text"), ==, "/not a command");
}

static void
test_message_and_send (Pair          *p,
                       gconstpointer  data)
{
  g_autofree char *command = NULL;
  JsonObject *obj;

  cli_write_line (p->client, "hi server");
  obj = cli_any_event (p->server, "message", "text", "hi server");
  g_assert_cmpint (ev_int (obj, "id"), ==, p->id);

  command = g_strdup_printf ("/send %" G_GINT64_FORMAT " just for you", p->id);
  cli_write_line (p->server, command);
  obj = cli_any_event (p->server, "sent", "text", "just for you");
  g_assert_cmpint (ev_int (obj, "id"), ==, p->id);
  cli_any_event (p->client, "message", "text", "just for you");
}

static void
test_goodbye (Pair          *p,
              gconstpointer  data)
{
  JsonObject *obj;

  cli_close_stdin (p->client);
  obj = cli_next_disconnected (p->server, "goodbye", "client");
  g_assert_cmpint (ev_int (obj, "id"), ==, p->id);

  g_assert_cmpint (cli_wait_exit (p->client), ==, 0);
  cli_next_disconnected (p->client, NULL, "client");
  g_assert_cmpstr (p->client->errors->str, ==, "");
}

static void
test_client_sigint (Pair          *p,
                    gconstpointer  data)
{

  g_subprocess_send_signal (p->client->proc, SIGINT);
  cli_next_disconnected (p->server, "goodbye", "client");
  g_assert_cmpint (cli_wait_exit (p->client), ==, 0);
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
  g_assert_cmpstr (ev_str (obj, "reason"), ==, "shutdown");
  obj = cli_next_event (b, "bye");
  g_assert_cmpstr (ev_str (obj, "reason"), ==, "shutdown");

  g_assert_cmpint (cli_wait_exit (server), ==, 0);
  obj = cli_next_event (server, "shutdown");
  g_assert_cmpint (ev_int (obj, "clients"), ==, 2);
  cli_any_event (server, "disconnected", "reason", "shutdown");
  g_assert_cmpstr (server->errors->str, ==, "");

  /* BYE shutdown is a normal end for a client. */
  g_assert_cmpint (cli_wait_exit (a), ==, 0);
  g_assert_cmpint (cli_wait_exit (b), ==, 0);
  cli_next_disconnected (a, "shutdown", "server");
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

static const PairArgs timeout_args = {
  { "--interval", "50", "--timeout", "200", NULL }, { "--no-pong", NULL }
};

static void
test_timeout (Pair          *p,
              gconstpointer  data)
{
  JsonObject *obj;
  /* It hears the heartbeats but never answers them. */
  cli_next_event (p->client, "ping");

  cli_next_disconnected (p->server, "timeout", "server");
  g_assert_null (find_event (p->server, 0, NULL, "pong", NULL, NULL));
  g_assert_null (find_event (p->client, 0, NULL, "pong", NULL, NULL));

  obj = cli_next_event (p->client, "bye");
  g_assert_cmpstr (ev_str (obj, "reason"), ==, "timeout");
  g_assert_cmpint (cli_wait_exit (p->client), ==, 1);
  g_assert_cmpuint (count_lines (p->client->errors->str), ==, 1);
  g_assert_nonnull (strstr (p->client->errors->str, "timeout"));
}

static const PairArgs commands_args = { { NULL }, { "--name", "bob", NULL } };

static void
test_commands (Pair          *p,
               gconstpointer  data)
{
  g_autofree char *kick = NULL;
  g_autofree char *where = NULL;
  JsonObject *obj;
  JsonArray *clients;

  cli_next_event (p->server, "hello");

  cli_write_line (p->server, "/list");
  obj = cli_next_event (p->server, "clients");
  clients = json_object_get_array_member (obj, "clients");
  g_assert_cmpuint (json_array_get_length (clients), ==, 1);
  obj = json_array_get_object_element (clients, 0);
  g_assert_cmpint (ev_int (obj, "id"), ==, p->id);
  g_assert_cmpstr (ev_str (obj, "name"), ==, "bob");
  g_assert_cmpstr (ev_str (obj, "liveness"), ==, "alive");
  g_assert_true (g_str_has_prefix (ev_str (obj, "peer"), "127.0.0.1:"));

  /* A mistake is explained on stderr (stdout stays JSON) and changes nothing. */
  cli_write_line (p->server, "/bogus");
  wait_for (strstr (p->server->errors->str, "/bogus") != NULL);
  cli_write_line (p->server, "/send 9999 nobody");
  wait_for (strstr (p->server->errors->str, "9999") != NULL);
  cli_write_line (p->server, "/kick");
  wait_for (strstr (p->server->errors->str, "/kick ID") != NULL);

  kick = g_strdup_printf ("/kick %" G_GINT64_FORMAT, p->id);
  cli_write_line (p->server, kick);
  obj = cli_next_disconnected (p->server, "kicked", "server");
  g_assert_cmpint (ev_int (obj, "id"), ==, p->id);

  obj = cli_next_event (p->client, "bye");
  g_assert_cmpstr (ev_str (obj, "reason"), ==, "kicked");
  g_assert_cmpint (cli_wait_exit (p->client), ==, 1);
  where = g_strdup_printf ("127.0.0.1:%u", p->port);
  g_assert_cmpuint (count_lines (p->client->errors->str), ==, 1);
  g_assert_nonnull (strstr (p->client->errors->str, where));

  cli_write_line (p->server, "/list");
  obj = cli_next_event (p->server, "clients");
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
  g_assert_cmpstr (ev_str (obj, "name"), ==, "ann");
  g_assert_cmpstr (ev_str (obj, "text"), ==, "hello ben");
}

static const PairArgs protocol_error_args = { { "--max-line", "64", NULL }, { NULL } };

static void
test_protocol_error (Pair          *p,
                     gconstpointer  data)
{
  g_autofree char *long_line = NULL;
  JsonObject *obj;

  long_line = g_strnfill (100, 'x');
  cli_write_line (p->client, long_line);
  obj = cli_next_event (p->client, "error");
  g_assert_cmpstr (ev_str (obj, "code"), ==, "line-too-long");
  obj = cli_next_event (p->server, "error");
  g_assert_cmpstr (ev_str (obj, "code"), ==, "line-too-long");
  g_assert_nonnull (ev_str (obj, "text"));

  /* The connection survives. */
  cli_write_line (p->client, "short");
  cli_any_event (p->server, "message", "text", "short");
}

static const PairArgs reconnect_args = { { NULL }, { "--reconnect", NULL } };

static void
test_reconnect (Pair          *p,
                gconstpointer  data)
{
  JsonObject *obj;

  g_subprocess_send_signal (p->server->proc, SIGKILL);
  cli_next_disconnected (p->client, NULL, "server");
  obj = cli_next_event (p->client, "reconnecting");
  g_assert_cmpint (ev_int (obj, "attempt"), ==, 1);
  g_assert_cmpint (ev_int (obj, "delay_ms"), >, 0);
  g_assert_false (p->client->exited);

  /* The user giving up ends it normally. */
  cli_close_stdin (p->client);
  g_assert_cmpint (cli_wait_exit (p->client), ==, 0);
}

static void
test_human (void)
{
  g_autoptr(Cli) server = NULL;
  g_autoptr(Cli) client = NULL;
  g_autofree char *where = NULL;
  const char *line;
  guint port = 0;

  server = start_human_server (&port, "--interval", "50", NULL);
  /* The first line says where it listens. */
  g_assert_cmpstr (cli_wait_line (server, "listening on 127.0.0.1:"), ==, g_ptr_array_index (server->lines, 0));

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

    hb_assert_contains (all, "carol: hi", "→ pong rtt", "goodbye");
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
  port = (guint) ev_int (obj, "port");

  where = g_strdup_printf ("[::1]:%u", port);
  client = cli_spawn ("client", where, "--json", NULL);
  cli_next_event (client, "welcome");
  obj = cli_next_event (server, "connected");
  g_assert_true (g_str_has_prefix (ev_str (obj, "peer"), "[::1]:"));
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
  guint port;

  /* A client's text reaches the operator's terminal, and in relay mode
   * every other client's, only as visible escapes. */
  server = start_human_server (&port, "--relay", NULL);
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
    hb_assert_contains (c, "relayed from client mallory: \\x1b[2J", "<U+202E>");
    hb_assert_contains (srv, "mallory: \\x1b[2J", "\\r\\x1b[2Kserver: class is cancelled");
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
    hb_assert_contains (all, "broadcast: \\x1b[2J", "BYE x\\x1b[2J", "ignored a line no server may send");
  }
  obj = cli_any_event (json, "broadcast", NULL, NULL);
  g_assert_cmpstr (ev_str (obj, "text"), ==, evil);
  obj = cli_any_event (json, "error", "code", "bad-line");
  g_assert_nonnull (strstr (ev_str (obj, "line"), "garbage"));
}

static void
test_bind_beyond_loopback_warns (void)
{
  g_autoptr(Cli) server = cli_spawn ("server", "--bind", "0.0.0.0", "--port", "0", NULL);
  g_autoptr(Cli) local = cli_spawn ("server", "--port", "0", NULL);

  wait_for (server->lines->len >= 1 || server->exited);
  wait_for (local->lines->len >= 1 || local->exited);
  hb_assert_contains (server->errors->str, "warning: listening on 0.0.0.0:",
                                           "any machine that can reach this one can connect");
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
  g_test_add ("/cli/server/broadcast", Pair, NULL, pair_setup, test_broadcast, pair_teardown);
  g_test_add ("/cli/client/message", Pair, NULL, pair_setup, test_message_and_send, pair_teardown);
  g_test_add ("/cli/client/goodbye", Pair, NULL, pair_setup, test_goodbye, pair_teardown);
  g_test_add ("/cli/client/sigint", Pair, NULL, pair_setup, test_client_sigint, pair_teardown);
  g_test_add_func ("/cli/server/sigterm", test_sigterm);
  g_test_add_func ("/cli/server/quit", test_quit_command);
  g_test_add ("/cli/server/timeout", Pair, &timeout_args, pair_setup, test_timeout, pair_teardown);
  g_test_add ("/cli/server/commands", Pair, &commands_args, pair_setup, test_commands, pair_teardown);
  g_test_add_func ("/cli/server/stdin-eof", test_server_stdin_eof);
  g_test_add_func ("/cli/server/relay", test_relay);
  g_test_add ("/cli/client/protocol-error", Pair, &protocol_error_args, pair_setup, test_protocol_error,
              pair_teardown);
  g_test_add ("/cli/client/reconnect", Pair, &reconnect_args, pair_setup, test_reconnect, pair_teardown);
  g_test_add_func ("/cli/human", test_human);
  g_test_add_func ("/cli/ipv6", test_ipv6);
  g_test_add_func ("/cli/escapes-shown-safely", test_escapes_shown_safely);
  g_test_add_func ("/cli/client/server-lines-shown-safely", test_server_lines_shown_safely);
  g_test_add_func ("/cli/server/bind-beyond-loopback-warns", test_bind_beyond_loopback_warns);

  return g_test_run ();
}
