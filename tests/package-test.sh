#!/usr/bin/env bash
# package-test.sh - build the Debian package from a copy of the tree, install
# it with apt-get, run what it installed, and remove it again
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: package-test.sh SOURCEDIR
#   Builds with dpkg-buildpackage -us -uc -b in a temporary copy of SOURCEDIR
#   (the tree gets no obj-*/ or debian/heartbeat-lab/ and ../ no .deb), runs
#   lintian, installs the .deb on this machine with apt-get, checks the files
#   and runs the programs as installed, then purges the package and whatever
#   apt-get installed with it. Prints TAP. .ci/run runs it as its last step;
#   tools/setup.sh installs the tools it needs. Installing needs root, or
#   sudo without a password; otherwise those cases are skipped.

set -u

. "$(dirname "$0")/tap.sh"
tap_usage 1 "SOURCEDIR" "$@"

srcdir=$(cd "$1" && pwd) || exit 2
app_id=org.heartbeatlab.HeartbeatLab

work=$(mktemp -d "${TMPDIR:-/tmp}/heartbeat-lab-package.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  as_root=(false)
fi
apt_get=("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive
         apt-get -q -y -o DPkg::Lock::Timeout=300)

# The files a teacher expects after installing, as dpkg lists them.
installed_files=(
  "command-line tool:/usr/bin/heartbeat-lab-cli"
  "desktop application:/usr/bin/heartbeat-lab"
  "desktop entry:/usr/share/applications/$app_id.desktop"
  "AppStream metadata:/usr/share/metainfo/$app_id.metainfo.xml"
  "application icon:/usr/share/icons/hicolor/scalable/apps/$app_id.svg"
  "symbolic icon:/usr/share/icons/hicolor/symbolic/apps/$app_id-symbolic.svg"
  "GSettings schema:/usr/share/glib-2.0/schemas/$app_id.gschema.xml"
  "zh_CN translation:/usr/share/locale/zh_CN/LC_MESSAGES/heartbeat-lab.mo"
  "manual page of the tool:/usr/share/man/man1/heartbeat-lab-cli.1.gz"
  "manual page of the application:/usr/share/man/man1/heartbeat-lab.1.gz"
  "licence (DEP-5):/usr/share/doc/heartbeat-lab/copyright"
)
echo "1..$((13 + ${#installed_files[@]}))"

# --- the version, and the build -------------------------------------------

meson_version=$(sed -n "/^project(/,/)/ s/^ *version: *'\([^']*\)'.*/\1/p" "$srcdir/meson.build")
deb_version=$(cd "$srcdir" && dpkg-parsechangelog -S Version 2>/dev/null)
if [ -n "$meson_version" ] && [ "$deb_version" = "$meson_version" ]; then
  ok "debian/changelog's version is meson.build's, $meson_version"
else
  not_ok "debian/changelog says “$deb_version”, meson.build “$meson_version”"
fi
version=${meson_version:-$deb_version}

# The tree as git sees it, uncommitted changes included, without build
# directories; a tree that is not a git checkout is copied as it is.
mkdir "$work/src"
if git -C "$srcdir" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$srcdir" && git ls-files -z --cached --others --exclude-standard \
     | xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh \
     | tar --null -T - -cf -) | tar -xf - -C "$work/src"
else
  tar -C "$srcdir" --exclude='./_build*' --exclude='./obj-*' -cf - . | tar -xf - -C "$work/src"
fi

arch=$(dpkg --print-architecture)
deb=$work/heartbeat-lab_${version}_$arch.deb
start=$(date +%s)
(cd "$work/src" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1
build_rc=$?
if [ "$build_rc" -eq 0 ] && [ -s "$deb" ]; then
  ok "dpkg-buildpackage -us -uc -b builds $(basename "$deb") ($(($(date +%s) - start)) s)"
else
  not_ok "dpkg-buildpackage -us -uc -b (exit status $build_rc, no $(basename "$deb"))"
  tap_note "$(tail -n 60 "$work/build.log")"
  # Nothing else can be checked without the package: one failure, the
  # rest skipped.
  while [ "$n" -lt $((13 + ${#installed_files[@]})) ]; do
    ok "not checked # SKIP the package did not build"
  done
  exit 1
fi

# --- the package as built -------------------------------------------------

if command -v lintian >/dev/null 2>&1; then
  # Its tags on standard output; on standard error, as root (CI), a remark
  # about root that is not about the package.
  lintian_out=$(lintian --info --fail-on error \
                  "$work/heartbeat-lab_${version}_$arch.changes" 2>"$work/lintian.err")
  lintian_rc=$?
  if [ "$lintian_rc" -eq 0 ] && ! grep -q '^E: ' <<<"$lintian_out"; then
    ok "lintian reports no error ($(grep -c '^W: ' <<<"$lintian_out") warnings)"
  else
    not_ok "lintian reports errors (exit status $lintian_rc)"
    tap_note "$(grep -v 'running with root privileges' "$work/lintian.err")"
  fi
  [ -n "$lintian_out" ] && tap_note "$lintian_out"
else
  ok "lintian # SKIP lintian is not installed"
fi

depends=$(dpkg-deb -f "$deb" Depends)
missing_deps=
for lib in libglib2.0-0 libgtk-4-1 libjson-glib-1.0-0 libpcap0.8; do
  case ", $depends" in
    *", $lib "*|*", $lib,"*) ;;
    *) missing_deps="$missing_deps $lib" ;;
  esac
done
if [ -z "$missing_deps" ]; then
  ok "Depends has the libraries from \${shlibs:Depends}"
else
  not_ok "Depends lacks$missing_deps"
fi
tap_note "Depends: $depends"

# --- installed with apt-get -----------------------------------------------

skip_rest ()
{
  while [ "$n" -lt $((13 + ${#installed_files[@]})) ]; do
    ok "not checked # SKIP $1"
  done
  tap_done
  exit
}

if [ "${as_root[0]:-}" = false ]; then
  skip_rest "installing needs root or sudo without a password"
fi

was_installed=$(dpkg-query -W -f='${Status}' heartbeat-lab 2>/dev/null || true)
dpkg-query -W -f='${Package}\n' | sort >"$work/before"
if "${apt_get[@]}" install --no-install-recommends "$deb" >"$work/install.log" 2>&1; then
  ok "apt-get install ./$(basename "$deb")"
else
  not_ok "apt-get install ./$(basename "$deb")"
  tap_note "$(tail -n 30 "$work/install.log")"
  skip_rest "the package did not install"
fi
dpkg-query -W -f='${Package}\n' | sort >"$work/after"
added=$(comm -13 "$work/before" "$work/after" | grep -v -x heartbeat-lab | tr '\n' ' ')

listed=$(dpkg -L heartbeat-lab)
for entry in "${installed_files[@]}"; do
  what=${entry%%:*}
  path=${entry#*:}
  if grep -q -x -F "$path" <<<"$listed" && [ -s "$path" ]; then
    ok "$what: $path"
  else
    not_ok "$what: $path not installed"
  fi
done

# The programs as installed, found in PATH, in a clean environment.
clean_env=(env -i PATH=/usr/bin:/bin HOME="$work" LC_ALL=C.UTF-8)

for program in heartbeat-lab-cli heartbeat-lab; do
  if out=$("${clean_env[@]}" "$program" --version 2>&1) \
     && [ "$out" = "$program $version" ]; then
    ok "$program --version prints “$out”"
  else
    not_ok "$program --version"
    tap_note "$out"
  fi
done

# GApplication answers --help before GTK opens a display: none is given.
if out=$("${clean_env[@]}" heartbeat-lab --help 2>&1) \
   && grep -q -e '--demo' <<<"$out"; then
  ok "heartbeat-lab --help (no display) lists --demo"
else
  not_ok "heartbeat-lab --help"
  tap_note "$out"
fi

# The installed catalogue, where the installed program looks for it.
out=$("${clean_env[@]}" LANGUAGE=zh_CN heartbeat-lab-cli --help 2>&1)
if grep -q '用法' <<<"$out"; then
  ok "LANGUAGE=zh_CN heartbeat-lab-cli --help is in Chinese"
else
  not_ok "LANGUAGE=zh_CN heartbeat-lab-cli --help is not in Chinese"
  tap_note "$(head -n 5 <<<"$out")"
fi

# libglib2.0-0's trigger compiled the schema into the system's cache.
if "${clean_env[@]}" gsettings list-keys "$app_id" >"$work/keys" 2>&1 && [ -s "$work/keys" ]; then
  ok "the system's compiled schemas hold $app_id ($(wc -l <"$work/keys") keys)"
else
  not_ok "gsettings does not find $app_id in the system's schemas"
  tap_note "$(cat "$work/keys")"
fi

if out=$(desktop-file-validate "/usr/share/applications/$app_id.desktop" 2>&1); then
  ok "desktop-file-validate: installed desktop entry"
else
  not_ok "desktop-file-validate: installed desktop entry"
fi
[ -n "$out" ] && tap_note "$out"

if ! command -v appstreamcli >/dev/null 2>&1; then
  ok "appstreamcli validate # SKIP appstreamcli is not installed"
elif out=$(appstreamcli validate --no-net --explain "/usr/share/metainfo/$app_id.metainfo.xml" 2>&1); then
  ok "appstreamcli validate --no-net: installed metainfo"
else
  not_ok "appstreamcli validate --no-net: installed metainfo"
  tap_note "$out"
fi

# --- removed again ----------------------------------------------------------

# A package that was installed before this test stays installed (this
# build's); otherwise it goes, with what apt-get brought along for it.
if [ "$was_installed" = "install ok installed" ]; then
  ok "apt-get purge # SKIP heartbeat-lab was installed before this test: left installed"
else
  # shellcheck disable=SC2086
  if "${apt_get[@]}" purge heartbeat-lab $added >"$work/purge.log" 2>&1 \
     && ! dpkg-query -W -f='${Status}' heartbeat-lab 2>/dev/null | grep -q installed \
     && [ ! -e /usr/bin/heartbeat-lab-cli ] \
     && ! "${clean_env[@]}" gsettings list-schemas 2>/dev/null | grep -q -x "$app_id"; then
    ok "apt-get purge heartbeat-lab${added:+ $added}: programs and compiled schema gone"
  else
    not_ok "apt-get purge heartbeat-lab left it behind"
    tap_note "$(tail -n 30 "$work/purge.log")"
  fi
fi

tap_done
