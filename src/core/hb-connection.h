/* hb-connection.h - one client as the server sees it: the row model of the client list
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "hb-timeline.h"

G_BEGIN_DECLS

typedef enum
{
  HB_LIVENESS_ALIVE,
  HB_LIVENESS_LATE,
  HB_LIVENESS_DEAD,
} HbLiveness;

/* How a connection ended, as TCP saw it. */
typedef enum
{
  HB_CLOSE_OPEN,    /* not closed yet */
  HB_CLOSE_FIN,     /* both sides sent their FIN */
  HB_CLOSE_RESET,   /* the client reset it (RST) */
  HB_CLOSE_NO_FIN,  /* the server's FIN went unanswered for the drain time */
  HB_CLOSE_ERROR,   /* another socket error */
} HbCloseKind;

#define HB_TYPE_CONNECTION (hb_connection_get_type ())
G_DECLARE_FINAL_TYPE (HbConnection, hb_connection, HB, CONNECTION, GObject)

guint        hb_connection_get_id              (HbConnection *self);
const char  *hb_connection_get_name            (HbConnection *self);
/* "127.0.0.1:53122" or "[::1]:53122" */
const char  *hb_connection_get_peer            (HbConnection *self);
GSocket     *hb_connection_get_socket          (HbConnection *self);
/* Wall-clock times in µs since the epoch (g_get_real_time()); 0 = never. */
gint64       hb_connection_get_connected_since (HbConnection *self);
gint64       hb_connection_get_last_ping       (HbConnection *self);
gint64       hb_connection_get_last_pong       (HbConnection *self);
guint64      hb_connection_get_pings_sent      (HbConnection *self);
guint64      hb_connection_get_pongs_received  (HbConnection *self);
/* Heartbeat round-trip times in µs; -1 until the first PONG. */
gint64       hb_connection_get_rtt_last        (HbConnection *self);
gint64       hb_connection_get_rtt_min         (HbConnection *self);
gint64       hb_connection_get_rtt_avg         (HbConnection *self);
gint64       hb_connection_get_rtt_max         (HbConnection *self);
guint        hb_connection_get_missed          (HbConnection *self);
HbLiveness   hb_connection_get_liveness        (HbConnection *self);
guint64      hb_connection_get_bytes_in        (HbConnection *self);
guint64      hb_connection_get_bytes_out       (HbConnection *self);
guint64      hb_connection_get_lines_in        (HbConnection *self);
guint64      hb_connection_get_lines_out       (HbConnection *self);
gsize        hb_connection_get_queued          (HbConnection *self);
gboolean     hb_connection_get_closing         (HbConnection *self);
HbTimeline  *hb_connection_get_timeline        (HbConnection *self);
/* What the client speaks: in raw, nothing is judged (no heartbeat, no
 * liveness, no RTT). */
HbProtocol   hb_connection_get_protocol        (HbConnection *self);
HbByeReason  hb_connection_get_close_reason    (HbConnection *self);
HbCloseKind  hb_connection_get_close_kind      (HbConnection *self);

const char  *hb_liveness_to_string             (HbLiveness    liveness);

G_END_DECLS
