#!/usr/bin/env python3
# bench/soak.py - every attack of issue 12 at once against one server with 1,000 good clients
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# bench/soak.sh is the way in. One heartbeat-lab-cli server (relay mode,
# 1 s heartbeats, a lowered open-file limit) on CPU 0; on CPU 1 the good
# clients (bench/hb-load: 1,000 connections answering every PING, with
# probes) and this script, which attacks all at once for the attack window:
#   - exhausts the server's open files with idle connections, then frees them
#   - floods PONG 999999 and malformed lines from several connections
#   - sends escape sequences (ESC[2J, OSC 0/52, CR ESC[2K, BS, C1 CSI) and
#     bidi characters in MSGs and names
#   - spoofs names (HELLO server, broadcast, 服务器, client-1, a taken name)
#   - 200 clients that never read while the operator broadcasts 10,000
#     lines (about 670 KB)
#   - relays MSGs from 5 clients to everyone (50 lines a second in all,
#     50,000 deliveries a second: what the load generator can read)
#   - measures how long a new client waits for WELCOME, every 200 ms
# and then reports: good clients cut (must be 0), their heartbeat RTT p99
# (server side and probes), server RSS peak, server CPU, bytes of --json
# log written, and the WELCOME wait. Bounded: it stops itself.

import argparse
import json
import os
import selectors
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import driver  # noqa: E402

GOOD = 1000


def connect(port, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(2)
    s.connect(("127.0.0.1", port))
    s.setblocking(False)
    return s


def try_send(s, data):
    try:
        return s.send(data)
    except (BlockingIOError, OSError):
        return 0


def drain(s):
    try:
        while s.recv(65536):
            pass
    except (BlockingIOError, OSError):
        pass


class Attacks:
    def __init__(self, port, server):
        self.port = port
        self.server = server
        self.flooders = []
        self.relayers = []
        self.stalled = []
        self.idle = []
        self.welcome_waits = []
        self.slow_welcomes = []    # (seconds into the attack, wait ms) over 100 ms
        self.t0 = time.monotonic()
        self.turned_away = 0
        self.rounds = 0
        self.injections = 0

    def start(self):
        for _ in range(5):
            self.flooders.append(connect(self.port))
        for i in range(5):
            s = connect(self.port)
            try_send(s, f"HELLO relay{i}\n".encode())
            self.relayers.append(s)
        for _ in range(200):
            self.stalled.append(connect(self.port, rcvbuf=2048))

    def inject_escapes(self):
        evil = [
            b"MSG \x1b[2J cleared\n", b"MSG \x1b]0;owned\x07 title\n",
            b"MSG \x1b]52;c;ZXZpbA==\x07 clipboard\n", b"MSG fake\r\x1b[2K server: class is cancelled\n",
            b"MSG back\x08\x08\x08space\n", b"MSG \xc2\x9b2J c1\n",
            "MSG abc\u202etxt.exe\n".encode(), b"HELLO server\n", b"HELLO broadcast\n",
            "HELLO \u670d\u52a1\u5668\n".encode(), b"HELLO client-1\n", b"HELLO relay0\n",
            "HELLO ab\u202ecd\n".encode(),
        ]
        for s in self.flooders:
            for line in evil:
                try_send(s, line)
                self.injections += 1

    def flood(self):
        chunk = b"PONG 999999\n" * 300 + b"garbage line\n" * 50
        for s in self.flooders:
            try_send(s, chunk)
            drain(s)
        # Five relayers at their rate limit would be 500 lines a second to
        # each of 1,000 clients: more than the load generator, on one core
        # beside this script, can read. A tenth of that still floods.
        self.rounds += 1
        if self.rounds % 10 == 0:
            for i, s in enumerate(self.relayers):
                try_send(s, f"MSG relay flood {i} {self.rounds}\n".encode())
        for s in self.relayers:
            drain(s)

    def exhaust(self, limit):
        """Idle connections until the server turns them away."""
        while len(self.idle) < limit:
            try:
                self.idle.append(connect(self.port))
            except OSError:
                break

    def release(self):
        for s in self.idle:
            s.close()
        self.idle = []

    def welcome_probe(self, during_exhaustion=False):
        t0 = time.monotonic()
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            s.settimeout(5)
            data = b""
            while b"\n" not in data:
                more = s.recv(4096)
                if not more:
                    break
                data += more
            s.close()
        except OSError:
            return
        if during_exhaustion:
            if b"BYE server-full" in data:
                self.turned_away += 1
            return
        if data.startswith(b"WELCOME"):
            wait = (time.monotonic() - t0) * 1000
            self.welcome_waits.append(wait)
            if wait > 100:
                self.slow_welcomes.append((round(t0 - self.t0, 2), round(wait, 1)))

    def close(self):
        for s in self.flooders + self.relayers + self.stalled + self.idle:
            s.close()


def main():
    ap = argparse.ArgumentParser(description="Heartbeat Lab soak under attack (issue 12)")
    ap.add_argument("--build", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--attack", type=float, default=60.0, help="seconds of attack")
    ap.add_argument("--port", type=int, default=23401)
    args = ap.parse_args()

    exe = os.path.join(args.build, "src/cli/heartbeat-lab-cli")
    load_exe = os.path.join(args.build, "bench/hb-load")
    tmp = args.results
    pin0 = ["taskset", "-c", driver.SERVER_CPU]
    pin1 = ["taskset", "-c", driver.LOAD_CPU]
    # The server may hold 1,600 files: the good clients, the attackers,
    # and a few hundred more before the limit is hit on purpose.
    prlimit = ["prlimit", "--nofile=1600:1600"]
    os.sched_setaffinity(0, {int(driver.LOAD_CPU)})

    srv = driver.Server("hb", exe, args.port, 1000, 5000, 10000, tmp, prlimit + pin0,
                        extra_args=("--relay",))
    if not srv.ok:
        sys.exit("soak: the server did not start")
    load = driver.Load(load_exe, "good", args.port, GOOD, "127.0.0.2", 1, 2000, 50, False,
                       int(args.attack) + 120, pin1)
    ramped = load.wait_for("ramped", 60)
    driver.log(f"good clients: {ramped}")
    load.send("RESET")
    out0 = srv.out_size()
    cpu0 = driver.proc_cpu_ticks(srv.pid)[0]
    rss_peak = driver.proc_rss_kib(srv.pid)

    # The attacks share CPU 1 with the good clients: at a lower priority,
    # so that what the good clients see is the server's doing, not ours.
    os.nice(10)
    att = Attacks(args.port, srv)
    att.start()
    t_start = time.monotonic()
    att.t0 = t_start
    phases = {}
    broadcast_done = exhausted = released = False
    next_probe = t_start
    while time.monotonic() - t_start < args.attack:
        now = time.monotonic() - t_start
        att.flood()
        if int(now) % 5 == 0:
            att.inject_escapes()
        if not broadcast_done and now > args.attack * 0.3:
            big = b"".join(f"line {i:05d} of the big broadcast, as long as a real one\n".encode()
                           for i in range(10000))
            srv.write_stdin(big)
            broadcast_done = True
            phases["broadcast"] = round(now, 2)
        if not exhausted and now > args.attack * 0.5:
            phases["exhaust"] = round(now, 2)
            att.exhaust(700)
            exhausted = True
        if exhausted and not released and now > args.attack * 0.7:
            att.release()
            released = True
            phases["release"] = round(now, 2)
        if time.monotonic() >= next_probe:
            att.welcome_probe(during_exhaustion=exhausted and not released)
            next_probe = time.monotonic() + 0.2
        rss_peak = max(rss_peak, driver.proc_rss_kib(srv.pid) or 0)
        time.sleep(0.01)

    report = load.report()
    cpu1 = driver.proc_cpu_ticks(srv.pid)[0]
    elapsed = time.monotonic() - t_start
    out1 = srv.out_size()
    server_rtt = driver.hb_rtt_from_output(srv.read_out(out0, out1))
    att.close()
    final = load.quit()
    srv.stop()

    waits = sorted(att.welcome_waits)
    res = {
        "good_clients": GOOD,
        "good_cut": (report or {}).get("closed"),
        "good_open": (report or {}).get("open"),
        "probe_rtt_p99_ms": ((report or {}).get("probe") or {}).get("p99_ms"),
        "server_rtt_p99_ms": server_rtt["p99_ms"],
        "server_rtt_max_ms": server_rtt["max_ms"],
        "server_rss_peak_kib": rss_peak,
        "server_cpu_percent": 100.0 * (cpu1 - cpu0) / driver.CLK_TCK / elapsed,
        "log_bytes": out1 - out0,
        "log_bytes_per_s": (out1 - out0) / elapsed,
        "welcome_wait_p50_ms": driver.percentile(waits, 50),
        "welcome_wait_p99_ms": driver.percentile(waits, 99),
        "welcome_probes": len(waits),
        "turned_away": att.turned_away,
        "accept_warnings": srv.read_out(out0, out1).count(b"cannot accept more clients"),
        "attack_seconds": elapsed,
        "phases": phases,
        "slow_welcomes": att.slow_welcomes,
        "final": final,
    }
    with open(os.path.join(args.results, "soak.json"), "w") as f:
        json.dump(res, f, indent=1)
    print("| what | value |")
    print("| --- | --- |")
    for k in ("good_cut", "probe_rtt_p99_ms", "server_rtt_p99_ms", "server_rtt_max_ms",
              "server_rss_peak_kib", "server_cpu_percent", "log_bytes", "log_bytes_per_s",
              "welcome_wait_p50_ms", "welcome_wait_p99_ms", "welcome_probes", "turned_away",
              "accept_warnings"):
        v = res[k]
        print(f"| {k} | {driver.fmt(v) if isinstance(v, float) else v} |")
    print(f"phases (s into the attack): {phases}")
    print(f"welcomes over 100 ms (s into the attack, ms): {att.slow_welcomes}")
    if res["good_cut"]:
        sys.exit(f"soak: {res['good_cut']} good clients were cut")


if __name__ == "__main__":
    try:
        main()
    finally:
        driver.kill_all()
