/* hb-protocol.h - the heartbeat line protocol: framing, parsing, formatting
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HB_DEFAULT_PORT         12001
#define HB_DEFAULT_INTERVAL_MS  10000
#define HB_DEFAULT_TIMEOUT_MS   30000
#define HB_DEFAULT_MAX_LINE     1024
#define HB_MAX_NAME_CHARS       32
#define HB_MAX_TOKEN_CHARS      64

/**
 * HbErrCode:
 * The codes of an `ERR` line. Their wire names come from hb_err_code_to_string().
 */
typedef enum
{
  HB_ERR_LINE_TOO_LONG,
  HB_ERR_BAD_UTF8,
  HB_ERR_UNKNOWN_VERB,
  HB_ERR_BAD_ARGS,
  HB_ERR_SERVER_FULL,
  HB_ERR_RATE_LIMITED,
} HbErrCode;

/**
 * HbByeReason:
 * Why a connection ends. The first seven are the wire reasons of `BYE`; the
 * rest name closes that carry no BYE (the peer vanished, reset, or timed out
 * on the client's side) and appear only in events.
 */
typedef enum
{
  HB_BYE_SHUTDOWN,
  HB_BYE_KICKED,
  HB_BYE_TIMEOUT,
  HB_BYE_SLOW_CONSUMER,
  HB_BYE_SERVER_FULL,
  HB_BYE_GOODBYE,
  HB_BYE_RATE_LIMITED,    /* sent lines faster than the limit while not reading */
  HB_BYE_PEER_CLOSED,     /* end of stream without BYE */
  HB_BYE_RESET,           /* connection reset by peer */
  HB_BYE_ERROR,           /* another socket error */
  HB_BYE_SERVER_TIMEOUT,  /* client side: nothing read for the timeout */
  HB_BYE_USER,            /* client side: the user disconnected */
  HB_BYE_ABORTED,         /* client side: the user aborted with RST */
  HB_BYE_OTHER,           /* a BYE with a reason we do not know */
} HbByeReason;

typedef enum
{
  HB_VERB_UNKNOWN,
  HB_VERB_WELCOME,
  HB_VERB_PING,
  HB_VERB_PONG,
  HB_VERB_MSG,
  HB_VERB_BCAST,
  HB_VERB_RELAY,
  HB_VERB_ERR,
  HB_VERB_BYE,
  HB_VERB_HELLO,
} HbVerb;

const char  *hb_err_code_to_string   (HbErrCode    code);
gboolean     hb_err_code_from_string (const char  *str,
                                      HbErrCode   *code);
const char  *hb_bye_reason_to_string (HbByeReason  reason);
HbByeReason  hb_bye_reason_from_string (const char *str);
const char  *hb_verb_to_string       (HbVerb       verb);

/**
 * HbLineReader:
 * Frames a byte stream into lines. Bytes may arrive split anywhere; a line
 * is delivered once its LF arrives, without the LF and without a CR right
 * before it. A line longer than max_line bytes (LF included) is discarded up
 * to its LF and reported once, as soon as it is known to be too long.
 * Only the unfinished tail of a read is copied; memory is bounded by max_line.
 */
typedef struct _HbLineReader HbLineReader;

/* Returns FALSE to stop feeding (the owner is closing). */
typedef gboolean (*HbLineFunc)     (const char *line,
                                    gsize       len,
                                    gpointer    user_data);
typedef gboolean (*HbOverlongFunc) (gpointer    user_data);

HbLineReader *hb_line_reader_new       (gsize           max_line);
void          hb_line_reader_free      (HbLineReader   *reader);
gsize         hb_line_reader_get_max_line (HbLineReader *reader);
gsize         hb_line_reader_get_pending  (HbLineReader *reader);
gboolean      hb_line_reader_feed      (HbLineReader   *reader,
                                        const char     *data,
                                        gsize           len,
                                        HbLineFunc      line_func,
                                        HbOverlongFunc  overlong_func,
                                        gpointer        user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbLineReader, hb_line_reader_free)

/**
 * HbMessage:
 * One parsed line. Pointers point into the line that was parsed and live as
 * long as it does.
 */
typedef struct
{
  HbVerb      verb;
  const char *verb_str;   /* the verb as sent */
  gsize       verb_len;
  const char *args;       /* after the single separating space; "" if none */
  gsize       args_len;
  gboolean    has_args;   /* a separating space was present */
} HbMessage;

/* Splits a line into verb and arguments, checking UTF-8 and the verb's form.
 * On failure fills @code and returns FALSE. Argument checks are per side:
 * hb_message_check_from_client() and hb_message_check_from_server(). */
gboolean hb_message_parse             (const char  *line,
                                       gsize        len,
                                       HbMessage   *msg,
                                       HbErrCode   *code);
gboolean hb_message_check_from_client (const HbMessage *msg,
                                       const char     **problem);
gboolean hb_message_check_from_server (const HbMessage *msg,
                                       const char     **problem);

gboolean hb_parse_uint64              (const char  *str,
                                       gsize        len,
                                       guint64     *value);
/* Appends @value in decimal, at least @min_digits of it (zeros in
 * front): printf() costs more than the line it goes in, thousands of
 * times a second. */
void     hb_append_uint64             (GString     *out,
                                       guint64      value,
                                       guint        min_digits);
gboolean hb_name_is_valid             (const char  *name,
                                       gsize        len);
/* Whether @name is one a client may not take: "server", "everyone",
 * "broadcast", their Chinese, or "client-N" (another client's). */
gboolean hb_name_is_reserved          (const char  *name,
                                       gsize        len);
gboolean hb_token_is_valid            (const char  *token,
                                       gsize        len);

/* Appends "VERB args\n" to @out. @args may be NULL. Any LF or CR inside
 * @args is replaced by a space so that one call is always one line. */
void     hb_format_line               (GString     *out,
                                       const char  *verb,
                                       const char  *args,
                                       gssize       args_len);

/* "host:port", or "[host]:port" for an IPv6 address, as URLs write them. */
char    *hb_format_endpoint           (const char  *address,
                                       guint        port);

/* The innermost cause in a GIO message ("Error binding to address
 * 1.2.3.4:5: Address already in use" gives "Address already in use"), for
 * messages that already name the address themselves. */
const char *hb_error_cause            (const char  *message);
/* What a GIO or resolver error means, in our own translated words, by its
 * code; GIO's own cause for a code we do not know. */
const char *hb_io_error_words         (const GError *error);

G_END_DECLS
