/* hb-cli-lab.c - the lab's protocol and raw TCP in heartbeat-lab-cli: the options server and client share, and each read shown
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * In the lab's protocol and in raw TCP there is no framing: what a peer
 * sends arrives in reads that TCP cuts and glues as it likes. Each read is
 * shown as it came, with what it held (acks or heartbeats, messages, one
 * glued to another or split across reads), so that a class sees why its
 * programs must not expect one recv() per send(). A peer may send
 * anything, 100 MiB of binary included: of a read only a bounded prefix is
 * kept, and bytes reach the terminal only escaped.
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "hb-cli-lab.h"

void
hb_cli_lab_add_options (HbCliLab       *lab,
                        GOptionContext *context)
{
  const GOptionEntry entries[] = {
    { "protocol", 0, 0, G_OPTION_ARG_STRING, &lab->protocol_arg,
      N_("heartbeat-lab (this project's line protocol, the default), lab (the assignment's: "
         "the bytes “heartbeat” and “heartbeat ack”, no framing) or raw (plain TCP, no heartbeat)"),
      N_("NAME") },
    { "heartbeat-text", 0, 0, G_OPTION_ARG_STRING, &lab->heartbeat_text,
      N_("In lab: the heartbeat the server sends (default “heartbeat”)"), N_("TEXT") },
    { "heartbeat-hex", 0, 0, G_OPTION_ARG_STRING, &lab->heartbeat_hex,
      N_("In lab: the heartbeat as hex bytes (68 62 or 6862)"), N_("HEX") },
    { "ack-text", 0, 0, G_OPTION_ARG_STRING, &lab->ack_text,
      N_("In lab: the client's answer to a heartbeat (default “heartbeat ack”)"), N_("TEXT") },
    { "ack-hex", 0, 0, G_OPTION_ARG_STRING, &lab->ack_hex,
      N_("In lab: the answer as hex bytes"), N_("HEX") },
    { "line-ending", 0, 0, G_OPTION_ARG_STRING, &lab->line_ending_arg,
      N_("In lab and raw: none, lf or crlf, put after each line typed (default none, as in the lab)"),
      N_("END") },
    { "encoding", 0, 0, G_OPTION_ARG_STRING, &lab->encoding_arg,
      N_("In lab and raw: utf-8 or gb18030 (as programs on a Chinese Windows send), "
         "of the text typed and shown (default utf-8)"),
      N_("NAME") },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
}

/* One heartbeat or ack option pair, checked with hb_lab_pattern_new():
 * every command that takes them (server, client, the checkers, analyze)
 * refuses the same mistakes in the same words, naming the option. */
GBytes *
hb_cli_parse_pattern (const char  *text,
                      const char  *hex,
                      const char  *fallback,
                      const char  *text_option,
                      const char  *hex_option,
                      GError     **error)
{
  const char *option = hex != NULL ? hex_option : text_option;
  g_autoptr(GError) local_error = NULL;
  GBytes *bytes;

  if (text != NULL && hex != NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("%s and %s are both given: choose one"), text_option, hex_option);
      return NULL;
    }
  bytes = hb_lab_pattern_new (text, hex, fallback, option, &local_error);
  if (bytes != NULL)
    return bytes;
  /* Bad hex digits are reported without the option; the rest name it. */
  if (!g_str_has_prefix (local_error->message, option))
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, _("%s: %s"), option, local_error->message);
  else
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, local_error->message);
  return NULL;
}

gboolean
hb_cli_lab_parse (HbCliLab  *lab,
                  GError   **error)
{
  lab->protocol = HB_PROTOCOL_LINE;
  lab->line_ending = HB_LINE_ENDING_NONE;
  lab->encoding = HB_ENCODING_UTF8;

  if (lab->protocol_arg != NULL && !hb_protocol_from_string (lab->protocol_arg, &lab->protocol))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--protocol: “%s” is not heartbeat-lab, lab or raw"), lab->protocol_arg);
      return FALSE;
    }
  if (lab->line_ending_arg != NULL && !hb_line_ending_from_string (lab->line_ending_arg, &lab->line_ending))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--line-ending: “%s” is not none, lf or crlf"), lab->line_ending_arg);
      return FALSE;
    }
  if (lab->encoding_arg != NULL && !hb_encoding_from_string (lab->encoding_arg, &lab->encoding))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--encoding: “%s” is not utf-8 or gb18030"), lab->encoding_arg);
      return FALSE;
    }

  /* Checked whatever the protocol: an empty heartbeat is a mistake even
   * where it would be ignored. */
  g_clear_pointer (&lab->heartbeat, g_bytes_unref);
  g_clear_pointer (&lab->ack, g_bytes_unref);
  lab->heartbeat = hb_cli_parse_pattern (lab->heartbeat_text, lab->heartbeat_hex, HB_LAB_DEFAULT_HEARTBEAT,
                                         "--heartbeat-text", "--heartbeat-hex", error);
  if (lab->heartbeat == NULL)
    return FALSE;
  lab->ack = hb_cli_parse_pattern (lab->ack_text, lab->ack_hex, HB_LAB_DEFAULT_ACK,
                                   "--ack-text", "--ack-hex", error);
  return lab->ack != NULL;
}

void
hb_cli_warn_no_effect (const char *option,
                       HbProtocol  protocol)
{
  /* Translators: "--relay has no effect with --protocol lab" */
  hb_cli_error (_("warning: %s has no effect with --protocol %s"), option, hb_protocol_to_string (protocol));
}

void
hb_cli_lab_warn_unused (HbCliLab *lab)
{
  /* Ignored, not refused: a script or an alias may pass the same lab
   * settings whatever protocol it asks for. */
  if (lab->protocol != HB_PROTOCOL_LAB)
    {
      if (lab->heartbeat_text != NULL)
        hb_cli_warn_no_effect ("--heartbeat-text", lab->protocol);
      if (lab->heartbeat_hex != NULL)
        hb_cli_warn_no_effect ("--heartbeat-hex", lab->protocol);
      if (lab->ack_text != NULL)
        hb_cli_warn_no_effect ("--ack-text", lab->protocol);
      if (lab->ack_hex != NULL)
        hb_cli_warn_no_effect ("--ack-hex", lab->protocol);
    }
  if (lab->protocol == HB_PROTOCOL_LINE)
    {
      /* The line protocol is UTF-8 ended by LF, by definition. */
      if (lab->line_ending_arg != NULL)
        hb_cli_warn_no_effect ("--line-ending", lab->protocol);
      if (lab->encoding_arg != NULL)
        hb_cli_warn_no_effect ("--encoding", lab->protocol);
    }
}

void
hb_cli_lab_apply (HbCliLab *lab,
                  gpointer  server_or_client)
{
  g_object_set (server_or_client,
                "protocol", lab->protocol,
                "heartbeat", lab->heartbeat,
                "ack", lab->ack,
                "line-ending", lab->line_ending,
                "encoding", lab->encoding,
                NULL);
}

void
hb_cli_lab_clear (HbCliLab *lab)
{
  g_clear_pointer (&lab->protocol_arg, g_free);
  g_clear_pointer (&lab->heartbeat_text, g_free);
  g_clear_pointer (&lab->heartbeat_hex, g_free);
  g_clear_pointer (&lab->ack_text, g_free);
  g_clear_pointer (&lab->ack_hex, g_free);
  g_clear_pointer (&lab->line_ending_arg, g_free);
  g_clear_pointer (&lab->encoding_arg, g_free);
  g_clear_pointer (&lab->heartbeat, g_bytes_unref);
  g_clear_pointer (&lab->ack, g_bytes_unref);
}

char *
hb_cli_lab_quote (HbCliLab *lab,
                  GBytes   *bytes)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  g_autofree char *text = hb_bytes_to_display (data, len, lab->encoding, HB_LAB_MAX_PATTERN, NULL);

  return g_strdup_printf ("“%s”", text);
}

/* ---------------------------------------------------------------------- */
/* One read                                                                */

/* Where to cut @data for showing at most @max bytes of it: not inside a
 * character, when it is text. */
static gsize
cut_point (const guint8 *data,
           gsize         len,
           HbEncoding    encoding,
           gsize         max)
{
  gsize n = MIN (len, max);

  if (n == len)
    return n;

  if (encoding == HB_ENCODING_UTF8)
    {
      gsize k = n;

      /* Back to the lead byte of a sequence that n cuts. */
      while (k > 0 && n - k < 3 && (data[k] & 0xc0) == 0x80)
        k--;
      return k < n && (data[k] & 0xc0) == 0xc0 ? k : n;
    }
  else
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *text = NULL;
      gsize read = 0;

      /* GB18030's characters are 1, 2 or 4 bytes: only decoding from the
       * start tells where the last one begins. */
      text = g_convert ((const char *) data, n, "UTF-8", "GB18030", &read, NULL, &error);
      if (text == NULL && g_error_matches (error, G_CONVERT_ERROR, G_CONVERT_ERROR_PARTIAL_INPUT) && read > 0)
        return read;
      return n;
    }
}

/* @data decoded, when it is text: it decodes in @encoding, whole, and
 * holds no control character but tab, CR and LF. NULL when it is not. */
static char *
as_text (const guint8 *data,
         gsize         len,
         HbEncoding    encoding)
{
  g_autofree char *text = NULL;
  gsize text_len = 0;

  if (encoding == HB_ENCODING_GB18030)
    {
      text = g_convert ((const char *) data, len, "UTF-8", "GB18030", NULL, &text_len, NULL);
      if (text == NULL || memchr (text, '\0', text_len) != NULL)
        return NULL;
    }
  else
    {
      /* Fails on a NUL byte, too. */
      if (!g_utf8_validate_len ((const char *) data, len, NULL))
        return NULL;
      text = g_strndup ((const char *) data, len);
    }

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f || (c >= 0x80 && c < 0xa0))
        return NULL;
    }
  return g_steal_pointer (&text);
}

static void
emit_data_event (HbCliLab          *lab,
                 HbCliOutput       *out,
                 gboolean           server,
                 guint              id,
                 const guint8      *data,
                 gsize              len,
                 const HbChunkInfo *info)
{
  JsonBuilder *b = hb_cli_output_begin (out, "data");
  gsize shown = cut_point (data, len, lab->encoding, HB_CHUNK_SHOW_MAX);
  g_autofree char *text = as_text (data, shown, lab->encoding);

  if (server)
    hb_cli_json_add_int (b, "id", id);
  hb_cli_json_add_int (b, "bytes", (gint64) len);
  if (text != NULL)
    {
      hb_cli_json_add_string (b, "text", text);
    }
  else
    {
      g_autofree char *hex = NULL;

      shown = MIN (len, HB_CHUNK_SHOW_MAX);
      hex = hb_bytes_to_hex (data, len, shown);
      hb_cli_json_add_string (b, "hex", hex);
    }
  hb_cli_json_add_int (b, "more", (gint64) (len - shown));

  /* Raw TCP looks for nothing in the stream: these would all be zero. */
  if (lab->protocol == HB_PROTOCOL_LAB)
    {
      hb_cli_json_add_int (b, server ? "acks" : "heartbeats", info->n_patterns);
      hb_cli_json_add_int (b, "messages", info->n_messages);
      hb_cli_json_add_boolean (b, "glued", info->glued);
      hb_cli_json_add_boolean (b, "split", info->split);
      hb_cli_json_add_boolean (b, "held", info->held);
    }
  hb_cli_output_emit (out, b);
}

/* What a read held, for a person: why TCP's reads are not messages. */
static char *
describe_chunk (HbCliLab          *lab,
                gboolean           server,
                const HbChunkInfo *info)
{
  g_autoptr(GString) note = g_string_new (NULL);
  guint n = info->n_patterns + info->n_messages;

  if (lab->protocol != HB_PROTOCOL_LAB)
    return NULL;

  if (info->glued && info->split)
    g_string_append_printf (note,
                            g_dngettext (GETTEXT_PACKAGE,
                                         "%u message in one read, and one split across reads: "
                                         "TCP keeps no message boundaries",
                                         "%u messages in one read, and one split across reads: "
                                         "TCP keeps no message boundaries", n),
                            n);
  else if (info->glued)
    g_string_append_printf (note,
                            g_dngettext (GETTEXT_PACKAGE,
                                         "%u message in one read: TCP keeps no message boundaries",
                                         "%u messages in one read: TCP keeps no message boundaries", n),
                            n);
  else if (info->split)
    g_string_append (note, _("a message split across reads: TCP keeps no message boundaries"));

  if (info->held)
    {
      g_autofree char *pattern = hb_cli_lab_quote (lab, server ? lab->ack : lab->heartbeat);

      if (note->len > 0)
        g_string_append (note, "; ");
      /* Translators: %s is the quoted ack or heartbeat, “heartbeat ack” */
      g_string_append_printf (note, _("its end may begin %s, so it waits for the next read"), pattern);
    }

  return note->len > 0 ? g_string_free (g_steal_pointer (&note), FALSE) : NULL;
}

static void
print_read (HbCliLab          *lab,
            HbCliOutput       *out,
            gboolean           server,
            guint              id,
            const char        *from,
            const guint8      *data,
            gsize              len,
            const HbChunkInfo *info)
{
  gsize shown = cut_point (data, len, lab->encoding, HB_CLI_READ_LINE_MAX);
  g_autofree char *text = hb_bytes_to_display (data, shown, lab->encoding, shown, NULL);
  g_autofree char *note = describe_chunk (lab, server, info);
  g_autofree char *more = NULL;
  g_autofree char *read = NULL;
  g_autofree char *line = NULL;

  /* One read is far below 4 GiB: a guint. */
  read = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "read %u byte from %s", "read %u bytes from %s", len),
                          (guint) len, from);
  if (shown < len)
    /* Translators: after a text cut short: “abc…” (65000 more bytes) */
    more = g_strdup_printf (_("… (%u more bytes)"), (guint) (len - shown));
  line = g_strdup_printf ("%s: “%s”%s", read, text, more != NULL ? more : "");

  if (server && note != NULL)
    hb_cli_output_print (out, "[%u] %s — %s", id, line, note);
  else if (server)
    hb_cli_output_print (out, "[%u] %s", id, line);
  else if (note != NULL)
    hb_cli_output_print (out, "%s — %s", line, note);
  else
    hb_cli_output_print (out, "%s", line);
}

void
hb_cli_lab_show_read (HbCliLab          *lab,
                      HbCliOutput       *out,
                      gboolean           server,
                      guint              id,
                      const char        *from,
                      GBytes            *bytes,
                      const HbChunkInfo *info)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  if (hb_cli_output_is_json (out))
    emit_data_event (lab, out, server, id, data, len, info);
  else
    print_read (lab, out, server, id, from, data, len, info);
}
