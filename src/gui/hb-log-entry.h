/* hb-log-entry.h - one line of a window's event log
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "hb-lab.h"

G_BEGIN_DECLS

typedef enum
{
  HB_LOG_MESSAGE,     /* a client's MSG */
  HB_LOG_BROADCAST,   /* the operator's broadcast */
  HB_LOG_SENT,        /* the operator's MSG to one client */
  HB_LOG_JOIN,
  HB_LOG_LEAVE,
  HB_LOG_ERROR,
  HB_LOG_INFO,
  HB_LOG_RELAY,       /* another client's message, relayed */
  HB_LOG_OWN,         /* what this client sent */
  HB_LOG_DATA,        /* one read of a byte stream, as it arrived (lab, raw) */
} HbLogKind;

/* Of an entry's bytes, at most this many are kept for its hex view. */
#define HB_LOG_HEX_MAX 1024

#define HB_TYPE_LOG_ENTRY (hb_log_entry_get_type ())
G_DECLARE_FINAL_TYPE (HbLogEntry, hb_log_entry, HB, LOG_ENTRY, GObject)

HbLogEntry *hb_log_entry_new         (HbLogKind   kind,
                                      guint       client_id,
                                      const char *who,
                                      const char *text);
/* Bytes of the lab's protocol or raw TCP, as read or sent: the text is
 * @data shown safely in @encoding, at most HB_CHUNK_SHOW_MAX bytes of it
 * and then how many more came; the first HB_LOG_HEX_MAX bytes are kept
 * for the hex view. */
HbLogEntry *hb_log_entry_new_bytes   (HbLogKind     kind,
                                      guint         client_id,
                                      const char   *who,
                                      const guint8 *data,
                                      gsize         len,
                                      HbEncoding    encoding);
HbLogKind   hb_log_entry_get_kind    (HbLogEntry *self);
gint64      hb_log_entry_get_time    (HbLogEntry *self);
guint       hb_log_entry_get_client_id (HbLogEntry *self);
const char *hb_log_entry_get_who     (HbLogEntry *self);
const char *hb_log_entry_get_text    (HbLogEntry *self);
/* What a person should notice about the entry (a read that glued two
 * messages…), or NULL. */
const char *hb_log_entry_get_note    (HbLogEntry *self);
void        hb_log_entry_set_note    (HbLogEntry *self,
                                      const char *note);
/* For an entry of bytes: how many there were, and the kept ones as hex,
 * 16 to a line with their offset, and how many more were not kept; NULL
 * for other entries. */
gsize       hb_log_entry_get_n_bytes (HbLogEntry *self);
char       *hb_log_entry_format_hex  (HbLogEntry *self);
/* Whether the log shows the hex view of this entry now. */
gboolean    hb_log_entry_get_hex_shown (HbLogEntry *self);
void        hb_log_entry_set_hex_shown (HbLogEntry *self,
                                        gboolean    shown);
const char *hb_log_kind_to_string    (HbLogKind   kind);

/* Writes @model's entries as CSV (RFC 4180) or JSON Lines. */
gboolean    hb_log_export            (GListModel  *model,
                                      GFile       *file,
                                      gboolean     json_lines,
                                      GError     **error);

G_END_DECLS
