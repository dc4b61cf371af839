/* hb-cli-analyze.c - heartbeat-lab-cli analyze: a capture file as Wireshark's packet table, phases named
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The table has Wireshark's columns and Info text, so that a student can
 * hold it next to Wireshark's window; the phase headings, the payload
 * text after Info and the note on a segment that glued the lab's
 * heartbeat or ack to other bytes or cut one (粘包, 拆包) are what
 * Wireshark does not say. With --json, one object per packet and per line
 * (see issue 5 for the members; "lab" was added by issue 11).
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "hb-capture-file.h"
#include "hb-cli-analyze.h"
#include "hb-cli-lab.h"
#include "hb-cli-output.h"
#include "hb-conversation.h"
#include "hb-packet.h"

#define ALL_CONVERSATIONS G_MAXUINT

/* json-glib writes doubles with 17 digits (0.050458000000000003); the time
 * goes in as this string, which no other member can contain since
 * control characters are always escaped, and is replaced by its µs text. */
#define TIME_PLACEHOLDER "\001time\001"
#define TIME_PLACEHOLDER_JSON "\"\\u0001time\\u0001\""

static const char *
phase_heading (HbTcpPhase phase)
{
  switch (phase)
    {
    case HB_TCP_PHASE_HANDSHAKE:
      return _("three-way handshake");
    case HB_TCP_PHASE_DATA:
      return _("data");
    case HB_TCP_PHASE_HEARTBEAT:
      return _("heartbeat");
    case HB_TCP_PHASE_TEARDOWN:
      return _("teardown");
    case HB_TCP_PHASE_UNKNOWN:
    default:
      return _("unknown");
    }
}

static double
seconds_since (gint64 start_us,
               gint64 time_us)
{
  /* In doubles: damaged files can put the two far apart. */
  return ((double) time_us - (double) start_us) / G_USEC_PER_SEC;
}

/* One line for the table: line breaks shown as ⏎. */
static char *
payload_for_table (const HbPacket *packet)
{
  g_autofree char *text = hb_packet_format_payload (packet);
  g_auto(GStrv) lines = NULL;

  if (text == NULL)
    return NULL;
  g_strdelimit (text, "\r\t", ' ');
  lines = g_strsplit (text, "\n", -1);
  return g_strjoinv (" ⏎ ", lines);
}

typedef struct
{
  int no;
  int time;
  int source;
  int destination;
  int protocol;
  int length;
} Widths;

/* Columns a terminal gives @text: a Chinese character takes two, a
 * combining mark none. printf's widths count bytes, which misaligns any
 * column holding more than ASCII (the translated headers). */
static int
display_width (const char *text)
{
  int width = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iszerowidth (c))
        continue;
      width += g_unichar_iswide (c) ? 2 : 1;
    }
  return width;
}

/* Appends @text padded with spaces to @width terminal columns, on the
 * left when @right_align; then one space between columns. */
static void
append_cell (GString    *line,
             const char *text,
             int         width,
             gboolean    right_align)
{
  int pad = MAX (0, width - display_width (text));

  if (right_align)
    {
      for (int i = 0; i < pad; i++)
        g_string_append_c (line, ' ');
      g_string_append (line, text);
    }
  else
    {
      g_string_append (line, text);
      for (int i = 0; i < pad; i++)
        g_string_append_c (line, ' ');
    }
  g_string_append_c (line, ' ');
}

static void
measure (GPtrArray *packets,
         gint64     start,
         Widths    *w)
{
  w->no = display_width (_("No."));
  w->time = display_width (_("Time"));
  w->source = display_width (_("Source"));
  w->destination = display_width (_("Destination"));
  w->protocol = MAX (8, display_width (_("Protocol")));
  w->length = display_width (_("Length"));

  for (guint i = 0; i < packets->len; i++)
    {
      const HbPacket *p = g_ptr_array_index (packets, i);
      char buf[64];

      w->no = MAX (w->no, g_snprintf (buf, sizeof buf, "%u", p->frame));
      w->time = MAX (w->time, g_snprintf (buf, sizeof buf, "%.6f", seconds_since (start, p->time_us)));
      w->source = MAX (w->source, display_width (p->src));
      w->destination = MAX (w->destination, display_width (p->dst));
      w->length = MAX (w->length, g_snprintf (buf, sizeof buf, "%u", p->origlen));
    }
}

static void
print_conversation (HbConversation *conv,
                    gint64          start)
{
  GPtrArray *packets = hb_conversation_get_packets (conv);
  g_autofree char *described = hb_conversation_describe (conv);
  HbTcpPhase phase = HB_TCP_PHASE_UNKNOWN;
  gboolean noted = FALSE;
  Widths w;

  measure (packets, start, &w);
  g_print (ngettext ("Conversation %u: %s, %u packet\n",
                     "Conversation %u: %s, %u packets\n",
                     packets->len),
           hb_conversation_get_index (conv), described, packets->len);
  if (!hb_conversation_get_saw_syn (conv))
    g_print ("%s\n", _("(the handshake was not captured: numbers count from the first packet seen)"));
  {
    g_autoptr(GString) header = g_string_new (NULL);

    append_cell (header, _("No."), w.no, TRUE);
    append_cell (header, _("Time"), w.time, FALSE);
    append_cell (header, _("Source"), w.source, FALSE);
    append_cell (header, _("Destination"), w.destination, FALSE);
    append_cell (header, _("Protocol"), w.protocol, FALSE);
    append_cell (header, _("Length"), w.length, FALSE);
    g_print ("%s%s\n", header->str, _("Info"));
  }

  for (guint i = 0; i < packets->len; i++)
    {
      const HbPacket *p = g_ptr_array_index (packets, i);
      g_autofree char *info = hb_packet_format_info (p);
      g_autofree char *text = payload_for_table (p);
      g_autofree char *lab = hb_conversation_describe_lab (conv, p, HB_ENCODING_UTF8);
      g_autoptr(GString) row = g_string_new (NULL);
      char number[64];

      if (p->phase != phase)
        {
          phase = p->phase;
          g_print ("── %s ──\n", phase_heading (phase));
        }
      g_snprintf (number, sizeof number, "%u", p->frame);
      append_cell (row, number, w.no, TRUE);
      g_snprintf (number, sizeof number, "%.6f", seconds_since (start, p->time_us));
      append_cell (row, number, w.time, FALSE);
      append_cell (row, p->src, w.source, FALSE);
      append_cell (row, p->dst, w.destination, FALSE);
      append_cell (row, "TCP", w.protocol, FALSE);
      g_snprintf (number, sizeof number, "%u", p->origlen);
      append_cell (row, number, w.length, FALSE);
      g_print ("%s%s%s%s%s%s%s%s\n", row->str, info,
               text ? "  “" : "", text ? text : "", text ? "”" : "",
               lab ? "  [" : "", lab ? lab : "", lab ? "]" : "");
      noted |= lab != NULL;
    }
  if (noted)
    g_print ("%s\n", _("[ ]: TCP keeps no message boundaries, so a segment may glue the heartbeat or its ack\n"
                        "to other bytes (粘包) or carry only a part of one (拆包). A program must keep what it\n"
                        "receives and look for them anywhere in it."));
  g_print ("\n");
}

static JsonNode *
options_node (const HbPacket *p)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  if (p->has_mss)
    hb_cli_json_add_int (b, "mss", p->mss);
  if (p->has_ws)
    {
      hb_cli_json_add_int (b, "ws", p->ws_shift);
      hb_cli_json_add_int (b, "ws_multiplier", 1 << MIN (p->ws_shift, 14));
    }
  if (p->sack_perm)
    {
      json_builder_set_member_name (b, "sack_perm");
      json_builder_add_boolean_value (b, TRUE);
    }
  if (p->n_sack > 0)
    {
      json_builder_set_member_name (b, "sack");
      json_builder_begin_array (b);
      for (guint i = 0; i < p->n_sack; i++)
        {
          json_builder_begin_array (b);
          json_builder_add_int_value (b, p->rel_sack[i].left);
          json_builder_add_int_value (b, p->rel_sack[i].right);
          json_builder_end_array (b);
        }
      json_builder_end_array (b);
    }
  if (p->has_timestamps)
    {
      hb_cli_json_add_int (b, "tsval", p->ts_val);
      hb_cli_json_add_int (b, "tsecr", p->ts_ecr);
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* What a segment held of the lab's protocol, for scripts; NULL when it
 * held neither pattern nor a part of one. */
static JsonNode *
lab_node (const HbPacket *p)
{
  g_autoptr(JsonBuilder) b = NULL;
  HbChunkInfo info;

  hb_chunk_info_unpack (p->lab_chunk, &info);
  if (info.n_patterns == 0 && !info.split && !info.held)
    return json_node_new (JSON_NODE_NULL);
  b = json_builder_new ();
  json_builder_begin_object (b);
  hb_cli_json_add_string (b, "pattern", p->lab_pattern == HB_LAB_PATTERN_ACK ? "ack"
                                        : p->lab_pattern == HB_LAB_PATTERN_HEARTBEAT ? "heartbeat" : NULL);
  hb_cli_json_add_int (b, "patterns", info.n_patterns);
  hb_cli_json_add_int (b, "messages", info.n_messages);
  json_builder_set_member_name (b, "glued");
  json_builder_add_boolean_value (b, info.glued);
  json_builder_set_member_name (b, "split");
  json_builder_add_boolean_value (b, info.split || info.held);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
print_json (JsonGenerator  *generator,
            const HbPacket *p,
            gint64          start)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GPtrArray) flags = g_ptr_array_new ();
  g_autofree char *info = hb_packet_format_info (p);
  g_autofree char *text = hb_packet_format_payload (p);
  g_autofree char *data = NULL;
  g_auto(GStrv) names = hb_packet_analysis_names (p);
  char time[G_ASCII_DTOSTR_BUF_SIZE];
  const char *at;
  gsize len = 0;

  json_builder_begin_object (b);
  hb_cli_json_add_int (b, "frame", p->frame);
  hb_cli_json_add_string (b, "time", TIME_PLACEHOLDER);
  if (p->conversation == HB_PACKET_NO_CONVERSATION)
    hb_cli_json_add_null (b, "conversation");
  else
    hb_cli_json_add_int (b, "conversation", p->conversation);
  hb_cli_json_add_string (b, "src", p->src);
  hb_cli_json_add_string (b, "dst", p->dst);
  hb_cli_json_add_int (b, "src_port", p->src_port);
  hb_cli_json_add_int (b, "dst_port", p->dst_port);
  json_builder_set_member_name (b, "flags");
  json_builder_begin_array (b);
  hb_packet_flag_names (p->flags, flags);
  for (guint i = 0; i < flags->len; i++)
    json_builder_add_string_value (b, flags->pdata[i]);
  json_builder_end_array (b);
  hb_cli_json_add_int (b, "seq", p->rel_seq);
  if (p->flags & HB_TCP_ACK)
    hb_cli_json_add_int (b, "ack", p->rel_ack);
  else
    hb_cli_json_add_null (b, "ack");
  hb_cli_json_add_int (b, "win", p->win);
  hb_cli_json_add_int (b, "len", p->payload_len);
  json_builder_set_member_name (b, "options");
  json_builder_add_value (b, options_node (p));
  hb_cli_json_add_string (b, "phase", hb_tcp_phase_to_string (p->phase));
  hb_cli_json_add_string (b, "payload", text);
  hb_cli_json_add_string (b, "info", info);
  json_builder_set_member_name (b, "lab");
  json_builder_add_value (b, lab_node (p));
  json_builder_set_member_name (b, "analysis");
  json_builder_begin_array (b);
  for (guint i = 0; names[i] != NULL; i++)
    json_builder_add_string_value (b, names[i]);
  json_builder_end_array (b);
  if (p->analysis & HB_ANALYSIS_DUP_ACK)
    {
      /* Wireshark's "Dup ACK 5#2": the ACK repeated, and the count. */
      hb_cli_json_add_int (b, "dup_ack_of", p->dup_ack_frame);
      hb_cli_json_add_int (b, "dup_ack_count", p->dup_ack_num);
    }
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (generator, root);
  data = json_generator_to_data (generator, &len);
  json_generator_set_root (generator, NULL);

  g_ascii_formatd (time, sizeof time, "%.6f", seconds_since (start, p->time_us));
  at = strstr (data, TIME_PLACEHOLDER_JSON);
  /* JSON is UTF-8 whatever the locale says, so no charset conversion. */
  if (at != NULL)
    {
      fwrite (data, 1, at - data, stdout);
      fputs (time, stdout);
      fputs (at + strlen (TIME_PLACEHOLDER_JSON), stdout);
    }
  else
    fwrite (data, 1, len, stdout);
  fputc ('\n', stdout);
}

static void
print_notes (HbCaptureFile *file,
             gboolean       json)
{
  GPtrArray *notes = hb_capture_file_get_notes (file);

  for (guint i = 0; i < notes->len; i++)
    {
      /* Translators: a remark on a frame that was skipped or looks odd. */
      if (json)
        hb_cli_error (_("note: %s"), (const char *) notes->pdata[i]);
      else
        g_print (_("note: %s\n"), (const char *) notes->pdata[i]);
    }
}

/* The heartbeat or ack given on the command line; an error names the
 * option, also where the hex digits are at fault. */
int
hb_cli_analyze (int    argc,
                char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) load_error = NULL;
  g_autoptr(HbCaptureFile) file = NULL;
  g_autofree char *conversation_text = NULL;
  g_autofree char *heartbeat_text = NULL;
  g_autofree char *heartbeat_hex = NULL;
  g_autofree char *ack_text = NULL;
  g_autofree char *ack_hex = NULL;
  g_autoptr(GBytes) heartbeat = NULL;
  g_autoptr(GBytes) ack = NULL;
  gboolean json = FALSE;
  guint chosen = ALL_CONVERSATIONS;
  GPtrArray *conversations;
  GPtrArray *packets;
  gint64 start;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      N_("One JSON object per packet, one per line"), NULL },
    { "conversation", 'c', 0, G_OPTION_ARG_STRING, &conversation_text,
      N_("Only conversation N (numbered from 0, as Wireshark's tcp.stream)"), N_("N") },
    { "heartbeat-text", 0, 0, G_OPTION_ARG_STRING, &heartbeat_text,
      N_("The lab's heartbeat, as text (default “heartbeat”)"), N_("TEXT") },
    { "heartbeat-hex", 0, 0, G_OPTION_ARG_STRING, &heartbeat_hex,
      N_("The lab's heartbeat, as hex digits"), N_("HEX") },
    { "ack-text", 0, 0, G_OPTION_ARG_STRING, &ack_text,
      N_("The answer to a heartbeat, as text (default “heartbeat ack”)"), N_("TEXT") },
    { "ack-hex", 0, 0, G_OPTION_ARG_STRING, &ack_hex,
      N_("The answer to a heartbeat, as hex digits"), N_("HEX") },
    { NULL }
  };

  g_set_prgname (HB_CLI_NAME " analyze");
  context = g_option_context_new (_("FILE"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
    _("Prints the TCP segments of a pcap or pcapng file as Wireshark's packet table\n"
      "(relative sequence numbers, scaled windows, the same Info text), with the\n"
      "phases of each conversation named: handshake, data, heartbeat, teardown.\n"
      "Heartbeats are this project's PING/PONG lines and the lab's own heartbeat\n"
      "and ack (“heartbeat”, “heartbeat ack” unless given): a segment that holds\n"
      "nothing else. One that glues them to other bytes, or holds a part of one,\n"
      "is data, with a note saying what it held."));
  g_option_context_set_description (context,
    _("Reads Ethernet, Linux cooked (SLL, SLL2), BSD/Windows loopback (NULL, LOOP)\n"
      "and raw IP captures, IPv4 and IPv6. Frames that cannot be read are skipped\n"
      "with a note.\n"
      "\n"
      "Exit status: 0 when the file was read; 1 when it cannot be read or is damaged\n"
      "(what could be read is still printed); 2 for wrong usage."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    return hb_cli_usage_error ("analyze", error->message);
  if (argc < 2)
    return hb_cli_usage_error ("analyze", _("missing capture FILE"));
  if (argc > 2)
    {
      g_autofree char *message = g_strdup_printf (_("unexpected argument “%s”"), argv[2]);

      return hb_cli_usage_error ("analyze", message);
    }
  if (!hb_cli_parse_uint ("--conversation", conversation_text, 0, G_MAXUINT - 1, &chosen, &error))
    return hb_cli_usage_error ("analyze", error->message);
  heartbeat = hb_cli_parse_pattern (heartbeat_text, heartbeat_hex, HB_LAB_DEFAULT_HEARTBEAT,
                              "--heartbeat-text", "--heartbeat-hex", &error);
  if (heartbeat == NULL)
    return hb_cli_usage_error ("analyze", error->message);
  ack = hb_cli_parse_pattern (ack_text, ack_hex, HB_LAB_DEFAULT_ACK, "--ack-text", "--ack-hex", &error);
  if (ack == NULL)
    return hb_cli_usage_error ("analyze", error->message);

  file = hb_capture_file_new ();
  hb_capture_file_set_lab_patterns (file, heartbeat, ack);
  if (!hb_capture_file_load (file, argv[1], &load_error) &&
      !g_error_matches (load_error, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_TRUNCATED))
    {
      hb_cli_error ("%s", load_error->message);
      return HB_CLI_EXIT_FAILURE;
    }

  conversations = hb_capture_file_get_conversations (file);
  packets = hb_capture_file_get_packets (file);
  start = hb_capture_file_get_start_time (file);

  if (chosen != ALL_CONVERSATIONS && chosen >= conversations->len)
    {
      g_autofree char *message = NULL;

      message = g_strdup_printf (ngettext ("there is no conversation %u: the file has %u (numbered from 0)",
                                           "there is no conversation %u: the file has %u (numbered from 0)",
                                           conversations->len),
                                 chosen, conversations->len);
      return hb_cli_usage_error ("analyze", message);
    }

  if (json)
    {
      g_autoptr(JsonGenerator) generator = json_generator_new ();

      for (guint i = 0; i < packets->len; i++)
        {
          const HbPacket *p = g_ptr_array_index (packets, i);

          if (chosen == ALL_CONVERSATIONS || p->conversation == chosen)
            print_json (generator, p, start);
        }
      fflush (stdout);
    }
  else
    {
      for (guint c = 0; c < conversations->len; c++)
        if (chosen == ALL_CONVERSATIONS || c == chosen)
          print_conversation (g_ptr_array_index (conversations, c), start);
      if (packets->len == 0)
        g_print (_("No TCP segments in %s.\n"), argv[1]);
      g_print (ngettext ("%u frame read", "%u frames read", hb_capture_file_get_n_frames (file)),
               hb_capture_file_get_n_frames (file));
      g_print (ngettext (", %u TCP conversation", ", %u TCP conversations", conversations->len),
               conversations->len);
      {
        guint n_cut = 0;

        /* Cut by the snapshot before their numbers: in no conversation. */
        for (guint i = 0; i < packets->len; i++)
          n_cut += ((const HbPacket *) packets->pdata[i])->cut == HB_PACKET_CUT_PORTS;
        if (n_cut > 0)
          g_print (ngettext (", %u TCP segment cut before its sequence number",
                             ", %u TCP segments cut before their sequence numbers", n_cut),
                   n_cut);
      }
      if (hb_capture_file_get_n_not_tcp (file) > 0)
        g_print (ngettext (", %u frame not TCP", ", %u frames not TCP", hb_capture_file_get_n_not_tcp (file)),
                 hb_capture_file_get_n_not_tcp (file));
      /* Translators: ends the summary line "18 frames read, 2 TCP conversations". */
      g_print ("%s\n", C_("summary end", "."));
    }
  print_notes (file, json);

  if (load_error != NULL)
    {
      hb_cli_error ("%s", load_error->message);
      return HB_CLI_EXIT_FAILURE;
    }
  return HB_CLI_EXIT_OK;
}
