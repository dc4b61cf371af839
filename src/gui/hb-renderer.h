/* hb-renderer.h - the renderer for this machine: cairo where OpenGL is only a software rasteriser
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Before the first window is realized: when OpenGL on @display is a
 * software rasteriser (llvmpipe, softpipe, swrast: a VM or a machine
 * without a GPU driver), asks GTK for its cairo renderer, which draws the
 * same windows at a tenth of the CPU there. GSK_RENDERER, when set, is
 * the user's choice and is kept. Returns the GL renderer's name, or NULL
 * (none, or not asked); free it. */
char *hb_renderer_choose (GdkDisplay *display);

/* The same, before GTK is initialised, from a child process: where GL
 * is software, also starts GTK without GL (GDK_DEBUG=gl-disable), so
 * that Mesa and LLVM are never loaded into this one; so too when the user
 * set GSK_RENDERER=cairo (nothing is asked then). Call it first thing in
 * main(), before any thread. Returns the GL renderer's name, or NULL. */
char *hb_renderer_choose_early (void);

/* Whether a GL_RENDERER string names a software rasteriser. */
gboolean hb_renderer_is_software (const char *gl_renderer);

G_END_DECLS
