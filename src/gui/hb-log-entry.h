/* hb-log-entry.h - one line of a window's event log
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

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
} HbLogKind;

#define HB_TYPE_LOG_ENTRY (hb_log_entry_get_type ())
G_DECLARE_FINAL_TYPE (HbLogEntry, hb_log_entry, HB, LOG_ENTRY, GObject)

HbLogEntry *hb_log_entry_new         (HbLogKind   kind,
                                      guint       client_id,
                                      const char *who,
                                      const char *text);
HbLogKind   hb_log_entry_get_kind    (HbLogEntry *self);
gint64      hb_log_entry_get_time    (HbLogEntry *self);
guint       hb_log_entry_get_client_id (HbLogEntry *self);
const char *hb_log_entry_get_who     (HbLogEntry *self);
const char *hb_log_entry_get_text    (HbLogEntry *self);
const char *hb_log_kind_to_string    (HbLogKind   kind);

/* Writes @model's entries as CSV (RFC 4180) or JSON Lines. */
gboolean    hb_log_export            (GListModel  *model,
                                      GFile       *file,
                                      gboolean     json_lines,
                                      GError     **error);

G_END_DECLS
