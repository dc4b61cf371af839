#!/usr/bin/env bash
# tools/test.sh — set everything up, build, and run the whole test suite.
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: tools/test.sh [BUILDDIR] [extra meson setup args...]
#   BUILDDIR defaults to _build. Extra args go to meson setup, e.g.
#   tools/test.sh _build-asan -Db_sanitize=address,undefined -Db_lundef=false
#   HB_TEST_ARGS (environment) adds arguments to meson test, e.g.
#   HB_TEST_ARGS='--timeout-multiplier 3' or HB_TEST_ARGS='--suite core'.
#
# The build always uses --werror. The tests run under one Xvfb server (GUI
# tests open real windows). The last line is "N passed, N failed" counting
# test cases; the exit status is 0 only when the build worked and nothing
# failed (2 when setup or build failed, 1 when a test failed).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here/.."

builddir=_build
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
  builddir=$1
  shift
fi

python=python3
if [ -x /usr/bin/python3 ]; then
  python=/usr/bin/python3
fi

bash "$here/setup.sh" || { echo "test.sh: package setup failed" >&2; exit 2; }

if [ -f "$builddir/meson-private/coredata.dat" ]; then
  setup=(meson setup --reconfigure "$builddir" --werror "$@")
else
  setup=(meson setup "$builddir" --werror "$@")
fi
if ! "${setup[@]}" >"${TMPDIR:-/tmp}/hb-setup-$$.log" 2>&1; then
  cat "${TMPDIR:-/tmp}/hb-setup-$$.log" >&2
  rm -f "${TMPDIR:-/tmp}/hb-setup-$$.log"
  echo "test.sh: meson setup of $builddir failed" >&2
  exit 2
fi
rm -f "${TMPDIR:-/tmp}/hb-setup-$$.log"

if ! meson compile -C "$builddir"; then
  echo "test.sh: build of $builddir failed" >&2
  exit 2
fi

# A log left by an earlier run must not be counted as this one.
rm -f "$builddir/meson-logs/testlog.json" "$builddir/meson-logs/testlog.txt"

read -r -a test_args <<<"${HB_TEST_ARGS:-}"
test_rc=0
xvfb-run -a -s '-screen 0 1280x1024x24 -nolisten tcp' \
  meson test -C "$builddir" --print-errorlogs "${test_args[@]}" </dev/null \
  || test_rc=$?

if [ ! -f "$builddir/meson-logs/testlog.json" ]; then
  echo "test.sh: meson test wrote no log (exit status $test_rc)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

summary_rc=0
"$python" "$here/testlog.py" summary "$builddir" || summary_rc=$?

if [ "$test_rc" -ne 0 ] || [ "$summary_rc" -ne 0 ]; then
  exit 1
fi
