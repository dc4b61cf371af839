#!/usr/bin/env python3
# tcp-scenes.py - records real TCP captures of the faults Wireshark's TCP analysis labels
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: tcp-scenes.py SCENE OUTPUT.pcap[ng]   (HB_CLI names heartbeat-lab-cli)
#
# Each scene runs in a network namespace of its own (unshare -n as root,
# unshare -rn otherwise), so that nothing else is captured and no other
# traffic is disturbed, and is recorded with `heartbeat-lab-cli capture`.
#   impair       a bulk transfer through a user-space relay on a TUN device
#                that drops, delays, duplicates and reorders packets: loss,
#                retransmissions (fast, spurious), out-of-order, dup ACKs
#   zero-window  a reader that stops reading while the sender floods
#   keepalive    an idle connection with TCP keep-alive after 1 s
#   reuse        the same client port twice: a reused 4-tuple
#   multilink    the same conversation captured on lo and on any, merged
#                into one pcapng with two link types (needs mergecap)
#   snaplen60, snaplen68   a conversation saved with a snapshot length
# Exit status 77: the scene cannot be recorded here (no capture
# privilege, no namespaces, no TUN device): the test skips.

import fcntl
import os
import random
import select
import socket
import struct
import subprocess
import sys
import threading
import time

SKIP = 77
PORT = 5577


def skip(why):
    print("skip: " + why, file=sys.stderr)
    sys.exit(SKIP)


def enter_namespace():
    if os.environ.get("HB_SCENE_IN_NS") == "1":
        return
    env = dict(os.environ, HB_SCENE_IN_NS="1")
    cmd = ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-rn"]
    try:
        r = subprocess.run(cmd + [sys.executable] + sys.argv, env=env)
    except FileNotFoundError:
        skip("no unshare")
    sys.exit(r.returncode)


def sh(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Capture:
    """heartbeat-lab-cli capture of PORT on one interface, until stopped."""

    def __init__(self, path, iface="lo"):
        self.proc = subprocess.Popen([os.environ["HB_CLI"], "capture", "-p", str(PORT), "-i", iface,
                                      "-w", path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # Started once the file has its header; a refusal ends the program.
        for _ in range(300):
            if self.proc.poll() is not None:
                skip("capture refused: " + self.proc.stderr.read().decode(errors="replace").strip())
            if os.path.exists(path) and os.path.getsize(path) >= 24:
                break
            time.sleep(0.01)
        time.sleep(0.2)

    def stop(self):
        time.sleep(0.3)
        self.proc.terminate()
        self.proc.wait(timeout=10)


def listener(addr="127.0.0.1"):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, PORT))
    s.listen()
    return s


# ---------------------------------------------------------------------------
# The relay: packets to 10.9.1.1 (the server as the client sees it) come
# back from 10.9.1.2 to 10.9.0.1, where the server listens; its answers to
# 10.9.1.2 come back from 10.9.1.1. Both ends are on this host, and the
# relay decides the fate of each packet in between.

TUNSETIFF = 0x400454ca
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
LOCAL, SERVER_SEEN, CLIENT_SEEN = "10.9.0.1", "10.9.1.1", "10.9.1.2"


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def rewrite(pkt):
    if len(pkt) < 40 or pkt[0] >> 4 != 4 or pkt[9] != 6:
        return None
    ihl = (pkt[0] & 15) * 4
    dst = socket.inet_ntoa(pkt[16:20])
    if dst == SERVER_SEEN:
        src, dst = CLIENT_SEEN, LOCAL
    elif dst == CLIENT_SEEN:
        src, dst = SERVER_SEEN, LOCAL
    else:
        return None
    p = bytearray(pkt)
    p[12:16] = socket.inet_aton(src)
    p[16:20] = socket.inet_aton(dst)
    p[10:12] = b"\0\0"
    p[10:12] = struct.pack("!H", checksum(bytes(p[:ihl])))
    tcp = bytearray(p[ihl:])
    tcp[16:18] = b"\0\0"
    pseudo = p[12:20] + struct.pack("!BBH", 0, 6, len(tcp))
    tcp[16:18] = struct.pack("!H", checksum(bytes(pseudo) + bytes(tcp)))
    return bytes(p[:ihl]) + bytes(tcp)


def relay(fd, stop, rng):
    held = []       # (release time, packet)
    swapped = None  # a packet sent after the next one
    while not stop.is_set():
        r, _, _ = select.select([fd], [], [], 0.002)
        now = time.monotonic()
        if r:
            pkt = rewrite(os.read(fd, 65536))
            if pkt is not None:
                fate = rng.random()
                data = len(pkt) - (pkt[0] & 15) * 4 - (pkt[(pkt[0] & 15) * 4 + 12] >> 4) * 4 > 0
                if fate < 0.04:
                    pass                                    # lost
                elif fate < 0.08 and data and swapped is None:
                    swapped = pkt                           # reordered
                elif fate < 0.10:
                    held.append((now + 0.25, pkt))          # late: its copy may come first
                elif fate < 0.11:
                    os.write(fd, pkt)                       # duplicated
                    os.write(fd, pkt)
                else:
                    os.write(fd, pkt)
                    if swapped is not None:
                        os.write(fd, swapped)
                        swapped = None
        for item in [h for h in held if h[0] <= now]:
            held.remove(item)
            os.write(fd, item[1])
        if swapped is not None and not r:
            os.write(fd, swapped)
            swapped = None


def scene_impair(out):
    try:
        fd = os.open("/dev/net/tun", os.O_RDWR)
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", b"hbtun0", IFF_TUN | IFF_NO_PI))
        sh("ip", "link", "set", "lo", "up")
        sh("ip", "addr", "add", LOCAL + "/24", "dev", "hbtun0")
        sh("ip", "link", "set", "hbtun0", "up")
        sh("ip", "route", "add", "10.9.1.0/24", "dev", "hbtun0")
        for conf in ("all", "default", "hbtun0"):
            with open("/proc/sys/net/ipv4/conf/%s/rp_filter" % conf, "w") as f:
                f.write("0")
    except (OSError, subprocess.CalledProcessError) as e:
        skip("no TUN device: %s" % e)
    stop = threading.Event()
    rng = random.Random(int(os.environ.get("HB_SCENE_SEED", "14")))
    t = threading.Thread(target=relay, args=(fd, stop, rng), daemon=True)
    t.start()
    srv = listener(LOCAL)
    cap = Capture(out, "hbtun0")
    got = []

    def serve():
        c, _ = srv.accept()
        while True:
            d = c.recv(65536)
            if not d:
                break
            got.append(len(d))
            if sum(got) // 2000 != (sum(got) - len(d)) // 2000:
                c.sendall(b"ok %d\n" % sum(got))
        c.close()

    st = threading.Thread(target=serve)
    st.start()
    c = socket.create_connection((SERVER_SEEN, PORT), timeout=30)
    for i in range(400):
        c.sendall(b"MSG %04d %s\n" % (i, b"x" * (50 + (i * 37) % 900)))
        if i % 50 == 0:
            time.sleep(0.02)
    c.shutdown(socket.SHUT_WR)
    while c.recv(4096):
        pass
    c.close()
    st.join(timeout=60)
    cap.stop()
    stop.set()


def scene_zero_window(out):
    sh("ip", "link", "set", "lo", "up")
    srv = listener()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    cap = Capture(out)
    c = socket.socket()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
    c.connect(("127.0.0.1", PORT))
    s, _ = srv.accept()
    c.setblocking(False)
    end = time.monotonic() + 1.5
    sent = 0
    while time.monotonic() < end:           # the reader reads nothing
        try:
            sent += c.send(b"z" * 1000)
        except BlockingIOError:
            time.sleep(0.01)
    c.setblocking(True)
    left = sent
    while left > 0:                         # it reads again, slowly at first
        d = s.recv(2000 if left > sent // 2 else 65536)
        left -= len(d)
        time.sleep(0.001)
    c.close()
    s.recv(10)
    s.close()
    cap.stop()


def scene_keepalive(out):
    sh("ip", "link", "set", "lo", "up")
    srv = listener()
    cap = Capture(out)
    c = socket.socket()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
    c.connect(("127.0.0.1", PORT))
    s, _ = srv.accept()
    c.sendall(b"PING 1\n")
    s.recv(100)
    s.sendall(b"PONG 1\n")
    c.recv(100)
    time.sleep(3.6)                         # idle: three keep-alives
    c.close()
    s.recv(10)
    s.close()
    cap.stop()


def scene_reuse(out):
    sh("ip", "link", "set", "lo", "up")
    srv = listener()
    cap = Capture(out)
    for n in range(2):
        c = socket.socket()
        c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        c.bind(("127.0.0.1", 40404))
        c.connect(("127.0.0.1", PORT))
        s, _ = srv.accept()
        c.sendall(b"HELLO %d\n" % n)
        s.recv(100)
        # An abortive close: no TIME_WAIT holds the 4-tuple.
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
        s.close()
        time.sleep(0.05)
    cap.stop()


def talk():
    srv = listener()
    c = socket.create_connection(("127.0.0.1", PORT))
    s, _ = srv.accept()
    for i in range(5):
        c.sendall(b"PING %d\n" % i)
        s.recv(100)
        s.sendall(b"PONG %d\n" % i)
        c.recv(100)
        time.sleep(0.02)
    c.close()
    s.recv(10)
    s.close()


def scene_multilink(out):
    sh("ip", "link", "set", "lo", "up")
    lo, anyp = out + ".lo.pcap", out + ".any.pcap"
    cap_lo = Capture(lo, "lo")
    cap_any = Capture(anyp, "any")
    talk()
    cap_lo.stop()
    cap_any.stop()
    try:
        sh("mergecap", "-F", "pcapng", "-w", out, lo, anyp)
    except (OSError, subprocess.CalledProcessError):
        skip("no mergecap")
    finally:
        os.unlink(lo)
        os.unlink(anyp)


def truncate_pcap(src, dst, snaplen):
    """Saves a classic pcap again as if captured with -s SNAPLEN."""
    with open(src, "rb") as f:
        data = f.read()
    magic = data[:4]
    e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    head = bytearray(data[:24])
    head[16:20] = struct.pack(e + "I", snaplen)
    out = [bytes(head)]
    pos = 24
    while pos + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(e + "IIII", data[pos:pos + 16])
        frame = data[pos + 16:pos + 16 + incl]
        keep = min(incl, snaplen)
        out.append(struct.pack(e + "IIII", sec, frac, keep, orig) + frame[:keep])
        pos += 16 + incl
    with open(dst, "wb") as f:
        f.write(b"".join(out))


def scene_snaplen(out, snaplen):
    sh("ip", "link", "set", "lo", "up")
    whole = out + ".whole.pcap"
    cap = Capture(whole)
    talk()
    cap.stop()
    truncate_pcap(whole, out, snaplen)
    os.unlink(whole)


def main():
    if len(sys.argv) != 3 or "HB_CLI" not in os.environ:
        print(__doc__ or "usage: tcp-scenes.py SCENE OUTPUT", file=sys.stderr)
        sys.exit(2)
    scene, out = sys.argv[1], os.path.abspath(sys.argv[2])
    scenes = {
        "impair": scene_impair,
        "zero-window": scene_zero_window,
        "keepalive": scene_keepalive,
        "reuse": scene_reuse,
        "multilink": scene_multilink,
        "snaplen60": lambda o: scene_snaplen(o, 60),
        "snaplen68": lambda o: scene_snaplen(o, 68),
    }
    if scene not in scenes:
        print("unknown scene " + scene, file=sys.stderr)
        sys.exit(2)
    enter_namespace()
    scenes[scene](out)


if __name__ == "__main__":
    main()
