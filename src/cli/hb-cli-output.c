/* hb-cli-output.c - what heartbeat-lab-cli prints (human or JSON) and how it reads stdin
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>
#include <glib/gi18n.h>

#include "hb-cli-output.h"
#include "hb-protocol.h"

struct _HbCliOutput
{
  gboolean       json;
  JsonGenerator *generator;
  guint          flush_id;
  /* A server with thousands of clients prints thousands of events a
   * second: the time zone is looked up once, and the text of the current
   * second is kept (local time changes its offset only on a second). */
  GTimeZone     *zone;
  gint64         second;
  char           iso_date[32];    /* "2026-11-25T12:03:04" */
  char           iso_zone[16];    /* "+00:00" */
  char           clock[16];       /* "12:03:04" */
  GString       *plain;           /* the event hb_cli_output_begin_plain() began */
};

HbCliOutput *
hb_cli_output_new (gboolean json)
{
  HbCliOutput *out = g_new0 (HbCliOutput, 1);

  out->json = !!json;
  out->generator = json_generator_new ();
  out->zone = g_time_zone_new_local ();
  out->second = G_MININT64;
  out->plain = g_string_sized_new (128);
  return out;
}

void
hb_cli_output_free (HbCliOutput *out)
{
  if (out == NULL)
    return;
  g_clear_handle_id (&out->flush_id, g_source_remove);
  fflush (stdout);
  g_clear_object (&out->generator);
  g_clear_pointer (&out->zone, g_time_zone_unref);
  g_string_free (out->plain, TRUE);
  g_free (out);
}

static gboolean
flush_cb (gpointer user_data)
{
  HbCliOutput *out = user_data;

  out->flush_id = 0;
  fflush (stdout);
  return G_SOURCE_REMOVE;
}

/* Events leave in one write() when the loop has nothing else to do
 * rather than one each: every event is on stdout before the loop sleeps.
 * At a low priority, the flush waits out a run of passes that each have
 * work (the server's heartbeats go out in small batches, a pass each),
 * so a run is one write() and one idle source, not one per pass; a full
 * stdio buffer is written on its own meanwhile. */
static void
written (HbCliOutput *out)
{
  if (out->flush_id == 0)
    out->flush_id = g_idle_add_full (G_PRIORITY_LOW, flush_cb, out, NULL);
}

/* Writes UTF-8 @text to stdout, in the console's charset as g_print()
 * would. */
static void
put_text (HbCliOutput *out,
          const char  *text)
{
  const char *charset;

  if (!g_get_console_charset (&charset))
    {
      g_print ("%s", text);  /* converts, and flushes by itself */
      return;
    }
  fputs (text, stdout);
  written (out);
}

static void
update_clock (HbCliOutput *out,
              gint64       now_us)
{
  gint64 second = now_us / G_USEC_PER_SEC;
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) local = NULL;
  g_autofree char *date = NULL;
  g_autofree char *zone = NULL;
  g_autofree char *clock = NULL;

  if (second == out->second)
    return;
  utc = g_date_time_new_from_unix_utc (second);
  local = utc ? g_date_time_to_timezone (utc, out->zone) : NULL;
  if (local == NULL)
    return;
  date = g_date_time_format (local, "%Y-%m-%dT%H:%M:%S");
  zone = g_date_time_format (local, "%:z");
  clock = g_date_time_format (local, "%H:%M:%S");
  g_strlcpy (out->iso_date, date, sizeof out->iso_date);
  g_strlcpy (out->iso_zone, zone, sizeof out->iso_zone);
  g_strlcpy (out->clock, clock, sizeof out->clock);
  out->second = second;
}

gboolean
hb_cli_output_is_json (HbCliOutput *out)
{
  return out->json;
}

char *
hb_cli_format_iso8601 (GDateTime *when)
{
  g_autofree char *date = g_date_time_format (when, "%Y-%m-%dT%H:%M:%S");
  g_autofree char *zone = g_date_time_format (when, "%:z");

  return g_strdup_printf ("%s.%03d%s", date, g_date_time_get_microsecond (when) / 1000, zone);
}

char *
hb_cli_format_clock (GDateTime *when)
{
  g_autofree char *clock = g_date_time_format (when, "%H:%M:%S");

  return g_strdup_printf ("%s.%03d", clock, g_date_time_get_microsecond (when) / 1000);
}

JsonBuilder *
hb_cli_output_begin (HbCliOutput *out,
                     const char  *event)
{
  gint64 now = g_get_real_time ();
  char time[64];
  JsonBuilder *builder = json_builder_new ();

  update_clock (out, now);
  g_snprintf (time, sizeof time, "%s.%03d%s", out->iso_date,
              (int) (now % G_USEC_PER_SEC / 1000), out->iso_zone);

  json_builder_begin_object (builder);
  hb_cli_json_add_string (builder, "event", event);
  hb_cli_json_add_string (builder, "time", time);
  return builder;
}

/* Consumes @builder. */
void
hb_cli_output_emit (HbCliOutput *out,
                    JsonBuilder *builder)
{
  g_autoptr(JsonBuilder) owned = builder;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *data = NULL;
  gsize len = 0;

  json_builder_end_object (owned);
  root = json_builder_get_root (owned);
  json_generator_set_root (out->generator, root);
  data = json_generator_to_data (out->generator, &len);
  json_generator_set_root (out->generator, NULL);

  /* JSON is UTF-8 whatever the locale says, so no charset conversion. */
  fwrite (data, 1, len, stdout);
  fputc ('\n', stdout);
  written (out);
}

static char *timestamped (HbCliOutput *out, const char *format, va_list args) G_GNUC_PRINTF (2, 0);

struct _HbCliEvent
{
  HbCliOutput *out;
  JsonBuilder *builder;   /* JSON mode */
  char        *line;      /* human mode */
};

HbCliEvent *
hb_cli_event (HbCliOutput *out,
              const char  *event)
{
  HbCliEvent *ev = g_new0 (HbCliEvent, 1);

  ev->out = out;
  if (out->json)
    ev->builder = hb_cli_output_begin (out, event);
  return ev;
}

void
hb_cli_event_string (HbCliEvent *ev,
                     const char *name,
                     const char *value)
{
  if (ev->builder)
    hb_cli_json_add_string (ev->builder, name, value);
}

void
hb_cli_event_int (HbCliEvent *ev,
                  const char *name,
                  gint64      value)
{
  if (ev->builder)
    hb_cli_json_add_int (ev->builder, name, value);
}

void
hb_cli_event_double (HbCliEvent *ev,
                     const char *name,
                     double      value)
{
  if (ev->builder)
    hb_cli_json_add_double (ev->builder, name, value);
}

void
hb_cli_event_boolean (HbCliEvent *ev,
                      const char *name,
                      gboolean    value)
{
  if (ev->builder)
    hb_cli_json_add_boolean (ev->builder, name, value);
}

void
hb_cli_event_null (HbCliEvent *ev,
                   const char *name)
{
  if (ev->builder)
    hb_cli_json_add_null (ev->builder, name);
}

JsonBuilder *
hb_cli_event_json (HbCliEvent *ev)
{
  return ev->builder;
}

void
hb_cli_event_say (HbCliEvent *ev,
                  const char *format,
                  ...)
{
  va_list args;

  if (ev->builder)
    return;
  g_free (ev->line);
  va_start (args, format);
  ev->line = timestamped (ev->out, format, args);
  va_end (args);
}

void
hb_cli_event_emit (HbCliEvent *ev)
{
  if (ev->builder)
    hb_cli_output_emit (ev->out, ev->builder);
  else if (ev->line)
    put_text (ev->out, ev->line);
  g_free (ev->line);
  g_free (ev);
}

/* The few events that a busy server prints for every heartbeat are
 * written straight into one reused GString: through JsonBuilder and
 * JsonGenerator one costs several microseconds, and they come thousands
 * a second; printf() was still a third of what is left. Member names and
 * values must need no escaping; one event at a time. */
static void
append_member (GString    *s,
               const char *name)
{
  g_string_append (s, ",\"");
  g_string_append (s, name);
  g_string_append (s, "\":");
}

GString *
hb_cli_output_begin_plain (HbCliOutput *out,
                           const char  *event)
{
  gint64 now = g_get_real_time ();
  GString *s = out->plain;

  update_clock (out, now);
  g_string_truncate (s, 0);
  g_string_append (s, "{\"event\":\"");
  g_string_append (s, event);
  g_string_append (s, "\",\"time\":\"");
  g_string_append (s, out->iso_date);
  g_string_append_c (s, '.');
  hb_append_uint64 (s, (guint64) (now % G_USEC_PER_SEC / 1000), 3);
  g_string_append (s, out->iso_zone);
  g_string_append_c (s, '"');
  return s;
}

void
hb_cli_plain_add_int (GString    *s,
                      const char *name,
                      gint64      value)
{
  append_member (s, name);
  if (value < 0)
    g_string_append_c (s, '-');
  hb_append_uint64 (s, value < 0 ? -(guint64) value : (guint64) value, 1);
}

/* @us microseconds as milliseconds, "0.339", always with a point: a
 * reader typed by the first value it sees must not take "0" for an
 * integer. The same number as g_ascii_dtostr (us / 1000.0) gave,
 * "0.33900000000000002", whose printf() took a microsecond per PONG. */
void
hb_cli_plain_add_ms (GString    *s,
                     const char *name,
                     gint64      us)
{
  append_member (s, name);
  if (us < 0)
    g_string_append_c (s, '-');
  hb_append_uint64 (s, (us < 0 ? -(guint64) us : (guint64) us) / 1000, 1);
  g_string_append_c (s, '.');
  hb_append_uint64 (s, (us < 0 ? -(guint64) us : (guint64) us) % 1000, 3);
}

void
hb_cli_plain_add_null (GString    *s,
                       const char *name)
{
  append_member (s, name);
  g_string_append (s, "null");
}

/* Ends the event hb_cli_output_begin_plain() began and prints it. */
void
hb_cli_output_emit_plain (HbCliOutput *out,
                          GString     *s)
{
  g_string_append (s, "}\n");
  fwrite (s->str, 1, s->len, stdout);
  written (out);
}

static char *
timestamped (HbCliOutput *out,
             const char  *format,
             va_list      args)
{
  gint64 now = g_get_real_time ();
  g_autofree char *text = g_strdup_vprintf (format, args);

  update_clock (out, now);
  return g_strdup_printf ("%s.%03d %s\n", out->clock, (int) (now % G_USEC_PER_SEC / 1000), text);
}

void
hb_cli_output_print (HbCliOutput *out,
                     const char  *format,
                     ...)
{
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  line = timestamped (out, format, args);
  va_end (args);

  put_text (out, line);
}

void
hb_cli_output_note (HbCliOutput *out,
                    const char  *format,
                    ...)
{
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  line = timestamped (out, format, args);
  va_end (args);

  if (out->json)
    {
      g_printerr ("%s", line);
    }
  else
    {
      put_text (out, line);
    }
}

void
hb_cli_json_add_string (JsonBuilder *builder,
                        const char  *name,
                        const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
hb_cli_json_add_int (JsonBuilder *builder,
                     const char  *name,
                     gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

void
hb_cli_json_add_double (JsonBuilder *builder,
                        const char  *name,
                        double       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_double_value (builder, value);
}

void
hb_cli_json_add_null (JsonBuilder *builder,
                      const char  *name)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_null_value (builder);
}

void
hb_cli_json_add_boolean (JsonBuilder *builder,
                         const char  *name,
                         gboolean     value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_boolean_value (builder, value);
}

void
hb_cli_error (const char *format,
              ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  g_printerr ("%s: %s\n", HB_CLI_NAME, text);
}

int
hb_cli_usage_error (const char *command,
                    const char *message)
{
  g_autofree char *help = NULL;

  help = command != NULL ? g_strdup_printf ("%s %s --help", HB_CLI_NAME, command)
                         : g_strdup_printf ("%s --help", HB_CLI_NAME);
  hb_cli_error ("%s", message);
  /* Translators: %s is a command such as "heartbeat-lab-cli server --help". */
  g_printerr (_("Try “%s” for more information.\n"), help);
  return HB_CLI_EXIT_USAGE;
}

gboolean
hb_cli_parse_uint (const char  *option,
                   const char  *text,
                   guint        min,
                   guint        max,
                   guint       *value,
                   GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  guint64 parsed = 0;

  if (text == NULL)
    return TRUE;

  if (!g_ascii_string_to_unsigned (text, 10, min, max, &parsed, &local_error))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   /* Translators: the option, then GLib's reason, e.g.
                    * "--port: Number “70000” is out of bounds [0, 65535]" */
                   _("%s: %s"), option, local_error->message);
      return FALSE;
    }

  *value = (guint) parsed;
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Standard input                                                         */

struct _HbCliInput
{
  GString          *buf;        /* read, not yet delivered, from head on */
  gsize             head;
  guint             watch_id;   /* on fd 0 while reading */
  guint             idle_id;    /* delivers what is buffered after resume */
  HbCliLineFunc     func;
  gpointer          user_data;
  gboolean          paused;
  gboolean          eof;        /* read() said end of input */
  gboolean          done;       /* the end was reported */
};

#define INPUT_CHUNK (64 * 1024)

static gboolean on_stdin (int fd, GIOCondition condition, gpointer user_data);

/* Hands every complete line that arrived to the owner, then the end if
 * that came. Several lines read in one wake-up are delivered in the same
 * main-loop pass, so a pasted block of broadcasts goes out to each client
 * in one send(). While paused, lines wait here, but the end of input is
 * still reported once nothing is waiting before it: a client that is
 * reconnecting must hear that the user closed its input. */
static void
deliver (HbCliInput *input)
{
  gboolean line_waiting = FALSE;
  gboolean want_watch;

  while (!input->done)
    {
      char *start = input->buf->str + input->head;
      gsize avail = input->buf->len - input->head;
      char *lf = memchr (start, '\n', avail);
      gsize len;

      if (lf == NULL && !input->eof)
        break;
      if (lf == NULL && avail == 0)
        {
          input->done = TRUE;
          input->func (NULL, input->user_data);
          break;
        }
      if (input->paused)
        {
          line_waiting = TRUE;
          break;
        }
      len = lf ? (gsize) (lf - start) : avail;
      input->head += lf ? len + 1 : len;
      if (len > 0 && start[len - 1] == '\r')
        len--;
      start[len] = '\0';
      input->func (start, input->user_data);
    }

  if (input->head > 0 && input->head == input->buf->len)
    {
      g_string_truncate (input->buf, 0);
      input->head = 0;
    }
  else if (input->head >= INPUT_CHUNK)
    {
      g_string_erase (input->buf, 0, input->head);
      input->head = 0;
    }

  /* With a line held back, leave the rest in the kernel's pipe, which
   * holds the writer back. */
  want_watch = !input->eof && !input->done && !line_waiting;
  if (!want_watch && input->watch_id != 0)
    g_clear_handle_id (&input->watch_id, g_source_remove);
  else if (want_watch && input->watch_id == 0)
    input->watch_id = g_unix_fd_add (0, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, input);
}

static gboolean
on_stdin (int          fd,
          GIOCondition condition,
          gpointer     user_data)
{
  HbCliInput *input = user_data;
  gsize old_len = input->buf->len;
  ssize_t n;

  /* poll() said readable, so one read() does not block, even on a
   * terminal or pipe left in blocking mode (which we must not change:
   * the shell shares it). */
  g_string_set_size (input->buf, old_len + INPUT_CHUNK);
  do
    n = read (fd, input->buf->str + old_len, INPUT_CHUNK);
  while (n < 0 && errno == EINTR);
  g_string_set_size (input->buf, old_len + MAX (n, 0));

  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    {
      int err = errno;

      hb_cli_error (_("cannot read standard input: %s"), g_strerror (err));
      input->eof = TRUE;
      /* What came before the error is not a line the operator finished. */
      g_string_truncate (input->buf, input->head);
    }
  else if (n == 0)
    {
      input->eof = TRUE;
    }

  /* deliver() removes this watch when reading should stop. */
  deliver (input);
  return input->watch_id != 0 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean
deliver_cb (gpointer user_data)
{
  HbCliInput *input = user_data;

  input->idle_id = 0;
  deliver (input);
  return G_SOURCE_REMOVE;
}

HbCliInput *
hb_cli_input_new (HbCliLineFunc func,
                  gpointer      user_data)
{
  HbCliInput *input = g_new0 (HbCliInput, 1);

  input->buf = g_string_sized_new (INPUT_CHUNK);
  input->func = func;
  input->user_data = user_data;
  input->paused = TRUE;
  return input;
}

void
hb_cli_input_free (HbCliInput *input)
{
  if (input == NULL)
    return;
  g_clear_handle_id (&input->watch_id, g_source_remove);
  g_clear_handle_id (&input->idle_id, g_source_remove);
  g_string_free (input->buf, TRUE);
  g_free (input);
}

void
hb_cli_input_resume (HbCliInput *input)
{
  input->paused = FALSE;
  /* Not from here: the owner may be in the middle of something. */
  if (input->idle_id == 0 && !input->done)
    input->idle_id = g_idle_add (deliver_cb, input);
}

void
hb_cli_input_pause (HbCliInput *input)
{
  input->paused = TRUE;
  /* deliver() decides whether to keep watching: a pause that came
   * between a resume and its delivery must not leave standard input
   * unwatched, or its end would never be noticed. */
  if (input->idle_id == 0 && !input->done)
    input->idle_id = g_idle_add (deliver_cb, input);
}
