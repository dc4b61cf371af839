/* hb-pcap-stream.c - frames of a classic pcap file read as it arrives, from a pipe
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "hb-capture-file.h"
#include "hb-pcap-stream.h"

#define FILE_HEADER_LEN   24
#define RECORD_HEADER_LEN 16

struct _HbPcapStream
{
  GByteArray *pending;     /* an incomplete header or record */
  int         linktype;
  gboolean    swapped;
  gboolean    nanoseconds;
  gboolean    failed;
  gboolean    have_header;
};

HbPcapStream *
hb_pcap_stream_new (void)
{
  HbPcapStream *self = g_new0 (HbPcapStream, 1);

  self->pending = g_byte_array_new ();
  self->linktype = -1;
  return self;
}

void
hb_pcap_stream_free (HbPcapStream *self)
{
  if (self == NULL)
    return;
  g_byte_array_unref (self->pending);
  g_free (self);
}

static guint32
get32 (HbPcapStream *self,
       const guint8 *p)
{
  guint32 v;

  memcpy (&v, p, 4);
  return self->swapped ? GUINT32_SWAP_LE_BE (v) : v;
}

static gboolean
fail (HbPcapStream  *self,
      GError       **error,
      const char    *message)
{
  self->failed = TRUE;
  g_set_error_literal (error, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_DAMAGED, message);
  return FALSE;
}

static gboolean
read_header (HbPcapStream  *self,
             const guint8  *p,
             GError       **error)
{
  guint32 magic;

  memcpy (&magic, p, 4);
  switch (magic)
    {
    case 0xa1b2c3d4: break;
    case 0xa1b23c4d: self->nanoseconds = TRUE; break;
    case 0xd4c3b2a1: self->swapped = TRUE; break;
    case 0x4d3cb2a1: self->swapped = self->nanoseconds = TRUE; break;
    default:
      return fail (self, error, _("The capture stream is not classic pcap"));
    }
  /* The link type is the low 16 bits; the rest may carry FCS details. */
  self->linktype = (int) (get32 (self, p + 20) & 0xffff);
  self->have_header = TRUE;
  return TRUE;
}

/* Reads one record at @p if @avail holds all of it; returns its length,
 * 0 when more bytes are needed, -1 on damage. */
static gssize
read_record (HbPcapStream          *self,
             const guint8          *p,
             gsize                  avail,
             HbPcapStreamFrameFunc  func,
             gpointer               user_data,
             GError               **error)
{
  guint32 sec, frac, caplen, origlen;
  gint64 time_us;

  if (avail < RECORD_HEADER_LEN)
    return 0;
  sec = get32 (self, p);
  frac = get32 (self, p + 4);
  caplen = get32 (self, p + 8);
  origlen = get32 (self, p + 12);
  if (caplen > HB_PCAP_STREAM_MAX_RECORD || frac >= (self->nanoseconds ? 1000000000u : 1000000u))
    {
      fail (self, error, _("The capture stream is damaged: a record header holds impossible values"));
      return -1;
    }
  if (avail < RECORD_HEADER_LEN + (gsize) caplen)
    return 0;
  time_us = (gint64) sec * G_USEC_PER_SEC + (self->nanoseconds ? frac / 1000 : frac);
  func (time_us, p + RECORD_HEADER_LEN, caplen, MAX (origlen, caplen), user_data);
  return RECORD_HEADER_LEN + (gssize) caplen;
}

gboolean
hb_pcap_stream_feed (HbPcapStream           *self,
                     const guint8           *data,
                     gsize                   len,
                     HbPcapStreamFrameFunc   func,
                     gpointer                user_data,
                     GError                **error)
{
  const guint8 *p;
  gsize avail, used = 0;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  if (self->failed)
    return fail (self, error, _("The capture stream is damaged"));

  /* Work on the pending bytes plus the new ones only when a piece is
   * held back; the common case reads straight from @data. */
  if (self->pending->len > 0)
    {
      g_byte_array_append (self->pending, data, len);
      p = self->pending->data;
      avail = self->pending->len;
    }
  else
    {
      p = data;
      avail = len;
    }

  if (!self->have_header)
    {
      if (avail < FILE_HEADER_LEN)
        goto keep;
      if (!read_header (self, p, error))
        return FALSE;
      used = FILE_HEADER_LEN;
    }

  for (;;)
    {
      gssize n = read_record (self, p + used, avail - used, func, user_data, error);

      if (n < 0)
        return FALSE;
      if (n == 0)
        break;
      used += (gsize) n;
    }

keep:
  if (p == self->pending->data)
    g_byte_array_remove_range (self->pending, 0, (guint) used);
  else
    g_byte_array_append (self->pending, p + used, (guint) (avail - used));
  return TRUE;
}

gboolean
hb_pcap_stream_has_header (HbPcapStream *self)
{
  return self->have_header;
}

int
hb_pcap_stream_get_linktype (HbPcapStream *self)
{
  return self->linktype;
}

gsize
hb_pcap_stream_get_pending (HbPcapStream *self)
{
  return self->pending->len;
}
