/* hb-cli-server-private.h - the state of heartbeat-lab-cli server, shared by its event output and its commands
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "heartbeat-lab.h"
#include "hb-cli-lab.h"
#include "hb-cli-output.h"

G_BEGIN_DECLS

typedef struct
{
  HbServer     *server;
  HbCliLab     *lab;
  /* HbConnection*, in order of arrival. Kept from the signals rather than
   * read from the server's list model, which may lag them for batching. */
  GPtrArray    *clients;
  HbCliOutput  *out;
  HbCliInput   *input;
  GMainLoop    *loop;
  GCancellable *cancellable;
  /* Broadcast lines read in this pass, sent together (hb_cli_server_flush_broadcasts) */
  GPtrArray    *pending;
  guint         pending_id;
  gboolean      shutting_down;
  guint         sigint_id;
  guint         sigterm_id;
} HbCliServer;

static inline gboolean
is_json (HbCliServer *self)
{
  return hb_cli_output_is_json (self->out);
}

static inline gboolean
is_lab (HbCliServer *self)
{
  return self->lab->protocol == HB_PROTOCOL_LAB;
}

/* The lab's protocol and raw TCP have no BYE: every close is a FIN. */
static inline gboolean
has_bye (HbCliServer *self)
{
  return self->lab->protocol == HB_PROTOCOL_LINE;
}

/* Says goodbye to every client and quits once they have gone; asked
 * twice, quits at once. */
void hb_cli_server_begin_shutdown   (HbCliServer *self);
/* Sends the broadcast lines read so far, before anything that follows. */
void hb_cli_server_flush_broadcasts (HbCliServer *self);
/* An HbCliLineFunc: one line of standard input, a broadcast or a command. */
void hb_cli_server_on_stdin_line    (const char  *line,
                                     gpointer     user_data);

G_END_DECLS
