/* hb-server.h - the heartbeat server: accepts clients, beats, broadcasts, all on the main loop
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "hb-connection.h"
#include "hb-lab.h"
#include "hb-protocol.h"

G_BEGIN_DECLS

#define HB_DEFAULT_MAX_CLIENTS   10000
#define HB_DEFAULT_MAX_QUEUE     (256 * 1024)
#define HB_DEFAULT_RATE_LIMIT    100      /* lines per second per client, burst twice that */
#define HB_DEFAULT_DRAIN_MS      2000

#define HB_TYPE_SERVER (hb_server_get_type ())
G_DECLARE_FINAL_TYPE (HbServer, hb_server, HB, SERVER, GObject)

/* Properties (all settable before start; "port" reads back the real port):
 *   address (string, "127.0.0.1"), port (uint, 12001), interval-ms, timeout-ms,
 *   max-clients, max-line, max-queue (bytes), rate-limit (lines/s, 0 = off),
 *   relay (bool), protocol (HbProtocol: line, lab or raw), heartbeat and
 *   ack (GBytes, the lab's `heartbeat` and `heartbeat ack`), line-ending
 *   and encoding (of the operator's text in lab and raw), listening (bool,
 *   read-only), n-clients (uint, read-only).
 *
 * Signals:
 *   client-connected    (HbConnection *conn)
 *   client-hello        (HbConnection *conn, const char *name)
 *   message             (HbConnection *conn, const char *text)
 *   ping-sent           (HbConnection *conn, guint64 seq)
 *   pong                (HbConnection *conn, guint64 seq, gint64 rtt_us)  rtt_us -1: unknown seq
 *   error-sent          (HbConnection *conn, HbErrCode code, const char *text)
 *   client-disconnected (HbConnection *conn, HbByeReason reason, HbInitiator initiator)
 *   client-rejected     (const char *peer, HbByeReason reason)
 *   data-received       (HbConnection *conn, GBytes *bytes, HbChunkInfo *info)  lab, raw
 *   broadcast           (guint n_texts, guint recipients)   the operator's broadcast went out
 *
 * In the lab's protocol a client's ack is announced as ::pong (seq: the
 * heartbeat it answered, 0 when none was waiting) and the text between
 * acks as ::message; in raw TCP only ::data-received tells what came.
 */

HbServer     *hb_server_new             (void);
gboolean      hb_server_start           (HbServer            *self,
                                         GError             **error);
/* Says BYE shutdown to every client and stops listening. Clients drain in the
 * background; use hb_server_shutdown_async() to wait for them. */
void          hb_server_stop            (HbServer            *self);
void          hb_server_shutdown_async  (HbServer            *self,
                                         guint                drain_ms,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
gboolean      hb_server_shutdown_finish (HbServer            *self,
                                         GAsyncResult        *result,
                                         GError             **error);

const char   *hb_server_get_address     (HbServer            *self);
guint         hb_server_get_port        (HbServer            *self);
gboolean      hb_server_get_listening   (HbServer            *self);
guint         hb_server_get_n_clients   (HbServer            *self);
guint         hb_server_get_interval_ms (HbServer            *self);
guint         hb_server_get_timeout_ms  (HbServer            *self);
HbProtocol    hb_server_get_protocol    (HbServer            *self);

/* The connected clients, in order of arrival; items are HbConnection.
 * The model may trail ::client-connected by up to 50 ms, because joins are
 * applied in batches (one items-changed per burst); calling this function
 * applies the pending batch. "n-clients" and hb_server_lookup() never trail. */
GListModel   *hb_server_get_connections (HbServer            *self);
void          hb_server_set_live_counters (HbServer          *self,
                                           gboolean           live);
HbConnection *hb_server_lookup          (HbServer            *self,
                                         guint                id);

/* Returns the number of clients the line was queued for. The _lines
 * variant sends several in order, as one block per client. */
guint         hb_server_broadcast       (HbServer            *self,
                                         const char          *text);
guint         hb_server_broadcast_lines (HbServer            *self,
                                         const char *const   *texts,
                                         guint                n_texts);
gboolean      hb_server_send            (HbServer            *self,
                                         guint                id,
                                         const char          *text);
gboolean      hb_server_kick            (HbServer            *self,
                                         guint                id);
gboolean      hb_server_beat_now        (HbServer            *self,
                                         guint                id,
                                         const char          *glued_text);

G_END_DECLS
