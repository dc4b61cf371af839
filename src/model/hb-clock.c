/* hb-clock.c - one ticking "now" that every relative time in a window follows
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Cells bind to the clock's "now" through an expression, so the whole list
 * refreshes its "3 s ago" texts from one timer instead of one per row, and
 * only the rows on screen do any work.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "hb-clock.h"

struct _HbClock
{
  GObject parent_instance;
  gint64  now;
  guint   timer_id;
};

enum {
  PROP_0,
  PROP_NOW,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (HbClock, hb_clock, G_TYPE_OBJECT)

static gboolean
tick_cb (gpointer user_data)
{
  HbClock *self = user_data;

  self->now = g_get_real_time ();
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NOW]);
  return G_SOURCE_CONTINUE;
}

static void
hb_clock_dispose (GObject *object)
{
  HbClock *self = HB_CLOCK (object);

  g_clear_handle_id (&self->timer_id, g_source_remove);
  G_OBJECT_CLASS (hb_clock_parent_class)->dispose (object);
}

static void
hb_clock_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  HbClock *self = HB_CLOCK (object);

  switch (prop_id)
    {
    case PROP_NOW:
      g_value_set_int64 (value, self->now);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hb_clock_class_init (HbClockClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hb_clock_dispose;
  object_class->get_property = hb_clock_get_property;

  properties[PROP_NOW] =
    g_param_spec_int64 ("now", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
hb_clock_init (HbClock *self)
{
  self->now = g_get_real_time ();
}

HbClock *
hb_clock_new (guint period_ms)
{
  HbClock *self = g_object_new (HB_TYPE_CLOCK, NULL);

  self->timer_id = g_timeout_add (period_ms, tick_cb, self);
  return self;
}

gint64
hb_clock_get_now (HbClock *self)
{
  g_return_val_if_fail (HB_IS_CLOCK (self), 0);
  return self->now;
}

char *
hb_format_ago (gint64 then_us,
               gint64 now_us)
{
  gint64 s;

  if (then_us <= 0)
    return g_strdup ("—");
  s = MAX (now_us - then_us, 0) / G_USEC_PER_SEC;
  if (s < 60)
    return g_strdup_printf (_("%lld s ago"), (long long) s);
  if (s < 3600)
    return g_strdup_printf (_("%lld min ago"), (long long) (s / 60));
  return g_strdup_printf (_("%lld h ago"), (long long) (s / 3600));
}

char *
hb_format_clock (gint64 wall_us)
{
  g_autoptr(GDateTime) dt = NULL;
  g_autofree char *hms = NULL;

  if (wall_us <= 0)
    return g_strdup ("—");
  dt = hb_date_time_new_local (wall_us);
  hms = g_date_time_format (dt, "%H:%M:%S");
  return g_strdup_printf ("%s.%03d", hms, (int) (wall_us % G_USEC_PER_SEC / 1000));
}

char *
hb_format_rtt (gint64 rtt_us)
{
  if (rtt_us < 0)
    return g_strdup ("—");
  if (rtt_us < 10 * 1000)
    return g_strdup_printf (_("%.2f ms"), rtt_us / 1000.0);
  return g_strdup_printf (_("%.0f ms"), rtt_us / 1000.0);
}

char *
hb_format_bytes (guint64 bytes)
{
  return g_format_size_full (bytes, G_FORMAT_SIZE_DEFAULT);
}

GDateTime *
hb_date_time_new_local (gint64 wall_us)
{
  g_autoptr(GDateTime) secs = g_date_time_new_from_unix_local (wall_us / G_USEC_PER_SEC);

  return g_date_time_add (secs, wall_us % G_USEC_PER_SEC);
}
