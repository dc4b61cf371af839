/* hb-server-accept.c - admission: accepting clients, the file-descriptor limit, joins in batches
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* accept4(), to take a client non-blocking in one call */
#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hb-server-private.h"

/* Connections taken from the backlog per wake-up: enough to drain a burst
 * quickly, few enough that clients already connected are not kept waiting. */
#define ACCEPT_BUDGET  64
/* At the open-file limit, accepting pauses this long between attempts. */
#define ACCEPT_RETRY_MS 100
/* Joins reach the list model in one splice per period: a burst of
 * thousands of connects is then one items-changed, not thousands. */
#define JOIN_BATCH_MS  50
/* The once-a-second pass over the counters takes this many connections
 * per wake-up, the second split into as many parts as that needs (at
 * most TICK_PARTS_MAX): in one piece at 10,000 clients it held the loop
 * for milliseconds, which every client whose line came then waited for
 * (the probes' p99). */
#define TICK_CHUNK     200
#define TICK_PARTS_MAX 50
/* The kernel's send buffer would otherwise grow to tcp_wmem's 4 MB, letting
 * a client that stopped reading hide megabytes there before max-queue
 * notices. Lines are small; this is plenty for a client that does read.
 * Linux doubles the value asked for (socket(7)): ss -m shows tb131072. */
#define CLIENT_SNDBUF  (64 * 1024)

void
_hb_server_flush_joins (HbServer *self)
{
  hb_source_clear (&self->join_timer);
  if (self->joining->len > 0)
    {
      g_autoptr(GPtrArray) batch = g_steal_pointer (&self->joining);

      self->joining = g_ptr_array_new_with_free_func (g_object_unref);
      g_list_store_splice (self->connections,
                           g_list_model_get_n_items (G_LIST_MODEL (self->connections)),
                           0, batch->pdata, batch->len);
    }
}

static gboolean
join_cb (gpointer user_data)
{
  HbServer *self = user_data;

  hb_source_clear (&self->join_timer);
  _hb_server_flush_joins (self);
  return G_SOURCE_REMOVE;
}

static gboolean
tick_cb (gpointer user_data)
{
  HbServer *self = user_data;
  GListModel *listed = G_LIST_MODEL (self->connections);
  guint n = g_list_model_get_n_items (listed);
  guint parts = CLAMP ((n + TICK_CHUNK - 1) / TICK_CHUNK, 1, TICK_PARTS_MAX);
  guint chunk = (n + parts - 1) / parts;

  hb_source_clear (&self->tick);  /* this source ends here; the next part is a new one */
  if (!self->live_counters)
    return G_SOURCE_REMOVE;
  /* Each listed client once a second, a part at a time, in list order
   * (sequential positions are cheap in a GListStore). A join or a leave
   * moves the rest by one: a client then waits a part longer, or comes
   * twice. */
  for (guint i = 0; i < chunk; i++)
    {
      g_autoptr(HbConnection) conn = NULL;

      if (self->tick_pos >= n)
        self->tick_pos = 0;
      conn = g_list_model_get_item (listed, self->tick_pos++);
      if (conn == NULL)
        break;
      _hb_connection_notify_counters (conn);
    }
  /* Everyone gone, meanwhile or before (the server stopped): no more. */
  if (g_hash_table_size (self->by_id) == 0 || self->tick != NULL)
    return G_SOURCE_REMOVE;
  self->tick = hb_source_attach (parts == 1 ? g_timeout_source_new_seconds (1) : g_timeout_source_new (1000 / parts),
                                 self->context, tick_cb, self);
  return G_SOURCE_REMOVE;
}

/**
 * hb_server_set_live_counters:
 * @live: whether the counters are announced as they change
 *
 * Whether each client's traffic counters (bytes and lines each way, its
 * queue) are announced once a second by property notification, as a
 * list that shows them needs (the default). A program that reads them
 * only when asked (the command-line tool's /list) turns this off, and
 * the server no longer visits every client each second: at 10,000
 * clients that pass was a tenth of an idle server's time. The getters
 * are always up to date.
 */
void
hb_server_set_live_counters (HbServer *self,
                             gboolean  live)
{
  g_return_if_fail (HB_IS_SERVER (self));

  self->live_counters = !!live;
  if (!live)
    hb_source_clear (&self->tick);
  else if (self->tick == NULL && g_hash_table_size (self->by_id) > 0)
    self->tick = hb_source_attach (g_timeout_source_new_seconds (1), self->context, tick_cb, self);
}

/* ---------------------------------------------------------------------- */
/* Accepting                                                               */

/* "127.0.0.1:53122" from what accept() said; NULL when it is not an
 * internet address. */
static char *
format_peer (const struct sockaddr_storage *addr,
             socklen_t                      addr_len)
{
  g_autoptr(GSocketAddress) sa = g_socket_address_new_from_native ((gpointer) addr, addr_len);
  g_autofree char *ip = NULL;

  if (!G_IS_INET_SOCKET_ADDRESS (sa))
    return NULL;
  ip = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (sa)));
  return hb_format_endpoint (ip, g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (sa)));
}

/* Takes @fd, a client's socket as accept() gave it, and owns it from
 * then on; FALSE (the caller closes it) when the server stopped. */
static gboolean
accept_connection (HbServer                      *self,
                   int                            fd,
                   const struct sockaddr_storage *addr,
                   socklen_t                      addr_len)
{
  g_autofree char *peer = NULL;
  gboolean full = g_hash_table_size (self->by_id) >= self->max_clients;
  HbConnection *conn;
  char welcome[64];

  if (!self->listening)
    return FALSE;

  peer = format_peer (addr, addr_len);
  if (peer == NULL)
    peer = g_strdup ("?");
  conn = _hb_connection_new (full ? 0 : ++self->next_id, peer);
  hb_deadline_node_init (&conn->heap_node);
  conn->server = self;
  /* The live set owns this reference until on_closed. */
  g_hash_table_add (self->live, conn);
  conn->channel = hb_channel_new_for_fd (self->poller, fd, self->max_line,
                                         &_hb_server_channel_funcs, conn);
  /* When each read arrived, from the kernel: an answer's round trip is
   * then the network's and the peer's, not also the time this process
   * took to get round to reading it (a long frame of a window sharing
   * the main loop). */
  hb_channel_set_arrival_stamps (conn->channel, TRUE);
  conn->protocol = self->protocol;
  hb_timeline_set_protocol (conn->timeline, self->protocol);
  if (self->protocol != HB_PROTOCOL_LINE)
    hb_timeline_set_patterns (conn->timeline, self->heartbeat, self->ack, self->encoding);
  if (self->protocol != HB_PROTOCOL_LINE)
    hb_channel_set_framed (conn->channel, FALSE);
  if (self->protocol == HB_PROTOCOL_LAB)
    conn->scanner = hb_scanner_new (self->ack, self->line_ending);
  {
    int sndbuf = CLIENT_SNDBUF;

    setsockopt (hb_channel_get_fd (conn->channel), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  }
  conn->tokens = 2.0 * self->rate_limit;
  conn->tokens_mono = conn->connected_mono;
  hb_timeline_append (conn->timeline, HB_EVENT_CONNECT, HB_VERB_UNKNOWN, 0, 0, HB_INITIATOR_PEER);

  if (full)
    {
      g_autofree char *text = g_strdup_printf ("the server holds its maximum of %u clients", self->max_clients);

      conn->rejected = TRUE;
      if (self->protocol == HB_PROTOCOL_LINE)
        _hb_server_send_error (self, conn, HB_ERR_SERVER_FULL, text);
      _hb_server_begin_close (self, conn, HB_BYE_SERVER_FULL, HB_INITIATOR_LOCAL, TRUE);
      g_signal_emit (self, _hb_server_signals[CLIENT_REJECTED], 0, peer, HB_BYE_SERVER_FULL);
      return TRUE;
    }

  conn->listed = TRUE;
  g_hash_table_insert (self->by_id, GUINT_TO_POINTER (conn->id), conn);
  g_ptr_array_add (self->joining, g_object_ref (conn));
  if (self->join_timer == NULL)
    self->join_timer = hb_source_attach (g_timeout_source_new (JOIN_BATCH_MS), self->context,
                                         join_cb, self);
  if (self->tick == NULL && self->live_counters)
    self->tick = hb_source_attach (g_timeout_source_new_seconds (1), self->context, tick_cb, self);

  if (self->protocol == HB_PROTOCOL_LINE)
    {
      g_snprintf (welcome, sizeof welcome, "%u %u %u", conn->id, self->interval_ms, self->timeout_ms);
      _hb_server_send_line (self, conn, HB_VERB_WELCOME, welcome, -1);
    }
  conn->next_ping_mono = conn->connected_mono + _hb_server_interval_us (self);
  _hb_server_schedule (self, conn);

  g_object_notify_by_pspec (G_OBJECT (self), _hb_server_properties[PROP_N_CLIENTS]);
  g_signal_emit (self, _hb_server_signals[CLIENT_CONNECTED], 0, conn);
  return TRUE;
}

/* Turns a client away when no file is left to serve it with: the reserve
 * descriptor is given up for the moment it takes to accept, say
 * server-full (in the line protocol) and close. FALSE when none waited. */
static gboolean
reject_at_limit (HbServer *self)
{
  static const char full[] =
    "ERR server-full the server has no file descriptor left for another client\n"
    "BYE server-full\n";
  struct sockaddr_storage addr;
  socklen_t addr_len = sizeof addr;
  int fd;

  if (self->reserve_fd < 0)
    return FALSE;
  close (self->reserve_fd);
  self->reserve_fd = -1;
  fd = accept4 (g_socket_get_fd (self->listen_socket), (struct sockaddr *) &addr, &addr_len,
                SOCK_CLOEXEC);
  if (fd >= 0)
    {
      g_autofree char *peer = format_peer (&addr, addr_len);

      if (self->protocol == HB_PROTOCOL_LINE)
        {
          G_GNUC_UNUSED ssize_t n = send (fd, full, sizeof full - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        }
      shutdown (fd, SHUT_WR);
      close (fd);
      g_signal_emit (self, _hb_server_signals[CLIENT_REJECTED], 0, peer ? peer : "?", HB_BYE_SERVER_FULL);
    }
  self->reserve_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  return fd >= 0;
}

static gboolean
accept_retry_cb (gpointer user_data)
{
  HbServer *self = user_data;

  hb_source_clear (&self->accept_retry);
  if (self->reserve_fd < 0)
    self->reserve_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  if (self->listen_handle != NULL)
    {
      hb_poller_modify (self->poller, self->listen_handle, G_IO_IN);
      _hb_server_listener_ready (self, G_IO_IN);
    }
  return G_SOURCE_REMOVE;
}

/* Accepting failed for want of files (EMFILE, ENFILE) or memory: GIO's
 * GSocketService would retry at once, for ever, at 100 % CPU. Instead the
 * listener is left alone for a while (clients wait in the backlog), the
 * clients already connected go on being served, new ones are turned away
 * one by one with the reserve descriptor, and the operator hears of it
 * once per episode. */
static void
pause_accepting (HbServer *self,
                 int       err)
{
  /* Those waiting in the backlog hear at once that there is no room,
   * rather than one every retry. */
  for (guint i = 0; i < ACCEPT_BUDGET && self->reserve_fd >= 0; i++)
    if (!reject_at_limit (self) || self->listen_handle == NULL)
      break;
  /* A handler of ::client-rejected may have stopped the server. */
  if (self->listen_handle == NULL)
    return;
  hb_poller_modify (self->poller, self->listen_handle, 0);
  if (self->accept_retry == NULL)
    self->accept_retry = hb_source_attach (g_timeout_source_new (ACCEPT_RETRY_MS), self->context,
                                           accept_retry_cb, self);
  if (!self->accept_paused)
    {
      g_autofree char *why = NULL;

      self->accept_paused = TRUE;
      why = g_strdup_printf (_("cannot accept more clients: %s; new clients are turned away "
                               "until files are freed"), g_strerror (err));
      g_signal_emit (self, _hb_server_signals[ACCEPT_PAUSED], 0, why);
    }
}

void
_hb_server_listener_ready (gpointer user_data,
                           guint    condition)
{
  HbServer *self = user_data;
  int lfd;

  if (self->listen_socket == NULL || !self->listening)
    return;
  lfd = g_socket_get_fd (self->listen_socket);

  for (guint budget = ACCEPT_BUDGET; budget > 0 && self->listen_socket != NULL; budget--)
    {
      struct sockaddr_storage addr;
      socklen_t addr_len = sizeof addr;
      int fd = accept4 (lfd, (struct sockaddr *) &addr, &addr_len, SOCK_NONBLOCK | SOCK_CLOEXEC);

      if (fd < 0)
        {
          if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
            continue;
          if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
            pause_accepting (self, errno);
          return;  /* EAGAIN: the backlog is empty */
        }
      if (self->accept_paused)
        {
          self->accept_paused = FALSE;
          g_signal_emit (self, _hb_server_signals[ACCEPT_RESUMED], 0);
        }
      /* No GSocket per client: the channel works on the descriptor. */
      if (!accept_connection (self, fd, &addr, addr_len))
        close (fd);
    }
}

void
_hb_server_close_listener (HbServer *self)
{
  hb_source_clear (&self->accept_retry);
  if (self->listen_handle != NULL)
    {
      hb_poller_remove (self->poller, self->listen_handle);
      self->listen_handle = NULL;
    }
  if (self->listen_socket != NULL)
    {
      g_socket_close (self->listen_socket, NULL);
      g_clear_object (&self->listen_socket);
    }
  self->accept_paused = FALSE;
}
