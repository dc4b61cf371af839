/* hb-segment-model.c - the rows of a timeline window: one list of HbSegment, from a connection's record, a live capture or a file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The rows are a plain array: the ladder asks for each row in view on
 * every frame, and a file's conversation may give hundreds of thousands.
 */

#include "config.h"

#include "hb-segment-model.h"
#include "hb-segment-private.h"

struct _HbSegmentModel
{
  GObject           parent_instance;

  GPtrArray        *rows;          /* HbSegment */
  guint             n_notes;
  HbSegmentSource   source;
  int               linktype;
  gint64            origin;        /* a capture's; the record's is the reader's */

  /* The record followed (HB_SEGMENT_SOURCE_RECORD, and a capture's
   * until its first packet). */
  HbTimeline       *timeline;
  gulong            appended_handler;
  HbRecordReader   *reader;

  /* A live capture, and the connection's two ends in it. */
  HbCaptureSession *session;
  gulong            packet_handler;
  char             *client_ip;
  char             *server_ip;
  guint             client_port;
  guint             server_port;

  /* The packets shown: a capture's, or a file's. */
  HbConversation   *conversation;
  GPtrArray        *packets;       /* a file's, while filling */
  guint             next;          /* the file's next packet to become a row */
};

enum
{
  PROP_0,
  PROP_CONVERSATION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void hb_segment_model_list_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HbSegmentModel, hb_segment_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, hb_segment_model_list_init))

static GType
get_item_type (GListModel *model)
{
  return HB_TYPE_SEGMENT;
}

static guint
get_n_items (GListModel *model)
{
  return HB_SEGMENT_MODEL (model)->rows->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  HbSegmentModel *self = HB_SEGMENT_MODEL (model);

  return position < self->rows->len ? g_object_ref (self->rows->pdata[position]) : NULL;
}

static void
hb_segment_model_list_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

/* ---------------------------------------------------------------------- */
/* Rows                                                                    */

static guint
count_notes (GPtrArray *rows,
             guint      from)
{
  guint n = 0;

  for (guint i = from; i < rows->len; i++)
    n += hb_segment_is_note (rows->pdata[i]);
  return n;
}

/* Replaces every row with @rows (taken). */
static void
replace_rows (HbSegmentModel *self,
              GPtrArray      *rows)
{
  guint removed = self->rows->len;

  g_ptr_array_unref (self->rows);
  self->rows = rows;
  self->n_notes = count_notes (rows, 0);
  if (removed > 0 || rows->len > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, rows->len);
}

static void
append_rows (HbSegmentModel *self,
             GPtrArray      *segs)
{
  guint position = self->rows->len;

  if (segs->len == 0)
    return;
  for (guint i = 0; i < segs->len; i++)
    g_ptr_array_add (self->rows, g_object_ref (segs->pdata[i]));
  self->n_notes += count_notes (self->rows, position);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 0, self->rows->len - position);
}

void
hb_segment_model_append (HbSegmentModel *self,
                         HbSegment      *segment)
{
  g_return_if_fail (HB_IS_SEGMENT_MODEL (self));
  g_return_if_fail (HB_IS_SEGMENT (segment));

  if (self->rows->len >= HB_SEGMENTS_MAX)
    {
      g_ptr_array_remove_range (self->rows, 0, HB_SEGMENTS_MAX / 10);
      self->n_notes = count_notes (self->rows, 0);
      g_list_model_items_changed (G_LIST_MODEL (self), 0, HB_SEGMENTS_MAX / 10, 0);
    }
  g_ptr_array_add (self->rows, g_object_ref (segment));
  self->n_notes += hb_segment_is_note (segment);
  g_list_model_items_changed (G_LIST_MODEL (self), self->rows->len - 1, 0, 1);
}

/* Where @seg goes in time order among @rows: after every row not later
 * than it. What was read late but arrived early goes before what this
 * program did meanwhile (its answers to it, say). */
static guint
time_position (GPtrArray *rows,
               HbSegment *seg)
{
  guint pos = rows->len;

  while (pos > 0 && hb_segment_get_time (rows->pdata[pos - 1]) > hb_segment_get_time (seg))
    pos--;
  return pos;
}

static void
insert_in_time (HbSegmentModel *self,
                HbSegment      *seg)
{
  guint pos = time_position (self->rows, seg);

  if (pos == self->rows->len)
    {
      hb_segment_model_append (self, seg);
      return;
    }
  g_ptr_array_insert (self->rows, pos, g_object_ref (seg));
  self->n_notes += hb_segment_is_note (seg);
  g_list_model_items_changed (G_LIST_MODEL (self), pos, 0, 1);
}

/* The rows of @packets from @from to before @to, relative to @origin_us. */
static GPtrArray *
packet_rows (GPtrArray *packets,
             guint      from,
             guint      to,
             gint64     origin_us)
{
  GPtrArray *segs = g_ptr_array_new_full (to - from, g_object_unref);

  for (guint i = from; i < to; i++)
    {
      HbPacket *packet = packets->pdata[i];

      g_ptr_array_add (segs, hb_segment_new_from_packet (packet, origin_us, packet->from_client));
    }
  return segs;
}

/* ---------------------------------------------------------------------- */
/* Sources                                                                 */

static void
stop_record (HbSegmentModel *self)
{
  if (self->timeline != NULL)
    g_clear_signal_handler (&self->appended_handler, self->timeline);
  g_clear_object (&self->timeline);
  g_clear_pointer (&self->reader, hb_record_reader_free);
}

static void
stop_capture (HbSegmentModel *self)
{
  if (self->session != NULL)
    g_clear_signal_handler (&self->packet_handler, self->session);
  g_clear_object (&self->session);
  g_clear_pointer (&self->client_ip, g_free);
  g_clear_pointer (&self->server_ip, g_free);
}

/* Forgets every source; the rows stay until replaced. */
static void
stop_sources (HbSegmentModel *self)
{
  stop_record (self);
  stop_capture (self);
  g_clear_pointer (&self->packets, g_ptr_array_unref);
  self->next = 0;
  self->linktype = -1;
  self->origin = 0;
  self->source = HB_SEGMENT_SOURCE_NONE;
}

static void
set_conversation (HbSegmentModel *self,
                  HbConversation *conversation)
{
  if (g_set_object (&self->conversation, conversation))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONVERSATION]);
}

static void
on_appended (HbTimeline            *timeline,
             const HbTimelineEvent *ev,
             HbSegmentModel        *self)
{
  g_autoptr(GPtrArray) segs = g_ptr_array_new_with_free_func (g_object_unref);

  hb_record_reader_read (self->reader, ev, segs);
  for (guint i = 0; i < segs->len; i++)
    insert_in_time (self, segs->pdata[i]);
}

void
hb_segment_model_follow_record (HbSegmentModel *self,
                                HbTimeline     *timeline,
                                gboolean        client_side,
                                const char     *client_label,
                                const char     *server_label)
{
  g_autoptr(GPtrArray) segs = g_ptr_array_new_with_free_func (g_object_unref);
  GPtrArray *rows = g_ptr_array_new_with_free_func (g_object_unref);
  guint n;

  g_return_if_fail (HB_IS_SEGMENT_MODEL (self));
  g_return_if_fail (HB_IS_TIMELINE (timeline));

  stop_sources (self);
  self->source = HB_SEGMENT_SOURCE_RECORD;
  self->timeline = g_object_ref (timeline);
  self->reader = hb_record_reader_new (timeline, client_side, client_label, server_label);
  n = hb_timeline_get_n_events (timeline);
  for (guint i = hb_record_reader_first_event (self->reader); i < n; i++)
    hb_record_reader_read (self->reader, hb_timeline_get_event (timeline, i), segs);
  /* In time order, as they will be when they come one by one. */
  for (guint i = 0; i < segs->len; i++)
    g_ptr_array_insert (rows, time_position (rows, segs->pdata[i]), g_object_ref (segs->pdata[i]));
  if (rows->len > HB_SEGMENTS_MAX)
    g_ptr_array_remove_range (rows, 0, rows->len - HB_SEGMENTS_MAX);
  self->appended_handler = g_signal_connect (timeline, "appended", G_CALLBACK (on_appended), self);
  set_conversation (self, NULL);
  replace_rows (self, rows);
}

/* The capture's record of the connection replaces what was shown: its
 * newest rows, as many as a ladder keeps. */
static void
show_captured (HbSegmentModel *self,
               HbConversation *conversation)
{
  GPtrArray *packets = hb_conversation_get_packets (conversation);

  stop_record (self);
  self->source = HB_SEGMENT_SOURCE_CAPTURE;
  self->linktype = hb_capture_session_get_linktype (self->session);
  self->origin = hb_conversation_get_packet (conversation, 0)->time_us;
  g_set_object (&self->conversation, conversation);
  replace_rows (self, packet_rows (packets, packets->len > HB_SEGMENTS_MAX ? packets->len - HB_SEGMENTS_MAX : 0,
                                   packets->len, self->origin));
  /* Said after the rows are there, for whoever shows the first. */
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONVERSATION]);
}

static gboolean
is_ours (HbSegmentModel *self,
         HbConversation *conversation)
{
  return hb_capture_session_find (self->session, self->client_ip, self->client_port, self->server_ip,
                                  self->server_port) == conversation;
}

static void
on_packet (HbCaptureSession *session,
           HbPacket         *packet,
           HbConversation   *conversation,
           HbSegmentModel   *self)
{
  if (conversation == self->conversation)
    {
      g_autoptr(HbSegment) seg = hb_segment_new_from_packet (packet, self->origin, packet->from_client);

      hb_segment_model_append (self, seg);
    }
  /* The first packet of the connection, or of it in a capture started
   * again: these packets from now on. */
  else if (is_ours (self, conversation))
    show_captured (self, conversation);
}

void
hb_segment_model_follow_capture (HbSegmentModel   *self,
                                 HbCaptureSession *session,
                                 const char       *client_ip,
                                 guint             client_port,
                                 const char       *server_ip,
                                 guint             server_port)
{
  HbConversation *conversation;

  g_return_if_fail (HB_IS_SEGMENT_MODEL (self));
  g_return_if_fail (HB_IS_CAPTURE_SESSION (session));
  g_return_if_fail (client_ip != NULL && server_ip != NULL);

  /* The record stays until the capture has something to show. */
  stop_capture (self);
  g_clear_pointer (&self->packets, g_ptr_array_unref);
  if (self->source != HB_SEGMENT_SOURCE_RECORD)
    {
      stop_sources (self);
      set_conversation (self, NULL);
      replace_rows (self, g_ptr_array_new_with_free_func (g_object_unref));
    }
  self->session = g_object_ref (session);
  self->client_ip = g_strdup (client_ip);
  self->server_ip = g_strdup (server_ip);
  self->client_port = client_port;
  self->server_port = server_port;
  self->packet_handler = g_signal_connect (session, "packet", G_CALLBACK (on_packet), self);

  conversation = hb_capture_session_find (session, client_ip, client_port, server_ip, server_port);
  if (conversation != NULL && hb_conversation_get_n_packets (conversation) > 0)
    show_captured (self, conversation);
}

void
hb_segment_model_show_file (HbSegmentModel *self,
                            HbCaptureFile  *file,
                            HbConversation *conversation)
{
  g_return_if_fail (HB_IS_SEGMENT_MODEL (self));
  g_return_if_fail (HB_IS_CAPTURE_FILE (file));
  g_return_if_fail (HB_IS_CONVERSATION (conversation));

  stop_sources (self);
  self->source = HB_SEGMENT_SOURCE_FILE;
  self->linktype = hb_capture_file_get_linktype (file);
  self->origin = hb_capture_file_get_start_time (file);
  self->packets = g_ptr_array_ref (hb_conversation_get_packets (conversation));
  /* Said even for the same conversation: its rows are to be added again. */
  g_set_object (&self->conversation, conversation);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONVERSATION]);
}

gboolean
hb_segment_model_fill (HbSegmentModel *self,
                       guint           n)
{
  g_autoptr(GPtrArray) segs = NULL;

  g_return_val_if_fail (HB_IS_SEGMENT_MODEL (self), FALSE);

  if (self->packets == NULL)
    return FALSE;
  n = MIN (n, self->packets->len - self->next);
  segs = packet_rows (self->packets, self->next, self->next + n, self->origin);
  /* The first slice replaces what was shown. */
  if (self->next == 0)
    replace_rows (self, g_steal_pointer (&segs));
  else
    append_rows (self, segs);
  self->next += n;
  return self->next < self->packets->len;
}

void
hb_segment_model_get_fill (HbSegmentModel *self,
                           guint          *done,
                           guint          *total)
{
  g_return_if_fail (HB_IS_SEGMENT_MODEL (self));

  *done = self->next;
  *total = self->packets != NULL ? self->packets->len : 0;
}

void
hb_segment_model_stop (HbSegmentModel *self)
{
  g_return_if_fail (HB_IS_SEGMENT_MODEL (self));

  stop_record (self);
  stop_capture (self);
  g_clear_pointer (&self->packets, g_ptr_array_unref);
}

HbSegmentSource
hb_segment_model_get_source (HbSegmentModel *self)
{
  g_return_val_if_fail (HB_IS_SEGMENT_MODEL (self), HB_SEGMENT_SOURCE_NONE);
  return self->source;
}

HbConversation *
hb_segment_model_get_conversation (HbSegmentModel *self)
{
  g_return_val_if_fail (HB_IS_SEGMENT_MODEL (self), NULL);
  return self->conversation;
}

int
hb_segment_model_get_linktype (HbSegmentModel *self)
{
  g_return_val_if_fail (HB_IS_SEGMENT_MODEL (self), -1);
  return self->linktype;
}

gint64
hb_segment_model_get_origin (HbSegmentModel *self)
{
  g_return_val_if_fail (HB_IS_SEGMENT_MODEL (self), 0);
  return self->reader != NULL ? hb_record_reader_get_origin (self->reader) : self->origin;
}

guint
hb_segment_model_get_n_notes (HbSegmentModel *self)
{
  g_return_val_if_fail (HB_IS_SEGMENT_MODEL (self), 0);
  return self->n_notes;
}

/* ---------------------------------------------------------------------- */
/* GObject                                                                 */

static void
hb_segment_model_dispose (GObject *object)
{
  HbSegmentModel *self = HB_SEGMENT_MODEL (object);

  stop_sources (self);
  g_clear_object (&self->conversation);
  G_OBJECT_CLASS (hb_segment_model_parent_class)->dispose (object);
}

static void
hb_segment_model_finalize (GObject *object)
{
  HbSegmentModel *self = HB_SEGMENT_MODEL (object);

  g_ptr_array_unref (self->rows);
  G_OBJECT_CLASS (hb_segment_model_parent_class)->finalize (object);
}

static void
hb_segment_model_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  HbSegmentModel *self = HB_SEGMENT_MODEL (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      g_value_set_object (value, self->conversation);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hb_segment_model_class_init (HbSegmentModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hb_segment_model_dispose;
  object_class->finalize = hb_segment_model_finalize;
  object_class->get_property = hb_segment_model_get_property;

  /**
   * HbSegmentModel:conversation:
   *
   * The captured connection whose packets are the rows (a live
   * capture's, or a file's), NULL while they are the record's. When it
   * changes to a live capture's, its rows are already there.
   */
  properties[PROP_CONVERSATION] =
    g_param_spec_object ("conversation", NULL, NULL, HB_TYPE_CONVERSATION,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
hb_segment_model_init (HbSegmentModel *self)
{
  self->rows = g_ptr_array_new_with_free_func (g_object_unref);
  self->linktype = -1;
}

HbSegmentModel *
hb_segment_model_new (void)
{
  return g_object_new (HB_TYPE_SEGMENT_MODEL, NULL);
}
