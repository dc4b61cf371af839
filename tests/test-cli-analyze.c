/* test-cli-analyze.c - heartbeat-lab-cli analyze as a user runs it: the table, --json, exit codes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Spawns the real binary ($HB_CLI) on capture files written here by the
 * project's own writer. Until the command is wired into main.c the tests
 * report themselves skipped.
 */

#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <pcap/pcap.h>

#include "hb-capture-writer.h"
#include "hb-packet.h"

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
/* A small heartbeat conversation over raw IPv4                            */

static void
put16 (GByteArray *a,
       guint16     v)
{
  guint16 n = htons (v);

  g_byte_array_append (a, (guint8 *) &n, 2);
}

static void
put32 (GByteArray *a,
       guint32     v)
{
  guint32 n = htonl (v);

  g_byte_array_append (a, (guint8 *) &n, 4);
}

static void
add_segment (HbCaptureWriter *writer,
             gint64           time_us,
             gboolean         from_client,
             guint16          flags,
             guint32          seq,
             guint32          ack,
             guint16          win,
             const guint8    *opt,
             gsize            opt_len,
             const char      *payload)
{
  g_autoptr(GByteArray) a = g_byte_array_new ();
  gsize payload_len = payload ? strlen (payload) : 0;
  static const guint8 lo[4] = { 127, 0, 0, 1 };
  static const guint8 head[] = { 0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 6, 0, 0 };

  g_byte_array_append (a, head, sizeof head);
  g_byte_array_append (a, lo, 4);
  g_byte_array_append (a, lo, 4);
  put16 (a, from_client ? 4324 : 12001);
  put16 (a, from_client ? 12001 : 4324);
  put32 (a, seq);
  put32 (a, ack);
  put16 (a, (guint16) (((20 + opt_len) / 4) << 12 | flags));
  put16 (a, win);
  put32 (a, 0);
  g_byte_array_append (a, opt, opt_len);
  g_byte_array_append (a, (const guint8 *) payload, payload_len);
  a->data[2] = a->len >> 8;
  a->data[3] = a->len & 0xff;
  hb_capture_writer_write (writer, time_us, a->data, a->len, a->len);
}

#define S HB_TCP_SYN
#define A HB_TCP_ACK
#define P HB_TCP_PSH
#define F HB_TCP_FIN

static char *
write_conversation (const char *dir)
{
  static const guint8 syn_c[] = { 2, 4, 0xff, 0xd7, 4, 2, 8, 10, 0, 0, 0, 100, 0, 0, 0, 0, 1, 3, 3, 7 };
  static const guint8 syn_s[] = { 2, 4, 0xff, 0xd7, 4, 2, 8, 10, 0, 0, 0, 200, 0, 0, 0, 100, 1, 3, 3, 10 };
  g_autoptr(GError) error = NULL;
  g_autoptr(HbCaptureWriter) writer = NULL;
  char *path = g_build_filename (dir, "conversation.pcap", NULL);
  const gint64 t = G_GINT64_CONSTANT (1700000000000000);
  const guint32 c = 1000, s = 5000;

  writer = hb_capture_writer_new (path, DLT_RAW, &error);
  g_assert_no_error (error);
  add_segment (writer, t, TRUE, S, c, 0, 65495, syn_c, sizeof syn_c, NULL);
  add_segment (writer, t + 1000, FALSE, S | A, s, c + 1, 65483, syn_s, sizeof syn_s, NULL);
  add_segment (writer, t + 2000, TRUE, A, c + 1, s + 1, 1000, NULL, 0, NULL);
  add_segment (writer, t + 3000, TRUE, P | A, c + 1, s + 1, 1000, NULL, 0, "HELLO x\n");
  add_segment (writer, t + 4000, FALSE, A, s + 1, c + 9, 70, NULL, 0, NULL);
  add_segment (writer, t + 5000, FALSE, P | A, s + 1, c + 9, 70, NULL, 0, "PING 1\n");
  add_segment (writer, t + 6000, TRUE, P | A, c + 9, s + 8, 1000, NULL, 0, "PONG 1\n");
  add_segment (writer, t + 7000, FALSE, A, s + 8, c + 16, 70, NULL, 0, NULL);
  add_segment (writer, t + 8000, TRUE, F | A, c + 16, s + 8, 1000, NULL, 0, NULL);
  add_segment (writer, t + 9000, FALSE, F | A, s + 8, c + 17, 70, NULL, 0, NULL);
  add_segment (writer, t + 10000, TRUE, A, c + 17, s + 9, 1000, NULL, 0, NULL);
  g_assert_true (hb_capture_writer_close (writer, NULL, &error));
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

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/cli-analyze/table", test_table);
  g_test_add_func ("/core/cli-analyze/json", test_json);
  g_test_add_func ("/core/cli-analyze/exit-codes", test_exit_codes);

  return g_test_run ();
}
