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

  /* HB_LOG_DATA */
  GBytes      *data;       /* the first HB_CHUNK_SHOW_MAX bytes, a copy */
  guint64      size;
  HbEncoding   encoding;
  gboolean     judged;     /* the lab's protocol: info says what came */
  HbChunkInfo  info;

  /* A client window's bytes (hb_log_entry_new_bytes()): its sender says
   * how many there are, its note is its own, its hex opens on demand. */
  gboolean     compact;
  char        *note;       /* set, or worked out once asked for */
  gboolean     hex_shown;
};

G_DEFINE_FINAL_TYPE (HbLogEntry, hb_log_entry, G_TYPE_OBJECT)

static void
hb_log_entry_finalize (GObject *object)
{
  HbLogEntry *self = HB_LOG_ENTRY (object);

  g_free (self->who);
  g_free (self->text);
  g_free (self->note);
  g_clear_pointer (&self->data, g_bytes_unref);
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
hb_log_entry_new_data (guint              client_id,
                       const char        *who,
                       GBytes            *bytes,
                       HbEncoding         encoding,
                       const HbChunkInfo *info)
{
  HbLogEntry *self;
  gsize len;
  const guint8 *data;

  g_return_val_if_fail (bytes != NULL, NULL);

  self = hb_log_entry_new (HB_LOG_DATA, client_id, who, NULL);
  data = g_bytes_get_data (bytes, &len);
  /* A copy, not a slice: a slice would keep the whole read alive. */
  self->data = g_bytes_new (data, MIN (len, HB_CHUNK_SHOW_MAX));
  self->size = len;
  self->encoding = encoding;
  self->judged = info != NULL;
  if (info != NULL)
    self->info = *info;
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

  g_return_val_if_fail (data != NULL || len == 0, self);

  self->data = g_bytes_new (data, MIN (len, HB_CHUNK_SHOW_MAX));
  self->size = len;
  self->encoding = encoding;
  self->compact = TRUE;
  g_clear_pointer (&self->text, g_free);
  return self;
}

gboolean
hb_log_entry_has_bytes (HbLogEntry *self)
{
  g_return_val_if_fail (HB_IS_LOG_ENTRY (self), FALSE);
  return self->data != NULL;
}

gboolean
hb_log_entry_get_compact (HbLogEntry *self)
{
  g_return_val_if_fail (HB_IS_LOG_ENTRY (self), FALSE);
  return self->compact;
}

const char *
hb_log_entry_get_note (HbLogEntry *self)
{
  g_return_val_if_fail (HB_IS_LOG_ENTRY (self), NULL);
  if (self->note == NULL && !self->compact)
    self->note = hb_log_entry_dup_note (self);
  return self->note;
}

void
hb_log_entry_set_note (HbLogEntry *self,
                       const char *note)
{
  g_return_if_fail (HB_IS_LOG_ENTRY (self));
  g_free (self->note);
  self->note = g_strdup (note);
}

char *
hb_log_entry_format_hex (HbLogEntry *self)
{
  g_autoptr(GString) out = NULL;
  const guint8 *data;
  gsize len;

  g_return_val_if_fail (HB_IS_LOG_ENTRY (self), NULL);

  if (self->data == NULL)
    return NULL;
  data = g_bytes_get_data (self->data, &len);
  out = g_string_new (NULL);
  for (gsize off = 0; off < len; off += 16)
    {
      g_autofree char *row = hb_bytes_to_hex (data + off, len - off, 16);

      if (off > 0)
        g_string_append_c (out, '\n');
      g_string_append_printf (out, "%04" G_GSIZE_MODIFIER "x  %s", off, row);
    }
  if (self->size > len)
    {
      g_string_append_c (out, '\n');
      g_string_append_printf (out, _("… (%llu more bytes)"), (unsigned long long) (self->size - len));
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

gboolean
hb_log_entry_get_hex_shown (HbLogEntry *self)
{
  g_return_val_if_fail (HB_IS_LOG_ENTRY (self), FALSE);
  return self->hex_shown;
}

void
hb_log_entry_set_hex_shown (HbLogEntry *self,
                            gboolean    shown)
{
  g_return_if_fail (HB_IS_LOG_ENTRY (self));
  self->hex_shown = !!shown;
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
  /* Bytes are shown as text only when asked: most reads are never. */
  if (self->text == NULL)
    self->text = hb_log_entry_dup_text (self);
  return self->text;
}

char *
hb_log_entry_dup_text (HbLogEntry *self)
{
  gsize len, shown = 0;
  const guint8 *data;
  g_autofree char *text = NULL;

  g_return_val_if_fail (HB_IS_LOG_ENTRY (self), NULL);

  if (self->data == NULL)
    return g_strdup (self->text);
  /* Worked out when asked, never kept: 10,000 reads of binary garbage
   * would otherwise hold four times their bytes again as escapes. */
  data = g_bytes_get_data (self->data, &len);
  text = hb_bytes_to_display (data, len, self->encoding, len, &shown);
  if (shown == self->size)
    return g_steal_pointer (&text);
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s… (%llu more byte)",
                                       "%s… (%llu more bytes)", self->size - shown),
                          text, (unsigned long long) (self->size - shown));
}

GBytes *
hb_log_entry_get_data (HbLogEntry *self)
{
  g_return_val_if_fail (HB_IS_LOG_ENTRY (self), NULL);
  return self->data;
}

guint64
hb_log_entry_get_size (HbLogEntry *self)
{
  g_return_val_if_fail (HB_IS_LOG_ENTRY (self), 0);
  return self->size;
}

HbEncoding
hb_log_entry_get_encoding (HbLogEntry *self)
{
  g_return_val_if_fail (HB_IS_LOG_ENTRY (self), HB_ENCODING_UTF8);
  return self->encoding;
}

const HbChunkInfo *
hb_log_entry_get_chunk_info (HbLogEntry *self)
{
  g_return_val_if_fail (HB_IS_LOG_ENTRY (self), NULL);
  return self->judged ? &self->info : NULL;
}

char *
hb_log_entry_dup_contents (HbLogEntry *self)
{
  g_autofree char *acks = NULL;
  g_autofree char *messages = NULL;
  guint n_acks, n_messages;

  g_return_val_if_fail (HB_IS_LOG_ENTRY (self), NULL);

  if (self->kind != HB_LOG_DATA || !self->judged)
    return NULL;
  n_acks = self->info.n_patterns;
  n_messages = self->info.n_messages;
  if (n_acks == 0 && n_messages == 0)
    /* Translators: a read that completed nothing: it may end with the start of an ack */
    return g_strdup (_("held back"));
  if (n_acks > 0)
    acks = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u ack", "%u acks", n_acks), n_acks);
  if (n_messages > 0)
    messages = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u message", "%u messages", n_messages),
                                n_messages);
  if (acks != NULL && messages != NULL)
    /* Translators: what one read held: "1 ack + 2 messages" */
    return g_strdup_printf (_("%s + %s"), acks, messages);
  return g_strdup (acks != NULL ? acks : messages);
}

char *
hb_log_entry_dup_note (HbLogEntry *self)
{
  g_autofree char *contents = NULL;

  g_return_val_if_fail (HB_IS_LOG_ENTRY (self), NULL);

  if (self->kind != HB_LOG_DATA || !self->judged)
    return NULL;
  contents = hb_log_entry_dup_contents (self);
  /* The scanner also calls a read "split" when it ends with what may
   * begin an ack (held); that is said as such, not as a message in
   * pieces, which it may not be. */
  if (self->info.glued && self->info.held)
    return g_strdup_printf (_("%s in one read, and its end may be the start of an ack, held back for the next read — "
                              "TCP keeps no message boundaries (粘包, 拆包)"), contents);
  if (self->info.glued && self->info.split)
    return g_strdup_printf (_("%s in one read, and part of it came in another read — "
                              "TCP keeps no message boundaries (粘包, 拆包)"), contents);
  if (self->info.glued)
    return g_strdup_printf (_("%s in one read — TCP keeps no message boundaries (粘包)"), contents);
  if (self->info.held)
    return g_strdup (_("Its end may be the start of an ack, held back for the next read — "
                       "TCP keeps no message boundaries (拆包)"));
  if (self->info.split)
    return g_strdup (_("A message in pieces: part of it came in another read — "
                       "TCP keeps no message boundaries (拆包)"));
  return NULL;
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
      g_autofree char *text = hb_log_entry_dup_text (e);

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
          json_builder_add_string_value (b, text);
          if (e->kind == HB_LOG_DATA)
            {
              gsize len;
              const guint8 *data = g_bytes_get_data (e->data, &len);
              g_autofree char *hex = hb_bytes_to_hex (data, len, len);
              g_autofree char *note = hb_log_entry_dup_note (e);

              /* As the CLI's "data" event has them: the count, and the
               * bytes kept in hex. */
              json_builder_set_member_name (b, "bytes");
              json_builder_add_int_value (b, (gint64) e->size);
              json_builder_set_member_name (b, "hex");
              json_builder_add_string_value (b, hex);
              if (note != NULL)
                {
                  json_builder_set_member_name (b, "note");
                  json_builder_add_string_value (b, note);
                }
            }
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
          csv_field (out, text);
          g_string_append (out, "\r\n");
        }
    }

  return g_file_replace_contents (file, out->str, out->len, NULL, FALSE,
                                  G_FILE_CREATE_REPLACE_DESTINATION, NULL, NULL, error);
}
