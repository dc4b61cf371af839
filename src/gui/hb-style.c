/* hb-style.c - loads the application's stylesheet once per display
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
