/* hb-test-cli.h - running heartbeat-lab-cli in a test: its stdin, its stdout as lines or JSON events, its exit
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "hb-test-util.h"

G_BEGIN_DECLS

/* The waits of every test: hb-test-util's, scaled in sanitizer builds. */
#define wait_for(expr) hb_assert_eventually (expr)

/* A running heartbeat-lab-cli. Every stdout line is checked as it comes:
 * in JSON mode (--json among the arguments) it must be an event object
 * with an ISO 8601 "time"; otherwise a line starting with HH:MM:SS.mmm. */
typedef struct
{
  GSubprocess      *proc;
  GOutputStream    *in;
  GDataInputStream *out;
  GDataInputStream *err;
  GCancellable     *cancellable;
  gboolean          json;
  GPtrArray        *lines;     /* char*, stdout without LF */
  GPtrArray        *events;    /* JsonNode*, in JSON mode */
  GString          *errors;    /* all of stderr */
  guint             next;      /* first event not yet taken in order */
  gboolean          out_eof;
  gboolean          err_eof;
  gboolean          exited;
  /* For a flood: when not 0, of each event only the first thin_after are
   * kept; the rest are checked and counted (cli_count()) only. */
  guint             thin_after;
  GHashTable       *counts;    /* event name → number seen */
  guint64           out_bytes; /* all of stdout */
  guint64           data_bytes; /* the sum of "bytes" of every "data" event */
  gsize             longest_line;
} Cli;

/* @args: NULL-terminated, without the program itself. */
Cli        *cli_spawnv      (const char * const *args);
Cli        *cli_spawn       (const char         *first,
                             ...) G_GNUC_NULL_TERMINATED;
void        cli_free        (Cli                *cli);
void        cli_write_line  (Cli                *cli,
                             const char         *line);
void        cli_close_stdin (Cli                *cli);
/* Waits until the process has exited and both its outputs ended; returns
 * the exit status (a death by signal fails the test). */
int         cli_wait_exit   (Cli                *cli);

/* An event from @from on whose string @key is @value (any with @key
 * NULL); *@at gets its index. */
JsonObject *find_event      (Cli                *cli,
                             guint               from,
                             guint              *at,
                             const char         *event,
                             const char         *key,
                             const char         *value);
/* The next event of this name after the last one taken in order. */
JsonObject *cli_next_event  (Cli                *cli,
                             const char         *event);
/* The next "disconnected" event, its reason and initiator asserted
 * (either NULL: not asserted). */
JsonObject *cli_next_disconnected (Cli           *cli,
                                   const char    *reason,
                                   const char    *initiator);
/* Any event, seen or still to come, whose string @key is @value. */
JsonObject *cli_any_event   (Cli                *cli,
                             const char         *event,
                             const char         *key,
                             const char         *value);
/* All stdout lines joined by LF. */
char       *cli_stdout      (Cli                *cli);
guint       count_lines     (const char         *text);
/* With thin_after set: how many events of this name came. */
guint       cli_count       (Cli                *cli,
                             const char         *event);
/* A field of /proc/PID/status, in kB: "VmRSS", "VmHWM". */
guint64     cli_status_kb   (Cli                *cli,
                             const char         *field);

/* A member of an event: a string (NULL if there is none), a number or a
 * boolean (which must be there). */
const char *ev_str          (JsonObject         *obj,
                             const char         *member);
gint64      ev_int          (JsonObject         *obj,
                             const char         *member);
gboolean    ev_flag         (JsonObject         *obj,
                             const char         *member);
/* Waits for a human stdout line containing @needle, seen or still to
 * come, and returns it (owned by @cli). */
const char *cli_wait_line   (Cli                *cli,
                             const char         *needle);
/* The port of the first "127.0.0.1:PORT" in @line. */
guint       port_in_line    (const char         *line);

/* Starts `server --json --port 0 ARGS...` and returns it with its port.
 * ARGS end with NULL (which may be @first). */
Cli        *start_server    (guint              *port,
                             const char         *first,
                             ...);
Cli        *start_serverv   (guint              *port,
                             const char * const *args);
/* Starts `server --port 0 ARGS...` with human output, waits for its
 * "listening on 127.0.0.1:PORT" line and returns it with that port. */
Cli        *start_human_server (guint           *port,
                                const char      *first,
                                ...);
/* Starts `client 127.0.0.1:PORT --json ARGS...`. */
Cli        *start_client    (guint               port,
                             const char         *first,
                             ...);
Cli        *start_clientv   (guint               port,
                             const char * const *args);
/* Runs the tool with ARGS (NULL-terminated) for what is neither an event
 * nor a timed line (--help, --version): asserts that it exits 0 and
 * writes nothing to stderr, and returns its stdout. */
char       *run_plain       (const char         *first,
                             ...) G_GNUC_NULL_TERMINATED;
/* Runs the tool to completion with no input; returns its exit status. */
int         run_sync        (const char * const *args,
                             char              **out,
                             char              **err);
/* A listener on 127.0.0.1 with a port the kernel chose. */
GSocketListener *bind_loopback (guint           *port);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Cli, cli_free)

G_END_DECLS
