/* hb-client-window-panel.c - what the client window shows of the connection: the state, the heartbeat panel, the protocol's words
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything here is redrawn from the client's state and the clock; the
 * words themselves come from hb-client-words.c.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "hb-cell-text.h"
#include "hb-client-window-private.h"
#include "hb-client-words.h"

/* The protocol chosen for the next connection. */
HbProtocol
hb_client_window_chosen_protocol (HbClientWindow *self)
{
  g_autofree char *name = g_settings_get_string (self->settings, "client-protocol");
  HbProtocol protocol = HB_PROTOCOL_LINE;

  hb_protocol_from_string (name, &protocol);
  return protocol;
}

/* The protocol the panel and the status speak of: the connection's while
 * there is one, else the one chosen for the next. */
static HbProtocol
shown_protocol (HbClientWindow *self)
{
  if (hb_client_get_state (self->client) == HB_CLIENT_DISCONNECTED)
    return hb_client_window_chosen_protocol (self);
  return hb_client_get_protocol (self->client);
}

void
hb_client_window_update_state (HbClientWindow *self)
{
  HbClientState state = hb_client_get_state (self->client);
  static const char *classes[] = { "disconnected", "connecting", "connected", "reconnecting" };
  g_autofree char *text = NULL;
  gboolean idle = state == HB_CLIENT_DISCONNECTED;
  GtkWidget *label = GTK_WIDGET (self->state_label);

  text = hb_client_words_state (self->client, self->last_reason);
  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    gtk_widget_remove_css_class (label, classes[i]);
  gtk_widget_add_css_class (label, classes[state]);
  gtk_label_set_text (self->state_label, text);
  /* One line that never wraps a word onto a line of its own; a long
   * reason is ellipsized, whole here and in the conversation. */
  gtk_widget_set_tooltip_text (label, text);

  gtk_button_set_label (self->connect_button, idle ? _("_Connect") : _("_Disconnect"));
  if (idle)
    gtk_widget_add_css_class (GTK_WIDGET (self->connect_button), "suggested-action");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->connect_button), "suggested-action");
  gtk_widget_set_sensitive (GTK_WIDGET (self->host_entry), idle);
  gtk_widget_set_sensitive (GTK_WIDGET (self->port_spin), idle);
  gtk_widget_set_sensitive (GTK_WIDGET (self->name_entry), idle);
  /* Its settings stay open: the encoding and line ending apply at once. */
  gtk_widget_set_sensitive (self->protocol_choices, idle);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.abort", state == HB_CLIENT_CONNECTED);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.half-close", state == HB_CLIENT_CONNECTED);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.send", state == HB_CLIENT_CONNECTED);
}

static gboolean
verdict_due (gpointer data)
{
  HbClientWindow *self = data;

  self->verdict_id = 0;
  hb_client_window_update_heartbeat (self);
  return G_SOURCE_REMOVE;
}

/* The server's verdict changes at its own moments (late an interval after
 * a heartbeat came unanswered, dead at the timeout), not at the clock's
 * second: the label changes with the server's row, not up to 1 s after. */
static void
schedule_verdict (HbClientWindow *self)
{
  HbServerView view;
  gint64 interval = (gint64) hb_client_get_interval_ms (self->client) * 1000;
  gint64 next = -1;

  g_clear_handle_id (&self->verdict_id, g_source_remove);
  hb_client_get_server_view (self->client, g_get_monotonic_time (), &view);
  if (view.liveness == HB_LIVENESS_ALIVE && view.owed > 0 && interval > 0)
    next = interval - view.waiting_us;
  else if (view.liveness == HB_LIVENESS_LATE)
    next = view.dead_in_us;
  if (next >= 0)
    self->verdict_id = g_timeout_add ((guint) MIN ((next + 999) / 1000 + 1, G_MAXINT), verdict_due, self);
}

void
hb_client_window_update_heartbeat (HbClientWindow *self)
{
  guint64 pings = 0, pongs = 0;
  gint64 last_ping = 0, last_pong = 0;
  g_autofree char *ping_text = NULL;
  g_autofree char *pong_text = NULL;
  g_autofree char *count = NULL;
  g_autofree char *verdict = NULL;
  g_autofree char *terms = NULL;
  HbProtocol protocol = shown_protocol (self);
  gboolean connected = hb_client_get_state (self->client) == HB_CLIENT_CONNECTED;
  /* The clock ticks once a second, so it can lag behind a PONG just sent:
   * never count from before the answer (a 30 s timeout read "31 s"). */
  gint64 now = hb_clock_get_now (self->clock);

  g_object_get (self->client, "pings-received", &pings, "pongs-sent", &pongs,
                "last-ping", &last_ping, "last-pong", &last_pong, NULL);
  /* Only this connection's: the client's totals and times run on across
   * reconnects, and an old PONG would make a new connection look overdue. */
  pings -= MIN (pings, self->base_pings);
  pongs -= MIN (pongs, self->base_pongs);
  if (pings == 0)
    last_ping = 0;
  if (pongs == 0)
    last_pong = 0;
  ping_text = hb_format_clock (last_ping);
  pong_text = hb_format_clock (last_pong);
  count = hb_client_words_count (protocol, pings, pongs);
  hb_label_set_text_changed (self->last_ping_label, ping_text);
  hb_label_set_text_changed (self->last_pong_label, pong_text);
  hb_label_set_text_changed (self->count_label, count);

  if (protocol == HB_PROTOCOL_LAB)
    {
      gint64 since = pings > 0 ? last_ping : self->connected_at;

      /* What the connection uses, once there is one: the settings may
       * have changed since. */
      terms = self->connected_at != 0 ? hb_client_words_lab_terms (self->client, pings, self->first_ping_at, last_ping)
                                      : g_strdup ("—");
      verdict = connected ? hb_client_words_lab_verdict (self->client, pings, since, MAX (now, since))
                          : g_strdup ("—");
    }
  else
    {
      /* The server counts from our last answer, or from the connect. */
      gint64 since = last_pong > 0 ? last_pong : self->connected_at;

      if (hb_client_get_client_id (self->client) == 0)
        terms = g_strdup ("—");
      else
        {
          g_autofree char *every = hb_client_words_duration (hb_client_get_interval_ms (self->client));
          g_autofree char *dead = hb_client_words_duration (hb_client_get_timeout_ms (self->client));

          terms = g_strdup_printf (_("a PING every %s · dead after %s of silence"), every, dead);
        }
      verdict = connected ? hb_client_words_line_verdict (self->client, pings, pongs, since, MAX (now, since))
                          : g_strdup ("—");
    }
  hb_label_set_text_changed (self->terms_label, terms);
  hb_label_set_text_changed (self->deadline_label, verdict);
  if (protocol == HB_PROTOCOL_LINE && connected)
    schedule_verdict (self);
}

void
hb_client_window_flag_message (HbClientWindow *self,
              gboolean        invalid)
{
  GtkWidget *entry = GTK_WIDGET (self->message_entry);

  if (invalid)
    gtk_widget_add_css_class (entry, "error");
  else
    gtk_widget_remove_css_class (entry, "error");
  gtk_accessible_update_state (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_STATE_INVALID,
                               invalid ? GTK_ACCESSIBLE_INVALID_TRUE : GTK_ACCESSIBLE_INVALID_FALSE, -1);
}

void
hb_client_window_update_send_hint (HbClientWindow *self)
{
  const char *hint;

  if (shown_protocol (self) == HB_PROTOCOL_LINE)
    hint = _("Message to the server — Enter sends");
  else if (gtk_toggle_button_get_active (self->hex_toggle))
    hint = _("Bytes in hex, e.g. 31 32 33 — Enter sends");
  else
    hint = _("Text to send as typed — Enter sends");
  gtk_entry_set_placeholder_text (self->message_entry, hint);
  /* What was typed as text is not hex, nor the other way round. */
  hb_client_window_flag_message (self, FALSE);
}

/* The words of the panel and the faults follow the protocol: the lab's has
 * no PING, PONG or BYE, and raw TCP no heartbeat at all. */
void
hb_client_window_update_protocol (HbClientWindow *self)
{
  HbProtocol protocol = shown_protocol (self);
  gboolean line = protocol == HB_PROTOCOL_LINE;
  gboolean raw = protocol == HB_PROTOCOL_RAW;
  HbClientWords words;

  gtk_widget_set_visible (self->name_label, line);
  gtk_widget_set_visible (GTK_WIDGET (self->name_entry), line);
  gtk_label_set_text (self->protocol_label, hb_protocol_to_string (protocol));
  gtk_widget_set_visible (self->lab_settings_separator, !line);
  gtk_widget_set_visible (GTK_WIDGET (self->hex_toggle), !line);
  if (line)
    gtk_toggle_button_set_active (self->hex_toggle, FALSE);
  hb_client_lab_settings_set_protocol (self->lab_settings, protocol);

  gtk_widget_set_visible (self->heartbeat_frame, !raw);
  gtk_widget_set_visible (self->answer_label, !raw);
  gtk_widget_set_visible (GTK_WIDGET (self->answer_switch), !raw);
  gtk_widget_set_visible (GTK_WIDGET (self->answer_hint), !raw);
  gtk_widget_set_visible (self->delay_label, !raw);
  gtk_widget_set_visible (GTK_WIDGET (self->delay_spin), !raw);
  gtk_widget_set_visible (GTK_WIDGET (self->delay_hint), !raw);

  hb_client_words_get (protocol, &words);
  gtk_label_set_text (self->ping_caption, words.ping_caption);
  gtk_label_set_text (self->pong_caption, words.pong_caption);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->ping_pulse), words.ping_tooltip);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->pong_pulse), words.pong_tooltip);
  gtk_label_set_text (self->terms_title, words.terms_title);
  gtk_label_set_text (self->last_ping_title, words.last_ping_title);
  gtk_label_set_text (self->last_pong_title, words.last_pong_title);
  gtk_label_set_text (self->verdict_title, words.verdict_title);
  gtk_label_set_text (self->answer_hint, words.answer_hint);
  gtk_label_set_text (self->delay_hint, words.delay_hint);
  gtk_label_set_text (self->reading_hint, words.reading_hint);
  gtk_label_set_text (self->abort_hint, words.abort_hint);
  gtk_label_set_text (self->half_close_hint, words.half_close_hint);
  hb_client_window_update_send_hint (self);
}

static gboolean
unbeat_ping (gpointer data)
{
  HbClientWindow *self = data;

  self->ping_beat_id = 0;
  gtk_widget_remove_css_class (GTK_WIDGET (self->ping_pulse), "beat-in");
  return G_SOURCE_REMOVE;
}

static gboolean
unbeat_pong (gpointer data)
{
  HbClientWindow *self = data;

  self->pong_beat_id = 0;
  gtk_widget_remove_css_class (GTK_WIDGET (self->pong_pulse), "beat-out");
  return G_SOURCE_REMOVE;
}

/* Lights an indicator for a moment; dispose removes pending timeouts. */
static void
beat (HbClientWindow *self,
      GtkImage       *pulse,
      const char     *css_class,
      guint          *source_id,
      GSourceFunc     unbeat)
{
  gtk_widget_add_css_class (GTK_WIDGET (pulse), css_class);
  g_clear_handle_id (source_id, g_source_remove);
  *source_id = g_timeout_add (350, unbeat, self);
}

void
hb_client_window_beat_ping (HbClientWindow *self)
{
  beat (self, self->ping_pulse, "beat-in", &self->ping_beat_id, unbeat_ping);
}

void
hb_client_window_beat_pong (HbClientWindow *self)
{
  beat (self, self->pong_pulse, "beat-out", &self->pong_beat_id, unbeat_pong);
}

