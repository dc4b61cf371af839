/* hb-timeline-window-tcp-info.c - the kernel's view of a timeline window's socket, and its changes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "hb-timeline-window-private.h"

void
hb_timeline_window_remember_addresses (HbTimelineWindow *self)
{
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocketAddress) remote = NULL;

  if (self->socket == NULL)
    return;
  local = g_socket_get_local_address (self->socket, NULL);
  remote = g_socket_get_remote_address (self->socket, NULL);
  if (!G_IS_INET_SOCKET_ADDRESS (local) || !G_IS_INET_SOCKET_ADDRESS (remote))
    return;
  self->local_ip = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local)));
  self->remote_ip = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));
  self->local_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  self->remote_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote));
}

/* A change of the kernel's state of this program's socket becomes a note
 * on this program's lifeline. Polled, so a state that lasts less than a
 * poll (FIN_WAIT1 on loopback) may be missed; the polls come faster
 * while the connection closes. */
static void
note_state (HbTimelineWindow *self,
            HbTcpState        state)
{
  GListModel *model = G_LIST_MODEL (self->segments);
  guint n = g_list_model_get_n_items (model);
  g_autoptr(HbSegment) last = n > 0 ? g_list_model_get_item (model, n - 1) : NULL;
  g_autoptr(HbSegment) note = NULL;
  g_autofree char *label = NULL;
  g_autofree char *info = NULL;
  gint64 time_us;
  HbTcpPhase phase;
  gboolean first;

  if (state == HB_TCP_UNKNOWN || state == self->tcp_state)
    return;
  first = self->tcp_state == HB_TCP_UNKNOWN;
  self->tcp_state = state;
  /* Changes only: the state found on opening is in the panel. */
  if (n == 0 || first)
    return;

  /* Captured packets count from their first one, in wall time; the
   * application's record from its first event, in monotonic time. */
  if (hb_segment_model_get_conversation (self->segments) != NULL)
    time_us = g_get_real_time () - hb_segment_model_get_origin (self->segments);
  else
    time_us = g_get_monotonic_time () - self->origin_mono;
  time_us = MAX (time_us, hb_segment_get_time (last));
  phase = state == HB_TCP_ESTABLISHED ? hb_segment_get_phase (last) : HB_TCP_PHASE_TEARDOWN;
  label = g_strdup (hb_tcp_state_to_string (state));
  info = g_strdup_printf (self->client_side ? _("The kernel now holds the client's socket (this program's) in %s")
                                            : _("The kernel now holds the server's socket (this program's) in %s"),
                          label);
  note = hb_segment_new_note (time_us, self->client_side, phase, label, info);
  hb_segment_set_endpoints (note, self->client_side ? self->client_label : self->server_label, "");
  hb_segment_model_append (self->segments, note);
}

gboolean
hb_timeline_window_update_tcp (gpointer data)
{
  HbTimelineWindow *self = data;
  HbTcpInfo info;
  g_autofree char *text = NULL;
  HbTcpState state = HB_TCP_UNKNOWN;

  if (self->socket != NULL && !g_socket_is_closed (self->socket) &&
      hb_tcp_info_query (g_socket_get_fd (self->socket), &info, NULL))
    {
      /* Whose socket: the window shows one end of the connection. */
      g_autofree char *whose = self->client_side
        ? g_strdup_printf (_("The client's socket (%s, in this program)"), self->client_label)
        : g_strdup_printf (_("The server's socket for %s (in this program)"), self->client_label);

      state = info.state;
      text = hb_lesson_tcp_info (&info, whose);
    }
  else if (self->local_ip != NULL)
    {
      state = hb_tcp_state_lookup (self->local_ip, self->local_port, self->remote_ip, self->remote_port);
      text = hb_lesson_closed_socket (state);
    }
  else
    text = g_strdup (_("No socket of this program to ask."));

  gtk_label_set_text (self->tcp_label, text);
  note_state (self, state);
  return G_SOURCE_CONTINUE;
}

gboolean
hb_timeline_window_update_tcp_fast (gpointer data)
{
  HbTimelineWindow *self = data;

  hb_timeline_window_update_tcp (self);
  if (++self->fast_polls < 60)
    return G_SOURCE_CONTINUE;
  self->fast_timer = 0;
  return G_SOURCE_REMOVE;
}
