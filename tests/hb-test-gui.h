/* hb-test-gui.h - helpers for GUI tests: reaching into a window's template, reading what it shows, opening and closing windows
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Header-only: each GUI test is one executable, and what it does not
 * use of these costs nothing.
 */
#pragma once

#include <string.h>

#include <gtk/gtk.h>

#include "heartbeat-lab.h"
#include "hb-client-window.h"
#include "hb-server-window.h"
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

static inline void
hb_test_collect_labels (GtkWidget *widget,
                        GString   *out)
{
  if (!gtk_widget_get_mapped (widget))
    return;
  if (GTK_IS_LABEL (widget))
    {
      g_string_append (out, gtk_label_get_text (GTK_LABEL (widget)));
      g_string_append_c (out, '|');
    }
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    hb_test_collect_labels (c, out);
}

/* Everything @widget shows right now, label by label in the order of the
 * widgets, as the user reads it: "|heartbeat ack|13 bytes · 1 ack|". */
static inline char *
hb_test_shown (gpointer widget)
{
  GString *out = g_string_new ("|");

  hb_test_collect_labels (GTK_WIDGET (widget), out);
  return g_string_free (out, FALSE);
}

/* A server window, mapped, its server on any port (not yet listening),
 * beating every 300 ms and judging a client dead after @timeout_ms: the
 * test's clients share the window's main loop, so a slow frame (software
 * rendering, sanitizers) delays their answers. */
static inline HbServerWindow *
hb_test_server_window_open (guint timeout_ms)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  HbServerWindow *win;

  g_settings_set_uint (settings, "interval-ms", 300);
  g_settings_set_uint (settings, "timeout-ms", timeout_ms);
  g_settings_set_uint (settings, "port", 0);
  win = hb_server_window_new (NULL);
  gtk_window_present (GTK_WINDOW (win));
  hb_assert_eventually (gtk_widget_get_mapped (GTK_WIDGET (win)));
  return win;
}

/* Closes @win: its server stops listening at once, lives on until the
 * goodbyes to its clients are done, then goes, and nothing is left to
 * say goodbye. */
static inline void
hb_test_server_window_close (HbServerWindow *win)
{
  HbServer *server = g_object_ref (hb_server_window_get_server (win));

  gtk_window_destroy (GTK_WINDOW (win));
  g_assert_false (hb_server_get_listening (server));
  hb_assert_eventually (hb_server_get_n_clients (server) == 0);
  hb_test_await_finalize (server);
  g_assert_cmpuint (hb_farewell_pending (), ==, 0);
}

/* Whether the client list of @win shows @needle exactly @times times. */
static inline gboolean
hb_test_server_list_shows (HbServerWindow *win,
                           const char     *needle,
                           guint           times)
{
  g_autofree char *text = hb_test_shown (hb_test_child (win, HB_TYPE_SERVER_WINDOW, "column_view"));

  return hb_test_count (text, needle) == times;
}

/* A guint64 property of the client of @win: "pings-received"... */
static inline guint64
hb_test_client_window_uint64 (HbClientWindow *win,
                              const char     *property)
{
  guint64 v = 0;

  g_object_get (hb_client_window_get_client (win), property, &v, NULL);
  return v;
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
