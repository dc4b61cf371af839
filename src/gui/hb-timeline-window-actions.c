/* hb-timeline-window-actions.c - a timeline window's actions: capture, numbers, zoom, save, export
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "hb-timeline-window-private.h"

static void
open_newer_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  HbTimelineWindow *self = HB_TIMELINE_WINDOW (widget);

  if (self->client != NULL)
    hb_timeline_window_open_for_client (gtk_window_get_application (GTK_WINDOW (self)), self->client,
                                        self->client_label, self->server_label);
}

/* The ladder's numbers: which (win.ladder-numbers, a radio of
 * "symbolic", "relative", "absolute", "off") and where
 * (win.ladder-numbers-everywhere: every arrow, not only the handshake's
 * and the teardown's). */
void
hb_timeline_window_apply_numbers (HbTimelineWindow *self)
{
  GActionMap *map = G_ACTION_MAP (self);
  g_autoptr(GVariant) which = g_action_get_state (g_action_map_lookup_action (map, "ladder-numbers"));
  g_autoptr(GVariant) everywhere = g_action_get_state (g_action_map_lookup_action (map, "ladder-numbers-everywhere"));

  hb_ladder_set_numbers (self->ladder, hb_ladder_numbers_from_string (g_variant_get_string (which, NULL)),
                         g_variant_get_boolean (everywhere));
}

static void
numbers_action (GSimpleAction *action,
                GVariant      *state,
                gpointer       user_data)
{
  g_simple_action_set_state (action, state);
  hb_timeline_window_apply_numbers (user_data);
}

static void
toggle_action (GSimpleAction *action,
               GVariant      *parameter,
               gpointer       user_data)
{
  g_autoptr(GVariant) state = g_action_get_state (G_ACTION (action));

  g_action_change_state (G_ACTION (action), g_variant_new_boolean (!g_variant_get_boolean (state)));
}

static void
capture_action (GSimpleAction *action,
                GVariant      *state,
                gpointer       user_data)
{
  HbTimelineWindow *self = user_data;
  const char *cip, *sip;
  guint cport, sport;

  if (!hb_timeline_window_endpoints (self, &cip, &cport, &sip, &sport))
    return;
  hb_timeline_window_attach_session (self);
  if (g_variant_get_boolean (state))
    {
      GInetAddress *address = g_inet_address_new_from_string (sip);
      /* Loopback traffic is on lo; anything else may be on any interface. */
      gboolean loopback = address == NULL || g_inet_address_get_is_loopback (address);

      g_clear_object (&address);
      gtk_revealer_set_reveal_child (self->notice_revealer, FALSE);
      hb_capture_session_start (self->session, loopback ? "lo" : "any");
    }
  else
    hb_capture_session_stop (self->session);
  hb_timeline_window_on_session_state (self->session, NULL, self);
}

/* ---------------------------------------------------------------------- */
/* Saving and exporting                                                    */

gboolean
hb_timeline_window_save_packets (HbTimelineWindow  *self,
                                 const char        *path,
                                 GError           **error)
{
  HbConversation *conversation;

  g_return_val_if_fail (HB_IS_TIMELINE_WINDOW (self), FALSE);

  conversation = hb_segment_model_get_conversation (self->segments);
  if (conversation == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           _("There are no captured packets to save: start a capture first."));
      return FALSE;
    }
  return hb_capture_writer_save_packets (path, hb_segment_model_get_linktype (self->segments),
                                         hb_conversation_get_packets (conversation), error);
}

static gboolean
export_ladder (HbTimelineWindow *self,
               const char       *path,
               GError          **error)
{
  return hb_ladder_export (self->ladder, path, error);
}

static gboolean
dialog_done (HbTimelineWindow *self,
             GtkNativeDialog  *dialog)
{
  gboolean mine = self->dialog == dialog;

  gtk_native_dialog_destroy (dialog);
  if (mine)
    g_clear_object (&self->dialog);
  return mine;
}

/* The file chosen is written by the save function of the dialog that
 * asked for it; a failure is said in the notice bar. */
static void
save_response (GtkNativeDialog *dialog, int response, gpointer user_data)
{
  HbTimelineWindow *self = user_data;
  g_autoptr(GFile) file = response == GTK_RESPONSE_ACCEPT ? gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog)) : NULL;
  HbTimelineSaveFunc save = self->dialog_save;

  if (!dialog_done (self, dialog))
    return;
  if (file != NULL)
    {
      g_autofree char *path = g_file_get_path (file);
      g_autoptr(GError) error = NULL;

      if (!save (self, path, &error))
        hb_timeline_window_show_notice (self, error->message, TRUE);
    }
}

/* Asks where to save, offering @name; @save writes the file. A file
 * chooser belongs to its window: closing the window closes it, and a
 * second one replaces the first. */
static void
ask_where_to_save (HbTimelineWindow   *self,
                   const char         *title,
                   const char         *accept,
                   const char         *name,
                   HbTimelineSaveFunc  save)
{
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (title, GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE,
                                                              accept, _("_Cancel"));

  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  if (self->dialog != NULL)
    {
      gtk_native_dialog_destroy (self->dialog);
      g_clear_object (&self->dialog);
    }
  self->dialog = GTK_NATIVE_DIALOG (dialog);
  self->dialog_save = save;
  g_signal_connect (dialog, "response", G_CALLBACK (save_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
save_packets_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  ask_where_to_save (HB_TIMELINE_WINDOW (widget), _("Save Packets"), _("_Save"), "heartbeat.pcap",
                     hb_timeline_window_save_packets);
}

static void
zoom_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  HbTimelineWindow *self = HB_TIMELINE_WINDOW (widget);
  double factor = g_variant_get_int32 (param) > 0 ? 1.25 : 0.8;

  hb_ladder_set_zoom (self->ladder, hb_ladder_get_zoom (self->ladder) * factor);
}

static void
dismiss_notice_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  gtk_revealer_set_reveal_child (HB_TIMELINE_WINDOW (widget)->notice_revealer, FALSE);
}

static void
export_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  gboolean svg = g_strcmp0 (g_variant_get_string (param, NULL), "svg") == 0;

  ask_where_to_save (HB_TIMELINE_WINDOW (widget), _("Export Ladder"), _("_Export"),
                     svg ? "ladder.svg" : "ladder.png", export_ladder);
}

void
hb_timeline_window_actions_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.zoom", "i", zoom_action);
  gtk_widget_class_install_action (widget_class, "win.export-ladder", "s", export_action);
  gtk_widget_class_install_action (widget_class, "win.save-packets", NULL, save_packets_action);
  gtk_widget_class_install_action (widget_class, "win.dismiss-notice", NULL, dismiss_notice_action);
  gtk_widget_class_install_action (widget_class, "win.open-newer", NULL, open_newer_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, GDK_CONTROL_MASK, "win.zoom", "i", 1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_equal, GDK_CONTROL_MASK, "win.zoom", "i", 1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, GDK_CONTROL_MASK, "win.zoom", "i", -1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "win.save-packets", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "win.capture", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
}

/* The stateful actions, in the window's own action map: the capture and
 * the ladder's numbers. */
void
hb_timeline_window_actions_init (HbTimelineWindow *self)
{
  static const GActionEntry entries[] = {
    { .name = "capture", .state = "false", .change_state = capture_action },
    { .name = "ladder-numbers", .parameter_type = "s", .state = "'symbolic'", .change_state = numbers_action },
    { .name = "ladder-numbers-everywhere", .activate = toggle_action, .state = "false",
      .change_state = numbers_action },
  };

  g_action_map_add_action_entries (G_ACTION_MAP (self), entries, G_N_ELEMENTS (entries), self);
  /* Only a live connection can be captured. */
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "capture")), FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.save-packets", FALSE);
}
