/* hb-server-shutdown.c - closing: one client (BYE, kick, the graceful close), or the whole server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "hb-server-private.h"

/* ---------------------------------------------------------------------- */
/* Closing                                                                 */

void
_hb_server_maybe_finish_shutdown (HbServer *self)
{
  if (self->shutdown_task != NULL && g_hash_table_size (self->live) == 0)
    {
      g_autoptr(GTask) task = g_steal_pointer (&self->shutdown_task);

      g_task_return_boolean (task, TRUE);
    }
}

void
_hb_server_begin_close (HbServer     *self,
                        HbConnection *conn,
                        HbByeReason   reason,
                        HbInitiator   initiator,
                        gboolean      say_bye)
{
  if (conn->closing || !hb_channel_is_open (conn->channel))
    return;

  /* The lab's protocol and raw TCP have no BYE: the FIN says it all. */
  if (say_bye && conn->protocol == HB_PROTOCOL_LINE)
    {
      GString *s = self->scratch;

      g_string_truncate (s, 0);
      hb_format_line (s, "BYE", hb_bye_reason_to_string (reason), -1);
      hb_channel_write (conn->channel, s->str, s->len);
      conn->lines_out++;
      hb_timeline_append (conn->timeline, HB_EVENT_LINE_OUT, HB_VERB_BYE, s->len, reason, HB_INITIATOR_LOCAL);
    }

  conn->closing = TRUE;
  conn->close_reason = reason;
  conn->close_initiator = initiator;
  conn->close_deadline = g_get_monotonic_time () + (gint64) self->drain_ms * 1000;
  hb_channel_close (conn->channel);
  if (hb_channel_is_open (conn->channel))
    {
      _hb_server_schedule (self, conn);
      _hb_connection_notify (conn, HB_CONNECTION_PROP_CLOSING);
    }
}

void
_hb_server_forget (HbServer     *self,
                   HbConnection *conn)
{
  hb_deadline_heap_remove (self->heap, &conn->heap_node);

  if (conn->name != NULL)
    {
      g_autofree char *folded = g_utf8_casefold (conn->name, -1);

      if (g_hash_table_lookup (self->names, folded) == conn)
        g_hash_table_remove (self->names, folded);
    }

  if (conn->listed)
    {
      guint pos;

      conn->listed = FALSE;
      g_hash_table_remove (self->by_id, GUINT_TO_POINTER (conn->id));
      if (!g_ptr_array_remove (self->joining, conn) &&
          g_list_store_find (self->connections, conn, &pos))
        g_list_store_remove (self->connections, pos);
      g_object_notify_by_pspec (G_OBJECT (self), _hb_server_properties[PROP_N_CLIENTS]);
      if (g_hash_table_size (self->by_id) == 0)
        g_clear_handle_id (&self->tick_id, g_source_remove);
    }
}

void
_hb_server_drop_all (HbServer *self)
{
  GHashTableIter iter;
  gpointer key;
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_object_unref);

  g_hash_table_iter_init (&iter, self->live);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (all, g_object_ref (key));
  for (guint i = 0; i < all->len; i++)
    {
      HbConnection *conn = g_ptr_array_index (all, i);

      if (hb_channel_is_open (conn->channel))
        hb_channel_expire (conn->channel);
    }
}

static void
stop_listening (HbServer *self)
{
  if (self->listen_socket == NULL)
    return;
  _hb_server_close_listener (self);
  self->listening = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), _hb_server_properties[PROP_LISTENING]);
}

void
hb_server_stop (HbServer *self)
{
  GHashTableIter iter;
  gpointer key;
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_if_fail (HB_IS_SERVER (self));

  stop_listening (self);

  g_hash_table_iter_init (&iter, self->live);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (all, g_object_ref (key));
  for (guint i = 0; i < all->len; i++)
    _hb_server_begin_close (self, g_ptr_array_index (all, i), HB_BYE_SHUTDOWN, HB_INITIATOR_LOCAL, TRUE);
}

/**
 * hb_server_shutdown_async:
 * @drain_ms: how long clients get to read their BYE and close
 *
 * Stops the server like hb_server_stop() and completes when every client
 * connection is closed, at the latest after @drain_ms.
 */
void
hb_server_shutdown_async (HbServer            *self,
                          guint                drain_ms,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (HB_IS_SERVER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hb_server_shutdown_async);
  if (self->shutdown_task != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               _("the server is already shutting down"));
      return;
    }

  self->drain_ms = drain_ms;
  self->shutdown_task = g_steal_pointer (&task);
  hb_server_stop (self);
  _hb_server_maybe_finish_shutdown (self);
}

gboolean
hb_server_shutdown_finish (HbServer      *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
hb_server_kick (HbServer *self,
                guint     id)
{
  HbConnection *conn;

  g_return_val_if_fail (HB_IS_SERVER (self), FALSE);

  conn = hb_server_lookup (self, id);
  if (conn == NULL || conn->closing)
    return FALSE;
  _hb_server_begin_close (self, conn, HB_BYE_KICKED, HB_INITIATOR_LOCAL, TRUE);
  return TRUE;
}
