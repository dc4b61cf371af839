/* hb-live-capture.c - live packet capture with libpcap, inside the GLib main loop
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Follows CAPTURE.md: immediate mode (0.2 ms worst delay instead of
 * ~730 ms), a filter on the real port, a non-blocking handle whose
 * selectable fd is watched by the main loop, and a drain with
 * pcap_dispatch() until it returns 0. The permission error is recognised
 * by its status code, not its text, which libpcap 1.10.2–1.10.5 garble.
 */

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <pcap/pcap.h>

#include "hb-live-capture.h"

struct _HbLiveCapture
{
  GObject        parent_instance;
  char          *device;
  guint          port;
  pcap_t        *pcap;
  pcap_dumper_t *dumper;
  guint          watch_id;
  guint64        n_frames;
};

enum {
  FRAME,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (HbLiveCapture, hb_live_capture, G_TYPE_OBJECT)

static void
on_packet (u_char                   *user,
           const struct pcap_pkthdr *header,
           const u_char             *bytes)
{
  HbLiveCapture *self = (HbLiveCapture *) user;
  g_autoptr(GBytes) data = g_bytes_new (bytes, header->caplen);
  gint64 time_us = (gint64) header->ts.tv_sec * G_USEC_PER_SEC + header->ts.tv_usec;

  self->n_frames++;
  if (self->dumper != NULL)
    pcap_dump ((u_char *) self->dumper, header, bytes);
  g_signal_emit (self, signals[FRAME], 0, time_us, data, (guint) header->len);
}

static gboolean
on_readable (int          fd,
             GIOCondition condition,
             gpointer     user_data)
{
  HbLiveCapture *self = user_data;
  int n;

  g_object_ref (self);
  /* Drain: a burst of segments arrives as one wake-up. */
  do
    n = self->pcap ? pcap_dispatch (self->pcap, 64, on_packet, (u_char *) self) : 0;
  while (n > 0 && self->pcap != NULL);
  if (self->dumper != NULL)
    pcap_dump_flush (self->dumper);
  if (n == PCAP_ERROR && self->pcap != NULL)
    {
      g_warning ("capture on %s stopped: %s", self->device, pcap_geterr (self->pcap));
      self->watch_id = 0;
      hb_live_capture_stop (self);
      g_object_unref (self);
      return G_SOURCE_REMOVE;
    }
  g_object_unref (self);
  return G_SOURCE_CONTINUE;
}

static void
hb_live_capture_dispose (GObject *object)
{
  hb_live_capture_stop (HB_LIVE_CAPTURE (object));
  G_OBJECT_CLASS (hb_live_capture_parent_class)->dispose (object);
}

static void
hb_live_capture_finalize (GObject *object)
{
  g_free (HB_LIVE_CAPTURE (object)->device);
  G_OBJECT_CLASS (hb_live_capture_parent_class)->finalize (object);
}

static void
hb_live_capture_class_init (HbLiveCaptureClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hb_live_capture_dispose;
  object_class->finalize = hb_live_capture_finalize;

  /**
   * HbLiveCapture::frame:
   * @time_us: the kernel's timestamp, µs since the epoch
   * @data: the captured bytes (at most the snapshot length)
   * @original_length: the frame's length on the wire
   */
  signals[FRAME] =
    g_signal_new ("frame", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_INT64, G_TYPE_BYTES, G_TYPE_UINT);
}

static void
hb_live_capture_init (HbLiveCapture *self)
{
}

HbLiveCapture *
hb_live_capture_new (const char *device,
                     guint       port)
{
  HbLiveCapture *self = g_object_new (HB_TYPE_LIVE_CAPTURE, NULL);

  self->device = g_strdup (device ? device : "lo");
  self->port = port;
  return self;
}

char *
hb_live_capture_grant_command (const char *program)
{
  g_autofree char *path = program && g_path_is_absolute (program) ? g_strdup (program)
                                                                 : g_find_program_in_path (program ? program : "heartbeat-lab-cli");

  return g_strdup_printf ("sudo setcap cap_net_raw,cap_net_admin+eip %s",
                          path ? path : (program ? program : "heartbeat-lab-cli"));
}

static gboolean
fail (HbLiveCapture  *self,
      int             status,
      const char     *step,
      GError        **error)
{
  if (status == PCAP_ERROR_PERM_DENIED)
    {
      /* Name the binary that runs, wherever it is installed. */
      g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
      g_autofree char *grant = hb_live_capture_grant_command (self_exe ? self_exe : "heartbeat-lab-cli");

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   _("Capturing packets on %s needs a privilege this program does not have. "
                     "To grant it once: %s"), self->device, grant);
    }
  else if (status == PCAP_ERROR_NO_SUCH_DEVICE)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 _("There is no network interface called “%s”"), self->device);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Capture on %s failed at %s: %s"),
                 self->device, step, self->pcap ? pcap_geterr (self->pcap) : pcap_statustostr (status));
  g_clear_pointer (&self->pcap, pcap_close);
  return FALSE;
}

gboolean
hb_live_capture_start (HbLiveCapture  *self,
                       const char     *save_path,
                       GError        **error)
{
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  struct bpf_program filter;
  g_autofree char *expr = NULL;
  int status;

  g_return_val_if_fail (HB_IS_LIVE_CAPTURE (self), FALSE);

  if (self->pcap != NULL)
    return TRUE;

  self->pcap = pcap_create (self->device, errbuf);
  if (self->pcap == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Capture on %s failed: %s"), self->device, errbuf);
      return FALSE;
    }
  pcap_set_snaplen (self->pcap, 65535);
  pcap_set_promisc (self->pcap, 0);
  pcap_set_immediate_mode (self->pcap, 1);
  status = pcap_activate (self->pcap);
  if (status < 0)
    return fail (self, status, "activate", error);

  expr = g_strdup_printf ("tcp port %u", self->port);
  if (pcap_compile (self->pcap, &filter, expr, 1, PCAP_NETMASK_UNKNOWN) < 0)
    return fail (self, PCAP_ERROR, "compile", error);
  status = pcap_setfilter (self->pcap, &filter);
  pcap_freecode (&filter);
  if (status < 0)
    return fail (self, status, "setfilter", error);
  if (pcap_setnonblock (self->pcap, 1, errbuf) < 0)
    return fail (self, PCAP_ERROR, "setnonblock", error);

  if (save_path != NULL)
    {
      self->dumper = g_strcmp0 (save_path, "-") == 0 ? pcap_dump_fopen (self->pcap, stdout)
                                                      : pcap_dump_open (self->pcap, save_path);
      if (self->dumper == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Cannot write %s: %s"),
                       save_path, pcap_geterr (self->pcap));
          g_clear_pointer (&self->pcap, pcap_close);
          return FALSE;
        }
      /* The file header now, not with the first frame: a reader of the
       * stream learns that the filter is in place and capturing began. */
      pcap_dump_flush (self->dumper);
    }

  self->watch_id = g_unix_fd_add (pcap_get_selectable_fd (self->pcap), G_IO_IN, on_readable, self);
  return TRUE;
}

void
hb_live_capture_stop (HbLiveCapture *self)
{
  g_return_if_fail (HB_IS_LIVE_CAPTURE (self));

  g_clear_handle_id (&self->watch_id, g_source_remove);
  if (self->pcap != NULL)
    {
      /* Frames already in the buffer still belong to the record. */
      while (pcap_dispatch (self->pcap, 64, on_packet, (u_char *) self) > 0)
        ;
    }
  if (self->dumper != NULL)
    {
      pcap_dump_flush (self->dumper);
      /* Standard output is not ours to close. */
      if (pcap_dump_file (self->dumper) != stdout)
        pcap_dump_close (self->dumper);
      self->dumper = NULL;
    }
  g_clear_pointer (&self->pcap, pcap_close);
}

int
hb_live_capture_get_linktype (HbLiveCapture *self)
{
  g_return_val_if_fail (HB_IS_LIVE_CAPTURE (self), -1);
  return self->pcap ? pcap_datalink (self->pcap) : -1;
}

guint64
hb_live_capture_get_n_frames (HbLiveCapture *self)
{
  g_return_val_if_fail (HB_IS_LIVE_CAPTURE (self), 0);
  return self->n_frames;
}
