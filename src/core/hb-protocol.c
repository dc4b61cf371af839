/* hb-protocol.c - the heartbeat line protocol: framing, parsing, formatting
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A server runs every line of every client through this file, so the hot
 * path (hb_line_reader_feed(), hb_message_parse() and the checks) allocates
 * nothing: lines are found with memchr() and handed out as pointers into
 * the caller's read buffer, and only the unfinished tail of a read is
 * copied into the reader's own buffer.
 */

#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "hb-protocol.h"

#define MAX_VERB_LEN     16
#define MIN_BUFFER_SIZE  256

/* A valid UTF-8 character takes at most this many bytes, so a string of
 * more than max_chars * UTF8_MAX_BYTES bytes is too long without decoding. */
#define UTF8_MAX_BYTES   4

static const char * const err_code_names[] = {
  [HB_ERR_LINE_TOO_LONG] = "line-too-long",
  [HB_ERR_BAD_UTF8]      = "bad-utf8",
  [HB_ERR_UNKNOWN_VERB]  = "unknown-verb",
  [HB_ERR_BAD_ARGS]      = "bad-args",
  [HB_ERR_SERVER_FULL]   = "server-full",
  [HB_ERR_RATE_LIMITED]  = "rate-limited",
};

static const char * const bye_reason_names[] = {
  [HB_BYE_SHUTDOWN]       = "shutdown",
  [HB_BYE_KICKED]         = "kicked",
  [HB_BYE_TIMEOUT]        = "timeout",
  [HB_BYE_SLOW_CONSUMER]  = "slow-consumer",
  [HB_BYE_SERVER_FULL]    = "server-full",
  [HB_BYE_GOODBYE]        = "goodbye",
  [HB_BYE_RATE_LIMITED]   = "rate-limited",
  [HB_BYE_PEER_CLOSED]    = "peer-closed",
  [HB_BYE_RESET]          = "reset",
  [HB_BYE_ERROR]          = "error",
  [HB_BYE_SERVER_TIMEOUT] = "server-timeout",
  [HB_BYE_USER]           = "user",
  [HB_BYE_ABORTED]        = "aborted",
  [HB_BYE_OTHER]          = "other",
};

typedef struct
{
  const char *name;
  gsize       len;
} VerbName;

#define VERB_NAME(s) { s, sizeof s - 1 }

static const VerbName verb_names[] = {
  [HB_VERB_UNKNOWN] = VERB_NAME ("UNKNOWN"),
  [HB_VERB_WELCOME] = VERB_NAME ("WELCOME"),
  [HB_VERB_PING]    = VERB_NAME ("PING"),
  [HB_VERB_PONG]    = VERB_NAME ("PONG"),
  [HB_VERB_MSG]     = VERB_NAME ("MSG"),
  [HB_VERB_BCAST]   = VERB_NAME ("BCAST"),
  [HB_VERB_RELAY]   = VERB_NAME ("RELAY"),
  [HB_VERB_ERR]     = VERB_NAME ("ERR"),
  [HB_VERB_BYE]     = VERB_NAME ("BYE"),
  [HB_VERB_HELLO]   = VERB_NAME ("HELLO"),
};

const char *
hb_err_code_to_string (HbErrCode code)
{
  g_return_val_if_fail ((guint) code < G_N_ELEMENTS (err_code_names), NULL);

  return err_code_names[code];
}

/* @code may be NULL to only ask whether @str is a known code. */
gboolean
hb_err_code_from_string (const char *str,
                         HbErrCode  *code)
{
  if (str == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (err_code_names); i++)
    {
      if (strcmp (str, err_code_names[i]) == 0)
        {
          if (code != NULL)
            *code = (HbErrCode) i;
          return TRUE;
        }
    }

  return FALSE;
}

const char *
hb_bye_reason_to_string (HbByeReason reason)
{
  g_return_val_if_fail ((guint) reason < G_N_ELEMENTS (bye_reason_names),
                        bye_reason_names[HB_BYE_OTHER]);

  return bye_reason_names[reason];
}

/* A peer may send reasons we do not know yet: they are HB_BYE_OTHER, never
 * an error. */
HbByeReason
hb_bye_reason_from_string (const char *str)
{
  if (str == NULL)
    return HB_BYE_OTHER;

  for (guint i = 0; i < G_N_ELEMENTS (bye_reason_names); i++)
    {
      if (strcmp (str, bye_reason_names[i]) == 0)
        return (HbByeReason) i;
    }

  return HB_BYE_OTHER;
}

const char *
hb_verb_to_string (HbVerb verb)
{
  g_return_val_if_fail ((guint) verb < G_N_ELEMENTS (verb_names),
                        verb_names[HB_VERB_UNKNOWN].name);

  return verb_names[verb].name;
}

/* Framing */

struct _HbLineReader
{
  char     *buffer;       /* the unfinished line; grows on demand */
  gsize     buffer_size;
  gsize     pending;      /* bytes of it in @buffer */
  gsize     max_line;     /* LF included */
  gboolean  discarding;   /* inside an overlong line, skipping to its LF */
};

/* A @max_line of 0 means HB_DEFAULT_MAX_LINE. A @max_line of 1 allows only
 * empty lines. */
HbLineReader *
hb_line_reader_new (gsize max_line)
{
  HbLineReader *reader = g_new0 (HbLineReader, 1);

  reader->max_line = max_line > 0 ? max_line : HB_DEFAULT_MAX_LINE;
  return reader;
}

void
hb_line_reader_free (HbLineReader *reader)
{
  if (reader == NULL)
    return;

  g_free (reader->buffer);
  g_free (reader);
}

gsize
hb_line_reader_get_max_line (HbLineReader *reader)
{
  g_return_val_if_fail (reader != NULL, 0);

  return reader->max_line;
}

/* The bytes of an unfinished line held by the reader: at most max_line - 1,
 * and 0 while an overlong line is being skipped. */
gsize
hb_line_reader_get_pending (HbLineReader *reader)
{
  g_return_val_if_fail (reader != NULL, 0);

  return reader->pending;
}

/* Only ever called with pending + len <= max_line - 1, so the buffer stays
 * below max_line. It grows by doubling so that idle connections, which
 * never hold more than a short partial line, stay small; it is never shrunk,
 * so a connection reallocates a handful of times in its life, not per line. */
static void
buffer_append (HbLineReader *reader,
               const char   *data,
               gsize         len)
{
  gsize need = reader->pending + len;

  if (need > reader->buffer_size)
    {
      gsize size = MAX (reader->buffer_size, MIN_BUFFER_SIZE);

      while (size < need)
        size *= 2;
      size = MIN (size, reader->max_line - 1);
      reader->buffer = g_realloc (reader->buffer, size);
      reader->buffer_size = size;
    }

  memcpy (reader->buffer + reader->pending, data, len);
  reader->pending = need;
}

/* Lines go to @line_func without their LF and without one CR right before
 * it, and are not NUL-terminated. A line whose start was in an earlier feed
 * points into the reader's buffer; any other points into @data. Either is
 * valid only during the call. An overlong line is reported to
 * @overlong_func (which may be NULL) as soon as its max_line-th byte
 * arrives without an LF, and its bytes up to and including the LF are
 * dropped.
 *
 * A callback returning FALSE stops the feed at once: the rest of @data is
 * dropped and FALSE is returned. A callback that returns FALSE may free the
 * reader; one that returns TRUE must not, and no callback may feed the same
 * reader. */
gboolean
hb_line_reader_feed (HbLineReader   *reader,
                     const char     *data,
                     gsize           len,
                     HbLineFunc      line_func,
                     HbOverlongFunc  overlong_func,
                     gpointer        user_data)
{
  const char *p;
  const char *end;

  g_return_val_if_fail (reader != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (line_func != NULL, FALSE);

  if (len == 0)
    return TRUE;

  p = data;
  end = data + len;

  while (p < end)
    {
      gsize avail = end - p;
      gsize room;
      const char *lf;

      if (reader->discarding)
        {
          lf = memchr (p, '\n', avail);
          if (lf == NULL)
            return TRUE;
          reader->discarding = FALSE;
          p = lf + 1;
          continue;
        }

      /* The line may take @room more bytes before its LF. Searching one
       * byte further tells an LF right at the limit from an overlong line
       * without looking at the rest of a long read. */
      room = reader->max_line - 1 - reader->pending;
      lf = memchr (p, '\n', MIN (avail, room + 1));

      if (lf != NULL)
        {
          const char *line;
          gsize line_len;

          if (reader->pending == 0)
            {
              line = p;
              line_len = lf - p;
            }
          else
            {
              buffer_append (reader, p, lf - p);
              line = reader->buffer;
              line_len = reader->pending;
              reader->pending = 0;
            }

          if (line_len > 0 && line[line_len - 1] == '\r')
            line_len--;

          p = lf + 1;
          if (!line_func (line, line_len, user_data))
            return FALSE;
          continue;
        }

      if (avail > room)
        {
          /* max_line bytes and still no LF: the line cannot fit, whatever
           * comes next. */
          reader->pending = 0;
          reader->discarding = TRUE;
          p += room + 1;
          if (overlong_func != NULL && !overlong_func (user_data))
            return FALSE;
          continue;
        }

      buffer_append (reader, p, avail);
      break;
    }

  return TRUE;
}

/* Parsing */

static gboolean
fail_with (HbErrCode *code,
           HbErrCode  value)
{
  if (code != NULL)
    *code = value;
  return FALSE;
}

static HbVerb
lookup_verb (const char *str,
             gsize       len)
{
  /* Start after HB_VERB_UNKNOWN: a peer sending "UNKNOWN" sent an unknown
   * verb, and it already comes out as HB_VERB_UNKNOWN. */
  for (guint i = HB_VERB_UNKNOWN + 1; i < G_N_ELEMENTS (verb_names); i++)
    {
      if (verb_names[i].len == len && memcmp (verb_names[i].name, str, len) == 0)
        return (HbVerb) i;
    }

  return HB_VERB_UNKNOWN;
}

/* @line is without its LF (and CR). A well-formed verb that we do not know
 * parses fine, as HB_VERB_UNKNOWN: what to answer is the caller's choice.
 * On failure @msg holds an empty verb and no arguments. @code may be NULL. */
gboolean
hb_message_parse (const char *line,
                  gsize       len,
                  HbMessage  *msg,
                  HbErrCode  *code)
{
  gsize i;

  g_return_val_if_fail (line != NULL || len == 0, FALSE);
  g_return_val_if_fail (msg != NULL, FALSE);

  if (line == NULL)
    line = "";

  msg->verb = HB_VERB_UNKNOWN;
  msg->verb_str = line;
  msg->verb_len = 0;
  msg->args = line + len;
  msg->args_len = 0;
  msg->has_args = FALSE;

  /* With an explicit length g_utf8_validate_len() also refuses NUL bytes,
   * which we want: a NUL would cut the line short for every C-string
   * consumer further on (names in lists, logs, the GUI). */
  if (!g_utf8_validate_len (line, len, NULL))
    return fail_with (code, HB_ERR_BAD_UTF8);

  for (i = 0; i < len && i <= MAX_VERB_LEN && g_ascii_isupper (line[i]); i++)
    ;

  if (i == 0 || i > MAX_VERB_LEN)
    return fail_with (code, HB_ERR_UNKNOWN_VERB);
  if (i < len && line[i] != ' ')
    return fail_with (code, HB_ERR_UNKNOWN_VERB);

  msg->verb = lookup_verb (line, i);
  msg->verb_len = i;
  if (i < len)
    {
      msg->has_args = TRUE;
      msg->args = line + i + 1;
      msg->args_len = len - i - 1;
    }

  return TRUE;
}

void
hb_append_uint64 (GString *out,
                  guint64  value,
                  guint    min_digits)
{
  char buf[24];
  char *p = buf + sizeof buf;

  min_digits = MIN (min_digits, sizeof buf);
  do
    {
      *--p = (char) ('0' + value % 10);
      value /= 10;
    }
  while (value != 0 || (guint) (buf + sizeof buf - p) < min_digits);
  g_string_append_len (out, p, buf + sizeof buf - p);
}

gboolean
hb_parse_uint64 (const char *str,
                 gsize       len,
                 guint64    *value)
{
  guint64 v = 0;

  if (str == NULL || len == 0 || len > 20)
    return FALSE;

  for (gsize i = 0; i < len; i++)
    {
      guint digit;

      if (!g_ascii_isdigit (str[i]))
        return FALSE;
      digit = str[i] - '0';
      if (v > (G_MAXUINT64 - digit) / 10)
        return FALSE;
      v = v * 10 + digit;
    }

  if (value != NULL)
    *value = v;
  return TRUE;
}

/* 1 to @max_chars characters of valid UTF-8, none a space, a control
 * character or an invisible format character (the bidirectional
 * overrides, zero-width ones, a BOM): a name must look like what it is,
 * and "abc<U+202E>txt.exe" shows as "abcexe.txt". Does not need a parsed
 * line, so it checks UTF-8 itself. */
static gboolean
is_word (const char *str,
         gsize       len,
         guint       max_chars)
{
  const char *end;
  guint n_chars = 0;

  if (str == NULL || len == 0 || len > (gsize) max_chars * UTF8_MAX_BYTES)
    return FALSE;
  if (!g_utf8_validate_len (str, len, NULL))
    return FALSE;

  end = str + len;
  for (const char *p = str; p < end; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (++n_chars > max_chars)
        return FALSE;
      if (g_unichar_isspace (c) || g_unichar_iscntrl (c) ||
          g_unichar_type (c) == G_UNICODE_FORMAT ||
          g_unichar_type (c) == G_UNICODE_LINE_SEPARATOR ||
          g_unichar_type (c) == G_UNICODE_PARAGRAPH_SEPARATOR)
        return FALSE;
    }

  return TRUE;
}

gboolean
hb_name_is_valid (const char *name,
                  gsize       len)
{
  return is_word (name, len, HB_MAX_NAME_CHARS);
}

/* Names a client may not take, so that nothing it relays can pass for the
 * operator or the whole class; "client-N" is what the server calls a
 * client without a name, so it is another client's. Compared without
 * case. */
static const char * const reserved_names[] = {
  "server", "everyone", "broadcast", "operator", "all",
  "\xe6\x9c\x8d\xe5\x8a\xa1\xe5\x99\xa8",   /* 服务器 */
  "\xe6\x89\x80\xe6\x9c\x89\xe4\xba\xba",   /* 所有人 */
  "\xe5\xb9\xbf\xe6\x92\xad",               /* 广播 */
  "\xe5\x85\xa8\xe4\xbd\x93",               /* 全体 */
};

gboolean
hb_name_is_reserved (const char *name,
                     gsize       len)
{
  g_autofree char *folded = NULL;
  const char *digits;

  g_return_val_if_fail (name != NULL, FALSE);

  folded = g_utf8_casefold (name, len);
  for (guint i = 0; i < G_N_ELEMENTS (reserved_names); i++)
    {
      g_autofree char *r = g_utf8_casefold (reserved_names[i], -1);

      if (strcmp (folded, r) == 0)
        return TRUE;
    }
  if (!g_str_has_prefix (folded, "client-") || folded[7] == '\0')
    return FALSE;
  for (digits = folded + 7; *digits != '\0'; digits++)
    if (!g_ascii_isdigit (*digits))
      return FALSE;
  return TRUE;
}

gboolean
hb_token_is_valid (const char *token,
                   gsize       len)
{
  return is_word (token, len, HB_MAX_TOKEN_CHARS);
}

#define NAME_RULE  "1 to " G_STRINGIFY (HB_MAX_NAME_CHARS) \
                   " characters without spaces, control or invisible characters"
#define TOKEN_RULE "1 to " G_STRINGIFY (HB_MAX_TOKEN_CHARS) \
                   " characters without spaces or control characters"

/* The checks below share one contract, which maps straight onto ERR codes:
 *
 *  - TRUE: the verb may come from that side and its arguments have the
 *    right shape; *problem is set to NULL.
 *  - FALSE with *problem NULL: that side may not send this verb (or the
 *    verb is HB_VERB_UNKNOWN); the caller answers `unknown-verb`.
 *  - FALSE with *problem set: the verb is fine but its arguments are not;
 *    *problem is a short English sentence, static, suitable as the text of
 *    `ERR bad-args <problem>`. It is wire text, so it is not translated.
 *
 * @msg must come from a successful hb_message_parse(), so its text is
 * valid UTF-8 without NUL bytes. @problem may be NULL.
 */

/* Returns TRUE when there is no problem, so that a check can end with
 * `return set_problem (problem, ...)`. */
static gboolean
set_problem (const char **problem,
             const char  *value)
{
  if (problem != NULL)
    *problem = value;
  return value == NULL;
}

static gboolean
args_are_uint64 (const HbMessage *msg)
{
  return msg->has_args && hb_parse_uint64 (msg->args, msg->args_len, NULL);
}

static gboolean
args_are_token (const HbMessage *msg)
{
  return msg->has_args && hb_token_is_valid (msg->args, msg->args_len);
}

gboolean
hb_message_check_from_client (const HbMessage  *msg,
                              const char      **problem)
{
  g_return_val_if_fail (msg != NULL, FALSE);

  switch (msg->verb)
    {
    case HB_VERB_HELLO:
      if (!msg->has_args || !hb_name_is_valid (msg->args, msg->args_len))
        return set_problem (problem, "HELLO needs a name of " NAME_RULE);
      return set_problem (problem, NULL);

    case HB_VERB_PONG:
      if (!args_are_uint64 (msg))
        return set_problem (problem, "PONG needs a decimal sequence number");
      return set_problem (problem, NULL);

    case HB_VERB_PING:
      if (!args_are_token (msg))
        return set_problem (problem, "PING needs a token of " TOKEN_RULE);
      return set_problem (problem, NULL);

    case HB_VERB_MSG:
    case HB_VERB_BYE:
      /* "MSG" and "MSG " are both an empty message; BYE's reason is free. */
      return set_problem (problem, NULL);

    case HB_VERB_UNKNOWN:
    case HB_VERB_WELCOME:
    case HB_VERB_BCAST:
    case HB_VERB_RELAY:
    case HB_VERB_ERR:
      break;
    }

  /* No default label, so that a new verb makes the compiler ask which
   * side may send it. */
  set_problem (problem, NULL);
  return FALSE;
}

/* The length of @msg's arguments up to their first space (possibly 0);
 * @rest points at that space, or at the end if there is none. */
static gsize
first_word (const HbMessage  *msg,
            const char      **rest)
{
  const char *space = memchr (msg->args, ' ', msg->args_len);
  gsize len = space != NULL ? (gsize) (space - msg->args) : msg->args_len;

  if (rest != NULL)
    *rest = msg->args + len;
  return len;
}

static gboolean
welcome_args_are_valid (const HbMessage *msg)
{
  const char *p = msg->args;
  const char *end = msg->args + msg->args_len;

  if (!msg->has_args)
    return FALSE;

  /* id, interval, timeout: exactly three numbers, single spaces. */
  for (guint i = 0; i < 3; i++)
    {
      const char *space = memchr (p, ' ', end - p);
      const char *field_end = space != NULL ? space : end;

      if ((i < 2) != (space != NULL))
        return FALSE;
      if (!hb_parse_uint64 (p, field_end - p, NULL))
        return FALSE;
      p = field_end + (space != NULL ? 1 : 0);
    }

  return TRUE;
}

static gboolean
err_args_are_valid (const HbMessage *msg)
{
  gsize len;

  if (!msg->has_args)
    return FALSE;

  /* Codes we do not know yet are accepted: a newer server may add some. */
  len = first_word (msg, NULL);
  if (len == 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      if (!g_ascii_islower (msg->args[i]) && msg->args[i] != '-')
        return FALSE;
    }

  return TRUE;
}

gboolean
hb_message_check_from_server (const HbMessage  *msg,
                              const char      **problem)
{
  const char *rest;

  g_return_val_if_fail (msg != NULL, FALSE);

  switch (msg->verb)
    {
    case HB_VERB_WELCOME:
      if (!welcome_args_are_valid (msg))
        return set_problem (problem,
                            "WELCOME needs an id, an interval and a timeout as decimal numbers");
      return set_problem (problem, NULL);

    case HB_VERB_PING:
      if (!args_are_uint64 (msg))
        return set_problem (problem, "PING needs a decimal sequence number");
      return set_problem (problem, NULL);

    case HB_VERB_PONG:
      if (!args_are_token (msg))
        return set_problem (problem, "PONG needs a token of " TOKEN_RULE);
      return set_problem (problem, NULL);

    case HB_VERB_MSG:
    case HB_VERB_BCAST:
      return set_problem (problem, NULL);

    case HB_VERB_RELAY:
      /* The name cannot hold a space, so the first space ends it; the
       * text after it may be empty, as a client's MSG may be. */
      if (!msg->has_args ||
          !hb_name_is_valid (msg->args, first_word (msg, &rest)) ||
          rest == msg->args + msg->args_len)
        return set_problem (problem, "RELAY needs a sender name and a text");
      return set_problem (problem, NULL);

    case HB_VERB_ERR:
      if (!err_args_are_valid (msg))
        return set_problem (problem,
                            "ERR needs a code of lower-case letters and hyphens");
      return set_problem (problem, NULL);

    case HB_VERB_BYE:
      /* Reasons we do not know are accepted (HB_BYE_OTHER); text after
       * the reason is left for future use. */
      if (!msg->has_args || first_word (msg, NULL) == 0)
        return set_problem (problem, "BYE needs a reason");
      return set_problem (problem, NULL);

    case HB_VERB_UNKNOWN:
    case HB_VERB_HELLO:
      break;
    }

  set_problem (problem, NULL);
  return FALSE;
}

/* Formatting */

char *
hb_format_endpoint (const char *address,
                    guint       port)
{
  g_return_val_if_fail (address != NULL, NULL);

  return strchr (address, ':') != NULL ? g_strdup_printf ("[%s]:%u", address, port)
                                       : g_strdup_printf ("%s:%u", address, port);
}

void
hb_format_line (GString    *out,
                const char *verb,
                const char *args,
                gssize      args_len)
{
  g_return_if_fail (out != NULL);
  g_return_if_fail (verb != NULL);

  g_string_append (out, verb);

  if (args != NULL)
    {
      gsize start;

      if (args_len < 0)
        args_len = strlen (args);

      g_string_append_c (out, ' ');
      start = out->len;
      g_string_append_len (out, args, args_len);
      for (gsize i = start; i < out->len; i++)
        {
          if (out->str[i] == '\n' || out->str[i] == '\r')
            out->str[i] = ' ';
        }
    }

  g_string_append_c (out, '\n');
}

/* What went wrong with a socket, in our own translated words chosen by
 * the error's code: GIO's messages already name the address, in another
 * sentence, so cutting them apart named it twice (and in Chinese, cut
 * in the wrong place). Unknown codes fall back to GIO's innermost cause. */
const char *
hb_io_error_words (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain == G_RESOLVER_ERROR)
    return _("no such host");
  if (error->domain != G_IO_ERROR)
    return hb_error_cause (error->message);
  switch (error->code)
    {
    case G_IO_ERROR_CONNECTION_REFUSED: return _("connection refused (nothing listens on that port)");
    case G_IO_ERROR_TIMED_OUT: return _("no answer (the connection timed out)");
    case G_IO_ERROR_HOST_UNREACHABLE: return _("host unreachable");
    case G_IO_ERROR_NETWORK_UNREACHABLE: return _("network unreachable");
    case G_IO_ERROR_ADDRESS_IN_USE: return _("the address is already in use");
    case G_IO_ERROR_PERMISSION_DENIED: return _("permission denied");
    case G_IO_ERROR_CONNECTION_CLOSED: return _("the connection was closed");
    case G_IO_ERROR_NOT_FOUND: return _("no such host");
    default: return hb_error_cause (error->message);
    }
}

const char *
hb_error_cause (const char *message)
{
  const char *last = g_strrstr (message, ": ");

  return last != NULL && last[2] != '\0' ? last + 2 : message;
}
