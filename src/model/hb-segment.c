/* hb-segment.c - one arrow of a ladder diagram: a TCP segment or a protocol line
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "hb-segment.h"

struct _HbSegment
{
  GObject     parent_instance;
  gint64      time_us;
  gboolean    from_client;
  gboolean    alarm;
  gboolean    note;
  gboolean    inferred;   /* drawn as the textbook does, not seen (no capture) */
  gboolean    read;       /* one read of an unframed stream: chunk says what it held */
  guint32     chunk;      /* packed HbChunkInfo */
  guint8      reader;     /* HbSegmentReader: read by the record's own program */
  guint8      kind;       /* the HbEventKind it comes from, when read */
  gboolean    arrival_known;
  gint64      waited_us;  /* how long before it was read it had arrived */
  HbTcpPhase  phase;
  guint       length;
  const char *protocol;   /* static */
  char       *label;
  char       *head;       /* the label's analysis prefixes and flags */
  char       *tail;       /* and what follows the length: the payload */
  char       *info;
  char       *source;
  char       *destination;
  HbPacket   *packet;
};

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

void
hb_segments_append (GListStore *store,
                    HbSegment  *segment)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (store));

  if (n >= HB_SEGMENTS_MAX)
    g_list_store_splice (store, 0, HB_SEGMENTS_MAX / 10, NULL, 0);
  g_list_store_append (store, segment);
}

/* ---------------------------------------------------------------------- */
/* From the application's timeline                                        */

typedef struct
{
  GListStore *store;
  gboolean    client_side;
  gint64      origin;      /* mono µs of the first event */
  gboolean    closing;     /* a FIN or close has been seen */
  gboolean    connected;   /* this connection's CONNECT has been seen */
  gboolean    ended;       /* a later connection began: nothing more */
  int         first_fin;   /* who sent the first FIN: 0 none yet, 1 the client, 2 the server */
  char       *client_label;
  char       *server_label;
  HbTimeline *timeline;
  gulong      handler;
  /* The lab's patterns as shown, from the timeline at the connection's
   * start. */
  HbProtocol  protocol;
  char       *heartbeat;
  char       *ack;
} Follow;

/* When @ev happened on this program's side of the wire: what it read,
 * when it arrived if the kernel said so; everything else when recorded. */
static gint64
event_time (Follow                *f,
            const HbTimelineEvent *ev)
{
  gboolean read = ev->kind == HB_EVENT_LINE_IN || ev->kind == HB_EVENT_DATA_IN || ev->kind == HB_EVENT_FIN_IN;
  gint64 t = ev->mono_us - (read && ev->arrival_known ? (gint64) ev->waited_us : 0);

  return MAX (t - f->origin, 0);
}

static HbSegment *
follow_segment (Follow                *f,
                const HbTimelineEvent *ev,
                gboolean               from_client,
                HbTcpPhase             phase,
                const char            *label)
{
  HbSegment *seg = hb_segment_new (event_time (f, ev), from_client, phase, label);

  hb_segment_set_endpoints (seg, from_client ? f->client_label : f->server_label,
                            from_client ? f->server_label : f->client_label);
  if (ev->kind == HB_EVENT_LINE_IN || ev->kind == HB_EVENT_DATA_IN || ev->kind == HB_EVENT_FIN_IN)
    {
      seg->reader = f->client_side ? HB_SEGMENT_READER_CLIENT : HB_SEGMENT_READER_SERVER;
      seg->kind = ev->kind;
      seg->arrival_known = ev->arrival_known;
      seg->waited_us = ev->waited_us;
    }
  return seg;
}

/* Appends @seg in time order: what was read late but arrived early goes
 * before what this program did meanwhile (its answers to it, say). */
static void
follow_insert (Follow    *f,
               HbSegment *seg)
{
  GListModel *model = G_LIST_MODEL (f->store);
  guint n = g_list_model_get_n_items (model);
  guint pos = n;

  while (pos > 0)
    {
      g_autoptr(HbSegment) before = g_list_model_get_item (model, pos - 1);

      if (before->time_us <= seg->time_us)
        break;
      pos--;
    }
  if (pos == n)
    hb_segments_append (f->store, seg);
  else
    g_list_store_insert (f->store, pos, seg);
}

/* A segment the record only implies: said so in the table's Info too. */
static void
mark_inferred (HbSegment *seg)
{
  seg->inferred = TRUE;
  g_free (seg->info);
  /* Translators: the Info of a row drawn without a capture, as the
   * textbook does: "SYN, ACK (inferred)". */
  seg->info = g_strdup_printf (_("%s (inferred)"), seg->label);
}

/* The connection's protocol and patterns: a client's record may change
 * them when it connects again. */
static void
follow_protocol (Follow *f)
{
  HbEncoding encoding = hb_timeline_get_encoding (f->timeline);
  GBytes *heartbeat = hb_timeline_get_heartbeat (f->timeline);
  GBytes *ack = hb_timeline_get_ack (f->timeline);
  gsize len;
  const guint8 *data;

  f->protocol = hb_timeline_get_protocol (f->timeline);
  g_free (f->heartbeat);
  g_free (f->ack);
  if (heartbeat != NULL)
    {
      data = g_bytes_get_data (heartbeat, &len);
      f->heartbeat = hb_bytes_to_display (data, len, encoding, HB_LAB_MAX_PATTERN, NULL);
    }
  else
    f->heartbeat = g_strdup (HB_LAB_DEFAULT_HEARTBEAT);
  if (ack != NULL)
    {
      data = g_bytes_get_data (ack, &len);
      f->ack = hb_bytes_to_display (data, len, encoding, HB_LAB_MAX_PATTERN, NULL);
    }
  else
    f->ack = g_strdup (HB_LAB_DEFAULT_ACK);
}

static char *
bytes_text (guint32 bytes)
{
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u byte", "%u bytes", bytes), bytes);
}

/* What this program wrote, in the lab's words or raw TCP's. */
static char *
written_label (Follow                *f,
               const HbTimelineEvent *ev)
{
  g_autofree char *size = bytes_text (ev->bytes);

  if (f->protocol == HB_PROTOCOL_LAB && ev->verb == HB_VERB_PING)
    return g_strdup (f->heartbeat);
  if (f->protocol == HB_PROTOCOL_LAB && ev->verb == HB_VERB_PONG)
    return g_strdup (f->ack);
  if (f->protocol == HB_PROTOCOL_LAB && ev->verb == HB_VERB_MSG)
    /* Translators: what the ladder calls a message written in the lab's
     * protocol: "message, 3 bytes". */
    return g_strdup_printf (_("message, %s"), size);
  if (ev->verb == HB_VERB_BCAST)
    /* Translators: "broadcast, 3 bytes". */
    return g_strdup_printf (_("broadcast, %s"), size);
  return g_steal_pointer (&size);
}

/* A write (@ev LINE_OUT) or a read (DATA_IN) of the lab's protocol or
 * raw TCP, where the timeline records chunks of bytes, not lines. */
static HbSegment *
chunk_segment (Follow                *f,
               const HbTimelineEvent *ev,
               gboolean               from_client)
{
  g_autofree char *label = NULL;
  HbSegment *seg;
  HbTcpPhase phase;

  if (ev->kind == HB_EVENT_DATA_IN)
    {
      HbChunkInfo info;
      /* The server reads acks; the client reads heartbeats. */
      gboolean acks = !f->client_side;

      hb_chunk_info_unpack (ev->arg, &info);
      label = hb_chunk_info_describe (&info, ev->bytes, acks ? f->ack : f->heartbeat,
                                      acks ? HB_LAB_PATTERN_ACK : HB_LAB_PATTERN_HEARTBEAT, HB_BOUNDARY_READ);
    }
  else
    label = written_label (f, ev);

  phase = f->closing ? HB_TCP_PHASE_TEARDOWN
          : f->protocol == HB_PROTOCOL_LAB && (ev->verb == HB_VERB_PING || ev->verb == HB_VERB_PONG)
          ? HB_TCP_PHASE_HEARTBEAT : HB_TCP_PHASE_DATA;
  seg = follow_segment (f, ev, from_client, phase, label);
  seg->protocol = f->protocol == HB_PROTOCOL_LAB ? "Lab" : "Raw";
  seg->length = ev->bytes;
  g_free (seg->info);
  /* The size is said once: the label of a message or of bare bytes has it. */
  if (ev->kind == HB_EVENT_DATA_IN)
    {
      HbChunkInfo info;

      hb_chunk_info_unpack (ev->arg, &info);
      seg->read = TRUE;
      seg->chunk = ev->arg;
      if (info.n_patterns > 0)
        /* Translators: the Info of one read: "One read returned 16 bytes:
         * heartbeat ack + message (2 in one read)". */
        seg->info = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "One read returned %u byte: %s",
                                                  "One read returned %u bytes: %s", ev->bytes),
                                     ev->bytes, label);
      else
        /* Translators: "One read: message, 3 bytes". */
        seg->info = g_strdup_printf (_("One read: %s"), label);
    }
  else if (f->protocol == HB_PROTOCOL_LAB && (ev->verb == HB_VERB_PING || ev->verb == HB_VERB_PONG))
    /* Translators: the Info of one write: "One write of 9 bytes: heartbeat". */
    seg->info = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "One write of %u byte: %s", "One write of %u bytes: %s",
                                              ev->bytes),
                                 ev->bytes, label);
  else
    /* Translators: "One write: message, 3 bytes". */
    seg->info = g_strdup_printf (_("One write: %s"), label);
  return seg;
}

static void
add_event (Follow                *f,
           const HbTimelineEvent *ev)
{
  g_autoptr(HbSegment) seg = NULL;
  g_autofree char *label = NULL;
  /* Whether this event travels from the client to the server. */
  gboolean outgoing = ev->kind == HB_EVENT_LINE_OUT || ev->kind == HB_EVENT_FIN_OUT;
  gboolean from_client = f->client_side ? outgoing : !outgoing;
  HbTcpPhase phase;

  /* Time 0 is the connection's first segment, as in a capture. */
  if (f->ended || ev->kind == HB_EVENT_STATE || ev->kind == HB_EVENT_ERROR)
    return;
  if (ev->kind == HB_EVENT_CONNECT && f->connected)
    {
      /* The client connected again: another connection, other ports. */
      seg = hb_segment_new_note (event_time (f, ev), TRUE, HB_TCP_PHASE_HANDSHAKE, _("connected again"),
                                 _("The client connected again: a new connection with a new port. "
                                   "Open the Timeline from its window again to follow it."));
      hb_segment_set_endpoints (seg, f->client_label, f->server_label);
      follow_insert (f, seg);
      f->ended = TRUE;
      return;
    }
  if (ev->kind == HB_EVENT_CONNECT)
    {
      f->connected = TRUE;
      follow_protocol (f);
    }
  if (f->origin == 0)
    f->origin = ev->mono_us;

  switch (ev->kind)
    {
    case HB_EVENT_CONNECT:
      /* The handshake happened in the kernel; show it as the textbook does. */
      {
        HbSegment *three[] = {
          follow_segment (f, ev, TRUE, HB_TCP_PHASE_HANDSHAKE, "SYN"),
          follow_segment (f, ev, FALSE, HB_TCP_PHASE_HANDSHAKE, "SYN, ACK"),
          follow_segment (f, ev, TRUE, HB_TCP_PHASE_HANDSHAKE, "ACK"),
        };

        for (guint i = 0; i < G_N_ELEMENTS (three); i++)
          mark_inferred (three[i]);
        g_list_store_splice (f->store, g_list_model_get_n_items (G_LIST_MODEL (f->store)), 0,
                             (gpointer *) three, G_N_ELEMENTS (three));
        for (guint i = 0; i < G_N_ELEMENTS (three); i++)
          g_object_unref (three[i]);
      }
      return;

    case HB_EVENT_DATA_IN:
      seg = chunk_segment (f, ev, from_client);
      break;

    case HB_EVENT_LINE_IN:
    case HB_EVENT_LINE_OUT:
      if (ev->kind == HB_EVENT_LINE_OUT && f->protocol != HB_PROTOCOL_LINE)
        {
          seg = chunk_segment (f, ev, from_client);
          break;
        }
      if (ev->verb == HB_VERB_PING || ev->verb == HB_VERB_PONG)
        label = g_strdup_printf ("%s %u", hb_verb_to_string (ev->verb), ev->arg);
      else
        label = g_strdup (ev->verb == HB_VERB_UNKNOWN ? "?" : hb_verb_to_string (ev->verb));
      phase = f->closing || ev->verb == HB_VERB_BYE ? HB_TCP_PHASE_TEARDOWN :
              (ev->verb == HB_VERB_PING || ev->verb == HB_VERB_PONG) ? HB_TCP_PHASE_HEARTBEAT : HB_TCP_PHASE_DATA;
      seg = follow_segment (f, ev, from_client, phase, label);
      seg->protocol = "HB";
      seg->length = ev->bytes;
      g_free (seg->info);
      seg->info = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s (a line of %u byte)", "%s (a line of %u bytes)",
                                                ev->bytes),
                                   label, ev->bytes);
      break;

    case HB_EVENT_FIN_IN:
    case HB_EVENT_FIN_OUT:
      f->closing = TRUE;
      seg = follow_segment (f, ev, from_client, HB_TCP_PHASE_TEARDOWN, "FIN, ACK");
      mark_inferred (seg);
      if (f->first_fin == 0)
        f->first_fin = from_client ? 1 : 2;
      else if (f->first_fin != (from_client ? 1 : 2))
        {
          /* The second FIN: the first side's kernel acknowledges it, and
           * that final ACK is a segment of its own. (The ACK of the first
           * FIN may have ridden on this one: not drawn.) */
          g_autoptr(HbSegment) ack = follow_segment (f, ev, !from_client, HB_TCP_PHASE_TEARDOWN, "ACK");

          /* Sent by this program's kernel, not read by it. */
          ack->reader = HB_SEGMENT_READER_NONE;
          mark_inferred (ack);
          follow_insert (f, seg);
          follow_insert (f, ack);
          return;
        }
      break;

    case HB_EVENT_CLOSE:
      f->closing = TRUE;
      if (ev->arg == HB_BYE_RESET || ev->arg == HB_BYE_ABORTED)
        {
          gboolean by_client = (ev->initiator == HB_INITIATOR_LOCAL) == f->client_side;

          seg = follow_segment (f, ev, by_client, HB_TCP_PHASE_TEARDOWN, "RST");
          hb_segment_set_alarm (seg, TRUE);
        }
      else
        return;
      break;

    case HB_EVENT_STATE:
    case HB_EVENT_ERROR:
    default:
      return;
    }

  follow_insert (f, seg);
}

static void
on_appended (HbTimeline            *timeline,
             const HbTimelineEvent *ev,
             Follow                *f)
{
  add_event (f, ev);
}

static void
follow_stop (gpointer data)
{
  Follow *f = data;

  g_clear_signal_handler (&f->handler, f->timeline);
  g_clear_object (&f->timeline);
  g_free (f->client_label);
  g_free (f->server_label);
  g_free (f->heartbeat);
  g_free (f->ack);
  g_free (f);
}

gint64
hb_segments_follow_timeline (GListStore *store,
                             HbTimeline *timeline,
                             gboolean    client_side,
                             const char *client_label,
                             const char *server_label)
{
  Follow *f = g_new0 (Follow, 1);
  guint n = hb_timeline_get_n_events (timeline);
  guint first = 0;

  f->store = store;
  f->client_side = client_side;
  f->client_label = g_strdup (client_label ? client_label : _("client"));
  f->server_label = g_strdup (server_label ? server_label : _("server"));
  f->timeline = g_object_ref (timeline);
  follow_protocol (f);
  /* The newest connection: from the last CONNECT on. */
  for (guint i = n; i > 0; i--)
    if (hb_timeline_get_event (timeline, i - 1)->kind == HB_EVENT_CONNECT)
      {
        first = i - 1;
        break;
      }
  for (guint i = first; i < n; i++)
    add_event (f, hb_timeline_get_event (timeline, i));
  f->handler = g_signal_connect (timeline, "appended", G_CALLBACK (on_appended), f);
  /* The store owns the link: when it goes, following stops. */
  g_object_set_data_full (G_OBJECT (store), "hb-follow", f, follow_stop);
  return f->origin;
}

void
hb_segments_stop_following (GListStore *store)
{
  g_object_set_data (G_OBJECT (store), "hb-follow", NULL);
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
