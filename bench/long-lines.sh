#!/usr/bin/env bash
# bench/long-lines.sh - what long message lines cost the desktop application
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: bench/long-lines.sh [LENGTH] [COUNT] [word|spaces]
#   defaults: 1000 20 word
# Opens the demo (a server window and two client windows, as tools/run.sh
# does) under its own Xvfb, in a private network namespace so that port
# 12001 is its own, then one plain socket client sends COUNT lines
# "MSG <text>" of LENGTH characters, one every 150 ms: one word without a
# space, or words of 9 letters. Prints the CPU time (user + system) the
# application spent from the first line until 2 s after the last, and the
# same for lines of 10 characters, as the baseline of drawing a line at all.
# The renderer is cairo (GSK_RENDERER=gl measures Xvfb's software GL).
# Needs unshare (util-linux) and, as any user but root, user namespaces.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
builddir=${HB_BENCH_BUILDDIR:-$top/_build}
length=${1:-1000}
count=${2:-20}
shape=${3:-word}

meson compile -C "$builddir" src/gui/heartbeat-lab >/dev/null
unshare_args=(-n)
[ "$(id -u)" -eq 0 ] || unshare_args=(-rn)

# run_one LENGTH SHAPE: prints the application's CPU seconds
run_one ()
{
  local len=$1 kind=$2 display
  display=$((100 + RANDOM % 100))
  Xvfb ":$display" -screen 0 1400x1000x24 -nolisten tcp >/dev/null 2>&1 &
  local xvfb=$!
  # shellcheck disable=SC2016
  DISPLAY=":$display" GSK_RENDERER=${GSK_RENDERER:-cairo} GSETTINGS_BACKEND=memory \
  GSETTINGS_SCHEMA_DIR="$builddir/data" HB_LEN=$len HB_COUNT=$count HB_SHAPE=$kind \
  HB_APP="$builddir/src/gui/heartbeat-lab" \
    unshare "${unshare_args[@]}" sh -c '
      ip link set lo up 2>/dev/null || true
      "$HB_APP" --demo >/dev/null 2>&1 &
      app=$!
      python3 - "$app" <<"PY"
import os, socket, sys, time
app = sys.argv[1]
def cpu():
    f = open(f"/proc/{app}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
for _ in range(100):
    try:
        s = socket.create_connection(("127.0.0.1", 12001))
        break
    except OSError:
        time.sleep(0.1)
time.sleep(2)
s.sendall(b"HELLO longlines\n")
n, count = int(os.environ["HB_LEN"]), int(os.environ["HB_COUNT"])
text = b"x" * n if os.environ["HB_SHAPE"] == "word" else (b"xxxxxxxxx " * (n // 10 + 1))[:n]
t0 = cpu()
for _ in range(count):
    s.sendall(b"MSG " + text + b"\n")
    time.sleep(0.15)
time.sleep(2)
print(f"{cpu() - t0:.2f}")
s.close()
PY
      kill $app'
  kill "$xvfb" 2>/dev/null || true
  wait "$xvfb" 2>/dev/null || true
}

long=$(run_one "$length" "$shape")
short=$(run_one 10 word)
echo "$count lines of $length characters ($shape): $long s of CPU; $count lines of 10: $short s"
