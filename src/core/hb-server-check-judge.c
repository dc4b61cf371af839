/* hb-server-check-judge.c - the verdicts of a server's checks: gaps and silences measured, told in words and numbers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every function here runs when a phase of the battery ends, and reads
 * what the connections recorded: the time of each heartbeat, of each
 * connect and close, of the server's FIN. A check's window starts at its
 * own event (self->mark): the stall, the message, the reset, the flood.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "hb-server-check-private.h"

/* "0.42 ms", "503.1 ms", "10.00 s": gaps of a few seconds keep their
 * jitter visible. */
static char *
format_duration (gint64 us)
{
  if (us < 1000)
    return g_strdup_printf (_("%.2f ms"), us / 1000.0);
  if (us < G_USEC_PER_SEC)
    return g_strdup_printf (_("%.1f ms"), us / 1000.0);
  return g_strdup_printf (_("%.2f s"), us / 1e6);
}

/* The longest time in [@from, @to] without a heartbeat, counting from
 * the last one before @from: a gap that straddles @from is one gap. */
static gint64
longest_silence (Conn   *c,
                 gint64  from,
                 gint64  to)
{
  gint64 prev = from;
  gint64 longest = 0;

  for (guint i = 0; i < c->beats->len; i++)
    {
      gint64 t = g_array_index (c->beats, gint64, i);

      if (t <= from)
        {
          prev = t;
          continue;
        }
      if (t > to)
        break;
      longest = MAX (longest, t - prev);
      prev = t;
    }
  /* A connection closed meanwhile heard nothing after its close. */
  return MAX (longest, to - prev);
}

static void
numbers_init (Numbers *n)
{
  g_variant_builder_init (&n->b, G_VARIANT_TYPE_VARDICT);
}

static void
num_uint (Numbers    *n,
          const char *name,
          guint       value)
{
  g_variant_builder_add (&n->b, "{sv}", name, g_variant_new_uint32 (value));
}

static void
num_ms (Numbers    *n,
        const char *name,
        gint64      us)
{
  g_variant_builder_add (&n->b, "{sv}", name, g_variant_new_double (us / 1000.0));
}

static void
num_bool (Numbers    *n,
          const char *name,
          gboolean    value)
{
  g_variant_builder_add (&n->b, "{sv}", name, g_variant_new_boolean (value));
}

static void
judge (HbServerCheck     *self,
       HbServerCheckKind  kind,
       gboolean           passed,
       Numbers           *numbers,    /* (nullable), consumed */
       char              *evidence)   /* (transfer full) */
{
  Numbers empty;

  if (numbers == NULL)
    {
      numbers_init (&empty);
      numbers = &empty;
    }
  self->verdict[kind] = passed ? HB_CHECK_PASSED : HB_CHECK_FAILED;
  g_free (self->evidence[kind]);
  self->evidence[kind] = evidence;
  g_clear_pointer (&self->numbers[kind], g_variant_unref);
  self->numbers[kind] = g_variant_ref_sink (g_variant_builder_end (&numbers->b));
  _hb_server_check_finished (self, kind);
}

void
_hb_server_check_not_checked (HbServerCheck     *self,
             HbServerCheckKind  kind,
             const char        *why)
{
  judge (self, kind, FALSE, NULL, g_strdup_printf (_("not checked: %s"), why));
}

/* How the connections that should have kept their heartbeats fared since
 * self->mark: appends the first problem to @problem and the counts to
 * @numbers. Returns TRUE when none has a problem. */
static gboolean
judge_watched (HbServerCheck *self,
               gint64         now,
               Numbers       *numbers,
               GString       *problem)
{
  gint64 longest = 0;
  guint closed = 0;
  guint starved = 0;
  Conn *worst = NULL;
  Conn *first_closed = NULL;

  for (guint i = 0; i < self->watched->len; i++)
    {
      Conn *c = g_ptr_array_index (self->watched, i);
      gint64 silence = longest_silence (c, self->mark, c->ended ? MIN (now, c->ended_at) : now);

      if (c->ended)
        {
          closed++;
          if (first_closed == NULL)
            first_closed = c;
          continue;
        }
      if (silence > limit_us (self))
        starved++;
      if (worst == NULL || silence > longest)
        {
          worst = c;
          longest = silence;
        }
    }

  num_uint (numbers, "others", self->watched->len);
  num_uint (numbers, "closed", closed);
  num_uint (numbers, "starved", starved);
  num_ms (numbers, "longest_silence_ms", longest);

  if (first_closed != NULL)
    {
      g_autofree char *after = format_duration (first_closed->ended_at - self->mark);

      g_string_append_printf (problem, _("connection %u was closed %s later (%s)"), first_closed->number,
                              after, hb_bye_reason_to_string (first_closed->reason));
      return FALSE;
    }
  if (starved > 0)
    {
      g_autofree char *silence = format_duration (longest);
      g_autofree char *expected = format_duration (interval_us (self));

      g_string_append_printf (problem,
                              g_dngettext (GETTEXT_PACKAGE,
                                           "%u connection got no heartbeat for up to %s (connection %u; expected one every %s ± 20 %%)",
                                           "%u connections got no heartbeat for up to %s (connection %u; expected one every %s ± 20 %%)",
                                           starved),
                              starved, silence, worst->number, expected);
      return FALSE;
    }
  return TRUE;
}

static void
end_accepts (HbServerCheck *self)
{
  Numbers n;
  guint accepted = 0;
  gint64 slowest = 0;
  Conn *failed = NULL;

  for (guint i = 0; i < self->clients; i++)
    {
      Conn *c = conn_at (self, i);

      if (is_live (c))
        {
          accepted++;
          slowest = MAX (slowest, c->connected - c->started);
        }
      else if (failed == NULL)
        failed = c;
    }

  /* Now the interval the gaps are measured against is known. */
  if (self->interval_ms == 0 && self->protocol == HB_PROTOCOL_LINE)
    for (guint i = 0; i < self->clients; i++)
      if (conn_at (self, i)->welcomed)
        {
          self->effective_ms = hb_client_get_interval_ms (conn_at (self, i)->client);
          break;
        }
  if (self->effective_ms == 0)
    self->effective_ms = HB_DEFAULT_INTERVAL_MS;

  numbers_init (&n);
  num_uint (&n, "connections", self->clients);
  num_uint (&n, "accepted", accepted);
  num_ms (&n, "slowest_ms", slowest);
  if (failed == NULL)
    {
      g_autofree char *took = format_duration (slowest);

      judge (self, HB_SERVER_CHECK_ACCEPTS, TRUE, &n,
             g_strdup_printf (_("%u of %u connections accepted, the slowest in %s"),
                              accepted, self->clients, took));
      return;
    }

  {
    g_autofree char *why = NULL;

    if (failed->ended && failed->connected == 0)
      why = g_strdup (failed->detail ? hb_error_cause (failed->detail)
                                     : hb_bye_reason_to_string (failed->reason));
    else if (failed->ended)
      why = g_strdup_printf (_("closed by the server at once (%s)"), hb_bye_reason_to_string (failed->reason));
    else
      why = g_strdup (_("no answer to the connect"));
    judge (self, HB_SERVER_CHECK_ACCEPTS, FALSE, &n,
           g_strdup_printf (_("%u of %u connections accepted; connection %u: %s"),
                            accepted, self->clients, failed->number, why));
  }
}

static void
end_heartbeats (HbServerCheck *self,
                gint64         now)
{
  Numbers n;
  gint64 low = interval_us (self) * (100 - HB_SERVER_CHECK_TOLERANCE) / 100;
  gint64 min_gap = G_MAXINT64, max_gap = 0, sum = 0;
  guint n_gaps = 0, n_conns = 0, out = 0, fewest = G_MAXUINT;
  Conn *few = NULL, *closed = NULL, *bad = NULL;
  gint64 bad_gap = 0;
  g_autofree char *expected = format_duration (interval_us (self));

  for (guint i = 0; i < self->clients; i++)
    {
      Conn *c = conn_at (self, i);

      if (c->connected == 0)
        continue;
      n_conns++;
      if (c->ended && closed == NULL)
        closed = c;
      if (c->beats->len < fewest)
        fewest = c->beats->len;
      if (c->beats->len < MIN_BEATS && few == NULL)
        few = c;
      for (guint k = 1; k < c->beats->len; k++)
        {
          gint64 gap = g_array_index (c->beats, gint64, k) - g_array_index (c->beats, gint64, k - 1);

          n_gaps++;
          sum += gap;
          min_gap = MIN (min_gap, gap);
          max_gap = MAX (max_gap, gap);
          if (gap < low || gap > limit_us (self))
            {
              out++;
              if (bad == NULL)
                {
                  bad = c;
                  bad_gap = gap;
                }
            }
        }
    }

  numbers_init (&n);
  num_uint (&n, "interval_ms", self->effective_ms);
  num_uint (&n, "connections", n_conns);
  num_uint (&n, "gaps", n_gaps);
  num_uint (&n, "out_of_range", out);
  num_uint (&n, "fewest_heartbeats", fewest == G_MAXUINT ? 0 : fewest);
  if (n_gaps > 0)
    {
      num_ms (&n, "min_gap_ms", min_gap);
      num_ms (&n, "max_gap_ms", max_gap);
      num_ms (&n, "mean_gap_ms", sum / n_gaps);
    }

  if (closed != NULL)
    judge (self, HB_SERVER_CHECK_HEARTBEATS, FALSE, &n,
           g_strdup_printf (_("connection %u was closed by the server (%s)"), closed->number,
                            hb_bye_reason_to_string (closed->reason)));
  else if (bad != NULL)
    {
      g_autofree char *gap = format_duration (bad_gap);

      judge (self, HB_SERVER_CHECK_HEARTBEATS, FALSE, &n,
             g_strdup_printf (_("connection %u: a gap of %s between heartbeats (expected %s ± 20 %%); "
                                "%u of %u gaps out of range"),
                              bad->number, gap, expected, out, n_gaps));
    }
  else if (few != NULL)
    {
      g_autofree char *during = format_duration (now - few->connected);

      judge (self, HB_SERVER_CHECK_HEARTBEATS, FALSE, &n,
             g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "connection %u got %u heartbeat in %s (expected one every %s)",
                                           "connection %u got %u heartbeats in %s (expected one every %s)",
                                           few->beats->len),
                              few->number, few->beats->len, during, expected));
    }
  else
    {
      g_autofree char *lo = format_duration (min_gap);
      g_autofree char *hi = format_duration (max_gap);

      judge (self, HB_SERVER_CHECK_HEARTBEATS, TRUE, &n,
             g_strdup_printf (_("%u gaps on %u connections, from %s to %s (expected %s ± 20 %%)"),
                              n_gaps, n_conns, lo, hi, expected));
    }
}

static void
end_stall (HbServerCheck *self,
           gint64         now)
{
  Numbers n;
  g_autoptr(GString) problem = g_string_new (NULL);
  g_autofree char *stalled = format_duration (now - self->mark);

  numbers_init (&n);
  num_ms (&n, "stall_ms", now - self->mark);
  if (judge_watched (self, now, &n, problem))
    {
      gint64 longest = 0;
      g_autofree char *silence = NULL;

      for (guint i = 0; i < self->watched->len; i++)
        longest = MAX (longest, longest_silence (g_ptr_array_index (self->watched, i), self->mark, now));
      silence = format_duration (longest);
      judge (self, HB_SERVER_CHECK_STALL, TRUE, &n,
             g_strdup_printf (_("while connection %u read nothing for %s, the other %u kept getting heartbeats "
                                "(the longest silence %s)"),
                              self->victim->number, stalled, self->watched->len, silence));
    }
  else
    judge (self, HB_SERVER_CHECK_STALL, FALSE, &n,
           g_strdup_printf (_("while connection %u read nothing for %s, %s: the server may wait for each "
                              "client’s answer in turn"),
                            self->victim->number, stalled, problem->str));
}

/* The evidence of a check whose watched connections are expected to keep
 * their heartbeats, and a new connection to get its first: @what says
 * what happened ("after connection 3 reset"). */
static void
end_survives (HbServerCheck     *self,
              HbServerCheckKind  kind,
              Conn              *probe,
              const char        *what,
              Numbers           *n,
              gint64             now)
{
  g_autoptr(GString) problem = g_string_new (NULL);
  gboolean others_ok = judge_watched (self, now, n, problem);
  g_autofree char *window = format_duration (now - self->mark);

  if (probe == NULL || probe->connected == 0)
    {
      const char *why = probe == NULL ? _("no answer to the connect")
                      : probe->detail ? hb_error_cause (probe->detail)
                      : probe->ended ? hb_bye_reason_to_string (probe->reason)
                      : _("no answer to the connect");

      judge (self, kind, FALSE, n,
             g_strdup_printf (_("%s, a new connection was not accepted: %s"), what, why));
      return;
    }
  if (probe->beats->len == 0)
    {
      judge (self, kind, FALSE, n,
             probe->ended
               ? g_strdup_printf (_("%s, a new connection was closed by the server (%s) before any heartbeat"),
                                  what, hb_bye_reason_to_string (probe->reason))
               : g_strdup_printf (_("%s, a new connection got no heartbeat in %s"), what, window));
      return;
    }

  {
    gint64 first = g_array_index (probe->beats, gint64, 0) - probe->connected;
    g_autofree char *took = format_duration (first);

    num_ms (n, "first_heartbeat_ms", first);
    if (!others_ok)
      judge (self, kind, FALSE, n,
             g_strdup_printf (_("%s, a new connection got its first heartbeat after %s, but %s"),
                              what, took, problem->str));
    else
      judge (self, kind, TRUE, n,
             g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "%s, a new connection got its first heartbeat after %s and the other %u kept theirs",
                                           "%s, a new connection got its first heartbeat after %s and the other %u kept theirs",
                                           self->watched->len),
                              what, took, self->watched->len));
  }
}

static void
end_fin (HbServerCheck *self,
         gint64         now)
{
  Conn *c = self->closer;
  Numbers n;

  numbers_init (&n);
  if (c->fin_in != 0)
    {
      g_autofree char *took = format_duration (c->fin_in - self->mark);

      num_ms (&n, "after_ms", c->fin_in - self->mark);
      num_bool (&n, "fin", TRUE);
      num_bool (&n, "rst", FALSE);
      judge (self, HB_SERVER_CHECK_CLOSES_WITH_FIN, c->fin_in - self->mark <= HB_SERVER_CHECK_FIN_LIMIT_MS * 1000,
             &n, g_strdup_printf (_("the server answered our FIN with its own after %s"), took));
      return;
    }
  if (c->ended)
    {
      g_autofree char *took = format_duration (c->ended_at - self->mark);

      num_ms (&n, "after_ms", c->ended_at - self->mark);
      num_bool (&n, "fin", FALSE);
      num_bool (&n, "rst", c->reason == HB_BYE_RESET);
      if (c->reason == HB_BYE_RESET)
        judge (self, HB_SERVER_CHECK_CLOSES_WITH_FIN, FALSE, &n,
               g_strdup_printf (_("the server answered our FIN with RST (a reset) after %s, not with FIN: "
                                  "closing a socket with SO_LINGER {1, 0} or with unread data resets it"), took));
      else
        judge (self, HB_SERVER_CHECK_CLOSES_WITH_FIN, FALSE, &n,
               g_strdup_printf (_("the connection ended without the server’s FIN after %s: %s"), took,
                                c->detail ? c->detail : hb_bye_reason_to_string (c->reason)));
      return;
    }

  num_bool (&n, "fin", FALSE);
  num_bool (&n, "rst", FALSE);
  judge (self, HB_SERVER_CHECK_CLOSES_WITH_FIN, FALSE, &n,
         g_strdup (_("no FIN from the server within 2 s of ours: it does not notice that recv() returned "
                     "0 bytes, or does not close the socket then")));
  hb_client_abort (c->client);
}

/* The checks after a phase that found no connection to work with. */
void
_hb_server_check_skip_rest (HbServerCheck     *self,
           HbServerCheckKind  from)
{
  for (guint k = from; k < HB_SERVER_N_CHECKS; k++)
    if (self->verdict[k] == HB_CHECK_PENDING)
      _hb_server_check_not_checked (self, k, _("no connection is open"));
}

HbServerCheckKind
_hb_server_check_phase_kind (Phase phase)
{
  switch (phase)
    {
    case PHASE_ACCEPTS: return HB_SERVER_CHECK_ACCEPTS;
    case PHASE_HEARTBEATS: return HB_SERVER_CHECK_HEARTBEATS;
    case PHASE_STALL: return HB_SERVER_CHECK_STALL;
    case PHASE_MESSAGE: return HB_SERVER_CHECK_MESSAGE;
    case PHASE_FIN: return HB_SERVER_CHECK_CLOSES_WITH_FIN;
    case PHASE_RESET: return HB_SERVER_CHECK_SURVIVES_RESET;
    case PHASE_FLOOD: return HB_SERVER_CHECK_SURVIVES_FLOOD;
    case PHASE_SETTLE:
    case PHASE_GOODBYE:
    case PHASE_IDLE:
    case PHASE_DONE:
    default:
      return HB_SERVER_N_CHECKS;
    }
}

void
_hb_server_check_end_phase (HbServerCheck *self,
           gint64         now)
{
  HbServerCheckKind kind = _hb_server_check_phase_kind (self->phase);

  /* Judged already: it found nothing to check with. */
  if (kind != HB_SERVER_N_CHECKS && self->verdict[kind] != HB_CHECK_PENDING)
    return;

  switch (self->phase)
    {
    case PHASE_ACCEPTS:
      end_accepts (self);
      break;
    case PHASE_HEARTBEATS:
      end_heartbeats (self, now);
      break;
    case PHASE_STALL:
      end_stall (self, now);
      break;
    case PHASE_MESSAGE:
      {
        Numbers n;
        g_autoptr(GString) problem = g_string_new (NULL);
        g_autofree char *window = format_duration (now - self->mark);

        numbers_init (&n);
        if (judge_watched (self, now, &n, problem))
          judge (self, HB_SERVER_CHECK_MESSAGE, TRUE, &n,
                 g_strdup_printf (_("after connection %u sent “%s”, all %u kept getting heartbeats for %s"),
                                  self->sender->number, MESSAGE_TEXT, self->watched->len, window));
        else
          judge (self, HB_SERVER_CHECK_MESSAGE, FALSE, &n,
                 g_strdup_printf (_("after connection %u sent “%s”, %s"),
                                  self->sender->number, MESSAGE_TEXT, problem->str));
      }
      break;
    case PHASE_FIN:
      end_fin (self, now);
      break;
    case PHASE_RESET:
      {
        Numbers n;
        g_autofree char *what = g_strdup_printf (_("after connection %u reset"), self->aborter->number);

        numbers_init (&n);
        end_survives (self, HB_SERVER_CHECK_SURVIVES_RESET, self->probe, what, &n, now);
      }
      break;
    case PHASE_FLOOD:
      {
        Numbers n;
        g_autofree char *what = g_strdup_printf (_("after a client sent %u bytes without a newline"),
                                                 HB_SERVER_CHECK_FLOOD_BYTES);

        numbers_init (&n);
        num_uint (&n, "bytes", HB_SERVER_CHECK_FLOOD_BYTES);
        if (self->probe2 == NULL)
          {
            const char *why = self->flood->detail ? hb_error_cause (self->flood->detail)
                                                  : _("no answer to the connect");

            judge (self, HB_SERVER_CHECK_SURVIVES_FLOOD, FALSE, &n,
                   g_strdup_printf (_("the flooding connection was not accepted: %s"), why));
          }
        else
          end_survives (self, HB_SERVER_CHECK_SURVIVES_FLOOD, self->probe2, what, &n, now);
      }
      break;
    case PHASE_SETTLE:
    case PHASE_GOODBYE:
    case PHASE_IDLE:
    case PHASE_DONE:
    default:
      break;
    }
}
