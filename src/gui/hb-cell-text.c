/* hb-cell-text.c - the text of a list cell, given to its label only when it changes and can be seen
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The server's list makes about 200 rows whatever the viewport shows, and
 * their texts change at every heartbeat and clock tick ("14 s ago"). A
 * label bound straight to such a text is laid out again and redrawn each
 * time, out of sight too, and also when the text did not change. Bound to
 * an HbCellText instead, the label is set only when its text changes and
 * it can be seen; a text held back ("stale") is shown when its row comes
 * into sight (hb_cell_text_catch_up(), called by the list's owner after
 * scrolling and moves) or its row to another item.
 */

#include "config.h"

#include "hb-cell-text.h"

struct _HbCellText
{
  GObject      parent_instance;
  GtkLabel    *label;      /* owns us */
  GtkListItem *row;        /* weak; the row the label is in, or NULL */
  gpointer     shown_item; /* the row's item when the text was last shown; compared only */
  char        *text;
  gboolean     stale;       /* text not shown yet */
  gboolean     shown_once;
  guint        n_shown;
};

enum {
  PROP_0,
  PROP_TEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (HbCellText, hb_cell_text, G_TYPE_OBJECT)

gboolean
hb_label_set_text_changed (GtkLabel   *label,
                           const char *text)
{
  if (g_strcmp0 (gtk_label_get_label (label), text ? text : "") == 0)
    return FALSE;
  gtk_label_set_text (label, text);
  return TRUE;
}

gboolean
hb_widget_in_sight (GtkWidget *widget,
                    GType      viewport_type)
{
  GtkWidget *view = gtk_widget_get_ancestor (widget, viewport_type);
  graphene_rect_t bounds;

  if (view == NULL)
    return TRUE;  /* not in a list: nothing hides it */
  if (!gtk_widget_get_mapped (widget) ||
      !gtk_widget_compute_bounds (widget, view, &bounds))
    return FALSE;
  return bounds.origin.y + bounds.size.height > 0 && bounds.origin.y < gtk_widget_get_height (view) &&
         bounds.origin.x + bounds.size.width > 0 && bounds.origin.x < gtk_widget_get_width (view);
}

static gpointer
row_item (HbCellText *self)
{
  return self->row != NULL ? gtk_list_item_get_item (self->row) : NULL;
}

static gboolean
in_sight (HbCellText *self)
{
  return hb_widget_in_sight (GTK_WIDGET (self->label), GTK_TYPE_LIST_VIEW);
}

static void
show_text (HbCellText *self)
{
  self->stale = FALSE;
  self->shown_once = TRUE;
  self->shown_item = row_item (self);
  if (hb_label_set_text_changed (self->label, self->text))
    self->n_shown++;
}

static void
hb_cell_text_set_text (HbCellText *self,
                       const char *text)
{
  if (g_strcmp0 (self->text, text) != 0)
    {
      g_free (self->text);
      self->text = g_strdup (text);
      self->stale = TRUE;
    }
  if (!self->stale)
    return;
  /* Never shown, the row now another item's, or in sight: now. Otherwise
   * when it comes into sight. */
  if (!self->shown_once || row_item (self) != self->shown_item || in_sight (self))
    show_text (self);
}

static void
hb_cell_text_finalize (GObject *object)
{
  HbCellText *self = HB_CELL_TEXT (object);

  g_clear_weak_pointer (&self->row);
  g_free (self->text);
  G_OBJECT_CLASS (hb_cell_text_parent_class)->finalize (object);
}

static void
hb_cell_text_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  HbCellText *self = HB_CELL_TEXT (object);

  switch (prop_id)
    {
    case PROP_TEXT:
      g_value_set_string (value, self->text);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hb_cell_text_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  HbCellText *self = HB_CELL_TEXT (object);

  switch (prop_id)
    {
    case PROP_TEXT:
      hb_cell_text_set_text (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hb_cell_text_class_init (HbCellTextClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = hb_cell_text_finalize;
  object_class->get_property = hb_cell_text_get_property;
  object_class->set_property = hb_cell_text_set_property;

  /* Not notified: nothing watches it but the label it feeds. */
  properties[PROP_TEXT] =
    g_param_spec_string ("text", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
hb_cell_text_init (HbCellText *self)
{
}

HbCellText *
hb_cell_text_new (GtkLabel    *label,
                  GtkListItem *row)
{
  HbCellText *self = g_object_new (HB_TYPE_CELL_TEXT, NULL);

  self->label = label;
  g_set_weak_pointer (&self->row, row);
  g_object_set_data_full (G_OBJECT (label), "hb-cell-text", self, g_object_unref);
  return self;
}

HbCellText *
hb_cell_text_get (GtkLabel *label)
{
  return g_object_get_data (G_OBJECT (label), "hb-cell-text");
}

void
hb_cell_text_show (HbCellText *self)
{
  g_return_if_fail (HB_IS_CELL_TEXT (self));
  show_text (self);
}

gboolean
hb_cell_text_catch_up (HbCellText *self)
{
  g_return_val_if_fail (HB_IS_CELL_TEXT (self), FALSE);
  if (self->stale && in_sight (self))
    show_text (self);
  return self->stale;
}

gboolean
hb_cell_text_get_stale (HbCellText *self)
{
  g_return_val_if_fail (HB_IS_CELL_TEXT (self), FALSE);
  return self->stale;
}

guint
hb_cell_text_get_n_shown (HbCellText *self)
{
  g_return_val_if_fail (HB_IS_CELL_TEXT (self), 0);
  return self->n_shown;
}
