/* hb-renderer.c - the renderer for this machine: cairo where OpenGL is only a software rasteriser
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GTK 4.8 draws with OpenGL wherever a context can be made, even when
 * that OpenGL is Mesa's software rasteriser: in a student's virtual
 * machine, or under Xvfb. There every frame is rasterised on the CPU a
 * second time, and the idle demo took 12 % of a core against 1.3 % with
 * cairo (docs/benchmarks.md). GSK reads GSK_RENDERER when it makes the
 * first window's renderer, so it is set, for this process only, before
 * any window is realized.
 */

#include "config.h"

#include <epoxy/gl.h>

#include "hb-renderer.h"

gboolean
hb_renderer_is_software (const char *gl_renderer)
{
  static const char *const software[] = { "llvmpipe", "softpipe", "swrast", "Software Rasterizer" };

  if (gl_renderer == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (software); i++)
    if (strstr (gl_renderer, software[i]) != NULL)
      return TRUE;
  return FALSE;
}

char *
hb_renderer_choose (GdkDisplay *display)
{
  g_autoptr(GdkGLContext) context = NULL;
  g_autoptr(GError) error = NULL;
  const char *name;
  char *renderer;

  g_return_val_if_fail (GDK_IS_DISPLAY (display), NULL);

  if (g_getenv ("GSK_RENDERER") != NULL)
    return NULL;
  context = gdk_display_create_gl_context (display, &error);
  if (context == NULL || !gdk_gl_context_realize (context, &error))
    {
      /* No OpenGL at all: GTK falls back to cairo by itself. */
      g_debug ("No OpenGL context: %s", error ? error->message : "unknown");
      return NULL;
    }
  gdk_gl_context_make_current (context);
  name = (const char *) glGetString (GL_RENDERER);
  renderer = g_strdup (name);
  gdk_gl_context_clear_current ();

  if (hb_renderer_is_software (renderer))
    {
      g_debug ("OpenGL is %s, a software rasteriser: drawing with cairo", renderer);
      g_setenv ("GSK_RENDERER", "cairo", TRUE);
    }
  return renderer;
}
