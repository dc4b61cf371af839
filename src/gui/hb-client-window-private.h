/* hb-client-window-private.h - the client window's parts, shared by the files that make it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * hb-client-window.c: the window, the client's events, connecting;
 * hb-client-window-panel.c: what the window shows of the connection (the
 * state line, the heartbeat panel, the words of the chosen protocol);
 * hb-client-window-actions.c: what the user does (the win.* actions, the
 * recent servers).
 */
#pragma once

#include "hb-client-lab-settings.h"
#include "hb-client-window.h"
#include "hb-clock.h"
#include "hb-log-view.h"

G_BEGIN_DECLS

struct _HbClientWindow
{
  GtkApplicationWindow  parent_instance;

  GtkEntry             *host_entry;
  GtkMenuButton        *recent_button;
  GtkSpinButton        *port_spin;
  GtkWidget            *name_label;
  GtkEntry             *name_entry;
  GtkMenuButton        *protocol_button;
  GtkWidget            *protocol_warning;
  GtkLabel             *protocol_label;
  GtkWidget            *protocol_choices;
  GtkWidget            *lab_settings_separator;
  HbClientLabSettings        *lab_settings;
  GtkButton            *connect_button;
  GtkLabel             *state_label;
  GtkCheckButton       *reconnect_check;
  GtkWidget            *heartbeat_frame;
  GtkImage             *ping_pulse;
  GtkImage             *pong_pulse;
  GtkLabel             *ping_caption;
  GtkLabel             *pong_caption;
  GtkLabel             *terms_title;
  GtkLabel             *last_ping_title;
  GtkLabel             *last_pong_title;
  GtkLabel             *verdict_title;
  GtkPaned             *paned;
  GtkWidget            *controls_scroller;
  int                   paned_height;    /* at the last allocation */
  guint                 restore_id;
  guint                 verdict_id;   /* when the server's verdict changes next */
  GtkLabel             *last_ping_label;
  GtkLabel             *last_pong_label;
  GtkLabel             *count_label;
  GtkLabel             *deadline_label;
  GtkLabel             *terms_label;
  GtkWidget            *answer_label;
  GtkSwitch            *answer_switch;
  GtkLabel             *answer_hint;
  GtkWidget            *delay_label;
  GtkSpinButton        *delay_spin;
  GtkLabel             *delay_hint;
  GtkSwitch            *reading_switch;
  GtkLabel             *reading_hint;
  GtkLabel             *abort_hint;
  GtkLabel             *half_close_hint;
  HbLogView            *conversation;
  GtkEntry             *message_entry;
  GtkToggleButton      *hex_toggle;

  GSettings            *settings;
  HbClient             *client;
  HbClock              *clock;
  char                 *last_reason;   /* why the last connection ended, in words */
  char                 *given_name;    /* a name set by the program (the demo's), not typed */
  /* The panel shows one connection: the client's running totals when it
   * began, and when it was established (wall µs, 0 before that). */
  guint64               base_pings;
  guint64               base_pongs;
  gint64                connected_at;
  /* The lab's protocol announces nothing: what this window saw of the
   * connection (wall µs) is all it can tell. */
  gint64                first_ping_at;
  guint                 ping_beat_id;
  guint                 pong_beat_id;
};

/* hb-client-window.c */
/* Adds a line to the conversation; @who NULL: the server. */
void hb_client_window_say (HbClientWindow *self,
                           HbLogKind       kind,
                           const char     *who,
                           const char     *text);
/* What this client did or found, not something the server said. */
void hb_client_window_note (HbClientWindow *self,
                            HbLogKind       kind,
                            const char     *text);

/* hb-client-window-panel.c */
/* The protocol chosen for the next connection. */
HbProtocol hb_client_window_chosen_protocol (HbClientWindow *self);
void hb_client_window_update_state     (HbClientWindow *self);
void hb_client_window_update_heartbeat (HbClientWindow *self);
void hb_client_window_update_protocol  (HbClientWindow *self);
void hb_client_window_update_send_hint (HbClientWindow *self);
void hb_client_window_flag_message     (HbClientWindow *self,
                                        gboolean        invalid);
/* Lights the indicator of a heartbeat received or answered a moment. */
void hb_client_window_beat_ping        (HbClientWindow *self);
void hb_client_window_beat_pong        (HbClientWindow *self);

/* hb-client-window-actions.c */
void hb_client_window_actions_class_init (GtkWidgetClass *widget_class);
void hb_client_window_rebuild_recent_menu (HbClientWindow *self);
/* Enter in a connection field: Connect. */
void hb_client_window_on_target_activate (HbClientWindow *self);

G_END_DECLS
