/* hb-capture-writer.c - writes frames as a classic pcap file that Wireshark opens
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libpcap writes classic pcap only (CAPTURE.md); a dead handle of the
 * right link type gives the file header. We open the FILE ourselves so
 * that a failure to open says why in errno terms, and so that a memory
 * stream works the same way.
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <pcap/pcap.h>

#include "hb-capture-writer.h"
#include "hb-packet.h"

struct _HbCaptureWriter
{
  pcap_t        *pcap;
  pcap_dumper_t *dumper;
  FILE          *file;       /* owned by the dumper */
  char          *name;       /* for messages */
  char          *buffer;     /* memory writer */
  size_t         size;
  gboolean       memory;
  guint          n_frames;
};

/* Takes ownership of @file, and frees @self on failure. */
static HbCaptureWriter *
writer_open (HbCaptureWriter  *self,
             FILE             *file,
             int               linktype,
             GError          **error)
{
  self->pcap = pcap_open_dead (linktype, HB_CAPTURE_WRITER_SNAPLEN);
  if (self->pcap == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("Cannot write link type %d"), linktype);
      fclose (file);
      hb_capture_writer_free (self);
      return NULL;
    }

  self->file = file;
  self->dumper = pcap_dump_fopen (self->pcap, file);
  if (self->dumper == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Cannot write %s: %s"),
                   self->name, pcap_geterr (self->pcap));
      fclose (file);
      self->file = NULL;
      hb_capture_writer_free (self);
      return NULL;
    }
  return self;
}

HbCaptureWriter *
hb_capture_writer_new (const char  *path,
                       int          linktype,
                       GError     **error)
{
  HbCaptureWriter *self;
  FILE *file;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  file = g_fopen (path, "wb");
  if (file == NULL)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot write %s: %s"), path, g_strerror (saved));
      return NULL;
    }
  self = g_new0 (HbCaptureWriter, 1);
  self->name = g_strdup (path);
  return writer_open (self, file, linktype, error);
}

HbCaptureWriter *
hb_capture_writer_new_memory (int      linktype,
                              GError **error)
{
  HbCaptureWriter *self;
  FILE *file;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_new0 (HbCaptureWriter, 1);
  self->name = g_strdup (_("memory"));
  self->memory = TRUE;
  /* The stream updates buffer and size through these pointers. */
  file = open_memstream (&self->buffer, &self->size);
  if (file == NULL)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot open a memory stream: %s"), g_strerror (saved));
      hb_capture_writer_free (self);
      return NULL;
    }
  return writer_open (self, file, linktype, error);
}

void
hb_capture_writer_write (HbCaptureWriter *self,
                         gint64           time_us,
                         const guint8    *data,
                         gsize            caplen,
                         gsize            origlen)
{
  struct pcap_pkthdr header = { 0 };
  gint64 sec, usec;

  g_return_if_fail (self != NULL);
  g_return_if_fail (data != NULL || caplen == 0);
  g_return_if_fail (self->dumper != NULL);

  /* Floor division, so that times before 1970 still count forwards. */
  sec = time_us / G_USEC_PER_SEC;
  usec = time_us % G_USEC_PER_SEC;
  if (usec < 0)
    {
      sec--;
      usec += G_USEC_PER_SEC;
    }
  header.ts.tv_sec = (time_t) sec;
  header.ts.tv_usec = (suseconds_t) usec;
  header.caplen = (bpf_u_int32) MIN (caplen, HB_CAPTURE_WRITER_SNAPLEN);
  header.len = (bpf_u_int32) MIN (MAX (origlen, caplen), G_MAXUINT32);
  pcap_dump ((u_char *) self->dumper, &header, data);
  self->n_frames++;
}

gboolean
hb_capture_writer_save_packets (const char  *path,
                                int          linktype,
                                GPtrArray   *packets,
                                GError     **error)
{
  g_autoptr(HbCaptureWriter) writer = hb_capture_writer_new (path, linktype, error);

  if (writer == NULL)
    return FALSE;
  for (guint i = 0; i < packets->len; i++)
    {
      HbPacket *packet = packets->pdata[i];
      gsize len = 0;
      const guint8 *data = packet->data ? g_bytes_get_data (packet->data, &len) : NULL;

      hb_capture_writer_write (writer, packet->time_us, data, len, packet->origlen);
    }
  return hb_capture_writer_close (writer, NULL, error);
}

guint
hb_capture_writer_get_n_frames (HbCaptureWriter *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_frames;
}

gboolean
hb_capture_writer_close (HbCaptureWriter  *self,
                         GBytes          **bytes,
                         GError          **error)
{
  gboolean ok;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (bytes != NULL)
    *bytes = NULL;
  if (self->dumper == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED, _("%s is already closed"), self->name);
      return FALSE;
    }

  ok = pcap_dump_flush (self->dumper) == 0 && !ferror (self->file);
  pcap_dump_close (self->dumper);
  self->dumper = NULL;
  self->file = NULL;
  if (!ok)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Cannot write %s: %s"),
                   self->name, g_strerror (errno));
      return FALSE;
    }

  if (self->memory && bytes != NULL)
    {
      *bytes = g_bytes_new_with_free_func (self->buffer, self->size, free, self->buffer);
      self->buffer = NULL;
      self->size = 0;
    }
  return TRUE;
}

void
hb_capture_writer_free (HbCaptureWriter *self)
{
  if (self == NULL)
    return;

  if (self->dumper != NULL)
    pcap_dump_close (self->dumper);
  g_clear_pointer (&self->pcap, pcap_close);
  free (self->buffer);
  g_free (self->name);
  g_free (self);
}
