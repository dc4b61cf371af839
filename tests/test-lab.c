/* test-lab.c - tests of the lab's unframed protocol: the stream scanner, text in two encodings, hex
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "hb-lab.h"

/* What a scanner hands over, as a readable log: "P" for the pattern,
 * "T:text" for text, with "<" when a piece began in an earlier read and
 * ">" when it is unfinished; pieces separated by "|". */
static void
log_piece (const HbPiece *piece,
           gpointer       user_data)
{
  GString *log = user_data;

  if (log->len > 0)
    g_string_append_c (log, '|');
  if (piece->flags & HB_PIECE_BEGAN_EARLIER)
    g_string_append_c (log, '<');
  if (piece->kind == HB_PIECE_PATTERN)
    g_string_append_c (log, 'P');
  else
    {
      g_string_append (log, "T:");
      g_string_append_len (log, (const char *) piece->data, piece->len);
    }
  if (piece->flags & HB_PIECE_UNFINISHED)
    g_string_append_c (log, '>');
}

static HbScanner *
scanner_for (const char   *pattern,
             HbLineEnding  ending)
{
  g_autoptr(GBytes) bytes = g_bytes_new (pattern, strlen (pattern));

  return hb_scanner_new (bytes, ending);
}

/* Feeds @text as one read and returns the log of that read alone. */
static char *
feed (HbScanner   *scanner,
      const char  *text,
      HbChunkInfo *info)
{
  GString *log = g_string_new (NULL);

  hb_scanner_feed (scanner, (const guint8 *) text, strlen (text), log_piece, log, info);
  return g_string_free (log, FALSE);
}

static void
test_scanner_glued (void)
{
  g_autoptr(HbScanner) s = scanner_for ("heartbeat ack", HB_LINE_ENDING_NONE);
  HbChunkInfo info;
  g_autofree char *a = feed (s, "heartbeat ack123", &info);
  g_autofree char *b = NULL;

  /* The lab's 粘包: an ack and a message in one read are one ack and one
   * message. */
  g_assert_cmpstr (a, ==, "P|T:123");
  g_assert_cmpuint (info.n_patterns, ==, 1);
  g_assert_cmpuint (info.n_messages, ==, 1);
  g_assert_true (info.glued);
  g_assert_false (info.split);

  b = feed (s, "heartbeat ackheartbeat ack", &info);
  g_assert_cmpstr (b, ==, "P|P");
  g_assert_cmpuint (info.n_patterns, ==, 2);
  g_assert_true (info.glued);
}

static void
test_scanner_split (void)
{
  g_autoptr(HbScanner) s = scanner_for ("heartbeat ack", HB_LINE_ENDING_NONE);
  HbChunkInfo info;
  g_autofree char *a = feed (s, "heart", &info);
  g_autofree char *b = NULL;
  g_autofree char *c = NULL;
  g_autofree char *d = NULL;

  /* The lab's 拆包: nothing is handed over until the rest decides. */
  g_assert_cmpstr (a, ==, "");
  g_assert_true (info.held);
  g_assert_true (info.split);
  g_assert_cmpuint (hb_scanner_get_held (s), ==, 5);

  b = feed (s, "beat ack", &info);
  g_assert_cmpstr (b, ==, "<P");
  g_assert_cmpuint (info.n_patterns, ==, 1);
  g_assert_true (info.split);
  g_assert_false (info.glued);
  g_assert_cmpuint (hb_scanner_get_held (s), ==, 0);

  /* Held bytes that turn out to be text join the text that follows. */
  c = feed (s, "he", &info);
  g_assert_cmpstr (c, ==, "");
  d = feed (s, "llo", &info);
  g_assert_cmpstr (d, ==, "<T:hello");
}

static void
test_scanner_byte_by_byte (void)
{
  g_autoptr(HbScanner) s = scanner_for ("heartbeat ack", HB_LINE_ENDING_NONE);
  g_autoptr(GString) log = g_string_new (NULL);
  const char *stream = "12heartbeat ackheartbeat ack34heartbeat a";

  /* Any cut of the stream finds the same pieces. */
  for (gsize i = 0; stream[i] != '\0'; i++)
    hb_scanner_feed (s, (const guint8 *) stream + i, 1, log_piece, log, NULL);
  hb_scanner_flush (s, log_piece, log);
  g_assert_cmpstr (log->str, ==, "T:1|T:2|<P|<P|T:3|T:4|<T:heartbeat a");
}

static void
test_scanner_overlap (void)
{
  g_autoptr(HbScanner) s = scanner_for ("abab", HB_LINE_ENDING_NONE);
  g_autofree char *a = feed (s, "aba", NULL);
  g_autofree char *b = feed (s, "bab", NULL);
  g_autofree char *c = feed (s, "x", NULL);

  /* KMP falls back inside the held bytes without losing any. */
  g_assert_cmpstr (a, ==, "");
  g_assert_cmpstr (b, ==, "<P");
  g_assert_cmpstr (c, ==, "<T:abx");
}

static void
test_scanner_flush (void)
{
  g_autoptr(HbScanner) s = scanner_for ("heartbeat ack", HB_LINE_ENDING_NONE);
  g_autoptr(GString) log = g_string_new (NULL);
  g_autofree char *a = feed (s, "heartbeat", NULL);

  /* A client that echoes the heartbeat instead of acking it: held, as it
   * may be the start of an ack, until nothing more comes. */
  g_assert_cmpstr (a, ==, "");
  hb_scanner_flush (s, log_piece, log);
  g_assert_cmpstr (log->str, ==, "T:heartbeat");
  g_assert_cmpuint (hb_scanner_get_held (s), ==, 0);
}

static void
test_scanner_short_text_held (void)
{
  g_autoptr(HbScanner) s = scanner_for ("heartbeat ack", HB_LINE_ENDING_NONE);
  g_autoptr(GString) log = g_string_new (NULL);
  g_autofree char *a = feed (s, "oh", NULL);
  g_autofree char *b = feed (s, "heartbeat ack", NULL);
  g_autofree char *c = feed (s, "heh", NULL);

  /* A message that ends like the start of an ack is held whole, not cut
   * before its last letter. */
  g_assert_cmpstr (a, ==, "");
  g_assert_cmpstr (b, ==, "<T:oh|P");
  g_assert_cmpstr (c, ==, "");
  hb_scanner_flush (s, log_piece, log);
  g_assert_cmpstr (log->str, ==, "T:heh");
}

static void
test_scanner_lines (void)
{
  g_autoptr(HbScanner) s = scanner_for ("heartbeat ack", HB_LINE_ENDING_LF);
  HbChunkInfo info;
  g_autofree char *a = feed (s, "123\n456\r\nheartbeat ack\n78", &info);
  g_autofree char *b = feed (s, "9\n\n", &info);
  g_autofree char *c = feed (s, "heartbeat ack\r", &info);
  g_autofree char *d = feed (s, "\nx", &info);

  g_assert_cmpstr (a, ==, "T:123|T:456|P|T:78>");
  g_assert_cmpstr (b, ==, "<T:9");
  g_assert_cmpstr (c, ==, "P");
  g_assert_cmpstr (d, ==, "T:x>");
}

static void
test_scanner_long_stream (void)
{
  g_autoptr(HbScanner) s = scanner_for ("heartbeat ack", HB_LINE_ENDING_NONE);
  g_autofree guint8 *junk = g_malloc (65536);
  guint64 text_bytes = 0;
  HbChunkInfo info;

  /* 16 MiB and never the ack: each read is handed over at once, nothing
   * is kept but at most a pattern's length. */
  for (gsize i = 0; i < 65536; i++)
    junk[i] = (guint8) ("heartbeat acx"[i % 13]);
  for (guint r = 0; r < 256; r++)
    {
      g_autoptr(GString) log = g_string_new (NULL);

      hb_scanner_feed (s, junk, 65536, log_piece, log, &info);
      g_assert_cmpuint (info.n_patterns, ==, 0);
      g_assert_cmpuint (hb_scanner_get_held (s), <, 13);
      text_bytes += log->len;
    }
  g_assert_cmpuint (text_bytes, >, 255 * 65536);
}

static void
test_payload_is_pattern (void)
{
  const guint8 *hb = (const guint8 *) "heartbeat";

  g_assert_true (hb_payload_is_pattern ((const guint8 *) "heartbeat", 9, hb, 9));
  g_assert_true (hb_payload_is_pattern ((const guint8 *) "heartbeatheartbeat", 18, hb, 9));
  g_assert_true (hb_payload_is_pattern ((const guint8 *) "heartbeat\r\n", 11, hb, 9));
  g_assert_false (hb_payload_is_pattern ((const guint8 *) "heartbeat ack", 13, hb, 9));
  g_assert_false (hb_payload_is_pattern ((const guint8 *) "heartbeat456", 12, hb, 9));
  g_assert_false (hb_payload_is_pattern ((const guint8 *) "", 0, hb, 9));
}

static void
test_display (void)
{
  const guint8 nihao_gb[] = { 0xc4, 0xe3, 0xba, 0xc3 };
  gsize shown = 0, shown_e = 0;
  g_autofree char *a = hb_bytes_to_display ((const guint8 *) "ok\xff\x1b[2J\n\\", 9, HB_ENCODING_UTF8, 100, &shown);
  g_autofree char *b = hb_bytes_to_display ((const guint8 *) "abc\xe2\x80\xaetxt\xef\xbb\xbf\xc2\x9b", 14, HB_ENCODING_UTF8, 100, NULL);
  g_autofree char *c = hb_bytes_to_display (nihao_gb, 4, HB_ENCODING_GB18030, 100, NULL);
  g_autofree char *d = hb_bytes_to_display (nihao_gb, 3, HB_ENCODING_GB18030, 100, NULL);
  g_autofree char *e = hb_bytes_to_display ((const guint8 *) "heartbeat", 9, HB_ENCODING_UTF8, 5, &shown_e);
  g_autofree char *f = hb_bytes_to_hex ((const guint8 *) "hea\x00\xff", 5, 100);
  g_autofree char *g = hb_bytes_to_hex ((const guint8 *) "heartbeat", 9, 2);

  /* Nothing a peer sends can act on the screen it is shown on. */
  g_assert_cmpstr (a, ==, "ok\\xff\\x1b[2J\\n\\\\");
  g_assert_cmpuint (shown, ==, 9);
  g_assert_cmpstr (b, ==, "abc<U+202E>txt<U+FEFF><U+009B>");
  g_assert_cmpstr (c, ==, "\xe4\xbd\xa0\xe5\xa5\xbd");  /* 你好 */
  g_assert_cmpstr (d, ==, "\xe4\xbd\xa0\\xba");          /* cut inside 好 */
  g_assert_cmpstr (e, ==, "heart");
  g_assert_cmpuint (shown_e, ==, 5);
  g_assert_cmpstr (f, ==, "68 65 61 00 ff");
  g_assert_cmpstr (g, ==, "68 65");
}

static void
test_make_safe (void)
{
  g_autofree char *a = hb_text_make_safe ("plain \\ text\twith tab");
  g_autofree char *b = hb_text_make_safe ("\x1b[2J\x1b]0;t\x07\r\x1b[2Kserver: hi\x08\xc2\x9b");
  g_autofree char *c = hb_text_make_safe ("abc\xe2\x80\xaetxt");
  g_autofree char *d = hb_text_make_safe (b);

  /* What a peer sent can never act on the operator's terminal. */
  g_assert_cmpstr (a, ==, "plain \\ text\twith tab");
  g_assert_cmpstr (b, ==, "\\x1b[2J\\x1b]0;t\\x07\\r\\x1b[2Kserver: hi\\x08<U+009B>");
  g_assert_cmpstr (c, ==, "abc<U+202E>txt");
  {
    /* Every format character, not a list: tag characters, soft hyphen,
     * the invisible operators and the deprecated format controls. */
    g_autofree char *t = hb_text_make_safe ("a\xf3\xa0\x80\x81" "b\xc2\xad" "c\xe2\x81\xaa" "d\xe2\x80\xa8");
    g_autofree char *z = hb_bytes_to_display ((const guint8 *) "a\0b", 3, HB_ENCODING_UTF8, 10, NULL);

    g_assert_cmpstr (t, ==, "a<U+E0001>b<U+00AD>c<U+206A>d<U+2028>");
    g_assert_cmpstr (z, ==, "a\\0b");
  }
  g_assert_cmpstr (d, ==, b);  /* safe text stays the same */
}

static void
test_encode (void)
{
  g_autoptr(GBytes) a = hb_text_encode ("\xe4\xbd\xa0\xe5\xa5\xbd", -1, HB_ENCODING_GB18030, HB_LINE_ENDING_CRLF);
  g_autoptr(GBytes) b = hb_text_encode ("456", -1, HB_ENCODING_UTF8, HB_LINE_ENDING_NONE);
  g_autoptr(GBytes) c = hb_text_encode ("456", -1, HB_ENCODING_UTF8, HB_LINE_ENDING_LF);
  gsize len;
  const guint8 *p = g_bytes_get_data (a, &len);

  g_assert_cmpmem (p, len, "\xc4\xe3\xba\xc3\r\n", 6);
  p = g_bytes_get_data (b, &len);
  g_assert_cmpmem (p, len, "456", 3);
  p = g_bytes_get_data (c, &len);
  g_assert_cmpmem (p, len, "456\n", 4);
}

static void
test_hex_and_patterns (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) a = hb_bytes_from_hex ("68 65 61", NULL);
  g_autoptr(GBytes) b = hb_bytes_from_hex ("0x68,0x65:61", NULL);
  g_autoptr(GBytes) c = NULL;
  g_autoptr(GBytes) d = NULL;
  g_autoptr(GBytes) e = NULL;

  g_assert_cmpmem (g_bytes_get_data (a, NULL), g_bytes_get_size (a), "hea", 3);
  g_assert_cmpmem (g_bytes_get_data (b, NULL), g_bytes_get_size (b), "hea", 3);

  c = hb_bytes_from_hex ("686", &error);
  g_assert_null (c);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  c = hb_bytes_from_hex ("6g", &error);
  g_assert_null (c);
  g_assert_nonnull (strstr (error->message, "“g”"));
  g_clear_error (&error);

  /* An empty heartbeat could never be found in a stream: refused. */
  d = hb_lab_pattern_new ("", NULL, "heartbeat", "the heartbeat text", &error);
  g_assert_null (d);
  g_assert_nonnull (strstr (error->message, "the heartbeat text is empty"));
  g_clear_error (&error);
  d = hb_lab_pattern_new (NULL, "", "heartbeat", "the ack", &error);
  g_assert_null (d);
  g_clear_error (&error);
  d = hb_lab_pattern_new ("x", "78", "heartbeat", "the ack", &error);
  g_assert_null (d);
  g_clear_error (&error);

  e = hb_lab_pattern_new (NULL, NULL, HB_LAB_DEFAULT_ACK, "the ack", &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (e, NULL), g_bytes_get_size (e), "heartbeat ack", 13);
}

static void
test_names (void)
{
  HbProtocol p;
  HbLineEnding l;
  HbEncoding e;

  g_assert_true (hb_protocol_from_string ("lab", &p));
  g_assert_cmpint (p, ==, HB_PROTOCOL_LAB);
  g_assert_true (hb_protocol_from_string ("heartbeat-lab", &p));
  g_assert_cmpint (p, ==, HB_PROTOCOL_LINE);
  g_assert_false (hb_protocol_from_string ("http", &p));
  g_assert_cmpstr (hb_protocol_to_string (HB_PROTOCOL_RAW), ==, "raw");
  g_assert_true (hb_line_ending_from_string ("crlf", &l));
  g_assert_cmpint (l, ==, HB_LINE_ENDING_CRLF);
  g_assert_true (hb_encoding_from_string ("GBK", &e));
  g_assert_cmpint (e, ==, HB_ENCODING_GB18030);
  g_assert_false (hb_encoding_from_string ("latin1", &e));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/lab/scanner/glued", test_scanner_glued);
  g_test_add_func ("/core/lab/scanner/split", test_scanner_split);
  g_test_add_func ("/core/lab/scanner/byte-by-byte", test_scanner_byte_by_byte);
  g_test_add_func ("/core/lab/scanner/overlap", test_scanner_overlap);
  g_test_add_func ("/core/lab/scanner/flush", test_scanner_flush);
  g_test_add_func ("/core/lab/scanner/short-text-held", test_scanner_short_text_held);
  g_test_add_func ("/core/lab/scanner/lines", test_scanner_lines);
  g_test_add_func ("/core/lab/scanner/long-stream", test_scanner_long_stream);
  g_test_add_func ("/core/lab/payload-is-pattern", test_payload_is_pattern);
  g_test_add_func ("/core/lab/display", test_display);
  g_test_add_func ("/core/lab/encode", test_encode);
  g_test_add_func ("/core/lab/make-safe", test_make_safe);
  g_test_add_func ("/core/lab/hex-and-patterns", test_hex_and_patterns);
  g_test_add_func ("/core/lab/names", test_names);

  return g_test_run ();
}
