/* hb-application.c - the Heartbeat Lab application: windows, app-wide actions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "hb-application.h"
#include "hb-server-window.h"
#include "hb-style.h"

struct _HbApplication
{
  GtkApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (HbApplication, hb_application, GTK_TYPE_APPLICATION)

static void
hb_application_activate (GApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    window = GTK_WINDOW (hb_server_window_new (GTK_APPLICATION (app)));
  gtk_window_present (window);
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
};

static void
hb_application_startup (GApplication *app)
{
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *close_accels[] = { "<Control>w", NULL };

  G_APPLICATION_CLASS (hb_application_parent_class)->startup (app);

  hb_load_style ();
  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions), app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "window.close", close_accels);
}

static void
hb_application_class_init (HbApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = hb_application_activate;
  app_class->startup = hb_application_startup;
}

static void
hb_application_init (HbApplication *self)
{
}

HbApplication *
hb_application_new (void)
{
  return g_object_new (HB_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_NON_UNIQUE,
                       "resource-base-path", "/org/heartbeatlab/HeartbeatLab",
                       NULL);
}
