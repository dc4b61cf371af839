/* hb-test-util.h - helpers for tests: waiting on the main loop, raw TCP peers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define HB_TEST_TIMEOUT_MS 10000

/* Under AddressSanitizer freed memory waits in a quarantine before it is
 * reused (8 MiB, as tests/meson.build sets it) and every allocation has
 * shadow memory: bounds on resident memory allow for that much more. A
 * leak of a 100 MiB flood still shows. */
#if defined(__SANITIZE_ADDRESS__)
#define HB_TEST_MEMORY_SLACK (48 * 1024 * 1024)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HB_TEST_MEMORY_SLACK (48 * 1024 * 1024)
#endif
#endif
#ifndef HB_TEST_MEMORY_SLACK
#define HB_TEST_MEMORY_SLACK 0
#endif

/* HB_TEST_TIMEOUT_MS times $HB_TEST_TIMEOUT_SCALE (a whole number, 1 when
 * unset): sanitizer builds run several times slower, and CI scales the
 * waits with them as it scales meson's own timeouts. */
guint    hb_test_timeout_ms  (void);

/* Runs the main loop until @expr holds; fails the test after
 * hb_test_timeout_ms() with the expression in the message. Never a sleep. */
#define hb_assert_eventually(expr)                                          \
  G_STMT_START {                                                            \
    gint64 _hb_deadline = g_get_monotonic_time () + (gint64) hb_test_timeout_ms () * 1000; \
    while (!(expr))                                                         \
      if (!hb_test_iterate (_hb_deadline))                                  \
        g_error ("%s:%d: timed out waiting for: %s", __FILE__, __LINE__, #expr); \
  } G_STMT_END

/* The same, and on failure also @describe, an expression giving a newly
 * allocated string of what was seen instead (freed). */
#define hb_assert_eventually_seen(expr, describe)                           \
  G_STMT_START {                                                            \
    gint64 _hb_deadline = g_get_monotonic_time () + (gint64) hb_test_timeout_ms () * 1000; \
    while (!(expr))                                                         \
      if (!hb_test_iterate (_hb_deadline))                                  \
        {                                                                   \
          char *_hb_seen = (describe);                                      \
          g_error ("%s:%d: timed out waiting for: %s; seen: %s", __FILE__, __LINE__, #expr, _hb_seen); \
        }                                                                   \
  } G_STMT_END

/* The same, iterating only @context: what comes true meanwhile came from
 * sources attached to @context, for objects run in a context of their own. */
#define hb_assert_eventually_in(context, expr)                              \
  G_STMT_START {                                                            \
    gint64 _hb_deadline = g_get_monotonic_time () + (gint64) hb_test_timeout_ms () * 1000; \
    while (!(expr))                                                         \
      if (!hb_test_iterate_context ((context), _hb_deadline))               \
        g_error ("%s:%d: timed out waiting for: %s", __FILE__, __LINE__, #expr); \
  } G_STMT_END

/* How often @needle stands in @haystack (overlapping ones too). */
guint    hb_test_count       (const char *haystack,
                              const char *needle);

/* Asserts that @text contains each of the needles that follow (strings),
 * naming the first one missing. */
#define hb_assert_contains(text, ...) \
  hb_test_assert_contains (__FILE__, __LINE__, (text), __VA_ARGS__, NULL)
void     hb_test_assert_contains (const char *file,
                                  int         line,
                                  const char *text,
                                  const char *first,
                                  ...) G_GNUC_NULL_TERMINATED;

/* One main-loop iteration, waiting at most until @deadline (monotonic µs).
 * Returns FALSE once the deadline has passed. */
gboolean hb_test_iterate     (gint64 deadline);
/* The same in @context (NULL: the global default context). */
gboolean hb_test_iterate_context (GMainContext *context,
                                  gint64        deadline);
/* Drops the caller's reference to @object and waits until it is
 * finalized: for a server or client that says goodbye after its window
 * is gone (hb-farewell), which holds it for a while. */
void     hb_test_await_finalize (gpointer object);
/* Dispatches what is ready on the default main context now, without
 * waiting: afterwards whatever had already arrived has been handled. */
void     hb_test_run_pending (void);

/* For GUI tests: every warning or critical fails the test, except the
 * few GTK 4.8 prints under a bare Xvfb (no window manager, no session
 * bus), which say nothing about our code. Use instead of
 * G_DEBUG=fatal-warnings, which cannot make exceptions. */
void     hb_test_fatal_warnings_except_known (void);

/* A plain TCP peer for talking to a server byte by byte, as nc would. */
typedef struct
{
  GSocket    *socket;
  GSource    *source;
  GString    *partial;
  GPtrArray  *lines;     /* char*, every line read, without LF */
  guint       next;      /* first line not yet taken by _wait_line */
  gboolean    reading;
  gboolean    eof;
  gboolean    reset;
  guint64     bytes_in;
} HbTestPeer;

HbTestPeer *hb_test_peer_new        (const char *host,
                                     guint       port);
/* A peer with a tiny receive buffer, so that when it stops reading the
 * kernel cannot hide it: the server's own queue fills. */
HbTestPeer *hb_test_peer_new_small  (const char *host,
                                     guint       port);
void        hb_test_peer_free       (HbTestPeer *peer);
void        hb_test_peer_send       (HbTestPeer *peer,
                                     const char *data,
                                     gssize      len);
/* Waits for the next line not yet taken and returns it (owned by the peer). */
const char *hb_test_peer_wait_line  (HbTestPeer *peer);
/* Skips PING lines (answering none) and returns the next other line. */
const char *hb_test_peer_wait_non_ping (HbTestPeer *peer);
void        hb_test_peer_wait_eof   (HbTestPeer *peer);
/* A barrier: sends `PING <token>` and asserts that the next line other
 * than the server's PINGs is `PONG <token>`. The server handles a
 * client's lines in order and queues what it writes to it in order, so
 * afterwards it has handled everything sent before, and nothing it queued
 * for this peer before the PONG is left unread: an exact "nothing else
 * came", where waiting a while would only make one likely. */
void        hb_test_peer_sync       (HbTestPeer *peer);
void        hb_test_peer_set_reading (HbTestPeer *peer,
                                      gboolean    reading);
void        hb_test_peer_shutdown_write (HbTestPeer *peer);
/* Closes with SO_LINGER {1, 0}: the server sees a reset. */
void        hb_test_peer_abort      (HbTestPeer *peer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbTestPeer, hb_test_peer_free)

/* A program run for a test (a student's Python client or server, nc):
 * its standard input is a pipe, its standard output is read line by line
 * on the main loop, its standard error collected. It is killed with the
 * test (PR_SET_PDEATHSIG) and by hb_test_proc_free(). */
typedef struct
{
  GSubprocess      *proc;
  GOutputStream    *in;
  GDataInputStream *out;
  GCancellable     *cancellable;
  GPtrArray        *lines;    /* char*, standard output without LF */
  GString          *errors;   /* standard error, whole */
  guint             next;     /* first line not yet taken by _wait_line */
  gboolean          out_eof;
  gboolean          exited;
} HbTestProc;

/* $HB_PYTHON (python3 when unset) running tests/students/@script with
 * @args, NULL-terminated. */
HbTestProc *hb_test_proc_student   (const char  *script,
                                    ...) G_GNUC_NULL_TERMINATED;
HbTestProc *hb_test_proc_new       (const char * const *argv);
void        hb_test_proc_free      (HbTestProc  *proc);
void        hb_test_proc_write     (HbTestProc  *proc,
                                    const char  *text);
void        hb_test_proc_close_stdin (HbTestProc *proc);
/* Waits for the next line not yet taken that contains @needle and
 * returns it (owned by the proc); lines before it are taken too. */
const char *hb_test_proc_wait_line (HbTestProc  *proc,
                                    const char  *needle);
/* Whether a line not yet taken contains @needle, without waiting. */
gboolean    hb_test_proc_has_line  (HbTestProc  *proc,
                                    const char  *needle);
/* Waits for the program to exit and returns its exit status. */
int         hb_test_proc_wait_exit (HbTestProc  *proc);
void        hb_test_proc_signal    (HbTestProc  *proc,
                                    int          signum);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbTestProc, hb_test_proc_free)

G_END_DECLS
