/* hb-application.c - the Heartbeat Lab application: windows, app-wide actions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "hb-application.h"
#include "hb-client-window.h"
#include "hb-server-window.h"
#include "hb-style.h"
#include "hb-timeline-window.h"

struct _HbApplication
{
  GtkApplication parent_instance;
  gboolean       demo;
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

static int
hb_application_handle_local_options (GApplication *app,
                                     GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("heartbeat-lab %s\n", PACKAGE_VERSION);
      return 0;
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
quit_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  GApplication *app = user_data;
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (app));

  /* Closing each window stops its server gracefully (BYE shutdown). */
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
  static const char *developers[] = { "The Heartbeat Lab developers", NULL };

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
  { .name = "new-client", .activate = new_client_action },
  { .name = "new-server", .activate = new_server_action },
  { .name = "open-capture", .activate = open_capture_action },
};

static void
hb_application_startup (GApplication *app)
{
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *close_accels[] = { "<Control>w", NULL };
  static const char *new_client_accels[] = { "<Control>n", NULL };
  static const char *open_capture_accels[] = { "<Control>o", NULL };

  G_APPLICATION_CLASS (hb_application_parent_class)->startup (app);

  hb_load_style ();
  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions), app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "window.close", close_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.new-client", new_client_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.open-capture", open_capture_accels);
}

static void
hb_application_shutdown (GApplication *app)
{
  /* No capture tool outlives the application. */
  hb_capture_session_stop_all ();
  G_APPLICATION_CLASS (hb_application_parent_class)->shutdown (app);
}

static void
hb_application_class_init (HbApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = hb_application_activate;
  app_class->open = hb_application_open;
  app_class->shutdown = hb_application_shutdown;
  app_class->handle_local_options = hb_application_handle_local_options;
  app_class->startup = hb_application_startup;
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
