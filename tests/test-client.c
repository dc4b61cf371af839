/* test-client.c - the heartbeat client against a real server, and small fakes, on 127.0.0.1
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every test watches what a user of HbClient would notice: its signals and
 * properties, what the real HbServer saw of it, and what a fake server read.
 * Handlers only record; the tests wait on the records with
 * hb_assert_eventually() and never sleep.
 */

#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "heartbeat-lab.h"
#include "hb-test-server.h"
#include "hb-test-util.h"

#define INTERVAL_MS 50
#define TIMEOUT_MS  300
#define MAX_CONNS   8

/* ---------------------------------------------------------------------- */
/* The server side                                                         */

typedef struct
{
  HbServer     *server;
  guint         port;
  GPtrArray    *hellos;       /* char*, names */
  GPtrArray    *messages;     /* char*, texts of MSG */
  GPtrArray    *disconnects;  /* char*, "name reason initiator" */
  GString      *liveness;     /* "late dead ...", every change of any client */
  guint         pongs;        /* with a round trip measured */
  guint         pongs_unknown;  /* rtt_us -1 */
  gint64        rtt_min;
  gboolean      shut_down;
  HbConnection *conns[MAX_CONNS];  /* weak: every connection must be finalized */
  guint         n_conns;
} ServerRec;

static void
on_server_connected (HbServer     *server,
                     HbConnection *conn,
                     ServerRec    *s)
{
  g_assert_cmpuint (s->n_conns, <, MAX_CONNS);
  s->conns[s->n_conns] = conn;
  g_object_add_weak_pointer (G_OBJECT (conn), (gpointer *) &s->conns[s->n_conns]);
  s->n_conns++;
}

static void
on_server_hello (HbServer     *server,
                 HbConnection *conn,
                 const char   *name,
                 ServerRec    *s)
{
  g_ptr_array_add (s->hellos, g_strdup (name));
}

static void
on_server_message (HbServer     *server,
                   HbConnection *conn,
                   const char   *text,
                   ServerRec    *s)
{
  g_ptr_array_add (s->messages, g_strdup (text));
}

static void
on_server_pong (HbServer     *server,
                HbConnection *conn,
                guint64       seq,
                gint64        rtt_us,
                ServerRec    *s)
{
  if (rtt_us < 0)
    {
      s->pongs_unknown++;
      return;
    }
  s->pongs++;
  s->rtt_min = MIN (s->rtt_min, rtt_us);
}

static void
on_server_disconnected (HbServer     *server,
                        HbConnection *conn,
                        HbByeReason   reason,
                        HbInitiator   initiator,
                        ServerRec    *s)
{
  const char *name = hb_connection_get_name (conn);

  g_ptr_array_add (s->disconnects,
                   g_strdup_printf ("%s %s %s", name ? name : "-",
                                    hb_bye_reason_to_string (reason),
                                    hb_initiator_to_string (initiator)));
}

static void
on_liveness (HbConnection *conn,
             GParamSpec   *pspec,
             ServerRec    *s)
{
  if (s->liveness->len > 0)
    g_string_append_c (s->liveness, ' ');
  g_string_append (s->liveness, hb_liveness_to_string (hb_connection_get_liveness (conn)));
}

/* Starts a server with the test's heartbeat settings on @port (0: any),
 * then applies the NULL-terminated property list. */
static void
server_start (ServerRec  *s,
              guint       port,
              const char *first_prop,
              ...)
{
  g_autoptr(GError) error = NULL;

  memset (s, 0, sizeof *s);
  s->server = g_object_new (HB_TYPE_SERVER,
                            "port", port,
                            "interval-ms", INTERVAL_MS,
                            "timeout-ms", TIMEOUT_MS,
                            NULL);
  if (first_prop != NULL)
    {
      va_list args;

      va_start (args, first_prop);
      g_object_set_valist (G_OBJECT (s->server), first_prop, args);
      va_end (args);
    }
  s->hellos = g_ptr_array_new_with_free_func (g_free);
  s->messages = g_ptr_array_new_with_free_func (g_free);
  s->disconnects = g_ptr_array_new_with_free_func (g_free);
  s->liveness = g_string_new (NULL);
  s->rtt_min = G_MAXINT64;
  g_signal_connect (s->server, "client-connected", G_CALLBACK (on_server_connected), s);
  g_signal_connect (s->server, "client-hello", G_CALLBACK (on_server_hello), s);
  g_signal_connect (s->server, "message", G_CALLBACK (on_server_message), s);
  g_signal_connect (s->server, "pong", G_CALLBACK (on_server_pong), s);
  g_signal_connect (s->server, "client-disconnected", G_CALLBACK (on_server_disconnected), s);

  g_assert_true (hb_server_start (s->server, &error));
  g_assert_no_error (error);
  s->port = hb_server_get_port (s->server);
  g_assert_cmpuint (s->port, >, 0);
  if (port != 0)
    g_assert_cmpuint (s->port, ==, port);
}

/* The server's view of a client, by the id the client was welcomed with. */
static HbConnection *
server_conn (ServerRec *s,
             HbClient  *client)
{
  HbConnection *conn = hb_server_lookup (s->server, hb_client_get_client_id (client));

  g_assert_nonnull (conn);
  return conn;
}

static void
watch_liveness (ServerRec    *s,
                HbConnection *conn)
{
  g_signal_connect (conn, "notify::liveness", G_CALLBACK (on_liveness), s);
}

static void
server_shutdown (ServerRec *s)
{
  hb_test_server_shutdown (s->server, 1000);
  s->shut_down = TRUE;
  g_assert_false (hb_server_get_listening (s->server));
  g_assert_cmpuint (hb_server_get_n_clients (s->server), ==, 0);
}

/* Shuts the server down if that has not happened yet, and checks that it
 * and every connection it had are gone. */
static void
server_free (ServerRec *s)
{
  if (!s->shut_down)
    server_shutdown (s);
  g_assert_finalize_object (s->server);
  for (guint i = 0; i < s->n_conns; i++)
    g_assert_null (s->conns[i]);
  g_ptr_array_unref (s->hellos);
  g_ptr_array_unref (s->messages);
  g_ptr_array_unref (s->disconnects);
  g_string_free (s->liveness, TRUE);
}

/* ---------------------------------------------------------------------- */
/* The client side                                                         */

typedef struct
{
  HbClient      *client;
  guint          welcomes;
  guint          welcome_id;
  guint          welcome_interval_ms;
  guint          welcome_timeout_ms;
  gint64         welcome_mono;
  guint          pings;
  guint          pongs_sent;
  GPtrArray     *messages;     /* char*, "VERB sender text", sender "-" when none */
  GPtrArray     *byes;         /* char*, reasons */
  guint          disconnects;
  HbByeReason    reason;       /* of the last ::disconnected */
  HbInitiator    initiator;
  char          *detail;
  HbClientState  state_at_disconnect;
  gint64         disconnect_mono;
  guint          reconnectings;
  guint          attempt;
  HbClientState  state_at_reconnecting;
  GPtrArray     *pongs;        /* char*, tokens of PONGs to our own PINGs */
} ClientRec;

static void
on_welcome (HbClient  *client,
            guint      id,
            guint      interval_ms,
            guint      timeout_ms,
            ClientRec *c)
{
  c->welcomes++;
  c->welcome_id = id;
  c->welcome_interval_ms = interval_ms;
  c->welcome_timeout_ms = timeout_ms;
  c->welcome_mono = g_get_monotonic_time ();
}

static void
on_pong (HbClient   *client,
         const char *token,
         gint64      rtt_us,
         ClientRec  *c)
{
  g_ptr_array_add (c->pongs, g_strdup (token));
}

/* The delay of the reconnect scheduled, 0 when none is. */
static guint
reconnect_delay (ClientRec *c)
{
  guint delay = 0;

  g_object_get (c->client, "reconnect-delay-ms", &delay, NULL);
  return delay;
}

/* A barrier: our PING, then its PONG. The server handles our lines in
 * order and writes to us in order, so once the PONG is here it has
 * handled all we sent before, and what it sent us before has been read. */
static void
client_sync (ClientRec *c)
{
  static guint n;
  g_autofree char *token = g_strdup_printf ("sync%u", ++n);
  guint before = c->pongs->len;

  g_assert_true (hb_client_send_ping (c->client, token));
  hb_assert_eventually (c->pongs->len > before);
  g_assert_cmpstr (g_ptr_array_index (c->pongs, c->pongs->len - 1), ==, token);
}

static void
on_ping (HbClient  *client,
         guint64    seq,
         ClientRec *c)
{
  c->pings++;
}

static void
on_pong_sent (HbClient  *client,
              guint64    seq,
              ClientRec *c)
{
  c->pongs_sent++;
}

static void
on_message (HbClient   *client,
            HbVerb      kind,
            const char *sender,
            const char *text,
            ClientRec  *c)
{
  g_ptr_array_add (c->messages, g_strdup_printf ("%s %s %s", hb_verb_to_string (kind),
                                                 sender ? sender : "-", text));
}

static void
on_bye (HbClient   *client,
        const char *reason,
        ClientRec  *c)
{
  g_ptr_array_add (c->byes, g_strdup (reason));
}

static void
on_disconnected (HbClient    *client,
                 HbByeReason  reason,
                 HbInitiator  initiator,
                 const char  *detail,
                 ClientRec   *c)
{
  c->disconnects++;
  c->reason = reason;
  c->initiator = initiator;
  g_free (c->detail);
  c->detail = g_strdup (detail);
  c->state_at_disconnect = hb_client_get_state (client);
  c->disconnect_mono = g_get_monotonic_time ();
}

static void
on_reconnecting (HbClient  *client,
                 guint      delay_ms,
                 guint      attempt,
                 ClientRec *c)
{
  g_assert_cmpuint (delay_ms, >, 0);
  c->reconnectings++;
  c->attempt = attempt;
  c->state_at_reconnecting = hb_client_get_state (client);
}

static void
client_new (ClientRec  *c,
            guint       port,
            const char *name)
{
  memset (c, 0, sizeof *c);
  c->client = hb_client_new ("127.0.0.1", port, name);
  c->messages = g_ptr_array_new_with_free_func (g_free);
  c->byes = g_ptr_array_new_with_free_func (g_free);
  c->pongs = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (c->client, "welcome", G_CALLBACK (on_welcome), c);
  g_signal_connect (c->client, "ping", G_CALLBACK (on_ping), c);
  g_signal_connect (c->client, "pong-sent", G_CALLBACK (on_pong_sent), c);
  g_signal_connect (c->client, "message", G_CALLBACK (on_message), c);
  g_signal_connect (c->client, "bye", G_CALLBACK (on_bye), c);
  g_signal_connect (c->client, "disconnected", G_CALLBACK (on_disconnected), c);
  g_signal_connect (c->client, "reconnecting", G_CALLBACK (on_reconnecting), c);
  g_signal_connect (c->client, "pong", G_CALLBACK (on_pong), c);
  g_assert_cmpint (hb_client_get_state (c->client), ==, HB_CLIENT_DISCONNECTED);
}

static void
client_connect (ClientRec *c)
{
  guint before = c->welcomes;

  hb_client_connect (c->client);
  hb_assert_eventually (c->welcomes > before || c->disconnects > 0);
  g_assert_cmpuint (c->welcomes, ==, before + 1);
  g_assert_cmpint (hb_client_get_state (c->client), ==, HB_CLIENT_CONNECTED);
}

/* Ends the connection gracefully if it is still up, and waits for it. */
static void
client_close (ClientRec *c)
{
  if (hb_client_get_state (c->client) != HB_CLIENT_DISCONNECTED)
    hb_client_disconnect (c->client);
  hb_assert_eventually (hb_client_get_state (c->client) == HB_CLIENT_DISCONNECTED);
}

static void
client_rec_clear (ClientRec *c)
{
  g_ptr_array_unref (c->messages);
  g_ptr_array_unref (c->byes);
  g_ptr_array_unref (c->pongs);
  g_free (c->detail);
}

static void
client_free (ClientRec *c)
{
  client_close (c);
  g_assert_finalize_object (c->client);
  client_rec_clear (c);
}

static guint64
client_get_uint64 (HbClient   *client,
                   const char *prop)
{
  guint64 value = 0;

  g_object_get (client, prop, &value, NULL);
  return value;
}

static const char *
str_at (GPtrArray *array,
        guint      i)
{
  g_assert_cmpuint (i, <, array->len);
  return g_ptr_array_index (array, i);
}

/* A server with the test's heartbeat settings and a client "alice" for
 * it, not yet connected (a test may set the client up first); both
 * checked and freed after the test. */
typedef struct
{
  ServerRec s;
  ClientRec c;
} Pair;

static void
pair_setup (Pair          *p,
            gconstpointer  data)
{
  server_start (&p->s, 0, NULL);
  client_new (&p->c, p->s.port, "alice");
}

static void
pair_teardown (Pair          *p,
               gconstpointer  data)
{
  server_free (&p->s);
  client_free (&p->c);
}

#define add_pair_test(path, func) \
  g_test_add (path, Pair, NULL, pair_setup, func, pair_teardown)

/* ---------------------------------------------------------------------- */
/* Tests                                                                   */

static void
test_welcome (Pair          *p,
              gconstpointer  data)
{
  guint id = 0, interval = 0, timeout = 0;

  client_connect (&p->c);

  g_assert_cmpint (hb_client_get_state (p->c.client), ==, HB_CLIENT_CONNECTED);
  g_assert_cmpuint (p->c.welcome_id, >=, 1);
  g_assert_cmpuint (p->c.welcome_interval_ms, ==, INTERVAL_MS);
  g_assert_cmpuint (p->c.welcome_timeout_ms, ==, TIMEOUT_MS);
  g_assert_cmpuint (hb_client_get_client_id (p->c.client), ==, p->c.welcome_id);
  g_assert_cmpuint (hb_client_get_interval_ms (p->c.client), ==, INTERVAL_MS);
  g_assert_cmpuint (hb_client_get_timeout_ms (p->c.client), ==, TIMEOUT_MS);
  g_object_get (p->c.client, "client-id", &id, "interval-ms", &interval, "timeout-ms", &timeout, NULL);
  g_assert_cmpuint (id, ==, p->c.welcome_id);
  g_assert_cmpuint (interval, ==, INTERVAL_MS);
  g_assert_cmpuint (timeout, ==, TIMEOUT_MS);

  /* HELLO went out by itself: the server lists the client by name. */
  hb_assert_eventually (p->s.hellos->len == 1);
  g_assert_cmpstr (str_at (p->s.hellos, 0), ==, "alice");
  g_assert_cmpstr (hb_connection_get_name (server_conn (&p->s, p->c.client)), ==, "alice");
  g_assert_cmpuint (hb_server_get_n_clients (p->s.server), ==, 1);

  client_close (&p->c);
}

static void
test_answers_heartbeats (Pair          *p,
                         gconstpointer  data)
{
  HbConnection *conn;

  client_connect (&p->c);
  conn = server_conn (&p->s, p->c.client);
  watch_liveness (&p->s, conn);

  /* Five heartbeats, answered, and the server never doubts the client. */
  hb_assert_eventually (p->s.pongs >= 5);
  g_assert_cmpuint (p->s.pongs_unknown, ==, 0);
  g_assert_cmpint (p->s.rtt_min, >=, 0);
  g_assert_cmpuint (client_get_uint64 (p->c.client, "pings-received"), >=, 5);
  g_assert_cmpuint (client_get_uint64 (p->c.client, "pongs-sent"), >=, 5);
  g_assert_cmpuint (p->c.pings, >=, 5);
  g_assert_cmpuint (p->c.pongs_sent, >=, 5);
  g_assert_cmpuint (hb_connection_get_pongs_received (conn), >=, 5);
  g_assert_cmpint (hb_connection_get_rtt_last (conn), >=, 0);
  g_assert_cmpint (hb_connection_get_liveness (conn), ==, HB_LIVENESS_ALIVE);
  g_assert_cmpstr (p->s.liveness->str, ==, "");
  g_assert_cmpuint (p->c.disconnects, ==, 0);

  client_close (&p->c);
}

static void
test_no_pong (Pair          *p,
              gconstpointer  data)
{

  g_object_set (p->c.client, "answer-pings", FALSE, NULL);
  client_connect (&p->c);
  watch_liveness (&p->s, server_conn (&p->s, p->c.client));

  hb_assert_eventually (p->c.disconnects == 1);
  /* Heartbeats came and went unanswered. */
  g_assert_cmpuint (p->c.pings, >=, 1);
  g_assert_cmpuint (p->c.pongs_sent, ==, 0);
  g_assert_cmpuint (client_get_uint64 (p->c.client, "pongs-sent"), ==, 0);
  /* The server saw the client go late, then dead, and said so. */
  g_assert_cmpstr (p->s.liveness->str, ==, "late dead");
  g_assert_cmpuint (p->c.byes->len, ==, 1);
  g_assert_cmpstr (str_at (p->c.byes, 0), ==, "timeout");
  g_assert_cmpint (p->c.reason, ==, HB_BYE_TIMEOUT);
  g_assert_cmpint (p->c.initiator, ==, HB_INITIATOR_PEER);
  g_assert_cmpint (p->c.state_at_disconnect, ==, HB_CLIENT_DISCONNECTED);

  hb_assert_eventually (p->s.disconnects->len == 1);
  g_assert_cmpstr (str_at (p->s.disconnects, 0), ==, "alice timeout local");
}

static void
test_pong_delay (Pair          *p,
                 gconstpointer  data)
{

  g_object_set (p->c.client, "pong-delay-ms", 30, NULL);
  client_connect (&p->c);

  hb_assert_eventually (p->s.pongs >= 3);
  g_assert_cmpint (p->s.rtt_min, >=, 30 * 1000);
  g_assert_cmpint (hb_connection_get_rtt_min (server_conn (&p->s, p->c.client)), >=, 30 * 1000);
  g_assert_cmpuint (p->c.pongs_sent, >=, 3);

  client_close (&p->c);
}

static void
test_messages (void)
{
  ServerRec s;
  ClientRec a, b;

  server_start (&s, 0, "relay", TRUE, NULL);
  client_new (&a, s.port, "alice");
  client_new (&b, s.port, "bob");
  client_connect (&a);
  client_connect (&b);
  hb_assert_eventually (s.hellos->len == 2);

  /* From the operator, to everyone and to one. */
  g_assert_cmpuint (hb_server_broadcast (s.server, "hello, everyone"), ==, 2);
  hb_assert_eventually (a.messages->len == 1 && b.messages->len == 1);
  g_assert_cmpstr (str_at (a.messages, 0), ==, "BCAST - hello, everyone");
  g_assert_cmpstr (str_at (b.messages, 0), ==, "BCAST - hello, everyone");

  g_assert_true (hb_server_send (s.server, hb_client_get_client_id (a.client), "just for you"));
  hb_assert_eventually (a.messages->len == 2);
  g_assert_cmpstr (str_at (a.messages, 1), ==, "MSG - just for you");

  /* Between clients, through the relay: the sender hears nothing back. */
  g_assert_true (hb_client_send_message (a.client, "你好"));
  g_assert_true (hb_client_send_message (a.client, "how are you, bob?"));
  hb_assert_eventually (b.messages->len == 3);
  g_assert_cmpstr (str_at (b.messages, 1), ==, "RELAY alice 你好");
  g_assert_cmpstr (str_at (b.messages, 2), ==, "RELAY alice how are you, bob?");
  g_assert_cmpuint (s.messages->len, ==, 2);
  g_assert_cmpstr (str_at (s.messages, 0), ==, "你好");
  g_assert_cmpstr (str_at (s.messages, 1), ==, "how are you, bob?");

  g_assert_true (hb_client_send_message (b.client, "fine"));
  hb_assert_eventually (a.messages->len == 3);
  g_assert_cmpstr (str_at (a.messages, 2), ==, "RELAY bob fine");

  /* Nothing more: after both barriers the server has handled every line
   * and each client has read all that was sent to it before. */
  client_sync (&a);
  client_sync (&b);
  g_assert_cmpuint (a.messages->len, ==, 3);
  g_assert_cmpuint (b.messages->len, ==, 3);
  g_assert_cmpuint (s.messages->len, ==, 3);

  client_close (&a);
  client_close (&b);
  server_free (&s);
  client_free (&a);
  client_free (&b);
}

static void
test_disconnect_graceful (Pair          *p,
                          gconstpointer  data)
{

  client_connect (&p->c);
  hb_assert_eventually (p->s.hellos->len == 1);

  hb_client_disconnect (p->c.client);
  g_assert_false (hb_client_send_message (p->c.client, "too late"));
  hb_assert_eventually (p->c.disconnects == 1 && p->s.disconnects->len == 1);

  g_assert_cmpstr (str_at (p->s.disconnects, 0), ==, "alice goodbye peer");
  g_assert_cmpuint (p->c.byes->len, ==, 1);
  g_assert_cmpstr (str_at (p->c.byes, 0), ==, "goodbye");
  g_assert_cmpint (p->c.reason, ==, HB_BYE_USER);
  g_assert_cmpint (p->c.initiator, ==, HB_INITIATOR_LOCAL);
  g_assert_cmpint (hb_client_get_state (p->c.client), ==, HB_CLIENT_DISCONNECTED);
  g_assert_cmpuint (p->s.messages->len, ==, 0);

  /* No reconnect follows a disconnect the user asked for: none is
   * scheduled (a scheduled one has its delay announced). */
  g_assert_cmpuint (hb_client_get_state (p->c.client), ==, HB_CLIENT_DISCONNECTED);
  g_assert_cmpuint (reconnect_delay (&p->c), ==, 0);
  g_assert_cmpuint (p->c.disconnects, ==, 1);
  g_assert_cmpuint (p->c.reconnectings, ==, 0);
  g_assert_cmpuint (p->c.welcomes, ==, 1);
}

static void
test_abort_rst (Pair          *p,
                gconstpointer  data)
{

  client_connect (&p->c);
  hb_assert_eventually (p->s.hellos->len == 1);

  hb_client_abort (p->c.client);
  hb_assert_eventually (p->c.disconnects == 1 && p->s.disconnects->len == 1);

  g_assert_cmpint (p->c.reason, ==, HB_BYE_ABORTED);
  g_assert_cmpint (p->c.initiator, ==, HB_INITIATOR_LOCAL);
  g_assert_cmpuint (p->c.byes->len, ==, 0);
  g_assert_cmpint (hb_client_get_state (p->c.client), ==, HB_CLIENT_DISCONNECTED);
  g_assert_cmpstr (str_at (p->s.disconnects, 0), ==, "alice reset peer");
}

static void
test_half_close (Pair          *p,
                 gconstpointer  data)
{
  HbTimeline *timeline;
  gint fin_out = -1, fin_in = -1;

  client_connect (&p->c);
  hb_assert_eventually (p->s.hellos->len == 1);

  /* The broadcast is queued before either side has run: our FIN and the
   * server's line cross, and the half-closed client still reads it. */
  hb_client_half_close (p->c.client);
  g_assert_cmpuint (hb_server_broadcast (p->s.server, "still listening?"), ==, 1);
  hb_assert_eventually (p->c.disconnects == 1 && p->s.disconnects->len == 1);

  g_assert_cmpuint (p->c.messages->len, ==, 1);
  g_assert_cmpstr (str_at (p->c.messages, 0), ==, "BCAST - still listening?");
  g_assert_cmpstr (str_at (p->s.disconnects, 0), ==, "alice peer-closed peer");
  g_assert_cmpint (p->c.reason, ==, HB_BYE_PEER_CLOSED);
  g_assert_cmpint (p->c.initiator, ==, HB_INITIATOR_LOCAL);
  g_assert_cmpuint (p->c.byes->len, ==, 0);

  timeline = hb_client_get_timeline (p->c.client);
  for (guint i = 0; i < hb_timeline_get_n_events (timeline); i++)
    {
      const HbTimelineEvent *ev = hb_timeline_get_event (timeline, i);

      if (ev->kind == HB_EVENT_FIN_OUT && fin_out < 0)
        fin_out = (gint) i;
      if (ev->kind == HB_EVENT_FIN_IN && fin_in < 0)
        fin_in = (gint) i;
    }
  g_assert_cmpint (fin_out, >=, 0);
  g_assert_cmpint (fin_in, >=, 0);
  g_assert_cmpint (fin_out, <, fin_in);
}

static void
test_server_shutdown (Pair          *p,
                      gconstpointer  data)
{

  client_connect (&p->c);
  hb_assert_eventually (p->s.hellos->len == 1);

  server_shutdown (&p->s);
  hb_assert_eventually (p->c.disconnects == 1);

  g_assert_cmpuint (p->c.byes->len, ==, 1);
  g_assert_cmpstr (str_at (p->c.byes, 0), ==, "shutdown");
  g_assert_cmpint (p->c.reason, ==, HB_BYE_SHUTDOWN);
  g_assert_cmpint (p->c.initiator, ==, HB_INITIATOR_PEER);
  g_assert_cmpint (hb_client_get_state (p->c.client), ==, HB_CLIENT_DISCONNECTED);
  g_assert_cmpuint (p->s.disconnects->len, ==, 1);
  g_assert_cmpstr (str_at (p->s.disconnects, 0), ==, "alice shutdown local");
}

static void
test_reconnect_after_restart (void)
{
  ServerRec s1, s2;
  ClientRec c;
  guint port;

  server_start (&s1, 0, NULL);
  port = s1.port;
  client_new (&c, port, "alice");
  g_object_set (c.client,
                "auto-reconnect", TRUE,
                "reconnect-min-ms", 20,
                "reconnect-max-ms", 200,
                NULL);
  client_connect (&c);
  hb_assert_eventually (s1.hellos->len == 1);

  server_shutdown (&s1);
  server_free (&s1);

  hb_assert_eventually (c.reconnectings >= 1);
  g_assert_cmpuint (c.byes->len, ==, 1);
  g_assert_cmpstr (str_at (c.byes, 0), ==, "shutdown");
  g_assert_cmpint (c.state_at_reconnecting, ==, HB_CLIENT_RECONNECTING);
  g_assert_cmpuint (c.attempt, ==, 1);

  /* With nobody listening, attempts fail and are retried. */
  hb_assert_eventually (c.reconnectings >= 2);
  g_assert_cmpint (c.reason, ==, HB_BYE_ERROR);
  g_assert_cmpuint (c.attempt, ==, c.reconnectings);
  g_assert_cmpuint (c.welcomes, ==, 1);

  server_start (&s2, port, NULL);
  hb_assert_eventually (c.welcomes == 2);
  g_assert_cmpint (hb_client_get_state (c.client), ==, HB_CLIENT_CONNECTED);
  g_assert_cmpuint (c.welcome_id, ==, 1);
  g_assert_cmpuint (c.welcome_interval_ms, ==, INTERVAL_MS);
  hb_assert_eventually (s2.hellos->len == 1);
  g_assert_cmpstr (str_at (s2.hellos, 0), ==, "alice");
  hb_assert_eventually (s2.pongs >= 1);

  client_close (&c);
  g_assert_cmpint (c.reason, ==, HB_BYE_USER);
  /* Closed by the user: no reconnect scheduled. */
  g_assert_cmpint (hb_client_get_state (c.client), ==, HB_CLIENT_DISCONNECTED);
  g_assert_cmpuint (reconnect_delay (&c), ==, 0);
  g_assert_cmpuint (c.welcomes, ==, 2);
  server_free (&s2);
  client_free (&c);
}

static void
test_connect_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autofree char *where = NULL;
  ClientRec c;
  guint port;

  /* A port that was just in use and is now closed. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, any_port, FALSE, &error));
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_assert_true (g_socket_close (socket, &error));

  client_new (&c, port, "alice");
  hb_client_connect (c.client);
  hb_assert_eventually (c.disconnects == 1);

  g_assert_cmpint (c.reason, ==, HB_BYE_ERROR);
  g_assert_cmpint (c.initiator, ==, HB_INITIATOR_LOCAL);
  g_assert_nonnull (c.detail);
  where = g_strdup_printf ("127.0.0.1:%u", port);
  g_assert_nonnull (strstr (c.detail, where));
  g_assert_cmpint (hb_client_get_state (c.client), ==, HB_CLIENT_DISCONNECTED);
  g_assert_cmpuint (c.welcomes, ==, 0);
  g_assert_cmpuint (c.reconnectings, ==, 0);

  client_free (&c);
}

/* A server that greets and then says nothing more, as a hung one would.
 * It hangs up only once the client has. */
typedef struct
{
  GSocketService    *service;
  guint              port;
  const char        *greeting;
  GSocketConnection *connection;
  GString           *received;
  gboolean           eof;
  char               buf[256];
} FakeServer;

static void fake_read (FakeServer *fake);

static void
fake_read_cb (GObject      *stream,
              GAsyncResult *result,
              gpointer      user_data)
{
  FakeServer *fake = user_data;
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (stream), result, &error);

  g_assert_no_error (error);
  if (n > 0)
    {
      g_string_append_len (fake->received, fake->buf, n);
      fake_read (fake);
      return;
    }
  fake->eof = TRUE;
  g_assert_true (g_io_stream_close (G_IO_STREAM (fake->connection), NULL, &error));
  g_assert_no_error (error);
}

static void
fake_read (FakeServer *fake)
{
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (fake->connection)),
                             fake->buf, sizeof fake->buf, G_PRIORITY_DEFAULT, NULL,
                             fake_read_cb, fake);
}

static gboolean
fake_incoming (GSocketService    *service,
               GSocketConnection *connection,
               GObject           *source_object,
               FakeServer        *fake)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_autoptr(GError) error = NULL;

  g_assert_null (fake->connection);
  fake->connection = g_object_ref (connection);
  /* A few bytes into a fresh socket's empty buffer: this does not block. */
  g_assert_true (g_output_stream_write_all (out, fake->greeting, strlen (fake->greeting),
                                            NULL, NULL, &error));
  g_assert_no_error (error);
  fake_read (fake);
  return TRUE;
}

static void
fake_start (FakeServer *fake,
            const char *greeting)
{
  g_autoptr(GError) error = NULL;

  memset (fake, 0, sizeof *fake);
  fake->greeting = greeting;
  fake->received = g_string_new (NULL);
  fake->service = g_socket_service_new ();
  fake->port = g_socket_listener_add_any_inet_port (G_SOCKET_LISTENER (fake->service), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fake->port, >, 0);
  g_signal_connect (fake->service, "incoming", G_CALLBACK (fake_incoming), fake);
  g_socket_service_start (fake->service);
}

static void
fake_free (FakeServer *fake)
{
  GSocketService *service = fake->service;

  g_signal_handlers_disconnect_by_data (service, fake);
  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  /* The cancelled accept still holds the service until it runs. */
  g_object_add_weak_pointer (G_OBJECT (service), (gpointer *) &fake->service);
  g_object_unref (service);
  hb_assert_eventually (fake->service == NULL);
  if (fake->connection != NULL)
    g_assert_finalize_object (fake->connection);
  g_string_free (fake->received, TRUE);
}

static void
test_dead_server (void)
{
  FakeServer fake;
  ClientRec c;

  /* Listening on every address: the client asks for 127.0.0.1. */
  fake_start (&fake, "WELCOME 7 50 150\n");
  client_new (&c, fake.port, "alice");
  client_connect (&c);
  g_assert_cmpuint (c.welcome_id, ==, 7);
  g_assert_cmpuint (hb_client_get_client_id (c.client), ==, 7);
  g_assert_cmpuint (c.welcome_interval_ms, ==, 50);
  g_assert_cmpuint (c.welcome_timeout_ms, ==, 150);

  hb_assert_eventually (c.disconnects == 1);
  g_assert_cmpint (c.reason, ==, HB_BYE_SERVER_TIMEOUT);
  g_assert_cmpint (c.initiator, ==, HB_INITIATOR_LOCAL);
  g_assert_cmpint (hb_client_get_state (c.client), ==, HB_CLIENT_DISCONNECTED);
  /* It waited for the silence, rather than giving up at once. */
  g_assert_cmpint (c.disconnect_mono - c.welcome_mono, >=, 100 * 1000);
  g_assert_cmpuint (c.byes->len, ==, 0);

  /* The fake heard the greeting answered and then a clean end of stream. */
  hb_assert_eventually (fake.eof);
  g_assert_true (g_str_has_prefix (fake.received->str, "HELLO alice\n"));

  client_free (&c);
  fake_free (&fake);
}

#define N_FLOOD     2000
#define FLOOD_BATCH 10
#define FLOOD_LEN   200

static void
test_stop_reading (void)
{
  ServerRec s;
  ClientRec slow, fast;
  g_autoptr(GError) error = NULL;
  g_autofree char *pad = g_strnfill (FLOOD_LEN - 5, 'x');
  HbConnection *conn;
  guint slow_id;
  gint cut_at = -1;

  /* A timeout long enough that the non-reading client is cut off for its
   * queue, not for its unanswered heartbeats. */
  server_start (&s, 0, "max-queue", 4096, "timeout-ms", 10000, NULL);
  client_new (&slow, s.port, "slow");
  client_new (&fast, s.port, "fast");
  client_connect (&slow);
  client_connect (&fast);
  hb_assert_eventually (s.hellos->len == 2);
  slow_id = hb_client_get_client_id (slow.client);

  g_object_set (slow.client, "reading", FALSE, NULL);
  /* Small kernel buffers on both ends of the slow connection, so that it
   * fills in a few kilobytes rather than megabytes. */
  g_assert_true (g_socket_set_option (hb_client_get_socket (slow.client),
                                      SOL_SOCKET, SO_RCVBUF, 4096, &error));
  g_assert_no_error (error);
  g_assert_true (g_socket_set_option (hb_connection_get_socket (server_conn (&s, slow.client)),
                                      SOL_SOCKET, SO_SNDBUF, 4096, &error));
  g_assert_no_error (error);

  /* In batches well under the bound, each read by the fast client before
   * the next: only a client that does not read can fall behind. */
  for (guint i = 0; i < N_FLOOD; i += FLOOD_BATCH)
    {
      for (guint j = i; j < i + FLOOD_BATCH; j++)
        {
          g_autofree char *text = g_strdup_printf ("%04u %s", j, pad);
          guint n = hb_server_broadcast (s.server, text);

          g_assert_cmpuint (n, >=, 1);
          if (n == 1 && cut_at < 0)
            cut_at = (gint) j;
        }
      hb_assert_eventually (fast.messages->len == i + FLOOD_BATCH);
    }

  g_assert_cmpint (cut_at, >, 0);
  g_test_message ("the slow client was cut off at broadcast %d", cut_at);
  conn = hb_server_lookup (s.server, slow_id);
  g_assert_true (conn == NULL || hb_connection_get_closing (conn));

  /* The reading client got every line, in order, and stays. */
  for (guint i = 0; i < N_FLOOD; i++)
    {
      g_autofree char *want = g_strdup_printf ("BCAST - %04u %s", i, pad);

      g_assert_cmpstr (str_at (fast.messages, i), ==, want);
    }
  g_assert_cmpint (hb_client_get_state (fast.client), ==, HB_CLIENT_CONNECTED);
  g_assert_cmpuint (fast.disconnects, ==, 0);

  /* Once the slow client reads again, it finds a prefix of the lines and
   * the server's goodbye. */
  g_object_set (slow.client, "reading", TRUE, NULL);
  hb_assert_eventually (slow.disconnects == 1);
  g_assert_cmpuint (slow.byes->len, ==, 1);
  g_assert_cmpstr (str_at (slow.byes, 0), ==, "slow-consumer");
  g_assert_cmpint (slow.reason, ==, HB_BYE_SLOW_CONSUMER);
  g_assert_cmpint (slow.initiator, ==, HB_INITIATOR_PEER);
  g_assert_cmpuint (slow.messages->len, <, (guint) cut_at);
  for (guint i = 0; i < slow.messages->len; i++)
    {
      g_autofree char *want = g_strdup_printf ("BCAST - %04u %s", i, pad);

      g_assert_cmpstr (str_at (slow.messages, i), ==, want);
    }

  hb_assert_eventually (s.disconnects->len == 1);
  g_assert_cmpstr (str_at (s.disconnects, 0), ==, "slow slow-consumer local");
  g_assert_cmpuint (hb_server_get_n_clients (s.server), ==, 1);

  client_close (&fast);
  server_free (&s);
  client_free (&slow);
  client_free (&fast);
}

/* Dropping a connected client closes its socket quietly: no signal from
 * an object being disposed, and no reconnect scheduled on its behalf. */
static void
test_dispose_while_connected (void)
{
  ServerRec s;
  ClientRec c;
  const char *seen;

  server_start (&s, 0, NULL);
  client_new (&c, s.port, "alice");
  g_object_set (c.client,
                "auto-reconnect", TRUE,
                "reconnect-min-ms", 20,
                "reconnect-max-ms", 20,
                NULL);
  client_connect (&c);
  hb_assert_eventually (s.hellos->len == 1);

  g_assert_finalize_object (c.client);
  g_assert_cmpuint (c.disconnects, ==, 0);
  g_assert_cmpuint (c.reconnectings, ==, 0);

  /* The server sees the client leave without a word, and no one comes back. */
  hb_assert_eventually (s.disconnects->len == 1);
  seen = str_at (s.disconnects, 0);
  g_assert_true (g_str_equal (seen, "alice peer-closed peer") ||
                 g_str_equal (seen, "alice reset peer"));
  /* The client is gone with its timers; an attempt already on its way
   * would reach the backlog before this peer and take id 2. */
  {
    g_autoptr(HbTestPeer) peer = hb_test_peer_new ("127.0.0.1", s.port);

    g_assert_true (g_str_has_prefix (hb_test_peer_wait_line (peer), "WELCOME 2 "));
    g_assert_cmpuint (s.n_conns, ==, 2);
  }
  hb_assert_eventually (hb_server_get_n_clients (s.server) == 0);

  server_free (&s);
  client_rec_clear (&c);
}

typedef struct
{
  HbEventKind kind;
  HbVerb      verb;
} Expected;

static void
test_timeline (Pair          *p,
               gconstpointer  data)
{
  static const Expected expected[] = {
    { HB_EVENT_CONNECT, HB_VERB_UNKNOWN },
    { HB_EVENT_LINE_OUT, HB_VERB_HELLO },
    { HB_EVENT_LINE_IN, HB_VERB_WELCOME },
    { HB_EVENT_LINE_IN, HB_VERB_PING },
    { HB_EVENT_LINE_OUT, HB_VERB_PONG },
  };
  HbTimeline *timeline;
  const HbTimelineEvent *close_ev = NULL;
  g_autofree char *welcome = NULL;
  gint64 prev_mono = 0;
  guint matched = 0, n;
  guint32 ping_seq = 0;

  client_connect (&p->c);
  hb_assert_eventually (p->c.pongs_sent >= 1);

  timeline = hb_client_get_timeline (p->c.client);
  n = hb_timeline_get_n_events (timeline);
  welcome = g_strdup_printf ("WELCOME %u %u %u\n", p->c.welcome_id, INTERVAL_MS, TIMEOUT_MS);
  for (guint i = 0; i < n; i++)
    {
      const HbTimelineEvent *ev = hb_timeline_get_event (timeline, i);

      g_assert_cmpint (ev->mono_us, >=, prev_mono);
      g_assert_cmpint (ev->wall_us, >, 0);
      prev_mono = ev->mono_us;

      if (matched == G_N_ELEMENTS (expected) ||
          ev->kind != expected[matched].kind || ev->verb != expected[matched].verb)
        continue;

      /* Lines carry their size on the wire, heartbeats their number. */
      switch (matched)
        {
        case 1:
          g_assert_cmpuint (ev->bytes, ==, strlen ("HELLO alice\n"));
          break;
        case 2:
          g_assert_cmpuint (ev->bytes, ==, strlen (welcome));
          break;
        case 3:
          ping_seq = ev->arg;
          g_assert_cmpuint (ping_seq, >=, 1);
          g_assert_cmpuint (ev->bytes, ==, strlen ("PING \n") + (ping_seq >= 10 ? 2 : 1));
          break;
        case 4:
          g_assert_cmpuint (ev->arg, ==, ping_seq);
          break;
        default:
          break;
        }
      matched++;
    }
  g_assert_cmpuint (matched, ==, G_N_ELEMENTS (expected));

  /* The end is recorded too, with who closed first. */
  client_close (&p->c);
  n = hb_timeline_get_n_events (timeline);
  for (guint i = n; i > 0 && close_ev == NULL; i--)
    if (hb_timeline_get_event (timeline, i - 1)->kind == HB_EVENT_CLOSE)
      close_ev = hb_timeline_get_event (timeline, i - 1);
  g_assert_nonnull (close_ev);
  g_assert_cmpuint (close_ev->arg, ==, HB_BYE_USER);
  g_assert_cmpint (close_ev->initiator, ==, HB_INITIATOR_LOCAL);
  g_assert_cmpint (close_ev->mono_us, >=, prev_mono);
}

/* A server that greets and hangs up at once, every time. */
typedef struct
{
  GSocketListener *listener;
  guint            port;
  guint            accepted;
  GCancellable    *cancellable;
} Greeter;

static void greeter_accept (Greeter *g);

static void
greeter_accepted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) conn =
    g_socket_listener_accept_finish (G_SOCKET_LISTENER (source), result, NULL, &error);
  Greeter *g;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g = user_data;
  g_assert_no_error (error);
  g->accepted++;
  g_socket_send (g_socket_connection_get_socket (conn), "WELCOME 1 1000 3000\n", 20, NULL, NULL);
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  greeter_accept (g);
}

static void
greeter_accept (Greeter *g)
{
  g_socket_listener_accept_async (g->listener, g->cancellable, greeter_accepted, g);
}

/* Starts the greeter, and @c connecting to it, reconnecting soon after
 * each hang-up. */
static void
greeter_start (Greeter   *g,
               ClientRec *c)
{
  g->listener = g_socket_listener_new ();
  g->cancellable = g_cancellable_new ();
  g->port = g_socket_listener_add_any_inet_port (g->listener, NULL, NULL);
  g_assert_cmpuint (g->port, >, 0);
  greeter_accept (g);
  client_new (c, g->port, "alice");
  g_object_set (c->client, "auto-reconnect", TRUE, "reconnect-min-ms", 20, NULL);
  hb_client_connect (c->client);
}

static void
greeter_stop (Greeter *g)
{
  g_cancellable_cancel (g->cancellable);
  g_socket_listener_close (g->listener);
  g_object_unref (g->listener);
  g_object_unref (g->cancellable);
}

static void
test_reconnect_backoff_grows (void)
{
  Greeter g = { 0 };
  ClientRec c;

  /* Connecting and being greeted is not being served: with no heartbeat
   * exchanged, each attempt waits longer than the last. */
  greeter_start (&g, &c);
  hb_assert_eventually (c.reconnectings >= 4);
  g_assert_cmpuint (c.attempt, ==, c.reconnectings);
  g_assert_cmpuint (g.accepted, >=, 4);

  hb_client_disconnect (c.client);
  client_free (&c);
  greeter_stop (&g);
}

typedef struct
{
  GPtrArray *lines;
  GPtrArray *problems;
} BadLines;

static void
on_bad_line (HbClient *client, const char *line, const char *problem, BadLines *b)
{
  g_ptr_array_add (b->lines, g_strdup (line));
  g_ptr_array_add (b->problems, g_strdup (problem));
}

static void
test_bad_server_line (void)
{
  FakeServer fake;
  ClientRec c;
  BadLines b = { g_ptr_array_new_with_free_func (g_free), g_ptr_array_new_with_free_func (g_free) };

  /* A line no server may send is reported, shown safely, not acted on. */
  fake_start (&fake, "WELCOME 7 1000 3000\nBCAST\x1b]0;owned\x07\nwelcome to nothing\nPONG\n");
  client_new (&c, fake.port, "alice");
  g_signal_connect (c.client, "bad-line", G_CALLBACK (on_bad_line), &b);
  client_connect (&c);
  hb_assert_eventually (b.lines->len == 3);
  g_assert_cmpstr (g_ptr_array_index (b.lines, 0), ==, "BCAST\\x1b]0;owned\\x07");
  g_assert_cmpstr (g_ptr_array_index (b.lines, 1), ==, "welcome to nothing");
  g_assert_cmpstr (g_ptr_array_index (b.lines, 2), ==, "PONG");
  g_assert_cmpuint (c.messages->len, ==, 0);
  client_free (&c);
  fake_free (&fake);
  g_ptr_array_unref (b.lines);
  g_ptr_array_unref (b.problems);
}

/* A server that floods PINGs and never reads. */
typedef struct
{
  GSocket *socket;
  guint    source;
} Flooder;

static gboolean
flood_cb (gpointer user_data)
{
  Flooder *f = user_data;
  char buf[4096];

  for (gsize i = 0; i + 7 <= sizeof buf; i += 7)
    memcpy (buf + i, "PING 1\n", 7);
  while (g_socket_send_with_blocking (f->socket, buf, sizeof buf / 7 * 7, FALSE, NULL, NULL) > 0)
    ;
  return G_SOURCE_CONTINUE;
}

static void
flooder_accepted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Flooder *f = user_data;
  g_autoptr(GSocketConnection) conn =
    g_socket_listener_accept_finish (G_SOCKET_LISTENER (source), result, NULL, NULL);

  g_assert_nonnull (conn);
  f->socket = g_object_ref (g_socket_connection_get_socket (conn));
  g_socket_send (f->socket, "WELCOME 1 60000 60000\n", 22, NULL, NULL);
  f->source = g_timeout_add (1, flood_cb, f);
}

static void
test_disconnect_drain_bounded (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  Flooder f = { 0 };
  ClientRec c;
  guint port = g_socket_listener_add_any_inet_port (listener, NULL, NULL);
  gint64 asked;

  /* The PONGs pile up unsent: the graceful close gives up after the 2 s
   * the protocol allows, and not later. */
  g_socket_listener_accept_async (listener, NULL, flooder_accepted, &f);
  client_new (&c, port, "alice");
  client_connect (&c);
  hb_assert_eventually (c.pongs_sent > 10000);
  asked = g_get_monotonic_time ();
  hb_client_disconnect (c.client);
  hb_assert_eventually (c.disconnects == 1);
  g_test_message ("disconnect took %.3f s", (g_get_monotonic_time () - asked) / 1e6);
  g_assert_cmpint (g_get_monotonic_time () - asked, <, 3 * G_USEC_PER_SEC);
  g_source_remove (f.source);
  client_free (&c);
  g_object_unref (f.socket);
  g_socket_listener_close (listener);
}

typedef struct
{
  HbClient  *client;
  GString   *server_says;   /* the server's verdicts, in order */
  GString   *client_says;   /* the client's view at each of them */
} Agreement;

static void
on_server_liveness (HbConnection *conn,
                    GParamSpec   *pspec,
                    Agreement    *a)
{
  HbServerView view;

  hb_client_get_server_view (a->client, g_get_monotonic_time (), &view);
  g_string_append_printf (a->server_says, "%s/%u ", hb_liveness_to_string (hb_connection_get_liveness (conn)),
                          hb_connection_get_missed (conn));
  g_string_append_printf (a->client_says, "%s/%u ", hb_liveness_to_string (view.liveness), view.missed);
}

/* A heartbeat is counted missed when it has waited an interval, the
 * moment the client turns late: never "missed" beside "alive". */
static void
on_server_missed (HbConnection *conn,
                  GParamSpec   *pspec,
                  Agreement    *a)
{
  if (hb_connection_get_liveness (conn) == HB_LIVENESS_ALIVE)
    g_string_append_printf (a->server_says, "missed-while-alive ");
}

static void
on_agreement_connected (HbServer *server, HbConnection *conn, Agreement *a)
{
  g_signal_connect (conn, "notify::liveness", G_CALLBACK (on_server_liveness), a);
  g_signal_connect (conn, "notify::missed", G_CALLBACK (on_server_missed), a);
}

static void
test_server_view_agrees (void)
{
  g_autoptr(HbServer) server = g_object_new (HB_TYPE_SERVER, "port", 0, "interval-ms", 150,
                                             "timeout-ms", 600, NULL);
  Agreement a = { NULL, g_string_new (NULL), g_string_new (NULL) };
  HbServerView view;

  /* The client works out the server's verdict by the server's rule: at
   * each change of the server's mind, the client's view is the same. */
  g_signal_connect (server, "client-connected", G_CALLBACK (on_agreement_connected), &a);
  g_assert_true (hb_server_start (server, NULL));
  a.client = hb_client_new ("127.0.0.1", hb_server_get_port (server), "alice");
  hb_client_connect (a.client);
  hb_assert_eventually (hb_client_get_client_id (a.client) != 0);
  hb_assert_eventually (client_get_uint64 (a.client, "pongs-sent") >= 2);
  hb_client_get_server_view (a.client, g_get_monotonic_time (), &view);
  g_assert_cmpint (view.liveness, ==, HB_LIVENESS_ALIVE);

  g_object_set (a.client, "answer-pings", FALSE, NULL);
  hb_assert_eventually (strstr (a.server_says->str, "dead") != NULL);
  /* 150 ms heartbeats, 600 ms timeout: late at the first one unanswered
   * and missed; dead as the third has waited about its interval. */
  g_assert_true (g_str_has_prefix (a.server_says->str, "late/1 dead/"));
  g_assert_null (strstr (a.server_says->str, "missed-while-alive"));
  g_assert_cmpstr (a.client_says->str, ==, a.server_says->str);
  g_assert_cmpuint (view.missed, ==, 0);

  hb_assert_eventually (hb_client_get_state (a.client) == HB_CLIENT_DISCONNECTED);
  g_clear_object (&a.client);
  g_string_free (a.server_says, TRUE);
  g_string_free (a.client_says, TRUE);
}

/* A server whose first lines are @script, then silence (or a FIN, with
 * @close). */
typedef struct
{
  GSocketListener   *listener;
  GSocketConnection *conn;
  const char        *script;
  gboolean           close;
} Scripted;

static void
scripted_accepted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Scripted *sc = user_data;

  sc->conn = g_socket_listener_accept_finish (G_SOCKET_LISTENER (source), result, NULL, NULL);
  g_assert_nonnull (sc->conn);
  g_socket_send (g_socket_connection_get_socket (sc->conn), sc->script, strlen (sc->script), NULL, NULL);
  if (sc->close)
    g_socket_shutdown (g_socket_connection_get_socket (sc->conn), FALSE, TRUE, NULL);
}

static guint
scripted_start (Scripted   *sc,
                const char *script,
                gboolean    close)
{
  guint port;

  memset (sc, 0, sizeof *sc);
  sc->script = script;
  sc->close = close;
  sc->listener = g_socket_listener_new ();
  port = g_socket_listener_add_any_inet_port (sc->listener, NULL, NULL);
  g_socket_listener_accept_async (sc->listener, NULL, scripted_accepted, sc);
  return port;
}

static void
scripted_stop (Scripted *sc)
{
  g_clear_object (&sc->conn);
  g_socket_listener_close (sc->listener);
  g_clear_object (&sc->listener);
}

static void
abort_on_message (HbClient *client, HbVerb kind, const char *sender, const char *text, gpointer data)
{
  hb_client_abort (client);
}

static void
test_message_handler_ends_connection (void)
{
  Scripted sc;
  guint port = scripted_start (&sc, "heart", TRUE);
  g_autoptr(HbClient) client = hb_client_new ("127.0.0.1", port, NULL);

  /* The server's FIN turns held bytes ("heart" may begin a heartbeat)
   * into a message, whose handler aborts: nothing else may touch the
   * connection after that. */
  g_object_set (client, "protocol", HB_PROTOCOL_LAB, NULL);
  g_signal_connect (client, "message", G_CALLBACK (abort_on_message), NULL);
  hb_client_connect (client);
  hb_assert_eventually (hb_client_get_state (client) == HB_CLIENT_CONNECTED);
  hb_assert_eventually (hb_client_get_state (client) == HB_CLIENT_DISCONNECTED);
  scripted_stop (&sc);
}

static void
test_server_view_hostile_seqs (void)
{
  Scripted sc;
  guint port = scripted_start (&sc, "WELCOME 1 1000 30000\nPING 18446744073709551615\n"
                                    "PING 18446744073709551607\n", FALSE);
  g_autoptr(HbClient) client = hb_client_new ("127.0.0.1", port, NULL);
  HbServerView view;

  /* Seqs chosen to defeat a search of the last heartbeats: the view is
   * worked out at once all the same. */
  g_object_set (client, "answer-pings", FALSE, NULL);
  hb_client_connect (client);
  hb_assert_eventually (client_get_uint64 (client, "pings-received") == 2);
  hb_client_get_server_view (client, g_get_monotonic_time (), &view);
  g_assert_cmpuint (view.owed, >, 0);
  hb_client_disconnect (client);
  hb_assert_eventually (hb_client_get_state (client) == HB_CLIENT_DISCONNECTED);
  scripted_stop (&sc);
}

static void
test_farewell_stops_reconnecting (void)
{
  Greeter g = { 0 };
  ClientRec c;

  /* A client that would reconnect (its server greets and hangs up) is
   * handed to hb-farewell: it stops, and is released. */
  greeter_start (&g, &c);
  hb_assert_eventually (c.reconnectings >= 1);
  hb_farewell_client (c.client);
  hb_assert_eventually (hb_farewell_pending () == 0);
  g_assert_cmpint (hb_client_get_state (c.client), ==, HB_CLIENT_DISCONNECTED);
  client_free (&c);
  greeter_stop (&g);
}

/* The last event of @kind (and @verb, unless UNKNOWN) in @timeline, a
 * copy (the record decodes into one place); the test fails if there is
 * none. */
static HbTimelineEvent
last_event (HbTimeline  *timeline,
            HbEventKind  kind,
            HbVerb       verb)
{
  for (guint i = hb_timeline_get_n_events (timeline); i > 0; i--)
    {
      const HbTimelineEvent *ev = hb_timeline_get_event (timeline, i - 1);

      if (ev->kind == kind && (verb == HB_VERB_UNKNOWN || ev->verb == verb))
        return *ev;
    }
  g_error ("no %s event in the record", hb_event_kind_to_string (kind));
}

static gboolean
socket_in_state (GSocket    *socket,
                 HbTcpState  state)
{
  HbTcpInfo info;

  return hb_tcp_info_query (g_socket_get_fd (socket), &info, NULL) && info.state == state;
}

static void
note_ping_arrival (HbClient *client,
                   guint64   seq,
                   gint64   *arrival)
{
  *arrival = hb_client_get_arrival (client);
}

/* A client that was not reading records what it read late with when it
 * arrived (the kernel's receive stamp): the server's BYE at the moment the
 * server wrote it, long before the client read it and answered the PINGs
 * that came before it; its FIN after that data. Server and client share
 * one monotonic clock here, so the server's record is the yardstick. */
static void
test_arrival_times (void)
{
  ServerRec s;
  ClientRec c;
  g_autoptr(HbConnection) conn = NULL;
  HbTimeline *record;
  HbTimelineEvent bye_out, bye_in, fin_in, ping_in, pong_out;
  gint64 reading_again;
  gint64 ping_arrival = 0;

  server_start (&s, 0, NULL);
  client_new (&c, s.port, "late-reader");
  g_signal_connect (c.client, "ping", G_CALLBACK (note_ping_arrival), &ping_arrival);
  client_connect (&c);
  conn = g_object_ref (server_conn (&s, c.client));
  g_object_set (c.client, "reading", FALSE, NULL);

  /* Unanswered, the server gives up: BYE timeout, then its FIN, which
   * the client's kernel has once its socket is in CLOSE_WAIT. */
  hb_assert_eventually (s.disconnects->len == 1 ||
                        socket_in_state (hb_client_get_socket (c.client), HB_TCP_CLOSE_WAIT));
  hb_assert_eventually (socket_in_state (hb_client_get_socket (c.client), HB_TCP_CLOSE_WAIT));
  bye_out = last_event (hb_connection_get_timeline (conn), HB_EVENT_LINE_OUT, HB_VERB_BYE);

  reading_again = g_get_monotonic_time ();
  g_object_set (c.client, "reading", TRUE, NULL);
  hb_assert_eventually (c.disconnects == 1);

  record = hb_client_get_timeline (c.client);
  bye_in = last_event (record, HB_EVENT_LINE_IN, HB_VERB_BYE);
  fin_in = last_event (record, HB_EVENT_FIN_IN, HB_VERB_UNKNOWN);
  ping_in = last_event (record, HB_EVENT_LINE_IN, HB_VERB_PING);
  pong_out = last_event (record, HB_EVENT_LINE_OUT, HB_VERB_PONG);

  /* Read after reading was switched on, but arrived before, when the
   * server wrote it. */
  g_assert_cmpint (bye_in.mono_us, >=, reading_again);
  g_assert_true (bye_in.arrival_known);
  g_assert_cmpint (bye_in.mono_us - bye_in.waited_us, >=, bye_out.mono_us);
  g_assert_cmpint (bye_in.mono_us - bye_in.waited_us, <, reading_again);
  g_test_message ("BYE written at %" G_GINT64_FORMAT " µs, arrived %u µs before it was read, %" G_GINT64_FORMAT
                  " µs after reading was switched on",
                  bye_out.mono_us, bye_in.waited_us, bye_in.mono_us - reading_again);
  /* Every late PING too, by the time the BYE arrived at the latest. */
  g_assert_true (ping_in.arrival_known);
  g_assert_cmpint (ping_in.mono_us - ping_in.waited_us, <=, bye_in.mono_us - bye_in.waited_us);
  /* ... which the ping signal's handler is told (the class checks judge
   * a server's timing by it). */
  g_assert_cmpint (ping_arrival, ==, ping_in.mono_us - ping_in.waited_us);
  g_assert_cmpint (ping_arrival, <, reading_again);
  /* The FIN came with that data: the data's stamp, the FIN's read. */
  g_assert_true (fin_in.arrival_known);
  g_assert_cmpint (fin_in.mono_us - fin_in.waited_us, <, reading_again);
  /* The answers to those PINGs left only after all that was read. */
  g_assert_cmpint (pong_out.mono_us, >=, reading_again);

  g_clear_object (&conn);
  server_free (&s);
  client_free (&c);
}

/* A client that reads at once: what it read arrived just before. */
static void
test_arrival_prompt (void)
{
  ServerRec s;
  ClientRec c;
  HbTimelineEvent welcome;

  server_start (&s, 0, NULL);
  client_new (&c, s.port, "prompt");
  client_connect (&c);
  welcome = last_event (hb_client_get_timeline (c.client), HB_EVENT_LINE_IN, HB_VERB_WELCOME);
  g_assert_true (welcome.arrival_known);
  g_assert_cmpuint (welcome.waited_us, <, 50 * 1000);
  client_close (&c);
  server_free (&s);
  client_free (&c);
}

static void
count_reconnecting (HbClient *client,
                    guint     delay_ms,
                    guint     attempt,
                    guint    *count)
{
  (*count)++;
}

/* A client made in a context of its own keeps every source there, also
 * when connected from elsewhere: only @context is iterated here, so the
 * second attempt comes from the reconnect timer attached to it, and the
 * attempts' outcome from GIO in it. */
static void
test_own_context (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof sa;
  HbClient *client;
  guint reconnectings = 0;
  int fd;

  /* Bound and not listening: every connect to it is refused at once. */
  fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &sa, sizeof sa), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &sa, &len), ==, 0);

  g_main_context_push_thread_default (context);
  client = hb_client_new ("127.0.0.1", ntohs (sa.sin_port), "alice");
  g_main_context_pop_thread_default (context);
  g_object_set (client,
                "auto-reconnect", TRUE,
                "reconnect-min-ms", 20,
                "reconnect-max-ms", 40,
                NULL);
  g_signal_connect (client, "reconnecting", G_CALLBACK (count_reconnecting), &reconnectings);
  hb_client_connect (client);
  hb_assert_eventually_in (context, reconnectings >= 2);

  hb_client_disconnect (client);
  g_assert_cmpint (hb_client_get_state (client), ==, HB_CLIENT_DISCONNECTED);
  g_assert_finalize_object (client);
  close (fd);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add_pair_test ("/core/client/welcome", test_welcome);
  add_pair_test ("/core/client/answers-heartbeats", test_answers_heartbeats);
  add_pair_test ("/core/client/no-pong-goes-late-then-dead", test_no_pong);
  add_pair_test ("/core/client/pong-delay", test_pong_delay);
  g_test_add_func ("/core/client/messages", test_messages);
  add_pair_test ("/core/client/disconnect-graceful", test_disconnect_graceful);
  add_pair_test ("/core/client/abort-rst", test_abort_rst);
  add_pair_test ("/core/client/half-close", test_half_close);
  add_pair_test ("/core/client/server-shutdown", test_server_shutdown);
  g_test_add_func ("/core/client/reconnect-after-restart", test_reconnect_after_restart);
  g_test_add_func ("/core/client/connect-refused", test_connect_refused);
  g_test_add_func ("/core/client/dead-server", test_dead_server);
  g_test_add_func ("/core/client/stop-reading", test_stop_reading);
  add_pair_test ("/core/client/timeline", test_timeline);
  g_test_add_func ("/core/client/arrival-times", test_arrival_times);
  g_test_add_func ("/core/client/arrival-prompt", test_arrival_prompt);
  g_test_add_func ("/core/client/dispose-while-connected", test_dispose_while_connected);
  g_test_add_func ("/core/client/reconnect-backoff-grows", test_reconnect_backoff_grows);
  g_test_add_func ("/core/client/server-view-agrees", test_server_view_agrees);
  g_test_add_func ("/core/client/message-handler-ends-connection", test_message_handler_ends_connection);
  g_test_add_func ("/core/client/server-view-hostile-seqs", test_server_view_hostile_seqs);
  g_test_add_func ("/core/client/farewell-stops-reconnecting", test_farewell_stops_reconnecting);
  g_test_add_func ("/core/client/bad-server-line", test_bad_server_line);
  g_test_add_func ("/core/client/disconnect-drain-bounded", test_disconnect_drain_bounded);
  g_test_add_func ("/core/client/own-context", test_own_context);

  return g_test_run ();
}
