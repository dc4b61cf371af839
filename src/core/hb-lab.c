/* hb-lab.c - the lab's unframed protocol and raw TCP: protocol choice, text in two encodings, a heartbeat found anywhere in a byte stream
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The students' programs send `heartbeat` and `heartbeat ack` as raw bytes
 * with no framing, so TCP is free to cut and glue them: a heartbeat may
 * arrive glued to a broadcast in one read (`heartbeat456`), or an ack in
 * two reads (`heart` + `beat ack`). The scanner finds the pattern with a
 * KMP automaton whose state survives between reads: the bytes held back
 * at the end of a read are always a prefix of the pattern, so they need no
 * buffer of their own.
 */

#include "config.h"

#include <errno.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "hb-lab.h"

static const char * const protocol_names[] = {
  [HB_PROTOCOL_LINE] = "heartbeat-lab",
  [HB_PROTOCOL_LAB]  = "lab",
  [HB_PROTOCOL_RAW]  = "raw",
};

static const char * const line_ending_names[] = {
  [HB_LINE_ENDING_NONE] = "none",
  [HB_LINE_ENDING_LF]   = "lf",
  [HB_LINE_ENDING_CRLF] = "crlf",
};

static const char * const encoding_names[] = {
  [HB_ENCODING_UTF8]    = "utf-8",
  [HB_ENCODING_GB18030] = "gb18030",
};

static gboolean
name_lookup (const char * const *names,
             guint               n,
             const char         *str,
             guint              *value)
{
  for (guint i = 0; str != NULL && i < n; i++)
    if (g_ascii_strcasecmp (names[i], str) == 0)
      {
        if (value != NULL)
          *value = i;
        return TRUE;
      }
  return FALSE;
}

const char *
hb_protocol_to_string (HbProtocol protocol)
{
  g_return_val_if_fail ((guint) protocol < G_N_ELEMENTS (protocol_names), NULL);
  return protocol_names[protocol];
}

gboolean
hb_protocol_from_string (const char *str,
                         HbProtocol *protocol)
{
  guint v;

  if (!name_lookup (protocol_names, G_N_ELEMENTS (protocol_names), str, &v))
    return FALSE;
  if (protocol != NULL)
    *protocol = v;
  return TRUE;
}

const char *
hb_line_ending_to_string (HbLineEnding ending)
{
  g_return_val_if_fail ((guint) ending < G_N_ELEMENTS (line_ending_names), NULL);
  return line_ending_names[ending];
}

gboolean
hb_line_ending_from_string (const char   *str,
                            HbLineEnding *ending)
{
  guint v;

  if (!name_lookup (line_ending_names, G_N_ELEMENTS (line_ending_names), str, &v))
    return FALSE;
  if (ending != NULL)
    *ending = v;
  return TRUE;
}

const char *
hb_encoding_to_string (HbEncoding encoding)
{
  g_return_val_if_fail ((guint) encoding < G_N_ELEMENTS (encoding_names), NULL);
  return encoding_names[encoding];
}

gboolean
hb_encoding_from_string (const char *str,
                         HbEncoding *encoding)
{
  guint v;

  if (g_ascii_strcasecmp (str ? str : "", "utf8") == 0)
    v = HB_ENCODING_UTF8;
  else if (g_ascii_strcasecmp (str ? str : "", "gbk") == 0)
    v = HB_ENCODING_GB18030;  /* GB18030 is a superset of GBK */
  else if (!name_lookup (encoding_names, G_N_ELEMENTS (encoding_names), str, &v))
    return FALSE;
  if (encoding != NULL)
    *encoding = v;
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Bytes and text                                                          */

void
hb_bytes_set (GBytes **slot,
              GBytes  *bytes)
{
  if (bytes != NULL)
    g_bytes_ref (bytes);
  g_clear_pointer (slot, g_bytes_unref);
  *slot = bytes;
}

GBytes *
hb_bytes_from_hex (const char  *hex,
                   GError     **error)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  int high = -1;

  g_return_val_if_fail (hex != NULL, NULL);

  for (const char *p = hex; *p != '\0'; p++)
    {
      int v;

      if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && high < 0)
        {
          p++;
          continue;
        }
      if (*p == ' ' || *p == ':' || *p == ',' || *p == '-' || *p == '\t')
        {
          if (high >= 0)
            break;  /* a lone digit before a separator: reported below */
          continue;
        }
      v = g_ascii_xdigit_value (*p);
      if (v < 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("“%s” is not hexadecimal: “%c” is not a hex digit"), hex, *p);
          return NULL;
        }
      if (high < 0)
        high = v;
      else
        {
          guint8 b = (guint8) (high << 4 | v);

          g_byte_array_append (out, &b, 1);
          high = -1;
        }
    }
  if (high >= 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not hexadecimal: each byte takes two digits"), hex);
      return NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

GBytes *
hb_lab_pattern_new (const char  *text,
                    const char  *hex,
                    const char  *fallback,
                    const char  *what,
                    GError     **error)
{
  g_autoptr(GBytes) bytes = NULL;

  if (text != NULL && hex != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("%s is given both as text and as hex: choose one"), what);
      return NULL;
    }
  if (hex != NULL)
    {
      bytes = hb_bytes_from_hex (hex, error);
      if (bytes == NULL)
        return NULL;
    }
  else
    {
      const char *t = text != NULL ? text : fallback;

      bytes = g_bytes_new (t, strlen (t));
    }

  if (g_bytes_get_size (bytes) == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("%s is empty: it must be at least one byte"), what);
      return NULL;
    }
  if (g_bytes_get_size (bytes) > HB_LAB_MAX_PATTERN)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("%s is longer than %u bytes"), what, HB_LAB_MAX_PATTERN);
      return NULL;
    }
  return g_steal_pointer (&bytes);
}

/* Characters that would act rather than show: controls, and the format
 * characters that reorder or hide text (RLO, LRI, ZWSP, BOM...). */
static gboolean
needs_escape (gunichar c)
{
  GUnicodeType type;

  if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
    return TRUE;
  /* Every format character (bidirectional controls, zero-width ones, the
   * BOM, the soft hyphen, tag characters...), the line and paragraph
   * separators, and the interlinear annotation marks. */
  type = g_unichar_type (c);
  return type == G_UNICODE_FORMAT || type == G_UNICODE_LINE_SEPARATOR ||
         type == G_UNICODE_PARAGRAPH_SEPARATOR || (c >= 0xfff9 && c <= 0xfffb);
}

static void
append_char (GString  *out,
             gunichar  c,
             gboolean  backslash)
{
  if (c == '\\' && backslash)
    g_string_append (out, "\\\\");
  else if (!needs_escape (c))
    g_string_append_unichar (out, c);
  else if (c == '\n')
    g_string_append (out, "\\n");
  else if (c == '\r')
    g_string_append (out, "\\r");
  else if (c == '\t')
    g_string_append (out, "\\t");
  else if (c == 0)
    g_string_append (out, "\\0");
  else if (c < 0x80)
    g_string_append_printf (out, "\\x%02x", c);
  else
    g_string_append_printf (out, "<U+%04X>", c);
}

static void
append_utf8 (GString      *out,
             const guint8 *data,
             gsize         len)
{
  gsize i = 0;

  while (i < len)
    {
      gunichar c;

      /* GLib calls a NUL byte an incomplete character. */
      if (data[i] == 0)
        {
          g_string_append (out, "\\0");
          i++;
          continue;
        }
      c = g_utf8_get_char_validated ((const char *) data + i, len - i);
      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append_printf (out, "\\x%02x", data[i]);
          i++;
          continue;
        }
      append_char (out, c, TRUE);
      i = (const guint8 *) g_utf8_next_char (data + i) - data;
    }
}

static void
append_gb18030 (GString      *out,
                const guint8 *data,
                gsize         len)
{
  GIConv cd = g_iconv_open ("UTF-8", "GB18030");
  gsize i = 0;

  if (cd == (GIConv) -1)
    {
      append_utf8 (out, data, len);
      return;
    }

  while (i < len)
    {
      char buf[256];
      char *in = (char *) data + i;
      gsize in_left = len - i;
      char *o = buf;
      gsize o_left = sizeof buf;
      gsize r = g_iconv (cd, &in, &in_left, &o, &o_left);
      gsize consumed = (len - i) - in_left;

      append_utf8 (out, (const guint8 *) buf, o - buf);
      i += consumed;
      if (r == (gsize) -1 && errno != E2BIG)
        {
          /* EILSEQ, or EINVAL: a character cut off by the end of the read. */
          g_string_append_printf (out, "\\x%02x", data[i]);
          i++;
          g_iconv (cd, NULL, NULL, NULL, NULL);
        }
    }
  g_iconv_close (cd);
}

char *
hb_bytes_to_display (const guint8 *data,
                     gsize         len,
                     HbEncoding    encoding,
                     gsize         max_bytes,
                     gsize        *shown)
{
  GString *out;
  gsize n = MIN (len, max_bytes);

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  out = g_string_sized_new (n + 8);
  if (encoding == HB_ENCODING_GB18030)
    append_gb18030 (out, data, n);
  else
    append_utf8 (out, data, n);
  if (shown != NULL)
    *shown = n;
  return g_string_free (out, FALSE);
}

char *
hb_text_make_safe (const char *text)
{
  GString *out;

  g_return_val_if_fail (text != NULL, NULL);

  /* Fast path: most text needs nothing. */
  for (const char *p = text; ; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == 0)
        return g_strdup (text);
      if (needs_escape (c) && c != '\t')
        break;
    }
  out = g_string_sized_new (strlen (text) + 16);
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '\t')
        g_string_append_c (out, '\t');
      else
        append_char (out, c, FALSE);
    }
  return g_string_free (out, FALSE);
}

char *
hb_bytes_to_hex (const guint8 *data,
                 gsize         len,
                 gsize         max_bytes)
{
  gsize n = MIN (len, max_bytes);
  GString *out = g_string_sized_new (n * 3 + 1);

  for (gsize i = 0; i < n; i++)
    g_string_append_printf (out, i == 0 ? "%02x" : " %02x", data[i]);
  return g_string_free (out, FALSE);
}

GBytes *
hb_text_encode (const char   *text,
                gssize        len,
                HbEncoding    encoding,
                HbLineEnding  ending)
{
  GByteArray *out = g_byte_array_new ();

  g_return_val_if_fail (text != NULL, NULL);

  if (len < 0)
    len = strlen (text);
  if (encoding == HB_ENCODING_GB18030)
    {
      gsize written = 0;
      /* GB18030 encodes every Unicode character; only invalid UTF-8 can
       * fail, and that is sent as it is. */
      g_autofree char *converted = g_convert (text, len, "GB18030", "UTF-8", NULL, &written, NULL);

      if (converted != NULL)
        g_byte_array_append (out, (const guint8 *) converted, written);
      else
        g_byte_array_append (out, (const guint8 *) text, len);
    }
  else
    g_byte_array_append (out, (const guint8 *) text, len);

  if (ending == HB_LINE_ENDING_LF)
    g_byte_array_append (out, (const guint8 *) "\n", 1);
  else if (ending == HB_LINE_ENDING_CRLF)
    g_byte_array_append (out, (const guint8 *) "\r\n", 2);
  return g_byte_array_free_to_bytes (out);
}

/* ---------------------------------------------------------------------- */
/* The scanner                                                             */

guint32
hb_chunk_info_pack (const HbChunkInfo *info)
{
  return MIN (info->n_patterns, 255) | MIN (info->n_messages, 255) << 8 |
         (guint32) info->glued << 16 | (guint32) info->split << 17 | (guint32) info->held << 18;
}

void
hb_chunk_info_unpack (guint32      packed,
                      HbChunkInfo *info)
{
  memset (info, 0, sizeof *info);
  info->n_patterns = packed & 0xff;
  info->n_messages = (packed >> 8) & 0xff;
  info->glued = (packed >> 16) & 1;
  info->split = (packed >> 17) & 1;
  info->held = (packed >> 18) & 1;
}

struct _HbScanner
{
  GBytes       *pattern_bytes;
  const guint8 *pattern;
  gsize         m;
  guint16       fail[HB_LAB_MAX_PATTERN];
  gsize         q;              /* pattern bytes matched so far */
  /* What is held back: text not yet handed over, ending with the q bytes
   * that may begin a pattern. Short text is held with them, so that a
   * message like "oh" is not cut before its "h". */
  GByteArray   *tail;
  gboolean      tail_multi;     /* the tail holds bytes of two reads or more */
  HbLineEnding  ending;
  gboolean      mid_text;       /* the last read ended inside a line */
  gboolean      after_pattern;  /* a line ending here is the pattern's */
};

HbScanner *
hb_scanner_new (GBytes       *pattern,
                HbLineEnding  ending)
{
  HbScanner *self;
  gsize m;

  g_return_val_if_fail (pattern != NULL, NULL);
  m = g_bytes_get_size (pattern);
  g_return_val_if_fail (m > 0 && m <= HB_LAB_MAX_PATTERN, NULL);

  self = g_new0 (HbScanner, 1);
  self->pattern_bytes = g_bytes_ref (pattern);
  self->pattern = g_bytes_get_data (pattern, NULL);
  self->m = m;
  self->ending = ending;
  self->tail = g_byte_array_new ();

  /* KMP failure function: fail[i] is the length of the longest proper
   * prefix of pattern[0..i] that is also its suffix. */
  self->fail[0] = 0;
  for (gsize i = 1, k = 0; i < m; i++)
    {
      while (k > 0 && self->pattern[i] != self->pattern[k])
        k = self->fail[k - 1];
      if (self->pattern[i] == self->pattern[k])
        k++;
      self->fail[i] = (guint16) k;
    }
  return self;
}

void
hb_scanner_free (HbScanner *self)
{
  if (self == NULL)
    return;
  g_bytes_unref (self->pattern_bytes);
  g_byte_array_unref (self->tail);
  g_free (self);
}

GBytes *
hb_scanner_get_pattern (HbScanner *self)
{
  return self->pattern_bytes;
}

gsize
hb_scanner_get_held (HbScanner *self)
{
  return self->tail->len;
}

typedef struct
{
  HbScanner   *self;
  HbPieceFunc  func;
  gpointer     user_data;
  HbChunkInfo *info;
  guint        pieces;
} Emit;

static void
emit (Emit         *e,
      HbPieceKind   kind,
      HbPieceFlags  flags,
      const guint8 *data,
      gsize         len)
{
  HbPiece piece = { kind, flags, data, len };

  e->pieces++;
  if (e->info != NULL)
    {
      if (kind == HB_PIECE_PATTERN)
        e->info->n_patterns++;
      else
        e->info->n_messages++;
      if (flags & (HB_PIECE_BEGAN_EARLIER | HB_PIECE_UNFINISHED))
        e->info->split = TRUE;
    }
  e->func (&piece, e->user_data);
}

/* Text between patterns (or at the end of a read: @at_end). Without a
 * line ending it is one message; with one, it is cut at each LF, and the
 * rest at the end of a read is a line still unfinished. */
static void
emit_text (Emit         *e,
           const guint8 *data,
           gsize         len,
           gboolean      began_earlier,
           gboolean      at_end)
{
  HbScanner *self = e->self;
  gsize start = 0;

  if (len == 0)
    return;

  if (self->ending == HB_LINE_ENDING_NONE)
    {
      self->after_pattern = FALSE;
      emit (e, HB_PIECE_TEXT, began_earlier ? HB_PIECE_BEGAN_EARLIER : 0, data, len);
      return;
    }

  while (start < len)
    {
      const guint8 *lf = memchr (data + start, '\n', len - start);
      gsize end = lf ? (gsize) (lf - data) : len;
      gsize line_len = end - start;
      HbPieceFlags flags = 0;

      if ((start == 0 && began_earlier) || self->mid_text)
        flags |= HB_PIECE_BEGAN_EARLIER;

      if (lf == NULL)
        {
          /* No LF: unfinished at the end of a read; cut short by a
           * pattern otherwise, which ends it as a message. */
          if (self->after_pattern && line_len == 1 && data[start] == '\r' && at_end)
            {
              self->mid_text = FALSE;
              return;  /* the CR of the pattern's CR LF; its LF comes later */
            }
          self->after_pattern = FALSE;
          if (at_end)
            {
              flags |= HB_PIECE_UNFINISHED;
              self->mid_text = TRUE;
            }
          else
            self->mid_text = FALSE;
          emit (e, HB_PIECE_TEXT, flags, data + start, line_len);
          return;
        }

      if (line_len > 0 && data[end - 1] == '\r')
        line_len--;
      /* An empty line is a line ending alone: the one after a pattern, the
       * end of a line begun in an earlier read, or Enter pressed twice. */
      if (line_len > 0)
        emit (e, HB_PIECE_TEXT, flags, data + start, line_len);
      self->mid_text = FALSE;
      self->after_pattern = FALSE;
      start = end + 1;
    }
}

/* Text of the virtual stream tail ++ data, [from, to), handed over. */
static void
emit_range (Emit         *e,
            const guint8 *data,
            gsize         t,
            gsize         from,
            gsize         to,
            gboolean      at_end)
{
  HbScanner *self = e->self;

  if (to <= from)
    return;
  if (from >= t)
    emit_text (e, data + (from - t), to - from, FALSE, at_end);
  else if (to <= t)
    emit_text (e, self->tail->data + from, to - from, TRUE, at_end);
  else
    {
      g_autoptr(GByteArray) joined = g_byte_array_sized_new (to - from);

      g_byte_array_append (joined, self->tail->data + from, t - from);
      g_byte_array_append (joined, data, to - t);
      emit_text (e, joined->data, joined->len, TRUE, at_end);
    }
}

/* Text held with a possible pattern start is at most this long; longer
 * text is handed over at once and only the pattern's bytes are held. */
#define TAIL_TEXT_MAX 1024

void
hb_scanner_feed (HbScanner    *self,
                 const guint8 *data,
                 gsize         len,
                 HbPieceFunc   func,
                 gpointer      user_data,
                 HbChunkInfo  *info)
{
  Emit e = { self, func, user_data, info, 0 };
  /* Positions are in the virtual stream tail ++ data: the held bytes come
   * first, positions below t refer to them. */
  gsize t = self->tail->len;
  gsize total = t + len;
  gsize text_start = 0;
  gsize q = self->q;

  g_return_if_fail (data != NULL || len == 0);

  if (info != NULL)
    memset (info, 0, sizeof *info);

  for (gsize i = t; i < total; i++)
    {
      guint8 c = data[i - t];
      gsize s;

      while (q > 0 && self->pattern[q] != c)
        q = self->fail[q - 1];
      if (self->pattern[q] == c)
        q++;
      if (q < self->m)
        continue;

      /* A pattern ends at i: the text before it, then the pattern. */
      s = i + 1 - self->m;
      emit_range (&e, data, t, text_start, s, FALSE);
      self->mid_text = FALSE;
      emit (&e, HB_PIECE_PATTERN, s < t ? HB_PIECE_BEGAN_EARLIER : 0,
            self->pattern, self->m);
      self->after_pattern = self->ending != HB_LINE_ENDING_NONE;
      text_start = i + 1;
      q = 0;
    }

  /* The last q bytes may begin a pattern: they are held, with the text
   * before them when that is short; the rest is handed over now. */
  {
    gsize keep_from = total - q;
    g_autoptr(GByteArray) tail = NULL;

    if (q > 0 && keep_from - text_start <= TAIL_TEXT_MAX)
      keep_from = text_start;
    if (q == 0 || keep_from > text_start)
      emit_range (&e, data, t, text_start, keep_from, TRUE);

    tail = g_byte_array_sized_new (total - keep_from);
    if (keep_from < t)
      g_byte_array_append (tail, self->tail->data + keep_from, t - keep_from);
    if (total > MAX (keep_from, t))
      g_byte_array_append (tail, data + (MAX (keep_from, t) - t), total - MAX (keep_from, t));
    self->tail_multi = tail->len > 0 && keep_from < t;
    g_byte_array_set_size (self->tail, 0);
    g_byte_array_append (self->tail, tail->data, tail->len);
  }
  self->q = q;

  if (info != NULL)
    {
      info->glued = e.pieces >= 2;
      info->held = q > 0;
      if (q > 0 && len > 0)
        info->split = TRUE;
    }
}

void
hb_scanner_flush (HbScanner   *self,
                  HbPieceFunc  func,
                  gpointer     user_data)
{
  Emit e = { self, func, user_data, NULL, 0 };
  g_autoptr(GByteArray) tail = NULL;

  if (self->tail->len == 0)
    return;
  tail = g_steal_pointer (&self->tail);
  self->tail = g_byte_array_new ();
  self->q = 0;
  emit_text (&e, tail->data, tail->len, self->tail_multi, TRUE);
  self->tail_multi = FALSE;
}

gboolean
hb_payload_is_pattern (const guint8 *payload,
                       gsize         len,
                       const guint8 *pattern,
                       gsize         pattern_len)
{
  gsize i = 0;
  guint found = 0;

  if (payload == NULL || pattern == NULL || pattern_len == 0)
    return FALSE;

  while (i < len)
    {
      if (len - i < pattern_len || memcmp (payload + i, pattern, pattern_len) != 0)
        return FALSE;
      i += pattern_len;
      found++;
      if (i < len && payload[i] == '\r')
        i++;
      if (i < len && payload[i] == '\n')
        i++;
    }
  return found > 0;
}
