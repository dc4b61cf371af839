/* hb-boundary.c - message boundaries in words: what one read, or one captured segment, of an unframed stream held
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The same words label a read in the timeline, a segment in a capture's
 * ladder and the analyze command's notes, so that a student who learns
 * "heartbeat ack + message (2 in one read)" in one place recognises it in
 * the others.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "hb-boundary.h"

gboolean
hb_chunk_info_crosses_boundary (const HbChunkInfo *info)
{
  g_return_val_if_fail (info != NULL, FALSE);
  return info->glued || info->split || info->held;
}

static char *
bytes_text (guint32 bytes)
{
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u byte", "%u bytes", bytes), bytes);
}

static const char *
start_of (HbLabPattern   pattern,
          HbBoundaryUnit unit)
{
  /* A live read may end with what only looks like a pattern's start; a
   * capture's segment is called one when the next segment completed it. */
  if (unit == HB_BOUNDARY_READ)
    return pattern == HB_LAB_PATTERN_ACK ? _("start of an ack?") : _("start of a heartbeat?");
  return pattern == HB_LAB_PATTERN_ACK ? _("start of an ack") : _("start of a heartbeat");
}

char *
hb_chunk_info_describe (const HbChunkInfo *info,
                        guint32            bytes,
                        const char        *pattern_text,
                        HbLabPattern       pattern,
                        HbBoundaryUnit     unit)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) remarks = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *what = NULL;
  g_autofree char *remark = NULL;
  guint pieces;

  g_return_val_if_fail (info != NULL, NULL);

  if (info->n_patterns == 0 && info->n_messages == 0)
    {
      g_autofree char *size = bytes_text (bytes);

      if (!info->held)
        return g_steal_pointer (&size);
      /* Translators: a read that may hold the start of a heartbeat or
       * ack: "5 bytes (start of an ack?)". */
      return g_strdup_printf (C_("read", "%s (%s)"), size, start_of (pattern, unit));
    }

  if (info->n_patterns == 0 && !info->held)
    {
      g_autofree char *size = bytes_text (bytes);
      g_autofree char *messages = info->n_messages == 1
        ? g_strdup (_("message"))
        : g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u message", "%u messages", info->n_messages),
                           info->n_messages);

      /* Translators: "message, 3 bytes". */
      what = g_strdup_printf (C_("read", "%s, %s"), messages, size);
    }
  else
    {
      const char *text = pattern_text != NULL ? pattern_text : "?";

      if (info->n_patterns == 1)
        g_ptr_array_add (parts, g_strdup (text));
      else if (info->n_patterns > 1)
        /* Translators: two acks in one read: "2 × heartbeat ack". */
        g_ptr_array_add (parts, g_strdup_printf (C_("read", "%u × %s"), info->n_patterns, text));
      if (info->n_messages == 1)
        g_ptr_array_add (parts, g_strdup (_("message")));
      else if (info->n_messages > 1)
        g_ptr_array_add (parts, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u message", "%u messages",
                                                              info->n_messages),
                                                 info->n_messages));
      if (info->held)
        g_ptr_array_add (parts, g_strdup (start_of (pattern, unit)));
      g_ptr_array_add (parts, NULL);
      /* The pieces in the order of the protocol's words, not of the bytes:
       * "heartbeat ack + message". */
      what = g_strjoinv (" + ", (char **) parts->pdata);
    }

  pieces = info->n_patterns + info->n_messages + info->held;
  if (info->glued && pieces >= 2)
    g_ptr_array_add (remarks, g_strdup_printf (unit == HB_BOUNDARY_READ
                                                 ? g_dngettext (GETTEXT_PACKAGE, "%u in one read", "%u in one read", pieces)
                                                 : g_dngettext (GETTEXT_PACKAGE, "%u in one segment", "%u in one segment",
                                                                pieces),
                                               pieces));
  /* A held end already says that the rest comes later. */
  if (info->split && !info->held)
    g_ptr_array_add (remarks, g_strdup (unit == HB_BOUNDARY_READ ? _("split across reads")
                                                                  : _("split across segments")));
  if (remarks->len == 0)
    return g_steal_pointer (&what);
  g_ptr_array_add (remarks, NULL);
  remark = g_strjoinv ("; ", (char **) remarks->pdata);
  /* Translators: "heartbeat ack + message (2 in one read)". */
  return g_strdup_printf (C_("read", "%s (%s)"), what, remark);
}
