/* hb-client-window-actions.c - what the user does in a client window: connect, send, break the connection, reuse a server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "hb-client-stream.h"
#include "hb-client-window-private.h"
#include "hb-recent-servers.h"
#include "hb-timeline-window.h"

/* ---------------------------------------------------------------------- */
/* Recent servers                                                          */

void
hb_client_window_rebuild_recent_menu (HbClientWindow *self)
{
  g_autoptr(GMenuModel) menu = hb_recent_servers_menu (self->settings, "win.use-recent");

  gtk_menu_button_set_menu_model (self->recent_button, menu);
  gtk_widget_set_sensitive (GTK_WIDGET (self->recent_button), g_menu_model_get_n_items (menu) > 0);
}

static void
use_recent_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  HbClientWindow *self = HB_CLIENT_WINDOW (widget);
  const char *text = g_variant_get_string (param, NULL);
  g_autofree char *host = NULL;
  guint16 port = 0;
  g_autoptr(GSocketConnectable) addr = g_network_address_parse (text, 12001, NULL);

  if (addr == NULL)
    return;
  host = g_strdup (g_network_address_get_hostname (G_NETWORK_ADDRESS (addr)));
  port = g_network_address_get_port (G_NETWORK_ADDRESS (addr));
  hb_client_window_set_target (self, host, port, NULL);
}

/* ---------------------------------------------------------------------- */
/* Actions                                                                 */

static void
toggle_connection_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *param)
{
  HbClientWindow *self = HB_CLIENT_WINDOW (widget);

  if (hb_client_get_state (self->client) == HB_CLIENT_DISCONNECTED)
    hb_client_window_connect (self);
  else
    hb_client_disconnect (self->client);
}

/* In the lab's protocol and raw TCP what goes out is bytes. */
static gboolean
send_bytes (HbClientWindow *self,
            const char     *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HbLogEntry) entry = hb_client_send_typed (self->client, text,
                                                      gtk_toggle_button_get_active (self->hex_toggle), &error);

  if (entry == NULL)
    {
      if (error != NULL)
        {
          hb_client_window_flag_message (self, TRUE);
          hb_client_window_note (self, HB_LOG_ERROR, error->message);
        }
      return FALSE;
    }
  hb_log_view_append (self->conversation, entry);
  return TRUE;
}

static void
send_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  HbClientWindow *self = HB_CLIENT_WINDOW (widget);
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->message_entry));
  gboolean sent;

  if (text == NULL || *text == '\0')
    return;
  if (hb_client_get_protocol (self->client) != HB_PROTOCOL_LINE)
    sent = send_bytes (self, text);
  else if ((sent = hb_client_send_message (self->client, text)))
    hb_client_window_say (self, HB_LOG_OWN, NULL, text);
  if (sent)
    {
      hb_client_window_flag_message (self, FALSE);
      gtk_editable_set_text (GTK_EDITABLE (self->message_entry), "");
    }
}

static void
abort_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  hb_client_abort (HB_CLIENT_WINDOW (widget)->client);
}

static void
half_close_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  HbClientWindow *self = HB_CLIENT_WINDOW (widget);

  hb_client_window_note (self, HB_LOG_INFO, _("Half-close: FIN sent, still reading"));
  hb_client_half_close (self->client);
}

static void
show_timeline_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  HbClientWindow *self = HB_CLIENT_WINDOW (widget);
  const char *name = hb_client_get_name (self->client);
  const char *host = hb_client_get_host (self->client);
  g_autofree char *server = hb_format_endpoint (host, hb_client_get_port (self->client));

  /* The ladder (and its export) names the client as the server knows it;
   * the timeline's status line says whose record this is. */
  hb_timeline_window_open_for_client (gtk_window_get_application (GTK_WINDOW (self)), self->client,
                                      name ? name : _("client"), server);
}

static void
on_entry_activate (HbClientWindow *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "win.send", NULL);
}

/* Enter in a connection field is the form's default action, Connect. It
 * never disconnects: the fields only take input while disconnected. */
void
hb_client_window_on_target_activate (HbClientWindow *self)
{
  if (hb_client_get_state (self->client) == HB_CLIENT_DISCONNECTED)
    hb_client_window_connect (self);
}

void
hb_client_window_actions_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.toggle-connection", NULL, toggle_connection_action);
  gtk_widget_class_install_action (widget_class, "win.send", NULL, send_action);
  gtk_widget_class_install_action (widget_class, "win.abort", NULL, abort_action);
  gtk_widget_class_install_action (widget_class, "win.half-close", NULL, half_close_action);
  gtk_widget_class_install_action (widget_class, "win.use-recent", "s", use_recent_action);
  gtk_widget_class_install_action (widget_class, "win.show-timeline", NULL, show_timeline_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_t, GDK_CONTROL_MASK, "win.show-timeline", NULL);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_l, GDK_CONTROL_MASK, "win.toggle-connection", NULL);

  gtk_widget_class_bind_template_callback (widget_class, on_entry_activate);
  gtk_widget_class_bind_template_callback_full (widget_class, "on_target_activate",
                                                G_CALLBACK (hb_client_window_on_target_activate));
}
