/* hb-timeline-window-sources.c - a timeline window's rows: its own record, a live capture, a file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The rows are one HbSegmentModel (src/model); here the window sets its
 * source and says what happens to it: the connection ends, a capture
 * starts or fails, a file is read, damaged, or holds several connections.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "hb-timeline-window-private.h"

/* ---------------------------------------------------------------------- */
/* The connection's end, and the client's next one                        */

/* The windows that follow a connection's record, to find the one already
 * showing a connection (with or without a GtkApplication). */
static GList *following_windows;

static void
offer_newer (HbTimelineWindow *self)
{
  GSocket *socket = self->client != NULL ? hb_client_get_socket (self->client) : NULL;
  g_autoptr(GSocketAddress) local = socket != NULL ? g_socket_get_local_address (socket, NULL) : NULL;
  g_autofree char *text = NULL;

  if (G_IS_INET_SOCKET_ADDRESS (local))
    /* Translators: "bob connected again: a new connection, from port 54012. ..." */
    text = g_strdup_printf (_("%s connected again: a new connection, from port %u. This window stays with the "
                              "connection that ended."),
                            self->client_label, g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)));
  else
    text = g_strdup_printf (_("%s connected again: a new connection. This window stays with the connection "
                              "that ended."),
                            self->client_label);
  hb_timeline_window_show_notice (self, text, FALSE);
  /* Only the client knows its new connection. */
  gtk_widget_set_visible (GTK_WIDGET (self->notice_button), self->client != NULL);
}

/* The record goes on: a close ends this window's connection, and a
 * client's record goes on with its next connection, which is not this
 * window's (HbSegmentModel stops following there too). */
static void
on_record_appended (HbTimeline            *timeline,
                    const HbTimelineEvent *ev,
                    HbTimelineWindow      *self)
{
  if (self->superseded)
    return;
  if (ev->kind == HB_EVENT_CLOSE && !self->ended)
    {
      self->ended = TRUE;
      hb_timeline_window_update_status (self);
    }
  else if (ev->kind == HB_EVENT_CONNECT && self->client_side)
    {
      self->ended = TRUE;
      self->superseded = TRUE;
      offer_newer (self);
      hb_timeline_window_update_status (self);
    }
}

void
hb_timeline_window_follow_record (HbTimelineWindow *self)
{
  guint n = hb_timeline_get_n_events (self->timeline);

  /* Opened after the newest connection closed. */
  for (guint i = n; i > 0; i--)
    {
      const HbTimelineEvent *ev = hb_timeline_get_event (self->timeline, i - 1);

      if (ev->kind == HB_EVENT_CONNECT)
        break;
      if (ev->kind == HB_EVENT_CLOSE)
        self->ended = TRUE;
    }
  self->record_handler = g_signal_connect (self->timeline, "appended", G_CALLBACK (on_record_appended), self);
  following_windows = g_list_prepend (following_windows, self);
}

void
hb_timeline_window_unfollow_record (HbTimelineWindow *self)
{
  following_windows = g_list_remove (following_windows, self);
  if (self->timeline != NULL)
    g_clear_signal_handler (&self->record_handler, self->timeline);
}

/**
 * hb_timeline_window_open:
 *
 * Presents the window already showing the connection of @timeline on
 * @socket, or a new one (hb_timeline_window_new()): one window per
 * connection.
 */
HbTimelineWindow *
hb_timeline_window_open (GtkApplication *application,
                         HbTimeline     *timeline,
                         gboolean        client_side,
                         GSocket        *socket,
                         const char     *client_label,
                         const char     *server_label)
{
  HbTimelineWindow *win = NULL;

  for (GList *l = following_windows; l != NULL && win == NULL; l = l->next)
    {
      HbTimelineWindow *other = l->data;

      if (other->timeline == timeline && other->socket == socket && !other->superseded)
        win = other;
    }
  if (win == NULL)
    win = hb_timeline_window_new (application, timeline, client_side, socket, client_label, server_label);
  gtk_window_present (GTK_WINDOW (win));
  return win;
}

/**
 * hb_timeline_window_open_for_client:
 *
 * hb_timeline_window_open() for @client's own record and its connection
 * now. When the client connects again, the window says so and offers to
 * open the new connection's timeline.
 */
HbTimelineWindow *
hb_timeline_window_open_for_client (GtkApplication *application,
                                    HbClient       *client,
                                    const char     *client_label,
                                    const char     *server_label)
{
  HbTimelineWindow *win = hb_timeline_window_open (application, hb_client_get_timeline (client), TRUE,
                                                   hb_client_get_socket (client), client_label, server_label);

  g_set_object (&win->client, client);
  if (win->superseded)
    offer_newer (win);
  return win;
}

/* ---------------------------------------------------------------------- */
/* Packets                                                                 */

/* The two ends of this window's connection, as the capture writes them. */
gboolean
hb_timeline_window_endpoints (HbTimelineWindow  *self,
                              const char       **client_ip,
                              guint             *client_port,
                              const char       **server_ip,
                              guint             *server_port)
{
  if (self->local_ip == NULL)
    return FALSE;
  *client_ip = self->client_side ? self->local_ip : self->remote_ip;
  *client_port = self->client_side ? self->local_port : self->remote_port;
  *server_ip = self->client_side ? self->remote_ip : self->local_ip;
  *server_port = self->client_side ? self->remote_port : self->local_port;
  return TRUE;
}

static void
explain_missing_handshake (HbTimelineWindow *self)
{
  HbConversation *conversation = hb_segment_model_get_conversation (self->segments);

  if (conversation != NULL && !hb_conversation_get_saw_syn (conversation))
    hb_timeline_window_show_notice (self,
                                    _("The capture began after this connection was made, so its "
                                       "handshake is not in it. To see a handshake, press Capture in "
                                       "the server window before the client connects."),
                                     FALSE);
  else
    gtk_revealer_set_reveal_child (self->notice_revealer, FALSE);  /* "packets appear soon" is done */
}

/* The rows have become a captured connection's: the first packets of
 * this window's connection in a live capture, or the connection chosen
 * in a file. */
void
hb_timeline_window_on_conversation (HbSegmentModel   *segments,
                                    GParamSpec       *pspec,
                                    HbTimelineWindow *self)
{
  g_autoptr(HbSegment) first = NULL;

  if (hb_segment_model_get_conversation (segments) == NULL)
    return;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.save-packets", TRUE);
  if (hb_segment_model_get_source (segments) == HB_SEGMENT_SOURCE_FILE)
    {
      /* A file's connection is whole and may be long: every packet,
       * added a slice at a time (on_file_filled () goes on). */
      gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
      hb_capture_loader_fill (self->loader, segments);
      return;
    }
  /* Start reading at the start, not at the last packet. */
  first = g_list_model_get_item (G_LIST_MODEL (segments), 0);
  if (first != NULL)
    hb_timeline_window_explain (self, first);
  explain_missing_handshake (self);
  hb_timeline_window_update_status (self);
}

void
hb_timeline_window_on_session_state (HbCaptureSession *session,
                                     GParamSpec       *pspec,
                                     HbTimelineWindow *self)
{
  HbCaptureSessionState state = hb_capture_session_get_state (session);
  const char *message = hb_capture_session_get_message (session);
  gboolean active = hb_capture_session_is_active (session);

  g_simple_action_set_state (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "capture")),
                             g_variant_new_boolean (active));
  if (state == HB_CAPTURE_SESSION_FAILED)
    {
      g_autofree char *text = g_strdup_printf (_("Live capture is not possible: %s\n"
                                                 "The ladder shows the application's own record instead."),
                                               message ? message : "");

      hb_timeline_window_show_notice (self, text, TRUE);
    }
  else if (message != NULL)
    hb_timeline_window_show_notice (self, message, FALSE);
  else if (state == HB_CAPTURE_SESSION_RUNNING && hb_segment_model_get_conversation (self->segments) == NULL)
    hb_timeline_window_show_notice (self,
                                    _("Capturing. This connection's packets appear as soon as the "
                                       "next one is sent (at the latest with the next heartbeat)."),
                                     FALSE);
  hb_timeline_window_update_status (self);
}

void
hb_timeline_window_attach_session (HbTimelineWindow *self)
{
  const char *cip, *sip;
  guint cport, sport;

  if (self->session != NULL || !hb_timeline_window_endpoints (self, &cip, &cport, &sip, &sport))
    return;
  self->session = hb_capture_session_get_for_port (sport);
  hb_capture_session_hold (self->session);
  /* The packets of the lab's protocol are told by this connection's own
   * heartbeat and ack. */
  if (self->timeline != NULL && hb_timeline_get_protocol (self->timeline) == HB_PROTOCOL_LAB)
    hb_capture_session_set_lab_patterns (self->session, hb_timeline_get_heartbeat (self->timeline),
                                         hb_timeline_get_ack (self->timeline));
  g_signal_connect (self->session, "notify::state", G_CALLBACK (hb_timeline_window_on_session_state), self);
  g_signal_connect (self->session, "notify::message", G_CALLBACK (hb_timeline_window_on_session_state), self);
  /* Already captured (another window started it): shown at once. */
  hb_segment_model_follow_capture (self->segments, self->session, cip, cport, sip, sport);
  hb_timeline_window_on_session_state (self->session, NULL, self);
}

/* ---------------------------------------------------------------------- */
/* Capture files                                                           */

void
hb_timeline_window_on_conversation_chosen (GtkDropDown      *dropdown,
                                           GParamSpec       *pspec,
                                           HbTimelineWindow *self)
{
  GPtrArray *conversations;
  guint i = gtk_drop_down_get_selected (dropdown);

  if (self->file == NULL)
    return;
  conversations = hb_capture_file_get_conversations (self->file);
  /* Chosen: "choose one above" has been done (other notices stay). */
  if (pspec != NULL && self->notice_is_choice)
    gtk_revealer_set_reveal_child (self->notice_revealer, FALSE);
  if (i < conversations->len)
    {
      HbConversation *c = conversations->pdata[i];
      g_autofree char *client = hb_format_endpoint (hb_conversation_get_client_address (c),
                                                    hb_conversation_get_client_port (c));
      g_autofree char *server = hb_format_endpoint (hb_conversation_get_server_address (c),
                                                    hb_conversation_get_server_port (c));

      hb_ladder_set_labels (self->ladder, client, server);
      hb_segment_model_show_file (self->segments, self->file, c);
      /* A file is read from its start, as the table shows it. */
      self->follow_end = FALSE;
      gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->ladder_scroller), 0);
    }
}

/* A file is read with the lab's heartbeat and ack of the preferences,
 * those the server and client windows use. */
static void
use_lab_settings (HbTimelineWindow *self)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *heartbeat_text = g_settings_get_string (settings, "lab-heartbeat");
  g_autofree char *ack_text = g_settings_get_string (settings, "lab-ack");
  g_autofree char *encoding = g_settings_get_string (settings, "encoding");
  gboolean hex = g_settings_get_boolean (settings, "lab-patterns-hex");
  g_autoptr(GBytes) heartbeat = NULL;
  g_autoptr(GBytes) ack = NULL;

  /* A setting that is not a valid pattern falls back to the default. */
  heartbeat = hb_lab_pattern_new (hex ? NULL : heartbeat_text, hex ? heartbeat_text : NULL,
                                  HB_LAB_DEFAULT_HEARTBEAT, "lab-heartbeat", NULL);
  ack = hb_lab_pattern_new (hex ? NULL : ack_text, hex ? ack_text : NULL, HB_LAB_DEFAULT_ACK, "lab-ack", NULL);
  if (!hb_encoding_from_string (encoding, &self->encoding))
    self->encoding = HB_ENCODING_UTF8;
  hb_capture_file_set_lab_patterns (self->file, heartbeat, ack);
}

/* The file has been read (hb_capture_loader_load ()): its connections
 * are offered, the first shown, and what went wrong said. */
static void
on_file_loaded (HbCaptureLoader  *loader,
                const GError     *error,
                HbTimelineWindow *self)
{
  const char *name = self->file_name;
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  GPtrArray *conversations, *notes;
  gboolean loaded = error == NULL;

  gtk_label_set_text (self->tcp_label, _("A capture file: the kernel has no state to show for it."));
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *text = g_strdup_printf (_("Reading %s was cancelled: nothing is shown."), name);

      hb_timeline_window_show_notice (self, text, FALSE);
      hb_ladder_set_empty_text (self->ladder, _("No TCP connection to show."));
      gtk_label_set_text (self->explanation_label, "");
      hb_timeline_window_update_status (self);
      return;
    }

  conversations = hb_capture_file_get_conversations (self->file);
  notes = hb_capture_file_get_notes (self->file);
  self->n_notes = notes->len;
  for (guint i = 0; i < conversations->len; i++)
    {
      HbConversation *c = conversations->pdata[i];
      g_autofree char *what = hb_conversation_describe (c);
      guint n = hb_conversation_get_n_packets (c);
      g_autofree char *item = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s (%u packet)", "%s (%u packets)", n),
                                               what, n);

      gtk_string_list_append (names, item);
    }
  gtk_drop_down_set_model (self->conversation_dropdown, G_LIST_MODEL (names));
  gtk_widget_set_visible (GTK_WIDGET (self->conversation_dropdown), conversations->len > 0);

  if (conversations->len > 0)
    {
      gtk_drop_down_set_selected (self->conversation_dropdown, 0);
      hb_timeline_window_on_conversation_chosen (self->conversation_dropdown, NULL, self);
    }

  if (error != NULL && !loaded && conversations->len == 0)
    {
      g_autofree char *text = g_strdup_printf (_("Could not open %s: %s"), name, error->message);

      hb_timeline_window_show_notice (self, text, TRUE);
    }
  else if (g_error_matches (error, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_TRUNCATED))
    {
      /* The core's message names the whole path and quotes libpcap in
       * English: the window says where it broke off, in the reader's words. */
      guint n = hb_capture_file_get_n_frames (self->file);
      g_autofree char *text =
        g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                      "%s is cut short or damaged after %u frame: the packets read before the "
                                      "damage are shown.",
                                      "%s is cut short or damaged after %u frames: the packets read before the "
                                      "damage are shown.", n),
                         name, n);

      hb_timeline_window_show_notice (self, text, TRUE);
    }
  else if (error != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("%s is damaged: %s. The packets read before the damage are shown."),
                                               name, error->message);

      hb_timeline_window_show_notice (self, text, TRUE);
    }
  else if (conversations->len == 0)
    {
      g_autofree char *text = g_strdup_printf (_("%s holds no TCP packets."), name);

      hb_timeline_window_show_notice (self, text, FALSE);
    }
  else if (notes->len > 0)
    {
      g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                            "%u frame was skipped or looks odd; the first: %s",
                                                            "%u frames were skipped or look odd; the first: %s",
                                                            notes->len),
                                               notes->len, (const char *) notes->pdata[0]);

      hb_timeline_window_show_notice (self, text, FALSE);
    }
  else if (conversations->len > 1)
    {
      g_autofree char *text =
        self->captured_port != 0
          ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "The capture holds %u TCP connection; choose one above.",
                                          "The capture holds %u TCP connections; choose one above.",
                                          conversations->len),
                             conversations->len)
          : g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "The file holds %u TCP connection; choose one above.",
                                          "The file holds %u TCP connections; choose one above.",
                                          conversations->len),
                             conversations->len);

      hb_timeline_window_show_notice (self, text, FALSE);
      self->notice_is_choice = TRUE;
    }
  if (conversations->len == 0)
    {
      /* Nothing will come: no promise of segments, no lesson on them. */
      hb_ladder_set_empty_text (self->ladder, _("No TCP connection to show."));
      gtk_label_set_text (self->explanation_label, "");
    }
  hb_timeline_window_update_status (self);
}

/* The chosen connection's rows are all there, or as many as came before
 * Cancel. */
static void
on_file_filled (HbCaptureLoader  *loader,
                gboolean          complete,
                HbTimelineWindow *self)
{
  HbConversation *conversation = hb_segment_model_get_conversation (self->segments);

  if (!complete && conversation != NULL)
    {
      guint total = hb_conversation_get_n_packets (conversation);
      g_autofree char *text =
        g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Stopped: %u of %u packet is shown.",
                                      "Stopped: %u of %u packets are shown.", total),
                         g_list_model_get_n_items (G_LIST_MODEL (self->segments)) -
                           hb_segment_model_get_n_notes (self->segments),
                         total);

      hb_timeline_window_show_notice (self, text, FALSE);
    }
  hb_timeline_window_update_status (self);
}

/* Reads @file in a worker thread; the window answers meanwhile, with a
 * progress bar and a Cancel button in its status line. */
void
hb_timeline_window_load_file (HbTimelineWindow *self,
                              GFile            *file)
{
  g_autofree char *path = g_file_get_path (file);
  g_autofree char *title = NULL;

  self->file = hb_capture_file_new ();
  self->file_name = g_file_get_basename (file);
  use_lab_settings (self);
  hb_capture_file_set_server_port (self->file, self->captured_port);

  title = g_strdup_printf (_("Timeline: %s"), self->file_name);
  gtk_window_set_title (GTK_WINDOW (self), title);

  g_signal_connect (self->loader, "loaded", G_CALLBACK (on_file_loaded), self);
  g_signal_connect (self->loader, "filled", G_CALLBACK (on_file_filled), self);
  if (path == NULL)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                                                     _("Only local files can be opened"));

      on_file_loaded (self->loader, error, self);
      return;
    }
  hb_ladder_set_empty_text (self->ladder, _("Reading the capture file…"));
  gtk_label_set_text (self->status_label, "");
  hb_capture_loader_load (self->loader, self->file, path, self->file_name);
}

static void
on_open_response (GtkNativeDialog *dialog,
                  int              response,
                  gpointer         user_data)
{
  GtkApplication *application = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

      gtk_window_present (GTK_WINDOW (hb_timeline_window_new_for_file (application, file)));
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
  g_object_unref (application);
}

void
hb_timeline_window_choose_capture_file (GtkWindow *parent)
{
  GtkFileChooserNative *dialog;
  g_autoptr(GtkFileFilter) captures = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();

  g_return_if_fail (GTK_IS_WINDOW (parent));

  dialog = gtk_file_chooser_native_new (_("Open Capture File"), parent, GTK_FILE_CHOOSER_ACTION_OPEN,
                                        _("_Open"), _("_Cancel"));
  gtk_file_filter_set_name (captures, _("Packet captures (pcap, pcapng)"));
  gtk_file_filter_add_mime_type (captures, "application/vnd.tcpdump.pcap");
  gtk_file_filter_add_mime_type (captures, "application/x-pcapng");
  gtk_file_filter_add_suffix (captures, "pcap");
  gtk_file_filter_add_suffix (captures, "pcapng");
  gtk_file_filter_add_suffix (captures, "cap");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), captures);
  gtk_file_filter_set_name (all, _("All files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), all);
  g_signal_connect (dialog, "response", G_CALLBACK (on_open_response),
                    g_object_ref (gtk_window_get_application (parent)));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}
