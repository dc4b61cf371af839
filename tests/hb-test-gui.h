/* hb-test-gui.h - helpers for GUI tests: reaching into a window's template
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The template child @name of @widget (a template widget of @type);
 * fails the test if there is none. */
static inline gpointer
hb_test_child (gpointer    widget,
               GType       type,
               const char *name)
{
  GObject *obj = gtk_widget_get_template_child (GTK_WIDGET (widget), type, name);

  if (obj == NULL)
    g_error ("%s has no template child “%s”", G_OBJECT_TYPE_NAME (widget), name);
  return obj;
}

G_END_DECLS
