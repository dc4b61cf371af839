/* hb-server-window-actions.c - what the operator does in a server window: listen, send, kick, export the log
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "hb-server-window-private.h"

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

/* A new interval or timeout applies to a listening server at once (its
 * clients hear it in a new WELCOME). */
static void
on_heartbeat_changed (HbServerWindow *self)
{
  if (self->server != NULL && hb_server_get_listening (self->server))
    g_object_set (self->server,
                  "interval-ms", hb_server_settings_get_interval_ms (self->server_settings),
                  "timeout-ms", hb_server_settings_get_timeout_ms (self->server_settings),
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
  HbProtocol protocol = hb_server_settings_get_protocol (self->server_settings);
  HbLabSettings *lab = hb_server_settings_get_lab_settings (self->server_settings);

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

  if (!hb_server_settings_apply (self->server_settings, self->server, &error))
    {
      hb_server_window_show_error (self, error->message);
      return;
    }
  /* Remembered for the next window and the next run; this window keeps
   * its own copy meanwhile (never a field shared with another window). */
  hb_server_settings_save (self->server_settings, self->settings);
  g_free (self->heartbeat_shown);
  self->heartbeat_shown = g_strdup (hb_lab_settings_get_heartbeat_text (lab));
  g_free (self->ack_shown);
  self->ack_shown = g_strdup (hb_lab_settings_get_ack_text (lab));

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
  hb_server_window_update_empty_hint (self);
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

void
hb_server_window_actions_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.toggle-listening", NULL, toggle_listening_action);
  gtk_widget_class_install_action (widget_class, "win.broadcast", NULL, broadcast_action);
  gtk_widget_class_install_action (widget_class, "win.send-selected", NULL, send_selected_action);
  gtk_widget_class_install_action (widget_class, "win.kick-selected", NULL, kick_selected_action);
  gtk_widget_class_install_action (widget_class, "win.clear-log", NULL, clear_log_action);
  gtk_widget_class_install_action (widget_class, "win.export-log", "s", export_log_action);
  gtk_widget_class_install_action (widget_class, "win.dismiss-error", NULL, dismiss_error_action);
  gtk_widget_class_install_action (widget_class, "win.focus-message", NULL, focus_entry_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_l, GDK_CONTROL_MASK, "win.toggle-listening", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_t, GDK_CONTROL_MASK, "win.show-timeline", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "win.capture", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "win.kick-selected", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_m, GDK_CONTROL_MASK, "win.focus-message", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "win.send-selected", NULL);

  gtk_widget_class_bind_template_callback (widget_class, on_heartbeat_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_entry_activate);
}
