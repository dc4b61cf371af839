/* hb-farewell.c - servers and clients whose window closed, kept until they have said goodbye
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A window that owns a server or a client used to drop it as it closed:
 * the object was disposed at once, its sockets closed with their BYE still
 * queued, unread bytes made the kernel send RST, and the process could
 * exit before anything was written. Here the object lives on, on the same
 * main loop, until its graceful close has finished or timed out.
 */

#include "config.h"

#include <gio/gio.h>

#include "hb-farewell.h"

static guint pending;

static void
hold (void)
{
  GApplication *app = g_application_get_default ();

  pending++;
  if (app != NULL)
    g_application_hold (app);
}

static void
release (void)
{
  GApplication *app = g_application_get_default ();

  pending--;
  if (app != NULL)
    g_application_release (app);
}

static void
server_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  hb_server_shutdown_finish (HB_SERVER (source), result, NULL);
  release ();
}

void
hb_farewell_server (HbServer *server)
{
  g_return_if_fail (HB_IS_SERVER (server));

  hold ();
  /* The task holds the server until it completes. */
  hb_server_shutdown_async (server, HB_DEFAULT_DRAIN_MS, NULL, server_done, NULL);
}

static void
client_done (HbClient *client)
{
  g_signal_handlers_disconnect_by_func (client, client_done, NULL);
  g_object_unref (client);
  release ();
}

static void
client_state (HbClient   *client,
              GParamSpec *pspec,
              gpointer    user_data)
{
  if (hb_client_get_state (client) == HB_CLIENT_DISCONNECTED)
    client_done (client);
}

void
hb_farewell_client (HbClient *client)
{
  g_return_if_fail (HB_IS_CLIENT (client));

  if (hb_client_get_state (client) == HB_CLIENT_DISCONNECTED)
    return;
  hold ();
  g_object_ref (client);
  g_signal_connect (client, "notify::state", G_CALLBACK (client_state), NULL);
  /* BYE and FIN, then at most 2 s for the server's FIN; no reconnect.
   * Its end, now or later, releases it (client_state()). */
  hb_client_disconnect (client);
}

guint
hb_farewell_pending (void)
{
  return pending;
}
