/* hb-client-window.c - one client: connect, watch the heartbeat, talk, and break things on purpose
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window binds to one HbClient: its switches are the client's
 * properties, and everything shown comes from the client's signals.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "hb-client-stream.h"
#include "hb-client-window.h"
#include "hb-client-words.h"
#include "hb-cell-text.h"
#include "hb-clock.h"
#include "hb-client-lab-settings.h"
#include "hb-log-view.h"
#include "hb-recent-servers.h"
#include "hb-style.h"
#include "hb-timeline-window.h"

struct _HbClientWindow
{
  GtkApplicationWindow  parent_instance;

  GtkEntry             *host_entry;
  GtkMenuButton        *recent_button;
  GtkSpinButton        *port_spin;
  GtkWidget            *name_label;
  GtkEntry             *name_entry;
  GtkMenuButton        *protocol_button;
  GtkWidget            *protocol_warning;
  GtkLabel             *protocol_label;
  GtkWidget            *protocol_choices;
  GtkWidget            *lab_settings_separator;
  HbClientLabSettings        *lab_settings;
  GtkButton            *connect_button;
  GtkLabel             *state_label;
  GtkCheckButton       *reconnect_check;
  GtkWidget            *heartbeat_frame;
  GtkImage             *ping_pulse;
  GtkImage             *pong_pulse;
  GtkLabel             *ping_caption;
  GtkLabel             *pong_caption;
  GtkLabel             *terms_title;
  GtkLabel             *last_ping_title;
  GtkLabel             *last_pong_title;
  GtkLabel             *verdict_title;
  GtkPaned             *paned;
  GtkWidget            *controls_scroller;
  int                   paned_height;    /* at the last allocation */
  guint                 restore_id;
  guint                 verdict_id;   /* when the server's verdict changes next */
  GtkLabel             *last_ping_label;
  GtkLabel             *last_pong_label;
  GtkLabel             *count_label;
  GtkLabel             *deadline_label;
  GtkLabel             *terms_label;
  GtkWidget            *answer_label;
  GtkSwitch            *answer_switch;
  GtkLabel             *answer_hint;
  GtkWidget            *delay_label;
  GtkSpinButton        *delay_spin;
  GtkLabel             *delay_hint;
  GtkSwitch            *reading_switch;
  GtkLabel             *reading_hint;
  GtkLabel             *abort_hint;
  GtkLabel             *half_close_hint;
  HbLogView            *conversation;
  GtkEntry             *message_entry;
  GtkToggleButton      *hex_toggle;

  GSettings            *settings;
  HbClient             *client;
  HbClock              *clock;
  char                 *last_reason;   /* why the last connection ended, in words */
  char                 *given_name;    /* a name set by the program (the demo's), not typed */
  /* The panel shows one connection: the client's running totals when it
   * began, and when it was established (wall µs, 0 before that). */
  guint64               base_pings;
  guint64               base_pongs;
  gint64                connected_at;
  /* The lab's protocol announces nothing: what this window saw of the
   * connection (wall µs) is all it can tell. */
  gint64                first_ping_at;
  guint                 ping_beat_id;
  guint                 pong_beat_id;
};

G_DEFINE_FINAL_TYPE (HbClientWindow, hb_client_window, GTK_TYPE_APPLICATION_WINDOW)

static void
say (HbClientWindow *self,
     HbLogKind       kind,
     const char     *who,
     const char     *text)
{
  g_autoptr(HbLogEntry) entry = hb_log_entry_new (kind, 0, who, text);

  hb_log_view_append (self->conversation, entry);
}

/* What this client did or found, not something the server said: the log
 * credits an entry without a sender to the server. */
static void
note (HbClientWindow *self,
      HbLogKind       kind,
      const char     *text)
{
  say (self, kind, _("this client"), text);
}

/* ---------------------------------------------------------------------- */
/* What the user sees                                                      */

/* The protocol chosen for the next connection. */
static HbProtocol
chosen_protocol (HbClientWindow *self)
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
    return chosen_protocol (self);
  return hb_client_get_protocol (self->client);
}

static void
update_state (HbClientWindow *self)
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

static void update_heartbeat (HbClientWindow *self);

static gboolean
verdict_due (gpointer data)
{
  HbClientWindow *self = data;

  self->verdict_id = 0;
  update_heartbeat (self);
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

static void
update_heartbeat (HbClientWindow *self)
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

static void
flag_message (HbClientWindow *self,
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

static void
update_send_hint (HbClientWindow *self)
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
  flag_message (self, FALSE);
}

/* The words of the panel and the faults follow the protocol: the lab's has
 * no PING, PONG or BYE, and raw TCP no heartbeat at all. */
static void
update_protocol (HbClientWindow *self)
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
  update_send_hint (self);
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

/* ---------------------------------------------------------------------- */
/* Client events                                                           */

static void
on_state (HbClient *client, GParamSpec *pspec, HbClientWindow *self)
{
  switch (hb_client_get_state (client))
    {
    case HB_CLIENT_CONNECTING:
      /* Every attempt, by hand or by reconnecting, starts a fresh panel. */
      g_object_get (client, "pings-received", &self->base_pings, "pongs-sent", &self->base_pongs, NULL);
      self->connected_at = 0;
      self->first_ping_at = 0;
      break;
    case HB_CLIENT_CONNECTED:
      self->connected_at = g_get_real_time ();
      break;
    case HB_CLIENT_DISCONNECTED:
    case HB_CLIENT_RECONNECTING:
    default:
      /* The ended connection's figures stay, to be read after the fact. */
      break;
    }
  update_protocol (self);
  update_state (self);
  update_heartbeat (self);
}

static void
on_welcome (HbClient *client, guint id, guint interval, guint timeout, HbClientWindow *self)
{
  g_autofree char *text = g_strdup_printf (_("WELCOME: you are client #%u; a PING comes every %u ms, and %u ms of silence counts as dead"),
                                           id, interval, timeout);

  say (self, HB_LOG_INFO, NULL, text);
  update_state (self);
  update_heartbeat (self);
}

static void
on_ping (HbClient *client, guint64 seq, HbClientWindow *self)
{
  if (self->first_ping_at == 0)
    g_object_get (client, "last-ping", &self->first_ping_at, NULL);
  beat (self, self->ping_pulse, "beat-in", &self->ping_beat_id, unbeat_ping);
  update_heartbeat (self);
}

static void
on_pong_sent (HbClient *client, guint64 seq, HbClientWindow *self)
{
  beat (self, self->pong_pulse, "beat-out", &self->pong_beat_id, unbeat_pong);
  update_heartbeat (self);
}

static void
on_message (HbClient *client, HbVerb kind, const char *sender, const char *text, HbClientWindow *self)
{
  switch (kind)
    {
    case HB_VERB_BCAST:
      say (self, HB_LOG_BROADCAST, _("everyone"), text);
      break;
    case HB_VERB_RELAY:
      say (self, HB_LOG_RELAY, sender, text);
      break;
    case HB_VERB_MSG:
    default:
      /* The lab's server sends every client what its operator types: the
       * text between heartbeats is its broadcast. */
      if (hb_client_get_protocol (client) == HB_PROTOCOL_LAB)
        say (self, HB_LOG_BROADCAST, _("server"), text);
      else
        say (self, HB_LOG_MESSAGE, _("server → me"), text);
      break;
    }
}

static void
on_data_received (HbClient       *client,
                  GBytes         *bytes,
                  HbChunkInfo    *info,
                  HbClientWindow *self)
{
  g_autoptr(HbLogEntry) entry = hb_client_read_entry (client, bytes, info);

  hb_log_view_append (self->conversation, entry);
}

static void
on_server_error (HbClient *client, const char *code, const char *text, HbClientWindow *self)
{
  g_autofree char *line = g_strdup_printf ("%s: %s", code, text);

  say (self, HB_LOG_ERROR, _("server"), line);
}

static void
on_bye (HbClient *client, const char *reason, HbClientWindow *self)
{
  g_autofree char *line = g_strdup_printf ("BYE %s", reason);

  say (self, HB_LOG_LEAVE, _("server"), line);
}

static void
on_disconnected (HbClient *client, HbByeReason reason, HbInitiator initiator,
                 const char *detail, HbClientWindow *self)
{
  HbProtocol protocol = hb_client_get_protocol (client);

  g_free (self->last_reason);
  self->last_reason = detail ? g_strdup_printf ("%s — %s", hb_client_words_ended (reason, initiator, protocol), detail)
                             : g_strdup (hb_client_words_ended (reason, initiator, protocol));
  note (self, HB_LOG_LEAVE, self->last_reason);
  update_state (self);
}

static void
on_reconnecting (HbClient *client, guint delay_ms, guint attempt, HbClientWindow *self)
{
  g_autofree char *text = g_strdup_printf (_("Reconnecting in %.1f s (attempt %u)"), delay_ms / 1000.0, attempt);

  note (self, HB_LOG_INFO, text);
  update_state (self);
}

static void
on_clock (HbClock *clock, GParamSpec *pspec, HbClientWindow *self)
{
  update_heartbeat (self);
}

/* ---------------------------------------------------------------------- */
/* Recent servers                                                          */

static void
rebuild_recent_menu (HbClientWindow *self)
{
  g_autoptr(GMenuModel) menu = hb_recent_servers_menu (self->settings, "win.use-recent");

  gtk_menu_button_set_menu_model (self->recent_button, menu);
  gtk_widget_set_sensitive (GTK_WIDGET (self->recent_button), g_menu_model_get_n_items (menu) > 0);
}

static void
use_recent_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  HbClientWindow *self = HB_CLIENT_WINDOW (widget);
  const char *text = g_variant_get_string (param, NULL);
  g_autofree char *host = NULL;
  guint16 port = 0;
  g_autoptr(GSocketConnectable) addr = g_network_address_parse (text, 12001, NULL);

  if (addr == NULL)
    return;
  host = g_strdup (g_network_address_get_hostname (G_NETWORK_ADDRESS (addr)));
  port = g_network_address_get_port (G_NETWORK_ADDRESS (addr));
  hb_client_window_set_target (self, host, port, NULL);
}

/* ---------------------------------------------------------------------- */
/* Actions                                                                 */

static void
toggle_connection_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *param)
{
  HbClientWindow *self = HB_CLIENT_WINDOW (widget);

  if (hb_client_get_state (self->client) == HB_CLIENT_DISCONNECTED)
    hb_client_window_connect (self);
  else
    hb_client_disconnect (self->client);
}

/* In the lab's protocol and raw TCP what goes out is bytes. */
static gboolean
send_bytes (HbClientWindow *self,
            const char     *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HbLogEntry) entry = hb_client_send_typed (self->client, text,
                                                      gtk_toggle_button_get_active (self->hex_toggle), &error);

  if (entry == NULL)
    {
      if (error != NULL)
        {
          flag_message (self, TRUE);
          note (self, HB_LOG_ERROR, error->message);
        }
      return FALSE;
    }
  hb_log_view_append (self->conversation, entry);
  return TRUE;
}

static void
send_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  HbClientWindow *self = HB_CLIENT_WINDOW (widget);
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->message_entry));
  gboolean sent;

  if (text == NULL || *text == '\0')
    return;
  if (hb_client_get_protocol (self->client) != HB_PROTOCOL_LINE)
    sent = send_bytes (self, text);
  else if ((sent = hb_client_send_message (self->client, text)))
    say (self, HB_LOG_OWN, NULL, text);
  if (sent)
    {
      flag_message (self, FALSE);
      gtk_editable_set_text (GTK_EDITABLE (self->message_entry), "");
    }
}

static void
abort_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  hb_client_abort (HB_CLIENT_WINDOW (widget)->client);
}

static void
half_close_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  HbClientWindow *self = HB_CLIENT_WINDOW (widget);

  note (self, HB_LOG_INFO, _("Half-close: FIN sent, still reading"));
  hb_client_half_close (self->client);
}

static void
show_timeline_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  HbClientWindow *self = HB_CLIENT_WINDOW (widget);
  const char *name = hb_client_get_name (self->client);
  const char *host = hb_client_get_host (self->client);
  g_autofree char *server = hb_format_endpoint (host, hb_client_get_port (self->client));

  /* The ladder (and its export) names the client as the server knows it;
   * the timeline's status line says whose record this is. */
  hb_timeline_window_open_for_client (gtk_window_get_application (GTK_WINDOW (self)), self->client,
                                      name ? name : _("client"), server);
}

static void
on_entry_activate (HbClientWindow *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "win.send", NULL);
}

/* Enter in a connection field is the form's default action, Connect. It
 * never disconnects: the fields only take input while disconnected. */
static void
on_target_activate (HbClientWindow *self)
{
  if (hb_client_get_state (self->client) == HB_CLIENT_DISCONNECTED)
    hb_client_window_connect (self);
}

/* ---------------------------------------------------------------------- */
/* GObject                                                                 */

static void
on_protocol_chosen (HbClientWindow *self)
{
  update_protocol (self);
  update_heartbeat (self);
}

/* A heartbeat or answer that cannot be used shows on the button too, so
 * that it is seen before Connect refuses it. */
static void
update_settings_button (HbClientWindow *self)
{
  const char *error = hb_client_lab_settings_get_error (self->lab_settings);

  gtk_widget_set_visible (self->protocol_warning, error != NULL);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->protocol_button),
                               error ? error : _("The protocol to speak, and its settings"));
  if (error != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->protocol_button), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->protocol_button), "error");
}

static void
hb_client_window_dispose (GObject *object)
{
  HbClientWindow *self = HB_CLIENT_WINDOW (object);

  g_clear_handle_id (&self->ping_beat_id, g_source_remove);
  g_clear_handle_id (&self->pong_beat_id, g_source_remove);
  g_clear_handle_id (&self->restore_id, g_source_remove);
  if (self->client != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      /* Leave politely: BYE and FIN, not a vanished socket, even if the
       * window (or the whole application) is gone before they are sent. */
      hb_farewell_client (self->client);
    }
  if (self->clock != NULL)
    g_signal_handlers_disconnect_by_data (self->clock, self);
  g_clear_handle_id (&self->verdict_id, g_source_remove);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  /* The action follows the settings, which outlive this window: it must
   * not tell a window being taken apart of a change. */
  g_action_map_remove_action (G_ACTION_MAP (self), "client-protocol");
  gtk_widget_dispose_template (GTK_WIDGET (self), HB_TYPE_CLIENT_WINDOW);
  g_clear_object (&self->client);
  g_clear_object (&self->clock);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (hb_client_window_parent_class)->dispose (object);
}

/* The panels above the log give up their room when the window is made
 * small (they scroll), and GtkPaned never gives it back when it grows
 * again: the heartbeat panel and the switches stayed hidden behind a
 * divider nobody sees. As the window grows, they get back up to their
 * natural height, the log keeping at least a quarter; so they do when the
 * window first opens (their natural height depends on the language). */
static gboolean
restore_panels (gpointer user_data)
{
  HbClientWindow *self = user_data;
  int natural = 0;
  int height = gtk_widget_get_height (GTK_WIDGET (self->paned));
  int want;

  self->restore_id = 0;
  gtk_widget_measure (self->controls_scroller, GTK_ORIENTATION_VERTICAL, -1, NULL, &natural, NULL, NULL);
  want = MIN (natural, height * 3 / 4);
  if (gtk_paned_get_position (self->paned) < want)
    gtk_paned_set_position (self->paned, want);
  return G_SOURCE_REMOVE;
}

static void
hb_client_window_size_allocate (GtkWidget *widget,
                                int        width,
                                int        height,
                                int        baseline)
{
  HbClientWindow *self = HB_CLIENT_WINDOW (widget);
  int paned_height;

  GTK_WIDGET_CLASS (hb_client_window_parent_class)->size_allocate (widget, width, height, baseline);
  paned_height = gtk_widget_get_height (GTK_WIDGET (self->paned));
  /* Not from inside an allocation: the position is set at the next idle. */
  if (paned_height > self->paned_height && self->restore_id == 0)
    self->restore_id = g_idle_add (restore_panels, self);
  self->paned_height = paned_height;
}

static void
hb_client_window_finalize (GObject *object)
{
  HbClientWindow *self = HB_CLIENT_WINDOW (object);

  g_free (self->last_reason);
  g_free (self->given_name);
  G_OBJECT_CLASS (hb_client_window_parent_class)->finalize (object);
}

static void
hb_client_window_class_init (HbClientWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hb_client_window_dispose;
  widget_class->size_allocate = hb_client_window_size_allocate;
  object_class->finalize = hb_client_window_finalize;

  g_type_ensure (HB_TYPE_LOG_VIEW);
  g_type_ensure (HB_TYPE_CLIENT_LAB_SETTINGS);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/heartbeatlab/HeartbeatLab/hb-client-window.ui");
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, host_entry);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, recent_button);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, port_spin);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, name_label);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, name_entry);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, protocol_button);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, protocol_warning);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, protocol_label);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, protocol_choices);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, lab_settings_separator);
  /* Reached by name only (tests): the action does their work. */
  gtk_widget_class_bind_template_child_full (widget_class, "protocol_line_check", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "protocol_lab_check", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "protocol_raw_check", FALSE, 0);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, lab_settings);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, connect_button);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, state_label);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, reconnect_check);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, heartbeat_frame);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, ping_pulse);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, pong_pulse);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, ping_caption);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, pong_caption);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, terms_title);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, last_ping_title);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, last_pong_title);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, verdict_title);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, paned);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, controls_scroller);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, last_ping_label);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, last_pong_label);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, count_label);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, deadline_label);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, terms_label);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, answer_label);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, answer_switch);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, answer_hint);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, delay_label);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, delay_spin);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, delay_hint);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, reading_switch);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, reading_hint);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, abort_hint);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, half_close_hint);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, conversation);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, message_entry);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, hex_toggle);

  gtk_widget_class_install_action (widget_class, "win.toggle-connection", NULL, toggle_connection_action);
  gtk_widget_class_install_action (widget_class, "win.send", NULL, send_action);
  gtk_widget_class_install_action (widget_class, "win.abort", NULL, abort_action);
  gtk_widget_class_install_action (widget_class, "win.half-close", NULL, half_close_action);
  gtk_widget_class_install_action (widget_class, "win.use-recent", "s", use_recent_action);
  gtk_widget_class_install_action (widget_class, "win.show-timeline", NULL, show_timeline_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_t, GDK_CONTROL_MASK, "win.show-timeline", NULL);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_l, GDK_CONTROL_MASK, "win.toggle-connection", NULL);
}

static void
hb_client_window_init (HbClientWindow *self)
{
  g_autofree char *name = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));
  hb_load_style ();

  self->settings = g_settings_new (APP_ID);
  self->clock = hb_clock_new (1000);
  self->client = hb_client_new ("127.0.0.1", HB_DEFAULT_PORT, NULL);

  gtk_editable_set_text (GTK_EDITABLE (self->host_entry), "127.0.0.1");
  name = g_settings_get_string (self->settings, "client-name");
  if (*name == '\0')
    {
      g_free (name);
      name = g_strdup_printf ("student-%u", g_random_int_range (100, 1000));
    }
  gtk_editable_set_text (GTK_EDITABLE (self->name_entry), name);

  g_object_bind_property (self->answer_switch, "active", self->client, "answer-pings", G_BINDING_SYNC_CREATE);
  g_object_bind_property (gtk_spin_button_get_adjustment (self->delay_spin), "value",
                          self->client, "pong-delay-ms", G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->reading_switch, "active", self->client, "reading", G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->reconnect_check, "active", self->client, "auto-reconnect", G_BINDING_SYNC_CREATE);
  {
    g_autoptr(GAction) protocol = g_settings_create_action (self->settings, "client-protocol");

    g_action_map_add_action (G_ACTION_MAP (self), protocol);
  }
  hb_client_lab_settings_bind_client (self->settings, self->client);

  g_signal_connect (self->client, "notify::state", G_CALLBACK (on_state), self);
  g_signal_connect (self->client, "welcome", G_CALLBACK (on_welcome), self);
  g_signal_connect (self->client, "ping", G_CALLBACK (on_ping), self);
  g_signal_connect (self->client, "pong-sent", G_CALLBACK (on_pong_sent), self);
  g_signal_connect (self->client, "message", G_CALLBACK (on_message), self);
  g_signal_connect (self->client, "server-error", G_CALLBACK (on_server_error), self);
  g_signal_connect (self->client, "bye", G_CALLBACK (on_bye), self);
  g_signal_connect (self->client, "disconnected", G_CALLBACK (on_disconnected), self);
  g_signal_connect (self->client, "reconnecting", G_CALLBACK (on_reconnecting), self);
  g_signal_connect (self->client, "data-received", G_CALLBACK (on_data_received), self);
  g_signal_connect (self->client, "notify::reading", G_CALLBACK (on_clock), self);
  g_signal_connect_swapped (self->settings, "changed::client-protocol", G_CALLBACK (on_protocol_chosen), self);
  g_signal_connect_swapped (self->lab_settings, "notify::error", G_CALLBACK (update_settings_button), self);
  g_signal_connect_swapped (self->hex_toggle, "toggled", G_CALLBACK (update_send_hint), self);
  g_signal_connect (self->clock, "notify::now", G_CALLBACK (on_clock), self);
  g_signal_connect_swapped (self->message_entry, "activate", G_CALLBACK (on_entry_activate), self);
  g_signal_connect_swapped (self->host_entry, "activate", G_CALLBACK (on_target_activate), self);
  g_signal_connect_swapped (self->name_entry, "activate", G_CALLBACK (on_target_activate), self);
  /* GTK 4.8's spin button has no ::activate of its own; its text does, and
   * the spin button's handler, connected first, takes the typed value. */
  g_signal_connect_swapped (gtk_editable_get_delegate (GTK_EDITABLE (self->port_spin)), "activate",
                            G_CALLBACK (on_target_activate), self);
  g_signal_connect_swapped (self->settings, "changed::recent-servers", G_CALLBACK (rebuild_recent_menu), self);

  rebuild_recent_menu (self);
  update_protocol (self);
  update_settings_button (self);
  update_state (self);
  update_heartbeat (self);
}

HbClientWindow *
hb_client_window_new (GtkApplication *application)
{
  return g_object_new (HB_TYPE_CLIENT_WINDOW, "application", application, NULL);
}

void
hb_client_window_set_target (HbClientWindow *self,
                             const char     *host,
                             guint           port,
                             const char     *name)
{
  g_return_if_fail (HB_IS_CLIENT_WINDOW (self));

  if (host != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->host_entry), host);
  if (port != 0)
    gtk_spin_button_set_value (self->port_spin, port);
  if (name != NULL)
    {
      gtk_editable_set_text (GTK_EDITABLE (self->name_entry), name);
      g_free (self->given_name);
      self->given_name = g_strdup (name);
    }
}

void
hb_client_window_connect (HbClientWindow *self)
{
  const char *host = gtk_editable_get_text (GTK_EDITABLE (self->host_entry));
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_entry));
  HbProtocol protocol;
  guint port;
  g_autofree char *title = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (HB_IS_CLIENT_WINDOW (self));

  /* A port typed but not yet committed (no Enter, no focus change) counts. */
  gtk_spin_button_update (self->port_spin);
  port = gtk_spin_button_get_value_as_int (self->port_spin);
  protocol = chosen_protocol (self);
  /* Only the line protocol sends the name (HELLO). */
  if (protocol != HB_PROTOCOL_LINE)
    name = "";

  if (*name != '\0' && !hb_name_is_valid (name, strlen (name)))
    {
      g_free (self->last_reason);
      self->last_reason = g_strdup (_("a name is 1 to 32 characters without spaces"));
      update_state (self);
      return;
    }
  if (!hb_client_lab_settings_apply (self->lab_settings, protocol, self->client, &error))
    {
      g_free (self->last_reason);
      self->last_reason = g_strdup (error->message);
      update_state (self);
      gtk_menu_button_popup (self->protocol_button);
      return;
    }

  g_free (self->last_reason);
  self->last_reason = NULL;
  g_object_set (self->client, "host", host, "port", port, "name", *name ? name : NULL, NULL);
  /* The name a person typed is what the next window starts with; one the
   * program gave (the demo's alice and bob) is not. */
  if (protocol == HB_PROTOCOL_LINE && g_strcmp0 (name, self->given_name) != 0)
    g_settings_set_string (self->settings, "client-name", name);
  hb_recent_servers_remember (self->settings, host, port);
  title = g_strdup_printf (_("%s — Heartbeat Lab Client"), *name ? name : host);
  gtk_window_set_title (GTK_WINDOW (self), title);
  hb_client_connect (self->client);
}

HbClient *
hb_client_window_get_client (HbClientWindow *self)
{
  g_return_val_if_fail (HB_IS_CLIENT_WINDOW (self), NULL);
  return self->client;
}

GListModel *
hb_client_window_get_conversation (HbClientWindow *self)
{
  g_return_val_if_fail (HB_IS_CLIENT_WINDOW (self), NULL);
  return hb_log_view_get_model (self->conversation);
}
