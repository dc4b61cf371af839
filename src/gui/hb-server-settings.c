/* hb-server-settings.c - a server's settings, one form for the server window and Preferences
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Address, port, protocol, the heartbeat's interval and timeout, the
 * client limit, relaying, and the lab's fields (HbLabSettings), with the
 * checks on them. Preferences binds the form to GSettings (every change
 * saved at once); a server window takes the values once and keeps its
 * own copy, saved when it starts listening: two windows bound to one key
 * would share one port field.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "hb-server-settings.h"
#include "hb-style.h"

struct _HbServerSettings
{
  GtkWidget       parent_instance;

  GtkWidget      *bar;
  GtkEntry       *address_entry;
  GtkCheckButton *all_interfaces_check;
  GtkSpinButton  *port_spin;
  GtkDropDown    *protocol_drop;
  GtkWidget      *heartbeat_button;
  GtkPopover     *heartbeat_popover;
  GtkWidget      *details;
  GtkSpinButton  *interval_spin;
  GtkSpinButton  *timeout_spin;
  GtkWidget      *timeout_warning;
  GtkSpinButton  *max_clients_spin;
  GtkSwitch      *relay_switch;
  HbLabSettings  *lab_settings;
  GtkWidget      *restart_note;

  gboolean        compact;
  gboolean        bound;      /* Preferences: every field, whatever the protocol */
  gboolean        listening;
};

G_DEFINE_FINAL_TYPE (HbServerSettings, hb_server_settings, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_COMPACT,
  PROP_LISTENING,
  N_PROPS
};

enum {
  HEARTBEAT_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static gboolean
address_is_any (const char *address)
{
  return g_strcmp0 (address, "::") == 0 || g_strcmp0 (address, "0.0.0.0") == 0;
}

/* ---------------------------------------------------------------------- */
/* What the user changes                                                   */

static void
on_all_interfaces_toggled (HbServerSettings *self)
{
  gboolean active = gtk_check_button_get_active (self->all_interfaces_check);
  gboolean any = address_is_any (gtk_editable_get_text (GTK_EDITABLE (self->address_entry)));

  if (active && !any)
    gtk_editable_set_text (GTK_EDITABLE (self->address_entry), "::");
  else if (!active && any)
    gtk_editable_set_text (GTK_EDITABLE (self->address_entry), "127.0.0.1");
}

static void
on_address_changed (HbServerSettings *self)
{
  gtk_check_button_set_active (self->all_interfaces_check,
                               address_is_any (gtk_editable_get_text (GTK_EDITABLE (self->address_entry))));
}

/* What the chosen protocol uses is there to be set, and nothing else:
 * relaying is the line protocol's; raw TCP has no heartbeat at all.
 * Preferences shows every field, whatever the protocol: the line ending
 * and the encoding are also the client window's. */
static void
update_for_protocol (HbServerSettings *self)
{
  HbProtocol protocol = hb_server_settings_get_protocol (self);

  if (self->bound)
    {
      hb_lab_settings_set_protocol (self->lab_settings, HB_PROTOCOL_LAB);
      return;
    }
  hb_lab_settings_set_protocol (self->lab_settings, protocol);
  gtk_widget_set_sensitive (GTK_WIDGET (self->relay_switch), protocol == HB_PROTOCOL_LINE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->interval_spin), protocol != HB_PROTOCOL_RAW);
  gtk_widget_set_sensitive (GTK_WIDGET (self->timeout_spin), protocol != HB_PROTOCOL_RAW);
}

static void
on_protocol_chosen (HbServerSettings *self)
{
  update_for_protocol (self);
}

/* A client is dead when no PONG came for the timeout, counted from its
 * last PONG, and the next PONG comes only after the next PING: a timeout
 * no longer than the interval declares every client dead. The two are
 * typed one after the other, so the pair is flagged rather than corrected
 * behind the user's back; no server starts with it. */
static void
on_heartbeat_changed (HbServerSettings *self)
{
  gboolean valid = hb_server_settings_heartbeat_valid (self);

  hb_style_flag_invalid (GTK_WIDGET (self->timeout_spin), self->timeout_warning, !valid);
  if (valid)
    g_signal_emit (self, signals[HEARTBEAT_CHANGED], 0);
}

/* ---------------------------------------------------------------------- */
/* The protocol as a GSettings string                                      */

static gboolean
protocol_get_mapping (GValue   *value,
                      GVariant *variant,
                      gpointer  user_data)
{
  HbProtocol protocol;

  if (!hb_protocol_from_string (g_variant_get_string (variant, NULL), &protocol))
    return FALSE;
  g_value_set_uint (value, protocol);
  return TRUE;
}

static GVariant *
protocol_set_mapping (const GValue       *value,
                      const GVariantType *expected_type,
                      gpointer            user_data)
{
  guint selected = g_value_get_uint (value);

  if (selected > HB_PROTOCOL_RAW)
    return NULL;
  return g_variant_new_string (hb_protocol_to_string (selected));
}

/* ---------------------------------------------------------------------- */
/* GObject                                                                 */

static void
hb_server_settings_constructed (GObject *object)
{
  HbServerSettings *self = HB_SERVER_SETTINGS (object);

  G_OBJECT_CLASS (hb_server_settings_parent_class)->constructed (object);

  /* The template puts the rest in the popover; Preferences, which has
   * room, shows it below the bar. The All interfaces shortcut is the
   * bar's: Preferences has its address field beside it. */
  if (!self->compact)
    {
      g_object_ref (self->details);
      gtk_popover_set_child (self->heartbeat_popover, NULL);
      gtk_widget_set_parent (self->details, GTK_WIDGET (self));
      g_object_unref (self->details);
      gtk_widget_set_margin_start (self->details, 0);
      gtk_widget_set_margin_end (self->details, 0);
      gtk_widget_set_visible (self->heartbeat_button, FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->all_interfaces_check), FALSE);
      gtk_widget_set_visible (self->restart_note, FALSE);
    }
}

static void
hb_server_settings_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  HbServerSettings *self = HB_SERVER_SETTINGS (object);

  switch (prop_id)
    {
    case PROP_COMPACT: g_value_set_boolean (value, self->compact); break;
    case PROP_LISTENING: g_value_set_boolean (value, self->listening); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hb_server_settings_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  HbServerSettings *self = HB_SERVER_SETTINGS (object);

  switch (prop_id)
    {
    case PROP_COMPACT: self->compact = g_value_get_boolean (value); break;
    case PROP_LISTENING: hb_server_settings_set_listening (self, g_value_get_boolean (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hb_server_settings_dispose (GObject *object)
{
  HbServerSettings *self = HB_SERVER_SETTINGS (object);

  /* Below the bar, the rest is a child of ours rather than of the
   * popover, which the template does not know. */
  if (self->details != NULL && gtk_widget_get_parent (self->details) == GTK_WIDGET (self))
    gtk_widget_unparent (self->details);
  gtk_widget_dispose_template (GTK_WIDGET (self), HB_TYPE_SERVER_SETTINGS);
  G_OBJECT_CLASS (hb_server_settings_parent_class)->dispose (object);
}

static void
hb_server_settings_class_init (HbServerSettingsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = hb_server_settings_constructed;
  object_class->get_property = hb_server_settings_get_property;
  object_class->set_property = hb_server_settings_set_property;
  object_class->dispose = hb_server_settings_dispose;

  properties[PROP_COMPACT] =
    g_param_spec_boolean ("compact", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LISTENING] =
    g_param_spec_boolean ("listening", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * HbServerSettings::heartbeat-changed:
   * The user changed the interval or the timeout, and the timeout is
   * longer than the interval.
   */
  signals[HEARTBEAT_CHANGED] = g_signal_new ("heartbeat-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                             0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (HB_TYPE_LAB_SETTINGS);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/heartbeatlab/HeartbeatLab/hb-server-settings.ui");
  gtk_widget_class_bind_template_child (widget_class, HbServerSettings, bar);
  gtk_widget_class_bind_template_child (widget_class, HbServerSettings, address_entry);
  gtk_widget_class_bind_template_child (widget_class, HbServerSettings, all_interfaces_check);
  gtk_widget_class_bind_template_child (widget_class, HbServerSettings, port_spin);
  gtk_widget_class_bind_template_child (widget_class, HbServerSettings, protocol_drop);
  gtk_widget_class_bind_template_child (widget_class, HbServerSettings, heartbeat_button);
  gtk_widget_class_bind_template_child (widget_class, HbServerSettings, heartbeat_popover);
  gtk_widget_class_bind_template_child (widget_class, HbServerSettings, details);
  gtk_widget_class_bind_template_child (widget_class, HbServerSettings, interval_spin);
  gtk_widget_class_bind_template_child (widget_class, HbServerSettings, timeout_spin);
  gtk_widget_class_bind_template_child (widget_class, HbServerSettings, timeout_warning);
  gtk_widget_class_bind_template_child (widget_class, HbServerSettings, max_clients_spin);
  gtk_widget_class_bind_template_child (widget_class, HbServerSettings, relay_switch);
  gtk_widget_class_bind_template_child (widget_class, HbServerSettings, lab_settings);
  gtk_widget_class_bind_template_child (widget_class, HbServerSettings, restart_note);
  /* Only for tests, which look at what the user sees. */
  gtk_widget_class_bind_template_child_full (widget_class, "timeout_warning_label", FALSE, 0);
  gtk_widget_class_bind_template_callback (widget_class, on_address_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_all_interfaces_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_protocol_chosen);
  gtk_widget_class_bind_template_callback (widget_class, on_heartbeat_changed);
}

static void
hb_server_settings_init (HbServerSettings *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (gtk_widget_get_layout_manager (GTK_WIDGET (self))),
                                  GTK_ORIENTATION_VERTICAL);
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (gtk_widget_get_layout_manager (GTK_WIDGET (self))), 12);
  hb_protocol_drop_down_init (self->protocol_drop);
  update_for_protocol (self);
  on_address_changed (self);
  on_heartbeat_changed (self);
}

GtkWidget *
hb_server_settings_new (gboolean compact)
{
  return g_object_new (HB_TYPE_SERVER_SETTINGS, "compact", compact, NULL);
}

/* ---------------------------------------------------------------------- */
/* Settings                                                                */

void
hb_server_settings_bind (HbServerSettings *self,
                         GSettings        *settings)
{
  g_return_if_fail (HB_IS_SERVER_SETTINGS (self));

  self->bound = TRUE;
  g_settings_bind (settings, "bind-address", self->address_entry, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "port", gtk_spin_button_get_adjustment (self->port_spin), "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "interval-ms", gtk_spin_button_get_adjustment (self->interval_spin), "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "timeout-ms", gtk_spin_button_get_adjustment (self->timeout_spin), "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "max-clients", gtk_spin_button_get_adjustment (self->max_clients_spin), "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "relay", self->relay_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (settings, "server-protocol", self->protocol_drop, "selected",
                                G_SETTINGS_BIND_DEFAULT, protocol_get_mapping, protocol_set_mapping, NULL, NULL);
  update_for_protocol (self);
  hb_lab_settings_bind (self->lab_settings, settings);
}

void
hb_server_settings_load (HbServerSettings *self,
                         GSettings        *settings)
{
  const GSettingsBindFlags once = G_SETTINGS_BIND_GET | G_SETTINGS_BIND_GET_NO_CHANGES;
  g_autofree char *protocol = NULL;
  HbProtocol p = HB_PROTOCOL_LINE;

  g_return_if_fail (HB_IS_SERVER_SETTINGS (self));

  g_settings_bind (settings, "bind-address", self->address_entry, "text", once);
  g_settings_bind (settings, "port", gtk_spin_button_get_adjustment (self->port_spin), "value", once);
  g_settings_bind (settings, "interval-ms", gtk_spin_button_get_adjustment (self->interval_spin), "value", once);
  g_settings_bind (settings, "timeout-ms", gtk_spin_button_get_adjustment (self->timeout_spin), "value", once);
  g_settings_bind (settings, "max-clients", gtk_spin_button_get_adjustment (self->max_clients_spin), "value", once);
  g_settings_bind (settings, "relay", self->relay_switch, "active", once);
  protocol = g_settings_get_string (settings, "server-protocol");
  hb_protocol_from_string (protocol, &p);
  gtk_drop_down_set_selected (self->protocol_drop, p);
  hb_lab_settings_load (self->lab_settings, settings);
}

void
hb_server_settings_save (HbServerSettings *self,
                         GSettings        *settings)
{
  g_return_if_fail (HB_IS_SERVER_SETTINGS (self));

  g_settings_set_string (settings, "server-protocol", hb_protocol_to_string (hb_server_settings_get_protocol (self)));
  hb_lab_settings_save (self->lab_settings, settings);
  g_settings_set_string (settings, "bind-address", gtk_editable_get_text (GTK_EDITABLE (self->address_entry)));
  g_settings_set_uint (settings, "port", (guint) gtk_spin_button_get_value_as_int (self->port_spin));
  g_settings_set_uint (settings, "interval-ms", hb_server_settings_get_interval_ms (self));
  g_settings_set_uint (settings, "timeout-ms", hb_server_settings_get_timeout_ms (self));
  g_settings_set_uint (settings, "max-clients", (guint) gtk_spin_button_get_value_as_int (self->max_clients_spin));
  g_settings_set_boolean (settings, "relay", gtk_switch_get_active (self->relay_switch));
}

gboolean
hb_server_settings_apply (HbServerSettings *self,
                          HbServer         *server,
                          GError          **error)
{
  HbProtocol protocol;
  g_autoptr(GError) lab_error = NULL;

  g_return_val_if_fail (HB_IS_SERVER_SETTINGS (self), FALSE);
  g_return_val_if_fail (HB_IS_SERVER (server), FALSE);

  protocol = hb_server_settings_get_protocol (self);
  if (protocol != HB_PROTOCOL_RAW && !hb_server_settings_heartbeat_valid (self))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("The timeout (%d ms) must be longer than the heartbeat interval (%d ms), or every client is declared dead before it can answer. Raise the timeout under Heartbeat…, then start again."),
                   gtk_spin_button_get_value_as_int (self->timeout_spin),
                   gtk_spin_button_get_value_as_int (self->interval_spin));
      return FALSE;
    }
  if (!hb_lab_settings_apply (self->lab_settings, protocol, G_OBJECT (server), &lab_error))
    {
      g_set_error (error, lab_error->domain, lab_error->code,
                   _("%s. Correct it under Heartbeat…, then start again."), lab_error->message);
      return FALSE;
    }
  g_object_set (server,
                "protocol", protocol,
                "address", gtk_editable_get_text (GTK_EDITABLE (self->address_entry)),
                "port", (guint) gtk_spin_button_get_value_as_int (self->port_spin),
                "interval-ms", hb_server_settings_get_interval_ms (self),
                "timeout-ms", hb_server_settings_get_timeout_ms (self),
                "max-clients", (guint) gtk_spin_button_get_value_as_int (self->max_clients_spin),
                "relay", gtk_switch_get_active (self->relay_switch),
                NULL);
  return TRUE;
}

gboolean
hb_server_settings_heartbeat_valid (HbServerSettings *self)
{
  g_return_val_if_fail (HB_IS_SERVER_SETTINGS (self), FALSE);

  return gtk_spin_button_get_value_as_int (self->timeout_spin) >
         gtk_spin_button_get_value_as_int (self->interval_spin);
}

HbProtocol
hb_server_settings_get_protocol (HbServerSettings *self)
{
  guint selected;

  g_return_val_if_fail (HB_IS_SERVER_SETTINGS (self), HB_PROTOCOL_LINE);

  selected = gtk_drop_down_get_selected (self->protocol_drop);
  return selected <= HB_PROTOCOL_RAW ? (HbProtocol) selected : HB_PROTOCOL_LINE;
}

guint
hb_server_settings_get_interval_ms (HbServerSettings *self)
{
  g_return_val_if_fail (HB_IS_SERVER_SETTINGS (self), 0);

  return (guint) gtk_spin_button_get_value_as_int (self->interval_spin);
}

guint
hb_server_settings_get_timeout_ms (HbServerSettings *self)
{
  g_return_val_if_fail (HB_IS_SERVER_SETTINGS (self), 0);

  return (guint) gtk_spin_button_get_value_as_int (self->timeout_spin);
}

HbLabSettings *
hb_server_settings_get_lab_settings (HbServerSettings *self)
{
  g_return_val_if_fail (HB_IS_SERVER_SETTINGS (self), NULL);

  return self->lab_settings;
}

void
hb_server_settings_set_listening (HbServerSettings *self,
                                  gboolean          listening)
{
  g_return_if_fail (HB_IS_SERVER_SETTINGS (self));

  listening = !!listening;
  if (self->listening == listening)
    return;
  self->listening = listening;
  gtk_widget_set_sensitive (GTK_WIDGET (self->address_entry), !listening);
  gtk_widget_set_sensitive (GTK_WIDGET (self->all_interfaces_check), !listening);
  gtk_widget_set_sensitive (GTK_WIDGET (self->port_spin), !listening);
  gtk_widget_set_sensitive (GTK_WIDGET (self->protocol_drop), !listening);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LISTENING]);
}
