/* test-pcap-tshark.c - capture files and live sessions checked against tshark, field by field
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The slow suite: tshark starts in about a second each time. Without
 * tshark, or without the privilege to capture, these tests report
 * themselves skipped, never passed.
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
#include "hb-test-pcap.h"
#include "hb-test-util.h"

#define F HB_TCP_FIN
#define S HB_TCP_SYN
#define R HB_TCP_RST
#define P HB_TCP_PSH
#define A HB_TCP_ACK

static char *
find_tshark (void)
{
  return g_find_program_in_path ("tshark");
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
  g_autoptr(HbCaptureFile) file = hb_test_load_ok (bytes);

  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error));
  g_assert_no_error (error);
  g_test_message ("comparing %s", name);
  g_assert_cmpuint (hb_test_compare_with_tshark (tshark, path, file), >=, min_info);
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

  for (guint i = 0; i < HB_TEST_N_LINK_CASES; i++)
    {
      const HbTestLinkCase *lc = &hb_test_link_cases[i];
      HbTestNet net = hb_test_net_default (lc->family);
      g_autoptr(GBytes) bytes = hb_test_make_conversation (lc->linktype, lc->variant, &net, 1000, 5000);
      g_autofree char *name = g_strdup_printf ("link-%d-%d-v%d.pcap", lc->linktype, lc->variant, lc->family);

      /* Wireshark reads AF 23 in DLT_NULL as IPX (the BSD meaning); we
       * take it for Windows' AF_INET6 when the packet is IPv6. */
      if (lc->variant == HB_TEST_VARIANT_AF23)
        continue;
      save_and_compare (tshark, dir, name, bytes, HB_TEST_CONVERSATION_LEN);
    }

  {
    HbTestNet net = hb_test_net_default (4);
    g_autoptr(GBytes) wrap = hb_test_make_conversation (DLT_EN10MB, HB_TEST_VARIANT_PLAIN, &net, 0xfffffff0, 0xfffffffe);
    static const int retrans[] = { 0, 1, 2, 3, 3, 4, 5, 5, 6, 7, 8, 8, 9, 10 };
    static const int no_syn[] = { 3, 4, 5, 6, 7, 8, 9, 10 };
    g_autoptr(GBytes) retrans_bytes = hb_test_make_steps (DLT_EN10MB, &net, retrans, G_N_ELEMENTS (retrans));
    g_autoptr(GBytes) no_syn_bytes = hb_test_make_steps (DLT_NULL, &net, no_syn, G_N_ELEMENTS (no_syn));

    save_and_compare (tshark, dir, "wrap.pcap", wrap, HB_TEST_CONVERSATION_LEN);
    save_and_compare (tshark, dir, "retransmission.pcap", retrans_bytes, G_N_ELEMENTS (retrans));
    save_and_compare (tshark, dir, "no-syn.pcap", no_syn_bytes, G_N_ELEMENTS (no_syn));
  }

  /* Two conversations and a reused 4-tuple: tcp.stream must agree. */
  {
    g_autoptr(GBytes) bytes = hb_test_make_three_conversations ();

    save_and_compare (tshark, dir, "streams.pcap", bytes, 3 * HB_TEST_CONVERSATION_LEN);
  }

  /* SACK blocks and the asymmetric and missing window scales. */
  {
    HbTestNet net = hb_test_net_default (4);
    static const guint8 ws_only[] = { 1, 3, 3, 7 };
    guint8 sack[12] = { 1, 1, 5, 10 };
    guint32 edges[] = { htonl (1009), htonl (1016) };
    HbTestCapture fx;
    g_autoptr(GBytes) bytes = NULL;

    memcpy (sack + 4, edges, 8);
    hb_test_capture_init (&fx, DLT_RAW, HB_TEST_VARIANT_PLAIN);
    hb_test_capture_add (&fx, &net, TRUE, S, 1000, 0, 65535, ws_only, 4, NULL);
    hb_test_capture_add (&fx, &net, FALSE, S | A, 5000, 1001, 65535, NULL, 0, NULL);
    hb_test_capture_add (&fx, &net, TRUE, A, 1001, 5001, 1000, NULL, 0, NULL);
    hb_test_capture_add (&fx, &net, FALSE, A, 5001, 1001, 70, sack, sizeof sack, NULL);
    hb_test_capture_add (&fx, &net, FALSE, A | HB_TCP_URG, 5001, 1001, 70, NULL, 0, NULL);
    bytes = hb_test_capture_finish (&fx);
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
      /* The teardown begins with the first FIN or RST, or with the
       * protocol's goodbye line when one is sent first. */
      if ((p->flags & (HB_TCP_FIN | HB_TCP_RST)) || (text && g_str_has_prefix (text, "BYE")))
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

  g_assert_cmpuint (hb_test_compare_with_tshark (tshark, path, file), >=, 3);

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

/* The bytes pane prints what `tshark -x` prints, and the details name the
 * fields the way Wireshark's details pane does. */
static void
test_details_and_hex (void)
{
  HbTestNet net = hb_test_net_default (4);
  g_autoptr(GBytes) file = hb_test_make_conversation (DLT_EN10MB, HB_TEST_VARIANT_PLAIN, &net, 1000, 5000);
  g_autoptr(HbCaptureFile) reader = hb_capture_file_new ();
  g_autofree char *tshark = find_tshark ();
  GPtrArray *packets;
  HbPacket *syn, *ping;
  g_autofree char *syn_details = NULL;
  g_autofree char *ping_details = NULL;

  g_assert_true (hb_capture_file_load_bytes (reader, file, NULL));
  packets = hb_capture_file_get_packets (reader);
  syn = packets->pdata[0];
  syn_details = hb_packet_format_details (syn);
  g_assert_nonnull (strstr (syn_details, "Internet Protocol Version 4, Src: 127.0.0.1, Dst: 127.0.0.1"));
  g_assert_nonnull (strstr (syn_details, "Sequence number: 0 (relative; raw 1000)"));
  g_assert_nonnull (strstr (syn_details, "Acknowledgment number: none"));
  g_assert_nonnull (strstr (syn_details, "Flags: 0x002 (SYN)"));
  g_assert_nonnull (strstr (syn_details, "Maximum segment size: 65495 bytes"));
  g_assert_nonnull (strstr (syn_details, "Phase: Three-way handshake"));

  ping = NULL;
  for (guint i = 0; i < packets->len; i++)
    if (g_strcmp0 (hb_test_conversation[i].payload, "PING 1\n") == 0)
      ping = packets->pdata[i];
  g_assert_nonnull (ping);
  ping_details = hb_packet_format_details (ping);
  g_assert_nonnull (strstr (ping_details, "Data (7 bytes): “PING 1”"));
  g_assert_nonnull (strstr (ping_details, "Phase: Heartbeat"));

  {
    const guint8 sixteen[] = "0123456789abcdef\x01";
    g_autofree char *hex = hb_format_hex_dump (sixteen, 17);

    g_assert_cmpstr (hex, ==,
                     "0000  30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66   0123456789abcdef\n"
                     "0010  01                                                .");
  }

  if (tshark == NULL)
    {
      g_test_message ("tshark not installed: the hex dump is checked against its known form only");
      return;
    }
  {
    g_autofree char *dir = g_dir_make_tmp ("hb-hex-XXXXXX", NULL);
    g_autofree char *path = g_build_filename (dir, "c.pcap", NULL);
    g_autofree char *out = NULL;
    g_autoptr(GString) ours = g_string_new (NULL);
    g_autoptr(GError) error = NULL;
    int status = 0;
    const char *argv[] = { tshark, "-n", "-r", path, "-x", NULL };

    g_assert_true (g_file_set_contents (path, g_bytes_get_data (file, NULL), (gssize) g_bytes_get_size (file), NULL));
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
                                 &status, &error));
    g_assert_no_error (error);
    for (guint i = 0; i < packets->len; i++)
      {
        HbPacket *packet = packets->pdata[i];
        gsize len;
        const guint8 *data = g_bytes_get_data (packet->data, &len);
        g_autofree char *hex = hb_format_hex_dump (data, len);

        g_string_append_printf (ours, "%s\n\n", hex);
      }
    /* tshark pads the ASCII of a short last line; compare without the
     * trailing spaces. */
    {
      g_auto(GStrv) a = g_strsplit (ours->str, "\n", -1);
      g_auto(GStrv) b = g_strsplit (out, "\n", -1);

      for (guint i = 0; a[i] != NULL && b[i] != NULL; i++)
        g_assert_cmpstr (g_strchomp (a[i]), ==, g_strchomp (b[i]));
      g_assert_cmpuint (g_strv_length (a), <=, g_strv_length (b) + 1);
      g_assert_cmpuint (g_strv_length (a), >=, 2 * packets->len);
    }
    g_unlink (path);
    g_rmdir (dir);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/pcap/text/details-and-hex", test_details_and_hex);
  g_test_add_func ("/core/pcap/tshark/fixtures", test_tshark_fixtures);
  g_test_add_func ("/core/pcap/tshark/live-session", test_live_session);
  g_test_add_func ("/core/pcap/tshark/live-abort", test_live_abort);
  g_test_add_func ("/core/pcap/tshark/live-half-close", test_live_half_close);

  return g_test_run ();
}
