/* hb-server.c - the heartbeat server: accepts clients, beats, broadcasts, all on the main loop
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A listening GSocket of its own accepts, up to 64 clients a wake-up
 * (GSocketService takes one per main-loop pass, and at the open-file
 * limit retries at once for ever); every accepted socket is then driven
 * by one HbPoller (epoll) in the same main loop. Time-driven work — heartbeats,
 * late and dead verdicts, the bound on a graceful close — hangs off one
 * min-heap of per-connection deadlines behind a single timer source, so
 * an idle server with many clients wakes only when something is due.
 */

#include "config.h"

#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <unistd.h>

#include "hb-marshal.h"
#include "hb-server-private.h"

#define LISTEN_BACKLOG 4096

GParamSpec *_hb_server_properties[N_PROPS];
guint _hb_server_signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (HbServer, hb_server, G_TYPE_OBJECT)

static void
hb_server_dispose (GObject *object)
{
  HbServer *self = HB_SERVER (object);

  _hb_server_close_listener (self);
  self->listening = FALSE;
  if (self->reserve_fd >= 0)
    {
      close (self->reserve_fd);
      self->reserve_fd = -1;
    }
  if (self->live != NULL)
    _hb_server_drop_all (self);
  hb_source_clear (&self->tick);
  hb_source_clear (&self->join_timer);
  hb_source_clear (&self->announce);
  if (self->joining != NULL)
    g_ptr_array_set_size (self->joining, 0);
  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }
  hb_source_clear (&self->shutdown_cancel);
  if (self->shutdown_task != NULL)
    {
      g_autoptr(GTask) task = g_steal_pointer (&self->shutdown_task);

      g_task_return_boolean (task, TRUE);
    }
  g_clear_pointer (&self->poller, hb_poller_unref);
  if (self->connections != NULL)
    g_list_store_remove_all (self->connections);

  G_OBJECT_CLASS (hb_server_parent_class)->dispose (object);
}

static void
hb_server_finalize (GObject *object)
{
  HbServer *self = HB_SERVER (object);

  g_free (self->address);
  g_clear_pointer (&self->heartbeat, g_bytes_unref);
  g_clear_pointer (&self->ack, g_bytes_unref);
  g_clear_object (&self->connections);
  g_clear_pointer (&self->joining, g_ptr_array_unref);
  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_pointer (&self->live, g_hash_table_unref);
  g_clear_pointer (&self->names, g_hash_table_unref);
  g_clear_pointer (&self->heap, hb_deadline_heap_free);
  g_string_free (self->scratch, TRUE);
  g_clear_pointer (&self->context, g_main_context_unref);
  G_OBJECT_CLASS (hb_server_parent_class)->finalize (object);
}

static void
hb_server_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  HbServer *self = HB_SERVER (object);

  switch (prop_id)
    {
    case PROP_ADDRESS: g_value_set_string (value, self->address); break;
    case PROP_PORT: g_value_set_uint (value, self->port); break;
    case PROP_INTERVAL_MS: g_value_set_uint (value, self->interval_ms); break;
    case PROP_TIMEOUT_MS: g_value_set_uint (value, self->timeout_ms); break;
    case PROP_MAX_CLIENTS: g_value_set_uint (value, self->max_clients); break;
    case PROP_MAX_LINE: g_value_set_uint (value, self->max_line); break;
    case PROP_MAX_QUEUE: g_value_set_uint (value, self->max_queue); break;
    case PROP_RATE_LIMIT: g_value_set_uint (value, self->rate_limit); break;
    case PROP_RELAY: g_value_set_boolean (value, self->relay); break;
    case PROP_PROTOCOL: g_value_set_enum (value, self->protocol); break;
    case PROP_HEARTBEAT: g_value_set_boxed (value, self->heartbeat); break;
    case PROP_ACK: g_value_set_boxed (value, self->ack); break;
    case PROP_LINE_ENDING: g_value_set_enum (value, self->line_ending); break;
    case PROP_ENCODING: g_value_set_enum (value, self->encoding); break;
    case PROP_LISTENING: g_value_set_boolean (value, self->listening); break;
    case PROP_N_CLIENTS: g_value_set_uint (value, hb_server_get_n_clients (self)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_uint (HbServer *self,
          guint    *field,
          guint     prop,
          guint     value)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), _hb_server_properties[prop]);
}

static void
set_enum (HbServer *self,
          guint    *field,
          guint     prop,
          guint     value)
{
  set_uint (self, field, prop, value);
}

/* A heartbeat or ack must be 1 to HB_LAB_MAX_PATTERN bytes; callers check
 * what a person typed with hb_lab_pattern_new() first. */
static void
set_pattern (HbServer *self,
             GBytes  **field,
             guint     prop,
             GBytes   *value)
{
  g_return_if_fail (value != NULL);
  g_return_if_fail (g_bytes_get_size (value) > 0 && g_bytes_get_size (value) <= HB_LAB_MAX_PATTERN);
  if (g_bytes_equal (*field, value))
    return;
  g_bytes_unref (*field);
  *field = g_bytes_ref (value);
  g_object_notify_by_pspec (G_OBJECT (self), _hb_server_properties[prop]);
}

static void
hb_server_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  HbServer *self = HB_SERVER (object);

  switch (prop_id)
    {
    case PROP_ADDRESS:
      if (g_strcmp0 (self->address, g_value_get_string (value)) != 0)
        {
          g_free (self->address);
          self->address = g_value_dup_string (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_PORT: set_uint (self, &self->port, prop_id, g_value_get_uint (value)); break;
    case PROP_INTERVAL_MS:
    case PROP_TIMEOUT_MS:
      {
        guint *field = prop_id == PROP_INTERVAL_MS ? &self->interval_ms : &self->timeout_ms;

        if (*field != g_value_get_uint (value))
          {
            /* Interval and timeout are often set together: one WELCOME
             * for both, never a passing pair of the old and the new. */
            if (self->listening && self->announce == NULL)
              {
                self->announced_interval = self->interval_ms;
                self->announce = hb_source_attach (g_idle_source_new (), self->context,
                                                   _hb_server_announce_cb, self);
              }
            set_uint (self, field, prop_id, g_value_get_uint (value));
          }
      }
      break;
    case PROP_MAX_CLIENTS: set_uint (self, &self->max_clients, prop_id, g_value_get_uint (value)); break;
    case PROP_MAX_LINE: set_uint (self, &self->max_line, prop_id, g_value_get_uint (value)); break;
    case PROP_MAX_QUEUE: set_uint (self, &self->max_queue, prop_id, g_value_get_uint (value)); break;
    case PROP_RATE_LIMIT: set_uint (self, &self->rate_limit, prop_id, g_value_get_uint (value)); break;
    case PROP_RELAY:
      if (self->relay != g_value_get_boolean (value))
        {
          self->relay = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_PROTOCOL: set_enum (self, &self->protocol, prop_id, g_value_get_enum (value)); break;
    case PROP_HEARTBEAT: set_pattern (self, &self->heartbeat, prop_id, g_value_get_boxed (value)); break;
    case PROP_ACK: set_pattern (self, &self->ack, prop_id, g_value_get_boxed (value)); break;
    case PROP_LINE_ENDING: set_enum (self, &self->line_ending, prop_id, g_value_get_enum (value)); break;
    case PROP_ENCODING: set_enum (self, &self->encoding, prop_id, g_value_get_enum (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hb_server_class_init (HbServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = hb_server_dispose;
  object_class->finalize = hb_server_finalize;
  object_class->get_property = hb_server_get_property;
  object_class->set_property = hb_server_set_property;

  _hb_server_properties[PROP_ADDRESS] = g_param_spec_string ("address", NULL, NULL, "127.0.0.1", rw);
  _hb_server_properties[PROP_PORT] = g_param_spec_uint ("port", NULL, NULL, 0, 65535, HB_DEFAULT_PORT, rw);
  _hb_server_properties[PROP_INTERVAL_MS] = g_param_spec_uint ("interval-ms", NULL, NULL, 1, G_MAXINT / 1000, HB_DEFAULT_INTERVAL_MS, rw);
  _hb_server_properties[PROP_TIMEOUT_MS] = g_param_spec_uint ("timeout-ms", NULL, NULL, 1, G_MAXINT / 1000, HB_DEFAULT_TIMEOUT_MS, rw);
  _hb_server_properties[PROP_MAX_CLIENTS] = g_param_spec_uint ("max-clients", NULL, NULL, 0, G_MAXINT, HB_DEFAULT_MAX_CLIENTS, rw);
  _hb_server_properties[PROP_MAX_LINE] = g_param_spec_uint ("max-line", NULL, NULL, 16, 1024 * 1024, HB_DEFAULT_MAX_LINE, rw);
  _hb_server_properties[PROP_MAX_QUEUE] = g_param_spec_uint ("max-queue", NULL, NULL, 1024, G_MAXINT, HB_DEFAULT_MAX_QUEUE, rw);
  _hb_server_properties[PROP_RATE_LIMIT] = g_param_spec_uint ("rate-limit", NULL, NULL, 0, G_MAXINT, HB_DEFAULT_RATE_LIMIT, rw);
  _hb_server_properties[PROP_RELAY] = g_param_spec_boolean ("relay", NULL, NULL, FALSE, rw);
  /* What the server speaks; set before start. */
  _hb_server_properties[PROP_PROTOCOL] = g_param_spec_enum ("protocol", NULL, NULL, HB_TYPE_PROTOCOL, HB_PROTOCOL_LINE, rw);
  _hb_server_properties[PROP_HEARTBEAT] = g_param_spec_boxed ("heartbeat", NULL, NULL, G_TYPE_BYTES, rw);
  _hb_server_properties[PROP_ACK] = g_param_spec_boxed ("ack", NULL, NULL, G_TYPE_BYTES, rw);
  _hb_server_properties[PROP_LINE_ENDING] = g_param_spec_enum ("line-ending", NULL, NULL, HB_TYPE_LINE_ENDING, HB_LINE_ENDING_NONE, rw);
  _hb_server_properties[PROP_ENCODING] = g_param_spec_enum ("encoding", NULL, NULL, HB_TYPE_ENCODING, HB_ENCODING_UTF8, rw);
  _hb_server_properties[PROP_LISTENING] = g_param_spec_boolean ("listening", NULL, NULL, FALSE, ro);
  _hb_server_properties[PROP_N_CLIENTS] = g_param_spec_uint ("n-clients", NULL, NULL, 0, G_MAXUINT, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, _hb_server_properties);

  /**
   * HbServer::client-connected:
   * @conn: the new client, already in the list and greeted with WELCOME
   */
  _hb_server_signals[CLIENT_CONNECTED] =
    g_signal_new ("client-connected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, HB_TYPE_CONNECTION);
  /**
   * HbServer::client-hello:
   * @conn: the client
   * @name: the name it gave
   */
  _hb_server_signals[CLIENT_HELLO] =
    g_signal_new ("client-hello", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, HB_TYPE_CONNECTION, G_TYPE_STRING);
  /**
   * HbServer::client-liveness:
   * @conn: the client
   * @liveness: its new #HbLiveness
   *
   * The server's verdict on a client changed (alive, late, dead), as
   * #HbConnection:liveness does: for a watcher of every client, one
   * handler on the server instead of one on each connection.
   */
  _hb_server_signals[CLIENT_LIVENESS] =
    g_signal_new ("client-liveness", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, HB_TYPE_CONNECTION, HB_TYPE_LIVENESS);
  /**
   * HbServer::message:
   * @conn: the sender
   * @text: the text of its MSG (valid UTF-8, possibly empty)
   */
  _hb_server_signals[MESSAGE] =
    g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, HB_TYPE_CONNECTION, G_TYPE_STRING);
  /**
   * HbServer::ping-sent:
   * @conn: the client
   * @seq: the heartbeat's number, emitted when its bytes were written
   */
  _hb_server_signals[PING_SENT] =
    g_signal_new ("ping-sent", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, _hb_marshal_VOID__OBJECT_UINT64,
                  G_TYPE_NONE, 2, HB_TYPE_CONNECTION, G_TYPE_UINT64);
  g_signal_set_va_marshaller (_hb_server_signals[PING_SENT], G_TYPE_FROM_CLASS (klass),
                              _hb_marshal_VOID__OBJECT_UINT64v);
  /**
   * HbServer::pong:
   * @conn: the client
   * @seq: the seq it answered
   * @rtt_us: the round trip in µs, or -1 for an unknown or too old seq
   */
  _hb_server_signals[PONG] =
    g_signal_new ("pong", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, _hb_marshal_VOID__OBJECT_UINT64_INT64,
                  G_TYPE_NONE, 3, HB_TYPE_CONNECTION, G_TYPE_UINT64, G_TYPE_INT64);
  g_signal_set_va_marshaller (_hb_server_signals[PONG], G_TYPE_FROM_CLASS (klass),
                              _hb_marshal_VOID__OBJECT_UINT64_INT64v);
  /**
   * HbServer::error-sent:
   * @conn: the client
   * @code: (type HbErrCode): what was refused
   * @text: the explanation sent with it
   */
  _hb_server_signals[ERROR_SENT] =
    g_signal_new ("error-sent", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3, HB_TYPE_CONNECTION, HB_TYPE_ERR_CODE, G_TYPE_STRING);
  /**
   * HbServer::client-disconnected:
   * @conn: the client, already removed from the list
   * @reason: (type HbByeReason): why
   * @initiator: (type HbInitiator): LOCAL if the server closed first
   */
  _hb_server_signals[CLIENT_DISCONNECTED] =
    g_signal_new ("client-disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3, HB_TYPE_CONNECTION, HB_TYPE_BYE_REASON, HB_TYPE_INITIATOR);
  /**
   * HbServer::client-rejected:
   * @peer: the address that was turned away
   * @reason: (type HbByeReason): why (server-full)
   */
  _hb_server_signals[CLIENT_REJECTED] =
    g_signal_new ("client-rejected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, HB_TYPE_BYE_REASON);
  /**
   * HbServer::data-received:
   * @conn: the client
   * @bytes: one read, as it came (lab and raw protocols only)
   * @info: (type gpointer): the HbChunkInfo of that read: the acks and
   *   messages it completed, whether it glued several or split one
   *
   * Emitted before the acks (::pong) and messages (::message) the read
   * held, so that a log shows the read first and then what it meant.
   */
  /**
   * HbServer::broadcast:
   * @n_texts: how many of the operator's texts went out in one block
   * @recipients: how many clients were sent all of them
   */
  _hb_server_signals[BROADCAST] =
    g_signal_new ("broadcast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_UINT);
  /**
   * HbServer::accept-paused:
   * @why: a sentence for the operator
   *
   * Accepting failed for want of file descriptors (or memory); the
   * connected clients go on being served, new ones are turned away with
   * server-full, and accepting is retried every 100 ms. Emitted once per
   * episode; ::accept-resumed ends it.
   */
  _hb_server_signals[ACCEPT_PAUSED] =
    g_signal_new ("accept-paused", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  _hb_server_signals[ACCEPT_RESUMED] =
    g_signal_new ("accept-resumed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  _hb_server_signals[DATA_RECEIVED] =
    g_signal_new ("data-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3, HB_TYPE_CONNECTION, G_TYPE_BYTES, G_TYPE_POINTER);
}

static void
hb_server_init (HbServer *self)
{
  self->address = g_strdup ("127.0.0.1");
  self->port = HB_DEFAULT_PORT;
  self->interval_ms = HB_DEFAULT_INTERVAL_MS;
  self->timeout_ms = HB_DEFAULT_TIMEOUT_MS;
  self->max_clients = HB_DEFAULT_MAX_CLIENTS;
  self->max_line = HB_DEFAULT_MAX_LINE;
  self->max_queue = HB_DEFAULT_MAX_QUEUE;
  self->rate_limit = HB_DEFAULT_RATE_LIMIT;
  self->drain_ms = HB_DEFAULT_DRAIN_MS;
  self->reserve_fd = -1;
  self->heartbeat = g_bytes_new_static (HB_LAB_DEFAULT_HEARTBEAT, strlen (HB_LAB_DEFAULT_HEARTBEAT));
  self->ack = g_bytes_new_static (HB_LAB_DEFAULT_ACK, strlen (HB_LAB_DEFAULT_ACK));
  self->connections = g_list_store_new (HB_TYPE_CONNECTION);
  self->joining = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_id = g_hash_table_new (NULL, NULL);
  self->live = g_hash_table_new (NULL, NULL);
  self->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->heap = hb_deadline_heap_new ();
  self->scratch = g_string_sized_new (256);
  self->live_counters = TRUE;
}

/* ---------------------------------------------------------------------- */
/* Public API                                                              */

HbServer *
hb_server_new (void)
{
  return g_object_new (HB_TYPE_SERVER, NULL);
}

static GInetAddress *
parse_address (const char  *text,
               GError     **error)
{
  GInetAddress *addr;

  if (g_strcmp0 (text, "localhost") == 0)
    return g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  if (g_strcmp0 (text, "*") == 0)
    return g_inet_address_new_any (G_SOCKET_FAMILY_IPV6);
  addr = g_inet_address_new_from_string (text);
  if (addr == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 _("“%s” is not an IP address (try 127.0.0.1, ::1, 0.0.0.0 or ::)"), text);
  return addr;
}

/**
 * hb_server_start:
 *
 * Binds and starts listening. With port 0 the kernel picks a port, which
 * the "port" property then reports. On failure the server is unchanged
 * and can be started again, for example on another port.
 */
gboolean
hb_server_start (HbServer  *self,
                 GError   **error)
{
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) want = NULL;
  g_autoptr(GSocketAddress) got = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) local_error = NULL;
  guint port;

  g_return_val_if_fail (HB_IS_SERVER (self), FALSE);

  if (self->listening)
    return TRUE;

  inet = parse_address (self->address, error);
  if (inet == NULL)
    return FALSE;

  /* A listening GSocket of our own rather than GSocketService: the
   * service takes one client per main-loop pass, and at the open-file
   * limit retries at once for ever (see pause_accepting()). */
  want = g_inet_socket_address_new (inet, self->port);
  socket = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, &local_error);
  if (socket != NULL)
    g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
  if (socket == NULL ||
      !g_socket_bind (socket, want, TRUE, &local_error) ||
      !g_socket_listen (socket, &local_error) ||
      (got = g_socket_get_local_address (socket, &local_error)) == NULL)
    {
      g_autofree char *where = g_inet_address_to_string (inet);

      g_set_error (error, local_error->domain, local_error->code,
                   g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6 ?
                   _("cannot listen on [%s]:%u: %s") : _("cannot listen on %s:%u: %s"),
                   where, self->port, hb_io_error_words (local_error));
      return FALSE;
    }

  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (got));
  /* Every source of the server goes to the context it was first started
   * in, whatever is thread-default when a timer is armed later. */
  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();
  if (self->poller == NULL)
    self->poller = hb_poller_new (self->context);
  if (self->timer == NULL)
    {
      self->timer = _hb_server_timer_new (self);
      g_source_attach (self->timer, self->context);
    }

  g_socket_set_blocking (socket, FALSE);
  self->listen_socket = g_steal_pointer (&socket);
  self->listen_handle = hb_poller_add (self->poller, g_socket_get_fd (self->listen_socket),
                                       G_IO_IN, _hb_server_listener_ready, self);
  if (self->reserve_fd < 0)
    self->reserve_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  self->listening = TRUE;

  g_object_freeze_notify (G_OBJECT (self));
  set_uint (self, &self->port, PROP_PORT, port);
  g_object_notify_by_pspec (G_OBJECT (self), _hb_server_properties[PROP_LISTENING]);
  g_object_thaw_notify (G_OBJECT (self));
  return TRUE;
}

const char *
hb_server_get_address (HbServer *self)
{
  g_return_val_if_fail (HB_IS_SERVER (self), NULL);
  return self->address;
}

guint
hb_server_get_port (HbServer *self)
{
  g_return_val_if_fail (HB_IS_SERVER (self), 0);
  return self->port;
}

gboolean
hb_server_get_listening (HbServer *self)
{
  g_return_val_if_fail (HB_IS_SERVER (self), FALSE);
  return self->listening;
}

guint
hb_server_get_n_clients (HbServer *self)
{
  g_return_val_if_fail (HB_IS_SERVER (self), 0);
  return g_hash_table_size (self->by_id);
}

guint
hb_server_get_interval_ms (HbServer *self)
{
  g_return_val_if_fail (HB_IS_SERVER (self), 0);
  return self->interval_ms;
}

HbProtocol
hb_server_get_protocol (HbServer *self)
{
  g_return_val_if_fail (HB_IS_SERVER (self), HB_PROTOCOL_LINE);
  return self->protocol;
}

guint
hb_server_get_timeout_ms (HbServer *self)
{
  g_return_val_if_fail (HB_IS_SERVER (self), 0);
  return self->timeout_ms;
}

/**
 * hb_server_get_connections:
 *
 * Returns: (transfer none): the connected clients in order of arrival.
 * New clients reach the model in batches (one splice per 50 ms); calling
 * this applies any batch still pending, so a caller that asks now sees
 * every client accepted so far.
 */
GListModel *
hb_server_get_connections (HbServer *self)
{
  g_return_val_if_fail (HB_IS_SERVER (self), NULL);
  _hb_server_flush_joins (self);
  return G_LIST_MODEL (self->connections);
}

HbConnection *
hb_server_lookup (HbServer *self,
                  guint     id)
{
  g_return_val_if_fail (HB_IS_SERVER (self), NULL);
  return g_hash_table_lookup (self->by_id, GUINT_TO_POINTER (id));
}
