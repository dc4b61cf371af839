/* hb-client.h - the heartbeat client: connects, answers heartbeats, and can misbehave on purpose
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "hb-connection.h"
#include "hb-lab.h"
#include "hb-protocol.h"
#include "hb-timeline.h"

G_BEGIN_DECLS

typedef enum
{
  HB_CLIENT_DISCONNECTED,
  HB_CLIENT_CONNECTING,
  HB_CLIENT_CONNECTED,
  HB_CLIENT_RECONNECTING,  /* waiting for the backoff to pass */
} HbClientState;

/* How the server judges this client, worked out on the client's side. */
typedef struct
{
  HbLiveness liveness;    /* by the server's rule */
  guint      missed;      /* heartbeats that waited an interval for their answer */
  guint64    owed;        /* heartbeats not answered yet */
  gint64     waiting_us;  /* how long the oldest of them has waited */
  gint64     dead_in_us;  /* until the server would declare this client dead; -1: nothing owed */
} HbServerView;

#define HB_TYPE_CLIENT (hb_client_get_type ())
G_DECLARE_FINAL_TYPE (HbClient, hb_client, HB, CLIENT, GObject)

/* Properties:
 *   host, port, name, state (HbClientState), client-id, interval-ms and
 *   timeout-ms (from WELCOME), answer-pings (bool, TRUE), pong-delay-ms (uint),
 *   reading (bool, TRUE), auto-reconnect (bool), reconnect-min-ms,
 *   reconnect-max-ms, reconnect-delay-ms (read-only: the wait now under way),
 *   pings-received, pongs-sent, last-ping (wall µs), last-pong (wall µs),
 *   disconnect-reason (HbByeReason of the last disconnect), timeline,
 *   protocol (HbProtocol), heartbeat and ack (GBytes, for the lab's
 *   protocol), line-ending and encoding (of typed text in lab and raw).
 *   The protocol settings apply from the next connection.
 *
 * Signals:
 *   welcome      (guint id, guint interval_ms, guint timeout_ms)
 *   ping         (guint64 seq)                        a PING arrived
 *   pong-sent    (guint64 seq)                        our PONG was queued
 *   pong         (const char *token, gint64 rtt_us)   the answer to our PING
 *   message      (HbVerb kind, const char *sender, const char *text)
 *                kind is MSG, BCAST or RELAY; sender is NULL unless RELAY
 *   server-error (const char *code, const char *text)
 *   bye          (const char *reason)
 *   disconnected (HbByeReason reason, HbInitiator initiator, const char *detail)
 *   reconnecting (guint delay_ms, guint attempt)
 *   data-received (GBytes *bytes, HbChunkInfo *info)    lab and raw: one read
 *   bad-line     (const char *line, const char *problem) a line no server may send, ignored
 *
 * In the lab's protocol a heartbeat is announced as ::ping (seq counting
 * the heartbeats of the connection from 1) and answered with the ack;
 * the text between heartbeats is ::message (kind MSG, no sender). There
 * is no WELCOME, HELLO, BYE or PING probe: hb_client_send_ping() fails.
 */

HbClient      *hb_client_new            (const char *host,
                                         guint       port,
                                         const char *name);
void           hb_client_connect        (HbClient   *self);
/* BYE, then FIN once it is written; no reconnect follows. */
void           hb_client_disconnect     (HbClient   *self);
gboolean       hb_client_send_message   (HbClient   *self,
                                         const char *text);
/* Lab and raw only: @bytes as they are, no encoding, no line ending (a
 * message typed as hex). FALSE in the line protocol or when not connected. */
gboolean       hb_client_send_bytes     (HbClient   *self,
                                         GBytes     *bytes);
gboolean       hb_client_send_ping      (HbClient   *self,
                                         const char *token);
gboolean       hb_client_send_hello     (HbClient   *self,
                                         const char *name);
/* Fault switches for teaching. */
void           hb_client_abort          (HbClient   *self);
void           hb_client_half_close     (HbClient   *self);

HbClientState  hb_client_get_state      (HbClient   *self);
HbProtocol     hb_client_get_protocol   (HbClient   *self);
void           hb_client_get_server_view (HbClient    *self,
                                          gint64       now,
                                          HbServerView *view);
guint          hb_client_get_client_id  (HbClient   *self);
guint          hb_client_get_interval_ms (HbClient  *self);
guint          hb_client_get_timeout_ms (HbClient   *self);
const char    *hb_client_get_host       (HbClient   *self);
guint          hb_client_get_port       (HbClient   *self);
const char    *hb_client_get_name       (HbClient   *self);
HbTimeline    *hb_client_get_timeline   (HbClient   *self);
GSocket       *hb_client_get_socket     (HbClient   *self);
/* During a signal for something read (ping, message, ...): when it had
 * arrived at this host, by the kernel's stamp (monotonic µs), so a judge
 * of the server's timing leaves out how long this loop took to read it.
 * 0 when unknown. */
gint64         hb_client_get_arrival    (HbClient   *self);
const char    *hb_client_state_to_string (HbClientState state);

G_END_DECLS
