/* hb-segment.c - one arrow of a ladder diagram: a TCP segment or a protocol line
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "hb-segment.h"

struct _HbSegment
{
  GObject   parent_instance;
  gint64    time_us;
  gboolean  from_client;
  gboolean  alarm;
  HbPhase   phase;
  char     *label;
  char     *detail;
};

G_DEFINE_FINAL_TYPE (HbSegment, hb_segment, G_TYPE_OBJECT)

static void
hb_segment_finalize (GObject *object)
{
  HbSegment *self = HB_SEGMENT (object);

  g_free (self->label);
  g_free (self->detail);
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
                HbPhase     phase,
                const char *label,
                const char *detail)
{
  HbSegment *self = g_object_new (HB_TYPE_SEGMENT, NULL);

  self->time_us = time_us;
  self->from_client = from_client;
  self->phase = phase;
  self->label = g_strdup (label ? label : "");
  self->detail = g_strdup (detail ? detail : "");
  return self;
}

gint64 hb_segment_get_time (HbSegment *self) { return self->time_us; }
gboolean hb_segment_get_from_client (HbSegment *self) { return self->from_client; }
HbPhase hb_segment_get_phase (HbSegment *self) { return self->phase; }
const char *hb_segment_get_label (HbSegment *self) { return self->label; }
const char *hb_segment_get_detail (HbSegment *self) { return self->detail; }
void hb_segment_set_alarm (HbSegment *self, gboolean alarm) { self->alarm = alarm; }
gboolean hb_segment_get_alarm (HbSegment *self) { return self->alarm; }

const char *
hb_phase_to_string (HbPhase phase)
{
  switch (phase)
    {
    case HB_PHASE_HANDSHAKE: return "handshake";
    case HB_PHASE_DATA: return "data";
    case HB_PHASE_HEARTBEAT: return "heartbeat";
    case HB_PHASE_TEARDOWN: return "teardown";
    default: return "unknown";
    }
}

const char *
hb_phase_title (HbPhase phase)
{
  switch (phase)
    {
    case HB_PHASE_HANDSHAKE: return _("Three-way handshake");
    case HB_PHASE_DATA: return _("Data");
    case HB_PHASE_HEARTBEAT: return _("Heartbeat");
    case HB_PHASE_TEARDOWN: return _("Teardown");
    default: return "";
    }
}

/* ---------------------------------------------------------------------- */
/* From the application's timeline                                        */

typedef struct
{
  GListStore *store;
  gboolean    client_side;
  gint64      origin;      /* mono µs of the first event */
  gboolean    closing;     /* a FIN or close has been seen */
  HbTimeline *timeline;
  gulong      handler;
} Follow;

static void
add_event (Follow                *f,
           const HbTimelineEvent *ev)
{
  g_autoptr(HbSegment) seg = NULL;
  g_autofree char *label = NULL;
  /* Whether this event travels from the client to the server. */
  gboolean outgoing = ev->kind == HB_EVENT_LINE_OUT || ev->kind == HB_EVENT_FIN_OUT;
  gboolean from_client = f->client_side ? outgoing : !outgoing;
  HbPhase phase;

  /* Time 0 is the connection's first segment, as in a capture. */
  if (ev->kind == HB_EVENT_STATE || ev->kind == HB_EVENT_ERROR)
    return;
  if (f->origin == 0)
    f->origin = ev->mono_us;

  switch (ev->kind)
    {
    case HB_EVENT_CONNECT:
      /* The handshake happened in the kernel; show it as the textbook does. */
      {
        HbSegment *syn = hb_segment_new (ev->mono_us - f->origin, TRUE, HB_PHASE_HANDSHAKE, "SYN", NULL);
        HbSegment *synack = hb_segment_new (ev->mono_us - f->origin, FALSE, HB_PHASE_HANDSHAKE, "SYN, ACK", NULL);
        HbSegment *ack = hb_segment_new (ev->mono_us - f->origin, TRUE, HB_PHASE_HANDSHAKE, "ACK", NULL);
        gpointer three[] = { syn, synack, ack };

        g_list_store_splice (f->store, g_list_model_get_n_items (G_LIST_MODEL (f->store)), 0, three, 3);
        g_object_unref (syn);
        g_object_unref (synack);
        g_object_unref (ack);
      }
      return;

    case HB_EVENT_LINE_IN:
    case HB_EVENT_LINE_OUT:
      if (ev->verb == HB_VERB_PING || ev->verb == HB_VERB_PONG)
        label = g_strdup_printf ("%s %u  (%u B)", hb_verb_to_string (ev->verb), ev->arg, ev->bytes);
      else
        label = g_strdup_printf ("%s  (%u B)", ev->verb == HB_VERB_UNKNOWN ? "?" : hb_verb_to_string (ev->verb),
                                 ev->bytes);
      phase = f->closing || ev->verb == HB_VERB_BYE ? HB_PHASE_TEARDOWN :
              (ev->verb == HB_VERB_PING || ev->verb == HB_VERB_PONG) ? HB_PHASE_HEARTBEAT : HB_PHASE_DATA;
      seg = hb_segment_new (ev->mono_us - f->origin, from_client, phase, label, NULL);
      break;

    case HB_EVENT_FIN_IN:
    case HB_EVENT_FIN_OUT:
      f->closing = TRUE;
      seg = hb_segment_new (ev->mono_us - f->origin, from_client, HB_PHASE_TEARDOWN, "FIN, ACK", NULL);
      break;

    case HB_EVENT_CLOSE:
      f->closing = TRUE;
      if (ev->arg == HB_BYE_RESET || ev->arg == HB_BYE_ABORTED)
        {
          gboolean by_client = (ev->initiator == HB_INITIATOR_LOCAL) == f->client_side;

          seg = hb_segment_new (ev->mono_us - f->origin, by_client, HB_PHASE_TEARDOWN, "RST", NULL);
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

  g_list_store_append (f->store, seg);
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
  g_free (f);
}

void
hb_segments_follow_timeline (GListStore *store,
                             HbTimeline *timeline,
                             gboolean    client_side)
{
  Follow *f = g_new0 (Follow, 1);

  f->store = store;
  f->client_side = client_side;
  f->timeline = g_object_ref (timeline);
  for (guint i = 0; i < hb_timeline_get_n_events (timeline); i++)
    add_event (f, hb_timeline_get_event (timeline, i));
  f->handler = g_signal_connect (timeline, "appended", G_CALLBACK (on_appended), f);
  /* The store owns the link: when it goes, following stops. */
  g_object_set_data_full (G_OBJECT (store), "hb-follow", f, follow_stop);
}
