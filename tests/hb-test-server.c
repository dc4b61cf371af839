/* hb-test-server.c - what the tests of a live HbServer share: shutting it down, reading records
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "hb-test-server.h"
#include "hb-test-util.h"

void
hb_test_shutdown_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      shutdown)
{
  HbTestShutdown *s = shutdown;

  hb_server_shutdown_finish (HB_SERVER (source), result, &s->error);
  s->done = TRUE;
}

static void
record_disconnect (HbServer     *server,
                   HbConnection *conn,
                   HbByeReason   reason,
                   HbInitiator   initiator,
                   GPtrArray    *into)
{
  g_ptr_array_add (into, g_strdup_printf ("%u %s %s", hb_connection_get_id (conn),
                                          hb_bye_reason_to_string (reason),
                                          hb_initiator_to_string (initiator)));
}

void
hb_test_record_disconnects (HbServer  *server,
                            GPtrArray *into)
{
  g_signal_connect (server, "client-disconnected", G_CALLBACK (record_disconnect), into);
}

void
hb_test_server_shutdown (HbServer *server,
                         guint     drain_ms)
{
  HbTestShutdown s = { FALSE, NULL };

  hb_server_shutdown_async (server, drain_ms, NULL, hb_test_shutdown_cb, &s);
  hb_assert_eventually (s.done);
  g_assert_no_error (s.error);
}

gboolean
hb_test_has_string (GPtrArray  *array,
                    const char *want)
{
  for (guint i = 0; i < array->len; i++)
    if (g_strcmp0 (g_ptr_array_index (array, i), want) == 0)
      return TRUE;
  return FALSE;
}

void
hb_test_await_heartbeats (guint interval_ms,
                          guint n)
{
  g_autoptr(GError) error = NULL;
  HbServer *witness = g_object_new (HB_TYPE_SERVER, "port", 0, "interval-ms", interval_ms,
                                    "timeout-ms", interval_ms * (n + 2), NULL);
  HbTestPeer *peer;

  g_assert_true (hb_server_start (witness, &error));
  g_assert_no_error (error);
  peer = hb_test_peer_new ("127.0.0.1", hb_server_get_port (witness));
  for (guint pings = 0; pings < n;)
    {
      const char *line = hb_test_peer_wait_line (peer);

      if (g_str_has_prefix (line, "PING "))
        {
          g_autofree char *pong = g_strdup_printf ("PONG %s\n", line + 5);

          hb_test_peer_send (peer, pong, -1);
          pings++;
        }
    }
  hb_test_peer_free (peer);
  hb_test_server_shutdown (witness, 0);
  g_assert_finalize_object (witness);
}
