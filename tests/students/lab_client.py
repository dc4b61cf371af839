#!/usr/bin/env python3
# lab_client.py - a client as the lab's students write it: Python sockets,
# a thread that receives, raw send() of the bytes typed, no framing.
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: lab_client.py MODE HOST PORT
#   good    answers every heartbeat at once, wherever it is in what recv() gave
#   late    answers each heartbeat after LAB_DELAY seconds (default 1.5)
#   silent  never answers
#   exact   the classic bug: answers only when recv() returned exactly
#           b"heartbeat", so a heartbeat glued to a broadcast goes unanswered
#   glue    sends what is typed glued to its next ack, in one send()
#   rst     like good, but aborts with RST when its input ends
# Lines typed on standard input are sent without their newline, as input()
# gives them. At the end of input the client closes (FIN, or RST in rst).
import os
import socket
import struct
import sys
import threading
import time

mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
delay = float(os.environ.get("LAB_DELAY", "1.5"))
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect((host, port))
lock = threading.Lock()
pending = []


def send(data):
    with lock:
        s.sendall(data)


def answer():
    if mode == "silent":
        return
    if mode == "late":
        threading.Timer(delay, send, [b"heartbeat ack"]).start()
        return
    if mode == "glue" and pending:
        send(b"heartbeat ack" + pending.pop(0))
        return
    send(b"heartbeat ack")


def show(data):
    print("服务器的群发消息为:" + data.decode("utf-8", "replace"), flush=True)


def receive():
    buf = b""
    while True:
        try:
            data = s.recv(1024)
        except OSError:
            break
        if not data:
            break
        if mode == "exact":
            if data == b"heartbeat":
                answer()
            else:
                show(data)
            continue
        buf += data
        while b"heartbeat" in buf:
            before, _, buf = buf.partition(b"heartbeat")
            if before:
                show(before)
            answer()
        # keep what may be the start of the next heartbeat
        keep = 0
        for k in range(min(8, len(buf)), 0, -1):
            if b"heartbeat".startswith(buf[-k:]):
                keep = k
                break
        if len(buf) > keep:
            show(buf[: len(buf) - keep])
        buf = buf[len(buf) - keep :]

t = threading.Thread(target=receive, daemon=True)
t.start()
print("connected", flush=True)
for line in sys.stdin:
    text = line.rstrip("\n").encode("utf-8")
    if mode == "glue":
        pending.append(text)
    else:
        send(text)
if mode == "rst":
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    sys.exit(0)
s.shutdown(socket.SHUT_WR)
t.join(5)
s.close()
