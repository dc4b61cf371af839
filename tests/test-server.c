/* test-server.c - the heartbeat server over real sockets on 127.0.0.1
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gnetworking.h>

#include "heartbeat-lab.h"
#include "hb-test-server.h"
#include "hb-test-util.h"

typedef struct
{
  HbServer  *server;
  guint      port;
  GPtrArray *messages;     /* char* */
  GPtrArray *disconnects;  /* "id reason initiator" */
  GPtrArray *errors;       /* "id code" */
  guint      pongs;
  gint64     last_rtt;
  guint      pings_sent;
  guint      rejected;
} Fixture;

static void
on_message (HbServer *server, HbConnection *conn, const char *text, Fixture *f)
{
  g_ptr_array_add (f->messages, g_strdup_printf ("%u %s", hb_connection_get_id (conn), text));
}

static void
on_error_sent (HbServer *server, HbConnection *conn, HbErrCode code, const char *text, Fixture *f)
{
  g_ptr_array_add (f->errors, g_strdup_printf ("%u %s", hb_connection_get_id (conn),
                                               hb_err_code_to_string (code)));
}

static void
on_pong (HbServer *server, HbConnection *conn, guint64 seq, gint64 rtt, Fixture *f)
{
  f->pongs++;
  f->last_rtt = rtt;
}

static void
on_ping_sent (HbServer *server, HbConnection *conn, guint64 seq, Fixture *f)
{
  f->pings_sent++;
}

static void
on_rejected (HbServer *server, const char *peer, HbByeReason reason, Fixture *f)
{
  f->rejected++;
}

static void
fixture_start (Fixture    *f,
               const char *first_prop,
               ...)
{
  va_list args;
  g_autoptr(GError) error = NULL;

  va_start (args, first_prop);
  f->server = HB_SERVER (g_object_new_valist (HB_TYPE_SERVER, first_prop, args));
  va_end (args);
  g_object_set (f->server, "port", 0, NULL);
  f->messages = g_ptr_array_new_with_free_func (g_free);
  f->disconnects = g_ptr_array_new_with_free_func (g_free);
  f->errors = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (f->server, "message", G_CALLBACK (on_message), f);
  hb_test_record_disconnects (f->server, f->disconnects);
  g_signal_connect (f->server, "error-sent", G_CALLBACK (on_error_sent), f);
  g_signal_connect (f->server, "pong", G_CALLBACK (on_pong), f);
  g_signal_connect (f->server, "ping-sent", G_CALLBACK (on_ping_sent), f);
  g_signal_connect (f->server, "client-rejected", G_CALLBACK (on_rejected), f);
  g_assert_true (hb_server_start (f->server, &error));
  g_assert_no_error (error);
  f->port = hb_server_get_port (f->server);
  g_assert_cmpuint (f->port, >, 0);
  g_assert_true (hb_server_get_listening (f->server));
}

static void
fixture_stop (Fixture *f)
{
  hb_test_server_shutdown (f->server, 500);
  g_assert_cmpuint (hb_server_get_n_clients (f->server), ==, 0);
  g_assert_finalize_object (f->server);
  g_ptr_array_unref (f->messages);
  g_ptr_array_unref (f->disconnects);
  g_ptr_array_unref (f->errors);
}

/* What fixture_start() started, stopped after the test (if it got so far). */
static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->server != NULL)
    fixture_stop (f);
}

static HbTestPeer *
connect_peer (Fixture *f)
{
  HbTestPeer *peer = hb_test_peer_new ("127.0.0.1", f->port);
  const char *welcome = hb_test_peer_wait_line (peer);

  g_assert_true (g_str_has_prefix (welcome, "WELCOME "));
  return peer;
}

/* Connects a peer, welcomed, into each place of the NULL-terminated
 * list, and waits until the server counts them all. */
static void
connect_peers (Fixture     *f,
               HbTestPeer **first,
               ...)
{
  guint n = 0;
  va_list ap;

  va_start (ap, first);
  for (HbTestPeer **place = first; place != NULL; place = va_arg (ap, HbTestPeer **))
    {
      *place = connect_peer (f);
      n++;
    }
  va_end (ap);
  hb_assert_eventually (hb_server_get_n_clients (f->server) == n);
}

/* Connects @n welcomed peers into @peers (@open), or closes them; then
 * waits until the server counts the peers that are open. */
static void
peer_array_set (Fixture     *f,
                HbTestPeer **peers,
                guint        n,
                gboolean     open)
{
  for (guint i = 0; i < n; i++)
    {
      if (open)
        peers[i] = connect_peer (f);
      else
        hb_test_peer_free (peers[i]);
    }
  hb_assert_eventually (hb_server_get_n_clients (f->server) == (open ? n : 0));
}

/* Asserts that each of the @n peers reads, past the server's PINGs, the
 * NULL-terminated lines from @first on, in that order. */
static void
peers_read (HbTestPeer **peers,
            guint        n,
            const char  *first,
            ...)
{
  for (guint i = 0; i < n; i++)
    {
      va_list ap;

      va_start (ap, first);
      for (const char *want = first; want != NULL; want = va_arg (ap, const char *))
        g_assert_cmpstr (hb_test_peer_wait_non_ping (peers[i]), ==, want);
      va_end (ap);
    }
}

static void
test_welcome (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(HbTestPeer) a = NULL;
  g_autoptr(HbTestPeer) b = NULL;
  HbConnection *conn;

  fixture_start (f, "interval-ms", 1500, "timeout-ms", 4500, NULL);
  a = hb_test_peer_new ("127.0.0.1", f->port);
  g_assert_cmpstr (hb_test_peer_wait_line (a), ==, "WELCOME 1 1500 4500");
  b = hb_test_peer_new ("127.0.0.1", f->port);
  g_assert_cmpstr (hb_test_peer_wait_line (b), ==, "WELCOME 2 1500 4500");

  hb_assert_eventually (hb_server_get_n_clients (f->server) == 2);
  conn = hb_server_lookup (f->server, 1);
  g_assert_nonnull (conn);
  g_assert_true (g_str_has_prefix (hb_connection_get_peer (conn), "127.0.0.1:"));
  g_assert_cmpint (hb_connection_get_connected_since (conn), >, 0);
  g_assert_cmpint (hb_connection_get_liveness (conn), ==, HB_LIVENESS_ALIVE);
  g_assert_cmpint (hb_connection_get_rtt_last (conn), ==, -1);

  hb_test_peer_send (a, "HELLO alice\n", -1);
  hb_assert_eventually (g_strcmp0 (hb_connection_get_name (conn), "alice") == 0);
}

static void
test_ipv6 (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(HbTestPeer) peer = NULL;
  g_autoptr(GSocket) probe = g_socket_new (G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) lo6 = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV6);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo6, 0);

  if (probe == NULL || !g_socket_bind (probe, any, TRUE, NULL))
    {
      g_test_skip ("no IPv6 loopback on this machine");
      return;
    }

  fixture_start (f, "address", "::1", NULL);
  peer = hb_test_peer_new ("::1", f->port);
  g_assert_true (g_str_has_prefix (hb_test_peer_wait_line (peer), "WELCOME 1 "));
  hb_assert_eventually (hb_server_get_n_clients (f->server) == 1);
  g_assert_true (g_str_has_prefix (hb_connection_get_peer (hb_server_lookup (f->server, 1)), "[::1]:"));
}

static void
test_port_in_use (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(HbServer) second = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *port = NULL;

  fixture_start (f, NULL, NULL);
  second = g_object_new (HB_TYPE_SERVER, "port", f->port, NULL);
  g_assert_false (hb_server_start (second, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
  port = g_strdup_printf ("127.0.0.1:%u", f->port);
  g_assert_nonnull (strstr (error->message, port));
  g_assert_false (hb_server_get_listening (second));

  /* The user can fix it and retry. */
  g_clear_error (&error);
  g_object_set (second, "port", 0, NULL);
  g_assert_true (hb_server_start (second, &error));
  g_assert_cmpuint (hb_server_get_port (second), !=, f->port);
  hb_server_stop (second);
  g_assert_finalize_object (g_steal_pointer (&second));
}

static void
test_bad_address (void)
{
  g_autoptr(HbServer) server = g_object_new (HB_TYPE_SERVER, "address", "not-an-ip", "port", 0, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (hb_server_start (server, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "not-an-ip"));
}

/* The same conversation sent whole, byte by byte, and in odd pieces
 * must give the same messages. */
static void
test_framing_splits (Fixture       *f,
                     gconstpointer  data)
{
  static const char script[] = "HELLO bob\r\nMSG hello  world \nMSG 你好\r\nMSG last\n";
  static const gsize pieces[] = { sizeof script - 1, 1, 3, 7 };

  fixture_start (f, NULL, NULL);
  for (guint p = 0; p < G_N_ELEMENTS (pieces); p++)
    {
      g_autoptr(HbTestPeer) peer = connect_peer (f);
      guint first = f->messages->len;
      guint id;

      g_autoptr(HbConnection) conn = NULL;

      /* Joins reach the list model in batches. */
      hb_assert_eventually (g_list_model_get_n_items (hb_server_get_connections (f->server)) == 1);
      conn = g_list_model_get_item (hb_server_get_connections (f->server), 0);
      id = hb_connection_get_id (conn);
      for (gsize off = 0; off < sizeof script - 1; off += pieces[p])
        hb_test_peer_send (peer, script + off, MIN (pieces[p], sizeof script - 1 - off));
      hb_assert_eventually (f->messages->len == first + 3);

      {
        g_autofree char *m1 = g_strdup_printf ("%u hello  world ", id);
        g_autofree char *m2 = g_strdup_printf ("%u 你好", id);
        g_autofree char *m3 = g_strdup_printf ("%u last", id);

        g_assert_cmpstr (g_ptr_array_index (f->messages, first), ==, m1);
        g_assert_cmpstr (g_ptr_array_index (f->messages, first + 1), ==, m2);
        g_assert_cmpstr (g_ptr_array_index (f->messages, first + 2), ==, m3);
      }
      g_assert_cmpstr (hb_connection_get_name (hb_server_lookup (f->server, id)), ==, "bob");
      g_assert_cmpuint (f->errors->len, ==, 0);

      hb_test_peer_send (peer, "BYE\n", -1);
      g_assert_cmpstr (hb_test_peer_wait_non_ping (peer), ==, "BYE goodbye");
      hb_test_peer_wait_eof (peer);
      hb_assert_eventually (hb_server_get_n_clients (f->server) == 0);
    }
}

/* Every ERR code, and the connection lives on after each. */
static void
test_errors_keep_connection (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(HbTestPeer) peer = NULL;
  g_autofree char *longline = g_strnfill (200, 'x');
  g_autofree char *toolong = g_strdup_printf ("MSG %s\n", longline);

  fixture_start (f, "max-line", 128, NULL);
  peer = connect_peer (f);

  hb_test_peer_send (peer, toolong, -1);
  g_assert_true (g_str_has_prefix (hb_test_peer_wait_non_ping (peer), "ERR line-too-long "));
  hb_test_peer_send (peer, "MSG \xff\xfe\n", -1);
  g_assert_true (g_str_has_prefix (hb_test_peer_wait_non_ping (peer), "ERR bad-utf8 "));
  hb_test_peer_send (peer, "msg lower case\n", -1);
  g_assert_true (g_str_has_prefix (hb_test_peer_wait_non_ping (peer), "ERR unknown-verb "));
  hb_test_peer_send (peer, "JUMP high\n", -1);
  g_assert_true (g_str_has_prefix (hb_test_peer_wait_non_ping (peer), "ERR unknown-verb "));
  hb_test_peer_send (peer, "HELLO two words\n", -1);
  g_assert_true (g_str_has_prefix (hb_test_peer_wait_non_ping (peer), "ERR bad-args "));
  hb_test_peer_send (peer, "PONG abc\n", -1);
  g_assert_true (g_str_has_prefix (hb_test_peer_wait_non_ping (peer), "ERR bad-args "));

  /* A blank line is ignored; the connection still works. */
  hb_test_peer_send (peer, "\nMSG still here\n", -1);
  hb_assert_eventually (f->messages->len == 1);
  g_assert_cmpstr (g_ptr_array_index (f->messages, 0), ==, "1 still here");
  g_assert_cmpuint (f->errors->len, ==, 6);
  g_assert_true (hb_test_has_string (f->errors, "1 line-too-long"));
  g_assert_true (hb_test_has_string (f->errors, "1 bad-utf8"));
  g_assert_cmpuint (hb_server_get_n_clients (f->server), ==, 1);

  /* The client may probe the server too. */
  hb_test_peer_send (peer, "PING tok-1\n", -1);
  g_assert_cmpstr (hb_test_peer_wait_non_ping (peer), ==, "PONG tok-1");
}

static void
test_rate_limit (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(HbTestPeer) peer = NULL;
  g_autoptr(GString) burst = g_string_new (NULL);
  HbConnection *conn;
  const char *line;
  guint n_err = 0;

  fixture_start (f, "rate-limit", 10, NULL);
  peer = connect_peer (f);
  hb_assert_eventually (hb_server_get_n_clients (f->server) == 1);
  conn = hb_server_lookup (f->server, 1);

  /* Messages, then a flood of PONGs for a heartbeat never sent, then
   * malformed lines: every line counts against the limit. */
  for (guint i = 0; i < 40; i++)
    g_string_append_printf (burst, "MSG m%u\n", i);
  for (guint i = 0; i < 1000; i++)
    g_string_append (burst, "PONG 999999\n");
  for (guint i = 0; i < 100; i++)
    g_string_append (burst, "nonsense\n");
  hb_test_peer_send (peer, burst->str, burst->len);

  line = hb_test_peer_wait_non_ping (peer);
  g_assert_true (g_str_has_prefix (line, "ERR rate-limited "));
  hb_assert_eventually (hb_connection_get_lines_in (conn) == 1140);

  /* The burst allowance is twice the rate; the rest is dropped, and the
   * flooder hears why once, not once a line. */
  g_assert_cmpuint (f->messages->len, >=, 20);
  g_assert_cmpuint (f->messages->len, <, 40);
  g_assert_cmpuint (f->pongs, <, 20);
  g_assert_cmpuint (f->errors->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->errors, 0), ==, "1 rate-limited");
  for (guint i = 0; i < peer->lines->len; i++)
    n_err += g_str_has_prefix (g_ptr_array_index (peer->lines, i), "ERR ");
  g_assert_cmpuint (n_err, ==, 1);
  g_assert_cmpuint (hb_server_get_n_clients (f->server), ==, 1);
}

static void
test_flooder_cut_says_why (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(HbTestPeer) peer = NULL;
  g_autoptr(GString) burst = g_string_new (NULL);
  g_autofree char *big = g_strnfill (900, 'x');
  HbConnection *conn;

  /* A client that floods and does not read is cut as what it is. */
  fixture_start (f, "rate-limit", 10, "max-queue", 4096, NULL);
  peer = hb_test_peer_new_small ("127.0.0.1", f->port);
  hb_test_peer_set_reading (peer, FALSE);
  hb_assert_eventually (hb_server_get_n_clients (f->server) == 1);
  conn = hb_server_lookup (f->server, 1);
  for (guint i = 0; i < 100; i++)
    g_string_append_printf (burst, "MSG flood %u\n", i);
  hb_test_peer_send (peer, burst->str, burst->len);
  hb_assert_eventually (hb_connection_get_lines_in (conn) == 100);
  for (guint i = 0; i < 200 && f->disconnects->len == 0; i++)
    {
      hb_server_broadcast (f->server, big);
      hb_test_run_pending ();
    }
  hb_assert_eventually (f->disconnects->len == 1);
  g_assert_cmpstr (g_ptr_array_index (f->disconnects, 0), ==, "1 rate-limited local");
}

static void
test_names_unique_and_reserved (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(HbTestPeer) alice = NULL;
  g_autoptr(HbTestPeer) mallory = NULL;
  const char *line;

  fixture_start (f, "relay", TRUE, NULL);
  alice = connect_peer (f);
  mallory = connect_peer (f);
  hb_test_peer_send (alice, "HELLO alice\n", -1);
  hb_assert_eventually (hb_server_lookup (f->server, 1) != NULL &&
                        g_strcmp0 (hb_connection_get_name (hb_server_lookup (f->server, 1)), "alice") == 0);

  /* Another client's name, in any case, is refused; so are the names
   * that would pass for the operator or the class. */
  hb_test_peer_send (mallory, "HELLO Alice\n", -1);
  line = hb_test_peer_wait_non_ping (mallory);
  g_assert_true (g_str_has_prefix (line, "ERR bad-args name-taken "));
  hb_test_peer_send (mallory, "HELLO server\n", -1);
  line = hb_test_peer_wait_non_ping (mallory);
  g_assert_true (g_str_has_prefix (line, "ERR bad-args name-reserved "));
  hb_test_peer_send (mallory, "HELLO client-1\n", -1);
  line = hb_test_peer_wait_non_ping (mallory);
  g_assert_true (g_str_has_prefix (line, "ERR bad-args name-reserved "));
  hb_test_peer_send (mallory, "HELLO abc\xe2\x80\xaetxt.exe\n", -1);
  line = hb_test_peer_wait_non_ping (mallory);
  g_assert_true (g_str_has_prefix (line, "ERR bad-args "));
  g_assert_null (hb_connection_get_name (hb_server_lookup (f->server, 2)));

  /* A name given up is free again: when its holder renames or leaves. */
  hb_test_peer_send (alice, "HELLO alice2\n", -1);
  hb_assert_eventually (g_strcmp0 (hb_connection_get_name (hb_server_lookup (f->server, 1)), "alice2") == 0);
  hb_test_peer_send (mallory, "HELLO alice\n", -1);
  hb_assert_eventually (g_strcmp0 (hb_connection_get_name (hb_server_lookup (f->server, 2)), "alice") == 0);
  g_clear_pointer (&alice, hb_test_peer_free);
  hb_assert_eventually (hb_server_get_n_clients (f->server) == 1);
  hb_test_peer_send (mallory, "HELLO ALICE2\n", -1);
  hb_assert_eventually (g_strcmp0 (hb_connection_get_name (hb_server_lookup (f->server, 2)), "ALICE2") == 0);
}

static void
test_relay_within_limit (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(HbTestPeer) a = NULL;
  g_autoptr(HbTestPeer) b = NULL;
  g_autoptr(GString) msg = g_string_new ("MSG ");
  const char *line;

  /* A MSG exactly at the limit, relayed with a long name: the RELAY line
   * still fits in the 1024 bytes every client was promised. */
  fixture_start (f, "relay", TRUE, NULL);
  a = connect_peer (f);
  b = connect_peer (f);
  hb_test_peer_send (a, "HELLO abcdefghijklmnopqrstuvwxyz012345\n", -1);
  while (msg->len < 1023 - 3)
    g_string_append_c (msg, 'x');
  g_string_append (msg, "\xe4\xb8\xad\n");  /* 中, cut in the middle it would not be UTF-8 */
  g_assert_cmpuint (msg->len, ==, 1024);
  hb_test_peer_send (a, msg->str, msg->len);
  line = hb_test_peer_wait_non_ping (b);
  g_assert_true (g_str_has_prefix (line, "RELAY "));
  g_assert_cmpuint (strlen (line) + 1, <=, 1024);
  g_assert_true (g_str_has_suffix (line, "\xe2\x80\xa6"));  /* … */
  g_assert_true (g_utf8_validate (line, -1, NULL));
}

static void
test_heartbeat_rtt (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(HbTestPeer) peer = NULL;
  HbConnection *conn;
  const char *ping;

  fixture_start (f, "interval-ms", 40, "timeout-ms", 2000, NULL);
  peer = connect_peer (f);
  hb_assert_eventually (hb_server_get_n_clients (f->server) == 1);
  conn = hb_server_lookup (f->server, 1);

  for (guint seq = 1; seq <= 3; seq++)
    {
      g_autofree char *want = g_strdup_printf ("PING %u", seq);
      g_autofree char *pong = g_strdup_printf ("PONG %u\n", seq);

      ping = hb_test_peer_wait_line (peer);
      g_assert_cmpstr (ping, ==, want);
      hb_test_peer_send (peer, pong, -1);
      hb_assert_eventually (f->pongs == seq);
    }

  g_assert_cmpint (f->last_rtt, >=, 0);
  g_assert_cmpint (hb_connection_get_rtt_last (conn), >=, 0);
  g_assert_cmpint (hb_connection_get_rtt_min (conn), <=, hb_connection_get_rtt_avg (conn));
  g_assert_cmpint (hb_connection_get_rtt_avg (conn), <=, hb_connection_get_rtt_max (conn));
  g_assert_cmpuint (hb_connection_get_pongs_received (conn), ==, 3);
  g_assert_cmpint (hb_connection_get_last_ping (conn), >, 0);
  g_assert_cmpint (hb_connection_get_last_pong (conn), >=, hb_connection_get_last_ping (conn));
  g_assert_cmpint (hb_connection_get_liveness (conn), ==, HB_LIVENESS_ALIVE);
  g_assert_cmpuint (hb_connection_get_missed (conn), ==, 0);

  /* An unknown seq is counted, not an error. */
  hb_test_peer_send (peer, "PONG 999\n", -1);
  hb_assert_eventually (f->pongs == 4);
  g_assert_cmpint (f->last_rtt, ==, -1);
  g_assert_cmpuint (f->errors->len, ==, 0);
}

static void
on_liveness (HbConnection *conn, GParamSpec *pspec, GString *seen)
{
  g_string_append_printf (seen, "%s ", hb_liveness_to_string (hb_connection_get_liveness (conn)));
}

static void
test_silent_client_goes_late_then_dead (void)
{
  Fixture f = { 0 };
  g_autoptr(HbTestPeer) peer = NULL;
  g_autoptr(GString) seen = g_string_new (NULL);
  g_autoptr(HbConnection) conn = NULL;
  gint64 start;

  fixture_start (&f, "interval-ms", 50, "timeout-ms", 250, NULL);
  peer = connect_peer (&f);
  hb_assert_eventually (hb_server_get_n_clients (f.server) == 1);
  conn = g_object_ref (hb_server_lookup (f.server, 1));
  g_signal_connect (conn, "notify::liveness", G_CALLBACK (on_liveness), seen);
  start = g_get_monotonic_time ();

  hb_assert_eventually (hb_connection_get_liveness (conn) == HB_LIVENESS_LATE);
  hb_assert_eventually (f.disconnects->len == 1);
  g_assert_cmpstr (seen->str, ==, "late dead ");
  g_assert_cmpstr (g_ptr_array_index (f.disconnects, 0), ==, "1 timeout local");
  /* Dead at the timeout, not before it. */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 200 * 1000);
  g_assert_cmpuint (hb_connection_get_missed (conn), >=, 2);

  g_assert_cmpstr (hb_test_peer_wait_non_ping (peer), ==, "BYE timeout");
  hb_test_peer_wait_eof (peer);
  g_assert_true (peer->eof);
  g_assert_cmpuint (hb_server_get_n_clients (f.server), ==, 0);

  fixture_stop (&f);
  g_assert_finalize_object (g_steal_pointer (&conn));
}

static void
test_late_client_recovers (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(HbTestPeer) peer = NULL;
  HbConnection *conn;

  fixture_start (f, "interval-ms", 40, "timeout-ms", 5000, NULL);
  peer = connect_peer (f);
  hb_assert_eventually (hb_server_get_n_clients (f->server) == 1);
  conn = hb_server_lookup (f->server, 1);
  hb_assert_eventually (hb_connection_get_liveness (conn) == HB_LIVENESS_LATE);

  /* Answering the newest heartbeat makes it alive again. */
  g_assert_cmpstr (hb_test_peer_wait_line (peer), ==, "PING 1");
  g_assert_cmpstr (hb_test_peer_wait_line (peer), ==, "PING 2");
  g_assert_cmpuint (hb_connection_get_missed (conn), >=, 1);
  hb_test_peer_send (peer, "PONG 2\n", -1);
  hb_assert_eventually (hb_connection_get_liveness (conn) == HB_LIVENESS_ALIVE);
  g_assert_cmpint (hb_connection_get_rtt_last (conn), >=, 0);
}

static void
test_broadcast_in_order (Fixture       *f,
                         gconstpointer  data)
{
  HbTestPeer *peers[5];

  fixture_start (f, NULL, NULL);
  peer_array_set (f, peers, G_N_ELEMENTS (peers), TRUE);

  g_assert_cmpuint (hb_server_broadcast (f->server, "first"), ==, 5);
  g_assert_cmpuint (hb_server_broadcast (f->server, "second 第二"), ==, 5);
  g_assert_cmpuint (hb_server_broadcast (f->server, "line\nbreak"), ==, 5);

  peers_read (peers, G_N_ELEMENTS (peers), "BCAST first", "BCAST second 第二", "BCAST line break", NULL);
  peer_array_set (f, peers, G_N_ELEMENTS (peers), FALSE);
}

static void
count_notify (GObject *object, GParamSpec *pspec, guint *count)
{
  (*count)++;
}

/* A list shows each client's traffic as it grows: its counters are
 * announced (once a second) unless the program said it reads them only
 * when it needs them, and again once it asks for them. */
static void
test_live_counters (void)
{
  Fixture f = { 0 };
  g_autoptr(HbTestPeer) peer = NULL;
  HbConnection *conn;
  guint notified = 0;
  guint64 before;

  fixture_start (&f, NULL, NULL);
  peer = connect_peer (&f);
  hb_assert_eventually (hb_server_get_n_clients (f.server) == 1);
  conn = g_list_model_get_item (hb_server_get_connections (f.server), 0);
  g_signal_connect (conn, "notify::bytes-in", G_CALLBACK (count_notify), &notified);

  hb_test_peer_send (peer, "MSG one\n", -1);
  hb_assert_eventually (notified > 0);

  hb_server_set_live_counters (f.server, FALSE);
  before = hb_connection_get_bytes_in (conn);
  hb_test_peer_send (peer, "MSG two\n", -1);
  hb_assert_eventually (f.messages->len == 2);
  /* The getters do not wait for an announcement. */
  g_assert_cmpuint (hb_connection_get_bytes_in (conn), ==, before + strlen ("MSG two\n"));

  notified = 0;
  hb_server_set_live_counters (f.server, TRUE);
  hb_test_peer_send (peer, "MSG three\n", -1);
  hb_assert_eventually (notified > 0);

  g_signal_handlers_disconnect_by_func (conn, count_notify, &notified);
  g_object_unref (conn);
  g_clear_pointer (&peer, hb_test_peer_free);
  hb_assert_eventually (hb_server_get_n_clients (f.server) == 0);
  fixture_stop (&f);
}

/* Several lines broadcast at once (a pasted block) reach every client
 * whole and in order, and every client's record counts each line. */
static void
test_broadcast_lines (Fixture       *f,
                      gconstpointer  data)
{
  HbTestPeer *peers[3];
  const char *lines[] = { "one", "two 二", "three", "carriage\rreturn" };
  g_autoptr(GListModel) conns = NULL;

  fixture_start (f, NULL, NULL);
  peer_array_set (f, peers, G_N_ELEMENTS (peers), TRUE);

  g_assert_cmpuint (hb_server_broadcast_lines (f->server, NULL, 0), ==, 0);
  g_assert_cmpuint (hb_server_broadcast_lines (f->server, lines, G_N_ELEMENTS (lines)), ==, G_N_ELEMENTS (peers));
  g_assert_cmpuint (hb_server_broadcast (f->server, "after"), ==, G_N_ELEMENTS (peers));

  peers_read (peers, G_N_ELEMENTS (peers), "BCAST one", "BCAST two 二", "BCAST three", "BCAST carriage return",
              "BCAST after", NULL);

  conns = g_object_ref (hb_server_get_connections (f->server));
  for (guint i = 0; i < g_list_model_get_n_items (conns); i++)
    {
      g_autoptr(HbConnection) conn = g_list_model_get_item (conns, i);
      HbTimeline *timeline = hb_connection_get_timeline (conn);
      guint bcasts = 0;

      for (guint e = 0; e < hb_timeline_get_n_events (timeline); e++)
        {
          const HbTimelineEvent *ev = hb_timeline_get_event (timeline, e);

          bcasts += ev->kind == HB_EVENT_LINE_OUT && ev->verb == HB_VERB_BCAST;
        }
      g_assert_cmpuint (bcasts, ==, G_N_ELEMENTS (lines) + 1);
    }

  peer_array_set (f, peers, G_N_ELEMENTS (peers), FALSE);
}

static void
test_send_and_kick (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(HbTestPeer) a = NULL;
  g_autoptr(HbTestPeer) b = NULL;

  fixture_start (f, NULL, NULL);
  connect_peers (f, &a, &b, NULL);

  g_assert_true (hb_server_send (f->server, 2, "just for you"));
  g_assert_false (hb_server_send (f->server, 99, "nobody"));
  g_assert_cmpstr (hb_test_peer_wait_non_ping (b), ==, "MSG just for you");

  g_assert_true (hb_server_kick (f->server, 1));
  g_assert_false (hb_server_kick (f->server, 99));
  g_assert_cmpstr (hb_test_peer_wait_non_ping (a), ==, "BYE kicked");
  hb_test_peer_wait_eof (a);
  g_assert_true (a->eof);
  hb_assert_eventually (f->disconnects->len == 1);
  g_assert_cmpstr (g_ptr_array_index (f->disconnects, 0), ==, "1 kicked local");
  g_assert_cmpuint (hb_server_get_n_clients (f->server), ==, 1);

  /* b got nothing meant for a. */
  g_assert_cmpuint (b->next, ==, b->lines->len);
}

static void
test_relay (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(HbTestPeer) a = NULL;
  g_autoptr(HbTestPeer) b = NULL;
  g_autoptr(HbTestPeer) c = NULL;

  fixture_start (f, "relay", TRUE, NULL);
  connect_peers (f, &a, &b, &c, NULL);
  hb_test_peer_send (a, "HELLO ann\nMSG hi all\n", -1);
  hb_test_peer_send (b, "MSG from b\n", -1);

  g_assert_cmpstr (hb_test_peer_wait_non_ping (b), ==, "RELAY ann hi all");
  g_assert_cmpstr (hb_test_peer_wait_non_ping (c), ==, "RELAY ann hi all");
  g_assert_cmpstr (hb_test_peer_wait_non_ping (a), ==, "RELAY client-2 from b");
  g_assert_cmpstr (hb_test_peer_wait_non_ping (c), ==, "RELAY client-2 from b");
  /* Nobody hears their own message back: after a barrier each, nothing
   * but the barrier's PONG. */
  hb_test_peer_sync (a);
  hb_test_peer_sync (b);
}

static void
test_relay_off_by_default (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(HbTestPeer) a = NULL;
  g_autoptr(HbTestPeer) b = NULL;

  fixture_start (f, NULL, NULL);
  a = connect_peer (f);
  b = connect_peer (f);
  hb_test_peer_send (a, "MSG private\n", -1);
  /* Past a's barrier the server has handled the MSG, and anything it
   * relayed to b is queued before b's own barrier's PONG. */
  hb_test_peer_sync (a);
  g_assert_cmpuint (f->messages->len, ==, 1);
  hb_test_peer_sync (b);
}

static void
test_max_clients (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(HbTestPeer) a = NULL;
  g_autoptr(HbTestPeer) b = NULL;
  g_autoptr(HbTestPeer) c = NULL;

  fixture_start (f, "max-clients", 2, NULL);
  connect_peers (f, &a, &b, NULL);

  c = hb_test_peer_new ("127.0.0.1", f->port);
  g_assert_true (g_str_has_prefix (hb_test_peer_wait_line (c), "ERR server-full "));
  g_assert_cmpstr (hb_test_peer_wait_line (c), ==, "BYE server-full");
  hb_test_peer_wait_eof (c);
  g_assert_true (c->eof);
  g_assert_cmpuint (f->rejected, ==, 1);
  g_assert_cmpuint (hb_server_get_n_clients (f->server), ==, 2);

  /* A place frees up: the next one gets in. */
  hb_test_peer_send (a, "BYE\n", -1);
  hb_assert_eventually (hb_server_get_n_clients (f->server) == 1);
  g_clear_pointer (&c, hb_test_peer_free);
  c = connect_peer (f);
  hb_assert_eventually (hb_server_get_n_clients (f->server) == 2);
}

/* A client that stops reading is cut off; the others keep receiving. */
static void
test_slow_consumer (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(HbTestPeer) slow = NULL;
  g_autoptr(HbTestPeer) fast = NULL;
  g_autofree char *filler = g_strnfill (300, 'z');
  const guint n = 2000;
  HbConnection *fast_conn;

  fixture_start (f, "max-queue", 16 * 1024, NULL);
  slow = hb_test_peer_new_small ("127.0.0.1", f->port);
  g_assert_true (g_str_has_prefix (hb_test_peer_wait_line (slow), "WELCOME 1 "));
  hb_test_peer_set_reading (slow, FALSE);
  fast = connect_peer (f);
  hb_assert_eventually (hb_server_get_n_clients (f->server) == 2);
  fast_conn = hb_server_lookup (f->server, 2);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text = g_strdup_printf ("%u %s", i, filler);

      hb_server_broadcast (f->server, text);
      /* The reading client shares this thread: let it keep up. */
      hb_assert_eventually (hb_connection_get_queued (fast_conn) == 0);
    }

  hb_assert_eventually (f->disconnects->len == 1);
  g_assert_cmpstr (g_ptr_array_index (f->disconnects, 0), ==, "1 slow-consumer local");

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *want = g_strdup_printf ("BCAST %u %s", i, filler);

      g_assert_cmpstr (hb_test_peer_wait_non_ping (fast), ==, want);
    }
  g_assert_cmpuint (hb_server_get_n_clients (f->server), ==, 1);
}

static void
test_big_broadcast_spares_readers (Fixture       *f,
                                   gconstpointer  data)
{
  HbTestPeer *readers[50];
  HbTestPeer *stalled[200];
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *last = NULL;
  guint n_cut = 0;
  const guint n_lines = 10000;

  /* 200 clients that read nothing and 50 that read, then one broadcast
   * of 10,000 lines (about 670 KB), well over the queue bound: the bound
   * judges whether a client reads, so the 200 go and the 50 stay. */
  fixture_start (f, "interval-ms", 60000, "timeout-ms", 60000, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (stalled); i++)
    {
      stalled[i] = hb_test_peer_new_small ("127.0.0.1", f->port);
      hb_test_peer_set_reading (stalled[i], FALSE);
    }
  for (guint i = 0; i < G_N_ELEMENTS (readers); i++)
    readers[i] = hb_test_peer_new ("127.0.0.1", f->port);
  hb_assert_eventually (hb_server_get_n_clients (f->server) == 250);
  for (guint i = 0; i < G_N_ELEMENTS (readers); i++)
    hb_assert_eventually (readers[i]->lines->len == 1);  /* WELCOME */

  for (guint i = 0; i < n_lines; i++)
    g_ptr_array_add (texts, g_strdup_printf ("line %05u of the big broadcast, as long as a real one", i));
  last = g_strdup_printf ("BCAST %s", (char *) g_ptr_array_index (texts, n_lines - 1));
  g_assert_cmpuint (hb_server_broadcast_lines (f->server, (const char * const *) texts->pdata, n_lines), ==, 250);

  for (guint i = 0; i < G_N_ELEMENTS (readers); i++)
    {
      hb_assert_eventually (readers[i]->lines->len == 1 + n_lines);
      g_assert_cmpstr (g_ptr_array_index (readers[i]->lines, n_lines), ==, last);
    }
  hb_assert_eventually (f->disconnects->len == G_N_ELEMENTS (stalled));
  for (guint i = 0; i < f->disconnects->len; i++)
    {
      const char *d = g_ptr_array_index (f->disconnects, i);
      guint id = (guint) g_ascii_strtoull (d, NULL, 10);

      g_assert_true (g_str_has_suffix (d, " slow-consumer local"));
      g_assert_cmpuint (id, <=, G_N_ELEMENTS (stalled));  /* never a reader */
      n_cut++;
    }
  g_assert_cmpuint (n_cut, ==, 200);
  g_assert_cmpuint (hb_server_get_n_clients (f->server), ==, 50);

  for (guint i = 0; i < G_N_ELEMENTS (stalled); i++)
    hb_test_peer_free (stalled[i]);
  for (guint i = 0; i < G_N_ELEMENTS (readers); i++)
    hb_test_peer_free (readers[i]);
}

static void
test_peer_reset (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(HbTestPeer) peer = NULL;

  fixture_start (f, NULL, NULL);
  peer = connect_peer (f);
  hb_assert_eventually (hb_server_get_n_clients (f->server) == 1);
  hb_test_peer_abort (peer);
  hb_assert_eventually (f->disconnects->len == 1);
  g_assert_cmpstr (g_ptr_array_index (f->disconnects, 0), ==, "1 reset peer");
}

static void
test_peer_half_close (void)
{
  Fixture f = { 0 };
  g_autoptr(HbTestPeer) peer = NULL;
  HbTimeline *timeline;
  g_autoptr(HbConnection) conn = NULL;
  gboolean fin_in = FALSE, fin_out = FALSE;

  fixture_start (&f, NULL, NULL);
  peer = connect_peer (&f);
  hb_assert_eventually (hb_server_get_n_clients (f.server) == 1);
  conn = g_object_ref (hb_server_lookup (f.server, 1));
  hb_test_peer_send (peer, "MSG last words\n", -1);
  hb_test_peer_shutdown_write (peer);

  hb_test_peer_wait_eof (peer);
  g_assert_true (peer->eof);
  hb_assert_eventually (f.disconnects->len == 1);
  g_assert_cmpstr (g_ptr_array_index (f.disconnects, 0), ==, "1 peer-closed peer");
  g_assert_cmpstr (g_ptr_array_index (f.messages, 0), ==, "1 last words");

  timeline = hb_connection_get_timeline (conn);
  for (guint i = 0; i < hb_timeline_get_n_events (timeline); i++)
    {
      const HbTimelineEvent *ev = hb_timeline_get_event (timeline, i);

      if (ev->kind == HB_EVENT_FIN_IN)
        fin_in = TRUE;
      if (ev->kind == HB_EVENT_FIN_OUT)
        {
          g_assert_true (fin_in);  /* the client closed first */
          fin_out = TRUE;
        }
    }
  g_assert_true (fin_in && fin_out);
  fixture_stop (&f);
  g_assert_finalize_object (g_steal_pointer (&conn));
}

static void
test_shutdown_says_bye (Fixture       *f,
                        gconstpointer  data)
{
  HbTestShutdown done = { FALSE, NULL };
  HbTestPeer *peers[3];

  fixture_start (f, NULL, NULL);
  peer_array_set (f, peers, G_N_ELEMENTS (peers), TRUE);
  hb_server_broadcast (f->server, "before the end");

  hb_server_shutdown_async (f->server, 2000, NULL, hb_test_shutdown_cb, &done);
  g_assert_false (hb_server_get_listening (f->server));
  for (guint i = 0; i < G_N_ELEMENTS (peers); i++)
    {
      g_assert_cmpstr (hb_test_peer_wait_non_ping (peers[i]), ==, "BCAST before the end");
      g_assert_cmpstr (hb_test_peer_wait_non_ping (peers[i]), ==, "BYE shutdown");
      hb_test_peer_wait_eof (peers[i]);
      g_assert_true (peers[i]->eof);
      g_assert_false (peers[i]->reset);
      hb_test_peer_free (peers[i]);
    }
  hb_assert_eventually (done.done);
  g_assert_no_error (done.error);
  g_assert_cmpuint (f->disconnects->len, ==, 3);
  g_assert_true (hb_test_has_string (f->disconnects, "2 shutdown local"));

  /* Already shut down: stopping again (fixture_teardown()) is harmless. */
}

static void
test_list_model (Fixture       *f,
                 gconstpointer  data)
{
  GListModel *model;
  g_autoptr(HbTestPeer) a = NULL;
  g_autoptr(HbTestPeer) b = NULL;
  g_autoptr(HbConnection) first = NULL;

  fixture_start (f, NULL, NULL);
  model = hb_server_get_connections (f->server);
  g_assert_true (g_list_model_get_item_type (model) == HB_TYPE_CONNECTION);
  a = connect_peer (f);
  b = connect_peer (f);
  hb_assert_eventually (g_list_model_get_n_items (model) == 2);
  first = g_list_model_get_item (model, 0);
  g_assert_cmpuint (hb_connection_get_id (first), ==, 1);
  g_clear_pointer (&a, hb_test_peer_free);
  hb_assert_eventually (g_list_model_get_n_items (model) == 1);
  g_clear_object (&first);
  first = g_list_model_get_item (model, 0);
  g_assert_cmpuint (hb_connection_get_id (first), ==, 2);
  g_clear_object (&first);
}

typedef struct
{
  guint paused;
  guint resumed;
  char *why;
} AcceptLog;

static void
on_accept_paused (HbServer *server, const char *why, AcceptLog *log)
{
  log->paused++;
  g_free (log->why);
  log->why = g_strdup (why);
}

static void
on_accept_resumed (HbServer *server, AcceptLog *log)
{
  log->resumed++;
}

/* Reads what has arrived on a blocking-free raw socket; TRUE at EOF. */
static gboolean
drain_raw (int      fd,
           GString *got)
{
  char buf[512];
  ssize_t n;

  while ((n = recv (fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
    g_string_append_len (got, buf, n);
  return n == 0;
}

static void
test_fd_limit (Fixture       *f,
               gconstpointer  data)
{
  AcceptLog log = { 0 };
  struct rlimit saved, low;
  int fds[40];
  GString *got[40];
  guint n_welcomed = 0, n_rejected = 0;
  int probe;
  struct sockaddr_in to = { .sin_family = AF_INET };

  fixture_start (f, "interval-ms", 100, "timeout-ms", 5000, NULL);
  g_signal_connect (f->server, "accept-paused", G_CALLBACK (on_accept_paused), &log);
  g_signal_connect (f->server, "accept-resumed", G_CALLBACK (on_accept_resumed), &log);
  to.sin_port = htons (f->port);
  to.sin_addr.s_addr = htonl (INADDR_LOOPBACK);

  /* The clients' sockets exist before the limit is lowered, so that
   * only the server's accept runs out of files. */
  for (guint i = 0; i < G_N_ELEMENTS (fds); i++)
    {
      fds[i] = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      g_assert_cmpint (fds[i], >=, 0);
      got[i] = g_string_new (NULL);
    }
  probe = dup (0);
  close (probe);
  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &saved), ==, 0);
  low = saved;
  low.rlim_cur = probe + 12;
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &low), ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (fds); i++)
    g_assert_cmpint (connect (fds[i], (struct sockaddr *) &to, sizeof to), ==, 0);

  /* The server says so once, goes on beating the clients it has, and
   * turns new ones away with server-full; it does not spin. */
  hb_assert_eventually (log.paused == 1);
  g_assert_nonnull (strstr (log.why, "cannot accept more clients"));
  hb_assert_eventually (({
    n_welcomed = n_rejected = 0;
    for (guint i = 0; i < G_N_ELEMENTS (fds); i++)
      {
        drain_raw (fds[i], got[i]);
        n_welcomed += g_str_has_prefix (got[i]->str, "WELCOME ") &&
                      strstr (got[i]->str, "\nPING 2\n") != NULL;
        n_rejected += strstr (got[i]->str, "BYE server-full\n") != NULL;
      }
    n_welcomed > 0 && n_rejected >= 2;
  }));
  g_assert_cmpuint (log.paused, ==, 1);
  g_assert_cmpuint (f->rejected, >=, 2);

  /* Files freed: accepting resumes by itself, and a new client is
   * welcomed. */
  for (guint i = 0; i < G_N_ELEMENTS (fds); i++)
    if (g_str_has_prefix (got[i]->str, "WELCOME "))
      {
        close (fds[i]);
        fds[i] = -1;
      }
  {
    g_autoptr(HbTestPeer) late = hb_test_peer_new ("127.0.0.1", f->port);

    g_assert_true (g_str_has_prefix (hb_test_peer_wait_line (late), "WELCOME "));
    hb_assert_eventually (log.resumed == 1);
  }
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &saved), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (fds); i++)
    {
      if (fds[i] >= 0)
        close (fds[i]);
      g_string_free (got[i], TRUE);
    }
  g_free (log.why);
}

static void
test_stall_cuts_nobody (void)
{
  Fixture f = { 0 };
  g_autofree char *port = NULL;
  HbTestProc *clients[3];
  g_autoptr(HbCheckBoard) board = NULL;
  guint pongs_before;

  /* Three students' clients in processes of their own answer every
   * heartbeat, also while this process (the server) is stalled for 3 s,
   * three times its timeout — as when the window sharing its main loop
   * takes long over a frame. Their answers wait in the sockets: nobody
   * may be declared dead for that. */
  fixture_start (&f, "protocol", HB_PROTOCOL_LAB, "interval-ms", 200, "timeout-ms", 1000, NULL);
  board = hb_check_board_new (f.server);
  port = g_strdup_printf ("%u", f.port);
  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    {
      clients[i] = hb_test_proc_student ("lab_client.py", "good", "127.0.0.1", port, NULL);
      hb_test_proc_wait_line (clients[i], "connected");
    }
  hb_assert_eventually (hb_server_get_n_clients (f.server) == 3);
  hb_assert_eventually (f.pongs >= 6);

  /* Stalled just after a heartbeat went out, so that answers are owed. */
  pongs_before = f.pongs;
  hb_assert_eventually (f.pings_sent >= pongs_before + 1);
  g_usleep (3 * G_USEC_PER_SEC);  /* the stall itself, on purpose */
  pongs_before = f.pongs;
  hb_assert_eventually (f.pongs >= pongs_before + 6);
  g_assert_cmpuint (f.disconnects->len, ==, 0);
  for (guint i = 1; i <= 3; i++)
    {
      HbConnection *conn = hb_server_lookup (f.server, i);

      g_assert_cmpint (hb_connection_get_liveness (conn), ==, HB_LIVENESS_ALIVE);
      /* The round trip is the network's and the client's: the answer
       * owed during the stall arrived long before it was read. */
      g_test_message ("client %u: RTT max %" G_GINT64_FORMAT " µs", i, hb_connection_get_rtt_max (conn));
      g_assert_cmpint (hb_connection_get_rtt_max (conn), <, G_USEC_PER_SEC);
      /* The class's check that every heartbeat is answered within 1 s
       * holds, though the server could not look for 3 s. */
      g_assert_cmpint (hb_checks_get_verdict (hb_check_board_lookup (board, conn), HB_CLIENT_CHECK_ANSWERS),
                       ==, HB_CHECK_PASSED);
    }
  g_clear_object (&board);
  fixture_stop (&f);
  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    hb_test_proc_free (clients[i]);
}

static void
test_farewell (void)
{
  HbServer *server = g_object_new (HB_TYPE_SERVER, "port", 0, NULL);
  HbTestPeer *peers[20];
  g_autoptr(HbClient) client = NULL;
  guint port;

  /* The owner drops the server and the client at once, as a window that
   * closes does: both still say goodbye properly, and only then go. */
  g_assert_true (hb_server_start (server, NULL));
  port = hb_server_get_port (server);
  for (guint i = 0; i < G_N_ELEMENTS (peers); i++)
    {
      peers[i] = hb_test_peer_new ("127.0.0.1", port);
      g_assert_true (g_str_has_prefix (hb_test_peer_wait_line (peers[i]), "WELCOME "));
    }
  client = hb_client_new ("127.0.0.1", port, "alice");
  hb_client_connect (client);
  hb_assert_eventually (hb_client_get_client_id (client) != 0);
  hb_assert_eventually (hb_server_get_n_clients (server) == 21);

  hb_farewell_client (g_steal_pointer (&client));
  hb_assert_eventually (hb_server_get_n_clients (server) == 20);
  hb_farewell_server (server);
  g_object_unref (server);
  for (guint i = 0; i < G_N_ELEMENTS (peers); i++)
    {
      g_assert_cmpstr (hb_test_peer_wait_non_ping (peers[i]), ==, "BYE shutdown");
      hb_test_peer_wait_eof (peers[i]);
      g_assert_false (peers[i]->reset);
    }
  hb_assert_eventually (hb_farewell_pending () == 0);
  for (guint i = 0; i < G_N_ELEMENTS (peers); i++)
    hb_test_peer_free (peers[i]);
}

static void
test_settings_change_live (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(HbTestPeer) peer = NULL;
  g_autoptr(HbTestPeer) later = NULL;
  guint pings = 0;

  /* A new interval applies to a listening server at once: connected
   * clients hear it in a WELCOME like their first, and are beaten by it;
   * clients that come later are greeted with it. */
  fixture_start (f, "interval-ms", 60000, "timeout-ms", 180000, NULL);
  peer = hb_test_peer_new ("127.0.0.1", f->port);
  g_assert_cmpstr (hb_test_peer_wait_line (peer), ==, "WELCOME 1 60000 180000");
  g_object_set (f->server, "interval-ms", 100, "timeout-ms", 1000, NULL);
  /* One WELCOME for both, never the new interval with the old timeout. */
  g_assert_cmpstr (hb_test_peer_wait_line (peer), ==, "WELCOME 1 100 1000");
  while (pings < 3)
    {
      const char *line = hb_test_peer_wait_line (peer);
      g_autofree char *pong = NULL;

      g_assert_true (g_str_has_prefix (line, "PING "));
      pong = g_strdup_printf ("PONG %s\n", line + 5);
      hb_test_peer_send (peer, pong, -1);
      pings++;
    }
  later = hb_test_peer_new ("127.0.0.1", f->port);
  g_assert_cmpstr (hb_test_peer_wait_line (later), ==, "WELCOME 2 100 1000");
}

typedef struct
{
  Fixture    *f;
  HbTestPeer *prober;
  gboolean    sent;
  guint       pings_when_read;   /* G_MAXUINT until the probe is read */
} Probe;

static void
probe_on_ping_sent (HbServer *server, HbConnection *conn, guint64 seq, Probe *p)
{
  if (!p->sent)
    {
      p->sent = TRUE;
      hb_test_peer_send (p->prober, "MSG probe\n", -1);
    }
}

static void
probe_on_message (HbServer *server, HbConnection *conn, const char *text, Probe *p)
{
  if (g_str_equal (text, "probe") && p->pings_when_read == G_MAXUINT)
    p->pings_when_read = p->f->pings_sent;
}

/* Many heartbeats due at once do not hold up a client's line: one that
 * arrives after the first of them went out is read before the rest have
 * all been written (at 10,000 clients and 1 s heartbeats a hundred are
 * due in each slice, and every client's answers waited for them). */
static void
test_line_read_among_due_heartbeats (void)
{
  Fixture f = { 0 };
  HbTestPeer *peers[40];
  Probe p = { &f, NULL, FALSE, G_MAXUINT };

  fixture_start (&f, "interval-ms", 60000, "timeout-ms", 180000, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (peers); i++)
    peers[i] = connect_peer (&f);
  p.prober = peers[0];
  g_signal_connect (f.server, "ping-sent", G_CALLBACK (probe_on_ping_sent), &p);
  g_signal_connect (f.server, "message", G_CALLBACK (probe_on_message), &p);
  /* Every client owes a beat at the new interval at once. */
  g_object_set (f.server, "interval-ms", 1, "timeout-ms", 180000, NULL);
  hb_assert_eventually (p.pings_when_read != G_MAXUINT);
  g_assert_cmpuint (p.pings_when_read, <, G_N_ELEMENTS (peers) / 2);

  g_signal_handlers_disconnect_by_data (f.server, &p);
  for (guint i = 0; i < G_N_ELEMENTS (peers); i++)
    hb_test_peer_free (peers[i]);
  hb_assert_eventually (hb_server_get_n_clients (f.server) == 0);
  fixture_stop (&f);
}

static void
test_silent_client_dies_with_long_timeout (Fixture       *f,
                                           gconstpointer  data)
{
  g_autoptr(HbTestPeer) peer = NULL;

  /* A timeout of fifteen intervals: more PINGs go unanswered than the
   * server keeps records of, and the client must still be declared dead. */
  fixture_start (f, "interval-ms", 100, "timeout-ms", 1500, NULL);
  peer = connect_peer (f);
  hb_assert_eventually (f->disconnects->len == 1);
  g_assert_cmpstr (g_ptr_array_index (f->disconnects, 0), ==, "1 timeout local");
}

/* Whether what waits in @fd's receive queue contains @text, not reading it. */
static gboolean
peek_has (int         fd,
          const char *text)
{
  char buf[1024];
  ssize_t n = recv (fd, buf, sizeof buf - 1, MSG_PEEK | MSG_DONTWAIT);

  if (n <= 0)
    return FALSE;
  buf[n] = '\0';
  return strstr (buf, text) != NULL;
}

/* A cancelled shutdown stops waiting for the drain, at once; cancelled
 * before the call, it does nothing at all. */
static void
test_shutdown_cancelled (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GCancellable) early = g_cancellable_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  HbTestShutdown r = { 0 };
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  int fd;

  fixture_start (f, NULL, NULL);
  g_cancellable_cancel (early);
  hb_server_shutdown_async (f->server, 60000, early, hb_test_shutdown_cb, &r);
  hb_assert_eventually (r.done);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&r.error);
  g_assert_true (hb_server_get_listening (f->server));

  /* A peer that never reads, so never closes, would hold the drain for
   * a minute. */
  fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (fd, >=, 0);
  sa.sin_port = htons (f->port);
  g_assert_cmpint (connect (fd, (struct sockaddr *) &sa, sizeof sa), ==, 0);
  hb_assert_eventually (hb_server_get_n_clients (f->server) == 1);
  r.done = FALSE;
  hb_server_shutdown_async (f->server, 60000, cancellable, hb_test_shutdown_cb, &r);
  g_assert_false (hb_server_get_listening (f->server));
  /* Barrier: the server has said BYE, and the shutdown waits. */
  hb_assert_eventually (peek_has (fd, "BYE shutdown\n"));
  g_assert_false (r.done);
  g_cancellable_cancel (cancellable);
  hb_assert_eventually (r.done);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&r.error);
  /* Still closing, and still the server's until the peer closes. */
  g_assert_false (hb_server_get_listening (f->server));
  g_assert_cmpuint (hb_server_get_n_clients (f->server), ==, 1);

  /* Another shutdown may follow, and completes when the peer is gone. */
  close (fd);
}

/* A server started in a context of its own keeps every source there,
 * whatever is thread-default later: only @context is iterated here, so
 * the batch of joins, the new settings' WELCOME and the shutdown all
 * come from sources attached to it. */
static void
test_own_context (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GString) read_so_far = g_string_new (NULL);
  HbServer *server;
  GListModel *model;
  HbTestShutdown r = { 0 };
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  int fd;

  g_main_context_push_thread_default (context);
  server = g_object_new (HB_TYPE_SERVER, "port", 0, NULL);
  g_assert_true (hb_server_start (server, NULL));
  g_main_context_pop_thread_default (context);
  model = hb_server_get_connections (server);

  fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (fd, >=, 0);
  sa.sin_port = htons (hb_server_get_port (server));
  g_assert_cmpint (connect (fd, (struct sockaddr *) &sa, sizeof sa), ==, 0);
  g_assert_cmpint (fcntl (fd, F_SETFL, O_NONBLOCK), ==, 0);
  hb_assert_eventually_in (context, g_list_model_get_n_items (model) == 1);

  g_object_set (server, "interval-ms", 4321, NULL);
  for (gint64 deadline = g_get_monotonic_time () + (gint64) hb_test_timeout_ms () * 1000;
       strstr (read_so_far->str, "WELCOME 1 4321 ") == NULL;)
    {
      char buf[256];
      ssize_t n = read (fd, buf, sizeof buf);

      if (n > 0)
        g_string_append_len (read_so_far, buf, n);
      else if (!hb_test_iterate_context (context, deadline))
        g_error ("no second WELCOME; read: %s", read_so_far->str);
    }

  close (fd);
  g_main_context_push_thread_default (context);
  hb_server_shutdown_async (server, 500, NULL, hb_test_shutdown_cb, &r);
  g_main_context_pop_thread_default (context);
  hb_assert_eventually_in (context, r.done);
  g_assert_no_error (r.error);
  g_assert_finalize_object (server);
}

/* A test on a server fixture_start() starts, which is stopped after it. */
#define add_server_test(name, func) \
  g_test_add ("/core/server/" name, Fixture, NULL, NULL, func, fixture_teardown)

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add_server_test ("welcome", test_welcome);
  add_server_test ("ipv6", test_ipv6);
  add_server_test ("port-in-use", test_port_in_use);
  g_test_add_func ("/core/server/bad-address", test_bad_address);
  add_server_test ("framing-splits", test_framing_splits);
  add_server_test ("errors-keep-connection", test_errors_keep_connection);
  add_server_test ("rate-limit", test_rate_limit);
  add_server_test ("relay-within-limit", test_relay_within_limit);
  add_server_test ("names-unique-and-reserved", test_names_unique_and_reserved);
  add_server_test ("flooder-cut-says-why", test_flooder_cut_says_why);
  add_server_test ("heartbeat-rtt", test_heartbeat_rtt);
  g_test_add_func ("/core/server/silent-client-late-then-dead", test_silent_client_goes_late_then_dead);
  add_server_test ("late-client-recovers", test_late_client_recovers);
  add_server_test ("broadcast-in-order", test_broadcast_in_order);
  g_test_add_func ("/core/server/live-counters", test_live_counters);
  add_server_test ("send-and-kick", test_send_and_kick);
  add_server_test ("relay", test_relay);
  add_server_test ("relay-off-by-default", test_relay_off_by_default);
  add_server_test ("max-clients", test_max_clients);
  add_server_test ("broadcast-lines", test_broadcast_lines);
  add_server_test ("slow-consumer", test_slow_consumer);
  add_server_test ("big-broadcast-spares-readers", test_big_broadcast_spares_readers);
  add_server_test ("peer-reset", test_peer_reset);
  g_test_add_func ("/core/server/peer-half-close", test_peer_half_close);
  add_server_test ("shutdown-says-bye", test_shutdown_says_bye);
  add_server_test ("shutdown-cancelled", test_shutdown_cancelled);
  g_test_add_func ("/core/server/own-context", test_own_context);
  add_server_test ("list-model", test_list_model);
  add_server_test ("fd-limit", test_fd_limit);
  g_test_add_func ("/core/server/farewell", test_farewell);
  add_server_test ("silent-client-dies-with-long-timeout", test_silent_client_dies_with_long_timeout);
  add_server_test ("settings-change-live", test_settings_change_live);
  g_test_add_func ("/core/server/stall-cuts-nobody", test_stall_cuts_nobody);
  g_test_add_func ("/core/server/line-read-among-due-heartbeats", test_line_read_among_due_heartbeats);

  return g_test_run ();
}
