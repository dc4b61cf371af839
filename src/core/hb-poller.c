/* hb-poller.c - one epoll-backed GSource that drives many non-blocking sockets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GLib's main loop polls every source's fds on every wake-up, which costs
 * O(n) per iteration (see docs/architecture.md). Here the main loop sees a
 * single fd, the epoll instance; the kernel tells us which sockets are ready.
 * Handles may be removed from inside any callback, including for other
 * handles in the same batch, so removal only marks a handle dead and the
 * memory is reclaimed after the batch.
 */

#include "config.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "hb-poller.h"

#define MAX_EVENTS 256

struct _HbPollHandle
{
  int         fd;
  guint32     events;
  HbPollFunc  func;
  gpointer    user_data;
  guint       dead : 1;
  guint       scheduled : 1;
};

struct _HbPoller
{
  GSource     source;
  int         epfd;
  gpointer    epfd_tag;
  guint       refs;       /* ours, apart from the context's */
  guint       n_handles;
  guint       dispatching;
  GPtrArray  *scheduled;  /* HbPollHandle*, run once at dispatch */
  GPtrArray  *graveyard;  /* removed while dispatching */
};

static guint32
to_epoll (GIOCondition events)
{
  guint32 ev = 0;

  if (events & G_IO_IN)
    ev |= EPOLLIN | EPOLLRDHUP;
  if (events & G_IO_OUT)
    ev |= EPOLLOUT;
  return ev;
}

static guint
from_epoll (guint32 ev)
{
  guint cond = 0;

  if (ev & (EPOLLIN | EPOLLRDHUP))
    cond |= G_IO_IN;
  if (ev & EPOLLOUT)
    cond |= G_IO_OUT;
  if (ev & EPOLLERR)
    cond |= G_IO_ERR;
  if (ev & EPOLLHUP)
    cond |= G_IO_HUP;
  return cond;
}

static gboolean
hb_poller_prepare (GSource *source,
                   gint    *timeout)
{
  HbPoller *self = (HbPoller *) source;

  *timeout = -1;
  return self->scheduled->len > 0;
}

static gboolean
hb_poller_check (GSource *source)
{
  HbPoller *self = (HbPoller *) source;

  return self->scheduled->len > 0 ||
         (g_source_query_unix_fd (source, self->epfd_tag) & G_IO_IN) != 0;
}

static void
run_scheduled (HbPoller *self)
{
  /* Callbacks may schedule more; those run on the next pass. */
  g_autoptr(GPtrArray) batch = self->scheduled;

  self->scheduled = g_ptr_array_new ();
  for (guint i = 0; i < batch->len; i++)
    {
      HbPollHandle *h = g_ptr_array_index (batch, i);

      h->scheduled = FALSE;
      if (!h->dead)
        h->func (h->user_data, HB_POLL_SCHEDULED);
    }
}

static gboolean
hb_poller_dispatch (GSource     *source,
                    GSourceFunc  callback,
                    gpointer     user_data)
{
  HbPoller *self = (HbPoller *) source;
  struct epoll_event events[MAX_EVENTS];
  int n;

  self->dispatching++;

  do
    n = epoll_wait (self->epfd, events, MAX_EVENTS, 0);
  while (n < 0 && errno == EINTR);

  for (int i = 0; i < n; i++)
    {
      HbPollHandle *h = events[i].data.ptr;

      if (!h->dead)
        h->func (h->user_data, from_epoll (events[i].events));
    }

  /* Writes queued by the callbacks above go out in this same pass. */
  if (self->scheduled->len > 0)
    run_scheduled (self);

  if (--self->dispatching == 0)
    g_ptr_array_set_size (self->graveyard, 0);

  return G_SOURCE_CONTINUE;
}

static void
hb_poller_finalize (GSource *source)
{
  HbPoller *self = (HbPoller *) source;

  g_ptr_array_unref (self->scheduled);
  g_ptr_array_unref (self->graveyard);
  if (self->epfd >= 0)
    close (self->epfd);
}

static GSourceFuncs poller_funcs = {
  .prepare = hb_poller_prepare,
  .check = hb_poller_check,
  .dispatch = hb_poller_dispatch,
  .finalize = hb_poller_finalize,
};

/**
 * hb_poller_new:
 * @context: (nullable): the context to attach to, or %NULL for the thread-default one
 *
 * Returns: (transfer full): a poller attached to @context. Its handles must
 * all be removed before the last reference goes.
 */
HbPoller *
hb_poller_new (GMainContext *context)
{
  HbPoller *self;

  self = (HbPoller *) g_source_new (&poller_funcs, sizeof (HbPoller));
  g_source_set_static_name (&self->source, "HbPoller");
  self->epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (self->epfd < 0)
    g_error ("epoll_create1: %s", g_strerror (errno));
  self->refs = 1;
  self->scheduled = g_ptr_array_new ();
  self->graveyard = g_ptr_array_new_with_free_func (g_free);
  self->epfd_tag = g_source_add_unix_fd (&self->source, self->epfd, G_IO_IN);
  /* GLib blocks a source that cannot recurse while it dispatches, which
   * takes its fd out of the context's poll set and puts it back: two
   * write()s to the context's eventfd and a read() per dispatch, a
   * thousand or more a second under load. Dispatching is reentrant
   * here (handles removed meanwhile wait in the graveyard until the
   * outermost dispatch ends), so it may recurse. */
  g_source_set_can_recurse (&self->source, TRUE);
  g_source_attach (&self->source,
                   context ? context : g_main_context_get_thread_default ());
  return self;
}

HbPoller *
hb_poller_ref (HbPoller *poller)
{
  poller->refs++;
  return poller;
}

void
hb_poller_unref (HbPoller *poller)
{
  /* The attached context holds the GSource's own reference; the last of
   * ours detaches it, which drops that. */
  if (--poller->refs == 0)
    {
      g_source_destroy (&poller->source);
      g_source_unref (&poller->source);
    }
}

HbPollHandle *
hb_poller_add (HbPoller     *poller,
               int           fd,
               GIOCondition  events,
               HbPollFunc    func,
               gpointer      user_data)
{
  HbPollHandle *h = g_new0 (HbPollHandle, 1);
  struct epoll_event ev = { 0 };

  h->fd = fd;
  h->events = to_epoll (events);
  h->func = func;
  h->user_data = user_data;
  ev.events = h->events;
  ev.data.ptr = h;
  if (epoll_ctl (poller->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
    g_critical ("epoll_ctl ADD fd %d: %s", fd, g_strerror (errno));
  poller->n_handles++;
  return h;
}

void
hb_poller_modify (HbPoller     *poller,
                  HbPollHandle *handle,
                  GIOCondition  events)
{
  struct epoll_event ev = { 0 };
  guint32 want = to_epoll (events);

  g_return_if_fail (!handle->dead);

  if (want == handle->events)
    return;
  handle->events = want;
  ev.events = want;
  ev.data.ptr = handle;
  if (epoll_ctl (poller->epfd, EPOLL_CTL_MOD, handle->fd, &ev) < 0)
    g_critical ("epoll_ctl MOD fd %d: %s", handle->fd, g_strerror (errno));
}

/* Call before the fd is closed. */
void
hb_poller_remove (HbPoller     *poller,
                  HbPollHandle *handle)
{
  if (handle == NULL)
    return;
  g_return_if_fail (!handle->dead);

  epoll_ctl (poller->epfd, EPOLL_CTL_DEL, handle->fd, NULL);
  handle->dead = TRUE;
  poller->n_handles--;
  if (handle->scheduled)
    g_ptr_array_remove_fast (poller->scheduled, handle);
  if (poller->dispatching)
    g_ptr_array_add (poller->graveyard, handle);
  else
    g_free (handle);
}

/* Runs the handle's callback once with HB_POLL_SCHEDULED, in the same
 * dispatch if one is under way, otherwise on the next main-loop pass. */
void
hb_poller_schedule (HbPoller     *poller,
                    HbPollHandle *handle)
{
  g_return_if_fail (!handle->dead);

  if (handle->scheduled)
    return;
  handle->scheduled = TRUE;
  g_ptr_array_add (poller->scheduled, handle);
  /* On the loop's own thread, prepare() sees the batch before the next
   * poll: no wake-up needed. g_main_context_wakeup() is a write() to an
   * eventfd, and a broadcast from stdin schedules every client. */
  if (!poller->dispatching && poller->scheduled->len == 1 &&
      !g_main_context_is_owner (g_source_get_context (&poller->source)))
    g_main_context_wakeup (g_source_get_context (&poller->source));
}

guint
hb_poller_get_n_handles (HbPoller *poller)
{
  return poller->n_handles;
}

static gboolean
deadline_dispatch (GSource     *source,
                   GSourceFunc  callback,
                   gpointer     user_data)
{
  g_source_set_ready_time (source, -1);
  return callback ? callback (user_data) : G_SOURCE_CONTINUE;
}

static GSourceFuncs deadline_funcs = {
  .dispatch = deadline_dispatch,
};

/* Returns: (transfer full): an attached source; destroy it when done. */
GSource *
hb_deadline_source_new (GSourceFunc callback,
                        gpointer    user_data)
{
  GSource *source = g_source_new (&deadline_funcs, sizeof (GSource));

  g_source_set_static_name (source, "HbDeadline");
  g_source_set_callback (source, callback, user_data, NULL);
  g_source_set_ready_time (source, -1);
  g_source_attach (source, g_main_context_get_thread_default ());
  return source;
}

GSource *
hb_source_attach (GSource      *source,
                  GMainContext *context,
                  GSourceFunc   callback,
                  gpointer      user_data)
{
  g_source_set_callback (source, callback, user_data, NULL);
  g_source_attach (source, context ? context : g_main_context_get_thread_default ());
  return source;
}

void
hb_source_clear (GSource **source)
{
  GSource *s = g_steal_pointer (source);

  if (s != NULL)
    {
      g_source_destroy (s);
      g_source_unref (s);
    }
}
