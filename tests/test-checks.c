/* test-checks.c - heartbeat-lab-cli check-server and check-client against programs written as students write them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every test runs the real CLI ($HB_CLI) against tests/students (or our
 * own server and client), reads its --json rows and asserts every
 * verdict, and the exit status. Intervals are short so that a battery
 * takes seconds, not minutes.
 */

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "heartbeat-lab.h"
#include "hb-test-util.h"

#define P TRUE
#define F FALSE

/* A battery runs for several intervals: far longer than one wait of
 * hb-test-util. */
#define RUN_LIMIT_MS (90 * 1000)

typedef struct
{
  int         status;
  GHashTable *checks;     /* name → JsonObject* of its "check" event */
  GPtrArray  *order;      /* the names, in the order printed */
  JsonObject *summary;
  JsonObject *listening;  /* check-client's */
  GPtrArray  *nodes;      /* JsonNode*, owning the objects above */
  char       *errors;
} Run;

static void
run_free (Run *run)
{
  g_hash_table_unref (run->checks);
  g_ptr_array_unref (run->order);
  g_ptr_array_unref (run->nodes);
  g_free (run->errors);
  g_free (run);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Run, run_free)

static const char *
cli_path (void)
{
  const char *cli = g_getenv ("HB_CLI");

  g_assert_nonnull (cli);
  return cli;
}

static char *
student (const char *script)
{
  return g_build_filename (g_getenv ("HB_STUDENTS"), script, NULL);
}

static const char *
python (void)
{
  return g_getenv ("HB_PYTHON") ? g_getenv ("HB_PYTHON") : "python3";
}

/* Waits for @proc to exit and for the end of its output, for longer than
 * one hb_assert_eventually(): a battery takes many intervals. */
static int
wait_done (HbTestProc *proc)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) RUN_LIMIT_MS * 1000 * (hb_test_timeout_ms () / HB_TEST_TIMEOUT_MS);

  while (!proc->exited || !proc->out_eof)
    if (!hb_test_iterate (deadline))
      g_error ("the checker did not finish; stderr: %s", proc->errors->str);
  return g_subprocess_get_exit_status (proc->proc);
}

/* Reads every --json line of a finished checker. */
static Run *
collect (HbTestProc *proc)
{
  Run *run = g_new0 (Run, 1);

  run->status = wait_done (proc);
  run->checks = g_hash_table_new (g_str_hash, g_str_equal);
  run->order = g_ptr_array_new ();
  run->nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  run->errors = g_strdup (proc->errors->str);
  for (guint i = 0; i < proc->lines->len; i++)
    {
      const char *line = g_ptr_array_index (proc->lines, i);
      g_autoptr(GError) error = NULL;
      JsonNode *node = json_from_string (line, &error);
      JsonObject *obj;
      const char *event;

      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        g_error ("stdout line is not a JSON object (%s): %s", error ? error->message : "", line);
      g_ptr_array_add (run->nodes, node);
      obj = json_node_get_object (node);
      event = json_object_get_string_member (obj, "event");
      if (g_str_equal (event, "check"))
        {
          const char *name = json_object_get_string_member (obj, "name");

          g_assert_null (g_hash_table_lookup (run->checks, name));
          g_hash_table_insert (run->checks, (gpointer) name, obj);
          g_ptr_array_add (run->order, (gpointer) name);
          /* Every row says what was seen. */
          g_assert_cmpstr (json_object_get_string_member (obj, "evidence"), !=, "");
          g_assert_cmpstr (json_object_get_string_member (obj, "title"), !=, "");
          g_assert_true (JSON_NODE_HOLDS_OBJECT (json_object_get_member (obj, "numbers")));
        }
      else if (g_str_equal (event, "summary"))
        run->summary = obj;
      else if (g_str_equal (event, "listening"))
        run->listening = obj;
      else
        g_error ("unexpected event: %s", line);
    }
  g_assert_nonnull (run->summary);
  return run;
}

static JsonObject *
check_of (Run        *run,
          const char *name)
{
  JsonObject *obj = g_hash_table_lookup (run->checks, name);

  if (obj == NULL)
    g_error ("no row for the check %s; stderr: %s", name, run->errors);
  return obj;
}

static const char *
evidence_of (Run        *run,
             const char *name)
{
  return json_object_get_string_member (check_of (run, name), "evidence");
}

static double
number_of (Run        *run,
           const char *check,
           const char *name)
{
  JsonObject *numbers = json_object_get_object_member (check_of (run, check), "numbers");

  g_assert_true (json_object_has_member (numbers, name));
  return json_node_get_double (json_object_get_member (numbers, name));
}

/* Every verdict as expected, in this order, and the exit status that
 * follows from them. */
static void
assert_verdicts (Run                *run,
                 const char * const *names,
                 const gboolean     *want,
                 guint               n)
{
  guint passed = 0;

  g_assert_cmpuint (run->order->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *obj = check_of (run, names[i]);
      gboolean got = json_object_get_boolean_member (obj, "passed");

      g_assert_cmpstr (g_ptr_array_index (run->order, i), ==, names[i]);
      if (got != want[i])
        g_error ("check %s %s, expected it to %s: %s; stderr: %s", names[i], got ? "passed" : "failed",
                 want[i] ? "pass" : "fail", json_object_get_string_member (obj, "evidence"), run->errors);
      g_assert_cmpstr (json_object_get_string_member (obj, "verdict"), ==, got ? "passed" : "failed");
      passed += got;
    }
  g_assert_cmpint (json_object_get_int_member (run->summary, "total"), ==, n);
  g_assert_cmpint (json_object_get_int_member (run->summary, "passed"), ==, passed);
  g_assert_cmpint (json_object_get_int_member (run->summary, "failed"), ==, n - passed);
  g_assert_true (json_object_get_boolean_member (run->summary, "ok") == (passed == n));
  g_assert_cmpint (run->status, ==, passed == n ? 0 : 1);
}

/* ---------------------------------------------------------------------- */
/* check-server                                                            */

static const char * const server_checks[] = {
  "accepts", "heartbeats", "stall", "message", "closes-with-fin", "survives-reset", "survives-flood",
};

#define CHECK_INTERVAL_MS "500"

static Run *
check_server (guint       port,
              const char *protocol,
              const char *interval)
{
  g_autofree char *where = g_strdup_printf ("127.0.0.1:%u", port);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(HbTestProc) proc = NULL;

  g_ptr_array_add (argv, (gpointer) cli_path ());
  g_ptr_array_add (argv, "check-server");
  g_ptr_array_add (argv, where);
  g_ptr_array_add (argv, "--clients");
  g_ptr_array_add (argv, "4");
  g_ptr_array_add (argv, "--json");
  g_ptr_array_add (argv, "--protocol");
  g_ptr_array_add (argv, (gpointer) protocol);
  if (interval != NULL)
    {
      g_ptr_array_add (argv, "--interval");
      g_ptr_array_add (argv, (gpointer) interval);
    }
  g_ptr_array_add (argv, NULL);
  proc = hb_test_proc_new ((const char * const *) argv->pdata);
  return collect (proc);
}

/* tests/students/lab_server.py @mode, beating every 0.5 s. */
static Run *
check_student_server (const char *mode)
{
  g_autoptr(HbTestProc) server = hb_test_proc_student ("lab_server.py", mode, "0", "0.5", NULL);
  const char *line = hb_test_proc_wait_line (server, "listening ");
  guint port = (guint) g_ascii_strtoull (line + strlen ("listening "), NULL, 10);

  g_assert_cmpuint (port, >, 0);
  return check_server (port, "lab", CHECK_INTERVAL_MS);
}

static void
test_server_student_good (void)
{
  g_autoptr(Run) run = check_student_server ("good");
  const gboolean want[] = { P, P, P, P, P, P, P };

  assert_verdicts (run, server_checks, want, G_N_ELEMENTS (want));
  /* The measured numbers back the verdicts. */
  g_assert_cmpfloat (number_of (run, "accepts", "accepted"), ==, 4);
  g_assert_cmpfloat (number_of (run, "heartbeats", "gaps"), >=, 8);
  g_assert_cmpfloat (number_of (run, "heartbeats", "min_gap_ms"), >=, 400);
  g_assert_cmpfloat (number_of (run, "heartbeats", "max_gap_ms"), <=, 600);
  g_assert_cmpfloat (number_of (run, "stall", "longest_silence_ms"), <=, 600);
  g_assert_cmpfloat (number_of (run, "closes-with-fin", "after_ms"), <, 2000);
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member (check_of (run, "closes-with-fin"), "numbers"), "fin"));
  g_assert_cmpfloat (number_of (run, "survives-flood", "bytes"), ==, 65536);
  g_assert_nonnull (strstr (evidence_of (run, "closes-with-fin"), "FIN"));
  g_assert_cmpint (json_object_get_int_member (run->summary, "interval_ms"), ==, 500);
  g_assert_cmpstr (json_object_get_string_member (run->summary, "protocol"), ==, "lab");
}

static void
test_server_student_rst (void)
{
  g_autoptr(Run) run = check_student_server ("rst");
  const gboolean want[] = { P, P, P, P, F, P, P };

  assert_verdicts (run, server_checks, want, G_N_ELEMENTS (want));
  g_assert_nonnull (strstr (evidence_of (run, "closes-with-fin"), "RST"));
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member (check_of (run, "closes-with-fin"), "numbers"), "rst"));
}

static void
test_server_student_stall (void)
{
  g_autoptr(Run) run = check_student_server ("stall");
  /* Its heartbeat thread waits for each client's ack in turn; its
   * client threads never read, so a client's FIN goes unanswered. */
  const gboolean want[] = { P, P, F, P, F, P, P };

  assert_verdicts (run, server_checks, want, G_N_ELEMENTS (want));
  g_assert_cmpfloat (number_of (run, "stall", "starved"), ==, 3);
  g_assert_cmpfloat (number_of (run, "stall", "longest_silence_ms"), >, 600);
  g_assert_nonnull (strstr (evidence_of (run, "stall"), "in turn"));
  g_assert_nonnull (strstr (evidence_of (run, "closes-with-fin"), "no FIN"));
}

/* Our own server passes, in both protocols; in heartbeat-lab the interval
 * is the one its WELCOME announces. */
static void
test_server_ours (gconstpointer data)
{
  HbProtocol protocol = GPOINTER_TO_INT (data);
  g_autoptr(HbServer) server = g_object_new (HB_TYPE_SERVER, "port", 0, "protocol", protocol,
                                             "interval-ms", 500, "timeout-ms", 1500, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(Run) run = NULL;
  const gboolean want[] = { P, P, P, P, P, P, P };

  g_assert_true (hb_server_start (server, &error));
  run = check_server (hb_server_get_port (server), hb_protocol_to_string (protocol),
                      protocol == HB_PROTOCOL_LAB ? CHECK_INTERVAL_MS : NULL);
  assert_verdicts (run, server_checks, want, G_N_ELEMENTS (want));
  g_assert_cmpint (json_object_get_int_member (run->summary, "interval_ms"), ==, 500);
  hb_server_stop (server);
}

/* Nothing listens: every row is a ✗, in words a person reads. */
static void
test_server_refused (void)
{
  g_autoptr(GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, 0, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree char *where = NULL;
  g_autoptr(HbTestProc) proc = NULL;
  guint rows = 0;

  /* A port just bound and never listened on refuses connections. */
  g_assert_true (g_socket_bind (sock, any, FALSE, NULL));
  bound = g_socket_get_local_address (sock, NULL);
  where = g_strdup_printf ("127.0.0.1:%u", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  proc = hb_test_proc_new ((const char *[]) { cli_path (), "check-server", where, "--clients", "4", NULL });
  g_assert_cmpint (wait_done (proc), ==, 1);

  for (guint i = 0; i < proc->lines->len; i++)
    {
      const char *line = g_ptr_array_index (proc->lines, i);

      if (g_str_has_prefix (line, "✗ "))
        rows++;
      g_assert_false (g_str_has_prefix (line, "✓ "));
    }
  g_assert_cmpuint (rows, ==, 7);
  g_assert_true (hb_test_proc_has_line (proc, "✗ Accepts every connection: 0 of 4 connections accepted; "
                                              "connection 1: connection refused (nothing listens on that port)"));
  g_assert_true (hb_test_proc_has_line (proc, "not checked: no connection is open"));
  g_assert_true (hb_test_proc_has_line (proc, "0 of 7 checks passed, 7 failed"));
}

/* ---------------------------------------------------------------------- */
/* check-client                                                            */

static const char * const client_checks[] = {
  "connects", "answers", "glued", "sends", "after-broadcast", "closes-with-fin",
};

typedef struct
{
  const char *mode;
  gboolean    want[6];
} ClientCase;

/* tests/students/lab_client.py: late answers 1.2 s late, beaten every
 * 1.3 s, so that each answer follows its own heartbeat. */
static const ClientCase client_cases[] = {
  { "good",   { P, P, P, P, P, P } },
  { "late",   { P, F, F, P, F, P } },
  { "silent", { P, F, F, P, F, P } },
  { "exact",  { P, F, F, P, P, P } },
  { "glue",   { P, P, P, P, P, P } },
  { "rst",    { P, P, P, P, P, F } },
};

static Run *
check_client (const char * const *command,
              const char         *protocol,
              const char         *interval)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(HbTestProc) proc = NULL;

  g_ptr_array_add (argv, (gpointer) cli_path ());
  g_ptr_array_add (argv, "check-client");
  g_ptr_array_add (argv, "--port");
  g_ptr_array_add (argv, "0");
  g_ptr_array_add (argv, "--interval");
  g_ptr_array_add (argv, (gpointer) interval);
  g_ptr_array_add (argv, "--protocol");
  g_ptr_array_add (argv, (gpointer) protocol);
  g_ptr_array_add (argv, "--json");
  g_ptr_array_add (argv, "--");
  for (guint i = 0; command[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) command[i]);
  g_ptr_array_add (argv, NULL);
  proc = hb_test_proc_new ((const char * const *) argv->pdata);
  return collect (proc);
}

static void
test_client_student (gconstpointer data)
{
  const ClientCase *cc = data;
  g_autofree char *script = student ("lab_client.py");
  g_autoptr(Run) run = NULL;

  g_setenv ("LAB_DELAY", "1.2", TRUE);
  /* "{port}" becomes the port the checker listens on. */
  run = check_client ((const char *[]) { python (), script, cc->mode, "127.0.0.1", "{port}", NULL },
                      "lab", "1300");
  assert_verdicts (run, client_checks, cc->want, G_N_ELEMENTS (cc->want));

  g_assert_nonnull (run->listening);
  g_assert_cmpint (json_object_get_int_member (run->listening, "port"), >, 0);
  g_assert_cmpint (json_object_get_int_member (run->summary, "port"), ==,
                   json_object_get_int_member (run->listening, "port"));
  g_assert_cmpint (json_object_get_int_member (run->summary, "command_status"), ==, 0);
  /* The program's own output went to standard error. */
  g_assert_nonnull (strstr (run->errors, "服务器的群发消息为:456"));
  if (g_str_equal (cc->mode, "rst"))
    g_assert_nonnull (strstr (evidence_of (run, "closes-with-fin"), "RST"));
  if (g_str_equal (cc->mode, "exact"))
    g_assert_nonnull (strstr (evidence_of (run, "glued"), "789"));
  g_assert_nonnull (strstr (evidence_of (run, "sends"), "123"));
}

/* $HB_PORT names the port too; and our own client passes in the line
 * protocol, "{port}" inside an argument. */
static void
test_client_env_port (void)
{
  g_autofree char *script = student ("lab_client.py");
  g_autofree char *line = g_strdup_printf ("exec \"%s\" \"%s\" good \"$HB_HOST\" \"$HB_PORT\"", python (), script);
  g_autoptr(Run) run = check_client ((const char *[]) { "sh", "-c", line, NULL }, "lab", "1000");
  const gboolean want[] = { P, P, P, P, P, P };

  assert_verdicts (run, client_checks, want, G_N_ELEMENTS (want));
}

static void
test_client_ours_line (void)
{
  g_autoptr(Run) run = check_client ((const char *[]) { cli_path (), "client", "127.0.0.1:{port}", NULL },
                                     "heartbeat-lab", "500");
  const gboolean want[] = { P, P, P, P, P, P };

  assert_verdicts (run, client_checks, want, G_N_ELEMENTS (want));
  g_assert_cmpstr (json_object_get_string_member (run->summary, "protocol"), ==, "heartbeat-lab");
}

/* Without COMMAND a person runs the client: the checker says what to
 * type, then closes the connection and expects the client's FIN. */
static void
test_client_by_hand (void)
{
  g_autoptr(HbTestProc) checker = NULL;
  g_autoptr(HbTestProc) client = NULL;
  g_autoptr(Run) run = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *port = NULL;
  const gboolean want[] = { P, P, P, P, P, P };

  checker = hb_test_proc_new ((const char *[]) { cli_path (), "check-client", "--port", "0", "--interval", "500",
                                                 "--timeout", "20000", "--json", NULL });
  node = json_from_string (hb_test_proc_wait_line (checker, "\"listening\""), NULL);
  port = g_strdup_printf ("%" G_GINT64_FORMAT,
                          json_object_get_int_member (json_node_get_object (node), "port"));
  client = hb_test_proc_student ("lab_client.py", "good", "127.0.0.1", port, NULL);

  /* The notes go to standard error in JSON mode. */
  hb_assert_eventually (strstr (checker->errors->str, "type “123” into your client") != NULL);
  hb_test_proc_write (client, "123\n");
  /* This client closes its socket only when its input ends. */
  hb_assert_eventually (strstr (checker->errors->str, "the server closes the connection") != NULL);
  hb_test_proc_close_stdin (client);
  run = collect (checker);
  assert_verdicts (run, client_checks, want, G_N_ELEMENTS (want));
  g_assert_nonnull (strstr (evidence_of (run, "closes-with-fin"), "answered the server's FIN"));
  g_assert_cmpint (hb_test_proc_wait_exit (client), ==, 0);
}

static void
test_client_never_connects (void)
{
  g_autoptr(HbTestProc) proc = hb_test_proc_new ((const char *[]) { cli_path (), "check-client", "--port", "0",
                                                                    "--timeout", "300", NULL });

  g_assert_cmpint (wait_done (proc), ==, 1);
  g_assert_nonnull (strstr (proc->errors->str, "no client connected within 1 second"));
  g_assert_true (hb_test_proc_has_line (proc, "✗ Connects: no client connected within 1 second"));
  g_assert_true (hb_test_proc_has_line (proc, "✗ Closes with FIN, not RST: not judged: no client connected"));
  g_assert_true (hb_test_proc_has_line (proc, "0 of 6 checks passed, 6 failed"));
}

/* ---------------------------------------------------------------------- */
/* Wrong usage                                                             */

typedef struct
{
  const char *args[8];
  const char *error;
} UsageCase;

static const UsageCase usage_cases[] = {
  { { "check-server", "127.0.0.1:1", "--heartbeat-text", "", NULL }, "--heartbeat-text is empty" },
  { { "check-server", "127.0.0.1:1", "--ack-hex", "6", NULL }, "--ack-hex" },
  { { "check-server", "127.0.0.1:1", "--protocol", "raw", NULL }, "not lab or heartbeat-lab" },
  { { "check-server", "127.0.0.1:1", "--clients", "2", NULL }, "--clients" },
  { { "check-server", NULL }, "missing HOST[:PORT]" },
  { { "check-client", "--ack-text", "", NULL }, "--ack-text is empty" },
  { { "check-client", "--heartbeat-text", "x", "--heartbeat-hex", "78", NULL }, "are both given: choose one" },
  { { "check-client", "--", NULL }, "missing COMMAND after --" },
  { { "check-client", "python3", NULL }, "put COMMAND after --" },
};

static void
test_usage (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (usage_cases); i++)
    {
      const UsageCase *uc = &usage_cases[i];
      const char *argv[10] = { cli_path () };
      g_autoptr(HbTestProc) proc = NULL;

      for (guint k = 0; uc->args[k] != NULL; k++)
        argv[k + 1] = uc->args[k];
      proc = hb_test_proc_new (argv);
      g_assert_cmpint (hb_test_proc_wait_exit (proc), ==, 2);
      hb_assert_eventually (strstr (proc->errors->str, "--help") != NULL);
      if (strstr (proc->errors->str, uc->error) == NULL)
        g_error ("%s %s: expected “%s” on stderr, got: %s", uc->args[0], uc->args[1], uc->error,
                 proc->errors->str);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/checks/usage", test_usage);
  g_test_add_func ("/core/checks/server/refused", test_server_refused);
  g_test_add_func ("/core/checks/server/student-good", test_server_student_good);
  g_test_add_func ("/core/checks/server/student-rst", test_server_student_rst);
  g_test_add_func ("/core/checks/server/student-stall", test_server_student_stall);
  g_test_add_data_func ("/core/checks/server/ours-lab", GINT_TO_POINTER (HB_PROTOCOL_LAB), test_server_ours);
  g_test_add_data_func ("/core/checks/server/ours-line", GINT_TO_POINTER (HB_PROTOCOL_LINE), test_server_ours);
  for (guint i = 0; i < G_N_ELEMENTS (client_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/core/checks/client/student-%s", client_cases[i].mode);

      g_test_add_data_func (path, &client_cases[i], test_client_student);
    }
  g_test_add_func ("/core/checks/client/env-port", test_client_env_port);
  g_test_add_func ("/core/checks/client/ours-line", test_client_ours_line);
  g_test_add_func ("/core/checks/client/by-hand", test_client_by_hand);
  g_test_add_func ("/core/checks/client/never-connects", test_client_never_connects);

  return g_test_run ();
}
