#!/bin/sh
# fuzz-test.sh - run the libFuzzer target fuzz-pcap for a bounded time over a
# seed corpus written by the project's own fixtures
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: fuzz-test.sh FUZZER SEEDER DICT WORKDIR
#   SEEDER (fuzz-seeds) writes the seeds; DICT is a libFuzzer dictionary.
#   WORKDIR is emptied and receives the seeds, the corpus the run grows,
#   fuzz.log, and the input of any crash, leak, timeout or out-of-memory.
#   HB_FUZZ_SECONDS (default 60) bounds the run; HB_FUZZ_SEED (default 1)
#   fixes libFuzzer's random seed, so that a failing run can be repeated.
#   Prints TAP: the seeds are written, each seed runs cleanly, and the
#   fuzzing run ends without a finding.

set -u

. "$(dirname "$0")/tap.sh"
tap_usage 4 "FUZZER SEEDER DICT WORKDIR" "$@"

fuzzer=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
seeder=$2
dict=$3
work=$4
seconds=${HB_FUZZ_SECONDS:-60}
seed=${HB_FUZZ_SEED:-1}

# Options every run shares: a second per input would already be far too
# slow for these parsers; ten allows for the sanitizers on a loaded machine.
limits="-timeout=10 -rss_limit_mb=2048 -max_len=8192"

# libFuzzer takes -max_total_time=0 for "no limit": never here.
case $seconds in
  '' | *[!0-9]*) seconds=0 ;;
esac
if [ "$seconds" -le 0 ]; then
  echo "fuzz-test.sh: HB_FUZZ_SECONDS must be a whole number of seconds above 0" >&2
  exit 2
fi

rm -rf "$work"
mkdir -p "$work/seeds" "$work/corpus" || exit 1

# What libFuzzer left in WORKDIR for a failing input: where it is, and the
# input itself in hex, so that the log alone is enough to reproduce it.
show_findings ()
{
  for artifact in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
    [ -f "$artifact" ] || continue
    tap_note "input kept as $artifact ($(wc -c <"$artifact") bytes); reproduce with: $fuzzer $artifact"
    tap_note "$(od -A x -t x1 -v "$artifact" | head -n 256)"
  done
}

echo "1..3"

if count=$("$seeder" "$work/seeds" 2>&1) && [ "$count" -gt 0 ] 2>/dev/null; then
  ok "fuzz-seeds wrote $count seed inputs"
else
  not_ok "fuzz-seeds failed"
  tap_note "$count"
  not_ok "seed inputs not run: no seeds"
  not_ok "fuzzing not run: no seeds"
  exit 1
fi

# Each seed once, as a plain regression run: files given by name are run
# and nothing is fuzzed.
# shellcheck disable=SC2086
if "$fuzzer" $limits -artifact_prefix="$work/" "$work"/seeds/* >"$work/seeds.log" 2>&1; then
  ok "every seed input runs cleanly"
else
  not_ok "a seed input fails (exit status $?)"
  tap_note "$(tail -n 80 "$work/seeds.log")"
  show_findings
fi

# shellcheck disable=SC2086
"$fuzzer" $limits -max_total_time="$seconds" -seed="$seed" -print_final_stats=1 \
  -artifact_prefix="$work/" -dict="$dict" "$work/corpus" "$work/seeds" >"$work/fuzz.log" 2>&1
status=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log" | tail -n 1)
done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$work/fuzz.log" | tail -n 1)
if [ "$status" -eq 0 ] && [ -n "$runs" ]; then
  ok "fuzz-pcap ran $runs inputs in ${seconds} s (seed $seed) without a finding"
  tap_note "$done_line"
else
  not_ok "fuzz-pcap found a failing input (exit status $status, seed $seed, ${runs:-?} inputs run)"
  tap_note "$(grep -v -E '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse)' "$work/fuzz.log" | tail -n 120)"
  show_findings
fi

tap_done
