/* hb-server-window-capture.c - the server console's live capture of its port, and the timelines it opens
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "hb-server-window-private.h"
#include "hb-timeline-window.h"

/* ---------------------------------------------------------------------- */
/* Live capture of the server's port                                       */

static void
on_capture_state (HbCaptureSession *session,
                  GParamSpec       *pspec,
                  HbServerWindow   *self)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "capture");
  gboolean active = hb_capture_session_is_active (session);

  g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_boolean (active));
  if (hb_capture_session_get_state (session) == HB_CAPTURE_SESSION_FAILED)
    {
      g_autofree char *text = g_strdup_printf (_("Live capture is not possible: %s"),
                                               hb_capture_session_get_message (session));

      hb_server_window_show_error (self, text);
      hb_server_window_log_add (self, HB_LOG_ERROR, NULL, text);
    }
  else if (hb_capture_session_get_state (session) == HB_CAPTURE_SESSION_RUNNING)
    hb_server_window_log_add (self, HB_LOG_INFO, NULL,
                              _("Capturing packets: the timeline of every client that connects from now on shows its handshake"));
  hb_server_window_update_status (self);
}

/* Watches the capture of the server's port from the moment it listens,
 * whoever starts it (this window, or a timeline of one of its clients),
 * so that the Capture button always says whether packets are captured. */
void
hb_server_window_capture_attach (HbServerWindow *self)
{
  if (self->capture != NULL || !hb_server_get_listening (self->server))
    return;
  self->capture = hb_capture_session_get_for_port (hb_server_get_port (self->server));
  hb_capture_session_hold (self->capture);
  g_signal_connect (self->capture, "notify::state", G_CALLBACK (on_capture_state), self);
  if (hb_capture_session_is_active (self->capture))
    on_capture_state (self->capture, NULL, self);
}

void
hb_server_window_capture_stop (HbServerWindow *self)
{
  if (self->capture == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->capture, self);
  /* For every window showing it, not just this one's hold. */
  hb_capture_session_stop (self->capture);
  hb_capture_session_release (self->capture);
  g_clear_object (&self->capture);
  g_simple_action_set_state (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "capture")),
                             g_variant_new_boolean (FALSE));
  hb_server_window_update_status (self);
}

void
hb_server_window_capture_change_state (GSimpleAction *action,
                      GVariant      *state,
                      gpointer       user_data)
{
  HbServerWindow *self = user_data;
  const char *addr = hb_server_get_address (self->server);
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (addr);

  if (!g_variant_get_boolean (state))
    {
      /* For every window showing it; this window keeps watching. */
      if (self->capture != NULL)
        hb_capture_session_stop (self->capture);
      g_simple_action_set_state (action, g_variant_new_boolean (FALSE));
      hb_server_window_update_status (self);
      return;
    }
  if (!hb_server_get_listening (self->server))
    return;
  gtk_revealer_set_reveal_child (self->error_revealer, FALSE);
  hb_server_window_capture_attach (self);
  /* Loopback traffic is on lo; a server on all interfaces may see any. */
  hb_capture_session_start (self->capture, inet != NULL && g_inet_address_get_is_loopback (inet) ? "lo" : "any");
  on_capture_state (self->capture, NULL, self);
}

static void
open_timeline (HbServerWindow *self,
               HbConnection   *conn)
{
  const char *addr = hb_server_get_address (self->server);
  g_autofree char *client = hb_connection_get_name (conn) ?
                            g_strdup_printf ("%s (%s)", hb_connection_get_name (conn), hb_connection_get_peer (conn)) :
                            g_strdup (hb_connection_get_peer (conn));
  g_autofree char *server = hb_format_endpoint (addr, hb_server_get_port (self->server));

  /* A second click presents the connection's window rather than a twin. */
  hb_timeline_window_open (gtk_window_get_application (GTK_WINDOW (self)), hb_connection_get_timeline (conn), FALSE,
                           hb_connection_get_socket (conn), client, server);
}

static void
show_timeline_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  HbServerWindow *self = HB_SERVER_WINDOW (widget);
  g_autoptr(GPtrArray) conns = hb_server_window_selected_connections (self);

  if (conns->len == 0)
    {
      hb_server_window_show_error (self, _("Select a client in the list first, then open its timeline."));
      return;
    }
  open_timeline (self, g_ptr_array_index (conns, 0));
}

/* Every connection captured on the server's port, those that have left
 * included (their rows are gone, their teardown is not): written to a
 * pcap file and opened as one, to choose a connection from. */
static void
show_captured_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  HbServerWindow *self = HB_SERVER_WINDOW (widget);
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "heartbeat-lab", NULL);
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autofree char *title = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  HbTimelineWindow *win;

  if (self->capture == NULL || hb_capture_session_get_conversations (self->capture)->len == 0)
    {
      hb_server_window_show_error (self, _("Nothing has been captured yet: press Capture, then let clients connect."));
      return;
    }
  name = g_strdup_printf ("captured-port-%u.pcap", hb_capture_session_get_port (self->capture));
  path = g_build_filename (dir, name, NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s", dir, g_strerror (errno));
  if (error != NULL || !hb_capture_session_write (self->capture, path, &error))
    {
      hb_server_window_show_error (self, error->message);
      return;
    }
  file = g_file_new_for_path (path);
  win = hb_timeline_window_new_for_live_capture (gtk_window_get_application (GTK_WINDOW (self)), file,
                                                 hb_capture_session_get_port (self->capture));
  /* Read whole: the file was only the way in. */
  g_unlink (path);
  title = g_strdup_printf (_("Timeline: everything captured on port %u"), hb_capture_session_get_port (self->capture));
  gtk_window_set_title (GTK_WINDOW (win), title);
  gtk_window_present (GTK_WINDOW (win));
}

void
hb_server_window_on_row_activate (GtkColumnView  *view,
                 guint           position,
                 HbServerWindow *self)
{
  g_autoptr(HbConnection) conn = g_list_model_get_item (G_LIST_MODEL (self->selection), position);

  if (conn != NULL)
    open_timeline (self, conn);
}


void
hb_server_window_capture_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.show-timeline", NULL, show_timeline_action);
  gtk_widget_class_install_action (widget_class, "win.show-captured", NULL, show_captured_action);
}
