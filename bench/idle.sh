#!/usr/bin/env bash
# bench/idle.sh - what the demo costs doing nothing: CPU and memory of the idle window
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: bench/idle.sh [--seconds N] [--runs N] [renderer...]
#   renderers: auto (no GSK_RENDERER: the application chooses), gl, cairo
#              (default: auto gl cairo)
# Runs `heartbeat-lab --demo` (a server window and two client windows,
# 10 s heartbeats) under its own Xvfb (1600x1000x24) with settings of its
# own, waits 6 s for it to settle, then reads the process's CPU time and
# resident memory over N seconds (20 by default). Prints one line per run:
#   renderer  cpu-%-of-one-core  rss-kB  gl-renderer-reported
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${HB_BUILD:-$here/_build}
seconds=20
runs=1
renderers=()
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) renderers+=("$1"); shift ;;
  esac
done
[ ${#renderers[@]} -gt 0 ] || renderers=(auto gl cairo)
[ -x "$build/src/gui/heartbeat-lab" ] || meson compile -C "$build" >/dev/null

hz=$(getconf CLK_TCK)
printf '%-6s %8s %10s\n' renderer 'cpu %' 'rss kB'
for r in "${renderers[@]}"; do
  for ((i = 0; i < runs; i++)); do
    display=:$((150 + RANDOM % 100))
    Xvfb "$display" -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 &
    xvfb=$!
    sleep 1
    conf=$(mktemp -d)
    (
      export DISPLAY=$display XDG_CONFIG_HOME=$conf GSETTINGS_BACKEND=keyfile \
             GSETTINGS_SCHEMA_DIR=$build/data
      unset GSK_RENDERER
      [ "$r" = auto ] || export GSK_RENDERER=$r
      exec "$build/src/gui/heartbeat-lab" --demo >/dev/null 2>&1
    ) &
    app=$!
    sleep 6
    t0=$(awk '{print $14 + $15}' /proc/$app/stat); s0=$(date +%s.%N)
    sleep "$seconds"
    t1=$(awk '{print $14 + $15}' /proc/$app/stat); s1=$(date +%s.%N)
    rss=$(awk '/VmRSS/ {print $2}' /proc/$app/status)
    kill $app; wait $app 2>/dev/null || true
    kill $xvfb; wait $xvfb 2>/dev/null || true
    rm -rf "$conf"
    printf '%-6s %8.2f %10s\n' "$r" "$(echo "($t1 - $t0) / $hz / ($s1 - $s0) * 100" | bc -l)" "$rss"
  done
done
