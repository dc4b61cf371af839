#!/bin/sh
# install-test.sh - install the build into a temporary DESTDIR and check that
# every file lands where GNOME looks for it and that the installed tools run
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: install-test.sh BUILDDIR VERSION PREFIX BINDIR DATADIR LOCALEDIR MANDIR GUI
#   the directories are absolute, as the build was configured; GUI is "true"
#   when the desktop application is built. Prints TAP.

set -u

. "$(dirname "$0")/tap.sh"
tap_usage 8 "BUILDDIR VERSION PREFIX BINDIR DATADIR LOCALEDIR MANDIR GUI" "$@"

builddir=$1
version=$2
prefix=$3
bindir=$4
datadir=$5
localedir=$6
mandir=$7
gui=$8
app_id=org.heartbeatlab.HeartbeatLab

destdir=$(mktemp -d "${TMPDIR:-/tmp}/heartbeat-lab-install.XXXXXX") || exit 1
trap 'rm -rf "$destdir"' EXIT INT TERM

# check_file DESCRIPTION PATH: PATH (under the prefix) exists and is not empty
check_file ()
{
  if [ -s "$destdir$2" ]; then
    ok "$1: $2"
  else
    not_ok "$1: $2 missing or empty"
  fi
}

# Installing fails the whole test: nothing after it could be trusted.
if ! log=$(meson install -C "$builddir" --destdir "$destdir" --no-rebuild 2>&1); then
  echo "1..1"
  echo "not ok 1 - meson install --destdir"
  tap_note "$log"
  exit 1
fi

# The plan: the files, then the commands that run.
files=6
runs=2
if [ "$gui" = true ]; then
  files=$((files + 6))
  runs=$((runs + 1))
fi
echo "1..$((1 + files + runs))"
ok "meson install --destdir into $destdir"

check_file "command-line tool" "$bindir/heartbeat-lab-cli"
check_file "GSettings schema" "$datadir/glib-2.0/schemas/$app_id.gschema.xml"
check_file "zh_CN translation" "$localedir/zh_CN/LC_MESSAGES/heartbeat-lab.mo"
check_file "manual page" "$mandir/man1/heartbeat-lab-cli.1"
if [ "$gui" = true ]; then
  check_file "desktop application" "$bindir/heartbeat-lab"
  check_file "application's manual page" "$mandir/man1/heartbeat-lab.1"
  check_file "desktop entry" "$datadir/applications/$app_id.desktop"
  check_file "AppStream metadata" "$datadir/metainfo/$app_id.metainfo.xml"
  check_file "application icon" "$datadir/icons/hicolor/scalable/apps/$app_id.svg"
  check_file "symbolic icon" "$datadir/icons/hicolor/symbolic/apps/$app_id-symbolic.svg"
fi

# Nothing may land outside the prefix, where DESTDIR would not catch it.
outside=$(cd "$destdir" && find . -type f | sed 's|^\.||' | grep -v "^$prefix/" || true)
if [ -z "$outside" ]; then
  ok "every installed file is under $prefix"
else
  not_ok "files installed outside $prefix"
  tap_note "$outside"
fi

# The installed schema compiles on its own.
if glib-compile-schemas --strict --dry-run "$destdir$datadir/glib-2.0/schemas" 2>/dev/null; then
  ok "installed schema compiles (glib-compile-schemas --strict)"
else
  not_ok "installed schema does not compile"
fi

# The installed programs run. They look for their translations in the
# configured LOCALEDIR, not under DESTDIR, so only --version is asked for.
check_version ()
{
  out=$(LC_ALL=C.UTF-8 "$destdir$bindir/$1" --version 2>&1)
  status=$?
  if [ "$status" -eq 0 ] && [ "$out" = "$1 $version" ]; then
    ok "installed $1 --version prints “$out”"
  else
    not_ok "installed $1 --version (exit status $status)"
    tap_note "$out"
  fi
}

check_version heartbeat-lab-cli
if [ "$gui" = true ]; then
  check_version heartbeat-lab
fi

# The .mo file works: gettext(1) honours TEXTDOMAINDIR, unlike the programs.
translated=$(LC_ALL=C.UTF-8 LANGUAGE=zh_CN TEXTDOMAINDIR="$destdir$localedir" \
             gettext heartbeat-lab "Heartbeat Lab" 2>/dev/null)
if [ -n "$translated" ] && [ "$translated" != "Heartbeat Lab" ]; then
  ok "installed zh_CN catalogue translates “Heartbeat Lab” as “$translated”"
else
  not_ok "installed zh_CN catalogue does not translate “Heartbeat Lab”"
fi

tap_done
