/* hb-client.c - the heartbeat client: connects, answers heartbeats, and can misbehave on purpose
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GSocketClient makes the connection; after that the socket is driven by
 * the same HbChannel as the server's sockets, on a poller of its own.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "hb-client-private.h"

#define CONNECT_TIMEOUT_S   10

GParamSpec *_hb_client_properties[N_PROPS];
guint _hb_client_signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (HbClient, hb_client, G_TYPE_OBJECT)

void
_hb_client_notify (HbClient *self,
                   guint     prop)
{
  g_object_notify_by_pspec (G_OBJECT (self), _hb_client_properties[prop]);
}

void
_hb_client_set_state (HbClient      *self,
                      HbClientState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  hb_timeline_append (self->timeline, HB_EVENT_STATE, HB_VERB_UNKNOWN, 0, state, HB_INITIATOR_LOCAL);
  _hb_client_notify (self, PROP_STATE);
}

void
_hb_client_send_line (HbClient   *self,
                      HbVerb      verb,
                      const char *args,
                      guint32     arg)
{
  g_autoptr(GString) line = g_string_new (NULL);

  if (self->channel == NULL || !hb_channel_is_open (self->channel))
    return;
  hb_format_line (line, hb_verb_to_string (verb), args, -1);
  hb_channel_write (self->channel, line->str, line->len);
  hb_timeline_append (self->timeline, HB_EVENT_LINE_OUT, verb, line->len, arg, HB_INITIATOR_LOCAL);
}

/* ---------------------------------------------------------------------- */
/* GObject                                                                 */

static void
hb_client_dispose (GObject *object)
{
  HbClient *self = HB_CLIENT (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  hb_source_clear (&self->linger);
  hb_source_clear (&self->reconnect);
  if (self->channel != NULL)
    {
      HbChannel *channel = g_steal_pointer (&self->channel);

      /* Going away without a word: the socket is closed, no signals. */
      hb_channel_expire (channel);
      hb_channel_unref (channel);
    }
  if (self->dead_timer != NULL)
    {
      g_source_destroy (self->dead_timer);
      g_clear_pointer (&self->dead_timer, g_source_unref);
    }
  if (self->pong_timer != NULL)
    {
      g_source_destroy (self->pong_timer);
      g_clear_pointer (&self->pong_timer, g_source_unref);
    }
  if (self->flush_timer != NULL)
    {
      g_source_destroy (self->flush_timer);
      g_clear_pointer (&self->flush_timer, g_source_unref);
    }
  g_clear_pointer (&self->scanner, hb_scanner_free);
  g_queue_clear_full (&self->delayed, g_free);
  g_clear_pointer (&self->poller, hb_poller_unref);
  g_clear_object (&self->socket_client);

  G_OBJECT_CLASS (hb_client_parent_class)->dispose (object);
}

static void
hb_client_finalize (GObject *object)
{
  HbClient *self = HB_CLIENT (object);

  g_free (self->host);
  g_free (self->name);
  g_free (self->ping_token);
  g_clear_pointer (&self->heartbeat, g_bytes_unref);
  g_clear_pointer (&self->ack, g_bytes_unref);
  g_clear_object (&self->timeline);
  g_clear_pointer (&self->context, g_main_context_unref);
  G_OBJECT_CLASS (hb_client_parent_class)->finalize (object);
}

static void
hb_client_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  HbClient *self = HB_CLIENT (object);

  switch (prop_id)
    {
    case PROP_HOST: g_value_set_string (value, self->host); break;
    case PROP_PORT: g_value_set_uint (value, self->port); break;
    case PROP_NAME: g_value_set_string (value, self->name); break;
    case PROP_STATE: g_value_set_enum (value, self->state); break;
    case PROP_CLIENT_ID: g_value_set_uint (value, self->client_id); break;
    case PROP_INTERVAL_MS: g_value_set_uint (value, self->interval_ms); break;
    case PROP_TIMEOUT_MS: g_value_set_uint (value, self->timeout_ms); break;
    case PROP_ANSWER_PINGS: g_value_set_boolean (value, self->answer_pings); break;
    case PROP_PONG_DELAY_MS: g_value_set_uint (value, self->pong_delay_ms); break;
    case PROP_READING: g_value_set_boolean (value, self->reading); break;
    case PROP_AUTO_RECONNECT: g_value_set_boolean (value, self->auto_reconnect); break;
    case PROP_RECONNECT_MIN_MS: g_value_set_uint (value, self->reconnect_min_ms); break;
    case PROP_RECONNECT_MAX_MS: g_value_set_uint (value, self->reconnect_max_ms); break;
    case PROP_RECONNECT_DELAY_MS: g_value_set_uint (value, self->reconnect_delay_ms); break;
    case PROP_PINGS_RECEIVED: g_value_set_uint64 (value, self->pings_received); break;
    case PROP_PONGS_SENT: g_value_set_uint64 (value, self->pongs_sent); break;
    case PROP_LAST_PING: g_value_set_int64 (value, self->last_ping); break;
    case PROP_LAST_PONG: g_value_set_int64 (value, self->last_pong); break;
    case PROP_DISCONNECT_REASON: g_value_set_enum (value, self->disconnect_reason); break;
    case PROP_TIMELINE: g_value_set_object (value, self->timeline); break;
    case PROP_PROTOCOL: g_value_set_enum (value, self->protocol); break;
    case PROP_HEARTBEAT: g_value_set_boxed (value, self->heartbeat); break;
    case PROP_ACK: g_value_set_boxed (value, self->ack); break;
    case PROP_LINE_ENDING: g_value_set_enum (value, self->line_ending); break;
    case PROP_ENCODING: g_value_set_enum (value, self->encoding); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_bool (HbClient *self,
          gboolean *field,
          guint     prop,
          gboolean  value)
{
  value = !!value;
  if (*field == value)
    return;
  *field = value;
  _hb_client_notify (self, prop);
}

static void
set_uint (HbClient *self,
          guint    *field,
          guint     prop,
          guint     value)
{
  if (*field == value)
    return;
  *field = value;
  _hb_client_notify (self, prop);
}

static void
set_string (HbClient    *self,
            char       **field,
            guint        prop,
            const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  _hb_client_notify (self, prop);
}

static void
set_pattern (HbClient  *self,
             GBytes   **field,
             guint      prop,
             GBytes    *value)
{
  g_return_if_fail (value != NULL);
  g_return_if_fail (g_bytes_get_size (value) > 0 && g_bytes_get_size (value) <= HB_LAB_MAX_PATTERN);
  if (g_bytes_equal (*field, value))
    return;
  g_bytes_unref (*field);
  *field = g_bytes_ref (value);
  _hb_client_notify (self, prop);
}

static void
hb_client_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  HbClient *self = HB_CLIENT (object);

  switch (prop_id)
    {
    case PROP_HOST: set_string (self, &self->host, prop_id, g_value_get_string (value)); break;
    case PROP_PORT: set_uint (self, &self->port, prop_id, g_value_get_uint (value)); break;
    case PROP_NAME: set_string (self, &self->name, prop_id, g_value_get_string (value)); break;
    case PROP_ANSWER_PINGS: set_bool (self, &self->answer_pings, prop_id, g_value_get_boolean (value)); break;
    case PROP_PONG_DELAY_MS: set_uint (self, &self->pong_delay_ms, prop_id, g_value_get_uint (value)); break;
    case PROP_READING:
      set_bool (self, &self->reading, prop_id, g_value_get_boolean (value));
      if (self->channel != NULL && hb_channel_is_open (self->channel))
        hb_channel_set_reading (self->channel, self->reading);
      _hb_client_arm_dead_timer (self);
      break;
    case PROP_AUTO_RECONNECT:
      set_bool (self, &self->auto_reconnect, prop_id, g_value_get_boolean (value));
      break;
    case PROP_RECONNECT_MIN_MS: set_uint (self, &self->reconnect_min_ms, prop_id, g_value_get_uint (value)); break;
    case PROP_RECONNECT_MAX_MS: set_uint (self, &self->reconnect_max_ms, prop_id, g_value_get_uint (value)); break;
    /* The protocol and its settings apply from the next connection. */
    case PROP_PROTOCOL: set_uint (self, &self->protocol, prop_id, g_value_get_enum (value)); break;
    case PROP_HEARTBEAT: set_pattern (self, &self->heartbeat, prop_id, g_value_get_boxed (value)); break;
    case PROP_ACK: set_pattern (self, &self->ack, prop_id, g_value_get_boxed (value)); break;
    case PROP_LINE_ENDING: set_uint (self, &self->line_ending, prop_id, g_value_get_enum (value)); break;
    case PROP_ENCODING: set_uint (self, &self->encoding, prop_id, g_value_get_enum (value)); break;
    case PROP_INTERVAL_MS: set_uint (self, &self->interval_ms, prop_id, g_value_get_uint (value)); break;
    case PROP_TIMEOUT_MS: set_uint (self, &self->timeout_ms, prop_id, g_value_get_uint (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hb_client_class_init (HbClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = hb_client_dispose;
  object_class->finalize = hb_client_finalize;
  object_class->get_property = hb_client_get_property;
  object_class->set_property = hb_client_set_property;

  _hb_client_properties[PROP_HOST] = g_param_spec_string ("host", NULL, NULL, "127.0.0.1", rw);
  _hb_client_properties[PROP_PORT] = g_param_spec_uint ("port", NULL, NULL, 1, 65535, HB_DEFAULT_PORT, rw);
  _hb_client_properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, rw);
  _hb_client_properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, HB_TYPE_CLIENT_STATE, HB_CLIENT_DISCONNECTED, ro);
  _hb_client_properties[PROP_CLIENT_ID] = g_param_spec_uint ("client-id", NULL, NULL, 0, G_MAXUINT, 0, ro);
  /* In the line protocol WELCOME sets these. The lab's protocol announces
   * nothing: they are what the client expects of the server, set by the
   * user (0: the lab's 10 s and 30 s), and silence for timeout-ms means
   * the server is dead. */
  _hb_client_properties[PROP_INTERVAL_MS] = g_param_spec_uint ("interval-ms", NULL, NULL, 0, G_MAXINT / 1000, 0, rw);
  _hb_client_properties[PROP_TIMEOUT_MS] = g_param_spec_uint ("timeout-ms", NULL, NULL, 0, G_MAXINT / 1000, 0, rw);
  _hb_client_properties[PROP_ANSWER_PINGS] = g_param_spec_boolean ("answer-pings", NULL, NULL, TRUE, rw);
  _hb_client_properties[PROP_PONG_DELAY_MS] = g_param_spec_uint ("pong-delay-ms", NULL, NULL, 0, 3600 * 1000, 0, rw);
  _hb_client_properties[PROP_READING] = g_param_spec_boolean ("reading", NULL, NULL, TRUE, rw);
  _hb_client_properties[PROP_AUTO_RECONNECT] = g_param_spec_boolean ("auto-reconnect", NULL, NULL, FALSE, rw);
  _hb_client_properties[PROP_RECONNECT_MIN_MS] = g_param_spec_uint ("reconnect-min-ms", NULL, NULL, 1, G_MAXINT, 500, rw);
  _hb_client_properties[PROP_RECONNECT_MAX_MS] = g_param_spec_uint ("reconnect-max-ms", NULL, NULL, 1, G_MAXINT, 30000, rw);
  _hb_client_properties[PROP_RECONNECT_DELAY_MS] = g_param_spec_uint ("reconnect-delay-ms", NULL, NULL, 0, G_MAXUINT, 0, ro);
  _hb_client_properties[PROP_PINGS_RECEIVED] = g_param_spec_uint64 ("pings-received", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  _hb_client_properties[PROP_PONGS_SENT] = g_param_spec_uint64 ("pongs-sent", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  _hb_client_properties[PROP_LAST_PING] = g_param_spec_int64 ("last-ping", NULL, NULL, 0, G_MAXINT64, 0, ro);
  _hb_client_properties[PROP_LAST_PONG] = g_param_spec_int64 ("last-pong", NULL, NULL, 0, G_MAXINT64, 0, ro);
  _hb_client_properties[PROP_DISCONNECT_REASON] = g_param_spec_enum ("disconnect-reason", NULL, NULL, HB_TYPE_BYE_REASON, HB_BYE_USER, ro);
  _hb_client_properties[PROP_TIMELINE] = g_param_spec_object ("timeline", NULL, NULL, HB_TYPE_TIMELINE, ro);
  _hb_client_properties[PROP_PROTOCOL] = g_param_spec_enum ("protocol", NULL, NULL, HB_TYPE_PROTOCOL, HB_PROTOCOL_LINE, rw);
  _hb_client_properties[PROP_HEARTBEAT] = g_param_spec_boxed ("heartbeat", NULL, NULL, G_TYPE_BYTES, rw);
  _hb_client_properties[PROP_ACK] = g_param_spec_boxed ("ack", NULL, NULL, G_TYPE_BYTES, rw);
  _hb_client_properties[PROP_LINE_ENDING] = g_param_spec_enum ("line-ending", NULL, NULL, HB_TYPE_LINE_ENDING, HB_LINE_ENDING_NONE, rw);
  _hb_client_properties[PROP_ENCODING] = g_param_spec_enum ("encoding", NULL, NULL, HB_TYPE_ENCODING, HB_ENCODING_UTF8, rw);
  g_object_class_install_properties (object_class, N_PROPS, _hb_client_properties);

  /**
   * HbClient::welcome:
   * The server's greeting: our id and the heartbeat settings in force.
   */
  _hb_client_signals[WELCOME] =
    g_signal_new ("welcome", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_UINT);
  /**
   * HbClient::ping:
   * A heartbeat arrived (whether or not it will be answered).
   */
  _hb_client_signals[PING] =
    g_signal_new ("ping", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_UINT64);
  /**
   * HbClient::pong-sent:
   * Our answer to PING @seq was queued.
   */
  _hb_client_signals[PONG_SENT] =
    g_signal_new ("pong-sent", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_UINT64);
  /**
   * HbClient::pong:
   * The server answered a PING of ours; @rtt_us is -1 for a token we did not send last.
   */
  _hb_client_signals[PONG] =
    g_signal_new ("pong", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_INT64);
  /**
   * HbClient::message:
   * @kind: (type HbVerb): MSG, BCAST or RELAY
   * @sender: (nullable): the relayed client's name
   * @text: the text
   */
  _hb_client_signals[MESSAGE] =
    g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, HB_TYPE_VERB, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * HbClient::server-error:
   * The server refused something we sent: `ERR @code @text`.
   */
  _hb_client_signals[SERVER_ERROR] =
    g_signal_new ("server-error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * HbClient::bye:
   * The server said it is closing the connection, and why.
   */
  _hb_client_signals[BYE] =
    g_signal_new ("bye", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * HbClient::disconnected:
   * @reason: (type HbByeReason): why
   * @initiator: (type HbInitiator): LOCAL when this client closed first
   * @detail: (nullable): the system's words, e.g. for a failed connect
   *
   * The connection, or the attempt to make one, ended. When a reconnect
   * follows, ::reconnecting is emitted right after.
   */
  _hb_client_signals[DISCONNECTED] =
    g_signal_new ("disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, HB_TYPE_BYE_REASON, HB_TYPE_INITIATOR, G_TYPE_STRING);
  /**
   * HbClient::reconnecting:
   * The next attempt starts in @delay_ms; @attempt counts from 1.
   */
  _hb_client_signals[RECONNECTING] =
    g_signal_new ("reconnecting", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_UINT);
  /**
   * HbClient::data-received:
   * @bytes: one read, as it came (lab and raw protocols only)
   * @info: (type gpointer): its HbChunkInfo: the heartbeats and messages
   *   it completed, whether it glued several or split one
   *
   * Emitted before the heartbeats (::ping) and messages (::message) the
   * read held.
   */
  /**
   * HbClient::bad-line:
   * @line: the line, shown safely (hb_bytes_to_display())
   * @problem: what is wrong with it, in English (wire words)
   *
   * The server sent a line the protocol does not allow a server to send;
   * it was ignored.
   */
  _hb_client_signals[BAD_LINE] =
    g_signal_new ("bad-line", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  _hb_client_signals[DATA_RECEIVED] =
    g_signal_new ("data-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_BYTES, G_TYPE_POINTER);
}

static void
hb_client_init (HbClient *self)
{
  self->host = g_strdup ("127.0.0.1");
  self->port = HB_DEFAULT_PORT;
  self->answer_pings = TRUE;
  self->reading = TRUE;
  self->reconnect_min_ms = 500;
  self->reconnect_max_ms = 30000;
  self->disconnect_reason = HB_BYE_USER;
  self->timeline = hb_timeline_new (HB_TIMELINE_DEFAULT_CAPACITY * 4);
  self->context = g_main_context_ref_thread_default ();
  self->poller = hb_poller_new (self->context);
  self->socket_client = g_socket_client_new ();
  g_socket_client_set_timeout (self->socket_client, CONNECT_TIMEOUT_S);
  g_signal_connect (self->socket_client, "event", G_CALLBACK (_hb_client_on_socket_client_event), NULL);
  self->dead_timer = hb_deadline_source_new (_hb_client_dead_timer_cb, self);
  self->pong_timer = hb_deadline_source_new (_hb_client_pong_timer_cb, self);
  self->flush_timer = hb_deadline_source_new (_hb_client_flush_timer_cb, self);
  self->heartbeat = g_bytes_new_static (HB_LAB_DEFAULT_HEARTBEAT, strlen (HB_LAB_DEFAULT_HEARTBEAT));
  self->ack = g_bytes_new_static (HB_LAB_DEFAULT_ACK, strlen (HB_LAB_DEFAULT_ACK));
  g_queue_init (&self->delayed);
}

/* ---------------------------------------------------------------------- */
/* Public API                                                              */

HbClient *
hb_client_new (const char *host,
               guint       port,
               const char *name)
{
  return g_object_new (HB_TYPE_CLIENT,
                       "host", host ? host : "127.0.0.1",
                       "port", port ? port : HB_DEFAULT_PORT,
                       "name", name,
                       NULL);
}

static gboolean
can_send (HbClient *self)
{
  return self->state == HB_CLIENT_CONNECTED && self->channel != NULL &&
         hb_channel_is_open (self->channel) && !hb_channel_is_closing (self->channel);
}

gboolean
hb_client_send_message (HbClient   *self,
                        const char *text)
{
  g_return_val_if_fail (HB_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  if (!can_send (self))
    return FALSE;
  if (self->protocol != HB_PROTOCOL_LINE)
    {
      g_autoptr(GBytes) bytes = hb_text_encode (text, -1, self->encoding, self->line_ending);

      return hb_client_send_bytes (self, bytes);
    }
  _hb_client_send_line (self, HB_VERB_MSG, text, 0);
  return TRUE;
}

gboolean
hb_client_send_bytes (HbClient *self,
                      GBytes   *bytes)
{
  gsize len;
  const char *data;

  g_return_val_if_fail (HB_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (bytes != NULL, FALSE);

  /* The line protocol frames every message: raw bytes would break it. */
  if (!can_send (self) || self->protocol == HB_PROTOCOL_LINE)
    return FALSE;
  data = g_bytes_get_data (bytes, &len);
  if (len == 0)
    return FALSE;
  hb_channel_write (self->channel, data, len);
  hb_timeline_append (self->timeline, HB_EVENT_LINE_OUT, HB_VERB_MSG, (guint32) MIN (len, G_MAXUINT32), 0,
                      HB_INITIATOR_LOCAL);
  return TRUE;
}

gboolean
hb_client_send_ping (HbClient   *self,
                     const char *token)
{
  g_return_val_if_fail (HB_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (token != NULL, FALSE);

  if (!can_send (self) || self->protocol != HB_PROTOCOL_LINE ||
      !hb_token_is_valid (token, strlen (token)))
    return FALSE;
  g_free (self->ping_token);
  self->ping_token = g_strdup (token);
  self->ping_sent_mono = g_get_monotonic_time ();
  _hb_client_send_line (self, HB_VERB_PING, token, 0);
  return TRUE;
}

gboolean
hb_client_send_hello (HbClient   *self,
                      const char *name)
{
  g_return_val_if_fail (HB_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  if (!hb_name_is_valid (name, strlen (name)))
    return FALSE;
  set_string (self, &self->name, PROP_NAME, name);
  if (can_send (self) && self->protocol == HB_PROTOCOL_LINE)
    _hb_client_send_line (self, HB_VERB_HELLO, name, 0);
  return TRUE;
}

void
hb_client_abort (HbClient *self)
{
  g_return_if_fail (HB_IS_CLIENT (self));

  if (self->channel != NULL && hb_channel_is_open (self->channel))
    hb_channel_abort (self->channel);
}

void
hb_client_half_close (HbClient *self)
{
  g_return_if_fail (HB_IS_CLIENT (self));

  if (self->channel != NULL && hb_channel_is_open (self->channel))
    hb_channel_shutdown_write (self->channel);
}

HbProtocol
hb_client_get_protocol (HbClient *self)
{
  g_return_val_if_fail (HB_IS_CLIENT (self), HB_PROTOCOL_LINE);
  return self->protocol;
}

HbClientState
hb_client_get_state (HbClient *self)
{
  g_return_val_if_fail (HB_IS_CLIENT (self), HB_CLIENT_DISCONNECTED);
  return self->state;
}

guint
hb_client_get_client_id (HbClient *self)
{
  g_return_val_if_fail (HB_IS_CLIENT (self), 0);
  return self->client_id;
}

guint
hb_client_get_interval_ms (HbClient *self)
{
  g_return_val_if_fail (HB_IS_CLIENT (self), 0);
  return self->interval_ms;
}

guint
hb_client_get_timeout_ms (HbClient *self)
{
  g_return_val_if_fail (HB_IS_CLIENT (self), 0);
  return self->timeout_ms;
}

const char *
hb_client_get_host (HbClient *self)
{
  g_return_val_if_fail (HB_IS_CLIENT (self), NULL);
  return self->host;
}

guint
hb_client_get_port (HbClient *self)
{
  g_return_val_if_fail (HB_IS_CLIENT (self), 0);
  return self->port;
}

const char *
hb_client_get_name (HbClient *self)
{
  g_return_val_if_fail (HB_IS_CLIENT (self), NULL);
  return self->name;
}

HbTimeline *
hb_client_get_timeline (HbClient *self)
{
  g_return_val_if_fail (HB_IS_CLIENT (self), NULL);
  return self->timeline;
}

GSocket *
hb_client_get_socket (HbClient *self)
{
  g_return_val_if_fail (HB_IS_CLIENT (self), NULL);
  return self->channel ? hb_channel_get_socket (self->channel) : NULL;
}

gint64
hb_client_get_arrival (HbClient *self)
{
  g_return_val_if_fail (HB_IS_CLIENT (self), 0);
  return self->channel ? hb_channel_get_arrival (self->channel) : 0;
}

const char *
hb_client_state_to_string (HbClientState state)
{
  switch (state)
    {
    case HB_CLIENT_DISCONNECTED: return "disconnected";
    case HB_CLIENT_CONNECTING: return "connecting";
    case HB_CLIENT_CONNECTED: return "connected";
    case HB_CLIENT_RECONNECTING: return "reconnecting";
    default: return "unknown";
    }
}
