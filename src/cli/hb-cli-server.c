/* hb-cli-server.c - the "server" subcommand of heartbeat-lab-cli
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>

#include <glib-unix.h>
#include <glib/gi18n.h>

#include "heartbeat-lab.h"
#include "hb-cli-lab.h"
#include "hb-cli-output.h"
#include "hb-cli-server.h"
#include "hb-cli-server-private.h"

/* How a client is called in human output: its name once it gave one. */
static const char *
who (HbConnection *conn)
{
  const char *name = hb_connection_get_name (conn);

  return name != NULL && *name != '\0' ? name : hb_connection_get_peer (conn);
}

static const char *
initiator_word (HbInitiator initiator)
{
  /* This program is the server: LOCAL means the server closed first. */
  return initiator == HB_INITIATOR_LOCAL ? "server" : "client";
}

/* ---------------------------------------------------------------------- */
/* Server signals                                                          */

static void
on_liveness (HbServer     *server,
             HbConnection *conn,
             HbLiveness    liveness,
             HbCliServer  *self)
{
  guint id = hb_connection_get_id (conn);
  guint missed = hb_connection_get_missed (conn);
  HbCliEvent *ev = hb_cli_event (self->out, "liveness");

  hb_cli_event_int (ev, "id", id);
  hb_cli_event_string (ev, "liveness", hb_liveness_to_string (liveness));
  hb_cli_event_int (ev, "missed", missed);
  switch (liveness)
    {
    case HB_LIVENESS_ALIVE:
      hb_cli_event_say (ev, _("[%u] alive again"), id);
      break;
    case HB_LIVENESS_LATE:
      /* Late: a heartbeat has waited longer than the interval, and was
       * counted missed at that moment (the count is of the whole
       * connection, not only of those waiting now). */
      hb_cli_event_say (ev,
                        g_dngettext (GETTEXT_PACKAGE,
                                     "[%u] late: no answer within the interval (%u heartbeat missed so far)",
                                     "[%u] late: no answer within the interval (%u heartbeats missed so far)", missed),
                        id, missed);
      break;
    case HB_LIVENESS_DEAD:
    default:
      hb_cli_event_say (ev, _("[%u] dead: no answer within the timeout"), id);
      break;
    }
  hb_cli_event_emit (ev);
}

static void
on_client_connected (HbServer     *server,
                     HbConnection *conn,
                     HbCliServer  *self)
{
  g_ptr_array_add (self->clients, g_object_ref (conn));

  HbCliEvent *ev = hb_cli_event (self->out, "connected");

  hb_cli_event_int (ev, "id", hb_connection_get_id (conn));
  hb_cli_event_string (ev, "peer", hb_connection_get_peer (conn));
  hb_cli_event_string (ev, "protocol", hb_protocol_to_string (hb_connection_get_protocol (conn)));
  hb_cli_event_say (ev, _("[%u] %s connected"), hb_connection_get_id (conn), hb_connection_get_peer (conn));
  hb_cli_event_emit (ev);
}

static void
on_client_hello (HbServer     *server,
                 HbConnection *conn,
                 const char   *name,
                 HbCliServer  *self)
{
  HbCliEvent *ev = hb_cli_event (self->out, "hello");

  hb_cli_event_int (ev, "id", hb_connection_get_id (conn));
  hb_cli_event_string (ev, "name", name);
  if (!is_json (self))
    {
      g_autofree char *safe = hb_text_make_safe (name);

      hb_cli_event_say (ev, _("[%u] %s calls itself %s"),
                        hb_connection_get_id (conn), hb_connection_get_peer (conn), safe);
    }
  hb_cli_event_emit (ev);
}

static void
on_message (HbServer     *server,
            HbConnection *conn,
            const char   *text,
            HbCliServer  *self)
{
  HbCliEvent *ev = hb_cli_event (self->out, "message");

  hb_cli_event_int (ev, "id", hb_connection_get_id (conn));
  hb_cli_event_string (ev, "name", hb_connection_get_name (conn));
  hb_cli_event_string (ev, "text", text);
  if (!is_json (self))
    {
      /* A client's text never reaches the operator's terminal as it is. */
      g_autofree char *safe_who = hb_text_make_safe (who (conn));
      g_autofree char *safe = hb_text_make_safe (text);

      hb_cli_event_say (ev, "[%u] %s: %s", hb_connection_get_id (conn), safe_who, safe);
    }
  hb_cli_event_emit (ev);
}

static void
on_ping_sent (HbServer     *server,
              HbConnection *conn,
              guint64       seq,
              HbCliServer  *self)
{
  GString *s;

  /* A human sees each heartbeat once, when its PONG comes back (or the
   * liveness line when it does not). */
  if (!is_json (self))
    return;

  s = hb_cli_output_begin_plain (self->out, "ping");
  hb_cli_plain_add_int (s, "id", hb_connection_get_id (conn));
  hb_cli_plain_add_int (s, "seq", (gint64) seq);
  hb_cli_output_emit_plain (self->out, s);
}

static void
on_pong (HbServer     *server,
         HbConnection *conn,
         guint64       seq,
         gint64        rtt_us,
         HbCliServer  *self)
{
  guint id = hb_connection_get_id (conn);
  char seq_text[24];

  if (is_json (self))
    {
      GString *s = hb_cli_output_begin_plain (self->out, "pong");

      hb_cli_plain_add_int (s, "id", id);
      hb_cli_plain_add_int (s, "seq", (gint64) seq);
      if (rtt_us >= 0)
        hb_cli_plain_add_ms (s, "rtt_ms", rtt_us);
      else
        hb_cli_plain_add_null (s, "rtt_ms");
      hb_cli_output_emit_plain (self->out, s);
      return;
    }

  g_snprintf (seq_text, sizeof seq_text, "%" G_GUINT64_FORMAT, seq);
  if (is_lab (self) && rtt_us >= 0)
    {
      hb_cli_output_print (self->out, _("[%u] heartbeat %s → ack, rtt %.2f ms"),
                           id, seq_text, (double) rtt_us / 1000.0);
    }
  else if (is_lab (self))
    {
      hb_cli_output_print (self->out, _("[%u] an ack for no heartbeat in flight"), id);
    }
  else if (rtt_us >= 0)
    {
      hb_cli_output_print (self->out, _("[%u] ping %s → pong rtt %.2f ms"),
                           id, seq_text, (double) rtt_us / 1000.0);
    }
  else
    {
      hb_cli_output_print (self->out, _("[%u] pong %s for no heartbeat in flight"),
                           id, seq_text);
    }
}

static void
on_data_received (HbServer     *server,
                  HbConnection *conn,
                  GBytes       *bytes,
                  gpointer      info,
                  HbCliServer  *self)
{
  hb_cli_lab_show_read (self->lab, self->out, TRUE, hb_connection_get_id (conn),
                        hb_connection_get_peer (conn), bytes, info);
}

static void
on_error_sent (HbServer     *server,
               HbConnection *conn,
               HbErrCode     code,
               const char   *text,
               HbCliServer  *self)
{
  HbCliEvent *ev = hb_cli_event (self->out, "error");

  hb_cli_event_int (ev, "id", hb_connection_get_id (conn));
  hb_cli_event_string (ev, "code", hb_err_code_to_string (code));
  hb_cli_event_string (ev, "text", text);
  hb_cli_event_say (ev, _("[%u] refused a line: %s (%s)"),
                    hb_connection_get_id (conn), hb_err_code_to_string (code), text);
  hb_cli_event_emit (ev);
}

/* How TCP ended the connection, for JSON. */
static const char *
close_kind_word (HbCloseKind kind)
{
  switch (kind)
    {
    case HB_CLOSE_FIN:
      return "fin";
    case HB_CLOSE_RESET:
      return "reset";
    case HB_CLOSE_NO_FIN:
      return "no-fin";
    case HB_CLOSE_ERROR:
      return "error";
    case HB_CLOSE_OPEN:
    default:
      return NULL;
    }
}

/* The same for a person. */
static const char *
close_kind_text (HbCloseKind kind)
{
  switch (kind)
    {
    case HB_CLOSE_FIN:
      return _("FIN both ways");
    case HB_CLOSE_RESET:
      return _("RST from the client");
    case HB_CLOSE_NO_FIN:
      return _("the client never sent its FIN");
    case HB_CLOSE_ERROR:
    case HB_CLOSE_OPEN:
    default:
      return _("a socket error");
    }
}

static void
on_client_disconnected (HbServer     *server,
                        HbConnection *conn,
                        HbByeReason   reason,
                        HbInitiator   initiator,
                        HbCliServer  *self)
{
  guint id = hb_connection_get_id (conn);
  const char *why = hb_bye_reason_to_string (reason);
  HbCloseKind kind = hb_connection_get_close_kind (conn);

  g_ptr_array_remove (self->clients, conn);

  {
    HbCliEvent *ev = hb_cli_event (self->out, "disconnected");

    hb_cli_event_int (ev, "id", id);
    hb_cli_event_string (ev, "reason", why);
    hb_cli_event_string (ev, "initiator", initiator_word (initiator));
    hb_cli_event_string (ev, "close", close_kind_word (kind));
    if (initiator == HB_INITIATOR_LOCAL)
      hb_cli_event_say (ev, _("[%u] disconnected: %s (the server closed first; %s)"),
                        id, why, close_kind_text (kind));
    else
      hb_cli_event_say (ev, _("[%u] disconnected: %s (the client closed first; %s)"),
                        id, why, close_kind_text (kind));
    hb_cli_event_emit (ev);
  }
}

static void
on_client_rejected (HbServer    *server,
                    const char  *peer,
                    HbByeReason  reason,
                    HbCliServer *self)
{
  HbCliEvent *ev = hb_cli_event (self->out, "rejected");

  hb_cli_event_string (ev, "peer", peer);
  hb_cli_event_string (ev, "reason", hb_bye_reason_to_string (reason));
  hb_cli_event_say (ev, _("%s turned away: %s"), peer, hb_bye_reason_to_string (reason));
  hb_cli_event_emit (ev);
}

/* ---------------------------------------------------------------------- */
/* Shutting down                                                           */

static void
shutdown_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  HbCliServer *self;

  hb_server_shutdown_finish (HB_SERVER (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = user_data;
  g_main_loop_quit (self->loop);
}

void
hb_cli_server_begin_shutdown (HbCliServer *self)
{
  guint n;

  if (self->shutting_down)
    {
      /* Asked twice: stop waiting for the clients to drain. */
      g_main_loop_quit (self->loop);
      return;
    }
  self->shutting_down = TRUE;
  if (self->input != NULL)
    hb_cli_input_pause (self->input);
  hb_cli_server_flush_broadcasts (self);

  n = self->clients->len;
  {
    HbCliEvent *ev = hb_cli_event (self->out, "shutdown");

    hb_cli_event_int (ev, "clients", n);
    if (has_bye (self))
      hb_cli_event_say (ev, g_dngettext (GETTEXT_PACKAGE,
                                         "shutting down: saying BYE to %u client",
                                         "shutting down: saying BYE to %u clients", n),
                        n);
    else
      hb_cli_event_say (ev, g_dngettext (GETTEXT_PACKAGE,
                                         "shutting down: closing %u client with FIN",
                                         "shutting down: closing %u clients with FIN", n),
                        n);
    hb_cli_event_emit (ev);
  }

  hb_server_shutdown_async (self->server, HB_DEFAULT_DRAIN_MS, self->cancellable,
                            shutdown_cb, self);
}

static gboolean
on_unix_signal (gpointer user_data)
{
  hb_cli_server_begin_shutdown (user_data);
  return G_SOURCE_CONTINUE;
}

/* ---------------------------------------------------------------------- */
/* Entry point                                                             */

static void
on_accept_paused (HbServer    *server,
                  const char  *why,
                  HbCliServer *self)
{
  /* Once per episode, on stderr: the operator must hear of it even with
   * --json, and once is enough. */
  hb_cli_error (_("warning: %s"), why);
}

static void
on_accept_resumed (HbServer    *server,
                   HbCliServer *self)
{
  hb_cli_error (_("accepting clients again"));
}

static void
emit_listening (HbCliServer *self)
{
  const char *address = hb_server_get_address (self->server);
  guint port = hb_server_get_port (self->server);
  HbProtocol protocol = self->lab->protocol;
  g_autofree char *where = NULL;
  HbCliEvent *ev;
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);

  /* Beyond loopback the server is open to the network, and nothing in any
   * of the three protocols authenticates or encrypts. */
  if (inet != NULL && !g_inet_address_get_is_loopback (inet))
    {
      g_autofree char *bound = hb_format_endpoint (address, port);

      hb_cli_error (_("warning: listening on %s: any machine that can reach this one can connect, "
                      "and nothing is authenticated or encrypted"), bound);
    }

  where = hb_format_endpoint (address, port);
  ev = hb_cli_event (self->out, "listening");
  hb_cli_event_string (ev, "address", address);
  hb_cli_event_int (ev, "port", port);
  hb_cli_event_string (ev, "protocol", hb_protocol_to_string (protocol));
  /* Raw TCP has no heartbeat. */
  if (protocol == HB_PROTOCOL_RAW)
    {
      hb_cli_event_null (ev, "interval_ms");
      hb_cli_event_null (ev, "timeout_ms");
    }
  else
    {
      hb_cli_event_int (ev, "interval_ms", hb_server_get_interval_ms (self->server));
      hb_cli_event_int (ev, "timeout_ms", hb_server_get_timeout_ms (self->server));
    }
  if (protocol != HB_PROTOCOL_LINE)
    {
      hb_cli_event_string (ev, "line_ending", hb_line_ending_to_string (self->lab->line_ending));
      hb_cli_event_string (ev, "encoding", hb_encoding_to_string (self->lab->encoding));
    }

  if (protocol == HB_PROTOCOL_LAB)
    {
      g_autofree char *heartbeat = hb_cli_lab_quote (self->lab, self->lab->heartbeat);
      g_autofree char *ack = hb_cli_lab_quote (self->lab, self->lab->ack);

      /* Translators: "listening on 127.0.0.1:12001, the lab's protocol:
       * “heartbeat” every 10000 ms, answered by “heartbeat ack”, ..." */
      hb_cli_event_say (ev,
                        _("listening on %s, the lab's protocol: %s every %u ms, answered by %s, "
                          "timeout %u ms; /help for commands"),
                        where, heartbeat, hb_server_get_interval_ms (self->server), ack,
                        hb_server_get_timeout_ms (self->server));
    }
  else if (protocol == HB_PROTOCOL_RAW)
    hb_cli_event_say (ev, _("listening on %s, raw TCP (no heartbeat); /help for commands"), where);
  else
    hb_cli_event_say (ev, _("listening on %s (heartbeat every %u ms, timeout %u ms); /help for commands"),
                      where, hb_server_get_interval_ms (self->server),
                      hb_server_get_timeout_ms (self->server));
  hb_cli_event_emit (ev);
}

static void
forget_connections (HbCliServer *self)
{
  g_ptr_array_set_size (self->clients, 0);
}

int
hb_cli_server_run (int    argc,
                   char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *bind = NULL;
  g_autofree char *port_text = NULL;
  g_autofree char *interval_text = NULL;
  g_autofree char *timeout_text = NULL;
  g_autofree char *max_clients_text = NULL;
  g_autofree char *max_line_text = NULL;
  gboolean relay = FALSE;
  gboolean json = FALSE;
  guint port = HB_DEFAULT_PORT;
  guint interval = HB_DEFAULT_INTERVAL_MS;
  guint timeout = HB_DEFAULT_TIMEOUT_MS;
  guint max_clients = HB_DEFAULT_MAX_CLIENTS;
  guint max_line = HB_DEFAULT_MAX_LINE;
  HbCliServer self = { 0 };
  g_auto(HbCliLab) lab = { 0 };
  const GOptionEntry entries[] = {
    { "bind", 'b', 0, G_OPTION_ARG_STRING, &bind,
      N_("Address to listen on (default 127.0.0.1; :: or 0.0.0.0 for every interface)"), N_("ADDR") },
    { "port", 'p', 0, G_OPTION_ARG_STRING, &port_text,
      N_("TCP port (default 12001; 0 lets the system pick one)"), N_("N") },
    { "interval", 'i', 0, G_OPTION_ARG_STRING, &interval_text,
      N_("Milliseconds between heartbeats (default 10000)"), N_("MS") },
    { "timeout", 't', 0, G_OPTION_ARG_STRING, &timeout_text,
      N_("Close a client that has not answered for this many milliseconds; longer than the interval (default 30000)"), N_("MS") },
    { "max-clients", 0, 0, G_OPTION_ARG_STRING, &max_clients_text,
      N_("Most clients at once; more are turned away (default 10000)"), N_("N") },
    { "max-line", 0, 0, G_OPTION_ARG_STRING, &max_line_text,
      N_("Longest line accepted, in bytes with its LF (default 1024)"), N_("N") },
    { "relay", 'r', 0, G_OPTION_ARG_NONE, &relay,
      N_("Forward each client's MSG to the other clients"), NULL },
    { NULL }
  };
  const GOptionEntry output_entries[] = {
    { "json", 'j', 0, G_OPTION_ARG_NONE, &json,
      N_("Print one JSON object per line for each event"), NULL },
    { NULL }
  };

  g_set_prgname (HB_CLI_NAME " server");
  context = g_option_context_new (NULL);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
    _("Runs a heartbeat server. Every line typed on standard input is broadcast\n"
      "to every client; /list, /send ID TEXT, /kick ID, /quit and /help are\n"
      "commands (in lab, /beat ID [TEXT] too). End of input does not stop the server.\n"
      "\n"
      "In lab and raw, a line typed goes out as its bytes, with --line-ending\n"
      "after it, and every read from a client is shown as it came."));
  g_option_context_set_description (context,
    _("SIGINT and SIGTERM stop the server gracefully: every client gets BYE shutdown\n"
      "(in lab and raw, which have no BYE, a FIN).\n"
      "\n"
      "Exit status: 0 after /quit, SIGINT or SIGTERM; 1 when the server cannot\n"
      "listen (address in use, bad address); 2 for wrong usage."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  hb_cli_lab_add_options (&lab, context);
  g_option_context_add_main_entries (context, output_entries, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    return hb_cli_usage_error ("server", error->message);
  if (argc > 1)
    {
      g_autofree char *message = g_strdup_printf (_("unexpected argument “%s”"), argv[1]);

      return hb_cli_usage_error ("server", message);
    }
  if (!hb_cli_parse_uint ("--port", port_text, 0, 65535, &port, &error) ||
      !hb_cli_parse_uint ("--interval", interval_text, 1, G_MAXINT / 1000, &interval, &error) ||
      !hb_cli_parse_uint ("--timeout", timeout_text, 1, G_MAXINT / 1000, &timeout, &error) ||
      !hb_cli_parse_uint ("--max-clients", max_clients_text, 1, G_MAXINT, &max_clients, &error) ||
      !hb_cli_parse_uint ("--max-line", max_line_text, 16, 1024 * 1024, &max_line, &error) ||
      !hb_cli_lab_parse (&lab, &error))
    return hb_cli_usage_error ("server", error->message);
  /* The dead clock runs from a client's last PONG, and its next PONG can
   * come only after the next PING, one interval later: a timeout no longer
   * than that declares every client dead, however fast it answers. Raw TCP
   * has neither. */
  if (timeout <= interval && lab.protocol != HB_PROTOCOL_RAW)
    {
      g_autofree char *message =
        g_strdup_printf (_("--timeout (%u ms) must be longer than --interval (%u ms): otherwise every client "
                           "is declared dead before the next heartbeat lets it answer"),
                         timeout, interval);

      return hb_cli_usage_error ("server", message);
    }
  if (bind != NULL && *bind == '\0')
    return hb_cli_usage_error ("server", _("--bind needs an address"));
  hb_cli_lab_warn_unused (&lab);
  if (lab.protocol == HB_PROTOCOL_RAW)
    {
      if (interval_text != NULL)
        hb_cli_warn_no_effect ("--interval", lab.protocol);
      if (timeout_text != NULL)
        hb_cli_warn_no_effect ("--timeout", lab.protocol);
    }
  if (lab.protocol != HB_PROTOCOL_LINE)
    {
      /* Both work on the line protocol's lines only. */
      if (relay)
        hb_cli_warn_no_effect ("--relay", lab.protocol);
      if (max_line_text != NULL)
        hb_cli_warn_no_effect ("--max-line", lab.protocol);
    }

  self.lab = &lab;
  self.out = hb_cli_output_new (json);
  self.clients = g_ptr_array_new_with_free_func (g_object_unref);
  self.pending = g_ptr_array_new_with_free_func (g_free);
  self.server = g_object_new (HB_TYPE_SERVER,
                              "address", bind != NULL ? bind : "127.0.0.1",
                              "port", port,
                              "interval-ms", interval,
                              "timeout-ms", timeout,
                              "max-clients", max_clients,
                              "max-line", max_line,
                              "relay", relay,
                              NULL);
  hb_cli_lab_apply (&lab, self.server);
  /* /list reads the counters when asked; nothing here listens for them. */
  hb_server_set_live_counters (self.server, FALSE);

  if (!hb_server_start (self.server, &error))
    {
      hb_cli_error ("%s", error->message);
      g_clear_object (&self.server);
      g_ptr_array_unref (self.clients);
      g_ptr_array_unref (self.pending);
      hb_cli_output_free (self.out);
      return HB_CLI_EXIT_FAILURE;
    }

  g_signal_connect (self.server, "client-connected", G_CALLBACK (on_client_connected), &self);
  g_signal_connect (self.server, "client-hello", G_CALLBACK (on_client_hello), &self);
  g_signal_connect (self.server, "client-liveness", G_CALLBACK (on_liveness), &self);
  g_signal_connect (self.server, "message", G_CALLBACK (on_message), &self);
  g_signal_connect (self.server, "ping-sent", G_CALLBACK (on_ping_sent), &self);
  g_signal_connect (self.server, "pong", G_CALLBACK (on_pong), &self);
  g_signal_connect (self.server, "error-sent", G_CALLBACK (on_error_sent), &self);
  g_signal_connect (self.server, "client-disconnected", G_CALLBACK (on_client_disconnected), &self);
  g_signal_connect (self.server, "client-rejected", G_CALLBACK (on_client_rejected), &self);
  g_signal_connect (self.server, "accept-paused", G_CALLBACK (on_accept_paused), &self);
  g_signal_connect (self.server, "accept-resumed", G_CALLBACK (on_accept_resumed), &self);
  /* Only where it is wanted: a read is copied for each handler. */
  if (lab.protocol != HB_PROTOCOL_LINE)
    g_signal_connect (self.server, "data-received", G_CALLBACK (on_data_received), &self);

  emit_listening (&self);

  self.loop = g_main_loop_new (NULL, FALSE);
  self.cancellable = g_cancellable_new ();
  self.sigint_id = g_unix_signal_add (SIGINT, on_unix_signal, &self);
  self.sigterm_id = g_unix_signal_add (SIGTERM, on_unix_signal, &self);
  self.input = hb_cli_input_new (hb_cli_server_on_stdin_line, &self);
  hb_cli_input_resume (self.input);

  g_main_loop_run (self.loop);

  g_cancellable_cancel (self.cancellable);
  g_clear_handle_id (&self.sigint_id, g_source_remove);
  g_clear_handle_id (&self.sigterm_id, g_source_remove);
  g_clear_pointer (&self.input, hb_cli_input_free);
  g_clear_handle_id (&self.pending_id, g_source_remove);
  g_clear_pointer (&self.pending, g_ptr_array_unref);
  forget_connections (&self);
  g_signal_handlers_disconnect_by_data (self.server, &self);
  g_clear_object (&self.server);
  g_clear_object (&self.cancellable);
  g_clear_pointer (&self.clients, g_ptr_array_unref);
  g_clear_pointer (&self.loop, g_main_loop_unref);
  g_clear_pointer (&self.out, hb_cli_output_free);

  return HB_CLI_EXIT_OK;
}
