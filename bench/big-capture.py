#!/usr/bin/env python3
# bench/big-capture.py - writes a large classic pcap of heartbeat-like TCP traffic, for timing `analyze`
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: big-capture.py FILE [FRAMES] [CONNECTIONS]
# Ethernet (all-zero MACs, as Linux lo) / IPv4 / TCP on 127.0.0.1: each
# connection has its handshake, then segments of one length each way (the
# worst case for a table keyed on seq and length), pure ACKs, and its FIN
# teardown. Deterministic: the same arguments give the same file.
import argparse
import struct
import sys

parser = argparse.ArgumentParser(description="Write a large classic pcap of heartbeat-like TCP traffic.")
parser.add_argument("file", help="the pcap file to write")
parser.add_argument("frames", nargs="?", type=int, default=240000, help="how many frames (default 240000)")
parser.add_argument("connections", nargs="?", type=int, default=20, help="how many connections (default 20)")
args = parser.parse_args()
if args.frames < 1 or args.connections < 1:
    parser.error("frames and connections must be at least 1")
path, frames, conns = args.file, args.frames, args.connections


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


def frame(sport, dport, seq, ack, flags, payload=b"", win=65535):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff, ack & 0xffffffff,
                      5 << 4, flags, win, 0, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0,
                     bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\0" * 12 + b"\x08\x00" + ip + tcp


SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01
out = open(path, "wb")
out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
t = 1_700_000_000.0
n = 0


def emit(data):
    global t, n
    t += 0.0001
    sec = int(t)
    usec = int((t - sec) * 1e6)
    out.write(struct.pack("<IIII", sec, usec, len(data), len(data)) + data)
    n += 1


per_conn = frames // conns
for c in range(conns):
    cport, sport = 40000 + c, 12001
    cs, ss = 1000 + c * 7919, 5000 + c * 104729
    emit(frame(cport, sport, cs, 0, SYN))
    emit(frame(sport, cport, ss, cs + 1, SYN | ACK))
    cs += 1
    ss += 1
    emit(frame(cport, sport, cs, ss, ACK))
    k = 0
    while k < per_conn - 7:
        ping = b"PING %06d\n" % (k % 1000000)
        emit(frame(sport, cport, ss, cs, PSH | ACK, ping))
        ss += len(ping)
        pong = b"PONG %06d\n" % (k % 1000000)
        emit(frame(cport, sport, cs, ss, PSH | ACK, pong))
        cs += len(pong)
        emit(frame(sport, cport, ss, cs, ACK))
        k += 3
    emit(frame(cport, sport, cs, ss, FIN | ACK))
    emit(frame(sport, cport, ss, cs + 1, ACK))
    emit(frame(sport, cport, ss, cs + 1, FIN | ACK))
    emit(frame(cport, sport, cs + 1, ss + 1, ACK))
out.close()
print(f"{path}: {n} frames", file=sys.stderr)
