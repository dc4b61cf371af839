/* hb-style.h - the application's stylesheet, and how a wrong value is shown
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

void hb_load_style (void);

/* Shows @widget's value as wrong or not: the "error" style, the
 * accessible invalid state, and @warning (a label saying why) shown. */
void hb_style_flag_invalid (GtkWidget *widget,
                            GtkWidget *warning,
                            gboolean   invalid);
