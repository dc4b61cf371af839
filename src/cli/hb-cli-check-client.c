/* hb-cli-check-client.c - the "check-client" subcommand of heartbeat-lab-cli
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A server with an HbCheckBoard, which judges; this file only drives the
 * situations in turn: heartbeats, a line typed into the client, a
 * broadcast, a heartbeat glued to a message in one segment, and the end
 * (the client's input ends, or the server closes). Each stage ends when
 * the board has judged it or its deadline passes, so the whole run is
 * bounded.
 */

#include "config.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>
#include <glib/gi18n.h>

#include "hb-cli-check.h"
#include "hb-poller.h"

/* Quicker than the lab's 10 s, yet longer than 1 s + 1 s: an ack carries
 * no number, so the server takes it for the answer to the newest
 * heartbeat; a client answering up to 2 s late is then still matched to
 * its own heartbeat, and judged late, not fast. */
#define DEFAULT_INTERVAL_MS  2000
#define DEFAULT_TIMEOUT_MS   30000
#define TYPED_TEXT           "123"
#define BROADCAST_TEXT       "456"
#define GLUED_TEXT           "789"
/* Heartbeats answered (or not) before anything else happens. */
#define FIRST_HEARTBEATS     3
/* After its input ends, how long the client has to close before the
 * server closes instead. */
#define CLOSE_WAIT_US        (3 * G_USEC_PER_SEC)
/* How long COMMAND has to exit at the end, before SIGTERM, then SIGKILL. */
#define EXIT_WAIT_US         (3 * G_USEC_PER_SEC)
#define KILL_WAIT_US         (2 * G_USEC_PER_SEC)

typedef enum
{
  STAGE_CONNECT,
  STAGE_HEARTBEATS,
  STAGE_TYPE,
  STAGE_BROADCAST,
  STAGE_GLUED,
  STAGE_CLOSE,
  STAGE_EXIT,      /* COMMAND exits */
  STAGE_DONE,
} Stage;

typedef struct
{
  HbCliOutput   *out;
  HbServer      *server;
  HbCheckBoard  *board;
  GMainLoop     *loop;
  GCancellable  *cancellable;
  guint          interval_ms;
  guint          timeout_ms;

  GSubprocess   *proc;           /* COMMAND, or NULL: a person runs the client */
  GOutputStream *stdin_pipe;
  char          *command_name;
  gboolean       writing;        /* a write to its input is under way */
  gboolean       close_wanted;   /* its input is to end after that write */
  gboolean       stdin_closed;
  gboolean       exited;
  int            exit_status;    /* -N: killed by signal N */
  gboolean       terminated;     /* we sent SIGTERM */

  HbConnection  *conn;           /* the first client: the one checked */
  gboolean       conn_closed;
  char          *problem;        /* why no client was checked */

  Stage          stage;
  Stage          next;
  gint64         deadline;       /* of the stage, monotonic µs */
  gint64         action_at;      /* the stage's next move; 0: none due */
  GSource       *timer;
  gboolean       acted;          /* the stage's move was made */
  gboolean       stepping;
  gboolean       again;
  gboolean       interrupted;
  guint          sigint_id;
  guint          sigterm_id;
} HbCliCheckClient;

static void advance (HbCliCheckClient *self);

static gint64
interval_us (HbCliCheckClient *self)
{
  return (gint64) self->interval_ms * 1000;
}

static HbChecks *
checks_of (HbCliCheckClient *self)
{
  return self->conn ? hb_check_board_lookup (self->board, self->conn) : NULL;
}

static gboolean
judged (HbCliCheckClient *self,
        HbClientCheck     check)
{
  HbChecks *checks = checks_of (self);

  return checks != NULL && hb_checks_get_verdict (checks, check) != HB_CHECK_PENDING;
}

/* ---------------------------------------------------------------------- */
/* COMMAND                                                                 */

static void close_stdin (HbCliCheckClient *self);

static void
wrote_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  HbCliCheckClient *self = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->writing = FALSE;
  /* A program that exited cannot be typed into: the check of what it
   * sends then fails at its deadline, which says so. */
  if (error != NULL)
    hb_cli_output_note (self->out, _("cannot type into %s: %s"), self->command_name, error->message);
  if (self->close_wanted)
    close_stdin (self);
}

static void
type_line (HbCliCheckClient *self,
           const char       *line)
{
  if (self->stdin_pipe == NULL || self->stdin_closed || self->writing)
    return;
  self->writing = TRUE;
  g_output_stream_write_all_async (self->stdin_pipe, line, strlen (line), G_PRIORITY_DEFAULT,
                                   self->cancellable, wrote_cb, self);
}

static void
closed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_output_stream_close_finish (G_OUTPUT_STREAM (source), result, NULL);
}

/* The end of its input: as when a student presses Ctrl+D. */
static void
close_stdin (HbCliCheckClient *self)
{
  if (self->stdin_pipe == NULL || self->stdin_closed)
    return;
  if (self->writing)
    {
      self->close_wanted = TRUE;
      return;
    }
  self->stdin_closed = TRUE;
  g_output_stream_close_async (self->stdin_pipe, G_PRIORITY_DEFAULT, self->cancellable, closed_cb, self);
}

static void
exited_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  HbCliCheckClient *self = user_data;
  GSubprocess *proc = G_SUBPROCESS (source);

  if (!g_subprocess_wait_finish (proc, result, NULL))
    return;  /* cancelled: we are leaving */
  self->exited = TRUE;
  if (g_subprocess_get_if_exited (proc))
    {
      self->exit_status = g_subprocess_get_exit_status (proc);
      hb_cli_output_note (self->out, _("%s exited with status %d"), self->command_name, self->exit_status);
    }
  else
    {
      self->exit_status = -g_subprocess_get_term_sig (proc);
      hb_cli_output_note (self->out, _("%s was ended by signal %d"), self->command_name, -self->exit_status);
    }
  advance (self);
}

/* Starts COMMAND with "{port}" in its arguments replaced by the port, and
 * HB_HOST and HB_PORT in its environment. Its standard output goes to our
 * standard error: our standard output is the checks. */
static gboolean
start_command (HbCliCheckClient  *self,
               char             **command,
               GError           **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  g_autofree char *port = g_strdup_printf ("%u", hb_server_get_port (self->server));
  int out_fd;

  for (guint i = 0; command[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (command[i], "{port}", -1);
      g_autofree char *arg = g_strjoinv (port, parts);

      g_strv_builder_add (builder, arg);
    }
  argv = g_strv_builder_end (builder);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_subprocess_launcher_setenv (launcher, "HB_HOST", hb_server_get_address (self->server), TRUE);
  g_subprocess_launcher_setenv (launcher, "HB_PORT", port, TRUE);
  out_fd = dup (STDERR_FILENO);
  if (out_fd >= 0)
    g_subprocess_launcher_take_stdout_fd (launcher, out_fd);
  self->proc = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv, error);
  if (self->proc == NULL)
    return FALSE;
  self->command_name = g_strdup (argv[0]);
  self->stdin_pipe = g_object_ref (g_subprocess_get_stdin_pipe (self->proc));
  g_subprocess_wait_async (self->proc, self->cancellable, exited_cb, self);
  {
    g_autofree char *line = g_strjoinv (" ", argv);

    hb_cli_output_note (self->out, _("started %s (its output follows on standard error)"), line);
  }
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Stages                                                                  */

static void
begin_stage (HbCliCheckClient *self,
             Stage             stage)
{
  gint64 now = g_get_monotonic_time ();
  guint id = self->conn ? hb_connection_get_id (self->conn) : 0;

  self->stage = stage;
  self->next = stage + 1;
  self->action_at = 0;
  self->acted = FALSE;

  switch (stage)
    {
    case STAGE_CONNECT:
      {
        g_autofree char *where = hb_format_endpoint (hb_server_get_address (self->server),
                                                     hb_server_get_port (self->server));

        hb_cli_output_note (self->out,
                            g_dngettext (GETTEXT_PACKAGE,
                                         "waiting up to %u second for a client to connect to %s",
                                         "waiting up to %u seconds for a client to connect to %s",
                                         (self->timeout_ms + 999) / 1000),
                            (self->timeout_ms + 999) / 1000, where);
        self->deadline = now + (gint64) self->timeout_ms * 1000;
      }
      break;

    case STAGE_HEARTBEATS:
      hb_cli_output_note (self->out, _("client connected from %s; heartbeats follow"),
                          hb_connection_get_peer (self->conn));
      /* Three heartbeats, the last one's answer limit, and slack. */
      self->deadline = now + interval_us (self) * (FIRST_HEARTBEATS + 1) + 2 * G_USEC_PER_SEC;
      break;

    case STAGE_TYPE:
      {
        /* A program that sends what is typed with its next ack needs up
         * to an interval. */
        guint wait_ms = self->proc ? MAX (3000, 2 * self->interval_ms + 1000) : self->timeout_ms;

        hb_check_board_expect_text (self->board, self->conn, TYPED_TEXT, wait_ms);
        if (self->proc != NULL)
          {
            hb_cli_output_note (self->out, _("typing “%s” into %s"), TYPED_TEXT, self->command_name);
            type_line (self, TYPED_TEXT "\n");
          }
        else
          hb_cli_output_note (self->out,
                              g_dngettext (GETTEXT_PACKAGE,
                                           "type “%s” into your client and press Enter (within %u second)",
                                           "type “%s” into your client and press Enter (within %u seconds)",
                                           (wait_ms + 999) / 1000),
                              TYPED_TEXT, (wait_ms + 999) / 1000);
        self->deadline = now + (gint64) wait_ms * 1000 + G_USEC_PER_SEC;
      }
      break;

    case STAGE_BROADCAST:
      /* Half an interval after a heartbeat, so that the broadcast and
       * the next heartbeat are two segments: gluing them is the next
       * stage's business. The heartbeat sets action_at (on_ping_sent). */
      hb_cli_output_note (self->out, _("broadcasting “%s” between two heartbeats"), BROADCAST_TEXT);
      self->deadline = now + 3 * interval_us (self) + 2 * G_USEC_PER_SEC;
      break;

    case STAGE_GLUED:
      hb_cli_output_note (self->out, _("sending a heartbeat and “%s” in one segment"), GLUED_TEXT);
      if (hb_check_board_probe_glued (self->board, self->conn, GLUED_TEXT) == 0)
        self->deadline = now;
      else
        /* It may wait 1 s for an answer owed, then its own gets 1 s. */
        self->deadline = now + 3 * G_USEC_PER_SEC;
      break;

    case STAGE_CLOSE:
      if (self->proc != NULL && !self->exited)
        {
          hb_cli_output_note (self->out, _("ending the input of %s: its client should close with FIN"),
                              self->command_name);
          close_stdin (self);
          self->action_at = now + CLOSE_WAIT_US;
        }
      else
        {
          hb_cli_output_note (self->out, _("the server closes the connection (FIN): the client should "
                                           "answer with its own FIN"));
          hb_server_kick (self->server, id);
          self->acted = TRUE;
        }
      self->deadline = now + CLOSE_WAIT_US + (gint64) HB_DEFAULT_DRAIN_MS * 1000 + 2 * G_USEC_PER_SEC;
      break;

    case STAGE_EXIT:
      close_stdin (self);
      self->action_at = now + EXIT_WAIT_US;
      self->deadline = now + EXIT_WAIT_US + 2 * KILL_WAIT_US;
      break;

    case STAGE_DONE:
      g_main_loop_quit (self->loop);
      break;

    default:
      break;
    }
}

/* Whether the stage is over; sets self->next when it skips ahead. */
static gboolean
stage_over (HbCliCheckClient *self,
            gint64            now)
{
  gboolean late = now >= self->deadline;

  /* A client gone early leaves nothing more to drive. */
  if (self->stage >= STAGE_HEARTBEATS && self->stage < STAGE_CLOSE && self->conn_closed)
    {
      hb_cli_output_note (self->out, _("the client closed its connection before the checks were done"));
      self->next = STAGE_EXIT;
      return TRUE;
    }

  switch (self->stage)
    {
    case STAGE_CONNECT:
      if (self->conn != NULL)
        return TRUE;
      if (self->proc != NULL && self->exited)
        self->problem = g_strdup_printf (_("%s exited (status %d) before it connected"),
                                         self->command_name, self->exit_status);
      else if (late)
        self->problem = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                      "no client connected within %u second",
                                                      "no client connected within %u seconds",
                                                      (self->timeout_ms + 999) / 1000),
                                         (self->timeout_ms + 999) / 1000);
      if (self->problem == NULL)
        return FALSE;
      hb_cli_error ("%s", self->problem);
      self->next = STAGE_EXIT;
      return TRUE;

    case STAGE_HEARTBEATS:
      {
        HbChecks *checks = checks_of (self);
        guint64 sent = hb_connection_get_pings_sent (self->conn);

        return late || (sent >= FIRST_HEARTBEATS &&
                        (hb_connection_get_pongs_received (self->conn) >= FIRST_HEARTBEATS ||
                         hb_checks_get_verdict (checks, HB_CLIENT_CHECK_ANSWERS) == HB_CHECK_FAILED));
      }

    case STAGE_TYPE:
      return late || judged (self, HB_CLIENT_CHECK_SENDS);

    case STAGE_BROADCAST:
      if (!self->acted && self->action_at != 0 && now >= self->action_at)
        {
          self->acted = TRUE;
          self->action_at = 0;
          hb_server_broadcast (self->server, BROADCAST_TEXT);
        }
      return late || (self->acted && judged (self, HB_CLIENT_CHECK_AFTER_BROADCAST));

    case STAGE_GLUED:
      return late || judged (self, HB_CLIENT_CHECK_GLUED);

    case STAGE_CLOSE:
      if (judged (self, HB_CLIENT_CHECK_CLOSES_WITH_FIN))
        return TRUE;
      if (!self->acted && self->action_at != 0 && now >= self->action_at)
        {
          /* It did not close by itself: the server closes, and the
           * client is judged by its answer. */
          self->acted = TRUE;
          self->action_at = 0;
          hb_cli_output_note (self->out, _("the client did not close its connection: the server closes it"));
          hb_server_kick (self->server, hb_connection_get_id (self->conn));
        }
      return late;

    case STAGE_EXIT:
      if (self->proc == NULL || self->exited)
        return TRUE;
      if (self->action_at != 0 && now >= self->action_at)
        {
          if (!self->terminated)
            {
              self->terminated = TRUE;
              g_subprocess_send_signal (self->proc, SIGTERM);
            }
          else
            g_subprocess_force_exit (self->proc);
          self->action_at = now + KILL_WAIT_US;
        }
      return late;

    case STAGE_DONE:
    default:
      return FALSE;
    }
}

static gboolean
timer_cb (gpointer user_data)
{
  HbCliCheckClient *self = user_data;

  g_source_set_ready_time (self->timer, -1);
  advance (self);
  return G_SOURCE_CONTINUE;
}

/* Drives the stages as far as what happened allows. Re-entered from the
 * server's signals (a kick reports its close at once): the outer call
 * goes round again instead. */
static void
advance (HbCliCheckClient *self)
{
  gint64 wake;

  if (self->stepping)
    {
      self->again = TRUE;
      return;
    }
  self->stepping = TRUE;
  do
    {
      self->again = FALSE;
      while (self->stage != STAGE_DONE && stage_over (self, g_get_monotonic_time ()))
        begin_stage (self, self->next);
    }
  while (self->again);
  self->stepping = FALSE;

  wake = self->deadline;
  if (self->action_at != 0)
    wake = MIN (wake, self->action_at);
  g_source_set_ready_time (self->timer, self->stage == STAGE_DONE ? -1 : wake);
}

/* ---------------------------------------------------------------------- */
/* Server and board signals                                                */

static void
on_connected (HbServer         *server,
              HbConnection     *conn,
              HbCliCheckClient *self)
{
  if (self->conn != NULL || self->stage != STAGE_CONNECT)
    return;
  self->conn = g_object_ref (conn);
  advance (self);
}

static void
on_disconnected (HbServer         *server,
                 HbConnection     *conn,
                 HbByeReason       reason,
                 HbInitiator       initiator,
                 HbCliCheckClient *self)
{
  if (conn != self->conn)
    return;
  self->conn_closed = TRUE;
  advance (self);
}

static void
on_ping_sent (HbServer         *server,
              HbConnection     *conn,
              guint64           seq,
              HbCliCheckClient *self)
{
  if (conn != self->conn)
    return;
  if (self->stage == STAGE_BROADCAST && !self->acted && self->action_at == 0)
    self->action_at = g_get_monotonic_time () + interval_us (self) / 2;
  advance (self);
}

static void
on_pong (HbServer         *server,
         HbConnection     *conn,
         guint64           seq,
         gint64            rtt_us,
         HbCliCheckClient *self)
{
  if (conn == self->conn)
    advance (self);
}

static void
on_changed (HbCheckBoard     *board,
            HbChecks         *checks,
            HbClientCheck     check,
            HbCliCheckClient *self)
{
  if (self->conn != NULL && hb_checks_get_connection (checks) == self->conn)
    advance (self);
}

static gboolean
on_unix_signal (gpointer user_data)
{
  HbCliCheckClient *self = user_data;

  self->interrupted = TRUE;
  if (self->proc != NULL && !self->exited)
    g_subprocess_send_signal (self->proc, SIGTERM);
  begin_stage (self, STAGE_DONE);
  return G_SOURCE_CONTINUE;
}

/* ---------------------------------------------------------------------- */
/* The report                                                              */

static GVariant *
numbers_of (HbCliCheckClient *self,
            HbClientCheck     check)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  if (check == HB_CLIENT_CHECK_ANSWERS && self->conn != NULL)
    {
      gint64 max = hb_connection_get_rtt_max (self->conn);

      g_variant_builder_add (&b, "{sv}", "heartbeats",
                             g_variant_new_uint64 (hb_connection_get_pings_sent (self->conn)));
      g_variant_builder_add (&b, "{sv}", "answers",
                             g_variant_new_uint64 (hb_connection_get_pongs_received (self->conn)));
      if (max >= 0)
        {
          g_variant_builder_add (&b, "{sv}", "rtt_max_ms", g_variant_new_double (max / 1000.0));
          g_variant_builder_add (&b, "{sv}", "rtt_avg_ms",
                                 g_variant_new_double (hb_connection_get_rtt_avg (self->conn) / 1000.0));
        }
    }
  return g_variant_ref_sink (g_variant_builder_end (&b));
}

/* Returns how many checks passed. */
static guint
report (HbCliCheckClient *self)
{
  HbChecks *checks = checks_of (self);
  guint passed = 0;

  for (guint i = 0; i < HB_CLIENT_N_CHECKS; i++)
    {
      HbCheckVerdict verdict = checks ? hb_checks_get_verdict (checks, i) : HB_CHECK_PENDING;
      const char *evidence = checks ? hb_checks_get_evidence (checks, i) : "";
      g_autofree char *text = NULL;
      g_autoptr(GVariant) numbers = numbers_of (self, i);

      if (checks == NULL)
        text = g_strdup (i == HB_CLIENT_CHECK_CONNECTS && self->problem ? self->problem
                                                                         : _("not judged: no client connected"));
      else if (verdict == HB_CHECK_PENDING && self->interrupted)
        text = g_strdup (_("not judged: interrupted"));
      else if (verdict == HB_CHECK_PENDING)
        text = *evidence != '\0' ? g_strdup_printf (_("not judged: %s"), evidence)
                                 : g_strdup (_("not judged: the client was gone before it could be"));
      if (checks == NULL && i == HB_CLIENT_CHECK_CONNECTS)
        verdict = HB_CHECK_FAILED;
      passed += verdict == HB_CHECK_PASSED;
      hb_cli_check_print_row (self->out, hb_client_check_to_string (i), hb_client_check_get_title (i),
                              verdict, text ? text : evidence, numbers);
    }
  return passed;
}

static void
emit_listening (HbCliCheckClient *self,
                HbProtocol        protocol)
{
  const char *address = hb_server_get_address (self->server);
  guint port = hb_server_get_port (self->server);

  if (hb_cli_output_is_json (self->out))
    {
      JsonBuilder *b = hb_cli_output_begin (self->out, "listening");

      hb_cli_json_add_string (b, "address", address);
      hb_cli_json_add_int (b, "port", port);
      hb_cli_json_add_string (b, "protocol", hb_protocol_to_string (protocol));
      hb_cli_json_add_int (b, "interval_ms", self->interval_ms);
      hb_cli_output_emit (self->out, b);
    }
  else
    {
      g_autofree char *where = hb_format_endpoint (address, port);

      hb_cli_output_print (self->out, _("listening on %s (%s protocol, a heartbeat every %u ms)"),
                           where, hb_protocol_to_string (protocol), self->interval_ms);
    }
}

/* ---------------------------------------------------------------------- */
/* Entry point                                                             */

int
hb_cli_check_client_run (int    argc,
                         char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *protocol_text = NULL;
  g_autofree char *bind = NULL;
  g_autofree char *port_text = NULL;
  g_autofree char *interval_text = NULL;
  g_autofree char *timeout_text = NULL;
  g_autofree char *heartbeat_text = NULL;
  g_autofree char *heartbeat_hex = NULL;
  g_autofree char *ack_text = NULL;
  g_autofree char *ack_hex = NULL;
  g_autoptr(GBytes) heartbeat = NULL;
  g_autoptr(GBytes) ack = NULL;
  GVariantBuilder extra;
  gboolean json = FALSE;
  guint port = HB_DEFAULT_PORT;
  HbProtocol protocol = HB_PROTOCOL_LAB;
  HbCliCheckClient self = { 0 };
  char **command = NULL;
  int status;
  guint passed;
  const GOptionEntry entries[] = {
    { "protocol", 0, 0, G_OPTION_ARG_STRING, &protocol_text,
      N_("What the client speaks: lab (default) or heartbeat-lab"), N_("NAME") },
    { "bind", 'b', 0, G_OPTION_ARG_STRING, &bind,
      N_("Address to listen on (default 127.0.0.1; 0.0.0.0 or :: for a client on another machine)"), N_("ADDR") },
    { "port", 'p', 0, G_OPTION_ARG_STRING, &port_text,
      N_("TCP port (default 12001; 0 lets the system pick one, which is printed)"), N_("N") },
    { "interval", 'i', 0, G_OPTION_ARG_STRING, &interval_text,
      N_("Milliseconds between heartbeats (default 2000: quicker than the lab's 10 s, and longer than the 1 s an answer may take, so that a late answer is not taken for the next one's)"), N_("MS") },
    { "timeout", 't', 0, G_OPTION_ARG_STRING, &timeout_text,
      N_("Milliseconds to wait for the client to connect, and for a line typed by hand (default 30000)"),
      N_("MS") },
    { "heartbeat-text", 0, 0, G_OPTION_ARG_STRING, &heartbeat_text,
      N_("The lab's heartbeat (default “heartbeat”)"), N_("TEXT") },
    { "ack-text", 0, 0, G_OPTION_ARG_STRING, &ack_text,
      N_("The lab's answer to a heartbeat (default “heartbeat ack”)"), N_("TEXT") },
    { "heartbeat-hex", 0, 0, G_OPTION_ARG_STRING, &heartbeat_hex,
      N_("The heartbeat as hex bytes, e.g. “68 65 61 72 74 62 65 61 74”"), N_("HEX") },
    { "ack-hex", 0, 0, G_OPTION_ARG_STRING, &ack_hex,
      N_("The answer as hex bytes"), N_("HEX") },
    { "json", 'j', 0, G_OPTION_ARG_NONE, &json,
      N_("Print the listening port, one JSON object per check, then a summary"), NULL },
    { NULL }
  };

  g_set_prgname (HB_CLI_NAME " check-client");
  context = g_option_context_new (_("[-- COMMAND [ARG…]]"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
    _("Serves the protocol and checks the first client that connects: a student's\n"
      "client started by hand, or COMMAND, which this starts and types into. It\n"
      "lets three heartbeats be answered, types “123” into COMMAND (or asks you\n"
      "to), broadcasts “456”, sends a heartbeat glued to “789” in one segment,\n"
      "then ends COMMAND's input (or closes the connection), and prints one row\n"
      "per check with ✓ or ✗ and its evidence: it connects; it answers every\n"
      "heartbeat within 1 s, the glued one too; it sends what was typed; it keeps\n"
      "answering after a broadcast; it closes with FIN, not RST."));
  g_option_context_set_description (context,
    _("In COMMAND's arguments “{port}” is replaced by the port; HB_HOST and\n"
      "HB_PORT are set in its environment. Its standard output goes to standard\n"
      "error, so that standard output holds only the checks. For example:\n"
      "  heartbeat-lab-cli check-client --port 0 -- python3 client.py 127.0.0.1 {port}\n"
      "\n"
      "Exit status: 0 when every check passed; 1 when one failed, no client\n"
      "connected in time, or the run was interrupted; 2 for wrong usage."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  /* What follows "--" is COMMAND, options of its own included: GOption
   * sees only what comes before. */
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--") == 0)
      {
        if (i + 1 == argc)
          return hb_cli_usage_error ("check-client", _("missing COMMAND after --"));
        command = argv + i + 1;
        argc = i;
        break;
      }
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return hb_cli_usage_error ("check-client", error->message);
  if (argc > 1)
    {
      g_autofree char *message = g_strdup_printf (_("unexpected argument “%s” (put COMMAND after --)"),
                                                  argv[1]);

      return hb_cli_usage_error ("check-client", message);
    }
  self.interval_ms = DEFAULT_INTERVAL_MS;
  self.timeout_ms = DEFAULT_TIMEOUT_MS;
  if (!hb_cli_check_parse_protocol (protocol_text, &protocol, &error) ||
      !hb_cli_parse_uint ("--port", port_text, 0, 65535, &port, &error) ||
      !hb_cli_parse_uint ("--interval", interval_text, 10, G_MAXINT / 1000, &self.interval_ms, &error) ||
      !hb_cli_parse_uint ("--timeout", timeout_text, 1, G_MAXINT / 1000, &self.timeout_ms, &error) ||
      !hb_cli_check_parse_patterns (heartbeat_text, heartbeat_hex, ack_text, ack_hex,
                                    &heartbeat, &ack, &error))
    return hb_cli_usage_error ("check-client", error->message);
  if (bind != NULL && *bind == '\0')
    return hb_cli_usage_error ("check-client", _("--bind needs an address"));

  /* Typing into a program that exited must be an error, not our death. */
  signal (SIGPIPE, SIG_IGN);

  self.out = hb_cli_output_new (json);
  /* No client is closed for its silence while it is being checked. */
  self.server = g_object_new (HB_TYPE_SERVER,
                              "address", bind != NULL ? bind : "127.0.0.1",
                              "port", port,
                              "protocol", protocol,
                              "interval-ms", self.interval_ms,
                              "timeout-ms", (guint) (G_MAXINT / 1000),
                              "heartbeat", heartbeat,
                              "ack", ack,
                              NULL);
  if (!hb_server_start (self.server, &error))
    {
      hb_cli_error ("%s", error->message);
      g_clear_object (&self.server);
      hb_cli_output_free (self.out);
      return HB_CLI_EXIT_FAILURE;
    }
  self.board = hb_check_board_new (self.server);
  self.loop = g_main_loop_new (NULL, FALSE);
  self.cancellable = g_cancellable_new ();
  self.timer = hb_deadline_source_new (timer_cb, &self);
  emit_listening (&self, protocol);

  status = HB_CLI_EXIT_OK;
  if (command != NULL && !start_command (&self, command, &error))
    {
      hb_cli_error (_("cannot start %s: %s"), command[0], error->message);
      status = HB_CLI_EXIT_FAILURE;
    }
  else
    {
      g_signal_connect (self.server, "client-connected", G_CALLBACK (on_connected), &self);
      g_signal_connect (self.server, "client-disconnected", G_CALLBACK (on_disconnected), &self);
      g_signal_connect (self.server, "ping-sent", G_CALLBACK (on_ping_sent), &self);
      g_signal_connect (self.server, "pong", G_CALLBACK (on_pong), &self);
      g_signal_connect (self.board, "changed", G_CALLBACK (on_changed), &self);
      self.sigint_id = g_unix_signal_add (SIGINT, on_unix_signal, &self);
      self.sigterm_id = g_unix_signal_add (SIGTERM, on_unix_signal, &self);

      begin_stage (&self, STAGE_CONNECT);
      advance (&self);
      g_main_loop_run (self.loop);

      passed = report (&self);
      if (self.interrupted)
        hb_cli_error (_("interrupted"));
      g_variant_builder_init (&extra, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&extra, "{sv}", "port", g_variant_new_uint32 (hb_server_get_port (self.server)));
      g_variant_builder_add (&extra, "{sv}", "protocol", g_variant_new_string (hb_protocol_to_string (protocol)));
      g_variant_builder_add (&extra, "{sv}", "interval_ms", g_variant_new_uint32 (self.interval_ms));
      g_variant_builder_add (&extra, "{sv}", "interrupted", g_variant_new_boolean (self.interrupted));
      if (self.exited)
        g_variant_builder_add (&extra, "{sv}", "command_status", g_variant_new_int32 (self.exit_status));
      hb_cli_check_print_summary (self.out, HB_CLIENT_N_CHECKS, passed, g_variant_builder_end (&extra));
      status = passed == HB_CLIENT_N_CHECKS && !self.interrupted ? HB_CLI_EXIT_OK : HB_CLI_EXIT_FAILURE;
    }

  g_cancellable_cancel (self.cancellable);
  g_clear_handle_id (&self.sigint_id, g_source_remove);
  g_clear_handle_id (&self.sigterm_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (self.server, &self);
  g_signal_handlers_disconnect_by_data (self.board, &self);
  g_source_destroy (self.timer);
  g_clear_pointer (&self.timer, g_source_unref);
  hb_server_stop (self.server);
  g_clear_object (&self.board);
  g_clear_object (&self.server);
  g_clear_object (&self.conn);
  g_clear_object (&self.stdin_pipe);
  g_clear_object (&self.proc);
  g_clear_object (&self.cancellable);
  g_clear_pointer (&self.loop, g_main_loop_unref);
  g_clear_pointer (&self.out, hb_cli_output_free);
  g_free (self.command_name);
  g_free (self.problem);

  return status;
}
