/* hb-preferences-window.c - the settings a user can change, in one window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every control is bound to a GSettings key, so a change is saved at once
 * and every window that shows the same key follows it; the server's
 * settings (HbServerSettings, the server window's form) are taken by new
 * server windows only, each of which keeps its own copy. The style choice is applied by the application
 * (hb-application.c); the server settings are read when a server starts.
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "heartbeat-lab.h"
#include "hb-preferences-window.h"
#include "hb-server-settings.h"
#include "hb-style.h"

struct _HbPreferencesWindow
{
  GtkWindow           parent_instance;

  GtkCheckButton     *style_system_check;
  GtkCheckButton     *style_light_check;
  GtkCheckButton     *style_dark_check;
  HbServerSettings   *server_settings;
  GtkEntry           *name_entry;
  GtkButton          *clear_recent_button;

  GSettings          *settings;
  GSimpleActionGroup *actions;
};

G_DEFINE_FINAL_TYPE (HbPreferencesWindow, hb_preferences_window, GTK_TYPE_WINDOW)

static void
clear_recent_activate (GSimpleAction *action,
                       GVariant      *param,
                       gpointer       user_data)
{
  HbPreferencesWindow *self = user_data;

  g_settings_reset (self->settings, "recent-servers");
}

static void
update_clear_recent (HbPreferencesWindow *self)
{
  g_auto(GStrv) recent = g_settings_get_strv (self->settings, "recent-servers");
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self->actions), "clear-recent");

  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), recent[0] != NULL);
}

/* The server refuses a name with spaces; say so while it is typed, not
 * only when a client window tries to connect with it. */
static void
check_name (HbPreferencesWindow *self)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_entry));
  gboolean valid = *name == '\0' || hb_name_is_valid (name, strlen (name));

  if (valid)
    gtk_widget_remove_css_class (GTK_WIDGET (self->name_entry), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->name_entry), "error");
  gtk_accessible_update_state (GTK_ACCESSIBLE (self->name_entry), GTK_ACCESSIBLE_STATE_INVALID,
                               valid ? GTK_ACCESSIBLE_INVALID_FALSE : GTK_ACCESSIBLE_INVALID_TRUE, -1);
}

static void
hb_preferences_window_dispose (GObject *object)
{
  HbPreferencesWindow *self = HB_PREFERENCES_WINDOW (object);

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), HB_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->actions);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (hb_preferences_window_parent_class)->dispose (object);
}

static void
hb_preferences_window_class_init (HbPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hb_preferences_window_dispose;

  g_type_ensure (HB_TYPE_SERVER_SETTINGS);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/heartbeatlab/HeartbeatLab/hb-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, HbPreferencesWindow, style_system_check);
  gtk_widget_class_bind_template_child (widget_class, HbPreferencesWindow, style_light_check);
  gtk_widget_class_bind_template_child (widget_class, HbPreferencesWindow, style_dark_check);
  gtk_widget_class_bind_template_child (widget_class, HbPreferencesWindow, server_settings);
  gtk_widget_class_bind_template_child (widget_class, HbPreferencesWindow, name_entry);
  gtk_widget_class_bind_template_child (widget_class, HbPreferencesWindow, clear_recent_button);
  gtk_widget_class_bind_template_callback (widget_class, check_name);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
hb_preferences_window_init (HbPreferencesWindow *self)
{
  static const GActionEntry entries[] = {
    { .name = "clear-recent", .activate = clear_recent_activate },
  };
  g_autoptr(GAction) scheme = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APP_ID);
  self->actions = g_simple_action_group_new ();
  scheme = g_settings_create_action (self->settings, "color-scheme");
  g_action_map_add_action (G_ACTION_MAP (self->actions), scheme);
  g_action_map_add_action_entries (G_ACTION_MAP (self->actions), entries, G_N_ELEMENTS (entries), self);
  gtk_widget_insert_action_group (GTK_WIDGET (self), "prefs", G_ACTION_GROUP (self->actions));

  hb_server_settings_bind (self->server_settings, self->settings);
  g_settings_bind (self->settings, "client-name", self->name_entry, "text", G_SETTINGS_BIND_DEFAULT);

  g_signal_connect_swapped (self->settings, "changed::recent-servers", G_CALLBACK (update_clear_recent), self);
  update_clear_recent (self);
  check_name (self);
}

HbPreferencesWindow *
hb_preferences_window_new (GtkWindow *parent)
{
  return g_object_new (HB_TYPE_PREFERENCES_WINDOW,
                       "transient-for", parent,
                       "destroy-with-parent", parent != NULL,
                       NULL);
}
