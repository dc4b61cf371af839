#!/usr/bin/env bash
# bench/run.sh - reruns the whole scale benchmark of issue 7 (docs/benchmarks.md)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: bench/run.sh [--quick] [--only hb,epoll,ncat] [--scenarios a,b] [driver options]
#   --quick   a 2-minute smoke run (smaller N, shorter windows)
# Builds into _build_bench (release), raises the open-file limit, tunes the
# listen backlog if allowed, then runs bench/driver.py. Raw JSON goes to
# bench/results/<timestamp>/ (and bench/results/latest), the table to stdout.
# Everything runs on 127.0.0.0/8: the server on CPU 0, the load on CPU 1.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
builddir=${HB_BENCH_BUILDDIR:-$top/_build_bench}

if [ "$(nproc)" -lt 2 ]; then
  echo "run.sh: needs 2 CPUs (server on CPU 0, load on CPU 1)" >&2
  exit 1
fi
for tool in taskset nstat python3 meson ninja; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing" >&2; exit 1; }
done
command -v ncat >/dev/null || echo "run.sh: ncat missing (apt-get install ncat): its scenarios are skipped" >&2

# bench/ is built only with -Dbenchmarks=true; a build directory made
# before that option existed is switched on here.
if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir" "$top" --buildtype=release -Dbenchmarks=true >/dev/null
else
  meson setup --reconfigure "$builddir" "$top" -Dbenchmarks=true >/dev/null
fi
ninja -C "$builddir" bench/hb-load bench/hb-epoll-relay bench/hb-core-server src/cli/heartbeat-lab-cli >/dev/null

# The machine's hard limit is 20,000 open files per process; take all of it.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "open files: $(ulimit -n)" >&2

# A burst of thousands of connects needs a deep accept queue. Root only;
# carry on with the current values otherwise.
if [ "$(id -u)" = 0 ]; then
  sysctl -q -w net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=8192 2>/dev/null ||
    echo "run.sh: could not raise somaxconn/tcp_max_syn_backlog; continuing" >&2
fi

stamp=$(date +%Y%m%d-%H%M%S)
results="$here/results/$stamp"
mkdir -p "$results"
ln -sfn "$stamp" "$here/results/latest"

# The whole run is bounded: 20 minutes full, 4 quick.
limit=1200
for arg in "$@"; do [ "$arg" = --quick ] && limit=240; done
exec timeout --kill-after=30 "$limit" \
  python3 "$here/driver.py" --build "$builddir" --results "$results" "$@"
