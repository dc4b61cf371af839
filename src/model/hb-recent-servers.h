/* hb-recent-servers.h - the servers the client windows connected to lately, newest first, as host:port
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Puts @host:@port first in the recent-servers key, once, keeping eight. */
void        hb_recent_servers_remember (GSettings  *settings,
                                        const char *host,
                                        guint       port);
/* A menu of them, each item @action with its host:port as target. */
GMenuModel *hb_recent_servers_menu     (GSettings  *settings,
                                        const char *action);

G_END_DECLS
