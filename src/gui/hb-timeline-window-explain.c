/* hb-timeline-window-explain.c - a timeline window's explanation pane and the selected row's details
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "hb-timeline-window-private.h"

/* hb_segment_explanation(), knowing the capture the segment comes from. */
void
hb_timeline_window_explain (HbTimelineWindow *self,
                            HbSegment        *seg)
{
  HbPacket *packet = hb_segment_get_packet (seg);
  HbConversation *conversation = hb_segment_model_get_conversation (self->segments);
  g_autofree char *text = NULL;

  if (packet != NULL && conversation != NULL && !(packet->flags & HB_TCP_RST))
    {
      g_autofree char *held = hb_conversation_describe_lab (conversation, packet, self->encoding);

      if (held != NULL)
        {
          /* Translators: the first sentence of the lesson on message
           * boundaries for a captured segment: "This segment holds
           * heartbeat ack + message (2 in one segment)." */
          g_autofree char *what = g_strdup_printf (_("This segment holds %s."), held);

          text = hb_boundary_explanation (what);
        }
      else if (hb_conversation_get_is_lab (conversation))
        text = g_strdup (hb_lab_phase_explanation (hb_segment_get_phase (seg)));
    }
  if (text == NULL)
    text = hb_segment_explanation (seg);
  /* Read long after it arrived: the first thing to know about its time. */
  if (packet == NULL)
    {
      g_autofree char *late = hb_segment_describe_arrival (seg, TRUE);

      if (late != NULL)
        {
          char *both = g_strdup_printf ("%s\n\n%s", late, text);

          g_free (text);
          text = both;
        }
    }
  gtk_label_set_text (self->explanation_label, text);
}

void
hb_timeline_window_show_segment (HbTimelineWindow *self,
                                 guint             position)
{
  g_autoptr(HbSegment) seg = g_list_model_get_item (G_LIST_MODEL (self->segments), position);
  HbPacket *packet;

  if (seg == NULL)
    return;
  hb_timeline_window_explain (self, seg);

  packet = hb_segment_get_packet (seg);
  if (packet != NULL)
    {
      g_autofree char *details = hb_packet_format_details (packet);
      gsize len = 0;
      const guint8 *data = packet->data ? g_bytes_get_data (packet->data, &len) : NULL;
      g_autofree char *hex = hb_format_hex_dump (data, len);

      gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->details_view), details, -1);
      gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->bytes_view), hex, -1);
    }
  else if (hb_segment_get_inferred (seg))
    {
      /* Drawn as the textbook does, not seen: say so, and what is missing. */
      gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->details_view),
                                hb_lesson_inferred (hb_segment_get_phase (seg)), -1);
      gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->bytes_view), "", -1);
    }
  else if (hb_segment_is_note (seg))
    {
      /* A state the kernel reported, not a segment: no header, no bytes. */
      gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->details_view), hb_segment_get_info (seg), -1);
      gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->bytes_view), "", -1);
    }
  else
    {
      const char *record = hb_segment_get_read (seg, NULL)
        ? _("This row comes from the application's own record: one read, as the program got it from the "
            "kernel, which may have glued several segments together or be waiting for the rest of one. Press "
            "Capture to see the real packets, their header fields and their bytes.")
        : _("This row comes from the application's own record, which knows lines and closes but not the "
            "segments that carried them. Press Capture to see the real packets, their header fields and their "
            "bytes.");
      g_autofree char *late = hb_segment_describe_arrival (seg, TRUE);
      g_autofree char *when = late == NULL ? hb_segment_describe_arrival (seg, FALSE) : NULL;
      g_autofree char *text = NULL;

      /* Read long after it arrived comes first; that the time is the
       * read's, after. */
      if (late != NULL)
        text = g_strdup_printf ("%s\n\n%s", late, record);
      else if (when != NULL)
        text = g_strdup_printf ("%s\n\n%s", record, when);
      else
        text = g_strdup (record);

      gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->details_view), text, -1);
      gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->bytes_view), "", -1);
    }
}

/* The text label on a page of the notebook, if the page is one. */
static GtkLabel *
page_label (HbTimelineWindow *self,
            GtkWidget        *page)
{
  if (gtk_widget_is_ancestor (GTK_WIDGET (self->explanation_label), page))
    return self->explanation_label;
  if (gtk_widget_is_ancestor (GTK_WIDGET (self->tcp_label), page))
    return self->tcp_label;
  return NULL;
}

/* Opening a page when the focus is in the notebook moves the focus into
 * the page, and a selectable label that gets it selects all its text
 * (GTK 4.8 has no per-label select-on-focus), even when the notebook then
 * keeps the focus itself: it reads as if something had been done to the
 * text. The page opens with the selection it had. */
void
hb_timeline_window_on_page_switching (GtkNotebook      *notebook,
                                      GtkWidget        *page,
                                      guint             page_num,
                                      HbTimelineWindow *self)
{
  GtkLabel *label = page_label (self, page);

  self->page_had_selection = label != NULL &&
                             gtk_label_get_selection_bounds (label, &self->page_selection[0],
                                                             &self->page_selection[1]);
}

void
hb_timeline_window_on_page_switched (GtkNotebook      *notebook,
                                     GtkWidget        *page,
                                     guint             page_num,
                                     HbTimelineWindow *self)
{
  GtkLabel *label = page_label (self, page);

  if (label == NULL)
    return;
  if (self->page_had_selection)
    gtk_label_select_region (label, self->page_selection[0], self->page_selection[1]);
  else if (gtk_label_get_selection_bounds (label, NULL, NULL))
    gtk_label_select_region (label, 0, 0);
}
