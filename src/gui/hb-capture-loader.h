/* hb-capture-loader.h - opens a capture file without stopping the window: a worker thread, then rows a slice at a time
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "hb-segment-model.h"

G_BEGIN_DECLS

#define HB_TYPE_CAPTURE_LOADER (hb_capture_loader_get_type ())
G_DECLARE_FINAL_TYPE (HbCaptureLoader, hb_capture_loader, HB, CAPTURE_LOADER, GtkWidget)

/* Reads @path into @file (set up, not yet loaded) in a worker thread,
 * showing how far it got, with a button that cancels; emits ::loaded.
 * @name is the file's name as the window shows it. */
void     hb_capture_loader_load      (HbCaptureLoader *self,
                                      HbCaptureFile   *file,
                                      const char      *path,
                                      const char      *name);
/* Adds the rows of the file's conversation @model shows
 * (hb_segment_model_show_file()), a slice per main-loop pass, each slice
 * as big as a few milliseconds allow; emits ::filled. A fill under way
 * is given up. */
void     hb_capture_loader_fill      (HbCaptureLoader *self,
                                      HbSegmentModel  *model);
/* What the Cancel button does: stops the read (::loaded says CANCELLED)
 * or the fill (::filled says FALSE, the rows so far stay). */
void     hb_capture_loader_cancel    (HbCaptureLoader *self);
/* Reading or filling: the loader shows itself while it is. */
gboolean hb_capture_loader_get_busy  (HbCaptureLoader *self);

G_END_DECLS
