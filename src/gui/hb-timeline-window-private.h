/* hb-timeline-window-private.h - the timeline window's parts, shared by the files that make it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * hb-timeline-window.c: the window, its status and notices, the one
 * selection of the ladder and the table, the table's columns;
 * hb-timeline-window-explain.c: the explanation pane (the lesson, the
 * header fields and the bytes of the selected row);
 * hb-timeline-window-tcp-info.c: the kernel's view of the socket;
 * hb-timeline-window-sources.c: which source the rows (HbSegmentModel)
 * come from, and what the window says about it (the application's own
 * record, and its connection's end; a live capture session; a capture
 * file);
 * hb-timeline-window-actions.c: what the user does (the win.* actions).
 */
#pragma once

#include "hb-capture-loader.h"
#include "hb-capture-session.h"
#include "hb-clock.h"
#include "hb-ladder.h"
#include "hb-segment-model.h"
#include "hb-timeline-window.h"

G_BEGIN_DECLS

/* Writes what a Save or Export dialog saves to @path. */
typedef gboolean (*HbTimelineSaveFunc) (HbTimelineWindow *self,
                                        const char       *path,
                                        GError          **error);

struct _HbTimelineWindow
{
  GtkApplicationWindow  parent_instance;

  GtkScrolledWindow    *ladder_scroller;
  HbLadder             *ladder;
  GtkColumnView        *table;
  GtkLabel             *tcp_label;
  GtkLabel             *explanation_label;
  GtkTextView          *details_view;
  GtkTextView          *bytes_view;
  GtkNotebook          *notebook;
  GtkDropDown          *conversation_dropdown;
  GtkToggleButton      *capture_button;
  GtkRevealer          *notice_revealer;
  GtkLabel             *notice_label;
  GtkImage             *notice_icon;
  GtkButton            *notice_button;
  GtkLabel             *status_label;
  HbCaptureLoader      *loader;

  HbSegmentModel       *segments;     /* the rows, from whichever source */
  GtkSingleSelection   *selection;

  /* A live connection: the program's socket and its two ends. */
  HbTimeline           *timeline;
  GSocket              *socket;
  char                 *local_ip;
  char                 *remote_ip;
  guint                 local_port;
  guint                 remote_port;
  guint                 tcp_timer;
  guint                 fast_timer;
  guint                 end_idle;     /* scroll_ladder_to_end () pending */
  gboolean              notice_is_choice;  /* the notice asks to choose a connection */
  guint                 captured_port;     /* the file is a live capture of this server port */
  guint                 fast_polls;
  HbTcpState            tcp_state;    /* last seen, for the notes */
  gint64                origin_mono;  /* the application's record starts here */
  gboolean              client_side;
  gboolean              ended;        /* the connection shown has closed */
  gboolean              superseded;   /* the client has connected again since */
  gulong                record_handler;
  HbClient             *client;       /* a client window's own: it may connect again */
  HbEncoding            encoding;     /* of the lab's patterns, for their text */
  char                 *client_label;
  char                 *server_label;

  /* Packets: from a file, or from a live capture of the connection. */
  HbCaptureFile        *file;
  char                 *file_name;    /* as the window shows it */
  HbCaptureSession     *session;
  guint                 n_notes;

  gboolean              page_had_selection;  /* the page being opened, before */
  int                   page_selection[2];
  gboolean              follow_end;   /* the ladder shows its last rows */
  guint                 number_digits; /* the No. column fits so many */
  GtkNativeDialog      *dialog;       /* open file chooser, if any */
  HbTimelineSaveFunc    dialog_save;  /* what it saves */
};

/* hb-timeline-window.c */
void hb_timeline_window_show_notice (HbTimelineWindow *self,
                                     const char       *text,
                                     gboolean          error);
void hb_timeline_window_update_status (HbTimelineWindow *self);

/* hb-timeline-window-explain.c */
void hb_timeline_window_explain (HbTimelineWindow *self,
                                 HbSegment        *seg);
void hb_timeline_window_show_segment (HbTimelineWindow *self,
                                      guint             position);
void hb_timeline_window_on_page_switching (GtkNotebook      *notebook,
                                           GtkWidget        *page,
                                           guint             page_num,
                                           HbTimelineWindow *self);
void hb_timeline_window_on_page_switched (GtkNotebook      *notebook,
                                          GtkWidget        *page,
                                          guint             page_num,
                                          HbTimelineWindow *self);

/* hb-timeline-window-tcp-info.c */
void hb_timeline_window_remember_addresses (HbTimelineWindow *self);
gboolean hb_timeline_window_update_tcp (gpointer data);
gboolean hb_timeline_window_update_tcp_fast (gpointer data);

/* hb-timeline-window-sources.c */
gboolean hb_timeline_window_endpoints (HbTimelineWindow  *self,
                                       const char       **client_ip,
                                       guint             *client_port,
                                       const char       **server_ip,
                                       guint             *server_port);
void hb_timeline_window_on_session_state (HbCaptureSession *session,
                                          GParamSpec       *pspec,
                                          HbTimelineWindow *self);
void hb_timeline_window_attach_session (HbTimelineWindow *self);
void hb_timeline_window_on_conversation (HbSegmentModel   *segments,
                                         GParamSpec       *pspec,
                                         HbTimelineWindow *self);
void hb_timeline_window_on_conversation_chosen (GtkDropDown      *dropdown,
                                                GParamSpec       *pspec,
                                                HbTimelineWindow *self);
void hb_timeline_window_load_file (HbTimelineWindow *self,
                                   GFile            *file);
void hb_timeline_window_follow_record (HbTimelineWindow *self);
/* For dispose: the window no longer follows its record (may run twice). */
void hb_timeline_window_unfollow_record (HbTimelineWindow *self);

/* hb-timeline-window-actions.c */
void hb_timeline_window_apply_numbers (HbTimelineWindow *self);
void hb_timeline_window_actions_class_init (GtkWidgetClass   *widget_class);
void hb_timeline_window_actions_init       (HbTimelineWindow *self);

G_END_DECLS
