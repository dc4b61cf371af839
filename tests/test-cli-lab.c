/* test-cli-lab.c - heartbeat-lab-cli speaking the lab's protocol and raw TCP, against students' programs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The real binary as a teacher runs it: its server against the Python
 * client a student writes (tests/students/lab_client.py), its client
 * against a student's server (lab_server.py), and both against raw
 * sockets that cut, glue and flood the stream as TCP may.
 */

#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "hb-test-cli.h"

#define FLOOD_BYTES (100 * 1024 * 1024)

static char *
port_arg (guint port)
{
  return g_strdup_printf ("%u", port);
}

/* What a data event says of a read in the lab's protocol: how many acks
 * and messages it held, and whether it glued pieces together, split one
 * across reads, or holds a piece back for the next read. */
enum { NOT_GLUED, GLUED };
enum { NOT_SPLIT, SPLIT };
enum { NOT_HELD, HELD };

static void
assert_read (JsonObject *obj,
             gint64      acks,
             gint64      messages,
             gboolean    glued,
             gboolean    split,
             gboolean    held)
{
  g_assert_cmpint (ev_int (obj, "acks"), ==, acks);
  g_assert_cmpint (ev_int (obj, "messages"), ==, messages);
  g_assert_cmpint (ev_flag (obj, "glued"), ==, glued);
  g_assert_cmpint (ev_flag (obj, "split"), ==, split);
  g_assert_cmpint (ev_flag (obj, "held"), ==, held);
}

/* A blocking read of exactly @n bytes from a socket the test accepted. */
static char *
recv_exact (GSocket *socket,
            gsize    n)
{
  g_autofree char *buf = g_malloc0 (n + 1);
  gsize got = 0;

  g_socket_set_timeout (socket, hb_test_timeout_ms () / 1000);
  while (got < n)
    {
      g_autoptr(GError) error = NULL;
      gssize r = g_socket_receive (socket, buf + got, n - got, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpint (r, >, 0);
      got += r;
    }
  return g_steal_pointer (&buf);
}

/* ---------------------------------------------------------------------- */
/* Options                                                                 */

static void
test_help (void)
{
  g_autofree char *server_out = run_plain ("server", "--help", NULL);
  g_autofree char *client_out = run_plain ("client", "--help", NULL);
  for (guint i = 0; i < 2; i++)
    {
      const char *out = i == 0 ? server_out : client_out;

      hb_assert_contains (out, "--protocol=NAME", "--heartbeat-text=TEXT", "--heartbeat-hex=HEX", "--ack-text=TEXT",
                               "--ack-hex=HEX", "--line-ending=END", "--encoding=NAME");
    }
  g_assert_nonnull (strstr (server_out, "/beat ID [TEXT]"));
  g_assert_nonnull (strstr (client_out, "--timeout=MS"));
}

/* Each mistake is wrong usage (2): its own line naming the option, then
 * the hint to --help. Nothing starts. */
static void
test_usage (void)
{
  static const struct
  {
    const char *args[8];
    const char *error;
  } cases[] = {
    { { "server", "--heartbeat-text", "", NULL }, "--heartbeat-text is empty: it must be at least one byte" },
    { { "server", "--protocol", "lab", "--ack-text", "", NULL }, "--ack-text is empty: it must be at least one byte" },
    { { "client", "localhost", "--protocol", "lab", "--ack-text", "", NULL }, "--ack-text is empty" },
    { { "client", "localhost", "--heartbeat-text", "", NULL }, "--heartbeat-text is empty" },
    { { "server", "--heartbeat-text", "hb", "--heartbeat-hex", "6862", NULL },
      "--heartbeat-text and --heartbeat-hex are both given: choose one" },
    { { "server", "--protocol", "lab", "--ack-hex", "zz", NULL }, "--ack-hex: “zz” is not hexadecimal" },
    { { "client", "localhost", "--ack-hex", "686", NULL }, "--ack-hex: “686” is not hexadecimal" },
    { { "server", "--ack-hex", "", NULL }, "--ack-hex is empty" },
    { { "server", "--protocol", "tcp", NULL }, "--protocol: “tcp” is not heartbeat-lab, lab or raw" },
    { { "client", "localhost", "--line-ending", "cr", NULL }, "--line-ending: “cr” is not none, lf or crlf" },
    { { "client", "localhost", "--encoding", "latin1", NULL }, "--encoding: “latin1” is not utf-8 or gb18030" },
    { { "client", "localhost", "--protocol", "lab", "--timeout", "0", NULL }, "--timeout: " },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *err = NULL;
      g_autofree char *joined = g_strjoinv (" ", (char **) cases[i].args);
      g_autofree char *first = NULL;
      g_autofree char *hint = g_strdup_printf ("Try “heartbeat-lab-cli %s --help”", cases[i].args[0]);
      int status = run_sync (cases[i].args, NULL, &err);

      g_test_message ("heartbeat-lab-cli %s → %d: %s", joined, status, err);
      g_assert_cmpint (status, ==, 2);
      g_assert_cmpuint (count_lines (err), ==, 2);
      first = g_strconcat ("heartbeat-lab-cli: ", cases[i].error, NULL);
      g_assert_true (g_str_has_prefix (err, first));
      g_assert_nonnull (strstr (strchr (err, '\n'), hint));
    }
}

/* Options the chosen protocol ignores are accepted, each with a warning:
 * a script may pass the lab's settings whatever the protocol. */
static void
test_warnings (void)
{
  g_autoptr(Cli) server = NULL;
  g_autoptr(Cli) client = NULL;
  JsonObject *obj;
  guint port = 0;

  server = start_server (&port, "--protocol", "raw", "--heartbeat-text", "PING", "--interval", "500",
                         "--relay", NULL);
  wait_for (strstr (server->errors->str, "--relay") != NULL);
  g_assert_nonnull (strstr (server->errors->str,
                            "heartbeat-lab-cli: warning: --heartbeat-text has no effect with --protocol raw\n"));
  hb_assert_contains (server->errors->str, "warning: --interval has no effect with --protocol raw\n",
                                           "warning: --relay has no effect with --protocol raw\n");
  g_assert_cmpuint (count_lines (server->errors->str), ==, 3);

  client = start_client (port, "--protocol", "raw", "--name", "ann", "--timeout", "5000", "--no-pong", NULL);
  obj = cli_next_event (client, "connected");
  g_assert_cmpstr (ev_str (obj, "protocol"), ==, "raw");
  wait_for (count_lines (client->errors->str) == 3);
  hb_assert_contains (client->errors->str, "warning: --name has no effect with --protocol raw\n",
                                           "warning: --timeout has no effect with --protocol raw\n",
                                           "warning: --no-pong has no effect with --protocol raw\n");
}

/* ---------------------------------------------------------------------- */
/* The server                                                              */

/* The lab as it was: the student's client answers heartbeats, types 123,
 * reads the teacher's broadcast raw, and leaves with a FIN. */
static void
test_server_student_good (void)
{
  g_autoptr(Cli) server = NULL;
  g_autoptr(HbTestProc) student = NULL;
  g_autofree char *port_text = NULL;
  g_autofree char *send = NULL;
  JsonObject *obj;
  JsonNode *rtt;
  gint64 id;
  guint port = 0;

  server = start_server (&port, "--protocol", "lab", "--interval", "200", NULL);
  obj = json_node_get_object (g_ptr_array_index (server->events, 0));
  g_assert_cmpstr (ev_str (obj, "protocol"), ==, "lab");
  g_assert_cmpint (ev_int (obj, "interval_ms"), ==, 200);
  g_assert_cmpstr (ev_str (obj, "line_ending"), ==, "none");
  g_assert_cmpstr (ev_str (obj, "encoding"), ==, "utf-8");

  port_text = port_arg (port);
  student = hb_test_proc_student ("lab_client.py", "good", "127.0.0.1", port_text, NULL);
  hb_test_proc_wait_line (student, "connected");

  obj = cli_next_event (server, "connected");
  id = ev_int (obj, "id");
  g_assert_cmpstr (ev_str (obj, "protocol"), ==, "lab");

  /* The heartbeat answered: its read, then its RTT. */
  obj = cli_next_event (server, "ping");
  g_assert_cmpint (ev_int (obj, "seq"), ==, 1);
  obj = cli_next_event (server, "data");
  g_assert_cmpint (ev_int (obj, "id"), ==, id);
  g_assert_cmpint (ev_int (obj, "bytes"), ==, 13);
  g_assert_cmpstr (ev_str (obj, "text"), ==, "heartbeat ack");
  g_assert_cmpint (ev_int (obj, "more"), ==, 0);
  assert_read (obj, 1, 0, NOT_GLUED, NOT_SPLIT, NOT_HELD);
  obj = cli_next_event (server, "pong");
  g_assert_cmpint (ev_int (obj, "seq"), ==, 1);
  rtt = json_object_get_member (obj, "rtt_ms");
  g_assert_cmpint (json_node_get_value_type (rtt), ==, G_TYPE_DOUBLE);
  g_assert_cmpfloat (json_node_get_double (rtt), >=, 0.0);
  g_assert_cmpfloat (json_node_get_double (rtt), <, 1000.0);

  /* What the student types: three bytes, no newline. */
  hb_test_proc_write (student, "123\n");
  obj = cli_any_event (server, "message", "text", "123");
  g_assert_cmpint (ev_int (obj, "id"), ==, id);

  /* What the teacher types reaches the student raw. */
  cli_write_line (server, "456");
  obj = cli_any_event (server, "broadcast", "text", "456");
  g_assert_cmpint (ev_int (obj, "recipients"), ==, 1);
  hb_test_proc_wait_line (student, "服务器的群发消息为:456");

  send = g_strdup_printf ("/send %" G_GINT64_FORMAT " 你好", id);
  cli_write_line (server, send);
  cli_any_event (server, "sent", "text", "你好");
  hb_test_proc_wait_line (student, "服务器的群发消息为:你好");

  /* The student's input ends: it shuts down its side, and both FINs go. */
  hb_test_proc_close_stdin (student);
  obj = cli_any_event (server, "disconnected", NULL, NULL);
  g_assert_cmpint (ev_int (obj, "id"), ==, id);
  g_assert_cmpstr (ev_str (obj, "reason"), ==, "peer-closed");
  g_assert_cmpstr (ev_str (obj, "initiator"), ==, "client");
  g_assert_cmpstr (ev_str (obj, "close"), ==, "fin");
  g_assert_cmpint (hb_test_proc_wait_exit (student), ==, 0);

  /* No BYE and no WELCOME ever reached the student. */
  g_assert_false (hb_test_proc_has_line (student, "BYE"));
  g_assert_cmpstr (student->errors->str, ==, "");
  g_assert_cmpstr (server->errors->str, ==, "");
}

/* TCP keeps no message boundaries: the data events say how each read
 * cut or glued the student's sends. */
static void
test_server_glued_split (void)
{
  g_autoptr(Cli) server = NULL;
  g_autoptr(HbTestPeer) peer = NULL;
  JsonObject *obj;
  guint port = 0;

  server = start_server (&port, "--protocol", "lab", "--interval", "300", NULL);
  peer = hb_test_peer_new ("127.0.0.1", port);
  cli_next_event (server, "connected");
  cli_next_event (server, "ping");

  /* An ack glued to a message: one read, two pieces. */
  hb_test_peer_send (peer, "heartbeat ack123", -1);
  obj = cli_next_event (server, "data");
  g_assert_cmpint (ev_int (obj, "bytes"), ==, 16);
  g_assert_cmpstr (ev_str (obj, "text"), ==, "heartbeat ack123");
  assert_read (obj, 1, 1, GLUED, NOT_SPLIT, NOT_HELD);
  obj = cli_next_event (server, "pong");
  g_assert_cmpint (ev_int (obj, "seq"), ==, 1);
  obj = cli_next_event (server, "message");
  g_assert_cmpstr (ev_str (obj, "text"), ==, "123");

  /* An ack in two reads: the first is held, the second completes it. */
  hb_test_peer_send (peer, "heart", -1);
  obj = cli_next_event (server, "data");
  g_assert_cmpstr (ev_str (obj, "text"), ==, "heart");
  assert_read (obj, 0, 0, NOT_GLUED, SPLIT, HELD);
  hb_test_peer_send (peer, "beat ack", -1);
  obj = cli_next_event (server, "data");
  g_assert_cmpstr (ev_str (obj, "text"), ==, "beat ack");
  assert_read (obj, 1, 0, NOT_GLUED, SPLIT, NOT_HELD);

  /* Two acks in one read. */
  hb_test_peer_send (peer, "heartbeat ackheartbeat ack", -1);
  obj = cli_next_event (server, "data");
  assert_read (obj, 2, 0, GLUED, NOT_SPLIT, NOT_HELD);

  /* A long text is cut for showing between characters, not inside one. */
  {
    g_autoptr(GString) text = g_string_new ("a");

    for (guint i = 0; i < 3000; i++)
      g_string_append (text, "é");
    hb_test_peer_send (peer, text->str, text->len);
    obj = cli_next_event (server, "data");
    g_assert_cmpint (ev_int (obj, "bytes"), ==, 6001);
    g_assert_cmpuint (strlen (ev_str (obj, "text")), ==, 4095);
    g_assert_true (g_str_has_suffix (ev_str (obj, "text"), "é"));
    g_assert_cmpint (ev_int (obj, "more"), ==, 6001 - 4095);
  }

  /* Bytes that are not text come as hex, all of them. */
  hb_test_peer_send (peer, "\x1b[2J\0\xff", 6);
  obj = cli_next_event (server, "data");
  g_assert_cmpint (ev_int (obj, "bytes"), ==, 6);
  g_assert_false (json_object_has_member (obj, "text"));
  g_assert_cmpstr (ev_str (obj, "hex"), ==, "1b 5b 32 4a 00 ff");
  g_assert_cmpint (ev_int (obj, "messages"), ==, 1);
}

/* What a teacher reads: each read on its line, what it held explained,
 * and never a peer's control character on the terminal. */
static void
test_server_human (void)
{
  g_autoptr(Cli) server = NULL;
  g_autoptr(HbTestPeer) peer = NULL;
  g_autofree char *all = NULL;
  const char *line;
  guint port;

  server = start_human_server (&port, "--protocol", "lab", "--interval", "300", NULL);
  line = cli_wait_line (server, "listening on 127.0.0.1:");
  g_assert_nonnull (strstr (line, "the lab's protocol: “heartbeat” every 300 ms, answered by “heartbeat ack”"));

  peer = hb_test_peer_new ("127.0.0.1", port);
  cli_wait_line (server, "connected");
  /* The first heartbeat reached the peer. */
  wait_for (peer->bytes_in >= 9);

  hb_test_peer_send (peer, "heartbeat ack123", -1);
  line = cli_wait_line (server, "read 16 bytes");
  g_assert_nonnull (strstr (line, " [1] read 16 bytes from 127.0.0.1:"));
  g_assert_true (g_str_has_suffix (line, ": “heartbeat ack123” — 2 messages in one read: "
                                         "TCP keeps no message boundaries"));
  line = cli_wait_line (server, " → ack, rtt ");
  g_assert_nonnull (strstr (line, " [1] heartbeat "));
  cli_wait_line (server, ": 123");

  hb_test_peer_send (peer, "heart", -1);
  line = cli_wait_line (server, "read 5 bytes");
  g_assert_nonnull (strstr (line, "“heart” — a message split across reads: TCP keeps no message boundaries; "
                                  "its end may begin “heartbeat ack”, so it waits for the next read"));

  hb_test_peer_send (peer, "beat ack\x1b[31mred\xe2\x80\xae!", -1);
  line = cli_wait_line (server, "read 20 bytes");
  g_assert_nonnull (strstr (line, "“beat ack\\x1b[31mred<U+202E>!”"));

  hb_test_peer_shutdown_write (peer);
  line = cli_wait_line (server, "disconnected");
  g_assert_nonnull (strstr (line, "[1] disconnected: peer-closed (the client closed first; FIN both ways)"));

  all = cli_stdout (server);
  g_assert_null (strchr (all, '\x1b'));
  g_assert_null (strstr (all, "\xe2\x80\xae"));
}

/* Waits until the data events have counted @total bytes, for as long as
 * they keep coming. */
static void
wait_data_bytes (Cli     *cli,
                 guint64  total)
{
  guint64 seen = 0;
  gint64 deadline = 0;

  while (cli->data_bytes < total)
    {
      if (cli->data_bytes != seen)
        {
          seen = cli->data_bytes;
          deadline = g_get_monotonic_time () + (gint64) hb_test_timeout_ms () * 1000;
        }
      if ((cli->out_eof && cli->exited) || (deadline != 0 && !hb_test_iterate (deadline)))
        g_error ("the data events stopped at %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " bytes; stderr:\n%s",
                 cli->data_bytes, total, cli->errors->str);
      if (deadline == 0)
        {
          deadline = g_get_monotonic_time () + (gint64) hb_test_timeout_ms () * 1000;
          hb_test_iterate (deadline);
        }
    }
}

/* 100 MiB of binary and never an ack: the server keeps a bounded prefix
 * of each read, as hex, and says how much more came. */
static void
test_server_flood (void)
{
  static const char flood[] =
    "import os, socket, sys\n"
    "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n"
    "block = os.urandom(1 << 20)\n"
    "for _ in range(100):\n"
    "    s.sendall(block)\n"
    "s.shutdown(socket.SHUT_WR)\n"
    "while s.recv(65536):\n"
    "    pass\n"
    "s.close()\n";
  g_autoptr(Cli) server = NULL;
  g_autoptr(HbTestProc) peer = NULL;
  g_autofree char *port_text = NULL;
  const char *python = g_getenv ("HB_PYTHON");
  JsonObject *obj;
  guint64 peak_kb;
  guint port = 0;
  guint n_data = 0;

  server = start_server (&port, "--protocol", "lab", NULL);
  server->thin_after = 8;
  port_text = port_arg (port);
  {
    const char *argv[] = { python != NULL ? python : "python3", "-c", flood, port_text, NULL };

    peer = hb_test_proc_new (argv);
  }

  wait_data_bytes (server, FLOOD_BYTES);
  g_assert_cmpuint (server->data_bytes, ==, FLOOD_BYTES);
  obj = cli_any_event (server, "disconnected", NULL, NULL);
  g_assert_cmpstr (ev_str (obj, "close"), ==, "fin");
  g_assert_cmpint (hb_test_proc_wait_exit (peer), ==, 0);

  /* The server never held much of it: the peak of its resident memory. */
  peak_kb = cli_status_kb (server, "VmHWM");
  g_test_message ("server's peak RSS: %" G_GUINT64_FORMAT " kB; output %" G_GUINT64_FORMAT
                  " bytes in %u data events, longest line %" G_GSIZE_FORMAT,
                  peak_kb, server->out_bytes, cli_count (server, "data"), server->longest_line);
  g_assert_cmpuint (peak_kb, <, (64 * 1024 * 1024 + HB_TEST_MEMORY_SLACK) / 1024);

  /* Bounded output: each event small, all of it less than what came. */
  g_assert_cmpuint (server->longest_line, <, 32 * 1024);
  g_assert_cmpuint (server->out_bytes, <, FLOOD_BYTES);
  for (guint i = 0; i < server->events->len; i++)
    {
      JsonObject *event = json_node_get_object (g_ptr_array_index (server->events, i));
      gint64 bytes;

      if (g_strcmp0 (ev_str (event, "event"), "data") != 0)
        continue;
      n_data++;
      bytes = ev_int (event, "bytes");
      /* Random bytes are binary: hex, at most HB_CHUNK_SHOW_MAX of them. */
      g_assert_false (json_object_has_member (event, "text"));
      g_assert_cmpuint (strlen (ev_str (event, "hex")), ==, MIN (bytes, 4096) * 3 - 1);
      g_assert_cmpint (ev_int (event, "more"), ==, bytes - MIN (bytes, 4096));
      g_assert_cmpint (ev_int (event, "acks"), ==, 0);
    }
  g_assert_cmpuint (n_data, ==, 8);
  g_assert_cmpuint (cli_count (server, "pong"), ==, 0);
  g_assert_cmpstr (server->errors->str, ==, "");
}

/* Raw TCP on both sides: no heartbeat anywhere, bytes as they are typed,
 * the line ending chosen. */
static void
test_raw (void)
{
  g_autoptr(Cli) server = NULL;
  g_autoptr(Cli) client = NULL;
  g_autoptr(HbTestPeer) peer = NULL;
  JsonObject *obj;
  gint64 client_id;
  gint64 peer_id;
  guint port = 0;

  server = start_server (&port, "--protocol", "raw", "--line-ending", "crlf", NULL);
  obj = json_node_get_object (g_ptr_array_index (server->events, 0));
  g_assert_cmpstr (ev_str (obj, "protocol"), ==, "raw");
  g_assert_true (json_object_get_null_member (obj, "interval_ms"));
  g_assert_true (json_object_get_null_member (obj, "timeout_ms"));
  g_assert_cmpstr (ev_str (obj, "line_ending"), ==, "crlf");

  client = start_client (port, "--protocol", "raw", NULL);
  obj = cli_next_event (client, "connected");
  g_assert_cmpstr (ev_str (obj, "protocol"), ==, "raw");
  obj = cli_next_event (server, "connected");
  g_assert_cmpstr (ev_str (obj, "protocol"), ==, "raw");
  client_id = ev_int (obj, "id");

  /* With no line ending an empty line is no bytes: nothing is sent. */
  cli_write_line (client, "");
  wait_for (strstr (client->errors->str, "nothing sent") != NULL);
  cli_write_line (client, "hello");
  obj = cli_next_event (server, "data");
  g_assert_cmpstr (ev_str (obj, "text"), ==, "hello");
  g_assert_cmpint (ev_int (obj, "id"), ==, client_id);
  g_assert_cmpint (ev_int (obj, "bytes"), ==, 5);
  /* Raw TCP looks for nothing in the stream. */
  g_assert_false (json_object_has_member (obj, "acks"));
  g_assert_false (json_object_has_member (obj, "glued"));

  cli_write_line (server, "hi there");
  obj = cli_any_event (client, "data", "text", "hi there\r\n");
  g_assert_cmpint (ev_int (obj, "bytes"), ==, 10);
  g_assert_false (json_object_has_member (obj, "id"));
  g_assert_false (json_object_has_member (obj, "heartbeats"));

  peer = hb_test_peer_new ("127.0.0.1", port);
  peer_id = ev_int (cli_next_event (server, "connected"), "id");
  hb_test_peer_send (peer, "\x00\x01\xfe\xff", 4);
  obj = cli_any_event (server, "data", "hex", "00 01 fe ff");
  g_assert_cmpint (ev_int (obj, "id"), ==, peer_id);

  g_assert_null (find_event (server, 0, NULL, "ping", NULL, NULL));
  g_assert_null (find_event (server, 0, NULL, "message", NULL, NULL));
  g_assert_null (find_event (client, 0, NULL, "ping", NULL, NULL));
  g_assert_null (find_event (client, 0, NULL, "welcome", NULL, NULL));

  cli_close_stdin (client);
  g_assert_cmpint (cli_wait_exit (client), ==, 0);
  obj = cli_next_event (server, "disconnected");
  g_assert_cmpint (ev_int (obj, "id"), ==, client_id);
  g_assert_cmpstr (ev_str (obj, "close"), ==, "fin");
  g_assert_cmpuint (count_lines (client->errors->str), ==, 1);
}

/* Text in GB18030, as a program on a Chinese Windows sends it. */
static void
test_server_gb18030 (void)
{
  g_autoptr(Cli) server = NULL;
  g_autoptr(HbTestPeer) peer = NULL;
  JsonObject *obj;
  guint port = 0;

  server = start_server (&port, "--protocol", "lab", "--encoding", "gb18030", "--line-ending", "lf", NULL);
  peer = hb_test_peer_new ("127.0.0.1", port);
  cli_next_event (server, "connected");

  hb_test_peer_send (peer, "\xc4\xe3\xba\xc3\n", -1);  /* 你好 */
  obj = cli_any_event (server, "data", "text", "你好\n");
  g_assert_cmpint (ev_int (obj, "bytes"), ==, 5);
  cli_any_event (server, "message", "text", "你好");

  cli_write_line (server, "再见");
  g_assert_cmpstr (hb_test_peer_wait_line (peer), ==, "\xd4\xd9\xbc\xfb");
}

/* /beat glues a message to a heartbeat: the classic student's client,
 * which wants one recv() per send(), misses it. */
static void
test_server_beat (void)
{
  g_autoptr(Cli) server = NULL;
  g_autoptr(HbTestProc) student = NULL;
  g_autofree char *port_text = NULL;
  g_autofree char *beat = NULL;
  JsonObject *obj;
  gint64 id;
  guint port = 0;

  server = start_server (&port, "--protocol", "lab", "--interval", "60000", "--timeout", "120000", NULL);
  port_text = port_arg (port);
  student = hb_test_proc_student ("lab_client.py", "exact", "127.0.0.1", port_text, NULL);
  id = ev_int (cli_next_event (server, "connected"), "id");

  beat = g_strdup_printf ("/beat %" G_GINT64_FORMAT " 456", id);
  cli_write_line (server, beat);
  obj = cli_next_event (server, "beat");
  g_assert_cmpint (ev_int (obj, "id"), ==, id);
  g_assert_cmpstr (ev_str (obj, "text"), ==, "456");
  hb_test_proc_wait_line (student, "服务器的群发消息为:heartbeat456");

  cli_write_line (server, "/beat 999");
  wait_for (strstr (server->errors->str, "no client with id 999") != NULL);
}

/* ---------------------------------------------------------------------- */
/* The client                                                              */

static HbTestProc *
start_student_server (guint *port)
{
  HbTestProc *student = hb_test_proc_student ("lab_server.py", "good", "0", "0.2", NULL);
  const char *line = hb_test_proc_wait_line (student, "listening");

  *port = (guint) g_ascii_strtoull (line + strlen ("listening "), NULL, 10);
  g_assert_cmpuint (*port, >, 0);
  return student;
}

/* A student's server: its heartbeats answered, its broadcast shown, what
 * is typed reaching it. */
static void
test_client_student_good (void)
{
  g_autoptr(HbTestProc) student = NULL;
  g_autoptr(Cli) client = NULL;
  JsonObject *obj;
  guint port = 0;

  student = start_student_server (&port);
  client = start_client (port, "--protocol", "lab", NULL);
  obj = cli_next_event (client, "connected");
  g_assert_cmpstr (ev_str (obj, "protocol"), ==, "lab");

  obj = cli_next_event (client, "data");
  g_assert_cmpstr (ev_str (obj, "text"), ==, "heartbeat");
  g_assert_cmpint (ev_int (obj, "heartbeats"), ==, 1);
  g_assert_cmpint (ev_int (obj, "messages"), ==, 0);
  g_assert_false (json_object_has_member (obj, "id"));
  obj = cli_next_event (client, "ping");
  g_assert_cmpint (ev_int (obj, "seq"), ==, 1);
  obj = cli_next_event (client, "pong");
  g_assert_cmpint (ev_int (obj, "seq"), ==, 1);
  g_assert_null (find_event (client, 0, NULL, "welcome", NULL, NULL));

  cli_write_line (client, "hello");
  hb_test_proc_wait_line (student, ": hello");

  hb_test_proc_write (student, "456\n");
  cli_any_event (client, "message", "text", "456");
  /* The heartbeats go on being answered. */
  obj = cli_next_event (client, "pong");
  g_assert_cmpint (ev_int (obj, "seq"), >=, 2);

  cli_close_stdin (client);
  g_assert_cmpint (cli_wait_exit (client), ==, 0);
  obj = cli_any_event (client, "disconnected", NULL, NULL);
  g_assert_cmpstr (ev_str (obj, "initiator"), ==, "client");
  g_assert_cmpstr (client->errors->str, ==, "");
}

static void
test_client_human (void)
{
  g_autoptr(HbTestProc) student = NULL;
  g_autoptr(Cli) client = NULL;
  g_autofree char *where = NULL;
  g_autofree char *read = NULL;
  guint port = 0;

  student = start_student_server (&port);
  where = g_strdup_printf ("127.0.0.1:%u", port);
  client = cli_spawn ("client", where, "--protocol", "lab", NULL);
  cli_wait_line (client, "the lab's protocol: “heartbeat” is answered with “heartbeat ack”");
  read = g_strdup_printf (" read 9 bytes from %s: “heartbeat”", where);
  cli_wait_line (client, read);
  cli_wait_line (client, " heartbeat 1 → ack");

  hb_test_proc_write (student, "456\n");
  cli_wait_line (client, " server: 456");

  cli_close_stdin (client);
  g_assert_cmpint (cli_wait_exit (client), ==, 0);
  g_assert_cmpstr (client->errors->str, ==, "");
}

/* A server silent for --timeout is declared dead: exit 1, one line. */
static void
test_client_server_silent (void)
{
  g_autoptr(GSocketListener) listener = NULL;
  g_autoptr(Cli) client = NULL;
  g_autofree char *where = NULL;
  guint port = 0;

  listener = bind_loopback (&port);
  client = start_client (port, "--protocol", "lab", "--timeout", "300", NULL);
  cli_next_event (client, "connected");
  cli_next_disconnected (client, "server-timeout", "client");
  g_assert_cmpint (cli_wait_exit (client), ==, 1);
  where = g_strdup_printf ("127.0.0.1:%u", port);
  g_assert_cmpuint (count_lines (client->errors->str), ==, 1);
  g_assert_nonnull (strstr (client->errors->str, where));
  g_socket_listener_close (listener);
}

/* The client, started with the test's data (its arguments) against a
 * listener of the test's, and the connection accepted from it: the test
 * is the server, byte by byte. */
typedef struct
{
  GSocketListener   *listener;
  GSocketConnection *conn;
  GSocket           *socket;
  Cli               *client;
} Accepted;

static void
accepted_setup (Accepted      *a,
                gconstpointer  args)
{
  g_autoptr(GError) error = NULL;
  guint port = 0;

  a->listener = bind_loopback (&port);
  a->client = start_clientv (port, args);
  a->conn = g_socket_listener_accept (a->listener, NULL, NULL, &error);
  g_assert_no_error (error);
  a->socket = g_socket_connection_get_socket (a->conn);
}

static void
accepted_teardown (Accepted      *a,
                   gconstpointer  args)
{
  g_clear_pointer (&a->client, cli_free);
  g_clear_object (&a->conn);
  g_socket_listener_close (a->listener);
  g_clear_object (&a->listener);
}

/* The lab's protocol has no BYE: a server's FIN is how it ends a
 * conversation, and a normal end for the client. */

static void
test_client_server_fin (Accepted      *a,
                        gconstpointer  args)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ack = NULL;
  JsonObject *obj;

  g_socket_send (a->socket, "hb", 2, NULL, &error);
  g_assert_no_error (error);
  ack = recv_exact (a->socket, 2);
  g_assert_cmpstr (ack, ==, "ok");
  obj = cli_next_event (a->client, "data");
  g_assert_cmpint (ev_int (obj, "heartbeats"), ==, 1);

  g_io_stream_close (G_IO_STREAM (a->conn), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cli_wait_exit (a->client), ==, 0);
  cli_next_disconnected (a->client, "peer-closed", "server");
  g_assert_cmpstr (a->client->errors->str, ==, "");
}

/* What is typed goes out in GB18030 with CR LF; what comes is decoded. */

static void
test_client_raw_gb18030 (Accepted      *a,
                         gconstpointer  args)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *typed = NULL;
  JsonObject *obj;
  char buf[16];

  cli_next_event (a->client, "connected");

  cli_write_line (a->client, "你好");
  typed = recv_exact (a->socket, 6);
  g_assert_cmpmem (typed, 6, "\xc4\xe3\xba\xc3\r\n", 6);

  g_socket_send (a->socket, "\xd4\xd9\xbc\xfb", 4, NULL, &error);
  g_assert_no_error (error);
  obj = cli_any_event (a->client, "data", "text", "再见");
  g_assert_cmpint (ev_int (obj, "bytes"), ==, 4);

  cli_close_stdin (a->client);
  g_assert_cmpint (g_socket_receive (a->socket, buf, sizeof buf, NULL, &error), ==, 0);
  g_assert_no_error (error);
  g_io_stream_close (G_IO_STREAM (a->conn), NULL, NULL);
  g_assert_cmpint (cli_wait_exit (a->client), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  /* The client's arguments, each test's data where the test accepts it. */
  static const char * const server_fin_args[] = {
    "--protocol", "lab", "--ack-text", "ok", "--heartbeat-hex", "68 62", NULL
  };
  static const char * const raw_gb18030_args[] = {
    "--protocol", "raw", "--encoding", "gb18030", "--line-ending", "crlf", NULL
  };

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli/lab/help", test_help);
  g_test_add_func ("/cli/lab/usage", test_usage);
  g_test_add_func ("/cli/lab/warnings", test_warnings);
  g_test_add_func ("/cli/lab/server/student-good", test_server_student_good);
  g_test_add_func ("/cli/lab/server/glued-split", test_server_glued_split);
  g_test_add_func ("/cli/lab/server/human", test_server_human);
  g_test_add_func ("/cli/lab/server/flood", test_server_flood);
  g_test_add_func ("/cli/lab/server/gb18030", test_server_gb18030);
  g_test_add_func ("/cli/lab/server/beat", test_server_beat);
  g_test_add_func ("/cli/lab/raw", test_raw);
  g_test_add_func ("/cli/lab/client/student-good", test_client_student_good);
  g_test_add_func ("/cli/lab/client/human", test_client_human);
  g_test_add_func ("/cli/lab/client/server-silent", test_client_server_silent);
  g_test_add ("/cli/lab/client/server-fin", Accepted, server_fin_args,
              accepted_setup, test_client_server_fin, accepted_teardown);
  g_test_add ("/cli/lab/client/raw-gb18030", Accepted, raw_gb18030_args,
              accepted_setup, test_client_raw_gb18030, accepted_teardown);

  return g_test_run ();
}
