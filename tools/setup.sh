#!/usr/bin/env bash
# tools/setup.sh — install the Debian packages Heartbeat Lab needs.
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: tools/setup.sh [run|test]
#   run   what the application needs to build and run (tools/run.sh)
#   test  that, and everything the tests, CI, fuzzing and the package need
#         (the default: tools/test.sh and .ci/run)
#
# Idempotent and quiet: when every package is already installed it prints
# nothing and touches nothing (no apt-get update). Runs as root (CI) or, for a
# developer, through sudo when that is available.
set -euo pipefail

set_name=${1:-test}

run_packages=(
  # toolchain and build (meson needs python3)
  build-essential meson ninja-build pkg-config gettext python3
  # libraries; libglib2.0-bin has glib-compile-schemas, -mkenums, -genmarshal
  libglib2.0-dev libglib2.0-bin libjson-glib-dev libgtk-4-dev libpcap-dev
  # Chinese glyphs for the zh_CN translation (installed without recommends)
  fonts-droid-fallback
)

test_packages=(
  # GUI tests need a display; screenshots; data file validation
  xvfb xauth imagemagick desktop-file-utils appstream
  # protocol peers and capture for tests and teaching
  netcat-openbsd ncat tshark
  # fuzzing and clang's sanitizer runtimes
  clang libclang-rt-14-dev
  # the Debian package (debian/): built and checked by tests/package-test.sh,
  # .ci/run's last step; desktop-file-utils and appstream (above) check it too
  debhelper dpkg-dev lintian
)

case "$set_name" in
  run) packages=("${run_packages[@]}") ;;
  test) packages=("${run_packages[@]}" "${test_packages[@]}") ;;
  *)
    echo "usage: $0 [run|test]" >&2
    exit 2
    ;;
esac

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [ "$status" != "install ok installed" ]; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  echo "setup: these packages are missing and need root to install:" \
       "${missing[*]}" >&2
  echo "setup: running apt-get through sudo" >&2
  as_root=(sudo)
else
  echo "setup: these packages are missing: ${missing[*]}" >&2
  echo "setup: not root and sudo is not available; as root, run:" >&2
  echo "  $0 $set_name" >&2
  exit 1
fi

log=$(mktemp "${TMPDIR:-/tmp}/heartbeat-lab-setup.XXXXXX")
trap 'rm -f "$log"' EXIT

fail ()
{
  echo "setup: $1 failed; its output:" >&2
  tail -n 60 "$log" >&2
  exit 1
}

apt_env=(env DEBIAN_FRONTEND=noninteractive)
apt_opts=(-q -o DPkg::Lock::Timeout=300)

echo "setup: installing ${missing[*]}" >&2

# tshark asks whether non-root users may capture; answer "no" up front so the
# install never waits for a prompt.
echo 'wireshark-common wireshark-common/install-setuid boolean false' \
  | "${as_root[@]}" debconf-set-selections >>"$log" 2>&1 \
  || fail "debconf-set-selections"

"${as_root[@]}" "${apt_env[@]}" apt-get "${apt_opts[@]}" update \
  >>"$log" 2>&1 </dev/null || fail "apt-get update"

"${as_root[@]}" "${apt_env[@]}" apt-get "${apt_opts[@]}" install -y \
  --no-install-recommends "${missing[@]}" \
  >>"$log" 2>&1 </dev/null || fail "apt-get install"

echo "setup: done" >&2
