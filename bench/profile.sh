#!/usr/bin/env bash
# bench/profile.sh - where a server spends its CPU under heartbeat load (perf)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: bench/profile.sh [hb|core|epoll] [N] [INTERVAL_MS] [SECONDS] [--burst LINES]
#   defaults: hb 10000 1000 5
# Starts the server on CPU 0 and hb-load with N clients on CPU 1, waits for
# the ramp, then records SECONDS of the server with `perf record` (DWARF
# call graphs) and prints the hottest call chains by inclusive cost. With
# --burst, LINES broadcasts are written to the server's stdin during the
# recording and the server's send() calls are counted with `perf stat`.
# Needs linux-perf (apt-get install linux-perf). Bounded: the load exits on
# its own after SECONDS + 20 s.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
builddir=${HB_BENCH_BUILDDIR:-$top/_build_bench}
kind=${1:-hb}
n=${2:-10000}
interval=${3:-1000}
secs=${4:-5}
burst=0
if [ "${5:-}" = --burst ]; then burst=${6:-100}; fi

command -v perf >/dev/null || { echo "profile.sh: perf is missing (apt-get install linux-perf)" >&2; exit 1; }
# A build directory of bench/run.sh's (-Dbenchmarks=true), made if missing.
if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir" "$top" --buildtype=release -Dbenchmarks=true >/dev/null
else
  meson setup --reconfigure "$builddir" "$top" -Dbenchmarks=true >/dev/null
fi
ninja -C "$builddir" bench/hb-load bench/hb-epoll-relay bench/hb-core-server src/cli/heartbeat-lab-cli >/dev/null
ulimit -n "$(ulimit -Hn)"

port=$((20000 + RANDOM % 2000))
work=$(mktemp -d "${TMPDIR:-/tmp}/hb-profile.XXXXXX")
mkfifo "$work/in"
exec 3<>"$work/in"

case $kind in
  hb)    server=("$builddir/src/cli/heartbeat-lab-cli" server --json) ;;
  core)  server=("$builddir/bench/hb-core-server") ;;
  epoll) server=("$builddir/bench/hb-epoll-relay") ;;
  *) echo "profile.sh: unknown server $kind" >&2; exit 2 ;;
esac

chrt -f 10 taskset -c 0 "${server[@]}" --port "$port" --interval "$interval" \
  --max-clients $((n + 10)) <&3 >"$work/server.out" 2>&1 &
spid=$!
cleanup () { kill "$spid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
sleep 0.5

srcs=$(( (n + 2499) / 2500 ))
chrt -f 10 taskset -c 1 "$builddir/bench/hb-load" --port "$port" --connections "$n" \
  --rate 5000 --probes 0 --src 127.0.0.240 --src-count "$srcs" \
  --max-seconds $((secs + 20 + n / 5000)) </dev/null >"$work/load.out" &
sleep $((3 + n / 5000))

if [ "$burst" -gt 0 ]; then
  perf stat -e syscalls:sys_enter_sendto,syscalls:sys_enter_poll,syscalls:sys_enter_epoll_wait \
    -p "$spid" -o "$work/stat.txt" -- sleep "$secs" &
  stat_pid=$!
fi
perf record -q -F 999 --call-graph dwarf,16384 -p "$spid" -o "$work/perf.data" -- sleep "$secs" &
rec_pid=$!
if [ "$burst" -gt 0 ]; then
  sleep 1
  # one block, as bench/driver.py writes it
  block=$(for i in $(seq 1 "$burst"); do
    printf '@hb %d 0 %s\n' "$i" xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
  done)
  printf '%s\n' "$block" >&3
  wait "$stat_pid"
  echo "== system calls of the server during the burst of $burst lines to $n clients"
  grep -E "syscalls|elapsed" "$work/stat.txt"
fi
wait "$rec_pid"

echo "== $kind, $n clients, interval $interval ms: inclusive cost (children), top entries"
perf report -i "$work/perf.data" --children --stdio --sort symbol -g none 2>/dev/null |
  grep -E "^ +[0-9]" | head -${HB_PROFILE_TOP:-60}
