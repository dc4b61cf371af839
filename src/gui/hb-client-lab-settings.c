/* hb-client-lab-settings.c - the client window's settings of the lab's protocol and raw TCP: heartbeat, answer, line ending, encoding, silence limit
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every control is bound to its GSettings key, as in the preferences
 * window: a change is saved at once and every client window follows it.
 * What is typed is checked as it is typed; a heartbeat or answer that
 * cannot be used is flagged here, and the window refuses to connect with
 * it (hb_client_lab_settings_apply()).
 */

#include "config.h"

#include <glib/gi18n.h>

#include "hb-client-lab-settings.h"
#include "hb-style.h"

struct _HbClientLabSettings
{
  GtkWidget        parent_instance;

  GtkWidget       *grid;
  GtkWidget       *heartbeat_label;
  GtkEntry        *heartbeat_entry;
  GtkWidget       *ack_label;
  GtkEntry        *ack_entry;
  GtkCheckButton  *hex_check;
  GtkDropDown     *line_ending_dropdown;
  GtkDropDown     *encoding_dropdown;
  GtkWidget       *timeout_label;
  GtkSpinButton   *timeout_spin;
  GtkLabel        *error_label;

  GSettings       *settings;
  HbProtocol       protocol;
  char            *error;
};

enum {
  PROP_0,
  PROP_PROTOCOL,
  PROP_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (HbClientLabSettings, hb_client_lab_settings, GTK_TYPE_WIDGET)

/* The bytes of the heartbeat or answer as typed, or NULL and why not. */
static GBytes *
pattern (HbClientLabSettings *self,
         GtkEntry      *entry,
         GError       **error)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));
  gboolean hex = gtk_check_button_get_active (self->hex_check);
  const char *what = entry == self->heartbeat_entry ? _("the heartbeat") : _("the answer");
  g_autoptr(GError) local = NULL;
  GBytes *bytes = hb_lab_pattern_new (hex ? NULL : text, hex ? text : NULL, NULL, what, &local);

  if (bytes != NULL)
    return bytes;
  /* A message about hex digits quotes them but does not say whose. */
  if (g_str_has_prefix (local->message, what))
    g_propagate_error (error, g_steal_pointer (&local));
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s: %s", what, local->message);
  return NULL;
}

static void
validate (HbClientLabSettings *self)
{
  g_autoptr(GError) hb_error = NULL;
  g_autoptr(GError) ack_error = NULL;
  g_autoptr(GBytes) hb = NULL;
  g_autoptr(GBytes) ack = NULL;
  const char *message = NULL;

  /* Only what the protocol uses can stop a connection. */
  if (self->protocol == HB_PROTOCOL_LAB)
    {
      hb = pattern (self, self->heartbeat_entry, &hb_error);
      ack = pattern (self, self->ack_entry, &ack_error);
    }

  hb_style_flag_invalid (GTK_WIDGET (self->heartbeat_entry), GTK_WIDGET (self->error_label), hb_error != NULL);
  hb_style_flag_invalid (GTK_WIDGET (self->ack_entry), GTK_WIDGET (self->error_label), ack_error != NULL);
  if (hb_error != NULL)
    message = hb_error->message;
  else if (ack_error != NULL)
    message = ack_error->message;
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
  gtk_label_set_text (self->error_label, message ? message : "");

  if (g_strcmp0 (message, self->error) != 0)
    {
      g_free (self->error);
      self->error = g_strdup (message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
    }
}

/* The text that hex digits spell, if a person could type it: FALSE for
 * bytes that are not UTF-8, or hold a control character. Digits that are
 * not hex are kept as they are, still flagged. */
static gboolean
hex_to_text (const char  *hex,
             char       **text)
{
  g_autoptr(GBytes) bytes = hb_bytes_from_hex (hex, NULL);
  g_autofree char *plain = NULL;
  g_autofree char *shown = NULL;
  gsize len = 0;
  const char *data;

  if (bytes == NULL)
    {
      *text = g_strdup (hex);
      return TRUE;
    }
  data = g_bytes_get_data (bytes, &len);
  plain = g_strndup (data, len);
  shown = hb_bytes_to_display ((const guint8 *) plain, len, HB_ENCODING_UTF8, len, NULL);
  /* Shown as it is, with no escapes and no NUL cut. */
  if (strlen (plain) != len || g_strcmp0 (shown, plain) != 0)
    return FALSE;
  *text = g_steal_pointer (&plain);
  return TRUE;
}

/* Turning hex on writes the patterns as their bytes' hex digits, and off
 * as the text they spell, so that the same bytes go out. Bytes that are
 * no text a person could type keep hex on. The keys are written here,
 * together, and not through a binding: every window follows the keys,
 * and each converting them again would convert twice. */
static void
on_hex_toggled (GtkCheckButton *check,
                HbClientLabSettings  *self)
{
  gboolean hex = gtk_check_button_get_active (check);
  g_autofree char *old_hb = g_settings_get_string (self->settings, "lab-heartbeat");
  g_autofree char *old_ack = g_settings_get_string (self->settings, "lab-ack");
  g_autofree char *new_hb = NULL;
  g_autofree char *new_ack = NULL;

  if (hex)
    {
      new_hb = hb_bytes_to_hex ((const guint8 *) old_hb, strlen (old_hb), strlen (old_hb));
      new_ack = hb_bytes_to_hex ((const guint8 *) old_ack, strlen (old_ack), strlen (old_ack));
    }
  else if (!hex_to_text (old_hb, &new_hb) || !hex_to_text (old_ack, &new_ack))
    {
      g_signal_handlers_block_by_func (check, on_hex_toggled, self);
      gtk_check_button_set_active (check, TRUE);
      g_signal_handlers_unblock_by_func (check, on_hex_toggled, self);
      gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
      gtk_label_set_text (self->error_label, _("These bytes are not text that can be typed: they stay in hex"));
      return;
    }

  g_settings_delay (self->settings);
  g_settings_set_boolean (self->settings, "lab-patterns-hex", hex);
  g_settings_set_string (self->settings, "lab-heartbeat", new_hb);
  g_settings_set_string (self->settings, "lab-ack", new_ack);
  g_settings_apply (self->settings);
  validate (self);
}

static void
on_hex_changed (GSettings     *settings,
                const char    *key,
                HbClientLabSettings *self)
{
  g_signal_handlers_block_by_func (self->hex_check, on_hex_toggled, self);
  gtk_check_button_set_active (self->hex_check, g_settings_get_boolean (settings, key));
  g_signal_handlers_unblock_by_func (self->hex_check, on_hex_toggled, self);
  validate (self);
}

/* A choice key <-> the position of its choice in a dropdown. */
static gboolean
choice_get (GValue   *value,
            GVariant *variant,
            gpointer  user_data)
{
  const char *const *choices = user_data;
  const char *s = g_variant_get_string (variant, NULL);

  for (guint i = 0; choices[i] != NULL; i++)
    if (g_strcmp0 (choices[i], s) == 0)
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  return FALSE;
}

static GVariant *
choice_set (const GValue       *value,
            const GVariantType *type,
            gpointer            user_data)
{
  const char *const *choices = user_data;
  guint i = g_value_get_uint (value);

  if (i >= g_strv_length ((char **) choices))
    return NULL;
  return g_variant_new_string (choices[i]);
}

void
hb_settings_bind_choice (GSettings         *settings,
                         const char        *key,
                         gpointer           object,
                         const char        *property,
                         const char *const *choices)
{
  g_settings_bind_with_mapping (settings, key, object, property, G_SETTINGS_BIND_DEFAULT,
                                choice_get, choice_set, (gpointer) choices, NULL);
}

static gboolean
encoding_get (GValue   *value,
              GVariant *variant,
              gpointer  user_data)
{
  HbEncoding encoding;

  if (!hb_encoding_from_string (g_variant_get_string (variant, NULL), &encoding))
    return FALSE;
  g_value_set_enum (value, encoding);
  return TRUE;
}

static gboolean
line_ending_get (GValue   *value,
                 GVariant *variant,
                 gpointer  user_data)
{
  HbLineEnding ending;

  if (!hb_line_ending_from_string (g_variant_get_string (variant, NULL), &ending))
    return FALSE;
  g_value_set_enum (value, ending);
  return TRUE;
}

void
hb_client_lab_settings_bind_client (GSettings *settings,
                             HbClient  *client)
{
  g_settings_bind_with_mapping (settings, "encoding", client, "encoding", G_SETTINGS_BIND_GET,
                                encoding_get, NULL, NULL, NULL);
  g_settings_bind_with_mapping (settings, "line-ending", client, "line-ending", G_SETTINGS_BIND_GET,
                                line_ending_get, NULL, NULL, NULL);
}

static const char *const line_ending_choices[] = { "none", "lf", "crlf", NULL };
static const char *const encoding_choices[] = { "utf-8", "gb18030", NULL };

static gboolean
seconds_get (GValue   *value,
             GVariant *variant,
             gpointer  user_data)
{
  g_value_set_double (value, g_variant_get_uint32 (variant) / 1000.0);
  return TRUE;
}

static GVariant *
seconds_set (const GValue       *value,
             const GVariantType *type,
             gpointer            user_data)
{
  return g_variant_new_uint32 ((guint32) CLAMP (g_value_get_double (value) * 1000.0 + 0.5, 10, 3600000));
}

static void
show_rows (HbClientLabSettings *self)
{
  gboolean lab = self->protocol == HB_PROTOCOL_LAB;

  gtk_widget_set_visible (self->heartbeat_label, lab);
  gtk_widget_set_visible (GTK_WIDGET (self->heartbeat_entry), lab);
  gtk_widget_set_visible (self->ack_label, lab);
  gtk_widget_set_visible (GTK_WIDGET (self->ack_entry), lab);
  gtk_widget_set_visible (GTK_WIDGET (self->hex_check), lab);
  gtk_widget_set_visible (self->timeout_label, lab);
  gtk_widget_set_visible (GTK_WIDGET (self->timeout_spin), lab);
}

static void
hb_client_lab_settings_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  HbClientLabSettings *self = HB_CLIENT_LAB_SETTINGS (object);

  switch (prop_id)
    {
    case PROP_PROTOCOL: g_value_set_enum (value, self->protocol); break;
    case PROP_ERROR: g_value_set_string (value, self->error); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hb_client_lab_settings_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  HbClientLabSettings *self = HB_CLIENT_LAB_SETTINGS (object);

  switch (prop_id)
    {
    case PROP_PROTOCOL: hb_client_lab_settings_set_protocol (self, g_value_get_enum (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hb_client_lab_settings_dispose (GObject *object)
{
  HbClientLabSettings *self = HB_CLIENT_LAB_SETTINGS (object);

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), HB_TYPE_CLIENT_LAB_SETTINGS);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (hb_client_lab_settings_parent_class)->dispose (object);
}

static void
hb_client_lab_settings_finalize (GObject *object)
{
  g_free (HB_CLIENT_LAB_SETTINGS (object)->error);
  G_OBJECT_CLASS (hb_client_lab_settings_parent_class)->finalize (object);
}

static void
hb_client_lab_settings_class_init (HbClientLabSettingsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = hb_client_lab_settings_get_property;
  object_class->set_property = hb_client_lab_settings_set_property;
  object_class->dispose = hb_client_lab_settings_dispose;
  object_class->finalize = hb_client_lab_settings_finalize;

  properties[PROP_PROTOCOL] =
    g_param_spec_enum ("protocol", NULL, NULL, HB_TYPE_PROTOCOL, HB_PROTOCOL_LAB,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/heartbeatlab/HeartbeatLab/hb-client-lab-settings.ui");
  gtk_widget_class_bind_template_child (widget_class, HbClientLabSettings, grid);
  gtk_widget_class_bind_template_child (widget_class, HbClientLabSettings, heartbeat_label);
  gtk_widget_class_bind_template_child (widget_class, HbClientLabSettings, heartbeat_entry);
  gtk_widget_class_bind_template_child (widget_class, HbClientLabSettings, ack_label);
  gtk_widget_class_bind_template_child (widget_class, HbClientLabSettings, ack_entry);
  gtk_widget_class_bind_template_child (widget_class, HbClientLabSettings, hex_check);
  gtk_widget_class_bind_template_child (widget_class, HbClientLabSettings, line_ending_dropdown);
  gtk_widget_class_bind_template_child (widget_class, HbClientLabSettings, encoding_dropdown);
  gtk_widget_class_bind_template_child (widget_class, HbClientLabSettings, timeout_label);
  gtk_widget_class_bind_template_child (widget_class, HbClientLabSettings, timeout_spin);
  gtk_widget_class_bind_template_callback (widget_class, validate);
  gtk_widget_class_bind_template_callback (widget_class, on_hex_toggled);
  gtk_widget_class_bind_template_child (widget_class, HbClientLabSettings, error_label);
}

static void
hb_client_lab_settings_init (HbClientLabSettings *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->protocol = HB_PROTOCOL_LAB;
  self->settings = g_settings_new (APP_ID);
  g_settings_bind (self->settings, "lab-heartbeat", self->heartbeat_entry, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "lab-ack", self->ack_entry, "text", G_SETTINGS_BIND_DEFAULT);
  hb_settings_bind_choice (self->settings, "line-ending", self->line_ending_dropdown, "selected", line_ending_choices);
  hb_settings_bind_choice (self->settings, "encoding", self->encoding_dropdown, "selected", encoding_choices);
  g_settings_bind_with_mapping (self->settings, "client-timeout-ms", gtk_spin_button_get_adjustment (self->timeout_spin),
                                "value", G_SETTINGS_BIND_DEFAULT, seconds_get, seconds_set, NULL, NULL);
  /* As the keys say, not a toggle of the user's to convert them. */
  g_signal_handlers_block_by_func (self->hex_check, on_hex_toggled, self);
  gtk_check_button_set_active (self->hex_check, g_settings_get_boolean (self->settings, "lab-patterns-hex"));
  g_signal_handlers_unblock_by_func (self->hex_check, on_hex_toggled, self);

  g_signal_connect (self->settings, "changed::lab-patterns-hex", G_CALLBACK (on_hex_changed), self);
  show_rows (self);
  validate (self);
}

GtkWidget *
hb_client_lab_settings_new (void)
{
  return g_object_new (HB_TYPE_CLIENT_LAB_SETTINGS, NULL);
}

void
hb_client_lab_settings_set_protocol (HbClientLabSettings *self,
                              HbProtocol     protocol)
{
  g_return_if_fail (HB_IS_CLIENT_LAB_SETTINGS (self));

  if (self->protocol == protocol)
    return;
  self->protocol = protocol;
  show_rows (self);
  validate (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROTOCOL]);
}

const char *
hb_client_lab_settings_get_error (HbClientLabSettings *self)
{
  g_return_val_if_fail (HB_IS_CLIENT_LAB_SETTINGS (self), NULL);
  return self->error;
}

HbEncoding
hb_client_lab_settings_get_encoding (HbClientLabSettings *self)
{
  g_return_val_if_fail (HB_IS_CLIENT_LAB_SETTINGS (self), HB_ENCODING_UTF8);
  return gtk_drop_down_get_selected (self->encoding_dropdown) == 1 ? HB_ENCODING_GB18030 : HB_ENCODING_UTF8;
}

gboolean
hb_client_lab_settings_apply (HbClientLabSettings *self,
                       HbProtocol     protocol,
                       HbClient      *client,
                       GError       **error)
{
  g_autoptr(GBytes) hb = NULL;
  g_autoptr(GBytes) ack = NULL;
  HbLineEnding ending = HB_LINE_ENDING_NONE;

  g_return_val_if_fail (HB_IS_CLIENT_LAB_SETTINGS (self), FALSE);
  g_return_val_if_fail (HB_IS_CLIENT (client), FALSE);

  hb_client_lab_settings_set_protocol (self, protocol);
  if (self->error != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, self->error);
      return FALSE;
    }
  hb_line_ending_from_string (line_ending_choices[MIN (gtk_drop_down_get_selected (self->line_ending_dropdown), 2)],
                              &ending);
  g_object_set (client,
                "protocol", protocol,
                "line-ending", ending,
                "encoding", hb_client_lab_settings_get_encoding (self),
                NULL);
  if (protocol == HB_PROTOCOL_LAB)
    {
      hb = pattern (self, self->heartbeat_entry, NULL);
      ack = pattern (self, self->ack_entry, NULL);
      /* The lab's server announces no interval: 0 leaves the lab's 10 s. */
      g_object_set (client, "heartbeat", hb, "ack", ack, "interval-ms", 0,
                    "timeout-ms", g_settings_get_uint (self->settings, "client-timeout-ms"), NULL);
    }
  else
    /* The line protocol's WELCOME says; raw TCP has no heartbeat. */
    g_object_set (client, "interval-ms", 0, "timeout-ms", 0, NULL);
  return TRUE;
}
