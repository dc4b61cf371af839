#!/usr/bin/env bash
# tools/run.sh — set everything up, build, and start Heartbeat Lab: a server
# window listening on 127.0.0.1:12001 and two client windows connected to it.
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: tools/run.sh [heartbeat-lab options…]   (default: --demo)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here/.."
builddir=_build

# Only what the application needs: the test tools (tshark, clang, Xvfb ...)
# are tools/test.sh's business.
bash "$here/setup.sh" run

# Quiet when all is well; the whole output when something fails.
log=$(mktemp "${TMPDIR:-/tmp}/heartbeat-lab-build.XXXXXX")
trap 'rm -f "$log"' EXIT
quietly ()
{
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    echo "run.sh: '$*' failed" >&2
    exit 1
  fi
}

if [ -f "$builddir/meson-private/coredata.dat" ]; then
  quietly meson setup --reconfigure "$builddir"
else
  quietly meson setup "$builddir"
fi
quietly meson compile -C "$builddir"
rm -f "$log"
trap - EXIT

# Run from the build tree: the settings schema is compiled there ...
export GSETTINGS_SCHEMA_DIR="$PWD/$builddir/data${GSETTINGS_SCHEMA_DIR:+:$GSETTINGS_SCHEMA_DIR}"
# ... and so are the translations (LANG=zh_CN.UTF-8 tools/run.sh speaks Chinese).
export HEARTBEAT_LAB_LOCALEDIR="$PWD/$builddir/po"
if [ $# -eq 0 ]; then
  set -- --demo
fi
exec "$builddir/src/gui/heartbeat-lab" "$@"
