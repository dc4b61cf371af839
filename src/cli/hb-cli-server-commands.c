/* hb-cli-server-commands.c - what the operator of heartbeat-lab-cli server types: broadcasts and commands
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "heartbeat-lab.h"
#include "hb-cli-server-private.h"

/* Lines pasted or piped in arrive many to a read: they go to every client
 * as one block each (hb_server_broadcast_lines()), before any command that
 * follows them and before the main loop sleeps. */
void
hb_cli_server_flush_broadcasts (HbCliServer *self)
{
  g_autoptr(GPtrArray) lines = NULL;
  guint n;

  g_clear_handle_id (&self->pending_id, g_source_remove);
  if (self->pending->len == 0)
    return;
  lines = g_steal_pointer (&self->pending);
  self->pending = g_ptr_array_new_with_free_func (g_free);
  n = hb_server_broadcast_lines (self->server, (const char *const *) lines->pdata, lines->len);

  for (guint i = 0; i < lines->len; i++)
    {
      const char *text = g_ptr_array_index (lines, i);
      HbCliEvent *ev = hb_cli_event (self->out, "broadcast");

      hb_cli_event_string (ev, "text", text);
      hb_cli_event_int (ev, "recipients", n);
      hb_cli_event_say (ev, g_dngettext (GETTEXT_PACKAGE,
                                         "broadcast to %u client: %s",
                                         "broadcast to %u clients: %s", n),
                        n, text);
      hb_cli_event_emit (ev);
    }
}

static gboolean
flush_broadcasts_cb (gpointer user_data)
{
  HbCliServer *self = user_data;

  self->pending_id = 0;
  hb_cli_server_flush_broadcasts (self);
  return G_SOURCE_REMOVE;
}

/* With no line ending, an empty line is no bytes at all: nothing to send,
 * and a broadcast "to 30 clients" of nothing would mislead. */
static gboolean
sends_nothing (HbCliServer *self,
               const char  *text)
{
  if (has_bye (self) || *text != '\0' || self->lab->line_ending != HB_LINE_ENDING_NONE)
    return FALSE;
  hb_cli_output_note (self->out, "%s", _("an empty line is no bytes with --line-ending none: nothing sent"));
  return TRUE;
}

static void
do_broadcast (HbCliServer *self,
              const char  *line)
{
  if (sends_nothing (self, line))
    return;
  g_ptr_array_add (self->pending, g_utf8_make_valid (line, -1));
  if (self->pending_id == 0)
    self->pending_id = g_idle_add_full (G_PRIORITY_HIGH, flush_broadcasts_cb, self, NULL);
}

static void
do_list (HbCliServer *self)
{
  guint n = self->clients->len;
  JsonBuilder *b = NULL;

  if (is_json (self))
    {
      b = hb_cli_output_begin (self->out, "clients");
      json_builder_set_member_name (b, "clients");
      json_builder_begin_array (b);
    }
  else
    {
      hb_cli_output_print (self->out,
                           g_dngettext (GETTEXT_PACKAGE, "%u client connected",
                                        "%u clients connected", n),
                           n);
    }

  for (guint i = 0; i < n; i++)
    {
      HbConnection *conn = g_ptr_array_index (self->clients, i);
      const char *name = hb_connection_get_name (conn);
      gint64 rtt = hb_connection_get_rtt_last (conn);
      const char *liveness = hb_liveness_to_string (hb_connection_get_liveness (conn));

      if (b != NULL)
        {
          json_builder_begin_object (b);
          hb_cli_json_add_int (b, "id", hb_connection_get_id (conn));
          hb_cli_json_add_string (b, "name", name);
          hb_cli_json_add_string (b, "peer", hb_connection_get_peer (conn));
          hb_cli_json_add_string (b, "liveness", liveness);
          if (rtt >= 0)
            hb_cli_json_add_double (b, "rtt_ms", (double) rtt / 1000.0);
          else
            hb_cli_json_add_null (b, "rtt_ms");
          hb_cli_json_add_int (b, "missed", hb_connection_get_missed (conn));
          json_builder_end_object (b);
        }
      else if (rtt >= 0)
        {
          hb_cli_output_print (self->out, _("  [%u] %s  %s  %s  rtt %.2f ms"),
                               hb_connection_get_id (conn), name ? name : "-",
                               hb_connection_get_peer (conn), liveness, (double) rtt / 1000.0);
        }
      else
        {
          hb_cli_output_print (self->out, _("  [%u] %s  %s  %s  rtt -"),
                               hb_connection_get_id (conn), name ? name : "-",
                               hb_connection_get_peer (conn), liveness);
        }
    }

  if (b != NULL)
    {
      json_builder_end_array (b);
      hb_cli_output_emit (self->out, b);
    }
}

static gboolean
parse_id (HbCliServer  *self,
          const char   *text,
          guint        *id)
{
  guint64 value = 0;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT, &value, NULL))
    return FALSE;
  *id = (guint) value;
  return TRUE;
}

static void
do_send (HbCliServer *self,
         const char  *args)
{
  g_auto(GStrv) parts = g_strsplit (args != NULL ? args : "", " ", 2);
  g_autofree char *text = NULL;
  guint id = 0;

  if (!parse_id (self, parts[0], &id))
    {
      hb_cli_output_note (self->out, _("usage: /send ID TEXT"));
      return;
    }
  text = g_utf8_make_valid (parts[1] != NULL ? parts[1] : "", -1);
  if (sends_nothing (self, text))
    return;
  if (!hb_server_send (self->server, id, text))
    {
      hb_cli_output_note (self->out, _("no client with id %u"), id);
      return;
    }

  HbCliEvent *ev = hb_cli_event (self->out, "sent");

  hb_cli_event_int (ev, "id", id);
  hb_cli_event_string (ev, "text", text);
  hb_cli_event_say (ev, _("[%u] sent: %s"), id, text);
  hb_cli_event_emit (ev);
}

static void
do_kick (HbCliServer *self,
         const char  *args)
{
  guint id = 0;

  if (!parse_id (self, args, &id))
    {
      hb_cli_output_note (self->out, _("usage: /kick ID"));
      return;
    }
  if (!hb_server_kick (self->server, id))
    hb_cli_output_note (self->out, _("no client with id %u"), id);
}

/* A heartbeat now, with the operator's text right behind it in the same
 * write: the test of a student's client that expects each recv() to hold
 * one message, and so misses the heartbeat in "heartbeat456". */
static void
do_beat (HbCliServer *self,
         const char  *args)
{
  g_auto(GStrv) parts = g_strsplit (args != NULL ? args : "", " ", 2);
  g_autofree char *text = NULL;
  guint id = 0;

  if (!is_lab (self))
    {
      hb_cli_output_note (self->out, "%s", _("/beat is for --protocol lab"));
      return;
    }
  if (!parse_id (self, parts[0], &id))
    {
      hb_cli_output_note (self->out, _("usage: /beat ID [TEXT]"));
      return;
    }
  text = g_utf8_make_valid (parts[1] != NULL ? parts[1] : "", -1);
  if (!hb_server_beat_now (self->server, id, *text != '\0' ? text : NULL))
    {
      hb_cli_output_note (self->out, _("no client with id %u"), id);
      return;
    }

  HbCliEvent *ev = hb_cli_event (self->out, "beat");

  hb_cli_event_int (ev, "id", id);
  hb_cli_event_string (ev, "text", *text != '\0' ? text : NULL);
  if (*text != '\0')
    hb_cli_event_say (ev, _("[%u] heartbeat sent now, with “%s” glued to it"), id, text);
  else
    hb_cli_event_say (ev, _("[%u] heartbeat sent now"), id);
  hb_cli_event_emit (ev);
}

static void
do_help (HbCliServer *self)
{
  if (is_lab (self))
    hb_cli_output_note (self->out, "%s",
                        _("Commands:\n"
                          "  /list            the connected clients\n"
                          "  /send ID TEXT    text to one client\n"
                          "  /beat ID [TEXT]  a heartbeat to one client now, TEXT glued to it\n"
                          "  /kick ID         close one client (FIN)\n"
                          "  /quit            close every client (FIN) and exit\n"
                          "  /help            this list\n"
                          "Any other line is sent to every client; start it with // to\n"
                          "send a line that begins with /."));
  else if (!has_bye (self))
    hb_cli_output_note (self->out, "%s",
                        _("Commands:\n"
                          "  /list          the connected clients\n"
                          "  /send ID TEXT  text to one client\n"
                          "  /kick ID       close one client (FIN)\n"
                          "  /quit          close every client (FIN) and exit\n"
                          "  /help          this list\n"
                          "Any other line is sent to every client; start it with // to\n"
                          "send a line that begins with /."));
  else
    hb_cli_output_note (self->out, "%s",
                        _("Commands:\n"
                          "  /list          the connected clients\n"
                          "  /send ID TEXT  a message to one client\n"
                          "  /kick ID       close one client with BYE kicked\n"
                          "  /quit          say BYE shutdown to everyone and exit\n"
                          "  /help          this list\n"
                          "Any other line is broadcast to every client; start it with // to\n"
                          "broadcast a line that begins with /."));
}

void
hb_cli_server_on_stdin_line (const char *line,
                             gpointer    user_data)
{
  HbCliServer *self = user_data;
  g_autofree char *command = NULL;
  const char *args = NULL;
  const char *space;

  /* End of input is not a reason to stop: the server can run in the
   * background with its stdin on /dev/null. */
  if (line == NULL || self->shutting_down)
    return;

  if (line[0] != '/')
    {
      do_broadcast (self, line);
      return;
    }
  if (line[1] == '/')
    {
      do_broadcast (self, line + 1);
      return;
    }

  hb_cli_server_flush_broadcasts (self);
  space = strchr (line, ' ');
  command = space ? g_strndup (line, space - line) : g_strdup (line);
  if (space != NULL)
    args = space + 1;

  if (strcmp (command, "/list") == 0)
    do_list (self);
  else if (strcmp (command, "/send") == 0)
    do_send (self, args);
  else if (strcmp (command, "/kick") == 0)
    do_kick (self, args);
  else if (strcmp (command, "/beat") == 0)
    do_beat (self, args);
  else if (strcmp (command, "/quit") == 0)
    hb_cli_server_begin_shutdown (self);
  else if (strcmp (command, "/help") == 0)
    do_help (self);
  else
    hb_cli_output_note (self->out, _("unknown command %s; /help lists the commands"), command);
}
