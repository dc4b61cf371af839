/* test-renderer.c - the renderer chosen for the machine: cairo where OpenGL is a software rasteriser
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gtk/gtk.h>

#include "hb-renderer.h"
#include "hb-test-util.h"

static void
test_names (void)
{
  g_assert_true (hb_renderer_is_software ("llvmpipe (LLVM 15.0.6, 256 bits)"));
  g_assert_true (hb_renderer_is_software ("softpipe"));
  g_assert_true (hb_renderer_is_software ("Software Rasterizer"));
  g_assert_false (hb_renderer_is_software ("Mesa Intel(R) UHD Graphics 620 (KBL GT2)"));
  g_assert_false (hb_renderer_is_software ("AMD Radeon RX 6600 (navi23, LLVM 15.0.6, DRM 3.49)"));
  g_assert_false (hb_renderer_is_software (NULL));
}

static const char *
window_renderer (void)
{
  GtkWidget *window = gtk_window_new ();
  const char *type;

  gtk_window_present (GTK_WINDOW (window));
  hb_assert_eventually (gtk_widget_get_realized (window));
  type = G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (window)));
  gtk_window_destroy (GTK_WINDOW (window));
  return type;
}

/* Under Xvfb OpenGL is Mesa's llvmpipe: the windows draw with cairo. */
static void
test_software_gl_draws_with_cairo (void)
{
  g_autofree char *gl = NULL;

  g_unsetenv ("GSK_RENDERER");
  gl = hb_renderer_choose (gdk_display_get_default ());
  g_test_message ("OpenGL renderer: %s", gl ? gl : "(none)");
  if (gl != NULL && !hb_renderer_is_software (gl))
    {
      /* A real GPU: GTK's own choice stands. */
      g_assert_null (g_getenv ("GSK_RENDERER"));
      g_assert_cmpstr (window_renderer (), !=, "GskCairoRenderer");
      return;
    }
  g_assert_cmpstr (window_renderer (), ==, "GskCairoRenderer");
}

/* GSK_RENDERER is the user's: kept as it is, whatever the GL. */
static void
test_user_choice_kept (void)
{
  if (g_test_subprocess ())
    {
      g_setenv ("GSK_RENDERER", "gl", TRUE);
      g_assert_null (hb_renderer_choose (gdk_display_get_default ()));
      g_assert_cmpstr (g_getenv ("GSK_RENDERER"), ==, "gl");
      g_assert_cmpstr (window_renderer (), !=, "GskCairoRenderer");
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

  g_test_add_func ("/gui/renderer/names", test_names);
  g_test_add_func ("/gui/renderer/software-gl-draws-with-cairo", test_software_gl_draws_with_cairo);
  g_test_add_func ("/gui/renderer/user-choice-kept", test_user_choice_kept);

  return g_test_run ();
}
