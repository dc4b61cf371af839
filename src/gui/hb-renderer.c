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
 *
 * Asking the GL renderer's name loads Mesa, and with llvmpipe LLVM: 50 MB
 * resident for good, and GTK 4.8's X11 backend loads them anyway to pick
 * its visual. So the application asks in a child process before GTK
 * starts (hb_renderer_choose_early()), and where GL is software it starts
 * GTK with GL disabled as well as the cairo renderer: the window with
 * 2,000 clients took 128 MB with GL loaded and unused, 72 MB without.
 */

#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* The child of hb_renderer_choose_early(): writes the GL renderer's name,
 * if any, to @fd and exits. */
G_GNUC_NORETURN static void
probe_child (int fd)
{
  g_autofree char *name = NULL;

  if (gtk_init_check ())
    name = hb_renderer_choose (gdk_display_get_default ());
  if (name != NULL && write (fd, name, strlen (name)) < 0)
    _exit (1);
  _exit (0);
}

/* GDK_DEBUG=gl-disable, beside whatever else it says. */
static void
disable_gl (void)
{
  const char *debug = g_getenv ("GDK_DEBUG");
  g_autofree char *more = NULL;

  if (debug != NULL && strstr (debug, "gl-disable") != NULL)
    return;
  more = debug && *debug ? g_strconcat (debug, ",gl-disable", NULL) : g_strdup ("gl-disable");
  g_setenv ("GDK_DEBUG", more, TRUE);
}

char *
hb_renderer_choose_early (void)
{
  char buf[256];
  gsize len = 0;
  int fds[2];
  pid_t pid;
  gint64 end;
  char *name;

  /* The user's choice. Cairo draws without GL, so GL is not loaded. */
  if (g_strcmp0 (g_getenv ("GSK_RENDERER"), "cairo") == 0)
    {
      disable_gl ();
      return NULL;
    }
  if (g_getenv ("GSK_RENDERER") != NULL || pipe (fds) < 0)
    return NULL;
  pid = fork ();
  if (pid < 0)
    {
      close (fds[0]);
      close (fds[1]);
      return NULL;
    }
  if (pid == 0)
    {
      close (fds[0]);
      probe_child (fds[1]);
    }
  close (fds[1]);
  /* A driver that hangs must not keep the application from starting:
   * 5 s, then GTK chooses as it would have. */
  end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  for (;;)
    {
      struct pollfd pfd = { fds[0], POLLIN, 0 };
      gint64 left = end - g_get_monotonic_time ();
      ssize_t n;

      if (left <= 0 || poll (&pfd, 1, (int) (left / 1000) + 1) == 0)
        {
          kill (pid, SIGKILL);
          len = 0;
          break;
        }
      n = read (fds[0], buf + len, sizeof buf - 1 - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0 || (len += n) == sizeof buf - 1)
        break;
    }
  close (fds[0]);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
  if (len == 0)
    return NULL;
  buf[len] = '\0';
  name = g_strdup (buf);
  if (hb_renderer_is_software (name))
    {
      g_setenv ("GSK_RENDERER", "cairo", TRUE);
      disable_gl ();
    }
  return name;
}
