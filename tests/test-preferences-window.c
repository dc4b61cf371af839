/* test-preferences-window.c - the Preferences window as a user opens and uses it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <gtk/gtk.h>

#include "heartbeat-lab.h"
#include "hb-application.h"
#include "hb-client-window.h"
#include "hb-lab-settings.h"
#include "hb-preferences-window.h"
#include "hb-server-settings.h"
#include "hb-server-window.h"
#include "hb-timeline-window.h"
#include "hb-test-gui.h"
#include "hb-test-util.h"

#define child(win, type, name) hb_test_child ((win), (type), (name))
#define PREFS(win, name) child (win, HB_TYPE_PREFERENCES_WINDOW, name)
/* A field of a window's server settings (HbServerSettings). */
#define FORM(win, type, name) child (child (win, type, "server_settings"), HB_TYPE_SERVER_SETTINGS, name)
#define PREFS_FORM(win, name) FORM (win, HB_TYPE_PREFERENCES_WINDOW, name)
#define SERVER_FORM(win, name) FORM (win, HB_TYPE_SERVER_WINDOW, name)

static gpointer
find_window (GtkApplication *app,
             GType           type)
{
  for (GList *l = gtk_application_get_windows (app); l != NULL; l = l->next)
    if (G_TYPE_CHECK_INSTANCE_TYPE (l->data, type))
      return l->data;
  return NULL;
}

/* Whether @model (or a section of it) has an item for @action. */
static gboolean
menu_has_action (GMenuModel *model,
                 const char *action)
{
  for (int i = 0; i < g_menu_model_get_n_items (model); i++)
    {
      g_autofree char *name = NULL;
      g_autoptr(GMenuModel) section = NULL;

      if (g_menu_model_get_item_attribute (model, i, G_MENU_ATTRIBUTE_ACTION, "s", &name) &&
          g_strcmp0 (name, action) == 0)
        return TRUE;
      section = g_menu_model_get_item_link (model, i, G_MENU_LINK_SECTION);
      if (section != NULL && menu_has_action (section, action))
        return TRUE;
    }
  return FALSE;
}

static GtkMenuButton *
primary_menu_button (GtkWidget *widget)
{
  if (GTK_IS_MENU_BUTTON (widget) && gtk_menu_button_get_primary (GTK_MENU_BUTTON (widget)))
    return GTK_MENU_BUTTON (widget);
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkMenuButton *found = primary_menu_button (c);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
prefers_dark (void)
{
  gboolean dark = FALSE;

  g_object_get (gtk_settings_get_default (), "gtk-application-prefer-dark-theme", &dark, NULL);
  return dark;
}

/* What typing into a spin button and pressing Enter does (GTK 4.8's
 * GtkSpinButton has no "activate" of its own: its text field has). */
static void
type_into_spin (GtkSpinButton *spin,
                const char    *text)
{
  gtk_editable_set_text (GTK_EDITABLE (spin), text);
  g_signal_emit_by_name (gtk_editable_get_delegate (GTK_EDITABLE (spin)), "activate");
}

static guint
n_recent (GSettings *settings)
{
  g_auto(GStrv) recent = g_settings_get_strv (settings, "recent-servers");

  return g_strv_length (recent);
}

static HbApplication *
start_app (void)
{
  HbApplication *app = hb_application_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  return app;
}

static void
close_all (GtkApplication *app)
{
  GList *windows;

  while ((windows = gtk_application_get_windows (app)) != NULL)
    gtk_window_destroy (windows->data);
}

static void
test_menus_and_shortcut (void)
{
  g_autoptr(HbApplication) app = start_app ();
  g_auto(GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "app.preferences");
  HbServerWindow *server = hb_server_window_new (GTK_APPLICATION (app));
  HbClientWindow *client;
  GtkMenuButton *menu;
  HbPreferencesWindow *prefs;

  g_assert_true (g_strv_contains ((const char * const *) accels, "<Control>comma"));
  /* About shows the application's icon, installed or not. */
  g_assert_true (gtk_icon_theme_has_icon (gtk_icon_theme_get_for_display (gdk_display_get_default ()), APP_ID));

  /* Opened from a window, it stands in front of that window. */
  gtk_window_present (GTK_WINDOW (server));
  gtk_widget_activate_action (GTK_WIDGET (server), "app.preferences", NULL);
  prefs = find_window (GTK_APPLICATION (app), HB_TYPE_PREFERENCES_WINDOW);
  g_assert_nonnull (prefs);
  hb_assert_eventually (gtk_widget_get_mapped (GTK_WIDGET (prefs)));
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (prefs)) == GTK_WINDOW (server));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (prefs)), ==, "Preferences");

  /* Escape closes it, as a user expects of a dialog. */
  gtk_widget_activate_action (GTK_WIDGET (prefs), "window.close", NULL);
  g_assert_null (find_window (GTK_APPLICATION (app), HB_TYPE_PREFERENCES_WINDOW));

  /* From the window in use now; asked for twice, it is one window. */
  client = hb_client_window_new (GTK_APPLICATION (app));
  gtk_window_present (GTK_WINDOW (client));
  gtk_widget_activate_action (GTK_WIDGET (client), "app.preferences", NULL);
  prefs = find_window (GTK_APPLICATION (app), HB_TYPE_PREFERENCES_WINDOW);
  g_assert_nonnull (prefs);
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (prefs)) == GTK_WINDOW (client));
  gtk_widget_activate_action (GTK_WIDGET (client), "app.preferences", NULL);
  g_assert_true (find_window (GTK_APPLICATION (app), HB_TYPE_PREFERENCES_WINDOW) == prefs);

  /* Every kind of window offers it in its primary menu. */
  menu = primary_menu_button (gtk_window_get_titlebar (GTK_WINDOW (server)));
  g_assert_nonnull (menu);
  g_assert_true (menu_has_action (gtk_menu_button_get_menu_model (menu), "app.preferences"));
  g_assert_true (menu_has_action (gtk_menu_button_get_menu_model (menu), "win.show-help-overlay"));
  g_assert_true (menu_has_action (gtk_menu_button_get_menu_model (menu), "app.about"));
  menu = primary_menu_button (gtk_window_get_titlebar (GTK_WINDOW (client)));
  g_assert_nonnull (menu);
  g_assert_true (menu_has_action (gtk_menu_button_get_menu_model (menu), "app.preferences"));
  g_assert_true (menu_has_action (gtk_menu_button_get_menu_model (menu), "win.show-help-overlay"));
  g_assert_true (menu_has_action (gtk_menu_button_get_menu_model (menu), "app.about"));
  /* ... and so does a timeline. */
  {
    g_autoptr(HbTimeline) record = hb_timeline_new (16);
    HbTimelineWindow *timeline = hb_timeline_window_new (GTK_APPLICATION (app), record, FALSE, NULL,
                                                         "client", "server");

    menu = primary_menu_button (gtk_window_get_titlebar (GTK_WINDOW (timeline)));
    g_assert_nonnull (menu);
    g_assert_true (menu_has_action (gtk_menu_button_get_menu_model (menu), "app.preferences"));
    g_assert_true (menu_has_action (gtk_menu_button_get_menu_model (menu), "win.show-help-overlay"));
    g_assert_true (menu_has_action (gtk_menu_button_get_menu_model (menu), "app.about"));
    gtk_window_destroy (GTK_WINDOW (timeline));
  }

  close_all (GTK_APPLICATION (app));
}

static void
test_style (void)
{
  g_autoptr(HbApplication) app = start_app ();
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  HbServerWindow *server = hb_server_window_new (GTK_APPLICATION (app));
  gboolean system_dark = prefers_dark ();
  HbPreferencesWindow *prefs;

  {
    g_autofree char *scheme = g_settings_get_string (settings, "color-scheme");

    g_assert_cmpstr (scheme, ==, "system");
  }
  gtk_window_present (GTK_WINDOW (server));
  gtk_widget_activate_action (GTK_WIDGET (server), "app.preferences", NULL);
  prefs = find_window (GTK_APPLICATION (app), HB_TYPE_PREFERENCES_WINDOW);
  hb_assert_eventually (gtk_widget_get_mapped (GTK_WIDGET (prefs)));
  g_assert_true (gtk_check_button_get_active (PREFS (prefs, "style_system_check")));

  /* Choosing Dark turns every window dark at once, and is remembered. */
  gtk_widget_activate (PREFS (prefs, "style_dark_check"));
  g_assert_true (gtk_check_button_get_active (PREFS (prefs, "style_dark_check")));
  g_assert_false (gtk_check_button_get_active (PREFS (prefs, "style_system_check")));
  {
    g_autofree char *scheme = g_settings_get_string (settings, "color-scheme");

    g_assert_cmpstr (scheme, ==, "dark");
  }
  g_assert_true (prefers_dark ());

  gtk_widget_activate (PREFS (prefs, "style_light_check"));
  {
    g_autofree char *scheme = g_settings_get_string (settings, "color-scheme");

    g_assert_cmpstr (scheme, ==, "light");
  }
  g_assert_false (prefers_dark ());

  /* Set from elsewhere (gsettings set ...), the window follows. */
  g_settings_set_string (settings, "color-scheme", "dark");
  g_assert_true (prefers_dark ());
  g_assert_true (gtk_check_button_get_active (PREFS (prefs, "style_dark_check")));

  /* Back to the system's choice: here, no portal, what GTK started with. */
  gtk_widget_activate (PREFS (prefs, "style_system_check"));
  {
    g_autofree char *scheme = g_settings_get_string (settings, "color-scheme");

    g_assert_cmpstr (scheme, ==, "system");
  }
  g_assert_cmpint (prefers_dark (), ==, system_dark);

  close_all (GTK_APPLICATION (app));
}

static void
test_server_and_client_settings (void)
{
  g_autoptr(HbApplication) app = start_app ();
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  HbServerWindow *server = hb_server_window_new (GTK_APPLICATION (app));
  HbServer *core;
  HbClientWindow *client;
  HbPreferencesWindow *prefs;
  const char *recent[] = { "127.0.0.1:9", NULL };
  g_autofree char *name = NULL;

  gtk_window_present (GTK_WINDOW (server));
  hb_assert_eventually (gtk_widget_get_mapped (GTK_WIDGET (server)));
  gtk_widget_activate_action (GTK_WIDGET (server), "app.preferences", NULL);
  prefs = find_window (GTK_APPLICATION (app), HB_TYPE_PREFERENCES_WINDOW);
  hb_assert_eventually (gtk_widget_get_mapped (GTK_WIDGET (prefs)));

  /* The window shows the saved values. */
  g_assert_cmpint (gtk_spin_button_get_value_as_int (PREFS_FORM (prefs, "interval_spin")), ==,
                   g_settings_get_uint (settings, "interval-ms"));
  g_assert_cmpstr (gtk_editable_get_text (PREFS_FORM (prefs, "address_entry")), ==, "127.0.0.1");

  /* Typed values are saved; a server window already open keeps its own
   * (Preferences are what new windows start with). */
  type_into_spin (PREFS_FORM (prefs, "port_spin"), "12999");
  g_assert_cmpuint (g_settings_get_uint (settings, "port"), ==, 12999);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (SERVER_FORM (server, "port_spin")), ==, 12001);
  type_into_spin (PREFS_FORM (prefs, "port_spin"), "0");
  type_into_spin (PREFS_FORM (prefs, "interval_spin"), "700");
  type_into_spin (PREFS_FORM (prefs, "timeout_spin"), "4000");
  type_into_spin (PREFS_FORM (prefs, "max_clients_spin"), "25");
  gtk_widget_activate (PREFS_FORM (prefs, "relay_switch"));
  g_assert_cmpuint (g_settings_get_uint (settings, "interval-ms"), ==, 700);
  g_assert_cmpuint (g_settings_get_uint (settings, "timeout-ms"), ==, 4000);
  g_assert_cmpuint (g_settings_get_uint (settings, "max-clients"), ==, 25);
  /* A switch slides over before it changes. */
  hb_assert_eventually (g_settings_get_boolean (settings, "relay"));
  g_assert_false (gtk_switch_get_active (SERVER_FORM (server, "relay_switch")));

  /* A new server window starts with them, and its server too. */
  gtk_window_destroy (GTK_WINDOW (server));
  server = hb_server_window_new (GTK_APPLICATION (app));
  gtk_window_present (GTK_WINDOW (server));
  g_assert_true (gtk_switch_get_active (SERVER_FORM (server, "relay_switch")));
  g_assert_cmpint (gtk_spin_button_get_value_as_int (SERVER_FORM (server, "interval_spin")), ==, 700);
  g_assert_true (hb_server_window_start (server));
  core = g_object_ref (hb_server_window_get_server (server));
  {
    guint interval = 0, timeout = 0, max_clients = 0;
    gboolean relay = FALSE;

    g_object_get (core, "interval-ms", &interval, "timeout-ms", &timeout,
                  "max-clients", &max_clients, "relay", &relay, NULL);
    g_assert_cmpuint (interval, ==, 700);
    g_assert_cmpuint (timeout, ==, 4000);
    g_assert_cmpuint (max_clients, ==, 25);
    g_assert_true (relay);
  }

  /* A name the server would refuse is marked while it is typed. */
  gtk_editable_set_text (PREFS (prefs, "name_entry"), "carol smith");
  g_assert_true (gtk_widget_has_css_class (PREFS (prefs, "name_entry"), "error"));

  /* A new client window takes the name given here. */
  gtk_editable_set_text (PREFS (prefs, "name_entry"), "carol");
  g_assert_false (gtk_widget_has_css_class (PREFS (prefs, "name_entry"), "error"));
  name = g_settings_get_string (settings, "client-name");
  g_assert_cmpstr (name, ==, "carol");
  gtk_widget_activate_action (GTK_WIDGET (server), "app.new-client", NULL);
  client = find_window (GTK_APPLICATION (app), HB_TYPE_CLIENT_WINDOW);
  g_assert_nonnull (client);
  g_assert_cmpstr (gtk_editable_get_text (child (client, HB_TYPE_CLIENT_WINDOW, "name_entry")), ==, "carol");

  /* Forgetting the recent servers empties the client window's list. */
  g_settings_set_strv (settings, "recent-servers", recent);
  g_assert_true (gtk_widget_get_sensitive (child (client, HB_TYPE_CLIENT_WINDOW, "recent_button")));
  g_assert_true (gtk_widget_is_sensitive (PREFS (prefs, "clear_recent_button")));
  /* An activated button shows itself pressed for a moment, then clicks. */
  gtk_widget_activate (PREFS (prefs, "clear_recent_button"));
  hb_assert_eventually (n_recent (settings) == 0);
  g_assert_false (gtk_widget_get_sensitive (child (client, HB_TYPE_CLIENT_WINDOW, "recent_button")));
  g_assert_false (gtk_widget_is_sensitive (PREFS (prefs, "clear_recent_button")));

  /* Closing the window stops its server. */
  close_all (GTK_APPLICATION (app));
  g_assert_false (hb_server_get_listening (core));
  hb_test_await_finalize (core);
}

/* A timeout no longer than the interval would declare every client dead
 * before it could answer: flagged as it is typed, and no server starts
 * with it. */
static void
test_heartbeat_timeout (void)
{
  g_autoptr(HbApplication) app = start_app ();
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  HbServerWindow *server = hb_server_window_new (GTK_APPLICATION (app));
  HbPreferencesWindow *prefs;
  GtkWidget *warning;

  g_settings_set_uint (settings, "port", 0);
  gtk_window_present (GTK_WINDOW (server));
  hb_assert_eventually (gtk_widget_get_mapped (GTK_WIDGET (server)));
  gtk_widget_activate_action (GTK_WIDGET (server), "app.preferences", NULL);
  prefs = find_window (GTK_APPLICATION (app), HB_TYPE_PREFERENCES_WINDOW);
  hb_assert_eventually (gtk_widget_get_mapped (GTK_WIDGET (prefs)));
  warning = PREFS_FORM (prefs, "timeout_warning");

  type_into_spin (PREFS_FORM (prefs, "interval_spin"), "1000");
  type_into_spin (PREFS_FORM (prefs, "timeout_spin"), "4000");
  g_assert_false (gtk_widget_get_visible (warning));

  type_into_spin (PREFS_FORM (prefs, "interval_spin"), "5000");
  g_assert_true (gtk_widget_get_visible (warning));
  g_assert_true (gtk_widget_has_css_class (PREFS_FORM (prefs, "timeout_spin"), "error"));
  g_assert_nonnull (strstr (gtk_label_get_text (PREFS_FORM (prefs, "timeout_warning_label")), "longer than the interval"));
  type_into_spin (PREFS_FORM (prefs, "timeout_spin"), "5000");
  g_assert_true (gtk_widget_get_visible (warning));

  /* A server window opened now starts with them: it shows the same
   * warning, and refuses to start. */
  gtk_window_destroy (GTK_WINDOW (server));
  server = hb_server_window_new (GTK_APPLICATION (app));
  gtk_window_present (GTK_WINDOW (server));
  g_assert_true (gtk_widget_get_visible (SERVER_FORM (server, "timeout_warning")));
  g_assert_false (hb_server_window_start (server));
  g_assert_true (gtk_revealer_get_reveal_child (child (server, HB_TYPE_SERVER_WINDOW, "error_revealer")));

  type_into_spin (PREFS_FORM (prefs, "timeout_spin"), "15000");
  g_assert_false (gtk_widget_get_visible (warning));
  g_assert_false (gtk_widget_has_css_class (PREFS_FORM (prefs, "timeout_spin"), "error"));
  gtk_window_destroy (GTK_WINDOW (server));
  server = hb_server_window_new (GTK_APPLICATION (app));
  gtk_window_present (GTK_WINDOW (server));
  g_assert_false (gtk_widget_get_visible (SERVER_FORM (server, "timeout_warning")));
  g_assert_true (hb_server_window_start (server));

  close_all (GTK_APPLICATION (app));
}

/* The lab's protocol: chosen here for new server windows, saved as it is
 * typed; an empty heartbeat is flagged and not saved. */
static void
test_lab_protocol (void)
{
  g_autoptr(HbApplication) app = start_app ();
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  HbPreferencesWindow *prefs = hb_preferences_window_new (NULL);
  GtkWidget *lab;
  HbServerWindow *server;
  g_autofree char *protocol = NULL;
  g_autofree char *ack = NULL;
  g_autofree char *heartbeat = NULL;
  g_autofree char *encoding = NULL;

  gtk_window_present (GTK_WINDOW (prefs));
  hb_assert_eventually (gtk_widget_get_mapped (GTK_WIDGET (prefs)));
  lab = PREFS_FORM (prefs, "lab_settings");
  g_assert_cmpuint (gtk_drop_down_get_selected (PREFS_FORM (prefs, "protocol_drop")), ==, HB_PROTOCOL_LINE);
  g_assert_cmpstr (gtk_editable_get_text (child (lab, HB_TYPE_LAB_SETTINGS, "heartbeat_entry")), ==, "heartbeat");

  gtk_drop_down_set_selected (PREFS_FORM (prefs, "protocol_drop"), HB_PROTOCOL_LAB);
  protocol = g_settings_get_string (settings, "server-protocol");
  g_assert_cmpstr (protocol, ==, "lab");
  gtk_editable_set_text (child (lab, HB_TYPE_LAB_SETTINGS, "ack_entry"), "ok");
  ack = g_settings_get_string (settings, "lab-ack");
  g_assert_cmpstr (ack, ==, "ok");
  gtk_drop_down_set_selected (child (lab, HB_TYPE_LAB_SETTINGS, "encoding_drop"), HB_ENCODING_GB18030);
  encoding = g_settings_get_string (settings, "encoding");
  g_assert_cmpstr (encoding, ==, "gb18030");

  gtk_editable_set_text (child (lab, HB_TYPE_LAB_SETTINGS, "heartbeat_entry"), "");
  g_assert_true (gtk_widget_get_visible (child (lab, HB_TYPE_LAB_SETTINGS, "heartbeat_warning")));
  heartbeat = g_settings_get_string (settings, "lab-heartbeat");
  g_assert_cmpstr (heartbeat, ==, "heartbeat");
  gtk_editable_set_text (child (lab, HB_TYPE_LAB_SETTINGS, "heartbeat_entry"), "ping");

  /* A new server window starts with them. */
  server = hb_server_window_new (GTK_APPLICATION (app));
  g_assert_cmpuint (gtk_drop_down_get_selected (SERVER_FORM (server, "protocol_drop")), ==,
                    HB_PROTOCOL_LAB);
  g_assert_cmpstr (gtk_editable_get_text (child (SERVER_FORM (server, "lab_settings"),
                                                 HB_TYPE_LAB_SETTINGS, "heartbeat_entry")), ==, "ping");

  /* Set from elsewhere (a server window that starts), the window follows. */
  g_settings_set_string (settings, "lab-ack", "pong");
  g_assert_cmpstr (gtk_editable_get_text (child (lab, HB_TYPE_LAB_SETTINGS, "ack_entry")), ==, "pong");

  gtk_window_destroy (GTK_WINDOW (server));
  gtk_window_destroy (GTK_WINDOW (prefs));
  g_settings_reset (settings, "server-protocol");
  g_settings_reset (settings, "lab-heartbeat");
  g_settings_reset (settings, "lab-ack");
  g_settings_reset (settings, "encoding");
  close_all (GTK_APPLICATION (app));
}

/* Preferences and the server window show one form (HbServerSettings):
 * the same fields, checked the same way. What Preferences saves is what
 * a new server window starts with, while an open one keeps its own copy;
 * what a server window starts with is saved, and Preferences shows it. */
static void
test_one_server_form (void)
{
  static const char *fields[] = {
    "address_entry", "port_spin", "protocol_drop", "interval_spin", "timeout_spin",
    "max_clients_spin", "relay_switch", "lab_settings",
  };
  g_autoptr(HbApplication) app = start_app ();
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  HbServerWindow *open;
  HbServerWindow *fresh;
  HbPreferencesWindow *prefs;
  g_autofree char *protocol = NULL;

  g_settings_set_uint (settings, "port", 0);
  g_settings_reset (settings, "interval-ms");
  g_settings_reset (settings, "timeout-ms");
  open = hb_server_window_new (GTK_APPLICATION (app));
  gtk_window_present (GTK_WINDOW (open));
  hb_assert_eventually (gtk_widget_get_mapped (GTK_WIDGET (open)));
  gtk_widget_activate_action (GTK_WIDGET (open), "app.preferences", NULL);
  prefs = find_window (GTK_APPLICATION (app), HB_TYPE_PREFERENCES_WINDOW);
  hb_assert_eventually (gtk_widget_get_mapped (GTK_WIDGET (prefs)));

  /* The same fields; Preferences shows them all at once, the server
   * window its address, port and protocol, the rest behind Heartbeat…. */
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      GtkWidget *mine = PREFS_FORM (prefs, fields[i]);
      GtkWidget *its = SERVER_FORM (open, fields[i]);

      g_assert_true (G_OBJECT_TYPE (mine) == G_OBJECT_TYPE (its));
      g_assert_true (gtk_widget_get_mapped (mine));
    }
  g_assert_true (gtk_widget_get_mapped (SERVER_FORM (open, "port_spin")));
  g_assert_false (gtk_widget_get_mapped (SERVER_FORM (open, "interval_spin")));
  g_assert_true (gtk_widget_get_mapped (SERVER_FORM (open, "heartbeat_button")));
  g_assert_false (gtk_widget_get_mapped (PREFS_FORM (prefs, "heartbeat_button")));

  /* Typed in Preferences: a server window opened now starts with it,
   * the one already open keeps what it has. */
  type_into_spin (PREFS_FORM (prefs, "interval_spin"), "1500");
  type_into_spin (PREFS_FORM (prefs, "timeout_spin"), "6000");
  g_assert_cmpint (gtk_spin_button_get_value_as_int (SERVER_FORM (open, "interval_spin")), ==, 10000);
  fresh = hb_server_window_new (GTK_APPLICATION (app));
  gtk_window_present (GTK_WINDOW (fresh));
  g_assert_cmpint (gtk_spin_button_get_value_as_int (SERVER_FORM (fresh, "interval_spin")), ==, 1500);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (SERVER_FORM (fresh, "timeout_spin")), ==, 6000);

  /* The same check in both: a timeout no longer than the interval is
   * flagged in the window where it is typed, and only there. */
  gtk_spin_button_set_value (SERVER_FORM (fresh, "timeout_spin"), 1500);
  g_assert_true (gtk_widget_get_visible (SERVER_FORM (fresh, "timeout_warning")));
  g_assert_false (gtk_widget_get_visible (PREFS_FORM (prefs, "timeout_warning")));
  gtk_spin_button_set_value (SERVER_FORM (fresh, "timeout_spin"), 7000);
  g_assert_false (gtk_widget_get_visible (SERVER_FORM (fresh, "timeout_warning")));
  g_assert_cmpint (gtk_spin_button_get_value_as_int (PREFS_FORM (prefs, "timeout_spin")), ==, 6000);

  /* What a server window starts with is remembered: Preferences shows it. */
  gtk_drop_down_set_selected (SERVER_FORM (fresh, "protocol_drop"), HB_PROTOCOL_LAB);
  gtk_editable_set_text (child (SERVER_FORM (fresh, "lab_settings"), HB_TYPE_LAB_SETTINGS, "ack_entry"), "pong!");
  g_assert_cmpuint (gtk_drop_down_get_selected (PREFS_FORM (prefs, "protocol_drop")), ==, HB_PROTOCOL_LINE);
  g_assert_true (hb_server_window_start (fresh));
  g_assert_cmpuint (gtk_drop_down_get_selected (PREFS_FORM (prefs, "protocol_drop")), ==, HB_PROTOCOL_LAB);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (PREFS_FORM (prefs, "timeout_spin")), ==, 7000);
  g_assert_cmpstr (gtk_editable_get_text (child (PREFS_FORM (prefs, "lab_settings"), HB_TYPE_LAB_SETTINGS, "ack_entry")),
                   ==, "pong!");
  protocol = g_settings_get_string (settings, "server-protocol");
  g_assert_cmpstr (protocol, ==, "lab");
  /* The other window still has its own. */
  g_assert_cmpuint (gtk_drop_down_get_selected (SERVER_FORM (open, "protocol_drop")), ==, HB_PROTOCOL_LINE);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (SERVER_FORM (open, "timeout_spin")), ==, 30000);

  close_all (GTK_APPLICATION (app));
  g_settings_reset (settings, "server-protocol");
  g_settings_reset (settings, "lab-ack");
  g_settings_reset (settings, "interval-ms");
  g_settings_reset (settings, "timeout-ms");
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  hb_test_fatal_warnings_except_known ();

  g_test_add_func ("/gui/preferences/menus-and-shortcut", test_menus_and_shortcut);
  g_test_add_func ("/gui/preferences/style", test_style);
  g_test_add_func ("/gui/preferences/server-and-client", test_server_and_client_settings);
  g_test_add_func ("/gui/preferences/heartbeat-timeout", test_heartbeat_timeout);
  g_test_add_func ("/gui/preferences/lab-protocol", test_lab_protocol);
  g_test_add_func ("/gui/preferences/one-server-form", test_one_server_form);

  return g_test_run ();
}
