/* hb-client-window.c - one client: connect, watch the heartbeat, talk, and break things on purpose
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window binds to one HbClient: its switches are the client's
 * properties, and everything shown comes from the client's signals.
 * What it shows is in hb-client-window-panel.c, what the user does in
 * hb-client-window-actions.c.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "hb-client-stream.h"
#include "hb-client-window-private.h"
#include "hb-client-words.h"
#include "hb-recent-servers.h"
#include "hb-style.h"
G_DEFINE_FINAL_TYPE (HbClientWindow, hb_client_window, GTK_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_CLIENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

void
hb_client_window_say (HbClientWindow *self,
     HbLogKind       kind,
     const char     *who,
     const char     *text)
{
  g_autoptr(HbLogEntry) entry = hb_log_entry_new (kind, 0, who, text);

  hb_log_view_append (self->conversation, entry);
}

/* What this client did or found, not something the server said: the log
 * credits an entry without a sender to the server. */
void
hb_client_window_note (HbClientWindow *self,
      HbLogKind       kind,
      const char     *text)
{
  hb_client_window_say (self, kind, _("this client"), text);
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
  hb_client_window_update_protocol (self);
  hb_client_window_update_state (self);
  hb_client_window_update_heartbeat (self);
}

static void
on_welcome (HbClient *client, guint id, guint interval, guint timeout, HbClientWindow *self)
{
  g_autofree char *text = g_strdup_printf (_("WELCOME: you are client #%u; a PING comes every %u ms, and %u ms of silence counts as dead"),
                                           id, interval, timeout);

  hb_client_window_say (self, HB_LOG_INFO, NULL, text);
  hb_client_window_update_state (self);
  hb_client_window_update_heartbeat (self);
}

static void
on_ping (HbClient *client, guint64 seq, HbClientWindow *self)
{
  if (self->first_ping_at == 0)
    g_object_get (client, "last-ping", &self->first_ping_at, NULL);
  hb_client_window_beat_ping (self);
  hb_client_window_update_heartbeat (self);
}

static void
on_pong_sent (HbClient *client, guint64 seq, HbClientWindow *self)
{
  hb_client_window_beat_pong (self);
  hb_client_window_update_heartbeat (self);
}

static void
on_message (HbClient *client, HbVerb kind, const char *sender, const char *text, HbClientWindow *self)
{
  switch (kind)
    {
    case HB_VERB_BCAST:
      hb_client_window_say (self, HB_LOG_BROADCAST, _("everyone"), text);
      break;
    case HB_VERB_RELAY:
      hb_client_window_say (self, HB_LOG_RELAY, sender, text);
      break;
    case HB_VERB_MSG:
    default:
      /* The lab's server sends every client what its operator types: the
       * text between heartbeats is its broadcast. */
      if (hb_client_get_protocol (client) == HB_PROTOCOL_LAB)
        hb_client_window_say (self, HB_LOG_BROADCAST, _("server"), text);
      else
        hb_client_window_say (self, HB_LOG_MESSAGE, _("server → me"), text);
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

  hb_client_window_say (self, HB_LOG_ERROR, _("server"), line);
}

static void
on_bye (HbClient *client, const char *reason, HbClientWindow *self)
{
  g_autofree char *line = g_strdup_printf ("BYE %s", reason);

  hb_client_window_say (self, HB_LOG_LEAVE, _("server"), line);
}

static void
on_disconnected (HbClient *client, HbByeReason reason, HbInitiator initiator,
                 const char *detail, HbClientWindow *self)
{
  HbProtocol protocol = hb_client_get_protocol (client);

  g_free (self->last_reason);
  self->last_reason = detail ? g_strdup_printf ("%s — %s", hb_client_words_ended (reason, initiator, protocol), detail)
                             : g_strdup (hb_client_words_ended (reason, initiator, protocol));
  hb_client_window_note (self, HB_LOG_LEAVE, self->last_reason);
  hb_client_window_update_state (self);
}

static void
on_reconnecting (HbClient *client, guint delay_ms, guint attempt, HbClientWindow *self)
{
  g_autofree char *text = g_strdup_printf (_("Reconnecting in %.1f s (attempt %u)"), delay_ms / 1000.0, attempt);

  hb_client_window_note (self, HB_LOG_INFO, text);
  hb_client_window_update_state (self);
}

static void
on_clock (HbClock *clock, GParamSpec *pspec, HbClientWindow *self)
{
  hb_client_window_update_heartbeat (self);
}
/* ---------------------------------------------------------------------- */
/* GObject                                                                 */

static void
on_protocol_chosen (HbClientWindow *self)
{
  hb_client_window_update_protocol (self);
  hb_client_window_update_heartbeat (self);
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
hb_client_window_init (HbClientWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  hb_load_style ();

  self->settings = g_settings_new (APP_ID);
  self->clock = hb_clock_new (1000);
}

/* The client is there now: the one given, or a new one to 127.0.0.1. */
static void
hb_client_window_constructed (GObject *object)
{
  HbClientWindow *self = HB_CLIENT_WINDOW (object);
  g_autofree char *name = NULL;

  G_OBJECT_CLASS (hb_client_window_parent_class)->constructed (object);

  if (self->client == NULL)
    self->client = hb_client_new ("127.0.0.1", HB_DEFAULT_PORT, NULL);
  gtk_editable_set_text (GTK_EDITABLE (self->host_entry), hb_client_get_host (self->client));
  gtk_spin_button_set_value (self->port_spin, hb_client_get_port (self->client));
  /* A name the program gave is not what the next window starts with. */
  self->given_name = g_strdup (hb_client_get_name (self->client));

  name = self->given_name ? g_strdup (self->given_name) : g_settings_get_string (self->settings, "client-name");
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
  g_signal_connect (self->clock, "notify::now", G_CALLBACK (on_clock), self);
  /* GTK 4.8's spin button has no ::activate of its own; its text does, and
   * the spin button's handler, connected first, takes the typed value. */
  g_signal_connect_swapped (gtk_editable_get_delegate (GTK_EDITABLE (self->port_spin)), "activate",
                            G_CALLBACK (hb_client_window_on_target_activate), self);
  g_signal_connect_swapped (self->settings, "changed::recent-servers", G_CALLBACK (hb_client_window_rebuild_recent_menu), self);

  hb_client_window_rebuild_recent_menu (self);
  hb_client_window_update_protocol (self);
  update_settings_button (self);
  hb_client_window_update_state (self);
  hb_client_window_update_heartbeat (self);
}

static void
hb_client_window_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  HbClientWindow *self = HB_CLIENT_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CLIENT: g_value_set_object (value, self->client); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hb_client_window_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  HbClientWindow *self = HB_CLIENT_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CLIENT: self->client = g_value_dup_object (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hb_client_window_class_init (HbClientWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = hb_client_window_constructed;
  object_class->get_property = hb_client_window_get_property;
  object_class->set_property = hb_client_window_set_property;
  object_class->dispose = hb_client_window_dispose;
  widget_class->size_allocate = hb_client_window_size_allocate;
  object_class->finalize = hb_client_window_finalize;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, HB_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

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
  gtk_widget_class_bind_template_callback (widget_class, update_settings_button);
  gtk_widget_class_bind_template_callback_full (widget_class, "update_send_hint",
                                                G_CALLBACK (hb_client_window_update_send_hint));

  hb_client_window_actions_class_init (widget_class);
}

HbClientWindow *
hb_client_window_new (GtkApplication *application)
{
  return g_object_new (HB_TYPE_CLIENT_WINDOW, "application", application, NULL);
}

HbClientWindow *
hb_client_window_new_for_client (GtkApplication *application,
                                 HbClient       *client)
{
  g_return_val_if_fail (HB_IS_CLIENT (client), NULL);

  return g_object_new (HB_TYPE_CLIENT_WINDOW, "application", application, "client", client, NULL);
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
  protocol = hb_client_window_chosen_protocol (self);
  /* Only the line protocol sends the name (HELLO). */
  if (protocol != HB_PROTOCOL_LINE)
    name = "";

  if (*name != '\0' && !hb_name_is_valid (name, strlen (name)))
    {
      g_free (self->last_reason);
      self->last_reason = g_strdup (_("a name is 1 to 32 characters without spaces"));
      hb_client_window_update_state (self);
      return;
    }
  if (!hb_client_lab_settings_apply (self->lab_settings, protocol, self->client, &error))
    {
      g_free (self->last_reason);
      self->last_reason = g_strdup (error->message);
      hb_client_window_update_state (self);
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

