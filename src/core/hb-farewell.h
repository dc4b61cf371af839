/* hb-farewell.h - servers and clients whose window closed, kept until they have said goodbye
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "hb-client.h"
#include "hb-server.h"

G_BEGIN_DECLS

/* Takes over @server from an owner that is going away (a window being
 * closed, an application quitting): it says BYE shutdown to every client,
 * sends FIN, waits up to 2 s for their FINs, and only then is released.
 * Meanwhile the default GApplication, if any, is held, so the process
 * does not exit (and reset the connections) before the goodbyes are done. */
void   hb_farewell_server   (HbServer *server);
/* The same for a client: BYE (in the line protocol) and FIN, at most 2 s. */
void   hb_farewell_client   (HbClient *client);
/* How many are still saying goodbye. */
guint  hb_farewell_pending  (void);

G_END_DECLS
