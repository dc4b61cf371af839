/* hb-clock.h - one ticking "now" that every relative time in a window follows
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define HB_TYPE_CLOCK (hb_clock_get_type ())
G_DECLARE_FINAL_TYPE (HbClock, hb_clock, HB, CLOCK, GObject)

HbClock *hb_clock_new      (guint    period_ms);
/* Wall-clock µs (g_get_real_time()), updated once a period. */
gint64   hb_clock_get_now  (HbClock *self);

/* "3 s ago", "2 min ago", "1 h ago"; "—" for 0. */
char    *hb_format_ago     (gint64   then_us,
                            gint64   now_us);
/* "14:03:07.123" in local time; "—" for 0. */
char    *hb_format_clock   (gint64   wall_us);
/* "0.41 ms"; "—" for a negative RTT. */
char    *hb_format_rtt     (gint64   rtt_us);
char    *hb_format_bytes   (guint64  bytes);
/* GLib 2.74 has no g_date_time_new_from_unix_local_usec(). */
GDateTime *hb_date_time_new_local (gint64 wall_us);

G_END_DECLS
