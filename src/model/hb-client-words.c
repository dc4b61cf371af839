/* hb-client-words.c - what the client window says, in the words of the protocol it speaks: the heartbeat panel, the faults, why a connection ended
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each sentence claims only what this client can know in its protocol:
 * the line protocol's server announced its terms in WELCOME; the lab's
 * announces nothing, so the window speaks of what it saw and of its own
 * limit, never of the server's.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "hb-client-words.h"

/* The fault switches' lines say what the server, both kernels and a
 * capture show, each claim checked on loopback by tests/test-lessons.c:
 * - not answering: the client's kernel still ACKs every heartbeat (RFC
 *   9293 §3.8.6.3: the ACK is TCP's, the answer the program's);
 * - delaying: below Linux's delayed-ACK time (40 ms) the ACK of the
 *   heartbeat rides on the late answer, so the server's kernel RTT
 *   (RFC 6298) grows with it; above it the kernel ACKs alone (the first
 *   heartbeat after the 40 ms, every later one at once), and one 40 ms
 *   sample weighs 1/8 in the smoothed RTT;
 * - not reading: the kernel still ACKs and keeps the bytes; heartbeats
 *   are small, so the window (RFC 9293 §3.8.6) stays open, and the
 *   server's FIN leaves this socket in CLOSE_WAIT (§3.10.7.4); only a
 *   flood closes the window, and then the sender probes it (§3.8.6.1,
 *   the persist timer, backing off);
 * - aborting: SO_LINGER {1, 0} (socket(7)) sends RST (§3.10.5), and the
 *   server still reads what had arrived before its ECONNRESET;
 * - half-closing: shutdown(SHUT_WR) sends FIN (§3.6.1); the server's
 *   kernel enters CLOSE_WAIT, its read() returns 0. */
void
hb_client_words_get (HbProtocol     protocol,
                     HbClientWords *words)
{
  if (protocol == HB_PROTOCOL_LINE)
    {
      words->ping_caption = _("PING in");
      words->pong_caption = _("PONG out");
      words->ping_tooltip = _("Beats red when the server's PING arrives");
      words->pong_tooltip = _("Beats blue when this client's PONG goes out");
      words->terms_title = _("Agreed in WELCOME");
      words->last_ping_title = _("Last PING");
      words->last_pong_title = _("Last PONG");
      words->verdict_title = _("Server's verdict");
      words->answer_hint = _("Off: no PONG, yet this client's kernel still ACKs each PING — TCP is healthy, the program "
                             "is not. The server marks this client late after one interval and closes it with BYE "
                             "timeout; a capture shows PING, a bare ACK, no PONG.");
      words->delay_hint = _("The server's RTT column grows by the delay. So does the kernel RTT of the server's socket "
                            "(TCP State tab of its timeline) at 20 ms: this kernel's ACK of the PING rides on the PONG. "
                            "At 300 ms the ACK goes alone, and the kernel RTT stays a few milliseconds.");
      words->reading_hint = _("Off: this client stops reading; its kernel still ACKs. PINGs pile up unread, but the "
                              "window hardly shrinks. The server gives up (BYE timeout, then FIN), unread: this socket "
                              "stays in CLOSE_WAIT. Only a flood brings window 0; the server's kernel then probes it, "
                              "less and less often (persist timer).");
      words->abort_hint = _("Closes at once with SO_LINGER {1, 0}: no BYE, no FIN, no TIME_WAIT; this kernel sends one "
                            "RST. The server still reads what had arrived, then recv() fails with “connection reset by "
                            "peer”.");
      words->half_close_hint = _("shutdown(SHUT_WR): sends FIN, keeps reading. The server's kernel enters CLOSE_WAIT and "
                                 "its read() returns 0; it closes its side too, and this side ends in TIME_WAIT — a "
                                 "connection release started by the client.");
      return;
    }

  words->ping_caption = _("heartbeat in");
  words->pong_caption = _("answer out");
  words->ping_tooltip = _("Beats red when the server's heartbeat arrives");
  words->pong_tooltip = _("Beats blue when this window's answer goes out");
  words->terms_title = _("Heartbeat");
  words->last_ping_title = _("Last heartbeat");
  words->last_pong_title = _("Last answer");
  words->verdict_title = _("Liveness");
  words->answer_hint = _("Off: no answer, yet this side's kernel still ACKs each heartbeat — TCP is healthy, the "
                         "program is not. A server that checks answers gives up and closes with a FIN (the lab's "
                         "protocol has no BYE); a capture shows heartbeat, a bare ACK, no answer.");
  words->delay_hint = _("A server that times the answers sees them later by the delay. So does the kernel RTT of its "
                        "socket (TCP State tab of its timeline) at 20 ms: this kernel's ACK of the heartbeat rides on "
                        "the answer. At 300 ms the ACK goes alone, and the kernel RTT stays a few milliseconds.");
  words->reading_hint = protocol == HB_PROTOCOL_RAW
    ? _("Off: this window stops reading; its kernel still ACKs and keeps the bytes until its buffer is full. Then it "
        "advertises window 0, the server's send() blocks once its own buffer fills, and its kernel probes the window, "
        "less and less often (persist timer).")
    : _("Off: this window stops reading and answers nothing; its kernel still ACKs. Heartbeats pile up unread, but the "
        "window hardly shrinks. A server that gives up sends a FIN, unread: this socket stays in CLOSE_WAIT. Only a "
        "flood brings window 0, and the server's kernel probes it (persist timer).");
  words->abort_hint = _("Closes at once with SO_LINGER {1, 0}: no FIN, no TIME_WAIT; this kernel sends one RST. The "
                        "server's recv() still returns what had arrived, then fails with ECONNRESET, “connection reset "
                        "by peer”.");
  words->half_close_hint = _("shutdown(SHUT_WR): sends FIN, keeps reading. The server's kernel enters CLOSE_WAIT and its "
                             "recv() returns 0; a server written well closes its side too — a connection release "
                             "started by the client.");
}

char *
hb_client_words_state (HbClient   *client,
                       const char *last_reason)
{
  char *text = NULL;

  switch (hb_client_get_state (client))
    {
    case HB_CLIENT_CONNECTING:
      text = g_strdup_printf (_("Connecting to %s port %u…"), hb_client_get_host (client),
                              hb_client_get_port (client));
      break;
    case HB_CLIENT_CONNECTED:
      if (hb_client_get_protocol (client) != HB_PROTOCOL_LINE)
        {
          /* No greeting in the lab's protocol or raw TCP: connected is all. */
          g_autofree char *where = hb_format_endpoint (hb_client_get_host (client),
                                                       hb_client_get_port (client));

          text = hb_client_get_protocol (client) == HB_PROTOCOL_LAB
                   ? g_strdup_printf (_("Connected to %s (the lab's protocol)"), where)
                   : g_strdup_printf (_("Connected to %s (raw TCP)"), where);
        }
      else if (hb_client_get_client_id (client) == 0)
        text = g_strdup (_("Connected; waiting for the server's WELCOME…"));
      else
        text = g_strdup_printf (_("Connected as client #%u"), hb_client_get_client_id (client));
      break;
    case HB_CLIENT_RECONNECTING:
      {
        guint delay = 0;

        g_object_get (client, "reconnect-delay-ms", &delay, NULL);
        text = g_strdup_printf (_("Disconnected (%s) · reconnecting in %.1f s"),
                                last_reason ? last_reason : "", delay / 1000.0);
      }
      break;
    case HB_CLIENT_DISCONNECTED:
    default:
      text = last_reason ? g_strdup_printf (_("Disconnected: %s"), last_reason)
                         : g_strdup (_("Not connected"));
      break;
    }
  return text;
}

char *
hb_client_words_duration (guint ms)
{
  if (ms % 1000 == 0)
    return g_strdup_printf (_("%u s"), ms / 1000);
  if (ms > 1000 && ms % 100 == 0)
    return g_strdup_printf (_("%.1f s"), ms / 1000.0);
  return g_strdup_printf (_("%u ms"), ms);
}

const char *
hb_client_words_ended (HbByeReason reason,
                       HbInitiator initiator,
                       HbProtocol  protocol)
{
  switch (reason)
    {
    case HB_BYE_SHUTDOWN: return _("the server shut down");
    case HB_BYE_KICKED: return _("kicked by the server");
    case HB_BYE_TIMEOUT: return _("the server heard no heartbeat answer in time");
    case HB_BYE_SLOW_CONSUMER: return _("the server cut this client off for not reading");
    case HB_BYE_SERVER_FULL: return _("the server is full");
    case HB_BYE_GOODBYE:
    case HB_BYE_USER: return _("you disconnected");
    case HB_BYE_PEER_CLOSED:
      return initiator == HB_INITIATOR_LOCAL ? _("half-closed; the server closed its side too")
                                             : _("the server closed the connection");
    case HB_BYE_RESET: return _("the connection was reset");
    case HB_BYE_SERVER_TIMEOUT:
      /* The lab's server announced no timeout: the limit is this window's. */
      return protocol == HB_PROTOCOL_LINE ? _("the server went silent for longer than its timeout")
                                          : _("the server sent nothing for longer than this window's silence limit");
    case HB_BYE_ABORTED: return _("aborted with RST");
    case HB_BYE_ERROR: return _("could not connect");
    default: return _("the connection ended");
    }
}

char *
hb_client_words_count (HbProtocol protocol,
                       guint64    pings,
                       guint64    pongs)
{
  if (protocol == HB_PROTOCOL_LAB)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%llu heartbeat received, %llu answered",
                                         "%llu heartbeats received, %llu answered", pings),
                            (unsigned long long) pings, (unsigned long long) pongs);
  return g_strdup_printf (_("%llu PINGs received, %llu PONGs sent"),
                          (unsigned long long) pings, (unsigned long long) pongs);
}

/* The server's verdict on this client, worked out here by the server's
 * own rule (hb_client_get_server_view()), so that the two windows never
 * disagree: late as soon as the server says late, dead when it says dead. */
char *
hb_client_words_line_verdict (HbClient *client,
                              guint64   pings,
                              guint64   pongs,
                              gint64    since,
                              gint64    now)
{
  HbServerView view;
  long long dead_in;

  if (hb_client_get_client_id (client) == 0 || hb_client_get_timeout_ms (client) == 0)
    return g_strdup ("—");
  if (pings == 0 && pongs == 0)
    return g_strdup (_("alive (no heartbeat yet)"));

  hb_client_get_server_view (client, g_get_monotonic_time (), &view);
  dead_in = (long long) ((view.dead_in_us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
  switch (view.liveness)
    {
    case HB_LIVENESS_DEAD:
      return g_strdup (_("dead: the server is closing this connection"));
    case HB_LIVENESS_LATE:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "late · %llu heartbeat unanswered · declared dead in %lld s",
                                           "late · %llu heartbeats unanswered · declared dead in %lld s",
                                           view.owed),
                              (unsigned long long) view.owed, dead_in);
    case HB_LIVENESS_ALIVE:
    default:
      if (view.owed == 0)
        return g_strdup (_("alive · every heartbeat answered"));
      return g_strdup_printf (_("alive · a heartbeat awaits its answer · declared dead in %lld s without one"),
                              dead_in);
    }
}

char *
hb_client_words_lab_verdict (HbClient *client,
                             guint64   pings,
                             gint64    since,
                             gint64    now)
{
  guint timeout = hb_client_get_timeout_ms (client);
  g_autofree char *limit = hb_client_words_duration (timeout ? timeout : HB_DEFAULT_TIMEOUT_MS);
  long long quiet = (long long) ((now - since) / G_USEC_PER_SEC);
  gboolean reading = TRUE;

  g_object_get (client, "reading", &reading, NULL);
  if (!reading)
    return g_strdup (_("not reading: this window hears nothing now, and does not hold the silence against the server"));
  if (pings == 0)
    return g_strdup_printf (_("no heartbeat yet (connected %lld s ago) · this window declares the server dead after %s of silence"),
                            quiet, limit);
  return g_strdup_printf (_("no heartbeat for %lld s · this window declares the server dead after %s of silence"),
                          quiet, limit);
}

char *
hb_client_words_lab_terms (HbClient *client,
                           guint64   pings,
                           gint64    first,
                           gint64    last)
{
  g_autoptr(GBytes) hb = NULL;
  g_autoptr(GBytes) ack = NULL;
  g_autofree char *hb_text = NULL;
  g_autofree char *ack_text = NULL;
  HbEncoding encoding = HB_ENCODING_UTF8;
  gsize len;
  const guint8 *data;

  g_object_get (client, "heartbeat", &hb, "ack", &ack, "encoding", &encoding, NULL);
  data = g_bytes_get_data (hb, &len);
  hb_text = hb_bytes_to_display (data, len, encoding, len, NULL);
  data = g_bytes_get_data (ack, &len);
  ack_text = hb_bytes_to_display (data, len, encoding, len, NULL);
  if (pings < 2 || first == 0)
    return g_strdup_printf (_("“%s” answered with “%s”"), hb_text, ack_text);
  /* Measured, not announced: the mean gap between the heartbeats. */
  return g_strdup_printf (_("“%s” answered with “%s”, one every %.1f s"), hb_text, ack_text,
                          (double) (last - first) / (pings - 1) / G_USEC_PER_SEC);
}
