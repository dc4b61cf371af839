/* hb-server-check.c - a battery of checks run against a student's server, on the main loop
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The battery is a set of HbClients, as many as asked plus a few for the
 * later checks, all on the main loop. It goes through phases, one check
 * each (and two without one: the recovery after a stall, and the goodbye);
 * a phase ends when its condition holds or its deadline passes, and every
 * event that may complete one (a heartbeat, a connect, a close, the
 * deadline) runs step(). Each connection keeps the time of every heartbeat
 * it got, so that a check measures gaps and silences in a window of time
 * after its own event: the stall, the message, the reset, the flood.
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "hb-enums.h"
#include "hb-poller.h"
#include "hb-server-check-private.h"

G_DEFINE_FINAL_TYPE (HbServerCheck, hb_server_check, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_HOST,
  PROP_PORT,
  PROP_PROTOCOL,
  PROP_HEARTBEAT,
  PROP_ACK,
  PROP_INTERVAL_MS,
  PROP_CLIENTS,
  PROP_RUNNING,
  N_PROPS
};

enum {
  CHECK_STARTED,
  CHECK_FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static const char * const kind_names[] = {
  [HB_SERVER_CHECK_ACCEPTS]         = "accepts",
  [HB_SERVER_CHECK_HEARTBEATS]      = "heartbeats",
  [HB_SERVER_CHECK_STALL]           = "stall",
  [HB_SERVER_CHECK_MESSAGE]         = "message",
  [HB_SERVER_CHECK_CLOSES_WITH_FIN] = "closes-with-fin",
  [HB_SERVER_CHECK_SURVIVES_RESET]  = "survives-reset",
  [HB_SERVER_CHECK_SURVIVES_FLOOD]  = "survives-flood",
};

const char *
hb_server_check_kind_to_string (HbServerCheckKind kind)
{
  g_return_val_if_fail ((guint) kind < HB_SERVER_N_CHECKS, NULL);
  return kind_names[kind];
}

const char *
hb_server_check_kind_get_title (HbServerCheckKind kind)
{
  switch (kind)
    {
    case HB_SERVER_CHECK_ACCEPTS: return _("Accepts every connection");
    case HB_SERVER_CHECK_HEARTBEATS: return _("Sends heartbeats at the interval (±20 %) on every connection");
    case HB_SERVER_CHECK_STALL: return _("Keeps beating the others while one client stalls");
    case HB_SERVER_CHECK_MESSAGE: return _("A client’s message breaks nobody");
    case HB_SERVER_CHECK_CLOSES_WITH_FIN: return _("Answers a client’s FIN with FIN within 2 s");
    case HB_SERVER_CHECK_SURVIVES_RESET: return _("Survives a client that resets (RST)");
    case HB_SERVER_CHECK_SURVIVES_FLOOD: return _("Survives 64 KiB without a newline");
    case HB_SERVER_N_CHECKS:
    default:
      g_return_val_if_reached (NULL);
    }
}



/* ---------------------------------------------------------------------- */
/* Connections                                                             */

static void step (HbServerCheck *self);


static void
on_state (HbClient   *client,
          GParamSpec *pspec,
          Conn       *c)
{
  if (hb_client_get_state (client) != HB_CLIENT_CONNECTED || c->connected != 0)
    return;
  c->connected = g_get_monotonic_time ();
  step (c->owner);
}

static void
on_welcome (HbClient *client,
            guint     id,
            guint     interval_ms,
            guint     timeout_ms,
            Conn     *c)
{
  c->welcomed = TRUE;
  step (c->owner);
}

static void
on_ping (HbClient *client,
         guint64   seq,
         Conn     *c)
{
  /* When the heartbeat arrived, not when this loop got to it: a checker
   * slowed by its own machine must not fail a server that kept time. */
  gint64 arrival = hb_client_get_arrival (client);
  gint64 now = arrival > 0 ? arrival : g_get_monotonic_time ();

  if (c->beats->len < MAX_BEATS)
    g_array_append_val (c->beats, now);
  step (c->owner);
}

static void
on_disconnected (HbClient    *client,
                 HbByeReason  reason,
                 HbInitiator  initiator,
                 const char  *detail,
                 Conn        *c)
{
  c->ended = TRUE;
  c->ended_at = g_get_monotonic_time ();
  c->reason = reason;
  g_free (c->detail);
  c->detail = g_strdup (detail);
  step (c->owner);
}

/* The line protocol may say BYE before its FIN, and the client then
 * reports the BYE's reason: the timeline tells whether a FIN came. */
static void
on_appended (HbTimeline            *timeline,
             const HbTimelineEvent *event,
             Conn                  *c)
{
  if (event->kind == HB_EVENT_FIN_IN && c->fin_in == 0)
    c->fin_in = event->mono_us;
}

static Conn *
conn_new (HbServerCheck *self,
          HbProtocol     protocol)
{
  Conn *c = g_new0 (Conn, 1);
  g_autofree char *name = NULL;

  c->owner = self;
  c->number = self->conns->len + 1;
  c->beats = g_array_new (FALSE, FALSE, sizeof (gint64));
  /* A server shows who is who in the line protocol. */
  name = protocol == HB_PROTOCOL_LINE ? g_strdup_printf ("check-%u", c->number) : NULL;
  c->client = hb_client_new (self->host, self->port, name);
  /* The client never gives up on a silent server by itself: silence is
   * what the checks measure. */
  g_object_set (c->client,
                "protocol", protocol,
                "heartbeat", self->heartbeat,
                "ack", self->ack,
                "interval-ms", self->effective_ms,
                "timeout-ms", (guint) (G_MAXINT / 1000),
                NULL);
  g_signal_connect (c->client, "notify::state", G_CALLBACK (on_state), c);
  g_signal_connect (c->client, "welcome", G_CALLBACK (on_welcome), c);
  g_signal_connect (c->client, "ping", G_CALLBACK (on_ping), c);
  g_signal_connect (c->client, "disconnected", G_CALLBACK (on_disconnected), c);
  g_signal_connect (hb_client_get_timeline (c->client), "appended", G_CALLBACK (on_appended), c);
  g_ptr_array_add (self->conns, c);
  c->started = g_get_monotonic_time ();
  hb_client_connect (c->client);
  return c;
}

static void
conn_free (gpointer data)
{
  Conn *c = data;

  g_signal_handlers_disconnect_by_data (hb_client_get_timeline (c->client), c);
  g_signal_handlers_disconnect_by_data (c->client, c);
  g_object_unref (c->client);
  g_array_unref (c->beats);
  g_free (c->detail);
  g_free (c);
}


/* A connection still open, among the asked ones, none of @avoid if
 * possible; from the end when @last. */
static Conn *
pick (HbServerCheck *self,
      gboolean       last,
      Conn          *avoid1,
      Conn          *avoid2,
      Conn          *avoid3)
{
  Conn *fallback = NULL;

  for (guint k = 0; k < self->clients; k++)
    {
      Conn *c = conn_at (self, last ? self->clients - 1 - k : k);

      if (!is_live (c))
        continue;
      if (c != avoid1 && c != avoid2 && c != avoid3)
        return c;
      if (fallback == NULL)
        fallback = c;
    }
  return fallback;
}

static guint
beats_after (Conn   *c,
             gint64  from)
{
  guint n = 0;

  for (guint i = c->beats->len; i-- > 0 && g_array_index (c->beats, gint64, i) > from;)
    n++;
  return n;
}

/* ---------------------------------------------------------------------- */
/* Verdicts                                                                */

/* Every connection open now, but @skip, is expected to keep its
 * heartbeats. Not the one that stalled: a server may rightly close it
 * for its silence, at any time after. */
static void
watch_live (HbServerCheck *self,
            Conn          *skip)
{
  g_ptr_array_set_size (self->watched, 0);
  for (guint i = 0; i < self->conns->len; i++)
    {
      Conn *c = g_ptr_array_index (self->conns, i);

      if (c != skip && c != self->flood && c != self->victim && is_live (c))
        g_ptr_array_add (self->watched, c);
    }
}

/* ---------------------------------------------------------------------- */
/* The phases                                                              */

void
_hb_server_check_finished (HbServerCheck     *self,
                           HbServerCheckKind  kind)
{
  g_signal_emit (self, signals[CHECK_FINISHED], 0, kind);
}

static void
set_deadline (HbServerCheck *self,
              gint64         at)
{
  self->deadline_at = at;
  g_source_set_ready_time (self->deadline, at);
}

static gboolean
deadline_cb (gpointer user_data)
{
  HbServerCheck *self = user_data;

  g_source_set_ready_time (self->deadline, -1);
  step (self);
  return G_SOURCE_CONTINUE;
}

static gboolean
heartbeats_done (HbServerCheck *self)
{
  for (guint i = 0; i < self->clients; i++)
    {
      Conn *c = conn_at (self, i);

      if (is_live (c) && c->beats->len < MIN_BEATS)
        return FALSE;
    }
  return TRUE;
}

static void begin_phase (HbServerCheck *self, Phase phase);

/* Whether the current phase is complete. */
static gboolean
phase_done (HbServerCheck *self,
            gint64         now)
{
  gboolean late = now >= self->deadline_at;

  switch (self->phase)
    {
    case PHASE_ACCEPTS:
      for (guint i = 0; i < self->clients && !late; i++)
        {
          Conn *c = conn_at (self, i);

          if (!c->ended && (c->connected == 0 || (self->protocol == HB_PROTOCOL_LINE && !c->welcomed)))
            return FALSE;
        }
      return TRUE;
    case PHASE_HEARTBEATS:
      return late || heartbeats_done (self);
    case PHASE_SETTLE:
      if (late)
        return TRUE;
      for (guint i = 0; i < self->watched->len; i++)
        {
          Conn *c = g_ptr_array_index (self->watched, i);

          if (!c->ended && beats_after (c, self->mark) == 0)
            return FALSE;
        }
      return TRUE;
    case PHASE_FIN:
      return late || self->closer->ended || self->closer->fin_in != 0;
    case PHASE_FLOOD:
      if (self->probe2 == NULL)
        {
          /* First the flood's own connection. */
          if (is_live (self->flood))
            {
              g_autofree char *text = g_strnfill (HB_SERVER_CHECK_FLOOD_BYTES, 'x');

              hb_client_send_message (self->flood->client, text);
              self->mark = now;
              watch_live (self, NULL);
              self->probe2 = conn_new (self, self->protocol);
              set_deadline (self, now + interval_us (self) * 13 / 10);
              return FALSE;
            }
          return late || self->flood->ended;
        }
      return late;
    case PHASE_GOODBYE:
      if (late)
        return TRUE;
      for (guint i = 0; i < self->conns->len; i++)
        if (!conn_at (self, i)->ended && conn_at (self, i)->connected != 0)
          return FALSE;
      return TRUE;
    case PHASE_STALL:
    case PHASE_MESSAGE:
    case PHASE_RESET:
      return late;
    case PHASE_IDLE:
    case PHASE_DONE:
    default:
      return FALSE;
    }
}

static Phase
next_phase (HbServerCheck *self)
{
  /* With no connection left, only the goodbye remains. */
  if (self->phase >= PHASE_ACCEPTS && self->phase < PHASE_GOODBYE &&
      pick (self, FALSE, NULL, NULL, NULL) == NULL &&
      !is_live (self->probe) && !is_live (self->probe2))
    {
      _hb_server_check_skip_rest (self, HB_SERVER_CHECK_ACCEPTS);
      return PHASE_GOODBYE;
    }
  return self->phase + 1;
}

static gboolean
bury_cb (gpointer user_data)
{
  HbServerCheck *self = user_data;

  self->graveyard_id = 0;
  g_clear_pointer (&self->graveyard, g_ptr_array_unref);
  return G_SOURCE_REMOVE;
}

/* The clients of a finished run go from an idle: the run may finish
 * inside one of their signals. Until then none calls back. */
static void
bury_conns (HbServerCheck *self)
{
  for (guint i = 0; i < self->conns->len; i++)
    {
      Conn *c = g_ptr_array_index (self->conns, i);

      g_signal_handlers_disconnect_by_data (hb_client_get_timeline (c->client), c);
      g_signal_handlers_disconnect_by_data (c->client, c);
    }
  if (self->graveyard != NULL)
    g_ptr_array_extend_and_steal (self->graveyard, g_steal_pointer (&self->conns));
  else
    self->graveyard = g_steal_pointer (&self->conns);
  self->conns = g_ptr_array_new_with_free_func (conn_free);
  if (self->graveyard_id == 0)
    self->graveyard_id = g_idle_add (bury_cb, self);
}

static void
complete (HbServerCheck *self)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);

  self->phase = PHASE_DONE;
  g_source_set_ready_time (self->deadline, -1);
  g_clear_handle_id (&self->cancel_idle, g_source_remove);
  if (self->cancelled_id != 0)
    g_cancellable_disconnect (self->cancellable, self->cancelled_id);
  self->cancelled_id = 0;
  g_clear_object (&self->cancellable);
  g_ptr_array_set_size (self->watched, 0);
  self->victim = self->sender = self->closer = self->aborter = NULL;
  self->probe = self->flood = self->probe2 = NULL;
  bury_conns (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  if (task != NULL)
    g_task_return_boolean (task, TRUE);
}

static void
begin_phase (HbServerCheck *self,
             Phase          phase)
{
  gint64 now = g_get_monotonic_time ();
  gint64 interval = interval_us (self);
  HbServerCheckKind kind = _hb_server_check_phase_kind (phase);

  self->phase = phase;
  self->mark = now;
  if (kind != HB_SERVER_N_CHECKS)
    g_signal_emit (self, signals[CHECK_STARTED], 0, kind);

  switch (phase)
    {
    case PHASE_ACCEPTS:
      for (guint i = 0; i < self->clients; i++)
        conn_new (self, self->protocol);
      set_deadline (self, now + CONNECT_LIMIT_US);
      break;

    case PHASE_HEARTBEATS:
      /* A first heartbeat up to an interval after the connect, then two
       * more, each up to 20 % late. */
      set_deadline (self, now + interval * 36 / 10);
      break;

    case PHASE_STALL:
      self->victim = pick (self, FALSE, NULL, NULL, NULL);
      watch_live (self, self->victim);
      /* Not reading, the client answers nothing either; the kernel's
       * buffer takes the heartbeats meanwhile. */
      g_object_set (self->victim->client, "reading", FALSE, NULL);
      set_deadline (self, now + interval * 25 / 10);
      break;

    case PHASE_SETTLE:
      g_object_set (self->victim->client, "reading", TRUE, NULL);
      watch_live (self, NULL);
      set_deadline (self, now + interval * 15 / 10);
      break;

    case PHASE_MESSAGE:
      self->sender = pick (self, FALSE, self->victim, NULL, NULL);
      watch_live (self, NULL);
      hb_client_send_message (self->sender->client, MESSAGE_TEXT);
      set_deadline (self, now + interval * 13 / 10);
      break;

    case PHASE_FIN:
      self->closer = pick (self, TRUE, self->victim, self->sender, NULL);
      hb_client_half_close (self->closer->client);
      set_deadline (self, now + HB_SERVER_CHECK_FIN_LIMIT_MS * 1000);
      break;

    case PHASE_RESET:
      self->aborter = pick (self, TRUE, self->victim, self->sender, self->closer);
      if (self->aborter == NULL)
        {
          _hb_server_check_not_checked (self, HB_SERVER_CHECK_SURVIVES_RESET, _("no connection is open"));
          set_deadline (self, now);
          break;
        }
      watch_live (self, self->aborter);
      hb_client_abort (self->aborter->client);
      self->probe = conn_new (self, self->protocol);
      set_deadline (self, now + interval * 13 / 10);
      break;

    case PHASE_FLOOD:
      /* A raw client: its bytes go out as they are, no framing added. */
      self->flood = conn_new (self, HB_PROTOCOL_RAW);
      set_deadline (self, now + CONNECT_LIMIT_US);
      break;

    case PHASE_GOODBYE:
      for (guint i = 0; i < self->conns->len; i++)
        {
          Conn *c = conn_at (self, i);

          if (!c->ended)
            hb_client_disconnect (c->client);
        }
      set_deadline (self, now + GOODBYE_LIMIT_US);
      break;

    case PHASE_DONE:
      complete (self);
      break;

    case PHASE_IDLE:
    default:
      break;
    }
}

/* Runs the phases as far as what happened allows. Re-entered from the
 * clients' signals (an abort reports its close at once): the outer call
 * goes round again instead. */
static void
step (HbServerCheck *self)
{
  if (self->stepping)
    {
      self->again = TRUE;
      return;
    }

  g_object_ref (self);
  self->stepping = TRUE;
  do
    {
      self->again = FALSE;
      while (self->phase != PHASE_IDLE && self->phase != PHASE_DONE)
        {
          gint64 now = g_get_monotonic_time ();

          if (!phase_done (self, now))
            break;
          /* The phase's verdict may already be in (a reset with no one
           * left to reset). */
          _hb_server_check_end_phase (self, now);
          begin_phase (self, next_phase (self));
        }
    }
  while (self->again);
  self->stepping = FALSE;
  g_object_unref (self);
}

/* ---------------------------------------------------------------------- */
/* GObject                                                                 */

static void
hb_server_check_dispose (GObject *object)
{
  HbServerCheck *self = HB_SERVER_CHECK (object);

  g_clear_handle_id (&self->cancel_idle, g_source_remove);
  if (self->cancelled_id != 0)
    g_cancellable_disconnect (self->cancellable, self->cancelled_id);
  self->cancelled_id = 0;
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->graveyard_id, g_source_remove);
  g_clear_pointer (&self->graveyard, g_ptr_array_unref);
  if (self->conns != NULL)
    g_ptr_array_set_size (self->conns, 0);
  if (self->deadline != NULL)
    {
      g_source_destroy (self->deadline);
      g_clear_pointer (&self->deadline, g_source_unref);
    }
  G_OBJECT_CLASS (hb_server_check_parent_class)->dispose (object);
}

static void
hb_server_check_finalize (GObject *object)
{
  HbServerCheck *self = HB_SERVER_CHECK (object);

  g_free (self->host);
  g_clear_pointer (&self->heartbeat, g_bytes_unref);
  g_clear_pointer (&self->ack, g_bytes_unref);
  g_clear_pointer (&self->conns, g_ptr_array_unref);
  g_clear_pointer (&self->watched, g_ptr_array_unref);
  for (guint i = 0; i < HB_SERVER_N_CHECKS; i++)
    {
      g_free (self->evidence[i]);
      g_clear_pointer (&self->numbers[i], g_variant_unref);
    }
  G_OBJECT_CLASS (hb_server_check_parent_class)->finalize (object);
}

static void
hb_server_check_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  HbServerCheck *self = HB_SERVER_CHECK (object);

  switch (prop_id)
    {
    case PROP_HOST: g_value_set_string (value, self->host); break;
    case PROP_PORT: g_value_set_uint (value, self->port); break;
    case PROP_PROTOCOL: g_value_set_enum (value, self->protocol); break;
    case PROP_HEARTBEAT: g_value_set_boxed (value, self->heartbeat); break;
    case PROP_ACK: g_value_set_boxed (value, self->ack); break;
    case PROP_INTERVAL_MS: g_value_set_uint (value, self->interval_ms); break;
    case PROP_CLIENTS: g_value_set_uint (value, self->clients); break;
    case PROP_RUNNING: g_value_set_boolean (value, self->task != NULL); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_pattern (HbServerCheck *self,
             GBytes       **field,
             guint          prop,
             GBytes        *value)
{
  gsize len = value ? g_bytes_get_size (value) : 0;

  /* An empty or oversized pattern is refused where the user gives it. */
  g_return_if_fail (value == NULL || (len > 0 && len <= HB_LAB_MAX_PATTERN));
  if (value == NULL || (*field != NULL && g_bytes_equal (*field, value)))
    return;
  g_bytes_unref (*field);
  *field = g_bytes_ref (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_uint (HbServerCheck *self,
          guint         *field,
          guint          prop,
          guint          value)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
hb_server_check_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  HbServerCheck *self = HB_SERVER_CHECK (object);

  g_return_if_fail (self->task == NULL);

  switch (prop_id)
    {
    case PROP_HOST:
      if (g_strcmp0 (self->host, g_value_get_string (value)) != 0)
        {
          g_free (self->host);
          self->host = g_value_dup_string (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_PORT: set_uint (self, &self->port, prop_id, g_value_get_uint (value)); break;
    case PROP_PROTOCOL: set_uint (self, &self->protocol, prop_id, g_value_get_enum (value)); break;
    case PROP_HEARTBEAT: set_pattern (self, &self->heartbeat, prop_id, g_value_get_boxed (value)); break;
    case PROP_ACK: set_pattern (self, &self->ack, prop_id, g_value_get_boxed (value)); break;
    case PROP_INTERVAL_MS: set_uint (self, &self->interval_ms, prop_id, g_value_get_uint (value)); break;
    case PROP_CLIENTS: set_uint (self, &self->clients, prop_id, g_value_get_uint (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hb_server_check_class_init (HbServerCheckClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = hb_server_check_dispose;
  object_class->finalize = hb_server_check_finalize;
  object_class->get_property = hb_server_check_get_property;
  object_class->set_property = hb_server_check_set_property;

  properties[PROP_HOST] = g_param_spec_string ("host", NULL, NULL, "127.0.0.1", rw);
  properties[PROP_PORT] = g_param_spec_uint ("port", NULL, NULL, 1, 65535, HB_DEFAULT_PORT, rw);
  properties[PROP_PROTOCOL] = g_param_spec_enum ("protocol", NULL, NULL, HB_TYPE_PROTOCOL, HB_PROTOCOL_LAB, rw);
  properties[PROP_HEARTBEAT] = g_param_spec_boxed ("heartbeat", NULL, NULL, G_TYPE_BYTES, rw);
  properties[PROP_ACK] = g_param_spec_boxed ("ack", NULL, NULL, G_TYPE_BYTES, rw);
  properties[PROP_INTERVAL_MS] = g_param_spec_uint ("interval-ms", NULL, NULL, 0, G_MAXINT / 1000, 0, rw);
  properties[PROP_CLIENTS] = g_param_spec_uint ("clients", NULL, NULL,
                                                HB_SERVER_CHECK_MIN_CLIENTS, HB_SERVER_CHECK_MAX_CLIENTS,
                                                HB_SERVER_CHECK_DEFAULT_CLIENTS, rw);
  properties[PROP_RUNNING] = g_param_spec_boolean ("running", NULL, NULL, FALSE, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * HbServerCheck::check-started:
   * @kind: (type HbServerCheckKind): the check now under way
   */
  signals[CHECK_STARTED] =
    g_signal_new ("check-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, HB_TYPE_SERVER_CHECK_KIND);
  /**
   * HbServerCheck::check-finished:
   * @kind: (type HbServerCheckKind): the check whose verdict is now final
   */
  signals[CHECK_FINISHED] =
    g_signal_new ("check-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, HB_TYPE_SERVER_CHECK_KIND);
}

static void
hb_server_check_init (HbServerCheck *self)
{
  self->host = g_strdup ("127.0.0.1");
  self->port = HB_DEFAULT_PORT;
  self->protocol = HB_PROTOCOL_LAB;
  self->clients = HB_SERVER_CHECK_DEFAULT_CLIENTS;
  self->heartbeat = g_bytes_new_static (HB_LAB_DEFAULT_HEARTBEAT, strlen (HB_LAB_DEFAULT_HEARTBEAT));
  self->ack = g_bytes_new_static (HB_LAB_DEFAULT_ACK, strlen (HB_LAB_DEFAULT_ACK));
  self->conns = g_ptr_array_new_with_free_func (conn_free);
  self->watched = g_ptr_array_new ();
  self->deadline = hb_deadline_source_new (deadline_cb, self);
  for (guint i = 0; i < HB_SERVER_N_CHECKS; i++)
    self->evidence[i] = g_strdup ("");
}

/* ---------------------------------------------------------------------- */
/* Public API                                                              */

HbServerCheck *
hb_server_check_new (const char *host,
                     guint       port)
{
  return g_object_new (HB_TYPE_SERVER_CHECK,
                       "host", host ? host : "127.0.0.1",
                       "port", port ? port : HB_DEFAULT_PORT,
                       NULL);
}

static gboolean
cancel_idle_cb (gpointer user_data)
{
  HbServerCheck *self = user_data;
  g_autoptr(GTask) task = g_steal_pointer (&self->task);

  self->cancel_idle = 0;
  complete (self);
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The check was cancelled"));
  return G_SOURCE_REMOVE;
}

/* May run in the middle of anything (even inside run_async): the battery
 * stops from an idle. */
static void
on_cancelled (GCancellable  *cancellable,
              HbServerCheck *self)
{
  if (self->cancel_idle == 0)
    self->cancel_idle = g_idle_add (cancel_idle_cb, self);
}

void
hb_server_check_run_async (HbServerCheck       *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (HB_IS_SERVER_CHECK (self));
  g_return_if_fail (self->task == NULL);

  self->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->task, hb_server_check_run_async);
  for (guint i = 0; i < HB_SERVER_N_CHECKS; i++)
    {
      self->verdict[i] = HB_CHECK_PENDING;
      g_free (self->evidence[i]);
      self->evidence[i] = g_strdup ("");
      g_clear_pointer (&self->numbers[i], g_variant_unref);
    }
  self->effective_ms = self->interval_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  if (cancellable != NULL)
    {
      self->cancellable = g_object_ref (cancellable);
      self->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), self, NULL);
    }

  begin_phase (self, PHASE_ACCEPTS);
  step (self);
}

gboolean
hb_server_check_run_finish (HbServerCheck  *self,
                            GAsyncResult   *result,
                            GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

guint
hb_server_check_get_interval_ms (HbServerCheck *self)
{
  g_return_val_if_fail (HB_IS_SERVER_CHECK (self), 0);
  return self->effective_ms ? self->effective_ms
                            : self->interval_ms ? self->interval_ms : HB_DEFAULT_INTERVAL_MS;
}

guint
hb_server_check_get_clients (HbServerCheck *self)
{
  g_return_val_if_fail (HB_IS_SERVER_CHECK (self), 0);
  return self->clients;
}

guint
hb_server_check_estimate_ms (HbServerCheck *self)
{
  g_return_val_if_fail (HB_IS_SERVER_CHECK (self), 0);
  /* Heartbeats 2.5 intervals, stall 2.5, recovery 0.5, message, reset
   * and flood 1.3 each; the connects, the FIN and the goodbye ~1 s. */
  return hb_server_check_get_interval_ms (self) * 94 / 10 + 1000;
}

HbCheckVerdict
hb_server_check_get_verdict (HbServerCheck     *self,
                             HbServerCheckKind  kind)
{
  g_return_val_if_fail (HB_IS_SERVER_CHECK (self), HB_CHECK_PENDING);
  g_return_val_if_fail ((guint) kind < HB_SERVER_N_CHECKS, HB_CHECK_PENDING);
  return self->verdict[kind];
}

const char *
hb_server_check_get_evidence (HbServerCheck     *self,
                              HbServerCheckKind  kind)
{
  g_return_val_if_fail (HB_IS_SERVER_CHECK (self), NULL);
  g_return_val_if_fail ((guint) kind < HB_SERVER_N_CHECKS, NULL);
  return self->evidence[kind];
}

GVariant *
hb_server_check_get_numbers (HbServerCheck     *self,
                             HbServerCheckKind  kind)
{
  g_return_val_if_fail (HB_IS_SERVER_CHECK (self), NULL);
  g_return_val_if_fail ((guint) kind < HB_SERVER_N_CHECKS, NULL);

  if (self->numbers[kind] == NULL)
    self->numbers[kind] = g_variant_ref_sink (g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0));
  return self->numbers[kind];
}

guint
hb_server_check_get_passed (HbServerCheck *self)
{
  guint n = 0;

  g_return_val_if_fail (HB_IS_SERVER_CHECK (self), 0);
  for (guint i = 0; i < HB_SERVER_N_CHECKS; i++)
    n += self->verdict[i] == HB_CHECK_PASSED;
  return n;
}

guint
hb_server_check_get_failed (HbServerCheck *self)
{
  guint n = 0;

  g_return_val_if_fail (HB_IS_SERVER_CHECK (self), 0);
  for (guint i = 0; i < HB_SERVER_N_CHECKS; i++)
    n += self->verdict[i] == HB_CHECK_FAILED;
  return n;
}
