/* hb-cli-output.c - what heartbeat-lab-cli prints (human or JSON) and how it reads stdin
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <gio/gunixinputstream.h>
#include <glib/gi18n.h>

#include "hb-cli-output.h"

struct _HbCliOutput
{
  gboolean       json;
  JsonGenerator *generator;
};

HbCliOutput *
hb_cli_output_new (gboolean json)
{
  HbCliOutput *out = g_new0 (HbCliOutput, 1);

  out->json = !!json;
  out->generator = json_generator_new ();
  return out;
}

void
hb_cli_output_free (HbCliOutput *out)
{
  if (out == NULL)
    return;
  g_clear_object (&out->generator);
  g_free (out);
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
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *time = hb_cli_format_iso8601 (now);
  JsonBuilder *builder = json_builder_new ();

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
  fflush (stdout);
}

static char *timestamped (const char *format, va_list args) G_GNUC_PRINTF (1, 0);

static char *
timestamped (const char *format,
             va_list     args)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *clock = hb_cli_format_clock (now);
  g_autofree char *text = g_strdup_vprintf (format, args);

  return g_strdup_printf ("%s %s\n", clock, text);
}

void
hb_cli_output_print (HbCliOutput *out,
                     const char  *format,
                     ...)
{
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  line = timestamped (format, args);
  va_end (args);

  g_print ("%s", line);
  fflush (stdout);
}

void
hb_cli_output_note (HbCliOutput *out,
                    const char  *format,
                    ...)
{
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  line = timestamped (format, args);
  va_end (args);

  if (out->json)
    {
      g_printerr ("%s", line);
    }
  else
    {
      g_print ("%s", line);
      fflush (stdout);
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
  GDataInputStream *stream;
  GCancellable     *cancellable;
  HbCliLineFunc     func;
  gpointer          user_data;
  gboolean          paused;
  gboolean          busy;       /* a read is in flight */
  gboolean          done;       /* the end was reported */
};

static void read_next (HbCliInput *input);

static void
line_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  HbCliInput *input;
  gsize len = 0;

  line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), result, &len, &error);
  /* Cancelled means the input was freed: @user_data is gone. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  input = user_data;
  input->busy = FALSE;

  if (line == NULL)
    {
      if (error != NULL)
        hb_cli_error (_("cannot read standard input: %s"), error->message);
      input->done = TRUE;
      input->func (NULL, input->user_data);
      return;
    }

  if (len > 0 && line[len - 1] == '\r')
    line[len - 1] = '\0';
  input->func (line, input->user_data);

  read_next (input);
}

static void
read_next (HbCliInput *input)
{
  if (input->paused || input->busy || input->done)
    return;
  input->busy = TRUE;
  g_data_input_stream_read_line_async (input->stream, G_PRIORITY_DEFAULT,
                                       input->cancellable, line_cb, input);
}

HbCliInput *
hb_cli_input_new (HbCliLineFunc func,
                  gpointer      user_data)
{
  HbCliInput *input = g_new0 (HbCliInput, 1);
  g_autoptr(GInputStream) base = g_unix_input_stream_new (0, FALSE);

  input->stream = g_data_input_stream_new (base);
  g_data_input_stream_set_newline_type (input->stream, G_DATA_STREAM_NEWLINE_TYPE_LF);
  input->cancellable = g_cancellable_new ();
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
  g_cancellable_cancel (input->cancellable);
  g_clear_object (&input->cancellable);
  g_clear_object (&input->stream);
  g_free (input);
}

void
hb_cli_input_resume (HbCliInput *input)
{
  input->paused = FALSE;
  read_next (input);
}

void
hb_cli_input_pause (HbCliInput *input)
{
  input->paused = TRUE;
}
