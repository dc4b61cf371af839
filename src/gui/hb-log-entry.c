/* hb-log-entry.c - one line of a window's event log
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "hb-clock.h"
#include "hb-log-entry.h"

struct _HbLogEntry
{
  GObject    parent_instance;
  HbLogKind  kind;
  gint64     time;
  guint      client_id;
  char      *who;
  char      *text;
  char      *note;
  GBytes    *bytes;      /* the first HB_LOG_HEX_MAX, for the hex view */
  gsize      n_bytes;
  gboolean   hex_shown;
};

G_DEFINE_FINAL_TYPE (HbLogEntry, hb_log_entry, G_TYPE_OBJECT)

static void
hb_log_entry_finalize (GObject *object)
{
  HbLogEntry *self = HB_LOG_ENTRY (object);

  g_free (self->who);
  g_free (self->text);
  g_free (self->note);
  g_clear_pointer (&self->bytes, g_bytes_unref);
  G_OBJECT_CLASS (hb_log_entry_parent_class)->finalize (object);
}

static void
hb_log_entry_class_init (HbLogEntryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hb_log_entry_finalize;
}

static void
hb_log_entry_init (HbLogEntry *self)
{
}

HbLogEntry *
hb_log_entry_new (HbLogKind   kind,
                  guint       client_id,
                  const char *who,
                  const char *text)
{
  HbLogEntry *self = g_object_new (HB_TYPE_LOG_ENTRY, NULL);

  self->kind = kind;
  self->time = g_get_real_time ();
  self->client_id = client_id;
  self->who = g_strdup (who ? who : "");
  self->text = g_strdup (text ? text : "");
  return self;
}

HbLogEntry *
hb_log_entry_new_bytes (HbLogKind     kind,
                        guint         client_id,
                        const char   *who,
                        const guint8 *data,
                        gsize         len,
                        HbEncoding    encoding)
{
  HbLogEntry *self = hb_log_entry_new (kind, client_id, who, NULL);
  gsize shown = 0;
  g_autofree char *text = hb_bytes_to_display (data, len, encoding, HB_CHUNK_SHOW_MAX, &shown);

  g_free (self->text);
  self->text = shown == len ? g_steal_pointer (&text)
    /* Translators: a read cut short for showing: "abc… (65,000 more bytes)" */
    : g_strdup_printf (_("%s… (%zu more bytes)"), text, len - shown);
  self->bytes = g_bytes_new (data, MIN (len, HB_LOG_HEX_MAX));
  self->n_bytes = len;
  return self;
}

HbLogKind
hb_log_entry_get_kind (HbLogEntry *self)
{
  return self->kind;
}

gint64
hb_log_entry_get_time (HbLogEntry *self)
{
  return self->time;
}

guint
hb_log_entry_get_client_id (HbLogEntry *self)
{
  return self->client_id;
}

const char *
hb_log_entry_get_who (HbLogEntry *self)
{
  return self->who;
}

const char *
hb_log_entry_get_text (HbLogEntry *self)
{
  return self->text;
}

const char *
hb_log_entry_get_note (HbLogEntry *self)
{
  return self->note;
}

void
hb_log_entry_set_note (HbLogEntry *self,
                       const char *note)
{
  g_free (self->note);
  self->note = g_strdup (note);
}

gsize
hb_log_entry_get_n_bytes (HbLogEntry *self)
{
  return self->n_bytes;
}

char *
hb_log_entry_format_hex (HbLogEntry *self)
{
  g_autoptr(GString) out = NULL;
  const guint8 *data;
  gsize len;

  if (self->bytes == NULL)
    return NULL;
  data = g_bytes_get_data (self->bytes, &len);
  out = g_string_new (NULL);
  for (gsize off = 0; off < len; off += 16)
    {
      g_autofree char *row = hb_bytes_to_hex (data + off, len - off, 16);

      if (off > 0)
        g_string_append_c (out, '\n');
      g_string_append_printf (out, "%04" G_GSIZE_MODIFIER "x  %s", off, row);
    }
  if (self->n_bytes > len)
    {
      g_string_append_c (out, '\n');
      g_string_append_printf (out, _("… (%zu more bytes)"), self->n_bytes - len);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

gboolean
hb_log_entry_get_hex_shown (HbLogEntry *self)
{
  return self->hex_shown;
}

void
hb_log_entry_set_hex_shown (HbLogEntry *self,
                            gboolean    shown)
{
  self->hex_shown = shown;
}

const char *
hb_log_kind_to_string (HbLogKind kind)
{
  switch (kind)
    {
    case HB_LOG_MESSAGE: return "message";
    case HB_LOG_BROADCAST: return "broadcast";
    case HB_LOG_SENT: return "sent";
    case HB_LOG_JOIN: return "join";
    case HB_LOG_LEAVE: return "leave";
    case HB_LOG_ERROR: return "error";
    case HB_LOG_INFO: return "info";
    case HB_LOG_RELAY: return "relay";
    case HB_LOG_OWN: return "own";
    case HB_LOG_DATA: return "data";
    default: return "unknown";
    }
}

static char *
iso_time (gint64 wall_us)
{
  g_autoptr(GDateTime) dt = hb_date_time_new_local (wall_us);

  return g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S.%f%:z");
}

static void
csv_field (GString    *out,
           const char *text)
{
  g_string_append_c (out, '"');
  for (const char *p = text; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

gboolean
hb_log_export (GListModel  *model,
               GFile       *file,
               gboolean     json_lines,
               GError     **error)
{
  g_autoptr(GString) out = g_string_new (NULL);
  guint n = g_list_model_get_n_items (model);

  if (!json_lines)
    g_string_append (out, "time,kind,client,who,text\r\n");

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(HbLogEntry) e = g_list_model_get_item (model, i);
      g_autofree char *when = iso_time (e->time);

      if (json_lines)
        {
          g_autoptr(JsonBuilder) b = json_builder_new ();
          g_autoptr(JsonGenerator) gen = json_generator_new ();
          g_autoptr(JsonNode) root = NULL;
          g_autofree char *line = NULL;

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "time");
          json_builder_add_string_value (b, when);
          json_builder_set_member_name (b, "kind");
          json_builder_add_string_value (b, hb_log_kind_to_string (e->kind));
          json_builder_set_member_name (b, "client");
          if (e->client_id)
            json_builder_add_int_value (b, e->client_id);
          else
            json_builder_add_null_value (b);
          json_builder_set_member_name (b, "who");
          json_builder_add_string_value (b, e->who);
          json_builder_set_member_name (b, "text");
          json_builder_add_string_value (b, e->text);
          json_builder_end_object (b);
          root = json_builder_get_root (b);
          json_generator_set_root (gen, root);
          line = json_generator_to_data (gen, NULL);
          g_string_append (out, line);
          g_string_append_c (out, '\n');
        }
      else
        {
          g_string_append_printf (out, "%s,%s,", when, hb_log_kind_to_string (e->kind));
          if (e->client_id)
            g_string_append_printf (out, "%u", e->client_id);
          g_string_append_c (out, ',');
          csv_field (out, e->who);
          g_string_append_c (out, ',');
          csv_field (out, e->text);
          g_string_append (out, "\r\n");
        }
    }

  return g_file_replace_contents (file, out->str, out->len, NULL, FALSE,
                                  G_FILE_CREATE_REPLACE_DESTINATION, NULL, NULL, error);
}
