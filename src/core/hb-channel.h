/* hb-channel.h - line-framed, non-blocking I/O on one socket, shared by server and client
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "hb-poller.h"
#include "hb-protocol.h"

G_BEGIN_DECLS

typedef struct _HbChannel HbChannel;

typedef enum
{
  HB_CHANNEL_END_CLEAN,  /* both FINs exchanged, or our close finished */
  HB_CHANNEL_END_RESET,  /* ECONNRESET / EPIPE */
  HB_CHANNEL_END_ERROR,  /* another socket error */
  HB_CHANNEL_END_LINGER, /* our graceful close ran out of time */
  HB_CHANNEL_END_ABORT,  /* we aborted with RST */
} HbChannelEnd;

typedef struct
{
  /* A complete line (LF and CR stripped). Return FALSE to stop reading now. */
  gboolean (*line)      (HbChannel *channel, const char *line, gsize len, gpointer user_data);
  /* Unframed channels only (hb_channel_set_framed()): the bytes of one
   * read, as they came. */
  void     (*data)      (HbChannel *channel, const guint8 *data, gsize len, gpointer user_data);
  /* A line passed max_line and is being discarded. */
  void     (*overlong)  (HbChannel *channel, gpointer user_data);
  /* The peer sent FIN (its write side is shut). Reading has stopped. */
  void     (*peer_eof)  (HbChannel *channel, gpointer user_data);
  /* Bytes left the queue; @total is all bytes written since the channel began. */
  void     (*written)   (HbChannel *channel, guint64 total, gpointer user_data);
  /* Our FIN went out (after the queue was written). */
  void     (*fin_sent)  (HbChannel *channel, gpointer user_data);
  /* The socket is closed; the channel does nothing more. */
  void     (*closed)    (HbChannel *channel, HbChannelEnd end, const char *detail, gpointer user_data);
} HbChannelFuncs;

HbChannel *hb_channel_new            (HbPoller             *poller,
                                      GSocketConnection    *connection,
                                      gsize                 max_line,
                                      const HbChannelFuncs *funcs,
                                      gpointer              user_data);
HbChannel *hb_channel_new_for_fd     (HbPoller             *poller,
                                      int                   fd,
                                      gsize                 max_line,
                                      const HbChannelFuncs *funcs,
                                      gpointer              user_data);
HbChannel *hb_channel_ref            (HbChannel            *channel);
void       hb_channel_unref          (HbChannel            *channel);

/* Queues bytes; they are written once per main-loop pass, coalesced. */
void       hb_channel_write          (HbChannel            *channel,
                                      const char           *data,
                                      gsize                 len);
gsize      hb_channel_write_shared   (HbChannel            *channel,
                                      GBytes               *block);
void       hb_channel_discard_queue  (HbChannel            *channel);
gsize      hb_channel_get_queued     (HbChannel            *channel);
/* Asks the CPU to fetch what a write will read, ahead of it. */
void       hb_channel_prefetch       (HbChannel            *channel);
guint64    hb_channel_get_bytes_in   (HbChannel            *channel);
guint64    hb_channel_get_bytes_out  (HbChannel            *channel);
guint64    hb_channel_get_bytes_queued_total (HbChannel    *channel);
void       hb_channel_set_reading    (HbChannel            *channel,
                                      gboolean              reading);
/* Reads what is waiting in the socket now, as a wake-up would: before
 * judging a peer by its silence, in case the silence was our own stall. */
void       hb_channel_read_now       (HbChannel            *channel);
/* How much one wake-up reads at most before others get their turn
 * (256 KiB by default: fairness between many clients). A client, alone on
 * its poller, reads less at a time, so that a flood cannot make one pass of
 * its main loop long enough to delay its own timers. */
void       hb_channel_set_read_budget (HbChannel           *channel,
                                      gsize                 bytes);
/* Asks the kernel when what is read arrived (SO_TIMESTAMPNS; off by
 * default: the server's reads stay plain). FALSE if the kernel refused. */
gboolean   hb_channel_set_arrival_stamps (HbChannel        *channel,
                                          gboolean          stamps);
/* During a line, data or peer_eof callback: when the bytes of the read
 * being handed over had all arrived at this host (monotonic µs; when the
 * last of them arrived, so a line that waited with later ones may have
 * come earlier). At peer_eof, the arrival of the data read just before the
 * FIN in the same pass: the kernel does not stamp a FIN. 0 when unknown:
 * stamps off, the kernel gave none, or (peer_eof) no data came with it. */
gint64     hb_channel_get_arrival    (HbChannel            *channel);
/* A framed channel (the default) cuts what it reads into lines and keeps
 * a half-sent line whole when it drops its queue; an unframed one hands
 * over each read as it came (HbChannelFuncs.data) and, dropping its queue,
 * keeps only what is already sent. */
void       hb_channel_set_framed     (HbChannel            *channel,
                                      gboolean              framed);
gboolean   hb_channel_is_open        (HbChannel            *channel);
gboolean   hb_channel_is_closing     (HbChannel            *channel);
GSocket   *hb_channel_get_socket     (HbChannel            *channel);
int        hb_channel_get_fd         (HbChannel            *channel);

/* Writes what is queued, then sends FIN, then waits for the peer's FIN,
 * reading what comes, and closes when it arrives. Lines keep being
 * delivered meanwhile (a client wants to see `BYE goodbye`). The owner bounds the wait: when its time
 * is up it calls hb_channel_expire(). */
void       hb_channel_close          (HbChannel            *channel);
void       hb_channel_expire         (HbChannel            *channel);
/* Sends FIN after the queue is written but keeps reading (half-close). */
void       hb_channel_shutdown_write (HbChannel            *channel);
/* Closes at once with SO_LINGER {1, 0} (on, zero seconds): the peer sees RST. */
void       hb_channel_abort          (HbChannel            *channel);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbChannel, hb_channel_unref)

G_END_DECLS
