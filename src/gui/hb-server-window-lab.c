/* hb-server-window-lab.c - the server console in the lab's protocol and raw TCP: every read in the log, the class's checks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A teacher runs the console for the class's own programs: each read a
 * client's program made arrive is logged as it came, with its bytes in
 * hex and what TCP did to the messages in it (粘包, 拆包); an
 * HbCheckBoard judges every program live (one board per listening, so
 * that a class's results stay exportable after the server stops).
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "hb-server-window-private.h"

/* What "Check Clients" glues to the heartbeat: the broadcast of the lab's
 * own report (LAB.md), which a teacher recognises. */
#define PROBE_TEXT "456"

static void
on_data_received (HbServer       *server,
                  HbConnection   *conn,
                  GBytes         *bytes,
                  HbChunkInfo    *info,
                  HbServerWindow *self)
{
  g_autofree char *who = hb_server_window_who (self, conn);
  HbEncoding encoding;

  /* The encoding the server was started with, which the window's choice
   * may no longer be: it is for the next start. */
  g_object_get (server, "encoding", &encoding, NULL);
  hb_server_window_log_entry (self, hb_log_entry_new_data (hb_connection_get_id (conn), who, bytes, encoding,
                                                           hb_connection_get_protocol (conn) == HB_PROTOCOL_LAB
                                                             ? info : NULL));
}

void
hb_server_window_lab_update_actions (HbServerWindow *self)
{
  gboolean lab = self->board != NULL && hb_server_get_listening (self->server) &&
                 hb_server_get_protocol (self->server) == HB_PROTOCOL_LAB;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.check-clients",
                                 lab && hb_server_get_n_clients (self->server) > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export-checks",
                                 self->board != NULL &&
                                 g_list_model_get_n_items (hb_check_board_get_checks (self->board)) > 0);
}

void
hb_server_window_lab_started (HbServerWindow *self)
{
  HbProtocol protocol = hb_server_get_protocol (self->server);

  /* A new class: the last one's results go (they were exportable until
   * now), and no check of a client that left is mixed in. */
  g_clear_object (&self->board);
  if (protocol == HB_PROTOCOL_LAB)
    self->board = hb_check_board_new (self->server);
  hb_server_columns_set_protocol (self->columns, protocol);
  gtk_widget_set_visible (self->view_button, protocol != HB_PROTOCOL_LINE);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "show-acks")),
                               protocol == HB_PROTOCOL_LAB);
  gtk_widget_set_visible (self->check_button, protocol == HB_PROTOCOL_LAB);
  gtk_widget_set_tooltip_text (self->kick_button,
                               protocol == HB_PROTOCOL_LINE
                                 ? _("Say BYE kicked to the selected clients and close their connections (Delete)")
                                 : _("Close the selected clients' connections with FIN (Delete)"));
  hb_server_window_lab_update_actions (self);
}

static void
check_clients_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  HbServerWindow *self = HB_SERVER_WINDOW (widget);
  g_autofree char *text = NULL;
  guint n;

  if (self->board == NULL)
    return;
  n = hb_check_board_probe_glued (self->board, NULL, PROBE_TEXT);
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "Checking %u client: a heartbeat glued to “%s” in one segment (粘包). "
                                       "A program that answers only when recv() returns the heartbeat alone stays silent.",
                                       "Checking %u clients: each gets a heartbeat glued to “%s” in one segment (粘包). "
                                       "A program that answers only when recv() returns the heartbeat alone stays silent.",
                                       n),
                          n, PROBE_TEXT);
  hb_server_window_log_add (self, HB_LOG_INFO, NULL, text);
}

gboolean
hb_server_window_export_checks (HbServerWindow *self,
                                GFile          *file,
                                GError        **error)
{
  g_autofree char *csv = NULL;

  g_return_val_if_fail (HB_IS_SERVER_WINDOW (self), FALSE);

  if (self->board == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           _("No client has been checked yet: start listening in the lab's protocol, and let the class connect."));
      return FALSE;
    }
  csv = hb_check_board_to_csv (self->board);
  return g_file_replace_contents (file, csv, strlen (csv), NULL, FALSE,
                                  G_FILE_CREATE_REPLACE_DESTINATION, NULL, NULL, error);
}

static void
export_checks_response (GtkNativeDialog *dialog,
                        int              response,
                        gpointer         user_data)
{
  g_autoptr(HbServerWindow) self = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autoptr(GError) error = NULL;

      if (!hb_server_window_export_checks (self, file, &error))
        hb_server_window_show_error (self, error->message);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
export_checks_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  HbServerWindow *self = HB_SERVER_WINDOW (widget);
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (_("Export Check Results as CSV"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), "class-checks.csv");
  g_signal_connect (dialog, "response", G_CALLBACK (export_checks_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

gboolean
hb_server_window_lab_shows (HbServerWindow *self,
                            HbLogEntry     *entry)
{
  const HbChunkInfo *info;

  if (!self->hide_acks || hb_log_entry_get_kind (entry) != HB_LOG_DATA)
    return TRUE;
  /* An ack that came glued or in pieces is still worth a look. */
  info = hb_log_entry_get_chunk_info (entry);
  return info == NULL || info->n_messages > 0 || info->n_patterns == 0 || info->glued || info->split;
}

static void
show_acks_change_state (GSimpleAction *action,
                        GVariant      *state,
                        gpointer       user_data)
{
  HbServerWindow *self = user_data;

  g_simple_action_set_state (action, state);
  self->hide_acks = !g_variant_get_boolean (state);
  hb_server_window_refilter_log (self);
}

void
hb_server_window_lab_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.check-clients", NULL, check_clients_action);
  gtk_widget_class_install_action (widget_class, "win.export-checks", NULL, export_checks_action);
}

void
hb_server_window_lab_init (HbServerWindow *self)
{
  static const GActionEntry entries[] = {
    { .name = "show-acks", .state = "true", .change_state = show_acks_change_state },
  };
  g_autoptr(GPropertyAction) hex = g_property_action_new ("show-hex", self->log_view, "show-hex");

  g_signal_connect (self->server, "data-received", G_CALLBACK (on_data_received), self);
  g_action_map_add_action (G_ACTION_MAP (self), G_ACTION (hex));
  g_action_map_add_action_entries (G_ACTION_MAP (self), entries, G_N_ELEMENTS (entries), self);
  hb_server_window_lab_update_actions (self);
}

void
hb_server_window_lab_dispose (HbServerWindow *self)
{
  g_clear_object (&self->board);
}
