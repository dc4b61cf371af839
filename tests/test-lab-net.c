/* test-lab-net.c - the lab's protocol and raw TCP over real sockets, against programs written as students write them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "heartbeat-lab.h"
#include "hb-test-server.h"
#include "hb-test-util.h"

typedef struct
{
  HbServer  *server;
  guint      port;
  GPtrArray *messages;     /* "id text" */
  GPtrArray *reads;        /* "id bytes p=N m=N [glued] [split] [held]" */
  GPtrArray *disconnects;  /* "id reason initiator" */
  GPtrArray *rtts;         /* gint64 µs as pointers, -1 unknown */
  guint64    bytes_read;
  gsize      longest_message;
} Fixture;

static void
on_message (HbServer *server, HbConnection *conn, const char *text, Fixture *f)
{
  f->longest_message = MAX (f->longest_message, strlen (text));
  /* A flood is counted, not kept. */
  if (f->messages->len < 1000)
    g_ptr_array_add (f->messages, g_strdup_printf ("%u %s", hb_connection_get_id (conn), text));
}

static void
on_data (HbServer *server, HbConnection *conn, GBytes *bytes, HbChunkInfo *info, Fixture *f)
{
  f->bytes_read += g_bytes_get_size (bytes);
  if (f->reads->len < 1000)
    g_ptr_array_add (f->reads, g_strdup_printf ("%u %" G_GSIZE_FORMAT " p=%u m=%u%s%s%s",
                                                hb_connection_get_id (conn), g_bytes_get_size (bytes),
                                                info->n_patterns, info->n_messages,
                                                info->glued ? " glued" : "",
                                                info->split ? " split" : "",
                                                info->held ? " held" : ""));
}

static void
on_pong (HbServer *server, HbConnection *conn, guint64 seq, gint64 rtt, Fixture *f)
{
  g_ptr_array_add (f->rtts, GINT_TO_POINTER ((gint) MAX (rtt, -1)));
}

static void
fixture_start (Fixture    *f,
               HbProtocol  protocol,
               guint       interval_ms,
               guint       timeout_ms)
{
  g_autoptr(GError) error = NULL;

  f->server = g_object_new (HB_TYPE_SERVER, "port", 0, "protocol", protocol,
                            "interval-ms", interval_ms, "timeout-ms", timeout_ms, NULL);
  f->messages = g_ptr_array_new_with_free_func (g_free);
  f->reads = g_ptr_array_new_with_free_func (g_free);
  f->disconnects = g_ptr_array_new_with_free_func (g_free);
  f->rtts = g_ptr_array_new ();
  g_signal_connect (f->server, "message", G_CALLBACK (on_message), f);
  g_signal_connect (f->server, "data-received", G_CALLBACK (on_data), f);
  hb_test_record_disconnects (f->server, f->disconnects);
  g_signal_connect (f->server, "pong", G_CALLBACK (on_pong), f);
  g_assert_true (hb_server_start (f->server, &error));
  g_assert_no_error (error);
  f->port = hb_server_get_port (f->server);
}

static void
fixture_stop (Fixture *f)
{
  hb_test_server_shutdown (f->server, 500);
  g_assert_finalize_object (f->server);
  g_ptr_array_unref (f->messages);
  g_ptr_array_unref (f->reads);
  g_ptr_array_unref (f->disconnects);
  g_ptr_array_unref (f->rtts);
}

/* What fixture_start() started, stopped after the test (if it got so far). */
static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->server != NULL)
    fixture_stop (f);
}

static char *
port_string (guint port)
{
  return g_strdup_printf ("%u", port);
}

/* ---------------------------------------------------------------------- */
/* The server, with the students' clients                                  */

static void
test_server_student_client (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *port = NULL;
  g_autoptr(HbTestProc) student = NULL;
  HbConnection *conn;

  fixture_start (f, HB_PROTOCOL_LAB, 200, 5000);
  port = port_string (f->port);
  student = hb_test_proc_student ("lab_client.py", "good", "127.0.0.1", port, NULL);
  hb_test_proc_wait_line (student, "connected");
  hb_assert_eventually (hb_server_get_n_clients (f->server) == 1);
  conn = hb_server_lookup (f->server, 1);
  g_assert_cmpint (hb_connection_get_protocol (conn), ==, HB_PROTOCOL_LAB);

  /* Its `heartbeat ack` answers the server's `heartbeat`, with an RTT. */
  hb_assert_eventually (f->rtts->len >= 2);
  g_assert_cmpint (GPOINTER_TO_INT (g_ptr_array_index (f->rtts, 0)), >=, 0);
  g_assert_cmpint (hb_connection_get_liveness (conn), ==, HB_LIVENESS_ALIVE);
  g_assert_cmpint (hb_connection_get_rtt_last (conn), >=, 0);

  /* What the student types reaches the server as a message, raw. */
  hb_test_proc_write (student, "123\n");
  hb_assert_eventually (hb_test_has_string (f->messages, "1 123"));

  /* And the operator's broadcast reaches the student as its bytes. */
  g_assert_cmpuint (hb_server_broadcast (f->server, "456"), ==, 1);
  hb_test_proc_wait_line (student, "服务器的群发消息为:456");

  /* The end of its input closes with FIN: the client closed first. */
  hb_test_proc_close_stdin (student);
  hb_assert_eventually (f->disconnects->len == 1);
  g_assert_cmpstr (g_ptr_array_index (f->disconnects, 0), ==, "1 peer-closed peer");
  g_assert_cmpint (hb_test_proc_wait_exit (student), ==, 0);
}

static void
test_server_glued_and_split (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(HbTestPeer) peer = NULL;
  HbConnection *conn;

  fixture_start (f, HB_PROTOCOL_LAB, 200, 5000);
  peer = hb_test_peer_new ("127.0.0.1", f->port);
  hb_assert_eventually (hb_server_get_n_clients (f->server) == 1);
  conn = hb_server_lookup (f->server, 1);

  /* No WELCOME: the first bytes are the first heartbeat. */
  hb_assert_eventually (peer->bytes_in > 0);
  g_assert_cmpstr (peer->partial->str, ==, "heartbeat");
  g_assert_cmpuint (peer->lines->len, ==, 0);

  /* An ack glued to a message is one ack and one message. */
  hb_test_peer_send (peer, "heartbeat ack123", -1);
  hb_assert_eventually (f->rtts->len == 1 && f->messages->len == 1);
  g_assert_cmpint (GPOINTER_TO_INT (g_ptr_array_index (f->rtts, 0)), >=, 0);
  g_assert_cmpstr (g_ptr_array_index (f->messages, 0), ==, "1 123");
  g_assert_cmpstr (g_ptr_array_index (f->reads, 0), ==, "1 16 p=1 m=1 glued");

  /* An ack in two reads is one ack. */
  hb_assert_eventually (hb_connection_get_pings_sent (conn) >= 2 &&
                        hb_connection_get_last_ping (conn) > 0 &&
                        hb_test_count (peer->partial->str, "heartbeat") >= 2);
  hb_test_peer_send (peer, "heart", -1);
  hb_assert_eventually (f->reads->len == 2);
  g_assert_cmpstr (g_ptr_array_index (f->reads, 1), ==, "1 5 p=0 m=0 split held");
  hb_test_peer_send (peer, "beat ack", -1);
  hb_assert_eventually (f->rtts->len == 2);
  g_assert_cmpstr (g_ptr_array_index (f->reads, 2), ==, "1 8 p=1 m=0 split");
  g_assert_cmpuint (f->messages->len, ==, 1);

  /* Two in one read are two. */
  hb_test_peer_send (peer, "heartbeat ackheartbeat ack", -1);
  hb_assert_eventually (f->rtts->len == 4);
  g_assert_cmpuint (hb_connection_get_pongs_received (conn), ==, 4);

  /* A message that looks like the start of an ack is held a moment,
   * then shown whole. */
  hb_test_peer_send (peer, "oh", -1);
  hb_assert_eventually (f->messages->len == 2);
  g_assert_cmpstr (g_ptr_array_index (f->messages, 1), ==, "1 oh");
}

static void
test_server_silent_client (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *port = NULL;
  g_autoptr(HbTestProc) student = NULL;
  g_autoptr(HbTestPeer) peer = NULL;
  HbConnection *conn;

  /* A student client that never answers: late, then dead, and closed
   * with a FIN alone, for the lab's protocol has no BYE. */
  fixture_start (f, HB_PROTOCOL_LAB, 100, 600);
  port = port_string (f->port);
  student = hb_test_proc_student ("lab_client.py", "silent", "127.0.0.1", port, NULL);
  hb_test_proc_wait_line (student, "connected");
  hb_assert_eventually (hb_server_get_n_clients (f->server) == 1);
  conn = g_object_ref (hb_server_lookup (f->server, 1));
  hb_assert_eventually (hb_connection_get_liveness (conn) != HB_LIVENESS_ALIVE);
  hb_assert_eventually (f->disconnects->len == 1);
  g_assert_cmpstr (g_ptr_array_index (f->disconnects, 0), ==, "1 timeout local");
  g_assert_cmpint (hb_connection_get_liveness (conn), ==, HB_LIVENESS_DEAD);
  g_object_unref (conn);

  /* What a raw peer reads before the FIN: heartbeats and nothing else. */
  peer = hb_test_peer_new ("127.0.0.1", f->port);
  hb_test_peer_wait_eof (peer);
  g_assert_cmpuint (peer->lines->len, ==, 0);
  g_assert_cmpuint (strlen (peer->partial->str), ==, 9 * hb_test_count (peer->partial->str, "heartbeat"));
  g_assert_false (peer->reset);
}

static gsize
resident_bytes (void)
{
  g_autofree char *text = NULL;
  unsigned long size = 0, resident = 0;

  g_assert_true (g_file_get_contents ("/proc/self/statm", &text, NULL, NULL));
  g_assert_cmpint (sscanf (text, "%lu %lu", &size, &resident), ==, 2);
  return (gsize) resident * sysconf (_SC_PAGESIZE);
}

static void
test_server_flood_bounded (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(HbTestPeer) peer = NULL;
  g_autofree char *junk = g_malloc (1024 * 1024);
  gsize before;
  const guint mib = 100;

  /* A peer that sends 100 MiB of binary and never the ack: everything is
   * read and counted, nothing grows with it. */
  fixture_start (f, HB_PROTOCOL_LAB, 60000, 60000);
  peer = hb_test_peer_new ("127.0.0.1", f->port);
  hb_assert_eventually (hb_server_get_n_clients (f->server) == 1);
  for (gsize i = 0; i < 1024 * 1024; i++)
    junk[i] = (char) (i * 7919 % 251);

  before = resident_bytes ();
  g_socket_set_blocking (peer->socket, TRUE);
  for (guint i = 0; i < mib; i++)
    {
      hb_test_peer_send (peer, junk, 1024 * 1024);
      hb_assert_eventually (f->bytes_read >= (guint64) (i + 1) * 1024 * 1024 - 64 * 1024);
    }
  hb_assert_eventually (f->bytes_read == (guint64) mib * 1024 * 1024);
  g_assert_cmpuint (resident_bytes (), <, before + 16 * 1024 * 1024 + HB_TEST_MEMORY_SLACK);
  g_assert_cmpuint (f->longest_message, <, HB_CHUNK_SHOW_MAX * 5);
  /* Binary that does not decode is shown as escapes. */
  g_assert_nonnull (strstr (g_ptr_array_index (f->messages, 0), "\\x"));
  g_assert_nonnull (strstr (g_ptr_array_index (f->messages, 0), "more bytes)"));
  g_assert_cmpuint (hb_server_get_n_clients (f->server), ==, 1);
}

static void
test_server_message_flood (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(HbTestPeer) peer = NULL;
  g_autoptr(GString) flood = g_string_new (NULL);

  /* 100,000 one-letter messages as fast as TCP carries them: every read
   * is still announced, but messages past the rate limit are not, one
   * signal (and one log row) each. */
  fixture_start (f, HB_PROTOCOL_LAB, 60000, 60000);
  g_object_set (f->server, "line-ending", HB_LINE_ENDING_LF, NULL);
  peer = hb_test_peer_new ("127.0.0.1", f->port);
  hb_assert_eventually (hb_server_get_n_clients (f->server) == 1);
  for (guint i = 0; i < 100000; i++)
    g_string_append (flood, "a\n");
  g_socket_set_blocking (peer->socket, TRUE);
  hb_test_peer_send (peer, flood->str, flood->len);
  hb_assert_eventually (f->bytes_read == flood->len);
  g_assert_cmpuint (f->messages->len, >=, 200);   /* the burst allowance */
  g_assert_cmpuint (f->messages->len, <, 1000);
  g_assert_cmpuint (hb_server_get_n_clients (f->server), ==, 1);
}

static void
test_server_late_ack_untimed (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(HbTestPeer) peer = NULL;
  guint seen;

  /* An ack that comes while two heartbeats wait could answer either: it
   * counts, but no RTT is made up for it. One that comes while one waits
   * is timed. */
  fixture_start (f, HB_PROTOCOL_LAB, 300, 10000);
  peer = hb_test_peer_new ("127.0.0.1", f->port);
  hb_assert_eventually (hb_test_count (peer->partial->str, "heartbeat") >= 2);
  hb_test_peer_send (peer, "heartbeat ack", -1);
  hb_assert_eventually (f->rtts->len == 1);
  g_assert_cmpint (GPOINTER_TO_INT (g_ptr_array_index (f->rtts, 0)), ==, -1);
  g_assert_cmpint (hb_connection_get_liveness (hb_server_lookup (f->server, 1)), ==, HB_LIVENESS_ALIVE);

  seen = hb_test_count (peer->partial->str, "heartbeat");
  hb_assert_eventually (hb_test_count (peer->partial->str, "heartbeat") == seen + 1);
  hb_test_peer_send (peer, "heartbeat ack", -1);
  hb_assert_eventually (f->rtts->len == 2);
  g_assert_cmpint (GPOINTER_TO_INT (g_ptr_array_index (f->rtts, 1)), >=, 0);
}

static void
test_server_gb18030 (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(HbTestPeer) peer = NULL;

  /* A program on a Chinese Windows sends GB18030: 你好 is C4 E3 BA C3. */
  fixture_start (f, HB_PROTOCOL_LAB, 60000, 60000);
  g_object_set (f->server, "encoding", HB_ENCODING_GB18030, "line-ending", HB_LINE_ENDING_CRLF, NULL);
  peer = hb_test_peer_new ("127.0.0.1", f->port);
  hb_assert_eventually (hb_server_get_n_clients (f->server) == 1);
  hb_test_peer_send (peer, "\xc4\xe3\xba\xc3\r\n", -1);
  hb_assert_eventually (f->messages->len == 1);
  g_assert_cmpstr (g_ptr_array_index (f->messages, 0), ==, "1 \xe4\xbd\xa0\xe5\xa5\xbd");

  hb_server_broadcast (f->server, "\xe5\x86\x8d\xe8\xa7\x81");  /* 再见 */
  hb_assert_eventually (peer->lines->len == 1);
  g_assert_cmpstr (g_ptr_array_index (peer->lines, 0), ==, "\xd4\xd9\xbc\xfb\r");
}

static void
test_server_beat_now_glued (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *port = NULL;
  g_autoptr(HbTestProc) good = NULL;
  g_autoptr(HbTestProc) exact = NULL;

  /* The heartbeat and a broadcast in one write, as a student's recv()
   * often gets them: the careful client answers, the classic bug does
   * not. */
  fixture_start (f, HB_PROTOCOL_LAB, 60000, 60000);
  port = port_string (f->port);
  good = hb_test_proc_student ("lab_client.py", "good", "127.0.0.1", port, NULL);
  hb_test_proc_wait_line (good, "connected");
  exact = hb_test_proc_student ("lab_client.py", "exact", "127.0.0.1", port, NULL);
  hb_test_proc_wait_line (exact, "connected");
  hb_assert_eventually (hb_server_get_n_clients (f->server) == 2);

  g_assert_true (hb_server_beat_now (f->server, 1, "456"));
  g_assert_true (hb_server_beat_now (f->server, 2, "456"));
  hb_test_proc_wait_line (good, "服务器的群发消息为:456");
  hb_test_proc_wait_line (exact, "服务器的群发消息为:heartbeat456");
  hb_assert_eventually (hb_connection_get_pongs_received (hb_server_lookup (f->server, 1)) == 1);

  /* Barrier: a plain heartbeat to the buggy one is answered, so its
   * silence about the glued one is settled. */
  g_assert_true (hb_server_beat_now (f->server, 2, NULL));
  hb_assert_eventually (hb_connection_get_pongs_received (hb_server_lookup (f->server, 2)) == 1);
  g_assert_cmpuint (hb_connection_get_missed (hb_server_lookup (f->server, 2)), ==, 1);
  g_assert_cmpuint (hb_connection_get_missed (hb_server_lookup (f->server, 1)), ==, 0);
}

static void
test_server_raw (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(HbTestPeer) peer = NULL;

  /* Raw TCP: no heartbeat, nothing judged, every read shown. */
  fixture_start (f, HB_PROTOCOL_RAW, 50, 200);
  g_object_set (f->server, "line-ending", HB_LINE_ENDING_LF, NULL);
  peer = hb_test_peer_new ("127.0.0.1", f->port);
  hb_assert_eventually (hb_server_get_n_clients (f->server) == 1);
  hb_test_peer_send (peer, "GET / HTTP/1.0\r\n\r\n", -1);
  hb_assert_eventually (f->reads->len == 1);
  g_assert_cmpstr (g_ptr_array_index (f->reads, 0), ==, "1 18 p=0 m=0");
  g_assert_cmpuint (f->messages->len, ==, 0);

  hb_test_await_heartbeats (50, 10);  /* ten intervals, two timeouts: nothing happens */
  g_assert_cmpuint (peer->bytes_in, ==, 0);
  g_assert_cmpuint (f->disconnects->len, ==, 0);

  hb_server_send (f->server, 1, "hello");
  hb_assert_eventually (peer->lines->len == 1);
  g_assert_cmpstr (g_ptr_array_index (peer->lines, 0), ==, "hello");
  g_assert_true (hb_server_kick (f->server, 1));
  hb_test_peer_wait_eof (peer);
  g_assert_cmpuint (peer->bytes_in, ==, 6);  /* no BYE: only the FIN */
}

/* ---------------------------------------------------------------------- */
/* The client, with the students' servers                                  */

typedef struct
{
  GPtrArray *messages;
  GPtrArray *reads;
  guint      pings;
  guint      pongs_sent;
  gboolean   disconnected;
  HbByeReason reason;
} ClientLog;

static void
client_on_message (HbClient *client, HbVerb kind, const char *sender, const char *text, ClientLog *log)
{
  g_ptr_array_add (log->messages, g_strdup (text));
}

static void
client_on_data (HbClient *client, GBytes *bytes, HbChunkInfo *info, ClientLog *log)
{
  g_ptr_array_add (log->reads, g_strdup_printf ("%" G_GSIZE_FORMAT " p=%u m=%u%s",
                                                g_bytes_get_size (bytes), info->n_patterns,
                                                info->n_messages, info->glued ? " glued" : ""));
}

static void
client_on_ping (HbClient *client, guint64 seq, ClientLog *log)
{
  log->pings++;
}

static void
client_on_pong_sent (HbClient *client, guint64 seq, ClientLog *log)
{
  log->pongs_sent++;
}

static void
client_on_disconnected (HbClient *client, HbByeReason reason, HbInitiator initiator,
                        const char *detail, ClientLog *log)
{
  log->disconnected = TRUE;
  log->reason = reason;
}

static HbClient *
lab_client_new (guint      port,
                ClientLog *log)
{
  HbClient *client = hb_client_new ("127.0.0.1", port, "alice");

  log->messages = g_ptr_array_new_with_free_func (g_free);
  log->reads = g_ptr_array_new_with_free_func (g_free);
  g_object_set (client, "protocol", HB_PROTOCOL_LAB, NULL);
  g_signal_connect (client, "message", G_CALLBACK (client_on_message), log);
  g_signal_connect (client, "data-received", G_CALLBACK (client_on_data), log);
  g_signal_connect (client, "ping", G_CALLBACK (client_on_ping), log);
  g_signal_connect (client, "pong-sent", G_CALLBACK (client_on_pong_sent), log);
  g_signal_connect (client, "disconnected", G_CALLBACK (client_on_disconnected), log);
  return client;
}

static void
client_log_clear (ClientLog *log)
{
  g_ptr_array_unref (log->messages);
  g_ptr_array_unref (log->reads);
}

static guint
listening_port (HbTestProc *server)
{
  const char *line = hb_test_proc_wait_line (server, "listening ");

  return (guint) g_ascii_strtoull (line + strlen ("listening "), NULL, 10);
}

static void
test_client_student_server (void)
{
  g_autoptr(HbTestProc) server = hb_test_proc_student ("lab_server.py", "good", "0", "0.2", NULL);
  guint port = listening_port (server);
  ClientLog log = { 0 };
  HbClient *client = lab_client_new (port, &log);

  /* No WELCOME is awaited: connected is connected. */
  hb_client_connect (client);
  hb_assert_eventually (hb_client_get_state (client) == HB_CLIENT_CONNECTED);
  hb_assert_eventually (log.pongs_sent >= 2);
  g_assert_cmpuint (log.pings, >=, log.pongs_sent);
  g_assert_cmpuint (hb_client_get_client_id (client), ==, 0);

  /* What we send is the text's bytes, as the student's server prints it. */
  g_assert_true (hb_client_send_message (client, "123"));
  hb_test_proc_wait_line (server, ": 123");

  /* Its broadcast is a message here. */
  hb_test_proc_write (server, "456\n");
  hb_assert_eventually (log.messages->len >= 1);
  g_assert_cmpstr (g_ptr_array_index (log.messages, 0), ==, "456");

  /* No BYE: disconnecting is a FIN, answered by the server's close. */
  hb_client_disconnect (client);
  hb_assert_eventually (log.disconnected);
  g_assert_cmpint (log.reason, ==, HB_BYE_USER);
  g_assert_false (hb_test_proc_has_line (server, "BYE"));
  g_assert_finalize_object (client);
  client_log_clear (&log);
}

typedef struct
{
  GSocketConnection *conn;
} Accepted;

static void
accepted_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Accepted *a = user_data;

  a->conn = g_socket_listener_accept_finish (G_SOCKET_LISTENER (source), result, NULL, NULL);
  g_assert_nonnull (a->conn);
}

static GString *
read_available (GSocket *socket)
{
  GString *got = g_string_new (NULL);
  char buf[256];
  gssize n;

  while ((n = g_socket_receive_with_blocking (socket, buf, sizeof buf, FALSE, NULL, NULL)) > 0)
    g_string_append_len (got, buf, n);
  return got;
}

static void
test_client_glued_heartbeat (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  guint16 port = g_socket_listener_add_any_inet_port (listener, NULL, NULL);
  Accepted a = { 0 };
  ClientLog log = { 0 };
  HbClient *client = lab_client_new (port, &log);
  GSocket *sock;
  g_autoptr(GString) got = g_string_new (NULL);

  g_object_set (client, "timeout-ms", 400, NULL);
  g_socket_listener_accept_async (listener, NULL, accepted_cb, &a);
  hb_client_connect (client);
  hb_assert_eventually (a.conn != NULL && hb_client_get_state (client) == HB_CLIENT_CONNECTED);
  sock = g_socket_connection_get_socket (a.conn);

  /* `heartbeat456` in one segment: a heartbeat and a message, and the
   * heartbeat answered. */
  g_socket_send (sock, "heartbeat456", 12, NULL, NULL);
  hb_assert_eventually (log.pongs_sent == 1 && log.messages->len == 1);
  g_assert_cmpstr (g_ptr_array_index (log.messages, 0), ==, "456");
  g_assert_cmpstr (g_ptr_array_index (log.reads, 0), ==, "12 p=1 m=1 glued");
  while (got->len < 13)
    {
      g_autoptr(GString) more = NULL;

      hb_assert_eventually (g_socket_condition_check (sock, G_IO_IN) & G_IO_IN);
      more = read_available (sock);
      g_string_append_len (got, more->str, more->len);
    }
  g_assert_cmpstr (got->str, ==, "heartbeat ack");

  /* Silent for the timeout: the server is dead, and we close with a FIN
   * and no BYE. */
  hb_assert_eventually (log.disconnected);
  g_assert_cmpint (log.reason, ==, HB_BYE_SERVER_TIMEOUT);
  g_string_truncate (got, 0);
  for (;;)
    {
      char buf[64];
      gssize n;

      hb_assert_eventually (g_socket_condition_check (sock, G_IO_IN | G_IO_HUP) != 0);
      n = g_socket_receive_with_blocking (sock, buf, sizeof buf, FALSE, NULL, NULL);
      if (n <= 0)
        {
          g_assert_cmpint (n, ==, 0);
          break;
        }
      g_string_append_len (got, buf, n);
    }
  g_assert_cmpstr (got->str, ==, "");
  g_assert_finalize_object (client);
  g_object_unref (a.conn);
  client_log_clear (&log);
}

/* Raw TCP: bytes typed as hex go out as they are, not as text. */
static void
test_client_raw_bytes (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  guint16 port = g_socket_listener_add_any_inet_port (listener, NULL, NULL);
  Accepted a = { 0 };
  HbClient *client = hb_client_new ("127.0.0.1", port, NULL);
  g_autoptr(GBytes) bytes = g_bytes_new_static ("\x00\xff\r\n", 4);
  g_autoptr(GString) got = g_string_new (NULL);

  /* Never in the line protocol, whose framing raw bytes would break. */
  g_assert_false (hb_client_send_bytes (client, bytes));
  g_object_set (client, "protocol", HB_PROTOCOL_RAW, "line-ending", HB_LINE_ENDING_CRLF, NULL);
  g_socket_listener_accept_async (listener, NULL, accepted_cb, &a);
  hb_client_connect (client);
  hb_assert_eventually (a.conn != NULL && hb_client_get_state (client) == HB_CLIENT_CONNECTED);

  g_assert_true (hb_client_send_bytes (client, bytes));
  while (got->len < 4)
    {
      g_autoptr(GString) more = NULL;
      GSocket *sock = g_socket_connection_get_socket (a.conn);

      hb_assert_eventually (g_socket_condition_check (sock, G_IO_IN) & G_IO_IN);
      more = read_available (sock);
      g_string_append_len (got, more->str, more->len);
    }
  /* No line ending added: the bytes are the whole message. */
  g_assert_cmpmem (got->str, got->len, "\x00\xff\r\n", 4);

  hb_client_disconnect (client);
  hb_assert_eventually (hb_client_get_state (client) == HB_CLIENT_DISCONNECTED);
  g_assert_finalize_object (client);
  g_object_unref (a.conn);
}

/* ---------------------------------------------------------------------- */
/* The checks of a student's client                                        */

typedef struct
{
  const char     *mode;
  guint           interval_ms;
  HbCheckVerdict  want[HB_CLIENT_N_CHECKS];
} ClientCase;

#define P HB_CHECK_PASSED
#define F HB_CHECK_FAILED

/* What every client of tests/students/lab_client.py earns: connects,
 * answers, glued, sends, after-broadcast, closes-with-fin. */
static const ClientCase client_cases[] = {
  { "good",   300, { P, P, P, P, P, P } },
  /* Late by 1.2 s, beaten every 1.3 s: each answer still follows its own
   * heartbeat, so the RTT is the lateness. */
  { "late",   1300, { P, F, F, P, F, P } },
  { "silent", 300, { P, F, F, P, F, P } },
  { "exact",  300, { P, F, F, P, P, P } },
  { "glue",   300, { P, P, P, P, P, P } },
  { "rst",    300, { P, P, P, P, P, F } },
};

#undef P
#undef F

static gboolean
settled (HbChecks *checks)
{
  for (guint i = 0; i < HB_CLIENT_N_CHECKS; i++)
    if (hb_checks_get_verdict (checks, i) == HB_CHECK_PENDING)
      return FALSE;
  return TRUE;
}

static void
test_client_checks (gconstpointer data)
{
  const ClientCase *cc = data;
  Fixture f = { 0 };
  g_autofree char *port = NULL;
  g_autoptr(HbTestProc) student = NULL;
  g_autoptr(HbCheckBoard) board = NULL;
  g_autofree char *csv = NULL;
  HbConnection *conn;
  HbChecks *checks;

  fixture_start (&f, HB_PROTOCOL_LAB, cc->interval_ms, 10000);
  board = hb_check_board_new (f.server);
  g_setenv ("LAB_DELAY", "1.2", TRUE);
  port = port_string (f.port);
  student = hb_test_proc_student ("lab_client.py", cc->mode, "127.0.0.1", port, NULL);
  hb_test_proc_wait_line (student, "connected");
  hb_assert_eventually (hb_server_get_n_clients (f.server) == 1);
  conn = hb_server_lookup (f.server, 1);
  checks = hb_check_board_lookup (board, conn);
  g_assert_nonnull (checks);
  g_assert_cmpint (hb_checks_get_verdict (checks, HB_CLIENT_CHECK_CONNECTS), ==, HB_CHECK_PASSED);

  /* Heartbeats go by; the student types; a broadcast; a heartbeat glued
   * to a broadcast; then the student's input ends. */
  hb_assert_eventually (hb_checks_get_verdict (checks, HB_CLIENT_CHECK_ANSWERS) != HB_CHECK_PENDING);
  hb_check_board_expect_text (board, NULL, "123", 3000);
  hb_test_proc_write (student, "123\n");
  if (g_str_equal (cc->mode, "glue"))
    {
      /* It sends what was typed with its next ack. */
      hb_assert_eventually (hb_checks_get_verdict (checks, HB_CLIENT_CHECK_SENDS) != HB_CHECK_PENDING);
    }
  hb_server_broadcast (f.server, "class starts");
  hb_assert_eventually (hb_checks_get_verdict (checks, HB_CLIENT_CHECK_AFTER_BROADCAST) != HB_CHECK_PENDING);
  g_assert_cmpuint (hb_check_board_probe_glued (board, NULL, "456"), ==, 1);
  hb_assert_eventually (hb_checks_get_verdict (checks, HB_CLIENT_CHECK_GLUED) != HB_CHECK_PENDING);
  hb_assert_eventually (hb_checks_get_verdict (checks, HB_CLIENT_CHECK_SENDS) != HB_CHECK_PENDING);
  hb_test_proc_close_stdin (student);
  hb_assert_eventually (settled (checks));

  for (guint i = 0; i < HB_CLIENT_N_CHECKS; i++)
    {
      if (hb_checks_get_verdict (checks, i) != cc->want[i])
        g_error ("%s client: check %s is %s (%s), expected %s", cc->mode,
                 hb_client_check_to_string (i),
                 hb_check_verdict_to_string (hb_checks_get_verdict (checks, i)),
                 hb_checks_get_evidence (checks, i),
                 hb_check_verdict_to_string (cc->want[i]));
      g_assert_cmpstr (hb_checks_get_evidence (checks, i), !=, "");
    }
  /* The likely cause of a missed glued heartbeat is named only for the
   * client that answers plain ones. */
  g_assert_true ((strstr (hb_checks_get_evidence (checks, HB_CLIENT_CHECK_GLUED), "recv()") != NULL) ==
                 g_str_equal (cc->mode, "exact"));

  /* The class's results, departed clients included, as CSV. */
  csv = hb_check_board_to_csv (board);
  g_assert_true (g_str_has_prefix (csv, "id,peer,name,connects,connects_evidence,answers,"));
  g_assert_nonnull (strstr (csv, "\r\n1,\"127.0.0.1:"));
  g_clear_object (&board);
  fixture_stop (&f);
}

/* A test on a server fixture_start() starts, which is stopped after it. */
#define add_server_test(path, func) \
  g_test_add (path, Fixture, NULL, NULL, func, fixture_teardown)

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add_server_test ("/core/lab/server/student-client", test_server_student_client);
  add_server_test ("/core/lab/server/glued-and-split", test_server_glued_and_split);
  add_server_test ("/core/lab/server/silent-client-fin", test_server_silent_client);
  add_server_test ("/core/lab/server/flood-bounded", test_server_flood_bounded);
  add_server_test ("/core/lab/server/gb18030", test_server_gb18030);
  add_server_test ("/core/lab/server/message-flood", test_server_message_flood);
  add_server_test ("/core/lab/server/late-ack-untimed", test_server_late_ack_untimed);
  add_server_test ("/core/lab/server/beat-now-glued", test_server_beat_now_glued);
  add_server_test ("/core/raw/server", test_server_raw);
  g_test_add_func ("/core/lab/client/student-server", test_client_student_server);
  g_test_add_func ("/core/lab/client/glued-heartbeat", test_client_glued_heartbeat);
  g_test_add_func ("/core/raw/client-bytes", test_client_raw_bytes);

  for (guint i = 0; i < G_N_ELEMENTS (client_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/core/lab/checks/client-%s", client_cases[i].mode);

      g_test_add_data_func (path, &client_cases[i], test_client_checks);
    }

  return g_test_run ();
}
