/* main.c - starts the Heartbeat Lab desktop application
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "hb-application.h"
#include "hb-renderer.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(HbApplication) app = NULL;

  /* Before GTK loads OpenGL: cairo, and no GL, where it is software. */
  g_free (hb_renderer_choose_early ());
  setlocale (LC_ALL, "");
  /* HEARTBEAT_LAB_LOCALEDIR: translations of a build that is not
   * installed (meson devenv sets it; so do the tests). */
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("HEARTBEAT_LAB_LOCALEDIR") ? g_getenv ("HEARTBEAT_LAB_LOCALEDIR") : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = hb_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
