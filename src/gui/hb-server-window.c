/* hb-server-window.c - the server console: listen, watch every client's heartbeat, talk to them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window only binds: the HbServer owns the clients and their state,
 * the column view shows its list model through expressions
 * (hb-server-columns.c), and one HbClock drives every "3 s ago" on
 * screen. What only the lab's protocol and raw TCP have is in
 * hb-server-window-lab.c.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "hb-cell-text.h"
#include "hb-server-window-private.h"
#include "hb-style.h"

G_DEFINE_FINAL_TYPE (HbServerWindow, hb_server_window, GTK_TYPE_APPLICATION_WINDOW)

/* Log lines reach the view at most this often: 10,000 clients joining are
 * then a few hundred changes of the log's list, not 10,000. */
#define LOG_BATCH_MS 50

/* ---------------------------------------------------------------------- */
/* Log                                                                     */

static gboolean
flush_log (gpointer user_data)
{
  HbServerWindow *self = user_data;

  self->log_flush_id = 0;
  hb_log_view_append_many (self->log_view, (HbLogEntry **) self->log_pending->pdata,
                           self->log_pending->len);
  g_ptr_array_set_size (self->log_pending, 0);
  return G_SOURCE_REMOVE;
}

void
hb_server_window_log_entry (HbServerWindow *self,
                            HbLogEntry     *entry)
{
  g_ptr_array_add (self->log_pending, entry);
  if (self->log_flush_id == 0)
    self->log_flush_id = g_timeout_add (LOG_BATCH_MS, flush_log, self);
}

char *
hb_server_window_who (HbServerWindow *self,
                      HbConnection   *conn)
{
  if (hb_connection_get_name (conn) != NULL)
    return g_strdup_printf ("#%u %s", hb_connection_get_id (conn), hb_connection_get_name (conn));
  if (hb_connection_get_protocol (conn) != HB_PROTOCOL_LINE)
    return g_strdup_printf ("#%u %s", hb_connection_get_id (conn), hb_connection_get_peer (conn));
  return g_strdup_printf ("#%u", hb_connection_get_id (conn));
}

void
hb_server_window_log_add (HbServerWindow *self,
                          HbLogKind       kind,
                          HbConnection   *conn,
                          const char     *text)
{
  g_autofree char *who = conn ? hb_server_window_who (self, conn) : NULL;

  hb_server_window_log_entry (self, hb_log_entry_new (kind, conn ? hb_connection_get_id (conn) : 0, who, text));
}


static gboolean
log_filter_func (gpointer item,
                 gpointer user_data)
{
  HbServerWindow *self = user_data;
  HbLogEntry *entry = item;
  const char *needle = gtk_editable_get_text (GTK_EDITABLE (self->log_search));

  if (!hb_server_window_lab_shows (self, entry))
    return FALSE;
  if (gtk_toggle_button_get_active (self->selected_only_toggle) &&
      !g_hash_table_contains (self->selected_ids,
                              GUINT_TO_POINTER (hb_log_entry_get_client_id (entry))))
    return FALSE;

  if (needle != NULL && *needle != '\0')
    {
      g_autofree char *n = g_utf8_casefold (needle, -1);
      g_autofree char *whole = hb_log_entry_dup_text (entry);
      g_autofree char *text = g_utf8_casefold (whole, -1);
      g_autofree char *who = g_utf8_casefold (hb_log_entry_get_who (entry), -1);

      return strstr (text, n) != NULL || strstr (who, n) != NULL;
    }
  return TRUE;
}

void
hb_server_window_refilter_log (HbServerWindow *self)
{
  gtk_filter_changed (GTK_FILTER (self->log_filter), GTK_FILTER_CHANGE_DIFFERENT);
}

/* What acts on the selected clients is there only when one is selected:
 * the buttons grey out and their shortcuts do nothing, rather than answer
 * with an error after the fact. */
/* @open: whether a selected client is still connected (a departed
 * row can show its timeline, but takes no message and no kick). */
static void
update_selection_actions (HbServerWindow *self,
                          gboolean        open)
{
  gboolean any = g_hash_table_size (self->selected_ids) > 0;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.send-selected", open);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.kick-selected", open);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.show-timeline", any);
}

static void
update_selected_ids (HbServerWindow *self)
{
  g_autoptr(GtkBitset) set = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  GtkBitsetIter iter;
  guint pos;
  gboolean open = FALSE;

  g_hash_table_remove_all (self->selected_ids);
  for (gboolean ok = gtk_bitset_iter_init_first (&iter, set, &pos); ok;
       ok = gtk_bitset_iter_next (&iter, &pos))
    {
      g_autoptr(HbConnection) conn = g_list_model_get_item (G_LIST_MODEL (self->selection), pos);

      g_hash_table_add (self->selected_ids, GUINT_TO_POINTER (hb_connection_get_id (conn)));
      open |= !hb_connection_get_closing (conn);
    }
  update_selection_actions (self, open);
  if (gtk_toggle_button_get_active (self->selected_only_toggle))
    hb_server_window_refilter_log (self);
}

/* ---------------------------------------------------------------------- */
/* Server events                                                           */

void
hb_server_window_update_status (HbServerWindow *self)
{
  g_autofree char *text = NULL;
  guint n = hb_server_get_n_clients (self->server);

  if (hb_server_get_listening (self->server))
    {
      const char *addr = hb_server_get_address (self->server);
      g_autofree char *where = hb_format_endpoint (addr, hb_server_get_port (self->server));

      text = g_strdup_printf (ngettext ("Listening on %s · %u client · %.1f messages/s",
                                        "Listening on %s · %u clients · %.1f messages/s", n),
                              where, n, self->message_rate);
      gtk_button_set_label (self->start_button, _("_Stop Listening"));
      gtk_widget_remove_css_class (GTK_WIDGET (self->start_button), "suggested-action");
    }
  else
    {
      text = g_strdup_printf (ngettext ("Not listening · %u client", "Not listening · %u clients", n), n);
      gtk_button_set_label (self->start_button, _("_Start Listening"));
      gtk_widget_add_css_class (GTK_WIDGET (self->start_button), "suggested-action");
    }
  if (hb_server_get_listening (self->server) && hb_server_get_protocol (self->server) != HB_PROTOCOL_LINE)
    {
      char *more = g_strconcat (text, hb_server_get_protocol (self->server) == HB_PROTOCOL_LAB
                                        ? _(" · the lab's protocol") : _(" · raw TCP"), NULL);

      g_free (text);
      text = more;
    }
  if (self->capture != NULL && hb_capture_session_is_active (self->capture))
    {
      char *more = g_strconcat (text, _(" · capturing packets"), NULL);

      g_free (text);
      text = more;
    }
  hb_label_set_text_changed (self->status_label, text);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "capture")),
                               hb_server_get_listening (self->server));
  gtk_stack_set_visible_child_name (self->list_stack,
                                    n > 0 || g_list_model_get_n_items (G_LIST_MODEL (self->departed)) > 0
                                      ? "list" : "empty");
  gtk_widget_set_sensitive (GTK_WIDGET (self->address_entry), !hb_server_get_listening (self->server));
  gtk_widget_set_sensitive (GTK_WIDGET (self->all_interfaces_check), !hb_server_get_listening (self->server));
  gtk_widget_set_sensitive (GTK_WIDGET (self->port_spin), !hb_server_get_listening (self->server));
  gtk_widget_set_sensitive (GTK_WIDGET (self->protocol_drop), !hb_server_get_listening (self->server));
  hb_server_window_lab_update_actions (self);
}

static void
update_empty_hint (HbServerWindow *self)
{
  g_autofree char *hint = NULL;
  const char *addr = hb_server_get_address (self->server);
  gboolean any = g_strcmp0 (addr, "::") == 0 || g_strcmp0 (addr, "0.0.0.0") == 0;

  const char *host = any ? "127.0.0.1" : addr;
  guint port = hb_server_get_port (self->server);

  if (hb_server_get_listening (self->server) && hb_server_get_protocol (self->server) == HB_PROTOCOL_LAB)
    hint = g_strdup_printf (_("The students' programs connect to port %u%s.\n"
                              "Every %g s the server sends “%s” to each, and expects “%s” back.\n"
                              "Try it in a terminal: nc %s %u"),
                            port, any ? _(" of this computer's address") : "",
                            hb_server_get_interval_ms (self->server) / 1000.0,
                            self->heartbeat_shown, self->ack_shown, host, port);
  else if (hb_server_get_listening (self->server) && hb_server_get_protocol (self->server) == HB_PROTOCOL_RAW)
    hint = g_strdup_printf (_("Any TCP program may connect to port %u: nothing is expected of it,\n"
                              "and every read of its bytes is shown as it arrives.\n"
                              "Try it in a terminal: nc %s %u"),
                            port, host, port);
  else if (hb_server_get_listening (self->server))
    hint = g_strdup_printf (_("Open a client window with Ctrl+N, or in a terminal run\nnc %s %u\nand type MSG hello"),
                            host, port);
  else
    hint = g_strdup (_("Start listening, then open a client window with Ctrl+N\nor connect with nc from a terminal."));
  gtk_label_set_text (self->empty_hint, hint);
}

static void
on_clock_tick (HbClock        *clock,
               GParamSpec     *pspec,
               HbServerWindow *self)
{
  self->message_rate = 0.7 * self->message_rate + 0.3 * self->messages_this_tick;
  if (self->message_rate < 0.05)
    self->message_rate = 0;
  self->messages_this_tick = 0;
  hb_server_window_update_status (self);
}

/* alive → late → dead, and back, in the log as in the State column. */
static void
on_liveness_changed (HbConnection   *conn,
                     GParamSpec     *pspec,
                     HbServerWindow *self)
{
  guint missed = hb_connection_get_missed (conn);
  g_autofree char *text = NULL;

  switch (hb_connection_get_liveness (conn))
    {
    case HB_LIVENESS_ALIVE:
      hb_server_window_log_add (self, HB_LOG_INFO, conn, _("alive again: the heartbeat was answered"));
      break;
    case HB_LIVENESS_LATE:
      text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "late: no answer within the interval (%u heartbeat missed so far)",
                                           "late: no answer within the interval (%u heartbeats missed so far)",
                                           missed),
                              missed);
      hb_server_window_log_add (self, HB_LOG_ERROR, conn, text);
      break;
    case HB_LIVENESS_DEAD:
    default:
      hb_server_window_log_add (self, HB_LOG_ERROR, conn, _("dead: no answer within the timeout"));
      break;
    }
}

static void
on_client_connected (HbServer *server, HbConnection *conn, HbServerWindow *self)
{
  g_autofree char *text = g_strdup_printf (_("joined from %s"), hb_connection_get_peer (conn));

  hb_server_window_log_add (self, HB_LOG_JOIN, conn, text);
  g_signal_connect_object (conn, "notify::liveness", G_CALLBACK (on_liveness_changed), self, 0);
}

/* A departed client's row stays this long, greyed, saying why it left;
 * at most so many, the oldest going first. */
#define DEPARTED_KEEP_US (5 * G_USEC_PER_SEC)
#define DEPARTED_MAX 1000

static gboolean
expire_departed (gpointer data)
{
  HbServerWindow *self = data;
  GListModel *model = G_LIST_MODEL (self->departed);
  gint64 now = g_get_monotonic_time ();
  guint n = g_list_model_get_n_items (model);
  guint expired = 0;

  while (expired < n)
    {
      g_autoptr(HbConnection) conn = g_list_model_get_item (model, expired);
      gint64 *left = g_object_get_data (G_OBJECT (conn), "hb-departed");

      if (*left + DEPARTED_KEEP_US > now && n - expired <= DEPARTED_MAX)
        break;
      expired++;
    }
  if (expired > 0)
    {
      g_list_store_splice (self->departed, 0, expired, NULL, 0);
      hb_server_window_update_status (self);
    }
  if (expired == n)
    {
      self->departed_id = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
on_client_hello (HbServer *server, HbConnection *conn, const char *name, HbServerWindow *self)
{
  g_autofree char *text = g_strdup_printf (_("is called %s"), name);

  hb_server_window_log_add (self, HB_LOG_INFO, conn, text);
}

static void
on_message (HbServer *server, HbConnection *conn, const char *text, HbServerWindow *self)
{
  self->messages_this_tick++;
  /* In the lab's protocol every byte of a message is in the log already,
   * read by read (hb-server-window-lab.c): how it came is the lesson. */
  if (hb_connection_get_protocol (conn) == HB_PROTOCOL_LINE)
    hb_server_window_log_add (self, HB_LOG_MESSAGE, conn, text);
}

static void
on_error_sent (HbServer *server, HbConnection *conn, HbErrCode code, const char *text, HbServerWindow *self)
{
  g_autofree char *line = g_strdup_printf ("%s: %s", hb_err_code_to_string (code), text);

  hb_server_window_log_add (self, HB_LOG_ERROR, conn, line);
}

static const char *
close_words (HbCloseKind kind)
{
  switch (kind)
    {
    case HB_CLOSE_FIN: return _("with FIN");
    case HB_CLOSE_RESET: return _("with RST");
    case HB_CLOSE_NO_FIN: return _("its FIN never came");
    case HB_CLOSE_ERROR: return _("socket error");
    case HB_CLOSE_OPEN:
    default: return NULL;
    }
}

static void
on_client_disconnected (HbServer *server, HbConnection *conn, HbByeReason reason,
                        HbInitiator initiator, HbServerWindow *self)
{
  const char *first = initiator == HB_INITIATOR_LOCAL ? _("server closed first") : _("client closed first");
  const char *how = close_words (hb_connection_get_close_kind (conn));
  g_autofree char *text = NULL;

  /* Without BYE, how TCP closed is what the lab's teardown is about. */
  if (hb_connection_get_protocol (conn) != HB_PROTOCOL_LINE && how != NULL)
    text = g_strdup_printf (_("left: %s, %s (%s)"), hb_server_reason_words (reason), how, first);
  else
    text = g_strdup_printf (_("left: %s (%s)"), hb_server_reason_words (reason), first);
  hb_server_window_log_add (self, HB_LOG_LEAVE, conn, text);

  {
    gint64 *left = g_new (gint64, 1);

    *left = g_get_monotonic_time ();
    g_object_set_data_full (G_OBJECT (conn), "hb-departed", left, g_free);
    g_list_store_append (self->departed, conn);
  }
  if (self->departed_id == 0)
    self->departed_id = g_timeout_add_seconds (1, expire_departed, self);
}

static void
on_client_rejected (HbServer *server, const char *peer, HbByeReason reason, HbServerWindow *self)
{
  g_autofree char *text = g_strdup_printf (_("turned away %s: the server is full"), peer);

  hb_server_window_log_add (self, HB_LOG_ERROR, NULL, text);
}

static void
on_server_notify (HbServer       *server,
                  GParamSpec     *pspec,
                  HbServerWindow *self)
{
  hb_server_window_update_status (self);
  update_empty_hint (self);
}

/* ---------------------------------------------------------------------- */
/* Actions                                                                 */


void
hb_server_window_show_error (HbServerWindow *self,
                             const char     *message)
{
  gtk_label_set_text (self->error_label, message);
  gtk_revealer_set_reveal_child (self->error_revealer, TRUE);
}

static void
dismiss_error_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  HbServerWindow *self = HB_SERVER_WINDOW (widget);

  gtk_revealer_set_reveal_child (self->error_revealer, FALSE);
}

/* A client is dead when no PONG came for the timeout, counted from its last
 * PONG; the next one can come only after the next PING, an interval later.
 * A timeout no longer than the interval would declare every client dead. */
static gboolean
heartbeat_valid (HbServerWindow *self)
{
  return gtk_spin_button_get_value_as_int (self->timeout_spin) >
         gtk_spin_button_get_value_as_int (self->interval_spin);
}

/* Flags a timeout no longer than the interval; a valid pair applies to
 * a listening server at once (its clients hear it in a new WELCOME). */
static void
check_heartbeat (HbServerWindow *self)
{
  gboolean valid = heartbeat_valid (self);

  hb_style_flag_invalid (GTK_WIDGET (self->timeout_spin), self->timeout_warning, !valid);
  if (valid && self->server != NULL && hb_server_get_listening (self->server))
    g_object_set (self->server,
                  "interval-ms", (guint) gtk_spin_button_get_value_as_int (self->interval_spin),
                  "timeout-ms", (guint) gtk_spin_button_get_value_as_int (self->timeout_spin),
                  NULL);
}

static void
toggle_listening_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *param)
{
  HbServerWindow *self = HB_SERVER_WINDOW (widget);
  g_autoptr(GError) error = NULL;
  g_autofree char *msg = NULL;
  HbProtocol protocol = gtk_drop_down_get_selected (self->protocol_drop);

  if (hb_server_get_listening (self->server))
    {
      hb_server_stop (self->server);
      hb_server_window_capture_stop (self);
      hb_server_window_log_add (self, HB_LOG_INFO, NULL,
                                hb_server_get_protocol (self->server) == HB_PROTOCOL_LINE
                                  ? _("Stopped listening; every client was told BYE shutdown")
                                  : _("Stopped listening; every client's connection was closed (FIN)"));
      return;
    }

  if (protocol > HB_PROTOCOL_RAW)
    protocol = HB_PROTOCOL_LINE;
  if (protocol != HB_PROTOCOL_RAW && !heartbeat_valid (self))
    {
      g_autofree char *text =
        g_strdup_printf (_("The timeout (%d ms) must be longer than the heartbeat interval (%d ms), or every client is declared dead before it can answer. Raise the timeout under Heartbeat…, then start again."),
                         gtk_spin_button_get_value_as_int (self->timeout_spin),
                         gtk_spin_button_get_value_as_int (self->interval_spin));

      hb_server_window_show_error (self, text);
      return;
    }
  if (!hb_lab_settings_apply (self->lab_settings, protocol, G_OBJECT (self->server), &error))
    {
      g_autofree char *text = g_strdup_printf (_("%s. Correct it under Heartbeat…, then start again."),
                                               error->message);

      hb_server_window_show_error (self, text);
      return;
    }
  /* Remembered for the next window and the next run; this window keeps
   * its own copy meanwhile (never a field shared with another window). */
  g_settings_set_string (self->settings, "server-protocol", hb_protocol_to_string (protocol));
  hb_lab_settings_save (self->lab_settings, self->settings);
  g_settings_set_string (self->settings, "bind-address", gtk_editable_get_text (GTK_EDITABLE (self->address_entry)));
  g_settings_set_uint (self->settings, "port", (guint) gtk_spin_button_get_value_as_int (self->port_spin));
  g_settings_set_uint (self->settings, "interval-ms", (guint) gtk_spin_button_get_value_as_int (self->interval_spin));
  g_settings_set_uint (self->settings, "timeout-ms", (guint) gtk_spin_button_get_value_as_int (self->timeout_spin));
  g_settings_set_uint (self->settings, "max-clients", (guint) gtk_spin_button_get_value_as_int (self->max_clients_spin));
  g_settings_set_boolean (self->settings, "relay", gtk_switch_get_active (self->relay_switch));
  g_free (self->heartbeat_shown);
  self->heartbeat_shown = g_strdup (hb_lab_settings_get_heartbeat_text (self->lab_settings));
  g_free (self->ack_shown);
  self->ack_shown = g_strdup (hb_lab_settings_get_ack_text (self->lab_settings));

  g_object_set (self->server,
                "protocol", protocol,
                "address", gtk_editable_get_text (GTK_EDITABLE (self->address_entry)),
                "port", (guint) gtk_spin_button_get_value_as_int (self->port_spin),
                "interval-ms", (guint) gtk_spin_button_get_value_as_int (self->interval_spin),
                "timeout-ms", (guint) gtk_spin_button_get_value_as_int (self->timeout_spin),
                "max-clients", (guint) gtk_spin_button_get_value_as_int (self->max_clients_spin),
                "relay", gtk_switch_get_active (self->relay_switch),
                NULL);

  if (!hb_server_start (self->server, &error))
    {
      g_autofree char *text = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        text = g_strdup_printf (_("%s. Another program — perhaps another Heartbeat Lab — is using this port. Choose another port, or 0 to let the system pick one, and start again."),
                                error->message);
      else
        text = g_strdup_printf (_("%s. Check the address and port, then start again."), error->message);
      hb_server_window_show_error (self, text);
      hb_server_window_log_add (self, HB_LOG_ERROR, NULL, error->message);
      return;
    }

  gtk_revealer_set_reveal_child (self->error_revealer, FALSE);
  hb_server_window_capture_attach (self);
  if (protocol == HB_PROTOCOL_LAB)
    msg = g_strdup_printf (_("Listening on %s port %u in the lab's protocol: “%s” every %u ms, answered by “%s”; dead after %u ms"),
                           hb_server_get_address (self->server), hb_server_get_port (self->server),
                           self->heartbeat_shown, hb_server_get_interval_ms (self->server), self->ack_shown,
                           hb_server_get_timeout_ms (self->server));
  else if (protocol == HB_PROTOCOL_RAW)
    msg = g_strdup_printf (_("Listening on %s port %u as a plain TCP server: no heartbeat, every read shown"),
                           hb_server_get_address (self->server), hb_server_get_port (self->server));
  else
    msg = g_strdup_printf (_("Listening on %s port %u: heartbeat every %u ms, dead after %u ms"),
                           hb_server_get_address (self->server), hb_server_get_port (self->server),
                           hb_server_get_interval_ms (self->server), hb_server_get_timeout_ms (self->server));
  hb_server_window_log_add (self, HB_LOG_INFO, NULL, msg);
  hb_server_window_lab_started (self);
  update_empty_hint (self);
  hb_server_window_update_status (self);
}

static char *
take_entry_text (HbServerWindow *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->broadcast_entry));

  if (text == NULL || *text == '\0')
    return NULL;
  return g_strdup (text);
}

static void
broadcast_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  HbServerWindow *self = HB_SERVER_WINDOW (widget);
  g_autofree char *text = take_entry_text (self);
  g_autofree char *line = NULL;
  guint n;

  if (text == NULL)
    return;
  n = hb_server_broadcast (self->server, text);
  line = g_strdup_printf (ngettext ("%s  (%u recipient)", "%s  (%u recipients)", n), text, n);
  hb_server_window_log_add (self, HB_LOG_BROADCAST, NULL, line);
  gtk_editable_set_text (GTK_EDITABLE (self->broadcast_entry), "");
}

GPtrArray *
hb_server_window_selected_connections (HbServerWindow *self)
{
  g_autoptr(GtkBitset) set = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  GPtrArray *out = g_ptr_array_new_with_free_func (g_object_unref);
  GtkBitsetIter iter;
  guint pos;

  for (gboolean ok = gtk_bitset_iter_init_first (&iter, set, &pos); ok;
       ok = gtk_bitset_iter_next (&iter, &pos))
    g_ptr_array_add (out, g_list_model_get_item (G_LIST_MODEL (self->selection), pos));
  return out;
}

static void
send_selected_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  HbServerWindow *self = HB_SERVER_WINDOW (widget);
  g_autofree char *text = take_entry_text (self);
  g_autoptr(GPtrArray) conns = hb_server_window_selected_connections (self);

  if (text == NULL)
    return;
  if (conns->len == 0)
    {
      hb_server_window_show_error (self, _("Select one or more clients in the list first (Ctrl+click adds to the selection)."));
      return;
    }
  for (guint i = 0; i < conns->len; i++)
    {
      HbConnection *conn = g_ptr_array_index (conns, i);

      if (hb_server_send (self->server, hb_connection_get_id (conn), text))
        hb_server_window_log_add (self, HB_LOG_SENT, conn, text);
    }
  gtk_editable_set_text (GTK_EDITABLE (self->broadcast_entry), "");
}

static void
kick_selected_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  HbServerWindow *self = HB_SERVER_WINDOW (widget);
  g_autoptr(GPtrArray) conns = hb_server_window_selected_connections (self);

  for (guint i = 0; i < conns->len; i++)
    hb_server_kick (self->server, hb_connection_get_id (g_ptr_array_index (conns, i)));
}

static void
clear_log_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  HbServerWindow *self = HB_SERVER_WINDOW (widget);

  g_ptr_array_set_size (self->log_pending, 0);
  hb_log_view_clear (self->log_view);
}

static void
export_response (GtkNativeDialog *dialog,
                 int              response,
                 gpointer         user_data)
{
  g_autoptr(HbServerWindow) self = user_data;
  gboolean json = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "hb-json"));

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autoptr(GError) error = NULL;

      if (!hb_log_export (hb_log_view_get_model (self->log_view), file, json, &error))
        hb_server_window_show_error (self, error->message);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
export_log_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  HbServerWindow *self = HB_SERVER_WINDOW (widget);
  gboolean json = g_strcmp0 (g_variant_get_string (param, NULL), "jsonl") == 0;
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (json ? _("Export Log as JSON Lines") : _("Export Log as CSV"),
                                        GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE,
                                        _("_Export"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog),
                                     json ? "heartbeat-log.jsonl" : "heartbeat-log.csv");
  g_object_set_data (G_OBJECT (dialog), "hb-json", GINT_TO_POINTER (json));
  g_signal_connect (dialog, "response", G_CALLBACK (export_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
focus_entry_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  gtk_widget_grab_focus (GTK_WIDGET (HB_SERVER_WINDOW (widget)->broadcast_entry));
}

static void
on_entry_activate (HbServerWindow *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "win.broadcast", NULL);
}

static void
on_all_interfaces_toggled (GtkCheckButton *check,
                           HbServerWindow *self)
{
  const char *addr = gtk_editable_get_text (GTK_EDITABLE (self->address_entry));
  gboolean any = g_strcmp0 (addr, "::") == 0 || g_strcmp0 (addr, "0.0.0.0") == 0;

  if (gtk_check_button_get_active (check) && !any)
    gtk_editable_set_text (GTK_EDITABLE (self->address_entry), "::");
  else if (!gtk_check_button_get_active (check) && any)
    gtk_editable_set_text (GTK_EDITABLE (self->address_entry), "127.0.0.1");
}

static void
on_address_changed (GtkEditable    *editable,
                    HbServerWindow *self)
{
  const char *addr = gtk_editable_get_text (editable);

  gtk_check_button_set_active (self->all_interfaces_check,
                               g_strcmp0 (addr, "::") == 0 || g_strcmp0 (addr, "0.0.0.0") == 0);
}

static HbCheckBoard *
get_board (gpointer data)
{
  return HB_SERVER_WINDOW (data)->board;
}

/* What the chosen protocol uses is there to be set, and nothing else:
 * relaying is the line protocol's; raw TCP has no heartbeat at all. */
static void
on_protocol_chosen (HbServerWindow *self)
{
  HbProtocol protocol = gtk_drop_down_get_selected (self->protocol_drop);

  hb_lab_settings_set_protocol (self->lab_settings, protocol);
  gtk_widget_set_sensitive (GTK_WIDGET (self->relay_switch), protocol == HB_PROTOCOL_LINE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->interval_spin), protocol != HB_PROTOCOL_RAW);
  gtk_widget_set_sensitive (GTK_WIDGET (self->timeout_spin), protocol != HB_PROTOCOL_RAW);
}

/* ---------------------------------------------------------------------- */
/* GObject                                                                 */

static void
hb_server_window_dispose (GObject *object)
{
  HbServerWindow *self = HB_SERVER_WINDOW (object);

  if (self->capture != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->capture, self);
      hb_capture_session_release (self->capture);
      g_clear_object (&self->capture);
    }
  if (self->server != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->server, self);
      /* BYE shutdown and FIN to every client, and up to 2 s for their
       * FINs, after this window is gone and even as the application
       * quits: the server is handed over rather than dropped. */
      hb_farewell_server (self->server);
    }
  if (self->clock != NULL)
    g_signal_handlers_disconnect_by_data (self->clock, self);
  g_clear_handle_id (&self->departed_id, g_source_remove);
  /* The column view may keep the selection past this point, and a server
   * stopped with many clients still removes rows from it afterwards. */
  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_data (self->selection, self);
  if (self->interval_spin != NULL)
    {
      g_signal_handlers_disconnect_by_data (gtk_spin_button_get_adjustment (self->interval_spin), self);
      g_signal_handlers_disconnect_by_data (gtk_spin_button_get_adjustment (self->timeout_spin), self);
    }
  hb_server_window_lab_dispose (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), HB_TYPE_SERVER_WINDOW);
  g_clear_pointer (&self->columns, hb_server_columns_free);
  g_clear_pointer (&self->heartbeat_shown, g_free);
  g_clear_pointer (&self->ack_shown, g_free);
  g_clear_object (&self->selection);
  g_clear_object (&self->departed);
  g_clear_object (&self->log_filter);
  g_clear_object (&self->server);
  g_clear_object (&self->clock);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->selected_ids, g_hash_table_unref);
  g_clear_handle_id (&self->log_flush_id, g_source_remove);
  g_clear_pointer (&self->log_pending, g_ptr_array_unref);

  G_OBJECT_CLASS (hb_server_window_parent_class)->dispose (object);
}

static void
hb_server_window_class_init (HbServerWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hb_server_window_dispose;

  g_type_ensure (HB_TYPE_LOG_VIEW);
  g_type_ensure (HB_TYPE_LAB_SETTINGS);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/heartbeatlab/HeartbeatLab/hb-server-window.ui");
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, address_entry);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, all_interfaces_check);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, port_spin);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, protocol_drop);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, interval_spin);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, timeout_spin);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, timeout_warning);
  gtk_widget_class_bind_template_child_full (widget_class, "timeout_warning_label", FALSE, 0);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, max_clients_spin);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, relay_switch);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, lab_settings);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, start_button);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, capture_button);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, error_label);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, list_stack);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, empty_hint);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, column_view);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, selected_only_toggle);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, view_button);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, log_search);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, log_view);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, broadcast_entry);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, check_button);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, kick_button);
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, status_label);
  /* Only for tests, which look at what the user sees. */
  gtk_widget_class_bind_template_child_full (widget_class, "send_selected_button", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "heartbeat_button", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "timeline_button", FALSE, 0);

  gtk_widget_class_install_action (widget_class, "win.toggle-listening", NULL, toggle_listening_action);
  gtk_widget_class_install_action (widget_class, "win.broadcast", NULL, broadcast_action);
  gtk_widget_class_install_action (widget_class, "win.send-selected", NULL, send_selected_action);
  gtk_widget_class_install_action (widget_class, "win.kick-selected", NULL, kick_selected_action);
  gtk_widget_class_install_action (widget_class, "win.clear-log", NULL, clear_log_action);
  hb_server_window_capture_class_init (widget_class);
  gtk_widget_class_install_action (widget_class, "win.export-log", "s", export_log_action);
  gtk_widget_class_install_action (widget_class, "win.dismiss-error", NULL, dismiss_error_action);
  gtk_widget_class_install_action (widget_class, "win.focus-message", NULL, focus_entry_action);
  hb_server_window_lab_class_init (widget_class);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_l, GDK_CONTROL_MASK, "win.toggle-listening", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_t, GDK_CONTROL_MASK, "win.show-timeline", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "win.capture", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "win.kick-selected", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_m, GDK_CONTROL_MASK, "win.focus-message", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "win.send-selected", NULL);
}

static void
hb_server_window_init (HbServerWindow *self)
{
  GtkSortListModel *sorted;

  static const GActionEntry entries[] = {
    { .name = "capture", .state = "false", .change_state = hb_server_window_capture_change_state },
  };

  gtk_widget_init_template (GTK_WIDGET (self));
  hb_load_style ();
  g_action_map_add_action_entries (G_ACTION_MAP (self), entries, G_N_ELEMENTS (entries), self);

  self->settings = g_settings_new (APP_ID);
  self->clock = hb_clock_new (1000);
  self->server = hb_server_new ();
  self->selected_ids = g_hash_table_new (NULL, NULL);
  self->log_pending = g_ptr_array_new_with_free_func (g_object_unref);

  /* The preferences are what a new window starts with; each window then
   * edits its own copy (two windows bound two-way to one key shared one
   * port field), saved back when it starts listening. */
  {
    const GSettingsBindFlags once = G_SETTINGS_BIND_GET | G_SETTINGS_BIND_GET_NO_CHANGES;

    g_settings_bind (self->settings, "bind-address", self->address_entry, "text", once);
    g_settings_bind (self->settings, "port", gtk_spin_button_get_adjustment (self->port_spin), "value", once);
    g_settings_bind (self->settings, "interval-ms", gtk_spin_button_get_adjustment (self->interval_spin), "value", once);
    g_settings_bind (self->settings, "timeout-ms", gtk_spin_button_get_adjustment (self->timeout_spin), "value", once);
    g_settings_bind (self->settings, "max-clients", gtk_spin_button_get_adjustment (self->max_clients_spin), "value", once);
    g_settings_bind (self->settings, "relay", self->relay_switch, "active", once);
  }
  /* Taken once, so that two windows never edit one field together;
   * saved when the window starts listening. */
  {
    g_autofree char *protocol = g_settings_get_string (self->settings, "server-protocol");
    HbProtocol p = HB_PROTOCOL_LINE;

    hb_protocol_from_string (protocol, &p);
    hb_protocol_drop_down_init (self->protocol_drop);
    gtk_drop_down_set_selected (self->protocol_drop, p);
    hb_lab_settings_load (self->lab_settings, self->settings);
  }
  g_signal_connect_swapped (self->protocol_drop, "notify::selected", G_CALLBACK (on_protocol_chosen), self);
  on_protocol_chosen (self);
  on_address_changed (GTK_EDITABLE (self->address_entry), self);
  g_signal_connect_swapped (gtk_spin_button_get_adjustment (self->interval_spin), "value-changed",
                            G_CALLBACK (check_heartbeat), self);
  g_signal_connect_swapped (gtk_spin_button_get_adjustment (self->timeout_spin), "value-changed",
                            G_CALLBACK (check_heartbeat), self);
  check_heartbeat (self);
  g_signal_connect (self->address_entry, "changed", G_CALLBACK (on_address_changed), self);
  g_signal_connect (self->all_interfaces_check, "toggled", G_CALLBACK (on_all_interfaces_toggled), self);

  self->columns = hb_server_columns_new (self->column_view, self->clock, get_board, self);
  /* The server's clients, then those that just left (kept a while). */
  {
    GListStore *parts = g_list_store_new (G_TYPE_LIST_MODEL);

    self->departed = g_list_store_new (HB_TYPE_CONNECTION);
    g_list_store_append (parts, hb_server_get_connections (self->server));
    g_list_store_append (parts, self->departed);
    sorted = gtk_sort_list_model_new (G_LIST_MODEL (gtk_flatten_list_model_new (G_LIST_MODEL (parts))),
                                      g_object_ref (gtk_column_view_get_sorter (self->column_view)));
  }
  self->selection = gtk_multi_selection_new (G_LIST_MODEL (sorted));
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect_swapped (self->selection, "selection-changed", G_CALLBACK (update_selected_ids), self);
  g_signal_connect (self->column_view, "activate", G_CALLBACK (hb_server_window_on_row_activate), self);
  g_signal_connect_swapped (self->selection, "items-changed", G_CALLBACK (update_selected_ids), self);
  update_selection_actions (self, FALSE);

  self->log_filter = gtk_custom_filter_new (log_filter_func, self, NULL);
  hb_log_view_set_filter (self->log_view, GTK_FILTER (self->log_filter));
  g_signal_connect_swapped (self->log_search, "search-changed", G_CALLBACK (hb_server_window_refilter_log), self);
  g_signal_connect_swapped (self->selected_only_toggle, "toggled", G_CALLBACK (hb_server_window_refilter_log), self);

  g_signal_connect_swapped (self->broadcast_entry, "activate", G_CALLBACK (on_entry_activate), self);
  g_signal_connect (self->server, "client-connected", G_CALLBACK (on_client_connected), self);
  g_signal_connect (self->server, "client-hello", G_CALLBACK (on_client_hello), self);
  g_signal_connect (self->server, "message", G_CALLBACK (on_message), self);
  g_signal_connect (self->server, "error-sent", G_CALLBACK (on_error_sent), self);
  g_signal_connect (self->server, "client-disconnected", G_CALLBACK (on_client_disconnected), self);
  g_signal_connect (self->server, "client-rejected", G_CALLBACK (on_client_rejected), self);
  g_signal_connect (self->server, "notify::listening", G_CALLBACK (on_server_notify), self);
  g_signal_connect (self->server, "notify::n-clients", G_CALLBACK (on_server_notify), self);
  g_signal_connect (self->clock, "notify::now", G_CALLBACK (on_clock_tick), self);
  hb_server_window_lab_init (self);

  hb_server_window_update_status (self);
  update_empty_hint (self);
}

HbServerWindow *
hb_server_window_new (GtkApplication *application)
{
  return g_object_new (HB_TYPE_SERVER_WINDOW, "application", application, NULL);
}

gboolean
hb_server_window_start (HbServerWindow *self)
{
  g_return_val_if_fail (HB_IS_SERVER_WINDOW (self), FALSE);

  if (!hb_server_get_listening (self->server))
    gtk_widget_activate_action (GTK_WIDGET (self), "win.toggle-listening", NULL);
  return hb_server_get_listening (self->server);
}

HbServer *
hb_server_window_get_server (HbServerWindow *self)
{
  g_return_val_if_fail (HB_IS_SERVER_WINDOW (self), NULL);
  return self->server;
}

GListModel *
hb_server_window_get_log (HbServerWindow *self)
{
  g_return_val_if_fail (HB_IS_SERVER_WINDOW (self), NULL);
  return hb_log_view_get_model (self->log_view);
}
