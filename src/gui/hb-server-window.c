/* hb-server-window.c - the server console: listen, watch every client's heartbeat, talk to them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window only binds: the HbServer owns the clients and their state,
 * the column view shows its list model through expressions
 * (hb-server-columns.c), and one HbClock drives every "3 s ago" on
 * screen. What the operator does is in hb-server-window-actions.c, the
 * log in hb-server-window-log.c, and what only the lab's protocol and raw
 * TCP have in hb-server-window-lab.c.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "hb-cell-text.h"
#include "hb-server-window-private.h"
#include "hb-style.h"

G_DEFINE_FINAL_TYPE (HbServerWindow, hb_server_window, GTK_TYPE_APPLICATION_WINDOW)

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
  hb_server_settings_set_listening (self->server_settings, hb_server_get_listening (self->server));
  hb_server_window_lab_update_actions (self);
}

void
hb_server_window_update_empty_hint (HbServerWindow *self)
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
  hb_server_window_update_empty_hint (self);
}

static HbCheckBoard *
get_board (gpointer data)
{
  return HB_SERVER_WINDOW (data)->board;
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
  g_type_ensure (HB_TYPE_SERVER_SETTINGS);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/heartbeatlab/HeartbeatLab/hb-server-window.ui");
  gtk_widget_class_bind_template_child (widget_class, HbServerWindow, server_settings);
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
  gtk_widget_class_bind_template_child_full (widget_class, "timeline_button", FALSE, 0);

  gtk_widget_class_bind_template_callback (widget_class, hb_server_window_refilter_log);
  gtk_widget_class_bind_template_callback (widget_class, hb_server_window_on_row_activate);

  hb_server_window_actions_class_init (widget_class);
  hb_server_window_capture_class_init (widget_class);
  hb_server_window_lab_class_init (widget_class);
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
  hb_server_settings_load (self->server_settings, self->settings);

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
  g_signal_connect_swapped (self->selection, "items-changed", G_CALLBACK (update_selected_ids), self);
  update_selection_actions (self, FALSE);

  hb_server_window_log_init (self);

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
  hb_server_window_update_empty_hint (self);
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
