/* hb-client-window.c - one client: connect, watch the heartbeat, talk, and break things on purpose
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window binds to one HbClient: its switches are the client's
 * properties, and everything shown comes from the client's signals.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "hb-client-window.h"
#include "hb-clock.h"
#include "hb-log-view.h"
#include "hb-style.h"
#include "hb-timeline-window.h"

#define RECENT_MAX 8

struct _HbClientWindow
{
  GtkApplicationWindow  parent_instance;

  GtkEntry             *host_entry;
  GtkMenuButton        *recent_button;
  GtkSpinButton        *port_spin;
  GtkEntry             *name_entry;
  GtkButton            *connect_button;
  GtkLabel             *state_label;
  GtkCheckButton       *reconnect_check;
  GtkImage             *ping_pulse;
  GtkImage             *pong_pulse;
  GtkLabel             *last_ping_label;
  GtkLabel             *last_pong_label;
  GtkLabel             *count_label;
  GtkLabel             *deadline_label;
  GtkLabel             *terms_label;
  GtkSwitch            *answer_switch;
  GtkSpinButton        *delay_spin;
  GtkSwitch            *reading_switch;
  HbLogView            *conversation;
  GtkEntry             *message_entry;

  GSettings            *settings;
  HbClient             *client;
  HbClock              *clock;
  char                 *last_reason;   /* why the last connection ended, in words */
  /* The panel shows one connection: the client's running totals when it
   * began, and when it was established (wall µs, 0 before that). */
  guint64               base_pings;
  guint64               base_pongs;
  gint64                connected_at;
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

static char *
format_seconds (guint ms)
{
  if (ms % 1000 == 0)
    return g_strdup_printf (_("%u s"), ms / 1000);
  return g_strdup_printf (_("%u ms"), ms);
}

static void
update_state (HbClientWindow *self)
{
  HbClientState state = hb_client_get_state (self->client);
  static const char *classes[] = { "disconnected", "connecting", "connected", "reconnecting" };
  g_autofree char *text = NULL;
  gboolean idle = state == HB_CLIENT_DISCONNECTED;
  GtkWidget *label = GTK_WIDGET (self->state_label);

  switch (state)
    {
    case HB_CLIENT_CONNECTING:
      text = g_strdup_printf (_("Connecting to %s port %u…"), hb_client_get_host (self->client),
                              hb_client_get_port (self->client));
      break;
    case HB_CLIENT_CONNECTED:
      if (hb_client_get_client_id (self->client) == 0)
        text = g_strdup (_("Connected; waiting for the server's WELCOME…"));
      else
        text = g_strdup_printf (_("Connected as client #%u"), hb_client_get_client_id (self->client));
      break;
    case HB_CLIENT_RECONNECTING:
      {
        guint delay = 0;

        g_object_get (self->client, "reconnect-delay-ms", &delay, NULL);
        text = g_strdup_printf (_("Disconnected (%s) · reconnecting in %.1f s"),
                                self->last_reason ? self->last_reason : "", delay / 1000.0);
      }
      break;
    case HB_CLIENT_DISCONNECTED:
    default:
      text = self->last_reason ? g_strdup_printf (_("Disconnected: %s"), self->last_reason)
                               : g_strdup (_("Not connected"));
      break;
    }

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
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.abort", state == HB_CLIENT_CONNECTED);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.half-close", state == HB_CLIENT_CONNECTED);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.send", state == HB_CLIENT_CONNECTED);
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
  guint timeout = hb_client_get_timeout_ms (self->client);

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
  count = g_strdup_printf (_("%llu PINGs received, %llu PONGs sent"),
                           (unsigned long long) pings, (unsigned long long) pongs);
  gtk_label_set_text (self->last_ping_label, ping_text);
  gtk_label_set_text (self->last_pong_label, pong_text);
  gtk_label_set_text (self->count_label, count);

  if (hb_client_get_client_id (self->client) == 0)
    terms = g_strdup ("—");
  else
    {
      g_autofree char *every = format_seconds (hb_client_get_interval_ms (self->client));
      g_autofree char *dead = format_seconds (timeout);

      terms = g_strdup_printf (_("a PING every %s · dead after %s of silence"), every, dead);
    }
  gtk_label_set_text (self->terms_label, terms);

  if (hb_client_get_state (self->client) != HB_CLIENT_CONNECTED ||
      hb_client_get_client_id (self->client) == 0 || timeout == 0)
    verdict = g_strdup ("—");
  else
    {
      /* The server counts from our last answer, or from the connect. The
       * clock ticks once a second, so it can lag behind a PONG just sent:
       * never count from before the answer (a 30 s timeout read "31 s"). */
      gint64 since = last_pong > 0 ? last_pong : self->connected_at;
      gint64 now = MAX (hb_clock_get_now (self->clock), since);
      gint64 left = since + (gint64) timeout * 1000 - now;

      if (pings == 0 && pongs == 0)
        verdict = g_strdup (_("alive (no heartbeat yet)"));
      else if (left > 0)
        verdict = g_strdup_printf (_("alive · would be declared dead in %lld s without an answer"),
                                   (long long) ((left + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC));
      else
        verdict = g_strdup (_("overdue: the server is about to close this connection"));
    }
  gtk_label_set_text (self->deadline_label, verdict);
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
      say (self, HB_LOG_MESSAGE, _("server → me"), text);
      break;
    }
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

static const char *
reason_words (HbByeReason reason, HbInitiator initiator)
{
  switch (reason)
    {
    case HB_BYE_SHUTDOWN: return _("the server shut down");
    case HB_BYE_KICKED: return _("kicked by the server");
    case HB_BYE_TIMEOUT: return _("the server heard no heartbeat answer in time");
    case HB_BYE_SLOW_CONSUMER: return _("the server cut this client off for not reading");
    case HB_BYE_SERVER_FULL: return _("the server is full");
    case HB_BYE_GOODBYE:
    case HB_BYE_USER: return _("you disconnected");
    case HB_BYE_PEER_CLOSED:
      return initiator == HB_INITIATOR_LOCAL ? _("half-closed; the server closed its side too")
                                             : _("the server closed the connection");
    case HB_BYE_RESET: return _("the connection was reset");
    case HB_BYE_SERVER_TIMEOUT: return _("the server went silent for longer than its timeout");
    case HB_BYE_ABORTED: return _("aborted with RST");
    case HB_BYE_ERROR: return _("could not connect");
    default: return _("the connection ended");
    }
}

static void
on_disconnected (HbClient *client, HbByeReason reason, HbInitiator initiator,
                 const char *detail, HbClientWindow *self)
{
  g_free (self->last_reason);
  self->last_reason = detail ? g_strdup_printf ("%s — %s", reason_words (reason, initiator), detail)
                             : g_strdup (reason_words (reason, initiator));
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
remember_server (HbClientWindow *self,
                 const char     *host,
                 guint           port)
{
  g_auto(GStrv) old = g_settings_get_strv (self->settings, "recent-servers");
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree char *entry = hb_format_endpoint (host, port);
  g_auto(GStrv) list = NULL;
  guint n = 1;

  g_strv_builder_add (builder, entry);
  for (guint i = 0; old[i] != NULL && n < RECENT_MAX; i++)
    if (g_strcmp0 (old[i], entry) != 0)
      {
        g_strv_builder_add (builder, old[i]);
        n++;
      }
  list = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "recent-servers", (const char * const *) list);
}

static void
rebuild_recent_menu (HbClientWindow *self)
{
  g_auto(GStrv) recent = g_settings_get_strv (self->settings, "recent-servers");
  g_autoptr(GMenu) menu = g_menu_new ();

  for (guint i = 0; recent[i] != NULL; i++)
    {
      g_autoptr(GMenuItem) item = g_menu_item_new (recent[i], NULL);

      g_menu_item_set_action_and_target_value (item, "win.use-recent", g_variant_new_string (recent[i]));
      g_menu_append_item (menu, item);
    }
  gtk_menu_button_set_menu_model (self->recent_button, G_MENU_MODEL (menu));
  gtk_widget_set_sensitive (GTK_WIDGET (self->recent_button), recent[0] != NULL);
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

static void
send_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  HbClientWindow *self = HB_CLIENT_WINDOW (widget);
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->message_entry));

  if (text == NULL || *text == '\0')
    return;
  if (hb_client_send_message (self->client, text))
    {
      say (self, HB_LOG_OWN, NULL, text);
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
  g_autofree char *client = g_strdup_printf (_("%s (this window)"), name ? name : _("client"));
  g_autofree char *server = hb_format_endpoint (host, hb_client_get_port (self->client));
  HbTimelineWindow *win;

  win = hb_timeline_window_new (gtk_window_get_application (GTK_WINDOW (self)),
                                hb_client_get_timeline (self->client), TRUE,
                                hb_client_get_socket (self->client), client, server);
  gtk_window_present (GTK_WINDOW (win));
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
hb_client_window_dispose (GObject *object)
{
  HbClientWindow *self = HB_CLIENT_WINDOW (object);

  g_clear_handle_id (&self->ping_beat_id, g_source_remove);
  g_clear_handle_id (&self->pong_beat_id, g_source_remove);
  if (self->client != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      /* Leave politely: BYE and FIN, not a vanished socket. */
      hb_client_disconnect (self->client);
    }
  if (self->clock != NULL)
    g_signal_handlers_disconnect_by_data (self->clock, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), HB_TYPE_CLIENT_WINDOW);
  g_clear_object (&self->client);
  g_clear_object (&self->clock);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (hb_client_window_parent_class)->dispose (object);
}

static void
hb_client_window_finalize (GObject *object)
{
  HbClientWindow *self = HB_CLIENT_WINDOW (object);

  g_free (self->last_reason);
  G_OBJECT_CLASS (hb_client_window_parent_class)->finalize (object);
}

static void
hb_client_window_class_init (HbClientWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hb_client_window_dispose;
  object_class->finalize = hb_client_window_finalize;

  g_type_ensure (HB_TYPE_LOG_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/heartbeatlab/HeartbeatLab/hb-client-window.ui");
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, host_entry);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, recent_button);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, port_spin);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, name_entry);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, connect_button);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, state_label);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, reconnect_check);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, ping_pulse);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, pong_pulse);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, last_ping_label);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, last_pong_label);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, count_label);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, deadline_label);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, terms_label);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, answer_switch);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, delay_spin);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, reading_switch);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, conversation);
  gtk_widget_class_bind_template_child (widget_class, HbClientWindow, message_entry);

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

  g_signal_connect (self->client, "notify::state", G_CALLBACK (on_state), self);
  g_signal_connect (self->client, "welcome", G_CALLBACK (on_welcome), self);
  g_signal_connect (self->client, "ping", G_CALLBACK (on_ping), self);
  g_signal_connect (self->client, "pong-sent", G_CALLBACK (on_pong_sent), self);
  g_signal_connect (self->client, "message", G_CALLBACK (on_message), self);
  g_signal_connect (self->client, "server-error", G_CALLBACK (on_server_error), self);
  g_signal_connect (self->client, "bye", G_CALLBACK (on_bye), self);
  g_signal_connect (self->client, "disconnected", G_CALLBACK (on_disconnected), self);
  g_signal_connect (self->client, "reconnecting", G_CALLBACK (on_reconnecting), self);
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
    gtk_editable_set_text (GTK_EDITABLE (self->name_entry), name);
}

void
hb_client_window_connect (HbClientWindow *self)
{
  const char *host = gtk_editable_get_text (GTK_EDITABLE (self->host_entry));
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_entry));
  guint port;
  g_autofree char *title = NULL;

  g_return_if_fail (HB_IS_CLIENT_WINDOW (self));

  /* A port typed but not yet committed (no Enter, no focus change) counts. */
  gtk_spin_button_update (self->port_spin);
  port = gtk_spin_button_get_value_as_int (self->port_spin);

  if (*name != '\0' && !hb_name_is_valid (name, strlen (name)))
    {
      g_free (self->last_reason);
      self->last_reason = g_strdup (_("a name is 1 to 32 characters without spaces"));
      update_state (self);
      return;
    }

  g_free (self->last_reason);
  self->last_reason = NULL;
  g_object_set (self->client, "host", host, "port", port, "name", *name ? name : NULL, NULL);
  g_settings_set_string (self->settings, "client-name", name);
  remember_server (self, host, port);
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
