/* hb-application.c - the Heartbeat Lab application: windows, app-wide actions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>

#include "hb-application.h"
#include "hb-client-window.h"
#include "hb-preferences-window.h"
#include "hb-server-window.h"
#include "hb-renderer.h"
#include "hb-style.h"
#include "hb-timeline-window.h"

struct _HbApplication
{
  GtkApplication       parent_instance;
  gboolean             demo;

  GSettings           *settings;
  GCancellable        *cancellable;
  GDBusConnection     *session_bus;
  guint                portal_changed_id;
  gboolean             system_prefers_dark;   /* what "follow the system" means now */
  HbPreferencesWindow *preferences;           /* weak */
  guint                sigint_id;
  guint                sigterm_id;
};

G_DEFINE_FINAL_TYPE (HbApplication, hb_application, GTK_TYPE_APPLICATION)

/* The server a new client window should aim at: a listening server
 * window of ours if there is one. */
static HbServer *
find_listening_server (GtkApplication *app)
{
  for (GList *l = gtk_application_get_windows (app); l != NULL; l = l->next)
    if (HB_IS_SERVER_WINDOW (l->data) &&
        hb_server_get_listening (hb_server_window_get_server (l->data)))
      return hb_server_window_get_server (l->data);
  return NULL;
}

static HbClientWindow *
open_client (GtkApplication *app,
             const char     *name,
             gboolean        connect)
{
  HbClientWindow *window = hb_client_window_new (app);
  HbServer *server = find_listening_server (app);

  if (server != NULL)
    {
      const char *addr = hb_server_get_address (server);
      gboolean any = g_strcmp0 (addr, "::") == 0 || g_strcmp0 (addr, "0.0.0.0") == 0;

      hb_client_window_set_target (window, any ? "127.0.0.1" : addr, hb_server_get_port (server), name);
    }
  gtk_window_present (GTK_WINDOW (window));
  if (connect)
    hb_client_window_connect (window);
  return window;
}

/* A newcomer sees the whole system at once: a server and two clients. */
static void
start_demo (GtkApplication *app)
{
  HbServerWindow *server = hb_server_window_new (app);

  gtk_window_present (GTK_WINDOW (server));
  if (!hb_server_window_start (server))
    return;  /* the window says why (port in use, ...) */
  open_client (app, "alice", TRUE);
  open_client (app, "bob", TRUE);
}

/* heartbeat-lab FILE.pcap: each file in a timeline window. */
static void
hb_application_open (GApplication  *app,
                     GFile        **files,
                     int            n_files,
                     const char    *hint)
{
  for (int i = 0; i < n_files; i++)
    gtk_window_present (GTK_WINDOW (hb_timeline_window_new_for_file (GTK_APPLICATION (app), files[i])));
}

static void
open_capture_action (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  GtkApplication *app = user_data;
  GtkWindow *parent = gtk_application_get_active_window (app);

  if (parent == NULL)
    {
      parent = GTK_WINDOW (hb_server_window_new (app));
      gtk_window_present (parent);
    }
  hb_timeline_window_choose_capture_file (parent);
}

static void
hb_application_activate (GApplication *app)
{
  HbApplication *self = HB_APPLICATION (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (self->demo && window == NULL)
    {
      start_demo (GTK_APPLICATION (app));
      return;
    }
  if (window == NULL)
    window = GTK_WINDOW (hb_server_window_new (GTK_APPLICATION (app)));
  gtk_window_present (window);
}

/* ---------------------------------------------------------------------- */
/* Light or dark                                                           */

/* GTK 4.8 has no notion of the desktop's colour scheme: libadwaita reads
 * it from the settings portal, and so do we. Without a portal (no
 * session bus, an older desktop), "follow the system" keeps whatever GTK
 * started with (settings.ini, GTK_THEME). */
static void
apply_color_scheme (HbApplication *self)
{
  g_autofree char *scheme = g_settings_get_string (self->settings, "color-scheme");
  GtkSettings *gtk_settings = gtk_settings_get_default ();
  gboolean dark = self->system_prefers_dark;

  if (g_strcmp0 (scheme, "dark") == 0)
    dark = TRUE;
  else if (g_strcmp0 (scheme, "light") == 0)
    dark = FALSE;
  if (gtk_settings != NULL)
    g_object_set (gtk_settings, "gtk-application-prefer-dark-theme", dark, NULL);
}

/* org.freedesktop.appearance color-scheme: 0 no preference, 1 prefer
 * dark, 2 prefer light. */
static void
take_portal_scheme (HbApplication *self,
                    GVariant      *value)
{
  g_autoptr(GVariant) inner = g_variant_ref (value);

  /* Read() wraps the value in one variant more than ReadOne() does. */
  while (g_variant_is_of_type (inner, G_VARIANT_TYPE_VARIANT))
    {
      GVariant *v = g_variant_get_variant (inner);

      g_variant_unref (inner);
      inner = v;
    }
  if (!g_variant_is_of_type (inner, G_VARIANT_TYPE_UINT32))
    return;
  self->system_prefers_dark = g_variant_get_uint32 (inner) == 1;
  apply_color_scheme (self);
}

static void
on_portal_setting_changed (GDBusConnection *connection,
                           const char      *sender,
                           const char      *path,
                           const char      *interface,
                           const char      *signal,
                           GVariant        *params,
                           gpointer         user_data)
{
  const char *ns = NULL, *key = NULL;
  g_autoptr(GVariant) value = NULL;

  if (!g_variant_is_of_type (params, G_VARIANT_TYPE ("(ssv)")))
    return;
  g_variant_get (params, "(&s&sv)", &ns, &key, &value);
  if (g_strcmp0 (ns, "org.freedesktop.appearance") == 0 && g_strcmp0 (key, "color-scheme") == 0)
    take_portal_scheme (HB_APPLICATION (user_data), value);
}

static void
portal_read_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(HbApplication) self = user_data;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, NULL);
  g_autoptr(GVariant) value = NULL;

  /* No portal, or one without the key: nothing to follow. */
  if (reply == NULL || !g_variant_is_of_type (reply, G_VARIANT_TYPE ("(v)")))
    return;
  g_variant_get (reply, "(v)", &value);
  take_portal_scheme (self, value);
}

static void
session_bus_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(HbApplication) self = user_data;
  g_autoptr(GDBusConnection) bus = g_bus_get_finish (result, NULL);

  if (bus == NULL || g_cancellable_is_cancelled (self->cancellable))
    return;
  self->session_bus = g_steal_pointer (&bus);
  self->portal_changed_id =
    g_dbus_connection_signal_subscribe (self->session_bus, "org.freedesktop.portal.Desktop",
                                        "org.freedesktop.portal.Settings", "SettingChanged",
                                        "/org/freedesktop/portal/desktop", "org.freedesktop.appearance",
                                        G_DBUS_SIGNAL_FLAGS_NONE, on_portal_setting_changed, self, NULL);
  g_dbus_connection_call (self->session_bus, "org.freedesktop.portal.Desktop",
                          "/org/freedesktop/portal/desktop", "org.freedesktop.portal.Settings",
                          "Read", g_variant_new ("(ss)", "org.freedesktop.appearance", "color-scheme"),
                          G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, 2000,
                          self->cancellable, portal_read_cb, g_object_ref (self));
}

static void
follow_color_scheme (HbApplication *self)
{
  GtkSettings *gtk_settings = gtk_settings_get_default ();

  if (gtk_settings != NULL)
    g_object_get (gtk_settings, "gtk-application-prefer-dark-theme", &self->system_prefers_dark, NULL);
  self->settings = g_settings_new (APP_ID);
  self->cancellable = g_cancellable_new ();
  g_signal_connect_swapped (self->settings, "changed::color-scheme", G_CALLBACK (apply_color_scheme), self);
  apply_color_scheme (self);
  /* Only the system's choice needs the bus; GLib answers at once when
   * DBUS_SESSION_BUS_ADDRESS is unset. */
  g_bus_get (G_BUS_TYPE_SESSION, self->cancellable, session_bus_cb, g_object_ref (self));
}

static int
hb_application_handle_local_options (GApplication *app,
                                     GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("heartbeat-lab %s\n", PACKAGE_VERSION);
      return 0;
    }
  /* Without its settings schema GLib would abort at the first window. */
  {
    GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
    g_autoptr(GSettingsSchema) schema = source ? g_settings_schema_source_lookup (source, APP_ID, TRUE) : NULL;

    if (schema == NULL)
      {
        /* Translators: %s is the schema's id, org.heartbeatlab.HeartbeatLab */
        g_printerr (_("heartbeat-lab: the settings schema %s is not installed. Install Heartbeat Lab, or run a "
                      "build that is not installed through \"meson devenv -C _build\" (or ./tools/run.sh).\n"),
                    APP_ID);
        return 1;
      }
  }
  HB_APPLICATION (app)->demo = g_variant_dict_contains (options, "demo");
  return -1;
}

static void
new_client_action (GSimpleAction *action,
                   GVariant      *param,
                   gpointer       user_data)
{
  open_client (GTK_APPLICATION (user_data), NULL, FALSE);
}

static void
new_server_action (GSimpleAction *action,
                   GVariant      *param,
                   gpointer       user_data)
{
  gtk_window_present (GTK_WINDOW (hb_server_window_new (GTK_APPLICATION (user_data))));
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *param,
                    gpointer       user_data)
{
  HbApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (self->preferences == NULL)
    {
      self->preferences = hb_preferences_window_new (NULL);
      g_object_add_weak_pointer (G_OBJECT (self->preferences), (gpointer *) &self->preferences);
      gtk_window_set_application (GTK_WINDOW (self->preferences), GTK_APPLICATION (self));
    }
  if (parent != NULL && parent != GTK_WINDOW (self->preferences))
    gtk_window_set_transient_for (GTK_WINDOW (self->preferences), parent);
  gtk_window_present (GTK_WINDOW (self->preferences));
}

static void
quit_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  GApplication *app = user_data;
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (app));

  /* Closing each window hands its server or client to hb-farewell: BYE
   * shutdown (or BYE) and FIN, at most 2 s for the peers' FINs, while the
   * application is held; it exits when the last goodbye is done. */
  for (GList *l = windows; l != NULL; )
    {
      GList *next = l->next;

      gtk_window_destroy (GTK_WINDOW (l->data));
      l = next;
    }
}

static void
about_action (GSimpleAction *action,
              GVariant      *param,
              gpointer       user_data)
{
  GtkApplication *app = user_data;
  const char *developers[] = { _("The Heartbeat Lab developers"), NULL };

  gtk_show_about_dialog (gtk_application_get_active_window (app),
                         "program-name", _("Heartbeat Lab"),
                         "logo-icon-name", APP_ID,
                         "version", PACKAGE_VERSION,
                         "comments", _("See and teach how a TCP conversation lives: handshake, heartbeats, messages and teardown."),
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "authors", developers,
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static const GActionEntry app_actions[] = {
  { .name = "quit", .activate = quit_action },
  { .name = "about", .activate = about_action },
  { .name = "preferences", .activate = preferences_action },
  { .name = "new-client", .activate = new_client_action },
  { .name = "new-server", .activate = new_server_action },
  { .name = "open-capture", .activate = open_capture_action },
};

/* SIGINT and SIGTERM (a terminal's Ctrl+C, a session ending) quit the
 * way Ctrl+Q does: every connection says goodbye before the process goes. */
static gboolean
on_unix_signal (gpointer user_data)
{
  g_action_group_activate_action (G_ACTION_GROUP (user_data), "quit", NULL);
  return G_SOURCE_CONTINUE;
}

static void
hb_application_startup (GApplication *app)
{
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *close_accels[] = { "<Control>w", NULL };
  static const char *new_client_accels[] = { "<Control>n", NULL };
  static const char *open_capture_accels[] = { "<Control>o", NULL };
  static const char *preferences_accels[] = { "<Control>comma", NULL };

  G_APPLICATION_CLASS (hb_application_parent_class)->startup (app);

  /* Before any window: cairo where OpenGL is a software rasteriser. */
  g_free (hb_renderer_choose (gdk_display_get_default ()));
  hb_load_style ();
  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions), app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "window.close", close_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.new-client", new_client_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.open-capture", open_capture_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.preferences", preferences_accels);
  follow_color_scheme (HB_APPLICATION (app));
  HB_APPLICATION (app)->sigint_id = g_unix_signal_add (SIGINT, on_unix_signal, app);
  HB_APPLICATION (app)->sigterm_id = g_unix_signal_add (SIGTERM, on_unix_signal, app);
}

static void
hb_application_shutdown (GApplication *app)
{
  HbApplication *self = HB_APPLICATION (app);

  /* No capture tool outlives the application. */
  hb_capture_session_stop_all ();
  g_clear_handle_id (&self->sigint_id, g_source_remove);
  g_clear_handle_id (&self->sigterm_id, g_source_remove);

  g_cancellable_cancel (self->cancellable);
  if (self->portal_changed_id != 0)
    g_dbus_connection_signal_unsubscribe (self->session_bus, self->portal_changed_id);
  self->portal_changed_id = 0;
  G_APPLICATION_CLASS (hb_application_parent_class)->shutdown (app);
}

static void
hb_application_dispose (GObject *object)
{
  HbApplication *self = HB_APPLICATION (object);

  if (self->portal_changed_id != 0)
    g_dbus_connection_signal_unsubscribe (self->session_bus, self->portal_changed_id);
  self->portal_changed_id = 0;
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->session_bus);
  G_OBJECT_CLASS (hb_application_parent_class)->dispose (object);
}

static void
hb_application_class_init (HbApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = hb_application_dispose;
  app_class->activate = hb_application_activate;
  app_class->open = hb_application_open;
  app_class->handle_local_options = hb_application_handle_local_options;
  app_class->startup = hb_application_startup;
  app_class->shutdown = hb_application_shutdown;
}

static void
hb_application_init (HbApplication *self)
{
  static const GOptionEntry options[] = {
    { "demo", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("Open a server on 127.0.0.1 and two clients connected to it"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Show the version and exit"), NULL },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), options);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("See and teach how a TCP conversation lives."));
}

HbApplication *
hb_application_new (void)
{
  return g_object_new (HB_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_NON_UNIQUE | G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/org/heartbeatlab/HeartbeatLab",
                       NULL);
}
