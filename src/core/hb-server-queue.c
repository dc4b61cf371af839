/* hb-server-queue.c - what the server writes: lines, their bounded queues, broadcast and relay
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "hb-server-private.h"

/* A client whose queue is over max-queue must have read at least a
 * quarter of max-queue in each such period to stay; past HARD_QUEUE_FACTOR
 * times max-queue it is cut at once, reading or not. */
#define SLOW_CHECK_MS      500
#define HARD_QUEUE_FACTOR  16

/* ---------------------------------------------------------------------- */
/* Writing                                                                 */

guint32
_hb_server_seq_arg (HbVerb      verb,
                    const char *args,
                    gsize       args_len)
{
  guint64 seq = 0;

  if ((verb == HB_VERB_PING || verb == HB_VERB_PONG) &&
      hb_parse_uint64 (args, args_len, &seq))
    return (guint32) MIN (seq, G_MAXUINT32);
  return 0;
}

/* A client whose queue passed its bound: everyone else must not wait for
 * it, so its backlog goes and so does it. The reason says what it did: a
 * client flooding us while it does not read is a flooder, not merely slow. */
static void
cut_off (HbServer     *self,
         HbConnection *conn)
{
  gboolean flooding = conn->limited_mono != 0 &&
                      g_get_monotonic_time () - conn->limited_mono < 2 * G_USEC_PER_SEC;

  hb_channel_discard_queue (conn->channel);
  _hb_server_begin_close (self, conn, flooding ? HB_BYE_RATE_LIMITED : HB_BYE_SLOW_CONSUMER,
                          HB_INITIATOR_LOCAL, TRUE);
}

/* Judges a client's queue after something was queued for it. Over the
 * bound it is not cut at once: a large broadcast puts a reader that keeps
 * up over the bound as surely as one that reads nothing. Whether it reads
 * is seen over the next SLOW_CHECK_MS (_hb_server_check_reading()); only far beyond
 * the bound is it cut without waiting. Returns FALSE if it was cut. */
static gboolean
judge_queue (HbServer     *self,
             HbConnection *conn,
             gsize         queued)
{
  if (queued <= self->max_queue)
    {
      conn->over_check_mono = 0;
      return TRUE;
    }
  if (queued > (gsize) self->max_queue * HARD_QUEUE_FACTOR)
    {
      cut_off (self, conn);
      return FALSE;
    }
  if (conn->over_check_mono == 0)
    {
      conn->over_check_mono = g_get_monotonic_time () + SLOW_CHECK_MS * 1000;
      conn->over_bytes_out = hb_channel_get_bytes_out (conn->channel);
      _hb_server_schedule (self, conn);
    }
  return TRUE;
}

gboolean
_hb_server_check_queue (HbServer     *self,
                        HbConnection *conn)
{
  return judge_queue (self, conn, hb_channel_get_queued (conn->channel));
}

/* The deadline set by _hb_server_check_queue(): a client still over the bound must
 * have read a quarter of the bound since, or it is cut. */
void
_hb_server_check_reading (HbServer     *self,
                          HbConnection *conn,
                          gint64        now)
{
  guint64 out = hb_channel_get_bytes_out (conn->channel);

  if (hb_channel_get_queued (conn->channel) <= self->max_queue)
    conn->over_check_mono = 0;
  else if (out - conn->over_bytes_out >= self->max_queue / 4)
    {
      conn->over_check_mono = now + SLOW_CHECK_MS * 1000;
      conn->over_bytes_out = out;
    }
  else
    {
      conn->over_check_mono = 0;
      cut_off (self, conn);
    }
}

/* Queues one already formatted line; returns FALSE if the client was cut
 * off as a slow consumer. */
gboolean
_hb_server_send_raw (HbServer     *self,
                     HbConnection *conn,
                     HbVerb        verb,
                     const char   *line,
                     gsize         len,
                     guint32       arg)
{
  if (conn->closing || !hb_channel_is_open (conn->channel))
    return FALSE;

  hb_channel_write (conn->channel, line, len);
  conn->lines_out++;
  hb_timeline_append (conn->timeline, HB_EVENT_LINE_OUT, verb, len, arg, HB_INITIATOR_LOCAL);
  return _hb_server_check_queue (self, conn);
}

gboolean
_hb_server_send_line (HbServer     *self,
                      HbConnection *conn,
                      HbVerb        verb,
                      const char   *args,
                      gssize        args_len)
{
  GString *s = self->scratch;

  g_string_truncate (s, 0);
  hb_format_line (s, hb_verb_to_string (verb), args, args_len);
  return _hb_server_send_raw (self, conn, verb, s->str, s->len,
                              args ? _hb_server_seq_arg (verb, args, args_len < 0 ? strlen (args) : (gsize) args_len) : 0);
}

/* @text goes on the wire: it is protocol, in English whatever the
 * server's locale, as docs/protocol.md shows it. */
void
_hb_server_send_error (HbServer     *self,
                       HbConnection *conn,
                       HbErrCode     code,
                       const char   *text)
{
  g_autofree char *args = g_strdup_printf ("%s %s", hb_err_code_to_string (code), text);

  hb_timeline_append (conn->timeline, HB_EVENT_ERROR, HB_VERB_ERR, 0, code, HB_INITIATOR_LOCAL);
  if (_hb_server_send_line (self, conn, HB_VERB_ERR, args, -1))
    g_signal_emit (self, _hb_server_signals[ERROR_SENT], 0, conn, code, text);
}

static const char *
display_name (HbConnection *conn,
              char         *buf,
              gsize         size)
{
  if (conn->name != NULL)
    return conn->name;
  g_snprintf (buf, size, "client-%u", conn->id);
  return buf;
}

void
_hb_server_relay_message (HbServer     *self,
                          HbConnection *from,
                          const char   *text,
                          gsize         len)
{
  g_autoptr(GString) line = g_string_new (NULL);
  char buf[32];
  GHashTableIter iter;
  gpointer key, value;
  g_autoptr(GPtrArray) targets = g_ptr_array_new_with_free_func (g_object_unref);

  const char *name = display_name (from, buf, sizeof buf);
  /* "RELAY name text\n" must fit in max_line like every line: the name
   * and verb take room a MSG did not need, so a long text is cut, at a
   * character boundary, and ends with "…" to say so. */
  gsize overhead = 1 + strlen ("RELAY ") + strlen (name) + 1 + strlen ("…");
  gsize room = self->max_line > overhead ? self->max_line - overhead + strlen ("…") : strlen ("…");

  g_string_append (line, name);
  g_string_append_c (line, ' ');
  if (len > room)
    {
      const char *cut = text + MIN (len, room - strlen ("…"));

      while (cut > text && (*cut & 0xc0) == 0x80)
        cut--;
      g_string_append_len (line, text, cut - text);
      g_string_append (line, "…");
    }
  else
    g_string_append_len (line, text, len);
  {
    g_autoptr(GString) formatted = g_string_new (NULL);

    hb_format_line (formatted, "RELAY", line->str, line->len);
    g_string_assign (line, formatted->str);
  }

  g_hash_table_iter_init (&iter, self->by_id);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (value != from)
      g_ptr_array_add (targets, g_object_ref (value));
  for (guint i = 0; i < targets->len; i++)
    _hb_server_send_raw (self, g_ptr_array_index (targets, i), HB_VERB_RELAY, line->str, line->len, 0);
}

/* The operator's @text as the protocol sends it: a `VERB text` line, or
 * in the lab's protocol and raw TCP the text's own bytes in the chosen
 * encoding and line ending. */
void
_hb_server_append_message (HbServer   *self,
                           GString    *out,
                           const char *verb,
                           const char *text)
{
  g_autoptr(GBytes) bytes = NULL;
  gsize len;
  const char *data;

  if (self->protocol == HB_PROTOCOL_LINE)
    {
      hb_format_line (out, verb, text, -1);
      return;
    }
  bytes = hb_text_encode (text, -1, self->encoding, self->line_ending);
  data = g_bytes_get_data (bytes, &len);
  g_string_append_len (out, data, len);
}

guint
hb_server_broadcast (HbServer   *self,
                     const char *text)
{
  g_return_val_if_fail (text != NULL, 0);

  return hb_server_broadcast_lines (self, &text, 1);
}

/**
 * hb_server_broadcast_lines:
 * @texts: (array length=n_texts): the texts, each sent as one BCAST line
 *
 * Broadcasts several lines in order, as hb_server_broadcast() would one
 * after the other, but as one block that every client's queue refers to:
 * no copy and no allocation of the text per client.
 *
 * Returns: how many clients were sent all the lines
 */
/* A client a broadcast was written to, and what it had queued after. */
typedef struct
{
  HbConnection *conn;
  gsize         queued;
  gboolean      written;
} Target;

guint
hb_server_broadcast_lines (HbServer          *self,
                           const char *const *texts,
                           guint              n_texts)
{
  g_autoptr(GString) block = g_string_new (NULL);
  g_autofree guint32 *sizes = g_new (guint32, MAX (n_texts, 1));
  g_autoptr(GBytes) shared = NULL;
  g_autoptr(GArray) targets = NULL;
  g_autoptr(GPtrArray) cut = NULL;
  gint64 mono, wall;
  guint n, recipients = 0;

  g_return_val_if_fail (HB_IS_SERVER (self), 0);
  g_return_val_if_fail (texts != NULL || n_texts == 0, 0);

  if (n_texts == 0)
    return 0;

  /* Format once; every client gets the same bytes, in order of arrival. */
  for (guint i = 0; i < n_texts; i++)
    {
      gsize before = block->len;

      _hb_server_append_message (self, block, "BCAST", texts[i]);
      sizes[i] = block->len - before;
    }

  /* One block that every client's queue refers to: no copy per client. */
  shared = g_string_free_to_bytes (g_steal_pointer (&block));
  mono = g_get_monotonic_time ();
  wall = g_get_real_time ();

  /* First the writes, in order of arrival, and nothing else: they are
   * what the clients wait for, so what the server keeps for itself
   * follows them. Nothing in this pass can call back (a write's error
   * waits for the flush), so the clients are borrowed from the list.
   * Each client's memory is somewhere else, a cache (and TLB) miss or
   * several: the next ones are fetched while the kernel takes this
   * one's send, as the baseline's array of clients is by the hardware. */
  n = g_list_model_get_n_items (G_LIST_MODEL (self->connections));
  targets = g_array_sized_new (FALSE, FALSE, sizeof (Target), n + self->joining->len);
  for (guint i = 0; i < n + self->joining->len; i++)
    {
      Target t = { NULL, 0, FALSE };

      if (i < n)
        {
          t.conn = g_list_model_get_item (G_LIST_MODEL (self->connections), i);
          g_object_unref (t.conn);   /* the list keeps it */
        }
      else
        t.conn = g_ptr_array_index (self->joining, i - n);
      g_array_append_val (targets, t);
    }
  for (guint i = 0; i < targets->len; i++)
    {
      Target *t = &g_array_index (targets, Target, i);

      if (i + 2 < targets->len)
        {
          HbConnection *later = g_array_index (targets, Target, i + 2).conn;

          __builtin_prefetch (later);
          __builtin_prefetch (&later->close_kind);
        }
      if (i + 1 < targets->len)
        hb_channel_prefetch (g_array_index (targets, Target, i + 1).conn->channel);
      if (t->conn->closing || !hb_channel_is_open (t->conn->channel))
        continue;
      t->queued = hb_channel_write_shared (t->conn->channel, shared);
      t->written = TRUE;
    }

  /* Then each one's count and timeline (the block at one instant, when
   * the broadcast began), and its queue against the bound. Only a client
   * far over it is cut off, which can call back: those wait till last. */
  for (guint i = 0; i < targets->len; i++)
    {
      Target *t = &g_array_index (targets, Target, i);

      if (!t->written)
        continue;
      t->conn->lines_out += n_texts;
      hb_timeline_append_n (t->conn->timeline, HB_EVENT_LINE_OUT, HB_VERB_BCAST,
                            sizes, n_texts, HB_INITIATOR_LOCAL, mono, wall);
      if (t->queued > (gsize) self->max_queue * HARD_QUEUE_FACTOR)
        {
          if (cut == NULL)
            cut = g_ptr_array_new_with_free_func (g_object_unref);
          g_ptr_array_add (cut, g_object_ref (t->conn));
          continue;
        }
      judge_queue (self, t->conn, t->queued);
      recipients++;
    }
  for (guint i = 0; cut != NULL && i < cut->len; i++)
    {
      HbConnection *conn = g_ptr_array_index (cut, i);

      if (!conn->closing)
        _hb_server_check_queue (self, conn);
    }
  g_signal_emit (self, _hb_server_signals[BROADCAST], 0, n_texts, recipients);
  return recipients;
}

gboolean
hb_server_send (HbServer   *self,
                guint       id,
                const char *text)
{
  HbConnection *conn;

  g_return_val_if_fail (HB_IS_SERVER (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  conn = hb_server_lookup (self, id);
  if (conn == NULL)
    return FALSE;
  g_string_truncate (self->scratch, 0);
  _hb_server_append_message (self, self->scratch, "MSG", text);
  return _hb_server_send_raw (self, conn, HB_VERB_MSG, self->scratch->str, self->scratch->len, 0);
}

