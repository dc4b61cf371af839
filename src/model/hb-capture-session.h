/* hb-capture-session.h - live packets of one port, from heartbeat-lab-cli capture running as a child
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "heartbeat-lab.h"

G_BEGIN_DECLS

typedef enum
{
  HB_CAPTURE_SESSION_IDLE,
  HB_CAPTURE_SESSION_STARTING,  /* the helper runs; no stream header yet */
  HB_CAPTURE_SESSION_RUNNING,   /* the filter is in place: packets flow */
  HB_CAPTURE_SESSION_STOPPED,   /* stopped by the user, or the helper ended */
  HB_CAPTURE_SESSION_FAILED,    /* see hb_capture_session_get_message() */
} HbCaptureSessionState;

/* Packets kept per session; capturing stops there, with a message. */
#define HB_CAPTURE_SESSION_MAX_PACKETS 100000

#define HB_TYPE_CAPTURE_SESSION (hb_capture_session_get_type ())
G_DECLARE_FINAL_TYPE (HbCaptureSession, hb_capture_session, HB, CAPTURE_SESSION, GObject)

/**
 * HbCaptureSession:
 *
 * Captures a TCP port by running `heartbeat-lab-cli capture --write -` and
 * reading the pcap stream from its standard output, so that the desktop
 * application itself never needs a privilege: only the small tool does
 * (`setcap`). Packets are parsed and analysed into conversations as they
 * arrive, all in the main loop. When the tool may not capture, the session
 * fails with the tool's own words, which name the command that grants it.
 *
 * One session per port is shared by every window that shows that port.
 *
 * Signals:
 *   packet (HbPacket *packet, HbConversation *conversation)
 *     a TCP segment arrived and was analysed
 * Properties: state (HbCaptureSessionState), message (string)
 */

/* The session for @port, made if there is none yet. */
HbCaptureSession     *hb_capture_session_get_for_port (guint              port);
/* Starts capturing on @device ("lo" when NULL). Does nothing while running. */
void                  hb_capture_session_start        (HbCaptureSession  *self,
                                                       const char        *device);
/* Asks the helper to stop; its last packets still arrive. */
void                  hb_capture_session_stop         (HbCaptureSession  *self);
/* Windows that show the session say so: when the last one lets go, the
 * capture stops. */
void                  hb_capture_session_hold         (HbCaptureSession  *self);
void                  hb_capture_session_release      (HbCaptureSession  *self);
/* Stops every session, for the application's shutdown. */
void                  hb_capture_session_stop_all     (void);
HbCaptureSessionState hb_capture_session_get_state    (HbCaptureSession  *self);
gboolean              hb_capture_session_is_active    (HbCaptureSession  *self);
const char           *hb_capture_session_get_message  (HbCaptureSession  *self);
guint                 hb_capture_session_get_port     (HbCaptureSession  *self);
int                   hb_capture_session_get_linktype (HbCaptureSession  *self);
/* The conversations seen so far (HbConversation *), oldest first. */
GPtrArray            *hb_capture_session_get_conversations (HbCaptureSession *self);
/* The conversation of the connection between the two endpoints, either
 * direction, most recent first; NULL if none was captured. */
HbConversation       *hb_capture_session_find         (HbCaptureSession  *self,
                                                       const char        *client_address,
                                                       guint              client_port,
                                                       const char        *server_address,
                                                       guint              server_port);
/* The lab's heartbeat and ack the conversations recognise
 * (hb_conversation_set_lab_patterns()), from the next packet on; NULL:
 * the lab's defaults. */
void                  hb_capture_session_set_lab_patterns (HbCaptureSession *self,
                                                           GBytes           *heartbeat,
                                                           GBytes           *ack);
/* Writes every packet captured so far, of every connection, in the order
 * they were captured, as classic pcap. FALSE with G_IO_ERROR_NOT_FOUND when
 * nothing was captured. */
gboolean              hb_capture_session_write        (HbCaptureSession  *self,
                                                       const char        *path,
                                                       GError           **error);
/* The path of heartbeat-lab-cli: $HB_CLI, next to this program, or $PATH. */
char                 *hb_capture_session_find_cli     (void);

G_END_DECLS
