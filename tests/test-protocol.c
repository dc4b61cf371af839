/* test-protocol.c - tests of the line protocol: framing, parsing, checks, formatting
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib.h>

#include "hb-protocol.h"

/* UTF-8 samples: a 2-, a 3- and a 4-byte character. */
#define E_ACUTE  "\xc3\xa9"          /* é */
#define EURO     "\xe2\x82\xac"      /* € */
#define G_CLEF   "\xf0\x9d\x84\x9e"  /* 𝄞 */
#define ZHONG    "\xe4\xb8\xad"      /* 中 */

/* Framing: a collector records what a reader delivers as a readable log,
 * one entry per line: "L:<line with \r and bytes outside ASCII escaped>"
 * or "OVERLONG". */

typedef struct
{
  GString    *log;
  guint       n_lines;
  guint       n_overlong;
  guint       stop_at_line;     /* return FALSE from this line on; 0 = never */
  gboolean    stop_on_overlong;
  const char *data;             /* the bytes of the feed in progress */
  gsize       data_len;
  guint       n_in_data;        /* lines that pointed into @data */
} Collector;

static void
collector_init (Collector *c)
{
  memset (c, 0, sizeof *c);
  c->log = g_string_new (NULL);
}

static void
collector_clear (Collector *c)
{
  g_string_free (c->log, TRUE);
}

static void
log_escaped (GString    *log,
             const char *line,
             gsize       len)
{
  for (gsize i = 0; i < len; i++)
    {
      guchar b = (guchar) line[i];

      if (b == '\\')
        g_string_append (log, "\\\\");
      else if (b == '\r')
        g_string_append (log, "\\r");
      else if (b < 0x20 || b >= 0x7f)
        g_string_append_printf (log, "\\x%02x", b);
      else
        g_string_append_c (log, b);
    }
}

static gboolean
collect_line (const char *line,
              gsize       len,
              gpointer    user_data)
{
  Collector *c = user_data;

  g_assert_nonnull (line);
  c->n_lines++;
  if (c->data != NULL && line >= c->data && line + len <= c->data + c->data_len)
    c->n_in_data++;
  if (c->log->len > 0)
    g_string_append_c (c->log, '|');
  g_string_append (c->log, "L:");
  log_escaped (c->log, line, len);

  return c->stop_at_line == 0 || c->n_lines < c->stop_at_line;
}

static gboolean
collect_overlong (gpointer user_data)
{
  Collector *c = user_data;

  c->n_overlong++;
  if (c->log->len > 0)
    g_string_append_c (c->log, '|');
  g_string_append (c->log, "OVERLONG");

  return !c->stop_on_overlong;
}

/* Feeds a private copy of exactly @len bytes, so that AddressSanitizer
 * catches any read outside of them. */
static gboolean
feed (HbLineReader *reader,
      Collector    *c,
      const char   *data,
      gsize         len)
{
  g_autofree char *copy = g_memdup2 (data, len);
  gboolean ret;

  c->data = copy;
  c->data_len = len;
  ret = hb_line_reader_feed (reader, copy, len, collect_line, collect_overlong, c);
  c->data = NULL;
  c->data_len = 0;

  /* Whatever happens, the reader holds less than one maximal line. */
  g_assert_cmpuint (hb_line_reader_get_pending (reader), <,
                    hb_line_reader_get_max_line (reader));
  return ret;
}

static void
feed_str (HbLineReader *reader,
          Collector    *c,
          const char   *str)
{
  g_assert_true (feed (reader, c, str, strlen (str)));
}

/* The log of one whole-buffer feed of @input, after which @pending bytes
 * must be left unfinished. */
static void
assert_frames (gsize       max_line,
               const char *input,
               gsize       input_len,
               const char *expected,
               gsize       pending)
{
  g_autoptr(HbLineReader) reader = hb_line_reader_new (max_line);
  Collector c;

  collector_init (&c);
  g_assert_true (feed (reader, &c, input, input_len));
  g_assert_cmpstr (c.log->str, ==, expected);
  g_assert_cmpuint (hb_line_reader_get_pending (reader), ==, pending);
  collector_clear (&c);
}

static void
test_framing_basic (void)
{
  const char *input = "PING 1\nMSG hello\n\nBYE\n";

  assert_frames (64, input, strlen (input),
                 "L:PING 1|L:MSG hello|L:|L:BYE", 0);
  assert_frames (64, "no newline yet", 14, "", 14);
  assert_frames (64, "MSG a\nMSG b", 11, "L:MSG a", 5);
}

static void
test_framing_zero_copy (void)
{
  g_autoptr(HbLineReader) reader = hb_line_reader_new (64);
  Collector c;

  collector_init (&c);

  /* Nothing pending: complete lines come straight from the caller's bytes. */
  feed_str (reader, &c, "PING 1\nPING 2\nPIN");
  g_assert_cmpuint (c.n_lines, ==, 2);
  g_assert_cmpuint (c.n_in_data, ==, 2);
  g_assert_cmpuint (hb_line_reader_get_pending (reader), ==, 3);

  /* The line begun earlier is joined in the reader's buffer; the next one
   * again points into the read. */
  feed_str (reader, &c, "G 3\nPING 4\n");
  g_assert_cmpstr (c.log->str, ==, "L:PING 1|L:PING 2|L:PING 3|L:PING 4");
  g_assert_cmpuint (c.n_in_data, ==, 3);
  g_assert_cmpuint (hb_line_reader_get_pending (reader), ==, 0);

  collector_clear (&c);
}

/* Feeds @input cut at every position (two pieces), at every pair of
 * positions (three pieces) and one byte at a time, and checks that each
 * way gives @expected. */
static void
assert_every_split (gsize       max_line,
                    const char *input,
                    const char *expected,
                    gsize       pending)
{
  gsize len = strlen (input);

  assert_frames (max_line, input, len, expected, pending);

  for (gsize i = 0; i <= len; i++)
    {
      for (gsize j = i; j <= len; j++)
        {
          g_autoptr(HbLineReader) reader = hb_line_reader_new (max_line);
          Collector c;

          collector_init (&c);
          g_assert_true (feed (reader, &c, input, i));
          g_assert_true (feed (reader, &c, input + i, j - i));
          g_assert_true (feed (reader, &c, input + j, len - j));
          if (g_strcmp0 (c.log->str, expected) != 0)
            g_test_message ("split at %" G_GSIZE_FORMAT " and %" G_GSIZE_FORMAT,
                            i, j);
          g_assert_cmpstr (c.log->str, ==, expected);
          g_assert_cmpuint (hb_line_reader_get_pending (reader), ==, pending);
          collector_clear (&c);
        }
    }

  {
    g_autoptr(HbLineReader) reader = hb_line_reader_new (max_line);
    Collector c;

    collector_init (&c);
    for (gsize i = 0; i < len; i++)
      g_assert_true (feed (reader, &c, input + i, 1));
    g_assert_cmpstr (c.log->str, ==, expected);
    g_assert_cmpuint (hb_line_reader_get_pending (reader), ==, pending);
    collector_clear (&c);
  }
}

static void
test_framing_every_split (void)
{
  assert_every_split (64,
                      "PING 1\r\n"
                      "MSG caf" E_ACUTE " " EURO " " G_CLEF "\n"
                      "\r\n"
                      "\n"
                      "MSG a\rb\r\n"
                      "BYE\n"
                      "MSG tail " EURO,
                      "L:PING 1"
                      "|L:MSG caf\\xc3\\xa9 \\xe2\\x82\\xac \\xf0\\x9d\\x84\\x9e"
                      "|L:"
                      "|L:"
                      "|L:MSG a\\rb"
                      "|L:BYE",
                      strlen ("MSG tail " EURO));
}

static void
test_framing_every_split_overlong (void)
{
  /* With max_line 12 a line may hold 11 bytes before its LF, CR included:
   * the first line just fits. The second is 12 bytes with its CR and the
   * fourth much longer: each is reported once, in its place, however the
   * bytes arrive. */
  assert_every_split (12,
                      "MSG " EURO EURO "\r\n"
                      "MSG 1234567\r\n"
                      "MSG ok\n"
                      "MSG " G_CLEF G_CLEF G_CLEF G_CLEF G_CLEF G_CLEF "\n"
                      "BYE\r\n",
                      "L:MSG \\xe2\\x82\\xac\\xe2\\x82\\xac"
                      "|OVERLONG"
                      "|L:MSG ok"
                      "|OVERLONG"
                      "|L:BYE",
                      0);
}

static void
test_framing_crlf_split (void)
{
  g_autoptr(HbLineReader) reader = hb_line_reader_new (64);
  Collector c;

  collector_init (&c);
  feed_str (reader, &c, "PONG 7\r");
  g_assert_cmpuint (c.n_lines, ==, 0);
  feed_str (reader, &c, "\n");
  g_assert_cmpstr (c.log->str, ==, "L:PONG 7");
  collector_clear (&c);
}

static void
test_framing_cr (void)
{
  /* Only the one CR right before the LF goes; any other CR is content. */
  assert_frames (64, "MSG a\rb\n", 8, "L:MSG a\\rb", 0);
  assert_frames (64, "MSG a\r\r\n", 8, "L:MSG a\\r", 0);
  assert_frames (64, "\rMSG\n", 5, "L:\\rMSG", 0);
  assert_frames (64, "\r\n", 2, "L:", 0);
  assert_frames (64, "\r\r\n", 3, "L:\\r", 0);
  /* A CR without an LF ends nothing. */
  assert_frames (64, "MSG a\rMSG b\r", 12, "", 12);
}

static void
test_framing_max_length (void)
{
  /* max_line 8 counts the LF: 7 bytes of line (CR included) fit. */
  assert_frames (8, "1234567\n", 8, "L:1234567", 0);
  assert_frames (8, "123456\r\n", 8, "L:123456", 0);
  assert_frames (8, "12345678\nMSG ok\n", 16, "OVERLONG|L:MSG ok", 0);
  assert_frames (8, "1234567\r\nMSG ok\n", 16, "OVERLONG|L:MSG ok", 0);
  assert_frames (8, "\n", 1, "L:", 0);

  /* The smallest reader takes empty lines only. */
  assert_frames (1, "\n\nx\n\n", 5, "L:|L:|OVERLONG|L:", 0);
}

static void
test_framing_max_length_default (void)
{
  g_autoptr(HbLineReader) reader = hb_line_reader_new (HB_DEFAULT_MAX_LINE);
  g_autoptr(HbLineReader) zero = hb_line_reader_new (0);
  g_autofree char *fits = g_strnfill (HB_DEFAULT_MAX_LINE - 1, 'a');
  g_autofree char *too_long = g_strnfill (HB_DEFAULT_MAX_LINE, 'a');
  Collector c;

  g_assert_cmpuint (HB_DEFAULT_MAX_LINE, ==, 1024);
  g_assert_cmpuint (hb_line_reader_get_max_line (reader), ==, 1024);
  g_assert_cmpuint (hb_line_reader_get_max_line (zero), ==, 1024);

  collector_init (&c);
  feed_str (reader, &c, fits);
  feed_str (reader, &c, "\n");
  g_assert_cmpuint (c.n_lines, ==, 1);
  g_assert_cmpuint (c.n_overlong, ==, 0);

  feed_str (reader, &c, too_long);
  g_assert_cmpuint (c.n_overlong, ==, 1);
  feed_str (reader, &c, "\nMSG after\n");
  g_assert_cmpuint (c.n_lines, ==, 2);
  g_assert_cmpuint (c.n_overlong, ==, 1);
  g_assert_true (g_str_has_suffix (c.log->str, "|OVERLONG|L:MSG after"));
  collector_clear (&c);
}

static void
test_framing_overlong_immediate (void)
{
  g_autoptr(HbLineReader) reader = hb_line_reader_new (8);
  Collector c;

  collector_init (&c);
  feed_str (reader, &c, "MSG 123");
  g_assert_cmpuint (hb_line_reader_get_pending (reader), ==, 7);
  g_assert_cmpuint (c.n_overlong, ==, 0);

  /* The 8th byte without an LF: known too long before any LF arrives. */
  feed_str (reader, &c, "4");
  g_assert_cmpuint (c.n_overlong, ==, 1);
  g_assert_cmpuint (hb_line_reader_get_pending (reader), ==, 0);

  feed_str (reader, &c, "5678\r");
  feed_str (reader, &c, "\nMSG ok\n");
  g_assert_cmpstr (c.log->str, ==, "OVERLONG|L:MSG ok");
  collector_clear (&c);
}

static void
test_framing_overlong_many_feeds (void)
{
  g_autoptr(HbLineReader) reader = hb_line_reader_new (HB_DEFAULT_MAX_LINE);
  g_autofree char *chunk = g_strnfill (1000, 'x');
  Collector c;

  collector_init (&c);
  for (guint i = 0; i < 5000; i++)
    {
      g_assert_true (feed (reader, &c, chunk, 1000));
      g_assert_cmpuint (c.n_overlong, ==, i == 0 ? 0 : 1);
    }
  g_assert_cmpuint (c.n_lines, ==, 0);

  /* The rest of the long line, its end and two good lines in one read. */
  feed_str (reader, &c, "yyyy\r\nPONG 1\nPONG 2\n");
  g_assert_cmpstr (c.log->str, ==, "OVERLONG|L:PONG 1|L:PONG 2");
  g_assert_cmpuint (hb_line_reader_get_pending (reader), ==, 0);

  /* A second overlong line is a new one, and reported again. */
  for (guint i = 0; i < 3; i++)
    g_assert_true (feed (reader, &c, chunk, 1000));
  feed_str (reader, &c, "\nBYE\n");
  g_assert_cmpstr (c.log->str, ==, "OVERLONG|L:PONG 1|L:PONG 2|OVERLONG|L:BYE");
  collector_clear (&c);
}

static void
test_framing_overlong_no_func (void)
{
  g_autoptr(HbLineReader) reader = hb_line_reader_new (8);
  Collector c;

  collector_init (&c);
  g_assert_true (hb_line_reader_feed (reader, "far too long\nMSG ok\n", 20,
                                      collect_line, NULL, &c));
  g_assert_cmpstr (c.log->str, ==, "L:MSG ok");
  collector_clear (&c);
}

static void
test_framing_stop_from_line (void)
{
  g_autoptr(HbLineReader) reader = hb_line_reader_new (64);
  Collector c;

  collector_init (&c);
  c.stop_at_line = 2;
  g_assert_false (feed (reader, &c, "PING 1\nPING 2\nPING 3\nPING", 25));
  g_assert_cmpstr (c.log->str, ==, "L:PING 1|L:PING 2");
  g_assert_cmpuint (c.n_lines, ==, 2);
  collector_clear (&c);
}

static void
test_framing_stop_from_line_buffered (void)
{
  g_autoptr(HbLineReader) reader = hb_line_reader_new (64);
  Collector c;

  collector_init (&c);
  c.stop_at_line = 1;
  feed_str (reader, &c, "PIN");
  g_assert_false (feed (reader, &c, "G 1\nPING 2\n", 11));
  g_assert_cmpstr (c.log->str, ==, "L:PING 1");
  collector_clear (&c);
}

static void
test_framing_stop_from_overlong (void)
{
  g_autoptr(HbLineReader) reader = hb_line_reader_new (8);
  Collector c;

  collector_init (&c);
  c.stop_on_overlong = TRUE;
  g_assert_false (feed (reader, &c, "MSG 1\nMSG far too long\nMSG 2\n", 29));
  g_assert_cmpstr (c.log->str, ==, "L:MSG 1|OVERLONG");
  collector_clear (&c);
}

static void
test_framing_nul_bytes (void)
{
  /* Framing is byte-based; refusing NUL is hb_message_parse()'s job. */
  assert_frames (64, "MSG a\0b\nBYE\n", 12, "L:MSG a\\x00b|L:BYE", 0);
}

/* Parsing */

static HbMessage
parse_ok (const char *line)
{
  HbMessage msg;
  HbErrCode code = HB_ERR_RATE_LIMITED;

  if (!hb_message_parse (line, strlen (line), &msg, &code))
    g_error ("\"%s\" did not parse: %s", line, hb_err_code_to_string (code));
  return msg;
}

static void
assert_parse_fails (const char *line,
                    gsize       len,
                    HbErrCode   expected)
{
  HbMessage msg;
  HbErrCode code = HB_ERR_RATE_LIMITED;

  g_assert_false (hb_message_parse (line, len, &msg, &code));
  g_assert_cmpstr (hb_err_code_to_string (code), ==,
                   hb_err_code_to_string (expected));
}

static void
assert_args (const HbMessage *msg,
             const char      *args)
{
  g_assert_true (msg->has_args);
  g_assert_cmpmem (msg->args, msg->args_len, args, strlen (args));
}

static void
test_parse_known_verbs (void)
{
  static const struct
  {
    const char *line;
    HbVerb      verb;
  } cases[] = {
    { "WELCOME 1 10000 30000", HB_VERB_WELCOME },
    { "PING 1", HB_VERB_PING },
    { "PONG 1", HB_VERB_PONG },
    { "MSG hi", HB_VERB_MSG },
    { "BCAST hi", HB_VERB_BCAST },
    { "RELAY bob hi", HB_VERB_RELAY },
    { "ERR bad-args no", HB_VERB_ERR },
    { "BYE", HB_VERB_BYE },
    { "HELLO bob", HB_VERB_HELLO },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      HbMessage msg = parse_ok (cases[i].line);

      g_assert_cmpint (msg.verb, ==, cases[i].verb);
      g_assert_cmpmem (msg.verb_str, msg.verb_len,
                       hb_verb_to_string (cases[i].verb),
                       strlen (hb_verb_to_string (cases[i].verb)));
      g_assert_true (msg.verb_str == cases[i].line);
    }
}

static void
test_parse_unknown_verb (void)
{
  HbMessage msg;

  /* Well formed but not ours: parses, and the caller answers. */
  msg = parse_ok ("FOO bar");
  g_assert_cmpint (msg.verb, ==, HB_VERB_UNKNOWN);
  g_assert_cmpmem (msg.verb_str, msg.verb_len, "FOO", 3);
  assert_args (&msg, "bar");

  msg = parse_ok ("UNKNOWN");
  g_assert_cmpint (msg.verb, ==, HB_VERB_UNKNOWN);

  msg = parse_ok ("PINGPONGPINGPONG");  /* 16 letters: the longest verb */
  g_assert_cmpint (msg.verb, ==, HB_VERB_UNKNOWN);
  g_assert_cmpuint (msg.verb_len, ==, 16);

  /* Prefixes and extensions of known verbs are other verbs. */
  g_assert_cmpint (parse_ok ("PIN 1").verb, ==, HB_VERB_UNKNOWN);
  g_assert_cmpint (parse_ok ("PINGS 1").verb, ==, HB_VERB_UNKNOWN);
}

static void
test_parse_malformed_verb (void)
{
  static const char * const lines[] = {
    "",
    " ",
    " MSG hi",
    "msg hi",
    "Msg hi",
    "MSg",
    "PING1",
    "M5G hi",
    "MSG\thi",
    "MSG\rhi",
    "MSG-X",
    EURO,
    "PINGPONGPINGPONGX",      /* 17 letters */
    "PINGPONGPINGPONGX hi",
  };

  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    assert_parse_fails (lines[i], strlen (lines[i]), HB_ERR_UNKNOWN_VERB);
}

static void
test_parse_bad_utf8 (void)
{
  static const struct
  {
    const char *line;
    gsize       len;
  } cases[] = {
    { "MSG \xff", 5 },
    { "MSG caf\xc3", 8 },                 /* cut after a lead byte */
    { "MSG \xe2\x82", 6 },                /* a 3-byte character cut short */
    { "MSG \xc0\xaf", 6 },                /* overlong encoding of '/' */
    { "MSG \xed\xa0\x80", 7 },            /* a UTF-16 surrogate */
    { "MSG \xf4\x90\x80\x80", 8 },        /* beyond U+10FFFF */
    { "MSG a\0b", 7 },                    /* NUL counts as bad UTF-8 */
    { "\0", 1 },
    { "msg \xff", 6 },                    /* UTF-8 is checked first */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_parse_fails (cases[i].line, cases[i].len, HB_ERR_BAD_UTF8);
}

static void
test_parse_args (void)
{
  HbMessage msg;
  const char *line;

  /* No separator: no arguments, and args is an empty string. */
  line = "BYE";
  msg = parse_ok (line);
  g_assert_false (msg.has_args);
  g_assert_cmpuint (msg.args_len, ==, 0);
  g_assert_nonnull (msg.args);
  g_assert_true (msg.args == line + 3);

  /* A separator with nothing after it: present but empty. */
  msg = parse_ok ("MSG ");
  g_assert_true (msg.has_args);
  g_assert_cmpuint (msg.args_len, ==, 0);

  /* Byte for byte: only the single separating space goes. */
  msg = parse_ok ("MSG  two  spaces  ");
  assert_args (&msg, " two  spaces  ");
  msg = parse_ok ("MSG \tx");
  assert_args (&msg, "\tx");
  msg = parse_ok ("MSG caf" E_ACUTE " " G_CLEF);
  assert_args (&msg, "caf" E_ACUTE " " G_CLEF);

  /* The line need not be NUL-terminated: only len bytes count. */
  msg = (HbMessage) { 0 };
  g_assert_true (hb_message_parse ("PONG 12XYZ", 7, &msg, NULL));
  g_assert_cmpint (msg.verb, ==, HB_VERB_PONG);
  assert_args (&msg, "12");
}

/* Client → server checks. */

typedef enum
{
  CHECK_OK,
  CHECK_BAD_ARGS,
  CHECK_NOT_ALLOWED,
} CheckResult;

static CheckResult
check_line (const char *line,
            gboolean    from_client)
{
  HbMessage msg = parse_ok (line);
  const char *problem = "untouched";
  gboolean ok;

  if (from_client)
    ok = hb_message_check_from_client (&msg, &problem);
  else
    ok = hb_message_check_from_server (&msg, &problem);

  if (ok)
    {
      g_assert_null (problem);
      return CHECK_OK;
    }
  if (problem == NULL)
    return CHECK_NOT_ALLOWED;

  /* A reason a person can read, naming the verb it is about. */
  g_assert_true (g_str_has_prefix (problem, hb_verb_to_string (msg.verb)));
  g_assert_null (strchr (problem, '\n'));
  return CHECK_BAD_ARGS;
}

#define assert_client(line, result) \
  g_assert_cmpint (check_line ((line), TRUE), ==, (result))
#define assert_server(line, result) \
  g_assert_cmpint (check_line ((line), FALSE), ==, (result))

static char *
repeat (const char *unit,
        guint       n)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    g_string_append (s, unit);
  return g_string_free (s, FALSE);
}

static void
test_client_hello (void)
{
  g_autofree char *ascii32 = repeat ("a", 32);
  g_autofree char *ascii33 = repeat ("a", 33);
  g_autofree char *zh32 = repeat (ZHONG, 32);
  g_autofree char *zh33 = repeat (ZHONG, 33);
  g_autofree char *clef32 = repeat (G_CLEF, 32);
  g_autofree char *clef33 = repeat (G_CLEF, 33);
  g_autofree char *line = NULL;

  assert_client ("HELLO alice", CHECK_OK);
  assert_client ("HELLO caf" E_ACUTE, CHECK_OK);

#define HELLO_CASE(name, result) \
  g_free (line); \
  line = g_strconcat ("HELLO ", (name), NULL); \
  assert_client (line, (result))

  /* Characters are counted, not bytes. */
  HELLO_CASE (ascii32, CHECK_OK);
  HELLO_CASE (ascii33, CHECK_BAD_ARGS);
  HELLO_CASE (zh32, CHECK_OK);
  HELLO_CASE (zh33, CHECK_BAD_ARGS);
  HELLO_CASE (clef32, CHECK_OK);
  HELLO_CASE (clef33, CHECK_BAD_ARGS);
#undef HELLO_CASE

  assert_client ("HELLO", CHECK_BAD_ARGS);
  assert_client ("HELLO ", CHECK_BAD_ARGS);
  assert_client ("HELLO a b", CHECK_BAD_ARGS);
  assert_client ("HELLO  alice", CHECK_BAD_ARGS);
  assert_client ("HELLO alice ", CHECK_BAD_ARGS);
  assert_client ("HELLO a\tb", CHECK_BAD_ARGS);
  assert_client ("HELLO a\rb", CHECK_BAD_ARGS);
  assert_client ("HELLO a\x7f", CHECK_BAD_ARGS);
  assert_client ("HELLO a\xc2\x85", CHECK_BAD_ARGS);       /* U+0085, a C1 control */
  assert_client ("HELLO a\xe3\x80\x80" "b", CHECK_BAD_ARGS); /* U+3000 ideographic space */
  assert_client ("HELLO a\xc2\xa0" "b", CHECK_BAD_ARGS);   /* U+00A0 no-break space */
}

static void
test_client_name_is_valid (void)
{
  g_assert_true (hb_name_is_valid ("bob", 3));
  g_assert_false (hb_name_is_valid ("", 0));
  g_assert_false (hb_name_is_valid (NULL, 0));
  /* Called outside of a parsed line, it checks UTF-8 itself. */
  g_assert_false (hb_name_is_valid ("b\xffo", 3));
  g_assert_false (hb_name_is_valid ("b\0b", 3));
  /* Only len bytes count. */
  g_assert_true (hb_name_is_valid ("bob alice", 3));
}

static void
test_client_pong (void)
{
  guint64 value = 0;

  assert_client ("PONG 3", CHECK_OK);
  assert_client ("PONG 0", CHECK_OK);
  assert_client ("PONG 18446744073709551615", CHECK_OK);
  assert_client ("PONG 00000000000000000042", CHECK_OK);     /* 20 digits */

  assert_client ("PONG 18446744073709551616", CHECK_BAD_ARGS); /* overflow */
  assert_client ("PONG 99999999999999999999", CHECK_BAD_ARGS);
  assert_client ("PONG 000000000000000000042", CHECK_BAD_ARGS); /* 21 digits */
  assert_client ("PONG abc", CHECK_BAD_ARGS);
  assert_client ("PONG 3a", CHECK_BAD_ARGS);
  assert_client ("PONG -1", CHECK_BAD_ARGS);
  assert_client ("PONG +1", CHECK_BAD_ARGS);
  assert_client ("PONG  1", CHECK_BAD_ARGS);
  assert_client ("PONG 1 ", CHECK_BAD_ARGS);
  assert_client ("PONG 1 2", CHECK_BAD_ARGS);
  assert_client ("PONG 0x10", CHECK_BAD_ARGS);
  assert_client ("PONG \xd9\xa3", CHECK_BAD_ARGS);           /* Arabic-Indic 3 */
  assert_client ("PONG ", CHECK_BAD_ARGS);
  assert_client ("PONG", CHECK_BAD_ARGS);

  g_assert_true (hb_parse_uint64 ("18446744073709551615", 20, &value));
  g_assert_cmpuint (value, ==, G_MAXUINT64);
  g_assert_true (hb_parse_uint64 ("12345", 3, &value));
  g_assert_cmpuint (value, ==, 123);
  value = 7;
  g_assert_false (hb_parse_uint64 ("18446744073709551616", 20, &value));
  g_assert_cmpuint (value, ==, 7);
}

static void
test_client_ping (void)
{
  g_autofree char *token64 = repeat ("t", 64);
  g_autofree char *token65 = repeat ("t", 65);
  g_autofree char *zh64 = repeat (ZHONG, 64);
  g_autofree char *line = NULL;

  assert_client ("PING abc", CHECK_OK);
  assert_client ("PING 1", CHECK_OK);
  assert_client ("PING a-b_c.d:" EURO, CHECK_OK);

  line = g_strconcat ("PING ", token64, NULL);
  assert_client (line, CHECK_OK);
  g_free (line);
  line = g_strconcat ("PING ", zh64, NULL);
  assert_client (line, CHECK_OK);
  g_free (line);
  line = g_strconcat ("PING ", token65, NULL);
  assert_client (line, CHECK_BAD_ARGS);

  assert_client ("PING", CHECK_BAD_ARGS);
  assert_client ("PING ", CHECK_BAD_ARGS);
  assert_client ("PING a b", CHECK_BAD_ARGS);
  assert_client ("PING a\x01", CHECK_BAD_ARGS);
  assert_client ("PING a\x1b[2J", CHECK_BAD_ARGS);
}

static void
test_client_msg_bye (void)
{
  assert_client ("MSG hello there", CHECK_OK);
  assert_client ("MSG ", CHECK_OK);
  assert_client ("MSG", CHECK_OK);
  assert_client ("MSG   ", CHECK_OK);
  assert_client ("BYE", CHECK_OK);
  assert_client ("BYE ", CHECK_OK);
  assert_client ("BYE see you  later", CHECK_OK);
}

static void
test_client_not_allowed (void)
{
  /* Server verbs from a client: the caller answers unknown-verb. */
  assert_client ("WELCOME 1 10000 30000", CHECK_NOT_ALLOWED);
  assert_client ("BCAST hi", CHECK_NOT_ALLOWED);
  assert_client ("RELAY bob hi", CHECK_NOT_ALLOWED);
  assert_client ("ERR bad-args x", CHECK_NOT_ALLOWED);
  assert_client ("FOO", CHECK_NOT_ALLOWED);
  assert_client ("UNKNOWN", CHECK_NOT_ALLOWED);
}

/* Runs a stream through the server's pipeline (frame, parse, check) and
 * gives the answer to each line: "ok" or the ERR code. */

static gboolean
answer_line (const char *line,
             gsize       len,
             gpointer    user_data)
{
  GString *answers = user_data;
  HbMessage msg;
  HbErrCode code;
  const char *problem;

  if (answers->len > 0)
    g_string_append_c (answers, ' ');

  if (!hb_message_parse (line, len, &msg, &code))
    g_string_append (answers, hb_err_code_to_string (code));
  else if (hb_message_check_from_client (&msg, &problem))
    g_string_append (answers, "ok");
  else if (problem == NULL)
    g_string_append (answers, hb_err_code_to_string (HB_ERR_UNKNOWN_VERB));
  else
    g_string_append (answers, hb_err_code_to_string (HB_ERR_BAD_ARGS));

  return TRUE;
}

static gboolean
answer_overlong (gpointer user_data)
{
  GString *answers = user_data;

  if (answers->len > 0)
    g_string_append_c (answers, ' ');
  g_string_append (answers, hb_err_code_to_string (HB_ERR_LINE_TOO_LONG));
  return TRUE;
}

static void
test_errors_every_code (void)
{
  g_autoptr(HbLineReader) reader = hb_line_reader_new (128);
  g_autoptr(GString) answers = g_string_new (NULL);
  g_autofree char *long_line = repeat ("MSG 0123456789", 20);
  g_autofree char *name33 = repeat (ZHONG, 33);
  g_autofree char *stream =
    g_strconcat ("HELLO alice\r\n",
                 long_line, "\n",
                 "MSG \xff\r\n",
                 "\r\n",
                 "msg hi\n",
                 "WELCOME 1 2 3\n",
                 "HELLO a b\n",
                 "HELLO ", name33, "\n",
                 "HELLO\n",
                 "PONG x\n",
                 "PONG 18446744073709551616\n",
                 "PONG 18446744073709551615\n",
                 NULL);

  g_assert_true (hb_line_reader_feed (reader, stream, strlen (stream),
                                      answer_line, answer_overlong, answers));
  g_assert_cmpstr (answers->str, ==,
                   "ok line-too-long bad-utf8 unknown-verb unknown-verb "
                   "unknown-verb bad-args bad-args bad-args bad-args bad-args ok");
}

/* Server → client checks. */

static void
test_server_welcome (void)
{
  assert_server ("WELCOME 1 10000 30000", CHECK_OK);
  assert_server ("WELCOME 0 0 0", CHECK_OK);
  assert_server ("WELCOME", CHECK_BAD_ARGS);
  assert_server ("WELCOME ", CHECK_BAD_ARGS);
  assert_server ("WELCOME 1", CHECK_BAD_ARGS);
  assert_server ("WELCOME 1 10000", CHECK_BAD_ARGS);
  assert_server ("WELCOME 1 10000 ", CHECK_BAD_ARGS);
  assert_server ("WELCOME 1  10000 30000", CHECK_BAD_ARGS);
  assert_server ("WELCOME 1 10000 30000 ", CHECK_BAD_ARGS);
  assert_server ("WELCOME 1 10000 30000 4", CHECK_BAD_ARGS);
  assert_server ("WELCOME a 10000 30000", CHECK_BAD_ARGS);
  assert_server ("WELCOME 1 -5 30000", CHECK_BAD_ARGS);
}

static void
test_server_verbs (void)
{
  g_autofree char *name33 = repeat ("n", 33);
  g_autofree char *relay33 = g_strconcat ("RELAY ", name33, " hi", NULL);

  assert_server ("PING 1", CHECK_OK);
  assert_server ("PING 18446744073709551615", CHECK_OK);
  assert_server ("PING x", CHECK_BAD_ARGS);
  assert_server ("PING", CHECK_BAD_ARGS);

  assert_server ("PONG tok-" EURO, CHECK_OK);
  assert_server ("PONG", CHECK_BAD_ARGS);
  assert_server ("PONG a b", CHECK_BAD_ARGS);

  assert_server ("MSG", CHECK_OK);
  assert_server ("MSG  spaced  out ", CHECK_OK);
  assert_server ("BCAST", CHECK_OK);
  assert_server ("BCAST to all", CHECK_OK);

  assert_server ("RELAY bob hello there", CHECK_OK);
  assert_server ("RELAY " ZHONG " hi", CHECK_OK);
  assert_server ("RELAY bob ", CHECK_OK);
  assert_server ("RELAY bob", CHECK_BAD_ARGS);
  assert_server ("RELAY  hi", CHECK_BAD_ARGS);
  assert_server ("RELAY", CHECK_BAD_ARGS);
  assert_server (relay33, CHECK_BAD_ARGS);

  assert_server ("ERR bad-args PONG needs a decimal sequence number", CHECK_OK);
  assert_server ("ERR server-full", CHECK_OK);
  assert_server ("ERR some-future-code with text", CHECK_OK);
  assert_server ("ERR", CHECK_BAD_ARGS);
  assert_server ("ERR ", CHECK_BAD_ARGS);
  assert_server ("ERR  bad-args", CHECK_BAD_ARGS);
  assert_server ("ERR Bad-Args", CHECK_BAD_ARGS);
  assert_server ("ERR bad_args", CHECK_BAD_ARGS);

  assert_server ("BYE shutdown", CHECK_OK);
  assert_server ("BYE some-new-reason", CHECK_OK);
  assert_server ("BYE", CHECK_BAD_ARGS);
  assert_server ("BYE ", CHECK_BAD_ARGS);
  assert_server ("BYE  shutdown", CHECK_BAD_ARGS);

  assert_server ("HELLO bob", CHECK_NOT_ALLOWED);
  assert_server ("FOO", CHECK_NOT_ALLOWED);
}

/* Names on the wire */

static void
test_strings_err_codes (void)
{
  static const char * const names[] = {
    [HB_ERR_LINE_TOO_LONG] = "line-too-long",
    [HB_ERR_BAD_UTF8] = "bad-utf8",
    [HB_ERR_UNKNOWN_VERB] = "unknown-verb",
    [HB_ERR_BAD_ARGS] = "bad-args",
    [HB_ERR_SERVER_FULL] = "server-full",
    [HB_ERR_RATE_LIMITED] = "rate-limited",
  };
  HbErrCode code;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      code = HB_ERR_RATE_LIMITED - i;  /* anything but the right answer */
      g_assert_cmpstr (hb_err_code_to_string (i), ==, names[i]);
      g_assert_true (hb_err_code_from_string (names[i], &code));
      g_assert_cmpint (code, ==, i);
    }

  g_assert_false (hb_err_code_from_string ("nope", &code));
  g_assert_false (hb_err_code_from_string ("", &code));
  g_assert_false (hb_err_code_from_string ("BAD-UTF8", &code));
  g_assert_false (hb_err_code_from_string ("bad-utf8 ", &code));
  g_assert_false (hb_err_code_from_string (NULL, &code));
}

static void
test_strings_bye_reasons (void)
{
  static const char * const names[] = {
    [HB_BYE_SHUTDOWN] = "shutdown",
    [HB_BYE_KICKED] = "kicked",
    [HB_BYE_TIMEOUT] = "timeout",
    [HB_BYE_SLOW_CONSUMER] = "slow-consumer",
    [HB_BYE_SERVER_FULL] = "server-full",
    [HB_BYE_GOODBYE] = "goodbye",
    [HB_BYE_RATE_LIMITED] = "rate-limited",
    [HB_BYE_PEER_CLOSED] = "peer-closed",
    [HB_BYE_RESET] = "reset",
    [HB_BYE_ERROR] = "error",
    [HB_BYE_SERVER_TIMEOUT] = "server-timeout",
    [HB_BYE_USER] = "user",
    [HB_BYE_ABORTED] = "aborted",
    [HB_BYE_OTHER] = "other",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_assert_cmpstr (hb_bye_reason_to_string (i), ==, names[i]);
      g_assert_cmpint (hb_bye_reason_from_string (names[i]), ==, i);
    }

  g_assert_cmpint (hb_bye_reason_from_string ("gone-fishing"), ==, HB_BYE_OTHER);
  g_assert_cmpint (hb_bye_reason_from_string (""), ==, HB_BYE_OTHER);
  g_assert_cmpint (hb_bye_reason_from_string ("SHUTDOWN"), ==, HB_BYE_OTHER);
  g_assert_cmpint (hb_bye_reason_from_string (NULL), ==, HB_BYE_OTHER);
}

static void
test_strings_verbs (void)
{
  static const char * const names[] = {
    [HB_VERB_UNKNOWN] = "UNKNOWN",
    [HB_VERB_WELCOME] = "WELCOME",
    [HB_VERB_PING] = "PING",
    [HB_VERB_PONG] = "PONG",
    [HB_VERB_MSG] = "MSG",
    [HB_VERB_BCAST] = "BCAST",
    [HB_VERB_RELAY] = "RELAY",
    [HB_VERB_ERR] = "ERR",
    [HB_VERB_BYE] = "BYE",
    [HB_VERB_HELLO] = "HELLO",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GString) line = g_string_new (NULL);
      HbMessage msg;

      g_assert_cmpstr (hb_verb_to_string (i), ==, names[i]);

      /* What we format, we parse back to the same verb. */
      hb_format_line (line, hb_verb_to_string (i), NULL, -1);
      g_assert_true (hb_message_parse (line->str, line->len - 1, &msg, NULL));
      g_assert_cmpint (msg.verb, ==, i);
    }
}

/* Formatting */

static void
test_format_simple (void)
{
  g_autoptr(GString) out = g_string_new (NULL);

  hb_format_line (out, "PING", "3", -1);
  g_assert_cmpstr (out->str, ==, "PING 3\n");

  g_string_truncate (out, 0);
  hb_format_line (out, "BYE", NULL, -1);
  g_assert_cmpstr (out->str, ==, "BYE\n");

  g_string_truncate (out, 0);
  hb_format_line (out, "MSG", "", -1);
  g_assert_cmpstr (out->str, ==, "MSG \n");

  g_string_truncate (out, 0);
  hb_format_line (out, "PONG", "tok-and-more", 3);
  g_assert_cmpstr (out->str, ==, "PONG tok\n");

  /* It appends. */
  hb_format_line (out, "MSG", "  two  spaces ", -1);
  g_assert_cmpstr (out->str, ==, "PONG tok\nMSG   two  spaces \n");
}

static void
test_format_strips_newlines (void)
{
  g_autoptr(GString) out = g_string_new ("BCAST before\n");
  g_autoptr(HbLineReader) reader = hb_line_reader_new (64);
  Collector c;

  hb_format_line (out, "MSG", "a\nb\r\nc\r", -1);
  g_assert_cmpstr (out->str, ==, "BCAST before\nMSG a b  c \n");

  /* One call is one line, on the other side too. */
  collector_init (&c);
  feed_str (reader, &c, out->str);
  g_assert_cmpstr (c.log->str, ==, "L:BCAST before|L:MSG a b  c ");
  g_assert_cmpuint (hb_line_reader_get_pending (reader), ==, 0);
  collector_clear (&c);
}

static void
test_format_round_trip (void)
{
  static const char * const texts[] = {
    "",
    " ",
    "hello",
    "  leading and trailing  ",
    "caf" E_ACUTE " " EURO " " G_CLEF,
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(GString) out = g_string_new (NULL);
      HbMessage msg;

      hb_format_line (out, "MSG", texts[i], -1);
      g_assert_true (hb_message_parse (out->str, out->len - 1, &msg, NULL));
      g_assert_cmpint (msg.verb, ==, HB_VERB_MSG);
      assert_args (&msg, texts[i]);
    }
}

/* An address and a port as URLs write them: IPv6 in brackets, so that
 * its own colons are not taken for the port's. */
static void
test_format_endpoint (void)
{
  g_autofree char *v4 = hb_format_endpoint ("127.0.0.1", 12001);
  g_autofree char *v6 = hb_format_endpoint ("::1", 12001);
  g_autofree char *name = hb_format_endpoint ("localhost", 80);

  g_assert_cmpstr (v4, ==, "127.0.0.1:12001");
  g_assert_cmpstr (v6, ==, "[::1]:12001");
  g_assert_cmpstr (name, ==, "localhost:80");
}

static void
test_names_that_deceive (void)
{
  /* Invisible and direction-changing characters: a name must look like
   * what it is. */
  g_assert_true (hb_name_is_valid ("alice", 5));
  g_assert_true (hb_name_is_valid ("\xe5\xb0\x8f\xe6\x98\x8e", 6));            /* 小明 */
  g_assert_false (hb_name_is_valid ("abc\xe2\x80\xaetxt.exe", 13));          /* U+202E */
  g_assert_false (hb_name_is_valid ("al\xe2\x80\x8bice", 8));                 /* U+200B */
  g_assert_false (hb_name_is_valid ("\xef\xbb\xbf" "bob", 6));                /* BOM */
  g_assert_false (hb_name_is_valid ("a\xe2\x81\xa6" "b", 5));                 /* U+2066 */
  g_assert_false (hb_name_is_valid ("a\xc2\x9b" "b", 4));                      /* C1 CSI */

  /* Names that would pass for the operator, the class, or another client. */
  g_assert_true (hb_name_is_reserved ("server", 6));
  g_assert_true (hb_name_is_reserved ("Server", 6));
  g_assert_true (hb_name_is_reserved ("BROADCAST", 9));
  g_assert_true (hb_name_is_reserved ("everyone", 8));
  g_assert_true (hb_name_is_reserved ("\xe6\x9c\x8d\xe5\x8a\xa1\xe5\x99\xa8", 9));  /* 服务器 */
  g_assert_true (hb_name_is_reserved ("client-7", 8));
  g_assert_false (hb_name_is_reserved ("client-", 7));
  g_assert_false (hb_name_is_reserved ("client-7b", 9));
  g_assert_false (hb_name_is_reserved ("servers", 7));
  g_assert_false (hb_name_is_reserved ("alice", 5));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/protocol/framing/basic", test_framing_basic);
  g_test_add_func ("/core/protocol/framing/zero-copy", test_framing_zero_copy);
  g_test_add_func ("/core/protocol/framing/every-split", test_framing_every_split);
  g_test_add_func ("/core/protocol/framing/every-split-overlong",
                   test_framing_every_split_overlong);
  g_test_add_func ("/core/protocol/framing/crlf-split", test_framing_crlf_split);
  g_test_add_func ("/core/protocol/framing/cr", test_framing_cr);
  g_test_add_func ("/core/protocol/framing/max-length", test_framing_max_length);
  g_test_add_func ("/core/protocol/framing/max-length-default",
                   test_framing_max_length_default);
  g_test_add_func ("/core/protocol/framing/overlong-immediate",
                   test_framing_overlong_immediate);
  g_test_add_func ("/core/protocol/framing/overlong-many-feeds",
                   test_framing_overlong_many_feeds);
  g_test_add_func ("/core/protocol/framing/overlong-no-func",
                   test_framing_overlong_no_func);
  g_test_add_func ("/core/protocol/framing/stop-from-line", test_framing_stop_from_line);
  g_test_add_func ("/core/protocol/framing/stop-from-line-buffered",
                   test_framing_stop_from_line_buffered);
  g_test_add_func ("/core/protocol/framing/stop-from-overlong",
                   test_framing_stop_from_overlong);
  g_test_add_func ("/core/protocol/framing/nul-bytes", test_framing_nul_bytes);

  g_test_add_func ("/core/protocol/parse/known-verbs", test_parse_known_verbs);
  g_test_add_func ("/core/protocol/parse/unknown-verb", test_parse_unknown_verb);
  g_test_add_func ("/core/protocol/parse/malformed-verb", test_parse_malformed_verb);
  g_test_add_func ("/core/protocol/parse/bad-utf8", test_parse_bad_utf8);
  g_test_add_func ("/core/protocol/parse/args", test_parse_args);

  g_test_add_func ("/core/protocol/client/hello", test_client_hello);
  g_test_add_func ("/core/protocol/client/name-is-valid", test_client_name_is_valid);
  g_test_add_func ("/core/protocol/client/pong", test_client_pong);
  g_test_add_func ("/core/protocol/client/ping", test_client_ping);
  g_test_add_func ("/core/protocol/client/msg-bye", test_client_msg_bye);
  g_test_add_func ("/core/protocol/client/not-allowed", test_client_not_allowed);
  g_test_add_func ("/core/protocol/errors/every-code", test_errors_every_code);

  g_test_add_func ("/core/protocol/server/welcome", test_server_welcome);
  g_test_add_func ("/core/protocol/server/verbs", test_server_verbs);

  g_test_add_func ("/core/protocol/strings/err-codes", test_strings_err_codes);
  g_test_add_func ("/core/protocol/strings/bye-reasons", test_strings_bye_reasons);
  g_test_add_func ("/core/protocol/strings/verbs", test_strings_verbs);

  g_test_add_func ("/core/protocol/format/simple", test_format_simple);
  g_test_add_func ("/core/protocol/format/strips-newlines", test_format_strips_newlines);
  g_test_add_func ("/core/protocol/format/round-trip", test_format_round_trip);
  g_test_add_func ("/core/protocol/format/endpoint", test_format_endpoint);

  g_test_add_func ("/core/protocol/names-that-deceive", test_names_that_deceive);

  return g_test_run ();
}
