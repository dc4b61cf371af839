/* hb-test-server.c - what the tests of a live HbServer share: shutting it down, reading records
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "hb-test-server.h"
#include "hb-test-util.h"

typedef struct
{
  gboolean  done;
  GError   *error;
} Shutdown;

static void
shutdown_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Shutdown *s = user_data;

  hb_server_shutdown_finish (HB_SERVER (source), result, &s->error);
  s->done = TRUE;
}

void
hb_test_server_shutdown (HbServer *server,
                         guint     drain_ms)
{
  Shutdown s = { FALSE, NULL };

  hb_server_shutdown_async (server, drain_ms, NULL, shutdown_cb, &s);
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
