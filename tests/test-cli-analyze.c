/* test-cli-analyze.c - heartbeat-lab-cli analyze as a user runs it: the table, --json, exit codes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Spawns the real binary ($HB_CLI) on capture files written here by the
 * project's own writer. Until the command is wired into main.c the tests
 * report themselves skipped.
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <pcap/pcap.h>

#include "hb-test-pcap.h"

typedef struct
{
  int   status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

/* Runs `heartbeat-lab-cli analyze ARGS...` to its end. */
static void
run_analyze (Run *run,
             ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, (gpointer) g_getenv ("HB_CLI"));
  g_ptr_array_add (argv, "analyze");
  va_start (args, run);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  proc = g_subprocess_newv ((const char * const *) argv->pdata,
                            G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (proc, NULL, NULL, &run->out, &run->err, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  run->status = g_subprocess_get_exit_status (proc);
}

static gboolean
skip_unless_wired (void)
{
  g_auto(Run) run = { 0 };

  g_assert_nonnull (g_getenv ("HB_CLI"));
  run_analyze (&run, "--help", NULL);
  if (run.status == 0 && strstr (run.out, "--json") != NULL)
    return FALSE;
  g_test_skip ("heartbeat-lab-cli has no analyze command yet (hb_cli_analyze() is not wired into main.c)");
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* The synthetic heartbeat conversation over raw IPv4, as a file           */

static char *
write_conversation (const char *dir)
{
  g_autoptr(GError) error = NULL;
  HbTestNet net = hb_test_net_default (4);
  g_autoptr(GBytes) bytes = hb_test_make_conversation (DLT_RAW, HB_TEST_VARIANT_PLAIN, &net, 1000, 5000);
  char *path = g_build_filename (dir, "conversation.pcap", NULL);

  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                      &error));
  g_assert_no_error (error);
  return path;
}

/* ---------------------------------------------------------------------- */

static void
test_table (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_auto(Run) run = { 0 };
  const char *at;
  static const char * const in_order[] = {
    "Conversation 0: 127.0.0.1:4324 → 127.0.0.1:12001, 11 packets",
    "No.", "Time", "Source", "Destination", "Protocol", "Length", "Info",
    "── three-way handshake ──",
    "4324 → 12001 [SYN] Seq=0 Win=65495 Len=0 MSS=65495 SACK_PERM TSval=100 TSecr=0 WS=128",
    "── data ──",
    "0.003000",
    "4324 → 12001 [PSH, ACK] Seq=1 Ack=1 Win=128000 Len=8",
    "“HELLO x”",
    "── heartbeat ──",
    "12001 → 4324 [PSH, ACK] Seq=1 Ack=9 Win=71680 Len=7",
    "“PING 1”",
    "12001 → 4324 [ACK] Seq=8 Ack=16 Win=71680 Len=0",
    "── teardown ──",
    "4324 → 12001 [FIN, ACK] Seq=16 Ack=8 Win=128000 Len=0",
    "11 frames read, 1 TCP conversation.",
  };

  if (skip_unless_wired ())
    return;
  dir = g_dir_make_tmp ("hb-analyze-XXXXXX", NULL);
  path = write_conversation (dir);

  run_analyze (&run, path, NULL);
  g_test_message ("%s", run.out);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.err, ==, "");
  at = run.out;
  for (guint i = 0; i < G_N_ELEMENTS (in_order); i++)
    {
      at = strstr (at, in_order[i]);
      if (at == NULL)
        g_error ("“%s” missing, or out of order", in_order[i]);
    }

  g_unlink (path);
  g_rmdir (dir);
}

static JsonObject *
line_object (GPtrArray *nodes,
             guint      i)
{
  g_assert_cmpuint (i, <, nodes->len);
  return json_node_get_object (nodes->pdata[i]);
}

static void
test_json (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_auto(Run) run = { 0 };
  g_auto(GStrv) lines = NULL;
  g_autoptr(GPtrArray) nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  JsonObject *o, *options;
  JsonArray *flags;

  if (skip_unless_wired ())
    return;
  dir = g_dir_make_tmp ("hb-analyze-XXXXXX", NULL);
  path = write_conversation (dir);

  run_analyze (&run, path, "--json", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.err, ==, "");
  lines = g_strsplit (run.out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;

      if (lines[i][0] == '\0')
        continue;
      g_ptr_array_add (nodes, json_from_string (lines[i], &error));
      g_assert_no_error (error);
    }
  g_assert_cmpuint (nodes->len, ==, 11);
  g_assert_nonnull (strstr (lines[3], "\"time\":0.003000,"));

  o = line_object (nodes, 0);
  g_assert_cmpint (json_object_get_int_member (o, "frame"), ==, 1);
  g_assert_cmpfloat (json_object_get_double_member (o, "time"), ==, 0.0);
  g_assert_cmpstr (json_object_get_string_member (o, "src"), ==, "127.0.0.1");
  g_assert_cmpstr (json_object_get_string_member (o, "dst"), ==, "127.0.0.1");
  g_assert_cmpint (json_object_get_int_member (o, "src_port"), ==, 4324);
  g_assert_cmpint (json_object_get_int_member (o, "dst_port"), ==, 12001);
  flags = json_object_get_array_member (o, "flags");
  g_assert_cmpuint (json_array_get_length (flags), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (flags, 0), ==, "SYN");
  g_assert_cmpint (json_object_get_int_member (o, "seq"), ==, 0);
  g_assert_true (json_object_get_null_member (o, "ack"));
  g_assert_cmpint (json_object_get_int_member (o, "win"), ==, 65495);
  g_assert_cmpint (json_object_get_int_member (o, "len"), ==, 0);
  options = json_object_get_object_member (o, "options");
  g_assert_cmpint (json_object_get_int_member (options, "mss"), ==, 65495);
  g_assert_cmpint (json_object_get_int_member (options, "ws"), ==, 7);
  g_assert_cmpint (json_object_get_int_member (options, "ws_multiplier"), ==, 128);
  g_assert_true (json_object_get_boolean_member (options, "sack_perm"));
  g_assert_cmpint (json_object_get_int_member (options, "tsval"), ==, 100);
  g_assert_cmpint (json_object_get_int_member (options, "tsecr"), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (o, "phase"), ==, "handshake");
  g_assert_true (json_object_get_null_member (o, "payload"));

  o = line_object (nodes, 3);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "time"), 0.003, 1e-9);
  flags = json_object_get_array_member (o, "flags");
  g_assert_cmpuint (json_array_get_length (flags), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (flags, 0), ==, "PSH");
  g_assert_cmpstr (json_array_get_string_element (flags, 1), ==, "ACK");
  g_assert_cmpint (json_object_get_int_member (o, "seq"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (o, "ack"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (o, "win"), ==, 128000);
  g_assert_cmpint (json_object_get_int_member (o, "len"), ==, 8);
  g_assert_cmpuint (json_object_get_size (json_object_get_object_member (o, "options")), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (o, "phase"), ==, "data");
  g_assert_cmpstr (json_object_get_string_member (o, "payload"), ==, "HELLO x");

  o = line_object (nodes, 5);
  g_assert_cmpstr (json_object_get_string_member (o, "phase"), ==, "heartbeat");
  g_assert_cmpstr (json_object_get_string_member (o, "payload"), ==, "PING 1");
  g_assert_cmpint (json_object_get_int_member (o, "win"), ==, 71680);
  o = line_object (nodes, 7);
  g_assert_cmpstr (json_object_get_string_member (o, "phase"), ==, "heartbeat");
  o = line_object (nodes, 8);
  g_assert_cmpstr (json_object_get_string_member (o, "phase"), ==, "teardown");
  flags = json_object_get_array_member (o, "flags");
  g_assert_cmpstr (json_array_get_string_element (flags, 0), ==, "FIN");
  g_assert_cmpstr (json_array_get_string_element (flags, 1), ==, "ACK");

  g_unlink (path);
  g_rmdir (dir);
}

static void
test_exit_codes (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_autofree char *cut = NULL;
  g_autofree char *contents = NULL;
  gsize length;

  if (skip_unless_wired ())
    return;
  dir = g_dir_make_tmp ("hb-analyze-XXXXXX", NULL);
  path = write_conversation (dir);
  text = g_build_filename (dir, "notes.txt", NULL);
  cut = g_build_filename (dir, "cut.pcap", NULL);
  g_assert_true (g_file_set_contents (text, "PING 1\nPONG 1\n", -1, NULL));
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (cut, contents, length - 5, NULL));

  {
    g_auto(Run) run = { 0 };

    run_analyze (&run, NULL);
    g_assert_cmpint (run.status, ==, 2);
    g_assert_nonnull (strstr (run.err, "missing capture FILE"));
  }
  {
    g_auto(Run) run = { 0 };

    run_analyze (&run, path, path, NULL);
    g_assert_cmpint (run.status, ==, 2);
  }
  {
    g_auto(Run) run = { 0 };

    run_analyze (&run, "--no-such-option", path, NULL);
    g_assert_cmpint (run.status, ==, 2);
  }
  {
    g_auto(Run) run = { 0 };

    run_analyze (&run, path, "--conversation", "1", NULL);
    g_assert_cmpint (run.status, ==, 2);
    g_assert_nonnull (strstr (run.err, "no conversation 1"));
  }
  {
    g_auto(Run) run = { 0 };

    run_analyze (&run, path, "--conversation", "0", "--json", NULL);
    g_assert_cmpint (run.status, ==, 0);
  }
  {
    g_auto(Run) run = { 0 };

    run_analyze (&run, text, NULL);
    g_assert_cmpint (run.status, ==, 1);
    g_assert_cmpstr (run.out, ==, "");
    g_assert_nonnull (strstr (run.err, "not a capture file"));
  }
  {
    g_auto(Run) run = { 0 };
    g_autofree char *missing = g_build_filename (dir, "missing.pcap", NULL);

    run_analyze (&run, missing, NULL);
    g_assert_cmpint (run.status, ==, 1);
    g_assert_nonnull (strstr (run.err, "missing.pcap"));
  }
  {
    /* What was read before the damage is still shown. */
    g_auto(Run) run = { 0 };

    run_analyze (&run, cut, NULL);
    g_assert_cmpint (run.status, ==, 1);
    g_assert_nonnull (strstr (run.out, "10 packets"));
    g_assert_nonnull (strstr (run.err, "after 10 frames"));
  }

  g_unlink (path);
  g_unlink (text);
  g_unlink (cut);
  g_rmdir (dir);
}

/* Terminal columns, as in the program: wide characters take two. */
static int
columns (const char *start,
         const char *end)
{
  int width = 0;

  for (const char *p = start; p < end; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (!g_unichar_iszerowidth (c))
        width += g_unichar_iswide (c) ? 2 : 1;
    }
  return width;
}

/* Where each of the first @n space-separated fields of @line starts and
 * ends, in terminal columns. */
static void
field_columns (const char *line,
               int         n,
               int        *starts,
               int        *ends)
{
  const char *p = line;

  for (int i = 0; i < n; i++)
    {
      const char *field;

      while (*p == ' ')
        p++;
      g_assert_true (*p != '\0');
      field = p;
      while (*p != ' ' && *p != '\0')
        p++;
      starts[i] = columns (line, field);
      ends[i] = columns (line, p);
    }
}

/* In Chinese the headers are two columns per character; the table still
 * lines up in a terminal. */
static void
test_table_chinese (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) lines = NULL;
  const char *header = NULL;
  int header_starts[7], header_ends[7];
  guint rows = 0;

  if (skip_unless_wired ())
    return;
  g_assert_nonnull (g_getenv ("HB_BUILD_LOCALEDIR"));
  dir = g_dir_make_tmp ("hb-analyze-XXXXXX", NULL);
  path = write_conversation (dir);

  /* What LANG=zh_CN.UTF-8 gives, without needing that locale generated. */
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  g_subprocess_launcher_setenv (launcher, "LANGUAGE", "zh_CN", TRUE);
  g_subprocess_launcher_setenv (launcher, "HEARTBEAT_LAB_LOCALEDIR", g_getenv ("HB_BUILD_LOCALEDIR"), TRUE);
  proc = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("HB_CLI"), "analyze", path, NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, &err, &error));
  g_assert_no_error (error);
  g_test_message ("%s", out);
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);

  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      int starts[7], ends[7];

      if (strstr (lines[i], "时间") != NULL)
        {
          header = lines[i];
          field_columns (header, 7, header_starts, header_ends);
          continue;
        }
      /* A packet's row starts with its number, right-aligned. */
      if (header == NULL || !g_ascii_isdigit (lines[i][strspn (lines[i], " ")]))
        continue;
      field_columns (lines[i], 7, starts, ends);
      g_assert_cmpint (ends[0], ==, header_ends[0]);       /* No., right-aligned */
      for (int f = 1; f < 7; f++)
        if (starts[f] != header_starts[f])
          g_error ("column %d of “%s” starts at %d, its header at %d:\n%s\n%s",
                   f, lines[i], starts[f], header_starts[f], header, lines[i]);
      rows++;
    }
  g_assert_nonnull (header);
  g_assert_true (g_str_has_prefix (header + strspn (header, " "), "编号"));
  g_assert_cmpuint (rows, ==, 11);

  g_unlink (path);
  g_rmdir (dir);
}

/* ---------------------------------------------------------------------- */
/* The lab's own protocol                                                  */

static char *
write_lab_session (const char *dir,
                   const char *heartbeat,
                   const char *ack)
{
  g_autoptr(GBytes) bytes = hb_test_make_lab_session (heartbeat, ack);
  char *path = g_build_filename (dir, "lab.pcap", NULL);

  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes), NULL));
  return path;
}

/* The row of frame @n, and the phase heading above it. */
static void
find_row (const char  *out,
          guint        n,
          char       **row,
          char       **heading)
{
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  char number[16];

  g_snprintf (number, sizeof number, "%u", n);
  *heading = NULL;
  *row = NULL;
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *text = lines[i] + strspn (lines[i], " ");

      if (g_str_has_prefix (lines[i], "── "))
        {
          g_free (*heading);
          *heading = g_strdup (lines[i]);
        }
      else if (g_str_has_prefix (text, number) && text[strlen (number)] == ' ')
        {
          *row = g_strdup (lines[i]);
          return;
        }
    }
  g_error ("no row for frame %u in:\n%s", n, out);
}

static void
assert_row (const char *out,
            guint       n,
            const char *heading,
            const char *part)
{
  g_autofree char *row = NULL;
  g_autofree char *above = NULL;

  find_row (out, n, &row, &above);
  g_assert_cmpstr (above, ==, heading);
  if (strstr (row, part) == NULL)
    g_error ("“%s” is not in the row of frame %u: %s", part, n, row);
}

/* A capture of the lab's own session: without options its heartbeat and
 * ack are heartbeats; a glued one is data, with a note saying so. */
static void
test_lab_defaults (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hb-analyze-XXXXXX", NULL);
  g_autofree char *path = write_lab_session (dir, "heartbeat", "heartbeat ack");
  g_auto(Run) run = { 0 };

  if (skip_unless_wired ())
    return;
  run_analyze (&run, path, NULL);
  g_test_message ("%s", run.out);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.err, ==, "");
  assert_row (run.out, 4, "── heartbeat ──", "[PSH, ACK] Seq=1 Ack=1 Win=2559 Len=9  “heartbeat”");
  assert_row (run.out, 6, "── heartbeat ──", "Len=13  “heartbeat ack”");
  assert_row (run.out, 8, "── data ──", "Len=3  “123”");
  assert_row (run.out, 11, "── data ──", "Len=16  “heartbeat ack123”  [heartbeat ack + message (2 in one segment)]");
  assert_row (run.out, 13, "── data ──", "Len=12  “heartbeat456”  [heartbeat + message (2 in one segment)]");
  assert_row (run.out, 14, "── heartbeat ──", "Len=13  “heartbeat ack”");
  assert_row (run.out, 17, "── data ──", "Len=5  “heart”  [5 bytes (start of an ack)]");
  assert_row (run.out, 18, "── data ──", "Len=8  “beat ack”  [heartbeat ack (split across segments)]");
  g_assert_nonnull (strstr (run.out, "TCP keeps no message boundaries"));
  g_assert_nonnull (strstr (run.out, "(粘包)"));
  g_assert_nonnull (strstr (run.out, "(拆包)"));

  {
    g_auto(Run) json = { 0 };
    g_auto(GStrv) lines = NULL;
    g_autoptr(JsonNode) node = NULL;
    JsonObject *o, *lab;

    run_analyze (&json, "--json", path, NULL);
    g_assert_cmpint (json.status, ==, 0);
    lines = g_strsplit (json.out, "\n", -1);
    g_assert_cmpuint (g_strv_length (lines), >=, HB_TEST_LAB_SESSION_LEN);
    node = json_from_string (lines[10], NULL);
    o = json_node_get_object (node);
    g_assert_cmpstr (json_object_get_string_member (o, "phase"), ==, "data");
    lab = json_object_get_object_member (o, "lab");
    g_assert_cmpstr (json_object_get_string_member (lab, "pattern"), ==, "ack");
    g_assert_cmpint (json_object_get_int_member (lab, "patterns"), ==, 1);
    g_assert_cmpint (json_object_get_int_member (lab, "messages"), ==, 1);
    g_assert_true (json_object_get_boolean_member (lab, "glued"));
    g_assert_false (json_object_get_boolean_member (lab, "split"));
    g_clear_pointer (&node, json_node_unref);
    node = json_from_string (lines[7], NULL);
    g_assert_true (json_object_get_null_member (json_node_get_object (node), "lab"));   /* "123" */
    g_clear_pointer (&node, json_node_unref);
    node = json_from_string (lines[5], NULL);
    o = json_node_get_object (node);
    g_assert_cmpstr (json_object_get_string_member (o, "phase"), ==, "heartbeat");
    g_assert_false (json_object_get_boolean_member (json_object_get_object_member (o, "lab"), "glued"));
  }

  g_unlink (path);
  g_rmdir (dir);
}

/* A class's own patterns, given as text or as hex. */
static void
test_lab_patterns (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hb-analyze-XXXXXX", NULL);
  g_autofree char *path = write_lab_session (dir, "hb", "hb-ok");

  if (skip_unless_wired ())
    return;
  {
    g_auto(Run) run = { 0 };

    /* Unknown patterns are only data. */
    run_analyze (&run, path, NULL);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_null (strstr (run.out, "── heartbeat ──"));
    g_assert_null (strstr (run.out, "”  ["));
  }
  {
    g_auto(Run) run = { 0 };

    run_analyze (&run, path, "--heartbeat-text", "hb", "--ack-text", "hb-ok", NULL);
    g_test_message ("%s", run.out);
    g_assert_cmpint (run.status, ==, 0);
    assert_row (run.out, 4, "── heartbeat ──", "Len=2  “hb”");
    assert_row (run.out, 6, "── heartbeat ──", "Len=5  “hb-ok”");
    assert_row (run.out, 11, "── data ──", "“hb-ok123”  [hb-ok + message (2 in one segment)]");
    assert_row (run.out, 17, "── data ──", "“hb-o”  [4 bytes (start of an ack)]");
  }
  {
    g_auto(Run) run = { 0 };

    run_analyze (&run, path, "--heartbeat-hex", "68 62", "--ack-hex", "0x68,0x62,0x2d,0x6f,0x6b", NULL);
    g_assert_cmpint (run.status, ==, 0);
    assert_row (run.out, 6, "── heartbeat ──", "Len=5  “hb-ok”");
    assert_row (run.out, 11, "── data ──", "[hb-ok + message (2 in one segment)]");
  }

  g_unlink (path);
  g_rmdir (dir);
}

/* An empty heartbeat or ack, or one given twice, is wrong usage. */
static void
test_lab_bad_patterns (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hb-analyze-XXXXXX", NULL);
  g_autofree char *path = write_lab_session (dir, "heartbeat", "heartbeat ack");
  static const struct
  {
    const char *option;
    const char *value;
    const char *option2;
    const char *value2;
    const char *error;
  } cases[] = {
    { "--heartbeat-text", "", NULL, NULL, "--heartbeat-text is empty" },
    { "--ack-text", "", NULL, NULL, "--ack-text is empty" },
    { "--heartbeat-hex", "", NULL, NULL, "--heartbeat-hex is empty" },
    { "--ack-hex", "6", NULL, NULL, "--ack-hex" },
    { "--ack-text", "ok", "--ack-hex", "6f6b", "are both given: choose one" },
  };

  if (skip_unless_wired ())
    return;
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(Run) run = { 0 };

      run_analyze (&run, cases[i].option, cases[i].value, cases[i].option2 ? cases[i].option2 : path,
                   cases[i].value2, cases[i].option2 ? path : NULL, NULL);
      g_test_message ("%s", run.err);
      g_assert_cmpint (run.status, ==, 2);
      g_assert_cmpstr (run.out, ==, "");
      g_assert_nonnull (strstr (run.err, cases[i].error));
    }
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/cli-analyze/table", test_table);
  g_test_add_func ("/core/cli-analyze/json", test_json);
  g_test_add_func ("/core/cli-analyze/exit-codes", test_exit_codes);
  g_test_add_func ("/core/cli-analyze/table-chinese", test_table_chinese);
  g_test_add_func ("/core/cli-analyze/lab/defaults", test_lab_defaults);
  g_test_add_func ("/core/cli-analyze/lab/patterns", test_lab_patterns);
  g_test_add_func ("/core/cli-analyze/lab/bad-patterns", test_lab_bad_patterns);

  return g_test_run ();
}
