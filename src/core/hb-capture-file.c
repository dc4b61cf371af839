/* hb-capture-file.c - the TCP segments of a pcap or pcapng file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libpcap reads pcap; pcapng, whose interfaces may each have a link type
 * of their own (which libpcap refuses), is read by hb-pcapng.c, and each
 * frame keeps its interface's link type. We look at the magic number first
 * so that "this is not a capture file" is told apart from "this capture
 * file is damaged", which libpcap words the same way. A file that breaks
 * off keeps the frames read before the break.
 *
 * A file of a few hundred thousand frames takes a second or more to read
 * and analyse: hb_capture_file_load_async() does it in a thread of its
 * own, at a lower priority than the window's (on two cores shared with
 * Xvfb and a compiler, the main loop otherwise waited up to 150 ms for a
 * core now and then). The object belongs to that thread until the
 * callback; only its progress (an atomic) and the cancellable cross over.
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <pcap/pcap.h>

#include "hb-capture-file.h"
#include "hb-conversation.h"
#include "hb-pcapng.h"

struct _HbCaptureFile
{
  GObject    parent_instance;
  guint      server_port;    /* 0: unknown */

  int        linktype;
  guint      n_frames;
  guint      n_unsupported;   /* frames of a link type we cannot parse */
  int        unsupported;     /* the first such link type */
  guint      n_not_tcp;
  guint      n_dropped_notes;
  gint64     start_time;
  GPtrArray *packets;
  GPtrArray *notes;
  GPtrArray *conversations;   /* lazily */
  GBytes    *heartbeat;       /* NULL: the lab's default */
  GBytes    *ack;

  /* While a load reads: */
  FILE         *stream;
  gint64        size;         /* of the file, for the progress; 0: unknown */
  GCancellable *cancellable;
  int           progress;     /* per mille of the file read; atomic */
};

/* How often (in frames) a load looks at its cancellable and says how far
 * it got: a few times a millisecond. */
#define CHECK_EVERY 1024

G_DEFINE_QUARK (hb-capture-file-error-quark, hb_capture_file_error)

G_DEFINE_FINAL_TYPE (HbCaptureFile, hb_capture_file, G_TYPE_OBJECT)

static void
hb_capture_file_finalize (GObject *object)
{
  HbCaptureFile *self = HB_CAPTURE_FILE (object);

  g_clear_pointer (&self->conversations, g_ptr_array_unref);
  g_clear_pointer (&self->packets, g_ptr_array_unref);
  g_clear_pointer (&self->notes, g_ptr_array_unref);
  g_clear_pointer (&self->heartbeat, g_bytes_unref);
  g_clear_pointer (&self->ack, g_bytes_unref);
  G_OBJECT_CLASS (hb_capture_file_parent_class)->finalize (object);
}

static void
hb_capture_file_class_init (HbCaptureFileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = hb_capture_file_finalize;
}

static void
reset (HbCaptureFile *self)
{
  g_clear_pointer (&self->conversations, g_ptr_array_unref);
  g_clear_pointer (&self->packets, g_ptr_array_unref);
  g_clear_pointer (&self->notes, g_ptr_array_unref);
  self->packets = g_ptr_array_new_with_free_func ((GDestroyNotify) hb_packet_unref);
  self->notes = g_ptr_array_new_with_free_func (g_free);
  self->linktype = -1;
  self->n_frames = 0;
  self->n_unsupported = 0;
  self->unsupported = -1;
  self->n_not_tcp = 0;
  self->n_dropped_notes = 0;
  self->start_time = 0;
}

static void
hb_capture_file_init (HbCaptureFile *self)
{
  reset (self);
}

HbCaptureFile *
hb_capture_file_new (void)
{
  return g_object_new (HB_TYPE_CAPTURE_FILE, NULL);
}

void
hb_capture_file_set_server_port (HbCaptureFile *self,
                                 guint          port)
{
  g_return_if_fail (HB_IS_CAPTURE_FILE (self));
  self->server_port = port;
}

void
hb_capture_file_set_lab_patterns (HbCaptureFile *self,
                                  GBytes        *heartbeat,
                                  GBytes        *ack)
{
  g_return_if_fail (HB_IS_CAPTURE_FILE (self));

  hb_bytes_set (&self->heartbeat, heartbeat);
  hb_bytes_set (&self->ack, ack);
}

static void
add_note (HbCaptureFile *self,
          guint          frame,
          const char    *text)
{
  if (self->notes->len >= HB_CAPTURE_FILE_MAX_NOTES)
    {
      self->n_dropped_notes++;
      return;
    }
  /* Translators: a remark on one frame of a capture file. */
  g_ptr_array_add (self->notes, g_strdup_printf (_("frame %u: %s"), frame, text));
}

static void
finish_notes (HbCaptureFile *self)
{
  if (self->n_dropped_notes > 0)
    g_ptr_array_add (self->notes,
                     g_strdup_printf (ngettext ("and %u more frame with a problem",
                                                "and %u more frames with a problem",
                                                self->n_dropped_notes),
                                      self->n_dropped_notes));
}

/* The packets' relative numbers, windows and phases are there as soon as
 * the file is read. */
static void
finish (HbCaptureFile *self)
{
  finish_notes (self);
  self->conversations = hb_conversation_split_full (self->packets, self->heartbeat, self->ack, self->server_port);
}

static gboolean
magic_is_known (const guint8 magic[4])
{
  static const guint8 known[][4] = {
    { 0xa1, 0xb2, 0xc3, 0xd4 },  /* pcap, µs */
    { 0xd4, 0xc3, 0xb2, 0xa1 },
    { 0xa1, 0xb2, 0x3c, 0x4d },  /* pcap, ns */
    { 0x4d, 0x3c, 0xb2, 0xa1 },
    { 0xa1, 0xb2, 0xcd, 0x34 },  /* Kuznetzov's modified pcap */
    { 0x34, 0xcd, 0xb2, 0xa1 },
    { 0x0a, 0x0d, 0x0d, 0x0a },  /* pcapng section header block */
  };

  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    if (memcmp (magic, known[i], 4) == 0)
      return TRUE;
  return FALSE;
}

static gint64
timestamp_us (const struct timeval *tv)
{
  /* pcapng can carry times that do not fit in µs since the epoch. */
  const gint64 limit = G_MAXINT64 / G_USEC_PER_SEC - 1;
  gint64 sec = CLAMP ((gint64) tv->tv_sec, -limit, limit);

  /* Opened with nanosecond precision: tv_usec holds ns. */
  return sec * G_USEC_PER_SEC + CLAMP ((gint64) tv->tv_usec, 0, 999999999) / 1000;
}

#define UNSUPPORTED_MESSAGE _("%s has link type %d (%s), which cannot be read here; supported are " \
                              "Ethernet, Linux cooked (SLL and SLL2), BSD and Windows loopback (NULL, LOOP) " \
                              "and raw IP")

/* One frame of the file, in file order. */
static gboolean
add_frame (const HbPcapngFrame *frame,
           gpointer             user_data)
{
  HbCaptureFile *self = user_data;
  g_autoptr(HbPacket) packet = NULL;
  g_autoptr(GError) local_error = NULL;
  guint number = ++self->n_frames;

  if (number == 1)
    self->start_time = frame->time_us;
  if (number % CHECK_EVERY == 0)
    {
      if (g_cancellable_is_cancelled (self->cancellable))
        return FALSE;
      if (self->size > 0)
        {
          long at = ftell (self->stream);

          if (at > 0)
            g_atomic_int_set (&self->progress, (int) MIN (999, (gint64) at * 1000 / self->size));
        }
    }
  if (!hb_packet_linktype_is_supported (frame->linktype))
    {
      /* Another interface of a pcapng file may have one we read. */
      if (self->unsupported < 0)
        self->unsupported = frame->linktype;
      self->n_unsupported++;
      self->n_not_tcp++;
      return self->n_frames != G_MAXUINT;
    }
  packet = hb_packet_new ();
  if (!hb_packet_parse (frame->data, frame->caplen, frame->origlen, frame->linktype, packet, &local_error))
    {
      if (g_error_matches (local_error, HB_PACKET_ERROR, HB_PACKET_ERROR_NOT_TCP))
        self->n_not_tcp++;
      else
        add_note (self, number, local_error->message);
      return self->n_frames != G_MAXUINT;
    }

  packet->frame = number;
  packet->time_us = frame->time_us;
  packet->time_ns_rem = frame->time_ns_rem;
  if (packet->warning != NULL)
    add_note (self, number, packet->warning);
  g_ptr_array_add (self->packets, g_steal_pointer (&packet));
  return self->n_frames != G_MAXUINT;
}

/* A load stopped by its cancellable keeps nothing. */
static gboolean
stop_if_cancelled (HbCaptureFile  *self,
                   GError        **error)
{
  if (!g_cancellable_is_cancelled (self->cancellable))
    return FALSE;
  reset (self);
  g_cancellable_set_error_if_cancelled (self->cancellable, error);
  return TRUE;
}

static gboolean
load_pcapng (HbCaptureFile  *self,
             FILE           *file,
             const char     *name,
             GError        **error)
{
  g_autoptr(GError) local_error = NULL;
  gboolean ok = hb_pcapng_read (file, name, add_frame, self, &self->linktype, &local_error);

  fclose (file);
  self->stream = NULL;
  if (stop_if_cancelled (self, error))
    return FALSE;
  if (!ok && !g_error_matches (local_error, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_TRUNCATED))
    {
      reset (self);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  /* Nothing of it can be read: say why, as for a pcap file. */
  if (self->n_unsupported > 0 && self->n_unsupported == self->n_frames && local_error == NULL)
    {
      const char *link_name = pcap_datalink_val_to_name (self->unsupported);
      int unsupported = self->unsupported;

      reset (self);
      g_set_error (error, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_UNSUPPORTED_LINKTYPE,
                   UNSUPPORTED_MESSAGE, name, unsupported, link_name ? link_name : _("unknown"));
      return FALSE;
    }
  finish (self);
  if (!ok)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return ok;
}

/* Takes ownership of @file. */
static gboolean
load_stream (HbCaptureFile  *self,
             FILE           *file,
             const char     *name,
             GError        **error)
{
  static const guint8 pcapng_magic[4] = { 0x0a, 0x0d, 0x0d, 0x0a };
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  guint8 magic[4];
  struct pcap_pkthdr *header;
  const u_char *bytes;
  size_t got;
  pcap_t *pcap;
  int status;

  reset (self);
  self->stream = file;
  {
    struct stat st;

    self->size = fstat (fileno (file), &st) == 0 && S_ISREG (st.st_mode) ? (gint64) st.st_size : 0;
  }

  got = fread (magic, 1, sizeof magic, file);
  if (got < sizeof magic || !magic_is_known (magic))
    {
      if (got == 0 && !ferror (file))
        g_set_error (error, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_NOT_CAPTURE,
                     _("%s is empty"), name);
      else
        g_set_error (error, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_NOT_CAPTURE,
                     _("%s is not a capture file (it starts with neither the pcap nor the pcapng signature)"),
                     name);
      fclose (file);
      self->stream = NULL;
      return FALSE;
    }
  if (fseek (file, 0, SEEK_SET) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot read %s: %s"), name, g_strerror (saved));
      fclose (file);
      self->stream = NULL;
      return FALSE;
    }
  if (memcmp (magic, pcapng_magic, 4) == 0)
    return load_pcapng (self, file, name, error);

  pcap = pcap_fopen_offline_with_tstamp_precision (file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (pcap == NULL)
    {
      /* libpcap leaves the stream to us when it fails. */
      fclose (file);
      self->stream = NULL;
      g_set_error (error, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_DAMAGED,
                   _("%s has a damaged file header: %s"), name, errbuf);
      return FALSE;
    }

  self->linktype = pcap_datalink (pcap);
  if (!hb_packet_linktype_is_supported (self->linktype))
    {
      const char *link_name = pcap_datalink_val_to_name (self->linktype);

      g_set_error (error, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_UNSUPPORTED_LINKTYPE,
                   UNSUPPORTED_MESSAGE, name, self->linktype, link_name ? link_name : _("unknown"));
      pcap_close (pcap);
      self->stream = NULL;
      return FALSE;
    }

  while ((status = pcap_next_ex (pcap, &header, &bytes)) == 1)
    {
      /* Read in ns (tv_usec holds them): Wireshark's analysis compares times in ns. */
      HbPcapngFrame frame = { bytes, header->caplen, header->len, self->linktype,
                              timestamp_us (&header->ts), (guint16) (CLAMP (header->ts.tv_usec, 0, 999999999) % 1000) };

      if (!add_frame (&frame, self))
        break;
    }

  if (stop_if_cancelled (self, error))
    {
      pcap_close (pcap);
      self->stream = NULL;
      return FALSE;
    }
  if (status == PCAP_ERROR)
    {
      g_set_error (error, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_TRUNCATED,
                   ngettext ("%s is cut short or damaged after %u frame (kept): %s",
                             "%s is cut short or damaged after %u frames (kept): %s",
                             self->n_frames),
                   name, self->n_frames, pcap_geterr (pcap));
      pcap_close (pcap);
      self->stream = NULL;
      finish (self);
      return FALSE;
    }

  pcap_close (pcap);
  self->stream = NULL;
  finish (self);
  return TRUE;
}

/* Opens @path for reading; @name gets the file's name for messages. */
static FILE *
open_file (HbCaptureFile  *self,
           const char     *path,
           char          **name,
           GError        **error)
{
  g_autofree char *display = g_filename_display_name (path);
  FILE *file;

  /* Translators: a file name in messages such as "%s is empty". */
  *name = g_strdup_printf (_("“%s”"), display);
  file = g_fopen (path, "rb");
  if (file == NULL)
    {
      int saved = errno;

      reset (self);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot open %s: %s"), *name, g_strerror (saved));
    }
  return file;
}

gboolean
hb_capture_file_load (HbCaptureFile  *self,
                      const char     *path,
                      GError        **error)
{
  g_autofree char *name = NULL;
  FILE *file;

  g_return_val_if_fail (HB_IS_CAPTURE_FILE (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  file = open_file (self, path, &name, error);
  if (file == NULL)
    return FALSE;
  return load_stream (self, file, name, error);
}

typedef struct
{
  FILE *file;
  char *name;
} LoadData;

static void
load_data_free (LoadData *data)
{
  if (data->file != NULL)
    fclose (data->file);
  g_free (data->name);
  g_free (data);
}

/* Runs in a thread of its own, which ends with the load: a thread of
 * GTask's pool, given a lower priority, could not get it back (lowering
 * one's nice value needs a privilege) and would keep it for other tasks. */
static gpointer
load_thread (gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  HbCaptureFile *self = g_task_get_source_object (task);
  LoadData *data = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;
  gboolean ok;

#ifdef SYS_gettid
  {
    /* Linux gives each thread its own nice value. */
    id_t tid = (id_t) syscall (SYS_gettid);

    setpriority (PRIO_PROCESS, tid, MIN (getpriority (PRIO_PROCESS, tid) + 10, 19));
  }
#endif
  self->cancellable = cancellable;
  ok = load_stream (self, g_steal_pointer (&data->file), data->name, &error);
  /* Cancelled while the conversations were split: nothing kept either. */
  if (ok && g_cancellable_is_cancelled (cancellable))
    {
      reset (self);
      g_cancellable_set_error_if_cancelled (cancellable, &error);
      ok = FALSE;
    }
  self->cancellable = NULL;
  g_atomic_int_set (&self->progress, 1000);
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
  return NULL;
}

void
hb_capture_file_load_async (HbCaptureFile       *self,
                            const char          *path,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  LoadData *data;

  g_return_if_fail (HB_IS_CAPTURE_FILE (self));
  g_return_if_fail (path != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hb_capture_file_load_async);
  g_atomic_int_set (&self->progress, 0);
  data = g_new0 (LoadData, 1);
  g_task_set_task_data (task, data, (GDestroyNotify) load_data_free);
  /* Opened here, so that the file may be removed as soon as this returns. */
  data->file = open_file (self, path, &data->name, &error);
  if (data->file == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_thread_unref (g_thread_new ("hb-capture-load", load_thread, g_steal_pointer (&task)));
}

gboolean
hb_capture_file_load_finish (HbCaptureFile  *self,
                             GAsyncResult   *result,
                             GError        **error)
{
  g_return_val_if_fail (HB_IS_CAPTURE_FILE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

double
hb_capture_file_get_progress (HbCaptureFile *self)
{
  g_return_val_if_fail (HB_IS_CAPTURE_FILE (self), 0);
  return g_atomic_int_get (&self->progress) / 1000.0;
}

gboolean
hb_capture_file_load_bytes (HbCaptureFile  *self,
                            GBytes         *bytes,
                            GError        **error)
{
  const char *name = _("the capture data");
  gconstpointer data;
  gsize size;
  FILE *file;

  g_return_val_if_fail (HB_IS_CAPTURE_FILE (self), FALSE);
  g_return_val_if_fail (bytes != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  data = g_bytes_get_data (bytes, &size);
  if (size == 0)
    {
      reset (self);
      g_set_error (error, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_NOT_CAPTURE,
                   _("%s is empty"), name);
      return FALSE;
    }
  /* Opened for reading only: fmemopen() will not write through the cast. */
  file = fmemopen ((void *) data, size, "rb");
  if (file == NULL)
    {
      int saved = errno;

      reset (self);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot read %s: %s"), name, g_strerror (saved));
      return FALSE;
    }
  return load_stream (self, file, name, error);
}

int
hb_capture_file_get_linktype (HbCaptureFile *self)
{
  g_return_val_if_fail (HB_IS_CAPTURE_FILE (self), -1);
  return self->linktype;
}

guint
hb_capture_file_get_n_frames (HbCaptureFile *self)
{
  g_return_val_if_fail (HB_IS_CAPTURE_FILE (self), 0);
  return self->n_frames;
}

GPtrArray *
hb_capture_file_get_packets (HbCaptureFile *self)
{
  g_return_val_if_fail (HB_IS_CAPTURE_FILE (self), NULL);
  return self->packets;
}

GPtrArray *
hb_capture_file_get_notes (HbCaptureFile *self)
{
  g_return_val_if_fail (HB_IS_CAPTURE_FILE (self), NULL);
  return self->notes;
}

guint
hb_capture_file_get_n_not_tcp (HbCaptureFile *self)
{
  g_return_val_if_fail (HB_IS_CAPTURE_FILE (self), 0);
  return self->n_not_tcp;
}

GPtrArray *
hb_capture_file_get_conversations (HbCaptureFile *self)
{
  g_return_val_if_fail (HB_IS_CAPTURE_FILE (self), NULL);

  /* Before loading, or after a load that failed early. */
  if (self->conversations == NULL)
    self->conversations = hb_conversation_split_full (self->packets, self->heartbeat, self->ack, self->server_port);
  return self->conversations;
}

gint64
hb_capture_file_get_start_time (HbCaptureFile *self)
{
  g_return_val_if_fail (HB_IS_CAPTURE_FILE (self), 0);
  return self->start_time;
}
