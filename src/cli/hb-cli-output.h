/* hb-cli-output.h - what heartbeat-lab-cli prints (human or JSON) and how it reads stdin
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define HB_CLI_NAME "heartbeat-lab-cli"

/* Exit statuses of the tool. */
#define HB_CLI_EXIT_OK       0
#define HB_CLI_EXIT_FAILURE  1
#define HB_CLI_EXIT_USAGE    2

/**
 * HbCliOutput:
 * Where events go: stdout, one line each, flushed once per main-loop
 * pass. In human mode a line starts with the local time to the
 * millisecond; in JSON mode each event is one object with "event" and
 * "time" members.
 */
typedef struct _HbCliOutput HbCliOutput;

HbCliOutput *hb_cli_output_new          (gboolean      json);
void         hb_cli_output_free         (HbCliOutput  *out);
gboolean     hb_cli_output_is_json      (HbCliOutput  *out);

/* Starts a JSON event: the returned builder is inside an open object that
 * already holds "event" and "time". Finish it with hb_cli_output_emit(). */
JsonBuilder *hb_cli_output_begin        (HbCliOutput  *out,
                                         const char   *event);
void         hb_cli_output_emit         (HbCliOutput  *out,
                                         JsonBuilder  *builder);

/* The same for events with only numbers besides "event" and "time", for
 * those printed for every heartbeat: cheaper than a JsonBuilder. The
 * string is the output's own, reused: one such event at a time, begun
 * and emitted. */
GString     *hb_cli_output_begin_plain  (HbCliOutput  *out,
                                         const char   *event);
void         hb_cli_plain_add_int       (GString      *s,
                                         const char   *name,
                                         gint64        value);
void         hb_cli_plain_add_ms        (GString      *s,
                                         const char   *name,
                                         gint64        us);
void         hb_cli_plain_add_null      (GString      *s,
                                         const char   *name);
void         hb_cli_output_emit_plain   (HbCliOutput  *out,
                                         GString      *s);

/**
 * HbCliEvent:
 * One event described once: its fields for --json and its line for a
 * person, so that the two cannot drift apart. In human mode the fields
 * cost nothing; in JSON mode the line is not formatted. An event with no
 * line (hb_cli_event_say() not called) prints nothing in human mode.
 *
 *   HbCliEvent *ev = hb_cli_event (out, "welcome");
 *   hb_cli_event_int (ev, "id", id);
 *   hb_cli_event_say (ev, _("welcome: we are client %u"), id);
 *   hb_cli_event_emit (ev);
 */
typedef struct _HbCliEvent HbCliEvent;

HbCliEvent  *hb_cli_event               (HbCliOutput  *out,
                                         const char   *event);
void         hb_cli_event_string        (HbCliEvent   *ev,
                                         const char   *name,
                                         const char   *value);
void         hb_cli_event_int           (HbCliEvent   *ev,
                                         const char   *name,
                                         gint64        value);
void         hb_cli_event_double        (HbCliEvent   *ev,
                                         const char   *name,
                                         double        value);
void         hb_cli_event_boolean       (HbCliEvent   *ev,
                                         const char   *name,
                                         gboolean      value);
void         hb_cli_event_null          (HbCliEvent   *ev,
                                         const char   *name);
/* The JSON builder of a JSON event (for arrays and nested objects), or
 * NULL in human mode. */
JsonBuilder *hb_cli_event_json          (HbCliEvent   *ev);
/* The person's line; text from a peer must be made safe first
 * (hb_text_make_safe()). */
void         hb_cli_event_say           (HbCliEvent   *ev,
                                         const char   *format,
                                         ...) G_GNUC_PRINTF (2, 3);
/* Writes the event and frees it. */
void         hb_cli_event_emit          (HbCliEvent   *ev);

/* Prints one human-readable line with the time in front. */
void         hb_cli_output_print        (HbCliOutput  *out,
                                         const char   *format,
                                         ...) G_GNUC_PRINTF (2, 3);
/* Feedback to the operator (help, mistakes in a command): stdout in human
 * mode, stderr in JSON mode so that stdout stays machine-readable. */
void         hb_cli_output_note         (HbCliOutput  *out,
                                         const char   *format,
                                         ...) G_GNUC_PRINTF (2, 3);

void         hb_cli_json_add_string     (JsonBuilder  *builder,
                                         const char   *name,
                                         const char   *value);
void         hb_cli_json_add_int        (JsonBuilder  *builder,
                                         const char   *name,
                                         gint64        value);
void         hb_cli_json_add_double     (JsonBuilder  *builder,
                                         const char   *name,
                                         double        value);
void         hb_cli_json_add_null       (JsonBuilder  *builder,
                                         const char   *name);
void         hb_cli_json_add_boolean    (JsonBuilder  *builder,
                                         const char   *name,
                                         gboolean      value);

/* "2026-11-25T12:03:04.123+00:00" */
char        *hb_cli_format_iso8601      (GDateTime    *when);
/* "12:03:04.123" */
char        *hb_cli_format_clock        (GDateTime    *when);

/* One line on stderr: "heartbeat-lab-cli: MESSAGE". */
void         hb_cli_error               (const char   *format,
                                         ...) G_GNUC_PRINTF (1, 2);
/* Reports wrong usage with a hint to @command's --help and returns
 * HB_CLI_EXIT_USAGE. @command is NULL for the top level. */
int          hb_cli_usage_error         (const char   *command,
                                         const char   *message);

/* Parses a decimal number given to @option, checking it lies in
 * [@min, @max]. A NULL @text leaves @value alone. */
gboolean     hb_cli_parse_uint          (const char   *option,
                                         const char   *text,
                                         guint         min,
                                         guint         max,
                                         guint        *value,
                                         GError      **error);

/**
 * HbCliInput:
 * Reads stdin on the main loop, a block per wake-up, and hands it over a
 * line at a time. @line is NULL at the end of input (or on a read error,
 * reported on stderr first). A trailing CR is removed.
 */
typedef void (*HbCliLineFunc) (const char *line,
                               gpointer    user_data);

typedef struct _HbCliInput HbCliInput;

HbCliInput  *hb_cli_input_new           (HbCliLineFunc  func,
                                         gpointer       user_data);
void         hb_cli_input_free          (HbCliInput    *input);
/* Reading starts paused; resume to get lines, pause to hold back. */
void         hb_cli_input_resume        (HbCliInput    *input);
void         hb_cli_input_pause         (HbCliInput    *input);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbCliOutput, hb_cli_output_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbCliInput, hb_cli_input_free)

G_END_DECLS
