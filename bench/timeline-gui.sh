#!/usr/bin/env bash
# bench/timeline-gui.sh - the timeline window on a big capture: opening it, scrolling its table and ladder (issue 14)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: bench/timeline-gui.sh [--frames N] [--seconds S] [--renderer cairo|gl|both]
#   --frames    frames of the generated capture (bench/big-capture.py FILE N 1:
#               one connection), default 200000
#   --seconds   length of each scrolling phase, default 5
#   --renderer  GSK renderer(s) to run under, default both (gl is GTK's
#               default; under Xvfb it is Mesa's llvmpipe, software GL)
# Builds bench/hb-timeline-bench into _build_guibench (as bench/gui.sh
# does), writes the capture into bench/results/timeline-<stamp>/, and runs
# the bench once per renderer under its own Xvfb (1280x1024x24). Prints
# the table of docs/benchmarks.md ("The timeline window on a big capture")
# and keeps it in table.md there.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
builddir=${HB_GUI_BENCH_BUILDDIR:-$top/_build_guibench}

frames=200000
seconds=5
renderers=(gl cairo)
while [ $# -gt 0 ]; do
  case $1 in
    --frames) frames=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    --renderer)
      case $2 in
        both) renderers=(gl cairo) ;;
        gl|cairo) renderers=("$2") ;;
        *) echo "timeline-gui.sh: --renderer cairo|gl|both" >&2; exit 2 ;;
      esac
      shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "timeline-gui.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

for tool in xvfb-run meson ninja python3; do
  command -v "$tool" >/dev/null || { echo "timeline-gui.sh: $tool is missing" >&2; exit 1; }
done
if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir" "$top" -Dgui=true >/dev/null
fi
ninja -C "$builddir" bench/hb-timeline-bench data/gschemas.compiled >/dev/null

stamp=$(date +%Y%m%d-%H%M%S)
results="$here/results/timeline-$stamp"
mkdir -p "$results"
capture="$results/big.pcap"
python3 "$here/big-capture.py" "$capture" "$frames" 1

export GSETTINGS_BACKEND=memory
export GSETTINGS_SCHEMA_DIR="$builddir/data"
export GDK_BACKEND=x11
export GTK_A11Y=none
export LC_ALL=C.UTF-8
export NO_AT_BRIDGE=1

echo "timeline-gui.sh: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg), $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')" >&2
{
  echo "| renderer | phase | time | frames | frame work p50 / p99 / max ms | frames > 16 ms | frame interval p50 / p99 / max ms | main-loop gap p50 / p99 / max ms |"
  echo "|---|---|---|---|---|---|---|---|"
  for r in "${renderers[@]}"; do
    echo "timeline-gui.sh: GSK_RENDERER=$r, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    GSK_RENDERER=$r timeout --kill-after=10 600 \
      xvfb-run -a -s '-screen 0 1280x1024x24 -nolisten tcp' \
      "$builddir/bench/hb-timeline-bench" --file "$capture" --seconds "$seconds" --label "$r"
  done
} | tee "$results/table.md"
rm -f "$capture"
echo "timeline-gui.sh: results in $results" >&2
