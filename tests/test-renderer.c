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

static char *early_gl;   /* what hb_renderer_choose_early() said, in main() */

static gboolean
mapped (const char *library)
{
  g_autofree char *maps = NULL;

  g_assert_true (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  return strstr (maps, library) != NULL;
}

/* The application asks before GTK starts, in a child: where GL is
 * software it draws with cairo and never loads Mesa's LLVM itself. */
static void
test_early_choice (void)
{
  g_autofree char *saved = NULL;

  if (g_test_subprocess ())
    {
      g_test_message ("OpenGL renderer: %s", early_gl ? early_gl : "(none)");
      if (early_gl == NULL || !hb_renderer_is_software (early_gl))
        {
          g_assert_null (g_getenv ("GSK_RENDERER"));
          return;
        }
      g_assert_cmpstr (g_getenv ("GSK_RENDERER"), ==, "cairo");
      g_assert_nonnull (strstr (g_getenv ("GDK_DEBUG"), "gl-disable"));
      g_assert_cmpstr (window_renderer (), ==, "GskCairoRenderer");
      g_assert_false (mapped ("libLLVM"));
      /* GTK itself had nothing more to ask. */
      g_assert_null (hb_renderer_choose (gdk_display_get_default ()));
      return;
    }
  /* An earlier test's choice is in this process's environment. */
  saved = g_strdup (g_getenv ("GSK_RENDERER"));
  g_unsetenv ("GSK_RENDERER");
  g_setenv ("HB_TEST_CHOOSE_EARLY", "1", TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_unsetenv ("HB_TEST_CHOOSE_EARLY");
  if (saved != NULL)
    g_setenv ("GSK_RENDERER", saved, TRUE);
  g_test_trap_assert_passed ();
}

/* A GSK_RENDERER of the user's is kept, and nothing is asked; cairo
 * needs no GL, which is then not loaded. */
static void
test_early_user_choice_kept (gconstpointer data)
{
  const char *choice = data;
  g_autofree char *saved = NULL;

  if (g_test_subprocess ())
    {
      g_assert_null (early_gl);
      g_assert_cmpstr (g_getenv ("GSK_RENDERER"), ==, choice);
      if (g_str_equal (choice, "cairo"))
        {
          g_assert_cmpstr (g_getenv ("GDK_DEBUG"), ==, "gl-disable");
          g_assert_cmpstr (window_renderer (), ==, "GskCairoRenderer");
          g_assert_false (mapped ("libLLVM"));
        }
      else
        g_assert_null (g_getenv ("GDK_DEBUG"));
      return;
    }
  saved = g_strdup (g_getenv ("GSK_RENDERER"));
  g_setenv ("HB_TEST_CHOOSE_EARLY", "1", TRUE);
  g_setenv ("GSK_RENDERER", choice, TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_unsetenv ("HB_TEST_CHOOSE_EARLY");
  if (saved != NULL)
    g_setenv ("GSK_RENDERER", saved, TRUE);
  else
    g_unsetenv ("GSK_RENDERER");
  g_test_trap_assert_passed ();
}

int
main (int   argc,
      char *argv[])
{
  /* As main.c does, before anything of GTK's: only in the subprocesses of
   * the two tests above, since it changes the environment. */
  if (g_getenv ("HB_TEST_CHOOSE_EARLY") != NULL)
    early_gl = hb_renderer_choose_early ();
  gtk_test_init (&argc, &argv, NULL);

  g_test_add_func ("/gui/renderer/names", test_names);
  g_test_add_func ("/gui/renderer/software-gl-draws-with-cairo", test_software_gl_draws_with_cairo);
  g_test_add_func ("/gui/renderer/user-choice-kept", test_user_choice_kept);
  g_test_add_func ("/gui/renderer/early-choice", test_early_choice);
  g_test_add_data_func ("/gui/renderer/early-user-choice-kept/gl", "gl", test_early_user_choice_kept);
  g_test_add_data_func ("/gui/renderer/early-user-choice-kept/cairo", "cairo", test_early_user_choice_kept);

  return g_test_run ();
}
