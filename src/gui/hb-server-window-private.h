/* hb-server-window-private.h - the server console's parts, shared by the files that make it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * hb-server-window.c: the window, the server's events, the client list
 * and the status; hb-server-window-actions.c: what the operator does
 * (listening, messages, kicks, exporting the log);
 * hb-server-window-log.c: the log's batching and filter;
 * hb-server-window-capture.c: the live capture of the port and the
 * timelines; hb-server-window-lab.c: the lab's protocol and raw TCP (each
 * read in the log, the class's checks).
 */
#pragma once

#include "hb-capture-session.h"
#include "hb-clock.h"
#include "hb-log-entry.h"
#include "hb-log-view.h"
#include "hb-server-columns.h"
#include "hb-server-settings.h"
#include "hb-server-window.h"

G_BEGIN_DECLS

struct _HbServerWindow
{
  GtkApplicationWindow  parent_instance;

  HbServerSettings     *server_settings;
  GtkButton            *start_button;
  GtkToggleButton      *capture_button;
  GtkRevealer          *error_revealer;
  GtkLabel             *error_label;
  GtkStack             *list_stack;
  GtkLabel             *empty_hint;
  GtkColumnView        *column_view;
  GtkToggleButton      *selected_only_toggle;
  GtkWidget            *view_button;
  GtkSearchEntry       *log_search;
  HbLogView            *log_view;
  GtkEntry             *broadcast_entry;
  GtkWidget            *check_button;
  GtkWidget            *kick_button;
  GtkLabel             *status_label;

  GSettings            *settings;
  HbServer             *server;
  HbClock              *clock;
  HbServerColumns      *columns;
  GtkMultiSelection    *selection;
  GListStore           *departed;     /* HbConnection: gone, kept a while greyed */
  guint                 departed_id;
  GtkCustomFilter      *log_filter;
  gboolean              hide_acks;    /* reads that only answer a heartbeat */
  GHashTable           *selected_ids;
  guint                 messages_this_tick;
  double                message_rate;
  GPtrArray            *log_pending;  /* HbLogEntry, shown at the next flush */
  guint                 log_flush_id;
  HbCaptureSession     *capture;      /* the server port's live capture, while on */
  HbCheckBoard         *board;        /* the lab's checks of the last listening */
  char                 *heartbeat_shown;  /* the heartbeat and ack it started with, */
  char                 *ack_shown;        /* as typed, for the hints */
};

/* hb-server-window.c */
void hb_server_window_update_status (HbServerWindow *self);
/* The hint shown while the list is empty: how to connect, for the
 * protocol it listens in. */
void hb_server_window_update_empty_hint (HbServerWindow *self);

/* hb-server-window-actions.c */
void hb_server_window_actions_class_init (GtkWidgetClass *widget_class);
void hb_server_window_show_error   (HbServerWindow *self,
                                    const char     *message);
/* The clients selected in the list (HbConnection, referenced). */
GPtrArray *hb_server_window_selected_connections (HbServerWindow *self);

/* hb-server-window-log.c */
void hb_server_window_log_init     (HbServerWindow *self);
void hb_server_window_log_add      (HbServerWindow *self,
                                    HbLogKind       kind,
                                    HbConnection   *conn,
                                    const char     *text);
/* Takes @entry (transfer full) into the next batch of the log. */
void hb_server_window_log_entry    (HbServerWindow *self,
                                    HbLogEntry     *entry);
/* "#3 alice", or in the lab's protocol and raw TCP, which have no
 * names, "#3 127.0.0.1:4324": the port a capture shows. */
char *hb_server_window_who         (HbServerWindow *self,
                                    HbConnection   *conn);
void hb_server_window_refilter_log (HbServerWindow *self);

/* hb-server-window-capture.c */
void hb_server_window_capture_class_init   (GtkWidgetClass *widget_class);
/* Watches the capture of the port once the server listens. */
void hb_server_window_capture_attach       (HbServerWindow *self);
void hb_server_window_capture_stop         (HbServerWindow *self);
/* The "capture" action's state, from the Capture button or Ctrl+E. */
void hb_server_window_capture_change_state (GSimpleAction  *action,
                                            GVariant       *state,
                                            gpointer        user_data);
void hb_server_window_on_row_activate      (GtkColumnView  *view,
                                            guint           position,
                                            HbServerWindow *self);

/* hb-server-window-lab.c */
void hb_server_window_lab_class_init (GtkWidgetClass *widget_class);
void hb_server_window_lab_init       (HbServerWindow *self);
void hb_server_window_lab_dispose    (HbServerWindow *self);
/* The server has just started listening: a new check board in the lab's
 * protocol, the columns and the log for its protocol. */
void hb_server_window_lab_started    (HbServerWindow *self);
void hb_server_window_lab_update_actions (HbServerWindow *self);
/* Whether the log shows @entry, as far as the lab's View menu says. */
gboolean hb_server_window_lab_shows  (HbServerWindow *self,
                                      HbLogEntry     *entry);

G_END_DECLS
