/* hb-lab.h - the lab's unframed protocol and raw TCP: protocol choice, text in two encodings, a heartbeat found anywhere in a byte stream
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * HbProtocol:
 * @HB_PROTOCOL_LINE: "heartbeat-lab", this project's line protocol
 *   (WELCOME, PING/PONG, MSG...; docs/protocol.md)
 * @HB_PROTOCOL_LAB: "lab", the assignment's protocol: the server writes
 *   the bytes `heartbeat`, the client answers `heartbeat ack`, anything
 *   else is a message; no framing at all
 * @HB_PROTOCOL_RAW: "raw", plain TCP: no heartbeat, every chunk shown
 */
typedef enum
{
  HB_PROTOCOL_LINE,
  HB_PROTOCOL_LAB,
  HB_PROTOCOL_RAW,
} HbProtocol;

/* How the operator's text is ended on the wire, and how incoming text is
 * cut into messages: none (as in the lab), LF, or CR LF. */
typedef enum
{
  HB_LINE_ENDING_NONE,
  HB_LINE_ENDING_LF,
  HB_LINE_ENDING_CRLF,
} HbLineEnding;

/* The encoding of text on the wire: UTF-8, or GB18030 as programs on a
 * Chinese Windows send it. */
typedef enum
{
  HB_ENCODING_UTF8,
  HB_ENCODING_GB18030,
} HbEncoding;

#define HB_LAB_DEFAULT_HEARTBEAT  "heartbeat"
#define HB_LAB_DEFAULT_ACK        "heartbeat ack"
/* A heartbeat or ack is at most this many bytes. */
#define HB_LAB_MAX_PATTERN        256
/* Of one read, at most this many bytes are kept for showing (a log entry,
 * an event); the rest is counted, never stored. */
#define HB_CHUNK_SHOW_MAX         4096

const char *hb_protocol_to_string     (HbProtocol    protocol);
gboolean    hb_protocol_from_string   (const char   *str,
                                       HbProtocol   *protocol);
const char *hb_line_ending_to_string  (HbLineEnding  ending);
gboolean    hb_line_ending_from_string (const char  *str,
                                       HbLineEnding *ending);
const char *hb_encoding_to_string     (HbEncoding    encoding);
gboolean    hb_encoding_from_string   (const char   *str,
                                       HbEncoding   *encoding);

/* Bytes from hex digits: "68 65 61", "686561", "0x68,0x65" and
 * "68:65" all give "hea". Fails on an odd digit count or another
 * character. */
GBytes     *hb_bytes_from_hex         (const char   *hex,
                                       GError      **error);
/* Makes *@slot hold a reference to @bytes (NULL allowed), dropping the
 * one it held. */
void        hb_bytes_set              (GBytes      **slot,
                                       GBytes       *bytes);
/* A heartbeat or ack given as text or hex: checks it is 1 to
 * HB_LAB_MAX_PATTERN bytes. @what names it in the error ("the heartbeat
 * text"). Exactly one of @text and @hex may be non-NULL; both NULL gives
 * @fallback. */
GBytes     *hb_lab_pattern_new        (const char   *text,
                                       const char   *hex,
                                       const char   *fallback,
                                       const char   *what,
                                       GError      **error);

/* @data for a person: decoded from @encoding into UTF-8, with every byte
 * that does not decode written as \xNN, and every control character
 * (C0 but written as \n, \r, \t, \0 where it has a name, DEL, C1) and every
 * bidirectional or invisible format character (U+202E, U+200B, U+FEFF...)
 * written visibly, so that it can never act on a terminal or reorder the
 * text around it. A backslash is written \\. At most @max_bytes of @data
 * are shown; *@shown (may be NULL) tells how many were. */
char       *hb_bytes_to_display       (const guint8 *data,
                                       gsize         len,
                                       HbEncoding    encoding,
                                       gsize         max_bytes,
                                       gsize        *shown);
/* Valid UTF-8 @text safe for a terminal or a label: controls (but tab),
 * C1 and the invisible or bidirectional format characters written as
 * escapes (\x1b, <U+202E>), everything else as it is, backslashes
 * included, so that text already shown by hb_bytes_to_display() stays the
 * same. */
char       *hb_text_make_safe         (const char   *text);
/* "68 65 61 72 74", at most @max_bytes of @data. */
char       *hb_bytes_to_hex           (const guint8 *data,
                                       gsize         len,
                                       gsize         max_bytes);
/* UTF-8 @text in @encoding, followed by @ending. */
GBytes     *hb_text_encode            (const char   *text,
                                       gssize        len,
                                       HbEncoding    encoding,
                                       HbLineEnding  ending);

/**
 * HbScanner:
 * Finds a pattern (the heartbeat, or its ack) anywhere in a byte stream
 * that arrives in reads of any size, and hands over the stream as pieces:
 * the pattern, and the text between patterns (messages). A pattern split
 * across reads (`heart` + `beat ack`) is found; so is one glued to a
 * message (`heartbeat ack123`) and two in one read. The end of a read that
 * may be the start of a pattern is held back (at most the pattern's length
 * minus one byte) until the next read decides, or hb_scanner_flush().
 *
 * With a line ending other than none, text is also cut into messages at
 * each LF (a CR before it dropped), and a line ending right after a
 * pattern belongs to the pattern.
 */
typedef enum
{
  HB_PIECE_TEXT,
  HB_PIECE_PATTERN,
} HbPieceKind;

typedef enum
{
  HB_PIECE_BEGAN_EARLIER = 1 << 0,  /* its first bytes came in an earlier read */
  HB_PIECE_UNFINISHED    = 1 << 1,  /* text without its line ending: more follows */
} HbPieceFlags;

typedef struct
{
  HbPieceKind   kind;
  HbPieceFlags  flags;
  const guint8 *data;
  gsize         len;
} HbPiece;

/* What one read held, as the pieces it completed show it. */
typedef struct
{
  guint n_patterns;       /* heartbeats (or acks) completed by this read */
  guint n_messages;       /* other pieces completed or begun by this read */
  guint glued : 1;        /* two or more pieces in one read (粘包) */
  guint split : 1;        /* a piece began in an earlier read, or goes on in a later one (拆包) */
  guint held : 1;         /* the read ends with what may be the start of a pattern */
} HbChunkInfo;

/* An HbChunkInfo in 32 bits, for a timeline event; counts above 255 are
 * kept as 255. */
guint32     hb_chunk_info_pack        (const HbChunkInfo *info);
void        hb_chunk_info_unpack      (guint32            packed,
                                       HbChunkInfo       *info);

typedef void (*HbPieceFunc) (const HbPiece *piece,
                             gpointer       user_data);

typedef struct _HbScanner HbScanner;

HbScanner  *hb_scanner_new            (GBytes       *pattern,
                                       HbLineEnding  ending);
void        hb_scanner_free           (HbScanner    *scanner);
GBytes     *hb_scanner_get_pattern    (HbScanner    *scanner);
/* Scans one read; @func gets each piece it completes, in order. The
 * piece's bytes live only during the call. @info (may be NULL) is
 * filled with what the read held. */
void        hb_scanner_feed           (HbScanner    *scanner,
                                       const guint8 *data,
                                       gsize         len,
                                       HbPieceFunc   func,
                                       gpointer      user_data,
                                       HbChunkInfo  *info);
/* Bytes held back as the possible start of a pattern. */
gsize       hb_scanner_get_held       (HbScanner    *scanner);
/* Hands over what is held as text: no more bytes came to complete it. */
void        hb_scanner_flush          (HbScanner    *scanner,
                                       HbPieceFunc   func,
                                       gpointer      user_data);

/* Scans one complete payload for a pattern alone (no state): whether it
 * is nothing but one or more copies of @pattern, each possibly followed by
 * a line ending. For labelling captured segments. */
gboolean    hb_payload_is_pattern     (const guint8 *payload,
                                       gsize         len,
                                       const guint8 *pattern,
                                       gsize         pattern_len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbScanner, hb_scanner_free)

G_END_DECLS
