/* hb-style.c - the application's stylesheet, and how a wrong value is shown
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Loaded explicitly rather than through GtkApplication's automatic
 * style.css so that windows built without the application (tests, the
 * demo) look the same.
 */

#include "config.h"

#include <gtk/gtk.h>

#include "hb-style.h"

void
hb_load_style (void)
{
  static GtkCssProvider *provider;
  GdkDisplay *display = gdk_display_get_default ();

  if (provider != NULL || display == NULL)
    return;
  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (provider, "/org/heartbeatlab/HeartbeatLab/hb-style.css");
  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

void
hb_style_flag_invalid (GtkWidget *widget,
                       GtkWidget *warning,
                       gboolean   invalid)
{
  gtk_widget_set_visible (warning, invalid);
  if (invalid)
    gtk_widget_add_css_class (widget, "error");
  else
    gtk_widget_remove_css_class (widget, "error");
  gtk_accessible_update_state (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_STATE_INVALID,
                               invalid ? GTK_ACCESSIBLE_INVALID_TRUE : GTK_ACCESSIBLE_INVALID_FALSE, -1);
}
