/* hb-test-cli.c - running heartbeat-lab-cli in a test: its stdin, its stdout as lines or JSON events, its exit
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every test spawns the real binary (its path is in $HB_CLI), feeds its
 * stdin through a pipe and reads its stdout line by line on the main loop.
 * Waits end on a condition or fail after a failsafe; nothing sleeps.
 */

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include "hb-test-cli.h"

static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* What a line must start with: an ISO 8601 time to the millisecond in
 * JSON, a clock time in human output. Made once, kept for the run. */
static GRegex *
iso_time_regex (void)
{
  static GRegex *regex;

  if (regex == NULL)
    regex = g_regex_new ("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}[+-]\\d\\d:\\d\\d$", 0, 0, NULL);
  return regex;
}

static GRegex *
clock_regex (void)
{
  static GRegex *regex;

  if (regex == NULL)
    regex = g_regex_new ("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} ", 0, 0, NULL);
  return regex;
}

/* Checks that @line is an event; returns whether it is kept. */
static gboolean
check_event (Cli        *cli,
             const char *line)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;
  JsonObject *obj;

  if (!json_parser_load_from_data (parser, line, -1, &error))
    g_error ("stdout line is not JSON (%s): %s", error->message, line);
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  obj = json_node_get_object (root);
  g_assert_nonnull (json_object_get_string_member_with_default (obj, "event", NULL));
  if (!g_regex_match (iso_time_regex (), json_object_get_string_member_with_default (obj, "time", ""), 0, NULL))
    g_error ("event without an ISO 8601 time to the millisecond: %s", line);

  if (g_strcmp0 (json_object_get_string_member (obj, "event"), "data") == 0)
    cli->data_bytes += json_object_get_int_member_with_default (obj, "bytes", 0);
  if (cli->thin_after > 0)
    {
      const char *event = json_object_get_string_member (obj, "event");
      guint seen = GPOINTER_TO_UINT (g_hash_table_lookup (cli->counts, event)) + 1;

      g_hash_table_insert (cli->counts, g_strdup (event), GUINT_TO_POINTER (seen));
      if (seen > cli->thin_after)
        return FALSE;
    }
  g_ptr_array_add (cli->events, json_node_copy (root));
  return TRUE;
}

static void read_out (Cli *cli);
static void read_err (Cli *cli);

static void
out_line_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  char *line;
  Cli *cli;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  cli = user_data;
  g_assert_no_error (error);
  if (line == NULL)
    {
      cli->out_eof = TRUE;
      return;
    }
  if (g_test_verbose () && cli->thin_after == 0)
    g_printerr ("# out: %s\n", line);
  cli->out_bytes += strlen (line) + 1;
  cli->longest_line = MAX (cli->longest_line, strlen (line));
  if (cli->json && !check_event (cli, line))
    g_free (line);
  else if (!cli->json && !g_regex_match (clock_regex (), line, 0, NULL))
    g_error ("human output line without a HH:MM:SS.mmm time: %s", line);
  else
    g_ptr_array_add (cli->lines, line);
  read_out (cli);
}

static void
read_out (Cli *cli)
{
  g_data_input_stream_read_line_async (cli->out, G_PRIORITY_DEFAULT, cli->cancellable,
                                       out_line_cb, cli);
}

static void
err_line_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  Cli *cli;

  line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), result, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  cli = user_data;
  g_assert_no_error (error);
  if (line == NULL)
    {
      cli->err_eof = TRUE;
      return;
    }
  if (g_test_verbose ())
    g_printerr ("# err: %s\n", line);
  g_string_append_printf (cli->errors, "%s\n", line);
  read_err (cli);
}

static void
read_err (Cli *cli)
{
  g_data_input_stream_read_line_async (cli->err, G_PRIORITY_DEFAULT, cli->cancellable,
                                       err_line_cb, cli);
}

static void
wait_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_assert_no_error (error);
  ((Cli *) user_data)->exited = TRUE;
}

/* The NULL-terminated arguments from @first on, as a NULL-terminated
 * array of borrowed strings. */
static GPtrArray *
args_from_va (const char *first,
              va_list     ap)
{
  GPtrArray *args = g_ptr_array_new ();

  for (const char *arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) arg);
  g_ptr_array_add (args, NULL);
  return args;
}

/* @head, then @tail, both NULL-terminated, as one such array. */
static GPtrArray *
args_join (const char * const *head,
           const char * const *tail)
{
  GPtrArray *args = g_ptr_array_new ();

  for (; *head != NULL; head++)
    g_ptr_array_add (args, (gpointer) *head);
  for (; *tail != NULL; tail++)
    g_ptr_array_add (args, (gpointer) *tail);
  g_ptr_array_add (args, NULL);
  return args;
}

#define COLLECT_ARGS(args, first)        \
  G_STMT_START {                         \
    va_list _ap;                         \
    va_start (_ap, first);               \
    args = args_from_va (first, _ap);    \
    va_end (_ap);                        \
  } G_STMT_END

/* @args: NULL-terminated, without the program itself. */
Cli *
cli_spawnv (const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  const char *program = g_getenv ("HB_CLI");
  Cli *cli = g_new0 (Cli, 1);

  g_assert_nonnull (program);
  g_ptr_array_add (argv, (gpointer) program);
  for (guint i = 0; args[i] != NULL; i++)
    {
      g_ptr_array_add (argv, (gpointer) args[i]);
      if (strcmp (args[i], "--json") == 0)
        cli->json = TRUE;
    }
  g_ptr_array_add (argv, NULL);

  {
    g_autoptr(GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                 G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                 G_SUBPROCESS_FLAGS_STDERR_PIPE);

    /* A failed assertion aborts this process: take the server with it. */
    g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
    cli->proc = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  }
  g_assert_no_error (error);
  cli->in = g_object_ref (g_subprocess_get_stdin_pipe (cli->proc));
  cli->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (cli->proc));
  cli->err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (cli->proc));
  cli->cancellable = g_cancellable_new ();
  cli->lines = g_ptr_array_new_with_free_func (g_free);
  cli->events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  cli->errors = g_string_new (NULL);
  cli->counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  read_out (cli);
  read_err (cli);
  g_subprocess_wait_async (cli->proc, cli->cancellable, wait_cb, cli);
  return cli;
}

Cli *
cli_spawn (const char *first,
           ...)
{
  g_autoptr(GPtrArray) args = NULL;

  COLLECT_ARGS (args, first);
  return cli_spawnv ((const char * const *) args->pdata);
}

void
cli_free (Cli *cli)
{
  if (!cli->exited)
    {
      g_subprocess_force_exit (cli->proc);
      wait_for (cli->exited);
    }
  g_cancellable_cancel (cli->cancellable);
  g_clear_object (&cli->cancellable);
  g_clear_object (&cli->in);
  g_clear_object (&cli->out);
  g_clear_object (&cli->err);
  g_clear_object (&cli->proc);
  g_ptr_array_unref (cli->lines);
  g_ptr_array_unref (cli->events);
  g_string_free (cli->errors, TRUE);
  g_hash_table_unref (cli->counts);
  g_free (cli);
}


void
cli_write_line (Cli        *cli,
                const char *line)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data = g_strconcat (line, "\n", NULL);

  g_output_stream_write_all (cli->in, data, strlen (data), NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_flush (cli->in, NULL, &error);
  g_assert_no_error (error);
}

void
cli_close_stdin (Cli *cli)
{
  g_autoptr(GError) error = NULL;

  g_output_stream_close (cli->in, NULL, &error);
  g_assert_no_error (error);
}

/* Waits until the process has exited and both its outputs ended; returns
 * the exit status (a death by signal fails the test). */
int
cli_wait_exit (Cli *cli)
{
  wait_for (cli->exited && cli->out_eof && cli->err_eof);
  if (!g_subprocess_get_if_exited (cli->proc))
    g_error ("heartbeat-lab-cli died of signal %d; stderr:\n%s",
             g_subprocess_get_term_sig (cli->proc), cli->errors->str);
  return g_subprocess_get_exit_status (cli->proc);
}

static gboolean
event_matches (JsonNode   *node,
               const char *event,
               const char *key,
               const char *value)
{
  JsonObject *obj = json_node_get_object (node);

  if (g_strcmp0 (json_object_get_string_member (obj, "event"), event) != 0)
    return FALSE;
  if (key == NULL)
    return TRUE;
  return g_strcmp0 (json_object_get_string_member_with_default (obj, key, NULL), value) == 0;
}

JsonObject *
find_event (Cli        *cli,
            guint       from,
            guint      *at,
            const char *event,
            const char *key,
            const char *value)
{
  for (guint i = from; i < cli->events->len; i++)
    {
      JsonNode *node = g_ptr_array_index (cli->events, i);

      if (event_matches (node, event, key, value))
        {
          if (at != NULL)
            *at = i;
          return json_node_get_object (node);
        }
    }
  return NULL;
}

static JsonObject *
wait_event_full (Cli        *cli,
                 gboolean    in_order,
                 const char *event,
                 const char *key,
                 const char *value)
{
  JsonObject *obj = NULL;
  guint from = in_order ? cli->next : 0;
  guint at = 0;
  gint64 deadline = g_get_monotonic_time () + (gint64) hb_test_timeout_ms () * 1000;

  g_assert_true (cli->json);
  while ((obj = find_event (cli, from, &at, event, key, value)) == NULL)
    {
      if ((cli->out_eof && cli->exited) || !hb_test_iterate (deadline))
        {
          g_autoptr(GString) seen = g_string_new (NULL);

          for (guint i = 0; i < cli->lines->len; i++)
            g_string_append_printf (seen, "  %s\n", (char *) g_ptr_array_index (cli->lines, i));
          g_error ("no “%s” event%s%s%s%s; stdout:\n%sstderr:\n%s", event,
                   key ? " with " : "", key ? key : "", key ? "=" : "", value ? value : "",
                   seen->str, cli->errors->str);
        }
    }
  if (in_order)
    cli->next = at + 1;
  return obj;
}

/* The next event of this name after the last one taken in order. */
JsonObject *
cli_next_event (Cli        *cli,
                const char *event)
{
  return wait_event_full (cli, TRUE, event, NULL, NULL);
}

/* Any event, seen or still to come, whose string @key is @value. */
JsonObject *
cli_any_event (Cli        *cli,
               const char *event,
               const char *key,
               const char *value)
{
  return wait_event_full (cli, FALSE, event, key, value);
}

/* All stdout lines joined by LF. */
char *
cli_stdout (Cli *cli)
{
  g_autoptr(GString) all = g_string_new (NULL);

  for (guint i = 0; i < cli->lines->len; i++)
    g_string_append_printf (all, "%s\n", (char *) g_ptr_array_index (cli->lines, i));
  return g_string_free (g_steal_pointer (&all), FALSE);
}

guint
count_lines (const char *text)
{
  guint n = 0;

  for (const char *p = text; *p != '\0'; p++)
    if (*p == '\n')
      n++;
  return n;
}

JsonObject *
cli_next_disconnected (Cli        *cli,
                       const char *reason,
                       const char *initiator)
{
  JsonObject *obj = cli_next_event (cli, "disconnected");

  if (reason != NULL)
    g_assert_cmpstr (ev_str (obj, "reason"), ==, reason);
  if (initiator != NULL)
    g_assert_cmpstr (ev_str (obj, "initiator"), ==, initiator);
  return obj;
}

const char *
ev_str (JsonObject *obj,
        const char *member)
{
  return json_object_get_string_member_with_default (obj, member, NULL);
}

gint64
ev_int (JsonObject *obj,
        const char *member)
{
  g_assert_true (json_object_has_member (obj, member));
  return json_object_get_int_member (obj, member);
}

gboolean
ev_flag (JsonObject *obj,
         const char *member)
{
  g_assert_true (json_object_has_member (obj, member));
  return json_object_get_boolean_member (obj, member);
}

const char *
cli_wait_line (Cli        *cli,
               const char *needle)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) hb_test_timeout_ms () * 1000;

  for (;;)
    {
      for (guint i = 0; i < cli->lines->len; i++)
        if (strstr (g_ptr_array_index (cli->lines, i), needle) != NULL)
          return g_ptr_array_index (cli->lines, i);
      if ((cli->out_eof && cli->exited) || !hb_test_iterate (deadline))
        {
          g_autofree char *all = cli_stdout (cli);

          g_error ("no line with “%s”; stdout:\n%sstderr:\n%s", needle, all, cli->errors->str);
        }
    }
}

guint
port_in_line (const char *line)
{
  const char *at = strstr (line, "127.0.0.1:");
  guint port;

  g_assert_nonnull (at);
  port = (guint) g_ascii_strtoull (at + strlen ("127.0.0.1:"), NULL, 10);
  g_assert_cmpuint (port, >, 0);
  return port;
}

/* Starts `server --json --port 0 ARGS...` and returns it with its port. */
Cli *
start_serverv (guint              *port,
               const char * const *extra)
{
  static const char * const head[] = { "server", "--json", "--port", "0", NULL };
  g_autoptr(GPtrArray) args = args_join (head, extra);
  JsonObject *listening;
  Cli *cli;

  cli = cli_spawnv ((const char * const *) args->pdata);
  listening = cli_next_event (cli, "listening");
  *port = (guint) json_object_get_int_member (listening, "port");
  g_assert_cmpuint (*port, >, 0);
  g_assert_cmpuint (*port, <, 65536);
  g_assert_nonnull (json_object_get_string_member (listening, "address"));
  return cli;
}

Cli *
start_server (guint      *port,
              const char *first,
              ...)
{
  g_autoptr(GPtrArray) extra = NULL;

  COLLECT_ARGS (extra, first);
  return start_serverv (port, (const char * const *) extra->pdata);
}

Cli *
start_human_server (guint      *port,
                    const char *first,
                    ...)
{
  static const char * const head[] = { "server", "--port", "0", NULL };
  g_autoptr(GPtrArray) extra = NULL;
  g_autoptr(GPtrArray) args = NULL;
  Cli *cli;

  COLLECT_ARGS (extra, first);
  args = args_join (head, (const char * const *) extra->pdata);
  cli = cli_spawnv ((const char * const *) args->pdata);
  *port = port_in_line (cli_wait_line (cli, "listening on 127.0.0.1:"));
  return cli;
}

Cli *
start_clientv (guint               port,
               const char * const *extra)
{
  g_autofree char *where = g_strdup_printf ("127.0.0.1:%u", port);
  const char * const head[] = { "client", where, "--json", NULL };
  g_autoptr(GPtrArray) args = args_join (head, extra);

  return cli_spawnv ((const char * const *) args->pdata);
}

Cli *
start_client (guint       port,
              const char *first,
              ...)
{
  g_autoptr(GPtrArray) extra = NULL;

  COLLECT_ARGS (extra, first);
  return start_clientv (port, (const char * const *) extra->pdata);
}

char *
run_plain (const char *first,
           ...)
{
  const char * const head[] = { g_getenv ("HB_CLI"), NULL };
  g_autoptr(GPtrArray) extra = NULL;
  g_autoptr(GPtrArray) args = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  char *out = NULL;

  g_assert_nonnull (head[0]);
  COLLECT_ARGS (extra, first);
  args = args_join (head, (const char * const *) extra->pdata);
  proc = g_subprocess_newv ((const char * const *) args->pdata,
                            G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);
  g_assert_cmpstr (err, ==, "");
  return out;
}

/* Runs the tool to completion with no input; returns its exit status. */
int
run_sync (const char * const  *args,
          char               **out,
          char               **err)
{
  g_autoptr(Cli) cli = cli_spawnv (args);
  int status;

  cli_close_stdin (cli);
  status = cli_wait_exit (cli);
  if (out != NULL)
    *out = cli_stdout (cli);
  if (err != NULL)
    *err = g_strdup (cli->errors->str);
  return status;
}

/* A listener on 127.0.0.1 with a port the kernel chose. */
GSocketListener *
bind_loopback (guint *port)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) want = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) got = NULL;
  g_autoptr(GError) error = NULL;

  g_socket_listener_add_address (listener, want, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                 NULL, &got, &error);
  g_assert_no_error (error);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (got));
  return g_steal_pointer (&listener);
}

guint
cli_count (Cli        *cli,
           const char *event)
{
  g_assert_cmpuint (cli->thin_after, >, 0);
  return GPOINTER_TO_UINT (g_hash_table_lookup (cli->counts, event));
}

/* A line of /proc/PID/status, in kB: VmRSS, VmHWM... */
guint64
cli_status_kb (Cli        *cli,
               const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status", g_subprocess_get_identifier (cli->proc));
  g_autofree char *status = NULL;
  g_autofree char *key = g_strconcat ("\n", field, ":", NULL);
  const char *at;

  g_assert_true (g_file_get_contents (path, &status, NULL, NULL));
  at = strstr (status, key);
  g_assert_nonnull (at);
  return g_ascii_strtoull (at + strlen (key), NULL, 10);
}
