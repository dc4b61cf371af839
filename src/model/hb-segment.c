/* hb-segment.c - one arrow of a ladder diagram: a TCP segment or a protocol line
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "hb-segment-private.h"


G_DEFINE_FINAL_TYPE (HbSegment, hb_segment, G_TYPE_OBJECT)

/* What a marked arrow shows: something went wrong on the way, or one side
 * could not keep up. Keep-alives and window updates are TCP at work. */
#define HB_SEGMENT_ALARMS (HB_ANALYSIS_ANY_RETRANSMISSION | HB_ANALYSIS_OUT_OF_ORDER | \
                           HB_ANALYSIS_LOST_SEGMENT | HB_ANALYSIS_ACKED_UNSEEN | HB_ANALYSIS_DUP_ACK | \
                           HB_ANALYSIS_ZERO_WINDOW | HB_ANALYSIS_ZERO_WINDOW_PROBE | \
                           HB_ANALYSIS_ZERO_WINDOW_PROBE_ACK | HB_ANALYSIS_WINDOW_FULL | \
                           HB_ANALYSIS_REUSED_PORTS)

static void
hb_segment_finalize (GObject *object)
{
  HbSegment *self = HB_SEGMENT (object);

  g_free (self->label);
  g_free (self->head);
  g_free (self->tail);
  g_free (self->info);
  g_free (self->source);
  g_free (self->destination);
  g_clear_pointer (&self->packet, hb_packet_unref);
  G_OBJECT_CLASS (hb_segment_parent_class)->finalize (object);
}

static void
hb_segment_class_init (HbSegmentClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hb_segment_finalize;
}

static void
hb_segment_init (HbSegment *self)
{
}

HbSegment *
hb_segment_new (gint64      time_us,
                gboolean    from_client,
                HbTcpPhase  phase,
                const char *label)
{
  HbSegment *self = g_object_new (HB_TYPE_SEGMENT, NULL);

  self->time_us = time_us;
  self->from_client = from_client;
  self->phase = phase;
  self->label = g_strdup (label ? label : "");
  self->info = g_strdup (self->label);
  self->protocol = "TCP";
  return self;
}

/* A packet's texts are made when first asked for: a capture file may
 * give hundreds of thousands of segments, of which a window shows a few
 * dozen at a time. */
static void
ensure_packet_text (HbSegment *self)
{
  HbPacket *packet = self->packet;
  g_autofree char *flags = NULL;
  g_autofree char *payload = NULL;
  GString *label;

  if (packet == NULL || self->label != NULL)
    return;
  flags = hb_packet_format_flags (packet->flags);
  payload = hb_packet_format_payload (packet);
  label = g_string_new (flags);
  {
    /* Wireshark's labels, as its Info column says them but for "TCP ". */
    g_auto(GStrv) labels = hb_packet_analysis_labels (packet);
    GString *prefix = g_string_new (NULL);

    for (guint i = 0; labels[i] != NULL; i++)
      g_string_append_printf (prefix, "[%s] ", g_str_has_prefix (labels[i], "TCP ") ? labels[i] + 4 : labels[i]);
    g_string_prepend (label, prefix->str);
    g_string_free (prefix, TRUE);
  }
  self->head = g_strdup (label->str);
  if (packet->payload_len > 0)
    g_string_append_printf (label, " Len=%u", packet->payload_len);
  if (payload != NULL)
    {
      /* A burst of lines in one segment: the first, and how many more. */
      const char *nl = strchr (payload, '\n');
      const char *end = nl ? nl : payload + strlen (payload);
      guint more = 0;

      for (const char *p = nl; p != NULL; p = strchr (p + 1, '\n'))
        more++;
      /* A long line shortened, at a character boundary. */
      if (g_utf8_strlen (payload, end - payload) > 48)
        g_string_append_printf (label, "  %.*s…", (int) (g_utf8_offset_to_pointer (payload, 47) - payload), payload);
      else
        g_string_append_printf (label, "  %.*s", (int) (end - payload), payload);
      if (more > 0)
        g_string_append_printf (label, " (+%u)", more);
    }
  self->tail = g_strdup (label->str + strlen (self->head) +
                         (packet->payload_len > 0 ? strlen (" Len=") + g_snprintf (NULL, 0, "%u", packet->payload_len) : 0));
  self->label = g_string_free (label, FALSE);
  self->info = hb_packet_format_info (packet);
}

HbSegment *
hb_segment_new_from_packet (HbPacket *packet,
                            gint64    origin_us,
                            gboolean  from_client)
{
  HbSegment *self = g_object_new (HB_TYPE_SEGMENT, NULL);

  self->packet = hb_packet_ref (packet);
  self->time_us = packet->time_us - origin_us;
  self->from_client = from_client;
  self->phase = packet->phase;
  self->length = packet->origlen;
  self->protocol = "TCP";
  self->alarm = (packet->flags & HB_TCP_RST) || (packet->analysis & HB_SEGMENT_ALARMS);
  return self;
}

HbSegment *
hb_segment_new_note (gint64      time_us,
                     gboolean    on_client,
                     HbTcpPhase  phase,
                     const char *label,
                     const char *info)
{
  HbSegment *self = hb_segment_new (time_us, on_client, phase, label);

  self->note = TRUE;
  self->protocol = "Kernel";
  g_free (self->info);
  self->info = g_strdup (info);
  return self;
}

gboolean hb_segment_is_note (HbSegment *self) { return self->note; }
gboolean hb_segment_get_inferred (HbSegment *self) { return self->inferred; }

gboolean
hb_segment_get_read (HbSegment   *self,
                     HbChunkInfo *info)
{
  if (info != NULL)
    hb_chunk_info_unpack (self->read ? self->chunk : 0, info);
  return self->read;
}

gint64 hb_segment_get_time (HbSegment *self) { return self->time_us; }
gboolean hb_segment_get_from_client (HbSegment *self) { return self->from_client; }
HbTcpPhase hb_segment_get_phase (HbSegment *self) { return self->phase; }

const char *
hb_segment_get_label (HbSegment *self)
{
  ensure_packet_text (self);
  return self->label;
}

const char *
hb_segment_get_info (HbSegment *self)
{
  ensure_packet_text (self);
  return self->info;
}

/* A packet's own addresses unless set apart. */
const char *
hb_segment_get_source (HbSegment *self)
{
  if (self->source == NULL && self->packet != NULL)
    return self->packet->src;
  return self->source ? self->source : "";
}

const char *
hb_segment_get_destination (HbSegment *self)
{
  if (self->destination == NULL && self->packet != NULL)
    return self->packet->dst;
  return self->destination ? self->destination : "";
}

const char *hb_segment_get_protocol (HbSegment *self) { return self->protocol; }
guint hb_segment_get_length (HbSegment *self) { return self->length; }
HbPacket *hb_segment_get_packet (HbSegment *self) { return self->packet; }
void hb_segment_set_alarm (HbSegment *self, gboolean alarm) { self->alarm = alarm; }
gboolean hb_segment_get_alarm (HbSegment *self) { return self->alarm; }

/* Whether the program read it late enough to say so: beyond what a busy
 * main loop costs anyway. */
#define NOTICEABLE_US (50 * 1000)

gint64
hb_segment_get_read_late (HbSegment *self)
{
  return self->reader != HB_SEGMENT_READER_NONE && self->arrival_known ? self->waited_us : -1;
}

char *
hb_segment_describe_arrival (HbSegment *self,
                             gboolean   noticeable_only)
{
  gboolean client = self->reader == HB_SEGMENT_READER_CLIENT;
  double late = self->waited_us / 1e6;

  if (self->reader == HB_SEGMENT_READER_NONE)
    return NULL;
  if (!self->arrival_known)
    {
      if (noticeable_only)
        return NULL;
      return g_strdup (client ? _("Drawn when this client window read it: when it arrived is not known.")
                              : _("Drawn when the server read it: the server does not ask the kernel when "
                                  "what it reads arrived."));
    }
  if (self->waited_us <= NOTICEABLE_US)
    return NULL;
  if (self->kind == HB_EVENT_FIN_IN)
    return g_strdup_printf (_("The kernel does not time-stamp a FIN. This one came after the data this window "
                              "read with it, which had arrived %.1f s before this window read them; it is drawn "
                              "with that data, the earliest it can have come (reading was switched off, or the "
                              "program was busy)."),
                            late);
  return g_strdup_printf (_("Arrived %.1f s before this window read it (reading was switched off, or the program "
                            "was busy): drawn when it arrived, as the kernel stamped it. Bytes that wait "
                            "together keep the arrival time of the last of them, so it may have come even "
                            "earlier."),
                          late);
}

void
hb_segment_set_endpoints (HbSegment  *self,
                          const char *source,
                          const char *destination)
{
  g_free (self->source);
  g_free (self->destination);
  self->source = g_strdup (source);
  self->destination = g_strdup (destination);
}

static const char * const numbers_names[] = { "off", "symbolic", "relative", "absolute" };

HbLadderNumbers
hb_ladder_numbers_from_string (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (numbers_names); i++)
    if (g_strcmp0 (name, numbers_names[i]) == 0)
      return (HbLadderNumbers) i;
  return HB_LADDER_NUMBERS_OFF;
}

const char *
hb_ladder_numbers_to_string (HbLadderNumbers numbers)
{
  return numbers_names[MIN ((guint) numbers, G_N_ELEMENTS (numbers_names) - 1)];
}

/* "x", "x+1", "y+12": an offset from an initial sequence number. */
static void
append_symbol (GString    *s,
               const char *name,
               char        isn,
               guint32     offset)
{
  if (offset == 0)
    g_string_append_printf (s, " %s=%c", name, isn);
  else
    g_string_append_printf (s, " %s=%c+%u", name, isn, offset);
}

char *
hb_segment_format_numbered (HbSegment       *self,
                            HbLadderNumbers  numbers)
{
  const HbPacket *p = self->packet;
  GString *s;

  g_return_val_if_fail (HB_IS_SEGMENT (self), NULL);

  ensure_packet_text (self);
  if (p == NULL || self->head == NULL || numbers == HB_LADDER_NUMBERS_OFF || p->cut == HB_PACKET_CUT_PORTS)
    return g_strdup (self->label);

  s = g_string_new (self->head);
  switch (numbers)
    {
    case HB_LADDER_NUMBERS_SYMBOLIC:
      /* Relative numbers count from the ISNs: seq=x+1 is relative 1. The
       * sender's own ISN names its seq, the peer's its ack. */
      append_symbol (s, "seq", self->from_client ? 'x' : 'y', p->rel_seq);
      if (p->flags & HB_TCP_ACK)
        append_symbol (s, "ack", self->from_client ? 'y' : 'x', p->rel_ack);
      if (p->payload_len > 0)
        g_string_append_printf (s, " len=%u", p->payload_len);
      break;
    case HB_LADDER_NUMBERS_RELATIVE:
    case HB_LADDER_NUMBERS_ABSOLUTE:
    default:
      {
        gboolean rel = numbers == HB_LADDER_NUMBERS_RELATIVE;

        g_string_append_printf (s, " seq=%u", rel ? p->rel_seq : p->seq);
        if (p->flags & HB_TCP_ACK)
          g_string_append_printf (s, " ack=%u", rel ? p->rel_ack : p->ack);
        g_string_append_printf (s, " len=%u win=%u", p->payload_len, p->win);
      }
      break;
    }
  g_string_append (s, self->tail);
  return g_string_free (s, FALSE);
}
