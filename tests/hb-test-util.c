/* hb-test-util.c - helpers for tests: waiting on the main loop, raw TCP peers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

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
  gint64 now = g_get_monotonic_time ();
  GSource *wake;

  if (now >= deadline)
    return FALSE;
  /* Wake at least every 20 ms: some conditions (kernel socket states)
   * change without any main-loop event to announce them. */
  wake = g_timeout_source_new (MIN ((guint) ((deadline - now) / 1000) + 1, 20));
  g_source_set_callback (wake, wake_cb, NULL, NULL);
  g_source_attach (wake, NULL);
  g_main_context_iteration (NULL, TRUE);
  g_source_destroy (wake);
  g_source_unref (wake);
  return TRUE;
}

void
hb_test_run_for (guint ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) ms * 1000;

  while (hb_test_iterate (deadline))
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
