/* test-pcap.c - capture files: the packet parser, the reader and writer, Wireshark's numbers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every fixture is made here, by the project's own writer, from segments
 * built byte by byte: one synthetic heartbeat conversation in each link
 * type we read, then the awkward cases (wrap-around, retransmissions,
 * reordering, no SYN, several conversations) and hostile ones. Where
 * tshark is installed the same files are checked against it field by
 * field; where this process may also capture, real sessions of HbServer
 * and HbClient on loopback are checked the same way. Without tshark or the
 * privilege those tests report themselves skipped, never passed.
 */

#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include <glib/gstdio.h>
#include <pcap/pcap.h>

#include "heartbeat-lab.h"
#include "hb-capture-file.h"
#include "hb-capture-writer.h"
#include "hb-conversation.h"
#include "hb-packet.h"
#include "hb-test-util.h"

#define CLIENT_PORT 4324
#define SERVER_PORT 12001
#define T0_US       G_GINT64_CONSTANT (1700000000000000)

/* ---------------------------------------------------------------------- */
/* Building frames                                                         */

typedef struct
{
  int     family;
  guint8  client[16];
  guint8  server[16];
  guint16 cport;
  guint16 sport;
} Net;

enum
{
  VARIANT_PLAIN,
  VARIANT_VLAN,      /* EN10MB with an 802.1Q tag */
  VARIANT_SWAPPED,   /* NULL written on a machine of the other byte order */
  VARIANT_AF23,      /* NULL, Windows' AF_INET6 */
  VARIANT_AF24,      /* NULL, NetBSD/OpenBSD */
  VARIANT_AF28,      /* NULL, FreeBSD */
};

static Net
net_new (int         family,
         const char *client,
         const char *server,
         guint16     cport,
         guint16     sport)
{
  Net net = { family, { 0 }, { 0 }, cport, sport };
  int af = family == 4 ? AF_INET : AF_INET6;

  g_assert_cmpint (inet_pton (af, client, net.client), ==, 1);
  g_assert_cmpint (inet_pton (af, server, net.server), ==, 1);
  return net;
}

static void
put8 (GByteArray *a,
      guint8      v)
{
  g_byte_array_append (a, &v, 1);
}

static void
put16 (GByteArray *a,
       guint16     v)
{
  guint16 n = htons (v);

  g_byte_array_append (a, (guint8 *) &n, 2);
}

static void
put32 (GByteArray *a,
       guint32     v)
{
  guint32 n = htonl (v);

  g_byte_array_append (a, (guint8 *) &n, 4);
}

static void
set16 (GByteArray *a,
       guint       offset,
       guint16     v)
{
  guint16 n = htons (v);

  g_assert_cmpuint (offset + 2, <=, a->len);
  memcpy (a->data + offset, &n, 2);
}

/* An IP packet carrying one TCP segment. Checksums stay 0: Wireshark does
 * not check them by default, and loopback's are partial anyway. */
static GByteArray *
ip_tcp (const Net    *net,
        gboolean      from_client,
        guint16       flags,
        guint32       seq,
        guint32       ack,
        guint16       win,
        const guint8 *opt,
        gsize         opt_len,
        const void   *payload,
        gsize         payload_len)
{
  GByteArray *a = g_byte_array_new ();
  gsize tcp_len;
  const guint8 *src = from_client ? net->client : net->server;
  const guint8 *dst = from_client ? net->server : net->client;

  g_assert_cmpuint (opt_len % 4, ==, 0);
  tcp_len = 20 + opt_len + payload_len;

  if (net->family == 4)
    {
      put8 (a, 0x45);
      put8 (a, 0);
      put16 (a, 20 + tcp_len);
      put16 (a, 0x1234);
      put16 (a, 0x4000);  /* DF */
      put8 (a, 64);
      put8 (a, 6);
      put16 (a, 0);
      g_byte_array_append (a, src, 4);
      g_byte_array_append (a, dst, 4);
    }
  else
    {
      put32 (a, 0x60000000);
      put16 (a, tcp_len);
      put8 (a, 6);
      put8 (a, 64);
      g_byte_array_append (a, src, 16);
      g_byte_array_append (a, dst, 16);
    }

  put16 (a, from_client ? net->cport : net->sport);
  put16 (a, from_client ? net->sport : net->cport);
  put32 (a, seq);
  put32 (a, ack);
  put16 (a, (guint16) (((20 + opt_len) / 4) << 12 | flags));
  put16 (a, win);
  put16 (a, 0);
  put16 (a, 0);
  if (opt_len > 0)
    g_byte_array_append (a, opt, opt_len);
  if (payload_len > 0)
    g_byte_array_append (a, payload, payload_len);
  return a;
}

/* Puts the link layer of @linktype in front of an IP packet. */
static GBytes *
link_wrap (int         linktype,
           int         variant,
           int         family,
           GByteArray *ip)
{
  GByteArray *a = g_byte_array_new ();
  guint16 ethertype = family == 4 ? 0x0800 : 0x86dd;
  guint32 af;

  switch (linktype)
    {
    case DLT_EN10MB:
      for (guint i = 0; i < 12; i++)
        put8 (a, 0);
      if (variant == VARIANT_VLAN)
        {
          put16 (a, 0x8100);
          put16 (a, 42);
        }
      put16 (a, ethertype);
      break;

    case DLT_NULL:
      af = family == 4 ? 2 : 30;
      if (variant == VARIANT_AF23)
        af = 23;
      else if (variant == VARIANT_AF24)
        af = 24;
      else if (variant == VARIANT_AF28)
        af = 28;
      if (variant == VARIANT_SWAPPED)
        af = GUINT32_SWAP_LE_BE (af);
      g_byte_array_append (a, (guint8 *) &af, 4);
      break;

    case DLT_LOOP:
      put32 (a, family == 4 ? 2 : 24);
      break;

    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6:
      break;

    case DLT_LINUX_SLL:
      put16 (a, 0);       /* to us */
      put16 (a, 772);     /* ARPHRD_LOOPBACK */
      put16 (a, 6);
      for (guint i = 0; i < 8; i++)
        put8 (a, 0);
      put16 (a, ethertype);
      break;

    case DLT_LINUX_SLL2:
      put16 (a, ethertype);
      put16 (a, 0);
      put32 (a, 1);       /* ifindex */
      put16 (a, 772);
      put8 (a, 0);
      put8 (a, 6);
      for (guint i = 0; i < 8; i++)
        put8 (a, 0);
      break;

    default:
      g_assert_not_reached ();
    }

  g_byte_array_append (a, ip->data, ip->len);
  return g_byte_array_free_to_bytes (a);
}

/* A capture in the making: frames one after another, 1 ms apart. */
typedef struct
{
  int              linktype;
  int              variant;
  HbCaptureWriter *writer;
  gint64           time_us;
} Fixture;

static void
fixture_init (Fixture *fx,
              int      linktype,
              int      variant)
{
  g_autoptr(GError) error = NULL;

  fx->linktype = linktype;
  fx->variant = variant;
  fx->time_us = T0_US;
  fx->writer = hb_capture_writer_new_memory (linktype, &error);
  g_assert_no_error (error);
}

static void
fixture_add_frame (Fixture *fx,
                   GBytes  *frame,
                   gsize    origlen)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (frame, &size);

  hb_capture_writer_write (fx->writer, fx->time_us, data, size, MAX (origlen, size));
  fx->time_us += 1000;
}

/* Wraps and writes @ip, then frees it. */
static void
fixture_add_ip (Fixture    *fx,
                int         family,
                GByteArray *ip)
{
  g_autoptr(GBytes) frame = link_wrap (fx->linktype, fx->variant, family, ip);

  fixture_add_frame (fx, frame, 0);
  g_byte_array_unref (ip);
}

static void
fixture_add (Fixture      *fx,
             const Net    *net,
             gboolean      from_client,
             guint16       flags,
             guint32       seq,
             guint32       ack,
             guint16       win,
             const guint8 *opt,
             gsize         opt_len,
             const char   *payload)
{
  fixture_add_ip (fx, net->family,
                  ip_tcp (net, from_client, flags, seq, ack, win, opt, opt_len,
                          payload, payload ? strlen (payload) : 0));
}

static GBytes *
fixture_finish (Fixture *fx)
{
  g_autoptr(GError) error = NULL;
  GBytes *bytes = NULL;

  g_assert_true (hb_capture_writer_close (fx->writer, &bytes, &error));
  g_assert_no_error (error);
  g_assert_nonnull (bytes);
  g_clear_pointer (&fx->writer, hb_capture_writer_free);
  return bytes;
}

static HbCaptureFile *
load_ok (GBytes *bytes)
{
  g_autoptr(GError) error = NULL;
  HbCaptureFile *file = hb_capture_file_new ();

  g_assert_true (hb_capture_file_load_bytes (file, bytes, &error));
  g_assert_no_error (error);
  return file;
}

/* ---------------------------------------------------------------------- */
/* The synthetic heartbeat conversation                                    */

#define F HB_TCP_FIN
#define S HB_TCP_SYN
#define R HB_TCP_RST
#define P HB_TCP_PSH
#define A HB_TCP_ACK

enum { OPT_NONE, OPT_SYN, OPT_TS };

/* Sequence numbers are offsets from the sender's ISN (seq) and from the
 * peer's (ack), so that they are also the relative numbers expected. */
typedef struct
{
  gboolean    client;
  guint16     flags;
  guint32     seq;
  guint32     ack;
  guint16     win;
  const char *payload;
  int         opt;
  guint32     ts_val;
  guint32     ts_ecr;
  guint32     win_scaled;
  HbTcpPhase     phase;
  const char *info;
} Step;

/* Asymmetric window scales (client 7, server 10) show that a window is
 * scaled by its sender's shift. */
static const Step conversation[] = {
  { TRUE,  S,     0,  0, 65495, NULL, OPT_SYN, 100, 0, 65495, HB_TCP_PHASE_HANDSHAKE,
    "4324 → 12001 [SYN] Seq=0 Win=65495 Len=0 MSS=65495 SACK_PERM TSval=100 TSecr=0 WS=128" },
  { FALSE, S | A, 0,  1, 65483, NULL, OPT_SYN, 200, 100, 65483, HB_TCP_PHASE_HANDSHAKE,
    "12001 → 4324 [SYN, ACK] Seq=0 Ack=1 Win=65483 Len=0 MSS=65495 SACK_PERM TSval=200 TSecr=100 WS=1024" },
  { TRUE,  A,     1,  1, 1000, NULL, OPT_TS, 101, 200, 128000, HB_TCP_PHASE_HANDSHAKE,
    "4324 → 12001 [ACK] Seq=1 Ack=1 Win=128000 Len=0 TSval=101 TSecr=200" },
  { TRUE,  P | A, 1,  1, 1000, "HELLO x\n", OPT_NONE, 0, 0, 128000, HB_TCP_PHASE_DATA,
    "4324 → 12001 [PSH, ACK] Seq=1 Ack=1 Win=128000 Len=8" },
  { FALSE, A,     1,  9, 70, NULL, OPT_NONE, 0, 0, 71680, HB_TCP_PHASE_DATA,
    "12001 → 4324 [ACK] Seq=1 Ack=9 Win=71680 Len=0" },
  { FALSE, P | A, 1,  9, 70, "PING 1\n", OPT_NONE, 0, 0, 71680, HB_TCP_PHASE_HEARTBEAT,
    "12001 → 4324 [PSH, ACK] Seq=1 Ack=9 Win=71680 Len=7" },
  { TRUE,  P | A, 9,  8, 1000, "PONG 1\n", OPT_NONE, 0, 0, 128000, HB_TCP_PHASE_HEARTBEAT,
    "4324 → 12001 [PSH, ACK] Seq=9 Ack=8 Win=128000 Len=7" },
  { FALSE, A,     8, 16, 70, NULL, OPT_NONE, 0, 0, 71680, HB_TCP_PHASE_HEARTBEAT,
    "12001 → 4324 [ACK] Seq=8 Ack=16 Win=71680 Len=0" },
  { TRUE,  F | A, 16, 8, 1000, NULL, OPT_NONE, 0, 0, 128000, HB_TCP_PHASE_TEARDOWN,
    "4324 → 12001 [FIN, ACK] Seq=16 Ack=8 Win=128000 Len=0" },
  { FALSE, F | A, 8, 17, 70, NULL, OPT_NONE, 0, 0, 71680, HB_TCP_PHASE_TEARDOWN,
    "12001 → 4324 [FIN, ACK] Seq=8 Ack=17 Win=71680 Len=0" },
  { TRUE,  A,     17, 9, 1000, NULL, OPT_NONE, 0, 0, 128000, HB_TCP_PHASE_TEARDOWN,
    "4324 → 12001 [ACK] Seq=17 Ack=9 Win=128000 Len=0" },
};

static gsize
step_options (const Step *step,
              guint8      opt[40])
{
  gsize n = 0;

  if (step->opt == OPT_SYN)
    {
      static const guint8 head[] = { 2, 4, 0xff, 0xd7, 4, 2, 8, 10 };

      memcpy (opt, head, sizeof head);
      n = sizeof head;
    }
  else if (step->opt == OPT_TS)
    {
      opt[n++] = 1;
      opt[n++] = 1;
      opt[n++] = 8;
      opt[n++] = 10;
    }
  else
    return 0;

  opt[n++] = step->ts_val >> 24;
  opt[n++] = step->ts_val >> 16;
  opt[n++] = step->ts_val >> 8;
  opt[n++] = step->ts_val;
  opt[n++] = step->ts_ecr >> 24;
  opt[n++] = step->ts_ecr >> 16;
  opt[n++] = step->ts_ecr >> 8;
  opt[n++] = step->ts_ecr;
  if (step->opt == OPT_SYN)
    {
      opt[n++] = 1;
      opt[n++] = 3;
      opt[n++] = 3;
      opt[n++] = step->client ? 7 : 10;
    }
  return n;
}

static void
fixture_add_step (Fixture    *fx,
                  const Net  *net,
                  const Step *step,
                  guint32     isn_client,
                  guint32     isn_server)
{
  guint8 opt[40];
  gsize opt_len = step_options (step, opt);
  guint32 own = step->client ? isn_client : isn_server;
  guint32 peer = step->client ? isn_server : isn_client;

  fixture_add (fx, net, step->client, step->flags, own + step->seq,
               (step->flags & A) ? peer + step->ack : 0, step->win, opt, opt_len, step->payload);
}

static GBytes *
make_conversation (int        linktype,
                   int        variant,
                   const Net *net,
                   guint32    isn_client,
                   guint32    isn_server)
{
  Fixture fx;

  fixture_init (&fx, linktype, variant);
  for (guint i = 0; i < G_N_ELEMENTS (conversation); i++)
    fixture_add_step (&fx, net, &conversation[i], isn_client, isn_server);
  return fixture_finish (&fx);
}

static void
check_conversation (HbCaptureFile *file,
                    const Net     *net,
                    guint32        isn_client,
                    guint32        isn_server)
{
  GPtrArray *packets = hb_capture_file_get_packets (file);
  GPtrArray *conversations = hb_capture_file_get_conversations (file);
  HbConversation *conv;
  char client[64], server[64];

  g_assert_cmpuint (hb_capture_file_get_n_frames (file), ==, G_N_ELEMENTS (conversation));
  g_assert_cmpuint (packets->len, ==, G_N_ELEMENTS (conversation));
  g_assert_cmpuint (hb_capture_file_get_notes (file)->len, ==, 0);
  g_assert_cmpuint (conversations->len, ==, 1);
  conv = g_ptr_array_index (conversations, 0);
  g_assert_cmpuint (hb_conversation_get_n_packets (conv), ==, packets->len);
  g_assert_true (hb_conversation_get_saw_syn (conv));
  inet_ntop (net->family == 4 ? AF_INET : AF_INET6, net->client, client, sizeof client);
  inet_ntop (net->family == 4 ? AF_INET : AF_INET6, net->server, server, sizeof server);
  g_assert_cmpstr (hb_conversation_get_client_address (conv), ==, client);
  g_assert_cmpstr (hb_conversation_get_server_address (conv), ==, server);
  g_assert_cmpuint (hb_conversation_get_client_port (conv), ==, CLIENT_PORT);
  g_assert_cmpuint (hb_conversation_get_server_port (conv), ==, SERVER_PORT);

  for (guint i = 0; i < packets->len; i++)
    {
      HbPacket *p = g_ptr_array_index (packets, i);
      const Step *step = &conversation[i];
      g_autofree char *info = hb_packet_format_info (p);
      g_autofree char *text = hb_packet_format_payload (p);

      g_test_message ("frame %u: %s", p->frame, info);
      g_assert_cmpuint (p->frame, ==, i + 1);
      g_assert_cmpint (p->time_us, ==, T0_US + (gint64) i * 1000);
      g_assert_cmpint (p->family, ==, net->family);
      g_assert_cmpstr (p->src, ==, step->client ? client : server);
      g_assert_cmpstr (p->dst, ==, step->client ? server : client);
      g_assert_cmpuint (p->from_client, ==, step->client);
      g_assert_cmpuint (p->flags, ==, step->flags);
      g_assert_cmpuint (p->seq, ==, (step->client ? isn_client : isn_server) + step->seq);
      g_assert_cmpuint (p->rel_seq, ==, step->seq);
      if (step->flags & A)
        g_assert_cmpuint (p->rel_ack, ==, step->ack);
      g_assert_cmpuint (p->win_raw, ==, step->win);
      g_assert_cmpuint (p->win, ==, step->win_scaled);
      g_assert_cmpuint (p->payload_len, ==, step->payload ? strlen (step->payload) : 0);
      g_assert_cmpuint (p->phase, ==, step->phase);
      g_assert_cmpuint (p->analysis, ==, 0);
      g_assert_cmpuint (p->conversation, ==, 0);
      g_assert_cmpstr (info, ==, step->info);
      g_assert_false (p->bad_options);
      if (step->payload)
        {
          g_autofree char *expected = g_strndup (step->payload, strlen (step->payload) - 1);

          g_assert_cmpstr (text, ==, expected);
        }
      else
        g_assert_null (text);
      if (step->opt == OPT_SYN)
        {
          g_assert_true (p->has_mss && p->sack_perm && p->has_timestamps && p->has_ws);
          g_assert_cmpuint (p->mss, ==, 65495);
          g_assert_cmpuint (p->ws_shift, ==, step->client ? 7 : 10);
        }
    }
}

typedef struct
{
  int         linktype;
  int         variant;
  int         family;
} LinkCase;

static const LinkCase link_cases[] = {
  { DLT_EN10MB, VARIANT_PLAIN, 4 },
  { DLT_EN10MB, VARIANT_PLAIN, 6 },
  { DLT_EN10MB, VARIANT_VLAN, 4 },
  { DLT_EN10MB, VARIANT_VLAN, 6 },
  { DLT_NULL, VARIANT_PLAIN, 4 },
  { DLT_NULL, VARIANT_PLAIN, 6 },
  { DLT_NULL, VARIANT_SWAPPED, 4 },
  { DLT_NULL, VARIANT_SWAPPED, 6 },
  { DLT_NULL, VARIANT_AF23, 6 },
  { DLT_NULL, VARIANT_AF24, 6 },
  { DLT_NULL, VARIANT_AF28, 6 },
  { DLT_LOOP, VARIANT_PLAIN, 4 },
  { DLT_LOOP, VARIANT_PLAIN, 6 },
  { DLT_RAW, VARIANT_PLAIN, 4 },
  { DLT_RAW, VARIANT_PLAIN, 6 },
  { DLT_IPV4, VARIANT_PLAIN, 4 },
  { DLT_IPV6, VARIANT_PLAIN, 6 },
  { DLT_LINUX_SLL, VARIANT_PLAIN, 4 },
  { DLT_LINUX_SLL, VARIANT_PLAIN, 6 },
  { DLT_LINUX_SLL2, VARIANT_PLAIN, 4 },
  { DLT_LINUX_SLL2, VARIANT_PLAIN, 6 },
};

static Net
default_net (int family)
{
  if (family == 4)
    return net_new (4, "127.0.0.1", "127.0.0.1", CLIENT_PORT, SERVER_PORT);
  return net_new (6, "2001:db8::1", "2001:db8::2", CLIENT_PORT, SERVER_PORT);
}

static void
test_link_types (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (link_cases); i++)
    {
      const LinkCase *lc = &link_cases[i];
      Net net = default_net (lc->family);
      g_autoptr(GBytes) bytes = make_conversation (lc->linktype, lc->variant, &net, 1000, 5000);
      g_autoptr(HbCaptureFile) file = load_ok (bytes);

      g_test_message ("link type %d (%s), variant %d, IPv%d", lc->linktype,
                      pcap_datalink_val_to_name (lc->linktype), lc->variant, lc->family);
      g_assert_cmpint (hb_capture_file_get_linktype (file), ==, lc->linktype);
      check_conversation (file, &net, 1000, 5000);
      g_assert_finalize_object (g_steal_pointer (&file));
    }
}

static void
test_writer_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("hb-pcap-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autoptr(HbCaptureWriter) writer = NULL;
  g_autoptr(HbCaptureFile) file = hb_capture_file_new ();
  g_autoptr(GBytes) memory = NULL;
  g_autofree char *contents = NULL;
  gsize length;
  Net net = default_net (4);

  g_assert_no_error (error);
  path = g_build_filename (dir, "conversation.pcap", NULL);

  /* The same frames through a file on disk and through memory give the
   * same bytes, and the file reads back. */
  memory = make_conversation (DLT_EN10MB, VARIANT_PLAIN, &net, 1000, 5000);
  writer = hb_capture_writer_new (path, DLT_EN10MB, &error);
  g_assert_no_error (error);
  {
    g_autoptr(HbCaptureFile) from_memory = load_ok (memory);
    GPtrArray *packets = hb_capture_file_get_packets (from_memory);

    for (guint i = 0; i < packets->len; i++)
      {
        HbPacket *p = g_ptr_array_index (packets, i);
        gsize size;
        const guint8 *data = g_bytes_get_data (p->data, &size);

        hb_capture_writer_write (writer, p->time_us, data, size, p->origlen);
      }
  }
  g_assert_cmpuint (hb_capture_writer_get_n_frames (writer), ==, G_N_ELEMENTS (conversation));
  g_assert_true (hb_capture_writer_close (writer, NULL, &error));
  g_assert_no_error (error);

  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (contents, length, g_bytes_get_data (memory, NULL), g_bytes_get_size (memory));

  g_assert_true (hb_capture_file_load (file, path, &error));
  g_assert_no_error (error);
  check_conversation (file, &net, 1000, 5000);

  /* A writer into a directory that does not exist says so. */
  {
    g_autofree char *bad = g_build_filename (dir, "missing", "x.pcap", NULL);
    HbCaptureWriter *none = hb_capture_writer_new (bad, DLT_EN10MB, &error);

    g_assert_null (none);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    g_clear_error (&error);
  }

  g_unlink (path);
  g_rmdir (dir);
}

static void
test_wraparound (void)
{
  Net net = default_net (4);
  /* Both directions cross 2^32 inside the conversation. */
  g_autoptr(GBytes) bytes = make_conversation (DLT_EN10MB, VARIANT_PLAIN, &net, 0xfffffff0, 0xfffffffe);
  g_autoptr(HbCaptureFile) file = load_ok (bytes);
  HbPacket *fin;

  check_conversation (file, &net, 0xfffffff0, 0xfffffffe);
  fin = g_ptr_array_index (hb_capture_file_get_packets (file), 8);
  g_assert_cmpuint (fin->seq, ==, 0);
  g_assert_cmpuint (fin->rel_seq, ==, 16);

  /* And the same when the SYN is not captured: base = first seq - 1. */
  {
    Fixture fx;
    g_autoptr(GBytes) tail = NULL;
    g_autoptr(HbCaptureFile) tail_file = NULL;
    GPtrArray *packets;

    fixture_init (&fx, DLT_RAW, VARIANT_PLAIN);
    fixture_add (&fx, &net, TRUE, P | A, 0xffffffff, 77, 1000, NULL, 0, "MSG 0123456789\n");
    fixture_add (&fx, &net, FALSE, A, 77, 0xffffffff + 15u, 100, NULL, 0, NULL);
    fixture_add (&fx, &net, TRUE, P | A, 14, 77, 1000, NULL, 0, "MSG x\n");
    tail = fixture_finish (&fx);
    tail_file = load_ok (tail);
    packets = hb_capture_file_get_packets (tail_file);
    hb_capture_file_get_conversations (tail_file);
    g_assert_cmpuint (((HbPacket *) packets->pdata[0])->rel_seq, ==, 1);
    g_assert_cmpuint (((HbPacket *) packets->pdata[1])->rel_ack, ==, 16);
    g_assert_cmpuint (((HbPacket *) packets->pdata[2])->rel_seq, ==, 16);
  }
}

/* Segments of the conversation above, in another order or twice. */
static GBytes *
make_steps (int        linktype,
            const Net *net,
            const int *order,
            guint      n)
{
  Fixture fx;

  fixture_init (&fx, linktype, VARIANT_PLAIN);
  for (guint i = 0; i < n; i++)
    fixture_add_step (&fx, net, &conversation[order[i]], 1000, 5000);
  return fixture_finish (&fx);
}

static void
test_retransmission (void)
{
  Net net = default_net (4);
  /* HELLO sent twice before its ACK; PING twice; the FIN twice. */
  static const int order[] = { 0, 1, 2, 3, 3, 4, 5, 5, 6, 7, 8, 8, 9, 10 };
  static const guint8 expected_phase[] = {
    HB_TCP_PHASE_HANDSHAKE, HB_TCP_PHASE_HANDSHAKE, HB_TCP_PHASE_HANDSHAKE, HB_TCP_PHASE_DATA, HB_TCP_PHASE_DATA,
    HB_TCP_PHASE_DATA, HB_TCP_PHASE_HEARTBEAT, HB_TCP_PHASE_HEARTBEAT, HB_TCP_PHASE_HEARTBEAT, HB_TCP_PHASE_HEARTBEAT,
    HB_TCP_PHASE_TEARDOWN, HB_TCP_PHASE_TEARDOWN, HB_TCP_PHASE_TEARDOWN, HB_TCP_PHASE_TEARDOWN,
  };
  g_autoptr(GBytes) bytes = make_steps (DLT_EN10MB, &net, order, G_N_ELEMENTS (order));
  g_autoptr(HbCaptureFile) file = load_ok (bytes);
  GPtrArray *packets = hb_capture_file_get_packets (file);

  g_assert_cmpuint (hb_capture_file_get_conversations (file)->len, ==, 1);
  for (guint i = 0; i < packets->len; i++)
    {
      HbPacket *p = g_ptr_array_index (packets, i);
      gboolean again = i > 0 && order[i] == order[i - 1];
      g_autofree char *info = hb_packet_format_info (p);

      g_test_message ("frame %u: %s (%s)", p->frame, info, hb_tcp_phase_to_string (p->phase));
      g_assert_cmpuint (p->phase, ==, expected_phase[i]);
      g_assert_cmpuint (p->rel_seq, ==, conversation[order[i]].seq);
      g_assert_cmpuint (p->analysis, ==, again ? HB_ANALYSIS_RETRANSMISSION : 0);
      if (again)
        g_assert_true (g_str_has_prefix (info, "[TCP Retransmission] "));
    }
}

static void
test_out_of_order (void)
{
  Net net = default_net (6);
  Fixture fx;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(HbCaptureFile) file = NULL;
  GPtrArray *packets;
  static const guint8 expected_phase[] = {
    HB_TCP_PHASE_HANDSHAKE, HB_TCP_PHASE_HANDSHAKE, HB_TCP_PHASE_HANDSHAKE,
    HB_TCP_PHASE_HEARTBEAT,  /* PONG 1, sent second, seen first */
    HB_TCP_PHASE_DATA,       /* MSG a, sent first, seen second */
    HB_TCP_PHASE_HEARTBEAT,  /* the ACK of both: the newest is the PONG */
    HB_TCP_PHASE_DATA,       /* BCAST */
    HB_TCP_PHASE_DATA,       /* its ACK */
  };

  fixture_init (&fx, DLT_LINUX_SLL2, VARIANT_PLAIN);
  for (guint i = 0; i < 3; i++)
    fixture_add_step (&fx, &net, &conversation[i], 1000, 5000);
  fixture_add (&fx, &net, TRUE, P | A, 1000 + 7, 5001, 1000, NULL, 0, "PONG 1\n");
  fixture_add (&fx, &net, TRUE, P | A, 1000 + 1, 5001, 1000, NULL, 0, "MSG a\n");
  fixture_add (&fx, &net, FALSE, A, 5001, 1000 + 14, 70, NULL, 0, NULL);
  fixture_add (&fx, &net, FALSE, P | A, 5001, 1000 + 14, 70, NULL, 0, "BCAST hi\n");
  fixture_add (&fx, &net, TRUE, A, 1000 + 14, 5010, 1000, NULL, 0, NULL);
  bytes = fixture_finish (&fx);
  file = load_ok (bytes);
  packets = hb_capture_file_get_packets (file);
  hb_capture_file_get_conversations (file);

  g_assert_cmpuint (packets->len, ==, G_N_ELEMENTS (expected_phase));
  for (guint i = 0; i < packets->len; i++)
    {
      HbPacket *p = g_ptr_array_index (packets, i);
      g_autofree char *info = hb_packet_format_info (p);

      g_test_message ("frame %u: %s (%s)", p->frame, info, hb_tcp_phase_to_string (p->phase));
      g_assert_cmpuint (p->phase, ==, expected_phase[i]);
      g_assert_cmpuint (p->analysis, ==, i == 4 ? HB_ANALYSIS_OUT_OF_ORDER : 0);
    }
  g_assert_cmpuint (((HbPacket *) packets->pdata[4])->rel_seq, ==, 1);
  g_assert_cmpuint (((HbPacket *) packets->pdata[3])->rel_seq, ==, 7);
}

static void
test_no_syn (void)
{
  Net net = default_net (4);
  /* From the HELLO on: no handshake, windows unscaled (the shift is not known). */
  static const int order[] = { 3, 4, 5, 6, 7, 8, 9, 10 };
  static const char * const infos[] = {
    "4324 → 12001 [PSH, ACK] Seq=1 Ack=1 Win=1000 Len=8",
    "12001 → 4324 [ACK] Seq=1 Ack=9 Win=70 Len=0",
    "12001 → 4324 [PSH, ACK] Seq=1 Ack=9 Win=70 Len=7",
    "4324 → 12001 [PSH, ACK] Seq=9 Ack=8 Win=1000 Len=7",
    "12001 → 4324 [ACK] Seq=8 Ack=16 Win=70 Len=0",
    "4324 → 12001 [FIN, ACK] Seq=16 Ack=8 Win=1000 Len=0",
    "12001 → 4324 [FIN, ACK] Seq=8 Ack=17 Win=70 Len=0",
    "4324 → 12001 [ACK] Seq=17 Ack=9 Win=1000 Len=0",
  };
  g_autoptr(GBytes) bytes = make_steps (DLT_NULL, &net, order, G_N_ELEMENTS (order));
  g_autoptr(HbCaptureFile) file = load_ok (bytes);
  GPtrArray *packets = hb_capture_file_get_packets (file);
  HbConversation *conv = g_ptr_array_index (hb_capture_file_get_conversations (file), 0);

  g_assert_false (hb_conversation_get_saw_syn (conv));
  g_assert_cmpuint (hb_conversation_get_client_port (conv), ==, CLIENT_PORT);
  for (guint i = 0; i < packets->len; i++)
    {
      HbPacket *p = g_ptr_array_index (packets, i);
      g_autofree char *info = hb_packet_format_info (p);

      g_assert_cmpstr (info, ==, infos[i]);
      g_assert_cmpuint (p->phase, ==, conversation[order[i]].phase);
    }
}

static void
test_two_conversations (void)
{
  Net a = net_new (4, "10.0.0.1", "10.0.0.2", CLIENT_PORT, SERVER_PORT);
  Net b = net_new (4, "10.0.0.3", "10.0.0.2", CLIENT_PORT, SERVER_PORT);
  Fixture fx;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(HbCaptureFile) file = NULL;
  GPtrArray *conversations;

  /* a and b interleaved, then a again on the same 4-tuple with a new ISN. */
  fixture_init (&fx, DLT_EN10MB, VARIANT_PLAIN);
  for (guint i = 0; i < G_N_ELEMENTS (conversation); i++)
    {
      fixture_add_step (&fx, &a, &conversation[i], 1000, 5000);
      fixture_add_step (&fx, &b, &conversation[i], 7000, 9000);
    }
  for (guint i = 0; i < G_N_ELEMENTS (conversation); i++)
    fixture_add_step (&fx, &a, &conversation[i], 3000000, 4000000);
  bytes = fixture_finish (&fx);
  file = load_ok (bytes);
  conversations = hb_capture_file_get_conversations (file);

  g_assert_cmpuint (conversations->len, ==, 3);
  for (guint c = 0; c < 3; c++)
    {
      HbConversation *conv = g_ptr_array_index (conversations, c);
      g_autofree char *described = hb_conversation_describe (conv);

      g_assert_cmpuint (hb_conversation_get_index (conv), ==, c);
      g_assert_cmpuint (hb_conversation_get_n_packets (conv), ==, G_N_ELEMENTS (conversation));
      g_assert_cmpstr (described, ==, c == 1 ? "10.0.0.3:4324 → 10.0.0.2:12001"
                                             : "10.0.0.1:4324 → 10.0.0.2:12001");
      for (guint i = 0; i < G_N_ELEMENTS (conversation); i++)
        {
          HbPacket *p = hb_conversation_get_packet (conv, i);
          g_autofree char *info = hb_packet_format_info (p);

          g_assert_cmpuint (p->conversation, ==, c);
          g_assert_cmpuint (p->frame, ==, c < 2 ? 2 * i + 1 + c : 23 + i);
          g_assert_cmpstr (info, ==, conversation[i].info);
          g_assert_cmpuint (p->phase, ==, conversation[i].phase);
        }
    }
}

static void
test_window_scaling (void)
{
  Net net = default_net (4);
  static const guint8 ws_only[] = { 1, 3, 3, 7 };
  static const guint8 ws_big[] = { 1, 3, 3, 15 };
  struct
  {
    const guint8 *client_opt;
    const guint8 *server_opt;
    guint32       client_win;
    guint32       server_win;
    const char   *syn_info;
  } cases[] = {
    /* Only one side offers WS: nobody scales. */
    { ws_only, NULL, 1000, 70, "4324 → 12001 [SYN] Seq=0 Win=65535 Len=0 WS=128" },
    { NULL, ws_only, 1000, 70, "4324 → 12001 [SYN] Seq=0 Win=65535 Len=0" },
    /* A shift above 14 counts as 14, with a note. */
    { ws_big, ws_big, 1000u << 14, 70u << 14, "4324 → 12001 [SYN] Seq=0 Win=65535 Len=0 WS=16384" },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      Fixture fx;
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(HbCaptureFile) file = NULL;
      GPtrArray *packets;
      g_autofree char *info = NULL;

      fixture_init (&fx, DLT_RAW, VARIANT_PLAIN);
      fixture_add (&fx, &net, TRUE, S, 1000, 0, 65535, cases[c].client_opt, cases[c].client_opt ? 4 : 0, NULL);
      fixture_add (&fx, &net, FALSE, S | A, 5000, 1001, 65535, cases[c].server_opt, cases[c].server_opt ? 4 : 0, NULL);
      fixture_add (&fx, &net, TRUE, A, 1001, 5001, 1000, NULL, 0, NULL);
      fixture_add (&fx, &net, FALSE, A, 5001, 1001, 70, NULL, 0, NULL);
      bytes = fixture_finish (&fx);
      file = load_ok (bytes);
      packets = hb_capture_file_get_packets (file);
      hb_capture_file_get_conversations (file);

      info = hb_packet_format_info (packets->pdata[0]);
      g_assert_cmpstr (info, ==, cases[c].syn_info);
      g_assert_cmpuint (((HbPacket *) packets->pdata[0])->win, ==, 65535);
      g_assert_cmpuint (((HbPacket *) packets->pdata[1])->win, ==, 65535);
      g_assert_cmpuint (((HbPacket *) packets->pdata[2])->win, ==, cases[c].client_win);
      g_assert_cmpuint (((HbPacket *) packets->pdata[3])->win, ==, cases[c].server_win);
      g_assert_cmpuint (hb_capture_file_get_notes (file)->len, ==, c == 2 ? 2 : 0);
    }
}

static void
test_sack (void)
{
  Net net = default_net (4);
  Fixture fx;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(HbCaptureFile) file = NULL;
  g_autofree char *info = NULL;
  HbPacket *p;
  /* Two blocks, relative to the client's ISN 1000: 9-16 and 23-30. */
  guint8 opt[20] = { 1, 1, 5, 18 };
  guint32 edges[] = { 1009, 1016, 1023, 1030 };

  for (guint i = 0; i < 4; i++)
    {
      guint32 n = htonl (edges[i]);

      memcpy (opt + 4 + 4 * i, &n, 4);
    }
  fixture_init (&fx, DLT_EN10MB, VARIANT_PLAIN);
  for (guint i = 0; i < 3; i++)
    fixture_add_step (&fx, &net, &conversation[i], 1000, 5000);
  fixture_add (&fx, &net, FALSE, A, 5001, 1001, 70, opt, sizeof opt, NULL);
  bytes = fixture_finish (&fx);
  file = load_ok (bytes);
  hb_capture_file_get_conversations (file);
  p = g_ptr_array_index (hb_capture_file_get_packets (file), 3);

  g_assert_cmpuint (p->n_sack, ==, 2);
  info = hb_packet_format_info (p);
  g_assert_cmpstr (info, ==, "12001 → 4324 [ACK] Seq=1 Ack=1 Win=71680 Len=0 SLE=9 SRE=16 SLE=23 SRE=30");
}

static void
test_flags_text (void)
{
  g_autofree char *none = hb_packet_format_flags (0);
  g_autofree char *all = hb_packet_format_flags (0x0fff);
  g_autofree char *fa = hb_packet_format_flags (F | A);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();

  g_assert_cmpstr (none, ==, "<None>");
  g_assert_cmpstr (fa, ==, "FIN, ACK");
  g_assert_cmpstr (all, ==, "FIN, SYN, RST, PSH, ACK, URG, ECN, CWR, NS, Reserved");
  hb_packet_flag_names (R | A | P, names);
  g_assert_cmpuint (names->len, ==, 3);
  g_assert_cmpstr (names->pdata[0], ==, "RST");
  g_assert_cmpstr (names->pdata[1], ==, "PSH");
  g_assert_cmpstr (names->pdata[2], ==, "ACK");

  g_assert_true (hb_payload_is_heartbeat ((const guint8 *) "PING 1\n", 7));
  g_assert_true (hb_payload_is_heartbeat ((const guint8 *) "PONG 12\r\nPING 13\n", 17));
  g_assert_true (hb_payload_is_heartbeat ((const guint8 *) "PING", 4));
  g_assert_false (hb_payload_is_heartbeat ((const guint8 *) "PINGS 1\n", 8));
  g_assert_false (hb_payload_is_heartbeat ((const guint8 *) "PING 1\nBCAST x\n", 15));
  g_assert_false (hb_payload_is_heartbeat ((const guint8 *) "\n", 1));
  g_assert_false (hb_payload_is_heartbeat (NULL, 0));
}

/* ---------------------------------------------------------------------- */
/* Broken input                                                            */

static void
expect_load_error (GBytes     *bytes,
                   GQuark      domain,
                   int         code,
                   guint       n_packets,
                   const char *fragment)
{
  g_autoptr(HbCaptureFile) file = hb_capture_file_new ();
  g_autoptr(GError) error = NULL;

  g_assert_false (hb_capture_file_load_bytes (file, bytes, &error));
  g_assert_error (error, domain, code);
  g_test_message ("%s", error->message);
  if (fragment)
    g_assert_nonnull (strstr (error->message, fragment));
  g_assert_cmpuint (hb_capture_file_get_packets (file)->len, ==, n_packets);
  g_assert_finalize_object (g_steal_pointer (&file));
}

static void
test_truncated_file (void)
{
  Net net = default_net (4);
  g_autoptr(GBytes) whole = make_conversation (DLT_EN10MB, VARIANT_PLAIN, &net, 1000, 5000);
  gsize size = g_bytes_get_size (whole);
  g_autoptr(GBytes) cut_data = g_bytes_new_from_bytes (whole, 0, size - 5);
  /* The last frame is a 54-byte pure ACK after a 16-byte record header. */
  g_autoptr(GBytes) cut_header = g_bytes_new_from_bytes (whole, 0, size - 54 - 6);
  g_autoptr(GBytes) short_file_header = g_bytes_new_from_bytes (whole, 0, 10);

  expect_load_error (cut_data, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_TRUNCATED, 10, "after 10 frames");
  expect_load_error (cut_header, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_TRUNCATED, 10, "after 10 frames");
  expect_load_error (short_file_header, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_DAMAGED, 0, "damaged");
}

static void
test_not_capture (void)
{
  Net net = default_net (4);
  g_autoptr(GBytes) whole = make_conversation (DLT_EN10MB, VARIANT_PLAIN, &net, 1000, 5000);
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr(GBytes) text = g_bytes_new_static ("HELLO world\nPING 1\n", 19);
  g_autoptr(GBytes) tiny = g_bytes_new_static ("\xa1\xb2", 2);
  g_autoptr(GBytes) wrong_magic = NULL;
  g_autoptr(GBytes) garbage = NULL;
  guint8 *data;
  gsize size;
  GRand *rand = g_rand_new_with_seed (7);
  guint8 noise[4096];

  size = g_bytes_get_size (whole);
  data = g_memdup2 (g_bytes_get_data (whole, NULL), size);
  data[0] ^= 0x55;
  wrong_magic = g_bytes_new_take (data, size);
  for (guint i = 0; i < sizeof noise; i++)
    noise[i] = g_rand_int_range (rand, 0, 256);
  noise[0] = 0x00;
  garbage = g_bytes_new (noise, sizeof noise);
  g_rand_free (rand);

  expect_load_error (empty, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_NOT_CAPTURE, 0, "empty");
  expect_load_error (text, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_NOT_CAPTURE, 0, "not a capture file");
  expect_load_error (tiny, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_NOT_CAPTURE, 0, "not a capture file");
  expect_load_error (wrong_magic, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_NOT_CAPTURE, 0, NULL);
  expect_load_error (garbage, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_NOT_CAPTURE, 0, NULL);

  /* A real signature followed by nonsense. */
  {
    guint8 fake[64] = { 0xd4, 0xc3, 0xb2, 0xa1, 0xff, 0xff, 0xff, 0xff };
    g_autoptr(GBytes) bytes = g_bytes_new (fake, sizeof fake);

    expect_load_error (bytes, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_DAMAGED, 0, NULL);
  }

  /* A file that cannot be opened. */
  {
    g_autoptr(HbCaptureFile) file = hb_capture_file_new ();
    g_autoptr(GError) error = NULL;

    g_assert_false (hb_capture_file_load (file, "/nonexistent/capture.pcap", &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, "/nonexistent/capture.pcap"));
  }
}

static void
test_unsupported_linktype (void)
{
  Fixture fx;
  g_autoptr(GBytes) bytes = NULL;
  static const guint8 frame[32] = { 0 };
  g_autoptr(GBytes) frame_bytes = g_bytes_new_static (frame, sizeof frame);
  g_autoptr(HbPacket) packet = hb_packet_new ();
  g_autoptr(GError) error = NULL;

  fixture_init (&fx, DLT_IEEE802_11, VARIANT_PLAIN);
  fixture_add_frame (&fx, frame_bytes, 0);
  bytes = fixture_finish (&fx);
  expect_load_error (bytes, HB_CAPTURE_FILE_ERROR, HB_CAPTURE_FILE_ERROR_UNSUPPORTED_LINKTYPE, 0, "link type 105");

  g_assert_false (hb_packet_parse (frame, sizeof frame, sizeof frame, DLT_IEEE802_11, packet, &error));
  g_assert_error (error, HB_PACKET_ERROR, HB_PACKET_ERROR_UNSUPPORTED_LINKTYPE);
}

static GByteArray *
good_ip (const Net *net)
{
  return ip_tcp (net, TRUE, P | A, 1001, 5001, 1000, NULL, 0, "PING 1\n", 7);
}

static GByteArray *
with_options (const Net    *net,
              const guint8 *opt,
              gsize         opt_len)
{
  return ip_tcp (net, TRUE, A, 1001, 5001, 1000, opt, opt_len, NULL, 0);
}

typedef struct
{
  const char *what;
  GByteArray *ip;
  gsize       caplen;     /* 0: all of it */
  int         error;      /* -1: parsed, with a warning if note is set */
  const char *note;
} BadCase;

static void
test_bad_frames (void)
{
  Net net4 = default_net (4);
  Net net6 = default_net (6);
  static const guint8 opt_len0[] = { 2, 0, 0, 0 };
  static const guint8 opt_len1[] = { 3, 1, 0, 0 };
  static const guint8 opt_past[] = { 1, 1, 8, 10 };
  static const guint8 opt_no_len[] = { 1, 1, 1, 2 };
  static const guint8 opt_mss_len[] = { 2, 3, 0, 0 };
  static const guint8 opt_ok[] = { 1, 1, 4, 2 };
  BadCase cases[24];
  guint n = 0;
  Fixture fx;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(HbCaptureFile) file = NULL;
  GPtrArray *notes;
  guint n_kept = 0, n_notes = 0;

  cases[n] = (BadCase) { "good", good_ip (&net4), 0, -1, NULL };
  n++;
  cases[n] = (BadCase) { "IP total length exceeds the frame", good_ip (&net4), 0, HB_PACKET_ERROR_MALFORMED,
                         "exceeds the" };
  set16 (cases[n].ip, 2, cases[n].ip->len + 100);
  n++;
  cases[n] = (BadCase) { "IP total length shorter than IHL", good_ip (&net4), 0, HB_PACKET_ERROR_MALFORMED,
                         "shorter than its header" };
  set16 (cases[n].ip, 2, 12);
  n++;
  cases[n] = (BadCase) { "IHL below 5", good_ip (&net4), 0, HB_PACKET_ERROR_MALFORMED, "below 20" };
  cases[n].ip->data[0] = 0x44;
  n++;
  cases[n] = (BadCase) { "TCP data offset 4", good_ip (&net4), 0, HB_PACKET_ERROR_MALFORMED, "data offset 4" };
  cases[n].ip->data[20 + 12] = 0x40;
  n++;
  cases[n] = (BadCase) { "TCP data offset past the packet", good_ip (&net4), 0, HB_PACKET_ERROR_MALFORMED,
                         "exceeds the IP payload" };
  cases[n].ip->data[20 + 12] = 0xf0;
  n++;
  cases[n] = (BadCase) { "TCP header cut by the snapshot", good_ip (&net4), 30, HB_PACKET_ERROR_TRUNCATED,
                         "truncated TCP header" };
  n++;
  cases[n] = (BadCase) { "fragment", good_ip (&net4), 0, HB_PACKET_ERROR_FRAGMENT, "fragment" };
  set16 (cases[n].ip, 6, 0x2000);
  n++;
  cases[n] = (BadCase) { "UDP", good_ip (&net4), 0, HB_PACKET_ERROR_NOT_TCP, NULL };
  cases[n].ip->data[9] = 17;
  n++;
  cases[n] = (BadCase) { "option length 0", with_options (&net4, opt_len0, 4), 0, -1, "length below 2" };
  n++;
  cases[n] = (BadCase) { "option length 1", with_options (&net4, opt_len1, 4), 0, -1, "length below 2" };
  n++;
  cases[n] = (BadCase) { "option past the end", with_options (&net4, opt_past, 4), 0, -1, "past the end" };
  n++;
  cases[n] = (BadCase) { "option without length", with_options (&net4, opt_no_len, 4), 0, -1, "without its length" };
  n++;
  cases[n] = (BadCase) { "MSS of length 3", with_options (&net4, opt_mss_len, 4), 0, -1, "MSS option" };
  n++;
  cases[n] = (BadCase) { "options fine", with_options (&net4, opt_ok, 4), 0, -1, NULL };
  n++;
  /* IPv4 options are skipped by IHL. */
  {
    g_autoptr(GByteArray) plain = good_ip (&net4);
    GByteArray *ip = g_byte_array_new ();
    static const guint8 nops[4] = { 1, 1, 1, 0 };

    g_byte_array_append (ip, plain->data, 20);
    g_byte_array_append (ip, nops, 4);
    g_byte_array_append (ip, plain->data + 20, plain->len - 20);
    ip->data[0] = 0x46;
    set16 (ip, 2, ip->len);
    cases[n] = (BadCase) { "IPv4 options", ip, 0, -1, NULL };
    n++;
  }
  /* IPv6 with hop-by-hop, destination options and an atomic fragment
   * header is fine; a real fragment is not. */
  for (guint frag = 0; frag < 2; frag++)
    {
      g_autoptr(GByteArray) plain = good_ip (&net6);
      GByteArray *ip = g_byte_array_new ();
      static const guint8 hop[8] = { 60, 0, 1, 4, 0, 0, 0, 0 };
      static const guint8 dest[16] = { 44, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
      guint8 fragment[8] = { 6, 0, 0, 0, 0, 0, 0, 7 };

      if (frag)
        fragment[3] = 1;  /* more fragments follow */
      g_byte_array_append (ip, plain->data, 40);
      ip->data[6] = 0;
      g_byte_array_append (ip, hop, sizeof hop);
      g_byte_array_append (ip, dest, sizeof dest);
      g_byte_array_append (ip, fragment, sizeof fragment);
      g_byte_array_append (ip, plain->data + 40, plain->len - 40);
      set16 (ip, 4, ip->len - 40);
      cases[n] = frag ? (BadCase) { "IPv6 fragment", ip, 0, HB_PACKET_ERROR_FRAGMENT, "fragment" }
                      : (BadCase) { "IPv6 extension headers", ip, 0, -1, NULL };
      n++;
    }
  /* IPv6 with a chain of 20 hop-by-hop headers: "next header 0" forever. */
  {
    GByteArray *ip = g_byte_array_new ();
    g_autoptr(GByteArray) tcp = good_ip (&net6);

    g_byte_array_append (ip, tcp->data, 40);
    ip->data[6] = 0;
    for (guint i = 0; i < 20; i++)
      {
        static const guint8 hop[8] = { 0, 0, 1, 4, 0, 0, 0, 0 };

        g_byte_array_append (ip, hop, 8);
      }
    g_byte_array_append (ip, tcp->data + 40, tcp->len - 40);
    set16 (ip, 4, ip->len - 40);
    cases[n] = (BadCase) { "IPv6 extension header chain", ip, 0, HB_PACKET_ERROR_MALFORMED, "extension headers" };
    n++;
  }
  g_assert_cmpuint (n, <=, G_N_ELEMENTS (cases));

  /* Each one alone through the parser... */
  for (guint i = 0; i < n; i++)
    {
      g_auto(HbPacket) packet = { 0 };
      g_autoptr(GError) error = NULL;
      gsize caplen = cases[i].caplen ? cases[i].caplen : cases[i].ip->len;
      gboolean ok;

      g_test_message ("%s", cases[i].what);
      ok = hb_packet_parse (cases[i].ip->data, caplen, cases[i].ip->len, DLT_RAW, &packet, &error);
      if (cases[i].error < 0)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
          g_assert_cmpint (packet.bad_options, ==, cases[i].note != NULL);
          if (cases[i].note)
            g_assert_nonnull (strstr (packet.warning, cases[i].note));
        }
      else
        {
          g_assert_false (ok);
          g_assert_error (error, HB_PACKET_ERROR, cases[i].error);
          if (cases[i].note)
            g_assert_nonnull (strstr (error->message, cases[i].note));
        }
    }

  /* The parsable ones carry their payload, wherever it starts. */
  for (guint i = 0; i < n; i++)
    if (cases[i].error < 0)
      {
        g_autoptr(HbPacket) packet = hb_packet_new ();
        g_autofree char *text = NULL;

        g_assert_true (hb_packet_parse (cases[i].ip->data, cases[i].ip->len, cases[i].ip->len,
                                        101 /* LINKTYPE_RAW */, packet, NULL));
        text = hb_packet_format_payload (packet);
        if (packet->payload_len > 0)
          g_assert_cmpstr (text, ==, "PING 1");
        else
          g_assert_null (text);
      }

  /* ...and all of them in one file, where each gets a note but the UDP
   * packet, and the parsable ones are kept. */
  fixture_init (&fx, DLT_RAW, VARIANT_PLAIN);
  for (guint i = 0; i < n; i++)
    {
      gsize caplen = cases[i].caplen ? cases[i].caplen : cases[i].ip->len;
      g_autoptr(GBytes) frame = g_bytes_new (cases[i].ip->data, caplen);

      fixture_add_frame (&fx, frame, cases[i].ip->len);
      n_kept += cases[i].error < 0;
      n_notes += cases[i].note != NULL;
    }
  bytes = fixture_finish (&fx);
  file = load_ok (bytes);
  notes = hb_capture_file_get_notes (file);
  for (guint i = 0; i < notes->len; i++)
    g_test_message ("note: %s", (char *) notes->pdata[i]);
  g_assert_cmpuint (hb_capture_file_get_n_frames (file), ==, n);
  g_assert_cmpuint (hb_capture_file_get_packets (file)->len, ==, n_kept);
  g_assert_cmpuint (notes->len, ==, n_notes);
  g_assert_cmpuint (hb_capture_file_get_n_not_tcp (file), ==, 1);
  g_assert_cmpstr (notes->pdata[0], ==, "frame 2: IPv4 total length 147 exceeds the 47 bytes of the frame");
  g_assert_cmpstr (notes->pdata[3], ==, "frame 5: TCP data offset 4 is below 5");
  hb_capture_file_get_conversations (file);

  for (guint i = 0; i < n; i++)
    g_byte_array_unref (cases[i].ip);
}

/* Every prefix of every frame of the conversation, in every link type: the
 * parser must say "truncated" or succeed, and never read past the end
 * (ASan watches: the prefix is copied to a buffer of exactly its size). */
static void
test_every_prefix (void)
{
  for (guint c = 0; c < G_N_ELEMENTS (link_cases); c++)
    {
      const LinkCase *lc = &link_cases[c];
      Net net = default_net (lc->family);
      g_autoptr(GBytes) bytes = make_conversation (lc->linktype, lc->variant, &net, 1000, 5000);
      g_autoptr(HbCaptureFile) file = load_ok (bytes);
      GPtrArray *packets = hb_capture_file_get_packets (file);

      for (guint i = 0; i < packets->len; i++)
        {
          HbPacket *p = g_ptr_array_index (packets, i);
          gsize size;
          const guint8 *data = g_bytes_get_data (p->data, &size);

          for (gsize len = 0; len <= size; len++)
            {
              g_autofree guint8 *copy = g_memdup2 (data, len);
              g_autoptr(HbPacket) packet = hb_packet_new ();
              g_autoptr(GError) error = NULL;

              if (hb_packet_parse (copy, len, size, lc->linktype, packet, &error))
                {
                  g_assert_cmpuint (len, >=, p->payload_offset);
                  g_assert_cmpuint (packet->payload_len, ==, p->payload_len);
                  g_assert_cmpuint (packet->payload_captured, ==, len - p->payload_offset);
                  g_free (hb_packet_format_payload (packet));
                }
              else
                g_assert_error (error, HB_PACKET_ERROR, HB_PACKET_ERROR_TRUNCATED);
            }
        }
    }
}

/* Random damage to a good file: anything may come out, but no crash, no
 * hang, and everything that loads can be analysed and printed. */
static void
test_mutations (void)
{
  Net net = default_net (6);
  g_autoptr(GBytes) whole = make_conversation (DLT_EN10MB, VARIANT_VLAN, &net, 0xfffffff0, 5000);
  gsize size;
  const guint8 *original = g_bytes_get_data (whole, &size);
  GRand *rand = g_rand_new_with_seed (g_test_rand_int ());

  for (guint round = 0; round < 3000; round++)
    {
      guint8 *data = g_memdup2 (original, size);
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(HbCaptureFile) file = hb_capture_file_new ();
      g_autoptr(GError) error = NULL;
      guint n_changes = g_rand_int_range (rand, 1, 8);
      GPtrArray *conversations;

      for (guint k = 0; k < n_changes; k++)
        {
          /* Mostly past the 24-byte file header, where frames live. */
          guint at = (guint) g_rand_int_range (rand, round % 10 == 0 ? 0 : 24, (gint32) size);

          if (g_rand_boolean (rand))
            data[at] = (guint8) g_rand_int_range (rand, 0, 256);
          else
            data[at] ^= (guint8) (1u << g_rand_int_range (rand, 0, 8));
        }
      /* Sometimes cut short too. */
      if (g_rand_int_range (rand, 0, 20) == 0)
        bytes = g_bytes_new_take (data, (gsize) g_rand_int_range (rand, 0, (gint32) size));
      else
        bytes = g_bytes_new_take (data, size);
      hb_capture_file_load_bytes (file, bytes, &error);
      conversations = hb_capture_file_get_conversations (file);
      for (guint c = 0; c < conversations->len; c++)
        {
          HbConversation *conv = g_ptr_array_index (conversations, c);
          g_autofree char *described = hb_conversation_describe (conv);

          g_assert_true (g_utf8_validate (described, -1, NULL));
          for (guint i = 0; i < hb_conversation_get_n_packets (conv); i++)
            {
              g_autofree char *info = hb_packet_format_info (hb_conversation_get_packet (conv, i));
              g_autofree char *text = hb_packet_format_payload (hb_conversation_get_packet (conv, i));

              g_assert_true (g_utf8_validate (info, -1, NULL));
              g_assert_true (text == NULL || g_utf8_validate (text, -1, NULL));
            }
        }
    }
  g_rand_free (rand);
}

/* ---------------------------------------------------------------------- */
/* Against tshark                                                          */

static char *
find_tshark (void)
{
  return g_find_program_in_path ("tshark");
}

/* Splits "[TCP Retransmission] [TCP Dup ACK 3#1] body" into its
 * bracketed prefixes and the body. */
static const char *
split_prefixes (const char *info,
                GPtrArray  *prefixes)
{
  while (info[0] == '[')
    {
      const char *end = strstr (info, "] ");

      if (end == NULL || g_str_has_prefix (info, "[SYN") || g_ascii_isdigit (info[1]))
        break;
      g_ptr_array_add (prefixes, g_strndup (info, end + 1 - info));
      info = end + 2;
    }
  return info;
}

static gboolean
has_string (GPtrArray  *array,
            const char *s)
{
  for (guint i = 0; i < array->len; i++)
    if (g_strcmp0 (array->pdata[i], s) == 0)
      return TRUE;
  return FALSE;
}

/* Reads @path with tshark and compares every frame with our analysis of
 * @file. Returns the number of frames whose Info column was compared
 * (those tshark left to TCP itself). */
static guint
compare_with_tshark (const char    *tshark,
                     const char    *path,
                     HbCaptureFile *file)
{
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *packets = hb_capture_file_get_packets (file);
  guint n_lines = 0, n_info = 0;

  hb_capture_file_get_conversations (file);
  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                           tshark, "-n", "-r", path, "-T", "fields", "-E", "separator=/t",
                           "-E", "occurrence=f",
                           "-e", "frame.number", "-e", "tcp.stream", "-e", "tcp.seq", "-e", "tcp.ack",
                           "-e", "tcp.len", "-e", "tcp.window_size", "-e", "tcp.flags",
                           "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport", "-e", "tcp.dstport",
                           "-e", "_ws.col.Protocol", "-e", "_ws.col.Info", NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (proc));

  lines = g_strsplit (out, "\n", -1);
  for (guint l = 0; lines[l] != NULL; l++)
    {
      g_auto(GStrv) f = NULL;
      g_autoptr(GPtrArray) ours = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(GPtrArray) theirs = g_ptr_array_new_with_free_func (g_free);
      g_autofree char *info = NULL;
      HbPacket *p;

      if (lines[l][0] == '\0')
        continue;
      f = g_strsplit (lines[l], "\t", -1);
      g_assert_cmpuint (g_strv_length (f), ==, 13);
      g_assert_cmpuint (n_lines, <, packets->len);
      p = g_ptr_array_index (packets, n_lines);
      n_lines++;

      g_test_message ("tshark: %s", lines[l]);
      g_assert_cmpuint (g_ascii_strtoull (f[0], NULL, 10), ==, p->frame);
      g_assert_cmpuint (g_ascii_strtoull (f[1], NULL, 10), ==, p->conversation);
      g_assert_cmpuint (g_ascii_strtoull (f[2], NULL, 10), ==, p->rel_seq);
      if (p->flags & HB_TCP_ACK)
        g_assert_cmpuint (g_ascii_strtoull (f[3], NULL, 10), ==, p->rel_ack);
      g_assert_cmpuint (g_ascii_strtoull (f[4], NULL, 10), ==, p->payload_len);
      g_assert_cmpuint (g_ascii_strtoull (f[5], NULL, 10), ==, p->win);
      g_assert_cmpuint (g_ascii_strtoull (f[6], NULL, 16), ==, p->flags);
      g_assert_cmpstr (p->family == 4 ? f[7] : f[8], ==, p->src);
      g_assert_cmpuint (g_ascii_strtoull (f[9], NULL, 10), ==, p->src_port);
      g_assert_cmpuint (g_ascii_strtoull (f[10], NULL, 10), ==, p->dst_port);

      /* Another dissector may claim a payload and rewrite the columns. */
      if (g_strcmp0 (f[11], "TCP") != 0)
        continue;
      info = hb_packet_format_info (p);
      /* Wireshark has more expert prefixes than we make (Dup ACK, Window
       * Update...): the body must match, and every prefix we make must be
       * one Wireshark makes too. */
      g_assert_cmpstr (split_prefixes (info, ours), ==, split_prefixes (f[12], theirs));
      for (guint i = 0; i < ours->len; i++)
        g_assert_true (has_string (theirs, ours->pdata[i]));
      n_info++;
    }
  g_assert_cmpuint (n_lines, ==, packets->len);
  return n_info;
}

static void
save_and_compare (const char *tshark,
                  const char *dir,
                  const char *name,
                  GBytes     *bytes,
                  guint       min_info)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HbCaptureFile) file = load_ok (bytes);

  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error));
  g_assert_no_error (error);
  g_test_message ("comparing %s", name);
  g_assert_cmpuint (compare_with_tshark (tshark, path, file), >=, min_info);
  g_unlink (path);
}

static void
test_tshark_fixtures (void)
{
  g_autofree char *tshark = find_tshark ();
  g_autofree char *dir = NULL;

  if (tshark == NULL)
    {
      g_test_skip ("tshark is not installed: nothing to cross-check against");
      return;
    }
  dir = g_dir_make_tmp ("hb-pcap-XXXXXX", NULL);
  g_assert_nonnull (dir);

  for (guint i = 0; i < G_N_ELEMENTS (link_cases); i++)
    {
      const LinkCase *lc = &link_cases[i];
      Net net = default_net (lc->family);
      g_autoptr(GBytes) bytes = make_conversation (lc->linktype, lc->variant, &net, 1000, 5000);
      g_autofree char *name = g_strdup_printf ("link-%d-%d-v%d.pcap", lc->linktype, lc->variant, lc->family);

      /* Wireshark reads AF 23 in DLT_NULL as IPX (the BSD meaning); we
       * take it for Windows' AF_INET6 when the packet is IPv6. */
      if (lc->variant == VARIANT_AF23)
        continue;
      save_and_compare (tshark, dir, name, bytes, G_N_ELEMENTS (conversation));
    }

  {
    Net net = default_net (4);
    g_autoptr(GBytes) wrap = make_conversation (DLT_EN10MB, VARIANT_PLAIN, &net, 0xfffffff0, 0xfffffffe);
    static const int retrans[] = { 0, 1, 2, 3, 3, 4, 5, 5, 6, 7, 8, 8, 9, 10 };
    static const int no_syn[] = { 3, 4, 5, 6, 7, 8, 9, 10 };
    g_autoptr(GBytes) retrans_bytes = make_steps (DLT_EN10MB, &net, retrans, G_N_ELEMENTS (retrans));
    g_autoptr(GBytes) no_syn_bytes = make_steps (DLT_NULL, &net, no_syn, G_N_ELEMENTS (no_syn));

    save_and_compare (tshark, dir, "wrap.pcap", wrap, G_N_ELEMENTS (conversation));
    save_and_compare (tshark, dir, "retransmission.pcap", retrans_bytes, G_N_ELEMENTS (retrans));
    save_and_compare (tshark, dir, "no-syn.pcap", no_syn_bytes, G_N_ELEMENTS (no_syn));
  }

  /* Two conversations and a reused 4-tuple: tcp.stream must agree. */
  {
    Net a = net_new (4, "10.0.0.1", "10.0.0.2", CLIENT_PORT, SERVER_PORT);
    Net b = net_new (4, "10.0.0.3", "10.0.0.2", CLIENT_PORT, SERVER_PORT);
    Fixture fx;
    g_autoptr(GBytes) bytes = NULL;

    fixture_init (&fx, DLT_EN10MB, VARIANT_PLAIN);
    for (guint i = 0; i < G_N_ELEMENTS (conversation); i++)
      {
        fixture_add_step (&fx, &a, &conversation[i], 1000, 5000);
        fixture_add_step (&fx, &b, &conversation[i], 7000, 9000);
      }
    for (guint i = 0; i < G_N_ELEMENTS (conversation); i++)
      fixture_add_step (&fx, &a, &conversation[i], 3000000, 4000000);
    bytes = fixture_finish (&fx);
    save_and_compare (tshark, dir, "streams.pcap", bytes, 3 * G_N_ELEMENTS (conversation));
  }

  /* SACK blocks and the asymmetric and missing window scales. */
  {
    Net net = default_net (4);
    static const guint8 ws_only[] = { 1, 3, 3, 7 };
    guint8 sack[12] = { 1, 1, 5, 10 };
    guint32 edges[] = { htonl (1009), htonl (1016) };
    Fixture fx;
    g_autoptr(GBytes) bytes = NULL;

    memcpy (sack + 4, edges, 8);
    fixture_init (&fx, DLT_RAW, VARIANT_PLAIN);
    fixture_add (&fx, &net, TRUE, S, 1000, 0, 65535, ws_only, 4, NULL);
    fixture_add (&fx, &net, FALSE, S | A, 5000, 1001, 65535, NULL, 0, NULL);
    fixture_add (&fx, &net, TRUE, A, 1001, 5001, 1000, NULL, 0, NULL);
    fixture_add (&fx, &net, FALSE, A, 5001, 1001, 70, sack, sizeof sack, NULL);
    fixture_add (&fx, &net, FALSE, A | HB_TCP_URG, 5001, 1001, 70, NULL, 0, NULL);
    bytes = fixture_finish (&fx);
    save_and_compare (tshark, dir, "options.pcap", bytes, 5);
  }

  g_rmdir (dir);
}

/* ---------------------------------------------------------------------- */
/* Real sessions on loopback, against tshark                               */

typedef struct
{
  HbCaptureWriter *writer;
  int              linktype;
  guint            n_frames;
  guint            n_fin;
  guint            n_rst;
  gboolean         acked_after_fins;
  guint            n_bcast;
  guint            n_pongs;
  guint            n_messages;
  gboolean         disconnected;
} Live;

static void
on_live_frame (HbLiveCapture *cap,
               gint64         time_us,
               GBytes        *data,
               guint          original_length,
               Live          *live)
{
  g_auto(HbPacket) packet = { 0 };
  gsize size;
  const guint8 *bytes = g_bytes_get_data (data, &size);

  hb_capture_writer_write (live->writer, time_us, bytes, size, original_length);
  live->n_frames++;
  if (!hb_packet_parse (bytes, size, original_length, live->linktype, &packet, NULL))
    return;
  if (packet.flags & HB_TCP_RST)
    live->n_rst++;
  if (packet.flags & HB_TCP_FIN)
    live->n_fin++;
  else if (live->n_fin >= 2 && packet.flags == HB_TCP_ACK && packet.payload_len == 0)
    live->acked_after_fins = TRUE;
}

static void
on_live_message (HbClient   *client,
                 HbVerb      kind,
                 const char *sender,
                 const char *text,
                 Live       *live)
{
  if (kind == HB_VERB_BCAST)
    live->n_bcast++;
}

static void
on_live_pong_sent (HbClient *client,
                   guint64   seq,
                   Live     *live)
{
  live->n_pongs++;
}

static void
on_live_server_message (HbServer     *server,
                        HbConnection *conn,
                        const char   *text,
                        Live         *live)
{
  live->n_messages++;
}

static void
on_live_disconnected (HbClient   *client,
                      int         reason,
                      int         initiator,
                      const char *detail,
                      Live       *live)
{
  live->disconnected = TRUE;
}

typedef enum
{
  ENDING_DISCONNECT,
  ENDING_ABORT,
  ENDING_HALF_CLOSE,
} Ending;

static void
run_live (Ending ending)
{
  g_autofree char *tshark = find_tshark ();
  g_autoptr(HbServer) server = NULL;
  g_autoptr(HbLiveCapture) cap = NULL;
  g_autoptr(HbClient) client = NULL;
  g_autoptr(HbCaptureFile) file = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  GPtrArray *packets;
  Live live = { 0 };
  guint n_handshake = 0, n_heartbeat = 0, n_data = 0, n_teardown = 0;
  gboolean in_teardown = FALSE;

  if (tshark == NULL)
    {
      g_test_skip ("tshark is not installed: nothing to cross-check against");
      return;
    }

  server = g_object_new (HB_TYPE_SERVER, "address", "127.0.0.1", "port", 0, "interval-ms", 50, NULL);
  g_assert_true (hb_server_start (server, &error));
  g_assert_no_error (error);
  cap = hb_live_capture_new ("lo", hb_server_get_port (server));
  if (!hb_live_capture_start (cap, NULL, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
        g_test_skip ("no privilege to capture on lo here (run as root, or in `unshare -rn`)");
      else
        {
          g_autofree char *why = g_strdup_printf ("cannot capture on lo: %s", error->message);

          g_test_skip (why);
        }
      hb_server_stop (server);
      return;
    }
  live.linktype = hb_live_capture_get_linktype (cap);
  dir = g_dir_make_tmp ("hb-pcap-live-XXXXXX", NULL);
  path = g_build_filename (dir, "live.pcap", NULL);
  live.writer = hb_capture_writer_new (path, live.linktype, &error);
  g_assert_no_error (error);
  g_signal_connect (cap, "frame", G_CALLBACK (on_live_frame), &live);
  g_signal_connect (server, "message", G_CALLBACK (on_live_server_message), &live);

  client = hb_client_new ("127.0.0.1", hb_server_get_port (server), "lab");
  g_signal_connect (client, "message", G_CALLBACK (on_live_message), &live);
  g_signal_connect (client, "pong-sent", G_CALLBACK (on_live_pong_sent), &live);
  g_signal_connect (client, "disconnected", G_CALLBACK (on_live_disconnected), &live);
  hb_client_connect (client);
  hb_assert_eventually (hb_client_get_client_id (client) != 0);
  g_assert_true (hb_client_send_message (client, "hello from the lab"));
  hb_assert_eventually (live.n_messages == 1);
  g_assert_cmpuint (hb_server_broadcast (server, "news for all"), ==, 1);
  hb_assert_eventually (live.n_bcast == 1);
  hb_assert_eventually (live.n_pongs >= 2);

  switch (ending)
    {
    case ENDING_DISCONNECT:
      hb_client_disconnect (client);
      hb_assert_eventually (live.disconnected);
      hb_assert_eventually (live.n_fin >= 2 && live.acked_after_fins);
      break;
    case ENDING_ABORT:
      hb_client_abort (client);
      hb_assert_eventually (live.n_rst >= 1);
      break;
    case ENDING_HALF_CLOSE:
      hb_client_half_close (client);
      hb_assert_eventually (live.n_rst >= 1 || (live.n_fin >= 2 && live.acked_after_fins));
      break;
    default:
      g_assert_not_reached ();
    }
  hb_live_capture_stop (cap);
  g_assert_true (hb_capture_writer_close (live.writer, NULL, &error));
  g_assert_no_error (error);
  g_clear_pointer (&live.writer, hb_capture_writer_free);

  file = hb_capture_file_new ();
  g_assert_true (hb_capture_file_load (file, path, &error));
  g_assert_no_error (error);
  packets = hb_capture_file_get_packets (file);
  g_assert_cmpuint (packets->len, ==, live.n_frames);
  g_assert_cmpuint (hb_capture_file_get_conversations (file)->len, ==, 1);

  for (guint i = 0; i < packets->len; i++)
    {
      HbPacket *p = g_ptr_array_index (packets, i);
      g_autofree char *info = hb_packet_format_info (p);
      g_autofree char *text = hb_packet_format_payload (p);

      g_test_message ("%-9s %s%s%s", hb_tcp_phase_to_string (p->phase), info, text ? "  " : "", text ? text : "");
      if (i < 3)
        g_assert_cmpuint (p->phase, ==, HB_TCP_PHASE_HANDSHAKE);
      if (p->flags & (HB_TCP_FIN | HB_TCP_RST))
        in_teardown = TRUE;
      g_assert_cmpuint (p->phase == HB_TCP_PHASE_TEARDOWN, ==, in_teardown);
      if (!in_teardown && text && (g_str_has_prefix (text, "PING ") || g_str_has_prefix (text, "PONG ")))
        g_assert_cmpuint (p->phase, ==, HB_TCP_PHASE_HEARTBEAT);
      n_handshake += p->phase == HB_TCP_PHASE_HANDSHAKE;
      n_heartbeat += p->phase == HB_TCP_PHASE_HEARTBEAT;
      n_data += p->phase == HB_TCP_PHASE_DATA;
      n_teardown += p->phase == HB_TCP_PHASE_TEARDOWN;
    }
  g_assert_cmpuint (n_handshake, ==, 3);
  g_assert_cmpuint (n_heartbeat, >=, 4);   /* two PINGs, two PONGs */
  g_assert_cmpuint (n_data, >=, 4);        /* HELLO, WELCOME, MSG, BCAST */
  g_assert_cmpuint (n_teardown, >=, 1);

  g_assert_cmpuint (compare_with_tshark (tshark, path, file), >=, 3);

  hb_server_stop (server);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_live_session (void)
{
  run_live (ENDING_DISCONNECT);
}

static void
test_live_abort (void)
{
  run_live (ENDING_ABORT);
}

static void
test_live_half_close (void)
{
  run_live (ENDING_HALF_CLOSE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/pcap/link-types", test_link_types);
  g_test_add_func ("/core/pcap/writer/file", test_writer_file);
  g_test_add_func ("/core/pcap/analysis/wraparound", test_wraparound);
  g_test_add_func ("/core/pcap/analysis/retransmission", test_retransmission);
  g_test_add_func ("/core/pcap/analysis/out-of-order", test_out_of_order);
  g_test_add_func ("/core/pcap/analysis/no-syn", test_no_syn);
  g_test_add_func ("/core/pcap/analysis/two-conversations", test_two_conversations);
  g_test_add_func ("/core/pcap/analysis/window-scaling", test_window_scaling);
  g_test_add_func ("/core/pcap/analysis/sack", test_sack);
  g_test_add_func ("/core/pcap/text", test_flags_text);
  g_test_add_func ("/core/pcap/broken/truncated-file", test_truncated_file);
  g_test_add_func ("/core/pcap/broken/not-capture", test_not_capture);
  g_test_add_func ("/core/pcap/broken/unsupported-link-type", test_unsupported_linktype);
  g_test_add_func ("/core/pcap/broken/frames", test_bad_frames);
  g_test_add_func ("/core/pcap/broken/every-prefix", test_every_prefix);
  g_test_add_func ("/core/pcap/broken/mutations", test_mutations);
  g_test_add_func ("/core/pcap/tshark/fixtures", test_tshark_fixtures);
  g_test_add_func ("/core/pcap/tshark/live-session", test_live_session);
  g_test_add_func ("/core/pcap/tshark/live-abort", test_live_abort);
  g_test_add_func ("/core/pcap/tshark/live-half-close", test_live_half_close);

  return g_test_run ();
}
