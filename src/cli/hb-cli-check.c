/* hb-cli-check.c - the "check-server" subcommand of heartbeat-lab-cli, and what both checkers print
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>

#include <glib-unix.h>
#include <glib/gi18n.h>

#include "hb-cli-check.h"
#include "hb-cli-lab.h"
#include "hb-cli-client.h"

/* ---------------------------------------------------------------------- */
/* Shared by both checkers                                                 */

gboolean
hb_cli_check_parse_protocol (const char  *text,
                             HbProtocol  *protocol,
                             GError     **error)
{
  HbProtocol parsed = HB_PROTOCOL_LAB;

  if (text != NULL && (!hb_protocol_from_string (text, &parsed) || parsed == HB_PROTOCOL_RAW))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--protocol: “%s” is not lab or heartbeat-lab (raw TCP has no heartbeat to check)"),
                   text);
      return FALSE;
    }
  *protocol = parsed;
  return TRUE;
}

gboolean
hb_cli_check_parse_patterns (const char  *heartbeat_text,
                             const char  *heartbeat_hex,
                             const char  *ack_text,
                             const char  *ack_hex,
                             GBytes     **heartbeat,
                             GBytes     **ack,
                             GError     **error)
{
  g_autoptr(GBytes) hb = NULL;
  g_autoptr(GBytes) answer = NULL;

  hb = hb_cli_parse_pattern (heartbeat_text, heartbeat_hex, HB_LAB_DEFAULT_HEARTBEAT,
                             "--heartbeat-text", "--heartbeat-hex", error);
  if (hb == NULL)
    return FALSE;
  answer = hb_cli_parse_pattern (ack_text, ack_hex, HB_LAB_DEFAULT_ACK, "--ack-text", "--ack-hex", error);
  if (answer == NULL)
    return FALSE;
  *heartbeat = g_steal_pointer (&hb);
  *ack = g_steal_pointer (&answer);
  return TRUE;
}

void
hb_cli_check_print_row (HbCliOutput    *out,
                        const char     *name,
                        const char     *title,
                        HbCheckVerdict  verdict,
                        const char     *evidence,
                        GVariant       *numbers)
{
  if (hb_cli_output_is_json (out))
    {
      JsonBuilder *b = hb_cli_output_begin (out, "check");
      g_autoptr(GVariant) empty = NULL;

      if (numbers == NULL)
        numbers = empty = g_variant_ref_sink (g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0));
      hb_cli_json_add_string (b, "name", name);
      hb_cli_json_add_string (b, "title", title);
      json_builder_set_member_name (b, "passed");
      json_builder_add_boolean_value (b, verdict == HB_CHECK_PASSED);
      hb_cli_json_add_string (b, "verdict", hb_check_verdict_to_string (verdict));
      hb_cli_json_add_string (b, "evidence", evidence);
      json_builder_set_member_name (b, "numbers");
      json_builder_add_value (b, json_gvariant_serialize (numbers));
      hb_cli_output_emit (out, b);
      return;
    }

  /* A check that could not be judged is not passed: it shows as ✗. */
  g_print ("%s %s: %s\n", hb_check_verdict_to_symbol (verdict == HB_CHECK_PASSED ? HB_CHECK_PASSED
                                                                                  : HB_CHECK_FAILED),
           title, evidence);
}

void
hb_cli_check_print_summary (HbCliOutput *out,
                            guint        total,
                            guint        passed,
                            GVariant    *extra)
{
  g_autoptr(GVariant) owned = extra ? g_variant_ref_sink (extra) : NULL;

  if (hb_cli_output_is_json (out))
    {
      JsonBuilder *b = hb_cli_output_begin (out, "summary");
      GVariantIter iter;
      const char *key;
      GVariant *value;

      hb_cli_json_add_int (b, "total", total);
      hb_cli_json_add_int (b, "passed", passed);
      hb_cli_json_add_int (b, "failed", total - passed);
      json_builder_set_member_name (b, "ok");
      json_builder_add_boolean_value (b, passed == total);
      if (owned != NULL)
        {
          g_variant_iter_init (&iter, owned);
          while (g_variant_iter_loop (&iter, "{&sv}", &key, &value))
            {
              json_builder_set_member_name (b, key);
              json_builder_add_value (b, json_gvariant_serialize (value));
            }
        }
      hb_cli_output_emit (out, b);
      return;
    }

  if (passed == total)
    g_print (g_dngettext (GETTEXT_PACKAGE, "the %u check passed\n", "all %u checks passed\n", total), total);
  else
    /* Translators: "5 of 7 checks passed, 2 failed" */
    g_print (g_dngettext (GETTEXT_PACKAGE, "%u of %u check passed, %u failed\n",
                          "%u of %u checks passed, %u failed\n", total),
             passed, total, total - passed);
}

/* ---------------------------------------------------------------------- */
/* check-server                                                            */

typedef struct
{
  HbServerCheck *check;
  HbCliOutput   *out;
  GMainLoop     *loop;
  GCancellable  *cancellable;
  char          *where;
  gboolean       interrupted;
  guint          sigint_id;
  guint          sigterm_id;
} HbCliCheckServer;

static void
on_check_finished (HbServerCheck    *check,
                   HbServerCheckKind kind,
                   HbCliCheckServer *self)
{
  hb_cli_check_print_row (self->out, hb_server_check_kind_to_string (kind),
                          hb_server_check_kind_get_title (kind),
                          hb_server_check_get_verdict (check, kind),
                          hb_server_check_get_evidence (check, kind),
                          hb_server_check_get_numbers (check, kind));
}

static void
run_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  HbCliCheckServer *self = user_data;

  hb_server_check_run_finish (HB_SERVER_CHECK (source), result, NULL);
  g_main_loop_quit (self->loop);
}

static gboolean
on_unix_signal (gpointer user_data)
{
  HbCliCheckServer *self = user_data;

  self->interrupted = TRUE;
  g_cancellable_cancel (self->cancellable);
  return G_SOURCE_CONTINUE;
}

static void
announce (HbCliCheckServer *self,
          HbProtocol        protocol,
          guint             interval_ms)
{
  guint seconds = (hb_server_check_estimate_ms (self->check) + 999) / 1000;
  guint clients = hb_server_check_get_clients (self->check);

  /* The rows are the output: in JSON this goes to standard error. */
  if (protocol == HB_PROTOCOL_LINE && interval_ms == 0)
    hb_cli_output_note (self->out,
                        _("checking %s with %u connections, heartbeat-lab protocol, heartbeats expected "
                          "at the interval its WELCOME announces ± 20 %%; this takes about ten intervals"),
                        self->where, clients);
  else
    hb_cli_output_note (self->out,
                        g_dngettext (GETTEXT_PACKAGE,
                                     "checking %s with %u connections, %s protocol, heartbeats expected every "
                                     "%u ms ± 20 %%; this takes about %u second",
                                     "checking %s with %u connections, %s protocol, heartbeats expected every "
                                     "%u ms ± 20 %%; this takes about %u seconds",
                                     seconds),
                        self->where, clients, hb_protocol_to_string (protocol),
                        hb_server_check_get_interval_ms (self->check), seconds);
}

int
hb_cli_check_server_run (int    argc,
                         char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *protocol_text = NULL;
  g_autofree char *interval_text = NULL;
  g_autofree char *clients_text = NULL;
  g_autofree char *heartbeat_text = NULL;
  g_autofree char *heartbeat_hex = NULL;
  g_autofree char *ack_text = NULL;
  g_autofree char *ack_hex = NULL;
  g_autofree char *host = NULL;
  g_autoptr(GBytes) heartbeat = NULL;
  g_autoptr(GBytes) ack = NULL;
  GVariantBuilder extra;
  gboolean json = FALSE;
  guint port = HB_DEFAULT_PORT;
  guint interval = 0;
  guint clients = HB_SERVER_CHECK_DEFAULT_CLIENTS;
  HbProtocol protocol = HB_PROTOCOL_LAB;
  HbCliCheckServer self = { 0 };
  guint passed;
  const GOptionEntry entries[] = {
    { "protocol", 0, 0, G_OPTION_ARG_STRING, &protocol_text,
      N_("What the server speaks: lab (default) or heartbeat-lab"), N_("NAME") },
    { "interval", 'i', 0, G_OPTION_ARG_STRING, &interval_text,
      N_("Milliseconds the server should keep between heartbeats (default 10000; in heartbeat-lab, what its WELCOME says)"),
      N_("MS") },
    { "clients", 'c', 0, G_OPTION_ARG_STRING, &clients_text,
      N_("Connections at once (default 20, at least 4)"), N_("N") },
    { "heartbeat-text", 0, 0, G_OPTION_ARG_STRING, &heartbeat_text,
      N_("The lab's heartbeat (default “heartbeat”)"), N_("TEXT") },
    { "ack-text", 0, 0, G_OPTION_ARG_STRING, &ack_text,
      N_("The lab's answer to a heartbeat (default “heartbeat ack”)"), N_("TEXT") },
    { "heartbeat-hex", 0, 0, G_OPTION_ARG_STRING, &heartbeat_hex,
      N_("The heartbeat as hex bytes, e.g. “68 65 61 72 74 62 65 61 74”"), N_("HEX") },
    { "ack-hex", 0, 0, G_OPTION_ARG_STRING, &ack_hex,
      N_("The answer as hex bytes"), N_("HEX") },
    { "json", 'j', 0, G_OPTION_ARG_NONE, &json,
      N_("Print one JSON object per check, then a summary"), NULL },
    { NULL }
  };

  g_set_prgname (HB_CLI_NAME " check-server");
  context = g_option_context_new (_("HOST[:PORT]"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
    _("Checks a heartbeat server, a student's for instance, and prints one row per\n"
      "check with ✓ or ✗ and what was measured: it accepts every connection;\n"
      "each gets heartbeats at the interval (±20 %); the others keep getting\n"
      "them while one client stops reading for 2.5 intervals; a client's message\n"
      "breaks nobody; it answers a client's FIN with FIN, not RST, within 2 s;\n"
      "it survives a client that resets (RST) and one that sends 64 KiB without\n"
      "a newline. Heartbeats are answered on all the other connections. A run takes\n"
      "about ten intervals."));
  g_option_context_set_description (context,
    _("Exit status: 0 when every check passed; 1 when one failed (or the run was\n"
      "interrupted); 2 for wrong usage."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    return hb_cli_usage_error ("check-server", error->message);
  if (argc < 2)
    return hb_cli_usage_error ("check-server", _("missing HOST[:PORT]"));
  if (argc > 2)
    {
      g_autofree char *message = g_strdup_printf (_("unexpected argument “%s”"), argv[2]);

      return hb_cli_usage_error ("check-server", message);
    }
  if (!hb_cli_parse_host_port (argv[1], &host, &port, &error) ||
      !hb_cli_check_parse_protocol (protocol_text, &protocol, &error) ||
      !hb_cli_parse_uint ("--interval", interval_text, 10, G_MAXINT / 1000, &interval, &error) ||
      !hb_cli_parse_uint ("--clients", clients_text, HB_SERVER_CHECK_MIN_CLIENTS,
                          HB_SERVER_CHECK_MAX_CLIENTS, &clients, &error) ||
      !hb_cli_check_parse_patterns (heartbeat_text, heartbeat_hex, ack_text, ack_hex,
                                    &heartbeat, &ack, &error))
    return hb_cli_usage_error ("check-server", error->message);

  self.out = hb_cli_output_new (json);
  self.where = hb_format_endpoint (host, port);
  self.check = hb_server_check_new (host, port);
  g_object_set (self.check,
                "protocol", protocol,
                "interval-ms", interval,
                "clients", clients,
                "heartbeat", heartbeat,
                "ack", ack,
                NULL);
  g_signal_connect (self.check, "check-finished", G_CALLBACK (on_check_finished), &self);

  announce (&self, protocol, interval);
  self.loop = g_main_loop_new (NULL, FALSE);
  self.cancellable = g_cancellable_new ();
  self.sigint_id = g_unix_signal_add (SIGINT, on_unix_signal, &self);
  self.sigterm_id = g_unix_signal_add (SIGTERM, on_unix_signal, &self);
  hb_server_check_run_async (self.check, self.cancellable, run_cb, &self);
  g_main_loop_run (self.loop);

  passed = hb_server_check_get_passed (self.check);
  if (self.interrupted)
    {
      hb_cli_error (_("interrupted: %u of %u checks done"),
                    passed + hb_server_check_get_failed (self.check), HB_SERVER_N_CHECKS);
      /* Every check has its row, the ones not done too. */
      for (guint k = 0; k < HB_SERVER_N_CHECKS; k++)
        if (hb_server_check_get_verdict (self.check, k) == HB_CHECK_PENDING)
          hb_cli_check_print_row (self.out, hb_server_check_kind_to_string (k),
                                  hb_server_check_kind_get_title (k), HB_CHECK_PENDING,
                                  _("not checked: interrupted"), NULL);
    }

  g_variant_builder_init (&extra, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&extra, "{sv}", "host", g_variant_new_string (host));
  g_variant_builder_add (&extra, "{sv}", "port", g_variant_new_uint32 (port));
  g_variant_builder_add (&extra, "{sv}", "protocol", g_variant_new_string (hb_protocol_to_string (protocol)));
  g_variant_builder_add (&extra, "{sv}", "interval_ms",
                         g_variant_new_uint32 (hb_server_check_get_interval_ms (self.check)));
  g_variant_builder_add (&extra, "{sv}", "clients", g_variant_new_uint32 (clients));
  g_variant_builder_add (&extra, "{sv}", "interrupted", g_variant_new_boolean (self.interrupted));
  hb_cli_check_print_summary (self.out, HB_SERVER_N_CHECKS, passed, g_variant_builder_end (&extra));

  g_clear_handle_id (&self.sigint_id, g_source_remove);
  g_clear_handle_id (&self.sigterm_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (self.check, &self);
  g_clear_object (&self.check);
  g_clear_object (&self.cancellable);
  g_clear_pointer (&self.loop, g_main_loop_unref);
  g_clear_pointer (&self.out, hb_cli_output_free);
  g_free (self.where);

  return passed == HB_SERVER_N_CHECKS ? HB_CLI_EXIT_OK : HB_CLI_EXIT_FAILURE;
}
