/* hb-pcapng.c - the frames of a pcapng file, each with its interface's link type
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libpcap 1.10 reads a pcapng file only when all its interfaces share one
 * link type, and refuses the whole file otherwise ("an interface has a
 * type 276 different from the type of the first interface"): dumpcap on
 * lo and any at once writes such files, and so does mergecap. Wireshark
 * reads them, each frame with the link type of its own interface; so do
 * we, block by block (the pcapng draft, sections 3 and 4).
 *
 * Every length in the file is a claim to check, as in hb-packet.c: a
 * block's length must be a multiple of 4, at least 12, no larger than
 * MAX_BLOCK, and repeated at its end; a packet's captured length must fit
 * in its block; an interface number must name an interface of the
 * section. Damage after the first section header keeps the frames before
 * it.
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "hb-capture-file.h"
#include "hb-pcapng.h"

#define BLOCK_SHB          0x0a0d0d0a
#define BLOCK_IDB          0x00000001
#define BLOCK_OPB          0x00000002   /* obsolete packet block */
#define BLOCK_SPB          0x00000003
#define BLOCK_EPB          0x00000006
#define BYTE_ORDER_MAGIC   0x1a2b3c4d

#define OPT_END            0
#define IF_TSRESOL         9
#define IF_TSOFFSET        14

/* Far beyond any frame (dumpcap's largest snapshot is 256 KiB), small
 * enough that a damaged length is refused rather than allocated. */
#define MAX_BLOCK          (16 * 1024 * 1024)
/* Interfaces kept per section; more is damage. */
#define MAX_INTERFACES     65536

typedef struct
{
  int      linktype;
  guint32  snaplen;
  gboolean resol_binary;   /* 2^-resol s, else 10^-resol s */
  guint8   resol;
  gint64   offset_s;       /* if_tsoffset */
} Interface;

typedef struct
{
  FILE       *file;
  const char *name;
  gboolean    swap;
  GArray     *interfaces;  /* Interface, of the current section */
  guint8     *block;
  gsize       block_size;
} Reader;

static inline guint32
get32 (const Reader *r,
       const guint8 *p)
{
  guint32 v;

  memcpy (&v, p, 4);
  return r->swap ? GUINT32_SWAP_LE_BE (v) : v;
}

static inline guint16
get16 (const Reader *r,
       const guint8 *p)
{
  guint16 v;

  memcpy (&v, p, 2);
  return r->swap ? GUINT16_SWAP_LE_BE (v) : v;
}

/* µs since the epoch (and the ns beyond) of a timestamp in the
 * interface's units, clamped to what fits. */
static void
to_time (const Interface *iface,
         guint64          ts,
         gint64          *time_us,
         guint16         *ns_rem)
{
  guint64 ns;

  if (iface->resol_binary)
    {
      guint shift = MIN (iface->resol, 63);
      guint64 whole = ts >> shift, part = ts & ((G_GUINT64_CONSTANT (1) << shift) - 1);

      /* part * 10^9 fits in 64 bits while part < 2^34: drop the bits of
       * a finer fraction first (they are below a nanosecond). */
      if (shift > 34)
        {
          part >>= shift - 34;
          shift = 34;
        }
      ns = whole * 1000000000u + ((part * 1000000000u) >> shift);
    }
  else if (iface->resol <= 9)
    {
      guint64 mul = 1;

      for (guint i = iface->resol; i < 9; i++)
        mul *= 10;
      ns = ts > G_MAXUINT64 / mul ? G_MAXUINT64 : ts * mul;
    }
  else
    {
      guint64 div = 1;

      for (guint i = 9; i < MIN (iface->resol, 28); i++)
        div = div > G_MAXUINT64 / 10 ? G_MAXUINT64 : div * 10;
      ns = ts / div;
    }
  *time_us = CLAMP ((gint64) MIN (ns / 1000, (guint64) HB_PACKET_TIME_US_MAX)
                    + iface->offset_s * G_USEC_PER_SEC,
                    -HB_PACKET_TIME_US_MAX, HB_PACKET_TIME_US_MAX);
  *ns_rem = (guint16) (ns % 1000);
}

static void
damaged (GError    **error,
         const char *name,
         guint       n_frames,
         const char *why)
{
  g_set_error (error, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_TRUNCATED,
               ngettext ("%s is cut short or damaged after %u frame (kept): %s",
                         "%s is cut short or damaged after %u frames (kept): %s", n_frames),
               name, n_frames, why);
}

/* Reads one block whole into r->block; its type and length are given
 * back. FALSE at the end of the file (*why NULL) or on damage. */
static gboolean
read_block (Reader      *r,
            guint32     *type,
            guint32     *length,
            gboolean     first,
            const char **why)
{
  guint8 head[12];
  gsize got = fread (head, 1, sizeof head, r->file);

  *why = NULL;
  if (got == 0 && !ferror (r->file))
    return FALSE;
  if (got < sizeof head)
    {
      *why = _("the last block breaks off");
      return FALSE;
    }
  memcpy (type, head, 4);
  if (*type == BLOCK_SHB)
    {
      guint32 magic;

      /* A new section says its own byte order. */
      memcpy (&magic, head + 8, 4);
      if (magic == BYTE_ORDER_MAGIC)
        r->swap = FALSE;
      else if (magic == GUINT32_SWAP_LE_BE (BYTE_ORDER_MAGIC))
        r->swap = TRUE;
      else
        {
          *why = _("a section header with an unknown byte order");
          return FALSE;
        }
    }
  else if (first)
    {
      *why = _("it does not begin with a section header");
      return FALSE;
    }
  *type = get32 (r, head);
  *length = get32 (r, head + 4);
  if (*length < 12 || *length % 4 != 0 || *length > MAX_BLOCK || (*type == BLOCK_SHB && *length < 28))
    {
      *why = _("a block with an impossible length");
      return FALSE;
    }
  if (r->block_size < *length)
    {
      r->block = g_realloc (r->block, *length);
      r->block_size = *length;
    }
  memcpy (r->block, head, sizeof head);
  if (fread (r->block + 12, 1, *length - 12, r->file) != *length - 12)
    {
      *why = _("the last block breaks off");
      return FALSE;
    }
  if (get32 (r, r->block + *length - 4) != *length)
    {
      *why = _("a block whose two lengths differ");
      return FALSE;
    }
  return TRUE;
}

static void
read_interface (Reader  *r,
                guint32  length)
{
  Interface iface = { 0 };
  gsize pos = 16, end = length - 4;

  iface.linktype = get16 (r, r->block + 8);
  iface.snaplen = get32 (r, r->block + 12);
  iface.resol = 6;
  while (pos + 4 <= end)
    {
      guint16 code = get16 (r, r->block + pos);
      guint16 len = get16 (r, r->block + pos + 2);

      if (code == OPT_END || pos + 4 + len > end)
        break;
      if (code == IF_TSRESOL && len >= 1)
        {
          iface.resol_binary = (r->block[pos + 4] & 0x80) != 0;
          iface.resol = r->block[pos + 4] & 0x7f;
        }
      else if (code == IF_TSOFFSET && len >= 8)
        {
          guint64 hi = get32 (r, r->block + pos + 4), lo = get32 (r, r->block + pos + 8);
          gint64 offset = (gint64) (r->swap ? (lo << 32) | hi : (hi << 32) | lo);

          /* Seconds; anything beyond a few centuries is damage. */
          iface.offset_s = CLAMP (offset, -G_GINT64_CONSTANT (10000000000), G_GINT64_CONSTANT (10000000000));
        }
      pos += 4 + ((len + 3u) & ~3u);
    }
  g_array_append_val (r->interfaces, iface);
}

gboolean
hb_pcapng_read (FILE              *file,
                const char        *name,
                HbPcapngFrameFunc  func,
                gpointer           user_data,
                int               *linktype,
                GError           **error)
{
  Reader r = { file, name, FALSE, g_array_new (FALSE, FALSE, sizeof (Interface)), NULL, 0 };
  guint n_frames = 0;
  gboolean first = TRUE, ok = TRUE;
  const char *why = NULL;
  guint32 type, length;

  *linktype = -1;
  while (read_block (&r, &type, &length, first, &why))
    {
      HbPcapngFrame frame = { 0 };
      const Interface *iface;
      guint32 id = 0;
      guint64 ts = 0;
      gsize data_at = 0;

      first = FALSE;
      switch (type)
        {
        case BLOCK_SHB:
          g_array_set_size (r.interfaces, 0);
          continue;
        case BLOCK_IDB:
          if (length < 20 || r.interfaces->len >= MAX_INTERFACES)
            {
              why = _("a damaged interface description");
              break;
            }
          read_interface (&r, length);
          if (*linktype < 0)
            *linktype = g_array_index (r.interfaces, Interface, r.interfaces->len - 1).linktype;
          continue;
        case BLOCK_EPB:
          if (length < 32)
            {
              why = _("a damaged packet block");
              break;
            }
          id = get32 (&r, r.block + 8);
          ts = ((guint64) get32 (&r, r.block + 12) << 32) | get32 (&r, r.block + 16);
          frame.caplen = get32 (&r, r.block + 20);
          frame.origlen = get32 (&r, r.block + 24);
          data_at = 28;
          break;
        case BLOCK_OPB:
          if (length < 32)
            {
              why = _("a damaged packet block");
              break;
            }
          id = get16 (&r, r.block + 8);
          ts = ((guint64) get32 (&r, r.block + 12) << 32) | get32 (&r, r.block + 16);
          frame.caplen = get32 (&r, r.block + 20);
          frame.origlen = get32 (&r, r.block + 24);
          data_at = 28;
          break;
        case BLOCK_SPB:
          if (length < 16 || r.interfaces->len == 0)
            {
              why = _("a damaged packet block");
              break;
            }
          /* No timestamp; the frame is what the block holds, up to the
           * first interface's snapshot length. */
          frame.origlen = get32 (&r, r.block + 8);
          frame.caplen = MIN (frame.origlen, length - 16);
          if (g_array_index (r.interfaces, Interface, 0).snaplen != 0)
            frame.caplen = MIN (frame.caplen, g_array_index (r.interfaces, Interface, 0).snaplen);
          data_at = 12;
          break;
        default:
          /* Name resolution, statistics, journal entries...: not frames. */
          continue;
        }
      if (why != NULL)
        break;
      if (id >= r.interfaces->len)
        {
          why = _("a packet of an interface that was not described");
          break;
        }
      if (frame.caplen > length - 4 - data_at)
        {
          why = _("a packet longer than its block");
          break;
        }
      iface = &g_array_index (r.interfaces, Interface, id);
      frame.data = r.block + data_at;
      frame.linktype = iface->linktype;
      to_time (iface, ts, &frame.time_us, &frame.time_ns_rem);
      n_frames++;
      if (!func (&frame, user_data))
        break;
    }

  if (why != NULL)
    {
      if (first)
        g_set_error (error, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_DAMAGED,
                     _("%s has a damaged file header: %s"), name, why);
      else
        damaged (error, name, n_frames, why);
      ok = FALSE;
    }
  else if (first)
    {
      g_set_error (error, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_DAMAGED,
                   _("%s has a damaged file header: %s"), name, _("the last block breaks off"));
      ok = FALSE;
    }
  g_array_unref (r.interfaces);
  g_free (r.block);
  return ok;
}
