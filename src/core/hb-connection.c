/* hb-connection.c - one client as the server sees it: the row model of the client list
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HbServer owns the behaviour and writes the fields directly (see
 * hb-connection-private.h); this file gives them a read-only GObject face
 * that a GtkColumnView can bind to. Heartbeat fields are announced as they
 * change; traffic counters once a second, by the server's tick, because a
 * notification per line would cost more than the line.
 */

#include "config.h"

#include "hb-connection-private.h"
#include "hb-enums.h"

G_DEFINE_FINAL_TYPE (HbConnection, hb_connection, G_TYPE_OBJECT)

static guint notify_signal_id;
static GParamSpec *properties[HB_CONNECTION_N_PROPS];

static void
hb_connection_finalize (GObject *object)
{
  HbConnection *self = HB_CONNECTION (object);

  g_free (self->name);
  g_free (self->peer);
  g_clear_pointer (&self->channel, hb_channel_unref);
  g_clear_object (&self->timeline);
  g_clear_pointer (&self->scanner, hb_scanner_free);
  G_OBJECT_CLASS (hb_connection_parent_class)->finalize (object);
}

static void
hb_connection_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  HbConnection *self = HB_CONNECTION (object);

  switch ((HbConnectionProp) prop_id)
    {
    case HB_CONNECTION_PROP_ID:
      g_value_set_uint (value, self->id);
      break;
    case HB_CONNECTION_PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case HB_CONNECTION_PROP_PEER:
      g_value_set_string (value, self->peer);
      break;
    case HB_CONNECTION_PROP_CONNECTED_SINCE:
      g_value_set_int64 (value, self->connected_wall);
      break;
    case HB_CONNECTION_PROP_LAST_PING:
      g_value_set_int64 (value, self->last_ping_wall);
      break;
    case HB_CONNECTION_PROP_LAST_PONG:
      g_value_set_int64 (value, self->last_pong_wall);
      break;
    case HB_CONNECTION_PROP_PINGS_SENT:
      g_value_set_uint64 (value, self->pings_sent);
      break;
    case HB_CONNECTION_PROP_PONGS_RECEIVED:
      g_value_set_uint64 (value, self->pongs_received);
      break;
    case HB_CONNECTION_PROP_RTT_LAST:
      g_value_set_int64 (value, hb_connection_get_rtt_last (self));
      break;
    case HB_CONNECTION_PROP_RTT_MIN:
      g_value_set_int64 (value, hb_connection_get_rtt_min (self));
      break;
    case HB_CONNECTION_PROP_RTT_AVG:
      g_value_set_int64 (value, hb_connection_get_rtt_avg (self));
      break;
    case HB_CONNECTION_PROP_RTT_MAX:
      g_value_set_int64 (value, hb_connection_get_rtt_max (self));
      break;
    case HB_CONNECTION_PROP_MISSED:
      g_value_set_uint (value, self->missed);
      break;
    case HB_CONNECTION_PROP_LIVENESS:
      g_value_set_enum (value, self->liveness);
      break;
    case HB_CONNECTION_PROP_BYTES_IN:
      g_value_set_uint64 (value, hb_connection_get_bytes_in (self));
      break;
    case HB_CONNECTION_PROP_BYTES_OUT:
      g_value_set_uint64 (value, hb_connection_get_bytes_out (self));
      break;
    case HB_CONNECTION_PROP_LINES_IN:
      g_value_set_uint64 (value, self->lines_in);
      break;
    case HB_CONNECTION_PROP_LINES_OUT:
      g_value_set_uint64 (value, self->lines_out);
      break;
    case HB_CONNECTION_PROP_QUEUED:
      g_value_set_uint64 (value, hb_connection_get_queued (self));
      break;
    case HB_CONNECTION_PROP_CLOSING:
      g_value_set_boolean (value, self->closing);
      break;
    case HB_CONNECTION_PROP_TIMELINE:
      g_value_set_object (value, self->timeline);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hb_connection_class_init (HbConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = hb_connection_finalize;
  object_class->get_property = hb_connection_get_property;
  notify_signal_id = g_signal_lookup ("notify", G_TYPE_OBJECT);

  properties[HB_CONNECTION_PROP_ID] =
    g_param_spec_uint ("id", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[HB_CONNECTION_PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[HB_CONNECTION_PROP_PEER] =
    g_param_spec_string ("peer", NULL, NULL, NULL, flags);
  properties[HB_CONNECTION_PROP_CONNECTED_SINCE] =
    g_param_spec_int64 ("connected-since", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[HB_CONNECTION_PROP_LAST_PING] =
    g_param_spec_int64 ("last-ping", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[HB_CONNECTION_PROP_LAST_PONG] =
    g_param_spec_int64 ("last-pong", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[HB_CONNECTION_PROP_PINGS_SENT] =
    g_param_spec_uint64 ("pings-sent", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[HB_CONNECTION_PROP_PONGS_RECEIVED] =
    g_param_spec_uint64 ("pongs-received", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[HB_CONNECTION_PROP_RTT_LAST] =
    g_param_spec_int64 ("rtt-last", NULL, NULL, -1, G_MAXINT64, -1, flags);
  properties[HB_CONNECTION_PROP_RTT_MIN] =
    g_param_spec_int64 ("rtt-min", NULL, NULL, -1, G_MAXINT64, -1, flags);
  properties[HB_CONNECTION_PROP_RTT_AVG] =
    g_param_spec_int64 ("rtt-avg", NULL, NULL, -1, G_MAXINT64, -1, flags);
  properties[HB_CONNECTION_PROP_RTT_MAX] =
    g_param_spec_int64 ("rtt-max", NULL, NULL, -1, G_MAXINT64, -1, flags);
  properties[HB_CONNECTION_PROP_MISSED] =
    g_param_spec_uint ("missed", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[HB_CONNECTION_PROP_LIVENESS] =
    g_param_spec_enum ("liveness", NULL, NULL, HB_TYPE_LIVENESS, HB_LIVENESS_ALIVE, flags);
  properties[HB_CONNECTION_PROP_BYTES_IN] =
    g_param_spec_uint64 ("bytes-in", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[HB_CONNECTION_PROP_BYTES_OUT] =
    g_param_spec_uint64 ("bytes-out", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[HB_CONNECTION_PROP_LINES_IN] =
    g_param_spec_uint64 ("lines-in", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[HB_CONNECTION_PROP_LINES_OUT] =
    g_param_spec_uint64 ("lines-out", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[HB_CONNECTION_PROP_QUEUED] =
    g_param_spec_uint64 ("queued", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[HB_CONNECTION_PROP_CLOSING] =
    g_param_spec_boolean ("closing", NULL, NULL, FALSE, flags);
  properties[HB_CONNECTION_PROP_TIMELINE] =
    g_param_spec_object ("timeline", NULL, NULL, HB_TYPE_TIMELINE, flags);

  g_object_class_install_properties (object_class, HB_CONNECTION_N_PROPS, properties);
}

static void
hb_connection_init (HbConnection *self)
{
  self->rtt_last = -1;
  self->rtt_min = -1;
  self->rtt_max = -1;
  self->liveness = HB_LIVENESS_ALIVE;
}

HbConnection *
_hb_connection_new (guint       id,
                    const char *peer)
{
  HbConnection *self = g_object_new (HB_TYPE_CONNECTION, NULL);

  self->id = id;
  self->peer = g_strdup (peer);
  self->timeline = hb_timeline_new (HB_TIMELINE_DEFAULT_CAPACITY);
  self->connected_wall = g_get_real_time ();
  self->connected_mono = g_get_monotonic_time ();
  self->last_pong_mono = self->connected_mono;
  return self;
}

void
_hb_connection_notify (HbConnection     *self,
                       HbConnectionProp  prop)
{
  /* A heartbeat changes several properties. With any notify handler on
   * the object (the CLI watches liveness alone) each notification would
   * be a full signal emission; asking first is much cheaper. */
  if (!g_signal_has_handler_pending (self, notify_signal_id,
                                     g_param_spec_get_name_quark (properties[prop]), FALSE))
    return;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

/* Whether anything listens to this connection's notify signal, for any
 * property: one look where a heartbeat would ask once per property. A
 * connection nobody watches (all but the rows of a window on screen, and
 * every one in the command-line tool) then costs no notification work. */
gboolean
_hb_connection_is_watched (HbConnection *self)
{
  return g_signal_handler_find (self, G_SIGNAL_MATCH_ID, notify_signal_id, 0,
                                NULL, NULL, NULL) != 0;
}

void
_hb_connection_read_now (HbConnection *self)
{
  if (self->channel != NULL && !self->closing)
    hb_channel_read_now (self->channel);
}

void
_hb_connection_notify_counters (HbConnection *self)
{
  guint64 in = hb_connection_get_bytes_in (self);
  guint64 out = hb_connection_get_bytes_out (self);
  gsize queued = hb_connection_get_queued (self);

  /* Most clients of an idle server have nothing new: no freeze and thaw
   * for them. */
  if (in == self->notified_bytes_in && out == self->notified_bytes_out &&
      self->lines_in == self->notified_lines_in &&
      self->lines_out == self->notified_lines_out && queued == self->notified_queued)
    return;

  /* At 1 s heartbeats every client has something new each second: for
   * the thousands nobody watches, this pass only takes note. */
  if (!_hb_connection_is_watched (self))
    {
      self->notified_bytes_in = in;
      self->notified_bytes_out = out;
      self->notified_lines_in = self->lines_in;
      self->notified_lines_out = self->lines_out;
      self->notified_queued = queued;
      return;
    }

  g_object_freeze_notify (G_OBJECT (self));
  if (in != self->notified_bytes_in)
    {
      self->notified_bytes_in = in;
      _hb_connection_notify (self, HB_CONNECTION_PROP_BYTES_IN);
    }
  if (out != self->notified_bytes_out)
    {
      self->notified_bytes_out = out;
      _hb_connection_notify (self, HB_CONNECTION_PROP_BYTES_OUT);
    }
  if (self->lines_in != self->notified_lines_in)
    {
      self->notified_lines_in = self->lines_in;
      _hb_connection_notify (self, HB_CONNECTION_PROP_LINES_IN);
    }
  if (self->lines_out != self->notified_lines_out)
    {
      self->notified_lines_out = self->lines_out;
      _hb_connection_notify (self, HB_CONNECTION_PROP_LINES_OUT);
    }
  if (queued != self->notified_queued)
    {
      self->notified_queued = queued;
      _hb_connection_notify (self, HB_CONNECTION_PROP_QUEUED);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

guint
hb_connection_get_id (HbConnection *self)
{
  g_return_val_if_fail (HB_IS_CONNECTION (self), 0);
  return self->id;
}

/* The name from HELLO, or NULL before one came. */
const char *
hb_connection_get_name (HbConnection *self)
{
  g_return_val_if_fail (HB_IS_CONNECTION (self), NULL);
  return self->name;
}

const char *
hb_connection_get_peer (HbConnection *self)
{
  g_return_val_if_fail (HB_IS_CONNECTION (self), NULL);
  return self->peer;
}

GSocket *
hb_connection_get_socket (HbConnection *self)
{
  g_return_val_if_fail (HB_IS_CONNECTION (self), NULL);
  return self->channel ? hb_channel_get_socket (self->channel) : NULL;
}

gint64
hb_connection_get_connected_since (HbConnection *self)
{
  g_return_val_if_fail (HB_IS_CONNECTION (self), 0);
  return self->connected_wall;
}

gint64
hb_connection_get_last_ping (HbConnection *self)
{
  g_return_val_if_fail (HB_IS_CONNECTION (self), 0);
  return self->last_ping_wall;
}

gint64
hb_connection_get_last_pong (HbConnection *self)
{
  g_return_val_if_fail (HB_IS_CONNECTION (self), 0);
  return self->last_pong_wall;
}

guint64
hb_connection_get_pings_sent (HbConnection *self)
{
  g_return_val_if_fail (HB_IS_CONNECTION (self), 0);
  return self->pings_sent;
}

guint64
hb_connection_get_pongs_received (HbConnection *self)
{
  g_return_val_if_fail (HB_IS_CONNECTION (self), 0);
  return self->pongs_received;
}

gint64
hb_connection_get_rtt_last (HbConnection *self)
{
  g_return_val_if_fail (HB_IS_CONNECTION (self), -1);
  return self->rtt_last;
}

gint64
hb_connection_get_rtt_min (HbConnection *self)
{
  g_return_val_if_fail (HB_IS_CONNECTION (self), -1);
  return self->rtt_min;
}

gint64
hb_connection_get_rtt_avg (HbConnection *self)
{
  g_return_val_if_fail (HB_IS_CONNECTION (self), -1);
  return self->rtt_count ? self->rtt_sum / (gint64) self->rtt_count : -1;
}

gint64
hb_connection_get_rtt_max (HbConnection *self)
{
  g_return_val_if_fail (HB_IS_CONNECTION (self), -1);
  return self->rtt_max;
}

/* PINGs that went an interval unanswered, or were left behind when a
 * later one was answered (docs/protocol.md, Heartbeats). */
guint
hb_connection_get_missed (HbConnection *self)
{
  g_return_val_if_fail (HB_IS_CONNECTION (self), 0);
  return self->missed;
}

HbLiveness
hb_connection_get_liveness (HbConnection *self)
{
  g_return_val_if_fail (HB_IS_CONNECTION (self), HB_LIVENESS_DEAD);
  return self->liveness;
}

guint64
hb_connection_get_bytes_in (HbConnection *self)
{
  g_return_val_if_fail (HB_IS_CONNECTION (self), 0);
  return self->channel ? hb_channel_get_bytes_in (self->channel) : 0;
}

guint64
hb_connection_get_bytes_out (HbConnection *self)
{
  g_return_val_if_fail (HB_IS_CONNECTION (self), 0);
  return self->channel ? hb_channel_get_bytes_out (self->channel) : 0;
}

guint64
hb_connection_get_lines_in (HbConnection *self)
{
  g_return_val_if_fail (HB_IS_CONNECTION (self), 0);
  return self->lines_in;
}

guint64
hb_connection_get_lines_out (HbConnection *self)
{
  g_return_val_if_fail (HB_IS_CONNECTION (self), 0);
  return self->lines_out;
}

/* Bytes waiting to be written to this client. */
gsize
hb_connection_get_queued (HbConnection *self)
{
  g_return_val_if_fail (HB_IS_CONNECTION (self), 0);
  return self->channel ? hb_channel_get_queued (self->channel) : 0;
}

gboolean
hb_connection_get_closing (HbConnection *self)
{
  g_return_val_if_fail (HB_IS_CONNECTION (self), FALSE);
  return self->closing;
}

HbProtocol
hb_connection_get_protocol (HbConnection *self)
{
  g_return_val_if_fail (HB_IS_CONNECTION (self), HB_PROTOCOL_LINE);
  return self->protocol;
}

/* Why the connection ends; meaningful once it is closing. */
HbByeReason
hb_connection_get_close_reason (HbConnection *self)
{
  g_return_val_if_fail (HB_IS_CONNECTION (self), HB_BYE_OTHER);
  return self->close_reason;
}

HbCloseKind
hb_connection_get_close_kind (HbConnection *self)
{
  g_return_val_if_fail (HB_IS_CONNECTION (self), HB_CLOSE_OPEN);
  return self->close_kind;
}

HbTimeline *
hb_connection_get_timeline (HbConnection *self)
{
  g_return_val_if_fail (HB_IS_CONNECTION (self), NULL);
  return self->timeline;
}

const char *
hb_liveness_to_string (HbLiveness liveness)
{
  switch (liveness)
    {
    case HB_LIVENESS_ALIVE: return "alive";
    case HB_LIVENESS_LATE: return "late";
    case HB_LIVENESS_DEAD: return "dead";
    default: return "unknown";
    }
}
