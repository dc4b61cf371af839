/* hb-test-gui.h - helpers for GUI tests: reaching into a window's template
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "hb-test-util.h"

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

/* The first open window of @type (a GtkWindow subtype), or NULL. */
static inline gpointer
hb_test_find_window (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();  /* transfer none */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) w = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (w, type))
        return w;   /* GTK keeps it while it is open */
    }
  return NULL;
}

static inline gboolean
hb_test_count_frame (GtkWidget     *widget,
                     GdkFrameClock *clock,
                     gpointer       user_data)
{
  (*(guint *) user_data)++;
  return G_SOURCE_CONTINUE;
}

/* Lets @n frames of @widget go by, for "nothing happens" checks on what a
 * widget does over its next frames (a tick callback): time counted in the
 * frames that could have done it, not in milliseconds. */
static inline void
hb_test_await_frames (gpointer widget,
                      guint    n)
{
  guint frames = 0;
  guint id = gtk_widget_add_tick_callback (GTK_WIDGET (widget), hb_test_count_frame, &frames, NULL);

  hb_assert_eventually (frames >= n);
  gtk_widget_remove_tick_callback (GTK_WIDGET (widget), id);
}

G_END_DECLS
