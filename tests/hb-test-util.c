/* hb-test-util.c - helpers for tests: waiting on the main loop, raw TCP peers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>
#include <sys/prctl.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "hb-test-util.h"

static const char *known_harmless[] = {
  "did not receive a focus-out event",  /* GtkText under Xvfb without a WM */
  "Unable to acquire session bus",      /* settings portal, no session bus */
};

static GLogWriterOutput
strict_writer (GLogLevelFlags   level,
               const GLogField *fields,
               gsize            n_fields,
               gpointer         user_data)
{
  if (level & (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL))
    {
      const char *message = NULL;

      for (gsize i = 0; i < n_fields; i++)
        if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
          message = fields[i].value;
      for (guint i = 0; message != NULL && i < G_N_ELEMENTS (known_harmless); i++)
        if (strstr (message, known_harmless[i]) != NULL)
          return G_LOG_WRITER_HANDLED;
      g_log_writer_standard_streams (level, fields, n_fields, user_data);
      g_error ("a warning or critical was logged (see above)");
    }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

void
hb_test_fatal_warnings_except_known (void)
{
  g_log_set_always_fatal (G_LOG_FATAL_MASK);
  g_log_set_writer_func (strict_writer, NULL, NULL);
}

static gboolean
wake_cb (gpointer data)
{
  return G_SOURCE_REMOVE;
}

guint
hb_test_timeout_ms (void)
{
  static guint ms;

  if (ms == 0)
    {
      guint64 scale = g_ascii_strtoull (g_getenv ("HB_TEST_TIMEOUT_SCALE") ? g_getenv ("HB_TEST_TIMEOUT_SCALE") : "1",
                                        NULL, 10);

      ms = HB_TEST_TIMEOUT_MS * (guint) CLAMP (scale, 1, 20);
    }
  return ms;
}

gboolean
hb_test_iterate (gint64 deadline)
{
  return hb_test_iterate_context (NULL, deadline);
}

gboolean
hb_test_iterate_context (GMainContext *context,
                         gint64        deadline)
{
  gint64 now = g_get_monotonic_time ();
  GSource *wake;

  if (now >= deadline)
    return FALSE;
  /* Wake at least every 20 ms: some conditions (kernel socket states)
   * change without any main-loop event to announce them. */
  wake = g_timeout_source_new (MIN ((guint) ((deadline - now) / 1000) + 1, 20));
  g_source_set_callback (wake, wake_cb, NULL, NULL);
  g_source_attach (wake, context);
  g_main_context_iteration (context, TRUE);
  g_source_destroy (wake);
  g_source_unref (wake);
  return TRUE;
}

void
hb_test_await_finalize (gpointer object)
{
  g_object_add_weak_pointer (object, &object);
  g_object_unref (object);
  hb_assert_eventually (object == NULL);
}

guint
hb_test_count (const char *haystack,
               const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (haystack, needle); p; p = strstr (p + 1, needle))
    n++;
  return n;
}

void
hb_test_assert_contains (const char *file,
                         int         line,
                         const char *text,
                         const char *first,
                         ...)
{
  va_list ap;

  g_assert_nonnull (text);
  va_start (ap, first);
  for (const char *needle = first; needle != NULL; needle = va_arg (ap, const char *))
    if (strstr (text, needle) == NULL)
      g_error ("%s:%d: “%s” is not in: %s", file, line, needle, text);
  va_end (ap);
}

void
hb_test_run_pending (void)
{
  /* Bounded, for a source that is always ready. */
  for (guint i = 0; i < 10000 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

static void
take_bytes (HbTestPeer *peer,
            const char *buf,
            gssize      n)
{
  for (gssize i = 0; i < n; i++)
    {
      if (buf[i] == '\n')
        {
          g_ptr_array_add (peer->lines, g_strndup (peer->partial->str, peer->partial->len));
          g_string_truncate (peer->partial, 0);
        }
      else
        g_string_append_c (peer->partial, buf[i]);
    }
}

static gboolean
peer_readable (GSocket      *socket,
               GIOCondition  condition,
               gpointer      user_data)
{
  HbTestPeer *peer = user_data;
  char buf[4096];

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_receive (socket, buf, sizeof buf, NULL, &error);

      if (n > 0)
        {
          peer->bytes_in += n;
          take_bytes (peer, buf, n);
          continue;
        }
      if (n == 0)
        {
          /* Like any ordinary client: the server is done, so are we. */
          peer->eof = TRUE;
          g_socket_shutdown (socket, FALSE, TRUE, NULL);
        }
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return G_SOURCE_CONTINUE;
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
               g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE))
        peer->reset = TRUE;
      else
        {
          peer->reset = TRUE;
          g_test_message ("peer read error: %s", error->message);
        }
      peer->source = NULL;
      return G_SOURCE_REMOVE;
    }
}

static HbTestPeer *
peer_new (const char *host,
          guint       port,
          int         rcvbuf)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (host);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (inet, port);
  g_autoptr(GError) error = NULL;
  HbTestPeer *peer = g_new0 (HbTestPeer, 1);

  peer->socket = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_STREAM,
                               G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  /* Before connect, so that the window it advertises is small too. */
  if (rcvbuf > 0)
    setsockopt (g_socket_get_fd (peer->socket), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  /* The kernel finishes the handshake against the listen backlog, so a
   * blocking connect works while the server's loop is not running. */
  g_socket_connect (peer->socket, addr, NULL, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (peer->socket, FALSE);

  peer->partial = g_string_new (NULL);
  peer->lines = g_ptr_array_new_with_free_func (g_free);
  hb_test_peer_set_reading (peer, TRUE);
  return peer;
}

HbTestPeer *
hb_test_peer_new (const char *host,
                  guint       port)
{
  return peer_new (host, port, 0);
}

HbTestPeer *
hb_test_peer_new_small (const char *host,
                        guint       port)
{
  return peer_new (host, port, 2048);
}

void
hb_test_peer_free (HbTestPeer *peer)
{
  if (peer->source != NULL)
    g_source_destroy (peer->source);
  g_socket_close (peer->socket, NULL);
  g_object_unref (peer->socket);
  g_string_free (peer->partial, TRUE);
  g_ptr_array_unref (peer->lines);
  g_free (peer);
}

void
hb_test_peer_send (HbTestPeer *peer,
                   const char *data,
                   gssize      len)
{
  gsize total = len < 0 ? strlen (data) : (gsize) len;
  gsize done = 0;

  g_socket_set_blocking (peer->socket, TRUE);
  while (done < total)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_send (peer->socket, data + done, total - done, NULL, &error);

      g_assert_no_error (error);
      done += n;
    }
  g_socket_set_blocking (peer->socket, FALSE);
}

const char *
hb_test_peer_wait_line (HbTestPeer *peer)
{
  hb_assert_eventually (peer->next < peer->lines->len || peer->eof || peer->reset);
  if (peer->next >= peer->lines->len)
    g_error ("the connection ended while a line was expected (eof %d, reset %d)",
             peer->eof, peer->reset);
  return g_ptr_array_index (peer->lines, peer->next++);
}

const char *
hb_test_peer_wait_non_ping (HbTestPeer *peer)
{
  const char *line;

  do
    line = hb_test_peer_wait_line (peer);
  while (g_str_has_prefix (line, "PING "));
  return line;
}

void
hb_test_peer_sync (HbTestPeer *peer)
{
  static guint n;
  g_autofree char *token = g_strdup_printf ("sync%u", ++n);
  g_autofree char *ping = g_strdup_printf ("PING %s\n", token);
  g_autofree char *pong = g_strdup_printf ("PONG %s", token);

  hb_test_peer_send (peer, ping, -1);
  g_assert_cmpstr (hb_test_peer_wait_non_ping (peer), ==, pong);
}

void
hb_test_peer_wait_eof (HbTestPeer *peer)
{
  hb_assert_eventually (peer->eof || peer->reset);
}

void
hb_test_peer_set_reading (HbTestPeer *peer,
                          gboolean    reading)
{
  peer->reading = reading;
  if (!reading && peer->source != NULL)
    {
      g_source_destroy (peer->source);
      peer->source = NULL;
    }
  else if (reading && peer->source == NULL && !peer->eof && !peer->reset)
    {
      peer->source = g_socket_create_source (peer->socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
      g_source_set_callback (peer->source, (GSourceFunc) (void (*) (void)) peer_readable, peer, NULL);
      g_source_attach (peer->source, NULL);
      g_source_unref (peer->source);
    }
}

void
hb_test_peer_shutdown_write (HbTestPeer *peer)
{
  g_autoptr(GError) error = NULL;

  g_socket_shutdown (peer->socket, FALSE, TRUE, &error);
  g_assert_no_error (error);
}

void
hb_test_peer_abort (HbTestPeer *peer)
{
  struct linger lg = { .l_onoff = 1, .l_linger = 0 };

  setsockopt (g_socket_get_fd (peer->socket), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  if (peer->source != NULL)
    {
      g_source_destroy (peer->source);
      peer->source = NULL;
    }
  g_socket_close (peer->socket, NULL);
}

/* ---------------------------------------------------------------------- */
/* Programs run by tests                                                   */

static void
proc_die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void proc_read (HbTestProc *proc);

static void
proc_line_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  char *line;
  HbTestProc *proc;

  line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), result, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  proc = user_data;
  if (line == NULL)
    {
      proc->out_eof = TRUE;
      return;
    }
  if (g_test_verbose ())
    g_printerr ("# proc: %s\n", line);
  g_ptr_array_add (proc->lines, line);
  proc_read (proc);
}

static void
proc_read (HbTestProc *proc)
{
  g_data_input_stream_read_line_async (proc->out, G_PRIORITY_DEFAULT, proc->cancellable,
                                       proc_line_cb, proc);
}

static void
proc_err_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  HbTestProc *proc;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || bytes == NULL)
    return;
  proc = user_data;
  if (g_bytes_get_size (bytes) == 0)
    return;
  g_string_append_len (proc->errors, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_input_stream_read_bytes_async (G_INPUT_STREAM (source), 4096, G_PRIORITY_DEFAULT,
                                   proc->cancellable, proc_err_cb, proc);
}

static void
proc_exit_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* Cancelled: the proc is already freed. */
  if (!g_subprocess_wait_finish (G_SUBPROCESS (source), result, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  ((HbTestProc *) user_data)->exited = TRUE;
}

HbTestProc *
hb_test_proc_new (const char * const *argv)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                               G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GError) error = NULL;
  HbTestProc *proc = g_new0 (HbTestProc, 1);

  g_subprocess_launcher_set_child_setup (launcher, proc_die_with_parent, NULL, NULL);
  /* Python must not hold its output in a buffer the test waits for. */
  g_subprocess_launcher_setenv (launcher, "PYTHONUNBUFFERED", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "PYTHONIOENCODING", "utf-8", TRUE);
  proc->proc = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  proc->cancellable = g_cancellable_new ();
  proc->in = g_object_ref (g_subprocess_get_stdin_pipe (proc->proc));
  proc->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc->proc));
  proc->lines = g_ptr_array_new_with_free_func (g_free);
  proc->errors = g_string_new (NULL);
  proc_read (proc);
  g_input_stream_read_bytes_async (g_subprocess_get_stderr_pipe (proc->proc), 4096,
                                   G_PRIORITY_DEFAULT, proc->cancellable, proc_err_cb, proc);
  g_subprocess_wait_async (proc->proc, proc->cancellable, proc_exit_cb, proc);
  return proc;
}

HbTestProc *
hb_test_proc_student (const char *script,
                      ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  const char *python = g_getenv ("HB_PYTHON");
  const char *dir = g_getenv ("HB_STUDENTS");
  va_list ap;
  const char *arg;

  g_assert_nonnull (dir);
  g_ptr_array_add (argv, g_strdup (python != NULL ? python : "python3"));
  g_ptr_array_add (argv, g_build_filename (dir, script, NULL));
  va_start (ap, script);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  return hb_test_proc_new ((const char * const *) argv->pdata);
}

void
hb_test_proc_free (HbTestProc *proc)
{
  if (proc == NULL)
    return;
  g_cancellable_cancel (proc->cancellable);
  if (!proc->exited)
    g_subprocess_force_exit (proc->proc);
  g_clear_object (&proc->in);
  g_clear_object (&proc->out);
  g_clear_object (&proc->proc);
  g_clear_object (&proc->cancellable);
  g_ptr_array_unref (proc->lines);
  g_string_free (proc->errors, TRUE);
  g_free (proc);
}

void
hb_test_proc_write (HbTestProc *proc,
                    const char *text)
{
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (proc->in, text, strlen (text), NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_flush (proc->in, NULL, NULL);
}

void
hb_test_proc_close_stdin (HbTestProc *proc)
{
  g_output_stream_close (proc->in, NULL, NULL);
}

gboolean
hb_test_proc_has_line (HbTestProc *proc,
                       const char *needle)
{
  for (guint i = proc->next; i < proc->lines->len; i++)
    if (strstr (g_ptr_array_index (proc->lines, i), needle) != NULL)
      return TRUE;
  return FALSE;
}

const char *
hb_test_proc_wait_line (HbTestProc *proc,
                        const char *needle)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) hb_test_timeout_ms () * 1000;

  for (;;)
    {
      while (proc->next < proc->lines->len)
        {
          const char *line = g_ptr_array_index (proc->lines, proc->next++);

          if (strstr (line, needle) != NULL)
            return line;
        }
      if (proc->out_eof)
        g_error ("the program ended its output without a line containing “%s”; stderr: %s",
                 needle, proc->errors->str);
      if (!hb_test_iterate (deadline))
        g_error ("timed out waiting for a line containing “%s”; stderr: %s",
                 needle, proc->errors->str);
    }
}

int
hb_test_proc_wait_exit (HbTestProc *proc)
{
  hb_assert_eventually (proc->exited);
  return g_subprocess_get_exit_status (proc->proc);
}

void
hb_test_proc_signal (HbTestProc *proc,
                     int         signum)
{
  g_subprocess_send_signal (proc->proc, signum);
}
