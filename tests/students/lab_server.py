#!/usr/bin/env python3
# lab_server.py - a server as the lab's students write it: Python sockets,
# a thread per client, a heartbeat thread, raw send() of b"heartbeat",
# no framing.
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: lab_server.py MODE PORT [INTERVAL_S]
#   good   beats every client each interval, prints what clients send,
#          broadcasts each line typed on standard input, and closes a
#          client's socket (FIN) when the client closes
#   rst    like good, but closes each client with RST (SO_LINGER 1, 0)
#   stall  the heartbeat thread waits for each client's ack in turn with a
#          blocking recv(): one client that stops answering stops the
#          heartbeats of every client
# It prints "listening PORT" once it listens (PORT 0: the kernel chooses).
import socket
import struct
import sys
import threading
import time

mode, port = sys.argv[1], int(sys.argv[2])
interval = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
clients = []
lock = threading.Lock()

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(5)
print("listening", srv.getsockname()[1], flush=True)


def close(c):
    with lock:
        if c in clients:
            clients.remove(c)
    if mode == "rst":
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()


def handle(c, addr):
    while True:
        if mode == "stall":
            time.sleep(3600)
        try:
            data = c.recv(1024)
        except OSError:
            break
        if not data:
            break
        text = data.replace(b"heartbeat ack", b"")
        if text:
            print("Received from", addr, ":", text.decode("utf-8", "replace"), flush=True)
    close(c)


def beat():
    while True:
        time.sleep(interval)
        with lock:
            targets = list(clients)
        for c in targets:
            try:
                c.send(b"heartbeat")
                if mode == "stall":
                    c.recv(13)
            except OSError:
                pass


def accept():
    while True:
        c, addr = srv.accept()
        with lock:
            clients.append(c)
        threading.Thread(target=handle, args=(c, addr), daemon=True).start()


threading.Thread(target=beat, daemon=True).start()
threading.Thread(target=accept, daemon=True).start()
for line in sys.stdin:
    with lock:
        targets = list(clients)
    for c in targets:
        try:
            c.send(line.rstrip("\n").encode("utf-8"))
        except OSError:
            pass
