/* hb-pcapng.h - the frames of a pcapng file, each with its interface's link type (private to the core)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdio.h>

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  const guint8 *data;
  guint32       caplen;
  guint32       origlen;
  int           linktype;     /* LINKTYPE_* of the frame's interface */
  gint64        time_us;
  guint16       time_ns_rem;  /* ns beyond time_us */
} HbPcapngFrame;

/* Return FALSE to stop reading. */
typedef gboolean (*HbPcapngFrameFunc) (const HbPcapngFrame *frame,
                                       gpointer             user_data);

/**
 * hb_pcapng_read:
 * @file: positioned at the start of the file
 * @name: the file's name for messages
 * @linktype: (out): the link type of the first interface, -1 if none
 *
 * Calls @func for each packet block (enhanced, simple, obsolete) in file
 * order. A damaged first section header fails with
 * HB_CAPTURE_FILE_ERROR_DAMAGED and no frame; damage later, or a file
 * that breaks off, with HB_CAPTURE_FILE_ERROR_TRUNCATED after the frames
 * before it.
 */
gboolean hb_pcapng_read (FILE              *file,
                         const char        *name,
                         HbPcapngFrameFunc  func,
                         gpointer           user_data,
                         int               *linktype,
                         GError           **error);

G_END_DECLS
