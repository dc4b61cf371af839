/* hb-server-columns.h - the columns of the server's client list: one row per client, bound to its HbConnection
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "heartbeat-lab.h"
#include "hb-clock.h"

G_BEGIN_DECLS

typedef struct _HbServerColumns HbServerColumns;

/* The check board of the server's current listening, or NULL. */
typedef HbCheckBoard *(*HbServerColumnsBoard) (gpointer data);

/* Adds the client list's columns to @view (whose items are HbConnection):
 * ID, Name, Address, Connected, PING Sent, PONG Received (Heartbeat
 * Sent, Ack Received in the lab's protocol), RTT, Missed, State, Checks
 * and Bytes. @board is asked when a row is shown. */
HbServerColumns *hb_server_columns_new          (GtkColumnView        *view,
                                                 HbClock              *clock,
                                                 HbServerColumnsBoard  board,
                                                 gpointer              board_data);
/* Shows the columns that mean something in @protocol: names in the line
 * protocol, checks in the lab's; the heartbeat columns in its words. */
void             hb_server_columns_set_protocol (HbServerColumns      *self,
                                                 HbProtocol            protocol);
void             hb_server_columns_free         (HbServerColumns      *self);
/* Why a client left, in a few words: the log's and the State cell's. */
const char      *hb_server_reason_words         (HbByeReason           reason);

G_END_DECLS
