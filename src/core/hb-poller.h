/* hb-poller.h - one epoll-backed GSource that drives many non-blocking sockets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Passed to an HbPollFunc when the handle was scheduled with
 * hb_poller_schedule() rather than woken by the kernel. */
#define HB_POLL_SCHEDULED (1u << 31)

typedef struct _HbPoller     HbPoller;
typedef struct _HbPollHandle HbPollHandle;

/* @condition is a mix of G_IO_IN, G_IO_OUT, G_IO_ERR, G_IO_HUP and
 * HB_POLL_SCHEDULED. */
typedef void (*HbPollFunc) (gpointer user_data,
                            guint    condition);

HbPoller     *hb_poller_new      (GMainContext *context);
HbPoller     *hb_poller_ref      (HbPoller     *poller);
void          hb_poller_unref    (HbPoller     *poller);
HbPollHandle *hb_poller_add      (HbPoller     *poller,
                                  int           fd,
                                  GIOCondition  events,
                                  HbPollFunc    func,
                                  gpointer      user_data);
void          hb_poller_modify   (HbPoller     *poller,
                                  HbPollHandle *handle,
                                  GIOCondition  events);
void          hb_poller_remove   (HbPoller     *poller,
                                  HbPollHandle *handle);
void          hb_poller_schedule (HbPoller     *poller,
                                  HbPollHandle *handle);
guint         hb_poller_get_n_handles (HbPoller *poller);

/* A source that fires once at the monotonic time given with
 * g_source_set_ready_time() and then waits for the next one: one source
 * serves a deadline that moves often, with no allocation per move. */
GSource      *hb_deadline_source_new (GSourceFunc    callback,
                                      gpointer       user_data);

/* Attaches @source, with @callback, to @context (the thread-default one
 * when NULL) and returns it (transfer full). An object keeps the source
 * rather than its id: g_source_remove() looks an id up in the global
 * default context, not in the one the object runs in. */
GSource      *hb_source_attach       (GSource       *source,
                                      GMainContext  *context,
                                      GSourceFunc    callback,
                                      gpointer       user_data);
/* Destroys *@source, if any, drops the reference and sets it to NULL. */
void          hb_source_clear        (GSource      **source);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbPoller, hb_poller_unref)

G_END_DECLS
