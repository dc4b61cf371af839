/* hb-tcp-info.c - what the kernel knows about one TCP socket (TCP_INFO)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * <linux/tcp.h> has the full struct tcp_info but clashes with
 * <netinet/tcp.h> and GIO's headers, so it lives alone in this file.
 */

#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/tcp.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>
#include <unistd.h>

#include <gio/gio.h>

#include "hb-tcp-info.h"

gboolean
hb_tcp_info_query (int         fd,
                   HbTcpInfo  *info,
                   GError    **error)
{
  struct tcp_info ti;
  socklen_t len = sizeof ti;

  memset (info, 0, sizeof *info);
  memset (&ti, 0, sizeof ti);
  if (fd < 0 || getsockopt (fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
    {
      int err = fd < 0 ? EBADF : errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
                   "TCP_INFO: %s", g_strerror (err));
      return FALSE;
    }

  info->state = ti.tcpi_state;
  info->rtt_us = ti.tcpi_rtt;
  info->rttvar_us = ti.tcpi_rttvar;
  info->rto_us = ti.tcpi_rto;
  info->snd_cwnd = ti.tcpi_snd_cwnd;
  info->snd_mss = ti.tcpi_snd_mss;
  info->rcv_mss = ti.tcpi_rcv_mss;
  info->unacked = ti.tcpi_unacked;
  info->retransmits = ti.tcpi_retransmits;
  info->total_retrans = ti.tcpi_total_retrans;
  /* Older kernels return a shorter struct: only trust what was filled. */
  if (len >= offsetof (struct tcp_info, tcpi_segs_in) + sizeof ti.tcpi_segs_in)
    {
      info->have_bytes = TRUE;
      info->bytes_acked = ti.tcpi_bytes_acked;
      info->bytes_received = ti.tcpi_bytes_received;
      info->segs_out = ti.tcpi_segs_out;
      info->segs_in = ti.tcpi_segs_in;
    }
  if (len >= offsetof (struct tcp_info, tcpi_snd_wnd) + sizeof ti.tcpi_snd_wnd)
    {
      info->have_snd_wnd = TRUE;
      info->snd_wnd = ti.tcpi_snd_wnd;
    }
  return TRUE;
}

/* /proc/net/tcp writes addresses as the raw in_addr in host byte order. */
static gboolean
proc_address (const char *ip,
              char       *out,
              gsize       size)
{
  struct in_addr a4;
  struct in6_addr a6;

  if (inet_pton (AF_INET, ip, &a4) == 1)
    {
      g_snprintf (out, size, "%08X", a4.s_addr);
      return TRUE;
    }
  if (inet_pton (AF_INET6, ip, &a6) == 1)
    {
      guint32 w[4];

      memcpy (w, &a6, sizeof w);
      g_snprintf (out, size, "%08X%08X%08X%08X", w[0], w[1], w[2], w[3]);
      return TRUE;
    }
  return FALSE;
}

static HbTcpState proc_lookup (const char *local_ip, guint local_port,
                               const char *remote_ip, guint remote_port);

/* One exact lookup through sock_diag (unprivileged): the kernel finds the
 * socket by its 4-tuple, TIME_WAIT included, however many sockets exist.
 * Returns -1 when the kernel cannot answer. */
static int
diag_lookup (const char *local_ip,
             guint       local_port,
             const char *remote_ip,
             guint       remote_port)
{
  struct
  {
    struct nlmsghdr         nlh;
    struct inet_diag_req_v2 req;
  } msg;
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  struct timeval tv = { .tv_sec = 1 };
  union { struct nlmsghdr h; char bytes[8192]; } reply;
  int family = strchr (local_ip, ':') ? AF_INET6 : AF_INET;
  int fd, state = -1;
  ssize_t n;

  memset (&msg, 0, sizeof msg);
  msg.nlh.nlmsg_len = sizeof msg;
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST;
  msg.req.sdiag_family = family;
  msg.req.sdiag_protocol = IPPROTO_TCP;
  msg.req.idiag_states = ~0u;
  msg.req.id.idiag_sport = htons (local_port);
  msg.req.id.idiag_dport = htons (remote_port);
  msg.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  msg.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  if (inet_pton (family, local_ip, msg.req.id.idiag_src) != 1 ||
      inet_pton (family, remote_ip, msg.req.id.idiag_dst) != 1)
    return HB_TCP_UNKNOWN;

  fd = socket (AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0)
    return -1;
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (sendto (fd, &msg, sizeof msg, 0, (struct sockaddr *) &kernel, sizeof kernel) < 0)
    {
      close (fd);
      return -1;
    }
  n = recv (fd, &reply, sizeof reply, 0);
  close (fd);
  if (n < (ssize_t) sizeof (struct nlmsghdr) || !NLMSG_OK (&reply.h, (size_t) n))
    return -1;
  if (reply.h.nlmsg_type == NLMSG_ERROR)
    {
      struct nlmsgerr *err = NLMSG_DATA (&reply.h);

      /* ENOENT: the kernel has no such socket; anything else: ask /proc. */
      return err->error == -ENOENT ? HB_TCP_UNKNOWN : -1;
    }
  if (reply.h.nlmsg_type == SOCK_DIAG_BY_FAMILY &&
      reply.h.nlmsg_len >= NLMSG_LENGTH (sizeof (struct inet_diag_msg)))
    {
      const struct inet_diag_msg *found = NLMSG_DATA (&reply.h);

      /* With no connection of these four addresses left, the kernel's
       * lookup falls back to the socket listening on the local port:
       * that is not this connection. */
      if (found->id.idiag_dport != msg.req.id.idiag_dport ||
          memcmp (found->id.idiag_dst, msg.req.id.idiag_dst, sizeof found->id.idiag_dst) != 0)
        return HB_TCP_UNKNOWN;
      state = found->idiag_state;
    }
  return state;
}

HbTcpState
hb_tcp_state_lookup (const char *local_ip,
                     guint       local_port,
                     const char *remote_ip,
                     guint       remote_port)
{
  int diag = diag_lookup (local_ip, local_port, remote_ip, remote_port);

  if (diag >= 0)
    return (HbTcpState) diag;
  return proc_lookup (local_ip, local_port, remote_ip, remote_port);
}

/* The slow way, for kernels without sock_diag: /proc/net/tcp lists every
 * socket, and reading it costs time in proportion to how many there are. */
static HbTcpState
proc_lookup (const char *local_ip,
             guint       local_port,
             const char *remote_ip,
             guint       remote_port)
{
  char local[40], remote[40];
  g_autofree char *want_local = NULL;
  g_autofree char *want_remote = NULL;
  g_autofree char *contents = NULL;
  const char *path;

  if (!proc_address (local_ip, local, sizeof local) ||
      !proc_address (remote_ip, remote, sizeof remote))
    return HB_TCP_UNKNOWN;
  want_local = g_strdup_printf ("%s:%04X", local, local_port);
  want_remote = g_strdup_printf ("%s:%04X", remote, remote_port);
  path = strlen (local) > 8 ? "/proc/net/tcp6" : "/proc/net/tcp";
  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return HB_TCP_UNKNOWN;

  for (char *line = strchr (contents, '\n'); line != NULL && line[1] != '\0'; line = strchr (line + 1, '\n'))
    {
      g_auto(GStrv) f = g_strsplit_set (line + 1, " ", -1);
      const char *fields[4] = { 0 };
      guint n = 0;

      for (guint i = 0; f[i] != NULL && n < 4; i++)
        if (*f[i] != '\0')
          fields[n++] = f[i];
      if (n == 4 && g_ascii_strcasecmp (fields[1], want_local) == 0 &&
          g_ascii_strcasecmp (fields[2], want_remote) == 0)
        return (HbTcpState) g_ascii_strtoull (fields[3], NULL, 16);
    }
  return HB_TCP_UNKNOWN;
}

const char *
hb_tcp_state_to_string (HbTcpState state)
{
  switch (state)
    {
    case HB_TCP_ESTABLISHED: return "ESTABLISHED";
    case HB_TCP_SYN_SENT: return "SYN_SENT";
    case HB_TCP_SYN_RECV: return "SYN_RECV";
    case HB_TCP_FIN_WAIT1: return "FIN_WAIT1";
    case HB_TCP_FIN_WAIT2: return "FIN_WAIT2";
    case HB_TCP_TIME_WAIT: return "TIME_WAIT";
    case HB_TCP_CLOSE: return "CLOSE";
    case HB_TCP_CLOSE_WAIT: return "CLOSE_WAIT";
    case HB_TCP_LAST_ACK: return "LAST_ACK";
    case HB_TCP_LISTEN: return "LISTEN";
    case HB_TCP_CLOSING: return "CLOSING";
    case HB_TCP_UNKNOWN:
    default: return "UNKNOWN";
    }
}
