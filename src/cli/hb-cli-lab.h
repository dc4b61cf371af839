/* hb-cli-lab.h - the lab's protocol and raw TCP in heartbeat-lab-cli: the options server and client share, and each read shown
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "heartbeat-lab.h"
#include "hb-cli-output.h"

G_BEGIN_DECLS

/* Of one read, at most this many bytes are shown on a human line (a JSON
 * event keeps HB_CHUNK_SHOW_MAX): a line a person can still take in. */
#define HB_CLI_READ_LINE_MAX 1024

/**
 * HbCliLab:
 * --protocol, --heartbeat-text/-hex, --ack-text/-hex, --line-ending and
 * --encoding: as GOption fills them in, then as parsed.
 */
typedef struct
{
  char         *protocol_arg;
  char         *heartbeat_text;
  char         *heartbeat_hex;
  char         *ack_text;
  char         *ack_hex;
  char         *line_ending_arg;
  char         *encoding_arg;

  HbProtocol    protocol;
  GBytes       *heartbeat;
  GBytes       *ack;
  HbLineEnding  line_ending;
  HbEncoding    encoding;
} HbCliLab;

void      hb_cli_lab_add_options  (HbCliLab        *lab,
                                   GOptionContext  *context);
/* Checks the options: an unknown name, an empty heartbeat or ack, one
 * given both as text and hex, or bad hex is an error (wrong usage). */
gboolean  hb_cli_lab_parse        (HbCliLab        *lab,
                                   GError         **error);
/* A heartbeat or ack given with @text_option or @hex_option (at most
 * one), or @fallback: its bytes, or an error naming the option. */
GBytes   *hb_cli_parse_pattern    (const char      *text,
                                   const char      *hex,
                                   const char      *fallback,
                                   const char      *text_option,
                                   const char      *hex_option,
                                   GError         **error);
/* Warns on stderr about the options of this group that the chosen
 * protocol ignores. */
void      hb_cli_lab_warn_unused  (HbCliLab        *lab);
/* "heartbeat-lab-cli: warning: OPTION has no effect with --protocol P" */
void      hb_cli_warn_no_effect   (const char      *option,
                                   HbProtocol       protocol);
/* Sets "protocol", "heartbeat", "ack", "line-ending" and "encoding" on an
 * HbServer or HbClient. */
void      hb_cli_lab_apply        (HbCliLab        *lab,
                                   gpointer         server_or_client);
void      hb_cli_lab_clear        (HbCliLab        *lab);

/* Quoted for a person, control characters escaped: “heartbeat ack” */
char     *hb_cli_lab_quote        (HbCliLab        *lab,
                                   GBytes          *bytes);

/* One read from a peer, as the "data" event or a human line. @id is the
 * server's client id, 0 on the client's side; @from names the peer;
 * @server says whose read it is (the server looks for the ack, the
 * client for the heartbeat). */
void      hb_cli_lab_show_read    (HbCliLab          *lab,
                                   HbCliOutput       *out,
                                   gboolean           server,
                                   guint              id,
                                   const char        *from,
                                   GBytes            *bytes,
                                   const HbChunkInfo *info);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (HbCliLab, hb_cli_lab_clear)

G_END_DECLS
