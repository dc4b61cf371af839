/* hb-server-window-log.c - the server window's log: lines batched as they come, searched, filtered by client
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "hb-server-window-private.h"

/* Log lines reach the view at most this often: 10,000 clients joining are
 * then a few hundred changes of the log's list, not 10,000. */
#define LOG_BATCH_MS 50

static gboolean
flush_log (gpointer user_data)
{
  HbServerWindow *self = user_data;

  self->log_flush_id = 0;
  hb_log_view_append_many (self->log_view, (HbLogEntry **) self->log_pending->pdata,
                           self->log_pending->len);
  g_ptr_array_set_size (self->log_pending, 0);
  return G_SOURCE_REMOVE;
}

void
hb_server_window_log_entry (HbServerWindow *self,
                            HbLogEntry     *entry)
{
  g_ptr_array_add (self->log_pending, entry);
  if (self->log_flush_id == 0)
    self->log_flush_id = g_timeout_add (LOG_BATCH_MS, flush_log, self);
}

char *
hb_server_window_who (HbServerWindow *self,
                      HbConnection   *conn)
{
  if (hb_connection_get_name (conn) != NULL)
    return g_strdup_printf ("#%u %s", hb_connection_get_id (conn), hb_connection_get_name (conn));
  if (hb_connection_get_protocol (conn) != HB_PROTOCOL_LINE)
    return g_strdup_printf ("#%u %s", hb_connection_get_id (conn), hb_connection_get_peer (conn));
  return g_strdup_printf ("#%u", hb_connection_get_id (conn));
}

void
hb_server_window_log_add (HbServerWindow *self,
                          HbLogKind       kind,
                          HbConnection   *conn,
                          const char     *text)
{
  g_autofree char *who = conn ? hb_server_window_who (self, conn) : NULL;

  hb_server_window_log_entry (self, hb_log_entry_new (kind, conn ? hb_connection_get_id (conn) : 0, who, text));
}


static gboolean
log_filter_func (gpointer item,
                 gpointer user_data)
{
  HbServerWindow *self = user_data;
  HbLogEntry *entry = item;
  const char *needle = gtk_editable_get_text (GTK_EDITABLE (self->log_search));

  if (!hb_server_window_lab_shows (self, entry))
    return FALSE;
  if (gtk_toggle_button_get_active (self->selected_only_toggle) &&
      !g_hash_table_contains (self->selected_ids,
                              GUINT_TO_POINTER (hb_log_entry_get_client_id (entry))))
    return FALSE;

  if (needle != NULL && *needle != '\0')
    {
      g_autofree char *n = g_utf8_casefold (needle, -1);
      g_autofree char *whole = hb_log_entry_dup_text (entry);
      g_autofree char *text = g_utf8_casefold (whole, -1);
      g_autofree char *who = g_utf8_casefold (hb_log_entry_get_who (entry), -1);

      return strstr (text, n) != NULL || strstr (who, n) != NULL;
    }
  return TRUE;
}

void
hb_server_window_refilter_log (HbServerWindow *self)
{
  gtk_filter_changed (GTK_FILTER (self->log_filter), GTK_FILTER_CHANGE_DIFFERENT);
}

void
hb_server_window_log_init (HbServerWindow *self)
{
  self->log_filter = gtk_custom_filter_new (log_filter_func, self, NULL);
  hb_log_view_set_filter (self->log_view, GTK_FILTER (self->log_filter));
}
