#!/usr/bin/env bash
# bench/soak.sh - every attack of issue 12 at once against one server (docs/benchmarks.md)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: bench/soak.sh [--attack SECONDS]   (60 by default; the run stops
# itself within 5 minutes)
# Builds into _build_bench (release) like run.sh, then runs bench/soak.py:
# the server on CPU 0, 1,000 good clients and the attacks on CPU 1, all on
# 127.0.0.0/8. The table goes to stdout, the JSON to bench/results/<stamp>/.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
builddir=${HB_BENCH_BUILDDIR:-$top/_build_bench}

for tool in taskset prlimit python3 meson ninja; do
  command -v "$tool" >/dev/null || { echo "soak.sh: $tool is missing" >&2; exit 1; }
done
# bench/ is built only with -Dbenchmarks=true; a build directory made
# before that option existed is switched on here.
if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir" "$top" --buildtype=release -Dbenchmarks=true >/dev/null
else
  meson setup --reconfigure "$builddir" "$top" -Dbenchmarks=true >/dev/null
fi
ninja -C "$builddir" bench/hb-load src/cli/heartbeat-lab-cli >/dev/null
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

stamp=$(date +%Y%m%d-%H%M%S)-soak
results="$here/results/$stamp"
mkdir -p "$results"
exec timeout --kill-after=30 300 python3 "$here/soak.py" --build "$builddir" --results "$results" "$@"
