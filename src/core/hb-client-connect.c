/* hb-client-connect.c - connecting, ending and reconnecting with backoff
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <sys/socket.h>

#include <glib/gi18n-lib.h>

#include "hb-client-private.h"

#define CLIENT_MAX_LINE     (64 * 1024)
#define LINGER_MS           2000
/* Bytes read per wake-up: a server flooding PINGs must not make one pass
 * of the loop so long that the 2 s bound on our close is late. */
#define CLIENT_READ_BUDGET  (16 * 1024)

/* Starts our graceful close: FIN after what is queued, then wait a while
 * for the server's. */
void
_hb_client_close_channel (HbClient    *self,
                          HbByeReason  reason,
                          HbInitiator  initiator)
{
  if (!self->have_reason)
    {
      self->have_reason = TRUE;
      self->end_reason = reason;
      self->end_initiator = initiator;
    }
  if (self->channel == NULL)
    return;
  hb_channel_close (self->channel);
  if (self->channel != NULL && hb_channel_is_open (self->channel) && self->linger_id == 0)
    self->linger_id = g_timeout_add (LINGER_MS, (GSourceFunc) (void (*) (void)) hb_channel_expire,
                                     self->channel);
}

static guint
next_backoff (HbClient *self)
{
  guint64 d = self->reconnect_min_ms;

  for (guint i = 0; i < self->attempt && d < self->reconnect_max_ms; i++)
    d *= 2;
  d = MIN (d, self->reconnect_max_ms);
  /* Equal jitter: half fixed, half random, so a classroom of clients does
   * not come back in one burst after a server restart. */
  return (guint) (d / 2 + g_random_int_range (0, (gint32) MAX (d / 2, 1) + 1));
}

static gboolean
reconnect_cb (gpointer user_data)
{
  HbClient *self = user_data;

  self->reconnect_id = 0;
  self->reconnect_delay_ms = 0;
  _hb_client_notify (self, PROP_RECONNECT_DELAY_MS);
  hb_client_connect (self);
  return G_SOURCE_REMOVE;
}

static gboolean
may_reconnect (HbByeReason reason)
{
  return reason != HB_BYE_USER && reason != HB_BYE_ABORTED && reason != HB_BYE_KICKED;
}

/* The one place a connection (or an attempt) ends. */
void
_hb_client_ended (HbClient    *self,
                  HbByeReason  reason,
                  HbInitiator  initiator,
                  const char  *detail)
{
  /* Handlers of the signals below may drop the last other reference. */
  G_GNUC_UNUSED g_autoptr(HbClient) hold = g_object_ref (self);

  g_clear_handle_id (&self->linger_id, g_source_remove);
  g_source_set_ready_time (self->dead_timer, -1);
  g_source_set_ready_time (self->flush_timer, -1);
  _hb_client_clear_delayed (self);
  g_clear_pointer (&self->channel, hb_channel_unref);
  g_clear_pointer (&self->scanner, hb_scanner_free);
  self->have_reason = FALSE;
  self->fin_sent_first = FALSE;
  self->peer_fin = FALSE;

  self->disconnect_reason = reason;
  _hb_client_notify (self, PROP_DISCONNECT_REASON);

  if (self->auto_reconnect && may_reconnect (reason) && !self->stopping)
    {
      self->reconnect_delay_ms = next_backoff (self);
      self->attempt++;
      self->reconnect_id = g_timeout_add (self->reconnect_delay_ms, reconnect_cb, self);
      _hb_client_set_state (self, HB_CLIENT_RECONNECTING);
      _hb_client_notify (self, PROP_RECONNECT_DELAY_MS);
      g_signal_emit (self, _hb_client_signals[DISCONNECTED], 0, reason, initiator, detail);
      /* A handler may have called hb_client_disconnect() meanwhile. */
      if (self->reconnect_id != 0)
        g_signal_emit (self, _hb_client_signals[RECONNECTING], 0, self->reconnect_delay_ms, self->attempt);
    }
  else
    {
      _hb_client_set_state (self, HB_CLIENT_DISCONNECTED);
      g_signal_emit (self, _hb_client_signals[DISCONNECTED], 0, reason, initiator, detail);
    }
}

/* The kernel stamps what arrives only once asked: asked before the
 * connection is made, the server's first words (WELCOME) are stamped too.
 * The channel asks again, and learns that it did. */
void
_hb_client_on_socket_client_event (GSocketClient      *socket_client,
                                   GSocketClientEvent  event,
                                   GSocketConnectable *connectable,
                                   GIOStream          *connection,
                                   gpointer            user_data)
{
  GError *error = NULL;

  if (event != G_SOCKET_CLIENT_CONNECTING || !G_IS_SOCKET_CONNECTION (connection))
    return;
  if (!g_socket_set_option (g_socket_connection_get_socket (G_SOCKET_CONNECTION (connection)),
                            SOL_SOCKET, SO_TIMESTAMPNS, TRUE, &error))
    g_clear_error (&error);   /* then what is read is drawn when it was read */
}

void
_hb_client_connect_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(HbClient) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) connection = NULL;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->cancellable);

  if (connection == NULL)
    {
      g_autofree char *detail = NULL;

      detail = g_strdup_printf (strchr (self->host, ':') ? _("cannot connect to [%s]:%u: %s")
                                                         : _("cannot connect to %s:%u: %s"),
                                self->host, self->port, hb_io_error_words (error));
      _hb_client_ended (self, HB_BYE_ERROR, HB_INITIATOR_LOCAL, detail);
      return;
    }

  self->channel = hb_channel_new (self->poller, connection, CLIENT_MAX_LINE, &_hb_client_channel_funcs, self);
  hb_channel_set_read_budget (self->channel, CLIENT_READ_BUDGET);
  /* The record draws what was read when it arrived: with reading switched
   * off, or the program busy, that is long before it was read. */
  hb_channel_set_arrival_stamps (self->channel, TRUE);
  if (!self->reading)
    hb_channel_set_reading (self->channel, FALSE);
  hb_timeline_set_protocol (self->timeline, self->protocol);
  if (self->protocol != HB_PROTOCOL_LINE)
    hb_timeline_set_patterns (self->timeline, self->heartbeat, self->ack, self->encoding);
  if (self->protocol != HB_PROTOCOL_LINE)
    hb_channel_set_framed (self->channel, FALSE);
  if (self->protocol == HB_PROTOCOL_LAB)
    self->scanner = hb_scanner_new (self->heartbeat, self->line_ending);
  hb_timeline_append (self->timeline, HB_EVENT_CONNECT, HB_VERB_UNKNOWN, 0, 0, HB_INITIATOR_LOCAL);
  self->conn_mono = self->answered_mono = g_get_monotonic_time ();
  self->conn_pings = self->answered_seq = 0;
  self->owed_since_mono = 0;
  self->missed = 0;
  self->missed_seq = 0;
  memset (self->seen, 0, sizeof self->seen);
  _hb_client_set_state (self, HB_CLIENT_CONNECTED);
  _hb_client_arm_dead_timer (self);
  if (self->name != NULL && *self->name != '\0' && self->protocol == HB_PROTOCOL_LINE)
    _hb_client_send_line (self, HB_VERB_HELLO, self->name, 0);
}

/**
 * hb_client_connect:
 *
 * Starts connecting. The outcome arrives as notify::state, then either
 * ::welcome or ::disconnected (with the cause in its detail).
 */
void
hb_client_connect (HbClient *self)
{
  g_autoptr(GSocketConnectable) address = NULL;

  g_return_if_fail (HB_IS_CLIENT (self));

  if (self->state == HB_CLIENT_CONNECTING || self->state == HB_CLIENT_CONNECTED)
    return;

  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  self->stopping = FALSE;
  self->client_id = 0;
  self->have_reason = FALSE;
  _hb_client_set_state (self, HB_CLIENT_CONNECTING);

  self->cancellable = g_cancellable_new ();
  address = g_network_address_new (self->host, (guint16) self->port);
  g_socket_client_connect_async (self->socket_client, address, self->cancellable,
                                 _hb_client_connect_cb, g_object_ref (self));
}

void
hb_client_disconnect (HbClient *self)
{
  g_return_if_fail (HB_IS_CLIENT (self));

  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  /* A close already under way for another reason (the server's BYE, its
   * silence) would otherwise still end in a reconnect. */
  self->stopping = TRUE;

  if (self->channel != NULL && hb_channel_is_open (self->channel))
    {
      if (!self->have_reason && self->protocol == HB_PROTOCOL_LINE)
        _hb_client_send_line (self, HB_VERB_BYE, NULL, 0);
      _hb_client_close_channel (self, HB_BYE_USER, HB_INITIATOR_LOCAL);
      return;
    }

  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
    }
  if (self->state != HB_CLIENT_DISCONNECTED)
    _hb_client_ended (self, HB_BYE_USER, HB_INITIATOR_LOCAL, NULL);
}
