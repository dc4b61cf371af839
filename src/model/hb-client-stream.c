/* hb-client-stream.c - the lab's protocol and raw TCP in the client window's conversation: each read as it came, with what to notice about it, and each send
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * In the lab's protocol nothing marks where a message ends: a read may
 * hold a heartbeat and a message (粘包), or part of either (拆包). The
 * conversation shows each read as it came and says so in plain words,
 * which is what a student's program that expects recv() to return one
 * message at a time gets wrong.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "hb-client-stream.h"

/* What this window does about the heartbeats of a read, said after the
 * read is explained. */
static char *
answer_words (HbClient *client,
              guint     n_heartbeats)
{
  gboolean answer = TRUE;
  guint delay = 0;

  g_object_get (client, "answer-pings", &answer, "pong-delay-ms", &delay, NULL);
  if (!answer)
    return g_strdup (_("this window does not answer it (answering is switched off)"));
  if (delay > 0)
    return g_strdup_printf (_("this window answers it after %u ms (the delay you set)"), delay);
  return g_strdup (n_heartbeats == 1 ? _("this window answered the heartbeat")
                                     : _("this window answered each heartbeat"));
}

/* What a person should notice about one read of the lab's protocol, in
 * the words the timeline and the captures use for it ("heartbeat +
 * message (2 in one read)"): several pieces in one read (粘包), a piece
 * across reads (拆包). NULL when it held one whole piece, as a person
 * would expect. */
static char *
read_note (HbClient          *client,
           const HbChunkInfo *info,
           guint32            bytes)
{
  g_autoptr(GBytes) heartbeat = NULL;
  g_autofree char *pattern = NULL;
  g_autofree char *what = NULL;
  g_autofree char *answered = NULL;
  const char *why;
  HbEncoding encoding = HB_ENCODING_UTF8;
  gsize len;
  const guint8 *data;

  if (!hb_chunk_info_crosses_boundary (info))
    return NULL;
  g_object_get (client, "heartbeat", &heartbeat, "encoding", &encoding, NULL);
  data = g_bytes_get_data (heartbeat, &len);
  pattern = hb_bytes_to_display (data, len, encoding, len, NULL);
  what = hb_chunk_info_describe (info, bytes, pattern, HB_LAB_PATTERN_HEARTBEAT, HB_BOUNDARY_READ);
  if (info->glued && (info->split || info->held))
    why = _("TCP keeps no message boundaries (粘包, 拆包)");
  else if (info->glued)
    why = _("TCP keeps no message boundaries (粘包)");
  else
    why = _("TCP keeps no message boundaries (拆包)");
  if (info->n_patterns == 0)
    /* Translators: "heartbeat + message (2 in one read) — TCP keeps no
     * message boundaries (粘包)" */
    return g_strdup_printf (_("%s — %s"), what, why);
  answered = answer_words (client, info->n_patterns);
  /* Translators: the same, then what this window does about the
   * heartbeats: "…(粘包); this window answered the heartbeat" */
  return g_strdup_printf (_("%s — %s; %s"), what, why, answered);
}

HbLogEntry *
hb_client_read_entry (HbClient          *client,
                      GBytes            *bytes,
                      const HbChunkInfo *info)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  HbEncoding encoding = HB_ENCODING_UTF8;
  g_autofree char *who = NULL;
  g_autofree char *note = NULL;
  HbLogEntry *entry;

  g_return_val_if_fail (HB_IS_CLIENT (client), NULL);

  g_object_get (client, "encoding", &encoding, NULL);
  who = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "← %zu byte", "← %zu bytes", len), len);
  entry = hb_log_entry_new_bytes (HB_LOG_DATA, 0, who, data, len, encoding);
  /* Raw TCP has no pieces: every read is just bytes. */
  if (hb_client_get_protocol (client) == HB_PROTOCOL_LAB)
    note = read_note (client, info, (guint32) MIN (len, G_MAXUINT32));
  hb_log_entry_set_note (entry, note);
  return entry;
}

HbLogEntry *
hb_client_send_typed (HbClient    *client,
                      const char  *text,
                      gboolean     hex,
                      GError     **error)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *count = NULL;
  HbEncoding encoding = HB_ENCODING_UTF8;
  HbLineEnding ending = HB_LINE_ENDING_NONE;
  gboolean sent;
  gsize len;
  const guint8 *data;
  HbLogEntry *entry;

  g_return_val_if_fail (HB_IS_CLIENT (client), NULL);
  g_return_val_if_fail (text != NULL, NULL);

  g_object_get (client, "encoding", &encoding, "line-ending", &ending, NULL);
  if (hex)
    {
      bytes = hb_bytes_from_hex (text, error);
      if (bytes == NULL)
        return NULL;
      if (g_bytes_get_size (bytes) == 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("No bytes to send"));
          return NULL;
        }
      sent = hb_client_send_bytes (client, bytes);
    }
  else
    {
      /* The client encodes the text the same way: the entry shows the
       * bytes that went out, line ending and all. */
      bytes = hb_text_encode (text, -1, encoding, ending);
      sent = hb_client_send_message (client, text);
    }
  if (!sent)
    return NULL;
  data = g_bytes_get_data (bytes, &len);
  entry = hb_log_entry_new_bytes (HB_LOG_OWN, 0, NULL, data, len, encoding);
  count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%zu byte sent", "%zu bytes sent", len), len);
  hb_log_entry_set_note (entry, count);
  return entry;
}
