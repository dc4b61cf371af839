/* hb-client-words.h - what the client window says, in the words of the protocol it speaks: the heartbeat panel, the faults, why a connection ended
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "heartbeat-lab.h"

G_BEGIN_DECLS

/* The panel's and the faults' fixed words: the lab's protocol has no
 * PING, PONG or BYE, and raw TCP no heartbeat at all. */
typedef struct
{
  const char *ping_caption;
  const char *pong_caption;
  const char *ping_tooltip;
  const char *pong_tooltip;
  const char *terms_title;
  const char *last_ping_title;
  const char *last_pong_title;
  const char *verdict_title;
  const char *answer_hint;
  const char *delay_hint;
  const char *reading_hint;
  const char *abort_hint;
  const char *half_close_hint;
} HbClientWords;

void        hb_client_words_get         (HbProtocol   protocol,
                                         HbClientWords *words);
/* The status line: where the connection is, and why the last one ended
 * (@last_reason, may be NULL). */
char       *hb_client_words_state       (HbClient    *client,
                                         const char  *last_reason);
/* "30 s", "1.5 s", "300 ms". */
char       *hb_client_words_duration    (guint        ms);
/* Why a connection ended, for the status line. */
const char *hb_client_words_ended       (HbByeReason  reason,
                                         HbInitiator  initiator,
                                         HbProtocol   protocol);
char       *hb_client_words_count       (HbProtocol   protocol,
                                         guint64      pings,
                                         guint64      pongs);
/* The line protocol: the server's verdict, counted from @since (our last
 * answer, or the connect) with the timeout WELCOME announced. */
char       *hb_client_words_line_verdict (HbClient   *client,
                                          guint64     pings,
                                          guint64     pongs,
                                          gint64      since,
                                          gint64      now);
/* The lab's protocol: what this window knows, @since the last heartbeat
 * (or the connect), and its own limit on the server's silence. */
char       *hb_client_words_lab_verdict (HbClient    *client,
                                         guint64      pings,
                                         gint64       since,
                                         gint64       now);
/* The lab's protocol: the heartbeat and answer of the connection, and
 * how often heartbeats came (@first and @last wall µs of @pings). */
char       *hb_client_words_lab_terms   (HbClient    *client,
                                         guint64      pings,
                                         gint64       first,
                                         gint64       last);

G_END_DECLS
