/* hb-test-pcap.c - capture fixtures for tests: TCP segments built byte by byte, in every link type we read
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include <pcap/pcap.h>

#include "hb-test-pcap.h"

HbTestNet
hb_test_net_new (int         family,
                 const char *client,
                 const char *server,
                 guint16     cport,
                 guint16     sport)
{
  HbTestNet net = { family, { 0 }, { 0 }, cport, sport };
  int af = family == 4 ? AF_INET : AF_INET6;

  g_assert_cmpint (inet_pton (af, client, net.client), ==, 1);
  g_assert_cmpint (inet_pton (af, server, net.server), ==, 1);
  return net;
}

HbTestNet
hb_test_net_default (int family)
{
  if (family == 4)
    return hb_test_net_new (4, "127.0.0.1", "127.0.0.1", HB_TEST_CLIENT_PORT, HB_TEST_SERVER_PORT);
  return hb_test_net_new (6, "2001:db8::1", "2001:db8::2", HB_TEST_CLIENT_PORT, HB_TEST_SERVER_PORT);
}

void
hb_test_put8 (GByteArray *a,
              guint8      v)
{
  g_byte_array_append (a, &v, 1);
}

void
hb_test_put16 (GByteArray *a,
               guint16     v)
{
  guint16 n = htons (v);

  g_byte_array_append (a, (guint8 *) &n, 2);
}

void
hb_test_put32 (GByteArray *a,
               guint32     v)
{
  guint32 n = htonl (v);

  g_byte_array_append (a, (guint8 *) &n, 4);
}

void
hb_test_set16 (GByteArray *a,
               guint       offset,
               guint16     v)
{
  guint16 n = htons (v);

  g_assert_cmpuint (offset + 2, <=, a->len);
  memcpy (a->data + offset, &n, 2);
}

/* An IP packet carrying one TCP segment. Checksums stay 0: Wireshark does
 * not check them by default, and loopback's are partial anyway. */
GByteArray *
hb_test_ip_tcp (const HbTestNet *net,
                gboolean         from_client,
                guint16          flags,
                guint32          seq,
                guint32          ack,
                guint16          win,
                const guint8    *opt,
                gsize            opt_len,
                const void      *payload,
                gsize            payload_len)
{
  GByteArray *a = g_byte_array_new ();
  gsize tcp_len;
  const guint8 *src = from_client ? net->client : net->server;
  const guint8 *dst = from_client ? net->server : net->client;

  g_assert_cmpuint (opt_len % 4, ==, 0);
  tcp_len = 20 + opt_len + payload_len;

  if (net->family == 4)
    {
      hb_test_put8 (a, 0x45);
      hb_test_put8 (a, 0);
      hb_test_put16 (a, 20 + tcp_len);
      hb_test_put16 (a, 0x1234);
      hb_test_put16 (a, 0x4000);  /* DF */
      hb_test_put8 (a, 64);
      hb_test_put8 (a, 6);
      hb_test_put16 (a, 0);
      g_byte_array_append (a, src, 4);
      g_byte_array_append (a, dst, 4);
    }
  else
    {
      hb_test_put32 (a, 0x60000000);
      hb_test_put16 (a, tcp_len);
      hb_test_put8 (a, 6);
      hb_test_put8 (a, 64);
      g_byte_array_append (a, src, 16);
      g_byte_array_append (a, dst, 16);
    }

  hb_test_put16 (a, from_client ? net->cport : net->sport);
  hb_test_put16 (a, from_client ? net->sport : net->cport);
  hb_test_put32 (a, seq);
  hb_test_put32 (a, ack);
  hb_test_put16 (a, (guint16) (((20 + opt_len) / 4) << 12 | flags));
  hb_test_put16 (a, win);
  hb_test_put16 (a, 0);
  hb_test_put16 (a, 0);
  if (opt_len > 0)
    g_byte_array_append (a, opt, opt_len);
  if (payload_len > 0)
    g_byte_array_append (a, payload, payload_len);
  return a;
}

/* Puts the link layer of @linktype in front of an IP packet. */
GBytes *
hb_test_link_wrap (int         linktype,
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
        hb_test_put8 (a, 0);
      if (variant == HB_TEST_VARIANT_VLAN)
        {
          hb_test_put16 (a, 0x8100);
          hb_test_put16 (a, 42);
        }
      hb_test_put16 (a, ethertype);
      break;

    case DLT_NULL:
      af = family == 4 ? 2 : 30;
      if (variant == HB_TEST_VARIANT_AF23)
        af = 23;
      else if (variant == HB_TEST_VARIANT_AF24)
        af = 24;
      else if (variant == HB_TEST_VARIANT_AF28)
        af = 28;
      if (variant == HB_TEST_VARIANT_SWAPPED)
        af = GUINT32_SWAP_LE_BE (af);
      g_byte_array_append (a, (guint8 *) &af, 4);
      break;

    case DLT_LOOP:
      hb_test_put32 (a, family == 4 ? 2 : 24);
      break;

    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6:
      break;

    case DLT_LINUX_SLL:
      hb_test_put16 (a, 0);       /* to us */
      hb_test_put16 (a, 772);     /* ARPHRD_LOOPBACK */
      hb_test_put16 (a, 6);
      for (guint i = 0; i < 8; i++)
        hb_test_put8 (a, 0);
      hb_test_put16 (a, ethertype);
      break;

    case DLT_LINUX_SLL2:
      hb_test_put16 (a, ethertype);
      hb_test_put16 (a, 0);
      hb_test_put32 (a, 1);       /* ifindex */
      hb_test_put16 (a, 772);
      hb_test_put8 (a, 0);
      hb_test_put8 (a, 6);
      for (guint i = 0; i < 8; i++)
        hb_test_put8 (a, 0);
      break;

    default:
      g_assert_not_reached ();
    }

  g_byte_array_append (a, ip->data, ip->len);
  return g_byte_array_free_to_bytes (a);
}

void
hb_test_capture_init (HbTestCapture *cap,
                      int            linktype,
                      int            variant)
{
  g_autoptr(GError) error = NULL;

  cap->linktype = linktype;
  cap->variant = variant;
  cap->time_us = HB_TEST_T0_US;
  cap->writer = hb_capture_writer_new_memory (linktype, &error);
  g_assert_no_error (error);
}

void
hb_test_capture_add_frame (HbTestCapture *cap,
                           GBytes        *frame,
                           gsize          origlen)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (frame, &size);

  hb_capture_writer_write (cap->writer, cap->time_us, data, size, MAX (origlen, size));
  cap->time_us += 1000;
}

/* Wraps and writes @ip, then frees it. */
void
hb_test_capture_add_ip (HbTestCapture *cap,
                        int            family,
                        GByteArray    *ip)
{
  g_autoptr(GBytes) frame = hb_test_link_wrap (cap->linktype, cap->variant, family, ip);

  hb_test_capture_add_frame (cap, frame, 0);
  g_byte_array_unref (ip);
}

void
hb_test_capture_add (HbTestCapture   *cap,
                     const HbTestNet *net,
                     gboolean         from_client,
                     guint16          flags,
                     guint32          seq,
                     guint32          ack,
                     guint16          win,
                     const guint8    *opt,
                     gsize            opt_len,
                     const char      *payload)
{
  hb_test_capture_add_ip (cap, net->family,
                          hb_test_ip_tcp (net, from_client, flags, seq, ack, win, opt, opt_len,
                                          payload, payload ? strlen (payload) : 0));
}

GBytes *
hb_test_capture_finish (HbTestCapture *cap)
{
  g_autoptr(GError) error = NULL;
  GBytes *bytes = NULL;

  g_assert_true (hb_capture_writer_close (cap->writer, &bytes, &error));
  g_assert_no_error (error);
  g_assert_nonnull (bytes);
  g_clear_pointer (&cap->writer, hb_capture_writer_free);
  return bytes;
}

const HbTestLinkCase hb_test_link_cases[HB_TEST_N_LINK_CASES] = {
  { DLT_EN10MB, HB_TEST_VARIANT_PLAIN, 4 },
  { DLT_EN10MB, HB_TEST_VARIANT_PLAIN, 6 },
  { DLT_EN10MB, HB_TEST_VARIANT_VLAN, 4 },
  { DLT_EN10MB, HB_TEST_VARIANT_VLAN, 6 },
  { DLT_NULL, HB_TEST_VARIANT_PLAIN, 4 },
  { DLT_NULL, HB_TEST_VARIANT_PLAIN, 6 },
  { DLT_NULL, HB_TEST_VARIANT_SWAPPED, 4 },
  { DLT_NULL, HB_TEST_VARIANT_SWAPPED, 6 },
  { DLT_NULL, HB_TEST_VARIANT_AF23, 6 },
  { DLT_NULL, HB_TEST_VARIANT_AF24, 6 },
  { DLT_NULL, HB_TEST_VARIANT_AF28, 6 },
  { DLT_LOOP, HB_TEST_VARIANT_PLAIN, 4 },
  { DLT_LOOP, HB_TEST_VARIANT_PLAIN, 6 },
  { DLT_RAW, HB_TEST_VARIANT_PLAIN, 4 },
  { DLT_RAW, HB_TEST_VARIANT_PLAIN, 6 },
  { DLT_IPV4, HB_TEST_VARIANT_PLAIN, 4 },
  { DLT_IPV6, HB_TEST_VARIANT_PLAIN, 6 },
  { DLT_LINUX_SLL, HB_TEST_VARIANT_PLAIN, 4 },
  { DLT_LINUX_SLL, HB_TEST_VARIANT_PLAIN, 6 },
  { DLT_LINUX_SLL2, HB_TEST_VARIANT_PLAIN, 4 },
  { DLT_LINUX_SLL2, HB_TEST_VARIANT_PLAIN, 6 },
};

/* ---------------------------------------------------------------------- */
/* The synthetic heartbeat conversation                                    */

#define F HB_TCP_FIN
#define S HB_TCP_SYN
#define P HB_TCP_PSH
#define A HB_TCP_ACK

/* Asymmetric window scales (client 7, server 10) show that a window is
 * scaled by its sender's shift. */
const HbTestStep hb_test_conversation[HB_TEST_CONVERSATION_LEN] = {
  { TRUE,  S,     0,  0, 65495, NULL, HB_TEST_OPT_SYN, 100, 0, 65495, HB_TCP_PHASE_HANDSHAKE,
    "4324 → 12001 [SYN] Seq=0 Win=65495 Len=0 MSS=65495 SACK_PERM TSval=100 TSecr=0 WS=128" },
  { FALSE, S | A, 0,  1, 65483, NULL, HB_TEST_OPT_SYN, 200, 100, 65483, HB_TCP_PHASE_HANDSHAKE,
    "12001 → 4324 [SYN, ACK] Seq=0 Ack=1 Win=65483 Len=0 MSS=65495 SACK_PERM TSval=200 TSecr=100 WS=1024" },
  { TRUE,  A,     1,  1, 1000, NULL, HB_TEST_OPT_TS, 101, 200, 128000, HB_TCP_PHASE_HANDSHAKE,
    "4324 → 12001 [ACK] Seq=1 Ack=1 Win=128000 Len=0 TSval=101 TSecr=200" },
  { TRUE,  P | A, 1,  1, 1000, "HELLO x\n", HB_TEST_OPT_NONE, 0, 0, 128000, HB_TCP_PHASE_DATA,
    "4324 → 12001 [PSH, ACK] Seq=1 Ack=1 Win=128000 Len=8" },
  { FALSE, A,     1,  9, 70, NULL, HB_TEST_OPT_NONE, 0, 0, 71680, HB_TCP_PHASE_DATA,
    "12001 → 4324 [ACK] Seq=1 Ack=9 Win=71680 Len=0" },
  { FALSE, P | A, 1,  9, 70, "PING 1\n", HB_TEST_OPT_NONE, 0, 0, 71680, HB_TCP_PHASE_HEARTBEAT,
    "12001 → 4324 [PSH, ACK] Seq=1 Ack=9 Win=71680 Len=7" },
  { TRUE,  P | A, 9,  8, 1000, "PONG 1\n", HB_TEST_OPT_NONE, 0, 0, 128000, HB_TCP_PHASE_HEARTBEAT,
    "4324 → 12001 [PSH, ACK] Seq=9 Ack=8 Win=128000 Len=7" },
  { FALSE, A,     8, 16, 70, NULL, HB_TEST_OPT_NONE, 0, 0, 71680, HB_TCP_PHASE_HEARTBEAT,
    "12001 → 4324 [ACK] Seq=8 Ack=16 Win=71680 Len=0" },
  { TRUE,  F | A, 16, 8, 1000, NULL, HB_TEST_OPT_NONE, 0, 0, 128000, HB_TCP_PHASE_TEARDOWN,
    "4324 → 12001 [FIN, ACK] Seq=16 Ack=8 Win=128000 Len=0" },
  { FALSE, F | A, 8, 17, 70, NULL, HB_TEST_OPT_NONE, 0, 0, 71680, HB_TCP_PHASE_TEARDOWN,
    "12001 → 4324 [FIN, ACK] Seq=8 Ack=17 Win=71680 Len=0" },
  { TRUE,  A,     17, 9, 1000, NULL, HB_TEST_OPT_NONE, 0, 0, 128000, HB_TCP_PHASE_TEARDOWN,
    "4324 → 12001 [ACK] Seq=17 Ack=9 Win=128000 Len=0" },
};

static gsize
step_options (const HbTestStep *step,
              guint8            opt[40])
{
  gsize n = 0;

  if (step->opt == HB_TEST_OPT_SYN)
    {
      static const guint8 head[] = { 2, 4, 0xff, 0xd7, 4, 2, 8, 10 };

      memcpy (opt, head, sizeof head);
      n = sizeof head;
    }
  else if (step->opt == HB_TEST_OPT_TS)
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
  if (step->opt == HB_TEST_OPT_SYN)
    {
      opt[n++] = 1;
      opt[n++] = 3;
      opt[n++] = 3;
      opt[n++] = step->client ? 7 : 10;
    }
  return n;
}

GByteArray *
hb_test_step_ip (const HbTestNet  *net,
                 const HbTestStep *step,
                 guint32           isn_client,
                 guint32           isn_server)
{
  guint8 opt[40];
  gsize opt_len = step_options (step, opt);
  guint32 own = step->client ? isn_client : isn_server;
  guint32 peer = step->client ? isn_server : isn_client;

  return hb_test_ip_tcp (net, step->client, step->flags, own + step->seq,
                         (step->flags & A) ? peer + step->ack : 0, step->win, opt, opt_len,
                         step->payload, step->payload ? strlen (step->payload) : 0);
}

void
hb_test_capture_add_step (HbTestCapture    *cap,
                          const HbTestNet  *net,
                          const HbTestStep *step,
                          guint32           isn_client,
                          guint32           isn_server)
{
  hb_test_capture_add_ip (cap, net->family, hb_test_step_ip (net, step, isn_client, isn_server));
}

GBytes *
hb_test_make_conversation (int              linktype,
                           int              variant,
                           const HbTestNet *net,
                           guint32          isn_client,
                           guint32          isn_server)
{
  HbTestCapture cap;

  hb_test_capture_init (&cap, linktype, variant);
  for (guint i = 0; i < HB_TEST_CONVERSATION_LEN; i++)
    hb_test_capture_add_step (&cap, net, &hb_test_conversation[i], isn_client, isn_server);
  return hb_test_capture_finish (&cap);
}

/* ---------------------------------------------------------------------- */
/* A session of the lab's protocol                                         */

typedef struct
{
  HbTestCapture cap;
  HbTestNet     net;
  guint32       seq[2];   /* [1]: the client's next raw seq */
} LabSession;

/* One segment with @len bytes of @payload (NULL: a pure ACK). */
static void
lab_segment (LabSession *lab,
             gboolean    from_client,
             guint16     flags,
             const char *payload,
             gsize       len)
{
  guint32 *seq = &lab->seq[from_client];
  guint32 ack = lab->seq[!from_client];

  hb_test_capture_add_ip (&lab->cap, lab->net.family,
                          hb_test_ip_tcp (&lab->net, from_client, flags, *seq, ack, 2559, NULL, 0,
                                          payload, len));
  *seq += (guint32) len + ((flags & (HB_TCP_SYN | HB_TCP_FIN)) ? 1 : 0);
}

/* @payload written at once, and the other side's ACK of it. */
static void
lab_send (LabSession *lab,
          gboolean    from_client,
          const char *payload,
          gsize       len)
{
  lab_segment (lab, from_client, HB_TCP_PSH | HB_TCP_ACK, payload, len);
  lab_segment (lab, !from_client, HB_TCP_ACK, NULL, 0);
}

GBytes *
hb_test_make_lab_session (const char *heartbeat,
                          const char *ack)
{
  LabSession lab = { .net = hb_test_net_default (4), .seq = { 70000, 1000 } };
  g_autofree char *ack_glued = g_strconcat (ack, "123", NULL);
  g_autofree char *heartbeat_glued = g_strconcat (heartbeat, "456", NULL);
  gsize cut = MIN (strlen (ack) - 1, 5);

  g_assert_cmpuint (strlen (ack), >=, 2);
  hb_test_capture_init (&lab.cap, DLT_NULL, HB_TEST_VARIANT_PLAIN);
  lab_segment (&lab, TRUE, HB_TCP_SYN, NULL, 0);
  lab_segment (&lab, FALSE, HB_TCP_SYN | HB_TCP_ACK, NULL, 0);
  lab_segment (&lab, TRUE, HB_TCP_ACK, NULL, 0);

  lab_send (&lab, FALSE, heartbeat, strlen (heartbeat));
  lab_send (&lab, TRUE, ack, strlen (ack));
  lab_send (&lab, TRUE, "123", 3);
  lab_segment (&lab, FALSE, HB_TCP_PSH | HB_TCP_ACK, heartbeat, strlen (heartbeat));
  lab_send (&lab, TRUE, ack_glued, strlen (ack_glued));
  lab_segment (&lab, FALSE, HB_TCP_PSH | HB_TCP_ACK, heartbeat_glued, strlen (heartbeat_glued));
  lab_send (&lab, TRUE, ack, strlen (ack));
  lab_segment (&lab, FALSE, HB_TCP_PSH | HB_TCP_ACK, heartbeat, strlen (heartbeat));
  lab_segment (&lab, TRUE, HB_TCP_PSH | HB_TCP_ACK, ack, cut);
  lab_send (&lab, TRUE, ack + cut, strlen (ack) - cut);
  lab_send (&lab, TRUE, "each", 4);
  lab_send (&lab, TRUE, "hello", 5);

  lab_segment (&lab, TRUE, HB_TCP_FIN | HB_TCP_ACK, NULL, 0);
  lab_segment (&lab, FALSE, HB_TCP_FIN | HB_TCP_ACK, NULL, 0);
  lab_segment (&lab, TRUE, HB_TCP_ACK, NULL, 0);
  return hb_test_capture_finish (&lab.cap);
}

void
hb_test_write_long_conversation (const char *path,
                                 guint       n_frames)
{
  HbTestCapture cap;
  HbTestNet net = hb_test_net_default (4);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  guint32 cs = 1000, ss = 5000;
  guint body;

  g_assert_cmpuint (n_frames, >=, 7);
  hb_test_capture_init (&cap, DLT_EN10MB, HB_TEST_VARIANT_PLAIN);
  hb_test_capture_add (&cap, &net, TRUE, HB_TCP_SYN, cs, 0, 65535, NULL, 0, NULL);
  hb_test_capture_add (&cap, &net, FALSE, HB_TCP_SYN | HB_TCP_ACK, ss, cs + 1, 65535, NULL, 0, NULL);
  cs++, ss++;
  hb_test_capture_add (&cap, &net, TRUE, HB_TCP_ACK, cs, ss, 65535, NULL, 0, NULL);
  /* Lines and their ACKs, two frames at a time; one lone ACK if odd. */
  body = n_frames - 6;
  for (guint i = 0; i < body; i++)
    {
      gboolean from_server = (i / 2) % 2 == 0;
      guint32 *seq = from_server ? &ss : &cs;
      guint32 *ack = from_server ? &cs : &ss;

      if (i % 2 == 0 && i + 1 < body)
        {
          g_autofree char *line = g_strdup_printf ("%s %06u\n", from_server ? "PING" : "PONG", i / 4 % 1000000);

          hb_test_capture_add (&cap, &net, !from_server, HB_TCP_PSH | HB_TCP_ACK, *seq, *ack, 65535, NULL, 0, line);
          *seq += strlen (line);
        }
      else
        hb_test_capture_add (&cap, &net, from_server, HB_TCP_ACK, *ack, *seq, 65535, NULL, 0, NULL);
    }
  hb_test_capture_add (&cap, &net, TRUE, HB_TCP_FIN | HB_TCP_ACK, cs, ss, 65535, NULL, 0, NULL);
  hb_test_capture_add (&cap, &net, FALSE, HB_TCP_FIN | HB_TCP_ACK, ss, cs + 1, 65535, NULL, 0, NULL);
  hb_test_capture_add (&cap, &net, TRUE, HB_TCP_ACK, cs + 1, ss + 1, 65535, NULL, 0, NULL);
  bytes = hb_test_capture_finish (&cap);
  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes), &error));
  g_assert_no_error (error);
}

/* ---------------------------------------------------------------------- */
/* Against tshark                                                          */

static const HbPacket *
packet_of_frame (GPtrArray *packets,
                 guint      frame,
                 guint     *hint)
{
  /* Packets are in frame order: move on from the last one found. */
  while (*hint < packets->len && ((HbPacket *) packets->pdata[*hint])->frame < frame)
    (*hint)++;
  if (*hint < packets->len && ((HbPacket *) packets->pdata[*hint])->frame == frame)
    return packets->pdata[*hint];
  return NULL;
}

void
hb_test_tshark_compare (const char         *tshark,
                        const char         *path,
                        HbCaptureFile      *file,
                        HbTestTsharkResult *result)
{
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *packets = hb_capture_file_get_packets (file);
  guint hint = 0, n_ours = 0;

  memset (result, 0, sizeof *result);
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
      g_autofree char *info = NULL;
      const HbPacket *p;
      gboolean tcp;

      if (lines[l][0] == '\0')
        continue;
      f = g_strsplit (lines[l], "\t", -1);
      g_assert_cmpuint (g_strv_length (f), ==, 13);
      result->n_frames++;
      p = packet_of_frame (packets, (guint) g_ascii_strtoull (f[0], NULL, 10), &hint);
      tcp = f[9][0] != '\0';
      if (p == NULL)
        {
          /* A frame we do not read as TCP must be none for tshark either. */
          if (g_strcmp0 (f[11], "TCP") == 0)
            {
              result->n_info++;
              g_test_message ("frame %s: tshark reads it as TCP, we do not: %s", f[0], f[12]);
            }
          else
            g_assert_false (tcp && f[1][0] != '\0');
          continue;
        }
      n_ours++;
      g_assert_true (tcp);
      g_assert_cmpstr (p->family == 4 ? f[7] : f[8], ==, p->src);
      g_assert_cmpuint (g_ascii_strtoull (f[9], NULL, 10), ==, p->src_port);
      g_assert_cmpuint (g_ascii_strtoull (f[10], NULL, 10), ==, p->dst_port);
      if (p->cut != HB_PACKET_CUT_PORTS)
        {
          g_assert_cmpuint (g_ascii_strtoull (f[1], NULL, 10), ==, p->conversation);
          g_assert_cmpuint (g_ascii_strtoull (f[2], NULL, 10), ==, p->rel_seq);
          if (p->flags & HB_TCP_ACK)
            g_assert_cmpuint (g_ascii_strtoull (f[3], NULL, 10), ==, p->rel_ack);
          g_assert_cmpuint (g_ascii_strtoull (f[4], NULL, 10), ==, p->payload_len);
          g_assert_cmpuint (g_ascii_strtoull (f[5], NULL, 10), ==, p->win);
          g_assert_cmpuint (g_ascii_strtoull (f[6], NULL, 16), ==, p->flags);
        }
      else
        g_assert_cmpstr (f[1], ==, "");

      /* Another dissector may claim a payload and rewrite the columns. */
      if (g_strcmp0 (f[11], "TCP") != 0)
        continue;
      result->n_info++;
      info = hb_packet_format_info (p);
      if (g_strcmp0 (info, f[12]) == 0)
        result->n_equal++;
      else
        g_test_message ("frame %s differs:\n  tshark: %s\n  ours:   %s", f[0], f[12], info);
    }
  g_assert_cmpuint (n_ours, ==, packets->len);
}

guint
hb_test_compare_with_tshark (const char    *tshark,
                             const char    *path,
                             HbCaptureFile *file)
{
  HbTestTsharkResult result;

  hb_test_tshark_compare (tshark, path, file, &result);
  g_test_message ("%s: Info equal on %u of %u frames", path, result.n_equal, result.n_info);
  g_assert_cmpuint (result.n_equal, ==, result.n_info);
  return result.n_info;
}

/* ---------------------------------------------------------------------- */
/* pcapng and snapshot lengths                                             */

typedef struct
{
  guint          iface;
  guint64        ts_us;
  guint32        caplen;
  guint32        origlen;
  const guint8  *data;
} PcapRecord;

static void
append32 (GByteArray *a,
          guint32     v)
{
  g_byte_array_append (a, (const guint8 *) &v, 4);
}

static void
append_block (GByteArray   *a,
              guint32       type,
              const guint8 *body,
              gsize         body_len)
{
  static const guint8 pad[4] = { 0 };
  gsize padded = (body_len + 3) & ~(gsize) 3;

  append32 (a, type);
  append32 (a, 12 + padded);
  g_byte_array_append (a, body, body_len);
  g_byte_array_append (a, pad, padded - body_len);
  append32 (a, 12 + padded);
}

static gint
record_order (gconstpointer a,
              gconstpointer b)
{
  const PcapRecord *x = a, *y = b;

  if (x->ts_us != y->ts_us)
    return x->ts_us < y->ts_us ? -1 : 1;
  return x->iface != y->iface ? (x->iface < y->iface ? -1 : 1) : 0;
}

GBytes *
hb_test_merge_pcapng (GBytes *const *pcaps,
                      guint          n,
                      gboolean       ns)
{
  GByteArray *a = g_byte_array_new ();
  g_autoptr(GByteArray) body = g_byte_array_new ();
  g_autoptr(GArray) records = g_array_new (FALSE, FALSE, sizeof (PcapRecord));
  guint16 pair[2];

  /* Section header: byte-order magic, version 1.0, length unknown. */
  append32 (body, 0x1a2b3c4d);
  pair[0] = 1;
  pair[1] = 0;
  g_byte_array_append (body, (const guint8 *) pair, 4);
  append32 (body, 0xffffffff);
  append32 (body, 0xffffffff);
  append_block (a, 0x0a0d0d0a, body->data, body->len);

  for (guint i = 0; i < n; i++)
    {
      gsize size;
      const guint8 *data = g_bytes_get_data (pcaps[i], &size);
      guint32 magic, snaplen, linktype;

      g_assert_cmpuint (size, >=, 24);
      memcpy (&magic, data, 4);
      g_assert_cmphex (magic, ==, 0xa1b2c3d4);
      memcpy (&snaplen, data + 16, 4);
      memcpy (&linktype, data + 20, 4);

      g_byte_array_set_size (body, 0);
      pair[0] = linktype;
      pair[1] = 0;
      g_byte_array_append (body, (const guint8 *) pair, 4);
      append32 (body, snaplen);
      if (ns && i > 0)
        {
          /* if_tsresol 9: nanoseconds; then the end of options. */
          static const guint8 tsresol[8] = { 9, 0, 1, 0, 9, 0, 0, 0 };

          g_byte_array_append (body, tsresol, sizeof tsresol);
          append32 (body, 0);
        }
      append_block (a, 1, body->data, body->len);

      for (gsize at = 24; at + 16 <= size;)
        {
          guint32 sec, usec;
          PcapRecord r = { i, 0, 0, 0, NULL };

          memcpy (&sec, data + at, 4);
          memcpy (&usec, data + at + 4, 4);
          memcpy (&r.caplen, data + at + 8, 4);
          memcpy (&r.origlen, data + at + 12, 4);
          g_assert_cmpuint (at + 16 + r.caplen, <=, size);
          r.ts_us = (guint64) sec * G_USEC_PER_SEC + usec;
          r.data = data + at + 16;
          g_array_append_val (records, r);
          at += 16 + r.caplen;
        }
    }

  g_array_sort (records, record_order);
  for (guint k = 0; k < records->len; k++)
    {
      const PcapRecord *r = &g_array_index (records, PcapRecord, k);
      guint64 ts = ns && r->iface > 0 ? r->ts_us * 1000 : r->ts_us;

      g_byte_array_set_size (body, 0);
      append32 (body, r->iface);
      append32 (body, ts >> 32);
      append32 (body, ts & 0xffffffff);
      append32 (body, r->caplen);
      append32 (body, r->origlen);
      g_byte_array_append (body, r->data, r->caplen);
      append_block (a, 6, body->data, body->len);
    }
  return g_byte_array_free_to_bytes (a);
}

GBytes *
hb_test_snap_pcap (GBytes  *pcap,
                   guint32  snaplen)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (pcap, &size);
  GByteArray *a = g_byte_array_new ();

  g_assert_cmpuint (size, >=, 24);
  g_byte_array_append (a, data, 24);
  memcpy (a->data + 16, &snaplen, 4);
  for (gsize at = 24; at + 16 <= size;)
    {
      guint32 caplen, keep;

      memcpy (&caplen, data + at + 8, 4);
      g_assert_cmpuint (at + 16 + caplen, <=, size);
      keep = MIN (caplen, snaplen);
      g_byte_array_append (a, data + at, 8);
      append32 (a, keep);
      g_byte_array_append (a, data + at + 12, 4);
      g_byte_array_append (a, data + at + 16, keep);
      at += 16 + caplen;
    }
  return g_byte_array_free_to_bytes (a);
}

HbCaptureFile *
hb_test_load_ok (GBytes *bytes)
{
  g_autoptr(GError) error = NULL;
  HbCaptureFile *file = hb_capture_file_new ();

  g_assert_true (hb_capture_file_load_bytes (file, bytes, &error));
  g_assert_no_error (error);
  return file;
}

/* Steps of hb_test_conversation, in another order or twice. */
GBytes *
hb_test_make_steps (int              linktype,
                    const HbTestNet *net,
                    const int       *order,
                    guint            n)
{
  HbTestCapture fx;

  hb_test_capture_init (&fx, linktype, HB_TEST_VARIANT_PLAIN);
  for (guint i = 0; i < n; i++)
    hb_test_capture_add_step (&fx, net, &hb_test_conversation[order[i]], 1000, 5000);
  return hb_test_capture_finish (&fx);
}

/* 10.0.0.1 and 10.0.0.3 interleaved, then 10.0.0.1 again on the same
 * 4-tuple with a new ISN: three conversations. */
GBytes *
hb_test_make_three_conversations (void)
{
  HbTestNet a = hb_test_net_new (4, "10.0.0.1", "10.0.0.2", HB_TEST_CLIENT_PORT, HB_TEST_SERVER_PORT);
  HbTestNet b = hb_test_net_new (4, "10.0.0.3", "10.0.0.2", HB_TEST_CLIENT_PORT, HB_TEST_SERVER_PORT);
  HbTestCapture fx;

  hb_test_capture_init (&fx, DLT_EN10MB, HB_TEST_VARIANT_PLAIN);
  for (guint i = 0; i < HB_TEST_CONVERSATION_LEN; i++)
    {
      hb_test_capture_add_step (&fx, &a, &hb_test_conversation[i], 1000, 5000);
      hb_test_capture_add_step (&fx, &b, &hb_test_conversation[i], 7000, 9000);
    }
  for (guint i = 0; i < HB_TEST_CONVERSATION_LEN; i++)
    hb_test_capture_add_step (&fx, &a, &hb_test_conversation[i], 3000000, 4000000);
  return hb_test_capture_finish (&fx);
}
