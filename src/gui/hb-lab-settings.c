/* hb-lab-settings.c - the lab's heartbeat and ack, line ending and encoding: edited, checked, remembered
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One widget for the server window (which keeps its own copy of the
 * values and saves them when it starts listening) and for Preferences
 * (which saves every change at once). The checks are the core's
 * (hb_lab_pattern_new()), so that the window refuses what the command
 * line refuses, with the same words.
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "hb-lab-settings.h"
#include "hb-style.h"

struct _HbLabSettings
{
  GtkWidget       parent_instance;

  GtkWidget      *grid;
  GtkWidget      *heartbeat_label;
  GtkEntry       *heartbeat_entry;
  GtkWidget      *heartbeat_warning;
  GtkLabel       *heartbeat_warning_label;
  GtkWidget      *ack_label;
  GtkEntry       *ack_entry;
  GtkWidget      *ack_warning;
  GtkLabel       *ack_warning_label;
  GtkCheckButton *hex_check;
  GtkWidget      *line_ending_label;
  GtkDropDown    *line_ending_drop;
  GtkWidget      *encoding_label;
  GtkDropDown    *encoding_drop;

  HbProtocol      protocol;
  GSettings      *bound;     /* Preferences: saved at every change */
  gboolean        loading;   /* values come from the settings, not the user */
};

G_DEFINE_FINAL_TYPE (HbLabSettings, hb_lab_settings, GTK_TYPE_WIDGET)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---------------------------------------------------------------------- */
/* Checking                                                                */

static GBytes *
pattern (HbLabSettings *self,
         GtkEntry      *entry,
         const char    *what,
         GError       **error)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));
  gboolean hex = gtk_check_button_get_active (self->hex_check);

  return hb_lab_pattern_new (hex ? NULL : text, hex ? text : NULL, NULL, what, error);
}

static GBytes *
heartbeat (HbLabSettings *self,
           GError       **error)
{
  return pattern (self, self->heartbeat_entry, _("The heartbeat"), error);
}

static GBytes *
ack (HbLabSettings *self,
     GError       **error)
{
  return pattern (self, self->ack_entry, _("The ack"), error);
}

static void
flag (GtkEntry  *entry,
      GtkWidget *warning,
      GtkLabel  *warning_label,
      GError    *error)
{
  gtk_label_set_text (warning_label, error ? error->message : "");
  hb_style_flag_invalid (GTK_WIDGET (entry), warning, error != NULL);
}

static void
check (HbLabSettings *self)
{
  g_autoptr(GError) hb_error = NULL;
  g_autoptr(GError) ack_error = NULL;
  g_autoptr(GBytes) hb = heartbeat (self, &hb_error);
  g_autoptr(GBytes) a = ack (self, &ack_error);
  gboolean lab = self->protocol == HB_PROTOCOL_LAB;

  /* Only what is used is flagged: a heartbeat left empty does not stop
   * raw TCP. */
  flag (self->heartbeat_entry, self->heartbeat_warning, self->heartbeat_warning_label,
        lab ? hb_error : NULL);
  flag (self->ack_entry, self->ack_warning, self->ack_warning_label, lab ? ack_error : NULL);
}

/* ---------------------------------------------------------------------- */
/* Changes                                                                 */

static void
user_changed (HbLabSettings *self)
{
  check (self);
  if (self->loading)
    return;
  if (self->bound != NULL)
    hb_lab_settings_save (self, self->bound);
  g_signal_emit (self, signals[CHANGED], 0);
}

/* Switching between text and hex rewrites what is typed, so that it
 * still means the same bytes; bytes that are not text stay in hex. */
static void
convert_entry (HbLabSettings *self,
               GtkEntry      *entry,
               gboolean       to_hex)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));

  if (to_hex)
    {
      g_autofree char *hex = hb_bytes_to_hex ((const guint8 *) text, strlen (text), HB_LAB_MAX_PATTERN);

      gtk_editable_set_text (GTK_EDITABLE (entry), hex);
    }
  else
    {
      g_autoptr(GBytes) bytes = hb_bytes_from_hex (text, NULL);
      gsize len = 0;
      const char *data = bytes ? g_bytes_get_data (bytes, &len) : NULL;

      if (data != NULL && g_utf8_validate_len (data, len, NULL) && memchr (data, '\0', len) == NULL)
        {
          g_autofree char *str = g_strndup (data, len);

          gtk_editable_set_text (GTK_EDITABLE (entry), str);
        }
    }
}

static void
on_hex_toggled (GtkCheckButton *check_button,
                HbLabSettings  *self)
{
  gboolean to_hex = gtk_check_button_get_active (check_button);
  gboolean was_loading = self->loading;

  if (!self->loading)
    {
      /* One change, saved once the entries say the same in hex. */
      self->loading = TRUE;
      convert_entry (self, self->heartbeat_entry, to_hex);
      convert_entry (self, self->ack_entry, to_hex);
      self->loading = was_loading;
    }
  user_changed (self);
}

static void
on_bound_changed (GSettings     *settings,
                  const char    *key,
                  HbLabSettings *self)
{
  hb_lab_settings_load (self, settings);
}

/* ---------------------------------------------------------------------- */
/* GObject                                                                 */

static void
hb_lab_settings_dispose (GObject *object)
{
  HbLabSettings *self = HB_LAB_SETTINGS (object);

  if (self->bound != NULL)
    g_signal_handlers_disconnect_by_data (self->bound, self);
  g_clear_object (&self->bound);
  gtk_widget_dispose_template (GTK_WIDGET (self), HB_TYPE_LAB_SETTINGS);
  G_OBJECT_CLASS (hb_lab_settings_parent_class)->dispose (object);
}

static void
hb_lab_settings_class_init (HbLabSettingsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hb_lab_settings_dispose;

  /**
   * HbLabSettings::changed:
   * The user changed a value (not emitted for hb_lab_settings_load()).
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/heartbeatlab/HeartbeatLab/hb-lab-settings.ui");
  gtk_widget_class_bind_template_child (widget_class, HbLabSettings, grid);
  gtk_widget_class_bind_template_child (widget_class, HbLabSettings, heartbeat_label);
  gtk_widget_class_bind_template_child (widget_class, HbLabSettings, heartbeat_entry);
  gtk_widget_class_bind_template_child (widget_class, HbLabSettings, heartbeat_warning);
  gtk_widget_class_bind_template_child (widget_class, HbLabSettings, heartbeat_warning_label);
  gtk_widget_class_bind_template_child (widget_class, HbLabSettings, ack_label);
  gtk_widget_class_bind_template_child (widget_class, HbLabSettings, ack_entry);
  gtk_widget_class_bind_template_child (widget_class, HbLabSettings, ack_warning);
  gtk_widget_class_bind_template_child (widget_class, HbLabSettings, ack_warning_label);
  gtk_widget_class_bind_template_child (widget_class, HbLabSettings, hex_check);
  gtk_widget_class_bind_template_child (widget_class, HbLabSettings, line_ending_label);
  gtk_widget_class_bind_template_child (widget_class, HbLabSettings, line_ending_drop);
  gtk_widget_class_bind_template_child (widget_class, HbLabSettings, encoding_label);
  gtk_widget_class_bind_template_child (widget_class, HbLabSettings, encoding_drop);
  gtk_widget_class_bind_template_callback (widget_class, user_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_hex_toggled);
}

static void
hb_lab_settings_init (HbLabSettings *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->protocol = HB_PROTOCOL_LAB;
  /* The defaults are not the user's doing. */
  self->loading = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->heartbeat_entry), HB_LAB_DEFAULT_HEARTBEAT);
  gtk_editable_set_text (GTK_EDITABLE (self->ack_entry), HB_LAB_DEFAULT_ACK);
  self->loading = FALSE;
  check (self);
}

GtkWidget *
hb_lab_settings_new (void)
{
  return g_object_new (HB_TYPE_LAB_SETTINGS, NULL);
}

void
hb_lab_settings_set_protocol (HbLabSettings *self,
                              HbProtocol     protocol)
{
  gboolean lab = protocol == HB_PROTOCOL_LAB;
  gboolean text = protocol != HB_PROTOCOL_LINE;
  GtkWidget *lab_only[] = {
    self->heartbeat_label, GTK_WIDGET (self->heartbeat_entry),
    self->ack_label, GTK_WIDGET (self->ack_entry), GTK_WIDGET (self->hex_check),
  };
  GtkWidget *unframed[] = {
    self->line_ending_label, GTK_WIDGET (self->line_ending_drop),
    self->encoding_label, GTK_WIDGET (self->encoding_drop),
  };

  g_return_if_fail (HB_IS_LAB_SETTINGS (self));

  self->protocol = protocol;
  for (guint i = 0; i < G_N_ELEMENTS (lab_only); i++)
    gtk_widget_set_visible (lab_only[i], lab);
  for (guint i = 0; i < G_N_ELEMENTS (unframed); i++)
    gtk_widget_set_visible (unframed[i], text);
  check (self);
}

void
hb_lab_settings_load (HbLabSettings *self,
                      GSettings     *settings)
{
  g_autofree char *hb = NULL;
  g_autofree char *a = NULL;
  g_autofree char *ending = NULL;
  g_autofree char *encoding = NULL;
  HbLineEnding e = HB_LINE_ENDING_NONE;
  HbEncoding enc = HB_ENCODING_UTF8;

  g_return_if_fail (HB_IS_LAB_SETTINGS (self));

  hb = g_settings_get_string (settings, "lab-heartbeat");
  a = g_settings_get_string (settings, "lab-ack");
  ending = g_settings_get_string (settings, "line-ending");
  encoding = g_settings_get_string (settings, "encoding");
  hb_line_ending_from_string (ending, &e);
  hb_encoding_from_string (encoding, &enc);

  self->loading = TRUE;
  gtk_check_button_set_active (self->hex_check, g_settings_get_boolean (settings, "lab-patterns-hex"));
  gtk_editable_set_text (GTK_EDITABLE (self->heartbeat_entry), hb);
  gtk_editable_set_text (GTK_EDITABLE (self->ack_entry), a);
  gtk_drop_down_set_selected (self->line_ending_drop, e);
  gtk_drop_down_set_selected (self->encoding_drop, enc);
  self->loading = FALSE;
  check (self);
}

void
hb_lab_settings_save (HbLabSettings *self,
                      GSettings     *settings)
{
  g_autoptr(GBytes) hb = NULL;
  g_autoptr(GBytes) a = NULL;

  g_return_if_fail (HB_IS_LAB_SETTINGS (self));

  hb = heartbeat (self, NULL);
  a = ack (self, NULL);

  /* Our own writes are not read back: half of them would be taken for
   * the whole (the new hex flag with the old text). */
  if (self->bound == settings)
    g_signal_handlers_block_by_func (settings, on_bound_changed, self);
  /* A heartbeat or ack that would not start a server is not remembered
   * over a good one (Preferences, which saves as it is typed, shows the
   * flag; the next window starts with the last good pair). */
  if (hb && a)
    {
      g_settings_set_string (settings, "lab-heartbeat", gtk_editable_get_text (GTK_EDITABLE (self->heartbeat_entry)));
      g_settings_set_string (settings, "lab-ack", gtk_editable_get_text (GTK_EDITABLE (self->ack_entry)));
      g_settings_set_boolean (settings, "lab-patterns-hex", gtk_check_button_get_active (self->hex_check));
    }
  g_settings_set_string (settings, "line-ending", hb_line_ending_to_string (hb_lab_settings_get_line_ending (self)));
  g_settings_set_string (settings, "encoding", hb_encoding_to_string (hb_lab_settings_get_encoding (self)));
  if (self->bound == settings)
    g_signal_handlers_unblock_by_func (settings, on_bound_changed, self);
}

void
hb_lab_settings_bind (HbLabSettings *self,
                      GSettings     *settings)
{
  static const char *keys[] = { "lab-heartbeat", "lab-ack", "lab-patterns-hex", "line-ending", "encoding" };

  g_return_if_fail (HB_IS_LAB_SETTINGS (self));
  g_return_if_fail (self->bound == NULL);

  self->bound = g_object_ref (settings);
  hb_lab_settings_load (self, settings);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autofree char *signal = g_strdup_printf ("changed::%s", keys[i]);

      g_signal_connect (settings, signal, G_CALLBACK (on_bound_changed), self);
    }
}

gboolean
hb_lab_settings_apply (HbLabSettings *self,
                       HbProtocol     protocol,
                       GObject       *peer,
                       GError       **error)
{
  g_autoptr(GBytes) hb = NULL;
  g_autoptr(GBytes) a = NULL;

  g_return_val_if_fail (HB_IS_LAB_SETTINGS (self), FALSE);

  if (protocol == HB_PROTOCOL_LAB)
    {
      hb = heartbeat (self, error);
      if (hb == NULL)
        return FALSE;
      a = ack (self, error);
      if (a == NULL)
        return FALSE;
      g_object_set (peer, "heartbeat", hb, "ack", a, NULL);
    }
  g_object_set (peer,
                "line-ending", hb_lab_settings_get_line_ending (self),
                "encoding", hb_lab_settings_get_encoding (self),
                NULL);
  return TRUE;
}

HbLineEnding
hb_lab_settings_get_line_ending (HbLabSettings *self)
{
  guint selected = gtk_drop_down_get_selected (self->line_ending_drop);

  return selected <= HB_LINE_ENDING_CRLF ? (HbLineEnding) selected : HB_LINE_ENDING_NONE;
}

HbEncoding
hb_lab_settings_get_encoding (HbLabSettings *self)
{
  return gtk_drop_down_get_selected (self->encoding_drop) == HB_ENCODING_GB18030 ? HB_ENCODING_GB18030
                                                                                 : HB_ENCODING_UTF8;
}

const char *
hb_lab_settings_get_heartbeat_text (HbLabSettings *self)
{
  return gtk_editable_get_text (GTK_EDITABLE (self->heartbeat_entry));
}

const char *
hb_lab_settings_get_ack_text (HbLabSettings *self)
{
  return gtk_editable_get_text (GTK_EDITABLE (self->ack_entry));
}

/* ---------------------------------------------------------------------- */
/* The choice of protocol                                                  */

static const char *
protocol_description (guint position)
{
  switch (position)
    {
    case HB_PROTOCOL_LINE: return _("This program's line protocol: WELCOME, PING, PONG, MSG…");
    case HB_PROTOCOL_LAB: return _("The lab's: the bytes of a heartbeat and its ack, no framing");
    case HB_PROTOCOL_RAW: return _("Plain TCP: every read shown, nothing judged");
    default: return "";
    }
}

static void
protocol_item_setup (GtkSignalListItemFactory *factory,
                     GtkListItem              *item,
                     gpointer                  user_data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *name = gtk_label_new (NULL);
  GtkWidget *what = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_xalign (GTK_LABEL (what), 0);
  gtk_widget_add_css_class (name, "heading");
  gtk_widget_add_css_class (what, "dim-label");
  gtk_box_append (GTK_BOX (box), name);
  gtk_box_append (GTK_BOX (box), what);
  gtk_list_item_set_child (item, box);
}

static void
protocol_item_bind (GtkSignalListItemFactory *factory,
                    GtkListItem              *item,
                    gpointer                  user_data)
{
  GtkWidget *box = gtk_list_item_get_child (item);
  GtkStringObject *str = gtk_list_item_get_item (item);

  gtk_label_set_text (GTK_LABEL (gtk_widget_get_first_child (box)), gtk_string_object_get_string (str));
  gtk_label_set_text (GTK_LABEL (gtk_widget_get_last_child (box)),
                      protocol_description (gtk_list_item_get_position (item)));
}

void
hb_protocol_drop_down_init (GtkDropDown *drop)
{
  const char *names[] = {
    hb_protocol_to_string (HB_PROTOCOL_LINE),
    hb_protocol_to_string (HB_PROTOCOL_LAB),
    hb_protocol_to_string (HB_PROTOCOL_RAW),
    NULL,
  };
  g_autoptr(GtkStringList) model = gtk_string_list_new (names);
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  g_signal_connect (factory, "setup", G_CALLBACK (protocol_item_setup), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (protocol_item_bind), NULL);
  gtk_drop_down_set_model (drop, G_LIST_MODEL (model));
  gtk_drop_down_set_list_factory (drop, factory);
}
