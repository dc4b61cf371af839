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
  HB_LOG_DATA,        /* one read of a peer's bytes, as it came (lab, raw) */
} HbLogKind;

#define HB_TYPE_LOG_ENTRY (hb_log_entry_get_type ())
G_DECLARE_FINAL_TYPE (HbLogEntry, hb_log_entry, HB, LOG_ENTRY, GObject)

HbLogEntry *hb_log_entry_new         (HbLogKind   kind,
                                      guint       client_id,
                                      const char *who,
                                      const char *text);
/* One read of @bytes, in the lab's protocol (@info from the scanner) or
 * raw TCP (@info NULL): at most HB_CHUNK_SHOW_MAX bytes of it are kept,
 * the rest only counted, so that a peer that floods the server leaves
 * the log's memory bounded. */
HbLogEntry *hb_log_entry_new_data    (guint              client_id,
                                      const char        *who,
                                      GBytes            *bytes,
                                      HbEncoding         encoding,
                                      const HbChunkInfo *info);
/* Bytes a client window read or sent, in the lab's protocol or raw TCP:
 * @who says what they are ("← 9 bytes"), the note is set by the caller
 * (hb_log_entry_set_note()), and the log shows a Hex button that opens
 * them (hb_log_entry_get_hex_shown()). At most HB_CHUNK_SHOW_MAX bytes are
 * kept. */
HbLogEntry *hb_log_entry_new_bytes   (HbLogKind     kind,
                                      guint         client_id,
                                      const char   *who,
                                      const guint8 *data,
                                      gsize         len,
                                      HbEncoding    encoding);
/* Whether the entry carries bytes (a read, or a client's bytes). */
gboolean    hb_log_entry_has_bytes   (HbLogEntry *self);
/* Made by hb_log_entry_new_bytes(). */
gboolean    hb_log_entry_get_compact (HbLogEntry *self);
/* What a person should notice about the entry: the note set, or for a
 * read of the lab's protocol hb_log_entry_dup_note()'s; NULL if none. */
const char *hb_log_entry_get_note    (HbLogEntry *self);
void        hb_log_entry_set_note    (HbLogEntry *self,
                                      const char *note);
/* The bytes kept, 16 to a line with their offset ("0000  68 65"), and
 * how many more came; NULL without bytes. */
char       *hb_log_entry_format_hex  (HbLogEntry *self);
/* Whether a compact entry's hex is open in the log. */
gboolean    hb_log_entry_get_hex_shown (HbLogEntry *self);
void        hb_log_entry_set_hex_shown (HbLogEntry *self,
                                        gboolean    shown);
HbLogKind   hb_log_entry_get_kind    (HbLogEntry *self);
gint64      hb_log_entry_get_time    (HbLogEntry *self);
guint       hb_log_entry_get_client_id (HbLogEntry *self);
const char *hb_log_entry_get_who     (HbLogEntry *self);
/* The text of the entry; for bytes, worked out on the first call and
 * kept (hb_log_entry_dup_text() keeps nothing). */
const char *hb_log_entry_get_text    (HbLogEntry *self);
/* The text of any entry as a person reads it (searched, exported): for a
 * read, its bytes decoded safely, and how many more came than are kept. */
char       *hb_log_entry_dup_text    (HbLogEntry *self);

/* A read (HB_LOG_DATA): the bytes kept (at most HB_CHUNK_SHOW_MAX), how
 * many came, the encoding to show them in, and what the read held
 * (NULL in raw TCP, where nothing is judged). */
GBytes     *hb_log_entry_get_data    (HbLogEntry *self);
guint64     hb_log_entry_get_size    (HbLogEntry *self);
HbEncoding  hb_log_entry_get_encoding (HbLogEntry *self);
const HbChunkInfo *hb_log_entry_get_chunk_info (HbLogEntry *self);
/* What a read held, in words: "1 ack + 1 message", "3 bytes"...; NULL
 * in raw TCP. */
char       *hb_log_entry_dup_contents (HbLogEntry *self);
/* Why a read is worth a look, in plain words: several messages in one
 * read (粘包), or one message in several reads (拆包); NULL otherwise. */
char       *hb_log_entry_dup_note    (HbLogEntry *self);
const char *hb_log_kind_to_string    (HbLogKind   kind);

/* Writes @model's entries as CSV (RFC 4180) or JSON Lines. */
gboolean    hb_log_export            (GListModel  *model,
                                      GFile       *file,
                                      gboolean     json_lines,
                                      GError     **error);

G_END_DECLS
