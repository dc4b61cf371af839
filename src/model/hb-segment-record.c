/* hb-segment-record.c - a connection's own record (HbTimeline) read as the segments a ladder draws
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Without a capture, a program knows its own side of the wire: the lines
 * (or, unframed, the reads and writes) it exchanged, its FINs and its
 * close. HbSegmentModel follows a record through an HbRecordReader,
 * which turns each event into the segments it stands for, drawn as the
 * textbook does where the record only implies them (the handshake, the
 * FINs' ACKs).
 */

#include "config.h"

#include <glib/gi18n.h>

#include "hb-segment-private.h"

struct _HbRecordReader
{
  gboolean    client_side;
  gint64      origin;      /* mono µs of the first event */
  gboolean    closing;     /* a FIN or close has been seen */
  gboolean    connected;   /* this connection's CONNECT has been seen */
  gboolean    ended;       /* a later connection began: nothing more */
  int         first_fin;   /* who sent the first FIN: 0 none yet, 1 the client, 2 the server */
  char       *client_label;
  char       *server_label;
  HbTimeline *timeline;
  /* The lab's patterns as shown, from the timeline at the connection's
   * start. */
  HbProtocol  protocol;
  char       *heartbeat;
  char       *ack;
};

/* When @ev happened on this program's side of the wire: what it read,
 * when it arrived if the kernel said so; everything else when recorded. */
static gint64
event_time (HbRecordReader        *f,
            const HbTimelineEvent *ev)
{
  gboolean read = ev->kind == HB_EVENT_LINE_IN || ev->kind == HB_EVENT_DATA_IN || ev->kind == HB_EVENT_FIN_IN;
  gint64 t = ev->mono_us - (read && ev->arrival_known ? (gint64) ev->waited_us : 0);

  return MAX (t - f->origin, 0);
}

static HbSegment *
follow_segment (HbRecordReader        *f,
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
follow_protocol (HbRecordReader *f)
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
written_label (HbRecordReader        *f,
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
chunk_segment (HbRecordReader        *f,
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

void
hb_record_reader_read (HbRecordReader        *f,
                       const HbTimelineEvent *ev,
                       GPtrArray             *segments)
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
      g_ptr_array_add (segments, g_steal_pointer (&seg));
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
          {
            mark_inferred (three[i]);
            g_ptr_array_add (segments, three[i]);
          }
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
          g_ptr_array_add (segments, g_steal_pointer (&seg));
          g_ptr_array_add (segments, g_steal_pointer (&ack));
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

  g_ptr_array_add (segments, g_steal_pointer (&seg));
}

HbRecordReader *
hb_record_reader_new (HbTimeline *timeline,
                      gboolean    client_side,
                      const char *client_label,
                      const char *server_label)
{
  HbRecordReader *f = g_new0 (HbRecordReader, 1);

  f->client_side = client_side;
  f->client_label = g_strdup (client_label ? client_label : _("client"));
  f->server_label = g_strdup (server_label ? server_label : _("server"));
  f->timeline = g_object_ref (timeline);
  follow_protocol (f);
  return f;
}

void
hb_record_reader_free (HbRecordReader *f)
{
  g_clear_object (&f->timeline);
  g_free (f->client_label);
  g_free (f->server_label);
  g_free (f->heartbeat);
  g_free (f->ack);
  g_free (f);
}

guint
hb_record_reader_first_event (HbRecordReader *f)
{
  guint n = hb_timeline_get_n_events (f->timeline);

  for (guint i = n; i > 0; i--)
    if (hb_timeline_get_event (f->timeline, i - 1)->kind == HB_EVENT_CONNECT)
      return i - 1;
  return 0;
}

gint64
hb_record_reader_get_origin (HbRecordReader *f)
{
  return f->origin;
}
