/* hb-preferences-window.h - the settings a user can change, in one window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define HB_TYPE_PREFERENCES_WINDOW (hb_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (HbPreferencesWindow, hb_preferences_window, HB, PREFERENCES_WINDOW, GtkWindow)

HbPreferencesWindow *hb_preferences_window_new (GtkWindow *parent);

G_END_DECLS
