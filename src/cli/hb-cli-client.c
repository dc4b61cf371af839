/* hb-cli-client.c - the "client" subcommand of heartbeat-lab-cli
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>
#include <string.h>

#include <glib-unix.h>
#include <glib/gi18n.h>

#include "heartbeat-lab.h"
#include "hb-cli-client.h"
#include "hb-cli-lab.h"
#include "hb-cli-output.h"

/* After SIGINT/SIGTERM, how long the server gets to answer our BYE. */
#define FAILSAFE_MS 3000

typedef struct
{
  HbClient     *client;
  HbCliLab     *lab;
  HbCliOutput  *out;
  HbCliInput   *input;
  GMainLoop    *loop;
  char         *where;        /* "host:port" or "[v6]:port", for messages */
  char         *pending;      /* a line read while there was no connection */
  gboolean      answer_pings;
  gboolean      connected;    /* the current attempt got a connection */
  gboolean      input_done;   /* stdin ended */
  gboolean      leaving;      /* we asked to disconnect */
  int           status;
  guint         sigint_id;
  guint         sigterm_id;
  guint         failsafe_id;
} HbCliClient;

static gboolean
is_json (HbCliClient *self)
{
  return hb_cli_output_is_json (self->out);
}

static gboolean
is_lab (HbCliClient *self)
{
  return self->lab->protocol == HB_PROTOCOL_LAB;
}

static const char *
initiator_word (HbInitiator initiator)
{
  /* This program is the client: LOCAL means the client closed first. */
  return initiator == HB_INITIATOR_LOCAL ? "client" : "server";
}

static void
leave (HbCliClient *self)
{
  self->leaving = TRUE;
  if (self->input != NULL)
    hb_cli_input_pause (self->input);
  hb_client_disconnect (self->client);
}

static void
finish (HbCliClient *self,
        int          status)
{
  self->status = status;
  g_main_loop_quit (self->loop);
}

/* ---------------------------------------------------------------------- */
/* Client signals                                                          */

static void
on_state (HbClient    *client,
          GParamSpec  *pspec,
          HbCliClient *self)
{
  HbClientState state = hb_client_get_state (client);

  if (state == HB_CLIENT_CONNECTING)
    {
      self->connected = FALSE;
      return;
    }
  if (state != HB_CLIENT_CONNECTED)
    return;

  self->connected = TRUE;
  {
    HbCliEvent *ev = hb_cli_event (self->out, "connected");

    hb_cli_event_string (ev, "host", hb_client_get_host (client));
    hb_cli_event_int (ev, "port", hb_client_get_port (client));
    hb_cli_event_string (ev, "protocol", hb_protocol_to_string (hb_client_get_protocol (client)));
    if (is_lab (self))
      {
        g_autofree char *heartbeat = hb_cli_lab_quote (self->lab, self->lab->heartbeat);
        g_autofree char *ack = hb_cli_lab_quote (self->lab, self->lab->ack);

        /* Translators: "connected to 127.0.0.1:12001, the lab's protocol:
         * “heartbeat” is answered with “heartbeat ack”" */
        hb_cli_event_say (ev, _("connected to %s, the lab's protocol: %s is answered with %s"),
                          self->where, heartbeat, ack);
      }
    else if (self->lab->protocol == HB_PROTOCOL_RAW)
      hb_cli_event_say (ev, _("connected to %s, raw TCP"), self->where);
    else
      hb_cli_event_say (ev, _("connected to %s"), self->where);
    hb_cli_event_emit (ev);
  }

  if (self->pending != NULL)
    {
      g_autofree char *line = g_steal_pointer (&self->pending);

      hb_client_send_message (client, line);
    }
  if (self->input_done)
    leave (self);
  else if (!self->leaving)
    hb_cli_input_resume (self->input);
}

static void
on_welcome (HbClient    *client,
            guint        id,
            guint        interval_ms,
            guint        timeout_ms,
            HbCliClient *self)
{
  HbCliEvent *ev = hb_cli_event (self->out, "welcome");

  hb_cli_event_int (ev, "id", id);
  hb_cli_event_int (ev, "interval_ms", interval_ms);
  hb_cli_event_int (ev, "timeout_ms", timeout_ms);
  hb_cli_event_say (ev, _("welcome: we are client %u; heartbeat every %u ms, timeout %u ms"),
                    id, interval_ms, timeout_ms);
  hb_cli_event_emit (ev);
}

static void
on_ping (HbClient    *client,
         guint64      seq,
         HbCliClient *self)
{
  char seq_text[24];
  HbCliEvent *ev = hb_cli_event (self->out, "ping");

  g_snprintf (seq_text, sizeof seq_text, "%" G_GUINT64_FORMAT, seq);
  hb_cli_event_int (ev, "seq", (gint64) seq);
  /* Answered, the heartbeat gets its one line when the answer goes. */
  if (!self->answer_pings && is_lab (self))
    hb_cli_event_say (ev, _("heartbeat %s (not answered: --no-pong)"), seq_text);
  else if (!self->answer_pings)
    hb_cli_event_say (ev, _("ping %s (not answered: --no-pong)"), seq_text);
  hb_cli_event_emit (ev);
}

static void
on_pong_sent (HbClient    *client,
              guint64      seq,
              HbCliClient *self)
{
  char seq_text[24];
  HbCliEvent *ev = hb_cli_event (self->out, "pong");

  g_snprintf (seq_text, sizeof seq_text, "%" G_GUINT64_FORMAT, seq);
  hb_cli_event_int (ev, "seq", (gint64) seq);
  if (is_lab (self))
    hb_cli_event_say (ev, _("heartbeat %s → ack"), seq_text);
  else
    hb_cli_event_say (ev, _("ping %s → pong"), seq_text);
  hb_cli_event_emit (ev);
}

static void
on_data_received (HbClient    *client,
                  GBytes      *bytes,
                  gpointer     info,
                  HbCliClient *self)
{
  hb_cli_lab_show_read (self->lab, self->out, FALSE, 0, self->where, bytes, info);
}

static void
on_message (HbClient    *client,
            HbVerb       kind,
            const char  *sender,
            const char  *text,
            HbCliClient *self)
{
  /* What a peer wrote never reaches the terminal as it is: an escape
   * sequence could clear it, retitle it or forge a line. */
  g_autofree char *safe = is_json (self) ? NULL : hb_text_make_safe (text);
  HbCliEvent *ev;

  switch (kind)
    {
    case HB_VERB_RELAY:
      {
        g_autofree char *safe_sender = is_json (self) ? NULL : hb_text_make_safe (sender);

        ev = hb_cli_event (self->out, "relay");
        hb_cli_event_string (ev, "name", sender);
        /* Set apart from the operator's lines, whatever the name. */
        hb_cli_event_say (ev, _("relayed from client %s: %s"), safe_sender, safe);
      }
      break;
    case HB_VERB_BCAST:
      ev = hb_cli_event (self->out, "broadcast");
      hb_cli_event_say (ev, _("broadcast: %s"), safe);
      break;
    case HB_VERB_MSG:
    default:
      ev = hb_cli_event (self->out, "message");
      hb_cli_event_say (ev, _("server: %s"), safe);
      break;
    }
  hb_cli_event_string (ev, "text", text);
  hb_cli_event_emit (ev);
}

static void
on_bad_line (HbClient    *client,
             const char  *line,
             const char  *problem,
             HbCliClient *self)
{
  HbCliEvent *ev = hb_cli_event (self->out, "error");

  hb_cli_event_string (ev, "code", "bad-line");
  hb_cli_event_string (ev, "line", line);
  hb_cli_event_string (ev, "text", problem);
  hb_cli_event_say (ev, _("ignored a line no server may send: “%s” (%s)"), line, problem);
  hb_cli_event_emit (ev);
}

static void
on_server_error (HbClient    *client,
                 const char  *code,
                 const char  *text,
                 HbCliClient *self)
{
  HbCliEvent *ev = hb_cli_event (self->out, "error");

  hb_cli_event_string (ev, "code", code);
  hb_cli_event_string (ev, "text", text);
  if (!is_json (self))
    {
      g_autofree char *safe_code = hb_text_make_safe (code);
      g_autofree char *safe_text = hb_text_make_safe (text);

      hb_cli_event_say (ev, _("the server refused a line: %s (%s)"), safe_code, safe_text);
    }
  hb_cli_event_emit (ev);
}

static void
on_bye (HbClient    *client,
        const char  *reason,
        HbCliClient *self)
{
  HbCliEvent *ev = hb_cli_event (self->out, "bye");

  hb_cli_event_string (ev, "reason", reason);
  if (!is_json (self))
    {
      g_autofree char *safe = hb_text_make_safe (reason);

      hb_cli_event_say (ev, _("the server says BYE %s"), safe);
    }
  hb_cli_event_emit (ev);
}

/* A normal end: we left, the server shut down, or it answered our BYE.
 * The lab's protocol and raw TCP have no BYE: there the server's FIN is
 * how it ends a conversation. */
static gboolean
is_normal_end (HbCliClient *self,
               HbByeReason  reason)
{
  return self->leaving || reason == HB_BYE_USER || reason == HB_BYE_SHUTDOWN ||
         reason == HB_BYE_GOODBYE ||
         (reason == HB_BYE_PEER_CLOSED && self->lab->protocol != HB_PROTOCOL_LINE);
}

static void
report_failure (HbCliClient *self,
                gboolean     was_connected,
                HbByeReason  reason,
                const char  *detail)
{
  const char *why = hb_bye_reason_to_string (reason);

  if (!was_connected)
    {
      /* The core's detail already names host:port and the cause. */
      if (detail != NULL)
        hb_cli_error ("%s", detail);
      else
        hb_cli_error (_("cannot connect to %s: %s"), self->where, why);
    }
  else if (reason <= HB_BYE_GOODBYE || reason == HB_BYE_OTHER)
    {
      hb_cli_error (_("the server at %s closed the connection: %s"), self->where, why);
    }
  else if (detail != NULL)
    {
      hb_cli_error (_("lost the connection to %s: %s (%s)"), self->where, why, detail);
    }
  else
    {
      hb_cli_error (_("lost the connection to %s: %s"), self->where, why);
    }
}

static void
on_disconnected (HbClient    *client,
                 HbByeReason  reason,
                 HbInitiator  initiator,
                 const char  *detail,
                 HbCliClient *self)
{
  gboolean was_connected = self->connected;
  gboolean retrying = hb_client_get_state (client) == HB_CLIENT_RECONNECTING;
  gboolean normal = is_normal_end (self, reason);
  const char *why = hb_bye_reason_to_string (reason);

  self->connected = FALSE;
  if (self->input != NULL)
    hb_cli_input_pause (self->input);

  {
    HbCliEvent *ev = hb_cli_event (self->out, "disconnected");

    hb_cli_event_string (ev, "reason", why);
    hb_cli_event_string (ev, "initiator", initiator_word (initiator));
    hb_cli_event_string (ev, "detail", detail);
    /* A failure that ends the program is told once, on stderr: no line. */
    if (normal || retrying)
      {
        if (detail != NULL)
          hb_cli_event_say (ev, _("disconnected: %s (%s)"), why, detail);
        else if (initiator == HB_INITIATOR_LOCAL)
          hb_cli_event_say (ev, _("disconnected: %s (the client closed first)"), why);
        else
          hb_cli_event_say (ev, _("disconnected: %s (the server closed first)"), why);
      }
    hb_cli_event_emit (ev);
  }

  if (retrying)
    return;

  if (!normal)
    report_failure (self, was_connected, reason, detail);
  finish (self, normal ? HB_CLI_EXIT_OK : HB_CLI_EXIT_FAILURE);
}

static void
on_reconnecting (HbClient    *client,
                 guint        delay_ms,
                 guint        attempt,
                 HbCliClient *self)
{
  HbCliEvent *ev = hb_cli_event (self->out, "reconnecting");

  hb_cli_event_int (ev, "delay_ms", delay_ms);
  hb_cli_event_int (ev, "attempt", attempt);
  hb_cli_event_say (ev, _("reconnecting in %u ms (attempt %u)"), delay_ms, attempt);
  hb_cli_event_emit (ev);
}

/* ---------------------------------------------------------------------- */
/* Input and signals                                                       */

static void
on_stdin_line (const char *line,
               gpointer    user_data)
{
  HbCliClient *self = user_data;

  if (line == NULL)
    {
      HbClientState state = hb_client_get_state (self->client);

      self->input_done = TRUE;
      /* A line still waiting for a reconnect goes out first. */
      if (self->pending != NULL &&
          (state == HB_CLIENT_CONNECTING || state == HB_CLIENT_RECONNECTING))
        return;
      leave (self);
      return;
    }

  if (self->leaving)
    return;
  if (*line == '\0' && self->lab->protocol != HB_PROTOCOL_LINE &&
      self->lab->line_ending == HB_LINE_ENDING_NONE)
    {
      hb_cli_output_note (self->out, "%s", _("an empty line is no bytes with --line-ending none: nothing sent"));
      return;
    }

  if (!hb_client_send_message (self->client, line))
    {
      /* No connection right now: hold this line and stop reading until
       * there is one again. */
      g_free (self->pending);
      self->pending = g_strdup (line);
      hb_cli_input_pause (self->input);
    }
}

static gboolean
failsafe_cb (gpointer user_data)
{
  HbCliClient *self = user_data;

  self->failsafe_id = 0;
  finish (self, HB_CLI_EXIT_OK);
  return G_SOURCE_REMOVE;
}

static gboolean
on_unix_signal (gpointer user_data)
{
  HbCliClient *self = user_data;

  if (self->failsafe_id != 0)
    {
      /* Asked twice: do not wait for the server any longer. */
      finish (self, HB_CLI_EXIT_OK);
      return G_SOURCE_CONTINUE;
    }
  self->failsafe_id = g_timeout_add (FAILSAFE_MS, failsafe_cb, self);
  leave (self);
  return G_SOURCE_CONTINUE;
}

/* ---------------------------------------------------------------------- */
/* Entry point                                                             */

gboolean
hb_cli_parse_host_port (const char  *text,
                        char       **host,
                        guint       *port,
                        GError     **error)
{
  g_autofree char *name = NULL;
  const char *port_text = NULL;

  if (text[0] == '[')
    {
      const char *end = strchr (text, ']');

      if (end == NULL || (end[1] != '\0' && end[1] != ':'))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("“%s” is not HOST[:PORT] (an IPv6 address goes in brackets: [::1]:12001)"),
                       text);
          return FALSE;
        }
      name = g_strndup (text + 1, end - text - 1);
      if (end[1] == ':')
        port_text = end + 2;
    }
  else
    {
      const char *colon = strchr (text, ':');

      /* More than one colon: a bare IPv6 address, without a port. */
      if (colon != NULL && strchr (colon + 1, ':') == NULL)
        {
          name = g_strndup (text, colon - text);
          port_text = colon + 1;
        }
      else
        {
          name = g_strdup (text);
        }
    }

  if (*name == '\0')
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("“%s” names no host"), text);
      return FALSE;
    }
  if (port_text != NULL)
    {
      guint64 value = 0;

      if (!g_ascii_string_to_unsigned (port_text, 10, 1, 65535, &value, NULL))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("“%s” is not a port number from 1 to 65535"), port_text);
          return FALSE;
        }
      *port = (guint) value;
    }

  *host = g_steal_pointer (&name);
  return TRUE;
}

int
hb_cli_client_run (int    argc,
                   char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *host = NULL;
  g_autofree char *timeout_text = NULL;
  gboolean no_pong = FALSE;
  gboolean reconnect = FALSE;
  gboolean json = FALSE;
  guint port = HB_DEFAULT_PORT;
  guint timeout = HB_DEFAULT_TIMEOUT_MS;
  HbCliClient self = { 0 };
  g_auto(HbCliLab) lab = { 0 };
  const GOptionEntry entries[] = {
    { "name", 'n', 0, G_OPTION_ARG_STRING, &name,
      N_("The name the server shows for this client (1–32 characters, no spaces)"), N_("NAME") },
    { "no-pong", 0, 0, G_OPTION_ARG_NONE, &no_pong,
      N_("Do not answer heartbeats, to watch the server declare this client late, then dead"), NULL },
    { "reconnect", 'r', 0, G_OPTION_ARG_NONE, &reconnect,
      N_("Reconnect with exponential backoff when the connection is lost"), NULL },
    { "timeout", 't', 0, G_OPTION_ARG_STRING, &timeout_text,
      N_("In lab: declare the server dead after this many milliseconds without a byte from it "
         "(default 30000; the line protocol's server announces its own)"), N_("MS") },
    { NULL }
  };
  const GOptionEntry output_entries[] = {
    { "json", 'j', 0, G_OPTION_ARG_NONE, &json,
      N_("Print one JSON object per line for each event"), NULL },
    { NULL }
  };

  g_set_prgname (HB_CLI_NAME " client");
  context = g_option_context_new (_("HOST[:PORT]"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
    _("Connects to a heartbeat server (default port 12001; write an IPv6\n"
      "address as [::1]:12001). Each line typed on standard input is sent as\n"
      "MSG; heartbeats are answered; end of input says BYE and disconnects.\n"
      "\n"
      "In lab and raw, a line typed goes out as its bytes, with --line-ending\n"
      "after it, every read from the server is shown as it came, and end of\n"
      "input closes with FIN."));
  g_option_context_set_description (context,
    _("SIGINT and SIGTERM disconnect gracefully (BYE, then FIN; in lab and raw\n"
      "a FIN alone).\n"
      "\n"
      "Exit status: 0 after a normal end (end of input, a signal, the\n"
      "server's BYE shutdown, or in lab and raw the server's FIN); 1 when\n"
      "connecting fails, the connection breaks (RST, the server silent for the\n"
      "timeout), or the server ends it for another reason (kicked, timeout,\n"
      "server-full, slow-consumer); 2 for wrong usage."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  hb_cli_lab_add_options (&lab, context);
  g_option_context_add_main_entries (context, output_entries, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    return hb_cli_usage_error ("client", error->message);
  if (argc < 2)
    return hb_cli_usage_error ("client", _("missing HOST[:PORT]"));
  if (argc > 2)
    {
      g_autofree char *message = g_strdup_printf (_("unexpected argument “%s”"), argv[2]);

      return hb_cli_usage_error ("client", message);
    }
  if (!hb_cli_parse_host_port (argv[1], &host, &port, &error) ||
      !hb_cli_parse_uint ("--timeout", timeout_text, 1, G_MAXINT / 1000, &timeout, &error) ||
      !hb_cli_lab_parse (&lab, &error))
    return hb_cli_usage_error ("client", error->message);
  if (name != NULL && !hb_name_is_valid (name, strlen (name)))
    {
      g_autofree char *message = g_strdup_printf (_("--name: “%s” is not a valid name (1–32 characters, no spaces or control characters)"), name);

      return hb_cli_usage_error ("client", message);
    }
  hb_cli_lab_warn_unused (&lab);
  /* The line protocol's WELCOME brings the server's timeout; raw TCP
   * has no heartbeat to miss. */
  if (timeout_text != NULL && lab.protocol != HB_PROTOCOL_LAB)
    hb_cli_warn_no_effect ("--timeout", lab.protocol);
  if (name != NULL && lab.protocol != HB_PROTOCOL_LINE)
    hb_cli_warn_no_effect ("--name", lab.protocol);
  if (no_pong && lab.protocol == HB_PROTOCOL_RAW)
    hb_cli_warn_no_effect ("--no-pong", lab.protocol);

  self.lab = &lab;
  self.out = hb_cli_output_new (json);
  self.where = hb_format_endpoint (host, port);
  self.answer_pings = !no_pong;
  self.status = HB_CLI_EXIT_OK;
  self.client = hb_client_new (host, port, name);
  g_object_set (self.client,
                "answer-pings", self.answer_pings,
                "auto-reconnect", reconnect,
                NULL);
  hb_cli_lab_apply (&lab, self.client);
  if (lab.protocol == HB_PROTOCOL_LAB)
    g_object_set (self.client, "timeout-ms", timeout, NULL);

  g_signal_connect (self.client, "notify::state", G_CALLBACK (on_state), &self);
  g_signal_connect (self.client, "welcome", G_CALLBACK (on_welcome), &self);
  g_signal_connect (self.client, "ping", G_CALLBACK (on_ping), &self);
  g_signal_connect (self.client, "pong-sent", G_CALLBACK (on_pong_sent), &self);
  g_signal_connect (self.client, "message", G_CALLBACK (on_message), &self);
  g_signal_connect (self.client, "server-error", G_CALLBACK (on_server_error), &self);
  g_signal_connect (self.client, "bye", G_CALLBACK (on_bye), &self);
  g_signal_connect (self.client, "bad-line", G_CALLBACK (on_bad_line), &self);
  g_signal_connect (self.client, "disconnected", G_CALLBACK (on_disconnected), &self);
  g_signal_connect (self.client, "reconnecting", G_CALLBACK (on_reconnecting), &self);
  if (lab.protocol != HB_PROTOCOL_LINE)
    g_signal_connect (self.client, "data-received", G_CALLBACK (on_data_received), &self);

  self.loop = g_main_loop_new (NULL, FALSE);
  self.sigint_id = g_unix_signal_add (SIGINT, on_unix_signal, &self);
  self.sigterm_id = g_unix_signal_add (SIGTERM, on_unix_signal, &self);
  /* Reading starts once there is a connection to send to. */
  self.input = hb_cli_input_new (on_stdin_line, &self);

  hb_client_connect (self.client);
  g_main_loop_run (self.loop);

  g_clear_handle_id (&self.sigint_id, g_source_remove);
  g_clear_handle_id (&self.sigterm_id, g_source_remove);
  g_clear_handle_id (&self.failsafe_id, g_source_remove);
  g_clear_pointer (&self.input, hb_cli_input_free);
  g_signal_handlers_disconnect_by_data (self.client, &self);
  g_clear_object (&self.client);
  g_clear_pointer (&self.loop, g_main_loop_unref);
  g_clear_pointer (&self.out, hb_cli_output_free);
  g_free (self.where);
  g_free (self.pending);

  return self.status;
}
