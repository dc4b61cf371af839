/* hb-recent-servers.c - the servers the client windows connected to lately, newest first, as host:port
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "heartbeat-lab.h"
#include "hb-recent-servers.h"

#define RECENT_MAX 8

void
hb_recent_servers_remember (GSettings  *settings,
                            const char *host,
                            guint       port)
{
  g_auto(GStrv) old = g_settings_get_strv (settings, "recent-servers");
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
  g_settings_set_strv (settings, "recent-servers", (const char * const *) list);
}

GMenuModel *
hb_recent_servers_menu (GSettings  *settings,
                        const char *action)
{
  g_auto(GStrv) recent = g_settings_get_strv (settings, "recent-servers");
  GMenu *menu = g_menu_new ();

  for (guint i = 0; recent[i] != NULL; i++)
    {
      g_autoptr(GMenuItem) item = g_menu_item_new (recent[i], NULL);

      g_menu_item_set_action_and_target_value (item, action, g_variant_new_string (recent[i]));
      g_menu_append_item (menu, item);
    }
  return G_MENU_MODEL (menu);
}
