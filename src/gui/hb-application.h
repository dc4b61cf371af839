/* hb-application.h - the Heartbeat Lab application: windows, app-wide actions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define HB_TYPE_APPLICATION (hb_application_get_type ())
G_DECLARE_FINAL_TYPE (HbApplication, hb_application, HB, APPLICATION, GtkApplication)

HbApplication *hb_application_new (void);

G_END_DECLS
