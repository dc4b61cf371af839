/* hb-capture-session.c - live packets of one port, from heartbeat-lab-cli capture running as a child
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>
#include <string.h>

#include <glib/gi18n.h>

#include "hb-capture-session.h"
#include "hb-capture-writer.h"

#define READ_CHUNK      65536
#define MAX_STDERR      16384

struct _HbCaptureSession
{
  GObject                parent_instance;

  guint                  port;
  HbCaptureSessionState  state;
  char                  *message;

  GSubprocess           *process;
  GCancellable          *cancellable;
  HbPcapStream          *stream;
  GString               *stderr_text;
  gboolean               stdout_done;
  gboolean               stderr_done;
  gboolean               exited;
  gboolean               stop_requested;
  int                    exit_status;

  guint                  holders;
  guint                  n_packets;
  guint                  frame;
  GPtrArray             *conversations;
  GBytes                *heartbeat;   /* NULL: the lab's default */
  GBytes                *ack;
  GHashTable            *by_ends;     /* the two ends → newest conversation (not owned) */
};

enum {
  PROP_0,
  PROP_STATE,
  PROP_MESSAGE,
  N_PROPS
};

enum {
  PACKET,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* port → HbCaptureSession, not owned: a session removes itself. */
static GHashTable *sessions;

G_DEFINE_FINAL_TYPE (HbCaptureSession, hb_capture_session, G_TYPE_OBJECT)

static void
set_state (HbCaptureSession      *self,
           HbCaptureSessionState  state,
           const char            *message)
{
  if (g_strcmp0 (message, self->message) != 0)
    {
      g_free (self->message);
      self->message = g_strdup (message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE]);
    }
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
}

/* ---------------------------------------------------------------------- */
/* The pcap stream                                                        */

/* The two ends of a connection, the same whichever way a packet goes:
 * thousands of clients must not mean a scan per packet. */
static char *
ends_key (const char *a,
          guint       port_a,
          const char *b,
          guint       port_b)
{
  int order = g_strcmp0 (a, b);

  if (order > 0 || (order == 0 && port_a > port_b))
    return g_strdup_printf ("%s|%u|%s|%u", b, port_b, a, port_a);
  return g_strdup_printf ("%s|%u|%s|%u", a, port_a, b, port_b);
}

static void
add_frame (gint64        time_us,
           const guint8 *data,
           gsize         caplen,
           gsize         origlen,
           gpointer      user_data)
{
  HbCaptureSession *self = user_data;
  g_autoptr(HbPacket) packet = hb_packet_new ();
  g_autofree char *key = NULL;
  HbConversation *conversation = NULL;

  self->frame++;
  if (self->n_packets >= HB_CAPTURE_SESSION_MAX_PACKETS)
    return;
  if (!hb_packet_parse (data, caplen, origlen, hb_pcap_stream_get_linktype (self->stream), packet, NULL))
    return;
  packet->frame = self->frame;
  packet->time_us = time_us;

  /* The newest conversation of these two ends, unless this is a SYN
   * that starts a new one on the same ports. */
  key = ends_key (packet->src, packet->src_port, packet->dst, packet->dst_port);
  conversation = g_hash_table_lookup (self->by_ends, key);
  if (conversation == NULL || !hb_conversation_accepts (conversation, packet))
    {
      conversation = hb_conversation_new (self->conversations->len);
      hb_conversation_set_server_port (conversation, self->port);
      hb_conversation_set_lab_patterns (conversation, self->heartbeat, self->ack);
      g_ptr_array_add (self->conversations, conversation);
      g_hash_table_replace (self->by_ends, g_steal_pointer (&key), conversation);
    }
  hb_conversation_add (conversation, packet);
  self->n_packets++;
  g_signal_emit (self, signals[PACKET], 0, packet, conversation);

  if (self->n_packets == HB_CAPTURE_SESSION_MAX_PACKETS)
    {
      g_autofree char *text = g_strdup_printf (_("Stopped after %u packets: that is as many as one capture keeps."),
                                               HB_CAPTURE_SESSION_MAX_PACKETS);

      set_state (self, self->state, text);
      hb_capture_session_stop (self);
    }
}

static void finish_if_done (HbCaptureSession *self);

static void
on_stdout_read (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(HbCaptureSession) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  gsize len;
  const guint8 *data;

  /* A read of an earlier run, finishing late: not this run's bytes. */
  if (self->process == NULL || source != G_OBJECT (g_subprocess_get_stdout_pipe (self->process)))
    return;
  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      self->stdout_done = TRUE;
      finish_if_done (self);
      return;
    }

  data = g_bytes_get_data (bytes, &len);
  if (!hb_pcap_stream_feed (self->stream, data, len, add_frame, self, &error))
    {
      g_autofree char *text = g_strdup_printf (_("The capture tool sent something that is not a capture: %s"),
                                               error->message);

      /* Killed before anyone hears of it: a listener may start again. */
      g_subprocess_force_exit (self->process);
      self->stdout_done = TRUE;
      set_state (self, HB_CAPTURE_SESSION_FAILED, text);
      finish_if_done (self);
      return;
    }
  if (hb_pcap_stream_has_header (self->stream) && self->state == HB_CAPTURE_SESSION_STARTING)
    set_state (self, HB_CAPTURE_SESSION_RUNNING, self->message);

  g_input_stream_read_bytes_async (G_INPUT_STREAM (source), READ_CHUNK, G_PRIORITY_DEFAULT,
                                   self->cancellable, on_stdout_read, g_object_ref (self));
}

static void
on_stderr_read (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(HbCaptureSession) self = user_data;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, NULL);
  gsize len;
  const char *data;

  if (self->process == NULL || source != G_OBJECT (g_subprocess_get_stderr_pipe (self->process)))
    return;
  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      self->stderr_done = TRUE;
      finish_if_done (self);
      return;
    }
  data = g_bytes_get_data (bytes, &len);
  /* What the tool says matters only when it fails: keep the end. */
  g_string_append_len (self->stderr_text, data, (gssize) len);
  if (self->stderr_text->len > MAX_STDERR)
    g_string_erase (self->stderr_text, 0, (gssize) (self->stderr_text->len - MAX_STDERR));
  g_input_stream_read_bytes_async (G_INPUT_STREAM (source), 4096, G_PRIORITY_DEFAULT,
                                   self->cancellable, on_stderr_read, g_object_ref (self));
}

/* The tool's last error line, without its "heartbeat-lab-cli: " prefix. */
static char *
tool_error (HbCaptureSession *self)
{
  g_auto(GStrv) lines = g_strsplit (self->stderr_text->str, "\n", -1);
  const char *prefix = "heartbeat-lab-cli: ";

  for (guint i = g_strv_length (lines); i > 0; i--)
    {
      const char *line = g_strstrip (lines[i - 1]);

      if (*line == '\0')
        continue;
      if (g_str_has_prefix (line, prefix))
        line += strlen (prefix);
      return g_strdup (line);
    }
  return NULL;
}

static void
finish_if_done (HbCaptureSession *self)
{
  g_autofree char *said = NULL;
  g_autofree char *text = NULL;

  /* The tool's reason is the last line of its stderr, which may still be
   * on its way when its exit is seen: the whole of it first. */
  if (!self->stdout_done || !self->stderr_done || !self->exited)
    return;
  if (self->state == HB_CAPTURE_SESSION_FAILED)
    return;
  if (self->exit_status == 0 || self->stop_requested)
    {
      set_state (self, HB_CAPTURE_SESSION_STOPPED, self->message);
      return;
    }
  /* Exit status 1 is the tool refusing, with its reason last on stderr;
   * anything else is a crash, and its last line only the banner. */
  said = self->exit_status == 1 ? tool_error (self) : NULL;
  if (said != NULL)
    text = g_strdup (said);
  else
    text = g_strdup_printf (_("The capture tool stopped unexpectedly (exit status %d)."), self->exit_status);
  set_state (self, HB_CAPTURE_SESSION_FAILED, text);
}

static void
on_exited (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(HbCaptureSession) self = user_data;
  GSubprocess *process = G_SUBPROCESS (source);
  g_autoptr(GError) error = NULL;

  /* Cancelled (shutting down, or a new run began): the child may not
   * have been reaped, and its status is not ours to read. */
  if (!g_subprocess_wait_finish (process, result, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (process != self->process)
    return;
  self->exited = TRUE;
  if (g_subprocess_get_if_exited (process))
    self->exit_status = g_subprocess_get_exit_status (process);
  else
    self->exit_status = 128 + g_subprocess_get_term_sig (process);
  finish_if_done (self);
}

/* ---------------------------------------------------------------------- */
/* Public                                                                 */

char *
hb_capture_session_find_cli (void)
{
  const char *env = g_getenv ("HB_CLI");
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  if (exe != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (exe);
      /* Installed side by side; in the build tree, src/gui and src/cli. */
      const char *candidates[] = { "heartbeat-lab-cli", "../cli/heartbeat-lab-cli" };

      for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
        {
          g_autofree char *path = g_build_filename (dir, candidates[i], NULL);

          if (g_file_test (path, G_FILE_TEST_IS_EXECUTABLE))
            return g_canonicalize_filename (path, NULL);
        }
    }
  return g_find_program_in_path ("heartbeat-lab-cli");
}

void
hb_capture_session_start (HbCaptureSession *self,
                          const char       *device)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *cli = NULL;
  g_autofree char *port = NULL;

  g_return_if_fail (HB_IS_CAPTURE_SESSION (self));

  if (hb_capture_session_is_active (self))
    return;

  cli = hb_capture_session_find_cli ();
  if (cli == NULL)
    {
      set_state (self, HB_CAPTURE_SESSION_FAILED,
                 _("Capturing needs heartbeat-lab-cli, which is not installed next to this program or in PATH."));
      return;
    }

  /* A fresh start: the old packets stay with the windows that show them. */
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->process != NULL && !self->exited)
    g_subprocess_force_exit (self->process);
  g_clear_object (&self->process);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->stream, hb_pcap_stream_free);
  g_hash_table_remove_all (self->by_ends);
  g_ptr_array_set_size (self->conversations, 0);
  g_string_truncate (self->stderr_text, 0);
  self->cancellable = g_cancellable_new ();
  self->stream = hb_pcap_stream_new ();
  self->stdout_done = self->stderr_done = self->exited = self->stop_requested = FALSE;
  self->exit_status = 0;
  self->n_packets = self->frame = 0;

  port = g_strdup_printf ("%u", self->port);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  /* Its messages in the user's language; English would do too. */
  self->process = g_subprocess_launcher_spawn (launcher, &error, cli, "capture", "--port", port,
                                               "--interface", device ? device : "lo", "--write", "-", NULL);
  if (self->process == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Could not run %s: %s"), cli, error->message);

      set_state (self, HB_CAPTURE_SESSION_FAILED, text);
      return;
    }

  set_state (self, HB_CAPTURE_SESSION_STARTING, NULL);
  g_input_stream_read_bytes_async (g_subprocess_get_stdout_pipe (self->process), READ_CHUNK, G_PRIORITY_DEFAULT,
                                   self->cancellable, on_stdout_read, g_object_ref (self));
  g_input_stream_read_bytes_async (g_subprocess_get_stderr_pipe (self->process), 4096, G_PRIORITY_DEFAULT,
                                   self->cancellable, on_stderr_read, g_object_ref (self));
  g_subprocess_wait_async (self->process, self->cancellable, on_exited, g_object_ref (self));
}

void
hb_capture_session_stop (HbCaptureSession *self)
{
  g_return_if_fail (HB_IS_CAPTURE_SESSION (self));

  if (!hb_capture_session_is_active (self))
    return;
  self->stop_requested = TRUE;
  /* SIGTERM: the tool writes what it still holds and exits 0. */
  if (!self->exited)
    g_subprocess_send_signal (self->process, SIGTERM);
}

void
hb_capture_session_hold (HbCaptureSession *self)
{
  g_return_if_fail (HB_IS_CAPTURE_SESSION (self));
  self->holders++;
}

void
hb_capture_session_release (HbCaptureSession *self)
{
  g_return_if_fail (HB_IS_CAPTURE_SESSION (self));
  g_return_if_fail (self->holders > 0);
  if (--self->holders == 0)
    hb_capture_session_stop (self);
}

static void
stop_one (gpointer key,
          gpointer value,
          gpointer user_data)
{
  HbCaptureSession *self = value;

  if (self->process != NULL && !self->exited)
    g_subprocess_force_exit (self->process);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
}

void
hb_capture_session_stop_all (void)
{
  if (sessions != NULL)
    g_hash_table_foreach (sessions, stop_one, NULL);
}

HbCaptureSessionState
hb_capture_session_get_state (HbCaptureSession *self)
{
  g_return_val_if_fail (HB_IS_CAPTURE_SESSION (self), HB_CAPTURE_SESSION_IDLE);
  return self->state;
}

gboolean
hb_capture_session_is_active (HbCaptureSession *self)
{
  return self->state == HB_CAPTURE_SESSION_STARTING || self->state == HB_CAPTURE_SESSION_RUNNING;
}

const char *
hb_capture_session_get_message (HbCaptureSession *self)
{
  g_return_val_if_fail (HB_IS_CAPTURE_SESSION (self), NULL);
  return self->message;
}

guint
hb_capture_session_get_port (HbCaptureSession *self)
{
  return self->port;
}

int
hb_capture_session_get_linktype (HbCaptureSession *self)
{
  return self->stream ? hb_pcap_stream_get_linktype (self->stream) : -1;
}

GPtrArray *
hb_capture_session_get_conversations (HbCaptureSession *self)
{
  return self->conversations;
}

/* "::ffff:127.0.0.1" (an IPv4 peer of a dual-stack socket) as captured. */
static const char *
plain_address (const char *address)
{
  return address && g_str_has_prefix (address, "::ffff:") && strchr (address + 7, '.') ? address + 7 : address;
}

void
hb_capture_session_set_lab_patterns (HbCaptureSession *self,
                                     GBytes           *heartbeat,
                                     GBytes           *ack)
{
  g_return_if_fail (HB_IS_CAPTURE_SESSION (self));

  hb_bytes_set (&self->heartbeat, heartbeat);
  hb_bytes_set (&self->ack, ack);
  /* The connections already seen speak them too. */
  for (guint i = 0; i < self->conversations->len; i++)
    hb_conversation_set_lab_patterns (self->conversations->pdata[i], heartbeat, ack);
}

HbConversation *
hb_capture_session_find (HbCaptureSession *self,
                         const char       *client_address,
                         guint             client_port,
                         const char       *server_address,
                         guint             server_port)
{
  g_autofree char *key = ends_key (plain_address (client_address), client_port,
                                   plain_address (server_address), server_port);

  g_return_val_if_fail (HB_IS_CAPTURE_SESSION (self), NULL);
  return g_hash_table_lookup (self->by_ends, key);
}

static int
by_frame (gconstpointer a,
          gconstpointer b)
{
  const HbPacket *pa = *(HbPacket **) a, *pb = *(HbPacket **) b;

  return pa->frame < pb->frame ? -1 : pa->frame > pb->frame;
}

gboolean
hb_capture_session_write (HbCaptureSession  *self,
                          const char        *path,
                          GError           **error)
{
  g_autoptr(GPtrArray) all = g_ptr_array_new ();

  g_return_val_if_fail (HB_IS_CAPTURE_SESSION (self), FALSE);

  for (guint c = 0; c < self->conversations->len; c++)
    {
      GPtrArray *packets = hb_conversation_get_packets (self->conversations->pdata[c]);

      for (guint i = 0; i < packets->len; i++)
        g_ptr_array_add (all, packets->pdata[i]);
    }
  if (all->len == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           _("Nothing has been captured yet: press Capture, then let clients connect."));
      return FALSE;
    }
  g_ptr_array_sort (all, by_frame);
  return hb_capture_writer_save_packets (path, hb_capture_session_get_linktype (self), all, error);
}

/* ---------------------------------------------------------------------- */
/* GObject                                                                */

HbCaptureSession *
hb_capture_session_get_for_port (guint port)
{
  HbCaptureSession *self;

  if (sessions == NULL)
    sessions = g_hash_table_new (NULL, NULL);
  self = g_hash_table_lookup (sessions, GUINT_TO_POINTER (port));
  if (self != NULL)
    return g_object_ref (self);
  self = g_object_new (HB_TYPE_CAPTURE_SESSION, NULL);
  self->port = port;
  g_hash_table_insert (sessions, GUINT_TO_POINTER (port), self);
  return self;
}

static void
hb_capture_session_dispose (GObject *object)
{
  HbCaptureSession *self = HB_CAPTURE_SESSION (object);

  if (sessions != NULL && g_hash_table_lookup (sessions, GUINT_TO_POINTER (self->port)) == self)
    g_hash_table_remove (sessions, GUINT_TO_POINTER (self->port));
  /* Pending reads hold a reference, so a running helper cannot get here;
   * make sure of it all the same. */
  if (self->process != NULL && !self->exited)
    g_subprocess_force_exit (self->process);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->process);
  G_OBJECT_CLASS (hb_capture_session_parent_class)->dispose (object);
}

static void
hb_capture_session_finalize (GObject *object)
{
  HbCaptureSession *self = HB_CAPTURE_SESSION (object);

  g_clear_pointer (&self->stream, hb_pcap_stream_free);
  g_hash_table_unref (self->by_ends);
  g_ptr_array_unref (self->conversations);
  g_clear_pointer (&self->heartbeat, g_bytes_unref);
  g_clear_pointer (&self->ack, g_bytes_unref);
  g_string_free (self->stderr_text, TRUE);
  g_free (self->message);
  G_OBJECT_CLASS (hb_capture_session_parent_class)->finalize (object);
}

static void
hb_capture_session_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  HbCaptureSession *self = HB_CAPTURE_SESSION (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;
    case PROP_MESSAGE:
      g_value_set_string (value, self->message);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hb_capture_session_class_init (HbCaptureSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hb_capture_session_dispose;
  object_class->finalize = hb_capture_session_finalize;
  object_class->get_property = hb_capture_session_get_property;

  properties[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL, HB_CAPTURE_SESSION_IDLE, HB_CAPTURE_SESSION_FAILED,
                      HB_CAPTURE_SESSION_IDLE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_MESSAGE] =
    g_param_spec_string ("message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * HbCaptureSession::packet:
   * @packet: the analysed segment
   * @conversation: the conversation it belongs to
   */
  signals[PACKET] = g_signal_new ("packet", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                  G_TYPE_NONE, 2, HB_TYPE_PACKET, HB_TYPE_CONVERSATION);
}

static void
hb_capture_session_init (HbCaptureSession *self)
{
  self->conversations = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_ends = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->stderr_text = g_string_new (NULL);
}
