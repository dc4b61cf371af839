#!/usr/bin/env bash
# bench/gui.sh - reruns the server window's benchmark of issue 7 (docs/benchmarks.md)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: bench/gui.sh [--quick] [--sched rt|nice|none] [--renderer R[,R...]] [scenario...]
#   scenarios: n1000, n10000, n10000-rtt-middle, n1000-rtt-middle,
#              paste-quit-2000 (60 pasted broadcasts, then the quit, timed)
#              (default: n1000 n10000 n10000-rtt-middle)
#              and the quiet ones of issue 15, no tick callback, no keys:
#              idle-demo (heartbeat-lab --demo doing nothing), one-1s (the
#              server window, 1 client at 1 s heartbeats), n2000-1s (2,000)
#              (quiet: all three on auto, gl and cairo)
#   --quick     windows of 5 s and 3 s instead of 20 s and 10 s
#   --sched     priority over other processes, as bench/run.sh: rt (default,
#               SCHED_FIFO 10), nice (-10) or none
#   --wait S    wait at most S s (60) for the machine to be nearly idle
#   --renderer  GSK renderers, each scenario runs on each: cairo (default;
#               Xvfb's GL is llvmpipe, software GL that measures Mesa rather
#               than the window), gl, or auto (GSK_RENDERER unset: the
#               application's own choice, as shipped)
# Builds bench/hb-gui-bench and bench/hb-load into _build_guibench, then runs
# each scenario in its own process under its own Xvfb (1280x1024x24): the
# window and its server pinned to CPU 0, hb-load to CPU 1, Xvfb free. Before
# each scenario it waits (at most 60 s) for the machine to be nearly idle.
# Results go to bench/results/gui-<timestamp>/: <scenario>.json, and
# table.md (also printed) with the columns of docs/benchmarks.md; each
# scenario's summary goes to stderr.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
builddir=${HB_GUI_BENCH_BUILDDIR:-$top/_build_guibench}

window=20
input=10
wait=60
sched=rt
renderer=cairo
scenarios=()
while [ $# -gt 0 ]; do
  case $1 in
    --quick) window=5 input=3 ;;
    --sched) sched=$2; shift ;;
    --renderer) renderer=$2; shift ;;
    --wait) wait=$2; shift ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) scenarios+=("$1") ;;
  esac
  shift
done
case $sched in
  rt) prio=(chrt -f 10) ;;
  nice) prio=(nice -n -10) ;;
  none) prio=() ;;
  *) echo "gui.sh: --sched rt|nice|none" >&2; exit 2 ;;
esac
if [ "$sched" != none ] && ! "${prio[@]}" true 2>/dev/null; then
  echo "gui.sh: cannot raise priority ($sched); running without" >&2
  sched=none prio=()
fi
[ ${#scenarios[@]} -gt 0 ] || scenarios=(n1000 n10000 n10000-rtt-middle)
if [ "${scenarios[*]}" = quiet ]; then
  scenarios=(idle-demo one-1s n2000-1s)
  [ "$renderer" != cairo ] || renderer=auto,gl,cairo
fi
IFS=, read -r -a renderers <<<"$renderer"

for tool in xvfb-run taskset meson ninja; do
  command -v "$tool" >/dev/null || { echo "gui.sh: $tool is missing" >&2; exit 1; }
done
if [ "$(nproc)" -lt 2 ]; then
  echo "gui.sh: needs 2 CPUs (window on CPU 0, load on CPU 1)" >&2
  exit 1
fi

# bench/ is built only with -Dbenchmarks=true; a build directory made
# before that option existed is switched on here.
if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir" "$top" -Dgui=true -Dbenchmarks=true >/dev/null
else
  meson setup --reconfigure "$builddir" "$top" -Dbenchmarks=true >/dev/null
fi
ninja -C "$builddir" bench/hb-gui-bench bench/hb-load data/gschemas.compiled >/dev/null

# The hard limit is 20,000 open files per process; the window's server
# holds one per client.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

stamp=$(date +%Y%m%d-%H%M%S)
results="$here/results/gui-$stamp"
mkdir -p "$results"

export GSETTINGS_BACKEND=memory
export GSETTINGS_SCHEMA_DIR="$builddir/data"
export GDK_BACKEND=x11
export GTK_A11Y=none
export LC_ALL=C.UTF-8
export NO_AT_BRIDGE=1

# busy_pct: % of one core busy over the next second, the whole machine.
busy_pct() {
  local a b
  a=$(head -1 /proc/stat)
  sleep 1
  b=$(head -1 /proc/stat)
  awk -v a="$a" -v b="$b" -v NPROC="$(nproc)" 'BEGIN {
    split(a, x); split(b, y); t = 0; i = 0
    for (k = 2; k <= 9; k++) { t += y[k] - x[k] }
    idle = (y[5] - x[5]) + (y[6] - x[6])
    printf "%d", 100 * NPROC * (t - idle) / (t ? t : 1) }'
}

echo "gui.sh: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# Sources 127.0.0.150 and up: apart from bench/driver.py's blocks.
src=150
for sc in "${scenarios[@]}"; do
 for r in "${renderers[@]}"; do
  # The quiet scenarios: no tick callback (a frame only when one is asked
  # for), no keys, no probes.
  quiet=(--quiet --no-keys --input-window 0 --probes 0)
  case $sc in
    idle-demo) args=(--demo --settle 6) ;;
    one-1s) args=(--clients 1 "${quiet[@]}") ;;
    n2000-1s) args=(--clients 2000 "${quiet[@]}") ;;
    n1000) args=(--clients 1000) ;;
    n10000) args=(--clients 10000) ;;
    n10000-rtt-middle) args=(--clients 10000 --sort RTT --scroll middle) ;;
    n1000-rtt-middle) args=(--clients 1000 --sort RTT --scroll middle) ;;
    # issue 13: 60 pasted 900-character broadcasts, then Ctrl+Q, timed
    paste-quit-2000) args=(--clients 2000 --paste 60 --quit) ;;
    *) echo "gui.sh: unknown scenario $sc" >&2; exit 2 ;;
  esac
  end=$((SECONDS + wait))
  busy=$(busy_pct)
  while [ "$busy" -gt 25 ] && [ $SECONDS -lt $end ]; do busy=$(busy_pct); done
  name=$sc
  [ ${#renderers[@]} -eq 1 ] || name=$sc-$r
  echo "gui.sh: $name (load $(cut -d' ' -f1-3 /proc/loadavg), machine busy before: $busy % of a core, sched $sched, GSK_RENDERER=$r)" >&2
  echo "$name $busy $(cut -d' ' -f1-3 /proc/loadavg)" >>"$results/machine.txt"
  if [ "$r" = auto ]; then unset GSK_RENDERER; else export GSK_RENDERER=$r; fi
  timeout --kill-after=10 $((window + input + 240)) \
    "${prio[@]}" xvfb-run -a -s '-screen 0 1280x1024x24 -nolisten tcp' \
    taskset -c 0 "$builddir/bench/hb-gui-bench" \
      --load "$builddir/bench/hb-load" --load-cpu 1 --src-base "$src" \
      --window "$window" --input-window "$input" --label "$name" --json "$results/$name.json" "${args[@]}" >/dev/null
  src=$((src + 8))
 done
done
# The table of docs/benchmarks.md ("The server window"), from the JSON.
python3 - "$results" >"$results/table.md" <<'PY'
import glob, json, os, sys

d = sys.argv[1]
busy = {}
if os.path.exists(os.path.join(d, "machine.txt")):
    for line in open(os.path.join(d, "machine.txt")):
        p = line.split()
        busy[p[0]] = (p[1], " ".join(p[2:]))

def trio(x):
    if not x or not x.get("n"):
        return "–"
    return "%.1f / %.1f / %.1f" % (x["p50"], x["p99"], x["max"])

def duo(x):
    if not x or not x.get("n"):
        return "–"
    return "%.1f / %.1f" % (x["p50"], x["p99"])

files = sorted(glob.glob(os.path.join(d, "*.json")), key=os.path.getmtime)
rs = [json.load(open(fn)) for fn in files]
quiet = [r for r in rs if "listen_to_all_listed_s" not in r or r.get("quiet")]
if quiet:
    # issue 15: what the window costs when little changes
    print("| scenario | renderer | machine busy before, load | foreign CPU during | CPU | RSS | frames / s | renders / s | damaged px per render | Xvfb CPU |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in quiet:
        s = r["steady"]
        b = busy.get(r["scenario"], ("?", "?"))
        print("| %s | %s | %s %%, %s | %.1f %% | %.1f %% | %.0f MB | %.1f | %.1f | %.0f | %.1f %% |" % (
            r["scenario"], r["renderer"].replace("Gsk", "").replace("Renderer", ""), b[0], b[1],
            s.get("foreign_cpu_pct", float("nan")), s["cpu_pct"], s.get("rss_kb", 0) / 1024.0,
            s.get("frames_per_s", float("nan")), s.get("renders_per_s", float("nan")),
            s.get("damage_px_per_render", float("nan")), s.get("xvfb_cpu_pct", float("nan"))))
    print()
rs = [r for r in rs if r not in quiet]
if rs:
  print("| scenario | machine busy before, load | all rows listed | biggest splice | frame work p50 / p99 / max ms | frames > 16 ms | frame interval p99 ms | main-loop lag p50 / p99 / max ms | probe RTT p50 / p99 ms | CPU | arrow keys: frame p50 / p99 / max ms | key → handler p50 / p99 ms | key → frame p50 / p99 ms |")
  print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in rs:
    s, i = r["steady"], r.get("input") or {}
    sp = max(r["splices"], key=lambda x: x[1]) if r["splices"] else None
    b = busy.get(r["scenario"], ("?", "?"))
    print("| %s | %s %%, %s | %.2f s | %s | %s | %d of %d | %.1f | %s | %s | %.0f %% | %s | %s | %s |" % (
        r["scenario"], b[0], b[1], r["listen_to_all_listed_s"],
        "%d rows, %.0f ms" % (sp[0], sp[1]) if sp else "–",
        trio(s["frame_ms"]), s["frame_ms"].get("over_16ms", 0), s["frame_ms"]["n"],
        s["frame_interval_ms"].get("p99", float("nan")), trio(s["loop_lag_ms"]),
        duo(r.get("probe_rtt_ms")), s["cpu_pct"],
        trio(i.get("frame_ms")), duo(i.get("key_to_handler_ms")), duo(i.get("key_to_frame_ms"))))
PY
cat "$results/table.md"
echo "gui.sh: results in $results" >&2
