/* hb-capture-loader.c - opens a capture file without stopping the window: a worker thread, then rows a slice at a time
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A capture of 200,000 frames takes a second or more to read and analyse,
 * and as long again to turn into rows if it were done at once: the window
 * would not paint, nor answer a click, meanwhile. The file is read in a
 * thread of its own (hb_capture_file_load_async()), which has the
 * HbCaptureFile to itself until it is done; the main loop only polls its
 * progress. The rows are then made and added to the list from a timeout
 * source, a slice every few milliseconds, each slice sized from how long
 * the last one took, so the loop never waits on more than a few
 * milliseconds of it.
 *
 * The first rows cost more: GTK 4.8's list view makes a row widget for
 * each of the first 200 rows it is given, and styles and measures all
 * those that came since the last frame in the next one (a hundred rows,
 * eight cells each, made one frame of 50-90 ms here). While the window
 * is on screen those rows come a few per frame, from a tick callback
 * (PACED_FIRST).
 *
 * The loader is a child of its window: disposed with it, it cancels the
 * read, stops the fill and says nothing more.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "hb-capture-loader.h"
#include "hb-segment-model.h"

/* The share of the bar that reading takes (measured: about three
 * quarters of the time; the rest is making the rows). */
#define READ_SHARE     0.75
#define PROGRESS_MS    50
/* Rows per slice: from FIRST_SLICE, doubled after a slice quicker than
 * QUICK_US, halved after one slower than SLOW_US. */
#define FIRST_SLICE    4
#define MIN_SLICE      4
#define MAX_SLICE      4096
#define QUICK_US       3000
#define SLOW_US        10000
/* Rows that get a widget of their own (GTK_LIST_VIEW_MAX_LIST_ITEMS,
 * with room to spare), and how many of them come per frame: two in the
 * first (the first rows a window shows cost the most: 16 made a frame of
 * 70-200 ms here, 2 did not stand out), twice as many in each next one,
 * up to 16. */
#define WIDGET_ROWS    256
#define PACED_FIRST    2
#define PACED_MAX      16
/* Between two slices the loop is free for this long: to paint, and to
 * answer input. An idle source below redrawing (as this was) never ran
 * while another window redrew without a pause (frames slower than the
 * refresh interval, as under llvmpipe): the load never ended. */
#define BREATHE_MS     4

struct _HbCaptureLoader
{
  GtkWidget       parent_instance;

  GtkWidget      *box;
  GtkLabel       *label;
  GtkProgressBar *bar;
  GtkButton      *cancel_button;

  /* The read under way. */
  HbCaptureFile  *file;
  GCancellable   *cancellable;
  guint           progress_timer;

  /* The fill under way: the model knows which packets, and how far. */
  HbSegmentModel *model;
  guint           slice;       /* how many the next slice adds */
  guint           paced;       /* the same, while a slice comes per frame */
  guint           fill_source; /* a timeout, or */
  guint           fill_tick;   /* a tick callback while the first rows come */

  gboolean        disposed;
};

enum
{
  LOADED,
  FILLED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (HbCaptureLoader, hb_capture_loader, GTK_TYPE_WIDGET)

static void
update_busy (HbCaptureLoader *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self), hb_capture_loader_get_busy (self));
}

static gboolean
show_progress (gpointer data)
{
  HbCaptureLoader *self = data;

  gtk_progress_bar_set_fraction (self->bar, READ_SHARE * hb_capture_file_get_progress (self->file));
  return G_SOURCE_CONTINUE;
}

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(HbCaptureLoader) self = user_data;
  g_autoptr(GError) error = NULL;

  hb_capture_file_load_finish (HB_CAPTURE_FILE (source), result, &error);
  /* Gone with its window: nobody to tell. */
  if (self->disposed)
    return;
  g_clear_handle_id (&self->progress_timer, g_source_remove);
  g_clear_object (&self->file);
  g_clear_object (&self->cancellable);
  gtk_progress_bar_set_fraction (self->bar, READ_SHARE);
  g_signal_emit (self, signals[LOADED], 0, error);
  update_busy (self);
}

void
hb_capture_loader_load (HbCaptureLoader *self,
                        HbCaptureFile   *file,
                        const char      *path,
                        const char      *name)
{
  g_autofree char *text = NULL;

  g_return_if_fail (HB_IS_CAPTURE_LOADER (self));
  g_return_if_fail (HB_IS_CAPTURE_FILE (file));
  g_return_if_fail (path != NULL);
  g_return_if_fail (self->file == NULL);

  self->file = g_object_ref (file);
  self->cancellable = g_cancellable_new ();
  /* Translators: while a capture file is read: "Reading big.pcap…". */
  text = g_strdup_printf (_("Reading %s…"), name);
  gtk_label_set_text (self->label, text);
  gtk_progress_bar_set_fraction (self->bar, 0);
  self->progress_timer = g_timeout_add (PROGRESS_MS, show_progress, self);
  hb_capture_file_load_async (file, path, self->cancellable, on_read, g_object_ref (self));
  update_busy (self);
}

static void
stop_filling (HbCaptureLoader *self)
{
  g_clear_handle_id (&self->fill_source, g_source_remove);
  if (self->fill_tick != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->fill_tick);
      self->fill_tick = 0;
    }
}

static void
end_fill (HbCaptureLoader *self,
          gboolean         complete)
{
  stop_filling (self);
  g_clear_object (&self->model);
  if (complete)
    gtk_progress_bar_set_fraction (self->bar, 1);
  update_busy (self);
  g_signal_emit (self, signals[FILLED], 0, complete);
}

static void
show_fill_progress (HbCaptureLoader *self)
{
  guint done, n;
  g_autofree char *text = NULL;

  hb_segment_model_get_fill (self->model, &done, &n);
  /* Translators: while a capture's rows are added: "Showing 1200 of 200000 packets…". */
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Showing %u of %u packet…", "Showing %u of %u packets…", n),
                          done, n);
  gtk_label_set_text (self->label, text);
  gtk_progress_bar_set_fraction (self->bar, READ_SHARE + (1 - READ_SHARE) * (n > 0 ? (double) done / n : 1));
}

/* Adds the next slice of rows; FALSE once every packet is a row (the
 * fill is then over). */
static gboolean
add_slice (HbCaptureLoader *self)
{
  gint64 start = g_get_monotonic_time ();
  gboolean more = hb_segment_model_fill (self->model, self->slice);
  gint64 took;

  took = g_get_monotonic_time () - start;
  if (took < QUICK_US)
    self->slice = MIN (self->slice * 2, MAX_SLICE);
  else if (took > SLOW_US)
    self->slice = MAX (self->slice / 2, MIN_SLICE);

  if (more)
    {
      show_fill_progress (self);
      return TRUE;
    }
  end_fill (self, TRUE);
  return FALSE;
}

static gboolean fill_timeout (gpointer data);

/* How many rows the fill has added. */
static guint
filled (HbCaptureLoader *self)
{
  guint done, total;

  hb_segment_model_get_fill (self->model, &done, &total);
  return done;
}

static guint
start_fill_timeout (HbCaptureLoader *self)
{
  return g_timeout_add_full (G_PRIORITY_DEFAULT, BREATHE_MS, fill_timeout, self, NULL);
}

static gboolean
fill_tick (GtkWidget     *widget,
           GdkFrameClock *clock,
           gpointer       data)
{
  HbCaptureLoader *self = HB_CAPTURE_LOADER (widget);

  self->slice = self->paced;
  self->paced = MIN (self->paced * 2, PACED_MAX);
  if (!add_slice (self))
    return G_SOURCE_REMOVE;  /* end_fill () has forgotten fill_tick */
  if (filled (self) < WIDGET_ROWS)
    return G_SOURCE_CONTINUE;
  self->fill_tick = 0;
  self->fill_source = start_fill_timeout (self);
  return G_SOURCE_REMOVE;
}

static gboolean
fill_timeout (gpointer data)
{
  HbCaptureLoader *self = data;

  if (!add_slice (self))
    return G_SOURCE_REMOVE;  /* end_fill () has forgotten fill_source */
  return G_SOURCE_CONTINUE;
}

/* A frame at a time while the first rows come and the window is shown
 * (a tick callback is called only then); else a slice every few
 * milliseconds, the window painting and answering in between. */
static void
schedule_fill (HbCaptureLoader *self)
{
  stop_filling (self);
  if (filled (self) < WIDGET_ROWS && gtk_widget_get_mapped (GTK_WIDGET (self)))
    self->fill_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self), fill_tick, NULL, NULL);
  else
    self->fill_source = start_fill_timeout (self);
}

void
hb_capture_loader_fill (HbCaptureLoader *self,
                        HbSegmentModel  *model)
{
  g_return_if_fail (HB_IS_CAPTURE_LOADER (self));
  g_return_if_fail (HB_IS_SEGMENT_MODEL (model));

  stop_filling (self);
  g_set_object (&self->model, model);
  self->slice = FIRST_SLICE;
  self->paced = PACED_FIRST;
  /* Shown first: the tick callback needs the loader on screen. */
  update_busy (self);
  show_fill_progress (self);
  schedule_fill (self);
}

void
hb_capture_loader_cancel (HbCaptureLoader *self)
{
  g_return_if_fail (HB_IS_CAPTURE_LOADER (self));

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  else if (self->model != NULL)
    end_fill (self, FALSE);
}

gboolean
hb_capture_loader_get_busy (HbCaptureLoader *self)
{
  g_return_val_if_fail (HB_IS_CAPTURE_LOADER (self), FALSE);
  return self->file != NULL || self->model != NULL;
}

static void
on_cancel_clicked (GtkButton       *button,
                   HbCaptureLoader *self)
{
  hb_capture_loader_cancel (self);
}

/* Hidden with its window (minimised, say): no more frames to wait for. */
static void
hb_capture_loader_unmap (GtkWidget *widget)
{
  HbCaptureLoader *self = HB_CAPTURE_LOADER (widget);

  GTK_WIDGET_CLASS (hb_capture_loader_parent_class)->unmap (widget);
  if (self->fill_tick != 0)
    schedule_fill (self);
}

static void
hb_capture_loader_dispose (GObject *object)
{
  HbCaptureLoader *self = HB_CAPTURE_LOADER (object);

  self->disposed = TRUE;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->file);
  g_clear_handle_id (&self->progress_timer, g_source_remove);
  stop_filling (self);
  g_clear_object (&self->model);
  gtk_widget_dispose_template (GTK_WIDGET (self), HB_TYPE_CAPTURE_LOADER);
  G_OBJECT_CLASS (hb_capture_loader_parent_class)->dispose (object);
}

static void
hb_capture_loader_class_init (HbCaptureLoaderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hb_capture_loader_dispose;
  widget_class->unmap = hb_capture_loader_unmap;

  /**
   * HbCaptureLoader::loaded:
   * @error: (nullable): why the file could not be read whole, as
   *   hb_capture_file_load() says it; G_IO_ERROR_CANCELLED when cancelled
   *
   * The read is over. Not emitted once the loader is disposed.
   */
  signals[LOADED] = g_signal_new ("loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                  G_TYPE_NONE, 1, G_TYPE_ERROR);
  /**
   * HbCaptureLoader::filled:
   * @complete: every packet is a row; FALSE when cancelled
   *
   * The fill is over. Not emitted when a new fill replaces it, nor once
   * the loader is disposed.
   */
  signals[FILLED] = g_signal_new ("filled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                  G_TYPE_NONE, 1, G_TYPE_BOOLEAN);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/heartbeatlab/HeartbeatLab/hb-capture-loader.ui");
  gtk_widget_class_bind_template_child (widget_class, HbCaptureLoader, box);
  gtk_widget_class_bind_template_child (widget_class, HbCaptureLoader, label);
  gtk_widget_class_bind_template_child (widget_class, HbCaptureLoader, bar);
  gtk_widget_class_bind_template_child (widget_class, HbCaptureLoader, cancel_button);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);
}

static void
hb_capture_loader_init (HbCaptureLoader *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
