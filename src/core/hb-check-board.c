/* hb-check-board.c - checks of every client's program, judged live from what the server sees
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The board listens to the server's signals once, whatever the number of
 * clients, and keeps one HbChecks per client. Heartbeats are judged by
 * their seq: the server stamps a heartbeat when it is written (ping-sent)
 * and matches the answer to it (pong, with the RTT). What must happen
 * within a time — an answer within 1 s, a typed text arriving — has a
 * deadline; one deadline source serves the earliest of them all.
 */

#include "config.h"

#include <inttypes.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "hb-checks-private.h"
#include "hb-connection-private.h"
#include "hb-poller.h"

struct _HbCheckBoard
{
  GObject      parent_instance;

  HbServer    *server;
  GListStore  *checks;      /* HbChecks, in order of arrival */
  GHashTable  *by_conn;     /* HbConnection → HbChecks, connected ones */
  GSource     *deadline;
};

G_DEFINE_FINAL_TYPE (HbCheckBoard, hb_check_board, G_TYPE_OBJECT)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char * const check_names[] = {
  [HB_CLIENT_CHECK_CONNECTS]        = "connects",
  [HB_CLIENT_CHECK_ANSWERS]         = "answers",
  [HB_CLIENT_CHECK_GLUED]           = "glued",
  [HB_CLIENT_CHECK_SENDS]           = "sends",
  [HB_CLIENT_CHECK_AFTER_BROADCAST] = "after-broadcast",
  [HB_CLIENT_CHECK_CLOSES_WITH_FIN] = "closes-with-fin",
};

const char *
hb_client_check_to_string (HbClientCheck check)
{
  g_return_val_if_fail ((guint) check < HB_CLIENT_N_CHECKS, NULL);
  return check_names[check];
}

const char *
hb_client_check_get_title (HbClientCheck check)
{
  switch (check)
    {
    case HB_CLIENT_CHECK_CONNECTS: return _("Connects");
    case HB_CLIENT_CHECK_ANSWERS: return _("Answers every heartbeat within 1 s");
    case HB_CLIENT_CHECK_GLUED: return _("Answers a heartbeat glued to a broadcast");
    case HB_CLIENT_CHECK_SENDS: return _("Sends what is typed into it");
    case HB_CLIENT_CHECK_AFTER_BROADCAST: return _("Keeps answering after a broadcast");
    case HB_CLIENT_CHECK_CLOSES_WITH_FIN: return _("Closes with FIN, not RST");
    case HB_CLIENT_N_CHECKS:
    default:
      g_return_val_if_reached (NULL);
    }
}

const char *
hb_check_verdict_to_string (HbCheckVerdict verdict)
{
  switch (verdict)
    {
    case HB_CHECK_PASSED: return "passed";
    case HB_CHECK_FAILED: return "failed";
    case HB_CHECK_PENDING:
    default: return "pending";
    }
}

const char *
hb_check_verdict_to_symbol (HbCheckVerdict verdict)
{
  switch (verdict)
    {
    case HB_CHECK_PASSED: return "✓";
    case HB_CHECK_FAILED: return "✗";
    case HB_CHECK_PENDING:
    default: return "…";
    }
}

/* "0.42 ms", "1.5 s" */
static char *
format_duration (gint64 us)
{
  if (us < 1000)
    return g_strdup_printf (_("%.2f ms"), us / 1000.0);
  if (us < 1000 * 1000)
    return g_strdup_printf (_("%.1f ms"), us / 1000.0);
  return g_strdup_printf (_("%.1f s"), us / 1e6);
}

/* ---------------------------------------------------------------------- */
/* Judging                                                                 */

static void
judge (HbCheckBoard   *board,
       HbChecks       *checks,
       HbClientCheck   check,
       HbCheckVerdict  verdict,
       char           *evidence)   /* (transfer full) */
{
  if (checks->verdict[check] == verdict && g_strcmp0 (checks->evidence[check], evidence) == 0)
    {
      g_free (evidence);
      return;
    }
  checks->verdict[check] = verdict;
  g_free (checks->evidence[check]);
  checks->evidence[check] = evidence;
  _hb_checks_update_summary (checks);
  g_signal_emit (board, signals[CHANGED], 0, checks, check);
}

/* Whether @c's client owes the answer to a heartbeat: one written and
 * waited for here, or one the server has queued and not yet written
 * (its "ping-sent" comes when the write completes). */
static gboolean
owes_answer (HbChecks *c)
{
  HbConnection *conn = c->conn;

  return c->n_waiting > 0 ||
         (conn != NULL && conn->ping_seq > _hb_connection_settled_seq (conn));
}

static gint64
next_deadline (HbChecks *c)
{
  gint64 due = G_MAXINT64;

  if (c->ended)
    return due;
  for (guint i = 0; i < c->n_waiting; i++)
    due = MIN (due, c->waiting[i].sent_mono + HB_CHECK_ANSWER_LIMIT_US +
                    (c->waiting[i].overdue ? OVERDUE_GRACE_US : 0));
  if (c->glued_wanted)
    due = MIN (due, c->glued_wanted_due);
  if (c->glued_due != 0)
    due = MIN (due, c->glued_due);
  if (c->after_due != 0)
    due = MIN (due, c->after_due);
  if (c->expected_due != 0)
    due = MIN (due, c->expected_due);
  return due;
}

static void
rearm (HbCheckBoard *self)
{
  gint64 due = G_MAXINT64;
  GHashTableIter iter;
  gpointer value;

  /* Only the clients still connected have deadlines: those who left,
   * however many, cost nothing here. */
  g_hash_table_iter_init (&iter, self->by_conn);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    due = MIN (due, next_deadline (value));
  g_source_set_ready_time (self->deadline, due == G_MAXINT64 ? -1 : due);
}

static void send_probe (HbCheckBoard *self,
                        HbChecks     *c);

static void
expire (HbCheckBoard *self,
        HbChecks     *c,
        gint64        now)
{
  if (c->ended)
    return;

  /* A heartbeat unanswered for the limit fails the check; it is waited
   * for a while longer, so that a late answer is taken as its own. */
  for (guint i = 0; i < c->n_waiting;)
    {
      Waiting *w = &c->waiting[i];

      if (!w->overdue && now >= w->sent_mono + HB_CHECK_ANSWER_LIMIT_US)
        {
          w->overdue = TRUE;
          if (c->verdict[HB_CLIENT_CHECK_ANSWERS] != HB_CHECK_FAILED)
            judge (self, c, HB_CLIENT_CHECK_ANSWERS, HB_CHECK_FAILED,
                   g_strdup_printf (_("heartbeat %" PRIu64 " was not answered within 1 s"),
                                    w->seq));
        }
      if (w->overdue && now >= w->sent_mono + HB_CHECK_ANSWER_LIMIT_US + OVERDUE_GRACE_US)
        {
          memmove (w, w + 1, (c->n_waiting - i - 1) * sizeof (Waiting));
          c->n_waiting--;
          continue;
        }
      i++;
    }
  if (c->glued_wanted && (!owes_answer (c) || now >= c->glued_wanted_due))
    send_probe (self, c);

  if (c->glued_due != 0 && now >= c->glued_due)
    {
      c->glued_due = 0;
      /* Only a client that answers plain heartbeats in time is told the
       * likely cause; a late or silent one fails for what it is. */
      judge (self, c, HB_CLIENT_CHECK_GLUED, HB_CHECK_FAILED,
             c->n_answered > 0 && c->slowest_us <= HB_CHECK_ANSWER_LIMIT_US
               ? g_strdup_printf (_("no answer within 1 s to a heartbeat sent with “%s” in one segment, "
                                    "though plain heartbeats are answered: the program may answer only "
                                    "when recv() returns the heartbeat alone"), c->glued_text)
               : g_strdup_printf (_("no answer within 1 s to a heartbeat sent with “%s” in one segment"),
                                  c->glued_text));
    }

  if (c->after_due != 0 && now >= c->after_due)
    {
      c->after_due = 0;
      judge (self, c, HB_CLIENT_CHECK_AFTER_BROADCAST, HB_CHECK_FAILED,
             g_strdup (_("the first heartbeat after a broadcast was not answered within 1 s")));
    }

  if (c->expected_due != 0 && now >= c->expected_due)
    {
      c->expected_due = 0;
      judge (self, c, HB_CLIENT_CHECK_SENDS, HB_CHECK_FAILED,
             c->received != NULL
               ? g_strdup_printf (_("“%s” was typed, but “%s” arrived"), c->expected, c->received)
               : g_strdup_printf (_("“%s” was typed, and nothing arrived"), c->expected));
    }
}

static gboolean
deadline_cb (gpointer user_data)
{
  HbCheckBoard *self = user_data;
  gint64 now = g_get_monotonic_time ();
  g_autoptr(GPtrArray) connected = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  g_source_set_ready_time (self->deadline, -1);
  /* A copy: a judgement's handlers may touch the board. */
  g_hash_table_iter_init (&iter, self->by_conn);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (connected, g_object_ref (value));
  for (guint i = 0; i < connected->len; i++)
    {
      HbChecks *c = g_ptr_array_index (connected, i);

      /* Before failing a client for an answer not seen, read what waits
       * in its socket: when this process was busy the answer is there,
       * and its arrival time says it came in time. */
      if (!c->ended && next_deadline (c) <= now && c->conn != NULL)
        _hb_connection_read_now (c->conn);
      expire (self, c, now);
    }
  rearm (self);
  return G_SOURCE_CONTINUE;
}

static void
on_connected (HbServer     *server,
              HbConnection *conn,
              HbCheckBoard *self)
{
  HbChecks *c = g_object_new (HB_TYPE_CHECKS, NULL);

  c->conn = g_object_ref (conn);
  _hb_checks_update_summary (c);
  g_hash_table_insert (self->by_conn, conn, c);
  g_list_store_append (self->checks, c);
  judge (self, c, HB_CLIENT_CHECK_CONNECTS, HB_CHECK_PASSED,
         g_strdup_printf (_("connected from %s"), hb_connection_get_peer (conn)));
  g_object_unref (c);
}

static void
on_ping_sent (HbServer     *server,
              HbConnection *conn,
              guint64       seq,
              HbCheckBoard *self)
{
  HbChecks *c = g_hash_table_lookup (self->by_conn, conn);
  gint64 now = g_get_monotonic_time ();

  if (c == NULL)
    return;
  if (c->n_waiting == MAX_WAITING)
    {
      memmove (c->waiting, c->waiting + 1, (MAX_WAITING - 1) * sizeof (Waiting));
      c->n_waiting--;
    }
  c->waiting[c->n_waiting++] = (Waiting) { seq, now, FALSE };
  if (seq == c->glued_seq)
    c->glued_due = now + HB_CHECK_ANSWER_LIMIT_US;
  if (seq == c->after_seq)
    c->after_due = now + HB_CHECK_ANSWER_LIMIT_US;
  rearm (self);
}

static void
on_pong (HbServer     *server,
         HbConnection *conn,
         guint64       seq,
         gint64        rtt_us,
         HbCheckBoard *self)
{
  HbChecks *c = g_hash_table_lookup (self->by_conn, conn);
  guint answered = 0;

  if (c == NULL || seq == 0 || rtt_us < 0)
    return;

  /* This answer settles its heartbeat; older ones still waiting stay
   * waiting, to fail at their deadline. */
  for (guint i = 0; i < c->n_waiting; i++)
    if (c->waiting[i].seq == seq)
      {
        memmove (c->waiting + i, c->waiting + i + 1, (c->n_waiting - i - 1) * sizeof (Waiting));
        c->n_waiting--;
        answered = 1;
        break;
      }

  if (answered && c->verdict[HB_CLIENT_CHECK_ANSWERS] != HB_CHECK_FAILED)
    {
      g_autofree char *slowest = NULL;

      c->n_answered++;
      c->slowest_us = MAX (c->slowest_us, rtt_us);
      slowest = format_duration (c->slowest_us);
      if (rtt_us > HB_CHECK_ANSWER_LIMIT_US)
        {
          g_autofree char *took = format_duration (rtt_us);

          judge (self, c, HB_CLIENT_CHECK_ANSWERS, HB_CHECK_FAILED,
                 g_strdup_printf (_("heartbeat %" PRIu64 " was answered after %s, more than 1 s"),
                                  seq, took));
        }
      else
        judge (self, c, HB_CLIENT_CHECK_ANSWERS, HB_CHECK_PASSED,
               g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "%" PRIu64 " heartbeat answered, the slowest in %s",
                                             "%" PRIu64 " heartbeats answered, the slowest in %s",
                                             c->n_answered),
                                c->n_answered, slowest));
    }

  if (c->glued_seq != 0 && seq == c->glued_seq && c->glued_due != 0)
    {
      g_autofree char *took = format_duration (rtt_us);

      c->glued_due = 0;
      judge (self, c, HB_CLIENT_CHECK_GLUED,
             rtt_us <= HB_CHECK_ANSWER_LIMIT_US ? HB_CHECK_PASSED : HB_CHECK_FAILED,
             g_strdup_printf (_("answered in %s a heartbeat sent with “%s” in one segment"),
                              took, c->glued_text));
    }

  if (c->after_seq != 0 && seq >= c->after_seq && c->after_due != 0)
    {
      g_autofree char *took = format_duration (rtt_us);

      c->after_due = 0;
      c->after_seq = 0;
      judge (self, c, HB_CLIENT_CHECK_AFTER_BROADCAST,
             rtt_us <= HB_CHECK_ANSWER_LIMIT_US ? HB_CHECK_PASSED : HB_CHECK_FAILED,
             g_strdup_printf (_("answered the first heartbeat after a broadcast in %s"), took));
    }
  if (c->glued_wanted && !owes_answer (c))
    send_probe (self, c);
  rearm (self);
}

static void
on_message (HbServer     *server,
            HbConnection *conn,
            const char   *text,
            HbCheckBoard *self)
{
  HbChecks *c = g_hash_table_lookup (self->by_conn, conn);

  if (c == NULL)
    return;
  if (c->received == NULL)
    c->received = g_strdup (text);
  if (c->expected == NULL)
    {
      if (c->verdict[HB_CLIENT_CHECK_SENDS] == HB_CHECK_PENDING)
        judge (self, c, HB_CLIENT_CHECK_SENDS, HB_CHECK_PASSED,
               g_strdup_printf (_("sent “%s”"), text));
      return;
    }
  if (strstr (text, c->expected) != NULL)
    {
      c->expected_due = 0;
      judge (self, c, HB_CLIENT_CHECK_SENDS, HB_CHECK_PASSED,
             g_strdup_printf (_("“%s” was typed, and “%s” arrived"), c->expected, text));
      g_clear_pointer (&c->expected, g_free);
      rearm (self);
    }
  else
    {
      g_free (c->received);
      c->received = g_strdup (text);
    }
}

static void
on_broadcast (HbServer     *server,
              guint         n_texts,
              guint         recipients,
              HbCheckBoard *self)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->by_conn);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      HbChecks *c = value;

      /* A check already under way keeps its heartbeat. */
      if (c->after_seq == 0)
        c->after_seq = hb_connection_get_pings_sent (key) + 1;
    }
}

static void
on_disconnected (HbServer     *server,
                 HbConnection *conn,
                 HbByeReason   reason,
                 HbInitiator   initiator,
                 HbCheckBoard *self)
{
  HbChecks *c = g_hash_table_lookup (self->by_conn, conn);
  guint drain_s = HB_DEFAULT_DRAIN_MS / 1000;

  if (c == NULL)
    return;

  switch (hb_connection_get_close_kind (conn))
    {
    case HB_CLOSE_FIN:
      judge (self, c, HB_CLIENT_CHECK_CLOSES_WITH_FIN, HB_CHECK_PASSED,
             initiator == HB_INITIATOR_PEER ? g_strdup (_("closed with FIN"))
                                            : g_strdup (_("answered the server's FIN with its own")));
      break;
    case HB_CLOSE_RESET:
      judge (self, c, HB_CLIENT_CHECK_CLOSES_WITH_FIN, HB_CHECK_FAILED,
             g_strdup (_("reset the connection (RST): it closed with unread data, or aborted")));
      break;
    case HB_CLOSE_NO_FIN:
      judge (self, c, HB_CLIENT_CHECK_CLOSES_WITH_FIN, HB_CHECK_FAILED,
             g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "did not close within %u second of the server's FIN",
                                           "did not close within %u seconds of the server's FIN",
                                           drain_s), drain_s));
      break;
    case HB_CLOSE_ERROR:
    case HB_CLOSE_OPEN:
    default:
      judge (self, c, HB_CLIENT_CHECK_CLOSES_WITH_FIN, HB_CHECK_FAILED,
             g_strdup (_("the connection ended with a socket error")));
      break;
    }

  /* What was waiting can no longer be judged. */
  c->ended = TRUE;
  g_hash_table_remove (self->by_conn, conn);
  rearm (self);
}

/* ---------------------------------------------------------------------- */
/* HbCheckBoard                                                            */

static void
hb_check_board_dispose (GObject *object)
{
  HbCheckBoard *self = HB_CHECK_BOARD (object);

  if (self->server != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->server, self);
      g_clear_object (&self->server);
    }
  if (self->deadline != NULL)
    {
      g_source_destroy (self->deadline);
      g_clear_pointer (&self->deadline, g_source_unref);
    }
  if (self->by_conn != NULL)
    g_hash_table_remove_all (self->by_conn);
  G_OBJECT_CLASS (hb_check_board_parent_class)->dispose (object);
}

static void
hb_check_board_finalize (GObject *object)
{
  HbCheckBoard *self = HB_CHECK_BOARD (object);

  g_clear_object (&self->checks);
  g_clear_pointer (&self->by_conn, g_hash_table_unref);
  G_OBJECT_CLASS (hb_check_board_parent_class)->finalize (object);
}

static void
hb_check_board_class_init (HbCheckBoardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hb_check_board_dispose;
  object_class->finalize = hb_check_board_finalize;

  /**
   * HbCheckBoard::changed:
   * @checks: the client's checks
   * @check: (type HbClientCheck): which one changed verdict or evidence
   */
  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, HB_TYPE_CHECKS, G_TYPE_UINT);
}

static void
hb_check_board_init (HbCheckBoard *self)
{
  self->checks = g_list_store_new (HB_TYPE_CHECKS);
  self->by_conn = g_hash_table_new (NULL, NULL);
}

/**
 * hb_check_board_new:
 *
 * Starts watching @server: every client that connects from now on is
 * checked.
 */
HbCheckBoard *
hb_check_board_new (HbServer *server)
{
  HbCheckBoard *self;

  g_return_val_if_fail (HB_IS_SERVER (server), NULL);

  self = g_object_new (HB_TYPE_CHECK_BOARD, NULL);
  self->server = g_object_ref (server);
  self->deadline = hb_deadline_source_new (deadline_cb, self);
  g_signal_connect (server, "client-connected", G_CALLBACK (on_connected), self);
  g_signal_connect (server, "ping-sent", G_CALLBACK (on_ping_sent), self);
  g_signal_connect (server, "pong", G_CALLBACK (on_pong), self);
  g_signal_connect (server, "message", G_CALLBACK (on_message), self);
  g_signal_connect (server, "broadcast", G_CALLBACK (on_broadcast), self);
  g_signal_connect (server, "client-disconnected", G_CALLBACK (on_disconnected), self);
  return self;
}

HbServer *
hb_check_board_get_server (HbCheckBoard *self)
{
  g_return_val_if_fail (HB_IS_CHECK_BOARD (self), NULL);
  return self->server;
}

GListModel *
hb_check_board_get_checks (HbCheckBoard *self)
{
  g_return_val_if_fail (HB_IS_CHECK_BOARD (self), NULL);
  return G_LIST_MODEL (self->checks);
}

HbChecks *
hb_check_board_lookup (HbCheckBoard *self,
                       HbConnection *conn)
{
  guint n;

  g_return_val_if_fail (HB_IS_CHECK_BOARD (self), NULL);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->checks));
  for (guint i = n; i-- > 0;)
    {
      g_autoptr(HbChecks) c = g_list_model_get_item (G_LIST_MODEL (self->checks), i);

      if (c->conn == conn)
        return c;  /* the store keeps its reference */
    }
  return NULL;
}

void
hb_check_board_expect_text (HbCheckBoard *self,
                            HbConnection *conn,
                            const char   *text,
                            guint         timeout_ms)
{
  GHashTableIter iter;
  gpointer key, value;

  g_return_if_fail (HB_IS_CHECK_BOARD (self));
  g_return_if_fail (text != NULL);

  g_hash_table_iter_init (&iter, self->by_conn);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      HbChecks *c = value;

      if (conn != NULL && key != conn)
        continue;
      g_free (c->expected);
      c->expected = g_strdup (text);
      g_clear_pointer (&c->received, g_free);
      c->expected_due = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
      judge (self, c, HB_CLIENT_CHECK_SENDS, HB_CHECK_PENDING,
             g_strdup_printf (_("“%s” was typed; waiting for it"), text));
    }
  rearm (self);
}

/* Sends the glued heartbeat now. Its answer is then the only one due, so
 * even a client that answers late is judged by its own answer. */
static void
send_probe (HbCheckBoard *self,
            HbChecks     *c)
{
  HbConnection *conn = c->conn;

  c->glued_wanted = FALSE;
  if (!hb_server_beat_now (self->server, hb_connection_get_id (conn), c->glued_text))
    return;
  c->glued_seq = hb_connection_get_pings_sent (conn);
  c->glued_due = 0;  /* counted from when it is written */
}

/**
 * hb_check_board_probe_glued:
 *
 * A client still owing the answer to a heartbeat gets the probe once it
 * has answered, or 1 s later if it does not: a late answer to the
 * heartbeat before must not be taken for the answer to the probe.
 */
guint
hb_check_board_probe_glued (HbCheckBoard *self,
                            HbConnection *conn,
                            const char   *text)
{
  g_autoptr(GPtrArray) targets = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer key, value;

  g_return_val_if_fail (HB_IS_CHECK_BOARD (self), 0);
  g_return_val_if_fail (text != NULL, 0);

  g_hash_table_iter_init (&iter, self->by_conn);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if ((conn == NULL || key == conn) && hb_connection_get_protocol (key) != HB_PROTOCOL_RAW)
      g_ptr_array_add (targets, g_object_ref (value));

  for (guint i = 0; i < targets->len; i++)
    {
      HbChecks *c = g_ptr_array_index (targets, i);

      g_free (c->glued_text);
      c->glued_text = g_strdup (text);
      c->glued_seq = 0;
      c->glued_due = 0;
      judge (self, c, HB_CLIENT_CHECK_GLUED, HB_CHECK_PENDING,
             g_strdup_printf (_("a heartbeat is sent with “%s” in one segment; waiting for the answer"), text));
      if (!owes_answer (c))
        send_probe (self, c);
      else
        {
          c->glued_wanted = TRUE;
          c->glued_wanted_due = g_get_monotonic_time () + HB_CHECK_ANSWER_LIMIT_US;
        }
    }
  rearm (self);
  return targets->len;
}

static void
csv_field (GString    *out,
           const char *text)
{
  g_string_append_c (out, '"');
  for (const char *p = text ? text : ""; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

char *
hb_check_board_to_csv (HbCheckBoard *self)
{
  GString *out = g_string_new ("id,peer,name");
  guint n;

  g_return_val_if_fail (HB_IS_CHECK_BOARD (self), NULL);

  for (guint i = 0; i < HB_CLIENT_N_CHECKS; i++)
    g_string_append_printf (out, ",%s,%s_evidence", check_names[i], check_names[i]);
  g_string_append (out, "\r\n");

  n = g_list_model_get_n_items (G_LIST_MODEL (self->checks));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(HbChecks) c = g_list_model_get_item (G_LIST_MODEL (self->checks), i);

      g_string_append_printf (out, "%u,", hb_connection_get_id (c->conn));
      csv_field (out, hb_connection_get_peer (c->conn));
      g_string_append_c (out, ',');
      csv_field (out, hb_connection_get_name (c->conn));
      for (guint k = 0; k < HB_CLIENT_N_CHECKS; k++)
        {
          g_string_append_printf (out, ",%s,", hb_check_verdict_to_string (c->verdict[k]));
          csv_field (out, c->evidence[k]);
        }
      g_string_append (out, "\r\n");
    }
  return g_string_free (out, FALSE);
}
