#!/usr/bin/env python3
# bench/driver.py - runs the issue-7 scale scenarios; bench/run.sh is the way in
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# For each server (heartbeat-lab-cli, bench/hb-epoll-relay, ncat --broker) it
# starts the server pinned to CPU 0 and one or more hb-load processes pinned
# to CPU 1, lets the clients ramp up, then measures over a fixed window:
# heartbeat RTT (server side and load-side probes), server CPU from
# /proc/PID/stat, RSS from /proc/PID/status, and broadcast fan-out (single
# broadcasts, then a burst back to back). Raw results go to bench/results/ as
# JSON; a table goes to stdout. Every wait is bounded.

import argparse
import glob
import json
import math
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
SERVER_CPU = "0"
LOAD_CPU = "1"
CONNS_PER_LOAD = 8000      # per hb-load process: stays far from the fd limit
CONNS_PER_SRC = 2500       # per source address: far from the 28,232 ports


LIVE = []   # every process we started, so that an interrupted run leaves none


def spawn(cmd, **kw):
    proc = subprocess.Popen(cmd, **kw)
    LIVE.append(proc)
    return proc


def kill_all():
    for proc in LIVE:
        if proc.poll() is None:
            proc.kill()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


def on_term(signum, frame):
    raise SystemExit(f"signal {signum}")


def now_ns():
    return time.monotonic_ns()


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# /proc helpers

def proc_cpu_ticks(pid):
    """utime + stime of a process, all its threads, in clock ticks."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12]), int(fields[11]), int(fields[12])
    except (OSError, IndexError, ValueError):
        return None


def proc_sched_ns(pid):
    """CPU time of all threads in ns (schedstat), finer than stat's ticks."""
    total = 0
    for path in glob.glob(f"/proc/{pid}/task/*/schedstat"):
        try:
            with open(path) as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def proc_rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def proc_fds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def system_cpu():
    """Per-CPU jiffies from /proc/stat: {name: (busy, softirq, total)}."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            if not line.startswith("cpu"):
                break
            parts = line.split()
            vals = [int(v) for v in parts[1:9]]
            user, nice, system, idle, iowait, irq, softirq, steal = vals
            total = sum(vals)
            out[parts[0]] = (total - idle - iowait, softirq, total)
    return out


def nstat_counters():
    try:
        text = subprocess.run(["nstat", "-az", "TcpExtListenOverflows", "TcpExtListenDrops"],
                              capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    vals = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith("TcpExt"):
            vals[parts[0]] = int(parts[1])
    return vals


def percentile(sorted_vals, p):
    if not sorted_vals:
        return None
    rank = max(1, min(len(sorted_vals), math.ceil(p / 100.0 * len(sorted_vals))))
    return sorted_vals[rank - 1]


def hist_percentile(hist, p):
    """hist: {lower_us: count}; returns the bucket's lower bound in ms."""
    total = sum(hist.values())
    if total == 0:
        return None
    need = max(1, math.ceil(p / 100.0 * total))
    seen = 0
    for lower in sorted(hist):
        seen += hist[lower]
        if seen >= need:
            return lower / 1000.0
    return None


def wait_port(port, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


# --------------------------------------------------------------------------
# Load generator processes

class Load:
    def __init__(self, exe, label, port, n, src, src_count, rate, probes, raw, max_seconds, pin):
        cmd = [exe, "--port", str(port), "--connections", str(n), "--src", src,
               "--src-count", str(src_count), "--rate", str(rate), "--probes", str(probes),
               "--label", label, "--max-seconds", str(max_seconds)]
        if raw:
            cmd.append("--raw")
        self.label = label
        self.n = n
        self.cmd = cmd
        self.proc = spawn(pin + cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.fd = self.proc.stdout.fileno()
        os.set_blocking(self.fd, False)
        self.buf = b""
        self.ramped = None

    def send(self, cmd):
        try:
            os.write(self.proc.stdin.fileno(), (cmd + "\n").encode())
        except (BrokenPipeError, ValueError, OSError):
            pass

    def poll_lines(self):
        lines = []
        while True:
            try:
                chunk = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                break
            except OSError:
                break
            if not chunk:
                break
            self.buf += chunk
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            if line.strip():
                try:
                    lines.append(json.loads(line))
                except json.JSONDecodeError:
                    log(f"{self.label}: bad line {line[:120]}")
        return lines

    def wait_for(self, type_, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for obj in self.poll_lines():
                if obj.get("type") == "ramped":
                    self.ramped = obj
                if obj.get("type") == type_:
                    return obj
            if self.proc.poll() is not None:
                for obj in self.poll_lines():
                    if obj.get("type") == type_:
                        return obj
                return None
            time.sleep(0.02)
        return None

    def report(self, timeout=20):
        self.send("REPORT")
        return self.wait_for("report", timeout)

    def quit(self, timeout=20):
        self.send("QUIT")
        obj = self.wait_for("final", timeout)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return obj

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def merge_reports(reports):
    """Adds up several hb-load reports into one."""
    reports = [r for r in reports if r]
    if not reports:
        return None
    m = {"loads": len(reports)}
    for key in ("n", "opened", "connected", "failed", "closed", "open", "welcomed",
                "bye_server_full", "bye_other", "err_server_full", "err_other",
                "lines", "pings", "pongs_sent", "send_blocked"):
        m[key] = sum(r.get(key, 0) for r in reports)
    m["fail"] = {k: sum(r["fail"][k] for r in reports) for k in reports[0]["fail"]}
    m["ramp_s"] = max(r["ramp_s"] for r in reports)
    m["window_s"] = max(r["window_s"] for r in reports)
    m["pings_per_conn_min"] = min(r["pings_per_conn_min"] for r in reports)
    m["pings_per_conn_max"] = max(r["pings_per_conn_max"] for r in reports)
    m["cpu_s"] = sum(r["cpu_user_s"] + r["cpu_sys_s"] for r in reports)
    samples = sorted(s for r in reports for s in r["probe"]["samples_us"])
    m["probe"] = {
        "sent": sum(r["probe"]["sent"] for r in reports),
        "answered": len(samples),
        "lost": sum(r["probe"]["lost"] for r in reports),
        "p50_ms": percentile(samples, 50) / 1000 if samples else None,
        "p99_ms": percentile(samples, 99) / 1000 if samples else None,
        "max_ms": samples[-1] / 1000 if samples else None,
    }
    per = {}
    for r in reports:
        for b in r["bcast"]["per"]:
            e = per.setdefault(b["seq"], {"seq": b["seq"], "t0": b["t0"], "n": 0,
                                          "first": b["first"], "last": b["last"], "hist": {}})
            e["n"] += b["n"]
            e["first"] = min(e["first"], b["first"])
            e["last"] = max(e["last"], b["last"])
            for lower, count in b["hist_us"]:
                e["hist"][lower] = e["hist"].get(lower, 0) + count
    m["bcast"] = per
    m["deliveries"] = sum(r["bcast"]["deliveries"] for r in reports)
    return m


# --------------------------------------------------------------------------
# Servers

class Server:
    """One server process under test, pinned to CPU 0."""

    def __init__(self, kind, exe, port, interval, timeout, max_clients, tmpdir, pin, extra_args=()):
        self.kind = kind
        self.port = port
        self.out_path = os.path.join(tmpdir, f"{kind}-{port}.out")
        self.out = open(self.out_path, "wb")
        self.inject_sock = None
        if kind in ("hb", "hbb"):
            cmd = [exe, "server", "--port", str(port), "--interval", str(interval),
                   "--timeout", str(timeout), "--max-clients", str(max_clients), "--json"]
            stdin = subprocess.PIPE
        elif kind in ("epoll", "core"):
            cmd = [exe, "--port", str(port), "--interval", str(interval),
                   "--timeout", str(timeout), "--max-clients", str(max_clients)]
            stdin = subprocess.PIPE
        else:
            cmd = [exe, "--broker", "--listen", "127.0.0.1", str(port),
                   "--max-conns", str(max_clients)]
            stdin = subprocess.DEVNULL
        cmd += list(extra_args)
        self.cmd = cmd
        self.proc = spawn(pin + cmd, stdin=stdin, stdout=self.out,
                                     stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        self.ok = wait_port(port, 10)
        # wait_port's own probe connection is gone again before the load starts
        time.sleep(0.3)

    def alive(self):
        return self.proc.poll() is None

    def write_stdin(self, data):
        try:
            os.write(self.proc.stdin.fileno(), data)
            return True
        except (BrokenPipeError, OSError, AttributeError):
            return False

    def out_size(self):
        self.out.flush()
        return os.path.getsize(self.out_path)

    def read_out(self, start, end):
        with open(self.out_path, "rb") as f:
            f.seek(start)
            return f.read(max(0, end - start))

    def epoll_stats(self, timeout=10):
        """Asks hb-epoll-relay or hb-core-server for its JSON stats line."""
        before = self.out_size()
        self.write_stdin(b"/stats\n")
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            data = self.read_out(before, self.out_size())
            for line in data.decode(errors="replace").splitlines():
                if '"type":"stats"' in line:
                    return json.loads(line)
            time.sleep(0.02)
        return None

    def inject(self, lines):
        """Sends broadcast lines the way this server's operator would."""
        # All lines in one write, stamped with the moment of that write: the
        # operator pasting a block. Separate writes would measure how the
        # writer and the server interleave on the CPUs instead.
        if self.kind in ("hb", "hbb", "epoll", "core"):
            t = now_ns()
            return self.write_stdin(b"".join(line(t) for line in lines))
        # ncat: a client's line is relayed to every other client
        if self.inject_sock is None:
            try:
                self.inject_sock = socket.create_connection(("127.0.0.1", self.port), timeout=2)
                self.inject_sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                time.sleep(0.2)
            except OSError:
                return False
        t = now_ns()
        try:
            self.inject_sock.sendall(b"".join(line(t) for line in lines))
            return True
        except OSError:
            return False

    def stop(self, timeout=10):
        if self.inject_sock is not None:
            self.inject_sock.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()
        return self.proc.returncode


def hb_rtt_from_output(data):
    """Server-side heartbeat RTTs from heartbeat-lab-cli --json pong events."""
    rtts = []
    pings = 0
    disconnects = 0
    for line in data.split(b"\n"):
        if b'"event":"pong"' in line:
            m = re.search(rb'"rtt_ms":([0-9.eE+-]+)', line)
            if m:
                rtts.append(float(m.group(1)))
        elif b'"event":"ping"' in line:
            pings += 1
        elif b'"event":"disconnected"' in line:
            disconnects += 1
    rtts.sort()
    return {
        "n": len(rtts), "pings": pings, "disconnects": disconnects,
        "p50_ms": percentile(rtts, 50), "p99_ms": percentile(rtts, 99),
        "max_ms": rtts[-1] if rtts else None,
    }


# --------------------------------------------------------------------------
# One scenario

class Runner:
    def __init__(self, args):
        self.args = args
        self.build = args.build
        self.results = args.results
        self.tmpdir = tempfile.mkdtemp(prefix="hb-bench-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
        self.port = args.base_port
        self.src_block = 0
        # Other people's builds and tests share this machine: give the
        # processes under test priority over them (see docs/benchmarks.md).
        self.nice = {"none": [], "nice": ["nice", "-n", "-10"],
                     "rt": ["chrt", "-f", "10"]}[args.sched]
        self.exe = {
            "hb": os.path.join(self.build, "src", "cli", "heartbeat-lab-cli"),
            # --before: the CLI of another build (the code before a change),
            # in the same run as this one's
            "hbb": os.path.join(args.before, "src", "cli", "heartbeat-lab-cli") if args.before else None,
            "core": os.path.join(self.build, "bench", "hb-core-server"),
            "epoll": os.path.join(self.build, "bench", "hb-epoll-relay"),
            "ncat": shutil.which("ncat"),
        }
        self.load_exe = os.path.join(self.build, "bench", "hb-load")

    def pin(self, cpu):
        return self.nice + ["taskset", "-c", cpu]

    def next_port(self):
        self.port += 1
        return self.port

    def next_src(self, n):
        """A fresh block of source addresses, so TIME_WAITs of one scenario
        never meet the next one's connects."""
        count = max(1, math.ceil(n / CONNS_PER_SRC))
        if self.src_block + count > 250:
            self.src_block = 0
        first = 2 + self.src_block
        self.src_block += count
        return first, count

    def start_loads(self, port, n, raw, probes, max_seconds):
        first, count = self.next_src(n)
        procs = max(1, math.ceil(n / CONNS_PER_LOAD))
        loads = []
        per = [n // procs + (1 if i < n % procs else 0) for i in range(procs)]
        src = first
        srcs_per = max(1, count // procs)
        for i, k in enumerate(per):
            loads.append(Load(self.load_exe, f"load{i}", port, k, f"127.0.0.{src}",
                              srcs_per, self.args.rate / procs, probes // procs if probes else 0,
                              raw, max_seconds, self.pin(LOAD_CPU)))
            src += srcs_per
        return loads

    def wait_quiet(self):
        """Other people's builds share the machine: before a scenario, wait
        (bounded) until the machine is nearly idle. Returns the busy % seen."""
        end = time.monotonic() + self.args.quiet_wait
        busy = None
        while True:
            a0 = system_cpu()["cpu"]
            time.sleep(1.0)
            a1 = system_cpu()["cpu"]
            busy = 100.0 * (a1[0] - a0[0]) / CLK_TCK
            if busy < self.args.quiet_pct or time.monotonic() >= end:
                return busy

    def run(self, name, kind, n, interval_ms, window_s, singles, burst, expect_abort=False,
            max_clients=None, timeout_ms=30000, probes=None, server_args=()):
        a = self.args
        port = self.next_port()
        res = {"scenario": name, "server": kind, "n": n, "interval_ms": interval_ms,
               "window_s": window_s, "port": port}
        if self.args.quiet_wait > 0:
            res["busy_before_pct"] = self.wait_quiet()
        log(f"{name}: {kind} N={n} interval={interval_ms} ms on port {port}"
            f" (machine busy before: {res.get('busy_before_pct', 0):.0f} % of a core)")
        if max_clients is None:
            max_clients = n + 10
        srv = Server(kind, self.exe[kind], port, interval_ms, timeout_ms, max_clients,
                     self.tmpdir, self.pin(SERVER_CPU), server_args)
        res["server_cmd"] = " ".join(srv.cmd)
        if not srv.ok:
            res["error"] = "server did not listen"
            srv.stop()
            return res
        time.sleep(0.5)
        res["rss_idle_kib"] = proc_rss_kib(srv.pid)
        nst0 = nstat_counters()
        t_budget = (window_s + 120) + (singles * 2) + 60
        # Probes wake the server too: none in the idle scenarios.
        if probes is None:
            probes = 0 if kind == "ncat" else a.probes
        res["probes"] = probes
        loads = self.start_loads(port, n, kind == "ncat", probes, int(t_budget))
        res["load_cmds"] = [" ".join(l.cmd) for l in loads]
        try:
            self._run_loaded(res, srv, loads, kind, n, window_s, singles, burst, expect_abort, nst0)
        finally:
            finals = []
            for l in loads:
                finals.append(l.quit() if l.proc.poll() is None else None)
                l.kill()
            res["load_final"] = merge_reports(finals)
            if res["load_final"]:
                res["load_final"].pop("bcast", None)
            if kind in ("epoll", "core") and srv.alive():
                res["server_final"] = srv.epoll_stats()
            res["server_exit"] = srv.stop()
            if kind == "ncat":
                res["server_output_tail"] = srv.read_out(max(0, os.path.getsize(srv.out_path) - 400),
                                                         os.path.getsize(srv.out_path)).decode(errors="replace")
            if not a.keep_raw:
                os.unlink(srv.out_path)
        self.save(name, res)
        return res

    def _run_loaded(self, res, srv, loads, kind, n, window_s, singles, burst, expect_abort, nst0):
        a = self.args
        ramp_timeout = n / a.rate + 30
        ramped = [l.wait_for("ramped", ramp_timeout) for l in loads]
        res["ramped"] = {
            "connected": sum(r["connected"] for r in ramped if r),
            "failed": sum(r["failed"] for r in ramped if r),
            "ramp_s": max((r["ramp_s"] for r in ramped if r), default=None),
            "all_loads_ramped": all(ramped),
        }
        log(f"  ramped: {res['ramped']}")
        time.sleep(a.settle)
        res["server_alive_after_ramp"] = srv.alive()
        res["server_fds"] = proc_fds(srv.pid)

        # ---- measurement window: heartbeats, CPU, memory
        for l in loads:
            l.send("RESET")
        for l in loads:
            l.wait_for("reset", 10)
        if kind in ("epoll", "core"):
            srv.write_stdin(b"/reset\n")
        out0 = srv.out_size()
        cpu0 = proc_cpu_ticks(srv.pid)
        sys0 = system_cpu()
        lcpu0 = [proc_cpu_ticks(l.proc.pid) for l in loads]
        t0 = time.monotonic()
        time.sleep(window_s)
        t1 = time.monotonic()
        cpu1 = proc_cpu_ticks(srv.pid)
        sys1 = system_cpu()
        lcpu1 = [proc_cpu_ticks(l.proc.pid) for l in loads]
        out1 = srv.out_size()
        elapsed = t1 - t0
        res["server_alive"] = srv.alive()
        res["rss_kib"] = proc_rss_kib(srv.pid)
        reps = [l.report() for l in loads]
        win = merge_reports(reps)
        if win:
            win.pop("bcast", None)
        res["window"] = win
        if cpu0 and cpu1:
            res["server_cpu_pct"] = 100.0 * (cpu1[0] - cpu0[0]) / CLK_TCK / elapsed
            res["server_cpu_user_pct"] = 100.0 * (cpu1[1] - cpu0[1]) / CLK_TCK / elapsed
            res["server_cpu_sys_pct"] = 100.0 * (cpu1[2] - cpu0[2]) / CLK_TCK / elapsed
        lt = sum((b[0] - a_[0]) for a_, b in zip(lcpu0, lcpu1) if a_ and b)
        res["load_cpu_pct"] = 100.0 * lt / CLK_TCK / elapsed
        c0 = sys1["cpu0"][2] - sys0["cpu0"][2] or 1
        c1 = sys1["cpu1"][2] - sys0["cpu1"][2] or 1
        res["cpu0_busy_pct"] = 100.0 * (sys1["cpu0"][0] - sys0["cpu0"][0]) / c0
        res["cpu0_softirq_pct"] = 100.0 * (sys1["cpu0"][1] - sys0["cpu0"][1]) / c0
        res["cpu1_busy_pct"] = 100.0 * (sys1["cpu1"][0] - sys0["cpu1"][0]) / c1
        # Whatever else ran on the machine meanwhile (other people's tests):
        ours = (cpu1[0] - cpu0[0] if cpu0 and cpu1 else 0) + lt
        busy_all = (sys1["cpu"][0] - sys0["cpu"][0])
        res["foreign_cpu_pct"] = max(0.0, 100.0 * (busy_all - ours) / CLK_TCK / elapsed)
        held = win["open"] if win else 0
        res["held"] = held
        if res.get("rss_kib") and res.get("rss_idle_kib") and held:
            res["rss_per_client_kib"] = (res["rss_kib"] - res["rss_idle_kib"]) / held
        if kind in ("hb", "hbb"):
            res["server_rtt"] = hb_rtt_from_output(srv.read_out(out0, out1))
            res["server_output_bytes_per_s"] = (out1 - out0) / elapsed
        elif kind in ("epoll", "core") and srv.alive():
            st = srv.epoll_stats()
            res["server_stats"] = st
            if st:
                res["server_rtt"] = dict(st["rtt"], pings=st["pings"])
        log(f"  window: held={held} cpu={res.get('server_cpu_pct', 0):.1f}% "
            f"rtt={res.get('server_rtt', {}).get('p99_ms')} probe_p99={win['probe']['p99_ms'] if win else None} "
            f"foreign={res['foreign_cpu_pct']:.1f}%")

        # ---- broadcast fan-out
        if (singles or burst) and srv.alive() and held > 0:
            self._fanout(res, srv, loads, kind, held, singles, burst)

        nst1 = nstat_counters()
        res["listen_overflows"] = nst1.get("TcpExtListenOverflows", 0) - nst0.get("TcpExtListenOverflows", 0)
        res["listen_drops"] = nst1.get("TcpExtListenDrops", 0) - nst0.get("TcpExtListenDrops", 0)

    def _fanout(self, res, srv, loads, kind, held, singles, burst):
        payload_pad = max(0, self.args.bcast_size - 1)

        def make(seq):
            def line(t):
                text = f"@hb {seq} {t} "
                body = text + "x" * max(0, payload_pad - len(text))
                return (body + "\n").encode()
            return line

        for l in loads:
            l.send("RESET")
        for l in loads:
            l.wait_for("reset", 10)

        stats_cmd = kind == "epoll"   # hb-epoll-relay times its own fan-out
        if stats_cmd:
            srv.write_stdin(b"/reset\n")

        # single broadcasts, one a second
        for s in range(1, singles + 1):
            srv.inject([make(s)])
            time.sleep(1.0)
        srv_singles = srv.epoll_stats() if stats_cmd else None
        if stats_cmd:
            srv.write_stdin(b"/reset\n")

        # a burst back to back
        first = 100
        cpu0 = proc_sched_ns(srv.pid)
        t_cpu0 = time.monotonic()
        if burst:
            srv.inject([make(first + i) for i in range(burst)])
        expected = held * (singles + burst)
        end = time.monotonic() + max(5.0, self.args.fanout_wait)
        m = None
        time.sleep(1.0)
        while True:
            m = merge_reports([l.report() for l in loads])
            got = m["deliveries"] if m else 0
            if got >= expected or time.monotonic() >= end or not srv.alive():
                break
            time.sleep(1.0)
        cpu1 = proc_sched_ns(srv.pid)
        t_cpu1 = time.monotonic()
        # The wait above is long next to the burst: take out what the server
        # spends on heartbeats meanwhile, at the rate of the window.
        hb_rate = (res.get("server_cpu_pct") or 0.0) / 100.0
        burst_cpu = max(1e-6, (cpu1 - cpu0) / 1e9 - hb_rate * (t_cpu1 - t_cpu0))
        if m is None:
            res["fanout"] = {"error": "no load report"}
            return
        per = m["bcast"]
        singles_out = []
        for s in range(1, singles + 1):
            e = per.get(s)
            if not e:
                singles_out.append({"seq": s, "received": 0})
                continue
            singles_out.append({
                "seq": s, "received": e["n"],
                "first_ms": (e["first"] - e["t0"]) / 1e6,
                "all_ms": (e["last"] - e["t0"]) / 1e6,
                "p50_ms": hist_percentile(e["hist"], 50),
                "p99_ms": hist_percentile(e["hist"], 99),
            })
        fan = {"held": held, "singles": singles_out}
        if stats_cmd:
            # the server's own view: from reading the line to its last send()
            fan["server_singles"] = srv_singles.get("fanout") if srv_singles else None
            st = srv.epoll_stats()
            fan["server_burst"] = st.get("fanout") if st else None
        complete = [x["all_ms"] for x in singles_out if x.get("received") == held]
        fan["single_all_ms_median"] = sorted(complete)[len(complete) // 2] if complete else None
        fan["single_all_ms_max"] = max(complete) if complete else None
        fan["single_complete"] = f"{len(complete)}/{singles}"
        if burst:
            bs = [per[k] for k in range(first, first + burst) if k in per]
            n_del = sum(e["n"] for e in bs)
            if bs:
                t_start = min(e["t0"] for e in bs)
                t_end = max(e["last"] for e in bs)
                span = (t_end - t_start) / 1e9
            else:
                span = None
            fan["burst"] = {
                "lines": burst, "bytes_per_line": self.args.bcast_size,
                "deliveries": n_del, "expected": held * burst,
                "span_s": span,
                "deliveries_per_s": n_del / span if span else None,
                "first_read_ms": ((min(e["first"] for e in bs) - t_start) / 1e6 if bs else None),
                "last_line_all_ms": ((per[first + burst - 1]["last"] - per[first + burst - 1]["t0"]) / 1e6
                                     if (first + burst - 1) in per else None),
                "server_cpu_raw_s": (cpu1 - cpu0) / 1e9,
                "server_cpu_s": burst_cpu,
                "deliveries_per_server_cpu_s": n_del / burst_cpu,
            }
        res["fanout"] = fan
        log(f"  fanout: single all-received median {fan['single_all_ms_median']} ms; "
            f"burst {fan.get('burst', {}).get('deliveries_per_s')} deliveries/s")

    def save(self, name, res):
        os.makedirs(self.results, exist_ok=True)
        with open(os.path.join(self.results, f"{name}.json"), "w") as f:
            json.dump(res, f, indent=1)

    def cleanup(self):
        shutil.rmtree(self.tmpdir, ignore_errors=True)


# --------------------------------------------------------------------------
# Table

def fmt(v, spec="{:.2f}", none="–"):
    if v is None:
        return none
    try:
        return spec.format(v)
    except (ValueError, TypeError):
        return str(v)


def table(results):
    rows = []
    hdr = ["scenario", "server", "N", "held", "fail", "RTT p50/p99/max ms (server)",
           "probe p50/p99/max ms", "CPU %", "RSS/client KiB", "bcast all-read ms", "burst deliv/s",
           "deliv/CPU-s", "foreign CPU %"]
    for r in results:
        rtt = r.get("server_rtt") or {}
        if not rtt.get("n"):
            rtt = {}
        w = r.get("window") or {}
        pr = w.get("probe") or {}
        fan = r.get("fanout") or {}
        b = fan.get("burst") or {}
        rows.append([
            r["scenario"], r["server"], str(r["n"]),
            str(r.get("held", "–")),
            str((r.get("ramped") or {}).get("failed", "–")),
            "/".join(fmt(rtt.get(k)) for k in ("p50_ms", "p99_ms", "max_ms")) if rtt else "–",
            "/".join(fmt(pr.get(k)) for k in ("p50_ms", "p99_ms", "max_ms")) if pr.get("answered") else "–",
            fmt(r.get("server_cpu_pct"), "{:.1f}"),
            fmt(r.get("rss_per_client_kib"), "{:.1f}"),
            fmt(fan.get("single_all_ms_median"), "{:.1f}") + (f" ({fan['single_complete']})" if fan else ""),
            fmt(b.get("deliveries_per_s"), "{:,.0f}"),
            fmt(b.get("deliveries_per_server_cpu_s"), "{:,.0f}"),
            fmt(r.get("foreign_cpu_pct"), "{:.1f}"),
        ])
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(hdr)]
    lines = ["| " + " | ".join(h.ljust(widths[i]) for i, h in enumerate(hdr)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(c.ljust(widths[i]) for i, c in enumerate(row)) + " |")
    return "\n".join(lines)


def machine_info():
    info = {"nproc": os.cpu_count(), "kernel": platform.release()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        info["glib"] = subprocess.run(["pkg-config", "--modversion", "glib-2.0"],
                                      capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        info["ncat"] = subprocess.run(["ncat", "--version"], capture_output=True, text=True,
                                      timeout=5).stderr.strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        pass
    info["nofile"] = resource.getrlimit(resource.RLIMIT_NOFILE)
    for key in ("net/core/somaxconn", "net/ipv4/tcp_max_syn_backlog", "net/ipv4/tcp_tw_reuse",
                "net/ipv4/ip_local_port_range"):
        try:
            with open("/proc/sys/" + key) as f:
                info[key] = f.read().strip()
        except OSError:
            pass
    with open("/proc/loadavg") as f:
        info["loadavg_at_start"] = f.read().strip()
    return info


def main():
    ap = argparse.ArgumentParser(description="Heartbeat Lab scale benchmark (issue 7)")
    ap.add_argument("--build", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--quick", action="store_true", help="2-minute smoke run")
    ap.add_argument("--before", help="build directory of the code before a change: its CLI "
                    "runs as server 'hbb' (scenarios hbb-*), beside this build's")
    ap.add_argument("--only", default="hb,core,epoll,ncat",
                    help="servers to run, comma-separated: hb (heartbeat-lab-cli), "
                         "core (hb-core-server), epoll (hb-epoll-relay), ncat")
    ap.add_argument("--scenarios", default="", help="scenario names to run (default: all)")
    ap.add_argument("--window", type=float, help="measurement window in s")
    ap.add_argument("--rate", type=float, default=5000, help="connects per second in total")
    ap.add_argument("--probes", type=int, default=100)
    ap.add_argument("--settle", type=float, default=3.0)
    ap.add_argument("--bcast-size", type=int, default=64, help="bytes of broadcast text")
    ap.add_argument("--fanout-wait", type=float, default=20.0)
    ap.add_argument("--base-port", type=int, default=24000 + (os.getpid() % 1000) * 20)
    ap.add_argument("--sched", choices=("none", "nice", "rt"), default="rt",
                    help="priority of server and load over other processes")
    ap.add_argument("--quiet-wait", type=float, help="wait up to this many s before each "
                    "scenario for the machine to be idle (default 20, quick 0)")
    ap.add_argument("--quiet-pct", type=float, default=20.0,
                    help="'idle' means less than this %% of one core busy")
    ap.add_argument("--keep-raw", action="store_true", help="keep the servers' raw output")
    a = ap.parse_args()

    signal.signal(signal.SIGTERM, on_term)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    big, small = (10000, 1000)
    window = a.window or 30.0
    singles, burst = 5, 100
    hold_max = 19500
    if a.quick:
        big, small = (2000, 500)
        window = a.window or 6.0
        singles, burst = 3, 20
    if hard < big + 50:
        log(f"open-file limit {hard} is too low for N={big}")
        sys.exit(1)
    a.window = window
    if a.quiet_wait is None:
        a.quiet_wait = 0.0 if a.quick else 20.0

    # name, server, N, interval ms, window s, singles, burst, extra
    plan = []
    for kind in ("hbb", "hb", "core", "epoll"):
        if kind == "hbb" and not a.before:
            continue
        plan += [
            (f"{kind}-idle-{big}", kind, big, 10000, window, 0, 0, {"probes": 0}),
            (f"{kind}-hb1s-{big}", kind, big, 1000, window, singles, burst, {}),
            (f"{kind}-hb1s-{small}", kind, small, 1000, window, singles, burst, {}),
        ]
        if kind == "epoll":
            # what batching heartbeat wake-ups into 10 ms slices saves at idle
            plan.append((f"epoll-slice10-idle-{big}", kind, big, 10000, window, 0, 0,
                         {"probes": 0, "server_args": ["--slice", "10"]}))
        if not a.quick:
            plan.append((f"{kind}-hold-{hold_max}", kind, hold_max, 1000, 10.0, 1, 0,
                         {"max_clients": hold_max}))
    # ncat has no heartbeats: connections held and fan-out only
    plan += [
        (f"ncat-{small}", "ncat", small, 0, min(window, 10.0), singles, burst, {}),
        (f"ncat-{big}", "ncat", big, 0, 5.0, 1, 0, {"expect_abort": True}),
    ]
    only = set(a.only.split(","))
    wanted = set(s for s in a.scenarios.split(",") if s)
    plan = [p for p in plan if p[1] in only and (not wanted or p[0] in wanted)]

    info = machine_info()
    info["started"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    info["args"] = vars(a)
    runner = Runner(a)
    results = []
    t_start = time.monotonic()
    try:
        for name, kind, n, interval, win, sg, bu, extra in plan:
            if kind == "ncat" and runner.exe["ncat"] is None:
                log("ncat not installed (apt-get install ncat): skipped")
                continue
            results.append(runner.run(name, kind, n, interval or 1000, win, sg, bu, **extra))
    finally:
        kill_all()
        runner.cleanup()
    info["duration_s"] = time.monotonic() - t_start
    with open("/proc/loadavg") as f:
        info["loadavg_at_end"] = f.read().strip()
    summary = {"machine": info, "results": results}
    os.makedirs(a.results, exist_ok=True)
    with open(os.path.join(a.results, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    text = table(results)
    with open(os.path.join(a.results, "table.md"), "w") as f:
        f.write(text + "\n")
    print(text)
    log(f"done in {info['duration_s']:.0f} s; raw results in {a.results}")


if __name__ == "__main__":
    main()
